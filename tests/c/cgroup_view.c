/*
 * cgroup_view: the cgroup v2 core files as a process sees them in a cgroup
 * of its own: who is in it (cgroup.procs, cgroup.threads, zombies
 * leaving at once), its type and limits, the CPU time it used (cpu.stat),
 * and the answers to writes. Every check prints "name: ok" natively and
 * under husk.
 *
 * Natively the program makes a child of its cgroup and moves into it; under
 * husk the container is the cgroup, and /sys/fs/cgroup is read-only (as in
 * Docker), so it mounts a cgroup2 of its own, read-write, in a private
 * mount namespace.
 *
 * Usage: cgroup_view [GROUP]   (groups: layout members cpu writes)
 *        cgroup_view pids-limit   (in a container with a pids limit)
 */
#include "vfs_test.h"

#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#define CGROUP2_MAGIC 0x63677270

static char cg[512];      /* the cgroup directory used */
static char parent[512];  /* natively: the cgroup to go back to */

/* Writes `text` to file `name` of the cgroup; -1 and errno on failure. */
static int cg_write(const char *name, const char *text) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", cg, name);
    return write_control(path, text);
}

static char *cg_read(const char *name) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", cg, name);
    return slurp(path);
}

/* The value of `key` in a "key value" file of the cgroup (-1 if absent). */
static long long cg_key(const char *name, const char *key) {
    char *text = cg_read(name);
    size_t k = strlen(key);
    for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
        if (strncmp(l, key, k) == 0 && l[k] == ' ')
            return atoll(l + k + 1);
    return -1;
}

/* The number of lines of a list file, and whether `id` is one of them. */
static int listed(const char *name, long id, int *count) {
    char *text = cg_read(name);
    int found = 0, n = 0;
    for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
        n++;
        found |= atol(l) == id;
    }
    *count = n;
    return found;
}

static void leave_cgroup(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/cgroup.procs", parent);
    int fd = open(path, O_WRONLY);
    if (fd >= 0) {
        if (write(fd, "0", 1) < 0) {
            /* Nothing to do: the cgroup stays until the host cleans up. */
        }
        close(fd);
    }
    rmdir(cg);
}

/* Finds this process's cgroup v2 directory and makes a cgroup of its own
 * (see the top of the file). Exits if there is none. */
static void enter_own_cgroup(void) {
    char mnt[256] = "", path[256] = "";
    FILE *f = fopen("/proc/self/mountinfo", "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        char point[256];
        if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %255s", point) == 1) {
            snprintf(mnt, sizeof mnt, "%s", point);
            break;
        }
    }
    if (f)
        fclose(f);
    f = fopen("/proc/self/cgroup", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "0::", 3) == 0) {
            line[strcspn(line, "\n")] = 0;
            snprintf(path, sizeof path, "%s", strcmp(line + 3, "/") == 0 ? "" : line + 3);
        }
    if (f)
        fclose(f);
    if (mnt[0]) {
        snprintf(parent, sizeof parent, "%s%s", mnt, path);
        snprintf(cg, sizeof cg, "%s/husk-cgroup-view-%d", parent, getpid());
        if (mkdir(cg, 0755) == 0) {
            atexit(leave_cgroup);
            if (cg_write("cgroup.procs", "0") == 0)
                return;
            printf("enter: %s\n", errno_name(errno));
            exit(1);
        }
    }
    /* No cgroup to make: a read-write cgroup2 mount of one's own. */
    snprintf(cg, sizeof cg, "/tmp/cgroup-view-%d", getpid());
    if (mkdir(cg, 0755) != 0 || unshare(CLONE_NEWNS) != 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 || mount("none", cg, "cgroup2", 0, NULL) != 0) {
        printf("mount: %s\n", errno_name(errno));
        exit(1);
    }
}

/* ---- layout ---- */

static void g_layout(void) {
    struct statfs sf;
    expect("statfs", statfs(cg, &sf) == 0 && sf.f_type == CGROUP2_MAGIC, "%lx", (long)sf.f_type);
    char *t = cg_read("cgroup.type");
    expect("type", t && strcmp(t, "domain\n") == 0, "%s", t ? t : "missing");
    t = cg_read("cgroup.max.depth");
    expect("max-depth", t && strcmp(t, "max\n") == 0, "%s", t ? t : "missing");
    t = cg_read("cgroup.max.descendants");
    expect("max-descendants", t && strcmp(t, "max\n") == 0, "%s", t ? t : "missing");
    expect("no-descendants", cg_key("cgroup.stat", "nr_descendants") == 0, "%lld", cg_key("cgroup.stat", "nr_descendants"));
    expect("populated", cg_key("cgroup.events", "populated") == 1, "%lld", cg_key("cgroup.events", "populated"));
    expect("not-frozen", cg_key("cgroup.events", "frozen") == 0, "%lld", cg_key("cgroup.events", "frozen"));
    /* Every file here is empty-sized; the lists are 0644, the rest of
     * these read-only. */
    const char *files[][2] = {{"cgroup.procs", "644"}, {"cgroup.threads", "644"}, {"cgroup.controllers", "444"},
                              {"cgroup.events", "444"}, {"cgroup.stat", "444"}, {"cpu.stat", "444"},
                              {"cgroup.freeze", "644"}, {"cgroup.kill", "200"}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[600], name[80], mode[8] = "missing";
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", cg, files[i][0]);
        if (stat(path, &st) == 0)
            snprintf(mode, sizeof mode, "%o", st.st_mode & 07777);
        snprintf(name, sizeof name, "mode-%s", files[i][0]);
        expect(name, strcmp(mode, files[i][1]) == 0 && st.st_size == 0, "%s size %lld", mode, (long long)st.st_size);
    }
    struct stat st;
    expect("dir", stat(cg, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755, "%o", st.st_mode);
}

/* ---- members ---- */

static int tid_pipe[2];

static void *thread_main(void *arg) {
    (void)arg;
    long tid = syscall(SYS_gettid);
    if (write(tid_pipe[1], &tid, sizeof tid) < 0)
        return NULL;
    pause();
    return NULL;
}

static void g_members(void) {
    int n;
    expect("self-only", listed("cgroup.procs", getpid(), &n) && n == 1, "%d listed", n);
    expect("thread-self", listed("cgroup.threads", getpid(), &n) && n == 1, "%d listed", n);

    pid_t child = xfork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    expect("child-listed", listed("cgroup.procs", child, &n) && n == 2, "%d listed", n);

    if (pipe(tid_pipe) != 0)
        return;
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    long tid = 0;
    if (read(tid_pipe[0], &tid, sizeof tid) != sizeof tid)
        return;
    expect("thread-listed", listed("cgroup.threads", tid, &n) && n == 3, "%d listed", n);
    expect("thread-not-a-process", !listed("cgroup.procs", tid, &n) && n == 2, "%d listed", n);

    /* A zombie leaves the list at once, before it is reaped. */
    kill(child, SIGKILL);
    siginfo_t si;
    waitid(P_PID, child, &si, WEXITED | WNOWAIT);
    expect("zombie-gone", !listed("cgroup.procs", child, &n) && n == 1, "%d listed", n);
    expect("populated-still", cg_key("cgroup.events", "populated") == 1, "%lld", cg_key("cgroup.events", "populated"));
    wait_text(child);
}

/* ---- cpu ---- */

static void g_cpu(void) {
    long long before = cg_key("cpu.stat", "usage_usec");
    long long user = cg_key("cpu.stat", "user_usec"), sys = cg_key("cpu.stat", "system_usec");
    expect("keys", before >= 0 && user >= 0 && sys >= 0, "%lld %lld %lld", before, user, sys);
    /* CPU time of a child stays the cgroup's after the child is reaped. */
    pid_t child = xfork();
    if (child == 0) {
        spin_cpu_ms(300);
        _exit(0);
    }
    wait_text(child);
    long long after = cg_key("cpu.stat", "usage_usec");
    expect("child-counted", after - before >= 200000, "%lld us", after - before);
    long long u = cg_key("cpu.stat", "user_usec"), s = cg_key("cpu.stat", "system_usec");
    /* usage is the run time, user and system its split by ticks. */
    expect("split", llabs(after - (u + s)) <= after / 10 + 20000, "%lld vs %lld+%lld", after, u, s);
}

/* ---- writes ---- */

static void g_writes(void) {
    char me[32];
    snprintf(me, sizeof me, "%d\n", getpid());
    EXPECT_OK("procs-self-0", cg_write("cgroup.procs", "0"));
    EXPECT_OK("procs-self-pid", cg_write("cgroup.procs", me));
    EXPECT_OK("threads-self", cg_write("cgroup.threads", me));
    EXPECT_ERR("procs-text", cg_write("cgroup.procs", "abc"), EINVAL);
    EXPECT_ERR("procs-no-such-pid", cg_write("cgroup.procs", "99999999"), ESRCH);
    /* Root may open a read-only file for writing; the write fails. */
    EXPECT_ERR("controllers-read-only", cg_write("cgroup.controllers", "+memory"), EINVAL);
    EXPECT_ERR("stat-read-only", cg_write("cgroup.stat", "1"), EINVAL);
    EXPECT_ERR("cpu-stat-read-only", cg_write("cpu.stat", "1"), EINVAL);
    /* The freezer and kill files parse as kstrtoint and take only 0/1 (1). */
    char *f = cg_read("cgroup.freeze");
    expect("freeze-reads-0", f && strcmp(f, "0\n") == 0, "%s", f ? f : "missing");
    EXPECT_OK("freeze-0", cg_write("cgroup.freeze", "0"));
    EXPECT_ERR("freeze-2", cg_write("cgroup.freeze", "2"), ERANGE);
    EXPECT_ERR("freeze-negative", cg_write("cgroup.freeze", "-1"), ERANGE);
    EXPECT_ERR("freeze-text", cg_write("cgroup.freeze", "on"), EINVAL);
    EXPECT_ERR("kill-2", cg_write("cgroup.kill", "2"), ERANGE);
    EXPECT_ERR("kill-0", cg_write("cgroup.kill", "0"), ERANGE);
    EXPECT_ERR("kill-text", cg_write("cgroup.kill", "all"), EINVAL);
    {
        char path[600];
        snprintf(path, sizeof path, "%s/cgroup.kill", cg);
        /* Root opens it (0200) but it has nothing to show: a read is EINVAL. */
        int fd = open(path, O_RDONLY);
        char c;
        expect("kill-opens", fd >= 0, "%s", strerror(errno));
        EXPECT_ERR("kill-read", read(fd, &c, 1), EINVAL);
        close(fd);
    }
    EXPECT_ERR("create-file", open(strcat(strcpy((char[600]){0}, cg), "/new-file"), O_CREAT | O_WRONLY, 0644), EACCES);
    int n;
    expect("still-here", listed("cgroup.procs", getpid(), &n) && n == 1, "%d listed", n);
}

/* ---- pids-limit (under a container's pids limit only: not a group) ---- */

/* Forks sleeping children until fork fails, then prints how many it made,
 * why it stopped, and the pids files as read from /sys/fs/cgroup. */
static void pids_limit(void) {
    pid_t kids[64];
    int n = 0;
    while (n < 64) {
        pid_t p = fork();
        if (p < 0) {
            printf("forked %d: %s\n", n, errno_name(errno));
            break;
        }
        if (p == 0) {
            pause();
            _exit(0);
        }
        kids[n++] = p;
    }
    /* A second refusal counts again. */
    if (fork() == 0)
        _exit(0);
    const char *files[] = {"pids.current", "pids.max", "pids.peak", "pids.events"};
    for (int i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof path, "/sys/fs/cgroup/%s", files[i]);
        char *t = slurp(path);
        printf("%s: %s", files[i], t ? t : "missing\n");
    }
    for (int i = 0; i < n; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    char *t = slurp("/sys/fs/cgroup/pids.current");
    printf("after: %s", t ? t : "missing\n");
}

static const struct test_group groups[] = {
    {"layout", g_layout},
    {"members", g_members},
    {"cpu", g_cpu},
    {"writes", g_writes},
};

int main(int argc, char **argv) {
    line_buffered_stdout();
    if (argc > 1 && strcmp(argv[1], "pids-limit") == 0) {
        pids_limit();
        return 0;
    }
    enter_own_cgroup();
    return RUN_GROUPS(argc, argv, groups);
}
