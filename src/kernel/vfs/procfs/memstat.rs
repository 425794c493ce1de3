//! A process's memory figures as Linux's `task_mem`/`task_statm` give them
//! (`status`, `statm`, `stat`, `ps`). Sizes come from the sentry's VMA list
//! and the program layout exec recorded; resident pages are the host's for
//! the stub process holding the address space, counted only inside the
//! application's mappings (the stub's own pages are not the program's).

use crate::kernel::mm::{Backing, ProgramLayout, Vma};
use crate::kernel::task::ThreadGroup;

const PAGE: u64 = 4096;

/// Everything in bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemFigures {
    /// `total_vm` and its high-water mark.
    pub size: u64,
    pub peak: u64,
    /// Private writable mappings other than the stack (`data_vm`).
    pub data: u64,
    /// The stack (`stack_vm`).
    pub stack: u64,
    /// The executable's code (`end_code - start_code`, page aligned) and
    /// the rest of the executable mappings (`exec_vm - text`).
    pub text: u64,
    pub lib: u64,
    /// Resident pages by kind, and the resident high-water mark.
    pub anon: u64,
    pub file: u64,
    pub shmem: u64,
    pub hwm: u64,
    /// The host's figures for the stub: locked memory, page tables, swap.
    pub locked: u64,
    pub pte: u64,
    pub swap: u64,
}

impl MemFigures {
    pub fn rss(&self) -> u64 {
        self.anon + self.file + self.shmem
    }
}

/// (total, resident) bytes: what `stat`, `statm`'s first two and `ps`
/// need, without the host's status file.
pub fn size_and_rss(tg: &ThreadGroup, zombie: bool) -> (u64, u64) {
    if zombie {
        return (0, 0);
    }
    let (anon, file, shmem) = super::smaps::resident_by_kind(tg);
    (vm_figures(tg).size, anon + file + shmem)
}

/// The figures of a live process (all zero for a zombie).
pub fn figures(tg: &ThreadGroup, zombie: bool) -> MemFigures {
    if zombie {
        return MemFigures::default();
    }
    let mut f = vm_figures(tg);
    let Some(host_pid) = super::pid::stub_pid(tg) else { return f };
    (f.anon, f.file, f.shmem) = super::smaps::resident_by_kind(tg);
    let status = super::host_read::read_host(&format!("/proc/{host_pid}/status"));
    let kib = |key: &str| -> u64 {
        status.lines().find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse().ok()).unwrap_or(0) * 1024
    };
    // The stub's own pages (its code, its threads' slots) are resident
    // too: the host's high-water mark less them now.
    let overhead = kib("VmRSS:").saturating_sub(f.rss());
    f.hwm = kib("VmHWM:").saturating_sub(overhead).max(f.rss());
    (f.locked, f.pte, f.swap) = (kib("VmLck:"), kib("VmPTE:"), kib("VmSwap:"));
    f
}

/// The sizes, from the VMA list and the program layout.
fn vm_figures(tg: &ThreadGroup) -> MemFigures {
    let mm = tg.mm();
    let st = mm.state.lock().unwrap_or_else(|e| e.into_inner());
    let (size, data) = st.vmas.vm_totals();
    let sum = |keep: &dyn Fn(&Vma) -> bool| -> u64 { st.vmas.iter().filter(|v| keep(v)).map(Vma::size).sum() };
    let stack = sum(&|v| matches!(v.backing, Backing::Stack));
    let exec_vm = sum(&|v| {
        v.prot & libc::PROT_EXEC as u32 != 0
            && v.prot & libc::PROT_WRITE as u32 == 0
            && !matches!(v.backing, Backing::Stack)
    });
    let text = text_bytes(&st.program).min(exec_vm);
    MemFigures { size, peak: st.vmas.peak().max(size), data, stack, text, lib: exec_vm - text, ..Default::default() }
}

/// The executable's code span, in whole pages.
pub fn text_bytes(p: &ProgramLayout) -> u64 {
    p.end_code.next_multiple_of(PAGE).saturating_sub(p.start_code & !(PAGE - 1))
}
