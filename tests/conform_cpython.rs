//! Conformance found by CPython's own regression tests (Lib/test, run by
//! hand natively and under `husk do`): each divergence they exposed, cut
//! down to a group of tests/c/cpython_found.c run natively and in husk.

mod common;

use common::c_groups;

c_groups! { "cpython_found":
    name_changes_update_directory_times => "dir_times",
    reading_an_unconnected_tcp_socket_is_enotconn => "tcp_unconnected",
    pidfd_send_signal_takes_proc_pid_dirs => "pidfd_procdir",
}
