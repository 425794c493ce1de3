//! Changing files: chmod, chown, utimensat and rename families.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;

/// Where an attribute change applies: a path, or an open file.
fn target(
    t: &Task,
    dirfd: i32,
    path_addr: u64,
    flags: i32,
) -> Result<(Vec<u8>, Vec<u8>, bool), Errno> {
    let path = if path_addr == 0 {
        Vec::new()
    } else {
        t.read_path(path_addr)?
    };
    let follow = flags & libc::AT_SYMLINK_NOFOLLOW == 0;
    if path.is_empty() {
        if flags & libc::AT_EMPTY_PATH == 0 && path_addr != 0 {
            return Err(Errno::ENOENT);
        }
        if dirfd == libc::AT_FDCWD {
            return Ok((b"/".to_vec(), t.cwd(), true));
        }
        let f = t.file(dirfd)?;
        return Ok((b"/".to_vec(), f.path.clone(), true));
    }
    Ok((t.dir_for(dirfd, &path)?, path, follow))
}

fn is_owner_or_root(t: &Task, start: &[u8], path: &[u8], follow: bool) -> Result<(), Errno> {
    let euid = t.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).euid;
    if euid == 0 {
        return Ok(());
    }
    let s = t.kernel.vfs.stat(start, path, follow)?;
    if s.uid == euid {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

fn do_chmod(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32, flags: i32) -> SysResult {
    let (start, path, follow) = target(t, dirfd, path_addr, flags)?;
    is_owner_or_root(t, &start, &path, follow)?;
    t.kernel.vfs.chmod(&start, &path, follow, mode).map(|_| 0)
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
    t.file(a[0] as i32)?;
    do_chmod(t, a[0] as i32, 0, a[1] as u32, libc::AT_EMPTY_PATH)
}

/// Implements fchmodat(2) (no flags, as the syscall has none).
pub fn fchmodat(t: &mut Task, a: &Args) -> SysResult {
    if a[1] == 0 {
        return Err(Errno::EFAULT);
    }
    do_chmod(t, a[0] as i32, a[1], a[2] as u32, 0)
}

fn do_chown(t: &mut Task, dirfd: i32, path_addr: u64, uid: u32, gid: u32, flags: i32) -> SysResult {
    if flags & !(libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let (start, path, follow) = target(t, dirfd, path_addr, flags)?;
    let euid = t.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).euid;
    if euid != 0 {
        return Err(Errno::EPERM);
    }
    let uid = (uid != u32::MAX).then_some(uid);
    let gid = (gid != u32::MAX).then_some(gid);
    t.kernel
        .vfs
        .chown(&start, &path, follow, uid, gid)
        .map(|_| 0)
}

/// Implements chown(2).
pub fn chown(t: &mut Task, a: &Args) -> SysResult {
    do_chown(t, libc::AT_FDCWD, a[0], a[1] as u32, a[2] as u32, 0)
}

/// Implements lchown(2).
pub fn lchown(t: &mut Task, a: &Args) -> SysResult {
    do_chown(
        t,
        libc::AT_FDCWD,
        a[0],
        a[1] as u32,
        a[2] as u32,
        libc::AT_SYMLINK_NOFOLLOW,
    )
}

/// Implements fchown(2).
pub fn fchown(t: &mut Task, a: &Args) -> SysResult {
    t.file(a[0] as i32)?;
    do_chown(
        t,
        a[0] as i32,
        0,
        a[1] as u32,
        a[2] as u32,
        libc::AT_EMPTY_PATH,
    )
}

/// Implements fchownat(2).
pub fn fchownat(t: &mut Task, a: &Args) -> SysResult {
    do_chown(t, a[0] as i32, a[1], a[2] as u32, a[3] as u32, a[4] as i32)
}

const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

/// Implements utimensat(2).
pub fn utimensat(t: &mut Task, a: &Args) -> SysResult {
    let (dirfd, path_addr, times, flags) = (a[0] as i32, a[1], a[2], a[3] as i32);
    if flags & !(libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let now = crate::kernel::vfs::stat::now();
    let (atime, mtime) = if times == 0 {
        (Some(now), Some(now))
    } else {
        let mut v = [(0i64, 0i64); 2];
        for (i, slot) in v.iter_mut().enumerate() {
            let sec = t.mem().read_u64(times + i as u64 * 16)? as i64;
            let nsec = t.mem().read_u64(times + i as u64 * 16 + 8)? as i64;
            if nsec != UTIME_NOW && nsec != UTIME_OMIT && !(0..1_000_000_000).contains(&nsec) {
                return Err(Errno::EINVAL);
            }
            *slot = (sec, nsec);
        }
        let pick = |(s, n): (i64, i64)| match n {
            UTIME_OMIT => None,
            UTIME_NOW => Some(now),
            _ => Some((s, n)),
        };
        (pick(v[0]), pick(v[1]))
    };
    if atime.is_none() && mtime.is_none() {
        return Ok(0);
    }
    // A NULL path means the file `dirfd` refers to (futimens).
    let flags = if path_addr == 0 {
        flags | libc::AT_EMPTY_PATH
    } else {
        flags
    };
    if path_addr == 0 && dirfd == libc::AT_FDCWD {
        return Err(Errno::EFAULT);
    }
    let (start, path, follow) = target(t, dirfd, path_addr, flags)?;
    t.kernel
        .vfs
        .set_times(&start, &path, follow, atime, mtime)
        .map(|_| 0)
}

fn do_rename(
    t: &mut Task,
    olddir: i32,
    old_addr: u64,
    newdir: i32,
    new_addr: u64,
    flags: u32,
) -> SysResult {
    let old = t.read_path(old_addr)?;
    let new = t.read_path(new_addr)?;
    if old.is_empty() || new.is_empty() {
        return Err(Errno::ENOENT);
    }
    let os = t.dir_for(olddir, &old)?;
    let ns = t.dir_for(newdir, &new)?;
    t.kernel.vfs.rename(&os, &old, &ns, &new, flags).map(|_| 0)
}

/// Implements rename(2).
pub fn rename(t: &mut Task, a: &Args) -> SysResult {
    do_rename(t, libc::AT_FDCWD, a[0], libc::AT_FDCWD, a[1], 0)
}

/// Implements renameat(2).
pub fn renameat(t: &mut Task, a: &Args) -> SysResult {
    do_rename(t, a[0] as i32, a[1], a[2] as i32, a[3], 0)
}

/// Implements renameat2(2).
pub fn renameat2(t: &mut Task, a: &Args) -> SysResult {
    do_rename(t, a[0] as i32, a[1], a[2] as i32, a[3], a[4] as u32)
}
