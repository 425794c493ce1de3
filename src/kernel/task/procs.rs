//! The process table of a sandbox: every live task and process by its
//! sandbox-global id (its number in the root PID namespace). Lookups by a
//! number an application gives go through its namespace (`*_in`).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{TaskShared, ThreadGroup};
use crate::kernel::container::ContainerTag;
use crate::kernel::ns::PidNamespace;
use crate::kernel::timer::CpuTimes;

/// Processes and tasks by id. Guarded by `Kernel::procs`; the lock also
/// serialises changes of the process tree (parents, children, zombies).
#[derive(Default)]
pub struct ProcTable {
    /// Processes, including zombies until they are reaped.
    pub groups: BTreeMap<i32, Arc<ThreadGroup>>,
    /// Live tasks.
    pub tasks: BTreeMap<i32, Arc<TaskShared>>,
    /// Forks under way (counted against the limits): the real uid and the
    /// container of each.
    pub reserved: Vec<(u32, Arc<ContainerTag>)>,
    /// CPU time of the processes already reaped (`/proc/stat` counts it).
    pub reaped_cpu: CpuTimes,
}

impl ProcTable {
    /// The process with id `pid`.
    pub fn group(&self, pid: i32) -> Option<Arc<ThreadGroup>> {
        self.groups.get(&pid).cloned()
    }

    /// The live task with id `tid`.
    pub fn task(&self, tid: i32) -> Option<Arc<TaskShared>> {
        self.tasks.get(&tid).cloned()
    }

    /// The process numbered `nr` in namespace `ns`, zombies included.
    pub fn group_in(&self, ns: &PidNamespace, nr: i32) -> Option<Arc<ThreadGroup>> {
        let pid = ns.find(nr)?;
        self.groups.get(&pid.global()).filter(|g| Arc::ptr_eq(&g.pid, &pid)).cloned()
    }

    /// The live task numbered `nr` in namespace `ns`.
    pub fn task_in(&self, ns: &PidNamespace, nr: i32) -> Option<Arc<TaskShared>> {
        let pid = ns.find(nr)?;
        self.tasks.get(&pid.global()).filter(|t| Arc::ptr_eq(&t.tid, &pid)).cloned()
    }

    /// The process of task or process `nr` of namespace `ns` (a thread id
    /// names its process, as in Linux's find_task_by_vpid), zombies included.
    pub fn process_of_in(&self, ns: &PidNamespace, nr: i32) -> Option<Arc<ThreadGroup>> {
        self.task_in(ns, nr).map(|t| t.tg.clone()).or_else(|| self.group_in(ns, nr))
    }

    /// Processes that show in namespace `ns`, zombies included.
    pub fn groups_in<'a>(&'a self, ns: &'a PidNamespace) -> impl Iterator<Item = &'a Arc<ThreadGroup>> + 'a {
        self.groups.values().filter(move |g| g.pid.visible_in(ns))
    }

    /// Every process of group `pgid`, zombies included (what kill reaches).
    pub fn in_pgrp(&self, pgid: i32) -> Vec<Arc<ThreadGroup>> {
        self.groups.values().filter(|g| g.pgid() == pgid).cloned().collect()
    }

    /// Live (not zombie) processes of process group `pgid`.
    pub fn group_members(&self, pgid: i32) -> Vec<Arc<ThreadGroup>> {
        self.groups.values().filter(|g| g.pgid() == pgid && !is_zombie(g)).cloned().collect()
    }

    /// POSIX: a process group is orphaned when no member has a parent in a
    /// different process group of the same session.
    pub fn pgrp_orphaned(&self, pgid: i32) -> bool {
        !self.group_members(pgid).iter().any(|g| match g.parent() {
            Some(p) => p.pgid() != pgid && p.sid() == g.sid(),
            None => false,
        })
    }

    /// Tasks whose process has real uid `uid`: live threads, and one for
    /// each zombie not yet reaped (they count against RLIMIT_NPROC).
    pub fn count_for_uid(&self, uid: u32) -> usize {
        self.groups
            .values()
            .filter(|g| g.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid == uid)
            .map(|g| g.tasks.lock().unwrap_or_else(|e| e.into_inner()).len().max(1))
            .sum()
    }

    /// Number of live tasks.
    pub fn task_count(&self) -> usize {
        self.tasks.len()
    }
}

/// Whether the process has exited.
pub fn is_zombie(g: &ThreadGroup) -> bool {
    g.life.lock().unwrap_or_else(|e| e.into_inner()).zombie.is_some()
}
