//! inotify(7) instances: a queue of `struct inotify_event` records fed by
//! the watches an instance holds in the VFS's notification registry
//! (`vfs/notify.rs`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};

use super::anon_stat;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::vfs::file::FileOps;
use crate::kernel::vfs::notify::{self, InodeKey, Listener, IN_IGNORED, IN_Q_OVERFLOW};
use crate::kernel::vfs::stat::Stat;
use crate::kernel::wait::{block_until, WaitQueue};

/// Events queued before the queue overflows (/proc/sys/fs/inotify/max_queued_events).
pub const MAX_QUEUED_EVENTS: usize = 16384;
/// Watches one user may hold (/proc/sys/fs/inotify/max_user_watches); kept
/// per instance here.
pub const MAX_WATCHES: usize = 8192;
/// Instances that may exist at once (/proc/sys/fs/inotify/max_user_instances);
/// counted for the whole sandbox here, per user in Linux.
pub const MAX_INSTANCES: usize = 128;

/// Instances alive now.
static INSTANCES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// `sizeof(struct inotify_event)`; names are padded to a multiple of it.
const EVENT_SIZE: usize = 16;

#[derive(PartialEq, Eq)]
struct Event {
    wd: i32,
    mask: u32,
    cookie: u32,
    name: Vec<u8>,
}

impl Event {
    /// The name field's length: the name, a NUL, padded (0 without a name).
    fn name_len(&self) -> usize {
        if self.name.is_empty() {
            0
        } else {
            (self.name.len() + 1).div_ceil(EVENT_SIZE) * EVENT_SIZE
        }
    }

    fn size(&self) -> usize {
        EVENT_SIZE + self.name_len()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.wd.to_ne_bytes());
        out.extend_from_slice(&self.mask.to_ne_bytes());
        out.extend_from_slice(&self.cookie.to_ne_bytes());
        out.extend_from_slice(&(self.name_len() as u32).to_ne_bytes());
        let start = out.len();
        out.extend_from_slice(&self.name);
        out.resize(start + self.name_len(), 0);
    }
}

#[derive(Default)]
struct State {
    events: VecDeque<Event>,
    /// Watch descriptors and what they watch.
    watches: HashMap<i32, InodeKey>,
    last_wd: i32,
}

/// The shared part of an instance: what the registry delivers to.
pub struct Group {
    st: Mutex<State>,
    queue: WaitQueue,
    me: Weak<Group>,
}

impl Group {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn listener(&self) -> Weak<dyn Listener> {
        self.me.clone()
    }

    fn owner(&self) -> usize {
        self.me.as_ptr() as *const () as usize
    }

    /// inotify_add_watch(2) on `key` (a directory also gives its device and
    /// path). `add` ORs the mask into an existing watch (IN_MASK_ADD);
    /// `create` refuses one (IN_MASK_CREATE, EEXIST).
    pub fn add_watch(
        &self,
        key: InodeKey,
        dir: Option<(u64, Vec<u8>)>,
        mask: u32,
        add: bool,
        create: bool,
    ) -> SysResult {
        let mut st = self.lock();
        let existing = st.watches.iter().find(|(_, k)| **k == key).map(|(wd, _)| *wd);
        let wd = match existing {
            Some(_) if create => return Err(Errno::EEXIST),
            Some(wd) => wd,
            None => {
                if st.watches.len() >= MAX_WATCHES {
                    return Err(Errno::ENOSPC);
                }
                st.last_wd += 1;
                let wd = st.last_wd;
                st.watches.insert(wd, key);
                wd
            }
        };
        // The registry keeps the mask; for IN_MASK_ADD it is read back there.
        let reg = notify::registry();
        let mask = if add && existing.is_some() { mask | reg.mask_of(self.owner(), key).unwrap_or(0) } else { mask };
        reg.add(self.listener(), self.owner(), wd, key, dir, mask);
        Ok(wd as u64)
    }

    /// inotify_rm_watch(2).
    pub fn rm_watch(&self, wd: i32) -> SysResult {
        let key = self.lock().watches.remove(&wd).ok_or(Errno::EINVAL)?;
        notify::registry().remove(self.owner(), key);
        self.push(Event { wd, mask: IN_IGNORED, cookie: 0, name: Vec::new() });
        Ok(0)
    }

    fn push(&self, ev: Event) {
        {
            let mut st = self.lock();
            // An event like the last one queued is merged into it.
            if st.events.back() == Some(&ev) {
                return;
            }
            if st.events.len() >= MAX_QUEUED_EVENTS {
                if st.events.back().is_none_or(|e| e.mask != IN_Q_OVERFLOW) {
                    st.events.push_back(Event { wd: -1, mask: IN_Q_OVERFLOW, cookie: 0, name: Vec::new() });
                }
                return;
            }
            st.events.push_back(ev);
        }
        self.queue.notify_events((libc::POLLIN | libc::POLLRDNORM) as u32);
    }

    /// Bytes of the events queued (FIONREAD).
    fn queued_bytes(&self) -> usize {
        self.lock().events.iter().map(Event::size).sum()
    }
}

impl Listener for Group {
    fn deliver(&self, wd: i32, mask: u32, cookie: u32, name: &[u8]) {
        self.push(Event { wd, mask, cookie, name: name.to_vec() });
    }

    fn watch_gone(&self, wd: i32) {
        self.lock().watches.remove(&wd);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        INSTANCES.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        let owner = self.owner();
        let st = self.st.get_mut().unwrap_or_else(|e| e.into_inner());
        for key in st.watches.values() {
            notify::registry().remove(owner, *key);
        }
    }
}

/// An inotify instance as an open file.
pub struct Inotify(pub Arc<Group>);

impl Inotify {
    /// A new instance with no watches; EMFILE past MAX_INSTANCES.
    pub fn new() -> Result<Inotify, Errno> {
        use std::sync::atomic::Ordering;
        if INSTANCES.fetch_add(1, Ordering::Relaxed) >= MAX_INSTANCES {
            INSTANCES.fetch_sub(1, Ordering::Relaxed);
            return Err(Errno::EMFILE);
        }
        Ok(Inotify(Arc::new_cyclic(|me| Group { st: Mutex::default(), queue: WaitQueue::default(), me: me.clone() })))
    }
}

impl FileOps for Inotify {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.read_stream(buf, false)
    }

    /// Whole events, as many as fit; EINVAL when not even the first does.
    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        let g = &self.0;
        let out = block_until(&[&g.queue], None, || {
            let mut st = g.lock();
            let Some(first) = st.events.front() else {
                return nonblock.then_some(Err(Errno::EAGAIN));
            };
            if first.size() > buf.len() {
                return Some(Err(Errno::EINVAL));
            }
            let mut out = Vec::new();
            while let Some(ev) = st.events.front() {
                if out.len() + ev.size() > buf.len() {
                    break;
                }
                ev.encode(&mut out);
                st.events.pop_front();
            }
            Some(Ok(out))
        });
        let out = out?;
        buf[..out.len()].copy_from_slice(&out);
        Ok(out.len())
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(anon_stat())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn ioctl(&self, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        match req {
            libc::FIONREAD => mem.write_bytes(arg, &(self.0.queued_bytes() as i32).to_ne_bytes()).map(|_| 0),
            _ => Err(Errno::ENOTTY),
        }
    }

    fn poll_ready(&self, events: i16) -> i16 {
        let ready = if self.0.lock().events.is_empty() { 0 } else { libc::POLLIN | libc::POLLRDNORM };
        ready & events
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.0.queue)
    }
    fn fasync(&self, entry: &Arc<crate::kernel::signal::fasync::Fasync>, on: bool) -> bool {
        crate::kernel::signal::fasync::watch(entry, &self.0.queue, on)
    }
    fn fasync_backlog(&self) -> usize {
        self.0.queued_bytes()
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
