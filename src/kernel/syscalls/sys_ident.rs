//! Identity and scheduling attributes: process groups and sessions, user
//! and group ids, capabilities, prctl, nice values, scheduling policy and
//! CPU affinity.
//!
//! Capabilities follow capabilities(7) for the calls served here: a process
//! started as root has the full set, others none; setuid and friends drop
//! and restore them as Linux does, and every permission check in this file
//! asks the effective set: in the caller's own user namespace for the id
//! calls, in the initial one (`capable`) for sandbox-wide limits. (Checks
//! elsewhere in the sentry still treat euid 0 as having every capability.)
//! Ids passed in and out are the caller's user namespace's (`ns/user.rs`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::{Credentials, Privileges, SchedAttrs, Task, TaskShared, ThreadGroup, CAP_FULL_SET};

const CAP_CHOWN: u32 = 0;
const CAP_DAC_OVERRIDE: u32 = 1;
const CAP_DAC_READ_SEARCH: u32 = 2;
pub const CAP_FOWNER: u32 = 3;
const CAP_FSETID: u32 = 4;
const CAP_SETGID: u32 = 6;
const CAP_SETUID: u32 = 7;
const CAP_SETPCAP: u32 = 8;
pub const CAP_LINUX_IMMUTABLE: u32 = 9;
pub const CAP_SYS_NICE: u32 = 23;
pub const CAP_SYS_RESOURCE: u32 = 24;
const CAP_MKNOD: u32 = 27;
const CAP_MAC_OVERRIDE: u32 = 32;
/// The highest capability number.
const CAP_LAST_CAP: u64 = 40;

/// Capabilities that follow the fs uid (`CAP_FS_SET`).
const CAP_FS_SET: u64 = (1 << CAP_CHOWN)
    | (1 << CAP_DAC_OVERRIDE)
    | (1 << CAP_DAC_READ_SEARCH)
    | (1 << CAP_FOWNER)
    | (1 << CAP_FSETID)
    | (1 << CAP_LINUX_IMMUTABLE)
    | (1 << CAP_MKNOD)
    | (1 << CAP_MAC_OVERRIDE);

fn privs(tg: &ThreadGroup) -> Privileges {
    tg.privs.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Whether the caller has capability `cap` over the whole sandbox (in its
/// effective set, and in the initial user namespace: Linux's capable()).
pub fn capable(t: &Task, cap: u32) -> bool {
    t.tg.capable(cap)
}

// ---------------------------------------------------------------------------
// Process groups and sessions.

/// The process of task or process `pid` of the caller's PID namespace
/// (0: the caller), zombies included.
fn find_group(t: &Task, pid: i32) -> Result<Arc<ThreadGroup>, Errno> {
    if pid == 0 {
        return Ok(t.tg.clone());
    }
    t.kernel.procs().process_of_in(t.pidns(), pid).ok_or(Errno::ESRCH)
}

/// Implements getpgid(2): 0 when the group's leader is outside the
/// caller's PID namespace (as Linux's pid_vnr).
pub fn getpgid(t: &mut Task, a: &Args) -> SysResult {
    Ok(find_group(t, a[0] as i32)?.pgrp().nr_in(t.pidns()) as u64)
}

/// Implements getpgrp(2).
pub fn getpgrp(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.tg.pgrp().nr_in(t.pidns()) as u64)
}

/// Implements getsid(2).
pub fn getsid(t: &mut Task, a: &Args) -> SysResult {
    Ok(find_group(t, a[0] as i32)?.session().nr_in(t.pidns()) as u64)
}

/// Implements setpgid(2); pids are numbers in the caller's PID namespace.
pub fn setpgid(t: &mut Task, a: &Args) -> SysResult {
    let me = t.tg.clone();
    let ns = t.pidns().clone();
    let pid = match a[0] as i32 {
        0 => me.pid.vnr(),
        p => p,
    };
    let pgid = match a[1] as i32 {
        0 => pid,
        g => g,
    };
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let procs = t.kernel.procs();
    let p = procs.process_of_in(&ns, pid).ok_or(Errno::ESRCH)?;
    if p.pid.nr_in(&ns) != pid {
        // Only a thread group leader (a process id) has a process group.
        return Err(Errno::EINVAL);
    }
    let is_child = p.parent().is_some_and(|par| Arc::ptr_eq(&par, &me));
    if is_child {
        if p.sid() != me.sid() {
            return Err(Errno::EPERM);
        }
        if p.execed.load(Ordering::SeqCst) {
            return Err(Errno::EACCES);
        }
    } else if !Arc::ptr_eq(&p, &me) {
        return Err(Errno::ESRCH);
    }
    if p.sid() == p.gpid() {
        // A session leader cannot move.
        return Err(Errno::EPERM);
    }
    let target = if pgid == pid {
        p.pid.clone()
    } else {
        // An existing group of the caller's session, named in its namespace.
        let Some(g) =
            ns.find(pgid).filter(|g| procs.groups.values().any(|x| x.pgid() == g.global() && x.sid() == me.sid()))
        else {
            return Err(Errno::EPERM);
        };
        g
    };
    p.set_pgrp(target);
    Ok(0)
}

/// Implements setsid(2). The new session has no controlling terminal.
pub fn setsid(t: &mut Task, _: &Args) -> SysResult {
    let me = t.tg.clone();
    {
        let procs = t.kernel.procs();
        if me.sid() == me.gpid() || procs.groups.values().any(|g| g.pgid() == me.gpid()) {
            return Err(Errno::EPERM);
        }
        me.set_session_leader();
    }
    *me.ctty.lock().unwrap_or_else(|e| e.into_inner()) = None;
    Ok(me.pid.vnr() as u64)
}

// ---------------------------------------------------------------------------
// User and group ids.

/// Which kind of id change a credential update is, for the capability
/// fix-ups Linux applies (`cap_task_fix_setuid`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum IdChange {
    /// setuid, setreuid, setresuid.
    Uid,
    /// setfsuid.
    FsUid,
    /// The group ids: capabilities are untouched.
    Gid,
}

/// Applies `change` to copies of the caller's credentials and privileges,
/// then fixes capabilities up and installs both, as `commit_creds` does
/// (a change of effective or fs ids makes the process non-dumpable and
/// clears the caller's parent-death signal).
fn update_ids(
    t: &Task,
    kind: IdChange,
    change: impl FnOnce(&mut Credentials, &mut Privileges) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let mut creds = t.tg.creds.lock().unwrap_or_else(|e| e.into_inner());
    let mut privs = t.tg.privs.lock().unwrap_or_else(|e| e.into_inner());
    let (old_c, old_p) = (creds.clone(), privs.clone());
    let (mut new_c, mut new_p) = (old_c.clone(), old_p.clone());
    change(&mut new_c, &mut new_p)?;
    match kind {
        IdChange::Uid => emulate_setxuid(&old_c, &new_c, &mut new_p),
        IdChange::FsUid => {
            let (was, is) = (old_c.is_root_uid(old_p.fsuid), new_c.is_root_uid(new_p.fsuid));
            if was && !is {
                new_p.effective &= !CAP_FS_SET;
            }
            if !was && is {
                new_p.effective |= new_p.permitted & CAP_FS_SET;
            }
        }
        IdChange::Gid => {}
    }
    let changed = old_c.euid != new_c.euid
        || old_c.egid != new_c.egid
        || old_p.fsuid != new_p.fsuid
        || old_p.fsgid != new_p.fsgid
        || new_p.permitted & !old_p.permitted != 0;
    if changed {
        new_p.dumpable = false;
        t.shared.pdeathsig.store(0, Ordering::Relaxed);
    }
    *creds = new_c;
    *privs = new_p;
    Ok(())
}

/// Linux's `cap_emulate_setxuid`: leaving uid 0 everywhere drops the
/// permitted and effective sets (unless keepcaps) and always the ambient
/// set (so a setuid program's exec drops them), leaving euid 0 drops the
/// effective set, and regaining euid 0 restores it from the permitted set.
/// Root is uid 0 of the process's user namespace.
fn emulate_setxuid(old: &Credentials, new: &Credentials, p: &mut Privileges) {
    let root = |c: &Credentials, id: u32| c.is_root_uid(id);
    let had_root = root(old, old.ruid) || root(old, old.euid) || root(old, old.suid);
    let has_root = root(new, new.ruid) || root(new, new.euid) || root(new, new.suid);
    if had_root && !has_root {
        if !p.keepcaps {
            p.permitted = 0;
            p.effective = 0;
        }
        p.ambient = 0;
    }
    if old.is_root() && !new.is_root() {
        p.effective = 0;
    }
    if !old.is_root() && new.is_root() {
        p.effective = p.permitted;
    }
}

/// An id argument: -1 (as a 32-bit value) means "unchanged".
fn id_arg(v: u64) -> Option<u32> {
    let id = v as u32;
    (id != u32::MAX).then_some(id)
}

/// A uid argument of the caller's user namespace as a kernel id: None for
/// -1 ("unchanged"), EINVAL for an id the namespace does not map.
fn uid_arg(t: &Task, v: u64) -> Result<Option<u32>, Errno> {
    id_arg(v).map(|id| t.creds().user_ns.uid_to_kernel(id).ok_or(Errno::EINVAL)).transpose()
}

/// A gid argument, as `uid_arg`.
fn gid_arg(t: &Task, v: u64) -> Result<Option<u32>, Errno> {
    id_arg(v).map(|id| t.creds().user_ns.gid_to_kernel(id).ok_or(Errno::EINVAL)).transpose()
}

/// Implements setuid(2).
pub fn setuid(t: &mut Task, a: &Args) -> SysResult {
    let uid = uid_arg(t, a[0])?.ok_or(Errno::EINVAL)?;
    update_ids(t, IdChange::Uid, |c, p| {
        if p.capable(CAP_SETUID) {
            c.ruid = uid;
            c.suid = uid;
        } else if uid != c.ruid && uid != c.suid {
            return Err(Errno::EPERM);
        }
        c.euid = uid;
        p.fsuid = uid;
        Ok(())
    })?;
    Ok(0)
}

/// Implements setgid(2).
pub fn setgid(t: &mut Task, a: &Args) -> SysResult {
    let gid = gid_arg(t, a[0])?.ok_or(Errno::EINVAL)?;
    update_ids(t, IdChange::Gid, |c, p| {
        if p.capable(CAP_SETGID) {
            c.rgid = gid;
            c.sgid = gid;
        } else if gid != c.rgid && gid != c.sgid {
            return Err(Errno::EPERM);
        }
        c.egid = gid;
        p.fsgid = gid;
        Ok(())
    })?;
    Ok(0)
}

/// Implements setreuid(2).
pub fn setreuid(t: &mut Task, a: &Args) -> SysResult {
    let (ruid, euid) = (uid_arg(t, a[0])?, uid_arg(t, a[1])?);
    update_ids(t, IdChange::Uid, |c, p| {
        let old = c.clone();
        let cap = p.capable(CAP_SETUID);
        if let Some(r) = ruid {
            if r != old.ruid && r != old.euid && !cap {
                return Err(Errno::EPERM);
            }
            c.ruid = r;
        }
        if let Some(e) = euid {
            if e != old.ruid && e != old.euid && e != old.suid && !cap {
                return Err(Errno::EPERM);
            }
            c.euid = e;
        }
        if ruid.is_some() || euid.is_some_and(|e| e != old.ruid) {
            c.suid = c.euid;
        }
        p.fsuid = c.euid;
        Ok(())
    })?;
    Ok(0)
}

/// Implements setregid(2).
pub fn setregid(t: &mut Task, a: &Args) -> SysResult {
    let (rgid, egid) = (gid_arg(t, a[0])?, gid_arg(t, a[1])?);
    update_ids(t, IdChange::Gid, |c, p| {
        let old = c.clone();
        let cap = p.capable(CAP_SETGID);
        if let Some(r) = rgid {
            if r != old.rgid && r != old.egid && !cap {
                return Err(Errno::EPERM);
            }
            c.rgid = r;
        }
        if let Some(e) = egid {
            if e != old.rgid && e != old.egid && e != old.sgid && !cap {
                return Err(Errno::EPERM);
            }
            c.egid = e;
        }
        if rgid.is_some() || egid.is_some_and(|e| e != old.rgid) {
            c.sgid = c.egid;
        }
        p.fsgid = c.egid;
        Ok(())
    })?;
    Ok(0)
}

/// The shared rule of setresuid/setresgid: without the capability, each new
/// id must be one of the current three.
fn res_allowed(cur: [u32; 3], new: [Option<u32>; 3], cap: bool) -> bool {
    cap || new.iter().flatten().all(|id| cur.contains(id))
}

/// Implements setresuid(2).
pub fn setresuid(t: &mut Task, a: &Args) -> SysResult {
    let new = [uid_arg(t, a[0])?, uid_arg(t, a[1])?, uid_arg(t, a[2])?];
    update_ids(t, IdChange::Uid, |c, p| {
        if !res_allowed([c.ruid, c.euid, c.suid], new, p.capable(CAP_SETUID)) {
            return Err(Errno::EPERM);
        }
        let [r, e, s] = new;
        c.ruid = r.unwrap_or(c.ruid);
        c.euid = e.unwrap_or(c.euid);
        c.suid = s.unwrap_or(c.suid);
        p.fsuid = c.euid;
        Ok(())
    })?;
    Ok(0)
}

/// Implements setresgid(2).
pub fn setresgid(t: &mut Task, a: &Args) -> SysResult {
    let new = [gid_arg(t, a[0])?, gid_arg(t, a[1])?, gid_arg(t, a[2])?];
    update_ids(t, IdChange::Gid, |c, p| {
        if !res_allowed([c.rgid, c.egid, c.sgid], new, p.capable(CAP_SETGID)) {
            return Err(Errno::EPERM);
        }
        let [r, e, s] = new;
        c.rgid = r.unwrap_or(c.rgid);
        c.egid = e.unwrap_or(c.egid);
        c.sgid = s.unwrap_or(c.sgid);
        p.fsgid = c.egid;
        Ok(())
    })?;
    Ok(0)
}

/// Implements setfsuid(2): always returns the previous fs uid (as the
/// caller's user namespace shows it; an unmapped id changes nothing).
pub fn setfsuid(t: &mut Task, a: &Args) -> SysResult {
    let ns = t.creds().user_ns;
    let old = ns.uid_shown(privs(&t.tg).fsuid);
    if let Some(uid) = id_arg(a[0]).and_then(|id| ns.uid_to_kernel(id)) {
        let _ = update_ids(t, IdChange::FsUid, |c, p| {
            let ok = [c.ruid, c.euid, c.suid, p.fsuid].contains(&uid) || p.capable(CAP_SETUID);
            if !ok || uid == p.fsuid {
                return Err(Errno::EPERM);
            }
            p.fsuid = uid;
            Ok(())
        });
    }
    Ok(old as u64)
}

/// Implements setfsgid(2): always returns the previous fs gid.
pub fn setfsgid(t: &mut Task, a: &Args) -> SysResult {
    let ns = t.creds().user_ns;
    let old = ns.gid_shown(privs(&t.tg).fsgid);
    if let Some(gid) = id_arg(a[0]).and_then(|id| ns.gid_to_kernel(id)) {
        let _ = update_ids(t, IdChange::Gid, |c, p| {
            let ok = [c.rgid, c.egid, c.sgid, p.fsgid].contains(&gid) || p.capable(CAP_SETGID);
            if !ok || gid == p.fsgid {
                return Err(Errno::EPERM);
            }
            p.fsgid = gid;
            Ok(())
        });
    }
    Ok(old as u64)
}

/// NGROUPS_MAX.
const NGROUPS_MAX: u64 = 65536;

/// Implements setgroups(2). The list is kept sorted, as Linux keeps it.
/// In a user namespace, only once its gid map is written and setgroups
/// is not denied (EPERM); each group must map there (EINVAL).
pub fn setgroups(t: &mut Task, a: &Args) -> SysResult {
    let ns = t.creds().user_ns;
    if !privs(&t.tg).capable(CAP_SETGID) || !ns.may_setgroups() {
        return Err(Errno::EPERM);
    }
    let n = a[0] as u32 as u64;
    if n > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let mut bytes = vec![0u8; n as usize * 4];
    if n > 0 {
        t.mem().read_bytes(a[1], &mut bytes)?;
    }
    let mut groups = bytes
        .chunks_exact(4)
        .map(|c| ns.gid_to_kernel(u32::from_ne_bytes([c[0], c[1], c[2], c[3]])).ok_or(Errno::EINVAL))
        .collect::<Result<Vec<u32>, Errno>>()?;
    groups.sort_unstable();
    t.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).groups = groups;
    Ok(0)
}

// ---------------------------------------------------------------------------
// Capabilities.

const CAP_V1: u32 = 0x1998_0330;
const CAP_V2: u32 = 0x2007_1026;
const CAP_V3: u32 = 0x2008_0522;

/// Checks a capability header's version: the number of 32-bit words per
/// set it implies. An unknown version is answered with the preferred one
/// (written back) and EINVAL.
fn cap_words(t: &Task, header: u64) -> Result<usize, Errno> {
    match t.mem().read_u32(header)? {
        CAP_V1 => Ok(1),
        CAP_V2 | CAP_V3 => Ok(2),
        _ => {
            t.mem().write_u32(header, CAP_V3)?;
            Err(Errno::EINVAL)
        }
    }
}

/// Implements capget(2).
pub fn capget(t: &mut Task, a: &Args) -> SysResult {
    let (header, data) = (a[0], a[1]);
    let words = match cap_words(t, header) {
        // Probing the preferred version with a NULL data pointer succeeds.
        Err(Errno::EINVAL) if data == 0 => return Ok(0),
        r => r?,
    };
    if data == 0 {
        return Ok(0);
    }
    let pid = t.mem().read_u32(header + 4)? as i32;
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let target = find_group(t, pid)?;
    let p = privs(&target);
    let mut b = Vec::with_capacity(words * 12);
    for w in 0..words {
        for set in [p.effective, p.permitted, p.inheritable] {
            b.extend_from_slice(&((set >> (32 * w)) as u32).to_ne_bytes());
        }
    }
    t.mem().write_bytes(data, &b)?;
    Ok(0)
}

/// Implements capset(2): the caller's own sets only; permitted can only
/// shrink, effective must stay within permitted, inheritable within
/// permitted (without CAP_SETPCAP) and the bounding set.
pub fn capset(t: &mut Task, a: &Args) -> SysResult {
    let (header, data) = (a[0], a[1]);
    let words = cap_words(t, header)?;
    let pid = t.mem().read_u32(header + 4)? as i32;
    if pid != 0 && pid != t.tg.pid.vnr() {
        return Err(Errno::EPERM);
    }
    let mut b = vec![0u8; words * 12];
    t.mem().read_bytes(data, &mut b)?;
    let word = |w: usize, i: usize| {
        let o = w * 12 + i * 4;
        u32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]) as u64
    };
    let set = |i: usize| (0..words).fold(0u64, |acc, w| acc | (word(w, i) << (32 * w))) & CAP_FULL_SET;
    let (effective, permitted, inheritable) = (set(0), set(1), set(2));
    let mut p = t.tg.privs.lock().unwrap_or_else(|e| e.into_inner());
    let capped = !p.capable(CAP_SETPCAP);
    if capped && inheritable & !(p.inheritable | p.permitted) != 0 {
        return Err(Errno::EPERM);
    }
    if inheritable & !(p.inheritable | p.bounding) != 0 || permitted & !p.permitted != 0 || effective & !permitted != 0
    {
        return Err(Errno::EPERM);
    }
    p.effective = effective;
    p.permitted = permitted;
    p.inheritable = inheritable;
    // An ambient capability must stay permitted and inheritable.
    p.ambient &= permitted & inheritable;
    Ok(0)
}

// ---------------------------------------------------------------------------
// prctl.

const PR_SET_PDEATHSIG: i32 = 1;
const PR_GET_PDEATHSIG: i32 = 2;
const PR_GET_DUMPABLE: i32 = 3;
const PR_SET_DUMPABLE: i32 = 4;
const PR_GET_KEEPCAPS: i32 = 7;
const PR_SET_KEEPCAPS: i32 = 8;
const PR_SET_NAME: i32 = 15;
const PR_GET_NAME: i32 = 16;
const PR_GET_SECCOMP: i32 = 21;
const PR_SET_SECCOMP: i32 = 22;
const PR_SET_TIMERSLACK: i32 = 29;
const PR_GET_TIMERSLACK: i32 = 30;
const PR_CAPBSET_READ: i32 = 23;
const PR_CAPBSET_DROP: i32 = 24;
const PR_GET_SECUREBITS: i32 = 27;
const PR_SET_CHILD_SUBREAPER: i32 = 36;
const PR_GET_CHILD_SUBREAPER: i32 = 37;
const PR_SET_NO_NEW_PRIVS: i32 = 38;
const PR_GET_NO_NEW_PRIVS: i32 = 39;

/// SECBIT_KEEP_CAPS.
const SECBIT_KEEP_CAPS: u64 = 1 << 4;
/// TASK_COMM_LEN.
const TASK_COMM_LEN: usize = 16;

/// Copies in at most `max` bytes of a string, stopping at a NUL, reading no
/// byte past it (as `strncpy_from_user`).
fn read_short_string(t: &Task, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; max];
    if t.mem().read_bytes(addr, &mut buf).is_err() {
        // The string may end before an unreadable byte: go byte by byte.
        for (i, byte) in buf.iter_mut().enumerate() {
            let mut one = [0u8; 1];
            t.mem().read_bytes(addr + i as u64, &mut one)?;
            *byte = one[0];
            if one[0] == 0 {
                break;
            }
        }
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(max);
    buf.truncate(end);
    Ok(buf)
}

fn with_privs<R>(t: &Task, f: impl FnOnce(&mut Privileges) -> R) -> R {
    f(&mut t.tg.privs.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Implements prctl(2) for the options listed in the table's note (the
/// identity ones here, the rest in sys_prctl.rs); others are EINVAL, as
/// Linux answers options it does not know.
pub fn prctl(t: &mut Task, a: &Args) -> SysResult {
    let (op, arg2) = (a[0] as i32, a[1]);
    match op {
        PR_SET_PDEATHSIG => {
            if arg2 > crate::kernel::signal::NSIG as u64 {
                return Err(Errno::EINVAL);
            }
            t.shared.pdeathsig.store(arg2 as i32, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let sig = t.shared.pdeathsig.load(Ordering::Relaxed);
            t.mem().write_u32(arg2, sig as u32)?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(privs(&t.tg).dumpable as u64),
        PR_SET_DUMPABLE => {
            if arg2 > 1 {
                return Err(Errno::EINVAL);
            }
            with_privs(t, |p| p.dumpable = arg2 == 1);
            Ok(0)
        }
        PR_GET_KEEPCAPS => Ok(privs(&t.tg).keepcaps as u64),
        PR_SET_KEEPCAPS => {
            if arg2 > 1 {
                return Err(Errno::EINVAL);
            }
            with_privs(t, |p| p.keepcaps = arg2 == 1);
            Ok(0)
        }
        PR_GET_SECUREBITS => Ok(if privs(&t.tg).keepcaps { SECBIT_KEEP_CAPS } else { 0 }),
        PR_SET_NAME => {
            let name = read_short_string(t, arg2, TASK_COMM_LEN - 1)?;
            *t.shared.comm.lock().unwrap_or_else(|e| e.into_inner()) = name;
            Ok(0)
        }
        PR_GET_NAME => {
            let mut b = [0u8; TASK_COMM_LEN];
            let comm = t.shared.comm.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let n = comm.len().min(TASK_COMM_LEN - 1);
            b[..n].copy_from_slice(&comm[..n]);
            t.mem().write_bytes(arg2, &b)?;
            Ok(0)
        }
        PR_GET_SECCOMP => super::sys_seccomp::prctl_get(t),
        PR_SET_SECCOMP => super::sys_seccomp::prctl_set(t, arg2, a[2]),
        // The slack is kept and shown; the sentry's timers fire on time,
        // which every slack allows. Linux's long argument: <= 0 restores.
        PR_SET_TIMERSLACK => {
            t.shared.timer_slack.set(if (arg2 as i64) <= 0 { 0 } else { arg2 });
            Ok(0)
        }
        PR_GET_TIMERSLACK => Ok(t.shared.timer_slack.get()),
        PR_CAPBSET_READ => {
            if arg2 > CAP_LAST_CAP {
                return Err(Errno::EINVAL);
            }
            Ok((privs(&t.tg).bounding >> arg2) & 1)
        }
        PR_CAPBSET_DROP => {
            if !privs(&t.tg).capable(CAP_SETPCAP) {
                return Err(Errno::EPERM);
            }
            if arg2 > CAP_LAST_CAP {
                return Err(Errno::EINVAL);
            }
            with_privs(t, |p| p.bounding &= !(1 << arg2));
            Ok(0)
        }
        PR_SET_CHILD_SUBREAPER => {
            t.tg.subreaper.store(arg2 != 0, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let v = t.tg.subreaper.load(Ordering::Relaxed);
            t.mem().write_u32(arg2, v as u32)?;
            Ok(0)
        }
        PR_SET_NO_NEW_PRIVS => {
            if arg2 != 1 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
                return Err(Errno::EINVAL);
            }
            with_privs(t, |p| p.no_new_privs = true);
            Ok(0)
        }
        PR_GET_NO_NEW_PRIVS => {
            if arg2 != 0 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
                return Err(Errno::EINVAL);
            }
            Ok(privs(&t.tg).no_new_privs as u64)
        }
        _ => super::sys_prctl::prctl(t, op, a).unwrap_or(Err(Errno::EINVAL)),
    }
}

// ---------------------------------------------------------------------------
// Scheduling: affinity, policy, nice values.

/// The task `pid` names (0: the caller).
pub(super) fn find_task(t: &Task, pid: i32) -> Result<Arc<TaskShared>, Errno> {
    if pid == 0 {
        return Ok(t.shared.clone());
    }
    t.kernel.procs().task_in(t.pidns(), pid).ok_or(Errno::ESRCH)
}

pub(super) fn sched_attrs(task: &TaskShared) -> SchedAttrs {
    task.sched.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Linux's `check_same_owner`: the caller's euid is the target's euid or
/// real uid.
pub(super) fn same_owner(t: &Task, target: &TaskShared) -> bool {
    let me = t.creds().euid;
    let them = target.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
    me == them.euid || me == them.ruid
}

/// Bytes of a CPU mask of the sandbox (whole longs, as with
/// CONFIG_CPUMASK_OFFSTACK).
fn cpumask_bytes() -> usize {
    SchedAttrs::online_cpus().div_ceil(64) * 8
}

/// Implements sched_setaffinity(2). The task then runs on one CPU of the
/// mask (the sentry keeps a task and its sentry thread on one CPU).
pub fn sched_setaffinity(t: &mut Task, a: &Args) -> SysResult {
    let (pid, len, addr) = (a[0] as i32, a[1] as usize, a[2]);
    let size = cpumask_bytes();
    let mut buf = vec![0u8; size];
    let n = len.min(size);
    t.mem().read_bytes(addr, &mut buf[..n])?;
    let target = find_task(t, pid)?;
    if !same_owner(t, &target) && !capable(t, CAP_SYS_NICE) {
        return Err(Errno::EPERM);
    }
    let all = SchedAttrs::all_cpus();
    let mask: Vec<u64> = buf
        .chunks_exact(8)
        .zip(&all)
        .map(|(c, &online)| u64::from_ne_bytes(c.try_into().unwrap_or_default()) & online)
        .collect();
    if mask.iter().all(|&w| w == 0) {
        return Err(Errno::EINVAL);
    }
    let cpu = {
        let mut attrs = target.sched.lock().unwrap_or_else(|e| e.into_inner());
        attrs.affinity = mask;
        attrs.pin_cpu(target.gtid() as usize)
    };
    // The sentry keeps each task on one CPU with its sentry thread: move
    // both (the target's sentry thread follows only when it is the caller).
    let (_, host_tid) = *target.host.lock().unwrap_or_else(|e| e.into_inner());
    crate::platform::pin_to_cpu(host_tid, cpu);
    if Arc::ptr_eq(&target, &t.shared) {
        crate::platform::pin_to_cpu(0, cpu);
    }
    Ok(0)
}

/// Implements sched_getaffinity(2).
pub fn sched_getaffinity(t: &mut Task, a: &Args) -> SysResult {
    let (pid, len, addr) = (a[0] as i32, a[1] as u32 as usize, a[2]);
    if len * 8 < SchedAttrs::online_cpus() || len % 8 != 0 {
        return Err(Errno::EINVAL);
    }
    let target = find_task(t, pid)?;
    let mask = sched_attrs(&target).affinity;
    let bytes: Vec<u8> = mask.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let n = len.min(bytes.len());
    t.mem().write_bytes(addr, &bytes[..n])?;
    Ok(n as u64)
}

pub(super) const SCHED_FIFO: i32 = 1;
pub(super) const SCHED_RR: i32 = 2;
pub(super) const SCHED_BATCH: i32 = 3;
pub(super) const SCHED_IDLE: i32 = 5;
pub(super) const SCHED_DEADLINE: i32 = 6;
pub(super) const SCHED_RESET_ON_FORK: i32 = 0x4000_0000;

/// Implements sched_get_priority_max(2).
pub fn sched_get_priority_max(_: &mut Task, a: &Args) -> SysResult {
    match a[0] as i32 {
        SCHED_FIFO | SCHED_RR => Ok(99),
        0 | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

/// Implements sched_get_priority_min(2).
pub fn sched_get_priority_min(_: &mut Task, a: &Args) -> SysResult {
    match a[0] as i32 {
        SCHED_FIFO | SCHED_RR => Ok(1),
        0 | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

/// The target of a scheduling query: a negative pid is EINVAL.
fn sched_target(t: &Task, pid: u64) -> Result<Arc<TaskShared>, Errno> {
    let pid = pid as i32;
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    find_task(t, pid)
}

/// Implements sched_getscheduler(2).
pub fn sched_getscheduler(t: &mut Task, a: &Args) -> SysResult {
    let target = sched_target(t, a[0])?;
    let s = sched_attrs(&target);
    let flag = if s.reset_on_fork { SCHED_RESET_ON_FORK } else { 0 };
    Ok((s.policy | flag) as u64)
}

/// Implements sched_rr_get_interval(2): SCHED_RR's 100 ms quantum; 0 for
/// the other policies (Linux's fair class rounds its sub-jiffy slice to 0).
pub fn sched_rr_get_interval(t: &mut Task, a: &Args) -> SysResult {
    let target = sched_target(t, a[0])?;
    let nanos: i64 = if sched_attrs(&target).policy == SCHED_RR { 100_000_000 } else { 0 };
    let mut ts = [0u8; 16];
    ts[8..].copy_from_slice(&nanos.to_ne_bytes());
    t.mem().write_bytes(a[1], &ts)?;
    Ok(0)
}

/// Implements sched_getparam(2): the priority of a normal policy is 0.
pub fn sched_getparam(t: &mut Task, a: &Args) -> SysResult {
    if a[1] == 0 {
        return Err(Errno::EINVAL);
    }
    sched_target(t, a[0])?;
    t.mem().write_u32(a[1], 0)?;
    Ok(0)
}

/// Whether `nice` is within the target's RLIMIT_NICE (Linux's
/// `is_nice_reduction`).
pub(super) fn nice_allowed(target: &TaskShared, nice: i32) -> bool {
    let lim = target.tg.rlimits.lock().unwrap_or_else(|e| e.into_inner())[libc::RLIMIT_NICE as usize].cur;
    (20 - nice) as u64 <= lim
}

/// The common part of sched_setscheduler and sched_setparam (`policy` None:
/// keep the current one). Real-time and deadline policies are refused with
/// EPERM even for a privileged caller: the sentry cannot honour them.
fn set_scheduler(t: &Task, pid: u64, policy: Option<i32>, param: u64) -> SysResult {
    if param == 0 || (pid as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let prio = t.mem().read_u32(param)? as i32;
    let target = find_task(t, pid as i32)?;
    match policy {
        None => super::sys_sched_attr::set_policy(t, &target, 0, true, prio),
        Some(p) if p < 0 => Err(Errno::EINVAL),
        Some(p) => super::sys_sched_attr::set_policy(t, &target, p, false, prio),
    }
}

/// Implements sched_setscheduler(2) for SCHED_OTHER, SCHED_BATCH and
/// SCHED_IDLE.
pub fn sched_setscheduler(t: &mut Task, a: &Args) -> SysResult {
    set_scheduler(t, a[0], Some(a[1] as i32), a[2])
}

/// Implements sched_setparam(2).
pub fn sched_setparam(t: &mut Task, a: &Args) -> SysResult {
    set_scheduler(t, a[0], None, a[1])
}

const PRIO_PROCESS: i32 = 0;
const PRIO_PGRP: i32 = 1;
const PRIO_USER: i32 = 2;

/// The tasks a (which, who) pair of getpriority/setpriority names.
fn prio_targets(t: &Task, which: i32, who: i32) -> Result<Vec<Arc<TaskShared>>, Errno> {
    Ok(match which {
        PRIO_PROCESS => find_task(t, who).map(|x| vec![x]).unwrap_or_default(),
        PRIO_PGRP => {
            // A process group named in the caller's PID namespace.
            let pgid = match who {
                0 => t.tg.pgid(),
                n => t.pidns().find(n).map_or(0, |p| p.global()),
            };
            let procs = t.kernel.procs();
            procs.tasks.values().filter(|x| x.tg.pgid() == pgid).cloned().collect()
        }
        PRIO_USER => {
            let uid = if who == 0 { t.creds().ruid } else { who as u32 };
            let procs = t.kernel.procs();
            // Only tasks the caller's PID namespace shows.
            procs
                .tasks
                .values()
                .filter(|x| x.tid.visible_in(t.pidns()))
                .filter(|x| x.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid == uid)
                .cloned()
                .collect()
        }
        _ => return Err(Errno::EINVAL),
    })
}

/// Implements getpriority(2): 20 - nice of the highest-priority match.
pub fn getpriority(t: &mut Task, a: &Args) -> SysResult {
    let targets = prio_targets(t, a[0] as i32, a[1] as i32)?;
    targets.iter().map(|x| (20 - sched_attrs(x).nice) as u64).max().ok_or(Errno::ESRCH)
}

/// Implements setpriority(2). Nice values are recorded and reported; they
/// do not change how the host schedules the stub threads.
pub fn setpriority(t: &mut Task, a: &Args) -> SysResult {
    let targets = prio_targets(t, a[0] as i32, a[1] as i32)?;
    let nice = (a[2] as i32).clamp(-20, 19);
    let me = t.creds();
    let cap = capable(t, CAP_SYS_NICE);
    let mut result = Err(Errno::ESRCH);
    for x in &targets {
        let them = x.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if them.ruid != me.euid && them.euid != me.euid && !cap {
            result = Err(Errno::EPERM);
            continue;
        }
        let mut s = x.sched.lock().unwrap_or_else(|e| e.into_inner());
        if nice < s.nice && !nice_allowed(x, nice) && !cap {
            result = Err(Errno::EACCES);
            continue;
        }
        s.nice = nice;
        if result == Err(Errno::ESRCH) {
            result = Ok(0);
        }
    }
    result
}

const CAP_SYS_ADMIN: u32 = 21;
const IOPRIO_WHO_PROCESS: i32 = 1;
const IOPRIO_WHO_PGRP: i32 = 2;
const IOPRIO_WHO_USER: i32 = 3;
const IOPRIO_CLASS_NONE: u32 = 0;
const IOPRIO_CLASS_RT: u32 = 1;
const IOPRIO_CLASS_BE: u32 = 2;
const IOPRIO_CLASS_IDLE: u32 = 3;

/// The tasks an ioprio call names (`which`, `who`); ESRCH if none.
fn ioprio_targets(t: &Task, which: i32, who: i32) -> Result<Vec<Arc<TaskShared>>, Errno> {
    let prio_which = match which {
        IOPRIO_WHO_PROCESS => PRIO_PROCESS,
        IOPRIO_WHO_PGRP => PRIO_PGRP,
        IOPRIO_WHO_USER => PRIO_USER,
        _ => return Err(Errno::EINVAL),
    };
    let targets =
        if prio_which == PRIO_PROCESS && who == 0 { vec![t.shared.clone()] } else { prio_targets(t, prio_which, who)? };
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    Ok(targets)
}

/// Linux's order of I/O priorities (`ioprio_best`): a lower class number
/// wins, NONE counts as best effort, then a lower level.
fn ioprio_rank(p: u32) -> (u32, u32) {
    let class = (p >> 13) & 7;
    (if class == IOPRIO_CLASS_NONE { IOPRIO_CLASS_BE } else { class }, p & 7)
}

/// Implements ioprio_get(2): the best priority of the named tasks.
pub fn ioprio_get(t: &mut Task, a: &Args) -> SysResult {
    let targets = ioprio_targets(t, a[0] as i32, a[1] as i32)?;
    let best = targets.iter().map(|x| sched_attrs(x).ioprio).min_by_key(|&p| ioprio_rank(p)).unwrap_or(0);
    Ok(best as u64)
}

/// Implements ioprio_set(2). The priority is recorded and reported; the
/// host's I/O scheduling of the sentry is unchanged.
pub fn ioprio_set(t: &mut Task, a: &Args) -> SysResult {
    // Linux's ioprio_check_cap: the class is 3 bits at 13, the level the low
    // 3 bits; the hint bits between them are kept as given.
    let prio = a[2] as u32;
    let (class, level) = ((prio >> 13) & 7, prio & 7);
    match class {
        IOPRIO_CLASS_NONE if level != 0 => return Err(Errno::EINVAL),
        IOPRIO_CLASS_RT if !capable(t, CAP_SYS_NICE) && !capable(t, CAP_SYS_ADMIN) => return Err(Errno::EPERM),
        IOPRIO_CLASS_NONE | IOPRIO_CLASS_RT | IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE => {}
        _ => return Err(Errno::EINVAL),
    }
    let targets = ioprio_targets(t, a[0] as i32, a[1] as i32)?;
    let me = t.creds();
    let cap = capable(t, CAP_SYS_NICE);
    for x in &targets {
        // Linux's set_task_ioprio: the target's uid is the caller's.
        let them = x.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
        if them == me.euid || them == me.ruid || cap {
            x.sched.lock().unwrap_or_else(|e| e.into_inner()).ioprio = prio;
        } else {
            return Err(Errno::EPERM);
        }
    }
    Ok(0)
}

/// Whether the caller may change the resource limits of `target` (Linux's
/// `check_prlimit_permission`): its own process, a process whose ids all
/// equal the caller's real ids, or with CAP_SYS_RESOURCE.
pub fn may_prlimit(t: &Task, target: &ThreadGroup) -> bool {
    if std::ptr::eq(target, Arc::as_ptr(&t.tg)) {
        return true;
    }
    let me = t.creds();
    let c = target.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let ids_match = [c.ruid, c.euid, c.suid].iter().all(|&u| u == me.ruid)
        && [c.rgid, c.egid, c.sgid].iter().all(|&g| g == me.rgid);
    ids_match || capable(t, CAP_SYS_RESOURCE)
}
