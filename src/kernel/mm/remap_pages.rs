//! remap_file_pages(2), as Linux has emulated it since 4.0: a new shared
//! mapping of the same object over the range, at another offset, made
//! through the host's own remap_file_pages in the stub (which does the same
//! to the stub's mapping).

use super::layout::PAGE;
use super::vmas::{Backing, Vma};
use super::{inject, MemoryManager};
use crate::kernel::errno::{Errno, SysResult};
use crate::platform::StubThread;

/// The one flag remap_file_pages passes on to its mmap.
const MAP_NONBLOCK: u64 = libc::MAP_NONBLOCK as u64;

/// Whether two backings are the same object (at any offset).
fn same_object(a: &Backing, b: &Backing) -> bool {
    match (a, b) {
        (Backing::File { file: x, .. }, Backing::File { file: y, .. }) => std::sync::Arc::ptr_eq(x, y),
        (Backing::SharedAnon { id: x, .. }, Backing::SharedAnon { id: y, .. }) => x == y,
        (Backing::Shm { shm: x, .. }, Backing::Shm { shm: y, .. }) => x.same(y),
        _ => false,
    }
}

/// `backing` from byte `offset` of its object.
fn at_offset(backing: &Backing, offset: u64) -> Backing {
    let mut b = backing.clone();
    if let Backing::File { offset: o, .. } | Backing::SharedAnon { offset: o, .. } | Backing::Shm { offset: o, .. } =
        &mut b
    {
        *o = offset;
    }
    b
}

impl MemoryManager {
    /// `remap_file_pages(2)`: the pages from `start` (rounded down) for
    /// `size` (rounded down) show the object from page `pgoff`. The range
    /// must lie in shared mappings of one object with the same protection
    /// and flags, one after another (EINVAL otherwise), as in Linux.
    pub fn remap_file_pages(
        &self,
        t: &mut StubThread,
        start: u64,
        size: u64,
        prot: u64,
        pgoff: u64,
        flags: u64,
    ) -> SysResult {
        let (start, size) = (start & !(PAGE - 1), size & !(PAGE - 1));
        if prot != 0 || size == 0 {
            return Err(Errno::EINVAL);
        }
        let end = start.checked_add(size).ok_or(Errno::EINVAL)?;
        let offset = pgoff.checked_add(size / PAGE).and_then(|_| pgoff.checked_mul(PAGE)).ok_or(Errno::EINVAL)?;
        let mut st = self.lock();
        let first = st.vmas.vma_at(start).cloned().ok_or(Errno::EINVAL)?;
        if first.flags & libc::MAP_SHARED as u32 == 0
            || !matches!(first.backing, Backing::File { .. } | Backing::SharedAnon { .. } | Backing::Shm { .. })
        {
            return Err(Errno::EINVAL);
        }
        let mut covered = first.end;
        for v in st.vmas.intersecting(first.end, end.max(first.end)) {
            if covered >= end {
                break;
            }
            if v.start != covered
                || v.prot != first.prot
                || v.flags != first.flags
                || !same_object(&v.backing, &first.backing)
            {
                return Err(Errno::EINVAL);
            }
            covered = v.end;
        }
        if covered < end {
            return Err(Errno::EINVAL);
        }
        let vma = Vma { start, end, backing: at_offset(&first.backing, offset), ..first };
        self.charged(&mut st, 0, |st| {
            inject(t, libc::SYS_remap_file_pages, [start, size, 0, pgoff, flags & MAP_NONBLOCK, 0])?;
            st.vmas.remove_range(start, end);
            st.vmas.insert(vma);
            Ok(0)
        })
    }
}
