//! Host access below a root directory descriptor: the overlay's read-only
//! lower layer and bind mounts. Every host access names a canonical path
//! relative to the root descriptor and refuses symlinks and magic links on
//! the way (`openat2` with RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
//! RESOLVE_NO_MAGICLINKS), so nothing outside the root is reachable
//! whatever the sandbox does. Changes are made through a descriptor of the
//! parent directory and a single name, never following the last component.
//! Only regular files and directories are ever opened for I/O.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::file::{DirEntry, FileOps};
use super::fs::StatFs;
use super::stat::{Stat, ROOT_DEV};
use crate::kernel::errno::Errno;

/// An open lower directory and its metadata.
type OpenDir = (std::sync::Arc<OwnedFd>, Stat);

/// Opens the container root directory (or a bind mount's source).
pub fn open_root(root: &Path) -> std::io::Result<OwnedFd> {
    let f = std::fs::File::options().read(true).custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC).open(root)?;
    Ok(OwnedFd::from(f))
}

/// The path relative to the root descriptor, as a C string.
fn rel(path: &[u8]) -> Result<CString, Errno> {
    let p = path.strip_prefix(b"/").unwrap_or(path);
    let p = if p.is_empty() { &b"."[..] } else { p };
    CString::new(p).map_err(|_| Errno::EINVAL)
}

/// Opens `path` below `root` with `openat2`, refusing any symlink on the way
/// (the sentry has resolved them already) and any escape from the root.
pub fn open_at(root: &OwnedFd, path: &[u8], flags: i32) -> Result<OwnedFd, Errno> {
    open_at_mode(root, path, flags, 0)
}

fn open_at_mode(root: &OwnedFd, path: &[u8], flags: i32, mode: u32) -> Result<OwnedFd, Errno> {
    // A canonical path may pass PATH_MAX (Linux limits the names programs
    // pass, not how deep a tree goes), the host takes less a call: open a
    // directory part of the way and go on from it. Each step is below the
    // last and refuses symlinks, so nothing escapes the root.
    let p = path.strip_prefix(b"/").unwrap_or(path);
    if p.len() >= super::PATH_MAX {
        let cut = p[..super::PATH_MAX - 1].iter().rposition(|&b| b == b'/').filter(|&i| i > 0);
        let cut = cut.ok_or(Errno::ENAMETOOLONG)?;
        let dir = open_at_mode(root, &p[..cut], libc::O_PATH | libc::O_DIRECTORY, 0)?;
        return open_at_mode(&dir, &p[cut + 1..], flags, mode);
    }
    let c = rel(path)?;
    // SAFETY: open_how is plain integers; zero is its documented default.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (flags | libc::O_CLOEXEC | libc::O_NOFOLLOW) as u64;
    how.mode = mode as u64;
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

/// `fstat` of a descriptor.
pub fn fstat(fd: RawFd) -> Result<Stat, Errno> {
    Ok(Stat::from_host(&nix::sys::stat::fstat(fd)?))
}

/// `lstat` of a canonical path below the root.
pub fn lstat(root: &OwnedFd, path: &[u8]) -> Result<Stat, Errno> {
    let fd = open_at(root, path, libc::O_PATH)?;
    fstat(fd.as_raw_fd())
}

/// `readlink` of a canonical path below the root.
pub fn readlink(root: &OwnedFd, path: &[u8]) -> Result<Vec<u8>, Errno> {
    let fd = open_at(root, path, libc::O_PATH)?;
    let mut buf = vec![0u8; super::PATH_MAX];
    // SAFETY: readlinkat with an empty path reads the link `fd` refers to
    // into our buffer, at most buf.len() bytes.
    let n = unsafe { libc::readlinkat(fd.as_raw_fd(), c"".as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(Errno::last());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

/// The entries of a directory below the root, without `.` and `..`.
pub fn read_dir(root: &OwnedFd, path: &[u8]) -> Result<Vec<DirEntry>, Errno> {
    dir_entries(open_at(root, path, libc::O_RDONLY | libc::O_DIRECTORY)?)
}

/// Bytes of host records one `getdents64` may return: a directory of a
/// thousand names (`/usr/bin`) in one call.
const DIRENT_BUF: usize = 64 * 1024;

/// The entries of an open directory, without `.` and `..`, read with
/// `getdents64` into one large buffer (fewer host calls than libc's
/// `readdir`, and no copy of each record).
fn dir_entries(fd: OwnedFd) -> Result<Vec<DirEntry>, Errno> {
    let mut buf = vec![0u8; DIRENT_BUF];
    let mut out = Vec::new();
    loop {
        // SAFETY: getdents64 writes at most buf.len() bytes of records into
        // our buffer; `fd` is a directory descriptor we own.
        let n = unsafe { libc::syscall(libc::SYS_getdents64, fd.as_raw_fd(), buf.as_mut_ptr(), buf.len()) };
        if n < 0 {
            return Err(Errno::last());
        }
        if n == 0 {
            return Ok(out);
        }
        parse_dirents(&buf[..n as usize], &mut out);
    }
}

/// Appends the entries of `linux_dirent64` records (ino, off, reclen, type,
/// NUL-terminated name) to `out`, skipping `.` and `..`.
fn parse_dirents(mut recs: &[u8], out: &mut Vec<DirEntry>) {
    const NAME_AT: usize = 19;
    while recs.len() > NAME_AT {
        let ino = u64::from_ne_bytes(recs[..8].try_into().unwrap_or_default());
        let reclen = u16::from_ne_bytes([recs[16], recs[17]]) as usize;
        if reclen <= NAME_AT || reclen > recs.len() {
            return;
        }
        let kind = recs[18];
        let name = &recs[NAME_AT..reclen];
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        if name != b"." && name != b".." {
            out.push(DirEntry { ino, kind, name: name.to_vec() });
        }
        recs = &recs[reclen..];
    }
}

/// `statfs` figures of the host file system holding `root`.
pub fn statfs(root: &OwnedFd) -> StatFs {
    // SAFETY: fstatfs fills the zeroed struct we pass.
    let mut s: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above; `root` is a live descriptor.
    if unsafe { libc::fstatfs(root.as_raw_fd(), &mut s) } != 0 {
        return StatFs::default();
    }
    StatFs {
        fs_type: s.f_type as u64,
        bsize: s.f_bsize as u64,
        blocks: s.f_blocks,
        bfree: s.f_bfree,
        bavail: s.f_bavail,
        files: s.f_files,
        ffree: s.f_ffree,
        namelen: s.f_namelen as u64,
    }
}

/// The parent directory of `path` (opened below the root) and the last
/// component, for calls that change a name without following it.
pub fn parent_and_name(root: &OwnedFd, path: &[u8]) -> Result<(OwnedFd, CString), Errno> {
    let parent = super::path::parent_of(path);
    let name = super::path::file_name(path);
    if name.is_empty() {
        return Err(Errno::EBUSY);
    }
    let dir = open_at(root, parent, libc::O_PATH | libc::O_DIRECTORY)?;
    Ok((dir, CString::new(name).map_err(|_| Errno::EINVAL)?))
}

/// Creates a regular file below the root (it must not exist) and opens it.
pub fn create(root: &OwnedFd, path: &[u8], mode: u32) -> Result<HostFile, Errno> {
    let fd = open_at_mode(root, path, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, mode)?;
    Ok(HostFile { fd, writable: true, dev: ROOT_DEV })
}

/// A host regular file below a root, opened for reading or reading and
/// writing (never another kind of file).
pub struct HostFile {
    fd: OwnedFd,
    writable: bool,
    /// The device number `fstat` reports: the sandbox file system's, as
    /// `stat` by name does.
    dev: u64,
}

impl HostFile {
    /// Opens a host regular file, for writing too if `write`. O_NONBLOCK
    /// keeps a FIFO swapped in meanwhile from blocking the sentry; the type
    /// is checked on the open descriptor.
    pub fn open_mode(root: &OwnedFd, path: &[u8], write: bool) -> Result<HostFile, Errno> {
        let acc = if write { libc::O_RDWR } else { libc::O_RDONLY };
        let fd = open_at(root, path, acc | libc::O_NONBLOCK | libc::O_NOCTTY)?;
        let st = fstat(fd.as_raw_fd())?;
        if !st.is_regular() {
            return Err(if st.is_dir() { Errno::EISDIR } else { Errno::EACCES });
        }
        Ok(HostFile { fd, writable: write, dev: ROOT_DEV })
    }

    /// The same file, reporting device number `dev` (a bind mount's).
    pub fn on_dev(self, dev: u64) -> HostFile {
        HostFile { dev, ..self }
    }

    /// The host descriptor.
    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl FileOps for HostFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let off = i64::try_from(off).map_err(|_| Errno::EINVAL)?;
        Ok(nix::sys::uio::pread(&self.fd, buf, off)?)
    }
    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        if !self.writable {
            return Err(Errno::EBADF);
        }
        let off = i64::try_from(off).map_err(|_| Errno::EFBIG)?;
        Ok(nix::sys::uio::pwrite(&self.fd, buf, off)?)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(Stat { dev: self.dev, ..fstat(self.fd.as_raw_fd())? })
    }
    fn host_fd(&self) -> Result<RawFd, Errno> {
        Ok(self.fd.as_raw_fd())
    }
    fn truncate(&self, len: u64) -> Result<(), Errno> {
        if !self.writable {
            return Err(Errno::EINVAL);
        }
        let len = i64::try_from(len).map_err(|_| Errno::EFBIG)?;
        Ok(nix::unistd::ftruncate(&self.fd, len)?)
    }
    fn allocate(&self, mode: i32, off: u64, len: u64) -> Result<(), Errno> {
        if !self.writable {
            return Err(Errno::EBADF);
        }
        host_fallocate(self.fd.as_raw_fd(), mode, off, len)
    }
    fn sync(&self) -> Result<(), Errno> {
        if self.writable {
            nix::unistd::fsync(self.fd.as_raw_fd())?;
        }
        Ok(())
    }
    fn sync_range(&self, off: u64, len: u64, flags: u32) -> Result<(), Errno> {
        // SAFETY: sync_file_range on a descriptor we hold; no memory is passed.
        let r = unsafe { libc::sync_file_range(self.fd.as_raw_fd(), off as i64, len as i64, flags) };
        if r < 0 {
            return Err(Errno::last());
        }
        Ok(())
    }
    fn reopen(&self, flags: u32) -> Option<Result<Box<dyn FileOps>, Errno>> {
        let acc = flags as i32 & libc::O_ACCMODE;
        if acc != libc::O_RDONLY && !self.writable {
            // A lower file opened for writing is copied up: reopen by path.
            return None;
        }
        // Reads and writes are positional, so a shared host offset is harmless.
        Some(
            self.fd
                .try_clone()
                .map_err(Errno::from)
                .map(|fd| Box::new(HostFile { fd, writable: self.writable, dev: self.dev }) as Box<dyn FileOps>),
        )
    }
}

/// `fallocate(2)` on a host descriptor.
pub fn host_fallocate(fd: RawFd, mode: i32, off: u64, len: u64) -> Result<(), Errno> {
    // SAFETY: fallocate on a descriptor we hold; no memory is passed.
    let r = unsafe { libc::fallocate(fd, mode, off as i64, len as i64) };
    if r < 0 {
        return Err(Errno::last());
    }
    Ok(())
}

/// Most directory descriptors a `LowerTree` keeps.
const DIR_CACHE_MAX: usize = 256;

/// Most symlink targets a `LowerTree` keeps.
const LINK_CACHE_MAX: usize = 1024;

/// A host symlink's target, with what identifies the link it was read from.
struct KnownLink {
    ino: u64,
    ctime: (i64, i64),
    size: u64,
    target: Vec<u8>,
}

/// The overlay's read-only host tree: the root descriptor and a cache of
/// `O_PATH` descriptors of its directories (with their metadata), so a
/// lookup is at most one host call (`fstatat` of one name in its parent,
/// never following it) instead of a walk. As with overlayfs, the host must
/// not change the tree while the sandbox runs: the cache assumes a
/// directory keeps its place and its metadata.
pub struct LowerTree {
    root: OwnedFd,
    root_stat: Stat,
    /// Directories by canonical path: a descriptor (opened with `open_at`)
    /// and its metadata.
    dirs: std::sync::Mutex<std::collections::HashMap<Vec<u8>, OpenDir>>,
    /// Symlink targets by canonical path, used while the link a lookup
    /// found (its `lstat`) is the one read: a link's target never changes
    /// in place, so this holds even if the host replaces links meanwhile.
    /// `/lib -> usr/lib` is followed for every library a program loads.
    links: std::sync::Mutex<std::collections::HashMap<Vec<u8>, KnownLink>>,
}

impl LowerTree {
    /// The tree below the host directory `root`.
    pub fn new(root: OwnedFd) -> LowerTree {
        let root_stat = fstat(root.as_raw_fd()).unwrap_or_default();
        LowerTree {
            root,
            root_stat,
            dirs: std::sync::Mutex::new(std::collections::HashMap::new()),
            links: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The root descriptor.
    pub fn root(&self) -> &OwnedFd {
        &self.root
    }

    /// A descriptor of the directory at canonical `path` (not `/`).
    fn dir(&self, path: &[u8]) -> Result<std::sync::Arc<OwnedFd>, Errno> {
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((d, _)) = dirs.get(path) {
            return Ok(d.clone());
        }
        drop(dirs);
        let fd = std::sync::Arc::new(open_at(&self.root, path, libc::O_PATH | libc::O_DIRECTORY)?);
        let st = fstat(fd.as_raw_fd())?;
        dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        if dirs.len() >= DIR_CACHE_MAX {
            dirs.clear();
        }
        dirs.insert(path.to_vec(), (fd.clone(), st));
        Ok(fd)
    }

    /// Runs `f` with the parent directory's descriptor and the last name
    /// of `path` (which is not `/`).
    fn at<T>(&self, path: &[u8], f: impl FnOnce(RawFd, &std::ffi::CStr) -> Result<T, Errno>) -> Result<T, Errno> {
        let parent = super::path::parent_of(path);
        let name = CString::new(super::path::file_name(path)).map_err(|_| Errno::EINVAL)?;
        if parent == b"/" {
            return f(self.root.as_raw_fd(), &name);
        }
        let d = self.dir(parent)?;
        f(d.as_raw_fd(), &name)
    }

    /// `lstat` of a canonical path.
    pub fn lstat(&self, path: &[u8]) -> Result<Stat, Errno> {
        if path == b"/" {
            return Ok(self.root_stat);
        }
        if let Some((_, st)) = self.dirs.lock().unwrap_or_else(|e| e.into_inner()).get(path) {
            return Ok(*st);
        }
        self.at(path, |dir, name| {
            // SAFETY: a zeroed stat for fstatat to fill.
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            // SAFETY: fstatat of one name (no `/`) in a directory we hold,
            // not following it; fills our local.
            let r = unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) };
            if r < 0 {
                return Err(Errno::last());
            }
            Ok(Stat::from_host(&st))
        })
    }

    /// `readlink` of a canonical path.
    pub fn readlink(&self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        self.at(path, |dir, name| {
            let mut buf = vec![0u8; super::PATH_MAX];
            // SAFETY: readlinkat of one name in a directory we hold, into
            // our buffer of buf.len() bytes.
            let n = unsafe { libc::readlinkat(dir, name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                return Err(Errno::last());
            }
            buf.truncate(n as usize);
            Ok(buf)
        })
    }

    /// The target of the symlink at `path` whose `lstat` (from the lookup
    /// that found it) is `st`: read from the host once, then again only if
    /// the host's link there is another one (inode, change time or size).
    pub fn readlink_known(&self, path: &[u8], st: &Stat) -> Result<Vec<u8>, Errno> {
        let same = |k: &KnownLink| k.ino == st.ino && k.ctime == st.ctime && k.size == st.size;
        if let Some(k) = self.links.lock().unwrap_or_else(|e| e.into_inner()).get(path).filter(|k| same(k)) {
            return Ok(k.target.clone());
        }
        let target = self.readlink(path)?;
        // Keep it only if the link read is still the one looked up.
        let now = self.lstat(path)?;
        if (now.ino, now.ctime, now.size) == (st.ino, st.ctime, st.size) {
            let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
            if links.len() >= LINK_CACHE_MAX {
                links.clear();
            }
            let known = KnownLink { ino: st.ino, ctime: st.ctime, size: st.size, target: target.clone() };
            links.insert(path.to_vec(), known);
        }
        Ok(target)
    }

    /// Opens one name in its parent without following it.
    fn open_name(&self, path: &[u8], flags: i32) -> Result<OwnedFd, Errno> {
        if path == b"/" {
            return open_at(&self.root, path, flags);
        }
        self.at(path, |dir, name| {
            // SAFETY: openat of one name in a directory we hold; O_NOFOLLOW
            // refuses a symlink there.
            let fd = unsafe { libc::openat(dir, name.as_ptr(), flags | libc::O_NOFOLLOW | libc::O_CLOEXEC) };
            if fd < 0 {
                return Err(Errno::last());
            }
            // SAFETY: a fresh descriptor that we now own.
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        })
    }

    /// The entries of a directory, without `.` and `..`.
    pub fn read_dir(&self, path: &[u8]) -> Result<Vec<DirEntry>, Errno> {
        let fd = self.open_name(path, libc::O_RDONLY | libc::O_DIRECTORY)?;
        dir_entries(fd)
    }

    /// Opens a regular file for reading.
    pub fn open_file(&self, path: &[u8]) -> Result<HostFile, Errno> {
        let fd = self.open_name(path, libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY)?;
        let st = fstat(fd.as_raw_fd())?;
        if !st.is_regular() {
            return Err(if st.is_dir() { Errno::EISDIR } else { Errno::EACCES });
        }
        Ok(HostFile { fd, writable: false, dev: ROOT_DEV })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(what: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("husk-lower-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("mkdir");
        p
    }

    #[test]
    fn read_dir_lists_what_the_host_lists() {
        let dir = scratch("list");
        // More names than one getdents64 buffer holds.
        for i in 0..3000 {
            std::fs::write(dir.join(format!("file-with-a-longish-name-{i:05}")), b"").expect("write");
        }
        std::fs::create_dir(dir.join("sub")).expect("mkdir");
        std::os::unix::fs::symlink("x", dir.join("link")).expect("symlink");
        let tree = LowerTree::new(open_root(&dir).expect("open"));
        let mut got: Vec<(Vec<u8>, u8)> =
            tree.read_dir(b"/").expect("read_dir").into_iter().map(|e| (e.name, e.kind)).collect();
        got.sort();
        let mut want: Vec<(Vec<u8>, u8)> = std::fs::read_dir(&dir)
            .expect("read_dir")
            .map(|e| {
                let e = e.expect("entry");
                let t = e.file_type().expect("type");
                let kind = if t.is_dir() {
                    libc::DT_DIR
                } else if t.is_symlink() {
                    libc::DT_LNK
                } else {
                    libc::DT_REG
                };
                (e.file_name().into_encoded_bytes(), kind)
            })
            .collect();
        want.sort();
        assert_eq!(got.len(), 3002);
        assert_eq!(got, want);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_replaced_symlink_reads_anew() {
        let dir = scratch("link");
        std::os::unix::fs::symlink("one", dir.join("l")).expect("symlink");
        let tree = LowerTree::new(open_root(&dir).expect("open"));
        let st = tree.lstat(b"/l").expect("lstat");
        assert_eq!(tree.readlink_known(b"/l", &st).expect("readlink"), b"one");
        assert_eq!(tree.readlink_known(b"/l", &st).expect("readlink"), b"one");
        // A new link, same length of target: another inode.
        std::fs::remove_file(dir.join("l")).expect("rm");
        std::os::unix::fs::symlink("two", dir.join("l")).expect("symlink");
        let st = tree.lstat(b"/l").expect("lstat");
        assert_eq!(tree.readlink_known(b"/l", &st).expect("readlink"), b"two");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
