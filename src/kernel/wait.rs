//! Blocking in the sentry. A task sleeps on its own `Waker`; everything that
//! could end the sleep (data in a pipe, a futex wake, a child's exit, a
//! signal) notifies the wakers registered on its `WaitQueue`, or the task's
//! waker directly. Every sleep is interruptible: a pending signal ends it
//! with ERESTARTSYS, which the signal code turns into EINTR or a restart.
//!
//! The sentry thread running a task knows it through a thread-local (`set_current`),
//! so file implementations can block without being handed the task.

use std::cell::RefCell;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Instant;

use crate::kernel::errno::Errno;
use crate::kernel::task::TaskShared;

/// Wakes one sleeping task.
#[derive(Default)]
pub struct Waker {
    /// Bumped by every notification; guards the sleep.
    seq: Mutex<u64>,
    cv: Condvar,
}

impl Waker {
    /// Ends the current or next sleep of the task.
    pub fn notify(&self) {
        *self.seq.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.cv.notify_all();
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
                    seq = self
                        .cv
                        .wait_timeout(seq, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }
}

/// The tasks waiting for one kind of event.
#[derive(Default)]
pub struct WaitQueue {
    /// Registered wakers; dead ones are pruned on notify.
    wakers: Mutex<Vec<Weak<Waker>>>,
}

impl WaitQueue {
    /// Wakes every waiting task (they re-check their condition).
    pub fn notify_all(&self) {
        let mut w = self.wakers.lock().unwrap_or_else(|e| e.into_inner());
        w.retain(|weak| match weak.upgrade() {
            Some(k) => {
                k.notify();
                true
            }
            None => false,
        });
    }

    fn register(&self, k: &Arc<Waker>) {
        self.wakers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::downgrade(k));
    }

    fn unregister(&self, k: &Arc<Waker>) {
        let target = Arc::downgrade(k);
        self.wakers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|w| !w.ptr_eq(&target) && w.strong_count() > 0);
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<TaskShared>>> = const { RefCell::new(None) };
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
        waker.sleep(seen, deadline);
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
