//! Network namespaces: each is a `netstack::NetStack` (its IP stack,
//! interfaces, ports and abstract unix names), which holds this: what
//! else Linux keeps per network namespace that the sentry uses, its
//! identity (`/proc/<pid>/ns/net`) and its `net.core` sysctls.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use super::pid::alloc_ns_ino;

/// Inode number of the first network namespace (Linux's
/// PROC_NET_INIT_INO), as the sandbox's other first namespaces show
/// Linux's initial ones.
const ROOT_INO: u64 = 0xEFFF_FFF9;

/// Linux's default `net.core.somaxconn` (SOMAXCONN).
pub const SOMAXCONN: i32 = 4096;

/// One network namespace.
#[derive(Debug)]
pub struct NetNamespace {
    ino: u64,
    /// `/proc/sys/net/core/somaxconn`: the most a `listen` backlog can be.
    somaxconn: AtomicI32,
}

impl NetNamespace {
    /// The sandbox's network namespace.
    pub fn new_root() -> Arc<NetNamespace> {
        Arc::new(NetNamespace { ino: ROOT_INO, somaxconn: AtomicI32::new(SOMAXCONN) })
    }

    /// A new namespace's (CLONE_NEWNET): a fresh inode and Linux's
    /// default sysctls (not the creator's).
    pub fn new_child() -> Arc<NetNamespace> {
        Arc::new(NetNamespace { ino: alloc_ns_ino(), somaxconn: AtomicI32::new(SOMAXCONN) })
    }

    /// The inode number `/proc/<pid>/ns/net` shows.
    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// The current `somaxconn`.
    pub fn somaxconn(&self) -> i32 {
        self.somaxconn.load(Ordering::Relaxed)
    }

    /// Sets `somaxconn` (the caller checked it is not negative).
    pub fn set_somaxconn(&self, v: i32) {
        self.somaxconn.store(v, Ordering::Relaxed);
    }

    /// A `listen` backlog as Linux's `__sys_listen` takes it: compared as
    /// unsigned, so a negative one also becomes `somaxconn`.
    pub fn clamp_backlog(&self, backlog: i32) -> usize {
        let max = self.somaxconn().max(0) as u32;
        (backlog as u32).min(max) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_is_clamped_as_unsigned() {
        let ns = NetNamespace::new_root();
        assert_eq!(ns.clamp_backlog(5), 5);
        assert_eq!(ns.clamp_backlog(10_000), 4096);
        assert_eq!(ns.clamp_backlog(-1), 4096);
        ns.set_somaxconn(3);
        assert_eq!(ns.clamp_backlog(100), 3);
        assert_eq!(ns.clamp_backlog(0), 0);
    }
}
