//! Sleeps, interval timers, POSIX timers and clocks under husk
//! (tests/c/timers.c). Each test runs one group natively and under husk
//! and compares the lines. Elapsed times are checked against the request
//! with a loose upper bound inside the program; no timing is compared.

mod common;

use common::*;

/// nanosleep and clock_nanosleep (relative, TIMER_ABSTIME on MONOTONIC and
/// REALTIME, deadlines in the past), usleep, and their EINVAL/EFAULT cases.
#[test]
fn sleeps() {
    check_c_group("timers", "sleep");
}

/// setitimer(ITIMER_REAL) periodic and one-shot, getitimer, disarming,
/// alarm's return values, timers not inherited by fork, ITIMER_VIRTUAL and
/// ITIMER_PROF counting CPU time.
#[test]
fn interval_timers_and_alarm() {
    check_c_group("timers", "itimer");
}

/// timer_create/settime/gettime/delete with SIGEV_SIGNAL (SI_TIMER and
/// the value), TIMER_ABSTIME, overruns (timer_getoverrun), SIGEV_NONE, a
/// NULL sigevent, 64 timers, errors.
#[test]
fn posix_timers() {
    check_c_group("timers", "posix");
}

/// SIGEV_THREAD_ID delivers to the named thread; SIGEV_THREAD runs glibc's
/// notification thread.
#[test]
fn thread_directed_timers() {
    check_c_group("timers", "thread-timers");
}

/// clock_getres, gettimeofday vs time vs clock_gettime (vDSO and raw
/// syscalls), monotonic never going back, CPU-time clocks of the process,
/// the thread and a child.
#[test]
fn clocks() {
    check_c_group("timers", "clocks");
}

/// RLIMIT_CPU: SIGXCPU (SI_KERNEL) at the soft limit and every CPU second
/// after it, with the soft limit raised by one second each time, SIGKILL at
/// the hard limit; lowering the limit below the time used takes effect at
/// once; an infinite soft limit stops the signals; without a handler
/// SIGXCPU ends the process.
#[test]
fn rlimit_cpu() {
    let bin = c_program_str("timers");
    // About 7 s of CPU time each way: give the runs room on a busy machine.
    let limit = proc_timeout() * 4;
    let n = Run::native(&[&bin, "rlimit-cpu"]).timeout(limit).run();
    assert_all_ok(&n, "native timers rlimit-cpu");
    let h = Run::husk_do(&["--", &bin, "rlimit-cpu"]).timeout(limit).run();
    assert_same_as_native(&n, &h);
}
