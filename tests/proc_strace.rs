//! Debian's real strace inside husk: a sandboxed tracer following a shell
//! and its children through ptrace (kernel/ptrace/).

mod common;

use common::*;

const STRACE: &str = "/usr/bin/strace";

fn have_strace() -> bool {
    require_busybox();
    if std::path::Path::new(STRACE).exists() {
        return true;
    }
    eprintln!("skipped: strace is not installed");
    false
}

/// `strace -f` of a shell that forks a pipeline: the program's output is
/// intact, and the trace has the calls, the children and their exits.
#[test]
fn strace_follows_a_shell_and_its_children() {
    if !have_strace() {
        return;
    }
    let dir = ScratchDir::new("strace");
    dir.write("one", b"", 0o644);
    dir.write("two", b"", 0o644);
    let script = format!("echo hi; busybox ls {} | busybox head -1; exit 3", dir.path().display());
    let out = Run::husk_do(&["--", STRACE, "-f", BUSYBOX, "sh", "-c", &script]).timeout(proc_timeout()).run();
    assert_eq!(stdout_text(&out), "hi\none\n", "{}", describe(&out));
    assert_exit(&out, 3);
    let trace = stderr_text(&out);
    for want in [
        "execve(\"/bin/busybox\", [\"/bin/busybox\", \"sh\", \"-c\"",
        "write(1, \"hi\\n\", 3)",
        "clone(",
        "] execve(\"/proc/self/exe\", [\"busybox\", \"ls\"",
        "] execve(\"/proc/self/exe\", [\"busybox\", \"head\", \"-1\"]",
        "wait4(-1, ",
        "pipe2(",
        "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED",
        "] +++ exited with 0 +++",
        "exit_group(3)",
        "+++ exited with 3 +++",
    ] {
        assert!(trace.contains(want), "strace output lacks {want:?}:\n{trace}");
    }
    // Every traced process was seen attaching (the two children).
    assert_eq!(trace.matches("attached").count(), 2, "{trace}");
}

/// `strace -c` counts the calls of a shell and its children as it does
/// natively.
#[test]
fn strace_counts_calls() {
    if !have_strace() {
        return;
    }
    let script = "echo hi; busybox true | busybox cat";
    let args = [STRACE, "-c", "-f", BUSYBOX, "sh", "-c", script];
    let native = Run::native(&args).timeout(proc_timeout()).run();
    let mut husk_args = vec!["--"];
    husk_args.extend_from_slice(&args);
    let out = Run::husk_do(&husk_args).timeout(proc_timeout()).run();
    assert_eq!(stdout_text(&out), "hi\n", "{}", describe(&out));
    assert_exit(&out, 0);
    // (calls, errors) of a syscall's row.
    let row = |table: &str, name: &str| -> Option<(String, String)> {
        let line = table.lines().find(|l| l.split_whitespace().last() == Some(name))?;
        let cols: Vec<&str> = line.split_whitespace().collect();
        let errors = if cols.len() == 6 { cols[4].to_string() } else { "0".to_string() };
        Some((cols.get(3)?.to_string(), errors))
    };
    let (n, h) = (stderr_text(&native), stderr_text(&out));
    assert!(h.contains("% time") && h.contains("total"), "{h}");
    for call in ["write", "clone", "execve", "wait4", "pipe2"] {
        assert!(row(&n, call).is_some(), "native strace -c lacks {call}:\n{n}");
        assert_eq!(row(&h, call), row(&n, call), "{call}: husk\n{h}\nnative\n{n}");
    }
}
