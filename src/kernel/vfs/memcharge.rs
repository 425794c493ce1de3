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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

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
}

impl FileCharge {
    /// Charges room for `len` more bytes of pages before the file grows
    /// by up to that much; ENOSPC when they do not fit. Outside a task
    /// (the sentry's own writes) nothing is charged.
    pub fn reserve(&self, len: u64) -> Result<(), Errno> {
        let mut c = self.0.lock().unwrap_or_else(|e| e.into_inner());
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

    /// Makes the charge the file's allocated size now (`blocks` of 512
    /// bytes): gives back what a reservation did not use or a truncation
    /// freed, and takes what grew without one (pages written through a
    /// shared mapping).
    pub fn settle(&self, blocks: u64) {
        let mut c = self.0.lock().unwrap_or_else(|e| e.into_inner());
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
        if let Some(a) = &c.account {
            a.uncharge(c.bytes);
            machine_give(c.bytes);
        }
    }
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
