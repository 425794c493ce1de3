/*
 * vfs_escape: tries to read a file outside the container root, which the
 * test places at <root>/../outside/secret.txt on the host. Run as the
 * sandbox's program with --root <root>; every vector must print "ok"
 * (nothing outside was read or even found).
 *
 * Vectors: `..` and absolute symlinks, /proc magic links, openat and
 * openat2 from the root, the classic chroot escape, and races of renames
 * and symlink swaps against lookups in another thread.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *secret = "host-secret";

/* 1 if `fd` is open on a file holding the secret. */
static int leaked_fd(long fd) {
    if (fd < 0)
        return 0;
    char buf[256] = {0};
    ssize_t n = read((int)fd, buf, sizeof buf - 1);
    close((int)fd);
    return n > 0 && strstr(buf, secret) != NULL;
}

static int leaked(const char *path) {
    return leaked_fd(open(path, O_RDONLY));
}

static const char *paths[] = {
    "/../outside/secret.txt",
    "/../../../../outside/secret.txt",
    "/proc/self/root/../outside/secret.txt",
    "/proc/1/root/../outside/secret.txt",
    "/proc/self/cwd/../../../outside/secret.txt",
    "/proc/1/cwd/../../outside/secret.txt",
    "/tmp/r/../../outside/secret.txt",
    "/tmp/up/outside/secret.txt",
    "/dev/fd/../../../outside/secret.txt",
};

static void plain_paths(void) {
    symlink("/", "/tmp/r");
    symlink("../..", "/tmp/up");
    int bad = 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (leaked(paths[i])) {
            printf("leaked through %s\n", paths[i]);
            bad = 1;
        }
    expect("paths", !bad, "leaked");
    struct stat st;
    expect("outside-invisible", stat("/../outside", &st) != 0 && errno == ENOENT, "%s", errno_name(errno));
}

static void at_calls(void) {
    int root = open("/", O_PATH | O_DIRECTORY);
    int bad = leaked_fd(openat(root, "../outside/secret.txt", O_RDONLY));
    struct open_how how = {.flags = O_RDONLY};
    how.resolve = RESOLVE_IN_ROOT;
    bad |= leaked_fd(syscall(SYS_openat2, root, "../outside/secret.txt", &how, sizeof how));
    how.resolve = 0;
    bad |= leaked_fd(syscall(SYS_openat2, root, "../outside/secret.txt", &how, sizeof how));
    how.resolve = RESOLVE_BENEATH;
    long r = syscall(SYS_openat2, root, "../outside/secret.txt", &how, sizeof how);
    bad |= leaked_fd(r);
    expect("openat-family", !bad, "leaked");
    expect("beneath-refuses", r < 0 && errno == EXDEV, "%ld %s", r, errno_name(errno));
}

static void chroot_escape(void) {
    mkdir("/tmp/jail", 0755);
    int saved = open("/", O_PATH | O_DIRECTORY);
    int r = chroot("/tmp/jail");
    expect("chroot", r == 0, "%s", errno_name(errno));
    /* The classic: the working directory is outside the new root. */
    for (int i = 0; i < 10; i++)
        chdir("..");
    chroot(".");
    int bad = leaked("/../outside/secret.txt") || leaked("../outside/secret.txt") || leaked("outside/secret.txt");
    fchdir(saved);
    for (int i = 0; i < 10; i++)
        chdir("..");
    bad |= leaked("../outside/secret.txt") || leaked("outside/secret.txt");
    char cwd[256] = "";
    getcwd(cwd, sizeof cwd);
    expect("chroot-escape", !bad, "leaked");
    expect("chroot-escape-stops-at-container-root", strcmp(cwd, "/") == 0, "cwd %s", cwd);
}

static volatile int stop;

static void *renamer(void *arg) {
    (void)arg;
    while (!stop) {
        rename("/tmp/a/b", "/tmp/c");
        rename("/tmp/c", "/tmp/a/b");
    }
    return NULL;
}

static void *swapper(void *arg) {
    (void)arg;
    while (!stop) {
        unlink("/tmp/l");
        symlink("/tmp/a/b", "/tmp/l");
        unlink("/tmp/l");
        symlink("/../../..", "/tmp/l");
    }
    return NULL;
}

static void races(void) {
    mkdir("/tmp/a", 0755);
    mkdir("/tmp/a/b", 0755);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, renamer, NULL);
    pthread_create(&t2, NULL, swapper, NULL);
    int bad = 0;
    for (int i = 0; i < 3000; i++) {
        bad |= leaked("/tmp/a/b/../../../outside/secret.txt");
        bad |= leaked("/tmp/c/../../../outside/secret.txt");
        bad |= leaked("/tmp/l/../outside/secret.txt");
        bad |= leaked("/tmp/l/../../outside/secret.txt");
    }
    stop = 1;
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    expect("rename-and-symlink-races", !bad, "leaked");
}

int main(void) {
    line_buffered_stdout();
    mkdir("/tmp", 01777);
    plain_paths();
    at_calls();
    races();
    chroot_escape();
    return 0;
}
