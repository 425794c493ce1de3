//! PID namespaces (pid_namespaces(7)).
//!
//! A namespace has a parent (the root one has none) and its own counter of
//! numbers. A process or thread gets a number in its own namespace and in
//! every ancestor: a `Pid` holds them all, from the root (level 0, the
//! sandbox-global id the process table is keyed by) down to its own.
//! Numbers are never reused (each namespace counts up), so a stale number
//! can never name the wrong process.
//!
//! A number shows in a namespace only if that namespace is its own or an
//! ancestor of it (`Pid::nr_in` is 0 otherwise). The first process of a
//! namespace is its init (number 1): it adopts the namespace's orphans,
//! and once it has exited the namespace takes no new process (`alloc`
//! fails with ENOMEM, as Linux's).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::kernel::errno::Errno;
use crate::kernel::task::ThreadGroup;

/// Deepest nesting Linux allows (MAX_PID_NS_LEVEL); one more is ENOSPC.
pub const MAX_LEVEL: usize = 32;

/// Inode number of the root PID namespace (Linux's PROC_PID_INIT_INO).
const ROOT_INO: u64 = 0xEFFF_FFFC;

/// Allocates an inode number for a new namespace of any type, from where
/// Linux's `proc_alloc_inum` starts.
pub fn alloc_ns_ino() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0xF000_0000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One PID namespace.
pub struct PidNamespace {
    /// The inode number `/proc/<pid>/ns/pid` shows (`pid:[ino]`).
    ino: u64,
    /// 0 for the root namespace.
    level: usize,
    parent: Option<Arc<PidNamespace>>,
    /// The user namespace that owns this one.
    owner: Arc<super::UserNamespace>,
    /// Guarded numbers and init. A leaf lock: nothing else is taken under it.
    st: Mutex<NsState>,
}

#[derive(Default)]
struct NsState {
    /// The last number handed out.
    last: i32,
    /// Numbers in use, each to the ids it belongs to.
    pids: HashMap<i32, Weak<Pid>>,
    /// The init (number 1), once it exists.
    init: Weak<ThreadGroup>,
    /// Whether an init was ever made (Linux's child_reaper is set).
    had_init: bool,
    /// Set once the init has exited: no new numbers.
    closed: bool,
}

impl std::fmt::Debug for PidNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid:[{}]", self.ino)
    }
}

impl PidNamespace {
    /// The root namespace of a sandbox.
    pub fn new_root() -> Arc<PidNamespace> {
        Arc::new(PidNamespace {
            ino: ROOT_INO,
            level: 0,
            parent: None,
            owner: super::UserNamespace::init(),
            st: Mutex::default(),
        })
    }

    /// A new child of this namespace (CLONE_NEWPID) owned by user
    /// namespace `owner`; ENOSPC past the nesting limit.
    pub fn new_child(self: &Arc<Self>, owner: &Arc<super::UserNamespace>) -> Result<Arc<PidNamespace>, Errno> {
        if self.level + 1 > MAX_LEVEL {
            return Err(Errno::ENOSPC);
        }
        Ok(Arc::new(PidNamespace {
            ino: alloc_ns_ino(),
            level: self.level + 1,
            parent: Some(self.clone()),
            owner: owner.clone(),
            st: Mutex::default(),
        }))
    }

    fn st(&self) -> std::sync::MutexGuard<'_, NsState> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The inode number shown by `/proc/<pid>/ns/pid`.
    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// The user namespace that owns this one.
    pub fn owner(&self) -> &Arc<super::UserNamespace> {
        &self.owner
    }

    /// The nesting level (0: the root).
    pub fn level(&self) -> usize {
        self.level
    }

    /// The parent namespace.
    pub fn parent(&self) -> Option<&Arc<PidNamespace>> {
        self.parent.as_ref()
    }

    /// Whether `self` is `other` or one of its ancestors (so that every
    /// process of `other` shows in `self`).
    pub fn contains(&self, other: &PidNamespace) -> bool {
        let mut ns = other;
        while ns.level > self.level {
            match &ns.parent {
                Some(p) => ns = p,
                None => return false,
            }
        }
        std::ptr::eq(ns, self)
    }

    /// Hands out ids for a new task: a number here and in every ancestor.
    /// ENOMEM once the init of this namespace has exited.
    pub fn alloc(self: &Arc<Self>) -> Result<Arc<Pid>, Errno> {
        let mut nrs = vec![0; self.level + 1];
        let mut ns = Some(self);
        while let Some(n) = ns {
            let mut st = n.st();
            if Arc::ptr_eq(n, self) && st.closed {
                return Err(Errno::ENOMEM);
            }
            st.last = st.last.checked_add(1).ok_or(Errno::EAGAIN)?;
            nrs[n.level] = st.last;
            ns = n.parent.as_ref();
        }
        let pid = Arc::new(Pid { ns: self.clone(), nrs: nrs.into_boxed_slice() });
        let mut ns = Some(self);
        while let Some(n) = ns {
            n.st().pids.insert(pid.nrs[n.level], Arc::downgrade(&pid));
            ns = n.parent.as_ref();
        }
        Ok(pid)
    }

    /// The ids with number `nr` in this namespace, if in use.
    pub fn find(&self, nr: i32) -> Option<Arc<Pid>> {
        self.st().pids.get(&nr).and_then(Weak::upgrade)
    }

    /// Records the namespace's init (the process numbered 1 here).
    pub fn set_init(&self, tg: &Arc<ThreadGroup>) {
        let mut st = self.st();
        st.init = Arc::downgrade(tg);
        st.had_init = true;
    }

    /// Whether the namespace ever had an init (before its first process,
    /// `/proc/<pid>/ns/pid_for_children` does not resolve, as in Linux).
    pub fn had_init(&self) -> bool {
        self.st().had_init
    }

    /// The namespace's init, while it exists (zombie included).
    pub fn init(&self) -> Option<Arc<ThreadGroup>> {
        self.st().init.upgrade()
    }

    /// The init has exited: no new process may join (fork gets ENOMEM).
    pub fn close(&self) {
        self.st().closed = true;
    }

    /// The last number handed out here.
    pub fn last(&self) -> i32 {
        self.st().last
    }
}

/// The ids of one task or process: its number in its own namespace and in
/// each ancestor (Linux's `struct pid`). Process groups and sessions hold
/// the `Pid` of their leader, so their number lives on after it.
pub struct Pid {
    /// The namespace the ids were allocated in (the innermost).
    ns: Arc<PidNamespace>,
    /// The number at each level, from the root (0) to `ns`.
    nrs: Box<[i32]>,
}

impl std::fmt::Debug for Pid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pid{:?}", self.nrs)
    }
}

impl Pid {
    /// The number in the root namespace: the sandbox-global id.
    pub fn global(&self) -> i32 {
        self.nrs[0]
    }

    /// The namespace the ids were allocated in.
    pub fn ns(&self) -> &Arc<PidNamespace> {
        &self.ns
    }

    /// The number in its own namespace.
    pub fn vnr(&self) -> i32 {
        self.nrs[self.nrs.len() - 1]
    }

    /// The number as namespace `ns` sees it: 0 if it does not show there.
    pub fn nr_in(&self, ns: &PidNamespace) -> i32 {
        if ns.contains(&self.ns) {
            self.nrs[ns.level]
        } else {
            0
        }
    }

    /// Whether the ids show in namespace `ns`.
    pub fn visible_in(&self, ns: &PidNamespace) -> bool {
        ns.contains(&self.ns)
    }

    /// The numbers from namespace `ns` down to its own (`NSpid:` of
    /// /proc/<pid>/status); empty if it does not show in `ns`.
    pub fn nrs_from(&self, ns: &PidNamespace) -> &[i32] {
        if ns.contains(&self.ns) {
            &self.nrs[ns.level..]
        } else {
            &[]
        }
    }

    /// Whether these are the ids of a namespace's init (number 1 in its own).
    pub fn is_init(&self) -> bool {
        self.vnr() == 1
    }
}

impl Drop for Pid {
    fn drop(&mut self) {
        // The numbers are free again (never handed out twice, but no longer
        // found by lookups).
        let mut ns = Some(&self.ns);
        while let Some(n) = ns {
            let mut st = n.st();
            if std::ptr::eq(&**n, &*self.ns) && self.vnr() == 1 {
                // The init is gone (or its creation failed, as Linux's
                // free_pid handles): the namespace takes no one else.
                st.closed = true;
            }
            if let Some(w) = st.pids.get(&self.nrs[n.level]) {
                if w.strong_count() == 0 {
                    st.pids.remove(&self.nrs[n.level]);
                }
            }
            ns = n.parent.as_ref();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_per_level_and_visibility() {
        let root = PidNamespace::new_root();
        let a = root.alloc().unwrap();
        let child = root.new_child(&crate::kernel::ns::UserNamespace::init()).unwrap();
        let b = child.alloc().unwrap();
        let c = child.alloc().unwrap();
        assert_eq!((a.global(), a.vnr()), (1, 1));
        assert_eq!((b.global(), b.vnr(), c.vnr()), (2, 1, 2));
        assert!(b.is_init() && !c.is_init());
        assert_eq!(b.nr_in(&root), 2);
        assert_eq!(a.nr_in(&child), 0);
        assert_eq!(c.nrs_from(&root), &[3, 2]);
        assert!(root.contains(&child) && !child.contains(&root));
        assert_eq!(child.find(2).unwrap().global(), 3);
        assert_eq!(root.find(3).unwrap().vnr(), 2);
        drop(c);
        assert!(child.find(2).is_none() && root.find(3).is_none());
        child.close();
        assert_eq!(child.alloc().unwrap_err(), Errno::ENOMEM);
        assert!(root.alloc().is_ok());
    }

    #[test]
    fn nesting_limit() {
        let mut ns = PidNamespace::new_root();
        for _ in 0..MAX_LEVEL {
            ns = ns.new_child(&crate::kernel::ns::UserNamespace::init()).unwrap();
        }
        assert_eq!(ns.new_child(&crate::kernel::ns::UserNamespace::init()).unwrap_err(), Errno::ENOSPC);
    }
}
