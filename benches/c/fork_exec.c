/* fork_exec: N x (fork, child execv(PROG), parent waitpid); PROG must exit 0.
 * Usage: fork_exec PROG [N]   Prints: result <us per iteration> us */
#include "bench.h"
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: fork_exec PROG [N]\n");
        return 2;
    }
    char *prog = argv[1];
    long n = arg_count(argc, argv, 2, 1000);
    char *child_argv[] = {prog, NULL};
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) {
            execv(prog, child_argv);
            _exit(127);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid) die("waitpid");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "child %s status 0x%x\n", prog, st);
            return 1;
        }
    }
    double t1 = now_ns();
    printf("result %.3f us\n", (t1 - t0) / 1e3 / (double)n);
    return 0;
}
