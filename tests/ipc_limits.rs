//! The IPC limits of `/proc/sys/kernel` (per IPC namespace, writable by
//! root and enforced) and the System V shm times and pids kept when
//! attachments go at exit, checked against Linux: each group of
//! `tests/c/ipc_limits.c` runs natively (where every check must pass) and
//! under `husk do`, and must print the same lines.

mod common;

use common::*;

c_groups! { "ipc_limits":
    limits_show_linux_defaults => "defaults",
    written_limits_apply_in_their_namespace => "writes_apply",
    bad_limit_writes_are_refused => "bad_writes",
    shm_times_and_pids_follow_exit_and_exec => "shm_exit_times",
}
