//! The IP stack: one smoltcp interface and socket set behind a lock.
//!
//! Every socket operation runs inside `IpStack::with`, which then polls the
//! interface until the loopback queue is empty, so a send is received (and
//! acknowledged) before the call returns. smoltcp's wakers record which
//! sockets changed; their owners' wait queues are notified once the lock is
//! released. A timer thread polls when smoltcp asks to be polled later
//! (retransmissions, keep-alives, TIME-WAIT).
//!
//! TCP listeners are pools of smoltcp sockets in the LISTEN state: a SYN
//! takes one, `accept` hands an established one over, and the pool is
//! refilled after every poll while the accept queue is below the backlog.

use crate::kernel::ns::UserNamespace;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::socket::{tcp, AnySocket, Socket as AnySock};
use smoltcp::time::Instant as SInstant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, IpEndpoint, IpListenEndpoint};

use super::device::NetDevice;
use super::links;
use super::ports::Ports;
use super::NetworkMode;
use crate::kernel::errno::Errno;
use crate::kernel::wait::WaitQueue;

/// What a socket's waiters sleep on.
#[derive(Default)]
pub struct Shared {
    /// Notified whenever the socket's smoltcp state may have changed.
    pub queue: WaitQueue,
}

/// Free LISTEN sockets kept in a listener's pool.
const SPARE_LISTENERS: usize = 4;
/// Receive and send buffer of a TCP connection whose owner did not size them.
pub const TCP_BUF: usize = 1 << 20;

/// Handles whose smoltcp wakers fired (a leaf lock).
#[derive(Default)]
struct Woken(Mutex<Vec<SocketHandle>>);

struct HandleWaker {
    handle: SocketHandle,
    woken: Arc<Woken>,
}

impl std::task::Wake for HandleWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.0.lock().unwrap_or_else(|e| e.into_inner()).push(self.handle);
    }
}

/// A socket's options as smoltcp takes them (a listener gives its own to
/// the connections it accepts).
#[derive(Clone, Copy, Debug)]
pub struct TcpTuning {
    /// TCP_NODELAY.
    pub nodelay: bool,
    /// The idle time before keep-alive probes (SO_KEEPALIVE, TCP_KEEPIDLE).
    pub keepalive: Option<Duration>,
    /// How long the peer may stay silent (TCP_USER_TIMEOUT, or the
    /// keep-alive probes' TCP_KEEPIDLE + TCP_KEEPINTVL * TCP_KEEPCNT).
    pub timeout: Option<Duration>,
    /// TCP_QUICKACK off: ACKs are delayed.
    pub delayed_ack: bool,
    /// IP_TTL / IPV6_UNICAST_HOPS (smoltcp has no 0: that is the default).
    pub hop_limit: u8,
    /// Receive and send buffer bytes (SO_RCVBUF, SO_SNDBUF), fixed when
    /// the smoltcp socket is made.
    pub rx: usize,
    pub tx: usize,
}

impl Default for TcpTuning {
    fn default() -> TcpTuning {
        TcpTuning {
            nodelay: false,
            keepalive: None,
            timeout: None,
            delayed_ack: false,
            hop_limit: 64,
            rx: TCP_BUF,
            tx: TCP_BUF,
        }
    }
}

impl TcpTuning {
    /// Applies the options that can change on a live smoltcp socket.
    pub fn apply(&self, s: &mut tcp::Socket) {
        s.set_nagle_enabled(!self.nodelay);
        s.set_keep_alive(self.keepalive.map(smoltcp::time::Duration::from));
        s.set_timeout(self.timeout.map(smoltcp::time::Duration::from));
        // Linux's delayed-ACK timer is 40 ms at least.
        s.set_ack_delay(self.delayed_ack.then(|| smoltcp::time::Duration::from_millis(40)));
        s.set_hop_limit((self.hop_limit != 0).then_some(self.hop_limit));
    }

    /// A fresh smoltcp socket with these buffers and options.
    pub fn socket(&self) -> tcp::Socket<'static> {
        let mut t =
            tcp::Socket::new(tcp::SocketBuffer::new(vec![0; self.rx]), tcp::SocketBuffer::new(vec![0; self.tx]));
        self.apply(&mut t);
        t
    }
}

/// A listening TCP socket's pool.
pub struct Listener {
    pub local: IpListenEndpoint,
    pub backlog: usize,
    pool: Vec<SocketHandle>,
    owner: Arc<Shared>,
    pub tuning: TcpTuning,
    /// The listening socket's identity (its pool's connections inherit
    /// all but the inode).
    pub meta: Meta,
}

/// What sock_diag and /proc/net say about an IP socket beyond smoltcp's
/// own state: the socket file it belongs to and the options Linux keeps
/// on the `struct sock`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Meta {
    /// The socket's inode (0 once closed, or before accept, as Linux).
    pub ino: u64,
    /// The creator's user id.
    pub uid: u32,
    /// AF_INET or AF_INET6, as the socket was made.
    pub family: i32,
    /// A number naming this socket for its whole life (idiag_cookie).
    pub cookie: u64,
    /// The port was bound explicitly (Linux's SOCK_BINDPORT_LOCK).
    pub port_locked: bool,
    /// IPV6_V6ONLY, or bound to an IPv6 address that is not v4-mapped
    /// (Linux then marks the socket IPv6-only: `ss` shows its wildcard
    /// peer as `[::]`, not `*`).
    pub v6only: bool,
    /// sk_shutdown: 1 reading shut, 2 writing shut.
    pub shutdown: u8,
    /// Closed by its owner, finishing its FIN exchange.
    pub orphan: bool,
    /// The owner has read the peer's FIN (end of file): Linux's receive
    /// queue counts the FIN as one byte until then.
    pub fin_read: bool,
    /// A connected UDP socket's peer (smoltcp's UDP sockets are only bound).
    pub peer: Option<SocketAddr>,
}

static NEXT_COOKIE: AtomicU64 = AtomicU64::new(1);

impl Meta {
    /// The identity of a fresh socket of `family` owned by the file `ino`.
    pub fn new(ino: u64, uid: u32, family: i32) -> Meta {
        Meta { ino, uid, family, cookie: NEXT_COOKIE.fetch_add(1, Ordering::Relaxed), ..Meta::default() }
    }
}

/// The state behind `IpStack`'s lock.
pub struct Inner {
    pub iface: Interface,
    pub dev: NetDevice,
    pub sockets: SocketSet<'static>,
    owners: HashMap<SocketHandle, Arc<Shared>>,
    /// The identity of each TCP/UDP socket (see `Meta`).
    meta: HashMap<SocketHandle, Meta>,
    wakers: HashMap<SocketHandle, std::task::Waker>,
    listeners: HashMap<u64, Listener>,
    /// Closed TCP connections finishing their FIN exchange.
    orphans: Vec<SocketHandle>,
    next_listener: u64,
    woken: Arc<Woken>,
}

/// When the timer thread should poll next.
#[derive(Default)]
struct Timer {
    next: Mutex<Option<std::time::Instant>>,
    cv: Condvar,
}

/// One network namespace's TCP/IP stack.
pub struct IpStack {
    /// The namespace's network mode (which interfaces it has).
    pub mode: NetworkMode,
    /// Which interfaces are up (`links::LinkState`); changed under `inner`.
    links: AtomicU8,
    inner: Mutex<Inner>,
    woken: Arc<Woken>,
    /// Bound ports.
    pub ports: Mutex<Ports>,
    /// The user namespace owning the network namespace: changing its
    /// interfaces takes CAP_NET_ADMIN there.
    pub owner: Arc<UserNamespace>,
    timer: Arc<Timer>,
    epoch: std::time::Instant,
    next_id: AtomicU64,
}

fn is_local_dest(a: &IpAddr) -> bool {
    links::is_local_any(a)
}

impl IpStack {
    /// A stack with the interfaces of `mode` in `state`, and its timer
    /// thread (which ends once the stack is dropped).
    pub fn new(mode: NetworkMode, state: links::LinkState, owner: Arc<UserNamespace>) -> Arc<IpStack> {
        let epoch = std::time::Instant::now();
        let mut dev = NetDevice::new(is_local_dest);
        let mut config = Config::new(HardwareAddress::Ip);
        config.random_seed = epoch.elapsed().as_nanos() as u64 ^ std::process::id() as u64;
        let mut iface = Interface::new(config, &mut dev, SInstant::from_micros(0));
        set_addrs(&mut iface, &links::all(mode, state));
        iface.set_any_ip(true);
        let woken = Arc::new(Woken::default());
        let stack = Arc::new(IpStack {
            mode,
            owner,
            links: AtomicU8::new(state.0),
            inner: Mutex::new(Inner {
                iface,
                dev,
                sockets: SocketSet::new(vec![]),
                owners: HashMap::new(),
                meta: HashMap::new(),
                wakers: HashMap::new(),
                listeners: HashMap::new(),
                orphans: Vec::new(),
                next_listener: 1,
                woken: woken.clone(),
            }),
            woken,
            ports: Mutex::new(Ports::default()),
            timer: Arc::new(Timer::default()),
            epoch,
            next_id: AtomicU64::new(1),
        });
        let weak = Arc::downgrade(&stack);
        let timer = stack.timer.clone();
        let _ = std::thread::Builder::new().name("netstack-timer".into()).spawn(move || timer_loop(weak, timer));
        stack
    }

    /// Which interfaces are up.
    pub fn link_state(&self) -> links::LinkState {
        links::LinkState(self.links.load(Ordering::Relaxed))
    }

    /// The namespace's interfaces as they are now.
    pub fn links(&self) -> Vec<links::Link> {
        links::all(self.mode, self.link_state())
    }

    /// Whether `a` is an address of an interface that is up here.
    pub fn is_local(&self, a: &IpAddr) -> bool {
        links::is_local(self.mode, self.link_state(), a)
    }

    /// Whether a socket may bind `a` (an IPv4 address unmapped): a local
    /// address, or, as in Linux, any IPv4 address while the namespace has
    /// no IPv4 route table yet (a new one whose `lo` was never up: the
    /// address type lookup then answers RTN_BROADCAST, which bind takes).
    pub fn may_bind(&self, a: &IpAddr) -> bool {
        self.is_local(a) || (a.is_ipv4() && !self.link_state().lo_configured())
    }

    /// Brings interface `index` up or down (SIOCSIFFLAGS, RTM_NEWLINK):
    /// the smoltcp interface then carries the addresses of the interfaces
    /// that are up. ENODEV for an interface this namespace lacks.
    pub fn set_link_up(&self, index: u32, up: bool) -> Result<(), Errno> {
        if !self.links().iter().any(|l| l.index == index) {
            return Err(Errno::ENODEV);
        }
        self.with(|inner| {
            let state = self.link_state().with(index, up);
            self.links.store(state.0, Ordering::Relaxed);
            set_addrs(&mut inner.iface, &links::all(self.mode, state));
        });
        Ok(())
    }

    /// A fresh socket id (for the port table).
    pub fn new_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The port table, locked.
    pub fn ports(&self) -> MutexGuard<'_, Ports> {
        self.ports.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> SInstant {
        SInstant::from_micros(self.epoch.elapsed().as_micros() as i64)
    }

    /// Runs `f` on the stack, then polls it and wakes the sockets whose
    /// state changed (after releasing the lock).
    pub fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let now = self.now();
        let (r, notify, delay) = {
            let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let r = f(&mut g);
            g.poll(now);
            let notify = g.collect_wakes(&self.woken);
            let inner = &mut *g;
            let delay = inner.iface.poll_delay(now, &inner.sockets);
            (r, notify, delay)
        };
        if let Some(d) = delay {
            let at = std::time::Instant::now() + Duration::from_micros(d.total_micros());
            let mut next = self.timer.next.lock().unwrap_or_else(|e| e.into_inner());
            if next.is_none_or(|n| at < n) {
                *next = Some(at);
                self.timer.cv.notify_all();
            }
        }
        for s in notify {
            s.queue.notify_all();
        }
        r
    }

    /// Reads the stack without polling it.
    pub fn peek<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut g)
    }
}

/// Gives `iface` the addresses of the interfaces in `links` that are up.
fn set_addrs(iface: &mut Interface, links: &[links::Link]) {
    iface.update_ip_addrs(|a| {
        a.clear();
        for l in links.iter().filter(|l| l.is_up()) {
            for (ip, prefix) in &l.addrs {
                let _ = a.push(IpCidr::new(IpAddress::from(*ip), *prefix));
            }
        }
    });
}

fn timer_loop(stack: Weak<IpStack>, timer: Arc<Timer>) {
    loop {
        let due = {
            let mut next = timer.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = std::time::Instant::now();
            match *next {
                Some(at) if at <= now => {
                    *next = None;
                    true
                }
                Some(at) => {
                    let wait = (at - now).min(Duration::from_secs(1));
                    drop(timer.cv.wait_timeout(next, wait).unwrap_or_else(|e| e.into_inner()));
                    false
                }
                None => {
                    drop(timer.cv.wait_timeout(next, Duration::from_secs(1)).unwrap_or_else(|e| e.into_inner()));
                    false
                }
            }
        };
        let Some(s) = stack.upgrade() else { return };
        if due {
            s.with(|_| ());
        }
    }
}

impl Inner {
    fn poll(&mut self, now: SInstant) {
        for _ in 0..4096 {
            self.iface.poll(now, &mut self.dev, &mut self.sockets);
            let aborted = self.reap();
            if self.dev.queue.is_empty() && !aborted {
                break;
            }
        }
        self.refill();
    }

    /// Re-arms the wakers that fired and returns their owners.
    fn collect_wakes(&mut self, woken: &Woken) -> Vec<Arc<Shared>> {
        let handles = std::mem::take(&mut *woken.0.lock().unwrap_or_else(|e| e.into_inner()));
        let mut out: Vec<Arc<Shared>> = Vec::new();
        for h in handles {
            self.arm(h);
            if let Some(o) = self.owners.get(&h) {
                if !out.iter().any(|x| Arc::ptr_eq(x, o)) {
                    out.push(o.clone());
                }
            }
        }
        out
    }

    fn arm(&mut self, h: SocketHandle) {
        let Some(w) = self.wakers.get(&h) else { return };
        match self.sockets.get_mut::<AnySock>(h) {
            AnySock::Tcp(s) => {
                s.register_recv_waker(w);
                s.register_send_waker(w);
            }
            AnySock::Udp(s) => {
                s.register_recv_waker(w);
                s.register_send_waker(w);
            }
            AnySock::Icmp(s) => {
                s.register_recv_waker(w);
                s.register_send_waker(w);
            }
            AnySock::Raw(s) => {
                s.register_recv_waker(w);
                s.register_send_waker(w);
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    /// Adds a smoltcp socket whose changes notify `owner`.
    pub fn add<S: AnySocket<'static>>(&mut self, s: S, owner: &Arc<Shared>) -> SocketHandle {
        let h = self.sockets.add(s);
        let waker = std::task::Waker::from(Arc::new(HandleWaker { handle: h, woken: self.woken.clone() }));
        self.wakers.insert(h, waker);
        self.owners.insert(h, owner.clone());
        self.arm(h);
        h
    }

    /// Makes `owner` the one notified about `h`.
    pub fn set_owner(&mut self, h: SocketHandle, owner: &Arc<Shared>) {
        self.owners.insert(h, owner.clone());
    }

    /// Sets what sock_diag reports about `h`.
    pub fn set_meta(&mut self, h: SocketHandle, meta: Meta) {
        self.meta.insert(h, meta);
    }

    /// What sock_diag reports about `h`, to change.
    pub fn meta_mut(&mut self, h: SocketHandle) -> Option<&mut Meta> {
        self.meta.get_mut(&h)
    }

    /// What sock_diag reports about `h`.
    pub fn meta(&self, h: SocketHandle) -> Option<&Meta> {
        self.meta.get(&h)
    }

    /// Every listener (for sock_diag and /proc/net/tcp).
    pub fn listeners(&self) -> impl Iterator<Item = &Listener> {
        self.listeners.values()
    }

    /// Connections of a listener's pool that accept would hand over.
    pub fn accept_queue_len(&self, l: &Listener) -> usize {
        l.pool.iter().filter(|&&h| accepted_state(self.sockets.get::<tcp::Socket>(h).state())).count()
    }

    /// Removes a socket now.
    pub fn remove(&mut self, h: SocketHandle) {
        self.meta.remove(&h);
        self.owners.remove(&h);
        self.wakers.remove(&h);
        self.sockets.remove(h);
    }

    /// Lets a closing TCP connection finish in the background.
    pub fn orphan(&mut self, h: SocketHandle) {
        if let Some(m) = self.meta.get_mut(&h) {
            m.ino = 0;
            m.orphan = true;
        }
        self.owners.remove(&h);
        self.orphans.push(h);
    }

    /// A TCP socket.
    pub fn tcp(&mut self, h: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(h)
    }

    /// Starts listening on `local`.
    pub fn listen(
        &mut self,
        local: IpListenEndpoint,
        backlog: usize,
        owner: &Arc<Shared>,
        tuning: TcpTuning,
        meta: Meta,
    ) -> u64 {
        let id = self.next_listener;
        self.next_listener += 1;
        self.listeners.insert(id, Listener { local, backlog, pool: Vec::new(), owner: owner.clone(), tuning, meta });
        self.refill();
        id
    }

    /// Changes a listener's backlog or tuning.
    pub fn listener_mut(&mut self, id: u64) -> Option<&mut Listener> {
        self.listeners.get_mut(&id)
    }

    /// Gives a listener new options: its free LISTEN sockets (no peer yet)
    /// are made again with them, so the next connection has them (buffer
    /// sizes are fixed when a smoltcp socket is made).
    pub fn retune_listener(&mut self, id: u64, tuning: TcpTuning) {
        let Some(l) = self.listeners.get_mut(&id) else { return };
        l.tuning = tuning;
        let pool = std::mem::take(&mut l.pool);
        let (free, busy): (Vec<_>, Vec<_>) =
            pool.into_iter().partition(|&h| self.sockets.get::<tcp::Socket>(h).state() == tcp::State::Listen);
        if let Some(l) = self.listeners.get_mut(&id) {
            l.pool = busy;
        }
        for h in free {
            self.remove(h);
        }
        self.refill();
    }

    /// Whether a connection is waiting to be accepted.
    pub fn accept_ready(&mut self, id: u64) -> bool {
        let Some(l) = self.listeners.get(&id) else { return false };
        l.pool.iter().any(|&h| accepted_state(self.sockets.get::<tcp::Socket>(h).state()))
    }

    /// How many established connections wait in a listener's pool.
    pub fn accept_count(&mut self, id: u64) -> usize {
        let Some(l) = self.listeners.get(&id) else { return 0 };
        l.pool.iter().filter(|&&h| accepted_state(self.sockets.get::<tcp::Socket>(h).state())).count()
    }

    /// Takes an established connection from a listener's pool.
    pub fn accept(&mut self, id: u64) -> Option<SocketHandle> {
        let l = self.listeners.get(&id)?;
        let i = l.pool.iter().position(|&h| accepted_state(self.sockets.get::<tcp::Socket>(h).state()))?;
        let h = self.listeners.get_mut(&id)?.pool.remove(i);
        self.refill();
        Some(h)
    }

    /// Stops listening: queued connections are reset.
    pub fn unlisten(&mut self, id: u64) {
        if let Some(l) = self.listeners.remove(&id) {
            for h in l.pool {
                self.tcp(h).abort();
                self.orphan(h);
            }
        }
    }

    /// Keeps every listener's pool with free LISTEN sockets while its
    /// accept queue is below the backlog; drops connections that died
    /// before being accepted.
    fn refill(&mut self) {
        let ids: Vec<u64> = self.listeners.keys().copied().collect();
        for id in ids {
            let Some(l) = self.listeners.get(&id) else { continue };
            let (mut free, mut queued, mut dead) = (0, 0, Vec::new());
            for &h in &l.pool {
                match self.sockets.get::<tcp::Socket>(h).state() {
                    tcp::State::Listen => free += 1,
                    tcp::State::Closed | tcp::State::TimeWait => dead.push(h),
                    _ => queued += 1,
                }
            }
            let (local, backlog, owner, tuning, meta) = (l.local, l.backlog, l.owner.clone(), l.tuning, l.meta);
            for h in dead {
                if let Some(l) = self.listeners.get_mut(&id) {
                    l.pool.retain(|&x| x != h);
                }
                self.remove(h);
            }
            while free < SPARE_LISTENERS && queued + free <= backlog {
                let mut s = tuning.socket();
                if s.listen(local).is_err() {
                    break;
                }
                let h = self.add(s, &owner);
                // Not yet accepted: no inode, as Linux's child sockets.
                let child =
                    Meta { port_locked: meta.port_locked, v6only: meta.v6only, ..Meta::new(0, meta.uid, meta.family) };
                self.set_meta(h, child);
                if let Some(l) = self.listeners.get_mut(&id) {
                    l.pool.push(h);
                }
                free += 1;
            }
        }
    }

    /// Removes orphaned connections that have finished; resets those that
    /// received data nobody will read (as Linux answers data for a closed
    /// socket). True if a reset was queued.
    fn reap(&mut self) -> bool {
        let mut aborted = false;
        let mut i = 0;
        while i < self.orphans.len() {
            let h = self.orphans[i];
            let t = self.sockets.get_mut::<tcp::Socket>(h);
            if t.recv_queue() > 0 && t.is_open() {
                // Removed on a later round, once the reset has gone out.
                t.abort();
                aborted = true;
                i += 1;
                continue;
            }
            let st = t.state();
            if matches!(st, tcp::State::Closed | tcp::State::TimeWait) {
                self.orphans.swap_remove(i);
                self.meta.remove(&h);
                self.wakers.remove(&h);
                self.sockets.remove(h);
            } else {
                i += 1;
            }
        }
        aborted
    }
}

/// States of a pool socket that accept hands over.
fn accepted_state(s: tcp::State) -> bool {
    !matches!(s, tcp::State::Listen | tcp::State::SynReceived | tcp::State::Closed | tcp::State::TimeWait)
}

/// A std address as smoltcp's.
pub fn to_endpoint(a: SocketAddr) -> IpEndpoint {
    IpEndpoint::new(IpAddress::from(a.ip()), a.port())
}

/// A smoltcp endpoint as a std address.
pub fn from_endpoint(e: IpEndpoint) -> SocketAddr {
    SocketAddr::new(IpAddr::from(e.addr), e.port)
}
