//! msync, mincore and the mlock family: checked against the sandbox's own
//! mappings as Linux checks them, then done where the pages are (the
//! backing file for msync, the stub process for residency and locking).

use std::sync::Arc;

use super::layout::{page_align_up, APP_TOP, PAGE};
use super::vmas::Backing;
use super::{inject, MemoryManager};
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::vfs::file::OpenFile;
use crate::platform::StubThread;

const MS_ASYNC: i32 = 1;
const MS_INVALIDATE: i32 = 2;
const MS_SYNC: i32 = 4;
const MLOCK_ONFAULT: u32 = 1;
const MCL_CURRENT: i32 = 1;
const MCL_FUTURE: i32 = 2;
const MCL_ONFAULT: i32 = 4;

/// Who may lock how much: `None` for no limit (CAP_IPC_LOCK), else
/// RLIMIT_MEMLOCK in bytes.
pub type LockLimit = Option<u64>;

impl MemoryManager {
    /// msync(2): MS_SYNC writes back the files of the shared file mappings
    /// in the range (Linux's vfs_fsync_range; the pages are the file's);
    /// any unmapped part makes it ENOMEM after the rest is done.
    pub fn msync(&self, addr: u64, len: u64, flags: i32) -> SysResult {
        if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
            || !addr.is_multiple_of(PAGE)
            || (flags & MS_ASYNC != 0 && flags & MS_SYNC != 0)
        {
            return Err(Errno::EINVAL);
        }
        let len = page_align_up(len).ok_or(Errno::ENOMEM)?;
        let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
        if len == 0 {
            return Ok(0);
        }
        let (files, gap) = {
            let st = self.lock();
            let mut files: Vec<Arc<OpenFile>> = Vec::new();
            for v in st.vmas.intersecting(addr, end) {
                if let Backing::File { file, .. } = &v.backing {
                    if v.flags & libc::MAP_SHARED as u32 != 0 && !files.iter().any(|f| Arc::ptr_eq(f, file)) {
                        files.push(file.clone());
                    }
                }
            }
            (files, !st.vmas.fully_mapped(addr, end))
        };
        if gap && flags == MS_ASYNC {
            return Err(Errno::ENOMEM);
        }
        if flags & MS_SYNC != 0 {
            for f in files {
                f.ops.sync()?;
            }
        }
        if gap {
            return Err(Errno::ENOMEM);
        }
        Ok(0)
    }

    /// mincore(2): the host's answer for the stub's pages, once the range
    /// is known mapped and the vector writable application memory.
    pub fn mincore(&self, t: &mut StubThread, addr: u64, len: u64, vec: u64) -> SysResult {
        if !addr.is_multiple_of(PAGE) {
            return Err(Errno::EINVAL);
        }
        let end = addr.checked_add(len).filter(|&e| e <= APP_TOP).ok_or(Errno::ENOMEM)?;
        let pages = len.div_ceil(PAGE);
        if self.writable_extent(vec, pages) < pages {
            return Err(Errno::EFAULT);
        }
        if len == 0 {
            return Ok(0);
        }
        if !self.lock().vmas.fully_mapped(addr, page_align_up(end).ok_or(Errno::ENOMEM)?) {
            return Err(Errno::ENOMEM);
        }
        inject(t, libc::SYS_mincore, [addr, len, vec, 0, 0, 0])
    }

    /// The page-aligned range mlock/munlock cover (Linux rounds the start
    /// down and the length up), checked to be mapped.
    fn lock_range(&self, addr: u64, len: u64) -> Result<Option<(u64, u64)>, Errno> {
        let start = addr & !(PAGE - 1);
        let len = page_align_up(len.checked_add(addr - start).ok_or(Errno::EINVAL)?).ok_or(Errno::EINVAL)?;
        let end = start.checked_add(len).ok_or(Errno::EINVAL)?;
        if len == 0 {
            return Ok(None);
        }
        if end > APP_TOP || !self.lock().vmas.fully_mapped(start, end) {
            return Err(Errno::ENOMEM);
        }
        Ok(Some((start, len)))
    }

    /// mlock(2) and mlock2(2) (`flags`: MLOCK_ONFAULT): the stub's pages are
    /// locked on the host.
    pub fn mlock(&self, t: &mut StubThread, addr: u64, len: u64, flags: u32, limit: LockLimit) -> SysResult {
        if flags & !MLOCK_ONFAULT != 0 {
            return Err(Errno::EINVAL);
        }
        check_limit(t, limit, len)?;
        let Some((start, len)) = self.lock_range(addr, len)? else { return Ok(0) };
        match flags {
            0 => inject(t, libc::SYS_mlock, [start, len, 0, 0, 0, 0]),
            f => inject(t, libc::SYS_mlock2, [start, len, f as u64, 0, 0, 0]),
        }
    }

    /// munlock(2).
    pub fn munlock(&self, t: &mut StubThread, addr: u64, len: u64) -> SysResult {
        let Some((start, len)) = self.lock_range(addr, len)? else { return Ok(0) };
        inject(t, libc::SYS_munlock, [start, len, 0, 0, 0, 0])
    }

    /// mlockall(2): MCL_CURRENT must fit the limit with everything mapped.
    pub fn mlockall(&self, t: &mut StubThread, flags: i32, limit: LockLimit) -> SysResult {
        if flags == 0 || flags & !(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0 || flags == MCL_ONFAULT {
            return Err(Errno::EINVAL);
        }
        if limit == Some(0) {
            return Err(Errno::EPERM);
        }
        let total: u64 = self.lock().vmas.iter().map(|v| v.end - v.start).sum();
        if flags & MCL_CURRENT != 0 && limit.is_some_and(|l| total > l) {
            return Err(Errno::ENOMEM);
        }
        inject(t, libc::SYS_mlockall, [flags as u64, 0, 0, 0, 0, 0])
    }

    /// munlockall(2).
    pub fn munlockall(&self, t: &mut StubThread) -> SysResult {
        inject(t, libc::SYS_munlockall, [0; 6])
    }
}

/// Linux's can_do_mlock and lock limit: without CAP_IPC_LOCK a zero limit is
/// EPERM, and what is locked already plus `len` must fit it (ENOMEM).
fn check_limit(t: &StubThread, limit: LockLimit, len: u64) -> Result<(), Errno> {
    let Some(limit) = limit else { return Ok(()) };
    if limit == 0 {
        return Err(Errno::EPERM);
    }
    if locked_now(t.pid()).saturating_add(len) > limit {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

/// Bytes the host says stub process `pid` has locked (VmLck).
fn locked_now(pid: i32) -> u64 {
    let status = crate::kernel::vfs::procfs::host_read::read_host(&format!("/proc/{pid}/status"));
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmLck:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}
