//! Waiting for children: wait4(2) and waitid(2).

use std::sync::Arc;

use super::exit::reap;
use super::{Task, ThreadGroup};
use crate::kernel::errno::Errno;
use crate::kernel::signal::{CLD_CONTINUED, CLD_DUMPED, CLD_STOPPED};
use crate::kernel::wait::block_until;

/// Which children a wait is about.
#[derive(Clone, Copy, Debug)]
pub enum WaitTarget {
    Any,
    Pid(i32),
    Pgid(i32),
}

/// What a wait reports.
#[derive(Clone, Copy, Debug)]
pub struct WaitEvent {
    pub pid: i32,
    pub uid: u32,
    /// `si_code`: CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED or CLD_CONTINUED.
    pub code: i32,
    /// The exit code or signal (si_status).
    pub status: i32,
    /// The wait(2) status word.
    pub wstatus: i32,
    /// What the child used (for an exited child).
    pub usage: super::usage::Usage,
}

/// Options of a wait.
pub const WNOHANG: i32 = 1;
pub const WUNTRACED: i32 = 2;
pub const WEXITED: i32 = 4;
pub const WCONTINUED: i32 = 8;
pub const WNOWAIT: i32 = 0x0100_0000;
pub const WNOTHREAD: i32 = 0x2000_0000;
pub const WALL: i32 = 0x4000_0000;
pub const WCLONE: i32 = i32::MIN;

impl Task {
    /// Waits for a child matching `target` to change state as `options`
    /// asks. `Ok(None)`: WNOHANG and nothing to report.
    pub fn wait_child(&mut self, target: WaitTarget, options: i32) -> Result<Option<WaitEvent>, Errno> {
        let kernel = self.kernel.clone();
        let me = self.tg.clone();
        block_until(&[&kernel.child_events], None, || {
            // Tracees first (kernel/ptrace/wait.rs): their stops and exits.
            let mut tracee_match = false;
            if !me.tracees.is_empty() {
                let (any, ev) = crate::kernel::ptrace::wait::check_tracees(&me, target, options);
                if ev.is_some() {
                    return Some(Ok(ev));
                }
                tracee_match = any;
            }
            let children: Vec<Arc<ThreadGroup>> = me.rel.lock().unwrap_or_else(|e| e.into_inner()).children.clone();
            let matching: Vec<&Arc<ThreadGroup>> =
                children.iter().filter(|c| matches(c, &me, target, options)).collect();
            if matching.is_empty() && !tracee_match {
                return Some(Err(Errno::ECHILD));
            }
            for c in matching {
                if let Some(ev) = check_child(c, &me, options) {
                    if ev.code <= CLD_DUMPED && options & WNOWAIT == 0 {
                        reap(&kernel, &me, c);
                    }
                    return Some(Ok(Some(ev)));
                }
            }
            if options & WNOHANG != 0 {
                return Some(Ok(None));
            }
            None
        })
    }
}

/// Whether child `c` is one this wait is about.
fn matches(c: &ThreadGroup, me: &ThreadGroup, target: WaitTarget, options: i32) -> bool {
    let ok_id = match target {
        WaitTarget::Any => true,
        // Numbers as the waiter's PID namespace sees them.
        WaitTarget::Pid(p) => c.pid.nr_in(me.pidns()) == p,
        WaitTarget::Pgid(0) => c.pgid() == me.pgid(),
        WaitTarget::Pgid(g) => c.pgrp().nr_in(me.pidns()) == g,
    };
    // "clone" children are those whose exit signal is not SIGCHLD.
    let clone_child = c.exit_signal != libc::SIGCHLD;
    let ok_kind = options & WALL != 0 || (options & WCLONE != 0) == clone_child;
    ok_id && ok_kind
}

/// A reportable state change of `c` for waiter `me`, consuming
/// stop/continue reports unless WNOWAIT.
fn check_child(c: &ThreadGroup, me: &ThreadGroup, options: i32) -> Option<WaitEvent> {
    let pid = c.pid.nr_in(me.pidns());
    let mut life = c.life.lock().unwrap_or_else(|e| e.into_inner());
    let uid = c.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
    if life.reaped {
        return None;
    }
    if let Some(st) = life.zombie {
        if options & WEXITED == 0 {
            return None;
        }
        // Claimed here, under the lock: two threads of a process waiting
        // at once must not both reap the same child.
        if options & WNOWAIT == 0 {
            life.reaped = true;
        }
        let (code, status) = st.cld();
        return Some(WaitEvent { pid, uid, code, status, wstatus: st.wait_status(), usage: life.usage });
    }
    if options & WUNTRACED != 0 {
        if let Some(sig) = life.stop_report {
            if options & WNOWAIT == 0 {
                life.stop_report = None;
            }
            return Some(WaitEvent {
                pid,
                uid,
                code: CLD_STOPPED,
                status: sig,
                wstatus: (sig << 8) | 0x7f,
                usage: Default::default(),
            });
        }
    }
    if options & WCONTINUED != 0 && life.cont_report {
        if options & WNOWAIT == 0 {
            life.cont_report = false;
        }
        return Some(WaitEvent {
            pid,
            uid,
            code: CLD_CONTINUED,
            status: libc::SIGCONT,
            wstatus: 0xffff,
            usage: Default::default(),
        });
    }
    None
}
