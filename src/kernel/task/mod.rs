//! Tasks (threads) and thread groups (processes).
//!
//! Each task is run by one sentry host thread, which is also the ptrace
//! tracer of the task's stub thread. That thread owns the `Task` (registers,
//! stub handle, per-thread state only it touches). What other threads must
//! see — pending signals, the signal mask, the waker — lives in the task's
//! `TaskShared`. What the threads of a process share lives in its
//! `ThreadGroup`.
//!
//! Lock order: `Kernel::procs` before `ThreadGroup::sig` before
//! `TaskShared::sig`; `ThreadGroup::life` and `ThreadGroup::rel` are only
//! taken with `Kernel::procs` held, and never hold another lock.
//! `ThreadGroup::pgrp`/`session`, `TaskShared::ns` and a PID namespace's
//! own lock are leaves: nothing is taken under them.
//!
//! Ids: `Task::tid`, `TaskShared::gtid()` and `ThreadGroup::gpid()` are
//! sandbox-global (the root PID namespace's numbers, the process table's
//! keys); what an application sees is `tid`/`pid` in its namespace.

pub mod clone;
mod coredump;
pub mod creds;
mod elf_core;
pub mod exec;
pub mod exit;
pub mod io;
pub mod procs;
pub mod run;
pub mod stack;
pub mod thread_attrs;
pub mod usage;
pub mod usermem;
pub mod waitpid;

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::kernel::errno::Errno;
use crate::kernel::fd::FdTable;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::mm::MemoryManager;
use crate::kernel::ns::{NsProxy, Pid, PidNamespace};
use crate::kernel::signal::{SigQueue, SignalActions};
use crate::kernel::vfs::file::OpenFile;
use crate::kernel::wait::{WaitQueue, Waker};
use crate::kernel::Kernel;
use crate::platform::Regs;
use crate::platform::StubThread;
pub use creds::Credentials;
pub use usermem::TaskMemory;

/// How a task or process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// `exit(code)`.
    Code(i32),
    /// Killed by a signal.
    Signal(i32),
    /// Killed by a signal after a core file was written (`coredump.rs`).
    Dumped(i32),
}

impl ExitStatus {
    /// The status a shell reports: the code, or 128 + signal.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Code(c) => c & 0xff,
            ExitStatus::Signal(s) | ExitStatus::Dumped(s) => 128 + s,
        }
    }

    /// The `wait(2)` status word (WCOREDUMP when a core was written).
    pub fn wait_status(self) -> i32 {
        match self {
            ExitStatus::Code(c) => (c & 0xff) << 8,
            ExitStatus::Signal(s) => s & 0x7f,
            ExitStatus::Dumped(s) => (s & 0x7f) | 0x80,
        }
    }

    /// `si_code` and `si_status` of the child's SIGCHLD and waitid.
    pub fn cld(self) -> (i32, i32) {
        use crate::kernel::signal::{CLD_DUMPED, CLD_EXITED, CLD_KILLED};
        match self {
            ExitStatus::Code(c) => (CLD_EXITED, c),
            ExitStatus::Signal(s) => (CLD_KILLED, s),
            ExitStatus::Dumped(s) => (CLD_DUMPED, s),
        }
    }
}

/// Resource limits, as `prlimit64` sees them.
#[derive(Clone, Copy, Debug)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

/// RLIM_INFINITY.
pub const RLIM_INFINITY: u64 = u64::MAX;

/// Linux's default limits for a new init process.
pub fn default_rlimits() -> [Rlimit; 16] {
    let inf = Rlimit { cur: RLIM_INFINITY, max: RLIM_INFINITY };
    let mut r = [inf; 16];
    r[libc::RLIMIT_STACK as usize] = Rlimit { cur: 8 << 20, max: RLIM_INFINITY };
    r[libc::RLIMIT_CORE as usize] = Rlimit { cur: 0, max: RLIM_INFINITY };
    r[libc::RLIMIT_NPROC as usize] = Rlimit { cur: 4096, max: 4096 };
    r[libc::RLIMIT_NOFILE as usize] = Rlimit { cur: 1024, max: 1 << 20 };
    r[libc::RLIMIT_MEMLOCK as usize] = Rlimit { cur: 8 << 20, max: 8 << 20 };
    r[libc::RLIMIT_SIGPENDING as usize] = Rlimit { cur: 63_000, max: 63_000 };
    r[libc::RLIMIT_MSGQUEUE as usize] = Rlimit { cur: 819_200, max: 819_200 };
    r[libc::RLIMIT_NICE as usize] = Rlimit { cur: 0, max: 0 };
    r[libc::RLIMIT_RTPRIO as usize] = Rlimit { cur: 0, max: 0 };
    r
}

/// Where a process is in the file system.
#[derive(Clone, Debug)]
pub struct FsContext {
    /// Canonical absolute path of the working directory.
    pub cwd: Vec<u8>,
    /// The file mode creation mask.
    pub umask: u32,
    /// Canonical absolute path of the root directory (`chroot`).
    pub root: Vec<u8>,
}

/// Signal state of a whole thread group. Guarded by `ThreadGroup::sig`.
#[derive(Debug, Default)]
pub struct GroupSignals {
    /// Process-directed pending signals.
    pub pending: SigQueue,
    /// Set once the group is exiting (exit_group, a fatal signal, SIGKILL).
    pub exiting: Option<ExitStatus>,
    /// The stop signal while the group is stopped.
    pub stopped: Option<i32>,
    /// A thread running execve: every other thread must exit.
    pub exec_leader: Option<i32>,
    /// SIGCONTs generated so far: a stop signal taken before one of them
    /// no longer stops the group (Linux serialises the two under siglock).
    pub continues: u64,
}

/// The state a parent observes with `wait`. Guarded by `ThreadGroup::life`.
#[derive(Debug, Default)]
pub struct Life {
    /// Set when the process has exited (a zombie until reaped).
    pub zombie: Option<ExitStatus>,
    /// A stop not yet reported to a WUNTRACED waiter: the signal.
    pub stop_report: Option<i32>,
    /// A continue not yet reported to a WCONTINUED waiter.
    pub cont_report: bool,
    /// Reaped (gone from the process table), or exited unwaited-for and
    /// being released: wait no longer reports it.
    pub reaped: bool,
    /// What the process and its waited-for descendants used, set at exit.
    pub usage: usage::Usage,
}

/// Parent and children. Guarded by `ThreadGroup::rel`, changed only with
/// `Kernel::procs` held.
#[derive(Default)]
pub struct Relations {
    pub parent: Weak<ThreadGroup>,
    pub children: Vec<Arc<ThreadGroup>>,
}

/// A process: what its threads share.
pub struct ThreadGroup {
    /// The process id, in its PID namespace and each ancestor (immutable).
    /// `pid.global()` keys the process table.
    pub pid: Arc<Pid>,
    /// The process group and the session: the ids of their leaders.
    pub pgrp: Mutex<Arc<Pid>>,
    pub session: Mutex<Arc<Pid>>,
    /// Set for the init of a PID namespace (Linux's SIGNAL_UNKILLABLE):
    /// signals whose action is the default reach it only when they are
    /// SIGKILL or SIGSTOP from an ancestor namespace or the kernel.
    /// Cleared when a fault is forced on it.
    pub unkillable: AtomicBool,
    /// Parent and children.
    pub rel: Mutex<Relations>,
    /// The signal the parent gets when this process exits (SIGCHLD, or 0).
    pub exit_signal: i32,
    /// The address space; replaced by `execve`.
    pub mm: Mutex<Arc<MemoryManager>>,
    /// The descriptor table (shared with CLONE_FILES).
    pub fds: Arc<FdTable>,
    /// Working directory and umask (shared with CLONE_FS).
    pub fs: Arc<Mutex<FsContext>>,
    /// Signal dispositions (shared with CLONE_SIGHAND).
    pub sig_actions: Arc<Mutex<SignalActions>>,
    /// Pending group signals, exit and stop state.
    pub sig: Mutex<GroupSignals>,
    /// What `wait` reports about this process.
    pub life: Mutex<Life>,
    /// Tasks of the group that are stopped wait here for SIGCONT.
    pub stop_queue: WaitQueue,
    /// The live tasks of this group.
    pub tasks: Mutex<Vec<Arc<TaskShared>>>,
    /// Resource limits.
    pub rlimits: Mutex<[Rlimit; 16]>,
    /// User and group ids.
    pub creds: Mutex<Credentials>,
    /// The canonical path of the running executable.
    pub exe: Mutex<Vec<u8>>,
    /// The auxiliary vector the last exec gave the program (`/proc/PID/auxv`).
    pub auxv: Mutex<Vec<u8>>,
    /// When the process was created (`/proc/<pid>/stat` starttime).
    pub start: std::time::Instant,
    /// PR_SET_CHILD_SUBREAPER.
    pub subreaper: AtomicBool,
    /// What reaped children used (with their own reaped children): CPU
    /// time adds up, the peak resident set is the largest (cmaxrss).
    pub child_times: Mutex<usage::Usage>,
    /// The controlling terminal (shared by the session; cleared by setsid).
    pub ctty: Mutex<Option<Arc<dyn crate::kernel::tty::job::Terminal>>>,
    /// The container the process belongs to (inherited by children).
    pub container: Arc<crate::kernel::container::ContainerTag>,
    // -- Timers and identity (kernel/timer.rs, syscalls/sys_ident.rs). --
    /// Interval and POSIX timers, and CPU time of images left by exec.
    pub timers: crate::kernel::timer::ProcessTimers,
    /// Set once the process has run execve (setpgid on it is then EACCES).
    pub execed: AtomicBool,
    /// Capabilities, fs ids and prctl attributes. Taken after `creds`.
    pub privs: Mutex<Privileges>,
    /// I/O of exited threads and reaped children (task/io.rs).
    pub io_done: Mutex<io::IoStats>,
    /// `oom_score_adj` (kernel/oom.rs).
    pub oom_adj: crate::kernel::oom::OomAdj,
    /// The execution domain and flags of personality(2) (sys_info.rs).
    pub persona: std::sync::atomic::AtomicU32,
    /// `/proc/PID/coredump_filter`: Linux keeps it in the mm's flags, which
    /// fork and exec carry over (one process holds one address space here).
    pub coredump_filter: std::sync::atomic::AtomicU32,
    /// While a core dump waits for the other threads: their states
    /// (`coredump.rs`).
    pub core_threads: Mutex<Option<Vec<elf_core::CoreThread>>>,
    /// The process's System V semaphore adjustments (SEM_UNDO), applied at
    /// exit; a fork starts without any.
    pub sem_undo: crate::kernel::ipc::sem::UndoList,
    /// The tasks this process traces (kernel/ptrace/).
    pub tracees: crate::kernel::ptrace::state::Tracees,
}

impl ThreadGroup {
    /// Whether the process holds capability `cap` over what user namespace
    /// `target` owns (Linux's ns_capable; see `Task::capable_over`).
    pub fn capable_over(&self, target: &crate::kernel::ns::UserNamespace, cap: u32) -> bool {
        let c = self.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let held = self.privs.lock().unwrap_or_else(|e| e.into_inner()).capable(cap);
        crate::kernel::ns::user::capable_over(&c.user_ns, c.euid, held, target)
    }

    /// Whether the process holds capability `cap` over the whole sandbox
    /// (Linux's capable(): in the initial user namespace). A process in a
    /// child user namespace holds none there.
    pub fn capable(&self, cap: u32) -> bool {
        self.capable_over(&crate::kernel::ns::UserNamespace::init(), cap)
    }

    /// The thread that leads the process (its id is the process's), or
    /// another live one once the leader is gone.
    pub fn main_thread(&self) -> Option<Arc<TaskShared>> {
        let tasks = self.task_list();
        let at = tasks.iter().position(|t| t.gtid() == self.gpid()).unwrap_or(0);
        tasks.into_iter().nth(at)
    }

    /// The parent process, if it still exists.
    pub fn parent(&self) -> Option<Arc<ThreadGroup>> {
        self.rel.lock().unwrap_or_else(|e| e.into_inner()).parent.upgrade()
    }

    /// The sandbox-global process id (the process table's key).
    pub fn gpid(&self) -> i32 {
        self.pid.global()
    }

    /// The PID namespace the process is in.
    pub fn pidns(&self) -> &Arc<PidNamespace> {
        self.pid.ns()
    }

    /// The parent's pid as namespace `ns` sees it (0 when there is no
    /// parent or it does not show there, as for a namespace's init).
    pub fn ppid_in(&self, ns: &PidNamespace) -> i32 {
        self.parent().map(|p| p.pid.nr_in(ns)).unwrap_or(0)
    }

    /// The process group (its leader's ids).
    pub fn pgrp(&self) -> Arc<Pid> {
        self.pgrp.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The session (its leader's ids).
    pub fn session(&self) -> Arc<Pid> {
        self.session.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The sandbox-global process group id.
    pub fn pgid(&self) -> i32 {
        self.pgrp.lock().unwrap_or_else(|e| e.into_inner()).global()
    }

    /// The sandbox-global session id.
    pub fn sid(&self) -> i32 {
        self.session.lock().unwrap_or_else(|e| e.into_inner()).global()
    }

    /// Moves the process to process group `pgrp`.
    pub fn set_pgrp(&self, pgrp: Arc<Pid>) {
        *self.pgrp.lock().unwrap_or_else(|e| e.into_inner()) = pgrp;
    }

    /// Makes the process the leader of a new session and process group.
    pub fn set_session_leader(&self) {
        *self.session.lock().unwrap_or_else(|e| e.into_inner()) = self.pid.clone();
        *self.pgrp.lock().unwrap_or_else(|e| e.into_inner()) = self.pid.clone();
    }

    /// Whether the process is the init of its PID namespace.
    pub fn is_ns_init(&self) -> bool {
        self.pid.is_init()
    }

    /// The current address space.
    pub fn mm(&self) -> Arc<MemoryManager> {
        self.mm.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The live tasks.
    pub fn task_list(&self) -> Vec<Arc<TaskShared>> {
        self.tasks.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Per-task signal state other threads read and change. Guarded by
/// `TaskShared::sig`.
#[derive(Debug, Default)]
pub struct TaskSignals {
    /// Thread-directed pending signals.
    pub pending: SigQueue,
    /// Blocked signals.
    pub mask: u64,
}

/// The part of a task that other sentry threads may touch.
pub struct TaskShared {
    /// Thread id, in its PID namespace and each ancestor (the same ids as
    /// the process's for the main thread).
    pub tid: Arc<Pid>,
    /// The task's process.
    pub tg: Arc<ThreadGroup>,
    /// Pending signals and mask.
    pub sig: Mutex<TaskSignals>,
    /// Ends the task's sleeps in the sentry.
    pub waker: Arc<Waker>,
    /// Host (pid, tid) of the stub thread, for kicking it out of app code.
    pub host: Mutex<(i32, i32)>,
    /// True while the task runs application code.
    pub in_app: AtomicBool,
    /// True while the task is parked by its container's freezer.
    pub parked: AtomicBool,
    /// True while it sleeps where the freezer counts it frozen without
    /// parking (Linux's TASK_FREEZABLE): a vfork parent waiting for its
    /// child, which runs no application code before it checks the freezer.
    pub freezable: AtomicBool,
    /// The thread's name (`comm`), at most 15 bytes.
    pub comm: Mutex<Vec<u8>>,
    /// PR_SET_PDEATHSIG.
    pub pdeathsig: AtomicI32,
    /// Nice value, scheduling policy and CPU affinity (syscalls/sys_ident.rs).
    pub sched: Mutex<SchedAttrs>,
    /// The syscall the task is being served, set by the run loop at entry
    /// and cleared at exit (for `inspect`, `ps`'s wchan). Uncontended: only
    /// introspection reads it.
    pub syscall: Mutex<Option<SyscallEntry>>,
    /// The namespaces the task's children go in.
    pub ns: Mutex<NsProxy>,
    /// I/O accounting (task/io.rs).
    pub io: io::IoCounters,
    /// Timer slack in ns (PR_SET_TIMERSLACK, `/proc/PID/timerslack_ns`)
    /// and what setting 0 restores: the creator's slack at clone time.
    /// The sentry's timers fire on time, which any slack allows.
    pub timer_slack: TimerSlack,
    /// The thread's seccomp mode and filters (`kernel/seccomp`).
    pub seccomp: crate::kernel::seccomp::TaskSeccomp,
    /// Being traced (kernel/ptrace/).
    pub ptrace: crate::kernel::ptrace::state::PtraceState,
    /// MCE kill policy, TSC access, speculation controls, NUMA policy
    /// (`thread_attrs.rs`).
    pub attrs: Mutex<thread_attrs::ThreadAttrs>,
}

/// A thread's timer slack (see `TaskShared::timer_slack`).
pub struct TimerSlack {
    now: std::sync::atomic::AtomicU64,
    default: u64,
}

impl TimerSlack {
    /// Linux's initial slack: 50 µs.
    pub const INITIAL_NS: u64 = 50_000;

    /// The first task's.
    pub fn initial() -> TimerSlack {
        TimerSlack { now: Self::INITIAL_NS.into(), default: Self::INITIAL_NS }
    }

    /// A new thread's: the creator's slack now, which is also its default.
    pub fn for_child(&self) -> TimerSlack {
        let now = self.get();
        TimerSlack { now: now.into(), default: now }
    }

    /// The same for a record that replaces this one (exec taking the
    /// leader's id).
    pub fn carry(&self) -> TimerSlack {
        TimerSlack { now: self.get().into(), default: self.default }
    }

    pub fn get(&self) -> u64 {
        self.now.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sets the slack; 0 restores the default.
    pub fn set(&self, ns: u64) {
        let v = if ns == 0 { self.default } else { ns };
        self.now.store(v, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A syscall being served: its number, raw arguments, and the stack and
/// instruction pointers it was made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallEntry {
    pub nr: u64,
    pub args: [u64; 6],
    pub sp: u64,
    pub pc: u64,
}

impl TaskShared {
    /// The sandbox-global thread id (the task table's key).
    pub fn gtid(&self) -> i32 {
        self.tid.global()
    }

    /// The namespaces new children go in.
    pub fn nsproxy(&self) -> NsProxy {
        self.ns.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The blocked-signal mask.
    pub fn mask(&self) -> u64 {
        self.sig.lock().unwrap_or_else(|e| e.into_inner()).mask
    }

    /// The syscall the task is in, if it is in one.
    pub fn current_syscall(&self) -> Option<SyscallEntry> {
        *self.syscall.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A restartable sleep (`restart_syscall` after nanosleep/clock_nanosleep).
#[derive(Clone, Copy, Debug)]
pub struct RestartBlock {
    /// When the sleep ends.
    pub deadline: std::time::Instant,
    /// Where to write the time left if interrupted again (0: nowhere).
    pub rem_addr: u64,
}

/// One thread of a sandboxed program. Owned by its sentry thread.
pub struct Task {
    pub kernel: Arc<Kernel>,
    /// What other threads see of this task.
    pub shared: Arc<TaskShared>,
    /// The process (same as `shared.tg`).
    pub tg: Arc<ThreadGroup>,
    /// Sandbox-global thread id (`shared.tid.global()`); what the
    /// application sees is `shared.tid` in its namespace.
    pub tid: i32,
    /// The stub thread this task runs on.
    pub thread: StubThread,
    /// The application's registers while the task is in the sentry.
    pub regs: Regs,
    /// Alternate signal stack (ss_sp, ss_flags, ss_size).
    pub sigaltstack: (u64, i32, u64),
    /// A mask to restore once a signal has been delivered (sigsuspend, ppoll).
    pub saved_mask: Option<u64>,
    /// `set_tid_address`: cleared and woken on exit.
    pub clear_child_tid: u64,
    /// `set_robust_list` head and length.
    pub robust_list: (u64, u64),
    /// Set when the task must stop running.
    pub exit: Option<ExitStatus>,
    /// When set, the handler already put the return registers in place
    /// (`execve`, `rt_sigreturn`): the dispatcher must not write rax.
    pub regs_replaced: bool,
    /// The sleep `restart_syscall` resumes.
    pub restart: Option<RestartBlock>,
    /// A vfork parent waiting for this task to exec or exit.
    pub vfork_parent: Option<Arc<VforkDone>>,
}

/// Signals a vfork parent that its child released the memory.
#[derive(Default)]
pub struct VforkDone {
    pub done: AtomicBool,
    pub queue: WaitQueue,
}

impl VforkDone {
    /// Marks the child as done (exec or exit) and wakes the parent.
    pub fn complete(&self) {
        self.done.store(true, Ordering::SeqCst);
        self.queue.notify_all();
    }
}

impl Task {
    /// Access to the application's memory, for the task's own syscalls:
    /// a copy that touches a stack's untouched room grows the stack.
    pub fn mem(&self) -> TaskMemory<'_> {
        TaskMemory::new(self)
    }

    /// The current address space.
    pub fn mm(&self) -> Arc<MemoryManager> {
        self.tg.mm()
    }

    /// The file behind descriptor `fd`.
    pub fn file(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.tg.fds.get(fd)
    }

    /// Copies in a path argument: NULL and bad pointers are EFAULT, an
    /// over-long path ENAMETOOLONG, as in Linux.
    pub fn read_path(&self, addr: u64) -> Result<Vec<u8>, Errno> {
        self.mem().read_cstring(addr, crate::kernel::vfs::PATH_MAX)
    }

    /// The working directory.
    pub fn cwd(&self) -> Vec<u8> {
        self.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).cwd.clone()
    }

    /// The root directory (`chroot`).
    pub fn root(&self) -> Vec<u8> {
        self.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).root.clone()
    }

    /// The directory a `*at` call resolves relative paths against.
    pub fn dir_for(&self, dirfd: i32, path: &[u8]) -> Result<Vec<u8>, Errno> {
        if path.first() == Some(&b'/') || dirfd == libc::AT_FDCWD {
            return Ok(self.cwd());
        }
        let f = self.file(dirfd)?;
        if !f.ops.stat()?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(f.path.clone())
    }

    /// A resource limit's soft value.
    pub fn rlimit(&self, res: u32) -> u64 {
        self.tg.rlimits.lock().unwrap_or_else(|e| e.into_inner())[res as usize].cur
    }

    /// The blocked-signal mask.
    pub fn sigmask(&self) -> u64 {
        self.shared.mask()
    }

    /// Replaces the blocked-signal mask (SIGKILL and SIGSTOP stay unblocked).
    pub fn set_sigmask(&self, mask: u64) {
        self.shared.sig.lock().unwrap_or_else(|e| e.into_inner()).mask = mask & !crate::kernel::signal::UNBLOCKABLE;
    }

    /// The caller's credentials.
    pub fn creds(&self) -> Credentials {
        self.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether the caller holds capability `cap` over what user namespace
    /// `target` owns (Linux's ns_capable): in its effective set, if its
    /// own user namespace is `target` or an ancestor; or as `target`'s
    /// creator.
    pub fn capable_over(&self, target: &crate::kernel::ns::UserNamespace, cap: u32) -> bool {
        self.tg.capable_over(target, cap)
    }

    /// The caller's mount namespace: where its paths resolve.
    pub fn vfs(&self) -> Arc<crate::kernel::vfs::Vfs> {
        self.shared.ns.lock().unwrap_or_else(|e| e.into_inner()).mnt.clone()
    }

    /// The caller's PID namespace: pids it passes and sees are numbers there.
    pub fn pidns(&self) -> &Arc<PidNamespace> {
        self.tg.pid.ns()
    }

    /// The credentials files are checked against, as Linux does: the
    /// effective ids replaced by the fs ids (`setfsuid`, `setfsgid`; they
    /// follow the effective ids unless set apart). File permission checks,
    /// the owner of new files and the file capabilities (root's override,
    /// chown, fowner, mknod) all go by these.
    pub fn fs_creds(&self) -> Credentials {
        let mut c = self.creds();
        let p = self.tg.privs.lock().unwrap_or_else(|e| e.into_inner());
        c.euid = p.fsuid;
        c.egid = p.fsgid;
        c
    }
}

// -- Identity and scheduling attributes (syscalls/sys_ident.rs). --

/// Every capability Linux defines (CAP_CHOWN..=CAP_CHECKPOINT_RESTORE).
pub const CAP_FULL_SET: u64 = (1 << 41) - 1;

/// Capabilities, and the process attributes that go with credentials.
/// Guarded by `ThreadGroup::privs`.
#[derive(Clone, Debug)]
pub struct Privileges {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
    pub bounding: u64,
    /// The ambient set (PR_CAP_AMBIENT): always within permitted and
    /// inheritable; what an exec of a plain program keeps.
    pub ambient: u64,
    /// File system user and group ids: follow euid/egid, or set by
    /// setfsuid/setfsgid.
    pub fsuid: u32,
    pub fsgid: u32,
    /// PR_SET_KEEPCAPS (SECBIT_KEEP_CAPS).
    pub keepcaps: bool,
    /// PR_SET_NO_NEW_PRIVS.
    pub no_new_privs: bool,
    /// PR_SET_DUMPABLE.
    pub dumpable: bool,
}

impl Privileges {
    /// The privileges of a first process with `creds`: root has every
    /// capability, other users none.
    pub fn new(creds: &Credentials) -> Privileges {
        let caps = if creds.is_root() { CAP_FULL_SET } else { 0 };
        Privileges {
            effective: caps,
            permitted: caps,
            inheritable: 0,
            bounding: CAP_FULL_SET,
            ambient: 0,
            fsuid: creds.euid,
            fsgid: creds.egid,
            keepcaps: false,
            no_new_privs: false,
            dumpable: true,
        }
    }

    /// Whether capability `cap` is in the effective set: held in the
    /// process's own user namespace (`ThreadGroup::capable_over` for others).
    pub fn capable(&self, cap: u32) -> bool {
        self.effective & (1 << cap) != 0
    }

    /// What execve does (capabilities(7), no file capabilities): root (of
    /// the process's user namespace) gets its bounding set, others nothing;
    /// the ambient set is added to both (for root, to the permitted set);
    /// the saved and fs ids become the effective ones.
    pub fn exec(&mut self, creds: &mut Credentials) {
        let root = creds.is_root();
        let mut permitted = if root || creds.is_root_uid(creds.ruid) { self.bounding } else { 0 };
        if self.no_new_privs {
            permitted &= self.permitted;
        }
        permitted |= self.ambient;
        self.permitted = permitted;
        self.effective = if root { permitted } else { self.ambient };
        self.keepcaps = false;
        self.dumpable = true;
        creds.suid = creds.euid;
        creds.sgid = creds.egid;
        self.fsuid = creds.euid;
        self.fsgid = creds.egid;
    }
}

/// SCHED_OTHER, SCHED_BATCH, SCHED_IDLE.
pub const SCHED_OTHER: i32 = 0;

/// Scheduling attributes of a thread. Guarded by `TaskShared::sched`.
#[derive(Clone, Debug)]
pub struct SchedAttrs {
    /// -20..=19.
    pub nice: i32,
    /// SCHED_OTHER, SCHED_BATCH or SCHED_IDLE (real-time policies are refused).
    pub policy: i32,
    /// SCHED_RESET_ON_FORK.
    pub reset_on_fork: bool,
    /// CPU affinity, one bit per CPU of the sandbox.
    pub affinity: Vec<u64>,
    /// The I/O priority (`ioprio_set`): class << 13 | level; 0 is
    /// IOPRIO_CLASS_NONE, Linux's default.
    pub ioprio: u32,
}

impl SchedAttrs {
    /// The CPUs the sandbox shows (the ones husk may use), numbered from 0.
    /// Counted once, when the kernel is made: the sentry later pins its own
    /// threads to single CPUs, which must not shrink what the sandbox sees.
    pub fn online_cpus() -> usize {
        static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        *CPUS.get_or_init(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
    }

    /// A mask of every CPU of the sandbox.
    pub fn all_cpus() -> Vec<u64> {
        let n = Self::online_cpus();
        let mut m = vec![0u64; n.div_ceil(64)];
        for cpu in 0..n {
            m[cpu / 64] |= 1 << (cpu % 64);
        }
        m
    }

    /// The attributes of the first task.
    pub fn new() -> SchedAttrs {
        SchedAttrs { nice: 0, policy: SCHED_OTHER, reset_on_fork: false, affinity: Self::all_cpus(), ioprio: 0 }
    }

    /// The CPU the sentry pins the task (its stub and sentry threads) to:
    /// `hint` modulo the CPU count if the mask allows it, else the next
    /// allowed CPU.
    pub fn pin_cpu(&self, hint: usize) -> usize {
        let n = Self::online_cpus();
        let allowed = |c: usize| self.affinity.get(c / 64).is_some_and(|w| w & (1 << (c % 64)) != 0);
        (0..n).map(|i| (hint + i) % n).find(|&c| allowed(c)).unwrap_or(hint % n)
    }

    /// What a new task created by this one inherits (SCHED_RESET_ON_FORK
    /// resets a negative nice value and is itself cleared).
    pub fn for_child(&self) -> SchedAttrs {
        let mut c = self.clone();
        if c.reset_on_fork {
            c.nice = c.nice.max(0);
            c.reset_on_fork = false;
        }
        c
    }
}

impl Default for SchedAttrs {
    fn default() -> Self {
        SchedAttrs::new()
    }
}
