//! A namespace file bind-mounted on a file (`mount --bind
//! /proc/self/ns/net /run/netns/NAME`, as `ip netns add` does): a one-file
//! file system holding the namespace's open file, so the name keeps the
//! namespace alive and `setns` finds it after the process that made it is
//! gone (Linux binds the nsfs inode itself).

use std::sync::Arc;

use super::file::{DirEntry, FileOps, OpenFile};
use super::fs::{Filesystem, Node, OpenReq, StatFs};
use super::stat::Stat;
use crate::kernel::errno::Errno;

/// The mounted namespace file; its only node is the root.
pub struct NsBind {
    file: Arc<OpenFile>,
}

impl NsBind {
    /// A file system showing `file` (a namespace file) at its root.
    pub fn new(file: Arc<OpenFile>) -> Arc<NsBind> {
        Arc::new(NsBind { file })
    }
}

impl Filesystem for NsBind {
    fn fs_type(&self) -> &'static str {
        "nsfs"
    }

    fn node_at(&self, path: &[u8]) -> Result<Option<Node>, Errno> {
        // Opening the node reopens the namespace file (Vfs::reopen).
        Ok((path == b"/").then(|| Node::Opened(self.file.clone())))
    }

    fn lookup(&self, _dir_path: &[u8], _dir: &Node, _name: &[u8]) -> Result<Option<Node>, Errno> {
        Err(Errno::ENOTDIR)
    }

    fn stat(&self, _path: &[u8], _node: &Node) -> Result<Stat, Errno> {
        self.file.ops.stat()
    }

    fn open(&self, _path: &[u8], _node: &Node, req: OpenReq) -> Result<Box<dyn FileOps>, Errno> {
        self.file.ops.reopen(req.flags).unwrap_or(Err(Errno::EINVAL))
    }

    fn list(&self, _path: &[u8], _node: &Node) -> Result<Vec<DirEntry>, Errno> {
        Err(Errno::ENOTDIR)
    }

    fn statfs(&self) -> StatFs {
        // NSFS_MAGIC.
        StatFs { fs_type: 0x6e73_6673, bsize: 4096, namelen: 255, ..Default::default() }
    }
}
