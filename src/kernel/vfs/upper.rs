//! The in-memory upper layer of the container root: everything a sandbox
//! creates or changes lives here, never on the host. Regular files are
//! `MemFile`s (`memfile.rs`: small ones in the heap, others in memfds, so
//! `mmap`, also `MAP_SHARED`, sees the same pages as `read`/`write`).

use std::sync::{Arc, Mutex};

use super::fifo::Fifo;
use super::file::FileOps;
pub use super::memfile::{MemFile, MemFileHandle};
use super::stat::{now, Stat, ROOT_DEV};
use crate::kernel::errno::Errno;

/// Ownership, permissions and times of an upper-layer node.
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    /// The device number of the file system holding the node (what `fstat`
    /// of an open file reports).
    pub dev: u64,
    pub ino: u64,
    /// Full mode including the `S_IFMT` type bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    /// Hard links (for directories: 2 plus subdirectories).
    pub nlink: u64,
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
    /// When the node was made (a copy-up makes a new one, as overlayfs's
    /// upper inode).
    pub btime: (i64, i64),
    /// The inode flags `chattr` sets (`FS_*_FL`, see `attr.rs`).
    pub attrs: u32,
}

impl Meta {
    /// Fresh metadata stamped with the current time.
    pub fn new(ino: u64, mode: u32, uid: u32, gid: u32) -> Meta {
        let t = now();
        Meta {
            dev: ROOT_DEV,
            ino,
            mode,
            uid,
            gid,
            rdev: 0,
            nlink: if mode & libc::S_IFMT == libc::S_IFDIR { 2 } else { 1 },
            atime: t,
            mtime: t,
            ctime: t,
            btime: t,
            attrs: 0,
        }
    }

    /// Metadata copied from a lower file (copy-up keeps owner, mode and times).
    pub fn from_stat(s: &Stat) -> Meta {
        Meta {
            dev: s.dev,
            ino: s.ino,
            mode: s.mode,
            uid: s.uid,
            gid: s.gid,
            rdev: s.rdev,
            nlink: if s.is_dir() { 2 } else { 1 },
            atime: s.atime,
            mtime: s.mtime,
            ctime: s.ctime,
            btime: now(),
            attrs: 0,
        }
    }

    /// Updates the access time as a `relatime` mount does: only when it is
    /// not newer than the last modification or change, or is a day old.
    /// Nothing changes on a node with the noatime flag.
    pub fn touch_atime(&mut self) {
        if self.attrs & super::attr::FS_NOATIME_FL != 0 {
            return;
        }
        let t = now();
        if self.atime <= self.mtime || self.atime <= self.ctime || t.0 - self.atime.0 >= 24 * 3600 {
            self.atime = t;
        }
    }

    /// A `Stat` for this node with the given size, occupying whole 4 KiB
    /// blocks (as a directory or a page of a file does).
    pub fn to_stat(self, size: u64) -> Stat {
        self.to_stat_blocks(size, size.div_ceil(4096) * 8)
    }

    /// A `Stat` for this node with the given size and 512-byte blocks.
    pub fn to_stat_blocks(self, size: u64, blocks: u64) -> Stat {
        Stat {
            dev: self.dev,
            ino: self.ino,
            mode: self.mode,
            nlink: self.nlink,
            uid: self.uid,
            gid: self.gid,
            rdev: self.rdev,
            size,
            blksize: 4096,
            blocks,
            atime: self.atime,
            mtime: self.mtime,
            ctime: self.ctime,
            btime: Some(self.btime),
        }
    }
}

/// The sentry's own character devices, by Linux device number. A device
/// node with another number opens nothing (ENXIO): a host device is never
/// reached from the sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevKind {
    Null,
    Zero,
    Full,
    Random,
    Urandom,
    /// `/dev/tty`: the caller's controlling terminal.
    Tty,
    /// `/dev/ptmx`: a new pseudo-terminal pair.
    Ptmx,
    /// `/dev/pts/N`.
    Pts(u32),
    /// `/dev/console`: the caller's terminal in console mode.
    Console,
}

impl DevKind {
    /// Linux's (major, minor) for the device.
    pub fn numbers(self) -> (u32, u32) {
        match self {
            DevKind::Null => (1, 3),
            DevKind::Zero => (1, 5),
            DevKind::Full => (1, 7),
            DevKind::Random => (1, 8),
            DevKind::Urandom => (1, 9),
            DevKind::Tty => (5, 0),
            DevKind::Console => (5, 1),
            DevKind::Ptmx => (5, 2),
            DevKind::Pts(n) => (136 + n / 256, n % 256),
        }
    }

    /// The device a character device number names, if the sentry has it.
    pub fn from_numbers(major: u32, minor: u32) -> Option<DevKind> {
        Some(match (major, minor) {
            (1, 3) => DevKind::Null,
            (1, 5) => DevKind::Zero,
            (1, 7) => DevKind::Full,
            (1, 8) => DevKind::Random,
            (1, 9) => DevKind::Urandom,
            (5, 0) => DevKind::Tty,
            (5, 1) => DevKind::Console,
            (5, 2) => DevKind::Ptmx,
            (136..=143, m) => DevKind::Pts((major - 136) * 256 + m),
            _ => return None,
        })
    }
}

/// A node of the upper layer, keyed by its canonical path.
#[derive(Clone)]
pub enum UpperNode {
    /// A directory. `opaque` hides the lower directory at the same path.
    Dir { meta: Meta, opaque: bool },
    /// A regular file (shared by its hard links).
    File(Arc<MemFile>),
    /// A symlink, device, FIFO or socket (shared by its hard links).
    Special(Arc<Special>),
    /// Marks a lower file as deleted.
    Whiteout,
}

impl UpperNode {
    /// The node's metadata.
    pub fn meta(&self) -> Option<Meta> {
        match self {
            UpperNode::Dir { meta, .. } => Some(*meta),
            UpperNode::File(f) => Some(f.meta()),
            UpperNode::Special(s) => Some(s.meta()),
            UpperNode::Whiteout => None,
        }
    }

    /// The symlink target, for symlinks.
    pub fn symlink_target(&self) -> Option<&[u8]> {
        match self {
            UpperNode::Special(s) => match &s.kind {
                SpecialKind::Symlink(t) => Some(t),
                _ => None,
            },
            _ => None,
        }
    }
}

/// What a special node is.
pub enum SpecialKind {
    /// A symbolic link and its target.
    Symlink(Vec<u8>),
    /// A device node (the number is in the metadata's `rdev`).
    Device,
    /// A named pipe.
    Fifo(Arc<Fifo>),
    /// A socket inode (`mknod S_IFSOCK`); opening it is ENXIO.
    Socket,
}

/// A symlink, device, FIFO or socket of the upper layer.
pub struct Special {
    /// Guards metadata changes.
    pub meta: Mutex<Meta>,
    pub kind: SpecialKind,
}

impl Special {
    /// A new special node.
    pub fn new(meta: Meta, kind: SpecialKind) -> Arc<Special> {
        Arc::new(Special { meta: Mutex::new(meta), kind })
    }

    /// A copy of the metadata.
    pub fn meta(&self) -> Meta {
        *self.meta.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The size `stat` reports (a symlink's target length).
    pub fn size(&self) -> u64 {
        match &self.kind {
            SpecialKind::Symlink(t) => t.len() as u64,
            _ => 0,
        }
    }

    /// The node's `Stat`: as tmpfs, a symlink target shorter than 128
    /// bytes lives in the inode (no blocks), a longer one takes a page.
    pub fn stat(&self) -> Stat {
        let size = self.size();
        self.meta().to_stat_blocks(size, if size < 128 { 0 } else { 8 })
    }
}

/// An open sentry device (`null`, `zero`, `full`, `random`, `urandom`).
pub struct DeviceHandle {
    pub kind: DevKind,
    /// The device node's metadata when it was opened.
    pub stat: Stat,
}

impl FileOps for DeviceHandle {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        match self.kind {
            DevKind::Null => Ok(0),
            DevKind::Zero | DevKind::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            DevKind::Tty | DevKind::Ptmx | DevKind::Pts(_) | DevKind::Console => Err(Errno::ENXIO),
            DevKind::Random | DevKind::Urandom => {
                // SAFETY: getrandom fills at most buf.len() bytes of our buffer.
                let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
                if n < 0 {
                    Err(Errno::last())
                } else {
                    Ok(n as usize)
                }
            }
        }
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        match self.kind {
            DevKind::Full => Err(Errno::ENOSPC),
            _ => Ok(buf.len()),
        }
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.stat)
    }
    fn seekable(&self) -> bool {
        true
    }
    /// Linux's null_lseek (null, zero, full) and noop_llseek (random,
    /// urandom, whose reads never move the position): any seek gives 0.
    fn host_seek(&self, _off: i64, whence: i32) -> Option<Result<u64, Errno>> {
        Some(if (libc::SEEK_SET..=libc::SEEK_HOLE).contains(&whence) { Ok(0) } else { Err(Errno::EINVAL) })
    }
    fn nowait(&self) -> bool {
        true
    }
    fn discards_writes(&self) -> bool {
        self.kind == DevKind::Null
    }
    fn reads_zeros(&self) -> bool {
        matches!(self.kind, DevKind::Zero | DevKind::Full)
    }
    fn reopen(&self, _flags: u32) -> Option<Result<Box<dyn FileOps>, Errno>> {
        Some(Ok(Box::new(DeviceHandle { kind: self.kind, stat: self.stat })))
    }
}
