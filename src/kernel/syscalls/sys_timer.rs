//! Timers and process times: alarm, getitimer/setitimer, the POSIX timers
//! (timer_create and friends), times and getrusage. The timers themselves
//! live in `kernel::timer`.

use std::sync::Arc;

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::timer::{
    cputime_adjust, host_stat_fields, host_thread_cpu, tick_ns, CpuClock, CpuTimes, Notify, PosixOrigin, Timer,
    TimerClock, ITIMER_PROF, ITIMER_REAL, ITIMER_VIRTUAL, NSEC_PER_SEC,
};

/// USER_HZ: the unit of `clock_t` values (`times`).
const USER_HZ: u64 = 100;
const TIMER_ABSTIME: u64 = 1;

const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
const SIGEV_THREAD: i32 = 2;
const SIGEV_THREAD_ID: i32 = 4;

const RUSAGE_SELF: i32 = 0;
const RUSAGE_CHILDREN: i32 = -1;
const RUSAGE_THREAD: i32 = 1;

/// Nanoseconds of a (seconds, sub-second nanoseconds) pair, saturating as
/// Linux's `timespec64_to_ns` does.
fn to_ns(sec: u64, nsec: u64) -> u64 {
    sec.saturating_mul(NSEC_PER_SEC).saturating_add(nsec).min(i64::MAX as u64)
}

/// Reads two consecutive `struct timespec` (an `itimerspec`: interval, then
/// value), in ns. The copy fails with EFAULT before any check; a negative
/// or out-of-range field is EINVAL.
fn read_itimerspec(t: &Task, addr: u64) -> Result<(u64, u64), Errno> {
    let mut b = [0u8; 32];
    t.mem().read_bytes(addr, &mut b)?;
    let w = |i: usize| i64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
    let valid = |s: i64, ns: i64| s >= 0 && (0..NSEC_PER_SEC as i64).contains(&ns);
    if !valid(w(0), w(1)) || !valid(w(2), w(3)) {
        return Err(Errno::EINVAL);
    }
    Ok((to_ns(w(0) as u64, w(1) as u64), to_ns(w(2) as u64, w(3) as u64)))
}

fn write_itimerspec(t: &Task, addr: u64, interval: u64, value: u64) -> Result<(), Errno> {
    let mut b = [0u8; 32];
    for (i, ns) in [interval, value].into_iter().enumerate() {
        b[i * 16..i * 16 + 8].copy_from_slice(&(ns / NSEC_PER_SEC).to_ne_bytes());
        b[i * 16 + 8..i * 16 + 16].copy_from_slice(&(ns % NSEC_PER_SEC).to_ne_bytes());
    }
    t.mem().write_bytes(addr, &b)
}

/// Reads a `struct itimerval` (interval, then value, as timevals), in ns.
fn read_itimerval(t: &Task, addr: u64) -> Result<(u64, u64), Errno> {
    let mut b = [0u8; 32];
    t.mem().read_bytes(addr, &mut b)?;
    let w = |i: usize| i64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
    let valid = |s: i64, us: i64| s >= 0 && (0..1_000_000).contains(&us);
    if !valid(w(0), w(1)) || !valid(w(2), w(3)) {
        return Err(Errno::EINVAL);
    }
    Ok((to_ns(w(0) as u64, w(1) as u64 * 1000), to_ns(w(2) as u64, w(3) as u64 * 1000)))
}

/// The 16 bytes of a `struct timeval` for `ns` (microseconds truncated).
fn timeval_bytes(ns: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / NSEC_PER_SEC).to_ne_bytes());
    b[8..].copy_from_slice(&((ns % NSEC_PER_SEC) / 1000).to_ne_bytes());
    b
}

fn write_itimerval(t: &Task, addr: u64, interval: u64, value: u64) -> Result<(), Errno> {
    let mut b = [0u8; 32];
    b[..16].copy_from_slice(&timeval_bytes(interval));
    b[16..].copy_from_slice(&timeval_bytes(value));
    t.mem().write_bytes(addr, &b)
}

// ---------------------------------------------------------------------------
// Interval timers.

/// The time left of an interval timer as `getitimer` reports it: a timer
/// that is due but has not fired yet shows 1 µs (ITIMER_REAL) or one tick
/// (the CPU timers), as in Linux.
fn itimer_left(which: usize, left: Option<u64>) -> u64 {
    match left {
        None => 0,
        Some(0) if which == ITIMER_REAL => 1000,
        Some(0) => tick_ns(),
        Some(n) => n,
    }
}

/// Reads interval timer `which`: (interval, value) in ns.
fn get_itimer(t: &Task, which: usize) -> (u64, u64) {
    match t.tg.timers.itimer_if_any(which) {
        None => (0, 0),
        Some(timer) => {
            let (left, interval) = timer.get();
            (interval, itimer_left(which, left))
        }
    }
}

/// Sets interval timer `which`; returns the old (interval, value).
fn set_itimer(t: &Task, which: usize, interval: u64, value: u64) -> (u64, u64) {
    let timer = t.tg.timers.itimer(&t.tg, which);
    let (interval, value) = match (value, which) {
        (0, _) => (0, 0),
        (v, ITIMER_REAL) => (interval, v),
        // Linux adds a tick so a CPU timer never expires early.
        (v, _) => (interval, v.saturating_add(tick_ns())),
    };
    let (left, old_interval) = timer.set(&t.kernel, value, interval, false);
    (old_interval, itimer_left(which, left))
}

fn itimer_which(which: u64) -> Result<usize, Errno> {
    match which as i32 {
        0 => Ok(ITIMER_REAL),
        1 => Ok(ITIMER_VIRTUAL),
        2 => Ok(ITIMER_PROF),
        _ => Err(Errno::EINVAL),
    }
}

/// Implements alarm(2).
pub fn alarm(t: &mut Task, a: &Args) -> SysResult {
    let secs = a[0] as u32 as u64;
    let (_, old) = set_itimer(t, ITIMER_REAL, 0, secs * NSEC_PER_SEC);
    // Never report 0 for a pending alarm; round half a second up.
    let (s, ns) = (old / NSEC_PER_SEC, old % NSEC_PER_SEC);
    let rounded = if (s == 0 && ns != 0) || ns >= NSEC_PER_SEC / 2 { s + 1 } else { s };
    Ok(rounded)
}

/// Implements getitimer(2).
pub fn getitimer(t: &mut Task, a: &Args) -> SysResult {
    let which = itimer_which(a[0])?;
    let (interval, value) = get_itimer(t, which);
    write_itimerval(t, a[1], interval, value)?;
    Ok(0)
}

/// Implements setitimer(2). A NULL new value disarms, as Linux still
/// accepts.
pub fn setitimer(t: &mut Task, a: &Args) -> SysResult {
    let (interval, value) = if a[1] != 0 { read_itimerval(t, a[1])? } else { (0, 0) };
    let which = itimer_which(a[0])?;
    let (old_interval, old_value) = set_itimer(t, which, interval, value);
    if a[2] != 0 {
        write_itimerval(t, a[2], old_interval, old_value)?;
    }
    Ok(0)
}

// ---------------------------------------------------------------------------
// POSIX timers.

/// A timer clock before the process or thread of a CPU clock is looked up.
enum ClockSpec {
    Host(libc::clockid_t),
    /// A process CPU clock; pid 0 is the caller.
    Process(i32, CpuClock),
    /// A thread CPU clock; tid 0 is the caller.
    Thread(i32, CpuClock),
}

/// Decodes the clock of `timer_create`: the clocks Linux can time, EOPNOTSUPP
/// for the ones it cannot (raw, coarse) or that need an RTC (alarm clocks).
fn timer_clock(id: i32) -> Result<ClockSpec, Errno> {
    match id {
        libc::CLOCK_REALTIME | libc::CLOCK_MONOTONIC | libc::CLOCK_BOOTTIME | libc::CLOCK_TAI => {
            Ok(ClockSpec::Host(id))
        }
        libc::CLOCK_PROCESS_CPUTIME_ID => Ok(ClockSpec::Process(0, CpuClock::Sched)),
        libc::CLOCK_THREAD_CPUTIME_ID => Ok(ClockSpec::Thread(0, CpuClock::Sched)),
        libc::CLOCK_MONOTONIC_RAW
        | libc::CLOCK_REALTIME_COARSE
        | libc::CLOCK_MONOTONIC_COARSE
        | libc::CLOCK_REALTIME_ALARM
        | libc::CLOCK_BOOTTIME_ALARM => Err(Errno::EOPNOTSUPP),
        // A CPU clock of some process or thread: (~pid << 3) | kind, bit 2
        // for a thread (clock_getcpuclockid, pthread_getcpuclockid).
        id if id < 0 => {
            let kind = CpuClock::from_bits(id & 3).ok_or(Errno::EINVAL)?;
            let pid = !(id >> 3);
            Ok(if id & 4 != 0 { ClockSpec::Thread(pid, kind) } else { ClockSpec::Process(pid, kind) })
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Finds what a CPU clock measures: any process of the sandbox, or a thread
/// of the caller's own process (as Linux allows for timers).
fn resolve_clock(t: &Task, spec: ClockSpec) -> Result<TimerClock, Errno> {
    Ok(match spec {
        ClockSpec::Host(c) => TimerClock::Host(c),
        ClockSpec::Process(0, kind) => TimerClock::Process(Arc::downgrade(&t.tg), kind),
        ClockSpec::Process(pid, kind) => {
            let g = t.kernel.procs().group_in(t.pidns(), pid).ok_or(Errno::EINVAL)?;
            TimerClock::Process(Arc::downgrade(&g), kind)
        }
        ClockSpec::Thread(0, kind) => TimerClock::Thread(Arc::downgrade(&t.shared), kind),
        ClockSpec::Thread(tid, kind) => {
            let task = t.kernel.procs().task_in(t.pidns(), tid).ok_or(Errno::EINVAL)?;
            if !Arc::ptr_eq(&task.tg, &t.tg) {
                return Err(Errno::EINVAL);
            }
            TimerClock::Thread(Arc::downgrade(&task), kind)
        }
    })
}

/// The value (ns) of CPU clock `id`: CLOCK_PROCESS_CPUTIME_ID,
/// CLOCK_THREAD_CPUTIME_ID, or a clock of `clock_getcpuclockid` /
/// `pthread_getcpuclockid`. None if `id` is not a CPU clock. Process clocks
/// include the images the process left by exec.
pub fn cpu_clock_ns(t: &Task, id: i32) -> Option<Result<u64, Errno>> {
    let spec = cpu_clock_spec(id)?;
    Some(resolve_clock(t, spec).and_then(|c| c.now().ok_or(Errno::EINVAL)))
}

/// The resolution (ns) of CPU clock `id`, as `cpu_clock_ns`: 1 ns for the
/// precise clocks, a tick for the user and user+system ones.
pub fn cpu_clock_res(t: &Task, id: i32) -> Option<Result<u64, Errno>> {
    let spec = cpu_clock_spec(id)?;
    let kind = match &spec {
        ClockSpec::Process(_, k) | ClockSpec::Thread(_, k) => *k,
        ClockSpec::Host(_) => return None,
    };
    Some(resolve_clock(t, spec).map(|_| if kind == CpuClock::Sched { 1 } else { tick_ns() }))
}

fn cpu_clock_spec(id: i32) -> Option<ClockSpec> {
    if id != libc::CLOCK_PROCESS_CPUTIME_ID && id != libc::CLOCK_THREAD_CPUTIME_ID && id >= 0 {
        return None;
    }
    match timer_clock(id) {
        Ok(spec @ (ClockSpec::Process(..) | ClockSpec::Thread(..))) => Some(spec),
        // A descriptor clock (id & 7 == 3): there are none in the sandbox.
        _ => Some(ClockSpec::Process(i32::MIN, CpuClock::Sched)),
    }
}

/// Validates a `struct sigevent` as Linux's `good_sigevent` does.
fn sigevent_notify(t: &Task, ev: &[u8; 64], id: i32) -> Result<Notify, Errno> {
    let value = u64::from_ne_bytes(ev[0..8].try_into().unwrap_or_default());
    let i32_at = |o: usize| i32::from_ne_bytes(ev[o..o + 4].try_into().unwrap_or_default());
    let (signo, notify, tid) = (i32_at(8), i32_at(12), i32_at(16));
    let valid_sig = (1..=crate::kernel::signal::NSIG as i32).contains(&signo);
    match notify {
        SIGEV_NONE => Ok(Notify::Silent),
        SIGEV_SIGNAL | SIGEV_THREAD if valid_sig => Ok(Notify::Signal { id, sig: signo, value, thread: None }),
        n if n == SIGEV_SIGNAL | SIGEV_THREAD_ID => {
            let task = t.kernel.procs().task_in(t.pidns(), tid).ok_or(Errno::EINVAL)?;
            if !Arc::ptr_eq(&task.tg, &t.tg) || !valid_sig {
                return Err(Errno::EINVAL);
            }
            Ok(Notify::Signal { id, sig: signo, value, thread: Some(Arc::downgrade(&task)) })
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Implements timer_create(2).
pub fn timer_create(t: &mut Task, a: &Args) -> SysResult {
    let clock_id = a[0] as i32;
    // Linux's order: the sigevent is copied in, the clock checked, the
    // signal record reserved (RLIMIT_SIGPENDING), then the sigevent checked.
    let ev = if a[1] != 0 {
        let mut b = [0u8; 64];
        t.mem().read_bytes(a[1], &mut b)?;
        Some(b)
    } else {
        None
    };
    let clock = timer_clock(clock_id)?;
    if crate::kernel::signal::limit::at_limit(&t.kernel, &t.tg) {
        return Err(Errno::EAGAIN);
    }
    let id = t.tg.timers.alloc_id()?;
    let notify = match &ev {
        Some(ev) => sigevent_notify(t, ev, id)?,
        // No sigevent: SIGALRM to the process, with the id as the value.
        None => Notify::Signal { id, sig: libc::SIGALRM, value: id as u32 as u64, thread: None },
    };
    t.mem().write_u32(a[2], id as u32)?;
    let clock = resolve_clock(t, clock)?;
    let origin = posix_origin(t, clock_id, ev.as_ref(), id);
    let timer = Timer::with_origin(&t.tg, clock, notify, Some(origin));
    t.tg.timers.insert(id, timer);
    Ok(0)
}

/// What `/proc/PID/timers` shows of a new timer: Linux keeps the caller's
/// own CPU clocks in their encoded form (`MAKE_PROCESS_CPUCLOCK(0, SCHED)`,
/// `MAKE_THREAD_CPUCLOCK(0, SCHED)`), and the sigevent as given (without
/// one: SIGEV_SIGNAL, SIGALRM, the id as value).
fn posix_origin(t: &Task, clock_id: i32, ev: Option<&[u8; 64]>, id: i32) -> PosixOrigin {
    let clock_id = match clock_id {
        libc::CLOCK_PROCESS_CPUTIME_ID => !0 << 3 | 2,
        libc::CLOCK_THREAD_CPUTIME_ID => !0 << 3 | 4 | 2,
        c => c,
    };
    let Some(ev) = ev else {
        return PosixOrigin { clock_id, notify: SIGEV_SIGNAL, signo: libc::SIGALRM, value: id as u64, thread: None };
    };
    let i32_at = |o: usize| i32::from_ne_bytes(ev[o..o + 4].try_into().unwrap_or_default());
    let notify = i32_at(12);
    let thread = (notify & SIGEV_THREAD_ID != 0)
        .then(|| t.kernel.procs().task_in(t.pidns(), i32_at(16)).map(|x| Arc::downgrade(&x)))
        .flatten();
    PosixOrigin {
        clock_id,
        notify,
        signo: i32_at(8),
        value: u64::from_ne_bytes(ev[0..8].try_into().unwrap_or_default()),
        thread,
    }
}

/// The time left of a POSIX timer as `timer_gettime` reports it: a timer due
/// but not yet fired shows 1 ns, except with SIGEV_NONE, as in Linux.
fn posix_left(left: Option<u64>, silent: bool) -> u64 {
    match left {
        None => 0,
        Some(0) if !silent => 1,
        Some(n) => n,
    }
}

fn timer_id(a: u64) -> i32 {
    a as i32
}

/// Implements timer_settime(2).
pub fn timer_settime(t: &mut Task, a: &Args) -> SysResult {
    let (id, flags, new, old) = (timer_id(a[0]), a[1], a[2], a[3]);
    if new == 0 {
        return Err(Errno::EINVAL);
    }
    let (interval, value) = read_itimerspec(t, new)?;
    let timer = t.tg.timers.get(id)?;
    let interval = if value == 0 { 0 } else { interval };
    let silent = timer.is_silent();
    let (left, old_interval) = timer.set(&t.kernel, value, interval, flags & TIMER_ABSTIME != 0);
    if old != 0 {
        write_itimerspec(t, old, old_interval, posix_left(left, silent))?;
    }
    Ok(0)
}

/// Implements timer_gettime(2).
pub fn timer_gettime(t: &mut Task, a: &Args) -> SysResult {
    let timer = t.tg.timers.get(timer_id(a[0]))?;
    let (left, interval) = timer.get();
    write_itimerspec(t, a[1], interval, posix_left(left, timer.is_silent()))?;
    Ok(0)
}

/// Implements timer_getoverrun(2).
pub fn timer_getoverrun(t: &mut Task, a: &Args) -> SysResult {
    let timer = t.tg.timers.get(timer_id(a[0]))?;
    Ok(timer.overrun() as u64)
}

/// Implements timer_delete(2).
pub fn timer_delete(t: &mut Task, a: &Args) -> SysResult {
    t.tg.timers.delete(timer_id(a[0]))?;
    Ok(0)
}

// ---------------------------------------------------------------------------
// Setting clocks.

/// The errno of a permitted attempt to set the wall clock: the sandbox
/// shares the host's clock and may not set it, so even root gets EPERM.
const CANNOT_SET_CLOCK: Errno = Errno::EPERM;

/// Implements clock_settime(2). Only CLOCK_REALTIME (and the CPU clocks,
/// which Linux refuses with EPERM) can be set at all; the sandbox may not
/// set the host's clock.
pub fn clock_settime(t: &mut Task, a: &Args) -> SysResult {
    let mut b = [0u8; 16];
    t.mem().read_bytes(a[1], &mut b)?;
    let id = a[0] as i32;
    if let Some(r) = cpu_clock_ns(t, id) {
        r?;
        return Err(Errno::EPERM);
    }
    match timer_clock(id) {
        Ok(ClockSpec::Host(libc::CLOCK_REALTIME)) => {
            let sec = i64::from_ne_bytes(b[..8].try_into().unwrap_or_default());
            let nsec = i64::from_ne_bytes(b[8..].try_into().unwrap_or_default());
            if sec < 0 || !(0..NSEC_PER_SEC as i64).contains(&nsec) {
                return Err(Errno::EINVAL);
            }
            Err(CANNOT_SET_CLOCK)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Implements settimeofday(2): arguments are checked as Linux does, then
/// EPERM (the sandbox may not set the host's clock or time zone).
pub fn settimeofday(t: &mut Task, a: &Args) -> SysResult {
    if a[0] != 0 {
        let mut b = [0u8; 16];
        t.mem().read_bytes(a[0], &mut b)?;
        let sec = i64::from_ne_bytes(b[..8].try_into().unwrap_or_default());
        let usec = i64::from_ne_bytes(b[8..].try_into().unwrap_or_default());
        if sec < 0 || !(0..1_000_000).contains(&usec) {
            return Err(Errno::EINVAL);
        }
    }
    if a[1] != 0 {
        let mut b = [0u8; 8];
        t.mem().read_bytes(a[1], &mut b)?;
    }
    Err(CANNOT_SET_CLOCK)
}

// ---------------------------------------------------------------------------
// Process times.

fn ns_to_ticks(ns: u64) -> u64 {
    ns / (NSEC_PER_SEC / USER_HZ)
}

/// CPU time of reaped children (`ThreadGroup::child_times`, microseconds).
fn children_times(t: &Task) -> CpuTimes {
    let kids = *t.tg.child_times.lock().unwrap_or_else(|e| e.into_inner());
    CpuTimes { user_ns: kids.utime_us.saturating_mul(1000), system_ns: kids.stime_us.saturating_mul(1000) }
}

/// Implements times(2). The return value counts ticks since the sandbox
/// booted.
pub fn times(t: &mut Task, a: &Args) -> SysResult {
    if a[0] != 0 {
        let me = t.tg.timers.cpu_times(&t.tg);
        let kids = children_times(t);
        let mut b = [0u8; 32];
        for (i, ns) in [me.user_ns, me.system_ns, kids.user_ns, kids.system_ns].into_iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&ns_to_ticks(ns).to_ne_bytes());
        }
        t.mem().write_bytes(a[0], &b)?;
    }
    Ok(ns_to_ticks(t.kernel.boot.elapsed().as_nanos() as u64))
}

/// Page fault counts (minor, major) from a host `/proc/.../stat`.
fn faults(path: &str) -> (u64, u64) {
    let f = host_stat_fields(path).unwrap_or_default();
    let at = |field: usize| f.get(field - 3).and_then(|v| v.parse().ok()).unwrap_or(0);
    (at(10), at(12))
}

/// Implements getrusage(2): CPU times, the peak resident set and page
/// faults from the host's accounting of the stub; other fields are zero.
pub fn getrusage(t: &mut Task, a: &Args) -> SysResult {
    let (times, maxrss, (minflt, majflt)) = match a[0] as i32 {
        RUSAGE_SELF => {
            let pid = t.thread.pid();
            (t.tg.timers.cpu_times(&t.tg), t.tg.timers.maxrss_kb(&t.tg), faults(&format!("/proc/{pid}/stat")))
        }
        RUSAGE_THREAD => {
            let (pid, tid) = (t.thread.pid(), t.thread.tid());
            let raw = host_thread_cpu(pid, tid).unwrap_or_default();
            (
                cputime_adjust(raw, &mut CpuTimes::default()),
                t.tg.timers.maxrss_kb(&t.tg),
                faults(&format!("/proc/{pid}/task/{tid}/stat")),
            )
        }
        RUSAGE_CHILDREN => {
            let peak = t.tg.child_times.lock().unwrap_or_else(|e| e.into_inner()).maxrss_kb;
            (children_times(t), peak, (0, 0))
        }
        _ => return Err(Errno::EINVAL),
    };
    let mut b = [0u8; 144];
    b[0..16].copy_from_slice(&timeval_bytes(times.user_ns));
    b[16..32].copy_from_slice(&timeval_bytes(times.system_ns));
    b[32..40].copy_from_slice(&maxrss.to_ne_bytes());
    b[64..72].copy_from_slice(&minflt.to_ne_bytes());
    b[72..80].copy_from_slice(&majflt.to_ne_bytes());
    t.mem().write_bytes(a[1], &b)?;
    Ok(0)
}
