/*
 * aslr: where exec puts a program's stack, heap and mmap area, compared
 * between two runs: different each time (randomize_va_space 2), the same
 * with ADDR_NO_RANDOMIZE in the personality. Every check prints "name: ok"
 * natively and under husk.
 *
 * Usage: aslr GROUP   (groups: random fixed)
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>

/* What one run prints: stack, heap start, an mmap, the code. */
static int addrs(void) {
    int local;
    void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("%p %p %p %p\n", (void *)&local, sbrk(0), m, (void *)&addrs);
    return 0;
}

/* Runs this program again with "addrs" and reads its line into `out`. */
static void run_once(char *out, size_t n) {
    int p[2];
    out[0] = 0;
    if (pipe(p) != 0)
        return;
    pid_t c = xfork();
    if (c == 0) {
        dup2(p[1], 1);
        execl("/proc/self/exe", "aslr", "addrs", NULL);
        _exit(127);
    }
    close(p[1]);
    ssize_t r = read(p[0], out, n - 1);
    out[r > 0 ? r : 0] = 0;
    close(p[0]);
    waitpid(c, NULL, 0);
}

static void compare(int want_same) {
    char a[256], b[256];
    run_once(a, sizeof a);
    run_once(b, sizeof b);
    void *sa, *ha, *ma, *ca, *sb, *hb, *mb, *cb;
    int ok = sscanf(a, "%p %p %p %p", &sa, &ha, &ma, &ca) == 4 && sscanf(b, "%p %p %p %p", &sb, &hb, &mb, &cb) == 4;
    expect("ran", ok, "%s | %s", a, b);
    if (want_same) {
        expect("stack-same", sa == sb, "%p %p", sa, sb);
        expect("heap-same", ha == hb, "%p %p", ha, hb);
        expect("mmap-same", ma == mb, "%p %p", ma, mb);
    } else {
        expect("stack-differs", sa != sb, "%p", sa);
        expect("heap-differs", ha != hb, "%p", ha);
        expect("mmap-differs", ma != mb, "%p", ma);
    }
    /* A static executable (ET_EXEC) is linked at a fixed address. */
    expect("code-fixed", ca == cb, "%p %p", ca, cb);
}

static void g_random(void) {
    FILE *f = fopen("/proc/sys/kernel/randomize_va_space", "r");
    int v = -1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -1;
        fclose(f);
    }
    expect("randomize-va-space-2", v == 2, "%d", v);
    compare(0);
}

static void g_fixed(void) {
    int old = personality(0xffffffff);
    expect("set-no-randomize", personality(old | ADDR_NO_RANDOMIZE) == old, "x");
    compare(1);
}

static const struct test_group groups[] = {{"random", g_random}, {"fixed", g_fixed}};

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "addrs") == 0)
        return addrs();
    return RUN_GROUPS(argc, argv, groups);
}
