//! fork, vfork, posix_spawn, execve and the wait family under husk
//! (tests/c/fork_wait.c), and a fork bomb (tests/c/forkbomb.c). Each test
//! runs one group natively and under husk and compares the lines.

mod common;

use common::*;

/// Exit codes through waitpid (including 256+3 and -1); the child's pid,
/// ppid and private memory; MAP_SHARED vs MAP_PRIVATE across fork; a
/// shared file offset; 100 forks in a row; wait() returning each child
/// once, then ECHILD.
#[test]
fn fork_and_waitpid() {
    check_c_group("fork_wait", "fork");
}

/// WNOHANG on a running child (waitpid and waitid), then on a zombie.
#[test]
fn wnohang() {
    check_c_group("fork_wait", "wnohang");
}

/// waitid with WEXITED|WNOWAIT (the child stays waitable), its siginfo,
/// EINVAL cases, P_PGID, waitpid(0) and waitpid(-pgid).
#[test]
fn waitid_and_process_groups() {
    check_c_group("fork_wait", "waitid");
}

/// wait4 fills rusage (CPU time of a spinning child, maxrss); a bad
/// rusage pointer is EFAULT.
#[test]
fn wait4_rusage() {
    check_c_group("fork_wait", "wait4");
}

/// A child with exit signal 0 (clone) is invisible to a plain wait but
/// reaped with __WALL or __WCLONE; a child with exit signal SIGUSR1.
#[test]
fn wall_and_wclone() {
    check_c_group("fork_wait", "wall");
}

/// ECHILD from every wait call when there is nothing to wait for.
#[test]
fn echild() {
    check_c_group("fork_wait", "echild");
}

/// Death by signal (raise, kill, from the parent): WIFSIGNALED/WTERMSIG,
/// waitid's CLD_KILLED; ignored-by-default signals do not kill.
#[test]
fn exit_status_by_signal() {
    check_c_group("fork_wait", "signaled");
}

/// vfork shares memory and suspends the parent until _exit; vfork+execve,
/// and a failing execve reported through shared memory.
#[test]
fn vfork() {
    check_c_group("fork_wait", "vfork");
}

/// posix_spawn/posix_spawnp of /bin/true and false, ENOENT, file actions,
/// POSIX_SPAWN_SETPGROUP, system() and popen().
#[test]
fn posix_spawn_system_popen() {
    check_c_group("fork_wait", "spawn");
}

/// execve passes argv and envp exactly (and an empty environment), keeps
/// pid and ppid; runs dynamic, static and #! programs; fails with ENOENT,
/// ENOTDIR, EACCES, ENOEXEC, ELOOP, ENAMETOOLONG, EFAULT and returns.
#[test]
fn execve() {
    check_c_group("fork_wait", "exec");
}

/// execve's limits on argument and environment strings: E2BIG past
/// MAX_ARG_STRLEN per string or a quarter of RLIMIT_STACK in all.
#[test]
fn exec_argument_limits() {
    check_c_group("fork_wait", "arglimits");
}

/// execve reads argv and envp up to the last byte before an inaccessible
/// page (EFAULT one byte past it, for strings and for pointer arrays), and
/// hundreds of environment strings packed side by side arrive intact.
#[test]
fn exec_arguments_at_page_edges() {
    check_c_group("fork_wait", "argpages");
}

/// execveat: relative to a directory descriptor, AT_EMPTY_PATH on a
/// program's descriptor and on a memfd (fexecve too), AT_SYMLINK_NOFOLLOW,
/// and the errno of each bad argument.
#[test]
fn execveat_and_fexecve() {
    check_c_group("fork_wait", "execveat");
}

/// Close-on-exec (O_CLOEXEC, F_DUPFD_CLOEXEC, dup3, F_SETFD, pipe2) seen
/// by fcntl in the exec'd program; across exec handlers reset, ignored
/// signals, the mask and pending signals stay, the altstack is cleared.
#[test]
fn close_on_exec_and_exec_signal_state() {
    check_c_group("fork_wait", "cloexec");
}

/// A fork bomb as uid 1000 under RLIMIT_NPROC 64 is stopped by EAGAIN;
/// the program kills and reaps it, and husk exits in time without leaving
/// processes behind.
#[test]
fn fork_bomb_stopped_by_rlimit_nproc() {
    let bin = c_program_str("forkbomb");
    let n = Run::native(&[&bin, "nproc"]).timeout(proc_timeout()).run();
    assert_all_ok(&n, "native forkbomb nproc");
    let (h, left) = Run::husk_do(&["--", &bin, "nproc"]).timeout(proc_timeout()).run_reporting_leftovers();
    assert_same_as_native(&n, &h);
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

/// A fork bomb as root with the limits it was given stops at EAGAIN or at
/// the program's safety cap of 200 processes (a native run as root would
/// otherwise be limited only by pid_max); everything is reaped and husk
/// stays up.
#[test]
fn fork_bomb_without_lowered_limit() {
    let bin = c_program_str("forkbomb");
    let n = Run::native(&[&bin, "capped"]).timeout(proc_timeout()).run();
    assert_all_ok(&n, "native forkbomb capped");
    let (h, left) = Run::husk_do(&["--", &bin, "capped"]).timeout(proc_timeout()).run_reporting_leftovers();
    assert_same_as_native(&n, &h);
    assert!(left.is_empty(), "processes left behind: {left:?}");
}
