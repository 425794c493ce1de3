/*
 * Touches memory: `memhog MIB [big|hold]` allocates MIB mebibytes, 1 MiB
 * at a time (or in one block with `big`), writes every page, and prints
 * "touched MIB MiB"; with `hold` it then waits for a signal, keeping the
 * memory. Under a memory limit smaller than that it should be killed
 * (SIGKILL) before it prints. `memhog MIB shm` asks for a System V segment
 * of MIB mebibytes instead and prints "shmget ok" or "shmget ENOMEM".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: memhog MIB [big]\n");
        return 2;
    }
    long mib = atol(argv[1]);
    int big = argc > 2 && strcmp(argv[2], "big") == 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 2 && strcmp(argv[2], "shm") == 0) {
        int id = shmget(IPC_PRIVATE, mib << 20, IPC_CREAT | 0600);
        printf("shmget %s\n", id >= 0 ? "ok" : errno == ENOMEM ? "ENOMEM" : "failed");
        if (id >= 0)
            shmctl(id, IPC_RMID, NULL);
        return 0;
    }
    if (big) {
        char *p = malloc(mib << 20);
        if (!p) {
            printf("malloc of %ld MiB failed\n", mib);
            return 1;
        }
        memset(p, 1, mib << 20);
    } else {
        for (long i = 0; i < mib; i++) {
            char *p = malloc(1 << 20);
            if (!p) {
                printf("malloc failed after %ld MiB\n", i);
                return 1;
            }
            memset(p, 1, 1 << 20);
        }
    }
    printf("touched %ld MiB\n", mib);
    if (argc > 2 && strcmp(argv[2], "hold") == 0)
        pause();
    return 0;
}
