//! The runtime commands. Each returns the process's exit code; errors are
//! `anyhow` errors that `main` prints as one line.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;

use super::signals::parse_signal;
use super::term::Pump;
use super::{
    BootCliArgs, CreateArgs, DeleteArgs, EventsArgs, ExecArgs, Format, KillArgs, ListArgs, PsArgs, RunArgs, SpecArgs,
    WaitArgs,
};
use crate::loader::client::{self, ClientError, CALL_TIMEOUT};
use crate::loader::hostpty;
use crate::loader::oci::{self, ProcessConfig};
use crate::loader::proto::{ProcInfo, Request, SignalMode};
use crate::loader::state::{validate_id, ContainerState, ExitInfo, StateDir, Status};

/// How long `create` waits for the sandbox to be ready.
const BOOT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long `delete` waits for a destroyed sandbox process to exit.
const EXIT_TIMEOUT: Duration = Duration::from_secs(15);

/// What every runtime command needs: the state directory and the global
/// options passed on to `husk boot`.
#[derive(Clone)]
pub struct Ctx {
    pub state: StateDir,
    pub no_seccomp: bool,
    pub log_level: String,
    pub log_file: Option<PathBuf>,
    pub log_format: super::runc::LogFormat,
}

impl Ctx {
    /// A command running this husk binary with the global options passed on
    /// (state root, logging, seccomp, platform); the caller adds the rest.
    pub fn husk_command(&self) -> Result<Command> {
        let exe = std::env::current_exe().context("finding the husk binary")?;
        let mut cmd = Command::new(exe);
        cmd.arg("--root").arg(self.state.root()).arg("--log-level").arg(&self.log_level);
        if let Some(f) = &self.log_file {
            cmd.arg("--log-file").arg(std::path::absolute(f).unwrap_or_else(|_| f.clone()));
            cmd.arg("--log-format").arg(format!("{:?}", self.log_format).to_lowercase());
        }
        if self.no_seccomp {
            cmd.arg("--no-seccomp");
        }
        cmd.arg("--platform").arg(crate::platform::kind().name());
        Ok(cmd)
    }
}

/// Container `id`'s checkpoint as its sandbox last wrote it.
pub fn read_state(ctx: &Ctx, id: &str) -> Result<ContainerState> {
    Ok(ctx.state.read(id)?)
}

/// The container's state, refreshed from its sandbox when that is alive.
pub fn live_state(ctx: &Ctx, id: &str) -> Result<ContainerState> {
    Ok(live_state_and_memory(ctx, id)?.0)
}

/// The state of container `id`, brought up to date by its sandbox if it
/// runs, with the memory figures the sandbox reports.
fn live_state_and_memory(ctx: &Ctx, id: &str) -> Result<(ContainerState, Option<serde_json::Value>)> {
    let mut st = read_state(ctx, id)?;
    let mut memory = None;
    if st.sandbox_alive() {
        if let Ok(r) = client::call(&ctx.state, &st, &Request::State { id: id.to_string() }, &[], Some(CALL_TIMEOUT)) {
            if let Some(c) = r.container {
                st.status = c.status;
                st.init_pid = c.init_pid;
                st.exit = c.exit;
                st.reason = c.reason;
                memory = c.memory;
            }
        } else if let Ok(again) = read_state(ctx, id) {
            st = again;
        }
    }
    st.status = st.live_status();
    Ok((st, memory))
}

fn write_pid_file(path: &Option<PathBuf>, pid: i32) -> Result<()> {
    if let Some(p) = path {
        let tmp = p.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, pid.to_string()).with_context(|| format!("pid file {}", tmp.display()))?;
        std::fs::rename(&tmp, p).with_context(|| format!("pid file {}", p.display()))?;
    }
    Ok(())
}

/// Warns about what the config asks for and husk ignores: on stderr, or
/// only in the log when there is one (under a runc shim, stderr is the
/// container's).
fn print_warnings(ctx: &Ctx, cfg: &oci::ContainerConfig) {
    for w in &cfg.warnings {
        if ctx.log_file.is_some() {
            tracing::warn!("{}: {w}", cfg.bundle.join("config.json").display());
        } else {
            eprintln!("husk: warning: {}: {w}", cfg.bundle.join("config.json").display());
        }
    }
}

fn bundle_dir(b: &Option<PathBuf>) -> Result<PathBuf> {
    match b {
        Some(b) => Ok(b.clone()),
        None => std::env::current_dir().context("current directory"),
    }
}

/// A started `husk boot`.
pub struct Booted {
    /// Its host pid.
    pub pid: i32,
}

/// Where the stdio of a new root container comes from.
pub enum BootStdio {
    /// This process's stdin, stdout and stderr (as runc).
    Inherit,
    /// A host pty slave whose master the caller shows (`run -t`, the
    /// console): the sandbox bridges it to a pty of its own.
    Terminal(OwnedFd),
    /// These three descriptors (the console's log file and input FIFO).
    Files([OwnedFd; 3]),
}

/// Starts the sandbox process for a new root container and waits until it
/// is ready (or failed).
fn boot_sandbox(ctx: &Ctx, a: &CreateArgs, bundle: &Path, stdio: BootStdio) -> Result<Booted> {
    let (ready_r, ready_w) = nix::unistd::pipe().context("pipe")?;
    let mut cmd = ctx.husk_command()?;
    cmd.arg("boot").arg("--bundle").arg(bundle).arg("--ready-fd").arg("4");
    if let Some(s) = &a.console_socket {
        cmd.arg("--console-socket").arg(std::path::absolute(s).unwrap_or_else(|_| s.clone()));
    }
    let terminal = match stdio {
        BootStdio::Inherit => None,
        BootStdio::Terminal(t) => {
            cmd.arg("--terminal-fd").arg("3");
            cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
            Some(t)
        }
        BootStdio::Files([i, o, e]) => {
            cmd.stdin(Stdio::from(i)).stdout(Stdio::from(o)).stderr(Stdio::from(e));
            None
        }
    };
    if a.strace {
        cmd.arg("--strace");
    }
    cmd.arg("--network").arg(format!("{:?}", a.network).to_lowercase());
    cmd.arg(&a.id);
    let ready_fd = ready_w.as_raw_fd();
    let term_fd = terminal.as_ref().map(|t| t.as_raw_fd());
    // SAFETY: between fork and exec the child only makes async-signal-safe
    // calls (setsid, dup2) on descriptors that are open in it.
    unsafe {
        cmd.pre_exec(move || {
            // Its own session: the caller's terminal signals do not reach it.
            libc::setsid();
            if let Some(t) = term_fd {
                if libc::dup2(t, 3) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            if libc::dup2(ready_fd, 4) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().context("starting the sandbox process")?;
    drop(ready_w);
    drop(terminal);
    let pid = child.id() as i32;
    let mut ready = std::fs::File::from(ready_r);
    let mut text = String::new();
    let deadline = Instant::now() + BOOT_TIMEOUT;
    let mut buf = [0u8; 4096];
    loop {
        let mut p = libc::pollfd { fd: ready.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            // SAFETY: kill of our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let _ = child.wait();
            cleanup_failed_boot(ctx, &a.id, pid);
            bail!("the sandbox did not start within {}s", BOOT_TIMEOUT.as_secs());
        }
        // SAFETY: one pollfd of ours.
        unsafe { libc::poll(&mut p, 1, left.as_millis().min(1000) as i32) };
        if p.revents == 0 {
            continue;
        }
        match ready.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
        if text.contains('\n') {
            break;
        }
    }
    let line = text.lines().next().unwrap_or("").to_string();
    if line.starts_with("ok") {
        // The child runs on; it is not ours to wait for.
        std::mem::forget(child);
        return Ok(Booted { pid });
    }
    let _ = child.wait();
    if let Some(e) = line.strip_prefix("error: ") {
        bail!("{e}");
    }
    cleanup_failed_boot(ctx, &a.id, pid);
    bail!("the sandbox process died while starting")
}

/// Removes the state a sandbox that died during start-up left, if it was
/// that sandbox's.
fn cleanup_failed_boot(ctx: &Ctx, id: &str, pid: i32) {
    let ours = match ctx.state.read(id) {
        Ok(st) => st.sandbox_pid == pid,
        Err(_) => ctx.state.owner(id) == Some(pid),
    };
    if ours {
        let _ = ctx.state.remove(id);
    }
}

/// `husk create`.
pub fn create(ctx: &Ctx, a: &CreateArgs) -> Result<i32> {
    create_inner(ctx, a, false).map(|_| 0)
}

/// Creates a container; returns the CLI-side terminal master when this CLI
/// is to show the terminal (`run` in the foreground).
fn create_inner(ctx: &Ctx, a: &CreateArgs, foreground: bool) -> Result<Option<OwnedFd>> {
    validate_id(&a.id)?;
    if a.preserve_fds > 0 {
        bail!("--preserve-fds {}: passing extra descriptors to the process is not supported", a.preserve_fds);
    }
    let bundle = std::path::absolute(bundle_dir(&a.bundle)?)?;
    let cfg = oci::load_bundle(&bundle)?;
    if ctx.state.exists(&a.id) {
        bail!("container {:?} already exists", a.id);
    }
    if let Some(sid) = &a.sandbox {
        return create_in_sandbox(ctx, a, sid, &bundle, &cfg).map(|_| None);
    }
    let (master, slave) = if cfg.process.terminal && a.console_socket.is_none() {
        if !foreground {
            bail!("the process asks for a terminal (process.terminal): --console-socket is required");
        }
        let (m, s) = hostpty::open_pair().context("opening a terminal")?;
        (Some(m), Some(s))
    } else {
        (None, None)
    };
    print_warnings(ctx, &cfg);
    let stdio = match slave {
        Some(s) => BootStdio::Terminal(s),
        // The terminal goes to the console socket: the sandbox must not keep
        // our stdio (runc's shim reads create's output until EOF).
        None if cfg.process.terminal => BootStdio::Files(dev_null_stdio()?),
        None => BootStdio::Inherit,
    };
    boot_checked(ctx, a, &bundle, stdio)?;
    Ok(master)
}

fn dev_null_stdio() -> Result<[OwnedFd; 3]> {
    let null = || -> Result<OwnedFd> {
        Ok(std::fs::File::options().read(true).write(true).open("/dev/null").context("/dev/null")?.into())
    };
    Ok([null()?, null()?, null()?])
}

/// Creates a new sandbox for container `a.id` whose stdio is `stdio` (the
/// console's way in: it decides where a container's terminal or output
/// goes). Returns the sandbox's host pid.
pub fn create_with(ctx: &Ctx, a: &CreateArgs, stdio: BootStdio) -> Result<i32> {
    validate_id(&a.id)?;
    let bundle = std::path::absolute(bundle_dir(&a.bundle)?)?;
    let cfg = oci::load_bundle(&bundle)?;
    if ctx.state.exists(&a.id) {
        bail!("container {:?} already exists", a.id);
    }
    if cfg.process.terminal != matches!(stdio, BootStdio::Terminal(_)) {
        bail!("process.terminal in {} does not match the terminal given", bundle.join("config.json").display());
    }
    print_warnings(ctx, &cfg);
    boot_checked(ctx, a, &bundle, stdio).map(|b| b.pid)
}

fn boot_checked(ctx: &Ctx, a: &CreateArgs, bundle: &Path, stdio: BootStdio) -> Result<Booted> {
    if ctx.no_seccomp {
        crate::loader::seccomp::warn_disabled();
    }
    let booted = boot_sandbox(ctx, a, bundle, stdio)?;
    if let Err(e) = write_pid_file(&a.pid_file, booted.pid) {
        // All or nothing.
        let _ = delete(ctx, &DeleteArgs { force: true, id: a.id.clone() });
        return Err(e);
    }
    Ok(booted)
}

fn create_in_sandbox(ctx: &Ctx, a: &CreateArgs, sid: &str, bundle: &Path, cfg: &oci::ContainerConfig) -> Result<()> {
    let sst = read_state(ctx, sid).with_context(|| format!("sandbox {sid:?}"))?;
    if sst.sandbox_id != sst.id {
        bail!("{sid:?} is not a sandbox: it runs in sandbox {:?}", sst.sandbox_id);
    }
    if cfg.process.terminal && a.console_socket.is_none() {
        bail!("the process asks for a terminal (process.terminal): --console-socket is required");
    }
    print_warnings(ctx, cfg);
    let req = Request::Create {
        id: a.id.clone(),
        bundle: bundle.to_path_buf(),
        config: cfg.text.clone(),
        console_socket: a.console_socket.as_ref().map(|s| std::path::absolute(s).unwrap_or_else(|_| s.clone())),
    };
    let fds: Vec<i32> = if cfg.process.terminal { vec![] } else { vec![0, 1, 2] };
    client::call(&ctx.state, &sst, &req, &fds, Some(CALL_TIMEOUT))?;
    if let Err(e) = write_pid_file(&a.pid_file, sst.sandbox_pid) {
        let _ = delete(ctx, &DeleteArgs { force: true, id: a.id.clone() });
        return Err(e);
    }
    Ok(())
}

/// `husk start`.
pub fn start(ctx: &Ctx, id: &str) -> Result<i32> {
    let st = read_state(ctx, id)?;
    if st.live_status() != Status::Created {
        bail!("container {id:?} is {}, not created", st.live_status().as_str());
    }
    client::call(&ctx.state, &st, &Request::Start { id: id.to_string() }, &[], Some(CALL_TIMEOUT))?;
    Ok(0)
}

/// Signals that a foreground `run` or `exec` passes on to its process.
const FORWARDED: [i32; 6] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGUSR1, libc::SIGUSR2];

/// Forwards the signals this process gets to process `pid` (0: the init)
/// of container `id`.
pub fn forward_signals(ctx: &Ctx, id: &str, pid: i32, mode: SignalMode) {
    let Ok(mut signals) = signal_hook::iterator::Signals::new(FORWARDED) else { return };
    let state = ctx.state.clone();
    let id = id.to_string();
    let _ = std::thread::Builder::new().name("forward".into()).spawn(move || {
        for sig in signals.forever() {
            if let Ok(st) = state.read(&id) {
                let _ = client::call(
                    &state,
                    &st,
                    &Request::Signal { id: id.clone(), pid, signal: sig, mode },
                    &[],
                    Some(CALL_TIMEOUT),
                );
            }
        }
    });
}

/// `husk run`: create, start, and (unless detached) wait and exit with
/// the container's status.
pub fn run(ctx: &Ctx, a: &RunArgs) -> Result<i32> {
    let master = create_inner(ctx, &a.create, !a.detach)?;
    let id = &a.create.id;
    let pump = master.map(Pump::start);
    if !a.detach {
        let mode = if pump.is_some() { SignalMode::ForegroundGroup } else { SignalMode::Process };
        forward_signals(ctx, id, 0, mode);
    }
    if let Err(e) = start(ctx, id) {
        // Nothing runs: leave no sandbox behind.
        let _ = delete(ctx, &DeleteArgs { force: true, id: id.clone() });
        return Err(e);
    }
    if a.detach {
        return Ok(0);
    }
    let st = read_state(ctx, id)?;
    let r = client::call(&ctx.state, &st, &Request::Wait { id: id.clone() }, &[], None);
    if let Some(p) = pump {
        p.finish(Duration::from_secs(2));
    }
    let exit = match r {
        Ok(resp) => resp.exit,
        Err(_) => read_state(ctx, id).ok().and_then(|s| s.exit),
    };
    let code = match exit {
        Some(e) => e.shell_code(),
        None => bail!("container {id:?}: the sandbox process died; the exit status is unknown"),
    };
    // The container is done: remove it, as `runc run` does.
    let _ = delete(ctx, &DeleteArgs { force: true, id: id.clone() });
    Ok(code)
}

/// Parses `UID[:GID]`.
fn parse_user(s: &str) -> Result<(u32, Option<u32>)> {
    let (u, g) = match s.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (s, None),
    };
    let uid = u.parse().map_err(|_| anyhow!("--user {s:?}: expected UID or UID:GID (numbers)"))?;
    let gid =
        g.map(|g| g.parse().map_err(|_| anyhow!("--user {s:?}: expected UID or UID:GID (numbers)"))).transpose()?;
    Ok((uid, gid))
}

/// Where the stdio of an exec'd process comes from.
pub enum ExecStdio {
    /// This process's stdin, stdout and stderr.
    Inherit,
    /// A host pty slave whose master the caller shows.
    Terminal(OwnedFd),
    /// These three descriptors.
    Files([OwnedFd; 3]),
}

/// Starts `a.cmd` in container `a.id` (not waiting for it); returns its
/// pid in the sandbox. `a.tty` must match whether `stdio` is a terminal.
pub fn exec_spawn(ctx: &Ctx, a: &ExecArgs, stdio: ExecStdio) -> Result<i32> {
    let st = read_state(ctx, &a.id)?;
    if st.live_status() != Status::Running {
        bail!("container {:?} is {}, not running", a.id, st.live_status().as_str());
    }
    // The container's process is the template, as in runc.
    let mut p: ProcessConfig = oci::load_bundle(&st.bundle).map(|c| c.process).unwrap_or_else(|_| ProcessConfig {
        env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
        cwd: "/".into(),
        umask: 0o022,
        ..Default::default()
    });
    if let Some(f) = &a.process {
        p = super::runc::process_from_file(&st.bundle, f)?;
    } else {
        p.args = a.cmd.clone();
    }
    if let Some(c) = &a.cwd {
        if !c.starts_with('/') {
            bail!("--cwd {c:?} must be an absolute path");
        }
        p.cwd = c.clone();
    }
    for e in &a.env {
        let (k, _) = e.split_once('=').ok_or_else(|| anyhow!("--env {e:?}: expected KEY=VAL"))?;
        if k.is_empty() {
            bail!("--env {e:?}: empty variable name");
        }
        p.env.retain(|x| x.split_once('=').map(|(xk, _)| xk) != Some(k));
        p.env.push(e.clone());
    }
    if let Some(u) = &a.user {
        let (uid, gid) = parse_user(u)?;
        p.uid = uid;
        p.gid = gid.unwrap_or(uid);
        p.additional_gids.clear();
    }
    if !a.additional_gids.is_empty() {
        p.additional_gids = a.additional_gids.clone();
    }
    p.terminal = matches!(stdio, ExecStdio::Terminal(_));
    if a.process.is_none() {
        p.console_size = None;
    }
    let owned: Vec<OwnedFd> = match stdio {
        ExecStdio::Inherit => vec![],
        ExecStdio::Terminal(t) => vec![t],
        ExecStdio::Files(f) => f.into(),
    };
    let raw: Vec<i32> = if owned.is_empty() { vec![0, 1, 2] } else { owned.iter().map(|f| f.as_raw_fd()).collect() };
    let resp =
        client::call(&ctx.state, &st, &Request::Exec { id: a.id.clone(), process: p }, &raw, Some(CALL_TIMEOUT))?;
    drop(owned);
    let pid = resp.pid.ok_or_else(|| anyhow!("the sandbox did not say which pid it started"))?;
    write_pid_file(&a.sandbox_pid_file, pid)?;
    Ok(pid)
}

/// `husk exec`.
pub fn exec(ctx: &Ctx, a: &ExecArgs) -> Result<i32> {
    let st = read_state(ctx, &a.id)?;
    let tty = match &a.process {
        Some(f) => super::runc::process_from_file(&st.bundle, f)?.terminal,
        None => a.tty,
    };
    if tty && a.detach && a.console_socket.is_none() {
        bail!("--tty with --detach needs --console-socket: the terminal is this command's");
    }
    let (stdio, mut master) = if tty {
        let (m, s) = hostpty::open_pair().context("opening a terminal")?;
        (ExecStdio::Terminal(s), Some(m))
    } else {
        (ExecStdio::Inherit, None)
    };
    // With a console socket the terminal's master goes there, not to us.
    if let Some(sock) = &a.console_socket {
        if let Some(m) = master.take() {
            hostpty::send_to_console_socket(sock, &m)
                .with_context(|| format!("--console-socket {}", sock.display()))?;
        }
    }
    let pid = exec_spawn(ctx, a, stdio)?;
    if a.detach {
        if a.pid_file.is_some() {
            let waiter = super::runc::spawn_waiter(ctx, &a.id, pid)?;
            write_pid_file(&a.pid_file, waiter)?;
        }
        return Ok(0);
    }
    write_pid_file(&a.pid_file, std::process::id() as i32)?;
    let pump = master.map(Pump::start);
    forward_signals(ctx, &a.id, pid, SignalMode::Process);
    let r = wait_exit(ctx, &a.id, Some(pid));
    if let Some(p) = pump {
        p.finish(Duration::from_secs(2));
    }
    Ok(r?.shell_code())
}

/// Container `id`'s checkpoint, if its sandbox still serves it (an error
/// once it has stopped): what requests to a live container start with.
pub fn live_container(ctx: &Ctx, id: &str) -> Result<ContainerState> {
    let st = read_state(ctx, id)?;
    if st.live_status() == Status::Stopped {
        bail!("container {id:?} is not running");
    }
    Ok(st)
}

/// Sends `sig` to process `pid` (0: the init) of container `id` as `mode`
/// says.
pub fn send_signal(ctx: &Ctx, id: &str, pid: i32, sig: i32, mode: SignalMode) -> Result<()> {
    let st = live_container(ctx, id)?;
    let req = Request::Signal { id: id.to_string(), pid, signal: sig, mode };
    client::call(&ctx.state, &st, &req, &[], Some(CALL_TIMEOUT))?;
    Ok(())
}

/// `husk kill`.
pub fn kill(ctx: &Ctx, a: &KillArgs) -> Result<i32> {
    let sig = parse_signal(&a.signal)?;
    if a.all && a.pid.is_some() {
        bail!("--all and --pid cannot be used together: --all signals every process of the container");
    }
    if a.all && a.foreground {
        bail!("--all and --foreground cannot be used together");
    }
    let mode = if a.all {
        SignalMode::All
    } else if a.foreground {
        SignalMode::ForegroundGroup
    } else {
        SignalMode::Process
    };
    send_signal(ctx, &a.id, a.pid.unwrap_or(0), sig, mode)?;
    Ok(0)
}

fn exit_json(id: &str, e: &ExitInfo) -> serde_json::Value {
    json!({ "id": id, "exitStatus": e.shell_code(), "waitStatus": e.wait_status(), "signal": e.signal })
}

/// Waits for container `id`'s init (or process `pid`) to exit, on a
/// connection of the caller's (which it may shut down to give up).
pub fn wait_exit_on(ctx: &Ctx, sock: &UnixStream, id: &str, pid: Option<i32>) -> Result<ExitInfo> {
    let req = match pid {
        Some(pid) => Request::WaitPid { id: id.to_string(), pid },
        None => Request::Wait { id: id.to_string() },
    };
    match client::call_on(sock, &req, &[], None) {
        Ok((r, _)) => r.exit.ok_or_else(|| anyhow!("no exit status")),
        // The sandbox went away while we waited: its checkpoint may tell.
        Err(ClientError::Proto(_)) if pid.is_none() => match read_state(ctx, id)?.exit {
            Some(e) => Ok(e),
            None => bail!("container {id:?}: the sandbox process is gone; the exit status is unknown"),
        },
        Err(e) => Err(e.into()),
    }
}

/// Waits for container `id`'s init (or process `pid`) to exit.
pub fn wait_exit(ctx: &Ctx, id: &str, pid: Option<i32>) -> Result<ExitInfo> {
    let st = read_state(ctx, id)?;
    match client::connect(&ctx.state, &st) {
        Ok(sock) => wait_exit_on(ctx, &sock, id, pid),
        Err(ClientError::Gone(_)) if pid.is_none() => match read_state(ctx, id)?.exit {
            Some(e) => Ok(e),
            None => bail!("container {id:?}: the sandbox process is gone; the exit status is unknown"),
        },
        Err(e) => Err(e.into()),
    }
}

/// `husk wait`.
pub fn wait(ctx: &Ctx, a: &WaitArgs) -> Result<i32> {
    let exit = wait_exit(ctx, &a.id, a.pid)?;
    println!("{}", exit_json(&a.id, &exit));
    Ok(0)
}

/// The processes of container `id` (none when its sandbox is gone).
pub fn ps_rows(ctx: &Ctx, id: &str) -> Result<Vec<ProcInfo>> {
    let st = read_state(ctx, id)?;
    match client::call(&ctx.state, &st, &Request::Ps { id: id.to_string() }, &[], Some(CALL_TIMEOUT)) {
        Ok(r) => Ok(r.processes.unwrap_or_default()),
        // A stopped sandbox has no processes.
        Err(ClientError::Gone(_)) => Ok(vec![]),
        Err(e) => Err(e.into()),
    }
}

/// `husk ps`.
pub fn ps(ctx: &Ctx, a: &PsArgs) -> Result<i32> {
    let list = ps_rows(ctx, &a.id)?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string(&list)?),
        Format::Table if a.long => print!("{}", ps_long(&list)),
        Format::Table => {
            let mut out = String::from("UID        PID   PPID   PGID    SID  STAT  TTY      CMD\n");
            for p in &list {
                out.push_str(&format!(
                    "{:<8} {:>5} {:>6} {:>6} {:>6}  {:<4}  {:<8} {}\n",
                    p.uid, p.pid, p.ppid, p.pgid, p.sid, p.state, p.tty, p.cmd
                ));
            }
            print!("{out}");
        }
    }
    Ok(0)
}

/// `ps --long`: the default columns plus TPGID, TIME (CPU, m:ss.cc),
/// VSZ and RSS (KiB) and WCHAN (the syscall the process waits in).
fn ps_long(list: &[crate::loader::proto::ProcInfo]) -> String {
    let mut out = String::from(
        "UID        PID   PPID   PGID    SID  TPGID  STAT  TTY          TIME      VSZ    RSS  WCHAN            CMD\n",
    );
    for p in list {
        let time = format!("{}:{:02}.{:02}", p.cpu_ms / 60_000, p.cpu_ms / 1000 % 60, p.cpu_ms / 10 % 100);
        let wchan = if p.wchan.is_empty() { "-" } else { p.wchan.as_str() };
        out.push_str(&format!(
            "{:<8} {:>5} {:>6} {:>6} {:>6} {:>6}  {:<4}  {:<8} {:>8} {:>8} {:>6}  {:<16} {}\n",
            p.uid, p.pid, p.ppid, p.pgid, p.sid, p.tpgid, p.state, p.tty, time, p.vsz_kb, p.rss_kb, wchan, p.cmd
        ));
    }
    out
}

fn state_json(st: &ContainerState) -> serde_json::Value {
    let status = st.status;
    json!({
        "ociVersion": "1.0.2",
        "id": st.id,
        "status": status.as_str(),
        // The host process that runs the container: its sandbox.
        "pid": if status == Status::Stopped { 0 } else { st.sandbox_pid },
        "bundle": st.bundle,
        "rootfs": st.rootfs,
        "created": st.created,
        "owner": "",
        "annotations": st.annotations,
        "sandboxId": st.sandbox_id,
        // The init's pid in the sandbox's root PID namespace (what
        // `/proc/<initPid>/ns/pid` in another container's spec names), and
        // the container's PID namespace.
        "initPid": st.init_pid,
        "pidNamespace": st.pidns,
        "exitStatus": st.exit.map(|e| e.shell_code()),
        "reason": st.reason,
    })
}

/// `husk state`: the OCI state, and the container's memory figures while
/// its sandbox runs.
pub fn state(ctx: &Ctx, id: &str) -> Result<i32> {
    let (st, memory) = live_state_and_memory(ctx, id)?;
    let mut v = state_json(&st);
    if let Some(m) = memory {
        v["memory"] = m;
    }
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(0)
}

/// Every container of the state directory, as it is now.
pub fn list_states(ctx: &Ctx) -> Vec<ContainerState> {
    ctx.state.list().iter().filter_map(|s| live_state(ctx, &s.id).ok()).collect()
}

/// `husk list`.
pub fn list(ctx: &Ctx, a: &ListArgs) -> Result<i32> {
    let all = list_states(ctx);
    if a.quiet {
        for s in &all {
            println!("{}", s.id);
        }
        return Ok(0);
    }
    match a.format {
        Format::Json => println!("{}", serde_json::to_string(&all.iter().map(state_json).collect::<Vec<_>>())?),
        Format::Table => {
            let mut out = String::from("ID                  PID         STATUS      BUNDLE                                   CREATED                          OWNER\n");
            for s in &all {
                let pid = if s.status == Status::Stopped { 0 } else { s.sandbox_pid };
                out.push_str(&format!(
                    "{:<19} {:<11} {:<11} {:<40} {:<32} {}\n",
                    s.id,
                    pid,
                    s.status.as_str(),
                    s.bundle.display(),
                    s.created,
                    "root"
                ));
            }
            print!("{out}");
        }
    }
    Ok(0)
}

/// Waits (bounded) for host process `pid` to be gone; kills it if not.
fn wait_gone(pid: i32, start: u64) {
    let deadline = Instant::now() + EXIT_TIMEOUT;
    let alive = || crate::loader::state::process_start_time(pid).is_some_and(|t| t == start);
    while alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if alive() {
        // SAFETY: kill of the sandbox process recorded in our state file,
        // checked by its start time.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// `husk delete`.
pub fn delete(ctx: &Ctx, a: &DeleteArgs) -> Result<i32> {
    let st = read_state(ctx, &a.id)?;
    let status = live_state(ctx, &a.id).map(|s| s.status).unwrap_or(Status::Stopped);
    if matches!(status, Status::Running | Status::Paused) && !a.force {
        bail!("cannot delete container {:?}: it is {} (stop it first, or use --force)", a.id, status.as_str());
    }
    let is_sandbox = st.sandbox_id == st.id;
    if st.sandbox_alive() {
        match client::call(&ctx.state, &st, &Request::Destroy { id: a.id.clone() }, &[], Some(CALL_TIMEOUT)) {
            Ok(_) | Err(ClientError::Gone(_)) => {}
            Err(e) if is_sandbox => {
                eprintln!("husk: warning: destroying sandbox {:?}: {e}; killing its process", a.id);
                // SAFETY: as in wait_gone.
                unsafe { libc::kill(st.sandbox_pid, libc::SIGKILL) };
            }
            Err(e) => return Err(e.into()),
        }
        if is_sandbox {
            wait_gone(st.sandbox_pid, st.sandbox_start);
        }
    }
    if is_sandbox {
        // Every container of the sandbox went with it.
        for other in ctx.state.list() {
            if other.sandbox_id == st.id && other.id != st.id {
                ctx.state.remove(&other.id)?;
                ctx.state.remove_console_files(&other.id);
            }
        }
    }
    ctx.state.remove(&a.id)?;
    ctx.state.remove_console_files(&a.id);
    Ok(0)
}

/// Parses `5s`, `500ms`, `2m` (seconds without a unit).
pub fn parse_duration(s: &str) -> Result<Duration> {
    let bad = || anyhow!("invalid duration {s:?} (e.g. 5s, 500ms)");
    let (num, unit) = s.find(|c: char| !c.is_ascii_digit() && c != '.').map(|i| s.split_at(i)).unwrap_or((s, "s"));
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        _ => return Err(bad()),
    };
    if secs.is_nan() || secs <= 0.0 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `husk events`.
pub fn events(ctx: &Ctx, a: &EventsArgs) -> Result<i32> {
    let interval = parse_duration(&a.interval)?;
    let st = read_state(ctx, &a.id)?;
    let sock = client::connect(&ctx.state, &st)?;
    let req = Request::Events { id: a.id.clone(), interval_ms: interval.as_millis() as u64, stats_only: a.stats };
    let (first, _) = client::call_on(&sock, &req, &[], None)?;
    let mut out = std::io::stdout();
    let mut next = Some(first);
    while let Some(r) = next {
        if let Some(ev) = r.event {
            let _ = writeln!(out, "{}", serde_json::to_string(&ev)?);
            let _ = out.flush();
        }
        if a.stats {
            break;
        }
        next = client::next(&sock)?;
    }
    Ok(0)
}

/// `husk spec`.
pub fn spec(a: &SpecArgs) -> Result<i32> {
    let dir = bundle_dir(&a.bundle)?;
    let path = dir.join("config.json");
    if path.exists() {
        bail!("{}: already exists; remove it first", path.display());
    }
    let text = serde_json::to_string_pretty(&oci::default_spec(!a.no_terminal))?;
    std::fs::write(&path, text + "\n").with_context(|| path.display().to_string())?;
    Ok(0)
}

/// `husk boot`.
pub fn boot(ctx: &Ctx, a: &BootCliArgs, init_log: &dyn Fn(&Path)) -> i32 {
    let args = crate::loader::boot::BootArgs {
        id: a.id.clone(),
        bundle: a.bundle.clone(),
        state_root: ctx.state.root().to_path_buf(),
        console_socket: a.console_socket.clone(),
        terminal_fd: a.terminal_fd,
        ready_fd: a.ready_fd,
        no_seccomp: ctx.no_seccomp,
        strace: a.strace,
        network: a.network.mode(),
    };
    crate::loader::boot::run(&args, init_log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert!(parse_duration("x").is_err());
        assert!(parse_duration("0s").is_err());
    }

    #[test]
    fn users() {
        assert_eq!(parse_user("1000").unwrap(), (1000, None));
        assert_eq!(parse_user("1000:100").unwrap(), (1000, Some(100)));
        assert!(parse_user("bob").is_err());
    }
}
