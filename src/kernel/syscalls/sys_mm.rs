//! Memory: mmap, munmap, mprotect, mremap, brk, madvise, msync, mincore,
//! and the mlock family.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::account::{take_refused, ForceCharges};
use crate::kernel::mm::{LockLimit, MapRequest, VmLimits};
use crate::kernel::task::Task;

/// Rounds of the OOM killer one call may start before its charge is let
/// through (the victims are then slow to go, but going).
const OOM_ROUNDS: usize = 4;

/// Runs a mapping change; when its charge would pass the container's
/// memory limit, the OOM killer makes room (or ends the caller) and the
/// change is tried again (kernel/oom.rs).
fn with_oom(t: &mut Task, a: &Args, op: fn(&mut Task, &Args) -> SysResult) -> SysResult {
    take_refused();
    let mut r = op(t, a);
    for round in 0..=OOM_ROUNDS {
        let need = take_refused();
        if need == 0 {
            break;
        }
        crate::kernel::oom::out_of_memory(t, need)?;
        r = if round == OOM_ROUNDS {
            let _forced = ForceCharges::new();
            op(t, a)
        } else {
            op(t, a)
        };
    }
    r
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
    let (addr, len, prot, flags, fd, off) =
        (a[0], a[1], effective_prot(t, a[2] as u32), a[3] as u32, a[4] as i32, a[5]);
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
    let (mm, limits) = (t.mm(), vm_limits(t));
    mm.mmap_limited(&mut t.thread, MapRequest { addr, len, prot, flags, file, offset: off }, limits)
}

/// The caller's RLIMIT_AS and RLIMIT_DATA.
fn vm_limits(t: &Task) -> VmLimits {
    VmLimits { address_space: t.rlimit(libc::RLIMIT_AS), data: t.rlimit(libc::RLIMIT_DATA) }
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
        let limits = vm_limits(t);
        t.mm().mremap(&mut t.thread, a[0], a[1], a[2], a[3] as u32, a[4], limits)
    })
}

/// Implements brk(2).
pub fn brk(t: &mut Task, a: &Args) -> SysResult {
    with_oom(t, a, |t, a| {
        let limits = vm_limits(t);
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
