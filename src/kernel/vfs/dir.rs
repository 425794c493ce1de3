//! Open directories and `O_PATH` descriptors.

use std::sync::{Arc, Mutex};

use super::file::{DirEntries, DirEntry, FileOps};
use super::stat::Stat;
use super::Vfs;
use crate::kernel::errno::Errno;
use crate::kernel::task::ThreadGroup;

/// An open directory. The listing is taken when reading starts (position
/// 0) and served from that snapshot, so `getdents64` pages are consistent.
pub struct DirHandle {
    vfs: Arc<Vfs>,
    path: Vec<u8>,
    snapshot: Mutex<Option<Arc<Vec<DirEntry>>>>,
    /// For `/proc/<pid>`: the process, held as a pidfd holds it.
    pub process: Option<Arc<ThreadGroup>>,
}

impl DirHandle {
    /// A handle on the directory at canonical `path` (`process`: see
    /// `Filesystem::dir_process`).
    pub fn new(vfs: Arc<Vfs>, path: Vec<u8>, process: Option<Arc<ThreadGroup>>) -> DirHandle {
        DirHandle { vfs, path, snapshot: Mutex::new(None), process }
    }
}

impl FileOps for DirHandle {
    /// Takes a new snapshot of the listing at position 0.
    fn readdir_from(&self, pos: u64) -> Result<DirEntries, Errno> {
        let mut snap = self.snapshot.lock().unwrap_or_else(|e| e.into_inner());
        let all = match snap.as_ref() {
            Some(all) if pos != 0 => all.clone(),
            _ => {
                let all = Arc::new(self.vfs.list(&self.path)?);
                *snap = Some(all.clone());
                all
            }
        };
        Ok(DirEntries::new(all, usize::try_from(pos).unwrap_or(usize::MAX)))
    }
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        self.vfs.stat(b"/", &self.path, false)
    }
    /// Directories of file systems sync (in memory: nothing to do; host
    /// directories of bind mounts are the host's to write back); those of
    /// /proc and of kernfs (sysfs, cgroup2) have no fsync operation.
    fn sync(&self) -> Result<(), Errno> {
        if ["proc", "sysfs", "cgroup2"].contains(&self.vfs.mount_of(&self.path).fs.fs_type()) {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }
    fn inode_flags(&self) -> Result<u32, Errno> {
        let r = self.vfs.resolve(b"/", &self.path, false)?;
        r.mount.fs.inode_flags(&r.fs_path, r.node.as_ref().ok_or(Errno::ENOENT)?)
    }
    fn set_inode_flags(&self, f: &mut super::file::SetFlags) -> Result<(), Errno> {
        let r = self.vfs.resolve(b"/", &self.path, false)?;
        r.mount.fs.set_inode_flags(&r.fs_path, r.node.as_ref().ok_or(Errno::ENOENT)?, f)
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// An `O_PATH` descriptor: it names a file but allows no I/O.
pub struct PathOnly(pub Stat);

impl FileOps for PathOnly {
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.0)
    }
}
