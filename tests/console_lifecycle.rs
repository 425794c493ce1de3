//! Sandboxes from the console in their other shapes: a root directory of
//! one's own, an OCI bundle, create then start, detached terminal sessions
//! attached later and recorded on demand, `kill`, and colour only on a
//! terminal.

mod common;
#[path = "common/console.rs"]
mod console;
#[path = "common/pty.rs"]
mod pty;

use console::*;

/// `run --root DIR` uses DIR as the root; `run --bundle DIR` runs the
/// bundle's process; `create` and `start` apart; `logs` keeps output.
#[test]
fn root_bundle_create_start_logs() {
    let w = World::new("console-shapes");
    let root = w.busybox_root("bbroot");
    let bundle = w.dir.path().join("bundle");
    std::fs::create_dir_all(&bundle).unwrap();
    std::os::unix::fs::symlink(&root, bundle.join("rootfs")).unwrap();
    let cfg = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": { "user": { "uid": 0, "gid": 0 }, "args": ["/bin/echo", "from-bundle"], "env": ["PATH=/bin"], "cwd": "/" },
        "root": { "path": "rootfs" },
    });
    std::fs::write(bundle.join("config.json"), cfg.to_string()).unwrap();
    let script = format!(
        "run --name r --root {root} /bin/sh -c 'echo in-root; ls /bin'\n\
         run --name b --bundle {bundle}\n\
         create --name c --root {root} /bin/sh -c 'echo created-then-started'\n\
         list\n\
         start c\n\
         wait c\n\
         logs -f c\n",
        root = root.display(),
        bundle = bundle.display()
    );
    let o = w.run(&["console", "--strict"], &script);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("in-root\nbusybox\ncat\necho\nls\nsh\nsleep\ntrue\nr: exit status 0\n"), "{o:#?}");
    assert!(o.stdout.contains("from-bundle\nb: exit status 0\n"), "{o:#?}");
    assert!(o.stdout.contains("c: created; `start c` runs it"), "{o:#?}");
    assert!(o.stdout.lines().any(|l| l.starts_with("c ") && l.contains("created")), "{o:#?}");
    assert!(o.stdout.contains("c: started pid 1"), "{o:#?}");
    assert!(o.stdout.contains("c: exit status 0\ncreated-then-started\n"), "wait, then the log: {o:#?}");

    let o = w.run(
        &["console"],
        &format!("run --bundle {} /bin/true\nrun --root /nonexistent /bin/true\nrun\n", bundle.display()),
    );
    let errs: Vec<&str> = o.stderr.lines().collect();
    assert_eq!(errs.len(), 3, "{o:#?}");
    assert!(errs[0].contains("CMD and --bundle"), "{o:#?}");
    assert!(errs[1].contains("--root /nonexistent"), "{o:#?}");
    assert!(errs[2].contains("nothing to run"), "{o:#?}");
    assert!(std::fs::read_dir(&w.state).map(|d| d.count()).unwrap_or(0) <= 1, "failed runs leave no state");
}

/// A terminal session started detached is attached later by id, recorded
/// on demand (`record ID FILE`, `record ID off`), and `kill` ends it.
#[test]
fn detached_tty_attach_record_kill() {
    let w = World::new("console-attach");
    let cast = w.dir.path().join("later.cast");
    let mut s = w.start(&[]);
    let out = cmd(&mut s, &format!("run --name t -t -d {BASH}"));
    s.check(out.contains("[1] t pid 1 (/bin/bash --norc --noprofile -i) started, detached"), "run -t -d");
    let jobs = cmd(&mut s, "jobs");
    s.check(jobs.contains("detached"), "jobs lists it");
    let out = cmd(&mut s, &format!("record t {}", cast.display()));
    s.check(out.contains("[1] recording t pid 1"), "record starts");
    s.send_line("attach t");
    s.expect("[1] attached to t pid 1");
    // What bash printed while detached is shown on attach.
    s.expect(SHELL);
    s.send_line("echo rec$((40+2))");
    s.expect("rec42\r\n");
    s.expect(SHELL);
    s.send("\x10\x11");
    s.expect("detached from t pid 1");
    s.expect(CONSOLE);
    let out = cmd(&mut s, "record t off");
    s.check(out.contains(&format!("stopped recording to {}", cast.display())), "record off");
    let out = cmd(&mut s, "record t off");
    s.check(out.contains("error: session [1] is not being recorded"), "off twice");
    let out = cmd(&mut s, "attach nope");
    s.check(out.contains("error: container \"nope\" does not exist"), "unknown id");
    let out = cmd(&mut s, "kill t");
    s.check(out.contains("sent SIGKILL to every process of t"), "kill");
    s.send_line("wait t");
    s.expect("t: killed by SIGKILL (status 137)");
    s.send_line("exit");
    assert_eq!(s.wait_exit(), 0);

    let text = std::fs::read_to_string(&cast).expect("the recording");
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(
        (header["version"].as_u64(), header["width"].as_u64(), header["height"].as_u64()),
        (Some(2), Some(100), Some(30))
    );
    let output: String = lines
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e[1] == "o")
        .map(|e| e[2].as_str().unwrap().to_string())
        .collect();
    assert!(output.contains("rec42"), "{output:?}");
    assert!(!output.contains("detached from"), "the console's own messages are not the session's: {output:?}");
}

/// Colour on a terminal without NO_COLOR; none when stdout is a file.
#[test]
fn colour_only_on_a_terminal() {
    let w = World::new("console-colour");
    let mut s = w.start_in_colour(&[]);
    cmd(&mut s, "run --name a -d /bin/sh");
    let list = cmd(&mut s, "list");
    s.check(list.contains("\x1b[32mrunning\x1b[0m"), "running in green");
    let out = cmd(&mut s, "wait nope");
    s.check(out.contains("\x1b[31merror\x1b[0m: container"), "errors in red");
    cmd(&mut s, "destroy a");
    s.send_line("exit");
    assert_eq!(s.wait_exit(), 0);

    let o = w.run(&["console"], "list\nwait nope\n");
    assert!(!o.stdout.contains('\x1b') && !o.stderr.contains('\x1b'), "{o:#?}");
}

/// A hang-up (the console's terminal went away) or SIGTERM ends the
/// console as it ends an interactive shell's jobs: the sandboxes it
/// started are destroyed, detached or attached, its terminal is put back
/// to how it found it, and it exits 128+N; with `--keep` they stay.
#[test]
fn hangup_and_term_destroy_what_the_console_started() {
    let w = World::new("console-hangup");
    let mut s = w.start(&[]);
    cmd(&mut s, "run -d --name h1 -- /bin/sleep 1000");
    // A second one in the foreground: the console is attached to it.
    s.send_line("run --name h2 -- /bin/sleep 1000");
    eventually("h2 to start", || w.state_json("h2").is_some_and(|v| v["sandbox_pid"].as_i64().is_some()));
    let (p1, p2) = (w.sandbox_pid("h1"), w.sandbox_pid("h2"));
    assert!(alive(p1) && alive(p2), "both sandboxes run");
    s.signal(libc::SIGHUP);
    assert_eq!(s.wait_exit(), 128 + libc::SIGHUP, "the console's status after SIGHUP");
    eventually("both sandboxes to end", || !alive(p1) && !alive(p2));
    assert!(w.state_json("h1").is_none() && w.state_json("h2").is_none(), "their state is gone");

    let mut s = w.start(&[]);
    cmd(&mut s, "run -d --name t1 -- /bin/sleep 1000");
    let p = w.sandbox_pid("t1");
    s.signal(libc::SIGTERM);
    assert_eq!(s.wait_exit(), 128 + libc::SIGTERM, "the console's status after SIGTERM");
    assert!(s.outer_is_cooked(), "the console left its terminal in raw mode");
    eventually("t1 to end", || !alive(p));

    // Attached to a terminal session (raw mode): the session's own restore
    // must not exit before the sandbox is destroyed.
    let mut s = w.start(&[]);
    s.send_line("run -t --name a1 -- /bin/sleep 1000");
    eventually("a1 to start", || w.state_json("a1").is_some_and(|v| v["sandbox_pid"].as_i64().is_some()));
    let p = w.sandbox_pid("a1");
    s.wait_raw();
    s.signal(libc::SIGTERM);
    assert_eq!(s.wait_exit(), 128 + libc::SIGTERM, "the attached console's status after SIGTERM");
    assert!(s.outer_is_cooked(), "the attached console left its terminal in raw mode");
    eventually("a1 to end", || !alive(p));

    let mut s = w.start(&["console", "--keep"]);
    cmd(&mut s, "run -d --name k1 -- /bin/sleep 1000");
    let p = w.sandbox_pid("k1");
    s.signal(libc::SIGTERM);
    assert_eq!(s.wait_exit(), 128 + libc::SIGTERM);
    assert!(alive(p), "--keep keeps the sandbox past SIGTERM");
    assert!(w.state_json("k1").is_some());
}
