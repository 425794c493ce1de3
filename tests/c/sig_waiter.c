/*
 * A process for `husk debug inspect` to look at: a SIGINT handler with
 * SA_RESTART and SIGTERM in its mask, SIGQUIT ignored, SIGUSR1 blocked and
 * pending, a file open for appending after 5 bytes were written, then a
 * wait in pause(). What it set up goes to the file named by argv[1]
 * ("handler=0x...", "fd=N"), written before it waits.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_int(int sig) { (void)sig; }

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: sig_waiter INFO-FILE\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_int;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM);
    if (sigaction(SIGINT, &sa, NULL) != 0) {
        perror("sigaction");
        return 1;
    }
    signal(SIGQUIT, SIG_IGN);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);

    int fd = open("/tmp/log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, "hello", 5) != 5) {
        perror("/tmp/log");
        return 1;
    }
    FILE *info = fopen(argv[1], "w");
    if (!info) {
        perror(argv[1]);
        return 1;
    }
    fprintf(info, "handler=%#lx\nfd=%d\n", (unsigned long)on_int, fd);
    fclose(info);
    for (;;)
        pause();
}
