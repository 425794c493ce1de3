/*
 * Signals with Linux semantics: siginfo, masks, pending sets, waiting for
 * signals, handler flags, EINTR vs SA_RESTART, stop/continue, faults,
 * alternate stacks, FP state across handlers, SIGCHLD and SIGPIPE.
 * One line per check ("name: ok" natively); no pids or times printed.
 *
 * Checks that end with a default action (death, stop) happen in children:
 * under husk the program is PID 1, which ignores such signals.
 *
 *   signals [GROUP]     run one group (all without an argument)
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

/* ---- handlers and helpers ---------------------------------------------- */

static volatile int hits;
static volatile int last_signo, last_code, last_errno_in_handler;
static volatile pid_t last_pid;
static volatile uid_t last_uid;
static volatile int last_value;
static volatile int last_status;

static void count_handler(int sig) {
    (void)sig;
    hits++;
}

static void info_handler(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    hits++;
    last_signo = sig;
    last_code = si->si_code;
    last_pid = si->si_pid;
    last_uid = si->si_uid;
    last_value = si->si_value.sival_int;
    last_status = si->si_status;
}

static void set_handler(int sig, void (*h)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static void set_info_handler(int sig, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(sig, &sa, NULL);
}

static void block(int sig, int how) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(how, &s, NULL);
}

static sigset_t just(int sig) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    return s;
}

/* A one-shot ITIMER_REAL in `ms` milliseconds (0 disarms). */
static void arm_ms(long ms) {
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

/* A child that sends `sig` to the parent every 20 ms until killed. */
static pid_t pester(int sig) {
    pid_t parent = getpid();
    pid_t c = xfork();
    if (c == 0) {
        for (int i = 0; i < 1000; i++) {
            sleep_ms(20);
            kill(parent, sig);
        }
        _exit(0);
    }
    return c;
}

static void stop_child(pid_t c) {
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
}

/* ---- siginfo: who sent it and how ---------------------------------------- */

static void g_siginfo(void) {
    set_info_handler(SIGUSR1, 0);

    hits = 0;
    kill(getpid(), SIGUSR1);
    expect("kill-self-delivered-before-return", hits == 1, "%d handler runs",
           hits);
    expect("kill-si-code-si-user", last_code == SI_USER, "si_code %d", last_code);
    expect("kill-si-pid", last_pid == getpid(), "si_pid is not ours");
    expect("kill-si-uid", last_uid == getuid(), "si_uid %d", (int)last_uid);
    expect("kill-si-signo", last_signo == SIGUSR1, "signo %d", last_signo);

    hits = 0;
    raise(SIGUSR1);
    expect("raise-si-code-si-tkill", hits == 1 && last_code == SI_TKILL,
           "hits %d si_code %d", hits, last_code);
    expect("raise-si-pid", last_pid == getpid(), "si_pid is not ours");

    hits = 0;
    syscall(SYS_tgkill, getpid(), gettid_(), SIGUSR1);
    expect("tgkill-si-code-si-tkill", hits == 1 && last_code == SI_TKILL,
           "hits %d si_code %d", hits, last_code);
    hits = 0;
    syscall(SYS_tkill, gettid_(), SIGUSR1);
    expect("tkill-si-code-si-tkill", hits == 1 && last_code == SI_TKILL,
           "hits %d si_code %d", hits, last_code);

    hits = 0;
    sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 42});
    expect("sigqueue-si-code-si-queue", hits == 1 && last_code == SI_QUEUE,
           "hits %d si_code %d", hits, last_code);
    expect("sigqueue-si-value", last_value == 42, "value %d", last_value);
    expect("sigqueue-si-pid", last_pid == getpid(), "si_pid is not ours");

    /* rt_sigqueueinfo to oneself keeps a custom negative si_code. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR1;
    si.si_code = -42;
    si.si_value.sival_int = 7;
    hits = 0;
    long r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si);
    expect("rt-sigqueueinfo-self", r == 0 && hits == 1 && last_code == -42 &&
                                       last_value == 7,
           "r %ld hits %d code %d", r, hits, last_code);

    /* From a child: si_pid is the child's. */
    block(SIGUSR1, SIG_BLOCK);
    pid_t c = xfork();
    if (c == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    hits = 0;
    block(SIGUSR1, SIG_UNBLOCK);
    expect("child-kill-si-pid", hits == 1 && last_pid == c && last_code == SI_USER,
           "hits %d, si_pid %s, code %d", hits, last_pid == c ? "ok" : "wrong",
           last_code);

    /* sigqueue to a child: it sees the value and our pid. */
    int ready[2];
    pipe(ready);
    block(SIGUSR2, SIG_BLOCK);
    c = xfork();
    if (c == 0) {
        write(ready[1], "r", 1);
        sigset_t s = just(SIGUSR2);
        siginfo_t got;
        struct timespec to = {10, 0};
        int sig = sigtimedwait(&s, &got, &to);
        _exit(sig == SIGUSR2 && got.si_code == SI_QUEUE &&
                      got.si_value.sival_int == 99 && got.si_pid == getppid()
                  ? 0
                  : 1);
    }
    char b;
    read(ready[0], &b, 1);
    sigqueue(c, SIGUSR2, (union sigval){.sival_int = 99});
    const char *st = wait_text(c);
    expect("sigqueue-to-child", strcmp(st, "exited 0") == 0, "%s", st);

    /* Others may not fake si_code >= 0 with rt_sigqueueinfo. */
    c = xfork();
    if (c == 0) {
        write(ready[1], "r", 1);
        for (;;)
            pause();
    }
    read(ready[0], &b, 1);
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR2;
    si.si_code = SI_USER;
    errno = 0;
    r = syscall(SYS_rt_sigqueueinfo, c, SIGUSR2, &si);
    expect("rt-sigqueueinfo-other-si-user-eperm", r < 0 && errno == EPERM, "%s",
           r < 0 ? errno_name(errno) : "allowed");
    stop_child(c);
    block(SIGUSR2, SIG_UNBLOCK);
    close(ready[0]);
    close(ready[1]);
    signal(SIGUSR1, SIG_DFL);
}

/* ---- kill edge cases ----------------------------------------------------- */

static void g_kill(void) {
    EXPECT_OK("kill-sig-0-self", kill(getpid(), 0));
    EXPECT_ERR("kill-sig-0-no-such-pid", kill(999999, 0), ESRCH);
    EXPECT_ERR("kill-bad-signal", kill(getpid(), 65), EINVAL);
    EXPECT_ERR("kill-negative-signal", kill(getpid(), -1), EINVAL);
    EXPECT_ERR("tgkill-wrong-tid", syscall(SYS_tgkill, getpid(), 999999, 0),
               ESRCH);
    EXPECT_ERR("tgkill-zero-tgid", syscall(SYS_tgkill, 0, gettid_(), 0), EINVAL);
    EXPECT_ERR("tkill-negative-tid", syscall(SYS_tkill, -1, 0), EINVAL);

    /* A zombie still exists for kill(pid, 0). */
    pid_t c = xfork();
    if (c == 0)
        _exit(0);
    sleep_ms(50);
    EXPECT_OK("kill-zombie-sig-0", kill(c, 0));
    waitpid(c, NULL, 0);
    EXPECT_ERR("kill-reaped-esrch", kill(c, 0), ESRCH);

    /* killpg and kill(-pgid) reach every member of a group. */
    int ready[2];
    pipe(ready);
    pid_t a = xfork();
    if (a == 0) {
        setpgid(0, 0);
        write(ready[1], "a", 1);
        for (;;)
            pause();
    }
    setpgid(a, a);
    pid_t b = xfork();
    if (b == 0) {
        setpgid(0, a);
        write(ready[1], "b", 1);
        for (;;)
            pause();
    }
    setpgid(b, a);
    char buf[2];
    read(ready[0], buf, 1);
    read(ready[0], buf + 1, 1);
    if (killpg(a, SIGTERM) < 0) { /* report it, and do not hang */
        printf("killpg: %s\n", errno_name(errno));
        kill(a, SIGTERM);
        kill(b, SIGTERM);
    }
    const char *sa = strdup(wait_text(a));
    const char *sb = wait_text(b);
    expect("killpg-reaches-group",
           strcmp(sa, "killed by SIGTERM") == 0 && strcmp(sb, "killed by SIGTERM") == 0,
           "%s / %s", sa, sb);

    a = xfork();
    if (a == 0) {
        setpgid(0, 0);
        write(ready[1], "a", 1);
        for (;;)
            pause();
    }
    setpgid(a, a);
    read(ready[0], buf, 1);
    if (kill(-a, SIGUSR1) < 0) {
        printf("kill-minus-pgid: %s\n", errno_name(errno));
        kill(a, SIGUSR1);
    }
    sb = wait_text(a);
    expect("kill-minus-pgid", strcmp(sb, "killed by SIGUSR1") == 0, "%s", sb);
    EXPECT_ERR("killpg-empty-group-esrch", killpg(a, 0), ESRCH);

    /* kill(0, sig) signals the caller's own group, itself included. */
    c = xfork();
    if (c == 0) {
        setpgid(0, 0);
        set_handler(SIGUSR2, count_handler, 0);
        hits = 0;
        kill(0, SIGUSR2);
        _exit(hits == 1 ? 0 : 1);
    }
    sb = wait_text(c);
    expect("kill-zero-own-group", strcmp(sb, "exited 0") == 0, "%s", sb);
    close(ready[0]);
    close(ready[1]);
}

/* ---- masks and pending signals ------------------------------------------- */

static char order[128];
static int order_len;

static void order_handler(int sig) {
    order_len += snprintf(order + order_len, sizeof order - order_len, "%d ", sig);
}

static void g_mask(void) {
    set_handler(SIGUSR1, count_handler, 0);
    hits = 0;
    block(SIGUSR1, SIG_BLOCK);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1); /* a standard signal is pending at most once */
    expect("blocked-not-delivered", hits == 0, "%d handler runs", hits);
    sigset_t p;
    sigpending(&p);
    expect("sigpending-shows-blocked", sigismember(&p, SIGUSR1) == 1,
           "SIGUSR1 not pending");
    block(SIGUSR1, SIG_UNBLOCK);
    expect("unblock-delivers-once", hits == 1, "%d handler runs", hits);
    sigpending(&p);
    expect("sigpending-empty-after", sigismember(&p, SIGUSR1) == 0,
           "still pending");

    /* Real-time signals queue: three sends, three deliveries. */
    set_handler(SIGRTMIN, count_handler, 0);
    hits = 0;
    block(SIGRTMIN, SIG_BLOCK);
    for (int i = 0; i < 3; i++)
        sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i});
    block(SIGRTMIN, SIG_UNBLOCK);
    expect("rt-signals-queue", hits == 3, "%d handler runs", hits);

    /* Delivery order: lowest number first. With a full sa_mask each handler
     * runs alone; with an empty one Linux stacks a frame per signal, so the
     * last one set up (highest number) runs first. */
    int sigs[] = {SIGUSR2, SIGUSR1, SIGRTMIN + 1, SIGRTMIN};
    for (int full = 1; full >= 0; full--) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = order_handler;
        if (full)
            sigfillset(&sa.sa_mask);
        sigset_t m;
        sigemptyset(&m);
        for (int i = 0; i < 4; i++) {
            sigaction(sigs[i], &sa, NULL);
            sigaddset(&m, sigs[i]);
        }
        sigprocmask(SIG_BLOCK, &m, NULL);
        for (int i = 0; i < 4; i++)
            kill(getpid(), sigs[i]);
        order_len = 0;
        order[0] = 0;
        sigprocmask(SIG_UNBLOCK, &m, NULL);
        char want[64];
        if (full)
            snprintf(want, sizeof want, "%d %d %d %d ", SIGUSR1, SIGUSR2,
                     SIGRTMIN, SIGRTMIN + 1);
        else
            snprintf(want, sizeof want, "%d %d %d %d ", SIGRTMIN + 1, SIGRTMIN,
                     SIGUSR2, SIGUSR1);
        expect(full ? "delivery-order-one-at-a-time" : "delivery-order-nested",
               strcmp(order, want) == 0, "order %s, want %s", order, want);
    }

    /* SIGKILL and SIGSTOP cannot be blocked: silently left out. */
    sigset_t s, cur, old;
    sigemptyset(&s);
    sigaddset(&s, SIGKILL);
    sigaddset(&s, SIGSTOP);
    sigaddset(&s, SIGHUP);
    sigprocmask(SIG_BLOCK, &s, &old);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    expect("kill-stop-unblockable",
           sigismember(&cur, SIGKILL) == 0 && sigismember(&cur, SIGSTOP) == 0 &&
               sigismember(&cur, SIGHUP) == 1,
           "mask wrong");
    sigprocmask(SIG_SETMASK, &old, &cur);
    expect("setmask-returns-old", sigismember(&cur, SIGHUP) == 1,
           "old mask lacks SIGHUP");
    sigprocmask(SIG_BLOCK, NULL, &cur);
    expect("setmask-restores", sigismember(&cur, SIGHUP) == 0, "SIGHUP still blocked");

    EXPECT_ERR("sigprocmask-bad-how", sigprocmask(99, &s, NULL), EINVAL);
    uint64_t raw = 0;
    EXPECT_ERR("rt-sigprocmask-bad-size",
               syscall(SYS_rt_sigprocmask, SIG_BLOCK, &raw, NULL, 4), EINVAL);
    EXPECT_ERR("rt-sigprocmask-efault",
               syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, 8), EFAULT);

    for (int i = 0; i < 4; i++)
        signal(sigs[i], SIG_DFL);
    signal(SIGRTMIN, SIG_DFL);
}

/* ---- sigwaitinfo / sigtimedwait ------------------------------------------ */

static void g_sigwait(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    sigaddset(&s, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &s, NULL);
    siginfo_t si;

    kill(getpid(), SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    int pending = sigismember(&pend, SIGUSR1) == 1;
    expect("blocked-signal-pending", pending, "SIGUSR1 not pending after kill");
    /* Only wait without a timeout when the signal is there. */
    int r = pending ? sigwaitinfo(&s, &si) : -1;
    expect("sigwaitinfo-pending", r == SIGUSR1 && si.si_code == SI_USER &&
                                      si.si_pid == getpid(),
           "returned %d code %d", r, si.si_code);
    struct timespec to = {5, 0};

    struct timespec zero = {0, 0};
    EXPECT_ERR("sigtimedwait-zero-timeout", sigtimedwait(&s, &si, &zero), EAGAIN);
    struct timespec short_to = {0, 50000000};
    long long t0 = mono_ns();
    errno = 0;
    r = sigtimedwait(&s, &si, &short_to);
    long long el = mono_ns() - t0;
    expect("sigtimedwait-timeout-eagain", r < 0 && errno == EAGAIN, "%d %s", r,
           errno_name(errno));
    expect("sigtimedwait-waited", el >= 50000000LL, "returned early");

    for (int i = 1; i <= 3; i++)
        sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i});
    int vals[3] = {0};
    for (int i = 0; i < 3; i++) {
        r = sigtimedwait(&s, &si, &to);
        vals[i] = r == SIGRTMIN && si.si_code == SI_QUEUE ? si.si_value.sival_int : -1;
    }
    expect("rt-values-in-order", vals[0] == 1 && vals[1] == 2 && vals[2] == 3,
           "values %d %d %d", vals[0], vals[1], vals[2]);

    /* The lowest pending signal first. */
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    int a = sigtimedwait(&s, &si, &to);
    int b = sigtimedwait(&s, &si, &to);
    expect("sigwaitinfo-lowest-first", a == SIGUSR1 && b == SIGUSR2, "%d then %d",
           a, b);

    /* Blocks until a child sends it. */
    pid_t c = xfork();
    if (c == 0) {
        sleep_ms(100);
        kill(getppid(), SIGUSR2);
        _exit(0);
    }
    r = sigtimedwait(&s, &si, &to);
    expect("sigtimedwait-wakes-on-signal", r == SIGUSR2 && si.si_pid == c,
           "returned %d", r);
    waitpid(c, NULL, 0);

    /* A handled signal outside the set interrupts the wait. */
    set_handler(SIGALRM, count_handler, 0);
    arm_ms(50);
    errno = 0;
    r = sigtimedwait(&s, &si, &to);
    expect("sigtimedwait-eintr", r < 0 && errno == EINTR, "%d %s", r,
           errno_name(errno));
    struct timespec bad = {0, 1000000000};
    EXPECT_ERR("sigtimedwait-bad-timeout", sigtimedwait(&s, &si, &bad), EINVAL);

    /* signalfd-free check that nothing is left pending. */
    sigset_t p;
    sigpending(&p);
    expect("nothing-left-pending",
           !sigismember(&p, SIGUSR1) && !sigismember(&p, SIGUSR2) &&
               !sigismember(&p, SIGRTMIN),
           "something pending");
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    signal(SIGALRM, SIG_DFL);
}

/* ---- sigsuspend and pause -------------------------------------------------- */

static void g_suspend(void) {
    set_handler(SIGUSR1, count_handler, 0);
    block(SIGUSR1, SIG_BLOCK);
    pid_t c = xfork();
    if (c == 0) {
        sleep_ms(50);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    sigset_t none;
    sigemptyset(&none);
    hits = 0;
    errno = 0;
    int r = sigsuspend(&none);
    expect("sigsuspend-eintr", r == -1 && errno == EINTR && hits == 1,
           "r %d %s hits %d", r, errno_name(errno), hits);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    expect("sigsuspend-restores-mask", sigismember(&cur, SIGUSR1) == 1,
           "SIGUSR1 unblocked after sigsuspend");
    waitpid(c, NULL, 0);

    /* Already pending: returns at once. */
    kill(getpid(), SIGUSR1);
    hits = 0;
    r = sigsuspend(&none);
    expect("sigsuspend-pending", r == -1 && hits == 1, "hits %d", hits);

    /* The temporary mask blocks other signals while suspended. */
    set_handler(SIGUSR2, count_handler, 0);
    sigset_t only_usr2 = just(SIGUSR2);
    c = xfork();
    if (c == 0) {
        sleep_ms(30);
        kill(getppid(), SIGUSR2);
        sleep_ms(30);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    set_handler(SIGUSR1, order_handler, 0);
    set_handler(SIGUSR2, order_handler, 0);
    order_len = 0;
    order[0] = 0;
    r = sigsuspend(&only_usr2); /* SIGUSR2 blocked, SIGUSR1 allowed */
    /* SIGUSR2 waited until sigsuspend's mask was gone: it is delivered
     * when SIGUSR1's handler returns to the restored mask. */
    char want[32];
    snprintf(want, sizeof want, "%d %d ", SIGUSR1, SIGUSR2);
    expect("sigsuspend-temporary-mask", strcmp(order, want) == 0,
           "handlers ran in order %s, want %s", order, want);
    waitpid(c, NULL, 0);
    block(SIGUSR1, SIG_UNBLOCK);
    set_handler(SIGUSR1, count_handler, 0);

    /* pause() returns EINTR once a handler ran. */
    c = pester(SIGUSR1);
    hits = 0;
    errno = 0;
    r = pause();
    expect("pause-eintr", r == -1 && errno == EINTR && hits >= 1,
           "r %d %s hits %d", r, errno_name(errno), hits);
    stop_child(c);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* ---- sigaction flags --------------------------------------------------------- */

static volatile int depth, max_depth;
static volatile int mask_has_self, mask_has_extra, uc_has_self, uc_has_int;

static void nest_handler(int sig) {
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    hits++;
    if (hits == 1)
        raise(sig);
    depth--;
}

static void mask_handler(int sig, siginfo_t *si, void *ucv) {
    (void)si;
    ucontext_t *uc = ucv;
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    mask_has_self = sigismember(&cur, sig);
    mask_has_extra = sigismember(&cur, SIGUSR2);
    uc_has_self = sigismember(&uc->uc_sigmask, sig);
    uc_has_int = sigismember(&uc->uc_sigmask, SIGINT);
    hits++;
}

static void edit_uc_handler(int sig, siginfo_t *si, void *ucv) {
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    sigaddset(&uc->uc_sigmask, SIGUSR2); /* takes effect at sigreturn */
}

static void g_flags(void) {
    struct sigaction sa, old;

    /* SA_RESETHAND: one delivery, then back to SIG_DFL. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_handler;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR1, &sa, NULL);
    hits = 0;
    raise(SIGUSR1);
    sigaction(SIGUSR1, NULL, &old);
    expect("sa-resethand", hits == 1 && old.sa_handler == SIG_DFL,
           "hits %d, handler %s", hits,
           old.sa_handler == SIG_DFL ? "default" : "still set");

    /* Without SA_NODEFER the signal is blocked in its handler: a raise
     * there waits until the handler returns. With it, it nests. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = nest_handler;
    sigaction(SIGUSR1, &sa, NULL);
    hits = depth = max_depth = 0;
    raise(SIGUSR1);
    expect("defer-by-default", hits == 2 && max_depth == 1,
           "hits %d max depth %d", hits, max_depth);
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGUSR1, &sa, NULL);
    hits = depth = max_depth = 0;
    raise(SIGUSR1);
    expect("sa-nodefer-nests", hits == 2 && max_depth == 2,
           "hits %d max depth %d", hits, max_depth);

    /* The mask inside a handler: the signal itself and sa_mask; the
     * ucontext holds the mask from before delivery. */
    block(SIGINT, SIG_BLOCK);
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = mask_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    hits = 0;
    raise(SIGUSR1);
    expect("handler-mask-has-signal", mask_has_self == 1, "signal not blocked");
    expect("handler-mask-has-sa-mask", mask_has_extra == 1, "sa_mask not applied");
    expect("uc-sigmask-is-old-mask", uc_has_self == 0 && uc_has_int == 1,
           "uc_sigmask differs");
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    expect("mask-restored-after-handler",
           sigismember(&cur, SIGUSR1) == 0 && sigismember(&cur, SIGUSR2) == 0 &&
               sigismember(&cur, SIGINT) == 1,
           "mask not restored");
    block(SIGINT, SIG_UNBLOCK);

    /* sigreturn takes the mask from the frame. */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = edit_uc_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    expect("sigreturn-uses-uc-sigmask", sigismember(&cur, SIGUSR2) == 1,
           "edited mask ignored");
    block(SIGUSR2, SIG_UNBLOCK);

    /* sigaction returns the old action; glibc's signal() uses SA_RESTART. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_handler;
    sa.sa_flags = SA_RESTART;
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, &old);
    expect("sigaction-returns-old",
           old.sa_handler == count_handler && (old.sa_flags & SA_RESTART) &&
               sigismember(&old.sa_mask, SIGTERM) == 1,
           "old action differs");
    signal(SIGUSR2, count_handler);
    sigaction(SIGUSR2, NULL, &old);
    expect("signal-implies-sa-restart", (old.sa_flags & SA_RESTART) != 0,
           "flags %x", old.sa_flags);

    EXPECT_ERR("sigaction-sigkill", sigaction(SIGKILL, &sa, NULL), EINVAL);
    EXPECT_ERR("sigaction-sigstop", sigaction(SIGSTOP, &sa, NULL), EINVAL);
    EXPECT_OK("sigaction-query-sigkill", sigaction(SIGKILL, NULL, &old));
    EXPECT_ERR("sigaction-signal-0", sigaction(0, &sa, NULL), EINVAL);
    EXPECT_ERR("sigaction-signal-65", sigaction(65, &sa, NULL), EINVAL);
    EXPECT_ERR("rt-sigaction-bad-size",
               syscall(SYS_rt_sigaction, SIGUSR2, NULL, &old, 4), EINVAL);

    /* Ignoring a pending signal discards it. */
    signal(SIGUSR2, count_handler);
    block(SIGUSR2, SIG_BLOCK);
    raise(SIGUSR2);
    signal(SIGUSR2, SIG_IGN);
    sigset_t p;
    sigpending(&p);
    expect("sig-ign-discards-pending", sigismember(&p, SIGUSR2) == 0,
           "still pending");
    signal(SIGUSR2, count_handler);
    hits = 0;
    block(SIGUSR2, SIG_UNBLOCK);
    expect("discarded-not-delivered", hits == 0, "delivered %d", hits);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* ---- EINTR and SA_RESTART ------------------------------------------------- */

static int kick_fd = -1;

static void alarm_handler(int sig) {
    (void)sig;
    hits++;
    if (kick_fd >= 0)
        write(kick_fd, "k", 1);
}

static void g_eintr(void) {
    int p[2];
    pipe(p);
    char c;

    /* alarm(1) interrupts a blocking read: EINTR without SA_RESTART. */
    set_handler(SIGALRM, alarm_handler, 0);
    hits = 0;
    alarm(1);
    errno = 0;
    ssize_t n = read(p[0], &c, 1);
    expect("alarm-interrupts-read-eintr", n == -1 && errno == EINTR && hits == 1,
           "read %zd %s, hits %d", n, errno_name(errno), hits);

    /* With SA_RESTART the read goes on and gets the data a child writes
     * once the handler has told it to. */
    int kick[2];
    pipe(kick);
    pid_t w = xfork();
    if (w == 0) {
        char k;
        if (read(kick[0], &k, 1) == 1) {
            sleep_ms(50);
            write(p[1], "x", 1);
        }
        _exit(0);
    }
    kick_fd = kick[1];
    set_handler(SIGALRM, alarm_handler, SA_RESTART);
    hits = 0;
    alarm(1);
    errno = 0;
    c = 0;
    n = read(p[0], &c, 1);
    expect("sa-restart-restarts-read", n == 1 && c == 'x' && hits == 1,
           "read %zd %s, hits %d", n, n < 0 ? errno_name(errno) : "ok", hits);
    waitpid(w, NULL, 0);

    /* waitpid: EINTR without SA_RESTART, restarted with it. */
    w = xfork();
    if (w == 0) {
        char k;
        read(kick[0], &k, 1);
        _exit(3);
    }
    kick_fd = -1;
    set_handler(SIGALRM, alarm_handler, 0);
    arm_ms(100);
    errno = 0;
    int st = 0;
    pid_t r = waitpid(w, &st, 0);
    expect("waitpid-eintr", r == -1 && errno == EINTR, "%s",
           r < 0 ? errno_name(errno) : "returned");
    kick_fd = kick[1];
    set_handler(SIGALRM, alarm_handler, SA_RESTART);
    arm_ms(100);
    r = waitpid(w, &st, 0);
    expect("waitpid-sa-restart", r == w && WIFEXITED(st) && WEXITSTATUS(st) == 3,
           "%s", r == w ? status_text(st) : errno_name(errno));

    /* Calls Linux never restarts after a handler, SA_RESTART or not. */
    kick_fd = -1;
    arm_ms(100);
    struct timespec ts = {5, 0};
    errno = 0;
    int rr = nanosleep(&ts, &ts);
    expect("nanosleep-eintr-despite-sa-restart", rr == -1 && errno == EINTR,
           "%d %s", rr, errno_name(errno));
    struct pollfd pfd = {p[0], POLLIN, 0};
    arm_ms(100);
    errno = 0;
    rr = poll(&pfd, 1, 5000);
    expect("poll-eintr-despite-sa-restart", rr == -1 && errno == EINTR, "%d %s",
           rr, errno_name(errno));
    sigset_t none;
    sigemptyset(&none);
    arm_ms(100);
    errno = 0;
    rr = sigsuspend(&none);
    expect("sigsuspend-eintr-despite-sa-restart", rr == -1 && errno == EINTR,
           "%d %s", rr, errno_name(errno));

    /* A signal whose action is to ignore does not interrupt. */
    signal(SIGALRM, SIG_IGN);
    w = xfork();
    if (w == 0) {
        sleep_ms(300);
        write(p[1], "y", 1);
        _exit(0);
    }
    arm_ms(50);
    errno = 0;
    n = read(p[0], &c, 1);
    expect("ignored-signal-does-not-interrupt", n == 1 && c == 'y', "%zd %s", n,
           errno_name(errno));
    waitpid(w, NULL, 0);
    signal(SIGALRM, SIG_DFL);
    close(p[0]);
    close(p[1]);
    close(kick[0]);
    close(kick[1]);
}

/* ---- nanosleep interrupted ------------------------------------------------ */

static void g_nanosleep(void) {
    set_handler(SIGALRM, count_handler, 0);
    hits = 0;
    arm_ms(200);
    struct timespec req = {2, 0}, rem = {0, 0};
    errno = 0;
    int r = nanosleep(&req, &rem);
    long long rem_ns = rem.tv_sec * 1000000000LL + rem.tv_nsec;
    expect("nanosleep-eintr", r == -1 && errno == EINTR && hits == 1,
           "r %d %s hits %d", r, errno_name(errno), hits);
    expect("nanosleep-remaining", rem_ns > 0 && rem_ns <= 1850000000LL,
           "remaining %lld ms of 2000, interrupted at 200", rem_ns / 1000000);

    arm_ms(200);
    rem.tv_sec = rem.tv_nsec = 0;
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    rem_ns = rem.tv_sec * 1000000000LL + rem.tv_nsec;
    expect("clock-nanosleep-eintr", r == EINTR, "returned %d", r);
    expect("clock-nanosleep-remaining", rem_ns > 0 && rem_ns <= 1850000000LL,
           "remaining %lld ms", rem_ns / 1000000);

    /* Absolute sleeps do not report a remainder. */
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 2;
    rem.tv_sec = 77;
    rem.tv_nsec = 0;
    arm_ms(200);
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, &rem);
    expect("clock-nanosleep-abs-eintr", r == EINTR && rem.tv_sec == 77,
           "returned %d", r);
    signal(SIGALRM, SIG_DFL);
}

/* ---- stop and continue -------------------------------------------------- */

/* SIGSTOP then SIGCONT at once, many times: the child must end up
 * running (a SIGCONT that lands while the stop is being taken cancels
 * it), so SIGTERM after them ends it. */
static void stop_cont_race(void) {
    for (int i = 0; i < 300; i++) {
        pid_t c = xfork();
        if (c == 0) {
            for (;;) {
                volatile int x = 0;
                for (int j = 0; j < 100000; j++)
                    x += j;
            }
        }
        kill(c, SIGSTOP);
        kill(c, SIGCONT);
        kill(c, SIGTERM);
        int st = 0;
        pid_t r = waitpid_ms(c, &st, 0, 5000);
        if (r != c) {
            printf("stop-cont-race: child %d still stopped after SIGCONT and SIGTERM\n", i);
            kill(c, SIGKILL);
            waitpid(c, &st, 0);
            return;
        }
    }
    printf("stop-cont-race: ok\n");
}

static void g_stopcont(void) {
    stop_cont_race();
    block(SIGCHLD, SIG_BLOCK);
    sigset_t chld = just(SIGCHLD);
    siginfo_t si;
    struct timespec to = {5, 0};

    /* The child gets its own process group: its parent (we) is in another
     * group of the same session, so the group is never orphaned and
     * SIGTSTP below is not discarded, whatever our own group is. */
    pid_t c = xfork();
    if (c == 0) {
        setpgid(0, 0);
        for (;;)
            pause();
    }
    setpgid(c, c);
    kill(c, SIGSTOP);
    memset(&si, 0, sizeof si);
    int r = sigtimedwait(&chld, &si, &to);
    expect("sigchld-cld-stopped",
           r == SIGCHLD && si.si_code == CLD_STOPPED && si.si_status == SIGSTOP &&
               si.si_pid == c,
           "r %d code %d status %d", r, si.si_code, si.si_status);
    int st = 0;
    pid_t w = waitpid_ms(c, &st, WUNTRACED, 5000);
    expect("wuntraced-sees-stop", w == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
           "%s", w == c ? status_text(st) : errno_name(errno));
    w = waitpid(c, &st, WUNTRACED | WNOHANG);
    expect("stop-reported-once", w == 0, "%s", w == c ? status_text(st) : "error");

    kill(c, SIGCONT);
    memset(&si, 0, sizeof si);
    r = sigtimedwait(&chld, &si, &to);
    expect("sigchld-cld-continued",
           r == SIGCHLD && si.si_code == CLD_CONTINUED && si.si_status == SIGCONT,
           "r %d code %d status %d", r, si.si_code, si.si_status);
    w = waitpid_ms(c, &st, WCONTINUED, 5000);
    expect("wcontinued-sees-continue", w == c && WIFCONTINUED(st), "%s",
           w == c ? status_text(st) : errno_name(errno));

    /* SIGTSTP's default action stops too; waitid(WSTOPPED) sees it. */
    kill(c, SIGTSTP);
    memset(&si, 0, sizeof si);
    r = -1;
    for (long long end = mono_ns() + 5000000000LL; mono_ns() < end; sleep_ms(2)) {
        r = waitid(P_PID, c, &si, WSTOPPED | WNOHANG);
        if (r < 0 || si.si_pid != 0)
            break;
    }
    expect("waitid-wstopped", r == 0 && si.si_code == CLD_STOPPED &&
                                  si.si_status == SIGTSTP && si.si_pid == c,
           "r %d code %d status %d", r, si.si_code, si.si_status);
    sigtimedwait(&chld, &si, &to);

    /* A stopped process keeps a SIGTERM pending until continued. */
    kill(c, SIGTERM);
    sleep_ms(100);
    w = waitpid(c, &st, WNOHANG);
    expect("stopped-process-holds-sigterm", w == 0, "%s",
           w == c ? status_text(st) : "error");
    kill(c, SIGCONT);
    w = waitpid_ms(c, &st, 0, 5000);
    expect("sigterm-acts-after-continue",
           w == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "%s",
           w == c ? status_text(st) : w == 0 ? "still alive" : errno_name(errno));
    if (w != c) {
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
    }
    while (sigtimedwait(&chld, &si, &(struct timespec){0, 0}) > 0)
        ;

    /* SIGKILL ends a stopped process. */
    c = xfork();
    if (c == 0) {
        for (;;)
            pause();
    }
    kill(c, SIGSTOP);
    waitpid_ms(c, &st, WUNTRACED, 5000);
    kill(c, SIGKILL);
    w = waitpid(c, &st, 0);
    expect("sigkill-ends-stopped", w == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
           "%s", w == c ? status_text(st) : errno_name(errno));
    while (sigtimedwait(&chld, &si, &(struct timespec){0, 0}) > 0)
        ;

    /* A sleep survives stop/continue (restarted for the remaining time). */
    c = xfork();
    if (c == 0) {
        long long t0 = mono_ns();
        struct timespec ts = {0, 300000000};
        int rr = nanosleep(&ts, NULL);
        _exit(rr == 0 && mono_ns() - t0 >= 300000000LL ? 0 : 1);
    }
    sleep_ms(50);
    kill(c, SIGSTOP);
    waitpid_ms(c, &st, WUNTRACED, 5000);
    sleep_ms(50);
    kill(c, SIGCONT);
    w = waitpid(c, &st, 0);
    expect("nanosleep-survives-stop-cont", w == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
           "%s", w == c ? status_text(st) : errno_name(errno));

    /* So does a blocking read. */
    int p[2];
    pipe(p);
    c = xfork();
    if (c == 0) {
        char b;
        ssize_t n = read(p[0], &b, 1);
        _exit(n == 1 && b == 'z' ? 0 : 1);
    }
    sleep_ms(50);
    kill(c, SIGSTOP);
    waitpid_ms(c, &st, WUNTRACED, 5000);
    kill(c, SIGCONT);
    sleep_ms(20);
    write(p[1], "z", 1);
    w = waitpid(c, &st, 0);
    expect("read-survives-stop-cont", w == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
           "%s", w == c ? status_text(st) : errno_name(errno));
    close(p[0]);
    close(p[1]);

    /* SA_NOCLDSTOP: no SIGCHLD for a stop. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_handler;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    while (sigtimedwait(&chld, &si, &(struct timespec){0, 0}) > 0)
        ;
    c = xfork();
    if (c == 0) {
        for (;;)
            pause();
    }
    kill(c, SIGSTOP);
    waitpid_ms(c, &st, WUNTRACED, 5000);
    r = sigtimedwait(&chld, &si, &(struct timespec){0, 100000000});
    expect("sa-nocldstop", r < 0 && errno == EAGAIN, "got signal %d code %d", r,
           si.si_code);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    signal(SIGCHLD, SIG_DFL);
    block(SIGCHLD, SIG_UNBLOCK);
}

/* ---- SIGCHLD ---------------------------------------------------------------- */

static void g_sigchld(void) {
    set_info_handler(SIGCHLD, 0);
    block(SIGCHLD, SIG_BLOCK);
    pid_t c = xfork();
    if (c == 0)
        _exit(3);
    sigset_t none;
    sigemptyset(&none);
    hits = 0;
    sigsuspend(&none);
    expect("sigchld-on-exit", hits == 1 && last_signo == SIGCHLD &&
                                  last_code == CLD_EXITED && last_status == 3 &&
                                  last_pid == c,
           "hits %d code %d status %d", hits, last_code, last_status);
    int st;
    pid_t w = waitpid(c, &st, 0);
    expect("zombie-after-sigchld", w == c && WIFEXITED(st) && WEXITSTATUS(st) == 3,
           "%s", w == c ? status_text(st) : errno_name(errno));

    c = xfork();
    if (c == 0) {
        raise(SIGTERM);
        _exit(0);
    }
    hits = 0;
    sigsuspend(&none);
    expect("sigchld-on-kill", hits == 1 && last_code == CLD_KILLED &&
                                  last_status == SIGTERM,
           "hits %d code %d status %d", hits, last_code, last_status);
    waitpid(c, &st, 0);
    block(SIGCHLD, SIG_UNBLOCK);

    /* SIGCHLD ignored: children are reaped at once, wait gives ECHILD once
     * they are all gone. */
    signal(SIGCHLD, SIG_IGN);
    c = xfork();
    if (c == 0) {
        sleep_ms(50);
        _exit(0);
    }
    errno = 0;
    w = wait(&st);
    expect("sig-ign-autoreap", w == -1 && errno == ECHILD, "%s",
           w < 0 ? errno_name(errno) : "reaped a zombie");

    /* SA_NOCLDWAIT with a handler: the handler runs, no zombie stays. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, NULL);
    block(SIGCHLD, SIG_BLOCK);
    c = xfork();
    if (c == 0)
        _exit(4);
    hits = 0;
    sigsuspend(&none);
    errno = 0;
    w = waitpid(c, &st, 0);
    expect("sa-nocldwait", hits == 1 && w == -1 && errno == ECHILD,
           "hits %d, waitpid %s", hits, w < 0 ? errno_name(errno) : "reaped");
    block(SIGCHLD, SIG_UNBLOCK);
    signal(SIGCHLD, SIG_DFL);

    /* Default: a zombie waits to be reaped. */
    c = xfork();
    if (c == 0)
        _exit(5);
    sleep_ms(50);
    w = waitpid(c, &st, WNOHANG);
    expect("sig-dfl-leaves-zombie", w == c && WEXITSTATUS(st) == 5, "%s",
           w == c ? status_text(st) : w == 0 ? "not yet exited" : errno_name(errno));
}

/* ---- SIGPIPE ----------------------------------------------------------------- */

static void g_sigpipe(void) {
    pid_t c = xfork();
    if (c == 0) {
        signal(SIGPIPE, SIG_DFL);
        int p[2];
        pipe(p);
        close(p[0]);
        write(p[1], "x", 1);
        _exit(0);
    }
    const char *st = wait_text(c);
    expect("sigpipe-kills-writer", strcmp(st, "killed by SIGPIPE") == 0, "%s", st);

    int p[2];
    pipe(p);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    ssize_t n = write(p[1], "x", 1);
    expect("sigpipe-ignored-epipe", n == -1 && errno == EPIPE, "%zd %s", n,
           errno_name(errno));

    set_info_handler(SIGPIPE, 0);
    hits = 0;
    errno = 0;
    n = write(p[1], "x", 1);
    expect("sigpipe-handled-epipe", n == -1 && errno == EPIPE && hits == 1,
           "%zd %s hits %d", n, errno_name(errno), hits);
    expect("sigpipe-si-code", last_code == SI_USER && last_pid == getpid(),
           "code %d", last_code);
    close(p[1]);

    /* Reader closes while the writer is blocked on a full pipe. */
    pipe(p);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    char buf[4096] = {0};
    while (write(p[1], buf, sizeof buf) > 0)
        ;
    fcntl(p[1], F_SETFL, 0);
    c = xfork();
    if (c == 0) {
        close(p[1]);
        sleep_ms(50);
        close(p[0]);
        _exit(0);
    }
    close(p[0]);
    hits = 0;
    errno = 0;
    n = write(p[1], buf, sizeof buf);
    expect("blocked-writer-gets-epipe", n == -1 && errno == EPIPE && hits == 1,
           "%zd %s hits %d", n, errno_name(errno), hits);
    waitpid(c, NULL, 0);
    close(p[1]);
    signal(SIGPIPE, SIG_DFL);
}

/* ---- faults: SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP ----------------------- */

static sigjmp_buf jb;
static volatile void *fault_addr;

static void fault_handler(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    hits++;
    last_signo = sig;
    last_code = si->si_code;
    fault_addr = si->si_addr;
    if (sig != SIGTRAP)
        siglongjmp(jb, 1);
}

extern char ud2_insn[];
__attribute__((noinline)) static void do_ud2(void) {
    __asm__ volatile(".globl ud2_insn\nud2_insn: ud2" ::: "memory");
}

static void do_int3(void) { __asm__ volatile("int3" ::: "memory"); }

/* Runs `what` expecting one fault; returns 1 if it faulted. */
#define FAULTS(stmt)                                                           \
    ({                                                                         \
        volatile int f_ = 0;                                                   \
        hits = 0;                                                              \
        if (sigsetjmp(jb, 1) == 0) {                                           \
            stmt;                                                              \
        } else {                                                               \
            f_ = 1;                                                            \
        }                                                                      \
        f_;                                                                    \
    })

static void g_faults(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO;
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
    for (int i = 0; i < 5; i++)
        sigaction(sigs[i], &sa, NULL);
    long pg = sysconf(_SC_PAGESIZE);

    char *volatile p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    munmap(p, pg);
    int f = FAULTS(*(volatile int *)(p + 16) = 1);
    expect("segv-maperr", f && last_signo == SIGSEGV && last_code == SEGV_MAPERR,
           "faulted %d signo %d code %d", f, last_signo, last_code);
    expect("segv-maperr-si-addr", fault_addr == p + 16, "si_addr off by %ld",
           (long)((char *)fault_addr - (p + 16)));

    p = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    f = FAULTS(*(volatile int *)(p + 8) = 1);
    expect("segv-accerr-write-readonly",
           f && last_signo == SIGSEGV && last_code == SEGV_ACCERR,
           "faulted %d signo %d code %d", f, last_signo, last_code);
    expect("segv-accerr-si-addr", fault_addr == p + 8, "si_addr off by %ld",
           (long)((char *)fault_addr - (p + 8)));

    /* Executing a non-executable page. */
    f = FAULTS(((void (*)(void))p)());
    expect("segv-exec-noexec", f && last_code == SEGV_ACCERR && fault_addr == p,
           "faulted %d code %d", f, last_code);
    munmap(p, pg);

    f = FAULTS(*(volatile int *)16 = 1);
    expect("segv-null-page", f && last_code == SEGV_MAPERR && fault_addr == (void *)16,
           "faulted %d code %d", f, last_code);

    /* A non-canonical address: a general protection fault, SI_KERNEL. */
    f = FAULTS(*(volatile int *)0x8000000000000000ULL = 1);
    expect("segv-noncanonical-si-kernel",
           f && last_signo == SIGSEGV && last_code == SI_KERNEL && fault_addr == 0,
           "faulted %d code %d", f, last_code);

    /* Writing to our own code. */
    f = FAULTS(*(volatile char *)(void *)g_faults = 0);
    expect("segv-write-text", f && last_code == SEGV_ACCERR, "faulted %d code %d",
           f, last_code);

    /* The handler left with siglongjmp(…, 1): SIGSEGV is not blocked. */
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    expect("siglongjmp-restores-mask", sigismember(&cur, SIGSEGV) == 0,
           "SIGSEGV still blocked");

    /* SIGBUS: touching a file mapping beyond the end of the file. */
    char path[64];
    snprintf(path, sizeof path, "/tmp/husk-sigbus-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fd, pg);
    p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    unlink(path);
    f = FAULTS(p[pg + 4] = 1);
    expect("sigbus-beyond-eof", f && last_signo == SIGBUS && last_code == BUS_ADRERR,
           "faulted %d signo %d code %d", f, last_signo, last_code);
    expect("sigbus-si-addr", fault_addr == p + pg + 4, "si_addr differs");
    f = FAULTS(p[4] = 1);
    expect("sigbus-inside-file-fine", !f, "faulted");
    munmap(p, 2 * pg);

    f = FAULTS(do_ud2());
    expect("sigill-ud2", f && last_signo == SIGILL && last_code == ILL_ILLOPN,
           "faulted %d signo %d code %d", f, last_signo, last_code);
    expect("sigill-si-addr", fault_addr == (void *)ud2_insn, "si_addr differs");

    volatile int zero = 0, one = 1;
    f = FAULTS(one = one / zero);
    expect("sigfpe-intdiv", f && last_signo == SIGFPE && last_code == FPE_INTDIV,
           "faulted %d signo %d code %d", f, last_signo, last_code);

    /* int3: the handler returns and execution goes on after it. */
    hits = 0;
    do_int3();
    expect("sigtrap-int3", hits == 1 && last_signo == SIGTRAP && last_code == SI_KERNEL,
           "hits %d signo %d code %d", hits, last_signo, last_code);

    /* A synchronous fault that is blocked or ignored still kills. */
    for (int mode = 0; mode < 2; mode++) {
        pid_t c = xfork();
        if (c == 0) {
            prctl(PR_SET_DUMPABLE, 0);
            if (mode == 0)
                block(SIGSEGV, SIG_BLOCK);
            else
                signal(SIGSEGV, SIG_IGN);
            *(volatile int *)16 = 1;
            _exit(0);
        }
        int st;
        waitpid(c, &st, 0);
        expect(mode == 0 ? "blocked-segv-kills" : "ignored-segv-kills",
               WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "%s", status_text(st));
    }

    for (int i = 0; i < 5; i++)
        signal(sigs[i], SIG_DFL);
}

/* ---- sigaltstack ------------------------------------------------------------- */

#define ALT_SIZE (128 * 1024)
static char *alt;
static volatile uintptr_t addr1_, addr2_;
#define addr1 ((volatile char *)addr1_)
#define addr2 ((volatile char *)addr2_)
static volatile int onstack_flag;

static int in_alt(volatile char *a) {
    uintptr_t x = (uintptr_t)a, lo = (uintptr_t)alt;
    return x >= lo && x < lo + ALT_SIZE;
}

static void overflow_handler(int sig, siginfo_t *si, void *uc) {
    (void)si;
    (void)uc;
    char local;
    stack_t cur;
    sigaltstack(NULL, &cur);
    stack_t n = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0};
    int r = sigaltstack(&n, NULL);
    int eperm = r < 0 && errno == EPERM;
    _exit((in_alt(&local) ? 1 : 0) | ((cur.ss_flags & SS_ONSTACK) ? 2 : 0) |
          (eperm ? 4 : 0) | (sig == SIGSEGV ? 8 : 0));
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) static int recurse(int d) {
    volatile char buf[4096];
    buf[0] = (char)d;
    buf[4095] = (char)d;
    return recurse(d + 1) + buf[0] + buf[4095];
}

static void on_stack_handler(int sig) {
    char local;
    if (sig == SIGUSR1) {
        addr1_ = (uintptr_t)&local;
        stack_t cur;
        sigaltstack(NULL, &cur);
        onstack_flag = (cur.ss_flags & SS_ONSTACK) != 0;
        raise(SIGUSR2);
    } else {
        addr2_ = (uintptr_t)&local;
    }
}

static void g_altstack(void) {
    alt = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
               -1, 0);

    /* Stack overflow: the SIGSEGV handler runs on the alternate stack. */
    pid_t c = xfork();
    if (c == 0) {
        prctl(PR_SET_DUMPABLE, 0);
        struct rlimit rl = {4 << 20, 4 << 20};
        setrlimit(RLIMIT_STACK, &rl);
        stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0};
        sigaltstack(&ss, NULL);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = overflow_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigaction(SIGSEGV, &sa, NULL);
        recurse(0);
        _exit(100);
    }
    int st;
    waitpid(c, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    expect("overflow-handler-ran", code >= 0 && (code & 8), "%s", status_text(st));
    expect("overflow-handler-on-altstack", code >= 0 && (code & 1), "%s",
           status_text(st));
    expect("overflow-ss-onstack", code >= 0 && (code & 2), "%s", status_text(st));
    expect("altstack-change-while-on-it-eperm", code >= 0 && (code & 4), "%s",
           status_text(st));

    /* Without an alternate stack the overflow kills with SIGSEGV even
     * though a handler is installed. */
    c = xfork();
    if (c == 0) {
        prctl(PR_SET_DUMPABLE, 0);
        struct rlimit rl = {4 << 20, 4 << 20};
        setrlimit(RLIMIT_STACK, &rl);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = overflow_handler;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &sa, NULL);
        recurse(0);
        _exit(100);
    }
    waitpid(c, &st, 0);
    expect("overflow-without-altstack-kills",
           WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "%s", status_text(st));

    /* SA_ONSTACK for an ordinary signal; a nested one stays on the
     * alternate stack, below the first frame. */
    stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0}, old;
    EXPECT_OK("sigaltstack-set", sigaltstack(&ss, &old));
    expect("sigaltstack-initially-disabled", old.ss_flags == SS_DISABLE, "flags %d",
           old.ss_flags);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stack_handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    addr1_ = addr2_ = 0;
    raise(SIGUSR1);
    expect("sa-onstack-uses-altstack", addr1 && in_alt(addr1) && onstack_flag,
           "handler not on the alternate stack");
    expect("nested-stays-on-altstack", addr2_ && in_alt(addr2) && addr2_ < addr1_,
           "nested handler elsewhere");
    stack_t cur;
    sigaltstack(NULL, &cur);
    expect("ss-onstack-clear-after", cur.ss_flags == 0 && cur.ss_sp == alt &&
                                         cur.ss_size == ALT_SIZE,
           "flags %d", cur.ss_flags);

    /* Without SA_ONSTACK the handler stays on the normal stack. */
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, SIG_IGN);
    addr1_ = 0;
    raise(SIGUSR1);
    expect("no-sa-onstack-normal-stack", addr1 && !in_alt(addr1),
           "handler on the alternate stack");

    stack_t small = {.ss_sp = alt, .ss_size = 1024, .ss_flags = 0};
    EXPECT_ERR("sigaltstack-too-small", sigaltstack(&small, NULL), ENOMEM);
    stack_t badf = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 12345};
    EXPECT_ERR("sigaltstack-bad-flags", sigaltstack(&badf, NULL), EINVAL);
    stack_t dis = {.ss_flags = SS_DISABLE};
    EXPECT_OK("sigaltstack-disable", sigaltstack(&dis, NULL));
    sigaltstack(NULL, &cur);
    expect("sigaltstack-disabled", cur.ss_flags == SS_DISABLE, "flags %d",
           cur.ss_flags);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* ---- FP / vector registers and the red zone across a handler -------------- */

/* xmm_probe(in, out, pid, tid, sig): loads xmm0-15 and MXCSR from `in`,
 * sends itself `sig` with tgkill (the handler runs on the way back), then
 * stores xmm0-15 and MXCSR to `out`. */
__asm__(".text\n"
        ".globl xmm_probe\n"
        ".type xmm_probe,@function\n"
        "xmm_probe:\n"
        "  movdqu 0(%rdi), %xmm0\n  movdqu 16(%rdi), %xmm1\n"
        "  movdqu 32(%rdi), %xmm2\n  movdqu 48(%rdi), %xmm3\n"
        "  movdqu 64(%rdi), %xmm4\n  movdqu 80(%rdi), %xmm5\n"
        "  movdqu 96(%rdi), %xmm6\n  movdqu 112(%rdi), %xmm7\n"
        "  movdqu 128(%rdi), %xmm8\n  movdqu 144(%rdi), %xmm9\n"
        "  movdqu 160(%rdi), %xmm10\n  movdqu 176(%rdi), %xmm11\n"
        "  movdqu 192(%rdi), %xmm12\n  movdqu 208(%rdi), %xmm13\n"
        "  movdqu 224(%rdi), %xmm14\n  movdqu 240(%rdi), %xmm15\n"
        "  ldmxcsr 256(%rdi)\n"
        "  fldcw 260(%rdi)\n"
        "  mov %rsi, %r10\n"
        "  mov %edx, %edi\n  mov %ecx, %esi\n  mov %r8d, %edx\n"
        "  mov $234, %eax\n" /* tgkill */
        "  syscall\n"
        "  movdqu %xmm0, 0(%r10)\n  movdqu %xmm1, 16(%r10)\n"
        "  movdqu %xmm2, 32(%r10)\n  movdqu %xmm3, 48(%r10)\n"
        "  movdqu %xmm4, 64(%r10)\n  movdqu %xmm5, 80(%r10)\n"
        "  movdqu %xmm6, 96(%r10)\n  movdqu %xmm7, 112(%r10)\n"
        "  movdqu %xmm8, 128(%r10)\n  movdqu %xmm9, 144(%r10)\n"
        "  movdqu %xmm10, 160(%r10)\n  movdqu %xmm11, 176(%r10)\n"
        "  movdqu %xmm12, 192(%r10)\n  movdqu %xmm13, 208(%r10)\n"
        "  movdqu %xmm14, 224(%r10)\n  movdqu %xmm15, 240(%r10)\n"
        "  stmxcsr 256(%r10)\n"
        "  fnstcw 260(%r10)\n"
        "  ret\n"
        ".size xmm_probe, .-xmm_probe\n");
void xmm_probe(const void *in, void *out, int pid, int tid, int sig);

/* ymm_probe: the same for ymm0-15 (AVX). */
__asm__(".text\n"
        ".globl ymm_probe\n"
        ".type ymm_probe,@function\n"
        "ymm_probe:\n"
        "  vmovdqu 0(%rdi), %ymm0\n  vmovdqu 32(%rdi), %ymm1\n"
        "  vmovdqu 64(%rdi), %ymm2\n  vmovdqu 96(%rdi), %ymm3\n"
        "  vmovdqu 128(%rdi), %ymm4\n  vmovdqu 160(%rdi), %ymm5\n"
        "  vmovdqu 192(%rdi), %ymm6\n  vmovdqu 224(%rdi), %ymm7\n"
        "  vmovdqu 256(%rdi), %ymm8\n  vmovdqu 288(%rdi), %ymm9\n"
        "  vmovdqu 320(%rdi), %ymm10\n  vmovdqu 352(%rdi), %ymm11\n"
        "  vmovdqu 384(%rdi), %ymm12\n  vmovdqu 416(%rdi), %ymm13\n"
        "  vmovdqu 448(%rdi), %ymm14\n  vmovdqu 480(%rdi), %ymm15\n"
        "  mov %rsi, %r10\n"
        "  mov %edx, %edi\n  mov %ecx, %esi\n  mov %r8d, %edx\n"
        "  mov $234, %eax\n"
        "  syscall\n"
        "  vmovdqu %ymm0, 0(%r10)\n  vmovdqu %ymm1, 32(%r10)\n"
        "  vmovdqu %ymm2, 64(%r10)\n  vmovdqu %ymm3, 96(%r10)\n"
        "  vmovdqu %ymm4, 128(%r10)\n  vmovdqu %ymm5, 160(%r10)\n"
        "  vmovdqu %ymm6, 192(%r10)\n  vmovdqu %ymm7, 224(%r10)\n"
        "  vmovdqu %ymm8, 256(%r10)\n  vmovdqu %ymm9, 288(%r10)\n"
        "  vmovdqu %ymm10, 320(%r10)\n  vmovdqu %ymm11, 352(%r10)\n"
        "  vmovdqu %ymm12, 384(%r10)\n  vmovdqu %ymm13, 416(%r10)\n"
        "  vmovdqu %ymm14, 448(%r10)\n  vmovdqu %ymm15, 480(%r10)\n"
        "  vzeroupper\n"
        "  ret\n"
        ".size ymm_probe, .-ymm_probe\n");
void ymm_probe(const void *in, void *out, int pid, int tid, int sig);

/* zmm_probe: zmm16-31 (AVX-512 only registers), 64 bytes each. */
__asm__(".text\n"
        ".globl zmm_probe\n"
        ".type zmm_probe,@function\n"
        "zmm_probe:\n"
        "  vmovdqu64 0(%rdi), %zmm16\n  vmovdqu64 64(%rdi), %zmm17\n"
        "  vmovdqu64 128(%rdi), %zmm18\n  vmovdqu64 192(%rdi), %zmm19\n"
        "  vmovdqu64 256(%rdi), %zmm20\n  vmovdqu64 320(%rdi), %zmm21\n"
        "  vmovdqu64 384(%rdi), %zmm22\n  vmovdqu64 448(%rdi), %zmm23\n"
        "  vmovdqu64 512(%rdi), %zmm24\n  vmovdqu64 576(%rdi), %zmm25\n"
        "  vmovdqu64 640(%rdi), %zmm26\n  vmovdqu64 704(%rdi), %zmm27\n"
        "  vmovdqu64 768(%rdi), %zmm28\n  vmovdqu64 832(%rdi), %zmm29\n"
        "  vmovdqu64 896(%rdi), %zmm30\n  vmovdqu64 960(%rdi), %zmm31\n"
        "  mov %rsi, %r10\n"
        "  mov %edx, %edi\n  mov %ecx, %esi\n  mov %r8d, %edx\n"
        "  mov $234, %eax\n"
        "  syscall\n"
        "  vmovdqu64 %zmm16, 0(%r10)\n  vmovdqu64 %zmm17, 64(%r10)\n"
        "  vmovdqu64 %zmm18, 128(%r10)\n  vmovdqu64 %zmm19, 192(%r10)\n"
        "  vmovdqu64 %zmm20, 256(%r10)\n  vmovdqu64 %zmm21, 320(%r10)\n"
        "  vmovdqu64 %zmm22, 384(%r10)\n  vmovdqu64 %zmm23, 448(%r10)\n"
        "  vmovdqu64 %zmm24, 512(%r10)\n  vmovdqu64 %zmm25, 576(%r10)\n"
        "  vmovdqu64 %zmm26, 640(%r10)\n  vmovdqu64 %zmm27, 704(%r10)\n"
        "  vmovdqu64 %zmm28, 768(%r10)\n  vmovdqu64 %zmm29, 832(%r10)\n"
        "  vmovdqu64 %zmm30, 896(%r10)\n  vmovdqu64 %zmm31, 960(%r10)\n"
        "  vzeroupper\n"
        "  ret\n"
        ".size zmm_probe, .-zmm_probe\n");
void zmm_probe(const void *in, void *out, int pid, int tid, int sig);

/* redzone_probe(pid, tid, sig): fills the 128-byte red zone below the
 * stack pointer, signals itself, and returns how many of the 16 words
 * the handler's frame clobbered. */
#define RZ(i) "  movq $0x5a5a00" #i ", -" #i "*8(%rsp)\n"
#define RZC(i)                                                                 \
    "  cmpq $0x5a5a00" #i ", -" #i "*8(%rsp)\n  setne %cl\n  movzbl %cl, %ecx\n" \
    "  addl %ecx, %r8d\n"
__asm__(".text\n"
        ".globl redzone_probe\n"
        ".type redzone_probe,@function\n"
        "redzone_probe:\n" RZ(1) RZ(2) RZ(3) RZ(4) RZ(5) RZ(6) RZ(7) RZ(8) RZ(9)
            RZ(10) RZ(11) RZ(12) RZ(13) RZ(14) RZ(15) RZ(16)
        "  mov $234, %eax\n"
        "  syscall\n"
        "  xorl %r8d, %r8d\n" RZC(1) RZC(2) RZC(3) RZC(4) RZC(5) RZC(6) RZC(7)
            RZC(8) RZC(9) RZC(10) RZC(11) RZC(12) RZC(13) RZC(14) RZC(15) RZC(16)
        "  movl %r8d, %eax\n"
        "  ret\n"
        ".size redzone_probe, .-redzone_probe\n");
int redzone_probe(int pid, int tid, int sig);

static volatile int clobber_level; /* 1 xmm, 2 ymm, 3 zmm */

__attribute__((target("avx512f"), noinline)) static void clobber_zmm(void) {
    __asm__ volatile("vpternlogd $0xff, %%zmm16, %%zmm16, %%zmm16\n"
                     "vpternlogd $0xff, %%zmm23, %%zmm23, %%zmm23\n"
                     "vpternlogd $0xff, %%zmm31, %%zmm31, %%zmm31\n"
                     "vzeroupper\n" ::
                         : "xmm16", "xmm23", "xmm31");
}

static void clobber_handler(int sig) {
    (void)sig;
    hits++;
    unsigned mx = 0x1f80;
    unsigned short cw = 0x37f;
    __asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n pcmpeqd %%xmm1, %%xmm1\n"
                     "pcmpeqd %%xmm2, %%xmm2\n pcmpeqd %%xmm3, %%xmm3\n"
                     "pcmpeqd %%xmm4, %%xmm4\n pcmpeqd %%xmm5, %%xmm5\n"
                     "pcmpeqd %%xmm6, %%xmm6\n pcmpeqd %%xmm7, %%xmm7\n"
                     "pcmpeqd %%xmm8, %%xmm8\n pcmpeqd %%xmm9, %%xmm9\n"
                     "pcmpeqd %%xmm10, %%xmm10\n pcmpeqd %%xmm11, %%xmm11\n"
                     "pcmpeqd %%xmm12, %%xmm12\n pcmpeqd %%xmm13, %%xmm13\n"
                     "pcmpeqd %%xmm14, %%xmm14\n pcmpeqd %%xmm15, %%xmm15\n"
                     "ldmxcsr %0\n fldcw %1\n" ::"m"(mx),
                     "m"(cw)
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
                       "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
                       "xmm14", "xmm15");
    if (clobber_level >= 2)
        __asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n"
                         "vpcmpeqd %%ymm7, %%ymm7, %%ymm7\n"
                         "vpcmpeqd %%ymm8, %%ymm8, %%ymm8\n"
                         "vpcmpeqd %%ymm15, %%ymm15, %%ymm15\n"
                         "vzeroupper\n" ::
                             : "xmm0", "xmm7", "xmm8", "xmm15");
    if (clobber_level >= 3)
        clobber_zmm();
}

static void g_fpregs(void) {
    set_handler(SIGUSR1, clobber_handler, 0);
    static unsigned char in[1024], out[1024];
    for (int i = 0; i < 256; i++)
        in[i] = (unsigned char)(i * 7 + 3);
    unsigned mx = 0x7f80 | 0x6000; /* all exceptions masked, round toward zero */
    unsigned short cw = 0x27f;     /* x87: 53-bit precision */
    memcpy(in + 256, &mx, 4);
    memcpy(in + 260, &cw, 2);
    memset(out, 0, sizeof out);
    hits = 0;
    clobber_level = 1;
    xmm_probe(in, out, getpid(), gettid_(), SIGUSR1);
    expect("xmm-handler-ran", hits == 1, "hits %d", hits);
    expect("xmm-preserved", memcmp(in, out, 256) == 0, "xmm registers changed");
    expect("mxcsr-preserved", memcmp(in + 256, out + 256, 4) == 0, "MXCSR changed");
    expect("x87-cw-preserved", memcmp(in + 260, out + 260, 2) == 0,
           "x87 control word changed");
    /* Restore the usual modes for the rest of the program. */
    unsigned mxd = 0x1f80;
    unsigned short cwd = 0x37f;
    __asm__ volatile("ldmxcsr %0\n fldcw %1" ::"m"(mxd), "m"(cwd));

    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx")) {
        for (int i = 0; i < 512; i++)
            in[i] = (unsigned char)(i * 13 + 1);
        memset(out, 0, sizeof out);
        hits = 0;
        clobber_level = 2;
        ymm_probe(in, out, getpid(), gettid_(), SIGUSR1);
        expect("ymm-preserved", hits == 1 && memcmp(in, out, 512) == 0,
               "hits %d, ymm registers changed", hits);
    } else {
        printf("ymm-preserved: ok\n"); /* nothing to check without AVX */
    }
    if (__builtin_cpu_supports("avx512f")) {
        for (int i = 0; i < 1024; i++)
            in[i] = (unsigned char)(i * 29 + 5);
        memset(out, 0, sizeof out);
        hits = 0;
        clobber_level = 3;
        zmm_probe(in, out, getpid(), gettid_(), SIGUSR1);
        expect("zmm16-31-preserved", hits == 1 && memcmp(in, out, 1024) == 0,
               "hits %d, zmm registers changed", hits);
    } else {
        printf("zmm16-31-preserved: ok\n");
    }

    hits = 0;
    int bad = redzone_probe(getpid(), gettid_(), SIGUSR1);
    expect("red-zone-preserved", hits == 1 && bad == 0,
           "hits %d, %d of 16 words clobbered", hits, bad);

    /* FP state in the middle of a computation interrupted by a timer. */
    set_handler(SIGALRM, clobber_handler, 0);
    clobber_level = 1;
    struct itimerval it = {{0, 1000}, {0, 1000}};
    hits = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    volatile double acc = 0;
    double x = 0.5;
    long long end = mono_ns() + 3000000000LL;
    int iters = 0;
    while ((hits < 20 || iters < 1000000) && mono_ns() < end) {
        for (int i = 0; i < 1000; i++) {
            x = x * 1.0000001 + 0.25;
            x = x - 0.25;
            x = x / 1.0000001;
        }
        iters += 1000;
    }
    arm_ms(0);
    acc = x;
    expect("fp-computation-across-timer-signals",
           hits >= 1 && acc > 0.4999 && acc < 0.5001, "hits %d value %f", hits,
           acc);
    signal(SIGALRM, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
}

/* ---- fork and signals ----------------------------------------------------- */

static void g_fork(void) {
    set_handler(SIGUSR2, count_handler, 0);
    block(SIGUSR1, SIG_BLOCK);
    raise(SIGUSR1);
    pid_t c = xfork();
    if (c == 0) {
        sigset_t p, m;
        sigpending(&p);
        sigprocmask(SIG_BLOCK, NULL, &m);
        hits = 0;
        raise(SIGUSR2);
        int code = (sigismember(&p, SIGUSR1) ? 1 : 0) |
                   (sigismember(&m, SIGUSR1) ? 0 : 2) | (hits == 1 ? 0 : 4);
        _exit(code);
    }
    int st;
    waitpid(c, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    expect("fork-clears-pending", code >= 0 && !(code & 1), "%s", status_text(st));
    expect("fork-inherits-mask", code >= 0 && !(code & 2), "%s", status_text(st));
    expect("fork-inherits-handlers", code >= 0 && !(code & 4), "%s",
           status_text(st));
    sigset_t p;
    sigpending(&p);
    expect("parent-keeps-pending", sigismember(&p, SIGUSR1) == 1, "lost");
    signal(SIGUSR1, SIG_IGN);
    block(SIGUSR1, SIG_UNBLOCK);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* Orphaned process groups (POSIX, Linux's kill_orphaned_pgrp): when the
 * exit of a process leaves a group with a stopped member and no member
 * whose parent is in another group of the same session, the group gets
 * SIGHUP then SIGCONT. A member whose parent is in the group itself (a
 * shell's short-lived child) exiting orphans nothing. We are a subreaper,
 * so orphans come to us natively and in a sandbox alike. */
static int hup_pipe = -1;

static void on_orphan_hup(int s) {
    (void)s;
    write(hup_pipe, "H", 1);
}

/* A member of the caller's group that stops itself and reports SIGHUP. */
static pid_t stopped_member(void) {
    pid_t g = xfork();
    if (g == 0) {
        signal(SIGHUP, on_orphan_hup);
        raise(SIGSTOP);
        write(hup_pipe, "C", 1); /* continued */
        _exit(0);
    }
    int st;
    waitpid_ms(g, &st, WUNTRACED, 5000);
    return g;
}

static char proc_state(pid_t p) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", p);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return '?';
    buf[n] = 0;
    char *r = strrchr(buf, ')');
    return r && r[1] && r[2] ? r[2] : '?';
}

static void g_orphan(void) {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int p[2];
    pipe(p);
    hup_pipe = p[1];
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    char buf[8];

    /* A new session: its leader's group holds a stopped member; a short-
     * lived sibling in the group exits and is reaped. */
    pid_t a = xfork();
    if (a == 0) {
        setsid();
        pid_t g = stopped_member();
        pid_t brief = xfork();
        if (brief == 0)
            _exit(0);
        waitpid(brief, NULL, 0);
        sleep_ms(100);
        char st = proc_state(g);
        kill(g, SIGKILL);
        waitpid(g, NULL, 0);
        _exit(st == 'T' ? 0 : 1);
    }
    int st = 0;
    waitpid(a, &st, 0);
    ssize_t n = read(p[0], buf, sizeof buf);
    expect("member-exit-in-group-orphans-nothing", WIFEXITED(st) && WEXITSTATUS(st) == 0 && n <= 0,
           "status %x, member saw %zd bytes", st, n);

    /* The session leader's exit leaves a group (another of its session)
     * with a stopped member and no link outside: SIGHUP, then SIGCONT. */
    a = xfork();
    if (a == 0) {
        setsid();
        pid_t b = xfork();
        if (b == 0) {
            setpgid(0, 0);
            stopped_member();
            pause(); /* until the hang-up (SIGHUP's default ends us) */
            _exit(0);
        }
        setpgid(b, b);
        sleep_ms(100);
        _exit(0);
    }
    waitpid(a, NULL, 0);
    struct pollfd pf = {p[0], POLLIN, 0};
    char got[8] = "";
    int len = 0;
    for (long long end = mono_ns() + 5000000000LL; len < 2 && mono_ns() < end;) {
        poll(&pf, 1, 100);
        ssize_t r = read(p[0], got + len, sizeof got - 1 - len);
        if (r > 0)
            len += r;
    }
    got[len] = 0;
    expect("orphaned-stopped-group-gets-hup-then-cont", strcmp(got, "HC") == 0, "saw \"%s\"", got);
    /* The orphans came to us: collect them (bounded). */
    for (long long end = mono_ns() + 5000000000LL; mono_ns() < end;) {
        errno = 0;
        pid_t w = waitpid(-1, NULL, WNOHANG);
        if (w < 0 && errno == ECHILD)
            break;
        if (w == 0)
            sleep_ms(10);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    close(p[0]);
    close(p[1]);
}

/* pidfds: pidfd_open's errors, poll readable once the process exits,
 * pidfd_send_signal (plain and with a siginfo), waitid(P_PIDFD) blocking
 * and through a non-blocking pidfd (EAGAIN), fdinfo's Pid line, ESRCH
 * once the process is gone. */
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
static int pidfd_open_(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send(int fd, int sig, siginfo_t *info, unsigned flags) {
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

static int fdinfo_pid(int fd) {
    char path[64], buf[512] = {0};
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    int f = open(path, O_RDONLY);
    read(f, buf, sizeof buf - 1);
    close(f);
    char *p = strstr(buf, "\nPid:\t");
    return p ? atoi(p + 6) : -99;
}

static void g_pidfd(void) {
    errno = 0;
    EXPECT_ERR("open-bad-flags", pidfd_open_(getpid(), 1), EINVAL);
    EXPECT_ERR("open-zero", pidfd_open_(0, 0), EINVAL);
    EXPECT_ERR("open-no-such", pidfd_open_(4000000, 0), ESRCH);
    pid_t c = xfork();
    if (c == 0) {
        for (;;)
            pause();
    }
    int fd = pidfd_open_(c, 0);
    expect("open-child", fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "%s", errno_name(errno));
    char link[64] = "";
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    readlink(path, link, sizeof link - 1);
    expect("link-name", strcmp(link, "anon_inode:[pidfd]") == 0, "%s", link);
    expect("fdinfo-pid", fdinfo_pid(fd) == c, "%d vs %d", fdinfo_pid(fd), c);
    struct pollfd pf = {fd, POLLIN, 0};
    expect("not-readable-while-running", poll(&pf, 1, 50) == 0, "revents %x", pf.revents);
    char b;
    EXPECT_ERR("read-einval", read(fd, &b, 1), EINVAL);
    EXPECT_ERR("send-unknown-flag", pidfd_send(fd, SIGTERM, NULL, 8), EINVAL);
    EXPECT_ERR("send-two-scopes", pidfd_send(fd, SIGTERM, NULL, 3), EINVAL);
    EXPECT_ERR("send-not-a-pidfd", pidfd_send(0, SIGTERM, NULL, 0), EBADF);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR1;
    si.si_code = SI_USER;
    EXPECT_ERR("send-forged-code-eperm", pidfd_send(fd, SIGUSR1, &si, 0), EPERM);
    EXPECT_OK("send-probe", pidfd_send(fd, 0, NULL, 0));
    EXPECT_OK("send-term", pidfd_send(fd, SIGTERM, NULL, 0));
    pf.revents = 0;
    expect("readable-after-exit", poll(&pf, 1, 5000) == 1 && (pf.revents & POLLIN), "revents %x", pf.revents);
    expect("fdinfo-pid-of-zombie", fdinfo_pid(fd) == c, "%d", fdinfo_pid(fd));
    EXPECT_OK("send-to-zombie", pidfd_send(fd, SIGTERM, NULL, 0));
    memset(&si, 0, sizeof si);
    int r = waitid(P_PIDFD, fd, &si, WEXITED);
    expect("waitid-pidfd", r == 0 && si.si_pid == c && si.si_code == CLD_KILLED && si.si_status == SIGTERM,
           "r %d pid %d code %d status %d", r, si.si_pid, si.si_code, si.si_status);
    expect("fdinfo-pid-after-reap", fdinfo_pid(fd) == -1, "%d", fdinfo_pid(fd));
    EXPECT_ERR("send-after-reap-esrch", pidfd_send(fd, SIGTERM, NULL, 0), ESRCH);
    pf.revents = 0;
    expect("hup-after-reap", poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP), "revents %x", pf.revents);
    close(fd);

    /* PIDFD_SIGNAL_PROCESS_GROUP (Linux 6.9): the child's whole group; the
     * pipe reaches end of file once the member holding it is gone too. */
    int gp[2];
    pipe(gp);
    c = xfork();
    if (c == 0) {
        setpgid(0, 0);
        close(gp[0]);
        if (xfork() == 0)
            for (;;)
                pause();
        close(gp[1]);
        for (;;)
            pause();
    }
    close(gp[1]);
    setpgid(c, c);
    fd = pidfd_open_(c, 0);
    sleep_ms(50);
    EXPECT_OK("send-process-group", pidfd_send(fd, SIGKILL, NULL, 4));
    int st = 0;
    waitpid(c, &st, 0);
    expect("group-leader-killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%x", st);
    struct pollfd gpf = {gp[0], POLLIN, 0};
    char gb;
    expect("group-member-killed", poll(&gpf, 1, 5000) == 1 && read(gp[0], &gb, 1) == 0, "member lives");
    close(gp[0]);
    close(fd);

    /* CLONE_PIDFD: clone3 stores the child's pidfd (close-on-exec) where
     * asked; clone(2) where it would store the parent's tid, so both
     * cannot be asked for; threads cannot have one here. */
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    int cfd = -1;
    ca.flags = CLONE_PIDFD;
    ca.pidfd = (unsigned long)&cfd;
    ca.exit_signal = SIGCHLD;
    pid_t k = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
    if (k == 0)
        _exit(6);
    expect("clone3-pidfd", k > 0 && cfd >= 0 && fdinfo_pid(cfd) == k && (fcntl(cfd, F_GETFD) & FD_CLOEXEC), "%d %d",
           k, cfd);
    memset(&si, 0, sizeof si);
    r = waitid(P_PIDFD, cfd, &si, WEXITED);
    expect("clone3-pidfd-waitid", r == 0 && si.si_pid == k && si.si_status == 6, "r %d %d", r, si.si_status);
    close(cfd);
    ca.pidfd = 8; /* unmapped */
    EXPECT_ERR("clone3-pidfd-efault", syscall(SYS_clone3, &ca, sizeof ca), EFAULT);
    EXPECT_ERR("clone-pidfd-and-parent-settid", syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0,
                                                        &cfd, NULL, 0),
               EINVAL);
    cfd = -1;
    k = (pid_t)syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &cfd, NULL, 0);
    if (k == 0)
        _exit(7);
    expect("clone-pidfd", k > 0 && cfd >= 0 && fdinfo_pid(cfd) == k, "%d %d", k, cfd);
    waitpid(k, NULL, 0);
    close(cfd);

    /* A non-blocking pidfd: waitid says EAGAIN while the child runs, 0 with
     * WNOHANG asked for. */
    c = xfork();
    if (c == 0) {
        sleep_ms(200);
        _exit(4);
    }
    fd = pidfd_open_(c, O_NONBLOCK);
    memset(&si, 0, sizeof si);
    EXPECT_ERR("nonblock-waitid-eagain", waitid(P_PIDFD, fd, &si, WEXITED), EAGAIN);
    memset(&si, 0, sizeof si);
    r = waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG);
    expect("nonblock-wnohang-zero", r == 0 && si.si_pid == 0, "r %d pid %d", r, si.si_pid);
    pf.fd = fd;
    pf.revents = 0;
    poll(&pf, 1, 5000);
    memset(&si, 0, sizeof si);
    r = waitid(P_PIDFD, fd, &si, WEXITED);
    expect("nonblock-waitid-after-exit", r == 0 && si.si_code == CLD_EXITED && si.si_status == 4, "r %d %d %d", r,
           si.si_code, si.si_status);
    close(fd);
}

/* The records queued for our user and the limit (status's SigQ). */
static void sigq(unsigned long *q, unsigned long *lim) {
    char *st = slurp("/proc/self/status");
    char *p = st ? strstr(st, "SigQ:") : NULL;
    *q = *lim = 0;
    if (p)
        sscanf(p, "SigQ:\t%lu/%lu", q, lim);
}

/* RLIMIT_SIGPENDING: sigqueue and tgkill of real-time signals are refused
 * with EAGAIN once the user has that many records queued; kill's are not,
 * nor standard signals. */
static void g_sigpending(void) {
    alone_as(54322);
    struct rlimit rl = {50, 50};
    EXPECT_OK("lower-limit", setrlimit(RLIMIT_SIGPENDING, &rl));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGRTMIN + 1);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    union sigval v = {0};
    int n = 0;
    while (n < 1000 && sigqueue(getpid(), SIGRTMIN, v) == 0)
        n++;
    int err = errno;
    /* Natively other processes of the same user may hold a few records. */
    expect("stops-at-limit", n > 0 && n <= 50 && err == EAGAIN, "%d %d", n, err);
    EXPECT_ERR("tgkill-rt-refused", syscall(SYS_tgkill, getpid(), gettid(), SIGRTMIN + 1), EAGAIN);
    /* kill's instances are pending but get no record: one of a signal
     * not pending yet shows once, more of a pending one add nothing. */
    EXPECT_OK("kill-rt-pending-one", kill(getpid(), SIGRTMIN));
    EXPECT_OK("kill-rt-other", kill(getpid(), SIGRTMIN + 1));
    EXPECT_OK("kill-rt-other-again", kill(getpid(), SIGRTMIN + 1));
    EXPECT_OK("standard-signal", sigqueue(getpid(), SIGUSR1, v));
    unsigned long q, lim;
    sigq(&q, &lim);
    expect("sigq-shows-limit", lim == 50 && q >= (unsigned long)n, "%lu/%lu", q, lim);
    struct timespec zero = {0, 0};
    int got[65] = {0}, s;
    while ((s = sigtimedwait(&set, NULL, &zero)) > 0)
        got[s]++;
    expect("delivered", got[SIGRTMIN] == n && got[SIGRTMIN + 1] == 1 && got[SIGUSR1] == 1, "%d %d %d", got[SIGRTMIN],
           got[SIGRTMIN + 1], got[SIGUSR1]);
    EXPECT_OK("room-again", sigqueue(getpid(), SIGRTMIN, v));
}

/* A POSIX timer holds a signal record from timer_create to timer_delete,
 * whatever its sigevent, queued or not: timer_create is EAGAIN at the
 * limit, and the records of other signals find less room. */
static unsigned long sigq_now(void) {
    unsigned long q, lim;
    sigq(&q, &lim);
    return q;
}

static void g_sigpending_timers(void) {
    alone_as(54323);
    struct rlimit rl = {20, 20};
    EXPECT_OK("lower-limit", setrlimit(RLIMIT_SIGPENDING, &rl));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    timer_t ids[64];
    int n = 0;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    while (n < 64) {
        /* Every other one SIGEV_NONE: it holds a record too. */
        ev.sigev_notify = n % 2 ? SIGEV_NONE : SIGEV_SIGNAL;
        ev.sigev_signo = SIGRTMIN + 2;
        if (timer_create(CLOCK_MONOTONIC, &ev, &ids[n]) != 0)
            break;
        n++;
    }
    int err = errno;
    /* Natively other processes of the same user may hold a few records. */
    expect("timers-stop-at-limit", n > 0 && n <= 20 && err == EAGAIN, "%d %d", n, err);
    unsigned long q = sigq_now();
    expect("sigq-counts-timers", q >= (unsigned long)n && q <= 20, "%lu for %d timers", q, n);
    union sigval v = {0};
    EXPECT_ERR("sigqueue-finds-no-room", sigqueue(getpid(), SIGRTMIN, v), EAGAIN);
    siginfo_t forged;
    memset(&forged, 0, sizeof forged);
    forged.si_signo = SIGRTMIN;
    forged.si_code = SI_TIMER;
    EXPECT_ERR("forged-timer-code-refused", syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, &forged), EAGAIN);
    /* The first timer fires: its signal is queued in the record it holds. */
    struct itimerspec its = {{0, 0}, {0, 1000000}};
    EXPECT_OK("arm", timer_settime(ids[0], 0, &its, NULL));
    struct timespec to = {5, 0};
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGRTMIN + 2);
    /* Wait until it is pending, without taking it. */
    for (int i = 0; i < 500; i++) {
        sigset_t p;
        sigpending(&p);
        if (sigismember(&p, SIGRTMIN + 2))
            break;
        usleep(10000);
    }
    expect("queued-counts-once", sigq_now() == q, "%lu, was %lu", sigq_now(), q);
    siginfo_t si;
    int s = sigtimedwait(&only, &si, &to);
    expect("timer-signal", s == SIGRTMIN + 2 && si.si_code == SI_TIMER, "%d code %d", s, si.si_code);
    expect("taken-still-held", sigq_now() == q, "%lu, was %lu", sigq_now(), q);
    EXPECT_OK("delete-one", timer_delete(ids[n - 1]));
    expect("delete-frees", sigq_now() == q - 1, "%lu, was %lu", sigq_now(), q);
    EXPECT_OK("room-again", sigqueue(getpid(), SIGRTMIN, v));
    EXPECT_ERR("full-again", timer_create(CLOCK_MONOTONIC, &ev, &ids[n - 1]), EAGAIN);
    struct timespec zero = {0, 0};
    sigtimedwait(&set, NULL, &zero);
    for (int i = 0; i < n - 1; i++)
        timer_delete(ids[i]);
    expect("all-freed", sigq_now() + n <= q + 1, "%lu", sigq_now());
    EXPECT_OK("creates-again", timer_create(CLOCK_MONOTONIC, &ev, &ids[0]));
}

static const struct test_group groups[] = {
    {"siginfo", g_siginfo},   {"kill", g_kill},         {"mask", g_mask},
    {"sigwait", g_sigwait},   {"suspend", g_suspend},   {"flags", g_flags},
    {"eintr", g_eintr},       {"nanosleep", g_nanosleep}, {"stopcont", g_stopcont},
    {"sigchld", g_sigchld},   {"sigpipe", g_sigpipe},   {"faults", g_faults},
    {"altstack", g_altstack}, {"fpregs", g_fpregs},     {"fork", g_fork},
    {"orphan", g_orphan},     {"pidfd", g_pidfd},       {"sigpending", g_sigpending},
    {"sigpending-timers", g_sigpending_timers},
};

int main(int argc, char **argv) { return RUN_GROUPS(argc, argv, groups); }
