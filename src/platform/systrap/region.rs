//! The sentry's view of a stub's context region: a memfd mapped both in the
//! stub (at `CTX_BASE`) and here. The stub's application can write any of
//! it at any time, so every access is bounds-checked and every value read
//! is treated as untrusted.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use crate::kernel::errno::Errno;
use crate::platform::stub::{CTX_BASE, CTX_SIZE};
use crate::platform::PlatformError;

/// A shared mapping of one context memfd.
pub struct Region {
    base: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain shared memory owned by this value; all
// accesses go through volatile or atomic operations below.
unsafe impl Send for Region {}
// SAFETY: as above; concurrent accesses are atomics or volatile copies of
// plain bytes, and no Rust reference to the bytes is handed out.
unsafe impl Sync for Region {}

impl Region {
    /// Creates a context memfd and maps it here. The descriptor is returned
    /// so the stub can map it too; it may be closed once the stub has.
    pub fn create() -> Result<(OwnedFd, Region), PlatformError> {
        // SAFETY: memfd_create with a static NUL-terminated name.
        let fd = unsafe { libc::memfd_create(c"husk-ctx".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(PlatformError::Spawn(Errno::last()));
        }
        // SAFETY: a descriptor we just created and own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: ftruncate on our own memfd.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), CTX_SIZE as i64) } != 0 {
            return Err(PlatformError::Spawn(Errno::last()));
        }
        // SAFETY: a fresh shared mapping of our memfd; the kernel picks
        // the address, so nothing else is replaced.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                CTX_SIZE as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(PlatformError::Spawn(Errno::last()));
        }
        Ok((fd, Region { base: p.cast(), len: CTX_SIZE as usize }))
    }

    /// The offset in the region of stub address `addr`, if `addr..addr+len`
    /// lies inside it.
    pub fn offset_of(&self, addr: u64, len: u64) -> Option<u64> {
        let off = addr.checked_sub(CTX_BASE)?;
        (off.checked_add(len)? <= self.len as u64).then_some(off)
    }

    /// The control word at `off` (4-aligned, inside the region).
    pub fn word(&self, off: u64) -> &AtomicU32 {
        assert!(off.is_multiple_of(4) && off + 4 <= self.len as u64, "control word out of the region");
        // SAFETY: in bounds and aligned (checked); the mapping lives as long
        // as `self`; AtomicU32 has the layout of u32, and the stub only ever
        // accesses the word with single atomic loads, stores and futex calls.
        unsafe { &*(self.base.add(off as usize) as *const AtomicU32) }
    }

    /// Reads the u64 at `off`.
    pub fn read_u64(&self, off: u64) -> u64 {
        let mut b = [0u8; 8];
        self.read(off, &mut b);
        u64::from_ne_bytes(b)
    }

    /// Writes the u64 at `off`.
    pub fn write_u64(&self, off: u64, v: u64) {
        self.write(off, &v.to_ne_bytes());
    }

    /// Copies bytes out of the region (out-of-range bytes read as zero).
    pub fn read(&self, off: u64, buf: &mut [u8]) {
        let Some(end) = off.checked_add(buf.len() as u64).filter(|&e| e <= self.len as u64) else {
            buf.fill(0);
            return;
        };
        let _ = end;
        if off.is_multiple_of(8) && buf.len().is_multiple_of(8) {
            // Whole words (register sets, siginfo): a word at a time.
            for (i, chunk) in buf.chunks_exact_mut(8).enumerate() {
                // SAFETY: in bounds (checked above) and 8-aligned (the
                // mapping is page-aligned); volatile because the stub may
                // change it concurrently.
                let w = unsafe { std::ptr::read_volatile(self.base.add(off as usize + i * 8) as *const u64) };
                chunk.copy_from_slice(&w.to_ne_bytes());
            }
            return;
        }
        for (i, b) in buf.iter_mut().enumerate() {
            // SAFETY: in bounds (checked above); volatile because the stub
            // may change the byte concurrently.
            *b = unsafe { std::ptr::read_volatile(self.base.add(off as usize + i)) };
        }
    }

    /// Copies bytes into the region (out-of-range writes are dropped).
    pub fn write(&self, off: u64, buf: &[u8]) {
        if off.checked_add(buf.len() as u64).is_none_or(|e| e > self.len as u64) {
            return;
        }
        if off.is_multiple_of(8) && buf.len().is_multiple_of(8) {
            for (i, chunk) in buf.chunks_exact(8).enumerate() {
                let w = u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8]));
                // SAFETY: in bounds (checked above) and 8-aligned; volatile
                // as in `read`.
                unsafe { std::ptr::write_volatile(self.base.add(off as usize + i * 8) as *mut u64, w) };
            }
            return;
        }
        for (i, &b) in buf.iter().enumerate() {
            // SAFETY: in bounds (checked above); volatile as in `read`.
            unsafe { std::ptr::write_volatile(self.base.add(off as usize + i), b) };
        }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping this value owns.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

/// Sleeps while `word` holds `val`, at most `timeout`. Spurious returns are
/// fine: callers look at the word again.
pub fn futex_wait(word: &AtomicU32, val: u32, timeout: Duration) {
    let ts = libc::timespec { tv_sec: timeout.as_secs() as i64, tv_nsec: timeout.subsec_nanos() as i64 };
    // SAFETY: FUTEX_WAIT (shared: the stub waits on the same page through
    // its own mapping) on a live word, with a timeout local to this frame.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAIT, val, &ts as *const libc::timespec, 0, 0);
    }
}

/// Wakes the stub thread sleeping on `word`.
pub fn futex_wake(word: &AtomicU32) {
    // SAFETY: FUTEX_WAKE on a live word; no memory is written.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, 1, 0, 0, 0);
    }
}
