//! The `husk do` command line: errors, help, flags, environment, working
//! directory, `--strace`.

mod common;

use common::*;

#[test]
fn unknown_command_is_127() {
    let out = husk_do(&["/nonexistent"]);
    assert_husk_error(&out, 127);
}

#[test]
fn unknown_command_in_path_is_127() {
    let out = husk_do(&["no-such-command-husk-test"]);
    assert_husk_error(&out, 127);
}

#[test]
fn missing_root_is_127() {
    let out = husk_do(&["--root", "/nonexistent-dir-husk-test", "--", "/bin/true"]);
    assert_husk_error(&out, 127);
}

#[test]
fn non_executable_file_is_126() {
    let dir = ScratchDir::new("noexec");
    let file = dir.write("script.sh", b"#!/bin/sh\necho should not run\n", 0o644);
    let out = husk_do(&[&file.to_string_lossy()]);
    assert_husk_error(&out, 126);
    assert!(out.stdout.is_empty(), "the file ran\n{}", describe(&out));
}

#[test]
fn bad_flags_are_usage_errors() {
    require_busybox();
    for args in [
        &["do", "--no-such-flag", "--", BUSYBOX, "echo", "RAN"][..],
        &["--no-such-flag"][..],
        &["do", "--network", "bogus", "--", BUSYBOX, "echo", "RAN"][..],
        &["do", "--memory", "5x", BUSYBOX, "echo", "RAN"][..],
        &["do", "--memory", "1m", BUSYBOX, "echo", "RAN"][..],
        &["do", "--pids-limit", "0", BUSYBOX, "echo", "RAN"][..],
        &["exec", "no-such-container", "--bogus-flag", BUSYBOX, "echo", "RAN"][..],
    ] {
        let out = husk(args);
        // A mistyped flag is a usage error (2), never taken for the command.
        assert_eq!(exit_code(&out), 2, "husk {args:?}\n{}", describe(&out));
        assert!(!out.stderr.is_empty(), "husk {args:?}: no error message\n{}", describe(&out));
        assert!(!stdout_text(&out).contains("RAN"), "husk {args:?} ran the command\n{}", describe(&out));
    }
}

#[test]
fn do_without_command_is_an_error() {
    let out = husk(&["do"]);
    assert_ne!(exit_code(&out), 0, "{}", describe(&out));
    assert!(!out.stderr.is_empty(), "no error message\n{}", describe(&out));
}

#[test]
fn do_help_lists_the_flags() {
    let out = husk(&["do", "--help"]);
    assert_exit(&out, 0);
    let help = stdout_text(&out);
    for flag in ["--root", "--strace", "--network", "--cwd"] {
        assert!(help.contains(flag), "`husk do --help` does not mention {flag}\n{}", describe(&out));
    }
    assert!(
        help.lines().any(|l| l.trim_start().starts_with("-e")),
        "`husk do --help` does not list -e\n{}",
        describe(&out)
    );
}

#[test]
fn network_modes_are_accepted() {
    require_busybox();
    for mode in ["none", "sandbox", "host"] {
        let out = husk_do(&["--network", mode, "--", BUSYBOX, "echo", mode]);
        assert_stdout(&out, &format!("{mode}\n"));
    }
}

#[test]
fn arguments_after_the_command_are_the_programs() {
    require_busybox();
    let out = husk_do(&["--", BUSYBOX, "echo", "--strace", "-e", "X=1", "--root"]);
    assert_stdout(&out, "--strace -e X=1 --root\n");
}

#[test]
fn env_flag_sets_a_variable() {
    require_busybox();
    let out = husk_do(&["-e", "FOO=bar", "--", BUSYBOX, "sh", "-c", "echo $FOO"]);
    assert_stdout(&out, "bar\n");
}

#[test]
fn env_flags_repeat_and_keep_equals_signs() {
    require_busybox();
    let out = husk_do(&[
        "-e",
        "A=1",
        "-e",
        "B=x=y",
        "-e",
        "EMPTY=",
        "--",
        BUSYBOX,
        "sh",
        "-c",
        "echo \"$A|$B|${EMPTY-unset}|${EMPTY:-empty}\"",
    ]);
    assert_stdout(&out, "1|x=y||empty\n");
}

#[test]
fn environment_is_the_callers_plus_overrides() {
    require_busybox();
    let out = Run::husk_do(&["-e", "OVERRIDDEN=new", "--", BUSYBOX, "sh", "-c", "echo $INHERITED $OVERRIDDEN"])
        .env("INHERITED", "from-caller")
        .env("OVERRIDDEN", "old")
        .run();
    assert_stdout(&out, "from-caller new\n");
}

#[test]
fn cwd_flag_sets_the_working_directory() {
    require_busybox();
    let out = husk_do(&["--cwd", "/etc", "--", BUSYBOX, "pwd"]);
    assert_stdout(&out, "/etc\n");

    // Relative paths resolve against it.
    let n = native(&["/bin/cat", "/etc/os-release"]);
    let h = husk_do(&["--cwd", "/etc", "--", BUSYBOX, "cat", "os-release"]);
    assert_same_as_native(&n, &h);
}

/// One `--strace` line: `[pid:tid] name(args...` (the rest is free-form).
fn is_strace_line(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    let Some((ids, call)) = rest.split_once("] ") else {
        return false;
    };
    let Some((pid, tid)) = ids.split_once(':') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let Some((name, _)) = call.split_once('(') else {
        return false;
    };
    digits(pid)
        && digits(tid)
        && !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[test]
fn strace_logs_syscalls_to_stderr() {
    require_busybox();
    let out = husk_do(&["--strace", "--", BUSYBOX, "echo", "hi"]);
    assert_stdout(&out, "hi\n");
    let err = stderr_text(&out);
    let lines: Vec<&str> = err.lines().collect();

    // `[1:1] write(1, "hi\n", 3) = 3 (12µs)`
    let write_at = lines.iter().position(|l| l.starts_with(r#"[1:1] write(1, "hi\n", 3) = 3 ("#) && l.ends_with(')'));
    let Some(write_at) = write_at else {
        panic!("no `[1:1] write(1, \"hi\\n\", 3) = 3 (...)` line\n{}", describe(&out));
    };
    // glibc's static start-up (arch_prctl(ARCH_SET_FS, ...)) comes first.
    assert!(
        lines[..write_at].iter().any(|l| l.starts_with("[1:1] arch_prctl(")),
        "no start-up syscalls logged before the write\n{}",
        describe(&out)
    );
    // busybox reads its name with prctl: the buffer shows as a string.
    assert!(
        lines.iter().any(|l| l.starts_with(r#"[1:1] prctl(PR_GET_NAME, "busybox") = 0 ("#)),
        "no decoded `prctl(PR_GET_NAME, \"busybox\")` line\n{}",
        describe(&out)
    );
    for l in lines.iter().filter(|l| l.starts_with('[')) {
        assert!(is_strace_line(l), "malformed strace line {l:?}\n{}", describe(&out));
    }
}

#[test]
fn no_strace_without_the_flag() {
    require_busybox();
    let out = husk_do(&[BUSYBOX, "echo", "hi"]);
    assert_stdout(&out, "hi\n");
    assert!(!stderr_text(&out).lines().any(is_strace_line), "strace output without --strace\n{}", describe(&out));
}

/// `--user` as `docker run --user`: names from the root's /etc/passwd and
/// /etc/group (supplementary groups: the ones listing the user, as runc's
/// libcontainer; busybox `id` shows only those after `groups=`), numbers
/// with or without an entry, HOME from the entry unless -e sets it.
#[test]
fn user_flag_runs_the_command_as_that_user() {
    require_busybox();
    let dir = ScratchDir::new("do-user");
    dir.write("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1000:Bob:/home/bob:/bin/sh\n", 0o644);
    dir.write("etc/group", b"root:x:0:\nbob:x:1000:\nwheel:x:10:bob\nstaff:x:50:eve,bob\n", 0o644);
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    std::fs::copy(BUSYBOX, dir.path().join("bin/busybox")).unwrap();
    let root = dir.path().to_string_lossy().into_owned();
    let run = |user: &str, extra: &[&str]| {
        let mut args = vec!["--root", &root, "--cwd", "/", "-u", user];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "/bin/busybox", "sh", "-c", "/bin/busybox id; echo $HOME"]);
        husk_do(&args)
    };
    let o = run("bob", &[]);
    assert_eq!(
        stdout_text(&o),
        "uid=1000(bob) gid=1000(bob) groups=10(wheel),50(staff)\n/home/bob\n",
        "{}",
        describe(&o)
    );
    let o = run("bob:staff", &["-e", "HOME=/elsewhere"]);
    assert_eq!(stdout_text(&o), "uid=1000(bob) gid=50(staff)\n/elsewhere\n", "{}", describe(&o));
    let o = run("4242:10", &[]);
    assert_eq!(stdout_text(&o), "uid=4242 gid=10(wheel)\n/\n", "{}", describe(&o));
    // Unknown names are usage errors; nothing runs.
    for bad in ["eve", "bob:nogroup", "bob:", ""] {
        let o = run(bad, &[]);
        assert_eq!(exit_code(&o), 2, "--user {bad:?}\n{}", describe(&o));
        assert!(stdout_text(&o).is_empty() && o.stderr.starts_with(b"husk: --user"), "{}", describe(&o));
    }
}
