//! Changing metadata: chmod, chown, utimensat families.

use super::sys_path::at;
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::vfs::attr;
use crate::kernel::vfs::fs::MetaChange;
use crate::kernel::vfs::Lookup;

/// Where a change applies: (root, start dir, path, follow symlinks, whether
/// the path is the caller's, whose walk checks search permission).
type Target = (Vec<u8>, Vec<u8>, Vec<u8>, bool, bool);

/// What an attribute change applies to: (root, start, path, follow, by
/// name), or
/// `None` for an open file without a path (a pipe), whose metadata the
/// sandbox does not keep.
fn target(t: &Task, dirfd: i32, path_addr: u64, flags: i32) -> Result<Option<Target>, Errno> {
    let path = if path_addr == 0 { Vec::new() } else { t.read_path(path_addr)? };
    let follow = flags & libc::AT_SYMLINK_NOFOLLOW == 0;
    if path.is_empty() {
        if flags & libc::AT_EMPTY_PATH == 0 && path_addr != 0 {
            return Err(Errno::ENOENT);
        }
        if dirfd == libc::AT_FDCWD {
            return Ok(Some((b"/".to_vec(), b"/".to_vec(), t.cwd(), true, false)));
        }
        let f = t.file(dirfd)?;
        if f.path.first() != Some(&b'/') {
            return Ok(None);
        }
        // The descriptor's own node: its canonical path, not followed.
        return Ok(Some((b"/".to_vec(), b"/".to_vec(), f.path.clone(), false, false)));
    }
    let a = at(t, dirfd, path_addr)?;
    Ok(Some((a.root, a.start, a.path, follow, true)))
}

/// Applies `change` to the target, after `allowed` approved its metadata
/// and inode flags (`vfs::attr`).
fn apply(
    t: &Task,
    tgt: Option<Target>,
    change: &MetaChange,
    allowed: impl FnOnce(&crate::kernel::vfs::stat::Stat, u32) -> Result<(), Errno>,
) -> SysResult {
    let Some((root, start, path, follow, by_name)) = tgt else {
        return Ok(0);
    };
    let creds = t.creds();
    let lk = Lookup { root: &root, start: &start, follow, resolve: 0, creds: by_name.then_some(&creds) };
    let r = t.vfs().resolve_with(&lk, &path)?;
    allowed(&r.stat()?, r.inode_flags())?;
    t.vfs().set_meta(&lk, &path, change)?;
    Ok(0)
}

fn do_chmod(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32, flags: i32) -> SysResult {
    let tgt = target(t, dirfd, path_addr, flags)?;
    let c = t.fs_creds();
    let change = MetaChange { mode: Some(mode & 0o7777), ..Default::default() };
    apply(t, tgt, &change, |st, iflags| {
        // Linux's notify_change: an immutable or append-only file keeps its
        // mode, owner and times.
        if attr::frozen(iflags) {
            return Err(Errno::EPERM);
        }
        if !c.root_over_file(st) && st.uid != c.euid {
            return Err(Errno::EPERM);
        }
        if st.is_symlink() {
            return Err(Errno::EOPNOTSUPP);
        }
        Ok(())
    })
}

/// Implements chmod(2).
pub fn chmod(t: &mut Task, a: &Args) -> SysResult {
    if a[0] == 0 {
        return Err(Errno::EFAULT);
    }
    do_chmod(t, libc::AT_FDCWD, a[0], a[1] as u32, 0)
}

/// Implements fchmod(2).
pub fn fchmod(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    do_chmod(t, a[0] as i32, 0, a[1] as u32, libc::AT_EMPTY_PATH)
}

/// Implements fchmodat(2) (no flags, as the syscall has none).
pub fn fchmodat(t: &mut Task, a: &Args) -> SysResult {
    if a[1] == 0 {
        return Err(Errno::EFAULT);
    }
    do_chmod(t, a[0] as i32, a[1], a[2] as u32, 0)
}

/// Implements fchmodat2(2).
pub fn fchmodat2(t: &mut Task, a: &Args) -> SysResult {
    let flags = a[3] as i32;
    if flags & !(libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    do_chmod(t, a[0] as i32, a[1], a[2] as u32, flags)
}

fn do_chown(t: &mut Task, dirfd: i32, path_addr: u64, uid: u32, gid: u32, flags: i32) -> SysResult {
    if flags & !(libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let c = t.fs_creds();
    // Ids of the caller's user namespace: EINVAL where it maps none.
    let uid = (uid != u32::MAX).then(|| c.user_ns.uid_to_kernel(uid).ok_or(Errno::EINVAL)).transpose()?;
    let gid = (gid != u32::MAX).then(|| c.user_ns.gid_to_kernel(gid).ok_or(Errno::EINVAL)).transpose()?;
    let tgt = target(t, dirfd, path_addr, flags)?;
    let mut change = MetaChange { uid, gid, ..Default::default() };
    let mut clear_suid = None;
    apply(t, tgt.clone(), &MetaChange::default(), |st, iflags| {
        if (uid.is_some() || gid.is_some()) && attr::frozen(iflags) {
            return Err(Errno::EPERM);
        }
        if !c.root_over_file(st) {
            // Only root gives files away; an owner may change the group to
            // one of its own.
            let uid_ok = uid.is_none_or(|u| u == st.uid);
            let gid_ok = gid.is_none_or(|g| g == st.gid || g == c.egid || c.groups.contains(&g));
            if st.uid != c.euid || !uid_ok || !gid_ok {
                return Err(Errno::EPERM);
            }
        }
        if st.is_regular() && (uid.is_some() || gid.is_some()) && st.mode & 0o6000 != 0 {
            clear_suid = Some(st.mode & 0o7777 & !0o6000);
        }
        Ok(())
    })?;
    change.mode = clear_suid;
    apply(t, tgt, &change, |_, _| Ok(()))
}

/// Implements chown(2).
pub fn chown(t: &mut Task, a: &Args) -> SysResult {
    do_chown(t, libc::AT_FDCWD, a[0], a[1] as u32, a[2] as u32, 0)
}

/// Implements lchown(2).
pub fn lchown(t: &mut Task, a: &Args) -> SysResult {
    do_chown(t, libc::AT_FDCWD, a[0], a[1] as u32, a[2] as u32, libc::AT_SYMLINK_NOFOLLOW)
}

/// Implements fchown(2).
pub fn fchown(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    do_chown(t, a[0] as i32, 0, a[1] as u32, a[2] as u32, libc::AT_EMPTY_PATH)
}

/// Implements fchownat(2).
pub fn fchownat(t: &mut Task, a: &Args) -> SysResult {
    do_chown(t, a[0] as i32, a[1], a[2] as u32, a[3] as u32, a[4] as i32)
}

const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

/// Sets times; `times` is (atime, mtime), `None` meaning "now" for both.
fn set_times(t: &mut Task, dirfd: i32, path_addr: u64, times: Option<[(i64, i64); 2]>, flags: i32) -> SysResult {
    if flags & !(libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let now = crate::kernel::vfs::stat::now();
    // Both "now" is a touch (ATTR_TOUCH), which an immutable file refuses.
    let touch = times.is_none_or(|v| v.iter().all(|&(_, n)| n == UTIME_NOW));
    let (atime, mtime, explicit) = match times {
        None => (Some(now), Some(now), false),
        Some(v) => {
            for (_, n) in v {
                if n != UTIME_NOW && n != UTIME_OMIT && !(0..1_000_000_000).contains(&n) {
                    return Err(Errno::EINVAL);
                }
            }
            let pick = |(s, n): (i64, i64)| match n {
                UTIME_OMIT => None,
                UTIME_NOW => Some(now),
                _ => Some((s, n)),
            };
            let explicit = v.iter().any(|&(_, n)| n != UTIME_NOW && n != UTIME_OMIT);
            (pick(v[0]), pick(v[1]), explicit)
        }
    };
    if atime.is_none() && mtime.is_none() {
        return Ok(0);
    }
    // A NULL path means the file `dirfd` refers to (futimens).
    if path_addr == 0 && dirfd == libc::AT_FDCWD {
        return Err(Errno::EFAULT);
    }
    let flags = if path_addr == 0 { flags | libc::AT_EMPTY_PATH } else { flags };
    let tgt = target(t, dirfd, path_addr, flags)?;
    let c = t.fs_creds();
    let change = MetaChange { atime, mtime, ..Default::default() };
    let may_write = |st: &crate::kernel::vfs::stat::Stat| c.may_access(st, 2, true);
    apply(t, tgt, &change, |st, iflags| {
        if (explicit && attr::frozen(iflags)) || (touch && attr::immutable(iflags)) {
            return Err(Errno::EPERM);
        }
        if c.root_over_file(st) || st.uid == c.euid {
            return Ok(());
        }
        // Others may only set "now", and need write permission for it.
        if explicit {
            return Err(Errno::EPERM);
        }
        if may_write(st) {
            Ok(())
        } else {
            Err(Errno::EACCES)
        }
    })
}

fn read_timespecs(t: &Task, addr: u64) -> Result<Option<[(i64, i64); 2]>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let mut v = [(0i64, 0i64); 2];
    for (i, slot) in v.iter_mut().enumerate() {
        let sec = t.mem().read_u64(addr + i as u64 * 16)? as i64;
        let nsec = t.mem().read_u64(addr + i as u64 * 16 + 8)? as i64;
        *slot = (sec, nsec);
    }
    Ok(Some(v))
}

/// Implements utimensat(2).
pub fn utimensat(t: &mut Task, a: &Args) -> SysResult {
    let times = read_timespecs(t, a[2])?;
    set_times(t, a[0] as i32, a[1], times, a[3] as i32)
}

/// Reads a `struct timeval[2]` as timespecs.
fn read_timevals(t: &Task, addr: u64) -> Result<Option<[(i64, i64); 2]>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let mut v = [(0i64, 0i64); 2];
    for (i, slot) in v.iter_mut().enumerate() {
        let sec = t.mem().read_u64(addr + i as u64 * 16)? as i64;
        let usec = t.mem().read_u64(addr + i as u64 * 16 + 8)? as i64;
        if !(0..1_000_000).contains(&usec) {
            return Err(Errno::EINVAL);
        }
        *slot = (sec, usec * 1000);
    }
    Ok(Some(v))
}

/// Implements utimes(2).
pub fn utimes(t: &mut Task, a: &Args) -> SysResult {
    let times = read_timevals(t, a[1])?;
    set_times(t, libc::AT_FDCWD, a[0], times, 0)
}

/// Implements futimesat(2).
pub fn futimesat(t: &mut Task, a: &Args) -> SysResult {
    let times = read_timevals(t, a[2])?;
    set_times(t, a[0] as i32, a[1], times, 0)
}

/// Implements utime(2) (`struct utimbuf`: two seconds values).
pub fn utime(t: &mut Task, a: &Args) -> SysResult {
    let times = if a[1] == 0 {
        None
    } else {
        let at = t.mem().read_u64(a[1])? as i64;
        let mt = t.mem().read_u64(a[1] + 8)? as i64;
        Some([(at, 0), (mt, 0)])
    };
    set_times(t, libc::AT_FDCWD, a[0], times, 0)
}
