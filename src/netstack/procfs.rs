//! The contents of `/proc/net/{tcp,tcp6,udp,udp6,unix,dev}`, for the
//! procfs to serve (`netstack::procfs::tcp(&kernel.net)` etc.).
// Until the procfs serves /proc/net, only the tests call these.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::net::IpAddr;

use smoltcp::socket::tcp::State;
use smoltcp::wire::{IpAddress, IpEndpoint, IpListenEndpoint};

use super::links;
use super::tcp::linux_state;
use super::unix::Endpoint;
use super::NetStack;

/// One line of a /proc/net/{tcp,udp} table: local address and port,
/// remote endpoint, Linux state number, send and receive queue sizes.
pub(super) type Row = (Option<IpAddress>, u16, Option<IpEndpoint>, u8, usize, usize);

fn hex_addr(a: Option<IpAddress>, v6: bool) -> String {
    let ip: Option<IpAddr> = a.map(IpAddr::from);
    if !v6 {
        let o = match ip {
            Some(IpAddr::V4(v)) => v.octets(),
            _ => [0; 4],
        };
        return format!("{:08X}", u32::from_ne_bytes(o));
    }
    let o = match ip {
        Some(IpAddr::V6(v)) => v.octets(),
        Some(IpAddr::V4(v)) => v.to_ipv6_mapped().octets(),
        None => [0; 16],
    };
    o.chunks(4).map(|c| format!("{:08X}", u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))).collect()
}

fn is_v6(a: Option<IpAddress>) -> bool {
    matches!(a, Some(IpAddress::Ipv6(_)))
}

fn inet_table(header_v6: bool, rows: Vec<Row>) -> Vec<u8> {
    let mut s = String::new();
    if header_v6 {
        s.push_str("  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n");
    } else {
        s.push_str("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n");
    }
    for (i, (laddr, lport, remote, st, tx, rx)) in rows.into_iter().enumerate() {
        let (raddr, rport) = remote.map(|r| (Some(r.addr), r.port)).unwrap_or((None, 0));
        let _ = writeln!(
            s,
            "{i:4}: {}:{lport:04X} {}:{rport:04X} {st:02X} {tx:08X}:{rx:08X} 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0",
            hex_addr(laddr, header_v6),
            hex_addr(raddr, header_v6),
        );
    }
    s.into_bytes()
}

pub(super) fn tcp_rows(net: &NetStack, v6: bool) -> Vec<Row> {
    let table = net.ip.peek(|s| s.tcp_table());
    let mut seen_listen: Vec<IpListenEndpoint> = Vec::new();
    let mut rows = Vec::new();
    for (local, remote, state, listen, tx, rx) in table {
        if state == State::Listen {
            if seen_listen.contains(&listen) || is_v6(listen.addr) != v6 {
                continue;
            }
            seen_listen.push(listen);
            rows.push((listen.addr, listen.port, None, linux_state(state), 0, 0));
            continue;
        }
        let Some(l) = local else { continue };
        if is_v6(Some(l.addr)) != v6 {
            continue;
        }
        rows.push((Some(l.addr), l.port, remote, linux_state(state), tx, rx));
    }
    rows
}

/// `/proc/net/tcp`.
pub fn tcp(net: &NetStack) -> Vec<u8> {
    inet_table(false, tcp_rows(net, false))
}

/// `/proc/net/tcp6`.
pub fn tcp6(net: &NetStack) -> Vec<u8> {
    inet_table(true, tcp_rows(net, true))
}

pub(super) fn udp_rows(net: &NetStack, v6: bool) -> Vec<Row> {
    net.ip
        .peek(|s| s.udp_table())
        .into_iter()
        .filter(|(ep, _, _)| is_v6(ep.addr) == v6)
        .map(|(ep, tx, rx)| (ep.addr, ep.port, None, 7, tx, rx))
        .collect()
}

/// `/proc/net/udp`.
pub fn udp(net: &NetStack) -> Vec<u8> {
    inet_table(false, udp_rows(net, false))
}

/// `/proc/net/udp6`.
pub fn udp6(net: &NetStack) -> Vec<u8> {
    inet_table(true, udp_rows(net, true))
}

/// `/proc/net/unix` (bound sockets).
pub fn unix(net: &NetStack) -> Vec<u8> {
    let mut s = String::from("Num       RefCount Protocol Flags    Type St Inode Path\n");
    for ep in net.unix.all() {
        let line = unix_line(&ep);
        s.push_str(&line);
    }
    s.into_bytes()
}

fn unix_line(ep: &Endpoint) -> String {
    let (listening, connected, name) = {
        let st = ep.lock();
        (matches!(st.role, super::unix::Role::Listening { .. }), st.peer.is_some(), st.name.display())
    };
    let _ = (listening, connected);
    let ty = match ep.kind {
        libc::SOCK_STREAM => 1,
        libc::SOCK_DGRAM => 2,
        _ => 5,
    };
    format!(
        "{:016x}: 00000002 00000000 {:08X} {:04X} {:02X} {:5} {}\n",
        ep as *const Endpoint as usize & 0xffff_ffff_ffff,
        if listening { 0x10000 } else { 0 },
        ty,
        if connected { 3 } else { 1 },
        ep.ino,
        name
    )
}

/// `/proc/net/dev`.
pub fn dev(net: &NetStack) -> Vec<u8> {
    let (lo, eth) = net.ip.peek(|s| (s.dev.lo, s.dev.eth));
    let mut s = String::from(
        "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n",
    );
    for l in links::all(net.mode) {
        let c = if l.name == "lo" { lo } else { eth };
        let _ = writeln!(
            s,
            "{:>6}: {:7} {:7}    0    0    0     0          0         0 {:8} {:7}    0    0    0     0       0          0",
            l.name, c.rx_bytes, c.rx_packets, c.tx_bytes, c.tx_packets
        );
    }
    s.into_bytes()
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

    #[test]
    fn addresses_as_linux_prints_them() {
        let a = Some(IpAddress::from(IpAddr::from([127, 0, 0, 1])));
        assert_eq!(hex_addr(a, false), "0100007F");
    }
}
