/*
 * Threads: pthreads over clone(CLONE_THREAD), futexes, thread-local storage,
 * thread identity, signals aimed at threads, exit/exec/fork/setuid in a
 * multi-threaded process. One line per check ("name: ok" natively).
 *
 *   threads [GROUP]          run one group (all without an argument)
 *   threads exec-image PID   (internal) the image a thread execs
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#define NTHREADS 16
#define ROUNDS 2000

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

/* ---- mutex and condition variable ------------------------------------ */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int started;          /* threads waiting for the start signal */
static int go;               /* the start signal */
static long long total;      /* the contended sum */
static int turn;             /* whose turn it is in the ring */
static int ring_log[NTHREADS * 4];
static int ring_len;

static void *worker(void *arg) {
    int id = (int)(long)arg;
    pthread_mutex_lock(&mu);
    started++;
    pthread_cond_broadcast(&cv);
    while (!go)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);

    for (int i = 1; i <= ROUNDS; i++) {
        pthread_mutex_lock(&mu);
        total += i + id;
        pthread_mutex_unlock(&mu);
        if (i % 256 == 0)
            sched_yield();
    }

    /* Four rounds of a ring: thread i may only append when turn == i. */
    for (int r = 0; r < 4; r++) {
        pthread_mutex_lock(&mu);
        while (turn != id)
            pthread_cond_wait(&cv, &mu);
        ring_log[ring_len++] = id;
        turn = (turn + 1) % NTHREADS;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    return (void *)(long)(id * id + 1);
}

static void g_mutex(void) {
    pthread_t t[NTHREADS];
    int created = 0;
    for (int i = 0; i < NTHREADS; i++) {
        int e = pthread_create(&t[i], NULL, worker, (void *)(long)i);
        if (e) {
            printf("create: failed with %s\n", errno_name(e));
            break;
        }
        created++;
    }
    expect("create-16-threads", created == NTHREADS, "created %d", created);
    if (created != NTHREADS)
        exit(1);

    pthread_mutex_lock(&mu);
    while (started < NTHREADS)
        pthread_cond_wait(&cv, &mu);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);

    int joins_ok = 1;
    for (int i = 0; i < NTHREADS; i++) {
        void *ret = NULL;
        int e = pthread_join(t[i], &ret);
        if (e || (long)ret != (long)(i * i + 1)) {
            printf("join-%d: %s, returned %ld\n", i, e ? errno_name(e) : "ok",
                   (long)ret);
            joins_ok = 0;
        }
    }
    expect("join-return-values", joins_ok, "some join failed");

    long long want = 0;
    for (int id = 0; id < NTHREADS; id++)
        want += (long long)ROUNDS * (ROUNDS + 1) / 2 + (long long)ROUNDS * id;
    expect("mutex-sum", total == want, "sum %lld, want %lld", total, want);

    int ring_ok = ring_len == NTHREADS * 4;
    for (int i = 0; ring_ok && i < ring_len; i++)
        ring_ok = ring_log[i] == i % NTHREADS;
    expect("condvar-ring-order", ring_ok, "ring of %d entries out of order",
           ring_len);
}

/* ---- thread-local storage and identity -------------------------------- */

static __thread int tls_init = 42;
static __thread long tls_val;
static pid_t tids[NTHREADS];
static pid_t pids[NTHREADS];
static pthread_t selfs[NTHREADS];
static int tls_ok[NTHREADS];
static pthread_barrier_t barrier;

static void *ident(void *arg) {
    int id = (int)(long)arg;
    int init_ok = tls_init == 42;
    tls_init = 100 + id;
    tls_val = id * 1000;
    tids[id] = gettid_();
    pids[id] = getpid();
    selfs[id] = pthread_self();
    /* Everyone writes their TLS before anyone checks it. */
    pthread_barrier_wait(&barrier);
    tls_ok[id] = init_ok && tls_init == 100 + id && tls_val == id * 1000;
    pthread_barrier_wait(&barrier);
    return NULL;
}

static void g_identity(void) {
    pthread_t t[NTHREADS];
    tls_init = 7;
    tls_val = -1;
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, ident, (void *)(long)i);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);

    int all_tls = 1;
    for (int i = 0; i < NTHREADS; i++)
        all_tls &= tls_ok[i];
    expect("tls-per-thread", all_tls, "a thread saw another's TLS");
    expect("tls-main-untouched", tls_init == 7 && tls_val == -1,
           "main's TLS is %d/%ld", tls_init, tls_val);

    pid_t me = getpid(), mytid = gettid_();
    int distinct = 1, same_pid = 1, not_main = 1, selfs_distinct = 1;
    for (int i = 0; i < NTHREADS; i++) {
        same_pid &= pids[i] == me;
        not_main &= tids[i] != mytid && tids[i] != me;
        for (int j = 0; j < i; j++) {
            distinct &= tids[i] != tids[j];
            selfs_distinct &= !pthread_equal(selfs[i], selfs[j]);
        }
    }
    expect("main-tid-is-pid", mytid == me, "tid differs from pid");
    expect("gettid-distinct", distinct, "two threads share a tid");
    expect("gettid-not-pid", not_main, "a thread has the process's id");
    expect("getpid-same-in-threads", same_pid, "getpid differs in a thread");
    expect("pthread-self-distinct", selfs_distinct, "pthread_self repeats");
}

/* ---- stacks ----------------------------------------------------------- */

static void *deep(void *arg) {
    /* Touch most of the stack the thread was given. */
    size_t n = (size_t)arg;
    volatile char buf[n];
    for (size_t i = 0; i < n; i += 4096)
        buf[i] = 1;
    buf[n - 1] = 2;
    return (void *)(long)(buf[0] + buf[n - 1]);
}

static void g_stacks(void) {
    size_t sizes[] = {64 * 1024, 1 << 20, 8 << 20};
    for (int i = 0; i < 3; i++) {
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, sizes[i]);
        pthread_t t;
        void *ret = NULL;
        int e = pthread_create(&t, &a, deep, (void *)(sizes[i] - 32 * 1024));
        if (!e)
            e = pthread_join(t, &ret);
        char name[64];
        snprintf(name, sizeof name, "stack-%zuk", sizes[i] / 1024);
        expect(name, e == 0 && (long)ret == 3, "%s, returned %ld",
               e ? errno_name(e) : "ok", (long)ret);
        pthread_attr_destroy(&a);
    }

    /* A user-allocated stack (pthread_attr_setstack). */
    size_t sz = 256 * 1024;
    void *stk = mmap(NULL, sz, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstack(&a, stk, sz);
    pthread_t t;
    void *ret = NULL;
    int e = pthread_create(&t, &a, deep, (void *)(sz - 64 * 1024));
    if (!e)
        e = pthread_join(t, &ret);
    expect("stack-user-allocated", e == 0 && (long)ret == 3, "%s",
           e ? errno_name(e) : "bad return");
}

/* ---- many short-lived threads ----------------------------------------- */

static atomic_int churn_count;

static void *churn(void *arg) {
    (void)arg;
    atomic_fetch_add(&churn_count, 1);
    return NULL;
}

static void g_churn(void) {
    /* 200 threads, at most 8 alive at a time: tids and stacks are reused. */
    int failed = 0;
    for (int round = 0; round < 25; round++) {
        pthread_t t[8];
        for (int i = 0; i < 8; i++)
            if (pthread_create(&t[i], NULL, churn, NULL))
                failed++;
        for (int i = 0; i < 8; i++)
            pthread_join(t[i], NULL);
    }
    expect("churn-200-threads", failed == 0 && churn_count == 200,
           "%d create failures, %d ran", failed, (int)churn_count);

    /* Detached threads that exit on their own. */
    sem_t s;
    sem_init(&s, 0, 0);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int ok = 0;
    for (int i = 0; i < 20; i++) {
        pthread_t t;
        if (pthread_create(&t, &a, (void *(*)(void *))sem_post, &s) == 0)
            ok++;
    }
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    int posted = 0;
    for (int i = 0; i < ok; i++)
        if (sem_timedwait(&s, &dl) == 0)
            posted++;
    expect("detached-threads", ok == 20 && posted == 20, "%d created, %d ran",
           ok, posted);
}

/* ---- signals and threads ---------------------------------------------- */

static volatile pid_t handler_tid;
static volatile int handler_hits;

static void on_usr1(int sig) {
    (void)sig;
    handler_tid = gettid_();
    handler_hits++;
}

static sem_t ready;
static volatile int stop_waiting;
static pid_t waiter_tid;

static void *sig_waiter(void *arg) {
    int unblock = (int)(long)arg;
    waiter_tid = gettid_();
    if (unblock) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    }
    sem_post(&ready);
    while (!stop_waiting)
        pause();
    return NULL;
}

/* Ends a sig_waiter thread: its pause() may start just after a wake-up
 * signal, so keep signalling until it is joined. */
static void stop_waiter(pthread_t t) {
    stop_waiting = 1;
    for (int i = 0; i < 1000; i++) {
        pthread_kill(t, SIGUSR1);
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_nsec += 10000000;
        if (dl.tv_nsec >= 1000000000) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000;
        }
        if (pthread_timedjoin_np(t, NULL, &dl) == 0)
            return;
    }
}

static void g_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sem_init(&ready, 0, 0);

    /* pthread_kill: the handler runs on the target thread. */
    pthread_t t;
    stop_waiting = 0;
    pthread_create(&t, NULL, sig_waiter, (void *)0L);
    sem_wait(&ready);
    handler_hits = 0;
    pthread_kill(t, SIGUSR1);
    long long end = mono_ns() + 5000000000LL;
    while (handler_hits == 0 && mono_ns() < end)
        sched_yield();
    expect("pthread-kill-runs-on-target", handler_tid == waiter_tid,
           "handler ran on %s", handler_hits ? "another thread" : "no thread");
    stop_waiter(t);

    /* A process-directed signal goes to the only thread not blocking it. */
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, &old);
    stop_waiting = 0;
    handler_hits = 0;
    handler_tid = 0;
    pthread_create(&t, NULL, sig_waiter, (void *)1L);
    sem_wait(&ready);
    kill(getpid(), SIGUSR1);
    end = mono_ns() + 5000000000LL;
    while (handler_hits == 0 && mono_ns() < end)
        sched_yield();
    expect("process-signal-to-unblocked-thread",
           handler_hits == 1 && handler_tid == waiter_tid, "hits %d, %s",
           handler_hits,
           handler_tid == gettid_() ? "ran on the blocking main thread"
                                    : "wrong thread");

    /* The new thread inherited the creator's mask (SIGUSR1 blocked) and
     * then unblocked it itself: the main thread's mask is unchanged. */
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    expect("mask-is-per-thread", sigismember(&cur, SIGUSR1) == 1,
           "main thread's mask lost SIGUSR1");
    stop_waiter(t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    /* sigwaitinfo in one thread takes a signal sent to the process. */
    pthread_sigmask(SIG_BLOCK, &s, &old);
    sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 5});
    siginfo_t si;
    struct timespec to = {5, 0};
    int got = sigtimedwait(&s, &si, &to);
    expect("sigtimedwait-in-threaded-process",
           got == SIGUSR1 && si.si_code == SI_QUEUE && si.si_value.sival_int == 5,
           "got %d code %d", got, si.si_code);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- cancellation (glibc's SIGCANCEL interrupts a blocking read) ------ */

static int cancel_pipe[2];

static void *blocked_reader(void *arg) {
    (void)arg;
    char c;
    sem_post(&ready);
    read(cancel_pipe[0], &c, 1); /* a cancellation point; blocks forever */
    return (void *)1L;
}

static void *cond_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    pthread_cleanup_push((void (*)(void *))pthread_mutex_unlock, &mu);
    sem_post(&ready);
    for (;;)
        pthread_cond_wait(&cv, &mu);
    pthread_cleanup_pop(1);
    return NULL;
}

/* pthread_join that gives up after `ms` milliseconds (returns ETIMEDOUT). */
static int join_ms(pthread_t t, void **ret, long ms) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    return pthread_timedjoin_np(t, ret, &dl);
}

static void g_cancel(void) {
    sem_init(&ready, 0, 0);
    pipe(cancel_pipe);
    pthread_t t;
    void *ret = NULL;
    pthread_create(&t, NULL, blocked_reader, NULL);
    sem_wait(&ready);
    sleep_ms(50); /* let it block in read */
    pthread_cancel(t);
    int e = join_ms(t, &ret, 5000);
    expect("cancel-blocked-read", e == 0 && ret == PTHREAD_CANCELED, "%s",
           e ? "not cancelled within 5 s" : "not PTHREAD_CANCELED");

    pthread_create(&t, NULL, cond_waiter, NULL);
    sem_wait(&ready);
    sleep_ms(50);
    pthread_cancel(t);
    ret = NULL;
    e = join_ms(t, &ret, 5000);
    expect("cancel-cond-wait", e == 0 && ret == PTHREAD_CANCELED, "%s",
           e ? "not cancelled within 5 s" : "not PTHREAD_CANCELED");
    if (e) {
        printf("cancel-cleanup-unlocked: skipped\n");
        return;
    }
    /* The cleanup handler unlocked the mutex. */
    expect("cancel-cleanup-unlocked", pthread_mutex_trylock(&mu) == 0,
           "mutex still locked");
    pthread_mutex_unlock(&mu);
}

/* ---- process-wide effects from threads (each in a child process) ------ */

static void *sleeper(void *arg) {
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *exiter(void *arg) {
    sleep_ms(20);
    exit((int)(long)arg); /* exit_group: every thread goes */
    return NULL;
}

static void *last_one(void *arg) {
    (void)arg;
    sleep_ms(50);
    printf("last-thread-ran-after-main-exit: ok\n");
    fflush(stdout);
    return NULL; /* the last thread: the process exits 0 */
}

static char *self_path;

static void *execer(void *arg) {
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)(long)arg);
    char *argv[] = {self_path, "exec-image", pid, NULL};
    char *envp[] = {"HUSK_THREADS=1", NULL};
    execve(self_path, argv, envp);
    printf("exec-from-thread: execve failed with %s\n", errno_name(errno));
    fflush(stdout);
    _exit(1);
}

static void *setuid_checker(void *arg) {
    (void)arg;
    sem_post(&ready);
    while (!stop_waiting)
        sched_yield();
    return (void *)(long)geteuid();
}

static pid_t waiter_got[2];
static void *child_waiter(void *arg) {
    long i = (long)arg;
    waiter_got[i] = waitpid(-1, NULL, 0);
    if (waiter_got[i] < 0)
        waiter_got[i] = -errno;
    return NULL;
}

static void g_process(void) {
    /* Two threads wait for the one child at once: exactly one reaps it,
     * the other finds no child left (ECHILD). */
    for (int round = 0; round < 20; round++) {
        pid_t c = xfork();
        if (c == 0) {
            sleep_ms(5);
            _exit(0);
        }
        pthread_t t[2];
        for (long i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, child_waiter, (void *)i);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        int reaped = (waiter_got[0] == c) + (waiter_got[1] == c);
        int echild = (waiter_got[0] == -ECHILD) + (waiter_got[1] == -ECHILD);
        if (reaped != 1 || echild != 1) {
            expect("two-waiters-one-reap", 0, "round %d: %d %d", round, waiter_got[0], waiter_got[1]);
            break;
        }
        if (round == 19)
            expect("two-waiters-one-reap", 1, "");
    }


    /* exit() from a non-main thread ends every thread with its status. */
    pid_t c = xfork();
    if (c == 0) {
        pthread_t t;
        for (int i = 0; i < 4; i++)
            pthread_create(&t, NULL, sleeper, NULL);
        pthread_create(&t, NULL, exiter, (void *)23L);
        for (;;)
            pause();
    }
    const char *st = wait_text(c);
    expect("exit-from-thread-ends-process", strcmp(st, "exited 23") == 0, "%s",
           st);

    /* The main thread exits with pthread_exit; the process lives on until
     * its last thread returns. */
    c = xfork();
    if (c == 0) {
        pthread_t t;
        pthread_create(&t, NULL, last_one, NULL);
        pthread_exit(NULL);
    }
    st = wait_text(c);
    expect("pthread-exit-main-then-last-thread", strcmp(st, "exited 0") == 0,
           "%s", st);

    /* A fatal signal to one thread kills the whole process. */
    c = xfork();
    if (c == 0) {
        pthread_t t;
        for (int i = 0; i < 3; i++)
            pthread_create(&t, NULL, sleeper, NULL);
        sleep_ms(20);
        pthread_kill(t, SIGTERM);
        for (;;)
            pause();
    }
    st = wait_text(c);
    expect("fatal-signal-to-thread-kills-process",
           strcmp(st, "killed by SIGTERM") == 0, "%s", st);

    /* execve from a non-main thread: the other threads go, the new image
     * keeps the process id. */
    c = xfork();
    if (c == 0) {
        pthread_t t;
        for (int i = 0; i < 3; i++)
            pthread_create(&t, NULL, sleeper, NULL);
        pthread_create(&t, NULL, execer, (void *)(long)getpid());
        for (;;)
            pause();
    }
    st = wait_text(c);
    expect("exec-from-thread-status", strcmp(st, "exited 0") == 0, "%s", st);

    /* fork from a thread: the child is a copy with one thread. */
    c = xfork();
    if (c == 0) {
        pthread_t t;
        pthread_create(&t, NULL, sleeper, NULL);
        pid_t gc = xfork();
        if (gc == 0)
            _exit(getpid() == gettid_() ? 31 : 32);
        const char *s = wait_text(gc);
        _exit(strcmp(s, "exited 31") == 0 ? 0 : 1);
    }
    st = wait_text(c);
    expect("fork-from-threaded-process", strcmp(st, "exited 0") == 0, "%s", st);

    /* setuid in a threaded process applies to every thread (glibc
     * broadcasts it with a signal; the kernel changes one thread). */
    c = xfork();
    if (c == 0) {
        sem_init(&ready, 0, 0);
        stop_waiting = 0;
        pthread_t t;
        pthread_create(&t, NULL, setuid_checker, NULL);
        sem_wait(&ready);
        int r = seteuid(1000);
        stop_waiting = 1;
        void *ret;
        pthread_join(t, &ret);
        _exit(r == 0 && (long)ret == 1000 && geteuid() == 1000 ? 0 : 1);
    }
    st = wait_text(c);
    expect("seteuid-applies-to-all-threads", strcmp(st, "exited 0") == 0, "%s",
           st);
}

/* ---- futex directly ---------------------------------------------------- */

static atomic_int fword;
static atomic_int woken;

static void *futex_waiter(void *arg) {
    (void)arg;
    while (atomic_load(&fword) == 0)
        syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    atomic_fetch_add(&woken, 1);
    return NULL;
}

static void g_futex(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, futex_waiter, NULL);
    sleep_ms(50);
    atomic_store(&fword, 1);
    long long end = mono_ns() + 5000000000LL;
    while (atomic_load(&woken) < 4 && mono_ns() < end) {
        syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 4, NULL, NULL, 0);
        sleep_ms(1);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    expect("futex-wake-all", woken == 4, "%d woken", (int)woken);

    /* FUTEX_WAIT with a changed value is EAGAIN; a timeout is ETIMEDOUT. */
    int v = 5;
    EXPECT_ERR("futex-wait-value-changed",
               syscall(SYS_futex, &v, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0),
               EAGAIN);
    struct timespec to = {0, 20000000};
    errno = 0;
    long r = syscall(SYS_futex, &v, FUTEX_WAIT_PRIVATE, 5, &to, NULL, 0);
    expect("futex-wait-timeout", r < 0 && errno == ETIMEDOUT, "%ld %s", r,
           errno_name(errno));
}

/* Shared futexes in MAP_SHARED memory are the memory's, not the address
 * space's: a process-shared semaphore works between forked processes, and
 * two mappings of one file at different addresses are one futex word
 * (unless the caller asks for a private futex, which is per address). */
static _Atomic int *alias_word;
static _Atomic int alias_done;

static void *alias_waiter(void *arg) {
    struct timespec ts = {5, 0};
    long r = syscall(SYS_futex, alias_word, (int)(long)arg, 0, &ts, NULL, 0);
    atomic_store(&alias_done, 1);
    return (void *)(r == 0 ? 1L : -(long)errno);
}

/* Wakes `word` with `op` until the waiter is done (it may not sleep yet
 * when the first wake comes); the number the first successful wake woke. */
static long wake_until_done(_Atomic int *word, int op) {
    long woke = 0;
    for (long long end = mono_ns() + 5000000000LL; !atomic_load(&alias_done) && mono_ns() < end; sleep_ms(5)) {
        long n = syscall(SYS_futex, word, op, 1, NULL, NULL, 0);
        if (n > 0 && woke == 0)
            woke = n;
    }
    return woke;
}

static void g_shared_futex(void) {
    sem_t *sem = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_init(sem, 1, 0);
    pid_t c = fork();
    if (c == 0) {
        alarm(10);
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += 5;
        _exit(sem_timedwait(sem, &dl) == 0 ? 0 : 1);
    }
    sleep_ms(100);
    sem_post(sem);
    int st = 0;
    waitpid(c, &st, 0);
    expect("sem-between-processes", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %x", st);
    char path[64];
    snprintf(path, sizeof path, "/tmp/husk-futex-%d", getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    unlink(path);
    ftruncate(fd, 4096);
    _Atomic int *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    _Atomic int *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    expect("two-mappings", a != MAP_FAILED && b != MAP_FAILED && a != b && (*a = 7, *b == 7), "aliases");
    *a = 0;
    alias_word = a;
    for (int private = 0; private < 2; private++) {
        pthread_t t;
        atomic_store(&alias_done, 0);
        pthread_create(&t, NULL, alias_waiter, (void *)(long)(private ? FUTEX_WAIT_PRIVATE : FUTEX_WAIT));
        sleep_ms(50);
        if (private) {
            /* Through the other mapping a private wake finds no one, however
             * long the waiter has slept; through its own it does. */
            long n = syscall(SYS_futex, b, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
            sleep_ms(50);
            n += syscall(SYS_futex, b, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
            expect("private-alias-not-woken", n == 0 && !atomic_load(&alias_done), "%ld", n);
            wake_until_done(a, FUTEX_WAKE_PRIVATE);
        } else {
            long n = wake_until_done(b, FUTEX_WAKE);
            expect("file-alias-woken", n == 1, "%ld", n);
        }
        void *r;
        pthread_join(t, &r);
        expect(private ? "private-waiter-done" : "alias-waiter-done", (long)r == 1, "%ld", (long)r);
    }
    close(fd);
}

static const struct test_group groups[] = {
    {"mutex", g_mutex},     {"identity", g_identity}, {"stacks", g_stacks},
    {"churn", g_churn},     {"signals", g_signals},   {"cancel", g_cancel},
    {"process", g_process}, {"futex", g_futex},     {"shared-futex", g_shared_futex},
};

int main(int argc, char **argv) {
    self_path = argv[0];
    if (argc == 3 && strcmp(argv[1], "exec-image") == 0) {
        line_buffered_stdout();
        int old = atoi(argv[2]);
        const char *env = getenv("HUSK_THREADS");
        expect("exec-from-thread-keeps-pid", getpid() == old, "pid changed");
        expect("exec-from-thread-single-thread", gettid_() == getpid(),
               "tid differs from pid");
        expect("exec-from-thread-env", env && strcmp(env, "1") == 0,
               "environment lost");
        return 0;
    }
    return RUN_GROUPS(argc, argv, groups);
}
