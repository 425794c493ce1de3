/* fork_wait: N x (fork, child _exit(0), parent waitpid).
 * Usage: fork_wait [N]   Prints: result <us per iteration> us */
#include "bench.h"
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = arg_count(argc, argv, 1, 2000);
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) _exit(0);
        int st;
        if (waitpid(pid, &st, 0) != pid) die("waitpid");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "child status 0x%x\n", st);
            return 1;
        }
    }
    double t1 = now_ns();
    printf("result %.3f us\n", (t1 - t0) / 1e3 / (double)n);
    return 0;
}
