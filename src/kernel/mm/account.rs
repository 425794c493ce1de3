//! Memory accounting per container: what its address spaces have committed
//! and the limit the bundle sets (`linux.resources.memory.limit`).
//!
//! A mapping is charged when it is made, for its whole length, if the
//! application may write private or anonymous memory through it: private
//! writable mappings (anonymous, heap, stacks, private file mappings) and
//! shared anonymous ones. This is Linux's commit accounting
//! (`accountable_mapping`, `Committed_AS`) kept per container. The pages
//! themselves live in the stubs, where the host faults them in without the
//! sentry seeing it, so the sentry charges what an address space *may*
//! touch: a container can never make its stubs hold more private memory
//! than its limit. A `fork` charges the child's copy of every charged
//! mapping, as Linux's strict overcommit mode does.
//!
//! Where Linux's memory cgroup charges a page at its first fault and runs
//! its OOM killer when a charge fails, husk charges at `mmap`/`brk`/
//! `mremap`/`mprotect` and runs the OOM killer there (kernel/oom.rs): the
//! charge that would pass the limit kills the container's largest process
//! (kill-on-charge) rather than failing with ENOMEM. A process is killed for
//! reserving more than the limit even if it would not have touched it all.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::kernel::errno::Errno;

thread_local! {
    /// The bytes of the last charge refused on this sentry thread (each task
    /// runs on its own thread): the syscall layer reads it after ENOMEM to
    /// tell the limit from a lack of address space.
    static REFUSED: Cell<u64> = const { Cell::new(0) };
    /// Set while the OOM killer lets this thread's charges pass the limit
    /// (its victims are dying and will give their memory back).
    static FORCED: Cell<bool> = const { Cell::new(false) };
}

/// Takes the size of the charge last refused on this thread (0: none).
pub fn take_refused() -> u64 {
    REFUSED.with(|r| r.replace(0))
}

/// While alive, charges of this thread are not held to the limit.
pub struct ForceCharges(bool);

impl ForceCharges {
    pub fn new() -> ForceCharges {
        ForceCharges(FORCED.with(|f| f.replace(true)))
    }
}

impl Default for ForceCharges {
    fn default() -> Self {
        ForceCharges::new()
    }
}

impl Drop for ForceCharges {
    fn drop(&mut self) {
        FORCED.with(|f| f.set(self.0));
    }
}

/// No limit.
pub const UNLIMITED: u64 = u64::MAX;

/// One container's memory account.
#[derive(Debug)]
pub struct MemAccount {
    /// The limit in bytes (`UNLIMITED`: none).
    limit: AtomicU64,
    /// Bytes committed now by the container's address spaces.
    usage: AtomicU64,
    /// The highest `usage` seen.
    max_usage: AtomicU64,
    /// Charges that hit the limit (cgroup v1's `failcnt`).
    failcnt: AtomicU64,
    /// Processes the OOM killer ended.
    oom_kills: AtomicU64,
}

impl Default for MemAccount {
    fn default() -> Self {
        MemAccount {
            limit: AtomicU64::new(UNLIMITED),
            usage: AtomicU64::new(0),
            max_usage: AtomicU64::new(0),
            failcnt: AtomicU64::new(0),
            oom_kills: AtomicU64::new(0),
        }
    }
}

/// What `MemAccount::stats` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemStats {
    pub limit: u64,
    pub usage: u64,
    pub max_usage: u64,
    pub failcnt: u64,
    pub oom_kills: u64,
}

impl MemAccount {
    /// A new account without a limit.
    pub fn new() -> Arc<MemAccount> {
        Arc::new(MemAccount::default())
    }

    /// Sets the limit (`UNLIMITED` for none).
    pub fn set_limit(&self, bytes: u64) {
        self.limit.store(bytes, Ordering::Relaxed);
    }

    /// Changes the limit of a running container (`memory.max`, `husk
    /// update`): kept in pages, as Linux's page counter does. Linux
    /// reclaims or OOM-kills down to a lowered limit; the sandbox cannot
    /// reclaim committed memory, so a limit below what is charged now is
    /// EBUSY.
    pub fn change_limit(&self, bytes: u64) -> Result<(), Errno> {
        if bytes < self.usage() {
            return Err(Errno::EBUSY);
        }
        self.set_limit(if bytes == UNLIMITED { bytes } else { bytes & !4095 });
        Ok(())
    }

    /// The limit (`UNLIMITED`: none).
    pub fn limit(&self) -> u64 {
        self.limit.load(Ordering::Relaxed)
    }

    /// Bytes committed now.
    pub fn usage(&self) -> u64 {
        self.usage.load(Ordering::Relaxed)
    }

    /// Whether `bytes` more would fit under the limit now.
    pub fn fits(&self, bytes: u64) -> bool {
        self.usage().saturating_add(bytes) <= self.limit()
    }

    /// Charges `bytes`, unless that passes the limit (then ENOMEM-worthy:
    /// the refusal is recorded for `take_refused`). Charges always pass
    /// while a `ForceCharges` is alive on this thread.
    pub fn try_charge(&self, bytes: u64) -> Result<(), ()> {
        if bytes == 0 {
            return Ok(());
        }
        let forced = FORCED.with(Cell::get);
        let limit = self.limit();
        let mut cur = self.usage.load(Ordering::Relaxed);
        loop {
            let new = cur.saturating_add(bytes);
            if new > limit && !forced {
                self.failcnt.fetch_add(1, Ordering::Relaxed);
                REFUSED.with(|r| r.set(bytes));
                return Err(());
            }
            match self.usage.compare_exchange_weak(cur, new, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => {
                    self.max_usage.fetch_max(new, Ordering::Relaxed);
                    return Ok(());
                }
                Err(seen) => cur = seen,
            }
        }
    }

    /// Charges `bytes` whatever the limit says (a fork's copy catching up
    /// with its parent's mappings changed meanwhile).
    pub fn force_charge(&self, bytes: u64) {
        let new = self.usage.fetch_add(bytes, Ordering::AcqRel).saturating_add(bytes);
        self.max_usage.fetch_max(new, Ordering::Relaxed);
    }

    /// Gives `bytes` back.
    pub fn uncharge(&self, bytes: u64) {
        let _ = self.usage.fetch_update(Ordering::AcqRel, Ordering::Relaxed, |u| Some(u.saturating_sub(bytes)));
    }

    /// Counts a process ended by the OOM killer.
    pub fn count_oom_kill(&self) {
        self.oom_kills.fetch_add(1, Ordering::Relaxed);
    }

    /// The account's figures.
    pub fn stats(&self) -> MemStats {
        MemStats {
            limit: self.limit(),
            usage: self.usage(),
            max_usage: self.max_usage.load(Ordering::Relaxed),
            failcnt: self.failcnt.load(Ordering::Relaxed),
            oom_kills: self.oom_kills.load(Ordering::Relaxed),
        }
    }
}

/// A charge taken ahead of the address space that will hold it (a fork's
/// copy): given back when dropped unless handed over with `keep`.
pub struct Reservation {
    account: Arc<MemAccount>,
    bytes: u64,
}

impl Reservation {
    /// Charges `bytes` to `account` (held to the limit).
    pub fn take(account: &Arc<MemAccount>, bytes: u64) -> Result<Reservation, ()> {
        account.try_charge(bytes)?;
        Ok(Reservation { account: account.clone(), bytes })
    }

    /// The bytes reserved.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Hands the charge over to its new owner.
    pub fn keep(mut self) {
        self.bytes = 0;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.account.uncharge(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_stop_at_the_limit_unless_forced() {
        let a = MemAccount::new();
        a.set_limit(100);
        assert!(a.try_charge(60).is_ok());
        assert!(a.try_charge(50).is_err());
        assert_eq!(take_refused(), 50);
        assert_eq!(take_refused(), 0);
        {
            let _f = ForceCharges::new();
            assert!(a.try_charge(50).is_ok());
        }
        assert!(a.try_charge(1).is_err());
        a.uncharge(110);
        assert_eq!(a.usage(), 0);
        let s = a.stats();
        assert_eq!((s.max_usage, s.failcnt), (110, 2));
        let r = Reservation::take(&a, 30).unwrap();
        assert_eq!(a.usage(), 30);
        drop(r);
        assert_eq!(a.usage(), 0);
        Reservation::take(&a, 30).unwrap().keep();
        assert_eq!(a.usage(), 30);
    }
}
