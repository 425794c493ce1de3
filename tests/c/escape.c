/*
 * Attempts to get past husk's sentry. Run under husk only (natively most of
 * these checks do not hold, and some create files on the host).
 *
 *   escape main TAG      raw `syscall` and `int $0x80` opens of
 *                        /tmp/husk-escape-TAG-{syscall,int80}, then attacks
 *                        on the sentry stub's address range; one line per check
 *   escape sysenter TAG  a `sysenter` open of /tmp/husk-escape-TAG-sysenter;
 *                        reports the signal it died of, if it can catch it
 *   escape write-stub    writes to the stub's first byte: must die of SIGSEGV
 *   escape stub-jump TAG jumps to every `syscall` instruction of the stub
 *                        with an open of /tmp/husk-escape-TAG-stubjump in
 *                        the registers, one child process per site
 *   escape scribble      a child scribbles over the context region below
 *                        the stub (systrap's slots), then makes syscalls
 *
 * The Rust test (tests/do_escape.rs) checks the output and that no file
 * named /tmp/husk-escape-TAG-* appeared on the host.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Where husk keeps its stub code (64 KiB); the app's address space ends here. */
#define STUB_ADDR 0x7ffbfc000000UL
#define STUB_SIZE 0x10000UL
/* End of the range husk reserves above the stub. */
#define RESERVED_END 0x7ffffffff000UL
#define PAGE 4096UL

/* systrap's context region: 64 MiB below the stub, 64 KiB slots. */
#define CTX_ADDR (STUB_ADDR - 0x4000000UL)
#define SLOT 0x10000UL

/* The i386 syscall number of open(2). */
#define I386_NR_OPEN 5

static long raw_syscall3(long nr, long a, long b, long c) {
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return ret;
}

static long raw_int80_3(long nr, long b, long c, long d) {
    long ret;
    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"(nr), "b"(b), "c"(c), "d"(d)
                     : "r8", "r9", "r10", "r11", "memory");
    return ret;
}

/* A page below 4 GiB (i386 syscalls see 32-bit pointers only). */
static char *low_page(void) {
    static char fallback[2 * PAGE] __attribute__((aligned(4096)));
    char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (p != MAP_FAILED && (uintptr_t)p + PAGE <= 0x100000000UL)
        return p;
    /* A non-PIE static binary's data lives below 4 GiB too. */
    return fallback;
}

static void escape_path(char *dst, size_t n, const char *tag,
                        const char *vector) {
    snprintf(dst, n, "/tmp/husk-escape-%s-%s", tag, vector);
}

/* Prints the result of a 32-bit syscall: "opened" or the errno name. */
static void report_compat(const char *name, long ret) {
    int r = (int)ret;
    if (r >= 0)
        printf("%s: opened\n", name);
    else
        printf("%s: %s\n", name, errno_name(-r));
}

static int main_checks(const char *tag) {
    char path[256];

    /* (a) A raw 64-bit syscall instruction: served by the sandbox. */
    escape_path(path, sizeof path, tag, "syscall");
    long fd = raw_syscall3(SYS_open, (long)path, O_CREAT | O_WRONLY, 0644);
    report_raw("syscall-open", fd);
    if (fd >= 0)
        close((int)fd);
    report("syscall-open-visible", access(path, F_OK));

    /* (b) int $0x80 with the i386 open: husk serves no 32-bit syscalls. */
    char *low = low_page();
    escape_path(low, PAGE, tag, "int80");
    long r = raw_int80_3(I386_NR_OPEN, (long)(uintptr_t)low,
                         O_CREAT | O_WRONLY, 0644);
    report_compat("int80", r);
    report("int80-visible", access(low, F_OK));

    /* (d) The stub's range is not the application's. */
    report("munmap-stub", munmap((void *)STUB_ADDR, STUB_SIZE));
    report("munmap-stub-first-page", munmap((void *)STUB_ADDR, PAGE));
    report("munmap-stub-overlap",
           munmap((void *)(STUB_ADDR - PAGE), 2 * PAGE));
    report("munmap-above-stub", munmap((void *)(RESERVED_END - PAGE), PAGE));
    report_map("mmap-fixed-stub",
               mmap((void *)STUB_ADDR, PAGE, PROT_READ | PROT_WRITE,
                    MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    report_map("mmap-fixed-overlap",
               mmap((void *)(STUB_ADDR - PAGE), 2 * PAGE,
                    PROT_READ | PROT_WRITE,
                    MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    report("mprotect-stub",
           mprotect((void *)STUB_ADDR, PAGE, PROT_READ | PROT_WRITE));

    /* A hint inside the reserved range must be ignored, not honoured. */
    char *h = mmap((void *)STUB_ADDR, PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h == MAP_FAILED)
        printf("mmap-hint-stub: %s\n", errno_name(errno));
    else
        printf("mmap-hint-stub: %s\n",
               (uintptr_t)h + PAGE <= STUB_ADDR ? "below-stub" : "in-stub");

    /* brk must not grow over the stub either (brk reports failure by
     * returning the unchanged break). */
    long want = (long)(STUB_ADDR + PAGE);
    long got = raw_syscall3(SYS_brk, want, 0, 0);
    printf("brk-stub: %s\n", got == want ? "moved" : "refused");

    /* Moving a mapping onto the stub must fail (errno not checked: only
     * that it did not happen). */
    void *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *moved = mremap(m, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
                         (void *)STUB_ADDR);
    printf("mremap-stub: %s\n", moved == MAP_FAILED ? "refused" : "moved");

    /* Whatever madvise answers, the stub must keep working: the lines
     * after it need syscalls. */
    madvise((void *)STUB_ADDR, STUB_SIZE, MADV_DONTNEED);
    printf("madvise-stub: survived\n");

    printf("done\n");
    return 0;
}

static void on_signal(int sig) {
    const char *msg = sig == SIGSEGV  ? "sysenter: SIGSEGV\n"
                      : sig == SIGILL ? "sysenter: SIGILL\n"
                      : sig == SIGBUS ? "sysenter: SIGBUS\n"
                                      : "sysenter: signal\n";
    write(1, msg, strlen(msg));
    _exit(0);
}

static int sysenter_check(const char *tag) {
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    /* The path and a small stack in low memory. Like the i386 vDSO's
     * __kernel_vsyscall, pass the user stack pointer in %ebp: the kernel's
     * SYSENTER entry takes it from there and reads the sixth argument at
     * it. Natively this opens the file, then faults on the way back (the
     * kernel returns to a 32-bit vDSO landing pad that a 64-bit process does
     * not have). */
    char *low = low_page();
    escape_path(low, 256, tag, "sysenter");
    char *stack_top = low + PAGE - 64;
    long ret;
    __asm__ volatile("mov %%rbp, %%r13\n\t"
                     "mov %%rsp, %%r12\n\t"
                     "mov %[stk], %%rbp\n\t"
                     "mov %[stk], %%rsp\n\t"
                     "sysenter\n\t"
                     "mov %%r12, %%rsp\n\t"
                     "mov %%r13, %%rbp\n\t"
                     : "=a"(ret)
                     : "a"(I386_NR_OPEN), "b"((long)(uintptr_t)low),
                       "c"(O_CREAT | O_WRONLY), "d"(0644),
                       [stk] "r"(stack_top)
                     : "r12", "r13", "r8", "r9", "r10", "r11", "memory");
    printf("sysenter: returned %d\n", (int)ret);
    return 0;
}

/* Jumps to `site` with an openat(AT_FDCWD, path, O_CREAT|O_WRONLY, 0644)
 * in the registers; whatever the stub code does next, the child never
 * comes back. */
static void jump_with_open(unsigned long site, const char *path) {
    __asm__ volatile("mov $0644, %%r10\n\t"
                     "jmp *%[site]"
                     :
                     : [site] "r"(site), "a"((long)SYS_openat), "D"((long)AT_FDCWD),
                       "S"(path), "d"((long)(O_CREAT | O_WRONLY))
                     : "r10", "memory");
}

static int stub_jump(const char *tag) {
    static char path[256];
    escape_path(path, sizeof path, tag, "stubjump");
    const unsigned char *code = (const unsigned char *)STUB_ADDR;
    int sites = 0, stopped = 0;
    for (unsigned long off = 0; off + 1 < PAGE; off++) {
        if (code[off] != 0x0f || code[off + 1] != 0x05)
            continue;
        sites++;
        pid_t pid = fork();
        if (pid == 0) {
            jump_with_open(STUB_ADDR + off, path);
            _exit(0);
        }
        /* The stub code may wait forever (a futex): end it after a while. */
        for (int i = 0; i < 50; i++) {
            if (waitpid(pid, NULL, WNOHANG) == pid) {
                pid = 0;
                break;
            }
            usleep(10000);
        }
        if (pid) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        stopped++;
    }
    printf("stub-jump: %s\n", sites > 0 && stopped == sites ? "all sites tried" : "no sites");
    /* Served by the sandbox: the file exists inside it, not on the host. */
    printf("stub-jump-visible: %s\n", access(path, F_OK) == 0 ? "created" : "ENOENT");
    return 0;
}

static int scribble(void) {
    pid_t pid = fork();
    if (pid == 0) {
        /* Control words, pointers and results of the first slots; the
         * command page is read-only (a fault ends the child). */
        for (unsigned long slot = 0; slot < 8; slot++) {
            volatile unsigned long *w = (volatile unsigned long *)(CTX_ADDR + slot * SLOT);
            for (int i = 0; i < 24; i++)
                w[i] = 0x4141414141414141UL + i;
        }
        printf("scribble: child ok\n");
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    for (int i = 0; i < 500; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            pid = 0;
            break;
        }
        usleep(10000);
    }
    if (pid) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        printf("scribble: child hung\n");
    }
    /* The parent's own process is untouched and the sentry still serves it. */
    printf("scribble: parent ok (getpid %s)\n", getpid() > 0 ? "works" : "fails");
    return 0;
}

int main(int argc, char **argv) {
    line_buffered_stdout();
    if (argc == 3 && strcmp(argv[1], "main") == 0)
        return main_checks(argv[2]);
    if (argc == 3 && strcmp(argv[1], "sysenter") == 0)
        return sysenter_check(argv[2]);
    if (argc == 3 && strcmp(argv[1], "stub-jump") == 0)
        return stub_jump(argv[2]);
    if (argc == 2 && strcmp(argv[1], "scribble") == 0)
        return scribble();
    if (argc == 2 && strcmp(argv[1], "write-stub") == 0) {
        *(volatile unsigned char *)STUB_ADDR = 0xcc;
        printf("write-stub: no fault\n");
        return 0;
    }
    fprintf(stderr, "usage: escape main TAG | sysenter TAG | write-stub | stub-jump TAG | scribble\n");
    return 2;
}
