//! File locks: fcntl's record-lock commands (F_GETLK, F_SETLK, F_SETLKW
//! and the F_OFD_* forms) and flock(2). The locks live in `vfs::lock`.

use std::sync::Arc;

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::vfs::file::OpenFile;
use crate::kernel::vfs::lock::{self, Owner, Record};

/// fcntl commands for open file description locks.
pub const F_OFD_GETLK: i32 = 36;
pub const F_OFD_SETLK: i32 = 37;
pub const F_OFD_SETLKW: i32 = 38;

/// Decodes a `struct flock` into a lock record for `owner`.
fn read_flock(t: &Task, f: &OpenFile, addr: u64, owner: Owner, pid: i32) -> Result<Record, Errno> {
    let mut b = [0u8; 32];
    t.mem().read_bytes(addr, &mut b)?;
    let kind = i16::from_ne_bytes([b[0], b[1]]);
    let whence = i16::from_ne_bytes([b[2], b[3]]) as i32;
    let start = i64::from_ne_bytes(b[8..16].try_into().unwrap_or_default());
    let len = i64::from_ne_bytes(b[16..24].try_into().unwrap_or_default());
    let l_pid = i32::from_ne_bytes(b[24..28].try_into().unwrap_or_default());
    if matches!(owner, Owner::Ofd(_)) && l_pid != 0 {
        return Err(Errno::EINVAL);
    }
    if ![libc::F_RDLCK, libc::F_WRLCK, libc::F_UNLCK].contains(&(kind as i32)) {
        return Err(Errno::EINVAL);
    }
    let base: i64 = match whence {
        libc::SEEK_SET => 0,
        libc::SEEK_CUR => f.position() as i64,
        libc::SEEK_END => f.ops.stat()?.size as i64,
        _ => return Err(Errno::EINVAL),
    };
    let mut from = base.checked_add(start).ok_or(Errno::EOVERFLOW)?;
    let to: u64 = if len > 0 {
        let end = from.checked_add(len - 1).ok_or(Errno::EOVERFLOW)?;
        end as u64
    } else if len == 0 {
        u64::MAX
    } else {
        let end = from - 1;
        from = from.checked_add(len).ok_or(Errno::EINVAL)?;
        end as u64
    };
    if from < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(Record { owner, pid, kind, start: from as u64, end: to, seq: 0 })
}

/// Serves fcntl's lock commands on descriptor `fd`.
pub fn fcntl_lock(t: &mut Task, file: &Arc<OpenFile>, cmd: i32, arg: u64) -> SysResult {
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    let ofd = matches!(cmd, F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW);
    let owner =
        if ofd { Owner::Ofd(Arc::as_ptr(file) as usize) } else { Owner::Posix(Arc::as_ptr(&t.tg.fds) as usize) };
    // Records keep the sandbox-global pid; F_GETLK shows the caller's number.
    let pid = if ofd { -1 } else { t.tg.gpid() };
    let req = read_flock(t, file, arg, owner, pid)?;
    let key = lock::key_of(file)?;
    match cmd {
        libc::F_GETLK | F_OFD_GETLK => {
            if req.kind == libc::F_UNLCK as i16 {
                return Err(Errno::EINVAL);
            }
            match lock::test(key, &req) {
                Some(c) => {
                    let mut b = [0u8; 32];
                    t.mem().read_bytes(arg, &mut b)?;
                    b[0..2].copy_from_slice(&c.kind.to_ne_bytes());
                    b[2..4].copy_from_slice(&(libc::SEEK_SET as i16).to_ne_bytes());
                    b[8..16].copy_from_slice(&(c.start as i64).to_ne_bytes());
                    let len = if c.end == u64::MAX { 0 } else { (c.end - c.start + 1) as i64 };
                    b[16..24].copy_from_slice(&len.to_ne_bytes());
                    // The holder as the caller's PID namespace numbers it (0
                    // if it does not show there), -1 for an OFD lock.
                    let l_pid = match c.pid {
                        -1 => -1,
                        g => t.kernel.root_pidns.find(g).map_or(0, |p| p.nr_in(t.pidns())),
                    };
                    b[24..28].copy_from_slice(&l_pid.to_ne_bytes());
                    t.mem().write_bytes(arg, &b)?;
                }
                None => t.mem().write_bytes(arg, &(libc::F_UNLCK as i16).to_ne_bytes())?,
            }
            Ok(0)
        }
        _ => {
            let acc = file.flags() as i32 & libc::O_ACCMODE;
            match req.kind as i32 {
                libc::F_RDLCK if acc == libc::O_WRONLY => return Err(Errno::EBADF),
                libc::F_WRLCK if acc == libc::O_RDONLY => return Err(Errno::EBADF),
                _ => {}
            }
            let wait = cmd == libc::F_SETLKW || cmd == F_OFD_SETLKW;
            lock::set(key, req, wait)?;
            Ok(0)
        }
    }
}

/// Implements flock(2).
pub fn flock(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let op = a[1] as i32;
    let base = op & !libc::LOCK_NB;
    if ![libc::LOCK_SH, libc::LOCK_EX, libc::LOCK_UN].contains(&base) {
        return Err(Errno::EINVAL);
    }
    let key = lock::key_of(&f)?;
    lock::flock(key, &f, t.tg.gpid(), base, op & libc::LOCK_NB == 0)?;
    Ok(0)
}
