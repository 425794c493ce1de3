//! A sandboxed program's own seccomp filters (tests/c/seccomp.c): seccomp(2)
//! and prctl's errors, the ERRNO, TRAP, TRACE and KILL actions with Linux's
//! precedence between stacked filters, strict mode, inheritance over fork,
//! clone and exec, TSYNC, and /proc's Seccomp lines. Each test runs one
//! group natively and under husk and compares the lines.

mod common;

use common::*;

c_groups! { "seccomp":
    install_errors => "errors",
    errno_action_and_argument_filters => "errno",
    trap_action_delivers_sigsys => "trap",
    kill_actions => "kill",
    strict_mode => "strict",
    inherited_by_fork_and_exec => "inherit",
    thread_sync => "tsync",
}
