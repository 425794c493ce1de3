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
