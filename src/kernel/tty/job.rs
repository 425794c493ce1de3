//! Job control: controlling terminals, foreground process groups, and the
//! SIGTTIN/SIGTTOU rules for background readers and writers.

use std::sync::{Arc, Mutex};

use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::ns::{Pid, PidNamespace};
use crate::kernel::signal::send::{send, Origin, Target};
use crate::kernel::signal::{sigbit, SigInfo};
use crate::kernel::task::{TaskShared, ThreadGroup};
use crate::kernel::vfs::file::FileOps;
use crate::kernel::wait::current;
use crate::kernel::Kernel;

/// Which session a terminal controls and its foreground process group,
/// by their leaders' ids (each caller sees them in its PID namespace).
#[derive(Clone, Debug, Default)]
pub struct JobState {
    pub session: Option<Arc<Pid>>,
    pub fg_pgrp: Option<Arc<Pid>>,
}

impl JobState {
    /// The sandbox-global id of the session, if the terminal has one.
    pub fn sid(&self) -> Option<i32> {
        self.session.as_ref().map(|p| p.global())
    }

    /// The sandbox-global id of the foreground process group.
    pub fn fg(&self) -> Option<i32> {
        self.fg_pgrp.as_ref().map(|p| p.global())
    }
}

/// A terminal that can be a controlling terminal.
pub trait Terminal: Send + Sync {
    /// Its job-control state.
    fn job(&self) -> &Mutex<JobState>;
    /// Opens it again (`/dev/tty`).
    fn reopen(self: Arc<Self>, flags: u32) -> Result<Box<dyn FileOps>, Errno>;
    /// The kernel it belongs to.
    fn kernel(&self) -> Option<Arc<Kernel>>;
    /// Its name under /dev (`pts/0`, `console`).
    fn name(&self) -> String;
    /// Its device number (as `st_rdev`).
    fn rdev(&self) -> u64;
}

/// The controlling terminal of a process.
pub fn ctty_of(tg: &ThreadGroup) -> Option<Arc<dyn Terminal>> {
    tg.ctty.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The foreground process group of `tg`'s controlling terminal (`tpgid`
/// of /proc/PID/stat) as namespace `ns` numbers it: -1 without a
/// terminal, 0 if it has no foreground group (or it does not show in `ns`).
pub fn tpgid(tg: &ThreadGroup, ns: &PidNamespace) -> i32 {
    match ctty_of(tg) {
        Some(t) => t.job().lock().unwrap_or_else(|e| e.into_inner()).fg_pgrp.as_ref().map_or(0, |p| p.nr_in(ns)),
        None => -1,
    }
}

/// The device number of `tg`'s controlling terminal (`tty_nr` of
/// /proc/PID/stat, which `ps` turns into its TTY column); 0 without one.
pub fn tty_nr(tg: &ThreadGroup) -> u64 {
    ctty_of(tg).map_or(0, |t| t.rdev())
}

/// Whether `term` is the controlling terminal of `tg`.
fn is_ctty(term: &dyn Terminal, tg: &ThreadGroup) -> bool {
    ctty_of(tg).is_some_and(|c| std::ptr::addr_eq(Arc::as_ptr(&c), term as *const dyn Terminal))
}

/// Sends `sig` to every process of process group `pgid` (sandbox-global).
pub fn signal_pgrp(kernel: &Kernel, pgid: i32, sig: i32) {
    let members = kernel.procs().group_members(pgid);
    for g in &members {
        send(kernel, Target::Group(g), SigInfo::kernel(sig), Origin::Kernel);
    }
}

/// Whether `sig` is ignored or blocked by the task (then job-control
/// signals are not sent and the operation behaves differently).
fn ignored_or_blocked(task: &TaskShared, sig: i32) -> bool {
    let ignored = task.tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).get(sig).handler
        == crate::kernel::signal::SIG_IGN;
    ignored || task.mask() & sigbit(sig) != 0
}

/// The background check for a read of `term` by the calling task: EIO or
/// SIGTTIN (and a restart) for a background process group.
pub fn check_read(term: &dyn Terminal) -> Result<(), Errno> {
    background_check(term, libc::SIGTTIN, true)
}

/// The background check for a write (with TOSTOP) or a termios change.
pub fn check_write(term: &dyn Terminal) -> Result<(), Errno> {
    background_check(term, libc::SIGTTOU, false)
}

fn background_check(term: &dyn Terminal, sig: i32, is_read: bool) -> Result<(), Errno> {
    let Some(task) = current() else { return Ok(()) };
    let tg = &task.tg;
    if !is_ctty(term, tg) {
        return Ok(());
    }
    let fg = term.job().lock().unwrap_or_else(|e| e.into_inner()).fg();
    if fg.is_none_or(|fg| fg == tg.pgid()) {
        return Ok(());
    }
    if ignored_or_blocked(&task, sig) {
        // A background read with SIGTTIN ignored fails; a write goes ahead.
        return if is_read { Err(Errno::EIO) } else { Ok(()) };
    }
    let Some(kernel) = term.kernel() else { return Ok(()) };
    if kernel.procs().pgrp_orphaned(tg.pgid()) {
        return Err(Errno::EIO);
    }
    signal_pgrp(&kernel, tg.pgid(), sig);
    Err(Errno::ERESTARTSYS)
}

/// Makes `term` the controlling terminal of the calling process's session
/// if it is a session leader without one and the terminal is free (what
/// opening a terminal without O_NOCTTY does).
pub fn maybe_acquire(term: Arc<dyn Terminal>) {
    let Some(task) = current() else { return };
    let tg = task.tg.clone();
    if tg.sid() != tg.gpid() || ctty_of(&tg).is_some() {
        return;
    }
    let mut job = term.job().lock().unwrap_or_else(|e| e.into_inner());
    if job.session.is_some() {
        return;
    }
    *job = JobState { session: Some(tg.session()), fg_pgrp: Some(tg.pgrp()) };
    drop(job);
    *tg.ctty.lock().unwrap_or_else(|e| e.into_inner()) = Some(term);
}

/// The job-control ioctls, shared by every terminal kind. `None` when
/// `req` is not one of them.
pub fn ioctl(term: Arc<dyn Terminal>, req: u64, arg: u64, mem: &dyn UserMemory) -> Option<SysResult> {
    let r = match req {
        libc::TIOCSCTTY => set_ctty(term, arg),
        libc::TIOCNOTTY => notty(term),
        libc::TIOCGSID => get_sid(term.as_ref()).and_then(|s| mem.write_u32(arg, s as u32).map(|_| 0)),
        libc::TIOCGPGRP => get_pgrp(term.as_ref()).and_then(|p| mem.write_u32(arg, p as u32).map(|_| 0)),
        libc::TIOCSPGRP => mem.read_u32(arg).and_then(|p| set_pgrp(term, p as i32)),
        _ => return None,
    };
    Some(r)
}

fn set_ctty(term: Arc<dyn Terminal>, force: u64) -> SysResult {
    let task = current().ok_or(Errno::EPERM)?;
    let tg = task.tg.clone();
    if is_ctty(term.as_ref(), &tg) {
        return Ok(0);
    }
    if tg.sid() != tg.gpid() || ctty_of(&tg).is_some() {
        return Err(Errno::EPERM);
    }
    let root = tg.creds.lock().unwrap_or_else(|e| e.into_inner()).euid == 0;
    let kernel = term.kernel();
    let mut job = term.job().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(other) = job.sid() {
        if !(force == 1 && root) {
            return Err(Errno::EPERM);
        }
        // Steal it: the other session loses its controlling terminal.
        if let Some(k) = &kernel {
            let groups: Vec<Arc<ThreadGroup>> =
                k.procs().groups.values().filter(|g| g.sid() == other).cloned().collect();
            for g in groups {
                *g.ctty.lock().unwrap_or_else(|e| e.into_inner()) = None;
            }
        }
    }
    *job = JobState { session: Some(tg.session()), fg_pgrp: Some(tg.pgrp()) };
    drop(job);
    *tg.ctty.lock().unwrap_or_else(|e| e.into_inner()) = Some(term);
    Ok(0)
}

fn notty(term: Arc<dyn Terminal>) -> SysResult {
    let task = current().ok_or(Errno::ENOTTY)?;
    let tg = task.tg.clone();
    if !is_ctty(term.as_ref(), &tg) {
        return Err(Errno::ENOTTY);
    }
    if tg.sid() == tg.gpid() {
        // The session leader gives it up for the whole session.
        if let Some(k) = term.kernel() {
            disassociate(&k, term.as_ref(), tg.sid());
        }
    } else {
        *tg.ctty.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
    Ok(0)
}

/// TIOCGSID: the session's id in the caller's PID namespace.
fn get_sid(term: &dyn Terminal) -> Result<i32, Errno> {
    let task = current().ok_or(Errno::ENOTTY)?;
    if !is_ctty(term, &task.tg) {
        return Err(Errno::ENOTTY);
    }
    let s = term.job().lock().unwrap_or_else(|e| e.into_inner()).session.clone();
    s.map(|s| s.nr_in(task.tg.pidns())).ok_or(Errno::ENOTTY)
}

fn get_pgrp(term: &dyn Terminal) -> Result<i32, Errno> {
    let task = current().ok_or(Errno::ENOTTY)?;
    if !is_ctty(term, &task.tg) {
        return Err(Errno::ENOTTY);
    }
    Ok(fg_pgrp_seen(term, task.tg.pidns()))
}

/// TIOCGPGRP: the foreground process group as namespace `ns` numbers it.
pub fn fg_pgrp_seen(term: &dyn Terminal, ns: &PidNamespace) -> i32 {
    // Linux reports a pgid that cannot exist when there is none.
    let fg = term.job().lock().unwrap_or_else(|e| e.into_inner()).fg_pgrp.clone();
    fg.map_or(0x7fff_ffff, |p| p.nr_in(ns))
}

/// TIOCSPGRP: `pgid` is a number of the caller's PID namespace.
fn set_pgrp(term: Arc<dyn Terminal>, pgid: i32) -> SysResult {
    let task = current().ok_or(Errno::ENOTTY)?;
    let tg = task.tg.clone();
    if !is_ctty(term.as_ref(), &tg) || term.job().lock().unwrap_or_else(|e| e.into_inner()).sid() != Some(tg.sid()) {
        return Err(Errno::ENOTTY);
    }
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    check_write(term.as_ref())?;
    let kernel = term.kernel().ok_or(Errno::ENOTTY)?;
    let pgrp = {
        let procs = kernel.procs();
        let pgrp = tg.pidns().find(pgid).ok_or(Errno::ESRCH)?;
        let members = procs.group_members(pgrp.global());
        if members.is_empty() {
            return Err(Errno::ESRCH);
        }
        if members.iter().any(|g| g.sid() != tg.sid()) {
            return Err(Errno::EPERM);
        }
        pgrp
    };
    term.job().lock().unwrap_or_else(|e| e.into_inner()).fg_pgrp = Some(pgrp);
    Ok(0)
}

/// Ends the association of `term` with session `sid`: its processes lose
/// the controlling terminal.
fn disassociate(kernel: &Kernel, term: &dyn Terminal, sid: i32) {
    let fg = {
        let mut job = term.job().lock().unwrap_or_else(|e| e.into_inner());
        let fg = job.fg();
        *job = JobState::default();
        fg
    };
    if let Some(fg) = fg {
        signal_pgrp(kernel, fg, libc::SIGHUP);
        signal_pgrp(kernel, fg, libc::SIGCONT);
    }
    let groups: Vec<Arc<ThreadGroup>> = kernel.procs().groups.values().filter(|g| g.sid() == sid).cloned().collect();
    for g in groups {
        *g.ctty.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// A session leader exited: its controlling terminal's foreground group
/// gets SIGHUP and SIGCONT, and the session loses the terminal.
pub fn session_leader_exited(kernel: &Kernel, tg: &ThreadGroup) {
    if tg.sid() != tg.gpid() {
        return;
    }
    if let Some(term) = ctty_of(tg) {
        if term.job().lock().unwrap_or_else(|e| e.into_inner()).sid() == Some(tg.sid()) {
            disassociate(kernel, term.as_ref(), tg.sid());
        }
    }
}

/// The terminal hung up (its master side closed): the session leader gets
/// SIGHUP and SIGCONT and the session loses the terminal.
pub fn hangup(term: &dyn Terminal) {
    let Some(kernel) = term.kernel() else { return };
    let sid = term.job().lock().unwrap_or_else(|e| e.into_inner()).sid();
    if let Some(sid) = sid {
        let leader = kernel.procs().group(sid);
        disassociate(&kernel, term, sid);
        if let Some(l) = leader {
            send(&kernel, Target::Group(&l), SigInfo::kernel(libc::SIGHUP), Origin::Kernel);
            send(&kernel, Target::Group(&l), SigInfo::kernel(libc::SIGCONT), Origin::Kernel);
        }
    }
}
