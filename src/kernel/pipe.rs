//! Pipes: a 64 KiB buffer (resizable with F_SETPIPE_SZ), writes of up to
//! PIPE_BUF bytes atomic, EOF once every writer is gone, EPIPE (and the
//! caller's SIGPIPE) once every reader is gone.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::vfs::file::FileOps;
use crate::kernel::vfs::stat::{now, Stat};
use crate::kernel::wait::{block_until, WaitQueue};

/// Writes up to this size are atomic.
pub const PIPE_BUF: usize = 4096;
/// Default capacity, as Linux.
pub const DEFAULT_CAPACITY: usize = 65536;
/// Largest capacity an unprivileged F_SETPIPE_SZ may ask for (pipe-max-size).
pub const MAX_CAPACITY: usize = 1 << 20;

/// Device number reported for pipes (Linux's pipefs is anonymous too).
const PIPEFS_DEV: u64 = 0xd;

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

struct State {
    buf: VecDeque<u8>,
    capacity: usize,
    readers: usize,
    writers: usize,
}

/// The shared part of a pipe.
pub struct Pipe {
    /// Buffer and end counts.
    state: Mutex<State>,
    /// Notified on every change: data, space, an end closing.
    queue: WaitQueue,
    ino: u64,
    ctime: (i64, i64),
}

impl Pipe {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One end of a pipe. Dropping it (when the last descriptor of its open
/// file closes) closes that end.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    writer: bool,
}

/// Creates a pipe and returns its (read, write) ends.
pub fn new_pipe() -> (PipeEnd, PipeEnd) {
    let pipe = Arc::new(Pipe {
        state: Mutex::new(State { buf: VecDeque::new(), capacity: DEFAULT_CAPACITY, readers: 1, writers: 1 }),
        queue: WaitQueue::default(),
        ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
        ctime: now(),
    });
    (PipeEnd { pipe: pipe.clone(), writer: false }, PipeEnd { pipe, writer: true })
}

impl PipeEnd {
    /// The `pipe:[ino]` name `/proc/<pid>/fd` shows.
    pub fn name(&self) -> Vec<u8> {
        format!("pipe:[{}]", self.pipe.ino).into_bytes()
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        {
            let mut st = self.pipe.lock();
            if self.writer {
                st.writers -= 1;
            } else {
                st.readers -= 1;
            }
        }
        self.pipe.queue.notify_all();
    }
}

impl FileOps for PipeEnd {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.read_stream(buf, false)
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        self.write_stream(buf, false)
    }

    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        if self.writer {
            return Err(Errno::EBADF);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let p = &self.pipe;
        let r = block_until(&[&p.queue], None, || {
            let mut st = p.lock();
            if !st.buf.is_empty() {
                let n = buf.len().min(st.buf.len());
                for (d, s) in buf[..n].iter_mut().zip(st.buf.drain(..n)) {
                    *d = s;
                }
                return Some(Ok(n));
            }
            if st.writers == 0 {
                return Some(Ok(0));
            }
            if nonblock {
                return Some(Err(Errno::EAGAIN));
            }
            None
        });
        if matches!(r, Ok(n) if n > 0) {
            p.queue.notify_all();
        }
        r
    }

    fn write_stream(&self, buf: &[u8], nonblock: bool) -> Result<usize, Errno> {
        if !self.writer {
            return Err(Errno::EBADF);
        }
        let p = &self.pipe;
        let atomic = buf.len() <= PIPE_BUF;
        let mut done = 0usize;
        loop {
            let r = block_until(&[&p.queue], None, || {
                let mut st = p.lock();
                if st.readers == 0 {
                    return Some(Err(Errno::EPIPE));
                }
                let space = st.capacity.saturating_sub(st.buf.len());
                let want = buf.len() - done;
                if (atomic && space >= want) || (!atomic && space > 0) {
                    let n = want.min(space);
                    st.buf.extend(&buf[done..done + n]);
                    return Some(Ok(n));
                }
                if nonblock {
                    return Some(Err(Errno::EAGAIN));
                }
                None
            });
            match r {
                Ok(n) => {
                    done += n;
                    p.queue.notify_all();
                    if done == buf.len() {
                        return Ok(done);
                    }
                    if nonblock {
                        // Take what fits, as Linux does for large writes.
                        continue;
                    }
                }
                Err(e) if done > 0 && e != Errno::EPIPE => return Ok(done),
                Err(Errno::EAGAIN) if done > 0 => return Ok(done),
                Err(e) => return Err(e),
            }
        }
    }

    fn stat(&self) -> Result<Stat, Errno> {
        let t = self.pipe.ctime;
        Ok(Stat {
            dev: PIPEFS_DEV,
            ino: self.pipe.ino,
            mode: libc::S_IFIFO | 0o600,
            nlink: 1,
            blksize: 4096,
            atime: t,
            mtime: t,
            ctime: t,
            ..Default::default()
        })
    }

    fn seekable(&self) -> bool {
        false
    }

    fn poll_ready(&self, events: i16) -> i16 {
        let st = self.pipe.lock();
        let mut r = 0;
        if self.writer {
            if st.readers == 0 {
                r |= libc::POLLERR;
            } else if st.capacity.saturating_sub(st.buf.len()) >= PIPE_BUF {
                r |= libc::POLLOUT | libc::POLLWRNORM;
            }
        } else {
            if !st.buf.is_empty() {
                r |= libc::POLLIN | libc::POLLRDNORM;
            }
            if st.writers == 0 {
                r |= libc::POLLHUP;
            }
        }
        r & (events | libc::POLLERR | libc::POLLHUP)
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pipe.queue)
    }

    fn ioctl(&self, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        match req {
            libc::FIONREAD => {
                let n = self.pipe.lock().buf.len();
                mem.write_u32(arg, n as u32)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn pipe_size(&self, new: Option<u64>) -> Result<u64, Errno> {
        let mut st = self.pipe.lock();
        if let Some(n) = new {
            let n = usize::try_from(n).map_err(|_| Errno::EINVAL)?;
            if n > MAX_CAPACITY {
                return Err(Errno::EPERM);
            }
            // Rounded up to a power of two pages, at least one page.
            let size = n.max(4096).next_power_of_two();
            if size < st.buf.len() {
                return Err(Errno::EBUSY);
            }
            st.capacity = size;
            drop(st);
            self.pipe.queue.notify_all();
            return Ok(size as u64);
        }
        Ok(st.capacity as u64)
    }
}
