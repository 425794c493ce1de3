/*
 * The kernel's copies fault stacks in: a syscall's buffer in a part of a
 * stack never touched is filled or read as if the program had touched it.
 * `stack_copies GROUP` prints one line per check, the same natively and
 * under husk (which keeps the untouched parts of stacks inaccessible until
 * they grow).
 *
 *   lazy    an 8 MiB MAP_STACK mapping never touched: read(2) into its
 *           lowest page, write(2) from an untouched page (zeros), pread,
 *           recvmsg, getdents64, mincore's vector and readv into untouched
 *           pages
 *   thread  a thread with an 8 MiB stack reads into the far end of a local
 *           1 MiB array and into the bottom of its stack, below its stack
 *           pointer
 *   main    read(2) into, and write(2) from, the room below the main
 *           stack grows the stack
 *   bad     PROT_NONE and unmapped buffers stay EFAULT, and the data a
 *           failed read(2) would have taken stays in the pipe; a bad
 *           rt_sigaction oldact is EFAULT after the new action is set
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "husk_test.h"

#define STACK_SIZE (8L << 20)
#define PAGE 4096L

/* A fresh thread-stack-like mapping, never touched. */
static char *fresh_stack(void) {
    char *p = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

/* A pipe holding `msg`. */
static void pipe_with(int p[2], const char *msg) {
    if (pipe(p) != 0 || write(p[1], msg, strlen(msg)) != (ssize_t)strlen(msg)) {
        perror("pipe");
        exit(1);
    }
}

/* "N bytes, <data>" or the errno of a read-like result. */
static void show(const char *name, long n, const char *buf) {
    if (n < 0)
        printf("%s: %s\n", name, errno_name(errno));
    else
        printf("%s: %ld bytes, %.*s\n", name, n, (int)n, buf);
}

/* Writes `len` (at most 64) bytes from `from` into pipe `p` and reads them
 * back; write's result in *written. Whether all came back as zeros. */
static int writes_zeros(int p[2], const char *from, int len, long *written) {
    char back[64];
    *written = write(p[1], from, len);
    memset(back, 1, sizeof back);
    long m = read(p[0], back, len);
    int zeros = m == len;
    for (int i = 0; i < len && zeros; i++)
        zeros = back[i] == 0;
    return zeros;
}

static void group_lazy(void) {
    int p[2];
    pipe_with(p, "hello");
    char *s = fresh_stack();
    show("read into the lowest page", read(p[0], s, 5), s);
    munmap(s, STACK_SIZE);

    s = fresh_stack();
    char *mid = s + STACK_SIZE / 2;
    long n;
    int zeros = writes_zeros(p, mid, 64, &n);
    printf("write from an untouched page: %ld, read back zeros: %s\n", n, zeros ? "yes" : "no");
    munmap(s, STACK_SIZE);

    s = fresh_stack();
    int fd = open("/proc/self/exe", O_RDONLY);
    n = pread(fd, s + PAGE, 4, 1);
    show("pread into an untouched page", n, s + PAGE);
    close(fd);
    munmap(s, STACK_SIZE);

    s = fresh_stack();
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || send(sv[0], "ping", 4, 0) != 4) {
        perror("socketpair");
        exit(1);
    }
    struct iovec iov = {.iov_base = s + 3 * PAGE, .iov_len = 16};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    show("recvmsg into an untouched page", recvmsg(sv[1], &mh, 0), s + 3 * PAGE);
    close(sv[0]);
    close(sv[1]);
    munmap(s, STACK_SIZE);

    s = fresh_stack();
    fd = open("/", O_RDONLY | O_DIRECTORY);
    n = syscall(SYS_getdents64, fd, s + 5 * PAGE, 4096);
    struct dirent64 *d = (struct dirent64 *)(s + 5 * PAGE);
    printf("getdents64 into an untouched page: %s\n", n > 0 && d->d_reclen > 0 && d->d_reclen <= n ? "entries" : errno_name(errno));
    close(fd);
    munmap(s, STACK_SIZE);

    s = fresh_stack();
    static char probe[2 * 4096] __attribute__((aligned(4096)));
    probe[0] = 1;
    n = mincore(probe, sizeof probe, (unsigned char *)s + 9 * PAGE);
    printf("mincore, vector in an untouched page: %s, first page resident: %d\n", n == 0 ? "ok" : errno_name(errno),
           n == 0 ? s[9 * PAGE] & 1 : -1);
    munmap(s, STACK_SIZE);

    /* A readv whose second buffer lies in untouched stack. */
    pipe_with(p, "abcdef");
    s = fresh_stack();
    char first[3];
    struct iovec two[2] = {{first, 3}, {s + 7 * PAGE, 3}};
    n = readv(p[0], two, 2);
    printf("readv, second buffer untouched: %ld, %.3s%.3s\n", n, first, s + 7 * PAGE);
    munmap(s, STACK_SIZE);
}

struct work {
    int fd;
    long far, bottom;
    char far_data[8], bottom_data[8];
};

static __attribute__((noinline)) long read_far_end(struct work *w) {
    char big[1 << 20];
    /* A raw syscall, so nothing touches the array before the kernel does. */
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "0"(SYS_read), "D"(w->fd), "S"(big), "d"(5L) : "rcx", "r11", "memory");
    if (ret > 0)
        memcpy(w->far_data, big, ret);
    return ret;
}

static void *thread_main(void *arg) {
    struct work *w = arg;
    w->far = read_far_end(w);
    pthread_attr_t a;
    void *base = NULL;
    size_t size = 0;
    pthread_getattr_np(pthread_self(), &a);
    pthread_attr_getstack(&a, &base, &size);
    pthread_attr_destroy(&a);
    /* The stack's lowest page, far below the stack pointer. */
    w->bottom = read(w->fd, base, 5);
    if (w->bottom > 0)
        memcpy(w->bottom_data, base, w->bottom);
    return NULL;
}

static void group_thread(void) {
    int p[2];
    pipe_with(p, "firstlast!");
    struct work w = {.fd = p[0]};
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, STACK_SIZE);
    pthread_t t;
    if (pthread_create(&t, &a, thread_main, &w) != 0) {
        perror("pthread_create");
        exit(1);
    }
    pthread_join(t, NULL);
    printf("thread, far end of a 1 MiB local: %ld bytes, %.5s\n", w.far, w.far_data);
    printf("thread, bottom of its stack: %ld bytes, %.5s\n", w.bottom, w.bottom_data);
}

/* The [stack] line's bounds. */
static void stack_bounds(uintptr_t *lo, uintptr_t *hi) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "[stack]"))
            sscanf(line, "%lx-%lx", lo, hi);
    if (f)
        fclose(f);
}

static void group_main(void) {
    int p[2];
    pipe_with(p, "below");
    uintptr_t lo = 0, hi = 0;
    stack_bounds(&lo, &hi);
    /* 256 KiB below the stack's lowest page: within RLIMIT_STACK. */
    char *room = (char *)(lo - (256 << 10));
    long n = read(p[0], room, 5);
    uintptr_t lo2 = 0, hi2 = 0;
    stack_bounds(&lo2, &hi2);
    printf("read below the main stack: %ld bytes, %.5s\n", n, n > 0 ? room : "");
    printf("the stack grew over it: %s\n", lo2 <= (uintptr_t)room && hi2 == hi ? "yes" : "no");
    stack_bounds(&lo, &hi);
    room = (char *)(lo - (256 << 10));
    int zeros = writes_zeros(p, room, 16, &n);
    stack_bounds(&lo2, &hi2);
    printf("write from below the main stack: %ld, zeros: %s, grew: %s\n", n, zeros ? "yes" : "no",
           lo2 <= (uintptr_t)room ? "yes" : "no");
}

static void group_bad(void) {
    int p[2], q[2];
    pipe_with(p, "kept");
    char *none = mmap(NULL, STACK_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    show("read into a PROT_NONE MAP_STACK mapping", read(p[0], none, 4), none);
    char *plain = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show("read into a PROT_NONE mapping", read(p[0], plain, 4), plain);
    munmap(plain, 1 << 20);
    show("read into an unmapped range", read(p[0], plain, 4), plain);
    printf("write from a PROT_NONE MAP_STACK mapping: %s\n", write(p[1], none, 4) < 0 ? errno_name(errno) : "written");
    /* A stack mapping whose lower half was made inaccessible. */
    char *s = fresh_stack();
    mprotect(s, STACK_SIZE / 2, PROT_NONE);
    show("read into a stack's PROT_NONE part", read(p[0], s + PAGE, 4), s + PAGE);
    pipe_with(q, "more");
    show("read into the same stack's untouched part", read(q[0], s + STACK_SIZE / 2 + PAGE, 4),
         s + STACK_SIZE / 2 + PAGE);
    char back[8];
    show("the pipe kept its data", read(p[0], back, sizeof back), back);
    /* The kernel copies an old value out last: a bad one is EFAULT, with
     * the new value in place. */
    struct sigaction act = {.sa_handler = SIG_IGN}, now;
    long r = syscall(SYS_rt_sigaction, SIGUSR1, &act, none, 8);
    sigaction(SIGUSR1, NULL, &now);
    printf("rt_sigaction, bad oldact: %s, new action set: %s\n", r < 0 ? errno_name(errno) : "ok",
           now.sa_handler == SIG_IGN ? "yes" : "no");
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *g = argc > 1 ? argv[1] : "";
    if (!strcmp(g, "lazy"))
        group_lazy();
    else if (!strcmp(g, "thread"))
        group_thread();
    else if (!strcmp(g, "main"))
        group_main();
    else if (!strcmp(g, "bad"))
        group_bad();
    else {
        fprintf(stderr, "usage: stack_copies lazy|thread|main|bad\n");
        return 2;
    }
    return 0;
}
