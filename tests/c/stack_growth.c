/*
 * The main thread's stack grows down on demand, as Linux's: `stack_growth
 * GROUP` prints one line per check, the same natively and under husk.
 *
 *   grow     deep recursion grows the stack (VmStk follows), and the
 *            stack mapping in /proc/self/maps is one VMA as Linux's
 *   limit    past RLIMIT_STACK the touch faults (SIGSEGV, caught on an
 *            alternate stack); within it, it does not
 *   gap      the stack stops a guard gap above a mapping below it
 *   syscall  a syscall's buffer in a stack frame never touched is
 *            filled (the kernel grows the stack for its copy), and a
 *            signal frame lands below a fresh deep frame
 *   threads  the same on threads' stacks (glibc maps them with
 *            MAP_STACK); a thread stack is one mapping in maps; reused
 *            stacks, fork from a thread, mprotect of a thread stack
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "husk_test.h"

static long vm_stk_kb(void) {
    const char *v = proc_status_field("/proc/self/status", "VmStk");
    return *v ? atol(v) : -1;
}

/* The [stack] line's bounds and how many [stack] lines there are. */
static int stack_bounds(uintptr_t *lo, uintptr_t *hi) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "[stack]")) {
            sscanf(line, "%lx-%lx", lo, hi);
            n++;
        }
    if (f)
        fclose(f);
    return n;
}

/* Uses about `kb` KiB of stack, touching each frame. */
static __attribute__((noinline)) long recurse(long kb) {
    volatile char frame[1024];
    frame[0] = (char)kb;
    frame[sizeof frame - 1] = 1;
    if (kb <= 1)
        return frame[0];
    return recurse(kb - 1) + frame[sizeof frame - 1];
}

static void group_grow(void) {
    long before = vm_stk_kb();
    uintptr_t lo0 = 0, hi0 = 0, lo = 0, hi = 0;
    stack_bounds(&lo0, &hi0);
    recurse(4096);
    long after = vm_stk_kb();
    int lines = stack_bounds(&lo, &hi);
    printf("starts small: %s\n", before > 0 && before < 1024 ? "yes" : "no");
    printf("grew past 4 MiB: %s\n", after >= 4096 ? "yes" : "no");
    printf("grew down, same top: %s\n", lo < lo0 && hi == hi0 ? "yes" : "no");
    printf("one stack line: %d\n", lines);
    printf("VmStk is the mapping: %s\n", (hi - lo) / 1024 == (uintptr_t)after ? "yes" : "no");
}

static sigjmp_buf escape;
static void on_segv(int sig) {
    (void)sig;
    siglongjmp(escape, 1);
}

/* In a child: recursing `kb` KiB under a 1 MiB RLIMIT_STACK; 0 if it
 * returned, 1 if it faulted. */
static int overflows(long kb) {
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {1 << 20, 1 << 20};
        setrlimit(RLIMIT_STACK, &rl);
        static char alt[64 << 10];
        stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
        sigaltstack(&ss, NULL);
        struct sigaction sa = {.sa_handler = on_segv, .sa_flags = SA_ONSTACK};
        sigaction(SIGSEGV, &sa, NULL);
        if (sigsetjmp(escape, 1))
            _exit(1);
        recurse(kb);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static void group_limit(void) {
    printf("512 KiB under a 1 MiB limit: %s\n", overflows(512) ? "faults" : "fits");
    printf("2 MiB under a 1 MiB limit: %s\n", overflows(2048) ? "faults" : "fits");
}

static void group_gap(void) {
    uintptr_t lo = 0, hi = 0;
    stack_bounds(&lo, &hi);
    /* A page 2 MiB below the stack: with Linux's 1 MiB guard gap the stack
     * may grow by about 1 MiB, not by 1.5. */
    void *below = mmap((void *)(lo - (2 << 20)), 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                       -1, 0);
    printf("page below: %s\n", below == MAP_FAILED ? errno_name(errno) : "mapped");
    pid_t pid = fork();
    if (pid == 0) {
        static char alt[64 << 10];
        stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
        sigaltstack(&ss, NULL);
        struct sigaction sa = {.sa_handler = on_segv, .sa_flags = SA_ONSTACK};
        sigaction(SIGSEGV, &sa, NULL);
        if (sigsetjmp(escape, 1)) {
            printf("1.5 MiB: faults\n");
            _exit(0);
        }
        recurse(512);
        printf("512 KiB: fits\n");
        fflush(stdout);
        recurse(1536);
        printf("1.5 MiB: fits\n");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

static volatile int handled;
static void on_usr1(int sig) {
    volatile char local[256];
    local[0] = (char)sig;
    handled = local[0];
}

/* A frame of 512 KiB never touched below the caller: read(2) fills its
 * lowest bytes through a raw syscall (no call pushes on the stack first). */
static __attribute__((noinline)) long read_into_deep_frame(int fd) {
    char buf[512 << 10];
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "0"(SYS_read), "D"(fd), "S"(buf), "d"(5L) : "rcx", "r11", "memory");
    if (ret != 5)
        return ret;
    return memcmp(buf, "hello", 5) == 0 ? 5 : -1;
}

static __attribute__((noinline)) int signal_in_deep_frame(void) {
    volatile char buf[256 << 10];
    buf[sizeof buf - 1] = 0;
    raise(SIGUSR1);
    return handled == SIGUSR1 && buf[sizeof buf - 1] == 0;
}

static void group_syscall(void) {
    int p[2];
    if (pipe(p) != 0)
        return;
    if (write(p[1], "hello", 5) != 5)
        return;
    printf("read into an untouched frame: %ld\n", read_into_deep_frame(p[0]));
    signal(SIGUSR1, on_usr1);
    printf("signal below a deep frame: %s\n", signal_in_deep_frame() ? "handled" : "lost");
}

/* What one thread does: deep recursion, a raw read into a deep frame, a
 * signal below a deep frame. */
static void *thread_work(void *arg) {
    int *p = arg;
    long ok = recurse(2048) > 0;
    ok &= read_into_deep_frame(p[0]) == 5;
    ok &= signal_in_deep_frame();
    return (void *)ok;
}

/* The lines of /proc/self/maps within [lo, hi). */
static int maps_lines_in(uintptr_t lo, uintptr_t hi) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int n = 0;
    uintptr_t s, e;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s >= lo && e <= hi)
            n++;
    if (f)
        fclose(f);
    return n;
}

/* The calling thread's stack (without its guard page). */
static void own_stack(void **base, size_t *size) {
    pthread_attr_t a;
    pthread_getattr_np(pthread_self(), &a);
    pthread_attr_getstack(&a, base, size);
    pthread_attr_destroy(&a);
}

static void *report_own_stack(void *arg) {
    void *base = NULL;
    size_t size = 0;
    own_stack(&base, &size);
    uintptr_t lo = (uintptr_t)base, hi = lo + size;
    /* The stack (without its guard page) is one read-write mapping. */
    *(int *)arg = maps_lines_in(lo, hi);
    return NULL;
}

static void *fork_from_thread(void *arg) {
    (void)arg;
    pid_t pid = fork();
    if (pid == 0)
        _exit(recurse(1024) > 0 ? 0 : 1);
    int st = 0;
    waitpid(pid, &st, 0);
    return (void *)(long)(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void *protect_own_stack(void *arg) {
    (void)arg;
    void *base = NULL;
    size_t size = 0;
    own_stack(&base, &size);
    /* The bottom MiB, never touched: read-only, then writable again. */
    long ok = mprotect(base, 1 << 20, PROT_READ) == 0;
    ok &= ((volatile char *)base)[100] == 0;
    ok &= mprotect(base, 1 << 20, PROT_READ | PROT_WRITE) == 0;
    ((volatile char *)base)[200] = 1;
    ok &= recurse(4096) > 0;
    return (void *)ok;
}

static void group_threads(void) {
    int p[2];
    if (pipe(p) != 0)
        return;
    signal(SIGUSR1, on_usr1);
    pthread_t t[6];
    for (int i = 0; i < 6; i++) {
        if (write(p[1], "hello", 5) != 5)
            return;
        pthread_create(&t[i], NULL, thread_work, p);
    }
    long ok = 1;
    for (int i = 0; i < 6; i++) {
        void *r;
        pthread_join(t[i], &r);
        ok &= (long)r;
    }
    printf("six threads, deep frames: %s\n", ok ? "ok" : "failed");
    /* Stacks glibc keeps and hands to the next threads. */
    ok = 1;
    for (int i = 0; i < 12; i++) {
        pthread_t one;
        void *r;
        if (write(p[1], "hello", 5) != 5)
            return;
        pthread_create(&one, NULL, thread_work, p);
        pthread_join(one, &r);
        ok &= (long)r;
    }
    printf("reused stacks: %s\n", ok ? "ok" : "failed");
    int lines = 0;
    pthread_t one;
    pthread_create(&one, NULL, report_own_stack, &lines);
    pthread_join(one, NULL);
    printf("a thread stack's maps lines: %d\n", lines);
    void *r;
    pthread_create(&one, NULL, fork_from_thread, NULL);
    pthread_join(one, &r);
    printf("fork from a thread: %s\n", (long)r ? "ok" : "failed");
    pthread_create(&one, NULL, protect_own_stack, NULL);
    pthread_join(one, &r);
    printf("mprotect of a thread stack: %s\n", (long)r ? "ok" : "failed");
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *g = argc > 1 ? argv[1] : "";
    if (!strcmp(g, "grow"))
        group_grow();
    else if (!strcmp(g, "limit"))
        group_limit();
    else if (!strcmp(g, "gap"))
        group_gap();
    else if (!strcmp(g, "syscall"))
        group_syscall();
    else if (!strcmp(g, "threads"))
        group_threads();
    else {
        fprintf(stderr, "usage: stack_growth grow|limit|gap|syscall|threads\n");
        return 2;
    }
    return 0;
}
