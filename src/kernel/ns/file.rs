//! Namespace files (Linux's nsfs): what `/proc/<pid>/ns/<name>` leads to.
//! `readlink` shows `pid:[4026531836]`; opening gives a descriptor whose
//! `fstat` shows the namespace's inode number, and which `setns(2)` takes.

use std::sync::{Arc, OnceLock};

use super::{IpcNamespace, PidNamespace, UtsNamespace};
use crate::kernel::errno::Errno;
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
}

impl NsRef {
    /// The type's name, as in `pid:[N]`.
    pub fn type_name(&self) -> &'static str {
        match self {
            NsRef::Pid(_) => "pid",
            NsRef::Uts(_) => "uts",
            NsRef::Ipc(_) => "ipc",
            NsRef::Mnt(_) => "mnt",
        }
    }

    /// The inode number.
    pub fn ino(&self) -> u64 {
        match self {
            NsRef::Pid(ns) => ns.ino(),
            NsRef::Uts(ns) => ns.ino(),
            NsRef::Ipc(ns) => ns.ino(),
            NsRef::Mnt(ns) => ns.ino(),
        }
    }

    /// Its CLONE_NEW* flag (setns's `nstype`).
    pub fn clone_flag(&self) -> i32 {
        match self {
            NsRef::Pid(_) => libc::CLONE_NEWPID,
            NsRef::Uts(_) => libc::CLONE_NEWUTS,
            NsRef::Ipc(_) => libc::CLONE_NEWIPC,
            NsRef::Mnt(_) => libc::CLONE_NEWNS,
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

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
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
