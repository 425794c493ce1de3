//! Live strace subscribers: whoever asks the sandbox to trace a container
//! (or one process and its later children) gets the `--strace` lines of
//! those processes in a bounded queue of its own, drained by the control
//! connection that asked.
//!
//! When nobody traces, the run loop pays one relaxed atomic load per
//! syscall (`Tracers::active`). A subscriber that does not keep up never
//! blocks a task: lines beyond `QUEUE_LINES` are counted and dropped, and a
//! `[husk] N lines dropped` line takes their place once there is room.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::kernel::container::ContainerTag;
use crate::kernel::task::ThreadGroup;
use crate::kernel::Kernel;

/// Lines a subscriber may have waiting before new ones are dropped.
pub const QUEUE_LINES: usize = 4096;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The subscribers of one kernel.
#[derive(Default)]
pub struct Tracers {
    /// How many subscribers there are (read on every syscall).
    count: AtomicUsize,
    subs: Mutex<Vec<Arc<Subscriber>>>,
    /// Lines handed to subscribers since boot (dropped ones included).
    lines: AtomicU64,
}

impl Tracers {
    /// Whether anyone traces: the run loop's fast check.
    #[inline]
    pub fn active(&self) -> bool {
        self.count.load(Ordering::Relaxed) != 0
    }

    /// How many subscribers there are.
    pub fn subscribers(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Lines handed to subscribers since boot.
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::Relaxed)
    }

    fn add(&self, s: Arc<Subscriber>) {
        let mut subs = lock(&self.subs);
        subs.push(s);
        self.count.store(subs.len(), Ordering::Relaxed);
    }

    fn remove(&self, s: &Arc<Subscriber>) {
        let mut subs = lock(&self.subs);
        subs.retain(|x| !Arc::ptr_eq(x, s));
        self.count.store(subs.len(), Ordering::Relaxed);
    }

    /// The subscribers that want the syscalls of process `tg`.
    pub fn matching(&self, tg: &ThreadGroup) -> Vec<Arc<Subscriber>> {
        lock(&self.subs).iter().filter(|s| s.wants(tg)).cloned().collect()
    }

    /// Hands `line` to `subs`.
    pub fn publish(&self, subs: &[Arc<Subscriber>], line: &str) {
        for s in subs {
            s.push(line);
        }
        self.lines.fetch_add(subs.len() as u64, Ordering::Relaxed);
    }

    /// Process `parent` forked `child`: subscribers tracing the parent
    /// trace the child too.
    pub fn on_fork(&self, parent: i32, child: i32) {
        if !self.active() {
            return;
        }
        for s in lock(&self.subs).iter() {
            if let Some(pids) = &s.pids {
                let mut pids = lock(pids);
                if pids.contains(&parent) {
                    pids.insert(child);
                }
            }
        }
    }
}

/// Pending lines of a subscriber.
#[derive(Default)]
struct Queue {
    lines: VecDeque<String>,
    /// Lines dropped since the last one queued.
    dropped: u64,
}

/// One tracing client.
pub struct Subscriber {
    /// The container whose processes are traced.
    container: Arc<ContainerTag>,
    /// Only these processes (a process and its children forked since),
    /// or every process of the container.
    pids: Option<Mutex<HashSet<i32>>>,
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl Subscriber {
    fn wants(&self, tg: &ThreadGroup) -> bool {
        Arc::ptr_eq(&tg.container, &self.container) && self.pids.as_ref().is_none_or(|p| lock(p).contains(&tg.gpid()))
    }

    fn push(&self, line: &str) {
        let mut q = lock(&self.queue);
        if q.lines.len() >= QUEUE_LINES {
            q.dropped += 1;
            return;
        }
        if q.dropped > 0 {
            let n = std::mem::take(&mut q.dropped);
            q.lines.push_back(dropped_line(n));
        }
        q.lines.push_back(line.to_string());
        drop(q);
        self.ready.notify_one();
    }

    /// The next line, waiting at most `timeout` for one.
    pub fn next(&self, timeout: Duration) -> Option<String> {
        let q = lock(&self.queue);
        let (mut q, _) =
            self.ready.wait_timeout_while(q, timeout, |q| q.lines.is_empty()).unwrap_or_else(|e| e.into_inner());
        q.lines.pop_front()
    }

    /// A line saying how many lines were dropped since the last one
    /// queued, if any were.
    pub fn take_dropped(&self) -> Option<String> {
        let n = std::mem::take(&mut lock(&self.queue).dropped);
        (n > 0).then(|| dropped_line(n))
    }

    /// The traced processes, when tracing is limited to some.
    pub fn pids(&self) -> Option<Vec<i32>> {
        self.pids.as_ref().map(|p| lock(p).iter().copied().collect())
    }
}

fn dropped_line(n: u64) -> String {
    format!("[husk] {n} lines dropped (the tracing client did not keep up)")
}

/// A subscription; tracing for it ends when it is dropped.
pub struct Subscription {
    kernel: Arc<Kernel>,
    sub: Arc<Subscriber>,
}

impl Subscription {
    /// Traces the processes of `container` (only `pid` and the children it
    /// forks from now on, if given).
    pub fn new(kernel: &Arc<Kernel>, container: Arc<ContainerTag>, pid: Option<i32>) -> Subscription {
        let sub = Arc::new(Subscriber {
            container,
            pids: pid.map(|p| Mutex::new(HashSet::from([p]))),
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
        });
        kernel.tracers.add(sub.clone());
        Subscription { kernel: kernel.clone(), sub }
    }

    /// The subscriber: its lines.
    pub fn subscriber(&self) -> &Subscriber {
        &self.sub
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.kernel.tracers.remove(&self.sub);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(pids: Option<i32>) -> Arc<Subscriber> {
        Arc::new(Subscriber {
            container: ContainerTag::new("c", crate::kernel::ns::NsProxy::for_tests()),
            pids: pids.map(|p| Mutex::new(HashSet::from([p]))),
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
        })
    }

    #[test]
    fn a_slow_subscriber_loses_lines_and_is_told() {
        let s = sub(None);
        for i in 0..QUEUE_LINES + 10 {
            s.push(&format!("line {i}"));
        }
        for i in 0..QUEUE_LINES {
            assert_eq!(s.next(Duration::ZERO).as_deref(), Some(format!("line {i}").as_str()));
        }
        s.push("after");
        assert_eq!(s.next(Duration::ZERO), Some(dropped_line(10)));
        assert_eq!(s.next(Duration::ZERO).as_deref(), Some("after"));
        assert_eq!(s.next(Duration::from_millis(1)), None);
        assert_eq!(s.take_dropped(), None);
    }

    #[test]
    fn forks_of_a_traced_process_are_traced() {
        let t = Tracers::default();
        let s = sub(Some(5));
        t.add(s.clone());
        assert!(t.active());
        t.on_fork(5, 6);
        t.on_fork(7, 8);
        t.on_fork(6, 9);
        let mut pids = s.pids().unwrap();
        pids.sort_unstable();
        assert_eq!(pids, vec![5, 6, 9]);
        t.remove(&s);
        assert!(!t.active());
    }
}
