//! Per-thread attributes Linux keeps in the task (its flags, thread info
//! and NUMA policy) that a clone inherits and an exec keeps: the
//! machine-check kill policy, TSC access and speculation controls
//! (prctl), and the memory policy (set_mempolicy).
//!
//! TSC access and speculation controls are the host CPU's: they are set
//! on the task's stub thread, where its code runs, and the host enforces
//! them (a stub forked from it inherits them). An exec starts a fresh
//! stub, so what was set is kept here and set on it again.

use crate::kernel::mm::mempolicy::MemPolicy;
use crate::platform::StubThread;

/// PR_MCE_KILL_LATE / EARLY / DEFAULT.
pub const MCE_KILL_LATE: u64 = 0;
pub const MCE_KILL_EARLY: u64 = 1;
pub const MCE_KILL_DEFAULT: u64 = 2;

const PR_SET_TSC: u64 = 26;
const PR_TSC_SIGSEGV: u64 = 2;
const PR_SET_SPECULATION_CTRL: u64 = 53;
/// PR_SPEC_DISABLE_NOEXEC: an exec clears it.
const PR_SPEC_DISABLE_NOEXEC: u64 = 1 << 4;

#[derive(Clone, Debug, Default)]
pub struct ThreadAttrs {
    /// PF_MCE_PROCESS: the thread chose a policy of its own...
    pub mce_own: bool,
    /// ...PF_MCE_EARLY: and it is to be killed early.
    pub mce_early: bool,
    /// PR_SET_TSC to PR_TSC_SIGSEGV (in force on the stub thread).
    pub tsc_sigsegv: bool,
    /// The last control PR_SET_SPECULATION_CTRL set for each kind (store
    /// bypass, indirect branch, L1D flush); 0 if never.
    pub spec: [u64; 3],
    /// The thread's NUMA policy (None: the default one).
    pub mempolicy: Option<MemPolicy>,
}

impl ThreadAttrs {
    /// What PR_MCE_KILL_GET answers.
    pub fn mce_kill(&self) -> u64 {
        match (self.mce_own, self.mce_early) {
            (false, _) => MCE_KILL_DEFAULT,
            (true, true) => MCE_KILL_EARLY,
            (true, false) => MCE_KILL_LATE,
        }
    }

    /// Sets again, on the fresh stub thread an exec made, the host state
    /// the old one had (a speculation control to disable only until exec
    /// is not).
    pub fn reapply(&mut self, thread: &mut StubThread) {
        if self.tsc_sigsegv {
            let _ = thread.inject(libc::SYS_prctl, [PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0, 0]);
        }
        for (which, ctrl) in self.spec.iter_mut().enumerate() {
            if *ctrl == PR_SPEC_DISABLE_NOEXEC {
                *ctrl = 0;
            }
            if *ctrl != 0 {
                let _ = thread.inject(libc::SYS_prctl, [PR_SET_SPECULATION_CTRL, which as u64, *ctrl, 0, 0, 0]);
            }
        }
    }
}
