/*
 * seccomp: a program's own seccomp filters (seccomp(2), prctl), checked the
 * same natively and under husk: errors, ERRNO/TRAP/KILL actions, strict
 * mode, inheritance over fork/clone/exec, TSYNC, the order of stacked
 * filters, and what /proc shows. Every check prints "name: ok".
 *
 * Usage: seccomp GROUP   (groups: errors errno trap kill strict inherit tsync profile)
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define DATA(f) offsetof(struct seccomp_data, f)

static long sc(unsigned op, unsigned flags, void *args) { return syscall(SYS_seccomp, op, flags, args); }

/* A filter: if the syscall is `nr`, return `hit`, else ALLOW. */
static long install(int nr, unsigned hit, unsigned flags) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA(nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, hit),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog p = {sizeof f / sizeof f[0], f};
    return sc(SECCOMP_SET_MODE_FILTER, flags, &p);
}

static void no_new_privs(void) { prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }

/* Runs `fn` in a child and returns its wait status. */
static int in_child(void (*fn)(void)) {
    pid_t c = xfork();
    if (c == 0) {
        fn();
        _exit(0);
    }
    int st = 0;
    waitpid(c, &st, 0);
    return st;
}

static void drop_caps_and_install(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {{0}};
    syscall(SYS_capget, &h, d);
    d[0].effective = d[1].effective = 0;
    syscall(SYS_capset, &h, d);
    _exit(install(SYS_getppid, SECCOMP_RET_ERRNO | 1, 0) == -1 ? errno : 0);
}

static void g_errors(void) {
    int st = in_child(drop_caps_and_install);
    expect("no-nnp-no-cap-eacces", WIFEXITED(st) && WEXITSTATUS(st) == EACCES, "%s", status_text(st));
    no_new_privs();
    struct sock_filter ok[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog p = {1, ok};
    EXPECT_ERR("bad-flags", sc(SECCOMP_SET_MODE_FILTER, 1u << 20, &p), EINVAL);
    EXPECT_ERR("null-prog", sc(SECCOMP_SET_MODE_FILTER, 0, NULL), EFAULT);
    struct sock_fprog empty = {0, ok};
    EXPECT_ERR("empty-prog", sc(SECCOMP_SET_MODE_FILTER, 0, &empty), EINVAL);
    struct sock_fprog huge = {4097, ok};
    EXPECT_ERR("too-long", sc(SECCOMP_SET_MODE_FILTER, 0, &huge), EINVAL);
    struct sock_fprog bad_ptr = {1, (struct sock_filter *)8};
    EXPECT_ERR("bad-insn-pointer", sc(SECCOMP_SET_MODE_FILTER, 0, &bad_ptr), EFAULT);
    struct sock_filter unaligned[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_fprog pu = {2, unaligned};
    EXPECT_ERR("unaligned-load", sc(SECCOMP_SET_MODE_FILTER, 0, &pu), EINVAL);
    struct sock_filter past[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_fprog pp = {2, past};
    EXPECT_ERR("load-past-data", sc(SECCOMP_SET_MODE_FILTER, 0, &pp), EINVAL);
    struct sock_filter noret[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)};
    struct sock_fprog pn = {1, noret};
    EXPECT_ERR("no-return", sc(SECCOMP_SET_MODE_FILTER, 0, &pn), EINVAL);
    struct sock_filter mem[] = {BPF_STMT(BPF_LD | BPF_MEM, 3), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_fprog pm = {2, mem};
    EXPECT_ERR("unwritten-scratch", sc(SECCOMP_SET_MODE_FILTER, 0, &pm), EINVAL);
    struct sock_filter jump[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_fprog pj = {2, jump};
    EXPECT_ERR("jump-out", sc(SECCOMP_SET_MODE_FILTER, 0, &pj), EINVAL);
    EXPECT_ERR("strict-with-flags", sc(SECCOMP_SET_MODE_STRICT, 1, NULL), EINVAL);
    EXPECT_ERR("strict-with-args", sc(SECCOMP_SET_MODE_STRICT, 0, &p), EINVAL);
    EXPECT_ERR("unknown-op", sc(99, 0, NULL), EINVAL);
    unsigned act = SECCOMP_RET_ALLOW;
    EXPECT_OK("action-avail-allow", sc(SECCOMP_GET_ACTION_AVAIL, 0, &act));
    act = SECCOMP_RET_KILL_PROCESS;
    EXPECT_OK("action-avail-kill-process", sc(SECCOMP_GET_ACTION_AVAIL, 0, &act));
    act = 0x12340000;
    EXPECT_ERR("action-avail-unknown", sc(SECCOMP_GET_ACTION_AVAIL, 0, &act), EOPNOTSUPP);
    EXPECT_ERR("action-avail-flags", sc(SECCOMP_GET_ACTION_AVAIL, 1, &act), EINVAL);
    EXPECT_ERR("action-avail-fault", sc(SECCOMP_GET_ACTION_AVAIL, 0, NULL), EFAULT);
    EXPECT_ERR("prctl-bad-mode", prctl(PR_SET_SECCOMP, 7, 0, 0, 0), EINVAL);
    expect("get-seccomp-none", prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0, "x");
}

static void g_errno(void) {
    no_new_privs();
    EXPECT_OK("install", install(SYS_getppid, SECCOMP_RET_ERRNO | 1234, 0));
    errno = 0;
    long r = syscall(SYS_getppid);
    expect("errno-returned", r == -1 && errno == 1234, "%ld %d", r, errno);
    expect("others-run", getpid() > 0 && syscall(SYS_getuid) >= 0, "x");
    EXPECT_OK("install-capped", install(SYS_getuid, SECCOMP_RET_ERRNO | 0xffff, 0));
    errno = 0;
    r = syscall(SYS_getuid);
    expect("errno-capped-4095", r == -1 && errno == 4095, "%ld %d", r, errno);
    /* An argument test: dup(fd) fails with EMFILE only for fd 42. */
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA(nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA(args[0])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 42, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EMFILE),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog p = {sizeof f / sizeof f[0], f};
    EXPECT_OK("install-args", sc(SECCOMP_SET_MODE_FILTER, 0, &p));
    dup2(1, 42);
    EXPECT_ERR("arg-matched", dup(42), EMFILE);
    int d = dup(1);
    expect("arg-not-matched", d >= 0, "%s", errno_name(errno));
    close(d);
    /* Two filters with the same action: the newer one's data wins. */
    EXPECT_OK("install-older", install(SYS_getgid, SECCOMP_RET_ERRNO | 5, 0));
    EXPECT_OK("install-newer", install(SYS_getgid, SECCOMP_RET_ERRNO | 6, 0));
    EXPECT_ERR("newest-of-equals", syscall(SYS_getgid), 6);
    /* A stricter action wins whatever the order. */
    EXPECT_OK("install-trace", install(SYS_getegid, SECCOMP_RET_TRACE, 0));
    EXPECT_OK("install-errno-under", install(SYS_getegid, SECCOMP_RET_ERRNO | 7, 0));
    EXPECT_ERR("errno-beats-trace", syscall(SYS_getegid), 7);
    /* TRACE with no tracer: ENOSYS. */
    EXPECT_OK("install-trace-alone", install(SYS_geteuid, SECCOMP_RET_TRACE, 0));
    EXPECT_ERR("trace-without-tracer", syscall(SYS_geteuid), ENOSYS);
    expect("get-seccomp-filter", prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2, "x");
}

static volatile int trap_code, trap_errno, trap_nr, trap_arch, trap_rax, trap_addr_ok;

static void on_sigsys(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    (void)sig;
    trap_code = si->si_code;
    trap_errno = si->si_errno;
    trap_nr = si->si_syscall;
    trap_arch = si->si_arch;
    trap_addr_ok = si->si_call_addr != NULL && (unsigned long)si->si_call_addr == uc->uc_mcontext.gregs[REG_RIP];
    trap_rax = (int)uc->uc_mcontext.gregs[REG_RAX];
    uc->uc_mcontext.gregs[REG_RAX] = 4242;
}

static void g_trap(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    no_new_privs();
    EXPECT_OK("install", install(SYS_getppid, SECCOMP_RET_TRAP | 0x77, 0));
    long r = syscall(SYS_getppid);
    expect("handler-sets-result", r == 4242, "%ld", r);
    expect("si-code-sys-seccomp", trap_code == 1, "%d", trap_code);
    expect("si-errno-is-data", trap_errno == 0x77, "%d", trap_errno);
    expect("si-syscall", trap_nr == SYS_getppid, "%d", trap_nr);
    expect("si-arch", (unsigned)trap_arch == AUDIT_ARCH_X86_64, "%x", trap_arch);
    expect("si-call-addr", trap_addr_ok, "x");
    expect("rax-rolled-back", trap_rax == SYS_getppid, "%d", trap_rax);
}

static void getppid_dies(void) {
    no_new_privs();
    install(SYS_getppid, SECCOMP_RET_KILL_PROCESS, 0);
    syscall(SYS_getppid);
    _exit(9);
}

static void getppid_kills_thread(void) {
    no_new_privs();
    install(SYS_getppid, SECCOMP_RET_KILL_THREAD, 0);
    syscall(SYS_getppid);
    _exit(9);
}

static void *thread_getppid(void *arg) {
    (void)arg;
    syscall(SYS_getppid);
    return (void *)1;
}

static void one_thread_dies(void) {
    no_new_privs();
    install(SYS_getppid, SECCOMP_RET_KILL_THREAD, 0);
    pthread_t th;
    pthread_create(&th, NULL, thread_getppid, NULL);
    void *ret = NULL;
    pthread_join(th, &ret);
    _exit(ret == NULL ? 7 : 8);
}

static void sigsys_blocked_kills(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSYS);
    sigprocmask(SIG_BLOCK, &s, NULL);
    no_new_privs();
    install(SYS_getppid, SECCOMP_RET_TRAP, 0);
    syscall(SYS_getppid);
    _exit(9);
}

static void g_kill(void) {
    int st = in_child(getppid_dies);
    expect("kill-process", WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "%s", status_text(st));
    st = in_child(getppid_kills_thread);
    expect("kill-thread-last", WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "%s", status_text(st));
    st = in_child(one_thread_dies);
    expect("kill-thread-only", WIFEXITED(st) && WEXITSTATUS(st) == 7, "%s", status_text(st));
    st = in_child(sigsys_blocked_kills);
    expect("blocked-trap-kills", WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "%s", status_text(st));
}

static void strict_child(void) {
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0);
    if (write(1, "", 0) != 0)
        syscall(SYS_exit, 3);
    syscall(SYS_getpid);
    syscall(SYS_exit, 4);
}

static void strict_exit_child(void) {
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0);
    syscall(SYS_exit, 5);
}

static void g_strict(void) {
    int st = in_child(strict_child);
    expect("strict-other-syscall-sigkill", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s", status_text(st));
    st = in_child(strict_exit_child);
    expect("strict-exit-allowed", WIFEXITED(st) && WEXITSTATUS(st) == 5, "%s", status_text(st));
}

static long status_field(const char *key) {
    char buf[4096];
    FILE *f = fopen("/proc/self/status", "r");
    long v = -1;
    while (f && fgets(buf, sizeof buf, f))
        if (strncmp(buf, key, strlen(key)) == 0)
            v = strtol(buf + strlen(key), NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static char self_path[256];

static void g_inherit(void) {
    expect("status-none", status_field("Seccomp:") == 0 && status_field("Seccomp_filters:") == 0, "x");
    no_new_privs();
    install(SYS_getppid, SECCOMP_RET_ERRNO | 33, 0);
    install(SYS_getuid, SECCOMP_RET_ERRNO | 34, 0);
    expect("status-filter", status_field("Seccomp:") == 2 && status_field("Seccomp_filters:") == 2, "%ld %ld",
           status_field("Seccomp:"), status_field("Seccomp_filters:"));
    pid_t c = xfork();
    if (c == 0)
        _exit(syscall(SYS_getppid) == -1 && errno == 33 ? 0 : 1);
    int st;
    waitpid(c, &st, 0);
    expect("fork-inherits", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
    c = xfork();
    if (c == 0) {
        execl(self_path, self_path, "probe", NULL);
        _exit(99);
    }
    waitpid(c, &st, 0);
    expect("exec-keeps", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
}

/* After exec: the filters are still there. */
static int probe(void) {
    if (syscall(SYS_getppid) != -1 || errno != 33)
        return 1;
    return status_field("Seccomp_filters:") == 2 ? 0 : 2;
}

static pthread_barrier_t bar1, bar2;
static volatile long thread_result, thread_errno;

static void *waiter(void *arg) {
    (void)arg;
    pthread_barrier_wait(&bar1);
    pthread_barrier_wait(&bar2);
    errno = 0;
    thread_result = syscall(SYS_getppid);
    thread_errno = errno;
    return NULL;
}

static void *own_filter(void *arg) {
    (void)arg;
    install(SYS_getgid, SECCOMP_RET_ERRNO | 3, 0);
    pthread_barrier_wait(&bar1);
    pthread_barrier_wait(&bar2);
    return NULL;
}

static void g_tsync(void) {
    no_new_privs();
    pthread_t th;
    /* Without TSYNC a thread that already exists keeps its (empty) state. */
    pthread_barrier_init(&bar1, NULL, 2);
    pthread_barrier_init(&bar2, NULL, 2);
    pthread_create(&th, NULL, waiter, NULL);
    pthread_barrier_wait(&bar1);
    EXPECT_OK("install-no-tsync", install(SYS_getppid, SECCOMP_RET_ERRNO | 11, 0));
    pthread_barrier_wait(&bar2);
    pthread_join(th, NULL);
    expect("other-thread-unfiltered", thread_result != -1 && thread_errno == 0, "%ld %ld", thread_result, thread_errno);
    /* With TSYNC it gets the caller's filters. */
    pthread_barrier_init(&bar1, NULL, 2);
    pthread_barrier_init(&bar2, NULL, 2);
    pthread_create(&th, NULL, waiter, NULL);
    pthread_barrier_wait(&bar1);
    EXPECT_OK("install-tsync", install(SYS_getpid, SECCOMP_RET_ERRNO | 12, SECCOMP_FILTER_FLAG_TSYNC));
    pthread_barrier_wait(&bar2);
    pthread_join(th, NULL);
    expect("synced-thread-filtered", thread_result == -1 && thread_errno == 11, "%ld %ld", thread_result,
           thread_errno);
    /* A thread with a filter of its own cannot be synced: its id comes back. */
    pthread_barrier_init(&bar1, NULL, 2);
    pthread_barrier_init(&bar2, NULL, 2);
    pthread_create(&th, NULL, own_filter, NULL);
    pthread_barrier_wait(&bar1);
    long r = install(SYS_getpid, SECCOMP_RET_ERRNO | 13, SECCOMP_FILTER_FLAG_TSYNC);
    expect("tsync-returns-tid", r > 0 && r != getpid(), "%ld", r);
    EXPECT_ERR("tsync-esrch", install(SYS_getpid, SECCOMP_RET_ERRNO | 13, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH), ESRCH);
    pthread_barrier_wait(&bar2);
    pthread_join(th, NULL);
}

/* Under a container's profile (tests/oci_seccomp_profile.rs), not natively:
 * mkdir fails with EACCES, dup of fd 42 with EMFILE, everything else runs,
 * and the profile is the process's one filter. */
static void g_profile(void) {
    EXPECT_ERR("mkdir-refused", mkdir("/tmp/seccomp-dir", 0755), EACCES);
    dup2(1, 42);
    EXPECT_ERR("dup-42-refused", dup(42), EMFILE);
    int d = dup(1);
    expect("dup-1-runs", d >= 0, "%s", errno_name(errno));
    expect("status", status_field("Seccomp:") == 2 && status_field("Seccomp_filters:") == 1, "%ld %ld",
           status_field("Seccomp:"), status_field("Seccomp_filters:"));
    /* The program may add its own filters on top. */
    no_new_privs();
    EXPECT_OK("own-filter", install(SYS_getppid, SECCOMP_RET_ERRNO | 21, 0));
    EXPECT_ERR("own-filter-applies", syscall(SYS_getppid), 21);
}

static const struct test_group groups[] = {
    {"errors", g_errors}, {"errno", g_errno},     {"trap", g_trap},   {"kill", g_kill},
    {"strict", g_strict}, {"inherit", g_inherit}, {"tsync", g_tsync}, {"profile", g_profile},
};

int main(int argc, char **argv) {
    snprintf(self_path, sizeof self_path, "/proc/self/exe");
    if (argc > 1 && strcmp(argv[1], "probe") == 0)
        return probe();
    return RUN_GROUPS(argc, argv, groups);
}
