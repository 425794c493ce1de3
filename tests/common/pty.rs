//! An expect-like driver for programs run in a real (host) pty, for the
//! terminal tests: `husk do -t CMD...` started as the session leader of a
//! fresh pty of a given size, like a person's terminal emulator would.
//!
//! - A reader thread collects everything written to the terminal.
//! - [`PtySession::expect`] / [`PtySession::expect_re`] wait for text after
//!   the last match (like pexpect), bounded by [`tty_timeout`]; on timeout
//!   the test fails and prints all output seen, control characters visible.
//! - [`PtySession::resize`] sets the outer pty's size: Linux then sends
//!   SIGWINCH to the pty's foreground process group, which is husk.
//! - Dropping a session SIGKILLs its process group (husk and its stubs).
//!
//! No test using this needs a terminal of its own: CI has none.
//!
//! Include it from a test file that also includes the common helpers:
//! `mod common;` then `#[path = "common/pty.rs"] mod pty;`.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use regex::bytes::Regex;

/// How long one expectation may wait: 20 s, or `HUSK_TEST_TIMEOUT` seconds.
pub fn tty_timeout() -> Duration {
    std::env::var("HUSK_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(20))
}

/// The terminal's output so far, and whether the reader reached its end.
struct Screen {
    bytes: Vec<u8>,
    closed: bool,
}

/// One program running in a host pty.
pub struct PtySession {
    what: String,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    pid: i32,
    out: Arc<(Mutex<Screen>, Condvar)>,
    /// Output before this offset has been matched already.
    pos: usize,
    timeout: Duration,
    exit: Option<i32>,
}

impl PtySession {
    /// Starts `husk ARGS...` (the binary under test, see
    /// `common::husk_bin`) in a new pty of `rows` x `cols`, with the tests'
    /// base environment plus `TERM=xterm` and `env`.
    pub fn husk(args: &[&str], rows: u16, cols: u16, env: &[(&str, &str)]) -> PtySession {
        let mut argv = vec![crate::common::husk_bin()];
        argv.extend(args.iter().map(|a| a.to_string()));
        let what = format!("husk {}", args.join(" "));
        PtySession::spawn(&argv, what, rows, cols, env)
    }

    /// Starts `argv` in a new pty of `rows` x `cols` (see [`PtySession::husk`]).
    pub fn spawn(argv: &[String], what: String, rows: u16, cols: u16, env: &[(&str, &str)]) -> PtySession {
        let size = PtySize { rows, cols, pixel_width: 0, pixel_height: 0 };
        let pair =
            native_pty_system().openpty(size).unwrap_or_else(|e| panic!("cannot open a host pty for {what}: {e}"));
        let mut cmd = CommandBuilder::from_argv(argv.iter().map(Into::into).collect());
        cmd.env_clear();
        for (k, v) in crate::common::base_env() {
            cmd.env(k, v);
        }
        cmd.env("TERM", "xterm");
        cmd.env("SHELL", "/bin/sh");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.cwd("/");
        let child = pair.slave.spawn_command(cmd).unwrap_or_else(|e| panic!("cannot start {what} in a pty: {e}"));
        // Only the child keeps the slave side open: the reader sees EOF/EIO
        // once the child and everything it started are gone.
        drop(pair.slave);
        let pid = child.process_id().expect("child pid") as i32;
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let out = Arc::new((Mutex::new(Screen { bytes: Vec::new(), closed: false }), Condvar::new()));
        let sink = Arc::clone(&out);
        thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            loop {
                let n = match reader.read(&mut chunk) {
                    Ok(0) | Err(_) => 0,
                    Ok(n) => n,
                };
                let (lock, cv) = &*sink;
                let mut screen = lock.lock().unwrap_or_else(|e| e.into_inner());
                if n == 0 {
                    screen.closed = true;
                    cv.notify_all();
                    break;
                }
                screen.bytes.extend_from_slice(&chunk[..n]);
                cv.notify_all();
            }
        });
        PtySession { what, master: pair.master, writer, child, pid, out, pos: 0, timeout: tty_timeout(), exit: None }
    }

    /// Sends host signal `sig` to the program (not to its process group).
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) of the child this session started and still owns.
        unsafe { libc::kill(self.pid, sig) };
    }

    /// What this session runs, for messages.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// Types `bytes` into the terminal.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        let bytes = bytes.as_ref();
        if let Err(e) = self.writer.write_all(bytes).and_then(|_| self.writer.flush()) {
            self.fail(&format!("cannot type {:?}: {e}", String::from_utf8_lossy(bytes)));
        }
    }

    /// Types `line` and Enter (a carriage return, as a terminal sends it).
    pub fn send_line(&mut self, line: &str) {
        self.send(format!("{line}\r"));
    }

    /// Waits for `needle` after the last match; returns the output from
    /// the last match up to and including this one.
    #[track_caller]
    pub fn expect(&mut self, needle: &str) -> String {
        let n = needle.as_bytes();
        let what = format!("{needle:?}");
        self.expect_with(&what, |hay| hay.windows(n.len().max(1)).position(|w| w == n).map(|at| at + n.len()))
    }

    /// Waits for a match of the regex `re` (on bytes; `(?s)` etc. allowed)
    /// after the last match; returns the output from the last match up to
    /// and including this one.
    #[track_caller]
    pub fn expect_re(&mut self, re: &str) -> String {
        let regex = Regex::new(re).unwrap_or_else(|e| panic!("bad regex {re:?}: {e}"));
        let what = format!("/{re}/");
        self.expect_with(&what, |hay| regex.find(hay).map(|m| m.end()))
    }

    /// Like [`PtySession::expect_re`], returning the regex's captures as
    /// text (index 0: the whole match).
    #[track_caller]
    pub fn expect_captures(&mut self, re: &str) -> Vec<String> {
        let regex = Regex::new(re).unwrap_or_else(|e| panic!("bad regex {re:?}: {e}"));
        let start = self.pos;
        self.expect_re(re);
        let screen = self.out.0.lock().unwrap_or_else(|e| e.into_inner());
        let caps = regex.captures(&screen.bytes[start..self.pos]).expect("matched just now");
        caps.iter().map(|m| m.map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned()).unwrap_or_default()).collect()
    }

    #[track_caller]
    fn expect_with(&mut self, what: &str, find: impl Fn(&[u8]) -> Option<usize>) -> String {
        let deadline = Instant::now() + self.timeout;
        let (lock, cv) = &*self.out;
        let mut screen = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(end) = find(&screen.bytes[self.pos..]) {
                let seen = String::from_utf8_lossy(&screen.bytes[self.pos..self.pos + end]).into_owned();
                self.pos += end;
                return seen;
            }
            let now = Instant::now();
            if screen.closed || now >= deadline {
                let why = if screen.closed {
                    "the terminal closed first (the program ended)".to_string()
                } else {
                    format!("timed out after {:?}", self.timeout)
                };
                drop(screen);
                self.fail(&format!("expected {what} but {why}"));
            }
            screen = cv.wait_timeout(screen, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Collects output for `d` and returns what arrived after the last
    /// match (without consuming it). For checks that something does NOT
    /// appear; never for timing.
    pub fn output_after(&self, d: Duration) -> String {
        thread::sleep(d);
        self.pending()
    }

    /// The output after the last match, not consumed.
    pub fn pending(&self) -> String {
        let screen = self.out.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&screen.bytes[self.pos..]).into_owned()
    }

    /// Everything the terminal showed so far.
    pub fn all_output(&self) -> String {
        let screen = self.out.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&screen.bytes).into_owned()
    }

    /// Waits until the outer terminal is in raw mode (no ICANON, no ECHO),
    /// i.e. husk has attached it: typing earlier would be echoed and
    /// line-buffered by the host's line discipline instead.
    #[track_caller]
    pub fn wait_raw(&mut self) {
        let deadline = Instant::now() + self.timeout;
        loop {
            if self.outer_lflag().is_some_and(|l| l & (libc::ICANON | libc::ECHO) == 0) {
                return;
            }
            if Instant::now() >= deadline {
                self.fail("the outer terminal never went into raw mode");
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether the outer terminal is in canonical mode with echo (as it
    /// was before husk started), i.e. husk restored it.
    pub fn outer_is_cooked(&self) -> bool {
        let cooked = libc::ICANON | libc::ECHO;
        self.outer_lflag().is_some_and(|l| l & cooked == cooked)
    }

    /// The outer terminal's local mode flags (`c_lflag`).
    fn outer_lflag(&self) -> Option<libc::tcflag_t> {
        let fd = self.master.as_raw_fd()?;
        // SAFETY: tcgetattr writes a termios into the zeroed value.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `fd` is the master side, open as long as `self`.
        (unsafe { libc::tcgetattr(fd, &mut t) } == 0).then_some(t.c_lflag)
    }

    /// Resizes the outer terminal; the kernel sends SIGWINCH to its
    /// foreground process group (husk).
    pub fn resize(&mut self, rows: u16, cols: u16) {
        let size = PtySize { rows, cols, pixel_width: 0, pixel_height: 0 };
        if let Err(e) = self.master.resize(size) {
            self.fail(&format!("cannot resize the outer pty: {e}"));
        }
    }

    /// Lets the program inside settle before the next keystroke, where no
    /// output tells that it is ready (e.g. a foreground `sleep` has been
    /// started, `read -s` has turned echo off). A tolerance, not a check.
    pub fn settle(&self) {
        thread::sleep(Duration::from_millis(400));
    }

    /// Waits (bounded) for the program to exit and returns its status as a
    /// shell reports it (128+N for signal N). The output keeps being
    /// collected and stays available to `expect`.
    #[track_caller]
    pub fn wait_exit(&mut self) -> i32 {
        if let Some(code) = self.exit {
            return code;
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    let code = status_code(&status);
                    self.exit = Some(code);
                    // Let the reader pick up the last bytes.
                    let (lock, cv) = &*self.out;
                    let mut screen = lock.lock().unwrap_or_else(|e| e.into_inner());
                    let until = Instant::now() + Duration::from_millis(500);
                    while !screen.closed && Instant::now() < until {
                        screen =
                            cv.wait_timeout(screen, Duration::from_millis(50)).unwrap_or_else(|e| e.into_inner()).0;
                    }
                    return code;
                }
                Ok(None) => {}
                Err(e) => self.fail(&format!("waiting for the program: {e}")),
            }
            if Instant::now() >= deadline {
                self.fail(&format!("the program did not exit within {:?}", self.timeout));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Fails the test with `msg` and everything the terminal showed.
    #[track_caller]
    pub fn fail(&self, msg: &str) -> ! {
        let (all, pos) = {
            let screen = self.out.0.lock().unwrap_or_else(|e| e.into_inner());
            (screen.bytes.clone(), self.pos)
        };
        panic!(
            "{}: {msg}\n--- terminal output (control characters shown as \\r, \\e, ^X; \
             `<<matched up to here>>` marks the last match) ---\n{}<<matched up to here>>{}\n--- end ---",
            self.what,
            visible(&all[..pos.min(all.len())]),
            visible(&all[pos.min(all.len())..]),
        );
    }

    /// Fails the test with `msg` unless `cond`.
    #[track_caller]
    pub fn check(&self, cond: bool, msg: &str) {
        if !cond {
            self.fail(msg);
        }
    }
}

impl Drop for PtySession {
    fn drop(&mut self) {
        // The child is a session and process-group leader: this ends husk
        // and every stub process it created.
        if self.pid > 1 {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(self.pid), nix::sys::signal::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_code(status: &portable_pty::ExitStatus) -> i32 {
    // portable-pty keeps only the signal's name; map the usual ones back.
    let text = status.to_string();
    if let Some(name) = text.strip_prefix("Terminated by ") {
        let sigs = [
            ("Hangup", 1),
            ("Interrupt", 2),
            ("Quit", 3),
            ("Aborted", 6),
            ("Killed", 9),
            ("Segmentation fault", 11),
            ("Terminated", 15),
        ];
        return sigs.iter().find(|(n, _)| name.starts_with(n)).map(|(_, s)| 128 + s).unwrap_or(128);
    }
    status.exit_code() as i32
}

/// Terminal output with line ends kept and every other control character
/// made visible.
pub fn visible(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {
                out.push_str("\\r\n");
                chars.next();
            }
            '\n' => out.push_str("\\n\n"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push((c as u8 + b'@') as char);
            }
            '\x7f' => out.push_str("^?"),
            c => out.push(c),
        }
    }
    out
}
