/*
 * Kernel behaviours CPython's regression tests (Lib/test) rely on that
 * husk once got wrong: each group is the smallest reproduction of one
 * divergence the test suite found (the test is named in the group's
 * comment).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "husk_test.h"

static int pidfd_send(int fd, int sig) { return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0); }

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { got_usr1 = sig; }

/* test_signal.PidfdSignalTest: pidfd_send_signal takes an open
 * /proc/<pid> directory as a pidfd (Linux's tgid_pidfd_to_pid), but no
 * other directory; ESRCH once the process is reaped. */
static void g_pidfd_procdir(void) {
    EXPECT_ERR("bad-fd", pidfd_send(-1, 0), EBADF);
    int root = open("/proc", O_RDONLY | O_DIRECTORY);
    EXPECT_ERR("proc-root-ebadf", pidfd_send(root, 0), EBADF);
    close(root);
    int tmp = open("/", O_RDONLY | O_DIRECTORY);
    EXPECT_ERR("plain-dir-ebadf", pidfd_send(tmp, 0), EBADF);
    close(tmp);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)gettid());
    int task = open(path, O_RDONLY | O_DIRECTORY);
    expect("open-task-dir", task >= 0, "%s", errno_name(errno));
    EXPECT_ERR("task-dir-ebadf", pidfd_send(task, 0), EBADF);
    close(task);

    signal(SIGUSR1, on_usr1);
    int self = open("/proc/self", O_RDONLY | O_DIRECTORY);
    EXPECT_OK("self-usr1", pidfd_send(self, SIGUSR1));
    expect("self-handler-ran", got_usr1 == SIGUSR1, "got %d", (int)got_usr1);
    close(self);

    pid_t c = xfork();
    if (c == 0) {
        for (;;)
            pause();
    }
    snprintf(path, sizeof path, "/proc/%d", (int)c);
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    EXPECT_OK("child-probe", pidfd_send(fd, 0));
    EXPECT_OK("child-term", pidfd_send(fd, SIGTERM));
    kill(c, SIGTERM); /* never leave the child behind */
    const char *st = wait_text(c);
    expect("child-killed", strcmp(st, "killed by SIGTERM") == 0, "%s", st);
    EXPECT_ERR("after-reap-esrch", pidfd_send(fd, SIGTERM), ESRCH);
    close(fd);
}

static long long mtime_ns(const char *p) {
    struct stat st;
    if (stat(p, &st) < 0)
        return -1;
    return st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}
static long long ctime_ns(const char *p) {
    struct stat st;
    if (stat(p, &st) < 0)
        return -1;
    return st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
}

/* Sets dir's times an hour back, runs one change of its names and says
 * whether its mtime and ctime moved forward. */
#define DIR_CHANGE(name, dir, call)                                                                 \
    do {                                                                                            \
        struct timespec old[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};                  \
        utimensat(AT_FDCWD, dir, old, 0);                                                           \
        long long m0 = mtime_ns(dir), c0 = ctime_ns(dir);                                           \
        sleep_ms(20);                                                                               \
        long r_ = (long)(call);                                                                     \
        long long m1 = mtime_ns(dir), c1 = ctime_ns(dir);                                           \
        expect(name, r_ >= 0 && m1 > m0 && c1 > c0, "r %ld (%s) mtime %+lld ctime %+lld", r_,       \
               errno_name(errno), m1 - m0, c1 - c0);                                                \
    } while (0)

/* test_mailbox.TestMaildir.test_reread: adding or removing a name
 * updates the directory's mtime and ctime (Maildir rereads on it), in a
 * directory made in the sandbox and in one that was already there. */
static void g_dir_times(void) {
    long long m0 = mtime_ns("/tmp");
    sleep_ms(20);
    char tmpl[] = "/tmp/cpython_found.XXXXXX";
    char *d = mkdtemp(tmpl);
    expect("mkdtemp", d != NULL, "%s", errno_name(errno));
    if (!d)
        return;
    expect("existing-dir-mtime", mtime_ns("/tmp") > m0, "%+lld", mtime_ns("/tmp") - m0);
    char f[128], g[128], sub[128], sub2[128], lnk[128], fifo[128], other[128];
    snprintf(f, sizeof f, "%s/f", d);
    snprintf(g, sizeof g, "%s/g", d);
    snprintf(sub, sizeof sub, "%s/sub", d);
    snprintf(sub2, sizeof sub2, "%s/sub/x", d);
    snprintf(lnk, sizeof lnk, "%s/l", d);
    snprintf(fifo, sizeof fifo, "%s/p", d);
    snprintf(other, sizeof other, "%s/sub/moved", d);
    DIR_CHANGE("create", d, creat(f, 0644));
    DIR_CHANGE("link", d, link(f, g));
    DIR_CHANGE("unlink", d, unlink(g));
    DIR_CHANGE("mkdir", d, mkdir(sub, 0755));
    DIR_CHANGE("symlink", d, symlink("f", lnk));
    DIR_CHANGE("mkfifo", d, mkfifo(fifo, 0644));
    DIR_CHANGE("rename-within", d, rename(lnk, g));
    DIR_CHANGE("rename-out-source", d, rename(g, other));
    DIR_CHANGE("rename-out-target", sub, rename(fifo, sub2));
    DIR_CHANGE("unlink-in-sub", sub, unlink(sub2));
    unlink(other);
    DIR_CHANGE("rmdir", d, rmdir(sub));
    unlink(f);
    rmdir(d);
}

/* test_ssl.BasicSocketTests.test_wrapped_unconnected: reading a TCP
 * socket that was never connected is ENOTCONN (blocking or not), as is a
 * listener, one shut down from listening and one whose connect was
 * refused. */
static void g_tcp_unconnected(void) {
    int fams[] = {AF_INET, AF_INET6};
    for (int i = 0; i < 2; i++) {
        const char *f = fams[i] == AF_INET ? "v4" : "v6";
        char name[64];
        char b;
        int s = socket(fams[i], SOCK_STREAM, 0);
        snprintf(name, sizeof name, "%s-recv", f);
        EXPECT_ERR(name, recv(s, &b, 1, 0), ENOTCONN);
        snprintf(name, sizeof name, "%s-recv-dontwait", f);
        EXPECT_ERR(name, recv(s, &b, 1, MSG_DONTWAIT), ENOTCONN);
        snprintf(name, sizeof name, "%s-read", f);
        EXPECT_ERR(name, read(s, &b, 1), ENOTCONN);
        snprintf(name, sizeof name, "%s-recvfrom", f);
        EXPECT_ERR(name, recvfrom(s, &b, 1, 0, NULL, NULL), ENOTCONN);
        snprintf(name, sizeof name, "%s-send-epipe", f);
        EXPECT_ERR(name, send(s, "x", 1, MSG_NOSIGNAL), EPIPE);
        listen(s, 1);
        snprintf(name, sizeof name, "%s-recv-listening", f);
        EXPECT_ERR(name, recv(s, &b, 1, 0), ENOTCONN);
        shutdown(s, SHUT_RDWR);
        snprintf(name, sizeof name, "%s-recv-after-unlisten", f);
        EXPECT_ERR(name, recv(s, &b, 1, 0), ENOTCONN);
        close(s);
    }
    /* A port nobody listens on: bound, then closed. */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int p = socket(AF_INET, SOCK_STREAM, 0);
    bind(p, (struct sockaddr *)&a, sizeof a);
    getsockname(p, (struct sockaddr *)&a, &al);
    close(p);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_ERR("connect-refused", connect(s, (struct sockaddr *)&a, sizeof a), ECONNREFUSED);
    char b;
    EXPECT_ERR("recv-after-refused", recv(s, &b, 1, MSG_DONTWAIT), ENOTCONN);
    EXPECT_ERR("send-after-refused", send(s, "x", 1, MSG_NOSIGNAL), EPIPE);
    close(s);
    /* Refused without blocking: the error once, then end of file, until a
     * connect() reports it. */
    s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    EXPECT_ERR("nb-connect", connect(s, (struct sockaddr *)&a, sizeof a), EINPROGRESS);
    struct pollfd pf = {s, POLLOUT, 0};
    poll(&pf, 1, 5000);
    EXPECT_ERR("nb-recv-error", recv(s, &b, 1, 0), ECONNREFUSED);
    expect_ret("nb-recv-eof", recv(s, &b, 1, 0), errno, 0, 0);
    EXPECT_ERR("nb-connect-again", connect(s, (struct sockaddr *)&a, sizeof a), ECONNABORTED);
    EXPECT_ERR("nb-recv-disconnected", recv(s, &b, 1, 0), ENOTCONN);
    close(s);
    /* shutdown() of an unconnected socket is ENOTCONN but still shuts. */
    s = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_ERR("shutdown-unconnected", shutdown(s, SHUT_RD), ENOTCONN);
    expect_ret("recv-after-shutdown-eof", recv(s, &b, 1, MSG_DONTWAIT), errno, 0, 0);
    close(s);
}

static const struct test_group groups[] = {
    {"tcp_unconnected", g_tcp_unconnected},
    {"dir_times", g_dir_times},
    {"pidfd_procdir", g_pidfd_procdir},
};

int main(int argc, char **argv) { return RUN_GROUPS(argc, argv, groups); }
