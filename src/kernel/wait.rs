//! Blocking in the sentry. A task sleeps on its own `Waker`; everything that
//! could end the sleep (data in a pipe, a futex wake, a child's exit, a
//! signal) notifies the wakers registered on its `WaitQueue`, or the task's
//! waker directly. Every sleep is interruptible: a pending signal ends it
//! with ERESTARTSYS, which the signal code turns into EINTR or a restart.
//!
//! The sentry thread running a task knows it through a thread-local (`set_current`),
//! so file implementations can block without being handed the task.

use std::cell::RefCell;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::Instant;

use crate::kernel::errno::Errno;
use crate::kernel::task::TaskShared;

/// Wakes one sleeping task.
#[derive(Default)]
pub struct Waker {
    /// Bumped by every notification; guards the sleep.
    seq: Mutex<u64>,
    cv: Condvar,
    /// An eventfd for sleeps that also poll host descriptors (`HostSource`),
    /// made on first use; `polling` while such a sleep is under way.
    efd: OnceLock<Option<OwnedFd>>,
    polling: AtomicBool,
    /// Sleeps the task went into (`/proc/PID/status`'s
    /// voluntary_ctxt_switches), and whether it is in one now (`wchan`).
    sleeps: AtomicU64,
    asleep: AtomicBool,
}

impl Waker {
    /// Ends the current or next sleep of the task.
    pub fn notify(&self) {
        *self.seq.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        // Only the task's own thread sleeps on its waker: when that thread
        // notifies itself (serving a host source), there is no one to wake.
        if std::ptr::eq(SERVING.with(|c| c.get()), self) {
            return;
        }
        self.cv.notify_all();
        if self.polling.load(Ordering::SeqCst) {
            if let Some(Some(fd)) = self.efd.get() {
                let _ = nix::unistd::write(fd, &1u64.to_ne_bytes());
            }
        }
    }

    /// How many times the task went to sleep waiting for an event: each
    /// wait of `block_until` not already ended by a notification.
    pub fn sleeps(&self) -> u64 {
        self.sleeps.load(Ordering::Relaxed)
    }

    /// Whether the task is asleep in `block_until` now.
    pub fn asleep(&self) -> bool {
        self.asleep.load(Ordering::Relaxed)
    }

    fn seq(&self) -> u64 {
        *self.seq.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps until the sequence moves past `seen` or `deadline` passes.
    fn sleep(&self, seen: u64, deadline: Option<Instant>) {
        let mut seq = self.seq.lock().unwrap_or_else(|e| e.into_inner());
        while *seq == seen {
            match deadline {
                None => seq = self.cv.wait(seq).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return;
                    }
                    seq = self.cv.wait_timeout(seq, d - now).unwrap_or_else(|e| e.into_inner()).0;
                }
            }
        }
    }

    /// Sleeps like `sleep`, and meanwhile serves the host descriptors of
    /// `sources` itself: data arriving there is moved in by this thread,
    /// without waking a pump thread first (a wake-up across CPUs costs tens
    /// of µs here: half of a keystroke's echo).
    fn sleep_polling(&self, seen: u64, deadline: Option<Instant>, sources: &[Arc<dyn HostSource>]) {
        let efd = self.efd.get_or_init(|| {
            nix::sys::eventfd::EventFd::from_flags(
                nix::sys::eventfd::EfdFlags::EFD_NONBLOCK | nix::sys::eventfd::EfdFlags::EFD_CLOEXEC,
            )
            .ok()
            .map(OwnedFd::from)
        });
        let Some(efd) = efd else {
            return self.sleep(seen, deadline);
        };
        self.polling.store(true, Ordering::SeqCst);
        SERVING.with(|c| c.set(self as *const Waker));
        for src in sources {
            src.serving(true);
        }
        // Sources that made no progress are left out (their data waits for
        // room), so a readable descriptor does not make this spin.
        let mut idle = vec![false; sources.len()];
        while self.seq() == seen {
            let timeout_ms = match deadline {
                None => -1,
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        break;
                    }
                    (d - now).as_millis().min(i32::MAX as u128) as i32 + 1
                }
            };
            let mut fds: Vec<libc::pollfd> =
                vec![libc::pollfd { fd: efd.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
            for (src, &idle) in sources.iter().zip(&idle) {
                let fd = if idle { -1 } else { src.host_fd() };
                fds.push(libc::pollfd { fd, events: libc::POLLIN, revents: 0 });
            }
            let any_idle = idle.iter().any(|&i| i);
            let timeout_ms = if any_idle && !(0..=10).contains(&timeout_ms) { 10 } else { timeout_ms };
            if host_poll(&mut fds, timeout_ms) < 0 {
                break;
            }
            if fds[0].revents != 0 {
                let mut b = [0u8; 8];
                let _ = nix::unistd::read(efd.as_raw_fd(), &mut b);
            }
            for (i, src) in sources.iter().enumerate() {
                // Readable, or waiting for room: try to move data in.
                if fds[i + 1].revents != 0 || idle[i] {
                    idle[i] = !src.pump();
                }
            }
        }
        for src in sources {
            src.serving(false);
        }
        SERVING.with(|c| c.set(std::ptr::null()));
        self.polling.store(false, Ordering::SeqCst);
    }
}

/// poll(2) on host descriptors; EINTR counts as "nothing ready".
fn host_poll(fds: &mut [libc::pollfd], timeout_ms: i32) -> i32 {
    // SAFETY: `fds` is an exclusively borrowed slice of pollfd structs the
    // kernel writes `revents` into; negative descriptors are ignored.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    if n < 0 && Errno::last() == Errno::EINTR {
        0
    } else {
        n
    }
}

/// Something outside the sentry that feeds a queue's object: a host
/// descriptor whose readiness means data for it (a terminal's input). A
/// task sleeping on the queue polls the descriptor and moves the data in
/// itself (`pump`); a pump thread does the same when no task sleeps.
pub trait HostSource: Send + Sync {
    /// The host descriptor to poll for input.
    fn host_fd(&self) -> RawFd;
    /// Moves what is ready into the sentry object without blocking, and
    /// notifies its queue; false when nothing could move.
    fn pump(&self) -> bool;
    /// A sleeper starts (true) or stops (false) serving the source.
    fn serving(&self, _on: bool) {}
}

/// What a `WaitQueue` notification reaches: a sleeping task's `Waker`, or
/// a watcher that forwards the event (an epoll item watching a file, see
/// `kernel::event::epoll`). `wake` is called without the queue's lock held
/// and must not block.
pub trait Wakeable: Send + Sync {
    /// The queue was notified.
    fn wake(&self);
    /// The queue was notified of a change to the readiness bits `events`
    /// (`POLLIN`, `POLLOUT`...) only, as Linux's wake-up keys: a watcher
    /// interested in none of them may ignore it.
    fn wake_events(&self, _events: u32) {
        self.wake();
    }
}

impl Wakeable for Waker {
    fn wake(&self) {
        self.notify();
    }
}

/// The tasks waiting for one kind of event.
#[derive(Default)]
pub struct WaitQueue {
    /// Registered wakers and watchers; dead ones are pruned on notify.
    wakers: Mutex<Vec<Weak<dyn Wakeable>>>,
    /// A host descriptor feeding this queue's object, served by sleepers.
    source: Mutex<Option<Arc<dyn HostSource>>>,
}

impl WaitQueue {
    /// Sets (or clears) the host source sleepers on this queue serve.
    pub fn set_source(&self, s: Option<Arc<dyn HostSource>>) {
        *self.source.lock().unwrap_or_else(|e| e.into_inner()) = s;
    }

    fn source(&self) -> Option<Arc<dyn HostSource>> {
        self.source.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Wakes every waiting task (they re-check their condition). Call it
    /// without holding the lock of the object the queue belongs to: an
    /// O_ASYNC watcher (`signal/fasync.rs`) reads the object's readiness
    /// on this thread.
    pub fn notify_all(&self) {
        self.notify_with(None);
    }

    /// Like `notify_all`, saying that only the readiness bits `events`
    /// (`POLLIN`, `POLLOUT`...) may have changed: epoll items watching for
    /// other events are not woken (so EPOLLET reports no false edge, as a
    /// pipe read waking writers does not wake readers in Linux).
    pub fn notify_events(&self, events: u32) {
        self.notify_with(Some(events));
    }

    fn notify_with(&self, events: Option<u32>) {
        let live: Vec<Arc<dyn Wakeable>> = {
            let mut w = self.wakers.lock().unwrap_or_else(|e| e.into_inner());
            let mut live = Vec::with_capacity(w.len());
            w.retain(|weak| match weak.upgrade() {
                Some(k) => {
                    live.push(k);
                    true
                }
                None => false,
            });
            live
        };
        for k in live {
            match events {
                Some(ev) => k.wake_events(ev),
                None => k.wake(),
            }
        }
    }

    /// Adds a long-lived watcher, notified until `unsubscribe` or until it
    /// is dropped (epoll items; sleeping tasks use `block_until`).
    pub fn subscribe(&self, w: Weak<dyn Wakeable>) {
        self.wakers.lock().unwrap_or_else(|e| e.into_inner()).push(w);
    }

    /// Removes a watcher added by `subscribe`.
    pub fn unsubscribe(&self, w: &Weak<dyn Wakeable>) {
        self.wakers.lock().unwrap_or_else(|e| e.into_inner()).retain(|x| !x.ptr_eq(w) && x.strong_count() > 0);
    }

    fn register(&self, k: &Arc<Waker>) {
        let w: Weak<dyn Wakeable> = Arc::downgrade(k) as Weak<dyn Wakeable>;
        self.subscribe(w);
    }

    fn unregister(&self, k: &Arc<Waker>) {
        let w: Weak<dyn Wakeable> = Arc::downgrade(k) as Weak<dyn Wakeable>;
        self.unsubscribe(&w);
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<TaskShared>>> = const { RefCell::new(None) };
    /// The waker this thread sleeps on while it serves host sources.
    static SERVING: std::cell::Cell<*const Waker> = const { std::cell::Cell::new(std::ptr::null()) };
}

/// Declares the task this sentry thread runs.
pub fn set_current(task: Option<Arc<TaskShared>>) {
    CURRENT.with(|c| *c.borrow_mut() = task);
}

/// The task this sentry thread runs, if any.
pub fn current() -> Option<Arc<TaskShared>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Blocks the current task until `ready` yields a result, `deadline` passes
/// (ETIMEDOUT) or a signal interrupts (ERESTARTSYS). `ready` is called
/// after registering on `queues`, so a notification racing with it is
/// never lost.
pub fn block_until<T>(
    queues: &[&WaitQueue],
    deadline: Option<Instant>,
    ready: impl FnMut() -> Option<Result<T, Errno>>,
) -> Result<T, Errno> {
    block(queues, deadline, true, ready)
}

/// Like `block_until`, but signals do not end the sleep (a stopped task
/// waiting for SIGCONT; `ready` must watch for SIGKILL itself).
pub fn block_uninterruptible<T>(
    queues: &[&WaitQueue],
    ready: impl FnMut() -> Option<Result<T, Errno>>,
) -> Result<T, Errno> {
    block(queues, None, false, ready)
}

/// `block_uninterruptible` that gives up at `deadline` (ETIMEDOUT): for
/// a dying task waiting on others, which pending signals must not end.
pub fn block_uninterruptible_until<T>(
    queues: &[&WaitQueue],
    deadline: Instant,
    ready: impl FnMut() -> Option<Result<T, Errno>>,
) -> Result<T, Errno> {
    block(queues, Some(deadline), false, ready)
}

fn block<T>(
    queues: &[&WaitQueue],
    deadline: Option<Instant>,
    interruptible: bool,
    mut ready: impl FnMut() -> Option<Result<T, Errno>>,
) -> Result<T, Errno> {
    let task = current();
    let waker = match &task {
        Some(t) => t.waker.clone(),
        None => Arc::new(Waker::default()),
    };
    for q in queues {
        q.register(&waker);
    }
    // Looked up once the task is about to sleep: most calls never do.
    let mut sources: Option<Vec<Arc<dyn HostSource>>> = None;
    let result = loop {
        let seen = waker.seq();
        if let Some(r) = ready() {
            break r;
        }
        if interruptible && task.as_ref().is_some_and(|t| t.interrupted()) {
            break Err(Errno::ERESTARTSYS);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break Err(Errno::ETIMEDOUT);
        }
        crate::platform::about_to_block();
        let sources = sources.get_or_insert_with(|| queues.iter().filter_map(|q| q.source()).collect());
        waker.sleeps.fetch_add(1, Ordering::Relaxed);
        waker.asleep.store(true, Ordering::Relaxed);
        if sources.is_empty() {
            waker.sleep(seen, deadline);
        } else {
            waker.sleep_polling(seen, deadline, sources);
        }
        waker.asleep.store(false, Ordering::Relaxed);
    };
    for q in queues {
        q.unregister(&waker);
    }
    result
}

/// Sleeps until `deadline` (or forever), interruptibly: `Ok` when the time
/// passed, ERESTARTSYS when a signal came first.
pub fn sleep_until(deadline: Option<Instant>) -> Result<(), Errno> {
    match block_until::<()>(&[], deadline, || None) {
        Err(Errno::ETIMEDOUT) => Ok(()),
        r => r,
    }
}
