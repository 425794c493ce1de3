//! UDP sockets on the sandbox stack (AF_INET and AF_INET6).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use smoltcp::iface::SocketHandle;
use smoltcp::socket::icmp;
use smoltcp::socket::udp::{self, UdpMetadata};
use smoltcp::wire::{IpAddress, IpListenEndpoint};

use super::addr::{self, encode_inet, parse_inet, unmap};
use super::arrival::{egress_tag, realtime};
use super::errqueue::{self, ErrQueue};
use super::inet_opts::IpOpts;
use super::ports::{Proto, Share};
use super::send_ctl;
use super::socket::{int_val, next_ino, CommonOpts, Cx, Received, RecvArgs, SendArgs, Socket, Ucred};
use super::stack::{from_endpoint, to_endpoint, Inner, IpStack, Meta, Shared};
use crate::kernel::errno::Errno;
use crate::kernel::wait::{block_until, WaitQueue};

/// Payload bytes a socket buffers each way.
pub const BUF_BYTES: usize = 256 * 1024;
/// Datagrams a socket buffers each way.
const BUF_PACKETS: usize = 256;
/// The largest UDP payload over IPv4 (65535 - 20 - 8).
const MAX_PAYLOAD: usize = 65507;

/// Guarded by `UdpSocket::st`.
struct St {
    local: SocketAddr,
    port_bound: bool,
    handle: Option<SocketHandle>,
    peer: Option<SocketAddr>,
    v6only: bool,
    shut_rd: bool,
    shut_wr: bool,
    /// IPPROTO_IP and IPPROTO_IPV6 options.
    ip: IpOpts,
    /// An ICMP socket receiving the errors (port unreachable) about our
    /// datagrams.
    errors: Option<SocketHandle>,
    /// A pending error (ECONNREFUSED) for a connected socket, or any with
    /// an error queue (Linux's sk_err).
    error: Option<Errno>,
    /// IP_RECVERR and IPV6_RECVERR: ICMP(v4, v6) errors go to `errq`.
    recverr: bool,
    recverr6: bool,
    errq: ErrQueue,
}

/// A UDP socket.
pub struct UdpSocket {
    ip: Arc<IpStack>,
    shared: Arc<Shared>,
    domain: i32,
    id: u64,
    /// The socket file's inode number.
    ino: u64,
    /// The creator's user id (sock_diag, /proc/net/udp).
    uid: u32,
    common: CommonOpts,
    st: Mutex<St>,
}

fn buffer() -> udp::PacketBuffer<'static> {
    udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; BUF_PACKETS], vec![0; BUF_BYTES])
}

/// UDP_ENCAP (not in the libc crate).
const UDP_ENCAP: i32 = 100;

/// getsockopt's error for a level the socket does not have: IPv4 sockets
/// end in ip_getsockopt (EOPNOTSUPP), IPv6 ones in ipv6_getsockopt.
pub fn unknown_level(domain: i32) -> Errno {
    if domain == libc::AF_INET {
        Errno::EOPNOTSUPP
    } else {
        Errno::ENOPROTOOPT
    }
}

/// The loopback address of `peer`'s family (a datagram's destination when
/// smoltcp did not say).
fn local_ip(peer: SocketAddr) -> IpAddr {
    if peer.is_ipv4() {
        Ipv4Addr::LOCALHOST.into()
    } else {
        Ipv6Addr::LOCALHOST.into()
    }
}

/// Destinations of 0.0.0.0 / :: mean this host.
fn fix_unspecified(mut a: SocketAddr) -> SocketAddr {
    if a.ip().is_unspecified() {
        let lo: IpAddr = if a.is_ipv4() { Ipv4Addr::LOCALHOST.into() } else { Ipv6Addr::LOCALHOST.into() };
        a.set_ip(lo);
    }
    a
}

impl UdpSocket {
    /// A fresh socket of `domain`.
    pub fn new(ip: &Arc<IpStack>, domain: i32) -> UdpSocket {
        UdpSocket {
            ip: ip.clone(),
            shared: Arc::new(Shared::default()),
            domain,
            id: ip.new_id(),
            ino: next_ino(),
            uid: Ucred::current().uid,
            common: CommonOpts::new(212_992, 212_992),
            st: Mutex::new(St {
                local: addr::any(domain),
                port_bound: false,
                handle: None,
                peer: None,
                v6only: false,
                shut_rd: false,
                shut_wr: false,
                ip: IpOpts::new(domain, false),
                errors: None,
                error: None,
                recverr: false,
                recverr6: false,
                errq: ErrQueue::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bind_locked(&self, st: &mut St, a: SocketAddr) -> Result<(), Errno> {
        if !a.ip().is_unspecified() && !st.ip.freebind && !self.ip.may_bind(&unmap(a).ip()) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let share = Share {
            reuseaddr: self.common.reuseaddr.load(Ordering::Relaxed),
            reuseport: self.common.reuseport.load(Ordering::Relaxed),
            v6only: st.v6only,
        };
        let port = self.ip.ports().bind(Proto::Udp, a, share, self.id)?;
        st.local = SocketAddr::new(a.ip(), port);
        st.port_bound = true;
        let u = unmap(st.local);
        let ep = IpListenEndpoint { addr: (!u.ip().is_unspecified()).then(|| IpAddress::from(u.ip())), port };
        let (h, e) = self.ip.with(|s| {
            let mut sock = udp::Socket::new(buffer(), buffer());
            let _ = sock.bind(ep);
            let h = s.add(sock, &self.shared);
            let v6only = st.v6only || addr::v6_specific(a);
            let meta = Meta { port_locked: a.port() != 0, v6only, ..Meta::new(self.ino, self.uid, self.domain) };
            s.set_meta(h, meta);
            let ebuf = || icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 8], vec![0; 2048]);
            let mut errs = icmp::Socket::new(ebuf(), ebuf());
            let _ = errs.bind(icmp::Endpoint::Udp(ep));
            (h, s.add(errs, &self.shared))
        });
        st.handle = Some(h);
        st.errors = Some(e);
        Ok(())
    }

    /// Takes in the ICMP errors about our datagrams: a connected socket gets
    /// ECONNREFUSED for a "port unreachable", as Linux reports it; with
    /// IP_RECVERR (IPV6_RECVERR for ICMPv6) any socket does, and the error
    /// is queued for MSG_ERRQUEUE (__udp4_lib_err, ip_icmp_error).
    fn collect_errors(st: &mut St, s: &mut Inner) {
        let Some(e) = st.errors else { return };
        let sock = s.sockets.get_mut::<icmp::Socket>(e);
        while let Ok((p, from)) = sock.recv() {
            let unreachable = matches!((p.first(), p.get(1)), (Some(3), Some(3)) | (Some(1), Some(4)));
            let err = errqueue::parse_unreachable(p, IpAddr::from(from), realtime());
            match err {
                Some(e) if (e.v4 && st.recverr) || (!e.v4 && st.recverr6) => {
                    st.errq.push(e);
                    st.error = Some(Errno::ECONNREFUSED);
                }
                _ if unreachable && st.peer.is_some() => st.error = Some(Errno::ECONNREFUSED),
                _ => {}
            }
        }
    }

    /// recvmsg(MSG_ERRQUEUE): the oldest queued error, EAGAIN if none
    /// (ip_recv_error / ipv6_recv_error; never waits).
    fn recv_error(&self, args: RecvArgs) -> Result<Received, Errno> {
        let mut st = self.lock();
        self.ip.peek(|s| Self::collect_errors(&mut st, s));
        let e = st.errq.pop().ok_or(Errno::EAGAIN)?;
        // sk_err becomes the next queued error's, or none.
        st.error = (!st.errq.is_empty()).then_some(Errno::ECONNREFUSED);
        let mut r = Received {
            full_len: e.payload.len(),
            data: e.payload[..args.len.min(e.payload.len())].to_vec(),
            addr: Some(encode_inet(self.domain, e.dst)),
            flags: libc::MSG_ERRQUEUE | if e.payload.len() > args.len { libc::MSG_TRUNC } else { 0 },
            ..Default::default()
        };
        r.cmsgs.extend(self.common.recv_timestamp(e.at));
        r.cmsgs.push(e.cmsg(self.domain));
        Ok(r)
    }

    /// Tells sock_diag about a connect (smoltcp's socket is only bound).
    fn set_peer(&self, st: &St, peer: Option<SocketAddr>) {
        let Some(h) = st.handle else { return };
        self.ip.peek(|s| {
            if let Some(m) = s.meta_mut(h) {
                m.peer = peer;
            }
        });
    }

    fn ensure_bound(&self, st: &mut St) -> Result<SocketHandle, Errno> {
        if st.handle.is_none() {
            let any = addr::any(self.domain);
            self.bind_locked(st, any)?;
        }
        st.handle.ok_or(Errno::EINVAL)
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        let st = self.st.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = st.handle {
            self.ip.with(|s| {
                // The datagrams left unread take their arrival records along.
                let u = s.sockets.get_mut::<udp::Socket>(h);
                let mut ids = Vec::new();
                while let Ok((_, meta)) = u.recv() {
                    ids.push(meta.meta.id);
                }
                for id in ids {
                    s.dev.arrivals.forget(id);
                }
                if st.port_bound {
                    s.dev.udp6_egress.remove(&st.local.port());
                }
                s.remove(h)
            });
        }
        if let Some(e) = st.errors {
            self.ip.with(|s| s.remove(e));
        }
        if st.port_bound {
            self.ip.ports().unbind(Proto::Udp, st.local.port(), self.id);
        }
    }
}

impl Socket for UdpSocket {
    fn domain(&self) -> i32 {
        self.domain
    }

    fn kind(&self) -> i32 {
        libc::SOCK_DGRAM
    }

    fn protocol(&self) -> i32 {
        libc::IPPROTO_UDP
    }

    fn bind(&self, _cx: &Cx, raw: &[u8]) -> Result<(), Errno> {
        let a = parse_inet(self.domain, raw, true)?;
        let mut st = self.lock();
        if st.port_bound {
            return Err(Errno::EINVAL);
        }
        self.bind_locked(&mut st, a)
    }

    fn connect(&self, _cx: &Cx, raw: &[u8], _nonblock: bool) -> Result<(), Errno> {
        if raw.len() < 2 {
            return Err(Errno::EINVAL);
        }
        let mut st = self.lock();
        if addr::family(raw) == libc::AF_UNSPEC {
            st.peer = None;
            self.set_peer(&st, None);
            return Ok(());
        }
        let remote = fix_unspecified(unmap(parse_inet(self.domain, raw, false)?));
        if !self.ip.is_local(&remote.ip()) {
            return Err(Errno::ENETUNREACH);
        }
        self.ensure_bound(&mut st)?;
        st.peer = Some(remote);
        self.set_peer(&st, Some(remote));
        Ok(())
    }

    fn send(&self, _cx: &Cx, args: SendArgs) -> Result<usize, Errno> {
        let mut st = self.lock();
        if st.shut_wr {
            return Err(Errno::EPIPE);
        }
        self.ip.peek(|s| Self::collect_errors(&mut st, s));
        if let Some(e) = st.error.take() {
            return Err(e);
        }
        let dst = match args.addr {
            Some(raw) if !raw.is_empty() => fix_unspecified(unmap(parse_inet(self.domain, raw, true)?)),
            _ => st.peer.ok_or(Errno::EDESTADDRREQ)?,
        };
        if args.data.len() > MAX_PAYLOAD {
            return Err(Errno::EMSGSIZE);
        }
        if dst.port() == 0 {
            return Err(Errno::EINVAL);
        }
        // This datagram's own hop limit, TOS and source (IP_TTL, IP_PKTINFO...).
        let once = send_ctl::parse(&self.ip, self.domain, dst.ip(), st.ip.freebind, &args.cmsgs)?;
        if !self.ip.is_local(&dst.ip()) {
            return Err(Errno::ENETUNREACH);
        }
        let h = self.ensure_bound(&mut st)?;
        let local = once.src.unwrap_or(unmap(st.local).ip());
        // The device writes the hop limit and TOS into the header.
        let hop_limit = once.hop_limit.unwrap_or_else(|| st.ip.hop_limit(&dst.ip()));
        let tos = once.tos.unwrap_or_else(|| st.ip.tos(&dst.ip()));
        let mut packet_meta = smoltcp::phy::PacketMeta::default();
        packet_meta.id = egress_tag(hop_limit, tos);
        let port = st.local.port();
        drop(st);
        let meta = UdpMetadata {
            endpoint: to_endpoint(dst),
            local_address: (!local.is_unspecified()).then(|| IpAddress::from(local)),
            meta: packet_meta,
        };
        let deadline = self.common.send_deadline();
        block_until(&[&self.shared.queue], deadline, || {
            match self.ip.with(|s| {
                if dst.is_ipv6() {
                    s.dev.udp6_egress.insert(port, (hop_limit, tos));
                }
                s.sockets.get_mut::<udp::Socket>(h).send_slice(args.data, meta)
            }) {
                Ok(()) => Some(Ok(args.data.len())),
                Err(udp::SendError::BufferFull) if args.nonblock => Some(Err(Errno::EAGAIN)),
                Err(udp::SendError::BufferFull) => None,
                Err(udp::SendError::Unaddressable) => Some(Err(Errno::EINVAL)),
            }
        })
        .map_err(|e| if e == Errno::ETIMEDOUT { Errno::EAGAIN } else { e })
    }

    fn recv(&self, args: RecvArgs) -> Result<Received, Errno> {
        if args.flags & libc::MSG_ERRQUEUE != 0 {
            return self.recv_error(args);
        }
        let (h, peer, port) = {
            let mut st = self.lock();
            (self.ensure_bound(&mut st)?, st.peer, st.local.port())
        };
        let peek = args.flags & libc::MSG_PEEK != 0;
        let deadline = self.common.recv_deadline();
        block_until(&[&self.shared.queue], deadline, || {
            let mut st = self.lock();
            if st.shut_rd {
                return Some(Ok(Received::default()));
            }
            self.ip.with(|s| {
                Self::collect_errors(&mut st, s);
                if let Some(e) = st.error.take() {
                    return Some(Err(e));
                }
                let u = s.sockets.get_mut::<udp::Socket>(h);
                while let Ok((data, meta)) = u.peek() {
                    let meta = *meta;
                    let from = from_endpoint(meta.endpoint);
                    if peer.is_some_and(|p| unmap(p) != unmap(from)) {
                        let _ = u.recv();
                        s.dev.arrivals.forget(meta.meta.id);
                        continue;
                    }
                    let mut r = Received {
                        full_len: data.len(),
                        data: data[..args.len.min(data.len())].to_vec(),
                        addr: Some(encode_inet(self.domain, from)),
                        flags: if data.len() > args.len { libc::MSG_TRUNC } else { 0 },
                        ..Default::default()
                    };
                    let arrival = if peek {
                        s.dev.arrivals.get(meta.meta.id)
                    } else {
                        let _ = u.recv();
                        s.dev.arrivals.take(meta.meta.id)
                    };
                    // udp_recvmsg: the timestamp, then the IP messages.
                    r.cmsgs.extend(self.common.recv_timestamp(arrival.at));
                    let to = SocketAddr::new(meta.local_address.map(IpAddr::from).unwrap_or(local_ip(from)), port);
                    st.ip.recv_cmsgs(&arrival, to, &mut r.cmsgs);
                    return Some(Ok(r));
                }
                if args.nonblock {
                    Some(Err(Errno::EAGAIN))
                } else {
                    None
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
        if st.peer.is_none() {
            return Err(Errno::ENOTCONN);
        }
        st.shut_rd |= how != libc::SHUT_WR;
        st.shut_wr |= how != libc::SHUT_RD;
        if let Some(h) = st.handle {
            // sk_shutdown: RCV_SHUTDOWN 1, SEND_SHUTDOWN 2.
            let bits = u8::from(st.shut_rd) | (u8::from(st.shut_wr) << 1);
            self.ip.peek(|s| {
                if let Some(m) = s.meta_mut(h) {
                    m.shutdown = bits;
                }
            });
        }
        drop(st);
        self.shared.queue.notify_all();
        Ok(())
    }

    fn sockname(&self) -> Result<Vec<u8>, Errno> {
        let st = self.lock();
        let mut local = st.local;
        if local.ip().is_unspecified() {
            if let Some(p) = st.peer {
                // The source address the route to the peer uses.
                let src: IpAddr = match p.ip() {
                    IpAddr::V4(v4) if !v4.is_loopback() => v4.into(),
                    IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                    IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
                };
                local.set_ip(src);
            }
        }
        Ok(encode_inet(self.domain, local))
    }

    fn peername(&self) -> Result<Vec<u8>, Errno> {
        let st = self.lock();
        st.peer.map(|p| encode_inet(self.domain, p)).ok_or(Errno::ENOTCONN)
    }

    fn setsockopt(&self, level: i32, name: i32, val: &[u8]) -> Result<(), Errno> {
        let mut st = self.lock();
        match (level, name) {
            (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY) if self.domain == libc::AF_INET6 => {
                if st.port_bound {
                    return Err(Errno::EINVAL);
                }
                st.v6only = int_val(val)? != 0;
                Ok(())
            }
            // udp_lib_setsockopt: an int first. UDP_CORK, UDP_SEGMENT, UDP_GRO
            // and encapsulation are not implemented.
            (libc::IPPROTO_UDP, _) => {
                int_val(val)?;
                Err(Errno::ENOPROTOOPT)
            }
            // do_ip_setsockopt reads an int or a byte (nothing: off);
            // turning it off drops the queue.
            (libc::IPPROTO_IP, libc::IP_RECVERR) => {
                let v = match val.len() {
                    0 => 0,
                    1..=3 => i32::from(val[0]),
                    _ => int_val(val)?,
                };
                st.recverr = v != 0;
                if !st.recverr {
                    st.errq.clear();
                }
                Ok(())
            }
            (libc::IPPROTO_IPV6, libc::IPV6_RECVERR) if self.domain == libc::AF_INET6 => {
                st.recverr6 = int_val(val)? != 0;
                if !st.recverr6 {
                    st.errq.clear();
                }
                Ok(())
            }
            _ => st.ip.set(level, name, val).unwrap_or(Err(Errno::ENOPROTOOPT)),
        }
    }

    fn getsockopt(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        let mut st = self.lock();
        match (level, name) {
            (libc::SOL_SOCKET, libc::SO_ERROR) => {
                self.ip.peek(|s| Self::collect_errors(&mut st, s));
                Ok(st.error.take().map(|e| e.0).unwrap_or(0).to_ne_bytes().to_vec())
            }
            (libc::SOL_SOCKET, _) => Err(Errno::ENOPROTOOPT),
            (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY) if self.domain == libc::AF_INET6 => {
                Ok((st.v6only as i32).to_ne_bytes().to_vec())
            }
            (libc::IPPROTO_IP, libc::IP_RECVERR) => Ok((st.recverr as i32).to_ne_bytes().to_vec()),
            (libc::IPPROTO_IPV6, libc::IPV6_RECVERR) if self.domain == libc::AF_INET6 => {
                Ok((st.recverr6 as i32).to_ne_bytes().to_vec())
            }
            // None of them can be turned on, so each reads as off.
            (libc::IPPROTO_UDP, libc::UDP_CORK | UDP_ENCAP | libc::UDP_SEGMENT | libc::UDP_GRO) => {
                Ok(0i32.to_ne_bytes().to_vec())
            }
            (libc::IPPROTO_UDP, _) => Err(Errno::ENOPROTOOPT),
            _ => st.ip.get(level, name, st.peer.is_some()).unwrap_or(Err(unknown_level(self.domain))),
        }
    }

    fn poll_ready(&self, events: i16) -> i16 {
        let mut st = self.lock();
        let mut r = 0;
        if st.shut_rd {
            r |= libc::POLLIN | libc::POLLRDNORM | libc::POLLRDHUP;
        }
        if st.shut_rd && st.shut_wr {
            r |= libc::POLLHUP;
        }
        match st.handle {
            Some(h) => self.ip.peek(|s| {
                Self::collect_errors(&mut st, s);
                if st.error.is_some() || !st.errq.is_empty() {
                    r |= libc::POLLERR;
                }
                let u = s.sockets.get::<udp::Socket>(h);
                if u.can_recv() {
                    r |= libc::POLLIN | libc::POLLRDNORM;
                }
                if u.can_send() {
                    r |= libc::POLLOUT | libc::POLLWRNORM;
                }
            }),
            None => r |= libc::POLLOUT | libc::POLLWRNORM,
        }
        r & (events | libc::POLLERR | libc::POLLHUP)
    }

    fn poll_queue(&self) -> &WaitQueue {
        &self.shared.queue
    }

    fn nread(&self) -> usize {
        let Some(h) = self.lock().handle else { return 0 };
        self.ip.peek(|s| s.sockets.get_mut::<udp::Socket>(h).peek().map(|(d, _)| d.len()).unwrap_or(0))
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
