/*
 * System V IPC: shared memory segments and semaphore sets. Every check
 * prints "name: ok" natively; husk must print the same. Keys are made
 * from the pid so a native run never meets another program's objects.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <sched.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#define PAGE 4096

static key_t test_key(int n) {
    return (key_t)(0x48000000 | ((getpid() & 0xffff) << 8) | n);
}

static int shm_nattch(int id) {
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0)
        return -errno;
    return (int)ds.shm_nattch;
}

/* ---- shared memory ---------------------------------------------------- */

static void shm_get(void) {
    key_t k = test_key(1);
    EXPECT_ERR("shmget size 0 new", shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
    EXPECT_ERR("shmget too big", shmget(IPC_PRIVATE, SIZE_MAX, IPC_CREAT | 0600), EINVAL);
    EXPECT_ERR("shmget missing key", shmget(k, PAGE, 0600), ENOENT);
    int id = shmget(k, 5000, IPC_CREAT | IPC_EXCL | 0640);
    expect("shmget create", id >= 0, "%s", errno_name(errno));
    EXPECT_ERR("shmget excl again", shmget(k, 5000, IPC_CREAT | IPC_EXCL | 0640), EEXIST);
    expect_ret("shmget existing", shmget(k, 100, 0), errno, id, 0);
    expect_ret("shmget existing size 0", shmget(k, 0, IPC_CREAT), errno, id, 0);
    EXPECT_ERR("shmget existing larger", shmget(k, 5001, 0), EINVAL);
    int priv1 = shmget(IPC_PRIVATE, PAGE, 0600), priv2 = shmget(IPC_PRIVATE, PAGE, 0600);
    expect("ipc_private makes new ones", priv1 >= 0 && priv2 >= 0 && priv1 != priv2 && priv1 != id, "%d %d %d", id,
           priv1, priv2);

    struct shmid_ds ds;
    memset(&ds, 0xff, sizeof ds);
    EXPECT_OK("ipc_stat", shmctl(id, IPC_STAT, &ds));
    expect("ipc_stat fields",
           ds.shm_segsz == 5000 && (ds.shm_perm.mode & 0777) == 0640 && ds.shm_perm.__key == k &&
               ds.shm_cpid == getpid() && ds.shm_lpid == 0 && ds.shm_nattch == 0 && ds.shm_atime == 0 &&
               ds.shm_dtime == 0 && ds.shm_ctime != 0 && ds.shm_perm.uid == geteuid() &&
               ds.shm_perm.cuid == geteuid() && ds.shm_perm.gid == getegid(),
           "size %zu mode %o key %x cpid %d lpid %d nattch %lu", ds.shm_segsz, ds.shm_perm.mode,
           ds.shm_perm.__key, ds.shm_cpid, ds.shm_lpid, (unsigned long)ds.shm_nattch);
    EXPECT_ERR("ipc_stat bad buffer", shmctl(id, IPC_STAT, (struct shmid_ds *)8), EFAULT);
    EXPECT_ERR("shmctl bad command", shmctl(id, 12345, &ds), EINVAL);
    EXPECT_ERR("shmctl negative id", shmctl(-1, IPC_STAT, &ds), EINVAL);
    EXPECT_ERR("shmctl unknown id", shmctl(id + 7 * 32768, IPC_STAT, &ds), EINVAL);

    struct shmid_ds bad = ds;
    bad.shm_perm.uid = (uid_t)-1;
    EXPECT_ERR("ipc_set invalid uid", shmctl(id, IPC_SET, &bad), EINVAL);
    bad.shm_perm.uid = ds.shm_perm.uid;
    bad.shm_perm.gid = (gid_t)-1;
    EXPECT_ERR("ipc_set invalid gid", shmctl(id, IPC_SET, &bad), EINVAL);
    ds.shm_perm.mode = 0604;
    EXPECT_OK("ipc_set", shmctl(id, IPC_SET, &ds));
    struct shmid_ds ds2;
    shmctl(id, IPC_STAT, &ds2);
    expect("ipc_set mode", (ds2.shm_perm.mode & 0777) == 0604, "%o", ds2.shm_perm.mode);

    struct shminfo info;
    int max = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
    expect("ipc_info", max >= 0 && info.shmmin == 1 && info.shmmni > 0 && info.shmmax > (1UL << 32), "%d %lu", max,
           info.shmmin);
    struct shm_info si;
    int max2 = shmctl(0, SHM_INFO, (struct shmid_ds *)&si);
    expect("shm_info", max2 >= 0 && si.used_ids >= 3 && si.shm_tot >= 4, "%d used %d tot %lu", max2, si.used_ids,
           si.shm_tot);
    /* SHM_STAT takes an index and returns the id. */
    int found = 0;
    for (int i = 0; i <= max2; i++) {
        struct shmid_ds d;
        if (shmctl(i, SHM_STAT, &d) == id)
            found = d.shm_segsz == 5000;
    }
    expect("shm_stat finds it", found, "no");

    EXPECT_OK("rmid", shmctl(id, IPC_RMID, NULL));
    EXPECT_ERR("stat after rmid", shmctl(id, IPC_STAT, &ds), EINVAL);
    EXPECT_ERR("rmid again", shmctl(id, IPC_RMID, NULL), EINVAL);
    EXPECT_ERR("key gone after rmid", shmget(k, 0, 0), ENOENT);
    shmctl(priv1, IPC_RMID, NULL);
    shmctl(priv2, IPC_RMID, NULL);
}

static void shm_share(void) {
    int id = shmget(IPC_PRIVATE, 2 * PAGE, IPC_CREAT | 0600);
    char *p = shmat(id, NULL, 0);
    report_map("shmat", p == (void *)-1 ? MAP_FAILED : p);
    expect("fresh segment is zero", p[0] == 0 && p[2 * PAGE - 1] == 0, "not zero");
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    expect("attach counted", ds.shm_nattch == 1 && ds.shm_lpid == getpid() && ds.shm_atime != 0, "nattch %lu",
           (unsigned long)ds.shm_nattch);
    strcpy(p, "parent");
    pid_t c = xfork();
    if (c == 0) {
        /* The inherited attachment counts, and shares the pages. */
        int ok = shm_nattch(id) == 2 && strcmp(p, "parent") == 0;
        strcpy(p + PAGE, "child wrote");
        char *q = shmat(id, NULL, 0);
        ok = ok && q != (void *)-1 && q != p && strcmp(q + PAGE, "child wrote") == 0 && shm_nattch(id) == 3;
        _exit(ok ? 0 : 1);
    }
    expect("child sees and counts", strcmp(wait_text(c), "exited 0") == 0, "child failed");
    expect("parent sees child's write", strcmp(p + PAGE, "child wrote") == 0, "%s", p + PAGE);
    expect("child's attachments gone at exit", shm_nattch(id) == 1, "%d", shm_nattch(id));

    /* Two processes that attach by key after forking share too. */
    key_t k = test_key(2);
    int kid = shmget(k, PAGE, IPC_CREAT | 0600);
    int go[2], done[2];
    if (pipe(go) < 0 || pipe(done) < 0)
        return;
    pid_t a = xfork();
    if (a == 0) {
        char *m = shmat(shmget(k, 0, 0), NULL, 0);
        strcpy(m, "from a");
        write(go[1], "x", 1);
        char b;
        read(done[0], &b, 1);
        _exit(strcmp(m, "from b") == 0 ? 0 : 1);
    }
    pid_t b = xfork();
    if (b == 0) {
        char x;
        read(go[0], &x, 1);
        char *m = shmat(shmget(k, 0, 0), NULL, 0);
        int ok = strcmp(m, "from a") == 0;
        strcpy(m, "from b");
        write(done[1], "x", 1);
        _exit(ok ? 0 : 1);
    }
    expect("unrelated attach a", strcmp(wait_text(a), "exited 0") == 0, "a failed");
    expect("unrelated attach b", strcmp(wait_text(b), "exited 0") == 0, "b failed");
    shmctl(kid, IPC_RMID, NULL);

    /* SHM_RDONLY: writing faults. */
    pid_t r = xfork();
    if (r == 0) {
        volatile char *ro = shmat(id, NULL, SHM_RDONLY);
        if (ro == (void *)-1 || strcmp((char *)ro, "parent") != 0)
            _exit(1);
        ro[0] = 'x';
        _exit(2);
    }
    const char *rt = wait_text(r);
    expect("rdonly write faults", strcmp(rt, "killed by SIGSEGV") == 0, "%s", rt);

    /* /proc/self/maps names the segment. */
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int seen = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "/SYSV00000000 (deleted)") && strstr(line, "rw-s"))
            seen = 1;
    if (f)
        fclose(f);
    expect("maps shows SYSV", seen, "no");

    EXPECT_OK("shmdt", shmdt(p));
    EXPECT_ERR("shmdt again", shmdt(p), EINVAL);
    EXPECT_ERR("shmdt unaligned", shmdt(p + 1), EINVAL);
    shmctl(id, IPC_STAT, &ds);
    expect("detach counted", ds.shm_nattch == 0 && ds.shm_dtime != 0, "nattch %lu", (unsigned long)ds.shm_nattch);
    shmctl(id, IPC_RMID, NULL);
}

static void shm_rmid(void) {
    key_t k = test_key(3);
    int id = shmget(k, PAGE, IPC_CREAT | 0600);
    char *p = shmat(id, NULL, 0);
    strcpy(p, "still here");
    EXPECT_OK("rmid while attached", shmctl(id, IPC_RMID, NULL));
    struct shmid_ds ds;
    EXPECT_OK("stat of marked", shmctl(id, IPC_STAT, &ds));
    expect("marked: dest, private key", (ds.shm_perm.mode & SHM_DEST) && ds.shm_perm.__key == IPC_PRIVATE,
           "mode %o key %x", ds.shm_perm.mode, ds.shm_perm.__key);
    EXPECT_ERR("key gone", shmget(k, 0, 0), ENOENT);
    expect("memory stays", strcmp(p, "still here") == 0, "%s", p);
    char *q = shmat(id, NULL, 0);
    expect("attach marked by id", q != (void *)-1 && strcmp(q, "still here") == 0, "%s", errno_name(errno));
    int k2 = shmget(k, PAGE, IPC_CREAT | IPC_EXCL | 0600);
    expect("key reusable", k2 >= 0 && k2 != id, "%s", errno_name(errno));
    shmctl(k2, IPC_RMID, NULL);
    shmdt(q);
    EXPECT_OK("stat with one left", shmctl(id, IPC_STAT, &ds));
    shmdt(p);
    EXPECT_ERR("gone after last detach", shmctl(id, IPC_STAT, &ds), EINVAL);

    /* Exit detaches too. */
    id = shmget(IPC_PRIVATE, PAGE, 0600);
    pid_t c = xfork();
    if (c == 0) {
        shmat(id, NULL, 0);
        shmctl(id, IPC_RMID, NULL);
        _exit(shm_nattch(id) == 1 ? 0 : 1);
    }
    expect("child marked it", strcmp(wait_text(c), "exited 0") == 0, "child failed");
    EXPECT_ERR("gone after child exit", shmctl(id, IPC_STAT, &ds), EINVAL);
}

/* Run by shm_exec after an execve: the attachments the image had are gone. */
static void shm_exec_child(void) {
    const char *id = getenv("SHM_ID");
    if (!id)
        return; /* not exec'd by shm_exec */
    int n = shm_nattch(atoi(id));
    expect("exec detaches", n == 0, "nattch %d", n);
    shmctl(atoi(id), IPC_RMID, NULL);
}

static void shm_exec(void) {
    int id = shmget(IPC_PRIVATE, PAGE, 0600);
    pid_t c = xfork();
    if (c == 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "%d", id);
        setenv("SHM_ID", buf, 1);
        if (shmat(id, NULL, 0) == (void *)-1 || shm_nattch(id) != 1)
            _exit(3);
        execl("/proc/self/exe", "sysv_ipc", "shm_exec_child", (char *)NULL);
        _exit(4);
    }
    const char *ct = wait_text(c);
    expect("exec child", strcmp(ct, "exited 0") == 0, "%s", ct);
}

static void shm_attach_flags(void) {
    int id = shmget(IPC_PRIVATE, 2 * PAGE, 0600);
    EXPECT_ERR("shmat bad id", shmat(id + 5 * 32768, NULL, 0), EINVAL);
    EXPECT_ERR("shmat negative id", shmat(-1, NULL, 0), EINVAL);
    EXPECT_ERR("remap without address", shmat(id, NULL, SHM_REMAP), EINVAL);
    char *area = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(area + 4 * PAGE, 4 * PAGE);
    char *free_at = area + 4 * PAGE;
    EXPECT_ERR("unaligned address", shmat(id, free_at + 100, 0), EINVAL);
    char *r = shmat(id, free_at + 100, SHM_RND);
    expect("shm_rnd rounds down", r == free_at, "no");
    r[0] = 'z';
    EXPECT_ERR("occupied address", shmat(id, area, 0), EINVAL);
    char *m = shmat(id, area, SHM_REMAP);
    expect("shm_remap replaces", m == area && area[0] == 'z', "%p", (void *)m);
    expect("two attachments", shm_nattch(id) == 2, "%d", shm_nattch(id));
    /* A split attachment counts twice; shmdt takes all of it. */
    mprotect(area + PAGE, PAGE, PROT_READ);
    expect("split counts", shm_nattch(id) == 3, "%d", shm_nattch(id));
    EXPECT_OK("shmdt split", shmdt(area));
    expect("split detached", shm_nattch(id) == 1, "%d", shm_nattch(id));
    EXPECT_OK("shmdt rounded", shmdt(free_at));
    shmctl(id, IPC_RMID, NULL);
}

static void shm_perms(void) {
    key_t k = test_key(4);
    int id = shmget(k, PAGE, IPC_CREAT | 0600);
    int id2 = shmget(IPC_PRIVATE, PAGE, 0644);
    pid_t c = xfork();
    if (c == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(9);
        struct shmid_ds ds;
        EXPECT_ERR("other: shmget for read", shmget(k, 0, 0400), EACCES);
        expect_ret("other: shmget asking nothing", shmget(k, 0, 0), errno, id, 0);
        EXPECT_ERR("other: shmat", shmat(id, NULL, 0), EACCES);
        EXPECT_ERR("other: ipc_stat", shmctl(id, IPC_STAT, &ds), EACCES);
        EXPECT_ERR("other: ipc_rmid", shmctl(id, IPC_RMID, NULL), EPERM);
        EXPECT_ERR("other: ipc_set", shmctl(id2, IPC_SET, &ds), EPERM);
        EXPECT_ERR("other: rw attach of 0644", shmat(id2, NULL, 0), EACCES);
        void *ro = shmat(id2, NULL, SHM_RDONLY);
        report_map("other: rdonly attach of 0644", ro == (void *)-1 ? MAP_FAILED : ro);
        EXPECT_OK("other: ipc_stat of 0644", shmctl(id2, IPC_STAT, &ds));
        _exit(0);
    }
    const char *ct = wait_text(c);
    expect("child", strcmp(ct, "exited 0") == 0, "%s", ct);
    shmctl(id, IPC_RMID, NULL);
    shmctl(id2, IPC_RMID, NULL);
}

static void shm_ns(void) {
    key_t k = test_key(5);
    int id = shmget(k, 3 * PAGE, IPC_CREAT | 0600);
    pid_t c = xfork();
    if (c == 0) {
        EXPECT_OK("unshare ipc", unshare(CLONE_NEWIPC));
        struct shmid_ds ds;
        EXPECT_ERR("new ns: key not found", shmget(k, 0, 0), ENOENT);
        EXPECT_ERR("new ns: id not found", shmctl(id, IPC_STAT, &ds), EINVAL);
        EXPECT_ERR("new ns: attach by id", shmat(id, NULL, 0), EINVAL);
        int mine = shmget(k, PAGE, IPC_CREAT | IPC_EXCL | 0600);
        expect("new ns: same key, own segment", mine >= 0, "%s", errno_name(errno));
        struct shm_info si;
        shmctl(0, SHM_INFO, (struct shmid_ds *)&si);
        expect("new ns: one segment", si.used_ids == 1, "%d", si.used_ids);
        _exit(0);
    }
    const char *ct = wait_text(c);
    expect("child", strcmp(ct, "exited 0") == 0, "%s", ct);
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    expect("parent's segment untouched", shmget(k, 0, 0) == id && ds.shm_segsz == 3 * PAGE, "size %zu",
           ds.shm_segsz);
    shmctl(id, IPC_RMID, NULL);
}


/* ---- semaphores ------------------------------------------------------- */

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *__buf;
};

static int semval(int id, int n) {
    return semctl(id, n, GETVAL);
}

static int sem1(int id, int n, int op, int flg) {
    struct sembuf b = {(unsigned short)n, (short)op, (short)flg};
    return semop(id, &b, 1);
}

/* Waits up to 2 s for GETNCNT/GETZCNT of semaphore n to reach want. */
static int wait_count(int id, int n, int cmd, int want) {
    for (int i = 0; i < 2000; i++) {
        if (semctl(id, n, cmd) == want)
            return 1;
        sleep_ms(1);
    }
    return 0;
}

static void sem_get(void) {
    key_t k = test_key(11);
    EXPECT_ERR("semget nsems 0 new", semget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
    EXPECT_ERR("semget nsems negative", semget(IPC_PRIVATE, -1, IPC_CREAT | 0600), EINVAL);
    EXPECT_ERR("semget nsems over semmsl", semget(IPC_PRIVATE, 32001, IPC_CREAT | 0600), EINVAL);
    EXPECT_ERR("semget missing key", semget(k, 1, 0600), ENOENT);
    int id = semget(k, 3, IPC_CREAT | IPC_EXCL | 0640);
    expect("semget create", id >= 0, "%s", errno_name(errno));
    EXPECT_ERR("semget excl again", semget(k, 3, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    EXPECT_ERR("semget existing more", semget(k, 4, 0), EINVAL);
    expect_ret("semget existing", semget(k, 0, 0), errno, id, 0);

    struct semid_ds ds;
    union semun u = {.buf = &ds};
    memset(&ds, 0xff, sizeof ds);
    EXPECT_OK("sem ipc_stat", semctl(id, 0, IPC_STAT, u));
    expect("sem ipc_stat fields",
           ds.sem_nsems == 3 && (ds.sem_perm.mode & 0777) == 0640 && ds.sem_perm.__key == k && ds.sem_otime == 0 &&
               ds.sem_ctime != 0 && ds.sem_perm.uid == geteuid(),
           "nsems %lu mode %o otime %ld", (unsigned long)ds.sem_nsems, ds.sem_perm.mode, (long)ds.sem_otime);
    expect_ret("getval fresh", semval(id, 2), errno, 0, 0);
    EXPECT_OK("setval", semctl(id, 1, SETVAL, (union semun){.val = 5}));
    expect_ret("getval", semval(id, 1), errno, 5, 0);
    expect_ret("getpid", semctl(id, 1, GETPID), errno, getpid(), 0);
    EXPECT_ERR("setval too big", semctl(id, 1, SETVAL, (union semun){.val = 32768}), ERANGE);
    EXPECT_ERR("setval negative", semctl(id, 1, SETVAL, (union semun){.val = -1}), ERANGE);
    EXPECT_ERR("getval bad semnum", semctl(id, 3, GETVAL), EINVAL);
    unsigned short all[3] = {1, 2, 3}, got[3] = {0, 0, 0};
    EXPECT_OK("setall", semctl(id, 0, SETALL, (union semun){.array = all}));
    EXPECT_OK("getall", semctl(id, 0, GETALL, (union semun){.array = got}));
    expect("getall values", got[0] == 1 && got[1] == 2 && got[2] == 3, "%d %d %d", got[0], got[1], got[2]);
    EXPECT_ERR("getall bad buffer", semctl(id, 0, GETALL, (union semun){.array = (unsigned short *)8}), EFAULT);
    EXPECT_ERR("semctl bad command", semctl(id, 0, 999), EINVAL);

    struct sembuf many[501];
    memset(many, 0, sizeof many);
    EXPECT_ERR("semop none", semop(id, many, 0), EINVAL);
    EXPECT_ERR("semop too many", semop(id, many, 501), E2BIG);
    EXPECT_ERR("semop bad semnum", sem1(id, 3, 1, 0), EFBIG);
    EXPECT_ERR("semop bad id", sem1(id + 9 * 32768, 0, 1, 0), EINVAL);
    EXPECT_ERR("semop bad buffer", semop(id, (struct sembuf *)8, 1), EFAULT);
    EXPECT_OK("semop add", sem1(id, 0, 4, 0));
    expect_ret("semop added", semval(id, 0), errno, 5, 0);
    EXPECT_ERR("semop nowait", sem1(id, 0, -6, IPC_NOWAIT), EAGAIN);
    EXPECT_ERR("semop zero nowait", sem1(id, 0, 0, IPC_NOWAIT), EAGAIN);
    semctl(id, 2, SETVAL, (union semun){.val = 32767});
    EXPECT_ERR("semop overflow", sem1(id, 2, 1, 0), ERANGE);
    struct sembuf two[2] = {{0, -1, 0}, {1, -10, IPC_NOWAIT}};
    EXPECT_ERR("semop atomic fails", semop(id, two, 2), EAGAIN);
    expect_ret("nothing applied", semval(id, 0), errno, 5, 0);
    struct sembuf two_ok[2] = {{0, -1, 0}, {1, -2, 0}};
    EXPECT_OK("semop atomic", semop(id, two_ok, 2));
    expect("both applied", semval(id, 0) == 4 && semval(id, 1) == 0, "%d %d", semval(id, 0), semval(id, 1));
    semctl(id, 0, IPC_STAT, u);
    expect("otime set", ds.sem_otime != 0, "0");

    struct timespec ts = {0, 100 * 1000000L};
    long long t0 = mono_ns();
    EXPECT_ERR("semtimedop times out", semtimedop(id, &(struct sembuf){1, -1, 0}, 1, &ts), EAGAIN);
    long long took = (mono_ns() - t0) / 1000000;
    expect("waited the timeout", took >= 90 && took < 2000, "%lld ms", took);
    struct timespec bad = {0, 2000000000L};
    EXPECT_ERR("semtimedop bad timeout", semtimedop(id, &(struct sembuf){1, -1, 0}, 1, &bad), EINVAL);

    struct seminfo si;
    int max = semctl(0, 0, IPC_INFO, (union semun){.__buf = &si});
    expect("sem ipc_info", max >= 0 && si.semmsl > 0 && si.semvmx == 32767 && si.semopm > 0, "%d", max);
    max = semctl(0, 0, SEM_INFO, (union semun){.__buf = &si});
    expect("sem_info", max >= 0 && si.semusz >= 1 && si.semaem >= 3, "%d usz %d aem %d", max, si.semusz, si.semaem);
    int found = 0;
    for (int i = 0; i <= max; i++)
        if (semctl(i, 0, SEM_STAT, u) == id)
            found = ds.sem_nsems == 3;
    expect("sem_stat finds it", found, "no");

    EXPECT_OK("sem rmid", semctl(id, 0, IPC_RMID));
    EXPECT_ERR("getval after rmid", semval(id, 0), EINVAL);
    EXPECT_ERR("semop after rmid", sem1(id, 0, 1, 0), EINVAL);
    EXPECT_ERR("key gone", semget(k, 0, 0), ENOENT);
}

static void sem_wait(void) {
    int id = semget(IPC_PRIVATE, 2, 0600);
    pid_t c = xfork();
    if (c == 0)
        _exit(sem1(id, 0, -2, 0) == 0 ? 0 : 1);
    expect("waiter counted in ncnt", wait_count(id, 0, GETNCNT, 1), "ncnt %d", semctl(id, 0, GETNCNT));
    sem1(id, 0, 1, 0);
    sleep_ms(20);
    expect("one is not enough", semctl(id, 0, GETNCNT) == 1 && semval(id, 0) == 1, "ncnt %d val %d",
           semctl(id, 0, GETNCNT), semval(id, 0));
    sem1(id, 0, 1, 0);
    const char *ct = wait_text(c);
    expect("decrement woke", strcmp(ct, "exited 0") == 0, "%s", ct);
    expect("value taken", semval(id, 0) == 0 && semctl(id, 0, GETNCNT) == 0, "val %d", semval(id, 0));
    expect("getpid is the waiter", semctl(id, 0, GETPID) == c, "%d", semctl(id, 0, GETPID));

    semctl(id, 1, SETVAL, (union semun){.val = 3});
    c = xfork();
    if (c == 0)
        _exit(sem1(id, 1, 0, 0) == 0 ? 0 : 1);
    expect("waiter counted in zcnt", wait_count(id, 1, GETZCNT, 1), "zcnt %d", semctl(id, 1, GETZCNT));
    semctl(id, 1, SETVAL, (union semun){.val = 0});
    ct = wait_text(c);
    expect("zero woke", strcmp(ct, "exited 0") == 0, "%s", ct);

    c = xfork();
    if (c == 0) {
        int r = sem1(id, 0, -1, 0);
        _exit(r < 0 && errno == EIDRM ? 0 : 1);
    }
    expect("waiter before rmid", wait_count(id, 0, GETNCNT, 1), "no");
    semctl(id, 0, IPC_RMID);
    ct = wait_text(c);
    expect("rmid wakes with EIDRM", strcmp(ct, "exited 0") == 0, "%s", ct);
}

static void sem_undo(void) {
    int id = semget(IPC_PRIVATE, 2, 0600);
    pid_t c = xfork();
    if (c == 0) {
        sem1(id, 0, 3, SEM_UNDO);
        _exit(semval(id, 0) == 3 ? 0 : 1);
    }
    const char *ct = wait_text(c);
    expect("child added", strcmp(ct, "exited 0") == 0, "%s", ct);
    expect_ret("undone at exit", semval(id, 0), errno, 0, 0);

    semctl(id, 0, SETVAL, (union semun){.val = 5});
    c = xfork();
    if (c == 0) {
        sem1(id, 0, -2, SEM_UNDO);
        sem1(id, 0, -1, SEM_UNDO);
        sem1(id, 0, 1, 0);
        _exit(0);
    }
    wait_text(c);
    expect_ret("decrements undone", semval(id, 0), errno, 6, 0);

    /* SETVAL clears the adjustments. */
    int p2c[2], c2p[2];
    if (pipe(p2c) < 0 || pipe(c2p) < 0)
        return;
    c = xfork();
    if (c == 0) {
        char x;
        sem1(id, 1, 2, SEM_UNDO);
        write(c2p[1], "x", 1);
        read(p2c[0], &x, 1);
        _exit(0);
    }
    char x;
    read(c2p[0], &x, 1);
    semctl(id, 1, SETVAL, (union semun){.val = 10});
    write(p2c[1], "x", 1);
    wait_text(c);
    expect_ret("setval cleared the adjustment", semval(id, 1), errno, 10, 0);

    /* An adjustment that would go below zero stops at zero. */
    semctl(id, 1, SETVAL, (union semun){.val = 0});
    c = xfork();
    if (c == 0) {
        char y;
        sem1(id, 1, 4, SEM_UNDO);
        write(c2p[1], "x", 1);
        read(p2c[0], &y, 1);
        _exit(0);
    }
    read(c2p[0], &x, 1);
    sem1(id, 1, -3, 0);
    write(p2c[1], "x", 1);
    wait_text(c);
    expect_ret("undo clamps at zero", semval(id, 1), errno, 0, 0);

    /* Undo of a process that exits by a signal. */
    c = xfork();
    if (c == 0) {
        sem1(id, 0, 7, SEM_UNDO);
        write(c2p[1], "x", 1);
        for (;;)
            pause();
    }
    read(c2p[0], &x, 1);
    expect_ret("killed child's add", semval(id, 0), errno, 13, 0);
    kill(c, SIGKILL);
    wait_text(c);
    expect_ret("undone after SIGKILL", semval(id, 0), errno, 6, 0);
    semctl(id, 0, IPC_RMID);
}

static void on_usr1(int sig) {
    (void)sig;
}

static void sem_eintr(void) {
    int id = semget(IPC_PRIVATE, 1, 0600);
    pid_t c = xfork();
    if (c == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sa.sa_flags = SA_RESTART; /* semop is never restarted */
        sigaction(SIGUSR1, &sa, NULL);
        int r = sem1(id, 0, -1, 0);
        _exit(r < 0 && errno == EINTR ? 0 : 1);
    }
    expect("child waiting", wait_count(id, 0, GETNCNT, 1), "no");
    kill(c, SIGUSR1);
    const char *ct = wait_text(c);
    expect("signal interrupts with EINTR", strcmp(ct, "exited 0") == 0, "%s", ct);
    expect("ncnt back to 0", semctl(id, 0, GETNCNT) == 0, "%d", semctl(id, 0, GETNCNT));

    c = xfork();
    if (c == 0) {
        struct timespec ts = {5, 0};
        signal(SIGUSR1, on_usr1);
        int r = semtimedop(id, &(struct sembuf){0, -1, 0}, 1, &ts);
        _exit(r < 0 && errno == EINTR ? 0 : 1);
    }
    expect("timed waiter", wait_count(id, 0, GETNCNT, 1), "no");
    kill(c, SIGUSR1);
    ct = wait_text(c);
    expect("semtimedop EINTR", strcmp(ct, "exited 0") == 0, "%s", ct);
    semctl(id, 0, IPC_RMID);
}

static void sem_perms(void) {
    int id = semget(IPC_PRIVATE, 1, 0600);
    int id2 = semget(IPC_PRIVATE, 1, 0644);
    pid_t c = xfork();
    if (c == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(9);
        EXPECT_ERR("other: semop", sem1(id, 0, 1, IPC_NOWAIT), EACCES);
        EXPECT_ERR("other: getval", semctl(id, 0, GETVAL), EACCES);
        EXPECT_ERR("other: setval", semctl(id, 0, SETVAL, (union semun){.val = 1}), EACCES);
        EXPECT_ERR("other: rmid", semctl(id, 0, IPC_RMID), EPERM);
        EXPECT_OK("other: getval of 0644", semctl(id2, 0, GETVAL));
        EXPECT_OK("other: wait-for-zero of 0644", sem1(id2, 0, 0, IPC_NOWAIT));
        EXPECT_ERR("other: add to 0644", sem1(id2, 0, 1, IPC_NOWAIT), EACCES);
        _exit(0);
    }
    const char *ct = wait_text(c);
    expect("child", strcmp(ct, "exited 0") == 0, "%s", ct);
    semctl(id, 0, IPC_RMID);
    semctl(id2, 0, IPC_RMID);
}

static void sem_ns(void) {
    key_t k = test_key(12);
    int id = semget(k, 2, IPC_CREAT | 0600);
    pid_t c = xfork();
    if (c == 0) {
        EXPECT_OK("unshare ipc", unshare(CLONE_NEWIPC));
        EXPECT_ERR("new ns: key not found", semget(k, 0, 0), ENOENT);
        EXPECT_ERR("new ns: id not found", semctl(id, 0, GETVAL), EINVAL);
        _exit(0);
    }
    const char *ct = wait_text(c);
    expect("child", strcmp(ct, "exited 0") == 0, "%s", ct);
    expect("parent's set untouched", semget(k, 0, 0) == id, "no");
    semctl(id, 0, IPC_RMID);
}

static const struct test_group groups[] = {
    {"shm_get", shm_get},
    {"shm_share", shm_share},
    {"shm_rmid", shm_rmid},
    {"shm_attach_flags", shm_attach_flags},
    {"shm_perms", shm_perms},
    {"shm_ns", shm_ns},
    {"shm_exec", shm_exec},
    {"shm_exec_child", shm_exec_child},
    {"sem_get", sem_get},
    {"sem_wait", sem_wait},
    {"sem_undo", sem_undo},
    {"sem_eintr", sem_eintr},
    {"sem_perms", sem_perms},
    {"sem_ns", sem_ns},
};

int main(int argc, char **argv) {
    return RUN_GROUPS(argc, argv, groups);
}
