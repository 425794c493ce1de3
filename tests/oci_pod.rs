//! Two containers in one sandbox (a pod): created with `--sandbox`, each
//! with its own processes, signals and waits kept to their own container.
//!
//! Each container has its own PID namespace by default (its init is pid 1
//! there; `ps`, busybox `ps` inside, exec'd pids and `kill --pid` all use
//! that namespace's numbers); a container whose spec names another's
//! `/proc/<initPid>/ns/pid` (or the sandbox process's) shares its
//! namespace.

mod common;
mod oci_support;

use std::time::Duration;

use oci_support::{eventually, session_members, World};

fn ps(w: &World, id: &str) -> Vec<(i64, String)> {
    let v: serde_json::Value = serde_json::from_str(&w.husk(&["ps", "--format", "json", id]).ok().stdout).unwrap();
    let mut rows: Vec<(i64, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["pid"].as_i64().unwrap(), p["cmd"].as_str().unwrap().to_string()))
        .collect();
    rows.sort();
    rows
}

/// The state letter `ps` shows for pid `pid` of container `id`.
fn state_of(w: &World, id: &str, pid: i64) -> String {
    let v: serde_json::Value = serde_json::from_str(&w.husk(&["ps", "--format", "json", id]).ok().stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|p| p["pid"] == pid)
        .map(|p| p["state"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// What busybox `ps` run by `exec` in container `id` lists: (pid, command)
/// of every process but the `ps` itself and its shell.
fn ps_inside(w: &World, id: &str) -> Vec<(i64, String)> {
    let o = w.husk(&["exec", id, "sh", "-c", "ps -o pid,args"]);
    assert_eq!(o.code, 0, "{o:#?}");
    let mut rows: Vec<(i64, String)> = o
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| {
            let l = l.trim();
            let (pid, cmd) = l.split_once(' ')?;
            Some((pid.parse().ok()?, cmd.trim().to_string()))
        })
        .filter(|(_, c)| !c.contains("ps -o pid,args"))
        .collect();
    rows.sort();
    rows
}

#[test]
fn two_containers_in_one_sandbox() {
    let w = World::new("oci-pod");
    let root = w.bundle("root", &["sleep", "1000"]);
    // The second container shares the sandbox's root file system; its spec
    // asks for a PID namespace of its own (as the default spec does).
    let b2 = w.bundle_with("b2", &["sh", "-c", "sleep 1001 & sleep 1002"], |v| {
        v["root"]["path"] = serde_json::json!(root.join("rootfs"));
        v["hostname"] = serde_json::json!("box2");
    });
    w.husk(&["create", "-b", root.to_str().unwrap(), "pod"]).ok();
    w.husk(&["start", "pod"]).ok();
    w.husk(&["create", "--sandbox", "pod", "-b", b2.to_str().unwrap(), "c2"]).ok();
    assert_eq!(w.status("c2"), "created");
    assert_eq!(w.state("c2")["sandboxId"], "pod");
    assert_eq!(w.state("c2")["pid"], w.state("pod")["pid"]);
    w.husk(&["start", "c2"]).ok();
    assert_eq!(w.status("c2"), "running");

    // Each init is pid 1 of its own namespace; the shell's background job
    // is 2 (the shell itself became `sleep 1002` by exec).
    eventually("c2's processes run", Duration::from_secs(20), || ps(&w, "c2").len() == 2);
    assert_eq!(ps(&w, "pod"), vec![(1, "sleep 1000".to_string())]);
    assert_eq!(ps(&w, "c2"), vec![(1, "sleep 1002".to_string()), (2, "sleep 1001".to_string())]);
    // The state's initPid is the init's pid in the sandbox's root namespace.
    assert_eq!(w.state("pod")["initPid"], 1);
    let c2_root_pid = w.state("c2")["initPid"].as_i64().unwrap();
    assert!(c2_root_pid > 1, "{c2_root_pid}");
    assert!(w.state("c2")["pidNamespace"].as_str().unwrap().starts_with("pid:["));
    assert_ne!(w.state("c2")["pidNamespace"], w.state("pod")["pidNamespace"]);

    // Inside, each container sees only its own processes.
    assert_eq!(ps_inside(&w, "pod"), vec![(1, "sleep 1000".to_string())]);
    assert_eq!(ps_inside(&w, "c2"), vec![(1, "sleep 1002".to_string()), (2, "sleep 1001".to_string())]);
    let o = w.husk(&["exec", "c2", "sh", "-c", "echo $$ $PPID; cat /proc/1/cmdline | tr '\\0' ' '; echo"]);
    assert_eq!(o.code, 0, "{o:#?}");
    let mut lines = o.stdout.lines();
    let me = lines.next().unwrap_or_default().to_string();
    assert!(me.ends_with(" 0") && me.split(' ').next().unwrap().parse::<i64>().unwrap() > 2, "{o:#?}");
    assert_eq!(lines.next(), Some("sleep 1002 "), "{o:#?}");

    // An exec'd pid is a number of the container's namespace.
    let epid = w.dir.join("epid");
    w.husk(&["exec", "-d", "--sandbox-pid-file", epid.as_str(), "c2", "sleep", "1003"]).ok();
    let epid: i64 = std::fs::read_to_string(&epid).unwrap().trim().parse().unwrap();
    eventually("the exec'd sleep shows in ps", Duration::from_secs(20), || {
        ps(&w, "c2").contains(&(epid, "sleep 1003".to_string()))
    });
    assert!(epid > 2 && epid < 20, "{epid}");
    // That number means nothing in the pod's namespace.
    let o = w.husk(&["kill", "--pid", &epid.to_string(), "pod", "KILL"]).one_line_error();
    assert!(o.stderr.contains("no such process"), "{o:#?}");
    w.husk(&["wait", "--pid", "99", "c2"]).one_line_error();
    w.husk(&["kill", "--pid", &epid.to_string(), "c2", "KILL"]).ok();
    let o = w.husk(&["wait", "--pid", &epid.to_string(), "c2"]).ok();
    assert!(o.stdout.contains("\"exitStatus\":137"), "{o:#?}");

    // kill -KILL -1 inside c2 reaches everything there but its init (the
    // background job stays a zombie: its parent, the init, never waits);
    // the pod's process is out of its reach.
    let o = w.husk(&["exec", "c2", "sh", "-c", "kill -KILL -1; echo survived"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "survived\n"), "{o:#?}");
    eventually("c2's background job is dead", Duration::from_secs(20), || state_of(&w, "c2", 2) == "Z");
    assert_eq!(state_of(&w, "c2", 1), "S");
    assert_eq!(ps(&w, "pod"), vec![(1, "sleep 1000".to_string())]);

    // An exec into c2 belongs to c2 only, with c2's host name (a UTS
    // namespace of its own).
    let o = w.husk(&["exec", "c2", "sh", "-c", "echo hi from $(hostname)"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "hi from box2\n"), "{o:#?}");
    let o = w.husk(&["exec", "pod", "hostname"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "box\n"), "{o:#?}");

    // Killing all of c2 leaves the pod's root container alone.
    w.husk(&["kill", "--all", "c2", "KILL"]).ok();
    let o = w.husk(&["wait", "c2"]).ok();
    assert!(o.stdout.contains("\"exitStatus\":137"), "{o:#?}");
    assert_eq!(w.status("c2"), "stopped");
    assert_eq!(w.status("pod"), "running");
    assert_eq!(ps(&w, "pod"), vec![(1, "sleep 1000".to_string())]);
    eventually("c2 has no processes left", Duration::from_secs(20), || ps(&w, "c2").is_empty());
    w.husk(&["delete", "c2"]).ok();
    assert_eq!(w.ids(), vec!["pod".to_string()]);

    // A container with another root file system is refused (one mount
    // namespace per sandbox), leaving nothing behind.
    let other = w.bundle("other", &["true"]);
    let o = w.husk(&["create", "--sandbox", "pod", "-b", other.to_str().unwrap(), "c3"]).one_line_error();
    assert!(o.stderr.contains("root"), "{o:#?}");
    assert_eq!(w.ids(), vec!["pod".to_string()]);

    // Deleting the sandbox's root container takes the pod down.
    w.husk(&["create", "--sandbox", "pod", "-b", b2.to_str().unwrap(), "c4"]).ok();
    w.husk(&["start", "c4"]).ok();
    let spid = w.sandbox_pid("pod");
    w.husk(&["delete", "--force", "pod"]).ok();
    assert!(w.ids().is_empty(), "{:?}", w.ids());
    eventually("nothing of the pod is left", Duration::from_secs(20), || session_members(spid).is_empty());
}

#[test]
fn a_container_naming_anothers_namespace_shares_it() {
    let w = World::new("oci-pod-share");
    let root = w.bundle("root", &["sleep", "1000"]);
    w.husk(&["run", "-d", "-b", root.to_str().unwrap(), "p"]).ok();
    let init = w.state("p")["initPid"].as_i64().unwrap();
    let path = format!("/proc/{init}/ns/pid");
    let b2 = w.bundle_with("b2", &["sleep", "1001"], |v| {
        v["root"]["path"] = serde_json::json!(root.join("rootfs"));
        v["linux"]["namespaces"] = serde_json::json!([{ "type": "pid", "path": path }]);
    });
    // As a pod's containers name their sandbox: by the sandbox process.
    let spid = w.sandbox_pid("p");
    let b3 = w.bundle_with("b3", &["sleep", "1002"], |v| {
        v["root"]["path"] = serde_json::json!(root.join("rootfs"));
        v["linux"]["namespaces"] = serde_json::json!([{ "type": "pid", "path": format!("/proc/{spid}/ns/pid") }]);
    });
    w.husk(&["create", "--sandbox", "p", "-b", b2.to_str().unwrap(), "s2"]).ok();
    w.husk(&["start", "s2"]).ok();
    w.husk(&["create", "--sandbox", "p", "-b", b3.to_str().unwrap(), "s3"]).ok();
    w.husk(&["start", "s3"]).ok();
    assert_eq!(w.state("s2")["pidNamespace"], w.state("p")["pidNamespace"]);
    assert_eq!(w.state("s3")["pidNamespace"], w.state("p")["pidNamespace"]);

    // One namespace: the joiners' inits are not pid 1 there, and everyone
    // inside sees all three.
    eventually("both joiners run", Duration::from_secs(20), || ps(&w, "s2").len() == 1 && ps(&w, "s3").len() == 1);
    assert_eq!(ps(&w, "p"), vec![(1, "sleep 1000".to_string())]);
    let (s2_pid, _) = ps(&w, "s2")[0].clone();
    let (s3_pid, _) = ps(&w, "s3")[0].clone();
    assert!(s2_pid > 1 && s3_pid > 1 && s2_pid != s3_pid, "{s2_pid} {s3_pid}");
    let want =
        vec![(1, "sleep 1000".to_string()), (s2_pid, "sleep 1001".to_string()), (s3_pid, "sleep 1002".to_string())];
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(ps_inside(&w, "s2"), want_sorted);
    assert_eq!(ps_inside(&w, "p"), want_sorted);

    // Shown in the namespace, but another container's: refused.
    let o = w.husk(&["kill", "--pid", "1", "s2", "KILL"]).one_line_error();
    assert!(o.stderr.contains("different container"), "{o:#?}");
    let o = w.husk(&["wait", "--pid", &s3_pid.to_string(), "s2"]).one_line_error();
    assert!(o.stderr.contains("different container"), "{o:#?}");

    // A signal to one container never reaches the others.
    w.husk(&["kill", "--all", "s2", "KILL"]).ok();
    let o = w.husk(&["wait", "s2"]).ok();
    assert!(o.stdout.contains("\"exitStatus\":137"), "{o:#?}");
    assert_eq!(w.status("p"), "running");
    assert_eq!(w.status("s3"), "running");
    assert_eq!(ps(&w, "p"), vec![(1, "sleep 1000".to_string())]);
    assert_eq!(ps(&w, "s3"), vec![(s3_pid, "sleep 1002".to_string())]);
    w.husk(&["delete", "-f", "p"]).ok();
}

#[test]
fn the_second_containers_init_ends_its_container() {
    let w = World::new("oci-pod-init");
    let root = w.bundle("root", &["sleep", "1000"]);
    let b2 = w.bundle_with("b2", &["sh", "-c", "sleep 1000 & exit 3"], |v| {
        v["root"]["path"] = serde_json::json!(root.join("rootfs"));
    });
    w.husk(&["run", "-d", "-b", root.to_str().unwrap(), "p"]).ok();
    w.husk(&["create", "--sandbox", "p", "-b", b2.to_str().unwrap(), "q"]).ok();
    w.husk(&["start", "q"]).ok();
    let o = w.husk(&["wait", "q"]).ok();
    assert!(o.stdout.contains("\"exitStatus\":3"), "{o:#?}");
    // Its background child dies with it, as in a PID namespace.
    eventually("q has no processes left", Duration::from_secs(20), || ps(&w, "q").is_empty());
    assert_eq!(w.status("p"), "running");
    w.husk(&["delete", "-f", "p"]).ok();
}

/// A container's init is its namespace's init: SIGTERM and SIGKILL from a
/// process inside do nothing to it (it has no handler), while the
/// runtime's `kill` ends it with the signal it sends.
#[test]
fn a_containers_init_is_protected_from_inside_only() {
    let w = World::new("oci-pod-initsig");
    let root = w.bundle("root", &["sleep", "1000"]);
    w.husk(&["run", "-d", "-b", root.to_str().unwrap(), "p"]).ok();
    let o = w.husk(&["exec", "p", "sh", "-c", "kill -TERM 1; kill -KILL 1; kill -STOP 1; echo sent"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "sent\n"), "{o:#?}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(w.status("p"), "running");
    assert_eq!(state_of(&w, "p", 1), "S");
    w.husk(&["kill", "p", "TERM"]).ok();
    let o = w.husk(&["wait", "p"]).ok();
    assert!(o.stdout.contains("\"exitStatus\":143"), "{o:#?}");
    w.husk(&["delete", "-f", "p"]).ok();
}
