//! Bad input to the runtime CLI: each mistake is a one-line error with a
//! non-zero exit, and nothing is left half-created (no state, no process).

mod common;
mod oci_support;

use std::time::Duration;

use oci_support::{eventually, World};

/// No container in the state directory and no sandbox process of ours.
fn assert_nothing_left(w: &World) {
    assert!(w.ids().is_empty(), "left: {:?}", w.ids());
    if let Ok(dir) = std::fs::read_dir(&w.state) {
        let left: Vec<_> = dir.flatten().map(|e| e.file_name()).collect();
        assert!(left.is_empty(), "state directory not empty: {left:?}");
    }
}

#[test]
fn a_malformed_config_is_one_line_and_leaves_nothing() {
    let w = World::new("oci-err-json");
    let b = w.bundle("b", &["true"]);
    std::fs::write(b.join("config.json"), "{ \"ociVersion\": \"1.0.2\", ").unwrap();
    let o = w.husk(&["create", "-b", b.to_str().unwrap(), "x"]).one_line_error();
    assert!(o.stderr.contains("malformed JSON"), "{o:#?}");
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "x"]).one_line_error();
    assert!(o.stderr.contains("config.json"), "{o:#?}");
    assert_nothing_left(&w);
}

#[test]
fn a_schema_invalid_config_is_one_line_and_leaves_nothing() {
    let w = World::new("oci-err-schema");
    let b = w.bundle_with("b", &["true"], |v| v["process"]["args"] = serde_json::json!("not a list"));
    let o = w.husk(&["create", "-b", b.to_str().unwrap(), "x"]).one_line_error();
    assert!(o.stderr.contains("schema"), "{o:#?}");
    let b = w.bundle_with("b2", &["true"], |v| v["process"]["cwd"] = serde_json::json!("relative"));
    w.husk(&["create", "-b", b.to_str().unwrap(), "x"]).one_line_error();
    let b = w.bundle_with("b3", &["true"], |v| v["process"]["args"] = serde_json::json!([]));
    w.husk(&["run", "-b", b.to_str().unwrap(), "x"]).one_line_error();
    assert_nothing_left(&w);
}

#[test]
fn a_missing_root_is_one_line_and_leaves_nothing() {
    let w = World::new("oci-err-root");
    let b = w.bundle_with("b", &["true"], |v| v["root"]["path"] = serde_json::json!("no-such-rootfs"));
    let o = w.husk(&["create", "-b", b.to_str().unwrap(), "x"]).one_line_error();
    assert!(o.stderr.contains("no-such-rootfs"), "{o:#?}");
    let b = w.bundle_with("b2", &["true"], |v| {
        v.as_object_mut().unwrap().remove("root");
    });
    w.husk(&["create", "-b", b.to_str().unwrap(), "x"]).one_line_error();
    // A missing bundle altogether.
    w.husk(&["create", "-b", w.dir.join("nowhere").as_str(), "x"]).one_line_error();
    assert_nothing_left(&w);
}

#[test]
fn a_program_that_does_not_exist_leaves_nothing_running() {
    let w = World::new("oci-err-noprog");
    let b = w.bundle("b", &["no-such-program"]);
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "x"]);
    assert_ne!(o.code, 0, "{o:#?}");
    assert!(o.stderr.contains("no-such-program"), "{o:#?}");
    assert_nothing_left(&w);
}

#[test]
fn unknown_container_ids_are_one_line_errors() {
    let w = World::new("oci-err-unknown");
    for args in [
        &["start", "nope"][..],
        &["state", "nope"],
        &["kill", "nope", "KILL"],
        &["wait", "nope"],
        &["ps", "nope"],
        &["exec", "nope", "true"],
        &["delete", "nope"],
        &["events", "--stats", "nope"],
        &["state", "../etc"],
        &["create", "-b", "/tmp", "bad/id"],
    ] {
        let o = w.husk(args).one_line_error();
        assert!(o.code != 0, "{args:?}");
    }
    assert_nothing_left(&w);
}

#[test]
fn a_duplicate_id_is_refused_and_the_first_container_is_untouched() {
    let w = World::new("oci-err-dup");
    let b = w.bundle("b", &["sleep", "1000"]);
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "dup"]).ok();
    let spid = w.sandbox_pid("dup");
    let o = w.husk(&["create", "-b", b.to_str().unwrap(), "dup"]).one_line_error();
    assert!(o.stderr.contains("already exists"), "{o:#?}");
    let o = w.husk(&["create", "--sandbox", "dup", "-b", b.to_str().unwrap(), "dup"]).one_line_error();
    assert!(o.stderr.contains("already exists"), "{o:#?}");
    assert_eq!(w.status("dup"), "running");
    assert_eq!(w.sandbox_pid("dup"), spid);
    w.husk(&["delete", "-f", "dup"]).ok();
    assert_nothing_left(&w);
}

#[test]
fn bad_signals_and_all_with_a_pid_are_one_line_errors() {
    let w = World::new("oci-err-sig");
    let b = w.bundle("b", &["sleep", "1000"]);
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "s"]).ok();
    for sig in ["SIGFOO", "NOPE", "0", "65", "RTMIN+99"] {
        let o = w.husk(&["kill", "s", sig]).one_line_error();
        assert!(o.stderr.contains("signal"), "{sig}: {o:#?}");
    }
    let o = w.husk(&["kill", "--all", "--pid", "1", "s", "KILL"]).one_line_error();
    assert!(o.stderr.contains("--all"), "{o:#?}");
    // A pid that is not in the container.
    w.husk(&["kill", "--pid", "999", "s", "KILL"]).one_line_error();
    w.husk(&["wait", "--pid", "999", "s"]).one_line_error();
    // None of it touched the container.
    assert_eq!(w.status("s"), "running");
    w.husk(&["kill", "s", "KILL"]).ok();
    eventually("it stops", Duration::from_secs(20), || w.status("s") == "stopped");
    w.husk(&["delete", "s"]).ok();
    assert_nothing_left(&w);
}

#[test]
fn a_terminal_without_a_console_socket_is_refused_for_create() {
    let w = World::new("oci-err-tty");
    let b = w.bundle_with("b", &["true"], |v| v["process"]["terminal"] = serde_json::json!(true));
    let o = w.husk(&["create", "-b", b.to_str().unwrap(), "t"]).one_line_error();
    assert!(o.stderr.contains("console-socket"), "{o:#?}");
    assert_nothing_left(&w);
}

#[test]
fn unsupported_fields_are_warned_about_once() {
    let w = World::new("oci-warn");
    let b = w.bundle_with("b", &["true"], |v| {
        v["linux"]["maskedPaths"] = serde_json::json!(["/proc/kcore"]);
        v["linux"]["namespaces"] = serde_json::json!([{ "type": "user" }, { "type": "pid" }]);
        v["process"]["apparmorProfile"] = serde_json::json!("x");
    });
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "w"]);
    assert_eq!(o.code, 0, "{o:#?}");
    for want in ["linux.maskedPaths", "user namespace", "process.apparmorProfile"] {
        assert_eq!(o.stderr.matches(want).count(), 1, "{want}: {o:#?}");
    }
}

#[test]
fn a_pid_file_that_cannot_be_written_leaves_nothing() {
    let w = World::new("oci-err-pidfile");
    let b = w.bundle("b", &["sleep", "1000"]);
    let bad = w.dir.join("no/such/dir/pid");
    let o = w.husk(&["create", "--pid-file", &bad, "-b", b.to_str().unwrap(), "pf"]).one_line_error();
    assert!(o.stderr.contains("pid file"), "{o:#?}");
    assert_nothing_left(&w);
}
