//! Flags of an address space that prctl sets and Linux keeps in
//! `mm->flags`: THP disable (PR_SET_THP_DISABLE), memory-deny-write-
//! execute (PR_SET_MDWE) and KSM merging (PR_SET_MEMORY_MERGE). A fork's
//! address space starts with them, and so does the one an exec makes,
//! except MDWE set with PR_MDWE_NO_INHERIT (Linux's `mmf_init_flags`).

use std::sync::atomic::{AtomicU32, Ordering};

/// PR_MDWE_REFUSE_EXEC_GAIN.
pub const MDWE_REFUSE_EXEC_GAIN: u32 = 1;
/// PR_MDWE_NO_INHERIT.
pub const MDWE_NO_INHERIT: u32 = 2;

#[derive(Default)]
pub struct MmFlags {
    /// What PR_GET_THP_DISABLE answers: 0, 1 (disabled), or 3 (disabled
    /// except where advised).
    pub thp_disable: AtomicU32,
    /// PR_MDWE_* bits; once set they only stay.
    pub mdwe: AtomicU32,
    /// PR_SET_MEMORY_MERGE (MMF_VM_MERGE_ANY): the pages may be merged
    /// by KSM. Nothing merges them here, as on a host whose ksmd does not
    /// run (`/sys/kernel/mm/ksm/run` 0, the default).
    pub merge_any: AtomicU32,
}

impl MmFlags {
    /// The flags a new address space of this one's process (fork, exec) starts with.
    pub fn inherited(&self) -> MmFlags {
        let mdwe = self.mdwe.load(Ordering::Relaxed);
        MmFlags {
            thp_disable: self.thp_disable.load(Ordering::Relaxed).into(),
            mdwe: if mdwe & MDWE_NO_INHERIT != 0 { 0 } else { mdwe }.into(),
            merge_any: self.merge_any.load(Ordering::Relaxed).into(),
        }
    }

    /// Takes over what an exec's new address space inherits from `old`
    /// (set once the program is loaded: Linux's loader maps no segment
    /// writable and executable, which MDWE would refuse anyway).
    pub fn inherit_from(&self, old: &MmFlags) {
        let new = old.inherited();
        self.thp_disable.store(new.thp_disable.into_inner(), Ordering::Relaxed);
        self.mdwe.store(new.mdwe.into_inner(), Ordering::Relaxed);
        self.merge_any.store(new.merge_any.into_inner(), Ordering::Relaxed);
    }

    /// Whether MDWE refuses a mapping going from protection `old` to `new`
    /// (Linux's `map_deny_write_exec`): executable and writable at once,
    /// or executable where it was not.
    pub fn denies(&self, old: u32, new: u32) -> bool {
        let (w, x) = (libc::PROT_WRITE as u32, libc::PROT_EXEC as u32);
        self.mdwe.load(Ordering::Relaxed) & MDWE_REFUSE_EXEC_GAIN != 0 && new & x != 0 && (new & w != 0 || old & x == 0)
    }
}
