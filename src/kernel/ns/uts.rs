//! UTS namespaces (uts_namespaces(7)): the host and domain names `uname`
//! shows, `sethostname`/`setdomainname` change and
//! `/proc/sys/kernel/{hostname,domainname}` serve. CLONE_NEWUTS gives a
//! copy that changes on its own.

use std::sync::{Arc, Mutex};

use super::pid::alloc_ns_ino;
use super::UserNamespace;

/// Inode number of the first UTS namespace (Linux's PROC_UTS_INIT_INO).
const ROOT_INO: u64 = 0xEFFF_FFFE;

/// Longest host or domain name (`__NEW_UTS_LEN`).
pub const NAME_MAX: usize = 64;

/// One UTS namespace.
pub struct UtsNamespace {
    ino: u64,
    /// The user namespace whose root may change the names.
    owner: Arc<UserNamespace>,
    /// Guarded names; a leaf lock.
    names: Mutex<UtsNames>,
}

/// The names a UTS namespace keeps.
#[derive(Clone, Debug)]
pub struct UtsNames {
    pub hostname: Vec<u8>,
    pub domainname: Vec<u8>,
}

impl std::fmt::Debug for UtsNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "uts:[{}]", self.ino)
    }
}

impl UtsNamespace {
    /// The sandbox's first UTS namespace, with host name `hostname` and no
    /// domain name ("(none)", as Linux starts).
    pub fn new_root(hostname: &[u8]) -> Arc<UtsNamespace> {
        let names = UtsNames { hostname: hostname.to_vec(), domainname: b"(none)".to_vec() };
        Arc::new(UtsNamespace { ino: ROOT_INO, owner: UserNamespace::init(), names: Mutex::new(names) })
    }

    /// A new namespace starting with this one's names (CLONE_NEWUTS),
    /// owned by user namespace `owner`.
    pub fn copy(&self, owner: &Arc<UserNamespace>) -> Arc<UtsNamespace> {
        Arc::new(UtsNamespace { ino: alloc_ns_ino(), owner: owner.clone(), names: Mutex::new(self.names()) })
    }

    /// The user namespace that owns this one.
    pub fn owner(&self) -> &Arc<UserNamespace> {
        &self.owner
    }

    /// The inode number `/proc/<pid>/ns/uts` shows.
    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// The current names.
    pub fn names(&self) -> UtsNames {
        self.names.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sets the host name (at most NAME_MAX bytes: the caller checks).
    pub fn set_hostname(&self, name: &[u8]) {
        self.names.lock().unwrap_or_else(|e| e.into_inner()).hostname = name.to_vec();
    }

    /// Sets the domain name.
    pub fn set_domainname(&self, name: &[u8]) {
        self.names.lock().unwrap_or_else(|e| e.into_inner()).domainname = name.to_vec();
    }
}
