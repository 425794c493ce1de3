/*
 * Basic start-up and syscalls a libc program relies on. Prints one line per
 * check; values that differ between runs are printed as checks only. The
 * Rust test runs it natively and under husk (same cwd) and compares.
 *
 *   basics FILE TAG
 *
 * FILE is a test file of at least 200 bytes to read; TAG names a scratch
 * file /tmp/husk-basics-TAG that the program creates and removes.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static uint64_t fnv1a(const unsigned char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void identity(void) {
    pid_t pid = getpid();
    pid_t tid = (pid_t)syscall(SYS_gettid);
    check("pid-positive", pid > 0);
    check("pid-equals-tid", pid == tid);
    check("getpid-stable", getpid() == pid);

    struct utsname u;
    report("uname", uname(&u));
    printf("sysname: %s\n", u.sysname);
    printf("machine: %s\n", u.machine);
    int major = 0, minor = 0;
    check("release-parses", sscanf(u.release, "%d.%d", &major, &minor) == 2);
    check("release-at-least-5", major >= 5);

    char cwd[4096];
    if (getcwd(cwd, sizeof cwd))
        printf("getcwd: %s\n", cwd);
    else
        printf("getcwd: %s\n", errno_name(errno));
}

static void clocks(void) {
    struct timespec a, b, raw;
    report("clock-monotonic", clock_gettime(CLOCK_MONOTONIC, &a));
    for (volatile int i = 0; i < 1000000; i++)
        ;
    clock_gettime(CLOCK_MONOTONIC, &b);
    check("monotonic-advances",
          b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec > a.tv_nsec));
    report("clock-monotonic-raw-syscall",
           syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &raw));
    check("raw-syscall-agrees", raw.tv_sec >= b.tv_sec && raw.tv_sec - b.tv_sec < 10);

    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    check("realtime-after-2024", rt.tv_sec > 1704067200);
    time_t t = time(NULL);
    check("time-agrees", t >= rt.tv_sec && t - rt.tv_sec < 10);
    struct timespec res;
    report("clock-getres", clock_getres(CLOCK_MONOTONIC, &res));
}

static void randomness(void) {
    unsigned char r1[16] = {0}, r2[16] = {0};
    ssize_t n1 = getrandom(r1, sizeof r1, 0);
    ssize_t n2 = getrandom(r2, sizeof r2, GRND_NONBLOCK);
    printf("getrandom: %zd\n", n1);
    printf("getrandom-nonblock: %zd\n", n2);
    check("getrandom-differs", memcmp(r1, r2, sizeof r1) != 0);
}

static void limits(void) {
    struct rlimit rl;
    report("prlimit64-nofile", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl));
    check("nofile-sane", rl.rlim_cur >= 3 && rl.rlim_cur <= rl.rlim_max);
    struct rlimit rl2;
    report("getrlimit-nofile", getrlimit(RLIMIT_NOFILE, &rl2));
    check("getrlimit-agrees",
          rl2.rlim_cur == rl.rlim_cur && rl2.rlim_max == rl.rlim_max);
    report("getrlimit-stack", getrlimit(RLIMIT_STACK, &rl));
}

static void read_file(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    report("open", fd);
    if (fd < 0)
        return;
    struct stat st;
    report("fstat", fstat(fd, &st));
    check("fstat-regular", S_ISREG(st.st_mode));
    printf("fstat-size: %lld\n", (long long)st.st_size);

    /* read() to EOF, in small chunks. */
    size_t cap = (size_t)st.st_size + 1, total = 0;
    unsigned char *all = malloc(cap);
    for (;;) {
        ssize_t n = read(fd, all + total, cap - total < 1000 ? cap - total : 1000);
        if (n <= 0) {
            if (n < 0)
                printf("read: %s\n", errno_name(errno));
            break;
        }
        total += (size_t)n;
    }
    printf("read-total: %zu\n", total);
    check("read-total-is-size", total == (size_t)st.st_size);
    printf("read-fnv: %016llx\n", (unsigned long long)fnv1a(all, total));
    printf("read-at-eof: %zd\n", read(fd, all, 1));

    printf("lseek-cur: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("lseek-end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
    printf("lseek-set: %lld\n", (long long)lseek(fd, 10, SEEK_SET));

    char small[16] = {0};
    ssize_t n = pread(fd, small, 10, 100);
    printf("pread: %zd\n", n);
    check("pread-matches", n == 10 && memcmp(small, all + 100, 10) == 0);
    printf("lseek-after-pread: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));

    char a[5], b[7];
    struct iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
    n = readv(fd, iov, 2);
    printf("readv: %zd\n", n);
    check("readv-matches",
          n == 12 && memcmp(a, all + 10, 5) == 0 && memcmp(b, all + 15, 7) == 0);
    printf("lseek-after-readv: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    n = preadv(fd, iov, 2, 50);
    check("preadv-matches",
          n == 12 && memcmp(a, all + 50, 5) == 0 && memcmp(b, all + 55, 7) == 0);

    report("close", close(fd));
    report("close-again", close(fd));
    free(all);
}

static void scratch_file(const char *tag) {
    char path[256];
    snprintf(path, sizeof path, "/tmp/husk-basics-%s", tag);
    static const char msg[] = "hello husk\n";

    int fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    report("create", fd);
    if (fd < 0)
        return;
    printf("write: %zd\n", write(fd, msg, sizeof msg - 1));
    printf("lseek-rewind: %lld\n", (long long)lseek(fd, 0, SEEK_SET));
    char back[64] = {0};
    ssize_t n = read(fd, back, sizeof back);
    printf("read-back: %zd\n", n);
    check("read-back-matches", n == sizeof msg - 1 && memcmp(back, msg, n) == 0);
    struct stat st;
    fstat(fd, &st);
    printf("scratch-size: %lld\n", (long long)st.st_size);
    printf("scratch-mode: %o\n", (unsigned)(st.st_mode & 07777));
    close(fd);

    report("create-exclusive-again",
           open(path, O_CREAT | O_EXCL | O_RDWR, 0600));
    fd = open(path, O_RDONLY);
    memset(back, 0, sizeof back);
    n = read(fd, back, sizeof back);
    check("reopen-reads-back", n == sizeof msg - 1 && memcmp(back, msg, n) == 0);
    close(fd);

    fd = open(path, O_WRONLY | O_APPEND);
    write(fd, msg, sizeof msg - 1);
    close(fd);
    stat(path, &st);
    printf("size-after-append: %lld\n", (long long)st.st_size);
    truncate(path, 3);
    stat(path, &st);
    printf("size-after-truncate: %lld\n", (long long)st.st_size);

    report("access-scratch", access(path, R_OK));
    report("unlink", unlink(path));
    report("access-after-unlink", access(path, F_OK));
    report("unlink-again", unlink(path));
}

static void accesses(void) {
    report("access-passwd-r", access("/etc/passwd", R_OK));
    report("access-passwd-x", access("/etc/passwd", X_OK));
    report("access-busybox-x", access("/bin/busybox", X_OK));
    report("access-root-x", access("/", X_OK));
    report("access-missing", access("/nonexistent-husk-test", F_OK));
    report("access-relative", access("passwd", F_OK));
}

static void memory(void) {
    size_t len = 8 << 20;
    unsigned char *p = malloc(len);
    memset(p, 0x5a, len);
    check("malloc-8m", p[0] == 0x5a && p[len - 1] == 0x5a);
    free(p);

    void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report_map("mmap-anon", m);
    check("mmap-anon-zeroed", ((unsigned char *)m)[4096 * 7] == 0);
    ((unsigned char *)m)[12345] = 1;
    report("mprotect-ro", mprotect(m, 1 << 20, PROT_READ));
    report("munmap", munmap(m, 1 << 20));

    void *cur = sbrk(0);
    report("brk-grow", brk((char *)cur + 65536));
    ((volatile char *)cur)[65535] = 1;
    check("brk-moved", sbrk(0) == (char *)cur + 65536);
}

int main(int argc, char **argv) {
    line_buffered_stdout();
    if (argc != 3) {
        fprintf(stderr, "usage: basics FILE TAG\n");
        return 2;
    }
    identity();
    clocks();
    randomness();
    limits();
    read_file(argv[1]);
    scratch_file(argv[2]);
    accesses();
    memory();
    printf("done\n");
    return 0;
}
