//! Address spaces. The sentry keeps the authoritative list of mappings of
//! each address space (for `mmap` placement and semantics, `brk`, `mremap`
//! and `/proc/<pid>/maps`) and makes the stub process match it by injecting
//! `mmap`/`munmap`/`mprotect`/`mremap` syscalls into it. Anonymous and private
//! pages live in the stub, so the host provides copy-on-write and demand
//! paging; file mappings map the file's host descriptor, sharing the page cache.

pub mod account;
pub mod aslr;
pub mod layout;
pub mod map_count;
pub mod mempolicy;
pub mod mm_flags;
mod remap_pages;
mod residency;
pub mod stack;
pub mod usermem;
mod vmas;

use std::sync::{Arc, Mutex};

use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::futex::{FutexKey, FutexSpace};
use crate::kernel::ipc::shm::{Segment, ShmRef};
use crate::kernel::vfs::file::OpenFile;
use crate::platform::ptrace::ProcessMemory;
use crate::platform::StubThread;
use account::{MemAccount, Reservation};
use layout::{page_align_up, APP_TOP, MMAP_MIN_ADDR, PAGE};
pub use residency::LockLimit;
pub use vmas::{new_shared_anon_id, Backing, Vma};

/// The mapping state of one address space. Guarded by `MemoryManager::state`.
pub struct MmState {
    /// Mappings, keyed by start address; never overlapping.
    pub vmas: vmas::VmaSet,
    /// Start of the heap (end of the executable's data), page aligned.
    pub brk_start: u64,
    /// Current program break (not page aligned).
    pub brk: u64,
    /// Highest address for top-down `mmap` placement.
    pub mmap_top: u64,
    /// Where exec put the program's parts (Linux's `mm_struct` fields).
    pub program: ProgramLayout,
    /// The main thread's stack and the room it may grow into (`stack.rs`).
    pub stack: Option<stack::StackRoom>,
}

/// Where exec put a program's code, data, stack and start-up strings, as
/// Linux keeps them in `mm_struct`: `/proc/PID/stat`, `statm` and `status`
/// show them, and `cmdline`/`environ` read the argument and environment
/// strings from these ranges of the process's memory.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProgramLayout {
    pub start_code: u64,
    pub end_code: u64,
    pub start_data: u64,
    pub end_data: u64,
    pub start_stack: u64,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
}

/// An address space: its mappings and the stub process that holds its pages.
pub struct MemoryManager {
    /// The mappings. Held across the injection that applies a change, so the
    /// list and the stub never disagree.
    pub state: Mutex<MmState>,
    memory: ProcessMemory,
    /// The container's account the committed mappings are charged to.
    account: Arc<MemAccount>,
    /// membarrier(2) registrations (MEMBARRIER_CMD_REGISTER_* bits), kept
    /// by fork and dropped by exec (a new address space), as Linux's mm.
    pub membarrier: std::sync::atomic::AtomicU32,
    /// Where stacks may grow, for lock-free checks (`stack.rs`).
    stack_hint: stack::StackHint,
    /// THP disable and MDWE (`mm_flags.rs`).
    pub flags: mm_flags::MmFlags,
    /// Writes kept out of the program's file while this address space
    /// runs it (Linux's `mm->exe_file`; `vfs/writecount.rs`).
    exe_file: Mutex<Option<crate::kernel::vfs::writecount::DenyWrite>>,
}

/// What a new mapping is made of.
pub struct MapRequest {
    pub addr: u64,
    pub len: u64,
    pub prot: u32,
    pub flags: u32,
    /// The file and its host descriptor, for file mappings; or what the
    /// file's own checks (access mode, a file that cannot be mapped) fail
    /// with, which Linux's do_mmap gives only after the length, offset and
    /// address checks (so mmap of /dev/null with length 0 is EINVAL).
    pub file: Option<Result<(Arc<OpenFile>, i32), Errno>>,
    pub offset: u64,
}

/// A process's RLIMIT_AS and RLIMIT_DATA, in bytes (`u64::MAX`: none),
/// which its own mmap, brk and mremap calls are held to.
#[derive(Clone, Copy, Debug)]
pub struct VmLimits {
    pub address_space: u64,
    pub data: u64,
}

impl VmLimits {
    /// No limit (the sentry's own mappings: exec).
    pub const NONE: VmLimits = VmLimits { address_space: u64::MAX, data: u64::MAX };

    /// Linux's `may_expand_vm`: whether `grow` more bytes, of a data
    /// mapping if `data`, keep the address space within the limits.
    fn allow(&self, vmas: &vmas::VmaSet, grow: u64, data: bool) -> bool {
        if self.address_space == u64::MAX && self.data == u64::MAX {
            return true;
        }
        let pages = |b: u64| b / PAGE;
        let (total, data_vm) = vmas.vm_totals();
        if pages(total) + pages(grow) > pages(self.address_space) {
            return false;
        }
        !data || pages(data_vm) + pages(grow) <= pages(self.data)
    }
}

/// mmap flags forwarded to the host; everything else is the sentry's business.
const HOST_MAP_FLAGS: u32 = (libc::MAP_SHARED
    | libc::MAP_PRIVATE
    | libc::MAP_ANONYMOUS
    | libc::MAP_NORESERVE
    | libc::MAP_POPULATE
    | libc::MAP_STACK) as u32;

/// Every mmap flag Linux accepts on x86_64.
const KNOWN_MAP_FLAGS: u32 = (libc::MAP_SHARED
    | libc::MAP_PRIVATE
    | libc::MAP_SHARED_VALIDATE
    | libc::MAP_FIXED
    | libc::MAP_ANONYMOUS
    | libc::MAP_32BIT
    | libc::MAP_GROWSDOWN
    | libc::MAP_DENYWRITE
    | libc::MAP_EXECUTABLE
    | libc::MAP_LOCKED
    | libc::MAP_NORESERVE
    | libc::MAP_POPULATE
    | libc::MAP_NONBLOCK
    | libc::MAP_STACK
    | libc::MAP_HUGETLB
    | libc::MAP_SYNC
    | libc::MAP_FIXED_NOREPLACE) as u32
    | (0x3f << 26); // MAP_HUGE_SHIFT size bits

const PROT_MASK: u32 = (libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC) as u32;

fn inject(t: &StubThread, nr: i64, args: [u64; 6]) -> SysResult {
    let r = t.inject(nr, args).map_err(|_| Errno::EFAULT)?;
    if (-4095..0).contains(&r) {
        tracing::debug!(nr, ?args, r, "injected syscall failed");
        Err(Errno(-r as i32))
    } else {
        Ok(r as u64)
    }
}

impl MemoryManager {
    /// An empty address space for the stub process of `thread`, with the
    /// vDSO ranges the stub keeps, charging `account`.
    pub fn new(thread: &StubThread, account: Arc<MemAccount>) -> Arc<MemoryManager> {
        let mut vmas = vmas::VmaSet::default();
        for a in crate::platform::ptrace::vdso_areas() {
            vmas.insert(Vma {
                start: a.start,
                end: a.end,
                prot: a.prot,
                flags: libc::MAP_PRIVATE as u32,
                backing: Backing::Vdso(a.name),
                accounted: false,
                advised: Default::default(),
            });
        }
        Arc::new(MemoryManager {
            state: Mutex::new(MmState {
                vmas,
                brk_start: 0,
                brk: 0,
                mmap_top: layout::MMAP_TOP,
                program: ProgramLayout::default(),
                stack: None,
            }),
            memory: thread.memory(),
            account,
            membarrier: Default::default(),
            stack_hint: Default::default(),
            flags: Default::default(),
            exe_file: Mutex::new(None),
        })
    }

    /// Charges what a fork's copy of this address space commits, ahead of
    /// the fork (held to the limit: a fork that does not fit is ENOMEM, as
    /// in Linux's strict overcommit mode).
    pub fn reserve_fork(&self) -> Result<Reservation, Errno> {
        let bytes = self.lock().vmas.committed();
        Reservation::take(&self.account, bytes).map_err(|()| Errno::ENOMEM)
    }

    /// The address space of a forked child: the same mappings, in the stub
    /// process `host_pid` that the host copied from the parent's, charged
    /// by `charge` (from `reserve_fork`).
    pub fn fork_from(parent: &MemoryManager, host_pid: i32, charge: Reservation) -> Arc<MemoryManager> {
        let st = parent.lock();
        let mut vmas = st.vmas.clone();
        // MADV_DONTFORK: the host left these out of the child's stub too.
        for (start, end) in vmas.dont_copy_ranges() {
            vmas.remove_range(start, end);
        }
        // The parent's other threads may have changed its mappings since.
        let (have, reserved) = (vmas.committed(), charge.bytes());
        if have > reserved {
            parent.account.force_charge(have - reserved);
        } else {
            parent.account.uncharge(reserved - have);
        }
        charge.keep();
        let state = MmState {
            vmas,
            brk_start: st.brk_start,
            brk: st.brk,
            mmap_top: st.mmap_top,
            program: st.program,
            stack: st.stack,
        };
        let stack_hint = stack::StackHint::of(&state);
        Arc::new(MemoryManager {
            state: Mutex::new(state),
            memory: ProcessMemory::of(host_pid),
            account: parent.account.clone(),
            membarrier: parent.membarrier.load(std::sync::atomic::Ordering::Relaxed).into(),
            stack_hint,
            flags: parent.flags.inherited(),
            exe_file: Mutex::new(parent.exe_file.lock().unwrap_or_else(|e| e.into_inner()).clone()),
        })
    }

    /// Forgets every mapping (the process has exited; its stub is gone),
    /// releasing the files they hold and the memory they committed.
    pub fn release(&self) {
        let mut st = self.lock();
        self.account.uncharge(st.vmas.committed());
        st.vmas = vmas::VmaSet::default();
        drop(st);
        *self.exe_file.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Records the program this address space runs (exec), whose file
    /// then stays closed to writers until the address space goes.
    pub fn set_exe_file(&self, deny: crate::kernel::vfs::writecount::DenyWrite) {
        *self.exe_file.lock().unwrap_or_else(|e| e.into_inner()) = Some(deny);
    }

    /// The bytes this address space commits (`account.rs`).
    pub fn committed(&self) -> u64 {
        self.lock().vmas.committed()
    }

    /// Runs `change` (which applies a mapping change to the stub and to
    /// `st.vmas`) with `need` bytes charged first, held to the limit
    /// (ENOMEM otherwise, recorded for the OOM killer); afterwards the
    /// account follows what the mappings really commit.
    fn charged<T>(
        &self,
        st: &mut MmState,
        need: u64,
        change: impl FnOnce(&mut MmState) -> Result<T, Errno>,
    ) -> Result<T, Errno> {
        let before = st.vmas.committed();
        self.account.try_charge(need).map_err(|()| Errno::ENOMEM)?;
        let r = change(st);
        let after = st.vmas.committed();
        let extra = after as i128 - before as i128 - need as i128;
        if extra > 0 {
            self.account.force_charge(extra as u64);
        } else {
            self.account.uncharge((-extra) as u64);
        }
        self.refresh_stack_hint(st);
        r
    }

    /// Memory access for copy-in/copy-out.
    pub fn memory(&self) -> ProcessMemory {
        self.memory
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MmState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A mapping the sentry makes for a process (exec), held to no limit.
    pub fn mmap(&self, t: &mut StubThread, req: MapRequest) -> SysResult {
        self.mmap_limited(t, req, VmLimits::NONE)
    }

    /// `mmap(2)`, after the syscall layer checked the file's access mode;
    /// ENOMEM if the mapping would pass `limits`.
    pub fn mmap_limited(&self, t: &mut StubThread, req: MapRequest, limits: VmLimits) -> SysResult {
        let flags = req.flags;
        if req.len == 0 {
            return Err(Errno::EINVAL);
        }
        let kind = flags & libc::MAP_SHARED_VALIDATE as u32;
        if kind == 0 {
            return Err(Errno::EINVAL);
        }
        if kind == libc::MAP_SHARED_VALIDATE as u32 && flags & !KNOWN_MAP_FLAGS != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        if req.prot & !PROT_MASK & !(libc::PROT_GROWSDOWN | libc::PROT_GROWSUP) as u32 != 0 {
            return Err(Errno::EINVAL);
        }
        if self.flags.denies(req.prot, req.prot) {
            return Err(Errno::EACCES);
        }
        if !req.offset.is_multiple_of(PAGE) {
            return Err(Errno::EINVAL);
        }
        let len = page_align_up(req.len).ok_or(Errno::ENOMEM)?;
        if len > APP_TOP {
            return Err(Errno::ENOMEM);
        }
        if req.offset.checked_add(len).is_none() {
            return Err(Errno::EOVERFLOW);
        }
        let fixed = flags & (libc::MAP_FIXED | libc::MAP_FIXED_NOREPLACE) as u32 != 0;
        let mut st = self.lock();
        map_count::check_new(&st.vmas)?;
        let addr = if fixed {
            if !req.addr.is_multiple_of(PAGE) {
                return Err(Errno::EINVAL);
            }
            let end = req.addr.checked_add(len).ok_or(Errno::ENOMEM)?;
            if end > APP_TOP {
                return Err(Errno::ENOMEM);
            }
            if req.addr < MMAP_MIN_ADDR {
                return Err(Errno::EPERM);
            }
            if flags & libc::MAP_FIXED_NOREPLACE as u32 != 0
                && flags & libc::MAP_FIXED as u32 == 0
                && st.vmas.overlaps(req.addr, end)
            {
                return Err(Errno::EEXIST);
            }
            req.addr
        } else if flags & libc::MAP_32BIT as u32 != 0 {
            st.vmas.find_free(len, layout::MAP_32BIT_LOW, layout::MAP_32BIT_HIGH, None).ok_or(Errno::ENOMEM)?
        } else {
            let hint = page_align_up(req.addr).filter(|&a| a >= MMAP_MIN_ADDR);
            st.vmas.find_free(len, MMAP_MIN_ADDR, st.mmap_top, hint).ok_or(Errno::ENOMEM)?
        };
        let file = req.file.transpose()?;
        let (fd, backing) = match &file {
            Some((f, fd)) if flags & libc::MAP_ANONYMOUS as u32 == 0 => {
                (*fd as i64 as u64, Backing::File { file: f.clone(), offset: req.offset })
            }
            _ if kind != libc::MAP_PRIVATE as u32 => {
                (u64::MAX, Backing::SharedAnon { id: vmas::new_shared_anon_id(), offset: 0 })
            }
            _ if flags & libc::MAP_STACK as u32 != 0 => {
                (u64::MAX, Backing::ThreadStack { id: vmas::new_shared_anon_id(), lazy: false })
            }
            _ => (u64::MAX, Backing::Anon),
        };
        // MAP_SHARED_VALIDATE was checked above; the host gets plain MAP_SHARED.
        let host_kind = if kind == libc::MAP_PRIVATE as u32 { libc::MAP_PRIVATE } else { libc::MAP_SHARED } as u32;
        let host_flags =
            (flags & HOST_MAP_FLAGS & !(libc::MAP_SHARED_VALIDATE as u32)) | host_kind | libc::MAP_FIXED as u32;
        let prot = req.prot & PROT_MASK;
        let off = if matches!(backing, Backing::Anon | Backing::ThreadStack { .. } | Backing::SharedAnon { .. }) {
            0
        } else {
            req.offset
        };
        // Linux's accountable_mapping: private and writable (MAP_NORESERVE is not kept).
        let accounted = host_kind == libc::MAP_PRIVATE as u32 && prot & libc::PROT_WRITE as u32 != 0;
        let vma = Vma {
            start: addr,
            end: addr + len,
            prot,
            flags: host_kind,
            backing,
            accounted,
            advised: Default::default(),
        };
        if !limits.allow(&st.vmas, len - st.vmas.mapped_in(addr, addr + len), vma.is_data()) {
            return Err(Errno::ENOMEM);
        }
        map_count::check_unmap(&st.vmas, addr, addr + len)?;
        let need = vma.charge().saturating_sub(st.vmas.charge_in(addr, addr + len, None));
        self.charged(&mut st, need, |st| {
            inject(t, libc::SYS_mmap, [addr, len, prot as u64, host_flags as u64, fd, off])?;
            st.vmas.remove_range(addr, addr + len);
            st.vmas.insert(vma);
            Ok(addr)
        })?;
        self.defer_thread_stack(t, &mut st, addr, addr + len);
        Ok(addr)
    }

    /// `munmap(2)`.
    pub fn munmap(&self, t: &mut StubThread, addr: u64, len: u64) -> SysResult {
        if !addr.is_multiple_of(PAGE) || len == 0 {
            return Err(Errno::EINVAL);
        }
        let len = page_align_up(len).ok_or(Errno::EINVAL)?;
        let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
        if end > APP_TOP {
            return Err(Errno::EINVAL);
        }
        let mut st = self.lock();
        if st.vmas.overlaps(addr, end) {
            map_count::check_unmap(&st.vmas, addr, end)?;
            self.charged(&mut st, 0, |st| {
                inject(t, libc::SYS_munmap, [addr, len, 0, 0, 0, 0])?;
                st.vmas.remove_range(addr, end);
                Ok(())
            })?;
        }
        Ok(0)
    }

    /// `mprotect(2)`.
    pub fn mprotect(&self, t: &mut StubThread, addr: u64, len: u64, prot: u32) -> SysResult {
        if !addr.is_multiple_of(PAGE) {
            return Err(Errno::EINVAL);
        }
        if prot & !(PROT_MASK | (libc::PROT_GROWSDOWN | libc::PROT_GROWSUP) as u32) != 0 {
            return Err(Errno::EINVAL);
        }
        let len = page_align_up(len).ok_or(Errno::ENOMEM)?;
        if len == 0 {
            return Ok(0);
        }
        let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
        let mut st = self.lock();
        if end > APP_TOP || !st.vmas.fully_mapped(addr, end) {
            return Err(Errno::ENOMEM);
        }
        let prot = prot & PROT_MASK;
        // A shared mapping of a file opened read-only can never become writable.
        if prot & libc::PROT_WRITE as u32 != 0 && st.vmas.any_shared_readonly_file(addr, end) {
            return Err(Errno::EACCES);
        }
        // Past max_map_count Linux changes the VMAs before the one it
        // could not split, then fails; so it does before the first VMA
        // that MDWE keeps from gaining execute.
        let stop = map_count::mprotect_stop(&st.vmas, addr, end, prot).map(|at| (at, Errno::ENOMEM));
        let denied = st.vmas.intersecting(addr, end).find(|v| self.flags.denies(v.prot, prot));
        let denied = denied.map(|v| (v.start.max(addr), Errno::EACCES));
        let stop = match (stop, denied) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
        let end = stop.map_or(end, |(at, _)| at);
        if end > addr {
            let need = st.vmas.charge_in(addr, end, Some(prot)).saturating_sub(st.vmas.charge_in(addr, end, None));
            self.charged(&mut st, need, |st| {
                // Untouched thread stack stays without access in the stub.
                for (s, e) in st.vmas.touched_runs(addr, end) {
                    inject(t, libc::SYS_mprotect, [s, e - s, prot as u64, 0, 0, 0])?;
                }
                st.vmas.set_prot(addr, end, prot);
                Ok(0)
            })?;
            self.defer_thread_stack(t, &mut st, addr, end);
        }
        match stop {
            Some((_, e)) => Err(e),
            None => Ok(0),
        }
    }

    /// `brk(2)`: returns the new break, or the old one when it cannot move
    /// (also when the heap would pass RLIMIT_DATA or the address space
    /// RLIMIT_AS).
    pub fn brk(&self, t: &mut StubThread, want: u64, limits: VmLimits) -> SysResult {
        let mut st = self.lock();
        let old = st.brk;
        if want < st.brk_start {
            return Ok(old);
        }
        let (old_end, new_end) = match (page_align_up(old), page_align_up(want)) {
            (Some(o), Some(n)) => (o, n),
            _ => return Ok(old),
        };
        if new_end > old_end {
            if new_end > st.mmap_top || st.vmas.overlaps(old_end, new_end) {
                return Ok(old);
            }
            if want - st.brk_start > limits.data || !limits.allow(&st.vmas, new_end - old_end, true) {
                return Ok(old);
            }
            if map_count::check_new(&st.vmas).is_err() {
                return Ok(old);
            }
            let flags = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED) as u64;
            let grown = self.charged(&mut st, new_end - old_end, |st| {
                let prot = (libc::PROT_READ | libc::PROT_WRITE) as u64;
                inject(t, libc::SYS_mmap, [old_end, new_end - old_end, prot, flags, u64::MAX, 0])?;
                st.vmas.insert(Vma {
                    start: old_end,
                    end: new_end,
                    prot: prot as u32,
                    flags: libc::MAP_PRIVATE as u32,
                    backing: Backing::Heap,
                    accounted: true,
                    advised: Default::default(),
                });
                Ok(())
            });
            if grown.is_err() {
                return Ok(old);
            }
        } else if new_end < old_end {
            let shrunk = self.charged(&mut st, 0, |st| {
                inject(t, libc::SYS_munmap, [new_end, old_end - new_end, 0, 0, 0, 0])?;
                st.vmas.remove_range(new_end, old_end);
                Ok(())
            });
            if shrunk.is_err() {
                return Ok(old);
            }
        }
        st.brk = want;
        Ok(want)
    }

    /// `mremap(2)`.
    #[allow(clippy::too_many_arguments)]
    pub fn mremap(
        &self,
        t: &mut StubThread,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u32,
        new_addr: u64,
        limits: VmLimits,
    ) -> SysResult {
        let known = (libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED | 4/* MREMAP_DONTUNMAP */) as u32;
        if !old.is_multiple_of(PAGE) || flags & !known != 0 {
            return Err(Errno::EINVAL);
        }
        let may_move = flags & libc::MREMAP_MAYMOVE as u32 != 0;
        let fixed = flags & libc::MREMAP_FIXED as u32 != 0;
        if (fixed || flags & 4 != 0) && !may_move {
            return Err(Errno::EINVAL);
        }
        if flags & 4 != 0 {
            // MREMAP_DONTUNMAP leaves the old range mapped but empty; not served.
            return Err(Errno::EINVAL);
        }
        let old_len = page_align_up(old_len).ok_or(Errno::EINVAL)?;
        let new_len = page_align_up(new_len).ok_or(Errno::EINVAL)?;
        if new_len == 0 || old_len == 0 {
            // old_len == 0 duplicates shared mappings in Linux; not served.
            return Err(Errno::EINVAL);
        }
        let old_end = old.checked_add(old_len).ok_or(Errno::EFAULT)?;
        let mut st = self.lock();
        let vma = st.vmas.single_vma_covering(old, old_end).ok_or(Errno::EFAULT)?;
        if !fixed && new_len <= old_len {
            if new_len < old_len {
                self.charged(&mut st, 0, |st| {
                    inject(t, libc::SYS_munmap, [old + new_len, old_len - new_len, 0, 0, 0, 0])?;
                    st.vmas.remove_range(old + new_len, old_end);
                    Ok(())
                })?;
            }
            return Ok(old);
        }
        if !limits.allow(&st.vmas, new_len.saturating_sub(old_len), vma.is_data()) {
            return Err(Errno::ENOMEM);
        }
        let grow_in_place =
            !fixed && old.checked_add(new_len).is_some_and(|e| e <= APP_TOP && !st.vmas.overlaps(old_end, e));
        let target = if grow_in_place {
            old
        } else if fixed {
            if !new_addr.is_multiple_of(PAGE) {
                return Err(Errno::EINVAL);
            }
            let e = new_addr.checked_add(new_len).ok_or(Errno::EINVAL)?;
            if e > APP_TOP || new_addr < MMAP_MIN_ADDR {
                return Err(Errno::EINVAL);
            }
            if new_addr < old_end && old < e {
                return Err(Errno::EINVAL);
            }
            new_addr
        } else if may_move {
            st.vmas.find_free(new_len, MMAP_MIN_ADDR, st.mmap_top, None).ok_or(Errno::ENOMEM)?
        } else {
            return Err(Errno::ENOMEM);
        };
        if target != old {
            map_count::check_move(&st.vmas)?;
        }
        let host_flags = if target == old { 0 } else { (libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED) as u64 };
        let backing = vma.backing.advanced(old - vma.start);
        let moved = Vma { start: target, end: target + new_len, backing, ..vma };
        // The grown part is new; what a fixed target replaces is given back after.
        let need = moved.charge().saturating_sub(st.vmas.charge_in(old, old_end, None));
        // An mbind policy goes with the mapping, grown part included (a
        // Linux VMA has one policy).
        let policy = st.vmas.policies.at(old);
        self.charged(&mut st, need, |st| {
            inject(t, libc::SYS_mremap, [old, old_len, new_len, host_flags, target, 0])?;
            st.vmas.remove_range(old, old_end);
            if target != old {
                st.vmas.remove_range(target, target + new_len);
            }
            st.vmas.insert(moved);
            st.vmas.policies.set(target, target + new_len, policy);
            Ok(target)
        })
    }

    /// `madvise(2)`: advice is applied to the stub's pages by the host;
    /// what changes a mapping's flags (fork, core dumps) is kept here too.
    pub fn madvise(&self, t: &mut StubThread, addr: u64, len: u64, advice: i32) -> SysResult {
        const SAFE: &[i32] = &[0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25];
        if !addr.is_multiple_of(PAGE) || !SAFE.contains(&advice) {
            return Err(Errno::EINVAL);
        }
        let len = page_align_up(len).ok_or(Errno::EINVAL)?;
        if len == 0 {
            return Ok(0);
        }
        let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
        let mut st = self.lock();
        if end > APP_TOP || !st.vmas.fully_mapped(addr, end) {
            return Err(Errno::ENOMEM);
        }
        inject(t, libc::SYS_madvise, [addr, len, advice as u64, 0, 0, 0])?;
        let set: Option<fn(&mut vmas::Advised)> = match advice {
            libc::MADV_DONTFORK => Some(|a| a.dont_copy = true),
            libc::MADV_DOFORK => Some(|a| a.dont_copy = false),
            libc::MADV_DONTDUMP => Some(|a| a.dont_dump = true),
            libc::MADV_DODUMP => Some(|a| a.dont_dump = false),
            _ => None,
        };
        if let Some(set) = set {
            st.vmas.change(addr, end, |v| set(&mut v.advised));
        }
        Ok(0)
    }
}

/// Where shmat(2) maps a segment.
pub enum ShmPlace {
    /// Where mmap would place it.
    Anywhere,
    /// At this address, which must be free.
    At(u64),
    /// At this address, replacing what is there (SHM_REMAP).
    Replace(u64),
}

impl MemoryManager {
    /// shmat(2)'s mapping: `len` bytes of the segment `shm` holds, shared,
    /// with `prot`; returns the address.
    pub fn map_shm(
        &self,
        t: &mut StubThread,
        place: ShmPlace,
        len: u64,
        prot: u32,
        shm: ShmRef,
        limits: VmLimits,
    ) -> SysResult {
        let len = page_align_up(len).ok_or(Errno::ENOMEM)?;
        let mut st = self.lock();
        map_count::check_new(&st.vmas)?;
        let addr = match place {
            ShmPlace::Anywhere => st.vmas.find_free(len, MMAP_MIN_ADDR, st.mmap_top, None).ok_or(Errno::ENOMEM)?,
            ShmPlace::At(a) | ShmPlace::Replace(a) => {
                let end = a.checked_add(len).ok_or(Errno::EINVAL)?;
                if matches!(place, ShmPlace::At(_)) && st.vmas.overlaps(a, end) {
                    return Err(Errno::EINVAL);
                }
                if end > APP_TOP {
                    return Err(Errno::ENOMEM);
                }
                if a < MMAP_MIN_ADDR {
                    return Err(Errno::EPERM);
                }
                a
            }
        };
        let fd = shm.segment().host_fd() as i64 as u64;
        let vma = Vma {
            start: addr,
            end: addr + len,
            prot,
            flags: libc::MAP_SHARED as u32,
            backing: Backing::Shm { shm, offset: 0 },
            accounted: false,
            advised: Default::default(),
        };
        if !limits.allow(&st.vmas, len - st.vmas.mapped_in(addr, addr + len), false) {
            return Err(Errno::ENOMEM);
        }
        let flags = (libc::MAP_SHARED | libc::MAP_FIXED) as u64;
        self.charged(&mut st, 0, |st| {
            inject(t, libc::SYS_mmap, [addr, len, prot as u64, flags, fd, 0])?;
            st.vmas.remove_range(addr, addr + len);
            st.vmas.insert(vma);
            Ok(addr)
        })
    }

    /// shmdt(2): unmaps the attachment at `addr` (Linux's rule: the
    /// segment mapping whose offset is its distance from `addr`, and the
    /// other pieces of that segment within its size); returns the
    /// segment, EINVAL if there is none.
    pub fn unmap_shm(&self, t: &mut StubThread, addr: u64) -> Result<Arc<Segment>, Errno> {
        if !addr.is_multiple_of(PAGE) {
            return Err(Errno::EINVAL);
        }
        let mut st = self.lock();
        let is_piece = |v: &Vma| match &v.backing {
            Backing::Shm { offset, .. } => v.start >= addr && *offset == v.start - addr,
            _ => false,
        };
        let first = st.vmas.iter().filter(|v| v.end > addr).find(|v| is_piece(v)).cloned().ok_or(Errno::EINVAL)?;
        let Backing::Shm { shm, .. } = &first.backing else {
            return Err(Errno::EINVAL);
        };
        let seg = shm.segment().clone();
        let size = page_align_up(seg.size()).unwrap_or(u64::MAX);
        let mut ranges = vec![(first.start, first.end)];
        for v in st.vmas.iter().filter(|v| v.start > first.start) {
            if v.end - addr > size {
                break;
            }
            if is_piece(v) && matches!(&v.backing, Backing::Shm { shm: s, .. } if Arc::ptr_eq(s.segment(), &seg)) {
                ranges.push((v.start, v.end));
            }
        }
        drop(first);
        self.charged(&mut st, 0, |st| {
            for (s, e) in ranges {
                inject(t, libc::SYS_munmap, [s, e - s, 0, 0, 0, 0])?;
                st.vmas.remove_range(s, e);
            }
            Ok(())
        })?;
        Ok(seg)
    }
}

impl Drop for MemoryManager {
    fn drop(&mut self) {
        let st = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        self.account.uncharge(st.vmas.committed());
    }
}

impl MemoryManager {
    /// How many bytes from `addr` (up to `len`) are mapped writable without
    /// a hole: a read(2) into the buffer can fill that many.
    pub fn writable_extent(&self, addr: u64, len: u64) -> u64 {
        let st = self.lock();
        let end = addr.saturating_add(len);
        let mut at = addr;
        for v in st.vmas.iter().skip_while(|v| v.end <= addr) {
            if v.start > at || v.prot & libc::PROT_WRITE as u32 == 0 || at >= end {
                break;
            }
            at = v.end;
        }
        at.min(end) - addr
    }

    /// The futex key of the word at `addr` (futex.rs): the address space's
    /// for a private futex or private memory; in MAP_SHARED memory, the
    /// memory object's, at the word's offset in it.
    pub fn futex_key(self: &Arc<Self>, addr: u64, private: bool) -> FutexKey {
        let own = FutexKey { space: FutexSpace::Mm(Arc::as_ptr(self) as usize), addr };
        if private {
            return own;
        }
        // Cloned out of the lock: a file's stat takes VFS locks.
        let vma = self.state.lock().unwrap_or_else(|e| e.into_inner()).vmas.vma_at(addr).cloned();
        let Some(v) = vma.filter(|v| v.flags & libc::MAP_SHARED as u32 != 0) else {
            return own;
        };
        match &v.backing {
            Backing::File { file, offset } => match file.ops.stat() {
                Ok(st) => FutexKey { space: FutexSpace::File(st.dev, st.ino), addr: offset + (addr - v.start) },
                Err(_) => own,
            },
            Backing::SharedAnon { id, offset } => {
                FutexKey { space: FutexSpace::Shm(*id), addr: offset + (addr - v.start) }
            }
            Backing::Shm { shm, offset } => {
                FutexKey { space: FutexSpace::Shm(shm.segment().object_id), addr: offset + (addr - v.start) }
            }
            _ => own,
        }
    }

    /// A snapshot of the mappings, in address order.
    pub fn vmas(&self) -> Vec<Vma> {
        self.lock().vmas.iter().cloned().collect()
    }
}
