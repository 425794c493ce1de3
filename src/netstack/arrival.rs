//! What the IP header said about a received datagram, and per-socket
//! header fields for sent ones: the parts of a packet smoltcp does not keep.
//!
//! Ingress: the device reads the header of each UDP packet before smoltcp
//! sees it (hop limit, TOS/traffic class, the interface, the time it
//! arrived) and files it under a fresh `PacketMeta` id; smoltcp keeps that id
//! with the datagram in the socket's buffer (`UdpMetadata::meta`), so
//! `recvmsg` finds the record again for IP_RECVTTL, IP_RECVTOS,
//! IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS, IP_PKTINFO and SO_TIMESTAMP.
//!
//! Egress: a UDP socket's IP_TTL/IPV6_UNICAST_HOPS and IP_TOS/IPV6_TCLASS
//! travel in the id of the IPv4 datagrams it sends (`egress_tag`), and the
//! device writes them into the header (smoltcp has no TOS field, and its
//! hop limit cannot be 0, which IPv6 allows). smoltcp drops the id of IPv6
//! packets, so for those the socket files the fields under its port
//! (`NetDevice::udp6_egress`) just before each send, which the same poll
//! dispatches.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A received packet's header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// TTL (IPv4) or hop limit (IPv6).
    pub hop_limit: u8,
    /// TOS (IPv4) or traffic class (IPv6).
    pub tos: u8,
    /// The interface it came in on.
    pub ifindex: u32,
    /// When it arrived, as CLOCK_REALTIME.
    pub at: Duration,
}

impl Arrival {
    /// A record for a datagram whose header was not seen (or was evicted):
    /// the defaults of a loopback packet, arriving now.
    pub fn unknown() -> Arrival {
        Arrival { hop_limit: 64, tos: 0, ifindex: 1, at: realtime() }
    }
}

/// The time now as CLOCK_REALTIME.
pub fn realtime() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Records kept at most; older ones are dropped (a flood of datagrams to
/// closed ports leaves records nobody takes).
const CAP: usize = 1 << 15;

/// Ids with this bit are egress tags, not arrival records.
const TAG: u32 = 1 << 31;

/// The arrival records, by `PacketMeta` id. Ids are counted with wrapping,
/// skipping 0 (smoltcp's "no id") and the tag bit.
#[derive(Default)]
pub struct Arrivals {
    map: HashMap<u32, Arrival>,
    next: u32,
}

impl Arrivals {
    /// Files `a`; returns its id.
    pub fn record(&mut self, a: Arrival) -> u32 {
        self.next = (self.next + 1) & !TAG;
        if self.next == 0 {
            self.next = 1;
        }
        if self.map.len() >= CAP {
            // Keep the newest half: a datagram still buffered after 16384
            // newer ones arrived reports defaults instead.
            let next = self.next;
            self.map.retain(|&id, _| next.wrapping_sub(id) & !TAG < (CAP / 2) as u32);
        }
        self.map.insert(self.next, a);
        self.next
    }

    /// The record of `id` (MSG_PEEK keeps it).
    pub fn get(&self, id: u32) -> Arrival {
        self.map.get(&id).copied().unwrap_or_else(Arrival::unknown)
    }

    /// The record of `id`, forgotten (the datagram was consumed).
    pub fn take(&mut self, id: u32) -> Arrival {
        self.map.remove(&id).unwrap_or_else(Arrival::unknown)
    }

    /// Forgets `id` (its datagram was dropped with its socket).
    pub fn forget(&mut self, id: u32) {
        self.map.remove(&id);
    }
}

/// The header fields to write into a datagram sent with `tag`, if it is
/// an egress tag: (hop limit, TOS).
pub fn egress_fields(tag: u32) -> Option<(u8, u8)> {
    (tag & TAG != 0).then_some(((tag >> 8) as u8, tag as u8))
}

/// The egress tag for a datagram with this hop limit and TOS.
pub fn egress_tag(hop_limit: u8, tos: u8) -> u32 {
    TAG | (u32::from(hop_limit) << 8) | u32::from(tos)
}

/// The hop limit, TOS and UDP-ness of a raw IP packet.
pub fn parse_header(p: &[u8]) -> Option<(u8, u8, bool)> {
    match p.first()? >> 4 {
        4 if p.len() >= 20 => Some((p[8], p[1], p[9] == libc::IPPROTO_UDP as u8)),
        6 if p.len() >= 40 => {
            let tclass = ((p[0] & 0x0f) << 4) | (p[1] >> 4);
            Some((p[7], tclass, p[6] == libc::IPPROTO_UDP as u8))
        }
        _ => None,
    }
}

/// The source port of an IPv6 UDP packet (no extension headers: the stack
/// sends none).
pub fn udp6_source_port(p: &[u8]) -> Option<u16> {
    (p.len() >= 48 && p[0] >> 4 == 6 && p[6] == libc::IPPROTO_UDP as u8).then(|| u16::from_be_bytes([p[40], p[41]]))
}

/// Writes the hop limit and TOS into a raw IP packet (and the IPv4 header
/// checksum again).
pub fn rewrite_header(p: &mut [u8], hop_limit: u8, tos: u8) {
    match p.first().map(|b| b >> 4) {
        Some(4) if p.len() >= 20 => {
            p[1] = tos;
            p[8] = hop_limit;
            let ihl = ((p[0] & 0x0f) as usize * 4).clamp(20, p.len());
            p[10] = 0;
            p[11] = 0;
            let sum = checksum(&p[..ihl]);
            p[10..12].copy_from_slice(&sum.to_be_bytes());
        }
        Some(6) if p.len() >= 40 => {
            p[0] = 0x60 | (tos >> 4);
            p[1] = (tos << 4) | (p[1] & 0x0f);
            p[7] = hop_limit;
        }
        _ => {}
    }
}

/// The Internet checksum of a header.
fn checksum(h: &[u8]) -> u16 {
    let mut sum: u32 = h.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_skip_zero_and_the_tag_bit() {
        let mut a = Arrivals { next: TAG - 1, ..Default::default() };
        let id = a.record(Arrival::unknown());
        assert_eq!(id, 1);
        assert!(egress_fields(id).is_none());
    }

    #[test]
    fn tags_round_trip() {
        assert_eq!(egress_fields(egress_tag(0, 0xb8)), Some((0, 0xb8)));
        assert_eq!(egress_fields(egress_tag(255, 1)), Some((255, 1)));
    }

    #[test]
    fn rewritten_ipv4_header_checks_out() {
        let mut p = vec![0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1];
        p.resize(28, 0);
        rewrite_header(&mut p, 5, 0x10);
        assert_eq!(parse_header(&p), Some((5, 0x10, true)));
        assert_eq!(checksum(&p[..20]), 0);
    }

    #[test]
    fn ipv6_traffic_class_spans_two_bytes() {
        let mut p = vec![0u8; 48];
        p[0] = 0x60;
        p[1] = 0x0a; // flow label bits kept
        p[6] = 17;
        rewrite_header(&mut p, 0, 0xab);
        assert_eq!(parse_header(&p), Some((0, 0xab, true)));
        assert_eq!(p[1] & 0x0f, 0x0a);
    }

    #[test]
    fn full_table_keeps_the_newest() {
        let mut a = Arrivals::default();
        let first = a.record(Arrival::unknown());
        for _ in 0..CAP {
            a.record(Arrival { hop_limit: 1, ..Arrival::unknown() });
        }
        assert!(a.map.len() <= CAP);
        assert!(!a.map.contains_key(&first));
        let last = a.next;
        assert_eq!(a.get(last).hop_limit, 1);
    }
}
