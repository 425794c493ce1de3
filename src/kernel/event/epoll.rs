//! epoll(7): an interest list of (descriptor, open file) pairs and the
//! events they are ready for.
//!
//! As in Linux, each item watches its file's poll queue: a notification
//! puts the item on the epoll's ready list and wakes the epoll's own queue
//! (its `epoll_wait` sleepers, and pollers of the epoll fd itself, such as
//! an outer epoll). Harvesting polls the items of the ready list: a
//! level-triggered item that is still ready goes back on the list, an
//! edge-triggered one waits for the next notification, a one-shot one is
//! disabled until EPOLL_CTL_MOD. Files without a poll queue (signalfd, the
//! caller's stdio, which the host must be asked about) and nested epolls
//! are polled at every harvest instead; for those, an edge is new readiness
//! since the last harvest.
//!
//! An item holds its file weakly: once the file is closed in every
//! descriptor table it drops out of the interest list.

use std::collections::{HashMap, HashSet, VecDeque};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use super::anon_stat;
use crate::kernel::errno::Errno;
use crate::kernel::vfs::file::{FileOps, OpenFile};
use crate::kernel::vfs::stat::Stat;
use crate::kernel::wait::{block_until, WaitQueue, Wakeable};

// Event bits of `struct epoll_event` (the low 16 are poll(2)'s).
const EPOLLIN: u32 = 0x001;
const EPOLLOUT: u32 = 0x004;
const EPOLLERR: u32 = 0x008;
const EPOLLHUP: u32 = 0x010;
const EPOLLEXCLUSIVE: u32 = 1 << 28;
const EPOLLWAKEUP: u32 = 1 << 29;
const EPOLLONESHOT: u32 = 1 << 30;
const EPOLLET: u32 = 1 << 31;

/// Bits that steer the item rather than name events.
const PRIVATE_BITS: u32 = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;
/// What EPOLLEXCLUSIVE may be combined with.
const EXCLUSIVE_OK_BITS: u32 = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

/// epoll_ctl(2) operation: add an item.
pub const EPOLL_CTL_ADD: i32 = 1;
/// epoll_ctl(2) operation: remove an item.
pub const EPOLL_CTL_DEL: i32 = 2;
/// epoll_ctl(2) operation: change an item's events and data.
pub const EPOLL_CTL_MOD: i32 = 3;

/// Most epolls one chain of nested epolls may hold (Linux's EP_MAX_NESTS).
const MAX_NESTS: usize = 4;

/// How often host-backed items are re-polled while `epoll_wait` sleeps.
const HOST_POLL_SLICE: Duration = Duration::from_millis(20);

/// An item's identity: the descriptor number and the open file.
type Key = (i32, usize);

fn key_of(fd: i32, file: &Arc<OpenFile>) -> Key {
    (fd, Arc::as_ptr(file) as usize)
}

/// The part of an item subscribed to its file's poll queue.
struct Watch {
    key: Key,
    epoll: Weak<Epoll>,
    /// The item's events (a copy, readable without the epoll's lock), to
    /// ignore wake-ups about other events.
    interest: AtomicU32,
}

impl Wakeable for Watch {
    fn wake(&self) {
        if let Some(ep) = self.epoll.upgrade() {
            ep.mark(self.key);
        }
    }

    fn wake_events(&self, events: u32) {
        if events & self.interest.load(Ordering::Relaxed) != 0 {
            self.wake();
        }
    }
}

/// One entry of the interest list.
struct Item {
    watch: Arc<Watch>,
    file: Weak<OpenFile>,
    /// Requested events with EPOLLERR|EPOLLHUP and the private bits; only
    /// the private bits once a one-shot item has fired.
    events: u32,
    data: u64,
    /// Polled at every harvest: no poll queue, host-backed, or an epoll.
    always: bool,
    /// The host descriptor to poll, for host-backed files.
    host_fd: Option<RawFd>,
    /// Readiness found at the last harvest (edges of `always` items).
    last: u32,
}

/// The interest list. Guarded by `Epoll::state`.
#[derive(Default)]
struct State {
    items: HashMap<Key, Item>,
    /// Keys of the `always` items.
    always: Vec<Key>,
    /// Size at which the next ADD sweeps out items of closed files.
    sweep_at: usize,
}

/// The ready list. Guarded by `Epoll::ready`, which is taken after
/// `Epoll::state` when both are needed, and alone by item callbacks.
/// `always` items stay on it for good (they are polled in turn with the
/// others, so a small `maxevents` starves none).
#[derive(Default)]
struct Ready {
    list: VecDeque<Key>,
    /// The keys on `list`.
    queued: HashSet<Key>,
    /// Keys notified since the last harvest (the edges of `always` items;
    /// any other item on the list has had one).
    marked: HashSet<Key>,
}

/// An epoll instance.
pub struct Epoll {
    state: Mutex<State>,
    ready: Mutex<Ready>,
    /// Notified when an item may have become ready.
    queue: WaitQueue,
}

/// Serialises the loop checks of EPOLL_CTL_ADD of an epoll into an epoll
/// (Linux's epnested_mutex), so two such calls cannot build a cycle.
static NESTING: Mutex<()> = Mutex::new(());

impl Epoll {
    /// A new, empty epoll.
    pub fn new() -> Arc<Epoll> {
        Arc::new(Epoll {
            state: Mutex::new(State { sweep_at: 64, ..Default::default() }),
            ready: Mutex::new(Ready::default()),
            queue: WaitQueue::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_ready(&self) -> std::sync::MutexGuard<'_, Ready> {
        self.ready.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts `key` on the ready list as notified, and wakes waiters.
    fn mark(&self, key: Key) {
        {
            let mut r = self.lock_ready();
            r.marked.insert(key);
            if r.queued.insert(key) {
                r.list.push_back(key);
            }
        }
        self.queue.notify_events(libc::POLLIN as u32);
    }

    /// Puts `key` on the ready list without waking anyone.
    fn enqueue(&self, key: Key) {
        let mut r = self.lock_ready();
        if r.queued.insert(key) {
            r.list.push_back(key);
        }
    }

    /// The file of the `nth` item registered under descriptor number `fd`
    /// (one number may name several files, each registered while it was
    /// that number): kcmp's KCMP_EPOLL_TFD. Items of closed files are
    /// gone, as Linux drops them when the file is released.
    pub fn target_file(&self, fd: i32, nth: u64) -> Option<Arc<OpenFile>> {
        let st = self.lock();
        let mut files: Vec<(usize, Arc<OpenFile>)> = st
            .items
            .iter()
            .filter(|(key, _)| key.0 == fd)
            .filter_map(|(key, item)| item.file.upgrade().map(|f| (key.1, f)))
            .collect();
        files.sort_by_key(|(at, _)| *at);
        files.into_iter().nth(usize::try_from(nth).ok()?).map(|(_, f)| f)
    }

    /// epoll_ctl(2) on this epoll for descriptor `fd` of `file`. `event` is
    /// (events, data), absent for EPOLL_CTL_DEL. The caller has checked
    /// that `file` can be polled and is not this epoll.
    pub fn ctl(
        self: &Arc<Self>,
        op: i32,
        fd: i32,
        file: &Arc<OpenFile>,
        event: Option<(u32, u64)>,
    ) -> Result<(), Errno> {
        let (mut events, data) = event.unwrap_or((0, 0));
        events &= !EPOLLWAKEUP; // Needs CAP_BLOCK_SUSPEND; dropped silently, as Linux does without it.
        let target = super::downcast::<EpollFile>(file).map(|e| e.0.clone());
        let exclusive = op != EPOLL_CTL_DEL && events & EPOLLEXCLUSIVE != 0;
        if exclusive && (op == EPOLL_CTL_MOD || target.is_some() || events & !EXCLUSIVE_OK_BITS != 0) {
            return Err(Errno::EINVAL);
        }
        let _nesting = match (&target, op) {
            (Some(inner), EPOLL_CTL_ADD) => {
                let g = NESTING.lock().unwrap_or_else(|e| e.into_inner());
                if inner.reaches(self, 1)? {
                    return Err(Errno::ELOOP);
                }
                Some(g)
            }
            _ => None,
        };
        let key = key_of(fd, file);
        let mut st = self.lock();
        match op {
            EPOLL_CTL_ADD => {
                if st.items.contains_key(&key) {
                    return Err(Errno::EEXIST);
                }
                if st.items.len() >= st.sweep_at {
                    self.sweep_locked(&mut st);
                }
                let watch = Arc::new(Watch {
                    key,
                    epoll: Arc::downgrade(self),
                    interest: AtomicU32::new(events | EPOLLERR | EPOLLHUP),
                });
                if let Some(q) = file.ops.poll_queue() {
                    q.subscribe(Arc::downgrade(&watch) as Weak<dyn Wakeable>);
                }
                let host_fd = file.ops.poll_host_fd();
                let always = host_fd.is_some() || file.ops.poll_queue().is_none() || target.is_some();
                st.items.insert(
                    key,
                    Item {
                        watch,
                        file: Arc::downgrade(file),
                        events: events | EPOLLERR | EPOLLHUP,
                        data,
                        always,
                        host_fd,
                        last: 0,
                    },
                );
                if always {
                    st.always.push(key);
                    self.enqueue(key);
                }
            }
            EPOLL_CTL_MOD => {
                let it = st.items.get_mut(&key).ok_or(Errno::ENOENT)?;
                if it.events & EPOLLEXCLUSIVE != 0 {
                    return Err(Errno::EINVAL);
                }
                it.events = events | EPOLLERR | EPOLLHUP;
                it.watch.interest.store(it.events, Ordering::Relaxed);
                it.data = data;
                it.last = 0;
            }
            EPOLL_CTL_DEL => {
                let it = st.items.remove(&key).ok_or(Errno::ENOENT)?;
                if let Some(q) = file.ops.poll_queue() {
                    q.unsubscribe(&(Arc::downgrade(&it.watch) as Weak<dyn Wakeable>));
                }
                st.always.retain(|k| *k != key);
                return Ok(());
            }
            _ => return Err(Errno::EINVAL),
        }
        // A new or changed item that is ready now is reported without
        // waiting for a notification.
        let it = &st.items[&key];
        let mask = it.events & !PRIVATE_BITS;
        let ready = match it.host_fd {
            Some(h) => host_poll(&[(h, mask)])[0],
            None => readiness(file, mask),
        };
        drop(st);
        if ready != 0 {
            self.mark(key);
        }
        Ok(())
    }

    /// Drops the items whose file is closed everywhere.
    fn sweep_locked(&self, st: &mut State) {
        st.items.retain(|_, it| it.file.strong_count() > 0);
        let items = &st.items;
        st.always.retain(|k| items.contains_key(k));
        st.sweep_at = (st.items.len() * 2).max(64);
    }

    /// Whether `target` is this epoll or nested in it, or the nesting
    /// below this epoll is deeper than Linux allows. `depth` counts the
    /// epolls above this one in the chain being built.
    fn reaches(self: &Arc<Self>, target: &Arc<Epoll>, depth: usize) -> Result<bool, Errno> {
        if Arc::ptr_eq(self, target) || depth > MAX_NESTS {
            return Ok(true);
        }
        let children: Vec<Arc<Epoll>> = {
            let st = self.lock();
            st.always
                .iter()
                .filter_map(|k| st.items.get(k)?.file.upgrade())
                .filter_map(|f| super::downcast::<EpollFile>(&f).map(|e| e.0.clone()))
                .collect()
        };
        for c in children {
            if c.reaches(target, depth + 1)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether some item (here or in a nested epoll) is a host descriptor,
    /// whose readiness nothing notifies: sleeps then poll it in slices.
    fn needs_host_polling(&self) -> bool {
        let (host, children): (bool, Vec<Arc<Epoll>>) = {
            let st = self.lock();
            let host = st.always.iter().any(|k| st.items.get(k).is_some_and(|it| it.host_fd.is_some()));
            let children = st
                .always
                .iter()
                .filter_map(|k| st.items.get(k)?.file.upgrade())
                .filter_map(|f| super::downcast::<EpollFile>(&f).map(|e| e.0.clone()))
                .collect();
            (host, children)
        };
        host || children.iter().any(|c| c.needs_host_polling())
    }

    /// Empties the ready list: its keys in order, each with whether it was
    /// notified since the last harvest.
    fn take_ready(&self) -> Vec<(Key, bool)> {
        let mut r = self.lock_ready();
        let marked = std::mem::take(&mut r.marked);
        r.queued.clear();
        r.list.drain(..).map(|k| (k, marked.contains(&k))).collect()
    }

    /// Collects up to `max` events (ep_send_events).
    fn harvest(&self, max: usize) -> Vec<(u32, u64)> {
        let mut st = self.lock();
        let cands = self.take_ready();
        // Ask the host about host-backed candidates all at once.
        let host: Vec<(RawFd, u32)> = cands
            .iter()
            .filter_map(|(k, _)| {
                let it = st.items.get(k)?;
                it.host_fd.map(|h| (h, it.events & !PRIVATE_BITS))
            })
            .collect();
        let host_rev = host_poll(&host);
        let mut host_iter = host_rev.into_iter();
        let mut out = Vec::new();
        let mut keep_front: Vec<Key> = Vec::new();
        let mut keep_back: Vec<Key> = Vec::new();
        let mut dead: Vec<Key> = Vec::new();
        let mut remark: Vec<Key> = Vec::new();
        for (k, notified) in cands {
            let Some(it) = st.items.get_mut(&k) else { continue };
            let host_r = it.host_fd.map(|_| host_iter.next().unwrap_or(0));
            if out.len() >= max {
                keep_front.push(k);
                if notified {
                    remark.push(k);
                }
                continue;
            }
            let Some(file) = it.file.upgrade() else {
                dead.push(k);
                continue;
            };
            if it.always {
                keep_back.push(k);
            }
            let mask = it.events & !PRIVATE_BITS;
            if mask == 0 {
                continue;
            }
            let rev = host_r.unwrap_or_else(|| readiness(&file, mask)) & mask;
            let fresh = rev & !it.last != 0;
            if it.always {
                it.last = rev;
            }
            if rev == 0 {
                continue;
            }
            let edge = !it.always || notified || fresh;
            if it.events & EPOLLET != 0 && !edge {
                continue;
            }
            out.push((rev, it.data));
            if it.events & EPOLLONESHOT != 0 {
                it.events &= PRIVATE_BITS;
            } else if it.events & EPOLLET == 0 && !it.always {
                keep_back.push(k);
            }
        }
        for k in dead {
            st.items.remove(&k);
            st.always.retain(|x| *x != k);
        }
        drop(st);
        if !keep_front.is_empty() || !keep_back.is_empty() {
            let mut r = self.lock_ready();
            r.marked.extend(remark);
            for k in keep_front.into_iter().rev() {
                if r.queued.insert(k) {
                    r.list.push_front(k);
                }
            }
            for k in keep_back {
                if r.queued.insert(k) {
                    r.list.push_back(k);
                }
            }
        }
        out
    }

    /// Whether an `epoll_wait` now would return something, without taking
    /// anything (the epoll's own readiness, for poll and nested epolls).
    fn has_events(&self) -> bool {
        let st = self.lock();
        let cands: Vec<(Key, bool)> = {
            let r = self.lock_ready();
            r.list.iter().map(|k| (*k, r.marked.contains(k))).collect()
        };
        for (k, notified) in cands {
            let Some(it) = st.items.get(&k) else { continue };
            let Some(file) = it.file.upgrade() else { continue };
            let mask = it.events & !PRIVATE_BITS;
            if mask == 0 {
                continue;
            }
            let rev = match it.host_fd {
                Some(h) => host_poll(&[(h, mask)])[0],
                None => readiness(&file, mask),
            };
            if rev == 0 {
                continue;
            }
            let edge = !it.always || notified || rev & !it.last != 0;
            if it.events & EPOLLET != 0 && !edge {
                continue;
            }
            return true;
        }
        false
    }

    /// epoll_wait: up to `max` events, sleeping until one comes, `deadline`
    /// passes (`None`: forever) or a signal interrupts (EINTR: epoll_wait
    /// is never restarted).
    pub fn wait(&self, max: usize, deadline: Option<Instant>) -> Result<Vec<(u32, u64)>, Errno> {
        let ev = self.harvest(max);
        if !ev.is_empty() || deadline.is_some_and(|d| d <= Instant::now()) {
            return Ok(ev);
        }
        loop {
            let sliced = self.needs_host_polling();
            let until = match (sliced, deadline) {
                (false, d) => d,
                (true, None) => Some(Instant::now() + HOST_POLL_SLICE),
                (true, Some(d)) => Some(d.min(Instant::now() + HOST_POLL_SLICE)),
            };
            let r = block_until(&[&self.queue], until, || {
                let ev = self.harvest(max);
                (!ev.is_empty()).then_some(Ok(ev))
            });
            match r {
                Ok(ev) => return Ok(ev),
                Err(Errno::ETIMEDOUT) if deadline.is_none_or(|d| Instant::now() < d) => continue,
                Err(Errno::ETIMEDOUT) => return Ok(Vec::new()),
                Err(Errno::ERESTARTSYS) => return Err(Errno::EINTR),
                Err(e) => return Err(e),
            }
        }
    }
}

/// The readiness of a sentry file for the epoll events in `mask`.
fn readiness(file: &OpenFile, mask: u32) -> u32 {
    let ev = (mask & 0xffff) as u16 as i16;
    (file.ops.poll_ready(ev) as u16 as u32) & mask
}

/// Asks the host about (descriptor, epoll events) pairs without waiting.
fn host_poll(fds: &[(RawFd, u32)]) -> Vec<u32> {
    if fds.is_empty() {
        return Vec::new();
    }
    let mut p: Vec<libc::pollfd> =
        fds.iter().map(|&(fd, ev)| libc::pollfd { fd, events: (ev & 0xffff) as u16 as i16, revents: 0 }).collect();
    // SAFETY: poll reads and writes our pollfd vector, of the length given.
    let n = unsafe { libc::poll(p.as_mut_ptr(), p.len() as libc::nfds_t, 0) };
    p.iter().zip(fds).map(|(p, &(_, ev))| if n > 0 { (p.revents as u16 as u32) & ev } else { 0 }).collect()
}

/// Whether `file` supports poll, so epoll may watch it (else EPERM):
/// regular files, directories and the memory devices do not, as in Linux.
pub fn can_watch(file: &OpenFile) -> Result<bool, Errno> {
    if file.ops.poll_queue().is_some() || file.ops.as_any().is_some_and(|a| a.is::<super::signalfd::SignalFile>()) {
        return Ok(true);
    }
    if let Some(h) = file.ops.poll_host_fd() {
        return Ok(host_can_watch(h));
    }
    let st = file.ops.stat()?;
    Ok(match st.file_type() {
        libc::S_IFREG | libc::S_IFDIR => false,
        // /dev/null, /dev/zero, /dev/full have no poll in Linux.
        libc::S_IFCHR => !matches!(st.rdev, 0x103 | 0x105 | 0x107),
        _ => true,
    })
}

/// Asks the host whether its epoll takes descriptor `fd` (EPERM for
/// regular files and /dev/null, for instance), with a private probe epoll.
fn host_can_watch(fd: RawFd) -> bool {
    static PROBE: OnceLock<Option<OwnedFd>> = OnceLock::new();
    let probe = PROBE.get_or_init(|| {
        // SAFETY: epoll_create1 returns a new descriptor we then own.
        let p = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        // SAFETY: `p` is a fresh descriptor owned by nobody else.
        (p >= 0).then(|| unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(p) })
    });
    let Some(probe) = probe else { return true };
    let mut ev = libc::epoll_event { events: 0, u64: 0 };
    // SAFETY: epoll_ctl on our probe epoll with a local event.
    let r = unsafe { libc::epoll_ctl(probe.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) };
    if r < 0 {
        return Errno::last() != Errno::EPERM;
    }
    // SAFETY: as above; the event argument is ignored for DEL.
    unsafe { libc::epoll_ctl(probe.as_raw_fd(), libc::EPOLL_CTL_DEL, fd, &mut ev) };
    true
}

/// The open file of an epoll.
pub struct EpollFile(pub Arc<Epoll>);

impl FileOps for EpollFile {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(anon_stat())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn poll_ready(&self, events: i16) -> i16 {
        if self.0.has_events() {
            (libc::POLLIN | libc::POLLRDNORM) & events
        } else {
            0
        }
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.0.queue)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
