/*
 * PID namespaces (pid_namespaces(7)): clone(CLONE_NEWPID), unshare and
 * setns, the numbers a process has in its own namespace and its parent's,
 * the namespace's init (orphans, signal protection, its exit killing the
 * rest), /proc as a namespace sees it, and the pids that system calls
 * report across namespaces (wait, siginfo, socket credentials, locks,
 * fcntl owners, terminals).
 *
 * Run as root, natively and under husk; every line is "name: ok" or what
 * differed, so the two outputs compare equal. Numbers that depend on the
 * machine (pids of the parent's namespace) are only compared with each
 * other, never printed.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>

/* clone(CLONE_NEWPID | extra) like fork: 0 in the child. */
static pid_t fork_newpid(unsigned long extra, pid_t *ptid, pid_t *ctid) {
    fflush(stdout);
    return syscall(SYS_clone, CLONE_NEWPID | SIGCHLD | extra, 0, ptid, ctid, 0);
}

/* The text of a symlink ("" on error). */
static const char *link_text(const char *path) {
    static char buf[4][256];
    static int i;
    char *b = buf[i++ % 4];
    ssize_t n = readlink(path, b, 255);
    b[n < 0 ? 0 : n] = 0;
    return b;
}

/* A line of /proc/<pid>/status starting with `key` (its value), or "". */
static const char *status_field(const char *proc, const char *pid, const char *key) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s/status", proc, pid);
    return proc_status_field(path, key);
}

/* The numeric entries of a /proc directory, space-separated and sorted. */
static const char *proc_pids(const char *proc) {
    static char out[256];
    int pids[64], n = 0;
    DIR *d = opendir(proc);
    out[0] = 0;
    if (!d)
        return "(no dir)";
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*e->d_name && !*end)
            pids[n++] = (int)v;
    }
    closedir(d);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (pids[j] < pids[i]) {
                int t = pids[i];
                pids[i] = pids[j];
                pids[j] = t;
            }
    for (int i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%d", i ? " " : "", pids[i]);
    return out;
}

/* A fresh /proc for the caller's PID namespace at a new directory. The
 * mount goes into a private mount namespace where there is one to make
 * (natively, so the host's mounts are untouched). */
static char proc_dir[64];
static int mount_own_proc(void) {
    if (unshare(CLONE_NEWNS) == 0)
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    snprintf(proc_dir, sizeof proc_dir, "/tmp/pidns-proc-XXXXXX");
    if (!mkdtemp(proc_dir))
        return -1;
    return mount("proc", proc_dir, "proc", 0, NULL);
}

static void unmount_own_proc(void) {
    umount2(proc_dir, MNT_DETACH);
    rmdir(proc_dir);
}

/* Reads an int from a pipe (-1 on EOF). */
static int read_int(int fd) {
    int v;
    return read(fd, &v, sizeof v) == sizeof v ? v : -1;
}

static void write_int(int fd, int v) {
    write(fd, &v, sizeof v);
}

/* Runs `body` in a child of ours and waits for it: under husk the test
 * program itself is the sandbox's init, natively it is not, so checks that
 * depend on the caller not being an init run one level down. */
static void in_helper(void (*body)(void)) {
    pid_t h = xfork();
    if (h == 0) {
        body();
        fflush(stdout);
        _exit(0);
    }
    const char *s = wait_text(h);
    if (strcmp(s, "exited 0") != 0)
        printf("helper: %s\n", s);
}

/* ---- clone(CLONE_NEWPID): the numbers ------------------------------------ */

static void clone_ids_body(void) {
    pid_t ptid = 0, ctid = 0;
    int p[2], q[2];
    pipe(p);
    pipe(q);
    pid_t c = fork_newpid(CLONE_PARENT_SETTID | CLONE_CHILD_SETTID, &ptid, &ctid);
    if (c == 0) {
        expect("child-getpid-is-1", getpid() == 1, "getpid %d", getpid());
        expect("child-gettid-is-1", syscall(SYS_gettid) == 1, "gettid %ld", syscall(SYS_gettid));
        expect("child-getppid-is-0", getppid() == 0, "getppid %d", getppid());
        expect("child-settid-is-1", ctid == 1, "child_tid %d", ctid);
        expect("child-set-tid-address-is-1", syscall(SYS_set_tid_address, &ctid) == 1, "other");
        /* Its process group and session are its parent's: not shown here. */
        expect("child-getpgrp-is-0", getpgrp() == 0, "getpgrp %d", getpgrp());
        expect("child-getsid-is-0", getsid(0) == 0, "getsid %d", getsid(0));
        expect("child-getpgid-of-1-is-0", getpgid(1) == 0, "getpgid %d", getpgid(1));
        /* Nothing of the parent's namespace can be named from here. */
        write_int(p[1], 0);
        int parent = read_int(q[0]);
        EXPECT_ERR("child-kill-parent-pid-esrch", kill(parent, 0), ESRCH);
        EXPECT_ERR("child-getpgid-parent-pid-esrch", getpgid(parent), ESRCH);
        pid_t g = xfork();
        if (g == 0) {
            expect("grandchild-getpid-is-2", getpid() == 2, "getpid %d", getpid());
            expect("grandchild-getppid-is-1", getppid() == 1, "getppid %d", getppid());
            _exit(4);
        }
        int st;
        pid_t w = waitpid(-1, &st, 0);
        expect("child-fork-returns-2", g == 2, "fork returned %d", g);
        expect("child-waitpid-returns-2", w == 2, "waitpid returned %d", w);
        expect("grandchild-status", WIFEXITED(st) && WEXITSTATUS(st) == 4, "%s", status_text(st));
        setsid();
        expect("child-setsid-then-getsid-is-1", getsid(0) == 1 && getpgrp() == 1, "sid %d pgrp %d", getsid(0),
               getpgrp());
        _exit(3);
    }
    read_int(p[0]);
    /* Printed while the child waits, so the output's order is fixed. */
    expect("parent-sees-child-pid", c > 0 && c != 1 && c != getpid(), "clone returned %d", c);
    expect("parent-settid-is-its-number", ptid == c, "parent_tid %d, clone %d", ptid, c);
    write_int(q[1], getpid());
    int st;
    pid_t w = waitpid(c, &st, 0);
    expect("parent-waitpid-returns-child", w == c, "waitpid %d, child %d", w, c);
    expect("child-status", WIFEXITED(st) && WEXITSTATUS(st) == 3, "%s", status_text(st));
}

static void clone_ids(void) {
    in_helper(clone_ids_body);
}

/* kill(0) from inside reaches its whole process group, members outside
 * the namespace included (the group is its parent's). */
static volatile sig_atomic_t usr2_count;
static void on_usr2(int sig) {
    (void)sig;
    usr2_count++;
}

static void pgrp_body(void) {
    signal(SIGUSR2, on_usr2);
    pid_t c = fork_newpid(0, NULL, NULL);
    if (c == 0) {
        EXPECT_OK("inside-kill-0", kill(0, SIGUSR2));
        _exit(0);
    }
    wait_text(c);
    sleep_ms(20);
    expect("outside-member-got-it", usr2_count == 1, "count %d", usr2_count);
}

static void pgrp(void) {
    /* The test program is in the group too. */
    signal(SIGUSR2, SIG_IGN);
    in_helper(pgrp_body);
    signal(SIGUSR2, SIG_DFL);
}

/* ---- flag combinations and privileges ------------------------------------- */

static void errors_body(void) {
    errno = 0;
    long r = syscall(SYS_clone, CLONE_NEWPID | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, 0, 0, 0, 0);
    expect_ret("clone-newpid-thread-einval", r, errno, -1, EINVAL);
    /* CLONE_PARENT with a new namespace is fine for a caller that is no
     * init: the child is its sibling (the top-level program reaps it). */
    pid_t c = fork_newpid(CLONE_PARENT, NULL, NULL);
    if (c == 0)
        _exit(getpid() == 1 ? 0 : 1);
    expect("clone-newpid-parent-ok", c > 0, "failed with %s", errno_name(errno));
    pid_t me = getpid();
    c = fork_newpid(0, NULL, NULL);
    if (c == 0) {
        /* An init may not make siblings. */
        errno = 0;
        long r2 = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
        if (r2 == 0)
            _exit(0);
        expect_ret("init-clone-parent-einval", r2, errno, -1, EINVAL);
        /* The parent's namespace (seen through the /proc it was given) is
         * an ancestor: setns there is refused. */
        char up[64];
        snprintf(up, sizeof up, "/proc/%d/ns/pid", me);
        int ufd = open(up, O_RDONLY);
        EXPECT_ERR("setns-to-ancestor-einval", setns(ufd, CLONE_NEWPID), EINVAL);
        /* Its own is fine. */
        int own = open("/proc/self/ns/pid", O_RDONLY);
        EXPECT_OK("setns-to-own-ok", setns(own, 0));
        /* Without CAP_SYS_ADMIN: EPERM. */
        pid_t u = xfork();
        if (u == 0) {
            if (setuid(65534) < 0)
                _exit(1);
            EXPECT_ERR("unprivileged-unshare-eperm", unshare(CLONE_NEWPID), EPERM);
            errno = 0;
            long r3 = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
            if (r3 == 0)
                _exit(0);
            expect_ret("unprivileged-clone-eperm", r3, errno, -1, EPERM);
            EXPECT_ERR("unprivileged-setns-eperm", setns(own, CLONE_NEWPID), EPERM);
            _exit(0);
        }
        waitpid(u, NULL, 0);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    EXPECT_ERR("unshare-unknown-flag-einval", syscall(SYS_unshare, 0x2), EINVAL);
    EXPECT_ERR("setns-not-a-namespace-einval", setns(0, 0), EINVAL);
}

static void errors(void) {
    in_helper(errors_body);
    /* The CLONE_PARENT child the helper made is ours. */
    const char *s = wait_text(-1);
    expect("clone-parent-sibling-status", strcmp(s, "exited 0") == 0, "%s", s);
}

/* ---- unshare(CLONE_NEWPID) and setns ---------------------------------------- */

static void unshare_group(void) {
    pid_t c = xfork();
    if (c != 0) {
        int st;
        waitpid(c, &st, 0);
        expect("unshare-helper-status", WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
        return;
    }
    /* In a child of ours, so the test's own process stays where it is. */
    pid_t me = getpid();
    char own[64];
    snprintf(own, sizeof own, "%s", link_text("/proc/self/ns/pid"));
    expect("ns-link-format", strncmp(own, "pid:[", 5) == 0 && own[strlen(own) - 1] == ']', "%s", own);
    expect("pid-for-children-same-before", strcmp(own, link_text("/proc/self/ns/pid_for_children")) == 0, "%s vs %s",
           own, link_text("/proc/self/ns/pid_for_children"));
    struct stat sb;
    stat("/proc/self/ns/pid", &sb);
    expect("ns-inode-matches-link", (unsigned long)sb.st_ino == strtoul(own + 5, NULL, 10), "ino %lu for %s",
           (unsigned long)sb.st_ino, own);
    EXPECT_OK("unshare-newpid", unshare(CLONE_NEWPID));
    expect("getpid-unchanged", getpid() == me, "getpid %d was %d", getpid(), me);
    expect("own-ns-unchanged", strcmp(own, link_text("/proc/self/ns/pid")) == 0, "%s", link_text("/proc/self/ns/pid"));
    /* Until its first process exists, the new namespace has no link. */
    char kids[64];
    EXPECT_ERR("pid-for-children-none-yet", readlink("/proc/self/ns/pid_for_children", kids, sizeof kids), ENOENT);
    EXPECT_ERR("second-unshare-einval", unshare(CLONE_NEWPID), EINVAL);
    errno = 0;
    long r = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
    if (r == 0)
        _exit(0);
    expect_ret("clone-newpid-after-unshare-einval", r, errno, -1, EINVAL);
    errno = 0;
    r = syscall(SYS_clone, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, 0, 0, 0, 0);
    expect_ret("thread-after-unshare-einval", r, errno, -1, EINVAL);

    int p[2], ready[2];
    pipe(p);
    pipe(ready);
    pid_t init = xfork();
    if (init == 0) {
        expect("first-child-is-1", getpid() == 1 && getppid() == 0, "pid %d ppid %d", getpid(), getppid());
        write_int(ready[1], 0);
        read_int(p[0]);
        _exit(0);
    }
    read_int(ready[0]);
    snprintf(kids, sizeof kids, "%s", link_text("/proc/self/ns/pid_for_children"));
    char ipath[64];
    snprintf(ipath, sizeof ipath, "/proc/%d/ns/pid", init);
    expect("pid-for-children-is-child-ns", strncmp(kids, "pid:[", 5) == 0 && strcmp(kids, own) != 0 &&
           strcmp(kids, link_text(ipath)) == 0, "%s vs %s", kids, link_text(ipath));
    pid_t second = xfork();
    if (second == 0) {
        /* Also a child of the unsharer, which its namespace does not show. */
        expect("second-child-is-2", getpid() == 2 && getppid() == 0, "pid %d ppid %d", getpid(), getppid());
        fflush(stdout);
        write_int(ready[1], 0);
        for (;;)
            pause();
    }
    read_int(ready[0]);
    /* setns back to where children went: accepted (own or below). */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", init);
    int fd = open(path, O_RDONLY);
    EXPECT_OK("open-ns-file", fd);
    EXPECT_ERR("setns-wrong-type-einval", setns(fd, CLONE_NEWNET), EINVAL);
    EXPECT_OK("setns-child-ns", setns(fd, CLONE_NEWPID));
    close(fd);
    pid_t third = xfork();
    if (third == 0) {
        expect("setns-child-is-3", getpid() == 3, "pid %d", getpid());
        _exit(0);
    }
    expect("third-status", strcmp(wait_text(third), "exited 0") == 0, "other");
    /* The namespace's init exits: the second child dies with it (the init
     * finishes exiting once that zombie is reaped), and no one may join
     * any more. */
    write_int(p[1], 1);
    const char *s2 = wait_text(second);
    expect("second-killed-with-init", strcmp(s2, "killed by SIGKILL") == 0, "%s", s2);
    expect("init-status", strcmp(wait_text(init), "exited 0") == 0, "other");
    EXPECT_ERR("fork-after-init-exit-enomem", fork(), ENOMEM);
    _exit(0);
}

/* ---- /proc of a namespace ---------------------------------------------------- */

static void proc_group(void) {
    int p[2], q[2], gq[2];
    pipe(p);
    pipe(q);
    pipe(gq);
    pid_t c = fork_newpid(0, NULL, NULL);
    if (c == 0) {
        /* The /proc it was given shows the parent's namespace. */
        expect("old-proc-self-is-not-1", strcmp(link_text("/proc/self"), "1") != 0, "%s", link_text("/proc/self"));
        EXPECT_OK("mount-proc", mount_own_proc());
        pid_t g = xfork();
        if (g == 0) {
            read_int(gq[0]);
            _exit(0);
        }
        char path[128];
        snprintf(path, sizeof path, "%s/self", proc_dir);
        expect("proc-self-is-1", strcmp(link_text(path), "1") == 0, "%s", link_text(path));
        snprintf(path, sizeof path, "%s/thread-self", proc_dir);
        expect("proc-thread-self", strcmp(link_text(path), "1/task/1") == 0, "%s", link_text(path));
        expect("proc-lists-1-2", strcmp(proc_pids(proc_dir), "1 2") == 0, "%s", proc_pids(proc_dir));
        expect("proc-2-nspid", strcmp(status_field(proc_dir, "2", "NSpid"), "2") == 0, "%s",
               status_field(proc_dir, "2", "NSpid"));
        expect("proc-2-ppid", strcmp(status_field(proc_dir, "2", "PPid"), "1") == 0, "%s",
               status_field(proc_dir, "2", "PPid"));
        expect("proc-1-ppid-0", strcmp(status_field(proc_dir, "1", "PPid"), "0") == 0, "%s",
               status_field(proc_dir, "1", "PPid"));
        expect("proc-1-nspgid-0", strcmp(status_field(proc_dir, "1", "NSpgid"), "0") == 0, "%s",
               status_field(proc_dir, "1", "NSpgid"));
        char stat[512] = "";
        snprintf(path, sizeof path, "%s/2/stat", proc_dir);
        FILE *f = fopen(path, "r");
        if (f) {
            fgets(stat, sizeof stat, f);
            fclose(f);
        }
        int spid = 0, sppid = -1;
        sscanf(stat, "%d (%*[^)]) %*c %d", &spid, &sppid);
        expect("proc-2-stat-ids", spid == 2 && sppid == 1, "%d %d", spid, sppid);
        snprintf(path, sizeof path, "%s/1/ns/pid", proc_dir);
        expect("proc-ns-link-own", strcmp(link_text(path), link_text("/proc/self/ns/pid")) == 0, "%s",
               link_text(path));
        write_int(p[1], 0);
        read_int(q[0]);
        write_int(gq[1], 0);
        waitpid(g, NULL, 0);
        unmount_own_proc();
        _exit(0);
    }
    read_int(p[0]);
    /* From the parent: two numbers, the first the parent's for it. */
    char cs[16], want[64];
    snprintf(cs, sizeof cs, "%d", c);
    snprintf(want, sizeof want, "%d\t1", c);
    expect("parent-view-nspid", strcmp(status_field("/proc", cs, "NSpid"), want) == 0, "%s",
           status_field("/proc", cs, "NSpid"));
    expect("parent-view-nstgid", strcmp(status_field("/proc", cs, "NStgid"), want) == 0, "%s",
           status_field("/proc", cs, "NStgid"));
    char pg[64];
    snprintf(pg, sizeof pg, "%d\t0", getpgrp());
    expect("parent-view-nspgid", strcmp(status_field("/proc", cs, "NSpgid"), pg) == 0, "%s",
           status_field("/proc", cs, "NSpgid"));
    char path[64], mine[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", c);
    snprintf(mine, sizeof mine, "%s", link_text("/proc/self/ns/pid"));
    expect("child-ns-differs", strcmp(link_text(path), mine) != 0 && strncmp(link_text(path), "pid:[", 5) == 0,
           "%s", link_text(path));
    write_int(q[1], 0);
    expect("proc-child-status", strcmp(wait_text(c), "exited 0") == 0, "other");
}

/* ---- signals to and from a namespace's init ----------------------------------- */

static volatile sig_atomic_t usr1_pid = -1, usr1_code, usr1_count;
static void on_usr1(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    usr1_pid = si->si_pid;
    usr1_code = si->si_code;
    usr1_count++;
}

static void signals(void) {
    int p[2], q[2];
    pipe(p);
    pipe(q);
    pid_t c = fork_newpid(0, NULL, NULL);
    if (c == 0) {
        struct sigaction sa = {0};
        sa.sa_sigaction = on_usr1;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigaction(SIGUSR1, &sa, NULL);
        pid_t g = xfork();
        if (g == 0) {
            EXPECT_OK("inside-kill-init-term", kill(1, SIGTERM));
            EXPECT_OK("inside-kill-init-kill", kill(1, SIGKILL));
            EXPECT_OK("inside-kill-init-stop", kill(1, SIGSTOP));
            EXPECT_OK("inside-kill-init-usr1", kill(1, SIGUSR1));
            _exit(0);
        }
        waitpid(g, NULL, 0);
        sleep_ms(20);
        expect("init-alive-handled-usr1", usr1_count == 1 && usr1_pid == 2 && usr1_code == SI_USER,
               "count %d pid %d code %d", usr1_count, usr1_pid, usr1_code);
        /* tgkill/tkill from inside name it as 1. */
        usr1_count = 0;
        EXPECT_OK("init-tgkill-self", syscall(SYS_tgkill, 1, 1, SIGUSR1));
        expect("tgkill-si-pid-1", usr1_count == 1 && usr1_pid == 1 && usr1_code == SI_TKILL, "count %d pid %d",
               usr1_count, usr1_pid);
        /* kill(-1) from inside reaches all but the init and the sender. */
        pid_t a = xfork();
        if (a == 0) {
            for (;;)
                pause();
        }
        pid_t b = xfork();
        if (b == 0) {
            kill(-1, SIGTERM);
            _exit(0);
        }
        waitpid(b, NULL, 0);
        const char *sa_text = wait_text(a);
        expect("kill-minus-1-inside", strcmp(sa_text, "killed by SIGTERM") == 0, "%s", sa_text);
        /* Now signals from outside. */
        usr1_count = 0;
        write_int(p[1], 0);
        read_int(q[0]);
        sleep_ms(20);
        expect("outside-usr1-si-pid-0", usr1_count == 1 && usr1_pid == 0 && usr1_code == SI_USER,
               "count %d pid %d code %d", usr1_count, usr1_pid, usr1_code);
        usr1_count = 0;
        write_int(p[1], 0);
        read_int(q[0]);
        sleep_ms(20);
        expect("outside-sigqueue-si-pid-0", usr1_count == 1 && usr1_pid == 0 && usr1_code == SI_QUEUE,
               "count %d pid %d code %d", usr1_count, usr1_pid, usr1_code);
        write_int(p[1], 0);
        for (;;)
            pause();
    }
    read_int(p[0]);
    EXPECT_OK("outside-kill-usr1", kill(c, SIGUSR1));
    write_int(q[1], 0);
    read_int(p[0]);
    union sigval v = {.sival_int = 7};
    EXPECT_OK("outside-sigqueue", sigqueue(c, SIGUSR1, v));
    write_int(q[1], 0);
    read_int(p[0]);
    /* An unhandled SIGTERM from outside is ignored; SIGSTOP and SIGKILL work. */
    EXPECT_OK("outside-kill-term", kill(c, SIGTERM));
    int st;
    EXPECT_OK("outside-kill-stop", kill(c, SIGSTOP));
    pid_t w = waitpid_ms(c, &st, WUNTRACED, 5000);
    expect("init-stopped-from-outside", w == c && WIFSTOPPED(st), "waitpid %d %s", w, status_text(st));
    kill(c, SIGCONT);
    w = waitpid_ms(c, &st, WCONTINUED, 5000);
    expect("init-continued", w == c && WIFCONTINUED(st), "waitpid %d %s", w, status_text(st));
    EXPECT_OK("outside-kill-kill", kill(c, SIGKILL));
    const char *s = wait_text(c);
    expect("init-killed-from-outside", strcmp(s, "killed by SIGKILL") == 0, "%s", s);
}

/* ---- orphans, reaping and SIGCHLD inside ------------------------------------- */

static volatile sig_atomic_t chld_pid = -1;
static void on_chld(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    chld_pid = si->si_pid;
}

static void orphans(void) {
    pid_t c = fork_newpid(0, NULL, NULL);
    if (c == 0) {
        struct sigaction sa = {0};
        sa.sa_sigaction = on_chld;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigaction(SIGCHLD, &sa, NULL);
        int p[2];
        pipe(p);
        pid_t mid = xfork();
        if (mid == 0) {
            pid_t gc = xfork();
            if (gc == 0) {
                long long end = mono_ns() + 10000000000LL;
                while (getppid() == 2 && mono_ns() < end)
                    sleep_ms(2);
                expect("orphan-reparented-to-ns-init", getppid() == 1, "getppid %d", getppid());
                write_int(p[1], getpid());
                _exit(6);
            }
            _exit(0);
        }
        int st;
        waitpid(mid, &st, 0);
        pid_t mid_si = chld_pid;
        int gc = read_int(p[0]);
        expect("sigchld-si-pid-is-ns-pid", mid_si == 2, "si_pid %d", mid_si);
        expect("orphan-pid-is-3", gc == 3, "%d", gc);
        pid_t w = waitpid(-1, &st, 0);
        expect("init-reaps-orphan", w == 3 && WIFEXITED(st) && WEXITSTATUS(st) == 6, "waitpid %d %s", w,
               status_text(st));
        /* A subreaper inside adopts its descendants' orphans. */
        pid_t sub = xfork();
        if (sub == 0) {
            prctl(PR_SET_CHILD_SUBREAPER, 1);
            pid_t m2 = xfork();
            if (m2 == 0) {
                if (xfork() == 0) {
                    long long end = mono_ns() + 10000000000LL;
                    while (getppid() != 4 && mono_ns() < end)
                        sleep_ms(2);
                    _exit(getppid() == 4 ? 0 : 1);
                }
                _exit(0);
            }
            waitpid(m2, NULL, 0);
            pid_t w2 = waitpid(-1, &st, 0);
            expect("subreaper-adopts", w2 == 6 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "waitpid %d %s", w2,
                   status_text(st));
            _exit(0);
        }
        waitpid(sub, NULL, 0);
        /* waitid reports numbers of this namespace too. */
        pid_t z = xfork();
        if (z == 0)
            _exit(9);
        siginfo_t si = {0};
        waitid(P_PID, z, &si, WEXITED);
        expect("waitid-si-pid", si.si_pid == 7 && si.si_status == 9, "si_pid %d status %d", si.si_pid,
               si.si_status);
        _exit(0);
    }
    siginfo_t si = {0};
    waitid(P_PID, c, &si, WEXITED);
    expect("parent-waitid-si-pid", si.si_pid == c && si.si_code == CLD_EXITED && si.si_status == 0,
           "si_pid %d (child %d) code %d", si.si_pid, c, si.si_code);
}

/* ---- the init's exit ends the namespace ---------------------------------------- */

static void init_exit(void) {
    int p[2], q[2], alive[2];
    pipe(p);
    pipe(q);
    /* Every process of the namespace holds the write end: once all are
     * gone, the read end sees end-of-file. */
    pipe(alive);
    pid_t c = fork_newpid(0, NULL, NULL);
    if (c == 0) {
        close(alive[0]);
        /* A sleeper, a stopped one, a zombie, an orphan and a nested
         * namespace with a child of its own. */
        if (xfork() == 0) {
            sleep_ms(60000);
            _exit(0);
        }
        pid_t b = xfork();
        if (b == 0) {
            for (;;)
                pause();
        }
        kill(b, SIGSTOP);
        if (xfork() == 0)
            _exit(0);
        if (xfork() == 0) {
            if (xfork() == 0) {
                sleep_ms(60000);
                _exit(0);
            }
            _exit(0);
        }
        pid_t n = fork_newpid(0, NULL, NULL);
        if (n == 0) {
            if (xfork() == 0) {
                sleep_ms(60000);
                _exit(0);
            }
            sleep_ms(60000);
            _exit(0);
        }
        sleep_ms(100);
        write_int(p[1], 0);
        read_int(q[0]);
        exit(5);
    }
    close(alive[1]);
    read_int(p[0]);
    fcntl(alive[0], F_SETFL, O_NONBLOCK);
    char b;
    EXPECT_ERR("namespace-alive-before", read(alive[0], &b, 1), EAGAIN);
    write_int(q[1], 0);
    const char *s = wait_text(c);
    expect("init-exit-status", strcmp(s, "exited 5") == 0, "%s", s);
    /* By the time the init can be waited for, the rest has gone. */
    EXPECT_OK("rest-of-namespace-gone", read(alive[0], &b, 1) == 0 ? 0 : -1);
    EXPECT_ERR("init-pid-gone", kill(c, 0), ESRCH);
}

/* ---- credentials, locks and owners across the boundary ---------------------------- */

static void send_creds(int fd, pid_t pid) {
    struct ucred uc = {pid, getuid(), getgid()};
    char cbuf[CMSG_SPACE(sizeof uc)];
    memset(cbuf, 0, sizeof cbuf);
    char b = 'x';
    struct iovec iov = {&b, 1};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_CREDENTIALS;
    cm->cmsg_len = CMSG_LEN(sizeof uc);
    memcpy(CMSG_DATA(cm), &uc, sizeof uc);
    sendmsg(fd, &m, 0);
}

static pid_t recv_creds_pid(int fd) {
    char cbuf[CMSG_SPACE(sizeof(struct ucred))];
    char b;
    struct iovec iov = {&b, 1};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    if (recvmsg(fd, &m, 0) < 0)
        return -1;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    if (!cm || cm->cmsg_type != SCM_CREDENTIALS)
        return -2;
    struct ucred uc;
    memcpy(&uc, CMSG_DATA(cm), sizeof uc);
    return uc.pid;
}

static void ids(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int one = 1;
    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    char file[] = "/tmp/pidns-lock-XXXXXX";
    int lf = mkstemp(file);
    int pp[2];
    pipe(pp);
    fcntl(pp[0], F_SETOWN, getpid());
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    fcntl(lf, F_SETLK, &fl);
    int sync[2], back[2];
    pipe(sync);
    pipe(back);
    pid_t me = getpid();
    pid_t c = fork_newpid(0, NULL, NULL);
    if (c == 0) {
        struct ucred uc;
        socklen_t len = sizeof uc;
        getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &uc, &len);
        expect("peercred-of-outside-is-0", uc.pid == 0, "pid %d", uc.pid);
        send_creds(sv[1], 1);
        pid_t got = recv_creds_pid(sv[1]);
        expect("scm-creds-from-outside-is-0", got == 0, "pid %d", got);
        EXPECT_ERR("scm-creds-of-outside-pid-esrch", ({
                       struct ucred u2 = {4242, getuid(), getgid()};
                       char cb[CMSG_SPACE(sizeof u2)];
                       memset(cb, 0, sizeof cb);
                       char x = 'y';
                       struct iovec io = {&x, 1};
                       struct msghdr mh = {0};
                       mh.msg_iov = &io;
                       mh.msg_iovlen = 1;
                       mh.msg_control = cb;
                       mh.msg_controllen = sizeof cb;
                       struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
                       h->cmsg_level = SOL_SOCKET;
                       h->cmsg_type = SCM_CREDENTIALS;
                       h->cmsg_len = CMSG_LEN(sizeof u2);
                       memcpy(CMSG_DATA(h), &u2, sizeof u2);
                       sendmsg(sv[1], &mh, 0);
                   }),
                   ESRCH);
        expect("f-getown-outside-is-0", fcntl(pp[0], F_GETOWN) == 0, "%d", fcntl(pp[0], F_GETOWN));
        EXPECT_OK("f-setown-self", fcntl(pp[1], F_SETOWN, 1));
        EXPECT_ERR("f-setown-unknown-esrch", fcntl(pp[1], F_SETOWN, 99), ESRCH);
        struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
        fcntl(lf, F_GETLK, &q);
        expect("getlk-holder-outside-is-0", q.l_type == F_WRLCK && q.l_pid == 0, "type %d pid %d", q.l_type,
               q.l_pid);
        struct flock mine = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
        fcntl(lf, F_SETLK, &mine);
        write_int(sync[1], 0);
        read_int(back[0]);
        _exit(0);
    }
    pid_t got = recv_creds_pid(sv[0]);
    expect("scm-creds-from-child", got == c, "pid %d, child %d", got, c);
    send_creds(sv[0], me);
    read_int(sync[0]);
    expect("f-getown-set-by-child", fcntl(pp[1], F_GETOWN) == c, "%d, child %d", fcntl(pp[1], F_GETOWN), c);
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
    fcntl(lf, F_GETLK, &q);
    expect("getlk-holder-child", q.l_pid == c, "pid %d, child %d", q.l_pid, c);
    write_int(back[1], 0);
    wait_text(c);
    unlink(file);
}

/* ---- a terminal's ids, threads ------------------------------------------------------ */

static void *thread_tid(void *arg) {
    (void)arg;
    return (void *)(long)syscall(SYS_gettid);
}

static void tty_threads(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m);
    unlockpt(m);
    char name[64];
    snprintf(name, sizeof name, "%s", ptsname(m));
    int sync[2], back[2];
    pipe(sync);
    pipe(back);
    pid_t c = fork_newpid(0, NULL, NULL);
    if (c == 0) {
        setsid();
        int s = open(name, O_RDWR);
        ioctl(s, TIOCSCTTY, 0);
        pid_t sid = -1, pg = -1;
        ioctl(s, TIOCGSID, &sid);
        ioctl(s, TIOCGPGRP, &pg);
        expect("tty-sid-and-pgrp-inside", sid == 1 && pg == 1 && tcgetpgrp(s) == 1, "sid %d pgrp %d", sid, pg);
        pthread_t th;
        void *tid;
        pthread_create(&th, NULL, thread_tid, NULL);
        pthread_join(th, &tid);
        expect("thread-tid-inside", (long)tid == 2, "tid %ld", (long)tid);
        write_int(sync[1], 0);
        read_int(back[0]);
        _exit(0);
    }
    read_int(sync[0]);
    pid_t pg = -1;
    ioctl(m, TIOCGPGRP, &pg);
    expect("tty-pgrp-from-outside", pg == c, "pgrp %d, child %d", pg, c);
    write_int(back[1], 0);
    wait_text(c);
}

int main(int argc, char **argv) {
    static const struct test_group groups[] = {
        {"clone", clone_ids},     {"pgrp", pgrp},     {"errors", errors}, {"unshare", unshare_group}, {"proc", proc_group},
        {"signals", signals},     {"orphans", orphans}, {"init-exit", init_exit}, {"ids", ids},
        {"tty-threads", tty_threads},
    };
    return RUN_GROUPS(argc, argv, groups);
}
