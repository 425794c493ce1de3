/* A size-limited tmpfs (the caller mounts it at argv[2]) holds its files
 * to its size and inode count, as Linux's shmem does. Prints one line per
 * step (results, counts, free blocks), compared with a native run.
 *   short-write  (size=16k): a write stops at the first page past the
 *                size, returning what fit; ENOSPC when nothing fits;
 *                rewriting allocated pages needs none; truncation frees
 *   fallocate    (size=16k): all of the range or ENOSPC and nothing;
 *                KEEP_SIZE counts, PUNCH_HOLE gives pages back, pages
 *                written before count once
 *   unlinked     (size=16k): an unlinked open file's pages stay taken
 *                until its last descriptor closes
 *   mmap         (size=16k): pages written through a shared mapping count
 *   inodes       (nr_inodes=4): files, directories, symlinks, hard links
 *                and O_TMPFILE files each take one; unlink gives back */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *dir;
static char buf[1 << 16];

/* dir/name, in one of two buffers (a call may take two paths). */
static const char *path(const char *name) {
    static char p[2][4096];
    static int i;
    i ^= 1;
    snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
    return p[i];
}

static void res(const char *what, long r) {
    if (r < 0)
        printf("%s: %s\n", what, strerrorname_np(errno));
    else
        printf("%s: %ld\n", what, r);
}

static void free_blocks(const char *what) {
    struct statvfs s;
    statvfs(dir, &s);
    printf("%s: bfree=%lu bavail=%lu ffree=%lu\n", what, (unsigned long)s.f_bfree, (unsigned long)s.f_bavail,
           (unsigned long)s.f_ffree);
}

static void blocks(const char *what, int fd) {
    struct stat st;
    fstat(fd, &st);
    printf("%s: size=%lld blocks=%lld\n", what, (long long)st.st_size, (long long)st.st_blocks);
}

static void short_write(void) {
    int fd = open(path("f"), O_CREAT | O_RDWR, 0600);
    res("write-10000", write(fd, buf, 10000));
    res("write-short", write(fd, buf, 10000));
    res("write-full", write(fd, buf, 10000));
    res("pwrite-over-allocated", pwrite(fd, buf, 8192, 4096));
    blocks("filled", fd);
    free_blocks("filled");
    int g = open(path("g"), O_CREAT | O_RDWR, 0600);
    struct iovec iov[2] = {{buf, 4096}, {buf, 4096}};
    res("writev-none-left", writev(g, iov, 2));
    res("ftruncate-shrink", ftruncate(fd, 5000));
    blocks("shrunk", fd);
    free_blocks("shrunk");
    res("writev-fits", writev(g, iov, 2));
    res("pwritev-none-left", pwritev(g, iov, 2, 8192));
    res("ftruncate-free-one", ftruncate(fd, 4096));
    res("pwritev-partly", pwritev(g, iov, 2, 8192));
    blocks("g", g);
    res("ftruncate-grow-sparse", ftruncate(g, 1 << 30));
    blocks("sparse", g);
    free_blocks("sparse");
    res("pwrite-in-hole", pwrite(g, buf, 1, 1 << 20));
}

static void fallocate_group(void) {
    int fd = open(path("f"), O_CREAT | O_RDWR, 0600);
    res("falloc-too-big", fallocate(fd, 0, 0, 5 * 4096));
    blocks("after-refusal", fd);
    res("falloc-keep-size", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 3 * 4096));
    blocks("kept", fd);
    free_blocks("kept");
    res("punch-kept", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 3 * 4096));
    free_blocks("punched-kept");
    res("write-3-pages", write(fd, buf, 3 * 4096));
    res("falloc-one-more", fallocate(fd, 0, 0, 4 * 4096));
    blocks("full", fd);
    free_blocks("full");
    res("punch", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192));
    blocks("punched", fd);
    free_blocks("punched");
}

static void unlinked(void) {
    int fd = open(path("f"), O_CREAT | O_RDWR, 0600);
    res("fill", write(fd, buf, 16384));
    res("unlink", unlink(path("f")));
    free_blocks("unlinked-open");
    int g = open(path("g"), O_CREAT | O_RDWR, 0600);
    res("write-elsewhere", write(g, buf, 10));
    close(fd);
    free_blocks("closed");
    res("write-after-close", write(g, buf, 4096));
}

static void mmap_group(void) {
    int fd = open(path("f"), O_CREAT | O_RDWR, 0600);
    res("ftruncate", ftruncate(fd, 8 * 4096));
    char *p = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    p[0] = 1;
    p[2 * 4096] = 1;
    p[3 * 4096 + 5] = 1;
    blocks("touched", fd);
    free_blocks("touched");
    munmap(p, 8 * 4096);
    res("write-one-page", pwrite(fd, buf, 8192, 5 * 4096));
    free_blocks("written");
}

static void inodes(void) {
    free_blocks("root-only");
    res("mkdir", mkdir(path("d"), 0700));
    res("creat", open(path("f"), O_CREAT | O_RDWR, 0600) >= 0);
    res("symlink", symlink("f", path("s")));
    free_blocks("full");
    res("creat-past", open(path("g"), O_CREAT | O_RDWR, 0600));
    res("mkdir-past", mkdir(path("d2"), 0700));
    res("symlink-past", symlink("f", path("s2")));
    res("mknod-past", mknod(path("p"), S_IFIFO | 0600, 0));
    res("link-past", link(path("f"), path("l")));
    res("tmpfile-past", open(dir, O_TMPFILE | O_RDWR, 0600));
    res("rename-over", rename(path("s"), path("f")));
    free_blocks("renamed-over");
    res("tmpfile", open(dir, O_TMPFILE | O_RDWR, 0600) >= 0);
    res("link-past-again", link(path("f"), path("l")));
    res("rmdir", rmdir(path("d")));
    res("link", link(path("f"), path("l")));
    res("unlink-link", unlink(path("l")));
    free_blocks("one-free");
}

int main(int argc, char **argv) {
    if (argc < 3)
        return 2;
    dir = argv[2];
    memset(buf, 'x', sizeof buf);
    if (!strcmp(argv[1], "short-write"))
        short_write();
    else if (!strcmp(argv[1], "fallocate"))
        fallocate_group();
    else if (!strcmp(argv[1], "unlinked"))
        unlinked();
    else if (!strcmp(argv[1], "mmap"))
        mmap_group();
    else if (!strcmp(argv[1], "inodes"))
        inodes();
    else
        return 2;
    return 0;
}
