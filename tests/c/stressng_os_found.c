/*
 * Kernel behaviours of memory, signals, timers and scheduling that
 * stress-ng's VM, MEMORY, INTERRUPT and SCHEDULER stressors rely on and
 * husk once got wrong: each stressor was run natively and under `husk do`,
 * and each group here is the smallest reproduction of one divergence found
 * (the stressor is named in the group's comment).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "husk_test.h"

/* mmap of /dev/zero (bad-altstack maps it read-only as its bad stack).
 * Linux's mmap_zero makes a private mapping anonymous memory and a shared
 * one a new shared anonymous object (a child's writes show in the parent);
 * the usual access checks come first; /dev/null and /dev/full have no
 * mmap (ENODEV). */
static void g_dev_zero_mmap(void) {
    int ro = open("/dev/zero", O_RDONLY);
    char *p = mmap(NULL, 65536, PROT_READ, MAP_PRIVATE, ro, 0);
    report_map("private-readonly", p);
    if (p != MAP_FAILED) {
        check("private-reads-zero", p[0] == 0 && p[65535] == 0);
        munmap(p, 65536);
    }
    p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 4096);
    report_map("private-writable-from-readonly-fd", p);
    if (p != MAP_FAILED) {
        p[0] = 7;
        check("private-written", p[0] == 7 && p[1] == 0);
        munmap(p, 8192);
    }
    report_map("shared-writable-readonly-fd", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
    close(ro);

    int rw = open("/dev/zero", O_RDWR);
    volatile int *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
    report_map("shared-rw", (void *)s);
    if (s != MAP_FAILED) {
        pid_t pid = xfork();
        if (pid == 0) {
            s[1] = 42;
            _exit(0);
        }
        printf("child: %s\n", wait_text(pid));
        check("shared-seen-by-parent", s[1] == 42);
        munmap((void *)s, 4096);
    }
    volatile int *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, rw, 0);
    if (q != MAP_FAILED) {
        pid_t pid = xfork();
        if (pid == 0) {
            q[1] = 42;
            _exit(0);
        }
        printf("private-child: %s\n", wait_text(pid));
        check("private-not-seen-by-parent", q[1] == 0);
        munmap((void *)q, 4096);
    }
    close(rw);

    int wo = open("/dev/zero", O_WRONLY);
    report_map("writeonly-fd", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, wo, 0));
    close(wo);
    int null = open("/dev/null", O_RDWR);
    report_map("dev-null", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, null, 0));
    close(null);
    int full = open("/dev/full", O_RDWR);
    report_map("dev-full", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, full, 0));
    close(full);
}

static const struct test_group groups[] = {
    {"dev_zero_mmap", g_dev_zero_mmap},
};

int main(int argc, char **argv) { return RUN_GROUPS(argc, argv, groups); }
