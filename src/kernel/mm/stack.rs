//! The main thread's stack, growing down on demand as Linux's
//! `VM_GROWSDOWN` stack does. Exec maps what Linux's `setup_arg_pages`
//! maps (the start-up strings and 128 KiB below them) and keeps the rest of
//! the stack's room reserved in the stub without access (no VMA, nothing
//! charged), so the program's first touch below its stack faults and the
//! sentry grows the stack down to that page (`Task::grow_stack_to`). The
//! stack is charged like any mapping as it grows: a container's memory
//! counts the stack its processes use, not the 8 MiB of room each has.

use super::layout::{page_align_down, PAGE};
use super::vmas::Backing;
use super::{inject, MemoryManager, VmLimits, Vma};
use crate::kernel::errno::Errno;
use crate::platform::StubThread;
use std::sync::atomic::{AtomicU64, Ordering};

/// Linux's `stack_guard_gap`: the stack stops growing this far above the
/// mapping below it.
const GUARD_GAP: u64 = 256 * PAGE;

/// What Linux's exec maps below the start-up strings.
pub const INITIAL_EXPANSION: u64 = 128 << 10;

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

/// A copy of the room that threads read without the address space's lock
/// (every syscall checks its stack pointer against it); written under the
/// lock whenever the room changes.
#[derive(Default)]
pub struct StackHint {
    floor: AtomicU64,
    base: AtomicU64,
}

impl StackHint {
    /// A hint showing `room`.
    pub fn of(room: Option<StackRoom>) -> StackHint {
        let h = StackHint::default();
        h.set(room);
        h
    }

    fn set(&self, room: Option<StackRoom>) {
        let (floor, base) = room.map_or((0, 0), |r| (r.floor, r.base));
        self.floor.store(floor, Ordering::Relaxed);
        self.base.store(base, Ordering::Relaxed);
    }
}

impl MemoryManager {
    /// Whether a touch at `addr` may grow the stack (a hint: `grow_stack`
    /// decides under the lock).
    pub fn stack_grows_for(&self, addr: u64) -> bool {
        let h = &self.stack_hint;
        (h.floor.load(Ordering::Relaxed)..h.base.load(Ordering::Relaxed)).contains(&addr)
    }

    /// Maps a new program's stack: `[floor, top)` reserved, `[base, top)`
    /// usable, held to no limit (exec, as `mmap`).
    pub fn map_stack(&self, t: &mut StubThread, floor: u64, base: u64, top: u64) -> Result<(), Errno> {
        let anon = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE) as u64;
        inject(t, libc::SYS_mmap, [floor, base - floor, libc::PROT_NONE as u64, anon, u64::MAX, 0])?;
        let rw = (libc::PROT_READ | libc::PROT_WRITE) as u32;
        let mut st = self.lock();
        let vma = Vma { start: base, end: top, prot: rw, flags: libc::MAP_PRIVATE as u32, backing: Backing::Stack };
        self.charged(&mut st, vma.charge(), |st| {
            inject(
                t,
                libc::SYS_mmap,
                [base, top - base, rw as u64, anon & !(libc::MAP_NORESERVE as u64), u64::MAX, 0],
            )?;
            st.vmas.remove_range(base, top);
            st.vmas.insert(vma);
            st.stack = Some(StackRoom { floor, base, top });
            self.stack_hint.set(st.stack);
            Ok(())
        })
    }

    /// Grows the main stack down to the page of `addr`, as Linux's
    /// `expand_stack`: not past `max_size` (RLIMIT_STACK) or `limits`, not
    /// within the guard gap of a mapping below, and only while the stack
    /// is still there (munmapped, it grows no more). ENOMEM when the
    /// charge does not fit (recorded for the OOM killer), EFAULT otherwise.
    pub fn grow_stack(&self, t: &mut StubThread, addr: u64, max_size: u64, limits: VmLimits) -> Result<(), Errno> {
        let mut st = self.lock();
        let Some(room) = st.stack.filter(|r| r.grows_for(addr)) else {
            return Ok(());
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
            self.stack_hint.set(st.stack);
            Ok(())
        })
    }
}
