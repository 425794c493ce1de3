//! Hostile syscall arguments get the errnos Linux gives
//! (tests/c/hostile.c, compared with a native run).

mod common;

use common::*;

/// Stdin for hostile.c: its bad-buffer reads must find data waiting.
const INPUT: &[u8] = b"hostile input\n";

#[test]
fn hostile_arguments_get_linux_errnos() {
    let prog = c_program_str("hostile");
    let n = native_stdin(&[&prog], INPUT);
    assert_exit(&n, 0);
    let h = husk_do_stdin(&["--", &prog], INPUT);
    assert_same_as_native(&n, &h);
    assert!(stdout_text(&h).ends_with("done\n"));
}

/// `--strace` follows the same hostile pointers to print arguments (NULL,
/// wild, unterminated, 5000-byte and 4 EiB-long buffers): the program must
/// still run exactly as natively, and each call still be logged.
#[test]
fn strace_of_hostile_arguments_is_harmless() {
    let prog = c_program_str("hostile");
    let n = native_stdin(&[&prog], INPUT);
    let h = husk_do_stdin(&["--strace", "--", &prog], INPUT);
    assert_same_as_native(&n, &h);
    let err = stderr_text(&h);
    for call in ["write(1, ", "open(", "mmap(", "clock_gettime("] {
        assert!(
            err.lines().any(|l| l.starts_with("[1:1] ") && l[6..].starts_with(call)),
            "no strace line for {call}...\n{}",
            describe(&h)
        );
    }
}
