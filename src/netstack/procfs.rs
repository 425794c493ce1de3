//! The contents of `/proc/net/{tcp,tcp6,udp,udp6,unix,dev,route,arp,if_inet6}`,
//! for the procfs to serve (`netstack::procfs::tcp(&kernel.net)` etc.).
//!
//! `route`, `arp` and `if_inet6` show what the stack has: the interfaces
//! and addresses of `links::all` and their connected routes. There is no
//! default gateway and no neighbour cache (the smoltcp interface is an IP
//! medium without ARP), so `arp` is its header alone, as on a Linux host
//! that has talked to no neighbour. `ipv6_route` is not served: the stack
//! keeps no IPv6 routes, and Linux's file lists kernel-internal entries
//! (per-table null routes with live reference counts) that cannot be
//! derived from it.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::links::{self, Link, Route};
use super::table::{self, InetRow, TCP_LISTEN};
use super::unix::{Endpoint, Role};
use super::NetStack;

fn hex_addr(a: IpAddr) -> String {
    match a {
        IpAddr::V4(v) => format!("{:08X}", u32::from_ne_bytes(v.octets())),
        IpAddr::V6(v) => {
            v.octets().chunks(4).map(|c| format!("{:08X}", u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))).collect()
        }
    }
}

/// A /proc/net/{tcp,udp}[6] table of the rows of one family, in Linux's
/// layout (tcp4_seq_show, udp4_format_sock: the same columns, then TCP's
/// timers and congestion figures or UDP's drop count).
fn inet_table(v6: bool, rows: Vec<InetRow>) -> Vec<u8> {
    let mut s = String::new();
    if v6 {
        s.push_str("  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n");
    } else {
        s.push_str("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n");
    }
    let family = if v6 { libc::AF_INET6 } else { libc::AF_INET };
    for (i, r) in rows.into_iter().filter(|r| r.family() == family).enumerate() {
        // A listener's rx_queue is its accept queue; its tx_queue is 0.
        let (tx, rx) = if r.state == TCP_LISTEN { (0, r.rqueue) } else { (r.wqueue, r.rqueue) };
        let tail =
            if r.proto == libc::IPPROTO_TCP { "1 0000000000000000 100 0 0 10 0" } else { "2 0000000000000000 0" };
        let _ = writeln!(
            s,
            "{i:4}: {}:{:04X} {}:{:04X} {:02X} {tx:08X}:{rx:08X} 00:00000000 00000000 {:5} {:8} {} {tail}",
            hex_addr(r.local.ip()),
            r.local.port(),
            hex_addr(r.remote.ip()),
            r.remote.port(),
            r.state,
            r.meta.uid,
            0,
            r.meta.ino,
        );
    }
    s.into_bytes()
}

/// `/proc/net/tcp`.
pub fn tcp(net: &NetStack) -> Vec<u8> {
    inet_table(false, table::tcp(net))
}

/// `/proc/net/tcp6`.
pub fn tcp6(net: &NetStack) -> Vec<u8> {
    inet_table(true, table::tcp(net))
}

/// `/proc/net/udp`.
pub fn udp(net: &NetStack) -> Vec<u8> {
    inet_table(false, table::udp(net))
}

/// `/proc/net/udp6`.
pub fn udp6(net: &NetStack) -> Vec<u8> {
    inet_table(true, table::udp(net))
}

/// `/proc/net/sockstat`: sockets in use per protocol. There is no
/// TIME-WAIT (the stack drops such connections) and no reassembly queue
/// kept between polls (FRAG 0).
pub fn sockstat(net: &NetStack) -> Vec<u8> {
    let c = table::sockstat(net);
    format!(
        "sockets: used {}\nTCP: inuse {} orphan {} tw 0 alloc {} mem {}\nUDP: inuse {} mem {}\nUDPLITE: inuse 0\nRAW: inuse {}\nFRAG: inuse 0 memory 0\n",
        c.sockets, c.tcp, c.orphans, c.tcp_alloc, c.tcp_pages, c.udp, c.udp_pages, c.raw
    )
    .into_bytes()
}

/// `/proc/net/sockstat6`: the IPv6 sockets in use.
pub fn sockstat6(net: &NetStack) -> Vec<u8> {
    let c = table::sockstat(net);
    format!(
        "TCP6: inuse {}\nUDP6: inuse {}\nUDPLITE6: inuse 0\nRAW6: inuse {}\nFRAG6: inuse 0 memory 0\n",
        c.tcp6, c.udp6, c.raw6
    )
    .into_bytes()
}

/// `/proc/net/unix`: every socket, each listener followed by the
/// connections waiting in its accept queue (inode 0, SS_CONNECTING, the
/// listener's name, as Linux shows those embryos).
pub fn unix(net: &NetStack) -> Vec<u8> {
    let mut s = String::from("Num       RefCount Protocol Flags    Type St Inode Path\n");
    for ep in net.unix.sockets() {
        let (state, name, pending) = {
            let st = ep.lock();
            let pending = match &st.role {
                Role::Listening { pending, .. } => pending.len(),
                _ => 0,
            };
            (st.sk_state(), st.name.display(), pending)
        };
        // sock->state: SS_CONNECTED (3) when established, else SS_UNCONNECTED (1).
        let ss = if state == 1 { 3 } else { 1 };
        let flags = if state == 10 { 0x10000 } else { 0 };
        s.push_str(&unix_line(&ep, ep.ino, flags, ss, &name));
        for _ in 0..pending {
            s.push_str(&unix_line(&ep, 0, 0, 2, &name));
        }
    }
    s.into_bytes()
}

fn unix_line(ep: &Endpoint, ino: u64, flags: u32, ss: u8, name: &str) -> String {
    let ty = match ep.kind {
        libc::SOCK_STREAM => 1,
        libc::SOCK_DGRAM => 2,
        _ => 5,
    };
    // Linux hides the kernel address (%pK); unnamed sockets end at the inode.
    let name = if name.is_empty() { String::new() } else { format!(" {name}") };
    format!("0000000000000000: 00000002 00000000 {flags:08X} {ty:04X} {ss:02X} {ino:5}{name}\n")
}

/// `/proc/net/dev`.
pub fn dev(net: &NetStack) -> Vec<u8> {
    let (lo, eth) = net.ip.peek(|s| (s.dev.lo, s.dev.eth));
    let mut s = String::from(
        "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n",
    );
    for l in net.ip.links() {
        let c = if l.name == "lo" { lo } else { eth };
        let _ = writeln!(
            s,
            "{:>6}: {:7} {:7}    0    0    0     0          0         0 {:8} {:7}    0    0    0     0       0          0",
            l.name, c.rx_bytes, c.rx_packets, c.tx_bytes, c.tx_packets
        );
    }
    s.into_bytes()
}

/// Linux's RTF_UP: the route is usable.
const RTF_UP: u16 = 0x0001;
/// Linux's IFA_F_PERMANENT: a configured (not autoconfigured) address.
const IFA_F_PERMANENT: u8 = 0x80;

/// Appends `line` padded with spaces to 127 characters and a newline, as
/// Linux lays out every line of /proc/net/route.
fn pad_127(s: &mut String, line: &str) {
    let _ = writeln!(s, "{line:<127}");
}

/// An IPv4 address or mask as Linux prints it in /proc/net/route: the
/// network-order word read as a native integer.
fn hex_v4(a: Ipv4Addr) -> String {
    format!("{:08X}", u32::from_ne_bytes(a.octets()))
}

fn prefix_mask(prefix: u8) -> Ipv4Addr {
    Ipv4Addr::from(if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix.min(32))) })
}

fn route_table(routes: &[Route]) -> Vec<u8> {
    let mut s = String::new();
    pad_127(&mut s, "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT");
    // Only the main table: Linux keeps loopback's routes in the local table.
    for r in routes.iter().filter(|r| !r.local) {
        // Connected routes: no gateway, metric 0, no MTU/window/IRTT.
        let line = format!(
            "{}\t{}\t{}\t{RTF_UP:04X}\t0\t0\t0\t{}\t0\t0\t0",
            r.dev,
            hex_v4(r.dst),
            hex_v4(Ipv4Addr::UNSPECIFIED),
            hex_v4(prefix_mask(r.prefix)),
        );
        pad_127(&mut s, &line);
    }
    s.into_bytes()
}

/// `/proc/net/route`: the IPv4 routes of the main table.
pub fn route(net: &NetStack) -> Vec<u8> {
    route_table(&links::routes(&net.ip.links()))
}

/// `/proc/net/arp`: the header; the stack has no neighbour cache (see the
/// module comment), so there are no entries to list.
pub fn arp(_net: &NetStack) -> Vec<u8> {
    b"IP address       HW type     Flags       HW address            Mask     Device\n".to_vec()
}

/// Linux's scope of an IPv6 address as /proc/net/if_inet6 prints it
/// (IFA_HOST, IFA_LINK, IFA_SITE, or 0 for global).
fn v6_scope(a: &Ipv6Addr) -> u8 {
    let seg0 = a.segments()[0];
    if a.is_loopback() {
        0x10
    } else if seg0 & 0xffc0 == 0xfe80 {
        0x20
    } else if seg0 & 0xffc0 == 0xfec0 {
        0x40
    } else {
        0
    }
}

fn if_inet6_table(links: &[Link]) -> Vec<u8> {
    let mut s = String::new();
    for l in links {
        for (a, prefix) in &l.addrs {
            let IpAddr::V6(v6) = a else { continue };
            let hex: String = v6.octets().iter().map(|b| format!("{b:02x}")).collect();
            let _ = writeln!(
                s,
                "{hex} {:02x} {prefix:02x} {:02x} {IFA_F_PERMANENT:02x} {:>8}",
                l.index,
                v6_scope(v6),
                l.name
            );
        }
    }
    s.into_bytes()
}

/// `/proc/net/if_inet6`: one line per IPv6 address.
pub fn if_inet6(net: &NetStack) -> Vec<u8> {
    if_inet6_table(&net.ip.links())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netstack::NetworkMode;

    #[test]
    fn renders_headers_and_interfaces() {
        let net = NetStack::new(NetworkMode::Sandbox);
        let dev = String::from_utf8(dev(&net)).unwrap();
        assert!(dev.contains("    lo:") && dev.contains("  eth0:"), "{dev}");
        assert!(String::from_utf8(tcp(&net)).unwrap().starts_with("  sl  local_address rem_address"));
        assert!(String::from_utf8(unix(&net)).unwrap().starts_with("Num       RefCount"));
    }

    /// A line of /proc/net/route as Linux pads it.
    fn padded(line: &str) -> String {
        format!("{line:<127}\n")
    }

    #[test]
    fn route_lists_the_main_table() {
        let header = padded("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT");
        // Loopback's route is in the local table: Linux shows the header alone.
        let none = String::from_utf8(route(&NetStack::new(NetworkMode::None))).unwrap();
        assert_eq!(none, header);
        let sandbox = String::from_utf8(route(&NetStack::new(NetworkMode::Sandbox))).unwrap();
        let eth0 = padded("eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0");
        assert_eq!(sandbox, header + &eth0);
        assert!(sandbox.lines().all(|l| l.len() == 127), "{sandbox:?}");
    }

    #[test]
    fn route_masks_and_destinations() {
        assert_eq!(hex_v4(prefix_mask(0)), "00000000");
        assert_eq!(hex_v4(prefix_mask(8)), "000000FF");
        assert_eq!(hex_v4(prefix_mask(32)), "FFFFFFFF");
        let r = Route {
            dst: Ipv4Addr::new(192, 168, 1, 0),
            prefix: 24,
            src: Ipv4Addr::new(192, 168, 1, 7),
            index: 3,
            dev: "wlan0",
            local: false,
        };
        let text = String::from_utf8(route_table(&[r])).unwrap();
        assert!(text.lines().nth(1).unwrap().starts_with("wlan0\t0001A8C0\t00000000\t0001\t"), "{text}");
    }

    #[test]
    fn arp_is_the_header() {
        let arp = String::from_utf8(arp(&NetStack::new(NetworkMode::Sandbox))).unwrap();
        assert_eq!(arp, "IP address       HW type     Flags       HW address            Mask     Device\n");
    }

    #[test]
    fn if_inet6_lists_v6_addresses() {
        for mode in [NetworkMode::None, NetworkMode::Sandbox, NetworkMode::Host] {
            let text = String::from_utf8(if_inet6(&NetStack::new(mode))).unwrap();
            assert_eq!(text, "00000000000000000000000000000001 01 80 10 80       lo\n", "{mode:?}");
        }
        let link = Link {
            index: 2,
            name: "eth0",
            flags: 0,
            mtu: 1500,
            arptype: 1,
            mac: [0; 6],
            addrs: vec![
                (IpAddr::V4(Ipv4Addr::new(10, 0, 2, 15)), 24),
                (IpAddr::V6("fe80::42:aff:fe00:20f".parse().unwrap()), 64),
                (IpAddr::V6("2001:db8::1".parse().unwrap()), 48),
            ],
            qdisc: "noqueue",
        };
        let text = String::from_utf8(if_inet6_table(&[link])).unwrap();
        assert_eq!(
            text,
            "fe8000000000000000420afffe00020f 02 40 20 80     eth0\n20010db8000000000000000000000001 02 30 00 80     eth0\n"
        );
    }

    #[test]
    fn addresses_as_linux_prints_them() {
        assert_eq!(hex_addr(IpAddr::from([127, 0, 0, 1])), "0100007F");
        assert_eq!(hex_addr("::1".parse().unwrap()), "00000000000000000000000001000000");
    }
}
