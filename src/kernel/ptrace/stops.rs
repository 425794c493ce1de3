//! The tracee's side: entering ptrace-stops from the task loop (syscall
//! enter/exit, signal delivery, group stop, PTRACE_EVENT_*), and telling
//! the tracer.

use std::sync::Arc;

use super::state::*;
use crate::kernel::errno::Errno;
use crate::kernel::signal::send::{send, Origin, Target};
use crate::kernel::signal::{sigbit, SigInfo, SA_NOCLDSTOP};
use crate::kernel::task::{ExitStatus, Task, TaskShared, ThreadGroup};
use crate::kernel::wait::block_uninterruptible;

/// CLD_TRAPPED: a traced child has trapped.
pub const CLD_TRAPPED: i32 = 4;
/// EFLAGS.TF, the trap flag.
const EFLAGS_TF: u64 = 0x100;
/// si_code of the SIGTRAP after a single-stepped syscall instruction.
const TRAP_BRKPT: i32 = 1;

/// A ptrace-stop's siginfo as Linux's ptrace_notify fills it: SIGTRAP (or
/// `signo`) with the stop code as si_code and the tracee as sender.
fn trap_info(signo: i32, code: i32, t: &Task) -> SigInfo {
    let mut s = SigInfo::user(signo, t.tg.pid.vnr(), t.creds().ruid);
    s.0[8..12].copy_from_slice(&code.to_ne_bytes());
    s
}

/// Tells `tracer` that `tracee` stopped (SIGCHLD with CLD_TRAPPED unless it
/// set SA_NOCLDSTOP) and wakes its waits.
fn notify_tracer(t: &Task, tracer: &Arc<ThreadGroup>, code: i32) {
    let act = tracer.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).get(libc::SIGCHLD);
    if act.flags & SA_NOCLDSTOP == 0 {
        let info = SigInfo::child(CLD_TRAPPED, t.shared.tid.nr_in(tracer.pidns()), t.creds().ruid, code & 0x7f);
        send(&t.kernel, Target::Group(tracer), info, Origin::Process(&t.tg));
    }
    t.kernel.child_events.notify_all();
}

/// Keeps what a tracer may not change in the registers: the segment
/// selectors, the system flags, bases outside user space.
fn sanitize(old: &crate::platform::Regs, new: &mut crate::platform::Regs) {
    /// The flags user code may set (Linux's FLAG_MASK).
    const FLAG_MASK: u64 = 0x54dd5;
    new.cs = old.cs;
    new.ss = old.ss;
    new.ds = old.ds;
    new.es = old.es;
    new.fs = old.fs;
    new.gs = old.gs;
    new.eflags = (old.eflags & !FLAG_MASK) | (new.eflags & FLAG_MASK);
    if new.fs_base >= 1 << 47 {
        new.fs_base = old.fs_base;
    }
    if new.gs_base >= 1 << 47 {
        new.gs_base = old.gs_base;
    }
}

impl Task {
    /// Whether the task is traced (the one check of the hot paths).
    pub fn traced(&self) -> bool {
        self.shared.ptrace.is_traced()
    }

    /// Enters a ptrace-stop reported to the tracer as wait code `code`
    /// (`status >> 8`) and sleeps until the tracer resumes it. None when the
    /// task is not traced (any more) or is being killed.
    pub fn ptrace_stop(&mut self, kind: StopKind, code: i32, info: Option<SigInfo>) -> Option<Resume> {
        let shared = self.shared.clone();
        let fp = self.thread.fpregs().unwrap_or_default();
        let tracer = {
            let mut g = shared.ptrace.lock();
            let t = g.as_mut()?;
            let Some(tracer) = t.tracer.upgrade() else {
                drop(g);
                shared.ptrace.finish_stop();
                return None;
            };
            if t.forced_tf {
                self.regs.eflags &= !EFLAGS_TF;
                t.forced_tf = false;
            }
            t.stop = Some(kind);
            t.report = Some(code);
            t.resume = None;
            t.regs = self.regs;
            t.regs_dirty = false;
            t.fp = fp;
            t.fp_dirty = false;
            t.siginfo = info;
            tracer
        };
        notify_tracer(self, &tracer, code);
        drop(tracer);
        let tg = self.tg.clone();
        let tid = self.tid;
        let exit_event = kind == StopKind::Event(EVENT_EXIT);
        let resume = block_uninterruptible(&[&shared.ptrace.queue, &tg.stop_queue], || {
            {
                let g = shared.ptrace.lock();
                match g.as_ref() {
                    None => return Some(Ok(None)),
                    Some(t) if t.resume.is_some() => return Some(Ok(t.resume)),
                    Some(t) if t.tracer.strong_count() == 0 => return Some(Ok(None)),
                    Some(_) => {}
                }
            }
            let gs = tg.sig.lock().unwrap_or_else(|e| e.into_inner());
            // SIGKILL ends any stop; the end of the group (exit_group,
            // exec) every stop but the exit event's.
            let killed = if exit_event {
                gs.exiting == Some(ExitStatus::Signal(libc::SIGKILL))
            } else {
                gs.exiting.is_some() || gs.exec_leader.is_some_and(|l| l != tid)
            };
            killed.then_some(Ok(None))
        })
        .unwrap_or(None);
        {
            let mut g = shared.ptrace.lock();
            if let Some(t) = g.as_mut() {
                if t.regs_dirty {
                    let mut r = t.regs;
                    sanitize(&self.regs, &mut r);
                    self.regs = r;
                }
                if t.fp_dirty {
                    let _ = self.thread.set_fpregs(&t.fp);
                }
                // PTRACE_SINGLESTEP: one instruction, then the CPU's debug
                // trap comes back from the platform as a host SIGTRAP
                // (TRAP_TRACE), delivered to the task as a fault.
                if matches!(resume, Some(Resume::Cont { step: true, .. })) && self.regs.eflags & EFLAGS_TF == 0 {
                    self.regs.eflags |= EFLAGS_TF;
                    t.forced_tf = true;
                }
            }
        }
        shared.ptrace.finish_stop();
        resume
    }

    /// The tracee's options and whether it was seized.
    fn ptrace_mode(&self) -> Option<(u32, bool)> {
        self.shared.ptrace.lock().as_ref().map(|t| (t.options, t.seized))
    }

    /// A signal the tracer asked for when resuming a syscall stop.
    fn inject_resume_signal(&self, r: Option<Resume>) {
        if let Some(Resume::Cont { sig, .. } | Resume::Detach { sig }) = r {
            if sig > 0 {
                send(&self.kernel, Target::Task(&self.shared), SigInfo::kernel(sig), Origin::Kernel);
            }
        }
    }

    /// The code of a syscall stop: SIGTRAP, | 0x80 with TRACESYSGOOD.
    fn syscall_stop_code(&self) -> Option<i32> {
        let g = self.shared.ptrace.lock();
        let t = g.as_ref()?;
        if !t.syscalls {
            return None;
        }
        Some(if t.options & O_TRACESYSGOOD != 0 { libc::SIGTRAP | 0x80 } else { libc::SIGTRAP })
    }

    /// Syscall-enter-stop. Returns true when the syscall must not run: the
    /// tracer set orig_rax to -1 (rax is then the result), or the task is
    /// being killed.
    pub fn ptrace_syscall_entry(&mut self) -> bool {
        let Some(code) = self.syscall_stop_code() else {
            return false;
        };
        self.regs.rax = (-(Errno::ENOSYS.0 as i64)) as u64;
        let info = trap_info(libc::SIGTRAP, code, self);
        let r = self.ptrace_stop(StopKind::SyscallEntry, code, Some(info));
        self.inject_resume_signal(r);
        (self.regs.orig_rax as i64) < 0 || self.killed()
    }

    /// Syscall-exit-stop; after a single-stepped syscall instruction, the
    /// step's SIGTRAP instead (Linux's user_single_step_report).
    pub fn ptrace_syscall_exit(&mut self) {
        if self.exit.is_some() {
            return;
        }
        let stepping = self.shared.ptrace.lock().as_ref().is_some_and(|t| t.step);
        if stepping {
            let mut info = SigInfo::kernel(libc::SIGTRAP);
            info.0[8..12].copy_from_slice(&TRAP_BRKPT.to_ne_bytes());
            info.0[16..24].copy_from_slice(&self.regs.rip.to_ne_bytes());
            self.force_fault(info);
            return;
        }
        let Some(code) = self.syscall_stop_code() else {
            return;
        };
        let info = trap_info(libc::SIGTRAP, code, self);
        let r = self.ptrace_stop(StopKind::SyscallExit, code, Some(info));
        self.inject_resume_signal(r);
    }

    /// Whether the group is ending.
    fn killed(&self) -> bool {
        self.tg.sig.lock().unwrap_or_else(|e| e.into_inner()).exiting.is_some()
    }

    /// Signal-delivery-stop for `info`: the signal to deliver instead (the
    /// tracer's choice), or None when it suppressed it.
    pub fn ptrace_signal_stop(&mut self, info: SigInfo) -> Option<SigInfo> {
        let sig = info.signo();
        let r = self.ptrace_stop(StopKind::Signal, sig, Some(info));
        let new = match r {
            Some(Resume::Cont { sig, .. } | Resume::Detach { sig }) => sig,
            // Killed: the loop sees the group exiting. Untraced: as if
            // never stopped.
            Some(Resume::Listen) => sig,
            None => return if self.killed() { None } else { Some(info) },
        };
        if new == 0 {
            return None;
        }
        // The siginfo as the tracer left it (PTRACE_SETSIGINFO); a changed
        // signal number gets a fresh SI_USER record from the tracer.
        let mut out = self.last_siginfo().unwrap_or(info);
        if new != out.signo() {
            let tracer = self.shared.ptrace.tracer();
            let pid = tracer.as_ref().map(|t| t.pid.nr_in(self.pidns())).unwrap_or(0);
            let uid = tracer.map(|t| t.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid).unwrap_or(0);
            out = SigInfo::user(new, pid, uid);
        }
        if self.sigmask() & sigbit(new) != 0 {
            // Blocked now: it waits in the queue like any other.
            send(&self.kernel, Target::Task(&self.shared), out, Origin::Kernel);
            return None;
        }
        Some(out)
    }

    fn last_siginfo(&self) -> Option<SigInfo> {
        self.shared.ptrace.lock().as_ref().and_then(|t| t.siginfo)
    }

    /// A traced task in a stopped group reports the group stop once; then
    /// it runs while the tracer lets it. Returns true if it stopped.
    pub fn ptrace_group_stop(&mut self) -> bool {
        let (sig, continues) = {
            let gs = self.tg.sig.lock().unwrap_or_else(|e| e.into_inner());
            match gs.stopped {
                Some(s) => (s, gs.continues),
                None => return false,
            }
        };
        let Some((_, seized)) = self.ptrace_mode() else {
            return false;
        };
        {
            let mut g = self.shared.ptrace.lock();
            let Some(t) = g.as_mut() else {
                return false;
            };
            if t.group_stop_seen == Some(continues) {
                return false;
            }
            t.group_stop_seen = Some(continues);
        }
        let (code, info) = if seized {
            let code = sig | (EVENT_STOP << 8);
            (code, Some(trap_info(sig, code, self)))
        } else {
            (sig, None)
        };
        if self.ptrace_stop(StopKind::Group, code, info) == Some(Resume::Listen) {
            self.ptrace_listen();
        }
        true
    }

    /// PTRACE_LISTEN: stays stopped until the group continues (or a
    /// PTRACE_INTERRUPT), then traps with PTRACE_EVENT_STOP.
    fn ptrace_listen(&mut self) {
        let tg = self.tg.clone();
        let shared = self.shared.clone();
        let _ = block_uninterruptible(&[&tg.stop_queue, &shared.ptrace.queue], || {
            let gs = tg.sig.lock().unwrap_or_else(|e| e.into_inner());
            (gs.stopped.is_none() || gs.exiting.is_some() || shared.ptrace.trap_pending() || !shared.ptrace.is_traced())
                .then_some(Ok(()))
        });
        if !self.killed() && self.traced() {
            self.shared.ptrace.set_trap(true);
        }
    }

    /// PTRACE_INTERRUPT (or a seized child's first stop): a
    /// PTRACE_EVENT_STOP trap, reporting the group's stop signal if it is
    /// stopped.
    pub fn ptrace_trap(&mut self) {
        self.shared.ptrace.set_trap(false);
        let stopped = self.tg.sig.lock().unwrap_or_else(|e| e.into_inner()).stopped;
        let sig = stopped.unwrap_or(libc::SIGTRAP);
        let code = sig | (EVENT_STOP << 8);
        let info = trap_info(sig, code, self);
        if self.ptrace_stop(StopKind::Group, code, Some(info)) == Some(Resume::Listen) {
            self.ptrace_listen();
        }
    }

    /// A PTRACE_EVENT_* stop if the tracer asked for `option`, with
    /// `msg` for PTRACE_GETEVENTMSG. Returns whether it stopped.
    pub fn ptrace_event(&mut self, event: i32, option: u32, msg: u64) -> bool {
        match self.ptrace_mode() {
            Some((opts, _)) if opts & option != 0 => {}
            _ => return false,
        }
        if let Some(t) = self.shared.ptrace.lock().as_mut() {
            t.eventmsg = msg;
        }
        let code = libc::SIGTRAP | (event << 8);
        let info = trap_info(libc::SIGTRAP, code, self);
        self.ptrace_stop(StopKind::Event(event), code, Some(info));
        true
    }

    /// After a successful execve: PTRACE_EVENT_EXEC with the former thread
    /// id, or the SIGTRAP a PTRACE_ATTACH/TRACEME tracee gets.
    pub fn ptrace_exec(&mut self, old_tid: &crate::kernel::ns::Pid) {
        let Some(tracer) = self.shared.ptrace.tracer() else {
            return;
        };
        let msg = old_tid.nr_in(tracer.pidns()) as u64;
        drop(tracer);
        if self.ptrace_event(EVENT_EXEC, O_TRACEEXEC, msg) {
            return;
        }
        if self.ptrace_mode().is_some_and(|(_, seized)| !seized) {
            let info = SigInfo::user(libc::SIGTRAP, self.tg.pid.vnr(), self.creds().ruid);
            send(&self.kernel, Target::Task(&self.shared), info, Origin::Kernel);
        }
    }

    /// SECCOMP_RET_TRACE: PTRACE_EVENT_SECCOMP with the filter's data, if
    /// the tracer set PTRACE_O_TRACESECCOMP. Returns whether it stopped.
    pub fn ptrace_seccomp_event(&mut self, data: u32) -> bool {
        self.ptrace_event(EVENT_SECCOMP, O_TRACESECCOMP, data as u64)
    }

    /// Whether the task's group is being killed (after a stop).
    pub fn ptrace_killed(&self) -> bool {
        self.killed()
    }

    /// Before the task exits: PTRACE_EVENT_EXIT with the wait status.
    pub fn ptrace_exit_event(&mut self, status: ExitStatus) {
        if self.traced() {
            self.ptrace_event(EVENT_EXIT, O_TRACEEXIT, status.wait_status() as u64);
        }
    }
}

/// The task has exited: its tracer's wait reports it (and gets SIGCHLD).
pub fn tracee_exited(kernel: &crate::kernel::Kernel, task: &Arc<TaskShared>, status: ExitStatus) {
    let Some(tracer) = task.ptrace.tracer() else {
        return;
    };
    *task.ptrace.exited.lock().unwrap_or_else(|e| e.into_inner()) = Some(status);
    // A leader whose tracer is its parent is reported once, as a child.
    let is_child = task.gtid() == task.tg.gpid() && task.tg.parent().is_some_and(|p| Arc::ptr_eq(&p, &tracer));
    if !is_child {
        let (code, st) = status.cld();
        let uid = task.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
        let info = SigInfo::child(code, task.tid.nr_in(tracer.pidns()), uid, st);
        send(kernel, Target::Group(&tracer), info, Origin::Process(&task.tg));
    }
    kernel.child_events.notify_all();
}

/// The tracer process exits: its tracees go free (or die, with
/// PTRACE_O_EXITKILL).
pub fn tracer_exited(kernel: &crate::kernel::Kernel, tracer: &ThreadGroup) {
    for t in tracer.tracees.take() {
        let exitkill = t.ptrace.lock().as_ref().is_some_and(|x| x.options & O_EXITKILL != 0);
        if exitkill {
            send(kernel, Target::Group(&t.tg), SigInfo::kernel(libc::SIGKILL), Origin::Kernel);
        }
        t.ptrace.detach(0);
        crate::kernel::signal::send::wake(&t);
    }
}

impl Task {
    /// Before a new task runs (Linux's kernel_clone and
    /// ptrace_init_task): whether the tracer follows it, and if so the
    /// event to report with its option. A followed child starts traced
    /// with a SIGSTOP pending, or a PTRACE_EVENT_STOP trap if seized.
    pub fn ptrace_link_child(&self, flags: u64, exit_signal: i32, child: &Arc<TaskShared>) -> Option<(i32, u32)> {
        if flags & libc::CLONE_UNTRACED as u64 != 0 {
            return None;
        }
        let (opts, seized) = self.ptrace_mode()?;
        let tracer = self.shared.ptrace.tracer()?;
        let (event, option) = if flags & libc::CLONE_VFORK as u64 != 0 {
            (EVENT_VFORK, O_TRACEVFORK)
        } else if exit_signal != libc::SIGCHLD {
            (EVENT_CLONE, O_TRACECLONE)
        } else {
            (EVENT_FORK, O_TRACEFORK)
        };
        let enabled = opts & option != 0;
        if !enabled && flags & libc::CLONE_PTRACE as u64 == 0 {
            return None;
        }
        if !child.ptrace.attach(&tracer, seized, opts) {
            return None;
        }
        tracer.tracees.add(child.clone());
        if seized {
            child.ptrace.set_trap(true);
        } else {
            child.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.push(SigInfo::user(libc::SIGSTOP, 0, 0));
        }
        enabled.then_some((event, option))
    }

    /// After the new task started: the fork/vfork/clone event, with its id
    /// as the tracer numbers it.
    pub fn ptrace_report_child(&mut self, event: (i32, u32), child: &crate::kernel::ns::Pid) {
        let Some(tracer) = self.shared.ptrace.tracer() else {
            return;
        };
        let msg = child.nr_in(tracer.pidns()) as u64;
        drop(tracer);
        self.ptrace_event(event.0, event.1, msg);
    }

    /// A vfork child released the parent: PTRACE_EVENT_VFORK_DONE.
    pub fn ptrace_vfork_done(&mut self, child: &crate::kernel::ns::Pid) {
        if self.traced() {
            self.ptrace_report_child((EVENT_VFORK_DONE, O_TRACEVFORKDONE), child);
        }
    }
}
