/*
 * A fork bomb, kept kind to a small CI machine: every process forks until
 * fork fails, then waits; the program reports what happened (no counts),
 * kills the whole bomb and reaps it.
 *
 *   forkbomb nproc    as uid 1000 with RLIMIT_NPROC 64: fork must fail
 *                     with EAGAIN (root is exempt from RLIMIT_NPROC, so the
 *                     bomb drops to an ordinary user first)
 *   forkbomb capped   as root with the limits it was given: the bomb
 *                     stops at EAGAIN or at 200 processes, whichever comes
 *                     first (a safety cap so that a native run stays small)
 *
 * In both modes a cap of 200 processes bounds the bomb even if fork never
 * fails, so a broken sandbox fails the check instead of the machine.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <grp.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#define CAP 200
#define NPROC_LIMIT 64

struct shared {
    atomic_int reserved; /* fork attempts allowed by the cap */
    atomic_int inflight; /* forks not yet accounted for */
    atomic_int started;  /* processes forked (counted by the child) */
    atomic_int done;     /* processes that stopped forking */
    atomic_int first_err;
    atomic_int capped;
};
static struct shared *sh;
static int hold[2]; /* only main holds the write end: EOF ends the bomb */

/* Forks until fork fails (or the cap is reached), then sleeps. A fork is
 * "in flight" from just before fork() until the child has counted itself
 * (or the parent has seen the failure), so the bomb is settled exactly when
 * nothing is in flight and every process has stopped. */
static void bomb(void) {
    for (;;) {
        if (atomic_fetch_add(&sh->reserved, 1) >= CAP) {
            atomic_store(&sh->capped, 1);
            break;
        }
        atomic_fetch_add(&sh->inflight, 1);
        pid_t c = fork();
        if (c == 0) {
            atomic_fetch_add(&sh->started, 1);
            atomic_fetch_sub(&sh->inflight, 1);
            continue; /* the child goes on forking too */
        }
        if (c < 0) {
            int zero = 0;
            atomic_compare_exchange_strong(&sh->first_err, &zero, errno);
            atomic_fetch_sub(&sh->inflight, 1);
            break;
        }
    }
    atomic_fetch_add(&sh->done, 1);
    /* Wait to be killed; should the kill not come, main closing its end
     * of `hold` ends us too, so the bomb never outlives the program. */
    char b;
    while (read(hold[0], &b, 1) < 0 && errno == EINTR)
        ;
    _exit(0);
}

static int settled(void) {
    return atomic_load(&sh->inflight) == 0 &&
           atomic_load(&sh->done) == atomic_load(&sh->started) + 1;
}

static void run(int nproc) {
    /* Every process of the bomb comes back to us when its parent dies. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
              -1, 0);
    int p[2];
    pipe(p);
    pipe(hold);
    pid_t leader = xfork();
    if (leader == 0) {
        close(hold[1]);
        setpgid(0, 0);
        if (nproc) {
            struct rlimit rl = {NPROC_LIMIT, NPROC_LIMIT};
            if (setrlimit(RLIMIT_NPROC, &rl) || setgroups(0, NULL) ||
                setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) {
                printf("setup: %s\n", errno_name(errno));
                fflush(stdout);
                _exit(1);
            }
        }
        write(p[1], "g", 1);
        bomb();
    }
    setpgid(leader, leader);
    close(p[1]);
    char b;
    if (read(p[0], &b, 1) != 1) { /* the leader failed to set up */
        expect("bomb-started", 0, "%s", wait_text(leader));
        return;
    }

    /* Settled when every process (the leader and each started child) has
     * stopped forking; seen twice in a row to be sure. */
    long long end = mono_ns() + 30000000000LL;
    int quiet = 0;
    while (quiet < 2 && mono_ns() < end) {
        sleep_ms(10);
        quiet = settled() ? quiet + 1 : 0;
    }
    int started = atomic_load(&sh->started);
    int err = atomic_load(&sh->first_err);
    int capped = atomic_load(&sh->capped);

    expect("bomb-settled", quiet == 2, "still forking after 30 s");
    if (nproc) {
        expect("nproc-fork-eagain", err == EAGAIN, "%s",
               err ? errno_name(err) : "fork never failed");
        expect("nproc-bounds-forks", started < NPROC_LIMIT && !capped,
               "%d processes started", started);
    } else {
        expect("bomb-stopped", (err == EAGAIN || capped) && started <= CAP,
               "%s after %d forks", err ? errno_name(err) : "no error", started);
    }

    /* Kill the bomb and reap every process of it. */
    int k = killpg(leader, SIGKILL);
    expect("killpg-bomb", k == 0, "%s", errno_name(errno));
    close(hold[1]);
    int reaped = 0;
    end = mono_ns() + 30000000000LL;
    for (;;) {
        pid_t r = waitpid(-1, NULL, 0);
        if (r > 0) {
            reaped++;
            continue;
        }
        if (errno == ECHILD || mono_ns() > end)
            break;
    }
    expect("all-reaped", reaped == started + 1, "reaped %d of %d", reaped,
           started + 1);
    expect("fork-works-again", ({
               pid_t c = fork();
               if (c == 0)
                   _exit(0);
               c > 0 && waitpid(c, NULL, 0) == c;
           }),
           "%s", errno_name(errno));
}

int main(int argc, char **argv) {
    line_buffered_stdout();
    if (argc == 2 && strcmp(argv[1], "nproc") == 0)
        run(1);
    else if (argc == 2 && strcmp(argv[1], "capped") == 0)
        run(0);
    else {
        printf("usage: forkbomb nproc|capped\n");
        return 2;
    }
    return 0;
}
