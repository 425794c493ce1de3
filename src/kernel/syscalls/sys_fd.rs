//! Calls on descriptors themselves: close, dup, fcntl, ioctl, getdents.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use std::sync::Arc;

use crate::kernel::task::Task;
use crate::kernel::vfs::file::OpenFile;

fn nofile(t: &Task) -> usize {
    t.rlimit(libc::RLIMIT_NOFILE) as usize
}

/// Implements close(2).
pub fn close(t: &mut Task, a: &Args) -> SysResult {
    t.tg.fds.remove(a[0] as i32).map(|_| 0)
}

/// Implements close_range(2).
pub fn close_range(t: &mut Task, a: &Args) -> SysResult {
    const CLOSE_RANGE_UNSHARE: u64 = 2;
    const CLOSE_RANGE_CLOEXEC: u64 = 4;
    let (first, last, flags) = (a[0] as u32, a[1] as u32, a[2]);
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    // A table shared with another process cannot be split off here (as
    // for unshare(CLONE_FILES)).
    if flags & CLOSE_RANGE_UNSHARE != 0 && std::sync::Arc::strong_count(&t.tg.fds) > 1 {
        return Err(Errno::EINVAL);
    }
    t.tg.fds.close_range(first, last, flags & CLOSE_RANGE_CLOEXEC != 0);
    Ok(0)
}

/// Implements dup(2).
pub fn dup(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    t.tg.fds.install(f, false, 0, nofile(t)).map(|fd| fd as u64)
}

/// Implements dup2(2).
pub fn dup2(t: &mut Task, a: &Args) -> SysResult {
    let (old, new) = (a[0] as i32, a[1] as i32);
    let f = t.file(old)?;
    if old == new {
        return Ok(new as u64);
    }
    t.tg.fds.install_at(new, f, false, nofile(t)).map(|_| new as u64)
}

/// Implements dup3(2).
pub fn dup3(t: &mut Task, a: &Args) -> SysResult {
    let (old, new, flags) = (a[0] as i32, a[1] as i32, a[2] as i32);
    if flags & !libc::O_CLOEXEC != 0 || old == new {
        return Err(Errno::EINVAL);
    }
    let f = t.file(old)?;
    t.tg.fds.install_at(new, f, flags & libc::O_CLOEXEC != 0, nofile(t)).map(|_| new as u64)
}

/// Implements fcntl(2). Record locks are served by `sys_lock`.
pub fn fcntl(t: &mut Task, a: &Args) -> SysResult {
    let fd = a[0] as i32;
    let entry = t.tg.fds.entry(fd)?;
    match a[1] as i32 {
        libc::F_DUPFD | libc::F_DUPFD_CLOEXEC => {
            let min = a[2] as i64;
            if min < 0 || min as usize >= nofile(t) {
                return Err(Errno::EINVAL);
            }
            let cloexec = a[1] as i32 == libc::F_DUPFD_CLOEXEC;
            t.tg.fds.install(entry.file, cloexec, min as usize, nofile(t)).map(|fd| fd as u64)
        }
        libc::F_GETFD => Ok(if entry.cloexec { libc::FD_CLOEXEC as u64 } else { 0 }),
        libc::F_SETFD => t.tg.fds.set_cloexec(fd, a[2] & libc::FD_CLOEXEC as u64 != 0).map(|_| 0),
        libc::F_GETFL => Ok(entry.file.flags() as u64),
        libc::F_SETFL => {
            if entry.file.is_path_only() {
                return Err(Errno::EBADF);
            }
            // An append-only file's descriptors keep O_APPEND as they have it.
            let append = libc::O_APPEND as u32;
            if (a[2] as u32 ^ entry.file.flags()) & append != 0
                && crate::kernel::vfs::attr::append_only(entry.file.ops.inode_flags().unwrap_or(0))
            {
                return Err(Errno::EPERM);
            }
            // Linux calls the file's fasync only when O_ASYNC changes; a
            // kind without it just keeps the flag (regular files).
            let on = a[2] as u32 & libc::O_ASYNC as u32 != 0;
            if on != (entry.file.flags() & libc::O_ASYNC as u32 != 0) {
                crate::kernel::signal::fasync::set(t, fd, &entry.file, on);
            }
            entry.file.set_flags(a[2] as u32);
            Ok(0)
        }
        libc::F_GETPIPE_SZ => entry.file.ops.pipe_size(None),
        // Seals exist on memfds only (hook for memfd_create, kernel/event/memfd.rs).
        libc::F_ADD_SEALS | libc::F_GET_SEALS => {
            crate::kernel::event::memfd::fcntl_seals(&entry.file, a[1] as i32, a[2])
        }
        libc::F_SETPIPE_SZ => entry.file.ops.pipe_size(Some(a[2] as u32 as u64)),
        cmd @ (libc::F_GETLK
        | libc::F_SETLK
        | libc::F_SETLKW
        | super::sys_lock::F_OFD_GETLK
        | super::sys_lock::F_OFD_SETLK
        | super::sys_lock::F_OFD_SETLKW) => super::sys_lock::fcntl_lock(t, &entry.file, cmd, a[2]),
        cmd @ (libc::F_GETOWN | libc::F_SETOWN | F_GETOWN_EX | F_SETOWN_EX | F_GETSIG | F_SETSIG) => {
            owner(t, &entry.file, cmd, a[2])
        }
        libc::F_NOTIFY => crate::kernel::vfs::dnotify::fcntl_notify(t, fd, &entry.file, a[2] as u32),
        libc::F_GETLEASE => Ok(libc::F_UNLCK as u64),
        libc::F_SETLEASE => Err(Errno::EAGAIN),
        _ => Err(Errno::EINVAL),
    }
}

const F_SETSIG: i32 = 10;
const F_GETSIG: i32 = 11;
const F_SETOWN_EX: i32 = 15;
const F_GETOWN_EX: i32 = 16;

/// fcntl's owner commands. The owner is kept by its ids and shown in the
/// caller's PID namespace (0 if it does not show there); naming one takes
/// a pid or process group of that namespace (ESRCH otherwise). O_ASYNC
/// I/O (`signal/fasync.rs`) and dnotify signal the owner; the setter's ids
/// are kept for the permission check (`signal/sigio.rs`).
fn owner(t: &Task, f: &OpenFile, cmd: i32, arg: u64) -> SysResult {
    use crate::kernel::vfs::file::{FileOwner, F_OWNER_PGRP, F_OWNER_PID, F_OWNER_TID};
    let ns = t.pidns().clone();
    let creds = t.creds();
    let find = |nr: i32| -> Result<Option<Arc<crate::kernel::ns::Pid>>, Errno> {
        match nr {
            0 => Ok(None),
            n => ns.find(n).map(Some).ok_or(Errno::ESRCH),
        }
    };
    let mut o = f.owner.lock().unwrap_or_else(|e| e.into_inner());
    let shown = |o: &FileOwner| o.pid.as_ref().map_or(0, |p| p.nr_in(&ns));
    match cmd {
        libc::F_GETOWN => {
            let nr = shown(&o);
            Ok((if o.kind == F_OWNER_PGRP { -nr } else { nr }) as i64 as u64)
        }
        libc::F_SETOWN => {
            let who = arg as i32;
            if who == i32::MIN {
                return Err(Errno::EINVAL);
            }
            let pid = find(who.abs())?;
            o.kind = if who < 0 { F_OWNER_PGRP } else { F_OWNER_PID };
            o.pid = pid;
            if o.pid.is_some() {
                (o.uid, o.euid) = (creds.ruid, creds.euid);
            }
            Ok(0)
        }
        F_GETOWN_EX => {
            let mut b = [0u8; 8];
            b[..4].copy_from_slice(&o.kind.to_ne_bytes());
            b[4..].copy_from_slice(&shown(&o).to_ne_bytes());
            drop(o);
            t.mem().write_bytes(arg, &b)?;
            Ok(0)
        }
        F_SETOWN_EX => {
            drop(o);
            let mut b = [0u8; 8];
            t.mem().read_bytes(arg, &mut b)?;
            let kind = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            let nr = i32::from_ne_bytes([b[4], b[5], b[6], b[7]]);
            if ![F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP].contains(&kind) {
                return Err(Errno::EINVAL);
            }
            let pid = if nr < 0 { return Err(Errno::ESRCH) } else { find(nr)? };
            let mut o = f.owner.lock().unwrap_or_else(|e| e.into_inner());
            o.kind = kind;
            o.pid = pid;
            if o.pid.is_some() {
                (o.uid, o.euid) = (creds.ruid, creds.euid);
            }
            Ok(0)
        }
        F_GETSIG => Ok(o.sig as u64),
        _ => {
            // F_SETSIG: any valid signal, or 0 for SIGIO.
            if arg > crate::kernel::signal::NSIG as u64 {
                return Err(Errno::EINVAL);
            }
            o.sig = arg as i32;
            Ok(0)
        }
    }
}

fn do_pipe2(t: &mut Task, addr: u64, flags: i32) -> SysResult {
    // O_NOTIFICATION_PIPE (watch queues) is not served.
    if flags & !(libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_DIRECT) != 0 {
        return Err(Errno::EINVAL);
    }
    let (r, w) = crate::kernel::pipe::new_pipe()?;
    let name = r.name();
    let status = (flags & libc::O_NONBLOCK) as u32;
    // Packet mode is the write end's, as Linux's create_pipe_files gives it.
    let packet = (flags & libc::O_DIRECT) as u32;
    let rf = Arc::new(OpenFile::new(Box::new(r), name.clone(), libc::O_RDONLY as u32 | status));
    let wf = Arc::new(OpenFile::new(Box::new(w), name, libc::O_WRONLY as u32 | status | packet));
    let cloexec = flags & libc::O_CLOEXEC != 0;
    let rfd = t.tg.fds.install(rf, cloexec, 0, nofile(t))?;
    let wfd = match t.tg.fds.install(wf, cloexec, 0, nofile(t)) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = t.tg.fds.remove(rfd);
            return Err(e);
        }
    };
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&rfd.to_ne_bytes());
    b[4..].copy_from_slice(&wfd.to_ne_bytes());
    if let Err(e) = t.mem().write_bytes(addr, &b) {
        let _ = t.tg.fds.remove(rfd);
        let _ = t.tg.fds.remove(wfd);
        return Err(e);
    }
    Ok(0)
}

/// Implements pipe(2).
pub fn pipe(t: &mut Task, a: &Args) -> SysResult {
    do_pipe2(t, a[0], 0)
}

/// Implements pipe2(2).
pub fn pipe2(t: &mut Task, a: &Args) -> SysResult {
    do_pipe2(t, a[0], a[1] as i32)
}

/// Implements ioctl(2): the generic requests here, the rest by the file.
pub fn ioctl(t: &mut Task, a: &Args) -> SysResult {
    let fd = a[0] as i32;
    let f = t.file(fd)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    match a[1] as u32 as u64 {
        libc::FIOCLEX => t.tg.fds.set_cloexec(fd, true).map(|_| 0),
        libc::FIONCLEX => t.tg.fds.set_cloexec(fd, false).map(|_| 0),
        libc::FIONBIO => {
            let on = t.mem().read_u32(a[2])? != 0;
            let fl = f.flags();
            let nb = libc::O_NONBLOCK as u32;
            f.set_flags(if on { fl | nb } else { fl & !nb });
            Ok(0)
        }
        libc::FIOASYNC => {
            let on = t.mem().read_u32(a[2])? != 0;
            crate::kernel::signal::fasync::fioasync(t, fd, &f, on).map(|_| 0)
        }
        req @ (super::sys_fsattr::FS_IOC_GETFLAGS
        | super::sys_fsattr::FS_IOC_SETFLAGS
        | super::sys_fsattr::FS_IOC_FSGETXATTR
        | super::sys_fsattr::FS_IOC_FSSETXATTR) => match super::sys_fsattr::ioctl(t, &f, req, a[2]) {
            Some(r) => r,
            None => f.ops.ioctl(req, a[2], &t.mem()),
        },
        req => match super::sys_fileioctl::ioctl(t, &f, req, a[2]) {
            Some(r) => r,
            None => f.ops.ioctl(req, a[2], &t.mem()),
        },
    }
}

/// The record format of a getdents call.
#[derive(Clone, Copy)]
enum Dirent {
    /// `struct linux_dirent64`: ino, off, reclen, type, name.
    Long,
    /// The old `struct linux_dirent`: ino, off, reclen, name, and the type
    /// in the record's last byte.
    Old,
}

impl Dirent {
    fn reclen(self, name: &[u8]) -> usize {
        match self {
            Dirent::Long => (19 + name.len() + 1).next_multiple_of(8),
            Dirent::Old => (18 + name.len() + 2).next_multiple_of(8),
        }
    }

    /// Appends the record of `e`, whose next entry is at index `next`.
    fn encode(self, e: &crate::kernel::vfs::file::DirEntry, next: u64, out: &mut Vec<u8>) {
        let reclen = self.reclen(&e.name);
        let start = out.len();
        out.extend_from_slice(&e.ino.to_ne_bytes());
        out.extend_from_slice(&next.to_ne_bytes());
        out.extend_from_slice(&(reclen as u16).to_ne_bytes());
        if let Dirent::Long = self {
            out.push(e.kind);
        }
        out.extend_from_slice(&e.name);
        out.resize(start + reclen, 0);
        if let Dirent::Old = self {
            out[start + reclen - 1] = e.kind;
        }
    }
}

/// getdents and getdents64: as many whole records as fit in the buffer;
/// EINVAL when not even the first does.
fn getdents_as(t: &mut Task, a: &Args, format: Dirent) -> SysResult {
    let f = t.file(a[0] as i32)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let cap = (a[2] as u32) as usize;
    let pos = f.position();
    let entries = f.ops.readdir_from(pos)?;
    // Linux's iterate_dir reports every listing, even one at the end.
    crate::kernel::vfs::notify::file_event(&f, crate::kernel::vfs::notify::IN_ACCESS);
    let mut out = Vec::with_capacity(cap.min(1 << 16));
    let mut used = 0u64;
    for e in entries.iter() {
        if out.len() + format.reclen(&e.name) > cap {
            break;
        }
        // d_off: where the next entry starts (the index after this one).
        format.encode(e, pos + used + 1, &mut out);
        used += 1;
    }
    if used == 0 && !entries.is_empty() {
        return Err(Errno::EINVAL);
    }
    t.mem().write_bytes(a[1], &out)?;
    f.set_position(pos + used);
    Ok(out.len() as u64)
}

/// Implements getdents64(2).
pub fn getdents64(t: &mut Task, a: &Args) -> SysResult {
    getdents_as(t, a, Dirent::Long)
}

/// Implements getdents(2), the old record format.
pub fn getdents(t: &mut Task, a: &Args) -> SysResult {
    getdents_as(t, a, Dirent::Old)
}
