//! Namespaces a task can be in: PID namespaces (`pid.rs`), and the set of
//! namespaces a task gives its children (`NsProxy`).

pub mod file;
pub mod pid;

use std::sync::Arc;

pub use pid::{Pid, PidNamespace};

/// The namespaces a task's new children go in (Linux's `nsproxy`). The
/// task's own PID namespace is that of its ids and never changes;
/// `unshare(CLONE_NEWPID)` and `setns` change only where its later
/// children go.
#[derive(Clone, Debug)]
pub struct NsProxy {
    /// Where children are created (`/proc/<pid>/ns/pid_for_children`).
    pub pid_for_children: Arc<PidNamespace>,
}
