//! `husk pause`, `resume` and `update` (as runc's) on busybox bundles: a
//! paused container's processes make no progress until resumed, SIGKILL
//! still ends them, `cgroup.freeze` from inside pauses the container as
//! the runtime sees it, and limits change live as the container's cgroup
//! files show.

mod common;
mod oci_support;

use std::time::Duration;

use oci_support::{eventually, World};

/// A bundle running `script`, with the host directory `out` of the world
/// bound read-write at /out (the root's writes stay in the sandbox).
fn bundle_with_out(w: &World, script: &str) -> std::path::PathBuf {
    let out = w.dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    w.bundle_with("b", &["sh", "-c", script], |v| {
        v["mounts"] =
            serde_json::json!([{ "destination": "/out", "type": "bind", "source": out, "options": ["rbind", "rw"] }]);
    })
}

/// What the container wrote to /out/NAME.
fn out_file(w: &World, name: &str) -> Option<String> {
    std::fs::read_to_string(w.dir.path().join("out").join(name)).ok()
}

/// The counter the bundle's loop writes.
fn counter(w: &World) -> Option<u64> {
    out_file(w, "n")?.trim().parse().ok()
}

#[test]
fn pause_freezes_every_process_until_resume() {
    let w = World::new("oci-pause");
    let b = bundle_with_out(
        &w,
        "sleep 1000 & i=0; while :; do i=$((i+1)); echo $i > /out/n.new; busybox mv /out/n.new /out/n; done",
    );
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "p1"]).ok();
    eventually("the loop counts", Duration::from_secs(20), || counter(&w).is_some_and(|n| n > 3));

    w.husk(&["pause", "p1"]).ok();
    assert_eq!(w.status("p1"), "paused");
    let frozen_at = counter(&w);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(counter(&w), frozen_at, "the loop went on while paused");
    // Its processes are still there, asleep where the freezer parked them.
    let ps = w.husk(&["ps", "p1"]).ok().stdout;
    assert!(ps.contains("sleep 1000") && ps.contains("while"), "{ps}");
    // As runc: no exec into a paused container, no second pause, no delete
    // without --force.
    let e = w.husk(&["exec", "p1", "true"]).one_line_error();
    assert!(e.stderr.contains("paused"), "{e:#?}");
    w.husk(&["pause", "p1"]).one_line_error();
    w.husk(&["delete", "p1"]).one_line_error();

    w.husk(&["resume", "p1"]).ok();
    assert_eq!(w.status("p1"), "running");
    eventually("the loop counts again", Duration::from_secs(20), || counter(&w) > frozen_at);
    w.husk(&["resume", "p1"]).one_line_error();

    // SIGKILL ends a paused container.
    w.husk(&["pause", "p1"]).ok();
    w.husk(&["kill", "p1", "KILL"]).ok();
    let o = w.husk(&["wait", "p1"]).ok();
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["exitStatus"], 137, "{v}");
    w.husk(&["delete", "p1"]).ok();
    w.husk(&["pause", "p1"]).one_line_error();
}

#[test]
fn cgroup_freeze_from_inside_pauses_the_container() {
    let w = World::new("oci-freeze-inside");
    let script = "mkdir /tmp/cg && busybox mount -t cgroup2 none /tmp/cg && echo 1 > /tmp/cg/cgroup.freeze; \
                  cat /tmp/cg/cgroup.freeze /tmp/cg/cgroup.events > /out/after; sleep 1000";
    let b = bundle_with_out(&w, script);
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "f1"]).ok();
    eventually("the container froze itself", Duration::from_secs(20), || w.status("f1") == "paused");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(out_file(&w, "after"), None, "the writer ran on while frozen");
    w.husk(&["resume", "f1"]).ok();
    eventually("the writer goes on", Duration::from_secs(20), || {
        out_file(&w, "after").is_some_and(|t| t.ends_with("frozen 0\n"))
    });
    assert_eq!(out_file(&w, "after").unwrap(), "0\npopulated 1\nfrozen 0\n");
    w.husk(&["delete", "--force", "f1"]).ok();
}

#[test]
fn update_changes_the_limits_live() {
    let w = World::new("oci-update");
    let b = w.bundle("b", &["sleep", "1000"]);
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "u1"]).ok();
    let limits = || {
        let o = w.husk(&[
            "exec",
            "u1",
            "sh",
            "-c",
            "mkdir -p /tmp/cg && busybox mount -t cgroup2 none /tmp/cg && cat /tmp/cg/memory.max /tmp/cg/pids.max",
        ]);
        o.ok().stdout
    };
    assert_eq!(limits(), "max\nmax\n");
    w.husk(&["update", "--memory", "64m", "--pids-limit", "20", "u1"]).ok();
    assert_eq!(limits(), "67108864\n20\n");
    w.husk(&["update", "--memory", "-1", "u1"]).ok();
    assert_eq!(limits(), "max\n20\n");
    // runc's --resources: a linux.resources document.
    let res = w.dir.path().join("res.json");
    std::fs::write(&res, r#"{"memory":{"limit":134217728},"pids":{"limit":-1}}"#).unwrap();
    w.husk(&["update", "-r", res.to_str().unwrap(), "u1"]).ok();
    assert_eq!(limits(), "134217728\nmax\n");
    // Bad values are one-line errors and change nothing.
    w.husk(&["update", "--memory", "1m", "u1"]).one_line_error();
    w.husk(&["update", "--pids-limit", "0", "u1"]).one_line_error();
    w.husk(&["update", "u1"]).one_line_error();
    std::fs::write(&res, "{not json").unwrap();
    w.husk(&["update", "-r", res.to_str().unwrap(), "u1"]).one_line_error();
    w.husk(&["update", "--memory", "64m", "nosuch"]).one_line_error();
    assert_eq!(limits(), "134217728\nmax\n");
    w.husk(&["delete", "--force", "u1"]).ok();
}

#[test]
fn a_vfork_parent_does_not_hold_a_pause_up() {
    let w = World::new("oci-pause-vfork");
    let b = w.bundle("b", &["/vfork_sleeper"]);
    std::fs::copy(common::c_program("vfork_sleeper"), b.join("rootfs/vfork_sleeper")).unwrap();
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "v1"]).ok();
    eventually("the child sleeps", Duration::from_secs(20), || {
        w.husk(&["ps", "v1"]).stdout.lines().filter(|l| l.contains("vfork_sleeper")).count() == 2
    });
    w.husk(&["pause", "v1"]).ok();
    assert_eq!(w.status("v1"), "paused");
    w.husk(&["resume", "v1"]).ok();
    w.husk(&["delete", "--force", "v1"]).ok();
}
