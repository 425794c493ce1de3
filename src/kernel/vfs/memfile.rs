//! Regular files of the sentry's memory (the upper layer, tmpfs, O_TMPFILE,
//! memfds). A file holds a host memfd only once it needs one: an empty or
//! small file (up to one page) lives in the sentry's heap, and moves into a
//! memfd for good when it grows past that, is mapped (the stub maps the
//! memfd), is fallocated or is sealed. Every memfd is a host descriptor of
//! the sentry, and the sentry's RLIMIT_NOFILE bounds them for the whole
//! sandbox; most files (lock files, `touch`, git objects) never need one.
//!
//! A small file keeps tmpfs's accounting: its one page is allocated (8
//! blocks, charged as a page) once a byte is written, and freed only by a
//! truncation to 0; a file grown by `ftruncate` alone is a hole.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::file::FileOps;
use super::memcharge::FileCharge;
use super::stat::{now, Stat};
use super::upper::Meta;
use crate::kernel::errno::Errno;

/// The largest file kept in the heap: one page.
pub const SMALL_MAX: usize = 4096;

/// A file's contents while it has no memfd.
#[derive(Default)]
struct Small {
    /// The bytes, as long as the file (a hole reads as zeros).
    data: Vec<u8>,
    /// Whether the page is allocated (a byte was written to it).
    page: bool,
}

/// Where a file's contents are now.
enum Contents<'a> {
    Host(RawFd),
    Small(MutexGuard<'a, Small>),
}

/// A regular file of the sentry's memory.
pub struct MemFile {
    /// The memfd, once the file has one; never taken away again, so a
    /// descriptor handed out (to map it) stays valid while the file lives.
    host: OnceLock<OwnedFd>,
    /// The contents until the memfd exists; guards the move into it.
    small: Mutex<Small>,
    /// Guards metadata changes (times, mode, owner).
    pub meta: Mutex<Meta>,
    /// The container memory its pages are charged to.
    charge: FileCharge,
    /// The memfd_create(2) flags its memfd is made with (a sandbox memfd's
    /// MFD_ALLOW_SEALING).
    memfd_flags: u32,
    /// An O_TMPFILE file (without O_EXCL) not linked yet: it may be given a
    /// name once (Linux's I_LINKABLE).
    linkable: std::sync::atomic::AtomicBool,
}

/// A host error making a memfd, as the sandbox sees it: a sentry out of
/// descriptors is a tmpfs out of inodes (ENOSPC).
fn no_memfd(e: nix::errno::Errno) -> Errno {
    match e {
        nix::errno::Errno::EMFILE | nix::errno::Errno::ENFILE => Errno::ENOSPC,
        e => e.into(),
    }
}

impl MemFile {
    /// Marks an unnamed O_TMPFILE file as one that may be linked.
    pub fn set_linkable(&self) {
        self.linkable.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Takes the right to link an unnamed file (true once, for a linkable
    /// O_TMPFILE file).
    pub fn take_linkable(&self) -> bool {
        self.linkable.swap(false, std::sync::atomic::Ordering::Relaxed)
    }

    /// An empty file (no memfd yet).
    pub fn create(meta: Meta) -> Arc<MemFile> {
        MemFile::create_memfd(meta, libc::MFD_CLOEXEC)
    }

    /// An empty file whose memfd, once needed, is made with memfd_create
    /// `flags` (the sandbox's memfd_create: seals are the host memfd's,
    /// and only a memfd made for them can take them).
    pub fn create_memfd(meta: Meta, flags: u32) -> Arc<MemFile> {
        Arc::new(MemFile {
            host: OnceLock::new(),
            small: Mutex::new(Small::default()),
            meta: Mutex::new(meta),
            charge: FileCharge::default(),
            memfd_flags: flags | libc::MFD_CLOEXEC,
            linkable: Default::default(),
        })
    }

    /// A file backed by `fd`, a host memfd made by the caller: the
    /// sandbox's `memfd_create` (`kernel::event::memfd`), whose host memfd
    /// carries the seals the application asked for.
    pub fn from_memfd(fd: OwnedFd, meta: Meta) -> Arc<MemFile> {
        let f = MemFile::create(meta);
        let _ = f.host.set(fd);
        f
    }

    /// A copy of a lower file's contents (copy-up).
    pub fn copy_from(src: RawFd, meta: Meta) -> Result<Arc<MemFile>, Errno> {
        let f = MemFile::create(meta);
        // Read one byte past the small size to learn whether it is small.
        let mut head = vec![0u8; SMALL_MAX + 1];
        let mut got = 0;
        while got < head.len() {
            let n = nix::sys::uio::pread(borrow(src), &mut head[got..], got as i64)?;
            if n == 0 {
                break;
            }
            got += n;
        }
        if got <= SMALL_MAX {
            head.truncate(got);
            head.shrink_to_fit();
            let mut s = f.small.lock().unwrap_or_else(|e| e.into_inner());
            s.page = got > 0;
            s.data = head;
            drop(s);
            f.settle();
            return Ok(f);
        }
        let fd = f.memfd()?;
        // The host kernel copies without a trip through the sentry.
        let mut copied = 0i64;
        loop {
            let mut off = copied;
            // SAFETY: sendfile between two descriptors we hold, with our offset.
            let n = unsafe { libc::sendfile(fd, src, &mut off, 1 << 30) };
            if n <= 0 {
                if n == 0 {
                    f.settle();
                    return Ok(f);
                }
                break;
            }
            copied = off;
        }
        f.settle();
        let mut off = copied;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = nix::sys::uio::pread(borrow(src), &mut buf, off)?;
            if n == 0 {
                break;
            }
            let mut done = 0;
            while done < n {
                done += nix::sys::uio::pwrite(borrow(fd), &buf[done..n], off + done as i64)?;
            }
            off += n as i64;
        }
        f.settle();
        Ok(f)
    }

    /// Where the contents are. A file being moved into its memfd by another
    /// thread is seen once it is there.
    fn contents(&self) -> Contents<'_> {
        if let Some(fd) = self.host.get() {
            return Contents::Host(fd.as_raw_fd());
        }
        let g = self.small.lock().unwrap_or_else(|e| e.into_inner());
        match self.host.get() {
            Some(fd) => Contents::Host(fd.as_raw_fd()),
            None => Contents::Small(g),
        }
    }

    /// The file's memfd, made now (from its heap contents) if need be.
    pub fn memfd(&self) -> Result<RawFd, Errno> {
        match self.contents() {
            Contents::Host(fd) => Ok(fd),
            Contents::Small(mut g) => self.promote(&mut g),
        }
    }

    /// Moves the heap contents into a new memfd (the caller holds `small`).
    /// A page that was allocated is written (so it stays allocated); a
    /// hole stays a hole.
    fn promote(&self, s: &mut Small) -> Result<RawFd, Errno> {
        let flags = nix::sys::memfd::MemFdCreateFlag::from_bits_retain(self.memfd_flags);
        let fd = nix::sys::memfd::memfd_create(c"husk", flags).map_err(no_memfd)?;
        if s.page {
            let mut done = 0;
            while done < s.data.len() {
                done += nix::sys::uio::pwrite(&fd, &s.data[done..], done as i64)?;
            }
        } else if !s.data.is_empty() {
            nix::unistd::ftruncate(&fd, s.data.len() as i64)?;
        }
        let raw = fd.as_raw_fd();
        if self.host.set(fd).is_err() {
            // Unreachable: the memfd is only set under `small`.
            return Err(Errno::EIO);
        }
        *s = Small::default();
        Ok(raw)
    }

    /// Size and allocated 512-byte blocks.
    fn size_blocks(&self) -> (u64, u64) {
        match self.contents() {
            Contents::Host(fd) => {
                nix::sys::stat::fstat(fd).map(|s| (s.st_size as u64, s.st_blocks as u64)).unwrap_or((0, 0))
            }
            Contents::Small(s) => (s.data.len() as u64, if s.page { 8 } else { 0 }),
        }
    }

    /// The file's `Stat`: size and allocated blocks (holes take none, as in
    /// tmpfs).
    pub fn stat(&self) -> Stat {
        let (size, blocks) = self.size_blocks();
        self.meta().to_stat_blocks(size, blocks)
    }

    /// A copy of the metadata.
    pub fn meta(&self) -> Meta {
        *self.meta.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Charges the pages the file holds now (`memcharge.rs`).
    fn settle(&self) {
        self.charge.settle(self.size_blocks().1);
    }

    fn touch_mtime(&self) {
        let t = now();
        let mut m = self.meta.lock().unwrap_or_else(|e| e.into_inner());
        m.mtime = t;
        m.ctime = t;
    }

    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let off = i64::try_from(off).map_err(|_| Errno::EINVAL)?;
        match self.contents() {
            Contents::Host(fd) => Ok(nix::sys::uio::pread(borrow(fd), buf, off)?),
            Contents::Small(s) => {
                let from = (off as usize).min(s.data.len());
                let n = buf.len().min(s.data.len() - from);
                buf[..n].copy_from_slice(&s.data[from..from + n]);
                Ok(n)
            }
        }
    }

    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        let off = i64::try_from(off).map_err(|_| Errno::EFBIG)?;
        let fits = |end: Option<usize>| end.is_some_and(|e| e <= SMALL_MAX);
        let fd = match self.contents() {
            Contents::Host(fd) => fd,
            Contents::Small(mut s) if fits((off as usize).checked_add(buf.len())) => {
                self.charge.reserve(buf.len() as u64)?;
                if !buf.is_empty() {
                    let end = off as usize + buf.len();
                    if s.data.len() < end {
                        s.data.resize(end, 0);
                    }
                    s.data[off as usize..end].copy_from_slice(buf);
                    s.page = true;
                }
                drop(s);
                self.settle();
                self.touch_mtime();
                return Ok(buf.len());
            }
            Contents::Small(mut s) => self.promote(&mut s)?,
        };
        self.charge.reserve(buf.len() as u64)?;
        let n = nix::sys::uio::pwrite(borrow(fd), buf, off);
        self.settle();
        let n = n?;
        self.touch_mtime();
        Ok(n)
    }

    fn truncate(&self, len: u64) -> Result<(), Errno> {
        let len = i64::try_from(len).map_err(|_| Errno::EFBIG)?;
        let fd = match self.contents() {
            Contents::Host(fd) => fd,
            Contents::Small(mut s) if len as u64 <= SMALL_MAX as u64 => {
                if len == 0 {
                    *s = Small::default();
                } else {
                    // Bytes cut off read as zeros if the file grows again.
                    s.data.resize(len as usize, 0);
                }
                drop(s);
                self.settle();
                self.touch_mtime();
                return Ok(());
            }
            Contents::Small(mut s) => self.promote(&mut s)?,
        };
        let r = nix::unistd::ftruncate(borrow(fd), len);
        self.settle();
        r?;
        self.touch_mtime();
        Ok(())
    }

    fn allocate(&self, mode: i32, off: u64, len: u64) -> Result<(), Errno> {
        let fd = self.memfd()?;
        self.charge.reserve(len)?;
        let r = super::lower::host_fallocate(fd, mode, off, len);
        self.settle();
        r?;
        self.touch_mtime();
        Ok(())
    }
}

fn borrow(fd: RawFd) -> std::os::fd::BorrowedFd<'static> {
    // SAFETY: callers pass a descriptor they keep open for the whole call.
    unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
}

/// An open in-memory regular file.
pub struct MemFileHandle(pub Arc<MemFile>);

impl FileOps for MemFileHandle {
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        self.0.read(buf, off)
    }
    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        self.0.write(buf, off)
    }
    /// Nothing to flush: the data lives in the sentry's memory (tmpfs's
    /// `noop_fsync`).
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.0.stat())
    }
    fn accessed(&self) {
        self.0.meta.lock().unwrap_or_else(|e| e.into_inner()).touch_atime();
    }
    fn host_fd(&self) -> Result<RawFd, Errno> {
        // Mapping cannot fail for want of a descriptor in Linux; here it
        // is the sentry's memory running out.
        self.0.memfd().map_err(|e| if e == Errno::ENOSPC { Errno::ENOMEM } else { e })
    }
    fn truncate(&self, len: u64) -> Result<(), Errno> {
        self.0.truncate(len)
    }
    fn allocate(&self, mode: i32, off: u64, len: u64) -> Result<(), Errno> {
        self.0.allocate(mode, off, len)
    }
    fn reopen(&self, _flags: u32) -> Option<Result<Box<dyn FileOps>, Errno>> {
        Some(Ok(Box::new(MemFileHandle(self.0.clone()))))
    }
    fn inode_flags(&self) -> Result<u32, Errno> {
        Ok(self.0.meta().attrs)
    }
    fn set_inode_flags(&self, f: &mut super::file::SetFlags) -> Result<(), Errno> {
        super::file::set_flags_in(&mut self.0.meta.lock().unwrap_or_else(|e| e.into_inner()), f)
    }
}
