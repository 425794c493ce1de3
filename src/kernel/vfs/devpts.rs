//! `/dev/pts`: the sandbox's devpts instance. Its entries are `ptmx` and
//! one node per pseudo-terminal the TTY layer (`kernel::tty::Devpts`) has;
//! opening them is done by device number (see `devfs::open`).

use std::sync::Arc;

use super::file::{DirEntry, FileOps};
use super::fs::{magic, Filesystem, MetaChange, Node, OpenReq, PtsNode, StatFs};
use super::stat::{makedev, now, Stat};
use super::upper::DevKind;
use crate::kernel::errno::Errno;
use crate::kernel::tty::Devpts;

/// The device number of the sandbox's devpts (as `kernel::tty` reports
/// for its pty files).
pub const DEVPTS_DEV: u64 = 0x16;

/// A devpts file system over the TTY layer's pty table.
pub struct DevptsFs {
    pts: Arc<Devpts>,
    dev: u64,
    created: (i64, i64),
}

impl DevptsFs {
    /// A devpts showing `pts`.
    pub fn new(pts: Arc<Devpts>, dev: u64) -> Arc<DevptsFs> {
        Arc::new(DevptsFs { pts, dev, created: now() })
    }

    /// `st` with this file system's device, link count and block size.
    fn base(&self, st: Stat) -> Stat {
        let nlink = if st.mode & libc::S_IFMT == libc::S_IFDIR { 2 } else { 1 };
        Stat { dev: self.dev, nlink, blksize: 1024, ..st }
    }

    fn parse(&self, path: &[u8]) -> Option<PtsNode> {
        match path {
            b"/" => Some(PtsNode::Root),
            b"/ptmx" => Some(PtsNode::Ptmx),
            _ => {
                let n: u32 = std::str::from_utf8(path.strip_prefix(b"/")?).ok()?.parse().ok()?;
                if path.get(1) == Some(&b'0') && path.len() > 2 {
                    return None;
                }
                self.pts.indices().contains(&n).then_some(PtsNode::Pty(n))
            }
        }
    }
}

impl Filesystem for DevptsFs {
    fn fs_type(&self) -> &'static str {
        "devpts"
    }

    fn node_at(&self, path: &[u8]) -> Result<Option<Node>, Errno> {
        Ok(self.parse(path).map(Node::Pts))
    }

    fn lookup(&self, _dir_path: &[u8], _dir: &Node, name: &[u8]) -> Result<Option<Node>, Errno> {
        self.node_at(&super::path::join(b"/", name))
    }

    fn stat(&self, _path: &[u8], node: &Node) -> Result<Stat, Errno> {
        let Node::Pts(n) = node else {
            return Err(Errno::EINVAL);
        };
        let (ino, mode, rdev, gid) = match *n {
            PtsNode::Root => (1, libc::S_IFDIR | 0o755, 0, 0),
            PtsNode::Ptmx => {
                let (ma, mi) = DevKind::Ptmx.numbers();
                (2, libc::S_IFCHR | 0o666, makedev(ma, mi), 0)
            }
            PtsNode::Pty(i) => {
                let (ma, mi) = DevKind::Pts(i).numbers();
                let n = self.pts.get(i).ok_or(Errno::ENOENT)?.node_attrs();
                let st = Stat {
                    mode: libc::S_IFCHR | n.mode,
                    uid: n.uid,
                    gid: n.gid,
                    rdev: makedev(ma, mi),
                    ..Default::default()
                };
                return Ok(Stat { ino: i as u64 + 3, atime: n.atime, mtime: n.mtime, ctime: n.ctime, ..self.base(st) });
            }
        };
        Ok(Stat {
            ino,
            atime: self.created,
            mtime: self.created,
            ctime: self.created,
            ..self.base(Stat { mode, gid, rdev, ..Default::default() })
        })
    }

    /// chmod, chown and utimes of a terminal's node (root's and the
    /// owner's, checked by the caller); `ptmx` and the directory keep theirs.
    fn set_meta(&self, _path: &[u8], node: &Node, change: &MetaChange) -> Result<(), Errno> {
        let Node::Pts(PtsNode::Pty(i)) = node else {
            return Err(Errno::EPERM);
        };
        let pty = self.pts.get(*i).ok_or(Errno::ENOENT)?;
        pty.set_node_attrs(change.mode, change.uid, change.gid, change.atime, change.mtime);
        Ok(())
    }

    fn open(&self, _path: &[u8], _node: &Node, _req: OpenReq) -> Result<Box<dyn FileOps>, Errno> {
        Err(Errno::ENXIO)
    }

    fn list(&self, _path: &[u8], _node: &Node) -> Result<Vec<DirEntry>, Errno> {
        let mut v = vec![DirEntry { ino: 2, kind: libc::DT_CHR, name: b"ptmx".to_vec() }];
        let mut idx = self.pts.indices();
        idx.sort_unstable();
        v.extend(idx.into_iter().map(|i| DirEntry {
            ino: i as u64 + 3,
            kind: libc::DT_CHR,
            name: i.to_string().into_bytes(),
        }));
        Ok(v)
    }

    fn statfs(&self) -> StatFs {
        StatFs { fs_type: magic::DEVPTS, bsize: 4096, namelen: 255, ..Default::default() }
    }
}
