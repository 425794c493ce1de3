//! `husk boot` (internal): the host process of one sandbox. It claims the
//! container's state directory, boots a kernel for the bundle, creates the
//! root container (not started), serves the control socket, installs the
//! sentry's seccomp filter, tells the `create` that started it that it is
//! ready, and then lives until the root container is gone.
//!
//! Start-up is all or nothing: any failure before "ready" removes what was
//! made (the state directory), so no sandbox is left half-created.

use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::oci::{self, ContainerConfig};
use super::proto::SignalMode;
use super::sandbox::{Sandbox, Stdio};
use super::state::StateDir;
use super::{control, hostpty, seccomp};
use crate::kernel::vfs::Vfs;
use crate::kernel::{Kernel, KernelConfig};

/// How often the gofer monitor looks at the root directories.
const MONITOR_EVERY: Duration = Duration::from_millis(500);

/// What `husk boot` is asked to do.
#[derive(Clone, Debug)]
pub struct BootArgs {
    /// The container (and sandbox) id.
    pub id: String,
    pub bundle: PathBuf,
    pub state_root: PathBuf,
    /// Send the terminal's master side here (`--console-socket`).
    pub console_socket: Option<PathBuf>,
    /// A host terminal to bridge to the container's terminal (the CLI of
    /// a foreground `run` keeps its master side).
    pub terminal_fd: Option<i32>,
    /// Where to report "ok" or the error of start-up.
    pub ready_fd: Option<i32>,
    pub no_seccomp: bool,
    pub strace: bool,
    /// How the sandbox reaches the network.
    pub network: crate::netstack::NetworkMode,
}

/// Runs a sandbox; returns the process's exit code. `init_log` sets up
/// logging to the given file (the sandbox's log in its state directory
/// unless `--log-file` said otherwise).
pub fn run(a: &BootArgs, init_log: &dyn Fn(&Path)) -> i32 {
    let mut ready = a.ready_fd.and_then(|fd| hostpty::take_fd(fd).ok()).map(std::fs::File::from);
    let state = StateDir::new(&a.state_root);
    let sb = match setup(a, &state, init_log) {
        Ok(sb) => sb,
        Err(e) => {
            tracing::error!("boot: {e}");
            if let Some(r) = ready.as_mut() {
                let _ = writeln!(r, "error: {e}");
            } else {
                eprintln!("husk: {e}");
            }
            return 1;
        }
    };
    if let Some(mut r) = ready.take() {
        let _ = writeln!(r, "ok {}", std::process::id());
    }
    // Lives until the root container is gone.
    sb.kernel.exits.wait_for(None, || sb.finished().then_some(()));
    tracing::info!("sandbox {} is done", sb.id);
    // The sandbox process stands for the root container's init (its pid is
    // the pid file's, which runc's shim waits on): exit with its status, or
    // as killed when the sandbox was destroyed before the init exited.
    let code = sb.info(&sb.id).ok().and_then(|c| c.exit).map_or(128 + libc::SIGKILL, |e| e.shell_code());
    sb.finish();
    control::drain(Duration::from_secs(2));
    let _ = std::fs::remove_file(state.control_socket(&sb.id));
    code
}

fn setup(a: &BootArgs, state: &StateDir, init_log: &dyn Fn(&Path)) -> Result<Arc<Sandbox>, String> {
    let cfg = oci::load_bundle(&a.bundle).map_err(|e| e.to_string())?;
    state.claim(&a.id).map_err(|e| e.to_string())?;
    init_log(&state.log_file(&a.id));
    let made = setup_claimed(a, state, cfg);
    if made.is_err() {
        let _ = state.remove(&a.id);
    }
    made
}

fn setup_claimed(a: &BootArgs, state: &StateDir, cfg: ContainerConfig) -> Result<Arc<Sandbox>, String> {
    for w in &cfg.warnings {
        tracing::warn!("{}: {w}", a.bundle.join("config.json").display());
    }
    crate::platform::init().map_err(|e| format!("cannot start the sentry: {e}"))?;
    let vfs = make_vfs(&cfg)?;
    let config = KernelConfig {
        strace: a.strace,
        hostname: cfg.hostname.clone().filter(|h| !h.is_empty()).unwrap_or_else(|| a.id.chars().take(64).collect()),
        max_tasks: 1024,
        network: a.network,
    };
    super::panic::abort_on_panic();
    let kernel = Kernel::new(vfs, &config);
    let stdio = root_stdio(a, &cfg)?;
    let sb = Sandbox::new(&a.id, kernel, state.clone(), cfg, stdio);
    sb.persist_all();
    let listener = control::bind(&state.control_socket(&a.id))
        .map_err(|e| format!("control socket {}: {}", state.control_socket(&a.id).display(), oci::io_text(&e)))?;
    forward_signals(&sb);
    // No application code has run yet: from here on, the sentry may only
    // make the system calls it needs.
    if a.no_seccomp {
        seccomp::warn_disabled();
    } else {
        // A violation is reported in the sandbox's log (stderr is the
        // container's, or /dev/null).
        let report = std::fs::OpenOptions::new().create(true).append(true).open(state.log_file(&a.id)).ok();
        seccomp::install_with_report(report.map(std::os::fd::IntoRawFd::into_raw_fd))
            .map_err(|e| format!("installing the sentry's seccomp filter: {e}"))?;
    }
    control::serve(listener, sb.clone());
    let monitor = sb.clone();
    let _ =
        std::thread::Builder::new().name("gofer-monitor".into()).spawn(move || monitor.monitor_roots(MONITOR_EVERY));
    Ok(sb)
}

/// The container's file system: the bundle's root (read-only if asked),
/// its bind mounts and tmpfs mounts.
fn make_vfs(cfg: &ContainerConfig) -> Result<Arc<Vfs>, String> {
    use crate::kernel::vfs::{mount, overlay, BindSpec, Caller, Lookup};
    let binds: Vec<BindSpec> = cfg
        .binds
        .iter()
        .map(|b| BindSpec { source: b.source.clone(), target: b.target.clone(), readonly: b.readonly })
        .collect();
    let vfs =
        Vfs::with_binds(&cfg.root, &binds).map_err(|e| format!("root {}: {}", cfg.root.display(), oci::io_text(&e)))?;
    for t in &cfg.tmpfs {
        // The mount point, made like `mkdir -p` in the root's memory layer.
        let mut path = String::new();
        for comp in t.target.split('/').filter(|c| !c.is_empty()) {
            path.push('/');
            path.push_str(comp);
            match vfs.mkdir(&Lookup::new(b"/", true), path.as_bytes(), 0o755, Caller::SENTRY) {
                Ok(()) | Err(crate::kernel::errno::Errno::EEXIST) => {}
                Err(e) => return Err(format!("tmpfs mount at {}: {}", t.target, super::strerror(e))),
            }
        }
        let point = vfs
            .resolve(b"/", t.target.as_bytes(), true)
            .map_err(|e| format!("tmpfs mount at {}: {}", t.target, super::strerror(e)))?
            .path;
        let dev = mount::alloc_dev();
        let flags = mount::flags::NOSUID | mount::flags::NODEV | if t.readonly { mount::flags::RDONLY } else { 0 };
        vfs.change_mounts(|table| {
            table.add(
                &point,
                mount::NewMount {
                    fs: overlay::Overlay::tmpfs(dev, t.mode),
                    root: b"/".to_vec(),
                    flags,
                    source: "tmpfs".into(),
                    data: format!("mode={:o}", t.mode),
                    dev,
                },
            );
            Ok(())
        })
        .map_err(|e| format!("tmpfs mount at {}: {}", t.target, super::strerror(e)))?;
    }
    if cfg.root_readonly {
        vfs.change_mounts(|table| table.set_flags(b"/", mount::flags::RDONLY | mount::flags::RELATIME))
            .map_err(|e| format!("making the root read-only: {}", super::strerror(e)))?;
    }
    Ok(vfs)
}

/// The root container's stdio: a terminal (console socket or a host
/// terminal from the CLI) or this process's stdin, stdout and stderr, which
/// are then replaced by /dev/null here.
fn root_stdio(a: &BootArgs, cfg: &ContainerConfig) -> Result<Stdio, String> {
    if cfg.process.terminal {
        if let Some(fd) = a.terminal_fd {
            let fd = hostpty::take_fd(fd).map_err(|e| format!("--terminal-fd {fd}: {e}"))?;
            return Ok(Stdio::Terminal(fd));
        }
        let sock = a
            .console_socket
            .as_ref()
            .ok_or("the process asks for a terminal (process.terminal): --console-socket is required")?;
        let (master, slave) = hostpty::open_pair().map_err(|e| format!("cannot open a terminal: {e}"))?;
        hostpty::send_to_console_socket(sock, &master)
            .map_err(|e| format!("console socket {}: {}", sock.display(), oci::io_text(&e)))?;
        return Ok(Stdio::Terminal(slave));
    }
    let dup = |fd: i32| -> Result<OwnedFd, String> {
        // SAFETY: borrowing a standard descriptor for the duration of the dup.
        let b = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        b.try_clone_to_owned()
            .or_else(|_| std::fs::File::options().read(true).write(true).open("/dev/null").map(OwnedFd::from))
            .map_err(|e| e.to_string())
    };
    let fds = [dup(0)?, dup(1)?, dup(2)?];
    if let Ok(null) = std::fs::File::options().read(true).write(true).open("/dev/null") {
        for fd in 0..3 {
            // SAFETY: dup2 onto our own standard descriptors.
            unsafe { libc::dup2(null.as_raw_fd(), fd) };
        }
    }
    Ok(Stdio::Fds(fds))
}

/// Signals sent to the sandbox process go to the root container, as in
/// the seed: to its terminal's foreground process group if it has one.
fn forward_signals(sb: &Arc<Sandbox>) {
    let sigs = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT, libc::SIGUSR1, libc::SIGUSR2];
    let Ok(mut signals) = signal_hook::iterator::Signals::new(sigs) else { return };
    let sb = Arc::downgrade(sb);
    let _ = std::thread::Builder::new().name("signals".into()).spawn(move || {
        for sig in signals.forever() {
            let Some(sb) = sb.upgrade() else { return };
            let id = sb.id.clone();
            let r = sb
                .signal(&id, 0, sig, SignalMode::ForegroundGroup)
                .or_else(|_| sb.signal(&id, 0, sig, SignalMode::Process));
            if let Err(e) = r {
                tracing::warn!("signal {sig} for container {id}: {e}");
                if matches!(sig, libc::SIGTERM | libc::SIGINT) {
                    let _ = sb.destroy(&id, Some(format!("the sandbox process got signal {sig}")));
                }
            }
        }
    });
}
