/*
 * prctl options real workloads (gdb, python, top, systemd-style launchers,
 * libcap's capsh) ask that are beyond the basic ones: THP disable, the
 * clear_child_tid address, machine-check kill policy, speculation
 * controls, TSC access, ambient capabilities, the auxiliary vector,
 * PR_SET_MM, memory-deny-write-execute and KSM merge state. Each group
 * runs natively and under husk; lines are "name: ok" unless the group
 * prints values (speculation), which come from the host either way.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <linux/prctl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "husk_test.h"

#ifndef PR_GET_AUXV
#define PR_GET_AUXV 0x41555856
#endif
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_GET_MDWE 66
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#define PR_MDWE_NO_INHERIT 2
#endif
#ifndef PR_GET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#define PR_GET_MEMORY_MERGE 68
#endif
#ifndef PR_THP_DISABLE_EXCEPT_ADVISED
#define PR_THP_DISABLE_EXCEPT_ADVISED (1 << 1)
#endif

static long pr(long op, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return syscall(SYS_prctl, op, a2, a3, a4, a5);
}

/* Runs this program again with group `group` in a child and returns how
 * it ended; its output goes to our stdout. */
static const char *exec_self(const char *group) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        execl("/proc/self/exe", "prctl_options", group, (char *)NULL);
        _exit(127);
    }
    return wait_text(c);
}

/* A forked child's result: exit code = what `f` returns. */
static const char *in_child(int (*f)(void)) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0)
        _exit(f());
    return wait_text(c);
}

/* The value of a "Key:\t..." line of /proc/self/status, or "" */
static const char *status_line(const char *key) {
    return proc_status_field("/proc/self/status", key);
}

/* --- THP disable --------------------------------------------------------- */

static int thp_get(void) { return (int)pr(PR_GET_THP_DISABLE, 0, 0, 0, 0); }

static void g_thp_disable(void) {
    expect("initially-off", thp_get() == 0, "%d", thp_get());
    expect("status-enabled", strcmp(status_line("THP_enabled"), "1") == 0, "%s", status_line("THP_enabled"));
    EXPECT_OK("set", pr(PR_SET_THP_DISABLE, 1, 0, 0, 0));
    expect("get-1", thp_get() == 1, "%d", thp_get());
    expect("status-disabled", strcmp(status_line("THP_enabled"), "0") == 0, "%s", status_line("THP_enabled"));
    expect("fork-keeps", strcmp(in_child(thp_get), "exited 1") == 0, "%s", in_child(thp_get));
    expect("exec-keeps", strcmp(exec_self("thp_child"), "exited 1") == 0, "%s", exec_self("thp_child"));
    EXPECT_ERR("set-arg4", pr(PR_SET_THP_DISABLE, 1, 0, 1, 0), EINVAL);
    EXPECT_ERR("set-bad-flag", pr(PR_SET_THP_DISABLE, 1, 4, 0, 0), EINVAL);
    EXPECT_ERR("clear-with-flag", pr(PR_SET_THP_DISABLE, 0, PR_THP_DISABLE_EXCEPT_ADVISED, 0, 0), EINVAL);
    EXPECT_ERR("get-arg2", pr(PR_GET_THP_DISABLE, 1, 0, 0, 0), EINVAL);
    EXPECT_OK("set-except-advised", pr(PR_SET_THP_DISABLE, 1, PR_THP_DISABLE_EXCEPT_ADVISED, 0, 0));
    expect("get-3", thp_get() == 3, "%d", thp_get());
    EXPECT_OK("clear", pr(PR_SET_THP_DISABLE, 0, 0, 0, 0));
    expect("get-0", thp_get() == 0, "%d", thp_get());
}

static void g_thp_child(void) { exit(thp_get()); }

/* --- clear_child_tid ----------------------------------------------------- */

static int tid_word;

static void g_tid_address(void) {
    int *p = (int *)1;
    syscall(SYS_set_tid_address, &tid_word);
    EXPECT_OK("get", pr(PR_GET_TID_ADDRESS, (unsigned long)&p, 0, 0, 0));
    expect("is-set-address", p == &tid_word, "other pointer");
    syscall(SYS_set_tid_address, NULL);
    pr(PR_GET_TID_ADDRESS, (unsigned long)&p, 0, 0, 0);
    expect("null-after-reset", p == NULL, "not null");
    EXPECT_ERR("fault", pr(PR_GET_TID_ADDRESS, 8, 0, 0, 0), EFAULT);
}

/* --- machine-check kill policy ------------------------------------------- */

static int mce_get(void) { return (int)pr(PR_MCE_KILL_GET, 0, 0, 0, 0); }

static void g_mce_kill(void) {
    expect("default", mce_get() == PR_MCE_KILL_DEFAULT, "%d", mce_get());
    EXPECT_OK("set-early", pr(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0));
    expect("get-early", mce_get() == PR_MCE_KILL_EARLY, "%d", mce_get());
    expect("fork-keeps", strcmp(in_child(mce_get), "exited 1") == 0, "%s", in_child(mce_get));
    EXPECT_OK("set-late", pr(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_LATE, 0, 0));
    expect("get-late", mce_get() == PR_MCE_KILL_LATE, "%d", mce_get());
    EXPECT_OK("set-default", pr(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_DEFAULT, 0, 0));
    expect("get-default", mce_get() == PR_MCE_KILL_DEFAULT, "%d", mce_get());
    /* Linux marks the policy per-process before it rejects the mode. */
    EXPECT_ERR("set-bad-mode", pr(PR_MCE_KILL, PR_MCE_KILL_SET, 7, 0, 0), EINVAL);
    expect("bad-mode-leaves-late", mce_get() == PR_MCE_KILL_LATE, "%d", mce_get());
    EXPECT_ERR("clear-arg3", pr(PR_MCE_KILL, PR_MCE_KILL_CLEAR, 1, 0, 0), EINVAL);
    EXPECT_OK("clear", pr(PR_MCE_KILL, PR_MCE_KILL_CLEAR, 0, 0, 0));
    expect("get-cleared", mce_get() == PR_MCE_KILL_DEFAULT, "%d", mce_get());
    EXPECT_ERR("bad-op", pr(PR_MCE_KILL, 5, 0, 0, 0), EINVAL);
    EXPECT_ERR("arg4", pr(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 1, 0), EINVAL);
    EXPECT_ERR("get-arg2", pr(PR_MCE_KILL_GET, 1, 0, 0, 0), EINVAL);
}

/* --- speculation controls (values: the host's) ---------------------------- */

static void spec_show(const char *what) {
    for (int which = 0; which <= 2; which++) {
        errno = 0;
        long r = pr(PR_GET_SPECULATION_CTRL, which, 0, 0, 0);
        printf("%s which=%d: %ld %s\n", what, which, r, r < 0 ? errno_name(errno) : "");
    }
}

static void spec_try(const char *name, int which, int ctrl) {
    errno = 0;
    long r = pr(PR_SET_SPECULATION_CTRL, which, ctrl, 0, 0);
    printf("%s: %ld %s\n", name, r, r < 0 ? errno_name(errno) : "");
}

static int spec_child(void) {
    spec_show("forked");
    return 0;
}

static void g_speculation(void) {
    spec_show("initial");
    EXPECT_ERR("get-unknown", pr(PR_GET_SPECULATION_CTRL, 9, 0, 0, 0), ENODEV);
    EXPECT_ERR("get-arg3", pr(PR_GET_SPECULATION_CTRL, 0, 1, 0, 0), EINVAL);
    EXPECT_ERR("set-arg4", pr(PR_SET_SPECULATION_CTRL, 0, PR_SPEC_ENABLE, 1, 0), EINVAL);
    EXPECT_ERR("set-bad-ctrl", pr(PR_SET_SPECULATION_CTRL, 1, 0, 0, 0), ERANGE);
    EXPECT_ERR("set-unknown", pr(PR_SET_SPECULATION_CTRL, 9, PR_SPEC_ENABLE, 0, 0), ENODEV);
    spec_try("ssb-disable", PR_SPEC_STORE_BYPASS, PR_SPEC_DISABLE);
    spec_try("ib-disable", PR_SPEC_INDIRECT_BRANCH, PR_SPEC_DISABLE);
    spec_show("after-disable");
    printf("fork-child: %s\n", in_child(spec_child));
    printf("exec-child: %s\n", exec_self("speculation_child"));
    spec_try("ib-enable", PR_SPEC_INDIRECT_BRANCH, PR_SPEC_ENABLE);
    spec_try("ib-force-disable", PR_SPEC_INDIRECT_BRANCH, PR_SPEC_FORCE_DISABLE);
    spec_try("ib-enable-after-force", PR_SPEC_INDIRECT_BRANCH, PR_SPEC_ENABLE);
    spec_show("end");
}

static void g_speculation_child(void) { spec_show("child"); }

/* --- TSC access ---------------------------------------------------------- */

static int tsc_get(void) {
    int v = -1;
    if (pr(PR_GET_TSC, (unsigned long)&v, 0, 0, 0) < 0)
        return 100 + errno;
    return v;
}

static int rdtsc_once(void) {
    unsigned lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (lo | hi) ? 0 : 0;
}

static void g_tsc(void) {
    expect("initially-enabled", tsc_get() == PR_TSC_ENABLE, "%d", tsc_get());
    EXPECT_ERR("get-fault", pr(PR_GET_TSC, 8, 0, 0, 0), EFAULT);
    EXPECT_ERR("set-bad", pr(PR_SET_TSC, 3, 0, 0, 0), EINVAL);
    EXPECT_OK("set-sigsegv", pr(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0));
    expect("get-sigsegv", tsc_get() == PR_TSC_SIGSEGV, "%d", tsc_get());
    const char *w = in_child(rdtsc_once);
    expect("rdtsc-faults", strcmp(w, "killed by SIGSEGV") == 0 || strncmp(w, "signal 11", 9) == 0, "%s", w);
    expect("fork-keeps", strcmp(in_child(tsc_get), "exited 2") == 0, "%s", in_child(tsc_get));
    w = exec_self("tsc_child");
    expect("exec-keeps", strcmp(w, "exited 2") == 0, "%s", w);
    EXPECT_OK("set-enable", pr(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0));
    expect("rdtsc-works", strcmp(in_child(rdtsc_once), "exited 0") == 0, "%s", in_child(rdtsc_once));
}

static void g_tsc_child(void) { exit(tsc_get()); }

/* --- ambient capabilities ------------------------------------------------- */

static int capset_sets(unsigned eff, unsigned prm, unsigned inh) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {{eff, prm, inh}, {0, 0, 0}};
    return (int)syscall(SYS_capset, &h, d);
}

#define NBS CAP_NET_BIND_SERVICE
#define NBS_BIT (1u << NBS)

static int amb_is_set(int cap) { return (int)pr(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0); }

static int ambient_as_user(void) {
    /* Keep capabilities over the change to a plain user, as capsh does. */
    if (pr(PR_SET_KEEPCAPS, 1, 0, 0, 0) || syscall(SYS_setresgid, 1000, 1000, 1000) ||
        syscall(SYS_setresuid, 1000, 1000, 1000))
        return 10;
    expect("keepcaps-left-permitted", strcmp(status_line("CapEff"), "0000000000000000") == 0, "%s",
           status_line("CapEff"));
    EXPECT_ERR("raise-not-inheritable", pr(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, NBS, 0, 0), EPERM);
    EXPECT_OK("capset", capset_sets(NBS_BIT, NBS_BIT, NBS_BIT));
    EXPECT_OK("raise", pr(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, NBS, 0, 0));
    expect("is-set", amb_is_set(NBS) == 1, "%d", amb_is_set(NBS));
    expect("other-not-set", amb_is_set(CAP_SYS_ADMIN) == 0, "%d", amb_is_set(CAP_SYS_ADMIN));
    expect("status", strcmp(status_line("CapAmb"), "0000000000000400") == 0, "%s", status_line("CapAmb"));
    EXPECT_ERR("raise-not-permitted", pr(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0), EPERM);
    const char *w = exec_self("ambient_child");
    expect("exec-child", strcmp(w, "exited 0") == 0, "%s", w);
    /* Dropping it from the inheritable set drops it from the ambient set. */
    EXPECT_OK("capset-drop-inh", capset_sets(NBS_BIT, NBS_BIT, 0));
    expect("dropped-with-inheritable", amb_is_set(NBS) == 0, "%d", amb_is_set(NBS));
    EXPECT_OK("capset-inh", capset_sets(NBS_BIT, NBS_BIT, NBS_BIT));
    EXPECT_OK("raise-again", pr(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, NBS, 0, 0));
    EXPECT_OK("lower", pr(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, NBS, 0, 0));
    expect("lowered", amb_is_set(NBS) == 0, "%d", amb_is_set(NBS));
    EXPECT_OK("raise-third", pr(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, NBS, 0, 0));
    EXPECT_OK("clear-all", pr(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
    expect("cleared", amb_is_set(NBS) == 0, "%d", amb_is_set(NBS));
    return 0;
}

static int ambient_then_setuid(void) {
    unsigned all = ~0u & ~(1u << CAP_SYS_RESOURCE);
    if (capset_sets(all, all, NBS_BIT) || pr(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, NBS, 0, 0))
        return 10;
    if (pr(PR_SET_KEEPCAPS, 1, 0, 0, 0) || syscall(SYS_setresuid, 1000, 1000, 1000))
        return 11;
    return amb_is_set(NBS);
}

static void g_ambient(void) {
    expect("initially-clear", amb_is_set(NBS) == 0, "%d", amb_is_set(NBS));
    EXPECT_ERR("bad-cap", pr(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 64, 0, 0), EINVAL);
    EXPECT_ERR("arg4", pr(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, NBS, 1, 0), EINVAL);
    EXPECT_ERR("bad-op", pr(PR_CAP_AMBIENT, 9, NBS, 0, 0), EINVAL);
    EXPECT_ERR("clear-all-arg3", pr(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0), EINVAL);
    const char *w = in_child(ambient_as_user);
    expect("as-user", strcmp(w, "exited 0") == 0, "%s", w);
    /* setuid away from root clears the ambient set (as capabilities(7)). */
    w = in_child(ambient_then_setuid);
    expect("setuid-clears", strcmp(w, "exited 0") == 0, "%s", w);
}

/* Run by exec: the ambient capability became permitted and effective. */
static void g_ambient_child(void) {
    expect("child-amb", strcmp(status_line("CapAmb"), "0000000000000400") == 0, "%s", status_line("CapAmb"));
    expect("child-prm", strcmp(status_line("CapPrm"), "0000000000000400") == 0, "%s", status_line("CapPrm"));
    expect("child-eff", strcmp(status_line("CapEff"), "0000000000000400") == 0, "%s", status_line("CapEff"));
    exit(amb_is_set(NBS) == 1 ? 0 : 1);
}

/* --- auxiliary vector ------------------------------------------------------ */

static void g_auxv(void) {
    static unsigned char buf[4096], proc[4096];
    memset(buf, 0xaa, sizeof buf);
    long full = pr(PR_GET_AUXV, (unsigned long)buf, sizeof buf, 0, 0);
    int fd = open("/proc/self/auxv", O_RDONLY);
    long n = read(fd, proc, sizeof proc);
    close(fd);
    expect("returns-size", full > 0 && full >= n && full % 16 == 0, "%ld vs %ld", full, n);
    expect("same-as-proc", n > 0 && memcmp(buf, proc, n) == 0, "differs");
    int zero = 1;
    for (long i = n; i < full; i++)
        zero &= buf[i] == 0;
    expect("rest-zero", zero, "not zero");
    expect("untouched-past", buf[full] == 0xaa, "%#x", buf[full]);
    expect("null-len-0", pr(PR_GET_AUXV, 0, 0, 0, 0) == full, "other size");
    memset(buf, 0xaa, sizeof buf);
    expect("short", pr(PR_GET_AUXV, (unsigned long)buf, 16, 0, 0) == full && buf[16] == 0xaa &&
                        memcmp(buf, proc, 16) == 0, "short copy wrong");
    EXPECT_ERR("fault", pr(PR_GET_AUXV, 8, 16, 0, 0), EFAULT);
    EXPECT_ERR("arg4", pr(PR_GET_AUXV, (unsigned long)buf, 16, 1, 0), EINVAL);
}

/* --- PR_SET_MM --------------------------------------------------------------- */

static int has_cap(int cap) {
    unsigned long long eff = strtoull(status_line("CapEff"), NULL, 16);
    return (eff >> cap) & 1;
}

static char new_args[] = "renamed\0arg\0";

static void g_set_mm(void) {
    EXPECT_ERR("arg5", pr(PR_SET_MM, PR_SET_MM_ARG_START, (unsigned long)new_args, 0, 1), EINVAL);
    EXPECT_ERR("arg4", pr(PR_SET_MM, PR_SET_MM_ARG_START, (unsigned long)new_args, 1, 0), EINVAL);
    /* With CAP_SYS_RESOURCE (husk's root; the host's root may lack it). */
    if (has_cap(CAP_SYS_RESOURCE)) {
        unsigned long a = (unsigned long)new_args;
        /* The data lies below the stack: move the start down first. */
        int ok = pr(PR_SET_MM, PR_SET_MM_ARG_START, a, 0, 0) == 0 &&
                 pr(PR_SET_MM, PR_SET_MM_ARG_END, a + sizeof new_args - 1, 0, 0) == 0;
        char cmd[64] = {0};
        int fd = open("/proc/self/cmdline", O_RDONLY);
        long n = read(fd, cmd, sizeof cmd);
        close(fd);
        expect("cmdline-moved", ok && n == 12 && memcmp(cmd, new_args, 12) == 0, "%d %ld", ok, n);
        expect("low-addr", pr(PR_SET_MM, PR_SET_MM_ARG_START, 4096, 0, 0) == -1 && errno == EINVAL, "%s",
               errno_name(errno));
        expect("start-past-end", pr(PR_SET_MM, PR_SET_MM_ARG_START, a + 64, 0, 0) == -1 && errno == EINVAL, "%s",
               errno_name(errno));
        expect("bad-option", pr(PR_SET_MM, 99, a, 0, 0) == -1 && errno == EINVAL, "%s", errno_name(errno));
        /* The break moves, and brk(2) works from there. */
        unsigned long b = syscall(SYS_brk, 0);
        int moved = pr(PR_SET_MM, PR_SET_MM_BRK, b + 4096, 0, 0) == 0 && (unsigned long)syscall(SYS_brk, 0) == b + 4096;
        expect("brk-moved", moved, "%s", errno_name(errno));
        expect("brk-below-start", pr(PR_SET_MM, PR_SET_MM_BRK, 65536, 0, 0) == -1 && errno == EINVAL, "%s",
               errno_name(errno));
        pr(PR_SET_MM, PR_SET_MM_BRK, b, 0, 0);
        /* A new auxiliary vector, as /proc/self/auxv then shows it. */
        unsigned long av[4] = {6 /* AT_PAGESZ */, 4096, 0, 0}, shown[8] = {0};
        int set = pr(PR_SET_MM, PR_SET_MM_AUXV, (unsigned long)av, sizeof av, 0) == 0;
        fd = open("/proc/self/auxv", O_RDONLY);
        n = read(fd, shown, sizeof shown);
        close(fd);
        expect("auxv-replaced", set && n == 32 && memcmp(shown, av, 32) == 0, "%d %ld", set, n);
        expect("auxv-too-long", pr(PR_SET_MM, PR_SET_MM_AUXV, (unsigned long)av, 4096, 0) == -1 && errno == EINVAL,
               "%s", errno_name(errno));
    } else {
        expect("cmdline-moved", 1, "%s", "");
        expect("low-addr", 1, "%s", "");
        expect("start-past-end", 1, "%s", "");
        expect("bad-option", 1, "%s", "");
        expect("brk-moved", 1, "%s", "");
        expect("brk-below-start", 1, "%s", "");
        expect("auxv-replaced", 1, "%s", "");
        expect("auxv-too-long", 1, "%s", "");
    }
    /* Without it: EPERM. */
    unsigned all = ~0u & ~(1u << CAP_SYS_RESOURCE);
    EXPECT_OK("drop-sys-resource", capset_sets(all, all, 0));
    EXPECT_ERR("eperm", pr(PR_SET_MM, PR_SET_MM_ARG_START, (unsigned long)new_args, 0, 0), EPERM);
    EXPECT_ERR("eperm-bad-option", pr(PR_SET_MM, 99, 0, 0, 0), EPERM);
}

/* --- memory-deny-write-execute ------------------------------------------------ */

static int mdwe_get(void) { return (int)pr(PR_GET_MDWE, 0, 0, 0, 0); }

static void g_mdwe(void) {
    expect("initially-off", mdwe_get() == 0, "%d", mdwe_get());
    EXPECT_ERR("bad-bits", pr(PR_SET_MDWE, 4, 0, 0, 0), EINVAL);
    EXPECT_ERR("no-inherit-alone", pr(PR_SET_MDWE, PR_MDWE_NO_INHERIT, 0, 0, 0), EINVAL);
    EXPECT_ERR("set-arg3", pr(PR_SET_MDWE, 1, 1, 0, 0), EINVAL);
    EXPECT_ERR("get-arg2", pr(PR_GET_MDWE, 1, 0, 0, 0), EINVAL);
    void *rw = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_OK("set", pr(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0));
    expect("get", mdwe_get() == 1, "%d", mdwe_get());
    EXPECT_OK("set-same", pr(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0));
    EXPECT_ERR("cannot-clear", pr(PR_SET_MDWE, 0, 0, 0, 0), EPERM);
    EXPECT_ERR("cannot-change", pr(PR_SET_MDWE, 3, 0, 0, 0), EPERM);
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect("mmap-wx-refused", p == MAP_FAILED && errno == EACCES, "%s", errno_name(errno));
    p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect("mmap-x-allowed", p != MAP_FAILED, "%s", errno_name(errno));
    EXPECT_ERR("mprotect-x-to-wx", mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC), EACCES);
    EXPECT_OK("mprotect-x-to-x", mprotect(p, 4096, PROT_EXEC));
    EXPECT_OK("mprotect-x-to-r", mprotect(p, 4096, PROT_READ));
    EXPECT_ERR("mprotect-r-to-x", mprotect(p, 4096, PROT_READ | PROT_EXEC), EACCES);
    EXPECT_ERR("mprotect-rw-to-x", mprotect(rw, 8192, PROT_READ | PROT_EXEC), EACCES);
    EXPECT_OK("mprotect-rw-to-r", mprotect(rw, 8192, PROT_READ));
    expect("fork-keeps", strcmp(in_child(mdwe_get), "exited 1") == 0, "%s", in_child(mdwe_get));
    const char *w = exec_self("mdwe_child");
    expect("exec-keeps", strcmp(w, "exited 1") == 0, "%s", w);
}

static void g_mdwe_no_inherit(void) {
    EXPECT_OK("set", pr(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN | PR_MDWE_NO_INHERIT, 0, 0, 0));
    expect("get", mdwe_get() == 3, "%d", mdwe_get());
    expect("fork-drops", strcmp(in_child(mdwe_get), "exited 0") == 0, "%s", in_child(mdwe_get));
    const char *w = exec_self("mdwe_child");
    expect("exec-drops", strcmp(w, "exited 0") == 0, "%s", w);
}

static void g_mdwe_child(void) { exit(mdwe_get()); }

/* --- KSM ------------------------------------------------------------------------ */

static int merge_get(void) { return (int)pr(PR_GET_MEMORY_MERGE, 0, 0, 0, 0); }

static void g_memory_merge(void) {
    expect("get", merge_get() == 0, "%d %s", merge_get(), errno_name(errno));
    EXPECT_ERR("get-arg2", pr(PR_GET_MEMORY_MERGE, 1, 0, 0, 0), EINVAL);
    EXPECT_ERR("set-arg3", pr(PR_SET_MEMORY_MERGE, 1, 1, 0, 0), EINVAL);
    EXPECT_OK("set", pr(PR_SET_MEMORY_MERGE, 1, 0, 0, 0));
    expect("get-1", merge_get() == 1, "%d", merge_get());
    expect("fork-keeps", strcmp(in_child(merge_get), "exited 1") == 0, "%s", in_child(merge_get));
    const char *w = exec_self("memory_merge_child");
    expect("exec-keeps", strcmp(w, "exited 1") == 0, "%s", w);
    EXPECT_OK("clear", pr(PR_SET_MEMORY_MERGE, 0, 0, 0, 0));
    expect("get-0", merge_get() == 0, "%d", merge_get());
    EXPECT_ERR("unknown-option", pr(1000, 0, 0, 0, 0), EINVAL);
}

static void g_memory_merge_child(void) { exit(merge_get()); }

static const struct test_group groups[] = {
    {"thp_disable", g_thp_disable},
    {"thp_child", g_thp_child},
    {"tid_address", g_tid_address},
    {"mce_kill", g_mce_kill},
    {"speculation", g_speculation},
    {"speculation_child", g_speculation_child},
    {"tsc", g_tsc},
    {"tsc_child", g_tsc_child},
    {"ambient", g_ambient},
    {"ambient_child", g_ambient_child},
    {"auxv", g_auxv},
    {"set_mm", g_set_mm},
    {"mdwe", g_mdwe},
    {"mdwe_no_inherit", g_mdwe_no_inherit},
    {"mdwe_child", g_mdwe_child},
    {"memory_merge", g_memory_merge},
    {"memory_merge_child", g_memory_merge_child},
};

int main(int argc, char **argv) { return RUN_GROUPS(argc, argv, groups); }
