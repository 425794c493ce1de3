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

int main(void) {
    char name[64];
    int s;
    open_pty_pair(&s, name, sizeof name); /* the master stays open */
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
    // (Not checked: chmod of a closed pair's node, ENOENT, since natively a
    // test running alongside may get the same number at once.)
    return 0;
}
