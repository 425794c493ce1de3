/*
 * Kernel behaviours Debian's stress-ng (0.15, the filesystem, io, pipe and
 * device classes, run with --verify natively and under `husk do`) checks
 * and husk once got wrong: each group is the smallest reproduction of one
 * divergence (the stressor is named in the group's comment). Scratch files
 * live in /dev/shm, a tmpfs both natively and in the sandbox.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "husk_test.h"

static volatile int xfsz;

static void on_xfsz(int sig) {
    (void)sig;
    xfsz++;
}

/* `call` fails with EFBIG (werr 0: returns want) and raises SIGXFSZ `sigs`
 * times. */
#define EXPECT_FSIZE(name, call, want, werr, sigs)                            \
    do {                                                                      \
        xfsz = 0;                                                             \
        errno = 0;                                                            \
        long r_ = (long)(call);                                               \
        expect_ret(name, r_, errno, werr ? -1 : (want), werr);                \
        expect(name "-sigxfsz", xfsz == (sigs), "%d signals", xfsz);          \
    } while (0)

static void set_fsize(rlim_t cur) {
    struct rlimit r;
    getrlimit(RLIMIT_FSIZE, &r);
    r.rlim_cur = cur;
    if (setrlimit(RLIMIT_FSIZE, &r) < 0)
        printf("setrlimit: %s\n", errno_name(errno));
}

/* stress-ng fsize: RLIMIT_FSIZE holds every way a file grows. A change of
 * size past the limit (fallocate without KEEP_SIZE, ftruncate, truncate)
 * is EFBIG with SIGXFSZ, up to it is fine, shrinking always is; a write
 * (pwrite, copy_file_range, sendfile, splice) from below the limit stops
 * there, one from the limit on is EFBIG with SIGXFSZ. sendfile and splice
 * write again after the short write when the source has more, so they
 * raise SIGXFSZ even then. */
static void g_fsize_limit(void) {
    char path[64], src[64];
    snprintf(path, sizeof path, "/dev/shm/husk-sn-fsize-%d", (int)getpid());
    snprintf(src, sizeof src, "/dev/shm/husk-sn-src-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int in = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || in < 0 || write(in, "0123456789", 10) != 10)
        printf("scratch: %s\n", errno_name(errno));
    signal(SIGXFSZ, on_xfsz);
    set_fsize(8192);

    EXPECT_FSIZE("fallocate-to-limit", fallocate(fd, 0, 0, 8192), 0, 0, 0);
    EXPECT_FSIZE("fallocate-past-limit", fallocate(fd, 0, 8192, 4096), 0, EFBIG, 1);
    EXPECT_FSIZE("fallocate-inside", fallocate(fd, 0, 8191, 1), 0, 0, 0);
    /* tmpfs holds an allocation past the size to the limit even with
     * KEEP_SIZE; a hole punched there is no growth. */
    EXPECT_FSIZE("fallocate-keep-size-past", fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 4096), 0, EFBIG, 1);
    EXPECT_FSIZE("fallocate-keep-size-inside", fallocate(fd, FALLOC_FL_KEEP_SIZE, 4096, 4096), 0, 0, 0);
    EXPECT_FSIZE("punch-hole-past", fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 8192, 4096), 0, 0, 0);
    EXPECT_FSIZE("fallocate-far", fallocate(fd, 0, 1L << 40, 1), 0, EFBIG, 1);
    EXPECT_FSIZE("ftruncate-past", ftruncate(fd, 8193), 0, EFBIG, 1);
    EXPECT_FSIZE("ftruncate-to-limit", ftruncate(fd, 8192), 0, 0, 0);
    EXPECT_FSIZE("truncate-past", truncate(path, 9000), 0, EFBIG, 1);
    EXPECT_FSIZE("truncate-shrink", truncate(path, 6000), 0, 0, 0);

    /* A file already past a lowered limit may shrink, not grow back. */
    set_fsize(4096);
    EXPECT_FSIZE("ftruncate-shrink-above-limit", ftruncate(fd, 5000), 0, 0, 0);
    EXPECT_FSIZE("ftruncate-regrow-above-limit", ftruncate(fd, 5500), 0, EFBIG, 1);
    struct stat st;
    fstat(fd, &st);
    expect("size-after", st.st_size == 5000, "%ld", (long)st.st_size);

    set_fsize(8192);
    EXPECT_FSIZE("pwrite-cut-short", pwrite(fd, "abcdef", 6, 8190), 2, 0, 0);
    EXPECT_FSIZE("pwrite-at-limit", pwrite(fd, "abcdef", 6, 8192), 0, EFBIG, 1);
    loff_t oi = 0, oo = 8188;
    EXPECT_FSIZE("copy-file-range-cut-short", copy_file_range(in, &oi, fd, &oo, 10, 0), 4, 0, 0);
    oi = 0, oo = 8192;
    EXPECT_FSIZE("copy-file-range-at-limit", copy_file_range(in, &oi, fd, &oo, 10, 0), 0, EFBIG, 1);
    off_t so = 0;
    lseek(fd, 8191, SEEK_SET);
    EXPECT_FSIZE("sendfile-cut-short", sendfile(fd, in, &so, 10), 1, 0, 1);
    so = 0;
    EXPECT_FSIZE("sendfile-at-limit", sendfile(fd, in, &so, 10), 0, EFBIG, 1);
    int p[2];
    if (pipe(p) < 0 || write(p[1], "xyz", 3) != 3)
        printf("pipe: %s\n", errno_name(errno));
    oo = 8192;
    EXPECT_FSIZE("splice-at-limit", splice(p[0], NULL, fd, &oo, 3, 0), 0, EFBIG, 1);
    oo = 8190;
    EXPECT_FSIZE("splice-cut-short", splice(p[0], NULL, fd, &oo, 3, 0), 2, 0, 1);

    /* Ignored, the signal leaves just the error. */
    signal(SIGXFSZ, SIG_IGN);
    EXPECT_FSIZE("ignored-fallocate", fallocate(fd, 0, 8192, 1), 0, EFBIG, 0);
    EXPECT_FSIZE("ignored-write", pwrite(fd, "a", 1, 9000), 0, EFBIG, 0);
    set_fsize(RLIM_INFINITY);
    close(p[0]);
    close(p[1]);
    close(fd);
    close(in);
    unlink(path);
    unlink(src);
}

/* stress-ng tee: flags outside SPLICE_F_ALL are EINVAL for tee, splice and
 * vmsplice, checked before the descriptors; a zero length is checked
 * first by splice, after the flags by tee. */
static void g_splice_flags(void) {
    int p[2], q[2];
    if (pipe(p) < 0 || pipe(q) < 0 || write(p[1], "abc", 3) != 3)
        printf("pipe: %s\n", errno_name(errno));
    EXPECT_ERR("tee-bad-flags", tee(p[0], q[1], 3, 0x10), EINVAL);
    EXPECT_ERR("tee-bad-flags-bad-fds", tee(-1, -1, 3, 0x10), EINVAL);
    EXPECT_ERR("tee-zero-len-bad-flags", tee(-1, -1, 0, 0x10), EINVAL);
    expect_ret("tee-zero-len-bad-fds", tee(-1, -1, 0, 0), errno, 0, 0);
    EXPECT_ERR("splice-bad-flags", splice(p[0], NULL, q[1], NULL, 3, 0x10), EINVAL);
    EXPECT_ERR("splice-bad-flags-bad-fds", splice(-1, NULL, -1, NULL, 3, 0x10), EINVAL);
    expect_ret("splice-zero-len-bad-flags", splice(-1, NULL, -1, NULL, 0, 0x10), errno, 0, 0);
    struct iovec v = {"ab", 2};
    EXPECT_ERR("vmsplice-bad-flags", vmsplice(p[1], &v, 1, 0x10), EINVAL);
    expect_ret("tee-good-flags", tee(p[0], q[1], 3, SPLICE_F_MOVE | SPLICE_F_MORE), errno, 3, 0);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

/* stress-ng vm-splice: vmsplice moves memory into a pipe through its write
 * end and out through its read end; the descriptor's mode picks the way. */
static void g_vmsplice(void) {
    int p[2], q[2];
    if (pipe(p) < 0 || pipe(q) < 0)
        printf("pipe: %s\n", errno_name(errno));
    char a[] = "hello", b[] = "world", out[16] = {0};
    struct iovec w[2] = {{a, 5}, {b, 5}};
    expect_ret("write-end", vmsplice(p[1], w, 2, 0), errno, 10, 0);
    struct iovec r[2] = {{out, 3}, {out + 3, 13}};
    expect_ret("read-end", vmsplice(p[0], r, 2, 0), errno, 10, 0);
    expect("data", strcmp(out, "helloworld") == 0, "%s", out);
    EXPECT_ERR("empty-nonblock", vmsplice(p[0], r, 2, SPLICE_F_NONBLOCK), EAGAIN);
    expect_ret("no-segments", vmsplice(p[1], w, 0, 0), errno, 0, 0);
    EXPECT_ERR("bad-fd", vmsplice(-1, w, 1, 0), EBADF);
    EXPECT_ERR("bad-fd-no-segments", vmsplice(-1, w, 0, 0), EBADF);
    EXPECT_ERR("too-many-segments", vmsplice(p[1], w, 1025, 0), EINVAL);
    int null = open("/dev/null", O_WRONLY);
    EXPECT_ERR("not-a-pipe", vmsplice(null, w, 1, 0), EBADF);
    close(null);
    close(p[1]);
    expect_ret("eof", vmsplice(p[0], r, 2, 0), errno, 0, 0);
    close(q[0]);
    signal(SIGPIPE, SIG_IGN);
    EXPECT_ERR("no-reader", vmsplice(q[1], w, 1, 0), EPIPE);
    close(p[0]);
    close(q[1]);
}

/* stress-ng full: null, zero and full (null_lseek) and random and urandom
 * (noop_llseek, their reads never move the position) answer any seek with
 * 0, whatever the offset; only an unknown whence is EINVAL. */
static void g_dev_seek(void) {
    const char *devs[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};
    for (unsigned i = 0; i < sizeof devs / sizeof devs[0]; i++) {
        int fd = open(devs[i], O_RDWR);
        char b[16], name[64];
        if (fd < 0 || read(fd, b, sizeof b) < 0)
            printf("%s: %s\n", devs[i], errno_name(errno));
        long offs[] = {100, -6991159239760740310L, -1};
        for (unsigned j = 0; j < 3; j++)
            for (int w = SEEK_SET; w <= SEEK_HOLE; w++) {
                snprintf(name, sizeof name, "%s-%ld-%d", devs[i], offs[j], w);
                expect_ret(name, lseek(fd, offs[j], w), errno, 0, 0);
            }
        snprintf(name, sizeof name, "%s-bad-whence", devs[i]);
        EXPECT_ERR(name, lseek(fd, 0, 77), EINVAL);
        snprintf(name, sizeof name, "%s-pread", devs[i]);
        EXPECT_OK(name, pread(fd, b, 4, 1L << 40));
        close(fd);
    }
}

/* stress-ng dnotify: it runs only when /proc/sys/fs/dir-notify-enable
 * exists, reading 1 (dnotify on). Not written here: natively it is the
 * host's global switch. */
static void g_dir_notify_enable(void) {
    char buf[16] = {0};
    int fd = open("/proc/sys/fs/dir-notify-enable", O_RDWR);
    EXPECT_OK("open", fd);
    expect_ret("read", read(fd, buf, sizeof buf), errno, 2, 0);
    expect("value", strcmp(buf, "1\n") == 0, "%s", buf);
    EXPECT_ERR("write-not-a-number", pwrite(fd, "abc", 3, 0), EINVAL);
    close(fd);
    int dir = open("/dev/shm", O_RDONLY | O_DIRECTORY);
    EXPECT_OK("f-notify", fcntl(dir, F_NOTIFY, DN_CREATE));
    close(dir);
}

/* stress-ng sendfile and splice, to a full pipe: a transfer the output
 * took only part of advances the input by that part (the offset given, or
 * the file's position), so the next call sends the rest. */
static void g_short_output(void) {
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/husk-sn-short-%d", (int)getpid());
    static char data[200000];
    memset(data, 'x', sizeof data);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, data, sizeof data) != (ssize_t)sizeof data)
        printf("scratch: %s\n", errno_name(errno));
    int p[2];
    if (pipe2(p, O_NONBLOCK) < 0)
        printf("pipe: %s\n", errno_name(errno));
    long room = fcntl(p[1], F_GETPIPE_SZ);
    off_t off = 0;
    expect_ret("sendfile-offset", sendfile(p[1], fd, &off, sizeof data), errno, room, 0);
    expect("sendfile-offset-advanced", off == room, "%ld", (long)off);
    EXPECT_ERR("sendfile-full", sendfile(p[1], fd, &off, sizeof data), EAGAIN);
    expect("sendfile-full-offset", off == room, "%ld", (long)off);
    static char sink[1 << 17];
    while (read(p[0], sink, sizeof sink) > 0)
        ;
    lseek(fd, 0, SEEK_SET);
    expect_ret("sendfile-position", sendfile(p[1], fd, NULL, sizeof data), errno, room, 0);
    expect("sendfile-position-advanced", lseek(fd, 0, SEEK_CUR) == room, "%ld", (long)lseek(fd, 0, SEEK_CUR));
    while (read(p[0], sink, sizeof sink) > 0)
        ;
    loff_t lo = 4096;
    expect_ret("splice-offset", splice(fd, &lo, p[1], NULL, sizeof data, 0), errno, room, 0);
    expect("splice-offset-advanced", lo == 4096 + room, "%ld", (long)lo);
    close(p[0]);
    close(p[1]);
    close(fd);
    unlink(path);
}

/* splice from a pipe into a pipe that has room for only part: what the
 * output did not take stays in the input pipe, in order (nothing lost). */
static void g_short_output_from_pipe(void) {
    int in[2], out[2];
    if (pipe(in) < 0 || pipe2(out, O_NONBLOCK) < 0)
        printf("pipe: %s\n", errno_name(errno));
    fcntl(in[1], F_SETPIPE_SZ, 1 << 20);
    static unsigned char data[200000], got[200000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + i / 251);
    expect_ret("fill", write(in[1], data, sizeof data), errno, sizeof data, 0);
    /* The output already holds a little, so its room is not a whole
     * number of the input's chunks. */
    static char pad[1000];
    expect_ret("prefill", write(out[1], pad, sizeof pad), errno, sizeof pad, 0);
    long room = fcntl(out[1], F_GETPIPE_SZ);
    ssize_t n = splice(in[0], NULL, out[1], NULL, sizeof data, SPLICE_F_NONBLOCK);
    expect("moved-at-most-the-room", n > 0 && n <= room, "%zd", n);
    int left = -1;
    ioctl(in[0], FIONREAD, &left);
    expect("rest-still-in-input", left == (int)sizeof data - n, "%d left after %zd", left, n);
    size_t have = 0;
    ssize_t k;
    expect_ret("drain-prefill", read(out[0], got, sizeof pad), errno, sizeof pad, 0);
    while (have < sizeof got && (k = read(out[0], got + have, sizeof got - have)) > 0)
        have += k;
    close(in[1]);
    while (have < sizeof got && (k = read(in[0], got + have, sizeof got - have)) > 0)
        have += k;
    expect("all-in-order", have == sizeof data && !memcmp(got, data, sizeof data), "%zu bytes", have);
    close(in[0]);
    close(out[0]);
    close(out[1]);
}

static const struct test_group groups[] = {
    {"fsize_limit", g_fsize_limit},
    {"splice_flags", g_splice_flags},
    {"vmsplice", g_vmsplice},
    {"dev_seek", g_dev_seek},
    {"dir_notify_enable", g_dir_notify_enable},
    {"short_output", g_short_output},
    {"short_output_from_pipe", g_short_output_from_pipe},
};

int main(int argc, char **argv) { return RUN_GROUPS(argc, argv, groups); }
