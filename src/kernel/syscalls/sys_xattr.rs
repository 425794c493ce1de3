//! Extended attributes: get, set, list and remove, by path (following or
//! not) and by descriptor. The sandbox keeps them itself, per file
//! (`Vfs::xattrs`), for the `user.` and `trusted.` namespaces; host files
//! show none of their own. `security.` and `system.` names are not
//! supported (EOPNOTSUPP), as on a file system without them.

use super::sys_path::at;
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::vfs::stat::Stat;
use crate::kernel::vfs::{attr, notify};

const XATTR_CREATE: u64 = 1;
const XATTR_REPLACE: u64 = 2;
/// Longest value (XATTR_SIZE_MAX) and name (XATTR_NAME_MAX).
const SIZE_MAX: usize = 65536;
const NAME_MAX: usize = 255;

/// The file an xattr call names: its metadata, whether its mount is
/// read-only, its canonical path (for change notification) and whether
/// its inode flags forbid changes (immutable or append-only).
fn target(t: &Task, a: &Args, how: How) -> Result<(Stat, bool, Vec<u8>, bool), Errno> {
    match how {
        How::Fd => {
            let f = t.file(a[0] as i32)?;
            if f.is_path_only() {
                return Err(Errno::EBADF);
            }
            let ro = f.path.first() == Some(&b'/') && t.vfs().mount_of(&f.path).readonly();
            let frozen = attr::frozen(f.ops.inode_flags().unwrap_or(0));
            Ok((f.ops.stat()?, ro, f.path.clone(), frozen))
        }
        How::Path(follow) => {
            let p = at(t, libc::AT_FDCWD, a[0])?;
            let r = t.vfs().resolve_with(&p.lookup(follow), &p.path)?;
            let frozen = attr::frozen(r.inode_flags());
            Ok((r.stat()?, r.mount.readonly(), r.path, frozen))
        }
    }
}

/// An attribute changed: watchers hear IN_ATTRIB.
fn changed(st: &Stat, path: &[u8]) {
    let path = if path.first() == Some(&b'/') { path } else { b"" };
    notify::event(notify::Subject::inode(st, path), notify::IN_ATTRIB);
}

#[derive(Clone, Copy)]
enum How {
    Fd,
    Path(bool),
}

fn read_name(t: &Task, addr: u64) -> Result<Vec<u8>, Errno> {
    let name =
        t.mem().read_cstring(addr, NAME_MAX + 1).map_err(
            |e| {
                if e == Errno::ENAMETOOLONG {
                    Errno::ERANGE
                } else {
                    e
                }
            },
        )?;
    if name.is_empty() || name.len() > NAME_MAX {
        return Err(Errno::ERANGE);
    }
    let known = [&b"user."[..], b"trusted.", b"security.", b"system."];
    if !known.iter().any(|p| name.starts_with(p)) {
        return Err(Errno::EOPNOTSUPP);
    }
    if !name.starts_with(b"user.") && !name.starts_with(b"trusted.") {
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(name)
}

fn do_get(t: &mut Task, a: &Args, how: How) -> SysResult {
    let (st, _, _, _) = target(t, a, how)?;
    let name = read_name(t, a[1])?;
    if name.starts_with(b"trusted.") && !t.creds().superuser() {
        return Err(Errno::ENODATA);
    }
    let value = t.vfs().xattr_get(&st, &name).ok_or(Errno::ENODATA)?;
    let size = a[3] as usize;
    if size == 0 {
        return Ok(value.len() as u64);
    }
    if size < value.len() {
        return Err(Errno::ERANGE);
    }
    t.mem().write_bytes(a[2], &value)?;
    Ok(value.len() as u64)
}

fn do_set(t: &mut Task, a: &Args, how: How) -> SysResult {
    let (st, ro, path, frozen) = target(t, a, how)?;
    let name = read_name(t, a[1])?;
    let (size, flags) = (a[3] as usize, a[4]);
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(Errno::EINVAL);
    }
    if size > SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    let mut value = vec![0u8; size];
    t.mem().read_bytes(a[2], &mut value)?;
    if ro {
        return Err(Errno::EROFS);
    }
    // Linux's xattr_permission: an immutable or append-only file's
    // attributes stay as they are.
    if frozen {
        return Err(Errno::EPERM);
    }
    let c = t.creds();
    if name.starts_with(b"trusted.") && !c.superuser() {
        return Err(Errno::EPERM);
    }
    if name.starts_with(b"user.") {
        // User attributes live on regular files and directories only.
        if !st.is_regular() && !st.is_dir() {
            return Err(Errno::EPERM);
        }
        if !t.fs_creds().may_access(&st, 2, true) {
            return Err(Errno::EACCES);
        }
    }
    t.vfs().xattr_set(&st, &name, value, flags & XATTR_CREATE != 0, flags & XATTR_REPLACE != 0)?;
    changed(&st, &path);
    Ok(0)
}

fn do_list(t: &mut Task, a: &Args, how: How) -> SysResult {
    let (st, _, _, _) = target(t, a, how)?;
    let root = t.creds().superuser();
    let mut out = Vec::new();
    for n in t.vfs().xattr_names(&st) {
        if n.starts_with(b"trusted.") && !root {
            continue;
        }
        out.extend_from_slice(&n);
        out.push(0);
    }
    let size = a[2] as usize;
    if size == 0 {
        return Ok(out.len() as u64);
    }
    if size < out.len() {
        return Err(Errno::ERANGE);
    }
    t.mem().write_bytes(a[1], &out)?;
    Ok(out.len() as u64)
}

fn do_remove(t: &mut Task, a: &Args, how: How) -> SysResult {
    let (st, ro, path, frozen) = target(t, a, how)?;
    let name = read_name(t, a[1])?;
    if ro {
        return Err(Errno::EROFS);
    }
    // Linux's xattr_permission: an immutable or append-only file's
    // attributes stay as they are.
    if frozen {
        return Err(Errno::EPERM);
    }
    if name.starts_with(b"trusted.") && !t.creds().superuser() {
        return Err(Errno::EPERM);
    }
    t.vfs().xattr_remove(&st, &name)?;
    changed(&st, &path);
    Ok(0)
}

/// Implements getxattr(2).
pub fn getxattr(t: &mut Task, a: &Args) -> SysResult {
    do_get(t, a, How::Path(true))
}

/// Implements lgetxattr(2).
pub fn lgetxattr(t: &mut Task, a: &Args) -> SysResult {
    do_get(t, a, How::Path(false))
}

/// Implements fgetxattr(2).
pub fn fgetxattr(t: &mut Task, a: &Args) -> SysResult {
    do_get(t, a, How::Fd)
}

/// Implements setxattr(2).
pub fn setxattr(t: &mut Task, a: &Args) -> SysResult {
    do_set(t, a, How::Path(true))
}

/// Implements lsetxattr(2).
pub fn lsetxattr(t: &mut Task, a: &Args) -> SysResult {
    do_set(t, a, How::Path(false))
}

/// Implements fsetxattr(2).
pub fn fsetxattr(t: &mut Task, a: &Args) -> SysResult {
    do_set(t, a, How::Fd)
}

/// Implements listxattr(2).
pub fn listxattr(t: &mut Task, a: &Args) -> SysResult {
    do_list(t, a, How::Path(true))
}

/// Implements llistxattr(2).
pub fn llistxattr(t: &mut Task, a: &Args) -> SysResult {
    do_list(t, a, How::Path(false))
}

/// Implements flistxattr(2).
pub fn flistxattr(t: &mut Task, a: &Args) -> SysResult {
    do_list(t, a, How::Fd)
}

/// Implements removexattr(2).
pub fn removexattr(t: &mut Task, a: &Args) -> SysResult {
    do_remove(t, a, How::Path(true))
}

/// Implements lremovexattr(2).
pub fn lremovexattr(t: &mut Task, a: &Args) -> SysResult {
    do_remove(t, a, How::Path(false))
}

/// Implements fremovexattr(2).
pub fn fremovexattr(t: &mut Task, a: &Args) -> SysResult {
    do_remove(t, a, How::Fd)
}
