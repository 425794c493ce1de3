//! `/proc/<pid>/{uid_map,gid_map,setgroups}`: a process's user namespace's
//! maps (`ns/user.rs`), shown as the reading task sees the lower ids, and
//! written once each by a task of that namespace or its parent.

use super::pid::PidEntry;
use crate::kernel::errno::Errno;
use crate::kernel::ns::user::{MapKind, UserNamespace, Writer};
use crate::kernel::task::ThreadGroup;
use std::sync::Arc;

/// Longest write Linux takes (less than a page).
const MAX_WRITE: usize = 4095;

fn kind(e: PidEntry) -> MapKind {
    if e == PidEntry::UidMap {
        MapKind::Uid
    } else {
        MapKind::Gid
    }
}

fn user_ns_of(tg: &ThreadGroup) -> Arc<UserNamespace> {
    tg.creds.lock().unwrap_or_else(|e| e.into_inner()).user_ns.clone()
}

/// The user namespace of the task reading or writing (the initial one for
/// the sentry itself).
pub(super) fn caller_ns() -> Arc<UserNamespace> {
    match crate::kernel::wait::current() {
        Some(t) => user_ns_of(&t.tg),
        None => UserNamespace::init(),
    }
}

/// The text of `uid_map`, `gid_map` or `setgroups` of process `tg`.
pub fn content(e: PidEntry, tg: &ThreadGroup) -> Vec<u8> {
    let ns = user_ns_of(tg);
    match e {
        PidEntry::Setgroups if ns.setgroups_allowed() => b"allow\n".to_vec(),
        PidEntry::Setgroups => b"deny\n".to_vec(),
        _ => ns.map_text(kind(e), &caller_ns()),
    }
}

/// A write to `uid_map`, `gid_map` or `setgroups` of process `tg` by the
/// current task. setgroups takes CAP_SYS_ADMIN over the namespace (EPERM).
pub fn write(e: PidEntry, tg: &ThreadGroup, data: &[u8]) -> Result<(), Errno> {
    if data.len() > MAX_WRITE {
        return Err(Errno::EINVAL);
    }
    let ns = user_ns_of(tg);
    let writer = match crate::kernel::wait::current() {
        Some(t) => {
            let creds = t.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let caps = t.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).effective;
            Writer { ns: creds.user_ns, euid: creds.euid, egid: creds.egid, caps }
        }
        None => return Err(Errno::EPERM),
    };
    if e == PidEntry::Setgroups {
        const CAP_SYS_ADMIN: u32 = 21;
        if !writer.capable_over(&ns, CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        return ns.write_setgroups(data);
    }
    ns.write_map(kind(e), data, &writer)
}
