//! inotify_init(2), inotify_init1(2), inotify_add_watch(2) and
//! inotify_rm_watch(2). The instances are in `event/inotify.rs`, the
//! watches and the events' sources in `vfs/notify.rs`.

use std::sync::Arc;

use super::sys_path::at;
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::event::downcast;
use crate::kernel::event::inotify::{Group, Inotify};
use crate::kernel::task::Task;
use crate::kernel::vfs::file::OpenFile;
use crate::kernel::vfs::notify::{IN_ALL_EVENTS, IN_IGNORED, IN_ISDIR, IN_ONESHOT, IN_Q_OVERFLOW};

const IN_UNMOUNT: u32 = 0x2000;
const IN_ONLYDIR: u32 = 0x0100_0000;
const IN_DONT_FOLLOW: u32 = 0x0200_0000;
const IN_EXCL_UNLINK: u32 = 0x0400_0000;
const IN_MASK_CREATE: u32 = 0x1000_0000;
const IN_MASK_ADD: u32 = 0x2000_0000;
/// Every bit a mask may carry (Linux's ALL_INOTIFY_BITS).
const ALL_BITS: u32 = IN_ALL_EVENTS
    | IN_UNMOUNT
    | IN_Q_OVERFLOW
    | IN_IGNORED
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
    | IN_EXCL_UNLINK
    | IN_MASK_CREATE
    | IN_MASK_ADD
    | IN_ISDIR
    | IN_ONESHOT;

fn init(t: &Task, flags: i32) -> SysResult {
    if flags & !(libc::IN_CLOEXEC | libc::IN_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let status = libc::O_RDONLY as u32 | (flags & libc::O_NONBLOCK) as u32;
    let file = Arc::new(OpenFile::new(Box::new(Inotify::new()?), b"anon_inode:inotify".to_vec(), status));
    let limit = t.rlimit(libc::RLIMIT_NOFILE) as usize;
    t.tg.fds.install(file, flags & libc::O_CLOEXEC != 0, 0, limit).map(|fd| fd as u64)
}

/// Implements inotify_init(2).
pub fn inotify_init(t: &mut Task, _a: &Args) -> SysResult {
    init(t, 0)
}

/// Implements inotify_init1(2).
pub fn inotify_init1(t: &mut Task, a: &Args) -> SysResult {
    init(t, a[0] as i32)
}

/// The instance behind descriptor `fd`: EBADF, or EINVAL for another file.
fn instance(t: &Task, fd: i32) -> Result<Arc<Group>, Errno> {
    let f = t.file(fd)?;
    downcast::<Inotify>(&f).map(|i| i.0.clone()).ok_or(Errno::EINVAL)
}

/// Implements inotify_add_watch(2), checking in Linux's order.
pub fn inotify_add_watch(t: &mut Task, a: &Args) -> SysResult {
    let mask = a[2] as u32;
    if mask & IN_MASK_ADD != 0 && mask & IN_MASK_CREATE != 0 {
        return Err(Errno::EINVAL);
    }
    if mask & ALL_BITS == 0 {
        return Err(Errno::EINVAL);
    }
    let group = instance(t, a[0] as i32)?;
    let at = at(t, libc::AT_FDCWD, a[1])?;
    let r = t.vfs().resolve_with(&at.lookup(mask & IN_DONT_FOLLOW == 0), &at.path)?;
    let st = r.stat()?;
    if mask & IN_ONLYDIR != 0 && !st.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if !t.fs_creds().may_access(&st, 4, true) {
        return Err(Errno::EACCES);
    }
    let dir = st.is_dir().then(|| (st.dev, r.path.clone()));
    let events = mask & (IN_ALL_EVENTS | IN_ONESHOT);
    group.add_watch((st.dev, st.ino), dir, events, mask & IN_MASK_ADD != 0, mask & IN_MASK_CREATE != 0)
}

/// Implements inotify_rm_watch(2).
pub fn inotify_rm_watch(t: &mut Task, a: &Args) -> SysResult {
    instance(t, a[0] as i32)?.rm_watch(a[1] as i32)
}
