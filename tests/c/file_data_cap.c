/* In-memory file data (memfds, tmpfs and the root's upper layer) is held
 * to half the host's memory in all: allocating the machine's RAM in one
 * file is ENOSPC at once, as from a full tmpfs, while sparse sizes and
 * modest allocations work and a closed file's pages come back.
 * Sandbox only: natively the first fallocate would take the machine's
 * memory. Prints one line per step. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *result(int r) { return r == 0 ? "ok" : strerrorname_np(errno); }

int main(void) {
    long long ram = (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
    int m = memfd_create("cap", 0);
    printf("memfd-ram: %s\n", result(fallocate(m, 0, 0, ram)));
    struct stat st;
    fstat(m, &st);
    printf("memfd-after-refusal-blocks: %lld\n", (long long)st.st_blocks);
    int t = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    printf("tmpfile-ram: %s\n", result(fallocate(t, 0, 0, ram)));
    printf("memfd-sparse-4x-ram: %s\n", result(ftruncate(m, 4 * ram)));
    fstat(m, &st);
    printf("sparse-blocks: %lld\n", (long long)st.st_blocks);
    printf("memfd-16m: %s\n", result(fallocate(m, 0, 0, 16 << 20)));
    fstat(m, &st);
    printf("16m-blocks: %lld\n", (long long)st.st_blocks);
    close(m);
    close(t);
    for (int i = 0; i < 3; i++) {
        int f = memfd_create("again", 0);
        printf("again-64m-%d: %s\n", i, result(fallocate(f, 0, 0, 64 << 20)));
        close(f);
    }
    return 0;
}
