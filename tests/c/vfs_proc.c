/*
 * vfs_proc: /proc as a process sees it (its own entries, a child's, the
 * magic links, the system files) and /dev. Every check prints "name: ok"
 * natively and under husk.
 *
 * Usage: vfs_proc [GROUP]   (groups: self child links system dev)
 */
#include "vfs_test.h"

#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

/* The value of "Key:" in a /proc status-like file. */
static long field(const char *text, const char *key) {
    const char *p = text ? strstr(text, key) : NULL;
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static char self_argv0[256];

static void g_self(void) {
    char *s = slurp("/proc/self/stat");
    int pid = -1, ppid = -1;
    char comm[64] = "", state = 0;
    if (s)
        sscanf(s, "%d (%63[^)]) %c %d", &pid, comm, &state, &ppid);
    expect("stat-pid", pid == getpid(), "%d vs %d", pid, getpid());
    expect("stat-comm", strcmp(comm, "vfs_proc") == 0, "%s", comm);
    expect("stat-running", state == 'R', "%c", state);
    expect("stat-ppid", ppid == getppid(), "%d", ppid);
    int fields = 0;
    for (char *p = s ? strrchr(s, ')') : NULL; p && *p; p++)
        if (*p == ' ')
            fields++;
    expect("stat-52-fields", fields == 50, "%d", fields + 2);
    s = slurp("/proc/self/status");
    expect("status-pid", field(s, "\nPid:") == getpid(), "%ld", field(s, "\nPid:"));
    expect("status-ppid", field(s, "\nPPid:") == getppid(), "x");
    expect("status-uid", field(s, "\nUid:") == (long)getuid(), "x");
    expect("status-threads", field(s, "\nThreads:") == 1, "x");
    expect("status-name", s && strncmp(s, "Name:\tvfs_proc\n", 15) == 0, "x");
    s = slurp("/proc/self/cmdline");
    expect("cmdline", s && strcmp(s, self_argv0) == 0 && strcmp(s + strlen(s) + 1, "self") == 0, "%s", s);
    s = slurp("/proc/self/environ");
    int found = 0;
    for (char *p = s; p && *p; p += strlen(p) + 1)
        if (strncmp(p, "PATH=", 5) == 0)
            found = 1;
    expect("environ", found, "no PATH");
    s = slurp("/proc/self/comm");
    expect("comm", s && strcmp(s, "vfs_proc\n") == 0, "%s", s);
    int fd = open("/proc/self/comm", O_WRONLY);
    write(fd, "renamed", 7);
    close(fd);
    char name[17] = "";
    prctl(PR_GET_NAME, name);
    expect("comm-write", strcmp(name, "renamed") == 0, "%s", name);
    prctl(PR_SET_NAME, "vfs_proc");
    s = slurp("/proc/self/maps");
    expect("maps-stack", s && strstr(s, "[stack]"), "x");
    expect("maps-exe", s && strstr(s, " r-xp ") && strstr(s, "/vfs_proc\n"), "x");
    unsigned long lo, hi;
    char perms[5];
    expect("maps-format", s && sscanf(s, "%lx-%lx %4s", &lo, &hi, perms) == 3 && lo < hi, "x");
    /* The vDSO is executable, and each of its ranges has its own name. */
    int vdso_x = 0, vvars = 0;
    for (char *line = s; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > 6 && strncmp(line + len - 6, "[vdso]", 6) == 0 && memmem(line, len, " r-xp ", 6))
            vdso_x = 1;
        if (len > 6 && strncmp(line + len - 6, "[vvar]", 6) == 0)
            vvars++;
    }
    expect("maps-vdso-executable", vdso_x, "x");
    expect("maps-one-vvar", vvars == 1, "%d", vvars);
    /* The heap grown twice is still one mapping; so are two anonymous
     * mappings made side by side (Linux merges them). */
    sbrk(65536);
    sbrk(65536);
    char *a = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(a + 4 * 4096, 4 * 4096);
    char *b = mmap(a + 4 * 4096, 4 * 4096, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    s = slurp("/proc/self/maps");
    int heaps = 0;
    for (char *p = s; p && (p = strstr(p, "[heap]")); p++)
        heaps++;
    expect("maps-one-heap", heaps == 1, "%d", heaps);
    char merged[64];
    snprintf(merged, sizeof merged, "%lx-%lx rw-p", (unsigned long)a, (unsigned long)(a + 8 * 4096));
    expect("maps-anon-merged", b == a + 4 * 4096 && s && strstr(s, merged), "%s", merged);
    munmap(a, 8 * 4096);
    s = slurp("/proc/self/statm");
    long size = -1, rss = -1;
    if (s)
        sscanf(s, "%ld %ld", &size, &rss);
    expect("statm", size > 0 && rss > 0 && rss <= size, "%ld %ld", size, rss);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", getpid());
    expect("by-pid", slurp(path) != NULL, "%s", errno_name(errno));
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", getpid(), (int)gettid());
    s = slurp(path);
    expect("task-comm", s && strcmp(s, "vfs_proc\n") == 0, "%s", s);
    char link[128] = "";
    readlink("/proc/thread-self", link, sizeof link);
    char want[64];
    snprintf(want, sizeof want, "%d/task/%d", getpid(), (int)gettid());
    expect("thread-self", strcmp(link, want) == 0, "%s", link);
    memset(link, 0, sizeof link);
    readlink("/proc/self", link, sizeof link);
    expect("self-link", atoi(link) == getpid(), "%s", link);
    struct stat st;
    stat("/proc/self", &st);
    expect("self-dir-owner", S_ISDIR(st.st_mode) && st.st_uid == geteuid(), "%o", st.st_mode);
    EXPECT_ERR("no-such-pid", open("/proc/99999999/stat", O_RDONLY), ENOENT);
    EXPECT_ERR("write-stat", write(open("/proc/self/stat", O_RDONLY), "x", 1), EBADF);
}

static void g_child(void) {
    int p[2];
    pipe(p);
    pid_t c = xfork();
    if (c == 0) {
        char b;
        read(p[0], &b, 1);
        _exit(3);
    }
    sleep_ms(50);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", c);
    char *s = slurp(path);
    int pid = -1, ppid = -1;
    char state = 0;
    if (s)
        sscanf(s, "%d (%*[^)]) %c %d", &pid, &state, &ppid);
    expect("child-stat", pid == c && ppid == getpid() && state == 'S', "%d %c %d", pid, state, ppid);
    DIR *d = opendir("/proc");
    int seen = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (atoi(e->d_name) == c)
            seen = 1;
    closedir(d);
    expect("child-listed", seen, "x");
    write(p[1], "x", 1);
    sleep_ms(100);
    s = slurp(path);
    state = 0;
    if (s)
        sscanf(s, "%*d (%*[^)]) %c", &state);
    expect("zombie-state", state == 'Z', "%c", state);
    snprintf(path, sizeof path, "/proc/%d/cmdline", c);
    s = slurp(path);
    expect("zombie-cmdline-empty", s && s[0] == 0, "x");
    waitpid(c, NULL, 0);
    snprintf(path, sizeof path, "/proc/%d/stat", c);
    EXPECT_ERR("reaped-gone", open(path, O_RDONLY), ENOENT);
}

static void g_links(void) {
    scratch_init();
    char link[512] = "", cwd[512];
    getcwd(cwd, sizeof cwd);
    readlink("/proc/self/cwd", link, sizeof link);
    expect("cwd-link", strcmp(link, cwd) == 0, "%s vs %s", link, cwd);
    memset(link, 0, sizeof link);
    readlink("/proc/self/root", link, sizeof link);
    expect("root-link", strcmp(link, "/") == 0, "%s", link);
    char exe[512] = "", real[512] = "";
    readlink("/proc/self/exe", exe, sizeof exe);
    realpath(self_argv0, real);
    expect("exe-link", strcmp(exe, real) == 0, "%s vs %s", exe, real);
    put_file("f", "file data");
    int fd = open("f", O_RDONLY);
    char fdp[64];
    snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", fd);
    memset(link, 0, sizeof link);
    readlink(fdp, link, sizeof link);
    char want[600];
    snprintf(want, sizeof want, "%s/f", cwd);
    expect("fd-link", strcmp(link, want) == 0, "%s", link);
    char buf[64];
    int again = open(fdp, O_RDONLY);
    expect("reopen-fd", again >= 0 && read(again, buf, 4) == 4 && memcmp(buf, "file", 4) == 0, "x");
    expect("reopen-own-offset", lseek(fd, 0, SEEK_CUR) == 0, "x");
    close(again);
    unlink("f");
    again = open(fdp, O_RDONLY);
    expect("reopen-deleted", again >= 0 && read(again, buf, 4) == 4, "%s", errno_name(errno));
    close(again);
    int p[2];
    pipe(p);
    snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", p[1]);
    memset(link, 0, sizeof link);
    readlink(fdp, link, sizeof link);
    expect("pipe-link", strncmp(link, "pipe:[", 6) == 0, "%s", link);
    int w = open(fdp, O_WRONLY);
    write(w, "via-proc", 8);
    close(w);
    memset(buf, 0, sizeof buf);
    read(p[0], buf, sizeof buf);
    expect("reopen-pipe", strcmp(buf, "via-proc") == 0, "%s", buf);
    /* An anonymous pipe whose writer is gone reopens at once (no FIFO wait),
     * and a writer end opens without a reader (no ENXIO): bash's <(...). */
    write(p[1], "left", 4);
    close(p[1]);
    snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", p[0]);
    int r2 = open(fdp, O_RDONLY);
    memset(buf, 0, sizeof buf);
    expect("reopen-pipe-no-writer", r2 >= 0 && read(r2, buf, sizeof buf) == 4 && read(r2, buf, 1) == 0, "%s",
           errno_name(errno));
    close(r2);
    int q[2];
    pipe(q);
    close(q[0]);
    snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", q[1]);
    int w2 = open(fdp, O_WRONLY | O_NONBLOCK);
    expect("reopen-pipe-no-reader", w2 >= 0, "%s", errno_name(errno));
    close(w2);
    close(q[1]);
    mkdir("sub", 0755);
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    snprintf(fdp, sizeof fdp, "/proc/self/fd/%d/new", dfd);
    EXPECT_OK("through-dir-fd", put_file(fdp, "x"));
    EXPECT_OK("created-through-dir-fd", access("sub/new", F_OK));
    EXPECT_OK("cwd-traversal", access("/proc/self/cwd/sub/new", F_OK));
    snprintf(fdp, sizeof fdp, "/proc/self/fdinfo/%d", fd);
    char *s = slurp(fdp);
    expect("fdinfo", s && strncmp(s, "pos:\t0\nflags:\t", 13) == 0, "%s", s);
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    expect("fd-listing", n >= 6, "%d", n);
}

static void g_system(void) {
    char *s = slurp("/proc/meminfo");
    expect("meminfo", s && strncmp(s, "MemTotal:", 9) == 0 && strstr(s, "MemAvailable:"), "x");
    s = slurp("/proc/cpuinfo");
    expect("cpuinfo", s && strncmp(s, "processor", 9) == 0, "x");
    s = slurp("/proc/uptime");
    double up = -1, idle = -1;
    if (s)
        sscanf(s, "%lf %lf", &up, &idle);
    expect("uptime", up >= 0 && idle >= 0, "%s", s);
    s = slurp("/proc/loadavg");
    double l1;
    int run, total, last;
    expect("loadavg", s && sscanf(s, "%lf %*f %*f %d/%d %d", &l1, &run, &total, &last) == 4 && run >= 1 &&
                          total >= run, "%s", s);
    s = slurp("/proc/stat");
    expect("stat-cpu", s && strncmp(s, "cpu ", 4) == 0 && strstr(s, "\nbtime "), "x");
    s = slurp("/proc/mounts");
    expect("mounts-proc", s && strstr(s, " /proc proc "), "x");
    s = slurp("/proc/self/mountinfo");
    expect("mountinfo", s && strstr(s, " - proc "), "x");
    s = slurp("/proc/filesystems");
    expect("filesystems", s && strstr(s, "\ttmpfs\n") && strstr(s, "\tproc\n"), "x");
    s = slurp("/proc/sys/kernel/ostype");
    expect("ostype", s && strcmp(s, "Linux\n") == 0, "x");
    s = slurp("/proc/sys/kernel/pid_max");
    expect("pid-max", s && atol(s) >= 32768, "x");
    struct utsname;
    s = slurp("/proc/sys/kernel/osrelease");
    expect("osrelease", s && strlen(s) > 2, "x");
    char host[128] = "";
    gethostname(host, sizeof host);
    s = slurp("/proc/sys/kernel/hostname");
    expect("hostname", s && strncmp(s, host, strlen(host)) == 0, "%s vs %s", s, host);
    struct stat st;
    expect("mounts-symlink", lstat("/proc/mounts", &st) == 0 && S_ISLNK(st.st_mode), "x");
    EXPECT_ERR("proc-mkdir", mkdir("/proc/x", 0755), ENOENT);
}

static void g_dev(void) {
    char buf[16];
    int fd = open("/dev/null", O_RDWR);
    expect("null", write(fd, "x", 1) == 1 && read(fd, buf, 16) == 0, "x");
    close(fd);
    fd = open("/dev/zero", O_RDONLY);
    memset(buf, 1, sizeof buf);
    expect("zero", read(fd, buf, 16) == 16 && buf[0] == 0 && buf[15] == 0, "x");
    close(fd);
    /* A large read of zeros into memory holding data, at an odd offset. */
    size_t big = 3 << 20;
    char *m = malloc(big);
    memset(m, 'x', big);
    fd = open("/dev/zero", O_RDONLY);
    ssize_t got = read(fd, m + 1001, big - 3000);
    int bad = got != (ssize_t)(big - 3000) || m[1000] != 'x' || m[big - 1999] != 'x';
    for (size_t i = 1001; i < big - 1999 && !bad; i++)
        bad = m[i] != 0;
    expect("zero-large-read", !bad, "got %zd", got);
    memset(m + 1001, 'y', big - 3000);
    expect("zero-pages-writable-again", m[1001] == 'y' && m[big - 2000] == 'y', "x");
    free(m);
    close(fd);
    fd = open("/dev/full", O_WRONLY);
    EXPECT_ERR("full", write(fd, "x", 1), ENOSPC);
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    expect("urandom", read(fd, buf, 16) == 16, "x");
    close(fd);
    struct stat st;
    stat("/dev/null", &st);
    expect("null-numbers", S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3, "x");
    EXPECT_OK("dev-fd", access("/dev/fd/0", F_OK));
    char link[64] = "";
    readlink("/dev/stdout", link, sizeof link);
    expect("stdout-link", strcmp(link, "/proc/self/fd/1") == 0, "%s", link);
    fd = open("/dev/stdout", O_WRONLY);
    expect("open-stdout", fd >= 0, "%s", errno_name(errno));
    close(fd);
    expect("shm-dir", stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 01777) == 01777, "%o",
           st.st_mode);
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/husk-vfs-%d", getpid());
    EXPECT_OK("shm-create", put_file(path, "x"));
    unlink(path);
    expect("pts-dir", stat("/dev/pts", &st) == 0 && S_ISDIR(st.st_mode), "x");
    EXPECT_OK("ptmx-exists", access("/dev/ptmx", F_OK));
}

/* /proc/self/smaps and smaps_rollup: one block per maps line, headed by
 * that line, with Linux's fields; the resident size of a mapping is the
 * pages touched. */
static int count_lines_with(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The "Key:" value (kB) in the smaps block of the mapping at `addr`. */
static long smaps_field(const char *smaps, void *addr, const char *key) {
    char head[32];
    snprintf(head, sizeof head, "%08lx-", (unsigned long)addr);
    const char *b = strstr(smaps, head);
    if (!b)
        return -1;
    const char *next = strstr(b + 1, "VmFlags:");
    const char *k = strstr(b, key);
    return k && next && k < next ? strtol(k + strlen(key), NULL, 10) : -1;
}

static void g_smaps(void) {
    char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(m, 1, 256 << 10);
    static char maps[1 << 16];
    snprintf(maps, sizeof maps, "%s", slurp("/proc/self/maps"));
    char *sm = strdup(slurp("/proc/self/smaps"));
    int lines = count_lines_with(maps, "\n");
    expect("a-block-per-mapping", count_lines_with(sm, "VmFlags:") == lines, "%d vs %d",
           count_lines_with(sm, "VmFlags:"), lines);
    char first[256];
    snprintf(first, sizeof first, "%.*s", (int)(strchr(maps, '\n') - maps + 1), maps);
    expect("headed-by-maps-line", strncmp(sm, first, strlen(first)) == 0, "%.80s", sm);
    const char *keys[] = {"\nSize:", "\nKernelPageSize:", "\nMMUPageSize:", "\nRss:", "\nPss:",
                          "\nShared_Clean:", "\nPrivate_Dirty:", "\nReferenced:", "\nAnonymous:", "\nSwap:",
                          "\nLocked:", "\nTHPeligible:"};
    char missing[256] = "";
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (count_lines_with(sm, keys[i]) != lines)
            snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s", keys[i]);
    expect("fields-in-every-block", !missing[0], "missing or extra:%s", missing);
    expect("size", smaps_field(sm, m, "Size:") == 1024, "%ld", smaps_field(sm, m, "Size:"));
    expect("rss-is-touched", smaps_field(sm, m, "Rss:") == 256, "%ld", smaps_field(sm, m, "Rss:"));
    expect("anonymous", smaps_field(sm, m, "Anonymous:") == 256, "%ld", smaps_field(sm, m, "Anonymous:"));
    expect("private-dirty", smaps_field(sm, m, "Private_Dirty:") == 256, "%ld", smaps_field(sm, m, "Private_Dirty:"));
    free(sm);
    char *r = slurp("/proc/self/smaps_rollup");
    expect("rollup-header", r && strstr(r, "[rollup]\n") && strchr(r, '\n') == strstr(r, "[rollup]\n") + 8, "%.100s",
           r ? r : "none");
    long rss = field(r, "\nRss:"), anon = field(r, "\nPss_Anon:");
    expect("rollup-sums", rss >= 256 && anon >= 256 && field(r, "\nPss_File:") >= 0 && field(r, "\nLocked:") == 0,
           "rss %ld anon %ld", rss, anon);
    munmap(m, 1 << 20);
}

/* /proc/PID/io: read/write calls and characters as Linux counts them
 * (the read of the file itself included), a thread's and a reaped child's
 * counted in the process's, a thread's own file. */
struct io { long rchar, wchar, syscr, syscw; };

static struct io read_io(const char *path, long *len) {
    static char buf[1024];
    struct io v = {-1, -1, -1, -1};
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return v;
    buf[n] = 0;
    *len = n;
    v.rchar = field(buf, "rchar:");
    v.wchar = field(buf, "wchar:");
    v.syscr = field(buf, "syscr:");
    v.syscw = field(buf, "syscw:");
    return v;
}

static void *io_thread(void *arg) {
    (void)arg;
    static char b[100];
    int fd = open("/dev/null", O_WRONLY);
    write(fd, b, sizeof b);
    close(fd);
    return NULL;
}

static void g_io(void) {
    char *text = slurp("/proc/self/io");
    const char *keys[] = {"rchar: ", "wchar: ", "syscr: ", "syscw: ", "read_bytes: ", "write_bytes: ",
                          "cancelled_write_bytes: "};
    int order = 1;
    const char *at = text;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *k = at ? strstr(at, keys[i]) : NULL;
        order &= k != NULL;
        at = k;
    }
    expect("io-fields", order, "%s", text ? text : "none");
    int null = open("/dev/null", O_WRONLY), zero = open("/dev/zero", O_RDONLY);
    static char b[1000];
    long len0 = 0, len1 = 0;
    struct io a = read_io("/proc/self/io", &len0);
    write(null, b, 1000);
    write(null, b, 1000);
    write(null, b, 1000);
    read(zero, b, 500);
    read(zero, b, 500);
    struct io z = read_io("/proc/self/io", &len1);
    /* Everything is measured before anything is printed: printing writes. */
    pthread_t t;
    pthread_create(&t, NULL, io_thread, NULL);
    pthread_join(t, NULL);
    struct io th = read_io("/proc/self/io", &len1);
    pid_t c = xfork();
    if (c == 0) {
        write(null, b, 200);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    struct io ch = read_io("/proc/self/io", &len1);
    expect("wchar", z.wchar - a.wchar == 3000, "%ld", z.wchar - a.wchar);
    expect("syscw", z.syscw - a.syscw == 3, "%ld", z.syscw - a.syscw);
    expect("rchar-includes-the-file-read", z.rchar - a.rchar == 1000 + len0, "%ld (file %ld)", z.rchar - a.rchar, len0);
    expect("syscr", z.syscr - a.syscr == 3, "%ld", z.syscr - a.syscr);
    expect("thread-counted", th.wchar - z.wchar == 100 && th.syscw - z.syscw == 1, "%ld %ld", th.wchar - z.wchar,
           th.syscw - z.syscw);
    expect("reaped-child-counted", ch.wchar - th.wchar == 200, "%ld", ch.wchar - th.wchar);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/io", (int)syscall(SYS_gettid));
    struct io own = read_io(path, &len1);
    expect("thread-file", own.wchar >= 3000 && own.wchar < ch.wchar, "%ld of %ld", own.wchar, ch.wchar);
    close(null);
    close(zero);
}

/* /proc/PID/syscall: the syscall a thread is blocked in (number, six
 * arguments, stack and instruction pointers, in hex), "running" for one
 * that is running. */
static void g_syscall(void) {
    char *self = slurp("/proc/self/syscall");
    unsigned long f[9];
    int n = self ? sscanf(self, "%lu %lx %lx %lx %lx %lx %lx %lx %lx", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5],
                          &f[6], &f[7], &f[8])
                 : 0;
    expect("self-in-read", n == 9 && f[0] == SYS_read, "%s", self ? self : "none");
    pid_t c = xfork();
    if (c == 0) {
        struct timespec ts = {5, 0};
        syscall(SYS_nanosleep, &ts, NULL);
        _exit(0);
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/syscall", c);
    /* Until the child is in its sleep (bounded). */
    char *other = NULL, want[16];
    snprintf(want, sizeof want, "%d ", (int)SYS_nanosleep);
    for (long long end = mono_ns() + 5000000000LL; mono_ns() < end; sleep_ms(10)) {
        other = slurp(path);
        if (other && strncmp(other, want, strlen(want)) == 0)
            break;
    }
    n = other ? sscanf(other, "%lu %lx %lx %lx %lx %lx %lx %lx %lx", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6],
                       &f[7], &f[8])
              : 0;
    expect("child-in-nanosleep", n == 9 && f[0] == SYS_nanosleep && f[2] == 0 && f[1] != 0, "%s",
           other ? other : "none");
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    c = xfork();
    if (c == 0)
        for (;;)
            ;
    sleep_ms(50);
    snprintf(path, sizeof path, "/proc/%d/syscall", c);
    other = slurp(path);
    expect("busy-child-running", other && strcmp(other, "running\n") == 0, "%s", other ? other : "none");
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
}

/* The user-namespace files: every process is in the initial namespace,
 * whose maps are the identity and cannot be written (EPERM). */
static void g_userns(void) {
    char *m = slurp("/proc/self/uid_map");
    expect("uid-map-identity", m && strcmp(m, "         0          0 4294967295\n") == 0, "%s", m ? m : "none");
    m = slurp("/proc/self/gid_map");
    expect("gid-map-identity", m && strcmp(m, "         0          0 4294967295\n") == 0, "%s", m ? m : "none");
    m = slurp("/proc/self/setgroups");
    expect("setgroups-allow", m && strcmp(m, "allow\n") == 0, "%s", m ? m : "none");
    int fd = open("/proc/self/uid_map", O_WRONLY);
    errno = 0;
    long r = fd < 0 ? -1 : write(fd, "0 0 1\n", 6);
    expect_ret("uid-map-write-eperm", r, errno, -1, EPERM);
    close(fd);
    fd = open("/proc/self/setgroups", O_WRONLY);
    errno = 0;
    r = fd < 0 ? -1 : write(fd, "deny", 4);
    expect_ret("setgroups-write-eperm", r, errno, -1, EPERM);
    close(fd);
}

/* /proc/PID/auxv: the pairs the program started with, ending in AT_NULL;
 * the same values getauxval reads from the stack; a forked child's is its
 * parent's (one image). */
static void g_auxv(void) {
    static unsigned long a[512];
    int fd = open("/proc/self/auxv", O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, a, sizeof a);
    close(fd);
    expect("auxv-pairs", n > 0 && n % 16 == 0, "%zd", n);
    int pairs = n > 0 ? (int)(n / 16) : 0;
    expect("auxv-ends-with-null", pairs > 0 && a[2 * (pairs - 1)] == AT_NULL, "%d pairs", pairs);
    /* Not AT_HWCAP: glibc on x86_64 keeps its own bits there. */
    unsigned long types[] = {AT_PAGESZ, AT_PHDR, AT_PHNUM, AT_ENTRY, AT_UID, AT_RANDOM, AT_EXECFN};
    int same = 0;
    char missing[256] = "";
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        int found = 0;
        for (int i = 0; i < pairs; i++)
            found |= a[2 * i] == types[t] && a[2 * i + 1] == getauxval(types[t]);
        if (!found)
            snprintf(missing + strlen(missing), sizeof missing - strlen(missing), " %lu", types[t]);
    }
    expect("auxv-matches-getauxval", !missing[0], "differs:%s", missing);
    struct stat st;
    expect("auxv-owner-only", stat("/proc/self/auxv", &st) == 0 && (st.st_mode & 0777) == 0400, "%o", st.st_mode);
    int p[2];
    pipe(p);
    pid_t c = xfork();
    if (c == 0) {
        close(p[0]);
        write(p[1], "r", 1);
        pause(); /* the parent reads our auxv, then kills us */
        _exit(0);
    }
    close(p[1]);
    char r;
    read(p[0], &r, 1);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/auxv", c);
    static unsigned long b[512];
    fd = open(path, O_RDONLY);
    ssize_t m = fd < 0 ? -1 : read(fd, b, sizeof b);
    close(fd);
    expect("child-auxv-is-parents", m == n && memcmp(a, b, n) == 0, "%zd vs %zd", m, n);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    close(p[0]);
}

/* /proc/PID/oom_score_adj is kept per process: read back, inherited over
 * fork, range-checked, and below its floor only with CAP_SYS_RESOURCE (the
 * checks drop that capability first: a container's root may lack it).
 * oom_score follows it. */
static int write_adj(const char *path, const char *v) {
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    int r = write(fd, v, strlen(v)) < 0 ? -1 : 0;
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

static long read_long(const char *path) {
    char buf[64] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -99999;
    read(fd, buf, sizeof buf - 1);
    close(fd);
    return atol(buf);
}

static void g_oom(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    d[CAP_SYS_RESOURCE / 32].effective &= ~(1u << (CAP_SYS_RESOURCE % 32));
    EXPECT_OK("drop-cap-sys-resource", syscall(SYS_capset, &h, d));
    const char *adj = "/proc/self/oom_score_adj";
    long base = read_long("/proc/self/oom_score");
    expect("score-in-range", base >= 0 && base <= 2000, "%ld", base);
    EXPECT_OK("raise-to-500", write_adj(adj, "500\n"));
    expect("reads-back-500", read_long(adj) == 500, "%ld", read_long(adj));
    long high = read_long("/proc/self/oom_score");
    expect("score-follows-adj", high > base && high <= 2000, "%ld after %ld", high, base);
    EXPECT_OK("lower-to-200", write_adj(adj, "200"));
    EXPECT_ERR("below-floor-eacces", write_adj(adj, "-1"), EACCES);
    EXPECT_ERR("too-large-einval", write_adj(adj, "1001"), EINVAL);
    EXPECT_ERR("too-small-einval", write_adj(adj, "-1001"), EINVAL);
    EXPECT_ERR("garbage-einval", write_adj(adj, "abc"), EINVAL);
    expect("unchanged-after-errors", read_long(adj) == 200, "%ld", read_long(adj));
    pid_t c = xfork();
    if (c == 0) {
        expect("child-inherits", read_long(adj) == 200, "%ld", read_long(adj));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    char path[64];
    c = xfork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", c);
    EXPECT_OK("set-childs", write_adj(path, "1000"));
    expect("childs-own-value", read_long(path) == 1000 && read_long(adj) == 200, "%ld %ld", read_long(path),
           read_long(adj));
    snprintf(path, sizeof path, "/proc/%d/oom_score", c);
    long child = read_long(path);
    expect("childs-score", child > high, "%ld vs %ld", child, high);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
}

/* user + nice + system of the first line of /proc/stat, in ticks. */
static long long stat_busy(void) {
    char *s = slurp("/proc/stat");
    long long user = -1, nice = -1, sys = -1;
    if (!s || sscanf(s, "cpu %lld %lld %lld", &user, &nice, &sys) != 3)
        return -1;
    return user + nice + sys;
}

/* /proc/stat counts the CPU time of processes that have exited too. */
static void g_cputotal(void) {
    long long before = stat_busy();
    expect("stat-parses", before >= 0, "%lld", before);
    pid_t c = xfork();
    if (c == 0) {
        struct timespec ts;
        do
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        while (ts.tv_sec == 0 && ts.tv_nsec < 300000000);
        _exit(0);
    }
    struct rusage ru;
    int st;
    wait4(c, &st, 0, &ru);
    long hz = sysconf(_SC_CLK_TCK);
    long long child = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * hz +
                      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * hz / 1000000;
    long long after = stat_busy();
    expect("child-burned", child >= 25, "%lld", child);
    /* A tick or two of rounding either side. */
    expect("reaped-child-counted", after - before >= child - 3, "%lld -> %lld, child %lld", before, after, child);
}

static const struct test_group groups[] = {
    {"self", g_self}, {"child", g_child}, {"links", g_links}, {"system", g_system}, {"dev", g_dev},
    {"oom", g_oom}, {"auxv", g_auxv}, {"userns", g_userns}, {"smaps", g_smaps}, {"io", g_io}, {"syscall", g_syscall},
    {"cputotal", g_cputotal},
};

int main(int argc, char **argv) {
    snprintf(self_argv0, sizeof self_argv0, "%s", argv[0]);
    if (argc < 2) {
        for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
            pid_t c = xfork();
            if (c == 0) {
                char *args[] = {argv[0], (char *)groups[i].name, NULL};
                return run_groups(2, args, groups, (int)(sizeof groups / sizeof groups[0]));
            }
            waitpid(c, NULL, 0);
        }
        return 0;
    }
    return RUN_GROUPS(argc, argv, groups);
}
