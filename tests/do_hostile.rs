//! Hostile syscall arguments get the errnos Linux gives
//! (tests/c/hostile.c, compared with a native run).

mod common;

use common::*;
use std::time::Duration;

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

/// Random system calls with hostile arguments (tests/c/syscall_fuzz.c:
/// random numbers, arguments from zero, -1, flag bits, random words, the
/// edge of an unmapped page) in many short-lived children, some making
/// them from four threads at once: the sentry
/// serves every seed to its end without a panic, an error in its log or a
/// hang. (Not run natively: as root its calls would change host files.)
#[test]
fn random_syscalls_never_break_the_sentry() {
    let prog = c_program_str("syscall_fuzz");
    // Never natively: as root its calls would change the host's files.
    let dir = ScratchDir::new("syscall-fuzz");
    // Four seeds in one thread, two in four threads at once.
    for (seed, threads) in [("1", "1"), ("2", "1"), ("3", "1"), ("4", "1"), ("5", "4"), ("6", "4")] {
        let log = dir.join(&format!("sentry-{seed}.log"));
        let h = Run::husk_do(&[
            "--log-level",
            "husk=warn",
            "--log-file",
            &log,
            "-e",
            "SYSCALL_FUZZ_IN_SANDBOX=1",
            "--",
            &prog,
            "50",
            "400",
            seed,
            threads,
        ])
        .timeout(Duration::from_secs(180))
        .run();
        assert_exit(&h, 0);
        assert_eq!(stdout_text(&h), "done\n", "seed {seed}: {}", describe(&h));
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let bad: Vec<&str> =
            text.lines().filter(|l| l.contains("panicked") || l.contains("ERROR") || l.contains(" error")).collect();
        assert!(bad.is_empty(), "seed {seed}: the sentry logged:\n{}", bad.join("\n"));
    }
}
