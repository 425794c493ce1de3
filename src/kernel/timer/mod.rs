//! Kernel timers: interval timers (`alarm`, `setitimer`), POSIX timers
//! (`timer_create`), the sentry thread that fires them, and the CPU clocks
//! of processes and threads that some of them measure.
//!
//! One sentry thread per kernel (started on first use) keeps a heap of
//! host-monotonic instants, one entry per armed timer. Re-arming a timer
//! bumps its generation; entries of older generations are skipped when they
//! come due. Expiry is always decided on the timer's own clock: a heap entry
//! only says when to look. A timer on a CPU-time clock is polled: its entry
//! is the earliest instant the clock could reach the expiry (the time left
//! divided by the online CPUs, at least a millisecond ahead).
//!
//! CPU time is the host's accounting of the stub process or thread that runs
//! the application's code; work the sentry does on the application's behalf
//! (serving its syscalls) is not counted.
//!
//! A timer holds its process weakly: once the process is gone or has no
//! live task left, the timer stops without the exit path doing anything.
//! Exec deletes POSIX timers (`ProcessTimers::on_exec`); interval timers
//! survive it.
//!
//! Lock order: `ProcessTimers::table` before `Timer::st` before
//! `ThreadGroup::sig` before `TaskShared::sig`; the service's own lock is
//! taken last and never held while calling out.

use std::cmp::{Ordering as CmpOrdering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use crate::kernel::errno::Errno;
use crate::kernel::signal::send::{send, Origin, Target};
use crate::kernel::signal::{SigInfo, SigQueue, SI_TIMER};
use crate::kernel::task::{TaskShared, ThreadGroup};
use crate::kernel::Kernel;

mod cpu;
mod rlimit;

pub use cpu::{cputime_adjust, host_maxrss_kb, host_stat_fields, host_thread_cpu, CpuClock, CpuTimes, RawCpu};
use cpu::{host_process_cpu, stub_pid, CpuAccount};

/// Nanoseconds per second.
pub const NSEC_PER_SEC: u64 = 1_000_000_000;

/// Most POSIX timers one process may have (Linux has no fixed limit; this
/// bounds what one sandboxed process can make the sentry hold).
pub const MAX_POSIX_TIMERS: usize = 1 << 16;

/// The shortest gap between two firings of one timer: periods missed in
/// between count as overruns, as when the signal is still pending.
const MIN_REFIRE: Duration = Duration::from_micros(100);

/// The shortest poll interval of a CPU-time timer.
const MIN_CPU_POLL: Duration = Duration::from_millis(1);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads a host clock, in nanoseconds.
pub fn host_clock_ns(clock: libc::clockid_t) -> Option<u64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into our local.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return None;
    }
    Some(ts.tv_sec as u64 * NSEC_PER_SEC + ts.tv_nsec as u64)
}

/// The host's scheduler tick (`TICK_NSEC`): the resolution of its coarse
/// clocks. CPU interval timers are one tick longer than asked, as in Linux.
pub fn tick_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_getres writes one timespec into our local.
    if unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut ts) } != 0 {
        return 4_000_000;
    }
    (ts.tv_sec as u64 * NSEC_PER_SEC + ts.tv_nsec as u64).max(1)
}

/// The instant `d` from now; a look far beyond any real deadline is capped
/// (the timer is simply looked at again then).
fn instant_in(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d.min(Duration::from_secs(1 << 32))).unwrap_or(now + Duration::from_secs(3600))
}

fn online_cpus() -> u32 {
    // SAFETY: sysconf has no memory effects.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    n.clamp(1, 4096) as u32
}

// ---------------------------------------------------------------------------
// The deadline heap.

struct Slot<T> {
    at: Instant,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Slot<T> {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}

impl<T> Eq for Slot<T> {}

impl<T> PartialOrd for Slot<T> {
    fn partial_cmp(&self, o: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(o))
    }
}

impl<T> Ord for Slot<T> {
    fn cmp(&self, o: &Self) -> CmpOrdering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// Items ordered by deadline; equal deadlines come out in insertion order.
pub(crate) struct DeadlineHeap<T> {
    heap: BinaryHeap<Reverse<Slot<T>>>,
    seq: u64,
}

impl<T> Default for DeadlineHeap<T> {
    fn default() -> Self {
        DeadlineHeap { heap: BinaryHeap::new(), seq: 0 }
    }
}

impl<T> DeadlineHeap<T> {
    /// Adds `item`, due at `at`.
    pub fn push(&mut self, at: Instant, item: T) {
        self.seq += 1;
        self.heap.push(Reverse(Slot { at, seq: self.seq, item }));
    }

    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|r| r.0.at)
    }

    /// Removes and returns the earliest item if it is due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.next_deadline()? <= now {
            self.heap.pop().map(|r| r.0.item)
        } else {
            None
        }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Keeps only the items `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.heap.retain(|r| keep(&r.0.item));
    }
}

// ---------------------------------------------------------------------------
// The service thread.

/// A heap entry: look at `timer` when due, if still at generation `gen`.
type Entry = (Weak<Timer>, u64);

#[derive(Default)]
struct ServiceState {
    heap: DeadlineHeap<Entry>,
    /// Heap size after the last pruning of stale entries.
    pruned_len: usize,
    running: bool,
    shutdown: bool,
}

#[derive(Default)]
struct ServiceShared {
    st: Mutex<ServiceState>,
    cv: Condvar,
    /// The CPUs husk itself may use (its thread would otherwise inherit the
    /// pinning of the task thread that first armed a timer).
    cpus: Option<nix::sched::CpuSet>,
}

impl ServiceShared {
    fn push(&self, at: Instant, timer: &Arc<Timer>, gen: u64) -> bool {
        let mut st = lock(&self.st);
        let earliest = st.heap.next_deadline().is_none_or(|d| at < d);
        st.heap.push(at, (Arc::downgrade(timer), gen));
        // Re-armed timers leave stale entries behind: drop them once they
        // are most of the heap.
        if st.heap.len() > 256 && st.heap.len() > 2 * st.pruned_len {
            st.heap.retain(|(w, g)| w.upgrade().is_some_and(|t| t.gen.load(Ordering::Acquire) == *g));
            st.pruned_len = st.heap.len();
        }
        if earliest {
            self.cv.notify_one();
        }
        st.running
    }
}

/// Fires the timers of one kernel from a sentry thread of its own.
pub struct TimerService {
    shared: Arc<ServiceShared>,
}

impl TimerService {
    /// A service; its thread starts with the first armed timer. Call it
    /// before the sentry pins its task threads.
    pub fn new() -> TimerService {
        let cpus = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)).ok();
        TimerService { shared: Arc::new(ServiceShared { cpus, ..Default::default() }) }
    }

    /// Looks at `timer` at `at` (if it is then still at generation `gen`).
    fn schedule(&self, kernel: &Arc<Kernel>, at: Instant, timer: &Arc<Timer>, gen: u64) {
        if self.shared.push(at, timer, gen) {
            return;
        }
        let mut st = lock(&self.shared.st);
        if st.running {
            return;
        }
        let shared = self.shared.clone();
        let kernel = Arc::downgrade(kernel);
        let spawned = std::thread::Builder::new().name("timers".into()).spawn(move || run_service(shared, kernel));
        match spawned {
            Ok(_) => st.running = true,
            Err(e) => tracing::error!("cannot start the timer thread: {e}"),
        }
    }
}

impl Default for TimerService {
    fn default() -> Self {
        TimerService::new()
    }
}

impl Drop for TimerService {
    fn drop(&mut self) {
        lock(&self.shared.st).shutdown = true;
        self.shared.cv.notify_all();
    }
}

fn run_service(shared: Arc<ServiceShared>, kernel: Weak<Kernel>) {
    if let Some(cpus) = &shared.cpus {
        let _ = nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), cpus);
    }
    loop {
        let mut due = Vec::new();
        {
            let mut st = lock(&shared.st);
            loop {
                if st.shutdown {
                    return;
                }
                let now = Instant::now();
                while let Some(e) = st.heap.pop_due(now) {
                    due.push(e);
                }
                if !due.is_empty() {
                    break;
                }
                st = match st.heap.next_deadline() {
                    None => shared.cv.wait(st).unwrap_or_else(|e| e.into_inner()),
                    Some(d) => {
                        shared
                            .cv
                            .wait_timeout(st, d.saturating_duration_since(now))
                            .unwrap_or_else(|e| e.into_inner())
                            .0
                    }
                };
            }
        }
        let Some(kernel) = kernel.upgrade() else {
            return;
        };
        for (weak, gen) in due {
            let Some(timer) = weak.upgrade() else {
                continue;
            };
            if let Some(at) = timer.fire(&kernel, gen) {
                shared.push(at, &timer, gen);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Timers.

/// What a timer measures.
#[derive(Clone)]
pub enum TimerClock {
    /// A host clock: CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI.
    Host(libc::clockid_t),
    /// The CPU time of a process.
    Process(Weak<ThreadGroup>, CpuClock),
    /// The CPU time of a thread.
    Thread(Weak<TaskShared>, CpuClock),
}

impl TimerClock {
    /// The clock's current value (ns); None once what it measures is gone.
    pub fn now(&self) -> Option<u64> {
        match self {
            TimerClock::Host(c) => host_clock_ns(*c),
            TimerClock::Process(tg, kind) => {
                let tg = tg.upgrade()?;
                if tg.task_list().is_empty() {
                    return None;
                }
                Some(kind.pick(tg.timers.raw_cpu(&tg)))
            }
            TimerClock::Thread(t, kind) => {
                let t = t.upgrade()?;
                let (pid, tid) = *lock(&t.host);
                Some(kind.pick(host_thread_cpu(pid, tid)?))
            }
        }
    }

    /// When to look again at a timer `left` ns before its expiry.
    fn wake_in(&self, left: u64) -> Duration {
        match self {
            TimerClock::Host(_) => Duration::from_nanos(left),
            TimerClock::Process(..) | TimerClock::Thread(..) => {
                Duration::from_nanos(left / online_cpus() as u64).max(MIN_CPU_POLL)
            }
        }
    }
}

/// What a timer does when it expires.
#[derive(Clone)]
pub enum Notify {
    /// An interval timer: `sig` (SI_KERNEL) to the process.
    Itimer(i32),
    /// A POSIX timer with SIGEV_SIGNAL (the process) or SIGEV_THREAD_ID
    /// (one thread): SI_TIMER with the timer id and the sigev value.
    Signal { id: i32, sig: i32, value: u64, thread: Option<Weak<TaskShared>> },
    /// SIGEV_NONE: nothing; the timer is only read.
    Silent,
    /// The RLIMIT_CPU check of the process (rlimit.rs): SIGXCPU at the soft
    /// limit and every second after it, SIGKILL at the hard limit.
    RlimitCpu,
}

/// State of one timer. Guarded by `Timer::st`.
#[derive(Debug, Default)]
struct TimerState {
    /// The next expiry on the timer's clock (ns); None while disarmed.
    next: Option<u64>,
    /// The period (ns); 0 for a one-shot timer.
    interval: u64,
    /// A signal of this timer was queued and may still be pending.
    queued: bool,
    /// The overrun count carried by that signal.
    pending_overrun: i32,
    /// The overrun count of the last signal delivered (`timer_getoverrun`).
    last_overrun: i32,
}

/// How a POSIX timer was created, as `/proc/PID/timers` shows it.
#[derive(Clone)]
pub struct PosixOrigin {
    /// The clock id as Linux keeps it (the CPU clocks of the caller in
    /// their encoded form).
    pub clock_id: i32,
    /// The sigevent's notify, signal number and value (as given even for
    /// SIGEV_NONE).
    pub notify: i32,
    pub signo: i32,
    pub value: u64,
    /// The thread of SIGEV_THREAD_ID.
    pub thread: Option<Weak<TaskShared>>,
}

/// An interval or POSIX timer.
pub struct Timer {
    /// The process signalled.
    tg: Weak<ThreadGroup>,
    clock: TimerClock,
    notify: Notify,
    /// For POSIX timers: how they were created.
    origin: Option<PosixOrigin>,
    /// Bumped at every arm and disarm (changed with `st` held).
    gen: AtomicU64,
    st: Mutex<TimerState>,
}

/// How to treat a timer's signal found still queued.
#[derive(Clone, Copy)]
enum QueuedOp {
    /// Only report it.
    Peek,
    /// Add to its overrun count.
    Bump(i32),
    /// Take it out of the queue.
    Remove,
}

/// The overrun count field of a SI_TIMER `siginfo`.
const SI_OVERRUN_OFF: usize = 20;
/// The timer id field of a SI_TIMER `siginfo`.
const SI_TIMERID_OFF: usize = 16;

fn si_i32(info: &SigInfo, off: usize) -> i32 {
    i32::from_ne_bytes([info.0[off], info.0[off + 1], info.0[off + 2], info.0[off + 3]])
}

/// Finds the queued SI_TIMER record of timer `id` among the records of `sig`
/// in `q` and applies `op`; returns the record's overrun count after it.
/// The other records of `sig` go back in their order (records of other
/// signals are untouched, and delivery picks by signal number first).
fn edit_queued(q: &mut SigQueue, sig: i32, id: i32, op: QueuedOp) -> Option<i32> {
    let mut taken = Vec::new();
    while let Some(info) = q.take(sig) {
        taken.push(info);
    }
    let mut found = None;
    for mut info in taken {
        if found.is_none() && info.code() == SI_TIMER && si_i32(&info, SI_TIMERID_OFF) == id {
            let mut overrun = si_i32(&info, SI_OVERRUN_OFF);
            match op {
                QueuedOp::Peek => {}
                QueuedOp::Bump(n) => {
                    overrun = overrun.saturating_add(n);
                    info.0[SI_OVERRUN_OFF..SI_OVERRUN_OFF + 4].copy_from_slice(&overrun.to_ne_bytes());
                }
                QueuedOp::Remove => {
                    found = Some(overrun);
                    continue;
                }
            }
            found = Some(overrun);
        }
        q.push(info);
    }
    found
}

impl Timer {
    /// A disarmed timer signalling `tg`.
    pub fn new(tg: &Arc<ThreadGroup>, clock: TimerClock, notify: Notify) -> Arc<Timer> {
        Timer::with_origin(tg, clock, notify, None)
    }

    /// A disarmed POSIX timer, made as `origin` says.
    pub fn with_origin(
        tg: &Arc<ThreadGroup>,
        clock: TimerClock,
        notify: Notify,
        origin: Option<PosixOrigin>,
    ) -> Arc<Timer> {
        Arc::new(Timer {
            tg: Arc::downgrade(tg),
            clock,
            notify,
            origin,
            gen: AtomicU64::new(0),
            st: Mutex::new(TimerState::default()),
        })
    }

    /// How a POSIX timer was created.
    pub fn origin(&self) -> Option<&PosixOrigin> {
        self.origin.as_ref()
    }

    /// Whether the timer only counts (SIGEV_NONE).
    pub fn is_silent(&self) -> bool {
        matches!(self.notify, Notify::Silent)
    }

    /// The time left and the period, in ns. The time left is None while
    /// disarmed and `Some(0)` for a one-shot timer that is due but has not
    /// fired yet; a periodic timer reports the time to its next period.
    pub fn get(&self) -> (Option<u64>, u64) {
        let st = lock(&self.st);
        (self.left_locked(&st), st.interval)
    }

    fn left_locked(&self, st: &TimerState) -> Option<u64> {
        let next = st.next?;
        let now = self.clock.now().unwrap_or(next);
        if now < next {
            return Some(next - now);
        }
        if st.interval == 0 {
            return Some(0);
        }
        Some(st.interval - (now - next) % st.interval)
    }

    /// Arms the timer to expire at `value` ns on its clock (`abs`) or
    /// `value` ns from now, then every `interval` ns; `value` 0 disarms.
    /// A signal still queued from the previous setting is dropped, as Linux
    /// (6.13 and later) drops it at delivery. Returns the previous time left
    /// and period, as `get`.
    pub fn set(self: &Arc<Self>, kernel: &Arc<Kernel>, value: u64, interval: u64, abs: bool) -> (Option<u64>, u64) {
        let mut st = lock(&self.st);
        let old = (self.left_locked(&st), st.interval);
        self.disarm_locked(&mut st);
        if value == 0 {
            return old;
        }
        let Some(now) = self.clock.now() else {
            return old;
        };
        let next = if abs { value } else { now.saturating_add(value) };
        st.next = Some(next);
        st.interval = interval;
        if !matches!(self.notify, Notify::Silent) {
            let gen = self.gen.load(Ordering::Acquire);
            let at = instant_in(self.clock.wake_in(next.saturating_sub(now)));
            kernel.timers.schedule(kernel, at, self, gen);
        }
        old
    }

    /// Disarms the timer (timer_delete, exec).
    pub fn cancel(&self) {
        let mut st = lock(&self.st);
        self.disarm_locked(&mut st);
    }

    fn disarm_locked(&self, st: &mut TimerState) {
        self.gen.fetch_add(1, Ordering::AcqRel);
        st.next = None;
        st.interval = 0;
        if st.queued {
            self.with_queued(QueuedOp::Remove);
        }
        st.queued = false;
        st.pending_overrun = 0;
        st.last_overrun = 0;
    }

    /// Notices that the queued signal was delivered (its overrun count
    /// becomes the last one).
    fn settle_locked(&self, st: &mut TimerState) {
        if st.queued && self.with_queued(QueuedOp::Peek).is_none() {
            st.last_overrun = st.pending_overrun;
            st.queued = false;
        }
    }

    /// Whether the timer's signal record waits in a queue now.
    fn record_queued(&self) -> bool {
        let mut st = lock(&self.st);
        self.settle_locked(&mut st);
        st.queued
    }

    /// The overrun count of the last signal delivered (`timer_getoverrun`).
    pub fn overrun(&self) -> i32 {
        let mut st = lock(&self.st);
        self.settle_locked(&mut st);
        st.last_overrun
    }

    /// Applies `op` to this timer's signal if it is still queued.
    fn with_queued(&self, op: QueuedOp) -> Option<i32> {
        let Notify::Signal { id, sig, thread, .. } = &self.notify else {
            return None;
        };
        match thread {
            None => {
                let tg = self.tg.upgrade()?;
                let mut gs = lock(&tg.sig);
                edit_queued(&mut gs.pending, *sig, *id, op)
            }
            Some(t) => {
                let t = t.upgrade()?;
                let mut ts = lock(&t.sig);
                edit_queued(&mut ts.pending, *sig, *id, op)
            }
        }
    }

    /// Called by the service when an entry of generation `gen` is due:
    /// expires the timer if its clock has reached the expiry, and returns
    /// when to look again (None: the timer is done or was re-armed).
    fn fire(self: &Arc<Self>, kernel: &Kernel, gen: u64) -> Option<Instant> {
        if self.gen.load(Ordering::Acquire) != gen {
            return None;
        }
        let tg = self.tg.upgrade()?;
        let mut st = lock(&self.st);
        if self.gen.load(Ordering::Acquire) != gen {
            return None;
        }
        let next = st.next?;
        if tg.task_list().is_empty() {
            // The process has exited: the timer ends with it.
            self.disarm_locked(&mut st);
            return None;
        }
        let Some(now) = self.clock.now() else {
            self.disarm_locked(&mut st);
            return None;
        };
        if now < next {
            return Some(instant_in(self.clock.wake_in(next - now)));
        }
        if matches!(self.notify, Notify::RlimitCpu) {
            return self.expire_rlimit_locked(kernel, &tg, &mut st, now);
        }
        // Periods that passed unseen count as overruns.
        let overruns = match (now - next).checked_div(st.interval) {
            Some(missed) => {
                st.next = Some(next + (missed + 1) * st.interval);
                missed
            }
            None => {
                st.next = None;
                0
            }
        };
        self.notify_locked(kernel, &tg, &mut st, overruns.min(i32::MAX as u64) as i32);
        let next = st.next?;
        Some(instant_in(self.clock.wake_in(next.saturating_sub(now)).max(MIN_REFIRE)))
    }

    /// Sends the expiry signal; if the previous one is still queued, counts
    /// overruns in it instead.
    fn notify_locked(&self, kernel: &Kernel, tg: &Arc<ThreadGroup>, st: &mut TimerState, overruns: i32) {
        match &self.notify {
            Notify::Silent | Notify::RlimitCpu => {}
            Notify::Itimer(sig) => {
                send(kernel, Target::Group(tg), SigInfo::kernel(*sig), Origin::Kernel);
            }
            Notify::Signal { id, sig, value, thread } => {
                if st.queued {
                    match self.with_queued(QueuedOp::Bump(overruns.saturating_add(1))) {
                        Some(o) => {
                            st.pending_overrun = o;
                            return;
                        }
                        None => {
                            st.last_overrun = st.pending_overrun;
                            st.queued = false;
                        }
                    }
                }
                let info = SigInfo::timer(*sig, *id, overruns, *value);
                let sent = match thread {
                    // Linux's send_sigqueue does not force (the process's own).
                    None => send(kernel, Target::Group(tg), info, Origin::Timer(tg)),
                    Some(t) => match t.upgrade() {
                        Some(t) => send(kernel, Target::Task(&t), info, Origin::Timer(tg)),
                        None => false,
                    },
                };
                if sent {
                    st.queued = true;
                    st.pending_overrun = overruns;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The timers of a process.

/// ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF.
pub const ITIMER_REAL: usize = 0;
pub const ITIMER_VIRTUAL: usize = 1;
pub const ITIMER_PROF: usize = 2;

/// The timer table of a process. Guarded by `ProcessTimers::table`.
#[derive(Default)]
struct TimerTable {
    /// The interval timers, created on first use.
    itimers: [Option<Arc<Timer>>; 3],
    /// POSIX timers by id.
    posix: BTreeMap<i32, Arc<Timer>>,
    /// The RLIMIT_CPU check, created when the limit is first finite.
    rlimit_cpu: Option<Arc<Timer>>,
    /// The next id to try (Linux hands ids out in increasing order and does
    /// not reuse them until the counter wraps).
    next_id: u32,
}

/// A process's interval and POSIX timers and its CPU accounting.
#[derive(Default)]
pub struct ProcessTimers {
    table: Mutex<TimerTable>,
    cpu: Mutex<CpuAccount>,
}

impl ProcessTimers {
    /// Interval timer `which` of process `tg`, created disarmed on first use.
    pub fn itimer(&self, tg: &Arc<ThreadGroup>, which: usize) -> Arc<Timer> {
        let mut t = lock(&self.table);
        t.itimers[which]
            .get_or_insert_with(|| {
                let (clock, sig) = match which {
                    ITIMER_REAL => (TimerClock::Host(libc::CLOCK_MONOTONIC), libc::SIGALRM),
                    ITIMER_VIRTUAL => (TimerClock::Process(Arc::downgrade(tg), CpuClock::Virt), libc::SIGVTALRM),
                    _ => (TimerClock::Process(Arc::downgrade(tg), CpuClock::Prof), libc::SIGPROF),
                };
                Timer::new(tg, clock, Notify::Itimer(sig))
            })
            .clone()
    }

    /// Interval timer `which` if it was ever used.
    pub fn itimer_if_any(&self, which: usize) -> Option<Arc<Timer>> {
        lock(&self.table).itimers[which].clone()
    }

    /// Takes the next POSIX timer id. Ids are used up even if the creation
    /// then fails, as in Linux.
    pub fn alloc_id(&self) -> Result<i32, Errno> {
        let mut t = lock(&self.table);
        if t.posix.len() >= MAX_POSIX_TIMERS {
            return Err(Errno::EAGAIN);
        }
        loop {
            let id = (t.next_id & i32::MAX as u32) as i32;
            t.next_id = t.next_id.wrapping_add(1);
            if !t.posix.contains_key(&id) {
                return Ok(id);
            }
        }
    }

    /// Installs POSIX timer `id` (from `alloc_id`).
    pub fn insert(&self, id: i32, timer: Arc<Timer>) {
        lock(&self.table).posix.insert(id, timer);
    }

    /// POSIX timer `id`.
    pub fn get(&self, id: i32) -> Result<Arc<Timer>, Errno> {
        lock(&self.table).posix.get(&id).cloned().ok_or(Errno::EINVAL)
    }

    /// Deletes POSIX timer `id`.
    pub fn delete(&self, id: i32) -> Result<(), Errno> {
        let timer = lock(&self.table).posix.remove(&id).ok_or(Errno::EINVAL)?;
        timer.cancel();
        Ok(())
    }

    /// The signal records the POSIX timers hold in reserve: one per timer
    /// (Linux allocates it with the timer, whatever its sigevent), except
    /// those queued now, which the queues count.
    pub fn reserved_records(&self) -> u64 {
        let timers: Vec<Arc<Timer>> = lock(&self.table).posix.values().cloned().collect();
        timers.iter().filter(|t| !t.record_queued()).count() as u64
    }

    /// The POSIX timers, newest first (as Linux lists them).
    pub fn posix_list(&self) -> Vec<(i32, Arc<Timer>)> {
        lock(&self.table).posix.iter().rev().map(|(id, t)| (*id, t.clone())).collect()
    }

    /// `execve` deletes the POSIX timers (interval timers survive).
    pub fn on_exec(&self) {
        let timers = std::mem::take(&mut lock(&self.table).posix);
        for t in timers.values() {
            t.cancel();
        }
    }

    /// Folds the CPU time and peak memory of stub process `host_pid` into
    /// the process's totals. Call it while the stub still exists and is
    /// about to be replaced (exec) or killed (exit).
    pub fn retire_image(&self, host_pid: i32) {
        let raw = host_process_cpu(host_pid);
        let rss = host_maxrss_kb(host_pid);
        let mut cpu = lock(&self.cpu);
        if cpu.retired == host_pid {
            return;
        }
        if let Some(raw) = raw {
            cpu.base = cpu.base + raw;
        }
        cpu.maxrss_kb = cpu.maxrss_kb.max(rss.unwrap_or(0));
        cpu.retired = host_pid;
    }

    /// The raw CPU clocks of process `tg` (whose timers these are): every
    /// image it ran, the live one included.
    pub fn raw_cpu(&self, tg: &ThreadGroup) -> RawCpu {
        let live = stub_pid(tg);
        let cpu = lock(&self.cpu);
        match live {
            Some(pid) if pid != cpu.retired => cpu.base + host_process_cpu(pid).unwrap_or_default(),
            _ => cpu.base,
        }
    }

    /// User and system time of process `tg`, as `times` and `getrusage`
    /// report them.
    pub fn cpu_times(&self, tg: &ThreadGroup) -> CpuTimes {
        let raw = self.raw_cpu(tg);
        let mut cpu = lock(&self.cpu);
        let mut prev = cpu.prev;
        let t = cputime_adjust(raw, &mut prev);
        cpu.prev = prev;
        t
    }

    /// The peak resident set of process `tg` over all its images, KiB.
    pub fn maxrss_kb(&self, tg: &ThreadGroup) -> u64 {
        let live = stub_pid(tg).and_then(host_maxrss_kb).unwrap_or(0);
        live.max(lock(&self.cpu).maxrss_kb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_pops_in_deadline_order() {
        let base = Instant::now();
        let mut h = DeadlineHeap::default();
        for (ms, v) in [(30, 'c'), (10, 'a'), (20, 'b'), (10, 'A'), (40, 'd')] {
            h.push(base + Duration::from_millis(ms), v);
        }
        assert_eq!(h.next_deadline(), Some(base + Duration::from_millis(10)));
        // Nothing is due before the first deadline.
        assert_eq!(h.pop_due(base), None);
        let now = base + Duration::from_millis(30);
        let mut out = Vec::new();
        while let Some(v) = h.pop_due(now) {
            out.push(v);
        }
        // Equal deadlines keep their insertion order.
        assert_eq!(out, vec!['a', 'A', 'b', 'c']);
        assert_eq!(h.len(), 1);
        h.retain(|&v| v != 'd');
        assert_eq!(h.len(), 0);
    }

    #[test]
    fn queued_timer_signal_counts_overruns() {
        let mut q = SigQueue::default();
        let rt = crate::kernel::signal::SIGRTMIN + 2;
        q.push(SigInfo::kernel(rt));
        q.push(SigInfo::timer(rt, 7, 0, 42));
        q.push(SigInfo::timer(rt, 8, 0, 43));
        assert_eq!(edit_queued(&mut q, rt, 7, QueuedOp::Bump(3)), Some(3));
        assert_eq!(edit_queued(&mut q, rt, 7, QueuedOp::Peek), Some(3));
        assert_eq!(edit_queued(&mut q, rt, 9, QueuedOp::Peek), None);
        // The records keep their order.
        assert_eq!(q.take(rt).map(|i| i.code()), Some(crate::kernel::signal::SI_KERNEL));
        let first = q.take(rt).expect("timer 7");
        assert_eq!(si_i32(&first, SI_TIMERID_OFF), 7);
        assert_eq!(si_i32(&first, SI_OVERRUN_OFF), 3);
        assert_eq!(edit_queued(&mut q, rt, 8, QueuedOp::Remove), Some(0));
        assert_eq!(q.mask(), 0);
    }
}
