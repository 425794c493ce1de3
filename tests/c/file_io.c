/*
 * File I/O calls beyond read/write: preadv2/pwritev2 and their RWF_*
 * flags, sync_file_range, readahead, fadvise64, the old getdents, dnotify
 * (fcntl F_NOTIFY) and membarrier. Runs natively and under husk; both must
 * print the same lines (tests/vfs_file_io.rs). Regular-file checks use
 * memfds, which are tmpfs files natively and memory files under husk, so
 * the file system under /tmp does not change the answers.
 */
#include "vfs_test.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>

#ifndef RWF_HIPRI
#define RWF_HIPRI 0x1
#define RWF_DSYNC 0x2
#define RWF_SYNC 0x4
#define RWF_NOWAIT 0x8
#define RWF_APPEND 0x10
#endif
#define X_RWF_NOAPPEND 0x20
#define X_RWF_ATOMIC 0x40
#define X_RWF_DONTCACHE 0x80
#define X_RWF_NOSIGNAL 0x100

/* The raw calls: glibc's wrappers fall back to other calls for some flags. */
static long rv2(int fd, void *buf, size_t len, long off, long flags) {
    struct iovec v = {buf, len};
    return syscall(SYS_preadv2, fd, &v, 1, off, 0L, flags);
}

static long wv2(int fd, const char *s, long off, long flags) {
    struct iovec v = {(void *)s, strlen(s)};
    return syscall(SYS_pwritev2, fd, &v, 1, off, 0L, flags);
}

/* The whole content of `fd` as a string (position untouched). */
static const char *content(int fd) {
    static char buf[256];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n < 0 ? 0 : n] = 0;
    return buf;
}

static int mfd(const char *init, int extra_flags) {
    int fd = memfd_create("rwv2", 0);
    if (write(fd, init, strlen(init)) < 0)
        return -1;
    if (extra_flags) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | extra_flags);
    }
    return fd;
}

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) {
    (void)sig;
    sigpipes++;
}

static void g_rwv2(void) {
    char b[64];
    int fd = mfd("hello world", 0);
    lseek(fd, 6, SEEK_SET);
    memset(b, 0, sizeof b);
    expect_ret("read-at-position", rv2(fd, b, 5, -1, 0), errno, 5, 0);
    expect("read-at-position-data", strcmp(b, "world") == 0, "%s", b);
    expect("read-advances", lseek(fd, 0, SEEK_CUR) == 11, "%ld", (long)lseek(fd, 0, SEEK_CUR));
    memset(b, 0, sizeof b);
    expect_ret("read-at-offset", rv2(fd, b, 4, 1, 0), errno, 4, 0);
    expect("read-at-offset-data", strcmp(b, "ello") == 0, "%s", b);
    expect("read-at-offset-keeps-position", lseek(fd, 0, SEEK_CUR) == 11, "%ld", (long)lseek(fd, 0, SEEK_CUR));
    lseek(fd, 0, SEEK_SET);
    expect_ret("write-at-position", wv2(fd, "HE", -1, 0), errno, 2, 0);
    expect("write-at-position-data", strcmp(content(fd), "HEllo world") == 0, "%s", content(fd));
    expect("write-advances", lseek(fd, 0, SEEK_CUR) == 2, "%ld", (long)lseek(fd, 0, SEEK_CUR));

    /* Errors, in Linux's order. */
    EXPECT_ERR("offset-below-minus-one", rv2(999, b, 1, -2, 0), EINVAL);
    EXPECT_ERR("bad-fd", rv2(999, b, 1, 0, 0), EBADF);
    /* The offset is checked before the descriptor by the older calls too. */
    EXPECT_ERR("pread-negative-offset-bad-fd", syscall(SYS_pread64, 999, b, 1L, -1L), EINVAL);
    EXPECT_ERR("pwrite-negative-offset-bad-fd", syscall(SYS_pwrite64, 999, b, 1L, -1L), EINVAL);
    struct iovec one = {b, 1};
    EXPECT_ERR("preadv-negative-offset-bad-fd", syscall(SYS_preadv, 999, &one, 1, -1L, 0L), EINVAL);
    EXPECT_ERR("unknown-flag", rv2(fd, b, 1, 0, 0x10000), EOPNOTSUPP);
    EXPECT_ERR("unknown-flag-write", wv2(fd, "x", 0, 0x10000), EOPNOTSUPP);
    expect_ret("unknown-flag-empty-transfer", rv2(fd, b, 0, 0, 0x10000), errno, 0, 0);
    EXPECT_ERR("append-and-noappend", wv2(fd, "x", 0, RWF_APPEND | X_RWF_NOAPPEND), EINVAL);
    EXPECT_ERR("append-and-noappend-read", rv2(fd, b, 1, 0, RWF_APPEND | X_RWF_NOAPPEND), EINVAL);
    EXPECT_ERR("atomic-read", rv2(fd, b, 1, 0, X_RWF_ATOMIC), EOPNOTSUPP);
    EXPECT_ERR("atomic-write-buffered", wv2(fd, "x", 0, X_RWF_ATOMIC), EOPNOTSUPP);
    EXPECT_ERR("dontcache-tmpfs", rv2(fd, b, 1, 0, X_RWF_DONTCACHE), EOPNOTSUPP);
    EXPECT_ERR("nowait-tmpfs-read", rv2(fd, b, 1, 0, RWF_NOWAIT), EOPNOTSUPP);
    EXPECT_ERR("nowait-tmpfs-write", wv2(fd, "x", 0, RWF_NOWAIT), EOPNOTSUPP);
    expect_ret("hipri", rv2(fd, b, 2, 0, RWF_HIPRI), errno, 2, 0);
    expect_ret("dsync-write", wv2(fd, "h", 0, RWF_DSYNC), errno, 1, 0);
    expect_ret("sync-write", wv2(fd, "H", 0, RWF_SYNC), errno, 1, 0);
    expect_ret("sync-read", rv2(fd, b, 2, 0, RWF_SYNC | RWF_DSYNC), errno, 2, 0);
    int wo = open("/dev/null", O_WRONLY);
    EXPECT_ERR("read-write-only-bad-flag", rv2(wo, b, 1, 0, 0x10000), EBADF);
    close(wo);
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    EXPECT_ERR("read-directory", rv2(dir, b, 1, -1, 0), EISDIR);
    close(dir);
    close(fd);

    /* RWF_APPEND / RWF_NOAPPEND and O_APPEND. */
    fd = mfd("abc", 0);
    lseek(fd, 1, SEEK_SET);
    expect_ret("append-at-offset", wv2(fd, "XY", 0, RWF_APPEND), errno, 2, 0);
    expect("append-at-offset-data", strcmp(content(fd), "abcXY") == 0, "%s", content(fd));
    expect("append-at-offset-keeps-position", lseek(fd, 0, SEEK_CUR) == 1, "%ld", (long)lseek(fd, 0, SEEK_CUR));
    expect_ret("append-at-position", wv2(fd, "Z", -1, RWF_APPEND), errno, 1, 0);
    expect("append-at-position-data", strcmp(content(fd), "abcXYZ") == 0, "%s", content(fd));
    expect("append-at-position-moves", lseek(fd, 0, SEEK_CUR) == 6, "%ld", (long)lseek(fd, 0, SEEK_CUR));
    close(fd);
    fd = mfd("abc", O_APPEND);
    expect_ret("pwrite-o-append", pwrite(fd, "1", 1, 0), errno, 1, 0);
    expect("pwrite-o-append-appends", strcmp(content(fd), "abc1") == 0, "%s", content(fd));
    expect_ret("noappend-at-offset", wv2(fd, "2", 0, X_RWF_NOAPPEND), errno, 1, 0);
    expect("noappend-at-offset-data", strcmp(content(fd), "2bc1") == 0, "%s", content(fd));
    lseek(fd, 1, SEEK_SET);
    expect_ret("noappend-at-position", wv2(fd, "3", -1, X_RWF_NOAPPEND), errno, 1, 0);
    expect("noappend-at-position-data", strcmp(content(fd), "23c1") == 0, "%s", content(fd));
    expect("noappend-at-position-moves", lseek(fd, 0, SEEK_CUR) == 2, "%ld", (long)lseek(fd, 0, SEEK_CUR));
    expect_ret("o-append-at-position", wv2(fd, "4", -1, 0), errno, 1, 0);
    expect("o-append-at-position-data", strcmp(content(fd), "23c14") == 0, "%s", content(fd));
    close(fd);

    /* Pipes and sockets: no offsets; RWF_NOWAIT does not block. */
    int p[2];
    if (pipe(p) != 0)
        return;
    EXPECT_ERR("pipe-offset", rv2(p[0], b, 1, 0, 0), ESPIPE);
    EXPECT_ERR("pipe-offset-bad-flag", rv2(p[0], b, 1, 5, 0x10000), ESPIPE);
    EXPECT_ERR("pipe-offset-write", wv2(p[1], "x", 0, 0), ESPIPE);
    EXPECT_ERR("pipe-nowait-empty", rv2(p[0], b, 1, -1, RWF_NOWAIT), EAGAIN);
    expect_ret("pipe-nowait-write", wv2(p[1], "xyz", -1, RWF_NOWAIT), errno, 3, 0);
    expect_ret("pipe-nowait-read", rv2(p[0], b, 8, -1, RWF_NOWAIT), errno, 3, 0);
    EXPECT_ERR("pipe-dontcache", wv2(p[1], "x", -1, X_RWF_DONTCACHE), EOPNOTSUPP);
    expect_ret("pipe-append-flag", wv2(p[1], "q", -1, RWF_APPEND | RWF_DSYNC), errno, 1, 0);
    /* A full pipe: RWF_NOWAIT gives EAGAIN instead of blocking. */
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    while (write(p[1], b, sizeof b) > 0)
        ;
    fcntl(p[1], F_SETFL, 0);
    EXPECT_ERR("pipe-nowait-write-full", wv2(p[1], "x", -1, RWF_NOWAIT), EAGAIN);
    close(p[0]);
    close(p[1]);

    struct sigaction sa = {.sa_handler = on_sigpipe};
    sigaction(SIGPIPE, &sa, NULL);
    if (pipe(p) != 0)
        return;
    close(p[0]);
    sigpipes = 0;
    EXPECT_ERR("nosignal-epipe", wv2(p[1], "x", -1, X_RWF_NOSIGNAL), EPIPE);
    expect("nosignal-no-sigpipe", sigpipes == 0, "%d", (int)sigpipes);
    EXPECT_ERR("epipe", wv2(p[1], "x", -1, 0), EPIPE);
    expect("epipe-sigpipe", sigpipes == 1, "%d", (int)sigpipes);
    close(p[1]);
    signal(SIGPIPE, SIG_DFL);

    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0)
        return;
    EXPECT_ERR("socket-nowait-empty", rv2(s[0], b, 1, -1, RWF_NOWAIT), EAGAIN);
    expect_ret("socket-write", wv2(s[1], "hi", -1, 0), errno, 2, 0);
    expect_ret("socket-nowait-read", rv2(s[0], b, 8, -1, RWF_NOWAIT), errno, 2, 0);
    EXPECT_ERR("socket-offset", rv2(s[0], b, 1, 0, 0), ESPIPE);
    close(s[0]);
    close(s[1]);

    int null = open("/dev/null", O_RDWR);
    expect_ret("devnull-nowait-read", rv2(null, b, 1, -1, RWF_NOWAIT), errno, 0, 0);
    expect_ret("devnull-nowait-write", wv2(null, "abc", -1, RWF_NOWAIT), errno, 3, 0);
    close(null);
}

/* sync_file_range, readahead and fadvise64 on each kind of file. */
static void g_sync(void) {
    int m = mfd("abc", 0);
    put_file("f", "data");
    int wo = open("f", O_WRONLY);
    int ro = open("f", O_RDONLY);
    int pa = open("f", O_PATH);
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    int host = open("/etc/passwd", O_RDONLY); /* the host's file under husk too */
    int p[2], s[2];
    if (pipe(p) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0)
        return;
    int null = open("/dev/null", O_RDWR);
#define SFR(fd, off, len, fl) syscall(SYS_sync_file_range, fd, (long)(off), (long)(len), (long)(fl))
    EXPECT_OK("sfr-memfd", SFR(m, 0, 100, 7));
    EXPECT_OK("sfr-memfd-whole", SFR(m, 0, 0, 2));
    EXPECT_OK("sfr-flags-upper-half-ignored", SFR(m, 0, 100, 0x100000000L));
    EXPECT_ERR("sfr-bad-flag", SFR(m, 0, 100, 8), EINVAL);
    EXPECT_ERR("sfr-negative-offset", SFR(m, -1, 100, 0), EINVAL);
    EXPECT_ERR("sfr-negative-length", SFR(m, 0, -1, 0), EINVAL);
    EXPECT_ERR("sfr-overflow", SFR(m, 0x7fffffffffffff00L, 0x1000, 0), EINVAL);
    EXPECT_ERR("sfr-pipe", SFR(p[0], 0, 1, 0), ESPIPE);
    EXPECT_ERR("sfr-pipe-bad-flag", SFR(p[0], 0, 1, 8), EINVAL);
    EXPECT_ERR("sfr-socket", SFR(s[0], 0, 1, 0), ESPIPE);
    EXPECT_ERR("sfr-char-device", SFR(null, 0, 1, 2), ESPIPE);
    EXPECT_OK("sfr-directory", SFR(dir, 0, 1, 7));
    EXPECT_ERR("sfr-o-path", SFR(pa, 0, 1, 7), EBADF);
    EXPECT_OK("sfr-write-only", SFR(wo, 0, 0, 7));
    EXPECT_OK("sfr-read-only", SFR(ro, 0, 0, 7));
    EXPECT_OK("sfr-host-file", SFR(host, 0, 0, 7));
    EXPECT_ERR("sfr-bad-fd", SFR(999, 0, 0, 8), EBADF);
#undef SFR
#define RA(fd, off, len) syscall(SYS_readahead, fd, (long)(off), (long)(len))
    EXPECT_OK("ra-memfd", RA(m, 0, 100));
    EXPECT_OK("ra-negative-offset", RA(m, -5, 100));
    EXPECT_ERR("ra-huge-count", RA(m, 0, -1), EINVAL);
    EXPECT_OK("ra-file", RA(ro, 0, 100));
    EXPECT_OK("ra-host-file", RA(host, 0, 4096));
    EXPECT_ERR("ra-write-only", RA(wo, 0, 100), EBADF);
    EXPECT_ERR("ra-o-path", RA(pa, 0, 100), EBADF);
    EXPECT_ERR("ra-directory", RA(dir, 0, 100), EINVAL);
    EXPECT_ERR("ra-pipe", RA(p[0], 0, 100), EINVAL);
    EXPECT_ERR("ra-socket", RA(s[0], 0, 100), EINVAL);
    EXPECT_ERR("ra-char-device", RA(null, 0, 100), EINVAL);
    EXPECT_ERR("ra-bad-fd", RA(999, 0, 100), EBADF);
#undef RA
#define FA(fd, off, len, adv) syscall(SYS_fadvise64, fd, (long)(off), (long)(len), (long)(adv))
    EXPECT_OK("fa-memfd", FA(m, 0, 100, POSIX_FADV_WILLNEED));
    EXPECT_OK("fa-noreuse", FA(m, 0, 100, POSIX_FADV_NOREUSE));
    EXPECT_ERR("fa-bad-advice", FA(m, 0, 100, 6), EINVAL);
    EXPECT_ERR("fa-negative-length", FA(m, 0, -1, POSIX_FADV_WILLNEED), EINVAL);
    EXPECT_OK("fa-negative-offset", FA(m, -1, 1, POSIX_FADV_WILLNEED));
    EXPECT_ERR("fa-pipe", FA(p[0], 0, 100, POSIX_FADV_WILLNEED), ESPIPE);
    EXPECT_ERR("fa-pipe-bad-advice", FA(p[0], 0, 100, 9), ESPIPE);
    EXPECT_OK("fa-socket", FA(s[0], 0, 100, POSIX_FADV_WILLNEED));
    EXPECT_ERR("fa-socket-bad-advice", FA(s[0], 0, 100, 9), EINVAL);
    EXPECT_OK("fa-directory", FA(dir, 0, 100, POSIX_FADV_WILLNEED));
    EXPECT_OK("fa-char-device", FA(null, 0, 100, POSIX_FADV_DONTNEED));
    EXPECT_OK("fa-write-only", FA(wo, 0, 100, POSIX_FADV_DONTNEED));
    EXPECT_OK("fa-host-file", FA(host, 0, 0, POSIX_FADV_SEQUENTIAL));
    EXPECT_ERR("fa-o-path", FA(pa, 0, 100, POSIX_FADV_WILLNEED), EBADF);
#undef FA
}

struct old_dirent {
    unsigned long d_ino;
    unsigned long d_off;
    unsigned short d_reclen;
    char d_name[];
};

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists directory `fd` from its position with getdents (old) or
 * getdents64 in calls of `cap` bytes, into sorted "name:type" strings
 * joined by spaces; checks each record's layout. Returns the entry count,
 * -errno of a failing call, or -1000 for a malformed record. */
static int list_dir(int fd, int old, size_t cap, char *out, size_t outcap) {
    char buf[8192] __attribute__((aligned(8)));
    char *names[256];
    int n = 0;
    for (;;) {
        long got = syscall(old ? SYS_getdents : SYS_getdents64, fd, buf, (long)cap);
        if (got < 0)
            return -errno;
        if (got == 0)
            break;
        for (long at = 0; at < got;) {
            unsigned short reclen;
            const char *name;
            unsigned char type;
            if (old) {
                struct old_dirent *d = (struct old_dirent *)(buf + at);
                reclen = d->d_reclen;
                name = d->d_name;
                type = (unsigned char)buf[at + reclen - 1];
            } else {
                struct dirent64 *d = (struct dirent64 *)(buf + at);
                reclen = d->d_reclen;
                name = d->d_name;
                type = d->d_type;
            }
            size_t want = old ? (18 + strlen(name) + 2 + 7) & ~7UL : (19 + strlen(name) + 1 + 7) & ~7UL;
            if (reclen != want || n == 256)
                return -1000;
            names[n] = malloc(strlen(name) + 8);
            sprintf(names[n++], "%s:%d", name, type);
            at += reclen;
        }
    }
    qsort(names, n, sizeof names[0], cmp_str);
    size_t len = 0;
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        len += snprintf(out + len, len < outcap ? outcap - len : 0, "%s%s", i ? " " : "", names[i]);
        free(names[i]);
    }
    return n;
}

static void g_getdents(void) {
    mkdir("d", 0755);
    char path[64];
    for (int i = 1; i <= 40; i++) {
        snprintf(path, sizeof path, "d/%.*s", i, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH");
        put_file(path, "x");
    }
    mkdir("d/sub", 0755);
    if (symlink("target", "d/link") != 0 || mkfifo("d/fifo", 0644) != 0)
        printf("setup: %s\n", errno_name(errno));

    static char want[8192], got[8192];
    int fd = open("d", O_RDONLY | O_DIRECTORY);
    int n64 = list_dir(fd, 0, sizeof want, want, sizeof want);
    expect("getdents64-count", n64 == 45, "%d", n64);
    lseek(fd, 0, SEEK_SET);
    int n = list_dir(fd, 1, 8192, got, sizeof got);
    expect("getdents-count", n == 45, "%d", n);
    expect("getdents-same-entries", strcmp(got, want) == 0, "%s", got);
    expect("getdents-types", strstr(got, "sub:4") && strstr(got, "link:10") && strstr(got, "fifo:1") &&
                                 strstr(got, "a:8") && strstr(got, ".:4") && strstr(got, "..:4"), "%s", got);
    lseek(fd, 0, SEEK_SET);
    n = list_dir(fd, 1, 80, got, sizeof got);
    expect("getdents-small-buffer", n == 45 && strcmp(got, want) == 0, "%d %s", n, got);
    expect_ret("getdents-at-end", syscall(SYS_getdents, fd, got, 4096L), errno, 0, 0);

    /* d_off: where the next call goes on, through lseek. */
    lseek(fd, 0, SEEK_SET);
    char buf[4096] __attribute__((aligned(8)));
    long len = syscall(SYS_getdents, fd, buf, 200L);
    struct old_dirent *first = (struct old_dirent *)buf;
    lseek(fd, (off_t)first->d_off, SEEK_SET);
    n = list_dir(fd, 1, 4096, got, sizeof got);
    expect("getdents-d-off-resumes", len > 0 && n == 44, "%ld %d", len, n);

    lseek(fd, 0, SEEK_SET);
    EXPECT_ERR("getdents-buffer-too-small", syscall(SYS_getdents, fd, buf, 20L), EINVAL);
    EXPECT_ERR("getdents-zero-buffer", syscall(SYS_getdents, fd, buf, 0L), EINVAL);
    EXPECT_ERR("getdents64-buffer-too-small", syscall(SYS_getdents64, fd, buf, 20L), EINVAL);
    EXPECT_ERR("getdents-bad-buffer", syscall(SYS_getdents, fd, (void *)8, 4096L), EFAULT);
    EXPECT_ERR("getdents-bad-fd", syscall(SYS_getdents, 999, buf, 4096L), EBADF);
    int file = open("d/a", O_RDONLY);
    EXPECT_ERR("getdents-not-directory", syscall(SYS_getdents, file, buf, 4096L), ENOTDIR);
    int pa = open("d", O_PATH);
    EXPECT_ERR("getdents-o-path", syscall(SYS_getdents, pa, buf, 4096L), EBADF);
    close(pa);
    close(file);
    close(fd);
}

/* Takes every pending `sig` (blocked by the caller): how many, and the
 * record of the last as "code/fd/band" in `last`. */
static int take_signals(int sig, char *last, size_t cap) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    struct timespec zero = {0, 0};
    siginfo_t si;
    int n = 0;
    snprintf(last, cap, "none");
    while (sigtimedwait(&set, &si, &zero) == sig) {
        n++;
        if (si.si_code == SI_KERNEL)
            snprintf(last, cap, "kernel");
        else
            snprintf(last, cap, "code=%d fd=%d band=%lx", si.si_code, si.si_fd, (long)si.si_band);
    }
    return n;
}

/* `what` (a shell-ish action) must raise exactly `want` signals `sig`. */
#define EXPECT_SIGNALS(name, sig, want)                                       \
    do {                                                                      \
        char last_[96];                                                       \
        int n_ = take_signals(sig, last_, sizeof last_);                      \
        expect(name, n_ == (want), "%d signals (last %s), want %d", n_, last_, (want)); \
    } while (0)

static void g_dnotify(void) {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGIO);
    sigaddset(&block, SIGRTMIN);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    mkdir("d", 0755);
    put_file("d/f", "data");
    put_file("plain", "x");
    char last[96];

    int file = open("plain", O_RDONLY);
    EXPECT_ERR("not-directory", fcntl(file, F_NOTIFY, DN_CREATE), ENOTDIR);
    EXPECT_OK("remove-on-file", fcntl(file, F_NOTIFY, 0));
    EXPECT_OK("remove-multishot-only-on-file", fcntl(file, F_NOTIFY, DN_MULTISHOT));
    close(file);
    int pa = open("d", O_PATH);
    EXPECT_ERR("o-path", fcntl(pa, F_NOTIFY, DN_CREATE), EBADF);
    close(pa);

    /* One shot, plain SIGIO (SEND_SIG_PRIV: SI_KERNEL). */
    int fd = open("d", O_RDONLY | O_DIRECTORY);
    EXPECT_OK("notify-create", fcntl(fd, F_NOTIFY, DN_CREATE));
    expect("owner-is-caller", fcntl(fd, F_GETOWN) == getpid(), "%d", fcntl(fd, F_GETOWN));
    put_file("d/new1", "x");
    take_signals(SIGIO, last, sizeof last);
    expect("sigio-plain", strcmp(last, "kernel") == 0, "%s", last);
    put_file("d/new2", "x");
    EXPECT_SIGNALS("oneshot-fired-once", SIGIO, 0);

    /* F_SETSIG: a queued record with si_fd and si_band; MULTISHOT. */
    fcntl(fd, F_SETSIG, SIGRTMIN);
    EXPECT_OK("notify-multishot", fcntl(fd, F_NOTIFY, DN_CREATE | DN_DELETE | DN_MULTISHOT));
    put_file("d/new3", "x");
    mkdir("d/sub", 0755);
    unlink("d/new1");
    take_signals(SIGRTMIN, last, sizeof last);
    char want[96];
    snprintf(want, sizeof want, "code=%d fd=%d band=%lx", POLL_MSG, fd, (long)(POLLIN | POLLRDNORM | POLLMSG));
    expect("setsig-record", strcmp(last, want) == 0, "%s, want %s", last, want);
    put_file("d/new4", "x");
    rmdir("d/sub");
    EXPECT_SIGNALS("multishot-counts", SIGRTMIN, 2);
    /* Not in the mask: no signal. */
    int rd = open("d/f", O_RDWR);
    char c;
    if (read(rd, &c, 1) != 1 || write(rd, "y", 1) != 1 || fchmod(rd, 0600) != 0)
        printf("io: %s\n", errno_name(errno));
    EXPECT_SIGNALS("other-events-unheard", SIGRTMIN, 0);
    /* Adding to the mask: ORed with what is there (still multishot). */
    EXPECT_OK("notify-add-modify", fcntl(fd, F_NOTIFY, DN_MODIFY));
    if (write(rd, "z", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    put_file("d/new5", "x"); /* a create and a write */
    EXPECT_SIGNALS("mask-is-ored", SIGRTMIN, 3);
    EXPECT_OK("notify-remove", fcntl(fd, F_NOTIFY, 0));
    put_file("d/new6", "x");
    EXPECT_SIGNALS("removed-unheard", SIGRTMIN, 0);

    /* Each kind of event. */
    EXPECT_OK("notify-access", fcntl(fd, F_NOTIFY, DN_ACCESS | DN_MULTISHOT));
    if (pread(rd, &c, 1, 0) != 1)
        printf("pread: %s\n", errno_name(errno));
    EXPECT_SIGNALS("access", SIGRTMIN, 1);
    EXPECT_OK("notify-attrib", fcntl(fd, F_NOTIFY, DN_ATTRIB));
    fchmod(rd, 0644);
    EXPECT_SIGNALS("attrib", SIGRTMIN, 1);
    fcntl(fd, F_NOTIFY, 0);
    EXPECT_OK("notify-rename", fcntl(fd, F_NOTIFY, DN_RENAME | DN_MULTISHOT));
    rename("d/new2", "d/renamed");
    EXPECT_SIGNALS("rename-within", SIGRTMIN, 1);
    /* DN_RENAME is about renames within the directory only. */
    rename("d/renamed", "moved-out");
    EXPECT_SIGNALS("rename-out-unheard", SIGRTMIN, 0);
    rename("moved-out", "d/back");
    EXPECT_SIGNALS("rename-in-unheard", SIGRTMIN, 0);
    put_file("d/new7", "x");
    EXPECT_SIGNALS("rename-only-no-create", SIGRTMIN, 0);
    fcntl(fd, F_NOTIFY, 0);
    EXPECT_OK("notify-delete-create", fcntl(fd, F_NOTIFY, DN_DELETE | DN_CREATE | DN_MULTISHOT));
    rename("d/back", "d/back2");
    EXPECT_SIGNALS("rename-as-delete-and-create", SIGRTMIN, 2);
    rename("d/back2", "out2");
    EXPECT_SIGNALS("rename-out-as-delete", SIGRTMIN, 1);
    EXPECT_OK("notify-add-rename", fcntl(fd, F_NOTIFY, DN_RENAME));
    rename("d/new3", "d/new3b");
    EXPECT_SIGNALS("rename-with-delete-create-rename", SIGRTMIN, 3);
    fcntl(fd, F_NOTIFY, 0);
    EXPECT_OK("notify-oneshot-rename-create", fcntl(fd, F_NOTIFY, DN_RENAME | DN_CREATE));
    rename("d/new3b", "d/new3c");
    put_file("d/new3d", "x");
    EXPECT_SIGNALS("oneshot-rename-create", SIGRTMIN, 1);
    fcntl(fd, F_NOTIFY, 0);
    close(rd);

    /* Events on the directory itself. */
    EXPECT_OK("notify-self-attrib", fcntl(fd, F_NOTIFY, DN_ATTRIB | DN_ACCESS | DN_MULTISHOT));
    chmod("d", 0700);
    EXPECT_SIGNALS("self-attrib", SIGRTMIN, 1);
    char buf[4096];
    lseek(fd, 0, SEEK_SET);
    while (syscall(SYS_getdents64, fd, buf, sizeof buf) > 0)
        ;
    take_signals(SIGRTMIN, last, sizeof last);
    expect("self-access", strcmp(last, "none") != 0, "%s", last);
    fcntl(fd, F_NOTIFY, 0);

    /* Closing any descriptor of the open file (a dup) ends it. */
    EXPECT_OK("notify-before-dup-close", fcntl(fd, F_NOTIFY, DN_CREATE | DN_MULTISHOT));
    int dup_fd = dup(fd);
    close(dup_fd);
    put_file("d/new8", "x");
    EXPECT_SIGNALS("dup-close-removes", SIGRTMIN, 0);
    /* ...but not closing another open file of the same directory. */
    int other = open("d", O_RDONLY | O_DIRECTORY);
    EXPECT_OK("notify-again", fcntl(fd, F_NOTIFY, DN_CREATE | DN_MULTISHOT));
    close(other);
    put_file("d/new9", "x");
    EXPECT_SIGNALS("other-open-close-keeps", SIGRTMIN, 1);
    /* Two open files of the directory: each signals with its own si_fd. */
    other = open("d", O_RDONLY | O_DIRECTORY);
    fcntl(other, F_SETSIG, SIGRTMIN);
    EXPECT_OK("notify-second", fcntl(other, F_NOTIFY, DN_CREATE | DN_MULTISHOT));
    put_file("d/new10", "x");
    EXPECT_SIGNALS("two-watchers", SIGRTMIN, 2);
    close(other);

    /* A child's close of its copy does not end the parent's; its changes
     * signal the owner (the parent). */
    pid_t pid = fork();
    if (pid == 0) {
        close(fd);
        put_file("d/from-child", "x");
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    EXPECT_SIGNALS("child-close-keeps", SIGRTMIN, 1);
    /* F_SETOWN moves the signal elsewhere: a child that waits for it. */
    fcntl(fd, F_SETSIG, SIGUSR1);
    int ready[2];
    if (pipe(ready) != 0)
        return;
    pid = fork();
    if (pid == 0) {
        sigset_t u;
        sigemptyset(&u);
        sigaddset(&u, SIGUSR1);
        if (write(ready[1], "r", 1) != 1)
            _exit(3);
        struct timespec ten = {10, 0};
        siginfo_t si;
        _exit(sigtimedwait(&u, &si, &ten) == SIGUSR1 && si.si_fd == fd ? 0 : 1);
    }
    if (read(ready[0], &c, 1) != 1)
        printf("ready: %s\n", errno_name(errno));
    fcntl(fd, F_SETOWN, pid);
    put_file("d/for-child", "x");
    waitpid(pid, &st, 0);
    expect("setown-child-gets-it", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
    EXPECT_SIGNALS("setown-parent-does-not", SIGUSR1, 0);
    close(fd);
    put_file("d/after-close", "x");
    EXPECT_SIGNALS("close-removes", SIGRTMIN, 0);
    EXPECT_SIGNALS("close-removes-sigio", SIGIO, 0);
}

#define MB(cmd, flags) syscall(SYS_membarrier, (int)(cmd), (unsigned)(flags), 0)

/* What a new program sees after exec: no registrations. */
static void membarrier_after_exec(void) {
    EXPECT_ERR("exec-private-expedited", MB(8, 0), EPERM);
    expect_ret("exec-registrations", MB(512, 0), errno, 0, 0);
}

static volatile int spinning = 1;
static void *spin(void *arg) {
    (void)arg;
    while (spinning)
        ;
    return NULL;
}

static void g_membarrier(void) {
    long q = MB(0, 0);
    /* Every command but the rseq ones (0x180), which depend on rseq. */
    expect("query", q >= 0 && (q & ~0x180L) == 0x27f, "%lx %s", q, errno_name(errno));
    EXPECT_ERR("query-flags", MB(0, 1), EINVAL);
    EXPECT_OK("global", MB(1, 0));
    EXPECT_OK("global-expedited", MB(2, 0));
    EXPECT_ERR("private-unregistered", MB(8, 0), EPERM);
    EXPECT_ERR("sync-core-unregistered", MB(32, 0), EPERM);
    expect_ret("no-registrations", MB(512, 0), errno, 0, 0);
    EXPECT_OK("register-private", MB(16, 0));
    EXPECT_OK("private", MB(8, 0));
    EXPECT_ERR("sync-core-still-unregistered", MB(32, 0), EPERM);
    expect_ret("registrations-private", MB(512, 0), errno, 16, 0);
    EXPECT_OK("register-global", MB(4, 0));
    expect_ret("registrations-both", MB(512, 0), errno, 20, 0);
    EXPECT_OK("register-sync-core", MB(64, 0));
    EXPECT_OK("sync-core", MB(32, 0));
    expect_ret("registrations-all", MB(512, 0), errno, 84, 0);
    EXPECT_ERR("bad-command", MB(3, 0), EINVAL);
    EXPECT_ERR("unknown-command", MB(1024, 0), EINVAL);
    EXPECT_ERR("negative-command", MB(-1, 0), EINVAL);
    EXPECT_ERR("private-flags", MB(8, 1), EINVAL);

    /* With other threads running application code. */
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, spin, NULL);
    int fails = 0;
    for (int i = 0; i < 50; i++)
        fails += MB(8, 0) != 0;
    spinning = 0;
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    expect("private-with-threads", fails == 0, "%d failed", fails);

    /* fork keeps the registrations; exec drops them. */
    pid_t pid = fork();
    if (pid == 0) {
        _exit(MB(8, 0) == 0 && MB(512, 0) == 84 ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    expect("fork-keeps", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "file_io", "membarrier-after-exec", (char *)NULL);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    expect("exec-child", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
}

static const struct test_group groups[] = {
    {"rwv2", g_rwv2},
    {"sync", g_sync},
    {"getdents", g_getdents},
    {"dnotify", g_dnotify},
    {"membarrier", g_membarrier},
};

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "membarrier-after-exec") == 0) {
        line_buffered_stdout();
        membarrier_after_exec();
        return 0;
    }
    scratch_init();
    return RUN_GROUPS(argc, argv, groups);
}
