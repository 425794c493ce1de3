/* Receive timestamps and per-datagram send options over loopback:
 * SO_TIMESTAMP(NS)(_NEW) messages on TCP, raw ICMP, ping, unix datagram and
 * seqpacket sockets (none on unix streams), SIOCGSTAMP(NS); the IP_TTL,
 * IP_TOS, IP_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS, IPV6_PKTINFO messages of
 * a UDP sendmsg as the receiver's IP_RECVTTL/IP_RECVTOS/IP_PKTINFO see
 * them, and Linux's errors for bad ones. One line per check (times are
 * checked against windows, not printed), compared with a native run.
 * Usage: sock_stamps GROUP */
#include "net_test.h"
#include <linux/errqueue.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>

#ifndef SO_TIMESTAMP_NEW
#define SO_TIMESTAMP_NEW 63
#define SO_TIMESTAMPNS_NEW 64
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void setint(const char *name, int s, int level, int opt, int v) {
    res(name, setsockopt(s, level, opt, &v, sizeof v));
}

static void getint(const char *name, int s, int level, int opt) {
    int v = -1;
    socklen_t l = sizeof v;
    if (getsockopt(s, level, opt, &v, &l) < 0)
        printf("%s: %s\n", name, strerrorname_np(errno));
    else
        printf("%s: %d\n", name, v);
}

/* Linux turns receive timestamps on for the whole stack a moment after
 * the first socket asks; until then packets are stamped when read. */
static void warm_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    setint("warm-up", s, SOL_SOCKET, SO_TIMESTAMP, 1);
    usleep(150000);
    close(s);
}

/* A time [sec, frac] as a double. */
static double stamp_of(const unsigned char *d, int nsec) {
    long long s, f;
    memcpy(&s, d, 8);
    memcpy(&f, d + 8, 8);
    return s + (nsec ? f / 1e9 : f / 1e6);
}

/* Prints the messages of `m`; a time is checked to lie in [lo, hi]. */
static void print_cmsgs(struct msghdr *m, double lo, double hi) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        printf("  cmsg level=%d type=%d len=%zu", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len);
        unsigned char *d = CMSG_DATA(c);
        size_t dlen = c->cmsg_len - CMSG_LEN(0);
        int ts = c->cmsg_level == SOL_SOCKET &&
                 (c->cmsg_type == SO_TIMESTAMP || c->cmsg_type == SO_TIMESTAMPNS ||
                  c->cmsg_type == SO_TIMESTAMP_NEW || c->cmsg_type == SO_TIMESTAMPNS_NEW);
        if (ts && dlen >= 16) {
            int ns = c->cmsg_type == SO_TIMESTAMPNS || c->cmsg_type == SO_TIMESTAMPNS_NEW;
            long long f;
            memcpy(&f, d + 8, 8);
            double t = stamp_of(d, ns);
            printf(" frac-ok=%d in-window=%d", f >= 0 && f < (ns ? 1000000000 : 1000000),
                   t >= lo - 1e-6 && t <= hi);
        } else if (ts) {
            printf(" cut");
        } else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, d, sizeof pi);
            printf(" ifindex=%d spec_dst=%s", pi.ipi_ifindex, inet_ntoa(pi.ipi_spec_dst));
            printf(" addr=%s", inet_ntoa(pi.ipi_addr));
        } else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_TOS) {
            printf(" tos=0x%x", d[0]);
        } else if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            char b[64];
            memcpy(&pi, d, sizeof pi);
            printf(" ifindex=%d addr=%s", pi.ipi6_ifindex, inet_ntop(AF_INET6, &pi.ipi6_addr, b, sizeof b));
        } else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                   (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
            struct sock_extended_err e;
            struct sockaddr_in6 off;
            char b[64] = "?";
            memcpy(&e, d, sizeof e);
            memset(&off, 0, sizeof off);
            memcpy(&off, d + sizeof e, dlen - sizeof e < sizeof off ? dlen - sizeof e : sizeof off);
            if (off.sin6_family == AF_INET)
                inet_ntop(AF_INET, &((struct sockaddr_in *)&off)->sin_addr, b, sizeof b);
            else if (off.sin6_family == AF_INET6)
                inet_ntop(AF_INET6, &off.sin6_addr, b, sizeof b);
            printf(" errno=%s origin=%d type=%d code=%d pad=%d info=%u data=%u offender=%d/%s/%d",
                   strerrorname_np(e.ee_errno), e.ee_origin, e.ee_type, e.ee_code, e.ee_pad, e.ee_info, e.ee_data,
                   off.sin6_family, b, ntohs(off.sin6_port));
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred u;
            memcpy(&u, d, sizeof u);
            printf(" pid-ok=%d", u.pid == getpid());
        } else if (dlen >= 4) {
            int v;
            memcpy(&v, d, 4);
            printf(" value=%d", v);
        }
        printf("\n");
    }
}

/* recvmsg with `room` bytes of control buffer; prints the data, the
 * source address and the messages. Data sent at `sent` waited 100 ms. */
static void show(const char *name, int fd, size_t room, int flags, double sent) {
    char data[64] = {0};
    union {
        char b[512];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct sockaddr_storage from;
    struct iovec iov = {data, sizeof data - 1};
    struct msghdr m = {0};
    m.msg_name = &from;
    m.msg_namelen = sizeof from;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = room ? ctl.b : NULL;
    m.msg_controllen = room;
    ssize_t n = recvmsg(fd, &m, flags);
    double got = now();
    if (n < 0) {
        printf("%s: %s\n", name, strerrorname_np(errno));
        return;
    }
    char a[64] = "-";
    if (m.msg_namelen && from.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&from)->sin_addr, a, sizeof a);
    else if (m.msg_namelen && from.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&from)->sin6_addr, a, sizeof a);
    printf("%s: %zd bytes \"%s\" from %s controllen=%zu ctrunc=%d", name, n, n > 0 && data[0] >= ' ' ? data : "",
           a, (size_t)m.msg_controllen, !!(m.msg_flags & MSG_CTRUNC));
    if (m.msg_flags & (MSG_ERRQUEUE | MSG_TRUNC))
        printf(" errqueue=%d trunc=%d", !!(m.msg_flags & MSG_ERRQUEUE), !!(m.msg_flags & MSG_TRUNC));
    printf("\n");
    print_cmsgs(&m, sent, got - 0.09);
}

/* SIOCGSTAMP and SIOCGSTAMPNS: the error, or whether the time lies in
 * [lo, hi]; returns it. */
static double gstamp(const char *name, int fd, double lo, double hi) {
    struct timeval tv;
    struct timespec ts;
    if (ioctl(fd, SIOCGSTAMP, &tv) < 0) {
        printf("%s: %s\n", name, strerrorname_np(errno));
        return 0;
    }
    double t = tv.tv_sec + tv.tv_usec / 1e6;
    int ok = ioctl(fd, SIOCGSTAMPNS, &ts) == 0 && ts.tv_sec == tv.tv_sec && ts.tv_nsec / 1000 == tv.tv_usec;
    printf("%s: in-window=%d ns-agrees=%d\n", name, t >= lo - 1e-6 && t <= hi, ok);
    return t;
}

static void tcp(void) {
    warm_up();
    int port;
    int l = tcp_listener(&port, 4);
    setint("listener-timestampns", l, SOL_SOCKET, SO_TIMESTAMPNS, 1);
    int c = tcp_connect(port);
    int a = accept(l, NULL, NULL);
    getint("accepted-timestampns", a, SOL_SOCKET, SO_TIMESTAMPNS);
    gstamp("siocgstamp-before", a, 0, 0);
    setint("timestamp", a, SOL_SOCKET, SO_TIMESTAMP, 1);
    double t = now();
    if (write_all(c, "ab", 2) < 0) die("write");
    usleep(100000);
    show("peek", a, 512, MSG_PEEK, t);
    show("recv", a, 512, 0, t);
    gstamp("siocgstamp", a, 0, 0);
    /* Two segments; a read that ends in the second has its time. */
    t = now();
    if (write_all(c, "cd", 2) < 0) die("write");
    usleep(100000);
    double t2 = now();
    if (write_all(c, "ef", 2) < 0) die("write");
    usleep(100000);
    char b;
    val("read-one", read(a, &b, 1));
    show("rest", a, 512, 0, t2);
    /* Room for the header and 8 bytes only: cut, MSG_CTRUNC. */
    t = now();
    if (write_all(c, "gh", 2) < 0) die("write");
    usleep(100000);
    show("short-control", a, CMSG_LEN(8), 0, t);
    t = now();
    if (write_all(c, "ij", 2) < 0) die("write");
    usleep(100000);
    show("no-control", a, 0, 0, t);
    setint("timestamp-new", a, SOL_SOCKET, SO_TIMESTAMP_NEW, 1);
    t = now();
    if (write_all(c, "kl", 2) < 0) die("write");
    usleep(100000);
    show("new", a, 512, 0, t);
    setint("timestamp-off", a, SOL_SOCKET, SO_TIMESTAMP, 0);
    t = now();
    if (write_all(c, "mn", 2) < 0) die("write");
    usleep(100000);
    show("off", a, 512, 0, t);
    setint("timestamp", a, SOL_SOCKET, SO_TIMESTAMP, 1);
    close(c);
    usleep(50000);
    show("eof", a, 512, 0, t);
    close(a);
    close(l);
}

static void udp(void) {
    int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loopback(0);
    if (bind(r, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    socklen_t al = sizeof a;
    getsockname(r, (struct sockaddr *)&a, &al);
    gstamp("siocgstamp-before", r, 0, 0);
    warm_up();
    /* Without SO_TIMESTAMP, recvmsg keeps the arrival for SIOCGSTAMP. */
    double t = now();
    if (sendto(s, "one", 3, 0, (struct sockaddr *)&a, al) < 0) die("sendto");
    usleep(100000);
    show("plain", r, 512, 0, t);
    double first = gstamp("siocgstamp", r, t, now() - 0.09);
    /* With it, the message carries the time and SIOCGSTAMP keeps the old. */
    getint("timestamp-new-default", r, SOL_SOCKET, SO_TIMESTAMP_NEW);
    setint("timestamp-new", r, SOL_SOCKET, SO_TIMESTAMP_NEW, 1);
    getint("timestamp", r, SOL_SOCKET, SO_TIMESTAMP);
    getint("timestamp-new", r, SOL_SOCKET, SO_TIMESTAMP_NEW);
    t = now();
    if (sendto(s, "two", 3, 0, (struct sockaddr *)&a, al) < 0) die("sendto");
    usleep(100000);
    show("new", r, 512, 0, t);
    struct timeval tv;
    ioctl(r, SIOCGSTAMP, &tv);
    val("siocgstamp-kept", tv.tv_sec + tv.tv_usec / 1e6 == first);
    setint("timestampns-new", r, SOL_SOCKET, SO_TIMESTAMPNS_NEW, 1);
    getint("timestamp-new", r, SOL_SOCKET, SO_TIMESTAMP_NEW);
    getint("timestampns-new", r, SOL_SOCKET, SO_TIMESTAMPNS_NEW);
    getint("timestampns", r, SOL_SOCKET, SO_TIMESTAMPNS);
    t = now();
    if (sendto(s, "three", 5, 0, (struct sockaddr *)&a, al) < 0) die("sendto");
    usleep(100000);
    show("ns-new", r, 512, 0, t);
    setint("timestamp-off", r, SOL_SOCKET, SO_TIMESTAMPNS_NEW, 0);
    getint("timestampns-new", r, SOL_SOCKET, SO_TIMESTAMPNS_NEW);
    res("siocgstamp-bad-pointer", ioctl(r, SIOCGSTAMP, (void *)8));
    close(r);
    close(s);
}

static unsigned short csum(const unsigned char *p, int n) {
    unsigned sum = 0;
    for (int i = 0; i < n; i += 2) sum += p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return ~sum & 0xffff;
}

/* Raw ICMP: the echo request and the stack's reply both carry times. */
static void icmp(void) {
    warm_up();
    unsigned char echo[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 's', 't', 'a', 'm', 'p'};
    unsigned short c = csum(echo, sizeof echo);
    echo[2] = c >> 8;
    echo[3] = c & 0xff;
    int r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (r < 0) die("raw socket");
    gstamp("siocgstamp-before", r, 0, 0);
    setint("timestampns", r, SOL_SOCKET, SO_TIMESTAMPNS, 1);
    struct sockaddr_in to = loopback(0);
    double t = now();
    res("send", sendto(r, echo, sizeof echo, 0, (struct sockaddr *)&to, sizeof to));
    usleep(100000);
    show("request", r, 512, 0, t);
    show("reply", r, 512, 0, t);
    gstamp("siocgstamp-with-timestamps", r, 0, 0);
    setint("timestamp-off", r, SOL_SOCKET, SO_TIMESTAMPNS, 0);
    echo[7] = 2;
    echo[2] = echo[3] = 0;
    c = csum(echo, sizeof echo);
    echo[2] = c >> 8;
    echo[3] = c & 0xff;
    t = now();
    res("send", sendto(r, echo, sizeof echo, 0, (struct sockaddr *)&to, sizeof to));
    usleep(100000);
    show("request-plain", r, 512, 0, t);
    gstamp("siocgstamp", r, t, now() - 0.09);
    close(r);

    int r6 = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
    if (r6 < 0) die("raw6 socket");
    setint("timestamp6", r6, SOL_SOCKET, SO_TIMESTAMP, 1);
    unsigned char echo6[12] = {128, 0, 0, 0, 0x12, 0x35, 0, 1, 's', 'i', 'x', '!'};
    struct sockaddr_in6 to6 = {0};
    to6.sin6_family = AF_INET6;
    to6.sin6_addr = in6addr_loopback;
    t = now();
    res("send6", sendto(r6, echo6, sizeof echo6, 0, (struct sockaddr *)&to6, sizeof to6));
    usleep(100000);
    show("request6", r6, 512, 0, t);
    show("reply6", r6, 512, 0, t);
    close(r6);
}

/* A ping socket's echo reply (natively these need net.ipv4.ping_group_range). */
static void ping(void) {
    int p = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    if (p < 0) die("ping socket");
    warm_up();
    setint("timestamp", p, SOL_SOCKET, SO_TIMESTAMP, 1);
    unsigned char echo[12] = {8, 0, 0, 0, 0, 0, 0, 1, 'p', 'i', 'n', 'g'};
    struct sockaddr_in to = loopback(0);
    double t = now();
    res("send", sendto(p, echo, sizeof echo, 0, (struct sockaddr *)&to, sizeof to));
    usleep(100000);
    show("reply", p, 512, 0, t);
    gstamp("siocgstamp-with-timestamps", p, 0, 0);
    setint("timestamp-off", p, SOL_SOCKET, SO_TIMESTAMP, 0);
    t = now();
    res("send", sendto(p, echo, sizeof echo, 0, (struct sockaddr *)&to, sizeof to));
    usleep(100000);
    show("reply-plain", p, 512, 0, t);
    gstamp("siocgstamp", p, t, now() - 0.09);
    close(p);
}

static void unix_(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0) die("socketpair");
    gstamp("siocgstamp", sv[0], 0, 0);
    setint("timestamp", sv[0], SOL_SOCKET, SO_TIMESTAMP, 1);
    setint("passcred", sv[0], SOL_SOCKET, SO_PASSCRED, 1);
    double t = now();
    if (send(sv[1], "dg", 2, 0) < 0) die("send");
    usleep(100000);
    /* The time is the sending's, not the reading's: a later read has it too. */
    show("peek", sv[0], 512, MSG_PEEK, t);
    usleep(50000);
    show("recv", sv[0], 512, 0, t);
    /* Room for the time only: the credentials are cut off. */
    t = now();
    if (send(sv[1], "cut", 3, 0) < 0) die("send");
    usleep(100000);
    show("short-control", sv[0], CMSG_SPACE(16), 0, t);
    setint("passcred-off", sv[0], SOL_SOCKET, SO_PASSCRED, 0);
    setint("timestamp-new", sv[0], SOL_SOCKET, SO_TIMESTAMP_NEW, 1);
    t = now();
    if (send(sv[1], "new", 3, 0) < 0) die("send");
    usleep(100000);
    show("new", sv[0], 512, 0, t);
    close(sv[0]);
    close(sv[1]);

    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) die("socketpair");
    setint("seq-timestampns", sv[0], SOL_SOCKET, SO_TIMESTAMPNS, 1);
    t = now();
    if (send(sv[1], "seq", 3, 0) < 0) die("send");
    usleep(100000);
    show("seqpacket", sv[0], 512, 0, t);
    close(sv[0]);
    close(sv[1]);

    /* Streams carry no times. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) die("socketpair");
    setint("stream-timestamp", sv[0], SOL_SOCKET, SO_TIMESTAMP, 1);
    t = now();
    if (send(sv[1], "st", 2, 0) < 0) die("send");
    usleep(100000);
    show("stream", sv[0], 512, 0, t);
    close(sv[0]);
    close(sv[1]);
}

/* sendmsg with `n` control messages of (level, type, data, len). */
struct cm {
    int level, type;
    const void *data;
    size_t len;
};

static void send_with(const char *name, int s, const struct sockaddr *to, socklen_t tl, const struct cm *cms,
                      int n) {
    union {
        char b[512];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)name, strlen(name)};
    struct msghdr m = {0};
    m.msg_name = (void *)to;
    m.msg_namelen = tl;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = n ? ctl.b : NULL;
    size_t len = 0;
    for (int i = 0; i < n; i++) len += CMSG_SPACE(cms[i].len);
    m.msg_controllen = len;
    struct cmsghdr *c = n ? CMSG_FIRSTHDR(&m) : NULL;
    for (int i = 0; i < n; i++, c = CMSG_NXTHDR(&m, c)) {
        c->cmsg_level = cms[i].level;
        c->cmsg_type = cms[i].type;
        c->cmsg_len = CMSG_LEN(cms[i].len);
        memcpy(CMSG_DATA(c), cms[i].data, cms[i].len);
    }
    res(name, sendmsg(s, &m, 0));
}

/* Receives what is waiting (nothing: "name: EAGAIN"). */
static void drain(const char *name, int r) {
    show(name, r, 512, MSG_DONTWAIT, 0);
}

static void sendctl4(void) {
    int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loopback(0);
    if (bind(r, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    socklen_t al = sizeof a;
    getsockname(r, (struct sockaddr *)&a, &al);
    setint("pktinfo", r, SOL_IP, IP_PKTINFO, 1);
    setint("recvttl", r, SOL_IP, IP_RECVTTL, 1);
    setint("recvtos", r, SOL_IP, IP_RECVTOS, 1);
    const struct sockaddr *to = (struct sockaddr *)&a;
    int ttl3 = 3, tos40 = 0x40, zero = 0, big = 256, one = 1;
    unsigned char tos_byte = 0x88;
    struct cm c1[] = {{SOL_IP, IP_TTL, &ttl3, 4}, {SOL_IP, IP_TOS, &tos40, 4}};
    send_with("ttl3-tos40", s, to, al, c1, 2);
    drain("ttl3-tos40", r);
    struct cm c2[] = {{SOL_IP, IP_TOS, &tos_byte, 1}};
    send_with("tos-byte", s, to, al, c2, 1);
    drain("tos-byte", r);
    send_with("defaults", s, to, al, NULL, 0);
    drain("defaults", r);
    struct in_pktinfo pi = {0};
    pi.ipi_spec_dst.s_addr = inet_addr("127.0.0.2");
    struct cm c3[] = {{SOL_IP, IP_PKTINFO, &pi, sizeof pi}};
    send_with("pktinfo-src", s, to, al, c3, 1);
    drain("pktinfo-src", r);
    pi.ipi_ifindex = 1;
    pi.ipi_spec_dst.s_addr = 0;
    send_with("pktinfo-lo", s, to, al, c3, 1);
    drain("pktinfo-lo", r);
    /* A level IPv4 does not read is skipped. */
    struct cm c4[] = {{SOL_IPV6, IPV6_HOPLIMIT, &one, 4}, {SOL_TCP, 1, &one, 4}};
    send_with("other-levels", s, to, al, c4, 2);
    drain("other-levels", r);
    /* Errors: nothing is sent. */
    struct cm e1[] = {{SOL_IP, IP_TTL, &zero, 4}};
    send_with("ttl-0", s, to, al, e1, 1);
    struct cm e2[] = {{SOL_IP, IP_TTL, &big, 4}};
    send_with("ttl-256", s, to, al, e2, 1);
    struct cm e3[] = {{SOL_IP, IP_TTL, &ttl3, 1}};
    send_with("ttl-short", s, to, al, e3, 1);
    struct cm e4[] = {{SOL_IP, IP_TOS, &tos40, 2}};
    send_with("tos-len-2", s, to, al, e4, 1);
    struct cm e5[] = {{SOL_IP, IP_TOS, &big, 4}};
    send_with("tos-256", s, to, al, e5, 1);
    struct cm e6[] = {{SOL_IP, IP_PKTINFO, &pi, 8}};
    send_with("pktinfo-short", s, to, al, e6, 1);
    pi.ipi_ifindex = 0;
    pi.ipi_spec_dst.s_addr = inet_addr("192.0.2.7");
    send_with("pktinfo-not-local", s, to, al, c3, 1);
    pi.ipi_ifindex = 9999;
    pi.ipi_spec_dst.s_addr = 0;
    send_with("pktinfo-no-such-if", s, to, al, c3, 1);
    struct cm e7[] = {{SOL_IP, IP_RECVTTL, &one, 4}};
    send_with("recvttl-as-cmsg", s, to, al, e7, 1);
    int fd = 0;
    struct cm e8[] = {{SOL_SOCKET, SCM_RIGHTS, &fd, 4}};
    send_with("scm-rights", s, to, al, e8, 1);
    struct cm e9[] = {{SOL_IP, IP_TTL, &ttl3, 4}, {SOL_IP, IP_TTL, &zero, 4}};
    send_with("good-then-bad", s, to, al, e9, 2);
    drain("after-errors", r);
    /* A TCP send reads no IP messages. */
    int port;
    int l = tcp_listener(&port, 1);
    int c = tcp_connect(port);
    send_with("tcp-ttl-0", c, NULL, 0, e1, 1);
    send_with("tcp-scm-rights", c, NULL, 0, e8, 1);
    close(c);
    close(l);
    close(r);
    close(s);
}

static void sendctl6(void) {
    int r = socket(AF_INET6, SOCK_DGRAM, 0), s = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 a = {0};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    if (bind(r, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    socklen_t al = sizeof a;
    getsockname(r, (struct sockaddr *)&a, &al);
    setint("recvpktinfo", r, SOL_IPV6, IPV6_RECVPKTINFO, 1);
    setint("recvhoplimit", r, SOL_IPV6, IPV6_RECVHOPLIMIT, 1);
    setint("recvtclass", r, SOL_IPV6, IPV6_RECVTCLASS, 1);
    setint("sock-hops", s, SOL_IPV6, IPV6_UNICAST_HOPS, 9);
    setint("sock-tclass", s, SOL_IPV6, IPV6_TCLASS, 0x10);
    const struct sockaddr *to = (struct sockaddr *)&a;
    int five = 5, tc20 = 0x20, minus = -1, zero = 0, big = 256, one = 1;
    struct cm c1[] = {{SOL_IPV6, IPV6_HOPLIMIT, &five, 4}, {SOL_IPV6, IPV6_TCLASS, &tc20, 4}};
    send_with("hops5-tclass20", s, to, al, c1, 2);
    drain("hops5-tclass20", r);
    struct cm c2[] = {{SOL_IPV6, IPV6_HOPLIMIT, &zero, 4}};
    send_with("hops0", s, to, al, c2, 1);
    drain("hops0", r);
    struct cm c3[] = {{SOL_IPV6, IPV6_HOPLIMIT, &minus, 4}, {SOL_IPV6, IPV6_TCLASS, &minus, 4}};
    send_with("minus-one", s, to, al, c3, 2);
    drain("minus-one", r);
    struct in6_pktinfo pi = {0};
    pi.ipi6_addr = in6addr_loopback;
    struct cm c4[] = {{SOL_IPV6, IPV6_PKTINFO, &pi, sizeof pi}};
    send_with("pktinfo-lo", s, to, al, c4, 1);
    drain("pktinfo-lo", r);
    struct cm c5[] = {{SOL_IP, IP_TTL, &zero, 4}};
    send_with("ip-level-skipped", s, to, al, c5, 1);
    drain("ip-level-skipped", r);
    /* Errors. */
    struct cm e1[] = {{SOL_IPV6, IPV6_HOPLIMIT, &big, 4}};
    send_with("hops-256", s, to, al, e1, 1);
    struct cm e2[] = {{SOL_IPV6, IPV6_HOPLIMIT, &five, 1}};
    send_with("hops-short", s, to, al, e2, 1);
    struct cm e3[] = {{SOL_IPV6, IPV6_TCLASS, &big, 4}};
    send_with("tclass-256", s, to, al, e3, 1);
    int m2 = -2;
    struct cm e4[] = {{SOL_IPV6, IPV6_TCLASS, &m2, 4}};
    send_with("tclass-minus-2", s, to, al, e4, 1);
    struct cm e5[] = {{SOL_IPV6, IPV6_PKTINFO, &pi, 16}};
    send_with("pktinfo-short", s, to, al, e5, 1);
    inet_pton(AF_INET6, "2001:db8::7", &pi.ipi6_addr);
    send_with("pktinfo-not-local", s, to, al, c4, 1);
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &pi.ipi6_addr);
    send_with("pktinfo-mapped", s, to, al, c4, 1);
    pi.ipi6_addr = in6addr_loopback;
    pi.ipi6_ifindex = 9999;
    send_with("pktinfo-no-such-if", s, to, al, c4, 1);
    struct cm e6[] = {{SOL_IPV6, IPV6_RECVPKTINFO, &one, 4}};
    send_with("recvpktinfo-as-cmsg", s, to, al, e6, 1);
    drain("after-errors", r);
    close(r);

    /* An IPv6 socket sending to a v4-mapped address: the IPv4 messages,
     * and IPV6_PKTINFO with a v4-mapped source. */
    int r4 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a4 = loopback(0);
    if (bind(r4, (struct sockaddr *)&a4, sizeof a4) < 0) die("bind4");
    socklen_t a4l = sizeof a4;
    getsockname(r4, (struct sockaddr *)&a4, &a4l);
    setint("recvttl4", r4, SOL_IP, IP_RECVTTL, 1);
    setint("pktinfo4", r4, SOL_IP, IP_PKTINFO, 1);
    struct sockaddr_in6 m = {0};
    m.sin6_family = AF_INET6;
    m.sin6_port = a4.sin_port;
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &m.sin6_addr);
    to = (struct sockaddr *)&m;
    int ttl7 = 7;
    struct cm c6[] = {{SOL_IP, IP_TTL, &ttl7, 4}, {SOL_IPV6, IPV6_HOPLIMIT, &five, 4}};
    send_with("mapped-ttl7", s, to, sizeof m, c6, 2);
    drain("mapped-ttl7", r4);
    inet_pton(AF_INET6, "::ffff:127.0.0.3", &pi.ipi6_addr);
    pi.ipi6_ifindex = 0;
    send_with("mapped-pktinfo", s, to, sizeof m, c4, 1);
    drain("mapped-pktinfo", r4);
    pi.ipi6_addr = in6addr_loopback;
    send_with("mapped-pktinfo-v6-src", s, to, sizeof m, c4, 1);
    struct cm e7[] = {{SOL_IP, IP_TTL, &zero, 4}};
    send_with("mapped-ttl-0", s, to, sizeof m, e7, 1);
    drain("mapped-after-errors", r4);
    close(r4);
    close(s);
}

/* A port nobody listens on. */
static int dead_port(int domain) {
    int d = socket(domain, SOCK_DGRAM, 0);
    struct sockaddr_in6 a = {0};
    a.sin6_family = domain;
    if (domain == AF_INET) {
        struct sockaddr_in a4 = loopback(0);
        memcpy(&a, &a4, sizeof a4);
    } else {
        a.sin6_addr = in6addr_loopback;
    }
    if (bind(d, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    socklen_t l = sizeof a;
    getsockname(d, (struct sockaddr *)&a, &l);
    close(d);
    return ntohs(a.sin6_port);
}

static void pollerr(const char *name, int s) {
    struct pollfd p = {s, POLLIN, 0};
    int n = poll(&p, 1, 0);
    printf("%s: %d pollerr=%d pollin=%d\n", name, n, !!(p.revents & POLLERR), !!(p.revents & POLLIN));
}

/* IP_RECVERR / IPV6_RECVERR: a "port unreachable" for an unconnected
 * socket's datagram is queued (MSG_ERRQUEUE gives the datagram, its
 * destination and a sock_extended_err) and pending (the next call fails). */
static void recverr(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    getint("recverr-default", s, SOL_IP, IP_RECVERR);
    struct sockaddr_in to = loopback(dead_port(AF_INET));
    res("without", sendto(s, "lost", 4, 0, (struct sockaddr *)&to, sizeof to));
    usleep(50000);
    pollerr("without-poll", s);
    show("without-errqueue", s, 512, MSG_ERRQUEUE | MSG_DONTWAIT, 0);
    setint("recverr", s, SOL_IP, IP_RECVERR, 1);
    getint("recverr", s, SOL_IP, IP_RECVERR);
    show("empty-errqueue", s, 512, MSG_ERRQUEUE | MSG_DONTWAIT, 0);
    res("send", sendto(s, "hello", 5, 0, (struct sockaddr *)&to, sizeof to));
    usleep(50000);
    pollerr("poll", s);
    getint("so-error", s, SOL_SOCKET, SO_ERROR);
    pollerr("poll-after-so-error", s);
    res("send2", sendto(s, "again", 5, 0, (struct sockaddr *)&to, sizeof to));
    usleep(50000);
    show("errqueue", s, 512, MSG_ERRQUEUE | MSG_DONTWAIT, 0);
    show("pending", s, 512, MSG_DONTWAIT, 0);
    show("errqueue2", s, 512, MSG_ERRQUEUE | MSG_DONTWAIT, 0);
    show("errqueue3", s, 512, MSG_ERRQUEUE | MSG_DONTWAIT, 0);
    pollerr("poll-drained", s);
    res("send3", sendto(s, "three", 5, 0, (struct sockaddr *)&to, sizeof to));
    usleep(50000);
    res("send-pending", sendto(s, "four", 4, 0, (struct sockaddr *)&to, sizeof to));
    usleep(50000);
    /* Two bytes of data and no room for the message: both cut. */
    char small[2];
    struct iovec iov = {small, 2};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    ssize_t n = recvmsg(s, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
    printf("short: %zd errqueue=%d trunc=%d ctrunc=%d\n", n, !!(m.msg_flags & MSG_ERRQUEUE),
           !!(m.msg_flags & MSG_TRUNC), !!(m.msg_flags & MSG_CTRUNC));
    show("errqueue-rest", s, 512, MSG_ERRQUEUE | MSG_DONTWAIT, 0);
    res("send5", sendto(s, "five", 4, 0, (struct sockaddr *)&to, sizeof to));
    usleep(50000);
    res("off", setsockopt(s, SOL_IP, IP_RECVERR, "", 0));
    getint("recverr-off", s, SOL_IP, IP_RECVERR);
    show("errqueue-after-off", s, 512, MSG_ERRQUEUE | MSG_DONTWAIT, 0);
    close(s);

    int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
    getint("recverr6-default", s6, SOL_IPV6, IPV6_RECVERR);
    setint("recverr6", s6, SOL_IPV6, IPV6_RECVERR, 1);
    res("recverr6-short", setsockopt(s6, SOL_IPV6, IPV6_RECVERR, "\1", 1));
    struct sockaddr_in6 to6 = {0};
    to6.sin6_family = AF_INET6;
    to6.sin6_addr = in6addr_loopback;
    to6.sin6_port = htons(dead_port(AF_INET6));
    res("send6", sendto(s6, "six", 3, 0, (struct sockaddr *)&to6, sizeof to6));
    usleep(50000);
    show("errqueue6", s6, 512, MSG_ERRQUEUE | MSG_DONTWAIT, 0);
    show("pending6", s6, 512, MSG_DONTWAIT, 0);
    /* To a v4-mapped address: IP_RECVERR decides, the message is IPv6's. */
    struct sockaddr_in6 mapped = {0};
    mapped.sin6_family = AF_INET6;
    mapped.sin6_port = htons(dead_port(AF_INET));
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr);
    res("send-mapped-without-ip-recverr", sendto(s6, "m1", 2, 0, (struct sockaddr *)&mapped, sizeof mapped));
    usleep(50000);
    show("errqueue-mapped-without", s6, 512, MSG_ERRQUEUE | MSG_DONTWAIT, 0);
    setint("ip-recverr-on-6", s6, SOL_IP, IP_RECVERR, 1);
    res("send-mapped", sendto(s6, "m2", 2, 0, (struct sockaddr *)&mapped, sizeof mapped));
    usleep(50000);
    show("errqueue-mapped", s6, 512, MSG_ERRQUEUE | MSG_DONTWAIT, 0);
    close(s6);
}

int main(int argc, char **argv) {
    struct group groups[] = {
        {"tcp", tcp}, {"udp", udp}, {"icmp", icmp}, {"ping", ping},
        {"unix", unix_}, {"sendctl4", sendctl4}, {"sendctl6", sendctl6}, {"recverr", recverr},
    };
    return RUN(argc, argv, groups);
}
