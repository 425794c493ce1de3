/*
 * Hostile syscall arguments must get Linux's errnos, and must not hurt the
 * sentry. Prints "name: ok" or "name: ERRNO" per check; the Rust test
 * (tests/do_hostile.rs) runs it natively and under husk and compares.
 *
 * Every case is deterministic natively. Stdin must be a pipe that already
 * holds (or will hold) some bytes; stdout must be a pipe.
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

#define PAGE 4096UL

/* An address no static program has mapped. */
#define WILD ((void *)0xdeadbeef000UL)

/* A mmap flag bit Linux does not define. */
#define UNKNOWN_MAP_FLAG 0x800000
/* An open flag bit Linux does not define (open/openat ignore it). */
#define UNKNOWN_OPEN_FLAG 0x40000000

/* A page followed by an unmapped page, to end strings right at a fault. */
static char *page_before_hole(void) {
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("setup: mmap failed\n");
        exit(1);
    }
    munmap(p + PAGE, PAGE);
    return p;
}

static void io_checks(void) {
    static char buf[64];

    report("write-null", syscall(SYS_write, 1, NULL, 10));
    report("write-wild", syscall(SYS_write, 1, WILD, 10));
    report("write-huge-count", syscall(SYS_write, 1, buf, 1ULL << 62));
    report("write-count-minus-1", syscall(SYS_write, 1, buf, (size_t)-1));
    report("write-badfd", write(9999, buf, 1));
    report("write-negative-fd", write(-5, buf, 1));
    report("write-to-stdin", write(0, buf, 1));
    report("write-zero-null", syscall(SYS_write, 1, NULL, 0));

    /* stdin holds data: a bad buffer fails without consuming it. */
    report("read-bad-buffer", syscall(SYS_read, 0, (void *)1, 10));
    report("read-huge-count", syscall(SYS_read, 0, buf, 1ULL << 62));
    report("read-badfd", read(9999, buf, 1));

    struct iovec bad_iov = {.iov_base = NULL, .iov_len = 10};
    report("writev-null-iov-array", syscall(SYS_writev, 1, NULL, 1));
    report("writev-null-base", writev(1, &bad_iov, 1));
    report("writev-negative-count", syscall(SYS_writev, 1, &bad_iov, -1));
    report("writev-1025", syscall(SYS_writev, 1, &bad_iov, 1025));
    report("readv-wild-iov-array", syscall(SYS_readv, 0, WILD, 1));

    report("close-minus-1", close(-1));
    report("close-9999", close(9999));
    report("close-int-max", close(0x7fffffff));

    report("lseek-pipe", lseek(1, 0, SEEK_CUR));
    report("lseek-badfd", lseek(9999, 0, SEEK_SET));
    int fd = open("/etc/passwd", O_RDONLY);
    report("lseek-bad-whence", lseek(fd, 0, 42));
    report("lseek-negative", lseek(fd, -1, SEEK_SET));
    report("pread-negative-offset", pread(fd, buf, 1, -1));
    report("pread-pipe", pread(0, buf, 1, 0));
    report("write-readonly-file", write(fd, buf, 1));
    close(fd);

    fd = open("/", O_RDONLY | O_DIRECTORY);
    report("read-directory", read(fd, buf, sizeof buf));
    close(fd);

    report("fstat-1234", syscall(SYS_fstat, 1234, buf));
    report("fstat-null", syscall(SYS_fstat, 1, NULL));
}

static void path_checks(void) {
    static char name[5001];
    char *p;

    report("open-null", syscall(SYS_open, NULL, O_RDONLY));
    report("open-wild", syscall(SYS_open, WILD, O_RDONLY));
    report("openat-null", syscall(SYS_openat, AT_FDCWD, NULL, O_RDONLY));
    report("open-empty", syscall(SYS_open, "", O_RDONLY));

    memset(name, 'a', 5000);
    name[5000] = 0;
    report("open-5000", syscall(SYS_open, name, O_RDONLY));
    name[4096] = 0;
    report("open-4096", syscall(SYS_open, name, O_RDONLY));

    /* One component of 256 bytes is too long, 255 is fine. */
    memcpy(name, "/tmp/", 5);
    memset(name + 5, 'b', 256);
    name[5 + 256] = 0;
    report("open-component-256", syscall(SYS_open, name, O_RDONLY));
    name[5 + 255] = 0;
    report("open-component-255", syscall(SYS_open, name, O_RDONLY));

    /* A name running into unmapped memory without a NUL. */
    p = page_before_hole();
    memset(p, 'c', PAGE);
    memcpy(p + PAGE - 100, "/tmp/", 5);
    report("open-unterminated", syscall(SYS_open, p + PAGE - 100, O_RDONLY));
    /* 4096 bytes without a NUL that end at the hole: too long, and Linux
     * never reads past PATH_MAX bytes to find out. */
    report("open-4096-before-hole", syscall(SYS_open, p, O_RDONLY));
    /* A name whose NUL is the last mapped byte is fine. */
    strcpy(p + PAGE - 12, "/etc/passwd");
    long fd = syscall(SYS_open, p + PAGE - 12, O_RDONLY);
    report("open-ends-at-hole", fd);
    if (fd >= 0)
        close((int)fd);

    report("open-enoent", open("/nonexistent-husk-test/x", O_RDONLY));
    report("open-enotdir", open("/etc/passwd/x", O_RDONLY));
    report("open-dir-wronly", open("/", O_WRONLY));
    report("open-directory-on-file", open("/etc/passwd", O_RDONLY | O_DIRECTORY));
    fd = openat(AT_FDCWD, "/etc/passwd", O_RDONLY | UNKNOWN_OPEN_FLAG);
    report("openat-unknown-flag", fd);
    if (fd >= 0)
        close((int)fd);
    report("openat-badfd-relative", openat(9999, "etc/passwd", O_RDONLY));
    fd = openat(9999, "/etc/passwd", O_RDONLY);
    report("openat-badfd-absolute", fd);
    if (fd >= 0)
        close((int)fd);
    report("openat-file-as-dirfd",
           openat(1, "x", O_RDONLY)); /* stdout is a pipe: ENOTDIR */

    report("access-bad-mode", syscall(SYS_access, "/", 0x100));
    report("access-null", syscall(SYS_access, NULL, F_OK));
    report("access-noexec", access("/etc/passwd", X_OK));
}

static void mm_checks(void) {
    void *p;

    report_map("mmap-len-0", mmap(NULL, 0, PROT_READ,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    report_map("mmap-no-type", mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0));
    report_map("mmap-huge-len", mmap(NULL, 1ULL << 62, PROT_READ,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    report_map("mmap-fixed-unaligned",
               mmap((void *)0x10000001, PAGE, PROT_READ,
                    MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    report_map("mmap-badfd", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 9999, 0));
    int fd = open("/etc/passwd", O_RDONLY);
    report_map("mmap-unaligned-offset",
               mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 1));
    close(fd);

    /* Unknown flag bits: ignored by MAP_PRIVATE, refused by
     * MAP_SHARED_VALIDATE. */
    p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | UNKNOWN_MAP_FLAG, -1, 0);
    report_map("mmap-unknown-flag-private", p);
    if (p != MAP_FAILED)
        munmap(p, PAGE);
    fd = open("/etc/passwd", O_RDONLY);
    p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | UNKNOWN_MAP_FLAG,
             fd, 0);
    report_map("mmap-unknown-flag-validate", p);
    if (p != MAP_FAILED)
        munmap(p, PAGE);
    close(fd);

    p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("mprotect-unaligned", mprotect((char *)p + 1, PAGE, PROT_READ));
    report("mprotect-unknown-prot", mprotect(p, PAGE, 0x100));
    report("mprotect-unmapped", mprotect(WILD, PAGE, PROT_READ));
    report("munmap-unaligned", munmap((char *)p + 1, PAGE));
    report("munmap-len-0", munmap(p, 0));
    report("munmap-unmapped", munmap(WILD, PAGE));
    report("munmap-ok", munmap(p, 2 * PAGE));
    report("munmap-twice", munmap(p, 2 * PAGE));
    report("madvise-unaligned", madvise((char *)p + 1, PAGE, MADV_DONTNEED));
}

static void misc_checks(void) {
    struct timespec ts;
    char buf[16];

    report("clock_gettime-999", syscall(SYS_clock_gettime, 999, &ts));
    report("clock_gettime-null",
           syscall(SYS_clock_gettime, CLOCK_MONOTONIC, NULL));
    report("clock_gettime-wild",
           syscall(SYS_clock_gettime, CLOCK_MONOTONIC, WILD));
    report("getrandom-bad-flags", syscall(SYS_getrandom, buf, sizeof buf, 0x100));
    report("getrandom-null", syscall(SYS_getrandom, NULL, 16, 0));
    report("getrandom-zero", syscall(SYS_getrandom, NULL, 0, 0));
    report("uname-null", syscall(SYS_uname, NULL));
    report("uname-wild", syscall(SYS_uname, WILD));
    report("getcwd-size-0", syscall(SYS_getcwd, buf, 0));
    report("getcwd-size-1", syscall(SYS_getcwd, buf, 1));
    report("getcwd-null", syscall(SYS_getcwd, NULL, 4096));
    struct rlimit rl;
    report("prlimit-bad-resource", syscall(SYS_prlimit64, 0, 999, NULL, &rl));
    report("prlimit-null-old", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, NULL));
    report("prlimit-wild-old",
           syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, WILD));
    /* Values whose negation or rounding overflows (found by syscall_fuzz). */
    report("wait4-int-min", syscall(SYS_wait4, INT32_MIN, NULL, 0, NULL));
    unsigned long nodes = 1;
    report("set_mempolicy-mask-at-top",
           syscall(SYS_set_mempolicy, 1 /* MPOL_PREFERRED */, (uint64_t)-8, 200));
    report("get_mempolicy-huge-maxnode",
           syscall(SYS_get_mempolicy, NULL, &nodes, (uint64_t)-1, NULL, 0));
    report("get_mempolicy-mask-at-top",
           syscall(SYS_get_mempolicy, NULL, (uint64_t)-8, 200, NULL, 0));
    report("unknown-syscall-1000", syscall(1000));
    report("unknown-syscall-huge", syscall(0x40000001));
    report("unknown-syscall-negative", syscall(-1L));
}

int main(void) {
    line_buffered_stdout();
    io_checks();
    path_checks();
    mm_checks();
    misc_checks();
    printf("done\n");
    return 0;
}
