/*
 * The IPC limits of /proc/sys/kernel: what they show, that a write applies
 * (only in the writer's IPC namespace), Linux's bounds on writes; and the
 * System V shm times and pids kept when attachments go at exit. Every
 * check prints "name: ok" natively; husk must print the same.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>

static const char *read_file(const char *path) {
    static char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return errno_name(errno);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    return buf;
}

/* Writes `text` to a sysctl file: 0, or -errno. */
static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    return n < 0 ? -e : 0;
}

static void expect_file(const char *name, const char *path, const char *want) {
    const char *got = read_file(path);
    expect(name, strcmp(got, want) == 0, "%s: got %s", path, got);
}

static void expect_write(const char *name, const char *path, const char *text, int want) {
    int r = write_file(path, text);
    expect(name, r == want, "%s <- %s: %s", path, text, r < 0 ? errno_name(-r) : "ok");
}

struct msg {
    long mtype;
    char mtext[200];
};

static void defaults(void) {
    expect_file("msgmax", "/proc/sys/kernel/msgmax", "8192\n");
    expect_file("msgmnb", "/proc/sys/kernel/msgmnb", "16384\n");
    expect_file("msgmni", "/proc/sys/kernel/msgmni", "32000\n");
    expect_file("shmmax", "/proc/sys/kernel/shmmax", "18446744073692774399\n");
    expect_file("shmall", "/proc/sys/kernel/shmall", "18446744073692774399\n");
    expect_file("shmmni", "/proc/sys/kernel/shmmni", "4096\n");
    expect_file("sem", "/proc/sys/kernel/sem", "32000\t1024000000\t500\t32000\n");
    struct stat st;
    expect("mode 0644", stat("/proc/sys/kernel/msgmax", &st) == 0 && (st.st_mode & 0777) == 0644, "%o",
           st.st_mode);
}

static void writes_apply(void) {
    pid_t c = xfork();
    if (c == 0) {
        if (unshare(CLONE_NEWIPC) < 0)
            _exit(9);
        expect_file("new namespace: defaults", "/proc/sys/kernel/msgmax", "8192\n");
        expect_write("msgmax 100", "/proc/sys/kernel/msgmax", "100\n", 0);
        expect_file("msgmax shows 100", "/proc/sys/kernel/msgmax", "100\n");
        int q = msgget(IPC_PRIVATE, 0600);
        struct msg m = {.mtype = 1};
        EXPECT_OK("msgsnd 100", msgsnd(q, &m, 100, IPC_NOWAIT));
        EXPECT_ERR("msgsnd 101", msgsnd(q, &m, 101, IPC_NOWAIT), EINVAL);
        struct msginfo mi;
        msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
        expect("ipc_info msgmax", mi.msgmax == 100, "%d", mi.msgmax);

        expect_write("msgmnb 150", "/proc/sys/kernel/msgmnb", "150", 0);
        int q2 = msgget(IPC_PRIVATE, 0600);
        struct msqid_ds ds;
        msgctl(q2, IPC_STAT, &ds);
        expect("new queue's qbytes", ds.msg_qbytes == 150, "%lu", (unsigned long)ds.msg_qbytes);
        msgctl(q, IPC_STAT, &ds);
        expect("old queue's qbytes kept", ds.msg_qbytes == 16384, "%lu", (unsigned long)ds.msg_qbytes);

        expect_write("msgmni 2", "/proc/sys/kernel/msgmni", "2", 0);
        EXPECT_ERR("msgget past msgmni", msgget(IPC_PRIVATE, 0600), ENOSPC);
        msgctl(q2, IPC_RMID, NULL);
        EXPECT_OK("msgget under msgmni", msgget(IPC_PRIVATE, 0600));

        expect_write("shmmax 8192", "/proc/sys/kernel/shmmax", "8192", 0);
        EXPECT_ERR("shmget past shmmax", shmget(IPC_PRIVATE, 8193, 0600), EINVAL);
        int s = shmget(IPC_PRIVATE, 8192, 0600);
        expect("shmget at shmmax", s >= 0, "%s", errno_name(errno));
        expect_write("shmall 3", "/proc/sys/kernel/shmall", "3", 0);
        EXPECT_ERR("shmget past shmall", shmget(IPC_PRIVATE, 8192, 0600), ENOSPC);
        EXPECT_OK("shmget within shmall", shmget(IPC_PRIVATE, 4096, 0600));
        struct shminfo si;
        shmctl(0, IPC_INFO, (struct shmid_ds *)&si);
        expect("ipc_info shmmax shmall", si.shmmax == 8192 && si.shmall == 3, "%lu %lu", si.shmmax, si.shmall);
        expect_write("shmmni 2", "/proc/sys/kernel/shmmni", "2", 0);
        EXPECT_ERR("shmget past shmmni", shmget(IPC_PRIVATE, 1, 0600), ENOSPC);

        expect_write("sem", "/proc/sys/kernel/sem", "10 20 5 3\n", 0);
        expect_file("sem shows", "/proc/sys/kernel/sem", "10\t20\t5\t3\n");
        EXPECT_ERR("semget past semmsl", semget(IPC_PRIVATE, 11, 0600), EINVAL);
        int sid = semget(IPC_PRIVATE, 10, 0600);
        expect("semget at semmsl", sid >= 0, "%s", errno_name(errno));
        EXPECT_OK("semget up to semmns", semget(IPC_PRIVATE, 10, 0600));
        EXPECT_ERR("semget past semmns", semget(IPC_PRIVATE, 1, 0600), ENOSPC);
        struct sembuf ops[6] = {{0, 1, 0}, {0, 1, 0}, {0, 1, 0}, {0, 1, 0}, {0, 1, 0}, {0, 1, 0}};
        EXPECT_ERR("semop past semopm", semop(sid, ops, 6), E2BIG);
        EXPECT_OK("semop at semopm", semop(sid, ops, 5));
        struct seminfo sm;
        semctl(0, 0, IPC_INFO, (struct seminfo *)&sm);
        expect("ipc_info sem", sm.semmsl == 10 && sm.semmns == 20 && sm.semopm == 5 && sm.semmni == 3, "%d %d %d %d",
               sm.semmsl, sm.semmns, sm.semopm, sm.semmni);
        _exit(0);
    }
    const char *ct = wait_text(c);
    expect("child", strcmp(ct, "exited 0") == 0, "%s", ct);
    expect_file("parent's msgmax untouched", "/proc/sys/kernel/msgmax", "8192\n");
    expect_file("parent's sem untouched", "/proc/sys/kernel/sem", "32000\t1024000000\t500\t32000\n");
}

static void bad_writes(void) {
    pid_t c = xfork();
    if (c == 0) {
        if (unshare(CLONE_NEWIPC) < 0)
            _exit(9);
        expect_write("negative msgmax", "/proc/sys/kernel/msgmax", "-1", -EINVAL);
        expect_write("not a number", "/proc/sys/kernel/msgmnb", "abc", -EINVAL);
        expect_write("msgmni past int", "/proc/sys/kernel/msgmni", "4294967296", -EINVAL);
        expect_write("shmmni past ipcmni", "/proc/sys/kernel/shmmni", "40000", -EINVAL);
        expect_write("shmmni ipcmni", "/proc/sys/kernel/shmmni", "32768", 0);
        expect_write("semmni past ipcmni", "/proc/sys/kernel/sem", "1 2 3 40000", -ERANGE);
        expect_file("semmni kept, others written", "/proc/sys/kernel/sem", "1\t2\t3\t32000\n");
        expect_file("bad writes left msgmax", "/proc/sys/kernel/msgmax", "8192\n");
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(9);
        expect_write("other user", "/proc/sys/kernel/msgmax", "10", -EACCES);
        _exit(0);
    }
    const char *ct = wait_text(c);
    expect("child", strcmp(ct, "exited 0") == 0, "%s", ct);
}

/* shm_dtime and shm_lpid follow attachments that go at exit or exec. */
static void shm_exit_times(void) {
    int id = shmget(IPC_PRIVATE, 4096, 0600);
    char *p = shmat(id, NULL, 0);
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    expect("attached", p != (void *)-1 && ds.shm_lpid == getpid() && ds.shm_dtime == 0, "lpid %d", ds.shm_lpid);
    int go[2];
    if (pipe(go) < 0)
        return;
    pid_t c = xfork();
    if (c == 0) {
        char x;
        read(go[0], &x, 1);
        _exit(0);
    }
    shmctl(id, IPC_STAT, &ds);
    expect("fork attaches: nattch 2, lpid the parent", ds.shm_nattch == 2 && ds.shm_lpid == getpid(), "%lu %d",
           (unsigned long)ds.shm_nattch, ds.shm_lpid);
    write(go[1], "x", 1);
    wait_text(c);
    shmctl(id, IPC_STAT, &ds);
    expect("exit detaches: lpid the child, dtime set", ds.shm_nattch == 1 && ds.shm_lpid == c && ds.shm_dtime != 0,
           "nattch %lu lpid %d (child %d) dtime %ld", (unsigned long)ds.shm_nattch, ds.shm_lpid, c,
           (long)ds.shm_dtime);
    c = xfork();
    if (c == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    const char *ct = wait_text(c);
    shmctl(id, IPC_STAT, &ds);
    expect("exec detaches too", strcmp(ct, "exited 0") == 0 && ds.shm_nattch == 1 && ds.shm_lpid == c, "%s %lu %d",
           ct, (unsigned long)ds.shm_nattch, ds.shm_lpid);
    shmdt(p);
    shmctl(id, IPC_STAT, &ds);
    expect("shmdt", ds.shm_nattch == 0 && ds.shm_lpid == getpid(), "%lu %d", (unsigned long)ds.shm_nattch,
           ds.shm_lpid);
    shmctl(id, IPC_RMID, NULL);
}

static const struct test_group groups[] = {
    {"defaults", defaults},
    {"writes_apply", writes_apply},
    {"bad_writes", bad_writes},
    {"shm_exit_times", shm_exit_times},
};

int main(int argc, char **argv) {
    return RUN_GROUPS(argc, argv, groups);
}
