//! Who may touch another process: Linux's `__ptrace_may_access` with
//! PTRACE_MODE_ATTACH, used by ptrace attach and process_vm_readv/writev
//! (REALCREDS) and by `/proc/<pid>/mem` (FSCREDS).

use crate::kernel::task::{Task, TaskShared, ThreadGroup};

/// CAP_SYS_PTRACE.
pub const CAP_SYS_PTRACE: u32 = 19;

/// Which of the caller's ids stand for it (PTRACE_MODE_REALCREDS or
/// PTRACE_MODE_FSCREDS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallerIds {
    Real,
    Fs,
}

/// Whether `caller` may attach to (or read and write the memory of)
/// `target`, by its real ids.
pub fn may_access(caller: &Task, target: &TaskShared) -> bool {
    may_access_as(&caller.tg, target, CallerIds::Real)
}

/// Whether process `caller` may attach to `target`: a thread of its own
/// process, or a process whose real, effective and saved ids all equal the
/// caller's `ids` (real or fs ones) and which is dumpable; CAP_SYS_PTRACE
/// overrides both when held over the target's user namespace. No Yama rule applies (as
/// `kernel.yama.ptrace_scope=0`).
pub fn may_access_as(caller: &ThreadGroup, target: &TaskShared, ids: CallerIds) -> bool {
    if std::ptr::eq(caller, &*target.tg) {
        return true;
    }
    let me = caller.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let privs = caller.privs.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let them = target.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
    // CAP_SYS_PTRACE over the target's user namespace.
    let privileged =
        crate::kernel::ns::user::capable_over(&me.user_ns, me.euid, privs.capable(CAP_SYS_PTRACE), &them.user_ns);
    let (uid, gid) = match ids {
        CallerIds::Real => (me.ruid, me.rgid),
        CallerIds::Fs => (privs.fsuid, privs.fsgid),
    };
    let same_ids = [them.ruid, them.euid, them.suid].iter().all(|&u| u == uid)
        && [them.rgid, them.egid, them.sgid].iter().all(|&g| g == gid);
    if !same_ids && !privileged {
        return false;
    }
    let dumpable = target.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).dumpable;
    dumpable || privileged
}
