/*
 * ptrace(2) and process_vm_readv/writev between processes, checked against
 * Linux: every check prints "name: ok" natively, and must under husk.
 * Usage: ptrace GROUP.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>

#define NT_PRSTATUS_ 1
#define NT_PRFPREG_ 2

/* waitpid that gives up after 5 s (a tracee that never stops). */
static pid_t twait(pid_t pid, int *st, int opts) {
    pid_t r = waitpid_ms(pid, st, opts, 5000);
    if (r == 0)
        printf("wait for %d timed out\n", pid);
    return r;
}

/* A forked child that asks to be traced and stops itself; the parent
 * returns once it sees the SIGSTOP. */
static pid_t traced_child(void (*body)(void)) {
    pid_t pid = xfork();
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
            _exit(100);
        raise(SIGSTOP);
        body();
        _exit(0);
    }
    int st;
    twait(pid, &st, 0);
    expect("child stops with SIGSTOP", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "%s", status_text(st));
    return pid;
}

/* The /proc/PID/status line starting with `key`, without the key. */
static const char *status_line(pid_t pid, const char *key) {
    static char line[256];
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return "(no file)";
    const char *found = "(none)";
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, strlen(key)) == 0) {
            line[strcspn(line, "\n")] = 0;
            found = line + strlen(key);
            while (*found == ' ' || *found == '\t')
                found++;
            break;
        }
    }
    fclose(f);
    return found;
}

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

/* ---- Syscall stops ---- */

static void sys_body(void) {
    syscall(SYS_getpid);
    /* The tracer turns this getppid into getpid... */
    long r1 = syscall(SYS_getppid);
    /* ...and skips this getuid, making it return 4242. */
    long r2 = syscall(SYS_getuid);
    _exit((r1 == getpid() ? 1 : 0) | (r2 == 4242 ? 2 : 0));
}

static void syscalls(void) {
    pid_t pid = traced_child(sys_body);
    EXPECT_OK("setoptions", ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD));
    int st, stops = 0, bad_code = 0, entries = 0, exits = 0, alternate = 1, in_call = 0;
    int saw_getpid = 0, getpid_result_ok = 0, info_ok = 1;
    for (;;) {
        if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0) {
            printf("PTRACE_SYSCALL: %s\n", errno_name(errno));
            break;
        }
        if (twait(pid, &st, 0) <= 0 || !WIFSTOPPED(st))
            break;
        stops++;
        if (st >> 8 != (SIGTRAP | 0x80)) {
            bad_code++;
            continue;
        }
        struct user_regs_struct r;
        ptrace(PTRACE_GETREGS, pid, 0, &r);
        struct __ptrace_syscall_info info;
        memset(&info, 0xff, sizeof info);
        long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
        if (!in_call) {
            entries++;
            if (n != 80 || info.op != PTRACE_SYSCALL_INFO_ENTRY || info.entry.nr != r.orig_rax ||
                info.arch != 0xc000003e || info.instruction_pointer != r.rip)
                info_ok = 0;
            if ((long)r.rax != -ENOSYS)
                info_ok = 0;
            if (r.orig_rax == SYS_getpid)
                saw_getpid = 1;
            if (r.orig_rax == SYS_getppid) {
                r.orig_rax = SYS_getpid;
                ptrace(PTRACE_SETREGS, pid, 0, &r);
            } else if (r.orig_rax == SYS_getuid) {
                r.orig_rax = -1;
                r.rax = 4242;
                ptrace(PTRACE_SETREGS, pid, 0, &r);
            }
        } else {
            exits++;
            if (n != 33 || info.op != PTRACE_SYSCALL_INFO_EXIT || info.exit.rval != (long)r.rax)
                info_ok = 0;
            if (r.orig_rax == SYS_getpid && (long)r.rax == pid)
                getpid_result_ok = 1;
        }
        in_call = !in_call;
        if (exits > entries)
            alternate = 0;
    }
    expect("syscall stops seen", stops >= 6, "%d", stops);
    expect("stop code SIGTRAP|0x80", bad_code == 0, "%d others", bad_code);
    expect("entry and exit alternate", alternate && entries >= 3 && entries - exits <= 1, "%d/%d", entries, exits);
    expect("getpid seen", saw_getpid && getpid_result_ok, "%d %d", saw_getpid, getpid_result_ok);
    expect("syscall info", info_ok, "no");
    expect("changed and skipped calls", WIFEXITED(st) && WEXITSTATUS(st) == 3, "%s", status_text(st));
}

/* ---- Memory and registers ---- */

static volatile long value = 1234;
static void mem_body(void) {
    _exit(value == 5678 ? 0 : 1);
}

static void peekpoke(void) {
    pid_t pid = traced_child(mem_body);
    int st;
    errno = 0;
    long v = ptrace(PTRACE_PEEKDATA, pid, (void *)&value, 0);
    expect("peekdata", v == 1234 && errno == 0, "%ld %s", v, errno_name(errno));
    EXPECT_OK("pokedata", ptrace(PTRACE_POKEDATA, pid, (void *)&value, (void *)5678));
    errno = 0;
    v = ptrace(PTRACE_PEEKTEXT, pid, (void *)&value, 0);
    expect("peektext", v == 5678, "%ld", v);
    EXPECT_ERR("peekdata unmapped", ptrace(PTRACE_PEEKDATA, pid, (void *)8, 0), EIO);
    EXPECT_ERR("pokedata unmapped", ptrace(PTRACE_POKEDATA, pid, (void *)8, 0), EIO);
    /* Program text is read-only, but a tracer writes it (breakpoints). */
    errno = 0;
    long code = ptrace(PTRACE_PEEKTEXT, pid, (void *)mem_body, 0);
    EXPECT_OK("poketext read-only", ptrace(PTRACE_POKETEXT, pid, (void *)mem_body, (void *)(code ^ 0xff)));
    expect("poketext took", ptrace(PTRACE_PEEKTEXT, pid, (void *)mem_body, 0) == (code ^ 0xff), "no");
    ptrace(PTRACE_POKETEXT, pid, (void *)mem_body, (void *)code);
    expect("parent's text unchanged", *(volatile long *)mem_body == code, "no");
    /* Nothing mapped there (under husk: the stub's code, which no tracer
     * may change). */
    EXPECT_ERR("poketext outside mappings", ptrace(PTRACE_POKETEXT, pid, (void *)0x7ffbfc000000, 0), EIO);

    struct user_regs_struct r;
    EXPECT_OK("getregs", ptrace(PTRACE_GETREGS, pid, 0, &r));
    errno = 0;
    long rip = ptrace(PTRACE_PEEKUSER, pid, offsetof(struct user, regs.rip), 0);
    expect("peekuser rip", rip == (long)r.rip && errno == 0, "%lx vs %llx", rip, r.rip);
    long orig = ptrace(PTRACE_PEEKUSER, pid, offsetof(struct user, regs.orig_rax), 0);
    expect("peekuser orig_rax", orig == SYS_tgkill, "%ld", orig);
    errno = 0;
    long dr7 = ptrace(PTRACE_PEEKUSER, pid, offsetof(struct user, u_debugreg) + 7 * 8, 0);
    expect("peekuser debugreg", dr7 == 0 && errno == 0, "%ld", dr7);
    EXPECT_ERR("peekuser misaligned", ptrace(PTRACE_PEEKUSER, pid, 3, 0), EIO);
    EXPECT_ERR("peekuser past end", ptrace(PTRACE_PEEKUSER, pid, 4096, 0), EIO);
    EXPECT_OK("pokeuser r12", ptrace(PTRACE_POKEUSER, pid, offsetof(struct user, regs.r12), 0x5151));
    struct user_regs_struct r2;
    ptrace(PTRACE_GETREGS, pid, 0, &r2);
    expect("pokeuser took", r2.r12 == 0x5151, "%llx", r2.r12);
    r2.r12 = r.r12;
    EXPECT_OK("setregs", ptrace(PTRACE_SETREGS, pid, 0, &r2));

    struct user_regs_struct r3;
    struct iovec iov = {&r3, sizeof r3};
    EXPECT_OK("getregset prstatus", ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS_, &iov));
    expect("regset size", iov.iov_len == sizeof r3 && r3.rip == r.rip, "%zu", iov.iov_len);
    struct user_fpregs_struct fp;
    EXPECT_OK("getfpregs", ptrace(PTRACE_GETFPREGS, pid, 0, &fp));
    expect("mxcsr", (fp.mxcsr & 0xffc0) == 0x1f80, "%x", fp.mxcsr);
    struct user_fpregs_struct fp2;
    struct iovec fiov = {&fp2, sizeof fp2};
    EXPECT_OK("getregset prfpreg", ptrace(PTRACE_GETREGSET, pid, NT_PRFPREG_, &fiov));
    expect("fp regset", fiov.iov_len == 512 && memcmp(&fp, &fp2, 160) == 0, "%zu", fiov.iov_len);
    EXPECT_OK("setfpregs", ptrace(PTRACE_SETFPREGS, pid, 0, &fp));
    struct user_fpregs_struct bad = fp;
    bad.mxcsr |= 0x80000000;
    EXPECT_ERR("setfpregs bad mxcsr", ptrace(PTRACE_SETFPREGS, pid, 0, &bad), EINVAL);
    struct iovec biov = {&r3, sizeof r3};
    EXPECT_ERR("getregset bad type", ptrace(PTRACE_GETREGSET, pid, 0x999, &biov), EINVAL);

    /* process_vm_readv sees the poked value too. */
    long got = 0;
    struct iovec l = {&got, sizeof got}, rv = {(void *)&value, sizeof got};
    expect_ret("process_vm_readv tracee", process_vm_readv(pid, &l, 1, &rv, 1, 0), errno, 8, 0);
    expect("process_vm_readv value", got == 5678, "%ld", got);

    EXPECT_ERR("cont bad signal", ptrace(PTRACE_CONT, pid, 0, 65), EIO);
    EXPECT_ERR("setoptions bad", ptrace(PTRACE_SETOPTIONS, pid, 0, 0x8000), EINVAL);
    EXPECT_ERR("attach traced", ptrace(PTRACE_ATTACH, pid, 0, 0), EPERM);
    EXPECT_ERR("attach self", ptrace(PTRACE_ATTACH, getpid(), 0, 0), EPERM);
    EXPECT_ERR("seize bad options", ptrace(PTRACE_SEIZE, pid, 0, 0x8000), EIO);
    EXPECT_ERR("no such pid", ptrace(PTRACE_CONT, 999999, 0, 0), ESRCH);
    EXPECT_OK("cont", ptrace(PTRACE_CONT, pid, 0, 0));
    twait(pid, &st, 0);
    expect("child saw poke", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
    EXPECT_ERR("after exit", ptrace(PTRACE_CONT, pid, 0, 0), ESRCH);

    /* Not traced by us: ESRCH. */
    int fds[2];
    pid_t other = parked_child(fds);
    EXPECT_ERR("not a tracee", ptrace(PTRACE_PEEKDATA, other, (void *)&value, 0), ESRCH);
    release(fds, other, 0);
}

/* ---- Signals ---- */

static volatile int usr1_count, usr2_count;
static void on_usr1(int s) { (void)s; usr1_count++; }
static void on_usr2(int s) { (void)s; usr2_count++; }

static void sig_body(void) {
    raise(SIGUSR1);  /* suppressed by the tracer */
    raise(SIGUSR2);  /* turned into SIGUSR1 */
    raise(SIGWINCH); /* ignored by default, still seen by the tracer */
    _exit(usr1_count * 10 + usr2_count);
}

static void signals(void) {
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);
    pid_t pid = traced_child(sig_body);
    int st, seen[65] = {0};
    siginfo_t si;
    EXPECT_OK("getsiginfo", ptrace(PTRACE_GETSIGINFO, pid, 0, &si));
    expect("siginfo of SIGSTOP", si.si_signo == SIGSTOP && si.si_code == SI_TKILL && si.si_pid == pid,
           "%d %d", si.si_signo, si.si_code);
    int inject = 0;
    for (int i = 0; i < 10; i++) {
        if (ptrace(PTRACE_CONT, pid, 0, inject) < 0)
            break;
        inject = 0;
        if (twait(pid, &st, 0) <= 0 || !WIFSTOPPED(st))
            break;
        int sig = WSTOPSIG(st);
        seen[sig]++;
        if (sig == SIGUSR2) {
            inject = SIGUSR1;
        } else if (sig == SIGUSR1) {
            ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
            expect("siginfo of SIGUSR1", si.si_signo == SIGUSR1 && si.si_code == SI_TKILL, "%d", si.si_code);
        }
    }
    expect("signal stops", seen[SIGUSR1] == 1 && seen[SIGUSR2] == 1 && seen[SIGWINCH] == 1, "%d %d %d",
           seen[SIGUSR1], seen[SIGUSR2], seen[SIGWINCH]);
    expect("suppressed and injected", WIFEXITED(st) && WEXITSTATUS(st) == 10, "%s", status_text(st));
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* ---- PTRACE_ATTACH, /proc, DETACH ---- */

static void attach(void) {
    int fds[2];
    pid_t pid = parked_child(fds);
    EXPECT_OK("attach", ptrace(PTRACE_ATTACH, pid, 0, 0));
    int st;
    twait(pid, &st, 0);
    expect("attach stop", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "%s", status_text(st));
    char want[32];
    snprintf(want, sizeof want, "%d", getpid());
    const char *tp = status_line(pid, "TracerPid:");
    expect("TracerPid", strcmp(tp, want) == 0, "%s", tp);
    const char *state = status_line(pid, "State:");
    expect("state t", strcmp(state, "t (tracing stop)") == 0, "%s", state);
    expect("nothing more to wait for", waitpid(pid, &st, WNOHANG) == 0, "no");
    EXPECT_OK("detach", ptrace(PTRACE_DETACH, pid, 0, 0));
    sleep_ms(50);
    tp = status_line(pid, "TracerPid:");
    expect("TracerPid after detach", strcmp(tp, "0") == 0, "%s", tp);
    release(fds, pid, 3);
}

/* ---- PTRACE_SEIZE, INTERRUPT, fork/exec/exit events ---- */

static void seize_body(int rd, const char *self) {
    char c;
    while (read(rd, &c, 1) < 0 && errno == EINTR)
        ;
    pid_t g = fork();
    if (g == 0)
        _exit(3);
    int st;
    waitpid(g, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 3)
        _exit(9);
    execl(self, self, "exec_target", (char *)NULL);
    _exit(8);
}

static const char *self_path;

static void seize(void) {
    int fds[2];
    if (pipe(fds) < 0)
        return;
    pid_t pid = xfork();
    if (pid == 0) {
        close(fds[1]);
        seize_body(fds[0], self_path);
    }
    close(fds[0]);
    long opts = PTRACE_O_TRACEFORK | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESYSGOOD;
    EXPECT_OK("seize", ptrace(PTRACE_SEIZE, pid, 0, opts));
    int st;
    expect("no stop after seize", waitpid(pid, &st, WNOHANG) == 0, "stopped");
    EXPECT_ERR("peek while running", ptrace(PTRACE_PEEKDATA, pid, (void *)&value, 0), ESRCH);
    EXPECT_OK("interrupt", ptrace(PTRACE_INTERRUPT, pid, 0, 0));
    twait(pid, &st, 0);
    expect("interrupt stop", WIFSTOPPED(st) && st >> 8 == (SIGTRAP | PTRACE_EVENT_STOP << 8), "%x", st);
    siginfo_t si;
    EXPECT_OK("interrupt siginfo", ptrace(PTRACE_GETSIGINFO, pid, 0, &si));
    expect("interrupt si_code", si.si_signo == SIGTRAP && si.si_code == (SIGTRAP | PTRACE_EVENT_STOP << 8), "%d %x",
           si.si_signo, si.si_code);
    (void)!write(fds[1], "g", 1);
    EXPECT_OK("cont after interrupt", ptrace(PTRACE_CONT, pid, 0, 0));
    pid_t grandchild = -1;
    int fork_event = 0, gc_first_stop = 0, gc_exit_event = 0, gc_exited = 0, exec_event = 0, exit_event = 0;
    unsigned long msg;
    for (int i = 0; i < 20; i++) {
        pid_t w = waitpid_ms(-1, &st, __WALL, 5000);
        if (w <= 0)
            break;
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            if (w == grandchild)
                gc_exited = WIFEXITED(st) && WEXITSTATUS(st) == 3;
            if (w == pid) {
                expect("child exit status", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
                break;
            }
            continue;
        }
        int ev = st >> 16;
        if (w == pid && ev == PTRACE_EVENT_FORK) {
            ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
            grandchild = (pid_t)msg;
            fork_event = (st >> 8) == (SIGTRAP | PTRACE_EVENT_FORK << 8);
        } else if (w == pid && ev == PTRACE_EVENT_EXEC) {
            ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
            exec_event = (pid_t)msg == pid;
        } else if (w == pid && ev == PTRACE_EVENT_EXIT) {
            ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
            exit_event = msg == 0;
        } else if (w != pid && ev == PTRACE_EVENT_STOP) {
            gc_first_stop = WSTOPSIG(st) == SIGTRAP;
        } else if (w != pid && ev == PTRACE_EVENT_EXIT) {
            ptrace(PTRACE_GETEVENTMSG, w, 0, &msg);
            gc_exit_event = msg == 3 << 8;
        }
        ptrace(PTRACE_CONT, w, 0, 0);
    }
    expect("fork event", fork_event && grandchild > 0, "%d", fork_event);
    expect("new child's first stop", gc_first_stop, "no");
    expect("new child's exit event", gc_exit_event, "no");
    expect("new child's exit seen", gc_exited, "no");
    expect("exec event", exec_event, "no");
    expect("exit event", exit_event, "no");
    close(fds[1]);
}

static void exec_target(void) {}

/* ---- PTRACE_O_EXITKILL: the tracer's death kills the tracee ---- */

static void exitkill(void) {
    int alive[2];
    if (pipe(alive) < 0)
        return;
    pid_t tracer = xfork();
    if (tracer == 0) {
        pid_t t = fork();
        if (t == 0) {
            close(alive[0]);
            for (;;)
                pause();
        }
        close(alive[1]);
        if (ptrace(PTRACE_SEIZE, t, 0, PTRACE_O_EXITKILL) < 0)
            _exit(1);
        _exit(0);
    }
    close(alive[1]);
    int st;
    twait(tracer, &st, 0);
    expect("tracer exited", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
    /* The tracee held the pipe's write end: EOF once it is dead. */
    char c;
    long n = read(alive[0], &c, 1);
    expect("tracee killed", n == 0, "%ld", n);
    close(alive[0]);
}

/* ---- Single-step and breakpoints ---- */

extern char after_int3[];
static void __attribute__((noinline)) bp_target(void) { __asm__ volatile("nop"); }
static void step_body(void) {
    __asm__ volatile("nop\n\tint3\n\t.globl after_int3\nafter_int3:\n\tnop");
    bp_target();
    syscall(SYS_getpid);
    _exit(7);
}

static void step(void) {
    pid_t pid = traced_child(step_body);
    int st;
    siginfo_t si;
    struct user_regs_struct r0, r1;
    ptrace(PTRACE_GETREGS, pid, 0, &r0);
    EXPECT_OK("singlestep", ptrace(PTRACE_SINGLESTEP, pid, 0, 0));
    twait(pid, &st, 0);
    expect("step trap", WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP, "%s", status_text(st));
    ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
    expect("step si_code", si.si_code == TRAP_TRACE, "%d", si.si_code);
    ptrace(PTRACE_GETREGS, pid, 0, &r1);
    expect("step moved", r1.rip != r0.rip && r1.rip - r0.rip < 16, "%llx -> %llx", r0.rip, r1.rip);
    expect("TF hidden", (r1.eflags & 0x100) == 0, "%llx", r1.eflags);

    /* A breakpoint planted in the text. */
    long orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)bp_target, 0);
    EXPECT_OK("plant breakpoint", ptrace(PTRACE_POKETEXT, pid, (void *)bp_target, (void *)((orig & ~0xffL) | 0xcc)));
    /* The program's own int3 first. */
    ptrace(PTRACE_CONT, pid, 0, 0);
    twait(pid, &st, 0);
    ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
    ptrace(PTRACE_GETREGS, pid, 0, &r1);
    expect("int3 trap", WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP && si.si_code == SI_KERNEL &&
           r1.rip == (unsigned long)after_int3, "%s code %d rip %llx", status_text(st), si.si_code, r1.rip);
    ptrace(PTRACE_CONT, pid, 0, 0);
    twait(pid, &st, 0);
    ptrace(PTRACE_GETREGS, pid, 0, &r1);
    expect("breakpoint hit", WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP && r1.rip == (unsigned long)bp_target + 1,
           "%s rip %llx", status_text(st), r1.rip);
    ptrace(PTRACE_POKETEXT, pid, (void *)bp_target, (void *)orig);
    r1.rip = (unsigned long)bp_target;
    ptrace(PTRACE_SETREGS, pid, 0, &r1);

    /* Step on to the syscall instruction and over it. */
    int steps = 0, over_syscall = 0;
    for (; steps < 2000; steps++) {
        ptrace(PTRACE_GETREGS, pid, 0, &r1);
        long insn = ptrace(PTRACE_PEEKTEXT, pid, (void *)r1.rip, 0);
        int is_syscall = (insn & 0xffff) == 0x050f;
        ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
        twait(pid, &st, 0);
        if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP)
            break;
        if (is_syscall) {
            struct user_regs_struct r2;
            ptrace(PTRACE_GETREGS, pid, 0, &r2);
            ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
            over_syscall = r2.rip == r1.rip + 2 && r2.orig_rax == SYS_getpid && (long)r2.rax == pid;
            expect("stepped syscall trap", si.si_signo == SIGTRAP && si.si_code == TRAP_BRKPT, "code %d", si.si_code);
            break;
        }
    }
    expect("stepped over getpid", over_syscall, "after %d steps", steps);
    ptrace(PTRACE_CONT, pid, 0, 0);
    twait(pid, &st, 0);
    expect("runs on after the breakpoint", WIFEXITED(st) && WEXITSTATUS(st) == 7, "%s", status_text(st));
}

/* ---- Group stop, PTRACE_LISTEN ---- */

static void pause_body(void) {
    for (;;)
        pause();
}

static void groupstop(void) {
    pid_t pid = xfork();
    if (pid == 0)
        pause_body();
    int st;
    EXPECT_OK("seize", ptrace(PTRACE_SEIZE, pid, 0, 0));
    kill(pid, SIGSTOP);
    twait(pid, &st, 0);
    expect("signal-delivery-stop", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP && st >> 16 == 0, "%x", st);
    ptrace(PTRACE_CONT, pid, 0, SIGSTOP);
    twait(pid, &st, 0);
    expect("group-stop", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP && st >> 16 == PTRACE_EVENT_STOP, "%x", st);
    const char *state = status_line(pid, "State:");
    expect("group-stop state", strcmp(state, "t (tracing stop)") == 0, "%s", state);
    EXPECT_OK("listen", ptrace(PTRACE_LISTEN, pid, 0, 0));
    expect("listening: nothing to wait for", waitpid(pid, &st, WNOHANG | __WALL) == 0, "%x", st);
    kill(pid, SIGCONT);
    twait(pid, &st, 0);
    expect("trap after SIGCONT", WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP && st >> 16 == PTRACE_EVENT_STOP, "%x", st);
    ptrace(PTRACE_CONT, pid, 0, 0);
    twait(pid, &st, 0);
    expect("SIGCONT delivery stop", WIFSTOPPED(st) && WSTOPSIG(st) == SIGCONT && st >> 16 == 0, "%x", st);
    EXPECT_ERR("listen outside group-stop", ptrace(PTRACE_LISTEN, pid, 0, 0), EIO);
    ptrace(PTRACE_CONT, pid, 0, 0);
    kill(pid, SIGKILL);
    twait(pid, &st, 0);
    expect("killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s", status_text(st));

    /* A PTRACE_TRACEME tracee's group-stop has no siginfo. */
    pid = traced_child(pause_body);
    ptrace(PTRACE_CONT, pid, 0, SIGSTOP);
    twait(pid, &st, 0);
    expect("traceme group-stop", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP && st >> 16 == 0, "%x", st);
    siginfo_t si;
    EXPECT_ERR("group-stop siginfo", ptrace(PTRACE_GETSIGINFO, pid, 0, &si), EINVAL);
    /* SIGKILL ends a stopped tracee. */
    kill(pid, SIGKILL);
    twait(pid, &st, 0);
    expect("killed while stopped", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s", status_text(st));
}

/* ---- The tracer exits: its stopped tracee is let go ---- */

static void tracer_exit(void) {
    int alive[2], idp[2];
    if (pipe(alive) < 0 || pipe(idp) < 0)
        return;
    pid_t tracer = xfork();
    if (tracer == 0) {
        pid_t t = fork();
        if (t == 0) {
            close(alive[0]);
            pause_body();
        }
        (void)!write(idp[1], &t, sizeof t);
        if (ptrace(PTRACE_ATTACH, t, 0, 0) < 0)
            _exit(1);
        int st;
        waitpid(t, &st, 0);
        _exit(WIFSTOPPED(st) ? 0 : 2);
    }
    close(alive[1]);
    close(idp[1]);
    pid_t tracee = 0;
    (void)!read(idp[0], &tracee, sizeof tracee);
    close(idp[0]);
    int st;
    twait(tracer, &st, 0);
    expect("tracer exited", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
    char c;
    int flags = fcntl(alive[0], F_GETFL);
    fcntl(alive[0], F_SETFL, flags | O_NONBLOCK);
    long n = read(alive[0], &c, 1);
    expect("tracee alive", n < 0 && errno == EAGAIN, "%ld", n);
    const char *tp = status_line(tracee, "TracerPid:");
    expect("tracee untraced", strcmp(tp, "0") == 0, "%s", tp);
    kill(tracee, SIGKILL);
    fcntl(alive[0], F_SETFL, flags);
    n = read(alive[0], &c, 1);
    expect("tracee gone", n == 0, "%ld", n);
    close(alive[0]);
}

/* ---- SECCOMP_RET_TRACE: PTRACE_EVENT_SECCOMP ---- */

static void seccomp_body(void) {
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), /* nr */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 0x42),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof code / sizeof code[0], code};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        _exit(100);
    long a = syscall(SYS_getppid); /* turned into getpid */
    long b = syscall(SYS_getppid); /* skipped, returns 77 */
    _exit((a == getpid() ? 1 : 0) | (b == 77 ? 2 : 0));
}

static void seccomp_trace(void) {
    pid_t pid = traced_child(seccomp_body);
    EXPECT_OK("setoptions", ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESECCOMP));
    int st, events = 0, info_ok = 1;
    for (int i = 0; i < 10; i++) {
        ptrace(PTRACE_CONT, pid, 0, 0);
        if (twait(pid, &st, 0) <= 0 || !WIFSTOPPED(st))
            break;
        if (st >> 8 != (SIGTRAP | PTRACE_EVENT_SECCOMP << 8))
            continue;
        unsigned long msg = 0;
        ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
        struct __ptrace_syscall_info info;
        long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
        struct user_regs_struct r;
        ptrace(PTRACE_GETREGS, pid, 0, &r);
        if (msg != 0x42 || n != 84 || info.op != PTRACE_SYSCALL_INFO_SECCOMP || info.seccomp.nr != SYS_getppid ||
            info.seccomp.ret_data != 0x42 || (long)r.rax != -ENOSYS)
            info_ok = 0;
        if (events++ == 0) {
            r.orig_rax = SYS_getpid;
        } else {
            r.orig_rax = -1;
            r.rax = 77;
        }
        ptrace(PTRACE_SETREGS, pid, 0, &r);
    }
    expect("seccomp events", events == 2, "%d", events);
    expect("seccomp event details", info_ok, "no");
    expect("changed and skipped", WIFEXITED(st) && WEXITSTATUS(st) == 3, "%s", status_text(st));
}

static const struct test_group groups[] = {
    {"seccomp_trace", seccomp_trace},
    {"groupstop", groupstop},
    {"tracer_exit", tracer_exit},
    {"step", step},
    {"syscalls", syscalls},
    {"peekpoke", peekpoke},
    {"signals", signals},
    {"attach", attach},
    {"seize", seize},
    {"exitkill", exitkill},
    {"exec_target", exec_target},
    {"vm", vm},
    {"vm_perms", vm_perms},
};

int main(int argc, char **argv) {
    self_path = argv[0];
    return RUN_GROUPS(argc, argv, groups);
}
