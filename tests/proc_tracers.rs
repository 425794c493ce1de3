//! Debian's real strace and gdb inside husk: sandboxed tracers following
//! a shell and its children, and debugging a crashing program, through
//! ptrace (kernel/ptrace/).

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

/// `strace --seccomp-bpf` stops only at the traced calls, through a
/// SECCOMP_RET_TRACE filter and PTRACE_EVENT_SECCOMP.
#[test]
fn strace_seccomp_bpf() {
    if !have_strace() {
        return;
    }
    let script = "echo hi; busybox true | busybox cat";
    let out =
        Run::husk_do(&["--", STRACE, "-f", "--seccomp-bpf", "-e", "trace=write,execve", BUSYBOX, "sh", "-c", script])
            .timeout(proc_timeout())
            .run();
    assert_eq!(stdout_text(&out), "hi\n", "{}", describe(&out));
    assert_exit(&out, 0);
    let trace = stderr_text(&out);
    assert!(trace.contains("write(1, \"hi\\n\", 3)"), "{trace}");
    assert_eq!(trace.matches("execve(").count(), 3, "{trace}");
    assert!(!trace.contains("wait4(") && !trace.contains("seccomp"), "{trace}");
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

const GDB: &str = "/usr/bin/gdb";

/// gdb's batch output, without what differs between runs and hosts (pids,
/// its warnings, thread-debugging notes).
fn gdb_lines(out: &std::process::Output) -> Vec<String> {
    stdout_text(out)
        .lines()
        .filter(|l| !l.starts_with("warning:") && !l.contains("process ") && !l.contains("thread_db"))
        .map(str::to_string)
        .collect()
}

/// `gdb -batch`: a crash with its backtrace, and a breakpoint hit twice
/// with single steps in between, print the same lines as natively.
#[test]
fn gdb_backtrace_breakpoints_and_steps() {
    if !std::path::Path::new(GDB).exists() {
        eprintln!("skipped: gdb is not installed");
        return;
    }
    let prog = c_program_str("gdb_target");
    let runs: [&[&str]; 2] = [
        &["-ex", "run", "-ex", "bt"],
        &[
            "-ex",
            "break depth",
            "-ex",
            "run",
            "-ex",
            "print n",
            "-ex",
            "continue",
            "-ex",
            "print n",
            "-ex",
            "stepi",
            "-ex",
            "stepi",
            "-ex",
            "info registers rip",
            "-ex",
            "delete",
            "-ex",
            "continue",
        ],
    ];
    for cmds in runs {
        let mut args = vec![GDB, "-nx", "-batch"];
        args.extend_from_slice(cmds);
        args.push(&prog);
        let native = Run::native(&args).timeout(proc_timeout()).run();
        let mut husk_args = vec!["--"];
        husk_args.extend_from_slice(&args);
        let husk = Run::husk_do(&husk_args).timeout(proc_timeout()).run();
        let (n, h) = (gdb_lines(&native), gdb_lines(&husk));
        assert!(n.iter().any(|l| l.contains("SIGSEGV")), "native gdb: {}", describe(&native));
        assert_eq!(h, n, "husk: {}\nnative: {}", describe(&husk), describe(&native));
    }
}
