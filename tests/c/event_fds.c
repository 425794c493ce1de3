/*
 * Event descriptors: eventfd, epoll, timerfd, signalfd, memfd_create, and
 * their readiness under poll/select/epoll. One line per check ("name: ok"
 * natively), so a run under husk can be compared line by line. Elapsed
 * times are only checked with loose bounds; nothing time-dependent is
 * printed.
 *
 * Signals sent to the process itself have a handler installed first: under
 * husk the program is PID 1, which (as a namespace init) drops signals it
 * has no handler for.
 *
 *   event_fds [GROUP]     run one group (all without an argument)
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#define MS 1000000LL

static volatile sig_atomic_t got_usr1, got_usr2;
static void on_usr1(int s) { (void)s; got_usr1++; }
static void on_usr2(int s) { (void)s; got_usr2++; }
static void on_any(int s) { (void)s; }

static void handle(int sig, void (*fn)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static void block(int sig, int how) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(how, &s, NULL);
}

/* Forks a child that sleeps `ms` and then sends `sig` to the parent. */
static pid_t signal_me_later(int sig, long ms) {
    pid_t parent = getpid();
    pid_t c = xfork();
    if (c == 0) {
        sleep_ms(ms);
        kill(parent, sig);
        _exit(0);
    }
    return c;
}

/* Forks a child that sleeps `ms` and then writes 8 bytes of `v` to `fd`. */
static pid_t write_later(int fd, uint64_t v, long ms) {
    pid_t c = xfork();
    if (c == 0) {
        sleep_ms(ms);
        if (write(fd, &v, 8) != 8)
            _exit(1);
        _exit(0);
    }
    return c;
}

static short poll1(int fd, short events, int ms) {
    struct pollfd p = {fd, events, 0};
    int n = poll(&p, 1, ms);
    return n > 0 ? p.revents : (short)n;
}

static int select_readable(int fd, int ms) {
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    int n = select(fd + 1, &r, NULL, NULL, &tv);
    return n > 0 && FD_ISSET(fd, &r);
}

static int add(int ep, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* ---- eventfd -------------------------------------------------------------- */

static void g_eventfd(void) {
    uint64_t v = 0;
    int fd = eventfd(5, EFD_NONBLOCK | EFD_CLOEXEC);
    expect("eventfd-create", fd >= 0, "%s", errno_name(errno));
    expect("eventfd-flags", fcntl(fd, F_GETFL) == (O_RDWR | O_NONBLOCK), "0%o", fcntl(fd, F_GETFL));
    expect("eventfd-cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC, "%d", fcntl(fd, F_GETFD));
    struct stat st;
    fstat(fd, &st);
    expect("eventfd-stat-mode", st.st_mode == 0600, "0%o", st.st_mode);
    expect("eventfd-poll-in-out", poll1(fd, POLLIN | POLLOUT, 0) == (POLLIN | POLLOUT), "0x%x",
           poll1(fd, POLLIN | POLLOUT, 0));
    /* Reads shorter than the counter, empty ones included, are EINVAL. */
    EXPECT_ERR("eventfd-read-zero-einval", read(fd, &v, 0), EINVAL);
    EXPECT_ERR("eventfd-read-short-einval", read(fd, &v, 7), EINVAL);
    expect_ret("eventfd-read-initval", read(fd, &v, 8), errno, 8, 0);
    expect("eventfd-read-value", v == 5, "%llu", (unsigned long long)v);
    EXPECT_ERR("eventfd-read-empty-eagain", read(fd, &v, 8), EAGAIN);
    expect("eventfd-poll-out-only", poll1(fd, POLLIN | POLLOUT, 0) == POLLOUT, "0x%x",
           poll1(fd, POLLIN | POLLOUT, 0));
    uint32_t small = 1;
    EXPECT_ERR("eventfd-short-read", read(fd, &small, 4), EINVAL);
    EXPECT_ERR("eventfd-short-write", write(fd, &small, 4), EINVAL);
    v = UINT64_MAX;
    EXPECT_ERR("eventfd-write-max-einval", write(fd, &v, 8), EINVAL);
    v = 3;
    expect_ret("eventfd-write", write(fd, &v, 8), errno, 8, 0);
    v = 4;
    expect_ret("eventfd-write-adds", write(fd, &v, 8), errno, 8, 0);
    char big[16] = {0};
    expect_ret("eventfd-read-large-buffer", read(fd, big, 16), errno, 8, 0);
    memcpy(&v, big, 8);
    expect("eventfd-sum", v == 7, "%llu", (unsigned long long)v);
    v = UINT64_MAX - 1;
    expect_ret("eventfd-fill", write(fd, &v, 8), errno, 8, 0);
    expect("eventfd-full-not-writable", poll1(fd, POLLOUT, 0) == 0, "0x%x", poll1(fd, POLLOUT, 0));
    v = 1;
    EXPECT_ERR("eventfd-overflow-eagain", write(fd, &v, 8), EAGAIN);
    v = 0;
    expect_ret("eventfd-write-zero-when-full", write(fd, &v, 8), errno, 8, 0);
    read(fd, &v, 8);
    expect("eventfd-read-max", v == UINT64_MAX - 1, "%llx", (unsigned long long)v);
    close(fd);

    fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    int ones = 0;
    for (int i = 0; i < 3; i++)
        if (read(fd, &v, 8) == 8 && v == 1)
            ones++;
    expect("eventfd-semaphore-reads-one", ones == 3, "%d", ones);
    EXPECT_ERR("eventfd-semaphore-empty", read(fd, &v, 8), EAGAIN);
    close(fd);

    EXPECT_ERR("eventfd-bad-flags", eventfd(0, 0x40), EINVAL);
    EXPECT_OK("eventfd-raw-syscall", syscall(SYS_eventfd, 0));

    /* Blocking read woken by another process's write. */
    fd = eventfd(0, 0);
    pid_t c = write_later(fd, 42, 50);
    long long t0 = mono_ns();
    v = 0;
    expect_ret("eventfd-blocking-read", read(fd, &v, 8), errno, 8, 0);
    expect("eventfd-blocking-value", v == 42, "%llu", (unsigned long long)v);
    expect("eventfd-blocking-waited", mono_ns() - t0 >= 40 * MS, "%lld ms", (mono_ns() - t0) / MS);
    wait_text(c);

    /* Blocking write waits for room. */
    v = UINT64_MAX - 1;
    write(fd, &v, 8);
    c = xfork();
    if (c == 0) {
        sleep_ms(50);
        uint64_t x;
        read(fd, &x, 8);
        _exit(0);
    }
    v = 9;
    expect_ret("eventfd-blocking-write", write(fd, &v, 8), errno, 8, 0);
    wait_text(c);
    read(fd, &v, 8);
    expect("eventfd-blocking-write-value", v == 9, "%llu", (unsigned long long)v);

    /* A signal with a handler interrupts a blocking read (no SA_RESTART). */
    handle(SIGUSR1, on_usr1, 0);
    c = signal_me_later(SIGUSR1, 50);
    EXPECT_ERR("eventfd-read-eintr", read(fd, &v, 8), EINTR);
    wait_text(c);
    /* With SA_RESTART the read resumes and gets the value. */
    handle(SIGUSR1, on_usr1, SA_RESTART);
    c = signal_me_later(SIGUSR1, 30);
    pid_t w = write_later(fd, 5, 120);
    v = 0;
    expect_ret("eventfd-read-restarts", read(fd, &v, 8), errno, 8, 0);
    expect("eventfd-read-restarts-value", v == 5, "%llu", (unsigned long long)v);
    wait_text(c);
    wait_text(w);
    close(fd);
}

/* ---- epoll: creation, epoll_ctl and epoll_wait errors --------------------- */

static void g_epoll_errors(void) {
    EXPECT_ERR("epoll-create-0", epoll_create(0), EINVAL);
    EXPECT_ERR("epoll-create-negative", epoll_create(-1), EINVAL);
    int ep = epoll_create(1);
    expect("epoll-create", ep >= 0, "%s", errno_name(errno));
    expect("epoll-create-no-cloexec", fcntl(ep, F_GETFD) == 0, "%d", fcntl(ep, F_GETFD));
    close(ep);
    EXPECT_ERR("epoll-create1-bad-flags", epoll_create1(1), EINVAL);
    ep = epoll_create1(EPOLL_CLOEXEC);
    expect("epoll-create1-cloexec", fcntl(ep, F_GETFD) == FD_CLOEXEC, "%d", fcntl(ep, F_GETFD));
    expect("epoll-flags", fcntl(ep, F_GETFL) == O_RDWR, "0%o", fcntl(ep, F_GETFL));
    struct stat st;
    fstat(ep, &st);
    expect("epoll-stat-mode", st.st_mode == 0600, "0%o", st.st_mode);
    char b[8];
    EXPECT_ERR("epoll-read-einval", read(ep, b, 8), EINVAL);

    int p[2];
    pipe(p);
    EXPECT_OK("ctl-add", add(ep, p[0], EPOLLIN, 1));
    EXPECT_ERR("ctl-add-again-eexist", add(ep, p[0], EPOLLIN, 1), EEXIST);
    EXPECT_ERR("ctl-mod-unknown-enoent", mod(ep, p[1], EPOLLOUT, 2), ENOENT);
    EXPECT_ERR("ctl-del-unknown-enoent", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
    EXPECT_OK("ctl-mod", mod(ep, p[0], EPOLLIN | EPOLLET, 3));
    EXPECT_OK("ctl-del-null-event", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    EXPECT_ERR("ctl-del-again-enoent", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
    EXPECT_ERR("ctl-add-self-einval", add(ep, ep, EPOLLIN, 0), EINVAL);
    EXPECT_ERR("ctl-bad-op-einval", ({
                   struct epoll_event e = {0};
                   epoll_ctl(ep, 7, p[0], &e);
               }),
               EINVAL);
    EXPECT_ERR("ctl-not-epoll-einval", add(p[1], p[0], EPOLLIN, 0), EINVAL);
    EXPECT_ERR("ctl-bad-fd-ebadf", add(ep, 999, EPOLLIN, 0), EBADF);
    EXPECT_ERR("ctl-bad-epfd-ebadf", add(999, p[0], EPOLLIN, 0), EBADF);
    EXPECT_ERR("ctl-bad-event-efault", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (void *)8), EFAULT);
    EXPECT_ERR("ctl-exclusive-mod-einval", mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL);
    EXPECT_ERR("ctl-exclusive-oneshot-einval", add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0),
               EINVAL);
    EXPECT_OK("ctl-exclusive-add", add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0));
    EXPECT_ERR("ctl-mod-exclusive-item-einval", mod(ep, p[0], EPOLLIN, 0), EINVAL);

    int reg = open("/bin/sh", O_RDONLY);
    EXPECT_ERR("ctl-regular-file-eperm", add(ep, reg, EPOLLIN, 0), EPERM);
    close(reg);
    int dir = open("/", O_RDONLY | O_DIRECTORY);
    EXPECT_ERR("ctl-directory-eperm", add(ep, dir, EPOLLIN, 0), EPERM);
    close(dir);
    int null = open("/dev/null", O_RDWR);
    EXPECT_ERR("ctl-dev-null-eperm", add(ep, null, EPOLLIN, 0), EPERM);
    close(null);

    struct epoll_event ev[4];
    EXPECT_ERR("wait-maxevents-0", epoll_wait(ep, ev, 0, 0), EINVAL);
    EXPECT_ERR("wait-maxevents-negative", epoll_wait(ep, ev, -1, 0), EINVAL);
    EXPECT_ERR("wait-not-epoll", epoll_wait(p[0], ev, 4, 0), EINVAL);
    EXPECT_ERR("wait-bad-epfd", epoll_wait(999, ev, 4, 0), EBADF);
    EXPECT_ERR("wait-kernel-pointer-efault", epoll_wait(ep, (void *)0xffff800000000000ULL, 4, 0), EFAULT);
    expect_ret("wait-nothing-ready", epoll_wait(ep, ev, 4, 0), errno, 0, 0);
    long long t0 = mono_ns();
    expect_ret("wait-timeout", epoll_wait(ep, ev, 4, 50), errno, 0, 0);
    expect("wait-timeout-waited", mono_ns() - t0 >= 45 * MS, "%lld ms", (mono_ns() - t0) / MS);
    struct timespec ts = {0, 30 * MS};
    t0 = mono_ns();
    expect_ret("pwait2-timeout", syscall(SYS_epoll_pwait2, ep, ev, 4, &ts, NULL, 8), errno, 0, 0);
    expect("pwait2-timeout-waited", mono_ns() - t0 >= 25 * MS, "%lld ms", (mono_ns() - t0) / MS);
    ts.tv_nsec = 2000000000;
    EXPECT_ERR("pwait2-bad-timespec", syscall(SYS_epoll_pwait2, ep, ev, 4, &ts, NULL, 8), EINVAL);
    sigset_t none;
    sigemptyset(&none);
    EXPECT_ERR("pwait-bad-sigsetsize", syscall(SYS_epoll_pwait, ep, ev, 4, 0, &none, 4), EINVAL);
    close(p[0]);
    close(p[1]);
    close(ep);
}

/* ---- epoll: readiness of pipes, eventfds; LT, ET, ONESHOT ------------------ */

static void g_epoll_modes(void) {
    int ep = epoll_create1(0);
    int p[2];
    pipe(p);
    struct epoll_event ev[8];
    add(ep, p[0], EPOLLIN, 0x1122334455667788ULL);
    add(ep, p[1], EPOLLOUT, 7);
    int n = epoll_wait(ep, ev, 8, 0);
    expect("pipe-writer-ready", n == 1 && ev[0].data.u64 == 7 && ev[0].events == EPOLLOUT, "n=%d ev=0x%x", n,
           n > 0 ? ev[0].events : 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL);
    write(p[1], "abc", 3);
    n = epoll_wait(ep, ev, 8, 0);
    expect("lt-reports", n == 1 && ev[0].events == EPOLLIN, "n=%d", n);
    expect("data-as-given", n == 1 && ev[0].data.u64 == 0x1122334455667788ULL, "%llx",
           (unsigned long long)ev[0].data.u64);
    n = epoll_wait(ep, ev, 8, 0);
    expect("lt-reports-again", n == 1, "n=%d", n);
    char buf[16];
    read(p[0], buf, sizeof buf);
    expect_ret("lt-drained", epoll_wait(ep, ev, 8, 0), errno, 0, 0);

    /* Edge-triggered: one report per new write. */
    mod(ep, p[0], EPOLLIN | EPOLLET, 1);
    expect_ret("et-nothing-yet", epoll_wait(ep, ev, 8, 0), errno, 0, 0);
    write(p[1], "x", 1);
    expect_ret("et-reports-edge", epoll_wait(ep, ev, 8, 0), errno, 1, 0);
    expect_ret("et-no-second-report", epoll_wait(ep, ev, 8, 0), errno, 0, 0);
    write(p[1], "y", 1);
    expect_ret("et-new-data-new-edge", epoll_wait(ep, ev, 8, 0), errno, 1, 0);
    read(p[0], buf, sizeof buf);
    expect_ret("et-drained", epoll_wait(ep, ev, 8, 0), errno, 0, 0);
    /* ET on an already-ready file reports once after MOD. */
    write(p[1], "z", 1);
    epoll_wait(ep, ev, 8, 0);
    mod(ep, p[0], EPOLLIN | EPOLLET, 2);
    n = epoll_wait(ep, ev, 8, 0);
    expect("et-mod-rearms", n == 1 && ev[0].data.u64 == 2, "n=%d", n);
    expect_ret("et-mod-once", epoll_wait(ep, ev, 8, 0), errno, 0, 0);

    /* One-shot: disabled after one report until EPOLL_CTL_MOD. */
    mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 3);
    expect_ret("oneshot-reports", epoll_wait(ep, ev, 8, 0), errno, 1, 0);
    expect_ret("oneshot-disabled", epoll_wait(ep, ev, 8, 0), errno, 0, 0);
    write(p[1], "w", 1);
    expect_ret("oneshot-stays-disabled", epoll_wait(ep, ev, 8, 0), errno, 0, 0);
    mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 4);
    n = epoll_wait(ep, ev, 8, 0);
    expect("oneshot-rearmed", n == 1 && ev[0].data.u64 == 4, "n=%d", n);
    read(p[0], buf, sizeof buf);

    /* Hang-up and error. */
    mod(ep, p[0], EPOLLIN | EPOLLRDHUP, 5);
    write(p[1], "q", 1);
    close(p[1]);
    n = epoll_wait(ep, ev, 8, 0);
    expect("hup-with-data", n == 1 && ev[0].events == (EPOLLIN | EPOLLHUP), "n=%d ev=0x%x", n,
           n > 0 ? ev[0].events : 0);
    read(p[0], buf, sizeof buf);
    n = epoll_wait(ep, ev, 8, 0);
    expect("hup-only", n == 1 && ev[0].events == EPOLLHUP, "n=%d ev=0x%x", n, n > 0 ? ev[0].events : 0);
    close(p[0]);
    pipe(p);
    add(ep, p[1], EPOLLOUT, 6);
    close(p[0]);
    n = epoll_wait(ep, ev, 8, 0);
    /* The write would not block (it fails with EPIPE): EPOLLOUT too. */
    expect("writer-err", n == 1 && ev[0].events == (EPOLLOUT | EPOLLERR), "n=%d ev=0x%x", n,
           n > 0 ? ev[0].events : 0);
    mod(ep, p[1], 0, 6);
    n = epoll_wait(ep, ev, 8, 0);
    expect("err-always-reported", n == 1 && ev[0].events == EPOLLERR, "n=%d ev=0x%x", n,
           n > 0 ? ev[0].events : 0);
    close(p[1]);
    close(ep);

    /* maxevents smaller than the ready set: every item gets its turn. */
    ep = epoll_create1(0);
    int e[3];
    for (int i = 0; i < 3; i++) {
        e[i] = eventfd(1, 0);
        add(ep, e[i], EPOLLIN, 100 + i);
    }
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        n = epoll_wait(ep, ev, 1, 0);
        if (n == 1)
            seen |= 1 << (ev[0].data.u64 - 100);
    }
    expect("round-robin", seen == 7, "seen=%d", seen);
    n = epoll_wait(ep, ev, 8, 0);
    expect("all-three", n == 3, "n=%d", n);

    /* A file closed in every descriptor table drops out; a dup keeps it. */
    int d = dup(e[0]);
    close(e[0]);
    n = epoll_wait(ep, ev, 8, 0);
    expect("dup-keeps-item", n == 3, "n=%d", n);
    EXPECT_ERR("ctl-del-closed-fd-ebadf", epoll_ctl(ep, EPOLL_CTL_DEL, e[0], NULL), EBADF);
    close(d);
    close(e[1]);
    n = epoll_wait(ep, ev, 8, 0);
    expect("closed-items-gone", n == 1 && ev[0].data.u64 == 102, "n=%d", n);
    /* The same descriptor number for a new file is a new item. */
    int again = eventfd(1, 0);
    EXPECT_OK("reused-number-adds", add(ep, again, EPOLLIN, 200));
    close(again);
    close(e[2]);
    close(ep);

    /* ET: a read that leaves an eventfd readable is no new edge (the read
     * wakes writers only), a write is. */
    ep = epoll_create1(0);
    int se = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK);
    add(ep, se, EPOLLIN | EPOLLET, 1);
    uint64_t two = 2, got;
    write(se, &two, 8);
    expect_ret("et-eventfd-edge", epoll_wait(ep, ev, 8, 0), errno, 1, 0);
    read(se, &got, 8);
    expect_ret("et-eventfd-read-no-edge", epoll_wait(ep, ev, 8, 0), errno, 0, 0);
    write(se, &two, 8);
    expect_ret("et-eventfd-write-edge", epoll_wait(ep, ev, 8, 0), errno, 1, 0);
    /* ...while a writer watching EPOLLOUT|EPOLLET gets one from the read. */
    mod(ep, se, EPOLLOUT | EPOLLET, 2);
    expect_ret("et-out-initial", epoll_wait(ep, ev, 8, 0), errno, 1, 0);
    expect_ret("et-out-quiet", epoll_wait(ep, ev, 8, 0), errno, 0, 0);
    read(se, &got, 8);
    expect_ret("et-out-edge-on-read", epoll_wait(ep, ev, 8, 0), errno, 1, 0);
    close(se);
    close(ep);
}

/* ---- epoll: blocking, signals, sigmasks ------------------------------------ */

static void *write_one_later(void *arg) {
    sleep_ms(40);
    uint64_t one = 1;
    write((int)(long)arg, &one, 8);
    return NULL;
}

static void g_epoll_block(void) {
    int ep = epoll_create1(0);
    int efd = eventfd(0, EFD_NONBLOCK);
    add(ep, efd, EPOLLIN, 9);
    struct epoll_event ev[4];
    pid_t c = write_later(efd, 1, 50);
    long long t0 = mono_ns();
    int n = epoll_wait(ep, ev, 4, 5000);
    expect("wait-woken-by-write", n == 1 && ev[0].data.u64 == 9, "n=%d", n);
    expect("wait-waited", mono_ns() - t0 >= 40 * MS, "%lld ms", (mono_ns() - t0) / MS);
    wait_text(c);
    uint64_t v;
    read(efd, &v, 8);

    /* epoll_wait is never restarted: EINTR even with SA_RESTART. */
    handle(SIGUSR1, on_usr1, SA_RESTART);
    got_usr1 = 0;
    c = signal_me_later(SIGUSR1, 50);
    EXPECT_ERR("wait-eintr-despite-sa-restart", epoll_wait(ep, ev, 4, 5000), EINTR);
    expect("wait-eintr-handler-ran", got_usr1 == 1, "%d", (int)got_usr1);
    wait_text(c);

    /* epoll_pwait's mask blocks the signal during the wait only. */
    got_usr1 = 0;
    sigset_t blockusr1;
    sigemptyset(&blockusr1);
    sigaddset(&blockusr1, SIGUSR1);
    c = signal_me_later(SIGUSR1, 20);
    n = epoll_pwait(ep, ev, 4, 150, &blockusr1);
    expect("pwait-masked-times-out", n == 0 && got_usr1 == 1, "n=%d %s handler=%d", n, errno_name(errno),
           (int)got_usr1);
    wait_text(c);

    /* ...and unblocks a blocked signal during the wait. */
    block(SIGUSR1, SIG_BLOCK);
    got_usr1 = 0;
    sigset_t none;
    sigemptyset(&none);
    c = signal_me_later(SIGUSR1, 30);
    sleep_ms(80);
    expect("pending-while-blocked", got_usr1 == 0, "%d", (int)got_usr1);
    EXPECT_ERR("pwait-unmasked-eintr", epoll_pwait(ep, ev, 4, 5000, &none), EINTR);
    expect("pwait-handler-ran", got_usr1 == 1, "%d", (int)got_usr1);
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    expect("pwait-mask-restored", sigismember(&cur, SIGUSR1), "SIGUSR1 not blocked");
    wait_text(c);
    block(SIGUSR1, SIG_UNBLOCK);

    /* A timeout of 0 never reports EINTR. */
    c = signal_me_later(SIGUSR1, 0);
    sleep_ms(50);
    expect_ret("wait-zero-after-signal", epoll_wait(ep, ev, 4, 0), errno, 0, 0);
    wait_text(c);

    /* Another thread's write wakes a waiter. */
    pthread_t th;
    pthread_create(&th, NULL, write_one_later, (void *)(long)efd);
    n = epoll_wait(ep, ev, 4, 5000);
    expect("wait-woken-by-thread", n == 1, "n=%d", n);
    pthread_join(th, NULL);
    close(efd);
    close(ep);
}

/* ---- epoll: nesting, and epoll fds under poll/select ------------------------ */

static void g_epoll_nested(void) {
    int inner = epoll_create1(0), outer = epoll_create1(0);
    int p[2];
    pipe(p);
    add(inner, p[0], EPOLLIN, 1);
    EXPECT_OK("nest-add", add(outer, inner, EPOLLIN, 2));
    EXPECT_ERR("nest-loop-eloop", add(inner, outer, EPOLLIN, 3), ELOOP);
    struct epoll_event ev[4];
    expect_ret("nest-idle", epoll_wait(outer, ev, 4, 0), errno, 0, 0);
    expect("inner-poll-idle", poll1(inner, POLLIN, 0) == 0, "0x%x", poll1(inner, POLLIN, 0));
    write(p[1], "a", 1);
    int n = epoll_wait(outer, ev, 4, 0);
    expect("nest-ready", n == 1 && ev[0].data.u64 == 2 && ev[0].events == EPOLLIN, "n=%d", n);
    expect("inner-poll-ready", poll1(inner, POLLIN, 0) == POLLIN, "0x%x", poll1(inner, POLLIN, 0));
    expect("inner-select-ready", select_readable(inner, 0), "not readable");
    n = epoll_wait(inner, ev, 4, 0);
    expect("inner-still-reports", n == 1 && ev[0].data.u64 == 1, "n=%d", n);
    char c;
    read(p[0], &c, 1);
    expect_ret("nest-drained", epoll_wait(outer, ev, 4, 0), errno, 0, 0);

    /* A sleeper on the outer epoll wakes when the inner one's file does. */
    pid_t w = xfork();
    if (w == 0) {
        sleep_ms(50);
        write(p[1], "b", 1);
        _exit(0);
    }
    n = epoll_wait(outer, ev, 4, 5000);
    expect("nest-wakes-sleeper", n == 1 && ev[0].data.u64 == 2, "n=%d", n);
    wait_text(w);
    read(p[0], &c, 1);

    /* poll() and select() sleeping on an epoll fd. */
    w = xfork();
    if (w == 0) {
        sleep_ms(50);
        write(p[1], "c", 1);
        _exit(0);
    }
    expect("poll-on-epoll-wakes", poll1(inner, POLLIN, 5000) == POLLIN, "no");
    wait_text(w);
    read(p[0], &c, 1);
    w = xfork();
    if (w == 0) {
        sleep_ms(50);
        write(p[1], "d", 1);
        _exit(0);
    }
    expect("select-on-epoll-wakes", select_readable(inner, 5000), "no");
    wait_text(w);

    /* A chain deeper than Linux allows is ELOOP. */
    int chain[7];
    chain[0] = epoll_create1(0);
    int depth_err = 0, i;
    for (i = 1; i < 7; i++) {
        chain[i] = epoll_create1(0);
        if (add(chain[i], chain[i - 1], EPOLLIN, i) < 0) {
            depth_err = errno;
            break;
        }
    }
    expect("nest-depth-eloop", depth_err == ELOOP && i == 5, "failed at %d with %s", i, errno_name(depth_err));
    close(p[0]);
    close(p[1]);
    close(inner);
    close(outer);
}

/* ---- timerfd ----------------------------------------------------------------- */

static long long its_ns(const struct timespec *t) {
    return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void g_timerfd(void) {
    EXPECT_ERR("timerfd-bad-clock", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
    EXPECT_ERR("timerfd-bad-flags", timerfd_create(CLOCK_MONOTONIC, 1), EINVAL);
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    expect("timerfd-create", fd >= 0, "%s", errno_name(errno));
    expect("timerfd-flags", fcntl(fd, F_GETFL) == (O_RDWR | O_NONBLOCK), "0%o", fcntl(fd, F_GETFL));
    expect("timerfd-cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC, "%d", fcntl(fd, F_GETFD));
    struct itimerspec cur, old;
    memset(&cur, 0xff, sizeof cur);
    EXPECT_OK("gettime-disarmed", timerfd_gettime(fd, &cur));
    expect("gettime-disarmed-zero", its_ns(&cur.it_value) == 0 && its_ns(&cur.it_interval) == 0, "nonzero");
    uint64_t n;
    EXPECT_ERR("read-disarmed-eagain", read(fd, &n, 8), EAGAIN);
    EXPECT_ERR("read-zero-einval", read(fd, &n, 0), EINVAL);
    EXPECT_ERR("read-short-einval", read(fd, &n, 4), EINVAL);
    EXPECT_ERR("read-short-einval", read(fd, &n, 4), EINVAL);
    EXPECT_ERR("write-einval", write(fd, &n, 8), EINVAL);

    struct itimerspec its = {{0, 0}, {0, 50 * MS}};
    EXPECT_OK("settime-relative", timerfd_settime(fd, 0, &its, NULL));
    EXPECT_ERR("read-before-expiry-eagain", read(fd, &n, 8), EAGAIN);
    timerfd_gettime(fd, &cur);
    expect("gettime-armed", its_ns(&cur.it_value) > 0 && its_ns(&cur.it_value) <= 50 * MS, "%lld",
           its_ns(&cur.it_value));
    long long t0 = mono_ns();
    expect("poll-waits-for-expiry", poll1(fd, POLLIN, 5000) == POLLIN, "no");
    expect("poll-waited", mono_ns() - t0 >= 30 * MS, "%lld ms", (mono_ns() - t0) / MS);
    timerfd_gettime(fd, &cur);
    expect("gettime-expired-zero", its_ns(&cur.it_value) == 0, "%lld", its_ns(&cur.it_value));
    expect_ret("read-expired", read(fd, &n, 8), errno, 8, 0);
    expect("read-count-one", n == 1, "%llu", (unsigned long long)n);
    EXPECT_ERR("read-again-eagain", read(fd, &n, 8), EAGAIN);

    /* Periodic: the count is the number of periods elapsed. */
    its = (struct itimerspec){{0, 10 * MS}, {0, 10 * MS}};
    timerfd_settime(fd, 0, &its, NULL);
    sleep_ms(55);
    read(fd, &n, 8);
    expect("periodic-count", n >= 4 && n <= 20, "%llu", (unsigned long long)n);
    timerfd_gettime(fd, &cur);
    expect("gettime-interval", its_ns(&cur.it_interval) == 10 * MS && its_ns(&cur.it_value) <= 10 * MS,
           "interval %lld value %lld", its_ns(&cur.it_interval), its_ns(&cur.it_value));
    struct itimerspec zero = {{0, 0}, {0, 0}};
    EXPECT_OK("settime-disarm-old", timerfd_settime(fd, 0, &zero, &old));
    expect("old-value", its_ns(&old.it_interval) == 10 * MS && its_ns(&old.it_value) <= 10 * MS, "%lld %lld",
           its_ns(&old.it_interval), its_ns(&old.it_value));
    sleep_ms(25);
    EXPECT_ERR("disarmed-no-expiry", read(fd, &n, 8), EAGAIN);

    /* Absolute times, also in the past (expired periods are counted). */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long abs = its_ns(&now) + 30 * MS;
    its = (struct itimerspec){{0, 0}, {abs / 1000000000LL, abs % 1000000000LL}};
    EXPECT_OK("settime-abstime", timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
    expect("abstime-poll", poll1(fd, POLLIN, 5000) == POLLIN, "no");
    expect("abstime-not-early", its_ns(&now) + 30 * MS <= clock_ns(CLOCK_MONOTONIC), "early");
    read(fd, &n, 8);
    abs = clock_ns(CLOCK_MONOTONIC) - 105 * MS;
    its = (struct itimerspec){{0, 10 * MS}, {abs / 1000000000LL, abs % 1000000000LL}};
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
    read(fd, &n, 8);
    expect("abstime-past-counts-periods", n >= 11 && n <= 30, "%llu", (unsigned long long)n);
    timerfd_settime(fd, 0, &zero, NULL);

    its.it_value.tv_nsec = 1000000000;
    EXPECT_ERR("settime-bad-nsec", timerfd_settime(fd, 0, &its, NULL), EINVAL);
    its = (struct itimerspec){{0, 0}, {0, MS}};
    EXPECT_ERR("settime-bad-flags", timerfd_settime(fd, 4, &its, NULL), EINVAL);
    int efd = eventfd(0, 0);
    EXPECT_ERR("settime-not-timerfd", timerfd_settime(efd, 0, &its, NULL), EINVAL);
    EXPECT_ERR("gettime-not-timerfd", timerfd_gettime(efd, &cur), EINVAL);
    EXPECT_ERR("settime-bad-fd", timerfd_settime(999, 0, &its, NULL), EBADF);
    EXPECT_ERR("settime-efault", timerfd_settime(fd, 0, (void *)8, NULL), EFAULT);
    close(efd);
    close(fd);

    /* Blocking reads, other clocks, select and epoll. */
    int clocks[3] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME};
    const char *names[3] = {"blocking-read-realtime", "blocking-read-monotonic", "blocking-read-boottime"};
    for (int i = 0; i < 3; i++) {
        fd = timerfd_create(clocks[i], 0);
        its = (struct itimerspec){{0, 0}, {0, 30 * MS}};
        timerfd_settime(fd, 0, &its, NULL);
        t0 = mono_ns();
        n = 0;
        long r = read(fd, &n, 8);
        expect(names[i], r == 8 && n == 1 && mono_ns() - t0 >= 20 * MS, "r=%ld n=%llu %lld ms", r,
               (unsigned long long)n, (mono_ns() - t0) / MS);
        close(fd);
    }
    fd = timerfd_create(CLOCK_MONOTONIC, 0);
    its = (struct itimerspec){{0, 0}, {0, 30 * MS}};
    timerfd_settime(fd, 0, &its, NULL);
    expect("select-waits-for-expiry", select_readable(fd, 5000), "no");
    read(fd, &n, 8);
    int ep = epoll_create1(0);
    add(ep, fd, EPOLLIN, 77);
    timerfd_settime(fd, 0, &its, NULL);
    struct epoll_event ev;
    int k = epoll_wait(ep, &ev, 1, 5000);
    expect("epoll-waits-for-expiry", k == 1 && ev.data.u64 == 77, "k=%d", k);
    expect_ret("epoll-lt-until-read", epoll_wait(ep, &ev, 1, 0), errno, 1, 0);
    read(fd, &n, 8);
    expect_ret("epoll-quiet-after-read", epoll_wait(ep, &ev, 1, 0), errno, 0, 0);
    /* A blocking read is interrupted by a signal with a handler. */
    handle(SIGUSR2, on_usr2, 0);
    its = (struct itimerspec){{0, 0}, {5, 0}};
    timerfd_settime(fd, 0, &its, NULL);
    pid_t c = signal_me_later(SIGUSR2, 40);
    EXPECT_ERR("blocking-read-eintr", read(fd, &n, 8), EINTR);
    wait_text(c);
    close(ep);
    close(fd);
}

/* ---- signalfd ---------------------------------------------------------------- */

static void g_signalfd(void) {
    handle(SIGUSR1, on_usr1, 0);
    handle(SIGUSR2, on_usr2, 0);
    handle(SIGCHLD, on_any, 0);
    handle(SIGRTMIN, on_any, 0);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGCHLD);
    sigaddset(&m, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &m, NULL);

    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    EXPECT_ERR("signalfd-bad-flags", signalfd(-1, &one, 1), EINVAL);
    EXPECT_ERR("signalfd-bad-size", syscall(SYS_signalfd4, -1, &one, 4, 0), EINVAL);
    EXPECT_ERR("signalfd-bad-mask-pointer", syscall(SYS_signalfd4, -1, (void *)8, 8, 0), EFAULT);
    int sfd = signalfd(-1, &one, SFD_NONBLOCK | SFD_CLOEXEC);
    expect("signalfd-create", sfd >= 0, "%s", errno_name(errno));
    expect("signalfd-flags", fcntl(sfd, F_GETFL) == (O_RDWR | O_NONBLOCK), "0%o", fcntl(sfd, F_GETFL));
    expect("signalfd-cloexec", fcntl(sfd, F_GETFD) == FD_CLOEXEC, "%d", fcntl(sfd, F_GETFD));
    struct signalfd_siginfo si[4];
    EXPECT_ERR("read-nothing-eagain", read(sfd, si, sizeof si), EAGAIN);
    EXPECT_ERR("read-short-einval", read(sfd, si, 100), EINVAL);
    EXPECT_ERR("read-zero-einval", read(sfd, si, 0), EINVAL);
    expect("poll-idle", poll1(sfd, POLLIN, 0) == 0, "0x%x", poll1(sfd, POLLIN, 0));

    kill(getpid(), SIGUSR1);
    expect("poll-pending", poll1(sfd, POLLIN, 0) == POLLIN, "0x%x", poll1(sfd, POLLIN, 0));
    expect("select-pending", select_readable(sfd, 0), "no");
    memset(si, 0, sizeof si);
    long r = read(sfd, si, sizeof si);
    expect("read-one", r == sizeof(struct signalfd_siginfo), "r=%ld %s", r, errno_name(errno));
    expect("ssi-signo", si[0].ssi_signo == SIGUSR1, "%u", si[0].ssi_signo);
    expect("ssi-code-user", si[0].ssi_code == SI_USER, "%d", si[0].ssi_code);
    expect("ssi-pid", si[0].ssi_pid == (uint32_t)getpid(), "%u", si[0].ssi_pid);
    expect("ssi-uid", si[0].ssi_uid == getuid(), "%u", si[0].ssi_uid);
    expect("handler-not-run", got_usr1 == 0, "%d", (int)got_usr1);
    sigset_t pend;
    sigpending(&pend);
    expect("consumed", !sigismember(&pend, SIGUSR1), "still pending");

    /* Signals outside the set stay pending; two in the set come in one read. */
    kill(getpid(), SIGUSR2);
    EXPECT_ERR("other-signal-not-read", read(sfd, si, sizeof si), EAGAIN);
    EXPECT_OK("update-mask", ({
                  sigset_t both;
                  sigemptyset(&both);
                  sigaddset(&both, SIGUSR1);
                  sigaddset(&both, SIGUSR2);
                  long x = signalfd(sfd, &both, 0);
                  x == sfd ? 0 : -1;
              }));
    kill(getpid(), SIGUSR1);
    r = read(sfd, si, sizeof si);
    expect("read-two", r == 2 * (long)sizeof(struct signalfd_siginfo) && si[0].ssi_signo == SIGUSR1 &&
               si[1].ssi_signo == SIGUSR2,
           "r=%ld %u %u", r, si[0].ssi_signo, si[1].ssi_signo);
    int efd = eventfd(0, 0);
    EXPECT_ERR("update-not-signalfd", signalfd(efd, &one, 0), EINVAL);
    EXPECT_ERR("update-bad-fd", signalfd(999, &one, 0), EBADF);
    close(efd);

    /* Queued real-time signals keep their values and order. */
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    signalfd(sfd, &rt, 0);
    sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 11});
    sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 22});
    r = read(sfd, si, sizeof si);
    expect("rt-queued", r == 2 * (long)sizeof(struct signalfd_siginfo) && si[0].ssi_int == 11 &&
               si[1].ssi_int == 22 && si[0].ssi_code == SI_QUEUE && si[0].ssi_pid == (uint32_t)getpid(),
           "r=%ld %d %d code %d", r, si[0].ssi_int, si[1].ssi_int, si[0].ssi_code);

    /* A thread-directed signal (tgkill) is read by that thread. */
    signalfd(sfd, &one, 0);
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
    r = read(sfd, si, sizeof si);
    expect("tgkill-read", r == sizeof(struct signalfd_siginfo) && si[0].ssi_code == SI_TKILL, "r=%ld code %d", r,
           si[0].ssi_code);

    /* A blocking read waits for a signal another process sends. */
    int bfd = signalfd(-1, &one, 0);
    pid_t c = signal_me_later(SIGUSR1, 50);
    r = read(bfd, si, sizeof si);
    expect("blocking-read", r == sizeof(struct signalfd_siginfo) && si[0].ssi_pid == (uint32_t)c, "r=%ld pid %u",
           r, si[0].ssi_pid);
    wait_text(c);

    /* ...and an unblocked signal with a handler interrupts it. */
    block(SIGUSR2, SIG_UNBLOCK);
    got_usr2 = 0;
    c = signal_me_later(SIGUSR2, 40);
    EXPECT_ERR("blocking-read-eintr", read(bfd, si, sizeof si), EINTR);
    expect("eintr-handler-ran", got_usr2 == 1, "%d", (int)got_usr2);
    wait_text(c);
    block(SIGUSR2, SIG_BLOCK);

    /* epoll on a signalfd, woken by a signal from another process. */
    int ep = epoll_create1(0);
    EXPECT_OK("epoll-add-signalfd", add(ep, bfd, EPOLLIN, 5));
    struct epoll_event ev;
    expect_ret("epoll-idle", epoll_wait(ep, &ev, 1, 0), errno, 0, 0);
    c = signal_me_later(SIGUSR1, 40);
    int n = epoll_wait(ep, &ev, 1, 5000);
    expect("epoll-woken", n == 1 && ev.data.u64 == 5 && ev.events == EPOLLIN, "n=%d", n);
    expect_ret("epoll-lt-until-read", epoll_wait(ep, &ev, 1, 0), errno, 1, 0);
    read(bfd, si, sizeof si);
    expect_ret("epoll-quiet-after-read", epoll_wait(ep, &ev, 1, 0), errno, 0, 0);
    wait_text(c);
    c = signal_me_later(SIGUSR1, 40);
    expect("poll-woken", poll1(bfd, POLLIN, 5000) == POLLIN, "no");
    read(bfd, si, sizeof si);
    wait_text(c);
    close(ep);

    /* SIGCHLD carries the child's pid and status. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int cfd = signalfd(-1, &chld, SFD_NONBLOCK);
    /* Earlier children's SIGCHLD is pending (one, coalesced): drop it. */
    while (read(cfd, si, sizeof si) > 0)
        ;
    signalfd(cfd, &chld, 0);
    fcntl(cfd, F_SETFL, 0);
    c = xfork();
    if (c == 0)
        _exit(3);
    r = read(cfd, si, sizeof si);
    expect("sigchld", r == sizeof(struct signalfd_siginfo) && si[0].ssi_signo == SIGCHLD &&
               si[0].ssi_code == CLD_EXITED && si[0].ssi_status == 3 && si[0].ssi_pid == (uint32_t)c,
           "r=%ld signo %u code %d status %d pid %u", r, si[0].ssi_signo, si[0].ssi_code, si[0].ssi_status,
           si[0].ssi_pid);
    wait_text(c);
    close(cfd);
    close(bfd);
    close(sfd);
    sigprocmask(SIG_UNBLOCK, &m, NULL);
}

/* ---- memfd_create ------------------------------------------------------------- */

static void g_memfd(void) {
    int fd = memfd_create("test", MFD_CLOEXEC);
    expect("memfd-create", fd >= 0, "%s", errno_name(errno));
    expect("memfd-cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC, "%d", fcntl(fd, F_GETFD));
    expect("memfd-flags", fcntl(fd, F_GETFL) == (O_RDWR | 0100000), "0%o", fcntl(fd, F_GETFL));
    expect_ret("memfd-write", write(fd, "hello", 5), errno, 5, 0);
    expect("memfd-lseek", lseek(fd, 0, SEEK_SET) == 0, "%s", errno_name(errno));
    char buf[16] = {0};
    expect("memfd-read", read(fd, buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0, "%s", buf);
    struct stat st;
    fstat(fd, &st);
    expect("memfd-stat", S_ISREG(st.st_mode) && st.st_size == 5 && (st.st_mode & 0777) == 0777, "mode 0%o size %ld",
           st.st_mode, (long)st.st_size);
    expect("memfd-nlink-0", st.st_nlink == 0, "%ld", (long)st.st_nlink);
    char link[64], target[128] = {0};
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    long len = readlink(link, target, sizeof target - 1);
    expect("memfd-proc-link", len > 0 && strcmp(target, "/memfd:test (deleted)") == 0, "%s", target);
    EXPECT_OK("memfd-fallocate", fallocate(fd, 0, 0, 6000));
    fstat(fd, &st);
    expect("memfd-fallocate-size", st.st_size == 6000, "%ld", (long)st.st_size);
    EXPECT_OK("memfd-ftruncate", ftruncate(fd, 8192));
    fstat(fd, &st);
    expect("memfd-size", st.st_size == 8192, "%ld", (long)st.st_size);

    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    expect("memfd-mmap", m != MAP_FAILED, "%s", errno_name(errno));
    expect("mmap-sees-write", memcmp(m, "hello", 5) == 0, "differs");
    memcpy(m + 4096, "mapped", 6);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 6, 4096);
    expect("pread-sees-mmap-store", memcmp(buf, "mapped", 6) == 0, "%s", buf);
    pwrite(fd, "again", 5, 100);
    expect("mmap-sees-pwrite", memcmp(m + 100, "again", 5) == 0, "differs");
    pid_t c = xfork();
    if (c == 0) {
        memcpy(m + 200, "child", 5);
        _exit(0);
    }
    wait_text(c);
    expect("shared-with-child", memcmp(m + 200, "child", 5) == 0, "differs");
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 5, 200);
    expect("child-store-in-file", memcmp(buf, "child", 5) == 0, "%s", buf);
    munmap(m, 8192);

    expect("no-sealing-seals", fcntl(fd, F_GET_SEALS) == F_SEAL_SEAL, "%d", fcntl(fd, F_GET_SEALS));
    EXPECT_ERR("no-sealing-add-eperm", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
    close(fd);

    fd = memfd_create("sealed", MFD_ALLOW_SEALING);
    expect("sealing-no-cloexec", fcntl(fd, F_GETFD) == 0, "%d", fcntl(fd, F_GETFD));
    expect("sealing-seals-0", fcntl(fd, F_GET_SEALS) == 0, "%d", fcntl(fd, F_GET_SEALS));
    ftruncate(fd, 4096);
    m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    EXPECT_ERR("seal-write-busy-while-mapped", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
    munmap(m, 4096);
    EXPECT_OK("seal-shrink-grow", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
    EXPECT_ERR("sealed-shrink-eperm", ftruncate(fd, 100), EPERM);
    EXPECT_ERR("sealed-grow-eperm", ftruncate(fd, 10000), EPERM);
    EXPECT_ERR("sealed-append-grow-eperm", pwrite(fd, "x", 1, 4096), EPERM);
    EXPECT_ERR("sealed-fallocate-grow-eperm", fallocate(fd, 0, 0, 8192), EPERM);
    EXPECT_OK("sealed-fallocate-inside", fallocate(fd, 0, 0, 4096));
    EXPECT_OK("seal-write", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    EXPECT_ERR("sealed-write-eperm", pwrite(fd, "x", 1, 0), EPERM);
    m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    expect("sealed-shared-writable-mmap-eperm", m == MAP_FAILED && errno == EPERM, "%s",
           m == MAP_FAILED ? errno_name(errno) : "mapped");
    m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    expect("sealed-readonly-mmap", m != MAP_FAILED, "%s", errno_name(errno));
    munmap(m, 4096);
    EXPECT_OK("seal-seal", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
    EXPECT_ERR("sealed-seal-eperm", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), EPERM);
    expect("seals-listed", fcntl(fd, F_GET_SEALS) == (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
           "%d", fcntl(fd, F_GET_SEALS));
    close(fd);

    int p[2];
    pipe(p);
    EXPECT_ERR("pipe-get-seals-einval", fcntl(p[0], F_GET_SEALS), EINVAL);
    close(p[0]);
    close(p[1]);
    EXPECT_ERR("memfd-bad-flags", memfd_create("x", 0x100), EINVAL);
    EXPECT_ERR("memfd-null-name", memfd_create(NULL, 0), EFAULT);
    char name[300];
    memset(name, 'a', sizeof name);
    name[250] = 0;
    EXPECT_ERR("memfd-name-too-long", memfd_create(name, 0), EINVAL);
    name[249] = 0;
    EXPECT_OK("memfd-name-longest", memfd_create(name, 0));
}

/* ---- poll and select on event files and pipes -------------------------------- */

static void g_poll(void) {
    int efd = eventfd(0, 0);
    int p[2];
    pipe(p);
    struct pollfd fds[3] = {{efd, POLLIN, 0}, {p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    int n = poll(fds, 3, 0);
    expect("poll-initial", n == 1 && fds[2].revents == POLLOUT, "n=%d", n);
    pid_t c = write_later(efd, 1, 40);
    fds[2].events = 0;
    n = poll(fds, 3, 5000);
    expect("poll-eventfd-wakes", n == 1 && fds[0].revents == POLLIN, "n=%d 0x%x", n, fds[0].revents);
    wait_text(c);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(efd, &r);
    FD_SET(p[0], &r);
    FD_SET(efd, &w);
    struct timeval tv = {0, 0};
    n = select((efd > p[0] ? efd : p[0]) + 1, &r, &w, NULL, &tv);
    expect("select-eventfd", n == 2 && FD_ISSET(efd, &r) && FD_ISSET(efd, &w) && !FD_ISSET(p[0], &r), "n=%d",
           n);
    uint64_t v;
    read(efd, &v, 8);
    c = xfork();
    if (c == 0) {
        sleep_ms(40);
        write(p[1], "z", 1);
        _exit(0);
    }
    FD_ZERO(&r);
    FD_SET(efd, &r);
    FD_SET(p[0], &r);
    tv.tv_sec = 5;
    n = select((efd > p[0] ? efd : p[0]) + 1, &r, NULL, NULL, &tv);
    expect("select-pipe-wakes", n == 1 && FD_ISSET(p[0], &r), "n=%d", n);
    wait_text(c);
    close(efd);
    close(p[0]);
    close(p[1]);
}

/* ---- the caller's stdio (host descriptors under husk) ----------------------- */

/* Run with "hello\n" on stdin (a pipe closed after it). */
static void g_stdio(void) {
    int ep = epoll_create1(0);
    EXPECT_OK("stdin-add", add(ep, 0, EPOLLIN | EPOLLRDHUP, 1));
    struct epoll_event ev[2];
    int n = epoll_wait(ep, ev, 2, 5000);
    expect("stdin-wait", n == 1, "n=%d", n);
    EXPECT_OK("stdout-add", add(ep, 1, EPOLLOUT, 2));
    n = epoll_wait(ep, ev, 2, 5000);
    int in = 0, out = 0;
    for (int i = 0; i < n; i++) {
        if (ev[i].data.u64 == 1)
            in = ev[i].events;
        if (ev[i].data.u64 == 2)
            out = ev[i].events;
    }
    expect("stdin-readable", in & EPOLLIN, "n=%d events 0x%x", n, in);
    expect("stdout-writable", out == EPOLLOUT, "n=%d events 0x%x", n, out);
    epoll_ctl(ep, EPOLL_CTL_DEL, 1, NULL);
    char buf[64];
    long r, total = 0;
    while ((r = read(0, buf, sizeof buf)) > 0)
        total += r;
    expect("stdin-read", total == 6, "%ld", total);
    n = epoll_wait(ep, ev, 2, 5000);
    expect("stdin-hup", n == 1 && ev[0].events == EPOLLHUP, "n=%d events 0x%x", n, n > 0 ? ev[0].events : 0);
    EXPECT_OK("stdin-mod-et", mod(ep, 0, EPOLLIN | EPOLLET, 3));
    n = epoll_wait(ep, ev, 2, 0);
    expect("stdin-et-once", n == 1 && ev[0].data.u64 == 3, "n=%d", n);
    expect_ret("stdin-et-no-repeat", epoll_wait(ep, ev, 2, 30), errno, 0, 0);
    /* An epoll with a host descriptor inside another epoll. */
    int outer = epoll_create1(0);
    mod(ep, 0, EPOLLIN, 4);
    add(outer, ep, EPOLLIN, 5);
    n = epoll_wait(outer, ev, 2, 5000);
    expect("nested-stdin", n == 1 && ev[0].data.u64 == 5, "n=%d", n);
    close(outer);
    close(ep);
}

/* Run with /dev/null on stdin, which epoll refuses. */
static void g_stdio_null(void) {
    int ep = epoll_create1(0);
    EXPECT_ERR("dev-null-stdin-eperm", add(ep, 0, EPOLLIN, 1), EPERM);
    struct pollfd p = {0, POLLIN, 0};
    expect("dev-null-poll-readable", poll(&p, 1, 0) == 1 && p.revents == POLLIN, "0x%x", p.revents);
    close(ep);
}

int main(int argc, char **argv) {
    static const struct test_group groups[] = {
        {"eventfd", g_eventfd},         {"epoll-errors", g_epoll_errors}, {"epoll-modes", g_epoll_modes},
        {"epoll-block", g_epoll_block}, {"epoll-nested", g_epoll_nested}, {"timerfd", g_timerfd},
        {"signalfd", g_signalfd},       {"memfd", g_memfd},               {"poll", g_poll},
        {"stdio", g_stdio},             {"stdio-null", g_stdio_null},
    };
    return RUN_GROUPS(argc, argv, groups);
}
