/*
 * sysfs_cpu: /sys/devices/system/cpu as the C library and CPU-counting
 * programs read it, and sysfs's refusals of every change. Every check
 * prints "name: ok" natively and under husk. The host's tree has more
 * (cpufreq, cpuidle, ...): only what both must agree on is checked.
 *
 * Usage: sysfs_cpu [GROUP]   (groups: count files readonly)
 */
#include "vfs_test.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

#define CPU "/sys/devices/system/cpu"
#define SYSFS_MAGIC 0x62656572
#define MAXCPU 4096


/* Parses a list in Linux's format ("0-3,8\n") into `set`; returns the
 * count of CPUs, or -1 if the text is not such a list. */
static int parse_list(const char *s, unsigned char *set) {
    memset(set, 0, MAXCPU);
    if (!s || strcmp(s, "\n") == 0)
        return s ? 0 : -1;
    int n = 0;
    for (const char *p = s;;) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p)
            return -1;
        if (*end == '-') {
            p = end + 1;
            b = strtol(p, &end, 10);
            if (end == p)
                return -1;
        }
        if (a < 0 || b < a || b >= MAXCPU)
            return -1;
        for (long i = a; i <= b; i++)
            n += !set[i], set[i] = 1;
        if (*end == ',') {
            p = end + 1;
            continue;
        }
        return strcmp(end, "\n") == 0 ? n : -1;
    }
}

/* The count of CPUs a file of the cpu directory lists (-1 if unreadable). */
static int list_count(const char *name, unsigned char *set) {
    char path[128];
    snprintf(path, sizeof path, CPU "/%s", name);
    return parse_list(slurp(path), set);
}

/* Whether `name` is "cpu" and a canonical number; its number in *n. */
static int cpu_entry(const char *name, int *n) {
    const char *d = name + 3;
    if (strncmp(name, "cpu", 3) != 0 || !*d || (d[0] == '0' && d[1]))
        return 0;
    for (const char *p = d; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    *n = atoi(d);
    return *n < MAXCPU;
}

/* Marks the cpuN entries of the cpu directory in `set`; returns their
 * count, or -1 if a cpuN entry is not a directory or the listing fails. */
static int cpu_dirs(unsigned char *set) {
    memset(set, 0, MAXCPU);
    DIR *d = opendir(CPU);
    if (!d)
        return -1;
    int count = 0, n;
    for (struct dirent *e; (e = readdir(d));) {
        if (!cpu_entry(e->d_name, &n))
            continue;
        if (e->d_type != DT_DIR)
            count = -1000;
        set[n] = 1;
        count++;
    }
    closedir(d);
    return count < 0 ? -1 : count;
}

static unsigned char online[MAXCPU], possible[MAXCPU], present[MAXCPU], dirs[MAXCPU];

static int subset(const unsigned char *a, const unsigned char *b) {
    for (int i = 0; i < MAXCPU; i++)
        if (a[i] && !b[i])
            return 0;
    return 1;
}

static void g_count(void) {
    int on = list_count("online", online), pos = list_count("possible", possible);
    int pre = list_count("present", present), nd = cpu_dirs(dirs);
    expect("online-list", on > 0, "%d: %s", on, slurp(CPU "/online"));
    expect("possible-list", pos > 0, "%d", pos);
    expect("present-list", pre > 0, "%d", pre);
    expect("online-in-present-in-possible", subset(online, present) && subset(present, possible), "%d %d %d", on, pre,
           pos);
    expect("cpu-dirs", nd > 0, "%d", nd);
    expect("cpu-dirs-are-present", memcmp(dirs, present, MAXCPU) == 0, "%d dirs, %d present", nd, pre);
    expect("get_nprocs", get_nprocs() == on, "%d vs online %d", get_nprocs(), on);
    expect("get_nprocs_conf", get_nprocs_conf() == nd, "%d vs %d cpuN", get_nprocs_conf(), nd);
    long onln = sysconf(_SC_NPROCESSORS_ONLN), conf = sysconf(_SC_NPROCESSORS_CONF);
    expect("sysconf-onln", onln == on, "%ld vs %d", onln, on);
    expect("sysconf-conf", conf == nd, "%ld vs %d", conf, nd);
    cpu_set_t mask;
    CPU_ZERO(&mask);
    int aff = sched_getaffinity(0, sizeof mask, &mask) == 0 ? CPU_COUNT(&mask) : -1;
    int within = aff > 0;
    for (int i = 0; i < CPU_SETSIZE && i < MAXCPU; i++)
        if (CPU_ISSET(i, &mask) && !online[i])
            within = 0;
    expect("affinity-within-online", within, "%d CPUs", aff);
    char *s = slurp(CPU "/kernel_max");
    long max = s ? strtol(s, NULL, 10) : -1;
    int top = 0;
    for (int i = 0; i < MAXCPU; i++)
        if (possible[i])
            top = i;
    expect("kernel_max", s && max >= top && strchr(s, '\n') == s + strlen(s) - 1, "%s", s ? s : "unreadable");
}

/* "name: ok" if `path` has type and permission bits `mode`. */
static void expect_mode(const char *name, const char *path, unsigned mode) {
    struct stat st;
    int r = stat(path, &st);
    expect(name, r == 0 && st.st_mode == mode, "%s %o", r ? errno_name(errno) : "mode", r ? 0 : st.st_mode);
}

/* The entries of `path` that are directories. */
static int subdirs(const char *path) {
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

static void g_files(void) {
    expect_mode("sys-root-0555", "/sys", S_IFDIR | 0555);
    expect_mode("devices-0755", "/sys/devices", S_IFDIR | 0755);
    expect_mode("system-0755", "/sys/devices/system", S_IFDIR | 0755);
    expect_mode("cpu-0755", CPU, S_IFDIR | 0755);
    expect_mode("cpu0-0755", CPU "/cpu0", S_IFDIR | 0755);
    const char *files[] = {"online", "possible", "present", "kernel_max"};
    for (int i = 0; i < 4; i++) {
        char path[128], name[64];
        snprintf(path, sizeof path, CPU "/%s", files[i]);
        snprintf(name, sizeof name, "%s-0444", files[i]);
        expect_mode(name, path, S_IFREG | 0444);
        struct stat st;
        snprintf(name, sizeof name, "%s-size", files[i]);
        expect(name, stat(path, &st) == 0 && st.st_size == 4096 && st.st_uid == 0, "%ld", (long)st.st_size);
    }
    struct stat st;
    stat(CPU, &st);
    expect("cpu-nlink", st.st_nlink == 2 + (nlink_t)subdirs(CPU), "%lu vs %d", (unsigned long)st.st_nlink,
           subdirs(CPU));
    struct statfs sf;
    expect("statfs-sys", statfs("/sys", &sf) == 0 && sf.f_type == SYSFS_MAGIC, "%lx", (long)sf.f_type);
    expect("statfs-cpu", statfs(CPU "/online", &sf) == 0 && sf.f_type == SYSFS_MAGIC, "%lx", (long)sf.f_type);
    struct stat top;
    expect("cpu-dir-same-fs", stat(CPU, &st) == 0 && stat("/sys", &top) == 0 && top.st_dev == st.st_dev, "differs");
    /* Reads at an offset, and again from the start. */
    char whole[64] = "", part[64] = "";
    int fd = open(CPU "/online", O_RDONLY);
    ssize_t n = read(fd, whole, sizeof whole - 1);
    ssize_t m = pread(fd, part, sizeof part - 1, 1);
    expect("pread-offset", n > 1 && m == n - 1 && memcmp(whole + 1, part, m) == 0, "%zd %zd", n, m);
    expect("read-at-end", read(fd, part, sizeof part) == 0, "more data");
    lseek(fd, 0, SEEK_SET);
    expect("reread", read(fd, part, sizeof part - 1) == n && memcmp(whole, part, n) == 0, "differs");
    close(fd);
    expect("missing-cpu", access(CPU "/cpu4096", F_OK) != 0 && errno == ENOENT, "%s", errno_name(errno));
    expect("not-a-dir", access(CPU "/online/x", F_OK) != 0 && errno == ENOTDIR, "%s", errno_name(errno));
}

/* The refusals of a sysfs mounted at `root`: read-only (`ro`) or not. */
static void refusals(const char *tag, const char *root, int ro) {
    char f[256], d[256], name[64];
    snprintf(f, sizeof f, "%s/devices/system/cpu/online", root);
    snprintf(d, sizeof d, "%s/devices/system/cpu", root);
    char p[320], q[320];
#define NAME(s) (snprintf(name, sizeof name, "%s-%s", tag, s), name)
    EXPECT_ERR(NAME("open-wronly"), open(f, O_WRONLY), ro ? EROFS : EACCES);
    EXPECT_ERR(NAME("open-rdwr"), open(f, O_RDWR), ro ? EROFS : EACCES);
    EXPECT_ERR(NAME("open-wronly-trunc"), open(f, O_WRONLY | O_TRUNC), ro ? EROFS : EACCES);
    snprintf(p, sizeof p, "%s/newfile", d);
    EXPECT_ERR(NAME("creat"), open(p, O_WRONLY | O_CREAT, 0644), ro ? EROFS : EACCES);
    EXPECT_ERR(NAME("mkdir"), mkdir(p, 0755), ro ? EROFS : EPERM);
    EXPECT_ERR(NAME("mknod"), mknod(p, S_IFIFO | 0600, 0), ro ? EROFS : EPERM);
    EXPECT_ERR(NAME("symlink"), symlink("online", p), ro ? EROFS : EPERM);
    EXPECT_ERR(NAME("link"), link(f, p), ro ? EROFS : EPERM);
    EXPECT_ERR(NAME("unlink"), unlink(f), ro ? EROFS : EPERM);
    snprintf(q, sizeof q, "%s/cpu0", d);
    EXPECT_ERR(NAME("rmdir"), rmdir(q), ro ? EROFS : EPERM);
    EXPECT_ERR(NAME("rename"), rename(f, p), ro ? EROFS : EPERM);
    expect(NAME("unchanged"), access(p, F_OK) != 0 && access(f, R_OK) == 0, "changed");
#undef NAME
}

static void g_readonly(void) {
    /* The sandbox's /sys is read-only (as in containers); the host's may
     * not be: each gets Linux's answer for its mount. */
    struct statvfs sv;
    statvfs("/sys", &sv);
    refusals("sys", "/sys", (sv.f_flag & ST_RDONLY) != 0);
    /* A sysfs of one's own, in a private mount namespace. */
    scratch_init();
    mkdir("sys", 0755);
    char root[300];
    snprintf(root, sizeof root, "%s/sys", scratch);
    pid_t c = fork();
    if (c == 0) {
        EXPECT_OK("unshare-newns", unshare(CLONE_NEWNS));
        EXPECT_OK("private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
        EXPECT_OK("mount-sysfs", mount("sysfs", root, "sysfs", 0, NULL));
        struct statfs sf;
        expect("mounted-statfs", statfs(root, &sf) == 0 && sf.f_type == SYSFS_MAGIC, "%lx", (long)sf.f_type);
        char path[400], mine[64] = "", theirs[64] = "";
        snprintf(path, sizeof path, "%s/devices/system/cpu/online", root);
        get_file(path, mine, sizeof mine);
        get_file(CPU "/online", theirs, sizeof theirs);
        expect("mounted-online", mine[0] && strcmp(mine, theirs) == 0, "%s vs %s", mine, theirs);
        statvfs(root, &sv);
        expect("mounted-rw", !(sv.f_flag & ST_RDONLY), "read-only");
        refusals("rw", root, 0);
        /* O_TRUNC with a read-only opening is accepted (and changes nothing). */
        int fd = open(path, O_RDONLY | O_TRUNC);
        expect("rw-rdonly-trunc", fd >= 0 && read(fd, mine, sizeof mine) > 1, "%s", errno_name(errno));
        close(fd);
        EXPECT_OK("remount-ro", mount(NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
        refusals("ro", root, 1);
        EXPECT_OK("umount", umount(root));
        fflush(stdout);
        _exit(0);
    }
    int st;
    expect("child", waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", status_text(st));
}

/* The host's transparent huge page settings, which JVMs and allocators
 * read: printed (the same file natively and in the sandbox), with their
 * modes. Nothing is written: natively that would change the host. */
static void g_thp(void) {
    const char *files[] = {"enabled", "defrag"};
    for (int i = 0; i < 2; i++) {
        char path[128], buf[256] = {0};
        snprintf(path, sizeof path, "/sys/kernel/mm/transparent_hugepage/%s", files[i]);
        int fd = open(path, O_RDONLY);
        long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        close(fd);
        struct stat st;
        int r = stat(path, &st);
        printf("%s: %ld %s mode %o size %ld\n", files[i], n, n > 0 ? strtok(buf, "\n") : errno_name(errno),
               r == 0 ? st.st_mode : 0, r == 0 ? (long)st.st_size : -1L);
    }
    struct stat st;
    stat("/sys/kernel/mm/transparent_hugepage", &st);
    printf("dir mode %o\n", st.st_mode);
    stat("/sys/kernel/mm", &st);
    printf("mm mode %o\n", st.st_mode);
}

static const struct test_group groups[] = {
    {"count", g_count}, {"files", g_files}, {"readonly", g_readonly}, {"thp", g_thp}};

int main(int argc, char **argv) {
    return RUN_GROUPS(argc, argv, groups);
}
