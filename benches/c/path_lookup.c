/* path_lookup: what a shell's start-up does most, on the host-backed root:
 * N rounds of stat through symlinks (/bin/sh), open+close of a host file,
 * stat and access of a program on PATH, and two PATH misses (ENOENT).
 * Usage: path_lookup [N]   Prints: result <ns per call> ns */
#include "bench.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define CALLS_PER_ROUND 7

int main(int argc, char **argv) {
    long n = arg_count(argc, argv, 1, 5000);
    struct stat st;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (stat("/bin/sh", &st) != 0) die("stat /bin/sh");
        int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
        if (fd < 0) die("open /etc/passwd");
        if (close(fd) != 0) die("close");
        if (stat("/usr/bin/env", &st) != 0) die("stat /usr/bin/env");
        if (access("/usr/bin/env", X_OK) != 0) die("access /usr/bin/env");
        if (stat("/usr/local/sbin/env", &st) == 0 || errno != ENOENT) die("stat /usr/local/sbin/env");
        if (stat("/usr/local/bin/env", &st) == 0 || errno != ENOENT) die("stat /usr/local/bin/env");
    }
    double t1 = now_ns();
    printf("result %.3f ns\n", (t1 - t0) / (double)(n * CALLS_PER_ROUND));
    return 0;
}
