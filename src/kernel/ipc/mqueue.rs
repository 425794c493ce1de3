//! POSIX message queues (mq_overview(7)), as Linux's ipc/mqueue.c keeps
//! them: each IPC namespace has its own set of names (`MqNames`, which its
//! mqueue file system shows as files); a queue lives while it has a name
//! or an open descriptor.
//!
//! Messages are kept by priority, oldest first within one. A receiver that
//! finds the queue empty registers itself (in arrival order); a send hands
//! its message straight to the first registered receiver (Linux's
//! pipelined send: the queue stays empty, no notification). A sender that
//! finds the queue full registers with its message, and the receive that
//! makes room moves the first registered sender's message in (Linux's
//! pipelined receive), so waiting senders go in arrival order.
//! When a message arrives in an empty queue with no one waiting, the
//! registered notification (mq_notify) fires once and is removed.
//!
//! Each queue is charged to its creator's uid for as long as it lives, as
//! Linux charges a user's queues against RLIMIT_MSGQUEUE (EMFILE); the
//! sandbox has one user namespace, so the charges are the process's.
//!
//! Lock order: the name table, then a queue's state.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

use crate::kernel::errno::Errno;
use crate::kernel::ns::pid::Pid;
use crate::kernel::task::ThreadGroup;
use crate::kernel::vfs::file::OpenFile;
use crate::kernel::vfs::stat::{now, Stat};
use crate::kernel::wait::{block_until, WaitQueue};
use crate::netstack::socket::SocketFile;

/// Priorities are below this (MQ_PRIO_MAX).
pub const MQ_PRIO_MAX: u32 = 32768;
/// What a queue may hold at most with CAP_SYS_RESOURCE (HARD_MSGMAX,
/// HARD_MSGSIZEMAX), and the bounds of the sysctls.
pub const HARD_MSGMAX: i64 = 65536;
pub const HARD_MSGSIZEMAX: i64 = 16 * 1024 * 1024;
pub const MIN_MSGMAX: i64 = 1;
pub const MIN_MSGSIZEMAX: i64 = 128;
/// Linux's defaults of `/proc/sys/fs/mqueue/*`.
pub const DFLT_QUEUESMAX: i64 = 256;
pub const DFLT_MSGMAX: i64 = 10;
pub const DFLT_MSGSIZEMAX: i64 = 8192;
/// The length of a name (NAME_MAX).
const NAME_MAX: usize = 255;
/// The size a queue's file reports.
const FILENT_SIZE: u64 = 80;

/// sigev_notify values.
pub const SIGEV_SIGNAL: i32 = 0;
pub const SIGEV_NONE: i32 = 1;
pub const SIGEV_THREAD: i32 = 2;

/// A queue's fixed attributes (`struct mq_attr` but mq_flags and mq_curmsgs).
#[derive(Clone, Copy, Debug)]
pub struct Attr {
    pub maxmsg: i64,
    pub msgsize: i64,
}

/// The bytes of a SIGEV_THREAD cookie; its last one says what happened.
pub const NOTIFY_COOKIE_LEN: usize = 32;
const NOTIFY_WOKENUP: u8 = 1;
const NOTIFY_REMOVED: u8 = 2;

/// A SIGEV_THREAD notification: the caller's cookie, sent to its netlink
/// socket when the notification fires or is removed (glibc's helper
/// thread reads it there and runs the function).
pub struct Cookie {
    pub sock: Arc<OpenFile>,
    pub data: [u8; NOTIFY_COOKIE_LEN],
}

impl Cookie {
    fn send(&self, code: u8) {
        let mut d = self.data.to_vec();
        d[NOTIFY_COOKIE_LEN - 1] = code;
        if let Ok(s) = SocketFile::of(&self.sock) {
            // Linux's netlink_sendskb cannot fail either.
            let _ = s.sock.deliver_from_kernel(d);
        }
    }
}

/// What mq_notify asks for.
pub struct NotifyReq {
    /// SIGEV_SIGNAL, SIGEV_NONE or SIGEV_THREAD.
    pub how: i32,
    pub signo: i32,
    pub value: u64,
    /// SIGEV_THREAD's cookie and socket.
    pub cookie: Option<Cookie>,
}

/// A registered notification.
struct Notify {
    req: NotifyReq,
    owner: Weak<ThreadGroup>,
    owner_pid: Arc<Pid>,
}

impl Notify {
    /// The notification is removed without firing.
    fn removed(self) {
        if let Some(c) = &self.req.cookie {
            c.send(NOTIFY_REMOVED);
        }
    }
}

/// What a send makes the caller deliver: a SIGEV_SIGNAL notification
/// (SIGEV_THREAD's cookie is sent by the queue itself).
pub struct Fire {
    pub owner: Arc<ThreadGroup>,
    pub signo: i32,
    pub value: u64,
}

struct Receiver {
    ticket: u64,
}

/// A sender waiting for room, with its message.
struct Sender {
    ticket: u64,
    text: Vec<u8>,
    prio: u32,
}

struct QueueState {
    /// Messages by priority, oldest first.
    msgs: BTreeMap<u32, VecDeque<Vec<u8>>>,
    count: i64,
    /// Bytes of text queued (QSIZE).
    bytes: u64,
    waiting: VecDeque<Receiver>,
    handed: HashMap<u64, (Vec<u8>, u32)>,
    senders: VecDeque<Sender>,
    /// Tickets of registered senders whose message went in.
    sent: HashSet<u64>,
    next_ticket: u64,
    notify: Option<Notify>,
    uid: u32,
    gid: u32,
    mode: u32,
    atime: (i64, i64),
    mtime: (i64, i64),
    ctime: (i64, i64),
}

/// The bytes each uid's queues are charged (Linux's per-user mq_bytes).
static USER_BYTES: Mutex<BTreeMap<u32, u64>> = Mutex::new(BTreeMap::new());

/// What a queue is charged: its messages' room plus Linux's bookkeeping
/// per message and per priority (`struct msg_msg`, `posix_msg_tree_node`:
/// 48 bytes each on x86_64).
fn queue_bytes(attr: Attr) -> u64 {
    let (n, size) = (attr.maxmsg as u64, attr.msgsize as u64);
    n * 48 + n.min(MQ_PRIO_MAX as u64) * 48 + n * size
}

/// Charges `bytes` to `uid` within `limit`: EMFILE past it.
fn charge(uid: u32, bytes: u64, limit: u64) -> Result<(), Errno> {
    let mut users = USER_BYTES.lock().unwrap_or_else(|e| e.into_inner());
    let used = users.entry(uid).or_default();
    match used.checked_add(bytes) {
        Some(t) if t <= limit => {
            *used = t;
            Ok(())
        }
        _ => Err(Errno::EMFILE),
    }
}

/// One queue (the inode of its name).
pub struct MqQueue {
    pub ino: u64,
    pub attr: Attr,
    /// The uid charged for it.
    charged: u32,
    st: Mutex<QueueState>,
    /// Woken when a message is added (receivers), taken (senders), and on
    /// every change of readiness (poll, epoll).
    pub queue: WaitQueue,
}

static NEXT_INO: AtomicU64 = AtomicU64::new(2);

impl MqQueue {
    fn new(attr: Attr, mode: u32, uid: u32, gid: u32) -> Arc<MqQueue> {
        let t = now();
        Arc::new(MqQueue {
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            attr,
            charged: uid,
            st: Mutex::new(QueueState {
                msgs: BTreeMap::new(),
                count: 0,
                bytes: 0,
                waiting: VecDeque::new(),
                handed: HashMap::new(),
                senders: VecDeque::new(),
                sent: HashSet::new(),
                next_ticket: 0,
                notify: None,
                uid,
                gid,
                mode: mode & 0o7777,
                atime: t,
                mtime: t,
                ctime: t,
            }),
            queue: WaitQueue::default(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The file's metadata (`dev` is the file system's).
    pub fn stat(&self, dev: u64) -> Stat {
        let st = self.lock();
        Stat {
            dev,
            ino: self.ino,
            mode: libc::S_IFREG | st.mode,
            nlink: 1,
            uid: st.uid,
            gid: st.gid,
            size: FILENT_SIZE,
            blksize: 4096,
            atime: st.atime,
            mtime: st.mtime,
            ctime: st.ctime,
            ..Default::default()
        }
    }

    /// chmod and chown of the file.
    pub fn set_owner_mode(&self, mode: Option<u32>, uid: Option<u32>, gid: Option<u32>) {
        let mut st = self.lock();
        if let Some(m) = mode {
            st.mode = m & 0o7777;
        }
        st.uid = uid.unwrap_or(st.uid);
        st.gid = gid.unwrap_or(st.gid);
        st.ctime = now();
    }

    /// Messages queued now.
    pub fn curmsgs(&self) -> i64 {
        self.lock().count
    }

    /// Readiness for poll: POLLIN with a message queued, POLLOUT with room.
    pub fn poll_ready(&self, events: i16) -> i16 {
        let st = self.lock();
        let mut r = 0;
        if st.count > 0 {
            r |= libc::POLLIN | libc::POLLRDNORM;
        }
        if st.count < self.attr.maxmsg {
            r |= libc::POLLOUT | libc::POLLWRNORM;
        }
        r & events
    }

    /// The text a read of the file gives, with pids as `pidns` sees them.
    pub fn text(&self, pidns: Option<&crate::kernel::ns::PidNamespace>) -> String {
        let st = self.lock();
        let (how, signo, pid) = match &st.notify {
            Some(n) => (
                n.req.how,
                if n.req.how == SIGEV_SIGNAL { n.req.signo } else { 0 },
                pidns.map_or(0, |ns| n.owner_pid.nr_in(ns)),
            ),
            None => (0, 0, 0),
        };
        format!("QSIZE:{:<10} NOTIFY:{how:<5} SIGNO:{signo:<5} NOTIFY_PID:{pid:<6}\n", st.bytes)
    }

    /// mq_timedsend(2), once the caller's access and the length were
    /// checked: waits for room (until `deadline`: ETIMEDOUT) unless
    /// `nonblock` (EAGAIN). Returns the notification to deliver, if the
    /// message woke one.
    pub fn send(
        &self,
        text: Vec<u8>,
        prio: u32,
        nonblock: bool,
        deadline: Option<Instant>,
    ) -> Result<Option<Fire>, Errno> {
        let mut text = Some(text);
        let mut ticket: Option<u64> = None;
        let r = block_until(&[&self.queue], deadline, || {
            let mut st = self.lock();
            if let Some(t) = ticket {
                return st.sent.remove(&t).then_some(Ok(None));
            }
            if st.count >= self.attr.maxmsg {
                if nonblock {
                    return Some(Err(Errno::EAGAIN));
                }
                let t = st.next_ticket;
                st.next_ticket += 1;
                st.senders.push_back(Sender { ticket: t, text: text.take()?, prio });
                ticket = Some(t);
                return None;
            }
            let text = text.take()?;
            let t = now();
            st.atime = t;
            st.mtime = t;
            st.ctime = t;
            if let Some(r) = st.waiting.pop_front() {
                st.handed.insert(r.ticket, (text, prio));
                return Some(Ok(None));
            }
            insert_locked(&mut st, text, prio);
            Some(Ok(if st.count == 1 { fire_locked(&mut st) } else { None }))
        });
        let r = match r {
            Err(e) => {
                // A message moved in meanwhile was sent.
                let mut st = self.lock();
                let t = ticket.unwrap_or(u64::MAX);
                if st.sent.remove(&t) {
                    Ok(None)
                } else {
                    st.senders.retain(|s| s.ticket != t);
                    Err(e)
                }
            }
            ok => ok,
        };
        self.queue.notify_all();
        r
    }

    /// mq_timedreceive(2), once the caller's access and buffer size were
    /// checked: the oldest message of the highest priority and its
    /// priority, waiting (until `deadline`) unless `nonblock` (EAGAIN).
    pub fn receive(&self, nonblock: bool, deadline: Option<Instant>) -> Result<(Vec<u8>, u32), Errno> {
        let mut ticket: Option<u64> = None;
        let r = block_until(&[&self.queue], deadline, || {
            let mut st = self.lock();
            if let Some(t) = ticket {
                return st.handed.remove(&t).map(Ok);
            }
            if let Some((&prio, q)) = st.msgs.iter_mut().next_back() {
                let text = q.pop_front().unwrap_or_default();
                if q.is_empty() {
                    st.msgs.remove(&prio);
                }
                st.count -= 1;
                st.bytes -= text.len() as u64;
                let t = now();
                st.atime = t;
                st.mtime = t;
                st.ctime = t;
                if let Some(s) = st.senders.pop_front() {
                    insert_locked(&mut st, s.text, s.prio);
                    st.sent.insert(s.ticket);
                }
                return Some(Ok((text, prio)));
            }
            if nonblock {
                return Some(Err(Errno::EAGAIN));
            }
            let t = st.next_ticket;
            st.next_ticket += 1;
            st.waiting.push_back(Receiver { ticket: t });
            ticket = Some(t);
            None
        });
        let r = match r {
            Err(e) => {
                // A message handed over meanwhile is still this caller's.
                let mut st = self.lock();
                let t = ticket.unwrap_or(u64::MAX);
                if let Some(m) = st.handed.remove(&t) {
                    Ok(m)
                } else {
                    st.waiting.retain(|r| r.ticket != t);
                    Err(e)
                }
            }
            ok => ok,
        };
        self.queue.notify_all();
        r
    }

    /// mq_notify(2): registers (`Some`) or removes (`None`) the caller's
    /// notification; EBUSY when another process has one.
    pub fn set_notify(
        &self,
        req: Option<NotifyReq>,
        owner: &Arc<ThreadGroup>,
        owner_pid: &Arc<Pid>,
    ) -> Result<(), Errno> {
        let mut st = self.lock();
        let mine = st.notify.as_ref().is_some_and(|n| Arc::ptr_eq(&n.owner_pid, owner_pid));
        match req {
            None => {
                if mine {
                    if let Some(n) = st.notify.take() {
                        n.removed();
                    }
                    st.atime = now();
                    st.ctime = st.atime;
                }
                Ok(())
            }
            Some(_) if st.notify.as_ref().is_some_and(|n| n.owner.strong_count() > 0) => Err(Errno::EBUSY),
            Some(req) => {
                st.notify = Some(Notify { req, owner: Arc::downgrade(owner), owner_pid: owner_pid.clone() });
                st.atime = now();
                st.ctime = st.atime;
                Ok(())
            }
        }
    }

    /// Removes the notification of the process `pid`, if it has it (its
    /// descriptor of the queue was closed).
    pub fn drop_notify_of(&self, pid: &Arc<Pid>) {
        let mut st = self.lock();
        if st.notify.as_ref().is_some_and(|n| Arc::ptr_eq(&n.owner_pid, pid)) {
            if let Some(n) = st.notify.take() {
                n.removed();
            }
        }
    }
}

impl Drop for MqQueue {
    /// The queue is gone (no name, no descriptor): its charge goes back.
    fn drop(&mut self) {
        let mut users = USER_BYTES.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(used) = users.get_mut(&self.charged) {
            *used = used.saturating_sub(queue_bytes(self.attr));
        }
    }
}

/// Queues a message. Precondition: `st` is the queue's locked state.
fn insert_locked(st: &mut QueueState, text: Vec<u8>, prio: u32) {
    st.bytes += text.len() as u64;
    st.msgs.entry(prio).or_default().push_back(text);
    st.count += 1;
}

/// The notification to fire now that the queue is no longer empty (Linux's
/// __do_notify); it is removed either way.
fn fire_locked(st: &mut QueueState) -> Option<Fire> {
    let n = st.notify.take()?;
    if let Some(c) = &n.req.cookie {
        c.send(NOTIFY_WOKENUP);
        return None;
    }
    if n.req.how != SIGEV_SIGNAL || n.req.signo == 0 {
        return None;
    }
    Some(Fire { owner: n.owner.upgrade()?, signo: n.req.signo, value: n.req.value })
}

/// The names of one IPC namespace's queues.
pub struct MqNames {
    names: Mutex<BTreeMap<Vec<u8>, Arc<MqQueue>>>,
    /// The root directory's times.
    pub created: (i64, i64),
}

/// What mq_open asks to create.
pub struct Create {
    pub attr: Attr,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// CAP_SYS_RESOURCE: beyond queues_max.
    pub privileged: bool,
    pub queues_max: i64,
    /// The creator's RLIMIT_MSGQUEUE.
    pub rlimit: u64,
}

/// Checks a queue name: one component, not `.` or `..`.
pub fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if name.is_empty() || name.contains(&b'/') || name == b"." || name == b".." {
        return Err(Errno::EACCES);
    }
    Ok(())
}

impl MqNames {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<Vec<u8>, Arc<MqQueue>>> {
        self.names.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The queue named `name`.
    pub fn get(&self, name: &[u8]) -> Option<Arc<MqQueue>> {
        self.lock().get(name).cloned()
    }

    /// Every name, sorted.
    pub fn list(&self) -> Vec<(Vec<u8>, Arc<MqQueue>)> {
        self.lock().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// The queue named `name`, made now with `create` if there is none
    /// (ENOSPC past queues_max, EMFILE past the creator's RLIMIT_MSGQUEUE),
    /// or `None`'s ENOENT; EEXIST with `excl`.
    /// The bool says whether it was made.
    pub fn open(&self, name: &[u8], create: Option<&Create>, excl: bool) -> Result<(Arc<MqQueue>, bool), Errno> {
        let mut names = self.lock();
        if let Some(q) = names.get(name) {
            if create.is_some() && excl {
                return Err(Errno::EEXIST);
            }
            return Ok((q.clone(), false));
        }
        let c = create.ok_or(Errno::ENOENT)?;
        if names.len() as i64 >= c.queues_max && !c.privileged {
            return Err(Errno::ENOSPC);
        }
        charge(c.uid, queue_bytes(c.attr), c.rlimit)?;
        let q = MqQueue::new(c.attr, c.mode, c.uid, c.gid);
        names.insert(name.to_vec(), q.clone());
        Ok((q, true))
    }

    /// Removes a name (the queue stays while descriptors hold it).
    pub fn unlink(&self, name: &[u8]) -> Result<Arc<MqQueue>, Errno> {
        self.lock().remove(name).ok_or(Errno::ENOENT)
    }
}

impl Default for MqNames {
    /// An empty set of names, its directory made now.
    fn default() -> MqNames {
        MqNames { names: Mutex::new(BTreeMap::new()), created: now() }
    }
}
