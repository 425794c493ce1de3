// Flow control and breaks on a pty pair, each side on its own: tcflow on
// the master stops the master's writes (typed input), not the slave's
// output; TCIOFF/TCION send the STOP/START characters to the other side;
// tcsendbreak, tcdrain and TIOCSBRK/TIOCCBRK succeed on both sides; and a
// background process group is stopped with SIGTTOU by tcflush, tcflow and
// tcdrain on its controlling terminal, as by tcsetattr.
//
// Groups: master_tcflow, xchar, breaks, background.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

#include "pty_test.h"

// Linux moves bytes between the sides asynchronously: wait a little.
static int ready(int fd, short events) {
    struct pollfd p = {.fd = fd, .events = events};
    int n = poll(&p, 1, 200);
    return n > 0 ? p.revents : 0;
}

static void show(const char *what, int fd) {
    int r = ready(fd, POLLIN | POLLOUT);
    printf("%s:%s%s\n", what, r & POLLIN ? " IN" : "", r & POLLOUT ? " OUT" : "");
}

// Reads what is there (after waiting for it) and prints it as hex.
static void drain(const char *what, int fd) {
    char buf[64];
    printf("%s:", what);
    while (ready(fd, POLLIN) & POLLIN) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            printf(" %02x", (unsigned char)buf[i]);
    }
    printf("\n");
}

static void try_write(const char *what, int fd, const char *s) {
    ssize_t n = write(fd, s, strlen(s));
    printf("%s: %zd%s%s\n", what, n, n < 0 ? " " : "", n < 0 ? strerrorname_np(errno) : "");
}

static void set_nonblock(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Raw slave, so bytes pass unchanged both ways.
static void make_raw(int s) {
    struct termios t;
    tcgetattr(s, &t);
    cfmakeraw(&t);
    tcsetattr(s, TCSANOW, &t);
}

static void master_tcflow(void) {
    char name[64];
    int s, m = open_pty_pair(&s, name, sizeof name);
    make_raw(s);
    set_nonblock(m);
    set_nonblock(s);
    printf("master TCOOFF: %d\n", tcflow(m, TCOOFF));
    show("master", m);
    try_write("master write", m, "in");
    try_write("slave write", s, "out");
    drain("master reads", m);
    drain("slave reads", s);
    printf("slave TCOON: %d\n", tcflow(s, TCOON));
    try_write("master write", m, "in");
    printf("master TCOON: %d\n", tcflow(m, TCOON));
    show("master", m);
    try_write("master write", m, "in");
    drain("slave reads", s);
    int r = tcflow(m, 9);
    printf("bad action: %d %s\n", r, strerrorname_np(errno));
}

static void xchar(void) {
    char name[64];
    int s, m = open_pty_pair(&s, name, sizeof name);
    set_nonblock(m);
    set_nonblock(s);
    // The slave's STOP/START go to the master, unprocessed (OPOST on).
    printf("slave TCIOFF: %d\n", tcflow(s, TCIOFF));
    printf("slave TCION: %d\n", tcflow(s, TCION));
    drain("master reads", m);
    // The master's go to the slave's input: with IXON they stop and
    // restart the slave's output and are not read.
    printf("master TCIOFF: %d\n", tcflow(m, TCIOFF));
    usleep(50000);
    try_write("slave write", s, "x\n");
    printf("master TCION: %d\n", tcflow(m, TCION));
    usleep(50000);
    try_write("slave write", s, "y\n");
    drain("master reads", m);
    drain("slave reads", s);
    // Without IXON they are input like any other byte.
    struct termios t;
    tcgetattr(s, &t);
    t.c_iflag &= ~IXON;
    t.c_lflag &= ~(ICANON | ECHO);
    tcsetattr(s, TCSANOW, &t);
    tcflow(m, TCIOFF);
    tcflow(m, TCION);
    drain("slave reads", s);
    // A disabled STOP character is not sent.
    t.c_cc[VSTOP] = _POSIX_VDISABLE;
    tcsetattr(s, TCSANOW, &t);
    printf("slave TCIOFF disabled: %d\n", tcflow(s, TCIOFF));
    tcflow(s, TCION);
    drain("master reads", m);
}

static void breaks(void) {
    char name[64];
    int s, m = open_pty_pair(&s, name, sizeof name);
    int fds[2] = {m, s};
    const char *sides[2] = {"master", "slave"};
    for (int i = 0; i < 2; i++) {
        int fd = fds[i];
        printf("%s: sendbreak %d drain %d", sides[i], tcsendbreak(fd, 0), tcdrain(fd));
        printf(" TCSBRKP %d", ioctl(fd, TCSBRKP, 0));
        printf(" TIOCSBRK %d TIOCCBRK %d\n", ioctl(fd, TIOCSBRK), ioctl(fd, TIOCCBRK));
    }
}

// A child in a background group of the session `name` controls runs `op`;
// prints how it ended (stopped by which signal, or the call's result).
static void in_background(const char *what, int fg, const char *name, int op, int ignore) {
    pid_t c = fork();
    if (c == 0) {
        setpgid(0, 0);
        if (ignore)
            signal(SIGTTOU, SIG_IGN);
        int s = open(name, O_RDWR);
        int r = -1;
        switch (op) {
        case 0: r = tcflush(s, TCIFLUSH); break;
        case 1: r = tcflow(s, TCOON); break;
        case 2: r = tcdrain(s); break;
        case 3: r = tcsendbreak(s, 0); break;
        case 4: r = ioctl(s, TIOCSBRK); break;
        case 5: {
            struct winsize ws = {.ws_row = 10, .ws_col = 20};
            r = ioctl(s, TIOCSWINSZ, &ws);
            break;
        }
        }
        _exit(r == 0 ? 0 : 10 + errno);
    }
    int st;
    waitpid(c, &st, WUNTRACED);
    if (WIFSTOPPED(st)) {
        printf("%s: stopped by %s\n", what, sigabbrev_np(WSTOPSIG(st)));
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
    } else {
        printf("%s: exit %d\n", what, WEXITSTATUS(st));
    }
    (void)fg;
}

static void background(void) {
    char name[64];
    int s, m = open_pty_pair(&s, name, sizeof name);
    close(s);
    pid_t leader = fork();
    if (leader == 0) {
        setsid();
        int t = open(name, O_RDWR);
        if (t < 0 || ioctl(t, TIOCSCTTY, 0) < 0) {
            perror("ctty");
            _exit(1);
        }
        signal(SIGTTOU, SIG_IGN);
        tcsetpgrp(t, getpid());
        signal(SIGTTOU, SIG_DFL);
        const char *ops[] = {"tcflush", "tcflow", "tcdrain", "tcsendbreak", "TIOCSBRK", "TIOCSWINSZ"};
        for (int op = 0; op < 6; op++)
            in_background(ops[op], getpid(), name, op, 0);
        for (int op = 0; op < 3; op++) {
            char what[64];
            snprintf(what, sizeof what, "%s ignoring SIGTTOU", ops[op]);
            in_background(what, getpid(), name, op, 1);
        }
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(leader, &st, 0);
    close(m);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *g = argc > 1 ? argv[1] : "all";
    int all = !strcmp(g, "all");
    if (all || !strcmp(g, "master_tcflow"))
        master_tcflow();
    if (all || !strcmp(g, "xchar"))
        xchar();
    if (all || !strcmp(g, "breaks"))
        breaks();
    if (all || !strcmp(g, "background"))
        background();
    return 0;
}
