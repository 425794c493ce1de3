//! Namespaces of the calling task: unshare(2) and setns(2). New processes
//! get their namespaces in clone (task/clone.rs).

use std::sync::Arc;

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::ns::file::{self, NsRef};
use crate::kernel::task::clone::{CAP_SYS_ADMIN, CLONE_NEWPID, CLONE_NEW_UNSERVED};
use crate::kernel::task::Task;

const CLONE_VM: u64 = libc::CLONE_VM as u64;
const CLONE_FS: u64 = libc::CLONE_FS as u64;
const CLONE_FILES: u64 = libc::CLONE_FILES as u64;
const CLONE_SIGHAND: u64 = libc::CLONE_SIGHAND as u64;
const CLONE_THREAD: u64 = libc::CLONE_THREAD as u64;
const CLONE_SYSVSEM: u64 = libc::CLONE_SYSVSEM as u64;
const CLONE_NEWNS: u64 = libc::CLONE_NEWNS as u64;
const CLONE_NEWUSER: u64 = libc::CLONE_NEWUSER as u64;
const CLONE_NEWTIME: u64 = 0x80;

/// Flags unshare(2) knows.
const UNSHARE_KNOWN: u64 = CLONE_THREAD
    | CLONE_FS
    | CLONE_SIGHAND
    | CLONE_VM
    | CLONE_FILES
    | CLONE_SYSVSEM
    | CLONE_NEWPID
    | CLONE_NEW_UNSERVED
    | CLONE_NEWTIME;

fn has_cap_sys_admin(t: &Task) -> bool {
    t.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).capable(CAP_SYS_ADMIN)
}

/// Implements unshare(2). CLONE_NEWPID makes the caller's later children
/// the first processes of a new PID namespace (the caller stays where it
/// is). Unsharing what is not shared is a no-op, as in Linux; the
/// descriptor table and file system context are kept per process here, so
/// unsharing them while another process shares them is EINVAL, and so are
/// the namespaces the sentry does not serve (see table.rs).
pub fn unshare(t: &mut Task, a: &Args) -> SysResult {
    let mut flags = a[0];
    if flags & !UNSHARE_KNOWN != 0 {
        return Err(Errno::EINVAL);
    }
    // The implications Linux's ksys_unshare adds.
    if flags & CLONE_NEWUSER != 0 {
        flags |= CLONE_THREAD | CLONE_FS;
    }
    if flags & CLONE_VM != 0 {
        flags |= CLONE_SIGHAND;
    }
    if flags & CLONE_SIGHAND != 0 {
        flags |= CLONE_THREAD;
    }
    if flags & CLONE_NEWNS != 0 {
        flags |= CLONE_FS;
    }
    let threads = t.tg.task_list().len();
    if flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM) != 0 && threads > 1 {
        return Err(Errno::EINVAL);
    }
    if flags & (CLONE_SIGHAND | CLONE_VM) != 0 && Arc::strong_count(&t.tg.sig_actions) > 1 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_VM != 0 && Arc::strong_count(&t.mm()) > 2 {
        return Err(Errno::EINVAL);
    }
    // Shared with another process (CLONE_FILES, CLONE_FS): not separable
    // here (they are per process in the sentry, per thread in Linux).
    if flags & CLONE_FILES != 0 && (Arc::strong_count(&t.tg.fds) > 1 || threads > 1) {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_FS != 0 && (Arc::strong_count(&t.tg.fs) > 1 || threads > 1) {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_NEW_UNSERVED != 0 || flags & CLONE_NEWTIME != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_NEWPID == 0 {
        return Ok(0);
    }
    if !has_cap_sys_admin(t) {
        return Err(Errno::EPERM);
    }
    let mut ns = t.shared.ns.lock().unwrap_or_else(|e| e.into_inner());
    // Once the caller's children go to another namespace, not again.
    if !Arc::ptr_eq(&ns.pid_for_children, t.tg.pidns()) {
        return Err(Errno::EINVAL);
    }
    ns.pid_for_children = ns.pid_for_children.new_child()?;
    Ok(0)
}

/// Implements setns(2) for PID namespace files (`/proc/<pid>/ns/pid` and
/// `pid_for_children`): the caller's later children go there. Only the
/// caller's own PID namespace or one below it may be entered (EINVAL),
/// with CAP_SYS_ADMIN (EPERM). Other descriptors are EINVAL: the sentry
/// hands out no other namespace files, and pidfds are not served.
pub fn setns(t: &mut Task, a: &Args) -> SysResult {
    let (fd, nstype) = (a[0] as i32, a[1] as i32);
    let f = t.file(fd)?;
    let ns = file::of_file(&f).ok_or(Errno::EINVAL)?;
    if nstype != 0 && nstype != ns.clone_flag() {
        return Err(Errno::EINVAL);
    }
    let NsRef::Pid(target) = ns;
    if !has_cap_sys_admin(t) {
        return Err(Errno::EPERM);
    }
    if !t.pidns().contains(&target) {
        return Err(Errno::EINVAL);
    }
    t.shared.ns.lock().unwrap_or_else(|e| e.into_inner()).pid_for_children = target;
    Ok(0)
}
