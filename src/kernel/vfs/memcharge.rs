//! The memory an in-memory file's pages take (upper-layer and tmpfs files,
//! memfds), charged to a container's memory account as a memory cgroup
//! charges tmpfs pages: to the container whose process first grew the
//! file, for the pages the file has allocated. Growth that does not fit
//! under the limit fails with ENOSPC, as a size-limited tmpfs refuses it;
//! the charge goes when the file does (its last link and descriptor).

use std::sync::{Arc, Mutex};

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
        let more = len.next_multiple_of(PAGE) + PAGE;
        if account.try_charge(more).is_err() {
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
        } else {
            account.force_charge(now - c.bytes);
        }
        c.bytes = now;
    }
}

impl Drop for FileCharge {
    fn drop(&mut self) {
        let c = self.0.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = &c.account {
            a.uncharge(c.bytes);
        }
    }
}
