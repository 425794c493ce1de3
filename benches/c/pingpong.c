/* pingpong: a forked child echoes 1-byte messages over a TCP connection on
 * 127.0.0.1 (`tcp`) or a unix socketpair (`unix`); the parent times N round
 * trips. Usage: pingpong tcp|unix [N]   Prints: result <us per round trip> us */
#include "bench.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void echo(int fd) {
    char c;
    for (;;) {
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) _exit(0);
        if (write(fd, &c, 1) != 1) _exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: pingpong tcp|unix [N]\n");
        return 2;
    }
    long n = arg_count(argc, argv, 2, 10000);
    int fd;
    pid_t pid;
    if (strcmp(argv[1], "unix") == 0) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) die("socketpair");
        pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) {
            close(sv[0]);
            echo(sv[1]);
        }
        close(sv[1]);
        fd = sv[0];
    } else {
        int l = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0) die("listen");
        socklen_t al = sizeof a;
        getsockname(l, (struct sockaddr *)&a, &al);
        pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) {
            int s = accept(l, NULL, NULL);
            if (s < 0) _exit(1);
            int one = 1;
            setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            echo(s);
        }
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    char c = 'p';
    /* One unmeasured round trip: the child is running. */
    if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) die("warm-up");
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (write(fd, &c, 1) != 1) die("write");
        if (read(fd, &c, 1) != 1) die("read");
    }
    double t1 = now_ns();
    close(fd);
    waitpid(pid, NULL, 0);
    printf("result %.2f us\n", (t1 - t0) / 1e3 / n);
    return 0;
}
