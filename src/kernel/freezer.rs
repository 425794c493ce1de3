//! The cgroup v2 freezer of a container (`cgroup.freeze`, `husk pause` and
//! `husk resume`): while it is on, no task of the container runs
//! application code.
//!
//! As in Linux, freezing works like a signal nobody sees: each task is
//! woken (a sleeping syscall ends with its restart code, a running one is
//! kicked into the sentry) and parks where it would handle signals, in
//! `do_freezer_trap`; after the thaw an interrupted syscall restarts as it
//! does after a stop (`epoll_wait` and the like return EINTR, as on Linux).
//! Signals keep queueing while frozen and are handled after the thaw, but
//! SIGKILL ends a frozen process at once. A task counts as frozen once it
//! has parked, while its group is stopped, or while it waits for its vfork
//! child (which may itself be parked).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::cgroup::live_processes;
use super::container::ContainerTag;
use super::signal::send::wake;
use super::task::TaskShared;
use super::wait::WaitQueue;
use super::Kernel;

/// One container's freezer.
#[derive(Default)]
pub struct Freezer {
    /// `cgroup.freeze`: whether the container is to be frozen.
    wanted: AtomicBool,
    /// Where parked tasks wait for the thaw.
    pub thaw: WaitQueue,
}

impl fmt::Debug for Freezer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Freezer").field("wanted", &self.wanted()).finish()
    }
}

impl Freezer {
    /// Whether the container is frozen or freezing (`cgroup.freeze` reads 1).
    pub fn wanted(&self) -> bool {
        self.wanted.load(Ordering::SeqCst)
    }
}

/// Freezes (or thaws) container `c`. Freezing returns at once; the
/// container is frozen when `frozen` says so.
pub fn set_frozen(k: &Kernel, c: &ContainerTag, frozen: bool) {
    if c.freezer.wanted.swap(frozen, Ordering::SeqCst) == frozen {
        return;
    }
    if !frozen {
        c.freezer.thaw.notify_all();
        return;
    }
    for g in live_processes(k, c) {
        for t in g.task_list() {
            wake(&t);
        }
    }
}

/// Whether every task of container `c` is frozen (`cgroup.events`' frozen).
pub fn frozen(k: &Kernel, c: &ContainerTag) -> bool {
    c.freezer.wanted() && unfrozen(k, c).is_empty()
}

/// The tasks of container `c` that still run (neither parked nor in a
/// stopped group).
pub fn unfrozen(k: &Kernel, c: &ContainerTag) -> Vec<Arc<TaskShared>> {
    let mut running = Vec::new();
    for g in live_processes(k, c) {
        if g.sig.lock().unwrap_or_else(|e| e.into_inner()).stopped.is_some() {
            continue;
        }
        let runs = |t: &Arc<TaskShared>| !t.parked.load(Ordering::SeqCst) && !t.freezable.load(Ordering::SeqCst);
        running.extend(g.task_list().into_iter().filter(runs));
    }
    running
}
