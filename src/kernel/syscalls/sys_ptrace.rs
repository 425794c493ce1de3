//! ptrace(2), process_vm_readv(2), process_vm_writev(2): decode the
//! arguments, then call `kernel::ptrace`.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::ptrace::{access, task_memory, vm};
use crate::kernel::task::Task;

/// Linux's UIO_MAXIOV.
const IOV_MAX: u64 = 1024;

/// Reads `count` iovecs at `addr`; a negative length is EINVAL, and so is
/// a total past SSIZE_MAX when `check_total` (the local side).
fn read_iovecs(t: &Task, addr: u64, count: u64, check_total: bool) -> Result<Vec<(u64, u64)>, Errno> {
    if count > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; count as usize * 16];
    t.mem().read_bytes(addr, &mut raw)?;
    let mut total = 0u64;
    let mut v = Vec::with_capacity(count as usize);
    for c in raw.chunks_exact(16) {
        let base = u64::from_ne_bytes(c[..8].try_into().unwrap_or_default());
        let len = u64::from_ne_bytes(c[8..].try_into().unwrap_or_default());
        if (len as i64) < 0 {
            return Err(Errno::EINVAL);
        }
        if check_total {
            total = total.checked_add(len).filter(|&x| (x as i64) >= 0).ok_or(Errno::EINVAL)?;
        }
        v.push((base, len));
    }
    Ok(v)
}

/// process_vm_readv/writev: `write` copies from the caller to the target.
fn process_vm(t: &mut Task, a: &Args, write: bool) -> SysResult {
    let (pid, lvec, liovcnt, rvec, riovcnt, flags) = (a[0] as i32, a[1], a[2], a[3], a[4], a[5]);
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let local = read_iovecs(t, lvec, liovcnt, true)?;
    if local.iter().all(|v| v.1 == 0) {
        return Ok(0);
    }
    let remote = read_iovecs(t, rvec, riovcnt, false)?;
    if remote.iter().all(|v| v.1 == 0) {
        return Ok(0);
    }
    let target = t.kernel.procs().task_in(t.pidns(), pid).ok_or(Errno::ESRCH)?;
    if !access::may_access(t, &target) {
        return Err(Errno::EPERM);
    }
    let theirs = task_memory(&target).ok_or(Errno::ESRCH)?;
    let mine = t.mem();
    if write {
        vm::copy_vectors(&mine, &local, &theirs, &remote)
    } else {
        vm::copy_vectors(&theirs, &remote, &mine, &local)
    }
}

/// Implements process_vm_readv(2).
pub fn process_vm_readv(t: &mut Task, a: &Args) -> SysResult {
    process_vm(t, a, false)
}

/// Implements process_vm_writev(2).
pub fn process_vm_writev(t: &mut Task, a: &Args) -> SysResult {
    process_vm(t, a, true)
}

/// Implements ptrace(2).
pub fn ptrace(t: &mut Task, a: &Args) -> SysResult {
    crate::kernel::ptrace::requests::ptrace(t, a[0] as i64, a[1] as i32, a[2], a[3])
}
