//! `/proc/<pid>/mem`: the process's memory at the file offset equal to
//! the address, as Linux's `mem_rw`. Opening needs PTRACE_MODE_ATTACH
//! (with the opener's fs ids) over the process, else EACCES (ESRCH for a
//! zombie, which has no address space left); the file stays tied to the
//! address space it was opened on, so after the process execs or exits it
//! reads and writes nothing (0), as Linux's.
//!
//! Reads and writes go through the stub process's host `/proc/PID/mem`,
//! which, like Linux's FOLL_FORCE, reaches PROT_NONE and read-only pages
//! (a write to private read-only text breaks its sharing). Both are held
//! to the application's own mappings (the sentry's VMA list): the stub's
//! code and context region live in the same host process and must be
//! neither read nor written. An address outside them is EIO, or the end
//! of a transfer that has already moved bytes.
//!
//! `/proc/<pid>/pagemap` (one 64-bit entry per page, at offset page * 8)
//! is opened the same way and reads the stub's host entries for pages
//! inside the application's mappings: present, swapped, file or shared,
//! exclusive, soft-dirty bits as the host keeps them for the same pages.
//! Pages outside read as 0, as Linux's holes, and the page frame numbers
//! (bits 0-54) are always 0, as Linux shows them to a reader without
//! CAP_SYS_ADMIN: the host's physical addresses are not the sandbox's.

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

/// An open `/proc/<pid>/mem` or `/proc/<pid>/pagemap`.
pub struct MemFile {
    pagemap: bool,
    tg: Weak<ThreadGroup>,
    /// The address space it was opened on.
    mm: Weak<MemoryManager>,
    /// The stub's host `/proc/PID/mem` (read-write when the host allows)
    /// or `pagemap`.
    host: File,
    stat: Stat,
}

/// Opens the memory (or with `pagemap`, the page map) of `tg` (whose
/// thread `task` the node names) for the calling task.
pub fn open(
    tg: &Arc<ThreadGroup>,
    task: Option<&Arc<TaskShared>>,
    stat: Stat,
    pagemap: bool,
) -> Result<MemFile, Errno> {
    let target = task.cloned().or_else(|| tg.main_thread()).filter(|_| !is_zombie(tg)).ok_or(Errno::ESRCH)?;
    let caller = crate::kernel::wait::current().ok_or(Errno::EACCES)?;
    if !may_access_as(&caller.tg, &target, CallerIds::Fs) {
        return Err(Errno::EACCES);
    }
    let mm = tg.mm();
    let path = format!("/proc/{}/{}", mm.memory().pid(), if pagemap { "pagemap" } else { "mem" });
    let host = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .or_else(|_| File::open(&path))
        .map_err(|_| Errno::EIO)?;
    Ok(MemFile { pagemap, tg: Arc::downgrade(tg), mm: Arc::downgrade(&mm), host, stat })
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

/// Page frame number bits of a pagemap entry.
const PFN_MASK: u64 = (1 << 55) - 1;

impl MemFile {
    /// The address space and the host file, while the address space is
    /// still the process's.
    fn live(&self) -> Option<(Arc<MemoryManager>, &File)> {
        let mm = self.mm.upgrade()?;
        let live = self.tg.upgrade().is_some_and(|tg| !is_zombie(&tg) && Arc::ptr_eq(&tg.mm(), &mm));
        live.then_some((mm, &self.host))
    }

    /// The host file and how many of the `len` bytes at `addr` a transfer
    /// may move (those inside the application's mappings); `None` once
    /// the address space is no longer the process's, or for no bytes.
    fn clip(&self, addr: u64, len: usize) -> Result<Option<(&File, usize)>, Errno> {
        let Some((mm, host)) = self.live().filter(|_| len > 0) else {
            return Ok(None);
        };
        match mapped_prefix(&mm.vmas(), addr, len as u64) {
            0 => Err(Errno::EIO),
            n => Ok(Some((host, n as usize))),
        }
    }

    /// A read of `pagemap` entries: whole entries at an entry's offset
    /// (else EINVAL), up to the end of the user address space.
    fn read_pagemap(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        if !off.is_multiple_of(8) || !buf.len().is_multiple_of(8) {
            return Err(Errno::EINVAL);
        }
        let Some((mm, host)) = self.live() else {
            return Ok(0);
        };
        let (first, end) = (off / 8, crate::platform::stub::TASK_SIZE_MAX / PAGE);
        let n = (buf.len() as u64 / 8).min(end.saturating_sub(first)) as usize;
        if n == 0 {
            return Ok(0);
        }
        let got = moved(host.read_at(&mut buf[..n * 8], off))? / 8;
        let vmas = mm.vmas();
        let mut v = vmas.iter().peekable();
        for (i, entry) in buf[..got * 8].chunks_exact_mut(8).enumerate() {
            let addr = (first + i as u64) * PAGE;
            while v.peek().is_some_and(|x| x.end <= addr) {
                v.next();
            }
            let inside = v.peek().is_some_and(|x| x.start <= addr);
            let e = u64::from_ne_bytes(entry.try_into().unwrap_or_default());
            let e = if inside { e & !PFN_MASK } else { 0 };
            entry.copy_from_slice(&e.to_ne_bytes());
        }
        Ok(got * 8)
    }
}

const PAGE: u64 = 4096;

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
        if self.pagemap {
            return self.read_pagemap(buf, off);
        }
        match self.clip(off, buf.len())? {
            Some((host, n)) => moved(host.read_at(&mut buf[..n], off)),
            None => Ok(0),
        }
    }

    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        if self.pagemap {
            return Err(Errno::EINVAL);
        }
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
        Vma {
            start,
            end,
            prot: 0,
            flags: libc::MAP_PRIVATE as u32,
            backing: Backing::Anon,
            accounted: false,
            advised: Default::default(),
        }
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
