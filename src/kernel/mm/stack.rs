//! Stacks that grow down on demand, so a container's memory counts the
//! stack its processes use, not the room each has (Linux's memory cgroup
//! charges pages at their first touch).
//!
//! The main thread's stack is Linux's `VM_GROWSDOWN` stack: exec maps what
//! `setup_arg_pages` maps (the start-up strings and 128 KiB below them) and
//! keeps the rest of the room reserved in the stub without access (no VMA,
//! nothing charged); a touch below the stack grows it down to that page.
//!
//! A thread's stack (private anonymous memory mapped with MAP_STACK, as
//! glibc and most runtimes map them) is one mapping to the program, as in
//! Linux, but once it is made writable only its top 128 KiB (where glibc
//! keeps the thread's descriptor and TLS) is accessible in the stub; the
//! rest is `ThreadStack { lazy: true }`, held without access and charged
//! nothing until a touch grows the stack down into it.
//!
//! The task side (`task/stack.rs`) grows stacks on faults, before a signal
//! frame is written, before each syscall (to the caller's stack pointer,
//! so the sentry's copies find the caller's stack buffers mapped) and when
//! one of the sentry's copies for the task fails where a stack may grow
//! (`task/usermem.rs`), as Linux's copies fault the pages in. Growth is
//! contiguous from the top, so everything above the lowest touched address
//! is there.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::RwLock;

use super::layout::{page_align_down, PAGE};
use super::vmas::Backing;
use super::{inject, MemoryManager, MmState, VmLimits, Vma};
use crate::kernel::errno::Errno;
use crate::platform::StubThread;

/// Linux's `stack_guard_gap`: the main stack stops growing this far above
/// the mapping below it.
const GUARD_GAP: u64 = 256 * PAGE;

/// What Linux's exec maps below the start-up strings; also what stays
/// accessible at the top of a thread stack.
pub const INITIAL_EXPANSION: u64 = 128 << 10;

/// Thread stacks smaller than this are left as they are.
const LAZY_MIN: u64 = 1 << 20;

/// Where the main stack is and may go.
#[derive(Clone, Copy, Debug)]
pub struct StackRoom {
    /// The lowest address it may grow to (the reserve's bottom).
    pub floor: u64,
    /// Its lowest address now.
    pub base: u64,
    /// Its end.
    pub top: u64,
}

impl StackRoom {
    /// Whether a touch at `addr` would grow the stack.
    pub fn grows_for(&self, addr: u64) -> bool {
        (self.floor..self.base).contains(&addr)
    }
}

/// A copy of where stacks may grow that threads read without the address
/// space's lock (every syscall checks its stack pointer against it);
/// written under the lock whenever that changes.
#[derive(Default)]
pub struct StackHint {
    floor: AtomicU64,
    base: AtomicU64,
    /// The untouched thread-stack ranges, and whether there are any (so
    /// most processes never take the lock).
    lazy: RwLock<Vec<(u64, u64)>>,
    any_lazy: AtomicBool,
}

impl StackHint {
    /// A hint showing `st`.
    pub fn of(st: &MmState) -> StackHint {
        let h = StackHint::default();
        h.set(st);
        h
    }

    fn set(&self, st: &MmState) {
        let (floor, base) = st.stack.map_or((0, 0), |r| (r.floor, r.base));
        self.floor.store(floor, Ordering::Relaxed);
        self.base.store(base, Ordering::Relaxed);
        let ranges = st.vmas.lazy_ranges();
        self.any_lazy.store(!ranges.is_empty(), Ordering::Relaxed);
        *self.lazy.write().unwrap_or_else(|e| e.into_inner()) = ranges;
    }
}

/// The mmap call a thread stack's piece comes from.
fn stack_id(b: &Backing) -> Option<u64> {
    match b {
        Backing::ThreadStack { id, .. } => Some(*id),
        _ => None,
    }
}

/// A thread stack's piece once touched.
fn touched(b: &Backing) -> Backing {
    match b {
        Backing::ThreadStack { id, .. } => Backing::ThreadStack { id: *id, lazy: false },
        other => other.clone(),
    }
}

impl MemoryManager {
    /// Whether a touch at `addr` may grow a stack (a hint: `grow_stack`
    /// decides under the lock).
    pub fn stack_grows_for(&self, addr: u64) -> bool {
        let h = &self.stack_hint;
        (h.floor.load(Ordering::Relaxed)..h.base.load(Ordering::Relaxed)).contains(&addr)
            || (h.any_lazy.load(Ordering::Relaxed)
                && h.lazy.read().unwrap_or_else(|e| e.into_inner()).iter().any(|&(s, e)| (s..e).contains(&addr)))
    }

    /// The lowest address of `[start, end)` where a touch may grow a stack
    /// (a hint, as `stack_grows_for`): a copy there that failed grows the
    /// stack and is tried again. The main stack only when the range starts
    /// in its room (the room's bottom has nothing accessible below it); a
    /// thread stack wherever the range meets its untouched part.
    pub fn stack_room_in(&self, start: u64, end: u64) -> Option<u64> {
        let h = &self.stack_hint;
        let main = (h.floor.load(Ordering::Relaxed)..h.base.load(Ordering::Relaxed)).contains(&start).then_some(start);
        let lazy = if h.any_lazy.load(Ordering::Relaxed) {
            let ranges = h.lazy.read().unwrap_or_else(|e| e.into_inner());
            ranges.iter().filter(|&&(s, e)| s < end && start < e).map(|&(s, _)| s.max(start)).min()
        } else {
            None
        };
        main.into_iter().chain(lazy).min()
    }

    /// Brings the hint up to date after a change of the mappings (called
    /// with the lock held, by `charged`).
    pub(super) fn refresh_stack_hint(&self, st: &MmState) {
        if self.stack_hint.any_lazy.load(Ordering::Relaxed) || st.vmas.has_lazy() {
            self.stack_hint.set(st);
        }
    }

    /// Maps a new program's stack: `[floor, top)` reserved, `[base, top)`
    /// usable, held to no limit (exec, as `mmap`).
    pub fn map_stack(&self, t: &mut StubThread, floor: u64, base: u64, top: u64) -> Result<(), Errno> {
        let anon = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE) as u64;
        inject(t, libc::SYS_mmap, [floor, base - floor, libc::PROT_NONE as u64, anon, u64::MAX, 0])?;
        let rw = (libc::PROT_READ | libc::PROT_WRITE) as u32;
        let mut st = self.lock();
        let vma = Vma {
            start: base,
            end: top,
            prot: rw,
            flags: libc::MAP_PRIVATE as u32,
            backing: Backing::Stack,
            accounted: false,
            advised: Default::default(),
        };
        self.charged(&mut st, vma.charge(), |st| {
            inject(
                t,
                libc::SYS_mmap,
                [base, top - base, rw as u64, anon & !(libc::MAP_NORESERVE as u64), u64::MAX, 0],
            )?;
            st.vmas.remove_range(base, top);
            st.vmas.insert(vma);
            st.stack = Some(StackRoom { floor, base, top });
            Ok(())
        })?;
        self.stack_hint.set(&st);
        Ok(())
    }

    /// Grows the stack that `addr` lies below: the main stack as Linux's
    /// `expand_stack` (not past `max_size`, RLIMIT_STACK, or `limits`, not
    /// within the guard gap of a mapping below, and only while the stack
    /// is there), or the thread stack whose untouched part holds `addr`.
    /// True if `addr` is now accessible, false if it is in no stack's
    /// room; ENOMEM when the charge does not fit (recorded for the OOM
    /// killer), EFAULT when the stack may not grow there.
    pub fn grow_stack(&self, t: &StubThread, addr: u64, max_size: u64, limits: VmLimits) -> Result<bool, Errno> {
        let mut st = self.lock();
        if st.vmas.vma_at(addr).is_some_and(|v| v.is_lazy()) {
            return self.grow_thread_stack(t, &mut st, addr).map(|()| true);
        }
        let Some(room) = st.stack.filter(|r| r.grows_for(addr)) else {
            return Ok(false);
        };
        let Some(stack) = st.vmas.vma_at(room.base).filter(|v| matches!(v.backing, Backing::Stack)).cloned() else {
            return Err(Errno::EFAULT);
        };
        let new_base = page_align_down(addr);
        let grow = room.base - new_base;
        if room.top - new_base > max_size
            || st.vmas.overlaps(new_base.saturating_sub(GUARD_GAP), room.base)
            || !limits.allow(&st.vmas, grow, false)
        {
            return Err(Errno::EFAULT);
        }
        let vma = Vma { start: new_base, end: room.base, ..stack };
        let flags = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED) as u64;
        self.charged(&mut st, vma.charge(), |st| {
            inject(t, libc::SYS_mmap, [new_base, grow, vma.prot as u64, flags, u64::MAX, 0])?;
            st.vmas.insert(vma);
            st.stack = Some(StackRoom { base: new_base, ..room });
            Ok(())
        })?;
        self.stack_hint.set(&st);
        Ok(true)
    }

    /// Makes the untouched thread stack from the page of `addr` up to the
    /// touched part above it accessible, and charges it.
    fn grow_thread_stack(&self, t: &StubThread, st: &mut MmState, addr: u64) -> Result<(), Errno> {
        let start = page_align_down(addr);
        let mut end = start;
        while let Some(v) = st.vmas.vma_at(end).filter(|v| v.is_lazy()) {
            end = v.end;
        }
        // The parts to grow, as they will be.
        let grown: Vec<Vma> = st
            .vmas
            .intersecting(start, end)
            .map(|v| Vma { start: v.start.max(start), backing: touched(&v.backing), ..v.clone() })
            .collect();
        let need: u64 = grown.iter().map(|v| v.charge()).sum();
        self.charged(st, need, |st| {
            for v in &grown {
                inject(t, libc::SYS_mprotect, [v.start, v.end - v.start, v.prot as u64, 0, 0, 0])?;
            }
            st.vmas.change(start, end, |v| v.backing = touched(&v.backing));
            Ok(())
        })
    }

    /// After `[start, end)` was made (or mapped) writable: if it is the top
    /// of a thread stack of at least `LAZY_MIN`, all but its top
    /// `INITIAL_EXPANSION` becomes untouched stack. (If the stub refuses,
    /// the stack stays as it is, whole and charged.)
    pub(super) fn defer_thread_stack(&self, t: &mut StubThread, st: &mut MmState, start: u64, end: u64) {
        if end - start < LAZY_MIN {
            return;
        }
        // One mapping's pieces, writable, untouched by this so far, and
        // reaching its top.
        let Some(id) = st.vmas.vma_at(start).and_then(|v| stack_id(&v.backing)) else {
            return;
        };
        let this = |v: &Vma| stack_id(&v.backing) == Some(id);
        let whole =
            st.vmas.intersecting(start, end).all(|v| this(v) && !v.is_lazy() && v.prot & libc::PROT_WRITE as u32 != 0);
        let is_top = !st.vmas.vma_at(end).is_some_and(this);
        if !is_top || !whole || !st.vmas.fully_mapped(start, end) {
            return;
        }
        let lazy_end = end - INITIAL_EXPANSION;
        let _ = self.charged(st, 0, |st| {
            inject(t, libc::SYS_mprotect, [start, lazy_end - start, libc::PROT_NONE as u64, 0, 0, 0])?;
            st.vmas.change(start, lazy_end, |v| v.backing = Backing::ThreadStack { id, lazy: true });
            Ok(())
        });
    }
}
