/*
 * tmpfile: O_TMPFILE files, unnamed until linked: inode numbers, the name
 * /proc shows, and linkat through /proc/self/fd/N or AT_EMPTY_PATH (once
 * for an unnamed file, never with O_EXCL). Every check prints "name: ok"
 * natively and under husk.
 *
 * Usage: tmpfile [GROUP]   (groups: unnamed link refusals)
 */
#include "vfs_test.h"

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define DIR "/dev/shm"

static int tmpfile_in(const char *dir, int flags) {
    return open(dir, O_TMPFILE | flags, 0640);
}

static char fd_path[64];
static const char *proc_fd(int fd) {
    snprintf(fd_path, sizeof fd_path, "/proc/self/fd/%d", fd);
    return fd_path;
}

/* ---- unnamed ---- */

static void g_unnamed(void) {
    umask(022);
    int a = tmpfile_in(DIR, O_RDWR), b = tmpfile_in("/tmp", O_WRONLY);
    struct stat sa, sb;
    expect("opened", a >= 0 && b >= 0, "%s", errno_name(errno));
    fstat(a, &sa);
    fstat(b, &sb);
    expect("inode", sa.st_ino != 0 && sb.st_ino != 0, "%lu %lu", (unsigned long)sa.st_ino, (unsigned long)sb.st_ino);
    int c = tmpfile_in(DIR, O_RDWR);
    struct stat sc;
    fstat(c, &sc);
    expect("distinct", sc.st_ino != sa.st_ino, "both %lu", (unsigned long)sa.st_ino);
    expect("no-links", sa.st_nlink == 0, "%lu", (unsigned long)sa.st_nlink);
    expect("mode", sa.st_mode == (S_IFREG | 0640), "%o", sa.st_mode);
    expect("owner", sa.st_uid == geteuid() && sa.st_gid == getegid(), "%u:%u", sa.st_uid, sa.st_gid);
    char link[256] = "", want[256];
    ssize_t n = readlink(proc_fd(a), link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, DIR "/#%lu (deleted)", (unsigned long)sa.st_ino);
    expect("proc-name", strcmp(link, want) == 0, "%s, want %s", link, want);
    expect("write", write(a, "hello", 5) == 5, "%s", errno_name(errno));
    expect("read-back", pread(a, link, 5, 0) == 5 && memcmp(link, "hello", 5) == 0, "%s", errno_name(errno));
    fstat(a, &sa);
    expect("size", sa.st_size == 5, "%lld", (long long)sa.st_size);
    close(a);
    close(b);
    close(c);
}

/* ---- link ---- */

static void g_link(void) {
    unlink(DIR "/tmpfile-a");
    unlink(DIR "/tmpfile-b");
    unlink(DIR "/tmpfile-c");
    int fd = tmpfile_in(DIR, O_RDWR);
    if (write(fd, "data", 4) != 4)
        printf("write: %s\n", errno_name(errno));
    struct stat st, named;
    fstat(fd, &st);
    EXPECT_OK("link-proc-fd", linkat(AT_FDCWD, proc_fd(fd), AT_FDCWD, DIR "/tmpfile-a", AT_SYMLINK_FOLLOW));
    expect("same-inode", stat(DIR "/tmpfile-a", &named) == 0 && named.st_ino == st.st_ino, "%s",
           errno_name(errno));
    fstat(fd, &st);
    expect("one-link", st.st_nlink == 1, "%lu", (unsigned long)st.st_nlink);
    char *text = slurp(DIR "/tmpfile-a");
    expect("contents", text && strcmp(text, "data") == 0, "%s", text ? text : "unreadable");
    char link[256] = "";
    ssize_t n = readlink(proc_fd(fd), link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    /* A named file is linked again through its name. */
    EXPECT_OK("link-empty-path", linkat(fd, "", AT_FDCWD, DIR "/tmpfile-b", AT_EMPTY_PATH));
    fstat(fd, &st);
    expect("two-links", st.st_nlink == 2, "%lu", (unsigned long)st.st_nlink);
    EXPECT_ERR("link-exists", linkat(AT_FDCWD, proc_fd(fd), AT_FDCWD, DIR "/tmpfile-a", AT_SYMLINK_FOLLOW), EEXIST);
    /* Unnamed again, it cannot be linked a second time. */
    unlink(DIR "/tmpfile-a");
    unlink(DIR "/tmpfile-b");
    fstat(fd, &st);
    expect("unnamed-again", st.st_nlink == 0, "%lu", (unsigned long)st.st_nlink);
    EXPECT_ERR("relink", linkat(AT_FDCWD, proc_fd(fd), AT_FDCWD, DIR "/tmpfile-c", AT_SYMLINK_FOLLOW), ENOENT);
    EXPECT_ERR("relink-empty-path", linkat(fd, "", AT_FDCWD, DIR "/tmpfile-c", AT_EMPTY_PATH), ENOENT);
    close(fd);
    /* AT_EMPTY_PATH gives an unnamed file its first name too. */
    fd = tmpfile_in(DIR, O_WRONLY);
    EXPECT_OK("first-name-empty-path", linkat(fd, "", AT_FDCWD, DIR "/tmpfile-c", AT_EMPTY_PATH));
    fstat(fd, &st);
    expect("first-name-links", st.st_nlink == 1 && stat(DIR "/tmpfile-c", &named) == 0 && named.st_ino == st.st_ino,
           "%lu", (unsigned long)st.st_nlink);
    unlink(DIR "/tmpfile-c");
    close(fd);
}

/* ---- refusals ---- */

static void g_refusals(void) {
    int fd = tmpfile_in(DIR, O_RDWR | O_EXCL);
    expect("excl-opened", fd >= 0, "%s", errno_name(errno));
    EXPECT_ERR("excl-never-linked", linkat(AT_FDCWD, proc_fd(fd), AT_FDCWD, DIR "/tmpfile-x", AT_SYMLINK_FOLLOW),
               ENOENT);
    close(fd);
    fd = tmpfile_in("/tmp", O_RDWR);
    EXPECT_ERR("other-fs", linkat(AT_FDCWD, proc_fd(fd), AT_FDCWD, DIR "/tmpfile-y", AT_SYMLINK_FOLLOW), EXDEV);
    EXPECT_ERR("into-missing-dir",
               linkat(AT_FDCWD, proc_fd(fd), AT_FDCWD, "/tmp/no-such-dir/tmpfile-z", AT_SYMLINK_FOLLOW), ENOENT);
    close(fd);
    EXPECT_ERR("read-only", tmpfile_in(DIR, O_RDONLY), EINVAL);
    EXPECT_ERR("not-a-dir", tmpfile_in("/etc/passwd", O_RDWR), ENOTDIR);
    EXPECT_ERR("missing-dir", tmpfile_in("/tmp/no-such-dir", O_RDWR), ENOENT);
    /* An immutable or append-only file takes no new name. */
    fd = tmpfile_in(DIR, O_RDWR);
    int attrs = FS_IMMUTABLE_FL;
    EXPECT_OK("set-immutable", ioctl(fd, FS_IOC_SETFLAGS, &attrs));
    EXPECT_ERR("immutable", linkat(AT_FDCWD, proc_fd(fd), AT_FDCWD, DIR "/tmpfile-v", AT_SYMLINK_FOLLOW), EPERM);
    attrs = 0;
    EXPECT_OK("clear-immutable", ioctl(fd, FS_IOC_SETFLAGS, &attrs));
    EXPECT_OK("linkable-after", linkat(AT_FDCWD, proc_fd(fd), AT_FDCWD, DIR "/tmpfile-v", AT_SYMLINK_FOLLOW));
    unlink(DIR "/tmpfile-v");
    close(fd);
    /* Without AT_SYMLINK_FOLLOW the magic link itself would be linked:
     * across file systems. */
    fd = tmpfile_in(DIR, O_RDWR);
    EXPECT_ERR("no-follow", linkat(AT_FDCWD, proc_fd(fd), AT_FDCWD, DIR "/tmpfile-w", 0), EXDEV);
    close(fd);
}

static const struct test_group groups[] = {
    {"unnamed", g_unnamed},
    {"link", g_link},
    {"refusals", g_refusals},
};

int main(int argc, char **argv) {
    return RUN_GROUPS(argc, argv, groups);
}
