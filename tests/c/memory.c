/*
 * msync, mincore and the mlock family, checked against Linux: each group
 * runs natively and under husk and must print the same lines
 * (tests/vfs_syscalls.rs).
 */
#include "vfs_test.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/wait.h>

static long page;

static void g_msync(void) {
    scratch_init();
    page = sysconf(_SC_PAGESIZE);
    put_file("f", "0123456789");
    int fd = open("f", O_RDWR);
    ftruncate(fd, 2 * page);
    char *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memcpy(m, "written-by-map", 14);
    EXPECT_OK("sync", msync(m, 2 * page, MS_SYNC));
    EXPECT_OK("async", msync(m, page, MS_ASYNC));
    EXPECT_OK("invalidate", msync(m, page, MS_INVALIDATE));
    EXPECT_OK("zero-length", msync(m, 0, MS_SYNC));
    EXPECT_OK("unaligned-length", msync(m, 10, MS_SYNC));
    char buf[16] = {0};
    pread(fd, buf, 14, 0);
    expect("file-sees-map", memcmp(buf, "written-by-map", 14) == 0, "%s", buf);
    EXPECT_ERR("unaligned-address", msync(m + 1, page, MS_SYNC), EINVAL);
    EXPECT_ERR("async-and-sync", msync(m, page, MS_ASYNC | MS_SYNC), EINVAL);
    EXPECT_ERR("unknown-flag", msync(m, page, 8), EINVAL);
    EXPECT_ERR("wraps", msync(m, (size_t)-page, MS_SYNC), ENOMEM);
    munmap(m + page, page);
    EXPECT_ERR("hole-sync", msync(m, 2 * page, MS_SYNC), ENOMEM);
    EXPECT_ERR("hole-async", msync(m, 2 * page, MS_ASYNC), ENOMEM);
    EXPECT_ERR("unmapped", msync(m + page, page, MS_SYNC), ENOMEM);
    char *anon = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_OK("anonymous", msync(anon, page, MS_SYNC));
    /* Another process sees the shared mapping's write in the file. */
    pid_t c = xfork();
    if (c == 0) {
        memcpy(m, "child", 5);
        msync(m, page, MS_SYNC);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    pread(fd, buf, 5, 0);
    expect("child-write-in-file", memcmp(buf, "child", 5) == 0, "%.5s", buf);
    close(fd);
}

static void g_mincore(void) {
    page = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char vec[4] = {9, 9, 9, 9};
    m[0] = 1;
    m[2 * page] = 1;
    EXPECT_OK("mincore", mincore(m, 4 * page, vec));
    expect("touched-resident", (vec[0] & 1) && (vec[2] & 1), "%d %d", vec[0], vec[2]);
    expect("untouched-absent", !(vec[1] & 1) && !(vec[3] & 1), "%d %d", vec[1], vec[3]);
    EXPECT_OK("partial-page-length", mincore(m, page + 1, vec));
    EXPECT_ERR("unaligned", mincore(m + 1, page, vec), EINVAL);
    EXPECT_ERR("bad-vector", mincore(m, page, (unsigned char *)8), EFAULT);
    munmap(m + page, page);
    EXPECT_ERR("hole", mincore(m, 4 * page, vec), ENOMEM);
    EXPECT_ERR("kernel-address", mincore((void *)0xffff800000000000UL, page, vec), ENOMEM);
    EXPECT_OK("zero-length", mincore(m, 0, vec));
}

static void g_mlock(void) {
    page = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_OK("mlock", mlock(m, 2 * page));
    EXPECT_OK("mlock-unaligned-start", mlock(m + 10, 100));
    unsigned char vec[2];
    mincore(m, 2 * page, vec);
    expect("locked-resident", (vec[0] & 1) && (vec[1] & 1), "%d %d", vec[0], vec[1]);
    EXPECT_OK("munlock", munlock(m, 2 * page));
    EXPECT_OK("mlock2-onfault", mlock2(m, page, MLOCK_ONFAULT));
    EXPECT_ERR("mlock2-bad-flag", mlock2(m, page, 2), EINVAL);
    EXPECT_OK("zero-length", mlock(m, 0));
    munmap(m + 2 * page, page);
    EXPECT_ERR("hole", mlock(m, 4 * page), ENOMEM);
    EXPECT_ERR("munlock-hole", munlock(m, 4 * page), ENOMEM);
    EXPECT_ERR("mlockall-zero", mlockall(0), EINVAL);
    EXPECT_ERR("mlockall-onfault-alone", mlockall(MCL_ONFAULT), EINVAL);
    EXPECT_ERR("mlockall-bad-flag", mlockall(8), EINVAL);
    EXPECT_OK("mlockall", mlockall(MCL_CURRENT | MCL_FUTURE));
    EXPECT_OK("munlockall", munlockall());
    /* An unprivileged process: RLIMIT_MEMLOCK decides. */
    pid_t c = xfork();
    if (c == 0) {
        struct rlimit rl = {page, page};
        setrlimit(RLIMIT_MEMLOCK, &rl);
        if (setgid(65534) != 0 || setuid(65534) != 0)
            printf("setuid: %s\n", errno_name(errno));
        EXPECT_OK("within-limit", mlock(m, page));
        EXPECT_ERR("over-limit", mlock(m + page, page), ENOMEM);
        munlock(m, page);
        EXPECT_ERR("mlockall-over-limit", mlockall(MCL_CURRENT), ENOMEM);
        struct rlimit zero = {0, 0};
        setrlimit(RLIMIT_MEMLOCK, &zero);
        EXPECT_ERR("zero-limit", mlock(m, page), EPERM);
        EXPECT_ERR("mlockall-zero-limit", mlockall(MCL_FUTURE), EPERM);
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
}

/* Whether `p` is inside a mapping /proc/self/maps lists. */
static int listed(void *p) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned long s, e;
    int found = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "%lx-%lx", &s, &e) == 2 && (unsigned long)p >= s && (unsigned long)p < e)
            found = 1;
    if (f)
        fclose(f);
    return found;
}

/* MADV_DONTFORK leaves a range out of a forked child (it is free there),
 * MADV_DOFORK undoes it; MADV_WIPEONFORK gives the child zeros. */
static void g_fork_advice(void) {
    page = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *w = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(m, 'A', 3 * page);
    w[0] = 'W';
    EXPECT_OK("dontfork", madvise(m + page, page, MADV_DONTFORK));
    EXPECT_OK("wipeonfork", madvise(w, page, MADV_WIPEONFORK));
    EXPECT_ERR("wipeonfork-file", madvise((void *)g_fork_advice, page, MADV_WIPEONFORK), EINVAL);
    pid_t c = xfork();
    if (c == 0) {
        expect("child-keeps-neighbours", m[0] == 'A' && m[2 * page] == 'A', "%c %c", m[0], m[2 * page]);
        expect("child-lacks-range", !listed(m + page), "listed");
        expect("child-wiped", w[0] == 0, "%d", w[0]);
        void *q = mmap(m + page, page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        expect("child-maps-the-hole", q == m + page, "%p", q);
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    c = xfork();
    if (c == 0) {
        signal(SIGSEGV, SIG_DFL);
        *(volatile char *)(m + page) = 1;
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    expect("child-access-faults", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "status %#x", st);
    expect("parent-keeps-all", m[page] == 'A' && w[0] == 'W', "%c %c", m[page], w[0]);
    EXPECT_OK("dofork", madvise(m + page, page, MADV_DOFORK));
    c = xfork();
    if (c == 0) {
        expect("child-gets-range-again", m[page] == 'A' && listed(m + page), "%c", m[page]);
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
}

static const struct test_group groups[] = {
    {"msync", g_msync},
    {"mincore", g_mincore},
    {"mlock", g_mlock},
    {"fork_advice", g_fork_advice},
};

int main(int argc, char **argv) {
    return RUN_GROUPS(argc, argv, groups);
}
