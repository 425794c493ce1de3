//! A container's cgroup, as far as the sandbox keeps one: each container
//! is one cgroup (what its processes see at the root of `/sys/fs/cgroup`,
//! as under a private cgroup namespace), with the memory controller
//! (`mm/account.rs`), a pids controller (this file) and the CPU time its
//! processes used. `vfs/cgroupfs.rs` shows them as cgroup v2 files.
//!
//! The pids controller counts tasks as Linux's does: every live thread,
//! and a process that exited until it is reaped; a fork that would pass
//! the limit fails with EAGAIN and is counted in `pids.events`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::container::ContainerTag;
use super::task::procs::{is_zombie, ProcTable};
use super::task::ThreadGroup;
use super::timer::CpuTimes;
use super::Kernel;

/// No limit.
pub const UNLIMITED: u64 = u64::MAX;

/// The pids controller of one container.
#[derive(Debug)]
pub struct PidsLimit {
    /// `pids.max` (`UNLIMITED`: "max").
    limit: AtomicU64,
    /// `pids.peak`: the most tasks charged at once.
    peak: AtomicU64,
    /// `pids.events`' max: forks refused at the limit.
    refused: AtomicU64,
}

impl Default for PidsLimit {
    fn default() -> Self {
        PidsLimit { limit: AtomicU64::new(UNLIMITED), peak: AtomicU64::new(0), refused: AtomicU64::new(0) }
    }
}

impl PidsLimit {
    pub fn limit(&self) -> u64 {
        self.limit.load(Ordering::Relaxed)
    }

    pub fn set_limit(&self, n: u64) {
        self.limit.store(n, Ordering::Relaxed);
    }

    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Charges one more task to a container holding `current` (forks under
    /// way included): false, and counted, if that passes the limit.
    pub fn try_charge(&self, current: usize) -> bool {
        let new = current as u64 + 1;
        if new > self.limit() {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.peak.fetch_max(new, Ordering::Relaxed);
        true
    }
}

/// Whether process `g` belongs to container `c`.
fn member(g: &ThreadGroup, c: &ContainerTag) -> bool {
    std::ptr::eq(Arc::as_ptr(&g.container), c)
}

/// `pids.current`: the container's live threads, and one for each of its
/// processes that exited and is not reaped yet.
pub fn tasks_of(procs: &ProcTable, c: &ContainerTag) -> usize {
    let members = procs.groups.values().filter(|g| member(g, c));
    members.map(|g| g.tasks.lock().unwrap_or_else(|e| e.into_inner()).len().max(1)).sum()
}

/// The container's processes that have not exited (`cgroup.procs`).
pub fn live_processes(k: &Kernel, c: &ContainerTag) -> Vec<Arc<ThreadGroup>> {
    let procs = k.procs();
    procs.groups.values().filter(|g| member(g, c) && !is_zombie(g)).cloned().collect()
}

/// CPU time the container's processes have used, the reaped ones included
/// (`cpu.stat`).
pub fn cpu_usage(k: &Kernel, c: &ContainerTag) -> CpuTimes {
    let (groups, mut total) = {
        let procs = k.procs();
        let groups: Vec<_> = procs.groups.values().filter(|g| member(g, c)).cloned().collect();
        (groups, c.cpu.reaped())
    };
    for g in groups {
        let t = g.timers.cpu_times(&g);
        total.user_ns += t.user_ns;
        total.system_ns += t.system_ns;
    }
    total
}

/// CPU time of a container's reaped processes.
#[derive(Debug, Default)]
pub struct ReapedCpu(Mutex<CpuTimes>);

impl ReapedCpu {
    /// Adds the times of a process being reaped. Called under the process
    /// table's lock, with the process still listed, so `cpu_usage` counts it
    /// exactly once.
    pub fn add(&self, t: CpuTimes) {
        let mut r = self.0.lock().unwrap_or_else(|e| e.into_inner());
        r.user_ns += t.user_ns;
        r.system_ns += t.system_ns;
    }

    pub fn reaped(&self) -> CpuTimes {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fork_past_the_limit_is_refused_and_counted() {
        let p = PidsLimit::default();
        assert!(p.try_charge(7));
        p.set_limit(3);
        assert!(p.try_charge(2));
        assert!(!p.try_charge(3));
        assert_eq!((p.peak(), p.refused()), (8, 1));
    }
}
