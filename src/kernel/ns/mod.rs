//! Namespaces a task can be in: PID namespaces (`pid.rs`), UTS (`uts.rs`)
//! and IPC (`ipc.rs`) namespaces, mount namespaces (a `vfs::Vfs` each),
//! network namespaces (a `netstack::NetStack` each, with `net.rs`), user
//! namespaces (`user.rs`, held in a task's credentials, owning the others),
//! the set of namespaces a task gives its children (`NsProxy`), and the
//! files that name them (`file.rs`).

pub mod file;
pub mod ipc;
pub mod net;
pub mod pid;
pub mod user;
pub mod uts;

use std::sync::Arc;

pub use ipc::IpcNamespace;
pub use net::NetNamespace;
pub use pid::{Pid, PidNamespace};
pub use user::UserNamespace;
pub use uts::UtsNamespace;

/// A task's namespaces (Linux's `nsproxy`), which its children inherit.
/// The task's own PID namespace is that of its ids and never changes;
/// `unshare(CLONE_NEWPID)` and `setns` change only where its later
/// children go.
#[derive(Clone, Debug)]
pub struct NsProxy {
    /// Where children are created (`/proc/<pid>/ns/pid_for_children`).
    pub pid_for_children: Arc<PidNamespace>,
    /// Host and domain names.
    pub uts: Arc<UtsNamespace>,
    /// System V IPC and message queues (none are served yet).
    pub ipc: Arc<IpcNamespace>,
    /// The mount namespace.
    pub mnt: Arc<crate::kernel::vfs::Vfs>,
    /// The network namespace: its stack, which holds its identity.
    pub net: Arc<crate::netstack::NetStack>,
}

impl NsProxy {
    /// Fresh namespaces over the host's `/` (for unit tests).
    #[cfg(test)]
    pub fn for_tests() -> NsProxy {
        let vfs = crate::kernel::vfs::Vfs::with_binds(std::path::Path::new("/"), &[]).expect("a VFS over /");
        NsProxy {
            pid_for_children: PidNamespace::new_root(),
            uts: UtsNamespace::new_root(b"test"),
            ipc: IpcNamespace::new_root(),
            mnt: vfs,
            net: crate::netstack::NetStack::new(crate::netstack::NetworkMode::None),
        }
    }
}
