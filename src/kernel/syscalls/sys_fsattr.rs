//! The inode-flag ioctls `chattr` and `lsattr` use: FS_IOC_GETFLAGS,
//! FS_IOC_SETFLAGS, FS_IOC_FSGETXATTR and FS_IOC_FSSETXATTR (Linux's
//! `do_vfs_ioctl` serves them for every file before the file's own ioctl).
//! The flags and their rules are `vfs::attr`; files whose file system keeps
//! no flags fall through to the file's ioctl (ENOTTY for most).

use super::sys_ident::{capable, CAP_FOWNER, CAP_LINUX_IMMUTABLE};
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::vfs::attr::{fsxattr, Request};
use crate::kernel::vfs::file::OpenFile;

pub const FS_IOC_GETFLAGS: u64 = 0x8008_6601;
pub const FS_IOC_SETFLAGS: u64 = 0x4008_6602;
pub const FS_IOC_FSGETXATTR: u64 = 0x801c_581f;
pub const FS_IOC_FSSETXATTR: u64 = 0x401c_5820;

/// Serves one of the four requests on `f`; `None` when the file keeps no
/// flags, so the file's own ioctl answers.
pub fn ioctl(t: &Task, f: &OpenFile, req: u64, arg: u64) -> Option<SysResult> {
    let mem = t.mem();
    match req {
        FS_IOC_GETFLAGS | FS_IOC_FSGETXATTR => {
            let flags = f.ops.inode_flags().ok()?;
            Some(if req == FS_IOC_GETFLAGS {
                mem.write_bytes(arg, &flags.to_ne_bytes()).map(|_| 0)
            } else {
                mem.write_bytes(arg, &fsxattr(flags)).map(|_| 0)
            })
        }
        _ => {
            // The argument is read first, as Linux's get_user is.
            let request = if req == FS_IOC_SETFLAGS {
                mem.read_u32(arg).map(Request::flags)
            } else {
                let mut raw = [0u8; 28];
                mem.read_bytes(arg, &mut raw).and_then(|_| Request::fsxattr(&raw))
            };
            f.ops.inode_flags().ok()?;
            Some(request.and_then(|r| set(t, f, r)))
        }
    }
}

/// `vfs_fileattr_set`: a writable mount, the owner or CAP_FOWNER, then the
/// flags' own rules under the inode's lock.
fn set(t: &Task, f: &OpenFile, request: Request) -> SysResult {
    if f.path.first() == Some(&b'/') && t.vfs().mount_of(&f.path).readonly() {
        return Err(Errno::EROFS);
    }
    let fsuid = t.fs_creds().euid;
    let (fowner, immutable) = (capable(t, CAP_FOWNER), capable(t, CAP_LINUX_IMMUTABLE));
    f.ops.set_inode_flags(&mut |meta| {
        if meta.uid != fsuid && !fowner {
            return Err(Errno::EPERM);
        }
        request.apply(meta.attrs, meta.mode & libc::S_IFMT, immutable)
    })?;
    Ok(0)
}
