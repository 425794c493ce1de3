/*
 * Pipes in packet mode (tests/pipe_packet.rs): pipe2(O_DIRECT) and
 * F_SETFL's O_DIRECT. Each write starts a packet with every page it
 * takes; a read returns at most one packet and drops the rest of it; a
 * page that is no packet still takes more bytes, even of a packet write
 * (Linux's PIPE_BUF_FLAG_CAN_MERGE). Every check prints "name: ok"
 * natively.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <sys/ioctl.h>
#include <sys/stat.h>

static int queued(int fd) {
    int n = -1;
    ioctl(fd, FIONREAD, &n);
    return n;
}

/* Reads up to `len` bytes and checks it got `want`. */
static void expect_read(const char *name, int fd, size_t len, const char *want) {
    char buf[16384];
    ssize_t n = read(fd, buf, len);
    size_t w = strlen(want);
    expect(name, n == (ssize_t)w && memcmp(buf, want, w) == 0, "got %zd %.*s", n,
           n > 0 ? (int)(n < 32 ? n : 32) : 0, buf);
}

static void wr(int fd, const char *s) {
    if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
        printf("write %s: %s\n", s, errno_name(errno));
}

static void g_packets(void) {
    int p[2];
    EXPECT_OK("pipe2-odirect", pipe2(p, O_DIRECT | O_NONBLOCK | O_CLOEXEC));
    int rf = fcntl(p[0], F_GETFL), wf = fcntl(p[1], F_GETFL);
    expect("getfl-read-end", (rf & (O_DIRECT | O_ACCMODE)) == O_RDONLY, "%#x", rf);
    expect("getfl-write-end", (wf & (O_DIRECT | O_ACCMODE)) == (O_DIRECT | O_WRONLY), "%#x", wf);
    wr(p[1], "hello");
    wr(p[1], "world!");
    expect("fionread-two-packets", queued(p[0]) == 11, "%d", queued(p[0]));
    expect_read("read-one-packet", p[0], 100, "hello");
    expect_read("short-read", p[0], 3, "wor");
    expect("short-read-dropped-rest", queued(p[0]) == 0, "%d", queued(p[0]));
    EXPECT_ERR("empty-eagain", read(p[0], (char[4]){0}, 4), EAGAIN);
    EXPECT_OK("zero-write", write(p[1], "", 0));
    expect("zero-write-no-packet", queued(p[0]) == 0, "%d", queued(p[0]));

    /* A write of more than a page is a packet per page. */
    static char big[10000];
    memset(big, 'x', sizeof big);
    expect("big-write", write(p[1], big, sizeof big) == (ssize_t)sizeof big, "%s", errno_name(errno));
    char buf[16384];
    expect("page-packet-1", read(p[0], buf, sizeof buf) == 4096, "%d", queued(p[0]));
    expect("page-packet-2", read(p[0], buf, 100) == 100 && queued(p[0]) == 1808, "%d", queued(p[0]));
    expect("page-packet-3", read(p[0], buf, sizeof buf) == 1808, "%d", queued(p[0]));

    /* Merging: a packet page takes nothing more; a plain page does. */
    fcntl(p[1], F_SETFL, O_DIRECT);
    wr(p[1], "ab");
    fcntl(p[1], F_SETFL, 0);
    expect("setfl-clears", !(fcntl(p[1], F_GETFL) & O_DIRECT), "%#x", fcntl(p[1], F_GETFL));
    wr(p[1], "cd");
    fcntl(p[1], F_SETFL, O_DIRECT);
    expect("setfl-sets", fcntl(p[1], F_GETFL) & O_DIRECT, "%#x", fcntl(p[1], F_GETFL));
    wr(p[1], "ef");
    expect_read("packet-takes-no-merge", p[0], 100, "ab");
    expect_read("plain-page-took-packet", p[0], 100, "cdef");
    fcntl(p[1], F_SETFL, 0);
    wr(p[1], "gh");
    fcntl(p[1], F_SETFL, O_DIRECT);
    wr(p[1], "ijkl");
    expect_read("merged-is-plain", p[0], 3, "ghi");
    expect("merged-rest-kept", queued(p[0]) == 3, "%d", queued(p[0]));
    expect_read("merged-rest", p[0], 100, "jkl");
    /* Reads go on through plain pages and stop after a packet. */
    fcntl(p[1], F_SETFL, 0);
    wr(p[1], "12");
    big[sizeof big - 1] = 0;
    wr(p[1], big);
    fcntl(p[1], F_SETFL, O_DIRECT);
    wr(p[1], "pkt");
    wr(p[1], "next");
    ssize_t n = read(p[0], buf, sizeof buf);
    expect("read-through-plain", n == 2 + 9999 + 3, "%zd", n);
    expect_read("then-next-packet", p[0], 100, "next");
    close(p[0]);
    close(p[1]);

    /* The read end decides nothing; a plain pipe can turn packet mode on. */
    EXPECT_OK("pipe-plain", pipe(p));
    EXPECT_OK("setfl-read-end", fcntl(p[0], F_SETFL, O_DIRECT));
    expect("read-end-shows", fcntl(p[0], F_GETFL) & O_DIRECT, "%#x", fcntl(p[0], F_GETFL));
    wr(p[1], "ab");
    wr(p[1], "cd");
    expect_read("read-end-odirect-no-packets", p[0], 100, "abcd");
    fcntl(p[1], F_SETFL, O_DIRECT);
    wr(p[1], "xyz");
    close(p[1]);
    expect_read("packet-before-eof", p[0], 1, "x");
    expect_read("eof-after-packet", p[0], 100, "");
    close(p[0]);
    EXPECT_ERR("pipe2-bad-flag", pipe2(p, O_DIRECT | O_APPEND), EINVAL);
}

static void g_blocking(void) {
    int p[2];
    pipe2(p, O_DIRECT);
    pid_t pid = xfork();
    if (pid == 0) {
        sleep_ms(50);
        wr(p[1], "first");
        sleep_ms(20);
        wr(p[1], "second");
        _exit(0);
    }
    close(p[1]);
    expect_read("blocked-read-packet", p[0], 100, "first");
    expect_read("second-packet", p[0], 2, "se");
    expect_read("eof", p[0], 100, "");
    wait_text(pid);

    /* A FIFO: no O_DIRECT open, but F_SETFL gives packet mode. */
    char path[] = "/dev/shm/husk-pkt-XXXXXX";
    int tmp = mkstemp(path);
    close(tmp);
    unlink(path);
    mkfifo(path, 0600);
    EXPECT_ERR("fifo-open-odirect", open(path, O_RDWR | O_DIRECT), EINVAL);
    int f = open(path, O_RDWR);
    EXPECT_OK("fifo-setfl", fcntl(f, F_SETFL, O_DIRECT));
    wr(f, "abc");
    wr(f, "de");
    expect_read("fifo-packet", f, 1, "a");
    expect_read("fifo-next-packet", f, 100, "de");
    close(f);
    unlink(path);
}

int main(int argc, char **argv) {
    static const struct test_group groups[] = {
        {"packets", g_packets},
        {"blocking", g_blocking},
    };
    return run_groups(argc, argv, groups, (int)(sizeof groups / sizeof groups[0]));
}
