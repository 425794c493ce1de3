//! Console mode: the caller's own terminal passed through as the
//! container's stdio. The host's line discipline does the editing and
//! echo; the sentry keeps the job-control state (session, foreground
//! process group) itself, serves the job-control ioctls, applies the
//! SIGTTIN/SIGTTOU rules, and the host side forwards the terminal's signals
//! (SIGINT, SIGQUIT, SIGTSTP, SIGWINCH) to the foreground process group.

use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex, Weak};

use super::job::{self, JobState, Terminal};
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::vfs::file::{FileOps, HostStream};
use crate::kernel::vfs::stat::Stat;
use crate::kernel::wait::WaitQueue;
use crate::kernel::Kernel;

/// The caller's terminal, as the sandbox's console.
pub struct HostConsole {
    job: Mutex<JobState>,
    kernel: Weak<Kernel>,
    /// A descriptor of the terminal, to open it again (`/dev/tty`).
    fd: OwnedFd,
}

impl HostConsole {
    /// Wraps the host terminal `fd` (kept open for reopening).
    pub fn new(fd: OwnedFd, kernel: Weak<Kernel>) -> Arc<HostConsole> {
        Arc::new(HostConsole { job: Mutex::new(JobState::default()), kernel, fd })
    }

    /// A sandbox file on the host terminal descriptor `fd`.
    pub fn file(self: &Arc<Self>, fd: OwnedFd) -> Box<dyn FileOps> {
        Box::new(ConsoleFile { console: self.clone(), stream: HostStream::new(fd) })
    }

    /// The foreground process group, if any.
    pub fn foreground(&self) -> Option<i32> {
        self.job.lock().unwrap_or_else(|e| e.into_inner()).fg()
    }
}

impl Terminal for HostConsole {
    fn job(&self) -> &Mutex<JobState> {
        &self.job
    }

    fn reopen(self: Arc<Self>, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        let fd = self.fd.try_clone().map_err(Errno::from)?;
        Ok(self.file(fd))
    }

    fn kernel(&self) -> Option<Arc<Kernel>> {
        self.kernel.upgrade()
    }

    fn name(&self) -> String {
        "console".into()
    }

    fn rdev(&self) -> u64 {
        let (major, minor) = crate::kernel::vfs::upper::DevKind::Console.numbers();
        crate::kernel::vfs::stat::makedev(major, minor)
    }
}

/// One descriptor of the console.
struct ConsoleFile {
    console: Arc<HostConsole>,
    stream: HostStream,
}

/// Terminal requests passed to the host terminal as they are (the argument
/// is a struct of the given size, copied in or out).
fn host_request(req: u64) -> Option<(usize, bool)> {
    // (size, copies into the sandbox)
    match req {
        libc::TCGETS => Some((36, true)),
        libc::TCGETS2 => Some((44, true)),
        libc::TCSETS | libc::TCSETSW | libc::TCSETSF => Some((36, false)),
        libc::TCSETS2 | libc::TCSETSW2 | libc::TCSETSF2 => Some((44, false)),
        libc::TIOCGWINSZ => Some((8, true)),
        libc::TIOCSWINSZ => Some((8, false)),
        libc::FIONREAD | libc::TIOCOUTQ => Some((4, true)),
        _ => None,
    }
}

impl FileOps for ConsoleFile {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.read_stream(buf, false)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        self.write_stream(buf, false)
    }
    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        job::check_read(self.console.as_ref())?;
        self.stream.read_stream(buf, nonblock)
    }
    fn write_stream(&self, buf: &[u8], nonblock: bool) -> Result<usize, Errno> {
        if self.tostop()? {
            job::check_write(self.console.as_ref())?;
        }
        self.stream.write_stream(buf, nonblock)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        self.stream.stat()
    }
    fn seekable(&self) -> bool {
        false
    }
    fn poll_host_fd(&self) -> Option<std::os::fd::RawFd> {
        self.stream.poll_host_fd()
    }
    fn poll_queue(&self) -> Option<&WaitQueue> {
        None
    }
    fn ioctl(&self, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        let term: Arc<dyn Terminal> = self.console.clone();
        if let Some(r) = job::ioctl(term, req, arg, mem) {
            return r;
        }
        match req {
            libc::TCFLSH | libc::TCXONC | libc::TCSBRK | libc::TCSBRKP | libc::TIOCSBRK | libc::TIOCCBRK => {
                // Changes to the terminal: a background group stops first.
                job::check_write(self.console.as_ref())?;
                // SAFETY: these take an integer argument (or none), no pointer.
                let r = unsafe { libc::ioctl(self.host_fd(), req as _, arg as libc::c_ulong) };
                return if r < 0 { Err(Errno::last()) } else { Ok(r as u64) };
            }
            _ => {}
        }
        let (size, out) = host_request(req).ok_or(Errno::ENOTTY)?;
        if !out && req != libc::TIOCSWINSZ {
            job::check_write(self.console.as_ref())?;
        }
        let mut buf = vec![0u8; size];
        if !out {
            mem.read_bytes(arg, &mut buf)?;
        }
        // SAFETY: the request takes a pointer to a struct of `size` bytes,
        // which `buf` is.
        let r = unsafe { libc::ioctl(self.host_fd(), req as _, buf.as_mut_ptr()) };
        if r < 0 {
            return Err(Errno::last());
        }
        if out {
            mem.write_bytes(arg, &buf)?;
        }
        Ok(r as u64)
    }
}

impl ConsoleFile {
    fn host_fd(&self) -> i32 {
        self.stream.poll_host_fd().unwrap_or(-1)
    }

    /// Whether the host terminal has TOSTOP set.
    fn tostop(&self) -> Result<bool, Errno> {
        let mut t = [0u8; 36];
        // SAFETY: TCGETS writes 36 bytes into our buffer.
        let r = unsafe { libc::ioctl(self.host_fd(), libc::TCGETS, t.as_mut_ptr()) };
        if r < 0 {
            return Ok(false);
        }
        let lflag = u32::from_ne_bytes([t[12], t[13], t[14], t[15]]);
        Ok(lflag & super::termios::TOSTOP != 0)
    }
}
