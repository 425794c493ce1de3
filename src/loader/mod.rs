//! Booting a sandbox and running its first program. `husk do` uses this
//! directly; the OCI loader and control server will build on it.

pub mod boot;
pub mod client;
pub mod control;
pub mod hostpty;
pub mod inspect;
pub mod memory;
pub mod oci;
pub mod oci_seccomp;
pub mod panic;
pub mod proto;
pub mod sandbox;
pub mod seccomp;
pub mod state;
pub mod user;

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::kernel::errno::Errno;
use crate::kernel::task::exec::{create_init, InitSpec};
use crate::kernel::task::ExitStatus;
use crate::kernel::task::{default_rlimits, Rlimit};
use crate::kernel::tty::console::HostConsole;
use crate::kernel::vfs::file::{HostStream, OpenFile};
use crate::kernel::vfs::Vfs;
use crate::kernel::{Kernel, KernelConfig};

/// What `husk do` was asked to run.
#[derive(Clone, Debug)]
pub struct DoSpec {
    /// Host directory used as the container root.
    pub root: PathBuf,
    /// Bind mounts of host paths (`--mount SRC:DST[:ro]`).
    pub mounts: Vec<crate::kernel::vfs::BindSpec>,
    /// Working directory inside the sandbox (`None`: the caller's, if it
    /// exists in the sandbox and the root is `/`; else `/`).
    pub cwd: Option<String>,
    /// Environment (`KEY=VALUE`).
    pub env: Vec<String>,
    /// The command and its arguments.
    pub argv: Vec<String>,
    pub strace: bool,
    /// Give the command a sandbox pty as its controlling terminal and stdio,
    /// attached to the caller's terminal.
    pub tty: bool,
    /// Pass the caller's terminal itself through as the command's stdio
    /// (console mode); the sentry keeps the job control.
    pub console: bool,
    /// How the sandbox reaches the network (`--network`).
    pub network: crate::netstack::NetworkMode,
    /// The command's file mode creation mask (the caller's: `host_umask`).
    pub umask: u32,
    /// The command's resource limits (the caller's: `host_rlimits`).
    pub rlimits: [Rlimit; 16],
    /// Signals the command starts ignoring (the caller's: `host_ignored_signals`).
    pub ignored: u64,
    /// The sandbox's memory limit in bytes (`--memory`).
    pub memory_limit: Option<u64>,
    /// The most tasks the sandbox may hold (`--pids-limit`).
    pub pids_limit: Option<u64>,
    /// Who the command runs as (`--user`; `None`: the caller's ids).
    pub user: Option<user::User>,
}

/// A failure to start, with the exit code a shell would use.
#[derive(Debug, thiserror::Error)]
pub enum DoError {
    /// The root directory is missing or unusable.
    #[error("root {0}: {1}")]
    Root(PathBuf, std::io::Error),
    /// The working directory does not exist in the sandbox.
    #[error("working directory {0}: {1}")]
    Cwd(String, &'static str),
    /// No such command in the sandbox's PATH.
    #[error("{0}: command not found")]
    NotFound(String),
    /// The program could not be started.
    #[error("{0}: {1}")]
    Exec(String, &'static str, Errno),
    /// Console mode without a terminal to pass through.
    #[error("--console: none of stdin, stdout and stderr is a terminal")]
    NoTerminal,
    /// The sentry could not start.
    #[error("cannot start the sandbox: {0}")]
    Sentry(String),
}

impl DoError {
    /// The exit status for this failure, as a shell would report it.
    pub fn exit_code(&self) -> i32 {
        match self {
            DoError::Root(..) | DoError::NotFound(_) | DoError::Cwd(..) => 127,
            DoError::Exec(_, _, e) if *e == Errno::ENOENT => 127,
            DoError::Exec(..) => 126,
            DoError::Sentry(_) => 125,
            DoError::NoTerminal => 2,
        }
    }
}

/// A description of an errno for messages.
pub fn strerror(e: Errno) -> &'static str {
    match e {
        Errno::ENOENT => "No such file or directory",
        Errno::EACCES => "Permission denied",
        Errno::ENOEXEC => "Exec format error",
        Errno::ENOTDIR => "Not a directory",
        Errno::ELOOP => "Too many levels of symbolic links",
        Errno::ENAMETOOLONG => "File name too long",
        Errno::E2BIG => "Argument list too long",
        Errno::ENOMEM => "Cannot allocate memory",
        Errno::ELIBBAD => "Accessing a corrupted shared library",
        Errno::EISDIR => "Is a directory",
        _ => "cannot execute",
    }
}

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Finds `cmd` like a shell: a name with a slash is used as is, others are
/// looked up in the sandbox's PATH.
pub(crate) fn find_command(vfs: &Vfs, cwd: &[u8], cmd: &str, env: &[String]) -> Result<Vec<u8>, DoError> {
    if cmd.is_empty() {
        return Err(DoError::NotFound(cmd.to_string()));
    }
    if cmd.contains('/') {
        return Ok(cmd.as_bytes().to_vec());
    }
    let path = env.iter().find_map(|e| e.strip_prefix("PATH=")).unwrap_or(DEFAULT_PATH);
    for dir in path.split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        let candidate = format!("{dir}/{cmd}");
        if let Ok(st) = vfs.stat(cwd, candidate.as_bytes(), true) {
            if st.is_regular() && st.mode & 0o111 != 0 {
                return Ok(candidate.into_bytes());
            }
        }
    }
    Err(DoError::NotFound(cmd.to_string()))
}

/// A sandbox file for one of the caller's standard descriptors.
fn host_stdio(fd: i32) -> Arc<OpenFile> {
    // SAFETY: borrowing a standard descriptor for the duration of the dup.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let owned: Option<OwnedFd> = borrowed.try_clone_to_owned().ok();
    let owned =
        owned.or_else(|| std::fs::File::options().read(true).write(true).open("/dev/null").ok().map(OwnedFd::from));
    // Access mode and status flags as on the host, so F_GETFL tells the truth.
    let flags = owned
        .as_ref()
        .and_then(|o| nix::fcntl::fcntl(o.as_raw_fd(), nix::fcntl::FcntlArg::F_GETFL).ok())
        .unwrap_or(libc::O_RDWR) as u32;
    let ops: Box<dyn crate::kernel::vfs::file::FileOps> = match owned {
        Some(o) => Box::new(HostStream::new(o)),
        None => Box::new(crate::kernel::vfs::dir::PathOnly(Default::default())),
    };
    Arc::new(OpenFile::new(ops, format!("host:[{fd}]").into_bytes(), flags))
}

/// The caller's terminal as a console: the first of stdin, stdout and
/// stderr that is a terminal.
fn host_console(kernel: &Arc<Kernel>) -> Option<Arc<HostConsole>> {
    let fd = (0..3).find(|&fd| nix::unistd::isatty(fd).unwrap_or(false))?;
    // SAFETY: borrowing a standard descriptor for the duration of the dup.
    let owned = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }.try_clone_to_owned().ok()?;
    Some(HostConsole::new(owned, Arc::downgrade(kernel)))
}

/// Stdio for console mode: terminal descriptors become files of the
/// sandbox's `/dev/console` (each on its own host descriptor, so flags and
/// sharing stay the host's), which `ttyname` then names.
fn console_stdio(kernel: &Kernel, console: &Arc<HostConsole>) -> Result<[Arc<OpenFile>; 3], DoError> {
    let node = kernel.vfs.attach_console(console.clone()).map_err(|e| DoError::Sentry(format!("/dev/console: {e}")))?;
    Ok([0, 1, 2].map(|fd| {
        if !nix::unistd::isatty(fd).unwrap_or(false) {
            return host_stdio(fd);
        }
        // SAFETY: borrowing a standard descriptor for the duration of the dup.
        match unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }.try_clone_to_owned() {
            Ok(owned) => {
                let flags =
                    nix::fcntl::fcntl(owned.as_raw_fd(), nix::fcntl::FcntlArg::F_GETFL).unwrap_or(libc::O_RDWR) as u32;
                let ops = Box::new(crate::kernel::vfs::devfs::DevFile::new(console.file(owned), node));
                Arc::new(OpenFile::new(ops, b"/dev/console".to_vec(), flags))
            }
            Err(_) => host_stdio(fd),
        }
    }))
}

/// Runs `spec` in a fresh sandbox and returns how its first process ended.
pub fn run_do(spec: &DoSpec) -> Result<ExitStatus, DoError> {
    let meta = std::fs::metadata(&spec.root).map_err(|e| DoError::Root(spec.root.clone(), e))?;
    if !meta.is_dir() {
        return Err(DoError::Root(spec.root.clone(), std::io::Error::from_raw_os_error(libc::ENOTDIR)));
    }
    let vfs = Vfs::with_binds(&spec.root, &spec.mounts).map_err(|e| DoError::Root(spec.root.clone(), e))?;
    let cwd = choose_cwd(&vfs, spec)?;
    let cmd = &spec.argv[0];
    let path = find_command(&vfs, &cwd, cmd, &spec.env)?;
    // As `runsc do`: the root is the host's, so is the name its /etc/hosts knows the machine by
    // (`hostname -f` and `hostname -d` resolve it there).
    let hostname = nix::sys::utsname::uname().map(|u| u.nodename().to_string_lossy().into_owned()).unwrap_or_default();
    let config = KernelConfig { strace: spec.strace, hostname, max_tasks: 1024, network: spec.network };
    panic::abort_on_panic();
    let kernel = Kernel::new(vfs, &config);
    // With --console, the caller's terminal is the console itself.
    let console = if spec.console { host_console(&kernel) } else { None };
    if spec.console && console.is_none() {
        return Err(DoError::NoTerminal);
    }
    let _terminal_state = console.as_ref().map(|c| {
        crate::tty::console::forward_signals(c.clone(), Arc::downgrade(&kernel));
        crate::tty::console::TerminalState::save()
    });
    // With -t, the command's stdio is the slave side of a sandbox pty; the
    // master side is pumped to and from the caller's terminal.
    let pty =
        if spec.tty { Some(kernel.vfs.devpts.new_pair().map_err(|e| DoError::Sentry(e.to_string()))?) } else { None };
    let stdio = match &pty {
        Some(master) => {
            master.pty.unlock();
            let ops = master
                .pty
                .open_slave((libc::O_RDWR | libc::O_NOCTTY) as u32)
                .map_err(|e| DoError::Sentry(e.to_string()))?;
            let path = format!("/dev/pts/{}", master.pty.index).into_bytes();
            let f = Arc::new(OpenFile::new(ops, path, libc::O_RDWR as u32));
            [f.clone(), f.clone(), f]
        }
        None if spec.console => console_stdio(&kernel, console.as_ref().ok_or(DoError::NoTerminal)?)?,
        None => [host_stdio(0), host_stdio(1), host_stdio(2)],
    };
    let ctty: Option<Arc<dyn crate::kernel::tty::job::Terminal>> = match (&pty, &console) {
        (Some(m), _) => Some(m.pty.clone()),
        (None, Some(c)) => Some(c.clone()),
        _ => None,
    };
    let init = InitSpec {
        path,
        argv: spec.argv.iter().map(|a| a.as_bytes().to_vec()).collect(),
        envp: spec.env.iter().map(|e| e.as_bytes().to_vec()).collect(),
        cwd,
        // SAFETY: getuid/getgid have no preconditions.
        uid: spec.user.as_ref().map_or_else(|| unsafe { libc::getuid() }, |u| u.uid),
        // SAFETY: as above.
        gid: spec.user.as_ref().map_or_else(|| unsafe { libc::getgid() }, |u| u.gid),
        groups: spec.user.as_ref().map(|u| u.groups.clone()).unwrap_or_default(),
        stdio,
        ctty,
        umask: spec.umask,
        rlimits: Some(spec.rlimits),
        ignored: spec.ignored,
        memory_limit: spec.memory_limit,
        pids_limit: spec.pids_limit,
    };
    let name = cmd.clone();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let k = kernel.clone();
    std::thread::Builder::new()
        .name("task-1".into())
        .spawn(move || match create_init(&k, init) {
            Ok(mut task) => {
                let _ = started_tx.send(Ok(()));
                task.run_to_exit();
            }
            Err(e) => {
                tracing::debug!("starting {name}: {e}");
                let _ = started_tx.send(Err(DoError::Exec(name, strerror(e), e)));
            }
        })
        .map_err(|e| DoError::Sentry(e.to_string()))?;
    let attached = pty.as_ref().map(|m| (crate::tty::RawMode::enter(), crate::tty::Attachment::start(m.pty.clone())));
    match started_rx.recv() {
        Ok(Ok(())) => {
            let status = kernel.wait_init();
            if let Some((raw, attachment)) = attached {
                attachment.drain(std::time::Duration::from_secs(2));
                drop(raw);
            }
            drop(pty);
            Ok(status)
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Err(DoError::Sentry("the init task thread died".into())),
    }
}

/// The caller's file mode creation mask: `husk do`'s command starts with
/// it, as a command the caller ran would. Read before the sentry's seccomp
/// filter is installed (it forbids umask).
pub fn host_umask() -> u32 {
    // SAFETY: umask has no memory effects; the old mask is put back at once.
    let old = unsafe { libc::umask(0o022) };
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    old as u32
}

/// The signals husk's caller left ignored (`nohup`, a shell's background
/// job): `husk do`'s command keeps them ignored, as SIG_IGN survives exec.
/// Read before husk sets any handler of its own. SIGPIPE is left out: the
/// Rust runtime ignores it before `main`, so the caller's choice is lost.
pub fn host_ignored_signals() -> u64 {
    let mut ignored = 0u64;
    for sig in 1..=64 {
        if sig == libc::SIGPIPE || sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // The kernel's struct sigaction: handler, flags, restorer, mask.
        // The raw call, since glibc refuses the numbers it keeps for itself.
        let mut old = [0u64; 4];
        // SAFETY: a query (null new action) writing 32 bytes into our local.
        let r = unsafe { libc::syscall(libc::SYS_rt_sigaction, sig, std::ptr::null::<u8>(), old.as_mut_ptr(), 8) };
        if r == 0 && old[0] == libc::SIG_IGN as u64 {
            ignored |= 1u64 << (sig - 1);
        }
    }
    ignored
}

/// The caller's resource limits (Linux's defaults where one cannot be
/// read): `husk do`'s command inherits them, as a command the caller ran
/// would.
pub fn host_rlimits() -> [Rlimit; 16] {
    let mut limits = default_rlimits();
    for (res, limit) in limits.iter_mut().enumerate() {
        let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes one rlimit into `r`.
        if unsafe { libc::getrlimit(res as _, &mut r) } == 0 {
            *limit = Rlimit { cur: r.rlim_cur, max: r.rlim_max };
        }
    }
    limits
}

fn choose_cwd(vfs: &Vfs, spec: &DoSpec) -> Result<Vec<u8>, DoError> {
    let check = |p: &[u8]| -> Result<Vec<u8>, &'static str> {
        let r = vfs.resolve(b"/", p, true).map_err(strerror)?;
        let node = r.node.ok_or("No such file or directory")?;
        let st = vfs.stat_node(&r.path, &node).map_err(strerror)?;
        if !st.is_dir() {
            return Err("Not a directory");
        }
        Ok(r.path)
    };
    match &spec.cwd {
        Some(c) => check(c.as_bytes()).map_err(|e| DoError::Cwd(c.clone(), e)),
        None if spec.root == Path::new("/") => {
            let host = std::env::current_dir().ok();
            Ok(host.and_then(|h| check(h.as_os_str().as_encoded_bytes()).ok()).unwrap_or_else(|| b"/".to_vec()))
        }
        None => Ok(b"/".to_vec()),
    }
}
