//! `/proc/<pid>/mem`: the process's memory at the file offset equal to
//! the address, as Linux's `mem_rw`. Opening needs PTRACE_MODE_ATTACH
//! (with the opener's fs ids) over the process, else EACCES; the file
//! stays tied to the address space it was opened on, so after the process
//! execs or exits it reads and writes nothing (0), as Linux's.
//!
//! Reads and writes go through the stub process's host `/proc/PID/mem`,
//! which, like Linux's FOLL_FORCE, reaches PROT_NONE and read-only pages
//! (a write to private read-only text breaks its sharing). Both are held
//! to the application's own mappings (the sentry's VMA list): the stub's
//! code and context region live in the same host process and must be
//! neither read nor written. An address outside them is EIO, or the end
//! of a transfer that has already moved bytes.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Weak};

use crate::kernel::errno::Errno;
use crate::kernel::mm::{MemoryManager, Vma};
use crate::kernel::ptrace::access::{may_access_as, CallerIds};
use crate::kernel::task::procs::is_zombie;
use crate::kernel::task::{TaskShared, ThreadGroup};
use crate::kernel::vfs::file::FileOps;
use crate::kernel::vfs::stat::Stat;

/// An open `/proc/<pid>/mem`.
pub struct MemFile {
    tg: Weak<ThreadGroup>,
    /// The address space it was opened on; `None` for a zombie (nothing
    /// to read, as Linux's file without an mm).
    mm: Option<Weak<MemoryManager>>,
    /// The stub's host `/proc/PID/mem` (read-write when the host allows).
    host: Option<File>,
    stat: Stat,
}

/// Opens the memory of `tg` (whose thread `task` the node names) for the
/// calling task.
pub fn open(tg: &Arc<ThreadGroup>, task: Option<&Arc<TaskShared>>, stat: Stat) -> Result<MemFile, Errno> {
    let target = task.cloned().or_else(|| tg.main_thread()).ok_or(Errno::ESRCH)?;
    if is_zombie(tg) {
        return Ok(MemFile { tg: Arc::downgrade(tg), mm: None, host: None, stat });
    }
    let caller = crate::kernel::wait::current().ok_or(Errno::EACCES)?;
    if !may_access_as(&caller.tg, &target, CallerIds::Fs) {
        return Err(Errno::EACCES);
    }
    let mm = tg.mm();
    let path = format!("/proc/{}/mem", mm.memory().pid());
    let host = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .or_else(|_| File::open(&path))
        .map_err(|_| Errno::EIO)?;
    Ok(MemFile { tg: Arc::downgrade(tg), mm: Some(Arc::downgrade(&mm)), host: Some(host), stat })
}

/// How many of the `len` bytes at `addr` lie inside the sorted mappings
/// `vmas`, from `addr` on without a hole.
fn mapped_prefix(vmas: &[Vma], addr: u64, len: u64) -> u64 {
    let end = addr.saturating_add(len);
    let mut at = addr;
    for v in vmas {
        if v.end <= at {
            continue;
        }
        if v.start > at || at >= end {
            break;
        }
        at = v.end.min(end);
    }
    at - addr
}

impl MemFile {
    /// The host file and how many of the `len` bytes at `addr` a transfer
    /// may move (those inside the application's mappings); `None` once
    /// the address space is no longer the process's, or for no bytes.
    fn clip(&self, addr: u64, len: usize) -> Result<Option<(&File, usize)>, Errno> {
        let Some(mm) = self.mm.as_ref().and_then(Weak::upgrade) else {
            return Ok(None);
        };
        let live = self.tg.upgrade().is_some_and(|tg| !is_zombie(&tg) && Arc::ptr_eq(&tg.mm(), &mm));
        let Some(host) = self.host.as_ref().filter(|_| live && len > 0) else {
            return Ok(None);
        };
        match mapped_prefix(&mm.vmas(), addr, len as u64) {
            0 => Err(Errno::EIO),
            n => Ok(Some((host, n as usize))),
        }
    }
}

/// A host transfer's result: bytes moved, or EIO (a page the host could
/// not reach, such as a file mapping past the file's end).
fn moved(r: std::io::Result<usize>) -> Result<usize, Errno> {
    match r {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Errno::EIO),
    }
}

impl FileOps for MemFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        match self.clip(off, buf.len())? {
            Some((host, n)) => moved(host.read_at(&mut buf[..n], off)),
            None => Ok(0),
        }
    }

    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        match self.clip(off, buf.len())? {
            Some((host, n)) => moved(host.write_at(&buf[..n], off)),
            None => Ok(0),
        }
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.stat)
    }

    fn unsigned_offsets(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::mm::Backing;

    fn vma(start: u64, end: u64) -> Vma {
        Vma { start, end, prot: 0, flags: libc::MAP_PRIVATE as u32, backing: Backing::Anon }
    }

    #[test]
    fn transfers_stop_where_the_mappings_do() {
        let v = [vma(0x1000, 0x3000), vma(0x3000, 0x4000), vma(0x6000, 0x7000)];
        assert_eq!(mapped_prefix(&v, 0x1ff8, 0x10), 0x10);
        assert_eq!(mapped_prefix(&v, 0x2ff0, 0x2000), 0x1010);
        assert_eq!(mapped_prefix(&v, 0x5000, 8), 0);
        assert_eq!(mapped_prefix(&v, 0x6ff8, 0x10), 8);
        assert_eq!(mapped_prefix(&v, u64::MAX - 4, 8), 0);
    }
}
