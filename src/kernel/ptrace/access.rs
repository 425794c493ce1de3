//! Who may touch another process: Linux's `__ptrace_may_access` with
//! PTRACE_MODE_ATTACH_REALCREDS, used by ptrace attach and
//! process_vm_readv/writev.

use crate::kernel::task::{Task, TaskShared};

/// CAP_SYS_PTRACE.
pub const CAP_SYS_PTRACE: u32 = 19;

/// Whether `caller` may attach to (or read and write the memory of)
/// `target`: a thread of its own process, or a process whose real,
/// effective and saved ids all equal the caller's real ids and which is
/// dumpable; CAP_SYS_PTRACE overrides both. The sandbox has one user
/// namespace, so the capability is the caller's own. No Yama rule applies
/// (as `kernel.yama.ptrace_scope=0`).
pub fn may_access(caller: &Task, target: &TaskShared) -> bool {
    if std::sync::Arc::ptr_eq(&caller.tg, &target.tg) {
        return true;
    }
    let me = caller.creds();
    let privileged = caller.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).capable(CAP_SYS_PTRACE);
    let them = target.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let same_ids = [them.ruid, them.euid, them.suid].iter().all(|&u| u == me.ruid)
        && [them.rgid, them.egid, them.sgid].iter().all(|&g| g == me.rgid);
    if !same_ids && !privileged {
        return false;
    }
    let dumpable = target.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).dumpable;
    dumpable || privileged
}
