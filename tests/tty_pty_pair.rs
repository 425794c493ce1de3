//! A pty pair used by a program inside the sandbox behaves as on Linux:
//! readiness of both sides as input, echo and output flow, a writer blocked
//! on a full output buffer resumes when the master drains it, hang-up.

mod common;

use common::*;

#[test]
fn pty_pair_matches_native() {
    let prog = c_program_str("pty_pair");
    let n = native(&[&prog]);
    let h = husk_do(&[&prog]);
    assert_exit(&n, 0);
    assert_exit(&h, 0);
    assert_eq!(stdout_text(&h), stdout_text(&n), "\n{}", describe(&h));
}

/// Packet mode (TIOCPKT/TIOCGPKT) of a pty master made inside the sandbox,
/// as GNU screen uses it, and TIOCSIG: the same status bytes and framing as
/// natively for flushes, tcflow, typed ^S/^Q/^C and flow-control changes.
#[test]
fn pty_packet_mode_matches_native() {
    c_output_same_as_native("pty_packet", "all", &[]);
}

/// chmod, chown and utimes of `/dev/pts/N` (GNU screen's calls), seen
/// through the path and an open descriptor, and the access and change
/// times that reads and writes stamp (`w`'s idle times).
#[test]
fn pty_node_attrs_match_native() {
    c_output_same_as_native("pty_node_attrs", "all", &[]);
}

/// Each side's own flow control: tcflow on the master stops only the
/// master's writes; TCIOFF/TCION send STOP/START to the other side (the
/// slave's IXON acts on the master's); breaks and drains succeed.
#[test]
fn pty_flow_control_per_side_matches_native() {
    for group in ["master_tcflow", "xchar", "breaks"] {
        c_output_same_as_native("pty_flow", group, &[]);
    }
}

/// tcflush, tcflow, tcdrain and the break ioctls from a background group
/// stop it with SIGTTOU (go ahead when it ignores SIGTTOU), as tcsetattr does.
#[test]
fn pty_changes_from_background_stop_with_sigttou() {
    c_output_same_as_native("pty_flow", "background", &[]);
}
