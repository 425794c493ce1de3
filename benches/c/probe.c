/* probe: run once per sandbox before the workloads. The harness checks that the
 * marker reaches its stdout and that exit status 3 comes back, so a sandbox that
 * runs nothing (or loses exit statuses) is reported instead of timed. */
#include <stdio.h>

int main(void) {
    puts("husk-bench-probe");
    return 3;
}
