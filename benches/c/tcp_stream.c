/* tcp_stream: a forked child writes MIB MiB into a TCP connection over
 * 127.0.0.1 in 64 KiB chunks; the parent reads it all. Timed from before
 * the fork to after waitpid.
 * Usage: tcp_stream [MIB]   Prints: result <MiB/s> MiB/s */
#include "bench.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static char buf[CHUNK];

int main(int argc, char **argv) {
    long mib = arg_count(argc, argv, 1, 1024);
    long long total = (long long)mib * 1024 * 1024;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0) die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    if (listen(l, 1) < 0) die("listen");
    socklen_t al = sizeof a;
    if (getsockname(l, (struct sockaddr *)&a, &al) < 0) die("getsockname");
    double t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0) _exit(2);
        memset(buf, 't', sizeof buf);
        for (long long left = total; left > 0;) {
            size_t want = left < CHUNK ? (size_t)left : CHUNK;
            ssize_t w = write(c, buf, want);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) _exit(1);
            left -= w;
        }
        _exit(0);
    }
    int s = accept(l, NULL, NULL);
    if (s < 0) die("accept");
    long long got = 0;
    for (;;) {
        ssize_t r = read(s, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) die("read");
        if (r == 0) break;
        got += r;
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) die("waitpid");
    double t1 = now_ns();
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "writer status 0x%x\n", st);
        return 1;
    }
    if (got != total) {
        fprintf(stderr, "read %lld bytes, want %lld\n", got, total);
        return 1;
    }
    printf("result %.1f MiB/s\n", (double)mib / ((t1 - t0) / 1e9));
    return 0;
}
