/*
 * NUMA memory policies on a machine with one node (0), as this host and
 * the sandbox have: set_mempolicy and mbind validate their arguments as
 * Linux does and get_mempolicy reports back what was set, for the thread
 * and for a range of memory. numactl and libnuma (OpenMP runtimes, JVMs,
 * databases) set them.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>

#include "husk_test.h"

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_PREFERRED_MANY 5
#define MPOL_WEIGHTED_INTERLEAVE 6
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_MF_STRICT 1
#define MPOL_MF_MOVE 2
#define MPOL_MF_MOVE_ALL 4

static long set_pol(int mode, unsigned long *mask, unsigned long maxnode) {
    return syscall(SYS_set_mempolicy, mode, mask, maxnode);
}

static long get_pol(int *mode, unsigned long *mask, unsigned long maxnode, void *addr, unsigned long flags) {
    return syscall(SYS_get_mempolicy, mode, mask, maxnode, addr, flags);
}

static long mbind_(void *p, unsigned long len, int mode, unsigned long *mask, unsigned long maxnode, unsigned flags) {
    return syscall(SYS_mbind, p, len, mode, mask, maxnode, flags);
}

/* The thread's policy: "mode/mask" */
static const char *shown(void) {
    static char buf[64];
    int mode = -1;
    unsigned long mask[2] = {~0UL, ~0UL};
    if (get_pol(&mode, mask, 128, NULL, 0) < 0)
        return errno_name(errno);
    snprintf(buf, sizeof buf, "%#x/%#lx", mode, mask[0]);
    return buf;
}

static void *thread_policy(void *arg) {
    (void)arg;
    return (void *)(long)(strcmp(shown(), "0x2/0x1") == 0);
}

static int child_policy(void) { return strcmp(shown(), "0x3/0x1") == 0 ? 0 : 1; }

static void g_set_mempolicy(void) {
    unsigned long node0 = 1, node1 = 2, both = 3, none = 0;
    expect("default", strcmp(shown(), "0/0") == 0, "%s", shown());
    EXPECT_OK("bind", set_pol(MPOL_BIND, &node0, 2));
    expect("bind-shown", strcmp(shown(), "0x2/0x1") == 0, "%s", shown());
    pthread_t th;
    void *r = NULL;
    pthread_create(&th, NULL, thread_policy, NULL);
    pthread_join(th, &r);
    expect("thread-inherits", r == (void *)1, "no");
    EXPECT_OK("interleave", set_pol(MPOL_INTERLEAVE, &both, 3));
    expect("interleave-shown", strcmp(shown(), "0x3/0x1") == 0, "%s", shown());
    fflush(stdout);
    pid_t c = fork();
    if (c == 0)
        _exit(child_policy());
    expect("fork-inherits", strcmp(wait_text(c), "exited 0") == 0, "no");
    int node = -1;
    EXPECT_OK("next-interleave-node", get_pol(&node, NULL, 0, NULL, MPOL_F_NODE));
    expect("next-node-0", node == 0, "%d", node);
    EXPECT_OK("preferred-empty-is-local", set_pol(MPOL_PREFERRED, &none, 2));
    expect("local-shown", strcmp(shown(), "0x4/0") == 0, "%s", shown());
    EXPECT_ERR("node-without-interleave", get_pol(&node, NULL, 0, NULL, MPOL_F_NODE), EINVAL);
    EXPECT_OK("preferred-static", set_pol(MPOL_PREFERRED | MPOL_F_STATIC_NODES, &both, 3));
    expect("static-shows-user-mask", strcmp(shown(), "0x8001/0x3") == 0, "%s", shown());
    EXPECT_OK("relative-node1", set_pol(MPOL_BIND | MPOL_F_RELATIVE_NODES, &node1, 3));
    expect("relative-shown", strcmp(shown(), "0x4002/0x2") == 0, "%s", shown());
    EXPECT_OK("weighted", set_pol(MPOL_WEIGHTED_INTERLEAVE, &node0, 2));
    EXPECT_OK("preferred-many", set_pol(MPOL_PREFERRED_MANY, &node0, 2));
    EXPECT_OK("balancing-bind", set_pol(MPOL_BIND | MPOL_F_NUMA_BALANCING, &node0, 2));
    expect("balancing-shown", strcmp(shown(), "0x2002/0x1") == 0, "%s", shown());
    EXPECT_OK("local", set_pol(MPOL_LOCAL, NULL, 0));
    EXPECT_OK("default-again", set_pol(MPOL_DEFAULT, NULL, 0));
    expect("default-shown", strcmp(shown(), "0/0") == 0, "%s", shown());
    EXPECT_ERR("bad-mode", set_pol(7, &node0, 2), EINVAL);
    EXPECT_ERR("bad-mode-flags", set_pol(MPOL_BIND | 1 << 12, &node0, 2), EINVAL);
    EXPECT_ERR("static-and-relative", set_pol(MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES, &node0, 2),
               EINVAL);
    EXPECT_ERR("balancing-interleave", set_pol(MPOL_INTERLEAVE | MPOL_F_NUMA_BALANCING, &node0, 2), EINVAL);
    EXPECT_ERR("bind-empty", set_pol(MPOL_BIND, &none, 2), EINVAL);
    EXPECT_ERR("bind-maxnode-1-reads-nothing", set_pol(MPOL_BIND, &node0, 1), EINVAL);
    EXPECT_ERR("bind-offline-node", set_pol(MPOL_BIND, &node1, 3), EINVAL);
    EXPECT_ERR("default-with-nodes", set_pol(MPOL_DEFAULT, &node0, 2), EINVAL);
    EXPECT_ERR("local-with-nodes", set_pol(MPOL_LOCAL, &node0, 2), EINVAL);
    EXPECT_ERR("preferred-empty-static", set_pol(MPOL_PREFERRED | MPOL_F_STATIC_NODES, &none, 2), EINVAL);
    EXPECT_ERR("mask-fault", set_pol(MPOL_BIND, (unsigned long *)8, 2), EFAULT);
    EXPECT_ERR("huge-maxnode", set_pol(MPOL_BIND, &node0, 1UL << 20), EINVAL);
    /* Bits past the kernel's nodes must be clear; beyond a page, EINVAL. */
    static unsigned long big[512];
    big[0] = 1;
    EXPECT_OK("long-mask", set_pol(MPOL_BIND, big, 512 * 64));
    big[511] = 1UL << 62;
    EXPECT_ERR("long-mask-high-bit", set_pol(MPOL_BIND, big, 512 * 64), EINVAL);
    EXPECT_OK("high-word-past-maxnode", set_pol(MPOL_BIND, big, 511 * 64 + 1));
    /* Linux checks whole words from the end, even past maxnode's bit. */
    EXPECT_ERR("whole-last-word-checked", set_pol(MPOL_BIND, big, 511 * 64 + 2), EINVAL);
    big[511] = 0;
    big[0] = 1UL << 5;
    EXPECT_ERR("only-offline-node", set_pol(MPOL_BIND, big, 512 * 64), EINVAL);
    big[0] = 1 | 1UL << 5;
    EXPECT_OK("online-and-offline", set_pol(MPOL_BIND, big, 512 * 64));
    expect("offline-dropped", strcmp(shown(), "0x2/0x1") == 0, "%s", shown());
}

static void g_mbind(void) {
    unsigned long node0 = 1, both = 3, none = 0;
    char *p = mmap(NULL, 5 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p + 4 * 4096, 4096);
    int mode = -1;
    unsigned long mask = ~0UL;
    EXPECT_OK("bind-range", mbind_(p + 4096, 4096, MPOL_BIND, &node0, 2, 0));
    EXPECT_OK("get-range", get_pol(&mode, &mask, 64, p + 4096, MPOL_F_ADDR));
    expect("range-bind", mode == MPOL_BIND && mask == 1, "%#x/%#lx", mode, mask);
    EXPECT_OK("get-neighbour", get_pol(&mode, &mask, 64, p, MPOL_F_ADDR));
    expect("neighbour-default", mode == MPOL_DEFAULT && mask == 0, "%#x/%#lx", mode, mask);
    EXPECT_OK("task-policy", set_pol(MPOL_INTERLEAVE, &node0, 2));
    EXPECT_OK("get-neighbour-2", get_pol(&mode, &mask, 64, p + 2 * 4096, MPOL_F_ADDR));
    expect("vma-without-policy-is-default", mode == MPOL_DEFAULT, "%#x", mode);
    EXPECT_OK("interleave-static", mbind_(p + 2 * 4096, 4096, MPOL_INTERLEAVE | MPOL_F_STATIC_NODES, &both, 3, 0));
    get_pol(&mode, &mask, 64, p + 2 * 4096, MPOL_F_ADDR);
    expect("range-interleave", mode == (MPOL_INTERLEAVE | MPOL_F_STATIC_NODES) && mask == 3, "%#x/%#lx", mode, mask);
    EXPECT_OK("default-range", mbind_(p + 4096, 4096, MPOL_DEFAULT, NULL, 0, MPOL_MF_STRICT));
    get_pol(&mode, &mask, 64, p + 4096, MPOL_F_ADDR);
    expect("range-default-again", mode == MPOL_DEFAULT, "%#x", mode);
    /* The policy follows the memory: a fork keeps it, unmapping drops it. */
    mbind_(p, 4096, MPOL_PREFERRED, &node0, 2, 0);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        get_pol(&mode, &mask, 64, p, MPOL_F_ADDR);
        _exit(mode);
    }
    expect("fork-keeps", strcmp(wait_text(c), "exited 1") == 0, "no");
    munmap(p, 4096);
    mmap(p, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    get_pol(&mode, &mask, 64, p, MPOL_F_ADDR);
    expect("new-mapping-default", mode == MPOL_DEFAULT, "%#x", mode);
    /* mremap moves it along, onto the grown part too. */
    char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mbind_(q, 4096, MPOL_BIND, &node0, 2, 0);
    char *moved = mremap(q, 4096, 3 * 4096, MREMAP_MAYMOVE);
    mode = -1;
    get_pol(&mode, &mask, 64, moved + 2 * 4096, MPOL_F_ADDR);
    expect("mremap-keeps", moved != MAP_FAILED && mode == MPOL_BIND, "%#x", mode);
    munmap(moved, 3 * 4096);
    EXPECT_OK("zero-len", mbind_(p, 0, MPOL_BIND, &node0, 2, 0));
    EXPECT_OK("zero-len-anywhere", mbind_((void *)4096, 0, MPOL_BIND, &node0, 2, 0));
    EXPECT_ERR("unaligned", mbind_(p + 1, 4096, MPOL_BIND, &node0, 2, 0), EINVAL);
    EXPECT_ERR("bad-flags", mbind_(p, 4096, MPOL_BIND, &node0, 2, 8), EINVAL);
    EXPECT_ERR("bad-mode", mbind_(p, 4096, 9, &node0, 2, 0), EINVAL);
    EXPECT_ERR("empty-bind", mbind_(p, 4096, MPOL_BIND, &none, 2, 0), EINVAL);
    EXPECT_ERR("hole-at-end", mbind_(p + 3 * 4096, 2 * 4096, MPOL_BIND, &node0, 2, 0), EFAULT);
    EXPECT_ERR("unmapped", mbind_(p + 4 * 4096, 4096, MPOL_BIND, &node0, 2, 0), EFAULT);
    EXPECT_ERR("wraps", mbind_(p, -4096UL * 2, MPOL_BIND, &node0, 2, 0), EINVAL);
    EXPECT_OK("move", mbind_(p + 4096, 4096, MPOL_BIND, &node0, 2, MPOL_MF_MOVE | MPOL_MF_STRICT));
    /* MPOL_MF_MOVE_ALL needs CAP_SYS_NICE. */
    EXPECT_OK("move-all-root", mbind_(p + 4096, 4096, MPOL_BIND, &node0, 2, MPOL_MF_MOVE_ALL));
    alone_as(1000);
    EXPECT_ERR("move-all-user", mbind_(p + 4096, 4096, MPOL_BIND, &node0, 2, MPOL_MF_MOVE_ALL), EPERM);
}

static const struct test_group groups[] = {
    {"set_mempolicy", g_set_mempolicy},
    {"mbind", g_mbind},
};

int main(int argc, char **argv) { return RUN_GROUPS(argc, argv, groups); }
