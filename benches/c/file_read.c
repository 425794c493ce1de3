/* file_read: creates a 4 KiB file in /tmp, then N x (open, read 4 KiB, close).
 * Usage: file_read [N]   Prints: result <ns per iteration> ns */
#include "bench.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = arg_count(argc, argv, 1, 20000);
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/tmp/husk-bench-read.%d", (int)getpid());
    memset(buf, 'x', sizeof buf);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) die("create");
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) die("write");
    if (close(fd) != 0) die("close");
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        fd = open(path, O_RDONLY);
        if (fd < 0) die("open");
        if (read(fd, buf, sizeof buf) != (ssize_t)sizeof buf) die("read");
        close(fd);
    }
    double t1 = now_ns();
    unlink(path);
    printf("result %.3f ns\n", (t1 - t0) / (double)n);
    return 0;
}
