/*
 * proc_sysctl: /proc files whose values the kernel acts on, and the
 * per-process links tools such as CRIU and lsns read:
 *   somaxconn  /proc/sys/net/core/somaxconn: 4096, written by root (proc_dointvec_minmax:
 *              EINVAL for junk and negatives), and caps listen() backlogs: a listener
 *              holds somaxconn+1 connections (AF_UNIX and TCP). Run natively in a new
 *              network namespace (unshare --net), which has its own somaxconn.
 *   maxmap     /proc/sys/vm/max_map_count, enforced: new mappings fail with ENOMEM once
 *              the count is past it, splits (mprotect, munmap of a hole) once it reaches
 *              it. With PROC_SYSCTL_MAX_MAP_COUNT set, that value is written first (so the
 *              run under husk works at a small limit; the checks are relative to it).
 *   core       /proc/sys/kernel/core_pattern: a 0644 file holding one line.
 *   mapfiles   /proc/PID/map_files: a link "start-end" per file-backed VMA; readlink for
 *              whoever may ptrace-read the process, following (open, stat) for
 *              CAP_SYS_ADMIN only (EPERM); strict names (ENOENT).
 *   netns      /proc/PID/ns/net and its nsfs ioctls.
 * Every check prints "name: ok" natively (as root) and under husk.
 *
 * Usage: proc_sysctl GROUP
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <dirent.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534


static long read_long(const char *path) {
    char *s = slurp(path);
    return s ? strtol(s, NULL, 10) : -1;
}

/* Runs `fn` in a child that became `nobody` (dumpable, so its /proc files
 * are its own); "name: ok" if it exited 0, else its status. */
static void as_nobody(const char *name, void (*fn)(void)) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        alone_as(NOBODY);
        prctl(PR_SET_DUMPABLE, 1);
        fn();
        fflush(stdout);
        _exit(0);
    }
    int ws = 0;
    waitpid(c, &ws, 0);
    expect(name, WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "status %x", ws);
}

/* ---- somaxconn ---- */

#define SOMAXCONN_PATH "/proc/sys/net/core/somaxconn"

static void lo_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
}

/* How many non-blocking connects to an abstract AF_UNIX listener made
 * with `backlog` get through before EAGAIN. */
static int unix_fill(const char *name, int backlog) {
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path + 1, name);
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
    if (bind(l, (struct sockaddr *)&a, len) != 0 || listen(l, backlog) != 0)
        return -100 - errno;
    int n = 0;
    int fds[64];
    for (; n < 64; n++) {
        fds[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (connect(fds[n], (struct sockaddr *)&a, len) != 0) {
            if (errno != EAGAIN)
                n = -200 - errno;
            break;
        }
    }
    close(l);
    return n;
}

/* How many connections a TCP listener with `backlog` holds when 12
 * clients connect at once. */
static int tcp_fill(int backlog) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(l, (struct sockaddr *)&a, len) != 0 || listen(l, backlog) != 0)
        return -100 - errno;
    getsockname(l, (struct sockaddr *)&a, &len);
    for (int i = 0; i < 12; i++) {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(c, (struct sockaddr *)&a, len);
    }
    usleep(200 * 1000);
    fcntl(l, F_SETFL, O_NONBLOCK);
    int n = 0;
    while (accept(l, NULL, NULL) >= 0)
        n++;
    close(l);
    return n;
}

static void somaxconn_unprivileged(void) {
    EXPECT_ERR("nobody-write-eacces", open(SOMAXCONN_PATH, O_WRONLY), EACCES);
    expect("nobody-reads", read_long(SOMAXCONN_PATH) == 3, "%ld", read_long(SOMAXCONN_PATH));
}

static void g_somaxconn(void) {
    lo_up();
    struct stat st;
    expect("mode-0644", stat(SOMAXCONN_PATH, &st) == 0 && (st.st_mode & 07777) == 0644, "%o", st.st_mode);
    char *s = slurp(SOMAXCONN_PATH);
    expect("default-4096", s && strcmp(s, "4096\n") == 0, "%s", s ? s : errno_name(errno));
    EXPECT_ERR("write-junk-einval", write_control(SOMAXCONN_PATH, "abc\n"), EINVAL);
    EXPECT_ERR("write-negative-einval", write_control(SOMAXCONN_PATH, "-1\n"), EINVAL);
    EXPECT_ERR("write-trailing-junk-einval", write_control(SOMAXCONN_PATH, "12x\n"), EINVAL);
    EXPECT_ERR("write-empty-line-einval", write_control(SOMAXCONN_PATH, "\n"), EINVAL);
    EXPECT_ERR("write-past-int-einval", write_control(SOMAXCONN_PATH, "2147483648\n"), EINVAL);
    expect("unchanged", read_long(SOMAXCONN_PATH) == 4096, "%ld", read_long(SOMAXCONN_PATH));
    EXPECT_OK("write-3", write_control(SOMAXCONN_PATH, "3\n"));
    s = slurp(SOMAXCONN_PATH);
    expect("reads-3", s && strcmp(s, "3\n") == 0, "%s", s ? s : errno_name(errno));
    /* A listener holds backlog + 1 connections; the backlog is capped at
     * somaxconn, and a negative one (compared as unsigned) is somaxconn. */
    int n = unix_fill("somaxconn-small", 2);
    expect("unix-backlog-2-holds-3", n == 3, "%d", n);
    n = unix_fill("somaxconn-big", 100);
    expect("unix-backlog-100-holds-4", n == 4, "%d", n);
    n = unix_fill("somaxconn-neg", -1);
    expect("unix-backlog-negative-holds-4", n == 4, "%d", n);
    n = tcp_fill(100);
    expect("tcp-backlog-100-holds-4", n == 4, "%d", n);
    as_nobody("nobody", somaxconn_unprivileged);
    EXPECT_OK("write-0", write_control(SOMAXCONN_PATH, "0\n"));
    n = unix_fill("somaxconn-zero", 100);
    expect("unix-somaxconn-0-holds-1", n == 1, "%d", n);
    EXPECT_OK("write-back", write_control(SOMAXCONN_PATH, "4096"));
}

/* ---- maxmap ---- */

#define MAXMAP_PATH "/proc/sys/vm/max_map_count"

/* The VMAs of this process: the lines of its maps ([vsyscall] is no VMA). */
static long vma_count(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    long n = 0;
    while (fgets(line, sizeof line, f))
        if (!strstr(line, "[vsyscall]"))
            n++;
    fclose(f);
    return n;
}

static void maxmap_unprivileged(void) {
    EXPECT_ERR("nobody-write-eacces", open(MAXMAP_PATH, O_WRONLY), EACCES);
}

static void g_maxmap(void) {
    const char *want = getenv("PROC_SYSCTL_MAX_MAP_COUNT");
    if (want)
        write_control(MAXMAP_PATH, want);
    long max = read_long(MAXMAP_PATH);
    expect("positive", max > 0, "%ld", max);
    char text[32];
    snprintf(text, sizeof text, "%ld\n", max);
    EXPECT_OK("write-same", write_control(MAXMAP_PATH, text));
    EXPECT_ERR("write-junk-einval", write_control(MAXMAP_PATH, "many\n"), EINVAL);
    EXPECT_ERR("write-negative-einval", write_control(MAXMAP_PATH, "-5\n"), EINVAL);
    expect("unchanged", read_long(MAXMAP_PATH) == max, "%ld", read_long(MAXMAP_PATH));
    struct stat st;
    expect("mode-0644", stat(MAXMAP_PATH, &st) == 0 && (st.st_mode & 07777) == 0644, "%o", st.st_mode);
    as_nobody("nobody", maxmap_unprivileged);

    long page = sysconf(_SC_PAGESIZE);
    char *big = mmap(NULL, 5 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char **pages = calloc(max + 16, sizeof *pages);
    long n = 0;
    int err = 0;
    /* Single pages of alternating protection, which never merge. */
    for (;;) {
        void *p = mmap(NULL, page, (n & 1) ? PROT_READ : PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            err = errno;
            break;
        }
        if (n < max + 16)
            pages[n] = p;
        n++;
    }
    long count = vma_count();
    expect("fills-to-max-plus-1", err == ENOMEM && count == max + 1, "%s count %ld max %ld", errno_name(err), count,
           max);
    EXPECT_ERR("mprotect-split-enomem", mprotect(big + page, page, PROT_NONE), ENOMEM);
    EXPECT_ERR("munmap-hole-enomem", munmap(big + page, page), ENOMEM);
    expect("count-kept", vma_count() == count, "%ld", vma_count());
    EXPECT_OK("munmap-edge", munmap(big, page));
    expect("sbrk-enomem", sbrk(16 * page) == (void *)-1 && errno == ENOMEM, "%s", errno_name(errno));
    /* Three fewer: two splits fit, a third does not. */
    munmap(pages[n / 2], page);
    munmap(pages[n / 2 + 2], page);
    munmap(pages[n / 2 + 4], page);
    expect("count-max-minus-2", vma_count() == max - 2, "%ld", vma_count());
    EXPECT_OK("mprotect-split-1", mprotect(big + page, page, PROT_NONE));
    EXPECT_OK("mprotect-split-2", mprotect(big + 2 * page, page, PROT_EXEC));
    expect("count-max", vma_count() == max, "%ld", vma_count());
    EXPECT_ERR("mprotect-split-at-max-enomem", mprotect(big + 3 * page, page, PROT_WRITE), ENOMEM);
    /* Changing a whole VMA needs no split; here it merges with the next. */
    EXPECT_OK("mprotect-merge-back", mprotect(big + 2 * page, page, PROT_READ));
    expect("count-merged", vma_count() == max - 1, "%ld", vma_count());
    /* Protections nothing else has, so nothing merges wherever they go. */
    void *a = mmap(NULL, page, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report_map("mmap-below-max", a);
    void *b = mmap(NULL, page, PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report_map("mmap-at-max", b);
    void *c = mmap(NULL, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect("mmap-past-max-enomem", c == MAP_FAILED && errno == ENOMEM, "%s", errno_name(errno));
    expect("count-max-plus-1", vma_count() == max + 1, "%ld", vma_count());
    for (long i = 0; i < n && i < max + 16; i++)
        munmap(pages[i], page);
}

/* ---- core ---- */

static void g_core(void) {
    struct stat st;
    const char *path = "/proc/sys/kernel/core_pattern";
    expect("mode-0644", stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644, "%o",
           st.st_mode);
    char *s = slurp(path);
    expect("one-line", s && strlen(s) > 1 && strchr(s, '\n') == s + strlen(s) - 1, "%s", s ? s : errno_name(errno));
    as_nobody("nobody-cannot-write", maxmap_unprivileged);
}

/* ---- mapfiles ---- */

static char mf_name[64], mf_dir[64];

static int listed(const char *dir, const char *name) {
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, name) == 0)
            found = e->d_type == DT_LNK ? 1 : 2;
    closedir(d);
    return found;
}

static void mapfiles_unprivileged(void) {
    char path[128], link[256] = "";
    snprintf(path, sizeof path, "/proc/self/map_files/%s", mf_name);
    int n = listed("/proc/self/map_files", mf_name);
    expect("nobody-lists-own", n == 1, "%d", n);
    expect("nobody-readlink-own", readlink(path, link, sizeof link - 1) > 0 && strstr(link, "/husk-mapfiles-"), "%s",
           errno_name(errno));
    EXPECT_ERR("nobody-open-eperm", open(path, O_RDONLY), EPERM);
    struct stat st;
    EXPECT_ERR("nobody-stat-eperm", stat(path, &st), EPERM);
    expect("nobody-lstat-ok", lstat(path, &st) == 0 && S_ISLNK(st.st_mode), "%s", errno_name(errno));
    char parent[64];
    snprintf(parent, sizeof parent, "/proc/%d/map_files", (int)getppid());
    EXPECT_ERR("nobody-parent-eacces", opendir(parent) ? 0 : -1, EACCES);
}

static void g_mapfiles(void) {
    long page = sysconf(_SC_PAGESIZE);
    char file[64];
    snprintf(file, sizeof file, "/tmp/husk-mapfiles-%d", (int)getpid());
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    char buf[8192];
    memset(buf, 'm', sizeof buf);
    write(fd, buf, 2 * page);
    int ro = open(file, O_RDONLY);
    char *p = mmap(NULL, 2 * page, PROT_READ, MAP_PRIVATE, ro, 0);
    snprintf(mf_name, sizeof mf_name, "%lx-%lx", (unsigned long)p, (unsigned long)(p + 2 * page));
    snprintf(mf_dir, sizeof mf_dir, "/proc/%d/map_files", (int)getpid());
    struct stat st;
    expect("dir-0500", stat(mf_dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0500, "%o",
           st.st_mode);
    expect("listed", listed("/proc/self/map_files", mf_name) == 1, "%d", listed("/proc/self/map_files", mf_name));
    /* Every name is lowercase hex start-end. */
    DIR *d = opendir("/proc/self/map_files");
    struct dirent *e;
    int bad = 0, count = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        unsigned long a, b;
        char again[64];
        count++;
        if (sscanf(e->d_name, "%lx-%lx", &a, &b) != 2 || a >= b ||
            (snprintf(again, sizeof again, "%lx-%lx", a, b), strcmp(again, e->d_name) != 0))
            bad++;
    }
    if (d)
        closedir(d);
    expect("names-hex", count > 0 && bad == 0, "%d of %d", bad, count);
    char path[128], link[256] = "";
    snprintf(path, sizeof path, "/proc/self/map_files/%s", mf_name);
    expect("lstat-link-0400", lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && (st.st_mode & 07777) == 0400, "%o",
           st.st_mode);
    expect("lstat-size-64", st.st_size == 64, "%ld", (long)st.st_size);
    ssize_t n = readlink(path, link, sizeof link - 1);
    expect("readlink-path", n > 0 && strcmp(link, file) == 0, "%s", n < 0 ? errno_name(errno) : link);
    int o = open(path, O_RDONLY);
    struct stat a, b;
    expect("open-gives-file", o >= 0 && fstat(o, &a) == 0 && fstat(fd, &b) == 0 && a.st_ino == b.st_ino, "%s",
           errno_name(errno));
    char c = 0;
    expect("read-through-link", o >= 0 && read(o, &c, 1) == 1 && c == 'm', "%c", c);
    close(o);
    expect("stat-follows", stat(path, &a) == 0 && S_ISREG(a.st_mode) && a.st_ino == b.st_ino, "%s",
           errno_name(errno));
    /* Upper-case hex names the same VMA; leading zeros, 0x and ranges that
     * are no VMA name nothing. */
    char name[128];
    snprintf(name, sizeof name, "/proc/self/map_files/%lX-%lX", (unsigned long)p, (unsigned long)(p + 2 * page));
    EXPECT_OK("uppercase-name", lstat(name, &st));
    snprintf(name, sizeof name, "/proc/self/map_files/0%lx-%lx", (unsigned long)p, (unsigned long)(p + 2 * page));
    EXPECT_ERR("leading-zero-enoent", lstat(name, &st), ENOENT);
    snprintf(name, sizeof name, "/proc/self/map_files/0x%lx-%lx", (unsigned long)p, (unsigned long)(p + 2 * page));
    EXPECT_ERR("0x-enoent", lstat(name, &st), ENOENT);
    snprintf(name, sizeof name, "/proc/self/map_files/%lx-%lx", (unsigned long)p, (unsigned long)(p + page));
    EXPECT_ERR("part-of-vma-enoent", lstat(name, &st), ENOENT);
    EXPECT_ERR("not-a-name-enoent", lstat("/proc/self/map_files/hello", &st), ENOENT);
    /* Anonymous memory has no link. */
    char *anon = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    snprintf(name, sizeof name, "%lx-%lx", (unsigned long)anon, (unsigned long)(anon + page));
    expect("anon-not-listed", listed("/proc/self/map_files", name) == 0, "");
    /* A file opened for writing too, shared: 0600. */
    char *w = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    snprintf(name, sizeof name, "/proc/self/map_files/%lx-%lx", (unsigned long)w, (unsigned long)(w + page));
    expect("rw-link-0600", lstat(name, &st) == 0 && (st.st_mode & 07777) == 0600, "%o %s", st.st_mode,
           errno_name(errno));
    /* No map_files under task/TID. */
    snprintf(name, sizeof name, "/proc/self/task/%d/map_files", (int)getpid());
    EXPECT_ERR("no-task-map-files", lstat(name, &st), ENOENT);
    as_nobody("nobody", mapfiles_unprivileged);
    /* Unlinked: the link says so. */
    unlink(file);
    memset(link, 0, sizeof link);
    readlink(path, link, sizeof link - 1);
    char want[128];
    snprintf(want, sizeof want, "%s (deleted)", file);
    expect("readlink-deleted", strcmp(link, want) == 0, "%s", link);
    munmap(p, 2 * page);
    EXPECT_ERR("unmapped-gone", lstat(path, &st), ENOENT);
}

/* ---- netns ---- */

static void g_netns(void) {
    char link[64] = "", want[64];
    struct stat st, user;
    int fd = open("/proc/self/ns/net", O_RDONLY);
    expect("open", fd >= 0 && fstat(fd, &st) == 0, "%s", errno_name(errno));
    readlink("/proc/self/ns/net", link, sizeof link - 1);
    snprintf(want, sizeof want, "net:[%lu]", (unsigned long)st.st_ino);
    expect("link-is-inode", strcmp(link, want) == 0, "%s vs %s", link, want);
    struct stat l;
    expect("lstat-link", lstat("/proc/self/ns/net", &l) == 0 && S_ISLNK(l.st_mode), "");
    expect("stat-same-inode", stat("/proc/self/ns/net", &l) == 0 && l.st_ino == st.st_ino, "");
    expect("nstype", ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET, "%s", errno_name(errno));
    int u = ioctl(fd, NS_GET_USERNS);
    stat("/proc/self/ns/user", &user);
    struct stat us;
    expect("owner-userns", u >= 0 && fstat(u, &us) == 0 && us.st_ino == user.st_ino, "%s", errno_name(errno));
    EXPECT_ERR("no-parent", ioctl(fd, NS_GET_PARENT), EINVAL);
    uid_t owner;
    EXPECT_ERR("owner-uid-einval", ioctl(fd, NS_GET_OWNER_UID, &owner), EINVAL);
    EXPECT_ERR("setns-wrong-type", setns(fd, CLONE_NEWUTS), EINVAL);
    EXPECT_OK("setns-own", setns(fd, CLONE_NEWNET));
    struct stat uts;
    stat("/proc/self/ns/uts", &uts);
    expect("same-nsfs-device", st.st_dev == uts.st_dev, "");
    expect("listed", listed("/proc/self/ns", "net") == 1, "");
}

int main(int argc, char **argv) {
    static const struct test_group groups[] = {
        {"somaxconn", g_somaxconn}, {"maxmap", g_maxmap}, {"core", g_core},
        {"mapfiles", g_mapfiles},   {"netns", g_netns},
    };
    return RUN_GROUPS(argc, argv, groups);
}
