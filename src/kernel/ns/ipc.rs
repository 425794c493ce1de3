//! IPC namespaces. The sentry serves no System V IPC and no POSIX message
//! queues, so an IPC namespace holds nothing yet: it is an identity
//! (`/proc/<pid>/ns/ipc`, setns) that the objects will hang off when they
//! exist. A new one (CLONE_NEWIPC) is trivially isolated.

use std::sync::Arc;

use super::pid::alloc_ns_ino;

/// Inode number of the first IPC namespace (Linux's PROC_IPC_INIT_INO).
const ROOT_INO: u64 = 0xEFFF_FFFF;

/// One IPC namespace.
#[derive(Debug)]
pub struct IpcNamespace {
    ino: u64,
}

impl IpcNamespace {
    /// The sandbox's first IPC namespace.
    pub fn new_root() -> Arc<IpcNamespace> {
        Arc::new(IpcNamespace { ino: ROOT_INO })
    }

    /// A new, empty namespace (CLONE_NEWIPC).
    pub fn new() -> Arc<IpcNamespace> {
        Arc::new(IpcNamespace { ino: alloc_ns_ino() })
    }

    /// The inode number `/proc/<pid>/ns/ipc` shows.
    pub fn ino(&self) -> u64 {
        self.ino
    }
}
