/*
 * POSIX message queues (mq_overview(7)) and the mqueue file system. Every
 * check prints "name: ok" natively; husk must print the same. Names carry
 * the pid so a native run never meets another program's queues; checks
 * that change limits or mount run in a child with its own IPC and mount
 * namespaces.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <dirent.h>
#include <sys/syscall.h>

static const char *qname(const char *tag) {
    static char buf[8][64];
    static int n;
    char *b = buf[n++ % 8];
    snprintf(b, 64, "/husk-mq-%d-%s", getpid(), tag);
    return b;
}

static void expect_str(const char *name, const char *got, const char *want) {
    expect(name, strcmp(got, want) == 0, "got \"%s\", want \"%s\"", got, want);
}

/* Receives without blocking: "prio:text", or the errno name. */
static const char *recv_text(mqd_t q) {
    static char buf[9000], out[9100];
    unsigned prio = 0;
    struct timespec ts = {0, 0};
    ssize_t n = mq_timedreceive(q, buf, sizeof buf, &prio, &ts);
    if (n < 0)
        return errno_name(errno);
    snprintf(out, sizeof out, "%u:%.*s", prio, (int)n, buf);
    return out;
}

static long curmsgs(mqd_t q) {
    struct mq_attr a;
    return mq_getattr(q, &a) < 0 ? -errno : a.mq_curmsgs;
}

static void wait_sleeping(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = 0;
            char *p = strrchr(buf, ')');
            if (p && p[1] == ' ' && p[2] == 'S')
                break;
        }
        sleep_ms(10);
    }
    sleep_ms(100);
}

static void become_nobody(void) {
    if (setgid(65534) < 0 || setuid(65534) < 0)
        _exit(9);
}

/* ---- open, attributes, send and receive -------------------------------- */

static void mq_basic(void) {
    const char *n = qname("basic");
    EXPECT_ERR("open missing", mq_open(n, O_RDWR), ENOENT);
    EXPECT_ERR("name without slash", mq_open("husk-noslash", O_RDWR | O_CREAT, 0600, NULL), EINVAL);
    EXPECT_ERR("name with inner slash", mq_open("/a/b", O_RDWR | O_CREAT, 0600, NULL), EACCES);
    EXPECT_ERR("name slash only", mq_open("/", O_RDWR | O_CREAT, 0600, NULL), ENOENT);
    EXPECT_ERR("name dot dot", mq_open("/..", O_RDWR | O_CREAT, 0600, NULL), EACCES);
    char longname[300];
    memset(longname, 'x', sizeof longname);
    longname[0] = '/';
    longname[299] = 0;
    EXPECT_ERR("name too long", mq_open(longname, O_RDWR | O_CREAT, 0600, NULL), ENAMETOOLONG);
    EXPECT_ERR("bad attr pointer", mq_open(n, O_RDWR | O_CREAT, 0600, (struct mq_attr *)8), EFAULT);
    mqd_t q = mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0640, NULL);
    expect("create", q >= 0, "%s", errno_name(errno));
    EXPECT_ERR("create excl again", mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, NULL), EEXIST);
    EXPECT_ERR("open accmode 3", mq_open(n, O_ACCMODE), EINVAL);
    int fdflags = fcntl(q, F_GETFD);
    expect("close-on-exec", fdflags == FD_CLOEXEC, "%d", fdflags);
    struct mq_attr a;
    EXPECT_OK("getattr", mq_getattr(q, &a));
    expect("default attr", a.mq_maxmsg == 10 && a.mq_msgsize == 8192 && a.mq_curmsgs == 0 && a.mq_flags == 0,
           "%ld %ld %ld %ld", a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs, a.mq_flags);
    struct stat st;
    expect("fstat", fstat(q, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0640 && st.st_size == 80,
           "%o %ld", st.st_mode, (long)st.st_size);

    /* Priorities: highest first, in order within one. */
    mq_send(q, "a1", 2, 1);
    mq_send(q, "c1", 2, 3);
    mq_send(q, "b1", 2, 2);
    mq_send(q, "a2", 2, 1);
    mq_send(q, "c2", 2, 3);
    mq_send(q, "z", 1, 0);
    expect("curmsgs", curmsgs(q) == 6, "%ld", curmsgs(q));
    const char *want[] = {"3:c1", "3:c2", "2:b1", "1:a1", "1:a2", "0:z"};
    for (int i = 0; i < 6; i++) {
        char name[32];
        snprintf(name, sizeof name, "receive %d", i);
        expect_str(name, recv_text(q), want[i]);
    }
    expect_str("empty: timed out", recv_text(q), "E110"); /* ETIMEDOUT */

    char big[9000] = {0};
    EXPECT_ERR("send too long", mq_send(q, big, 8193, 0), EMSGSIZE);
    EXPECT_OK("send msgsize", mq_send(q, big, 8192, 0));
    EXPECT_ERR("receive buffer too small", mq_receive(q, big, 8191, NULL), EMSGSIZE);
    expect_ret("receive msgsize", mq_receive(q, big, 8192, NULL), errno, 8192, 0);
    EXPECT_OK("send empty", mq_send(q, "", 0, 5));
    expect_str("receive empty", recv_text(q), "5:");
    EXPECT_ERR("prio too high", mq_send(q, "x", 1, 32768), EINVAL);
    EXPECT_OK("prio highest", mq_send(q, "x", 1, 32767));
    expect_str("receive highest", recv_text(q), "32767:x");
    EXPECT_ERR("send bad buffer", mq_send(q, (char *)8, 10, 0), EFAULT);
    struct timespec bad = {0, 1000000000};
    EXPECT_ERR("bad timeout", mq_timedreceive(q, big, 8192, NULL, &bad), EINVAL);
    EXPECT_ERR("bad timeout pointer", mq_timedreceive(q, big, 8192, NULL, (struct timespec *)8), EFAULT);
    int pfd[2];
    if (pipe(pfd) < 0)
        return;
    EXPECT_ERR("send to a pipe", mq_send(pfd[1], "x", 1, 0), EBADF);
    EXPECT_ERR("getattr of a pipe", mq_getattr(pfd[0], &a), EBADF);
    EXPECT_ERR("send to closed fd", mq_send(999, "x", 1, 0), EBADF);

    mqd_t r = mq_open(n, O_RDONLY), w = mq_open(n, O_WRONLY);
    EXPECT_ERR("send on read-only", mq_send(r, "x", 1, 0), EBADF);
    EXPECT_ERR("receive on write-only", mq_receive(w, big, 8192, NULL), EBADF);
    EXPECT_OK("send on write-only", mq_send(w, "w", 1, 0));
    expect_str("receive on read-only", recv_text(r), "0:w");

    /* O_NONBLOCK: EAGAIN on empty and full queues. */
    mqd_t nb = mq_open(n, O_RDWR | O_NONBLOCK);
    EXPECT_ERR("nonblock empty", mq_receive(nb, big, 8192, NULL), EAGAIN);
    for (int i = 0; i < 10; i++)
        mq_send(nb, "f", 1, 0);
    EXPECT_ERR("nonblock full", mq_send(nb, "f", 1, 0), EAGAIN);
    struct timespec past = {1, 0};
    EXPECT_ERR("full: timed out", mq_timedsend(q, "f", 1, 0, &past), ETIMEDOUT);
    struct mq_attr set = {.mq_flags = O_NONBLOCK}, old;
    EXPECT_OK("setattr nonblock", mq_setattr(q, &set, &old));
    expect("old flags", old.mq_flags == 0 && old.mq_curmsgs == 10, "%ld %ld", old.mq_flags, old.mq_curmsgs);
    EXPECT_ERR("now nonblocking", mq_send(q, "f", 1, 0), EAGAIN);
    expect("F_GETFL shows it", fcntl(q, F_GETFL) & O_NONBLOCK, "no");
    set.mq_flags = O_NONBLOCK | O_APPEND;
    EXPECT_ERR("setattr bad flags", mq_setattr(q, &set, NULL), EINVAL);
    set.mq_flags = 0;
    set.mq_maxmsg = 99; /* ignored */
    mq_setattr(q, &set, NULL);
    mq_getattr(q, &a);
    expect("setattr only flags", a.mq_flags == 0 && a.mq_maxmsg == 10, "%ld %ld", a.mq_flags, a.mq_maxmsg);
    for (int i = 0; i < 10; i++)
        recv_text(q);

    EXPECT_OK("unlink", mq_unlink(n));
    EXPECT_ERR("unlink again", mq_unlink(n), ENOENT);
    EXPECT_ERR("open after unlink", mq_open(n, O_RDWR), ENOENT);
    EXPECT_OK("unlinked queue still works", mq_send(q, "u", 1, 0));
    expect_str("unlinked queue receives", recv_text(q), "0:u");
    mqd_t q2 = mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
    expect("name reusable", q2 >= 0 && curmsgs(q2) == 0, "%s", errno_name(errno));
    mq_unlink(n);

    struct mq_attr mine = {.mq_maxmsg = 3, .mq_msgsize = 16};
    mqd_t q3 = mq_open(n, O_RDWR | O_CREAT, 0600, &mine);
    mq_getattr(q3, &a);
    expect("own attr", a.mq_maxmsg == 3 && a.mq_msgsize == 16, "%ld %ld", a.mq_maxmsg, a.mq_msgsize);
    mine.mq_maxmsg = 0;
    expect("attr ignored when opening an existing queue", mq_open(n, O_RDWR | O_CREAT, 0600, &mine) >= 0, "%s",
           errno_name(errno));
    mq_unlink(n);
}

/* ---- attributes and permissions as an unprivileged user --------------- */

static void mq_perms(void) {
    const char *n = qname("perms"), *n2 = qname("perms2");
    mqd_t q = mq_open(n, O_RDWR | O_CREAT, 0600, NULL);
    mqd_t q2 = mq_open(n2, O_RDWR | O_CREAT, 0644, NULL);
    (void)q;
    (void)q2;
    pid_t c = xfork();
    if (c == 0) {
        become_nobody();
        EXPECT_ERR("other: open 0600", mq_open(n, O_RDONLY), EACCES);
        EXPECT_OK("other: read 0644", mq_open(n2, O_RDONLY));
        EXPECT_ERR("other: write 0644", mq_open(n2, O_WRONLY), EACCES);
        EXPECT_ERR("other: unlink", mq_unlink(n2), EACCES); /* glibc: EPERM -> EACCES */
        const char *m = qname("mine");
        struct mq_attr a = {.mq_maxmsg = 0, .mq_msgsize = 16};
        EXPECT_ERR("maxmsg 0", mq_open(m, O_RDWR | O_CREAT, 0600, &a), EINVAL);
        a.mq_maxmsg = 11;
        EXPECT_ERR("maxmsg past msg_max", mq_open(m, O_RDWR | O_CREAT, 0600, &a), EINVAL);
        a.mq_maxmsg = 10;
        a.mq_msgsize = 8193;
        EXPECT_ERR("msgsize past msgsize_max", mq_open(m, O_RDWR | O_CREAT, 0600, &a), EINVAL);
        a.mq_msgsize = -1;
        EXPECT_ERR("negative msgsize", mq_open(m, O_RDWR | O_CREAT, 0600, &a), EINVAL);
        a.mq_msgsize = 8192;
        mqd_t mq = mq_open(m, O_RDWR | O_CREAT, 0600, &a);
        expect("at the limits", mq >= 0, "%s", errno_name(errno));
        struct stat st;
        fstat(mq, &st);
        expect("owner", st.st_uid == 65534 && st.st_gid == 65534, "%d %d", st.st_uid, st.st_gid);
        EXPECT_OK("own unlink", mq_unlink(m));
        _exit(0);
    }
    const char *ct = wait_text(c);
    expect("child", strcmp(ct, "exited 0") == 0, "%s", ct);
    mq_unlink(n);
    mq_unlink(n2);
}

/* ---- blocking --------------------------------------------------------- */

static void on_usr1(int sig) {
    (void)sig;
}

static void mq_block(void) {
    const char *n = qname("block");
    struct mq_attr a = {.mq_maxmsg = 2, .mq_msgsize = 64};
    mqd_t q = mq_open(n, O_RDWR | O_CREAT, 0600, &a);
    mq_unlink(n);
    char buf[64];

    /* A waiting receiver gets the message straight away. */
    pid_t c = xfork();
    if (c == 0) {
        unsigned prio;
        ssize_t r = mq_receive(q, buf, sizeof buf, &prio);
        _exit(r == 5 && prio == 7 && memcmp(buf, "hello", 5) == 0 ? 0 : 1);
    }
    wait_sleeping(c);
    mq_send(q, "hello", 5, 7);
    expect("handed over, not queued", curmsgs(q) == 0, "%ld", curmsgs(q));
    const char *ct = wait_text(c);
    expect("receiver woke", strcmp(ct, "exited 0") == 0, "%s", ct);

    /* A sender waits for room. */
    mq_send(q, "1", 1, 0);
    mq_send(q, "2", 1, 0);
    c = xfork();
    if (c == 0)
        _exit(mq_send(q, "3", 1, 9) == 0 ? 0 : 1);
    wait_sleeping(c);
    expect("sender waiting", curmsgs(q) == 2, "%ld", curmsgs(q));
    expect_str("receive makes room", recv_text(q), "0:1");
    ct = wait_text(c);
    expect("sender woke", strcmp(ct, "exited 0") == 0, "%s", ct);
    expect_str("sender's message first by priority", recv_text(q), "9:3");
    expect_str("then the old one", recv_text(q), "0:2");

    /* Waiting senders go in in arrival order, whatever their priority. */
    struct mq_attr one = {.mq_maxmsg = 1, .mq_msgsize = 8};
    mqd_t q1 = mq_open(qname("one"), O_RDWR | O_CREAT, 0600, &one);
    mq_unlink(qname("one"));
    mq_send(q1, "0", 1, 0);
    pid_t sa = xfork();
    if (sa == 0)
        _exit(mq_send(q1, "A", 1, 1) == 0 ? 0 : 1);
    wait_sleeping(sa);
    pid_t sb = xfork();
    if (sb == 0)
        _exit(mq_send(q1, "B", 1, 5) == 0 ? 0 : 1);
    wait_sleeping(sb);
    expect_str("full queue first", recv_text(q1), "0:0");
    expect_str("first waiting sender next", recv_text(q1), "1:A");
    expect_str("second waiting sender last", recv_text(q1), "5:B");
    ct = wait_text(sa);
    expect("first sender done", strcmp(ct, "exited 0") == 0, "%s", ct);
    ct = wait_text(sb);
    expect("second sender done", strcmp(ct, "exited 0") == 0, "%s", ct);
    mq_close(q1);


    c = xfork();
    if (c == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sigaction(SIGUSR1, &sa, NULL);
        _exit(mq_receive(q, buf, sizeof buf, NULL) < 0 && errno == EINTR ? 0 : 1);
    }
    wait_sleeping(c);
    kill(c, SIGUSR1);
    ct = wait_text(c);
    expect("receive EINTR", strcmp(ct, "exited 0") == 0, "%s", ct);

    /* With SA_RESTART it goes on waiting. */
    c = xfork();
    if (c == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGUSR1, &sa, NULL);
        ssize_t r = mq_receive(q, buf, sizeof buf, NULL);
        _exit(r == 1 && buf[0] == 'r' ? 0 : 1);
    }
    wait_sleeping(c);
    kill(c, SIGUSR1);
    sleep_ms(100);
    mq_send(q, "r", 1, 0);
    ct = wait_text(c);
    expect("receive restarted", strcmp(ct, "exited 0") == 0, "%s", ct);

    /* A timed wait ends at its deadline. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    long long t0 = mono_ns();
    ssize_t r = mq_timedreceive(q, buf, sizeof buf, NULL, &ts);
    long long ms = (mono_ns() - t0) / 1000000;
    expect("timed receive waits", r < 0 && errno == ETIMEDOUT && ms >= 80 && ms < 2000, "%zd %s %lld ms", r,
           errno_name(errno), ms);
}

/* ---- poll, epoll ------------------------------------------------------ */

static void mq_poll(void) {
    const char *n = qname("poll");
    struct mq_attr a = {.mq_maxmsg = 1, .mq_msgsize = 8};
    mqd_t q = mq_open(n, O_RDWR | O_CREAT, 0600, &a);
    mq_unlink(n);
    struct pollfd p = {.fd = q, .events = POLLIN | POLLOUT};
    expect("empty: writable only", poll(&p, 1, 0) == 1 && p.revents == POLLOUT, "%x", p.revents);
    mq_send(q, "x", 1, 0);
    expect("full: readable only", poll(&p, 1, 0) == 1 && p.revents == POLLIN, "%x", p.revents);
    recv_text(q);

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 42};
    EXPECT_OK("epoll_ctl", epoll_ctl(ep, EPOLL_CTL_ADD, q, &ev));
    expect("epoll: nothing yet", epoll_wait(ep, &ev, 1, 0) == 0, "ready");
    pid_t c = xfork();
    if (c == 0) {
        sleep_ms(100);
        mq_send(q, "y", 1, 0);
        _exit(0);
    }
    int nr = epoll_wait(ep, &ev, 1, 5000);
    expect("epoll wakes on a message", nr == 1 && ev.data.u32 == 42 && (ev.events & EPOLLIN), "%d", nr);
    wait_text(c);
    p.events = POLLIN;
    c = xfork();
    if (c == 0) {
        sleep_ms(100);
        recv_text(q);
        _exit(0);
    }
    p.events = POLLOUT;
    nr = poll(&p, 1, 5000);
    expect("poll wakes on room", nr == 1 && p.revents == POLLOUT, "%d %x", nr, p.revents);
    wait_text(c);
}

/* ---- notification ----------------------------------------------------- */

static volatile sig_atomic_t got_sig, got_code, got_pid, got_value;

static void on_notify(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_pid = si->si_pid;
    got_value = si->si_value.sival_int;
}

static const char *read_text(int fd) {
    static char buf[256];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n < 0 ? 0 : n] = 0;
    return buf;
}

static volatile int thread_value;

static void on_thread_notify(union sigval sv) {
    thread_value = sv.sival_int;
}

static void mq_notify_signal(void) {
    const char *n = qname("notify");
    mqd_t q = mq_open(n, O_RDWR | O_CREAT, 0600, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_notify;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, NULL);
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2, .sigev_value.sival_int = 77};
    EXPECT_OK("register", mq_notify(q, &ev));
    EXPECT_ERR("register twice", mq_notify(q, &ev), EBUSY);
    pid_t c = xfork();
    if (c == 0) {
        EXPECT_ERR("other process: busy", mq_notify(q, &ev), EBUSY);
        EXPECT_OK("other process: removing is a no-op", mq_notify(q, NULL));
        _exit(0);
    }
    wait_text(c);
    c = xfork();
    if (c == 0) {
        mq_send(q, "n", 1, 0);
        _exit(0);
    }
    wait_text(c);
    for (int i = 0; i < 200 && !got_sig; i++)
        sleep_ms(5);
    expect("notified", got_sig == SIGUSR2 && got_code == SI_MESGQ && got_pid == c && got_value == 77,
           "sig %d code %d pid %d (child %d) value %d", got_sig, got_code, got_pid, c, got_value);
    got_sig = 0;
    mq_send(q, "m", 1, 0);
    sleep_ms(50);
    expect("once only", got_sig == 0, "again");
    recv_text(q);
    recv_text(q);
    EXPECT_OK("register again", mq_notify(q, &ev));
    EXPECT_OK("unregister", mq_notify(q, NULL));
    mq_send(q, "m", 1, 0);
    sleep_ms(50);
    expect("not after unregister", got_sig == 0, "notified");
    recv_text(q);

    ev.sigev_notify = SIGEV_NONE;
    EXPECT_OK("register none", mq_notify(q, &ev));
    mq_send(q, "m", 1, 0);
    sleep_ms(50);
    expect("none: no signal", got_sig == 0, "notified");
    EXPECT_OK("none was removed by the message", mq_notify(q, &ev));
    ev.sigev_notify = 99;
    EXPECT_OK("unregister none", mq_notify(q, NULL));
    EXPECT_ERR("bad sigev_notify", mq_notify(q, &ev), EINVAL);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = 65;
    EXPECT_ERR("bad signal", mq_notify(q, &ev), EINVAL);
    EXPECT_ERR("bad fd", mq_notify(0, NULL), EBADF);
    EXPECT_ERR("bad sigevent pointer", syscall(SYS_mq_notify, q, 8L), EFAULT); /* glibc reads it itself */
    recv_text(q);

    /* SIGEV_THREAD: glibc's helper thread gets the kernel's cookie on its
     * netlink socket and runs the function. */
    struct sigevent tev;
    memset(&tev, 0, sizeof tev);
    tev.sigev_notify = SIGEV_THREAD;
    tev.sigev_notify_function = on_thread_notify;
    tev.sigev_value.sival_int = 55;
    EXPECT_OK("register thread", mq_notify(q, &tev));
    char twant[128];
    snprintf(twant, sizeof twant, "QSIZE:0          NOTIFY:2     SIGNO:0     NOTIFY_PID:%-6d\n", getpid());
    expect_str("file shows a thread notification", read_text(q), twant);
    mq_send(q, "t", 1, 0);
    for (int i = 0; i < 400 && !thread_value; i++)
        sleep_ms(5);
    expect("thread ran", thread_value == 55, "%d", thread_value);
    recv_text(q);
    EXPECT_OK("register thread again", mq_notify(q, &tev));
    EXPECT_OK("unregister thread", mq_notify(q, NULL));
    int pfd[2];
    char cookie[32] = {0};
    struct sigevent raw;
    memset(&raw, 0, sizeof raw);
    raw.sigev_notify = SIGEV_THREAD;
    raw.sigev_value.sival_ptr = cookie;
    if (pipe(pfd) == 0) {
        raw.sigev_signo = pfd[0];
        EXPECT_ERR("thread: not a socket", syscall(SYS_mq_notify, q, &raw), ENOTSOCK);
    }
    int us = socket(AF_UNIX, SOCK_DGRAM, 0);
    raw.sigev_signo = us;
    EXPECT_ERR("thread: not netlink", syscall(SYS_mq_notify, q, &raw), EINVAL);
    raw.sigev_signo = 999;
    EXPECT_ERR("thread: bad socket fd", syscall(SYS_mq_notify, q, &raw), EBADF);
    raw.sigev_value.sival_ptr = (void *)8;
    EXPECT_ERR("thread: bad cookie", syscall(SYS_mq_notify, q, &raw), EFAULT);
    mq_unlink(n);
}

/* ---- the mqueue file system and /proc/sys/fs/mqueue ------------------- */

/* A short file's text, or the name of the errno opening it gave. */
static const char *text_or_errno(const char *path) {
    static char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return errno_name(errno);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    return buf;
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    return n < 0 ? -e : 0;
}

static void mq_fs(void) {
    pid_t c = xfork();
    if (c == 0) {
        if (unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            _exit(9);
        char dir[] = "/tmp/husk-mqfs-XXXXXX";
        if (!mkdtemp(dir))
            _exit(8);
        EXPECT_OK("mount mqueue", mount("none", dir, "mqueue", 0, NULL));
        struct statfs sf;
        expect("statfs", statfs(dir, &sf) == 0 && sf.f_type == 0x19800202, "%lx", (long)sf.f_type);
        struct stat st;
        expect("root dir 1777", stat(dir, &st) == 0 && (st.st_mode & 07777) == 01777, "%o", st.st_mode);
        mqd_t q = mq_open("/alpha", O_RDWR | O_CREAT, 0604, NULL);
        mq_send(q, "hello", 5, 0);
        mq_send(q, "abc", 3, 0);
        char path[128];
        snprintf(path, sizeof path, "%s/alpha", dir);
        expect_str("file text", text_or_errno(path), "QSIZE:8          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n");
        expect("file stat", stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0604 &&
                   st.st_size == 80,
               "%o", st.st_mode);
        struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
        signal(SIGUSR1, SIG_IGN);
        mq_notify(q, &ev);
        char want[128];
        snprintf(want, sizeof want, "QSIZE:8          NOTIFY:0     SIGNO:%-5d NOTIFY_PID:%-6d\n", SIGUSR1, getpid());
        expect_str("file shows the notification", read_text(open(path, O_RDONLY)), want);
        expect_str("text by fd", read_text(q), want);
        /* A close by the owner process removes its notification. */
        close(open(path, O_RDONLY));
        expect_str("closing removed it", read_text(q), "QSIZE:8          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n");

        snprintf(path, sizeof path, "%s/beta", dir);
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
        expect("create by open", fd >= 0, "%s", errno_name(errno));
        mqd_t b = mq_open("/beta", O_RDWR);
        struct mq_attr a;
        expect("made with defaults", b >= 0 && mq_getattr(b, &a) == 0 && a.mq_maxmsg == 10 && a.mq_msgsize == 8192,
               "%s", errno_name(errno));
        EXPECT_OK("send by open()'s fd", mq_send(fd, "viafd", 5, 2));
        struct pollfd p = {.fd = fd, .events = POLLIN};
        expect("poll open()'s fd", poll(&p, 1, 0) == 1 && p.revents == POLLIN, "%x", p.revents);
        char buf[8192];
        expect_ret("received by mq_open's fd", mq_receive(b, buf, sizeof buf, NULL), errno, 5, 0);
        EXPECT_ERR("write to the file", write(fd, "x", 1), EINVAL);

        DIR *d = opendir(dir);
        char names[256] = "";
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (e->d_name[0] != '.') {
                strcat(names, e->d_name);
                strcat(names, e->d_type == DT_REG ? "(reg) " : "(?) ");
            }
        if (d)
            closedir(d);
        expect_str("listing", names, "beta(reg) alpha(reg) "); /* newest first */
        snprintf(path, sizeof path, "%s/sub", dir);
        EXPECT_ERR("mkdir", mkdir(path, 0755), EPERM);
        snprintf(path, sizeof path, "%s/alpha", dir);
        EXPECT_OK("unlink by path", unlink(path));
        EXPECT_ERR("gone for mq_open", mq_open("/alpha", O_RDWR), ENOENT);
        EXPECT_OK("fchmod", fchmod(fd, 0640));
        expect("chmod applied", fstat(b, &st) == 0 && (st.st_mode & 0777) == 0640, "%o", st.st_mode);

        /* Another IPC namespace has its own queues. */
        pid_t g = xfork();
        if (g == 0) {
            if (unshare(CLONE_NEWIPC) < 0)
                _exit(9);
            EXPECT_ERR("new ns: queue not found", mq_open("/beta", O_RDWR), ENOENT);
            char d2[] = "/tmp/husk-mqfs2-XXXXXX";
            mkdtemp(d2);
            mount("none", d2, "mqueue", 0, NULL);
            char p2[128];
            snprintf(p2, sizeof p2, "%s/beta", d2);
            EXPECT_ERR("new ns: its mount is empty", access(p2, F_OK), ENOENT);
            mq_open("/gamma", O_RDWR | O_CREAT, 0600, NULL);
            snprintf(p2, sizeof p2, "%s/gamma", d2);
            EXPECT_OK("new ns: its own queue shows", access(p2, F_OK));
            umount(d2);
            rmdir(d2);
            _exit(0);
        }
        wait_text(g);
        snprintf(path, sizeof path, "%s/gamma", dir);
        EXPECT_ERR("not in the first namespace's mount", access(path, F_OK), ENOENT);
        umount(dir);
        rmdir(dir);
        _exit(0);
    }
    const char *ct = wait_text(c);
    expect("child", strcmp(ct, "exited 0") == 0, "%s", ct);
}

static void mq_limits(void) {
    pid_t c = xfork();
    if (c == 0) {
        if (unshare(CLONE_NEWIPC) < 0)
            _exit(9);
        expect_str("msg_max", text_or_errno("/proc/sys/fs/mqueue/msg_max"), "10\n");
        expect_str("msgsize_max", text_or_errno("/proc/sys/fs/mqueue/msgsize_max"), "8192\n");
        expect_str("queues_max", text_or_errno("/proc/sys/fs/mqueue/queues_max"), "256\n");
        expect_str("msg_default", text_or_errno("/proc/sys/fs/mqueue/msg_default"), "10\n");
        expect_str("msgsize_default", text_or_errno("/proc/sys/fs/mqueue/msgsize_default"), "8192\n");
        expect("msg_max 0 refused", write_file("/proc/sys/fs/mqueue/msg_max", "0") == -EINVAL, "accepted");
        expect("msgsize_max 127 refused", write_file("/proc/sys/fs/mqueue/msgsize_max", "127") == -EINVAL,
               "accepted");
        expect("msg_max 5", write_file("/proc/sys/fs/mqueue/msg_max", "5\n") == 0, "refused");
        expect("msgsize_max 200", write_file("/proc/sys/fs/mqueue/msgsize_max", "200") == 0, "refused");
        expect("queues_max 1", write_file("/proc/sys/fs/mqueue/queues_max", "1") == 0, "refused");
        mqd_t q = mq_open("/first", O_RDWR | O_CREAT, 0600, NULL);
        struct mq_attr a;
        expect("defaults follow the maxima", q >= 0 && mq_getattr(q, &a) == 0 && a.mq_maxmsg == 5 &&
                   a.mq_msgsize == 200, "%ld %ld", a.mq_maxmsg, a.mq_msgsize);
        become_nobody();
        EXPECT_ERR("past queues_max", mq_open("/second", O_RDWR | O_CREAT, 0600, NULL), ENOSPC);
        _exit(0);
    }
    const char *ct = wait_text(c);
    expect("child", strcmp(ct, "exited 0") == 0, "%s", ct);
    expect_str("parent's msg_max untouched", text_or_errno("/proc/sys/fs/mqueue/msg_max"), "10\n");
}

/* A user's queues are charged against RLIMIT_MSGQUEUE: Linux counts each
 * message's room plus 48 bytes per message and per priority. */
static void mq_rlimit(void) {
    pid_t c = xfork();
    if (c == 0) {
        uid_t uid = 40000 + getpid() % 20000; /* a user with no queues yet */
        if (setgid(uid) < 0 || setuid(uid) < 0)
            _exit(9);
        struct rlimit rl = {3 * (48 + 48 + 128), 10 * (48 + 48 + 8192)};
        EXPECT_OK("setrlimit", setrlimit(RLIMIT_MSGQUEUE, &rl));
        struct mq_attr a = {.mq_maxmsg = 1, .mq_msgsize = 128};
        mqd_t q[4];
        for (int i = 0; i < 3; i++)
            q[i] = mq_open(qname(i == 0 ? "r0" : i == 1 ? "r1" : "r2"), O_RDWR | O_CREAT, 0600, &a);
        expect("three fit", q[0] >= 0 && q[1] >= 0 && q[2] >= 0, "%s", errno_name(errno));
        EXPECT_ERR("fourth is over", mq_open(qname("r3"), O_RDWR | O_CREAT, 0600, &a), EMFILE);
        EXPECT_OK("unlink one", mq_unlink(qname("r0")));
        EXPECT_ERR("still charged while open", mq_open(qname("r3"), O_RDWR | O_CREAT, 0600, &a), EMFILE);
        mq_close(q[0]);
        q[3] = mq_open(qname("r3"), O_RDWR | O_CREAT, 0600, &a);
        expect("room after the last close", q[3] >= 0, "%s", errno_name(errno));
        mq_unlink(qname("r1"));
        mq_unlink(qname("r2"));
        mq_unlink(qname("r3"));
        mq_close(q[1]);
        mq_close(q[2]);
        mq_close(q[3]);
        rl.rlim_cur = 10 * (48 + 48 + 8192) - 1;
        EXPECT_OK("raise the limit", setrlimit(RLIMIT_MSGQUEUE, &rl));
        EXPECT_ERR("defaults need one more byte", mq_open(qname("d"), O_RDWR | O_CREAT, 0600, NULL), EMFILE);
        rl.rlim_cur++;
        setrlimit(RLIMIT_MSGQUEUE, &rl);
        mqd_t d = mq_open(qname("d"), O_RDWR | O_CREAT, 0600, NULL);
        expect("defaults fit exactly", d >= 0, "%s", errno_name(errno));
        mq_unlink(qname("d"));
        _exit(0);
    }
    const char *ct = wait_text(c);
    expect("child", strcmp(ct, "exited 0") == 0, "%s", ct);
}

static const struct test_group groups[] = {
    {"mq_basic", mq_basic}, {"mq_perms", mq_perms}, {"mq_block", mq_block},   {"mq_poll", mq_poll},
    {"mq_notify", mq_notify_signal}, {"mq_fs", mq_fs}, {"mq_limits", mq_limits}, {"mq_rlimit", mq_rlimit},
};

int main(int argc, char **argv) {
    return RUN_GROUPS(argc, argv, groups);
}
