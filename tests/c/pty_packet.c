// Packet mode of a pty master (TIOCPKT, TIOCGPKT) and TIOCSIG, as GNU
// screen uses them: every master read starts with TIOCPKT_DATA (0) before
// output, or is one status byte alone after the slave side was flushed,
// stopped or started, or changed its flow control. Prints values; the test
// compares them with a native run.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "husk_test.h"
#include "pty_test.h"

// Output from the slave reaches Linux's master asynchronously: wait a
// little for readiness rather than sampling it once.
static int ready(int fd, short events) {
    struct pollfd p = {.fd = fd, .events = events};
    int n = poll(&p, 1, 200);
    return n > 0 ? p.revents : 0;
}

// What one master read returns: the byte count, the leading byte, the rest.
static void show_read(const char *what, int m, size_t len) {
    int r = ready(m, POLLIN | POLLPRI);
    printf("%s: poll%s%s%s", what, r & POLLIN ? " IN" : "", r & POLLPRI ? " PRI" : "", r & POLLHUP ? " HUP" : "");
    if (!(r & (POLLIN | POLLHUP))) {
        printf(", nothing to read\n");
        return;
    }
    unsigned char buf[64];
    ssize_t n = read(m, buf, len);
    if (n < 0) {
        printf(", read %s\n", errno_name(errno));
        return;
    }
    printf(", read %zd: first %#x", n, n > 0 ? buf[0] : 0);
    if (n > 1) {
        printf(" then \"");
        for (ssize_t i = 1; i < n; i++)
            printf(buf[i] >= ' ' ? "%c" : "\\x%02x", buf[i]);
        printf("\"");
    }
    printf("\n");
}

// Whether the slave's output is stopped (it polls writable when not).
static void flow(const char *what, int s) {
    struct pollfd p = {.fd = s, .events = POLLOUT};
    usleep(20000);
    poll(&p, 1, 0);
    printf("%s: output %s\n", what, p.revents & POLLOUT ? "running" : "stopped");
}

// tcflow(TCOOFF) and a typed ^S stop output apart: VSTART, a signal
// character and IXON turned off restart only the latter; TCOON only
// restarts after a TCOOFF, but then whatever stopped it.
static void flow_sources(int m, int s) {
    struct termios t;
    tcgetattr(s, &t);
    t.c_iflag |= IXON;
    t.c_lflag &= ~ECHO;
    tcsetattr(s, TCSANOW, &t);
    tcflow(s, TCOOFF);
    flow("TCOOFF", s);
    write(m, "\x11", 1);
    flow("typed ^Q after TCOOFF", s);
    write(m, "\x03", 1);
    flow("typed ^C after TCOOFF", s);
    t.c_iflag &= ~IXON;
    tcsetattr(s, TCSANOW, &t);
    flow("IXON off after TCOOFF", s);
    t.c_iflag |= IXON;
    tcsetattr(s, TCSANOW, &t);
    tcflow(s, TCOON);
    flow("TCOON", s);
    write(m, "\x13", 1);
    flow("typed ^S", s);
    tcflow(s, TCOOFF);
    write(m, "\x11", 1);
    flow("TCOOFF after ^S, then ^Q", s);
    tcflow(s, TCOON);
    flow("TCOON", s);
    write(m, "\x13", 1);
    tcflow(s, TCOON);
    flow("typed ^S, then TCOON without TCOOFF", s);
    write(m, "\x11", 1);
    flow("^Q", s);
}

static void set_packet(int m, int on) {
    if (ioctl(m, TIOCPKT, &on) < 0)
        printf("TIOCPKT %d: %s\n", on, errno_name(errno));
}

static int got_sig;
static void on_sig(int sig) { got_sig = sig; }

// TIOCSIG signals the slave's foreground process group: a child that made
// the slave its controlling terminal reports the signal it got.
static void tiocsig_to_foreground(int m, const char *slave_name) {
    int p[2];
    if (pipe(p) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, on_sig);
        setsid();
        int s = open(slave_name, O_RDWR);
        write(p[1], s >= 0 ? "r" : "x", 1);
        for (int i = 0; i < 200 && !got_sig; i++)
            usleep(10000);
        _exit(got_sig);
    }
    char c = 0;
    read(p[0], &c, 1);
    printf("child has the terminal: %c\n", c);
    printf("TIOCSIG SIGINT: %s\n", ioctl(m, TIOCSIG, SIGINT) == 0 ? "ok" : errno_name(errno));
    int st = 0;
    waitpid(pid, &st, 0);
    printf("child got signal %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    close(p[0]);
    close(p[1]);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    char name[64];
    int s;
    int m = open_pty_pair(&s, name, sizeof name);
    int v = -1;
    int r = ioctl(m, TIOCGPKT, &v);
    printf("TIOCGPKT new: %s %d\n", r == 0 ? "ok" : errno_name(errno), v);
    // Packet mode is the master's: the slave has neither ioctl.
    v = 1;
    printf("TIOCPKT on slave: %s\n", ioctl(s, TIOCPKT, &v) == 0 ? "ok" : errno_name(errno));
    printf("TIOCGPKT on slave: %s\n", ioctl(s, TIOCGPKT, &v) == 0 ? "ok" : errno_name(errno));
    printf("TIOCSIG on slave: %s\n", ioctl(s, TIOCSIG, SIGINT) == 0 ? "ok" : errno_name(errno));
    printf("TIOCPKT bad pointer: %s\n", ioctl(m, TIOCPKT, (void *)8) == 0 ? "ok" : errno_name(errno));

    // Events before packet mode is on are not kept.
    tcflush(s, TCIFLUSH);
    set_packet(m, 1);
    v = -1;
    ioctl(m, TIOCGPKT, &v);
    printf("TIOCGPKT on: %d\n", v);
    show_read("after enabling", m, 64);

    write(s, "hi\n", 3);
    show_read("output", m, 64);
    write(s, "abc", 3);
    show_read("one-byte read", m, 1);
    show_read("rest", m, 64);

    tcflush(s, TCIFLUSH);
    show_read("slave TCIFLUSH", m, 64);
    tcflush(s, TCOFLUSH);
    show_read("slave TCOFLUSH", m, 64);
    tcflush(s, TCIOFLUSH);
    show_read("slave TCIOFLUSH", m, 64);
    tcflush(m, TCIOFLUSH);
    show_read("master TCIOFLUSH", m, 64);

    // A status byte comes before queued output, alone.
    write(s, "xy", 2);
    ready(m, POLLIN);
    tcflow(s, TCOOFF);
    show_read("TCOOFF with output queued", m, 64);
    tcflow(s, TCOON);
    show_read("TCOON", m, 64);
    show_read("the queued output", m, 64);
    tcflow(s, TCOOFF);
    tcflow(s, TCOON);
    show_read("TCOOFF then TCOON", m, 64);
    tcflow(s, TCOON);
    show_read("TCOON when running", m, 64);

    // Typed ^S and ^Q (IXON); typed ^C flushes both queues (ISIG without
    // NOFLSH; nobody is signalled: the slave is no one's terminal).
    write(m, "\x13", 1);
    show_read("typed ^S", m, 64);
    write(m, "\x13", 1);
    show_read("typed ^S again", m, 64);
    write(m, "\x11", 1);
    show_read("typed ^Q", m, 64);
    struct termios t;
    tcgetattr(s, &t);
    t.c_lflag &= ~ECHO;
    tcsetattr(s, TCSANOW, &t);
    show_read("echo off", m, 64);
    write(m, "\x03", 1);
    show_read("typed ^C", m, 64);
    // A signal character also restarts stopped output (IXON).
    write(m, "\x13", 1);
    show_read("typed ^S before ^C", m, 64);
    write(m, "\x03", 1);
    show_read("typed ^C while stopped", m, 64);

    // Flow control changes: IXON off, on; another VSTOP; TCSETSF flushes.
    t.c_iflag &= ~IXON;
    tcsetattr(s, TCSANOW, &t);
    show_read("IXON off", m, 64);
    t.c_iflag |= IXON;
    tcsetattr(s, TCSANOW, &t);
    show_read("IXON on", m, 64);
    t.c_cc[VSTOP] = 'x';
    tcsetattr(m, TCSANOW, &t);
    show_read("VSTOP changed from the master", m, 64);
    t.c_cc[VSTOP] = 0x13;
    tcsetattr(s, TCSAFLUSH, &t);
    show_read("TCSAFLUSH restoring VSTOP", m, 64);
    write(m, "\x13", 1);
    show_read("typed ^S to stop", m, 64);
    t.c_iflag &= ~IXON;
    tcsetattr(s, TCSANOW, &t);
    show_read("IXON off while stopped", m, 64);

    // Re-enabling keeps a pending status; off and on again forgets it.
    tcflush(s, TCIFLUSH);
    set_packet(m, 1);
    show_read("TIOCPKT 1 again", m, 64);
    tcflush(s, TCIFLUSH);
    set_packet(m, 0);
    set_packet(m, 1);
    show_read("TIOCPKT 0 then 1", m, 64);

    // Off: plain reads again.
    set_packet(m, 0);
    v = -1;
    ioctl(m, TIOCGPKT, &v);
    printf("TIOCGPKT off: %d\n", v);
    write(s, "ok\n", 3);
    show_read("plain output", m, 64);

    flow_sources(m, s);

    printf("TIOCSIG 0: %s\n", ioctl(m, TIOCSIG, 0) == 0 ? "ok" : errno_name(errno));
    printf("TIOCSIG SIGKILL: %s\n", ioctl(m, TIOCSIG, SIGKILL) == 0 ? "ok" : errno_name(errno));
    printf("TIOCSIG SIGQUIT, no foreground group: %s\n", ioctl(m, TIOCSIG, SIGQUIT) == 0 ? "ok" : errno_name(errno));
    tiocsig_to_foreground(m, name);

    // A pending status is read before the hang-up's EIO.
    set_packet(m, 1);
    tcflush(s, TCOFLUSH);
    close(s);
    show_read("status after the slave closed", m, 64);
    show_read("then", m, 64);
    return 0;
}
