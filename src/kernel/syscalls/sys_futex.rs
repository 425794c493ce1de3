//! futex(2) and futex_waitv(2).

use std::time::{Duration, Instant};

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::futex::{FutexKey, WaitResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;

const FUTEX_WAIT: i32 = 0;
const FUTEX_WAKE: i32 = 1;
const FUTEX_REQUEUE: i32 = 3;
const FUTEX_CMP_REQUEUE: i32 = 4;
const FUTEX_WAKE_OP: i32 = 5;
const FUTEX_WAIT_BITSET: i32 = 9;
const FUTEX_WAKE_BITSET: i32 = 10;
const FUTEX_PRIVATE_FLAG: i32 = 128;
const FUTEX_CLOCK_REALTIME: i32 = 256;

fn key(t: &Task, addr: u64, op: i32) -> Result<FutexKey, Errno> {
    if !addr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    Ok(t.mm().futex_key(addr, op & FUTEX_PRIVATE_FLAG != 0))
}

/// Reads a `struct timespec`, rejecting values Linux rejects.
pub fn read_timespec(t: &Task, addr: u64) -> Result<Duration, Errno> {
    let [sec, nsec] = t.mem().read_u64s::<2>(addr)?.map(|w| w as i64);
    timespec_duration(sec, nsec)
}

/// A timespec's fields as a duration; EINVAL for what Linux rejects.
pub fn timespec_duration(sec: i64, nsec: i64) -> Result<Duration, Errno> {
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(sec as u64, nsec as u32))
}

fn clock_now(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into our local.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Converts an absolute time on `clock` to an `Instant`.
pub fn deadline_from_abs(abs: Duration, clock: libc::clockid_t) -> Instant {
    let now = clock_now(clock);
    Instant::now() + abs.saturating_sub(now)
}

/// Implements futex(2): WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP,
/// WAIT_BITSET and WAKE_BITSET, private or not, with timeouts.
pub fn futex(t: &mut Task, a: &Args) -> SysResult {
    let (uaddr, op, val, timeout, uaddr2, val3) = (a[0], a[1] as i32, a[2] as u32, a[3], a[4], a[5] as u32);
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if op & FUTEX_CLOCK_REALTIME != 0 && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET {
        return Err(Errno::ENOSYS);
    }
    let futexes = t.kernel.futexes.clone();
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = if cmd == FUTEX_WAIT { u32::MAX } else { val3 };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let k = key(t, uaddr, op)?;
            let deadline = if timeout == 0 {
                None
            } else {
                let d = read_timespec(t, timeout)?;
                Some(if cmd == FUTEX_WAIT {
                    Instant::now() + d
                } else {
                    let clock =
                        if op & FUTEX_CLOCK_REALTIME != 0 { libc::CLOCK_REALTIME } else { libc::CLOCK_MONOTONIC };
                    deadline_from_abs(d, clock)
                })
            };
            let mem = t.mem();
            match futexes.wait(k, bitset, || Ok(mem.read_u32(uaddr)? == val), deadline)? {
                WaitResult::Woken => Ok(0),
                WaitResult::TimedOut => Err(Errno::ETIMEDOUT),
            }
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bitset = if cmd == FUTEX_WAKE { u32::MAX } else { val3 };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let k = key(t, uaddr, op)?;
            Ok(futexes.wake(k, val, bitset) as u64)
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            let (from, to) = (key(t, uaddr, op)?, key(t, uaddr2, op)?);
            let n_move = timeout as u32;
            if (val as i32) < 0 || (n_move as i32) < 0 {
                return Err(Errno::EINVAL);
            }
            let mem = t.mem();
            let cmp = cmd == FUTEX_CMP_REQUEUE;
            futexes.requeue(from, to, val, n_move, || Ok(!cmp || mem.read_u32(uaddr)? == val3)).map(|n| n as u64)
        }
        FUTEX_WAKE_OP => {
            let (k1, k2) = (key(t, uaddr, op)?, key(t, uaddr2, op)?);
            let n2 = timeout as u32;
            let mem = t.mem();
            futexes.wake_op(k1, k2, val, n2, || apply_wake_op(&mem, uaddr2, val3)).map(|n| n as u64)
        }
        _ => Err(Errno::ENOSYS),
    }
}

/// At most this many futexes in one futex_waitv (FUTEX_WAITV_MAX).
const FUTEX_WAITV_MAX: u64 = 128;
const FUTEX2_SIZE_MASK: u32 = 3;
const FUTEX2_SIZE_U32: u32 = 2;
const FUTEX2_NUMA: u32 = 4;
const FUTEX2_MPOL: u32 = 8;
const FUTEX2_PRIVATE: u32 = 128;

/// Implements futex_waitv(2): waits on up to 128 32-bit futexes at once
/// (an absolute timeout on CLOCK_MONOTONIC or CLOCK_REALTIME) and returns
/// the index of the one woken; EAGAIN when a word does not hold its value.
pub fn futex_waitv(t: &mut Task, a: &Args) -> SysResult {
    let (uwaiters, nr, flags, timeout, clock) = (a[0], a[1] as u32 as u64, a[2] as u32, a[3], a[4] as i32);
    if flags != 0 || uwaiters == 0 || nr == 0 || nr > FUTEX_WAITV_MAX {
        return Err(Errno::EINVAL);
    }
    let deadline = if timeout == 0 {
        None
    } else {
        if clock != libc::CLOCK_MONOTONIC && clock != libc::CLOCK_REALTIME {
            return Err(Errno::EINVAL);
        }
        Some(deadline_from_abs(read_timespec(t, timeout)?, clock))
    };
    // struct futex_waitv { u64 val; u64 uaddr; u32 flags; u32 __reserved; }
    let mut raw = vec![0u8; nr as usize * 24];
    t.mem().read_bytes(uwaiters, &mut raw)?;
    let mut words = Vec::with_capacity(nr as usize);
    let mut keys = Vec::with_capacity(nr as usize);
    for w in raw.chunks_exact(24) {
        let u64_at = |o: usize| u64::from_ne_bytes(w[o..o + 8].try_into().unwrap_or_default());
        let (val, uaddr) = (u64_at(0), u64_at(8));
        let (f, reserved) = (u64_at(16) as u32, (u64_at(16) >> 32) as u32);
        let known = FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_MPOL | FUTEX2_PRIVATE;
        if f & !known != 0 || reserved != 0 || f & FUTEX2_SIZE_MASK != FUTEX2_SIZE_U32 || val >> 32 != 0 {
            return Err(Errno::EINVAL);
        }
        // NUMA futexes (a node word after the value) are not served.
        if f & (FUTEX2_NUMA | FUTEX2_MPOL) != 0 {
            return Err(Errno::EINVAL);
        }
        let private = if f & FUTEX2_PRIVATE != 0 { FUTEX_PRIVATE_FLAG } else { 0 };
        keys.push(key(t, uaddr, private)?);
        words.push((uaddr, val as u32));
    }
    let futexes = t.kernel.futexes.clone();
    let mem = t.mem();
    let check = || -> Result<bool, Errno> {
        for &(uaddr, val) in &words {
            if mem.read_u32(uaddr)? != val {
                return Ok(false);
            }
        }
        Ok(true)
    };
    match futexes.wait_multiple(&keys, check, deadline)? {
        Some(i) => Ok(i as u64),
        None => Err(Errno::ETIMEDOUT),
    }
}

/// The read-modify-write of FUTEX_WAKE_OP and its comparison. The sentry
/// holds the futex table lock, but the update is not atomic against
/// application threads running meanwhile (documented in the table note).
fn apply_wake_op(mem: &dyn UserMemory, addr: u64, encoded: u32) -> Result<bool, Errno> {
    let op = (encoded >> 28) & 0xf;
    let cmp = (encoded >> 24) & 0xf;
    let sext = |v: u32| ((v << 20) as i32) >> 20;
    let mut oparg = sext((encoded >> 12) & 0xfff);
    let cmparg = sext(encoded & 0xfff);
    if op & 8 != 0 {
        if !(0..32).contains(&oparg) {
            return Err(Errno::EINVAL);
        }
        oparg = 1 << oparg;
    }
    let old = mem.read_u32(addr)? as i32;
    let new = match op & 7 {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return Err(Errno::ENOSYS),
    };
    mem.write_u32(addr, new as u32)?;
    Ok(match cmp {
        0 => old == cmparg,
        1 => old != cmparg,
        2 => old < cmparg,
        3 => old <= cmparg,
        4 => old > cmparg,
        5 => old >= cmparg,
        _ => return Err(Errno::ENOSYS),
    })
}
