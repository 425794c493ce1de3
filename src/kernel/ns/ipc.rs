//! IPC namespaces: each holds its own System V shared memory segments and
//! semaphore sets (`kernel/ipc`), found by key or id only from inside it;
//! a new one (CLONE_NEWIPC) starts empty. Message queues and POSIX message
//! queues are not served.

use std::sync::Arc;

use super::pid::alloc_ns_ino;
use crate::kernel::ipc::sem::SemRegistry;
use crate::kernel::ipc::shm::ShmRegistry;

/// Inode number of the first IPC namespace (Linux's PROC_IPC_INIT_INO).
const ROOT_INO: u64 = 0xEFFF_FFFF;

/// One IPC namespace.
#[derive(Debug)]
pub struct IpcNamespace {
    ino: u64,
    /// Shared memory segments.
    pub shm: ShmRegistry,
    /// Semaphore sets.
    pub sem: SemRegistry,
}

impl std::fmt::Debug for ShmRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShmRegistry")
    }
}

impl std::fmt::Debug for SemRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SemRegistry")
    }
}

impl IpcNamespace {
    /// The sandbox's first IPC namespace.
    pub fn new_root() -> Arc<IpcNamespace> {
        Arc::new(IpcNamespace { ino: ROOT_INO, shm: Default::default(), sem: Default::default() })
    }

    /// A new, empty namespace (CLONE_NEWIPC).
    pub fn new() -> Arc<IpcNamespace> {
        Arc::new(IpcNamespace { ino: alloc_ns_ino(), shm: Default::default(), sem: Default::default() })
    }

    /// The inode number `/proc/<pid>/ns/ipc` shows.
    pub fn ino(&self) -> u64 {
        self.ino
    }
}
