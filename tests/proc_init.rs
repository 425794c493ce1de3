//! The sandbox's first process is PID 1 of its PID namespace
//! (tests/c/orphan.c and busybox sh): orphans are reparented to it and
//! reaped, default-action signals from inside do not touch it, and when it
//! ends, for whatever reason, every other process of the sandbox dies and
//! husk exits promptly with its status. Native runs use
//! `unshare --pid --fork` so that the same program is PID 1 there too.

mod common;

use common::*;

/// Runs `cmd` natively as PID 1 and under husk; asserts the same stdout
/// and status, and that husk left no process behind in its group.
#[track_caller]
fn same_as_native_pid1(cmd: &[&str]) -> std::process::Output {
    let n = native_pid1(cmd).timeout(proc_timeout()).run();
    let mut args = vec!["--"];
    args.extend_from_slice(cmd);
    let (h, left) = Run::husk_do(&args).timeout(proc_timeout()).run_reporting_leftovers();
    assert_same_as_native(&n, &h);
    assert!(left.is_empty(), "husk left processes behind: {left:?}\n{}", describe(&h));
    h
}

/// A program double-forks under a busybox sh that is PID 1: the
/// grandchild's getppid() becomes 1 and the shell reaps it (its pid
/// disappears).
#[test]
fn orphan_reparented_to_shell_as_pid1() {
    require_busybox();
    let bin = c_program_str("orphan");
    let script = format!("{bin} reparent; echo sh-done");
    let h = same_as_native_pid1(&[BUSYBOX, "sh", "-c", &script]);
    assert_stdout(
        &h,
        "grandchild-reparented-to-pid-1: ok\nmiddle-exits: ok\n\
         orphan-reaped-by-pid-1: ok\norphan-not-our-child: ok\nsh-done\n",
    );
}

/// The same with the program itself as PID 1: the orphan becomes its
/// child and it reaps it with waitpid(-1).
#[test]
fn orphan_reparented_to_program_as_pid1() {
    let bin = c_program_str("orphan");
    let h = same_as_native_pid1(&[&bin, "reparent"]);
    assert_stdout(&h, "grandchild-reparented-to-pid-1: ok\nmiddle-exits: ok\norphan-reaped-by-pid-1: ok\n");
}

/// PID 1 ignores SIGTERM, SIGKILL, SIGINT, SIGHUP, SIGUSR2 from a child
/// (default actions) and itself, but runs its SIGUSR1 handler; getppid()
/// of PID 1 is 0.
#[test]
fn pid1_ignores_default_signals_from_inside() {
    let bin = c_program_str("orphan");
    let h = same_as_native_pid1(&[&bin, "init-signals"]);
    assert_all_ok(&h, "husk orphan init-signals");
}

/// The same seen from busybox sh as PID 1: a child shell's kill -TERM 1,
/// -KILL 1 and -HUP 1 leave it alive. (Not SIGINT: ash handles that one
/// itself and exits 130 after the child, natively as well.)
#[test]
fn shell_pid1_survives_kill_from_child() {
    require_busybox();
    let h = same_as_native_pid1(&[BUSYBOX, "sh", "-c", "sh -c 'kill -TERM 1; kill -KILL 1; kill -HUP 1'; echo alive"]);
    assert_stdout(&h, "alive\n");
}

/// PID 1 killed with a handled signal whose handler exits 7 (while it has
/// sleeping, blocked, stopped, zombie and orphaned descendants that would
/// live for a minute): husk exits promptly with status 7 and nothing is
/// left behind.
#[test]
fn pid1_handler_exit_ends_sandbox() {
    let bin = c_program_str("orphan");
    let h = same_as_native_pid1(&[&bin, "init-killed"]);
    assert_exit(&h, 7);
    assert_eq!(stdout_text(&h), "pid-1-started: ok\n", "{}", describe(&h));
}

/// A busybox sh as PID 1 trapping TERM with `exit 7`, signalled by a child.
#[test]
fn shell_pid1_trap_exit_ends_sandbox() {
    require_busybox();
    let h = same_as_native_pid1(&[
        BUSYBOX,
        "sh",
        "-c",
        "trap 'exit 7' TERM; sleep 60 & sh -c 'kill -TERM 1'; sleep 1; echo not-reached",
    ]);
    assert_exit(&h, 7);
}

/// PID 1 exiting normally with long-lived descendants: husk exits 3 at
/// once and they die.
#[test]
fn pid1_exit_kills_the_rest() {
    let bin = c_program_str("orphan");
    let h = same_as_native_pid1(&[&bin, "init-exits"]);
    assert_exit(&h, 3);
    assert_eq!(stdout_text(&h), "pid-1-exiting: ok\n", "{}", describe(&h));
}

/// The same with a shell: background jobs do not keep the sandbox alive.
#[test]
fn shell_pid1_exit_kills_background_jobs() {
    require_busybox();
    let h = same_as_native_pid1(&[BUSYBOX, "sh", "-c", "sleep 60 & sleep 60 & (sleep 60 &) ; echo started; exit 3"]);
    assert_exit(&h, 3);
    assert_eq!(stdout_text(&h), "started\n", "{}", describe(&h));
}

/// A fault is a forced signal: it kills even PID 1 (status 128+SIGSEGV),
/// and the rest of the sandbox with it.
#[test]
fn pid1_fault_ends_sandbox() {
    let bin = c_program_str("orphan");
    let h = same_as_native_pid1(&[&bin, "init-segv"]);
    assert_exit(&h, 139);
    assert_eq!(stdout_text(&h), "pid-1-faulting: ok\n", "{}", describe(&h));
}
