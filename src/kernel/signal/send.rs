//! Sending signals: the rules Linux applies when a signal is generated
//! (ignored signals dropped, SIGCONT/stop interplay, SIGKILL, the
//! namespace init's protection), queueing, and waking a task to take it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{default_action, sigbit, DefaultAction, SigInfo, SA_NOCLDSTOP, SIG_DFL, SIG_IGN, STOP_SIGNALS};
use crate::kernel::task::{ExitStatus, TaskShared, ThreadGroup};
use crate::kernel::Kernel;

/// The host signal the sentry uses to make a running stub thread stop so
/// its task notices a new signal. Nothing else raises it.
pub const KICK_SIGNAL: i32 = libc::SIGSTKFLT;

/// Where a signal goes.
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

/// Sends `info` to `target`. `from_inside`: generated inside the sandbox
/// (the container init then ignores signals it has no handler for).
/// Returns false when the signal was dropped.
pub fn send(kernel: &Kernel, target: Target, info: SigInfo, from_inside: bool) -> bool {
    let sig = info.signo();
    let tg = match &target {
        Target::Group(g) => (*g).clone(),
        Target::Task(t) => t.tg.clone(),
    };
    let act = tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).get(sig);
    let tasks = tg.task_list();
    let blocked_everywhere = match &target {
        Target::Task(t) => t.mask() & sigbit(sig) != 0,
        Target::Group(_) => tasks.iter().all(|t| t.mask() & sigbit(sig) != 0),
    };
    // The container's init ignores signals from inside its namespace that
    // would take the default action; a blocked signal still queues (its
    // disposition may change before it is unblocked), as in Linux.
    if tg.pid == 1 && from_inside && act.handler == SIG_DFL && !blocked_everywhere {
        return false;
    }
    let mut gs = tg.sig.lock().unwrap_or_else(|e| e.into_inner());
    if gs.exiting.is_some() {
        return false;
    }
    if sig == libc::SIGKILL {
        gs.exiting = Some(ExitStatus::Signal(libc::SIGKILL));
        gs.stopped = None;
        drop(gs);
        tg.stop_queue.notify_all();
        for t in tg.task_list() {
            wake(&t);
        }
        return true;
    }
    if sig == libc::SIGCONT {
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
    // stays pending, and a later handler may still see it).
    let ignored = act.handler == SIG_IGN
        || (act.handler == SIG_DFL && matches!(default_action(sig), DefaultAction::Ignore | DefaultAction::Continue));
    if ignored && !blocked_everywhere {
        return false;
    }
    let queued = match &target {
        Target::Group(_) => gs.pending.push(info),
        Target::Task(t) => t.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.push(info),
    };
    drop(gs);
    if !queued {
        return true;
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
    true
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
            let info = SigInfo::child(super::CLD_CONTINUED, child.pid, uid, libc::SIGCONT);
            send(kernel, Target::Group(&parent), info, true);
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
            let info = SigInfo::child(super::CLD_STOPPED, child.pid, uid, sig);
            send(kernel, Target::Group(&parent), info, true);
        }
    }
}

impl TaskShared {
    /// Whether the task has something to do other than sleep: an unblocked
    /// pending signal, or its group exiting or stopping.
    pub fn interrupted(&self) -> bool {
        let gs = self.tg.sig.lock().unwrap_or_else(|e| e.into_inner());
        if gs.exiting.is_some() || gs.stopped.is_some() || gs.exec_leader.is_some_and(|l| l != self.tid) {
            return true;
        }
        let ts = self.sig.lock().unwrap_or_else(|e| e.into_inner());
        (ts.pending.mask() | gs.pending.mask()) & !ts.mask != 0
    }
}
