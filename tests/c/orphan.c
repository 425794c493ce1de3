/*
 * PID 1 of a PID namespace (the sandbox's first process): orphans are
 * reparented to it, it ignores default-action signals sent from inside,
 * and when it exits everything else in the namespace dies.
 *
 * The Rust tests run these natively under `unshare --pid --fork` (so the
 * program, or the shell starting it, is PID 1 there too) and under husk.
 *
 *   orphan reparent        double-forks; the grandchild's parent becomes
 *                          PID 1, which reaps it (works as PID 1 itself or
 *                          under a shell that is PID 1)
 *   orphan init-signals    as PID 1: signals from a child with default
 *                          action are ignored, handled ones are delivered
 *   orphan init-killed     as PID 1: starts children that would live for a
 *                          minute, then a child sends SIGTERM, whose
 *                          handler exits 7: the namespace ends at once
 *   orphan init-exits      as PID 1: starts long-lived children and exits 3
 *   orphan init-segv       as PID 1: faults (a forced signal kills even init)
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <sys/syscall.h>

/* Children that would outlive the test if PID 1's end did not kill them:
 * a sleeper, a reader blocked on a pipe, a stopped one, a zombie-maker and
 * an orphaned grandchild. */
static void start_long_lived(void) {
    static int p[2];
    pipe(p);
    pid_t c = xfork();
    if (c == 0) {
        sleep_ms(60000);
        _exit(0);
    }
    c = xfork();
    if (c == 0) {
        char b;
        read(p[0], &b, 1);
        _exit(0);
    }
    c = xfork();
    if (c == 0) {
        for (;;)
            pause();
    }
    kill(c, SIGSTOP);
    c = xfork();
    if (c == 0)
        _exit(0); /* left a zombie: nobody waits for it */
    c = xfork();
    if (c == 0) {
        if (xfork() == 0) {
            sleep_ms(60000);
            _exit(0);
        }
        _exit(0);
    }
    /* Let them all get going. */
    sleep_ms(100);
}

static void reparent(void) {
    int p[2];
    pipe(p);
    int as_init = getpid() == 1;
    pid_t mid = xfork();
    if (mid == 0) {
        pid_t mid_pid = getpid();
        pid_t gc = xfork();
        if (gc == 0) {
            long long end = mono_ns() + 10000000000LL;
            while (getppid() == mid_pid && mono_ns() < end)
                sleep_ms(2);
            expect("grandchild-reparented-to-pid-1", getppid() == 1,
                   "getppid is not 1");
            fflush(stdout);
            pid_t me = getpid();
            write(p[1], &me, sizeof me);
            _exit(5);
        }
        _exit(0);
    }
    int st;
    waitpid(mid, &st, 0);
    pid_t gc = 0;
    read(p[0], &gc, sizeof gc); /* after the grandchild's line */
    expect("middle-exits", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s",
           status_text(st));
    if (as_init) {
        /* We are PID 1: the orphan is now our child. */
        pid_t r = waitpid(-1, &st, 0);
        expect("orphan-reaped-by-pid-1", r == gc && WIFEXITED(st) && WEXITSTATUS(st) == 5,
               "%s", r > 0 ? status_text(st) : errno_name(errno));
    } else {
        /* PID 1 (the shell) reaps it: the pid disappears. */
        long long end = mono_ns() + 10000000000LL;
        while (kill(gc, 0) == 0 && mono_ns() < end)
            sleep_ms(5);
        expect("orphan-reaped-by-pid-1", kill(gc, 0) < 0 && errno == ESRCH,
               "still there after 10 s");
        EXPECT_ERR("orphan-not-our-child", waitpid(gc, &st, WNOHANG), ECHILD);
    }
}

static volatile int usr1_hits;
static void on_usr1(int sig) {
    (void)sig;
    usr1_hits++;
}

static void init_signals(void) {
    expect("is-pid-1", getpid() == 1, "pid is not 1");
    expect("pid-1-has-no-parent", getppid() == 0, "getppid is not 0");
    signal(SIGUSR1, on_usr1);
    pid_t c = xfork();
    if (c == 0) {
        int ok = kill(1, SIGTERM) == 0 && kill(1, SIGKILL) == 0 &&
                 kill(1, SIGINT) == 0 && kill(1, SIGHUP) == 0 &&
                 kill(1, SIGUSR2) == 0 && kill(1, SIGUSR1) == 0;
        _exit(ok ? 0 : 1);
    }
    const char *st = wait_text(c);
    expect("child-signals-pid-1", strcmp(st, "exited 0") == 0, "%s", st);
    /* Delivery to PID 1 happens before the sender's kill returns; allow
     * some time anyway. */
    long long end = mono_ns() + 5000000000LL;
    while (usr1_hits == 0 && mono_ns() < end)
        sleep_ms(1);
    printf("pid-1-survives-default-signals: ok\n");
    expect("pid-1-gets-handled-signal", usr1_hits == 1, "%d handler runs", usr1_hits);
    /* The same holds for PID 1 signalling itself. */
    raise(SIGTERM);
    kill(1, SIGKILL);
    printf("pid-1-survives-own-signals: ok\n");
    /* A child of PID 1 is an ordinary process. */
    c = xfork();
    if (c == 0) {
        raise(SIGTERM);
        _exit(0);
    }
    st = wait_text(c);
    expect("child-of-pid-1-dies-normally", strcmp(st, "killed by SIGTERM") == 0, "%s",
           st);
}

static void on_term(int sig) {
    (void)sig;
    _exit(7);
}

static void init_killed(void) {
    signal(SIGTERM, on_term);
    start_long_lived();
    printf("pid-1-started: ok\n");
    fflush(stdout);
    pid_t c = xfork();
    if (c == 0) {
        sleep_ms(50);
        kill(1, SIGTERM);
        sleep_ms(60000);
        _exit(0);
    }
    /* Reap whatever ends; the handler exits. */
    for (;;) {
        if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
            pause();
    }
}

static void init_exits(void) {
    start_long_lived();
    printf("pid-1-exiting: ok\n");
    fflush(stdout);
    exit(3);
}

static void init_segv(void) {
    start_long_lived();
    printf("pid-1-faulting: ok\n");
    fflush(stdout);
    *(volatile int *)16 = 1;
    printf("not reached\n");
}

int main(int argc, char **argv) {
    line_buffered_stdout();
    if (argc != 2) {
        printf("usage: orphan reparent|init-signals|init-killed|init-exits|init-segv\n");
        return 2;
    }
    if (strcmp(argv[1], "reparent") == 0)
        reparent();
    else if (strcmp(argv[1], "init-signals") == 0)
        init_signals();
    else if (strcmp(argv[1], "init-killed") == 0)
        init_killed();
    else if (strcmp(argv[1], "init-exits") == 0)
        init_exits();
    else if (strcmp(argv[1], "init-segv") == 0)
        init_segv();
    else {
        printf("unknown mode %s\n", argv[1]);
        return 2;
    }
    return 0;
}
