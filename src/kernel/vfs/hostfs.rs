//! Bind mounts of host directories or files (`husk do --mount SRC:DST[:ro]`).
//! A read-write bind writes to the host, confined below SRC: every host
//! call names a path relative to SRC's descriptor through `lower.rs`
//! (`openat2` with RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS), and every change
//! goes through the parent directory's descriptor and one name, never
//! following it. Host device nodes and sockets are never opened, and none
//! can be created on the host but FIFOs. A host FIFO is never opened either:
//! its openers in the sandbox share a pipe of the sentry's, one per FIFO
//! inode, so FIFOs made in a bind mount work as fifo(7) says between
//! sandbox processes (a host process opening it is not connected to them).
//! A read-only bind is refused every change by the mount's flags (EROFS).

use std::collections::HashMap;
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex};

use super::fifo::{self, Fifo};
use super::file::{DirEntry, FileOps};
use super::fs::{Filesystem, Link, MetaChange, Node, OpenReq, Owner, StatFs};
use super::lower::{self, HostFile};
use super::path::join;
use super::stat::Stat;
use crate::kernel::errno::Errno;

/// A host directory (or a single host file) shown at a mount point.
pub struct HostFs {
    /// The source directory, or the directory holding the source file.
    base: OwnedFd,
    /// For a file bind: the file's name in `base` (the fs root maps to it).
    file: Option<Vec<u8>>,
    /// The device number `stat` reports.
    dev: u64,
    /// The host file system's type name.
    kind: &'static str,
    /// The sentry's pipes behind host FIFOs, by inode number.
    fifos: Mutex<HashMap<u64, Arc<Fifo>>>,
}

impl HostFs {
    /// Opens `src` on the host for a bind mount.
    pub fn new(src: &std::path::Path, dev: u64) -> std::io::Result<Arc<HostFs>> {
        let meta = std::fs::metadata(src)?;
        if meta.is_dir() {
            let base = lower::open_root(src)?;
            let kind = type_name(lower::statfs(&base).fs_type);
            return Ok(Arc::new(HostFs { base, file: None, dev, kind, fifos: Default::default() }));
        }
        if !meta.is_file() {
            return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
        }
        let parent = src.parent().unwrap_or(std::path::Path::new("/"));
        let name = src.file_name().ok_or_else(|| std::io::Error::from_raw_os_error(libc::EINVAL))?;
        let base = lower::open_root(parent)?;
        let kind = type_name(lower::statfs(&base).fs_type);
        let file = Some(name.as_encoded_bytes().to_vec());
        Ok(Arc::new(HostFs { base, file, dev, kind, fifos: Default::default() }))
    }

    /// The host path (relative to `base`) of an fs path.
    fn host(&self, path: &[u8]) -> Vec<u8> {
        match &self.file {
            Some(name) if path == b"/" => join(b"/", name),
            // A file bind has nothing below its root.
            Some(_) => b"/\0".to_vec(),
            None => path.to_vec(),
        }
    }

    fn host_stat(&self, path: &[u8]) -> Result<Option<Stat>, Errno> {
        match lower::lstat(&self.base, &self.host(path)) {
            Ok(mut s) => {
                s.dev = self.dev;
                Ok(Some(s))
            }
            Err(Errno::ENOENT) | Err(Errno::ENOTDIR) | Err(Errno::EINVAL) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Runs `f` on the parent directory descriptor and the name of `path`.
    fn at<T>(&self, path: &[u8], f: impl FnOnce(i32, &CString) -> libc::c_long) -> Result<T, Errno>
    where
        T: Default,
    {
        let (dir, name) = lower::parent_and_name(&self.base, &self.host(path))?;
        if f(dir.as_raw_fd(), &name) < 0 {
            return Err(Errno::last());
        }
        Ok(T::default())
    }
}

/// The name of a host file system type, from its `statfs` magic.
fn type_name(magic: u64) -> &'static str {
    match magic {
        0xef53 => "ext4",
        0x5846_5342 => "xfs",
        0x9123_683e => "btrfs",
        0x0102_1994 => "tmpfs",
        0x794c_7630 => "overlay",
        0x6969 => "nfs",
        0x2fc1_2fc1 => "zfs",
        0x6573_5546 => "fuse",
        0x0102_1997 => "9p",
        _ => "bind",
    }
}

fn host_stat(node: &Node) -> Result<&Stat, Errno> {
    match node {
        Node::Host(s) => Ok(s),
        _ => Err(Errno::EINVAL),
    }
}

impl Filesystem for HostFs {
    fn fs_type(&self) -> &'static str {
        self.kind
    }

    fn sync_fs(&self) -> Result<(), Errno> {
        // SAFETY: syncfs only reads the descriptor, which we own.
        if unsafe { libc::syncfs(self.base.as_raw_fd()) } < 0 {
            return Err(Errno::last());
        }
        Ok(())
    }

    fn node_at(&self, path: &[u8]) -> Result<Option<Node>, Errno> {
        Ok(self.host_stat(path)?.map(Node::Host))
    }

    fn lookup(&self, dir_path: &[u8], _dir: &Node, name: &[u8]) -> Result<Option<Node>, Errno> {
        self.node_at(&join(dir_path, name))
    }

    fn stat(&self, _path: &[u8], node: &Node) -> Result<Stat, Errno> {
        host_stat(node).copied()
    }

    fn mode(&self, _path: &[u8], node: &Node) -> Result<u32, Errno> {
        host_stat(node).map(|s| s.mode)
    }

    fn readlink(&self, path: &[u8], node: &Node) -> Option<Result<Link, Errno>> {
        if !host_stat(node).ok()?.is_symlink() {
            return None;
        }
        Some(lower::readlink(&self.base, &self.host(path)).map(Link::Text))
    }

    fn open(&self, path: &[u8], node: &Node, req: OpenReq) -> Result<Box<dyn FileOps>, Errno> {
        let st = *host_stat(node)?;
        if st.file_type() == libc::S_IFIFO {
            let fifo =
                self.fifos.lock().unwrap_or_else(|e| e.into_inner()).entry(st.ino).or_insert_with(Fifo::new).clone();
            return fifo::open(&fifo, req.flags, Arc::new(move || Ok(st)));
        }
        if !st.is_regular() {
            // Host devices and sockets are never opened.
            return Err(Errno::EACCES);
        }
        Ok(Box::new(HostFile::open_mode(&self.base, &self.host(path), req.write)?.on_dev(self.dev)))
    }

    fn list(&self, path: &[u8], _node: &Node) -> Result<Vec<DirEntry>, Errno> {
        lower::read_dir(&self.base, &self.host(path))
    }

    fn create(&self, path: &[u8], mode: u32, _owner: Owner) -> Result<Box<dyn FileOps>, Errno> {
        Ok(Box::new(lower::create(&self.base, &self.host(path), mode & 0o7777)?.on_dev(self.dev)))
    }

    fn mkdir(&self, path: &[u8], mode: u32, _owner: Owner) -> Result<(), Errno> {
        // SAFETY: mkdirat with a directory descriptor and a NUL-terminated name.
        self.at(path, |d, n| unsafe { libc::mkdirat(d, n.as_ptr(), mode & 0o7777) } as _)
    }

    fn mknod(&self, path: &[u8], mode: u32, _rdev: u64, _owner: Owner) -> Result<(), Errno> {
        if mode & libc::S_IFMT != libc::S_IFIFO {
            // No device or socket node is ever made on the host.
            return Err(Errno::EPERM);
        }
        // SAFETY: mknodat of a FIFO with a directory descriptor and a name.
        self.at(path, |d, n| unsafe { libc::mknodat(d, n.as_ptr(), mode, 0) } as _)
    }

    fn symlink(&self, path: &[u8], target: &[u8], _owner: Owner) -> Result<(), Errno> {
        let t = CString::new(target).map_err(|_| Errno::EINVAL)?;
        // SAFETY: symlinkat with NUL-terminated strings and a directory descriptor.
        self.at(path, |d, n| unsafe { libc::symlinkat(t.as_ptr(), d, n.as_ptr()) } as _)
    }

    fn link(&self, old: &[u8], _old_node: &Node, new: &[u8]) -> Result<(), Errno> {
        let (od, on) = lower::parent_and_name(&self.base, &self.host(old))?;
        let (nd, nn) = lower::parent_and_name(&self.base, &self.host(new))?;
        // SAFETY: linkat without AT_SYMLINK_FOLLOW on two (dir, name) pairs.
        let r = unsafe { libc::linkat(od.as_raw_fd(), on.as_ptr(), nd.as_raw_fd(), nn.as_ptr(), 0) };
        if r < 0 {
            return Err(Errno::last());
        }
        Ok(())
    }

    fn remove(&self, path: &[u8], _node: &Node, dir: bool) -> Result<(), Errno> {
        let flags = if dir { libc::AT_REMOVEDIR } else { 0 };
        // SAFETY: unlinkat of one name in a directory descriptor.
        self.at(path, |d, n| unsafe { libc::unlinkat(d, n.as_ptr(), flags) } as _)
    }

    fn rename(
        &self,
        old: &[u8],
        _old_node: &Node,
        new: &[u8],
        _new_node: Option<&Node>,
        flags: u32,
    ) -> Result<(), Errno> {
        let (od, on) = lower::parent_and_name(&self.base, &self.host(old))?;
        let (nd, nn) = lower::parent_and_name(&self.base, &self.host(new))?;
        // SAFETY: renameat2 on two (dir, name) pairs; names are not followed.
        let r = unsafe {
            libc::syscall(libc::SYS_renameat2, od.as_raw_fd(), on.as_ptr(), nd.as_raw_fd(), nn.as_ptr(), flags)
        };
        if r < 0 {
            return Err(Errno::last());
        }
        Ok(())
    }

    fn set_meta(&self, path: &[u8], node: &Node, c: &MetaChange) -> Result<(), Errno> {
        let st = host_stat(node)?;
        // An O_PATH descriptor of the very node: nothing is followed.
        let fd = lower::open_at(&self.base, &self.host(path), libc::O_PATH)?;
        if let Some(mode) = c.mode {
            if st.is_symlink() {
                return Err(Errno::EOPNOTSUPP);
            }
            // The descriptor's own inode, through the host's /proc magic link.
            let p = CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(|_| Errno::EINVAL)?;
            // SAFETY: fchmodat of a NUL-terminated path naming our descriptor.
            if unsafe { libc::fchmodat(libc::AT_FDCWD, p.as_ptr(), mode & 0o7777, 0) } < 0 {
                return Err(Errno::last());
            }
        }
        if c.uid.is_some() || c.gid.is_some() {
            let (u, g) = (c.uid.unwrap_or(u32::MAX), c.gid.unwrap_or(u32::MAX));
            // SAFETY: fchownat on our descriptor itself (AT_EMPTY_PATH).
            let r = unsafe { libc::fchownat(fd.as_raw_fd(), c"".as_ptr(), u, g, libc::AT_EMPTY_PATH) };
            if r < 0 {
                return Err(Errno::last());
            }
        }
        if c.atime.is_some() || c.mtime.is_some() {
            let ts = |t: Option<(i64, i64)>| match t {
                Some((s, n)) => libc::timespec { tv_sec: s, tv_nsec: n },
                None => libc::timespec { tv_sec: 0, tv_nsec: libc::UTIME_OMIT },
            };
            let times = [ts(c.atime), ts(c.mtime)];
            // SAFETY: utimensat of the descriptor's own inode (AT_EMPTY_PATH);
            // `times` is two live timespecs.
            let r = unsafe { libc::utimensat(fd.as_raw_fd(), c"".as_ptr(), times.as_ptr(), libc::AT_EMPTY_PATH) };
            if r < 0 {
                return Err(Errno::last());
            }
        }
        Ok(())
    }

    fn statfs(&self) -> StatFs {
        lower::statfs(&self.base)
    }
}
