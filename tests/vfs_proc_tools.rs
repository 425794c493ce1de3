//! busybox `ps`, `top`, `free`, `df`, `mount` and `uptime`, and procps's
//! `vmstat`, read the sandbox's /proc and show the sandbox's view: its own
//! processes only, its own mounts.

mod common;

use common::*;

fn bb(script: &str) -> std::process::Output {
    require_busybox();
    husk_do(&[BUSYBOX, "sh", "-c", script])
}

#[test]
fn ps_lists_only_the_sandbox_processes() {
    let out = bb("sleep 5 & busybox ps -o pid,ppid,stat,comm,args; kill %1");
    assert_exit(&out, 0);
    let text = stdout_text(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "expected a header and 3 processes\n{}", describe(&out));
    assert!(lines[0].split_whitespace().eq(["PID", "PPID", "STAT", "COMMAND", "COMMAND"]), "{text}");
    let rows: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0][..2], ["1", "0"], "the shell is pid 1\n{text}");
    assert!(rows.iter().any(|r| r.contains(&"sleep") && r[1] == "1"), "{text}");
    assert!(rows.iter().any(|r| r[3] == "busybox" && r[2] == "R"), "{text}");
}

#[test]
fn top_shows_the_sandbox() {
    let out = bb("busybox top -n1 -b");
    assert_exit(&out, 0);
    let text = stdout_text(&out);
    assert!(text.starts_with("Mem: "), "{}", describe(&out));
    assert!(text.contains("\nCPU: "), "{text}");
    assert!(text.contains("\nLoad average: "), "{text}");
    let procs = text.lines().skip_while(|l| !l.trim_start().starts_with("PID")).skip(1).count();
    assert_eq!(procs, 2, "top shows sh and itself only\n{text}");
}

#[test]
fn free_reads_meminfo() {
    let n = native(&[BUSYBOX, "free"]);
    let h = bb("busybox free");
    assert_exit(&h, 0);
    let header = |o: &std::process::Output| stdout_text(o).lines().next().unwrap_or_default().to_string();
    assert_eq!(header(&h), header(&n), "\n{}", describe(&h));
    let mem: Vec<String> =
        stdout_text(&h).lines().nth(1).unwrap_or_default().split_whitespace().map(String::from).collect();
    assert!(mem.len() == 7 && mem[0] == "Mem:" && mem[1].parse::<u64>().is_ok_and(|t| t > 0), "{}", describe(&h));
}

#[test]
fn df_and_mount_show_the_sandbox_mounts() {
    let out = bb("busybox df; echo ---; busybox mount");
    assert_exit(&out, 0);
    let text = stdout_text(&out);
    let (df, mount) = text.split_once("---\n").unwrap_or_default();
    assert!(df.starts_with("Filesystem"), "{text}");
    let points: Vec<&str> = df.lines().skip(1).filter_map(|l| l.split_whitespace().last()).collect();
    assert!(points.contains(&"/") && points.contains(&"/dev/shm"), "{text}");
    for want in [
        "overlay on / type overlay (rw,relatime)",
        "proc on /proc type proc (rw,nosuid,nodev,noexec,relatime)",
        "devpts on /dev/pts type devpts",
        "shm on /dev/shm type tmpfs",
        "cgroup on /sys/fs/cgroup type cgroup2 (ro,nosuid,nodev,noexec,relatime)",
    ] {
        assert!(mount.contains(want), "no {want:?}\n{text}");
    }
    // Nothing of the host's mount table shows: its cgroup v1 hierarchies,
    // its /boot; the sandbox's own cgroup2 is the only cgroup mount.
    assert!(!mount.contains("type cgroup ") && !mount.contains("/boot"), "{text}");
    assert_eq!(mount.matches("cgroup").count(), 3, "{text}");
}

#[test]
fn uptime_is_the_sandbox_uptime() {
    let out = bb("busybox uptime; cat /proc/uptime");
    assert_exit(&out, 0);
    let text = stdout_text(&out);
    assert!(text.contains(" up 0 min, "), "{}", describe(&out));
    let up: f64 =
        text.lines().nth(1).and_then(|l| l.split_whitespace().next()).and_then(|v| v.parse().ok()).unwrap_or(-1.0);
    assert!((0.0..30.0).contains(&up), "{text}");
}

#[test]
fn tty_device_without_a_terminal() {
    let out = bb("cat /dev/tty 2>&1; echo status $?; ls /dev/pts");
    assert_eq!(
        stdout_text(&out),
        "cat: can't open '/dev/tty': No such device or address\nstatus 1\nptmx\n",
        "\n{}",
        describe(&out)
    );
}

#[test]
fn procps_vmstat_reports() {
    let vmstat = "/usr/bin/vmstat";
    assert!(std::path::Path::new(vmstat).exists(), "procps is not installed (scripts/test.sh installs it)");
    let n = native(&[vmstat, "1", "2"]);
    let h = husk_do(&[vmstat, "1", "2"]);
    assert_exit(&h, 0);
    let (ht, nt) = (stdout_text(&h), stdout_text(&n));
    let head = |t: &str| t.lines().take(2).map(String::from).collect::<Vec<_>>();
    assert_eq!(head(&ht), head(&nt), "\n{}", describe(&h));
    let rows: Vec<Vec<&str>> = ht.lines().skip(2).map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), 2, "{ht}");
    for r in &rows {
        assert!(r.len() == 17 && r.iter().all(|f| f.parse::<u64>().is_ok()), "{ht}");
    }
    // The second row is the last second's: an idle sandbox.
    assert!(rows[1][14].parse::<u64>().unwrap() >= 50, "idle column\n{ht}");
}

#[test]
fn no_audit_login_session() {
    // Linux's "unset" loginuid and sessionid (natively they depend on how
    // the test was started, so only the sandbox's are checked).
    let out = husk_do(&[
        "/bin/bash",
        "-c",
        "cat /proc/self/loginuid; echo; cat /proc/1/sessionid; echo; echo 0 > /proc/self/loginuid",
    ]);
    assert_eq!(stdout_text(&out), "4294967295\n4294967295\n", "{}", describe(&out));
    assert!(stderr_text(&out).contains("Operation not permitted"), "{}", describe(&out));
}
