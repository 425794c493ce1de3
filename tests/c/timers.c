/*
 * Sleeps, interval timers, POSIX timers and clocks. One line per check
 * ("name: ok" natively). Elapsed times are checked against the request
 * with a loose upper bound (2 s over) so that a busy CI machine does not
 * fail them; nothing time-dependent is printed.
 *
 *   timers [GROUP]     run one group (all without an argument)
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#define MS 1000000LL
#define SLACK (2000 * MS)

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static long long ts_ns(const struct timespec *t) {
    return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static long long tv_us(const struct timeval *t) {
    return t->tv_sec * 1000000LL + t->tv_usec;
}

static void expect_elapsed(const char *name, long long el, long long want) {
    expect(name, el >= want && el < want + SLACK, "%s (%lld ms for %lld ms)",
           el < want ? "woke early" : "far too late", el / MS, want / MS);
}

static volatile int hits;
static void count_handler(int sig) {
    (void)sig;
    hits++;
}

/* ---- sleeping ------------------------------------------------------------ */

static void g_sleep(void) {
    struct timespec req = {0, 100 * MS};
    long long t0 = mono_ns();
    int r = nanosleep(&req, NULL);
    expect("nanosleep-returns-0", r == 0, "%s", errno_name(errno));
    expect_elapsed("nanosleep-100ms", mono_ns() - t0, 100 * MS);

    t0 = mono_ns();
    r = syscall(SYS_nanosleep, &req, NULL);
    expect_elapsed("nanosleep-raw-syscall", mono_ns() - t0, 100 * MS);

    t0 = mono_ns();
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
    expect("clock-nanosleep-monotonic-returns-0", r == 0, "returned %d", r);
    expect_elapsed("clock-nanosleep-monotonic", mono_ns() - t0, 100 * MS);

    t0 = mono_ns();
    r = clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL);
    expect_elapsed("clock-nanosleep-realtime", mono_ns() - t0, 100 * MS);

    t0 = mono_ns();
    r = clock_nanosleep(CLOCK_BOOTTIME, 0, &req, NULL);
    expect("clock-nanosleep-boottime", r == 0, "returned %d", r);

    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    t0 = ts_ns(&until);
    until.tv_nsec += 150 * MS;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    long long now = mono_ns();
    expect("clock-nanosleep-abstime-monotonic",
           r == 0 && now >= ts_ns(&until) && now < ts_ns(&until) + SLACK,
           "returned %d, %lld ms after the deadline", r, (now - ts_ns(&until)) / MS);

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 150 * MS;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    t0 = mono_ns();
    r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    expect("clock-nanosleep-abstime-realtime", r == 0 && ts_ns(&rt) >= ts_ns(&until),
           "returned %d", r);
    expect_elapsed("clock-nanosleep-abstime-realtime-elapsed", mono_ns() - t0,
                   100 * MS);

    /* A deadline in the past returns at once. */
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec -= 5;
    t0 = mono_ns();
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    expect("clock-nanosleep-past-deadline", r == 0 && mono_ns() - t0 < SLACK,
           "returned %d", r);

    struct timespec zero = {0, 0};
    EXPECT_OK("nanosleep-zero", nanosleep(&zero, NULL));

    struct timespec bad = {0, 1000000000};
    EXPECT_ERR("nanosleep-nsec-too-big", nanosleep(&bad, NULL), EINVAL);
    struct timespec neg = {-1, 0};
    EXPECT_ERR("nanosleep-negative", nanosleep(&neg, NULL), EINVAL);
    EXPECT_ERR("nanosleep-efault", syscall(SYS_nanosleep, (void *)8, NULL), EFAULT);
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL);
    expect("clock-nanosleep-einval", r == EINVAL, "returned %d", r);
    r = clock_nanosleep((clockid_t)1234, 0, &req, NULL);
    expect("clock-nanosleep-bad-clock", r == EINVAL, "returned %d", r);
    r = clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL);
    expect("clock-nanosleep-thread-cputime", r == EINVAL, "returned %d", r);

    /* sleep(), usleep() */
    t0 = mono_ns();
    usleep(50000);
    expect_elapsed("usleep-50ms", mono_ns() - t0, 50 * MS);
}

/* ---- setitimer / getitimer / alarm ---------------------------------------- */

static void g_itimer(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    sigprocmask(SIG_BLOCK, &s, NULL);

    struct itimerval it = {{0, 50000}, {0, 50000}}, old, cur;
    memset(&old, 0xff, sizeof old);
    int r = setitimer(ITIMER_REAL, &it, &old);
    expect("setitimer-real", r == 0 && tv_us(&old.it_value) == 0 &&
                                 tv_us(&old.it_interval) == 0,
           "r %d, old value not zero", r);
    r = getitimer(ITIMER_REAL, &cur);
    expect("getitimer-interval", r == 0 && cur.it_interval.tv_sec == 0 &&
                                     cur.it_interval.tv_usec == 50000,
           "interval %lld us", tv_us(&cur.it_interval));
    expect("getitimer-value-counts-down",
           tv_us(&cur.it_value) > 0 && tv_us(&cur.it_value) <= 50000,
           "value %lld us", tv_us(&cur.it_value));

    long long t0 = mono_ns();
    int got = 0, kernel_code = 1;
    siginfo_t si;
    struct timespec to = {5, 0};
    for (int i = 0; i < 5; i++) {
        if (sigtimedwait(&s, &si, &to) != SIGALRM)
            break;
        got++;
        kernel_code &= si.si_code == SI_KERNEL;
    }
    long long el = mono_ns() - t0;
    expect("itimer-real-periodic-5-signals", got == 5, "%d signals", got);
    expect("itimer-real-si-code", kernel_code, "si_code not SI_KERNEL");
    expect_elapsed("itimer-real-period", el, 200 * MS);

    struct itimerval off = {{0, 0}, {0, 0}};
    r = setitimer(ITIMER_REAL, &off, &old);
    expect("setitimer-returns-old", r == 0 && tv_us(&old.it_interval) == 50000,
           "old interval %lld", tv_us(&old.it_interval));
    getitimer(ITIMER_REAL, &cur);
    expect("itimer-disarmed", tv_us(&cur.it_value) == 0 && tv_us(&cur.it_interval) == 0,
           "still armed");
    while (sigtimedwait(&s, &si, &(struct timespec){0, 0}) > 0)
        ;
    /* Nothing more arrives once disarmed. */
    r = sigtimedwait(&s, &si, &(struct timespec){0, 150 * MS});
    expect("no-signal-after-disarm", r < 0 && errno == EAGAIN, "got %d", r);

    /* One-shot. */
    struct itimerval once = {{0, 0}, {0, 30000}};
    setitimer(ITIMER_REAL, &once, NULL);
    r = sigtimedwait(&s, &si, &to);
    int again = sigtimedwait(&s, &si, &(struct timespec){0, 150 * MS});
    expect("itimer-one-shot", r == SIGALRM && again < 0, "first %d, second %d", r,
           again);

    /* alarm */
    unsigned a = alarm(5);
    expect("alarm-first-returns-0", a == 0, "returned %u", a);
    getitimer(ITIMER_REAL, &cur);
    expect("alarm-visible-in-getitimer",
           cur.it_value.tv_sec >= 4 && cur.it_value.tv_sec <= 5 &&
               tv_us(&cur.it_interval) == 0,
           "value %ld s", (long)cur.it_value.tv_sec);
    a = alarm(3);
    expect("alarm-returns-remaining", a == 5 || a == 4, "returned %u", a);
    a = alarm(0);
    expect("alarm-cancel-returns-remaining", a == 3 || a == 2, "returned %u", a);
    getitimer(ITIMER_REAL, &cur);
    expect("alarm-cancelled", tv_us(&cur.it_value) == 0, "still armed");

    /* Timers are not inherited by a child. */
    alarm(10);
    pid_t c = xfork();
    if (c == 0) {
        struct itimerval ci;
        getitimer(ITIMER_REAL, &ci);
        _exit(alarm(0) == 0 && tv_us(&ci.it_value) == 0 ? 0 : 1);
    }
    const char *st = wait_text(c);
    expect("fork-does-not-inherit-alarm", strcmp(st, "exited 0") == 0, "%s", st);
    alarm(0);

    EXPECT_ERR("setitimer-bad-which", setitimer((__itimer_which_t)7, &it, NULL),
               EINVAL);
    struct itimerval badv = {{0, 0}, {0, 1000000}};
    EXPECT_ERR("setitimer-bad-usec", setitimer(ITIMER_REAL, &badv, NULL), EINVAL);
    EXPECT_ERR("getitimer-bad-which", getitimer((__itimer_which_t)7, &cur), EINVAL);
    sigprocmask(SIG_UNBLOCK, &s, NULL);

    /* ITIMER_VIRTUAL and ITIMER_PROF count CPU time. */
    struct {
        const char *name;
        int which, sig;
    } cpu[] = {{"itimer-virtual", ITIMER_VIRTUAL, SIGVTALRM},
               {"itimer-prof", ITIMER_PROF, SIGPROF}};
    for (int i = 0; i < 2; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = count_handler;
        sigaction(cpu[i].sig, &sa, NULL);
        hits = 0;
        struct itimerval v = {{0, 0}, {0, 50000}};
        setitimer(cpu[i].which, &v, NULL);
        long long end = mono_ns() + 3000 * MS;
        volatile unsigned long x = 0;
        while (hits == 0 && mono_ns() < end)
            for (int k = 0; k < 100000; k++)
                x += k;
        expect(cpu[i].name, hits == 1, "%d signals after spinning", hits);
        signal(cpu[i].sig, SIG_DFL);
    }
}

/* ---- POSIX timers ---------------------------------------------------------- */

static void g_posix(void) {
    int sig = SIGRTMIN;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_BLOCK, &s, NULL);

    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = sig;
    ev.sigev_value.sival_int = 77;
    timer_t t;
    int r = timer_create(CLOCK_MONOTONIC, &ev, &t);
    expect("timer-create", r == 0, "%s", errno_name(errno));
    if (r)
        return;

    struct itimerspec its = {{0, 20 * MS}, {0, 20 * MS}}, cur, old;
    r = timer_settime(t, 0, &its, NULL);
    expect("timer-settime", r == 0, "%s", errno_name(errno));
    siginfo_t si;
    struct timespec to = {5, 0};
    int got = 0, fields = 1;
    long long t0 = mono_ns();
    for (int i = 0; i < 3; i++) {
        memset(&si, 0, sizeof si);
        if (sigtimedwait(&s, &si, &to) != sig)
            break;
        got++;
        fields &= si.si_code == SI_TIMER && si.si_value.sival_int == 77;
    }
    expect("timer-periodic-3-signals", got == 3, "%d signals", got);
    expect("timer-siginfo", fields, "si_code %d value %d", si.si_code,
           si.si_value.sival_int);
    expect_elapsed("timer-period", mono_ns() - t0, 40 * MS);

    /* gettime / settime with old value. */
    struct itimerspec one = {{0, 0}, {10, 0}};
    memset(&old, 0, sizeof old);
    r = timer_settime(t, 0, &one, &old);
    expect("timer-settime-old-value", r == 0 && old.it_interval.tv_nsec == 20 * MS,
           "old interval %ld ns", old.it_interval.tv_nsec);
    r = timer_gettime(t, &cur);
    expect("timer-gettime",
           r == 0 && ts_ns(&cur.it_value) > 8000 * MS &&
               ts_ns(&cur.it_value) <= 10000 * MS && ts_ns(&cur.it_interval) == 0,
           "value %lld ms", ts_ns(&cur.it_value) / MS);

    /* TIMER_ABSTIME */
    struct itimerspec abs = {{0, 0}, {0, 0}};
    clock_gettime(CLOCK_MONOTONIC, &abs.it_value);
    abs.it_value.tv_nsec += 50 * MS;
    if (abs.it_value.tv_nsec >= 1000000000) {
        abs.it_value.tv_sec++;
        abs.it_value.tv_nsec -= 1000000000;
    }
    while (sigtimedwait(&s, &si, &(struct timespec){0, 0}) > 0)
        ;
    r = timer_settime(t, TIMER_ABSTIME, &abs, NULL);
    int w = sigtimedwait(&s, &si, &to);
    expect("timer-abstime", r == 0 && w == sig && mono_ns() >= ts_ns(&abs.it_value),
           "r %d got %d", r, w);

    /* An absolute time in the past fires at once. */
    abs.it_value.tv_sec -= 10;
    t0 = mono_ns();
    timer_settime(t, TIMER_ABSTIME, &abs, NULL);
    w = sigtimedwait(&s, &si, &to);
    expect("timer-abstime-past-fires", w == sig && mono_ns() - t0 < SLACK, "got %d",
           w);

    /* Disarm. */
    struct itimerspec zero = {{0, 0}, {0, 0}};
    timer_settime(t, 0, &zero, NULL);
    timer_gettime(t, &cur);
    expect("timer-disarmed", ts_ns(&cur.it_value) == 0, "still armed");

    /* Overruns: the signal stays blocked while the timer fires ~20 times. */
    struct itimerspec fast = {{0, 10 * MS}, {0, 10 * MS}};
    timer_settime(t, 0, &fast, NULL);
    sleep_ms(250);
    memset(&si, 0, sizeof si);
    w = sigtimedwait(&s, &si, &to);
    int ov = timer_getoverrun(t);
    expect("timer-overrun-in-siginfo", w == sig && si.si_overrun > 0,
           "got %d, si_overrun %d", w, si.si_overrun);
    expect("timer-getoverrun", ov > 0 && ov == si.si_overrun,
           "timer_getoverrun %d, si_overrun %d", ov, si.si_overrun);
    timer_settime(t, 0, &zero, NULL);
    while (sigtimedwait(&s, &si, &(struct timespec){0, 0}) > 0)
        ;

    /* Timers are not inherited by a child. */
    pid_t c = xfork();
    if (c == 0) {
        struct itimerspec x;
        _exit(timer_gettime(t, &x) < 0 && errno == EINVAL ? 0 : 1);
    }
    const char *st = wait_text(c);
    expect("fork-does-not-inherit-timers", strcmp(st, "exited 0") == 0, "%s", st);

    EXPECT_OK("timer-delete", timer_delete(t));
    EXPECT_ERR("timer-gettime-deleted", timer_gettime(t, &cur), EINVAL);
    EXPECT_ERR("timer-delete-twice", timer_delete(t), EINVAL);
    EXPECT_ERR("timer-create-bad-clock", timer_create((clockid_t)1234, &ev, &t),
               EINVAL);
    struct itimerspec badt = {{0, 0}, {0, 1000000000}};
    timer_t t2;
    timer_create(CLOCK_MONOTONIC, &ev, &t2);
    EXPECT_ERR("timer-settime-bad-nsec", timer_settime(t2, 0, &badt, NULL), EINVAL);
    timer_delete(t2);

    /* SIGEV_NONE: no signal, but the timer runs. */
    struct sigevent none;
    memset(&none, 0, sizeof none);
    none.sigev_notify = SIGEV_NONE;
    r = timer_create(CLOCK_MONOTONIC, &none, &t2);
    struct itimerspec sec = {{0, 0}, {1, 0}};
    timer_settime(t2, 0, &sec, NULL);
    sleep_ms(50);
    timer_gettime(t2, &cur);
    expect("sigev-none-counts-down",
           r == 0 && ts_ns(&cur.it_value) > 0 && ts_ns(&cur.it_value) < 1000 * MS,
           "value %lld ms", ts_ns(&cur.it_value) / MS);
    timer_delete(t2);

    /* A NULL sigevent means SIGEV_SIGNAL with SIGALRM, value = timer id. */
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, NULL);
    r = timer_create(CLOCK_MONOTONIC, NULL, &t2);
    struct itimerspec shot = {{0, 0}, {0, 10 * MS}};
    timer_settime(t2, 0, &shot, NULL);
    memset(&si, 0, sizeof si);
    w = sigtimedwait(&alrm, &si, &to);
    expect("timer-create-null-sigevent", r == 0 && w == SIGALRM && si.si_code == SI_TIMER,
           "r %d got %d code %d", r, w, si.si_code);
    timer_delete(t2);
    sigprocmask(SIG_UNBLOCK, &alrm, NULL);

    /* Many timers at once. */
    timer_t many[64];
    int made = 0;
    for (int i = 0; i < 64; i++)
        if (timer_create(CLOCK_REALTIME, &ev, &many[i]) == 0)
            made++;
    int deleted = 0;
    for (int i = 0; i < made; i++)
        if (timer_delete(many[i]) == 0)
            deleted++;
    expect("sixty-four-timers", made == 64 && deleted == 64, "%d made, %d deleted",
           made, deleted);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
}

/* ---- SIGEV_THREAD_ID and SIGEV_THREAD --------------------------------------- */

static volatile pid_t handler_tid;
static volatile int tid_hits;
static volatile int stop_target;
static pid_t target_tid;
static sem_t target_ready;

static void tid_handler(int sig) {
    (void)sig;
    handler_tid = gettid_();
    tid_hits++;
}

static void *target(void *arg) {
    (void)arg;
    target_tid = gettid_();
    sem_post(&target_ready);
    while (!stop_target)
        pause();
    return NULL;
}

static atomic_int thread_notify_count;
static sem_t notified;

static void notify_fn(union sigval v) {
    if (v.sival_int == 55)
        atomic_fetch_add(&thread_notify_count, 1);
    sem_post(&notified);
}

static void g_thread_timers(void) {
    int sig = SIGRTMIN + 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tid_handler;
    sigaction(sig, &sa, NULL);
    sem_init(&target_ready, 0, 0);
    pthread_t th;
    pthread_create(&th, NULL, target, NULL);
    sem_wait(&target_ready);

    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = sig;
    ev._sigev_un._tid = target_tid; /* sigev_notify_thread_id */
    timer_t t;
    int r = timer_create(CLOCK_MONOTONIC, &ev, &t);
    expect("sigev-thread-id-create", r == 0, "%s", errno_name(errno));
    struct itimerspec its = {{0, 0}, {0, 30 * MS}};
    tid_hits = 0;
    timer_settime(t, 0, &its, NULL);
    /* The main thread stays runnable (and does not block the signal): a
     * process-directed signal would likely land here. */
    long long end = mono_ns() + 5000 * MS;
    while (tid_hits == 0 && mono_ns() < end)
        sched_yield();
    expect("sigev-thread-id-targets-thread", tid_hits == 1 && handler_tid == target_tid,
           "hits %d, %s", tid_hits,
           handler_tid == gettid_() ? "ran on the main thread" : "wrong thread");
    timer_delete(t);

    /* A tid outside the process is EINVAL. */
    ev._sigev_un._tid = 999999;
    EXPECT_ERR("sigev-thread-id-bad-tid", timer_create(CLOCK_MONOTONIC, &ev, &t),
               EINVAL);

    stop_target = 1;
    for (int i = 0; i < 500; i++) {
        pthread_kill(th, sig);
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_nsec += 10 * MS;
        if (dl.tv_nsec >= 1000000000) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000;
        }
        if (pthread_timedjoin_np(th, NULL, &dl) == 0)
            break;
    }

    /* SIGEV_THREAD: glibc runs the function in a helper thread. */
    sem_init(&notified, 0, 0);
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = notify_fn;
    ev.sigev_value.sival_int = 55;
    r = timer_create(CLOCK_MONOTONIC, &ev, &t);
    struct itimerspec per = {{0, 20 * MS}, {0, 20 * MS}};
    timer_settime(t, 0, &per, NULL);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 5;
    int ok = 0;
    for (int i = 0; i < 3; i++)
        if (sem_timedwait(&notified, &dl) == 0)
            ok++;
    timer_delete(t);
    expect("sigev-thread", r == 0 && ok == 3 && thread_notify_count >= 3,
           "r %d, %d notifications", r, ok);
    signal(sig, SIG_DFL);
}

/* ---- clocks ---------------------------------------------------------------- */

static void g_clocks(void) {
    struct timespec res;
    clockid_t fine[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME,
                        CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID,
                        CLOCK_THREAD_CPUTIME_ID};
    const char *names[] = {"realtime", "monotonic", "boottime", "monotonic-raw",
                           "process-cputime", "thread-cputime"};
    for (int i = 0; i < 6; i++) {
        char name[64];
        snprintf(name, sizeof name, "clock-getres-%s", names[i]);
        memset(&res, 0xff, sizeof res);
        int r = clock_getres(fine[i], &res);
        expect(name, r == 0 && res.tv_sec == 0 && res.tv_nsec == 1, "r %d res %ld ns",
               r, res.tv_nsec);
    }
    int r = clock_getres(CLOCK_MONOTONIC_COARSE, &res);
    expect("clock-getres-coarse", r == 0 && res.tv_sec == 0 && res.tv_nsec >= 1000000 &&
                                      res.tv_nsec <= 10000000,
           "res %ld ns", res.tv_nsec);
    EXPECT_OK("clock-getres-null", clock_getres(CLOCK_MONOTONIC, NULL));
    EXPECT_ERR("clock-getres-bad-clock", clock_getres((clockid_t)1234, &res), EINVAL);
    struct timespec now;
    EXPECT_ERR("clock-gettime-bad-clock", clock_gettime((clockid_t)1234, &now),
               EINVAL);
    EXPECT_ERR("clock-gettime-raw-bad-clock",
               syscall(SYS_clock_gettime, 1234, &now), EINVAL);
    EXPECT_ERR("clock-gettime-raw-efault",
               syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8), EFAULT);
    EXPECT_ERR("clock-settime-monotonic", clock_settime(CLOCK_MONOTONIC, &now),
               EINVAL);

    /* gettimeofday, time and clock_gettime agree, vDSO and syscall alike. */
    struct timeval tv, tv2;
    struct timespec rt, rt2;
    gettimeofday(&tv, NULL);
    time_t t = time(NULL);
    clock_gettime(CLOCK_REALTIME, &rt);
    syscall(SYS_gettimeofday, &tv2, NULL);
    time_t t2 = syscall(SYS_time, NULL);
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &rt2);
    /* time() reads the clock as of the last tick (coarse), so just after a
     * second begins it may still say the previous one. */
    expect("gettimeofday-vs-time", t - tv.tv_sec >= -1 && t - tv.tv_sec <= 1,
           "differ by %ld s", (long)(t - tv.tv_sec));
    expect("gettimeofday-vs-clock-realtime",
           rt.tv_sec >= tv.tv_sec && rt.tv_sec - tv.tv_sec <= 1, "differ");
    expect("syscalls-agree-with-vdso",
           tv2.tv_sec >= tv.tv_sec && tv2.tv_sec - tv.tv_sec <= 1 && t2 >= t &&
               t2 - t <= 1 && rt2.tv_sec >= rt.tv_sec && rt2.tv_sec - rt.tv_sec <= 1,
           "raw syscalls disagree");
    expect("gettimeofday-usec-range", tv.tv_usec >= 0 && tv.tv_usec < 1000000,
           "usec %ld", (long)tv.tv_usec);
    time_t tt = 0;
    t2 = syscall(SYS_time, &tt);
    expect("time-stores-result", tt == t2, "stored %ld, returned %ld", (long)tt,
           (long)t2);
    struct timezone tz;
    EXPECT_OK("gettimeofday-timezone", gettimeofday(&tv, (void *)&tz));

    /* Monotonic clocks do not go backwards; boottime >= monotonic. */
    long long prev = mono_ns();
    int back = 0;
    for (int i = 0; i < 10000; i++) {
        long long n = mono_ns();
        if (n < prev)
            back++;
        prev = n;
    }
    expect("monotonic-never-backwards", back == 0, "%d steps back", back);
    long long m = clock_ns(CLOCK_MONOTONIC), b = clock_ns(CLOCK_BOOTTIME);
    expect("boottime-at-least-monotonic", b >= m, "boottime behind");
    long long s1 = mono_ns();
    struct timespec raw;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &raw);
    long long s2 = mono_ns();
    expect("monotonic-syscall-vs-vdso", ts_ns(&raw) >= s1 && ts_ns(&raw) <= s2,
           "syscall monotonic outside the vDSO readings around it");

    /* CPU clocks advance with CPU use, not with sleeping. */
    long long p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    long long th0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    spin_cpu_ms(100);
    long long p1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    long long th1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    expect("process-cputime-advances", p1 - p0 >= 90 * MS, "advanced %lld ms",
           (p1 - p0) / MS);
    expect("thread-cputime-advances", th1 - th0 >= 90 * MS, "advanced %lld ms",
           (th1 - th0) / MS);
    struct timespec raw_cpu;
    r = syscall(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &raw_cpu);
    expect("process-cputime-syscall", r == 0 && ts_ns(&raw_cpu) >= p1,
           "syscall reads less");
    long long q0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    sleep_ms(200);
    long long q1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    expect("process-cputime-not-while-sleeping", q1 - q0 < 100 * MS,
           "advanced %lld ms while sleeping", (q1 - q0) / MS);

    /* The CPU clock of a child. */
    int p[2];
    pipe(p);
    pid_t c = xfork();
    if (c == 0) {
        spin_cpu_ms(100);
        write(p[1], "s", 1);
        sleep_ms(5000);
        _exit(0);
    }
    char ch;
    read(p[0], &ch, 1);
    clockid_t cc;
    int e = clock_getcpuclockid(c, &cc);
    struct timespec ct = {0, 0};
    if (!e)
        e = clock_gettime(cc, &ct) ? errno : 0;
    expect("child-cpu-clock", e == 0 && ts_ns(&ct) >= 90 * MS, "%s, %lld ms",
           e ? errno_name(e) : "ok", ts_ns(&ct) / MS);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    close(p[0]);
    close(p[1]);
}

/* ---- RLIMIT_CPU ---------------------------------------------------------- */

/* The child's SIGXCPU handler reports each signal down a pipe: the si_code
 * and the soft limit it then sees (Linux raises it by one second first). */
static int xcpu_pipe = -1;
static volatile int xcpu_stop_after; /* > 0: set the soft limit infinite at this count */
static volatile int xcpu_count;
static void xcpu_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    struct rlimit rl;
    getrlimit(RLIMIT_CPU, &rl);
    int rec[2] = {si->si_code, (int)rl.rlim_cur};
    if (write(xcpu_pipe, rec, sizeof rec) < 0)
        _exit(99);
    if (++xcpu_count == xcpu_stop_after) {
        rl.rlim_cur = RLIM_INFINITY;
        setrlimit(RLIMIT_CPU, &rl);
    }
}

/* Burns `ms` of the process's CPU time in user code, looking at the clock
 * only every million iterations (under husk, time the sentry spends serving
 * syscalls is not the process's CPU time), for at most 20 s of wall time. */
static void spin_user_ms(long ms) {
    long long end = clock_ns(CLOCK_PROCESS_CPUTIME_ID) + ms * MS;
    long long wall_end = mono_ns() + 20000 * MS;
    volatile unsigned long x = 0;
    while (clock_ns(CLOCK_PROCESS_CPUTIME_ID) < end && mono_ns() < wall_end)
        for (int i = 0; i < 1000000; i++)
            x += i;
}

/* Forks a child that installs the handler, spins `pre_ms` of CPU time,
 * sets RLIMIT_CPU to soft/hard, then spins `ms` more (or until killed) and
 * exits 0. Prints "<name>-sigxcpu-count", "-si-code", "-soft-limits" and
 * "-status" checks against what Linux does. */
static void rlimit_cpu_case(const char *name, long pre_ms, rlim_t soft, rlim_t hard, int stop_after, long ms,
                            int want_count, const char *want_softs, const char *want_status) {
    int p[2];
    if (pipe(p) < 0) {
        printf("%s-pipe: %s\n", name, errno_name(errno));
        return;
    }
    pid_t pid = xfork();
    if (pid == 0) {
        close(p[0]);
        xcpu_pipe = p[1];
        xcpu_stop_after = stop_after;
        struct sigaction sa = {0};
        sa.sa_sigaction = xcpu_handler;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigaction(SIGXCPU, &sa, NULL);
        spin_user_ms(pre_ms);
        struct rlimit rl = {soft, hard};
        if (setrlimit(RLIMIT_CPU, &rl) < 0)
            _exit(98);
        spin_user_ms(ms);
        _exit(0);
    }
    close(p[1]);
    int st = 0;
    struct rusage ru;
    pid_t r;
    do
        r = wait4(pid, &st, 0, &ru);
    while (r < 0 && errno == EINTR);
    int rec[2], count = 0, codes_ok = 1;
    char softs[128] = "";
    while (read(p[0], rec, sizeof rec) == (ssize_t)sizeof rec) {
        count++;
        codes_ok &= rec[0] == SI_KERNEL;
        size_t n = strlen(softs);
        snprintf(softs + n, sizeof softs - n, "%s%d", n ? "," : "", rec[1]);
    }
    close(p[0]);
    char what[96];
    snprintf(what, sizeof what, "%s-sigxcpu-count", name);
    expect(what, count == want_count, "%d signals, want %d", count, want_count);
    snprintf(what, sizeof what, "%s-si-code", name);
    expect(what, codes_ok, "a SIGXCPU without SI_KERNEL");
    snprintf(what, sizeof what, "%s-soft-limits", name);
    expect(what, strcmp(softs, want_softs) == 0, "handler saw soft limits [%s], want [%s]", softs, want_softs);
    snprintf(what, sizeof what, "%s-status", name);
    const char *got = r < 0 ? errno_name(errno) : status_text(st);
    expect(what, strcmp(got, want_status) == 0, "%s, want %s", got, want_status);
    if (strcmp(want_status, "killed by SIGKILL") == 0 && r > 0) {
        /* Killed at the hard limit: its CPU time is about that much (Linux
         * samples the limit's clock at ticks, a little behind rusage). */
        long long cpu = tv_us(&ru.ru_utime) + tv_us(&ru.ru_stime);
        snprintf(what, sizeof what, "%s-killed-at-hard-limit", name);
        expect(what, cpu >= (long long)hard * 1000000 - 200000 && cpu < (long long)hard * 1000000 + SLACK / 1000,
               "%lld ms of CPU time for a hard limit of %ld s", cpu / 1000, (long)hard);
    }
}

static void g_rlimit_cpu(void) {
    /* SIGXCPU at 1 s and 2 s of CPU time, SIGKILL at 3 s. */
    rlimit_cpu_case("soft1-hard3", 0, 1, 3, 0, 10000, 2, "2,3", "killed by SIGKILL");
    /* Lowering the limit below the time used takes effect at once: one
     * SIGXCPU, then SIGKILL at the hard limit. */
    rlimit_cpu_case("lowered", 1200, 1, 2, 0, 10000, 1, "2", "killed by SIGKILL");
    /* A soft limit of 0 is already passed; setting it infinite in the
     * handler turns the check off. */
    rlimit_cpu_case("soft-off", 0, 0, RLIM_INFINITY, 1, 1300, 1, "1", "exited 0");
    /* No handler: SIGXCPU's default action ends the process. */
    pid_t pid = xfork();
    if (pid == 0) {
        struct rlimit rl = {0, RLIM_INFINITY};
        setrlimit(RLIMIT_CPU, &rl);
        spin_user_ms(3000);
        _exit(0);
    }
    const char *st = wait_text(pid);
    expect("default-action", strncmp(st, "killed by SIGXCPU", 17) == 0, "%s", st);
}

static const struct test_group groups[] = {
    {"sleep", g_sleep},
    {"itimer", g_itimer},
    {"posix", g_posix},
    {"thread-timers", g_thread_timers},
    {"clocks", g_clocks},
    {"rlimit-cpu", g_rlimit_cpu},
};

int main(int argc, char **argv) { return RUN_GROUPS(argc, argv, groups); }
