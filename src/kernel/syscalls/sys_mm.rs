//! Memory: mmap, munmap, mprotect, mremap, brk, madvise, msync, mincore,
//! and the mlock family.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::{LockLimit, MapRequest};
use crate::kernel::task::Task;
use crate::kernel::vfs::file::OpenFile;
use std::sync::Arc;

/// Runs a mapping change; when its charge would pass the container's
/// memory limit, the OOM killer makes room (or ends the caller) and the
/// change is tried again (kernel/oom.rs).
fn with_oom(t: &mut Task, a: &Args, op: fn(&mut Task, &Args) -> SysResult) -> SysResult {
    crate::kernel::oom::retry_after_oom(t, |t| op(t, a))
}

/// Implements mmap(2).
pub fn mmap(t: &mut Task, a: &Args) -> SysResult {
    with_oom(t, a, do_mmap)
}

/// `prot` as the caller's personality makes it: with READ_IMPLIES_EXEC,
/// readable means executable too.
fn effective_prot(t: &Task, prot: u32) -> u32 {
    let implies = t.tg.persona.load(std::sync::atomic::Ordering::Relaxed) & super::READ_IMPLIES_EXEC != 0;
    if implies && prot & libc::PROT_READ as u32 != 0 {
        prot | libc::PROT_EXEC as u32
    } else {
        prot
    }
}

fn do_mmap(t: &mut Task, a: &Args) -> SysResult {
    let (addr, len, prot, mut flags, fd, off) =
        (a[0], a[1], effective_prot(t, a[2] as u32), a[3] as u32, a[4] as i32, a[5]);
    let file = if flags & libc::MAP_ANONYMOUS as u32 == 0 {
        let f = t.file(fd)?;
        if f.is_path_only() {
            return Err(Errno::EBADF);
        }
        if is_dev_zero(&f) {
            // Linux's mmap_zero: once the access checks pass, a private
            // mapping of /dev/zero is anonymous memory and a shared one a
            // new shared anonymous object.
            match may_map(&f, prot, flags) {
                Ok(()) => {
                    flags |= libc::MAP_ANONYMOUS as u32;
                    None
                }
                Err(e) => Some(Err(e)),
            }
        } else {
            Some(mappable(f, prot, flags))
        }
    } else {
        None
    };
    let (mm, limits) = (t.mm(), t.vm_limits());
    mm.mmap_limited(&mut t.thread, MapRequest { addr, len, prot, flags, file, offset: off }, limits)
}

/// Whether `f` is the zero device (character device 1:5), which Linux maps
/// as anonymous memory.
fn is_dev_zero(f: &OpenFile) -> bool {
    use crate::kernel::vfs::stat::{dev_major, dev_minor};
    use crate::kernel::vfs::upper::DevKind;
    f.ops.stat().is_ok_and(|s| {
        s.mode & libc::S_IFMT == libc::S_IFCHR
            && DevKind::from_numbers(dev_major(s.rdev), dev_minor(s.rdev)) == Some(DevKind::Zero)
    })
}

/// The checks of do_mmap on the file itself: its access mode against the
/// mapping, and whether it can be mapped at all (ENODEV).
fn mappable(f: Arc<OpenFile>, prot: u32, flags: u32) -> Result<(Arc<OpenFile>, i32), Errno> {
    may_map(&f, prot, flags)?;
    let host_fd = f.ops.host_fd()?;
    Ok((f, host_fd))
}

/// do_mmap's checks of the file's access mode against the mapping.
fn may_map(f: &OpenFile, prot: u32, flags: u32) -> Result<(), Errno> {
    let acc = f.flags() & libc::O_ACCMODE as u32;
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
    Ok(())
}

/// Implements munmap(2).
pub fn munmap(t: &mut Task, a: &Args) -> SysResult {
    t.mm().munmap(&mut t.thread, a[0], a[1])
}

/// Implements mprotect(2).
pub fn mprotect(t: &mut Task, a: &Args) -> SysResult {
    with_oom(t, a, |t, a| {
        let prot = effective_prot(t, a[2] as u32);
        t.mm().mprotect(&mut t.thread, a[0], a[1], prot)
    })
}

/// Implements mremap(2).
pub fn mremap(t: &mut Task, a: &Args) -> SysResult {
    with_oom(t, a, |t, a| {
        let limits = t.vm_limits();
        t.mm().mremap(&mut t.thread, a[0], a[1], a[2], a[3] as u32, a[4], limits)
    })
}

/// Implements remap_file_pages(2).
pub fn remap_file_pages(t: &mut Task, a: &Args) -> SysResult {
    t.mm().remap_file_pages(&mut t.thread, a[0], a[1], a[2], a[3], a[4])
}

/// Implements brk(2).
pub fn brk(t: &mut Task, a: &Args) -> SysResult {
    with_oom(t, a, |t, a| {
        let limits = t.vm_limits();
        t.mm().brk(&mut t.thread, a[0], limits)
    })
}

/// Implements madvise(2).
pub fn madvise(t: &mut Task, a: &Args) -> SysResult {
    t.mm().madvise(&mut t.thread, a[0], a[1], a[2] as i32)
}

/// Implements msync(2).
pub fn msync(t: &mut Task, a: &Args) -> SysResult {
    t.mm().msync(a[0], a[1], a[2] as i32)
}

/// Implements mincore(2).
pub fn mincore(t: &mut Task, a: &Args) -> SysResult {
    // The host writes the vector: a stack's untouched room under it grows
    // first, as Linux's copy would fault it in.
    t.grow_stacks_in(a[2], a[1].div_ceil(crate::kernel::mm::layout::PAGE));
    t.mm().mincore(&mut t.thread, a[0], a[1], a[2])
}

/// How much the caller may lock: unlimited with CAP_IPC_LOCK, else its
/// RLIMIT_MEMLOCK.
fn lock_limit(t: &Task) -> LockLimit {
    if super::sys_ident::capable(t, crate::kernel::ipc::CAP_IPC_LOCK) {
        None
    } else {
        Some(t.rlimit(libc::RLIMIT_MEMLOCK))
    }
}

/// Implements mlock(2).
pub fn mlock(t: &mut Task, a: &Args) -> SysResult {
    let limit = lock_limit(t);
    t.mm().mlock(&mut t.thread, a[0], a[1], 0, limit)
}

/// Implements mlock2(2).
pub fn mlock2(t: &mut Task, a: &Args) -> SysResult {
    let limit = lock_limit(t);
    t.mm().mlock(&mut t.thread, a[0], a[1], a[2] as u32, limit)
}

/// Implements munlock(2).
pub fn munlock(t: &mut Task, a: &Args) -> SysResult {
    t.mm().munlock(&mut t.thread, a[0], a[1])
}

/// Implements mlockall(2).
pub fn mlockall(t: &mut Task, a: &Args) -> SysResult {
    let limit = lock_limit(t);
    t.mm().mlockall(&mut t.thread, a[0] as i32, limit)
}

/// Implements munlockall(2).
pub fn munlockall(t: &mut Task, _a: &Args) -> SysResult {
    t.mm().munlockall(&mut t.thread)
}

const MEMBARRIER_CMD_GLOBAL: u32 = 1;
const MEMBARRIER_CMD_GLOBAL_EXPEDITED: u32 = 2;
const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED: u32 = 4;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: u32 = 8;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: u32 = 16;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE: u32 = 32;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: u32 = 64;
const MEMBARRIER_CMD_GET_REGISTRATIONS: u32 = 512;
/// What MEMBARRIER_CMD_QUERY reports: every command but the rseq ones
/// (the sentry serves no rseq, as a kernel without CONFIG_RSEQ).
const MEMBARRIER_CMDS: u32 = MEMBARRIER_CMD_GLOBAL
    | MEMBARRIER_CMD_GLOBAL_EXPEDITED
    | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
    | MEMBARRIER_CMD_PRIVATE_EXPEDITED
    | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED
    | MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE
    | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
    | MEMBARRIER_CMD_GET_REGISTRATIONS;

/// A host membarrier(2) from the sentry itself.
fn host_membarrier(cmd: u32) -> Result<(), Errno> {
    // SAFETY: membarrier takes no pointers.
    let r = unsafe { libc::syscall(libc::SYS_membarrier, cmd as libc::c_int, 0, 0) };
    if r < 0 {
        return Err(Errno::last());
    }
    Ok(())
}

/// The barrier of the private expedited commands: every thread of the
/// caller's address space is a thread of its stub process on the host,
/// so the host's own private expedited membarrier, issued inside that
/// process, is exactly it. The stub process is registered with the host
/// the first time (a forked stub may already be).
fn private_barrier(t: &mut Task, sync_core: bool) -> Result<(), Errno> {
    let (cmd, register) = if sync_core {
        (MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)
    } else {
        (MEMBARRIER_CMD_PRIVATE_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)
    };
    let run = |cmd: u32| t.thread.inject(libc::SYS_membarrier, [cmd as u64, 0, 0, 0, 0, 0]).ok();
    let mut r = run(cmd);
    if r == Some(-libc::EPERM as i64) && run(register) == Some(0) {
        r = run(cmd);
    }
    match r {
        Some(0) => Ok(()),
        // The host refuses (membarrier disabled, or the stub is gone):
        // the heavier global barrier covers every thread too.
        _ => host_membarrier(MEMBARRIER_CMD_GLOBAL),
    }
}

/// Implements membarrier(2). The global commands are the host's global
/// barrier (it reaches every stub process); the private expedited ones
/// are the host's, run inside the caller's stub process.
pub fn membarrier(t: &mut Task, a: &Args) -> SysResult {
    use std::sync::atomic::Ordering;
    let (cmd, flags) = (a[0] as u32, a[1] as u32);
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let mm = t.mm();
    let registered = |bit: u32| mm.membarrier.load(Ordering::Relaxed) & bit != 0;
    match cmd {
        0 => Ok(MEMBARRIER_CMDS as u64),
        MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED => host_membarrier(MEMBARRIER_CMD_GLOBAL).map(|_| 0),
        MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
        | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED
        | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE => {
            mm.membarrier.fetch_or(cmd, Ordering::Relaxed);
            Ok(0)
        }
        MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE => {
            // Registering for one command allows it (and only it).
            if !registered(cmd << 1) {
                return Err(Errno::EPERM);
            }
            drop(mm);
            private_barrier(t, cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE).map(|_| 0)
        }
        MEMBARRIER_CMD_GET_REGISTRATIONS => Ok(mm.membarrier.load(Ordering::Relaxed) as u64),
        _ => Err(Errno::EINVAL),
    }
}
