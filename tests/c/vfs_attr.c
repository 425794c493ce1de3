/*
 * Inode flags on tmpfs (tests/vfs_attrs.rs): FS_IOC_GETFLAGS/SETFLAGS and
 * FS_IOC_FSGETXATTR/FSSETXATTR with the flags Linux's tmpfs keeps
 * (immutable, append-only, nodump, noatime), and how the VFS enforces
 * them: opens, truncation, names, metadata, xattrs, fcntl, statx, atime.
 * Works in a scratch directory of /dev/shm (tmpfs natively and under
 * husk); every check prints "name: ok" natively.
 */
#define _GNU_SOURCE
#include "vfs_test.h"

#include <dirent.h>
#include <ftw.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/xattr.h>

#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x20
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x2000
#endif

static int getfl(int fd) {
    int f = -1;
    if (ioctl(fd, FS_IOC_GETFLAGS, &f) != 0)
        return -errno;
    return f;
}

static int setfl(int fd, int f) {
    return ioctl(fd, FS_IOC_SETFLAGS, &f);
}

/* Sets the flags of a path (opened read-only, as chattr does). */
static int chattr(const char *path, int f) {
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    int r = setfl(fd, f);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

static int flags_of(const char *path) {
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    int f = getfl(fd);
    close(fd);
    return f;
}

static int unflag(const char *p, const struct stat *s, int flag, struct FTW *f) {
    (void)s; (void)flag; (void)f;
    chattr(p, 0);
    return 0;
}

/* Flags first, or nothing could be removed (scratch_cleanup, registered
 * before, runs after). */
static void unflag_scratch(void) {
    if (scratch[0] && getuid() == 0)
        nftw(scratch, unflag, 16, FTW_PHYS);
}

static void scratch_in_shm(void) {
    setenv("VFS_SCRATCH_PARENT", "/dev/shm", 1);
    scratch_init();
    atexit(unflag_scratch);
    if (chmod(scratch, 0755) != 0) {
        printf("scratch-chmod: %s\n", errno_name(errno));
        exit(1);
    }
}


static void expect_flags(const char *name, const char *path, int want) {
    int got = flags_of(path);
    expect(name, got == want, "flags %#x, want %#x", got, want);
}

/* ---------------------------------------------------------------------- */

static void g_flags(void) {
    scratch_in_shm();
    put_file("f", "data");
    int fd = open("f", O_RDONLY);
    expect("new-file-flags", getfl(fd) == 0, "%#x", getfl(fd));
    int ok[] = {FS_IMMUTABLE_FL, FS_APPEND_FL, FS_NODUMP_FL, FS_NOATIME_FL,
                FS_NODUMP_FL | FS_NOATIME_FL};
    for (unsigned i = 0; i < sizeof ok / sizeof *ok; i++) {
        char name[64];
        snprintf(name, sizeof name, "set-%#x", ok[i]);
        EXPECT_OK(name, setfl(fd, ok[i]));
        snprintf(name, sizeof name, "get-%#x", ok[i]);
        expect(name, getfl(fd) == ok[i], "%#x", getfl(fd));
        setfl(fd, 0);
    }
    int bad[] = {FS_SECRM_FL, FS_UNRM_FL, FS_COMPR_FL, FS_SYNC_FL, FS_DIRTY_FL,
                 FS_NOCOMP_FL, FS_INDEX_FL, FS_JOURNAL_DATA_FL, FS_NOTAIL_FL,
                 FS_DIRSYNC_FL, FS_TOPDIR_FL, FS_EXTENT_FL, FS_NOCOW_FL, FS_DAX_FL,
                 FS_PROJINHERIT_FL, FS_CASEFOLD_FL, (int)0x80000000,
                 FS_NODUMP_FL | FS_SYNC_FL};
    for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) {
        char name[64];
        snprintf(name, sizeof name, "refuse-%#x", bad[i]);
        EXPECT_ERR(name, setfl(fd, bad[i]), EOPNOTSUPP);
    }
    expect("refused-left-nothing", getfl(fd) == 0, "%#x", getfl(fd));
    EXPECT_ERR("getflags-efault", ioctl(fd, FS_IOC_GETFLAGS, NULL), EFAULT);
    EXPECT_ERR("setflags-efault", ioctl(fd, FS_IOC_SETFLAGS, NULL), EFAULT);
    EXPECT_ERR("getflags32-enotty", ioctl(fd, FS_IOC32_GETFLAGS, &(int){0}), ENOTTY);

    /* The fsxattr view of the same word. */
    struct fsxattr x;
    setfl(fd, FS_NODUMP_FL | FS_NOATIME_FL);
    memset(&x, 0xff, sizeof x);
    EXPECT_OK("fsgetxattr", ioctl(fd, FS_IOC_FSGETXATTR, &x));
    expect("fsgetxattr-xflags", x.fsx_xflags == (FS_XFLAG_NODUMP | FS_XFLAG_NOATIME) &&
           x.fsx_extsize == 0 && x.fsx_nextents == 0 && x.fsx_projid == 0 &&
           x.fsx_cowextsize == 0, "xflags %#x", x.fsx_xflags);
    struct { unsigned xflags; int err; const char *name; } xs[] = {
        {FS_XFLAG_IMMUTABLE | FS_XFLAG_APPEND, 0, "fsx-immutable-append"},
        {FS_XFLAG_PREALLOC | FS_XFLAG_HASATTR | FS_XFLAG_NODUMP, 0, "fsx-readonly-bits-dropped"},
        {FS_XFLAG_COWEXTSIZE, 0, "fsx-cowextsize-zero"},
        {FS_XFLAG_EXTSIZE, 0, "fsx-extsize-zero"},
        {FS_XFLAG_SYNC, EOPNOTSUPP, "fsx-sync"},
        {FS_XFLAG_DAX, EOPNOTSUPP, "fsx-dax"},
        {FS_XFLAG_PROJINHERIT, EOPNOTSUPP, "fsx-projinherit"},
        {FS_XFLAG_REALTIME, EOPNOTSUPP, "fsx-realtime"},
        {FS_XFLAG_RTINHERIT, EOPNOTSUPP, "fsx-rtinherit"},
        {FS_XFLAG_NODEFRAG, EOPNOTSUPP, "fsx-nodefrag"},
        {FS_XFLAG_EXTSZINHERIT, EINVAL, "fsx-extszinherit-file"},
        {0x40000, EOPNOTSUPP, "fsx-unknown"},
    };
    for (unsigned i = 0; i < sizeof xs / sizeof *xs; i++) {
        memset(&x, 0, sizeof x);
        x.fsx_xflags = xs[i].xflags;
        if (xs[i].err)
            EXPECT_ERR(xs[i].name, ioctl(fd, FS_IOC_FSSETXATTR, &x), xs[i].err);
        else
            EXPECT_OK(xs[i].name, ioctl(fd, FS_IOC_FSSETXATTR, &x));
    }
    expect("fsx-last-kept", getfl(fd) == 0, "%#x", getfl(fd));
    memset(&x, 0, sizeof x);
    x.fsx_xflags = FS_XFLAG_IMMUTABLE | FS_XFLAG_PREALLOC;
    ioctl(fd, FS_IOC_FSSETXATTR, &x);
    expect("fsx-sets-flags", getfl(fd) == FS_IMMUTABLE_FL, "%#x", getfl(fd));
    setfl(fd, 0);
    memset(&x, 0, sizeof x);
    x.fsx_extsize = 4096;
    EXPECT_ERR("fsx-extsize-value", ioctl(fd, FS_IOC_FSSETXATTR, &x), EOPNOTSUPP);
    memset(&x, 0, sizeof x);
    x.fsx_projid = 7;
    EXPECT_ERR("fsx-projid", ioctl(fd, FS_IOC_FSSETXATTR, &x), EOPNOTSUPP);
    x.fsx_projid = (unsigned)-1;
    EXPECT_ERR("fsx-projid-invalid", ioctl(fd, FS_IOC_FSSETXATTR, &x), EINVAL);
    memset(&x, 0, sizeof x);
    x.fsx_nextents = 9;
    EXPECT_OK("fsx-nextents-ignored", ioctl(fd, FS_IOC_FSSETXATTR, &x));
    EXPECT_ERR("fsx-efault", ioctl(fd, FS_IOC_FSSETXATTR, NULL), EFAULT);
    close(fd);

    /* Directories: flags of their own, nodump and noatime inherited. */
    mkdir("d", 0755);
    expect_flags("dir-flags", "d", 0);
    EXPECT_OK("dir-set", chattr("d", FS_NODUMP_FL | FS_NOATIME_FL));
    expect_flags("dir-get", "d", FS_NODUMP_FL | FS_NOATIME_FL);
    put_file("d/f", "x");
    mkdir("d/sub", 0755);
    expect_flags("child-file-inherits", "d/f", FS_NODUMP_FL | FS_NOATIME_FL);
    expect_flags("child-dir-inherits", "d/sub", FS_NODUMP_FL | FS_NOATIME_FL);
    mkdir("e", 0755);
    chattr("e", FS_APPEND_FL);
    put_file("e/f", "x");
    expect_flags("append-not-inherited", "e/f", 0);
    chattr("e", 0);
    memset(&x, 0, sizeof x);
    x.fsx_xflags = FS_XFLAG_EXTSZINHERIT;
    int dfd = open("e", O_RDONLY | O_DIRECTORY);
    EXPECT_OK("fsx-extszinherit-dir", ioctl(dfd, FS_IOC_FSSETXATTR, &x));
    close(dfd);

    /* Other kinds of file. */
    int m = memfd_create("attr", 0);
    expect("memfd-flags", getfl(m) == 0, "%d", getfl(m));
    EXPECT_OK("memfd-set", setfl(m, FS_APPEND_FL | FS_NODUMP_FL));
    expect("memfd-get", getfl(m) == (FS_APPEND_FL | FS_NODUMP_FL), "%#x", getfl(m));
    close(m);
    int p = open("f", O_PATH);
    EXPECT_ERR("opath-ebadf", ioctl(p, FS_IOC_GETFLAGS, &(int){0}), EBADF);
    close(p);
    int pp[2];
    pipe(pp);
    EXPECT_ERR("pipe-enotty", ioctl(pp[0], FS_IOC_GETFLAGS, &(int){0}), ENOTTY);
    EXPECT_ERR("pipe-set-enotty", setfl(pp[1], 0), ENOTTY);
    mkfifo("fifo", 0644);
    int ff = open("fifo", O_RDWR);
    EXPECT_ERR("fifo-enotty", ioctl(ff, FS_IOC_GETFLAGS, &(int){0}), ENOTTY);
    int dn = open("/dev/null", O_RDONLY);
    EXPECT_ERR("devnull-enotty", ioctl(dn, FS_IOC_GETFLAGS, &(int){0}), ENOTTY);
    int pr = open("/proc/self/status", O_RDONLY);
    EXPECT_ERR("proc-enotty", ioctl(pr, FS_IOC_GETFLAGS, &(int){0}), ENOTTY);
    int t = open(".", O_TMPFILE | O_RDWR, 0600);
    expect("tmpfile-flags", getfl(t) == 0, "%d", getfl(t));
    EXPECT_OK("tmpfile-set", setfl(t, FS_NOATIME_FL));
}

static void g_immutable(void) {
    scratch_in_shm();
    put_file("f", "data");
    put_file("other", "o");
    setxattr("f", "user.k", "v", 1, 0);
    int wfd = open("f", O_RDWR);
    EXPECT_OK("set-i", chattr("f", FS_IMMUTABLE_FL));
    EXPECT_ERR("open-wronly", open("f", O_WRONLY), EPERM);
    EXPECT_ERR("open-rdwr", open("f", O_RDWR), EPERM);
    EXPECT_ERR("open-append", open("f", O_WRONLY | O_APPEND), EPERM);
    EXPECT_ERR("open-rdonly-trunc", open("f", O_RDONLY | O_TRUNC), EPERM);
    EXPECT_ERR("open-creat-wronly", open("f", O_WRONLY | O_CREAT, 0644), EPERM);
    int r = open("f", O_RDONLY);
    char buf[8] = {0};
    EXPECT_OK("open-rdonly", r);
    expect("read", read(r, buf, sizeof buf) == 4 && memcmp(buf, "data", 4) == 0, "%s", buf);
    EXPECT_ERR("truncate", truncate("f", 0), EPERM);
    EXPECT_ERR("unlink", unlink("f"), EPERM);
    EXPECT_ERR("rename-away", rename("f", "g"), EPERM);
    EXPECT_ERR("rename-over", rename("other", "f"), EPERM);
    EXPECT_ERR("link", link("f", "f2"), EPERM);
    EXPECT_ERR("chmod", chmod("f", 0600), EPERM);
    EXPECT_ERR("fchmod", fchmod(r, 0600), EPERM);
    EXPECT_ERR("chown", chown("f", 1, 1), EPERM);
    EXPECT_OK("chown-nothing", chown("f", -1, -1));
    struct timespec ts[2] = {{1000, 0}, {1000, 0}};
    EXPECT_ERR("utimens-explicit", utimensat(AT_FDCWD, "f", ts, 0), EPERM);
    EXPECT_ERR("utimens-now", utimensat(AT_FDCWD, "f", NULL, 0), EPERM);
    EXPECT_ERR("setxattr", setxattr("f", "user.k", "w", 1, 0), EPERM);
    EXPECT_ERR("fsetxattr", fsetxattr(r, "user.n", "w", 1, 0), EPERM);
    EXPECT_ERR("removexattr", removexattr("f", "user.k"), EPERM);
    expect("getxattr", getxattr("f", "user.k", buf, sizeof buf) == 1, "%s", errno_name(errno));
    EXPECT_ERR("fallocate-open-before", fallocate(wfd, 0, 0, 10), EPERM);
    struct statx sx;
    statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx);
    expect("statx-attr", (sx.stx_attributes & 0x70) == STATX_ATTR_IMMUTABLE &&
           (sx.stx_attributes_mask & 0x70) == 0x70, "attr %#llx mask %#llx",
           (unsigned long long)sx.stx_attributes, (unsigned long long)sx.stx_attributes_mask);
    EXPECT_OK("clear-i", chattr("f", 0));
    EXPECT_OK("open-after-clear", open("f", O_WRONLY));
    EXPECT_OK("unlink-after-clear", unlink("f"));
    close(r);
    close(wfd);

    /* An immutable directory: no name comes or goes. */
    mkdir("d", 0755);
    put_file("d/in", "x");
    mkdir("d/sub", 0755);
    put_file("outside", "y");
    EXPECT_OK("set-dir-i", chattr("d", FS_IMMUTABLE_FL));
    EXPECT_ERR("dir-create", open("d/new", O_WRONLY | O_CREAT, 0644), EPERM);
    EXPECT_ERR("dir-mkdir", mkdir("d/newdir", 0755), EPERM);
    EXPECT_ERR("dir-mkfifo", mkfifo("d/fifo", 0644), EPERM);
    EXPECT_ERR("dir-symlink", symlink("in", "d/ln"), EPERM);
    EXPECT_ERR("dir-link", link("outside", "d/hard"), EPERM);
    EXPECT_ERR("dir-unlink", unlink("d/in"), EPERM);
    EXPECT_ERR("dir-rmdir-child", rmdir("d/sub"), EPERM);
    EXPECT_ERR("dir-rename-within", rename("d/in", "d/in2"), EPERM);
    EXPECT_ERR("dir-rename-in", rename("outside", "d/outside"), EPERM);
    EXPECT_ERR("dir-rename-out", rename("d/in", "moved"), EPERM);
    EXPECT_ERR("dir-tmpfile", open("d", O_TMPFILE | O_RDWR, 0600), EPERM);
    EXPECT_ERR("dir-rmdir-self", rmdir("d"), EPERM);
    EXPECT_OK("dir-child-writable", open("d/in", O_WRONLY | O_TRUNC));
    EXPECT_OK("dir-child-create-deeper", put_file("d/sub/deeper", "z"));
    struct stat st;
    EXPECT_ERR("dir-create-left-nothing", stat("d/new", &st), ENOENT);
    EXPECT_OK("clear-dir-i", chattr("d", 0));
    EXPECT_OK("dir-create-after-clear", put_file("d/new", "n"));
}

static void g_append(void) {
    scratch_in_shm();
    put_file("f", "ab");
    setxattr("f", "user.k", "v", 1, 0);
    EXPECT_OK("set-a", chattr("f", FS_APPEND_FL));
    EXPECT_ERR("open-wronly", open("f", O_WRONLY), EPERM);
    EXPECT_ERR("open-rdwr", open("f", O_RDWR), EPERM);
    EXPECT_ERR("open-append-trunc", open("f", O_WRONLY | O_APPEND | O_TRUNC), EPERM);
    EXPECT_ERR("open-rdonly-trunc", open("f", O_RDONLY | O_TRUNC), EPERM);
    int a = open("f", O_WRONLY | O_APPEND);
    EXPECT_OK("open-append", a);
    lseek(a, 0, SEEK_SET);
    EXPECT_OK("write", write(a, "cd", 2));
    EXPECT_OK("open-rdwr-append", open("f", O_RDWR | O_APPEND));
    int r = open("f", O_RDONLY);
    char buf[8] = {0};
    expect("appended", pread(r, buf, sizeof buf, 0) == 4 && memcmp(buf, "abcd", 4) == 0, "%s", buf);
    int plain = open("f", O_WRONLY | O_APPEND);
    EXPECT_OK("pwrite-appends", pwrite(plain, "!", 1, 0));
    close(plain);
    EXPECT_ERR("truncate", truncate("f", 0), EPERM);
    EXPECT_ERR("ftruncate", ftruncate(a, 0), EPERM);
    EXPECT_OK("fallocate", fallocate(a, 0, 0, 10));
    EXPECT_OK("fallocate-keep-size", fallocate(a, FALLOC_FL_KEEP_SIZE, 0, 20));
    EXPECT_ERR("fallocate-zero-range", fallocate(a, FALLOC_FL_ZERO_RANGE, 0, 10), EPERM);
    struct iovec iov = {"ef", 2};
    EXPECT_ERR("pwritev2-noappend", pwritev2(a, &iov, 1, -1, RWF_NOAPPEND), EPERM);
    EXPECT_OK("pwritev2", pwritev2(a, &iov, 1, -1, 0));
    EXPECT_ERR("setfl-drop-append", fcntl(a, F_SETFL, O_NONBLOCK), EPERM);
    EXPECT_OK("setfl-keep-append", fcntl(a, F_SETFL, O_APPEND | O_NONBLOCK));
    expect("setfl-kept", (fcntl(a, F_GETFL) & (O_APPEND | O_NONBLOCK)) == (O_APPEND | O_NONBLOCK),
           "%#x", fcntl(a, F_GETFL));
    EXPECT_ERR("setfl-add-append-rdonly", fcntl(r, F_SETFL, O_APPEND), EPERM);
    EXPECT_OK("setfl-rdonly-other", fcntl(r, F_SETFL, O_NONBLOCK));
    EXPECT_ERR("unlink", unlink("f"), EPERM);
    EXPECT_ERR("rename", rename("f", "g"), EPERM);
    EXPECT_ERR("link", link("f", "h"), EPERM);
    EXPECT_ERR("chmod", chmod("f", 0600), EPERM);
    EXPECT_ERR("chown", chown("f", 0, 0), EPERM);
    struct timespec ts[2] = {{1000, 0}, {1000, 0}};
    EXPECT_ERR("utimens-explicit", utimensat(AT_FDCWD, "f", ts, 0), EPERM);
    EXPECT_OK("utimens-now", utimensat(AT_FDCWD, "f", NULL, 0));
    struct timespec now2[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    EXPECT_OK("utimens-both-now", utimensat(AT_FDCWD, "f", now2, 0));
    EXPECT_ERR("setxattr", setxattr("f", "user.k", "w", 1, 0), EPERM);
    EXPECT_ERR("removexattr", removexattr("f", "user.k"), EPERM);
    struct statx sx;
    statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx);
    expect("statx-attr", (sx.stx_attributes & 0x70) == STATX_ATTR_APPEND, "%#llx",
           (unsigned long long)sx.stx_attributes);
    EXPECT_OK("clear-a", chattr("f", 0));
    EXPECT_OK("setfl-drop-after-clear", fcntl(a, F_SETFL, 0));
    EXPECT_OK("truncate-after-clear", truncate("f", 0));
    close(a);
    close(r);

    /* An append-only directory: names come but do not go. */
    mkdir("d", 0755);
    put_file("d/in", "x");
    put_file("outside", "y");
    EXPECT_OK("set-dir-a", chattr("d", FS_APPEND_FL));
    EXPECT_OK("dir-create", put_file("d/new", "n"));
    EXPECT_OK("dir-mkdir", mkdir("d/sub", 0755));
    EXPECT_OK("dir-rename-in", rename("outside", "d/outside"));
    EXPECT_OK("dir-link", link("d/in", "d/in-link"));
    EXPECT_ERR("dir-unlink", unlink("d/in"), EPERM);
    EXPECT_ERR("dir-rmdir", rmdir("d/sub"), EPERM);
    EXPECT_ERR("dir-rename-within", rename("d/in", "d/in2"), EPERM);
    EXPECT_ERR("dir-rename-out", rename("d/in", "moved"), EPERM);
    EXPECT_ERR("dir-rename-over", rename("d/new", "d/in"), EPERM);
    EXPECT_OK("dir-child-writable", open("d/in", O_WRONLY | O_TRUNC));
    EXPECT_OK("clear-dir-a", chattr("d", 0));
    EXPECT_OK("dir-unlink-after-clear", unlink("d/in"));
}

/* Who may set flags: the owner (or CAP_FOWNER), and only with
 * CAP_LINUX_IMMUTABLE for the immutable and append-only flags. */
static void g_perm(void) {
    scratch_in_shm();
    put_file("mine", "m");
    put_file("roots", "r");
    chown("mine", 4242, 4242);
    EXPECT_OK("root-sets-a-on-other", chattr("mine", FS_APPEND_FL | FS_NODUMP_FL));
    pid_t pid = xfork();
    if (pid == 0) {
        alone_as(4242);
        EXPECT_OK("owner-keeps-a", chattr("mine", FS_APPEND_FL));
        expect_flags("owner-cleared-d", "mine", FS_APPEND_FL);
        EXPECT_ERR("owner-clears-a", chattr("mine", 0), EPERM);
        EXPECT_ERR("owner-sets-i", chattr("mine", FS_APPEND_FL | FS_IMMUTABLE_FL), EPERM);
        EXPECT_ERR("other-sets-d", chattr("roots", FS_NODUMP_FL), EPERM);
        EXPECT_ERR("other-sets-nothing", chattr("roots", 0), EPERM);
        expect_flags("other-reads", "roots", 0);
        exit(0);
    }
    wait_text(pid);
    EXPECT_OK("root-clears", chattr("mine", 0));
    pid = xfork();
    if (pid == 0) {
        alone_as(4242);
        EXPECT_OK("owner-sets-d", chattr("mine", FS_NODUMP_FL | FS_NOATIME_FL));
        EXPECT_ERR("owner-sets-a", chattr("mine", FS_APPEND_FL), EPERM);
        EXPECT_ERR("owner-sets-sync", chattr("mine", FS_SYNC_FL), EOPNOTSUPP);
        exit(0);
    }
    wait_text(pid);
    expect_flags("owner-set", "mine", FS_NODUMP_FL | FS_NOATIME_FL);
}

/* statx's attributes and mask, and access times under noatime. */
static void g_statx_atime(void) {
    scratch_in_shm();
    put_file("f", "data");
    struct statx sx;
    statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx);
    expect("statx-plain", sx.stx_attributes == 0 && sx.stx_attributes_mask == 0x203070,
           "attr %#llx mask %#llx", (unsigned long long)sx.stx_attributes,
           (unsigned long long)sx.stx_attributes_mask);
    chattr("f", FS_NODUMP_FL | FS_NOATIME_FL);
    statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx);
    expect("statx-nodump", sx.stx_attributes == STATX_ATTR_NODUMP, "%#llx",
           (unsigned long long)sx.stx_attributes);
    int fd = open("f", O_RDONLY);
    statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx);
    expect("statx-fd-nodump", sx.stx_attributes == STATX_ATTR_NODUMP, "%#llx",
           (unsigned long long)sx.stx_attributes);
    statx(AT_FDCWD, "/dev/shm", 0, STATX_BASIC_STATS, &sx);
    expect("statx-mount-root", sx.stx_attributes == STATX_ATTR_MOUNT_ROOT, "%#llx",
           (unsigned long long)sx.stx_attributes);

    /* An old atime: a read updates it (relatime) unless noatime is set. */
    struct timespec old[2] = {{1000, 0}, {0, UTIME_OMIT}};
    put_file("g", "data");
    utimensat(AT_FDCWD, "f", old, 0);
    utimensat(AT_FDCWD, "g", old, 0);
    char buf[8];
    int g = open("g", O_RDONLY);
    read(fd, buf, sizeof buf);
    read(g, buf, sizeof buf);
    struct stat sf, sg;
    stat("f", &sf);
    stat("g", &sg);
    expect("noatime-read", sf.st_atime == 1000, "%ld", (long)sf.st_atime);
    expect("atime-read", sg.st_atime > 1000, "%ld", (long)sg.st_atime);
    mkdir("d", 0755);
    chattr("d", FS_NOATIME_FL);
    utimensat(AT_FDCWD, "d", old, 0);
    DIR *dir = opendir("d");
    while (readdir(dir))
        ;
    closedir(dir);
    stat("d", &sf);
    expect("noatime-dir-listing", sf.st_atime == 1000, "%ld", (long)sf.st_atime);
    close(fd);
    close(g);
}

int main(int argc, char **argv) {
    static const struct test_group groups[] = {
        {"flags", g_flags},
        {"immutable", g_immutable},
        {"append", g_append},
        {"perm", g_perm},
        {"statx_atime", g_statx_atime},
    };
    return run_groups(argc, argv, groups, (int)(sizeof groups / sizeof groups[0]));
}
