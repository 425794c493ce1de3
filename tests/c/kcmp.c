/* kcmp(2): whether two processes share a kernel resource (an open file,
 * the address space, the descriptor table, fs context, signal handlers,
 * an epoll's target file), and its errors. Results are printed as "same"
 * or "different" (the order of different ones is arbitrary on Linux, but
 * must be consistent: kcmp(a, b) and kcmp(b, a) mirror each other). */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "husk_test.h"

enum { KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO, KCMP_SYSVSEM, KCMP_EPOLL_TFD };

struct kcmp_epoll_slot {
    uint32_t efd, tfd, toff;
};

static long kcmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2) {
    return syscall(SYS_kcmp, a, b, type, i1, i2);
}

/* "same", "different" (checking that the reverse order mirrors it), or the errno. */
static void show(const char *what, pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2) {
    long r = kcmp(a, b, type, i1, i2);
    if (r < 0) {
        printf("%s: %s\n", what, errno_name(errno));
        return;
    }
    /* (An epoll's target has no reverse order to ask for.) */
    long back = type == KCMP_EPOLL_TFD ? (r == 0 ? 0 : 3 - r) : kcmp(b, a, type, i2, i1);
    if (r == 0)
        printf("%s: same%s\n", what, back == 0 ? "" : " (not mirrored)");
    else
        printf("%s: different%s\n", what, (r == 1 && back == 2) || (r == 2 && back == 1) ? "" : " (not mirrored)");
}

static int sleeper(void *arg) {
    (void)arg;
    for (;;)
        pause();
    return 0;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t me = getpid();
    int a = open("/dev/null", O_RDONLY);
    int b = dup(a);
    int c = open("/dev/null", O_RDONLY);
    int p[2];
    if (pipe(p))
        perror("pipe");
    show("dup-same-file", me, me, KCMP_FILE, a, b);
    show("reopen-different-file", me, me, KCMP_FILE, a, c);
    show("closed-fd", me, me, KCMP_FILE, a, 999);
    show("fd-number-cut-to-32-bits", me, me, KCMP_FILE, b, ((unsigned long)1 << 40) + a);
    show("self-vm", me, me, KCMP_VM, 0, 0);
    show("self-io", me, me, KCMP_IO, 0, 0);
    show("self-sysvsem", me, me, KCMP_SYSVSEM, 0, 0);
    show("bad-type", me, me, 99, 0, 0);
    show("no-such-pid", me, 999999, KCMP_VM, 0, 0);

    /* A forked child: its own copies of everything, the same open files. */
    pid_t child = fork();
    if (child == 0)
        sleeper(0);
    show("fork-file-inherited", me, child, KCMP_FILE, a, a);
    show("fork-vm", me, child, KCMP_VM, 0, 0);
    show("fork-files", me, child, KCMP_FILES, 0, 0);
    show("fork-fs", me, child, KCMP_FS, 0, 0);
    show("fork-sighand", me, child, KCMP_SIGHAND, 0, 0);

    /* A clone sharing all of them. */
    static char stack[65536];
    pid_t shared = clone(sleeper, stack + sizeof stack, CLONE_VM | CLONE_FILES | CLONE_FS | CLONE_SIGHAND | SIGCHLD, 0);
    show("clone-vm", me, shared, KCMP_VM, 0, 0);
    show("clone-files", me, shared, KCMP_FILES, 0, 0);
    show("clone-fs", me, shared, KCMP_FS, 0, 0);
    show("clone-sighand", me, shared, KCMP_SIGHAND, 0, 0);
    show("clone-vs-fork-vm", child, shared, KCMP_VM, 0, 0);

    /* The target files of an epoll (in this process) against a file of
     * the child (the pipe it inherited). */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) || epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev))
        perror("epoll_ctl");
    struct kcmp_epoll_slot slot = {.efd = ep, .tfd = p[0], .toff = 0};
    show("epoll-target-same", child, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot);
    show("epoll-target-different", child, me, KCMP_EPOLL_TFD, p[1], (unsigned long)&slot);
    slot.tfd = c;
    show("epoll-target-unregistered", child, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot);
    slot.tfd = p[0];
    slot.toff = 1;
    show("epoll-target-offset-past", child, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot);
    /* The number registered again for another file (the old one stays
     * registered while open): offsets 0 and 1 name both, in some order.
     * The child's descriptor p[0] is still the old file. */
    int saved = dup(p[0]);
    dup2(p[1], p[0]);
    if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev))
        perror("epoll_ctl again");
    int found = 0;
    for (slot.toff = 0; slot.toff < 3; slot.toff++)
        found += kcmp(child, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot) == 0;
    printf("epoll-two-files-one-number: the old one found %d time(s)\n", found);
    slot.toff = 0;
    slot.efd = a;
    show("epoll-not-an-epoll", child, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot);
    slot.efd = 999;
    show("epoll-bad-epoll-fd", child, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot);
    show("epoll-bad-slot", child, me, KCMP_EPOLL_TFD, p[0], 8);
    close(saved);
    slot.efd = ep;
    show("epoll-bad-file", child, me, KCMP_EPOLL_TFD, 999, (unsigned long)&slot);

    /* Someone else's processes: PTRACE_MODE_READ on both is needed. */
    pid_t other = fork();
    if (other == 0) {
        if (setgid(65534) || setuid(65534))
            printf("setuid: %s\n", errno_name(errno));
        show("unprivileged-vs-root", getpid(), me, KCMP_VM, 0, 0);
        show("unprivileged-vs-self", getpid(), getpid(), KCMP_VM, 0, 0);
        _exit(0);
    }
    waitpid(other, NULL, 0);
    kill(child, SIGKILL);
    kill(shared, SIGKILL);
    waitpid(child, NULL, 0);
    waitpid(shared, NULL, 0);
    show("reaped", me, child, KCMP_VM, 0, 0);
    return 0;
}
