// A pty pair used from inside the sandbox: readiness on both sides as data
// flows, echo reaching the master, a full output buffer blocking a slave
// writer until the master drains it, the queue sizes FIONREAD and TIOCOUTQ
// report, and hang-up when the slave closes.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

// Linux moves typed input through the line discipline asynchronously:
// wait a little for readiness rather than sampling it once.
static int ready(int fd, short events) {
    struct pollfd p = {.fd = fd, .events = events};
    int n = poll(&p, 1, 200);
    return n > 0 ? p.revents : 0;
}

static void show(const char *what, int fd, short events) {
    int r = ready(fd, events);
    printf("%s:%s%s%s\n", what, r & POLLIN ? " IN" : "", r & POLLOUT ? " OUT" : "", r & POLLHUP ? " HUP" : "");
}

static int slave_fd;
static volatile int wrote_all;

static void *flood(void *arg) {
    (void)arg;
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    // Blocking writes: one of them waits for the master to read.
    for (int i = 0; i < 64; i++) {
        if (write(slave_fd, buf, sizeof buf) != sizeof buf) {
            perror("flood write");
            exit(1);
        }
    }
    wrote_all = 1;
    return NULL;
}

// One line of queue sizes: what `reader` can read (FIONREAD) and what
// `writer` still has queued (TIOCOUTQ).
static void queues(const char *rname, int reader, const char *wname, int writer) {
    int r = -1, w = -1;
    ioctl(reader, FIONREAD, &r);
    ioctl(writer, TIOCOUTQ, &w);
    printf("%s FIONREAD %d, %s TIOCOUTQ %d\n", rname, r, wname, w);
}

int main(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) || unlockpt(m)) {
        perror("ptmx");
        return 1;
    }
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    if (s < 0) {
        perror("slave");
        return 1;
    }
    slave_fd = s;
    // A new pair's modes (Linux's pts defaults: no HUPCL, no IUTF8).
    struct termios d;
    tcgetattr(s, &d);
    printf("slave modes: iflag %o oflag %o cflag %o lflag %o\n", d.c_iflag, d.c_oflag, d.c_cflag, d.c_lflag);
    tcgetattr(m, &d);
    printf("master modes: iflag %o oflag %o cflag %o lflag %o\n", d.c_iflag, d.c_oflag, d.c_cflag, d.c_lflag);
    show("idle master", m, POLLIN | POLLOUT);
    show("idle slave", s, POLLIN | POLLOUT);

    // Canonical mode with echo: typed text is echoed to the master at
    // once, readable on the slave only after the newline.
    write(m, "ab", 2);
    show("typed master", m, POLLIN);
    show("typed slave", s, POLLIN);
    char buf[256];
    int n = read(m, buf, sizeof buf);
    printf("echo: %.*s\n", n, buf);
    write(m, "\n", 1);
    show("line slave", s, POLLIN);
    n = read(s, buf, sizeof buf);
    printf("line: %d bytes\n", n);
    n = read(m, buf, sizeof buf);
    printf("echo after newline: %d bytes\n", n);

    // Raw mode, no echo: a byte typed wakes a slave reader blocked in poll.
    struct termios t;
    tcgetattr(s, &t);
    cfmakeraw(&t);
    tcsetattr(s, TCSANOW, &t);
    write(m, "z", 1);
    show("raw slave", s, POLLIN);
    show("raw master (no echo)", m, POLLIN);
    read(s, buf, 1);

    // Output: the slave writes, the master sees it.
    write(s, "out", 3);
    show("output master", m, POLLIN);
    n = read(m, buf, sizeof buf);
    printf("output: %.*s\n", n, buf);

    // A writer blocked on a full buffer goes on once the master reads.
    pthread_t th;
    pthread_create(&th, NULL, flood, NULL);
    long total = 0;
    while (total < 64 * 4096) {
        struct pollfd p = {.fd = m, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1) {
            printf("master never became readable after %ld bytes\n", total);
            return 1;
        }
        n = read(m, buf, sizeof buf);
        if (n <= 0) {
            perror("drain");
            return 1;
        }
        total += n;
    }
    pthread_join(th, NULL);
    printf("drained %ld bytes, writer done: %d\n", total, wrote_all);

    // Queue sizes: FIONREAD counts what a side can read (a canonical slave
    // whole lines only); TIOCOUTQ is 0 on both sides, as a pty hands its
    // output straight to the other side.
    struct termios q;
    tcgetattr(s, &q);
    q.c_lflag = (q.c_lflag & ~ECHO) | ICANON;
    tcsetattr(s, TCSANOW, &q);
    write(m, "abc", 3);
    usleep(50000);
    queues("partial line: slave", s, "master", m);
    write(m, "\n", 1);
    ready(s, POLLIN);
    queues("line: slave", s, "master", m);
    write(s, "hello", 5);
    ready(m, POLLIN);
    queues("output: master", m, "slave", s);
    printf("read back: slave %zd, master %zd\n", read(s, buf, sizeof buf), read(m, buf, sizeof buf));

    close(s);
    show("slave closed, master", m, POLLIN | POLLOUT);
    n = read(m, buf, sizeof buf);
    printf("read after hang-up: %d %s\n", n, n < 0 ? strerror(errno) : "");
    return 0;
}
