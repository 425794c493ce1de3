/* Runs a command on a fresh pty (natively: it is the "outer terminal") and
 * measures what goes through the terminal.
 *   ptydrive echo COUNT -- CMD...   mean keystroke echo latency (type 'x',
 *                                   wait for it to come back), in us; the
 *                                   next key follows the echo at once
 *   ptydrive typed COUNT -- CMD...  the same with 10 ms between keys (a fast
 *                                   typist): each key finds the machine idle
 *   ptydrive drain -- CMD...        throughput of everything CMD prints to
 *                                   the terminal until it exits, in MiB/s
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Reads whatever arrives until `quiet_ms` pass without output. */
static void drain_quiet(int fd, int quiet_ms) {
    char buf[4096];
    struct pollfd p = {fd, POLLIN, 0};
    while (poll(&p, 1, quiet_ms) > 0) {
        if (read(fd, buf, sizeof buf) <= 0) return;
    }
}

/* Waits until byte `c` shows up in the output; 0 on success. */
static int wait_for(int fd, char c) {
    char buf[4096];
    struct pollfd p = {fd, POLLIN, 0};
    for (;;) {
        if (poll(&p, 1, 5000) <= 0) return -1;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return -1;
        if (memchr(buf, c, n)) return 0;
    }
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: ptydrive echo|typed COUNT -- CMD... | drain -- CMD...\n"); return 2; }
    int typed = strcmp(argv[1], "typed") == 0;
    int echo = typed || strcmp(argv[1], "echo") == 0;
    int count = echo ? atoi(argv[2]) : 0;
    int cmd = echo ? 4 : 3;
    if (cmd >= argc || strcmp(argv[cmd - 1], "--") != 0) { fprintf(stderr, "ptydrive: missing --\n"); return 2; }
    struct winsize ws = {24, 80, 0, 0};
    int fd;
    pid_t pid = forkpty(&fd, NULL, NULL, &ws);
    if (pid < 0) { perror("forkpty"); return 1; }
    if (pid == 0) {
        setenv("PS1", "$ ", 1);
        execvp(argv[cmd], argv + cmd);
        _exit(127);
    }
    if (echo) {
        drain_quiet(fd, 800);
        double total = 0;
        for (int i = 0; i < count; i++) {
            if (i % 50 == 49) { write(fd, "\x15", 1); drain_quiet(fd, 50); }
            if (typed) usleep(10000);
            double t0 = now_us();
            write(fd, "x", 1);
            if (wait_for(fd, 'x') != 0) { fprintf(stderr, "ptydrive: no echo\n"); kill(pid, SIGKILL); return 1; }
            total += now_us() - t0;
        }
        write(fd, "\x15" "exit\n", 6);
        drain_quiet(fd, 300);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        printf("result %.3f us\n", total / count);
        return 0;
    }
    char buf[65536];
    double t0 = now_us(), bytes = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        bytes += n;
    }
    double secs = (now_us() - t0) / 1e6;
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "ptydrive: command failed (%d)\n", st); return 1; }
    printf("result %.3f MiB/s\n", bytes / 1048576.0 / secs);
    return 0;
}
