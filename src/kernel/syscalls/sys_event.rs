//! Event descriptors: eventfd, epoll, timerfd, signalfd and memfd_create.
//! The files themselves are in `kernel::event`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::sys_futex::read_timespec;
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::event::epoll::{self, Epoll, EpollFile, EPOLL_CTL_DEL};
use crate::kernel::event::eventfd::EventFd;
use crate::kernel::event::signalfd::{SignalFd, SignalFile};
use crate::kernel::event::timerfd::{TimerFd, TimerFile};
use crate::kernel::event::{downcast, memfd};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::vfs::file::{FileOps, OpenFile};

/// Size of `struct epoll_event` on x86_64 (packed: u32 events, u64 data).
const EPOLL_EVENT_SIZE: u64 = 12;
/// Most events one epoll_wait may ask for (Linux's EP_MAX_EVENTS).
const EP_MAX_EVENTS: i64 = (i32::MAX as u64 / EPOLL_EVENT_SIZE) as i64;

const EFD_SEMAPHORE: i32 = 1;
const TFD_TIMER_ABSTIME: i32 = 1;
const TFD_TIMER_CANCEL_ON_SET: i32 = 2;

/// Installs a new anonymous-inode file (`anon_inode:[kind]`), read-write.
fn install(t: &Task, ops: Box<dyn FileOps>, name: &str, flags: i32) -> SysResult {
    let status = libc::O_RDWR as u32 | (flags & libc::O_NONBLOCK) as u32;
    let file = Arc::new(OpenFile::new(ops, name.as_bytes().to_vec(), status));
    let limit = t.rlimit(libc::RLIMIT_NOFILE) as usize;
    t.tg.fds.install(file, flags & libc::O_CLOEXEC != 0, 0, limit).map(|fd| fd as u64)
}

/// The shared body of eventfd(2) and eventfd2(2).
fn do_eventfd(t: &Task, initval: u32, flags: i32) -> SysResult {
    if flags & !(EFD_SEMAPHORE | libc::O_CLOEXEC | libc::O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let efd = EventFd::new(initval, flags & EFD_SEMAPHORE != 0);
    install(t, Box::new(efd), "anon_inode:[eventfd]", flags)
}

/// Implements eventfd(2).
pub fn eventfd(t: &mut Task, a: &Args) -> SysResult {
    do_eventfd(t, a[0] as u32, 0)
}

/// Implements eventfd2(2).
pub fn eventfd2(t: &mut Task, a: &Args) -> SysResult {
    do_eventfd(t, a[0] as u32, a[1] as i32)
}

/// Implements epoll_create(2): `size` only has to be positive.
pub fn epoll_create(t: &mut Task, a: &Args) -> SysResult {
    if a[0] as i32 <= 0 {
        return Err(Errno::EINVAL);
    }
    install(t, Box::new(EpollFile(Epoll::new())), "anon_inode:[eventpoll]", 0)
}

/// Implements epoll_create1(2).
pub fn epoll_create1(t: &mut Task, a: &Args) -> SysResult {
    let flags = a[0] as i32;
    if flags & !libc::O_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    install(t, Box::new(EpollFile(Epoll::new())), "anon_inode:[eventpoll]", flags)
}

/// The epoll behind descriptor `epfd` (EBADF, or EINVAL if not an epoll).
fn epoll_of(t: &Task, epfd: i32) -> Result<Arc<Epoll>, Errno> {
    let f = t.file(epfd)?;
    downcast::<EpollFile>(&f).map(|e| e.0.clone()).ok_or(Errno::EINVAL)
}

/// Implements epoll_ctl(2), with Linux's order of checks.
pub fn epoll_ctl(t: &mut Task, a: &Args) -> SysResult {
    let (epfd, op, fd, ev_addr) = (a[0] as i32, a[1] as i32, a[2] as i32, a[3]);
    let event = if op != EPOLL_CTL_DEL {
        let mut b = [0u8; EPOLL_EVENT_SIZE as usize];
        t.mem().read_bytes(ev_addr, &mut b)?;
        let events = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
        let data = u64::from_ne_bytes([b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11]]);
        Some((events, data))
    } else {
        None
    };
    let ep_file = t.file(epfd)?;
    let target = t.file(fd)?;
    if !epoll::can_watch(&target)? {
        return Err(Errno::EPERM);
    }
    if Arc::ptr_eq(&ep_file, &target) {
        return Err(Errno::EINVAL);
    }
    let ep = downcast::<EpollFile>(&ep_file).ok_or(Errno::EINVAL)?.0.clone();
    ep.ctl(op, fd, &target, event).map(|_| 0)
}

/// The shared body of the epoll_wait family: checks, waits, copies out.
fn do_epoll_wait(t: &Task, epfd: i32, addr: u64, max: i32, timeout: Option<Duration>) -> SysResult {
    let max = max as i64;
    if max <= 0 || max > EP_MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let len = max as u64 * EPOLL_EVENT_SIZE;
    match addr.checked_add(len) {
        Some(end) if end <= crate::platform::stub::TASK_SIZE_MAX => {}
        _ => return Err(Errno::EFAULT),
    }
    let ep = epoll_of(t, epfd)?;
    let deadline = timeout.map(|d| Instant::now() + d);
    let events = ep.wait(max as usize, deadline)?;
    let mut out = Vec::with_capacity(events.len() * EPOLL_EVENT_SIZE as usize);
    for (ev, data) in &events {
        out.extend_from_slice(&ev.to_ne_bytes());
        out.extend_from_slice(&data.to_ne_bytes());
    }
    t.mem().write_bytes(addr, &out)?;
    Ok(events.len() as u64)
}

/// Runs `f` with the signal mask replaced (epoll_pwait, epoll_pwait2). If a
/// signal interrupted it (EINTR), the old mask comes back only once the
/// handler has been set up, as in Linux.
fn with_sigmask(t: &mut Task, mask_addr: u64, size: u64, f: impl FnOnce(&mut Task) -> SysResult) -> SysResult {
    if mask_addr == 0 {
        return f(t);
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let mask = t.mem().read_u64(mask_addr)?;
    let old = t.sigmask();
    t.set_sigmask(mask);
    let r = f(t);
    if matches!(r, Err(Errno::EINTR)) {
        t.saved_mask = Some(old);
    } else {
        t.set_sigmask(old);
    }
    r
}

fn ms_timeout(ms: i32) -> Option<Duration> {
    (ms >= 0).then(|| Duration::from_millis(ms as u64))
}

/// Implements epoll_wait(2).
pub fn epoll_wait(t: &mut Task, a: &Args) -> SysResult {
    do_epoll_wait(t, a[0] as i32, a[1], a[2] as i32, ms_timeout(a[3] as i32))
}

/// Implements epoll_pwait(2).
pub fn epoll_pwait(t: &mut Task, a: &Args) -> SysResult {
    let (epfd, addr, max, timeout) = (a[0] as i32, a[1], a[2] as i32, ms_timeout(a[3] as i32));
    with_sigmask(t, a[4], a[5], |t| do_epoll_wait(t, epfd, addr, max, timeout))
}

/// Implements epoll_pwait2(2): the timeout is a timespec (NULL: forever).
pub fn epoll_pwait2(t: &mut Task, a: &Args) -> SysResult {
    let (epfd, addr, max) = (a[0] as i32, a[1], a[2] as i32);
    let timeout = if a[3] != 0 { Some(read_timespec(t, a[3])?) } else { None };
    with_sigmask(t, a[4], a[5], |t| do_epoll_wait(t, epfd, addr, max, timeout))
}

/// Implements timerfd_create(2). The alarm clocks are served as their
/// plain clocks (nothing in a sandbox suspends the machine), for callers
/// with CAP_WAKE_ALARM (root), as Linux.
pub fn timerfd_create(t: &mut Task, a: &Args) -> SysResult {
    let (clock, flags) = (a[0] as i32, a[1] as i32);
    if flags & !(libc::O_CLOEXEC | libc::O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let host_clock = match clock {
        libc::CLOCK_REALTIME | libc::CLOCK_MONOTONIC | libc::CLOCK_BOOTTIME => clock,
        libc::CLOCK_REALTIME_ALARM | libc::CLOCK_BOOTTIME_ALARM => {
            if t.creds().euid != 0 {
                return Err(Errno::EPERM);
            }
            if clock == libc::CLOCK_REALTIME_ALARM {
                libc::CLOCK_REALTIME
            } else {
                libc::CLOCK_BOOTTIME
            }
        }
        _ => return Err(Errno::EINVAL),
    };
    install(t, Box::new(TimerFile(TimerFd::new(host_clock))), "anon_inode:[timerfd]", flags)
}

/// The timerfd behind descriptor `fd` (EBADF, or EINVAL if not a timerfd).
fn timerfd_of(t: &Task, fd: i32) -> Result<Arc<TimerFd>, Errno> {
    let f = t.file(fd)?;
    downcast::<TimerFile>(&f).map(|x| x.0.clone()).ok_or(Errno::EINVAL)
}

/// Writes a `struct itimerspec` (interval first, then value).
fn write_itimerspec(t: &Task, addr: u64, (value, interval): (Duration, Duration)) -> Result<(), Errno> {
    let mut b = [0u8; 32];
    b[0..8].copy_from_slice(&interval.as_secs().to_ne_bytes());
    b[8..16].copy_from_slice(&(interval.subsec_nanos() as u64).to_ne_bytes());
    b[16..24].copy_from_slice(&value.as_secs().to_ne_bytes());
    b[24..32].copy_from_slice(&(value.subsec_nanos() as u64).to_ne_bytes());
    t.mem().write_bytes(addr, &b)
}

/// Implements timerfd_settime(2). TFD_TIMER_CANCEL_ON_SET is accepted;
/// the sandbox cannot set the clock, so it never cancels.
pub fn timerfd_settime(t: &mut Task, a: &Args) -> SysResult {
    let (fd, flags, new_addr, old_addr) = (a[0] as i32, a[1] as i32, a[2], a[3]);
    let mut raw = [0u8; 32];
    t.mem().read_bytes(new_addr, &mut raw)?;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL);
    }
    let interval = read_timespec(t, new_addr)?;
    let value = read_timespec(t, new_addr + 16)?;
    let timer = timerfd_of(t, fd)?;
    let old = timer.set(value, interval, flags & TFD_TIMER_ABSTIME != 0);
    if old_addr != 0 {
        write_itimerspec(t, old_addr, old)?;
    }
    Ok(0)
}

/// Implements timerfd_gettime(2).
pub fn timerfd_gettime(t: &mut Task, a: &Args) -> SysResult {
    let timer = timerfd_of(t, a[0] as i32)?;
    write_itimerspec(t, a[1], timer.get())?;
    Ok(0)
}

/// The shared body of signalfd(2) and signalfd4(2).
fn do_signalfd(t: &Task, fd: i32, mask_addr: u64, size: u64, flags: i32) -> SysResult {
    if flags & !(libc::O_CLOEXEC | libc::O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let mask = t.mem().read_u64(mask_addr)?;
    if fd == -1 {
        return install(t, Box::new(SignalFile(SignalFd::new(mask))), "anon_inode:[signalfd]", flags);
    }
    let f = t.file(fd)?;
    let sfd = downcast::<SignalFile>(&f).ok_or(Errno::EINVAL)?;
    sfd.0.set_mask(mask);
    // Pollers and readers of this thread re-check with the new set.
    t.shared.waker.notify();
    Ok(fd as u64)
}

/// Implements signalfd(2).
pub fn signalfd(t: &mut Task, a: &Args) -> SysResult {
    do_signalfd(t, a[0] as i32, a[1], a[2], 0)
}

/// Implements signalfd4(2).
pub fn signalfd4(t: &mut Task, a: &Args) -> SysResult {
    do_signalfd(t, a[0] as i32, a[1], a[2], a[3] as i32)
}

/// Implements memfd_create(2).
pub fn memfd_create(t: &mut Task, a: &Args) -> SysResult {
    let flags = a[1] as u32;
    // The name is copied first (EFAULT, EINVAL when too long), as Linux.
    let name = match t.mem().read_cstring(a[0], memfd::NAME_MAX) {
        Ok(n) => n,
        Err(Errno::ENAMETOOLONG) => return Err(Errno::EINVAL),
        Err(e) => return Err(e),
    };
    let creds = t.fs_creds();
    let (file, path) = memfd::create(&name, flags, creds.euid, creds.egid)?;
    // memfd_create sets O_LARGEFILE, as open(2) does.
    let status = (libc::O_RDWR | super::sys_path::O_LARGEFILE) as u32;
    let file = Arc::new(OpenFile::new(Box::new(file), path, status));
    let limit = t.rlimit(libc::RLIMIT_NOFILE) as usize;
    t.tg.fds.install(file, flags & memfd::MFD_CLOEXEC != 0, 0, limit).map(|fd| fd as u64)
}
