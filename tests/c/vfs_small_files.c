/*
 * Files of up to 1 MiB of the in-memory layer (tests/vfs_small_files.rs).
 * Under husk such files live in the sentry's heap, a page at a time, and
 * move into a host memfd only when they grow past 1 MiB, are mapped or
 * fallocated; these groups check that nothing of that shows: contents,
 * sizes, allocated blocks (tmpfs's page accounting), holes, mappings,
 * truncation both ways, and many thousands of files. Runs natively (on the host's /tmp) and under
 * husk; both must print the same lines.
 */
#include "vfs_test.h"

#include <sys/mman.h>
#include <linux/memfd.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/wait.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

/* "size/blocks" of an open file. */
static const char *sb(int fd) {
    static char buf[64];
    struct stat st;
    if (fstat(fd, &st) != 0)
        return "fstat failed";
    snprintf(buf, sizeof buf, "%ld/%ld", (long)st.st_size, (long)st.st_blocks);
    return buf;
}

/* Whether `fd` holds exactly `want` (n bytes) from offset 0. */
static int holds(int fd, const char *want, size_t n) {
    char buf[8192];
    if (n > sizeof buf)
        return 0;
    ssize_t got = pread(fd, buf, sizeof buf, 0);
    return got == (ssize_t)n && memcmp(buf, want, n) == 0;
}

static int zeros(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* The most pages of a "many" file. */
#define MANY_MAX_PAGES 4

/* The content file i of the "many" group gets: empty, a line, or
 * MANY_PAGES (1 to 4, default 1) whole pages of a pattern. */
static size_t content_of(int i, char *buf) {
    const char *env = getenv("MANY_PAGES");
    int pages = env ? atoi(env) : 1;
    size_t len = 4096 * (size_t)(pages < 1 ? 1 : pages > MANY_MAX_PAGES ? MANY_MAX_PAGES : pages);
    switch (i % 3) {
    case 0:
        return 0;
    case 1:
        return (size_t)sprintf(buf, "file %d\n", i);
    default:
        for (size_t k = 0; k < len; k++)
            buf[k] = (char)('a' + (i + k) % 26);
        return len;
    }
}

/* MANY_FILES (default 3000) files, empty, of a line or of pages, all
 * read back and checked; then fork and a pipe still work. */
static void g_many(void) {
    const char *env = getenv("MANY_FILES");
    int count = env ? atoi(env) : 3000;
    char name[32], buf[4096 * MANY_MAX_PAGES], got[4096 * MANY_MAX_PAGES + 1];
    int bad = -1, err = 0;
    for (int i = 0; i < count && bad < 0; i++) {
        snprintf(name, sizeof name, "f%d", i);
        size_t n = content_of(i, buf);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0 || (n && write(fd, buf, n) != (ssize_t)n)) {
            bad = i;
            err = errno;
        }
        if (fd >= 0)
            close(fd);
    }
    expect("create", bad < 0, "file %d: %s", bad, errno_name(err));
    bad = -1;
    for (int i = 0; i < count && bad < 0; i++) {
        snprintf(name, sizeof name, "f%d", i);
        size_t n = content_of(i, buf);
        struct stat st;
        int fd = open(name, O_RDONLY);
        if (fd < 0 || read(fd, got, sizeof got) != (ssize_t)n || memcmp(got, buf, n) != 0 || fstat(fd, &st) != 0
            || st.st_size != (off_t)n || st.st_blocks != (blkcnt_t)((n + 4095) / 4096 * 8))
            bad = i;
        if (fd >= 0)
            close(fd);
    }
    expect("read-back", bad < 0, "file %d differs", bad);
    int p[2];
    EXPECT_OK("pipe", pipe(p));
    pid_t pid = xfork();
    if (pid == 0) {
        _exit(write(p[1], "x", 1) == 1 ? 7 : 1);
    }
    int status = 0;
    expect("fork", pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7,
           "pid %d status %#x (%s)", pid, status, errno_name(errno));
    expect("pipe-data", read(p[0], buf, 1) == 1 && buf[0] == 'x', "no byte");
}

/* A small file mapped shared sees writes through the descriptor, and
 * the descriptor sees writes through the mapping; truncation shows too. */
static void g_mmap(void) {
    int fd = open("m", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int other = open("m", O_RDONLY);
    EXPECT_OK("write", write(fd, "hello", 5));
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    expect("map", m != MAP_FAILED, "%s", errno_name(errno));
    if (m == MAP_FAILED)
        return;
    expect("map-sees-data", memcmp(m, "hello", 5) == 0 && zeros(m + 5, 4091), "%.5s", m);
    EXPECT_OK("pwrite", pwrite(fd, "HE", 2, 0));
    expect("map-sees-pwrite", memcmp(m, "HEllo", 5) == 0, "%.5s", m);
    m[1] = 'x';
    expect("fd-sees-map-write", holds(fd, "Hxllo", 5), "differs");
    expect("other-fd-sees-map-write", holds(other, "Hxllo", 5), "differs");
    expect("blocks", strcmp(sb(fd), "5/8") == 0, "%s", sb(fd));
    EXPECT_OK("grow", ftruncate(fd, 100));
    expect("grown-zeros", memcmp(m, "Hxllo", 5) == 0 && zeros(m + 5, 95), "differs");
    EXPECT_OK("shrink", ftruncate(fd, 2));
    EXPECT_OK("regrow", ftruncate(fd, 5));
    expect("regrown-zeros", memcmp(m, "Hx", 2) == 0 && zeros(m + 2, 3), "differs");
    char big[6000];
    memset(big, 'b', sizeof big);
    EXPECT_OK("write-past-page", pwrite(fd, big, sizeof big, 0));
    expect("map-sees-second-page", m[0] == 'b' && m[5999] == 'b' && m[6000] == 0, "%c %c", m[0], m[5999]);
    expect("big-blocks", strcmp(sb(fd), "6000/16") == 0, "%s", sb(fd));
    munmap(m, 8192);

    /* A private mapping of a small file reads it and keeps its own copy. */
    int p = open("p", O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_OK("write-private", write(p, "private", 7));
    char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, p, 0);
    expect("map-private", q != MAP_FAILED && memcmp(q, "private", 7) == 0, "%s", errno_name(errno));
    if (q != MAP_FAILED) {
        q[0] = 'P';
        expect("private-copy", holds(p, "private", 7), "file changed");
        munmap(q, 4096);
    }
    /* An empty file maps; its page is not there (SIGBUS), so not touched. */
    int e = open("e", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char *em = mmap(NULL, 4096, PROT_READ, MAP_SHARED, e, 0);
    expect("map-empty", em != MAP_FAILED, "%s", errno_name(errno));
    EXPECT_OK("write-after-map-empty", write(e, "late", 4));
    if (em != MAP_FAILED) {
        expect("map-empty-sees-write", memcmp(em, "late", 4) == 0, "%.4s", em);
        munmap(em, 4096);
    }
    close(e);
    close(p);
    close(other);
    close(fd);
}

/* ftruncate and truncate, growing and shrinking, within a page and past
 * it; holes take no blocks, a page written to takes 8. */
static void g_truncate(void) {
    char buf[8192];
    int fd = open("t", O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_OK("grow-empty", ftruncate(fd, 100));
    expect("hole", strcmp(sb(fd), "100/0") == 0, "%s", sb(fd));
    expect("hole-reads-zeros", pread(fd, buf, sizeof buf, 0) == 100 && zeros(buf, 100), "differs");
    EXPECT_OK("write", pwrite(fd, "abc", 3, 0));
    expect("written", strcmp(sb(fd), "100/8") == 0, "%s", sb(fd));
    EXPECT_OK("shrink", ftruncate(fd, 1));
    expect("shrunk", strcmp(sb(fd), "1/8") == 0 && holds(fd, "a", 1), "%s", sb(fd));
    EXPECT_OK("path-grow", truncate("t", 10));
    expect("path-grown", strcmp(sb(fd), "10/8") == 0 && holds(fd, "a\0\0\0\0\0\0\0\0\0", 10), "%s", sb(fd));
    EXPECT_OK("path-zero", truncate("t", 0));
    expect("zero", strcmp(sb(fd), "0/0") == 0, "%s", sb(fd));
    EXPECT_OK("write-xyz", pwrite(fd, "xyz", 3, 0));
    EXPECT_OK("grow-past-page", ftruncate(fd, 5000));
    expect("past-page", strcmp(sb(fd), "5000/8") == 0, "%s", sb(fd));
    expect("past-page-data", pread(fd, buf, sizeof buf, 0) == 5000 && memcmp(buf, "xyz", 3) == 0
           && zeros(buf + 3, 4997), "differs");
    EXPECT_OK("shrink-back", ftruncate(fd, 10));
    expect("shrunk-back", strcmp(sb(fd), "10/8") == 0 && holds(fd, "xyz\0\0\0\0\0\0\0", 10), "%s", sb(fd));
    EXPECT_OK("path-grow-past-page", truncate("t", 9000));
    expect("path-past-page", strcmp(sb(fd), "9000/8") == 0, "%s", sb(fd));
    close(fd);

    /* Writes at offsets: within the page, crossing it, of nothing. */
    fd = open("w", O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_OK("write-at-4000", pwrite(fd, "0123456789", 10, 4000));
    expect("at-4000", strcmp(sb(fd), "4010/8") == 0, "%s", sb(fd));
    EXPECT_OK("empty-write-far", pwrite(fd, "", 0, 100000));
    expect("empty-write-keeps-size", strcmp(sb(fd), "4010/8") == 0, "%s", sb(fd));
    expect("read-past-end", pread(fd, buf, 10, 5000) == 0, "data");
    EXPECT_OK("write-across", pwrite(fd, "ABCDEFGHIJ", 10, 4090));
    expect("across", strcmp(sb(fd), "4100/16") == 0, "%s", sb(fd));
    expect("across-data", pread(fd, buf, 100, 4005) == 95 && memcmp(buf, "56789", 5) == 0 && zeros(buf + 5, 80)
           && memcmp(buf + 85, "ABCDEFGHIJ", 10) == 0, "differs");
    close(fd);

    fd = open("a", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    EXPECT_OK("append-1", write(fd, "one ", 4));
    EXPECT_OK("append-2", write(fd, "two", 3));
    close(fd);
    expect("appended", get_file("a", buf, sizeof buf) == 7 && strcmp(buf, "one two") == 0, "%s", buf);
    fd = open("a", O_WRONLY | O_TRUNC);
    expect("o-trunc", strcmp(sb(fd), "0/0") == 0, "%s", sb(fd));
    close(fd);
}

/* fallocate, copy_file_range, sendfile and splice on small files. */
static void g_transfer(void) {
    char buf[256];
    int fd = open("fa", O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_OK("fallocate", fallocate(fd, 0, 0, 100));
    expect("allocated", strcmp(sb(fd), "100/8") == 0, "%s", sb(fd));
    EXPECT_OK("fallocate-keep-size", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 8192));
    expect("kept-size", strcmp(sb(fd), "100/16") == 0, "%s", sb(fd));
    EXPECT_OK("punch", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 8192));
    expect("punched", strcmp(sb(fd), "100/0") == 0, "%s", sb(fd));
    close(fd);

    put_file("src", "copy me please");
    int s = open("src", O_RDONLY);
    int d = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
    loff_t in = 5, out = 2;
    expect_ret("copy_file_range", copy_file_range(s, &in, d, &out, 100, 0), errno, 9, 0);
    expect("copied", holds(d, "\0\0me please", 11) && strcmp(sb(d), "11/8") == 0, "%s", sb(d));
    int p[2];
    EXPECT_OK("pipe", pipe(p));
    off_t off = 0;
    expect_ret("sendfile", sendfile(p[1], s, &off, 4), errno, 4, 0);
    loff_t at = 20;
    expect_ret("splice", splice(p[0], NULL, d, &at, 4, 0), errno, 4, 0);
    expect("spliced", pread(d, buf, sizeof buf, 20) == 4 && memcmp(buf, "copy", 4) == 0
           && strcmp(sb(d), "24/8") == 0, "%s", sb(d));
    close(s);
    close(d);
}

/* Whether `len` bytes of `fd` from `off` all equal `c`. */
static int all_bytes(int fd, off_t off, size_t len, char c) {
    char buf[4096];
    while (len > 0) {
        size_t k = len < sizeof buf ? len : sizeof buf;
        if (pread(fd, buf, k, off) != (ssize_t)k)
            return 0;
        for (size_t i = 0; i < k; i++)
            if (buf[i] != c)
                return 0;
        off += k;
        len -= k;
    }
    return 1;
}

/* Files of several pages: holes, truncation freeing whole pages, the
 * 1 MiB files around the point where husk moves a file into a memfd, and
 * a mapping of a file with holes. */
static void g_pages(void) {
    int fd = open("h", O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_OK("write-far", pwrite(fd, "far", 3, 65536));
    expect("far", strcmp(sb(fd), "65539/8") == 0, "%s", sb(fd));
    expect("hole-zeros", all_bytes(fd, 0, 65536, 0), "differs");
    EXPECT_OK("write-first", pwrite(fd, "first", 5, 0));
    expect("two-pages", strcmp(sb(fd), "65539/16") == 0, "%s", sb(fd));
    EXPECT_OK("cut", ftruncate(fd, 30000));
    expect("cut-frees-far-page", strcmp(sb(fd), "30000/8") == 0, "%s", sb(fd));
    EXPECT_OK("regrow", ftruncate(fd, 70000));
    expect("regrown-hole", all_bytes(fd, 5, 70000 - 5, 0) && strcmp(sb(fd), "70000/8") == 0, "%s", sb(fd));
    close(fd);

    /* A partial page kept by a truncation reads zeros past the cut. */
    static char block[8192];
    memset(block, 'a', sizeof block);
    fd = open("t", O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_OK("write-two", pwrite(fd, block, sizeof block, 0));
    EXPECT_OK("cut-mid-page", ftruncate(fd, 5000));
    expect("kept-partial", strcmp(sb(fd), "5000/16") == 0, "%s", sb(fd));
    EXPECT_OK("grow-again", ftruncate(fd, 8192));
    expect("tail-zeros", all_bytes(fd, 0, 5000, 'a') && all_bytes(fd, 5000, 3192, 0), "differs");
    close(fd);

    /* 1 MiB exactly, then one byte more, then back. */
    static char mib[1 << 20];
    memset(mib, 'm', sizeof mib);
    fd = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_OK("write-mib", pwrite(fd, mib, sizeof mib, 0));
    expect("mib", strcmp(sb(fd), "1048576/2048") == 0 && all_bytes(fd, 0, sizeof mib, 'm'), "%s", sb(fd));
    EXPECT_OK("write-past-mib", pwrite(fd, "+", 1, sizeof mib));
    expect("past-mib", strcmp(sb(fd), "1048577/2056") == 0 && all_bytes(fd, 0, sizeof mib, 'm')
           && all_bytes(fd, sizeof mib, 1, '+'), "%s", sb(fd));
    EXPECT_OK("back-to-page", ftruncate(fd, 100));
    expect("back", strcmp(sb(fd), "100/8") == 0 && all_bytes(fd, 0, 100, 'm'), "%s", sb(fd));
    close(fd);

    /* Pages 0 and 3 of a 5-page file, mapped shared: the holes stay holes
     * until touched through the mapping. */
    fd = open("mh", O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_OK("page-0", pwrite(fd, "zero", 4, 0));
    EXPECT_OK("page-3", pwrite(fd, "three", 5, 3 * 4096));
    EXPECT_OK("size-5-pages", ftruncate(fd, 5 * 4096));
    char *m = mmap(NULL, 5 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    expect("map-holes", m != MAP_FAILED, "%s", errno_name(errno));
    if (m != MAP_FAILED) {
        expect("mapped-blocks", strcmp(sb(fd), "20480/16") == 0, "%s", sb(fd));
        m[4096] = 'w';
        expect("written-through-map", strcmp(sb(fd), "20480/24") == 0 && all_bytes(fd, 4096, 1, 'w'), "%s", sb(fd));
        /* (Reading a hole through a shared mapping allocates its page.) */
        expect("mapped-data", memcmp(m, "zero", 4) == 0 && memcmp(m + 3 * 4096, "three", 5) == 0
               && zeros(m + 4097, 2 * 4096 - 1), "differs");
        munmap(m, 5 * 4096);
    }
    close(fd);
}

static void on_alarm(int sig) {
    (void)sig;
}

/* 4 processes each holding 250 small memfds at once (1000 in all). */
static void g_memfds(void) {
    int ready[2], go[2];
    EXPECT_OK("pipes", pipe(ready) | pipe(go));
    pid_t kids[4];
    for (int k = 0; k < 4; k++) {
        kids[k] = xfork();
        if (kids[k] == 0) {
            close(go[1]);
            int fds[250];
            char want[32], got[32];
            for (int i = 0; i < 250; i++) {
                fds[i] = memfd_create("small", MFD_ALLOW_SEALING);
                int n = snprintf(want, sizeof want, "memfd %d/%d", k, i);
                if (fds[i] < 0 || write(fds[i], want, n) != n)
                    _exit(10);
            }
            if (write(ready[1], "r", 1) != 1 || read(go[0], got, 1) != 0)
                _exit(11);
            for (int i = 0; i < 250; i++) {
                int n = snprintf(want, sizeof want, "memfd %d/%d", k, i);
                if (pread(fds[i], got, sizeof got, 0) != n || memcmp(got, want, n) != 0)
                    _exit(12);
            }
            /* Sealing one still works, and the seal holds. */
            if (fcntl(fds[0], F_ADD_SEALS, F_SEAL_WRITE) != 0 || write(fds[0], "x", 1) != -1 || errno != EPERM)
                _exit(13);
            _exit(0);
        }
    }
    close(go[0]);
    close(ready[1]);
    /* A child that failed never says ready: stop waiting after a while. */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    alarm(20);
    char c;
    int n = 0;
    while (n < 4 && read(ready[0], &c, 1) == 1)
        n++;
    alarm(0);
    expect("all-hold-memfds", n == 4, "%d ready", n);
    close(go[1]);
    for (int k = 0; k < 4; k++) {
        int status = 0;
        waitpid(kids[k], &status, 0);
        expect("child-checks", WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    }
}

static const struct test_group groups[] = {
    {"memfds", g_memfds},
    {"many", g_many},
    {"mmap", g_mmap},
    {"pages", g_pages},
    {"truncate", g_truncate},
    {"transfer", g_transfer},
};

int main(int argc, char **argv) {
    scratch_init();
    return RUN_GROUPS(argc, argv, groups);
}
