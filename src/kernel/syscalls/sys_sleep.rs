//! Sleeping: nanosleep, clock_nanosleep and restart_syscall.

use std::time::Instant;

use super::sys_futex::{deadline_from_abs, read_timespec};
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::{RestartBlock, Task};
use crate::kernel::wait::sleep_until;

const TIMER_ABSTIME: u64 = 1;

/// Sleeps until `deadline`. Interrupted, it writes the time left to
/// `rem_addr` and asks for a restart through restart_syscall.
fn sleep_relative(t: &mut Task, deadline: Instant, rem_addr: u64) -> SysResult {
    match sleep_until(Some(deadline)) {
        Ok(()) => Ok(0),
        Err(Errno::ERESTARTSYS) => {
            let left = deadline.saturating_duration_since(Instant::now());
            if rem_addr != 0 {
                t.mem().write_u64(rem_addr, left.as_secs())?;
                t.mem().write_u64(rem_addr + 8, left.subsec_nanos() as u64)?;
            }
            t.restart = Some(RestartBlock { deadline, rem_addr });
            Err(Errno::ERESTART_RESTARTBLOCK)
        }
        Err(e) => Err(e),
    }
}

/// Implements nanosleep(2) (CLOCK_MONOTONIC, as Linux).
pub fn nanosleep(t: &mut Task, a: &Args) -> SysResult {
    let d = read_timespec(t, a[0])?;
    sleep_relative(t, Instant::now() + d, a[1])
}

/// Implements clock_nanosleep(2).
pub fn clock_nanosleep(t: &mut Task, a: &Args) -> SysResult {
    let (clock, flags, req, rem) = (a[0] as i32, a[1], a[2], a[3]);
    match clock {
        libc::CLOCK_REALTIME | libc::CLOCK_MONOTONIC | libc::CLOCK_BOOTTIME | libc::CLOCK_TAI => {}
        libc::CLOCK_THREAD_CPUTIME_ID => return Err(Errno::EINVAL),
        libc::CLOCK_PROCESS_CPUTIME_ID => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EINVAL),
    }
    let d = read_timespec(t, req)?;
    if flags & TIMER_ABSTIME != 0 {
        let host_clock = if clock == libc::CLOCK_TAI { libc::CLOCK_REALTIME } else { clock };
        return match sleep_until(Some(deadline_from_abs(d, host_clock))) {
            Ok(()) => Ok(0),
            // An absolute sleep simply runs again with the same arguments.
            Err(Errno::ERESTARTSYS) => Err(Errno::ERESTARTNOHAND),
            Err(e) => Err(e),
        };
    }
    sleep_relative(t, Instant::now() + d, rem)
}

/// Implements restart_syscall(2): resumes an interrupted sleep.
pub fn restart_syscall(t: &mut Task, _: &Args) -> SysResult {
    match t.restart.take() {
        Some(r) => sleep_relative(t, r.deadline, r.rem_addr),
        None => Err(Errno::EINTR),
    }
}
