//! Two containers in one sandbox (a pod): created with `--sandbox`, each
//! with its own processes, signals and waits kept to their own container.
//!
//! PID namespaces are not in the kernel yet: pids are sandbox-global, so
//! the second container's init is not pid 1. The tests check what the
//! container table guarantees (process sets, refusals), not pid numbers.

mod common;
mod oci_support;

use std::time::Duration;

use oci_support::{eventually, session_members, World};

fn ps(w: &World, id: &str) -> Vec<(i64, String)> {
    let v: serde_json::Value = serde_json::from_str(&w.husk(&["ps", "--format", "json", id]).ok().stdout).unwrap();
    v.as_array().unwrap().iter().map(|p| (p["pid"].as_i64().unwrap(), p["cmd"].as_str().unwrap().to_string())).collect()
}

#[test]
fn two_containers_in_one_sandbox() {
    let w = World::new("oci-pod");
    let root = w.bundle("root", &["sleep", "1000"]);
    // The second container shares the sandbox's root file system.
    let b2 = w.bundle_with("b2", &["sh", "-c", "sleep 1001 & sleep 1002"], |v| {
        v["root"]["path"] = serde_json::json!(root.join("rootfs"));
        v["linux"]["namespaces"] = serde_json::json!([{ "type": "pid", "path": "/proc/1/ns/pid" }]);
    });
    w.husk(&["create", "-b", root.to_str().unwrap(), "pod"]).ok();
    w.husk(&["start", "pod"]).ok();
    w.husk(&["create", "--sandbox", "pod", "-b", b2.to_str().unwrap(), "c2"]).ok();
    assert_eq!(w.status("c2"), "created");
    assert_eq!(w.state("c2")["sandboxId"], "pod");
    assert_eq!(w.state("c2")["pid"], w.state("pod")["pid"]);
    w.husk(&["start", "c2"]).ok();
    assert_eq!(w.status("c2"), "running");

    eventually("c2's processes run", Duration::from_secs(20), || ps(&w, "c2").iter().any(|(_, c)| c == "sleep 1001"));
    let pod = ps(&w, "pod");
    let c2 = ps(&w, "c2");
    assert_eq!(pod, vec![(1, "sleep 1000".to_string())]);
    assert!(c2.iter().any(|(_, c)| c == "sleep 1001"), "{c2:?}");
    let c2_init = w.state("c2")["initPid"].as_i64().unwrap();
    assert!(c2_init > 1, "pids are sandbox-global: {c2_init}");

    // An exec into c2 belongs to c2 only.
    let o = w.husk(&["exec", "c2", "sh", "-c", "echo hi from c2"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "hi from c2\n"), "{o:#?}");

    // A pid of one container is refused through the other.
    let sleeper = c2.iter().find(|(_, c)| c == "sleep 1001").unwrap().0.to_string();
    let o = w.husk(&["kill", "--pid", &sleeper, "pod", "KILL"]).one_line_error();
    assert!(o.stderr.contains("no such process") || o.stderr.contains("different container"), "{o:#?}");
    w.husk(&["wait", "--pid", "1", "c2"]).one_line_error();

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
