/* AF_UNIX sockets: stream, datagram and seqpacket pairs; path and abstract
 * names; SCM_RIGHTS and SCM_CREDENTIALS; SO_PEERCRED; shutdown and EOF;
 * readiness. Prints one line per check, compared with a native run. */
#include "net_test.h"
#include <sys/ioctl.h>
#include <sys/stat.h>

static int sigpipes;
static void on_sigpipe(int s) { (void)s; sigpipes++; }

static short revents(int fd, short ev) {
    struct pollfd p = {fd, ev, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static void stream_pair(void) {
    int sv[2];
    res("socketpair", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    val("cloexec", fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
    val("writable", !!(revents(sv[0], POLLOUT) & POLLOUT));
    val("not-readable", revents(sv[1], POLLIN));
    val("write", write(sv[0], "hello", 5));
    write(sv[0], " world", 6);
    int n = 0;
    ioctl(sv[1], FIONREAD, &n);
    val("fionread", n);
    char b[64] = {0};
    val("peek", recv(sv[1], b, 3, MSG_PEEK));
    printf("peeked: %s\n", b);
    memset(b, 0, sizeof b);
    val("read-merges", read(sv[1], b, sizeof b));
    printf("data: %s\n", b);
    res("recv-dontwait-empty", recv(sv[1], b, 1, MSG_DONTWAIT));
    res("shutdown-wr", shutdown(sv[0], SHUT_WR));
    val("peer-pollin-rdhup", revents(sv[1], POLLIN | POLLRDHUP));
    val("read-eof", read(sv[1], b, sizeof b));
    res("write-after-shut-wr", send(sv[0], "x", 1, MSG_NOSIGNAL));
    val("reverse-still-works", write(sv[1], "back", 4));
    val("reverse-read", read(sv[0], b, sizeof b));
    signal(SIGPIPE, on_sigpipe);
    close(sv[0]);
    val("after-close-pollhup", !!(revents(sv[1], POLLIN | POLLOUT) & POLLHUP));
    res("send-nosignal-epipe", send(sv[1], "x", 1, MSG_NOSIGNAL));
    val("sigpipes-0", sigpipes);
    res("write-epipe", write(sv[1], "x", 1));
    val("sigpipes-1", sigpipes);
    close(sv[1]);
}

static void dgram_pair(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    send(sv[0], "one", 3, 0);
    send(sv[0], "three", 5, 0);
    send(sv[0], "", 0, 0);
    int n = 0;
    ioctl(sv[1], FIONREAD, &n);
    val("fionread-first", n);
    char b[64] = {0};
    val("recv-one", recv(sv[1], b, sizeof b, 0));
    struct iovec iov = {b, 2};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    val("recvmsg-trunc-len", recvmsg(sv[1], &m, 0));
    val("msg-trunc-flag", !!(m.msg_flags & MSG_TRUNC));
    val("recv-empty", recv(sv[1], b, sizeof b, 0));
    send(sv[0], "abcdef", 6, 0);
    val("recv-MSG_TRUNC-real-len", recv(sv[1], b, 2, MSG_TRUNC));
    res("recv-dontwait", recv(sv[1], b, 2, MSG_DONTWAIT));
    struct sockaddr_un from;
    socklen_t fl = sizeof from;
    send(sv[1], "x", 1, 0);
    recvfrom(sv[0], b, sizeof b, 0, (struct sockaddr *)&from, &fl);
    val("from-unnamed-len", fl);
    close(sv[0]);
    res("send-to-closed", send(sv[1], "x", 1, MSG_NOSIGNAL));
    close(sv[1]);
}

static void seqpacket(void) {
    int sv[2];
    res("socketpair", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
    send(sv[0], "first", 5, 0);
    send(sv[0], "second", 6, 0);
    char b[64] = {0};
    val("recv-first", recv(sv[1], b, sizeof b, 0));
    struct iovec iov = {b, 3};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    val("recvmsg-trunc", recvmsg(sv[1], &m, 0));
    val("trunc-flag", !!(m.msg_flags & MSG_TRUNC));
    close(sv[0]);
    val("eof", recv(sv[1], b, sizeof b, 0));
    close(sv[1]);
}

static char dir[64];

static void path_names(void) {
    strcpy(dir, "/tmp/husk-unix-XXXXXX");
    if (!mkdtemp(dir)) die("mkdtemp");
    struct sockaddr_un a = {0};
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s/srv", dir);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    res("bind", bind(s, (struct sockaddr *)&a, sizeof a));
    struct stat st;
    res("stat", stat(a.sun_path, &st));
    val("is-socket", S_ISSOCK(st.st_mode));
    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    res("bind-in-use", bind(s2, (struct sockaddr *)&a, sizeof a));
    res("listen", listen(s, 5));
    struct sockaddr_un got;
    socklen_t gl = sizeof got;
    getsockname(s, (struct sockaddr *)&got, &gl);
    val("sockname-len-is-path", gl == offsetof(struct sockaddr_un, sun_path) + strlen(a.sun_path) + 1);
    val("sockname-same", strcmp(got.sun_path, a.sun_path) == 0);
    pid_t parent = getpid();
    pid_t kid = fork();
    if (kid == 0) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) _exit(1);
        struct ucred uc;
        socklen_t ul = sizeof uc;
        getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
        write(c, "ping", 4);
        char b[8] = {0};
        read(c, b, 4);
        _exit(strcmp(b, "pong") == 0 && uc.pid == parent ? 0 : 2);
    }
    gl = sizeof got;
    int c = accept(s, (struct sockaddr *)&got, &gl);
    res("accept", c);
    val("peer-unnamed-len", gl);
    struct ucred uc;
    socklen_t ul = sizeof uc;
    res("peercred", getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
    val("peercred-pid-is-child", uc.pid == kid);
    val("peercred-uid", uc.uid == getuid());
    char b[8] = {0};
    read(c, b, 4);
    printf("got: %s\n", b);
    write(c, "pong", 4);
    int stt;
    waitpid(kid, &stt, 0);
    val("child-status", WEXITSTATUS(stt));
    close(c);
    close(s);
    res("connect-after-close", connect(s2, (struct sockaddr *)&a, sizeof a));
    unlink(a.sun_path);
    res("connect-after-unlink", connect(s2, (struct sockaddr *)&a, sizeof a));
    res("rebind-after-unlink", bind(s2, (struct sockaddr *)&a, sizeof a));
    unlink(a.sun_path);
    close(s2);
    /* Relative names. */
    chdir(dir);
    int r = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un rel = {0};
    rel.sun_family = AF_UNIX;
    strcpy(rel.sun_path, "rel");
    res("bind-relative", bind(r, (struct sockaddr *)&rel, sizeof rel));
    gl = sizeof got;
    getsockname(r, (struct sockaddr *)&got, &gl);
    printf("relative-name: %s\n", got.sun_path);
    int w = socket(AF_UNIX, SOCK_DGRAM, 0);
    val("sendto-relative", sendto(w, "hi", 2, 0, (struct sockaddr *)&rel, sizeof rel));
    val("recv-relative", recv(r, b, sizeof b, 0));
    unlink("rel");
    chdir("/");
    rmdir(dir);
}

static void abstract_names(void) {
    struct sockaddr_un a = {0};
    a.sun_family = AF_UNIX;
    const char *name = "husk-test-abstract";
    memcpy(a.sun_path + 1, name, strlen(name));
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    res("bind", bind(s, (struct sockaddr *)&a, len));
    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    res("bind-in-use", bind(s2, (struct sockaddr *)&a, len));
    listen(s, 1);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    res("connect", connect(c, (struct sockaddr *)&a, len));
    struct sockaddr_un got;
    socklen_t gl = sizeof got;
    getpeername(c, (struct sockaddr *)&got, &gl);
    val("peername-len", gl);
    val("peername-same", memcmp(got.sun_path, a.sun_path, len - 2) == 0);
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un fam = {.sun_family = AF_UNIX};
    res("autobind", bind(d, (struct sockaddr *)&fam, sizeof(sa_family_t)));
    gl = sizeof got;
    getsockname(d, (struct sockaddr *)&got, &gl);
    val("autobind-len", gl);
    val("autobind-abstract", got.sun_path[0] == 0);
    close(s);
    res("connect-closed", connect(s2, (struct sockaddr *)&a, len));
    close(c);
    close(s2);
    close(d);
}

/* Sends fds with SCM_RIGHTS. */
static ssize_t send_fds(int s, const int *fds, int n, const char *data) {
    char cbuf[CMSG_SPACE(sizeof(int) * 8)] = {0};
    struct iovec iov = {(void *)data, strlen(data)};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    return sendmsg(s, &m, 0);
}

/* Receives up to `room` fds; returns how many arrived, msg flags in *flags. */
static int recv_fds(int s, int *fds, int room, int flags, int *mflags, char *data, size_t dlen) {
    char cbuf[CMSG_SPACE(sizeof(int) * 8)] = {0};
    struct iovec iov = {data, dlen};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * room);
    if (recvmsg(s, &m, flags) < 0) return -1;
    *mflags = m.msg_flags;
    int n = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds + n, CMSG_DATA(c), sizeof(int) * k);
            n += k;
        }
    return n;
}

static void rights(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int p[2];
    pipe(p);
    write(p[1], "secret via fd", 13);
    close(p[1]);
    pid_t kid = fork();
    if (kid == 0) {
        close(sv[0]);
        int fd, fl;
        char d[8] = {0};
        if (recv_fds(sv[1], &fd, 1, MSG_CMSG_CLOEXEC, &fl, d, sizeof d) != 1) _exit(1);
        char b[32] = {0};
        read(fd, b, sizeof b);
        printf("child read: %s (data %s, cloexec %d)\n", b, d, fcntl(fd, F_GETFD) & FD_CLOEXEC);
        fflush(stdout);
        _exit(0);
    }
    ssize_t sent = send_fds(sv[0], &p[0], 1, "fd");
    close(p[0]);
    int st;
    waitpid(kid, &st, 0);
    val("sendmsg", sent);
    val("child", WEXITSTATUS(st));
    /* Too little room: MSG_CTRUNC and only what fits. */
    int two[2];
    pipe(two);
    send_fds(sv[0], two, 2, "xy");
    int got[8], fl;
    char d[8] = {0};
    int n = recv_fds(sv[1], got, 1, 0, &fl, d, sizeof d);
    val("ctrunc-got", n);
    val("ctrunc-flag", !!(fl & MSG_CTRUNC));
    /* Passing a socket itself, then using the received copy. */
    int other[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, other);
    send_fds(sv[0], &other[0], 1, "s");
    n = recv_fds(sv[1], got, 4, 0, &fl, d, sizeof d);
    val("socket-passed", n);
    send(got[0], "via passed socket", 17, 0);
    char b[32] = {0};
    val("recv-via-passed", recv(other[1], b, sizeof b, 0));
    /* Bad descriptors in SCM_RIGHTS. */
    int bad = 999;
    res("send-bad-fd", send_fds(sv[0], &bad, 1, "z"));
    /* Data without fds, then data with fds, do not merge across the boundary. */
    write(sv[0], "plain", 5);
    send_fds(sv[0], &two[0], 1, "withfd");
    memset(d, 0, sizeof d);
    char big[32] = {0};
    n = recv_fds(sv[1], got, 4, 0, &fl, big, sizeof big);
    printf("first-read: %s fds %d\n", big, n);
    memset(big, 0, sizeof big);
    n = recv_fds(sv[1], got, 4, MSG_DONTWAIT, &fl, big, sizeof big);
    printf("second-read: %d %s\n", n, n < 0 ? strerrorname_np(errno) : big);
}

static void creds(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    int one = 1;
    res("passcred", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
    send(sv[0], "c", 1, 0);
    char cbuf[CMSG_SPACE(sizeof(struct ucred))];
    char b[4];
    struct iovec iov = {b, sizeof b};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    val("recvmsg", recvmsg(sv[1], &m, 0));
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    val("has-creds", c && c->cmsg_type == SCM_CREDENTIALS);
    if (c) {
        struct ucred u;
        memcpy(&u, CMSG_DATA(c), sizeof u);
        val("creds-pid", u.pid == getpid());
        val("creds-uid", u.uid == getuid());
        val("creds-gid", u.gid == getgid());
    }
    struct ucred pc;
    socklen_t pl = sizeof pc;
    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &pc, &pl);
    val("pair-peercred-pid", pc.pid == getpid());
}

static void dgram_path(void) {
    strcpy(dir, "/tmp/husk-unixd-XXXXXX");
    if (!mkdtemp(dir)) die("mkdtemp");
    struct sockaddr_un sa = {.sun_family = AF_UNIX}, ca = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/srv", dir);
    snprintf(ca.sun_path, sizeof ca.sun_path, "%s/cli", dir);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(s, (struct sockaddr *)&sa, sizeof sa);
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(c, (struct sockaddr *)&ca, sizeof ca);
    val("sendto", sendto(c, "q", 1, 0, (struct sockaddr *)&sa, sizeof sa));
    struct sockaddr_un from;
    socklen_t fl = sizeof from;
    char b[8];
    val("recvfrom", recvfrom(s, b, sizeof b, 0, (struct sockaddr *)&from, &fl));
    val("from-is-client", strcmp(from.sun_path, ca.sun_path) == 0);
    val("reply", sendto(s, "r", 1, 0, (struct sockaddr *)&from, fl));
    val("client-got", recv(c, b, sizeof b, 0));
    int other = socket(AF_UNIX, SOCK_DGRAM, 0);
    connect(s, (struct sockaddr *)&ca, sizeof ca);
    res("connected-peer-rejects-stranger", sendto(other, "z", 1, 0, (struct sockaddr *)&ca, sizeof ca));
    int st = socket(AF_UNIX, SOCK_STREAM, 0);
    res("stream-connect-to-dgram", connect(st, (struct sockaddr *)&sa, sizeof sa));
    unlink(sa.sun_path);
    unlink(ca.sun_path);
    rmdir(dir);
}

static void nonblocking(void) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path + 1, "husk-nb");
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + 8;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    bind(s, (struct sockaddr *)&a, len);
    listen(s, 0);
    res("accept-empty", accept(s, NULL, NULL));
    val("listener-not-readable", revents(s, POLLIN));
    int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    res("connect-1", connect(c1, (struct sockaddr *)&a, len));
    val("listener-readable", revents(s, POLLIN));
    int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    res("connect-2", connect(c2, (struct sockaddr *)&a, len));
    int c3 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    res("connect-3-backlog-full", connect(c3, (struct sockaddr *)&a, len));
    int n = accept4(s, NULL, NULL, SOCK_NONBLOCK);
    res("accept", n);
    val("accepted-nonblock", !!(fcntl(n, F_GETFL) & O_NONBLOCK));
    /* Fill the pipe until EAGAIN. */
    static char chunk[65536];
    long total = 0;
    for (;;) {
        ssize_t w = write(c1, chunk, sizeof chunk);
        if (w < 0) break;
        total += w;
    }
    printf("fill-stops: %s\n", strerrorname_np(errno));
    val("filled-some", total > 0);
    val("not-writable-when-full", revents(c1, POLLOUT));
}

/* Sends `size`-byte messages without blocking until EAGAIN; how many. */
static long sends_until_full(int fd, size_t size) {
    static char chunk[8192];
    long n = 0;
    while (n < 1000000 && send(fd, chunk, size, MSG_DONTWAIT) >= 0)
        n++;
    return n;
}

static int ioctl_int(int fd, unsigned long req) {
    int v = -1;
    ioctl(fd, req, &v);
    return v;
}

/* What queued messages cost their sender (Linux's skb truesize against
 * SO_SNDBUF): how many sends fit, SIOCOUTQ/SIOCINQ, POLLOUT, the queue
 * limit for datagrams from senders the receiver is not connected to. */
static void buffers(void) {
    int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
    const char *names[] = {"stream", "dgram", "seqpacket"};
    size_t sizes[] = {0, 1, 100, 200, 1000, 5000};
    for (int t = 0; t < 3; t++) {
        for (int i = 0; i < 6; i++) {
            if (sizes[i] == 0 && types[t] == SOCK_STREAM)
                continue;
            int sv[2];
            socketpair(AF_UNIX, types[t], 0, sv);
            printf("%s-%zu: ", names[t], sizes[i]);
            val("sends", sends_until_full(sv[0], sizes[i]));
            close(sv[0]);
            close(sv[1]);
        }
        int sv[2];
        socketpair(AF_UNIX, types[t], 0, sv);
        send(sv[0], "x", 1, 0);
        send(sv[0], "0123456789", 10, 0);
        printf("%s: ", names[t]);
        val("outq", ioctl_int(sv[0], TIOCOUTQ));
        printf("%s: ", names[t]);
        val("inq", ioctl_int(sv[1], FIONREAD));
        sends_until_full(sv[0], 1);
        printf("%s: ", names[t]);
        val("full-pollout", revents(sv[0], POLLOUT));
        char b[16];
        for (int k = 0; k < 200; k++)
            recv(sv[1], b, 1, MSG_DONTWAIT);
        /* Writable again only once a quarter of the buffer is in use. */
        printf("%s: ", names[t]);
        val("most-read-pollout", revents(sv[0], POLLOUT));
        while (recv(sv[1], b, sizeof b, MSG_DONTWAIT) > 0)
            ;
        printf("%s: ", names[t]);
        val("drained-pollout", revents(sv[0], POLLOUT));
        val("drained-outq", ioctl_int(sv[0], TIOCOUTQ));
        close(sv[0]);
        close(sv[1]);
    }
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    val("small-sndbuf-sends", sends_until_full(sv[0], 1));
    static char big[16384];
    res("dgram-over-sndbuf", send(sv[0], big, sizeof big, MSG_DONTWAIT));
    close(sv[0]);
    close(sv[1]);

    /* A blocked sender goes on once the reader drains the queue. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    long queued = sends_until_full(sv[0], 1000);
    pid_t kid = fork();
    if (kid == 0) {
        usleep(100000);
        char b[4096];
        while (recv(sv[1], b, sizeof b, MSG_DONTWAIT) > 0)
            ;
        _exit(0);
    }
    val("blocking-send-goes-on", send(sv[0], big, 1000, 0));
    waitpid(kid, NULL, 0);
    val("queued-before", queued);
    close(sv[0]);
    close(sv[1]);

    /* Datagrams from senders the receiver is not connected to: at most
     * net.unix.max_dgram_qlen + 1 queued. */
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path + 1, "husk-qlen");
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + 10;
    int r = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(r, (struct sockaddr *)&a, len);
    int s1 = socket(AF_UNIX, SOCK_DGRAM, 0);
    long n = 0;
    while (n < 100000 && sendto(s1, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&a, len) >= 0)
        n++;
    printf("qlen-stops: %s\n", strerrorname_np(errno));
    val("qlen-sends", n);
    int s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    connect(s2, (struct sockaddr *)&a, len);
    val("connected-sender-pollout", revents(s2, POLLOUT));
    res("connected-sender-eagain", send(s2, "y", 1, MSG_DONTWAIT));
    char b[8];
    recv(r, b, sizeof b, 0);
    val("room-pollout", revents(s2, POLLOUT));
    res("room-send", send(s2, "y", 1, MSG_DONTWAIT));
}

static volatile int sigios;
static void on_sigio(int s) { (void)s; sigios++; }

/* A full sender with O_ASYNC: draining the receiver makes it writable
 * again, and SIGIO tells it so (the wake-up comes from the reader). */
static void async_drain(void) {
    int types[] = {SOCK_DGRAM, SOCK_STREAM};
    for (int t = 0; t < 2; t++) {
        int sv[2];
        socketpair(AF_UNIX, types[t], 0, sv);
        signal(SIGIO, on_sigio);
        fcntl(sv[0], F_SETOWN, getpid());
        fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_ASYNC);
        long n = sends_until_full(sv[0], 100);
        sigios = 0;
        char b[256];
        while (recv(sv[1], b, sizeof b, MSG_DONTWAIT) > 0)
            ;
        printf("%s: ", t ? "stream" : "dgram");
        val("queued", n);
        printf("%s: ", t ? "stream" : "dgram");
        val("sigio-when-writable", sigios > 0);
        val("pollout", revents(sv[0], POLLOUT));
        close(sv[0]);
        close(sv[1]);
    }
}

static void on_alarm(int s) { (void)s; }

static void timeouts(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct timeval tv = {0, 100000};
    res("rcvtimeo", setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    char b[8];
    res("recv-times-out", recv(sv[1], b, 1, 0));
    tv.tv_usec = 0;
    setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    ualarm(100000, 0);
    res("recv-interrupted", recv(sv[1], b, 1, 0));
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    pid_t kid = fork();
    if (kid == 0) {
        usleep(300000);
        write(sv[0], "late", 4);
        _exit(0);
    }
    ualarm(100000, 0);
    val("recv-restarted", recv(sv[1], b, sizeof b, 0));
    waitpid(kid, NULL, 0);
    int port;
    int l = tcp_listener(&port, 1);
    tv.tv_usec = 100000;
    setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    res("accept-times-out", accept(l, NULL, NULL));
    sa.sa_flags = 0;
    sigaction(SIGALRM, &sa, NULL);
    tv.tv_usec = 0;
    setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ualarm(100000, 0);
    res("accept-interrupted", accept(l, NULL, NULL));
}

int main(int argc, char **argv) {
    static const struct group groups[] = {
        {"stream-pair", stream_pair}, {"dgram-pair", dgram_pair}, {"seqpacket", seqpacket},
        {"path", path_names}, {"abstract", abstract_names}, {"rights", rights},
        {"creds", creds}, {"dgram-path", dgram_path}, {"nonblocking", nonblocking},
        {"timeouts", timeouts}, {"buffers", buffers},
        {"async-drain", async_drain},
    };
    return RUN(argc, argv, groups);
}
