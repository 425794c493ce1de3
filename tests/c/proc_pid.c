/*
 * proc_pid: files of /proc/PID that tools read beyond the basics:
 * mem (a process's memory at the file offset equal to the address), the
 * net directory (and /proc/net -> self/net), status's SigQ and context
 * switch lines, wchan, schedstat, coredump_filter, oom_adj, cpuset, the
 * POSIX timers list, pagemap, mountstats and the directory listings. Every check prints "name: ok" natively and under
 * husk. Run as root (the tests' native runs are), so a child may drop to
 * an unprivileged user to see what others see.
 *
 * Usage: proc_pid GROUP   (groups: mem net status wchan tunables timers pagemap
 *                          listing)
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBODY 65534


/* "Key:" of a status file as a number (the first one after the key). */
static long status_num(const char *path, const char *key) {
    char *s = slurp(path);
    char *p = s ? strstr(s, key) : NULL;
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* ---- mem ---- */

static volatile unsigned long shared_word = 0x1122334455667788UL;

/* The child: waits for the parent to change shared_word, exits 0 if it saw
 * the new value. */
static void child_waits_for_poke(int rfd) {
    char c;
    if (read(rfd, &c, 1) != 1)
        _exit(3);
    _exit(shared_word == 0xabcdefUL ? 0 : 1);
}

static void g_mem(void) {
    long page = sysconf(_SC_PAGESIZE);
    int fd = open("/proc/self/mem", O_RDWR);
    expect("open-self", fd >= 0, "%s", errno_name(errno));
    struct stat st;
    fstat(fd, &st);
    expect("mode-0600", (st.st_mode & 07777) == 0600 && S_ISREG(st.st_mode), "%o", st.st_mode);

    unsigned long v = 0;
    ssize_t n = pread(fd, &v, sizeof v, (off_t)&shared_word);
    expect("pread-own-word", n == 8 && v == 0x1122334455667788UL, "%zd %lx", n, v);

    /* lseek to the address, then read and write at the position. */
    off_t at = lseek(fd, (off_t)&shared_word, SEEK_SET);
    expect("lseek-set", at == (off_t)&shared_word, "%lx", (long)at);
    v = 0;
    n = read(fd, &v, sizeof v);
    expect("read-at-position", n == 8 && v == 0x1122334455667788UL, "%zd %lx", n, v);
    expect("position-advanced", lseek(fd, 0, SEEK_CUR) == (off_t)&shared_word + 8, "");
    EXPECT_ERR("lseek-end-einval", lseek(fd, 0, SEEK_END), EINVAL);
    unsigned long nv = 0x0102030405060708UL;
    n = pwrite(fd, &nv, sizeof nv, (off_t)&shared_word);
    expect("pwrite-own-word", n == 8 && shared_word == nv, "%zd %lx", n, shared_word);

    /* A read-only page and a PROT_NONE page are reached (FOLL_FORCE). */
    char *ro = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(ro, "read-only text");
    strcpy(ro + page, "no access");
    mprotect(ro, page, PROT_READ);
    mprotect(ro + page, page, PROT_NONE);
    n = pwrite(fd, "READ", 4, (off_t)ro);
    expect("write-read-only-page", n == 4 && memcmp(ro, "READ-only text", 14) == 0, "%zd %s", n,
           n < 0 ? errno_name(errno) : ro);
    char buf[32] = {0};
    n = pread(fd, buf, 9, (off_t)(ro + page));
    expect("read-prot-none-page", n == 9 && memcmp(buf, "no access", 9) == 0, "%zd %s", n,
           n < 0 ? errno_name(errno) : buf);

    /* Unmapped memory: EIO, or a short transfer that stops there. */
    char *hole = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole + page, page);
    EXPECT_ERR("read-unmapped-eio", pread(fd, buf, 8, (off_t)(hole + page)), EIO);
    EXPECT_ERR("write-unmapped-eio", pwrite(fd, buf, 8, (off_t)(hole + page)), EIO);
    n = pread(fd, buf, 16, (off_t)(hole + page - 8));
    expect("read-stops-at-hole", n == 8, "%zd %s", n, n < 0 ? errno_name(errno) : "");
    n = pwrite(fd, "abcdefghijklmnop", 16, (off_t)(hole + page - 8));
    expect("write-stops-at-hole", n == 8 && memcmp(hole + page - 8, "abcdefgh", 8) == 0, "%zd", n);
    EXPECT_ERR("read-address-zero-eio", pread(fd, buf, 8, 0), EIO);
    /* Where husk keeps its stub's code and the systrap context region
     * (nothing of the process's is mapped there natively either): out of
     * reach, as memory the process never mapped. */
    EXPECT_ERR("read-stub-code-eio", pread(fd, buf, 8, (off_t)0x7ffbfc000000L), EIO);
    EXPECT_ERR("write-stub-code-eio", pwrite(fd, buf, 8, (off_t)0x7ffbfc000000L), EIO);
    EXPECT_ERR("write-stub-context-eio", pwrite(fd, buf, 8, (off_t)(0x7ffbfc000000L - 0x4000000L + 0x1000)), EIO);
    /* Past the user address space: the position is any unsigned value. */
    lseek(fd, 0, SEEK_SET);
    errno = 0;
    off_t high = lseek(fd, (off_t)0x7ffffffffffff000L, SEEK_CUR);
    expect("lseek-high", high == (off_t)0x7ffffffffffff000L, "%lx %s", (long)high, errno_name(errno));
    EXPECT_ERR("read-high-eio", read(fd, buf, 8), EIO);
    close(fd);

    /* A read-only opening cannot write. */
    fd = open("/proc/self/mem", O_RDONLY);
    EXPECT_ERR("write-rdonly-ebadf", pwrite(fd, "x", 1, (off_t)&shared_word), EBADF);
    close(fd);

    /* A child's memory: read it, change it, the child sees the change. */
    int p[2];
    pipe(p);
    shared_word = 0x1122334455667788UL;
    pid_t pid = xfork();
    if (pid == 0) {
        close(p[1]);
        child_waits_for_poke(p[0]);
    }
    close(p[0]);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    fd = open(path, O_RDWR);
    expect("open-child", fd >= 0, "%s", errno_name(errno));
    v = 0;
    n = pread(fd, &v, 8, (off_t)&shared_word);
    expect("read-child-word", n == 8 && v == 0x1122334455667788UL, "%zd %lx", n, v);
    nv = 0xabcdefUL;
    n = pwrite(fd, &nv, 8, (off_t)&shared_word);
    expect("write-child-word", n == 8 && shared_word == 0x1122334455667788UL, "%zd", n);
    write(p[1], "x", 1);
    expect("child-saw-write", strcmp(wait_text(pid), "exited 0") == 0, "");
    /* The child is gone (reaped): its file reads nothing. */
    n = pread(fd, &v, 8, (off_t)&shared_word);
    expect("read-after-exit-zero", n == 0, "%zd %s", n, n < 0 ? errno_name(errno) : "");
    close(fd);
    close(p[1]);

    /* A zombie has no memory left to open. */
    pid = xfork();
    if (pid == 0)
        _exit(0);
    sleep_ms(100);
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    EXPECT_ERR("zombie-esrch", open(path, O_RDONLY), ESRCH);
    wait_text(pid);

    /* Another user may not open it (PTRACE_MODE_ATTACH); its own is fine. */
    pid_t parent = getpid();
    pid = xfork();
    if (pid == 0) {
        char pp[64];
        if (setresuid(NOBODY, NOBODY, NOBODY) < 0)
            _exit(4);
        /* Changing ids made it undumpable: its own /proc files would be root's. */
        prctl(PR_SET_DUMPABLE, 1);
        snprintf(pp, sizeof pp, "/proc/%d/mem", parent);
        int f = open(pp, O_RDONLY);
        if (f >= 0 || errno != EACCES)
            _exit(1);
        f = open("/proc/self/mem", O_RDONLY);
        unsigned long w = 0;
        if (f < 0 || pread(f, &w, 8, (off_t)&shared_word) != 8 || w != shared_word)
            _exit(2);
        _exit(0);
    }
    expect("other-user-eacces", strcmp(wait_text(pid), "exited 0") == 0, "");
    munmap(ro, 2 * page);
    munmap(hole, page);
}

/* ---- net ---- */

static void g_net(void) {
    char link[64] = {0};
    ssize_t n = readlink("/proc/net", link, sizeof link - 1);
    expect("proc-net-is-self-net", n > 0 && strcmp(link, "self/net") == 0, "%s", link);
    struct stat st;
    expect("self-net-dir", stat("/proc/self/net", &st) == 0 && S_ISDIR(st.st_mode), "%s", errno_name(errno));
    expect("proc-net-dir", stat("/proc/net", &st) == 0 && S_ISDIR(st.st_mode), "%s", errno_name(errno));
    static char a[1 << 16];
    char *s = slurp("/proc/net/dev");
    snprintf(a, sizeof a, "%s", s ? s : "");
    s = slurp("/proc/self/net/dev");
    expect("same-dev", s && strstr(s, "lo:") && strcmp(a, s) == 0, "");
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/net/unix", getpid(), (int)syscall(SYS_gettid));
    s = slurp(path);
    expect("task-net-unix", s && strncmp(s, "Num", 3) == 0, "%s", s ? s : errno_name(errno));
    s = slurp("/proc/self/net/tcp");
    expect("self-net-tcp", s && strstr(s, "local_address"), "");
    expect("no-such-net-file", stat("/proc/self/net/nonesuch", &st) < 0 && errno == ENOENT, "");
}

/* ---- status ---- */

static void g_status(void) {
    alone_as(54321);
    struct rlimit rl;
    getrlimit(RLIMIT_SIGPENDING, &rl);
    char *s = slurp("/proc/self/status");
    unsigned long q0 = 0, lim = 0;
    char *p = strstr(s, "SigQ:");
    expect("sigq-line", p && sscanf(p, "SigQ:\t%lu/%lu", &q0, &lim) == 2, "");
    expect("sigq-limit-is-rlimit", lim == rl.rlim_cur, "%lu vs %lu", lim, (unsigned long)rl.rlim_cur);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    union sigval sv = {0};
    for (int i = 0; i < 3; i++)
        sigqueue(getpid(), SIGRTMIN, sv);
    /* A standard signal pending twice is queued once. */
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    unsigned long q1 = 0;
    s = slurp("/proc/self/status");
    p = strstr(s, "SigQ:");
    sscanf(p, "SigQ:\t%lu/", &q1);
    expect("sigq-counts-queued", q1 == q0 + 4, "%lu then %lu", q0, q1);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&set, NULL, &zero) > 0)
        ;
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    s = slurp("/proc/self/status");
    p = strstr(s, "SigQ:");
    sscanf(p, "SigQ:\t%lu/", &q1);
    expect("sigq-back", q1 == q0, "%lu then %lu", q0, q1);

    /* Sleeping switches the task out voluntarily. */
    long v0 = status_num("/proc/self/status", "voluntary_ctxt_switches:");
    for (int i = 0; i < 5; i++)
        sleep_ms(2);
    long v1 = status_num("/proc/self/status", "voluntary_ctxt_switches:");
    expect("voluntary-counts-sleeps", v0 >= 0 && v1 >= v0 + 5, "%ld then %ld", v0, v1);
    long nv = status_num("/proc/self/status", "nonvoluntary_ctxt_switches:");
    expect("nonvoluntary-line", nv >= 0, "%ld", nv);
    char path[96];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)syscall(SYS_gettid));
    long vt = status_num(path, "voluntary_ctxt_switches:");
    expect("thread-voluntary", vt >= v1, "%ld vs %ld", vt, v1);

    /* A child that slept has its own count. */
    int pfd[2];
    pipe(pfd);
    pid_t pid = xfork();
    if (pid == 0) {
        char c;
        close(pfd[1]);
        read(pfd[0], &c, 1);
        _exit(0);
    }
    close(pfd[0]);
    sleep_ms(100);
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    long vc = status_num(path, "voluntary_ctxt_switches:");
    expect("child-slept", vc >= 1, "%ld", vc);
    write(pfd[1], "x", 1);
    close(pfd[1]);
    wait_text(pid);
}

/* ---- wchan ---- */

static void read_wchan(pid_t pid, char *out, size_t len) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/wchan", pid);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, out, len - 1) : -1;
    out[n > 0 ? n : 0] = 0;
    if (fd >= 0)
        close(fd);
}

static void g_wchan(void) {
    char w[128];
    read_wchan(getpid(), w, sizeof w);
    expect("self-running-0", strcmp(w, "0") == 0, "%s", w);

    pid_t pid = xfork();
    if (pid == 0) {
        sleep_ms(5000);
        _exit(0);
    }
    sleep_ms(200);
    read_wchan(pid, w, sizeof w);
    expect("nanosleep", strcmp(w, "hrtimer_nanosleep") == 0, "%s", w);

    /* Another user sees "0" (no PTRACE_MODE_READ over it). */
    pid_t sleeper = pid;
    pid_t peer = xfork();
    if (peer == 0) {
        char x[128];
        if (setresuid(NOBODY, NOBODY, NOBODY) < 0)
            _exit(4);
        read_wchan(sleeper, x, sizeof x);
        _exit(strcmp(x, "0") == 0 ? 0 : 1);
    }
    expect("unprivileged-reader-0", strcmp(wait_text(peer), "exited 0") == 0, "");

    kill(pid, SIGSTOP);
    int st;
    waitpid(pid, &st, WUNTRACED);
    read_wchan(pid, w, sizeof w);
    expect("stopped", strcmp(w, "do_signal_stop") == 0, "%s", w);
    kill(pid, SIGKILL);
    wait_text(pid);

    pid = xfork();
    if (pid == 0) {
        pid_t c = fork();
        if (c == 0) {
            sleep_ms(5000);
            _exit(0);
        }
        waitpid(c, NULL, 0);
        _exit(0);
    }
    sleep_ms(200);
    read_wchan(pid, w, sizeof w);
    expect("wait4", strcmp(w, "do_wait") == 0, "%s", w);
    kill(pid, SIGKILL);
    wait_text(pid);
}

/* ---- tunables ---- */

static void g_tunables(void) {
    char *s = slurp("/proc/self/coredump_filter");
    unsigned long f0 = 0;
    expect("coredump-filter-format", s && strlen(s) == 9 && sscanf(s, "%lx", &f0) == 1, "%s", s ? s : "none");
    write_control("/proc/self/coredump_filter", "0x7");
    s = slurp("/proc/self/coredump_filter");
    expect("coredump-filter-hex-write", s && strcmp(s, "00000007\n") == 0, "%s", s ? s : "none");
    write_control("/proc/self/coredump_filter", "0xffff");
    s = slurp("/proc/self/coredump_filter");
    expect("coredump-filter-known-bits", s && strcmp(s, "000001ff\n") == 0, "%s", s ? s : "none");
    write_control("/proc/self/coredump_filter", "35");
    EXPECT_ERR("coredump-filter-junk", write_control("/proc/self/coredump_filter", "junk"), EINVAL);
    pid_t pid = xfork();
    if (pid == 0) {
        char *c = slurp("/proc/self/coredump_filter");
        _exit(c && strcmp(c, "00000023\n") == 0 ? 0 : 1);
    }
    expect("coredump-filter-inherited", strcmp(wait_text(pid), "exited 0") == 0, "");

    /* Raising needs no privilege (the native run lacks CAP_SYS_RESOURCE). */
    write_control("/proc/self/oom_adj", "4");
    s = slurp("/proc/self/oom_score_adj");
    expect("oom-adj-4-scaled", s && strcmp(s, "235\n") == 0, "%s", s ? s : "none");
    s = slurp("/proc/self/oom_adj");
    expect("oom-adj-reads-3", s && strcmp(s, "3\n") == 0, "%s", s ? s : "none");
    write_control("/proc/self/oom_score_adj", "500");
    s = slurp("/proc/self/oom_adj");
    expect("oom-adj-follows-score-adj", s && strcmp(s, "8\n") == 0, "%s", s ? s : "none");
    write_control("/proc/self/oom_adj", "15");
    s = slurp("/proc/self/oom_score_adj");
    expect("oom-adj-max", s && strcmp(s, "1000\n") == 0, "%s", s ? s : "none");
    s = slurp("/proc/self/oom_adj");
    expect("oom-adj-reads-max", s && strcmp(s, "15\n") == 0, "%s", s ? s : "none");
    EXPECT_ERR("oom-adj-16-einval", write_control("/proc/self/oom_adj", "16"), EINVAL);
    EXPECT_ERR("oom-adj-minus-18-einval", write_control("/proc/self/oom_adj", "-18"), EINVAL);
    /* Lowering needs CAP_SYS_RESOURCE, which another user has not. */
    pid = xfork();
    if (pid == 0) {
        if (setresuid(NOBODY, NOBODY, NOBODY) < 0)
            _exit(4);
        prctl(PR_SET_DUMPABLE, 1);
        if (write_control("/proc/self/oom_adj", "-17") == 0 || errno != EACCES)
            _exit(1);
        char *o = slurp("/proc/self/oom_score_adj");
        _exit(o && strcmp(o, "1000\n") == 0 ? 0 : 2);
    }
    expect("oom-adj-lowering-eacces", strcmp(wait_text(pid), "exited 0") == 0, "");

    s = slurp("/proc/self/cpuset");
    expect("cpuset", s && strcmp(s, "/\n") == 0, "%s", s ? s : "none");
    unsigned long long run, wait, slices;
    s = slurp("/proc/self/schedstat");
    expect("schedstat", s && sscanf(s, "%llu %llu %llu", &run, &wait, &slices) == 3 && run > 0, "%s",
           s ? s : "none");
}

/* ---- timers ---- */

static void g_timers(void) {
    timer_t a, b, c, d;
    struct sigevent ev = {0};
    int pid = getpid(), tid = (int)syscall(SYS_gettid);
    char *s = slurp("/proc/self/timers");
    expect("none-yet", s && *s == 0, "%s", s ? s : errno_name(errno));
    timer_create(CLOCK_MONOTONIC, NULL, &a);
    ev.sigev_notify = SIGEV_NONE;
    ev.sigev_signo = 7;
    ev.sigev_value.sival_ptr = (void *)0x1234;
    timer_create(CLOCK_REALTIME, &ev, &b);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev._sigev_un._tid = tid;
    ev.sigev_signo = SIGUSR1;
    timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &c);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN + 1;
    clockid_t cid;
    clock_getcpuclockid(pid, &cid);
    syscall(SYS_timer_create, cid, &ev, &d);
    static char want[2048];
    snprintf(want, sizeof want,
             "ID: 3\nsignal: %d/0000000000001234\nnotify: signal/pid.%d\nClockID: %d\n"
             "ID: 2\nsignal: 10/0000000000001234\nnotify: signal/tid.%d\nClockID: -6\n"
             "ID: 1\nsignal: 7/0000000000001234\nnotify: none/pid.%d\nClockID: 0\n"
             "ID: 0\nsignal: 14/0000000000000000\nnotify: signal/pid.%d\nClockID: 1\n",
             SIGRTMIN + 1, pid, (int)cid, tid, pid, pid);
    s = slurp("/proc/self/timers");
    expect("four-timers", s && strcmp(s, want) == 0, "got\n%s", s ? s : errno_name(errno));
    timer_delete(c);
    s = slurp("/proc/self/timers");
    expect("deleted-one-gone", s && !strstr(s, "ID: 2\n") && strstr(s, "ID: 3\n"), "%s", s ? s : "");
    struct stat st;
    snprintf(want, sizeof want, "/proc/self/task/%d/timers", tid);
    expect("not-in-thread-dir", stat(want, &st) < 0 && errno == ENOENT, "");
}

/* ---- pagemap and mountstats ---- */

static unsigned long long pagemap_entry(int fd, void *addr) {
    unsigned long long e = ~0ULL;
    if (pread(fd, &e, 8, (off_t)((unsigned long)addr / 4096 * 8)) != 8)
        return ~0ULL;
    return e;
}

static void g_pagemap(void) {
    long page = sysconf(_SC_PAGESIZE);
    int fd = open("/proc/self/pagemap", O_RDONLY);
    expect("open", fd >= 0, "%s", errno_name(errno));
    struct stat st;
    fstat(fd, &st);
    expect("mode-0400", (st.st_mode & 07777) == 0400, "%o", st.st_mode);
    char *m = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    m[0] = 1;
    munmap(m + 2 * page, page);
    unsigned long long touched = pagemap_entry(fd, m), fresh = pagemap_entry(fd, m + page);
    unsigned long long hole = pagemap_entry(fd, m + 2 * page);
    expect("touched-present", touched != ~0ULL && (touched >> 63) == 1, "%llx", touched);
    expect("touched-anonymous", ((touched >> 61) & 1) == 0, "%llx", touched);
    expect("untouched-absent", fresh != ~0ULL && (fresh >> 63) == 0, "%llx", fresh);
    expect("hole-zero", hole == 0, "%llx", hole);
    unsigned long long code = pagemap_entry(fd, (void *)&g_pagemap);
    expect("code-present-file", (code >> 63) == 1 && ((code >> 61) & 1) == 1, "%llx", code);
    madvise(m, page, MADV_DONTNEED);
    touched = pagemap_entry(fd, m);
    expect("dontneed-absent", (touched >> 63) == 0, "%llx", touched);
    unsigned long long e[4];
    EXPECT_ERR("misaligned-offset", pread(fd, e, 8, 4), EINVAL);
    EXPECT_ERR("partial-entry", pread(fd, e, 12, 0), EINVAL);
    expect("many-entries", pread(fd, e, sizeof e, (off_t)((unsigned long)m / 4096 * 8)) == sizeof e, "");
    /* Past the user address space: end of file. */
    expect("end", pread(fd, e, 8, (off_t)(0x7ffffffff000UL / 4096 * 8)) == 0, "");
    close(fd);
    munmap(m, 2 * page);

    char *s = slurp("/proc/self/mountstats");
    expect("mountstats-proc", s && strstr(s, "device proc mounted on /proc with fstype proc\n"), "%s",
           s ? s : errno_name(errno));
    stat("/proc/self/mountstats", &st);
    expect("mountstats-mode", (st.st_mode & 0777) == 0400, "%o", st.st_mode & 0777);
}

/* ---- listing ---- */

static int listed(const char *dir, const char *name) {
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

static void g_listing(void) {
    static const char *both[] = {"mem", "net", "wchan", "oom_adj", "cpuset", "schedstat", "pagemap", NULL};
    static const char *process_only[] = {"coredump_filter", "timerslack_ns", "timers", "mountstats", NULL};
    char task[64];
    snprintf(task, sizeof task, "/proc/self/task/%d", (int)syscall(SYS_gettid));
    for (const char **n = both; *n; n++) {
        char name[64];
        snprintf(name, sizeof name, "process-has-%s", *n);
        expect(name, listed("/proc/self", *n), "");
        snprintf(name, sizeof name, "thread-has-%s", *n);
        expect(name, listed(task, *n), "");
    }
    for (const char **n = process_only; *n; n++) {
        char name[64];
        snprintf(name, sizeof name, "process-has-%s", *n);
        expect(name, listed("/proc/self", *n), "");
        snprintf(name, sizeof name, "thread-lacks-%s", *n);
        expect(name, !listed(task, *n), "");
    }
    struct stat st;
    stat("/proc/self/oom_adj", &st);
    expect("oom-adj-mode", (st.st_mode & 0777) == 0644, "%o", st.st_mode & 0777);
    stat("/proc/self/wchan", &st);
    expect("wchan-mode", (st.st_mode & 0777) == 0444, "%o", st.st_mode & 0777);
    stat("/proc/self/coredump_filter", &st);
    expect("coredump-filter-mode", (st.st_mode & 0777) == 0644, "%o", st.st_mode & 0777);
}

static const struct test_group groups[] = {
    {"mem", g_mem},         {"net", g_net},           {"status", g_status},
    {"wchan", g_wchan},     {"tunables", g_tunables}, {"timers", g_timers},
    {"pagemap", g_pagemap}, {"listing", g_listing},
};

int main(int argc, char **argv) {
    return RUN_GROUPS(argc, argv, groups);
}
