/*
 * Network namespaces: unshare, clone and setns with CLONE_NEWNET, and what
 * a network namespace keeps apart: its loopback interface (down and
 * without addresses when new), its port space, its abstract unix names,
 * /proc/net and its net.core sysctls. Path-named unix sockets are shared.
 *
 * Run as root, natively and under husk. Every group works in a child that
 * first moves to a network namespace of its own, so nothing touches the
 * caller's (natively: the host's) network; every line is "name: ok" or
 * what differed.
 */
#define _GNU_SOURCE
#include "husk_test.h"
#include "net_test.h"

#include <arpa/inet.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>


/* The inode of the caller's network namespace. */
static ino_t net_ino(void) {
    struct stat st;
    if (stat("/proc/self/ns/net", &st) != 0)
        return 0;
    return st.st_ino;
}

/* lo's interface flags (-1 with errno on failure). */
static int lo_flags(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq r = {0};
    strcpy(r.ifr_name, "lo");
    int ret = ioctl(s, SIOCGIFFLAGS, &r);
    int e = errno;
    close(s);
    errno = e;
    return ret < 0 ? -1 : (r.ifr_flags & 0xffff);
}

/* Brings lo up as `ifconfig lo up` does. */
static int lo_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq r = {0};
    strcpy(r.ifr_name, "lo");
    int ret = ioctl(s, SIOCGIFFLAGS, &r);
    if (ret == 0) {
        r.ifr_flags |= IFF_UP | IFF_RUNNING;
        ret = ioctl(s, SIOCSIFFLAGS, &r);
    }
    int e = errno;
    close(s);
    errno = e;
    return ret;
}

/* A TCP listener on 127.0.0.1 (port 0: an ephemeral one); its port in *port. */
static int listener(int *port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(*port);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 8) < 0) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    socklen_t l = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return s;
}

/* connect() of socket `c` to 127.0.0.1:port: 0 or the errno. */
static int connect_err(int c, int port) {
    struct sockaddr_in a = loopback(port);
    return connect(c, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : errno;
}

/* Whether a listener has a connection waiting. */
static int pending(int l) {
    struct pollfd p = {.fd = l, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

/* Runs fn in a child that first unshares its network namespace (and
 * brings lo up if `up`); waits for it. */
static void in_new_netns(int up, void (*fn)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (unshare(CLONE_NEWNET) != 0) {
            printf("unshare: %s\n", errno_name(errno));
            _exit(1);
        }
        if (up && lo_up() != 0) {
            printf("lo-up: %s\n", errno_name(errno));
            _exit(1);
        }
        fn();
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        printf("child: %s\n", status_text(st));
}

/* The interface names in /proc/net/dev, space-separated. */
static const char *dev_names(void) {
    static char out[256];
    out[0] = 0;
    FILE *f = fopen("/proc/net/dev", "r");
    char line[512];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (++n <= 2)
            continue;
        char name[64];
        if (sscanf(line, " %63[^:]:", name) == 1) {
            if (out[0])
                strcat(out, " ");
            strncat(out, name, sizeof out - strlen(out) - 1);
        }
    }
    if (f)
        fclose(f);
    return out;
}

/* How many SIOCGIFCONF entries (interfaces with an IPv4 address). */
static int ifconf_count(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq reqs[8];
    struct ifconf c = {.ifc_len = sizeof reqs, .ifc_req = reqs};
    int r = ioctl(s, SIOCGIFCONF, &c);
    close(s);
    return r < 0 ? -1 : c.ifc_len / (int)sizeof(struct ifreq);
}

/* --- a new namespace: lo down, nothing reachable ----------------------- */

static void fresh_body(void) {
    int f = lo_flags();
    expect("lo-down", f >= 0 && !(f & IFF_UP) && (f & IFF_LOOPBACK), "flags %#x (%s)", f,
           errno_name(errno));
    expect("proc-net-dev-only-lo", strcmp(dev_names(), "lo") == 0, "[%s]", dev_names());
    expect("ifconf-empty", ifconf_count() == 0, "%d", ifconf_count());
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int e = connect_err(c, 9);
    expect("tcp-connect-enetunreach", e == ENETUNREACH, "%s", errno_name(e));
    close(c);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loopback(9);
    EXPECT_ERR("udp-sendto-enetunreach", sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a),
               ENETUNREACH);
    close(u);
    /* Before lo was ever up there is no IPv4 route table: Linux's address
     * type lookup then lets bind take any IPv4 address. */
    u = socket(AF_INET, SOCK_DGRAM, 0);
    a.sin_port = 0;
    EXPECT_OK("bind-loopback-before-any-route", bind(u, (struct sockaddr *)&a, sizeof a));
    close(u);
    u = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(0x0a010203);
    EXPECT_OK("bind-foreign-before-any-route", bind(u, (struct sockaddr *)&a, sizeof a));
    close(u);
    u = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    EXPECT_ERR("bind-v6-loopback-eaddrnotavail", bind(u, (struct sockaddr *)&a6, sizeof a6),
               EADDRNOTAVAIL);
    close(u);
    u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in any = {.sin_family = AF_INET};
    EXPECT_OK("bind-any", bind(u, (struct sockaddr *)&any, sizeof any));
    close(u);
    const char *if6 = slurp("/proc/net/if_inet6");
    expect("if-inet6-empty", if6 && !if6[0], "[%s]", if6 ? if6 : "(unreadable)");
}

static void fresh(void) {
    ino_t before = net_ino();
    char old[64] = "";
    ssize_t n = readlink("/proc/self/ns/net", old, sizeof old - 1);
    old[n < 0 ? 0 : n] = 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        EXPECT_OK("unshare", unshare(CLONE_NEWNET));
        expect("ns-inode-changes", net_ino() != before && net_ino() != 0, "%lu", (unsigned long)net_ino());
        char now[64] = "";
        n = readlink("/proc/self/ns/net", now, sizeof now - 1);
        now[n < 0 ? 0 : n] = 0;
        expect("ns-link-changes", strncmp(now, "net:[", 5) == 0 && strcmp(now, old) != 0, "%s", now);
        fresh_body();
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    expect("child", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
    expect("parent-ns-unchanged", net_ino() == before, "%lu", (unsigned long)net_ino());
}

/* --- lo up: loopback traffic works ---------------------------------------- */

static void up_body(void) {
    int f = lo_flags();
    expect("lo-up-flags", f >= 0 && (f & IFF_UP) && (f & IFF_RUNNING), "flags %#x", f);
    expect("ifconf-lo", ifconf_count() == 1, "%d", ifconf_count());
    int port = 0;
    int l = listener(&port);
    expect("listen", l >= 0, "%s", errno_name(errno));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int e = connect_err(c, port);
    expect("connect", e == 0, "%s", errno_name(e));
    int a = accept(l, NULL, NULL);
    char buf[8] = "";
    ssize_t w = write(c, "ping", 4);
    ssize_t r = read(a, buf, sizeof buf);
    expect("echo", w == 4 && r == 4 && memcmp(buf, "ping", 4) == 0, "w %zd r %zd", w, r);
    close(a);
    close(c);
    close(l);
    const char *if6 = slurp("/proc/net/if_inet6");
    expect("if-inet6-lo", if6 && strstr(if6, "00000000000000000000000000000001") && strstr(if6, " lo\n"),
           "[%s]", if6 ? if6 : "(unreadable)");
    /* Down again (Linux keeps 127.0.0.1 on lo then, drops ::1). */
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq req = {0};
    strcpy(req.ifr_name, "lo");
    ioctl(s, SIOCGIFFLAGS, &req);
    req.ifr_flags &= ~IFF_UP;
    EXPECT_OK("lo-down-again", ioctl(s, SIOCSIFFLAGS, &req));
    close(s);
    f = lo_flags();
    expect("lo-down-flags", f >= 0 && !(f & (IFF_UP | IFF_RUNNING)), "flags %#x", f);
    expect("ifconf-keeps-127", ifconf_count() == 1, "%d", ifconf_count());
    if6 = slurp("/proc/net/if_inet6");
    expect("if-inet6-empty-again", if6 && !if6[0], "[%s]", if6 ? if6 : "(unreadable)");
}

static void lo_up_group(void) {
    in_new_netns(1, up_body);
}

/* Unprivileged: no new namespace, no interface changes. */
static void unprivileged_body(void) {
    alone_as(65534);
    EXPECT_ERR("unshare-eperm", unshare(CLONE_NEWNET), EPERM);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq r = {0};
    strcpy(r.ifr_name, "lo");
    r.ifr_flags = IFF_UP;
    EXPECT_ERR("siocsifflags-eperm", ioctl(s, SIOCSIFFLAGS, &r), EPERM);
    strcpy(r.ifr_name, "nosuch0");
    EXPECT_ERR("siocsifflags-eperm-before-enodev", ioctl(s, SIOCSIFFLAGS, &r), EPERM);
    close(s);
}

static void unprivileged(void) {
    in_new_netns(0, unprivileged_body);
}

/* --- ports: each namespace has its own ------------------------------------ */

static void ports_body(void) {
    int fd_a = open("/proc/self/ns/net", O_RDONLY);
    int port = 0;
    int la = listener(&port);
    expect("listen-a", la >= 0, "%s", errno_name(errno));
    int c_a = socket(AF_INET, SOCK_STREAM, 0); /* made in A */
    EXPECT_OK("unshare-b", unshare(CLONE_NEWNET));
    EXPECT_OK("lo-up-b", lo_up());
    int fd_b = open("/proc/self/ns/net", O_RDONLY);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int e = connect_err(c, port);
    expect("b-sees-no-listener-of-a", e == ECONNREFUSED, "%s", errno_name(e));
    close(c);
    int same = port;
    int lb = listener(&same);
    expect("b-binds-a-port-of-a", lb >= 0 && same == port, "%s", errno_name(errno));
    c = socket(AF_INET, SOCK_STREAM, 0);
    e = connect_err(c, port);
    expect("b-connects-to-b", e == 0 && pending(lb) && !pending(la), "%s", errno_name(e));
    close(c);
    close(accept(lb, NULL, NULL));
    /* A socket made in A still works in A after the caller moved to B. */
    e = connect_err(c_a, port);
    expect("socket-stays-in-a", e == 0 && pending(la) && !pending(lb), "%s", errno_name(e));
    close(accept(la, NULL, NULL));
    close(c_a);
    int c_b = socket(AF_INET, SOCK_STREAM, 0); /* made in B */
    EXPECT_OK("setns-a", setns(fd_a, CLONE_NEWNET));
    c = socket(AF_INET, SOCK_STREAM, 0);
    e = connect_err(c, port);
    expect("back-in-a-connects-to-a", e == 0 && pending(la) && !pending(lb), "%s", errno_name(e));
    close(accept(la, NULL, NULL));
    close(c);
    e = connect_err(c_b, port);
    expect("socket-stays-in-b", e == 0 && pending(lb) && !pending(la), "%s", errno_name(e));
    close(c_b);
    close(la);
    close(lb);
    EXPECT_ERR("setns-wrong-type", setns(fd_b, CLONE_NEWUTS), EINVAL);
    expect("nstype", ioctl(fd_b, NS_GET_NSTYPE) == CLONE_NEWNET, "%s", errno_name(errno));
    struct stat sa, sb;
    fstat(fd_a, &sa);
    fstat(fd_b, &sb);
    expect("distinct-inodes", sa.st_ino != sb.st_ino && sa.st_ino == net_ino(), "%lu %lu",
           (unsigned long)sa.st_ino, (unsigned long)sb.st_ino);
    close(fd_a);
    close(fd_b);
}

static void ports(void) {
    in_new_netns(1, ports_body);
}

/* --- unix names: abstract ones per namespace, paths shared ---------------- */

static socklen_t abstract_addr(struct sockaddr_un *u, const char *name) {
    memset(u, 0, sizeof *u);
    u->sun_family = AF_UNIX;
    size_t n = strlen(name);
    memcpy(u->sun_path + 1, name, n);
    return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static void unix_body(void) {
    char name[64], path[108];
    snprintf(name, sizeof name, "husk-netns-%d", getpid());
    snprintf(path, sizeof path, "/tmp/husk-netns-%d.sock", getpid());
    unlink(path);
    struct sockaddr_un ua;
    socklen_t ul = abstract_addr(&ua, name);
    int a = socket(AF_UNIX, SOCK_STREAM, 0);
    EXPECT_OK("bind-abstract-a", bind(a, (struct sockaddr *)&ua, ul));
    listen(a, 4);
    struct sockaddr_un up = {.sun_family = AF_UNIX};
    strcpy(up.sun_path, path);
    int p = socket(AF_UNIX, SOCK_STREAM, 0);
    EXPECT_OK("bind-path-a", bind(p, (struct sockaddr *)&up, sizeof up));
    listen(p, 4);
    EXPECT_OK("unshare-b", unshare(CLONE_NEWNET));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    EXPECT_ERR("abstract-of-a-unseen", connect(c, (struct sockaddr *)&ua, ul), ECONNREFUSED);
    close(c);
    int b = socket(AF_UNIX, SOCK_STREAM, 0);
    EXPECT_OK("bind-same-abstract-b", bind(b, (struct sockaddr *)&ua, ul));
    listen(b, 4);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    EXPECT_OK("connect-abstract-b", connect(c, (struct sockaddr *)&ua, ul));
    expect("reached-b", pending(b) && !pending(a), "a %d b %d", pending(a), pending(b));
    close(c);
    /* /proc/net/unix lists this namespace's sockets only (b and the
     * connection waiting on it). */
    const char *t = slurp("/proc/net/unix");
    char at[80];
    snprintf(at, sizeof at, "@%s", name);
    int count = 0;
    for (const char *s = t; s && (s = strstr(s, at)); s++)
        count++;
    expect("proc-net-unix-own", t && count == 2 && !strstr(t, path), "count %d", count);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    EXPECT_OK("path-shared", connect(c, (struct sockaddr *)&up, sizeof up));
    expect("reached-path", pending(p), "no");
    close(c);
    close(a);
    close(b);
    close(p);
    unlink(path);
}

static void unix_names(void) {
    in_new_netns(0, unix_body);
}

/* --- clone(CLONE_NEWNET), /proc/<pid>/net, sysctls ------------------------ */

static void clone_body(void) {
    int port = 0;
    int l = listener(&port);
    ino_t mine = net_ino();
    int pipefd[2], ready[2];
    if (pipe(pipefd) != 0 || pipe(ready) != 0)
        return;
    fflush(stdout);
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        expect("child-own-ns", net_ino() != mine, "same");
        int f = lo_flags();
        expect("child-lo-down", f >= 0 && !(f & IFF_UP), "%#x", f);
        fflush(stdout);
        char c = 'r';
        write(ready[1], &c, 1);
        read(pipefd[0], &c, 1); /* the parent has looked */
        fflush(stdout);
        _exit(0);
    }
    if (pid < 0) {
        printf("clone: %s\n", errno_name(errno));
        return;
    }
    char r;
    read(ready[0], &r, 1); /* the child has printed */
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/net/tcp", pid);
    const char *t = slurp(p);
    expect("proc-pid-net-of-child", t && !strchr(strchr(t, '\n') + 1, ':'), "[%s]", t ? t : "?");
    const char *mine_tcp = slurp("/proc/self/net/tcp");
    expect("proc-self-net-own", mine_tcp && strstr(mine_tcp, " 0A "), "no listener");
    /* A sysctl of the child's namespace does not change ours. */
    snprintf(p, sizeof p, "/proc/%d/ns/net", pid);
    int fd = open(p, O_RDONLY);
    int own = open("/proc/self/ns/net", O_RDONLY);
    const char *before = slurp("/proc/sys/net/core/somaxconn");
    char keep[32];
    snprintf(keep, sizeof keep, "%s", before ? before : "");
    EXPECT_OK("setns-child", setns(fd, CLONE_NEWNET));
    EXPECT_OK("write-somaxconn", write_control("/proc/sys/net/core/somaxconn", "77"));
    const char *now = slurp("/proc/sys/net/core/somaxconn");
    expect("child-somaxconn", now && strcmp(now, "77\n") == 0, "%s", now ? now : "?");
    EXPECT_OK("setns-back", setns(own, CLONE_NEWNET));
    now = slurp("/proc/sys/net/core/somaxconn");
    expect("own-somaxconn-kept", now && strcmp(now, keep) == 0, "%s", now ? now : "?");
    write(pipefd[1], "x", 1);
    int st;
    waitpid(pid, &st, 0);
    expect("child-exit", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
    close(fd);
    close(own);
    close(l);
}

static void clone_group(void) {
    in_new_netns(1, clone_body);
}

/* --- a listener outside (NETNS_PORT on 127.0.0.1, made by the test) ------
 * is reached from the caller's namespace, never from a new one, even with
 * --network=host. */

static void outside_port(void) {
    const char *env = getenv("NETNS_PORT");
    int port = env ? atoi(env) : 0;
    if (port <= 0) {
        printf("NETNS_PORT: unset\n");
        return;
    }
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int e = connect_err(c, port);
    expect("reached-from-own-ns", e == 0, "%s", errno_name(e));
    close(c);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        EXPECT_OK("unshare", unshare(CLONE_NEWNET));
        c = socket(AF_INET, SOCK_STREAM, 0);
        e = connect_err(c, port);
        expect("new-ns-lo-down", e == ENETUNREACH, "%s", errno_name(e));
        close(c);
        EXPECT_OK("lo-up", lo_up());
        c = socket(AF_INET, SOCK_STREAM, 0);
        e = connect_err(c, port);
        expect("new-ns-refused", e == ECONNREFUSED, "%s", errno_name(e));
        close(c);
        expect("new-ns-only-lo", strcmp(dev_names(), "lo") == 0, "[%s]", dev_names());
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    expect("child", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
}

int main(int argc, char **argv) {
    static const struct test_group groups[] = {
        {"fresh", fresh},
        {"lo_up", lo_up_group},
        {"unprivileged", unprivileged},
        {"ports", ports},
        {"unix_names", unix_names},
        {"clone", clone_group},
        {"outside_port", outside_port},
    };
    return RUN_GROUPS(argc, argv, groups);
}
