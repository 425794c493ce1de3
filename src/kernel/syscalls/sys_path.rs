//! Calls that look files up by path: open, openat2, stat, access,
//! readlink, getcwd, chdir, chroot, truncate, statfs.

use std::sync::Arc;

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::{Credentials, Task};
use crate::kernel::vfs::fs::StatFs;
use crate::kernel::vfs::resolve::resolve_flags as rf;
use crate::kernel::vfs::stat::Stat;
use crate::kernel::vfs::{Caller, Lookup};

/// O_LARGEFILE as the x86_64 kernel has it: libc's constant is 0 there, but open(2) sets the bit
/// on every file it opens (`force_o_largefile`), so F_GETFL and fdinfo show it.
pub(crate) const O_LARGEFILE: i32 = 0o100000;

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
    | O_LARGEFILE
    | libc::O_DIRECTORY
    | libc::O_NOFOLLOW
    | libc::O_NOATIME
    | libc::O_CLOEXEC
    | libc::O_SYNC
    | libc::O_PATH
    | libc::O_TMPFILE;

/// Flags an `O_PATH` open keeps.
const PATH_FLAGS: i32 = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;

/// Where a `*at` call looks: the caller's root, the start directory and
/// the path.
pub(super) struct At {
    pub root: Vec<u8>,
    pub start: Vec<u8>,
    pub path: Vec<u8>,
    /// The caller's credentials: the walk checks search permission.
    pub creds: Credentials,
}

impl At {
    /// The lookup, following a final symlink if `follow`.
    pub fn lookup(&self, follow: bool) -> Lookup<'_> {
        Lookup { root: &self.root, start: &self.start, follow, resolve: 0, creds: Some(&self.creds) }
    }
}

/// Reads a path argument and finds where a `*at` call starts.
pub(super) fn at(t: &Task, dirfd: i32, path_addr: u64) -> Result<At, Errno> {
    let path = t.read_path(path_addr)?;
    at_path(t, dirfd, path)
}

/// Like `at` with the path already read.
pub(super) fn at_path(t: &Task, dirfd: i32, path: Vec<u8>) -> Result<At, Errno> {
    let start = t.dir_for(dirfd, &path)?;
    Ok(At { root: t.root(), start, path, creds: t.creds() })
}

/// The caller's credentials for file permission checks (the fs ids).
pub(super) fn creds(t: &Task) -> Credentials {
    t.fs_creds()
}

/// Installs an open file as a new descriptor.
fn install(t: &Task, file: crate::kernel::vfs::file::OpenFile, cloexec: bool) -> SysResult {
    let limit = t.rlimit(libc::RLIMIT_NOFILE) as usize;
    let fd = t.tg.fds.install(Arc::new(file), cloexec, 0, limit)?;
    Ok(fd as u64)
}

fn umask(t: &Task) -> u32 {
    t.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).umask
}

/// The shared body of open(2), openat(2), creat(2) and openat2(2).
fn do_open(t: &mut Task, dirfd: i32, path: Vec<u8>, flags: i32, mode: u32, resolve: u64) -> SysResult {
    let mut flags = flags & VALID_OPEN;
    // Linux (6.4 on) refuses the pair, which once made regular files.
    if flags & (libc::O_DIRECTORY | libc::O_CREAT) == libc::O_DIRECTORY | libc::O_CREAT {
        return Err(Errno::EINVAL);
    }
    if flags & libc::O_PATH != 0 {
        flags &= PATH_FLAGS;
    } else {
        flags |= O_LARGEFILE;
    }
    let mut a = at_path(t, dirfd, path)?;
    if resolve & (rf::BENEATH | rf::IN_ROOT) != 0 {
        // Scoped lookups start at the directory even for absolute paths.
        a.start = if dirfd == libc::AT_FDCWD {
            t.cwd()
        } else {
            let f = t.file(dirfd)?;
            if !f.ops.stat()?.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            f.path.clone()
        };
    }
    let lk = Lookup { resolve, ..a.lookup(true) };
    let c = creds(t);
    let file = t.vfs().open_with(&lk, &a.path, flags as u32, mode & 0o7777 & !umask(t), Caller { creds: Some(&c) })?;
    install(t, file, flags & libc::O_CLOEXEC != 0)
}

/// Implements open(2).
pub fn open(t: &mut Task, a: &Args) -> SysResult {
    let path = t.read_path(a[0])?;
    do_open(t, libc::AT_FDCWD, path, a[1] as i32, a[2] as u32, 0)
}

/// Implements openat(2).
pub fn openat(t: &mut Task, a: &Args) -> SysResult {
    let path = t.read_path(a[1])?;
    do_open(t, a[0] as i32, path, a[2] as i32, a[3] as u32, 0)
}

/// Implements creat(2).
pub fn creat(t: &mut Task, a: &Args) -> SysResult {
    let path = t.read_path(a[0])?;
    let flags = libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC;
    do_open(t, libc::AT_FDCWD, path, flags, a[1] as u32, 0)
}

/// The size of `struct open_how` (version 0).
const OPEN_HOW_SIZE: u64 = 24;

/// Implements openat2(2): strict flag checks, RESOLVE_* restrictions of the
/// lookup; RESOLVE_CACHED is EAGAIN (there is no lookup cache to ask).
pub fn openat2(t: &mut Task, a: &Args) -> SysResult {
    let (dirfd, path_addr, how_addr, size) = (a[0] as i32, a[1], a[2], a[3]);
    if size < OPEN_HOW_SIZE {
        return Err(Errno::EINVAL);
    }
    if size > 4096 {
        return Err(Errno::E2BIG);
    }
    let mut how = vec![0u8; size as usize];
    t.mem().read_bytes(how_addr, &mut how)?;
    if how[OPEN_HOW_SIZE as usize..].iter().any(|&b| b != 0) {
        return Err(Errno::E2BIG);
    }
    let word = |i: usize| u64::from_ne_bytes(how[i * 8..i * 8 + 8].try_into().unwrap_or_default());
    let (flags, mode, resolve) = (word(0), word(1), word(2));
    if flags & !(VALID_OPEN as u64) != 0 {
        return Err(Errno::EINVAL);
    }
    let flags = flags as i32;
    let creating = flags & libc::O_CREAT != 0 || flags & libc::O_TMPFILE == libc::O_TMPFILE;
    if mode & !0o7777 != 0 || (!creating && mode != 0) {
        return Err(Errno::EINVAL);
    }
    if flags & libc::O_PATH != 0 && flags & !PATH_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    if resolve & !rf::ALL != 0 || resolve & (rf::BENEATH | rf::IN_ROOT) == rf::BENEATH | rf::IN_ROOT {
        return Err(Errno::EINVAL);
    }
    if resolve & rf::CACHED != 0 {
        if flags & (libc::O_CREAT | libc::O_TRUNC) != 0 || flags & libc::O_TMPFILE == libc::O_TMPFILE {
            return Err(Errno::EINVAL);
        }
        return Err(Errno::EAGAIN);
    }
    let path = t.read_path(path_addr)?;
    do_open(t, dirfd, path, flags, mode as u32, resolve)
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
            return t.vfs().stat(b"/", &t.cwd(), true);
        }
        return t.file(dirfd)?.ops.stat();
    }
    let a = at_path(t, dirfd, path)?;
    let lk = a.lookup(flags & libc::AT_SYMLINK_NOFOLLOW == 0);
    t.vfs().resolve_with(&lk, &a.path)?.stat()
}

/// Implements stat(2).
pub fn stat(t: &mut Task, a: &Args) -> SysResult {
    let s = stat_at(t, libc::AT_FDCWD, a[0], 0)?;
    t.mem().write_bytes(a[1], &shown(t, s).to_linux_stat())?;
    Ok(0)
}

/// Implements lstat(2).
pub fn lstat(t: &mut Task, a: &Args) -> SysResult {
    let s = stat_at(t, libc::AT_FDCWD, a[0], libc::AT_SYMLINK_NOFOLLOW)?;
    t.mem().write_bytes(a[1], &shown(t, s).to_linux_stat())?;
    Ok(0)
}

/// Implements fstat(2).
pub fn fstat(t: &mut Task, a: &Args) -> SysResult {
    let s = t.file(a[0] as i32)?.ops.stat()?;
    t.mem().write_bytes(a[1], &shown(t, s).to_linux_stat())?;
    Ok(0)
}

/// Implements newfstatat(2).
pub fn newfstatat(t: &mut Task, a: &Args) -> SysResult {
    let flags = a[3] as i32;
    if flags & !(libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH | libc::AT_NO_AUTOMOUNT) != 0 {
        return Err(Errno::EINVAL);
    }
    let s = stat_at(t, a[0] as i32, a[1], flags)?;
    t.mem().write_bytes(a[2], &shown(t, s).to_linux_stat())?;
    Ok(0)
}

/// Implements statx(2). Every flag Linux accepts is accepted, including
/// AT_NO_AUTOMOUNT and the sync-type bits, which change nothing here.
pub fn statx(t: &mut Task, a: &Args) -> SysResult {
    let flags = a[2] as i32;
    let known = libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH | libc::AT_NO_AUTOMOUNT | libc::AT_STATX_SYNC_TYPE;
    if flags & !known != 0 || flags & libc::AT_STATX_SYNC_TYPE == libc::AT_STATX_SYNC_TYPE {
        return Err(Errno::EINVAL);
    }
    if a[3] as u32 & 0x8000_0000 != 0 {
        return Err(Errno::EINVAL); // STATX__RESERVED
    }
    let (s, attributes, mask) = statx_at(t, a[0] as i32, a[1], flags)?;
    t.mem().write_bytes(a[4], &shown(t, s).to_statx(attributes, mask))?;
    Ok(0)
}

/// A file's status with its owner and group as the caller's user
/// namespace sees them (the overflow ids where it maps none).
fn shown(t: &Task, mut s: Stat) -> Stat {
    let ns = t.creds().user_ns;
    if !ns.is_initial() {
        (s.uid, s.gid) = (ns.uid_shown(s.uid), ns.gid_shown(s.gid));
    }
    s
}

/// STATX_ATTR_MOUNT_ROOT: the file is the root of a mount.
const STATX_ATTR_MOUNT_ROOT: u64 = 0x2000;
/// What the VFS knows of every file (automount, mount root, DAX), as
/// Linux's vfs_getattr_nosec and vfs_statx report in every mask.
const STATX_VFS_MASK: u64 = 0x1000 | STATX_ATTR_MOUNT_ROOT | 0x20_0000;

/// `stat_at` with statx's attributes and their mask: whether the file is a
/// mount's root, and the inode flags of file systems that keep them.
fn statx_at(t: &Task, dirfd: i32, path_addr: u64, flags: i32) -> Result<(Stat, u64, u64), Errno> {
    use crate::kernel::vfs::attr;
    let path = t.read_path(path_addr)?;
    let (st, iflags, mount_root) = if path.is_empty() && dirfd != libc::AT_FDCWD {
        if flags & libc::AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        let f = t.file(dirfd)?;
        let root = f.path.first() == Some(&b'/') && t.vfs().mount_of(&f.path).point == f.path;
        (f.ops.stat()?, f.ops.inode_flags().ok(), root)
    } else {
        let r = if path.is_empty() {
            if flags & libc::AT_EMPTY_PATH == 0 {
                return Err(Errno::ENOENT);
            }
            t.vfs().resolve(b"/", &t.cwd(), true)?
        } else {
            let a = at_path(t, dirfd, path)?;
            t.vfs().resolve_with(&a.lookup(flags & libc::AT_SYMLINK_NOFOLLOW == 0), &a.path)?
        };
        let iflags = match &r.node {
            Some(crate::kernel::vfs::fs::Node::Opened(f)) => f.ops.inode_flags().ok(),
            Some(n) => r.mount.fs.inode_flags(&r.fs_path, n).ok(),
            None => None,
        };
        (r.stat()?, iflags, r.is_mount_point())
    };
    let mut attributes = iflags.map_or(0, attr::statx_attributes);
    if mount_root {
        attributes |= STATX_ATTR_MOUNT_ROOT;
    }
    let mask = STATX_VFS_MASK | if iflags.is_some() { attr::STATX_FLAGS_MASK } else { 0 };
    Ok((st, attributes, mask))
}

/// Whether the caller's credentials grant `mode` on a file: with the fs
/// ids (`effective`), or with the real ids as access(2) checks.
pub fn permitted(t: &Task, s: &Stat, mode: u32, effective: bool) -> bool {
    if effective {
        t.fs_creds().may_access(s, mode, true)
    } else {
        t.creds().may_access(s, mode, false)
    }
}

fn do_access(t: &mut Task, dirfd: i32, path_addr: u64, mode: u64, flags: i32) -> SysResult {
    if mode & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & !(libc::AT_EACCESS | libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = t.read_path(path_addr)?;
    let st = if path.is_empty() {
        stat_at(t, dirfd, path_addr, flags)?
    } else {
        let a = at_path(t, dirfd, path)?;
        let r = t.vfs().resolve_with(&a.lookup(flags & libc::AT_SYMLINK_NOFOLLOW == 0), &a.path)?;
        let st = r.stat()?;
        if mode & 2 != 0 && r.mount.readonly() && (st.is_regular() || st.is_dir() || st.is_symlink()) {
            return Err(Errno::EROFS);
        }
        st
    };
    if permitted(t, &st, mode as u32, flags & libc::AT_EACCESS != 0) {
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

/// Implements getcwd(2): the working directory as seen from the caller's
/// root (`(unreachable)` prefixed when it lies outside, as Linux does).
pub fn getcwd(t: &mut Task, a: &Args) -> SysResult {
    let (cwd, root) = (t.cwd(), t.root());
    // A working directory that was removed has no name: ENOENT, as Linux.
    if !t.kernel.vfs.stat(b"/", &cwd, false).is_ok_and(|s| s.is_dir()) {
        return Err(Errno::ENOENT);
    }
    let mut out = if crate::kernel::vfs::path::is_within(&cwd, &root) {
        crate::kernel::vfs::path::relative_to_root(&cwd, &root).to_vec()
    } else {
        let mut v = b"(unreachable)".to_vec();
        v.extend_from_slice(&cwd);
        v
    };
    out.push(0);
    // Linux builds the name in a PATH_MAX buffer (C libraries then walk
    // `..` themselves).
    if out.len() > crate::kernel::vfs::PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if (a[1] as usize) < out.len() {
        return Err(Errno::ERANGE);
    }
    t.mem().write_bytes(a[0], &out)?;
    Ok(out.len() as u64)
}

fn check_dir(t: &Task, s: &Stat) -> Result<(), Errno> {
    if !s.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if !permitted(t, s, 1, true) {
        return Err(Errno::EACCES);
    }
    Ok(())
}

/// Implements chdir(2).
pub fn chdir(t: &mut Task, a: &Args) -> SysResult {
    let a = at(t, libc::AT_FDCWD, a[0])?;
    let r = t.vfs().resolve_with(&a.lookup(true), &a.path)?;
    check_dir(t, &r.stat()?)?;
    t.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).cwd = r.path;
    Ok(0)
}

/// Implements fchdir(2).
pub fn fchdir(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    check_dir(t, &f.ops.stat()?)?;
    t.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).cwd = f.path.clone();
    Ok(0)
}

/// Implements chroot(2): later lookups of this process (and children it
/// makes) stop at the new root; the working directory is left as is.
pub fn chroot(t: &mut Task, a: &Args) -> SysResult {
    let a = at(t, libc::AT_FDCWD, a[0])?;
    let r = t.vfs().resolve_with(&a.lookup(true), &a.path)?;
    check_dir(t, &r.stat()?)?;
    // CAP_SYS_CHROOT in the caller's own user namespace.
    if !t.creds().is_root() {
        return Err(Errno::EPERM);
    }
    t.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).root = r.path;
    Ok(0)
}

fn do_readlink(t: &mut Task, dirfd: i32, path_addr: u64, buf: u64, size: u64) -> SysResult {
    if (size as i64) <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = t.read_path(path_addr)?;
    let target = if path.is_empty() {
        // An O_PATH descriptor of a symlink (AT_EMPTY_PATH semantics).
        let f = t.file(dirfd)?;
        if !f.ops.stat()?.is_symlink() {
            return Err(Errno::ENOENT);
        }
        t.vfs().readlink(&Lookup::new(b"/", false), &f.path)?
    } else {
        let a = at_path(t, dirfd, path)?;
        t.vfs().readlink(&a.lookup(false), &a.path)?
    };
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

/// Implements truncate(2).
pub fn truncate(t: &mut Task, a: &Args) -> SysResult {
    if (a[1] as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let at = at(t, libc::AT_FDCWD, a[0])?;
    let r = t.vfs().resolve_with(&at.lookup(true), &at.path)?;
    let s = r.stat()?;
    if s.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !s.is_regular() {
        return Err(Errno::EINVAL);
    }
    let c = creds(t);
    let grow = |size| super::fsize::resize_ok(t, size, a[1]);
    t.vfs().truncate_resolved(&r, a[1], Caller { creds: Some(&c) }, grow).map(|_| 0)
}

/// `struct statfs` as x86_64 Linux lays it out (120 bytes).
fn statfs_bytes(s: &StatFs, mount_flags: u64, fsid: u64) -> [u8; 120] {
    use crate::kernel::vfs::mount::flags as mf;
    let mut flags = 0x20; // ST_VALID
    for (m, st) in [
        (mf::RDONLY, 1),
        (mf::NOSUID, 2),
        (mf::NODEV, 4),
        (mf::NOEXEC, 8),
        (mf::NOATIME, 1024),
        (mf::NODIRATIME, 2048),
        (mf::RELATIME, 4096),
    ] {
        if mount_flags & m != 0 {
            flags |= st;
        }
    }
    let words = [s.fs_type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, fsid, s.namelen, s.bsize, flags];
    let mut b = [0u8; 120];
    for (i, w) in words.iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&w.to_ne_bytes());
    }
    b
}

/// Implements statfs(2).
pub fn statfs(t: &mut Task, a: &Args) -> SysResult {
    let at = at(t, libc::AT_FDCWD, a[0])?;
    let (s, flags) = t.vfs().statfs(&at.lookup(true), &at.path)?;
    let dev = t.vfs().resolve_with(&at.lookup(true), &at.path)?.mount.dev;
    t.mem().write_bytes(a[1], &statfs_bytes(&s, flags, dev))?;
    Ok(0)
}

/// Magic numbers of the anonymous file systems.
const PIPEFS_MAGIC: u64 = 0x5049_5045;
const ANON_INODE_FS_MAGIC: u64 = 0x0904_1934;

/// Implements fstatfs(2).
pub fn fstatfs(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    let (s, flags, dev) = if f.path.first() == Some(&b'/') {
        let m = t.vfs().mount_of(&f.path);
        (m.fs.statfs(), m.flags, m.dev)
    } else {
        let magic = if f.path.starts_with(b"pipe:") { PIPEFS_MAGIC } else { ANON_INODE_FS_MAGIC };
        let s = StatFs { fs_type: magic, bsize: 4096, namelen: 255, ..Default::default() };
        (s, 0, f.ops.stat().map(|s| s.dev).unwrap_or(0))
    };
    t.mem().write_bytes(a[1], &statfs_bytes(&s, flags, dev))?;
    Ok(0)
}
