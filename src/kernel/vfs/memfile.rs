//! Regular files of the sentry's memory (the upper layer, tmpfs, O_TMPFILE,
//! memfds). A file holds a host memfd only once it needs one: a file of up
//! to `HEAP_MAX` lives in the sentry's heap, a page at a time, and moves
//! into a memfd for good when it grows past that, is mapped (the stub maps
//! the memfd), is fallocated or is sealed. Every memfd is a host descriptor
//! of the sentry, and the sentry's RLIMIT_NOFILE bounds them for the whole
//! sandbox; most files (sources, lock files, `touch`, git objects) never
//! need one.
//!
//! A heap file keeps tmpfs's accounting: a page is allocated (8 blocks,
//! charged as a page) once a byte is written to it, and freed when a
//! truncation cuts it off whole; a file grown by `ftruncate` alone is a
//! hole.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::file::FileOps;
use super::memcharge::FileCharge;
use super::stat::{now, Stat};
use super::tmpfs_space::TmpfsSpace;
use super::upper::Meta;
use crate::kernel::errno::Errno;

const PAGE: usize = 4096;

/// The largest file kept in the heap.
pub const HEAP_MAX: usize = 1 << 20;

/// A file's contents while it has no memfd: its size and its pages, `None`
/// for a hole. Bytes of an allocated page past the size are zeros, so a
/// file that grows again reads zeros there.
#[derive(Default)]
struct Heap {
    size: usize,
    pages: Vec<Option<Box<[u8]>>>,
}

impl Heap {
    /// A file of these bytes, every page allocated (a copy-up).
    fn of(bytes: &[u8]) -> Heap {
        let pages = bytes
            .chunks(PAGE)
            .map(|c| {
                let mut p = vec![0u8; PAGE].into_boxed_slice();
                p[..c.len()].copy_from_slice(c);
                Some(p)
            })
            .collect();
        Heap { size: bytes.len(), pages }
    }

    /// The allocated byte ranges within `from..to`, page by page.
    fn data_in(&self, from: u64, to: u64) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        let last = (to.div_ceil(PAGE as u64) as usize).min(self.pages.len());
        for i in (from as usize / PAGE)..last {
            if self.pages[i].is_none() {
                continue;
            }
            let (a, b) = ((i * PAGE) as u64, ((i + 1) * PAGE) as u64);
            match out.last_mut() {
                Some(run) if run.1 == a => run.1 = b,
                _ => out.push((a, b)),
            }
        }
        out
    }

    /// Allocated pages.
    fn allocated(&self) -> u64 {
        self.pages.iter().filter(|p| p.is_some()).count() as u64
    }

    fn read(&self, buf: &mut [u8], off: usize) -> usize {
        let n = buf.len().min(self.size.saturating_sub(off));
        let mut done = 0;
        while done < n {
            let at = off + done;
            let (page, within) = (at / PAGE, at % PAGE);
            let k = (n - done).min(PAGE - within);
            match &self.pages[page] {
                Some(p) => buf[done..done + k].copy_from_slice(&p[within..within + k]),
                None => buf[done..done + k].fill(0),
            }
            done += k;
        }
        n
    }

    /// Writes `buf` at `off` (the caller checked it fits in `HEAP_MAX`).
    fn write(&mut self, buf: &[u8], off: usize) {
        let end = off + buf.len();
        if end > self.size {
            self.size = end;
            self.pages.resize_with(end.div_ceil(PAGE), || None);
        }
        let mut done = 0;
        while done < buf.len() {
            let at = off + done;
            let (page, within) = (at / PAGE, at % PAGE);
            let k = (buf.len() - done).min(PAGE - within);
            let p = self.pages[page].get_or_insert_with(|| vec![0u8; PAGE].into_boxed_slice());
            p[within..within + k].copy_from_slice(&buf[done..done + k]);
            done += k;
        }
    }

    /// Sets the size: pages cut off whole are freed, the tail of the last
    /// one is zeroed; growing leaves a hole.
    fn truncate(&mut self, len: usize) {
        if len < self.size {
            let pages = len.div_ceil(PAGE);
            self.pages.truncate(pages);
            if let Some(Some(last)) = self.pages.last_mut() {
                last[len - (pages - 1) * PAGE..].fill(0);
            }
        } else {
            self.pages.resize_with(len.div_ceil(PAGE), || None);
        }
        self.size = len;
    }
}

/// Where a file's contents are now.
enum Contents<'a> {
    Host(RawFd),
    Heap(MutexGuard<'a, Heap>),
}

/// A regular file of the sentry's memory.
pub struct MemFile {
    /// The memfd, once the file has one; never taken away again, so a
    /// descriptor handed out (to map it) stays valid while the file lives.
    host: OnceLock<OwnedFd>,
    /// The contents until the memfd exists; guards the move into it.
    heap: Mutex<Heap>,
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

    /// An empty file of the tmpfs `space` (whose inode the caller took):
    /// its pages count in the mount's size.
    pub fn create_on(meta: Meta, space: Option<Arc<TmpfsSpace>>) -> Arc<MemFile> {
        MemFile::build(meta, libc::MFD_CLOEXEC, FileCharge::on(space))
    }

    /// An empty file whose memfd, once needed, is made with memfd_create
    /// `flags` (the sandbox's memfd_create: seals are the host memfd's,
    /// and only a memfd made for them can take them).
    pub fn create_memfd(meta: Meta, flags: u32) -> Arc<MemFile> {
        MemFile::build(meta, flags, FileCharge::default())
    }

    fn build(meta: Meta, flags: u32, charge: FileCharge) -> Arc<MemFile> {
        Arc::new(MemFile {
            host: OnceLock::new(),
            heap: Mutex::new(Heap::default()),
            meta: Mutex::new(meta),
            charge,
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
        // Read one byte past the heap's limit to learn whether it fits.
        let mut head = vec![0u8; HEAP_MAX + 1];
        let mut got = 0;
        while got < head.len() {
            let n = nix::sys::uio::pread(borrow(src), &mut head[got..], got as i64)?;
            if n == 0 {
                break;
            }
            got += n;
        }
        if got <= HEAP_MAX {
            *f.heap.lock().unwrap_or_else(|e| e.into_inner()) = Heap::of(&head[..got]);
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
        let g = self.heap.lock().unwrap_or_else(|e| e.into_inner());
        match self.host.get() {
            Some(fd) => Contents::Host(fd.as_raw_fd()),
            None => Contents::Heap(g),
        }
    }

    /// The file's memfd, made now (from its heap contents) if need be.
    pub fn memfd(&self) -> Result<RawFd, Errno> {
        match self.contents() {
            Contents::Host(fd) => Ok(fd),
            Contents::Heap(mut g) => self.promote(&mut g),
        }
    }

    /// Moves the heap contents into a new memfd (the caller holds `heap`).
    /// The allocated pages are written (so they stay allocated); holes
    /// stay holes.
    fn promote(&self, h: &mut Heap) -> Result<RawFd, Errno> {
        let flags = nix::sys::memfd::MemFdCreateFlag::from_bits_retain(self.memfd_flags);
        let fd = nix::sys::memfd::memfd_create(c"husk", flags).map_err(no_memfd)?;
        for (i, page) in h.pages.iter().enumerate() {
            let Some(p) = page else { continue };
            let data = &p[..(h.size - i * PAGE).min(PAGE)];
            let mut done = 0;
            while done < data.len() {
                done += nix::sys::uio::pwrite(&fd, &data[done..], (i * PAGE + done) as i64)?;
            }
        }
        nix::unistd::ftruncate(&fd, h.size as i64)?;
        let raw = fd.as_raw_fd();
        if self.host.set(fd).is_err() {
            // Unreachable: the memfd is only set under `heap`.
            return Err(Errno::EIO);
        }
        *h = Heap::default();
        Ok(raw)
    }

    /// Size and allocated 512-byte blocks.
    fn size_blocks(&self) -> (u64, u64) {
        match self.contents() {
            Contents::Host(fd) => {
                nix::sys::stat::fstat(fd).map(|s| (s.st_size as u64, s.st_blocks as u64)).unwrap_or((0, 0))
            }
            Contents::Heap(h) => (h.size as u64, h.allocated() * 8),
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

    /// Charges the pages the file holds now (`memcharge.rs`), those
    /// written through a shared mapping too.
    pub fn settle(&self) {
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
            Contents::Heap(h) => Ok(h.read(buf, off as usize)),
        }
    }

    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        let off = i64::try_from(off).map_err(|_| Errno::EFBIG)?;
        let fits = |end: Option<usize>| end.is_some_and(|e| e <= HEAP_MAX);
        let fd = match self.contents() {
            Contents::Host(fd) => fd,
            Contents::Heap(mut h) if buf.is_empty() || fits((off as usize).checked_add(buf.len())) => {
                let n = self.charge.reserve_write(off as u64, buf.len() as u64, &|a, b| h.data_in(a, b))? as usize;
                if n > 0 {
                    h.write(&buf[..n], off as usize);
                }
                drop(h);
                self.settle();
                self.touch_mtime();
                return Ok(n);
            }
            Contents::Heap(mut h) => self.promote(&mut h)?,
        };
        let n = self.charge.reserve_write(off as u64, buf.len() as u64, &|a, b| host_data_in(fd, a, b))? as usize;
        let n = nix::sys::uio::pwrite(borrow(fd), &buf[..n], off);
        self.settle();
        let n = n?;
        self.touch_mtime();
        Ok(n)
    }

    fn truncate(&self, len: u64) -> Result<(), Errno> {
        let len = i64::try_from(len).map_err(|_| Errno::EFBIG)?;
        let fd = match self.contents() {
            Contents::Host(fd) => fd,
            Contents::Heap(mut h) if len as u64 <= HEAP_MAX as u64 => {
                h.truncate(len as usize);
                drop(h);
                self.settle();
                self.touch_mtime();
                return Ok(());
            }
            Contents::Heap(mut h) => self.promote(&mut h)?,
        };
        let r = nix::unistd::ftruncate(borrow(fd), len);
        self.settle();
        r?;
        self.touch_mtime();
        Ok(())
    }

    fn allocate(&self, mode: i32, off: u64, len: u64) -> Result<(), Errno> {
        let fd = self.memfd()?;
        // A punched hole gives pages back (settled below); anything else
        // takes every missing page of the range, or fails whole.
        if mode & libc::FALLOC_FL_PUNCH_HOLE == 0 {
            self.charge.reserve_range(off, len, &|a, b| host_data_in(fd, a, b))?;
        }
        let r = super::lower::host_fallocate(fd, mode, off, len);
        self.settle();
        r?;
        self.touch_mtime();
        Ok(())
    }
}

/// The allocated byte ranges of memfd `fd` within `from..to`, as its
/// SEEK_DATA and SEEK_HOLE find them.
fn host_data_in(fd: RawFd, from: u64, to: u64) -> Vec<(u64, u64)> {
    use nix::unistd::{lseek, Whence};
    let mut out = Vec::new();
    let mut pos = from;
    while pos < to {
        let Ok(data) = lseek(fd, pos as i64, Whence::SeekData) else { break };
        let data = data as u64;
        if data >= to {
            break;
        }
        let hole = lseek(fd, data as i64, Whence::SeekHole).map_or(to, |h| h as u64);
        out.push((data, hole.min(to)));
        pos = hole.max(data + 1);
    }
    out
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
