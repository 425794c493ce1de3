//! pidfd_open(2), pidfd_getfd(2) and pidfd_send_signal(2); waitid's P_PIDFD resolves its
//! descriptor here too (`kernel/event/pidfd.rs` is the file).

use std::sync::Arc;

use super::sys_signal::{queued_info, send_to_groups, send_to_thread_of, valid_sig};
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::event::downcast;
use crate::kernel::event::pidfd::PidFd;
use crate::kernel::signal::SigInfo;
use crate::kernel::task::{Task, ThreadGroup};
use crate::kernel::vfs::dir::DirHandle;

/// PIDFD_NONBLOCK is O_NONBLOCK.
const PIDFD_NONBLOCK: u64 = libc::O_NONBLOCK as u64;

/// Implements pidfd_open(2): a descriptor for process `pid` (a number of
/// the caller's namespace; a thread that does not lead its process is
/// EINVAL, as before Linux 6.9's PIDFD_THREAD).
pub fn pidfd_open(t: &mut Task, a: &Args) -> SysResult {
    let (pid, flags) = (a[0] as i32, a[1]);
    if flags & !PIDFD_NONBLOCK != 0 || pid <= 0 {
        return Err(Errno::EINVAL);
    }
    let ns = t.pidns().clone();
    let procs = t.kernel.procs();
    let g = match procs.group_in(&ns, pid) {
        Some(g) => g,
        None if procs.task_in(&ns, pid).is_some() => return Err(Errno::EINVAL),
        None => return Err(Errno::ESRCH),
    };
    drop(procs);
    crate::kernel::event::pidfd::install(t, g, (flags & PIDFD_NONBLOCK) as u32).map(|fd| fd as u64)
}

/// The process of pidfd `fd` and whether the pidfd is non-blocking
/// (EBADF if `fd` is not a pidfd).
pub fn pidfd_target(t: &Task, fd: i32) -> Result<(Arc<ThreadGroup>, bool), Errno> {
    let f = t.file(fd)?;
    let p = downcast::<PidFd>(&f).ok_or(Errno::EBADF)?;
    Ok((p.0.clone(), f.flags() & libc::O_NONBLOCK as u32 != 0))
}

/// Implements pidfd_getfd(2): a close-on-exec duplicate of descriptor
/// `targetfd` of the pidfd's process, for a caller that may ptrace-attach
/// to it by its real ids (EPERM otherwise); ESRCH once it has exited (a
/// zombie too, as Linux), EBADF for a descriptor it does not have.
pub fn pidfd_getfd(t: &mut Task, a: &Args) -> SysResult {
    let (pidfd, target_fd, flags) = (a[0] as i32, a[1] as i32, a[2] as u32);
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let (g, _) = pidfd_target(t, pidfd)?;
    let life = g.life.lock().unwrap_or_else(|e| e.into_inner());
    let gone = life.reaped || life.zombie.is_some();
    drop(life);
    let target = g.main_thread().filter(|_| !gone).ok_or(Errno::ESRCH)?;
    if !crate::kernel::ptrace::access::may_access(t, &target) {
        return Err(Errno::EPERM);
    }
    let f = g.fds.get(target_fd).map_err(|_| Errno::EBADF)?;
    let limit = t.rlimit(libc::RLIMIT_NOFILE) as usize;
    t.tg.fds.install(f, true, 0, limit).map(|fd| fd as u64)
}

/// pidfd_send_signal's scopes (Linux 6.9): the process's main thread, the
/// process (the default), its process group.
const PIDFD_SIGNAL_THREAD: u64 = 1;
const PIDFD_SIGNAL_THREAD_GROUP: u64 = 2;
const PIDFD_SIGNAL_PROCESS_GROUP: u64 = 4;

/// Implements pidfd_send_signal(2): kill(2) or rt_sigqueueinfo(2) aimed at
/// the pidfd's process (or its main thread, or its process group); ESRCH
/// once it is reaped (a zombie takes the signal and ignores it, as kill).
pub fn pidfd_send_signal(t: &mut Task, a: &Args) -> SysResult {
    let (fd, sig, info_addr, flags) = (a[0] as i32, a[1] as i32, a[2], a[3]);
    let scopes = PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP;
    if flags & !scopes != 0 || flags.count_ones() > 1 {
        return Err(Errno::EINVAL);
    }
    let f = t.file(fd)?;
    // Linux takes an open /proc/<pid> directory as well as a pidfd.
    let g = match (downcast::<PidFd>(&f), downcast::<DirHandle>(&f)) {
        (Some(p), _) => p.0.clone(),
        (None, Some(DirHandle { process: Some(g), .. })) => g.clone(),
        _ => return Err(Errno::EBADF),
    };
    valid_sig(sig)?;
    if g.life.lock().unwrap_or_else(|e| e.into_inner()).reaped {
        return Err(Errno::ESRCH);
    }
    let to_self = Arc::ptr_eq(&g, &t.tg);
    let info: Box<dyn Fn(&ThreadGroup) -> SigInfo> = if info_addr != 0 {
        let info = queued_info(t, info_addr, sig, to_self)?;
        if info.signo() != sig {
            return Err(Errno::EINVAL);
        }
        Box::new(move |_| info)
    } else {
        let (uid, me) = (t.creds().ruid, t.tg.clone());
        Box::new(move |target| SigInfo::user(sig, me.pid.nr_in(target.pidns()), uid))
    };
    match flags {
        PIDFD_SIGNAL_PROCESS_GROUP => {
            let members = t.kernel.procs().in_pgrp(g.pgid());
            send_to_groups(t, &members, sig, &*info)
        }
        PIDFD_SIGNAL_THREAD => {
            let main = g.main_thread().ok_or(Errno::ESRCH)?;
            send_to_thread_of(t, &g, &main, sig, info(&g))
        }
        _ => send_to_groups(t, &[g], sig, &*info),
    }
}
