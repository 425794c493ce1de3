//! The interface every file system of the sandbox implements: the
//! container root overlay and tmpfs (`overlay.rs`), host bind mounts
//! (`hostfs.rs`), `/proc` (`procfs/`), `/dev/pts` (`devpts.rs`) and `/sys`
//! (`sysfs.rs`).
//!
//! File systems are addressed by *fs paths*: canonical absolute paths inside
//! the file system (`/` is its root). The mount table (`mount.rs`) maps a
//! sandbox path to a mount and an fs path; resolution (`resolve.rs`) walks
//! one component at a time, calling `lookup`. Every operation gets the node
//! the file system returned for that path, so it need not look it up again.
//!
//! Checks common to every file system (existence, file types, read-only
//! mounts, crossing mounts) are made by `Vfs` before calling in.

use std::sync::Arc;

use super::file::{DirEntry, FileOps, OpenFile};
use super::procfs::ProcNode;
use super::stat::Stat;
use super::sysfs::SysNode;
use super::upper::UpperNode;
use crate::kernel::errno::Errno;

/// What a path names, as the file system that holds it describes it.
#[derive(Clone)]
pub enum Node {
    /// A node of an overlay (the container root) or of a tmpfs.
    Ov(OvNode),
    /// A host file below a bind mount.
    Host(Stat),
    /// A node of `/proc`.
    Proc(ProcNode),
    /// A node of `/dev/pts`: the root, `ptmx`, or pty `N`.
    Pts(PtsNode),
    /// A node of a sysfs.
    Sys(SysNode),
    /// A node of a cgroup v2 file system.
    Cgroup(super::cgroupfs::CgNode),
    /// A node of an mqueue file system.
    Mq(super::mqueuefs::MqNode),
    /// The open file a magic link (`/proc/<pid>/fd/N`) leads to, when it is
    /// not a directory: opening it reopens that file, whatever its name now.
    Opened(Arc<OpenFile>),
}

/// An overlay node: the upper (in-memory) version, the lower (host) one, or
/// both for a merged directory.
#[derive(Clone)]
pub struct OvNode {
    /// The in-memory node, if any.
    pub upper: Option<UpperNode>,
    /// The host node, when it shows: a lower-only node, or the lower side
    /// of a merged directory (`None` for an upper node that hides it).
    pub lower: Option<Stat>,
}

/// A node of a devpts instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PtsNode {
    Root,
    Ptmx,
    Pty(u32),
}

/// Where a symbolic link leads.
pub enum Link {
    /// An ordinary symlink: its text, resolved like a path.
    Text(Vec<u8>),
    /// A magic link to a canonical sandbox path (a process's cwd, root,
    /// exe, or an open directory): resolution jumps there.
    Path(Vec<u8>),
    /// A magic link to an open file (`/proc/<pid>/fd/N`) and the text
    /// `readlink` shows for it.
    File(Arc<OpenFile>, Vec<u8>),
    /// A magic link the caller may read but not follow (following it
    /// fails with the errno): `/proc/<pid>/map_files/*` without
    /// CAP_SYS_ADMIN.
    Refused(Errno, Vec<u8>),
}

impl Link {
    /// The text `readlink(2)` returns.
    pub fn text(&self) -> Vec<u8> {
        match self {
            Link::Text(t) | Link::Path(t) | Link::File(_, t) | Link::Refused(_, t) => t.clone(),
        }
    }

    /// True for magic links.
    pub fn is_magic(&self) -> bool {
        !matches!(self, Link::Text(_))
    }
}

/// Who creates a node: its owner and group.
#[derive(Clone, Copy, Debug, Default)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

/// A change of metadata (`chmod`, `chown`, `utimensat`); `None` fields stay.
#[derive(Clone, Copy, Debug, Default)]
pub struct MetaChange {
    /// New permission bits (the file type is kept).
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub atime: Option<(i64, i64)>,
    pub mtime: Option<(i64, i64)>,
}

/// `statfs(2)` figures of a file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct StatFs {
    pub fs_type: u64,
    pub bsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub namelen: u64,
}

/// Magic numbers of `statfs.f_type`.
pub mod magic {
    pub const OVERLAYFS: u64 = 0x794c_7630;
    pub const TMPFS: u64 = 0x0102_1994;
    pub const PROC: u64 = 0x9fa0;
    pub const DEVPTS: u64 = 0x1cd1;
    pub const SYSFS: u64 = 0x6265_6572;
    pub const CGROUP2: u64 = 0x6367_7270;
}

/// How a node is being opened.
#[derive(Clone, Copy, Debug)]
pub struct OpenReq {
    /// `open(2)` flags.
    pub flags: u32,
    /// The caller will write (write access, or `O_TRUNC`).
    pub write: bool,
}

/// A file system.
///
/// Modifying operations have defaults that refuse (EPERM); read-only file
/// systems implement only the lookups.
pub trait Filesystem: Send + Sync {
    /// The type name shown in `/proc/mounts` (`overlay`, `tmpfs`, `proc`...).
    fn fs_type(&self) -> &'static str;

    /// Writes back what the host holds for this file system (sync(2),
    /// syncfs(2)); file systems in the sentry's memory have nothing to write.
    fn sync_fs(&self) -> Result<(), Errno> {
        Ok(())
    }

    /// The node at an fs path, if it exists (walking from the root when
    /// the file system has no faster way).
    fn node_at(&self, path: &[u8]) -> Result<Option<Node>, Errno>;

    /// Looks up `name` in the directory `dir` found at `dir_path`.
    fn lookup(&self, dir_path: &[u8], dir: &Node, name: &[u8]) -> Result<Option<Node>, Errno>;

    /// Metadata of a node.
    fn stat(&self, path: &[u8], node: &Node) -> Result<Stat, Errno>;

    /// The file type and permission bits, cheaply (resolution checks them
    /// for every component).
    fn mode(&self, path: &[u8], node: &Node) -> Result<u32, Errno> {
        self.stat(path, node).map(|s| s.mode)
    }

    /// Where a symlink leads; `None` if the node is not one.
    fn readlink(&self, _path: &[u8], _node: &Node) -> Option<Result<Link, Errno>> {
        None
    }

    /// The process a directory stands for (`/proc/<pid>`), which an open
    /// descriptor of it pins as a pidfd does (pidfd_send_signal takes one).
    fn dir_process(&self, _node: &Node) -> Option<Arc<crate::kernel::task::ThreadGroup>> {
        None
    }

    /// Opens a node that is not a directory, symlink or magic file.
    fn open(&self, path: &[u8], node: &Node, req: OpenReq) -> Result<Box<dyn FileOps>, Errno>;

    /// The entries of a directory, without `.` and `..`.
    fn list(&self, path: &[u8], node: &Node) -> Result<Vec<DirEntry>, Errno>;

    /// Creates and opens a regular file (`O_CREAT`); the name is free.
    fn create(&self, _path: &[u8], _mode: u32, _owner: Owner) -> Result<Box<dyn FileOps>, Errno> {
        Err(Errno::EPERM)
    }

    /// Creates a directory; the name is free.
    fn mkdir(&self, _path: &[u8], _mode: u32, _owner: Owner) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    /// Creates a FIFO, socket or device node (`mode` holds the type).
    fn mknod(&self, _path: &[u8], _mode: u32, _rdev: u64, _owner: Owner) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    /// Creates a symlink at `path` holding `target`.
    fn symlink(&self, _path: &[u8], _target: &[u8], _owner: Owner) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    /// A new unnamed regular file (O_TMPFILE) in directory `dir`, with an
    /// inode number of this file system; only in-memory file systems have
    /// them.
    fn tmpfile(&self, _dir: &[u8], _mode: u32, _owner: Owner) -> Result<Arc<super::memfile::MemFile>, Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    /// Gives the in-memory file `file` (an open one: maybe an unnamed
    /// O_TMPFILE file) one more name, `new`.
    fn link_file(&self, _file: &Arc<super::memfile::MemFile>, _new: &[u8]) -> Result<(), Errno> {
        Err(Errno::EXDEV)
    }

    /// Makes `new` another name of the non-directory `old`.
    fn link(&self, _old: &[u8], _old_node: &Node, _new: &[u8]) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    /// Whether its directories have an rmdir operation at all. Linux's
    /// vfs_rmdir answers EPERM for one without, before the file system
    /// could check emptiness (sysfs: `rmdir` of a CPU's directory).
    fn has_rmdir(&self) -> bool {
        true
    }

    /// Removes a name: a file (`dir == false`) or an empty directory.
    fn remove(&self, _path: &[u8], _node: &Node, _dir: bool) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    /// Renames `old` to `new` after the generic checks (types, emptiness,
    /// not into itself). `flags` are `renameat2` flags.
    fn rename(
        &self,
        _old: &[u8],
        _old_node: &Node,
        _new: &[u8],
        _new_node: Option<&Node>,
        _flags: u32,
    ) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    /// Changes metadata.
    fn set_meta(&self, _path: &[u8], _node: &Node, _change: &MetaChange) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    /// The node was read (a directory listed, a symlink read or followed):
    /// update its access time as the file system does (`relatime`).
    fn accessed(&self, _path: &[u8], _node: &Node) {}

    /// Whether any node may have inode flags (so the VFS need not look
    /// them up elsewhere).
    fn keeps_inode_flags(&self) -> bool {
        false
    }

    /// The inode flags of a node (`attr.rs`); ENOTTY where the file system
    /// keeps none.
    fn inode_flags(&self, _path: &[u8], _node: &Node) -> Result<u32, Errno> {
        Err(Errno::ENOTTY)
    }

    /// Changes a node's inode flags as `f` decides (FS_IOC_SETFLAGS on an
    /// open directory).
    fn set_inode_flags(&self, _path: &[u8], _node: &Node, _f: &mut super::file::SetFlags) -> Result<(), Errno> {
        Err(Errno::ENOTTY)
    }

    /// `statfs(2)` figures.
    fn statfs(&self) -> StatFs;

    /// Applies a remount's file-system options (`mount -o remount,size=2m`)
    /// and returns the options `/proc/mounts` shows now; `None` for a file
    /// system that keeps none, which ignores them.
    fn remount(&self, _data: &str) -> Result<Option<String>, Errno> {
        Ok(None)
    }
}
