//! The runtime CLI on busybox bundles: run, the create/start/exec/kill/
//! wait/delete life cycle, ps, state and list agreeing with reality, the
//! sandbox killed from outside, events, spec, and the two meanings of
//! `--root`.

mod common;
mod oci_support;

use std::time::Duration;

use oci_support::{eventually, process_alive, session_members, World};

#[test]
fn run_prints_and_exits_with_the_status() {
    let w = World::new("oci-run");
    let b = w.bundle("b", &["sh", "-c", "echo hello from $(hostname); echo err >&2; exit 7"]);
    let o = w.husk(&["run", "--bundle", b.to_str().unwrap(), "r1"]);
    assert_eq!(o.code, 7, "{o:#?}");
    assert_eq!(o.stdout, "hello from box\n");
    assert!(o.stderr.contains("err"), "{o:#?}");
    // `run` removes the container once it is done, as runc does.
    assert!(w.ids().is_empty(), "{:?}", w.ids());
}

#[test]
fn run_reports_a_signal_death_as_128_plus_n() {
    let w = World::new("oci-run-sig");
    // A container's init ignores SIGKILL from inside (as a PID namespace's
    // init does): kill it from outside while `run` waits.
    let b = w.bundle("b", &["sleep", "1000"]);
    let (state, bs) = (w.state.clone(), b.to_str().unwrap().to_string());
    let runner = std::thread::spawn(move || {
        oci_support::run_bounded(&["--root", state.to_str().unwrap(), "run", "-b", &bs, "r2"], Duration::from_secs(60))
    });
    eventually("r2 runs", Duration::from_secs(20), || {
        w.ids().contains(&"r2".to_string()) && w.status("r2") == "running"
    });
    w.husk(&["kill", "r2", "KILL"]).ok();
    let o = runner.join().unwrap();
    assert_eq!(o.code, 128 + 9, "{o:#?}");
    assert!(w.ids().is_empty());
}

#[test]
fn root_means_the_state_dir_before_the_subcommand_and_the_rootfs_after_do() {
    let w = World::new("oci-root-flags");
    let b = w.bundle("b", &["true"]);
    // Global --root (and its --root-dir spelling) is the state directory.
    let o = oci_support::run_bounded(
        &["--root-dir", w.state.to_str().unwrap(), "run", "-b", b.to_str().unwrap(), "rr"],
        Duration::from_secs(60),
    );
    assert_eq!(o.code, 0, "{o:#?}");
    // `do --root` is still the root file system of `do`, even with a global --root.
    let rootfs = b.join("rootfs");
    let o = oci_support::run_bounded(
        &[
            "--root",
            w.state.to_str().unwrap(),
            "do",
            "--root",
            rootfs.to_str().unwrap(),
            "--",
            "/bin/sh",
            "-c",
            "echo in-do; ls /bin/busybox",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(o.code, 0, "{o:#?}");
    assert_eq!(o.stdout, "in-do\n/bin/busybox\n");
    let o = oci_support::run_bounded(
        &["do", "--root", rootfs.to_str().unwrap(), "--", "/bin/echo", "plain"],
        Duration::from_secs(60),
    );
    assert_eq!((o.code, o.stdout.as_str()), (0, "plain\n"), "{o:#?}");
}

#[test]
fn create_start_exec_ps_kill_wait_delete() {
    let w = World::new("oci-life");
    let b = w.bundle("b", &["sh", "-c", "echo started; sleep 1000"]);
    let bs = b.to_str().unwrap();
    let pidfile = w.dir.path().join("pid");
    w.husk(&["create", "--bundle", bs, "--pid-file", pidfile.to_str().unwrap(), "c1"]).ok();
    assert_eq!(w.status("c1"), "created");
    let st = w.state("c1");
    assert_eq!(st["id"], "c1");
    assert_eq!(st["bundle"], bs);
    assert_eq!(st["annotations"]["org.husk.test"], "b");
    let spid = st["pid"].as_i64().unwrap() as i32;
    assert_eq!(std::fs::read_to_string(&pidfile).unwrap().trim(), spid.to_string());
    assert!(process_alive(spid));

    w.husk(&["start", "c1"]).ok();
    assert_eq!(w.status("c1"), "running");
    assert_eq!(w.state("c1")["initPid"], 1);
    // A second start is refused.
    w.husk(&["start", "c1"]).one_line_error();

    let o = w.husk(&["exec", "--env", "X=42", "--cwd", "/tmp", "c1", "sh", "-c", "echo x=$X in $(pwd); id -u; exit 5"]);
    assert_eq!(o.code, 5, "{o:#?}");
    assert_eq!(o.stdout, "x=42 in /tmp\n0\n");
    let o = w.husk(&["exec", "--user", "1000:1000", "c1", "id"]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.starts_with("uid=1000 gid=1000"), "{o:#?}");

    // A detached exec shows up in ps with the init.
    w.husk(&["exec", "-d", "--sandbox-pid-file", w.dir.join("epid").as_str(), "c1", "sleep", "1000"]).ok();
    let epid: i32 = std::fs::read_to_string(w.dir.join("epid")).unwrap().trim().parse().unwrap();
    let ps: serde_json::Value = serde_json::from_str(&w.husk(&["ps", "--format", "json", "c1"]).ok().stdout).unwrap();
    let cmds: Vec<(i64, String)> = ps
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["pid"].as_i64().unwrap(), p["cmd"].as_str().unwrap().to_string()))
        .collect();
    assert!(cmds.iter().any(|(pid, _)| *pid == 1), "{cmds:?}");
    assert!(cmds.contains(&(epid as i64, "sleep 1000".into())), "{cmds:?}");
    let table = w.husk(&["ps", "c1"]).ok().stdout;
    assert!(table.starts_with("UID"), "{table}");
    assert!(table.contains("sleep 1000"), "{table}");

    // Wait for the exec'd process from another client while we kill it.
    let state = w.state.clone();
    let waiter = std::thread::spawn(move || {
        oci_support::run_bounded(
            &["--root", state.to_str().unwrap(), "wait", "--pid", &epid.to_string(), "c1"],
            Duration::from_secs(60),
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    w.husk(&["kill", "--pid", &epid.to_string(), "c1", "TERM"]).ok();
    let o = waiter.join().unwrap();
    assert_eq!(o.code, 0, "{o:#?}");
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["exitStatus"], 128 + 15, "{v}");
    assert_eq!(w.status("c1"), "running");

    w.husk(&["kill", "--all", "c1", "KILL"]).ok();
    let o = w.husk(&["wait", "c1"]).ok();
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!((v["id"].as_str(), v["exitStatus"].as_i64()), (Some("c1"), Some(137)), "{v}");
    assert_eq!(w.status("c1"), "stopped");
    assert_eq!(w.state("c1")["exitStatus"], 137);
    // The sandbox went away with its root container.
    eventually("the sandbox process exits", Duration::from_secs(20), || !process_alive(spid));
    assert_eq!(w.status("c1"), "stopped");
    w.husk(&["kill", "c1"]).one_line_error();

    w.husk(&["delete", "c1"]).ok();
    assert!(w.ids().is_empty());
    w.husk(&["state", "c1"]).one_line_error();
    assert!(session_members(spid).is_empty(), "left behind: {:?}", session_members(spid));
}

#[test]
fn a_sandbox_killed_from_outside_is_stopped_and_deletable() {
    let w = World::new("oci-sigkill");
    let b = w.bundle("b", &["sh", "-c", "sleep 1000 & sleep 1000"]);
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "k1"]).ok();
    assert_eq!(w.status("k1"), "running");
    let spid = w.sandbox_pid("k1");
    eventually("the stubs run", Duration::from_secs(20), || session_members(spid).len() >= 3);
    // SAFETY: SIGKILL of the sandbox process this test started.
    unsafe { libc::kill(spid, libc::SIGKILL) };
    eventually("the sandbox process is gone", Duration::from_secs(20), || !process_alive(spid));
    assert_eq!(w.status("k1"), "stopped");
    assert_eq!(w.state("k1")["pid"], 0);
    // No stub survives its sentry.
    eventually("no process of the sandbox is left", Duration::from_secs(20), || session_members(spid).is_empty());
    // Waiting on it does not hang; killing it is an error; delete cleans up.
    w.husk(&["wait", "k1"]).one_line_error();
    w.husk(&["kill", "k1", "KILL"]).one_line_error();
    w.husk(&["delete", "k1"]).ok();
    assert!(w.ids().is_empty());
}

#[test]
fn delete_refuses_a_running_container_unless_forced() {
    let w = World::new("oci-delete");
    let b = w.bundle("b", &["sleep", "1000"]);
    w.husk(&["run", "--detach", "-b", b.to_str().unwrap(), "d1"]).ok();
    let spid = w.sandbox_pid("d1");
    w.husk(&["delete", "d1"]).one_line_error();
    assert_eq!(w.status("d1"), "running");
    w.husk(&["delete", "--force", "d1"]).ok();
    assert!(w.ids().is_empty());
    eventually("the sandbox is gone", Duration::from_secs(20), || session_members(spid).is_empty());
    // A created (never started) container can be deleted without --force.
    w.husk(&["create", "-b", b.to_str().unwrap(), "d2"]).ok();
    let spid = w.sandbox_pid("d2");
    w.husk(&["delete", "d2"]).ok();
    eventually("the sandbox is gone", Duration::from_secs(20), || session_members(spid).is_empty());
    assert!(w.ids().is_empty());
}

#[test]
fn events_report_stats_and_the_exit() {
    let w = World::new("oci-events");
    let b2 = w.bundle("b2", &["sh", "-c", "sleep 2; exit 4"]);
    w.husk(&["run", "-d", "-b", b2.to_str().unwrap(), "e1"]).ok();
    let o = w.husk(&["events", "--stats", "e1"]).ok();
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(v["type"], "stats");
    assert_eq!(v["id"], "e1");
    assert!(v["data"]["pids"]["current"].as_i64().unwrap() >= 1, "{v}");
    let o = w.husk(&["events", "--interval", "200ms", "e1"]).ok();
    let last: serde_json::Value = serde_json::from_str(o.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "exit", "{}", o.stdout);
    assert_eq!(last["data"]["exitStatus"], 4);
    w.husk(&["delete", "e1"]).ok();
}

#[test]
fn spec_writes_a_config_husk_runs_without_warnings() {
    let w = World::new("oci-spec");
    let b = w.bundle("b", &["true"]);
    std::fs::remove_file(b.join("config.json")).unwrap();
    w.husk(&["spec", "--bundle", b.to_str().unwrap(), "--no-terminal"]).ok();
    // Not over an existing one.
    w.husk(&["spec", "--bundle", b.to_str().unwrap()]).one_line_error();
    let text = std::fs::read_to_string(b.join("config.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["process"]["args"][0], "sh");
    v["process"]["args"] = serde_json::json!(["sh", "-c", "echo spec ok"]);
    std::fs::write(b.join("config.json"), v.to_string()).unwrap();
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "s1"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "spec ok\n"), "{o:#?}");
    assert!(!o.stderr.contains("warning"), "{o:#?}");
}

#[test]
fn the_gofer_monitor_stops_a_container_whose_root_disappears() {
    let w = World::new("oci-gofer");
    let b = w.bundle("b", &["sleep", "1000"]);
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "g1"]).ok();
    let spid = w.sandbox_pid("g1");
    std::fs::rename(b.join("rootfs"), b.join("rootfs.moved")).unwrap();
    eventually("the container stops", Duration::from_secs(20), || w.status("g1") == "stopped");
    let st = w.state("g1");
    assert!(st["reason"].as_str().unwrap().contains("root file system"), "{st}");
    eventually("the sandbox is gone", Duration::from_secs(20), || session_members(spid).is_empty());
    w.husk(&["delete", "g1"]).ok();
}

#[test]
fn mounts_and_a_read_only_root_from_the_spec() {
    let w = World::new("oci-mounts");
    let data = w.dir.path().join("data");
    let rw = w.dir.path().join("rw");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&rw).unwrap();
    std::fs::write(data.join("hello"), "from the host\n").unwrap();
    let script = "cat /data/hello; echo x > /data/y 2>/dev/null || echo ro-bind-refused; \
                  echo written > /rw/out; echo t > /scratch/t && stat -c %a /scratch; \
                  touch /new 2>/dev/null || echo root-refused";
    let b = w.bundle_with("b", &["sh", "-c", script], |v| {
        v["root"]["readonly"] = serde_json::json!(true);
        v["mounts"] = serde_json::json!([
            { "destination": "/proc", "type": "proc", "source": "proc" },
            { "destination": "/data", "type": "bind", "source": data, "options": ["rbind", "ro"] },
            { "destination": "/rw", "type": "bind", "source": rw, "options": ["rbind", "rw"] },
            { "destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777"] }
        ]);
    });
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "m1"]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert_eq!(o.stdout, "from the host\nro-bind-refused\n1777\nroot-refused\n", "{o:#?}");
    assert!(!o.stderr.contains("warning"), "{o:#?}");
    assert_eq!(std::fs::read_to_string(rw.join("out")).unwrap(), "written\n");
    assert!(!data.join("y").exists());
}

#[test]
fn process_user_groups_rlimits_umask_and_env_from_the_spec() {
    let w = World::new("oci-process");
    let b = w.bundle_with("b", &["sh", "-c", "id; ulimit -n; ulimit -Hn; umask; echo $GREETING; pwd"], |v| {
        v["process"]["user"] = serde_json::json!({ "uid": 1000, "gid": 1000, "additionalGids": [5, 7], "umask": 23 });
        v["process"]["rlimits"] = serde_json::json!([{ "type": "RLIMIT_NOFILE", "soft": 100, "hard": 200 }]);
        v["process"]["env"] = serde_json::json!(["PATH=/bin", "GREETING=hi"]);
        v["process"]["cwd"] = serde_json::json!("/tmp");
        v["process"]["noNewPrivileges"] = serde_json::json!(true);
        v["process"]["capabilities"] =
            serde_json::json!({ "bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"] });
    });
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "p1"]);
    assert_eq!(o.code, 0, "{o:#?}");
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(lines[0].starts_with("uid=1000 gid=1000 groups="), "{o:#?}");
    assert!(lines[0].contains('5') && lines[0].contains('7'), "{o:#?}");
    assert_eq!(&lines[1..], &["100", "200", "0027", "hi", "/tmp"], "{o:#?}");
    assert!(!o.stderr.contains("warning"), "{o:#?}");
}
