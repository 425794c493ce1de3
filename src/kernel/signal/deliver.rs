//! Delivery: what a task does with its pending signals each time it is
//! about to return to application code — run a handler, take the default
//! action, stop with its group, or exit — and how an interrupted syscall
//! is restarted or fails with EINTR.

use super::send::notify_parent_stopped;
use super::{default_action, sigbit, DefaultAction, SigInfo, SA_NODEFER, SA_RESETHAND, SA_RESTART, SIG_DFL, SIG_IGN};
use crate::kernel::errno::Errno;
use crate::kernel::task::{ExitStatus, Task};
use crate::kernel::wait::block_uninterruptible;
use std::sync::atomic::Ordering;

/// The syscall that resumes an interrupted sleep (`restart_syscall`).
const SYS_RESTART_SYSCALL: u64 = 219;

impl Task {
    /// Takes the next deliverable signal: thread-directed first.
    /// With it, the group's SIGCONT count at that moment (see
    /// `begin_group_stop`).
    fn dequeue_signal(&self) -> Option<(SigInfo, u64)> {
        let mut gs = self.tg.sig.lock().unwrap_or_else(|e| e.into_inner());
        let mut ts = self.shared.sig.lock().unwrap_or_else(|e| e.into_inner());
        let allowed = !ts.mask;
        let info = ts.pending.pop(allowed).or_else(|| gs.pending.pop(allowed))?;
        Some((info, gs.continues))
    }

    /// The raw syscall result in rax, if the task stopped in a syscall that
    /// asked to be restarted.
    fn restart_code(&self) -> Option<Errno> {
        if self.regs.orig_rax as i64 >= 0 {
            let r = -(self.regs.rax as i64);
            if matches!(r, 512 | 513 | 514 | 516) {
                return Some(Errno(r as i32));
            }
        }
        None
    }

    /// Arranges for the interrupted syscall to run again.
    fn restart_syscall(&mut self, code: Errno) {
        if code == Errno::ERESTART_RESTARTBLOCK {
            self.regs.rax = SYS_RESTART_SYSCALL;
        } else {
            self.regs.rax = self.regs.orig_rax;
        }
        self.regs.rip -= 2;
    }

    /// Handles pending signals before returning to application code.
    pub fn handle_signals(&mut self) {
        let mut handled = false;
        loop {
            if self.exit.is_some() {
                return;
            }
            {
                let gs = self.tg.sig.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(status) = gs.exiting {
                    self.exit = Some(status);
                    return;
                }
                if gs.exec_leader.is_some_and(|l| l != self.tid) {
                    // Another thread is exec'ing: this one just ends.
                    self.exit = Some(ExitStatus::Code(0));
                    return;
                }
            }
            if self.park_while_frozen() {
                continue;
            }
            if self.stop_if_group_stopped() {
                continue;
            }
            if self.shared.ptrace.trap_pending() {
                self.ptrace_trap();
                continue;
            }
            let Some((mut info, continues)) = self.dequeue_signal() else {
                break;
            };
            // Signal-delivery-stop: the tracer may change or suppress it.
            if info.signo() != libc::SIGKILL && self.traced() {
                match self.ptrace_signal_stop(info) {
                    Some(i) => info = i,
                    None => continue,
                }
            }
            let sig = info.signo();
            let act = self.tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).get(sig);
            if sig == libc::SIGKILL {
                self.exit_group(ExitStatus::Signal(sig));
                return;
            }
            if act.handler == SIG_IGN {
                continue;
            }
            // A PID namespace's init never takes a default action other
            // than SIGKILL's and SIGSTOP's (which reached it forced).
            if act.handler == SIG_DFL && sig != libc::SIGSTOP && self.tg.unkillable.load(Ordering::Relaxed) {
                continue;
            }
            if act.handler == SIG_DFL || sig == libc::SIGSTOP {
                match default_action(sig) {
                    DefaultAction::Ignore | DefaultAction::Continue => continue,
                    DefaultAction::Stop => {
                        self.begin_group_stop(sig, continues);
                        continue;
                    }
                    DefaultAction::Terminate => {
                        self.exit_group(ExitStatus::Signal(sig));
                        return;
                    }
                    DefaultAction::CoreDump => {
                        self.die_dumping_core(&info);
                        return;
                    }
                }
            }
            // A handler: decide about the interrupted syscall first.
            if let Some(code) = self.restart_code() {
                let restart = match code {
                    Errno::ERESTARTNOINTR => true,
                    Errno::ERESTARTSYS => act.flags & SA_RESTART != 0,
                    _ => false,
                };
                if restart {
                    self.restart_syscall(code);
                } else {
                    self.regs.rax = (-(Errno::EINTR.0 as i64)) as u64;
                }
                self.regs.orig_rax = u64::MAX;
            }
            // The frame restores the mask from before sigsuspend/ppoll; while
            // the handler runs, the current (temporary) mask stays in force.
            let current = self.sigmask();
            let old_mask = self.saved_mask.take().unwrap_or(current);
            if let Err(e) = self.setup_frame(&info, &act, old_mask) {
                tracing::debug!(tid = self.tid, sig, "cannot build a signal frame: {e}");
                self.exit_group(ExitStatus::Signal(libc::SIGSEGV));
                return;
            }
            let mut new_mask = current | act.mask;
            if act.flags & SA_NODEFER == 0 {
                new_mask |= sigbit(sig);
            }
            self.set_sigmask(new_mask);
            if act.flags & SA_RESETHAND != 0 {
                self.tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).set(sig, Default::default());
            }
            handled = true;
        }
        if !handled {
            if let Some(code) = self.restart_code() {
                // No handler ran: every restart code restarts.
                self.restart_syscall(code);
                self.regs.orig_rax = u64::MAX;
            }
            if let Some(m) = self.saved_mask.take() {
                self.set_sigmask(m);
            }
        }
    }

    /// Starts a group stop for `sig` (a stop signal with the default
    /// action), unless the process group is orphaned (then SIGTSTP, SIGTTIN
    /// and SIGTTOU are discarded, as POSIX says).
    /// A SIGCONT sent since the stop signal was taken (`continues` moved)
    /// cancels the stop, as it would have discarded the signal had it come
    /// a moment earlier.
    fn begin_group_stop(&mut self, sig: i32, continues: u64) {
        if sig != libc::SIGSTOP && self.kernel.procs().pgrp_orphaned(self.tg.pgid()) {
            return;
        }
        {
            let mut gs = self.tg.sig.lock().unwrap_or_else(|e| e.into_inner());
            if gs.exiting.is_some() || gs.continues != continues {
                return;
            }
            gs.stopped = Some(sig);
        }
        for t in self.tg.task_list() {
            if t.gtid() != self.tid {
                super::send::wake(&t);
            }
        }
        notify_parent_stopped(&self.kernel, &self.tg, sig);
    }

    /// If the group is stopped, waits until it continues or dies. Returns
    /// true if the task was stopped.
    fn stop_if_group_stopped(&mut self) -> bool {
        if self.traced() {
            // A tracee reports the stop to its tracer instead (kernel/ptrace/).
            return self.ptrace_group_stop();
        }
        let stopped = self.tg.sig.lock().unwrap_or_else(|e| e.into_inner()).stopped.is_some();
        if !stopped {
            return false;
        }
        let tg = self.tg.clone();
        let shared = self.shared.clone();
        let _ = block_uninterruptible(&[&tg.stop_queue], || {
            let gs = tg.sig.lock().unwrap_or_else(|e| e.into_inner());
            (gs.stopped.is_none() || gs.exiting.is_some() || shared.ptrace.is_traced()).then_some(Ok(()))
        });
        true
    }

    /// If the container is frozen, waits until it thaws or the process
    /// dies (SIGKILL, another thread's exit or exec). Returns true if the
    /// task was parked.
    fn park_while_frozen(&mut self) -> bool {
        // Checked before anything else: this runs at every return to the
        // application.
        if !self.tg.container.freezer.wanted() {
            return false;
        }
        let tg = self.tg.clone();
        let freezer = &tg.container.freezer;
        let tid = self.tid;
        self.shared.parked.store(true, Ordering::SeqCst);
        let _ = block_uninterruptible(&[&freezer.thaw, &tg.stop_queue], || {
            let gs = tg.sig.lock().unwrap_or_else(|e| e.into_inner());
            let dying = gs.exiting.is_some() || gs.exec_leader.is_some_and(|l| l != tid);
            (!freezer.wanted() || dying).then_some(Ok(()))
        });
        self.shared.parked.store(false, Ordering::SeqCst);
        true
    }

    /// Delivers a fault of the application's code (SIGSEGV, SIGBUS...):
    /// like Linux's force_sig, a blocked or ignored fault signal kills.
    pub fn force_fault(&mut self, info: SigInfo) {
        let sig = info.signo();
        {
            let mut actions = self.tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner());
            let act = actions.get(sig);
            if act.handler == SIG_IGN || self.sigmask() & sigbit(sig) != 0 {
                actions.set(sig, Default::default());
                let m = self.sigmask() & !sigbit(sig);
                self.set_sigmask(m);
            }
            // A fault with the default action kills even a namespace's init.
            if actions.get(sig).handler == SIG_DFL {
                self.tg.unkillable.store(false, Ordering::Relaxed);
            }
        }
        self.shared.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.push(info);
    }
}
