/* Random system calls with hostile arguments: each of KIDS children makes
 * CALLS calls of random numbers with arguments drawn from zero, -1, small
 * numbers, flag bits, random words, a good buffer, the last bytes before
 * an unmapped page and low addresses. A child that blocks is killed after
 * a second; the parent prints "done". The sentry must serve all of it
 * without a panic or a hang (the test checks its log). With THREADS, each
 * child makes its calls from that many threads at once, leaving its memory
 * layout alone so that they keep running side by side.
 *
 * Only ever in a sandbox: natively as root these calls change whatever the
 * descriptors and paths lead to (a first version turned /dev/null into
 * mode 000 owned by nobody). It refuses to start unless
 * SYSCALL_FUZZ_IN_SANDBOX=1.
 * Usage: syscall_fuzz KIDS CALLS SEED [THREADS] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static __thread uint64_t state;
static uint64_t rnd(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static char *good, *edge;
/* Descriptors of every kind, so that calls reach deep into each file's
 * code rather than stopping at EBADF. */
static int fds[24], nfds;

static uint64_t arg(void) {
    switch (rnd() % 13) {
    case 0: return 0;
    case 1: return (uint64_t)-1;
    case 2: return rnd() % 16;
    case 3: return rnd();
    case 4: return (uint64_t)good + rnd() % 4096;
    case 5: return (uint64_t)edge - rnd() % 64;
    case 6: return 0x1000;
    case 7: return rnd() % 65536;
    case 8: return (uint64_t)good;
    case 9: return 1ULL << (rnd() % 64);
    case 10: return rnd() % 3 ? 0x7fffffff : 0x80000000;
    case 11: return nfds ? (uint64_t)fds[rnd() % nfds] : 0;
    default: return rnd() & 0xffffffff;
    }
}

static void open_fds(void) {
    int p[2], sv[2];
    sigset_t all;
    sigfillset(&all);
    if (pipe(p) == 0) {
        fds[nfds++] = p[0];
        fds[nfds++] = p[1];
    }
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
        fds[nfds++] = sv[0];
        fds[nfds++] = sv[1];
    }
    int more[] = {
        socket(AF_INET, SOCK_STREAM, 0), socket(AF_INET, SOCK_DGRAM, 0), socket(AF_INET6, SOCK_STREAM, 0),
        socket(AF_UNIX, SOCK_DGRAM, 0), socket(AF_NETLINK, SOCK_RAW, 0), socket(AF_INET, SOCK_RAW, 1),
        eventfd(0, 0), timerfd_create(CLOCK_MONOTONIC, 0), signalfd(-1, &all, 0), epoll_create1(0),
        inotify_init1(0), memfd_create("fuzz", 0), open("/dev/ptmx", O_RDWR | O_NOCTTY),
        open("/proc/self/status", O_RDONLY), open("/tmp", O_RDONLY | O_DIRECTORY),
        open("/tmp", O_TMPFILE | O_RDWR, 0600), open("/dev/null", O_RDWR), open("/", O_PATH),
    };
    for (unsigned i = 0; i < sizeof more / sizeof *more; i++)
        if (more[i] >= 0)
            fds[nfds++] = more[i];
}

/* Calls that would end or multiply the child, reach its parent, or make it
 * wait for nothing: they prove nothing about argument handling here. */
static int skipped(long n) {
    switch (n) {
    case SYS_exit: case SYS_exit_group: case SYS_clone: case SYS_fork: case SYS_vfork: case SYS_clone3:
    case SYS_kill: case SYS_tkill: case SYS_tgkill: case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo:
    case SYS_pidfd_send_signal: case SYS_process_vm_writev: case SYS_ptrace: case SYS_reboot:
    case SYS_pause: case SYS_execve: case SYS_execveat: case SYS_vhangup:
        return 1;
    }
    return 0;
}

/* Calls that would pull memory from under the other threads. */
static int moves_memory(long n) {
    switch (n) {
    case SYS_munmap: case SYS_mremap: case SYS_mmap: case SYS_mprotect: case SYS_madvise: case SYS_brk:
    case SYS_rt_sigreturn: case SYS_arch_prctl: case SYS_set_robust_list: case SYS_set_tid_address:
        return 1;
    }
    return 0;
}

static int calls, threads = 1;
static uint64_t child_seed;

static void *fuzz(void *which) {
    state = child_seed * 31 + (uint64_t)(uintptr_t)which + 1;
    for (int i = 0; i < calls; i++) {
        long n = rnd() % 460;
        if (skipped(n) || (threads > 1 && moves_memory(n)))
            continue;
        uint64_t a[6];
        for (int j = 0; j < 6; j++)
            a[j] = arg();
        /* Most calls take a descriptor first. */
        if (nfds && rnd() % 2)
            a[0] = fds[rnd() % nfds];
        syscall(n, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: syscall_fuzz KIDS CALLS SEED [THREADS]\n");
        return 2;
    }
    const char *sandboxed = getenv("SYSCALL_FUZZ_IN_SANDBOX");
    if (!sandboxed || strcmp(sandboxed, "1") != 0) {
        fprintf(stderr, "syscall_fuzz: refusing to run outside a sandbox (set SYSCALL_FUZZ_IN_SANDBOX=1)\n");
        return 2;
    }
    int kids = atoi(argv[1]);
    calls = atoi(argv[2]);
    uint64_t seed = strtoull(argv[3], NULL, 0);
    if (argc > 4)
        threads = atoi(argv[4]);
    for (int k = 0; k < kids; k++) {
        pid_t c = fork();
        if (c < 0) {
            perror("fork");
            return 1;
        }
        if (c == 0) {
            /* Its own stdio: a file only this child sees. */
            int own = memfd_create("stdio", 0);
            for (int fd = 0; fd < 3; fd++)
                dup2(own, fd);
            child_seed = seed * 7919 + k;
            good = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            memset(good, 'A', 8192);
            char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            munmap(two + 4096, 4096);
            edge = two + 4096;
            open_fds();
            if (threads == 1) {
                fuzz(NULL);
            } else {
                pthread_t t[16];
                int n = threads < 16 ? threads : 16;
                for (int i = 0; i < n; i++)
                    pthread_create(&t[i], NULL, fuzz, (void *)(uintptr_t)i);
                for (int i = 0; i < n; i++)
                    pthread_join(t[i], NULL);
            }
            _exit(0);
        }
        int st;
        for (int t = 0; t < 100 && waitpid(c, &st, WNOHANG) == 0; t++)
            usleep(10000);
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
    }
    printf("done\n");
    return 0;
}
