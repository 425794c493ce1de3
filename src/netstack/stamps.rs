//! Receive times of what `arrival` does not follow: TCP segments and ICMP
//! messages (smoltcp keeps no `PacketMeta` id for either), for
//! SO_TIMESTAMP on TCP (Linux's tcp_recv_timestamp: the time of the last
//! segment a read took bytes from) and on raw and ping ICMP sockets.
//!
//! TCP: the device notes each connection's initial sequence number from its
//! SYN, then the end sequence number and arrival time of every segment with
//! data; a read of `n` bytes finds the segment holding its last byte.
//! ICMP: the device files each message's arrival under a hash of its bytes
//! (a raw socket reads them after the IP header, a ping socket as they are),
//! keeping the newest `ICMP_CAP`.
//!
//! Linux stamps packets only once some socket asked for timestamps (its
//! netstamp_needed key); so do we (`want`), apart from the SYNs, so a
//! connection made before the first request is followed too.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::Hasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Some socket turned on receive timestamps (or asked SIOCGSTAMP).
static WANTED: AtomicBool = AtomicBool::new(false);

/// Turns timestamping of received TCP and ICMP packets on for good.
pub fn want() {
    WANTED.store(true, Ordering::Relaxed);
}

fn wanted() -> bool {
    WANTED.load(Ordering::Relaxed)
}

/// Connections followed at most (ones never read from are dropped first).
const TCP_CAP: usize = 4096;
/// Unread segments remembered per connection (the oldest go first).
const MARKS_CAP: usize = 4096;
/// ICMP messages remembered.
const ICMP_CAP: usize = 1024;

/// One direction of a TCP connection: (sender, receiver).
type Flow = (SocketAddr, SocketAddr);

/// What a receiver has not read yet of one flow.
#[derive(Default)]
struct Marks {
    /// The sequence number of the next byte to read.
    next: u32,
    /// (sequence number after the segment's last byte, arrival).
    segs: VecDeque<(u32, Duration)>,
}

/// `a` comes after `b` in sequence space.
fn after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// The receive times (see the module doc). Lives in the device, under the
/// stack lock.
#[derive(Default)]
pub struct Stamps {
    tcp: HashMap<Flow, Marks>,
    icmp: HashMap<u64, Duration>,
    icmp_order: VecDeque<u64>,
}

fn icmp_key(msg: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    h.write(msg);
    h.finish()
}

/// The parts of a TCP/IP packet a mark needs: flow, sequence number, SYN,
/// payload length.
fn parse_tcp(p: &[u8]) -> Option<(Flow, u32, bool, usize)> {
    let (src, dst, t, end): (IpAddr, IpAddr, usize, usize) = match p.first()? >> 4 {
        4 if p.len() >= 20 && p[9] == libc::IPPROTO_TCP as u8 => {
            let ihl = (p[0] & 0x0f) as usize * 4;
            let total = (u16::from_be_bytes([p[2], p[3]]) as usize).min(p.len());
            let a = |o: usize| IpAddr::V4(Ipv4Addr::new(p[o], p[o + 1], p[o + 2], p[o + 3]));
            (a(12), a(16), ihl, total)
        }
        6 if p.len() >= 40 && p[6] == libc::IPPROTO_TCP as u8 => {
            let a = |o: usize| {
                let mut b = [0u8; 16];
                b.copy_from_slice(&p[o..o + 16]);
                IpAddr::V6(Ipv6Addr::from(b))
            };
            let total = (40 + u16::from_be_bytes([p[4], p[5]]) as usize).min(p.len());
            (a(8), a(24), 40, total)
        }
        _ => return None,
    };
    let h = p.get(t..end)?;
    if h.len() < 20 {
        return None;
    }
    let sport = u16::from_be_bytes([h[0], h[1]]);
    let dport = u16::from_be_bytes([h[2], h[3]]);
    let seq = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    let doff = (h[12] >> 4) as usize * 4;
    let syn = h[13] & 0x02 != 0;
    let payload = h.len().saturating_sub(doff);
    Some(((SocketAddr::new(src, sport), SocketAddr::new(dst, dport)), seq, syn, payload))
}

/// The ICMP message of an IP packet carrying one.
fn icmp_message(p: &[u8]) -> Option<&[u8]> {
    match p.first()? >> 4 {
        4 if p.len() >= 20 && p[9] == libc::IPPROTO_ICMP as u8 => p.get((p[0] & 0x0f) as usize * 4..),
        6 if p.len() >= 40 && p[6] == libc::IPPROTO_ICMPV6 as u8 => p.get(40..),
        _ => None,
    }
}

impl Stamps {
    /// Notes a packet the device received (`now`: its arrival time, read
    /// only when needed).
    pub fn ingress(&mut self, p: &[u8], now: fn() -> Duration) {
        if let Some((flow, seq, syn, payload)) = parse_tcp(p) {
            if syn {
                if self.tcp.len() >= TCP_CAP {
                    self.tcp.retain(|_, m| !m.segs.is_empty());
                    if self.tcp.len() >= TCP_CAP {
                        self.tcp.clear();
                    }
                }
                self.tcp.insert(flow, Marks { next: seq.wrapping_add(1), segs: VecDeque::new() });
                return;
            }
            if payload == 0 || !wanted() {
                return;
            }
            let Some(m) = self.tcp.get_mut(&flow) else { return };
            let end = seq.wrapping_add(payload as u32);
            // A retransmission of what is queued keeps its first arrival.
            let newest = m.segs.back().map(|s| s.0).unwrap_or(m.next);
            if after(end, newest) {
                if m.segs.len() >= MARKS_CAP {
                    m.segs.pop_front();
                }
                m.segs.push_back((end, now()));
            }
            return;
        }
        if !wanted() {
            return;
        }
        if let Some(msg) = icmp_message(p) {
            let key = icmp_key(msg);
            if self.icmp.insert(key, now()).is_none() {
                self.icmp_order.push_back(key);
            }
            while self.icmp_order.len() > ICMP_CAP {
                if let Some(k) = self.icmp_order.pop_front() {
                    self.icmp.remove(&k);
                }
            }
        }
    }

    /// A read (or a peek) of `n` bytes of `flow`: when the segment holding
    /// the last of them arrived, if it was stamped.
    pub fn tcp_read(&mut self, flow: Flow, n: usize, peek: bool) -> Option<Duration> {
        let m = self.tcp.get_mut(&flow)?;
        if n == 0 {
            return None;
        }
        let last = m.next.wrapping_add(n as u32);
        let at = m.segs.iter().find(|s| !after(last, s.0)).map(|s| s.1);
        if !peek {
            while m.segs.front().is_some_and(|s| !after(s.0, last)) {
                m.segs.pop_front();
            }
            m.next = last;
        }
        at
    }

    /// Forgets a flow (its receiver is gone).
    pub fn tcp_forget(&mut self, flow: Flow) {
        self.tcp.remove(&flow);
    }

    /// When the ICMP message `msg` arrived, if it was stamped.
    pub fn icmp(&self, msg: &[u8]) -> Option<Duration> {
        self.icmp.get(&icmp_key(msg)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp4(seq: u32, flags: u8, payload: usize) -> Vec<u8> {
        let total = 40 + payload;
        let mut p = vec![0u8; total];
        p[0] = 0x45;
        p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        p[9] = 6;
        p[12..16].copy_from_slice(&[127, 0, 0, 1]);
        p[16..20].copy_from_slice(&[127, 0, 0, 1]);
        p[20..22].copy_from_slice(&1000u16.to_be_bytes());
        p[22..24].copy_from_slice(&2000u16.to_be_bytes());
        p[24..28].copy_from_slice(&seq.to_be_bytes());
        p[32] = 5 << 4;
        p[33] = flags;
        p
    }

    #[test]
    fn a_read_takes_the_time_of_its_last_segment() {
        want();
        let mut s = Stamps::default();
        let flow = parse_tcp(&tcp4(0, 0, 0)).unwrap().0;
        s.ingress(&tcp4(u32::MAX - 1, 0x02, 0), || Duration::from_secs(1));
        s.ingress(&tcp4(u32::MAX, 0x10, 2), || Duration::from_secs(2));
        s.ingress(&tcp4(1, 0x10, 2), || Duration::from_secs(3));
        s.ingress(&tcp4(1, 0x10, 2), || Duration::from_secs(4));
        assert_eq!(s.tcp_read(flow, 1, false), Some(Duration::from_secs(2)));
        assert_eq!(s.tcp_read(flow, 3, true), Some(Duration::from_secs(3)));
        assert_eq!(s.tcp_read(flow, 2, false), Some(Duration::from_secs(3)));
        assert_eq!(s.tcp_read(flow, 1, false), Some(Duration::from_secs(3)));
        assert_eq!(s.tcp_read(flow, 1, false), None);
    }
}
