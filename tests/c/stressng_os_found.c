/*
 * Kernel behaviours of memory, signals, timers and scheduling that
 * stress-ng's VM, MEMORY, INTERRUPT and SCHEDULER stressors rely on and
 * husk once got wrong: each stressor was run natively and under `husk do`,
 * and each group here is the smallest reproduction of one divergence found
 * (the stressor is named in the group's comment).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "husk_test.h"

/* "name: ok" when mmap's result `p` is a mapping (werr 0) or failed with
 * errno `werr`. */
static void want_map(const char *name, void *p, int werr) {
    if (werr == 0)
        expect(name, p != MAP_FAILED, "%s", errno_name(errno));
    else
        expect(name, p == MAP_FAILED && errno == werr, "%s", p == MAP_FAILED ? errno_name(errno) : "mapped");
}

/* "name: ok" when child `pid` exits with status 0. */
static void want_exit0(const char *name, pid_t pid) {
    const char *st = wait_text(pid);
    expect(name, strcmp(st, "exited 0") == 0, "%s", st);
}

/* mmap of /dev/zero (bad-altstack maps it read-only as its bad stack).
 * Linux's mmap_zero makes a private mapping anonymous memory and a shared
 * one a new shared anonymous object (a child's writes show in the parent);
 * the usual access checks come first; /dev/null and /dev/full have no
 * mmap (ENODEV). */
static void g_dev_zero_mmap(void) {
    int ro = open("/dev/zero", O_RDONLY);
    char *p = mmap(NULL, 65536, PROT_READ, MAP_PRIVATE, ro, 0);
    want_map("private-readonly", p, 0);
    if (p != MAP_FAILED) {
        expect("private-reads-zero", p[0] == 0 && p[65535] == 0, "no");
        munmap(p, 65536);
    }
    p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 4096);
    want_map("private-writable-from-readonly-fd", p, 0);
    if (p != MAP_FAILED) {
        p[0] = 7;
        expect("private-written", p[0] == 7 && p[1] == 0, "no");
        munmap(p, 8192);
    }
    want_map("shared-writable-readonly-fd", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
    close(ro);

    int rw = open("/dev/zero", O_RDWR);
    volatile int *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
    want_map("shared-rw", (void *)s, 0);
    if (s != MAP_FAILED) {
        pid_t pid = xfork();
        if (pid == 0) {
            s[1] = 42;
            _exit(0);
        }
        want_exit0("child", pid);
        expect("shared-seen-by-parent", s[1] == 42, "no");
        munmap((void *)s, 4096);
    }
    volatile int *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, rw, 0);
    if (q != MAP_FAILED) {
        pid_t pid = xfork();
        if (pid == 0) {
            q[1] = 42;
            _exit(0);
        }
        want_exit0("private-child", pid);
        expect("private-not-seen-by-parent", q[1] == 0, "no");
        munmap((void *)q, 4096);
    }
    close(rw);

    int wo = open("/dev/zero", O_WRONLY);
    want_map("writeonly-fd", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
    close(wo);
    int null = open("/dev/null", O_RDWR);
    want_map("dev-null", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, null, 0), ENODEV);
    close(null);
    int full = open("/dev/full", O_RDWR);
    want_map("dev-full", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, full, 0), ENODEV);
    close(full);
}

/* vmsplice(2) (vm-splice moves 64 KiB pages into a pipe and splices them
 * to /dev/null; husk had no vmsplice, ENOSYS). Into a pipe it waits for
 * room once and then takes what fits (a single-threaded caller does not
 * hang on more than the pipe holds); out of one it reads as readv; only
 * SPLICE_F_NONBLOCK keeps it from waiting. */
static void g_vmsplice(void) {
    int p[2];
    if (pipe(p) < 0)
        printf("pipe: %s\n", errno_name(errno));
    char a[] = "hello ", b[] = "vmsplice", c[] = "!";
    struct iovec in[3] = {{a, 6}, {b, 8}, {c, 1}};
    expect_ret("to-pipe", vmsplice(p[1], in, 3, 0), errno, 15, 0);
    char out[32] = {0};
    struct iovec o1[2] = {{out, 5}, {out + 5, 20}};
    expect_ret("from-pipe", vmsplice(p[0], o1, 2, 0), errno, 15, 0);
    expect("from-pipe-data", memcmp(out, "hello vmsplice!", 15) == 0, "no");
    EXPECT_ERR("from-empty-nonblock", vmsplice(p[0], o1, 2, SPLICE_F_NONBLOCK), EAGAIN);
    EXPECT_ERR("bad-flags", vmsplice(p[1], in, 3, 0x10), EINVAL);
    EXPECT_ERR("bad-fd", vmsplice(-1, in, 3, 0), EBADF);
    EXPECT_ERR("bad-buffer", vmsplice(p[1], &(struct iovec){(void *)8, 16}, 1, 0), EFAULT);
    EXPECT_ERR("too-many-segments", vmsplice(p[1], in, 1025, 0), EINVAL);
    int null = open("/dev/null", O_RDWR);
    EXPECT_ERR("not-a-pipe", vmsplice(null, in, 3, 0), EBADF);
    expect_ret("not-a-pipe-empty", vmsplice(null, &(struct iovec){a, 0}, 1, 0), errno, 0, 0);
    close(null);

    /* More than the pipe holds: what fits, then no waiting. (Page-aligned:
     * Linux's pipe buffers then hold whole pages of it.) */
    size_t cap = (size_t)fcntl(p[1], F_GETPIPE_SZ);
    char *big = mmap(NULL, cap * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect_ret("fill", vmsplice(p[1], &(struct iovec){big, cap * 2}, 1, 0), errno, (long)cap, 0);
    EXPECT_ERR("full-nonblock", vmsplice(p[1], &(struct iovec){big, 1}, 1, SPLICE_F_NONBLOCK), EAGAIN);
    int fl = fcntl(p[0], F_GETFL);
    fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
    long drained = 0, r;
    while ((r = read(p[0], big, cap * 2)) > 0)
        drained += r;
    expect("drained", drained == (long)cap, "%ld", drained);
    munmap(big, cap * 2);

    /* A pipe without readers: EPIPE (and SIGPIPE, ignored here). */
    signal(SIGPIPE, SIG_IGN);
    close(p[0]);
    EXPECT_ERR("no-reader", vmsplice(p[1], in, 3, 0), EPIPE);
    signal(SIGPIPE, SIG_DFL);
    close(p[1]);

    if (pipe(p) < 0)
        printf("pipe: %s\n", errno_name(errno));
    close(p[1]);
    expect_ret("from-pipe-eof", vmsplice(p[0], o1, 2, 0), errno, 0, 0);
    close(p[0]);
}

struct sched_attr_v1 {
    unsigned size, policy;
    unsigned long long flags;
    int nice;
    unsigned priority;
    unsigned long long runtime, deadline, period;
    unsigned util_min, util_max;
};

static long setattr(struct sched_attr_v1 *a, unsigned flags) {
    return syscall(SYS_sched_setattr, 0, a, flags);
}

/* sched_setattr/sched_getattr (cyclic sets SCHED_DEADLINE with them, and
 * schedpolicy every policy; husk had neither, ENOSYS). The normal policies
 * and nice values as sched_setscheduler/setpriority keep them; the checks
 * in Linux's order; a process that is not root gets EPERM for the real-time
 * and deadline policies. */
static void g_sched_attr(void) {
    struct sched_attr_v1 a = {0};
    EXPECT_OK("get", syscall(SYS_sched_getattr, 0, &a, sizeof a, 0));
    expect("get-size", a.size == 56, "%u", a.size);
    expect("get-normal", a.policy == SCHED_OTHER && a.nice == 0 && a.flags == 0, "%u %d", a.policy, a.nice);
    a.size = 99;
    EXPECT_OK("get-v0", syscall(SYS_sched_getattr, 0, &a, 48, 0));
    expect("get-v0-size", a.size == 48, "%u", a.size);
    EXPECT_ERR("get-small", syscall(SYS_sched_getattr, 0, &a, 40, 0), EINVAL);
    EXPECT_ERR("get-huge", syscall(SYS_sched_getattr, 0, &a, 8192, 0), EINVAL);
    EXPECT_ERR("get-flags", syscall(SYS_sched_getattr, 0, &a, sizeof a, 1), EINVAL);
    EXPECT_ERR("get-null", syscall(SYS_sched_getattr, 0, NULL, sizeof a, 0), EINVAL);
    EXPECT_ERR("get-negative-pid", syscall(SYS_sched_getattr, -1, &a, sizeof a, 0), EINVAL);
    EXPECT_ERR("get-no-such-pid", syscall(SYS_sched_getattr, 999999, &a, sizeof a, 0), ESRCH);
    EXPECT_ERR("get-fault", syscall(SYS_sched_getattr, 0, (void *)8, sizeof a, 0), EFAULT);

    pid_t pid = xfork();
    if (pid == 0) {
        alone_as(65534);
        struct sched_attr_v1 s = {.size = sizeof s, .policy = SCHED_BATCH, .nice = 5};
        EXPECT_OK("set-batch-nice", setattr(&s, 0));
        expect("batch-seen", sched_getscheduler(0) == SCHED_BATCH, "no");
        errno = 0;
        expect("nice-seen", getpriority(PRIO_PROCESS, 0) == 5, "no");
        struct sched_attr_v1 g = {0};
        syscall(SYS_sched_getattr, 0, &g, sizeof g, 0);
        expect("get-batch", g.policy == SCHED_BATCH && g.nice == 5, "%u %d", g.policy, g.nice);
        s.nice = 2;
        EXPECT_ERR("raise-nice-unprivileged", setattr(&s, 0), EPERM);
        s = (struct sched_attr_v1){.size = 0, .policy = SCHED_OTHER, .nice = 100};
        EXPECT_OK("size-zero-is-v0-nice-clamped", setattr(&s, 0));
        expect("nice-clamped", getpriority(PRIO_PROCESS, 0) == 19, "no");
        s = (struct sched_attr_v1){.size = sizeof s, .policy = SCHED_IDLE, .flags = 1};
        EXPECT_OK("set-idle-reset-on-fork", setattr(&s, 0));
        expect("idle-reset-seen", sched_getscheduler(0) == (SCHED_IDLE | SCHED_RESET_ON_FORK), "no");
        syscall(SYS_sched_getattr, 0, &g, sizeof g, 0);
        expect("get-idle", g.policy == SCHED_IDLE && g.flags == 1, "%u %llu", g.policy, g.flags);
        s = (struct sched_attr_v1){.size = sizeof s, .policy = SCHED_OTHER};
        EXPECT_ERR("drop-reset-on-fork-unprivileged", setattr(&s, 0), EPERM);
        s = (struct sched_attr_v1){.size = sizeof s, .policy = SCHED_FIFO, .priority = 1, .flags = 1};
        EXPECT_ERR("fifo-unprivileged", setattr(&s, 0), EPERM);
        s = (struct sched_attr_v1){.size = sizeof s, .policy = SCHED_DEADLINE, .flags = 1,
                                   .runtime = 10000000, .deadline = 30000000, .period = 30000000};
        EXPECT_ERR("deadline-unprivileged", setattr(&s, 0), EPERM);
        s = (struct sched_attr_v1){.size = sizeof s, .policy = SCHED_IDLE, .flags = 1 | 0x08};
        s.policy = 12345;
        EXPECT_OK("keep-policy", setattr(&s, 0));
        _exit(0);
    }
    want_exit0("child", pid);

    struct sched_attr_v1 s = {.size = sizeof s, .policy = 7};
    EXPECT_ERR("bad-policy", setattr(&s, 0), EINVAL);
    s = (struct sched_attr_v1){.size = sizeof s, .policy = (unsigned)-1};
    EXPECT_ERR("negative-policy", setattr(&s, 0), EINVAL);
    s = (struct sched_attr_v1){.size = sizeof s, .flags = 0x80};
    EXPECT_ERR("bad-flag", setattr(&s, 0), EINVAL);
    s = (struct sched_attr_v1){.size = sizeof s, .priority = 1};
    EXPECT_ERR("priority-for-normal", setattr(&s, 0), EINVAL);
    s = (struct sched_attr_v1){.size = sizeof s, .policy = SCHED_FIFO};
    EXPECT_ERR("fifo-priority-zero", setattr(&s, 0), EINVAL);
    s = (struct sched_attr_v1){.size = sizeof s, .policy = SCHED_FIFO, .priority = 100};
    EXPECT_ERR("fifo-priority-100", setattr(&s, 0), EINVAL);
    s = (struct sched_attr_v1){.size = sizeof s, .policy = SCHED_DEADLINE, .runtime = 10, .deadline = 30000000};
    EXPECT_ERR("deadline-runtime-too-small", setattr(&s, 0), EINVAL);
    s = (struct sched_attr_v1){.size = sizeof s, .policy = SCHED_DEADLINE, .runtime = 20000000, .deadline = 10000000};
    EXPECT_ERR("deadline-runtime-past-deadline", setattr(&s, 0), EINVAL);
    s = (struct sched_attr_v1){.size = sizeof s, .policy = SCHED_DEADLINE, .runtime = 20000, .deadline = 50000};
    EXPECT_ERR("deadline-period-too-short", setattr(&s, 0), EINVAL);
    s = (struct sched_attr_v1){.size = 40};
    EXPECT_ERR("set-small", setattr(&s, 0), E2BIG);
    expect("set-small-size-written", s.size == 56, "%u", s.size);
    static char bigattr[200];
    memset(bigattr, 0, sizeof bigattr);
    *(unsigned *)bigattr = sizeof bigattr;
    EXPECT_OK("set-larger-zeroed", syscall(SYS_sched_setattr, 0, bigattr, 0));
    bigattr[150] = 1;
    EXPECT_ERR("set-larger-nonzero", syscall(SYS_sched_setattr, 0, bigattr, 0), E2BIG);
    expect("set-larger-size-written", *(unsigned *)bigattr == 56, "%u", *(unsigned *)bigattr);
    s = (struct sched_attr_v1){.size = 48, .flags = 0x20};
    EXPECT_ERR("clamp-in-v0", setattr(&s, 0), EINVAL);
    s = (struct sched_attr_v1){.size = sizeof s};
    EXPECT_ERR("set-flags", setattr(&s, 1), EINVAL);
    EXPECT_ERR("set-null", syscall(SYS_sched_setattr, 0, NULL, 0), EINVAL);
    EXPECT_ERR("set-negative-pid", syscall(SYS_sched_setattr, -1, &s, 0), EINVAL);
    EXPECT_ERR("set-no-such-pid", syscall(SYS_sched_setattr, 999999, &s, 0), ESRCH);
    EXPECT_ERR("set-fault", syscall(SYS_sched_setattr, 0, (void *)8, 0), EFAULT);
}

/* remap_file_pages(2) (remap reorders the pages of a shared mapping with
 * it; husk had none, ENOSYS). Linux emulates it with a new shared mapping
 * of the same object at the page offset asked for: the page then shows
 * (and writes through to) that page of the object. */
static void g_remap_file_pages(void) {
    long pg = 4096;
    int *a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 4; i++)
        a[i * pg / 4] = i;
    EXPECT_OK("anon", remap_file_pages(a, pg, 0, 2, 0));
    expect("anon-page0-shows-2", a[0] == 2, "%d", a[0]);
    a[1] = 77;
    expect("anon-write-through", a[2 * pg / 4 + 1] == 77, "%d", a[2 * pg / 4 + 1]);
    EXPECT_OK("anon-two-pages", remap_file_pages((char *)a + 2 * pg, 2 * pg, 0, 0, 0));
    expect("anon-pages-2-3-show-0-1", a[2 * pg / 4] == 0 && a[3 * pg / 4] == 1, "%d %d", a[2 * pg / 4],
           a[3 * pg / 4]);
    pid_t pid = xfork();
    if (pid == 0)
        _exit(a[0] == 2 && a[3 * pg / 4] == 1 ? 0 : 1);
    want_exit0("child-sees-remapped", pid);
    EXPECT_OK("unaligned-rounds-down", remap_file_pages((char *)a + 100, pg + 100, 0, 0, 0));
    expect("unaligned-page0-shows-0", a[0] == 0, "%d", a[0]);
    EXPECT_ERR("prot", remap_file_pages(a, pg, PROT_READ, 0, 0), EINVAL);
    EXPECT_ERR("size-zero", remap_file_pages(a, 0, 0, 0, 0), EINVAL);
    EXPECT_ERR("past-the-mapping", remap_file_pages(a, 8 * pg, 0, 0, 0), EINVAL);
    munmap((char *)a + 3 * pg, pg);
    EXPECT_ERR("unmapped", remap_file_pages((char *)a + 3 * pg, pg, 0, 0, 0), EINVAL);
    munmap(a, 3 * pg);

    /* Every page of a larger mapping in reverse order, as remap does. */
    int *r = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 16; i++)
        r[i * pg / 4] = i;
    int bad = 0;
    for (int i = 0; i < 16; i++)
        bad |= remap_file_pages((char *)r + i * pg, pg, 0, 15 - i, 0) != 0;
    for (int i = 0; i < 16; i++)
        bad |= r[i * pg / 4] != 15 - i;
    expect("reversed", !bad, "%s", errno_name(errno));
    munmap(r, 16 * pg);

    int fd = memfd_create("remap", 0);
    char buf[4096];
    for (int i = 0; i < 4; i++) {
        memset(buf, 'a' + i, sizeof buf);
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
            printf("write: %s\n", errno_name(errno));
    }
    char *f = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    EXPECT_OK("file", remap_file_pages(f, pg, 0, 3, 0));
    expect("file-page0-shows-d", f[0] == 'd' && f[pg] == 'b', "%c %c", f[0], f[pg]);
    f[0] = 'z';
    char c = 0;
    if (pread(fd, &c, 1, 3 * pg) != 1)
        printf("pread: %s\n", errno_name(errno));
    expect("file-write-through", c == 'z', "%c", c);
    munmap(f, 4 * pg);
    char *pv = mmap(NULL, 4 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
    EXPECT_ERR("private-file", remap_file_pages(pv, pg, 0, 1, 0), EINVAL);
    munmap(pv, 4 * pg);
    close(fd);
    char *anon = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_ERR("private-anon", remap_file_pages(anon, pg, 0, 0, 0), EINVAL);
    munmap(anon, pg);
}

/* pidfd_getfd(2) (pidfd tries it on its child; husk had none, ENOSYS):
 * a close-on-exec duplicate of another process's descriptor, sharing its
 * open file description, for a caller that may ptrace it; none from a
 * process that has exited (ESRCH, a zombie too). */
static void g_pidfd_getfd(void) {
    int q[2], go[2], ready[2];
    if (pipe(q) < 0 || pipe(go) < 0 || pipe(ready) < 0)
        printf("pipe: %s\n", errno_name(errno));
    pid_t pid = xfork();
    if (pid == 0) {
        dup2(q[1], 50);
        char c = 'r';
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        while (read(go[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    char r;
    if (read(ready[0], &r, 1) != 1)
        printf("ready: %s\n", errno_name(errno));
    int pfd = syscall(SYS_pidfd_open, pid, 0);
    long fd = syscall(SYS_pidfd_getfd, pfd, 50, 0);
    expect("getfd", fd >= 0, "%s", errno_name(errno));
    if (fd >= 0) {
        expect("cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC, "%d", fcntl(fd, F_GETFD));
        char c = 0;
        if (write(fd, "x", 1) != 1 || read(q[0], &c, 1) != 1)
            printf("through: %s\n", errno_name(errno));
        expect("same-file", c == 'x', "%c", c);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        close(fd);
    }
    EXPECT_ERR("flags", syscall(SYS_pidfd_getfd, pfd, 50, 1), EINVAL);
    EXPECT_ERR("no-such-fd", syscall(SYS_pidfd_getfd, pfd, 999, 0), EBADF);
    EXPECT_ERR("not-a-pidfd", syscall(SYS_pidfd_getfd, q[0], 50, 0), EBADF);
    EXPECT_ERR("bad-pidfd", syscall(SYS_pidfd_getfd, -1, 50, 0), EBADF);
    if (write(go[1], "g", 1) != 1)
        printf("go: %s\n", errno_name(errno));
    siginfo_t si;
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
    EXPECT_ERR("zombie", syscall(SYS_pidfd_getfd, pfd, 50, 0), ESRCH);
    want_exit0("child", pid);
    EXPECT_ERR("reaped", syscall(SYS_pidfd_getfd, pfd, 50, 0), ESRCH);
    close(pfd);

    /* Not allowed to ptrace the target: EPERM. */
    pid = xfork();
    if (pid == 0) {
        int parent = syscall(SYS_pidfd_open, getppid(), 0);
        alone_as(65534);
        EXPECT_ERR("unprivileged", syscall(SYS_pidfd_getfd, parent, 0, 0), EPERM);
        _exit(0);
    }
    want_exit0("unprivileged-child", pid);
}

struct waitv {
    unsigned long long val, uaddr;
    unsigned flags, reserved;
};

static int wv_words[3];

static void *wake_second(void *arg) {
    (void)arg;
    sleep_ms(50);
    wv_words[1] = 1;
    syscall(SYS_futex, &wv_words[1], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

/* futex_waitv(2) (futex exercises it beside futex(2); husk had none,
 * ENOSYS): a wait on several 32-bit futexes at once that returns the
 * index of the one woken, with Linux's argument checks. */
static void g_futex_waitv(void) {
    struct waitv w[3];
    for (int i = 0; i < 3; i++)
        w[i] = (struct waitv){0, (unsigned long)&wv_words[i], 2 | 128, 0};
    pthread_t th;
    pthread_create(&th, NULL, wake_second, NULL);
    struct timespec to;
    clock_gettime(CLOCK_MONOTONIC, &to);
    to.tv_sec += 5;
    long r = syscall(SYS_futex_waitv, w, 3, 0, &to, CLOCK_MONOTONIC);
    expect("woken-index", r == 1, "%ld %s", r, errno_name(errno));
    pthread_join(th, NULL);
    /* w[1] expects 0 but the word is now 1. */
    EXPECT_ERR("value-changed", syscall(SYS_futex_waitv, w, 3, 0, NULL, 0), EAGAIN);
    w[1].val = 1;
    clock_gettime(CLOCK_REALTIME, &to);
    to.tv_nsec += 20000000;
    if (to.tv_nsec >= 1000000000) {
        to.tv_sec++;
        to.tv_nsec -= 1000000000;
    }
    EXPECT_ERR("timeout", syscall(SYS_futex_waitv, w, 3, 0, &to, CLOCK_REALTIME), ETIMEDOUT);
    EXPECT_ERR("flags", syscall(SYS_futex_waitv, w, 3, 1, NULL, 0), EINVAL);
    EXPECT_ERR("none", syscall(SYS_futex_waitv, w, 0, 0, NULL, 0), EINVAL);
    EXPECT_ERR("null", syscall(SYS_futex_waitv, NULL, 3, 0, NULL, 0), EINVAL);
    EXPECT_ERR("too-many", syscall(SYS_futex_waitv, w, 129, 0, NULL, 0), EINVAL);
    EXPECT_ERR("bad-clock", syscall(SYS_futex_waitv, w, 3, 0, &to, CLOCK_BOOTTIME), EINVAL);
    EXPECT_ERR("bad-timeout", syscall(SYS_futex_waitv, w, 3, 0, (void *)8, CLOCK_MONOTONIC), EFAULT);
    EXPECT_ERR("bad-vector", syscall(SYS_futex_waitv, (void *)8, 3, 0, NULL, 0), EFAULT);
    struct waitv b = w[0];
    b.flags = 3;
    EXPECT_ERR("size-64", syscall(SYS_futex_waitv, &b, 1, 0, NULL, 0), EINVAL);
    b = w[0];
    b.reserved = 1;
    EXPECT_ERR("reserved", syscall(SYS_futex_waitv, &b, 1, 0, NULL, 0), EINVAL);
    b = w[0];
    b.val = 1ULL << 32;
    EXPECT_ERR("value-too-wide", syscall(SYS_futex_waitv, &b, 1, 0, NULL, 0), EINVAL);
    b = w[0];
    b.uaddr += 1;
    EXPECT_ERR("misaligned", syscall(SYS_futex_waitv, &b, 1, 0, NULL, 0), EINVAL);
    b = w[0];
    b.uaddr = 8;
    EXPECT_ERR("bad-word", syscall(SYS_futex_waitv, &b, 1, 0, NULL, 0), EFAULT);
}

/* MADV_DONTNEED_LOCKED (madvise tries every advice; husk refused this
 * one, EINVAL): MADV_DONTNEED that also drops locked pages, which then
 * read as zeros again. */
static void g_madv_dontneed_locked(void) {
    char *a = mmap(NULL, 12288, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(a + 8192, 4096);
    a[0] = 1;
    a[4096] = 2;
    EXPECT_ERR("dontneed-locked-page", (mlock(a, 4096), madvise(a, 8192, MADV_DONTNEED)), EINVAL);
    EXPECT_OK("dontneed-locked", madvise(a, 8192, MADV_DONTNEED_LOCKED));
    expect("dropped", a[0] == 0 && a[4096] == 0, "%d %d", a[0], a[4096]);
    EXPECT_ERR("unmapped", madvise(a + 8192, 4096, MADV_DONTNEED_LOCKED), ENOMEM);
    munmap(a, 8192);
}

static const struct test_group groups[] = {
    {"dev_zero_mmap", g_dev_zero_mmap},
    {"vmsplice", g_vmsplice},
    {"sched_attr", g_sched_attr},
    {"remap_file_pages", g_remap_file_pages},
    {"pidfd_getfd", g_pidfd_getfd},
    {"futex_waitv", g_futex_waitv},
    {"madv_dontneed_locked", g_madv_dontneed_locked},
};

int main(int argc, char **argv) { return RUN_GROUPS(argc, argv, groups); }
