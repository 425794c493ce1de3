//! Namespace files (Linux's nsfs): what `/proc/<pid>/ns/<name>` leads to.
//! `readlink` shows `pid:[4026531836]`; opening gives a descriptor whose
//! `fstat` shows the namespace's inode number, which `setns(2)` takes, and
//! which answers the NS_GET_* ioctls (owner, parent, type, owner's uid).
//!
//! Every namespace is owned by a user namespace (the sandbox's network
//! namespace by the initial one); the initial user namespace's file is
//! `user:[4026531837]` as in Linux, it has no parent, and its owner is root.

use std::sync::{Arc, OnceLock};

use super::{IpcNamespace, PidNamespace, UserNamespace, UtsNamespace};
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::vfs::file::{FileOps, OpenFile};
use crate::kernel::vfs::fs::Link;
use crate::kernel::vfs::stat::Stat;

/// A namespace a file can name.
#[derive(Clone, Debug)]
pub enum NsRef {
    Pid(Arc<PidNamespace>),
    Uts(Arc<UtsNamespace>),
    Ipc(Arc<IpcNamespace>),
    Mnt(Arc<crate::kernel::vfs::Vfs>),
    Net(Arc<crate::netstack::NetStack>),
    User(Arc<UserNamespace>),
}

/// The nsfs ioctls (`linux/nsfs.h`, NSIO 0xb7).
const NS_GET_USERNS: u64 = 0xb701;
const NS_GET_PARENT: u64 = 0xb702;
const NS_GET_NSTYPE: u64 = 0xb703;
const NS_GET_OWNER_UID: u64 = 0xb704;

impl NsRef {
    /// The type's name, as in `pid:[N]`.
    pub fn type_name(&self) -> &'static str {
        match self {
            NsRef::Pid(_) => "pid",
            NsRef::Uts(_) => "uts",
            NsRef::Ipc(_) => "ipc",
            NsRef::Mnt(_) => "mnt",
            NsRef::Net(_) => "net",
            NsRef::User(_) => "user",
        }
    }

    /// The inode number.
    pub fn ino(&self) -> u64 {
        match self {
            NsRef::Pid(ns) => ns.ino(),
            NsRef::Uts(ns) => ns.ino(),
            NsRef::Ipc(ns) => ns.ino(),
            NsRef::Mnt(ns) => ns.ino(),
            NsRef::Net(ns) => ns.ino(),
            NsRef::User(ns) => ns.ino(),
        }
    }

    /// Its CLONE_NEW* flag (setns's `nstype`).
    pub fn clone_flag(&self) -> i32 {
        match self {
            NsRef::Pid(_) => libc::CLONE_NEWPID,
            NsRef::Uts(_) => libc::CLONE_NEWUTS,
            NsRef::Ipc(_) => libc::CLONE_NEWIPC,
            NsRef::Mnt(_) => libc::CLONE_NEWNS,
            NsRef::Net(_) => libc::CLONE_NEWNET,
            NsRef::User(_) => libc::CLONE_NEWUSER,
        }
    }

    /// The user namespace that owns this one: for a user namespace, its
    /// parent (none for the initial one).
    pub fn owner(&self) -> Option<Arc<UserNamespace>> {
        match self {
            NsRef::Pid(ns) => Some(ns.owner().clone()),
            NsRef::Uts(ns) => Some(ns.owner().clone()),
            NsRef::Ipc(ns) => Some(ns.owner.clone()),
            NsRef::Mnt(ns) => Some(ns.owner().clone()),
            NsRef::Net(ns) => Some(ns.ip.owner.clone()),
            NsRef::User(ns) => ns.parent().cloned(),
        }
    }

    /// The text of the magic link.
    pub fn text(&self) -> Vec<u8> {
        format!("{}:[{}]", self.type_name(), self.ino()).into_bytes()
    }
}

/// The device number of the namespace file system.
fn nsfs_dev() -> u64 {
    static DEV: OnceLock<u64> = OnceLock::new();
    *DEV.get_or_init(crate::kernel::vfs::mount::alloc_dev)
}

/// An open namespace file.
pub struct NsFile {
    pub ns: NsRef,
}

impl FileOps for NsFile {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(Stat {
            dev: nsfs_dev(),
            ino: self.ns.ino(),
            mode: libc::S_IFREG | 0o444,
            nlink: 1,
            blksize: 4096,
            ..Default::default()
        })
    }

    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn reopen(&self, _flags: u32) -> Option<Result<Box<dyn FileOps>, Errno>> {
        Some(Ok(Box::new(NsFile { ns: self.ns.clone() })))
    }

    fn ioctl(&self, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        match req {
            NS_GET_USERNS => open_related(NsRef::User(visible_owner(&self.ns)?)),
            NS_GET_PARENT => match &self.ns {
                NsRef::Pid(ns) => {
                    let task = crate::kernel::wait::current().ok_or(Errno::EPERM)?;
                    // Only a parent the caller's own PID namespace contains.
                    let parent = ns.parent().filter(|p| task.tg.pidns().contains(p)).ok_or(Errno::EPERM)?;
                    open_related(NsRef::Pid(parent.clone()))
                }
                NsRef::User(_) => open_related(NsRef::User(visible_owner(&self.ns)?)),
                _ => Err(Errno::EINVAL),
            },
            NS_GET_NSTYPE => Ok(self.ns.clone_flag() as u64),
            NS_GET_OWNER_UID => match &self.ns {
                NsRef::User(ns) => mem.write_u32(arg, caller_user_ns()?.uid_shown(ns.owner())).map(|_| 0),
                _ => Err(Errno::EINVAL),
            },
            _ => Err(Errno::ENOTTY),
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// The owner of `ns` if the caller may see it: its own user namespace or
/// one below (Linux's ns_get_owner), else EPERM.
fn visible_owner(ns: &NsRef) -> Result<Arc<UserNamespace>, Errno> {
    let owner = ns.owner().ok_or(Errno::EPERM)?;
    if !owner.is_within(&*caller_user_ns()?) {
        return Err(Errno::EPERM);
    }
    Ok(owner)
}

/// The calling task's user namespace.
fn caller_user_ns() -> Result<Arc<UserNamespace>, Errno> {
    let task = crate::kernel::wait::current().ok_or(Errno::EPERM)?;
    let ns = task.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).user_ns.clone();
    Ok(ns)
}

/// A new close-on-exec descriptor of the calling task for `ns`, as
/// Linux's open_related_ns gives.
fn open_related(ns: NsRef) -> SysResult {
    let task = crate::kernel::wait::current().ok_or(Errno::EPERM)?;
    let text = ns.text();
    let file = Arc::new(OpenFile::new(Box::new(NsFile { ns }), text, libc::O_RDONLY as u32));
    let limit = task.tg.rlimits.lock().unwrap_or_else(|e| e.into_inner())[libc::RLIMIT_NOFILE as usize].cur as usize;
    task.tg.fds.install(file, true, 0, limit).map(|fd| fd as u64)
}

/// The magic link `/proc/<pid>/ns/<name>` for namespace `ns`.
pub fn link(ns: NsRef) -> Link {
    let text = ns.text();
    let file = OpenFile::new(Box::new(NsFile { ns }), text.clone(), libc::O_RDONLY as u32);
    Link::File(Arc::new(file), text)
}

/// The namespace an open file names, if it is a namespace file.
pub fn of_file(f: &OpenFile) -> Option<NsRef> {
    f.ops.as_any()?.downcast_ref::<NsFile>().map(|n| n.ns.clone())
}
