//! `husk do` runs real programs: busybox, Debian's dynamically linked
//! coreutils and shells, and small C programs, with the same output and
//! status as natively.

mod common;

use common::*;

#[test]
fn busybox_echo_prints_hi() {
    require_busybox();
    let out = husk_do(&[BUSYBOX, "echo", "hi"]);
    assert_stdout(&out, "hi\n");
}

#[test]
fn command_without_slash_is_found_in_path() {
    require_busybox();
    let out = husk_do(&["busybox", "echo", "hi"]);
    assert_stdout(&out, "hi\n");
}

#[test]
fn ls_root_matches_native() {
    let n = native(&["/bin/ls", "/"]);
    assert_exit(&n, 0);
    let h = husk_do(&["/bin/ls", "/"]);
    assert_same_as_native(&n, &h);
}

#[test]
fn cat_os_release_matches_native() {
    let n = native(&["/bin/cat", "/etc/os-release"]);
    assert_exit(&n, 0);
    let h = husk_do(&["/bin/cat", "/etc/os-release"]);
    assert_same_as_native(&n, &h);
}

#[test]
fn bash_does_arithmetic() {
    let out = husk_do(&["/bin/bash", "-c", "echo $((6*7))"]);
    assert_stdout(&out, "42\n");
}

#[test]
fn exit_codes_pass_through() {
    require_busybox();
    assert_exit(&husk_do(&["/bin/sh", "-c", "exit 7"]), 7);
    assert_exit(&husk_do(&[BUSYBOX, "sh", "-c", "exit 255"]), 255);
    assert_exit(&husk_do(&[BUSYBOX, "false"]), 1);
    assert_exit(&husk_do(&[BUSYBOX, "true"]), 0);
}

#[test]
fn init_ignores_default_signals_it_sends_itself() {
    require_busybox();
    // The command is PID 1 of its sandbox. As for the init of a Linux PID
    // namespace, a signal it sends itself whose action is the default is
    // ignored, even SIGKILL. Natively the same holds under `unshare -pf`.
    let script = "kill -9 $$; kill -TERM $$; echo alive";
    assert_stdout(&native(&["unshare", "--pid", "--fork", BUSYBOX, "sh", "-c", script]), "alive\n");
    assert_stdout(&husk_do(&[BUSYBOX, "sh", "-c", script]), "alive\n");
}

#[test]
fn stdin_is_the_callers() {
    require_busybox();
    let input = b"line one\nline two\n";
    let out = husk_do_stdin(&[BUSYBOX, "cat"], input);
    assert_stdout(&out, "line one\nline two\n");
}

#[test]
fn stdout_and_stderr_are_the_callers() {
    require_busybox();
    let out = husk_do(&[BUSYBOX, "sh", "-c", "echo out; echo err >&2"]);
    assert_stdout(&out, "out\n");
    assert!(stderr_text(&out).lines().any(|l| l == "err"), "stderr lacks the program's line\n{}", describe(&out));
}

#[test]
fn write_to_tmp_stays_inside() {
    require_busybox();
    let file = format!("/tmp/{}", unique_tag("husk-inside"));
    // Only shell builtins (busybox sh would fork or re-exec for `cat`).
    let script = format!("echo x > {file}; read v < {file}; echo $v");
    let out = husk_do(&[BUSYBOX, "sh", "-c", &script]);
    assert_not_on_host(&[&file], "written inside husk");
    assert_stdout(&out, "x\n");
}

/// Start-up and basic syscalls of a static glibc program (tests/c/basics.c).
#[test]
fn basics_program_matches_native() {
    require_busybox();
    let prog = c_program_str("basics");
    let dir = ScratchDir::new("basics");
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    let file = dir.write("data.bin", &data, 0o644);
    let file = file.to_string_lossy().into_owned();

    let native_tag = unique_tag("native");
    let n = Run::native(&[&prog, &file, &native_tag]).cwd("/etc").run();
    assert_exit(&n, 0);

    let husk_tag = unique_tag("husk");
    let h = husk_do(&["--cwd", "/etc", "--", &prog, &file, &husk_tag]);
    let scratch = format!("/tmp/husk-basics-{husk_tag}");
    assert_not_on_host(&[&scratch], "written inside husk");
    assert_same_as_native(&n, &h);
    assert!(stdout_text(&h).ends_with("done\n"));
}

/// The initial stack: argv, environment and auxiliary vector (tests/c/auxv.c).
#[test]
fn auxv_program_matches_native() {
    let prog = c_program_str("auxv");
    // Arguments husk must not interpret: they come after `--`.
    let args = ["one", "two words", "", "-e", "X=1", "--strace", "--", "caf\u{e9}"];

    let mut native_cmd = vec![prog.as_str()];
    native_cmd.extend(args);
    let n = Run::native(&native_cmd).env("HUSK_AUXV_TEST", "a b=c").run();
    assert_exit(&n, 0);

    let mut husk_cmd = vec!["-e", "HUSK_AUXV_TEST=a b=c", "--", prog.as_str()];
    husk_cmd.extend(args);
    let h = husk_do(&husk_cmd);
    assert_same_as_native(&n, &h);
    let text = stdout_text(&h);
    for line in ["AT_PAGESZ: 4096", "AT_SECURE: 0", "AT_CLKTCK: 100", "env: HUSK_AUXV_TEST=a b=c", "done"] {
        assert!(text.lines().any(|l| l == line), "missing {line:?}\n{}", describe(&h));
    }
}

/// Each file of the in-memory layer holds a host descriptor in the sentry:
/// a caller with the usual soft limit of 1024 descriptors must still be
/// able to create thousands of files (tmpfs has no such limit).
#[test]
fn thousands_of_files_under_a_low_descriptor_limit() {
    require_busybox();
    let script = "mkdir /tmp/husk-many && cd /tmp/husk-many && i=0; \
                  while [ $i -lt 3000 ]; do echo $i > f$i || exit 1; i=$((i+1)); done; ls | wc -l; ulimit -n";
    let mut cmd = std::process::Command::new("prlimit");
    cmd.args(["--nofile=1024:", &husk_bin(), "do", "--", BUSYBOX, "sh", "-c", script]);
    let out = Run::command(cmd, "prlimit husk do".into()).timeout(proc_timeout()).run();
    // The command keeps the caller's limit; the sentry took more for itself.
    assert_stdout(&out, "3000\n1024\n");
}

/// When the sentry has no host descriptor left for another in-memory file
/// that needs one (larger than 1 MiB), writing it fails with ENOSPC, as a
/// tmpfs out of inodes does (here the sentry may not raise a hard limit of
/// 150).
#[test]
fn memory_layer_out_of_descriptors_is_enospc() {
    require_busybox();
    // Builtins only: a fork needs host descriptors too. Each file is 1 MiB
    // and the newline.
    let script = "s=x; for k in $(seq 20); do s=$s$s; done; \
                  mkdir /tmp/husk-full && cd /tmp/husk-full && i=0; \
                  while [ $i -lt 3000 ]; do echo $s > f$i || exit 7; i=$((i+1)); done";
    let mut cmd = std::process::Command::new("setpriv");
    cmd.args(["--bounding-set", "-sys_resource", "--inh-caps", "-sys_resource", "prlimit", "--nofile=150:150"]);
    cmd.args([&husk_bin(), "do", "--", BUSYBOX, "sh", "-c", script]);
    let out = Run::command(cmd, "setpriv prlimit husk do".into()).timeout(proc_timeout()).run();
    assert_exit(&out, 7);
    assert!(stderr_text(&out).contains("No space left on device"), "{}", describe(&out));
}

/// Signals the caller ignores stay ignored in the command, as SIG_IGN
/// survives exec: `trap '' INT QUIT` before it, and `nohup` (a SIGHUP then
/// does not end it).
#[test]
fn ignored_signals_are_inherited_from_the_caller() {
    require_busybox();
    let probe = "busybox grep SigIgn /proc/self/status; kill -HUP $$; echo survived";
    let n = Run::native(&[BUSYBOX, "sh", "-c", &format!("trap '' INT QUIT HUP; exec busybox sh -c '{probe}'")]).run();
    // Low bits: HUP, INT, QUIT (the test harness may leave others ignored too).
    let text = stdout_text(&n);
    assert!(text.ends_with("7\nsurvived\n"), "{}", describe(&n));
    let husk = husk_bin();
    let h = Run::native(&[
        BUSYBOX,
        "sh",
        "-c",
        &format!("trap '' INT QUIT HUP; exec {husk} do -- busybox sh -c '{probe}'"),
    ])
    .timeout(proc_timeout())
    .run();
    assert_same_as_native(&n, &h);
}

/// In-memory file data is held to half the host's memory in all (tmpfs's
/// default size): a program asking for the machine's RAM in a memfd or a
/// /tmp file gets ENOSPC at once, as from a full tmpfs, instead of driving
/// the host out of memory (its OOM killer would pick any process on the
/// machine); sparse sizes and modest allocations work, and a closed file's
/// pages come back. (tests/c/file_data_cap.c; not run natively, where it
/// would take the machine's memory.)
#[test]
fn file_data_is_held_to_half_the_hosts_memory() {
    let prog = c_program_str("file_data_cap");
    let out = Run::husk_do(&["--", &prog]).timeout(proc_timeout()).run();
    assert_stdout(
        &out,
        "memfd-ram: ENOSPC\nmemfd-after-refusal-blocks: 0\ntmpfile-ram: ENOSPC\nmemfd-sparse-4x-ram: ok\n\
         sparse-blocks: 0\nmemfd-16m: ok\n16m-blocks: 32768\nagain-64m-0: ok\nagain-64m-1: ok\nagain-64m-2: ok\n",
    );
}
