/*
 * Shared helpers for the C test programs run by husk's integration tests.
 *
 * Every program prints one line per check on stdout ("name: result"), so a
 * Rust test can compare the output of a native run with a run under husk,
 * or with a fixed expectation. Output is line-buffered so that the lines
 * printed before a crash still reach the test.
 */
#ifndef HUSK_TEST_H
#define HUSK_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The symbolic name of an errno value ("EFAULT"), or "E<n>" if unknown. */
static const char *errno_name(int e) {
    static char buf[32];
    switch (e) {
#define E(x) case x: return #x;
        E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG)
        E(ENOEXEC) E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES)
        E(EFAULT) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR)
        E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(ETXTBSY)
        E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(EDOM)
        E(ERANGE) E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK) E(ENOSYS)
        E(ENOTEMPTY) E(ELOOP) E(ENODATA) E(EOVERFLOW) E(EBADFD)
        E(ENOTSOCK) E(EOPNOTSUPP)
        E(ECANCELED) E(ENOTRECOVERABLE)
#undef E
    }
    snprintf(buf, sizeof buf, "E%d", e);
    return buf;
}

/* Prints "name: ok" for a non-negative result, "name: ERRNO" otherwise. */
static void report(const char *name, long ret) {
    if (ret >= 0)
        printf("%s: ok\n", name);
    else
        printf("%s: %s\n", name, errno_name(errno));
}

/* Like report() for a raw syscall result (-errno on failure). */
static void report_raw(const char *name, long ret) {
    if (ret >= 0 || ret < -4095)
        printf("%s: ok\n", name);
    else
        printf("%s: %s\n", name, errno_name((int)-ret));
}

/* Like report() for a pointer-returning call that fails with MAP_FAILED. */
static void report_map(const char *name, void *p) {
    if (p != MAP_FAILED)
        printf("%s: ok\n", name);
    else
        printf("%s: %s\n", name, errno_name(errno));
}

/* Prints "name: yes" or "name: no". */
static void check(const char *name, int cond) {
    printf("%s: %s\n", name, cond ? "yes" : "no");
}

static void line_buffered_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}

#endif
