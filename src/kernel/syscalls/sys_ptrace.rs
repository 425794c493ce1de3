//! ptrace(2), process_vm_readv(2), process_vm_writev(2): decode the
//! arguments, then call `kernel::ptrace`.

use super::iovec::read_iovecs;
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::ptrace::{access, task_memory, vm};
use crate::kernel::task::Task;

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
