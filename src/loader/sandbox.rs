//! The container table of a sandbox (the seed's Loader): the root
//! container, more containers created inside the same sandbox, and the
//! processes exec'd into them, keyed by (container, pid). Every control
//! request lands here.
//!
//! Each container has a PID namespace (`ContainerTag::pidns`): its own, a
//! child of the sandbox's root namespace, when its spec asks for one (the
//! default spec does), another container's when the spec names that
//! namespace's path, or the root namespace itself when the spec has no pid
//! namespace (as runc would use the host's). A container is the set of
//! processes tagged with its `ContainerTag` (children inherit it). Every
//! pid a request gives or gets back is a number of the container's
//! namespace; a pid that names another container's process there is
//! refused, as the seed does.

mod pause;

use std::collections::{BTreeMap, HashMap};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use serde_json::json;

use super::hostpty::Bridge;
use super::inspect::proc_info;
use super::oci::{ContainerConfig, PidNamespace, ProcessConfig};
use super::proto::{ContainerInfo, Event, ProcInfo, SignalMode};
use super::state::{now_rfc3339, ContainerState, ExitInfo, StateDir, Status};
use crate::kernel::container::ContainerTag;
use crate::kernel::errno::Errno;
use crate::kernel::signal::send::{send, Origin, Target};
use crate::kernel::signal::SigInfo;
use crate::kernel::task::exec::{spawn_process, ProcessSpec};
use crate::kernel::task::{default_rlimits, Credentials, ExitStatus, ThreadGroup};
use crate::kernel::tty::job::Terminal;
use crate::kernel::tty::pty::Pty;
use crate::kernel::vfs::file::{HostStream, OpenFile};
use crate::kernel::Kernel;

/// How long a destroy waits for the container's processes to be gone.
const DESTROY_WAIT: Duration = Duration::from_secs(10);
/// How long starting a process may take before it counts as failed.
const LAUNCH_WAIT: Duration = Duration::from_secs(60);

/// Errors of container operations; the text goes back to the client.
#[derive(Debug, thiserror::Error)]
pub enum LoaderError {
    #[error("container {0:?} does not exist")]
    NoContainer(String),
    #[error("container {0:?} already exists")]
    Exists(String),
    #[error("container {0:?} is {1}, not {2}")]
    WrongState(String, &'static str, &'static str),
    #[error("container {0:?}: {1}")]
    Invalid(String, String),
    #[error("{0}")]
    Process(String),
    #[error("{0}")]
    State(#[from] super::state::StateError),
}

/// Where a new process's stdin, stdout and stderr come from.
pub enum Stdio {
    /// Three host descriptors, used as they are.
    Fds([OwnedFd; 3]),
    /// A host terminal: the process gets a sandbox pty bridged to it.
    Terminal(OwnedFd),
}

impl Stdio {
    /// Builds stdio from descriptors received with a request.
    pub fn from_fds(mut fds: Vec<OwnedFd>, terminal: bool) -> Result<Stdio, String> {
        if terminal {
            return match fds.len() {
                1 => Ok(Stdio::Terminal(fds.remove(0))),
                n => Err(format!("a terminal process needs 1 terminal descriptor, got {n}")),
            };
        }
        if fds.len() != 3 {
            return Err(format!("expected 3 stdio descriptors, got {}", fds.len()));
        }
        let e = fds.remove(2);
        let o = fds.remove(1);
        let i = fds.remove(0);
        Ok(Stdio::Fds([i, o, e]))
    }
}

/// One container of the sandbox.
struct Container {
    id: String,
    cfg: ContainerConfig,
    tag: Arc<ContainerTag>,
    status: Status,
    /// The init, once started.
    init: Option<Arc<ThreadGroup>>,
    exit: Option<ExitInfo>,
    /// Why the sandbox ended it, if it did.
    reason: Option<String>,
    /// The init's terminal, if it has one.
    tty: Option<Arc<Pty>>,
    /// Stdio kept from creation until start.
    stdio: Option<Stdio>,
    created: String,
    /// Destroyed: kept only so waiters see the end; not persisted.
    destroyed: bool,
    /// The root directory being watched (the gofer monitor).
    root_watch: Option<RootWatch>,
}

impl Container {
    /// The status clients see: a running container whose freezer is on
    /// is paused.
    fn shown_status(&self) -> Status {
        if self.status == Status::Running && self.tag.freezer.wanted() {
            Status::Paused
        } else {
            self.status
        }
    }

    /// A container just created: not started, its stdio kept for start.
    fn created(id: &str, cfg: ContainerConfig, tag: Arc<ContainerTag>, stdio: Stdio) -> Container {
        Container {
            id: id.to_string(),
            root_watch: RootWatch::open(&cfg.root),
            tag,
            cfg,
            status: Status::Created,
            init: None,
            exit: None,
            reason: None,
            tty: None,
            stdio: Some(stdio),
            created: now_rfc3339(),
            destroyed: false,
        }
    }
}

/// A process started by `exec`.
struct ExecProcess {
    tg: Arc<ThreadGroup>,
    tty: Option<Arc<Pty>>,
}

#[derive(Default)]
struct Table {
    containers: BTreeMap<String, Container>,
    execs: HashMap<(String, i32), ExecProcess>,
}

impl Table {
    /// Container `id`, unless there is none or it was destroyed.
    fn live(&self, id: &str) -> Result<&Container, LoaderError> {
        self.containers.get(id).filter(|c| !c.destroyed).ok_or_else(|| LoaderError::NoContainer(id.to_string()))
    }
}

/// An open handle on a container's root directory, to notice it going
/// away (the seed's gofer monitor: husk has no gofer, the sentry opens the
/// root itself).
struct RootWatch {
    path: std::path::PathBuf,
    fd: OwnedFd,
    dev: u64,
    ino: u64,
}

impl RootWatch {
    fn open(path: &std::path::Path) -> Option<RootWatch> {
        let fd = nix::fcntl::open(
            path,
            nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .ok()?;
        // SAFETY: `open` returned a fresh descriptor we own.
        let fd = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
        let st = nix::sys::stat::fstat(fd.as_raw_fd()).ok()?;
        Some(RootWatch { path: path.to_path_buf(), fd, dev: st.st_dev, ino: st.st_ino })
    }

    /// Why the root is unusable, if it is.
    fn problem(&self) -> Option<String> {
        match nix::sys::stat::fstat(self.fd.as_raw_fd()) {
            Err(e) => {
                return Some(format!("the sentry's handle on the root file system {} failed: {e}", self.path.display()))
            }
            Ok(st) if st.st_nlink == 0 => {
                return Some(format!("the root file system {} was removed", self.path.display()))
            }
            Ok(_) => {}
        }
        match nix::sys::stat::stat(&self.path) {
            Ok(st) if st.st_dev == self.dev && st.st_ino == self.ino => None,
            Ok(_) => Some(format!("the root file system {} was replaced", self.path.display())),
            Err(e) => Some(format!("the root file system {} is gone: {e}", self.path.display())),
        }
    }
}

/// A sandbox: its kernel and its containers.
pub struct Sandbox {
    /// The sandbox id (its root container's).
    pub id: String,
    pub kernel: Arc<Kernel>,
    state_dir: StateDir,
    /// This host process and its start time (for the state files).
    host_pid: i32,
    host_start: u64,
    table: Mutex<Table>,
    /// Event listeners by container id.
    listeners: Mutex<Vec<(String, mpsc::Sender<Event>)>>,
    /// Set when the sandbox must go down (the root container was destroyed).
    going_down: Mutex<Option<String>>,
}

fn exit_info(s: ExitStatus) -> ExitInfo {
    match s {
        ExitStatus::Code(c) => ExitInfo { code: Some(c & 0xff), signal: None },
        ExitStatus::Signal(sig) | ExitStatus::Dumped(sig) => ExitInfo { code: None, signal: Some(sig) },
    }
}

/// The exit of process `pid` (a number of its container's PID namespace);
/// `init`: the container's init, its last event.
fn exit_event(id: &str, pid: i32, init: bool, info: ExitInfo) -> Event {
    Event {
        kind: "exit".into(),
        id: id.to_string(),
        data: json!({
            "pid": pid, "init": init, "exitStatus": info.shell_code(), "code": info.code, "signal": info.signal
        }),
    }
}

impl Sandbox {
    /// A sandbox around `kernel` whose root container `cfg` is created (not
    /// started). The caller has claimed the container's state directory.
    pub fn new(id: &str, kernel: Arc<Kernel>, state_dir: StateDir, cfg: ContainerConfig, stdio: Stdio) -> Arc<Sandbox> {
        let host_pid = std::process::id() as i32;
        let sb = Arc::new(Sandbox {
            id: id.to_string(),
            kernel: kernel.clone(),
            state_dir,
            host_pid,
            host_start: super::state::process_start_time(host_pid).unwrap_or(0),
            table: Mutex::new(Table::default()),
            listeners: Mutex::new(Vec::new()),
            going_down: Mutex::new(None),
        });
        // The root container has nothing to join: a new namespace, unless
        // it asks for none (then it is the root namespace's init).
        let pidns = match &cfg.pidns {
            PidNamespace::Root => kernel.root_pidns.clone(),
            PidNamespace::New | PidNamespace::Join(_) => {
                if let PidNamespace::Join(path) = &cfg.pidns {
                    tracing::warn!("container {id}: PID namespace {path:?} not found, running in a new one");
                }
                kernel
                    .root_pidns
                    .new_child(&crate::kernel::ns::UserNamespace::init())
                    .unwrap_or_else(|_| kernel.root_pidns.clone())
            }
        };
        let tag = super::memory::new_tag(id, &cfg, kernel.namespaces(pidns));
        let root = Container::created(id, cfg, tag, stdio);
        sb.lock().containers.insert(id.to_string(), root);
        let weak: Weak<Sandbox> = Arc::downgrade(&sb);
        kernel.exits.set_hook(Box::new(move |tg, status| {
            if let Some(sb) = weak.upgrade() {
                sb.on_exit(tg, status);
            }
        }));
        let weak: Weak<Sandbox> = Arc::downgrade(&sb);
        kernel.exits.set_oom_hook(Box::new(move |tag, pid| {
            if let Some(sb) = weak.upgrade() {
                sb.publish(Event { kind: "oom".into(), id: tag.id().to_string(), data: json!({ "pid": pid }) });
            }
        }));
        sb
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes container `c`'s checkpoint (errors are logged: the state file
    /// is a convenience for the CLI, the sandbox goes on).
    fn persist(&self, c: &Container) {
        if c.destroyed {
            return;
        }
        let st = ContainerState {
            id: c.id.clone(),
            sandbox_id: self.id.clone(),
            bundle: c.cfg.bundle.clone(),
            rootfs: c.cfg.root.clone(),
            status: c.shown_status(),
            sandbox_pid: self.host_pid,
            sandbox_start: self.host_start,
            init_pid: c.init.as_ref().map_or(0, |t| t.gpid()),
            exit: c.exit,
            reason: c.reason.clone(),
            created: c.created.clone(),
            annotations: c.cfg.annotations.clone(),
            pidns: format!("pid:[{}]", c.tag.pidns().ino()),
        };
        if let Err(e) = self.state_dir.write(&st) {
            tracing::warn!("writing the state of container {}: {e}", c.id);
        }
    }

    /// Writes every container's checkpoint.
    pub fn persist_all(&self) {
        let t = self.lock();
        for c in t.containers.values() {
            self.persist(c);
        }
    }

    fn publish(&self, ev: Event) {
        let mut ls = self.listeners.lock().unwrap_or_else(|e| e.into_inner());
        ls.retain(|(id, tx)| id != &ev.id || tx.send(ev.clone()).is_ok());
    }

    /// Registers for events of container `id`.
    pub fn subscribe(&self, id: &str) -> Result<mpsc::Receiver<Event>, LoaderError> {
        self.live(id)?;
        let (tx, rx) = mpsc::channel();
        self.listeners.lock().unwrap_or_else(|e| e.into_inner()).push((id.to_string(), tx));
        Ok(rx)
    }

    /// Fails unless container `id` exists (and was not destroyed).
    pub(super) fn live(&self, id: &str) -> Result<(), LoaderError> {
        match self.lock().containers.get(id) {
            Some(c) if !c.destroyed => Ok(()),
            _ => Err(LoaderError::NoContainer(id.to_string())),
        }
    }

    // -- Creating and starting --

    /// Creates another container in this sandbox (for pods). The caller's
    /// stdio is kept until it starts.
    pub fn create(&self, id: &str, cfg: ContainerConfig, stdio: Stdio) -> Result<(), LoaderError> {
        {
            let t = self.lock();
            if t.containers.get(id).is_some_and(|c| !c.destroyed) {
                return Err(LoaderError::Exists(id.to_string()));
            }
            let root = t.containers.get(&self.id).ok_or_else(|| LoaderError::NoContainer(self.id.clone()))?;
            if root.status == Status::Stopped {
                return Err(LoaderError::WrongState(self.id.clone(), "stopped", "created or running"));
            }
            if cfg.root != root.cfg.root {
                return Err(LoaderError::Invalid(
                    id.to_string(),
                    format!(
                        "root {} differs from the sandbox's root {}: containers of one sandbox share its root file system (per-container mount namespaces are not implemented)",
                        cfg.root.display(),
                        root.cfg.root.display()
                    ),
                ));
            }
        }
        self.state_dir.claim(id)?;
        let mut t = self.lock();
        let pidns = match &cfg.pidns {
            PidNamespace::Root => self.kernel.root_pidns.clone(),
            PidNamespace::New => self.new_pidns(id),
            PidNamespace::Join(path) => match self.joined_pidns(&t, path) {
                Some(ns) => ns,
                None => {
                    tracing::warn!("container {id}: PID namespace {path:?} not found, running in a new one");
                    self.new_pidns(id)
                }
            },
        };
        if !cfg.binds.is_empty() {
            tracing::warn!(
                "container {id}: bind mounts of containers other than the first are not supported yet (ignored)"
            );
        }
        // Its own host name, if its spec gives one: a UTS namespace of its own.
        let mut ns = self.kernel.namespaces(pidns);
        if let Some(h) = cfg.hostname.as_ref().filter(|h| !h.is_empty()) {
            ns.uts = self.kernel.root_uts.copy(&crate::kernel::ns::UserNamespace::init());
            ns.uts.set_hostname(&h.as_bytes()[..h.len().min(crate::kernel::ns::uts::NAME_MAX)]);
        }
        let tag = super::memory::new_tag(id, &cfg, ns);
        let c = Container::created(id, cfg, tag, stdio);
        self.persist(&c);
        t.containers.insert(id.to_string(), c);
        Ok(())
    }

    /// A new PID namespace for container `id`, a child of the sandbox's root.
    fn new_pidns(&self, id: &str) -> Arc<crate::kernel::ns::PidNamespace> {
        self.kernel.root_pidns.new_child(&crate::kernel::ns::UserNamespace::init()).unwrap_or_else(|e| {
            tracing::warn!("container {id}: no new PID namespace ({e:?}), using the sandbox's");
            self.kernel.root_pidns.clone()
        })
    }

    /// The PID namespace a spec's `path` names: `/proc/<pid>/ns/pid` with
    /// the pid of a container's init in the sandbox's root namespace (its
    /// `initPid`), or the sandbox process's host pid (the root container,
    /// as a pod's later containers name their sandbox); else the namespace
    /// of a container whose spec named the same path (the seed's rule).
    fn joined_pidns(&self, t: &Table, path: &str) -> Option<Arc<crate::kernel::ns::PidNamespace>> {
        let live = || t.containers.values().filter(|c| !c.destroyed);
        let pid =
            path.strip_prefix("/proc/").and_then(|r| r.strip_suffix("/ns/pid")).and_then(|n| n.parse::<i32>().ok());
        if let Some(pid) = pid {
            if pid == self.host_pid {
                return t.containers.get(&self.id).map(|c| c.tag.pidns().clone());
            }
            if let Some(c) = live().find(|c| c.init.as_ref().is_some_and(|i| i.gpid() == pid)) {
                return Some(c.tag.pidns().clone());
            }
        }
        live().find(|c| matches!(&c.cfg.pidns, PidNamespace::Join(p) if p == path)).map(|c| c.tag.pidns().clone())
    }

    /// Starts a created container's init.
    pub fn start(&self, id: &str, stdio: Option<Stdio>) -> Result<i32, LoaderError> {
        let (tag, process, stdio) = {
            let mut t = self.lock();
            let root_running = t.containers.get(&self.id).is_some_and(|c| c.status == Status::Running);
            let c = t
                .containers
                .get_mut(id)
                .filter(|c| !c.destroyed)
                .ok_or_else(|| LoaderError::NoContainer(id.to_string()))?;
            if c.status != Status::Created {
                return Err(LoaderError::WrongState(id.to_string(), c.status.as_str(), "created"));
            }
            if id != self.id && !root_running {
                return Err(LoaderError::Invalid(
                    id.to_string(),
                    format!("the sandbox's root container {:?} is not running", self.id),
                ));
            }
            let stdio = match stdio.or_else(|| c.stdio.take()) {
                Some(s) => s,
                None => return Err(LoaderError::Invalid(id.to_string(), "no stdio to start with".into())),
            };
            (c.tag.clone(), c.cfg.process.clone(), stdio)
        };
        let launched = self.launch(&tag, &process, stdio);
        let mut t = self.lock();
        let Some(c) = t.containers.get_mut(id) else {
            return Err(LoaderError::NoContainer(id.to_string()));
        };
        match launched {
            Ok((tg, tty)) => {
                let pid = tg.pid.nr_in(tag.pidns());
                // It may have exited already (the exit hook found no init).
                let exited = tg.life.lock().unwrap_or_else(|e| e.into_inner()).zombie;
                c.init = Some(tg);
                c.tty = tty;
                c.status = Status::Running;
                if let Some(s) = exited {
                    c.status = Status::Stopped;
                    c.exit = Some(exit_info(s));
                }
                self.persist(c);
                drop(t);
                self.kernel.exits.poke();
                Ok(pid)
            }
            Err(e) => {
                // The container never ran: it is stopped, as runc says.
                c.status = Status::Stopped;
                c.reason = Some(e.to_string());
                self.persist(c);
                drop(t);
                self.kernel.exits.poke();
                Err(e)
            }
        }
    }

    /// Runs another process in a running container; returns its pid.
    pub fn exec(&self, id: &str, process: &ProcessConfig, stdio: Stdio) -> Result<i32, LoaderError> {
        let tag = {
            let t = self.lock();
            let c = t.live(id)?;
            if c.shown_status() != Status::Running {
                return Err(LoaderError::WrongState(id.to_string(), c.shown_status().as_str(), "running"));
            }
            c.tag.clone()
        };
        let (tg, tty) = self.launch(&tag, process, stdio)?;
        let pid = tg.pid.nr_in(tag.pidns());
        self.lock().execs.insert((id.to_string(), pid), ExecProcess { tg, tty });
        Ok(pid)
    }

    /// Starts a top-level process in container `tag` on a sentry thread of
    /// its own.
    fn launch(
        &self,
        tag: &Arc<ContainerTag>,
        p: &ProcessConfig,
        stdio: Stdio,
    ) -> Result<(Arc<ThreadGroup>, Option<Arc<Pty>>), LoaderError> {
        let vfs = &self.kernel.vfs;
        let arg0 = p.args.first().ok_or_else(|| LoaderError::Process("no command given".into()))?;
        let cwd =
            resolve_dir(vfs, &p.cwd).map_err(|e| LoaderError::Process(format!("working directory {}: {e}", p.cwd)))?;
        let path = super::find_command(vfs, &cwd, arg0, &p.env).map_err(|e| LoaderError::Process(e.to_string()))?;
        let sentry_err = |e: Errno| LoaderError::Process(format!("cannot set up the terminal: {}", super::strerror(e)));
        let (files, pty) = match stdio {
            Stdio::Fds(fds) => (fds.map(host_file), None),
            Stdio::Terminal(host) => {
                let master = vfs.devpts.new_pair().map_err(sentry_err)?;
                master.pty.unlock();
                let ops = master.pty.open_slave((libc::O_RDWR | libc::O_NOCTTY) as u32).map_err(sentry_err)?;
                let name = format!("/dev/pts/{}", master.pty.index).into_bytes();
                let f = Arc::new(OpenFile::new(ops, name, libc::O_RDWR as u32));
                if let Some((rows, cols)) = p.console_size {
                    super::hostpty::set_winsize(host.as_raw_fd(), rows, cols);
                }
                let pty = master.pty.clone();
                Bridge::start(host, master);
                ([f.clone(), f.clone(), f], Some(pty))
            }
        };
        let mut creds = Credentials::new(p.uid, p.gid);
        creds.groups = p.additional_gids.clone();
        let mut rlimits = default_rlimits();
        for &(res, soft, hard) in &p.rlimits {
            if let Some(r) = rlimits.get_mut(res as usize) {
                r.cur = soft;
                r.max = hard;
            }
        }
        let spec = ProcessSpec {
            path,
            argv: p.args.iter().map(|a| a.as_bytes().to_vec()).collect(),
            envp: p.env.iter().map(|e| e.as_bytes().to_vec()).collect(),
            cwd,
            creds,
            umask: p.umask,
            rlimits: Some(rlimits),
            capabilities: p.capabilities,
            no_new_privs: p.no_new_privileges,
            ignored: 0,
            stdio: files,
            ctty: pty.clone().map(|p| p as Arc<dyn Terminal>),
            container: tag.clone(),
        };
        let (tx, rx) = mpsc::channel();
        let kernel = self.kernel.clone();
        let name = arg0.clone();
        std::thread::Builder::new()
            .name(format!("task-{}", tag.id()))
            .spawn(move || match spawn_process(&kernel, spec) {
                Ok(mut task) => {
                    let _ = tx.send(Ok(task.tg.clone()));
                    task.run_to_exit();
                }
                Err(e) => {
                    let _ = tx.send(Err(LoaderError::Process(format!("{name}: {}", super::strerror(e)))));
                }
            })
            .map_err(|e| LoaderError::Process(format!("cannot start a sentry thread: {e}")))?;
        let tg =
            rx.recv_timeout(LAUNCH_WAIT).map_err(|_| LoaderError::Process("the process did not start".into()))??;
        Ok((tg, pty))
    }

    // -- Signals --

    /// Sends `sig` as `mode` says (the seed's three delivery modes).
    pub fn signal(&self, id: &str, pid: i32, sig: i32, mode: SignalMode) -> Result<(), LoaderError> {
        if !(1..=64).contains(&sig) {
            return Err(LoaderError::Process(format!("invalid signal {sig}")));
        }
        if pid < 0 {
            return Err(LoaderError::Process(format!("PID ({pid}) must be positive")));
        }
        match mode {
            SignalMode::Process => {
                let tg = self.find_process(id, pid)?;
                self.send_group(&tg, sig);
                Ok(())
            }
            SignalMode::ForegroundGroup => {
                let (tg, tty) = self.find_with_tty(id, pid)?;
                let tty =
                    tty.ok_or_else(|| LoaderError::Process(format!("container {id:?} PID {pid}: no TTY attached")))?;
                let fg = tty.job().lock().unwrap_or_else(|e| e.into_inner()).fg();
                match fg {
                    None => {
                        tracing::warn!(
                            "no foreground process group for container {id} PID {pid}: signalling the process"
                        );
                        self.send_group(&tg, sig);
                    }
                    Some(pgid) => {
                        let members = self.kernel.procs().group_members(pgid);
                        for g in &members {
                            self.send_group(g, sig);
                        }
                    }
                }
                Ok(())
            }
            SignalMode::All => {
                if pid != 0 {
                    return Err(LoaderError::Process(format!(
                        "PID ({pid}) cannot be set when signaling all processes"
                    )));
                }
                let tag = {
                    let t = self.lock();
                    let c = t.live(id)?;
                    if c.init.is_none() {
                        return Err(LoaderError::WrongState(id.to_string(), c.status.as_str(), "started"));
                    }
                    c.tag.clone()
                };
                self.signal_all(&tag, sig);
                Ok(())
            }
        }
    }

    fn send_group(&self, tg: &Arc<ThreadGroup>, sig: i32) {
        // From outside the sandbox: SI_USER with no sender pid, as a kill
        // from an ancestor PID namespace looks; unlike one, it may end a
        // namespace's init with any terminating signal (send.rs).
        send(&self.kernel, Target::Group(tg), SigInfo::user(sig, 0, 0), Origin::Outside);
    }

    /// The live processes of a container.
    fn members(&self, tag: &Arc<ContainerTag>) -> Vec<Arc<ThreadGroup>> {
        let procs = self.kernel.procs();
        procs
            .groups
            .values()
            .filter(|g| Arc::ptr_eq(&g.container, tag) && !crate::kernel::task::procs::is_zombie(g))
            .cloned()
            .collect()
    }

    /// Sends `sig` to every process of a container. For SIGKILL, repeated
    /// until none is left, so a fork racing with the kill leaves nothing
    /// behind (the seed pauses the kernel instead).
    fn signal_all(&self, tag: &Arc<ContainerTag>, sig: i32) {
        let deadline = Instant::now() + DESTROY_WAIT;
        loop {
            let members = self.members(tag);
            for g in &members {
                self.send_group(g, sig);
            }
            if sig != libc::SIGKILL || members.is_empty() || Instant::now() > deadline {
                return;
            }
            // Wait for these to go; then look again for late children.
            self.kernel.exits.wait_for(Some(Instant::now() + Duration::from_millis(200)), || {
                members.iter().all(|g| crate::kernel::task::procs::is_zombie(g)).then_some(())
            });
            if self.members(tag).is_empty() {
                return;
            }
        }
    }

    /// The process `pid` of container `id` (0: its init): an exec'd one, or
    /// any process of the container.
    pub(super) fn find_process(&self, id: &str, pid: i32) -> Result<Arc<ThreadGroup>, LoaderError> {
        self.find_with_tty(id, pid).map(|(tg, _)| tg)
    }

    fn find_with_tty(&self, id: &str, pid: i32) -> Result<(Arc<ThreadGroup>, Option<Arc<Pty>>), LoaderError> {
        let t = self.lock();
        let c = t.live(id)?;
        if pid == 0 {
            let init = c.init.clone().ok_or(LoaderError::WrongState(id.to_string(), c.status.as_str(), "started"))?;
            return Ok((init, c.tty.clone()));
        }
        if let Some(e) = t.execs.get(&(id.to_string(), pid)) {
            return Ok((e.tg.clone(), e.tty.clone()));
        }
        let tag = c.tag.clone();
        if let Some(init) = c.init.as_ref().filter(|i| i.pid.nr_in(tag.pidns()) == pid) {
            return Ok((init.clone(), c.tty.clone()));
        }
        drop(t);
        // Any process of the container, by its number in the container's
        // PID namespace.
        let g = self.kernel.procs().group_in(tag.pidns(), pid);
        match g {
            Some(g) if Arc::ptr_eq(&g.container, &tag) => Ok((g, None)),
            // Shown in the container's PID namespace, but another container's.
            Some(g) => Err(LoaderError::Process(format!(
                "process {pid} is part of a different container: {:?}",
                g.container.id()
            ))),
            None => Err(LoaderError::Process(format!("no such process with PID {pid} in container {id:?}"))),
        }
    }

    // -- Waiting --

    /// Waits for container `id`'s init to exit.
    pub fn wait(&self, id: &str) -> Result<Option<ExitInfo>, LoaderError> {
        self.live(id)?;
        self.kernel
            .exits
            .wait_for(None, || {
                let t = self.lock();
                match t.containers.get(id) {
                    None => Some(Err(LoaderError::NoContainer(id.to_string()))),
                    Some(c) if c.status == Status::Stopped => Some(Ok(c.exit)),
                    Some(_) => None,
                }
            })
            .unwrap_or(Ok(None))
    }

    /// Waits for process `pid` of container `id` to exit: an exec'd one
    /// (then forgotten) or any process of the container.
    pub fn wait_pid(&self, id: &str, pid: i32) -> Result<ExitInfo, LoaderError> {
        if pid <= 0 {
            return Err(LoaderError::Process(format!("PID ({pid}) must be positive")));
        }
        let tg = self.find_process(id, pid)?;
        let status = self.kernel.exits.wait_exit(&tg, None).unwrap_or(ExitStatus::Signal(libc::SIGKILL));
        self.lock().execs.remove(&(id.to_string(), pid));
        Ok(exit_info(status))
    }

    // -- Inspecting --

    /// The tag of container `id`.
    pub(super) fn tag(&self, id: &str) -> Result<Arc<ContainerTag>, LoaderError> {
        let t = self.lock();
        let c = t.live(id)?;
        Ok(c.tag.clone())
    }

    /// The init of container `id`, once started.
    pub(super) fn init_of(&self, id: &str) -> Option<Arc<ThreadGroup>> {
        self.lock().containers.get(id).filter(|c| !c.destroyed).and_then(|c| c.init.clone())
    }

    /// The processes of container `id`.
    pub fn ps(&self, id: &str) -> Result<Vec<ProcInfo>, LoaderError> {
        let tag = self.tag(id)?;
        let groups: Vec<Arc<ThreadGroup>> =
            self.kernel.procs().groups.values().filter(|g| Arc::ptr_eq(&g.container, &tag)).cloned().collect();
        let mut rows: Vec<ProcInfo> = groups.iter().map(|g| proc_info(g, tag.pidns())).collect();
        rows.sort_by_key(|r| r.pid);
        Ok(rows)
    }

    /// Container `id` as the sandbox sees it.
    pub fn info(&self, id: &str) -> Result<ContainerInfo, LoaderError> {
        let t = self.lock();
        let c = t.live(id)?;
        Ok(ContainerInfo {
            id: c.id.clone(),
            status: c.shown_status(),
            init_pid: c.init.as_ref().map_or(0, |i| i.gpid()),
            exit: c.exit,
            reason: c.reason.clone(),
            memory: None,
        })
    }

    /// Memory figures of container `id` (loader/memory.rs).
    pub fn memory(&self, id: &str) -> Result<serde_json::Value, LoaderError> {
        let tag = self.tag(id)?;
        Ok(super::memory::stats_json(&tag, &self.members(&tag)))
    }

    /// Resource use of container `id`, as an event; also how many live
    /// strace clients the sandbox has and how many lines they were sent.
    pub fn stats(&self, id: &str) -> Result<Event, LoaderError> {
        let tag = self.tag(id)?;
        let members = self.members(&tag);
        let threads: usize = members.iter().map(|g| g.task_list().len()).sum();
        let tracers = &self.kernel.tracers;
        Ok(Event {
            kind: "stats".into(),
            id: id.to_string(),
            data: json!({
                "pids": { "current": members.len() },
                "threads": { "current": threads },
                "strace": { "subscribers": tracers.subscribers(), "lines": tracers.lines() },
                "memory": super::memory::stats_json(&tag, &members),
            }),
        })
    }

    // -- Ending --

    /// Kills every process of container `id`, waits for them, and forgets
    /// the container. For the root container the whole sandbox goes down.
    pub fn destroy(&self, id: &str, reason: Option<String>) -> Result<(), LoaderError> {
        self.live(id)?;
        if id == self.id {
            *self.going_down.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(reason.clone().unwrap_or_else(|| "destroyed".into()));
            let ids: Vec<String> = self.lock().containers.keys().cloned().collect();
            // Other containers first, the root (pid 1) last.
            for cid in ids.iter().filter(|c| **c != self.id) {
                self.destroy_one(cid, reason.clone());
            }
            self.destroy_one(id, reason);
        } else {
            self.destroy_one(id, reason);
        }
        self.kernel.exits.poke();
        Ok(())
    }

    fn destroy_one(&self, id: &str, reason: Option<String>) {
        let tag = {
            let mut t = self.lock();
            let Some(c) = t.containers.get_mut(id) else { return };
            // Recorded first: the sandbox process may end as soon as the
            // root container's init is gone.
            if let Some(r) = &reason {
                c.reason = Some(r.clone());
                self.persist(c);
            }
            c.tag.clone()
        };
        self.signal_all(&tag, libc::SIGKILL);
        let deadline = Instant::now() + DESTROY_WAIT;
        let gone = self.kernel.exits.wait_for(Some(deadline), || self.members(&tag).is_empty().then_some(()));
        if gone.is_none() {
            tracing::warn!("container {id}: processes still alive after SIGKILL");
        }
        let mut t = self.lock();
        t.execs.retain(|(cid, _), _| cid != id);
        if let Some(c) = t.containers.get_mut(id) {
            if c.status != Status::Stopped {
                c.status = Status::Stopped;
                if c.init.is_some() && c.exit.is_none() {
                    c.exit = Some(ExitInfo { code: None, signal: Some(libc::SIGKILL) });
                }
            }
            if let Some(r) = &reason {
                c.reason = Some(r.clone());
                self.persist(c);
            }
            c.destroyed = reason.is_none();
            c.stdio = None;
        }
        drop(t);
        if let Some(r) = reason {
            self.publish(Event { kind: "destroyed".into(), id: id.to_string(), data: json!({ "reason": r }) });
        }
    }

    /// Called by the kernel after every process exit.
    fn on_exit(&self, tg: &Arc<ThreadGroup>, status: ExitStatus) {
        let info = exit_info(status);
        let mut events = Vec::new();
        let mut orphaned = None;
        {
            let mut t = self.lock();
            for c in t.containers.values_mut() {
                if c.init.as_ref().is_some_and(|i| Arc::ptr_eq(i, tg)) {
                    c.status = Status::Stopped;
                    c.exit = Some(info);
                    self.persist(c);
                    events.push(exit_event(&c.id, tg.pid.nr_in(c.tag.pidns()), true, info));
                    if c.id != self.id {
                        orphaned = Some(c.tag.clone());
                    }
                }
            }
            for ((cid, pid), e) in &t.execs {
                if Arc::ptr_eq(&e.tg, tg) {
                    events.push(exit_event(cid, *pid, false, info));
                }
            }
        }
        for ev in events {
            self.publish(ev);
        }
        // A container ends with its init, as a PID namespace does: every
        // process left in it is killed.
        if let Some(tag) = orphaned {
            for g in self.members(&tag) {
                self.send_group(&g, libc::SIGKILL);
            }
        }
    }

    /// Whether the sandbox is done: its root container stopped or was
    /// destroyed.
    pub fn finished(&self) -> bool {
        if self.going_down.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
            return true;
        }
        self.lock().containers.get(&self.id).is_none_or(|c| c.status == Status::Stopped)
    }

    /// Marks every container stopped once the sandbox is going away.
    pub fn finish(&self) {
        // Whatever is left dies with the sandbox.
        let tags: Vec<Arc<ContainerTag>> = self.lock().containers.values().map(|c| c.tag.clone()).collect();
        for tag in &tags {
            self.signal_all(tag, libc::SIGKILL);
        }
        let deadline = Instant::now() + DESTROY_WAIT;
        self.kernel.exits.wait_for(Some(deadline), || tags.iter().all(|t| self.members(t).is_empty()).then_some(()));
        let mut t = self.lock();
        for c in t.containers.values_mut() {
            if c.status != Status::Stopped {
                c.status = Status::Stopped;
                if c.init.is_some() && c.exit.is_none() {
                    c.exit = Some(ExitInfo { code: None, signal: Some(libc::SIGKILL) });
                }
            }
            self.persist(c);
        }
        drop(t);
        self.kernel.exits.poke();
    }

    /// The gofer monitor: destroys a container whose root directory went
    /// away or became unusable. Runs until the sandbox is finished.
    pub fn monitor_roots(self: &Arc<Self>, every: Duration) {
        while !self.finished() {
            std::thread::sleep(every);
            let bad: Vec<(String, String)> = {
                let t = self.lock();
                t.containers
                    .values()
                    .filter(|c| !c.destroyed && c.status != Status::Stopped)
                    .filter_map(|c| c.root_watch.as_ref().and_then(|w| w.problem()).map(|p| (c.id.clone(), p)))
                    .collect()
            };
            for (id, problem) in bad {
                tracing::error!("container {id}: {problem}: destroying it");
                let _ = self.destroy(&id, Some(problem));
            }
        }
    }
}

/// A sandbox file for a host descriptor received for stdio.
fn host_file(fd: OwnedFd) -> Arc<OpenFile> {
    let flags = nix::fcntl::fcntl(fd.as_raw_fd(), nix::fcntl::FcntlArg::F_GETFL).unwrap_or(libc::O_RDWR) as u32;
    let name = format!("host:[{}]", fd.as_raw_fd()).into_bytes();
    Arc::new(OpenFile::new(Box::new(HostStream::new(fd)), name, flags))
}

/// Resolves a working directory to its canonical path.
fn resolve_dir(vfs: &crate::kernel::vfs::Vfs, dir: &str) -> Result<Vec<u8>, &'static str> {
    let r = vfs.resolve(b"/", dir.as_bytes(), true).map_err(super::strerror)?;
    let node = r.node.ok_or("No such file or directory")?;
    let st = vfs.stat_node(&r.path, &node).map_err(super::strerror)?;
    if !st.is_dir() {
        return Err("Not a directory");
    }
    Ok(r.path)
}
