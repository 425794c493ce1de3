/*
 * vfs_files: open flags, names (links, symlinks, renames, directories),
 * metadata, descriptors, mmap coherence, openat2 and in-kernel copies, as
 * Linux does them. Every check prints "name: ok" natively; run under husk
 * the output must be the same.
 *
 * Usage: vfs_files [GROUP]   (groups: open links rename dirs attrs fds mmap
 *                             openat2 copy)
 */
#include "vfs_test.h"

#include <grp.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/xattr.h>

static void g_open(void) {
    scratch_init();
    EXPECT_OK("creat", put_file("f", "hello"));
    EXPECT_ERR("excl-exists", open("f", O_CREAT | O_EXCL | O_WRONLY, 0600), EEXIST);
    int fd = open("f", O_WRONLY | O_APPEND);
    write(fd, " world", 6);
    close(fd);
    char buf[64];
    get_file("f", buf, sizeof buf);
    expect("append", strcmp(buf, "hello world") == 0, "got %s", buf);
    fd = open("f", O_RDWR | O_TRUNC);
    struct stat st;
    fstat(fd, &st);
    expect("trunc", st.st_size == 0, "size %ld", (long)st.st_size);
    close(fd);
    EXPECT_ERR("directory-flag-on-file", open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
    EXPECT_ERR("missing", open("nope", O_RDONLY), ENOENT);
    EXPECT_ERR("missing-parent", open("nope/x", O_RDONLY | O_CREAT, 0600), ENOENT);
    EXPECT_ERR("trailing-slash-create", open("newdir/", O_RDONLY | O_CREAT, 0600), EISDIR);
    EXPECT_ERR("file-as-dir", open("f/x", O_RDONLY), ENOTDIR);
    symlink("f", "link");
    EXPECT_ERR("nofollow-symlink", open("link", O_RDONLY | O_NOFOLLOW), ELOOP);
    fd = open("link", O_PATH | O_NOFOLLOW);
    expect("path-nofollow-ok", fd >= 0, "%s", errno_name(errno));
    fstatat(fd, "", &st, AT_EMPTY_PATH);
    expect("path-fd-is-symlink", S_ISLNK(st.st_mode), "mode %o", st.st_mode);
    EXPECT_ERR("path-fd-read", read(fd, buf, 1), EBADF);
    close(fd);
    EXPECT_ERR("creat-excl-dangling", (mkdir("d", 0755), symlink("d/nothing", "dangle"),
                                       open("dangle", O_CREAT | O_EXCL | O_WRONLY, 0600)), EEXIST);
    fd = open("dangle", O_CREAT | O_WRONLY, 0600);
    expect("creat-through-dangling", fd >= 0 && access("d/nothing", F_OK) == 0, "%s", errno_name(errno));
    close(fd);
    fd = open("f", O_RDONLY | O_CLOEXEC);
    expect("cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC, "flags %d", fcntl(fd, F_GETFD));
    close(fd);
    fd = open("f", O_RDONLY | O_NONBLOCK);
    expect("nonblock-flag", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0, "fl %x", fcntl(fd, F_GETFL));
    close(fd);
    EXPECT_ERR("dir-for-write", open("d", O_WRONLY), EISDIR);
    /* A symlink that is not followed is no directory (ln -sfn relies on it). */
    symlink("d", "dlink");
    EXPECT_ERR("nofollow-directory-symlink", open("dlink", O_RDONLY | O_NOFOLLOW | O_DIRECTORY), ENOTDIR);
    EXPECT_ERR("path-nofollow-directory-symlink", open("dlink", O_PATH | O_NOFOLLOW | O_DIRECTORY), ENOTDIR);
    fd = open("dlink", O_RDONLY | O_DIRECTORY);
    expect("directory-symlink-followed", fd >= 0, "%s", errno_name(errno));
    close(fd);
    /* O_CREAT with O_DIRECTORY is refused outright (Linux 6.4 on). */
    EXPECT_ERR("creat-directory", open("newdir", O_CREAT | O_DIRECTORY | O_RDONLY, 0700), EINVAL);
    EXPECT_ERR("creat-directory-made-nothing", access("newdir", F_OK), ENOENT);
    EXPECT_ERR("creat-directory-existing", open("d", O_CREAT | O_DIRECTORY | O_RDONLY, 0700), EINVAL);
    fd = open(".", O_TMPFILE | O_RDWR, 0600);
    expect("tmpfile", fd >= 0 && write(fd, "abc", 3) == 3, "%s", errno_name(errno));
    fstat(fd, &st);
    expect("tmpfile-unlinked", st.st_nlink == 0 && st.st_size == 3, "nlink %ld", (long)st.st_nlink);
    close(fd);
    EXPECT_ERR("tmpfile-rdonly", open(".", O_TMPFILE | O_RDONLY, 0600), EINVAL);
    EXPECT_ERR("enametoolong", open("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                    O_RDONLY), ENAMETOOLONG);
}

static void g_links(void) {
    scratch_init();
    put_file("a", "data");
    EXPECT_OK("link", link("a", "b"));
    struct stat sa, sb;
    stat("a", &sa);
    stat("b", &sb);
    expect("link-same-inode", sa.st_ino == sb.st_ino, "%lu vs %lu", sa.st_ino, sb.st_ino);
    expect("link-nlink-2", sa.st_nlink == 2, "nlink %ld", (long)sa.st_nlink);
    put_file("b", "changed");
    char buf[64];
    get_file("a", buf, sizeof buf);
    expect("link-shares-data", strcmp(buf, "changed") == 0, "a is %s", buf);
    unlink("a");
    stat("b", &sb);
    expect("unlink-nlink-1", sb.st_nlink == 1, "nlink %ld", (long)sb.st_nlink);
    EXPECT_ERR("link-exists", link("b", "b"), EEXIST);
    mkdir("dir", 0755);
    EXPECT_ERR("link-dir", link("dir", "dir2"), EPERM);
    EXPECT_ERR("link-missing", link("missing", "x"), ENOENT);
    symlink("b", "sl");
    EXPECT_OK("linkat-symlink-nofollow", linkat(AT_FDCWD, "sl", AT_FDCWD, "sl2", 0));
    struct stat st;
    lstat("sl2", &st);
    expect("linkat-nofollow-is-symlink", S_ISLNK(st.st_mode), "mode %o", st.st_mode);
    EXPECT_OK("linkat-follow", linkat(AT_FDCWD, "sl", AT_FDCWD, "hard", AT_SYMLINK_FOLLOW));
    lstat("hard", &st);
    expect("linkat-follow-is-file", S_ISREG(st.st_mode) && st.st_ino == sb.st_ino, "mode %o", st.st_mode);
    char t[64] = {0};
    ssize_t n = readlink("sl", t, sizeof t);
    expect("readlink", n == 1 && t[0] == 'b', "n %zd", n);
    EXPECT_ERR("readlink-not-link", readlink("b", t, sizeof t), EINVAL);
    EXPECT_ERR("symlink-exists", symlink("x", "sl"), EEXIST);
    symlink("loop2", "loop1");
    symlink("loop1", "loop2");
    EXPECT_ERR("symlink-loop", open("loop1", O_RDONLY), ELOOP);
    /* A chain of 40 links resolves; 41 do not. */
    char name[32], target[32];
    put_file("end", "x");
    for (int i = 1; i <= 41; i++) {
        snprintf(name, sizeof name, "c%d", i);
        if (i == 1)
            snprintf(target, sizeof target, "end");
        else
            snprintf(target, sizeof target, "c%d", i - 1);
        symlink(target, name);
    }
    EXPECT_OK("symlink-chain-40", access("c40", F_OK));
    EXPECT_ERR("symlink-chain-41", access("c41", F_OK), ELOOP);
    symlink("/", "root");
    EXPECT_OK("abs-symlink-dotdot", access("root/../../tmp", F_OK));
    EXPECT_ERR("symlink-empty-target", symlink("", "empty"), ENOENT);
}

static void g_rename(void) {
    scratch_init();
    put_file("a", "A");
    put_file("b", "B");
    EXPECT_ERR("noreplace", syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE), EEXIST);
    EXPECT_OK("exchange", syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "b", RENAME_EXCHANGE));
    char buf[8];
    get_file("a", buf, sizeof buf);
    expect("exchange-swapped", buf[0] == 'B', "a is %s", buf);
    EXPECT_ERR("exchange-missing", syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "zz", RENAME_EXCHANGE), ENOENT);
    EXPECT_ERR("both-flags", syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "b",
                                     RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
    EXPECT_OK("rename-over", rename("a", "b"));
    EXPECT_ERR("old-gone", access("a", F_OK), ENOENT);
    mkdir("d", 0755);
    mkdir("d/sub", 0755);
    put_file("d/sub/f", "x");
    EXPECT_ERR("into-itself", rename("d", "d/sub/x"), EINVAL);
    EXPECT_ERR("file-over-dir", rename("b", "d"), EISDIR);
    mkdir("e", 0755);
    EXPECT_ERR("dir-over-file", rename("e", "b"), ENOTDIR);
    EXPECT_ERR("dir-over-nonempty", rename("e", "d"), ENOTEMPTY);
    EXPECT_OK("dir-move", rename("d", "e"));
    get_file("e/sub/f", buf, sizeof buf);
    expect("dir-move-contents", buf[0] == 'x', "%s", buf);
    EXPECT_OK("same-file", rename("b", "b"));
    EXPECT_ERR("noreplace-same-file", syscall(SYS_renameat2, AT_FDCWD, "b", AT_FDCWD, "b", RENAME_NOREPLACE), EEXIST);
    link("b", "b2");
    EXPECT_OK("hardlinks-same-inode", rename("b", "b2"));
    expect("hardlinks-both-stay", access("b", F_OK) == 0 && access("b2", F_OK) == 0, "one is gone");
    EXPECT_ERR("rename-dot", rename(".", "x"), EBUSY);
    EXPECT_ERR("trailing-slash-file", rename("b/", "c"), ENOTDIR);
}

static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void g_dirs(void) {
    scratch_init();
    EXPECT_OK("mkdir", mkdir("d", 0755));
    EXPECT_ERR("mkdir-exists", mkdir("d", 0755), EEXIST);
    EXPECT_ERR("mkdir-missing-parent", mkdir("x/y", 0755), ENOENT);
    put_file("d/f", "x");
    EXPECT_ERR("rmdir-nonempty", rmdir("d"), ENOTEMPTY);
    EXPECT_ERR("rmdir-file", rmdir("d/f"), ENOTDIR);
    EXPECT_ERR("unlink-dir", unlink("d"), EISDIR);
    EXPECT_ERR("rmdir-dot", rmdir("d/."), EINVAL);
    expect("readdir-count", count_entries("d") == 3, "%d entries", count_entries("d"));
    unlink("d/f");
    EXPECT_OK("rmdir", rmdir("d"));
    mkdir("p", 0755);
    mkdir("p/a", 0755);
    mkdir("p/b", 0755);
    struct stat st;
    stat("p", &st);
    expect("dir-nlink", st.st_nlink == 4, "nlink %ld", (long)st.st_nlink);
    rmdir("p/a");
    stat("p", &st);
    expect("dir-nlink-after-rmdir", st.st_nlink == 3, "nlink %ld", (long)st.st_nlink);
    EXPECT_OK("chdir", chdir("p/b"));
    char cwd[512];
    getcwd(cwd, sizeof cwd);
    expect("getcwd", strlen(cwd) > 4 && strcmp(cwd + strlen(cwd) - 4, "/p/b") == 0, "%s", cwd);
    EXPECT_OK("rmdir-cwd", rmdir(cwd));
    EXPECT_ERR("create-in-removed-cwd", open("x", O_CREAT | O_WRONLY, 0600), ENOENT);
    chdir(scratch);
    int dfd = open("p", O_RDONLY | O_DIRECTORY);
    EXPECT_OK("mkdirat", mkdirat(dfd, "q", 0700));
    EXPECT_OK("fchdir", fchdir(dfd));
    EXPECT_OK("relative-after-fchdir", access("q", F_OK));
    EXPECT_ERR("fchdir-file", (put_file("file", "x"), fchdir(open("file", O_RDONLY))), ENOTDIR);
    close(dfd);
}

static void g_attrs(void) {
    scratch_init();
    put_file("f", "0123456789");
    EXPECT_OK("chmod", chmod("f", 0640));
    struct stat st;
    stat("f", &st);
    expect("chmod-mode", (st.st_mode & 07777) == 0640, "%o", st.st_mode);
    EXPECT_OK("chown", chown("f", 1234, 5678));
    stat("f", &st);
    expect("chown-ids", st.st_uid == 1234 && st.st_gid == 5678, "%u:%u", st.st_uid, st.st_gid);
    struct timespec ts[2] = {{1000000000, 5}, {1200000000, 7}};
    EXPECT_OK("utimensat", utimensat(AT_FDCWD, "f", ts, 0));
    stat("f", &st);
    expect("utimensat-times", st.st_atim.tv_sec == 1000000000 && st.st_mtim.tv_sec == 1200000000 &&
                                  st.st_mtim.tv_nsec == 7, "%ld %ld", st.st_atim.tv_sec, st.st_mtim.tv_sec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {5, 0}};
    utimensat(AT_FDCWD, "f", omit, 0);
    stat("f", &st);
    expect("utime-omit", st.st_atim.tv_sec == 1000000000 && st.st_mtim.tv_sec == 5, "%ld", st.st_atim.tv_sec);
    EXPECT_ERR("utimensat-bad-nsec", utimensat(AT_FDCWD, "f", (struct timespec[2]){{0, -5}, {0, 0}}, 0), EINVAL);
    EXPECT_OK("truncate-grow", truncate("f", 100));
    stat("f", &st);
    expect("truncate-size", st.st_size == 100, "%ld", (long)st.st_size);
    int fd = open("f", O_RDWR);
    EXPECT_OK("ftruncate", ftruncate(fd, 3));
    fstat(fd, &st);
    expect("ftruncate-size", st.st_size == 3, "%ld", (long)st.st_size);
    EXPECT_OK("fallocate", fallocate(fd, 0, 0, 8192));
    fstat(fd, &st);
    expect("fallocate-size", st.st_size == 8192, "%ld", (long)st.st_size);
    EXPECT_OK("fallocate-keep-size", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 65536));
    fstat(fd, &st);
    expect("fallocate-kept", st.st_size == 8192, "%ld", (long)st.st_size);
    EXPECT_ERR("fallocate-bad-len", fallocate(fd, 0, 0, 0), EINVAL);
    EXPECT_OK("fsync", fsync(fd));
    EXPECT_OK("fdatasync", fdatasync(fd));
    EXPECT_OK("syncfs", syncfs(fd));
    close(fd);
    fd = open("f", O_RDONLY);
    EXPECT_ERR("ftruncate-rdonly", ftruncate(fd, 0), EINVAL);
    EXPECT_ERR("fallocate-rdonly", fallocate(fd, 0, 0, 10), EBADF);
    close(fd);
    int p[2];
    pipe(p);
    EXPECT_ERR("fallocate-pipe", fallocate(p[1], 0, 0, 10), ESPIPE);
    struct statfs sf;
    EXPECT_OK("statfs", statfs(".", &sf));
    EXPECT_OK("fstatfs", fstatfs(p[0], &sf));
    expect("fstatfs-pipe-magic", sf.f_type == 0x50495045, "type %lx", (long)sf.f_type);
    EXPECT_ERR("statfs-missing", statfs("nope", &sf), ENOENT);
    EXPECT_OK("access-w", access("f", W_OK));
    EXPECT_ERR("access-bad-mode", access("f", 8), EINVAL);
    mkfifo("fifo", 0600);
    lstat("fifo", &st);
    expect("mkfifo-type", S_ISFIFO(st.st_mode), "%o", st.st_mode);
    EXPECT_OK("mknod-sock", mknod("sock", S_IFSOCK | 0600, 0));
    EXPECT_ERR("open-sock", open("sock", O_RDONLY), ENXIO);
    EXPECT_ERR("mknod-dir", mknod("dir", S_IFDIR | 0700, 0), EPERM);
    EXPECT_OK("setxattr", setxattr("f", "user.test", "value", 5, 0));
    char xv[16] = {0};
    expect("getxattr", getxattr("f", "user.test", xv, sizeof xv) == 5 && memcmp(xv, "value", 5) == 0, "x");
    expect("getxattr-size", getxattr("f", "user.test", NULL, 0) == 5, "x");
    EXPECT_ERR("getxattr-small", getxattr("f", "user.test", xv, 2), ERANGE);
    EXPECT_ERR("xattr-create-exists", setxattr("f", "user.test", "v", 1, XATTR_CREATE), EEXIST);
    EXPECT_ERR("xattr-replace-missing", setxattr("f", "user.other", "v", 1, XATTR_REPLACE), ENODATA);
    char names[64] = {0};
    ssize_t ln = listxattr("f", names, sizeof names);
    expect("listxattr", ln == 10 && strcmp(names, "user.test") == 0, "%zd", ln);
    EXPECT_OK("removexattr", removexattr("f", "user.test"));
    EXPECT_ERR("getxattr-removed", getxattr("f", "user.test", xv, sizeof xv), ENODATA);
    EXPECT_ERR("removexattr-missing", removexattr("f", "user.test"), ENODATA);
    symlink("f", "xlink");
    EXPECT_ERR("user-xattr-on-symlink", lsetxattr("xlink", "user.a", "v", 1, 0), EPERM);
    EXPECT_ERR("xattr-bad-namespace", setxattr("f", "bogus.a", "v", 1, 0), EOPNOTSUPP);
    expect("listxattr-empty", listxattr("f", names, sizeof names) == 0, "x");
    EXPECT_OK("mknod-null", mknod("null", S_IFCHR | 0666, makedev(1, 3)));
    fd = open("null", O_WRONLY);
    expect("mknod-null-works", fd >= 0 && write(fd, "x", 1) == 1, "%s", errno_name(errno));
    close(fd);
}

static void g_fds(void) {
    scratch_init();
    put_file("f", "abcdef");
    int fd = open("f", O_RDONLY);
    int d = dup(fd);
    char c;
    read(fd, &c, 1);
    expect("dup-shares-offset", lseek(d, 0, SEEK_CUR) == 1, "%ld", (long)lseek(d, 0, SEEK_CUR));
    EXPECT_OK("dup2", dup2(fd, 50));
    expect("dup2-not-cloexec", fcntl(50, F_GETFD) == 0, "x");
    EXPECT_OK("dup3-cloexec", dup3(fd, 51, O_CLOEXEC));
    expect("dup3-cloexec-set", fcntl(51, F_GETFD) == FD_CLOEXEC, "x");
    EXPECT_ERR("dup3-same", dup3(fd, fd, 0), EINVAL);
    EXPECT_ERR("dup3-bad-flags", dup3(fd, 52, 1), EINVAL);
    expect("dup2-same", dup2(fd, fd) == fd, "x");
    EXPECT_ERR("dup-bad", dup(999), EBADF);
    int f2 = fcntl(fd, F_DUPFD, 100);
    expect("f-dupfd-min", f2 == 100, "%d", f2);
    f2 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
    expect("f-dupfd-cloexec", f2 == 101 && fcntl(f2, F_GETFD) == FD_CLOEXEC, "%d", f2);
    EXPECT_OK("f-setfd", fcntl(fd, F_SETFD, FD_CLOEXEC));
    expect("f-getfd", fcntl(fd, F_GETFD) == FD_CLOEXEC, "x");
    int w = open("f", O_WRONLY);
    EXPECT_OK("f-setfl-append", fcntl(w, F_SETFL, O_APPEND));
    write(w, "Z", 1);
    char buf[16];
    get_file("f", buf, sizeof buf);
    expect("setfl-append-works", strcmp(buf, "abcdefZ") == 0, "%s", buf);
    expect("getfl-accmode", (fcntl(w, F_GETFL) & O_ACCMODE) == O_WRONLY, "x");
    expect("lseek-end", lseek(fd, 0, SEEK_END) == 7, "x");
    expect("lseek-data", lseek(fd, 0, SEEK_DATA) == 0, "x");
    expect("lseek-hole", lseek(fd, 0, SEEK_HOLE) == 7, "x");
    EXPECT_ERR("lseek-data-past-end", lseek(fd, 8, SEEK_DATA), ENXIO);
    EXPECT_ERR("lseek-negative", lseek(fd, -1, SEEK_SET), EINVAL);
    EXPECT_ERR("lseek-bad-whence", lseek(fd, 0, 77), EINVAL);
    struct iovec iov[2] = {{buf, 2}, {buf + 2, 3}};
    expect("preadv", preadv(fd, iov, 2, 1) == 5 && memcmp(buf, "bcdef", 5) == 0, "x");
    expect("pread-keeps-offset", lseek(fd, 0, SEEK_CUR) == 7, "x");
    EXPECT_OK("close", close(d));
    EXPECT_ERR("close-twice", close(d), EBADF);
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    EXPECT_ERR("read-dir", read(dir, buf, 1), EISDIR);
    char dents[1024];
    long n = syscall(SYS_getdents64, dir, dents, sizeof dents);
    expect("getdents64", n > 0, "%ld", n);
    EXPECT_ERR("getdents64-small", (lseek(dir, 0, SEEK_SET), syscall(SYS_getdents64, dir, dents, 8)), EINVAL);
    EXPECT_ERR("getdents64-file", syscall(SYS_getdents64, fd, dents, sizeof dents), ENOTDIR);
    /* close_range: closes a range, or marks it close-on-exec. */
    int r1 = dup2(fd, 50), r2 = dup2(fd, 52), r3 = dup2(fd, 60);
    EXPECT_OK("close-range", syscall(SYS_close_range, 50, 59, 0));
    expect("close-range-closed", fcntl(r1, F_GETFD) < 0 && fcntl(r2, F_GETFD) < 0 && fcntl(r3, F_GETFD) == 0, "x");
    EXPECT_OK("close-range-cloexec", syscall(SYS_close_range, 60, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */));
    expect("close-range-cloexec-set", fcntl(r3, F_GETFD) == FD_CLOEXEC, "%d", fcntl(r3, F_GETFD));
    EXPECT_OK("close-range-unshare", syscall(SYS_close_range, 60, 60, 2 /* CLOSE_RANGE_UNSHARE */));
    EXPECT_ERR("close-range-backwards", syscall(SYS_close_range, 9, 8, 0), EINVAL);
    EXPECT_ERR("close-range-bad-flags", syscall(SYS_close_range, 50, 60, 1), EINVAL);
}

static void g_mmap(void) {
    scratch_init();
    int fd = open("m", O_RDWR | O_CREAT, 0600);
    ftruncate(fd, 8192);
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    report_map("mmap-shared", p);
    memcpy(p + 100, "mapped", 6);
    char buf[8] = {0};
    pread(fd, buf, 6, 100);
    expect("shared-write-seen-by-read", memcmp(buf, "mapped", 6) == 0, "%s", buf);
    pwrite(fd, "WRITE", 5, 4096);
    expect("write-seen-by-mapping", memcmp(p + 4096, "WRITE", 5) == 0, "x");
    char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    memcpy(q + 100, "privat", 6);
    pread(fd, buf, 6, 100);
    expect("private-not-seen", memcmp(buf, "mapped", 6) == 0, "%s", buf);
    expect("shared-not-changed-by-private", memcmp(p + 100, "mapped", 6) == 0, "x");
    munmap(p, 8192);
    munmap(q, 4096);
    close(fd);
    fd = open("m", O_RDONLY);
    p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    expect("reopen-map-sees-data", p != MAP_FAILED && memcmp(p + 100, "mapped", 6) == 0, "x");
    EXPECT_ERR("map-shared-write-rdonly", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0,
               EACCES);
    close(fd);
    /* A host file of the root, read-only below. */
    fd = open("/bin/sh", O_RDONLY);
    p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    expect("map-host-file", p != MAP_FAILED && memcmp(p, "\x7f" "ELF", 4) == 0, "x");
    close(fd);
}

static long openat2_(int dfd, const char *path, unsigned long flags, unsigned long resolve) {
    struct open_how how = {.flags = flags, .mode = 0, .resolve = resolve};
    return syscall(SYS_openat2, dfd, path, &how, sizeof how);
}

static void g_openat2(void) {
    scratch_init();
    mkdir("top", 0755);
    mkdir("top/sub", 0755);
    put_file("top/sub/f", "x");
    put_file("outside", "x");
    symlink("/etc", "top/abs");
    symlink("../outside", "top/up");
    symlink("sub/f", "top/rel");
    int d = open("top", O_RDONLY | O_DIRECTORY);
    EXPECT_OK("beneath-plain", openat2_(d, "sub/f", O_RDONLY, RESOLVE_BENEATH));
    EXPECT_ERR("beneath-dotdot", openat2_(d, "../outside", O_RDONLY, RESOLVE_BENEATH), EXDEV);
    EXPECT_ERR("beneath-absolute", openat2_(d, "/etc/passwd", O_RDONLY, RESOLVE_BENEATH), EXDEV);
    EXPECT_ERR("beneath-abs-symlink", openat2_(d, "abs/passwd", O_RDONLY, RESOLVE_BENEATH), EXDEV);
    EXPECT_ERR("beneath-up-symlink", openat2_(d, "up", O_RDONLY, RESOLVE_BENEATH), EXDEV);
    EXPECT_OK("beneath-rel-symlink", openat2_(d, "rel", O_RDONLY, RESOLVE_BENEATH));
    EXPECT_OK("beneath-dotdot-inside", openat2_(d, "sub/../sub/f", O_RDONLY, RESOLVE_BENEATH));
    EXPECT_OK("in-root-absolute", openat2_(d, "/sub/f", O_RDONLY, RESOLVE_IN_ROOT));
    EXPECT_OK("in-root-dotdot-clamped", openat2_(d, "../../sub/f", O_RDONLY, RESOLVE_IN_ROOT));
    EXPECT_ERR("in-root-abs-symlink", openat2_(d, "abs/passwd", O_RDONLY, RESOLVE_IN_ROOT), ENOENT);
    EXPECT_ERR("no-symlinks", openat2_(d, "rel", O_RDONLY, RESOLVE_NO_SYMLINKS), ELOOP);
    int fd = open("top/sub/f", O_RDONLY);
    char fdpath[64];
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
    EXPECT_ERR("no-magiclinks", openat2_(AT_FDCWD, fdpath, O_RDONLY, RESOLVE_NO_MAGICLINKS), ELOOP);
    EXPECT_OK("magiclink-plain", openat2_(AT_FDCWD, fdpath, O_RDONLY, 0));
    EXPECT_ERR("no-xdev", openat2_(AT_FDCWD, "/proc/self", O_RDONLY | O_PATH, RESOLVE_NO_XDEV), EXDEV);
    EXPECT_ERR("beneath-and-in-root", openat2_(d, "sub", O_RDONLY, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
    EXPECT_ERR("unknown-resolve", openat2_(d, "sub", O_RDONLY, 1 << 20), EINVAL);
    EXPECT_ERR("unknown-flag", openat2_(d, "sub", 1UL << 40, 0), EINVAL);
    struct open_how how = {.flags = O_RDONLY, .mode = 0644};
    EXPECT_ERR("mode-without-creat", syscall(SYS_openat2, d, "sub/f", &how, sizeof how), EINVAL);
    EXPECT_ERR("size-too-small", syscall(SYS_openat2, d, "sub/f", &how, 8), EINVAL);
    char big[64] = {0};
    memcpy(big, &(struct open_how){.flags = O_RDONLY}, sizeof(struct open_how));
    EXPECT_OK("size-bigger-zeroed", syscall(SYS_openat2, d, "sub/f", big, sizeof big));
    big[40] = 1;
    EXPECT_ERR("size-bigger-nonzero", syscall(SYS_openat2, d, "sub/f", big, sizeof big), E2BIG);
}

static void g_copy(void) {
    scratch_init();
    char data[100000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 7);
    int src = open("src", O_RDWR | O_CREAT, 0600);
    write(src, data, sizeof data);
    int dst = open("dst", O_RDWR | O_CREAT, 0600);
    off_t off = 10;
    ssize_t n = sendfile(dst, src, &off, 50000);
    expect("sendfile", n == 50000 && off == 50010, "n %zd off %ld", n, (long)off);
    expect("sendfile-keeps-offset", lseek(src, 0, SEEK_CUR) == (off_t)sizeof data, "x");
    char buf[50000];
    pread(dst, buf, 50000, 0);
    expect("sendfile-data", memcmp(buf, data + 10, 50000) == 0, "x");
    loff_t in = 0, out = 0;
    int dst2 = open("dst2", O_RDWR | O_CREAT, 0600);
    n = copy_file_range(src, &in, dst2, &out, sizeof data, 0);
    expect("copy-file-range", n == (ssize_t)sizeof data && in == (loff_t)sizeof data, "n %zd", n);
    EXPECT_ERR("copy-file-range-flags", copy_file_range(src, &in, dst2, &out, 10, 1), EINVAL);
    int p[2];
    pipe(p);
    lseek(src, 0, SEEK_SET);
    n = splice(src, NULL, p[1], NULL, 1000, 0);
    expect("splice-to-pipe", n == 1000, "n %zd", n);
    int q[2];
    pipe(q);
    n = tee(p[0], q[1], 1000, 0);
    expect("tee", n == 1000, "n %zd", n);
    int dst3 = open("dst3", O_RDWR | O_CREAT, 0600);
    n = splice(p[0], NULL, dst3, NULL, 1000, 0);
    expect("splice-from-pipe", n == 1000, "n %zd", n);
    pread(dst3, buf, 1000, 0);
    expect("splice-data", memcmp(buf, data, 1000) == 0, "x");
    n = read(q[0], buf, 2000);
    expect("tee-copy-kept", n == 1000 && memcmp(buf, data, 1000) == 0, "n %zd", n);
    EXPECT_ERR("splice-no-pipe", splice(src, NULL, dst, NULL, 10, 0), EINVAL);
    loff_t o = 0;
    EXPECT_ERR("splice-offset-on-pipe", splice(p[0], &o, dst, NULL, 10, 0), ESPIPE);
    EXPECT_ERR("splice-nonblock-empty", splice(p[0], NULL, dst, NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
    /* Without offsets, copy_file_range uses and advances both positions. */
    lseek(src, 100, SEEK_SET);
    int dst4 = open("dst4", O_RDWR | O_CREAT, 0600);
    write(dst4, "head", 4);
    n = copy_file_range(src, NULL, dst4, NULL, 1000, 0);
    expect("copy-file-range-positions",
           n == 1000 && lseek(src, 0, SEEK_CUR) == 1100 && lseek(dst4, 0, SEEK_CUR) == 1004, "n %zd", n);
    pread(dst4, buf, 1000, 4);
    expect("copy-file-range-positions-data", memcmp(buf, data + 100, 1000) == 0, "x");
    EXPECT_OK("fadvise-sequential", posix_fadvise(src, 0, 0, POSIX_FADV_SEQUENTIAL) == 0 ? 0 : -1);
    expect("fadvise-pipe", posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL) == ESPIPE, "x");
    expect("fadvise-bad-advice", posix_fadvise(src, 0, 0, 99) == EINVAL, "x");
    expect("fadvise-negative-len", posix_fadvise(src, 0, -1, POSIX_FADV_NORMAL) == EINVAL, "x");
    expect("fadvise-bad-fd", posix_fadvise(999, 0, 0, POSIX_FADV_NORMAL) == EBADF, "x");
}

/* Set-group-ID directories (inode_init_owner, mode_strip_sgid): new nodes
 * take the directory's group, new directories the bit itself; a file that
 * asks for set-group-ID with group execute keeps it only for a member of
 * the group (or root). */
static void sgid_child(void) {
    /* A user outside group 100, then one in it. */
    gid_t none[1] = {0};
    if (setgroups(0, none) || setgid(1000) || setuid(1000))
        _exit(2);
    int fd = open("d/x", O_CREAT | O_WRONLY, 02755);
    mkdir("d/y", 0755);
    struct stat a, b;
    if (fd < 0 || fstat(fd, &a) || stat("d/y", &b))
        _exit(3);
    printf("sgid-nonmember-file: %s\n", (a.st_mode & 07777) == 0755 && a.st_gid == 100 ? "ok" : "wrong");
    printf("sgid-nonmember-dir: %s\n", (b.st_mode & 07777) == 02755 && b.st_gid == 100 ? "ok" : "wrong");
    fflush(stdout);
    _exit(0);
}

static void g_setgid(void) {
    scratch_init();
    chmod(".", 0755);
    EXPECT_OK("mkdir", mkdir("d", 0755));
    EXPECT_OK("chown", chown("d", 0, 100));
    EXPECT_OK("chmod", chmod("d", 02777));
    put_file("d/f", "x");
    EXPECT_OK("mkdir-sub", mkdir("d/s", 0700));
    EXPECT_OK("mknod-fifo", mknod("d/p", S_IFIFO | 0600, 0));
    EXPECT_OK("symlink", symlink("f", "d/l"));
    struct stat st;
    stat("d/f", &st);
    expect("file-takes-group", st.st_gid == 100 && (st.st_mode & S_ISGID) == 0, "gid %u mode %o", st.st_gid, st.st_mode);
    stat("d/s", &st);
    expect("dir-takes-group-and-bit", st.st_gid == 100 && (st.st_mode & 07777) == 02700, "gid %u mode %o", st.st_gid,
           st.st_mode);
    stat("d/p", &st);
    expect("fifo-takes-group", st.st_gid == 100, "gid %u", st.st_gid);
    lstat("d/l", &st);
    expect("symlink-takes-group", st.st_gid == 100, "gid %u", st.st_gid);
    int fd = open("d/x", O_CREAT | O_WRONLY, 02755);
    fstat(fd, &st);
    close(fd);
    expect("root-keeps-sgid", (st.st_mode & 07777) == 02755, "mode %o", st.st_mode);
    fd = open("d", O_TMPFILE | O_WRONLY, 02750);
    fstat(fd, &st);
    close(fd);
    expect("tmpfile-takes-group", st.st_gid == 100 && (st.st_mode & 07777) == 02750, "gid %u mode %o", st.st_gid,
           st.st_mode);
    unlink("d/x");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0)
        sgid_child();
    int ws = 0;
    waitpid(c, &ws, 0);
    expect("child-ran", WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "status %x", ws);
    /* Outside a set-group-ID directory a new node takes the creator's group. */
    put_file("g", "x");
    stat("g", &st);
    expect("plain-dir-creator-group", st.st_gid == getegid(), "gid %u", st.st_gid);
}

/* statx's birth time (tmpfs and the memory layer keep one, as ext4):
 * set at creation, kept by writes and renames, a new one for a new file. */
static void g_btime(void) {
    scratch_init();
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    put_file("f", "x");
    struct statx a, b;
    EXPECT_OK("statx", statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS | STATX_BTIME, &a));
    expect("btime-in-mask", a.stx_mask & STATX_BTIME, "mask %x", a.stx_mask);
    expect("btime-at-creation", a.stx_btime.tv_sec >= t0.tv_sec - 1 && a.stx_btime.tv_sec <= t0.tv_sec + 5, "%lld vs %ld",
           (long long)a.stx_btime.tv_sec, t0.tv_sec);
    usleep(20000);
    int fd = open("f", O_WRONLY | O_APPEND);
    write(fd, "y", 1);
    close(fd);
    rename("f", "g");
    statx(AT_FDCWD, "g", 0, STATX_BASIC_STATS | STATX_BTIME, &b);
    expect("btime-kept", b.stx_btime.tv_sec == a.stx_btime.tv_sec && b.stx_btime.tv_nsec == a.stx_btime.tv_nsec,
           "changed");
    expect("mtime-moved", b.stx_mtime.tv_sec > a.stx_btime.tv_sec ||
                              (b.stx_mtime.tv_sec == a.stx_btime.tv_sec && b.stx_mtime.tv_nsec > a.stx_btime.tv_nsec),
           "mtime not after btime");
    usleep(20000);
    put_file("h", "z");
    struct statx c;
    statx(AT_FDCWD, "h", 0, STATX_BASIC_STATS | STATX_BTIME, &c);
    expect("new-file-new-btime", c.stx_btime.tv_sec > a.stx_btime.tv_sec ||
                                     (c.stx_btime.tv_sec == a.stx_btime.tv_sec && c.stx_btime.tv_nsec > a.stx_btime.tv_nsec),
           "not later");
    EXPECT_OK("mkdir", mkdir("d", 0755));
    statx(AT_FDCWD, "d", 0, STATX_BASIC_STATS | STATX_BTIME, &c);
    expect("dir-btime", (c.stx_mask & STATX_BTIME) && c.stx_btime.tv_sec >= t0.tv_sec - 1, "mask %x", c.stx_mask);
}

static const struct test_group groups[] = {
    {"open", g_open},     {"links", g_links}, {"rename", g_rename},   {"dirs", g_dirs}, {"attrs", g_attrs},
    {"fds", g_fds},       {"mmap", g_mmap},   {"openat2", g_openat2}, {"copy", g_copy},
    {"setgid", g_setgid},
    {"btime", g_btime},
};

int main(int argc, char **argv) {
    /* Each group runs in its own child, with its own scratch directory. */
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
