//! Signals under husk (tests/c/signals.c), with Linux semantics. Each test
//! runs one group of checks natively and under husk and compares the
//! lines. Checks that end in a default action (death, stop) run in
//! children: under husk the program is PID 1, which ignores those.

mod common;

use common::*;

/// SA_SIGINFO handlers see si_code SI_USER (kill), SI_TKILL (raise,
/// tgkill, tkill), SI_QUEUE with the value (sigqueue), si_pid/si_uid of
/// the sender; kill to oneself is delivered before kill returns;
/// rt_sigqueueinfo may not fake si_code for another process.
#[test]
fn siginfo_of_senders() {
    check_c_group("signals", "siginfo");
}

/// kill with signal 0, ESRCH/EINVAL edge cases, zombies, killpg,
/// kill(-pgid), kill(0).
#[test]
fn kill_edge_cases_and_groups() {
    check_c_group("signals", "kill");
}

/// Blocking keeps a signal pending (once for standard, queued for RT
/// signals); unblocking delivers it; delivery order; SIGKILL/SIGSTOP
/// cannot be blocked; rt_sigprocmask errors.
#[test]
fn masks_and_pending_signals() {
    check_c_group("signals", "mask");
}

/// sigwaitinfo/sigtimedwait: pending, timeout, RT values in order, lowest
/// first, woken by a child, EINTR by a handled signal.
#[test]
fn sigwaitinfo_and_sigtimedwait() {
    check_c_group("signals", "sigwait");
}

/// sigsuspend returns EINTR and restores the mask; its temporary mask
/// defers other signals; pause returns EINTR after a handler.
#[test]
fn sigsuspend_and_pause() {
    check_c_group("signals", "suspend");
}

/// SA_RESETHAND, SA_NODEFER, the mask inside a handler (signal + sa_mask),
/// uc_sigmask and sigreturn, the old action, sigaction errors, SIG_IGN
/// discarding a pending signal.
#[test]
fn sigaction_flags() {
    check_c_group("signals", "flags");
}

/// alarm(1) interrupts a blocking pipe read with EINTR; with SA_RESTART
/// the read is restarted and completes when a child writes; waitpid
/// likewise; nanosleep, poll and sigsuspend return EINTR regardless.
#[test]
fn eintr_and_sa_restart() {
    check_c_group("signals", "eintr");
}

/// nanosleep/clock_nanosleep interrupted by a handler return EINTR with
/// the remaining time (none for TIMER_ABSTIME).
#[test]
fn nanosleep_interrupted() {
    check_c_group("signals", "nanosleep");
}

/// SIGSTOP/SIGTSTP/SIGCONT of a child seen by waitpid(WUNTRACED |
/// WCONTINUED), waitid(WSTOPPED) and SIGCHLD codes; a stopped process
/// holds SIGTERM until continued; sleeps and reads survive stop/continue;
/// SA_NOCLDSTOP; SIGSTOP immediately followed by SIGCONT, 300 times, never
/// leaves the child stopped.
#[test]
fn stop_and_continue() {
    check_c_group("signals", "stopcont");
}

/// SIGCHLD on exit and on death by signal with its siginfo; SIG_IGN and
/// SA_NOCLDWAIT reap children automatically.
#[test]
fn sigchld() {
    check_c_group("signals", "sigchld");
}

/// Writing to a pipe without readers: SIGPIPE kills by default, EPIPE
/// when ignored or handled, also for a writer blocked on a full pipe.
#[test]
fn sigpipe_and_epipe() {
    check_c_group("signals", "sigpipe");
}

/// SIGSEGV (SEGV_MAPERR/SEGV_ACCERR/SI_KERNEL with si_addr), SIGBUS beyond
/// the end of a mapped file, SIGILL, SIGFPE, SIGTRAP from int3; recovery
/// with siglongjmp; a blocked or ignored fault still kills.
#[test]
fn faults_and_siglongjmp() {
    check_c_group("signals", "faults");
}

/// sigaltstack: a stack overflow is handled on the alternate stack (an
/// address in the handler lies inside it, SS_ONSTACK is set); without one
/// the overflow kills; nested handlers stay on it; sigaltstack errors.
#[test]
fn alternate_signal_stack() {
    check_c_group("signals", "altstack");
}

/// xmm/ymm/zmm registers, MXCSR, the x87 control word and the 128-byte red
/// zone survive a handler that clobbers them; FP code keeps its value
/// across many timer signals.
#[test]
fn fp_state_across_handlers() {
    check_c_group("signals", "fpregs");
}

/// fork clears pending signals and keeps the mask and the handlers.
#[test]
fn fork_and_signal_state() {
    check_c_group("signals", "fork");
}

/// Orphaned process groups: SIGHUP+SIGCONT when an exit leaves a group with
/// a stopped member and no link outside; a member whose parent is in the
/// group exiting orphans nothing.
#[test]
fn orphaned_process_groups() {
    check_c_group("signals", "orphan");
}

/// pidfd_open, pidfd_send_signal, poll on a pidfd, waitid(P_PIDFD).
#[test]
fn pidfds() {
    check_c_group("signals", "pidfd");
}

/// RLIMIT_SIGPENDING: sigqueue/tgkill of real-time signals are EAGAIN at
/// the limit (a program could otherwise queue millions in the sentry),
/// kill's and standard signals still queue, status's SigQ shows it.
#[test]
fn queued_signal_limit() {
    check_c_group("signals", "sigpending");
}

/// POSIX timers hold their signal record from creation to deletion.
#[test]
fn timers_hold_a_signal_record() {
    check_c_group("signals", "sigpending-timers");
}
