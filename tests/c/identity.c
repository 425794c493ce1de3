/*
 * Process identity and attributes: parent, process groups and sessions,
 * credentials and capabilities, prctl (name, death signal, subreaper,
 * no_new_privs), resource limits, umask, resource usage, CPU affinity.
 * One line per check ("name: ok" natively). Must run as root.
 *
 * Anything that changes credentials or limits for good happens in a child.
 *
 *   identity [GROUP]     run one group (all without an argument)
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/times.h>

/* Runs fn in a child and reports "name: ok" if it exits 0, else the
 * status (the child prints its own detail lines when it has them). */
static void in_child(const char *name, int (*fn)(void)) {
    pid_t c = xfork();
    if (c == 0) {
        int r = fn();
        fflush(stdout);
        _exit(r);
    }
    const char *st = wait_text(c);
    expect(name, strcmp(st, "exited 0") == 0, "%s", st);
}

/* ---- parent, groups, sessions ------------------------------------------ */

static int child_ppid(void) {
    return getppid() == atoi(getenv("HUSK_PARENT")) ? 0 : 1;
}

static int child_setsid(void) {
    pid_t me = getpid();
    pid_t s = setsid();
    int ok = 1;
    expect("setsid-returns-pid", s == me, "%s", s < 0 ? errno_name(errno) : "other id");
    ok &= s == me;
    expect("getsid-after-setsid", getsid(0) == me, "sid differs");
    expect("getpgid-after-setsid", getpgid(0) == me && getpgrp() == me,
           "pgid differs");
    errno = 0;
    int r = setsid();
    expect("setsid-twice-eperm", r < 0 && errno == EPERM, "%s",
           r < 0 ? errno_name(errno) : "succeeded");
    /* A session leader cannot move to another group. */
    errno = 0;
    r = setpgid(0, getppid());
    expect("setpgid-session-leader-eperm", r < 0 && errno == EPERM, "%s",
           r < 0 ? errno_name(errno) : "succeeded");
    return ok ? 0 : 1;
}

static int child_group_leader_setsid(void) {
    setpgid(0, 0); /* now a group leader */
    errno = 0;
    int r = setsid();
    return r < 0 && errno == EPERM ? 0 : 1;
}

static void g_ids(void) {
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (int)getpid());
    setenv("HUSK_PARENT", buf, 1);
    in_child("child-getppid", child_ppid);
    expect("getpgrp-is-getpgid", getpgrp() == getpgid(0), "differ");
    expect("getsid-self-and-zero", getsid(0) == getsid(getpid()), "differ");
    expect("getpgid-self-and-zero", getpgid(0) == getpgid(getpid()), "differ");
    EXPECT_ERR("getpgid-no-such-pid", getpgid(999999), ESRCH);
    EXPECT_ERR("getsid-no-such-pid", getsid(999999), ESRCH);
    EXPECT_ERR("setpgid-no-such-pid", setpgid(999999, 0), ESRCH);
    EXPECT_ERR("setpgid-negative-pgid", setpgid(0, -1), EINVAL);

    in_child("setsid-in-child", child_setsid);
    in_child("setsid-group-leader-eperm", child_group_leader_setsid);

    /* setpgid from the parent and from the child; a child's group is
     * visible to both; moving it back to ours works. */
    int p[2], q[2];
    pipe(p);
    pipe(q);
    pid_t c = xfork();
    if (c == 0) {
        char b;
        read(p[0], &b, 1); /* parent has set our group */
        int ok = getpgrp() == getpid();
        write(q[1], "1", 1);
        read(p[0], &b, 1); /* parent moved us back */
        ok &= getpgrp() == getpgid(getppid());
        read(p[0], &b, 1);
        _exit(ok ? 0 : 1);
    }
    int r = setpgid(c, c);
    expect("setpgid-child-own-group", r == 0 && getpgid(c) == c, "%s",
           r < 0 ? errno_name(errno) : "pgid differs");
    write(p[1], "a", 1);
    char b;
    read(q[0], &b, 1);
    r = setpgid(c, getpgrp());
    expect("setpgid-child-back", r == 0 && getpgid(c) == getpgrp(), "%s",
           r < 0 ? errno_name(errno) : "pgid differs");
    write(p[1], "b", 1);
    write(p[1], "c", 1);
    const char *st = wait_text(c);
    expect("setpgid-child-saw-groups", strcmp(st, "exited 0") == 0, "%s", st);

    /* After a child has exec'd, its parent may not change its group. */
    int ready[2];
    pipe2(ready, O_CLOEXEC);
    c = xfork();
    if (c == 0) {
        char *argv[] = {"sleep", "5", NULL};
        execv("/bin/sleep", argv);
        _exit(127);
    }
    close(ready[1]);
    read(ready[0], &b, 1); /* EOF once exec closed it */
    close(ready[0]);
    errno = 0;
    r = setpgid(c, c);
    expect("setpgid-after-exec-eacces", r < 0 && errno == EACCES, "%s",
           r < 0 ? errno_name(errno) : "succeeded");
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);

    /* A child in another session: setpgid into our group is EPERM. */
    c = xfork();
    if (c == 0) {
        setsid();
        write(q[1], "s", 1);
        sleep_ms(5000);
        _exit(0);
    }
    read(q[0], &b, 1);
    errno = 0;
    r = setpgid(c, getpgrp());
    expect("setpgid-other-session-eperm", r < 0 && errno == EPERM, "%s",
           r < 0 ? errno_name(errno) : "succeeded");
    expect("getsid-of-child", getsid(c) == c, "sid differs");
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
}

/* ---- credentials ---------------------------------------------------------- */

static int has_cap(int cap) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) < 0)
        return -1;
    return (d[cap / 32].effective >> (cap % 32)) & 1;
}

static int permitted_empty(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) < 0)
        return -1;
    return d[0].permitted == 0 && d[1].permitted == 0 && d[0].effective == 0 &&
           d[1].effective == 0;
}

static int child_drop_all(void) {
    int ok = 1;
    gid_t gl[] = {30, 10, 20};
#define C(name, cond, ...)                                                     \
    do {                                                                       \
        int c_ = (cond);                                                       \
        expect(name, c_, __VA_ARGS__);                                         \
        ok &= c_;                                                              \
    } while (0)
    C("setgroups", setgroups(3, gl) == 0, "%s", errno_name(errno));
    gid_t got[16];
    int n = getgroups(16, got);
    C("getgroups-sorted", n == 3 && got[0] == 10 && got[1] == 20 && got[2] == 30,
      "%d groups", n);
    C("getgroups-count-only", getgroups(0, NULL) == 3, "count differs");
    errno = 0;
    int r = getgroups(1, got);
    C("getgroups-too-small-einval", r < 0 && errno == EINVAL, "%d %s", r,
      errno_name(errno));
    C("setresgid", setresgid(1000, 1001, 1002) == 0, "%s", errno_name(errno));
    gid_t rg, eg, sg;
    getresgid(&rg, &eg, &sg);
    C("getresgid", rg == 1000 && eg == 1001 && sg == 1002, "%d %d %d", rg, eg, sg);
    C("getgid-getegid", getgid() == 1000 && getegid() == 1001, "differ");

    C("setresuid", setresuid(1000, 1000, 1000) == 0, "%s", errno_name(errno));
    uid_t ru, eu, su;
    getresuid(&ru, &eu, &su);
    C("getresuid", ru == 1000 && eu == 1000 && su == 1000, "%d %d %d", ru, eu, su);
    C("caps-cleared-after-setuid", permitted_empty() == 1, "capabilities kept");
    errno = 0;
    r = setresuid(0, 0, 0);
    C("setresuid-back-to-root-eperm", r < 0 && errno == EPERM, "%s",
      r < 0 ? errno_name(errno) : "succeeded");
    errno = 0;
    r = setuid(0);
    C("setuid-root-eperm", r < 0 && errno == EPERM, "%s",
      r < 0 ? errno_name(errno) : "succeeded");
    errno = 0;
    r = setgroups(0, NULL);
    C("setgroups-unprivileged-eperm", r < 0 && errno == EPERM, "%s",
      r < 0 ? errno_name(errno) : "succeeded");
    errno = 0;
    r = setgid(0);
    C("setgid-unprivileged-eperm", r < 0 && errno == EPERM, "%s",
      r < 0 ? errno_name(errno) : "succeeded");
    /* An unprivileged process may signal only its own uid's processes. */
    errno = 0;
    r = kill(getppid(), 0);
    C("kill-root-process-eperm", r < 0 && errno == EPERM, "%s",
      r < 0 ? errno_name(errno) : "succeeded");
    /* Setting uids among the current ones is allowed. */
    C("setresuid-same-ok", setresuid(-1, 1000, -1) == 0, "%s", errno_name(errno));
#undef C
    return ok ? 0 : 1;
}

static int child_saved_uid(void) {
    /* euid 1000 with real and saved uid 0: back to 0 works. */
    int ok = 1;
    int r = setresuid(-1, 1000, -1);
    ok &= r == 0 && geteuid() == 1000 && getuid() == 0;
    expect("seteuid-unprivileged", r == 0 && geteuid() == 1000, "%s",
           errno_name(errno));
    expect("effective-caps-dropped", has_cap(CAP_SETUID) == 0, "CAP_SETUID kept");
    ok &= has_cap(CAP_SETUID) == 0;
    r = seteuid(0);
    expect("seteuid-back-via-saved-uid", r == 0 && geteuid() == 0, "%s",
           errno_name(errno));
    ok &= r == 0;
    expect("effective-caps-restored", has_cap(CAP_SETUID) == 1, "not restored");
    ok &= has_cap(CAP_SETUID) == 1;
    /* setuid as root sets all three. */
    r = setuid(2000);
    uid_t ru, eu, su;
    getresuid(&ru, &eu, &su);
    expect("setuid-root-sets-all", r == 0 && ru == 2000 && eu == 2000 && su == 2000,
           "%d %d %d", ru, eu, su);
    ok &= r == 0;
    return ok ? 0 : 1;
}

static int child_fsuid(void) {
    int prev = setfsuid(1234);
    int now = setfsuid(-1);
    expect("setfsuid-returns-previous", prev == 0 && now == 1234, "%d then %d", prev,
           now);
    /* fsuid follows euid. */
    seteuid(1500);
    now = setfsuid(-1);
    expect("fsuid-follows-euid", now == 1500, "fsuid %d", now);
    return 0;
}

static int child_capset(void) {
    /* Drop CAP_SETUID from the effective set: setuid then fails. */
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    d[CAP_SETUID / 32].effective &= ~(1u << (CAP_SETUID % 32));
    int r = syscall(SYS_capset, &h, d);
    expect("capset-drop-effective", r == 0, "%s", errno_name(errno));
    expect("capget-after-capset", has_cap(CAP_SETUID) == 0, "still set");
    errno = 0;
    r = setuid(1000);
    expect("setuid-without-cap-eperm", r < 0 && errno == EPERM, "%s",
           r < 0 ? errno_name(errno) : "succeeded");
    /* Raising it again from permitted works. */
    d[CAP_SETUID / 32].effective |= 1u << (CAP_SETUID % 32);
    r = syscall(SYS_capset, &h, d);
    expect("capset-raise-from-permitted", r == 0 && has_cap(CAP_SETUID) == 1, "%s",
           errno_name(errno));
    /* Adding to permitted what it lacks is EPERM. */
    d[CAP_SETUID / 32].permitted &= ~(1u << (CAP_SETUID % 32));
    d[CAP_SETUID / 32].effective &= ~(1u << (CAP_SETUID % 32));
    syscall(SYS_capset, &h, d);
    d[CAP_SETUID / 32].permitted |= 1u << (CAP_SETUID % 32);
    errno = 0;
    r = syscall(SYS_capset, &h, d);
    expect("capset-grow-permitted-eperm", r < 0 && errno == EPERM, "%s",
           r < 0 ? errno_name(errno) : "succeeded");
    return 0;
}

static void g_creds(void) {
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    getresuid(&ru, &eu, &su);
    getresgid(&rg, &eg, &sg);
    expect("runs-as-root", getuid() == 0 && geteuid() == 0 && ru == 0 && eu == 0 &&
                               su == 0,
           "uids %d %d %d", ru, eu, su);
    expect("root-group", getgid() == 0 && getegid() == 0 && rg == 0 && eg == 0 &&
                             sg == 0,
           "gids %d %d %d", rg, eg, sg);
    int n = getgroups(0, NULL);
    expect("getgroups-count", n >= 0, "%s", errno_name(errno));

    struct __user_cap_header_struct h = {0, 0};
    struct __user_cap_data_struct d[2];
    errno = 0;
    int r = syscall(SYS_capget, &h, d);
    expect("capget-bad-version", r < 0 && errno == EINVAL &&
                                     h.version == _LINUX_CAPABILITY_VERSION_3,
           "r %d %s version %x", r, errno_name(errno), h.version);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    h.pid = 0;
    r = syscall(SYS_capget, &h, d);
    expect("capget-v3", r == 0, "%s", errno_name(errno));
    expect("root-has-cap-setuid", has_cap(CAP_SETUID) == 1, "missing");
    expect("root-has-cap-kill", has_cap(CAP_KILL) == 1, "missing");
    h.pid = 999999;
    EXPECT_ERR("capget-no-such-pid", syscall(SYS_capget, &h, d), ESRCH);

    in_child("drop-to-uid-1000", child_drop_all);
    in_child("saved-uid", child_saved_uid);
    in_child("fsuid", child_fsuid);
    in_child("capset", child_capset);
}

/* ---- prctl ------------------------------------------------------------------- */

static void g_prctl(void) {
    char name[32] = {0};
    prctl(PR_GET_NAME, name);
    expect("pr-get-name-initial", strcmp(name, "identity") == 0, "name %s", name);
    int r = prctl(PR_SET_NAME, "abcdefghijklmnopqrstuvwxyz");
    memset(name, 0, sizeof name);
    prctl(PR_GET_NAME, name);
    expect("pr-set-name-truncates", r == 0 && strcmp(name, "abcdefghijklmno") == 0,
           "name %s", name);
    prctl(PR_SET_NAME, "husk-test");
    memset(name, 0, sizeof name);
    prctl(PR_GET_NAME, name);
    expect("pr-set-name", strcmp(name, "husk-test") == 0, "name %s", name);
    pid_t c = xfork();
    if (c == 0) {
        char n[32] = {0};
        prctl(PR_GET_NAME, n);
        _exit(strcmp(n, "husk-test") == 0 ? 0 : 1);
    }
    const char *st = wait_text(c);
    expect("name-inherited-by-fork", strcmp(st, "exited 0") == 0, "%s", st);

    int sig = -1;
    prctl(PR_SET_PDEATHSIG, SIGUSR2);
    prctl(PR_GET_PDEATHSIG, &sig);
    expect("pr-pdeathsig-get", sig == SIGUSR2, "got %d", sig);
    c = xfork();
    if (c == 0) {
        int s = -1;
        prctl(PR_GET_PDEATHSIG, &s);
        _exit(s == 0 ? 0 : 1);
    }
    st = wait_text(c);
    expect("pdeathsig-cleared-in-child", strcmp(st, "exited 0") == 0, "%s", st);
    prctl(PR_SET_PDEATHSIG, 0);
    EXPECT_ERR("pr-pdeathsig-bad-signal", prctl(PR_SET_PDEATHSIG, 99), EINVAL);

    int v = -1;
    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0 ? (v = 0) : (v = 1);
    expect("no-new-privs-initially-off", v == 0, "on");
    c = xfork();
    if (c == 0) {
        int a = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        int b = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
        _exit(a == 0 && b == 1 ? 0 : 1);
    }
    st = wait_text(c);
    expect("no-new-privs-set", strcmp(st, "exited 0") == 0, "%s", st);

    EXPECT_OK("pr-get-dumpable", prctl(PR_GET_DUMPABLE));
    EXPECT_ERR("prctl-unknown-option", prctl(0x7fff1234, 0, 0, 0, 0), EINVAL);
}

/* PR_SET_PDEATHSIG: a grandchild set to get SIGUSR1 when its parent dies
 * gets it (and tells us through a pipe). We are a subreaper so that the
 * orphan comes back to us and can be reaped. */
static int death_pipe[2];
static pid_t death_parent;

static void on_death(int sig) {
    char c[2] = {sig == SIGUSR1 ? 'd' : '?', '?'};
    write(death_pipe[1], c, 2);
    _exit(0);
}

/* The record says kill-like (SI_USER) from the parent that died
 * (Linux sends it with SEND_SIG_NOINFO from the exiting parent). */
static void on_death_info(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    char c[2] = {sig == SIGUSR1 ? 'd' : '?', si->si_code == SI_USER && si->si_pid == death_parent ? 'u' : 'x'};
    write(death_pipe[1], c, 2);
    _exit(0);
}

static void g_pdeathsig(void) {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pipe(death_pipe);
    int ready[2];
    pipe(ready);
    pid_t mid = xfork();
    if (mid == 0) {
        pid_t me = getpid();
        pid_t gc = xfork();
        if (gc == 0) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_sigaction = on_death_info;
            sa.sa_flags = SA_SIGINFO;
            death_parent = me;
            sigaction(SIGUSR1, &sa, NULL);
            prctl(PR_SET_PDEATHSIG, SIGUSR1);
            if (getppid() != me) /* the parent died already */
                on_death(SIGUSR1);
            /* Two copies in one (atomic) write: one for the middle
             * child, one for us; the middle's exit may kill us at once. */
            pid_t gme[2] = {getpid(), getpid()};
            write(ready[1], gme, sizeof gme);
            for (;;)
                pause();
        }
        pid_t g;
        read(ready[0], &g, sizeof g);
        _exit(0); /* the grandchild's parent dies */
    }
    wait_text(mid);
    close(ready[1]);
    pid_t gc = 0;
    read(ready[0], &gc, sizeof gc); /* the grandchild's second copy */
    /* Bounded wait for the grandchild's report. */
    fcntl(death_pipe[0], F_SETFL, O_NONBLOCK);
    char c = 0, how = 0;
    long long end = mono_ns() + 5000000000LL;
    while (read(death_pipe[0], &c, 1) != 1 && mono_ns() < end)
        sleep_ms(5);
    expect("pdeathsig-delivered", c == 'd', "no signal within 5 s");
    while (c == 'd' && read(death_pipe[0], &how, 1) != 1 && mono_ns() < end)
        sleep_ms(5);
    expect("pdeathsig-si-user-from-parent", how == 'u', "record %c", how);
    if (c != 'd')
        kill(gc, SIGKILL); /* so that the wait below ends */
    /* The grandchild was reparented to us and can be reaped. */
    int st;
    pid_t r = waitpid(-1, &st, 0);
    expect("pdeathsig-orphan-reaped-by-subreaper", r > 0 && WIFEXITED(st), "%s",
           r > 0 ? status_text(st) : errno_name(errno));
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* A real-time parent-death signal: queued with its record (the sentry
 * once deadlocked counting records under its process table lock). */
static void g_pdeathsig_rt(void) {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int ready[2], report[2];
    pipe(ready);
    pipe(report);
    pid_t mid = xfork();
    if (mid == 0) {
        pid_t me = getpid();
        if (xfork() == 0) {
            sigset_t s;
            sigemptyset(&s);
            sigaddset(&s, SIGRTMIN + 3);
            sigprocmask(SIG_BLOCK, &s, NULL);
            prctl(PR_SET_PDEATHSIG, SIGRTMIN + 3);
            write(ready[1], "r", 1);
            siginfo_t si;
            struct timespec to = {5, 0};
            int r = sigtimedwait(&s, &si, &to);
            char c = r == SIGRTMIN + 3 && si.si_code == SI_USER && si.si_pid == me ? 'u' : 'x';
            write(report[1], &c, 1);
            _exit(0);
        }
        char c;
        read(ready[0], &c, 1);
        _exit(0);
    }
    wait_text(mid);
    close(report[1]);
    char c = 0;
    read(report[0], &c, 1);
    expect("pdeathsig-rt-queued", c == 'u', "record %c", c);
    int st;
    pid_t r = waitpid(-1, &st, 0);
    expect("pdeathsig-rt-reaped", r > 0 && WIFEXITED(st), "%s", r > 0 ? status_text(st) : errno_name(errno));
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static void g_subreaper(void) {
    int v = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &v);
    expect("subreaper-initially-off", v == 0, "value %d", v);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    prctl(PR_GET_CHILD_SUBREAPER, &v);
    expect("subreaper-set", v == 1, "value %d", v);

    pid_t me = getpid();
    int p[2];
    pipe(p);
    pid_t mid = xfork();
    if (mid == 0) {
        pid_t mid_pid = getpid();
        pid_t gc = xfork();
        if (gc == 0) {
            /* Wait until our parent is gone, then look at getppid(). */
            long long end = mono_ns() + 10000000000LL;
            while (getppid() == mid_pid && mono_ns() < end)
                sleep_ms(2);
            char r = getppid() == me ? 'y' : 'n';
            write(p[1], &r, 1);
            _exit(42);
        }
        _exit(7);
    }
    int st;
    pid_t r = waitpid(mid, &st, 0);
    expect("middle-child-exits", r == mid && WIFEXITED(st) && WEXITSTATUS(st) == 7,
           "%s", status_text(st));
    char c = 0;
    read(p[0], &c, 1);
    expect("orphan-reparented-to-subreaper", c == 'y', "getppid is not the subreaper");
    r = waitpid(-1, &st, 0);
    expect("orphan-waitable-by-subreaper", r > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 42,
           "%s", r > 0 ? status_text(st) : errno_name(errno));
    EXPECT_ERR("then-no-children", waitpid(-1, &st, 0), ECHILD);

    /* The flag is not inherited by fork. */
    pid_t k = xfork();
    if (k == 0) {
        int x = -1;
        prctl(PR_GET_CHILD_SUBREAPER, &x);
        _exit(x == 0 ? 0 : 1);
    }
    const char *s = wait_text(k);
    expect("subreaper-not-inherited", strcmp(s, "exited 0") == 0, "%s", s);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* ---- rlimits -------------------------------------------------------------- */

static int child_nofile(void) {
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct rlimit low = {16, rl.rlim_max};
    int r = setrlimit(RLIMIT_NOFILE, &low);
    expect("setrlimit-nofile", r == 0, "%s", errno_name(errno));
    int last = -1, err = 0, opened = 0;
    for (int i = 0; i < 100; i++) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) {
            err = errno;
            break;
        }
        last = fd;
        opened++;
    }
    expect("open-beyond-nofile-emfile", err == EMFILE && last == 15,
           "stopped with %s at fd %d", errno_name(err), last);
    errno = 0;
    r = dup(0);
    expect("dup-beyond-nofile-emfile", r < 0 && errno == EMFILE, "%s",
           r < 0 ? errno_name(errno) : "succeeded");
    errno = 0;
    r = dup2(0, 16);
    expect("dup2-beyond-nofile-ebadf", r < 0 && errno == EBADF, "%s",
           r < 0 ? errno_name(errno) : "succeeded");
    errno = 0;
    r = fcntl(0, F_DUPFD, 16);
    expect("f-dupfd-beyond-nofile-einval", r < 0 && errno == EINVAL, "%s",
           r < 0 ? errno_name(errno) : "succeeded");
    int p[2];
    close(15);
    errno = 0;
    r = pipe(p);
    expect("pipe-needs-two-emfile", r < 0 && errno == EMFILE, "%s",
           r < 0 ? errno_name(errno) : "succeeded");
    /* Inherited by a child. */
    pid_t c = xfork();
    if (c == 0) {
        struct rlimit x;
        getrlimit(RLIMIT_NOFILE, &x);
        _exit(x.rlim_cur == 16 ? 0 : 1);
    }
    const char *st = wait_text(c);
    expect("nofile-inherited", strcmp(st, "exited 0") == 0, "%s", st);
    return 0;
}

static int child_fsize(void) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {100, RLIM_INFINITY};
    setrlimit(RLIMIT_FSIZE, &rl);
    char path[64];
    snprintf(path, sizeof path, "/tmp/husk-fsize-%d", (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    unlink(path);
    char buf[200] = {0};
    ssize_t a = write(fd, buf, sizeof buf);
    errno = 0;
    ssize_t b = write(fd, buf, sizeof buf);
    int e = errno;
    expect("fsize-partial-write", a == 100, "first write %zd", a);
    expect("fsize-then-efbig", b < 0 && e == EFBIG, "second write %zd %s", b,
           errno_name(e));
    return 0;
}

static int child_fsize_signal(void) {
    struct rlimit rl = {10, RLIM_INFINITY};
    setrlimit(RLIMIT_FSIZE, &rl);
    prctl(PR_SET_DUMPABLE, 0);
    char path[64];
    snprintf(path, sizeof path, "/tmp/husk-fsize2-%d", (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    unlink(path);
    char buf[20] = {0};
    write(fd, buf, 10);
    write(fd, buf, 10); /* SIGXFSZ: default action kills */
    return 3;
}

static void g_rlimit(void) {
    struct rlimit rl, pl;
    int r = getrlimit(RLIMIT_NOFILE, &rl);
    expect("getrlimit-nofile", r == 0 && rl.rlim_cur > 16 && rl.rlim_cur <= rl.rlim_max,
           "cur %lu max %lu", (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
    r = prlimit(0, RLIMIT_NOFILE, NULL, &pl);
    expect("prlimit-get-self", r == 0 && pl.rlim_cur == rl.rlim_cur &&
                                   pl.rlim_max == rl.rlim_max,
           "differs from getrlimit");
    r = prlimit(getpid(), RLIMIT_NOFILE, NULL, &pl);
    expect("prlimit-get-own-pid", r == 0 && pl.rlim_cur == rl.rlim_cur, "differs");

    struct rlimit bad = {rl.rlim_max, rl.rlim_max - 1};
    EXPECT_ERR("setrlimit-cur-above-max", setrlimit(RLIMIT_NOFILE, &bad), EINVAL);
    EXPECT_ERR("getrlimit-bad-resource", getrlimit((__rlimit_resource_t)99, &pl),
               EINVAL);
    EXPECT_ERR("prlimit-no-such-pid", prlimit(999999, RLIMIT_NOFILE, NULL, &pl), ESRCH);

    in_child("nofile-limits", child_nofile);
    in_child("fsize-limits", child_fsize);
    pid_t c = xfork();
    if (c == 0)
        _exit(child_fsize_signal());
    int st;
    waitpid(c, &st, 0);
    expect("fsize-sigxfsz-kills", WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ, "%s",
           status_text(st));

    /* prlimit on a child: set its NOFILE and read it back from inside. */
    int go[2], back[2];
    pipe(go);
    pipe(back);
    c = xfork();
    if (c == 0) {
        char b;
        read(go[0], &b, 1);
        struct rlimit x;
        getrlimit(RLIMIT_NOFILE, &x);
        _exit(x.rlim_cur == 33 ? 0 : 1);
    }
    struct rlimit nl = {33, rl.rlim_max}, ol;
    r = prlimit(c, RLIMIT_NOFILE, &nl, &ol);
    expect("prlimit-set-child", r == 0 && ol.rlim_cur == rl.rlim_cur, "%s",
           errno_name(errno));
    write(go[1], "g", 1);
    const char *s = wait_text(c);
    expect("prlimit-child-sees-it", strcmp(s, "exited 0") == 0, "%s", s);

    /* An unprivileged process may lower but not raise its hard limit. */
    c = xfork();
    if (c == 0) {
        setresuid(1000, 1000, 1000);
        struct rlimit x = {64, 128};
        int a = setrlimit(RLIMIT_NOFILE, &x);
        x.rlim_max = 256;
        errno = 0;
        int b = setrlimit(RLIMIT_NOFILE, &x);
        _exit(a == 0 && b < 0 && errno == EPERM ? 0 : 1);
    }
    s = wait_text(c);
    expect("raise-hard-limit-unprivileged-eperm", strcmp(s, "exited 0") == 0, "%s", s);

    /* Other limits read back what was set (lowered only: raising a hard
     * limit needs CAP_SYS_RESOURCE, which CI containers may lack). */
    c = xfork();
    if (c == 0) {
        int resources[] = {RLIMIT_CORE, RLIMIT_STACK, RLIMIT_AS, RLIMIT_NPROC,
                           RLIMIT_MEMLOCK, RLIMIT_CPU, RLIMIT_DATA, RLIMIT_SIGPENDING,
                           RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_RTPRIO};
        for (int i = 0; i < 11; i++) {
            struct rlimit old, x, y;
            getrlimit(resources[i], &old);
            rlim_t want = resources[i] == RLIMIT_STACK ? 8 << 20
                          : resources[i] == RLIMIT_AS || resources[i] == RLIMIT_DATA
                              ? 1ULL << 40
                              : 4096 * (i + 1);
            x.rlim_max = old.rlim_max;
            x.rlim_cur = want < old.rlim_max ? want : old.rlim_max;
            if (setrlimit(resources[i], &x) || getrlimit(resources[i], &y) ||
                y.rlim_cur != x.rlim_cur || y.rlim_max != x.rlim_max)
                _exit(10 + i);
            /* Lower the hard limit too. */
            x.rlim_max = x.rlim_cur;
            if (setrlimit(resources[i], &x) || getrlimit(resources[i], &y) ||
                y.rlim_max != x.rlim_max)
                _exit(30 + i);
        }
        _exit(0);
    }
    s = wait_text(c);
    expect("setrlimit-getrlimit-all", strcmp(s, "exited 0") == 0, "%s", s);
}

/* ---- umask ------------------------------------------------------------------- */

static void g_umask(void) {
    mode_t old = umask(022);
    mode_t prev = umask(077);
    expect("umask-returns-previous", prev == 022, "returned %o", prev);
    char path[64];
    snprintf(path, sizeof path, "/tmp/husk-umask-%d", (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    struct stat st;
    fstat(fd, &st);
    expect("umask-applies-to-open", (st.st_mode & 0777) == 0600, "mode %o",
           st.st_mode & 0777);
    close(fd);
    unlink(path);
    mkdir(path, 0777);
    stat(path, &st);
    expect("umask-applies-to-mkdir", (st.st_mode & 0777) == 0700, "mode %o",
           st.st_mode & 0777);
    rmdir(path);
    pid_t c = xfork();
    if (c == 0)
        _exit(umask(0) == 077 ? 0 : 1);
    const char *s = wait_text(c);
    expect("umask-inherited", strcmp(s, "exited 0") == 0, "%s", s);
    umask(0777 | 07000);
    prev = umask(old);
    expect("umask-keeps-permission-bits", prev == 0777, "returned %o", prev);
}

/* ---- getrusage and times ---------------------------------------------------- */

static void g_usage(void) {
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    int r = getrusage(RUSAGE_SELF, &ru);
    expect("getrusage-self", r == 0 && ru.ru_maxrss > 0 && ru.ru_utime.tv_usec < 1000000,
           "%s", errno_name(errno));
    EXPECT_OK("getrusage-thread", getrusage(RUSAGE_THREAD, &ru));
    EXPECT_ERR("getrusage-bad-who", getrusage(42, &ru), EINVAL);
    EXPECT_ERR("getrusage-efault", syscall(SYS_getrusage, RUSAGE_SELF, (void *)8),
               EFAULT);

    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    spin_cpu_ms(100);
    getrusage(RUSAGE_SELF, &after);
    long long d = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) * 1000000LL +
                  (after.ru_utime.tv_usec - before.ru_utime.tv_usec) +
                  (after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1000000LL +
                  (after.ru_stime.tv_usec - before.ru_stime.tv_usec);
    expect("getrusage-self-counts-cpu", d >= 50000, "%lld us for 100 ms of spinning",
           d);

    struct rusage ch0, ch1;
    getrusage(RUSAGE_CHILDREN, &ch0);
    struct tms t0, t1;
    clock_t c0 = times(&t0);
    pid_t c = xfork();
    if (c == 0) {
        spin_cpu_ms(200);
        _exit(0);
    }
    int before_wait_ok;
    sleep_ms(1);
    getrusage(RUSAGE_CHILDREN, &ch1);
    before_wait_ok = ch1.ru_utime.tv_sec == ch0.ru_utime.tv_sec &&
                     ch1.ru_utime.tv_usec == ch0.ru_utime.tv_usec;
    waitpid(c, NULL, 0);
    getrusage(RUSAGE_CHILDREN, &ch1);
    clock_t c1 = times(&t1);
    d = (ch1.ru_utime.tv_sec - ch0.ru_utime.tv_sec) * 1000000LL +
        (ch1.ru_utime.tv_usec - ch0.ru_utime.tv_usec) +
        (ch1.ru_stime.tv_sec - ch0.ru_stime.tv_sec) * 1000000LL +
        (ch1.ru_stime.tv_usec - ch0.ru_stime.tv_usec);
    expect("getrusage-children-only-after-wait", before_wait_ok,
           "counted before being waited for");
    expect("getrusage-children", d >= 100000, "%lld us for 200 ms of spinning", d);
    long ticks = (long)((t1.tms_cutime + t1.tms_cstime) - (t0.tms_cutime + t0.tms_cstime));
    expect("times-children", ticks >= 10, "%ld ticks for 200 ms", ticks);
    expect("times-elapsed-advances", c1 != (clock_t)-1 && c1 >= c0, "went back");
    EXPECT_OK("times-null", syscall(SYS_times, NULL));
}

/* ---- scheduling: affinity, getcpu, priorities ------------------------------ */

static void g_sched(void) {
    cpu_set_t set, one, cur;
    int r = sched_getaffinity(0, sizeof set, &set);
    int n = CPU_COUNT(&set);
    expect("sched-getaffinity", r == 0 && n >= 1, "%s, %d cpus", errno_name(errno), n);
    long raw = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
    expect("sched-getaffinity-raw-returns-size", raw > 0 && raw % 8 == 0 &&
                                                     raw <= (long)sizeof set,
           "returned %ld", raw);
    EXPECT_ERR("sched-getaffinity-too-small",
               syscall(SYS_sched_getaffinity, 0, 1, &set), EINVAL);
    EXPECT_ERR("sched-getaffinity-no-such-pid", sched_getaffinity(999999, sizeof set, &set),
               ESRCH);

    /* Pin to each allowed CPU in turn: getaffinity and getcpu agree. */
    sched_getaffinity(0, sizeof set, &set);
    int pinned_ok = 1, getcpu_ok = 1, vdso_ok = 1;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &set))
            continue;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (sched_setaffinity(0, sizeof one, &one) != 0) {
            pinned_ok = 0;
            continue;
        }
        sched_getaffinity(0, sizeof cur, &cur);
        pinned_ok &= CPU_COUNT(&cur) == 1 && CPU_ISSET(cpu, &cur);
        sched_yield();
        unsigned c = 99, node = 99;
        if (syscall(SYS_getcpu, &c, &node, NULL) != 0 || c != (unsigned)cpu)
            getcpu_ok = 0;
        if (sched_getcpu() != cpu)
            vdso_ok = 0;
    }
    expect("sched-setaffinity-one-cpu", pinned_ok, "getaffinity differs");
    expect("getcpu-syscall-follows-affinity", getcpu_ok, "getcpu on another cpu");
    expect("sched-getcpu-follows-affinity", vdso_ok, "sched_getcpu on another cpu");
    r = sched_setaffinity(0, sizeof set, &set);
    sched_getaffinity(0, sizeof cur, &cur);
    expect("sched-setaffinity-restore", r == 0 && CPU_EQUAL(&cur, &set), "differs");
    CPU_ZERO(&one);
    EXPECT_ERR("sched-setaffinity-empty", sched_setaffinity(0, sizeof one, &one), EINVAL);

    /* Affinity is inherited. */
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set)) {
            CPU_SET(cpu, &one);
            break;
        }
    sched_setaffinity(0, sizeof one, &one);
    pid_t c = xfork();
    if (c == 0) {
        cpu_set_t x;
        sched_getaffinity(0, sizeof x, &x);
        _exit(CPU_EQUAL(&x, &one) ? 0 : 1);
    }
    const char *s = wait_text(c);
    expect("affinity-inherited", strcmp(s, "exited 0") == 0, "%s", s);
    sched_setaffinity(0, sizeof set, &set);

    unsigned cpu = 999, node = 999;
    r = syscall(SYS_getcpu, &cpu, &node, NULL);
    expect("getcpu", r == 0 && CPU_ISSET(cpu, &set), "%s", errno_name(errno));
    EXPECT_OK("getcpu-null-args", syscall(SYS_getcpu, NULL, NULL, NULL));

    expect("sched-getscheduler", sched_getscheduler(0) == SCHED_OTHER, "policy %d",
           sched_getscheduler(0));
    expect("sched-priority-range", sched_get_priority_max(SCHED_FIFO) == 99 &&
                                       sched_get_priority_min(SCHED_FIFO) == 1 &&
                                       sched_get_priority_max(SCHED_OTHER) == 0,
           "range differs");
    struct sched_param sp;
    r = sched_getparam(0, &sp);
    expect("sched-getparam", r == 0 && sp.sched_priority == 0, "%s", errno_name(errno));
    struct timespec q = {9, 9};
    r = sched_rr_get_interval(0, &q);
    expect("rr-interval-fair-is-zero", r == 0 && q.tv_sec == 0 && q.tv_nsec == 0, "%s %ld", errno_name(errno), q.tv_nsec);
    EXPECT_ERR("rr-interval-negative-pid", sched_rr_get_interval(-1, &q), EINVAL);
    EXPECT_ERR("rr-interval-no-such-pid", sched_rr_get_interval(999999, &q), ESRCH);
    EXPECT_ERR("rr-interval-bad-pointer", sched_rr_get_interval(0, (struct timespec *)8), EFAULT);

    c = xfork();
    if (c == 0) {
        errno = 0;
        int p0 = getpriority(PRIO_PROCESS, 0);
        int a = setpriority(PRIO_PROCESS, 0, p0 + 5);
        int p1 = getpriority(PRIO_PROCESS, 0);
        int n2 = nice(1);
        int p2 = getpriority(PRIO_PROCESS, 0);
        _exit(a == 0 && p1 == p0 + 5 && n2 == p0 + 6 && p2 == p0 + 6 ? 0 : 1);
    }
    s = wait_text(c);
    expect("setpriority-nice", strcmp(s, "exited 0") == 0, "%s", s);
    c = xfork();
    if (c == 0) {
        setresuid(1000, 1000, 1000);
        int p0 = getpriority(PRIO_PROCESS, 0);
        errno = 0;
        int a = setpriority(PRIO_PROCESS, 0, p0 - 1);
        _exit(a < 0 && errno == EACCES ? 0 : 1);
    }
    s = wait_text(c);
    expect("raise-priority-unprivileged-eacces", strcmp(s, "exited 0") == 0, "%s", s);
    EXPECT_OK("sched-yield", sched_yield());
}

/* ---- fs ids --------------------------------------------------------------- */

static char fs_dir[64];

static void fs_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/%s", fs_dir, name);
}

/* "uid:gid" of a file, or the errno name. */
static const char *owner_of(const char *path) {
    static char buf[48];
    struct stat st;
    if (stat(path, &st) < 0)
        return errno_name(errno);
    snprintf(buf, sizeof buf, "%u:%u", (unsigned)st.st_uid, (unsigned)st.st_gid);
    return buf;
}

/* The four ids of a "Uid:" or "Gid:" line of /proc/self/status. */
static const char *status_ids(const char *key) {
    static char buf[128];
    FILE *f = fopen("/proc/self/status", "r");
    buf[0] = 0;
    if (!f)
        return "no status";
    char line[256];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0) {
            snprintf(buf, sizeof buf, "%s", line + strlen(key));
            buf[strcspn(buf, "\n")] = 0;
        }
    fclose(f);
    return buf;
}

/* Root with fsuid/fsgid 1000: file access is checked and new files are
 * owned with the fs ids, while the real and effective ids stay 0. */
static int child_fsids(void) {
    char secret[128], mine[128], mine2[128], sub[128];
    fs_path(secret, sizeof secret, "secret");
    fs_path(mine, sizeof mine, "mine");
    fs_path(mine2, sizeof mine2, "mine2");
    fs_path(sub, sizeof sub, "rootonly/sub");
    EXPECT_OK("root-opens-secret", close(open(secret, O_RDONLY)));
    setfsuid(1000);
    EXPECT_ERR("fsuid-open-0600-eacces", open(secret, O_RDONLY), EACCES);
    EXPECT_ERR("fsuid-open-write-eacces", open(secret, O_WRONLY), EACCES);
    /* access(2) checks with the real ids, AT_EACCESS with the fs ids. */
    EXPECT_OK("access-uses-real-uid", access(secret, R_OK));
    EXPECT_ERR("faccessat-eaccess-uses-fsuid", faccessat(AT_FDCWD, secret, R_OK, AT_EACCESS), EACCES);
    expect("ids-unchanged", getuid() == 0 && geteuid() == 0, "uid %d euid %d", (int)getuid(), (int)geteuid());
    const char *u = status_ids("Uid:");
    expect("proc-status-fsuid", strcmp(u, "\t0\t0\t0\t1000") == 0, "Uid:%s", u);
    int fd = open(mine, O_CREAT | O_WRONLY, 0644);
    expect("fsuid-create", fd >= 0, "%s", errno_name(errno));
    close(fd);
    const char *o = owner_of(mine);
    expect("fsuid-owns-new-file", strcmp(o, "1000:0") == 0, "owner %s", o);
    setfsgid(1000);
    fd = open(mine2, O_CREAT | O_WRONLY, 0644);
    close(fd);
    o = owner_of(mine2);
    expect("fsgid-owns-new-file", strcmp(o, "1000:1000") == 0, "owner %s", o);
    EXPECT_ERR("fsuid-mkdir-in-0755-root-dir-eacces", mkdir(sub, 0755), EACCES);
    EXPECT_ERR("fsuid-chmod-others-file-eperm", chmod(secret, 0644), EPERM);
    EXPECT_OK("fsuid-chmod-own-file", chmod(mine, 0600));
    EXPECT_ERR("fsuid-chown-eperm", chown(mine, 0, 0), EPERM);
    EXPECT_OK("fsuid-chown-own-file-to-fsgid", chown(mine, -1, 1000));
    /* Back to fsuid 0: access again, and the file capabilities with it. */
    setfsuid(0);
    EXPECT_OK("fsuid-0-opens-secret", close(open(secret, O_RDONLY)));
    EXPECT_OK("fsuid-0-chown", chown(mine, 0, 0));
    /* setresuid, setreuid and setuid set fsuid to the new euid. */
    setfsuid(1234);
    setresuid(-1, 1000, -1);
    expect("setresuid-sets-fsuid", setfsuid(-1) == 1000, "fsuid %d", setfsuid(-1));
    EXPECT_ERR("euid-1000-open-eacces", open(secret, O_RDONLY), EACCES);
    setreuid(-1, 0);
    expect("setreuid-sets-fsuid", setfsuid(-1) == 0, "fsuid %d", setfsuid(-1));
    setfsuid(1234);
    setuid(0);
    expect("setuid-sets-fsuid", setfsuid(-1) == 0, "fsuid %d", setfsuid(-1));
    setfsgid(1234);
    setresgid(-1, 0, -1);
    expect("setresgid-sets-fsgid", setfsgid(-1) == 0, "fsgid %d", setfsgid(-1));
    return 0;
}

static void g_fsids(void) {
    snprintf(fs_dir, sizeof fs_dir, "/tmp/husk-fsids-%d", (int)getpid());
    mkdir(fs_dir, 0777);
    chmod(fs_dir, 0777);
    char p[128];
    fs_path(p, sizeof p, "secret");
    int fd = open(p, O_CREAT | O_WRONLY, 0600);
    write(fd, "s", 1);
    close(fd);
    fs_path(p, sizeof p, "rootonly");
    mkdir(p, 0755);
    in_child("fsids-child", child_fsids);
    const char *names[] = {"secret", "mine", "mine2", "rootonly/sub"};
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
        fs_path(p, sizeof p, names[i]);
        unlink(p);
        rmdir(p);
    }
    fs_path(p, sizeof p, "rootonly");
    rmdir(p);
    rmdir(fs_dir);
}

/* Timer slack: PR_SET/GET_TIMERSLACK and /proc/PID/timerslack_ns (the
 * process's main thread; thread directories have none) show the same
 * per-thread value; 0 restores the default, which for a new thread is its
 * creator's slack when it was made; a child inherits it. */
static long slack_file(void) {
    char buf[64] = {0};
    int fd = open("/proc/self/timerslack_ns", O_RDONLY);
    if (fd < 0)
        return -1;
    read(fd, buf, sizeof buf - 1);
    close(fd);
    return atol(buf);
}

static void *slack_thread(void *arg) {
    long *out = arg;
    out[0] = prctl(PR_GET_TIMERSLACK);
    prctl(PR_SET_TIMERSLACK, 777);
    prctl(PR_SET_TIMERSLACK, 0);
    out[1] = prctl(PR_GET_TIMERSLACK);
    return NULL;
}

static void g_timerslack(void) {
    long first = prctl(PR_GET_TIMERSLACK);
    expect("initial-matches-proc", first > 0 && slack_file() == first, "%ld vs %ld", first, slack_file());
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/timerslack_ns", (int)syscall(SYS_gettid));
    expect("not-in-thread-dirs", access(path, F_OK) < 0 && errno == ENOENT, "%s", errno_name(errno));
    EXPECT_OK("set", prctl(PR_SET_TIMERSLACK, 123456));
    expect("get-after-set", prctl(PR_GET_TIMERSLACK) == 123456 && slack_file() == 123456, "%d",
           prctl(PR_GET_TIMERSLACK));
    long seen[2] = {0, 0};
    pthread_t t;
    pthread_create(&t, NULL, slack_thread, seen);
    pthread_join(t, NULL);
    expect("thread-inherits-and-0-restores-creators", seen[0] == 123456 && seen[1] == 123456, "%ld %ld", seen[0],
           seen[1]);
    expect("main-unchanged-by-thread", prctl(PR_GET_TIMERSLACK) == 123456, "%d", prctl(PR_GET_TIMERSLACK));
    int fd = open("/proc/self/timerslack_ns", O_WRONLY);
    long w = fd < 0 ? -1 : write(fd, "5000", 4);
    close(fd);
    expect("proc-write", w == 4 && prctl(PR_GET_TIMERSLACK) == 5000, "%ld %d", w, prctl(PR_GET_TIMERSLACK));
    pid_t c = fork();
    if (c == 0)
        _exit(prctl(PR_GET_TIMERSLACK) == 5000 ? 0 : 1);
    int st = 0;
    waitpid(c, &st, 0);
    expect("fork-inherits", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%x", st);
    prctl(PR_SET_TIMERSLACK, 0);
    expect("zero-restores-default", prctl(PR_GET_TIMERSLACK) == first, "%d vs %ld", prctl(PR_GET_TIMERSLACK), first);
}

/* personality(2): asked with 0xffffffff, set with anything (the old value
 * comes back), shown in /proc/PID/personality, inherited over fork, kept
 * over exec except READ_IMPLIES_EXEC; PER_LINUX32 and UNAME26 change
 * uname, READ_IMPLIES_EXEC makes readable mappings executable. */
static void read_into(const char *path, char *buf, size_t n) {
    buf[0] = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    ssize_t r = read(fd, buf, n - 1);
    buf[r > 0 ? r : 0] = 0;
    close(fd);
}

/* The permission field of the mapping holding `addr`, from /proc/self/maps. */
static void perms_of(void *addr, char *out) {
    strcpy(out, "none");
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && (unsigned long)addr >= lo && (unsigned long)addr < hi)
            strcpy(out, perms);
    }
    if (f)
        fclose(f);
}

static void g_personality(void) {
    char buf[256];
    int cur = personality(0xffffffff);
    expect("query-is-linux", cur == PER_LINUX, "%x", cur);
    read_into("/proc/self/personality", buf, sizeof buf);
    expect("proc-linux", strcmp(buf, "00000000\n") == 0, "%s", buf);
    int old = personality(ADDR_NO_RANDOMIZE);
    expect("set-returns-old", old == PER_LINUX, "%x", old);
    expect("query-after-set", personality(0xffffffff) == ADDR_NO_RANDOMIZE, "%x", personality(0xffffffff));
    read_into("/proc/self/personality", buf, sizeof buf);
    expect("proc-after-set", strcmp(buf, "00040000\n") == 0, "%s", buf);
    struct utsname u;
    personality(PER_LINUX32);
    uname(&u);
    expect("linux32-machine", strcmp(u.machine, "i686") == 0, "%s", u.machine);
    personality(PER_LINUX | UNAME26);
    uname(&u);
    expect("uname26-release", strncmp(u.release, "2.6.", 4) == 0, "%s", u.release);
    personality(PER_LINUX);
    uname(&u);
    expect("back-to-x86_64", strcmp(u.machine, "x86_64") == 0 && strncmp(u.release, "2.6.", 4) != 0, "%s %s",
           u.machine, u.release);
    personality(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC);
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        char line[64];
        snprintf(line, sizeof line, "%x\n", personality(0xffffffff));
        write(p[1], line, strlen(line));
        dup2(p[1], 1);
        execl("/bin/cat", "cat", "/proc/self/personality", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    int total = n > 0 ? (int)n : 0;
    while ((n = read(p[0], buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    buf[total] = 0;
    close(p[0]);
    waitpid(c, NULL, 0);
    expect("fork-inherits-exec-clears-read-implies-exec", strcmp(buf, "440000\n00040000\n") == 0, "%s", buf);
    personality(READ_IMPLIES_EXEC);
    char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    perms_of(m, buf);
    expect("read-implies-exec-mmap", strcmp(buf, "r-xp") == 0, "%s", buf);
    mprotect(m, 4096, PROT_READ | PROT_WRITE);
    perms_of(m, buf);
    expect("read-implies-exec-mprotect", strcmp(buf, "rwxp") == 0, "%s", buf);
    personality(PER_LINUX);
    mprotect(m, 4096, PROT_READ);
    perms_of(m, buf);
    expect("plain-again", strcmp(buf, "r--p") == 0, "%s", buf);
    munmap(m, 4096);
}

static const struct test_group groups[] = {
    {"ids", g_ids},         {"creds", g_creds},   {"prctl", g_prctl},
    {"pdeathsig", g_pdeathsig}, {"pdeathsig-rt", g_pdeathsig_rt}, {"subreaper", g_subreaper}, {"rlimit", g_rlimit},
    {"umask", g_umask},     {"usage", g_usage},   {"sched", g_sched},
    {"fsids", g_fsids},     {"personality", g_personality}, {"timerslack", g_timerslack},
};

int main(int argc, char **argv) { return RUN_GROUPS(argc, argv, groups); }
