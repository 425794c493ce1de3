//! Bad input to the socket calls gives Linux's errnos
//! (tests/c/net_errors.c), compared with native runs.

mod common;

use common::*;

fn same_as_native(group: &str) {
    c_output_same_as_native("net_errors", group, &["--network=none"]);
}

/// socket/socketpair with bad families, types, flags and protocols.
#[test]
fn creation() {
    same_as_native("creation");
}

/// Socket calls on a pipe (ENOTSOCK) and on bad descriptors.
#[test]
fn not_a_socket() {
    same_as_native("notsock");
}

/// Malformed sockaddrs: lengths, families, EFAULT; AF_UNIX names; calls
/// in the wrong state.
#[test]
fn addresses() {
    same_as_native("addresses");
}

/// setsockopt/getsockopt: lengths, levels, read-only options, values.
#[test]
fn options() {
    same_as_native("options");
}

/// Interface ioctls on `lo` (with --network=none the sandbox has only lo,
/// like a fresh network namespace; the host's lo looks the same).
#[test]
fn interfaces() {
    same_as_native("interfaces");
}

/// Bad buffers (EFAULT without losing queued data), too many iovecs, bad
/// control messages, over-long and unreadable names.
#[test]
fn buffers() {
    same_as_native("buffers");
}
