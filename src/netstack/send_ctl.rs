//! The control messages of a sendmsg on an inet datagram socket, checked
//! as Linux's ip_cmsg_send (IPv4 destinations) and ip6_datagram_send_ctl
//! (IPv6 ones) check them, and the per-datagram values they set: hop
//! limit, TOS / traffic class, source address and interface (IP_PKTINFO,
//! IPV6_PKTINFO).
//!
//! What this stack cannot put on a packet (IP options, IPv6 extension
//! headers, flow labels) and SO_TIMESTAMPING / SCM_TXTIME (no transmit
//! timestamps or pacing here) are EINVAL, the answer Linux gives a message
//! it does not take.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::socket::Cmsg;
use super::stack::IpStack;
use crate::kernel::errno::Errno;

/// IP_PROTOCOL (not in the libc crate).
const IP_PROTOCOL: i32 = 52;
/// IPV6_2292PKTINFO, IPV6_2292HOPLIMIT and IPV6_DONTFRAG.
const IPV6_2292PKTINFO: i32 = 2;
const IPV6_2292HOPLIMIT: i32 = 8;
const IPV6_DONTFRAG: i32 = 62;
const IPV6_FLOWINFO: i32 = 11;

/// What the control messages set for one datagram (`None`: the socket's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerSend {
    pub hop_limit: Option<u8>,
    pub tos: Option<u8>,
    /// The source address (IP_PKTINFO's ipi_spec_dst, IPV6_PKTINFO's
    /// address), checked to be local.
    pub src: Option<IpAddr>,
}

fn int(d: &[u8]) -> i32 {
    i32::from_ne_bytes([d[0], d[1], d[2], d[3]])
}

/// An interface index a message names: it must exist (ENODEV, as the
/// route lookup finds no device).
fn check_ifindex(ip: &IpStack, ifindex: u32) -> Result<(), Errno> {
    if ifindex != 0 && !ip.links().iter().any(|l| l.index == ifindex) {
        return Err(Errno::ENODEV);
    }
    Ok(())
}

/// A source address must be one of ours unless the socket may bind any
/// (`freebind`, IPv6 only: IPv4's FLOWI_FLAG_ANYSRC needs IP_TRANSPARENT).
/// IPv4's route lookup refuses multicast and broadcast sources (EINVAL),
/// then finds no route from a foreign one (ENETUNREACH); IPv6 checks the
/// address itself (EINVAL).
fn check_src(ip: &IpStack, a: IpAddr, freebind: bool) -> Result<Option<IpAddr>, Errno> {
    if a.is_unspecified() {
        return Ok(None);
    }
    if let IpAddr::V4(v4) = a {
        if v4.is_multicast() || v4.is_broadcast() {
            return Err(Errno::EINVAL);
        }
    }
    let may_use = ip.is_local(&a) || (freebind && a.is_ipv6());
    if !may_use {
        return Err(if a.is_ipv4() { Errno::ENETUNREACH } else { Errno::EINVAL });
    }
    Ok(Some(a))
}

/// SOL_SOCKET messages on an inet socket (Linux's __sock_cmsg_send).
fn sock_cmsg(c: &Cmsg) -> Result<(), Errno> {
    match c.kind {
        // No packet filter, policy routing or queueing discipline reads
        // marks or priorities here, as for setsockopt(SO_MARK/SO_PRIORITY).
        libc::SO_MARK | libc::SO_PRIORITY if c.data.len() == 4 => Ok(()),
        // Unix messages: Linux skips them on other sockets.
        libc::SCM_RIGHTS | libc::SCM_CREDENTIALS => Ok(()),
        _ => Err(Errno::EINVAL),
    }
}

/// Checks the SOL_SOCKET messages of a stream send (tcp_sendmsg reads
/// only those).
pub fn check_stream(cmsgs: &[Cmsg]) -> Result<(), Errno> {
    cmsgs.iter().filter(|c| c.level == libc::SOL_SOCKET).try_for_each(sock_cmsg)
}

/// Parses the messages of a datagram to `dst` from a socket of `domain`
/// (an AF_INET6 socket sending to a v4-mapped address takes the IPv4
/// path, and IPV6_PKTINFO with a v4-mapped source there).
pub fn parse(ip: &IpStack, domain: i32, dst: IpAddr, freebind: bool, cmsgs: &[Cmsg]) -> Result<PerSend, Errno> {
    let mut p = PerSend::default();
    for c in cmsgs {
        if c.level == libc::SOL_SOCKET {
            sock_cmsg(c)?;
            continue;
        }
        if dst.is_ipv4() {
            ipv4(ip, &mut p, domain, freebind, c)?;
        } else {
            ipv6(ip, &mut p, freebind, c)?;
        }
    }
    Ok(p)
}

fn ipv4(ip: &IpStack, p: &mut PerSend, domain: i32, freebind: bool, c: &Cmsg) -> Result<(), Errno> {
    let d = &c.data;
    if domain == libc::AF_INET6 && c.level == libc::SOL_IPV6 && c.kind == libc::IPV6_PKTINFO {
        if d.len() < 20 {
            return Err(Errno::EINVAL);
        }
        let mut a = [0u8; 16];
        a.copy_from_slice(&d[..16]);
        let Some(v4) = Ipv6Addr::from(a).to_ipv4_mapped() else { return Err(Errno::EINVAL) };
        check_ifindex(ip, u32::from_ne_bytes([d[16], d[17], d[18], d[19]]))?;
        p.src = check_src(ip, v4.into(), freebind)?;
        return Ok(());
    }
    if c.level != libc::SOL_IP {
        return Ok(());
    }
    match c.kind {
        // No IP options are sent: none is what this stack can do.
        libc::IP_RETOPTS if d.is_empty() => {}
        libc::IP_PKTINFO => {
            if d.len() != 12 {
                return Err(Errno::EINVAL);
            }
            check_ifindex(ip, int(d) as u32)?;
            p.src = check_src(ip, Ipv4Addr::new(d[4], d[5], d[6], d[7]).into(), freebind)?;
        }
        libc::IP_TTL => {
            if d.len() != 4 || !(1..=255).contains(&int(d)) {
                return Err(Errno::EINVAL);
            }
            p.hop_limit = Some(int(d) as u8);
        }
        libc::IP_TOS => {
            let v = match d.len() {
                4 => int(d),
                1 => d[0] as i32,
                _ => return Err(Errno::EINVAL),
            };
            if !(0..=255).contains(&v) {
                return Err(Errno::EINVAL);
            }
            p.tos = Some(v as u8);
        }
        // Only raw sockets use the protocol; UDP checks and ignores it.
        IP_PROTOCOL if d.len() == 4 && (1..=255).contains(&int(d)) => {}
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}

fn ipv6(ip: &IpStack, p: &mut PerSend, freebind: bool, c: &Cmsg) -> Result<(), Errno> {
    if c.level != libc::SOL_IPV6 {
        return Ok(());
    }
    let d = &c.data;
    match c.kind {
        libc::IPV6_PKTINFO | IPV6_2292PKTINFO => {
            if d.len() < 20 {
                return Err(Errno::EINVAL);
            }
            let mut a = [0u8; 16];
            a.copy_from_slice(&d[..16]);
            check_ifindex(ip, u32::from_ne_bytes([d[16], d[17], d[18], d[19]]))?;
            let a = Ipv6Addr::from(a);
            // A v4-mapped source is not an address of an IPv6 packet.
            if a.to_ipv4_mapped().is_some() {
                return Err(Errno::EINVAL);
            }
            p.src = check_src(ip, a.into(), freebind)?;
        }
        libc::IPV6_HOPLIMIT | IPV6_2292HOPLIMIT => {
            if d.len() != 4 || !(-1..=255).contains(&int(d)) {
                return Err(Errno::EINVAL);
            }
            // -1: the socket's.
            p.hop_limit = (int(d) >= 0).then(|| int(d) as u8);
        }
        libc::IPV6_TCLASS => {
            if d.len() != 4 || !(-1..=255).contains(&int(d)) {
                return Err(Errno::EINVAL);
            }
            // -1 is not the default here: Linux writes its low byte.
            p.tos = Some(int(d) as u8);
        }
        // Flow labels are not served: only an all-zero flow info (no label,
        // no class bits) is taken.
        IPV6_FLOWINFO if d.len() >= 4 && int(d) == 0 => {}
        // lo's MTU holds every datagram: nothing is ever fragmented.
        IPV6_DONTFRAG if d.len() == 4 => {}
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(level: i32, kind: i32, data: &[u8]) -> Cmsg {
        Cmsg { level, kind, data: data.to_vec() }
    }

    fn stack() -> std::sync::Arc<IpStack> {
        IpStack::new(
            super::super::NetworkMode::None,
            super::super::links::LinkState::FRESH.with(1, true),
            crate::kernel::ns::UserNamespace::init(),
        )
    }

    #[test]
    fn ipv4_values_and_lengths() {
        let ip = stack();
        let v4: IpAddr = Ipv4Addr::LOCALHOST.into();
        let ttl = c(libc::SOL_IP, libc::IP_TTL, &9i32.to_ne_bytes());
        let tos = c(libc::SOL_IP, libc::IP_TOS, &[0x20]);
        let p = parse(&ip, libc::AF_INET, v4, false, &[ttl, tos]).unwrap();
        assert_eq!((p.hop_limit, p.tos), (Some(9), Some(0x20)));
        let zero = c(libc::SOL_IP, libc::IP_TTL, &0i32.to_ne_bytes());
        assert_eq!(parse(&ip, libc::AF_INET, v4, false, &[zero]), Err(Errno::EINVAL));
        let short = c(libc::SOL_IP, libc::IP_TTL, &[9]);
        assert_eq!(parse(&ip, libc::AF_INET, v4, false, &[short]), Err(Errno::EINVAL));
        // Other levels are not IPv4's business.
        let hops = c(libc::SOL_IPV6, libc::IPV6_HOPLIMIT, &[1]);
        assert_eq!(parse(&ip, libc::AF_INET, v4, false, &[hops]), Ok(PerSend::default()));
    }

    #[test]
    fn ipv6_hop_limit_minus_one_is_the_default() {
        let ip = stack();
        let v6: IpAddr = Ipv6Addr::LOCALHOST.into();
        let hops = c(libc::SOL_IPV6, libc::IPV6_HOPLIMIT, &(-1i32).to_ne_bytes());
        let tc = c(libc::SOL_IPV6, libc::IPV6_TCLASS, &0x40i32.to_ne_bytes());
        let p = parse(&ip, libc::AF_INET6, v6, false, &[hops, tc]).unwrap();
        assert_eq!((p.hop_limit, p.tos), (None, Some(0x40)));
        let minus = c(libc::SOL_IPV6, libc::IPV6_TCLASS, &(-1i32).to_ne_bytes());
        assert_eq!(parse(&ip, libc::AF_INET6, v6, false, &[minus]).unwrap().tos, Some(0xff));
        let bad = c(libc::SOL_IPV6, libc::IPV6_TCLASS, &256i32.to_ne_bytes());
        assert_eq!(parse(&ip, libc::AF_INET6, v6, false, &[bad]), Err(Errno::EINVAL));
    }
}
