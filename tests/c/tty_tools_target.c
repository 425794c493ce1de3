// The inferior of the tty_tools debugger and tracer scenarios (gdb, strace
// under `husk do -t` and natively). With no argument it prints three lines
// and dies of SIGSEGV three calls deep; `loop` prints them and spins until
// interrupted; `fork` has a child write a line and exit 3, which the parent
// reports.
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

volatile int counter;

__attribute__((noinline)) int depth(int n) {
    counter++;
    if (n == 0) {
        volatile int *p = 0;
        return *p;
    }
    return depth(n - 1) + 1;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "fork") == 0) {
        pid_t p = fork();
        if (p == 0) {
            write(1, "child\n", 6);
            _exit(3);
        }
        int st = 0;
        waitpid(p, &st, 0);
        printf("parent st=%d\n", WEXITSTATUS(st));
        return 0;
    }
    for (int i = 0; i < 3; i++)
        printf("step %d\n", i);
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "loop") == 0)
        for (;;)
            counter++;
    return depth(2);
}
