/* syscall: N x syscall(SYS_getppid), the cheapest real trap into the kernel.
 * Usage: syscall [N]   Prints: result <ns per call> ns */
#include "bench.h"
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = arg_count(argc, argv, 1, 20000);
    for (long i = 0; i < n / 10 + 1; i++) syscall(SYS_getppid); /* warm-up */
    double t0 = now_ns();
    for (long i = 0; i < n; i++) syscall(SYS_getppid);
    double t1 = now_ns();
    printf("result %.3f ns\n", (t1 - t0) / (double)n);
    return 0;
}
