/*
 * Kernel behaviours a second sweep of everyday tools (util-linux, procps,
 * coreutils, python3, perl) found husk getting wrong: each tool was run
 * natively and under `husk do`, and each group here is the smallest
 * reproduction of one divergence (the tool is named in the group's
 * comment). Scratch files live in /dev/shm, a tmpfs both natively and in
 * the sandbox.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "husk_test.h"

#define PG 4096UL

/* How many lines of /proc/self/maps start inside [lo, hi). */
static int maps_lines_in(unsigned long lo, unsigned long hi) {
    char *text = slurp("/proc/self/maps");
    int n = 0;
    for (char *l = text; l && *l;) {
        unsigned long start = strtoul(l, NULL, 16);
        if (start >= lo && start < hi)
            n++;
        char *nl = strchr(l, '\n');
        l = nl ? nl + 1 : NULL;
    }
    return n;
}

/* A private mapping once writable keeps VM_ACCOUNT when made read-only, so
 * it is no longer one VMA with a never-writable neighbour of the same file
 * at the next offset: pmap and /proc/<pid>/maps show the RELRO page of
 * every dynamic program (ld.so maps the data segment rw-, then mprotects
 * its start r--) apart from the rodata before it. An anonymous mapping
 * made read-only before any write loses the mark (no anon_vma yet). */
static void g_relro_split(void) {
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/husk-wl2-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    unlink(path);
    if (fd < 0 || ftruncate(fd, 4 * PG) < 0)
        printf("scratch: %s\n", errno_name(errno));
    char *a = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* Pages 0-1 read-only; page 2 read-write, written, then read-only. */
    report_map("ro", mmap(a, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0));
    report_map("rw", mmap(a + 2 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 2 * PG));
    a[2 * PG] = 1;
    EXPECT_OK("relro", mprotect(a + 2 * PG, PG, PROT_READ));
    expect("relro-apart", maps_lines_in((unsigned long)a, (unsigned long)a + 3 * PG) == 2, "%d",
           maps_lines_in((unsigned long)a, (unsigned long)a + 3 * PG));
    /* Mapped read-only at once, the same page joins its neighbour. */
    report_map("ro-again", mmap(a + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 2 * PG));
    expect("never-writable-joins", maps_lines_in((unsigned long)a, (unsigned long)a + 3 * PG) == 1, "%d",
           maps_lines_in((unsigned long)a, (unsigned long)a + 3 * PG));
    /* Made writable by mprotect, then read-only again: apart once more. */
    EXPECT_OK("to-rw", mprotect(a + 2 * PG, PG, PROT_READ | PROT_WRITE));
    EXPECT_OK("back-to-ro", mprotect(a + 2 * PG, PG, PROT_READ));
    expect("mprotect-writable-apart", maps_lines_in((unsigned long)a, (unsigned long)a + 3 * PG) == 2, "%d",
           maps_lines_in((unsigned long)a, (unsigned long)a + 3 * PG));
    munmap(a, 4 * PG);
    close(fd);
    /* Anonymous, never written: read-only joins a read-only neighbour. */
    char *b = mmap(NULL, 3 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report_map("anon-rw", mmap(b + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    EXPECT_OK("anon-ro", mprotect(b + PG, PG, PROT_READ));
    expect("untouched-anon-joins", maps_lines_in((unsigned long)b, (unsigned long)b + 3 * PG) == 1, "%d",
           maps_lines_in((unsigned long)b, (unsigned long)b + 3 * PG));
    munmap(b, 3 * PG);
}

/* Touches `mb` MiB of fresh memory. */
static void touch_mb(int mb) {
    char *p = mmap(NULL, (size_t)mb << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < (size_t)mb << 20; i += PG)
        p[i] = 1;
}

/* getrusage(RUSAGE_CHILDREN) and wait4's rusage report the peak resident
 * set of reaped children (and of their reaped children): python3's
 * resource.getrusage(RUSAGE_CHILDREN).ru_maxrss after a subprocess was 0. */
static void g_children_maxrss(void) {
    struct rusage ru;
    pid_t pid = xfork();
    if (pid == 0) {
        touch_mb(24);
        _exit(0);
    }
    int st;
    EXPECT_OK("wait-child", wait4(pid, &st, 0, &ru));
    expect("wait4-maxrss", ru.ru_maxrss >= 24 * 1024, "%ld", ru.ru_maxrss);
    EXPECT_OK("children", getrusage(RUSAGE_CHILDREN, &ru));
    expect("children-maxrss", ru.ru_maxrss >= 24 * 1024, "%ld", ru.ru_maxrss);
    /* A grandchild's peak reaches the child's wait4 and the parent's
     * RUSAGE_CHILDREN through the child (Linux's cmaxrss). */
    pid = xfork();
    if (pid == 0) {
        pid_t g = xfork();
        if (g == 0) {
            touch_mb(48);
            _exit(0);
        }
        waitpid(g, NULL, 0);
        _exit(0);
    }
    EXPECT_OK("wait-middle", wait4(pid, &st, 0, &ru));
    expect("wait4-grandchild-maxrss", ru.ru_maxrss >= 48 * 1024, "%ld", ru.ru_maxrss);
    EXPECT_OK("children-again", getrusage(RUSAGE_CHILDREN, &ru));
    expect("children-grandchild-maxrss", ru.ru_maxrss >= 48 * 1024, "%ld", ru.ru_maxrss);
}

/* mmap checks the length, offset and address before the file: look(1)
 * maps the file it searches with its length, and `look x /dev/null` says
 * EINVAL on Linux for the empty device, where husk said ENODEV. */
static void g_mmap_check_order(void) {
    int null = open("/dev/null", O_RDONLY);
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/husk-wl2-wo-%d", (int)getpid());
    int wo = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    unlink(path);
    EXPECT_ERR("null-zero-length", (long)mmap(NULL, 0, PROT_READ, MAP_SHARED, null, 0), EINVAL);
    EXPECT_ERR("null-page", (long)mmap(NULL, PG, PROT_READ, MAP_SHARED, null, 0), ENODEV);
    EXPECT_ERR("null-bad-offset", (long)mmap(NULL, PG, PROT_READ, MAP_SHARED, null, 1), EINVAL);
    EXPECT_ERR("writeonly-zero-length", (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE, wo, 0), EINVAL);
    EXPECT_ERR("writeonly-page", (long)mmap(NULL, PG, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
    char *here = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_ERR("writeonly-noreplace", (long)mmap(here, PG, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, wo, 0),
               EEXIST);
    EXPECT_ERR("null-noreplace", (long)mmap(here, PG, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, null, 0), EEXIST);
    munmap(here, PG);
    close(null);
    close(wo);
}

static const struct test_group groups[] = {
    {"relro_split", g_relro_split},
    {"children_maxrss", g_children_maxrss},
    {"mmap_check_order", g_mmap_check_order},
};

int main(int argc, char **argv) { return RUN_GROUPS(argc, argv, groups); }
