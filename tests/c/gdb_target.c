/*
 * A program for gdb to debug inside husk (tests/proc_tracers.rs): it
 * recurses a few times and then dies of a NULL dereference.
 */
#include <stdio.h>

__attribute__((noinline)) int depth(int n) {
    if (n == 0) {
        volatile int *p = 0;
        return *p;
    }
    return depth(n - 1) + 1;
}

int main(void) {
    printf("start\n");
    fflush(stdout);
    return depth(3);
}
