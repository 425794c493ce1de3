/*
 * fork, vfork, posix_spawn, execve and the wait family. One line per check
 * ("name: ok" natively); no pids or times in the output.
 *
 *   fork_wait [GROUP]     run one group (all without an argument)
 *   fork_wait @...        (internal) images that the exec checks execute
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

extern char **environ;
static char *self;

static int exited_with(int st, int code) {
    return WIFEXITED(st) && WEXITSTATUS(st) == code;
}

/* ---- fork and waitpid ------------------------------------------------- */

static int global = 1;

static void g_fork(void) {
    int codes[] = {0, 1, 42, 255, 256 + 3, -1};
    int want[] = {0, 1, 42, 255, 3, 255};
    for (int i = 0; i < 6; i++) {
        pid_t c = xfork();
        if (c == 0)
            _exit(codes[i]);
        int st = 0;
        pid_t r = waitpid(c, &st, 0);
        char name[64];
        snprintf(name, sizeof name, "exit-code-%d", codes[i]);
        expect(name, r == c && exited_with(st, want[i]), "waitpid %s, %s",
               r == c ? "ok" : errno_name(errno), status_text(st));
    }

    /* The child is a copy: its own pid, the parent as ppid, private memory. */
    pid_t parent = getpid();
    int p[2];
    pipe(p);
    pid_t c = xfork();
    if (c == 0) {
        global = 2;
        int ok = getppid() == parent && getpid() != parent;
        pid_t me = getpid();
        write(p[1], &me, sizeof me);
        _exit(ok && global == 2 ? 0 : 1);
    }
    pid_t seen = 0;
    read(p[0], &seen, sizeof seen);
    const char *st = wait_text(c);
    expect("child-ids", strcmp(st, "exited 0") == 0, "%s", st);
    expect("fork-returns-child-pid", seen == c, "child says it is another pid");
    expect("memory-is-private", global == 1, "parent saw the child's write");
    close(p[0]);
    close(p[1]);

    /* MAP_SHARED memory is shared across fork, MAP_PRIVATE is copied. */
    int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    int *pr = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *sh = 1;
    *pr = 1;
    c = xfork();
    if (c == 0) {
        *sh = 2;
        *pr = 2;
        _exit(0);
    }
    wait_text(c);
    expect("map-shared-is-shared", *sh == 2, "parent sees %d", *sh);
    expect("map-private-is-copied", *pr == 1, "parent sees %d", *pr);

    /* Descriptors share their open file description: one offset. */
    char path[64];
    snprintf(path, sizeof path, "/tmp/husk-fork-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "0123456789", 10);
    lseek(fd, 0, SEEK_SET);
    c = xfork();
    if (c == 0) {
        char b[3];
        _exit(read(fd, b, 3) == 3 ? 0 : 1);
    }
    wait_text(c);
    expect("fd-offset-shared", lseek(fd, 0, SEEK_CUR) == 3, "offset is %ld",
           (long)lseek(fd, 0, SEEK_CUR));
    close(fd);
    unlink(path);

    /* 100 children one after another. */
    int bad = 0;
    for (int i = 0; i < 100; i++) {
        pid_t k = fork();
        if (k == 0)
            _exit(i);
        int s;
        if (k < 0 || waitpid(k, &s, 0) != k || !exited_with(s, i))
            bad++;
    }
    expect("hundred-forks", bad == 0, "%d went wrong", bad);

    /* Ten children at once; wait() returns each exactly once. */
    pid_t kids[10];
    for (int i = 0; i < 10; i++) {
        kids[i] = xfork();
        if (kids[i] == 0) {
            sleep_ms(10 * (i % 3));
            _exit(10 + i);
        }
    }
    int seen_mask = 0, ok = 1;
    for (int i = 0; i < 10; i++) {
        int s;
        pid_t r = wait(&s);
        int idx = -1;
        for (int j = 0; j < 10; j++)
            if (kids[j] == r)
                idx = j;
        if (idx < 0 || !exited_with(s, 10 + idx) || (seen_mask & (1 << idx)))
            ok = 0;
        else
            seen_mask |= 1 << idx;
    }
    expect("wait-each-child-once", ok && seen_mask == 0x3ff, "mask %x",
           seen_mask);
    EXPECT_ERR("wait-then-echild", wait(NULL), ECHILD);
}

/* ---- WNOHANG, waitid -------------------------------------------------- */

static void g_wnohang(void) {
    int p[2];
    pipe(p);
    pid_t c = xfork();
    if (c == 0) {
        close(p[1]);
        char b;
        _exit(read(p[0], &b, 1) == 0 ? 4 : 5);
    }
    close(p[0]);
    int st = 0;
    expect_ret("waitpid-wnohang-running", waitpid(c, &st, WNOHANG), errno, 0, 0);

    siginfo_t si;
    memset(&si, 0xff, sizeof si);
    int r = waitid(P_PID, c, &si, WEXITED | WNOHANG);
    expect("waitid-wnohang-running", r == 0 && si.si_pid == 0,
           "returned %d, si_pid %s", r, si.si_pid ? "set" : "0");

    close(p[1]); /* the child's read returns 0 and it exits 4 */
    r = waitpid(c, &st, 0);
    expect("waitpid-after-exit", r == c && exited_with(st, 4), "%s",
           r == c ? status_text(st) : errno_name(errno));

    /* A zombie is seen by WNOHANG. */
    c = xfork();
    if (c == 0)
        _exit(6);
    long long end = mono_ns() + 10000000000LL;
    do {
        r = waitpid(c, &st, WNOHANG);
        if (r == 0)
            sleep_ms(1);
    } while (r == 0 && mono_ns() < end);
    expect("waitpid-wnohang-zombie", r == c && exited_with(st, 6), "%s",
           r == c ? status_text(st) : r == 0 ? "never ready" : errno_name(errno));
}

static void g_waitid(void) {
    pid_t c = xfork();
    if (c == 0)
        _exit(17);

    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, c, &si, WEXITED | WNOWAIT);
    expect("waitid-nowait", r == 0 && si.si_pid == c && si.si_signo == SIGCHLD &&
                                si.si_code == CLD_EXITED && si.si_status == 17,
           "r %d signo %d code %d status %d", r, si.si_signo, si.si_code,
           si.si_status);
    expect("waitid-uid", si.si_uid == getuid(), "si_uid %d", (int)si.si_uid);

    /* WNOWAIT left it waitable. */
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED);
    expect("waitid-p-all-after-nowait",
           r == 0 && si.si_pid == c && si.si_status == 17, "r %d status %d", r,
           si.si_status);
    EXPECT_ERR("waitid-then-echild", waitid(P_ALL, 0, &si, WEXITED), ECHILD);

    EXPECT_ERR("waitid-no-options", waitid(P_ALL, 0, &si, 0), EINVAL);
    EXPECT_ERR("waitid-bad-idtype", waitid((idtype_t)42, 0, &si, WEXITED),
               EINVAL);
    EXPECT_ERR("waitpid-wexited-is-einval", waitpid(-1, NULL, WEXITED), EINVAL);
    EXPECT_ERR("waitpid-bad-option", waitpid(-1, NULL, 0x40000), EINVAL);

    /* Process groups: two children in a new group, one in ours. */
    int go[2];
    pipe(go);
    pid_t a = xfork();
    if (a == 0) {
        setpgid(0, 0);
        char b;
        read(go[0], &b, 1);
        _exit(1);
    }
    setpgid(a, a);
    pid_t b = xfork();
    if (b == 0) {
        setpgid(0, a);
        char x;
        read(go[0], &x, 1);
        _exit(2);
    }
    setpgid(b, a);
    pid_t o = xfork();
    if (o == 0)
        _exit(3);
    expect("setpgid-child-group", getpgid(a) == a && getpgid(b) == a,
           "groups not set");
    write(go[1], "ab", 2);

    int got = 0, ok = 1;
    for (int i = 0; i < 2; i++) {
        memset(&si, 0, sizeof si);
        r = waitid(P_PGID, a, &si, WEXITED);
        if (r != 0 || (si.si_pid != a && si.si_pid != b))
            ok = 0;
        else
            got += si.si_status;
    }
    expect("waitid-p-pgid", ok && got == 3, "statuses sum %d", got);
    /* Only `o` is left, and it is not in that group. */
    EXPECT_ERR("waitid-p-pgid-echild", waitid(P_PGID, a, &si, WEXITED), ECHILD);
    int st = 0;
    r = waitpid(0, &st, 0); /* our own group */
    expect("waitpid-own-group", r == o && exited_with(st, 3), "%s",
           r == o ? status_text(st) : errno_name(errno));

    /* waitpid(-pgid) */
    a = xfork();
    if (a == 0) {
        setpgid(0, 0);
        _exit(8);
    }
    setpgid(a, a);
    r = waitpid(-a, &st, 0);
    expect("waitpid-minus-pgid", r == a && exited_with(st, 8), "%s",
           r == a ? status_text(st) : errno_name(errno));
    close(go[0]);
    close(go[1]);
}

/* ---- wait4 and rusage -------------------------------------------------- */

static void g_wait4(void) {
    pid_t c = xfork();
    if (c == 0) {
        spin_cpu_ms(100);
        _exit(0);
    }
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    int st;
    pid_t r = wait4(c, &st, 0, &ru);
    expect("wait4-returns-child", r == c && exited_with(st, 0), "%s",
           r == c ? status_text(st) : errno_name(errno));
    long long cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
                       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    expect("wait4-rusage-fields-sane",
           ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 &&
               ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000,
           "microseconds out of range");
    expect("wait4-rusage-cpu-time", cpu_us >= 30000 && cpu_us < 60000000,
           "child used %lld us, spun 100 ms", cpu_us);
    expect("wait4-rusage-maxrss", ru.ru_maxrss > 0, "maxrss %ld", ru.ru_maxrss);

    /* rusage of a child that used no CPU to speak of is small. */
    c = xfork();
    if (c == 0)
        _exit(0);
    memset(&ru, 0xff, sizeof ru);
    r = wait4(c, &st, 0, &ru);
    expect("wait4-rusage-idle-child", r == c && ru.ru_utime.tv_sec == 0,
           "utime %ld s", (long)ru.ru_utime.tv_sec);

    /* The CPU time of a child that ran execve counts both images. */
    c = xfork();
    if (c == 0) {
        spin_cpu_ms(300);
        char *argv[] = {self, "@spin300", NULL};
        execve(self, argv, environ);
        _exit(127);
    }
    r = wait4(c, &st, 0, &ru);
    cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    expect("wait4-rusage-spans-execve", r == c && exited_with(st, 0) && cpu_us >= 550000 && cpu_us < 60000000,
           "%s, child used %lld us over two images of 300 ms", r == c ? status_text(st) : errno_name(errno), cpu_us);

    /* A bad rusage pointer is EFAULT (and the child stays waitable). */
    c = xfork();
    if (c == 0)
        _exit(0);
    sleep_ms(20);
    errno = 0;
    r = wait4(c, &st, 0, (struct rusage *)8);
    expect("wait4-bad-rusage-efault", r < 0 && errno == EFAULT, "%s",
           r < 0 ? errno_name(errno) : "succeeded");
    waitpid(c, NULL, 0);
}

/* ---- __WALL / __WCLONE ------------------------------------------------- */

static void g_wall(void) {
    /* A child whose exit signal is not SIGCHLD (a "clone" child) is only
     * waited for with __WCLONE or __WALL. */
    fflush(stdout);
    long c = syscall(SYS_clone, 0 /* no flags, exit signal 0 */, NULL, NULL,
                     NULL, 0);
    if (c == 0)
        _exit(5);
    if (c < 0) {
        printf("clone-exit-signal-0: %s\n", errno_name(errno));
        return;
    }
    sleep_ms(20);
    int st = 0;
    EXPECT_ERR("clone-child-invisible-to-plain-wait", waitpid(-1, &st, WNOHANG),
               ECHILD);
    pid_t r = waitpid(-1, &st, __WALL);
    expect("wall-reaps-clone-child", r == c && exited_with(st, 5), "%s",
           r == c ? status_text(st) : errno_name(errno));

    c = syscall(SYS_clone, 0, NULL, NULL, NULL, 0);
    if (c == 0)
        _exit(6);
    r = waitpid(c, &st, __WCLONE);
    expect("wclone-reaps-clone-child", r == c && exited_with(st, 6), "%s",
           r == c ? status_text(st) : errno_name(errno));

    /* An ordinary child is not a "clone" child. */
    pid_t k = xfork();
    if (k == 0)
        _exit(7);
    sleep_ms(20);
    EXPECT_ERR("wclone-skips-normal-child", waitpid(k, &st, __WCLONE), ECHILD);
    r = waitpid(k, &st, __WALL);
    expect("wall-reaps-normal-child", r == k && exited_with(st, 7), "%s",
           r == k ? status_text(st) : errno_name(errno));

    /* A child exiting with another exit signal (SIGUSR1) sends it. */
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, &old);
    c = syscall(SYS_clone, SIGUSR1, NULL, NULL, NULL, 0);
    if (c == 0)
        _exit(8);
    siginfo_t si;
    struct timespec to = {10, 0};
    int sig = sigtimedwait(&s, &si, &to);
    expect("exit-signal-sigusr1-sent",
           sig == SIGUSR1 && si.si_pid == c && si.si_code == CLD_EXITED,
           "sig %d code %d", sig, si.si_code);
    r = waitpid(c, &st, __WALL);
    expect("wall-reaps-usr1-child", r == c && exited_with(st, 8), "%s",
           r == c ? status_text(st) : errno_name(errno));
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- ECHILD ------------------------------------------------------------ */

static void g_echild(void) {
    int st;
    EXPECT_ERR("wait-no-children", wait(&st), ECHILD);
    EXPECT_ERR("waitpid-any-no-children", waitpid(-1, &st, 0), ECHILD);
    EXPECT_ERR("waitpid-wnohang-no-children", waitpid(-1, &st, WNOHANG), ECHILD);
    EXPECT_ERR("waitpid-not-a-child", waitpid(getpid(), &st, 0), ECHILD);
    EXPECT_ERR("waitpid-no-such-pid", waitpid(999999, &st, 0), ECHILD);
    siginfo_t si;
    EXPECT_ERR("waitid-no-children", waitid(P_ALL, 0, &si, WEXITED), ECHILD);
    EXPECT_ERR("waitid-pid-not-child", waitid(P_PID, getpid(), &si, WEXITED),
               ECHILD);
    struct rusage ru;
    EXPECT_ERR("wait4-no-children", wait4(-1, &st, 0, &ru), ECHILD);

    /* A reaped child is gone. */
    pid_t c = xfork();
    if (c == 0)
        _exit(0);
    waitpid(c, &st, 0);
    EXPECT_ERR("waitpid-twice", waitpid(c, &st, 0), ECHILD);
}

/* ---- death by signal ---------------------------------------------------- */

static void g_signaled(void) {
    struct {
        const char *name;
        int sig;
        int how; /* 0 raise, 1 kill(getpid()), 2 parent kills */
    } cases[] = {
        {"raise-sigterm", SIGTERM, 0},
        {"kill-self-sigkill", SIGKILL, 1},
        {"raise-sigusr1", SIGUSR1, 0},
        {"parent-sends-sigterm", SIGTERM, 2},
        {"parent-sends-sigkill", SIGKILL, 2},
        {"raise-sighup", SIGHUP, 0},
        {"raise-sigalrm", SIGALRM, 0},
        /* No core file is written (RLIMIT_CORE 0), so no WCOREDUMP. */
        {"raise-sigabrt-no-core", SIGABRT, 0},
        {"parent-sends-sigsegv-no-core", SIGSEGV, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int ready[2];
        pipe(ready);
        pid_t c = xfork();
        if (c == 0) {
            struct rlimit no_core = {0, 0};
            setrlimit(RLIMIT_CORE, &no_core);
            if (cases[i].how == 0)
                raise(cases[i].sig);
            else if (cases[i].how == 1)
                kill(getpid(), cases[i].sig);
            else {
                write(ready[1], "r", 1);
                for (;;)
                    pause();
            }
            _exit(99);
        }
        if (cases[i].how == 2) {
            char b;
            read(ready[0], &b, 1);
            kill(c, cases[i].sig);
        }
        close(ready[0]);
        close(ready[1]);
        int st = 0;
        pid_t r = waitpid(c, &st, 0);
        expect(cases[i].name,
               r == c && WIFSIGNALED(st) && WTERMSIG(st) == cases[i].sig &&
                   !WCOREDUMP(st),
               "%s", r == c ? status_text(st) : errno_name(errno));
    }

    /* waitid reports CLD_KILLED with the signal number as status. */
    pid_t c = xfork();
    if (c == 0) {
        raise(SIGTERM);
        _exit(99);
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, c, &si, WEXITED);
    expect("waitid-cld-killed",
           r == 0 && si.si_code == CLD_KILLED && si.si_status == SIGTERM,
           "code %d status %d", si.si_code, si.si_status);

    /* A signal whose default action is to ignore does not kill. */
    c = xfork();
    if (c == 0) {
        raise(SIGCHLD);
        raise(SIGURG);
        raise(SIGWINCH);
        _exit(12);
    }
    const char *st = wait_text(c);
    expect("ignored-by-default-signals", strcmp(st, "exited 12") == 0, "%s", st);
}

/* ---- vfork ------------------------------------------------------------- */

static void g_vfork(void) {
    volatile int shared = 0;
    fflush(stdout);
    pid_t c = vfork();
    if (c == 0) {
        /* The parent is suspended until we exit: sleep, then write. */
        struct timespec ts = {0, 50000000};
        syscall(SYS_nanosleep, &ts, NULL);
        shared = 2;
        _exit(9);
    }
    int seen = shared; /* read before anything else */
    int st = 0;
    pid_t r = waitpid(c, &st, 0);
    expect("vfork-shares-memory-and-suspends-parent", seen == 2,
           "parent saw %d right after vfork", seen);
    expect("vfork-exit-status", r == c && exited_with(st, 9), "%s",
           r == c ? status_text(st) : errno_name(errno));

    /* vfork + execve. */
    fflush(stdout);
    c = vfork();
    if (c == 0) {
        char *argv[] = {"true", NULL};
        execve("/bin/true", argv, environ);
        _exit(127);
    }
    const char *s = wait_text(c);
    expect("vfork-exec-true", strcmp(s, "exited 0") == 0, "%s", s);

    /* vfork + failing execve: the child reports the errno through the
     * shared memory. */
    volatile int err = 0;
    fflush(stdout);
    c = vfork();
    if (c == 0) {
        char *argv[] = {"x", NULL};
        execve("/nonexistent/program", argv, environ);
        err = errno;
        _exit(127);
    }
    s = wait_text(c);
    expect("vfork-exec-fails", strcmp(s, "exited 127") == 0 && err == ENOENT,
           "%s, errno %s", s, errno_name(err));
}

/* ---- posix_spawn, system, popen ---------------------------------------- */

static void g_spawn(void) {
    pid_t c;
    char *argv_true[] = {"true", NULL};
    int e = posix_spawn(&c, "/bin/true", NULL, NULL, argv_true, environ);
    const char *s = e ? errno_name(e) : wait_text(c);
    expect("posix-spawn-true", strcmp(s, "exited 0") == 0, "%s", s);

    char *argv_false[] = {"false", NULL};
    e = posix_spawnp(&c, "false", NULL, NULL, argv_false, environ);
    s = e ? errno_name(e) : wait_text(c);
    expect("posix-spawnp-false", strcmp(s, "exited 1") == 0, "%s", s);

    e = posix_spawn(&c, "/nonexistent/program", NULL, NULL, argv_true, environ);
    expect("posix-spawn-enoent", e == ENOENT, "returned %s",
           e ? errno_name(e) : "0");
    if (e == 0)
        wait_text(c);

    /* File actions: the child's stdout is a pipe. */
    int p[2];
    pipe(p);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    char *argv_echo[] = {"echo", "spawned", NULL};
    e = posix_spawn(&c, "/bin/echo", &fa, NULL, argv_echo, environ);
    close(p[1]);
    char buf[64] = {0};
    ssize_t n = 0, k;
    while (n < (ssize_t)sizeof buf - 1 &&
           (k = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += k;
    close(p[0]);
    s = e ? errno_name(e) : wait_text(c);
    expect("posix-spawn-file-actions",
           strcmp(s, "exited 0") == 0 && strcmp(buf, "spawned\n") == 0,
           "%s, read %zd bytes", s, n);
    posix_spawn_file_actions_destroy(&fa);

    /* Attributes: a new process group. */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    char *argv_pg[] = {self, "@pgid", NULL};
    e = posix_spawn(&c, self, NULL, &at, argv_pg, environ);
    s = e ? errno_name(e) : wait_text(c);
    expect("posix-spawn-setpgroup-status", strcmp(s, "exited 0") == 0, "%s", s);
    posix_spawnattr_destroy(&at);

    fflush(stdout);
    int r = system("exit 3");
    expect("system-status", r != -1 && WIFEXITED(r) && WEXITSTATUS(r) == 3,
           "returned %d", r);

    FILE *f = popen("echo popen-line", "r");
    char line[64] = {0};
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = 0;
        r = pclose(f);
    }
    expect("popen-reads-output",
           f && strcmp(line, "popen-line\n") == 0 && WIFEXITED(r) &&
               WEXITSTATUS(r) == 0,
           "%s", f ? "wrong output or status" : errno_name(errno));
}

/* ---- execve ------------------------------------------------------------ */

static char scratch[128];

static void write_file(const char *name, const char *text, mode_t mode) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (text)
        write(fd, text, strlen(text));
    close(fd);
    chmod(path, mode);
}

/* An exec call to make in a child: execve(path) or execveat(dirfd, path). */
struct exec_call {
    int at;
    int dirfd;
    const char *path;
    char *const *argv;
    int flags;
};

/* Makes `call` in a child; returns the errno of a failed exec, or 0 with
 * *status filled when the exec worked. */
static int exec_in_child(const struct exec_call *call, int *status) {
    int p[2];
    pipe2(p, O_CLOEXEC);
    pid_t c = xfork();
    if (c == 0) {
        close(p[0]);
        if (call->at)
            syscall(SYS_execveat, call->dirfd, call->path, call->argv, environ, call->flags);
        else
            execve(call->path, call->argv, environ);
        int e = errno;
        write(p[1], &e, sizeof e);
        _exit(127);
    }
    close(p[1]);
    int e = 0;
    ssize_t n = read(p[0], &e, sizeof e);
    close(p[0]);
    waitpid(c, status, 0);
    return n == sizeof e ? e : 0;
}

/* execve(path) in a child, as exec_in_child. */
static int exec_result(const char *path, char *const argv[], int *status) {
    struct exec_call call = {0, AT_FDCWD, path, argv, 0};
    return exec_in_child(&call, status);
}

static void exec_fails(const char *name, const char *path, int want) {
    char *argv[] = {"x", NULL};
    int st = 0;
    int e = exec_result(path, argv, &st);
    expect(name, e == want, "%s, want %s", e ? errno_name(e) : "exec worked",
           errno_name(want));
}

static void g_exec(void) {
    snprintf(scratch, sizeof scratch, "/tmp/husk-exec-%d", (int)getpid());
    mkdir(scratch, 0755);

    /* argv and envp pass through exactly; the pid stays. */
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    pid_t c = xfork();
    if (c == 0) {
        char cpid[32], ppid[32];
        snprintf(cpid, sizeof cpid, "%d", (int)getpid());
        snprintf(ppid, sizeof ppid, "%d", (int)getppid());
        char *argv[] = {self, "@args", cpid, ppid, "two words", "", "last", NULL};
        char *envp[] = {"FOO=bar", "EMPTY=", "SPACES=a b  c", NULL};
        execve(self, argv, envp);
        printf("exec-self: %s\n", errno_name(errno));
        _exit(127);
    }
    const char *s = wait_text(c);
    expect("exec-self-status", strcmp(s, "exited 0") == 0, "%s", s);

    /* An empty environment and a one-element argv. */
    c = xfork();
    if (c == 0) {
        char *argv[] = {self, "@empty-env", NULL};
        char *envp[] = {NULL};
        execve(self, argv, envp);
        _exit(127);
    }
    s = wait_text(c);
    expect("exec-empty-env-status", strcmp(s, "exited 0") == 0, "%s", s);

    /* Exec of other programs: dynamic, static, a script. */
    int st = 0;
    char *argv_true[] = {"true", NULL};
    int e = exec_result("/bin/true", argv_true, &st);
    expect("exec-dynamic-true", e == 0 && exited_with(st, 0), "%s",
           e ? errno_name(e) : status_text(st));
    char *argv_bb[] = {"busybox", "sh", "-c", "exit 13", NULL};
    e = exec_result("/bin/busybox", argv_bb, &st);
    expect("exec-static-busybox", e == 0 && exited_with(st, 13), "%s",
           e ? errno_name(e) : status_text(st));

    char path[256];
    write_file("script", "#!/bin/sh\nexit 6\n", 0755);
    snprintf(path, sizeof path, "%s/script", scratch);
    e = exec_result(path, argv_true, &st);
    expect("exec-script", e == 0 && exited_with(st, 6), "%s",
           e ? errno_name(e) : status_text(st));

    /* Failures. */
    exec_fails("exec-enoent", "/nonexistent/program", ENOENT);
    snprintf(path, sizeof path, "%s/missing", scratch);
    exec_fails("exec-enoent-in-dir", path, ENOENT);
    exec_fails("exec-enotdir", "/etc/passwd/x", ENOTDIR);
    write_file("noexec", "#!/bin/sh\nexit 0\n", 0644);
    snprintf(path, sizeof path, "%s/noexec", scratch);
    exec_fails("exec-eacces-mode", path, EACCES);
    exec_fails("exec-eacces-directory", "/tmp", EACCES);
    write_file("garbage", "this is not a program\n", 0755);
    snprintf(path, sizeof path, "%s/garbage", scratch);
    exec_fails("exec-enoexec", path, ENOEXEC);
    write_file("empty", NULL, 0755);
    snprintf(path, sizeof path, "%s/empty", scratch);
    exec_fails("exec-enoexec-empty", path, ENOEXEC);
    write_file("badinterp", "#!/nonexistent/interp\n", 0755);
    snprintf(path, sizeof path, "%s/badinterp", scratch);
    exec_fails("exec-script-missing-interpreter", path, ENOENT);
    char link1[256], link2[256];
    snprintf(link1, sizeof link1, "%s/loop1", scratch);
    snprintf(link2, sizeof link2, "%s/loop2", scratch);
    symlink(link2, link1);
    symlink(link1, link2);
    exec_fails("exec-eloop", link1, ELOOP);
    static char longp[PATH_MAX + 16];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    exec_fails("exec-enametoolong", longp, ENAMETOOLONG);
    exec_fails("exec-efault", (const char *)8, EFAULT);
    /* The file is found before the arguments are read (Linux 6.8 and
     * later): a bad argv is EFAULT only when the file exists. */
    struct exec_call bad_argv = {0, AT_FDCWD, "/nonexistent/program", (char *const *)8, 0};
    e = exec_in_child(&bad_argv, &st);
    expect("exec-enoent-before-argv", e == ENOENT, "%s", e ? errno_name(e) : "exec worked");
    bad_argv.path = "/bin/true";
    e = exec_in_child(&bad_argv, &st);
    expect("exec-efault-argv", e == EFAULT, "%s", e ? errno_name(e) : "exec worked");

    /* A script run as another script's interpreter: each `#!` line puts
     * its interpreter, argument and script path in place of argv[0]. */
    char inner[256], outer[256], out[256], want[1024];
    snprintf(inner, sizeof inner, "%s/inner", scratch);
    snprintf(outer, sizeof outer, "%s/outer", scratch);
    snprintf(out, sizeof out, "%s/out", scratch);
    char text[512];
    snprintf(text, sizeof text, "#!/bin/sh -e\nprintf '%%s|' \"$0\" \"$@\" > %s\n", out);
    write_file("inner", text, 0755);
    snprintf(text, sizeof text, "#!%s  one arg \n", inner);
    write_file("outer", text, 0755);
    char *argv_outer[] = {"ignored", "a", "b c", NULL};
    e = exec_result(outer, argv_outer, &st);
    snprintf(want, sizeof want, "%s|one arg|%s|a|b c|", inner, outer);
    char *got = slurp(out);
    expect("exec-nested-scripts", e == 0 && exited_with(st, 0) && got && !strcmp(got, want),
           "%s, got %s", e ? errno_name(e) : status_text(st), got ? got : "nothing");

    /* A failed execve leaves the caller intact. */
    char *argv_x[] = {"x", NULL};
    errno = 0;
    int r = execve("/nonexistent", argv_x, environ);
    expect("exec-failure-returns", r == -1 && errno == ENOENT, "%s",
           errno_name(errno));

    const char *names[] = {"script", "noexec", "garbage", "empty", "badinterp",
                           "loop1", "loop2", "inner", "outer", "out"};
    for (int i = 0; i < 10; i++) {
        snprintf(path, sizeof path, "%s/%s", scratch, names[i]);
        unlink(path);
    }
    rmdir(scratch);
}

/* ---- execveat ----------------------------------------------------------- */

/* execveat(dirfd, path, ..., flags) in a child, as exec_in_child. */
static int execat_result(int dirfd, const char *path, char *const argv[], int flags, int *status) {
    struct exec_call call = {1, dirfd, path, argv, flags};
    return exec_in_child(&call, status);
}

static void execat_runs(const char *name, int dirfd, const char *path, char *const argv[], int flags, int code) {
    int st = 0;
    int e = execat_result(dirfd, path, argv, flags, &st);
    expect(name, e == 0 && exited_with(st, code), "%s", e ? errno_name(e) : status_text(st));
}

static void execat_fails(const char *name, int dirfd, const char *path, int flags, int want) {
    char *argv[] = {"x", NULL};
    int st = 0;
    int e = execat_result(dirfd, path, argv, flags, &st);
    expect(name, e == want, "%s, want %s", e ? errno_name(e) : "exec worked", errno_name(want));
}

static void g_execveat(void) {
    char *argv_true[] = {"true", NULL};
    char *argv_bb[] = {"busybox", "sh", "-c", "exit 4", NULL};
    execat_runs("absolute-path", AT_FDCWD, "/bin/true", argv_true, 0, 0);
    int bin = open("/bin", O_RDONLY | O_DIRECTORY);
    execat_runs("relative-to-dirfd", bin, "busybox", argv_bb, 0, 4);
    int prog = open("/bin/busybox", O_RDONLY | O_CLOEXEC);
    execat_runs("empty-path-fd", prog, "", argv_bb, AT_EMPTY_PATH, 4);
    /* A program that exists only in memory. */
    int m = memfd_create("prog", MFD_CLOEXEC);
    static char buf[1 << 16];
    ssize_t n;
    while ((n = read(prog, buf, sizeof buf)) > 0)
        write(m, buf, n);
    execat_runs("memfd", m, "", argv_bb, AT_EMPTY_PATH, 4);
    int st = 0;
    pid_t c = xfork();
    if (c == 0) {
        fexecve(m, argv_bb, environ);
        _exit(127);
    }
    waitpid(c, &st, 0);
    expect("fexecve-memfd", exited_with(st, 4), "%s", status_text(st));
    execat_fails("bad-flags", AT_FDCWD, "/bin/true", 1, EINVAL);
    execat_fails("empty-path-without-flag", prog, "", 0, ENOENT);
    execat_fails("empty-path-bad-fd", 999, "", AT_EMPTY_PATH, EBADF);
    execat_fails("relative-to-file", prog, "true", 0, ENOTDIR);
    char lnk[64];
    snprintf(lnk, sizeof lnk, "/tmp/husk-execat-%d", (int)getpid());
    symlink("/bin/true", lnk);
    execat_fails("nofollow-symlink", AT_FDCWD, lnk, AT_SYMLINK_NOFOLLOW, ELOOP);
    execat_runs("follows-symlink", AT_FDCWD, lnk, argv_true, 0, 0);
    unlink(lnk);
    close(m);
    close(prog);
    close(bin);
}

/* ---- close-on-exec and what exec keeps -------------------------------- */

static void on_usr1(int sig) { (void)sig; }

static void g_cloexec(void) {
    int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int b = open("/dev/null", O_RDONLY);
    int c1 = fcntl(b, F_DUPFD_CLOEXEC, 20);
    int d = dup3(b, 30, O_CLOEXEC);
    int e = dup(a); /* dup clears close-on-exec */
    int f = open("/dev/null", O_RDONLY);
    fcntl(f, F_SETFD, FD_CLOEXEC);
    int g = open("/dev/null", O_RDONLY | O_CLOEXEC);
    fcntl(g, F_SETFD, 0);
    int p[2];
    pipe2(p, O_CLOEXEC);
    expect("fd-flags-before-exec",
           fcntl(a, F_GETFD) == FD_CLOEXEC && fcntl(b, F_GETFD) == 0 &&
               fcntl(c1, F_GETFD) == FD_CLOEXEC && fcntl(e, F_GETFD) == 0 &&
               fcntl(p[0], F_GETFD) == FD_CLOEXEC,
           "flags wrong");

    /* Signal state across exec: a handler goes back to default, an
     * ignored signal stays ignored, the mask and pending signals stay. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, SIG_IGN);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGINT);
    sigaddset(&m, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &m, NULL);

    pid_t c = xfork();
    if (c == 0) {
        raise(SIGINT); /* blocked: stays pending across exec */
        stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0};
        sigaltstack(&ss, NULL);
        char fds[8][16];
        int list[8] = {a, b, c1, d, e, f, g, p[0]};
        for (int i = 0; i < 8; i++)
            snprintf(fds[i], sizeof fds[i], "%d", list[i]);
        char *argv[] = {self,   "@cloexec", fds[0], fds[1], fds[2], fds[3],
                        fds[4], fds[5],     fds[6], fds[7], NULL};
        execve(self, argv, environ);
        _exit(127);
    }
    const char *s = wait_text(c);
    expect("cloexec-image-status", strcmp(s, "exited 0") == 0, "%s", s);
    sigprocmask(SIG_UNBLOCK, &m, NULL);
    signal(SIGUSR2, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
}

/* ---- the exec'd images -------------------------------------------------- */

static int image(int argc, char **argv) {
    line_buffered_stdout();
    if (strcmp(argv[1], "@args") == 0) {
        expect("exec-argc", argc == 7, "argc %d", argc);
        if (argc != 7)
            return 1;
        expect("exec-argv", strcmp(argv[4], "two words") == 0 &&
                                strcmp(argv[5], "") == 0 &&
                                strcmp(argv[6], "last") == 0 && !argv[7],
               "argv differs");
        expect("exec-argv0", strcmp(argv[0], self) == 0, "argv[0] differs");
        int n = 0;
        while (environ[n])
            n++;
        expect("exec-envp", n == 3 && strcmp(environ[0], "FOO=bar") == 0 &&
                                strcmp(environ[1], "EMPTY=") == 0 &&
                                strcmp(environ[2], "SPACES=a b  c") == 0,
               "%d variables", n);
        const char *foo = getenv("FOO");
        expect("exec-getenv", foo && strcmp(foo, "bar") == 0, "FOO not found");
        expect("exec-keeps-pid", getpid() == atoi(argv[2]), "pid changed");
        expect("exec-keeps-ppid", getppid() == atoi(argv[3]), "ppid changed");
        return 0;
    }
    if (strcmp(argv[1], "@spin300") == 0) {
        spin_cpu_ms(300);
        return 0;
    }
    if (strcmp(argv[1], "@empty-env") == 0) {
        expect("exec-empty-env", argc == 2 && environ[0] == NULL,
               "argc %d, environ[0] %s", argc, environ[0] ? environ[0] : "-");
        return 0;
    }
    if (strcmp(argv[1], "@pgid") == 0) {
        expect("posix-spawn-setpgroup", getpgid(0) == getpid(),
               "not a group leader");
        return 0;
    }
    if (strcmp(argv[1], "@cloexec") == 0 && argc == 10) {
        const char *names[8] = {"o-cloexec",   "plain",     "f-dupfd-cloexec",
                                "dup3-cloexec", "dup-clears", "f-setfd",
                                "f-setfd-clear", "pipe2-cloexec"};
        int want_open[8] = {0, 1, 0, 0, 1, 0, 1, 0};
        for (int i = 0; i < 8; i++) {
            int fd = atoi(argv[2 + i]);
            errno = 0;
            int fl = fcntl(fd, F_GETFD);
            char name[64];
            snprintf(name, sizeof name, "after-exec-%s", names[i]);
            if (want_open[i])
                expect(name, fl == 0, "%s", fl < 0 ? errno_name(errno) : "flag set");
            else
                expect(name, fl < 0 && errno == EBADF, "still open");
        }
        struct sigaction sa;
        sigaction(SIGUSR1, NULL, &sa);
        expect("after-exec-handler-reset", sa.sa_handler == SIG_DFL,
               "SIGUSR1 not default");
        sigaction(SIGUSR2, NULL, &sa);
        expect("after-exec-ignored-stays", sa.sa_handler == SIG_IGN,
               "SIGUSR2 not ignored");
        sigset_t m, p;
        sigprocmask(SIG_BLOCK, NULL, &m);
        expect("after-exec-mask-kept",
               sigismember(&m, SIGINT) == 1 && sigismember(&m, SIGRTMIN + 2) == 1 &&
                   sigismember(&m, SIGUSR1) == 0,
               "mask differs");
        sigpending(&p);
        expect("after-exec-pending-kept", sigismember(&p, SIGINT) == 1,
               "SIGINT no longer pending");
        stack_t ss;
        sigaltstack(NULL, &ss);
        expect("after-exec-altstack-cleared", ss.ss_flags == SS_DISABLE,
               "flags %d", ss.ss_flags);
        return 0;
    }
    printf("unknown image %s\n", argv[1]);
    return 2;
}

/* execve's limits on its strings (bprm_stack_limits): each at most
 * MAX_ARG_STRLEN with its NUL, and all of them with their pointers at most
 * a quarter of RLIMIT_STACK, never under ARG_MAX nor over 6 MiB. */
static void try_args(const char *name, int n, int len, const char *want) {
    char **argv = calloc(n + 2, sizeof *argv);
    char *s = malloc(len + 1);
    memset(s, 'a', len);
    s[len] = 0;
    argv[0] = "true";
    for (int i = 1; i <= n; i++)
        argv[i] = s;
    int p[2];
    pipe(p);
    pid_t c = xfork();
    if (c == 0) {
        char *envp[] = {NULL};
        execve("/bin/true", argv, envp);
        const char *e = errno_name(errno);
        write(p[1], e, strlen(e));
        _exit(1);
    }
    close(p[1]);
    char got[64] = "ran";
    ssize_t k = read(p[0], got, sizeof got - 1);
    if (k > 0)
        got[k] = 0;
    close(p[0]);
    waitpid(c, NULL, 0);
    expect(name, strcmp(got, want) == 0, "%s, want %s", got, want);
    free(s);
    free(argv);
}

static void g_arglimits(void) {
    try_args("longest-string", 1, 131071, "ran");
    try_args("string-too-long", 1, 131072, "E2BIG");
    try_args("strings-under-2m", 15, 131000, "ran");
    try_args("strings-over-2m", 17, 131000, "E2BIG");
    try_args("pointers-count", 200000, 3, "E2BIG");
    try_args("pointers-under", 100000, 3, "ran");
    struct rlimit old, r;
    getrlimit(RLIMIT_STACK, &old);
    r = old;
    r.rlim_cur = 32 << 20;
    setrlimit(RLIMIT_STACK, &r);
    try_args("stack-32m-allows-4m", 30, 131000, "ran");
    try_args("ceiling-6m", 50, 131000, "E2BIG");
    r.rlim_cur = 256 << 10;
    setrlimit(RLIMIT_STACK, &r);
    try_args("floor-arg-max", 1, 120000, "ran");
    try_args("over-floor", 2, 120000, "E2BIG");
    setrlimit(RLIMIT_STACK, &old);
}

/* Runs `path` with `argv` and `envp`, its stdout into `out`: "ran" and
 * what it printed, or the errno name of a failed execve. */
static void exec_capture(const char *path, char *const argv[], char *const envp[], char *out, size_t size) {
    int p[2], e[2];
    pipe(p);
    pipe2(e, O_CLOEXEC);
    pid_t c = xfork();
    if (c == 0) {
        dup2(p[1], 1);
        execve(path, argv, envp);
        const char *n = errno_name(errno);
        write(e[1], n, strlen(n));
        _exit(1);
    }
    close(p[1]);
    close(e[1]);
    size_t got = 0;
    ssize_t k;
    while (got + 1 < size && (k = read(p[0], out + got, size - 1 - got)) > 0)
        got += k;
    out[got] = 0;
    char err[64];
    k = read(e[0], err, sizeof err - 1);
    if (k > 0) {
        err[k] = 0;
        snprintf(out, size, "%s", err);
    }
    close(p[0]);
    close(e[0]);
    waitpid(c, NULL, 0);
}

/* execve reads its strings and pointers up to the last byte before an
 * inaccessible page and fails with EFAULT one byte past it; dozens of
 * environment strings side by side arrive intact. */
static void g_argpages(void) {
    long pg = sysconf(_SC_PAGESIZE);
    char *two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(two + pg, pg, PROT_NONE);
    char *const no_env[] = {NULL};
    char out[65536];

    char *word = two + pg - 6;
    memcpy(word, "edge!", 6);
    char *const at_end[] = {"echo", word, NULL};
    exec_capture("/bin/echo", at_end, no_env, out, sizeof out);
    expect("string-ends-at-page-end", strcmp(out, "edge!\n") == 0, "%s", out);

    memset(two + pg - 5, 'x', 5);
    char *const crossing[] = {"echo", two + pg - 5, NULL};
    exec_capture("/bin/echo", crossing, no_env, out, sizeof out);
    expect("string-runs-into-hole", strcmp(out, "EFAULT") == 0, "%s", out);

    char **vec = (char **)(two + pg) - 3;
    vec[0] = "echo";
    vec[1] = "last-pointer";
    vec[2] = NULL;
    exec_capture("/bin/echo", vec, no_env, out, sizeof out);
    expect("pointers-end-at-page-end", strcmp(out, "last-pointer\n") == 0, "%s", out);

    vec[2] = "more";
    exec_capture("/bin/echo", vec, no_env, out, sizeof out);
    expect("pointers-run-into-hole", strcmp(out, "EFAULT") == 0, "%s", out);
    exec_capture("/bin/echo", no_env, vec, out, sizeof out);
    expect("env-pointers-run-into-hole", strcmp(out, "EFAULT") == 0, "%s", out);

    char *const bad_string[] = {"echo", (char *)8, NULL};
    exec_capture("/bin/echo", bad_string, no_env, out, sizeof out);
    expect("bad-string-pointer", strcmp(out, "EFAULT") == 0, "%s", out);
    exec_capture("/bin/echo", (char *const *)(two + pg), no_env, out, sizeof out);
    expect("bad-vector", strcmp(out, "EFAULT") == 0, "%s", out);

    /* 400 variables of growing length packed in one buffer, as a shell
     * passes them; env prints them back in order. */
    enum { N = 400 };
    static char pool[N * 48];
    static char *env[N + 1];
    char want[sizeof pool + N] = "";
    char *at = pool;
    size_t wlen = 0;
    for (int i = 0; i < N; i++) {
        int len = sprintf(at, "V%03d=%.*s", i, i % 37, "abcdefghijklmnopqrstuvwxyz0123456789_");
        env[i] = at;
        wlen += sprintf(want + wlen, "%s\n", at);
        at += len + 1;
    }
    env[N] = NULL;
    char *const env_argv[] = {"env", NULL};
    exec_capture("/usr/bin/env", env_argv, env, out, sizeof out);
    expect("many-env-strings", strcmp(out, want) == 0, "%zu bytes, want %zu", strlen(out), wlen);
    munmap(two, 2 * pg);
}

static const struct test_group groups[] = {
    {"fork", g_fork},       {"wnohang", g_wnohang}, {"waitid", g_waitid},
    {"wait4", g_wait4},     {"wall", g_wall},       {"echild", g_echild},
    {"signaled", g_signaled}, {"vfork", g_vfork},   {"spawn", g_spawn},
    {"exec", g_exec},       {"execveat", g_execveat},  {"cloexec", g_cloexec},
    {"arglimits", g_arglimits}, {"argpages", g_argpages},
};

int main(int argc, char **argv) {
    self = argv[0];
    if (argc >= 2 && argv[1][0] == '@')
        return image(argc, argv);
    return RUN_GROUPS(argc, argv, groups);
}
