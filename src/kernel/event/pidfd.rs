//! pidfd_open(2)'s files: a descriptor naming a process. It polls readable
//! once the process has exited (and hung up once it is reaped too), takes
//! signals (pidfd_send_signal) and is waited for (waitid P_PIDFD). It holds
//! the process's record, as Linux's holds its `struct pid`, so the number
//! cannot name another process later.

use std::sync::Arc;

use super::anon_stat;
use crate::kernel::errno::Errno;
use crate::kernel::task::{Task, ThreadGroup};
use crate::kernel::vfs::file::FileOps;
use crate::kernel::vfs::file::OpenFile;
use crate::kernel::vfs::stat::Stat;
use crate::kernel::wait::WaitQueue;

/// A pidfd.
pub struct PidFd(pub Arc<ThreadGroup>);

/// Opens a pidfd for `g` in `t`'s descriptor table (close-on-exec, as
/// every pidfd); `status` may add O_NONBLOCK.
pub fn install(t: &Task, g: Arc<ThreadGroup>, status: u32) -> Result<i32, Errno> {
    let file =
        Arc::new(OpenFile::new(Box::new(PidFd(g)), b"anon_inode:[pidfd]".to_vec(), libc::O_RDWR as u32 | status));
    let limit = t.rlimit(libc::RLIMIT_NOFILE) as usize;
    t.tg.fds.install(file, true, 0, limit)
}

impl PidFd {
    /// Whether the process has exited (a zombie, or gone).
    pub fn exited(&self) -> bool {
        crate::kernel::task::procs::is_zombie(&self.0)
    }

    /// Whether the process is gone (reaped): its number names nothing.
    pub fn reaped(&self) -> bool {
        self.0.life.lock().unwrap_or_else(|e| e.into_inner()).reaped
    }
}

impl FileOps for PidFd {
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(anon_stat())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn poll_ready(&self, events: i16) -> i16 {
        let mut r = 0;
        if self.exited() {
            r |= libc::POLLIN | libc::POLLRDNORM;
        }
        if self.reaped() {
            r |= libc::POLLHUP;
        }
        r & (events | libc::POLLERR | libc::POLLHUP)
    }

    /// Notified when the process exits and when it is reaped.
    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.0.stop_queue)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
