//! Calls that add, remove or move names: mkdir, mknod, unlink, rmdir,
//! symlink, link, rename.

use std::sync::Arc;

use super::sys_path::{at, at_path, creds};
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::task::Task;
use crate::kernel::vfs::{components, Caller, Vfs};

fn umask(t: &Task) -> u32 {
    t.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).umask
}

fn do_mkdir(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32) -> SysResult {
    let a = at(t, dirfd, path_addr)?;
    let c = creds(t);
    let mode = mode & 0o7777 & !umask(t);
    t.vfs().mkdir(&a.lookup(false), &a.path, mode, Caller { creds: Some(&c) })?;
    Ok(0)
}

/// Implements mkdir(2).
pub fn mkdir(t: &mut Task, a: &Args) -> SysResult {
    do_mkdir(t, libc::AT_FDCWD, a[0], a[1] as u32)
}

/// Implements mkdirat(2).
pub fn mkdirat(t: &mut Task, a: &Args) -> SysResult {
    do_mkdir(t, a[0] as i32, a[1], a[2] as u32)
}

/// Linux's `new_decode_dev` of mknod's device argument.
fn decode_dev(dev: u32) -> u64 {
    let major = (dev & 0xfff00) >> 8;
    let minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    crate::kernel::vfs::stat::makedev(major, minor)
}

fn do_mknod(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32, dev: u32) -> SysResult {
    let kind = mode & libc::S_IFMT;
    let kind = if kind == 0 { libc::S_IFREG } else { kind };
    match kind {
        libc::S_IFREG | libc::S_IFIFO | libc::S_IFSOCK => {}
        libc::S_IFCHR | libc::S_IFBLK => {
            // CAP_MKNOD is one of the capabilities the fs uid carries, and
            // it counts only in the initial user namespace.
            if !t.fs_creds().superuser() {
                return Err(Errno::EPERM);
            }
        }
        libc::S_IFDIR => return Err(Errno::EPERM),
        _ => return Err(Errno::EINVAL),
    }
    let a = at(t, dirfd, path_addr)?;
    let c = creds(t);
    let mode = kind | (mode & 0o7777 & !umask(t));
    t.vfs().mknod(&a.lookup(false), &a.path, mode, decode_dev(dev), Caller { creds: Some(&c) })?;
    Ok(0)
}

/// Implements mknod(2): FIFOs, sockets and regular files for anyone;
/// device nodes for root, which then open only the sentry's devices.
pub fn mknod(t: &mut Task, a: &Args) -> SysResult {
    do_mknod(t, libc::AT_FDCWD, a[0], a[1] as u32, a[2] as u32)
}

/// Implements mknodat(2).
pub fn mknodat(t: &mut Task, a: &Args) -> SysResult {
    do_mknod(t, a[0] as i32, a[1], a[2] as u32, a[3] as u32)
}

fn do_remove(t: &mut Task, dirfd: i32, path_addr: u64, dir: bool) -> SysResult {
    let a = at(t, dirfd, path_addr)?;
    if dir {
        match components(&a.path).last() {
            Some(b".") => return Err(Errno::EINVAL),
            Some(b"..") => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
    }
    let c = creds(t);
    t.vfs().remove(&a.lookup(false), &a.path, dir, Caller { creds: Some(&c) })?;
    Ok(0)
}

/// Implements unlink(2).
pub fn unlink(t: &mut Task, a: &Args) -> SysResult {
    do_remove(t, libc::AT_FDCWD, a[0], false)
}

/// Implements rmdir(2).
pub fn rmdir(t: &mut Task, a: &Args) -> SysResult {
    do_remove(t, libc::AT_FDCWD, a[0], true)
}

/// Implements unlinkat(2).
pub fn unlinkat(t: &mut Task, a: &Args) -> SysResult {
    let flags = a[2] as i32;
    if flags & !libc::AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    do_remove(t, a[0] as i32, a[1], flags & libc::AT_REMOVEDIR != 0)
}

fn do_symlink(t: &mut Task, target_addr: u64, dirfd: i32, path_addr: u64) -> SysResult {
    let target = t.read_path(target_addr)?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    let a = at(t, dirfd, path_addr)?;
    let c = creds(t);
    t.vfs().symlink(&a.lookup(false), &target, &a.path, Caller { creds: Some(&c) })?;
    Ok(0)
}

/// Implements symlink(2).
pub fn symlink(t: &mut Task, a: &Args) -> SysResult {
    do_symlink(t, a[0], libc::AT_FDCWD, a[1])
}

/// Implements symlinkat(2).
pub fn symlinkat(t: &mut Task, a: &Args) -> SysResult {
    do_symlink(t, a[0], a[1] as i32, a[2])
}

fn do_link(t: &mut Task, olddir: i32, old_addr: u64, newdir: i32, new_addr: u64, flags: i32) -> SysResult {
    if flags & !(libc::AT_SYMLINK_FOLLOW | libc::AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let old = t.read_path(old_addr)?;
    let new = at(t, newdir, new_addr)?;
    let c = creds(t);
    let who = Caller { creds: Some(&c) };
    if old.is_empty() {
        if flags & libc::AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        // linkat(fd, "", ...): the file the descriptor names.
        let f = t.file(olddir)?;
        t.vfs().link_open(&f, &new.lookup(false), &new.path, who)?;
        return Ok(0);
    }
    let old = at_path(t, olddir, old)?;
    let follow = flags & libc::AT_SYMLINK_FOLLOW != 0;
    t.vfs().link(&old.lookup(follow), &old.path, &new.lookup(false), &new.path, who)?;
    Ok(0)
}

/// Implements link(2).
pub fn link(t: &mut Task, a: &Args) -> SysResult {
    do_link(t, libc::AT_FDCWD, a[0], libc::AT_FDCWD, a[1], 0)
}

/// Implements linkat(2).
pub fn linkat(t: &mut Task, a: &Args) -> SysResult {
    do_link(t, a[0] as i32, a[1], a[2] as i32, a[3], a[4] as i32)
}

fn do_rename(t: &mut Task, olddir: i32, old_addr: u64, newdir: i32, new_addr: u64, flags: u32) -> SysResult {
    let old = at(t, olddir, old_addr)?;
    let new = at(t, newdir, new_addr)?;
    if old.path.is_empty() || new.path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let c = creds(t);
    let vfs = t.vfs();
    let moved =
        vfs.rename(&old.lookup(false), &old.path, &new.lookup(false), &new.path, flags, Caller { creds: Some(&c) })?;
    if let Some((from, to)) = moved {
        follow_moved_dirs(&t.kernel, &vfs, &from, &to, flags & crate::kernel::vfs::change::RENAME_EXCHANGE != 0);
    }
    Ok(0)
}

/// After `from` was renamed to `to` (or the two exchanged), the working and
/// root directories at or below them move along, as a dentry does in
/// Linux: a process in a renamed directory stays in it (`/bin/pwd` names
/// its new place) and never lands in a new directory made at the old name.
fn follow_moved_dirs(k: &crate::kernel::Kernel, vfs: &Arc<Vfs>, from: &[u8], to: &[u8], exchange: bool) {
    use crate::kernel::vfs::path::is_within;
    let moved = |p: &[u8]| -> Option<Vec<u8>> {
        let (old, new) = if is_within(p, from) {
            (from, to)
        } else if exchange && is_within(p, to) {
            (to, from)
        } else {
            return None;
        };
        let mut out = new.to_vec();
        out.extend_from_slice(&p[old.len()..]);
        Some(out)
    };
    // Paths name places in a mount namespace: only processes in the one
    // the rename was made in are concerned.
    let contexts: Vec<_> = k
        .procs()
        .tasks
        .values()
        .filter(|t| Arc::ptr_eq(&t.ns.lock().unwrap_or_else(|e| e.into_inner()).mnt, vfs))
        .map(|t| t.tg.fs.clone())
        .collect();
    let mut seen: Vec<*const std::sync::Mutex<crate::kernel::task::FsContext>> = Vec::new();
    for fs in contexts {
        if seen.contains(&Arc::as_ptr(&fs)) {
            continue;
        }
        seen.push(Arc::as_ptr(&fs));
        let mut ctx = fs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cwd) = moved(&ctx.cwd) {
            ctx.cwd = cwd;
        }
        if let Some(root) = moved(&ctx.root) {
            ctx.root = root;
        }
    }
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
