//! The sentry's own seccomp filter: on in `husk boot` and `husk do`, off
//! with a loud warning under `--no-seccomp`, and workloads still run with it.

mod common;
mod oci_support;

use std::time::Duration;

use oci_support::{eventually, proc_status_field, World};

#[test]
fn the_sandbox_process_runs_under_its_filter() {
    let w = World::new("oci-seccomp");
    let b = w.bundle("b", &["sleep", "1000"]);
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "f1"]).ok();
    let spid = w.sandbox_pid("f1");
    assert_eq!(proc_status_field(spid, "Seccomp").as_deref(), Some("2"));
    assert_eq!(proc_status_field(spid, "NoNewPrivs").as_deref(), Some("1"));
    // Every thread of the sentry has it.
    for t in std::fs::read_dir(format!("/proc/{spid}/task")).unwrap().flatten() {
        let s = std::fs::read_to_string(t.path().join("status")).unwrap();
        assert!(s.contains("Seccomp:\t2"), "thread {:?}", t.file_name());
    }
    // And the filtered sentry still serves forks, execs, pipes and files.
    let o = w.husk(&[
        "exec",
        "f1",
        "sh",
        "-c",
        "echo a > /tmp/f; cat /tmp/f | wc -c; ls / | head -n 1; (sleep 0; echo sub)",
    ]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "2\nbin\nsub\n"), "{o:#?}");
    w.husk(&["delete", "-f", "f1"]).ok();
}

#[test]
fn no_seccomp_runs_unfiltered_with_a_warning() {
    let w = World::new("oci-noseccomp");
    let b = w.bundle("b", &["sleep", "1000"]);
    let o = w.husk(&["--no-seccomp", "run", "-d", "-b", b.to_str().unwrap(), "f2"]).ok();
    assert!(o.stderr.contains("WARNING") && o.stderr.contains("seccomp"), "{o:#?}");
    let spid = w.sandbox_pid("f2");
    assert_eq!(proc_status_field(spid, "Seccomp").as_deref(), Some("0"));
    w.husk(&["delete", "-f", "f2"]).ok();
}

#[test]
fn husk_do_runs_under_the_filter() {
    let w = World::new("oci-do-seccomp");
    let b = w.bundle("b", &["true"]);
    let rootfs = b.join("rootfs");
    let mut child = std::process::Command::new(common::husk_bin())
        .args(["do", "--root", rootfs.to_str().unwrap(), "--", "/bin/sleep", "5"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let mut seen = None;
    eventually("husk do installs its filter", Duration::from_secs(20), || {
        seen = proc_status_field(pid, "Seccomp");
        seen.as_deref() == Some("2")
    });
    let _ = child.kill();
    let _ = child.wait();
    // With --no-seccomp, a warning and no filter.
    let o = oci_support::run_bounded(
        &["do", "--no-seccomp", "--root", rootfs.to_str().unwrap(), "--", "/bin/echo", "ok"],
        Duration::from_secs(60),
    );
    assert_eq!((o.code, o.stdout.as_str()), (0, "ok\n"), "{o:#?}");
    assert!(o.stderr.contains("WARNING"), "{o:#?}");
}

/// Arguments are pinned: a forbidden variant of an allowed call (ptrace
/// requests other than the platform's, ioctl commands other than the
/// terminal and interface ones, socket domains other than unix and IP,
/// clone with namespace flags, other prctl options) ends the sandbox with
/// the filter's report, while the allowed variant goes through. The
/// sentry makes the call itself through the debug-only
/// `HUSK_SECCOMP_SELFTEST` path, right after installing its filter.
#[test]
fn forbidden_argument_variants_are_refused() {
    let w = World::new("oci-seccomp-args");
    let b = w.bundle("b", &["true"]);
    let rootfs = b.join("rootfs");
    let run = |variant: &str| -> std::process::Output {
        let mut cmd = std::process::Command::new(common::husk_bin());
        cmd.args(["do", "--root", rootfs.to_str().unwrap(), "--", "/bin/echo", "ran"])
            .env("HUSK_SECCOMP_SELFTEST", variant)
            .stdin(std::process::Stdio::null());
        common::Run::command(cmd, format!("husk do with HUSK_SECCOMP_SELFTEST={variant}")).run()
    };
    let o = run("allowed");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(err.contains("seccomp self-test: trying allowed"), "not a debug build of husk?\n{err}");
    assert_eq!((o.status.code(), String::from_utf8_lossy(&o.stdout).as_ref()), (Some(0), "ran\n"), "{err}");
    for (variant, nr) in [
        ("ptrace-attach", libc::SYS_ptrace),
        ("ptrace-poke", libc::SYS_ptrace),
        ("ioctl-tiocsti", libc::SYS_ioctl),
        ("socket-packet", libc::SYS_socket),
        ("socketpair-inet", libc::SYS_socketpair),
        ("clone-newuser", libc::SYS_clone),
        ("prctl-dumpable", libc::SYS_prctl),
        ("execve", libc::SYS_execve),
    ] {
        let o = run(variant);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(159), "{variant}: {err}");
        assert!(err.contains(&format!("filter forbids: {nr}\n")), "{variant}: {err}");
        assert!(!err.contains("went through") && o.stdout.is_empty(), "{variant}: {err}");
    }
}
