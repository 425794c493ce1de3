//! One AF_UNIX socket's shared state: its receive queue, its peer and its
//! listen queue. A sender pushes into the receiver's queue; both sides'
//! queues are notified on every change, and blocked senders wait on the
//! receiver's queue as well as their own.
//!
//! Peers hold each other (`Arc`); `close` (the socket file's drop) breaks
//! the cycle. Locks: never two endpoints' `st` at once, except a
//! listener's while creating (unlocked) server endpoints.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::kernel::errno::Errno;
use crate::kernel::vfs::file::OpenFile;
use crate::kernel::wait::{block_until, WaitQueue};
use crate::netstack::addr::UnixAddr;
use crate::netstack::socket::{CommonOpts, Received, RecvArgs, Ucred};

use super::skb::{dgram_truesize, stream_skb};
use super::Key;

/// Linux's default send buffer (wmem_default, 208 KiB).
pub const CAPACITY: usize = 212_992;
/// Datagrams a socket queues from senders it is not connected to
/// (`net.unix.max_dgram_qlen`): the queue is full past this many.
pub const MAX_DGRAM_QLEN: usize = 10;

/// One queued message (a stream keeps message boundaries only where
/// ancillary data starts).
pub struct Msg {
    pub data: Vec<u8>,
    /// Bytes already read (streams).
    pub off: usize,
    pub rights: Vec<Arc<OpenFile>>,
    pub creds: Ucred,
    /// The sender's name (datagrams).
    pub from: UnixAddr,
    /// When it was queued (datagrams and seqpackets, for SO_TIMESTAMP;
    /// Linux stamps no stream data).
    pub at: Duration,
    /// What it costs its sender while queued (none before it is); held
    /// for its drop.
    pub _charge: Option<SkbCharge>,
}

impl Msg {
    /// A message on its way: nothing read, stamped and charged when queued.
    pub fn outgoing(data: Vec<u8>, rights: Vec<Arc<OpenFile>>, creds: Ucred, from: UnixAddr) -> Msg {
        Msg { data, off: 0, rights, creds, from, at: Duration::ZERO, _charge: None }
    }
}

/// A queued skb's truesize, counted in its sender's `wmem` until the
/// message is consumed or dropped (Linux's `sock_wfree`).
pub struct SkbCharge {
    sender: Arc<Endpoint>,
    truesize: usize,
}

impl SkbCharge {
    fn new(sender: &Arc<Endpoint>, truesize: usize) -> SkbCharge {
        sender.wmem.fetch_add(truesize, Ordering::Relaxed);
        SkbCharge { sender: sender.clone(), truesize }
    }
}

impl Drop for SkbCharge {
    fn drop(&mut self) {
        let before = self.sender.wmem.fetch_sub(self.truesize, Ordering::Relaxed);
        // Writers and pollers of the sender go on once it is writable again.
        // Messages are dropped under the receiver's lock, and a queue's
        // watchers (O_ASYNC) look at readiness, which takes it: the wake-up
        // waits for `wake_writers`, called once the lock is released.
        if !self.sender.writable_at(before) && self.sender.writable() {
            WRITABLE_AGAIN.with(|w| w.borrow_mut().push(self.sender.clone()));
        }
    }
}

thread_local! {
    /// Senders that became writable on this thread, to wake (`SkbCharge`).
    static WRITABLE_AGAIN: std::cell::RefCell<Vec<Arc<Endpoint>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Wakes the senders whose messages this thread consumed or dropped, once
/// no endpoint lock is held.
fn wake_writers() {
    let senders = WRITABLE_AGAIN.with(|w| std::mem::take(&mut *w.borrow_mut()));
    for s in senders {
        s.queue.notify_all();
    }
}

/// Connection state.
pub enum Role {
    /// Neither listening nor connected (datagram sockets may still have a peer).
    Idle,
    /// Listening: embryonic server endpoints waiting for accept.
    Listening { backlog: usize, pending: VecDeque<Arc<Endpoint>> },
    /// A connected stream or seqpacket socket (stays so after the peer closes).
    Connected,
}

/// Guarded by `Endpoint::st`.
pub struct State {
    /// The name getsockname reports.
    pub name: UnixAddr,
    /// The registry key, when bound.
    pub key: Option<Key>,
    pub role: Role,
    /// The connected peer.
    pub peer: Option<Arc<Endpoint>>,
    pub rx: VecDeque<Msg>,
    pub rx_bytes: usize,
    /// No more data will arrive (peer shut its writing or closed; or we shut reading).
    pub rd_shut: bool,
    /// Writing fails with EPIPE (we shut it; or the peer closed or shut reading).
    pub wr_shut: bool,
    pub closed: bool,
    /// A pending error (ECONNRESET), reported once.
    pub error: Option<Errno>,
    /// SO_PEERCRED.
    pub peercred: Option<Ucred>,
    /// Credentials recorded at listen(), given to connecting clients.
    pub listen_cred: Ucred,
    /// A sender found this queue full (and may sleep, or wait in poll):
    /// the next read that frees room must wake the senders.
    pub writer_blocked: bool,
    /// A datagram socket connected to this one (Linux then marks both
    /// TCP_ESTABLISHED, as sock_diag and /proc/net/unix show).
    pub connected_to: bool,
    /// A server end waiting in a listener's accept queue (Linux's embryo:
    /// no inode yet, so peers and /proc/net/unix show 0).
    pub embryo: bool,
    /// Messages and connections that arrived so far: each is a POLL_IN
    /// for O_ASYNC (`signal/fasync.rs`), as each is a sk_data_ready.
    pub arrivals: usize,
}

impl State {
    /// Linux's sk_state: TCP_LISTEN (10), TCP_ESTABLISHED (1) or TCP_CLOSE (7).
    pub fn sk_state(&self) -> u8 {
        match self.role {
            Role::Listening { .. } => 10,
            Role::Connected => 1,
            Role::Idle if self.peer.is_some() || self.connected_to => 1,
            Role::Idle => 7,
        }
    }
}

/// The shared part of an AF_UNIX socket.
pub struct Endpoint {
    /// SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET.
    pub kind: i32,
    /// Notified on every change of either side.
    pub queue: WaitQueue,
    pub st: Mutex<State>,
    pub common: CommonOpts,
    /// Inode number (/proc/net/unix, sock_diag, `socket:[N]`).
    pub ino: u64,
    /// The truesize of this socket's messages still queued somewhere
    /// (`sk_wmem_alloc`, SIOCOUTQ).
    wmem: AtomicUsize,
    /// The creator's user id (sock_diag's UDIAG_SHOW_UID).
    pub uid: u32,
}

impl Endpoint {
    /// A fresh, unbound endpoint.
    pub fn new(kind: i32) -> Arc<Endpoint> {
        Arc::new(Endpoint {
            kind,
            queue: WaitQueue::default(),
            st: Mutex::new(State {
                name: UnixAddr::Unnamed,
                key: None,
                role: Role::Idle,
                peer: None,
                rx: VecDeque::new(),
                rx_bytes: 0,
                rd_shut: false,
                wr_shut: false,
                closed: false,
                error: None,
                peercred: None,
                listen_cred: Ucred::default(),
                writer_blocked: false,
                connected_to: false,
                embryo: false,
                arrivals: 0,
            }),
            common: CommonOpts::new(CAPACITY as i32, CAPACITY as i32),
            ino: crate::netstack::socket::next_ino(),
            wmem: AtomicUsize::new(0),
            uid: Ucred::current().uid,
        })
    }

    /// The send buffer size (SO_SNDBUF).
    fn sndbuf(&self) -> usize {
        self.common.sndbuf.load(Ordering::Relaxed).max(0) as usize
    }

    /// Bytes of this socket's messages still queued (SIOCOUTQ).
    pub fn wmem(&self) -> usize {
        self.wmem.load(Ordering::Relaxed)
    }

    /// Writable for poll: at most a quarter of the send buffer in use
    /// (Linux's `unix_writable`).
    pub fn writable(&self) -> bool {
        self.writable_at(self.wmem())
    }

    fn writable_at(&self, wmem: usize) -> bool {
        wmem * 4 <= self.sndbuf()
    }

    /// True when a datagram from `sender` must wait for room in this
    /// socket's queue: only senders it is not connected back to count
    /// against its queue length (`unix_recvq_full`).
    fn dgram_queue_full(self: &Arc<Self>, st: &State, sender: &Arc<Endpoint>) -> bool {
        self.kind == libc::SOCK_DGRAM
            && !st.peer.as_ref().is_some_and(|p| Arc::ptr_eq(p, sender))
            && st.rx.len() > MAX_DGRAM_QLEN
    }

    /// The state, locked.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True for stream and seqpacket sockets.
    pub fn connection_oriented(&self) -> bool {
        self.kind != libc::SOCK_DGRAM
    }

    /// Connects two fresh endpoints to each other (socketpair).
    pub fn pair(a: &Arc<Endpoint>, b: &Arc<Endpoint>, creds: Ucred) {
        for (x, y) in [(a, b), (b, a)] {
            let mut st = x.lock();
            st.peer = Some(y.clone());
            st.peercred = Some(creds.clone());
            if x.connection_oriented() {
                st.role = Role::Connected;
            }
        }
    }

    /// Connects this stream/seqpacket endpoint to the listener `target`.
    pub fn connect_to(self: &Arc<Self>, target: &Arc<Endpoint>, creds: Ucred, nonblock: bool) -> Result<(), Errno> {
        {
            let st = self.lock();
            match st.role {
                Role::Connected => return Err(Errno::EISCONN),
                Role::Listening { .. } => return Err(Errno::EINVAL),
                Role::Idle => {}
            }
        }
        if target.kind != self.kind {
            return Err(Errno::EPROTOTYPE);
        }
        let deadline = self.common.send_deadline();
        let srv = block_until(&[&target.queue, &self.queue], deadline, || {
            let mut ts = target.lock();
            if ts.closed {
                return Some(Err(Errno::ECONNREFUSED));
            }
            let listener_name = ts.name.clone();
            let listen_cred = ts.listen_cred.clone();
            let Role::Listening { backlog, pending } = &mut ts.role else {
                return Some(Err(Errno::ECONNREFUSED));
            };
            if pending.len() > *backlog {
                return if nonblock { Some(Err(Errno::EAGAIN)) } else { None };
            }
            let srv = Endpoint::new(self.kind);
            {
                let mut ss = srv.lock();
                ss.name = listener_name;
                ss.role = Role::Connected;
                ss.peer = Some(self.clone());
                ss.peercred = Some(creds.clone());
                ss.embryo = true;
            }
            srv.common.passcred.store(target.common.passcred.load(Ordering::Relaxed), Ordering::Relaxed);
            pending.push_back(srv.clone());
            ts.arrivals += 1;
            Some(Ok((srv, listen_cred)))
        })
        .map_err(|e| if e == Errno::ETIMEDOUT { Errno::EAGAIN } else { e });
        let (srv, listen_cred) = srv?;
        {
            let mut st = self.lock();
            st.peer = Some(srv);
            st.role = Role::Connected;
            st.peercred = Some(listen_cred);
        }
        target.queue.notify_all();
        self.queue.notify_all();
        Ok(())
    }

    /// Takes the next connection of a listener.
    pub fn accept(&self, nonblock: bool) -> Result<Arc<Endpoint>, Errno> {
        let deadline = self.common.recv_deadline();
        let r = block_until(&[&self.queue], deadline, || {
            let mut st = self.lock();
            let Role::Listening { pending, .. } = &mut st.role else {
                return Some(Err(Errno::EINVAL));
            };
            match pending.pop_front() {
                Some(ep) => Some(Ok(ep)),
                None if nonblock => Some(Err(Errno::EAGAIN)),
                None => None,
            }
        })
        .map_err(|e| if e == Errno::ETIMEDOUT { Errno::EAGAIN } else { e });
        if let Ok(ep) = &r {
            ep.lock().embryo = false;
        }
        // A connect waiting for room in the backlog may go on.
        self.queue.notify_all();
        r
    }

    /// Queues `msg` for this endpoint to receive: the whole message for
    /// datagram kinds, one skb's worth for streams (`Ok(bytes)`), waiting
    /// unless `nonblock` while the sender's buffer is full (or, for a
    /// datagram, this socket's queue). `sender` is the sending endpoint.
    pub fn deliver(
        self: &Arc<Self>,
        sender: &Arc<Endpoint>,
        mut msg: Msg,
        nonblock: bool,
        deadline: Option<Instant>,
    ) -> Result<usize, Errno> {
        let stream = self.kind == libc::SOCK_STREAM;
        if !stream && msg.data.len() > sender.sndbuf().saturating_sub(32) {
            return Err(Errno::EMSGSIZE);
        }
        let mut msg = Some(&mut msg);
        let r = block_until(&[&sender.queue, &self.queue], deadline, || {
            if self.connection_oriented() && sender.lock().wr_shut {
                return Some(Err(Errno::EPIPE));
            }
            // The sender's own buffer first, as sock_alloc_send_pskb.
            let full = sender.wmem() >= sender.sndbuf();
            let mut st = self.lock();
            if full {
                st.writer_blocked = true;
                return if nonblock { Some(Err(Errno::EAGAIN)) } else { None };
            }
            if st.closed {
                return Some(Err(if self.connection_oriented() { Errno::EPIPE } else { Errno::ECONNREFUSED }));
            }
            if self.kind == libc::SOCK_DGRAM {
                if let Some(p) = &st.peer {
                    if !Arc::ptr_eq(p, sender) && !Arc::ptr_eq(self, sender) {
                        return Some(Err(Errno::EPERM));
                    }
                }
            }
            let m = msg.as_deref_mut()?;
            if self.dgram_queue_full(&st, sender) {
                st.writer_blocked = true;
                return if nonblock { Some(Err(Errno::EAGAIN)) } else { None };
            }
            let (n, truesize) = if stream {
                stream_skb(m.data.len(), sender.sndbuf())
            } else {
                (m.data.len(), dgram_truesize(m.data.len()))
            };
            let data = if n == m.data.len() { std::mem::take(&mut m.data) } else { m.data.drain(..n).collect() };
            st.rx_bytes += data.len();
            st.arrivals += 1;
            st.rx.push_back(Msg {
                data,
                off: 0,
                rights: std::mem::take(&mut m.rights),
                creds: m.creds.clone(),
                from: m.from.clone(),
                at: if stream { Duration::ZERO } else { crate::netstack::arrival::realtime() },
                _charge: Some(SkbCharge::new(sender, truesize)),
            });
            Some(Ok(n))
        })
        .map_err(|e| if e == Errno::ETIMEDOUT { Errno::EAGAIN } else { e });
        if r.is_ok() {
            self.queue.notify_all();
        }
        r
    }

    /// Receives from this endpoint's queue.
    pub fn receive(&self, args: RecvArgs) -> Result<Received, Errno> {
        let deadline = self.common.recv_deadline();
        let peek = args.flags & libc::MSG_PEEK != 0;
        let r = block_until(&[&self.queue], deadline, || {
            let mut st = self.lock();
            if let Role::Listening { .. } = st.role {
                return Some(Err(Errno::EINVAL));
            }
            if let Some(e) = st.error.take() {
                return Some(Err(e));
            }
            if !st.rx.is_empty() {
                let passcred = self.common.passcred.load(Ordering::Relaxed);
                let r = if self.kind == libc::SOCK_STREAM {
                    take_stream(&mut st, args.len, peek, passcred)
                } else {
                    let mut r = take_message(&mut st, args.len, peek);
                    // unix_dgram_recvmsg: the timestamp before the scm messages.
                    r.lead_cmsgs.extend(r.at.and_then(|at| self.common.timestamp_cmsg(at)));
                    r
                };
                return Some(Ok(r));
            }
            if self.connection_oriented() && !matches!(st.role, Role::Connected) {
                return Some(Err(Errno::EINVAL));
            }
            if st.rd_shut || (self.connection_oriented() && st.peer.is_none()) {
                return Some(Ok(Received::default()));
            }
            if args.nonblock {
                return Some(Err(Errno::EAGAIN));
            }
            None
        })
        .map_err(|e| if e == Errno::ETIMEDOUT { Errno::EAGAIN } else { e });
        wake_writers();
        if !peek && r.as_ref().is_ok_and(|r| r.full_len > 0 || !r.rights.is_empty()) {
            // Room in our queue: wake the senders that found it full (they
            // wait on our queue too; pollers of the peer wait on its queue).
            let wake = {
                let mut st = self.lock();
                let w = st.writer_blocked;
                st.writer_blocked = false;
                w.then(|| st.peer.clone())
            };
            if let Some(peer) = wake {
                self.queue.notify_all();
                if let Some(p) = peer {
                    p.queue.notify_all();
                }
            }
        }
        r
    }

    /// `shutdown(2)`.
    pub fn shutdown(&self, how: i32) -> Result<(), Errno> {
        let (rd, wr) = match how {
            libc::SHUT_RD => (true, false),
            libc::SHUT_WR => (false, true),
            libc::SHUT_RDWR => (true, true),
            _ => return Err(Errno::EINVAL),
        };
        let peer = {
            let mut st = self.lock();
            if self.connection_oriented() && !matches!(st.role, Role::Connected) {
                return Err(Errno::ENOTCONN);
            }
            st.rd_shut |= rd;
            st.wr_shut |= wr;
            st.peer.clone()
        };
        if let Some(p) = peer.filter(|_| self.connection_oriented()) {
            {
                let mut ps = p.lock();
                ps.rd_shut |= wr;
                ps.wr_shut |= rd;
            }
            p.queue.notify_all();
        }
        self.queue.notify_all();
        Ok(())
    }

    /// Closes this endpoint (its socket file is gone): the peer sees end
    /// of file (ECONNRESET if data was left unread here), pending
    /// connections are dropped, the name is released.
    pub fn close(&self, registry: &super::Registry) {
        let (peer, pending, key, unread) = {
            let mut st = self.lock();
            st.closed = true;
            st.rd_shut = true;
            st.wr_shut = true;
            let unread = !st.rx.is_empty();
            st.rx.clear();
            st.rx_bytes = 0;
            let pending = match std::mem::replace(&mut st.role, Role::Idle) {
                Role::Listening { pending, .. } => pending,
                r => {
                    st.role = r;
                    VecDeque::new()
                }
            };
            (st.peer.take(), pending, st.key.take(), unread)
        };
        wake_writers();
        if let Some(k) = key {
            registry.remove(&k, self as *const Endpoint);
        }
        for p in pending {
            p.close(registry);
        }
        if let Some(p) = peer {
            if self.connection_oriented() {
                let mut ps = p.lock();
                ps.rd_shut = true;
                ps.wr_shut = true;
                if unread {
                    ps.error = Some(Errno::ECONNRESET);
                }
            }
            p.queue.notify_all();
        }
        self.queue.notify_all();
    }

    /// Readiness for poll.
    pub fn poll_ready(&self, events: i16) -> i16 {
        let (mut r, peer) = {
            let st = self.lock();
            if let Role::Listening { pending, .. } = &st.role {
                let r = if pending.is_empty() { 0 } else { libc::POLLIN | libc::POLLRDNORM };
                return r & events;
            }
            let mut r = 0;
            if st.error.is_some() {
                r |= libc::POLLERR;
            }
            if st.rd_shut && st.wr_shut {
                r |= libc::POLLHUP;
            }
            if st.rd_shut {
                r |= libc::POLLRDHUP | libc::POLLIN | libc::POLLRDNORM;
            }
            if !st.rx.is_empty() {
                r |= libc::POLLIN | libc::POLLRDNORM;
            }
            let connected = matches!(st.role, Role::Connected);
            if self.connection_oriented() && !connected {
                r |= libc::POLLHUP;
            }
            (r, st.peer.clone())
        };
        // unix_poll / unix_dgram_poll: the own buffer, and for a datagram
        // socket the queue of a peer not connected back.
        let mut writable = self.writable();
        if let Some(p) = peer.filter(|_| writable && self.kind == libc::SOCK_DGRAM) {
            let mut ps = p.lock();
            let me = ps.peer.as_ref().is_some_and(|x| std::ptr::eq(Arc::as_ptr(x), self));
            if !me && !ps.closed && ps.rx.len() > MAX_DGRAM_QLEN {
                ps.writer_blocked = true;
                writable = false;
            }
        }
        if writable {
            r |= libc::POLLOUT | libc::POLLWRNORM;
        }
        r & (events | libc::POLLERR | libc::POLLHUP)
    }

    /// Bytes readable now (FIONREAD): the next datagram's size, or every
    /// queued byte of a stream or seqpacket socket.
    pub fn nread(&self) -> usize {
        let st = self.lock();
        if self.kind != libc::SOCK_DGRAM {
            st.rx.iter().map(|m| m.data.len() - m.off).sum()
        } else {
            st.rx.front().map(|m| m.data.len()).unwrap_or(0)
        }
    }
}

/// Reads up to `len` bytes of a stream: across messages, but a message
/// with rights ends the read (its data and files are the last taken, as
/// in Linux), and (with SO_PASSCRED) messages of another sender end it.
fn take_stream(st: &mut State, len: usize, peek: bool, passcred: bool) -> Received {
    let mut r = Received::default();
    let mut idx = 0;
    while r.data.len() < len {
        let Some(m) = st.rx.get_mut(idx) else { break };
        if passcred && r.creds.as_ref().is_some_and(|c| *c != m.creds) {
            break;
        }
        r.creds = Some(m.creds.clone());
        let off = m.off;
        let take = (len - r.data.len()).min(m.data.len() - off);
        r.data.extend_from_slice(&m.data[off..off + take]);
        let has_rights = !m.rights.is_empty();
        if has_rights {
            r.rights = if peek { m.rights.clone() } else { std::mem::take(&mut m.rights) };
        }
        if peek {
            idx += 1;
        } else {
            m.off += take;
            st.rx_bytes -= take;
            if m.off == m.data.len() {
                st.rx.pop_front();
            }
        }
        if has_rights {
            break;
        }
    }
    r.full_len = r.data.len();
    r
}

/// Reads one message (datagram, seqpacket): the rest of a longer one is lost
/// and MSG_TRUNC reported.
fn take_message(st: &mut State, len: usize, peek: bool) -> Received {
    let mut r = Received::default();
    let m = if peek {
        let Some(m) = st.rx.front() else { return r };
        r.rights = m.rights.clone();
        r.data = m.data[..len.min(m.data.len())].to_vec();
        r.full_len = m.data.len();
        r.creds = Some(m.creds.clone());
        r.addr = sender_name(&m.from);
        r.at = Some(m.at);
        return finish(r);
    } else {
        match st.rx.pop_front() {
            Some(m) => m,
            None => return r,
        }
    };
    st.rx_bytes -= m.data.len();
    r.full_len = m.data.len();
    r.data = m.data;
    r.data.truncate(len);
    r.rights = m.rights;
    r.creds = Some(m.creds);
    r.addr = sender_name(&m.from);
    r.at = Some(m.at);
    finish(r)
}

/// The source address of a datagram: none for an unnamed sender.
fn sender_name(from: &UnixAddr) -> Option<Vec<u8>> {
    (*from != UnixAddr::Unnamed).then(|| from.encode())
}

fn finish(mut r: Received) -> Received {
    if r.full_len > r.data.len() {
        r.flags |= libc::MSG_TRUNC;
    }
    r
}
