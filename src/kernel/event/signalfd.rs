//! signalfd(2): reading takes pending signals of a set from the reading
//! thread's queue and then its process's, as `struct signalfd_siginfo`.
//! The program normally blocks those signals so that they stay pending.
//!
//! A signalfd has no wait queue of its own: sending a signal notifies the
//! waker of the target task (every thread of the group for a process-wide
//! signal), so a reader or poller sleeping in `block_until` re-checks.

use std::sync::atomic::{AtomicU64, Ordering};

use super::anon_stat;
use crate::kernel::errno::Errno;
use crate::kernel::signal::{SigInfo, SI_KERNEL, SI_TIMER, SI_USER, UNBLOCKABLE};
use crate::kernel::task::TaskShared;
use crate::kernel::vfs::file::FileOps;
use crate::kernel::vfs::stat::Stat;
use crate::kernel::wait::{block_until, current};

/// Size of `struct signalfd_siginfo`.
pub const SIGINFO_SIZE: usize = 128;

/// A signalfd.
pub struct SignalFd {
    /// The signals it reads (never SIGKILL or SIGSTOP).
    mask: AtomicU64,
}

impl SignalFd {
    /// A signalfd for the signals in `mask`.
    pub fn new(mask: u64) -> SignalFd {
        SignalFd { mask: AtomicU64::new(mask & !UNBLOCKABLE) }
    }

    /// Replaces the set of signals (signalfd on an existing descriptor).
    pub fn set_mask(&self, mask: u64) {
        self.mask.store(mask & !UNBLOCKABLE, Ordering::Relaxed);
    }

    fn mask(&self) -> u64 {
        self.mask.load(Ordering::Relaxed)
    }

    /// Whether `task` has a signal of the set pending.
    fn pending(&self, task: &TaskShared) -> bool {
        let gs = task.tg.sig.lock().unwrap_or_else(|e| e.into_inner());
        let ts = task.sig.lock().unwrap_or_else(|e| e.into_inner());
        (ts.pending.mask() | gs.pending.mask()) & self.mask() != 0
    }

    /// Takes one pending signal of the set: the thread's first, as Linux.
    fn dequeue(&self, task: &TaskShared) -> Option<SigInfo> {
        let mask = self.mask();
        // Lock order: the group's signal state before the task's.
        let mut gs = task.tg.sig.lock().unwrap_or_else(|e| e.into_inner());
        let mut ts = task.sig.lock().unwrap_or_else(|e| e.into_inner());
        ts.pending.pop(mask).or_else(|| gs.pending.pop(mask))
    }
}

/// How the union of a `siginfo_t` is laid out (Linux's `siginfo_layout`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Layout {
    Kill,
    Timer,
    Poll,
    Fault,
    FaultMce,
    Chld,
    Rt,
    Sys,
}

fn layout(sig: i32, code: i32) -> Layout {
    const NSIGPOLL: i32 = 6;
    const SI_SIGIO: i32 = -5;
    if code > SI_USER && code < SI_KERNEL {
        // The highest si_code each signal defines for its own layout.
        let own = match sig {
            libc::SIGILL => Some((11, Layout::Fault)),
            libc::SIGFPE => Some((15, Layout::Fault)),
            libc::SIGSEGV => Some((10, Layout::Fault)),
            libc::SIGBUS => Some((5, Layout::Fault)),
            libc::SIGTRAP => Some((6, Layout::Fault)),
            libc::SIGCHLD => Some((6, Layout::Chld)),
            libc::SIGPOLL => Some((NSIGPOLL, Layout::Poll)),
            libc::SIGSYS => Some((2, Layout::Sys)),
            _ => None,
        };
        match own {
            Some((limit, l)) if code <= limit => {
                // BUS_MCEERR_AR, BUS_MCEERR_AO.
                if sig == libc::SIGBUS && (4..=5).contains(&code) {
                    Layout::FaultMce
                } else {
                    l
                }
            }
            _ if code <= NSIGPOLL => Layout::Poll,
            _ => Layout::Kill,
        }
    } else if code == SI_TIMER {
        Layout::Timer
    } else if code == SI_SIGIO {
        Layout::Poll
    } else if code < 0 {
        Layout::Rt
    } else {
        Layout::Kill
    }
}

/// Encodes `info` as a `struct signalfd_siginfo`, as Linux's
/// `signalfd_copyinfo` does.
pub fn encode(info: &SigInfo) -> [u8; SIGINFO_SIZE] {
    let s = &info.0;
    let mut o = [0u8; SIGINFO_SIZE];
    // (destination in signalfd_siginfo, source in siginfo_t, length)
    let mut copy = |dst: usize, src: usize, n: usize| o[dst..dst + n].copy_from_slice(&s[src..src + n]);
    copy(0, 0, 4); // ssi_signo
    copy(4, 4, 4); // ssi_errno
    copy(8, 8, 4); // ssi_code
    match layout(info.signo(), info.code()) {
        Layout::Kill => {
            copy(12, 16, 4); // ssi_pid
            copy(16, 20, 4); // ssi_uid
        }
        Layout::Timer => {
            copy(24, 16, 4); // ssi_tid
            copy(32, 20, 4); // ssi_overrun
            copy(48, 24, 8); // ssi_ptr
            copy(44, 24, 4); // ssi_int
        }
        Layout::Poll => {
            copy(28, 16, 4); // ssi_band (truncated, as Linux)
            copy(20, 24, 4); // ssi_fd
        }
        Layout::Fault => copy(72, 16, 8), // ssi_addr
        Layout::FaultMce => {
            copy(72, 16, 8); // ssi_addr
            copy(80, 24, 2); // ssi_addr_lsb
        }
        Layout::Chld => {
            copy(12, 16, 4); // ssi_pid
            copy(16, 20, 4); // ssi_uid
            copy(40, 24, 4); // ssi_status
            copy(56, 32, 8); // ssi_utime
            copy(64, 40, 8); // ssi_stime
        }
        Layout::Rt => {
            copy(12, 16, 4); // ssi_pid
            copy(16, 20, 4); // ssi_uid
            copy(48, 24, 8); // ssi_ptr
            copy(44, 24, 4); // ssi_int
        }
        Layout::Sys => {
            copy(88, 16, 8); // ssi_call_addr
            copy(84, 24, 4); // ssi_syscall
            copy(96, 28, 4); // ssi_arch
        }
    }
    o
}

/// The open file of a signalfd.
pub struct SignalFile(pub SignalFd);

impl FileOps for SignalFile {
    fn min_read(&self) -> usize {
        SIGINFO_SIZE
    }

    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.read_stream(buf, false)
    }

    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        let room = buf.len() / SIGINFO_SIZE;
        if room == 0 {
            return Err(Errno::EINVAL);
        }
        let task = current().ok_or(Errno::EINVAL)?;
        let sfd = &self.0;
        // A signal arriving notifies the task's waker; blocked signals do
        // not interrupt, so the queues are checked on every wake-up.
        let first = block_until(&[], None, || match sfd.dequeue(&task) {
            Some(info) => Some(Ok(info)),
            None => nonblock.then_some(Err(Errno::EAGAIN)),
        })?;
        buf[..SIGINFO_SIZE].copy_from_slice(&encode(&first));
        let mut n = 1;
        while n < room {
            let Some(info) = sfd.dequeue(&task) else { break };
            buf[n * SIGINFO_SIZE..(n + 1) * SIGINFO_SIZE].copy_from_slice(&encode(&info));
            n += 1;
        }
        Ok(n * SIGINFO_SIZE)
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(anon_stat())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn poll_ready(&self, events: i16) -> i16 {
        let ready = current().is_some_and(|t| self.0.pending(&t));
        if ready {
            (libc::POLLIN | libc::POLLRDNORM) & events
        } else {
            0
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_info_maps_pid_and_uid() {
        let o = encode(&SigInfo::user(libc::SIGUSR1, 42, 1000));
        assert_eq!(u32::from_ne_bytes(o[0..4].try_into().unwrap()), libc::SIGUSR1 as u32);
        assert_eq!(u32::from_ne_bytes(o[12..16].try_into().unwrap()), 42);
        assert_eq!(u32::from_ne_bytes(o[16..20].try_into().unwrap()), 1000);
    }

    #[test]
    fn child_info_maps_status() {
        let o = encode(&SigInfo::child(crate::kernel::signal::CLD_EXITED, 7, 0, 3));
        assert_eq!(i32::from_ne_bytes(o[8..12].try_into().unwrap()), 1);
        assert_eq!(u32::from_ne_bytes(o[12..16].try_into().unwrap()), 7);
        assert_eq!(i32::from_ne_bytes(o[40..44].try_into().unwrap()), 3);
    }

    #[test]
    fn layouts_follow_linux() {
        assert_eq!(layout(libc::SIGUSR1, SI_USER), Layout::Kill);
        assert_eq!(layout(libc::SIGUSR1, -6), Layout::Rt);
        assert_eq!(layout(libc::SIGALRM, SI_TIMER), Layout::Timer);
        assert_eq!(layout(libc::SIGSEGV, 1), Layout::Fault);
        assert_eq!(layout(libc::SIGUSR1, 3), Layout::Poll);
        assert_eq!(layout(libc::SIGTERM, SI_KERNEL), Layout::Kill);
    }
}
