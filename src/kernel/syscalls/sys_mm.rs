//! Memory: mmap, munmap, mprotect, mremap, brk, madvise.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::MapRequest;
use crate::kernel::task::Task;

/// Implements mmap(2).
pub fn mmap(t: &mut Task, a: &Args) -> SysResult {
    let (addr, len, prot, flags, fd, off) = (a[0], a[1], a[2] as u32, a[3] as u32, a[4] as i32, a[5]);
    let file = if flags & libc::MAP_ANONYMOUS as u32 == 0 {
        let f = t.file(fd)?;
        let acc = f.flags() & libc::O_ACCMODE as u32;
        if f.is_path_only() {
            return Err(Errno::EBADF);
        }
        if acc == libc::O_WRONLY as u32 {
            return Err(Errno::EACCES);
        }
        let shared = flags & libc::MAP_SHARED_VALIDATE as u32 != libc::MAP_PRIVATE as u32;
        if shared && prot & libc::PROT_WRITE as u32 != 0 && acc != libc::O_RDWR as u32 {
            return Err(Errno::EACCES);
        }
        if f.flags() & libc::O_APPEND as u32 != 0 && shared && prot & libc::PROT_WRITE as u32 != 0 {
            return Err(Errno::EACCES);
        }
        let host_fd = f.ops.host_fd().ok_or(Errno::ENODEV)?;
        Some((f, host_fd))
    } else {
        None
    };
    let mm = t.mm();
    mm.mmap(&mut t.thread, MapRequest { addr, len, prot, flags, file, offset: off })
}

/// Implements munmap(2).
pub fn munmap(t: &mut Task, a: &Args) -> SysResult {
    t.mm().munmap(&mut t.thread, a[0], a[1])
}

/// Implements mprotect(2).
pub fn mprotect(t: &mut Task, a: &Args) -> SysResult {
    t.mm().mprotect(&mut t.thread, a[0], a[1], a[2] as u32)
}

/// Implements mremap(2).
pub fn mremap(t: &mut Task, a: &Args) -> SysResult {
    t.mm().mremap(&mut t.thread, a[0], a[1], a[2], a[3] as u32, a[4])
}

/// Implements brk(2).
pub fn brk(t: &mut Task, a: &Args) -> SysResult {
    t.mm().brk(&mut t.thread, a[0])
}

/// Implements madvise(2).
pub fn madvise(t: &mut Task, a: &Args) -> SysResult {
    t.mm().madvise(&mut t.thread, a[0], a[1], a[2] as i32)
}
