/* Helpers for the network test programs (tests/c/net_*.c): every check
 * prints one line, so a run under husk can be compared with a native run. */
#ifndef NET_TEST_H
#define NET_TEST_H
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* "name: ok" / "name: ERRNO" for a call's result. */
__attribute__((unused)) static void res(const char *name, long r) {
    if (r >= 0)
        printf("%s: ok\n", name);
    else
        printf("%s: %s\n", name, strerrorname_np(errno));
}

/* "name: value" */
__attribute__((unused)) static void val(const char *name, long v) { printf("%s: %ld\n", name, v); }

/* Dies with a message (the output then differs from native). */
static void die(const char *what) {
    printf("FATAL %s: %s\n", what, strerrorname_np(errno));
    exit(1);
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* A listening TCP socket on 127.0.0.1 with an ephemeral port; *port gets it. */
__attribute__((unused)) static int tcp_listener(int *port, int backlog) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) die("socket");
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = loopback(0);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    if (listen(s, backlog) < 0) die("listen");
    socklen_t l = sizeof a;
    if (getsockname(s, (struct sockaddr *)&a, &l) < 0) die("getsockname");
    *port = ntohs(a.sin_port);
    return s;
}

__attribute__((unused)) static int tcp_connect(int port) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0) die("socket");
    struct sockaddr_in a = loopback(port);
    if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    return c;
}

/* Writes all of buf. */
__attribute__((unused)) static int write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= w;
    }
    return 0;
}

/* Reads exactly n bytes (0 on success, -1 on EOF or error). */
__attribute__((unused)) static int read_all(int fd, void *buf, size_t n) {
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= r;
    }
    return 0;
}

/* Runs the group named argv[1]. */
struct group {
    const char *name;
    void (*fn)(void);
};
__attribute__((unused)) static int run(int argc, char **argv, const struct group *g, int n) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        fprintf(stderr, "usage: %s GROUP\n", argv[0]);
        return 2;
    }
    for (int i = 0; i < n; i++)
        if (strcmp(argv[1], g[i].name) == 0) {
            g[i].fn();
            fflush(stdout);
            return 0;
        }
    fprintf(stderr, "no group %s\n", argv[1]);
    return 2;
}
#define RUN(argc, argv, groups) run(argc, argv, groups, sizeof(groups) / sizeof(groups[0]))
#endif
