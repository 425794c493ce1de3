//! Inode flags (`chattr`/`lsattr`): FS_IOC_GETFLAGS/SETFLAGS and
//! FS_IOC_FSGETXATTR/FSSETXATTR on the files of the sentry's memory, with
//! the flags Linux's tmpfs keeps (immutable, append-only, nodump, noatime)
//! and the checks `vfs_fileattr_set` and `shmem_fileattr_set` make. The
//! VFS (`mod.rs`) and the syscalls enforce them as Linux's VFS does.

use crate::kernel::errno::Errno;

/// `FS_IOC_GETFLAGS` flags (`include/uapi/linux/fs.h`).
pub const FS_SYNC_FL: u32 = 0x8;
pub const FS_IMMUTABLE_FL: u32 = 0x10;
pub const FS_APPEND_FL: u32 = 0x20;
pub const FS_NODUMP_FL: u32 = 0x40;
pub const FS_NOATIME_FL: u32 = 0x80;
pub const FS_DAX_FL: u32 = 0x0200_0000;
pub const FS_PROJINHERIT_FL: u32 = 0x2000_0000;

/// What tmpfs lets `chattr` change (SHMEM_FL_USER_MODIFIABLE); other
/// flags are EOPNOTSUPP.
pub const MODIFIABLE: u32 = FS_IMMUTABLE_FL | FS_APPEND_FL | FS_NODUMP_FL | FS_NOATIME_FL;
/// What a new node takes from its directory (SHMEM_FL_INHERITED).
pub const INHERITED: u32 = FS_NODUMP_FL | FS_NOATIME_FL;

/// `struct fsxattr` flags.
const XF_PREALLOC: u32 = 0x2;
const XF_IMMUTABLE: u32 = 0x8;
const XF_APPEND: u32 = 0x10;
const XF_SYNC: u32 = 0x20;
const XF_NOATIME: u32 = 0x40;
const XF_NODUMP: u32 = 0x80;
const XF_PROJINHERIT: u32 = 0x200;
const XF_EXTSIZE: u32 = 0x800;
const XF_EXTSZINHERIT: u32 = 0x1000;
const XF_DAX: u32 = 0x8000;
const XF_COWEXTSIZE: u32 = 0x1_0000;
const XF_HASATTR: u32 = 0x8000_0000;
/// The xflags with an FS_*_FL twin (FS_XFLAG_COMMON).
const XF_COMMON: u32 = XF_SYNC | XF_IMMUTABLE | XF_APPEND | XF_NODUMP | XF_NOATIME | XF_DAX | XF_PROJINHERIT;
/// Every xflag Linux 6.18 knows (FS_XFLAGS_MASK); others are EOPNOTSUPP.
const XF_KNOWN: u32 = 0x1_fffb | XF_HASATTR;
/// Flags only the file system reports; a set ignores them.
const XF_RDONLY: u32 = XF_PREALLOC | XF_HASATTR;

/// The pairs of twin flags (fileattr_fill_flags/fileattr_fill_xflags).
const TWINS: [(u32, u32); 7] = [
    (FS_SYNC_FL, XF_SYNC),
    (FS_IMMUTABLE_FL, XF_IMMUTABLE),
    (FS_APPEND_FL, XF_APPEND),
    (FS_NODUMP_FL, XF_NODUMP),
    (FS_NOATIME_FL, XF_NOATIME),
    (FS_DAX_FL, XF_DAX),
    (FS_PROJINHERIT_FL, XF_PROJINHERIT),
];

fn to_xflags(flags: u32) -> u32 {
    TWINS.iter().filter(|(f, _)| flags & f != 0).fold(0, |x, (_, xf)| x | xf)
}

fn from_xflags(xflags: u32) -> u32 {
    TWINS.iter().filter(|(_, xf)| xflags & xf != 0).fold(0, |x, (f, _)| x | f)
}

/// The 28-byte `struct fsxattr` FS_IOC_FSGETXATTR fills for `flags` (the
/// sizes, extents and project of tmpfs are all 0).
pub fn fsxattr(flags: u32) -> [u8; 28] {
    let mut b = [0u8; 28];
    b[..4].copy_from_slice(&to_xflags(flags).to_ne_bytes());
    b
}

/// A change asked for: a flags word (FS_IOC_SETFLAGS) or a `struct
/// fsxattr` (FS_IOC_FSSETXATTR).
#[derive(Clone, Copy, Debug)]
pub struct Request {
    flags: u32,
    xflags: u32,
    /// fsx_extsize, fsx_projid and fsx_cowextsize, for an fsxattr.
    fsx: Option<[u32; 3]>,
}

impl Request {
    /// FS_IOC_SETFLAGS of `flags`.
    pub fn flags(flags: u32) -> Request {
        Request { flags, xflags: to_xflags(flags), fsx: None }
    }

    /// FS_IOC_FSSETXATTR of a `struct fsxattr` (copy_fsxattr_from_user):
    /// unknown xflags are EOPNOTSUPP, read-only ones are dropped.
    pub fn fsxattr(raw: &[u8; 28]) -> Result<Request, Errno> {
        let word = |i: usize| u32::from_ne_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
        let xflags = word(0);
        if xflags & !XF_KNOWN != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let xflags = xflags & !XF_RDONLY;
        Ok(Request { flags: from_xflags(xflags), xflags, fsx: Some([word(4), word(12), word(16)]) })
    }

    /// The new flags of a node with flags `old` and file type `ftype`
    /// (`S_IFMT` bits): `vfs_fileattr_set`'s checks, then tmpfs's. The
    /// caller has checked ownership; `cap_immutable` is CAP_LINUX_IMMUTABLE.
    pub fn apply(self, old: u32, ftype: u32, cap_immutable: bool) -> Result<u32, Errno> {
        let Request { flags, mut xflags, fsx } = self;
        let [extsize, projid, cowextsize] = fsx.unwrap_or_default();
        if (flags ^ old) & (FS_APPEND_FL | FS_IMMUTABLE_FL) != 0 && !cap_immutable {
            return Err(Errno::EPERM);
        }
        // tmpfs keeps project 0; -1 is no valid project.
        if projid == u32::MAX {
            return Err(Errno::EINVAL);
        }
        let (reg, dir) = (ftype == libc::S_IFREG, ftype == libc::S_IFDIR);
        if (xflags & XF_EXTSIZE != 0 && !reg)
            || (xflags & XF_EXTSZINHERIT != 0 && !dir)
            || (xflags & (XF_COWEXTSIZE | XF_DAX) != 0 && !reg && !dir)
        {
            return Err(Errno::EINVAL);
        }
        // Hints of size zero turn their flags off.
        if extsize == 0 {
            xflags &= !(XF_EXTSIZE | XF_EXTSZINHERIT);
        }
        if cowextsize == 0 {
            xflags &= !XF_COWEXTSIZE;
        }
        // tmpfs keeps none of the xfs-only state.
        if fsx.is_some() && (xflags & !XF_COMMON != 0 || extsize != 0 || projid != 0 || cowextsize != 0) {
            return Err(Errno::EOPNOTSUPP);
        }
        if flags & !MODIFIABLE != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        Ok(flags)
    }
}

/// `stx_attributes` bits (STATX_ATTR_*) for a node's flags.
pub fn statx_attributes(flags: u32) -> u64 {
    const STATX_ATTR_IMMUTABLE: u64 = 0x10;
    const STATX_ATTR_APPEND: u64 = 0x20;
    const STATX_ATTR_NODUMP: u64 = 0x40;
    [(FS_IMMUTABLE_FL, STATX_ATTR_IMMUTABLE), (FS_APPEND_FL, STATX_ATTR_APPEND), (FS_NODUMP_FL, STATX_ATTR_NODUMP)]
        .iter()
        .filter(|(f, _)| flags & f != 0)
        .fold(0, |a, (_, s)| a | s)
}

/// The `stx_attributes_mask` bits a file system keeping these flags
/// reports (tmpfs's).
pub const STATX_FLAGS_MASK: u64 = 0x70;

/// Whether a node's flags forbid changing it (immutable or append-only):
/// removing or renaming it, linking to it, chmod, chown, explicit times,
/// extended attributes.
pub fn frozen(flags: u32) -> bool {
    flags & (FS_IMMUTABLE_FL | FS_APPEND_FL) != 0
}

/// Whether a node is immutable.
pub fn immutable(flags: u32) -> bool {
    flags & FS_IMMUTABLE_FL != 0
}

/// Whether a node is append-only.
pub fn append_only(flags: u32) -> bool {
    flags & FS_APPEND_FL != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmpfs_takes_its_four_flags_only() {
        let reg = libc::S_IFREG;
        assert_eq!(Request::flags(FS_NODUMP_FL).apply(0, reg, false), Ok(FS_NODUMP_FL));
        assert_eq!(Request::flags(FS_IMMUTABLE_FL).apply(0, reg, false), Err(Errno::EPERM));
        assert_eq!(Request::flags(FS_IMMUTABLE_FL).apply(0, reg, true), Ok(FS_IMMUTABLE_FL));
        assert_eq!(Request::flags(FS_SYNC_FL).apply(0, reg, true), Err(Errno::EOPNOTSUPP));
        // Clearing an append-only flag needs the capability too.
        assert_eq!(Request::flags(0).apply(FS_APPEND_FL, reg, false), Err(Errno::EPERM));
    }

    #[test]
    fn fsxattr_maps_twins_and_rejects_xfs_state() {
        let mut raw = [0u8; 28];
        raw[..4].copy_from_slice(&(XF_NOATIME | XF_HASATTR).to_ne_bytes());
        assert_eq!(Request::fsxattr(&raw).and_then(|r| r.apply(0, libc::S_IFREG, false)), Ok(FS_NOATIME_FL));
        raw[..4].copy_from_slice(&0x4_0000u32.to_ne_bytes());
        assert_eq!(Request::fsxattr(&raw).err(), Some(Errno::EOPNOTSUPP));
        raw[..4].copy_from_slice(&XF_EXTSZINHERIT.to_ne_bytes());
        assert_eq!(Request::fsxattr(&raw).and_then(|r| r.apply(0, libc::S_IFREG, false)), Err(Errno::EINVAL));
        assert_eq!(Request::fsxattr(&raw).and_then(|r| r.apply(0, libc::S_IFDIR, false)), Ok(0));
        assert_eq!(&fsxattr(FS_APPEND_FL)[..4], &XF_APPEND.to_ne_bytes());
    }
}
