/* dd: copies MIB MiB from /dev/zero to /dev/null in 1 MiB blocks, as
 * `dd if=/dev/zero of=/dev/null bs=1M count=MIB` does.
 * Usage: dd [MIB]   Prints: result <MiB/s> MiB/s */
#include "bench.h"
#include <fcntl.h>
#include <unistd.h>

#define BLOCK (1024 * 1024)

static char buf[BLOCK];

int main(int argc, char **argv) {
    long mib = arg_count(argc, argv, 1, 1024);
    int in = open("/dev/zero", O_RDONLY);
    if (in < 0) die("open /dev/zero");
    int out = open("/dev/null", O_WRONLY);
    if (out < 0) die("open /dev/null");
    double t0 = now_ns();
    for (long i = 0; i < mib; i++) {
        ssize_t r = read(in, buf, BLOCK);
        if (r != BLOCK) die("read");
        ssize_t w = write(out, buf, BLOCK);
        if (w != BLOCK) die("write");
    }
    double t1 = now_ns();
    printf("result %.1f MiB/s\n", (double)mib / ((t1 - t0) / 1e9));
    return 0;
}
