//! A UDP socket's error queue (IP_RECVERR, IPV6_RECVERR): the ICMP errors
//! about its datagrams, read with recvmsg(MSG_ERRQUEUE) as Linux's
//! ip_recv_error / ipv6_recv_error give them: the datagram's payload, its
//! destination as the source address, and a control message with a
//! `struct sock_extended_err` (origin ICMP or ICMP6, the ICMP type and
//! code) followed by the offender (the ICMP sender, port 0).

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use super::addr::encode_inet;
use super::socket::Cmsg;

/// SO_EE_ORIGIN_ICMP and SO_EE_ORIGIN_ICMP6.
const ORIGIN_ICMP: u8 = 2;
const ORIGIN_ICMP6: u8 = 3;
/// Errors kept at most (Linux bounds the queue by the receive buffer).
const CAP: usize = 64;

/// One queued error.
#[derive(Clone, Debug)]
pub struct Error {
    /// The errno it stands for (ECONNREFUSED for "port unreachable").
    pub errno: i32,
    /// ICMPv4 (else ICMPv6).
    pub v4: bool,
    pub icmp_type: u8,
    pub code: u8,
    /// The failed datagram's destination and payload (as much as the ICMP
    /// message quoted).
    pub dst: SocketAddr,
    pub payload: Vec<u8>,
    /// Who sent the ICMP message.
    pub offender: IpAddr,
    /// When it arrived.
    pub at: Duration,
}

/// Parses an ICMP "port unreachable" (ICMPv4 3/3, ICMPv6 1/4) about a UDP
/// datagram: its errno and what it quotes.
pub fn parse_unreachable(msg: &[u8], offender: IpAddr, at: Duration) -> Option<Error> {
    let (v4, quoted) = match (msg.first()?, msg.get(1)?) {
        (3, 3) => (true, msg.get(8..)?),
        (1, 4) => (false, msg.get(8..)?),
        _ => return None,
    };
    let (dst_ip, udp): (IpAddr, &[u8]) = if v4 {
        let ihl = (quoted.first()? & 0x0f) as usize * 4;
        let d = quoted.get(16..20)?;
        (Ipv4Addr::new(d[0], d[1], d[2], d[3]).into(), quoted.get(ihl..)?)
    } else {
        let mut a = [0u8; 16];
        a.copy_from_slice(quoted.get(24..40)?);
        (Ipv6Addr::from(a).into(), quoted.get(40..)?)
    };
    let port = u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]);
    Some(Error {
        errno: libc::ECONNREFUSED,
        v4,
        icmp_type: msg[0],
        code: msg[1],
        dst: SocketAddr::new(dst_ip, port),
        payload: udp.get(8..).unwrap_or_default().to_vec(),
        offender,
        at,
    })
}

/// The queue.
#[derive(Default)]
pub struct ErrQueue {
    q: VecDeque<Error>,
}

impl ErrQueue {
    /// Queues `e` (the oldest goes when full).
    pub fn push(&mut self, e: Error) {
        if self.q.len() >= CAP {
            self.q.pop_front();
        }
        self.q.push_back(e);
    }

    /// Takes the oldest error.
    pub fn pop(&mut self) -> Option<Error> {
        self.q.pop_front()
    }

    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }

    /// Drops every error (the option was turned off).
    pub fn clear(&mut self) {
        self.q.clear();
    }
}

impl Error {
    /// The IP_RECVERR (AF_INET socket) or IPV6_RECVERR (AF_INET6 socket,
    /// offender v4-mapped for an ICMPv4 error) message.
    pub fn cmsg(&self, domain: i32) -> Cmsg {
        let mut d = Vec::with_capacity(44);
        d.extend_from_slice(&(self.errno as u32).to_ne_bytes());
        d.push(if self.v4 { ORIGIN_ICMP } else { ORIGIN_ICMP6 });
        d.push(self.icmp_type);
        d.push(self.code);
        d.push(0);
        d.extend_from_slice(&0u32.to_ne_bytes());
        d.extend_from_slice(&0u32.to_ne_bytes());
        d.extend_from_slice(&encode_inet(domain, SocketAddr::new(self.offender, 0)));
        if domain == libc::AF_INET6 {
            Cmsg { level: libc::SOL_IPV6, kind: libc::IPV6_RECVERR, data: d }
        } else {
            Cmsg { level: libc::SOL_IP, kind: libc::IP_RECVERR, data: d }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_unreachable_quotes_the_datagram() {
        let mut m = vec![3, 3, 0, 0, 0, 0, 0, 0];
        let mut ip = vec![0x45, 0, 0, 33, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2];
        ip.extend_from_slice(&[0x30, 0x39, 0x1f, 0x90, 0, 13, 0, 0]);
        ip.extend_from_slice(b"hello");
        m.extend_from_slice(&ip);
        let e = parse_unreachable(&m, Ipv4Addr::LOCALHOST.into(), Duration::ZERO).unwrap();
        assert_eq!(e.dst, "127.0.0.2:8080".parse().unwrap());
        assert_eq!(e.payload, b"hello");
        let c = e.cmsg(libc::AF_INET);
        assert_eq!((c.level, c.kind, c.data.len()), (libc::SOL_IP, libc::IP_RECVERR, 32));
        assert_eq!(e.cmsg(libc::AF_INET6).data.len(), 44);
    }
}
