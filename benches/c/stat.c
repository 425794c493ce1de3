/* stat: creates a 4 KiB file in /tmp, then N x stat(2) of it.
 * Usage: stat [N]   Prints: result <ns per call> ns */
#include "bench.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = arg_count(argc, argv, 1, 20000);
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/tmp/husk-bench-stat.%d", (int)getpid());
    memset(buf, 'x', sizeof buf);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) die("create");
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) die("write");
    if (close(fd) != 0) die("close");
    struct stat st;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (stat(path, &st) != 0) die("stat");
    }
    double t1 = now_ns();
    unlink(path);
    if (st.st_size != (off_t)sizeof buf) {
        fprintf(stderr, "stat: size %lld, want %zu\n", (long long)st.st_size, sizeof buf);
        return 1;
    }
    printf("result %.3f ns\n", (t1 - t0) / (double)n);
    return 0;
}
