//! The lower layer: the host directory of the container root, read-only.
//! Every host access names a canonical path relative to the root descriptor
//! and refuses symlinks and magic links on the way, so nothing outside the
//! root is reachable whatever the sandbox does.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use super::file::{DirEntry, FileOps};
use super::stat::Stat;
use crate::kernel::errno::Errno;

/// Opens the container root directory.
pub fn open_root(root: &Path) -> std::io::Result<OwnedFd> {
    let f = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(root)?;
    Ok(OwnedFd::from(f))
}

use std::os::unix::fs::OpenOptionsExt;

/// The path relative to the root descriptor, as a C string.
fn rel(path: &[u8]) -> Result<std::ffi::CString, Errno> {
    let p = path.strip_prefix(b"/").unwrap_or(path);
    let p = if p.is_empty() { &b"."[..] } else { p };
    std::ffi::CString::new(p).map_err(|_| Errno::EINVAL)
}

/// Opens `path` below `root` with `openat2`, refusing any symlink on the way
/// (the sentry has resolved them already) and any escape from the root.
pub fn open_at(root: &OwnedFd, path: &[u8], flags: i32) -> Result<OwnedFd, Errno> {
    let c = rel(path)?;
    // SAFETY: open_how is plain integers; zero is its documented default.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (flags | libc::O_CLOEXEC | libc::O_NOFOLLOW) as u64;
    how.resolve = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
    // SAFETY: openat2 reads the path and the open_how we pass, both live
    // for the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root.as_raw_fd(),
            c.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: openat2 returned a fresh descriptor that we now own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// `lstat` of a canonical path below the root.
pub fn lstat(root: &OwnedFd, path: &[u8]) -> Result<Stat, Errno> {
    let fd = open_at(root, path, libc::O_PATH)?;
    let s = nix::sys::stat::fstat(fd.as_raw_fd())?;
    Ok(Stat::from_host(&s))
}

/// `readlink` of a canonical path below the root.
pub fn readlink(root: &OwnedFd, path: &[u8]) -> Result<Vec<u8>, Errno> {
    let fd = open_at(root, path, libc::O_PATH)?;
    let mut buf = vec![0u8; super::PATH_MAX];
    // SAFETY: readlinkat with an empty path reads the link `fd` refers to
    // into our buffer, at most buf.len() bytes.
    let n = unsafe {
        libc::readlinkat(
            fd.as_raw_fd(),
            c"".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(Errno::last());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

/// The entries of a lower directory, without `.` and `..`.
pub fn read_dir(root: &OwnedFd, path: &[u8]) -> Result<Vec<DirEntry>, Errno> {
    let fd = open_at(root, path, libc::O_RDONLY | libc::O_DIRECTORY)?;
    use std::os::fd::IntoRawFd;
    // Dir takes ownership of the descriptor and closes it.
    let dir = nix::dir::Dir::from_fd(fd.into_raw_fd())?;
    let mut out = Vec::new();
    for e in dir {
        let e = e?;
        let name = e.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let kind = match e.file_type() {
            Some(nix::dir::Type::Directory) => libc::DT_DIR,
            Some(nix::dir::Type::File) => libc::DT_REG,
            Some(nix::dir::Type::Symlink) => libc::DT_LNK,
            Some(nix::dir::Type::CharacterDevice) => libc::DT_CHR,
            Some(nix::dir::Type::BlockDevice) => libc::DT_BLK,
            Some(nix::dir::Type::Fifo) => libc::DT_FIFO,
            Some(nix::dir::Type::Socket) => libc::DT_SOCK,
            None => libc::DT_UNKNOWN,
        };
        out.push(DirEntry {
            ino: e.ino(),
            kind,
            name: name.to_vec(),
        });
    }
    Ok(out)
}

/// A lower regular file opened read-only.
pub struct LowerFile {
    fd: OwnedFd,
}

impl LowerFile {
    /// Opens a lower regular file for reading.
    pub fn open(root: &OwnedFd, path: &[u8]) -> Result<LowerFile, Errno> {
        Ok(LowerFile {
            fd: open_at(root, path, libc::O_RDONLY)?,
        })
    }

    /// The host descriptor.
    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl FileOps for LowerFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let off = i64::try_from(off).map_err(|_| Errno::EINVAL)?;
        Ok(nix::sys::uio::pread(&self.fd, buf, off)?)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(Stat::from_host(&nix::sys::stat::fstat(
            self.fd.as_raw_fd(),
        )?))
    }
    fn host_fd(&self) -> Option<RawFd> {
        Some(self.fd.as_raw_fd())
    }
}
