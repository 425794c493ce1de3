/*
 * Signal-driven I/O (O_ASYNC): F_SETFL O_ASYNC and FIOASYNC, F_SETOWN /
 * F_SETOWN_EX owners (process, thread, process group), F_SETSIG records
 * (si_code POLL_*, si_band, si_fd), on pipes, unix and IP sockets, ptys
 * and inotify; regular files accept O_ASYNC and do nothing. Runs natively
 * and under husk; both must print the same lines (tests/signal_sigio.rs).
 * Signals are blocked and collected with sigtimedwait, each wait bounded.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stddef.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define SIG_A (SIGRTMIN + 1)
#define SIG_B (SIGRTMIN + 2)

#ifndef F_SETSIG
#define F_SETSIG 10
#define F_GETSIG 11
#endif

/* What the last record said: "kernel" for a plain SIGIO, else its fields. */
static char last[128];

static void describe(const siginfo_t *si) {
    if (si->si_code == SI_KERNEL)
        snprintf(last, sizeof last, "kernel");
    else
        snprintf(last, sizeof last, "code=%d fd=%d band=%lx", si->si_code, si->si_fd, (long)si->si_band);
}

/* Takes every pending `sig` now; returns how many (the last in `last`). */
static int take(int sig) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    struct timespec zero = {0, 0};
    siginfo_t si;
    int n = 0;
    snprintf(last, sizeof last, "none");
    while (sigtimedwait(&set, &si, &zero) == sig) {
        n++;
        describe(&si);
    }
    return n;
}

/* Waits up to `ms` for one `sig` (for events another context delivers). */
static int wait_one(int sig, long ms) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    siginfo_t si;
    snprintf(last, sizeof last, "none");
    if (sigtimedwait(&set, &si, &ts) != sig)
        return 0;
    describe(&si);
    return 1;
}

#define EXPECT_COUNT(name, sig, want)                                         \
    do {                                                                      \
        int n_ = take(sig);                                                   \
        expect(name, n_ == (want), "%d signals (last %s), want %d", n_, last, (want)); \
    } while (0)

/* `last` must say `code`, `fd` and `band`. */
static void expect_record(const char *name, int code, int fd, long band) {
    char want[128];
    snprintf(want, sizeof want, "code=%d fd=%d band=%lx", code, fd, band);
    expect(name, strcmp(last, want) == 0, "%s, want %s", last, want);
}

static void block_all(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    sigaddset(&set, SIGURG);
    sigaddset(&set, SIG_A);
    sigaddset(&set, SIG_B);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

static int set_async(int fd, int on) {
    int fl = fcntl(fd, F_GETFL);
    return fcntl(fd, F_SETFL, on ? fl | O_ASYNC : fl & ~O_ASYNC);
}

#define BAND_IN ((long)(POLLIN | POLLRDNORM))
#define BAND_OUT ((long)(POLLOUT | POLLWRNORM | POLLWRBAND))
#define BAND_HUP ((long)(POLLHUP | POLLERR))

static void g_pipe(void) {
    block_all();
    int p[2];
    char buf[64];
    if (pipe(p) != 0)
        return;
    expect("getown-default", fcntl(p[0], F_GETOWN) == 0, "%d", fcntl(p[0], F_GETOWN));
    expect("getsig-default", fcntl(p[0], F_GETSIG) == 0, "%d", fcntl(p[0], F_GETSIG));
    EXPECT_OK("setown-self", fcntl(p[0], F_SETOWN, getpid()));
    expect("getown-self", fcntl(p[0], F_GETOWN) == getpid(), "%d", fcntl(p[0], F_GETOWN));
    /* An owner but no O_ASYNC: nothing. */
    if (write(p[1], "a", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    EXPECT_COUNT("no-async-no-signal", SIGIO, 0);
    EXPECT_OK("setfl-async", set_async(p[0], 1));
    expect("getfl-async", (fcntl(p[0], F_GETFL) & O_ASYNC) != 0, "%x", fcntl(p[0], F_GETFL));
    if (write(p[1], "b", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    EXPECT_COUNT("write-signals-reader", SIGIO, 1);
    expect("plain-sigio-is-kernel", strcmp(last, "kernel") == 0, "%s", last);
    /* F_SETSIG: real-time records queue, one per write. */
    EXPECT_OK("setsig", fcntl(p[0], F_SETSIG, SIG_A));
    expect("getsig", fcntl(p[0], F_GETSIG) == SIG_A, "%d", fcntl(p[0], F_GETSIG));
    for (int i = 0; i < 3; i++)
        if (write(p[1], "c", 1) != 1)
            printf("write: %s\n", errno_name(errno));
    EXPECT_COUNT("rt-one-per-write", SIG_A, 3);
    expect_record("rt-record-in", POLL_IN, p[0], BAND_IN);
    /* Reading signals the writers, not this reader. */
    if (read(p[0], buf, sizeof buf) < 0)
        printf("read: %s\n", errno_name(errno));
    EXPECT_COUNT("read-no-reader-signal", SIG_A, 0);
    /* The write end, owned and async: each read signals it. */
    fcntl(p[1], F_SETOWN, getpid());
    fcntl(p[1], F_SETSIG, SIG_B);
    EXPECT_OK("ioctl-fioasync-on", ioctl(p[1], FIOASYNC, &(int){1}));
    expect("fioasync-sets-flag", (fcntl(p[1], F_GETFL) & O_ASYNC) != 0, "%x", fcntl(p[1], F_GETFL));
    if (write(p[1], "dd", 2) != 2)
        printf("write: %s\n", errno_name(errno));
    EXPECT_COUNT("writer-not-signalled-by-write", SIG_B, 0);
    EXPECT_COUNT("reader-signalled", SIG_A, 1);
    if (read(p[0], buf, 1) != 1)
        printf("read: %s\n", errno_name(errno));
    EXPECT_COUNT("read-signals-writer", SIG_B, 1);
    expect_record("rt-record-out", POLL_OUT, p[1], BAND_OUT);
    /* Linux's pipe_read signals the writers even when it finds nothing
     * (EAGAIN), and pipe_write the readers when the pipe is full. */
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    if (read(p[0], buf, sizeof buf) < 0)
        printf("read: %s\n", errno_name(errno));
    take(SIG_B);
    EXPECT_ERR("read-empty", read(p[0], buf, 1), EAGAIN);
    EXPECT_COUNT("eagain-read-signals-writer", SIG_B, 1);
    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
    static char big[65536];
    long filled = write(p[1], big, sizeof big);
    expect("fill", filled == (long)sizeof big, "%ld", filled);
    take(SIG_A);
    EXPECT_ERR("write-full", write(p[1], "x", 1), EAGAIN);
    EXPECT_COUNT("eagain-write-signals-reader", SIG_A, 1);
    while (read(p[0], big, sizeof big) > 0)
        ;
    take(SIG_B);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) & ~O_NONBLOCK);
    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) & ~O_NONBLOCK);
    /* si_fd is the descriptor O_ASYNC was turned on through. */
    set_async(p[0], 0);
    EXPECT_OK("fioasync-off", ioctl(p[1], FIOASYNC, &(int){0}));
    int d = dup(p[0]);
    set_async(d, 1);
    if (write(p[1], "e", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    take(SIG_A);
    expect_record("si-fd-is-dup", POLL_IN, d, BAND_IN);
    close(d); /* the open file stays async through p[0] */
    if (write(p[1], "f", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    EXPECT_COUNT("dup-closed-still-async", SIG_A, 1);
    expect_record("dup-closed-same-fd", POLL_IN, d, BAND_IN);
    /* Turned off: nothing. */
    set_async(p[0], 0);
    if (write(p[1], "g", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    EXPECT_COUNT("async-off", SIG_A, 0);
    /* The last writer's close signals the readers (POLL_IN). */
    set_async(p[0], 1);
    close(p[1]);
    EXPECT_COUNT("writer-close-signals-reader", SIG_A, 1);
    expect_record("writer-close-record", POLL_IN, p[0], BAND_IN);
    close(p[0]);
    /* A reader's close signals the writers (POLL_OUT). */
    if (pipe(p) != 0)
        return;
    fcntl(p[1], F_SETOWN, getpid());
    fcntl(p[1], F_SETSIG, SIG_B);
    set_async(p[1], 1);
    close(p[0]);
    EXPECT_COUNT("reader-close-signals-writer", SIG_B, 1);
    expect_record("reader-close-record", POLL_OUT, p[1], BAND_OUT);
    close(p[1]);
    /* A FIFO opened O_RDWR is both a reader and a writer. */
    unlink("/tmp/husk-sigio-fifo");
    if (mkfifo("/tmp/husk-sigio-fifo", 0600) == 0) {
        int f = open("/tmp/husk-sigio-fifo", O_RDWR | O_NONBLOCK);
        fcntl(f, F_SETOWN, getpid());
        fcntl(f, F_SETSIG, SIG_A);
        set_async(f, 1);
        if (write(f, "x", 1) != 1)
            printf("write: %s\n", errno_name(errno));
        EXPECT_COUNT("fifo-write", SIG_A, 1);
        expect_record("fifo-write-record", POLL_IN, f, BAND_IN);
        if (read(f, buf, 1) != 1)
            printf("read: %s\n", errno_name(errno));
        EXPECT_COUNT("fifo-read", SIG_A, 1);
        expect_record("fifo-read-record", POLL_OUT, f, BAND_OUT);
        close(f);
        unlink("/tmp/husk-sigio-fifo");
    }
}

static void g_owner(void) {
    block_all();
    int p[2];
    if (pipe(p) != 0)
        return;
    EXPECT_ERR("setown-no-such-pid", fcntl(p[0], F_SETOWN, 999999), ESRCH);
    EXPECT_OK("setown-pgrp", fcntl(p[0], F_SETOWN, -getpgrp()));
    expect("getown-pgrp-negative", fcntl(p[0], F_GETOWN) == -getpgrp(), "%d", fcntl(p[0], F_GETOWN));
    struct f_owner_ex ex;
    EXPECT_OK("getown-ex", fcntl(p[0], F_GETOWN_EX, &ex));
    expect("getown-ex-pgrp", ex.type == F_OWNER_PGRP && ex.pid == getpgrp(), "%d %d", ex.type, ex.pid);
    ex.type = 7;
    ex.pid = getpid();
    EXPECT_ERR("setown-ex-bad-type", fcntl(p[0], F_SETOWN_EX, &ex), EINVAL);
    EXPECT_ERR("setsig-too-big", fcntl(p[0], F_SETSIG, 65), EINVAL);
    /* A process group owner: the group's processes get it (a group of
     * our own, so no one else is in it). */
    setpgid(0, 0);
    EXPECT_OK("setown-own-pgrp", fcntl(p[0], F_SETOWN, -getpgrp()));
    fcntl(p[0], F_SETSIG, SIG_A);
    set_async(p[0], 1);
    if (write(p[1], "a", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    EXPECT_COUNT("pgrp-owner-signalled", SIG_A, 1);
    /* F_SETOWN 0: no owner, no signal. */
    EXPECT_OK("setown-zero", fcntl(p[0], F_SETOWN, 0));
    expect("getown-zero", fcntl(p[0], F_GETOWN) == 0, "%d", fcntl(p[0], F_GETOWN));
    if (write(p[1], "a", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    EXPECT_COUNT("no-owner-no-signal", SIG_A, 0);

    /* Another process as owner: a child waits for the record. */
    int ready[2];
    if (pipe(ready) != 0)
        return;
    pid_t child = xfork();
    if (child == 0) {
        if (write(ready[1], "r", 1) != 1)
            _exit(3);
        _exit(wait_one(SIG_A, 5000) && strncmp(last, "code=1 ", 7) == 0 ? 0 : 1);
    }
    char c;
    if (read(ready[0], &c, 1) != 1)
        printf("ready: %s\n", errno_name(errno));
    EXPECT_OK("setown-child", fcntl(p[0], F_SETOWN, child));
    if (write(p[1], "b", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    int st;
    waitpid_ms(child, &st, 0, 10000);
    expect("child-owner-got-record", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
    EXPECT_COUNT("parent-not-signalled", SIG_A, 0);

    /* sigio_perm: an owner set by another user may not signal. */
    if (getuid() == 0) {
        if (pipe(ready) != 0)
            return;
        child = xfork();
        if (child == 0) {
            if (setresuid(1000, 1000, 1000) != 0)
                _exit(4);
            if (write(ready[1], "r", 1) != 1)
                _exit(3);
            _exit(wait_one(SIG_A, 500) ? 1 : 0);
        }
        if (read(ready[0], &c, 1) != 1)
            printf("ready: %s\n", errno_name(errno));
        pid_t setter = xfork();
        if (setter == 0) {
            if (setresuid(2000, 2000, 2000) != 0)
                _exit(4);
            fcntl(p[0], F_SETOWN, child);
            _exit(write(p[1], "c", 1) == 1 ? 0 : 5);
        }
        waitpid_ms(setter, &st, 0, 10000);
        expect("other-user-setter", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
        waitpid_ms(child, &st, 0, 10000);
        expect("other-user-not-signalled", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
        /* Root set the owner: allowed whoever the target is. */
        if (pipe(ready) != 0)
            return;
        child = xfork();
        if (child == 0) {
            if (setresuid(1000, 1000, 1000) != 0)
                _exit(4);
            if (write(ready[1], "r", 1) != 1)
                _exit(3);
            _exit(wait_one(SIG_A, 5000) ? 0 : 1);
        }
        if (read(ready[0], &c, 1) != 1)
            printf("ready: %s\n", errno_name(errno));
        fcntl(p[0], F_SETOWN, child);
        if (write(p[1], "d", 1) != 1)
            printf("write: %s\n", errno_name(errno));
        waitpid_ms(child, &st, 0, 10000);
        expect("root-setter-signals", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
    }
    close(p[0]);
    close(p[1]);
}

/* F_OWNER_TID: only that thread gets it. */
static int tid_pipe[2];
static volatile int thread_tid;
static volatile int thread_got = -1;

static void *tid_thread(void *arg) {
    (void)arg;
    thread_tid = syscall(SYS_gettid);
    thread_got = wait_one(SIG_A, 5000);
    return NULL;
}

static void g_tid(void) {
    block_all();
    if (pipe(tid_pipe) != 0)
        return;
    pthread_t th;
    thread_tid = 0;
    pthread_create(&th, NULL, tid_thread, NULL);
    for (int i = 0; i < 5000 && thread_tid == 0; i++)
        sleep_ms(1);
    struct f_owner_ex ex = {F_OWNER_TID, thread_tid};
    EXPECT_OK("setown-ex-tid", fcntl(tid_pipe[0], F_SETOWN_EX, &ex));
    struct f_owner_ex got;
    fcntl(tid_pipe[0], F_GETOWN_EX, &got);
    expect("getown-ex-tid", got.type == F_OWNER_TID && got.pid == thread_tid, "%d %d", got.type, got.pid);
    fcntl(tid_pipe[0], F_SETSIG, SIG_A);
    set_async(tid_pipe[0], 1);
    if (write(tid_pipe[1], "t", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    pthread_join(th, NULL);
    expect("thread-got-it", thread_got == 1, "%d", thread_got);
    EXPECT_COUNT("main-thread-not", SIG_A, 0);
}

static void g_regular(void) {
    block_all();
    int fd = memfd_create("sigio", 0);
    fcntl(fd, F_SETOWN, getpid());
    /* Accepted, but only a kind with fasync keeps the flag (setfl). */
    EXPECT_OK("setfl-async-regular", set_async(fd, 1));
    expect("getfl-async-regular-unset", (fcntl(fd, F_GETFL) & O_ASYNC) == 0, "%x", fcntl(fd, F_GETFL));
    if (write(fd, "x", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    EXPECT_COUNT("regular-no-signal", SIGIO, 0);
    set_async(fd, 0);
    EXPECT_ERR("fioasync-regular-enotty", ioctl(fd, FIOASYNC, &(int){1}), ENOTTY);
    expect("fioasync-flag-unchanged", (fcntl(fd, F_GETFL) & O_ASYNC) == 0, "%x", fcntl(fd, F_GETFL));
    close(fd);
}

static void own(int fd, int sig) {
    fcntl(fd, F_SETOWN, getpid());
    fcntl(fd, F_SETSIG, sig);
    set_async(fd, 1);
}

static void g_unix(void) {
    block_all();
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return;
    own(sv[0], SIG_A);
    if (write(sv[1], "hi", 2) != 2)
        printf("write: %s\n", errno_name(errno));
    expect("stream-data", wait_one(SIG_A, 2000) == 1, "none");
    expect_record("stream-data-record", POLL_IN, sv[0], BAND_IN);
    close(sv[1]);
    expect("stream-peer-close", wait_one(SIG_A, 2000) == 1, "none");
    expect_record("stream-peer-close-record", POLL_HUP, sv[0], BAND_HUP);
    close(sv[0]);

    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0)
        return;
    own(sv[0], SIG_A);
    if (write(sv[1], "dg", 2) != 2)
        printf("write: %s\n", errno_name(errno));
    expect("dgram-data", wait_one(SIG_A, 2000) == 1, "none");
    expect_record("dgram-data-record", POLL_IN, sv[0], BAND_IN);
    /* Each datagram is an arrival, read or not. */
    if (write(sv[1], "d2", 2) != 2 || write(sv[1], "d3", 2) != 2)
        printf("write: %s\n", errno_name(errno));
    EXPECT_COUNT("dgram-each-datagram", SIG_A, 2);
    /* Stream data arriving while some is unread signals again. */
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0) {
        own(sp[0], SIG_B);
        if (write(sp[1], "a", 1) != 1 || write(sp[1], "b", 1) != 1)
            printf("write: %s\n", errno_name(errno));
        EXPECT_COUNT("stream-each-write", SIG_B, 2);
        close(sp[0]);
        close(sp[1]);
    }
    close(sv[0]);
    close(sv[1]);

    /* A listener hears a connection arrive. */
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "husk-sigio-%d", getpid());
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1);
    if (bind(l, (struct sockaddr *)&a, alen) != 0 || listen(l, 4) != 0)
        printf("listen: %s\n", errno_name(errno));
    own(l, SIG_B);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, alen) != 0)
        printf("connect: %s\n", errno_name(errno));
    expect("listener-connection", wait_one(SIG_B, 2000) == 1, "none");
    expect_record("listener-record", POLL_IN, l, BAND_IN);
    int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c2, (struct sockaddr *)&a, alen) != 0)
        printf("connect: %s\n", errno_name(errno));
    EXPECT_COUNT("listener-second-connection", SIG_B, 1);
    close(c2);
    close(c);
    close(l);
}

static void g_ip(void) {
    block_all();
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (bind(l, (struct sockaddr *)&a, alen) != 0 || listen(l, 4) != 0)
        printf("listen: %s\n", errno_name(errno));
    getsockname(l, (struct sockaddr *)&a, &alen);
    own(l, SIG_B);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, alen) != 0)
        printf("connect: %s\n", errno_name(errno));
    expect("tcp-listener-connection", wait_one(SIG_B, 2000) == 1, "none");
    expect_record("tcp-listener-record", POLL_IN, l, BAND_IN);
    int c2 = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c2, (struct sockaddr *)&a, alen) != 0)
        printf("connect: %s\n", errno_name(errno));
    expect("tcp-listener-second-connection", wait_one(SIG_B, 2000) == 1, "none");
    close(c2);
    int s = accept(l, NULL, NULL);
    own(s, SIG_A);
    if (write(c, "hello", 5) != 5)
        printf("write: %s\n", errno_name(errno));
    expect("tcp-data", wait_one(SIG_A, 2000) == 1, "none");
    expect_record("tcp-data-record", POLL_IN, s, BAND_IN);
    char buf[16];
    if (read(s, buf, sizeof buf) != 5)
        printf("read: %s\n", errno_name(errno));
    take(SIG_A);
    /* The peer's FIN, this side still open: POLL_IN, not POLL_HUP. */
    shutdown(c, SHUT_WR);
    expect("tcp-peer-shutdown", wait_one(SIG_A, 2000) == 1, "none");
    expect_record("tcp-peer-shutdown-record", POLL_IN, s, BAND_IN);
    close(c);
    close(s);
    close(l);
    sleep_ms(50);
    take(SIG_A);
    take(SIG_B);

    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t ualen = sizeof ua;
    bind(u, (struct sockaddr *)&ua, ualen);
    getsockname(u, (struct sockaddr *)&ua, &ualen);
    own(u, SIG_A);
    int us = socket(AF_INET, SOCK_DGRAM, 0);
    if (sendto(us, "u", 1, 0, (struct sockaddr *)&ua, ualen) != 1)
        printf("sendto: %s\n", errno_name(errno));
    expect("udp-data", wait_one(SIG_A, 2000) == 1, "none");
    expect_record("udp-data-record", POLL_IN, u, BAND_IN);
    close(us);
    close(u);
}

static void g_pty(void) {
    block_all();
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0)
        return;
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    struct termios t;
    tcgetattr(s, &t);
    cfmakeraw(&t);
    tcsetattr(s, TCSANOW, &t);
    /* O_ASYNC on a terminal without an owner makes the caller the owner. */
    set_async(s, 1);
    expect("tty-async-sets-owner", fcntl(s, F_GETOWN) == getpid(), "%d", fcntl(s, F_GETOWN));
    fcntl(s, F_SETSIG, SIG_A);
    if (write(m, "k", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    expect("slave-input", wait_one(SIG_A, 2000) == 1, "none");
    expect_record("slave-input-record", POLL_IN, s, BAND_IN);
    set_async(m, 1);
    expect("master-async-sets-owner", fcntl(m, F_GETOWN) == getpid(), "%d", fcntl(m, F_GETOWN));
    fcntl(m, F_SETSIG, SIG_B);
    if (write(s, "out", 3) != 3)
        printf("write: %s\n", errno_name(errno));
    expect("master-output", wait_one(SIG_B, 2000) == 1, "none");
    expect_record("master-output-record", POLL_IN, m, BAND_IN);
    close(s);
    close(m);
}

static void g_inotify(void) {
    block_all();
    int in = inotify_init1(IN_NONBLOCK);
    mkdir("/tmp/husk-sigio-dir", 0755);
    inotify_add_watch(in, "/tmp/husk-sigio-dir", IN_CREATE);
    own(in, SIG_A);
    int f = open("/tmp/husk-sigio-dir/a", O_CREAT | O_WRONLY, 0644);
    close(f);
    EXPECT_COUNT("inotify-event", SIG_A, 1);
    expect_record("inotify-record", POLL_IN, in, BAND_IN);
    unlink("/tmp/husk-sigio-dir/a");
    rmdir("/tmp/husk-sigio-dir");
    close(in);
}

/* At RLIMIT_SIGPENDING the F_SETSIG record is refused and Linux falls back
 * to a plain SIGIO (send_sigio_to_task). */
static void g_limit(void) {
    alone_as(54324);
    block_all();
    struct rlimit rl = {16, 16};
    EXPECT_OK("lower-limit", setrlimit(RLIMIT_SIGPENDING, &rl));
    union sigval v = {0};
    int n = 0;
    while (n < 100 && sigqueue(getpid(), SIG_B, v) == 0)
        n++;
    expect("filled", n > 0 && n <= 16 && errno == EAGAIN, "%d %s", n, errno_name(errno));
    int p[2];
    EXPECT_OK("pipe", pipe(p));
    fcntl(p[0], F_SETOWN, getpid());
    EXPECT_OK("setsig", fcntl(p[0], F_SETSIG, SIG_A));
    EXPECT_OK("async", set_async(p[0], 1));
    EXPECT_OK("write", write(p[1], "x", 1) == 1 ? 0 : -1);
    EXPECT_COUNT("rt-record-refused", SIG_A, 0);
    EXPECT_COUNT("plain-sigio-instead", SIGIO, 1);
    expect("plain-is-kernel", strcmp(last, "kernel") == 0, "%s", last);
    /* A child's exit signal that is real-time is refused too (a record
     * with si_code CLD_EXITED): the parent only sees the exit in wait. */
    pid_t c = syscall(SYS_clone, SIG_A, 0, 0, 0, 0);
    if (c == 0)
        _exit(7);
    int st = 0;
    expect("child-reaped", waitpid(c, &st, __WALL) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7, "%x", st);
    EXPECT_COUNT("exit-signal-refused", SIG_A, 0);
    /* Room again: the record comes. */
    EXPECT_COUNT("drain", SIG_B, n);
    EXPECT_OK("write-again", write(p[1], "y", 1) == 1 ? 0 : -1);
    EXPECT_COUNT("rt-record-again", SIG_A, 1);
    expect_record("record-fields", POLL_IN, p[0], BAND_IN);
    EXPECT_COUNT("no-plain-sigio", SIGIO, 0);
    close(p[0]);
    close(p[1]);
}

static const struct test_group groups[] = {
    {"pipe", g_pipe},       {"owner", g_owner}, {"tid", g_tid},         {"regular", g_regular},
    {"unix", g_unix},       {"ip", g_ip},       {"pty", g_pty},         {"inotify", g_inotify},
    {"limit", g_limit},
};

int main(int argc, char **argv) {
    return RUN_GROUPS(argc, argv, groups);
}
