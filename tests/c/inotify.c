/*
 * inotify(7): the events file operations raise, as the watching program
 * reads them, and the errors of the calls. Runs natively and under husk;
 * both must print the same lines (tests/vfs_syscalls.rs).
 */
#include "vfs_test.h"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <sys/xattr.h>

static const struct {
    unsigned bit;
    const char *name;
} names[] = {
    {IN_ACCESS, "ACCESS"},           {IN_MODIFY, "MODIFY"},       {IN_ATTRIB, "ATTRIB"},
    {IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
    {IN_MOVED_FROM, "MOVED_FROM"},   {IN_MOVED_TO, "MOVED_TO"},   {IN_CREATE, "CREATE"},
    {IN_DELETE, "DELETE"},           {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
    {IN_Q_OVERFLOW, "Q_OVERFLOW"},   {IN_IGNORED, "IGNORED"},     {IN_ISDIR, "ISDIR"},
};

/* Reads every queued event (the instance must be non-blocking) into `out`
 * as text: wd, the mask's names and the name; a MOVED_TO says whether its
 * cookie matches the MOVED_FROM before it. */
static void drain(int fd, char *out, size_t cap) {
    char buf[4096] __attribute__((aligned(8)));
    unsigned last_cookie = 0;
    size_t len = 0;
    out[0] = 0;
#define PUT(...) len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, __VA_ARGS__)
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            PUT("%s[%d", len ? " " : "", e->wd);
            for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (e->mask & names[i].bit)
                    PUT(" %s", names[i].name);
            if (e->len)
                PUT(" '%s'", e->name);
            if (e->mask & IN_MOVED_FROM)
                last_cookie = e->cookie;
            if (e->mask & IN_MOVED_TO)
                PUT(" cookie-%s", e->cookie && e->cookie == last_cookie ? "pairs" : "differs");
            PUT("]");
            p += sizeof *e + e->len;
        }
    }
#undef PUT
}

/* The events queued on `fd` must be `want` (as Linux 6.1 gives them). */
static void expect_events(const char *name, int fd, const char *want) {
    char got[2048];
    drain(fd, got, sizeof got);
    expect(name, strcmp(got, want) == 0, "got \"%s\", want \"%s\"", got, want);
}

static void g_errors(void) {
    scratch_init();
    EXPECT_ERR("init1-bad-flags", inotify_init1(1), EINVAL);
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    EXPECT_OK("init1", fd);
    expect("cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC, "%d", fcntl(fd, F_GETFD));
    expect("nonblock", fcntl(fd, F_GETFL) & O_NONBLOCK, "%x", fcntl(fd, F_GETFL));
    put_file("f", "x");
    EXPECT_ERR("mask-zero", inotify_add_watch(fd, "f", 0), EINVAL);
    EXPECT_ERR("mask-add-and-create", inotify_add_watch(fd, "f", IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE), EINVAL);
    EXPECT_ERR("bad-fd", inotify_add_watch(999, "f", IN_MODIFY), EBADF);
    int other = open("f", O_RDONLY);
    EXPECT_ERR("not-inotify", inotify_add_watch(other, "f", IN_MODIFY), EINVAL);
    EXPECT_ERR("rm-not-inotify", inotify_rm_watch(other, 1), EINVAL);
    close(other);
    EXPECT_ERR("missing", inotify_add_watch(fd, "nope", IN_MODIFY), ENOENT);
    EXPECT_ERR("empty-path", inotify_add_watch(fd, "", IN_MODIFY), ENOENT);
    EXPECT_ERR("bad-path-pointer", inotify_add_watch(fd, (char *)8, IN_MODIFY), EFAULT);
    EXPECT_ERR("onlydir-file", inotify_add_watch(fd, "f", IN_MODIFY | IN_ONLYDIR), ENOTDIR);
    int wd = inotify_add_watch(fd, "f", IN_MODIFY);
    expect("first-wd", wd == 1, "%d", wd);
    expect("same-inode-same-wd", inotify_add_watch(fd, "f", IN_ATTRIB) == wd, "%d", wd);
    link("f", "f2");
    expect("other-name-same-wd", inotify_add_watch(fd, "f2", IN_ATTRIB) == wd, "%d", wd);
    EXPECT_ERR("mask-create-exists", inotify_add_watch(fd, "f", IN_MODIFY | IN_MASK_CREATE), EEXIST);
    symlink("f", "lnk");
    int wl = inotify_add_watch(fd, "lnk", IN_ATTRIB | IN_DONT_FOLLOW);
    expect("dont-follow-own-wd", wl == 2, "%d", wl);
    EXPECT_ERR("rm-bad-wd", inotify_rm_watch(fd, 77), EINVAL);
    EXPECT_OK("rm", inotify_rm_watch(fd, wd));
    EXPECT_ERR("rm-twice", inotify_rm_watch(fd, wd), EINVAL);
    expect_events("after-rm", fd, "[1 ATTRIB] [1 IGNORED]");
    char small[8];
    EXPECT_ERR("read-empty-nonblock", read(fd, small, sizeof small), EAGAIN);
    /* The mask was replaced (IN_ATTRIB), not added to: writing is silent. */
    int w2 = inotify_add_watch(fd, "f", IN_ATTRIB);
    put_file("f", "y");
    expect_events("replaced-mask", fd, "");
    /* IN_MASK_ADD keeps what was there. */
    inotify_add_watch(fd, "f", IN_MODIFY | IN_MASK_ADD);
    chmod("f", 0600);
    put_file("f", "z");
    expect_events("mask-add", fd, "[3 ATTRIB] [3 MODIFY]");
    chmod("f", 0644);
    char one[sizeof(struct inotify_event) - 1];
    EXPECT_ERR("read-too-small", read(fd, one, sizeof one), EINVAL);
    int avail = -1;
    ioctl(fd, FIONREAD, &avail);
    expect("fionread", avail == (int)sizeof(struct inotify_event), "%d", avail);
    expect_events("attrib", fd, "[3 ATTRIB]");
    /* Extended attributes are attributes. */
    EXPECT_OK("setxattr", setxattr("f", "user.k", "v", 1, 0));
    expect_events("setxattr-attrib", fd, "[3 ATTRIB]");
    EXPECT_OK("removexattr", removexattr("f", "user.k"));
    expect_events("removexattr-attrib", fd, "[3 ATTRIB]");
    inotify_rm_watch(fd, w2);
    close(fd);
    EXPECT_ERR("closed", inotify_add_watch(fd, "f", IN_MODIFY), EBADF);
}

static void g_dir(void) {
    scratch_init();
    mkdir("d", 0755);
    int fd = inotify_init1(IN_NONBLOCK);
    int wd = inotify_add_watch(fd, "d", IN_ALL_EVENTS);
    expect("dir-wd", wd == 1, "%d", wd);
    int f = open("d/f", O_CREAT | O_WRONLY, 0644);
    write(f, "abc", 3);
    close(f);
    expect_events("create-write-close", fd, "[1 CREATE 'f'] [1 OPEN 'f'] [1 MODIFY 'f'] [1 CLOSE_WRITE 'f']");
    char buf[8];
    f = open("d/f", O_RDONLY);
    read(f, buf, sizeof buf);
    close(f);
    expect_events("open-read-close", fd, "[1 OPEN 'f'] [1 ACCESS 'f'] [1 CLOSE_NOWRITE 'f']");
    chmod("d/f", 0600);
    truncate("d/f", 1);
    expect_events("chmod-truncate", fd, "[1 ATTRIB 'f'] [1 MODIFY 'f']");
    rename("d/f", "d/g");
    expect_events("rename-within", fd, "[1 MOVED_FROM 'f'] [1 MOVED_TO 'g' cookie-pairs]");
    rename("d/g", "g-outside");
    rename("g-outside", "d/g");
    expect_events("rename-out-and-in", fd, "[1 MOVED_FROM 'g'] [1 MOVED_TO 'g' cookie-differs]");
    link("d/g", "d/h");
    unlink("d/h");
    expect_events("link-unlink", fd, "[1 CREATE 'h'] [1 DELETE 'h']");
    mkdir("d/sub", 0755);
    rmdir("d/sub");
    symlink("g", "d/s");
    mknod("d/p", S_IFIFO | 0644, 0);
    expect_events("mkdir-rmdir-symlink-mkfifo", fd, "[1 CREATE ISDIR 'sub'] [1 DELETE ISDIR 'sub'] [1 CREATE 's'] [1 CREATE 'p']");
    /* Events about names below a subdirectory are the subdirectory's. */
    mkdir("d/sub", 0755);
    expect_events("mkdir-again", fd, "[1 CREATE ISDIR 'sub']");
    put_file("d/sub/deep", "x");
    expect_events("deeper-is-silent", fd, "");
    /* The directory itself: its attributes, opening and listing it. */
    chmod("d", 0700);
    DIR *dir = opendir("d");
    while (readdir(dir))
        ;
    closedir(dir);
    expect_events("dir-itself", fd, "[1 ATTRIB ISDIR] [1 OPEN ISDIR] [1 ACCESS ISDIR] [1 CLOSE_NOWRITE ISDIR]");
    /* A watched directory that moves keeps hearing its names. */
    rename("d", "moved");
    expect_events("dir-moved", fd, "[1 MOVE_SELF]");
    put_file("moved/after", "x");
    expect_events("in-moved-dir", fd, "[1 CREATE 'after'] [1 OPEN 'after'] [1 MODIFY 'after'] [1 CLOSE_WRITE 'after']");
    /* Removing the directory ends the watch. */
    unlink("moved/sub/deep");
    rmdir("moved/sub");
    unlink("moved/g");
    unlink("moved/s");
    unlink("moved/p");
    unlink("moved/after");
    rmdir("moved");
    expect_events("removed", fd, "[1 DELETE ISDIR 'sub'] [1 DELETE 'g'] [1 DELETE 's'] [1 DELETE 'p'] [1 DELETE 'after'] [1 DELETE_SELF] [1 IGNORED]");
    close(fd);
}

static void g_file(void) {
    scratch_init();
    put_file("f", "one");
    int fd = inotify_init1(IN_NONBLOCK);
    int wd = inotify_add_watch(fd, "f", IN_ALL_EVENTS);
    int f = open("f", O_WRONLY | O_APPEND);
    write(f, "two", 3);
    ftruncate(f, 2);
    fallocate(f, 0, 0, 4096);
    close(f);
    expect_events("write-truncate-close", fd, "[1 OPEN] [1 MODIFY] [1 CLOSE_WRITE]");
    f = open("f", O_RDONLY);
    char buf[8];
    pread(f, buf, 2, 0);
    close(f);
    f = open("f", O_PATH);
    close(f);
    expect_events("pread-and-o-path", fd, "[1 OPEN] [1 ACCESS] [1 CLOSE_NOWRITE]");
    rename("f", "g");
    expect_events("moved-self", fd, "[1 MOVE_SELF]");
    link("g", "h");
    unlink("h");
    expect_events("second-name-gone", fd, "[1 ATTRIB]");
    unlink("g");
    expect_events("deleted", fd, "[1 ATTRIB] [1 DELETE_SELF] [1 IGNORED]");
    expect("watch-ended", inotify_rm_watch(fd, wd) == -1 && errno == EINVAL, "%s", errno_name(errno));
    close(fd);

    /* IN_ONESHOT: one event, then the watch is gone. */
    put_file("o", "x");
    fd = inotify_init1(IN_NONBLOCK);
    inotify_add_watch(fd, "o", IN_MODIFY | IN_ONESHOT);
    put_file("o", "y");
    put_file("o", "z");
    expect_events("oneshot", fd, "[1 MODIFY] [1 IGNORED]");
    close(fd);

    /* Identical events in a row are merged; the queue keeps the order. */
    fd = inotify_init1(IN_NONBLOCK);
    inotify_add_watch(fd, "o", IN_MODIFY | IN_ATTRIB);
    f = open("o", O_WRONLY);
    for (int i = 0; i < 5; i++)
        write(f, "a", 1);
    fchmod(f, 0600);
    write(f, "b", 1);
    close(f);
    expect_events("merged", fd, "[1 MODIFY] [1 ATTRIB] [1 MODIFY]");
    close(fd);
}

static void g_wait(void) {
    scratch_init();
    put_file("w", "x");
    int fd = inotify_init();
    inotify_add_watch(fd, "w", IN_MODIFY);
    struct pollfd p = {fd, POLLIN, 0};
    expect("poll-empty", poll(&p, 1, 0) == 0, "%d", p.revents);
    pid_t c = xfork();
    if (c == 0) {
        usleep(100000);
        int f = open("w", O_WRONLY | O_APPEND);
        write(f, "more", 4);
        _exit(0);
    }
    /* A blocking read waits for the other process's write. */
    char buf[256] __attribute__((aligned(8)));
    ssize_t n = read(fd, buf, sizeof buf);
    struct inotify_event *e = (struct inotify_event *)buf;
    expect("blocking-read", n == (ssize_t)sizeof *e && e->mask == IN_MODIFY, "%zd %x", n, n > 0 ? e->mask : 0);
    waitpid(c, NULL, 0);
    int f = open("w", O_WRONLY | O_APPEND);
    write(f, "x", 1);
    close(f);
    expect("poll-ready", poll(&p, 1, 1000) == 1 && p.revents == POLLIN, "%x", p.revents);
    close(fd);
}

static void g_limits(void) {
    long limits[3] = {-1, -1, -1};
    const char *files[3] = {"max_queued_events", "max_user_instances", "max_user_watches"};
    for (int i = 0; i < 3; i++) {
        char path[96], buf[32] = {0};
        snprintf(path, sizeof path, "/proc/sys/fs/inotify/%s", files[i]);
        int fd = open(path, O_RDONLY);
        if (fd >= 0 && read(fd, buf, sizeof buf - 1) > 0)
            limits[i] = atol(buf);
        close(fd);
        expect(files[i], limits[i] > 0, "%ld", limits[i]);
    }
    /* Instances stop at max_user_instances (other processes of the user
     * hold some natively), with EMFILE; closing them gives room back. */
    static int fds[100000];
    long n = 0;
    while (n < limits[1] + 1 && n < 100000 && (fds[n] = inotify_init1(IN_CLOEXEC)) >= 0)
        n++;
    expect("instances-limited", n <= limits[1] && errno == EMFILE, "%ld of %ld, %s", n, limits[1], errno_name(errno));
    for (long i = 0; i < n; i++)
        close(fds[i]);
    int again = inotify_init1(IN_CLOEXEC);
    expect("instances-freed", again >= 0, "%s", errno_name(errno));
    close(again);
}

static const struct test_group groups[] = {
    {"limits", g_limits},
    {"errors", g_errors},
    {"dir", g_dir},
    {"file", g_file},
    {"wait", g_wait},
};

int main(int argc, char **argv) {
    return RUN_GROUPS(argc, argv, groups);
}
