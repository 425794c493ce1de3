//! Futexes: wait queues keyed by user address. A waiter checks the futex
//! word and enqueues under the table lock, so a wake between the check and
//! the sleep is never lost.
//!
//! Keys are (address space, address) for private futexes and for shared
//! ones in private memory; a shared futex in MAP_SHARED memory is keyed by
//! the memory object (a file's inode, a shared anonymous mapping) and the
//! offset in it, as Linux's get_futex_key does, so processes that map it
//! anywhere meet (`MemoryManager::futex_key`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::kernel::errno::Errno;
use crate::kernel::wait::{block_until, current, Waker};

/// What a futex word's address is relative to.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum FutexSpace {
    /// One address space (its `MemoryManager`'s address).
    Mm(usize),
    /// A file's pages: its device and inode.
    File(u64, u64),
    /// A shared anonymous mapping (`Backing::SharedAnon`).
    Shm(u64),
}

/// Identifies a futex word: its space and the address (or offset) in it.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct FutexKey {
    pub space: FutexSpace,
    pub addr: u64,
}

/// One sleeping thread, queued on one futex (futex_waitv queues one per
/// futex, sharing `woken`).
pub struct Waiter {
    /// 0 while asleep; 1 + `index` of the futex whose waker woke it.
    woken: Arc<AtomicUsize>,
    /// Which of the sleeper's futexes this entry is (0 for a plain wait).
    index: usize,
    /// The sleeping task's waker (its sleeps end on signals too).
    waker: Arc<Waker>,
    /// FUTEX_WAIT_BITSET's mask (all ones for plain waits).
    bitset: u32,
}

impl Waiter {
    /// Wakes the sleeper, unless another of its futexes already did;
    /// whether this one did.
    fn wake(&self) -> bool {
        let first = self.woken.compare_exchange(0, self.index + 1, Ordering::SeqCst, Ordering::SeqCst).is_ok();
        if first {
            self.waker.notify();
        }
        first
    }
}

/// All futex wait queues of a kernel.
#[derive(Default)]
pub struct FutexTable {
    /// Waiters per key, in arrival order. Guards the check-and-enqueue.
    queues: Mutex<HashMap<FutexKey, Vec<Arc<Waiter>>>>,
}

/// How a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub enum WaitResult {
    Woken,
    TimedOut,
}

impl FutexTable {
    /// FUTEX_WAIT(_BITSET): if `check()` says the word still holds the
    /// expected value, sleeps until woken, `deadline`, or a signal
    /// (ERESTARTSYS).
    pub fn wait(
        &self,
        key: FutexKey,
        bitset: u32,
        check: impl FnOnce() -> Result<bool, Errno>,
        deadline: Option<Instant>,
    ) -> Result<WaitResult, Errno> {
        Ok(match self.sleep_on(&[(key, bitset)], check, deadline)? {
            Some(_) => WaitResult::Woken,
            None => WaitResult::TimedOut,
        })
    }

    /// futex_waitv(2): if `check()` says every word still holds its
    /// expected value, sleeps on all `keys` at once until one is woken
    /// (its index), `deadline` (None), or a signal (ERESTARTSYS).
    pub fn wait_multiple(
        &self,
        keys: &[FutexKey],
        check: impl FnOnce() -> Result<bool, Errno>,
        deadline: Option<Instant>,
    ) -> Result<Option<usize>, Errno> {
        let keys: Vec<(FutexKey, u32)> = keys.iter().map(|&k| (k, u32::MAX)).collect();
        self.sleep_on(&keys, check, deadline)
    }

    /// Both waits: queues one entry per (key, bitset) under the check, then
    /// sleeps until a waker takes one of them (its index), `deadline`
    /// (None) or a signal (ERESTARTSYS).
    fn sleep_on(
        &self,
        keys: &[(FutexKey, u32)],
        check: impl FnOnce() -> Result<bool, Errno>,
        deadline: Option<Instant>,
    ) -> Result<Option<usize>, Errno> {
        let waker = current().map(|t| t.waker.clone()).unwrap_or_default();
        let woken = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<Arc<Waiter>> = keys
            .iter()
            .enumerate()
            .map(|(index, &(_, bitset))| Arc::new(Waiter { woken: woken.clone(), index, waker: waker.clone(), bitset }))
            .collect();
        {
            let mut q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            if !check()? {
                return Err(Errno::EAGAIN);
            }
            for (&(key, _), w) in keys.iter().zip(&waiters) {
                q.entry(key).or_default().push(w.clone());
            }
        }
        let r = block_until(&[], deadline, || (woken.load(Ordering::SeqCst) != 0).then_some(Ok(())));
        // A waker takes the entry it wakes off its queue: with one futex
        // there is nothing left to leave.
        if r.is_ok() && keys.len() == 1 {
            return Ok(Some(0));
        }
        // Leave the queues that still hold an entry (all but a waker's;
        // one may have woken us after the timeout or signal).
        let mut q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        for (&(key, _), w) in keys.iter().zip(&waiters) {
            if let Some(list) = q.get_mut(&key) {
                list.retain(|x| !Arc::ptr_eq(x, w));
                if list.is_empty() {
                    q.remove(&key);
                }
            }
        }
        match (woken.load(Ordering::SeqCst), r) {
            (0, Err(Errno::ETIMEDOUT)) | (0, Ok(())) => Ok(None),
            (0, Err(e)) => Err(e),
            (n, _) => Ok(Some(n - 1)),
        }
    }

    /// FUTEX_WAKE(_BITSET): wakes up to `n` waiters whose bitset matches.
    pub fn wake(&self, key: FutexKey, n: u32, bitset: u32) -> u32 {
        let mut q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        Self::wake_locked(&mut q, key, n, bitset)
    }

    fn wake_locked(q: &mut HashMap<FutexKey, Vec<Arc<Waiter>>>, key: FutexKey, n: u32, bitset: u32) -> u32 {
        let Some(list) = q.get_mut(&key) else {
            return 0;
        };
        let mut woken = 0;
        list.retain(|w| {
            if woken < n && w.bitset & bitset != 0 {
                // One already woken through another futex (futex_waitv)
                // only leaves this queue.
                if w.wake() {
                    woken += 1;
                }
                false
            } else {
                true
            }
        });
        if list.is_empty() {
            q.remove(&key);
        }
        woken
    }

    /// FUTEX_(CMP_)REQUEUE: wakes `n_wake` waiters of `from` and moves up to
    /// `n_move` others to `to`, if `check()` (for CMP_REQUEUE) holds.
    pub fn requeue(
        &self,
        from: FutexKey,
        to: FutexKey,
        n_wake: u32,
        n_move: u32,
        check: impl FnOnce() -> Result<bool, Errno>,
    ) -> Result<u32, Errno> {
        let mut q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        if !check()? {
            return Err(Errno::EAGAIN);
        }
        let woken = Self::wake_locked(&mut q, from, n_wake, u32::MAX);
        let mut moved = Vec::new();
        if let Some(list) = q.get_mut(&from) {
            let k = (n_move as usize).min(list.len());
            moved = list.drain(..k).collect();
            if list.is_empty() {
                q.remove(&from);
            }
        }
        let count = moved.len() as u32;
        if !moved.is_empty() {
            q.entry(to).or_default().extend(moved);
        }
        Ok(woken + count)
    }

    /// FUTEX_WAKE_OP: applies `op` to the word at `key2` (via `apply`, which
    /// returns the old value), wakes `n1` at `key1` and, if the comparison
    /// holds, `n2` at `key2`. All under the table lock.
    pub fn wake_op(
        &self,
        key1: FutexKey,
        key2: FutexKey,
        n1: u32,
        n2: u32,
        apply: impl FnOnce() -> Result<bool, Errno>,
    ) -> Result<u32, Errno> {
        let mut q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        let cond = apply()?;
        let mut woken = Self::wake_locked(&mut q, key1, n1, u32::MAX);
        if cond {
            woken += Self::wake_locked(&mut q, key2, n2, u32::MAX);
        }
        Ok(woken)
    }
}
