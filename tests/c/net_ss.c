/* Sets up a fixed set of sockets (tests/net_ss.rs), then runs each
 * argument as a shell command while they are open, so `ss`, `netstat` and
 * /proc/net can be compared between a native run (in a fresh network
 * namespace) and husk. Every port is fixed; every TCP client binds its own
 * port, so nothing ephemeral shows. */
#include "net_test.h"
#include <sys/stat.h>

static int listener_at(int family, const char *addr, int port, int backlog) {
    int s = socket(family, SOCK_STREAM, 0);
    int one = 1;
    if (s < 0)
        die("socket");
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
        inet_pton(AF_INET, addr, &a.sin_addr);
        if (bind(s, (struct sockaddr *)&a, sizeof a) < 0)
            die("bind");
    } else {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
        inet_pton(AF_INET6, addr, &a.sin6_addr);
        if (bind(s, (struct sockaddr *)&a, sizeof a) < 0)
            die("bind6");
    }
    if (listen(s, backlog) < 0)
        die("listen");
    return s;
}

/* A TCP client from 127.0.0.1:from to 127.0.0.1:to. */
static int tcp_client(int from, int to) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = loopback(from), b = loopback(to);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0)
        die("bind client");
    if (connect(s, (struct sockaddr *)&b, sizeof b) < 0)
        die("connect");
    return s;
}

static int udp_socket(int port, int peer) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loopback(port), b = loopback(peer);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0)
        die("bind udp");
    if (peer && connect(s, (struct sockaddr *)&b, sizeof b) < 0)
        die("connect udp");
    return s;
}

static socklen_t abstract(struct sockaddr_un *a, const char *name) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path + 1, name);
    return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* Descriptors a shell left open would shift ours (ss -p shows them). */
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    /* TCP: a v4 listener with one accepted and one waiting connection, a
     * dual-stack v6 listener, 5 unread bytes at the accepting side. */
    int l4 = listener_at(AF_INET, "127.0.0.1", 18600, 5);
    int l6 = listener_at(AF_INET6, "::", 18601, 3);
    int c1 = tcp_client(18610, 18600);
    int s1 = accept(l4, NULL, NULL);
    int c2 = tcp_client(18611, 18600);
    if (s1 < 0 || write(c1, "hello", 5) != 5)
        die("accept/write");
    /* A v4 client of the v6 listener, accepted: a v4-mapped tcp6 socket. */
    int c3 = tcp_client(18612, 18601);
    int s3 = accept(l6, NULL, NULL);
    /* A connection shut for writing on one side; waits (up to 5 s) until
     * the FIN is acknowledged, which Linux may do a moment later. */
    shutdown(c3, SHUT_WR);
    for (int i = 0; i < 5000; i++) {
        unsigned char info[232] = {0};
        socklen_t il = sizeof info;
        if (getsockopt(c3, IPPROTO_TCP, TCP_INFO, info, &il) < 0 || info[0] == 5 /* TCP_FIN_WAIT2 */)
            break;
        usleep(1000);
    }
    /* UDP: unconnected, connected, and a v6 socket on ::1. */
    int u1 = udp_socket(18620, 0);
    int u2 = udp_socket(18621, 18620);
    int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(18622)};
    inet_pton(AF_INET6, "::1", &a6.sin6_addr);
    if (bind(u6, (struct sockaddr *)&a6, sizeof a6) < 0)
        die("bind udp6");
    /* Unix: a stream pair, an abstract listener with a waiting client, a
     * datagram socket and one connected to it, an unbound socket. */
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
        die("socketpair");
    struct sockaddr_un un;
    socklen_t len = abstract(&un, "husk-ss-listen");
    int ul = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(ul, (struct sockaddr *)&un, len) < 0 || listen(ul, 4) < 0)
        die("unix listen");
    int uc = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(uc, (struct sockaddr *)&un, len) < 0)
        die("unix connect");
    len = abstract(&un, "husk-ss-dgram");
    int ud = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (bind(ud, (struct sockaddr *)&un, len) < 0)
        die("unix dgram bind");
    int ud2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (connect(ud2, (struct sockaddr *)&un, len) < 0)
        die("unix dgram connect");
    int unb = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    /* Unread unix data: Recv-Q counts bytes, Send-Q the sender's skb truesize. */
    if (write(pair[0], "hello", 5) != 5 || send(ud2, "datagram", 8, 0) != 8)
        die("unix write");
    for (int i = 1; i < argc; i++) {
        printf("$ %s\n", argv[i]);
        int st = system(argv[i]);
        if (st != 0)
            printf("exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    int fds[] = {l4, l6, c1, s1, c2, c3, s3, u1, u2, u6, pair[0], pair[1], ul, uc, ud, ud2, unb};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        close(fds[i]);
    return 0;
}
