//! The ordered set of mappings of one address space.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::kernel::ipc::shm::ShmRef;
use crate::kernel::vfs::file::OpenFile;

/// What backs a mapping.
#[derive(Clone)]
pub enum Backing {
    /// Anonymous memory.
    Anon,
    /// The program break area.
    Heap,
    /// The main thread's stack.
    Stack,
    /// Private anonymous memory mapped with MAP_STACK (a thread's stack),
    /// by the mmap call numbered `id`. `lazy` while it has not been
    /// touched: the stub holds it without access and it commits nothing
    /// until a touch grows the stack down into it (`stack.rs`).
    ThreadStack { id: u64, lazy: bool },
    /// The host vDSO and its data pages, kept in every stub, with the
    /// host's name for the range (`[vdso]`, `[vvar]`, `[vvar_vclock]`).
    Vdso(&'static str),
    /// A file, from `offset` at the mapping's start.
    File { file: Arc<OpenFile>, offset: u64 },
    /// Shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS): object `id`,
    /// which forked children share, from `offset` at the mapping's start.
    SharedAnon { id: u64, offset: u64 },
    /// A System V shared memory segment (shmat), from `offset` at the
    /// mapping's start; the mapping is one of the segment's attachments.
    Shm { shm: ShmRef, offset: u64 },
}

impl Backing {
    /// The same backing `by` bytes further in (a mapping's later part).
    pub fn advanced(mut self, by: u64) -> Backing {
        if let Backing::File { offset, .. } | Backing::SharedAnon { offset, .. } | Backing::Shm { offset, .. } =
            &mut self
        {
            *offset += by;
        }
        self
    }
}

/// A new shared anonymous memory object's id.
pub fn new_shared_anon_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// One mapping: `[start, end)` with one protection and backing.
#[derive(Clone)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    /// PROT_* bits.
    pub prot: u32,
    /// MAP_SHARED or MAP_PRIVATE.
    pub flags: u32,
    pub backing: Backing,
    /// Linux's VM_ACCOUNT: the mapping was made private and writable (by
    /// mmap, brk or mprotect), and stays marked when it loses write (but
    /// see `set_prot`), so a RELRO page made read-only is a VMA of its own
    /// beside the never-writable rodata before it.
    pub accounted: bool,
    /// What madvise marked on it.
    pub advised: Advised,
}

/// The madvise flags of a mapping the sentry acts on itself (the host
/// applies every advice to the stub's pages too).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Advised {
    /// VM_DONTCOPY (MADV_DONTFORK): a forked child does not get it.
    pub dont_copy: bool,
    /// VM_DONTDUMP (MADV_DONTDUMP): core dumps leave its contents out.
    pub dont_dump: bool,
}

impl Vma {
    /// The bytes this mapping commits (`account.rs`): private writable
    /// memory and shared anonymous memory; nothing for the vDSO, read-only
    /// or inaccessible private mappings, or shared file mappings (their
    /// pages are the file's).
    pub fn charge(&self) -> u64 {
        let len = self.end - self.start;
        let shared = self.flags & libc::MAP_SHARED as u32 != 0;
        let writable = self.prot & libc::PROT_WRITE as u32 != 0;
        match self.backing {
            Backing::Vdso(_) | Backing::ThreadStack { lazy: true, .. } => 0,
            // A segment's pages are the namespace's, as a shared file's are the file's.
            Backing::File { .. } | Backing::Shm { .. } if shared => 0,
            Backing::Anon | Backing::Heap | Backing::Stack | Backing::SharedAnon { .. } if shared => len,
            _ if writable => len,
            _ => 0,
        }
    }

    /// Whether this is thread stack not touched yet.
    pub fn is_lazy(&self) -> bool {
        matches!(self.backing, Backing::ThreadStack { lazy: true, .. })
    }

    /// Whether Linux counts the mapping in `data_vm` (RLIMIT_DATA):
    /// private and writable, and not the stack.
    pub fn is_data(&self) -> bool {
        self.flags & libc::MAP_SHARED as u32 == 0
            && self.prot & libc::PROT_WRITE as u32 != 0
            && !matches!(self.backing, Backing::Stack | Backing::Vdso(_))
    }

    /// The mapping's length.
    pub fn size(&self) -> u64 {
        self.end - self.start
    }

    /// Whether Linux would have `next`, which starts where this mapping
    /// ends, in the same VMA: same protection, flags and backing, at
    /// consecutive offsets (Linux merges them when they are made, or grows
    /// the heap's in place, where husk keeps each piece).
    pub fn merges_with(&self, next: &Vma) -> bool {
        let same_backing = match (&self.backing, &next.backing) {
            (Backing::Anon, Backing::Anon)
            | (Backing::Heap, Backing::Heap)
            | (Backing::Stack, Backing::Stack)
            | (Backing::ThreadStack { .. }, Backing::ThreadStack { .. }) => true,
            (Backing::SharedAnon { id: a, offset: oa }, Backing::SharedAnon { id: b, offset: ob }) => {
                a == b && oa + (self.end - self.start) == *ob
            }
            (Backing::Shm { shm: a, offset: oa }, Backing::Shm { shm: b, offset: ob }) => {
                a.same(b) && oa + (self.end - self.start) == *ob
            }
            (Backing::File { file: a, offset: oa }, Backing::File { file: b, offset: ob }) => {
                Arc::ptr_eq(a, b) && oa + (self.end - self.start) == *ob
            }
            _ => false,
        };
        self.end == next.start
            && self.prot == next.prot
            && self.flags == next.flags
            && self.accounted == next.accounted
            && self.advised == next.advised
            && same_backing
    }

    /// The part of this mapping inside `[start, end)`, with file offsets kept right.
    fn slice(&self, start: u64, end: u64) -> Vma {
        let mut v = self.clone();
        v.start = start.max(self.start);
        v.end = end.min(self.end);
        v.backing = v.backing.advanced(v.start - self.start);
        v
    }
}

/// Non-overlapping mappings keyed by start address.
#[derive(Clone, Default)]
pub struct VmaSet {
    map: BTreeMap<u64, Vma>,
    /// The sum of the mappings' `charge`.
    committed: u64,
    /// How many pieces are untouched thread stack (`Backing::ThreadStack`).
    lazy: usize,
    /// The sum of the mappings' sizes (Linux's `total_vm`), and the
    /// most it has been (`hiwater_vm`, VmPeak).
    total: u64,
    peak: u64,
    /// Neighbouring pieces Linux would hold in one VMA (`Vma::merges_with`):
    /// the VMA count Linux would have is the pieces less these.
    joins: usize,
    /// Memory policies mbind set (`mempolicy.rs`); unmapping drops them.
    pub policies: super::mempolicy::RangePolicies,
}

impl VmaSet {
    /// All mappings in address order.
    pub fn iter(&self) -> impl Iterator<Item = &Vma> {
        self.map.values()
    }

    /// The bytes the mappings commit.
    pub fn committed(&self) -> u64 {
        self.committed
    }

    /// The bytes the parts of mappings inside `[start, end)` commit, with
    /// their protection replaced by `prot` if given.
    pub fn charge_in(&self, start: u64, end: u64, prot: Option<u32>) -> u64 {
        self.intersecting(start, end)
            .map(|v| {
                let mut s = v.slice(start, end);
                if let Some(p) = prot {
                    s.prot = p;
                }
                s.charge()
            })
            .sum()
    }

    /// How many VMAs Linux would count (`mm->map_count`, what
    /// `max_map_count` limits and `maps` lists).
    pub fn linux_count(&self) -> usize {
        self.map.len() - self.joins
    }

    /// The pieces just before and just after `[start, end)`.
    fn neighbours(&self, start: u64, end: u64) -> (Option<&Vma>, Option<&Vma>) {
        (self.map.range(..start).next_back().map(|(_, v)| v), self.map.range(end..).next().map(|(_, v)| v))
    }

    /// The joins piece `v` makes with its neighbours.
    fn joins_of(&self, v: &Vma) -> usize {
        let (prev, next) = self.neighbours(v.start, v.end);
        usize::from(prev.is_some_and(|p| p.merges_with(v))) + usize::from(next.is_some_and(|n| v.merges_with(n)))
    }

    /// The Linux VMA holding `addr`: the run of pieces that merge around it.
    pub fn linux_vma_at(&self, addr: u64) -> Option<(u64, u64)> {
        let v = self.vma_at(addr)?;
        let (mut start, mut end) = (v.start, v.end);
        let mut cur = v;
        while let Some(p) = self.map.range(..cur.start).next_back().map(|(_, p)| p).filter(|p| p.merges_with(cur)) {
            start = p.start;
            cur = p;
        }
        cur = v;
        while let Some(n) = self.map.get(&cur.end).filter(|n| cur.merges_with(n)) {
            end = n.end;
            cur = n;
        }
        Some((start, end))
    }

    fn take(&mut self, start: u64) -> Option<Vma> {
        let v = self.map.get(&start)?;
        self.joins -= self.joins_of(v);
        let v = self.map.remove(&start)?;
        self.committed -= v.charge();
        self.total -= v.size();
        self.lazy -= usize::from(v.is_lazy());
        Some(v)
    }

    /// Mappings intersecting `[start, end)`.
    pub fn intersecting(&self, start: u64, end: u64) -> impl Iterator<Item = &Vma> {
        let first = self.map.range(..=start).next_back().map(|(&k, _)| k).unwrap_or(start);
        self.map.range(first..end).map(|(_, v)| v).filter(move |v| v.end > start && v.start < end)
    }

    /// Bytes mapped in all (Linux's `total_vm`) and in data mappings
    /// (`data_vm`), for RLIMIT_AS and RLIMIT_DATA.
    pub fn vm_totals(&self) -> (u64, u64) {
        let data = self.map.values().filter(|v| v.is_data()).map(Vma::size).sum();
        (self.total, data)
    }

    /// The most `total_vm` has been since exec (VmPeak).
    pub fn peak(&self) -> u64 {
        self.peak
    }

    /// Bytes mapped inside `[start, end)`.
    pub fn mapped_in(&self, start: u64, end: u64) -> u64 {
        self.intersecting(start, end).map(|v| v.end.min(end) - v.start.max(start)).sum()
    }

    /// True if any mapping intersects `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.intersecting(start, end).next().is_some()
    }

    /// True if `[start, end)` is covered without holes.
    pub fn fully_mapped(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        for v in self.intersecting(start, end) {
            if v.start > at {
                return false;
            }
            at = v.end;
        }
        at >= end
    }

    /// The mapping holding `addr`, if one does.
    pub fn vma_at(&self, addr: u64) -> Option<&Vma> {
        self.map.range(..=addr).next_back().map(|(_, v)| v).filter(|v| addr < v.end)
    }

    /// The one mapping that covers all of `[start, end)`, if there is one.
    pub fn single_vma_covering(&self, start: u64, end: u64) -> Option<Vma> {
        let v = self.intersecting(start, end).next()?;
        (v.start <= start && v.end >= end).then(|| v.clone())
    }

    /// Whether a shared mapping of a file not open for writing intersects.
    pub fn any_shared_readonly_file(&self, start: u64, end: u64) -> bool {
        self.intersecting(start, end).any(|v| {
            v.flags & libc::MAP_SHARED as u32 != 0
                && matches!(&v.backing, Backing::File { file, .. } if file.flags() & libc::O_ACCMODE as u32 == libc::O_RDONLY as u32)
        })
    }

    /// Inserts a mapping. Precondition: the range is free.
    pub fn insert(&mut self, v: Vma) {
        self.take(v.start);
        self.committed += v.charge();
        self.total += v.size();
        self.lazy += usize::from(v.is_lazy());
        self.joins += self.joins_of(&v);
        self.map.insert(v.start, v);
        self.peak = self.peak.max(self.total);
    }

    /// Removes `[start, end)`, splitting mappings at the edges.
    pub fn remove_range(&mut self, start: u64, end: u64) {
        self.policies.clear(start, end);
        let hit: Vec<Vma> = self.intersecting(start, end).cloned().collect();
        for v in hit {
            self.take(v.start);
            if v.start < start {
                self.insert(v.slice(v.start, start));
            }
            if v.end > end {
                self.insert(v.slice(end, v.end));
            }
        }
    }

    /// Sets the protection of `[start, end)` (which is fully mapped).
    pub fn set_prot(&mut self, start: u64, end: u64, prot: u32) {
        self.change(start, end, |v| {
            v.prot = prot;
            let private = v.flags & libc::MAP_SHARED as u32 == 0;
            if private && prot & libc::PROT_WRITE as u32 != 0 {
                v.accounted = true;
            } else if matches!(v.backing, Backing::Anon) {
                // Linux unmarks an anonymous mapping made read-only before
                // it has pages of its own (no anon_vma); husk cannot tell,
                // and takes anonymous mappings as untouched.
                v.accounted = false;
            }
        });
    }

    /// Applies `f` to the parts of the mappings inside `[start, end)`.
    pub fn change(&mut self, start: u64, end: u64, f: impl Fn(&mut Vma)) {
        let hit: Vec<Vma> = self.intersecting(start, end).cloned().collect();
        for v in hit {
            self.take(v.start);
            if v.start < start {
                self.insert(v.slice(v.start, start));
            }
            let mut mid = v.slice(start, end);
            f(&mut mid);
            self.insert(mid);
            if v.end > end {
                self.insert(v.slice(end, v.end));
            }
        }
    }

    /// The ranges a forked child does not get (MADV_DONTFORK).
    pub fn dont_copy_ranges(&self) -> Vec<(u64, u64)> {
        self.map.values().filter(|v| v.advised.dont_copy).map(|v| (v.start, v.end)).collect()
    }

    /// Whether any piece is untouched thread stack.
    pub fn has_lazy(&self) -> bool {
        self.lazy > 0
    }

    /// The parts of `[start, end)` that are not untouched thread stack
    /// (what the stub may be given access to), neighbours joined.
    pub fn touched_runs(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        for v in self.intersecting(start, end).filter(|v| !v.is_lazy()) {
            let (s, e) = (v.start.max(start), v.end.min(end));
            match out.last_mut() {
                Some(last) if last.1 == s => last.1 = e,
                _ => out.push((s, e)),
            }
        }
        out
    }

    /// The ranges of untouched thread stack, in address order (neighbours
    /// joined).
    pub fn lazy_ranges(&self) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        if self.lazy == 0 {
            return out;
        }
        for v in self.map.values().filter(|v| v.is_lazy()) {
            match out.last_mut() {
                Some(last) if last.1 == v.start => last.1 = v.end,
                _ => out.push((v.start, v.end)),
            }
        }
        out
    }

    /// Finds `len` free bytes in `[low, high)`: at `hint` if it fits, else
    /// the highest free range (top-down, as Linux places mappings).
    pub fn find_free(&self, len: u64, low: u64, high: u64, hint: Option<u64>) -> Option<u64> {
        if let Some(h) = hint {
            if let Some(e) = h.checked_add(len) {
                if h >= low && e <= super::layout::APP_TOP && !self.overlaps(h, e) {
                    return Some(h);
                }
            }
        }
        let mut top = high;
        for v in self.map.range(..high).rev().map(|(_, v)| v) {
            if v.end <= top && top - v.end >= len && top - len >= low {
                return Some(top - len);
            }
            top = top.min(v.start);
            if top < low.saturating_add(len) {
                return None;
            }
        }
        (top >= low.checked_add(len)?).then(|| top - len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(start: u64, end: u64, prot: u32) -> Vma {
        Vma {
            start,
            end,
            prot,
            flags: libc::MAP_PRIVATE as u32,
            backing: Backing::Anon,
            accounted: false,
            advised: Advised::default(),
        }
    }

    #[test]
    fn linux_count_follows_merges_and_splits() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x2000, 1));
        s.insert(anon(0x3000, 0x4000, 1));
        assert_eq!(s.linux_count(), 2);
        // Filling the gap joins all three into one VMA.
        s.insert(anon(0x2000, 0x3000, 1));
        assert_eq!(s.linux_count(), 1);
        assert_eq!(s.linux_vma_at(0x2800), Some((0x1000, 0x4000)));
        s.set_prot(0x2000, 0x3000, 0);
        assert_eq!(s.linux_count(), 3);
        s.set_prot(0x2000, 0x3000, 1);
        assert_eq!(s.linux_count(), 1);
        s.remove_range(0x2000, 0x3000);
        assert_eq!(s.linux_count(), 2);
        s.remove_range(0x1000, 0x4000);
        assert_eq!(s.linux_count(), 0);
    }
}
