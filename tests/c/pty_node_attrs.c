// chmod, chown and utimes of a terminal's /dev/pts/N node, as GNU screen
// does to the pty of its window (chown to the user and group tty, chmod
// 0620) and to its own terminal while detached (chmod 0600): the change
// shows through the path and an open descriptor alike.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "husk_test.h"
#include "pty_test.h"

// The ids are shown only after the chown: a new node's group depends on how
// the host mounted its devpts (gid=5 or not).
static void show(const char *what, const char *name, int fd, int ids) {
    struct stat a, b;
    if (stat(name, &a) < 0 || fstat(fd, &b) < 0) {
        printf("%s: stat %s\n", what, errno_name(errno));
        return;
    }
    printf("%s: mode %o, same through the descriptor %d", what, a.st_mode & 07777,
           a.st_mode == b.st_mode && a.st_uid == b.st_uid && a.st_gid == b.st_gid && a.st_mtime == b.st_mtime);
    if (ids)
        printf(", uid is mine %d, gid is mine %d", a.st_uid == getuid(), a.st_gid == getgid());
    printf("\n");
}

// How a node time compares with now: Linux stamps whole seconds, and
// only when the second differs from the old one in more than its low
// three bits (so a terminal does not tell the exact time of each key).
static const char *stamp(struct timespec t) {
    time_t now = time(NULL);
    if (t.tv_sec == 1000000000 || t.tv_sec == 1200000000)
        return "as set";
    if (t.tv_nsec == 0 && t.tv_sec <= now && t.tv_sec >= now - 8)
        return "now, whole seconds";
    return "other";
}

static void show_times(const char *what, const char *name) {
    struct stat st;
    stat(name, &st);
    printf("%s: atime %s, mtime %s\n", what, stamp(st.st_atim), stamp(st.st_mtim));
}

// A read of the terminal stamps its access time, a write its change time
// (what `w` and `who -u` show as idle times).
static void io_times(const char *name, int s, int m) {
    struct timeval tv[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1200000000}};
    utimes(name, tv);
    show_times("set", name);
    if (write(s, "out\n", 4) != 4)
        printf("slave write failed\n");
    show_times("after a slave write", name);
    char buf[16];
    (void)!read(m, buf, sizeof buf);
    show_times("after a master read", name);
    if (write(m, "in\n", 3) != 3)
        printf("master write failed\n");
    show_times("after a master write", name);
    (void)!read(s, buf, sizeof buf);
    show_times("after a slave read", name);
    // Within the same eight seconds nothing changes: set the times to
    // now with a fraction, then read and write (again if the clock moved
    // to the next eight seconds meanwhile).
    for (int i = 0; i < 3; i++) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        struct timespec ts[2] = {{now.tv_sec, 123}, {now.tv_sec, 456}};
        utimensat(AT_FDCWD, name, ts, 0);
        if (write(s, "x\n", 2) != 2 || write(m, "y\n", 2) != 2)
            printf("write failed\n");
        (void)!read(m, buf, sizeof buf);
        (void)!read(s, buf, sizeof buf);
        struct stat st;
        stat(name, &st);
        if (time(NULL) / 8 != now.tv_sec / 8)
            continue;
        printf("within eight seconds: atime nsec %ld, mtime nsec %ld\n", st.st_atim.tv_nsec, st.st_mtim.tv_nsec);
        break;
    }
}

int main(void) {
    char name[64];
    int s;
    int m = open_pty_pair(&s, name, sizeof name);
    printf("chmod 0600: %s\n", chmod(name, 0600) == 0 ? "ok" : errno_name(errno));
    show("after chmod", name, s, 0);
    printf("fchmod 0620: %s\n", fchmod(s, 0620) == 0 ? "ok" : errno_name(errno));
    show("after fchmod", name, s, 0);
    printf("chown to my ids: %s\n", chown(name, getuid(), getgid()) == 0 ? "ok" : errno_name(errno));
    show("after chown", name, s, 1);
    struct timeval tv[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1200000000}};
    printf("utimes: %s\n", utimes(name, tv) == 0 ? "ok" : errno_name(errno));
    struct stat st;
    fstat(s, &st);
    printf("times through the descriptor: %ld %ld\n", (long)st.st_atime, (long)st.st_mtime);
    show("after utimes", name, s, 1);
    io_times(name, s, m);
    // (Not checked: chmod of a closed pair's node, ENOENT, since natively a
    // test running alongside may get the same number at once.)
    return 0;
}
