//! `/dev`: a tmpfs holding the sentry's devices (`null`, `zero`, `full`,
//! `random`, `urandom`, `tty`, `ptmx`), the `pts` and `shm` mount points
//! and the `fd`, `stdin`, `stdout`, `stderr` symlinks into `/proc/self/fd`.
//!
//! Device nodes open by number, wherever they are (`mknod` in the sandbox
//! works too): the sentry's own devices, terminals through the TTY layer,
//! and nothing else (ENXIO). A host device is never opened.
//!
//! In console mode (`husk do --console`) the caller's terminal is the
//! sandbox's console: `/dev/console` (5:1, made when the console is
//! attached, as runc and LXC make it only for a container with a terminal)
//! opens it, and the container's stdio on it are that node's files, so
//! `ttyname` (readlink of `/proc/self/fd/N`, then a stat compared with
//! `fstat`) names it `/dev/console`, as on a Linux system whose shell runs
//! on the system console.

use std::os::fd::RawFd;
use std::sync::Arc;

use super::file::{DirEntries, FileOps};
use super::overlay::Overlay;
use super::stat::{dev_major, dev_minor, makedev, Stat};
use super::tmpfs_opts::TmpfsOptions;
use super::upper::{DevKind, DeviceHandle, SpecialKind};
use super::{Caller, Lookup, Vfs};
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::tty::job::Terminal;
use crate::kernel::wait::WaitQueue;

/// The size of `/dev` and `/dev/shm` (64 MiB, as runc and Docker mount them).
pub const DEV_SIZE: u64 = 64 << 20;

/// Builds the `/dev` tmpfs.
pub fn build(dev: u64) -> Arc<Overlay> {
    // The size its mount shows (runc's), which statfs reports too.
    let fs = Overlay::tmpfs_with(dev, &TmpfsOptions::with_size(0o755, DEV_SIZE));
    for (name, kind) in [
        ("null", DevKind::Null),
        ("zero", DevKind::Zero),
        ("full", DevKind::Full),
        ("random", DevKind::Random),
        ("urandom", DevKind::Urandom),
        ("tty", DevKind::Tty),
        ("ptmx", DevKind::Ptmx),
    ] {
        let (ma, mi) = kind.numbers();
        let path = format!("/{name}");
        fs.insert(path.as_bytes(), libc::S_IFCHR | 0o666, makedev(ma, mi), Some(SpecialKind::Device));
    }
    fs.insert(b"/pts", libc::S_IFDIR | 0o755, 0, None);
    fs.insert(b"/shm", libc::S_IFDIR | 0o1777, 0, None);
    for (name, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        let path = format!("/{name}");
        let kind = SpecialKind::Symlink(target.as_bytes().to_vec());
        fs.insert(path.as_bytes(), libc::S_IFLNK | 0o777, 0, Some(kind));
    }
    fs
}

/// Opens the character device a node names (`st` is the node's metadata).
pub fn open(vfs: &Vfs, st: &Stat, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
    let kind = DevKind::from_numbers(dev_major(st.rdev), dev_minor(st.rdev)).ok_or(Errno::ENXIO)?;
    let inner = match kind {
        DevKind::Tty => crate::kernel::tty::open_controlling_tty(flags)?,
        DevKind::Ptmx => vfs.devpts.open_ptmx(flags)?,
        DevKind::Pts(n) => vfs.devpts.open_pts(n, flags)?,
        DevKind::Console => {
            let console = vfs.console.lock().unwrap_or_else(|e| e.into_inner()).clone();
            // Linux has no console device to open then either.
            console.ok_or(Errno::ENODEV)?.reopen(flags)?
        }
        kind => return Ok(Box::new(DeviceHandle { kind, stat: *st })),
    };
    Ok(Box::new(DevFile { inner, stat: *st }))
}

impl Vfs {
    /// Makes `console` the sandbox's console: `/dev/console` opens it from
    /// now on. Returns the node's metadata, for `DevFile::new`.
    pub fn attach_console(&self, console: Arc<dyn Terminal>) -> Result<Stat, Errno> {
        *self.console.lock().unwrap_or_else(|e| e.into_inner()) = Some(console);
        let (ma, mi) = DevKind::Console.numbers();
        let lk = Lookup { root: b"/", start: b"/", follow: false, resolve: 0, creds: None };
        match self.mknod(&lk, b"/dev/console", libc::S_IFCHR | 0o600, makedev(ma, mi), Caller::SENTRY) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        }
        self.stat(b"/", b"/dev/console", false)
    }
}

/// A terminal opened through a device node: the TTY layer's file, with the
/// node's metadata for `fstat` (so `ttyname` finds the node it came from).
/// Every other `FileOps` method is passed through.
pub struct DevFile {
    inner: Box<dyn FileOps>,
    stat: Stat,
}

impl DevFile {
    /// `inner` shown as the device node whose metadata is `stat`.
    pub fn new(inner: Box<dyn FileOps>, stat: Stat) -> DevFile {
        DevFile { inner, stat }
    }
}

impl FileOps for DevFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        self.inner.read(buf, off)
    }
    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        self.inner.write(buf, off)
    }
    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        self.inner.read_stream(buf, nonblock)
    }
    fn write_stream(&self, buf: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.inner.write_stream(buf, nonblock)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        let mut st = self.stat;
        if let Ok(inner) = self.inner.stat() {
            st.atime = inner.atime;
            st.mtime = inner.mtime;
            // Opened through the terminal's own node (devpts): its owner
            // and mode as they are now, after a chmod or chown.
            if (inner.dev, inner.ino) == (st.dev, st.ino) {
                (st.mode, st.uid, st.gid, st.ctime) = (inner.mode, inner.uid, inner.gid, inner.ctime);
            }
        }
        Ok(st)
    }
    fn seekable(&self) -> bool {
        self.inner.seekable()
    }
    fn nowait(&self) -> bool {
        self.inner.nowait()
    }
    fn host_seek(&self, off: i64, whence: i32) -> Option<Result<u64, Errno>> {
        self.inner.host_seek(off, whence)
    }
    fn readdir_from(&self, pos: u64) -> Result<DirEntries, Errno> {
        self.inner.readdir_from(pos)
    }
    fn ioctl(&self, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        self.inner.ioctl(req, arg, mem)
    }
    fn poll_ready(&self, events: i16) -> i16 {
        self.inner.poll_ready(events)
    }
    fn poll_queue(&self) -> Option<&WaitQueue> {
        self.inner.poll_queue()
    }
    fn poll_host_fd(&self) -> Option<RawFd> {
        self.inner.poll_host_fd()
    }
    fn fasync(&self, entry: &std::sync::Arc<crate::kernel::signal::fasync::Fasync>, on: bool) -> bool {
        self.inner.fasync(entry, on)
    }
    fn fasync_backlog(&self) -> usize {
        self.inner.fasync_backlog()
    }
    fn pipe_size(&self, new: Option<u64>) -> Result<u64, Errno> {
        self.inner.pipe_size(new)
    }
    fn host_fd(&self) -> Result<RawFd, Errno> {
        self.inner.host_fd()
    }
    fn truncate(&self, len: u64) -> Result<(), Errno> {
        self.inner.truncate(len)
    }
    fn allocate(&self, mode: i32, off: u64, len: u64) -> Result<(), Errno> {
        self.inner.allocate(mode, off, len)
    }
    fn sync(&self) -> Result<(), Errno> {
        self.inner.sync()
    }
    fn reopen(&self, flags: u32) -> Option<Result<Box<dyn FileOps>, Errno>> {
        self.inner.reopen(flags)
    }
    fn read_stream_to_user(
        &self,
        mem: &dyn UserMemory,
        addr: u64,
        len: usize,
        nonblock: bool,
    ) -> Option<Result<usize, Errno>> {
        self.inner.read_stream_to_user(mem, addr, len, nonblock)
    }
    fn write_stream_from_user(
        &self,
        mem: &dyn UserMemory,
        addr: u64,
        len: usize,
        nonblock: bool,
    ) -> Option<Result<usize, Errno>> {
        self.inner.write_stream_from_user(mem, addr, len, nonblock)
    }
    fn discards_writes(&self) -> bool {
        self.inner.discards_writes()
    }
    fn reads_zeros(&self) -> bool {
        self.inner.reads_zeros()
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        self.inner.as_any()
    }
}
