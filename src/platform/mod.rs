//! How application code runs and traps. The kernel sees one small surface:
//! run a thread until it stops (`switch`), read/write its registers, run a
//! syscall in its address space (`inject`), make new threads and address
//! spaces, and copy its memory. Two platforms sit behind it, chosen once at
//! start-up (`--platform`): `systrap` (seccomp traps and a futex hand-off,
//! the default) and `ptrace` (PTRACE_SYSEMU; slower, simpler).

pub mod ptrace;
pub mod sigcontext;
pub mod stub;
pub mod systrap;

use std::sync::atomic::{AtomicU8, Ordering};

use crate::kernel::errno::Errno;

/// The largest XSAVE area the platforms keep for a thread (AMX included).
pub const XSAVE_MAX: usize = 16384;

/// The general-purpose registers of an application thread (x86_64).
pub type Regs = libc::user_regs_struct;

/// The platforms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Seccomp traps handled in the stub, a futex hand-off to the sentry.
    Systrap,
    /// ptrace(PTRACE_SYSEMU) stops.
    Ptrace,
}

impl Kind {
    /// The name `--platform` takes.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Systrap => "systrap",
            Kind::Ptrace => "ptrace",
        }
    }
}

static KIND: AtomicU8 = AtomicU8::new(0);

/// The platform in use.
pub fn kind() -> Kind {
    match KIND.load(Ordering::Relaxed) {
        1 => Kind::Ptrace,
        _ => Kind::Systrap,
    }
}

/// Chooses the platform (`--platform`), before any stub exists.
pub fn select(k: Kind) {
    KIND.store(if k == Kind::Ptrace { 1 } else { 0 }, Ordering::Relaxed);
}

/// Prepares the platform. Must run early, while husk is still
/// single-threaded and before any stub exists.
pub fn init() -> Result<(), PlatformError> {
    raise_nofile_limit();
    ptrace::init()?;
    if kind() == Kind::Systrap {
        systrap::init()?;
    }
    Ok(())
}

/// Every file of a sandbox's in-memory layer holds a host memfd in the
/// sentry, so the sentry's descriptor limit bounds how many files all its
/// containers can create: take as many as the host allows (up to
/// `fs.nr_open` where we may raise the hard limit, else the hard limit).
fn raise_nofile_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else { return };
    let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open").ok().and_then(|s| s.trim().parse::<u64>().ok());
    if let Some(max) = nr_open.filter(|&m| m > hard) {
        if setrlimit(Resource::RLIMIT_NOFILE, max, max).is_ok() {
            return;
        }
    }
    let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
}

/// Keeps host thread `tid` (0: the calling thread) on `cpu`. Where it
/// cannot (an offline CPU, a thread gone) it stays where it may run.
pub fn pin_to_cpu(tid: i32, cpu: usize) {
    let mut set = nix::sched::CpuSet::new();
    if set.set(cpu).is_ok() {
        let _ = nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(tid), &set);
    }
}

/// Lets host thread `tid` run on any CPU again. A stub about to be killed
/// is let go first: its exit (the teardown of its memory) would otherwise
/// run on the CPU it shares with a sentry thread, ahead of that thread.
pub fn unpin(tid: i32) {
    let mut set = nix::sched::CpuSet::new();
    for cpu in 0..nix::sched::CpuSet::count() {
        let _ = set.set(cpu);
    }
    let _ = nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(tid), &set);
}

/// The calling sentry thread is about to sleep while serving its task's
/// syscall: the platform may stop busy-waiting for it.
pub fn about_to_block() {
    if kind() == Kind::Systrap {
        systrap::about_to_block();
    }
}

/// Whether the platform runs application code one instruction at a time
/// (EFLAGS.TF) for a sandboxed tracer's PTRACE_SINGLESTEP: both do, as the
/// registers they restore carry TF (ptrace SETREGS keeps a TF the caller
/// set; systrap's rt_sigreturn restores it), and the CPU's debug trap
/// comes back as a host SIGTRAP stop like any fault.
pub fn can_single_step() -> bool {
    true
}

/// Why control came back from application code.
#[derive(Debug)]
pub enum Stop {
    /// The thread issued a system call (not executed); number in `orig_rax`.
    Syscall,
    /// The thread received a signal from the host (a fault, or a kill).
    Signal(libc::siginfo_t),
    /// The thread was interrupted by the sentry (`PTRACE_INTERRUPT`).
    Interrupted,
    /// The thread is gone (its stub process was killed from outside).
    Died,
}

/// Failures of the platform itself (not of the application).
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// Reserving the stub region failed.
    #[error("cannot reserve the stub region: {0}")]
    Reserve(std::io::Error),
    /// Creating a stub process failed.
    #[error("cannot create a stub process: {0}")]
    Spawn(Errno),
    /// A ptrace request failed.
    #[error("ptrace failed: {0}")]
    Ptrace(Errno),
    /// The stub stopped in a way the platform does not expect.
    #[error("unexpected stub stop (status {0:#x})")]
    UnexpectedStop(i32),
    /// The stub process died while the sentry was using it.
    #[error("the stub process died")]
    Died,
}

/// What a new task shares with its creator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloneKind {
    /// A thread of the same process.
    Thread,
    /// A new process with a copy of the address space (fork).
    Process,
    /// A new process in the same address space (vfork, CLONE_VM).
    SharedVm,
}

/// A new application thread, not yet attached to the sentry thread that
/// will run it.
pub enum NewThread {
    Ptrace { pid: i32, tid: i32 },
    Systrap(systrap::NewThread),
}

impl NewThread {
    /// The host pid of its stub process.
    pub fn pid(&self) -> i32 {
        match self {
            NewThread::Ptrace { pid, .. } => *pid,
            NewThread::Systrap(n) => n.pid(),
        }
    }

    /// Its host tid.
    pub fn tid(&self) -> i32 {
        match self {
            NewThread::Ptrace { tid, .. } => *tid,
            NewThread::Systrap(n) => n.tid(),
        }
    }
}

/// An application thread as the sentry thread running its task drives it.
///
/// Every method must be called from the sentry thread that attached it (a
/// ptrace rule; systrap does not care): the type is `Send` so it can move
/// to that thread before use.
pub enum StubThread {
    Ptrace(ptrace::StubThread),
    Systrap(systrap::StubThread),
}

/// Forwards a method to the platform's thread.
macro_rules! each {
    ($self:expr, $t:ident => $e:expr) => {
        match $self {
            StubThread::Ptrace($t) => $e,
            StubThread::Systrap($t) => $e,
        }
    };
}

impl StubThread {
    /// Creates a new stub process with one thread, ready to run application
    /// code; where the platform has helper threads of its own, they are made
    /// on `cpu` (where the caller will pin the thread).
    pub fn spawn_process(cpu: usize) -> Result<StubThread, PlatformError> {
        Ok(match kind() {
            Kind::Ptrace => StubThread::Ptrace(ptrace::StubThread::spawn_process()?),
            Kind::Systrap => StubThread::Systrap(systrap::StubThread::spawn_process(cpu)?),
        })
    }

    /// Takes over a thread made by `clone_context`, from the sentry thread
    /// that will run it.
    pub fn attach(n: NewThread) -> Result<StubThread, (PlatformError, StubThread)> {
        match n {
            NewThread::Ptrace { pid, tid } => ptrace::StubThread::attach(pid, tid)
                .map(StubThread::Ptrace)
                .map_err(|e| (e, StubThread::Ptrace(ptrace::StubThread::gone(pid, tid)))),
            NewThread::Systrap(n) => {
                systrap::StubThread::attach(n).map(StubThread::Systrap).map_err(|(e, t)| (e, StubThread::Systrap(t)))
            }
        }
    }

    /// The host pid of the stub process (its address space).
    pub fn pid(&self) -> i32 {
        each!(self, t => t.pid())
    }

    /// The host tid of this stub thread.
    pub fn tid(&self) -> i32 {
        each!(self, t => t.tid())
    }

    /// Runs application code with `regs` until the next stop, then stores
    /// the registers of that stop back into `regs`.
    pub fn switch(&mut self, regs: &mut Regs) -> Result<Stop, PlatformError> {
        each!(self, t => t.switch(regs))
    }

    /// Executes syscall `nr` with `args` in the thread's address space and
    /// returns the raw result (`-errno` on failure).
    pub fn inject(&self, nr: i64, args: [u64; 6]) -> Result<i64, PlatformError> {
        each!(self, t => t.inject(nr, args))
    }

    /// Makes the host side of a new task: a thread, a forked address space,
    /// or a new process in this address space.
    pub fn clone_context(&mut self, kind: CloneKind) -> Result<NewThread, Errno> {
        match self {
            StubThread::Ptrace(t) => {
                let flags = match kind {
                    CloneKind::Thread => stub::STUB_THREAD_FLAGS,
                    CloneKind::Process => stub::STUB_PROCESS_FLAGS,
                    CloneKind::SharedVm => stub::STUB_PROCESS_FLAGS | libc::CLONE_VM as u64,
                };
                let host = t.inject_clone(flags).map_err(|_| Errno::EAGAIN)?;
                if host < 0 {
                    return Err(Errno(-host as i32));
                }
                let host = host as i32;
                let pid = if kind == CloneKind::Thread { t.pid() } else { host };
                Ok(NewThread::Ptrace { pid, tid: host })
            }
            StubThread::Systrap(t) => {
                // A process sharing the address space is, to the host, one
                // more thread of the same stub: the sentry keeps the
                // processes apart.
                let space = match kind {
                    CloneKind::Thread | CloneKind::SharedVm => t.space().clone(),
                    CloneKind::Process => t.space().fork().map_err(|_| Errno::EAGAIN)??,
                };
                let (slot, tid) = space.new_thread().map_err(|_| Errno::EAGAIN)??;
                let mut new = systrap::NewThread::new(space, slot, tid);
                // The child starts with its creator's FP state, as on Linux.
                let mut fp = vec![0u8; XSAVE_MAX];
                if let Ok(n) = t.get_fpregs(&mut fp) {
                    fp.truncate(n);
                    new = new.with_fp(fp);
                }
                Ok(NewThread::Systrap(new))
            }
        }
    }

    /// Whether the syscall of the last stop used the x86_64 ABI (not
    /// `int $0x80`).
    pub fn is_native_syscall(&self) -> bool {
        each!(self, t => t.is_native_syscall())
    }

    /// Reads the extended FP state (XSAVE layout) into `buf`; returns its length.
    pub fn get_fpregs(&self, buf: &mut [u8]) -> Result<usize, PlatformError> {
        each!(self, t => t.get_fpregs(buf))
    }

    /// The whole extended FP state (XSAVE layout).
    pub fn fpregs(&self) -> Result<Vec<u8>, PlatformError> {
        let mut fp = vec![0u8; XSAVE_MAX];
        let n = self.get_fpregs(&mut fp)?;
        fp.truncate(n);
        Ok(fp)
    }

    /// Writes the extended FP state from `buf`.
    pub fn set_fpregs(&self, buf: &[u8]) -> Result<(), PlatformError> {
        each!(self, t => t.set_fpregs(buf))
    }

    /// Memory access to this thread's address space.
    pub fn memory(&self) -> ptrace::ProcessMemory {
        each!(self, t => t.memory())
    }

    /// Ends this one thread (not its process).
    pub fn exit_thread(&mut self) {
        each!(self, t => t.exit_thread())
    }

    /// Ends the thread's process (the last task of it is gone).
    pub fn kill_process(&mut self) {
        each!(self, t => t.kill_process())
    }
}

/// How a child process of ours ended, without reaping it: `(si_code,
/// si_status)` once it has, None while it runs, Err when it is no child
/// (already reaped).
pub fn peek_exit(pid: i32) -> Result<Option<(i32, i32)>, Errno> {
    // SAFETY: waitid writes into our zeroed local only; WNOWAIT leaves the
    // child reapable by whoever reaps it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let rc = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT | libc::__WALL,
        )
    };
    if rc != 0 {
        return Err(Errno::last());
    }
    // SAFETY: fields of a siginfo waitid filled (or left zero).
    let (who, status) = unsafe { (info.si_pid(), info.si_status()) };
    Ok((who != 0).then_some((info.si_code, status)))
}

/// How a stub process ended, as far as the host tells without reaping it
/// (for the log when one dies under a running task).
pub fn stub_exit_note(pid: i32) -> String {
    match peek_exit(pid) {
        Err(e) => format!("stub {pid}: already reaped ({e})"),
        Ok(None) => format!("stub {pid}: still running"),
        Ok(Some((libc::CLD_EXITED, status))) => format!("stub {pid}: exited with status {status}"),
        Ok(Some((code, status))) => format!("stub {pid}: killed by signal {status} (code {code})"),
    }
}
