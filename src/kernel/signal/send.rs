//! Sending signals: the rules Linux applies when a signal is generated
//! (ignored signals dropped, SIGCONT/stop interplay, SIGKILL, the PID
//! namespace init's protection), queueing, and waking a task to take it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{default_action, sigbit, DefaultAction, SigInfo, SA_NOCLDSTOP, SIG_DFL, SIG_IGN, STOP_SIGNALS};
use crate::kernel::errno::Errno;
use crate::kernel::task::{ExitStatus, TaskShared, ThreadGroup};
use crate::kernel::Kernel;

/// The host signal the sentry uses to make a running stub thread stop so
/// its task notices a new signal. Nothing else raises it.
pub const KICK_SIGNAL: i32 = libc::SIGSTKFLT;

/// Who generates a signal: the init of a PID namespace takes signals
/// with the default action only when they are SIGKILL or SIGSTOP "forced"
/// (from the kernel or from outside its namespace).
#[derive(Clone, Copy)]
pub enum Origin<'a> {
    /// A process of the sandbox (kill, tgkill, sigqueue, a child's SIGCHLD).
    Process(&'a ThreadGroup),
    /// A POSIX timer of that process: as the process itself, except that
    /// its record was reserved with the timer (RLIMIT_SIGPENDING, limit.rs).
    Timer(&'a ThreadGroup),
    /// The sentry for its own reasons (job control, timers, faults, the
    /// end of a namespace), as Linux's SEND_SIG_PRIV.
    Kernel,
    /// Outside the sandbox (the loader, the host): like a process of an
    /// ancestor PID namespace.
    Outside,
}

/// Where a signal goes.
#[derive(Clone, Copy)]
pub enum Target<'a> {
    /// Any thread of the process may take it.
    Group(&'a Arc<ThreadGroup>),
    /// Only this thread.
    Task(&'a Arc<TaskShared>),
}

/// Makes `task` notice pending signals: ends a sleep in the sentry, or
/// stops it in application code.
pub fn wake(task: &TaskShared) {
    task.waker.notify();
    if task.in_app.load(Ordering::SeqCst) {
        let (pid, tid) = *task.host.lock().unwrap_or_else(|e| e.into_inner());
        if tid > 0 {
            // SAFETY: tgkill to a stub thread of ours; a stale id at worst
            // hits a thread that has already gone (ESRCH).
            unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, KICK_SIGNAL) };
        }
    }
}

/// Sends `info` to `target` on behalf of `origin`. Returns false when the
/// signal was dropped (also when RLIMIT_SIGPENDING refused it).
pub fn send(kernel: &Kernel, target: Target, info: SigInfo, origin: Origin) -> bool {
    send_or_refuse(kernel, target, info, origin).unwrap_or(false)
}

/// `send`, with EAGAIN when the target's user has RLIMIT_SIGPENDING
/// records queued already and this one may be refused (`limit.rs`): what
/// sigqueue and tgkill return then.
pub fn send_or_refuse(kernel: &Kernel, target: Target, mut info: SigInfo, origin: Origin) -> Result<bool, Errno> {
    let sig = info.signo();
    let tg = match &target {
        Target::Group(g) => (*g).clone(),
        Target::Task(t) => t.tg.clone(),
    };
    // Counted before any signal lock is taken (the count takes them all).
    let over_limit = !matches!(origin, Origin::Timer(_)) && super::limit::over_limit(kernel, &tg, &info);
    // Past the limit Linux refuses a real-time record unless it came from
    // kill (SI_USER) or is the kernel's own information-less one
    // (SEND_SIG_PRIV, SigInfo::kernel): those are pending without it.
    let refused = over_limit
        && info.code() != super::SI_USER
        && !(matches!(origin, Origin::Kernel) && info.code() == super::SI_KERNEL);
    // Linux's send_signal_locked: kernel signals are forced; a sender the
    // target's namespace cannot see (an ancestor's process, the outside)
    // is forced and shows as pid 0.
    let force = match origin {
        Origin::Kernel => true,
        Origin::Outside => {
            info.clear_sender_pid();
            true
        }
        Origin::Process(from) | Origin::Timer(from) if !from.pid.visible_in(tg.pidns()) => {
            info.clear_sender_pid();
            true
        }
        Origin::Process(_) | Origin::Timer(_) => info.code() == super::SI_KERNEL,
    };
    let act = tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).get(sig);
    let tasks = tg.task_list();
    let blocked_everywhere = match &target {
        Target::Task(t) => t.mask() & sigbit(sig) != 0,
        Target::Group(_) => tasks.iter().all(|t| t.mask() & sigbit(sig) != 0),
    };
    // A PID namespace's init ignores signals that would take the default
    // action, unless SIGKILL or SIGSTOP come forced (Linux's
    // sig_task_ignored with SIGNAL_UNKILLABLE).
    let unkillable = tg.unkillable.load(Ordering::Relaxed);
    let init_ignores =
        unkillable && act.handler == SIG_DFL && !(force && (sig == libc::SIGKILL || sig == libc::SIGSTOP));
    // The runtime, though, ends a container's init with any signal whose
    // default action ends a process (`husk kill ID TERM`), as runsc does:
    // the protection is against the sandbox's own processes. (runc, whose
    // `kill` comes from the host's namespace, gets Linux's answer: ignored.)
    let runtime_ends_init = unkillable
        && matches!(origin, Origin::Outside)
        && act.handler == SIG_DFL
        && !blocked_everywhere
        && matches!(default_action(sig), DefaultAction::Terminate | DefaultAction::CoreDump);
    let mut gs = tg.sig.lock().unwrap_or_else(|e| e.into_inner());
    if gs.exiting.is_some() {
        return Ok(false);
    }
    if sig == libc::SIGKILL || runtime_ends_init {
        if init_ignores && !runtime_ends_init {
            return Ok(false);
        }
        // No core is ever written, so no death reports one.
        gs.exiting = Some(ExitStatus::Signal(sig));
        gs.stopped = None;
        drop(gs);
        tg.stop_queue.notify_all();
        for t in tg.task_list() {
            wake(&t);
        }
        return Ok(true);
    }
    if sig == libc::SIGCONT {
        gs.continues += 1;
        gs.pending.discard(STOP_SIGNALS);
        for t in tg.task_list() {
            t.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.discard(STOP_SIGNALS);
        }
        if gs.stopped.take().is_some() {
            drop(gs);
            tg.stop_queue.notify_all();
            notify_parent_continued(kernel, &tg);
            gs = tg.sig.lock().unwrap_or_else(|e| e.into_inner());
        }
    } else if sigbit(sig) & STOP_SIGNALS != 0 {
        gs.pending.discard(sigbit(libc::SIGCONT));
        for t in tg.task_list() {
            t.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.discard(sigbit(libc::SIGCONT));
        }
    }
    // An ignored signal is dropped unless the target blocks it (then it
    // stays pending, and a later handler may still see it). SIGCONT's and
    // the stop signals' side effects above happen either way, as in Linux.
    let ignored = act.handler == SIG_IGN
        || init_ignores
        || (act.handler == SIG_DFL && matches!(default_action(sig), DefaultAction::Ignore | DefaultAction::Continue));
    // A tracer sees even ignored signals (Linux's sig_ignored).
    let traced = match &target {
        Target::Task(t) => t.ptrace.is_traced(),
        Target::Group(_) => tasks.iter().any(|t| t.ptrace.is_traced()),
    };
    if ignored && !blocked_everywhere && !traced {
        return Ok(false);
    }
    if over_limit {
        if refused {
            return Err(Errno::EAGAIN);
        }
        let pending = match &target {
            Target::Group(_) => gs.pending.mask(),
            Target::Task(t) => t.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.mask(),
        };
        if pending & sigbit(sig) != 0 {
            // Pending already: this instance's information is lost.
            return Ok(true);
        }
    }
    let queued = match &target {
        Target::Group(_) => gs.pending.push(info),
        Target::Task(t) => t.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.push(info),
    };
    drop(gs);
    if !queued {
        return Ok(true);
    }
    match &target {
        Target::Task(t) => wake(t),
        Target::Group(_) => {
            // Every thread re-checks (sigwaitinfo waiters too); one that can
            // take the signal is also kicked out of application code.
            let chosen = tasks.iter().find(|t| t.mask() & sigbit(sig) == 0);
            for t in &tasks {
                t.waker.notify();
            }
            if let Some(t) = chosen {
                wake(t);
            }
        }
    }
    Ok(true)
}

/// Raises SIGPIPE in the calling task (a write found no reader), as
/// Linux's send_sig(SIGPIPE, current, 0): SI_USER from itself.
pub fn raise_sigpipe(t: &crate::kernel::task::Task) {
    let info = SigInfo::user(libc::SIGPIPE, t.tg.pid.vnr(), t.creds().ruid);
    send(&t.kernel, Target::Task(&t.shared), info, Origin::Process(&t.tg));
}

/// Tells `child`'s parent that it continued: WCONTINUED state and SIGCHLD.
fn notify_parent_continued(kernel: &Kernel, child: &Arc<ThreadGroup>) {
    child.life.lock().unwrap_or_else(|e| e.into_inner()).cont_report = true;
    child.life.lock().unwrap_or_else(|e| e.into_inner()).stop_report = None;
    kernel.child_events.notify_all();
    if let Some(parent) = child.parent() {
        let pact = parent.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).get(libc::SIGCHLD);
        if pact.flags & SA_NOCLDSTOP == 0 {
            let uid = child.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
            let info = SigInfo::child(super::CLD_CONTINUED, child.pid.nr_in(parent.pidns()), uid, libc::SIGCONT);
            send(kernel, Target::Group(&parent), info, Origin::Process(child));
        }
    }
}

/// Tells `child`'s parent that it stopped with `sig`: WUNTRACED state and SIGCHLD.
pub fn notify_parent_stopped(kernel: &Kernel, child: &Arc<ThreadGroup>, sig: i32) {
    {
        let mut life = child.life.lock().unwrap_or_else(|e| e.into_inner());
        life.stop_report = Some(sig);
        life.cont_report = false;
    }
    kernel.child_events.notify_all();
    if let Some(parent) = child.parent() {
        let pact = parent.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).get(libc::SIGCHLD);
        if pact.flags & SA_NOCLDSTOP == 0 {
            let uid = child.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
            let info = SigInfo::child(super::CLD_STOPPED, child.pid.nr_in(parent.pidns()), uid, sig);
            send(kernel, Target::Group(&parent), info, Origin::Process(child));
        }
    }
}

impl TaskShared {
    /// Whether the task has something to do other than sleep: an unblocked
    /// pending signal, its group exiting or stopping, or its container
    /// freezing.
    pub fn interrupted(&self) -> bool {
        let gs = self.tg.sig.lock().unwrap_or_else(|e| e.into_inner());
        // A tracee its tracer let run in a stopped group is not stopped.
        let stopped = gs.stopped.is_some() && !self.ptrace.group_stop_reported(gs.continues);
        if gs.exiting.is_some() || stopped || gs.exec_leader.is_some_and(|l| l != self.gtid()) {
            return true;
        }
        if self.ptrace.trap_pending() || self.tg.container.freezer.wanted() {
            return true;
        }
        let ts = self.sig.lock().unwrap_or_else(|e| e.into_inner());
        (ts.pending.mask() | gs.pending.mask()) & !ts.mask != 0
    }
}
