//! `husk-bench`: runs the same workloads natively, under husk and under gVisor's `runsc`, and
//! prints one table of figures measured in this one run.
//!
//! # Running it
//!
//! ```text
//! cargo build --release                  # builds husk itself, next to husk-bench
//! cargo run --release --bin husk-bench -- [--quick] [--only NAME]... [--husk PATH] [--runsc PATH]
//! ```
//!
//! - `--quick` cuts iteration and repeat counts about tenfold, for a smoke run.
//! - `--only NAME` runs one workload (repeatable); a family name such as `startup` selects every
//!   `startup/...` row. `--list` prints the workload table and exits.
//! - `--husk PATH` defaults to the `husk` binary beside this executable; it is run as
//!   `husk do -- CMD...`.
//! - `--runsc PATH` defaults to `runsc` on `PATH`; it is run as
//!   `runsc --network=none --platform=ptrace do CMD...` (add flags with `--runsc-flag`, or skip it
//!   with `--no-runsc`). If it is missing or its probe fails, the reason is printed and its column
//!   shows `n.a.`. The network rows (`RUNSC_NETWORK`) give runsc `--network=sandbox` instead; where
//!   runsc cannot set that up (it needs `iptables` on the host) they fall back to the default flags,
//!   whose loopback is served by the same gVisor netstack.
//! - `--timeout SECS` (default 120) kills any child process, with all its descendants, that runs
//!   longer, so the harness never hangs.
//!
//! The workloads are small C programs in `benches/c/`, compiled with `cc -static -O2` into
//! `<target>/husk-bench-bin/` (rebuilt only when a source is newer), so the very same static binary
//! runs in all three places. Before the workloads, each sandbox runs `probe`, which must print its
//! marker and exit with status 3; a sandbox that fails it gets `error: probe: ...` in every cell.
//!
//! # Reading the table
//!
//! - `native`, `husk`, `runsc`: the workload's figure in each place. Times are per iteration (µs,
//!   ms or s, 3 significant digits): either measured by the program itself around its own loop
//!   (clock_gettime through the vDSO, so sandbox start-up is excluded), or, for the wall-clock
//!   workloads (`startup/...`, `busybox-loop`), the mean wall time of whole runs of the command
//!   including the sandbox's start-up, after one unmeasured warm-up run. Throughputs are MiB/s.
//! - `husk/native`, `husk/runsc`: plain ratios of the figures. For times above 1 means husk is
//!   slower; for throughputs (MiB/s) below 1 means husk is slower.
//! - `target`: the goal set by the workload's issue, `result`: `PASS`, `FAIL` (also when husk
//!   failed to run the workload) or `n.a.` (no target, or no runsc figure to compare with).
//! - A cell reading `error: ...` holds the first stderr line of a failed run (non-zero exit,
//!   timeout, or no `result` line); the full messages are listed under the table.
//!
//! Timings on these VMs swing up to 2x from run to run (cross-CPU wake-ups): compare columns of one
//! run, never against a number written down earlier.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};
use clap::Parser;
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

/// Command-line options; see the module docs.
#[derive(Parser, Debug)]
#[command(name = "husk-bench", about = "Benchmarks husk against native and runsc")]
struct Args {
    /// Fewer iterations and repeats (about a tenth), for a smoke run.
    #[arg(long)]
    quick: bool,
    /// Run only this workload, or this family (`startup`); repeatable.
    #[arg(long, value_name = "NAME")]
    only: Vec<String>,
    /// The husk binary (default: `husk` beside this executable).
    #[arg(long, value_name = "PATH")]
    husk: Option<PathBuf>,
    /// The runsc binary (default: `runsc` on PATH).
    #[arg(long, value_name = "PATH")]
    runsc: Option<PathBuf>,
    /// An extra global flag for runsc, e.g. `--runsc-flag=--ignore-cgroups`; repeatable.
    #[arg(long = "runsc-flag", value_name = "FLAG", allow_hyphen_values = true)]
    runsc_flags: Vec<String>,
    /// Do not run runsc even if it is installed.
    #[arg(long)]
    no_runsc: bool,
    /// Kill any child process running longer than this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    timeout: u64,
    /// Print the workload table and exit.
    #[arg(long)]
    list: bool,
}

// ---------------------------------------------------------------------------------------------
// The workload table.

/// What a workload's figure measures.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Quantity {
    /// Time per iteration, kept in nanoseconds; lower is better.
    Time,
    /// Throughput, kept in MiB/s; higher is better.
    Rate,
}

/// How a workload's figure is obtained.
#[derive(Clone, Copy, Debug)]
enum Measure {
    /// The program times its own loop and prints `result <value> <unit>`.
    SelfTimed(Quantity),
    /// The harness times whole runs of the command: mean wall time of `runs` runs
    /// (`quick_runs` with `--quick`) after one unmeasured warm-up run.
    Wall { runs: usize, quick_runs: usize },
    /// The command runs on a fresh pty driven by `benches/c/ptydrive.c` (run natively, as the
    /// outer terminal), which prints the result: `echo` (keystroke echo latency over `count`
    /// keys, a tenth with `--quick`, each typed as soon as the last one's echo arrived),
    /// `typed` (the same with 10 ms between keys) or `drain` (throughput of the terminal output).
    InPty { mode: &'static str, count: u64 },
}

/// The goal a workload's issue sets for husk.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// No goal yet.
    None,
    /// husk's cost is at most this factor times runsc's (cost: time, or 1/throughput).
    VsRunsc(f64),
    /// husk's cost is at most this factor times native's.
    VsNative(f64),
}

/// Where a workload's command is built.
struct Ctx {
    /// Directory of the compiled `benches/c` programs.
    bin_dir: PathBuf,
    quick: bool,
}

impl Ctx {
    /// Path of the compiled `benches/c/<name>.c`.
    fn bin(&self, name: &str) -> String {
        self.bin_dir.join(name).to_string_lossy().into_owned()
    }

    /// An iteration count: `full`, or a tenth of it with `--quick`.
    fn count(&self, full: u64) -> String {
        if self.quick { (full / 10).max(1) } else { full }.to_string()
    }
}

/// One row of the table.
struct Workload {
    /// Unique name, `family/variant` for families (`--only family` selects all of them).
    name: &'static str,
    /// The husk issue this workload belongs to.
    issue: &'static str,
    /// The command to run (before wrapping in `husk do` / `runsc do`).
    argv: fn(&Ctx) -> Vec<String>,
    measure: Measure,
    target: Target,
}

/// `busybox sh` running 200 dynamic `/bin/true`s (fork, exec, dynamic loading, wait).
const BUSYBOX_LOOP: &str = "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done";

/// Every workload, in table order.
///
/// Planned by later issues (add rows here, C sources in `benches/c/`):
/// keystroke echo latency.
const WORKLOADS: &[Workload] = &[
    Workload {
        name: "syscall",
        issue: "2",
        argv: |c| vec![c.bin("syscall"), c.count(20_000)],
        measure: Measure::SelfTimed(Quantity::Time),
        target: Target::VsRunsc(0.5),
    },
    Workload {
        name: "startup/bin-true",
        issue: "2",
        argv: |_| vec!["/bin/true".into()],
        measure: Measure::Wall { runs: 20, quick_runs: 5 },
        target: Target::VsRunsc(1.0),
    },
    Workload {
        name: "startup/static-true",
        issue: "2",
        argv: |c| vec![c.bin("true")],
        measure: Measure::Wall { runs: 20, quick_runs: 5 },
        target: Target::VsRunsc(1.0),
    },
    Workload {
        name: "fork-wait",
        issue: "3",
        argv: |c| vec![c.bin("fork_wait"), c.count(2_000)],
        measure: Measure::SelfTimed(Quantity::Time),
        target: Target::VsRunsc(0.5),
    },
    Workload {
        name: "fork-exec-wait",
        issue: "3",
        argv: |c| vec![c.bin("fork_exec"), c.bin("true"), c.count(1_000)],
        measure: Measure::SelfTimed(Quantity::Time),
        target: Target::VsRunsc(0.5),
    },
    Workload {
        name: "busybox-loop",
        issue: "3",
        argv: |_| {
            let sh = ["/bin/busybox", "sh", "-c", BUSYBOX_LOOP];
            sh.iter().map(|s| s.to_string()).collect()
        },
        measure: Measure::Wall { runs: 3, quick_runs: 1 },
        target: Target::None,
    },
    Workload {
        name: "file-read-4k",
        issue: "4",
        argv: |c| vec![c.bin("file_read"), c.count(20_000)],
        measure: Measure::SelfTimed(Quantity::Time),
        target: Target::VsRunsc(0.5),
    },
    Workload {
        name: "stat",
        issue: "4",
        argv: |c| vec![c.bin("stat"), c.count(20_000)],
        measure: Measure::SelfTimed(Quantity::Time),
        target: Target::VsRunsc(0.5),
    },
    Workload {
        name: "path-lookup",
        issue: "-",
        // stat/open/access on the host-backed root: symlinks, hits, PATH misses.
        argv: |c| vec![c.bin("path_lookup"), c.count(5_000)],
        measure: Measure::SelfTimed(Quantity::Time),
        target: Target::None,
    },
    Workload {
        name: "pipe-256m",
        issue: "4",
        // MiB moved through the pipe; 32 with --quick.
        argv: |c| vec![c.bin("pipe"), if c.quick { "32" } else { "256" }.into()],
        measure: Measure::SelfTimed(Quantity::Rate),
        target: Target::VsRunsc(0.5),
    },
    Workload {
        name: "dd-1g",
        issue: "4",
        // 1 GiB from /dev/zero to /dev/null in 1 MiB blocks (dd bs=1M count=1024).
        argv: |c| vec![c.bin("dd"), c.count(1024)],
        measure: Measure::SelfTimed(Quantity::Rate),
        target: Target::VsRunsc(1.0),
    },
    Workload {
        name: "tty-echo",
        issue: "5",
        // Keystroke echo through an interactive bash (readline echoes each key itself).
        argv: |_| ["/bin/bash", "--norc", "--noprofile", "-i"].iter().map(|s| s.to_string()).collect(),
        measure: Measure::InPty { mode: "echo", count: 300 },
        target: Target::VsNative(2.0),
    },
    Workload {
        name: "tty-echo-typed",
        issue: "5",
        // The same at a typist's pace: every key arrives at an idle machine, so it also pays
        // for waking the CPUs up (which back-to-back keys hide).
        argv: |_| ["/bin/bash", "--norc", "--noprofile", "-i"].iter().map(|s| s.to_string()).collect(),
        measure: Measure::InPty { mode: "typed", count: 200 },
        target: Target::VsNative(2.0),
    },
    Workload {
        name: "tty-yes",
        issue: "5",
        // `yes | head -c 100M` written to the terminal, drained by the outer pty.
        argv: |c| {
            let n = if c.quick { "10M" } else { "100M" };
            vec!["/bin/sh".into(), "-c".into(), format!("yes | head -c {n}")]
        },
        measure: Measure::InPty { mode: "drain", count: 0 },
        target: Target::VsRunsc(1.0),
    },
    // Network (netstack issue): runsc runs these with --network=sandbox (see RUNSC_NETWORK).
    Workload {
        name: "tcp-stream-1g",
        issue: "net",
        // MiB through one loopback TCP connection; 128 with --quick.
        argv: |c| vec![c.bin("tcp_stream"), if c.quick { "128" } else { "1024" }.into()],
        measure: Measure::SelfTimed(Quantity::Rate),
        target: Target::VsRunsc(1.0),
    },
    Workload {
        name: "tcp-pingpong",
        issue: "net",
        argv: |c| vec![c.bin("pingpong"), "tcp".into(), c.count(10_000)],
        measure: Measure::SelfTimed(Quantity::Time),
        target: Target::VsRunsc(1.0),
    },
    Workload {
        name: "unix-pingpong",
        issue: "net",
        argv: |c| vec![c.bin("pingpong"), "unix".into(), c.count(10_000)],
        measure: Measure::SelfTimed(Quantity::Time),
        target: Target::VsRunsc(0.5),
    },
];

/// Rows for which runsc gets another `--network` than the harness default (`none`): the
/// network workloads compare against runsc's own user-space stack.
const RUNSC_NETWORK: &[(&str, &str)] =
    &[("tcp-stream-1g", "sandbox"), ("tcp-pingpong", "sandbox"), ("unix-pingpong", "sandbox")];

/// The runner for `w`: `runner` itself, or for runsc with the row's `--network` flag.
fn runner_for(w: &Workload, runner: &Runner) -> Runner {
    match (runner, RUNSC_NETWORK.iter().find(|(n, _)| *n == w.name)) {
        (Runner::Runsc(path, flags), Some((_, net))) => {
            let mut f: Vec<String> = flags.iter().filter(|f| !f.starts_with("--network")).cloned().collect();
            f.insert(0, format!("--network={net}"));
            Runner::Runsc(path.clone(), f)
        }
        (Runner::Runsc(path, flags), None) => Runner::Runsc(path.clone(), flags.clone()),
        (Runner::Husk(p), _) => Runner::Husk(p.clone()),
        (Runner::Native, _) => Runner::Native,
    }
}

impl Workload {
    /// True when `--only` selects this workload.
    fn selected(&self, only: &[String]) -> bool {
        only.is_empty() || only.iter().any(|o| self.name == o || self.name.split('/').next() == Some(o.as_str()))
    }

    fn quantity(&self) -> Quantity {
        match self.measure {
            Measure::SelfTimed(q) => q,
            Measure::Wall { .. } => Quantity::Time,
            Measure::InPty { mode, .. } => {
                if mode == "drain" {
                    Quantity::Rate
                } else {
                    Quantity::Time
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Building the C programs.

/// Compiles every `benches/c/*.c` whose binary is missing or older than its source (or
/// `bench.h`) into `bin_dir`.
fn build_programs(src_dir: &Path, bin_dir: &Path) -> Result<()> {
    fs::create_dir_all(bin_dir).with_context(|| format!("creating {}", bin_dir.display()))?;
    let mtime = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let header = mtime(&src_dir.join("bench.h")).unwrap_or(SystemTime::UNIX_EPOCH);
    let entries = fs::read_dir(src_dir).with_context(|| format!("reading {}", src_dir.display()))?;
    for entry in entries {
        let src = entry?.path();
        if src.extension().is_none_or(|e| e != "c") {
            continue;
        }
        let stem = src.file_stem().context("C source without a name")?;
        let out = bin_dir.join(stem);
        let newest_input = mtime(&src).unwrap_or(SystemTime::now()).max(header);
        if mtime(&out).is_some_and(|built| built >= newest_input) {
            continue;
        }
        eprintln!("husk-bench: cc -static -O2 {}", src.display());
        let res = Command::new("cc")
            .args(["-static", "-O2", "-Wall", "-o"])
            .arg(&out)
            .arg(&src)
            .output()
            .context("running cc (is a C compiler with static glibc installed?)")?;
        if !res.status.success() {
            bail!("cc failed for {}:\n{}", src.display(), String::from_utf8_lossy(&res.stderr));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Running commands with a timeout.

/// How a command is run.
enum Runner {
    Native,
    /// `husk do -- CMD...`
    Husk(PathBuf),
    /// `runsc [flags] do CMD...`
    Runsc(PathBuf, Vec<String>),
}

impl Runner {
    /// The words that run a command through this runner with a terminal: nothing natively,
    /// `husk do -t --`, `runsc [flags] do`.
    fn tty_prefix(&self) -> Vec<String> {
        match self {
            Runner::Native => Vec::new(),
            Runner::Husk(husk) => vec![husk.to_string_lossy().into_owned(), "do".into(), "-t".into(), "--".into()],
            Runner::Runsc(runsc, flags) => {
                let mut v = vec![runsc.to_string_lossy().into_owned()];
                v.extend(flags.iter().cloned());
                v.push("do".into());
                v
            }
        }
    }

    fn command(&self, argv: &[String]) -> Command {
        let (mut cmd, rest) = match self {
            Runner::Native => (Command::new(&argv[0]), &argv[1..]),
            Runner::Husk(husk) => {
                let mut c = Command::new(husk);
                c.args(["do", "--"]);
                (c, argv)
            }
            Runner::Runsc(runsc, flags) => {
                let mut c = Command::new(runsc);
                c.args(flags).arg("do");
                (c, argv)
            }
        };
        cmd.args(rest);
        cmd
    }
}

/// A finished run.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    wall: Duration,
}

/// Runs `cmd` with stdin from /dev/null and stdout/stderr captured, in its own process group.
/// After `timeout` the child and all its descendants get SIGKILL. `wall` runs from just before
/// the spawn to the reaping of the child; the watchdog thread is started before the clock.
fn run_with_timeout(mut cmd: Command, timeout: Duration) -> io::Result<(Finished, bool)> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let (tx, rx) = mpsc::channel::<i32>();
    let watchdog = thread::spawn(move || {
        let Ok(pid) = rx.recv() else { return false };
        match rx.recv_timeout(timeout) {
            Err(mpsc::RecvTimeoutError::Timeout) => {
                kill_tree(pid);
                true
            }
            _ => false,
        }
    });
    let start = Instant::now();
    let spawned = cmd.spawn();
    let output = spawned.and_then(|child| {
        // The pid fits: Linux pids are below 2^22.
        let _ = tx.send(child.id() as i32);
        child.wait_with_output()
    });
    let wall = start.elapsed();
    // Cancels the watchdog (a second message, or the hang-up if the first was never sent).
    let _ = tx.send(0);
    drop(tx);
    let timed_out = watchdog.join().unwrap_or(false);
    let out = output?;
    let finished = Finished {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        wall,
    };
    Ok((finished, timed_out))
}

/// SIGKILLs `pid`, its process group and every descendant (sandboxes start helper processes that
/// may leave the group, and would otherwise keep our pipes open).
fn kill_tree(pid: i32) {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    if let Ok(dir) = fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(p) = entry.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            if let Some(ppid) = parent_of(p) {
                children.entry(ppid).or_default().push(p);
            }
        }
    }
    let mut todo = vec![pid];
    let mut all = Vec::new();
    while let Some(p) = todo.pop() {
        all.push(p);
        todo.extend(children.get(&p).into_iter().flatten());
    }
    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    for p in all {
        let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
    }
}

/// The parent pid of `pid` from `/proc/<pid>/stat` (the field after the state, which follows the
/// last `)` of the command name).
fn parent_of(pid: i32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `cmd`; an error is the text for a table cell.
fn run_cell(cmd: Command, timeout: Duration) -> Result<Finished, String> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    match run_with_timeout(cmd, timeout) {
        Err(e) => Err(format!("cannot run {program}: {e}")),
        Ok((_, true)) => Err(format!("timed out after {} s", timeout.as_secs())),
        Ok((f, false)) => Ok(f),
    }
}

/// Runs `argv` once through `runner` and insists on a zero exit; an error is the text for a
/// table cell (first stderr line, or what else went wrong).
fn run_ok(runner: &Runner, argv: &[String], timeout: Duration) -> Result<Finished, String> {
    let f = run_cell(runner.command(argv), timeout)?;
    if !f.status.success() {
        return Err(failure_text(&f));
    }
    Ok(f)
}

/// The first non-empty stderr line, else the exit status.
fn failure_text(f: &Finished) -> String {
    if let Some(line) = f.stderr.lines().map(str::trim).find(|l| !l.is_empty()) {
        return line.to_string();
    }
    match (f.status.code(), f.status.signal()) {
        (Some(code), _) => format!("exit status {code}, no stderr"),
        (None, Some(sig)) => format!("killed by signal {sig}, no stderr"),
        _ => format!("{}, no stderr", f.status),
    }
}

/// Parses the `result <value> <unit>` line of a self-timed program into (value, quantity), with
/// times in ns and rates in MiB/s.
fn parse_result(stdout: &str) -> Option<(f64, Quantity)> {
    let line = stdout.lines().rev().find(|l| l.starts_with("result "))?;
    let mut words = line.split_whitespace().skip(1);
    let value: f64 = words.next()?.parse().ok()?;
    let (scale, q) = match words.next()? {
        "ns" => (1.0, Quantity::Time),
        "us" => (1e3, Quantity::Time),
        "ms" => (1e6, Quantity::Time),
        "MiB/s" => (1.0, Quantity::Rate),
        _ => return None,
    };
    (value.is_finite() && value > 0.0).then_some((value * scale, q))
}

/// Checks that `runner` really runs programs: the probe must print its marker and exit 3.
fn probe(runner: &Runner, ctx: &Ctx, timeout: Duration) -> Result<(), String> {
    let f = run_cell(runner.command(&[ctx.bin("probe")]), timeout).map_err(|e| format!("probe: {e}"))?;
    if !f.stdout.contains("husk-bench-probe") {
        return Err(format!("probe: no output ({})", failure_text(&f)));
    }
    if f.status.code() != Some(3) {
        return Err(format!("probe: {} (want exit status 3)", f.status));
    }
    Ok(())
}

/// One workload's figure through one runner.
fn measure(w: &Workload, runner: &Runner, ctx: &Ctx, timeout: Duration) -> Result<f64, String> {
    let argv = (w.argv)(ctx);
    match w.measure {
        Measure::SelfTimed(want) => {
            let f = run_ok(runner, &argv, timeout)?;
            match parse_result(&f.stdout) {
                Some((v, q)) if q == want => Ok(v),
                _ => {
                    let first = f.stdout.lines().next().unwrap_or("").trim();
                    Err(format!("no valid result line in output {first:?}"))
                }
            }
        }
        Measure::Wall { runs, quick_runs } => {
            let runs = if ctx.quick { quick_runs } else { runs };
            run_ok(runner, &argv, timeout)?; // warm-up
            let mut total = Duration::ZERO;
            for _ in 0..runs {
                total += run_ok(runner, &argv, timeout)?.wall;
            }
            Ok(total.as_nanos() as f64 / runs as f64)
        }
        // `runsc do` runs the command without a terminal (stdin is the host pty, not a tty in
        // the sandbox, so bash reads lines and the host's line discipline echoes them): its
        // echo figures would time the host kernel, not runsc.
        Measure::InPty { mode, .. } if mode != "drain" && matches!(runner, Runner::Runsc(..)) => {
            Err("runsc do gives the command no terminal (its echo would be the host's)".into())
        }
        Measure::InPty { mode, count } => {
            let mut full = vec![ctx.bin("ptydrive"), mode.to_string()];
            if mode != "drain" {
                full.push(ctx.count(count));
            }
            full.push("--".into());
            full.extend(runner.tty_prefix());
            full.extend(argv);
            let f = run_ok(&Runner::Native, &full, timeout)?;
            match parse_result(&f.stdout) {
                Some((v, _)) => Ok(v),
                None => Err(format!("no valid result line in output {:?}", f.stdout.lines().next().unwrap_or(""))),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The table.

/// One measured cell.
enum Cell {
    Value(f64),
    Error(String),
    /// Not run (runsc unavailable).
    Absent,
}

impl Cell {
    fn value(&self) -> Option<f64> {
        match self {
            Cell::Value(v) => Some(*v),
            _ => None,
        }
    }
}

/// `x` rounded to 3 significant digits.
fn sig3(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = |v: f64| (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let rounded: f64 = format!("{:.*e}", 2, x).parse().unwrap_or(x);
    format!("{:.*}", digits(rounded), rounded)
}

fn format_value(v: f64, q: Quantity) -> String {
    match q {
        Quantity::Rate => format!("{} MiB/s", sig3(v)),
        Quantity::Time if v < 1e6 => format!("{} µs", sig3(v / 1e3)),
        Quantity::Time if v < 1e9 => format!("{} ms", sig3(v / 1e6)),
        Quantity::Time => format!("{} s", sig3(v / 1e9)),
    }
}

/// Error cells are cut to this many characters; the full text is listed under the table.
const ERROR_CELL_CHARS: usize = 40;

fn format_cell(c: &Cell, q: Quantity) -> String {
    match c {
        Cell::Value(v) => format_value(*v, q),
        Cell::Absent => "n.a.".into(),
        Cell::Error(e) => {
            let cell = format!("error: {e}");
            if cell.chars().count() <= ERROR_CELL_CHARS {
                cell
            } else {
                let cut: String = cell.chars().take(ERROR_CELL_CHARS - 1).collect();
                format!("{cut}…")
            }
        }
    }
}

fn ratio(a: &Cell, b: &Cell) -> String {
    match (a.value(), b.value()) {
        (Some(a), Some(b)) => format!("{}×", sig3(a / b)),
        _ => "-".into(),
    }
}

fn target_text(t: Target, q: Quantity) -> String {
    let (f, other) = match t {
        Target::VsRunsc(f) => (f, "runsc"),
        Target::VsNative(f) => (f, "native"),
        Target::None => return "-".into(),
    };
    let (op, f) = match q {
        Quantity::Time => ("≤", f),
        Quantity::Rate => ("≥", 1.0 / f),
    };
    if f == 1.0 {
        format!("husk {op} {other}")
    } else {
        format!("husk {op} {f}× {other}")
    }
}

fn verdict(t: Target, q: Quantity, husk: &Cell, native: &Cell, runsc: &Cell) -> &'static str {
    let (f, reference) = match t {
        Target::VsRunsc(f) => (f, runsc.value()),
        Target::VsNative(f) => (f, native.value()),
        Target::None => return "n.a.",
    };
    let Some(r) = reference else {
        return "n.a.";
    };
    let cost = |v: f64| if q == Quantity::Time { v } else { 1.0 / v };
    match husk {
        Cell::Value(h) if cost(*h) <= f * cost(r) => "PASS",
        _ => "FAIL",
    }
}

/// The measured cells of one workload.
struct Row<'a> {
    w: &'a Workload,
    native: Cell,
    husk: Cell,
    runsc: Cell,
}

fn print_table(rows: &[Row]) {
    let header = ["workload", "issue", "native", "husk", "runsc", "husk/native", "husk/runsc", "target", "result"];
    let lines: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            let q = r.w.quantity();
            [
                r.w.name.to_string(),
                r.w.issue.to_string(),
                format_cell(&r.native, q),
                format_cell(&r.husk, q),
                format_cell(&r.runsc, q),
                ratio(&r.husk, &r.native),
                ratio(&r.husk, &r.runsc),
                target_text(r.w.target, q),
                verdict(r.w.target, q, &r.husk, &r.native, &r.runsc).to_string(),
            ]
        })
        .collect();
    let mut width = header.map(|h| h.chars().count());
    for l in &lines {
        for (w, cell) in width.iter_mut().zip(l) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let render = |cells: &[String]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            // Names and texts left-aligned, figures right-aligned.
            let left = matches!(i, 0 | 1 | 7 | 8);
            let _ = if left { write!(s, "{c:<w$}  ") } else { write!(s, "{c:>w$}  ") };
        }
        s.trim_end().to_string()
    };
    println!("{}", render(&header.map(String::from)));
    println!("{}", "-".repeat(width.iter().sum::<usize>() + 2 * (width.len() - 1)));
    for l in &lines {
        println!("{}", render(l));
    }
    // Full error texts, each once, with the workloads that hit it.
    let mut errors: Vec<(String, Vec<&str>)> = Vec::new();
    for r in rows {
        for (who, cell) in [("native", &r.native), ("husk", &r.husk), ("runsc", &r.runsc)] {
            let Cell::Error(e) = cell else { continue };
            let text = format!("{who}: {e}");
            match errors.iter_mut().find(|(t, _)| *t == text) {
                Some((_, names)) => names.push(r.w.name),
                None => errors.push((text, vec![r.w.name])),
            }
        }
    }
    if !errors.is_empty() {
        println!("\nerrors:");
        for (text, names) in errors {
            println!("  {text}\n      in {}", names.join(", "));
        }
    }
}

// ---------------------------------------------------------------------------------------------

/// `name` looked up on PATH.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The runsc runner, or why there is none.
fn runsc_runner(args: &Args, ctx: &Ctx, timeout: Duration) -> Result<Runner, String> {
    if args.no_runsc {
        return Err("skipped (--no-runsc)".into());
    }
    let path = match &args.runsc {
        Some(p) => p.clone(),
        None => which("runsc").ok_or("not installed (no runsc on PATH)")?,
    };
    let mut flags = vec!["--network=none".to_string(), "--platform=ptrace".to_string()];
    flags.extend(args.runsc_flags.iter().cloned());
    let runner = Runner::Runsc(path, flags);
    probe(&runner, ctx, timeout)?;
    Ok(runner)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| manifest.join("target"));
    let ctx = Ctx { bin_dir: target_dir.join("husk-bench-bin"), quick: args.quick };
    let timeout = Duration::from_secs(args.timeout);

    if args.list {
        for w in WORKLOADS {
            let q = w.quantity();
            let argv = (w.argv)(&ctx).join(" ");
            let target = target_text(w.target, q);
            println!("{:<20} issue {:<4} {:<24} {argv}", w.name, w.issue, target);
        }
        return Ok(());
    }
    let selected: Vec<&Workload> = WORKLOADS.iter().filter(|w| w.selected(&args.only)).collect();
    if selected.is_empty() {
        let names: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
        bail!("no workload matches {:?}; workloads: {}", args.only, names.join(", "));
    }

    build_programs(&manifest.join("benches/c"), &ctx.bin_dir)?;

    let husk_path = match &args.husk {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("husk"),
    };
    let husk = Runner::Husk(husk_path.clone());
    let husk_ok = probe(&husk, &ctx, timeout);
    if let Err(e) = &husk_ok {
        eprintln!("husk-bench: husk ({}) fails its {e}", husk_path.display());
    }
    let runsc = runsc_runner(&args, &ctx, timeout);
    match &runsc {
        Ok(Runner::Runsc(p, flags)) => {
            eprintln!("husk-bench: runsc: {} {} do CMD", p.display(), flags.join(" "))
        }
        Ok(_) => {}
        Err(e) => eprintln!("husk-bench: runsc unusable, continuing without it: {e}"),
    }

    let mut rows = Vec::new();
    for w in selected {
        let run = |who: &str, runner: &Runner| {
            eprint!("husk-bench: {:<20} {who:<6} ... ", w.name);
            let cell = match measure(w, &runner_for(w, runner), &ctx, timeout) {
                Ok(v) => Cell::Value(v),
                // runsc's --network=sandbox needs iptables on the host; without it, fall back
                // to the harness's runsc flags (its loopback is the same netstack).
                Err(e) if e.contains("setting up network") => {
                    eprint!("(runsc --network=sandbox unusable here, using the default flags) ");
                    match measure(w, runner, &ctx, timeout) {
                        Ok(v) => Cell::Value(v),
                        Err(e) => Cell::Error(e),
                    }
                }
                Err(e) => Cell::Error(e),
            };
            eprintln!("{}", format_cell(&cell, w.quantity()));
            cell
        };
        let native = run("native", &Runner::Native);
        let husk = match &husk_ok {
            Ok(()) => run("husk", &husk),
            Err(e) => Cell::Error(e.clone()),
        };
        let runsc = match &runsc {
            Ok(r) => run("runsc", r),
            Err(_) => Cell::Absent,
        };
        rows.push(Row { w, native, husk, runsc });
    }

    println!(
        "\nhusk-bench{}: {} CPUs, kernel {}; husk {}",
        if args.quick { " --quick" } else { "" },
        thread::available_parallelism().map_or(0, |n| n.get()),
        fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        husk_path.display(),
    );
    print_table(&rows);
    Ok(())
}
