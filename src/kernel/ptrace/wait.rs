//! The tracer's wait4/waitid: tracees' ptrace-stops and exits, whether or
//! not they are its children.

use std::sync::Arc;

use crate::kernel::task::waitpid::{WaitEvent, WaitTarget, WALL, WCLONE, WEXITED, WNOWAIT};
use crate::kernel::task::{TaskShared, ThreadGroup};

/// What the tracees of `me` have for a wait on `target`: whether any
/// matches (so the wait is not ECHILD), and a report to return.
pub fn check_tracees(me: &Arc<ThreadGroup>, target: WaitTarget, options: i32) -> (bool, Option<WaitEvent>) {
    let mut any = false;
    for t in me.tracees.list() {
        if !matches(&t, me, target, options) {
            continue;
        }
        let pid = t.tid.nr_in(me.pidns());
        let uid = t.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
        let exited = *t.ptrace.exited.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(st) = exited {
            // A leader that is the tracer's own child is reported (and
            // reaped) as a child.
            let child = t.gtid() == t.tg.gpid() && t.tg.parent().is_some_and(|p| Arc::ptr_eq(&p, me));
            if child {
                me.tracees.remove(&t);
                continue;
            }
            any = true;
            if options & WEXITED == 0 {
                continue;
            }
            if options & WNOWAIT == 0 {
                me.tracees.remove(&t);
            }
            let (code, status) = st.cld();
            let ev = WaitEvent { pid, uid, code, status, wstatus: st.wait_status(), usage: Default::default() };
            return (true, Some(ev));
        }
        any = true;
        let mut g = t.ptrace.lock();
        let Some(x) = g.as_mut() else {
            continue;
        };
        if let (Some(code), Some(_)) = (x.report, x.stop) {
            if options & WNOWAIT == 0 {
                x.report = None;
            }
            let ev = WaitEvent {
                pid,
                uid,
                code: super::stops::CLD_TRAPPED,
                status: code,
                wstatus: (code << 8) | 0x7f,
                usage: Default::default(),
            };
            return (true, Some(ev));
        }
    }
    (any, None)
}

/// Whether tracee `t` is one this wait is about (Linux's eligible_pid and
/// the __WCLONE/__WALL rule: a thread other than the leader is a "clone").
fn matches(t: &TaskShared, me: &ThreadGroup, target: WaitTarget, options: i32) -> bool {
    let ok_id = match target {
        WaitTarget::Any => true,
        WaitTarget::Pid(p) => t.tid.nr_in(me.pidns()) == p,
        WaitTarget::Pgid(0) => t.tg.pgid() == me.pgid(),
        WaitTarget::Pgid(g) => t.tg.pgrp().nr_in(me.pidns()) == g,
    };
    let clone = t.gtid() != t.tg.gpid() || t.tg.exit_signal != libc::SIGCHLD;
    ok_id && (options & WALL != 0 || (options & WCLONE != 0) == clone)
}
