//! Signals: dispositions, masks, sending, waiting, sigreturn.

use std::sync::Arc;
use std::time::Instant;

use super::sys_futex::read_timespec;
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::signal::send::{send_or_refuse, Origin, Target};
use crate::kernel::signal::{sigbit, SigAction, SigInfo, SI_TKILL, UNBLOCKABLE};
use crate::kernel::task::{Task, ThreadGroup};
use crate::kernel::wait::block_until;

pub(super) fn valid_sig(sig: i32) -> Result<(), Errno> {
    if (0..=64).contains(&sig) {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

/// Implements rt_sigaction(2).
pub fn rt_sigaction(t: &mut Task, a: &Args) -> SysResult {
    let (sig, act, old, size) = (a[0] as i32, a[1], a[2], a[3]);
    if size != 8 || !(1..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let new = if act != 0 {
        let mut b = [0u8; 32];
        t.mem().read_bytes(act, &mut b)?;
        let w = |i: usize| u64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            return Err(Errno::EINVAL);
        }
        Some(SigAction { handler: w(0), flags: w(1), restorer: w(2), mask: w(3) & !UNBLOCKABLE })
    } else {
        None
    };
    let mut actions = t.tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner());
    let prev = actions.get(sig);
    if let Some(n) = new {
        actions.set(sig, n);
        let now_ignored = actions.ignores(sig);
        drop(actions);
        // Setting a signal to be ignored discards it if pending (POSIX).
        if now_ignored {
            t.tg.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.discard(sigbit(sig));
            for task in t.tg.task_list() {
                task.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.discard(sigbit(sig));
            }
        }
    } else {
        drop(actions);
    }
    // The old action is copied out last, without the lock (a copy may grow
    // a stack and call the OOM killer, which signals): as in Linux, a bad
    // `oldact` is EFAULT with the new action set.
    if old != 0 {
        let mut b = [0u8; 32];
        for (i, w) in [prev.handler, prev.flags, prev.restorer, prev.mask].iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&w.to_ne_bytes());
        }
        t.mem().write_bytes(old, &b)?;
    }
    Ok(0)
}

/// Implements rt_sigprocmask(2).
pub fn rt_sigprocmask(t: &mut Task, a: &Args) -> SysResult {
    let (how, set, old, size) = (a[0] as i32, a[1], a[2], a[3]);
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let cur = t.sigmask();
    let new = if set != 0 {
        let s = t.mem().read_u64(set)?;
        Some(match how {
            libc::SIG_BLOCK => cur | s,
            libc::SIG_UNBLOCK => cur & !s,
            libc::SIG_SETMASK => s,
            _ => return Err(Errno::EINVAL),
        })
    } else {
        None
    };
    if old != 0 {
        t.mem().write_u64(old, cur)?;
    }
    if let Some(n) = new {
        t.set_sigmask(n);
    }
    Ok(0)
}

const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: i32 = 1 << 31;
const MINSIGSTKSZ: u64 = 2048;

/// Implements sigaltstack(2).
pub fn sigaltstack(t: &mut Task, a: &Args) -> SysResult {
    let (ss, old) = (a[0], a[1]);
    let new = if ss != 0 {
        let mut b = [0u8; 24];
        t.mem().read_bytes(ss, &mut b)?;
        let sp = u64::from_ne_bytes(b[0..8].try_into().unwrap_or_default());
        let flags = i32::from_ne_bytes(b[8..12].try_into().unwrap_or_default());
        let size = u64::from_ne_bytes(b[16..24].try_into().unwrap_or_default());
        if t.altstack_flags() == SS_ONSTACK {
            return Err(Errno::EPERM);
        }
        let mode = flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
            return Err(Errno::EINVAL);
        }
        if mode == SS_DISABLE {
            Some((0, 0, 0))
        } else {
            if size < MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            Some((sp, flags & SS_AUTODISARM, size))
        }
    } else {
        None
    };
    if old != 0 {
        let (sp, _, size) = t.sigaltstack;
        let flags = t.altstack_flags() | (t.sigaltstack.1 & SS_AUTODISARM);
        let mut b = [0u8; 24];
        b[0..8].copy_from_slice(&sp.to_ne_bytes());
        b[8..12].copy_from_slice(&flags.to_ne_bytes());
        b[16..24].copy_from_slice(&size.to_ne_bytes());
        t.mem().write_bytes(old, &b)?;
    }
    if let Some(n) = new {
        t.sigaltstack = n;
    }
    Ok(0)
}

/// Whether the caller may signal `target` (kill(2)'s permission rule).
fn may_signal(t: &Task, target: &ThreadGroup, sig: i32) -> bool {
    let me = t.creds();
    // CAP_KILL over the target's user namespace.
    let theirs = target.creds.lock().unwrap_or_else(|e| e.into_inner()).user_ns.clone();
    if me.root_over(&theirs) {
        return true;
    }
    if sig == libc::SIGCONT && target.sid() == t.tg.sid() {
        return true;
    }
    let them = target.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
    me.ruid == them.ruid || me.ruid == them.suid || me.euid == them.ruid || me.euid == them.suid
}

/// The record a kill-like call sends to `target`: the sender's pid as the
/// target's PID namespace numbers it (0 if it does not show there).
pub(super) type MakeInfo<'a> = &'a dyn Fn(&ThreadGroup) -> SigInfo;

/// Sends to a list of processes; ESRCH if the list is empty, EPERM if none
/// could be signalled.
pub(super) fn send_to_groups(t: &Task, groups: &[Arc<ThreadGroup>], sig: i32, info: MakeInfo) -> SysResult {
    if groups.is_empty() {
        return Err(Errno::ESRCH);
    }
    let mut sent = false;
    for g in groups {
        if !may_signal(t, g, sig) {
            continue;
        }
        sent = true;
        if sig != 0 && !crate::kernel::task::procs::is_zombie(g) {
            // Only sigqueue's records can be refused (one target, then).
            send_or_refuse(&t.kernel, Target::Group(g), info(g), Origin::Process(&t.tg))?;
        }
    }
    if sent {
        Ok(0)
    } else {
        Err(Errno::EPERM)
    }
}

/// Implements kill(2). Pids and process groups are numbers in the caller's
/// PID namespace; processes outside it cannot be named (ESRCH), and -1
/// reaches only those it shows, except its own init.
pub fn kill(t: &mut Task, a: &Args) -> SysResult {
    let (pid, sig) = (a[0] as i32, a[1] as i32);
    valid_sig(sig)?;
    let uid = t.creds().ruid;
    let me = t.tg.clone();
    let ns = t.pidns().clone();
    let groups: Vec<Arc<ThreadGroup>> = {
        let procs = t.kernel.procs();
        // Every member of the group, as Linux's kill_pgrp: one led from an
        // ancestor namespace may have members there too.
        let in_pgrp = |pgid: i32| procs.in_pgrp(pgid);
        match pid {
            i32::MIN => return Err(Errno::ESRCH),
            -1 => procs
                .groups_in(&ns)
                .filter(|g| g.pid.nr_in(&ns) != 1 && !Arc::ptr_eq(g, &me) && !crate::kernel::task::procs::is_zombie(g))
                .cloned()
                .collect(),
            0 => in_pgrp(me.pgid()),
            p if p < 0 => match ns.find(-p) {
                Some(pgrp) => in_pgrp(pgrp.global()),
                None => Vec::new(),
            },
            p => procs.group_in(&ns, p).into_iter().collect(),
        }
    };
    send_to_groups(t, &groups, sig, &|g| SigInfo::user(sig, me.pid.nr_in(g.pidns()), uid))
}

/// Sends a thread-directed signal to task `tid` of process `tgid` (any
/// process if `tgid` is None), both numbers of the caller's namespace.
fn send_to_thread(t: &mut Task, tgid: Option<i32>, tid: i32, info: MakeInfo) -> SysResult {
    let ns = t.pidns().clone();
    let task = t.kernel.procs().task_in(&ns, tid).ok_or(Errno::ESRCH)?;
    if tgid.is_some_and(|g| task.tg.pid.nr_in(&ns) != g) {
        return Err(Errno::ESRCH);
    }
    let info = info(&task.tg);
    send_to_thread_of(t, &task.tg.clone(), &task, info.signo(), info)
}

/// Sends `info` to thread `task` of process `g`, if the caller may.
pub(super) fn send_to_thread_of(
    t: &Task,
    g: &ThreadGroup,
    task: &Arc<crate::kernel::task::TaskShared>,
    sig: i32,
    info: SigInfo,
) -> SysResult {
    if !may_signal(t, g, sig) {
        return Err(Errno::EPERM);
    }
    if sig != 0 {
        send_or_refuse(&t.kernel, Target::Task(task), info, Origin::Process(&t.tg))?;
    }
    Ok(0)
}

/// Implements tgkill(2).
pub fn tgkill(t: &mut Task, a: &Args) -> SysResult {
    let (tgid, tid, sig) = (a[0] as i32, a[1] as i32, a[2] as i32);
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    valid_sig(sig)?;
    let (me, uid) = (t.tg.clone(), t.creds().ruid);
    send_to_thread(t, Some(tgid), tid, &|g| SigInfo::tkill(sig, me.pid.nr_in(g.pidns()), uid))
}

/// Implements tkill(2).
pub fn tkill(t: &mut Task, a: &Args) -> SysResult {
    let (tid, sig) = (a[0] as i32, a[1] as i32);
    if tid <= 0 {
        return Err(Errno::EINVAL);
    }
    valid_sig(sig)?;
    let (me, uid) = (t.tg.clone(), t.creds().ruid);
    send_to_thread(t, None, tid, &|g| SigInfo::tkill(sig, me.pid.nr_in(g.pidns()), uid))
}

/// Reads a caller-supplied siginfo for rt_(tg)sigqueueinfo, which may not
/// pretend to come from the kernel or from kill/tgkill unless sent to itself.
pub(super) fn queued_info(t: &Task, addr: u64, sig: i32, to_self: bool) -> Result<SigInfo, Errno> {
    let mut b = [0u8; 128];
    t.mem().read_bytes(addr, &mut b)?;
    let info = SigInfo::from_bytes(sig, b);
    if (info.code() >= 0 || info.code() == SI_TKILL) && !to_self {
        return Err(Errno::EPERM);
    }
    Ok(info)
}

/// Implements rt_sigqueueinfo(2). The record's si_pid is the caller's to
/// choose, but hidden (0) from a receiver in a namespace that does not show
/// the caller, as Linux does.
pub fn rt_sigqueueinfo(t: &mut Task, a: &Args) -> SysResult {
    let (pid, sig) = (a[0] as i32, a[1] as i32);
    valid_sig(sig)?;
    let info = queued_info(t, a[2], sig, pid == t.tg.pid.vnr())?;
    let g = t.kernel.procs().group_in(t.pidns(), pid).ok_or(Errno::ESRCH)?;
    send_to_groups(t, &[g], sig, &|_| info)
}

/// Implements rt_tgsigqueueinfo(2).
pub fn rt_tgsigqueueinfo(t: &mut Task, a: &Args) -> SysResult {
    let (tgid, tid, sig) = (a[0] as i32, a[1] as i32, a[2] as i32);
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    valid_sig(sig)?;
    let info = queued_info(t, a[3], sig, tgid == t.tg.pid.vnr())?;
    send_to_thread(t, Some(tgid), tid, &|_| info)
}

/// Implements rt_sigpending(2): pending signals that are blocked.
pub fn rt_sigpending(t: &mut Task, a: &Args) -> SysResult {
    if a[1] > 8 {
        return Err(Errno::EINVAL);
    }
    let group = t.tg.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.mask();
    let ts = t.shared.sig.lock().unwrap_or_else(|e| e.into_inner());
    let set = (ts.pending.mask() | group) & ts.mask;
    drop(ts);
    let bytes = set.to_ne_bytes();
    t.mem().write_bytes(a[0], &bytes[..a[1] as usize])?;
    Ok(0)
}

/// Sleeps until a signal is delivered: pause(2) and rt_sigsuspend(2).
fn suspend(_t: &mut Task) -> SysResult {
    match block_until::<()>(&[], None, || None) {
        Err(Errno::ERESTARTSYS) => Err(Errno::ERESTARTNOHAND),
        Err(e) => Err(e),
        Ok(()) => Err(Errno::ERESTARTNOHAND),
    }
}

/// Implements pause(2).
pub fn pause(t: &mut Task, _: &Args) -> SysResult {
    suspend(t)
}

/// Implements rt_sigsuspend(2).
pub fn rt_sigsuspend(t: &mut Task, a: &Args) -> SysResult {
    if a[1] != 8 {
        return Err(Errno::EINVAL);
    }
    let mask = t.mem().read_u64(a[0])?;
    t.saved_mask = Some(t.sigmask());
    t.set_sigmask(mask);
    suspend(t)
}

/// Implements rt_sigtimedwait(2).
pub fn rt_sigtimedwait(t: &mut Task, a: &Args) -> SysResult {
    let (set_addr, info_addr, ts_addr, size) = (a[0], a[1], a[2], a[3]);
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let set = t.mem().read_u64(set_addr)? & !UNBLOCKABLE;
    let deadline = if ts_addr != 0 { Some(Instant::now() + read_timespec(t, ts_addr)?) } else { None };
    let shared = t.shared.clone();
    let tg = t.tg.clone();
    let r = block_until(&[], deadline, || {
        let mut gs = tg.sig.lock().unwrap_or_else(|e| e.into_inner());
        let mut ts = shared.sig.lock().unwrap_or_else(|e| e.into_inner());
        ts.pending.pop(set).or_else(|| gs.pending.pop(set)).map(Ok)
    });
    let info = match r {
        Ok(i) => i,
        Err(Errno::ETIMEDOUT) => return Err(Errno::EAGAIN),
        Err(Errno::ERESTARTSYS) => return Err(Errno::EINTR),
        Err(e) => return Err(e),
    };
    if info_addr != 0 {
        t.mem().write_bytes(info_addr, &info.0)?;
    }
    Ok(info.signo() as u64)
}

/// Implements rt_sigreturn(2).
pub fn rt_sigreturn(t: &mut Task, _: &Args) -> SysResult {
    if let Err(e) = t.sigreturn() {
        tracing::debug!(tid = t.tid, "rt_sigreturn: bad frame: {e}");
        // A corrupt frame: Linux kills with SIGSEGV.
        t.force_fault(SigInfo::kernel(libc::SIGSEGV));
        t.regs_replaced = true;
    }
    Ok(0)
}
