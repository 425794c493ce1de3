/*
 * ptrace(2) and process_vm_readv/writev between processes, checked against
 * Linux: every check prints "name: ok" natively, and must under husk.
 * Usage: ptrace GROUP.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <sys/prctl.h>
#include <sys/uio.h>

/* A child that waits for a byte on `rd`, then exits with `code`. */
static pid_t parked_child(int fds[2]) {
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = xfork();
    if (pid == 0) {
        char c;
        close(fds[1]);
        ssize_t n = read(fds[0], &c, 1);
        _exit(n == 1 ? c : 99);
    }
    close(fds[0]);
    return pid;
}

static void release(int fds[2], pid_t pid, char code) {
    (void)!write(fds[1], &code, 1);
    close(fds[1]);
    waitpid(pid, NULL, 0);
}

static char shared_buf[8192] = "hello from the parent's copy";

static void vm(void) {
    long page = sysconf(_SC_PAGESIZE);
    /* Two pages, the second unmapped: a piece running into it is cut. */
    char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + page, page);
    memset(two, 'x', page);
    strcpy(shared_buf, "child data");
    int fds[2];
    pid_t pid = parked_child(fds);
    strcpy(shared_buf, "parent data");

    char got[64] = {0};
    struct iovec l = {got, 10}, r = {shared_buf, 10};
    expect_ret("readv whole", process_vm_readv(pid, &l, 1, &r, 1, 0), errno, 10, 0);
    expect("readv data", memcmp(got, "child data", 10) == 0, "%.10s", got);

    /* Several pieces on each side, split differently. */
    char a[3], b[7];
    struct iovec ls[2] = {{a, 3}, {b, 7}}, rs[3] = {{shared_buf, 2}, {shared_buf + 2, 4}, {shared_buf + 6, 4}};
    expect_ret("readv pieces", process_vm_readv(pid, ls, 2, rs, 3, 0), errno, 10, 0);
    expect("readv pieces data", memcmp(a, "chi", 3) == 0 && memcmp(b, "ld data", 7) == 0, "%.3s %.7s", a, b);

    /* A remote piece running into an unmapped page: what was readable. */
    char big[256];
    struct iovec lb = {big, sizeof big}, rb = {two + page - 100, 200};
    expect_ret("readv partial", process_vm_readv(pid, &lb, 1, &rb, 1, 0), errno, 100, 0);
    /* A later piece after a failing one is not tried. */
    struct iovec rf[2] = {{two + page, 10}, {shared_buf, 10}};
    EXPECT_ERR("readv fault first", process_vm_readv(pid, &lb, 1, rf, 2, 0), EFAULT);
    struct iovec rg[2] = {{shared_buf, 10}, {two + page, 10}};
    expect_ret("readv fault second", process_vm_readv(pid, &lb, 1, rg, 2, 0), errno, 10, 0);
    /* The local side faulting. */
    struct iovec lbad = {(void *)8, 10};
    EXPECT_ERR("readv local fault", process_vm_readv(pid, &lbad, 1, &r, 1, 0), EFAULT);
    struct iovec lpart = {two + page - 4, 10};
    expect_ret("readv local partial", process_vm_readv(pid, &lpart, 1, &r, 1, 0), errno, 4, 0);
    EXPECT_ERR("readv bad iovec array", process_vm_readv(pid, (void *)8, 1, &r, 1, 0), EFAULT);
    EXPECT_ERR("readv bad remote array", process_vm_readv(pid, &l, 1, (void *)8, 1, 0), EFAULT);

    EXPECT_ERR("readv flags", process_vm_readv(pid, &l, 1, &r, 1, 1), EINVAL);
    EXPECT_ERR("readv too many", process_vm_readv(pid, &l, 1025, &r, 1, 0), EINVAL);
    struct iovec lneg = {got, (size_t)-1};
    EXPECT_ERR("readv negative length", process_vm_readv(pid, &lneg, 1, &r, 1, 0), EINVAL);
    struct iovec l0 = {got, 0};
    expect_ret("readv empty local", process_vm_readv(999999, &l0, 1, &r, 1, 0), errno, 0, 0);
    EXPECT_ERR("readv no such pid", process_vm_readv(999999, &l, 1, &r, 1, 0), ESRCH);

    /* Writing: the child sees it (it exits with the byte written). */
    char msg[] = "written!!!";
    struct iovec lw = {msg, 10};
    expect_ret("writev", process_vm_writev(pid, &lw, 1, &r, 1, 0), errno, 10, 0);
    expect_ret("readv back", process_vm_readv(pid, &l, 1, &r, 1, 0), errno, 10, 0);
    expect("readv back data", memcmp(got, "written!!!", 10) == 0, "%.10s", got);
    struct iovec rw = {two + page - 3, 10};
    expect_ret("writev partial", process_vm_writev(pid, &lw, 1, &rw, 1, 0), errno, 3, 0);
    /* Read-only memory is not written (no FOLL_FORCE). */
    struct iovec rro = {(void *)vm, 4};
    EXPECT_ERR("writev read-only", process_vm_writev(pid, &lw, 1, &rro, 1, 0), EFAULT);
    /* Self. */
    struct iovec rs_self = {shared_buf, 6};
    expect_ret("readv self", process_vm_readv(getpid(), &l, 1, &rs_self, 1, 0), errno, 6, 0);
    release(fds, pid, 0);
    EXPECT_ERR("readv reaped", process_vm_readv(pid, &l, 1, &r, 1, 0), ESRCH);
}

/* The access rule: another user's process, or a non-dumpable one, is EPERM
 * without CAP_SYS_PTRACE; the same user's is fine. */
static void vm_perms(void) {
    int fds[2];
    pid_t root_child = parked_child(fds);
    pid_t pid = xfork();
    if (pid == 0) {
        if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0) {
            printf("setuid: %s\n", errno_name(errno));
            _exit(1);
        }
        char got[8];
        struct iovec l = {got, 4}, r = {shared_buf, 4};
        EXPECT_ERR("other uid", process_vm_readv(root_child, &l, 1, &r, 1, 0), EPERM);
        EXPECT_ERR("other uid write", process_vm_writev(root_child, &l, 1, &r, 1, 0), EPERM);
        /* Changing ids made this process (and so its children) non-dumpable. */
        int f1[2];
        pid_t undumpable = parked_child(f1);
        EXPECT_ERR("same uid after setuid", process_vm_readv(undumpable, &l, 1, &r, 1, 0), EPERM);
        release(f1, undumpable, 0);
        prctl(PR_SET_DUMPABLE, 1);
        int f2[2];
        pid_t mine = parked_child(f2);
        expect_ret("same uid", process_vm_readv(mine, &l, 1, &r, 1, 0), errno, 4, 0);
        release(f2, mine, 0);
        /* A non-dumpable process of the same user. */
        int f3[2];
        if (pipe(f3) < 0)
            _exit(1);
        int ready[2];
        if (pipe(ready) < 0)
            _exit(1);
        fflush(stdout);
        pid_t nd = fork();
        if (nd == 0) {
            prctl(PR_SET_DUMPABLE, 0);
            (void)!write(ready[1], "r", 1);
            char c;
            (void)!read(f3[0], &c, 1);
            _exit(0);
        }
        char c;
        (void)!read(ready[0], &c, 1);
        EXPECT_ERR("not dumpable", process_vm_readv(nd, &l, 1, &r, 1, 0), EPERM);
        (void)!write(f3[1], "x", 1);
        waitpid(nd, NULL, 0);
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    /* Root (CAP_SYS_PTRACE) reads anyone's. */
    char got[8];
    struct iovec l = {got, 4}, r = {shared_buf, 4};
    expect_ret("root", process_vm_readv(root_child, &l, 1, &r, 1, 0), errno, 4, 0);
    release(fds, root_child, 0);
}

static const struct test_group groups[] = {
    {"vm", vm},
    {"vm_perms", vm_perms},
};

int main(int argc, char **argv) {
    return RUN_GROUPS(argc, argv, groups);
}
