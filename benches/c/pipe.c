/* pipe: a forked child writes MIB MiB into a pipe in 64 KiB chunks; the parent
 * reads it all. Timed from before fork to after waitpid.
 * Usage: pipe [MIB]   Prints: result <MiB/s> MiB/s */
#include "bench.h"
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static char buf[CHUNK];

int main(int argc, char **argv) {
    long mib = arg_count(argc, argv, 1, 256);
    long long total = (long long)mib * 1024 * 1024;
    int fds[2];
    if (pipe(fds) != 0) die("pipe");
    double t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        close(fds[0]);
        memset(buf, 'p', sizeof buf);
        for (long long left = total; left > 0;) {
            size_t want = left < CHUNK ? (size_t)left : CHUNK;
            ssize_t w = write(fds[1], buf, want);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) _exit(1);
            left -= w;
        }
        _exit(0);
    }
    close(fds[1]);
    long long got = 0;
    for (;;) {
        ssize_t r = read(fds[0], buf, sizeof buf);
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
