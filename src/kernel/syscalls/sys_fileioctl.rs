//! The file ioctls Linux's `do_vfs_ioctl` serves for every file before the
//! file's own: FIONREAD of a regular file, FIGETBSZ, FIOQSIZE, the
//! reflink requests (FICLONE, FICLONERANGE, FIDEDUPERANGE), FS_IOC_FIEMAP
//! and FIFREEZE/FITHAW. `cp --reflink` and `filefrag` ask them and read
//! the errno: no file system of the sandbox shares extents, maps extents or
//! freezes, so after Linux's checks they are EOPNOTSUPP.

use super::sys_ident::capable;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::vfs::file::OpenFile;

pub const FIONREAD: u64 = 0x541b;
pub const FIOQSIZE: u64 = 0x5460;
pub const FIGETBSZ: u64 = 0x2;
pub const FICLONE: u64 = 0x4004_9409;
pub const FICLONERANGE: u64 = 0x4020_940d;
pub const FIDEDUPERANGE: u64 = 0xc018_9436;
pub const FS_IOC_FIEMAP: u64 = 0xc020_660b;
pub const FIFREEZE: u64 = 0xc004_5877;
pub const FITHAW: u64 = 0xc004_5878;

const CAP_SYS_ADMIN: u32 = 21;

/// Serves `req` on `f` if it is one of the generic requests; `None` sends
/// it on to the file's own ioctl (FIONREAD of anything but a regular file).
pub fn ioctl(t: &Task, f: &OpenFile, req: u64, arg: u64) -> Option<SysResult> {
    const GENERIC: [u64; 9] =
        [FIONREAD, FIOQSIZE, FIGETBSZ, FICLONE, FICLONERANGE, FIDEDUPERANGE, FS_IOC_FIEMAP, FIFREEZE, FITHAW];
    if !GENERIC.contains(&req) {
        return None;
    }
    let st = match f.ops.stat() {
        Ok(st) => st,
        Err(e) => return Some(Err(e)),
    };
    let kind = st.file_type();
    let mem = t.mem();
    Some(match req {
        // Imported stdio (not seekable) asks the host, which keeps its offset.
        FIONREAD if kind == libc::S_IFREG && f.ops.seekable() => {
            // What lies past the offset, as an int (negative past the end).
            let left = st.size.wrapping_sub(f.current_offset()) as i32;
            mem.write_u32(arg, left as u32).map(|_| 0)
        }
        FIONREAD => return None,
        FIGETBSZ if st.blksize == 0 => Err(Errno::EINVAL),
        FIGETBSZ => mem.write_u32(arg, st.blksize as u32).map(|_| 0),
        FIOQSIZE if [libc::S_IFDIR, libc::S_IFREG, libc::S_IFLNK].contains(&kind) => {
            mem.write_u64(arg, st.blocks * 512).map(|_| 0)
        }
        FIOQSIZE => Err(Errno::ENOTTY),
        FICLONE => clone(t, f, arg as i32),
        FICLONERANGE => {
            // struct file_clone_range: src_fd, src_offset, src_length, dest_offset.
            mem.read_u64s::<4>(arg).and_then(|w| clone(t, f, w[0] as i64 as i32))
        }
        FIDEDUPERANGE => dedupe(&mem, f, arg),
        FS_IOC_FIEMAP => Err(Errno::EOPNOTSUPP),
        FIFREEZE | FITHAW if !capable(t, CAP_SYS_ADMIN) => Err(Errno::EPERM),
        FIFREEZE => Err(Errno::EOPNOTSUPP),
        // Nothing is frozen: thaw_super's "not frozen".
        FITHAW => Err(Errno::EINVAL),
        _ => return None,
    })
}

/// The file system a file belongs to, as far as sharing extents goes:
/// its mount (Linux compares `f_path.mnt`) and device.
fn fs_key(t: &Task, f: &OpenFile) -> Result<(u64, usize), Errno> {
    let dev = f.ops.stat()?.dev;
    let mount =
        if f.path.first() == Some(&b'/') { std::sync::Arc::as_ptr(&t.vfs().mount_of(&f.path)) as usize } else { 0 };
    Ok((dev, mount))
}

/// ioctl_file_clone: the source descriptor, the same mount, then
/// `generic_file_rw_checks`; no file system of the sandbox remaps ranges.
fn clone(t: &Task, dst: &OpenFile, src_fd: i32) -> SysResult {
    let src = t.file(src_fd).map_err(|_| Errno::EBADF)?;
    if src.is_path_only() {
        return Err(Errno::EBADF);
    }
    if fs_key(t, &src)? != fs_key(t, dst)? {
        return Err(Errno::EXDEV);
    }
    let (sk, dk) = (src.ops.stat()?.file_type(), dst.ops.stat()?.file_type());
    if sk == libc::S_IFDIR || dk == libc::S_IFDIR {
        return Err(Errno::EISDIR);
    }
    if sk != libc::S_IFREG || dk != libc::S_IFREG {
        return Err(Errno::EINVAL);
    }
    if !src.is_readable() || !dst.is_writable() || dst.flags() & libc::O_APPEND as u32 != 0 {
        return Err(Errno::EBADF);
    }
    Err(Errno::EOPNOTSUPP)
}

/// ioctl_file_dedupe_range: the header and its destinations are read (at
/// most a page of them), then `vfs_dedupe_file_range`'s checks of the
/// source; no file system of the sandbox dedupes.
fn dedupe(mem: &dyn UserMemory, f: &OpenFile, arg: u64) -> SysResult {
    // struct file_dedupe_range: src_offset, src_length, dest_count (u16),
    // reserved1 (u16), reserved2 (u32), then 32-byte destination records.
    let mut count = [0u8; 2];
    mem.read_bytes(arg + 16, &mut count)?;
    let size = 24 + 32 * u16::from_ne_bytes(count) as usize;
    if size > 4096 {
        return Err(Errno::ENOMEM);
    }
    let mut raw = vec![0u8; size];
    mem.read_bytes(arg, &mut raw)?;
    if raw[18..24].iter().any(|&b| b != 0) {
        return Err(Errno::EINVAL);
    }
    match f.ops.stat()?.file_type() {
        libc::S_IFDIR => Err(Errno::EISDIR),
        libc::S_IFREG => Err(Errno::EOPNOTSUPP),
        _ => Err(Errno::EINVAL),
    }
}
