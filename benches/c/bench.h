/* Shared helpers for the husk-bench workloads (see src/bin/husk-bench.rs).
 *
 * Every self-timed workload prints exactly one line on stdout:
 *     result <value> <unit>
 * where unit is ns, us, ms (time per iteration) or MiB/s (throughput).
 * Any failure prints a message on stderr and exits non-zero, so the harness
 * shows "error: <that message>" in the table cell. */
#ifndef HUSK_BENCH_H
#define HUSK_BENCH_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CLOCK_MONOTONIC through the vDSO: no trap into the (sandbox) kernel. */
static inline double now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(1);
    }
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* argv[i] as a positive count, or def when absent. */
static inline long arg_count(int argc, char **argv, int i, long def) {
    if (i >= argc) return def;
    char *end;
    long v = strtol(argv[i], &end, 10);
    if (*end != '\0' || v <= 0) {
        fprintf(stderr, "bad count '%s'\n", argv[i]);
        exit(2);
    }
    return v;
}

/* Prints "what: strerror(errno)" on stderr and exits 1. */
static inline void die(const char *what) {
    fprintf(stderr, "%s: %s\n", what, strerror(errno));
    exit(1);
}

#endif
