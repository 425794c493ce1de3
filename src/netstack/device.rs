//! The IP stack's device: a loopback queue for packets to local addresses,
//! and an uplink hook for everything else. With no uplink (today, in every
//! mode) packets to other hosts are dropped; a host tap or veth can be
//! plugged in by implementing `Uplink`.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smoltcp::phy::{self, Checksum, ChecksumCapabilities, Device, DeviceCapabilities, Medium, PacketMeta};
use smoltcp::time::Instant;

use super::arrival::{self, Arrival, Arrivals};
use super::stamps::Stamps;

/// The MTU of the loopback path (Linux's `lo` has 65536; smoltcp's IP
/// length field allows 65535).
pub const LOOPBACK_MTU: usize = 65535;

/// Where packets for other hosts go (a host tap or veth, later).
pub trait Uplink: Send {
    /// Sends one IP packet out.
    fn send(&mut self, packet: Vec<u8>);
    /// A packet that arrived from outside, if any.
    fn recv(&mut self) -> Option<Vec<u8>>;
}

/// Packet and byte counts, as `/proc/net/dev` shows them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
}

/// The stack's one device.
pub struct NetDevice {
    /// Packets sent to local addresses, waiting to be received.
    pub queue: VecDeque<Vec<u8>>,
    /// Whether a destination is local (loops back).
    local: fn(&IpAddr) -> bool,
    /// Packets for other hosts.
    pub uplink: Option<Box<dyn Uplink>>,
    /// Loopback counters.
    pub lo: Counters,
    /// Uplink counters.
    pub eth: Counters,
    /// The headers of received UDP datagrams (see `arrival`).
    pub arrivals: Arrivals,
    /// Hop limit and traffic class of IPv6 UDP datagrams by source port:
    /// smoltcp passes no `PacketMeta` to the device for IPv6, so a socket
    /// files its own here before each send (see `arrival`).
    pub udp6_egress: HashMap<u16, (u8, u8)>,
    /// Receive times of TCP segments and ICMP messages (see `stamps`).
    pub stamps: Stamps,
}

impl NetDevice {
    /// A device looping back what `local` accepts.
    pub fn new(local: fn(&IpAddr) -> bool) -> NetDevice {
        NetDevice {
            queue: VecDeque::new(),
            local,
            uplink: None,
            lo: Counters::default(),
            eth: Counters::default(),
            arrivals: Arrivals::default(),
            udp6_egress: HashMap::new(),
            stamps: Stamps::default(),
        }
    }
}

impl NetDevice {
    /// Queues a packet for a local address (it is received on the next poll).
    pub fn loop_back(&mut self, packet: Vec<u8>) {
        let len = packet.len() as u64;
        self.lo.tx_packets += 1;
        self.lo.tx_bytes += len;
        self.lo.rx_packets += 1;
        self.lo.rx_bytes += len;
        self.queue.push_back(packet);
    }
}

/// The destination of a raw IP packet.
fn destination(p: &[u8]) -> Option<IpAddr> {
    match p.first()? >> 4 {
        4 if p.len() >= 20 => Some(IpAddr::V4(Ipv4Addr::new(p[16], p[17], p[18], p[19]))),
        6 if p.len() >= 40 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&p[24..40]);
            Some(IpAddr::V6(Ipv6Addr::from(a)))
        }
        _ => None,
    }
}

impl Device for NetDevice {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken<'a>;

    fn capabilities(&self) -> DeviceCapabilities {
        let mut checksum = ChecksumCapabilities::ignored();
        // Raw ICMP sockets see whole packets: their checksums must be real.
        checksum.ipv4 = Checksum::Both;
        checksum.icmpv4 = Checksum::Both;
        checksum.icmpv6 = Checksum::Both;
        let mut caps = DeviceCapabilities::default();
        caps.max_transmission_unit = LOOPBACK_MTU;
        caps.medium = Medium::Ip;
        caps.checksum = checksum;
        caps
    }

    fn receive(&mut self, _timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let (buffer, ifindex) = match self.queue.pop_front() {
            Some(b) => (b, 1),
            None => {
                let b = self.uplink.as_mut()?.recv()?;
                self.eth.rx_packets += 1;
                self.eth.rx_bytes += b.len() as u64;
                (b, 2)
            }
        };
        // Only UDP sockets read the record back (smoltcp hands them the id).
        let id = match arrival::parse_header(&buffer) {
            Some((hop_limit, tos, true)) => {
                self.arrivals.record(Arrival { hop_limit, tos, ifindex, at: arrival::realtime() })
            }
            _ => {
                self.stamps.ingress(&buffer, arrival::realtime);
                0
            }
        };
        Some((RxToken { buffer, id }, TxToken { dev: self, tag: 0 }))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        Some(TxToken { dev: self, tag: 0 })
    }
}

#[doc(hidden)]
pub struct RxToken {
    buffer: Vec<u8>,
    /// The packet's arrival record (0: none).
    id: u32,
}

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.buffer)
    }
    fn meta(&self) -> PacketMeta {
        let mut m = PacketMeta::default();
        m.id = self.id;
        m
    }
}

#[doc(hidden)]
pub struct TxToken<'a> {
    dev: &'a mut NetDevice,
    /// The sending socket's egress tag (0: none).
    tag: u32,
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buffer = vec![0; len];
        let r = f(&mut buffer);
        if let Some((hop_limit, tos)) = arrival::egress_fields(self.tag) {
            arrival::rewrite_header(&mut buffer, hop_limit, tos);
        } else if let Some(port) = arrival::udp6_source_port(&buffer) {
            if let Some(&(hop_limit, tclass)) = self.dev.udp6_egress.get(&port) {
                arrival::rewrite_header(&mut buffer, hop_limit, tclass);
            }
        }
        let local = destination(&buffer).is_some_and(|d| (self.dev.local)(&d));
        if local {
            self.dev.loop_back(buffer);
        } else if let Some(up) = self.dev.uplink.as_mut() {
            self.dev.eth.tx_packets += 1;
            self.dev.eth.tx_bytes += len as u64;
            up.send(buffer);
        }
        r
    }
    fn set_meta(&mut self, meta: PacketMeta) {
        self.tag = meta.id;
    }
}
