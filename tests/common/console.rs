//! Helpers for the console tests: a private state directory (`--root`)
//! and history directory per test, the console started in a real host pty
//! (CI has no terminal) or run on a script with its output in files, and
//! clean-up that leaves no sandbox process behind.
//!
//! Include it after the helpers it uses:
//! `mod common;`, `#[path = "common/pty.rs"] mod pty;`,
//! `#[path = "common/console.rs"] mod console;`.

#![allow(dead_code)]

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{base_env, husk_bin, require_busybox, ScratchDir};
use crate::pty::PtySession;

/// The console's prompt.
pub const CONSOLE: &str = "husk> ";
/// The prompt of the shells the tests run inside sandboxes.
pub const SHELL: &str = "husk-tty$ ";
/// `exec` options and command for an interactive bash with [`SHELL`] as
/// its prompt and no rc files.
pub const BASH: &str = "-e 'PS1=husk-tty$ ' -e HISTFILE=/dev/null /bin/bash --norc --noprofile -i";

/// What one console run printed and how it ended.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A test's world: a state directory and a home for the history.
pub struct World {
    pub dir: ScratchDir,
    pub state: PathBuf,
    pub xdg: PathBuf,
}

impl World {
    pub fn new(what: &str) -> World {
        require_busybox();
        let dir = ScratchDir::new(what);
        let state = dir.path().join("state");
        let xdg = dir.path().join("xdg");
        World { dir, state, xdg }
    }

    /// The environment of the console: no colour, its own history.
    fn env(&self) -> Vec<(String, String)> {
        vec![("NO_COLOR".into(), "1".into()), ("XDG_STATE_HOME".into(), self.xdg.to_string_lossy().into_owned())]
    }

    /// `husk --root STATE [ARGS...]` in a host pty of 30 x 100, at its
    /// first prompt.
    pub fn start(&self, args: &[&str]) -> PtySession {
        self.start_env(args, self.env())
    }

    /// Like [`World::start`], with colour (no `NO_COLOR`).
    pub fn start_in_colour(&self, args: &[&str]) -> PtySession {
        self.start_env(args, self.env().into_iter().filter(|(k, _)| k != "NO_COLOR").collect())
    }

    fn start_env(&self, args: &[&str], env: Vec<(String, String)>) -> PtySession {
        let mut full = vec!["--root", self.state.to_str().unwrap()];
        full.extend_from_slice(args);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut s = PtySession::husk(&full, 30, 100, &env);
        s.expect(CONSOLE);
        s
    }

    /// The history file.
    pub fn history(&self) -> PathBuf {
        self.xdg.join("husk/history")
    }

    /// `husk --root STATE ARGS...` with `stdin` as its input, output in
    /// files, bounded.
    pub fn run(&self, args: &[&str], stdin: &str) -> Out {
        let input = self.dir.path().join(crate::common::unique_tag("stdin"));
        fs::write(&input, stdin).unwrap();
        let out = self.dir.path().join(crate::common::unique_tag("out"));
        let err = self.dir.path().join(crate::common::unique_tag("err"));
        let mut cmd = Command::new(husk_bin());
        cmd.arg("--root")
            .arg(&self.state)
            .args(args)
            .env_clear()
            .envs(base_env())
            // Colour or not is the console's choice: its stdout is a file.
            .env("XDG_STATE_HOME", &self.xdg)
            .stdin(fs::File::open(&input).unwrap())
            .stdout(fs::File::create(&out).unwrap())
            .stderr(fs::File::create(&err).unwrap())
            .process_group(0);
        let mut child = cmd.spawn().expect("start husk");
        let limit = crate::common::default_timeout();
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
            std::thread::sleep(Duration::from_millis(10));
        };
        use std::os::unix::process::ExitStatusExt;
        Out {
            code: status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
            stdout: fs::read_to_string(&out).unwrap_or_default(),
            stderr: fs::read_to_string(&err).unwrap_or_default(),
        }
    }

    /// A root file system of busybox applets at `name` in the test's
    /// directory; returns its path.
    pub fn busybox_root(&self, name: &str) -> PathBuf {
        let root = self.dir.path().join(name);
        let bin = root.join("bin");
        fs::create_dir_all(&bin).unwrap();
        fs::copy(crate::common::BUSYBOX, bin.join("busybox")).unwrap();
        for a in ["sh", "echo", "cat", "ls", "sleep", "true"] {
            std::os::unix::fs::symlink("busybox", bin.join(a)).unwrap();
        }
        root
    }

    /// Writes `text` as a script file and returns its path.
    pub fn script(&self, text: &str) -> String {
        let p = self.dir.path().join(crate::common::unique_tag("script"));
        fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    }

    /// The recorded state of container `id`, if any.
    pub fn state_json(&self, id: &str) -> Option<serde_json::Value> {
        let text = fs::read_to_string(self.state.join(id).join("state.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The host pid of the sandbox of `id`.
    pub fn sandbox_pid(&self, id: &str) -> i32 {
        let st = self.state_json(id).unwrap_or_else(|| panic!("no state for {id}"));
        st["sandbox_pid"].as_i64().unwrap() as i32
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // Kill whatever sandbox a test left (or kept on purpose).
        let Ok(dir) = fs::read_dir(&self.state) else { return };
        for e in dir.flatten() {
            let Some(id) = e.file_name().to_str().map(str::to_string) else { continue };
            if let Some(pid) = self.state_json(&id).and_then(|v| v["sandbox_pid"].as_i64()) {
                let pid = pid as i32;
                if alive(pid) && comm(pid).as_deref() == Some("husk") {
                    // SAFETY: SIGKILL of a sandbox this test started.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
            }
        }
    }
}

/// Whether host process `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
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

/// Waits (bounded) until `f` holds.
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + crate::pty::tty_timeout();
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs console command `line` at the prompt and returns what it printed
/// up to the next prompt.
#[track_caller]
pub fn cmd(s: &mut PtySession, line: &str) -> String {
    s.send_line(line);
    // The line editor turns bracketed paste off when it takes the line: a
    // long line may redraw the prompt before that.
    s.expect("\x1b[?2004l");
    s.expect(CONSOLE)
}

/// Runs console command `line` again and again (bounded) until what it
/// printed satisfies `ok`; for states reached asynchronously (a message
/// from a session may redraw the prompt in between).
#[track_caller]
pub fn poll_cmd(s: &mut PtySession, line: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + crate::pty::tty_timeout();
    loop {
        let out = cmd(s, line);
        if ok(&out) {
            return out;
        }
        if Instant::now() >= deadline {
            s.fail(&format!("`{line}` never showed {what}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether `path` exists.
pub fn exists(path: &Path) -> bool {
    path.exists()
}
