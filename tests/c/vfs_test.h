/*
 * Helpers for the VFS test programs (tests/c/vfs_*.c): a scratch directory
 * under /tmp, made at start and removed (recursively) at exit, so the same
 * program runs natively (on the host's /tmp) and under husk (on the
 * sandbox's in-memory layer) with the same results.
 */
#ifndef VFS_TEST_H
#define VFS_TEST_H

#define _GNU_SOURCE
#include "husk_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char scratch[256];
static pid_t scratch_owner;

static int rm_entry(const char *p, const struct stat *s, int flag, struct FTW *f) {
    (void)s; (void)flag; (void)f;
    remove(p);
    return 0;
}

static void scratch_cleanup(void) {
    if (scratch[0] && getpid() == scratch_owner)
        nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes the scratch directory (under $VFS_SCRATCH_PARENT, default /tmp)
 * and changes into it. */
static void scratch_init(void) {
    const char *parent = getenv("VFS_SCRATCH_PARENT");
    snprintf(scratch, sizeof scratch, "%s/husk-vfs-XXXXXX", parent ? parent : "/tmp");
    if (!mkdtemp(scratch)) {
        printf("scratch: %s\n", errno_name(errno));
        exit(1);
    }
    scratch_owner = getpid();
    atexit(scratch_cleanup);
    if (chdir(scratch) != 0) {
        printf("scratch-chdir: %s\n", errno_name(errno));
        exit(1);
    }
}

/* Writes `s` to a new file `path`. */
__attribute__((unused))
static int put_file(const char *path, const char *s) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, s, strlen(s));
    close(fd);
    return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Reads up to `cap - 1` bytes of `path` into `buf` (NUL-terminated). */
__attribute__((unused))
static ssize_t get_file(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

#endif
