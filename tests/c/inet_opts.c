/* IP-level socket options over loopback: option round trips and their
 * errors, the control messages a UDP receiver gets (IP_PKTINFO,
 * IP_RECVTTL, IP_RECVTOS, IP_RECVORIGDSTADDR, IPV6_RECVPKTINFO,
 * IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS, SO_TIMESTAMP(NS)) carrying what the
 * sender set (IP_TTL, IP_TOS, IPV6_UNICAST_HOPS, IPV6_TCLASS), and TCP
 * buffers sized by SO_RCVBUF/SO_SNDBUF. One line per check (no ports, no
 * times), compared with a native run; the "unsupported" group prints what
 * the sandbox refuses. Usage: inet_opts GROUP */
#include "net_test.h"
#include <netinet/udp.h>
#include <sys/time.h>
#include <time.h>

static void getint(const char *name, int s, int level, int opt) {
    int v = -12345;
    socklen_t l = sizeof v;
    if (getsockopt(s, level, opt, &v, &l) < 0)
        printf("%s: %s\n", name, strerrorname_np(errno));
    else
        printf("%s: %d (len %u)\n", name, v, l);
}

static void setint(const char *name, int s, int level, int opt, int v) {
    res(name, setsockopt(s, level, opt, &v, sizeof v));
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int port_of(int s) {
    struct sockaddr_storage a;
    socklen_t l = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &l);
    return ntohs(((struct sockaddr_in *)&a)->sin_port);
}

/* Prints the control messages of `m`; timestamps are checked against
 * [lo, hi] (seconds) instead of printed. */
static void print_cmsgs(struct msghdr *m, int port, double lo, double hi) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        printf("  cmsg level=%d type=%d len=%zu", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len);
        unsigned char *d = CMSG_DATA(c);
        char buf[64];
        if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, d, sizeof pi);
            printf(" ifindex=%d spec_dst=%s", pi.ipi_ifindex, inet_ntoa(pi.ipi_spec_dst));
            printf(" addr=%s", inet_ntoa(pi.ipi_addr));
        } else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL) ||
                   (c->cmsg_level == SOL_IPV6 && (c->cmsg_type == IPV6_HOPLIMIT || c->cmsg_type == IPV6_TCLASS))) {
            int v;
            memcpy(&v, d, sizeof v);
            printf(" value=%d", v);
        } else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_TOS) {
            printf(" tos=0x%x", d[0]);
        } else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_ORIGDSTADDR) {
            struct sockaddr_in a;
            memcpy(&a, d, sizeof a);
            printf(" family=%d addr=%s port-ok=%d", a.sin_family, inet_ntoa(a.sin_addr), ntohs(a.sin_port) == port);
        } else if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, d, sizeof pi);
            printf(" ifindex=%d addr=%s", pi.ipi6_ifindex, inet_ntop(AF_INET6, &pi.ipi6_addr, buf, sizeof buf));
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMP) {
            struct timeval tv;
            memcpy(&tv, d, sizeof tv);
            double t = tv.tv_sec + tv.tv_usec / 1e6;
            printf(" usec-ok=%d in-window=%d", tv.tv_usec >= 0 && tv.tv_usec < 1000000, t >= lo - 1e-6 && t <= hi);
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, d, sizeof ts);
            double t = ts.tv_sec + ts.tv_nsec / 1e9;
            printf(" nsec-ok=%d in-window=%d", ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000, t >= lo - 1e-6 && t <= hi);
        }
        printf("\n");
    }
}

/* Receives one datagram with `room` bytes of control buffer and prints it. */
static void recv_show(const char *name, int r, size_t room, int flags, double sent) {
    char data[64] = {0};
    union {
        char b[512];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {data, sizeof data - 1};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = room ? ctl.b : NULL;
    m.msg_controllen = room;
    ssize_t n = recvmsg(r, &m, flags);
    if (n < 0) {
        printf("%s: %s\n", name, strerrorname_np(errno));
        return;
    }
    /* The datagram waited 100 ms: an arrival stamp is at least that old. */
    double got = now();
    printf("%s: %zd bytes \"%s\" controllen=%zu ctrunc=%d\n", name, n, data, (size_t)m.msg_controllen,
           !!(m.msg_flags & MSG_CTRUNC));
    print_cmsgs(&m, port_of(r), sent, got - 0.09);
}

static double send_to(int s, int r, const char *what) {
    struct sockaddr_storage a;
    socklen_t l = sizeof a;
    getsockname(r, (struct sockaddr *)&a, &l);
    double t = now();
    if (sendto(s, what, strlen(what), 0, (struct sockaddr *)&a, l) < 0) die("sendto");
    usleep(100000);
    return t;
}

/* lo's MTU differs between hosts (65535 or 65536). */
static void mtu_check(int s, int level, int opt) {
    int v = 0;
    socklen_t l = sizeof v;
    int r = getsockopt(s, level, opt, &v, &l);
    val("mtu-connected-is-lo", r == 0 && v >= 65535);
}

static void udp4(void) {
    int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loopback(0);
    if (bind(r, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    /* Linux turns receive timestamps on for the whole stack a moment after
     * the first socket asks; until then datagrams are stamped when read. */
    setint("timestamp", r, SOL_SOCKET, SO_TIMESTAMP, 1);
    usleep(100000);
    getint("ttl-default", s, SOL_IP, IP_TTL);
    setint("ttl-5", s, SOL_IP, IP_TTL, 5);
    getint("ttl", s, SOL_IP, IP_TTL);
    setint("ttl-0", s, SOL_IP, IP_TTL, 0);
    setint("ttl-256", s, SOL_IP, IP_TTL, 256);
    res("ttl-empty", setsockopt(s, SOL_IP, IP_TTL, "", 0));
    unsigned char seven = 7;
    res("ttl-one-byte", setsockopt(s, SOL_IP, IP_TTL, &seven, 1));
    getint("ttl", s, SOL_IP, IP_TTL);
    setint("ttl-reset", s, SOL_IP, IP_TTL, -1);
    getint("ttl", s, SOL_IP, IP_TTL);
    getint("tos-default", s, SOL_IP, IP_TOS);
    setint("tos", s, SOL_IP, IP_TOS, 0x28);
    getint("tos", s, SOL_IP, IP_TOS);
    getint("mtu-unconnected", s, SOL_IP, IP_MTU);
    getint("pmtudisc-default", s, SOL_IP, IP_MTU_DISCOVER);
    setint("pmtudisc-do", s, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
    setint("pmtudisc-bad", s, SOL_IP, IP_MTU_DISCOVER, 9);
    getint("pmtudisc", s, SOL_IP, IP_MTU_DISCOVER);
    getint("mc-ttl-default", s, SOL_IP, IP_MULTICAST_TTL);
    getint("mc-loop-default", s, SOL_IP, IP_MULTICAST_LOOP);
    setint("unknown-ip-opt", s, SOL_IP, 30, 1);
    getint("unknown-ip-opt", s, SOL_IP, 30);
    setint("mroute-opt", s, SOL_IP, 200 /* MRT_INIT */, 1);
    getint("mroute-opt", s, SOL_IP, 200);
    setint("ipv6-level-on-inet", s, SOL_IPV6, IPV6_UNICAST_HOPS, 1);
    getint("ipv6-level-on-inet", s, SOL_IPV6, IPV6_UNICAST_HOPS);
    getint("udp-cork", s, SOL_UDP, UDP_CORK);
    res("udp-opt-short", setsockopt(s, SOL_UDP, UDP_CORK, "", 0));

    /* What the receiver asks for, and what the sender puts on the wire. */
    setint("pktinfo", r, SOL_IP, IP_PKTINFO, 1);
    setint("recvttl", r, SOL_IP, IP_RECVTTL, 1);
    setint("recvtos", r, SOL_IP, IP_RECVTOS, 1);
    setint("recvorigdstaddr", r, SOL_IP, IP_RECVORIGDSTADDR, 1);
    setint("timestamp", r, SOL_SOCKET, SO_TIMESTAMP, 1);
    getint("pktinfo", r, SOL_IP, IP_PKTINFO);
    getint("timestamp", r, SOL_SOCKET, SO_TIMESTAMP);
    setint("ttl-9", s, SOL_IP, IP_TTL, 9);
    setint("tos-0x10", s, SOL_IP, IP_TOS, 0x10);
    double t = send_to(s, r, "one");
    recv_show("peek", r, 512, MSG_PEEK, t);
    recv_show("recv", r, 512, 0, t);
    /* Room for the timestamp and part of the next message only. */
    t = send_to(s, r, "two");
    recv_show("short-control", r, CMSG_SPACE(sizeof(struct timeval)) + 20, 0, t);
    t = send_to(s, r, "three");
    recv_show("no-control", r, 0, 0, t);
    /* Nanoseconds replace microseconds; defaults on the wire again. */
    setint("timestampns", r, SOL_SOCKET, SO_TIMESTAMPNS, 1);
    getint("timestamp", r, SOL_SOCKET, SO_TIMESTAMP);
    getint("timestampns", r, SOL_SOCKET, SO_TIMESTAMPNS);
    setint("recvtos-off", r, SOL_IP, IP_RECVTOS, 0);
    setint("recvorigdstaddr-off", r, SOL_IP, IP_RECVORIGDSTADDR, 0);
    setint("pktinfo-off", r, SOL_IP, IP_PKTINFO, 0);
    setint("ttl-reset", s, SOL_IP, IP_TTL, -1);
    t = send_to(s, r, "four");
    recv_show("ns", r, 512, 0, t);
    setint("timestamp-off", r, SOL_SOCKET, SO_TIMESTAMP, 0);
    getint("timestampns", r, SOL_SOCKET, SO_TIMESTAMPNS);
    struct sockaddr_in ra;
    socklen_t rl = sizeof ra;
    getsockname(r, (struct sockaddr *)&ra, &rl);
    res("connect", connect(s, (struct sockaddr *)&ra, rl));
    mtu_check(s, SOL_IP, IP_MTU);
    close(r);
    close(s);
}

static void udp6(void) {
    int r = socket(AF_INET6, SOCK_DGRAM, 0), s = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 a = {0};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    if (bind(r, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    getint("hops-default", s, SOL_IPV6, IPV6_UNICAST_HOPS);
    setint("hops-0", s, SOL_IPV6, IPV6_UNICAST_HOPS, 0);
    getint("hops", s, SOL_IPV6, IPV6_UNICAST_HOPS);
    setint("hops-256", s, SOL_IPV6, IPV6_UNICAST_HOPS, 256);
    setint("hops-reset", s, SOL_IPV6, IPV6_UNICAST_HOPS, -1);
    getint("hops", s, SOL_IPV6, IPV6_UNICAST_HOPS);
    short two = 3;
    res("hops-short", setsockopt(s, SOL_IPV6, IPV6_UNICAST_HOPS, &two, sizeof two));
    setint("tclass-default", s, SOL_IPV6, IPV6_TCLASS, -1);
    getint("tclass", s, SOL_IPV6, IPV6_TCLASS);
    setint("tclass-bad", s, SOL_IPV6, IPV6_TCLASS, 256);
    getint("ip-ttl-on-inet6", s, SOL_IP, IP_TTL);
    setint("unknown-ipv6-opt", s, SOL_IPV6, 999, 1);
    getint("unknown-ipv6-opt", s, SOL_IPV6, 999);
    getint("mc-hops-default", s, SOL_IPV6, IPV6_MULTICAST_HOPS);

    setint("recvpktinfo", r, SOL_IPV6, IPV6_RECVPKTINFO, 1);
    setint("recvhoplimit", r, SOL_IPV6, IPV6_RECVHOPLIMIT, 1);
    setint("recvtclass", r, SOL_IPV6, IPV6_RECVTCLASS, 1);
    getint("recvhoplimit", r, SOL_IPV6, IPV6_RECVHOPLIMIT);
    setint("hops-3", s, SOL_IPV6, IPV6_UNICAST_HOPS, 3);
    setint("tclass-0x20", s, SOL_IPV6, IPV6_TCLASS, 0x20);
    double t = send_to(s, r, "six");
    recv_show("recv6", r, 512, 0, t);
    setint("hops-0", s, SOL_IPV6, IPV6_UNICAST_HOPS, 0);
    t = send_to(s, r, "zero");
    recv_show("recv6-hop0", r, 512, 0, t);
    close(r);
    close(s);

    /* An IPv6 socket receiving IPv4: IPV6_PKTINFO (v4-mapped), then the
     * IPv4 messages. */
    r = socket(AF_INET6, SOCK_DGRAM, 0);
    a.sin6_addr = in6addr_any;
    if (bind(r, (struct sockaddr *)&a, sizeof a) < 0) die("bind6");
    setint("mapped-recvpktinfo", r, SOL_IPV6, IPV6_RECVPKTINFO, 1);
    setint("mapped-pktinfo", r, SOL_IP, IP_PKTINFO, 1);
    setint("mapped-recvttl", r, SOL_IP, IP_RECVTTL, 1);
    setint("mapped-recvhoplimit", r, SOL_IPV6, IPV6_RECVHOPLIMIT, 1);
    s = socket(AF_INET, SOCK_DGRAM, 0);
    setint("ttl-33", s, SOL_IP, IP_TTL, 33);
    struct sockaddr_in to = loopback(port_of(r));
    t = now();
    if (sendto(s, "v4", 2, 0, (struct sockaddr *)&to, sizeof to) < 0) die("sendto4");
    usleep(100000);
    recv_show("mapped", r, 512, 0, t);
    close(r);
    close(s);
}

static void tcp(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    setint("ttl-7", s, SOL_IP, IP_TTL, 7);
    getint("ttl", s, SOL_IP, IP_TTL);
    setint("tos-0xff", s, SOL_IP, IP_TOS, 0xff);
    getint("tos-ecn-kept", s, SOL_IP, IP_TOS);
    setint("mc-ttl", s, SOL_IP, IP_MULTICAST_TTL, 3);
    struct ip_mreq mr = {{htonl(0xe0000001)}, {htonl(INADDR_ANY)}};
    res("add-membership", setsockopt(s, SOL_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr));
    res("recvfragsize", setsockopt(s, SOL_IP, IP_RECVFRAGSIZE, &(int){1}, sizeof(int)));
    getint("mtu-unconnected", s, SOL_IP, IP_MTU);
    getint("quickack", s, SOL_TCP, TCP_QUICKACK);
    setint("user-timeout", s, SOL_TCP, TCP_USER_TIMEOUT, 5000);
    getint("user-timeout", s, SOL_TCP, TCP_USER_TIMEOUT);
    setint("user-timeout-neg", s, SOL_TCP, TCP_USER_TIMEOUT, -1);
    res("tcp-opt-short", setsockopt(s, SOL_TCP, TCP_NODELAY, "", 0));
    setint("keepcnt", s, SOL_TCP, TCP_KEEPCNT, 3);
    getint("keepcnt", s, SOL_TCP, TCP_KEEPCNT);
    int port;
    int l = tcp_listener(&port, 4);
    struct sockaddr_in a = loopback(port);
    res("connect", connect(s, (struct sockaddr *)&a, sizeof a));
    int c = accept(l, NULL, NULL);
    mtu_check(s, SOL_IP, IP_MTU);
    getint("ttl-after-connect", s, SOL_IP, IP_TTL);
    val("send", send(s, "x", 1, 0));
    char b;
    val("recv", recv(c, &b, 1, 0));
    close(c);
    close(l);
    close(s);
    int s6 = socket(AF_INET6, SOCK_STREAM, 0);
    setint("mc-hops-on-tcp6", s6, SOL_IPV6, IPV6_MULTICAST_HOPS, 3);
    setint("hops-on-tcp6", s6, SOL_IPV6, IPV6_UNICAST_HOPS, 9);
    getint("hops-on-tcp6", s6, SOL_IPV6, IPV6_UNICAST_HOPS);
    close(s6);
}

/* A sender whose peer never reads: non-blocking sends stop after about
 * what the two buffers hold, not after the stack's default. */
/* `late`: the sizes are set after listen and after connect, as CPython's
 * test_asyncio sendfile tests do. */
static void bufs(int late) {
    int port;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (!late) setint("listener-rcvbuf", l, SOL_SOCKET, SO_RCVBUF, 4096);
    struct sockaddr_in a = loopback(0);
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    if (listen(l, 4) < 0) die("listen");
    if (late) setint("listener-rcvbuf", l, SOL_SOCKET, SO_RCVBUF, 4096);
    port = port_of(l);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (!late) setint("sndbuf", s, SOL_SOCKET, SO_SNDBUF, 4096);
    a = loopback(port);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    if (late) setint("sndbuf", s, SOL_SOCKET, SO_SNDBUF, 4096);
    getint("sndbuf", s, SOL_SOCKET, SO_SNDBUF);
    int c = accept(l, NULL, NULL);
    getint("accepted-rcvbuf", c, SOL_SOCKET, SO_RCVBUF);
    fcntl(s, F_SETFL, O_NONBLOCK);
    static char chunk[1024];
    long total = 0;
    int err = 0;
    while (total < (8L << 20)) {
        ssize_t n = send(s, chunk, sizeof chunk, 0);
        if (n < 0) {
            err = errno;
            break;
        }
        total += n;
    }
    printf("stopped-with: %s\n", err ? strerrorname_np(err) : "nothing");
    val("sent-at-least-4k", total >= 4096);
    val("sent-under-256k", total < (256 << 10));
    /* Reading makes room again. */
    static char sink[1 << 16];
    long got = 0;
    while (got < 4096) {
        ssize_t n = recv(c, sink, sizeof sink, 0);
        if (n <= 0) break;
        got += n;
    }
    struct pollfd p = {s, POLLOUT, 0};
    val("writable-after-read", poll(&p, 1, 2000) == 1);
    close(c);
    close(s);
    close(l);
}

/* Raw ICMP: the sender's TTL/TOS (hop limit/traffic class) are in the echo
 * request's header and in the receiver's messages; the stack's echo reply
 * has the default hop limit. */
static void icmp_show(const char *name, int r, int v6) {
    for (int i = 0; i < 2; i++) {
        unsigned char p[256];
        union {
            char b[256];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {p, sizeof p};
        struct msghdr m = {0};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = ctl.b;
        m.msg_controllen = sizeof ctl.b;
        struct pollfd pf = {r, POLLIN, 0};
        if (poll(&pf, 1, 2000) != 1) {
            printf("%s: timeout\n", name);
            return;
        }
        ssize_t n = recvmsg(r, &m, 0);
        if (n < 0) {
            printf("%s: %s\n", name, strerrorname_np(errno));
            return;
        }
        int type = v6 ? p[0] : p[20];
        int request = type == (v6 ? 128 : 8);
        printf("%s: type %d", name, type);
        if (!v6 && request) printf(" header-ttl %d", p[8]);
        printf("\n");
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            int v = 0;
            memcpy(&v, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0) < sizeof v ? c->cmsg_len - CMSG_LEN(0) : sizeof v);
            printf("  cmsg level=%d type=%d value=%d\n", c->cmsg_level, c->cmsg_type, v);
        }
    }
}

static void icmp(void) {
    unsigned char echo[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'h', 'u', 's', 'k'};
    int r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (r < 0 || s < 0) die("raw socket");
    setint("recvttl", r, SOL_IP, IP_RECVTTL, 1);
    setint("ttl-5", s, SOL_IP, IP_TTL, 5);
    setint("tos-0x20", s, SOL_IP, IP_TOS, 0x20);
    getint("ttl", s, SOL_IP, IP_TTL);
    unsigned sum = 0;
    for (int i = 0; i < 16; i += 2) sum += echo[i] << 8 | echo[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    sum = ~sum & 0xffff;
    echo[2] = sum >> 8;
    echo[3] = sum & 0xff;
    struct sockaddr_in to = loopback(0);
    res("send", sendto(s, echo, sizeof echo, 0, (struct sockaddr *)&to, sizeof to));
    icmp_show("raw4", r, 0);
    close(r);
    close(s);

    int r6 = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6), s6 = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
    if (r6 < 0 || s6 < 0) die("raw6 socket");
    setint("recvhoplimit", r6, SOL_IPV6, IPV6_RECVHOPLIMIT, 1);
    setint("hops-7", s6, SOL_IPV6, IPV6_UNICAST_HOPS, 7);
    setint("tclass-0x40", s6, SOL_IPV6, IPV6_TCLASS, 0x40);
    setint("checksum-2", s6, SOL_RAW, IPV6_CHECKSUM, 2);
    setint("checksum-odd", s6, SOL_RAW, IPV6_CHECKSUM, 3);
    echo[0] = 128;
    echo[2] = echo[3] = 0;
    struct sockaddr_in6 to6 = {0};
    to6.sin6_family = AF_INET6;
    to6.sin6_addr = in6addr_loopback;
    res("send6", sendto(s6, echo, sizeof echo, 0, (struct sockaddr *)&to6, sizeof to6));
    icmp_show("raw6", r6, 1);
    close(r6);
    close(s6);
}

/* What the sandbox refuses that Linux would do (checked under husk only). */
static void unsupported(void) {
    int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
    int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
    setint("udp-cork", u, SOL_UDP, UDP_CORK, 1);
    setint("tcp-cork", t, SOL_TCP, TCP_CORK, 1);
    setint("tcp-maxseg", t, SOL_TCP, TCP_MAXSEG, 1000);
    struct ip_mreq mr = {{htonl(0xe0000001)}, {htonl(INADDR_ANY)}};
    res("add-membership", setsockopt(u, SOL_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr));
    int r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), r6 = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
    setint("raw-recvtos", r, SOL_IP, IP_RECVTOS, 1);
    setint("raw6-recvtclass", r6, SOL_IPV6, IPV6_RECVTCLASS, 1);
    close(r);
    close(r6);
    struct ipv6_mreq m6 = {0};
    m6.ipv6mr_multiaddr.s6_addr[0] = 0xff;
    m6.ipv6mr_multiaddr.s6_addr[1] = 0x02;
    m6.ipv6mr_multiaddr.s6_addr[15] = 1;
    res("ipv6-add-membership", setsockopt(u6, SOL_IPV6, IPV6_ADD_MEMBERSHIP, &m6, sizeof m6));
    close(u);
    close(t);
    close(u6);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *g = argc > 1 ? argv[1] : "";
    if (!strcmp(g, "udp4")) udp4();
    else if (!strcmp(g, "udp6")) udp6();
    else if (!strcmp(g, "tcp")) tcp();
    else if (!strcmp(g, "bufs")) bufs(0);
    else if (!strcmp(g, "bufs-late")) bufs(1);
    else if (!strcmp(g, "icmp")) icmp();
    else if (!strcmp(g, "unsupported")) unsupported();
    else {
        fprintf(stderr, "usage: inet_opts udp4|udp6|tcp|bufs|bufs-late|icmp|unsupported\n");
        return 2;
    }
    return 0;
}
