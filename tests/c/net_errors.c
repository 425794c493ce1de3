/* Bad input to the socket calls: the errnos must be Linux's. Prints one
 * line per call; the test compares husk's output with a native run. */
#include "net_test.h"
#include <net/if.h>
#include <sys/ioctl.h>

static void creation(void) {
    res("socket-family-neg", socket(-1, SOCK_STREAM, 0));
    res("socket-family-999", socket(999, SOCK_STREAM, 0));
    res("socket-family-46", socket(46, SOCK_STREAM, 0));
    res("socket-type-99", socket(AF_INET, 99, 0));
    res("socket-type-11", socket(AF_INET, 11, 0));
    res("socket-type-neg", socket(AF_INET, -1, 0));
    res("socket-bad-flags", socket(AF_INET, SOCK_STREAM | 0x100, 0));
    res("socket-inet-seqpacket", socket(AF_INET, SOCK_SEQPACKET, 0));
    res("socket-inet-rdm", socket(AF_INET, SOCK_RDM, 0));
    res("socket-stream-udp", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
    res("socket-dgram-tcp", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
    res("socket-inet6-stream", socket(AF_INET6, SOCK_STREAM, 0));
    res("socket-unix-proto", socket(AF_UNIX, SOCK_STREAM, 7));
    res("socket-unix-rdm", socket(AF_UNIX, SOCK_RDM, 0));
    res("socket-netlink-bad-proto", socket(AF_NETLINK, SOCK_RAW, 99));
    res("socket-netlink-stream", socket(AF_NETLINK, SOCK_STREAM, 0));
    int sv[2];
    res("socketpair-inet", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    res("socketpair-unix-efault", socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)8));
    res("socketpair-bad-type", socketpair(AF_UNIX, 77, 0, sv));
}

static void notsock(void) {
    int p[2];
    pipe(p);
    struct sockaddr_in a = loopback(1);
    socklen_t l = sizeof a;
    int v = 1;
    res("bind-pipe", bind(p[0], (struct sockaddr *)&a, sizeof a));
    res("listen-pipe", listen(p[0], 1));
    res("accept-pipe", accept(p[0], NULL, NULL));
    res("connect-pipe", connect(p[0], (struct sockaddr *)&a, sizeof a));
    res("getsockname-pipe", getsockname(p[0], (struct sockaddr *)&a, &l));
    res("setsockopt-pipe", setsockopt(p[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
    res("send-pipe", send(p[1], "x", 1, 0));
    res("recv-pipe", recv(p[0], &v, 1, MSG_DONTWAIT));
    res("shutdown-pipe", shutdown(p[0], SHUT_RD));
    res("bind-badf", bind(999, (struct sockaddr *)&a, sizeof a));
    res("sendto-badf", sendto(-1, "x", 1, 0, NULL, 0));
}

static void addresses(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(0);
    res("bind-short", bind(s, (struct sockaddr *)&a, 8));
    res("bind-zero-len", bind(s, (struct sockaddr *)&a, 0));
    res("bind-huge-len", bind(s, (struct sockaddr *)&a, 200));
    res("bind-neg-len", bind(s, (struct sockaddr *)&a, -1));
    res("bind-efault", bind(s, (struct sockaddr *)8, 16));
    struct sockaddr_in6 a6 = {0};
    a6.sin6_family = AF_INET6;
    res("bind-inet6-on-inet", bind(s, (struct sockaddr *)&a6, sizeof a6));
    a.sin_family = AF_UNIX;
    res("bind-wrong-family", bind(s, (struct sockaddr *)&a, sizeof a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = inet_addr("10.99.99.99");
    res("bind-not-local", bind(s, (struct sockaddr *)&a, sizeof a));
    a = loopback(0);
    a.sin_family = AF_UNIX;
    res("connect-wrong-family", connect(s, (struct sockaddr *)&a, sizeof a));
    res("connect-short", connect(s, (struct sockaddr *)&a, 4));
    res("connect-efault", connect(s, (struct sockaddr *)8, 16));
    a = loopback(0);
    res("bind-ok", bind(s, (struct sockaddr *)&a, sizeof a));
    res("bind-again", bind(s, (struct sockaddr *)&a, sizeof a));
    socklen_t l = sizeof a;
    res("getsockname-null-len", getsockname(s, (struct sockaddr *)&a, NULL));
    l = (socklen_t)-1;
    res("getsockname-neg-len", getsockname(s, (struct sockaddr *)&a, &l));
    l = 2;
    res("getsockname-short", getsockname(s, (struct sockaddr *)&a, &l));
    val("getsockname-short-len", l);
    res("getpeername-unconnected", getpeername(s, (struct sockaddr *)&a, &l));
    res("accept-not-listening", accept(s, NULL, NULL));
    res("accept4-bad-flags", accept4(s, NULL, NULL, 0x4));
    res("shutdown-unconnected", shutdown(s, SHUT_RDWR));
    res("shutdown-bad-how", shutdown(s, 7));
    char c;
    res("recv-unconnected", recv(s, &c, 1, MSG_DONTWAIT));
    res("send-unconnected", send(s, "x", 1, MSG_NOSIGNAL));
    close(s);

    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un un = {0};
    un.sun_family = AF_UNIX;
    res("unix-bind-family-only-len1", bind(u, (struct sockaddr *)&un, 1));
    res("unix-bind-toolong", bind(u, (struct sockaddr *)&un, sizeof un + 1));
    un.sun_family = AF_INET;
    strcpy(un.sun_path, "/tmp/x");
    res("unix-bind-wrong-family", bind(u, (struct sockaddr *)&un, sizeof un));
    un.sun_family = AF_UNIX;
    strcpy(un.sun_path, "/nonexistent-dir/sock");
    res("unix-bind-noent", bind(u, (struct sockaddr *)&un, sizeof un));
    res("unix-connect-noent", connect(u, (struct sockaddr *)&un, sizeof un));
    strcpy(un.sun_path, "/");
    res("unix-bind-exists", bind(u, (struct sockaddr *)&un, sizeof un));
    un.sun_path[0] = 0;
    strcpy(un.sun_path + 1, "husk-net-errors-nobody");
    res("unix-connect-abstract-refused", connect(u, (struct sockaddr *)&un, sizeof un));
    res("unix-listen-unbound", listen(u, 1));
    res("unix-send-unconnected", send(u, "x", 1, MSG_NOSIGNAL));
    res("unix-recv-unconnected", recv(u, &c, 1, MSG_DONTWAIT));
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    res("unix-dgram-listen", listen(d, 1));
    res("unix-dgram-send-nodest", send(d, "x", 1, 0));
    close(u);
    close(d);
}

static void options(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int v = 1;
    socklen_t l = sizeof v;
    res("setsockopt-short", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2));
    res("setsockopt-neg", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, -1));
    res("setsockopt-efault", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (void *)8, 4));
    res("setsockopt-unknown", setsockopt(s, SOL_SOCKET, 9999, &v, 4));
    res("setsockopt-bad-level", setsockopt(s, 9999, 1, &v, 4));
    res("setsockopt-so-type", setsockopt(s, SOL_SOCKET, SO_TYPE, &v, 4));
    res("getsockopt-unknown", getsockopt(s, SOL_SOCKET, 9999, &v, &l));
    l = (socklen_t)-1;
    res("getsockopt-neg-len", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l));
    res("getsockopt-efault-len", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, (socklen_t *)8));
    l = 4;
    getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l);
    val("so-type", v);
    getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &l);
    val("so-domain", v);
    getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &l);
    val("so-protocol", v);
    getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &l);
    val("so-acceptconn", v);
    getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &l);
    val("so-error", v);
    getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &l);
    val("tcp-nodelay-default", v);
    v = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v);
    getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &l);
    val("tcp-nodelay-set", v);
    l = 2;
    v = 0;
    res("getsockopt-short", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l));
    val("getsockopt-short-len", l);
    v = 4096;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    l = 4;
    getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &l);
    val("so-rcvbuf-doubled", v);
    struct timeval tv = {0, 2000000};
    res("so-rcvtimeo-bad-usec", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    struct linger lg = {1, 0};
    res("so-linger", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    res("so-linger-short", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, 4));
    res("ipv6-opt-on-inet", setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v));
    int s6 = socket(AF_INET6, SOCK_STREAM, 0);
    v = 1;
    res("ipv6-v6only", setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v));
    v = 0;
    l = 4;
    getsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l);
    val("ipv6-v6only-get", v);
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    l = 4;
    getsockopt(u, SOL_SOCKET, SO_TYPE, &v, &l);
    val("unix-so-type", v);
    res("unix-tcp-opt", setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
    int n;
    res("fionread-listener", (listen(s, 1), ioctl(s, FIONREAD, &n)));
    res("ioctl-unknown", ioctl(s, 0x12345678, &n));
}

static void interfaces(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq r = {0};
    strcpy(r.ifr_name, "lo");
    res("siocgifindex-lo", ioctl(s, SIOCGIFINDEX, &r));
    val("lo-index", r.ifr_ifindex);
    res("siocgifflags-lo", ioctl(s, SIOCGIFFLAGS, &r));
    val("lo-up", !!(r.ifr_flags & IFF_UP));
    val("lo-loopback", !!(r.ifr_flags & IFF_LOOPBACK));
    res("siocgifaddr-lo", ioctl(s, SIOCGIFADDR, &r));
    printf("lo-addr: %s\n", inet_ntoa(((struct sockaddr_in *)&r.ifr_addr)->sin_addr));
    res("siocgifnetmask-lo", ioctl(s, SIOCGIFNETMASK, &r));
    printf("lo-mask: %s\n", inet_ntoa(((struct sockaddr_in *)&r.ifr_netmask)->sin_addr));
    strcpy(r.ifr_name, "nosuch0");
    res("siocgifindex-nosuch", ioctl(s, SIOCGIFINDEX, &r));
    r.ifr_ifindex = 1;
    res("siocgifname-1", ioctl(s, SIOCGIFNAME, &r));
    printf("if-1: %s\n", r.ifr_name);
    val("if_nametoindex-lo", if_nametoindex("lo"));
}

static void buffers(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "abc", 3);
    res("recv-efault", recv(sv[1], (void *)8, 3, 0));
    struct iovec bad = {(void *)8, 3};
    struct msghdr m = {0};
    m.msg_iov = &bad;
    m.msg_iovlen = 1;
    res("recvmsg-efault", recvmsg(sv[1], &m, 0));
    res("recvmsg-bad-msghdr", recvmsg(sv[1], (struct msghdr *)8, 0));
    char b[8] = {0};
    val("data-kept", recv(sv[1], b, sizeof b, 0));
    printf("data: %s\n", b);
    res("send-efault", send(sv[0], (void *)8, 3, 0));
    m.msg_iovlen = 5000;
    res("sendmsg-too-many-iov", sendmsg(sv[0], &m, 0));
    struct iovec ok = {"x", 1};
    m.msg_iov = &ok;
    m.msg_iovlen = 1;
    char cbuf[CMSG_SPACE(4)] = {0};
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = 77;
    c->cmsg_len = CMSG_LEN(4);
    res("sendmsg-unknown-cmsg", sendmsg(sv[0], &m, 0));
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = 4;
    res("sendmsg-short-cmsg", sendmsg(sv[0], &m, 0));
    c->cmsg_len = 4096;
    res("sendmsg-long-cmsg", sendmsg(sv[0], &m, 0));
    m.msg_control = (void *)8;
    res("sendmsg-control-efault", sendmsg(sv[0], &m, 0));
    m.msg_control = NULL;
    m.msg_controllen = 0;
    m.msg_name = (void *)8;
    m.msg_namelen = 500;
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    res("sendmsg-name-too-long", sendmsg(d, &m, 0));
    m.msg_namelen = 16;
    res("sendmsg-name-efault", sendmsg(d, &m, 0));
}

int main(int argc, char **argv) {
    static const struct group groups[] = {
        {"creation", creation}, {"notsock", notsock}, {"addresses", addresses},
        {"options", options}, {"interfaces", interfaces}, {"buffers", buffers},
    };
    return RUN(argc, argv, groups);
}
