//! Calls that name files by path: open, stat, access, readlink, getcwd,
//! chdir, mkdir, unlink, rmdir, symlink.

use std::sync::Arc;

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::vfs::stat::Stat;

/// Open flags Linux accepts (unknown bits are ignored by open(2), as there).
const VALID_OPEN: i32 = libc::O_ACCMODE
    | libc::O_CREAT
    | libc::O_EXCL
    | libc::O_NOCTTY
    | libc::O_TRUNC
    | libc::O_APPEND
    | libc::O_NONBLOCK
    | libc::O_DSYNC
    | libc::O_ASYNC
    | libc::O_DIRECT
    | libc::O_LARGEFILE
    | libc::O_DIRECTORY
    | libc::O_NOFOLLOW
    | libc::O_NOATIME
    | libc::O_CLOEXEC
    | libc::O_SYNC
    | libc::O_PATH
    | libc::O_TMPFILE;

/// The shared body of open(2), openat(2) and creat(2).
fn do_open(t: &mut Task, dirfd: i32, path_addr: u64, flags: i32, mode: u32) -> SysResult {
    let path = t.read_path(path_addr)?;
    let mut flags = flags & VALID_OPEN;
    if flags & libc::O_PATH != 0 {
        // O_PATH keeps only these flags.
        flags &= libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    }
    let dir = t.dir_for(dirfd, &path)?;
    let umask = t.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).umask;
    let file = t.kernel.vfs.open(
        &dir,
        &path,
        (flags | libc::O_LARGEFILE) as u32,
        mode & 0o7777 & !umask,
    )?;
    let limit = t.rlimit(libc::RLIMIT_NOFILE as u32) as usize;
    let fd =
        t.tg.fds
            .install(Arc::new(file), flags & libc::O_CLOEXEC != 0, 0, limit)?;
    Ok(fd as u64)
}

/// Implements open(2).
pub fn open(t: &mut Task, a: &Args) -> SysResult {
    do_open(t, libc::AT_FDCWD, a[0], a[1] as i32, a[2] as u32)
}

/// Implements openat(2).
pub fn openat(t: &mut Task, a: &Args) -> SysResult {
    do_open(t, a[0] as i32, a[1], a[2] as i32, a[3] as u32)
}

/// Implements creat(2).
pub fn creat(t: &mut Task, a: &Args) -> SysResult {
    do_open(
        t,
        libc::AT_FDCWD,
        a[0],
        libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC,
        a[1] as u32,
    )
}

/// Resolves a `*at` target to its metadata, honouring AT_EMPTY_PATH and
/// AT_SYMLINK_NOFOLLOW.
fn stat_at(t: &Task, dirfd: i32, path_addr: u64, flags: i32) -> Result<Stat, Errno> {
    let path = t.read_path(path_addr)?;
    if path.is_empty() {
        if flags & libc::AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        if dirfd == libc::AT_FDCWD {
            return t.kernel.vfs.stat(b"/", &t.cwd(), true);
        }
        return t.file(dirfd)?.ops.stat();
    }
    let dir = t.dir_for(dirfd, &path)?;
    t.kernel
        .vfs
        .stat(&dir, &path, flags & libc::AT_SYMLINK_NOFOLLOW == 0)
}

/// Implements stat(2).
pub fn stat(t: &mut Task, a: &Args) -> SysResult {
    let s = stat_at(t, libc::AT_FDCWD, a[0], 0)?;
    t.mem().write_bytes(a[1], &s.to_linux_stat())?;
    Ok(0)
}

/// Implements lstat(2).
pub fn lstat(t: &mut Task, a: &Args) -> SysResult {
    let s = stat_at(t, libc::AT_FDCWD, a[0], libc::AT_SYMLINK_NOFOLLOW)?;
    t.mem().write_bytes(a[1], &s.to_linux_stat())?;
    Ok(0)
}

/// Implements fstat(2).
pub fn fstat(t: &mut Task, a: &Args) -> SysResult {
    let s = t.file(a[0] as i32)?.ops.stat()?;
    t.mem().write_bytes(a[1], &s.to_linux_stat())?;
    Ok(0)
}

/// Implements newfstatat(2).
pub fn newfstatat(t: &mut Task, a: &Args) -> SysResult {
    let flags = a[3] as i32;
    if flags & !(libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH | libc::AT_NO_AUTOMOUNT) != 0 {
        return Err(Errno::EINVAL);
    }
    let s = stat_at(t, a[0] as i32, a[1], flags)?;
    t.mem().write_bytes(a[2], &s.to_linux_stat())?;
    Ok(0)
}

/// Implements statx(2). Every flag Linux accepts is accepted, including
/// AT_NO_AUTOMOUNT and the sync-type bits, which change nothing here.
pub fn statx(t: &mut Task, a: &Args) -> SysResult {
    let flags = a[2] as i32;
    let known = libc::AT_SYMLINK_NOFOLLOW
        | libc::AT_EMPTY_PATH
        | libc::AT_NO_AUTOMOUNT
        | libc::AT_STATX_SYNC_TYPE;
    if flags & !known != 0 || flags & libc::AT_STATX_SYNC_TYPE == libc::AT_STATX_SYNC_TYPE {
        return Err(Errno::EINVAL);
    }
    if a[3] as u32 & 0x8000_0000 != 0 {
        return Err(Errno::EINVAL); // STATX__RESERVED
    }
    let s = stat_at(t, a[0] as i32, a[1], flags)?;
    t.mem().write_bytes(a[4], &s.to_statx())?;
    Ok(0)
}

/// Whether the caller's credentials grant `mode` on a file.
pub fn permitted(t: &Task, s: &Stat, mode: u32, effective: bool) -> bool {
    t.tg.creds
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .may_access(s, mode, effective)
}

fn do_access(t: &mut Task, dirfd: i32, path_addr: u64, mode: u64, flags: i32) -> SysResult {
    if mode & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & !(libc::AT_EACCESS | libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let s = stat_at(t, dirfd, path_addr, flags)?;
    if permitted(t, &s, mode as u32, flags & libc::AT_EACCESS != 0) {
        Ok(0)
    } else {
        Err(Errno::EACCES)
    }
}

/// Implements access(2).
pub fn access(t: &mut Task, a: &Args) -> SysResult {
    do_access(t, libc::AT_FDCWD, a[0], a[1], 0)
}

/// Implements faccessat(2) (no flags argument).
pub fn faccessat(t: &mut Task, a: &Args) -> SysResult {
    do_access(t, a[0] as i32, a[1], a[2], 0)
}

/// Implements faccessat2(2).
pub fn faccessat2(t: &mut Task, a: &Args) -> SysResult {
    do_access(t, a[0] as i32, a[1], a[2], a[3] as i32)
}

/// Implements getcwd(2).
pub fn getcwd(t: &mut Task, a: &Args) -> SysResult {
    let mut cwd = t.cwd();
    cwd.push(0);
    if (a[1] as usize) < cwd.len() {
        return Err(Errno::ERANGE);
    }
    t.mem().write_bytes(a[0], &cwd)?;
    Ok(cwd.len() as u64)
}

fn set_cwd(t: &Task, path: Vec<u8>, s: &Stat) -> SysResult {
    if !s.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if !permitted(t, s, 1, true) {
        return Err(Errno::EACCES);
    }
    t.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).cwd = path;
    Ok(0)
}

/// Implements chdir(2).
pub fn chdir(t: &mut Task, a: &Args) -> SysResult {
    let path = t.read_path(a[0])?;
    let r = t.kernel.vfs.resolve(&t.cwd(), &path, true)?;
    let node = r.node.ok_or(Errno::ENOENT)?;
    let s = t.kernel.vfs.stat_node(&r.path, &node)?;
    set_cwd(t, r.path, &s)
}

/// Implements fchdir(2).
pub fn fchdir(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    let s = f.ops.stat()?;
    set_cwd(t, f.path.clone(), &s)
}

fn do_readlink(t: &mut Task, dirfd: i32, path_addr: u64, buf: u64, size: u64) -> SysResult {
    if (size as i64) <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = t.read_path(path_addr)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let dir = t.dir_for(dirfd, &path)?;
    let target = t.kernel.vfs.readlink(&dir, &path)?;
    let n = target.len().min(size.min(i32::MAX as u64) as usize);
    t.mem().write_bytes(buf, &target[..n])?;
    Ok(n as u64)
}

/// Implements readlink(2).
pub fn readlink(t: &mut Task, a: &Args) -> SysResult {
    do_readlink(t, libc::AT_FDCWD, a[0], a[1], a[2])
}

/// Implements readlinkat(2).
pub fn readlinkat(t: &mut Task, a: &Args) -> SysResult {
    do_readlink(t, a[0] as i32, a[1], a[2], a[3])
}

fn do_mkdir(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32) -> SysResult {
    let path = t.read_path(path_addr)?;
    let dir = t.dir_for(dirfd, &path)?;
    let umask = t.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).umask;
    t.kernel
        .vfs
        .mkdir(&dir, &path, mode & 0o7777 & !umask)
        .map(|_| 0)
}

/// Implements mkdir(2).
pub fn mkdir(t: &mut Task, a: &Args) -> SysResult {
    do_mkdir(t, libc::AT_FDCWD, a[0], a[1] as u32)
}

/// Implements mkdirat(2).
pub fn mkdirat(t: &mut Task, a: &Args) -> SysResult {
    do_mkdir(t, a[0] as i32, a[1], a[2] as u32)
}

fn do_remove(t: &mut Task, dirfd: i32, path_addr: u64, dir: bool) -> SysResult {
    let path = t.read_path(path_addr)?;
    let start = t.dir_for(dirfd, &path)?;
    if dir && matches!(crate::kernel::vfs::components(&path).last(), Some(b".")) {
        return Err(Errno::EINVAL);
    }
    t.kernel.vfs.remove(&start, &path, dir).map(|_| 0)
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
    let path = t.read_path(path_addr)?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    let dir = t.dir_for(dirfd, &path)?;
    t.kernel.vfs.symlink(&dir, &target, &path).map(|_| 0)
}

/// Implements symlink(2).
pub fn symlink(t: &mut Task, a: &Args) -> SysResult {
    do_symlink(t, a[0], libc::AT_FDCWD, a[1])
}

/// Implements symlinkat(2).
pub fn symlinkat(t: &mut Task, a: &Args) -> SysResult {
    do_symlink(t, a[0], a[1] as i32, a[2])
}

/// Implements truncate(2).
pub fn truncate(t: &mut Task, a: &Args) -> SysResult {
    if (a[1] as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let path = t.read_path(a[0])?;
    let s = t.kernel.vfs.stat(&t.cwd(), &path, true)?;
    if s.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !s.is_regular() {
        return Err(Errno::EINVAL);
    }
    if !permitted(t, &s, 2, true) {
        return Err(Errno::EACCES);
    }
    let f = t
        .kernel
        .vfs
        .open(&t.cwd(), &path, libc::O_WRONLY as u32, 0)?;
    f.ops.truncate(a[1]).map(|_| 0)
}
