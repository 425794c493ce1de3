//! IPC namespaces: each holds its own System V shared memory segments,
//! semaphore sets and message queues (`kernel/ipc`), found by key or id
//! only from inside it, its POSIX message queues (`ipc/mqueue.rs`, shown by
//! its mqueue file system) and its own IPC limits; a new one (CLONE_NEWIPC)
//! starts empty, with Linux's default limits.

use std::sync::Arc;

use super::pid::alloc_ns_ino;
use super::UserNamespace;
use crate::kernel::ipc::limits::IpcLimits;
use crate::kernel::ipc::mqueue::MqNames;
use crate::kernel::ipc::msg::MsgRegistry;
use crate::kernel::ipc::sem::SemRegistry;
use crate::kernel::ipc::shm::ShmRegistry;

/// Inode number of the first IPC namespace (Linux's PROC_IPC_INIT_INO).
const ROOT_INO: u64 = 0xEFFF_FFFF;

/// One IPC namespace.
pub struct IpcNamespace {
    ino: u64,
    /// The user namespace that owns this one.
    pub owner: Arc<UserNamespace>,
    /// Shared memory segments.
    pub shm: ShmRegistry,
    /// Semaphore sets.
    pub sem: SemRegistry,
    /// Message queues.
    pub msg: MsgRegistry,
    /// The limits `/proc/sys/kernel` and `/proc/sys/fs/mqueue` show and set.
    pub limits: IpcLimits,
    /// POSIX message queues by name.
    pub mq: MqNames,
    /// The device number of the namespace's mqueue file system.
    pub mq_dev: u64,
}

impl std::fmt::Debug for IpcNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IpcNamespace").field("ino", &self.ino).finish_non_exhaustive()
    }
}

impl IpcNamespace {
    fn with_ino(ino: u64, owner: &Arc<UserNamespace>) -> Arc<IpcNamespace> {
        Arc::new(IpcNamespace {
            ino,
            owner: owner.clone(),
            shm: Default::default(),
            sem: Default::default(),
            msg: Default::default(),
            limits: Default::default(),
            mq: Default::default(),
            mq_dev: crate::kernel::vfs::mount::alloc_dev(),
        })
    }

    /// The sandbox's first IPC namespace.
    pub fn new_root() -> Arc<IpcNamespace> {
        Self::with_ino(ROOT_INO, &UserNamespace::init())
    }

    /// A new, empty namespace (CLONE_NEWIPC) owned by `owner`.
    pub fn new(owner: &Arc<UserNamespace>) -> Arc<IpcNamespace> {
        Self::with_ino(alloc_ns_ino(), owner)
    }

    /// The inode number `/proc/<pid>/ns/ipc` shows.
    pub fn ino(&self) -> u64 {
        self.ino
    }
}
