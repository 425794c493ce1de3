/* A new pty pair for the pty tests (include after defining _GNU_SOURCE). */
#ifndef PTY_TEST_H
#define PTY_TEST_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Opens a master and its slave (neither a controlling terminal); the
 * slave's path goes to `name`. Exits the program if the host has none. */
static int open_pty_pair(int *slave, char *name, size_t len) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) || unlockpt(m)) {
        perror("ptmx");
        exit(1);
    }
    snprintf(name, len, "%s", ptsname(m));
    *slave = open(name, O_RDWR | O_NOCTTY);
    if (*slave < 0) {
        perror("slave");
        exit(1);
    }
    return m;
}

#endif
