//! Shared helpers for husk's integration tests.
//!
//! - [`c_program`] builds a test program from `tests/c/<name>.c` with
//!   `cc -static -O1` once per test run, into `<target>/husk-test-bin/`.
//! - [`Run`] starts `husk`, `husk do` or a native program with a bounded
//!   wait: a child that outlives its time limit is killed and the test fails
//!   with what it printed so far. Nothing here ever waits forever.
//! - Assertion helpers print a child's full status and output on failure.
//!
//! Every child gets the same small environment ([`base_env`]), stdin from
//! `/dev/null` unless the test gives input, and its own process group.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The husk binary built by cargo for this test run.
pub const HUSK: &str = env!("CARGO_BIN_EXE_husk");

/// The husk binary to test: [`HUSK`], or `HUSK_TEST_BIN` if set (to check
/// the suite itself against another build or a stand-in).
pub fn husk_bin() -> String {
    std::env::var("HUSK_TEST_BIN").unwrap_or_else(|_| HUSK.to_string())
}

/// Debian's busybox-static; required by the tests.
pub const BUSYBOX: &str = "/bin/busybox";

/// How long one child may run unless a test says otherwise.
/// `HUSK_TEST_TIMEOUT` (seconds) overrides it, e.g. for slow machines.
pub fn default_timeout() -> Duration {
    std::env::var("HUSK_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(60))
}

/// The environment every child starts with (husk and native alike), so that
/// outputs compare equal: a fixed PATH and the C locale. `RUST_BACKTRACE`
/// and `RUST_LOG` pass through to help debugging.
pub fn base_env() -> Vec<(String, String)> {
    let mut env = vec![
        ("PATH".to_string(), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string()),
        ("LC_ALL".to_string(), "C".to_string()),
        ("HOME".to_string(), "/root".to_string()),
    ];
    for key in ["RUST_BACKTRACE", "RUST_LOG"] {
        if let Ok(val) = std::env::var(key) {
            env.push((key.to_string(), val));
        }
    }
    env
}

/// Panics unless Debian's static busybox is installed at `/bin/busybox`.
pub fn require_busybox() {
    let ok = fs::read(BUSYBOX).map(|elf| is_static_elf(&elf)).unwrap_or(false);
    if !ok {
        panic!(
            "{BUSYBOX} is missing or not statically linked: \
             install busybox-static (see README)"
        );
    }
}

/// Whether `elf` is an x86_64 ELF file without a PT_INTERP program header.
fn is_static_elf(elf: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 {
        return false;
    }
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let u64_at = |o: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&elf[o..o + 8]);
        u64::from_le_bytes(b) as usize
    };
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    (0..phnum).all(|i| {
        let o = phoff + i * phentsize;
        o + 4 <= elf.len() && u32::from_le_bytes([elf[o], elf[o + 1], elf[o + 2], elf[o + 3]]) != PT_INTERP
    })
}

// ---------------------------------------------------------------------------
// Paths and scratch space
// ---------------------------------------------------------------------------

/// The cargo target directory of this build (parent of `CARGO_TARGET_TMPDIR`).
pub fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).to_path_buf()
}

/// A name no other test, test binary or run uses at the same time.
pub fn unique_tag(what: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{what}-{}-{n}-{nanos:x}", std::process::id())
}

/// A fresh host directory under cargo's per-build temp dir, removed on drop.
/// The sandbox sees it at the same path through its default root (`/`).
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    pub fn new(what: &str) -> ScratchDir {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("husk-tests").join(unique_tag(what));
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        ScratchDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `self.path()/name` as a string, for command lines.
    pub fn join(&self, name: &str) -> String {
        self.path.join(name).to_string_lossy().into_owned()
    }

    /// Writes a file with the given contents and permission bits.
    pub fn write(&self, name: &str, contents: &[u8], mode: u32) -> PathBuf {
        let p = self.path.join(name);
        if let Some(dir) = p.parent() {
            fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        }
        fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        fs::set_permissions(&p, fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
        p
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

// ---------------------------------------------------------------------------
// C test programs
// ---------------------------------------------------------------------------

/// Builds `tests/c/<name>.c` (once per test run) and returns the binary's
/// path. Safe to call from parallel tests and from concurrent test binaries:
/// builds are serialized by a lock file and land by an atomic rename, and a
/// binary newer than its sources (and `tests/c/*.h`) is reused.
pub fn c_program(name: &str) -> PathBuf {
    static BUILT: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());
    // A panic while building poisons the mutex; the map itself stays valid.
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = built.get(name) {
        return p.clone();
    }
    let p = build_c_program(name);
    built.insert(name.to_string(), p.clone());
    p
}

fn build_c_program(name: &str) -> PathBuf {
    let c_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("c");
    let src = c_dir.join(format!("{name}.c"));
    assert!(src.is_file(), "no test program {}", src.display());
    let mut inputs = vec![src.clone()];
    for entry in fs::read_dir(&c_dir).expect("read tests/c").flatten() {
        if entry.path().extension().is_some_and(|e| e == "h") {
            inputs.push(entry.path());
        }
    }

    let out_dir = target_dir().join("husk-test-bin");
    fs::create_dir_all(&out_dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", out_dir.display()));
    let lock = File::create(out_dir.join(".build.lock")).expect("create build lock");
    lock.lock().expect("lock husk-test-bin/.build.lock");

    let out = out_dir.join(name);
    if is_fresh(&out, &inputs) {
        return out;
    }
    let tmp = out_dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut cc = Command::new("cc");
    cc.args(["-static", "-O1", "-o"]).arg(&tmp).arg(&src);
    let result = Run::command(cc, format!("cc -static -O1 -o {} {}", tmp.display(), src.display()))
        .timeout(Duration::from_secs(120))
        .try_run();
    let output = match result {
        Ok(o) => o,
        Err(e) => panic!("cannot run cc ({e}): install gcc and the static libc (libc6-dev)"),
    };
    if !output.status.success() {
        let _ = fs::remove_file(&tmp);
        panic!("building {} failed:\n{}", src.display(), describe(&output));
    }
    fs::rename(&tmp, &out).unwrap_or_else(|e| panic!("rename to {}: {e}", out.display()));
    out
    // `lock` is released when dropped here.
}

fn is_fresh(out: &Path, inputs: &[PathBuf]) -> bool {
    let mtime = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let Some(built) = mtime(out) else {
        return false;
    };
    inputs.iter().all(|i| mtime(i).is_some_and(|t| t <= built))
}

/// The real python3 interpreter's path (the tests that use it require
/// python3 on the machine, which scripts/test.sh installs, and fail
/// without it).
pub fn python3() -> String {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 must be installed for this test (it gates on python3)");
    let py = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    assert!(!py.is_empty(), "python3 did not report its executable");
    py
}

/// The path of a C test program as a string, for command lines.
pub fn c_program_str(name: &str) -> String {
    c_program(name).to_string_lossy().into_owned()
}

// ---------------------------------------------------------------------------
// Running children with a bounded wait
// ---------------------------------------------------------------------------

/// A child to run: husk or a native program. Build it with [`Run::husk`],
/// [`Run::husk_do`] or [`Run::native`], adjust, then call [`Run::run`].
pub struct Run {
    cmd: Command,
    what: String,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
}

impl Run {
    /// `husk ARGS...`.
    pub fn husk(args: &[&str]) -> Run {
        let mut cmd = Command::new(husk_bin());
        cmd.args(args);
        Run::command(cmd, format!("husk {}", args.join(" "))).with_base_env()
    }

    /// `husk do ARGS...`.
    pub fn husk_do(args: &[&str]) -> Run {
        let mut cmd = Command::new(husk_bin());
        cmd.arg("do").args(args);
        Run::command(cmd, format!("husk do {}", args.join(" "))).with_base_env()
    }

    /// `CMD[0] CMD[1..]` on the host, outside any sandbox.
    pub fn native(cmd: &[&str]) -> Run {
        assert!(!cmd.is_empty(), "native() needs a command");
        let mut c = Command::new(cmd[0]);
        c.args(&cmd[1..]);
        Run::command(c, format!("native {}", cmd.join(" "))).with_base_env()
    }

    /// Any command, with the caller's environment untouched.
    pub fn command(cmd: Command, what: String) -> Run {
        Run { cmd, what, stdin: None, timeout: default_timeout() }
    }

    fn with_base_env(mut self) -> Run {
        self.cmd.env_clear().envs(base_env());
        self
    }

    /// Feeds `input` to the child's stdin (a pipe, closed after the input).
    pub fn stdin(mut self, input: &[u8]) -> Run {
        self.stdin = Some(input.to_vec());
        self
    }

    /// Sets an environment variable of the child (the "caller's" environment
    /// as husk sees it).
    pub fn env(mut self, key: &str, val: &str) -> Run {
        self.cmd.env(key, val);
        self
    }

    /// Runs the child in `dir`.
    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Run {
        self.cmd.current_dir(dir);
        self
    }

    pub fn timeout(mut self, t: Duration) -> Run {
        self.timeout = t;
        self
    }

    /// Runs the child to completion; panics if it cannot start or does not
    /// finish in time (after killing it).
    pub fn run(self) -> Output {
        let what = self.what.clone();
        self.try_run().unwrap_or_else(|e| panic!("cannot start {what}: {e}"))
    }

    /// Like [`Run::run`] but returns an error if the child cannot start.
    pub fn try_run(self) -> std::io::Result<Output> {
        self.try_run_in_group().map(|(_, out)| out)
    }

    /// Like [`Run::try_run`], also returning the process group the child
    /// was started in (its pid).
    fn try_run_in_group(mut self) -> std::io::Result<(i32, Output)> {
        self.cmd
            .stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = self.cmd.spawn()?;
        let pgid = child.id() as i32;
        let out = wait_bounded(&mut child, self.stdin.take(), self.timeout, &self.what);
        Ok((pgid, out))
    }

    /// Runs the child like [`Run::run`], then lists the processes still
    /// alive in its process group a moment after it ended (e.g. stub
    /// processes a sandbox left behind), as "pid (comm) state" strings.
    /// Any such process is killed so the next test starts clean.
    pub fn run_reporting_leftovers(self) -> (Output, Vec<String>) {
        let what = self.what.clone();
        let (pgid, out) = self.try_run_in_group().unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        // Teardown may take a moment after the main process has exited.
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut left = processes_in_group(pgid);
        while !left.is_empty() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
            left = processes_in_group(pgid);
        }
        if !left.is_empty() {
            kill_group(pgid);
        }
        (out, left)
    }
}

/// Live (non-zombie) processes whose process group is `pgid`, as
/// "pid (comm) state" strings, from /proc.
pub fn processes_in_group(pgid: i32) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return found;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp ..."; comm may contain spaces and ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        if rest.len() < 3 {
            continue;
        }
        let state = rest[0];
        if rest[2].parse::<i32>().ok() == Some(pgid) && state != "Z" && state != "X" {
            found.push(format!("{pid} ({comm}) {state}"));
        }
    }
    found
}

/// Output collected from one pipe by a reader thread.
struct Collected {
    buf: Arc<Mutex<Vec<u8>>>,
}

impl Collected {
    fn start(mut pipe: impl Read + Send + 'static, which: usize, done: mpsc::Sender<usize>) -> Collected {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buf);
        thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            loop {
                match pipe.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => sink.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&chunk[..n]),
                }
            }
            let _ = done.send(which);
        });
        Collected { buf }
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.buf.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

fn wait_bounded(child: &mut Child, input: Option<Vec<u8>>, timeout: Duration, what: &str) -> Output {
    let deadline = Instant::now() + timeout;
    let pgid = child.id() as i32;

    if let (Some(input), Some(mut pipe)) = (input, child.stdin.take()) {
        // A child that never reads must not block the test: write from a
        // thread; EPIPE when the child exits early is fine.
        thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let (done_tx, done_rx) = mpsc::channel();
    let stdout = Collected::start(child.stdout.take().expect("stdout piped"), 1, done_tx.clone());
    let stderr = Collected::start(child.stderr.take().expect("stderr piped"), 2, done_tx);

    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => panic!("waiting for {what}: {e}"),
        }
        if Instant::now() >= deadline {
            kill_group(pgid);
            let _ = child.kill();
            let _ = child.wait();
            thread::sleep(Duration::from_millis(200));
            panic!(
                "{what} did not finish within {timeout:?}; killed it.\n\
                 --- stdout so far ---\n{}\n--- stderr so far ---\n{}",
                shorten(&stdout.take()),
                shorten(&stderr.take()),
            );
        }
        thread::sleep(Duration::from_millis(5));
    };

    // The child is gone; its pipes close once every process holding them
    // (e.g. a leftover sandbox process) is gone too.
    let grace = deadline.saturating_duration_since(Instant::now()).max(Duration::from_secs(5));
    let pipes_deadline = Instant::now() + grace;
    for _ in 0..2 {
        let left = pipes_deadline.saturating_duration_since(Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            kill_group(pgid);
            thread::sleep(Duration::from_millis(200));
            panic!(
                "{what} exited ({}) but its stdout/stderr stayed open for {grace:?}: \
                 a process it started outlived it (killed its process group).\n\
                 --- stdout ---\n{}\n--- stderr ---\n{}",
                status_text(status),
                shorten(&stdout.take()),
                shorten(&stderr.take()),
            );
        }
    }
    Output { status, stdout: stdout.take(), stderr: stderr.take() }
}

/// SIGKILLs the process group the test started for one child.
fn kill_group(pgid: i32) {
    use nix::sys::signal::{killpg, Signal};
    use nix::unistd::Pid;
    if pgid > 1 {
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    }
}

/// `husk ARGS...` with a bounded wait.
pub fn husk(args: &[&str]) -> Output {
    Run::husk(args).run()
}

/// `husk do ARGS...` with a bounded wait and stdin from /dev/null.
pub fn husk_do(args: &[&str]) -> Output {
    Run::husk_do(args).run()
}

/// `husk do ARGS...` with `input` on stdin.
pub fn husk_do_stdin(args: &[&str], input: &[u8]) -> Output {
    Run::husk_do(args).stdin(input).run()
}

/// Runs `cmd` natively (outside husk) for comparison, same environment.
pub fn native(cmd: &[&str]) -> Output {
    Run::native(cmd).run()
}

/// Runs `cmd` natively with `input` on stdin.
pub fn native_stdin(cmd: &[&str], input: &[u8]) -> Output {
    Run::native(cmd).stdin(input).run()
}

// ---------------------------------------------------------------------------
// Looking at results
// ---------------------------------------------------------------------------

/// The status as a shell reports it: the exit code, or 128+N when the
/// process was killed by signal N.
pub fn exit_code(out: &Output) -> i32 {
    status_number(out.status)
}

fn status_number(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => -1,
    }
}

fn status_text(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        (None, None) => format!("{status:?}"),
    }
}

pub fn stdout_text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr_text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Lossy text, cut to a readable size for failure messages.
fn shorten(bytes: &[u8]) -> String {
    const MAX: usize = 8000;
    let s = String::from_utf8_lossy(bytes);
    if s.len() <= MAX {
        return s.into_owned();
    }
    let mut cut = MAX;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}\n... ({} more bytes)", &s[..cut], s.len() - cut)
}

/// Status, stdout and stderr of a child, for failure messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        status_text(out.status),
        shorten(&out.stdout),
        shorten(&out.stderr)
    )
}

/// Asserts the shell-style status ([`exit_code`]) of `out`.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(exit_code(out), code, "unexpected status\n{}", describe(out));
}

/// Asserts the exact stdout of a successful child.
#[track_caller]
pub fn assert_stdout(out: &Output, expected: &str) {
    assert_eq!(stdout_text(out), expected, "unexpected stdout\n{}", describe(out));
    assert_exit(out, 0);
}

/// Asserts that the child failed with `code` and wrote exactly one line to
/// stderr, starting with `husk: ` (husk's own error report).
#[track_caller]
pub fn assert_husk_error(out: &Output, code: i32) {
    assert_exit(out, code);
    let err = stderr_text(out);
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("husk: ") && err.ends_with('\n'),
        "expected exactly one stderr line starting with \"husk: \"\n{}",
        describe(out)
    );
}

/// Asserts that a husk run printed what a native run printed, and ended the
/// same way. Shows the first differing line.
#[track_caller]
pub fn assert_same_as_native(native: &Output, husk: &Output) {
    let (n, h) = (stdout_text(native), stdout_text(husk));
    if n != h {
        let first_diff = n
            .lines()
            .zip(h.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| format!("line {}: native {a:?}, husk {b:?}", i + 1))
            .unwrap_or_else(|| {
                format!("one output is a prefix of the other ({} vs {} lines)", n.lines().count(), h.lines().count())
            });
        panic!(
            "husk's stdout differs from native: {first_diff}\n\
             ===== native =====\n{}\n===== husk =====\n{}",
            describe(native),
            describe(husk)
        );
    }
    assert_eq!(
        exit_code(husk),
        exit_code(native),
        "husk's status differs from native\n===== native =====\n{}\n===== husk =====\n{}",
        describe(native),
        describe(husk)
    );
}

/// Asserts that none of `paths` exists on the host (a sandbox write
/// leaked), removing any that does so the next run starts clean.
#[track_caller]
pub fn assert_not_on_host<P: AsRef<Path>>(paths: &[P], context: &str) {
    let leaked: Vec<String> = paths
        .iter()
        .map(AsRef::as_ref)
        .filter(|p| p.symlink_metadata().is_ok())
        .map(|p| {
            let _ = fs::remove_file(p).or_else(|_| fs::remove_dir_all(p));
            p.display().to_string()
        })
        .collect();
    assert!(leaked.is_empty(), "appeared on the host: {leaked:?}\n{context}");
}

// ---------------------------------------------------------------------------
// Multi-part C programs (processes, signals, timers...)
// ---------------------------------------------------------------------------

/// The time limit of one run in the process/signal tests: shorter than
/// [`default_timeout`] so that a hang fails one test quickly;
/// `HUSK_TEST_TIMEOUT` (seconds) overrides it too.
pub fn proc_timeout() -> Duration {
    std::env::var("HUSK_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(30))
}

/// Asserts that a run printed at least one line, that every line is a
/// passed check ("name: ok"), and that it exited 0. Used on native runs:
/// the C programs encode Linux's behaviour, so a native failure means the
/// program or the machine (missing root, odd limits) is wrong, not husk.
#[track_caller]
pub fn assert_all_ok(out: &Output, what: &str) {
    let text = stdout_text(out);
    let bad: Vec<&str> = text.lines().filter(|l| !l.ends_with(": ok")).collect();
    assert!(
        !text.is_empty() && bad.is_empty() && out.status.success(),
        "{what}: expected only \"name: ok\" lines and status 0; \
         failing lines: {bad:?}\n{}",
        describe(out)
    );
}

/// One `#[test]` per group of the C program `prog`, each run with
/// `check_c_group`: `c_groups! { "prog": test_name => "group", ... }`.
#[allow(unused_macros)]
macro_rules! c_groups {
    ($prog:literal: $($name:ident => $group:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::common::check_c_group($prog, $group);
            }
        )*
    };
}
#[allow(unused_imports)]
pub(crate) use c_groups;

/// Runs group `group` of the C program `tests/c/<prog>.c` natively (where
/// every check must pass) and under `husk do`, and asserts that husk
/// printed exactly the same lines and exited the same way.
#[track_caller]
pub fn check_c_group(prog: &str, group: &str) {
    let bin = c_program_str(prog);
    let n = Run::native(&[&bin, group]).timeout(proc_timeout()).run();
    assert_all_ok(&n, &format!("native {prog} {group}"));
    let h = Run::husk_do(&["--", &bin, group]).timeout(proc_timeout()).run();
    assert_same_as_native(&n, &h);
}

/// Runs C program `prog` with `group` natively (it must exit 0) and under
/// `husk do FLAGS -- prog group`; the two must print the same. Returns the
/// husk run. (For programs whose lines are values, not `name: ok`.)
pub fn c_output_same_as_native(prog: &str, group: &str, flags: &[&str]) -> Output {
    cmd_same_as_native(flags, &[&c_program_str(prog), group])
}

/// Runs `cmd` natively (it must exit 0) and under `husk do FLAGS -- cmd`;
/// the two must print the same. Returns the husk run.
pub fn cmd_same_as_native(flags: &[&str], cmd: &[&str]) -> Output {
    let n = Run::native(cmd).timeout(proc_timeout()).run();
    assert_exit(&n, 0);
    let mut args = flags.to_vec();
    args.push("--");
    args.extend_from_slice(cmd);
    let h = Run::husk_do(&args).timeout(proc_timeout()).run();
    assert_same_as_native(&n, &h);
    h
}

/// `unshare --pid --fork CMD...`: CMD runs natively as PID 1 of a new PID
/// namespace, as the first process of a sandbox does under husk (an init
/// ignores default-action signals from inside, orphans are reparented to
/// it, and when it exits everything else in the namespace dies).
pub fn native_pid1(cmd: &[&str]) -> Run {
    let mut full = vec!["unshare", "--pid", "--fork"];
    full.extend_from_slice(cmd);
    Run::native(&full)
}
