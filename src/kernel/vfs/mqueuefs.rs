//! The mqueue file system (`mount -t mqueue none /dev/mqueue`): the POSIX
//! message queues of one IPC namespace (`kernel/ipc/mqueue.rs`), the
//! mounter's, as files. Creating a file makes a queue with the default
//! attributes, unlinking removes the name, and reading one gives Linux's
//! `QSIZE:... NOTIFY:... SIGNO:... NOTIFY_PID:...` line. A descriptor of
//! a queue (from mq_open or open) is an `MqFile`, which poll and epoll
//! watch: readable with a message queued, writable with room.

use std::sync::Arc;

use super::file::{DirEntry, FileOps};
use super::fs::{Filesystem, MetaChange, Node, OpenReq, Owner, StatFs};
use super::stat::Stat;
use crate::kernel::errno::Errno;
use crate::kernel::ipc::mqueue::{self, Attr, Create, MqQueue};
use crate::kernel::ns::IpcNamespace;

/// statfs's f_type of an mqueue file system.
const MQUEUE_MAGIC: u64 = 0x1980_0202;

/// A node of an mqueue file system.
#[derive(Clone)]
pub enum MqNode {
    Root,
    Queue(Arc<MqQueue>),
}

/// The queues of an IPC namespace as a file system.
pub struct MqueueFs {
    ns: Arc<IpcNamespace>,
}

impl MqueueFs {
    /// The file system of `ns`'s queues.
    pub fn new(ns: Arc<IpcNamespace>) -> Arc<MqueueFs> {
        Arc::new(MqueueFs { ns })
    }

    /// The device number every mount of this namespace's queues shows.
    pub fn dev(&self) -> u64 {
        self.ns.mq_dev
    }

    fn queue(node: &Node) -> Result<&Arc<MqQueue>, Errno> {
        match node {
            Node::Mq(MqNode::Queue(q)) => Ok(q),
            _ => Err(Errno::EISDIR),
        }
    }
}

/// Whether the calling task has capability `cap`.
fn capable(cap: u32) -> bool {
    crate::kernel::wait::current().is_some_and(|t| t.tg.capable(cap))
}

impl Filesystem for MqueueFs {
    fn fs_type(&self) -> &'static str {
        "mqueue"
    }

    fn node_at(&self, path: &[u8]) -> Result<Option<Node>, Errno> {
        if path == b"/" {
            return Ok(Some(Node::Mq(MqNode::Root)));
        }
        let Some(name) = path.strip_prefix(b"/") else {
            return Ok(None);
        };
        Ok(self.ns.mq.get(name).map(|q| Node::Mq(MqNode::Queue(q))))
    }

    fn lookup(&self, _dir_path: &[u8], _dir: &Node, name: &[u8]) -> Result<Option<Node>, Errno> {
        self.node_at(&super::path::join(b"/", name))
    }

    fn stat(&self, _path: &[u8], node: &Node) -> Result<Stat, Errno> {
        match node {
            Node::Mq(MqNode::Queue(q)) => Ok(q.stat(self.dev())),
            _ => {
                let t = self.ns.mq.created;
                Ok(Stat {
                    dev: self.dev(),
                    ino: 1,
                    mode: libc::S_IFDIR | 0o1777,
                    nlink: 2,
                    blksize: 4096,
                    atime: t,
                    mtime: t,
                    ctime: t,
                    ..Default::default()
                })
            }
        }
    }

    fn open(&self, _path: &[u8], node: &Node, _req: OpenReq) -> Result<Box<dyn FileOps>, Errno> {
        Ok(Box::new(MqFile::new(Self::queue(node)?.clone(), self.dev())))
    }

    fn list(&self, _path: &[u8], _node: &Node) -> Result<Vec<DirEntry>, Errno> {
        // Newest first, as Linux lists a simple directory.
        let mut v: Vec<DirEntry> =
            self.ns.mq.list().into_iter().map(|(name, q)| DirEntry { ino: q.ino, kind: libc::DT_REG, name }).collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.ino));
        Ok(v)
    }

    fn create(&self, path: &[u8], mode: u32, owner: Owner) -> Result<Box<dyn FileOps>, Errno> {
        let name = path.strip_prefix(b"/").unwrap_or(path);
        let c = Create {
            attr: self.ns.limits.mq_default_attr(),
            mode,
            uid: owner.uid,
            gid: owner.gid,
            privileged: capable(crate::kernel::ipc::CAP_SYS_RESOURCE),
            queues_max: self.ns.limits.mq_queues_max(),
            rlimit: crate::kernel::wait::current().map_or(u64::MAX, |t| {
                t.tg.rlimits.lock().unwrap_or_else(|e| e.into_inner())[libc::RLIMIT_MSGQUEUE as usize].cur
            }),
        };
        let (q, _) = self.ns.mq.open(name, Some(&c), true)?;
        Ok(Box::new(MqFile::new(q, self.dev())))
    }

    fn remove(&self, path: &[u8], _node: &Node, dir: bool) -> Result<(), Errno> {
        if dir {
            return Err(Errno::EPERM);
        }
        self.ns.mq.unlink(path.strip_prefix(b"/").unwrap_or(path)).map(drop)
    }

    fn set_meta(&self, _path: &[u8], node: &Node, change: &MetaChange) -> Result<(), Errno> {
        let q = Self::queue(node)?;
        q.set_owner_mode(change.mode, change.uid, change.gid);
        Ok(())
    }

    fn statfs(&self) -> StatFs {
        StatFs { fs_type: MQUEUE_MAGIC, bsize: 4096, namelen: 255, ..Default::default() }
    }
}

/// An open queue.
pub struct MqFile {
    pub queue: Arc<MqQueue>,
    dev: u64,
}

impl MqFile {
    /// A descriptor's view of `queue`.
    pub fn new(queue: Arc<MqQueue>, dev: u64) -> MqFile {
        MqFile { queue, dev }
    }
}

impl Drop for MqFile {
    /// Closing a queue removes the closer's notification (Linux does it at
    /// every close by the owner; here at the last close of this opening).
    fn drop(&mut self) {
        if let Some(t) = crate::kernel::wait::current() {
            self.queue.drop_notify_of(&t.tg.pid);
        }
    }
}

impl FileOps for MqFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let pidns = crate::kernel::wait::current().map(|t| t.tg.pidns().clone());
        let text = self.queue.text(pidns.as_deref());
        let b = text.as_bytes();
        let start = (off as usize).min(b.len());
        let n = buf.len().min(b.len() - start);
        buf[..n].copy_from_slice(&b[start..start + n]);
        Ok(n)
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.queue.stat(self.dev))
    }

    fn poll_ready(&self, events: i16) -> i16 {
        self.queue.poll_ready(events)
    }

    fn poll_queue(&self) -> Option<&crate::kernel::wait::WaitQueue> {
        Some(&self.queue.queue)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// The attributes mq_open asks for, checked as Linux's mq_attr_ok: both
/// positive, within the namespace's msg_max and msgsize_max (the hard
/// limits with CAP_SYS_RESOURCE); EINVAL otherwise.
pub fn check_attr(attr: Attr, ns: &IpcNamespace, privileged: bool) -> Result<Attr, Errno> {
    let (max, size) = if privileged {
        (mqueue::HARD_MSGMAX, mqueue::HARD_MSGSIZEMAX)
    } else {
        (ns.limits.mq_msg_max(), ns.limits.mq_msgsize_max())
    };
    if attr.maxmsg <= 0 || attr.msgsize <= 0 || attr.maxmsg > max || attr.msgsize > size {
        return Err(Errno::EINVAL);
    }
    Ok(attr)
}
