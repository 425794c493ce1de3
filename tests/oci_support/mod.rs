//! Helpers for the runtime (OCI) tests: busybox bundles, a private state
//! directory per test, `husk --root STATE ...` with a bounded wait and its
//! output in files (a sandbox process may keep the caller's stdio open
//! long after `husk create` returned, so pipes would never see EOF), and
//! clean-up that leaves no sandbox process behind.

#![allow(dead_code)]

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{base_env, husk_bin, require_busybox, ScratchDir, BUSYBOX};

/// Applets linked into test bundles.
const APPLETS: &[&str] = &[
    "sh", "echo", "cat", "sleep", "ls", "ps", "id", "hostname", "true", "false", "kill", "tty", "wc", "head", "env",
    "pwd", "stat", "mkdir", "rm", "touch", "test", "[", "grep", "sed", "tr",
];

/// What one `husk` run printed and how it ended.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Panics unless it exited 0.
    pub fn ok(self) -> Out {
        assert_eq!(self.code, 0, "expected success:\n{self:#?}");
        self
    }

    /// Panics unless it failed with a single-line error on stderr.
    pub fn one_line_error(self) -> Out {
        assert_ne!(self.code, 0, "expected a failure:\n{self:#?}");
        let lines: Vec<&str> = self.stderr.lines().filter(|l| !l.contains("warning")).collect();
        assert_eq!(lines.len(), 1, "expected one line of error:\n{self:#?}");
        assert!(lines[0].starts_with("husk: "), "{self:#?}");
        self
    }
}

/// A test's world: a state directory (`--root`) and a place for bundles.
pub struct World {
    pub dir: ScratchDir,
    pub state: PathBuf,
}

impl World {
    pub fn new(what: &str) -> World {
        require_busybox();
        let dir = ScratchDir::new(what);
        let state = dir.path().join("state");
        World { dir, state }
    }

    /// A busybox bundle `name` whose process runs `args`.
    pub fn bundle(&self, name: &str, args: &[&str]) -> PathBuf {
        self.bundle_with(name, args, |_| {})
    }

    /// Like `bundle`, with a chance to change the config before it is written.
    pub fn bundle_with(&self, name: &str, args: &[&str], change: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
        let b = self.dir.path().join(name);
        let bin = b.join("rootfs/bin");
        fs::create_dir_all(&bin).unwrap();
        fs::create_dir_all(b.join("rootfs/tmp")).unwrap();
        fs::copy(BUSYBOX, bin.join("busybox")).unwrap();
        for a in APPLETS {
            let _ = std::os::unix::fs::symlink("busybox", bin.join(a));
        }
        let mut cfg = serde_json::json!({
            "ociVersion": "1.0.2",
            "process": {
                "terminal": false,
                "user": { "uid": 0, "gid": 0 },
                "args": args,
                "env": ["PATH=/bin", "HOME=/"],
                "cwd": "/"
            },
            "root": { "path": "rootfs" },
            "hostname": "box",
            "annotations": { "org.husk.test": name },
            "linux": { "namespaces": [{ "type": "pid" }, { "type": "mount" }] }
        });
        change(&mut cfg);
        fs::write(b.join("config.json"), serde_json::to_string_pretty(&cfg).unwrap()).unwrap();
        b
    }

    /// `husk --root STATE ARGS...` with stdin from /dev/null.
    pub fn husk(&self, args: &[&str]) -> Out {
        self.husk_in(args, Duration::from_secs(60))
    }

    /// Like `husk`, with a time limit.
    pub fn husk_in(&self, args: &[&str], limit: Duration) -> Out {
        let mut full = vec!["--root", self.state.to_str().unwrap()];
        full.extend_from_slice(args);
        run_bounded(&full, limit)
    }

    /// The parsed `husk state ID`.
    pub fn state(&self, id: &str) -> serde_json::Value {
        let o = self.husk(&["state", id]).ok();
        serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("state JSON: {e}: {}", o.stdout))
    }

    /// Status of `id` per `state`, and per `list --format json`; they must
    /// agree. (A container may change state between the two reads: then
    /// the pair is read again.)
    pub fn status(&self, id: &str) -> String {
        for _ in 0..10 {
            let before = self.state(id)["status"].as_str().unwrap().to_string();
            let from_list = self.list_status(id);
            let after = self.state(id)["status"].as_str().unwrap().to_string();
            if before == after {
                assert_eq!(before, from_list, "state and list disagree about {id}");
                return before;
            }
        }
        panic!("{id} keeps changing state");
    }

    fn list_status(&self, id: &str) -> String {
        let list: serde_json::Value =
            serde_json::from_str(&self.husk(&["list", "--format", "json"]).ok().stdout).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["status"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{id} missing from list: {list}"))
    }

    /// Ids in `list -q`.
    pub fn ids(&self) -> Vec<String> {
        self.husk(&["list", "-q"]).ok().stdout.lines().map(str::to_string).collect()
    }

    /// The host pid of the sandbox of `id` (from `state`).
    pub fn sandbox_pid(&self, id: &str) -> i32 {
        self.state(id)["pid"].as_i64().unwrap() as i32
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // Kill whatever sandbox a failed test left.
        if let Ok(dir) = fs::read_dir(&self.state) {
            for e in dir.flatten() {
                if let Ok(text) = fs::read_to_string(e.path().join("state.json")) {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                        if let Some(pid) = v["sandbox_pid"].as_i64() {
                            if process_alive(pid as i32) && comm(pid as i32).as_deref() == Some("husk") {
                                // SAFETY: SIGKILL of a sandbox this test started.
                                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Runs `husk ARGS` with output to files and a bounded wait.
pub fn run_bounded(args: &[&str], limit: Duration) -> Out {
    let out = tempfile("out");
    let err = tempfile("err");
    let mut cmd = Command::new(husk_bin());
    cmd.args(args)
        .env_clear()
        .envs(base_env())
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap())
        .process_group(0);
    let mut child = cmd.spawn().expect("start husk");
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "husk {} did not finish within {limit:?}\nstdout: {}\nstderr: {}",
                args.join(" "),
                fs::read_to_string(&out).unwrap_or_default(),
                fs::read_to_string(&err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    use std::os::unix::process::ExitStatusExt;
    let code = status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    let o = Out {
        code,
        stdout: fs::read_to_string(&out).unwrap_or_default(),
        stderr: fs::read_to_string(&err).unwrap_or_default(),
    };
    let _ = fs::remove_file(out);
    let _ = fs::remove_file(err);
    o
}

fn tempfile(what: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("husk-oci-io");
    fs::create_dir_all(&dir).unwrap();
    dir.join(crate::common::unique_tag(what))
}

/// Whether host process `pid` exists and is not a zombie.
pub fn process_alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => {
            let state = s.rfind(')').and_then(|i| s[i + 1..].split_whitespace().next().map(str::to_string));
            !matches!(state.as_deref(), Some("Z") | Some("X") | None)
        }
        Err(_) => false,
    }
}

/// The command name of host process `pid`.
pub fn comm(pid: i32) -> Option<String> {
    fs::read_to_string(format!("/proc/{pid}/comm")).ok().map(|s| s.trim().to_string())
}

/// Live host processes in session `sid` (a sandbox process and its stubs
/// share the session the sandbox process started).
pub fn session_members(sid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let Some(i) = stat.rfind(')') else { continue };
        let f: Vec<&str> = stat[i + 1..].split_whitespace().collect();
        // state ppid pgrp session
        if f.len() > 3 && f[3].parse::<i32>().ok() == Some(sid) && f[0] != "Z" && f[0] != "X" {
            out.push(pid);
        }
    }
    out
}

/// Waits (bounded) until `f` holds.
pub fn eventually(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A line of a `/proc/<pid>/status` file.
pub fn proc_status_field(pid: i32, field: &str) -> Option<String> {
    let s = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| l.strip_prefix(&format!("{field}:")).map(|v| v.trim().to_string()))
}
