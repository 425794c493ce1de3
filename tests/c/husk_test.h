/*
 * Shared helpers for the C test programs run by husk's integration tests.
 *
 * Every program prints one line per check on stdout ("name: result"), so a
 * Rust test can compare the output of a native run with a run under husk,
 * or with a fixed expectation. Output is line-buffered so that the lines
 * printed before a crash still reach the test.
 */
#ifndef HUSK_TEST_H
#define HUSK_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The symbolic name of an errno value ("EFAULT"), or "E<n>" if unknown. */
static const char *errno_name(int e) {
    static char buf[32];
    switch (e) {
#define E(x) case x: return #x;
        E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG)
        E(ENOEXEC) E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES)
        E(EFAULT) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR)
        E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(ETXTBSY)
        E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(EDOM)
        E(ERANGE) E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK) E(ENOSYS)
        E(ENOTEMPTY) E(ELOOP) E(ENODATA) E(EOVERFLOW) E(EBADFD)
        E(ENOTSOCK) E(EOPNOTSUPP)
        E(ECANCELED) E(ENOTRECOVERABLE)
#undef E
    }
    snprintf(buf, sizeof buf, "E%d", e);
    return buf;
}

/* Prints "name: ok" for a non-negative result, "name: ERRNO" otherwise. */
static void report(const char *name, long ret) {
    if (ret >= 0)
        printf("%s: ok\n", name);
    else
        printf("%s: %s\n", name, errno_name(errno));
}

/* Like report() for a raw syscall result (-errno on failure). */
static void report_raw(const char *name, long ret) {
    if (ret >= 0 || ret < -4095)
        printf("%s: ok\n", name);
    else
        printf("%s: %s\n", name, errno_name((int)-ret));
}

/* Like report() for a pointer-returning call that fails with MAP_FAILED. */
static void report_map(const char *name, void *p) {
    if (p != MAP_FAILED)
        printf("%s: ok\n", name);
    else
        printf("%s: %s\n", name, errno_name(errno));
}

/* Prints "name: yes" or "name: no". */
static void check(const char *name, int cond) {
    printf("%s: %s\n", name, cond ? "yes" : "no");
}

static void line_buffered_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}


/* ------------------------------------------------------------------------
 * Helpers for the multi-part programs (processes, signals, timers...).
 * Each such program is a list of named groups of checks; `prog GROUP` runs
 * one group, `prog` alone runs them all. A check prints "name: ok" or
 * "name: <what differs>", so the native output is all "ok" and a run under
 * husk can be compared with it line by line.
 * ------------------------------------------------------------------------ */
#include <signal.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Prints "name: ok" if cond holds, else "name: " and the formatted detail. */
__attribute__((format(printf, 3, 4), unused))
static void expect(const char *name, int cond, const char *fmt, ...) {
    if (cond) {
        printf("%s: ok\n", name);
        return;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("%s: %s\n", name, buf);
}

/* "name: ok" if a call returned `want` (>= 0) or failed with errno `werr`
 * (want < 0); otherwise what it did instead. */
__attribute__((unused))
static void expect_ret(const char *name, long ret, int err, long want, int werr) {
    if (want >= 0) {
        if (ret == want)
            printf("%s: ok\n", name);
        else if (ret < 0)
            printf("%s: failed with %s, want %ld\n", name, errno_name(err), want);
        else
            printf("%s: returned %ld, want %ld\n", name, ret, want);
    } else {
        if (ret < 0 && err == werr)
            printf("%s: ok\n", name);
        else if (ret < 0)
            printf("%s: failed with %s, want %s\n", name, errno_name(err),
                   errno_name(werr));
        else
            printf("%s: returned %ld, want %s\n", name, ret, errno_name(werr));
    }
}

/* Shorthands: a call that must succeed (return >= 0) / fail with an errno. */
#define EXPECT_OK(name, call)                                                 \
    do {                                                                      \
        errno = 0;                                                            \
        long r_ = (long)(call);                                               \
        if (r_ >= 0)                                                          \
            printf("%s: ok\n", name);                                         \
        else                                                                  \
            printf("%s: failed with %s\n", name, errno_name(errno));          \
    } while (0)
#define EXPECT_ERR(name, call, werr)                                          \
    do {                                                                      \
        errno = 0;                                                            \
        long r_ = (long)(call);                                               \
        expect_ret(name, r_, errno, -1, werr);                                \
    } while (0)

/* "SIGTERM", or "SIG<n>" for a number without a name here. */
__attribute__((unused))
static const char *signal_name(int sig) {
    static char buf[32];
    switch (sig) {
#define S(x) case x: return #x;
        S(SIGHUP) S(SIGINT) S(SIGQUIT) S(SIGILL) S(SIGTRAP) S(SIGABRT)
        S(SIGBUS) S(SIGFPE) S(SIGKILL) S(SIGUSR1) S(SIGSEGV) S(SIGUSR2)
        S(SIGPIPE) S(SIGALRM) S(SIGTERM) S(SIGSTKFLT) S(SIGCHLD) S(SIGCONT)
        S(SIGSTOP) S(SIGTSTP) S(SIGTTIN) S(SIGTTOU) S(SIGURG) S(SIGXCPU)
        S(SIGXFSZ) S(SIGVTALRM) S(SIGPROF) S(SIGWINCH) S(SIGIO) S(SIGPWR)
        S(SIGSYS)
#undef S
    }
    snprintf(buf, sizeof buf, "SIG%d", sig);
    return buf;
}

/* A wait status as text: "exited 3", "killed by SIGTERM", "stopped by
 * SIGSTOP", "continued". */
__attribute__((unused))
static const char *status_text(int st) {
    static char buf[64];
    if (WIFEXITED(st))
        snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, sizeof buf, "killed by %s%s", signal_name(WTERMSIG(st)),
                 WCOREDUMP(st) ? " (core)" : "");
    else if (WIFSTOPPED(st))
        snprintf(buf, sizeof buf, "stopped by %s", signal_name(WSTOPSIG(st)));
    else if (WIFCONTINUED(st))
        snprintf(buf, sizeof buf, "continued");
    else
        snprintf(buf, sizeof buf, "status 0x%x", st);
    return buf;
}

/* Waits for `pid` (EINTR retried) and returns its status text, or the
 * errno name if waitpid fails. */
__attribute__((unused))
static const char *wait_text(pid_t pid) {
    int st;
    pid_t r;
    do
        r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return errno_name(errno);
    return status_text(st);
}

/* waitpid(pid, st, opts) that gives up after `ms` milliseconds and then
 * returns 0, as WNOHANG does: for waits on events a broken kernel might
 * never report (a stop, a continue). */
__attribute__((unused))
static pid_t waitpid_ms(pid_t pid, int *st, int opts, long ms) {
    struct timespec t0, now, nap = {0, 2000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pid_t r = waitpid(pid, st, opts | WNOHANG);
        if (r != 0 && !(r < 0 && errno == EINTR))
            return r;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
            return 0;
        nanosleep(&nap, NULL);
    }
}

/* Nanoseconds on a clock. */
__attribute__((unused))
static long long clock_ns(clockid_t clk) {
    struct timespec ts;
    clock_gettime(clk, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((unused))
static long long mono_ns(void) {
    return clock_ns(CLOCK_MONOTONIC);
}

/* Sleeps `ms` milliseconds (restarting after signal handlers). */
__attribute__((unused))
static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Burns about `ms` milliseconds of CPU time of the calling thread. */
__attribute__((unused))
static void spin_cpu_ms(long ms) {
    long long end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + ms * 1000000LL;
    long long wall_end = mono_ns() + 10000LL * 1000000LL; /* never hang */
    volatile unsigned long x = 0;
    while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end && mono_ns() < wall_end)
        for (int i = 0; i < 10000; i++)
            x += i;
}

/* fork() with stdout flushed first, so a child never repeats output. */
__attribute__((unused))
static pid_t xfork(void) {
    fflush(stdout);
    fflush(stderr);
    return fork();
}

struct test_group {
    const char *name;
    void (*run)(void);
};

/* The contents of a file, NUL-terminated, in a static buffer (NULL if it
 * cannot be opened); its length in `len` if given. Reads until end of
 * file: /proc files may come a page at a time. */
__attribute__((unused))
static char *slurp_n(const char *path, size_t *len) {
    static char buf[1 << 16];
    int fd = open(path, O_RDONLY);
    size_t n = 0;
    ssize_t r;
    if (fd < 0)
        return NULL;
    while (n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += r;
    close(fd);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

__attribute__((unused))
static char *slurp(const char *path) {
    return slurp_n(path, NULL);
}

/* The value of the `key:` line of a status file (/proc/PID/status), in a
 * static buffer; "" if there is none. */
__attribute__((unused))
static const char *proc_status_field(const char *path, const char *key) {
    static char val[256];
    char line[512];
    size_t k = strlen(key);
    val[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return val;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, k) == 0 && line[k] == ':') {
            char *v = line + k + 1;
            while (*v == '\t' || *v == ' ')
                v++;
            v[strcspn(v, "\n")] = 0;
            snprintf(val, sizeof val, "%s", v);
            break;
        }
    }
    fclose(f);
    return val;
}

/* Writes `text` to the existing file `path` in one write (a /proc or
 * cgroup control file); -1 with the errno of the open or the write. */
__attribute__((unused))
static int write_control(const char *path, const char *text) {
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t r = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return r < 0 ? -1 : 0;
}

/* Becomes user and group `id`, alone (from root; a process that is not
 * root any more stays who it is). RLIMIT_SIGPENDING and
 * status's SigQ count per real user, and natively every root process of
 * the host (tests running in parallel among them) shares root's count. */
__attribute__((unused))
static void alone_as(unsigned id) {
    if (geteuid() != 0)
        return; /* alone already (an earlier group of an every-group run) */
    if (syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setresgid, id, id, id) != 0 ||
        syscall(SYS_setresuid, id, id, id) != 0) {
        printf("alone-as-%u: %s\n", id, errno_name(errno));
        exit(1);
    }
}

/* Runs the group named by argv[1], or every group without an argument.
 * An unknown name prints the list and returns 2. */
__attribute__((unused))
static int run_groups(int argc, char **argv, const struct test_group *g, int n) {
    line_buffered_stdout();
    if (argc < 2) {
        for (int i = 0; i < n; i++)
            g[i].run();
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(argv[1], g[i].name) == 0) {
            g[i].run();
            fflush(stdout);
            return 0;
        }
    }
    printf("unknown group %s; groups:", argv[1]);
    for (int i = 0; i < n; i++)
        printf(" %s", g[i].name);
    printf("\n");
    return 2;
}
#define RUN_GROUPS(argc, argv, groups)                                        \
    run_groups(argc, argv, groups, (int)(sizeof groups / sizeof groups[0]))

#endif
