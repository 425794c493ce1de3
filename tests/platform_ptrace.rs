//! The ptrace platform (`--platform ptrace`) stays a working alternative to
//! systrap, the default the rest of the suite runs on: the thread, signal,
//! fork, sandboxed-ptrace and stack-copy checks of tests/c run under it and
//! must print what they print natively, and a busybox pipeline of forks,
//! execs and pipes works.

mod common;

use common::*;

/// Runs `prog` (every group) natively and under the ptrace platform and
/// compares the lines.
fn check_under_ptrace(prog: &str) {
    let bin = c_program_str(prog);
    let n = Run::native(&[&bin]).timeout(proc_timeout()).run();
    assert_all_ok(&n, &format!("native {prog}"));
    let h = Run::husk(&["--platform", "ptrace", "do", "--", &bin]).timeout(proc_timeout()).run();
    assert_same_as_native(&n, &h);
}

#[test]
fn threads_under_ptrace() {
    check_under_ptrace("threads");
}

#[test]
fn signals_under_ptrace() {
    check_under_ptrace("signals");
}

/// A sandboxed tracer on the ptrace platform: its stops, registers,
/// single steps (TF through the platform's SETREGS) and events.
#[test]
fn sandboxed_ptrace_under_ptrace() {
    check_under_ptrace("ptrace");
}

/// A copy into a stack's untouched room grows the stack through this
/// platform's injection too (`tests/c/stack_copies.c`).
#[test]
fn stack_copies_under_ptrace() {
    let bin = c_program_str("stack_copies");
    for group in ["lazy", "thread", "main"] {
        let n = Run::native(&[&bin, group]).timeout(proc_timeout()).run();
        assert_exit(&n, 0);
        let h = Run::husk(&["--platform", "ptrace", "do", "--", &bin, group]).timeout(proc_timeout()).run();
        assert_same_as_native(&n, &h);
    }
}

#[test]
fn busybox_pipeline_under_ptrace() {
    require_busybox();
    let script = "for i in 1 2 3; do echo line $i; done | sort -r | tr a-z A-Z; (exit 7); echo rc=$?";
    let out = husk(&["--platform", "ptrace", "do", "--", BUSYBOX, "sh", "-c", script]);
    assert_eq!(stdout_text(&out), "LINE 3\nLINE 2\nLINE 1\nrc=7\n", "\n{}", describe(&out));
    assert_exit(&out, 0);
}

/// A bad platform name is a clear one-line usage error.
#[test]
fn unknown_platform_is_refused() {
    let out = husk(&["--platform", "kvm", "do", "--", "/bin/true"]);
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid value 'kvm'") && err.contains("systrap"), "\n{}", describe(&out));
}
