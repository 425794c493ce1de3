//! Open files: the `OpenFile` (an open file description, shared by dup'd
//! descriptors, holding the offset and status flags) and the `FileOps` that
//! each kind of file implements.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use super::stat::Stat;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;

/// One directory entry as `getdents64` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u64,
    /// `DT_*` type.
    pub kind: u8,
    pub name: Vec<u8>,
}

/// The entries of a directory listing from some index on, shared with the
/// open directory's snapshot (a `getdents64` call copies no entry).
pub struct DirEntries {
    all: std::sync::Arc<Vec<DirEntry>>,
    from: usize,
}

impl DirEntries {
    /// The entries of `all` from index `from` on (none past its end).
    pub fn new(all: std::sync::Arc<Vec<DirEntry>>, from: usize) -> DirEntries {
        DirEntries { from: from.min(all.len()), all }
    }
}

impl std::ops::Deref for DirEntries {
    type Target = [DirEntry];
    fn deref(&self) -> &[DirEntry] {
        &self.all[self.from..]
    }
}

/// What a kind of file does. Offsets are passed in; the `OpenFile` keeps them.
pub trait FileOps: Send + Sync {
    /// Reads at `off` (ignored by streams).
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    /// Writes at `off` (ignored by streams).
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    /// Whether RWF_NOWAIT transfers are served (Linux's FMODE_NOWAIT):
    /// streams, which then do not block. Files of the sentry's memory
    /// refuse it (EOPNOTSUPP), as tmpfs does.
    fn nowait(&self) -> bool {
        !self.seekable()
    }
    /// The smallest read the file serves (an eventfd's counter, a
    /// signalfd's record): a shorter one, even of 0 bytes, is EINVAL.
    fn min_read(&self) -> usize {
        0
    }
    /// Reads from a stream (a file that is not `seekable`), honouring
    /// O_NONBLOCK; blocking waits must be interruptible (see `wait`).
    fn read_stream(&self, buf: &mut [u8], _nonblock: bool) -> Result<usize, Errno> {
        self.read(buf, 0)
    }
    /// Writes to a stream, honouring O_NONBLOCK.
    fn write_stream(&self, buf: &[u8], _nonblock: bool) -> Result<usize, Errno> {
        self.write(buf, 0)
    }
    /// The file's metadata.
    fn stat(&self) -> Result<Stat, Errno>;
    /// Whether the file has a position (`lseek` works and reads advance it).
    fn seekable(&self) -> bool {
        true
    }
    /// A seek served by the file itself (host files whose offset lives on
    /// the host, devices whose position is always 0); `None` means the
    /// `OpenFile` offset is used.
    fn host_seek(&self, _off: i64, _whence: i32) -> Option<Result<u64, Errno>> {
        None
    }
    /// Positions are any 64-bit address and `lseek` takes only SEEK_SET and
    /// SEEK_CUR (Linux's FMODE_UNSIGNED_OFFSET and `mem_lseek`:
    /// `/proc/<pid>/mem`).
    fn unsigned_offsets(&self) -> bool {
        false
    }
    /// The file's data was read: update its access time (`relatime`);
    /// nothing for files whose times are not the sentry's to keep.
    fn accessed(&self) {}
    /// A positioned read served by the file itself (a host descriptor,
    /// which may or may not be seekable on the host); `None`: the file's
    /// `read` at an offset is used if it is `seekable`.
    fn host_pread(&self, _buf: &mut [u8], _off: u64) -> Option<Result<usize, Errno>> {
        None
    }
    /// A positioned write served by the file itself; see `host_pread`.
    fn host_pwrite(&self, _buf: &[u8], _off: u64) -> Option<Result<usize, Errno>> {
        None
    }
    /// The entries of a directory from index `pos` on, `.` and `..` first.
    fn readdir_from(&self, _pos: u64) -> Result<DirEntries, Errno> {
        Err(Errno::ENOTDIR)
    }
    /// A device-specific request.
    fn ioctl(&self, _req: u64, _arg: u64, _mem: &dyn UserMemory) -> SysResult {
        Err(Errno::ENOTTY)
    }
    /// Readiness for `poll`: the subset of `events` (POLLIN, POLLOUT...) that
    /// would not block now, plus POLLERR/POLLHUP. Files that never block are
    /// always ready.
    fn poll_ready(&self, events: i16) -> i16 {
        events & (libc::POLLIN | libc::POLLOUT | libc::POLLRDNORM | libc::POLLWRNORM)
    }
    /// The queue notified when this file's readiness may have changed
    /// (files that can block have one).
    fn poll_queue(&self) -> Option<&crate::kernel::wait::WaitQueue> {
        None
    }
    /// A host descriptor whose readiness the host must be asked about
    /// (instead of `poll_ready`).
    fn poll_host_fd(&self) -> Option<RawFd> {
        None
    }
    /// F_GETPIPE_SZ (`None`) and F_SETPIPE_SZ (`Some(size)`); only pipes
    /// have a size.
    fn pipe_size(&self, _new: Option<u64>) -> Result<u64, Errno> {
        Err(Errno::EBADF)
    }
    /// A host descriptor whose pages back `mmap` of this file (made now if
    /// the file has none yet); ENODEV for files that cannot be mapped.
    fn host_fd(&self) -> Result<RawFd, Errno> {
        Err(Errno::ENODEV)
    }
    /// Sets the file's length.
    fn truncate(&self, _len: u64) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }
    /// The concrete file, for calls that only work on one kind of file
    /// (`epoll_ctl` on an epoll, `timerfd_settime` on a timerfd...: see
    /// `kernel::event`). `None` for kinds nobody needs to recognise.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
    /// `fallocate(2)` (`mode` is its FALLOC_FL_* flags).
    fn allocate(&self, _mode: i32, _off: u64, _len: u64) -> Result<(), Errno> {
        Err(Errno::ENODEV)
    }
    /// Flushes the file to stable storage (`fsync`). Only files of a file
    /// system have the operation (Linux's `f_op->fsync`): pipes, sockets,
    /// devices, event files and /proc files are EINVAL, as in
    /// `vfs_fsync_range`. Files in the sentry's memory have nothing to flush.
    fn sync(&self) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }
    /// Writes back the range `off..off+len` (`len` 0: to the end) as
    /// sync_file_range(2) with `flags` asks; nothing to do for files that
    /// live in the sentry's memory.
    fn sync_range(&self, _off: u64, _len: u64, _flags: u32) -> Result<(), Errno> {
        Ok(())
    }
    /// A new, independent opening of the same file with `open(2)` flags
    /// (the target of a `/proc/<pid>/fd/N` magic link); `None` when the
    /// file can only be reopened by its path.
    fn reopen(&self, _flags: u32) -> Option<Result<Box<dyn FileOps>, Errno>> {
        None
    }
    /// A stream read straight into application memory at `addr` (saving
    /// the sentry a copy); `None`: the file has no such path, use
    /// `read_stream`. Must not consume data it could not deliver.
    fn read_stream_to_user(
        &self,
        _mem: &dyn UserMemory,
        _addr: u64,
        _len: usize,
        _nonblock: bool,
    ) -> Option<Result<usize, Errno>> {
        None
    }
    /// A stream write straight from application memory; `None`: use
    /// `write_stream`.
    fn write_stream_from_user(
        &self,
        _mem: &dyn UserMemory,
        _addr: u64,
        _len: usize,
        _nonblock: bool,
    ) -> Option<Result<usize, Errno>> {
        None
    }
    /// A write that discards its data (`/dev/null`): the sentry need not
    /// copy it in.
    fn discards_writes(&self) -> bool {
        false
    }
    /// Reads give zeros without end (`/dev/zero`, `/dev/full`): the sentry
    /// may zero application memory its own way.
    fn reads_zeros(&self) -> bool {
        false
    }
    /// Signal-driven I/O (Linux's `f_op->fasync`): O_ASYNC turned on or
    /// off for the open file whose registration is `entry`. False for kinds
    /// without it (regular files: O_ASYNC then does nothing, FIOASYNC is
    /// ENOTTY). Kinds that signal at Linux's own points keep `entry` in a
    /// `FasyncList`; others let `fasync::watch` follow their poll queue.
    fn fasync(&self, _entry: &std::sync::Arc<crate::kernel::signal::fasync::Fasync>, _on: bool) -> bool {
        false
    }
    /// Bytes (or records) waiting to be read, for `fasync::watch`: a rise
    /// between two notifications means input arrived.
    fn fasync_backlog(&self) -> usize {
        0
    }
    /// The open file's status flags are now `flags` (at open and on
    /// F_SETFL): a pipe end takes packet mode from O_DIRECT.
    fn status_changed(&self, _flags: u32) {}
    /// The inode flags (`attr.rs`) of a file whose file system keeps them
    /// (the sentry's memory); ENOTTY for others.
    fn inode_flags(&self) -> Result<u32, Errno> {
        Err(Errno::ENOTTY)
    }
    /// Changes the inode flags under the inode's lock: `f` gets the node's
    /// metadata and returns the new flags.
    fn set_inode_flags(&self, _f: &mut SetFlags) -> Result<(), Errno> {
        Err(Errno::ENOTTY)
    }
}

/// How a change of inode flags is decided (`FileOps::set_inode_flags`).
pub type SetFlags<'a> = dyn FnMut(&super::upper::Meta) -> Result<u32, Errno> + 'a;

/// Sets a node's flags in place, as `f` decides, changing its ctime.
pub fn set_flags_in(meta: &mut super::upper::Meta, f: &mut SetFlags) -> Result<(), Errno> {
    meta.attrs = f(meta)?;
    meta.ctime = super::stat::now();
    Ok(())
}

/// An open file description.
pub struct OpenFile {
    /// The file's behaviour.
    pub ops: Box<dyn FileOps>,
    /// The canonical sandbox path it was opened by (for `*at` calls and
    /// `/proc/<pid>/fd`), or a description such as `pipe:[3]`.
    pub path: Vec<u8>,
    /// `O_ACCMODE` bits plus status flags (`O_APPEND`, `O_NONBLOCK`, ...).
    flags: AtomicU32,
    /// The file position. Guards the read-modify-write of each transfer.
    offset: Mutex<u64>,
    /// F_SETOWN/F_SETOWN_EX and F_SETSIG: who O_ASYNC I/O and dnotify
    /// signal (`signal/sigio.rs`).
    pub owner: Mutex<FileOwner>,
    /// The registration O_ASYNC made (`signal/fasync.rs`), kept once made.
    pub fasync: std::sync::OnceLock<std::sync::Arc<crate::kernel::signal::fasync::Fasync>>,
    /// The write access a regular file opened for writing holds
    /// (`writecount.rs`), given back when the description closes.
    write_access: Option<super::writecount::WriteAccess>,
}

/// Who an open file's I/O signals would go to.
#[derive(Clone, Debug, Default)]
pub struct FileOwner {
    /// F_OWNER_TID (0), F_OWNER_PID (1) or F_OWNER_PGRP (2).
    pub kind: i32,
    /// The owner's ids; none when unset.
    pub pid: Option<std::sync::Arc<crate::kernel::ns::Pid>>,
    /// F_SETSIG's signal (0: SIGIO).
    pub sig: i32,
    /// The real and effective user ids of whoever set the owner (Linux's
    /// f_owner uid/euid, which `sigio_perm` checks against the target).
    pub uid: u32,
    pub euid: u32,
}

/// fcntl's owner kinds (`struct f_owner_ex`).
pub const F_OWNER_TID: i32 = 0;
pub const F_OWNER_PID: i32 = 1;
pub const F_OWNER_PGRP: i32 = 2;

/// Status flags `F_SETFL` may change. O_ASYNC is not one: only a kind with
/// signal-driven I/O takes it (`set_async`), as Linux's fasync sets FASYNC.
const SETFL_MASK: u32 = (libc::O_APPEND | libc::O_NONBLOCK | libc::O_DIRECT | libc::O_NOATIME) as u32;

impl Drop for OpenFile {
    fn drop(&mut self) {
        // Locks owned by this open file description (flock, F_OFD_SETLK) go with it.
        super::lock::release_ofd(self);
        if self.flags() & libc::O_PATH as u32 == 0 {
            let wrote = matches!(self.flags() as i32 & libc::O_ACCMODE, libc::O_WRONLY | libc::O_RDWR);
            let mask = if wrote { super::notify::IN_CLOSE_WRITE } else { super::notify::IN_CLOSE_NOWRITE };
            super::notify::file_event(self, mask);
        }
    }
}

impl OpenFile {
    /// Wraps `ops` as a new open file description.
    pub fn new(ops: Box<dyn FileOps>, path: Vec<u8>, flags: u32) -> OpenFile {
        // Creation-only flags are not status flags.
        let keep = !((libc::O_CREAT | libc::O_EXCL | libc::O_NOCTTY | libc::O_TRUNC | libc::O_CLOEXEC) as u32);
        ops.status_changed(flags & keep);
        OpenFile {
            ops,
            path,
            flags: AtomicU32::new(flags & keep),
            offset: Mutex::new(0),
            owner: Mutex::new(FileOwner { kind: F_OWNER_PID, ..Default::default() }),
            fasync: std::sync::OnceLock::new(),
            write_access: None,
        }
    }

    /// Makes this description hold `w` (if any) for as long as it is open.
    pub fn holding(mut self, w: Option<super::writecount::WriteAccess>) -> OpenFile {
        self.write_access = w;
        self
    }

    /// The status flags (`F_GETFL`).
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// Changes the status flags that `F_SETFL` may change.
    pub fn set_flags(&self, new: u32) {
        let old = self.flags();
        let flags = (old & !SETFL_MASK) | (new & SETFL_MASK);
        self.flags.store(flags, Ordering::Relaxed);
        self.ops.status_changed(flags);
    }

    /// Sets or clears O_ASYNC (`signal::fasync`, once the kind took it).
    pub fn set_async(&self, on: bool) {
        let a = libc::O_ASYNC as u32;
        if on {
            self.flags.fetch_or(a, Ordering::Relaxed);
        } else {
            self.flags.fetch_and(!a, Ordering::Relaxed);
        }
    }

    fn readable(&self) -> bool {
        let acc = self.flags() & libc::O_ACCMODE as u32;
        acc == libc::O_RDONLY as u32 || acc == libc::O_RDWR as u32
    }

    fn writable(&self) -> bool {
        let acc = self.flags() & libc::O_ACCMODE as u32;
        acc == libc::O_WRONLY as u32 || acc == libc::O_RDWR as u32
    }

    /// True with O_NONBLOCK.
    pub fn nonblocking(&self) -> bool {
        self.flags() & libc::O_NONBLOCK as u32 != 0
    }

    /// True if opened with `O_PATH` (no I/O allowed).
    pub fn is_path_only(&self) -> bool {
        self.flags() & libc::O_PATH as u32 != 0
    }

    /// `read(2)` at the current position.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        self.read_nowait(buf, false)
    }

    /// `read(2)` at the current position; a stream does not block when
    /// `nowait` (RWF_NOWAIT), as with O_NONBLOCK.
    pub fn read_nowait(&self, buf: &mut [u8], nowait: bool) -> Result<usize, Errno> {
        if !self.readable() || self.is_path_only() {
            return Err(Errno::EBADF);
        }
        if !self.ops.seekable() {
            return self.ops.read_stream(buf, self.nonblocking() || nowait);
        }
        let mut off = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        let n = self.ops.read(buf, *off)?;
        *off += n as u64;
        self.accessed();
        Ok(n)
    }

    /// A stream read straight into application memory, if the file can
    /// do that (see `FileOps::read_stream_to_user`).
    /// `nowait` as for `read_nowait`.
    pub fn read_to_user(
        &self,
        mem: &dyn UserMemory,
        addr: u64,
        len: usize,
        nowait: bool,
    ) -> Option<Result<usize, Errno>> {
        if !self.readable() || self.is_path_only() {
            return Some(Err(Errno::EBADF));
        }
        if self.ops.seekable() {
            return None;
        }
        self.ops.read_stream_to_user(mem, addr, len, self.nonblocking() || nowait)
    }

    /// A stream write straight from application memory, if the file can.
    pub fn write_from_user(
        &self,
        mem: &dyn UserMemory,
        addr: u64,
        len: usize,
        nowait: bool,
    ) -> Option<Result<usize, Errno>> {
        if !self.writable() || self.is_path_only() {
            return Some(Err(Errno::EBADF));
        }
        if self.ops.seekable() {
            return None;
        }
        self.ops.write_stream_from_user(mem, addr, len, self.nonblocking() || nowait)
    }

    /// True when writes may succeed without their data being read: the
    /// descriptor is writable and the file discards data (`/dev/null`).
    pub fn discards_writes(&self) -> bool {
        self.writable() && !self.is_path_only() && self.ops.discards_writes()
    }

    /// True if the description was opened for reading.
    pub fn is_readable(&self) -> bool {
        self.readable() && !self.is_path_only()
    }

    /// True if the description was opened for writing.
    pub fn is_writable(&self) -> bool {
        self.writable() && !self.is_path_only()
    }

    /// Whether positioned I/O works (Linux's FMODE_PREAD): seekable files,
    /// and host descriptors the host can position.
    pub fn positional(&self) -> bool {
        self.ops.seekable() || self.ops.host_pread(&mut [], 0).is_some_and(|r| r != Err(Errno::ESPIPE))
    }

    /// `pread(2)`.
    pub fn pread(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        if !self.readable() || self.is_path_only() {
            return Err(Errno::EBADF);
        }
        if let Some(r) = self.ops.host_pread(buf, off) {
            return r;
        }
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
        }
        let n = self.ops.read(buf, off)?;
        self.accessed();
        Ok(n)
    }

    /// Updates the access time after a read, unless opened with O_NOATIME.
    fn accessed(&self) {
        if self.flags() & libc::O_NOATIME as u32 == 0 {
            self.ops.accessed();
        }
    }

    /// Whether the description has O_APPEND.
    pub fn appends(&self) -> bool {
        self.flags() & libc::O_APPEND as u32 != 0
    }

    /// `write(2)` at the current position (or the end, with `O_APPEND`).
    pub fn write(&self, buf: &[u8]) -> Result<usize, Errno> {
        self.write_mode(buf, self.appends(), false)
    }

    /// `write(2)` at the current position, or at the end when `append`
    /// (O_APPEND, or pwritev2's RWF_APPEND/RWF_NOAPPEND), moving the
    /// position past the data; a stream does not block when `nowait`.
    pub fn write_mode(&self, buf: &[u8], append: bool, nowait: bool) -> Result<usize, Errno> {
        if !self.writable() || self.is_path_only() {
            return Err(Errno::EBADF);
        }
        if !self.ops.seekable() {
            return self.ops.write_stream(buf, self.nonblocking() || nowait);
        }
        let mut off = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        if append {
            *off = self.ops.stat()?.size;
        }
        let n = self.ops.write(buf, *off)?;
        *off += n as u64;
        Ok(n)
    }

    /// `pwrite(2)`.
    pub fn pwrite(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        if !self.writable() || self.is_path_only() {
            return Err(Errno::EBADF);
        }
        if let Some(r) = self.ops.host_pwrite(buf, off) {
            return r;
        }
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
        }
        self.ops.write(buf, off)
    }

    /// `lseek(2)`.
    pub fn seek(&self, off: i64, whence: i32) -> Result<u64, Errno> {
        if self.is_path_only() {
            return Err(Errno::EBADF);
        }
        if let Some(r) = self.ops.host_seek(off, whence) {
            return r;
        }
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
        }
        let mut pos = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        if self.ops.unsigned_offsets() {
            *pos = match whence {
                libc::SEEK_SET => off as u64,
                libc::SEEK_CUR => pos.wrapping_add(off as u64),
                _ => return Err(Errno::EINVAL),
            };
            return Ok(*pos);
        }
        let base: i64 = match whence {
            libc::SEEK_SET => 0,
            libc::SEEK_CUR => *pos as i64,
            libc::SEEK_END => self.ops.stat()?.size as i64,
            libc::SEEK_DATA | libc::SEEK_HOLE => {
                let size = self.ops.stat()?.size as i64;
                if off < 0 || off >= size {
                    return Err(Errno::ENXIO);
                }
                let r = if whence == libc::SEEK_DATA { off } else { size };
                *pos = r as u64;
                return Ok(r as u64);
            }
            _ => return Err(Errno::EINVAL),
        };
        let new = base.checked_add(off).ok_or(Errno::EOVERFLOW)?;
        if new < 0 {
            return Err(Errno::EINVAL);
        }
        *pos = new as u64;
        Ok(new as u64)
    }

    /// The current position (for directories: the index of the next entry).
    pub fn position(&self) -> u64 {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The position `lseek(fd, 0, SEEK_CUR)` reports: the host's for a host
    /// descriptor, else the description's own.
    pub fn current_offset(&self) -> u64 {
        match self.ops.host_seek(0, libc::SEEK_CUR) {
            Some(Ok(pos)) => pos,
            _ => self.position(),
        }
    }

    /// Sets the position directly (used by `getdents64`).
    pub fn set_position(&self, pos: u64) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) = pos;
    }
}

/// A host descriptor passed through as is: the caller's stdin, stdout and
/// stderr. I/O and offsets stay on the host, so descriptors that share one
/// host open file description (`cmd >f 2>&1`) share it in the sandbox too.
pub struct HostStream {
    fd: OwnedFd,
}

impl HostStream {
    /// Takes ownership of a (dup'd) host descriptor.
    pub fn new(fd: OwnedFd) -> HostStream {
        HostStream { fd }
    }
}

impl HostStream {
    /// A new host open file description of the same file (see `reopen`).
    fn reopen_host(&self, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        let acc = |f: i32| f & libc::O_ACCMODE;
        let given = acc(nix::fcntl::fcntl(self.fd.as_raw_fd(), nix::fcntl::FcntlArg::F_GETFL)?);
        let want = acc(flags as i32);
        // Reading is up to the host's permission checks, as in Linux; but a
        // file the caller gave for reading (`< file`) is never made writable.
        let writes = want != libc::O_RDONLY || flags as i32 & libc::O_TRUNC != 0;
        if writes && given == libc::O_RDONLY {
            return Err(Errno::EACCES);
        }
        let keep = libc::O_ACCMODE | libc::O_APPEND | libc::O_TRUNC | libc::O_NONBLOCK;
        let how = nix::fcntl::OFlag::from_bits_truncate((flags as i32 & keep) | libc::O_CLOEXEC | libc::O_NOCTTY);
        let path = format!("/proc/self/fd/{}", self.fd.as_raw_fd());
        let fd = nix::fcntl::open(path.as_str(), how, nix::sys::stat::Mode::empty())?;
        // SAFETY: open just returned this descriptor; nothing else owns it.
        Ok(Box::new(HostStream::new(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) })))
    }

    /// Waits until the host descriptor is ready for `events`, polling in
    /// short slices so a signal to the task ends the wait (ERESTARTSYS).
    fn wait_ready(&self, events: i16, nonblock: bool) -> Result<(), Errno> {
        let current = crate::kernel::wait::current();
        loop {
            let mut p = libc::pollfd { fd: self.fd.as_raw_fd(), events, revents: 0 };
            let ms = if nonblock { 0 } else { 20 };
            // SAFETY: poll on one pollfd of ours.
            let n = unsafe { libc::poll(&mut p, 1, ms) };
            if n > 0 {
                return Ok(());
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            if current.as_ref().is_some_and(|c| c.interrupted()) {
                return Err(Errno::ERESTARTSYS);
            }
        }
    }
}

impl FileOps for HostStream {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.read_stream(buf, false)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        self.write_stream(buf, false)
    }
    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        self.wait_ready(libc::POLLIN, nonblock)?;
        nix::unistd::read(self.fd.as_raw_fd(), buf).map_err(Errno::from)
    }
    fn write_stream(&self, buf: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.wait_ready(libc::POLLOUT, nonblock)?;
        nix::unistd::write(&self.fd, buf).map_err(Errno::from)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        let s = nix::sys::stat::fstat(self.fd.as_raw_fd())?;
        let mut st = Stat::from_host(&s);
        st.dev = s.st_dev;
        Ok(st)
    }
    fn seekable(&self) -> bool {
        false
    }
    /// An imported descriptor (the caller's stdio) is synced by the host,
    /// which knows whether it has the operation (a file) or not (a pipe or
    /// terminal: EINVAL).
    fn sync(&self) -> Result<(), Errno> {
        Ok(nix::unistd::fsync(self.fd.as_raw_fd())?)
    }
    fn poll_host_fd(&self) -> Option<RawFd> {
        Some(self.fd.as_raw_fd())
    }
    /// Reopening (`/dev/stdout`, `/proc/self/fd/1`) opens the same host
    /// file anew, as Linux does: a new description with its own offset, and
    /// O_TRUNC truncates (`tee /dev/stderr`, `sort -o /dev/stdout`). The
    /// host file is never opened by name, only through this descriptor, and
    /// never for writing unless the caller gave it writable.
    fn reopen(&self, flags: u32) -> Option<Result<Box<dyn FileOps>, Errno>> {
        Some(self.reopen_host(flags))
    }
    fn truncate(&self, len: u64) -> Result<(), Errno> {
        let len = i64::try_from(len).map_err(|_| Errno::EINVAL)?;
        nix::unistd::ftruncate(&self.fd, len).map_err(Errno::from)
    }
    fn host_pread(&self, buf: &mut [u8], off: u64) -> Option<Result<usize, Errno>> {
        let off = i64::try_from(off).map_err(|_| Errno::EINVAL);
        Some(off.and_then(|off| nix::sys::uio::pread(&self.fd, buf, off).map_err(Errno::from)))
    }
    fn host_pwrite(&self, buf: &[u8], off: u64) -> Option<Result<usize, Errno>> {
        let off = i64::try_from(off).map_err(|_| Errno::EINVAL);
        Some(off.and_then(|off| nix::sys::uio::pwrite(&self.fd, buf, off).map_err(Errno::from)))
    }
    fn host_seek(&self, off: i64, whence: i32) -> Option<Result<u64, Errno>> {
        // SAFETY: lseek on a descriptor we own.
        let r = unsafe { libc::lseek(self.fd.as_raw_fd(), off, whence) };
        Some(if r < 0 { Err(Errno::last()) } else { Ok(r as u64) })
    }
    fn ioctl(&self, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        // Only queries are passed to the host; changing the host terminal is
        // the TTY layer's job.
        match req {
            libc::TCGETS => {
                // struct termios as the kernel writes it (no libc padding games).
                let mut raw = [0u8; 36];
                // SAFETY: TCGETS writes a 36-byte kernel termios into our buffer.
                let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::TCGETS, raw.as_mut_ptr()) };
                if r < 0 {
                    return Err(Errno::last());
                }
                mem.write_bytes(arg, &raw)?;
                Ok(0)
            }
            libc::TIOCGWINSZ => {
                let mut ws: libc::winsize = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
                // SAFETY: TIOCGWINSZ writes one winsize into our local.
                let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) };
                if r < 0 {
                    return Err(Errno::last());
                }
                mem.write_bytes(arg, as_bytes(&ws))?;
                Ok(0)
            }
            libc::FIONREAD => {
                let mut n: libc::c_int = 0;
                // SAFETY: FIONREAD writes one int into our local.
                let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::FIONREAD, &mut n) };
                if r < 0 {
                    return Err(Errno::last());
                }
                mem.write_u32(arg, n as u32)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }
}

/// The bytes of a plain-old-data value.
pub fn as_bytes<T: Copy>(v: &T) -> &[u8] {
    // SAFETY: T is Copy plain data (libc structs); we only read its bytes.
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), std::mem::size_of::<T>()) }
}

/// Copies what `data` holds from offset `off` into `buf`: a read of a file
/// whose contents were made when it was opened (sysfs, cgroupfs).
pub fn read_fixed(data: &[u8], buf: &mut [u8], off: u64) -> usize {
    let start = usize::try_from(off).unwrap_or(usize::MAX).min(data.len());
    let n = buf.len().min(data.len() - start);
    buf[..n].copy_from_slice(&data[start..start + n]);
    n
}
