/*
 * Kernel behaviours CPython's regression tests (Lib/test) rely on that
 * husk once got wrong: each group is the smallest reproduction of one
 * divergence the test suite found (the test is named in the group's
 * comment).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "husk_test.h"

static int pidfd_send(int fd, int sig) { return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0); }

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { got_usr1 = sig; }

/* test_signal.PidfdSignalTest: pidfd_send_signal takes an open
 * /proc/<pid> directory as a pidfd (Linux's tgid_pidfd_to_pid), but no
 * other directory; ESRCH once the process is reaped. */
static void g_pidfd_procdir(void) {
    EXPECT_ERR("bad-fd", pidfd_send(-1, 0), EBADF);
    int root = open("/proc", O_RDONLY | O_DIRECTORY);
    EXPECT_ERR("proc-root-ebadf", pidfd_send(root, 0), EBADF);
    close(root);
    int tmp = open("/", O_RDONLY | O_DIRECTORY);
    EXPECT_ERR("plain-dir-ebadf", pidfd_send(tmp, 0), EBADF);
    close(tmp);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)gettid());
    int task = open(path, O_RDONLY | O_DIRECTORY);
    expect("open-task-dir", task >= 0, "%s", errno_name(errno));
    EXPECT_ERR("task-dir-ebadf", pidfd_send(task, 0), EBADF);
    close(task);

    signal(SIGUSR1, on_usr1);
    int self = open("/proc/self", O_RDONLY | O_DIRECTORY);
    EXPECT_OK("self-usr1", pidfd_send(self, SIGUSR1));
    expect("self-handler-ran", got_usr1 == SIGUSR1, "got %d", (int)got_usr1);
    close(self);

    pid_t c = xfork();
    if (c == 0) {
        for (;;)
            pause();
    }
    snprintf(path, sizeof path, "/proc/%d", (int)c);
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    EXPECT_OK("child-probe", pidfd_send(fd, 0));
    EXPECT_OK("child-term", pidfd_send(fd, SIGTERM));
    kill(c, SIGTERM); /* never leave the child behind */
    const char *st = wait_text(c);
    expect("child-killed", strcmp(st, "killed by SIGTERM") == 0, "%s", st);
    EXPECT_ERR("after-reap-esrch", pidfd_send(fd, SIGTERM), ESRCH);
    close(fd);
}

static const struct test_group groups[] = {
    {"pidfd_procdir", g_pidfd_procdir},
};

int main(int argc, char **argv) { return RUN_GROUPS(argc, argv, groups); }
