//! What ptrace links: the tracee's side (`PtraceState` in each task) and
//! the tracer's list of tracees (`Tracees` in each process).
//!
//! The tracer is a process (Linux links a tracee to the tracer's thread;
//! husk to its thread group: any thread of the tracer may send requests,
//! and the tracees are detached when the tracer process exits).
//!
//! Locking: `PtraceState::inner` and `Tracees::list` are leaves; neither is
//! held while taking the other or any task/process lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::kernel::signal::SigInfo;
use crate::kernel::task::{ExitStatus, TaskShared, ThreadGroup};
use crate::kernel::wait::WaitQueue;
use crate::platform::Regs;

/// PTRACE_O_* options.
pub const O_TRACESYSGOOD: u32 = 1;
pub const O_TRACEFORK: u32 = 2;
pub const O_TRACEVFORK: u32 = 4;
pub const O_TRACECLONE: u32 = 8;
pub const O_TRACEEXEC: u32 = 0x10;
pub const O_TRACEVFORKDONE: u32 = 0x20;
pub const O_TRACEEXIT: u32 = 0x40;
pub const O_TRACESECCOMP: u32 = 0x80;
pub const O_EXITKILL: u32 = 0x10_0000;
pub const O_SUSPEND_SECCOMP: u32 = 0x20_0000;
/// Every option Linux knows.
pub const O_MASK: u32 = 0xff | O_EXITKILL | O_SUSPEND_SECCOMP;

/// PTRACE_EVENT_*.
pub const EVENT_FORK: i32 = 1;
pub const EVENT_VFORK: i32 = 2;
pub const EVENT_CLONE: i32 = 3;
pub const EVENT_EXEC: i32 = 4;
pub const EVENT_VFORK_DONE: i32 = 5;
pub const EVENT_EXIT: i32 = 6;
pub const EVENT_SECCOMP: i32 = 7;
pub const EVENT_STOP: i32 = 128;

/// What kind of ptrace-stop a tracee is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// Syscall-enter-stop or syscall-exit-stop.
    SyscallEntry,
    SyscallExit,
    /// Signal-delivery-stop: the tracer decides about the signal.
    Signal,
    /// Group-stop (and PTRACE_EVENT_STOP for seized tracees).
    Group,
    /// A PTRACE_EVENT_* stop.
    Event(i32),
}

/// How the tracer let a tracee go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// PTRACE_CONT / SYSCALL / SINGLESTEP with a signal to deliver (0: none).
    Cont { sig: i32, syscalls: bool, step: bool },
    /// PTRACE_LISTEN: stay stopped until the group continues.
    Listen,
    /// PTRACE_DETACH with a signal, or the tracer went away.
    Detach { sig: i32 },
}

/// A tracee's ptrace state. Guarded by `PtraceState::inner`.
pub struct Tracee {
    /// The tracing process.
    pub tracer: Weak<ThreadGroup>,
    /// Attached with PTRACE_SEIZE.
    pub seized: bool,
    pub options: u32,
    /// The stop the tracee is in (the tracer may act on it).
    pub stop: Option<StopKind>,
    /// The stop's wait status code (`status >> 8`) until a wait takes it.
    pub report: Option<i32>,
    /// Set by the tracer to end the stop.
    pub resume: Option<Resume>,
    /// The tracee's registers while stopped; the tracer may change them.
    pub regs: Regs,
    pub regs_dirty: bool,
    /// Its XSAVE area while stopped.
    pub fp: Vec<u8>,
    pub fp_dirty: bool,
    /// The stop's siginfo (None in a group-stop of a non-seized tracee).
    pub siginfo: Option<SigInfo>,
    /// PTRACE_GETEVENTMSG.
    pub eventmsg: u64,
    /// Resumed with PTRACE_SYSCALL.
    pub syscalls: bool,
    /// Resumed with PTRACE_SINGLESTEP.
    pub step: bool,
    /// The sentry set EFLAGS.TF for PTRACE_SINGLESTEP (cleared, and hidden
    /// from the tracer, at the next stop).
    pub forced_tf: bool,
    /// The group stop (its SIGCONT count) the tracee already reported.
    pub group_stop_seen: Option<u64>,
}

/// The ptrace side of a task (`TaskShared::ptrace`).
#[derive(Default)]
pub struct PtraceState {
    /// Whether the task is traced: the one check the syscall path makes.
    traced: AtomicBool,
    /// A PTRACE_INTERRUPT (or a seized child's first stop) is pending.
    trap: AtomicBool,
    inner: Mutex<Option<Tracee>>,
    /// The stopped tracee sleeps here; the tracer's requests notify it.
    pub queue: WaitQueue,
    /// Set once the task exited, with how (for the tracer's wait).
    pub exited: Mutex<Option<ExitStatus>>,
}

impl PtraceState {
    /// Whether the task is traced (cheap).
    pub fn is_traced(&self) -> bool {
        self.traced.load(Ordering::Relaxed)
    }

    /// The tracee state.
    pub fn lock(&self) -> MutexGuard<'_, Option<Tracee>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Links the task to `tracer`. Fails if it is traced already.
    pub fn attach(&self, tracer: &Arc<ThreadGroup>, seized: bool, options: u32) -> bool {
        let mut g = self.lock();
        if g.is_some() {
            return false;
        }
        *g = Some(Tracee {
            tracer: Arc::downgrade(tracer),
            seized,
            options,
            stop: None,
            report: None,
            resume: None,
            regs: crate::platform::ptrace::zeroed_regs(),
            regs_dirty: false,
            fp: Vec::new(),
            fp_dirty: false,
            siginfo: None,
            eventmsg: 0,
            syscalls: false,
            step: false,
            forced_tf: false,
            group_stop_seen: None,
        });
        self.traced.store(true, Ordering::SeqCst);
        true
    }

    /// Unlinks the task from its tracer; a stopped tracee resumes with
    /// `sig` (0: none).
    pub fn detach(&self, sig: i32) {
        let mut g = self.lock();
        if let Some(t) = g.as_mut() {
            if t.stop.is_some() {
                t.resume = Some(Resume::Detach { sig });
            }
        }
        if g.as_ref().is_some_and(|t| t.stop.is_none()) {
            *g = None;
        }
        self.traced.store(g.is_some(), Ordering::SeqCst);
        drop(g);
        self.trap.store(false, Ordering::SeqCst);
        self.queue.notify_all();
    }

    /// The tracing process, if the task is traced.
    pub fn tracer(&self) -> Option<Arc<ThreadGroup>> {
        if !self.is_traced() {
            return None;
        }
        self.lock().as_ref().and_then(|t| t.tracer.upgrade())
    }

    /// Whether a trap (PTRACE_INTERRUPT) is pending.
    pub fn trap_pending(&self) -> bool {
        self.trap.load(Ordering::SeqCst)
    }

    pub fn set_trap(&self, on: bool) {
        self.trap.store(on, Ordering::SeqCst);
    }

    /// Marks the end of the stop after the tracee resumed; a detach that
    /// came during the stop takes effect now.
    pub fn finish_stop(&self) {
        let mut g = self.lock();
        if let Some(t) = g.as_mut() {
            let detached = matches!(t.resume, Some(Resume::Detach { .. }));
            t.stop = None;
            t.report = None;
            t.resume = None;
            if detached || t.tracer.strong_count() == 0 {
                *g = None;
            }
        }
        self.traced.store(g.is_some(), Ordering::SeqCst);
    }
}

/// The tracees of a process (`ThreadGroup::tracees`).
#[derive(Default)]
pub struct Tracees {
    list: Mutex<Vec<Arc<TaskShared>>>,
}

impl Tracees {
    pub fn add(&self, t: Arc<TaskShared>) {
        self.list.lock().unwrap_or_else(|e| e.into_inner()).push(t);
    }

    pub fn remove(&self, t: &TaskShared) {
        self.list.lock().unwrap_or_else(|e| e.into_inner()).retain(|x| !std::ptr::eq(Arc::as_ptr(x), t));
    }

    /// A snapshot of the list.
    pub fn list(&self) -> Vec<Arc<TaskShared>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Empties the list (the tracer exits).
    pub fn take(&self) -> Vec<Arc<TaskShared>> {
        std::mem::take(&mut *self.list.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn is_empty(&self) -> bool {
        self.list.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }
}

impl PtraceState {
    /// Moves the tracee link to a new record of the same thread (exec by
    /// a non-leader thread).
    pub fn carry(&self) -> PtraceState {
        let inner = self.lock().take();
        let traced = inner.is_some();
        self.traced.store(false, Ordering::SeqCst);
        PtraceState {
            traced: AtomicBool::new(traced),
            trap: AtomicBool::new(self.trap_pending()),
            inner: Mutex::new(inner),
            queue: WaitQueue::default(),
            exited: Mutex::new(None),
        }
    }

    /// Whether a group stop with SIGCONT count `continues` was already
    /// reported (the tracee may then run in the stopped group).
    pub fn group_stop_reported(&self, continues: u64) -> bool {
        self.is_traced() && self.lock().as_ref().is_some_and(|t| t.group_stop_seen == Some(continues))
    }
}
