/*
 * What pipes cost (tests/pipe_memory.rs):
 *   pipe_limits user-pages   as an unprivileged user (it drops to nobody):
 *                            pipe-max-size and pipe-user-pages-soft, as
 *                            fs/pipe.c applies them
 *   pipe_limits fill MIB     fills pipes of 1 MiB until a write fails or
 *                            MIB mebibytes are queued; prints how it ended
 *                            ("filled", or "ENOMEM after N MiB")
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <sys/resource.h>

static long sysctl(const char *path) {
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

/* Run natively as root too: the limits bind only without CAP_SYS_RESOURCE
 * and CAP_SYS_ADMIN, so the program becomes nobody first. No other
 * process of nobody may hold pipes meanwhile (they count too). */
static void g_user_pages(void) {
    long soft = sysctl("/proc/sys/fs/pipe-user-pages-soft");
    expect("soft-limit", soft == 16384, "%ld", soft);
    expect("hard-limit", sysctl("/proc/sys/fs/pipe-user-pages-hard") == 0, "not 0");
    expect("max-size", sysctl("/proc/sys/fs/pipe-max-size") == 1048576, "not 1 MiB");
    struct rlimit rl = {4096, 4096};
    EXPECT_OK("nofile", setrlimit(RLIMIT_NOFILE, &rl));
    if (getuid() == 0)
        EXPECT_OK("setuid", setuid(65534));

    int p[2];
    EXPECT_OK("pipe", pipe(p));
    expect_ret("grow-to-max", fcntl(p[1], F_SETPIPE_SZ, 1 << 20), errno, 1 << 20, 0);
    EXPECT_ERR("past-max", fcntl(p[1], F_SETPIPE_SZ, 2 << 20), EPERM);
    EXPECT_ERR("past-2g", fcntl(p[1], F_SETPIPE_SZ, (1u << 31) + 1), EINVAL);
    close(p[0]);
    close(p[1]);

    /* 1024 pipes of 16 slots reach the soft limit of 16384 slots. */
    static int fds[2048];
    int made = 0, err = 0, small = -1;
    for (int i = 0; i < 1024; i++) {
        if (pipe(fds + 2 * i) != 0) {
            err = errno;
            break;
        }
        made++;
        if (fcntl(fds[2 * i], F_GETPIPE_SZ) != 65536 && small < 0)
            small = i;
    }
    expect("full-size-pipes", made == 1024 && small < 0, "made %d (%s), first small %d", made, errno_name(err),
           small);
    EXPECT_OK("pipe-past-soft", pipe(p));
    expect_ret("small-past-soft", fcntl(p[0], F_GETPIPE_SZ), errno, 8192, 0);
    EXPECT_ERR("no-growth-past-soft", fcntl(p[0], F_SETPIPE_SZ, 65536), EPERM);
    expect_ret("shrink-past-soft", fcntl(fds[0], F_SETPIPE_SZ, 4096), errno, 4096, 0);
    /* The small pipe holds what its two pages do. */
    char buf[4096] = {0};
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    long total = 0, n;
    while ((n = write(p[1], buf, sizeof buf)) > 0)
        total += n;
    expect("small-capacity", total == 8192 && errno == EAGAIN, "%ld %s", total, errno_name(errno));
    close(p[0]);
    close(p[1]);
    for (int i = 0; i < 2 * made; i++)
        close(fds[i]);
    /* Closed pipes give their slots back. */
    EXPECT_OK("pipe-after-close", pipe(p));
    expect_ret("full-size-again", fcntl(p[0], F_GETPIPE_SZ), errno, 65536, 0);
}

static void fill(long mib) {
    static char buf[1 << 20];
    memset(buf, 'p', sizeof buf);
    long queued = 0;
    for (long i = 0; i < mib; i++) {
        int p[2];
        if (pipe2(p, O_NONBLOCK) != 0) {
            printf("pipe: %s after %ld MiB\n", errno_name(errno), queued >> 20);
            return;
        }
        if (fcntl(p[1], F_SETPIPE_SZ, 1 << 20) < 0) {
            printf("F_SETPIPE_SZ: %s after %ld MiB\n", errno_name(errno), queued >> 20);
            return;
        }
        long done = 0;
        while (done < (1 << 20)) {
            ssize_t n = write(p[1], buf + done, (1 << 20) - done);
            if (n < 0) {
                printf("%s after %ld MiB\n", errno_name(errno), queued >> 20);
                return;
            }
            done += n;
            queued += n;
        }
    }
    printf("filled %ld MiB\n", queued >> 20);
}

int main(int argc, char **argv) {
    line_buffered_stdout();
    if (argc > 2 && strcmp(argv[1], "fill") == 0) {
        fill(atol(argv[2]));
        return 0;
    }
    static const struct test_group groups[] = {{"user-pages", g_user_pages}};
    return RUN_GROUPS(argc, argv, groups);
}
