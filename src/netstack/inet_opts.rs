//! The IPPROTO_IP and IPPROTO_IPV6 options of TCP and UDP sockets, as
//! Linux's do_ip_setsockopt / do_ipv6_setsockopt check and keep them.
//!
//! Every option listed here does its work: hop limits and TOS reach the
//! packets (`hop_limit`, `tos`), the receive flags choose the control
//! messages `recv_cmsgs` builds. A few are flags whose only effect Linux
//! itself never shows on a loopback-only stack (each says why where it is
//! set). Anything else is ENOPROTOOPT, what Linux answers for an option it
//! does not know.

use std::net::{IpAddr, SocketAddr};

use super::addr::encode_inet;
use super::arrival::Arrival;
use super::socket::Cmsg;
use crate::kernel::errno::Errno;

/// Linux's default TTL and hop limit (sysctl ip_default_ttl, hop_limit).
pub const DEFAULT_HOP_LIMIT: u8 = 64;
/// `lo`'s MTU, what IP_MTU/IPV6_MTU report for a connected socket.
const LO_MTU: i32 = 65536;
/// IP_PMTUDISC_WANT, the default of both families.
const PMTUDISC_WANT: i32 = 1;
/// IP_PMTUDISC_OMIT, the largest mode.
const PMTUDISC_OMIT: i32 = 5;

/// MRT_INIT..=MRT_MAX: multicast routing, only for raw IGMP sockets
/// (ip_mroute_setsockopt answers EOPNOTSUPP to any other).
const MROUTE_OPTS: std::ops::RangeInclusive<i32> = 200..=211;

/// Receive flags (`IpOpts::recv`): which control messages recvmsg adds.
mod rx {
    pub const PKTINFO: u32 = 1 << 0;
    pub const TTL: u32 = 1 << 1;
    pub const TOS: u32 = 1 << 2;
    pub const ORIGDSTADDR: u32 = 1 << 3;
    pub const RECVOPTS: u32 = 1 << 4;
    pub const RETOPTS: u32 = 1 << 5;
    pub const PASSSEC: u32 = 1 << 6;
    pub const FRAGSIZE: u32 = 1 << 7;
    pub const V6_PKTINFO: u32 = 1 << 8;
    pub const V6_HOPLIMIT: u32 = 1 << 9;
    pub const V6_TCLASS: u32 = 1 << 10;
    pub const V6_ORIGDSTADDR: u32 = 1 << 11;
    pub const V6_2292PKTINFO: u32 = 1 << 12;
    pub const V6_2292HOPLIMIT: u32 = 1 << 13;
    pub const V6_RTHDR: u32 = 1 << 14;
    pub const V6_HOPOPTS: u32 = 1 << 15;
    pub const V6_DSTOPTS: u32 = 1 << 16;
}

/// One socket's IP-level options. Guarded by the owning socket's lock.
#[derive(Clone, Debug)]
pub struct IpOpts {
    /// AF_INET or AF_INET6.
    domain: i32,
    /// SOCK_STREAM sockets refuse the multicast options and keep TOS's ECN bits.
    stream: bool,
    /// IP_TTL (-1: the default).
    ttl: i32,
    /// IP_TOS.
    tos: u8,
    /// IPV6_UNICAST_HOPS (-1: the default).
    hops: i32,
    /// IPV6_TCLASS.
    tclass: u8,
    /// `rx::*` flags.
    recv: u32,
    /// IP_MTU_DISCOVER and IPV6_MTU_DISCOVER.
    pmtudisc: i32,
    pmtudisc6: i32,
    /// IP_FREEBIND / IPV6_FREEBIND (one flag in Linux): bind accepts
    /// addresses that are not local.
    pub freebind: bool,
    /// IP_MULTICAST_TTL, _LOOP, _ALL and their IPv6 twins.
    mc_ttl: i32,
    mc_loop: bool,
    mc_all: bool,
    mc_hops: i32,
    mc6_loop: bool,
    mc6_all: bool,
}

/// An option value as do_ip_setsockopt reads it: an int, or one unsigned
/// byte when shorter; nothing is 0.
fn ip_int(val: &[u8]) -> i32 {
    match val.len() {
        0 => 0,
        1..=3 => val[0] as i32,
        _ => i32::from_ne_bytes([val[0], val[1], val[2], val[3]]),
    }
}

/// An IPv6 option value: an int, EINVAL when shorter.
fn v6_int(val: &[u8]) -> Result<i32, Errno> {
    if val.len() < 4 {
        return Err(Errno::EINVAL);
    }
    Ok(i32::from_ne_bytes([val[0], val[1], val[2], val[3]]))
}

fn int(v: i32) -> Result<Vec<u8>, Errno> {
    Ok(v.to_ne_bytes().to_vec())
}

impl IpOpts {
    /// Linux's defaults for a socket of `domain` (`stream`: TCP).
    pub fn new(domain: i32, stream: bool) -> IpOpts {
        IpOpts {
            domain,
            stream,
            ttl: -1,
            tos: 0,
            hops: -1,
            tclass: 0,
            recv: 0,
            pmtudisc: PMTUDISC_WANT,
            pmtudisc6: PMTUDISC_WANT,
            freebind: false,
            mc_ttl: 1,
            mc_loop: true,
            mc_all: true,
            mc_hops: 1,
            mc6_loop: true,
            mc6_all: true,
        }
    }

    /// The options an accepted connection takes over from its listener
    /// (Linux clones the listening sock).
    pub fn inherit(&self) -> IpOpts {
        self.clone()
    }

    /// The hop limit of packets to `dst` (IP_TTL for IPv4 destinations,
    /// IPV6_UNICAST_HOPS for IPv6 ones).
    pub fn hop_limit(&self, dst: &IpAddr) -> u8 {
        let v = if dst.is_ipv4() { self.ttl } else { self.hops };
        if v < 0 {
            DEFAULT_HOP_LIMIT
        } else {
            v as u8
        }
    }

    /// The TOS (IPv4) or traffic class (IPv6) of packets to `dst`.
    pub fn tos(&self, dst: &IpAddr) -> u8 {
        if dst.is_ipv4() {
            self.tos
        } else {
            self.tclass
        }
    }

    /// Sets an IPPROTO_IP or IPPROTO_IPV6 option; `None` for other levels.
    /// IPV6_V6ONLY is the socket's own (it depends on its binding).
    pub fn set(&mut self, level: i32, name: i32, val: &[u8]) -> Option<Result<(), Errno>> {
        match level {
            libc::IPPROTO_IP => Some(self.set_ip(name, val)),
            // An AF_INET socket has no IPv6 level (ip_setsockopt).
            libc::IPPROTO_IPV6 if self.domain == libc::AF_INET => Some(Err(Errno::ENOPROTOOPT)),
            libc::IPPROTO_IPV6 => Some(self.set_ipv6(name, val)),
            _ => None,
        }
    }

    fn flag(&mut self, bit: u32, on: bool) {
        if on {
            self.recv |= bit;
        } else {
            self.recv &= !bit;
        }
    }

    fn set_ip(&mut self, name: i32, val: &[u8]) -> Result<(), Errno> {
        if MROUTE_OPTS.contains(&name) {
            return Err(Errno::EOPNOTSUPP);
        }
        let v = ip_int(val);
        let short = val.is_empty();
        match name {
            libc::IP_TOS => {
                // TCP keeps the ECN bits its congestion control owns.
                let v = if self.stream { (v & !3) | (self.tos as i32 & 3) } else { v };
                self.tos = v as u8;
            }
            libc::IP_TTL => {
                if short || (v != -1 && !(1..=255).contains(&v)) {
                    return Err(Errno::EINVAL);
                }
                self.ttl = v;
            }
            libc::IP_PKTINFO => self.flag(rx::PKTINFO, v != 0),
            libc::IP_RECVTTL => self.flag(rx::TTL, v != 0),
            libc::IP_RECVTOS => self.flag(rx::TOS, v != 0),
            libc::IP_RECVORIGDSTADDR => self.flag(rx::ORIGDSTADDR, v != 0),
            // The stack sends no IP options and receives none, so these two
            // never add a message (Linux adds none for an option-less packet).
            libc::IP_RECVOPTS => self.flag(rx::RECVOPTS, v != 0),
            libc::IP_RETOPTS => self.flag(rx::RETOPTS, v != 0),
            // No security module labels packets here: Linux adds no
            // SCM_SECURITY message without one.
            libc::IP_PASSSEC => self.flag(rx::PASSSEC, v != 0),
            // Loopback (MTU 65536) never fragments, and Linux only reports
            // the size of reassembled datagrams.
            libc::IP_RECVFRAGSIZE => {
                if self.stream {
                    return Err(Errno::EINVAL);
                }
                self.flag(rx::FRAGSIZE, v != 0)
            }
            // Path MTU discovery has nothing to discover on loopback: every
            // datagram fits lo's MTU, so no mode changes what is sent.
            libc::IP_MTU_DISCOVER => {
                if !(0..=PMTUDISC_OMIT).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                self.pmtudisc = v;
            }
            libc::IP_FREEBIND => {
                if short {
                    return Err(Errno::EINVAL);
                }
                self.freebind = v != 0;
            }
            // The multicast sending options only act on datagrams to a
            // group, which this stack has no route for (ENETUNREACH, as
            // Linux without a multicast route).
            libc::IP_MULTICAST_TTL => {
                if self.stream || short {
                    return Err(Errno::EINVAL);
                }
                let v = if v == -1 { 1 } else { v };
                if !(0..=255).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                self.mc_ttl = v;
            }
            libc::IP_MULTICAST_LOOP => {
                if short {
                    return Err(Errno::EINVAL);
                }
                self.mc_loop = v != 0;
            }
            libc::IP_MULTICAST_ALL => {
                if short || !(0..=1).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                self.mc_all = v != 0;
            }
            libc::IP_ADD_MEMBERSHIP | libc::IP_DROP_MEMBERSHIP => {
                if self.stream {
                    return Err(Errno::EPROTO);
                }
                if val.len() < 8 {
                    return Err(Errno::EINVAL);
                }
                let group = u32::from_be_bytes([val[0], val[1], val[2], val[3]]);
                if name == libc::IP_ADD_MEMBERSHIP && group >> 28 != 0xe {
                    return Err(Errno::EINVAL);
                }
                // No interface of the sandbox carries multicast (no route to
                // a group): ip_mc_find_dev finds none.
                return Err(Errno::ENODEV);
            }
            // Setting no options is what the socket has; sending options is
            // not supported.
            libc::IP_OPTIONS => {
                if val.len() > 40 {
                    return Err(Errno::EINVAL);
                }
                if !val.is_empty() {
                    return Err(Errno::ENOPROTOOPT);
                }
            }
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    fn set_ipv6(&mut self, name: i32, val: &[u8]) -> Result<(), Errno> {
        let flag = |o: &mut IpOpts, bit: u32| -> Result<(), Errno> {
            let v = v6_int(val)?;
            o.flag(bit, v != 0);
            Ok(())
        };
        match name {
            libc::IPV6_UNICAST_HOPS => {
                let v = v6_int(val)?;
                if !(-1..=255).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                self.hops = v;
            }
            libc::IPV6_TCLASS => {
                let v = v6_int(val)?;
                if !(-1..=255).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                // RFC 3542: -1 is the default, 0.
                self.tclass = v.max(0) as u8;
            }
            libc::IPV6_RECVPKTINFO => flag(self, rx::V6_PKTINFO)?,
            libc::IPV6_RECVHOPLIMIT => flag(self, rx::V6_HOPLIMIT)?,
            libc::IPV6_RECVTCLASS => flag(self, rx::V6_TCLASS)?,
            libc::IPV6_RECVORIGDSTADDR => flag(self, rx::V6_ORIGDSTADDR)?,
            libc::IPV6_2292PKTINFO => flag(self, rx::V6_2292PKTINFO)?,
            libc::IPV6_2292HOPLIMIT => flag(self, rx::V6_2292HOPLIMIT)?,
            // The stack sends no extension headers, so these never add a
            // message (Linux adds none for a packet without them).
            libc::IPV6_RECVRTHDR => flag(self, rx::V6_RTHDR)?,
            libc::IPV6_RECVHOPOPTS => flag(self, rx::V6_HOPOPTS)?,
            libc::IPV6_RECVDSTOPTS => flag(self, rx::V6_DSTOPTS)?,
            // As IP_MTU_DISCOVER: nothing to discover on loopback.
            libc::IPV6_MTU_DISCOVER => {
                let v = v6_int(val)?;
                if !(0..=PMTUDISC_OMIT).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                self.pmtudisc6 = v;
            }
            libc::IPV6_FREEBIND => {
                self.freebind = v6_int(val)? != 0;
            }
            // As the IPv4 multicast options: no group is reachable.
            libc::IPV6_MULTICAST_HOPS => {
                if self.stream {
                    return Err(Errno::ENOPROTOOPT);
                }
                let v = v6_int(val)?;
                if !(-1..=255).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                self.mc_hops = if v == -1 { 1 } else { v };
            }
            libc::IPV6_MULTICAST_LOOP => {
                let v = v6_int(val)?;
                if v != 0 && v != 1 {
                    return Err(Errno::EINVAL);
                }
                self.mc6_loop = v != 0;
            }
            libc::IPV6_MULTICAST_ALL => self.mc6_all = v6_int(val)? != 0,
            libc::IPV6_ADD_MEMBERSHIP | libc::IPV6_DROP_MEMBERSHIP => {
                if val.len() < 20 {
                    return Err(Errno::EINVAL);
                }
                if self.stream {
                    return Err(Errno::EPROTO);
                }
                if name == libc::IPV6_ADD_MEMBERSHIP && val[0] != 0xff {
                    return Err(Errno::EINVAL);
                }
                // Joining: no interface routes multicast; leaving: never joined.
                return Err(if name == libc::IPV6_ADD_MEMBERSHIP { Errno::ENODEV } else { Errno::EADDRNOTAVAIL });
            }
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    /// Reads an IPPROTO_IP or IPPROTO_IPV6 option; `None` for other levels.
    /// `connected`: the socket has a peer (IP_MTU needs a route).
    pub fn get(&self, level: i32, name: i32, connected: bool) -> Option<Result<Vec<u8>, Errno>> {
        let on = |bit: u32| int(i32::from(self.recv & bit != 0));
        let mtu = || if connected { int(LO_MTU) } else { Err(Errno::ENOTCONN) };
        Some(match level {
            libc::IPPROTO_IP => match name {
                n if MROUTE_OPTS.contains(&n) => Err(Errno::EOPNOTSUPP),
                libc::IP_TOS => int(self.tos as i32),
                libc::IP_TTL => int(if self.ttl < 0 { DEFAULT_HOP_LIMIT as i32 } else { self.ttl }),
                libc::IP_PKTINFO => on(rx::PKTINFO),
                libc::IP_RECVTTL => on(rx::TTL),
                libc::IP_RECVTOS => on(rx::TOS),
                libc::IP_RECVORIGDSTADDR => on(rx::ORIGDSTADDR),
                libc::IP_RECVOPTS => on(rx::RECVOPTS),
                libc::IP_RETOPTS => on(rx::RETOPTS),
                libc::IP_PASSSEC => on(rx::PASSSEC),
                libc::IP_RECVFRAGSIZE => on(rx::FRAGSIZE),
                libc::IP_MTU_DISCOVER => int(self.pmtudisc),
                libc::IP_MTU => mtu(),
                libc::IP_FREEBIND => int(self.freebind as i32),
                libc::IP_MULTICAST_TTL => int(self.mc_ttl),
                libc::IP_MULTICAST_LOOP => int(self.mc_loop as i32),
                libc::IP_MULTICAST_ALL => int(self.mc_all as i32),
                libc::IP_OPTIONS => Ok(Vec::new()),
                // Not raw sockets: never set.
                libc::IP_HDRINCL | libc::IP_NODEFRAG => int(0),
                _ => Err(Errno::ENOPROTOOPT),
            },
            // do_ip_getsockopt's answer for a level that is not SOL_IP.
            libc::IPPROTO_IPV6 if self.domain == libc::AF_INET => Err(Errno::EOPNOTSUPP),
            libc::IPPROTO_IPV6 => match name {
                libc::IPV6_UNICAST_HOPS => int(if self.hops < 0 { DEFAULT_HOP_LIMIT as i32 } else { self.hops }),
                libc::IPV6_TCLASS => int(self.tclass as i32),
                libc::IPV6_RECVPKTINFO => on(rx::V6_PKTINFO),
                libc::IPV6_RECVHOPLIMIT => on(rx::V6_HOPLIMIT),
                libc::IPV6_RECVTCLASS => on(rx::V6_TCLASS),
                libc::IPV6_RECVORIGDSTADDR => on(rx::V6_ORIGDSTADDR),
                libc::IPV6_2292PKTINFO => on(rx::V6_2292PKTINFO),
                libc::IPV6_2292HOPLIMIT => on(rx::V6_2292HOPLIMIT),
                libc::IPV6_RECVRTHDR => on(rx::V6_RTHDR),
                libc::IPV6_RECVHOPOPTS => on(rx::V6_HOPOPTS),
                libc::IPV6_RECVDSTOPTS => on(rx::V6_DSTOPTS),
                libc::IPV6_MTU_DISCOVER => int(self.pmtudisc6),
                libc::IPV6_MTU => mtu(),
                libc::IPV6_FREEBIND => int(self.freebind as i32),
                libc::IPV6_MULTICAST_HOPS => int(self.mc_hops),
                libc::IPV6_MULTICAST_LOOP => int(self.mc6_loop as i32),
                libc::IPV6_MULTICAST_ALL => int(self.mc6_all as i32),
                _ => Err(Errno::ENOPROTOOPT),
            },
            _ => return None,
        })
    }

    /// The IP control messages for a datagram from `from` to `to` that
    /// arrived as `a`, in Linux's order (udp_recvmsg / udpv6_recvmsg: the
    /// IPv6 socket's IPV6_PKTINFO first, then the IPv4 flags for an IPv4
    /// packet or the IPv6 ones for an IPv6 packet).
    pub fn recv_cmsgs(&self, a: &Arrival, to: SocketAddr, out: &mut Vec<Cmsg>) {
        let v4 = to.ip().is_ipv4();
        let ip = |kind: i32, data: Vec<u8>| Cmsg { level: libc::SOL_IP, kind, data };
        let ip6 = |kind: i32, data: Vec<u8>| Cmsg { level: libc::SOL_IPV6, kind, data };
        let in6_pktinfo = || {
            let addr = match to.ip() {
                IpAddr::V4(a) => a.to_ipv6_mapped(),
                IpAddr::V6(a) => a,
            };
            let mut d = addr.octets().to_vec();
            d.extend_from_slice(&a.ifindex.to_ne_bytes());
            d
        };
        if self.domain == libc::AF_INET6 && self.recv & rx::V6_PKTINFO != 0 {
            out.push(ip6(libc::IPV6_PKTINFO, in6_pktinfo()));
        }
        if v4 {
            if self.recv & rx::PKTINFO != 0 {
                // struct in_pktinfo: ifindex, spec_dst (the local address a
                // reply would come from: the destination itself), addr.
                let IpAddr::V4(dst) = to.ip() else { return };
                let mut d = (a.ifindex as i32).to_ne_bytes().to_vec();
                d.extend_from_slice(&dst.octets());
                d.extend_from_slice(&dst.octets());
                out.push(ip(libc::IP_PKTINFO, d));
            }
            if self.recv & rx::TTL != 0 {
                out.push(ip(libc::IP_TTL, (a.hop_limit as i32).to_ne_bytes().to_vec()));
            }
            if self.recv & rx::TOS != 0 {
                // One byte, as ip_cmsg_recv_tos puts it.
                out.push(ip(libc::IP_TOS, vec![a.tos]));
            }
            if self.recv & rx::ORIGDSTADDR != 0 {
                out.push(ip(libc::IP_ORIGDSTADDR, encode_inet(libc::AF_INET, to)));
            }
            return;
        }
        if self.recv & rx::V6_HOPLIMIT != 0 {
            out.push(ip6(libc::IPV6_HOPLIMIT, (a.hop_limit as i32).to_ne_bytes().to_vec()));
        }
        if self.recv & rx::V6_TCLASS != 0 {
            out.push(ip6(libc::IPV6_TCLASS, (a.tos as i32).to_ne_bytes().to_vec()));
        }
        if self.recv & rx::V6_2292PKTINFO != 0 {
            out.push(ip6(libc::IPV6_2292PKTINFO, in6_pktinfo()));
        }
        if self.recv & rx::V6_2292HOPLIMIT != 0 {
            out.push(ip6(libc::IPV6_2292HOPLIMIT, (a.hop_limit as i32).to_ne_bytes().to_vec()));
        }
        if self.recv & rx::V6_ORIGDSTADDR != 0 {
            out.push(ip6(libc::IPV6_ORIGDSTADDR, encode_inet(libc::AF_INET6, to)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_and_hops_follow_linux_ranges() {
        let mut o = IpOpts::new(libc::AF_INET6, false);
        assert_eq!(o.set(libc::IPPROTO_IP, libc::IP_TTL, &0i32.to_ne_bytes()), Some(Err(Errno::EINVAL)));
        assert_eq!(o.set(libc::IPPROTO_IP, libc::IP_TTL, &[5]), Some(Ok(())));
        assert_eq!(o.hop_limit(&"127.0.0.1".parse().unwrap()), 5);
        assert_eq!(o.set(libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, &0i32.to_ne_bytes()), Some(Ok(())));
        assert_eq!(o.hop_limit(&"::1".parse().unwrap()), 0);
        assert_eq!(o.set(libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, &(-1i32).to_ne_bytes()), Some(Ok(())));
        assert_eq!(o.get(libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, false), Some(int(64)));
        assert_eq!(o.set(libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, &[1, 0]), Some(Err(Errno::EINVAL)));
    }

    #[test]
    fn stream_tos_keeps_ecn_bits() {
        let mut o = IpOpts::new(libc::AF_INET, true);
        assert_eq!(o.set(libc::IPPROTO_IP, libc::IP_TOS, &0xffi32.to_ne_bytes()), Some(Ok(())));
        assert_eq!(o.get(libc::IPPROTO_IP, libc::IP_TOS, false), Some(int(0xfc)));
    }

    #[test]
    fn unknown_options_are_enoprotoopt() {
        let mut o = IpOpts::new(libc::AF_INET, false);
        assert_eq!(o.set(libc::IPPROTO_IP, 9999, &[0; 4]), Some(Err(Errno::ENOPROTOOPT)));
        assert_eq!(o.get(libc::IPPROTO_IP, 9999, false), Some(Err(Errno::ENOPROTOOPT)));
        assert_eq!(o.set(libc::IPPROTO_IPV6, libc::IPV6_TCLASS, &[0; 4]), Some(Err(Errno::ENOPROTOOPT)));
        assert_eq!(o.get(libc::IPPROTO_IPV6, libc::IPV6_TCLASS, false), Some(Err(Errno::EOPNOTSUPP)));
        assert_eq!(o.set(libc::IPPROTO_UDP, 1, &[0; 4]), None);
    }

    #[test]
    fn cmsgs_in_linux_order() {
        let mut o = IpOpts::new(libc::AF_INET, false);
        for name in [libc::IP_RECVTOS, libc::IP_RECVTTL, libc::IP_PKTINFO] {
            assert_eq!(o.set(libc::IPPROTO_IP, name, &1i32.to_ne_bytes()), Some(Ok(())));
        }
        let a = Arrival { hop_limit: 7, tos: 0x20, ifindex: 1, at: Default::default() };
        let mut out = Vec::new();
        o.recv_cmsgs(&a, "127.0.0.1:9".parse().unwrap(), &mut out);
        let kinds: Vec<i32> = out.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [libc::IP_PKTINFO, libc::IP_TTL, libc::IP_TOS]);
        assert_eq!(out[1].data, 7i32.to_ne_bytes());
        assert_eq!(out[2].data, [0x20]);
    }
}
