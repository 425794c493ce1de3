//! eventfd(2): a 64-bit counter that `write` adds to and `read` takes, all
//! of it, or one at a time in semaphore mode (EFD_SEMAPHORE).

use std::sync::Mutex;

use super::{anon_stat, u64_from};
use crate::kernel::errno::Errno;
use crate::kernel::vfs::file::FileOps;
use crate::kernel::vfs::stat::Stat;
use crate::kernel::wait::{block_until, WaitQueue};

/// The largest value the counter may hold.
const MAX_COUNT: u64 = u64::MAX - 1;

/// An eventfd. Shared by the descriptors of its open file.
pub struct EventFd {
    /// The counter.
    count: Mutex<u64>,
    /// EFD_SEMAPHORE: a read takes 1, not the whole count.
    semaphore: bool,
    /// Notified on every change of the counter.
    queue: WaitQueue,
}

impl EventFd {
    /// A new eventfd holding `initval`.
    pub fn new(initval: u32, semaphore: bool) -> EventFd {
        EventFd { count: Mutex::new(initval as u64), semaphore, queue: WaitQueue::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        self.count.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl FileOps for EventFd {
    fn min_read(&self) -> usize {
        8
    }

    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.read_stream(buf, false)
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        self.write_stream(buf, false)
    }

    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let v = block_until(&[&self.queue], None, || {
            let mut c = self.lock();
            if *c > 0 {
                let v = if self.semaphore { 1 } else { *c };
                *c -= v;
                return Some(Ok(v));
            }
            nonblock.then_some(Err(Errno::EAGAIN))
        })?;
        buf[..8].copy_from_slice(&v.to_ne_bytes());
        self.queue.notify_events((libc::POLLOUT | libc::POLLWRNORM) as u32);
        Ok(8)
    }

    fn write_stream(&self, buf: &[u8], nonblock: bool) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let v = u64_from(buf);
        if v == u64::MAX {
            return Err(Errno::EINVAL);
        }
        block_until(&[&self.queue], None, || {
            let mut c = self.lock();
            if MAX_COUNT - *c >= v {
                *c += v;
                return Some(Ok(()));
            }
            nonblock.then_some(Err(Errno::EAGAIN))
        })?;
        self.queue.notify_events((libc::POLLIN | libc::POLLRDNORM) as u32);
        Ok(8)
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(anon_stat())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn poll_ready(&self, events: i16) -> i16 {
        let c = *self.lock();
        let mut r = 0;
        if c > 0 {
            r |= libc::POLLIN | libc::POLLRDNORM;
        }
        if c < MAX_COUNT {
            r |= libc::POLLOUT | libc::POLLWRNORM;
        }
        if c == u64::MAX {
            r |= libc::POLLERR;
        }
        r & (events | libc::POLLERR | libc::POLLHUP)
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.queue)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(e: &EventFd) -> Result<u64, Errno> {
        let mut b = [0u8; 8];
        e.read_stream(&mut b, true).map(|_| u64::from_ne_bytes(b))
    }

    fn write(e: &EventFd, v: u64) -> Result<usize, Errno> {
        e.write_stream(&v.to_ne_bytes(), true)
    }

    #[test]
    fn counter_adds_and_drains() {
        let e = EventFd::new(2, false);
        assert_eq!(write(&e, 3), Ok(8));
        assert_eq!(read(&e), Ok(5));
        assert_eq!(read(&e), Err(Errno::EAGAIN));
    }

    #[test]
    fn semaphore_takes_one() {
        let e = EventFd::new(2, true);
        assert_eq!(read(&e), Ok(1));
        assert_eq!(read(&e), Ok(1));
        assert_eq!(read(&e), Err(Errno::EAGAIN));
    }

    #[test]
    fn overflow_and_limits() {
        let e = EventFd::new(0, false);
        assert_eq!(write(&e, u64::MAX), Err(Errno::EINVAL));
        assert_eq!(write(&e, MAX_COUNT), Ok(8));
        assert_eq!(e.poll_ready(libc::POLLIN | libc::POLLOUT), libc::POLLIN);
        assert_eq!(write(&e, 1), Err(Errno::EAGAIN));
        assert_eq!(e.write_stream(&[0; 4], true), Err(Errno::EINVAL));
    }
}
