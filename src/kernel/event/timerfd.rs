//! timerfd_create(2): a timer on a clock whose expirations are read as a
//! count. The count is computed from the clock when asked (`advance`), as
//! Linux forwards its hrtimer on read; an alarm thread only wakes readers
//! and pollers when the timer first expires after being set or read.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use super::anon_stat;
use crate::kernel::errno::Errno;
use crate::kernel::vfs::file::FileOps;
use crate::kernel::vfs::stat::Stat;
use crate::kernel::wait::{block_until, WaitQueue};

/// The current time on a host clock.
pub fn clock_now(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into our local.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    Duration::new(ts.tv_sec.max(0) as u64, ts.tv_nsec as u32)
}

/// The `Instant` at which `clock` reads `abs` (as far as can be told now).
fn instant_for(clock: libc::clockid_t, abs: Duration) -> Instant {
    Instant::now() + abs.saturating_sub(clock_now(clock))
}

/// A timer's state. Guarded by `TimerFd::state`.
#[derive(Default)]
struct TimerState {
    /// The next expiry, absolute on the timer's clock; `None`: disarmed.
    next: Option<Duration>,
    /// The period; zero for a one-shot timer.
    interval: Duration,
    /// Expirations not yet read.
    ticks: u64,
    /// When the pending alarm fires, if one is pending.
    alarm_at: Option<Instant>,
    /// Alarms carry the generation they were set for; older ones are stale.
    gen: u64,
}

impl TimerState {
    /// Moves expirations up to `now` into `ticks`.
    fn advance(&mut self, now: Duration) {
        let Some(next) = self.next else { return };
        if next > now {
            return;
        }
        if self.interval.is_zero() {
            self.ticks = self.ticks.saturating_add(1);
            self.next = None;
            return;
        }
        let periods = (now - next).as_nanos() / self.interval.as_nanos() + 1;
        self.ticks = self.ticks.saturating_add(periods.min(u64::MAX as u128) as u64);
        let step = self.interval.as_nanos().saturating_mul(periods);
        self.next = Some(next + Duration::from_nanos(step.min(u64::MAX as u128) as u64));
    }

    /// (time to the next expiry, interval), as timerfd_gettime reports.
    fn current(&self, now: Duration) -> (Duration, Duration) {
        let value = self.next.map_or(Duration::ZERO, |n| n.saturating_sub(now));
        (value, self.interval)
    }
}

/// A timerfd.
pub struct TimerFd {
    /// The host clock the timer runs on.
    clock: libc::clockid_t,
    state: Mutex<TimerState>,
    /// Notified when the timer expires (and when it is set).
    queue: WaitQueue,
}

impl TimerFd {
    /// A disarmed timer on `clock`.
    pub fn new(clock: libc::clockid_t) -> Arc<TimerFd> {
        Arc::new(TimerFd { clock, state: Mutex::new(TimerState::default()), queue: WaitQueue::default() })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TimerState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// timerfd_settime: arms the timer to expire at `value` (absolute with
    /// `abs`, else from now; zero disarms) and then every `interval`.
    /// Returns the previous (value, interval).
    pub fn set(self: &Arc<Self>, value: Duration, interval: Duration, abs: bool) -> (Duration, Duration) {
        let now = clock_now(self.clock);
        let mut st = self.lock();
        st.advance(now);
        let old = st.current(now);
        st.ticks = 0;
        st.interval = interval;
        st.next = match (value.is_zero(), abs) {
            (true, _) => None,
            (false, true) => Some(value),
            (false, false) => Some(now + value),
        };
        if let Some(next) = st.next {
            let at = instant_for(self.clock, next);
            // A pending alarm that fires no later still serves: it re-arms
            // itself for the new expiry when it finds the timer not expired.
            if st.alarm_at.is_none_or(|p| p > at) {
                st.gen += 1;
                st.alarm_at = Some(at);
                alarm::schedule(at, Arc::downgrade(self), st.gen);
            }
        }
        old
    }

    /// timerfd_gettime: (time to the next expiry, interval).
    pub fn get(&self) -> (Duration, Duration) {
        let now = clock_now(self.clock);
        let mut st = self.lock();
        st.advance(now);
        st.current(now)
    }

    /// Called by the alarm thread.
    fn alarm(self: &Arc<Self>, gen: u64) {
        let mut st = self.lock();
        if gen != st.gen {
            return;
        }
        st.alarm_at = None;
        st.advance(clock_now(self.clock));
        if st.ticks > 0 {
            drop(st);
            self.queue.notify_events((libc::POLLIN | libc::POLLRDNORM) as u32);
        } else if let Some(next) = st.next {
            // The clock lagged the monotonic time the alarm went by.
            self.rearm_locked(&mut st, next);
        }
    }

    /// Schedules the alarm for `next` unless one is pending.
    fn rearm_locked(self: &Arc<Self>, st: &mut TimerState, next: Duration) {
        if st.alarm_at.is_none() {
            let at = instant_for(self.clock, next);
            st.alarm_at = Some(at);
            alarm::schedule(at, Arc::downgrade(self), st.gen);
        }
    }
}

/// The open file of a timerfd.
pub struct TimerFile(pub Arc<TimerFd>);

impl FileOps for TimerFile {
    fn min_read(&self) -> usize {
        8
    }

    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.read_stream(buf, false)
    }

    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let t = &self.0;
        let ticks = block_until(&[&t.queue], None, || {
            let mut st = t.lock();
            st.advance(clock_now(t.clock));
            if st.ticks > 0 {
                let n = std::mem::take(&mut st.ticks);
                if let Some(next) = st.next {
                    t.rearm_locked(&mut st, next);
                }
                return Some(Ok(n));
            }
            nonblock.then_some(Err(Errno::EAGAIN))
        })?;
        buf[..8].copy_from_slice(&ticks.to_ne_bytes());
        Ok(8)
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(anon_stat())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn poll_ready(&self, events: i16) -> i16 {
        let mut st = self.0.lock();
        st.advance(clock_now(self.0.clock));
        let r = if st.ticks > 0 { libc::POLLIN | libc::POLLRDNORM } else { 0 };
        r & events
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.0.queue)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// One thread that wakes timerfds when they expire.
mod alarm {
    use super::*;

    struct Entry {
        at: Instant,
        seq: u64,
        timer: Weak<TimerFd>,
        gen: u64,
    }

    impl PartialEq for Entry {
        fn eq(&self, o: &Self) -> bool {
            (self.at, self.seq) == (o.at, o.seq)
        }
    }
    impl Eq for Entry {}
    impl PartialOrd for Entry {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Entry {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            (self.at, self.seq).cmp(&(o.at, o.seq))
        }
    }

    #[derive(Default)]
    struct Alarms {
        /// Pending alarms, earliest first, and the next sequence number.
        heap: Mutex<(BinaryHeap<Reverse<Entry>>, u64)>,
        cv: Condvar,
    }

    fn service() -> &'static Alarms {
        static S: OnceLock<&'static Alarms> = OnceLock::new();
        S.get_or_init(|| {
            let s: &'static Alarms = Box::leak(Box::default());
            std::thread::Builder::new()
                .name("husk-timerfd".into())
                .spawn(move || run(s))
                .expect("spawn the timerfd alarm thread");
            s
        })
    }

    /// Calls `timer.alarm(gen)` at `at`.
    pub(super) fn schedule(at: Instant, timer: Weak<TimerFd>, gen: u64) {
        let s = service();
        let mut h = s.heap.lock().unwrap_or_else(|e| e.into_inner());
        let seq = h.1;
        h.1 += 1;
        h.0.push(Reverse(Entry { at, seq, timer, gen }));
        drop(h);
        s.cv.notify_one();
    }

    fn run(s: &'static Alarms) {
        loop {
            let mut due = Vec::new();
            {
                let mut h = s.heap.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    let now = Instant::now();
                    match h.0.peek() {
                        Some(Reverse(e)) if e.at <= now => {
                            if let Some(Reverse(e)) = h.0.pop() {
                                due.push(e);
                            }
                        }
                        _ if !due.is_empty() => break,
                        Some(Reverse(e)) => {
                            let wait = e.at - now;
                            h = s.cv.wait_timeout(h, wait).unwrap_or_else(|e| e.into_inner()).0;
                        }
                        None => h = s.cv.wait(h).unwrap_or_else(|e| e.into_inner()),
                    }
                }
            }
            for e in due {
                if let Some(t) = e.timer.upgrade() {
                    t.alarm(e.gen);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn one_shot_expires_once() {
        let mut st = TimerState { next: Some(10 * MS), ..Default::default() };
        st.advance(5 * MS);
        assert_eq!((st.ticks, st.current(5 * MS).0), (0, 5 * MS));
        st.advance(50 * MS);
        assert_eq!(st.ticks, 1);
        assert_eq!(st.next, None);
        assert_eq!(st.current(50 * MS), (Duration::ZERO, Duration::ZERO));
    }

    #[test]
    fn periodic_counts_elapsed_periods() {
        let mut st = TimerState { next: Some(10 * MS), interval: 10 * MS, ..Default::default() };
        st.advance(45 * MS);
        // Expiries at 10, 20, 30, 40.
        assert_eq!(st.ticks, 4);
        assert_eq!(st.next, Some(50 * MS));
        assert_eq!(st.current(45 * MS), (5 * MS, 10 * MS));
        st.advance(50 * MS);
        assert_eq!(st.ticks, 5);
    }

    #[test]
    fn file_reads_count_and_would_block() {
        let t = TimerFd::new(libc::CLOCK_MONOTONIC);
        let f = TimerFile(t.clone());
        let mut buf = [0u8; 8];
        assert_eq!(f.read_stream(&mut buf, true), Err(Errno::EAGAIN));
        assert_eq!(f.read_stream(&mut buf[..4], true), Err(Errno::EINVAL));
        let now = clock_now(libc::CLOCK_MONOTONIC);
        t.set(now.saturating_sub(35 * MS), 10 * MS, true);
        assert_eq!(f.poll_ready(libc::POLLIN), libc::POLLIN);
        assert_eq!(f.read_stream(&mut buf, true), Ok(8));
        assert!(u64::from_ne_bytes(buf) >= 4);
        assert_eq!(f.poll_ready(libc::POLLIN), 0);
    }
}
