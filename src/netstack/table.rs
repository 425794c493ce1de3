//! The IP sockets of the sandbox stack, one row each, as /proc/net/{tcp,
//! tcp6,udp,udp6}, sock_diag (`ss`) and the control socket's `net` report
//! list them.
//!
//! Rows come from the smoltcp socket set plus each socket's `Meta` (its
//! inode, owner and family). As Linux's dumps: listeners first (one row per
//! listening socket, its receive queue the connections waiting for accept
//! and its send queue the backlog), then connections, including those not
//! yet accepted and those closed but still finishing (inode 0). Sockets that
//! are neither bound-and-connected nor listening are not listed (Linux
//! hashes them nowhere). TIME-WAIT is not listed: the stack drops such
//! connections at once.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use smoltcp::socket::{tcp, Socket as AnySock};
use smoltcp::wire::IpAddress;

use super::stack::{Inner, Meta};
use super::tcp::linux_state;
use super::NetStack;

/// Linux's TCP_LISTEN.
pub const TCP_LISTEN: u8 = 10;
/// Linux's TCP_ESTABLISHED.
pub const TCP_ESTABLISHED: u8 = 1;
/// Linux's TCP_CLOSE (an unconnected UDP socket's state).
pub const TCP_CLOSE: u8 = 7;

/// One IP socket.
#[derive(Clone, Debug)]
pub struct InetRow {
    /// IPPROTO_TCP or IPPROTO_UDP.
    pub proto: i32,
    /// Linux's TCP_* state number.
    pub state: u8,
    /// The local address as the socket's family shows it (IPv4 addresses
    /// of an AF_INET6 socket are v4-mapped).
    pub local: SocketAddr,
    /// The peer (unspecified and port 0 when there is none).
    pub remote: SocketAddr,
    /// Bytes waiting to be read (listeners: connections waiting for accept).
    pub rqueue: u32,
    /// Bytes not yet acknowledged or sent (listeners: the backlog).
    pub wqueue: u32,
    /// Inode, owner, family and options.
    pub meta: Meta,
}

impl InetRow {
    /// AF_INET or AF_INET6.
    pub fn family(&self) -> i32 {
        self.meta.family
    }
}

/// An address as a socket of `family` reports it.
fn shown(family: i32, addr: Option<IpAddr>, port: u16) -> SocketAddr {
    let ip = match (family, addr) {
        (libc::AF_INET6, Some(IpAddr::V4(v4))) => IpAddr::V6(v4.to_ipv6_mapped()),
        (_, Some(ip)) => ip,
        (libc::AF_INET6, None) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        (_, None) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    SocketAddr::new(ip, port)
}

fn ip(a: Option<IpAddress>) -> Option<IpAddr> {
    a.map(IpAddr::from)
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn tcp_rows(s: &Inner) -> Vec<InetRow> {
    let mut rows = Vec::new();
    for l in s.listeners() {
        let fam = l.meta.family;
        rows.push(InetRow {
            proto: libc::IPPROTO_TCP,
            state: TCP_LISTEN,
            local: shown(fam, ip(l.local.addr), l.local.port),
            remote: shown(fam, None, 0),
            rqueue: clamp(s.accept_queue_len(l)),
            wqueue: clamp(l.backlog),
            meta: l.meta,
        });
    }
    for (h, sock) in s.sockets.iter() {
        let AnySock::Tcp(t) = sock else { continue };
        let state = t.state();
        if matches!(state, tcp::State::Listen | tcp::State::Closed) {
            continue;
        }
        let (Some(meta), Some(local)) = (s.meta(h).copied(), t.local_endpoint()) else { continue };
        let fam = meta.family;
        let remote = t.remote_endpoint();
        // The peer's FIN occupies one sequence number until read as end of file.
        let fin = matches!(state, tcp::State::CloseWait | tcp::State::LastAck | tcp::State::Closing) && !meta.fin_read;
        rows.push(InetRow {
            proto: libc::IPPROTO_TCP,
            state: linux_state(state),
            local: shown(fam, Some(local.addr.into()), local.port),
            remote: shown(fam, remote.map(|r| r.addr.into()), remote.map_or(0, |r| r.port)),
            rqueue: clamp(t.recv_queue() + usize::from(fin)),
            wqueue: clamp(t.send_queue()),
            meta,
        });
    }
    rows
}

/// The source address Linux picks for a datagram to `peer` (loopback for
/// loopback peers, the peer's own address for the sandbox's others), which
/// a connected socket bound to the wildcard then shows as its own.
fn source_for(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V4(v4) if !v4.is_loopback() => v4.into(),
        IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => source_for(v4.into()),
            None if v6.is_loopback() => Ipv6Addr::LOCALHOST.into(),
            None => v6.into(),
        },
    }
}

fn udp_rows(s: &Inner) -> Vec<InetRow> {
    let mut rows = Vec::new();
    for (h, sock) in s.sockets.iter() {
        let AnySock::Udp(u) = sock else { continue };
        let Some(meta) = s.meta(h).copied() else { continue };
        let fam = meta.family;
        let ep = u.endpoint();
        let local_ip = ip(ep.addr).or_else(|| meta.peer.map(|p| source_for(p.ip())));
        let (state, remote) = match meta.peer {
            Some(p) => (TCP_ESTABLISHED, shown(fam, Some(p.ip()), p.port())),
            None => (TCP_CLOSE, shown(fam, None, 0)),
        };
        rows.push(InetRow {
            proto: libc::IPPROTO_UDP,
            state,
            local: shown(fam, local_ip, ep.port),
            remote,
            rqueue: clamp(u.recv_queue()),
            wqueue: clamp(u.send_queue()),
            meta,
        });
    }
    rows
}

/// The figures of /proc/net/sockstat and sockstat6.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SockStat {
    /// Socket files open in the sandbox.
    pub sockets: u64,
    /// Listed TCP sockets of AF_INET and AF_INET6.
    pub tcp: usize,
    pub tcp6: usize,
    /// TCP connections closed by their owners, still finishing.
    pub orphans: usize,
    /// Every TCP socket: those of files, plus orphans and connections not
    /// yet accepted.
    pub tcp_alloc: usize,
    /// Pages the TCP and UDP queues hold.
    pub tcp_pages: usize,
    pub udp: usize,
    pub udp6: usize,
    pub udp_pages: usize,
    /// Raw sockets of IPv4 and IPv6.
    pub raw: usize,
    pub raw6: usize,
}

fn pages(rows: &[InetRow]) -> usize {
    let bytes: usize = rows.iter().filter(|r| r.state != TCP_LISTEN).map(|r| (r.rqueue + r.wqueue) as usize).sum();
    bytes.div_ceil(4096)
}

/// Counts the sockets for /proc/net/sockstat.
pub fn sockstat(net: &NetStack) -> SockStat {
    let (tcp, udp, raw, raw6) = net.ip.peek(|s| {
        let (mut raw, mut raw6) = (0, 0);
        for (_, sock) in s.sockets.iter() {
            if let AnySock::Raw(r) = sock {
                match r.ip_version() {
                    Some(smoltcp::wire::IpVersion::Ipv6) => raw6 += 1,
                    _ => raw += 1,
                }
            }
        }
        (tcp_rows(s), udp_rows(s), raw, raw6)
    });
    let v4 = |rows: &[InetRow]| rows.iter().filter(|r| r.family() == libc::AF_INET).count();
    let orphans = tcp.iter().filter(|r| r.meta.orphan).count();
    let unaccepted = tcp.iter().filter(|r| r.meta.ino == 0 && !r.meta.orphan).count();
    SockStat {
        sockets: super::socket::open_sockets(),
        tcp: v4(&tcp),
        tcp6: tcp.len() - v4(&tcp),
        orphans,
        tcp_alloc: super::tcp::sockets_alive() + orphans + unaccepted,
        tcp_pages: pages(&tcp),
        udp: v4(&udp),
        udp6: udp.len() - v4(&udp),
        udp_pages: pages(&udp),
        raw,
        raw6,
    }
}

/// Every TCP socket of the stack.
pub fn tcp(net: &NetStack) -> Vec<InetRow> {
    net.ip.peek(|s| tcp_rows(s))
}

/// Every bound UDP socket of the stack.
pub fn udp(net: &NetStack) -> Vec<InetRow> {
    net.ip.peek(|s| udp_rows(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v6_sockets_show_v4_addresses_mapped() {
        let a = shown(libc::AF_INET6, Some(Ipv4Addr::LOCALHOST.into()), 80);
        assert_eq!(a.to_string(), "[::ffff:127.0.0.1]:80");
        assert_eq!(shown(libc::AF_INET, None, 0).to_string(), "0.0.0.0:0");
        assert_eq!(shown(libc::AF_INET6, None, 5).to_string(), "[::]:5");
    }

    #[test]
    fn connected_udp_sources() {
        assert_eq!(source_for("127.0.0.9".parse().unwrap()), IpAddr::from(Ipv4Addr::LOCALHOST));
        assert_eq!(source_for("10.0.2.15".parse().unwrap()), "10.0.2.15".parse::<IpAddr>().unwrap());
        assert_eq!(source_for("::1".parse().unwrap()), IpAddr::from(Ipv6Addr::LOCALHOST));
    }
}
