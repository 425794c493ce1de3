//! TCP sockets on the sandbox stack (AF_INET and AF_INET6).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::{self, RecvError, State as TS};
use smoltcp::wire::{IpAddress, IpListenEndpoint};

use super::addr::{self, encode_inet, parse_inet, unmap};
use super::inet_opts::IpOpts;
use super::ports::{Proto, Share};
use super::socket::{int_val, next_ino, CommonOpts, Cx, Received, RecvArgs, SendArgs, Socket, Ucred};
use super::stack::{from_endpoint, to_endpoint, Inner, IpStack, Meta, Shared, TcpTuning};
use crate::kernel::errno::Errno;
use crate::kernel::wait::{block_until, WaitQueue};

/// TCP sockets alive (/proc/net/sockstat's "alloc", with the connections
/// they no longer or not yet own).
static TCP_SOCKETS: AtomicUsize = AtomicUsize::new(0);

/// How many TCP sockets exist.
pub fn sockets_alive() -> usize {
    TCP_SOCKETS.load(Ordering::Relaxed)
}

/// Linux's defaults, as getsockopt reports them.
const DEFAULT_RCVBUF: i32 = 131_072;
const DEFAULT_SNDBUF: i32 = 16_384;

enum Conn {
    Idle,
    Listening(u64),
    Connecting(SocketHandle),
    Connected(SocketHandle),
}

/// Guarded by `TcpSocket::st`.
struct St {
    /// The bound address (port 0: not bound).
    local: SocketAddr,
    /// Holds an entry in the port table.
    port_bound: bool,
    conn: Conn,
    nodelay: bool,
    v6only: bool,
    keepidle: u32,
    keepintvl: u32,
    keepcnt: u32,
    /// A pending error for SO_ERROR (a refused connect).
    error: Option<Errno>,
    shut_rd: bool,
    /// A non-blocking connect returned EINPROGRESS and no connect call has
    /// reported its end yet (the next one returns 0, as Linux).
    connect_unreported: bool,
    /// The connection attempt failed: both directions are shut.
    failed: bool,
    /// TCP_USER_TIMEOUT in milliseconds (0: none).
    user_timeout: u32,
    /// TCP_QUICKACK.
    quickack: bool,
    /// SO_RCVBUF / SO_SNDBUF were set (Linux's SOCK_*BUF_LOCK): the
    /// buffers take their sizes instead of the sandbox's default.
    rcvbuf_set: bool,
    sndbuf_set: bool,
    /// IPPROTO_IP and IPPROTO_IPV6 options.
    ip: IpOpts,
    /// bind named a port (Linux's SOCK_BINDPORT_LOCK; sock_diag's "autobound" is its absence).
    port_locked: bool,
}

/// The direction of a connection this socket receives: (peer, local).
fn flow_in(t: &tcp::Socket) -> Option<(SocketAddr, SocketAddr)> {
    Some((from_endpoint(t.remote_endpoint()?), from_endpoint(t.local_endpoint()?)))
}

/// A TCP socket.
pub struct TcpSocket {
    ip: Arc<IpStack>,
    shared: Arc<Shared>,
    domain: i32,
    id: u64,
    /// The socket file's inode number.
    ino: u64,
    /// The creator's user id (sock_diag, /proc/net/tcp).
    uid: u32,
    common: CommonOpts,
    st: Mutex<St>,
}

fn listen_endpoint(a: SocketAddr) -> IpListenEndpoint {
    let a = unmap(a);
    let addr = if a.ip().is_unspecified() { None } else { Some(IpAddress::from(a.ip())) };
    IpListenEndpoint { addr, port: a.port() }
}

impl TcpSocket {
    /// A fresh socket of `domain`.
    pub fn new(ip: &Arc<IpStack>, domain: i32) -> TcpSocket {
        TcpSocket::with_shared(ip, domain, Arc::new(Shared::default()))
    }

    fn with_shared(ip: &Arc<IpStack>, domain: i32, shared: Arc<Shared>) -> TcpSocket {
        TCP_SOCKETS.fetch_add(1, Ordering::Relaxed);
        TcpSocket {
            ip: ip.clone(),
            shared,
            domain,
            id: ip.new_id(),
            ino: next_ino(),
            uid: Ucred::current().uid,
            common: CommonOpts::new(DEFAULT_RCVBUF, DEFAULT_SNDBUF),
            st: Mutex::new(St {
                local: addr::any(domain),
                port_bound: false,
                conn: Conn::Idle,
                nodelay: false,
                v6only: false,
                keepidle: 7200,
                keepintvl: 75,
                keepcnt: 9,
                error: None,
                shut_rd: false,
                connect_unreported: false,
                failed: false,
                user_timeout: 0,
                quickack: true,
                rcvbuf_set: false,
                sndbuf_set: false,
                ip: IpOpts::new(domain, true),
                port_locked: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What sock_diag reports about this socket's connection or listener.
    fn meta(&self, st: &St) -> Meta {
        let v6only = st.v6only || addr::v6_specific(st.local);
        Meta { port_locked: st.port_locked, v6only, ..Meta::new(self.ino, self.uid, self.domain) }
    }

    /// What smoltcp is told of this socket's options, for packets to `peer`
    /// (a listener's connections: the socket's own family).
    fn tuning(&self, st: &St, peer: Option<IpAddr>) -> TcpTuning {
        let keep = self.common.keepalive.load(Ordering::Relaxed);
        let secs = |s: u32| Duration::from_secs(s.max(1) as u64);
        // smoltcp aborts a connection whose peer stays silent this long:
        // TCP_USER_TIMEOUT, else the keep-alive probes' whole span.
        let timeout = if st.user_timeout > 0 {
            Some(Duration::from_millis(st.user_timeout as u64))
        } else {
            keep.then(|| secs(st.keepidle) + secs(st.keepintvl) * st.keepcnt.max(1))
        };
        let peer = peer.unwrap_or(if self.domain == libc::AF_INET {
            Ipv4Addr::LOCALHOST.into()
        } else {
            Ipv6Addr::LOCALHOST.into()
        });
        let buf = |set: bool, v: &std::sync::atomic::AtomicI32| {
            if set {
                v.load(Ordering::Relaxed).max(0) as usize
            } else {
                super::stack::TCP_BUF
            }
        };
        TcpTuning {
            nodelay: st.nodelay,
            keepalive: keep.then(|| secs(st.keepidle)),
            timeout,
            delayed_ack: !st.quickack,
            hop_limit: st.ip.hop_limit(&peer),
            rx: buf(st.rcvbuf_set, &self.common.rcvbuf),
            tx: buf(st.sndbuf_set, &self.common.sndbuf),
        }
    }

    /// Bytes the send queue may hold: SO_SNDBUF once set (smoltcp's buffer
    /// may be larger when it was set after connect), else no limit beyond
    /// smoltcp's.
    fn send_cap(&self) -> usize {
        if self.lock().sndbuf_set {
            self.common.sndbuf.load(Ordering::Relaxed).max(1) as usize
        } else {
            usize::MAX
        }
    }

    /// Gives the live connection or the listener the options as they are now.
    fn retune(&self, st: &St) {
        match st.conn {
            Conn::Connected(h) | Conn::Connecting(h) => self.ip.with(|s| {
                let peer = s.tcp(h).remote_endpoint().map(|e| from_endpoint(e).ip());
                self.tuning(st, peer).apply(s.tcp(h));
            }),
            Conn::Listening(id) => {
                let t = self.tuning(st, None);
                self.ip.with(|s| s.retune_listener(id, t));
            }
            Conn::Idle => {}
        }
    }

    fn share(&self, st: &St) -> Share {
        Share {
            reuseaddr: self.common.reuseaddr.load(Ordering::Relaxed),
            reuseport: self.common.reuseport.load(Ordering::Relaxed),
            v6only: st.v6only,
        }
    }

    /// Binds to `a` in the port table (port 0: ephemeral).
    fn bind_locked(&self, st: &mut St, a: SocketAddr) -> Result<(), Errno> {
        if !a.ip().is_unspecified() && !st.ip.freebind && !self.ip.may_bind(&unmap(a).ip()) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let port = self.ip.ports().bind(Proto::Tcp, a, self.share(st), self.id)?;
        st.local = SocketAddr::new(a.ip(), port);
        st.port_bound = true;
        Ok(())
    }

    /// Moves a finished connect along: established, or refused.
    fn settle(st: &mut St, s: &mut Inner) {
        if let Conn::Connecting(h) = st.conn {
            match s.tcp(h).state() {
                TS::SynSent | TS::SynReceived => {}
                TS::Closed => {
                    s.remove(h);
                    st.conn = Conn::Idle;
                    st.error = Some(Errno::ECONNREFUSED);
                    st.failed = true;
                }
                _ => st.conn = Conn::Connected(h),
            }
        }
    }

    fn connected_handle(&self) -> Result<SocketHandle, Errno> {
        let mut st = self.lock();
        self.ip.peek(|s| Self::settle(&mut st, s));
        match st.conn {
            Conn::Connected(h) => Ok(h),
            Conn::Connecting(h) => Ok(h),
            _ => Err(Errno::ENOTCONN),
        }
    }

    /// A connect(2) that reports a failed attempt disconnects the socket
    /// (Linux's tcp_disconnect): it is unconnected again, not shut.
    fn reported(&self, r: Result<(), Errno>) -> Result<(), Errno> {
        if r.is_err() {
            self.lock().failed = false;
        }
        r
    }

    /// Reading a socket without a connection: ENOTCONN (a listener, a
    /// socket never connected or disconnected), unless reading was shut
    /// down or an attempt failed unreported (its error, then end of file).
    fn recv_unconnected(&self) -> Result<Received, Errno> {
        let mut st = self.lock();
        if st.shut_rd || st.failed {
            return st.error.take().map_or(Ok(Received::default()), Err);
        }
        Err(Errno::ENOTCONN)
    }

    /// Waits until a connect in progress ends.
    fn wait_connected(&self, nonblock: bool) -> Result<(), Errno> {
        let deadline = self.common.send_deadline();
        block_until(&[&self.shared.queue], deadline, || {
            let mut st = self.lock();
            self.ip.peek(|s| Self::settle(&mut st, s));
            match st.conn {
                Conn::Connected(_) => Some(Ok(())),
                Conn::Connecting(_) if nonblock => Some(Err(Errno::EINPROGRESS)),
                Conn::Connecting(_) => None,
                _ => Some(Err(st.error.take().unwrap_or(Errno::ECONNABORTED))),
            }
        })
        .map_err(|e| if e == Errno::ETIMEDOUT { Errno::EINPROGRESS } else { e })
    }
}

impl Drop for TcpSocket {
    fn drop(&mut self) {
        TCP_SOCKETS.fetch_sub(1, Ordering::Relaxed);
        let st = self.st.get_mut().unwrap_or_else(|e| e.into_inner());
        let (on, secs) = *self.common.linger.lock().unwrap_or_else(|e| e.into_inner());
        let abort = on && secs == 0;
        match st.conn {
            Conn::Listening(id) => self.ip.with(|s| s.unlisten(id)),
            Conn::Connecting(h) | Conn::Connected(h) => self.ip.with(|s| {
                if let Some(f) = flow_in(s.tcp(h)) {
                    s.dev.stamps.tcp_forget(f);
                }
                let t = s.tcp(h);
                if abort || t.recv_queue() > 0 {
                    t.abort();
                } else {
                    t.close();
                }
                s.orphan(h);
            }),
            Conn::Idle => {}
        }
        if st.port_bound {
            self.ip.ports().unbind(Proto::Tcp, st.local.port(), self.id);
        }
    }
}

impl Socket for TcpSocket {
    fn domain(&self) -> i32 {
        self.domain
    }

    fn kind(&self) -> i32 {
        libc::SOCK_STREAM
    }

    fn protocol(&self) -> i32 {
        libc::IPPROTO_TCP
    }

    fn bind(&self, _cx: &Cx, raw: &[u8]) -> Result<(), Errno> {
        let a = parse_inet(self.domain, raw, true)?;
        let mut st = self.lock();
        if st.port_bound || !matches!(st.conn, Conn::Idle) {
            return Err(Errno::EINVAL);
        }
        self.bind_locked(&mut st, a)?;
        st.port_locked = a.port() != 0;
        Ok(())
    }

    fn listen(&self, backlog: i32) -> Result<(), Errno> {
        // listen(2) capped it at the namespace's somaxconn.
        let backlog = backlog.max(0) as usize;
        let mut st = self.lock();
        match st.conn {
            Conn::Listening(id) => {
                self.ip.with(|s| {
                    if let Some(l) = s.listener_mut(id) {
                        l.backlog = backlog;
                    }
                });
                return Ok(());
            }
            Conn::Idle => {}
            _ => return Err(Errno::EINVAL),
        }
        if !st.port_bound {
            let any = addr::any(self.domain);
            self.bind_locked(&mut st, any)?;
        }
        self.ip.ports().listen(Proto::Tcp, st.local.port(), self.id)?;
        let ep = listen_endpoint(st.local);
        let tuning = self.tuning(&st, None);
        let meta = self.meta(&st);
        let id = self.ip.with(|s| s.listen(ep, backlog, &self.shared, tuning, meta));
        st.conn = Conn::Listening(id);
        Ok(())
    }

    fn listening(&self) -> bool {
        matches!(self.lock().conn, Conn::Listening(_))
    }

    fn accept(&self, nonblock: bool) -> Result<(Box<dyn Socket>, Vec<u8>), Errno> {
        let Conn::Listening(id) = self.lock().conn else {
            return Err(Errno::EINVAL);
        };
        let deadline = self.common.recv_deadline();
        let shared = Arc::new(Shared::default());
        let h = block_until(&[&self.shared.queue], deadline, || {
            match self.ip.with(|s| {
                let h = s.accept(id)?;
                s.set_owner(h, &shared);
                Some(h)
            }) {
                Some(h) => Some(Ok(h)),
                None if nonblock => Some(Err(Errno::EAGAIN)),
                None => None,
            }
        })
        .map_err(|e| if e == Errno::ETIMEDOUT { Errno::EAGAIN } else { e })?;
        let (local, remote) = self.ip.peek(|s| {
            let t = s.tcp(h);
            (t.local_endpoint(), t.remote_endpoint())
        });
        let peer = remote.map(from_endpoint).unwrap_or_else(|| addr::any(self.domain));
        let sock = TcpSocket::with_shared(&self.ip, self.domain, shared);
        {
            let parent = self.lock();
            let mut st = sock.lock();
            st.conn = Conn::Connected(h);
            st.local = local.map(from_endpoint).unwrap_or(parent.local);
            // Linux clones the listener: its options are the connection's.
            st.nodelay = parent.nodelay;
            st.keepidle = parent.keepidle;
            st.keepintvl = parent.keepintvl;
            st.keepcnt = parent.keepcnt;
            st.user_timeout = parent.user_timeout;
            st.quickack = parent.quickack;
            st.rcvbuf_set = parent.rcvbuf_set;
            st.sndbuf_set = parent.sndbuf_set;
            st.ip = parent.ip.inherit();
            st.port_locked = parent.port_locked;
            st.v6only = parent.v6only;
            let c = &self.common;
            sock.common.keepalive.store(c.keepalive.load(Ordering::Relaxed), Ordering::Relaxed);
            sock.common.timestamp.store(c.timestamp.load(Ordering::Relaxed), Ordering::Relaxed);
            sock.common.rcvbuf.store(c.rcvbuf.load(Ordering::Relaxed), Ordering::Relaxed);
            sock.common.sndbuf.store(c.sndbuf.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        self.ip.peek(|s| {
            if let Some(m) = s.meta_mut(h) {
                m.ino = sock.ino;
            }
        });
        Ok((Box::new(sock), encode_inet(self.domain, peer)))
    }

    fn connect(&self, _cx: &Cx, raw: &[u8], nonblock: bool) -> Result<(), Errno> {
        if raw.len() < 2 {
            return Err(Errno::EINVAL);
        }
        {
            let mut st = self.lock();
            self.ip.peek(|s| Self::settle(&mut st, s));
            match st.conn {
                Conn::Connected(_) if st.connect_unreported => {
                    st.connect_unreported = false;
                    return Ok(());
                }
                Conn::Connected(_) => return Err(Errno::EISCONN),
                Conn::Listening(_) => return Err(Errno::EISCONN),
                Conn::Connecting(_) => {
                    drop(st);
                    let r = match self.wait_connected(nonblock) {
                        Err(Errno::EINPROGRESS) => return Err(Errno::EALREADY),
                        r => r,
                    };
                    self.lock().connect_unreported = false;
                    return self.reported(r);
                }
                Conn::Idle if st.connect_unreported => {
                    // The attempt ended in failure: report it once.
                    st.connect_unreported = false;
                    st.failed = false;
                    return Err(st.error.take().unwrap_or(Errno::ECONNABORTED));
                }
                Conn::Idle => {}
            }
            if addr::family(raw) == libc::AF_UNSPEC {
                return Ok(());
            }
            let mut remote = unmap(parse_inet(self.domain, raw, false)?);
            if remote.ip().is_unspecified() {
                let lo: IpAddr = if remote.is_ipv4() { Ipv4Addr::LOCALHOST.into() } else { Ipv6Addr::LOCALHOST.into() };
                remote.set_ip(lo);
            }
            if !self.ip.is_local(&remote.ip()) {
                return Err(Errno::ENETUNREACH);
            }
            if remote.port() == 0 {
                return Err(Errno::ECONNREFUSED);
            }
            if !st.port_bound {
                let any = addr::any(self.domain);
                self.bind_locked(&mut st, any)?;
            }
            let local = listen_endpoint(st.local);
            let tuning = self.tuning(&st, Some(remote.ip()));
            let meta = self.meta(&st);
            let h = self.ip.with(|s| {
                let mut t = tuning.socket();
                let cx = s.iface.context();
                t.connect(cx, to_endpoint(remote), local).map_err(|_| Errno::EADDRNOTAVAIL)?;
                let h = s.add(t, &self.shared);
                s.set_meta(h, meta);
                Ok::<_, Errno>(h)
            })?;
            st.conn = Conn::Connecting(h);
            st.failed = false;
            st.connect_unreported = nonblock;
        }
        if nonblock {
            return Err(Errno::EINPROGRESS);
        }
        let r = self.wait_connected(false);
        self.reported(r)
    }

    fn send(&self, _cx: &Cx, args: SendArgs) -> Result<usize, Errno> {
        if args.addr.is_some_and(|a| !a.is_empty())
            && !matches!(self.lock().conn, Conn::Connected(_) | Conn::Connecting(_))
        {
            return Err(Errno::EPIPE);
        }
        super::send_ctl::check_stream(&args.cmsgs)?;
        let h = match self.connected_handle() {
            Ok(h) => h,
            Err(_) => {
                let e = self.lock().error.take();
                return Err(e.unwrap_or(Errno::EPIPE));
            }
        };
        if matches!(self.lock().conn, Conn::Connecting(_)) {
            match self.wait_connected(args.nonblock) {
                Err(Errno::EINPROGRESS) => return Err(Errno::EAGAIN),
                r => r?,
            }
        }
        let deadline = self.common.send_deadline();
        let cap = self.send_cap();
        let mut sent = 0;
        while sent < args.data.len() || args.data.is_empty() {
            let r = block_until(&[&self.shared.queue], deadline, || {
                self.ip.with(|s| {
                    let t = s.tcp(h);
                    if !t.may_send() {
                        return Some(Err(Errno::EPIPE));
                    }
                    if args.data.is_empty() {
                        return Some(Ok(0));
                    }
                    let queued = t.send_queue();
                    if t.can_send() && queued < cap {
                        let end = args.data.len().min(sent + (cap - queued));
                        return Some(t.send_slice(&args.data[sent..end]).map_err(|_| Errno::EPIPE));
                    }
                    if args.nonblock {
                        return Some(Err(Errno::EAGAIN));
                    }
                    None
                })
            })
            .map_err(|e| if e == Errno::ETIMEDOUT { Errno::EAGAIN } else { e });
            match r {
                Ok(0) if args.data.is_empty() => return Ok(0),
                Ok(n) => sent += n,
                Err(_) if sent > 0 => break,
                Err(e) => return Err(e),
            }
            if args.nonblock {
                break;
            }
        }
        Ok(sent)
    }

    fn recv(&self, args: RecvArgs) -> Result<Received, Errno> {
        if args.flags & libc::MSG_OOB != 0 {
            return Err(Errno::EINVAL);
        }
        let h = match self.connected_handle() {
            Ok(h) => h,
            Err(_) => return self.recv_unconnected(),
        };
        if self.lock().shut_rd {
            return Ok(Received::default());
        }
        let peek = args.flags & libc::MSG_PEEK != 0;
        let deadline = self.common.recv_deadline();
        let nonblock = args.nonblock;
        block_until(&[&self.shared.queue], deadline, || {
            if self.lock().shut_rd {
                return Some(Ok(Received::default()));
            }
            self.ip.with(|s| {
                let t = s.tcp(h);
                if matches!(t.state(), TS::SynSent | TS::SynReceived) {
                    return if nonblock { Some(Err(Errno::EAGAIN)) } else { None };
                }
                if t.can_recv() {
                    let mut data = vec![0u8; args.len.min(t.recv_queue())];
                    let n = if peek { t.peek_slice(&mut data) } else { t.recv_slice(&mut data) };
                    let flow = flow_in(t);
                    return match n {
                        Ok(n) => {
                            data.truncate(n);
                            // tcp_recv_timestamp: the last segment read from.
                            let at = flow.and_then(|f| s.dev.stamps.tcp_read(f, n, peek));
                            let mut r = Received { full_len: n, data, ..Default::default() };
                            r.cmsgs.extend(at.and_then(|at| self.common.timestamp_cmsg(at)));
                            Some(Ok(r))
                        }
                        Err(_) => Some(Ok(Received::default())),
                    };
                }
                match t.recv_slice(&mut []) {
                    Err(RecvError::Finished) => {
                        if !peek {
                            if let Some(m) = s.meta_mut(h) {
                                m.fin_read = true;
                            }
                        }
                        Some(Ok(Received::default()))
                    }
                    Err(RecvError::InvalidState) => Some(Err(Errno::ECONNRESET)),
                    Ok(_) if args.len == 0 => Some(Ok(Received::default())),
                    Ok(_) if nonblock => Some(Err(Errno::EAGAIN)),
                    Ok(_) => None,
                }
            })
        })
        .map_err(|e| if e == Errno::ETIMEDOUT { Errno::EAGAIN } else { e })
    }

    fn shutdown(&self, how: i32) -> Result<(), Errno> {
        if !(libc::SHUT_RD..=libc::SHUT_RDWR).contains(&how) {
            return Err(Errno::EINVAL);
        }
        let mut st = self.lock();
        if let Conn::Listening(id) = st.conn {
            if how != libc::SHUT_WR {
                self.ip.with(|s| s.unlisten(id));
                st.conn = Conn::Idle;
            }
            return Ok(());
        }
        let (Conn::Connected(h) | Conn::Connecting(h)) = st.conn else {
            // Linux records the shutdown all the same: reads then see end of file.
            st.shut_rd |= how != libc::SHUT_WR;
            return Err(Errno::ENOTCONN);
        };
        if how != libc::SHUT_WR {
            st.shut_rd = true;
        }
        drop(st);
        // sk_shutdown's RCV_SHUTDOWN (1) and SEND_SHUTDOWN (2) are SHUT_RD + 1 and SHUT_WR + 1.
        let bits = match how {
            libc::SHUT_RD => 1,
            libc::SHUT_WR => 2,
            _ => 3,
        };
        self.ip.with(|s| {
            if let Some(m) = s.meta_mut(h) {
                m.shutdown |= bits;
            }
            if how != libc::SHUT_RD {
                s.tcp(h).close();
            }
        });
        self.shared.queue.notify_all();
        Ok(())
    }

    fn sockname(&self) -> Result<Vec<u8>, Errno> {
        let st = self.lock();
        let local = match st.conn {
            Conn::Connected(h) | Conn::Connecting(h) => {
                self.ip.peek(|s| s.tcp(h).local_endpoint()).map(from_endpoint).unwrap_or(st.local)
            }
            _ => st.local,
        };
        Ok(encode_inet(self.domain, local))
    }

    fn peername(&self) -> Result<Vec<u8>, Errno> {
        let st = self.lock();
        match st.conn {
            Conn::Connected(h) => {
                let r = self.ip.peek(|s| s.tcp(h).remote_endpoint()).ok_or(Errno::ENOTCONN)?;
                Ok(encode_inet(self.domain, from_endpoint(r)))
            }
            _ => Err(Errno::ENOTCONN),
        }
    }

    fn setsockopt(&self, level: i32, name: i32, val: &[u8]) -> Result<(), Errno> {
        let mut st = self.lock();
        match (level, name) {
            (libc::SOL_SOCKET, libc::SO_KEEPALIVE) => {
                self.common.set(name, val).unwrap_or(Err(Errno::EINVAL))?;
            }
            // The sizes apply to the buffers smoltcp is given at connect or
            // listen; a live connection keeps its own.
            (libc::SOL_SOCKET, libc::SO_RCVBUF | libc::SO_RCVBUFFORCE | libc::SO_SNDBUF | libc::SO_SNDBUFFORCE) => {
                self.common.set(name, val).unwrap_or(Err(Errno::EINVAL))?;
                if matches!(name, libc::SO_RCVBUF | libc::SO_RCVBUFFORCE) {
                    st.rcvbuf_set = true;
                } else {
                    st.sndbuf_set = true;
                }
            }
            (libc::SOL_SOCKET, _) => return Err(Errno::ENOPROTOOPT),
            (libc::IPPROTO_TCP, _) => {
                // do_tcp_setsockopt: an int first.
                let v = int_val(val)?;
                match name {
                    libc::TCP_NODELAY => st.nodelay = v != 0,
                    libc::TCP_KEEPIDLE | libc::TCP_KEEPINTVL | libc::TCP_KEEPCNT => {
                        if !(1..=32767).contains(&v) || (name == libc::TCP_KEEPCNT && v > 127) {
                            return Err(Errno::EINVAL);
                        }
                        match name {
                            libc::TCP_KEEPIDLE => st.keepidle = v as u32,
                            libc::TCP_KEEPINTVL => st.keepintvl = v as u32,
                            _ => st.keepcnt = v as u32,
                        }
                    }
                    libc::TCP_USER_TIMEOUT => {
                        if v < 0 {
                            return Err(Errno::EINVAL);
                        }
                        st.user_timeout = v as u32;
                    }
                    libc::TCP_QUICKACK => st.quickack = v != 0,
                    // TCP_CORK, TCP_MAXSEG, TCP_DEFER_ACCEPT, TCP_FASTOPEN,
                    // TCP_CONGESTION... have nothing in smoltcp to act on.
                    _ => return Err(Errno::ENOPROTOOPT),
                }
            }
            (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY) if self.domain == libc::AF_INET6 => {
                if st.port_bound {
                    return Err(Errno::EINVAL);
                }
                st.v6only = int_val(val)? != 0;
                return Ok(());
            }
            _ => st.ip.set(level, name, val).unwrap_or(Err(Errno::ENOPROTOOPT))?,
        }
        self.retune(&st);
        Ok(())
    }

    fn getsockopt(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        let mut st = self.lock();
        self.ip.peek(|s| Self::settle(&mut st, s));
        let int = |v: i32| Ok(v.to_ne_bytes().to_vec());
        match (level, name) {
            (libc::SOL_SOCKET, libc::SO_ERROR) => int(st.error.take().map(|e| e.0).unwrap_or(0)),
            (libc::SOL_SOCKET, _) => Err(Errno::ENOPROTOOPT),
            (libc::IPPROTO_TCP, libc::TCP_NODELAY) => int(st.nodelay as i32),
            (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE) => int(st.keepidle as i32),
            (libc::IPPROTO_TCP, libc::TCP_KEEPINTVL) => int(st.keepintvl as i32),
            (libc::IPPROTO_TCP, libc::TCP_KEEPCNT) => int(st.keepcnt as i32),
            (libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT) => int(st.user_timeout as i32),
            (libc::IPPROTO_TCP, libc::TCP_QUICKACK) => int(st.quickack as i32),
            (libc::IPPROTO_TCP, libc::TCP_MAXSEG) => {
                int(if matches!(st.conn, Conn::Connected(_)) { 65483 } else { 536 })
            }
            (libc::IPPROTO_TCP, libc::TCP_INFO) => {
                let state = match st.conn {
                    Conn::Connected(h) | Conn::Connecting(h) => linux_state(self.ip.peek(|s| s.tcp(h).state())),
                    Conn::Listening(_) => 10,
                    Conn::Idle => 7,
                };
                let mut v = vec![0u8; 232];
                v[0] = state;
                Ok(v)
            }
            (libc::IPPROTO_TCP, libc::TCP_CONGESTION) => Ok(b"cubic\0\0\0\0\0\0\0\0\0\0\0".to_vec()),
            (libc::IPPROTO_TCP, _) => Err(Errno::ENOPROTOOPT),
            (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY) if self.domain == libc::AF_INET6 => int(st.v6only as i32),
            _ => {
                let connected = matches!(st.conn, Conn::Connected(_));
                st.ip.get(level, name, connected).unwrap_or(Err(super::udp::unknown_level(self.domain)))
            }
        }
    }

    fn poll_ready(&self, events: i16) -> i16 {
        let cap = self.send_cap();
        let mut st = self.lock();
        let shut_rd = st.shut_rd;
        let r = self.ip.peek(|s| {
            Self::settle(&mut st, s);
            let mut r = 0;
            match st.conn {
                Conn::Listening(id) => {
                    if s.accept_ready(id) {
                        r |= libc::POLLIN | libc::POLLRDNORM;
                    }
                }
                Conn::Idle => {
                    r |= libc::POLLOUT | libc::POLLWRNORM | libc::POLLHUP;
                    if st.failed {
                        r |= libc::POLLIN | libc::POLLRDNORM | libc::POLLRDHUP;
                    }
                    if st.error.is_some() {
                        r |= libc::POLLERR;
                    }
                }
                Conn::Connecting(_) => {}
                Conn::Connected(h) => {
                    let t = s.tcp(h);
                    let state = t.state();
                    if t.can_recv() || !t.may_recv() || shut_rd {
                        r |= libc::POLLIN | libc::POLLRDNORM;
                    }
                    if !t.may_recv() && state != TS::Closed || shut_rd {
                        r |= libc::POLLRDHUP;
                    }
                    if t.may_send() && t.can_send() && t.send_queue() < cap {
                        r |= libc::POLLOUT | libc::POLLWRNORM;
                    }
                    if matches!(state, TS::Closed | TS::TimeWait | TS::LastAck | TS::Closing) {
                        r |= libc::POLLHUP | libc::POLLRDHUP;
                        if state == TS::Closed && t.recv_slice(&mut []).is_err_and(|e| e == RecvError::InvalidState) {
                            r |= libc::POLLERR;
                        }
                    }
                }
            }
            r
        });
        r & (events | libc::POLLERR | libc::POLLHUP)
    }

    fn poll_queue(&self) -> &WaitQueue {
        &self.shared.queue
    }

    fn nread(&self) -> usize {
        match self.lock().conn {
            Conn::Connected(h) => self.ip.peek(|s| s.tcp(h).recv_queue()),
            _ => 0,
        }
    }

    fn fasync_backlog(&self) -> usize {
        // A listener's queued connections: each new one is a POLL_IN.
        match self.lock().conn {
            Conn::Connected(h) => self.ip.peek(|s| s.tcp(h).recv_queue()),
            Conn::Listening(id) => self.ip.peek(|s| s.accept_count(id)),
            _ => 0,
        }
    }

    fn nwrite(&self) -> usize {
        match self.lock().conn {
            Conn::Connected(h) => self.ip.peek(|s| s.tcp(h).send_queue()),
            _ => 0,
        }
    }

    fn common(&self) -> &CommonOpts {
        &self.common
    }

    fn stack(&self) -> Option<&Arc<super::stack::IpStack>> {
        Some(&self.ip)
    }

    fn ino(&self) -> Option<u64> {
        Some(self.ino)
    }
}

/// Linux's TCP_* state number (tcp_states.h).
pub fn linux_state(s: TS) -> u8 {
    match s {
        TS::Established => 1,
        TS::SynSent => 2,
        TS::SynReceived => 3,
        TS::FinWait1 => 4,
        TS::FinWait2 => 5,
        TS::TimeWait => 6,
        TS::Closed => 7,
        TS::CloseWait => 8,
        TS::LastAck => 9,
        TS::Listen => 10,
        TS::Closing => 11,
    }
}

#[allow(dead_code)]
fn _assert_socket(_: &tcp::Socket) {}
