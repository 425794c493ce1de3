/* Dies of a signal that dumps core, for the core-dump tests:
 *   core_dump segv     a write through a null pointer in crash_here()
 *   core_dump thread   the same with a second thread asleep
 *   core_dump abort    abort() from main (SIGABRT)
 *   core_dump nodump   PR_SET_DUMPABLE 0, then the write
 *   core_dump dontdump two pages with markers, one MADV_DONTDUMP, the other
 *                      MADV_DONTDUMP then MADV_DODUMP, then the write
 * A marker string sits in the heap, so the core's contents can be looked for
 * (markers are built at run time: the program's own text must not match). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static void *sleeper(void *arg) {
    for (;;) pause();
    return arg;
}

__attribute__((noinline)) void crash_here(int *volatile p) { *(volatile int *)p = 42; }

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "segv";
    char *marker = malloc(64);
    strcpy(marker, "HUSK-CORE-MARKER");
    if (strcmp(mode, "thread") == 0) {
        pthread_t t;
        pthread_create(&t, 0, sleeper, 0);
        usleep(20000);
    }
    if (strcmp(mode, "nodump") == 0) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (strcmp(mode, "abort") == 0) abort();
    if (strcmp(mode, "dontdump") == 0) {
        char *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        sprintf(p, "HUSK-%s-MARKER", "HIDDEN");
        sprintf(p + 4096, "HUSK-%s-MARKER", "SHOWN");
        madvise(p, 8192, MADV_DONTDUMP);
        madvise(p + 4096, 4096, MADV_DODUMP);
    }
    crash_here(0);
    return marker[0];
}
