//! ICMP sockets on the sandbox stack: raw ICMP sockets (SOCK_RAW, as
//! busybox `ping` uses them: whole IPv4 packets on receive; ICMPv6 without
//! the IPv6 header, checksummed by the stack, filtered by ICMP6_FILTER)
//! and "ping sockets" (SOCK_DGRAM/IPPROTO_ICMP or ICMPV6: echo requests
//! whose identifier the stack sets; only replies are received).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use smoltcp::iface::SocketHandle;
use smoltcp::socket::{icmp, raw};
use smoltcp::wire::{IpAddress, IpProtocol, IpVersion};

use super::addr::{self, encode_inet, parse_inet, unmap};
use super::arrival::{self, Arrival};
use super::inet_opts::IpOpts;
use super::ports::{Proto, Share};
use super::send_ctl;
use super::socket::{int_val, CommonOpts, Cx, Received, RecvArgs, SendArgs, Socket};
use super::stack::{IpStack, Shared};
use crate::kernel::errno::Errno;
use crate::kernel::wait::{block_until, WaitQueue};

const PACKETS: usize = 64;
const BYTES: usize = 128 * 1024;

static NEXT_IP_ID: AtomicU16 = AtomicU16::new(1);

/// ICMPv6 echo request and reply types.
const ICMP6_ECHO_REQUEST: u8 = 128;
/// The ICMP6_FILTER option (level IPPROTO_ICMPV6).
const ICMP6_FILTER: i32 = 1;
/// IPV6_CHECKSUM (level SOL_RAW): where the stack writes the checksum.
const IPV6_CHECKSUM: i32 = 7;

/// Guarded by `IcmpSocket::st`.
struct St {
    handle: Option<SocketHandle>,
    /// The echo identifier of a ping socket (its "port").
    ident: u16,
    peer: Option<IpAddr>,
    local: IpAddr,
    /// ICMP6_FILTER: a set bit blocks that ICMPv6 type.
    filter: [u32; 8],
    /// IPPROTO_IP and IPPROTO_IPV6 options.
    ip: IpOpts,
}

/// An ICMP socket.
pub struct IcmpSocket {
    ip: Arc<IpStack>,
    shared: Arc<Shared>,
    domain: i32,
    raw: bool,
    id: u64,
    common: CommonOpts,
    st: Mutex<St>,
}

/// The Internet checksum of `data` (after the partial sum `start`).
pub fn checksum_from(start: u32, data: &[u8]) -> u16 {
    let mut sum: u64 = start as u64;
    for c in data.chunks(2) {
        let w = if c.len() == 2 { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], 0]) };
        sum += w as u64;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The Internet checksum of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    checksum_from(0, data)
}

/// The ICMPv6 checksum of `msg` (checksum field zeroed) from `src` to `dst`.
fn icmpv6_checksum(src: &Ipv6Addr, dst: &Ipv6Addr, msg: &[u8]) -> u16 {
    let mut pseudo = Vec::with_capacity(40);
    pseudo.extend_from_slice(&src.octets());
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 58]);
    let mut sum = 0u32;
    for c in pseudo.chunks(2) {
        sum += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    checksum_from(sum, msg)
}

/// The source address for a local destination.
fn source_for(local: IpAddr, dst: IpAddr) -> IpAddr {
    if !local.is_unspecified() {
        return local;
    }
    match dst {
        IpAddr::V4(v4) if v4.is_loopback() => Ipv4Addr::LOCALHOST.into(),
        IpAddr::V6(v6) if v6.is_loopback() => Ipv6Addr::LOCALHOST.into(),
        d => d,
    }
}

impl IcmpSocket {
    /// A raw (`raw`) or ping socket of `domain`.
    pub fn new(ip: &Arc<IpStack>, domain: i32, raw: bool) -> IcmpSocket {
        let shared = Arc::new(Shared::default());
        let v6 = domain == libc::AF_INET6;
        let (version, proto) =
            if v6 { (IpVersion::Ipv6, IpProtocol::Icmpv6) } else { (IpVersion::Ipv4, IpProtocol::Icmp) };
        let handle = raw.then(|| {
            ip.with(|s| {
                let rx = raw::PacketBuffer::new(vec![raw::PacketMetadata::EMPTY; PACKETS], vec![0; BYTES]);
                let tx = raw::PacketBuffer::new(vec![raw::PacketMetadata::EMPTY; PACKETS], vec![0; BYTES]);
                s.add(raw::Socket::new(Some(version), Some(proto), rx, tx), &shared)
            })
        });
        let any: IpAddr = if v6 { Ipv6Addr::UNSPECIFIED.into() } else { Ipv4Addr::UNSPECIFIED.into() };
        IcmpSocket {
            ip: ip.clone(),
            shared,
            domain,
            raw,
            id: ip.new_id(),
            common: CommonOpts::new(212_992, 212_992),
            st: Mutex::new(St {
                handle,
                ident: 0,
                peer: None,
                local: any,
                filter: [0; 8],
                ip: IpOpts::new(domain, false),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn v6(&self) -> bool {
        self.domain == libc::AF_INET6
    }

    fn any(&self) -> IpAddr {
        if self.v6() {
            Ipv6Addr::UNSPECIFIED.into()
        } else {
            Ipv4Addr::UNSPECIFIED.into()
        }
    }

    /// Binds a ping socket's identifier (0: a free one).
    fn bind_ident(&self, st: &mut St, ident: u16, local: IpAddr) -> Result<SocketHandle, Errno> {
        if let Some(h) = st.handle {
            return Ok(h);
        }
        let a = SocketAddr::new(local, ident);
        let id = self.ip.ports().bind(Proto::Icmp, a, Share::default(), self.id)?;
        st.ident = id;
        st.local = local;
        let h = self.ip.with(|s| {
            let rx = icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; PACKETS], vec![0; BYTES]);
            let tx = icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; PACKETS], vec![0; BYTES]);
            let mut sock = icmp::Socket::new(rx, tx);
            let _ = sock.bind(icmp::Endpoint::Ident(id));
            s.add(sock, &self.shared)
        });
        st.handle = Some(h);
        Ok(h)
    }

    fn dest(&self, raw: &[u8]) -> Result<IpAddr, Errno> {
        let a = parse_inet(self.domain, raw, true)?.ip();
        Ok(match a {
            IpAddr::V4(v4) if v4.is_unspecified() => Ipv4Addr::LOCALHOST.into(),
            IpAddr::V6(v6) if v6.is_unspecified() => Ipv6Addr::LOCALHOST.into(),
            a => a,
        })
    }
}

impl Drop for IcmpSocket {
    fn drop(&mut self) {
        let st = self.st.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = st.handle {
            self.ip.with(|s| s.remove(h));
        }
        if !self.raw && st.handle.is_some() {
            self.ip.ports().unbind(Proto::Icmp, st.ident, self.id);
        }
    }
}

impl Socket for IcmpSocket {
    fn domain(&self) -> i32 {
        self.domain
    }

    fn kind(&self) -> i32 {
        if self.raw {
            libc::SOCK_RAW
        } else {
            libc::SOCK_DGRAM
        }
    }

    fn protocol(&self) -> i32 {
        if self.v6() {
            libc::IPPROTO_ICMPV6
        } else {
            libc::IPPROTO_ICMP
        }
    }

    fn bind(&self, _cx: &Cx, raw: &[u8]) -> Result<(), Errno> {
        let a = parse_inet(self.domain, raw, true)?;
        if !a.ip().is_unspecified() && !self.ip.may_bind(&unmap(a).ip()) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let mut st = self.lock();
        if self.raw {
            st.local = a.ip();
            return Ok(());
        }
        if st.handle.is_some() {
            return Err(Errno::EINVAL);
        }
        self.bind_ident(&mut st, a.port(), a.ip()).map(|_| ())
    }

    fn connect(&self, _cx: &Cx, raw: &[u8], _nonblock: bool) -> Result<(), Errno> {
        if addr::family(raw) == libc::AF_UNSPEC && raw.len() >= 2 {
            self.lock().peer = None;
            return Ok(());
        }
        let d = self.dest(raw)?;
        if !self.ip.is_local(&d) {
            return Err(Errno::ENETUNREACH);
        }
        let mut st = self.lock();
        if !self.raw {
            let any = self.any();
            self.bind_ident(&mut st, 0, any)?;
        }
        st.peer = Some(d);
        Ok(())
    }

    fn send(&self, _cx: &Cx, args: SendArgs) -> Result<usize, Errno> {
        let mut st = self.lock();
        let dst = match args.addr {
            Some(raw) if !raw.is_empty() => self.dest(raw)?,
            _ => st.peer.ok_or(Errno::EDESTADDRREQ)?,
        };
        if !self.ip.is_local(&dst) {
            return Err(Errno::ENETUNREACH);
        }
        if args.data.len() < 8 && !self.raw {
            return Err(Errno::EINVAL);
        }
        if args.data.len() > 65507 {
            return Err(Errno::EMSGSIZE);
        }
        // This message's own hop limit, TOS and (raw sockets) source.
        let once = send_ctl::parse(&self.ip, self.domain, dst, st.ip.freebind, &args.cmsgs)?;
        let src = once.src.filter(|_| self.raw).unwrap_or_else(|| source_for(st.local, dst));
        let deadline = self.common.send_deadline();
        let hop_limit = once.hop_limit.unwrap_or_else(|| st.ip.hop_limit(&dst));
        let tos = once.tos.unwrap_or_else(|| st.ip.tos(&dst));
        if self.raw {
            drop(st);
            let p = match (src, dst) {
                (IpAddr::V4(src), IpAddr::V4(dst)) => {
                    let total = 20 + args.data.len();
                    let mut p = vec![0u8; total];
                    p[0] = 0x45;
                    p[1] = tos;
                    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
                    p[4..6].copy_from_slice(&NEXT_IP_ID.fetch_add(1, Ordering::Relaxed).to_be_bytes());
                    p[8] = hop_limit;
                    p[9] = 1;
                    p[12..16].copy_from_slice(&src.octets());
                    p[16..20].copy_from_slice(&dst.octets());
                    p[20..].copy_from_slice(args.data);
                    p
                }
                (IpAddr::V6(src), IpAddr::V6(dst)) => {
                    // The stack fills in the ICMPv6 checksum, as Linux does.
                    let mut msg = args.data.to_vec();
                    if msg.len() >= 4 {
                        msg[2] = 0;
                        msg[3] = 0;
                        let c = icmpv6_checksum(&src, &dst, &msg);
                        msg[2..4].copy_from_slice(&c.to_be_bytes());
                    }
                    let mut p = vec![0u8; 40];
                    p[0] = 0x60 | (tos >> 4);
                    p[1] = tos << 4;
                    p[4..6].copy_from_slice(&(msg.len() as u16).to_be_bytes());
                    p[6] = 58;
                    p[7] = hop_limit;
                    p[8..24].copy_from_slice(&src.octets());
                    p[24..40].copy_from_slice(&dst.octets());
                    p.extend_from_slice(&msg);
                    p
                }
                _ => return Err(Errno::EAFNOSUPPORT),
            };
            // Straight onto loopback (the destination is local): smoltcp's
            // raw sockets rebuild the header and would drop its TOS. This
            // also writes the IPv4 header checksum.
            let mut p = p;
            arrival::rewrite_header(&mut p, hop_limit, tos);
            self.ip.with(|s| s.dev.loop_back(p));
            return Ok(args.data.len());
        }
        let request = if self.v6() { ICMP6_ECHO_REQUEST } else { 8 };
        if args.data[0] != request || args.data[1] != 0 {
            return Err(Errno::EINVAL);
        }
        let any = self.any();
        let h = self.bind_ident(&mut st, 0, any)?;
        let mut p = args.data.to_vec();
        p[4..6].copy_from_slice(&st.ident.to_be_bytes());
        p[2] = 0;
        p[3] = 0;
        if !self.v6() {
            let c = checksum(&p);
            p[2..4].copy_from_slice(&c.to_be_bytes());
        }
        drop(st);
        let to = IpAddress::from(dst);
        block_until(&[&self.shared.queue], deadline, || {
            match self.ip.with(|s| {
                let sock = s.sockets.get_mut::<icmp::Socket>(h);
                // smoltcp has no hop limit 0 (IPv6 allows it): the default then;
                // nor a TOS for its echo requests.
                sock.set_hop_limit((hop_limit != 0).then_some(hop_limit));
                sock.send_slice(&p, to)
            }) {
                Ok(()) => Some(Ok(args.data.len())),
                Err(icmp::SendError::BufferFull) if !args.nonblock => None,
                Err(icmp::SendError::BufferFull) => Some(Err(Errno::EAGAIN)),
                Err(_) => Some(Err(Errno::EINVAL)),
            }
        })
        .map_err(|e| if e == Errno::ETIMEDOUT { Errno::EAGAIN } else { e })
    }

    fn recv(&self, args: RecvArgs) -> Result<Received, Errno> {
        let (h, filter, ip, local) = {
            let mut st = self.lock();
            let h = match st.handle {
                Some(h) => h,
                None => {
                    let any = self.any();
                    self.bind_ident(&mut st, 0, any)?
                }
            };
            (h, st.filter, st.ip.clone(), st.local)
        };
        let peek = args.flags & libc::MSG_PEEK != 0;
        let deadline = self.common.recv_deadline();
        let domain = self.domain;
        let v6 = self.v6();
        // The IP messages from the packet's header: raw sockets have it; a
        // ping socket's replies are the stack's own (hop limit 64, TOS 0).
        // raw_recvmsg / ping_recvmsg: the timestamp, then the IP messages.
        let common = &self.common;
        let make = |data: &[u8], from: IpAddr, to: IpAddr, hop_limit: u8, tos: u8, at: Option<std::time::Duration>| {
            let mut r = Received {
                full_len: data.len(),
                data: data[..args.len.min(data.len())].to_vec(),
                addr: Some(encode_inet(domain, SocketAddr::new(from, 0))),
                flags: if data.len() > args.len { libc::MSG_TRUNC } else { 0 },
                ..Default::default()
            };
            let at = at.unwrap_or_else(arrival::realtime);
            r.cmsgs.extend(common.recv_timestamp(at));
            let a = Arrival { hop_limit, tos, ifindex: 1, at };
            ip.recv_cmsgs(&a, SocketAddr::new(to, 0), &mut r.cmsgs);
            r
        };
        let blocked = |t: u8| filter[(t >> 5) as usize] & (1 << (t & 31)) != 0;
        block_until(&[&self.shared.queue], deadline, || {
            self.ip.with(|s| {
                if self.raw {
                    let r = s.sockets.get_mut::<raw::Socket>(h);
                    while let Ok(p) = r.peek() {
                        let out = if v6 {
                            // ICMPv6 raw sockets get the message without the IPv6 header.
                            if p.len() < 40 || p.len() > 40 && blocked(p[40]) {
                                let _ = r.recv();
                                continue;
                            }
                            let addr = |at: usize| {
                                let mut a = [0u8; 16];
                                a.copy_from_slice(&p[at..at + 16]);
                                IpAddr::V6(Ipv6Addr::from(a))
                            };
                            let tclass = ((p[0] & 0x0f) << 4) | (p[1] >> 4);
                            make(&p[40..], addr(8), addr(24), p[7], tclass, s.dev.stamps.icmp(&p[40..]))
                        } else if p.len() >= 20 {
                            let from = Ipv4Addr::new(p[12], p[13], p[14], p[15]);
                            let to = Ipv4Addr::new(p[16], p[17], p[18], p[19]);
                            let at = p.get((p[0] & 0x0f) as usize * 4..).and_then(|m| s.dev.stamps.icmp(m));
                            make(p, from.into(), to.into(), p[8], p[1], at)
                        } else {
                            make(p, Ipv4Addr::UNSPECIFIED.into(), Ipv4Addr::UNSPECIFIED.into(), 64, 0, None)
                        };
                        if !peek {
                            let _ = r.recv();
                        }
                        return Some(Ok(out));
                    }
                } else {
                    let request = if v6 { ICMP6_ECHO_REQUEST } else { 8 };
                    let sock = s.sockets.get_mut::<icmp::Socket>(h);
                    while let Ok((p, from)) = sock.recv() {
                        // Our own requests loop back too; a ping socket only gets replies.
                        if p.first() == Some(&request) {
                            continue;
                        }
                        let from = IpAddr::from(from);
                        let at = s.dev.stamps.icmp(p);
                        return Some(Ok(make(p, from, source_for(local, from), 64, 0, at)));
                    }
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
        if self.lock().peer.is_none() {
            return Err(Errno::ENOTCONN);
        }
        Ok(())
    }

    fn sockname(&self) -> Result<Vec<u8>, Errno> {
        let st = self.lock();
        Ok(encode_inet(self.domain, SocketAddr::new(st.local, if self.raw { 0 } else { st.ident })))
    }

    fn peername(&self) -> Result<Vec<u8>, Errno> {
        let st = self.lock();
        st.peer.map(|p| encode_inet(self.domain, SocketAddr::new(p, 0))).ok_or(Errno::ENOTCONN)
    }

    fn setsockopt(&self, level: i32, name: i32, val: &[u8]) -> Result<(), Errno> {
        let mut st = self.lock();
        match (level, name) {
            (libc::IPPROTO_ICMPV6, ICMP6_FILTER) if self.v6() => {
                if val.len() < 32 {
                    return Err(Errno::EINVAL);
                }
                for (i, c) in val[..32].chunks_exact(4).enumerate() {
                    st.filter[i] = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
                }
                Ok(())
            }
            // Raw ICMPv6: the stack checksums at offset 2 (Linux's fixed
            // offset for ICMPv6); an odd offset is EINVAL, others unsupported.
            (libc::SOL_RAW, IPV6_CHECKSUM) if self.v6() && self.raw => match int_val(val)? {
                v if v & 1 != 0 && v > 0 => Err(Errno::EINVAL),
                2 => Ok(()),
                _ => Err(Errno::ENOPROTOOPT),
            },
            // smoltcp rebuilds the IP header of the ICMP packets it hands
            // to sockets without the TOS: there is none to report.
            (libc::IPPROTO_IP, libc::IP_RECVTOS) | (libc::IPPROTO_IPV6, libc::IPV6_RECVTCLASS) => {
                Err(Errno::ENOPROTOOPT)
            }
            _ => st.ip.set(level, name, val).unwrap_or(Err(Errno::ENOPROTOOPT)),
        }
    }

    fn getsockopt(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        let st = self.lock();
        match (level, name) {
            (libc::SOL_SOCKET, libc::SO_ERROR) => Ok(0i32.to_ne_bytes().to_vec()),
            (libc::SOL_SOCKET, _) => Err(Errno::ENOPROTOOPT),
            (libc::IPPROTO_ICMPV6, ICMP6_FILTER) if self.v6() => {
                Ok(st.filter.iter().flat_map(|w| w.to_ne_bytes()).collect())
            }
            (libc::SOL_RAW, IPV6_CHECKSUM) if self.v6() && self.raw => Ok(2i32.to_ne_bytes().to_vec()),
            _ => st.ip.get(level, name, st.peer.is_some()).unwrap_or(Err(super::udp::unknown_level(self.domain))),
        }
    }

    fn poll_ready(&self, events: i16) -> i16 {
        let Some(h) = self.lock().handle else {
            return (libc::POLLOUT | libc::POLLWRNORM) & events;
        };
        let raw = self.raw;
        let mut r = 0;
        self.ip.peek(|s| {
            let (can_recv, can_send) = if raw {
                let x = s.sockets.get::<raw::Socket>(h);
                (x.can_recv(), x.can_send())
            } else {
                let x = s.sockets.get::<icmp::Socket>(h);
                (x.can_recv(), x.can_send())
            };
            if can_recv {
                r |= libc::POLLIN | libc::POLLRDNORM;
            }
            if can_send {
                r |= libc::POLLOUT | libc::POLLWRNORM;
            }
        });
        r & (events | libc::POLLERR | libc::POLLHUP)
    }

    fn poll_queue(&self) -> &WaitQueue {
        &self.shared.queue
    }

    fn common(&self) -> &CommonOpts {
        &self.common
    }

    fn stack(&self) -> Option<&Arc<super::stack::IpStack>> {
        Some(&self.ip)
    }
}
