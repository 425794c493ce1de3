//! Namespaces of the calling task: unshare(2) and setns(2). New processes
//! get their namespaces in clone (task/clone.rs).

use std::sync::Arc;

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::ns::file::{self, NsRef};
use crate::kernel::ns::user::{capable_over, UserNamespace};
use crate::kernel::task::clone::{new_namespaces, CAP_SYS_ADMIN, CLONE_NEW_SERVED, CLONE_NEW_UNSERVED};
use crate::kernel::task::creds::enter_user_ns;
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
    | CLONE_NEW_SERVED
    | CLONE_NEW_UNSERVED
    | CLONE_NEWTIME;

fn has_cap_sys_admin(t: &Task) -> bool {
    t.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).capable(CAP_SYS_ADMIN)
}

/// Implements unshare(2). CLONE_NEWUSER moves the caller (alone in its
/// process, with its own file system context) into a new user namespace
/// that owns the other namespaces made with it. CLONE_NEWPID makes the caller's later children
/// the first processes of a new PID namespace (the caller stays where it
/// is); CLONE_NEWUTS, CLONE_NEWIPC and CLONE_NEWNS move the caller to
/// copies (a new mount namespace starts with the caller's mounts), and
/// CLONE_NEWNET to a new network (only `lo`, down). Unsharing what is not shared is a no-op, as in Linux; the
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
    if flags & CLONE_NEW_SERVED == 0 {
        return Ok(0);
    }
    // CLONE_NEWPID: once the caller's children go to another namespace,
    // not again (EINVAL, from new_namespaces).
    let (new, user) = new_namespaces(t, t.shared.nsproxy(), flags)?;
    *t.shared.ns.lock().unwrap_or_else(|e| e.into_inner()) = new;
    if let Some(user) = user {
        // Alone in its process with its own fs context (checked above).
        enter_user_ns(&t.tg, user);
    }
    Ok(0)
}

/// Implements setns(2) for the namespace files `/proc/<pid>/ns/*` hands
/// out, with CAP_SYS_ADMIN (EPERM). A PID namespace sets where the
/// caller's later children go: only its own or one below it (EINVAL). UTS,
/// IPC, network and mount namespaces move the caller (for a mount namespace, one
/// whose file system context is its own: EINVAL otherwise). Other descriptors are EINVAL
/// (pidfds are not served).
pub fn setns(t: &mut Task, a: &Args) -> SysResult {
    let (fd, nstype) = (a[0] as i32, a[1] as i32);
    let f = t.file(fd)?;
    let ns = file::of_file(&f).ok_or(Errno::EINVAL)?;
    if nstype != 0 && nstype != ns.clone_flag() {
        return Err(Errno::EINVAL);
    }
    if let NsRef::User(user) = ns {
        return enter_user(t, user);
    }
    // CAP_SYS_ADMIN in the caller's user namespace and over the target's.
    let creds = t.creds();
    let owner = ns.owner().unwrap_or_else(UserNamespace::init);
    if !has_cap_sys_admin(t) || !capable_over(&creds.user_ns, creds.euid, true, &owner) {
        return Err(Errno::EPERM);
    }
    if let NsRef::Mnt(_) = ns {
        // Entering a mount namespace also takes CAP_SYS_CHROOT and a file
        // system context of one's own; cwd and root become its root.
        const CAP_SYS_CHROOT: u32 = 18;
        if !t.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).capable(CAP_SYS_CHROOT) {
            return Err(Errno::EPERM);
        }
        if Arc::strong_count(&t.tg.fs) > 1 || t.tg.task_list().len() > 1 {
            return Err(Errno::EINVAL);
        }
        let mut fs = t.tg.fs.lock().unwrap_or_else(|e| e.into_inner());
        fs.cwd = b"/".to_vec();
        fs.root = b"/".to_vec();
    }
    let mut mine = t.shared.ns.lock().unwrap_or_else(|e| e.into_inner());
    match ns {
        NsRef::Pid(target) => {
            if !t.tg.pidns().contains(&target) {
                return Err(Errno::EINVAL);
            }
            mine.pid_for_children = target;
        }
        NsRef::Uts(u) => mine.uts = u,
        NsRef::Ipc(i) => mine.ipc = i,
        NsRef::Mnt(m) => mine.mnt = m,
        // Sockets made later are made there; open ones stay where they were.
        NsRef::Net(n) => mine.net = n,
        NsRef::User(_) => unreachable!("entered above"),
    }
    Ok(0)
}

/// setns(2) into user namespace `user` (userns_install): not the caller's
/// own (EINVAL), only for a process of one thread with its own file system
/// context (EINVAL), with CAP_SYS_ADMIN over it (EPERM). The caller keeps
/// its ids and gets every capability there.
fn enter_user(t: &Task, user: Arc<UserNamespace>) -> SysResult {
    let creds = t.creds();
    if Arc::ptr_eq(&creds.user_ns, &user) {
        return Err(Errno::EINVAL);
    }
    if t.tg.task_list().len() > 1 || Arc::strong_count(&t.tg.fs) > 1 {
        return Err(Errno::EINVAL);
    }
    let held = has_cap_sys_admin(t);
    if !capable_over(&creds.user_ns, creds.euid, held, &user) {
        return Err(Errno::EPERM);
    }
    enter_user_ns(&t.tg, user);
    Ok(0)
}
