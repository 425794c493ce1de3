//! Signal-driven I/O: the signal an open file's owner (F_SETOWN,
//! F_SETOWN_EX) gets when something happens to the file, as Linux's
//! send_sigio. Used by O_ASYNC (`fasync.rs`) and dnotify (`vfs/dnotify.rs`).

use std::sync::Arc;

use super::send::{send_or_refuse, Origin, Target};
use super::SigInfo;
use crate::kernel::task::ThreadGroup;
use crate::kernel::vfs::file::{FileOwner, F_OWNER_PGRP, F_OWNER_TID};
use crate::kernel::Kernel;

/// `si_code` POLL_MSG: an input message is available.
pub const POLL_MSG: i32 = 3;
/// `si_code` SI_SIGIO, for signals with codes of their own.
const SI_SIGIO: i32 = -5;

/// Linux's band_table: the `si_band` of each POLL_* reason (POLL_IN = 1).
fn band(reason: i32) -> i64 {
    let p = |x: i16| x as i64;
    match reason {
        1 => p(libc::POLLIN | libc::POLLRDNORM),
        2 => p(libc::POLLOUT | libc::POLLWRNORM | libc::POLLWRBAND),
        3 => p(libc::POLLIN | libc::POLLRDNORM) | 0x400, // POLLMSG
        4 => p(libc::POLLERR),
        5 => p(libc::POLLPRI | libc::POLLRDBAND),
        _ => p(libc::POLLHUP | libc::POLLERR),
    }
}

/// Signals whose `si_code` values mean something of their own, so an I/O
/// record sent with them says SI_SIGIO instead of the POLL_* reason.
fn has_own_codes(sig: i32) -> bool {
    [libc::SIGILL, libc::SIGFPE, libc::SIGSEGV, libc::SIGBUS, libc::SIGTRAP, libc::SIGCHLD, libc::SIGSYS].contains(&sig)
}

/// The record of the owner's signal about descriptor `fd` for `reason`:
/// plain SIGIO (from the kernel) without F_SETSIG; with it, the chosen
/// signal carrying `si_fd` and `si_band`.
fn record(sig: i32, fd: i32, reason: i32) -> SigInfo {
    if sig == 0 {
        return SigInfo::kernel(libc::SIGIO);
    }
    let code = if sig != libc::SIGIO && has_own_codes(sig) { SI_SIGIO } else { reason };
    let mut b = [0u8; 128];
    b[8..12].copy_from_slice(&code.to_ne_bytes());
    b[16..24].copy_from_slice(&band(reason).to_ne_bytes());
    b[24..28].copy_from_slice(&fd.to_ne_bytes());
    SigInfo::from_bytes(sig, b)
}

/// Whether whoever set `owner` may signal `tg` (Linux's sigio_perm): root
/// as effective user, or a real or effective id equal to the target's
/// real or saved one.
fn permitted(owner: &FileOwner, tg: &ThreadGroup) -> bool {
    let c = tg.creds.lock().unwrap_or_else(|e| e.into_inner());
    owner.euid == 0 || [owner.uid, owner.euid].iter().any(|&u| u == c.ruid || u == c.suid)
}

/// Sends the owner's I/O signal about descriptor `fd` (Linux's
/// send_sigio): to one thread, one process or a process group, as the
/// owner was set. Nothing without an owner, or when it is gone.
pub fn send_sigio(kernel: &Kernel, owner: &FileOwner, fd: i32, reason: i32) {
    let Some(pid) = &owner.pid else { return };
    let info = record(owner.sig, fd, reason);
    match owner.kind {
        F_OWNER_TID => {
            let task = kernel.procs().task(pid.global()).filter(|t| Arc::ptr_eq(&t.tid, pid));
            if let Some(task) = task.filter(|t| permitted(owner, &t.tg)) {
                deliver(kernel, Target::Task(&task), info);
            }
        }
        F_OWNER_PGRP => {
            let groups = kernel.procs().in_pgrp(pid.global());
            for g in groups.iter().filter(|g| permitted(owner, g)) {
                deliver(kernel, Target::Group(g), info);
            }
        }
        _ => {
            let group: Option<Arc<ThreadGroup>> =
                kernel.procs().group(pid.global()).filter(|g| Arc::ptr_eq(&g.pid, pid) && permitted(owner, g));
            if let Some(g) = group {
                deliver(kernel, Target::Group(&g), info);
            }
        }
    }
}

/// Sends one I/O record; a real-time one refused at RLIMIT_SIGPENDING
/// becomes a plain SIGIO, as Linux's send_sigio_to_task falls back.
fn deliver(kernel: &Kernel, target: Target, info: SigInfo) {
    if send_or_refuse(kernel, target, info, Origin::Kernel).is_err() {
        send_or_refuse(kernel, target, SigInfo::kernel(libc::SIGIO), Origin::Kernel).ok();
    }
}
