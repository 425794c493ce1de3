//! The memory an in-memory file's pages take (upper-layer and tmpfs files,
//! memfds), charged to a container's memory account as a memory cgroup
//! charges tmpfs pages: to the container whose process first grew the
//! file, for the pages the file has allocated. Growth that does not fit
//! under the limit fails with ENOSPC, as a size-limited tmpfs refuses it;
//! the charge goes when the file does (its last link and descriptor).
//!
//! All of it, every container's, is also held to half the host's memory,
//! the size a tmpfs mount gets by default: pages of a file no process maps
//! count in no process's RSS, so past the host's memory its OOM killer
//! would pick any process on the machine. A container with no limit of its
//! own gets ENOSPC there instead, as from a full tmpfs.
//!
//! A file of a mounted tmpfs also takes its pages from that mount's room
//! (`tmpfs_space.rs`), counted exactly (a write near the size stops at the
//! first page that does not fit, as Linux's does), and holds one of its
//! inodes until the file goes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::tmpfs_space::{fit, TmpfsSpace};
use crate::kernel::errno::Errno;
use crate::kernel::mm::account::{take_refused, MemAccount};

const PAGE: u64 = 4096;

/// A file's charge.
#[derive(Default)]
pub struct FileCharge(Mutex<Charge>);

#[derive(Default)]
struct Charge {
    account: Option<Arc<MemAccount>>,
    bytes: u64,
    /// The tmpfs whose room the file takes (none for the root's upper
    /// layer and memfds), and the pages it holds there.
    space: Option<Arc<TmpfsSpace>>,
    pages: u64,
}

/// The file's allocated byte ranges within a range, sorted (asked only
/// when a write comes near its tmpfs's size).
pub type DataIn<'a> = &'a dyn Fn(u64, u64) -> Vec<(u64, u64)>;

impl FileCharge {
    /// The charge of a new file of the tmpfs `space`, whose inode the
    /// caller took there; the file gives it back when it goes.
    pub fn on(space: Option<Arc<TmpfsSpace>>) -> FileCharge {
        FileCharge(Mutex::new(Charge { space, ..Charge::default() }))
    }

    /// Charges room before a write of `len` bytes at `off`: the bytes that
    /// fit (fewer than `len` when the tmpfs fills up on the way, a short
    /// write), or ENOSPC when none do.
    pub fn reserve_write(&self, off: u64, len: u64, data: DataIn) -> Result<u64, Errno> {
        self.reserve_in(off, len, data, true)
    }

    /// Charges room for every page of `off..off + len` (fallocate): all of
    /// them, or ENOSPC and nothing.
    pub fn reserve_range(&self, off: u64, len: u64, data: DataIn) -> Result<(), Errno> {
        self.reserve_in(off, len, data, false).map(|_| ())
    }

    fn reserve_in(&self, off: u64, len: u64, data: DataIn, partial: bool) -> Result<u64, Errno> {
        let mut c = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (mut n, mut pages) = (len, 0);
        let space = c.space.clone();
        if let Some(space) = &space {
            let end = off.saturating_add(len);
            let spanned = end.div_ceil(PAGE) - off / PAGE;
            let free = space.free_pages();
            (n, pages) = if spanned <= free { (len, spanned) } else { fit(off, len, free, &data(off, end)) };
            if (len > 0 && n == 0) || (!partial && n < len) || !space.take_pages(pages) {
                return Err(Errno::ENOSPC);
            }
        }
        if let Err(e) = reserve_memory(&mut c, n) {
            if let Some(space) = &space {
                space.adjust_pages(-(pages as i64));
            }
            return Err(e);
        }
        c.pages += pages;
        Ok(n)
    }

    /// Makes the charge the file's allocated size now (`blocks` of 512
    /// bytes): gives back what a reservation did not use or a truncation
    /// freed, and takes what grew without one (pages written through a
    /// shared mapping).
    pub fn settle(&self, blocks: u64) {
        let mut c = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(space) = &c.space {
            let pages = blocks.div_ceil(8);
            space.adjust_pages(pages as i64 - c.pages as i64);
            c.pages = pages;
        }
        if c.account.is_none() {
            c.account = crate::kernel::wait::current().map(|t| t.tg.container.memory.clone());
        }
        let Some(account) = c.account.clone() else { return };
        let now = blocks * 512;
        if now < c.bytes {
            account.uncharge(c.bytes - now);
            machine_give(c.bytes - now);
        } else {
            account.force_charge(now - c.bytes);
            MACHINE.fetch_add(now - c.bytes, Ordering::Relaxed);
        }
        c.bytes = now;
    }
}

impl Drop for FileCharge {
    fn drop(&mut self) {
        let c = self.0.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(space) = &c.space {
            space.adjust_pages(-(c.pages as i64));
            space.give_inode();
        }
        if let Some(a) = &c.account {
            a.uncharge(c.bytes);
            machine_give(c.bytes);
        }
    }
}

/// Charges room for `len` more bytes of pages to the container and the
/// machine before the file grows by up to that much; ENOSPC when they do
/// not fit. Outside a task (the sentry's own writes) nothing is charged.
fn reserve_memory(c: &mut Charge, len: u64) -> Result<(), Errno> {
    if c.account.is_none() {
        c.account = crate::kernel::wait::current().map(|t| t.tg.container.memory.clone());
    }
    let Some(account) = c.account.clone() else { return Ok(()) };
    let more = len.saturating_add(PAGE - 1) / PAGE * PAGE + PAGE;
    if !machine_take(more) {
        return Err(Errno::ENOSPC);
    }
    if account.try_charge(more).is_err() {
        machine_give(more);
        // Not an address space's refusal: no OOM kill follows.
        take_refused();
        return Err(Errno::ENOSPC);
    }
    c.bytes += more;
    Ok(())
}

/// File data charged in this sentry, all containers together.
static MACHINE: AtomicU64 = AtomicU64::new(0);

/// Half the host's memory (tmpfs's default size).
fn machine_cap() -> u64 {
    static CAP: OnceLock<u64> = OnceLock::new();
    *CAP.get_or_init(|| nix::sys::sysinfo::sysinfo().map(|i| i.ram_total() / 2).unwrap_or(u64::MAX))
}

/// Takes `bytes` of the machine-wide room; false (nothing taken) when
/// they do not fit.
fn machine_take(bytes: u64) -> bool {
    let cap = machine_cap();
    MACHINE
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| used.checked_add(bytes).filter(|n| *n <= cap))
        .is_ok()
}

fn machine_give(bytes: u64) {
    let _ = MACHINE.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| Some(used.saturating_sub(bytes)));
}
