//! memfd_create(2): an anonymous regular file. It is an upper-layer
//! `MemFile` (so read, write, lseek, ftruncate and `mmap(MAP_SHARED)` work
//! as for any file the sandbox creates) whose host memfd is made with the
//! application's flags: seals (F_ADD_SEALS) are the host memfd's, so the
//! host enforces them on writes, truncation and shared writable mappings.
//! A plain memfd (MFD_CLOEXEC, MFD_ALLOW_SEALING) gets its host memfd only
//! when it needs one, as other memory files do; a seal call makes it.

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::vfs::file::{FileOps, OpenFile};
use crate::kernel::vfs::stat::Stat;
use crate::kernel::vfs::upper::{MemFile, MemFileHandle, Meta};

/// MFD_CLOEXEC.
pub const MFD_CLOEXEC: u32 = 0x1;
/// MFD_ALLOW_SEALING.
pub const MFD_ALLOW_SEALING: u32 = 0x2;
/// MFD_HUGETLB.
const MFD_HUGETLB: u32 = 0x4;
/// MFD_NOEXEC_SEAL.
const MFD_NOEXEC_SEAL: u32 = 0x8;
/// MFD_EXEC.
const MFD_EXEC: u32 = 0x10;
/// The huge page size bits allowed with MFD_HUGETLB.
const MFD_HUGE_MASK: u32 = 0x3f << 26;
/// Longest name: NAME_MAX less the "memfd:" prefix.
pub const NAME_MAX: usize = 249;

/// Device number Linux reports for memfds (the internal shm mount).
const SHM_DEV: u64 = 1;

/// Inode numbers of memfds (on their own device): the sentry's, so two
/// memfds never share one (futex keys of shared mappings rely on it).
static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// An open memfd.
pub struct MemfdFile(MemFileHandle);

/// Creates a memfd named `name` with `flags`; returns the file and the
/// name `/proc/<pid>/fd` shows (`/memfd:NAME (deleted)`).
pub fn create(name: &[u8], flags: u32, uid: u32, gid: u32) -> Result<(MemfdFile, Vec<u8>), Errno> {
    let mut allowed = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
    if flags & MFD_HUGETLB != 0 {
        allowed |= MFD_HUGE_MASK;
    }
    if flags & !allowed != 0 {
        return Err(Errno::EINVAL);
    }
    // The host memfd is always close-on-exec; the sandbox descriptor's
    // flag is separate.
    let host_flags = flags | MFD_CLOEXEC;
    let ino = NEXT_INO.fetch_add(1, Ordering::Relaxed);
    let file = if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING) == 0 {
        // The usual kinds need no host memfd until they are mapped, grow
        // past a page or are sealed (`MemFile`); seals can only be added to
        // one, so until then there are none.
        MemFile::create_memfd(Meta::new(ino, libc::S_IFREG | 0o777, uid, gid), host_flags)
    } else {
        // The host checks the rest (NOEXEC_SEAL with EXEC, huge page sizes)
        // exactly as the sandbox's Linux would, and gives the mode.
        // SAFETY: memfd_create with a static NUL-terminated name; the
        // result is a new descriptor we take ownership of below.
        let fd = unsafe { libc::memfd_create(c"husk-memfd".as_ptr(), host_flags) };
        if fd < 0 {
            return Err(Errno::last());
        }
        // SAFETY: `fd` was just returned to us and is owned by nobody else.
        let fd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
        let host = nix::sys::stat::fstat(fd.as_raw_fd())?;
        MemFile::from_memfd(fd, Meta::new(ino, host.st_mode, uid, gid))
    };
    let mut path = b"/memfd:".to_vec();
    path.extend_from_slice(name);
    path.extend_from_slice(b" (deleted)");
    Ok((MemfdFile(MemFileHandle(file)), path))
}

impl MemfdFile {
    /// The host memfd.
    fn host(&self) -> Result<i32, Errno> {
        self.0.host_fd()
    }
}

impl FileOps for MemfdFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        self.0.read(buf, off)
    }
    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        self.0.write(buf, off)
    }
    fn sync(&self) -> Result<(), Errno> {
        self.0.sync()
    }
    fn stat(&self) -> Result<Stat, Errno> {
        let mut st = self.0.stat()?;
        st.dev = SHM_DEV;
        st.nlink = 0;
        Ok(st)
    }
    fn host_fd(&self) -> Result<std::os::fd::RawFd, Errno> {
        self.0.host_fd()
    }
    fn truncate(&self, len: u64) -> Result<(), Errno> {
        self.0.truncate(len)
    }
    fn allocate(&self, mode: i32, off: u64, len: u64) -> Result<(), Errno> {
        self.0.allocate(mode, off, len)
    }
    fn reopen(&self, _flags: u32) -> Option<Result<Box<dyn FileOps>, Errno>> {
        // The same memfd (its seals and name), as Linux reopens it.
        Some(Ok(Box::new(MemfdFile(MemFileHandle(self.0 .0.clone())))))
    }
    fn inode_flags(&self) -> Result<u32, Errno> {
        self.0.inode_flags()
    }
    fn set_inode_flags(&self, f: &mut crate::kernel::vfs::file::SetFlags) -> Result<(), Errno> {
        self.0.set_inode_flags(f)
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// fcntl(F_ADD_SEALS) and fcntl(F_GET_SEALS). Only memfds have seals;
/// other files give EINVAL (the sandbox root is an overlay, which has none).
pub fn fcntl_seals(file: &Arc<OpenFile>, cmd: i32, arg: u64) -> SysResult {
    let Some(m) = super::downcast::<MemfdFile>(file) else {
        return Err(Errno::EINVAL);
    };
    if cmd == libc::F_ADD_SEALS {
        let acc = file.flags() & libc::O_ACCMODE as u32;
        if acc == libc::O_RDONLY as u32 {
            return Err(Errno::EPERM);
        }
    }
    let arg = if cmd == libc::F_ADD_SEALS { arg as u32 as libc::c_int } else { 0 };
    // SAFETY: fcntl on the memfd we own; F_ADD_SEALS/F_GET_SEALS take an int.
    let r = unsafe { libc::fcntl(m.host()?, cmd, arg) };
    if r < 0 {
        return Err(Errno::last());
    }
    Ok(r as u64)
}
