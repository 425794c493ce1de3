/*
 * vfork_sleeper: vforks a child that sleeps before it would exec, so the
 * parent waits in vfork for as long as the child sleeps. A container
 * running it must still pause: Linux's freezer counts a vfork parent as
 * frozen where it waits.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    printf("vforking\n");
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        struct timespec ts = {1000, 0};
        nanosleep(&ts, NULL);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
