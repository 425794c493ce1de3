//! PID namespaces inside the sandbox (tests/c/pidns.c): clone(CLONE_NEWPID),
//! unshare and setns; the ids a process has in its namespace and in its
//! parent's; the namespace's init; /proc as a namespace sees it; and the
//! pids system calls report across the boundary. Each test runs one group
//! natively (as root) and under `husk do` and compares the lines.

mod common;

use common::*;

/// getpid/gettid 1 and getppid 0 in a new namespace, the tids
/// CLONE_PARENT_SETTID and CLONE_CHILD_SETTID write, set_tid_address, a
/// process group and session led from outside showing as 0, the parent's
/// processes out of reach (ESRCH), a grandchild numbered 2, what waitpid
/// returns on each side.
#[test]
fn clone_newpid_ids() {
    check_c_group("pidns", "clone");
}

/// kill(0) from inside a namespace reaches the whole process group, even
/// members outside it.
#[test]
fn kill_0_reaches_the_group_across_namespaces() {
    check_c_group("pidns", "pgrp");
}

/// EINVAL for CLONE_NEWPID with CLONE_THREAD and for CLONE_PARENT from an
/// init, EPERM without CAP_SYS_ADMIN (clone, unshare, setns), setns into an
/// ancestor namespace refused and into one's own accepted, CLONE_PARENT
/// with CLONE_NEWPID allowed.
#[test]
fn flags_and_privileges() {
    check_c_group("pidns", "errors");
}

/// unshare(CLONE_NEWPID): the caller keeps its pid, `pid_for_children`
/// shows the new namespace once its first process exists, children are 1
/// and 2 there (ppid 0), a second unshare, a CLONE_NEWPID clone and a
/// thread are EINVAL, setns by a `/proc/<pid>/ns/pid` descriptor, and when
/// the namespace's init exits the rest dies and fork is ENOMEM.
#[test]
fn unshare_and_setns() {
    check_c_group("pidns", "unshare");
}

/// A /proc mounted in a new namespace lists only its processes (1 and 2),
/// `self` is 1 and `thread-self` 1/task/1, status and stat show its
/// numbers; from the parent, NSpid/NStgid/NSpgid list both levels and the
/// `ns/pid` links differ.
#[test]
fn proc_in_a_namespace() {
    check_c_group("pidns", "proc");
}

/// A namespace's init ignores SIGTERM, SIGKILL and SIGSTOP from inside but
/// takes a handled SIGUSR1 (si_pid 2); kill(-1) inside spares it; from
/// outside a handled signal shows si_pid 0 (also for sigqueue), SIGTERM
/// is ignored, SIGSTOP/SIGCONT and SIGKILL work.
#[test]
fn init_signals() {
    check_c_group("pidns", "signals");
}

/// Orphans inside are reparented to the namespace's init (or a subreaper
/// inside) and reaped by it; SIGCHLD's and waitid's si_pid are numbers of
/// the waiter's namespace.
#[test]
fn orphans_and_reaping() {
    check_c_group("pidns", "orphans");
}

/// When the init exits, every other process of its namespace (sleeping,
/// stopped, zombie, orphaned, in a nested namespace) is gone by the time
/// the parent can wait for the init.
#[test]
fn init_exit_ends_the_namespace() {
    check_c_group("pidns", "init-exit");
}

/// SO_PEERCRED and SCM_CREDENTIALS pids, F_GETOWN/F_SETOWN and F_GETLK's
/// l_pid, each in the reader's namespace (0 for a process it does not
/// show; ESRCH for naming one).
#[test]
fn pids_in_credentials_locks_and_owners() {
    check_c_group("pidns", "ids");
}

/// A terminal's session and foreground group (TIOCGSID, TIOCGPGRP,
/// tcgetpgrp) inside the namespace and from outside; a thread's tid inside.
#[test]
fn terminal_and_threads() {
    check_c_group("pidns", "tty-threads");
}

/// `husk do`'s command is pid 1 of the sandbox's namespace, with ppid 0,
/// and its children are numbered from 2.
#[test]
fn husk_do_command_is_pid_1() {
    require_busybox();
    let h = husk_do(&["--", BUSYBOX, "sh", "-c", "echo $$ $PPID; sh -c 'echo $$ $PPID'; true"]);
    assert_exit(&h, 0);
    let text = stdout_text(&h);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.first(), Some(&"1 0"), "{}", describe(&h));
    assert!(lines.get(1).is_some_and(|l| l.ends_with(" 1") && !l.starts_with("1 ")), "{}", describe(&h));
}
