//! `vm.max_map_count`: the most VMAs an address space may have, with
//! Linux's checks (mm/mmap.c, mm/vma.c). The count is Linux's VMA count
//! (`VmaSet::linux_count`, what `/proc/PID/maps` lists): a new mapping is
//! refused once the count is *past* the limit (do_mmap, do_brk_flags), a
//! split once it *reaches* it (split_vma for mprotect; munmap only when
//! it would cut a hole inside one VMA); mremap moves keep 3 in reserve.
//!
//! Linux's setting is one for the whole kernel; here it is one per sentry
//! process, which serves one sandbox. The stub processes are held to the
//! host's own limit too, so past the host's setting a mapping fails there
//! (ENOMEM) whatever the sandbox's says.

use std::sync::atomic::{AtomicI32, Ordering};

use super::vmas::VmaSet;
use crate::kernel::errno::Errno;

/// Linux's default (DEFAULT_MAX_MAP_COUNT: USHRT_MAX - 5).
pub const DEFAULT: i32 = 65530;

static MAX_MAP_COUNT: AtomicI32 = AtomicI32::new(DEFAULT);

/// The current limit.
pub fn get() -> i32 {
    MAX_MAP_COUNT.load(Ordering::Relaxed)
}

/// Sets the limit (`/proc/sys/vm/max_map_count`; the caller checked it is
/// not negative, as proc_dointvec_minmax with a floor of 0 does).
pub fn set(v: i32) {
    MAX_MAP_COUNT.store(v, Ordering::Relaxed);
}

fn count(vmas: &VmaSet) -> i64 {
    vmas.linux_count() as i64
}

/// A new mapping (mmap, brk, shmat): ENOMEM once past the limit.
pub fn check_new(vmas: &VmaSet) -> Result<(), Errno> {
    if count(vmas) > get() as i64 {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

/// Unmapping `[start, end)` (munmap, or what a MAP_FIXED mapping
/// replaces): ENOMEM if it would cut a hole inside one VMA, adding one,
/// with the count at the limit.
pub fn check_unmap(vmas: &VmaSet, start: u64, end: u64) -> Result<(), Errno> {
    let hole = vmas.linux_vma_at(start).is_some_and(|(s, e)| s < start && end < e);
    if hole && count(vmas) >= get() as i64 {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

/// mprotect of `[start, end)` to `prot`: where Linux's walk over the VMAs
/// would stop for want of a split (each split needs the count below the
/// limit and adds one), or `None` if it goes through. The VMAs before that
/// point have been changed when Linux returns ENOMEM.
pub fn mprotect_stop(vmas: &VmaSet, start: u64, end: u64, prot: u32) -> Option<u64> {
    let max = get() as i64;
    let mut n = count(vmas);
    let mut at = start;
    while at < end {
        let (s, e) = vmas.linux_vma_at(at)?;
        let unchanged = vmas.vma_at(at).is_some_and(|v| v.prot == prot);
        if !unchanged {
            for cut in [s < at, end < e] {
                if cut {
                    if n >= max {
                        return Some(at);
                    }
                    n += 1;
                }
            }
        }
        at = e;
    }
    None
}

/// An mremap that moves a mapping: Linux keeps room for the splits a
/// move may need.
pub fn check_move(vmas: &VmaSet) -> Result<(), Errno> {
    if count(vmas) >= get() as i64 - 3 {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}
