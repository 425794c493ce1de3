/*
 * Kernel behaviours everyday developer workloads (git, make and gcc, tar
 * and xz, coreutils, sqlite3, perl, python3) rely on that husk once got
 * wrong: each workload was run natively and under `husk do`, and each group
 * here is the smallest reproduction of one divergence found (the workload
 * is named in the group's comment). Scratch files live in /dev/shm, a
 * tmpfs both natively and in the sandbox.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "husk_test.h"

static char shm_a[64], shm_b[64];

/* Two scratch files in /dev/shm: a holds "hello world", b is empty. */
static void make_scratch(void) {
    snprintf(shm_a, sizeof shm_a, "/dev/shm/husk-wl-a-%d", (int)getpid());
    snprintf(shm_b, sizeof shm_b, "/dev/shm/husk-wl-b-%d", (int)getpid());
    int fd = open(shm_a, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "hello world", 11) != 11)
        printf("scratch: %s\n", errno_name(errno));
    close(fd);
    close(open(shm_b, O_RDWR | O_CREAT | O_TRUNC, 0600));
}

static void drop_scratch(void) {
    unlink(shm_a);
    unlink(shm_b);
}

/* fsync of what has no fsync operation. python3's os.fsync on a pipe and
 * script(1)'s fdatasync of its /dev/null typescript get EINVAL on Linux
 * (vfs_fsync_range without f_op->fsync); files of file systems, kernfs
 * attributes and memfds sync. */
static void g_fsync_kinds(void) {
    int null = open("/dev/null", O_WRONLY);
    EXPECT_ERR("null-fsync", fsync(null), EINVAL);
    EXPECT_ERR("null-fdatasync", fdatasync(null), EINVAL);
    close(null);
    int p[2];
    if (pipe(p) < 0)
        printf("pipe: %s\n", errno_name(errno));
    EXPECT_ERR("pipe-fsync", fsync(p[1]), EINVAL);
    close(p[0]);
    close(p[1]);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        printf("socketpair: %s\n", errno_name(errno));
    EXPECT_ERR("socket-fsync", fsync(sv[0]), EINVAL);
    close(sv[0]);
    close(sv[1]);
    int ev = eventfd(0, 0);
    EXPECT_ERR("eventfd-fsync", fsync(ev), EINVAL);
    close(ev);
    int ps = open("/proc/self/status", O_RDONLY);
    EXPECT_ERR("proc-file-fsync", fsync(ps), EINVAL);
    close(ps);
    int pd = open("/proc/self", O_RDONLY | O_DIRECTORY);
    EXPECT_ERR("proc-dir-fsync", fsync(pd), EINVAL);
    close(pd);
    int sd = open("/sys/devices", O_RDONLY | O_DIRECTORY);
    EXPECT_ERR("sysfs-dir-fsync", fsync(sd), EINVAL);
    close(sd);
    int sf = open("/sys/devices/system/cpu/online", O_RDONLY);
    EXPECT_OK("sysfs-file-fsync", fsync(sf));
    close(sf);
    int dir = open("/dev/shm", O_RDONLY | O_DIRECTORY);
    EXPECT_OK("tmpfs-dir-fsync", fsync(dir));
    close(dir);
    make_scratch();
    int f = open(shm_a, O_RDWR);
    EXPECT_OK("tmpfs-file-fsync", fsync(f));
    EXPECT_OK("tmpfs-file-fdatasync", fdatasync(f));
    close(f);
    int m = memfd_create("wl", 0);
    EXPECT_OK("memfd-fsync", fsync(m));
    close(m);
    /* O_SYNC writes to a file without fsync still succeed: only file
     * systems' writes write back. */
    int sync_null = open("/dev/null", O_WRONLY | O_SYNC);
    expect_ret("osync-null-write", write(sync_null, "x", 1), errno, 1, 0);
    close(sync_null);
    int sync_f = open(shm_a, O_WRONLY | O_SYNC | O_APPEND);
    expect_ret("osync-file-write", write(sync_f, "!", 1), errno, 1, 0);
    close(sync_f);
    drop_scratch();
}

/* The generic file ioctls of do_vfs_ioctl. `cp --reflink=always` reports
 * FICLONE's errno ("Operation not supported" on tmpfs and ext4, never
 * "Inappropriate ioctl for device"); FIONREAD, FIGETBSZ and FIOQSIZE serve
 * every regular file. */
static void g_file_ioctls(void) {
    make_scratch();
    int a = open(shm_a, O_RDWR), b = open(shm_b, O_RDWR);
    EXPECT_ERR("ficlone", ioctl(b, FICLONE, a), EOPNOTSUPP);
    EXPECT_ERR("ficlone-self", ioctl(a, FICLONE, a), EOPNOTSUPP);
    EXPECT_ERR("ficlone-bad-src", ioctl(b, FICLONE, 999), EBADF);
    int dir = open("/dev/shm", O_RDONLY | O_DIRECTORY);
    EXPECT_ERR("ficlone-dir-src", ioctl(b, FICLONE, dir), EISDIR);
    int p[2];
    if (pipe(p) < 0)
        printf("pipe: %s\n", errno_name(errno));
    EXPECT_ERR("ficlone-pipe-src", ioctl(b, FICLONE, p[0]), EXDEV);
    int proc = open("/proc/self/status", O_RDONLY);
    EXPECT_ERR("ficlone-other-fs", ioctl(b, FICLONE, proc), EXDEV);
    int ro = open(shm_b, O_RDONLY), wo = open(shm_a, O_WRONLY), ap = open(shm_b, O_WRONLY | O_APPEND);
    EXPECT_ERR("ficlone-readonly-dst", ioctl(ro, FICLONE, a), EBADF);
    EXPECT_ERR("ficlone-writeonly-src", ioctl(b, FICLONE, wo), EBADF);
    EXPECT_ERR("ficlone-append-dst", ioctl(ap, FICLONE, a), EBADF);
    struct file_clone_range cr = {.src_fd = a, .src_length = 4096};
    EXPECT_ERR("ficlonerange", ioctl(b, FICLONERANGE, &cr), EOPNOTSUPP);
    EXPECT_ERR("ficlonerange-fault", ioctl(b, FICLONERANGE, (void *)8), EFAULT);
    struct {
        struct file_dedupe_range r;
        struct file_dedupe_range_info i;
    } dd = {.r = {.src_length = 4, .dest_count = 1}, .i = {.dest_fd = b}};
    EXPECT_ERR("dedupe", ioctl(a, FIDEDUPERANGE, &dd), EOPNOTSUPP);
    dd.r.reserved1 = 1;
    EXPECT_ERR("dedupe-reserved", ioctl(a, FIDEDUPERANGE, &dd), EINVAL);
    EXPECT_ERR("dedupe-dir", ioctl(dir, FIDEDUPERANGE, &dd.r), EINVAL);
    int v = -1;
    lseek(a, 3, SEEK_SET);
    EXPECT_OK("fionread-file", ioctl(a, FIONREAD, &v));
    expect("fionread-file-left", v == 8, "%d", v);
    lseek(a, 20, SEEK_SET);
    EXPECT_OK("fionread-past-end", ioctl(a, FIONREAD, &v));
    expect("fionread-past-end-negative", v == -9, "%d", v);
    EXPECT_ERR("fionread-dir", ioctl(dir, FIONREAD, &v), ENOTTY);
    v = -1;
    EXPECT_OK("figetbsz", ioctl(a, FIGETBSZ, &v));
    expect("figetbsz-page", v == 4096, "%d", v);
    long long q = -1;
    EXPECT_OK("fioqsize", ioctl(a, FIOQSIZE, &q));
    expect("fioqsize-one-page", q == 4096, "%lld", q);
    EXPECT_ERR("fioqsize-pipe", ioctl(p[0], FIOQSIZE, &q), ENOTTY);
    char fm[64] = {0};
    EXPECT_ERR("fiemap", ioctl(a, FS_IOC_FIEMAP, fm), EOPNOTSUPP);
    close(a), close(b), close(dir), close(p[0]), close(p[1]), close(proc), close(ro), close(wo), close(ap);
    drop_scratch();
}

/* Loads `in` into ymm0, stops itself with SIGSTOP (a raw kill, so no
 * library code runs with the register live) and stores ymm0 to `out`. */
static void ymm0_around_stop(const unsigned char *in, unsigned char *out) {
    long pid = getpid();
    __asm__ volatile("vmovdqu (%0), %%ymm0\n\t"
                     "mov $62, %%eax\n\t" /* kill */
                     "mov %1, %%rdi\n\t"
                     "mov $19, %%esi\n\t" /* SIGSTOP */
                     "syscall\n\t"
                     "vmovdqu %%ymm0, (%2)\n\t"
                     :
                     : "r"(in), "r"(pid), "r"(out)
                     : "rax", "rdi", "rsi", "rcx", "r11", "memory", "xmm0");
}

/* gdb's `p $ymm0` (and any AVX register): PTRACE_GETREGSET NT_X86_XSTATE
 * gives the XSAVE area with XCR0 at byte 464, SETREGSET loads one back
 * (whole, with a valid header). */
static void g_xstate_regset(void) {
    if (!__builtin_cpu_supports("avx")) {
        printf("no-avx: ok\n");
        return;
    }
    unsigned char in[32], out[32];
    for (int i = 0; i < 32; i++)
        in[i] = (unsigned char)(0x40 + i);
    pid_t c = xfork();
    if (c == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        ymm0_around_stop(in, out);
        for (int i = 0; i < 16; i++)
            if (out[16 + i] != (unsigned char)(0xa0 + i))
                _exit(1 + i);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    expect("stopped", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "status %#x", st);
    static unsigned char area[8192];
    struct iovec iov = {area, sizeof area};
    EXPECT_OK("getregset-xstate", ptrace(PTRACE_GETREGSET, c, (void *)0x202, &iov));
    size_t len = iov.iov_len;
    expect("xstate-len", len >= 832 && len < sizeof area, "%zu", len);
    unsigned long long xcr0, bv;
    memcpy(&xcr0, area + 464, 8);
    memcpy(&bv, area + 512, 8);
    expect("xcr0-x87-sse-avx", (xcr0 & 7) == 7, "%#llx", xcr0);
    expect("xstate-bv-avx", (bv & 4) != 0, "%#llx", bv);
    expect("xmm0-low-half", memcmp(area + 160, in, 16) == 0, "differs");
    expect("ymm0-high-half", memcmp(area + 576, in + 16, 16) == 0, "differs");
    for (int i = 0; i < 16; i++)
        area[576 + i] = (unsigned char)(0xa0 + i);
    struct iovec part = {area, 512};
    EXPECT_ERR("setregset-part", ptrace(PTRACE_SETREGSET, c, (void *)0x202, &part), EFAULT);
    area[512 + 8] = 1; /* xcomp_bv: compacted format is refused */
    iov.iov_len = len;
    EXPECT_ERR("setregset-compacted", ptrace(PTRACE_SETREGSET, c, (void *)0x202, &iov), EINVAL);
    area[512 + 8] = 0;
    EXPECT_OK("setregset-xstate", ptrace(PTRACE_SETREGSET, c, (void *)0x202, &iov));
    ptrace(PTRACE_CONT, c, 0, 0);
    const char *w = wait_text(c);
    expect("child-saw-new-ymm0", strcmp(w, "exited 0") == 0, "%s", w);
}

/* top(1) asks get_mempolicy (through libnuma) for the default policy and
 * the nodes allowed; this machine, natively and in the sandbox, has
 * node 0. */
static void g_mempolicy(void) {
    int mode = -1;
    unsigned long mask[4] = {~0UL, ~0UL, ~0UL, ~0UL};
    EXPECT_OK("default", syscall(SYS_get_mempolicy, &mode, mask, 64, 0, 0));
    expect("default-mode", mode == 0, "%d", mode);
    expect("default-no-nodes", mask[0] == 0 && mask[1] == ~0UL, "%#lx %#lx", mask[0], mask[1]);
    mask[0] = mask[1] = ~0UL;
    EXPECT_OK("mems-allowed", syscall(SYS_get_mempolicy, &mode, mask, 130, 0, 4));
    expect("mems-allowed-node0", (mask[0] & 1) && mask[1] == 0 && mask[2] == 0 && mask[3] == ~0UL, "%#lx %#lx %#lx",
           mask[0], mask[1], mask[2]);
    mask[0] = ~0UL;
    EXPECT_OK("maxnode-1-copies-nothing", syscall(SYS_get_mempolicy, NULL, mask, 1, 0, 0));
    expect("maxnode-1-untouched", mask[0] == ~0UL, "%#lx", mask[0]);
    EXPECT_ERR("maxnode-0", syscall(SYS_get_mempolicy, NULL, mask, 0, 0, 0), EINVAL);
    EXPECT_ERR("huge-maxnode", syscall(SYS_get_mempolicy, NULL, mask, 1UL << 20, 0, 0), EINVAL);
    EXPECT_ERR("bad-flags", syscall(SYS_get_mempolicy, &mode, NULL, 0, 0, 8), EINVAL);
    EXPECT_ERR("mems-allowed-with-node", syscall(SYS_get_mempolicy, &mode, NULL, 0, 0, 5), EINVAL);
    EXPECT_ERR("node-without-addr", syscall(SYS_get_mempolicy, &mode, NULL, 0, 0, 1), EINVAL);
    EXPECT_ERR("addr-without-flag", syscall(SYS_get_mempolicy, &mode, NULL, 0, (unsigned long)&mode, 0), EINVAL);
    EXPECT_ERR("unmapped-addr", syscall(SYS_get_mempolicy, &mode, NULL, 0, 4096UL, 2), EFAULT);
    mode = -1;
    EXPECT_OK("node-of-addr", syscall(SYS_get_mempolicy, &mode, NULL, 0, (unsigned long)&mode, 3));
    expect("node-of-addr-is-a-node", mode >= 0, "%d", mode);
    EXPECT_ERR("policy-fault", syscall(SYS_get_mempolicy, (void *)8, NULL, 0, 0, 0), EFAULT);
}

static const struct test_group groups[] = {
    {"fsync_kinds", g_fsync_kinds},
    {"file_ioctls", g_file_ioctls},
    {"xstate_regset", g_xstate_regset},
    {"mempolicy", g_mempolicy},
};

int main(int argc, char **argv) { return RUN_GROUPS(argc, argv, groups); }
