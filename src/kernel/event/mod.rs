//! Event files: eventfd, epoll, timerfd, signalfd and pidfd (anonymous-inode
//! files that exist only as open files), and memfd_create's files.
//!
//! Each kind implements `FileOps`; blocking reads go through
//! `wait::block_until`, readiness through `poll_ready`/`poll_queue`, so
//! `poll`, `select` and epoll see them like pipes. The syscalls are in
//! `syscalls/sys_event.rs`.
//!
//! Lock order: `Epoll::state` of an outer epoll before that of an epoll it
//! watches (nesting is acyclic, ELOOP); any file's own lock after an
//! `Epoll::state`. Epoll item callbacks (`Wakeable::wake`) take only
//! `Epoll::ready` and the epoll's `WaitQueue`, which nothing holds while
//! notifying, so a file may notify its queue with its own lock held.

pub mod epoll;
pub mod eventfd;
pub mod inotify;
pub mod memfd;
pub mod pidfd;
pub mod signalfd;
pub mod timerfd;

use std::sync::{Arc, OnceLock};

use crate::kernel::vfs::file::OpenFile;
use crate::kernel::vfs::stat::{now, Stat};

/// Device number of the anonymous-inode file system (Linux's anon_inodefs
/// is an unnamed device too).
const ANON_INODE_DEV: u64 = 0xf;

/// Inode number every anonymous-inode file shares, as in Linux.
const ANON_INODE_INO: u64 = 1;

/// The `stat` of an anonymous-inode file: Linux has one such inode, made
/// at boot, mode 0600 without a file type and owned by root.
pub fn anon_stat() -> Stat {
    static BORN: OnceLock<(i64, i64)> = OnceLock::new();
    let t = *BORN.get_or_init(now);
    Stat {
        dev: ANON_INODE_DEV,
        ino: ANON_INODE_INO,
        mode: 0o600,
        nlink: 1,
        blksize: 4096,
        atime: t,
        mtime: t,
        ctime: t,
        ..Default::default()
    }
}

/// The concrete event file behind `file`, if it is a `T`.
pub fn downcast<T: 'static>(file: &Arc<OpenFile>) -> Option<&T> {
    file.ops.as_any()?.downcast_ref::<T>()
}

/// Reads a `u64` from the first 8 bytes of `buf` (event counters).
fn u64_from(buf: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[..8]);
    u64::from_ne_bytes(b)
}
