//! Event descriptors under husk (tests/c/event_fds.c): eventfd, epoll,
//! timerfd, signalfd and memfd_create, and their readiness under poll,
//! select and epoll. Each test runs one group natively and under husk and
//! compares the lines; times are only checked loosely inside the program.

mod common;

use common::*;

/// Counter semantics, 8-byte rules, overflow, EFD_SEMAPHORE, flags,
/// blocking reads and writes woken by another process, EINTR and
/// SA_RESTART.
#[test]
fn eventfd() {
    check_c_group("event_fds", "eventfd");
}

/// epoll_create/epoll_create1/epoll_ctl/epoll_wait/epoll_pwait/
/// epoll_pwait2 errors in Linux's order: EEXIST, ENOENT, EPERM for regular
/// files, directories and /dev/null, EINVAL for itself, EXCLUSIVE rules,
/// maxevents, EFAULT, timeouts.
#[test]
fn epoll_errors() {
    check_c_group("event_fds", "epoll-errors");
}

/// Level-triggered, EPOLLET, EPOLLONESHOT, EPOLLHUP/EPOLLERR, data given
/// back as is, round-robin under a small maxevents, items of closed files
/// dropping out (and dup'd ones staying).
#[test]
fn epoll_modes() {
    check_c_group("event_fds", "epoll-modes");
}

/// Sleeping in epoll_wait: woken by another process or thread, EINTR even
/// with SA_RESTART, epoll_pwait's temporary signal mask.
#[test]
fn epoll_blocking() {
    check_c_group("event_fds", "epoll-block");
}

/// An epoll watching an epoll, ELOOP for cycles and deep chains, poll and
/// select sleeping on an epoll fd.
#[test]
fn epoll_nested() {
    check_c_group("event_fds", "epoll-nested");
}

/// timerfd one-shot and periodic timers, relative and absolute (also in
/// the past), gettime/old values, disarming, the three clocks, blocking
/// reads, poll/select/epoll readiness, errors.
#[test]
fn timerfd() {
    check_c_group("event_fds", "timerfd");
}

/// signalfd reading blocked signals (SI_USER, sigqueue values, tgkill,
/// SIGCHLD status), changing the mask, blocking reads, EINTR, readiness
/// under poll/select/epoll woken by another process's kill.
#[test]
fn signalfd() {
    check_c_group("event_fds", "signalfd");
}

/// memfd_create: flags, read/write/lseek/ftruncate, MAP_SHARED coherent
/// with read/write and with a forked child, seals and their EPERM/EBUSY
/// cases, name limits.
#[test]
fn memfd() {
    check_c_group("event_fds", "memfd");
}

/// poll and select on eventfds and pipes, woken by other processes.
#[test]
fn poll_and_select() {
    check_c_group("event_fds", "poll");
}

/// epoll on the caller's stdin and stdout (host descriptors under husk):
/// readiness, EPOLLHUP at end of input, EPOLLET, and inside a nested epoll.
#[test]
fn epoll_on_callers_stdio() {
    let bin = c_program_str("event_fds");
    let n = Run::native(&[&bin, "stdio"]).stdin(b"hello\n").run();
    assert_all_ok(&n, "native event_fds stdio");
    let h = Run::husk_do(&["--", &bin, "stdio"]).stdin(b"hello\n").run();
    assert_same_as_native(&n, &h);
}

/// epoll refuses /dev/null as stdin (EPERM), as Linux, while poll reports
/// it readable.
#[test]
fn epoll_refuses_dev_null_stdin() {
    check_c_group("event_fds", "stdio-null");
}
