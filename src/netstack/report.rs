//! A readable summary of a sandbox's network for people (the control
//! socket's `net` request): interfaces with flags, MTU, addresses and
//! counters, IPv4 routes, and sockets. The data is what `/proc/net/*` and
//! netlink show (`procfs.rs`, `links.rs`), laid out like `ip addr`,
//! `ip route` and `ss -a`.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::links::{self, Link};
use super::table::{self, InetRow};
use super::unix::{Endpoint, Role};
use super::{NetStack, NetworkMode};

/// The whole summary.
pub fn text(net: &NetStack) -> String {
    let mut s = String::new();
    let all = net.ip.links();
    s.push_str("Interfaces:\n");
    let (lo, eth) = net.ip.peek(|st| (st.dev.lo, st.dev.eth));
    for l in &all {
        let c = if l.name == "lo" { lo } else { eth };
        let _ = writeln!(s, "  {}: <{}> mtu {}", l.name, flag_names(l), l.mtu);
        for (a, prefix) in &l.addrs {
            let fam = if a.is_ipv4() { "inet" } else { "inet6" };
            let _ = writeln!(s, "      {fam} {a}/{prefix}");
        }
        let _ = writeln!(
            s,
            "      RX {} packets {} bytes  TX {} packets {} bytes",
            c.rx_packets, c.rx_bytes, c.tx_packets, c.tx_bytes
        );
    }
    s.push_str("Routes:\n");
    for r in links::routes(&all) {
        let (kind, scope) = if r.local { ("local ", "host") } else { ("", "link") };
        let _ = writeln!(s, "  {kind}{}/{} dev {} scope {scope} src {}", r.dst, r.prefix, r.dev, r.src);
    }
    s.push_str("Sockets:\n");
    let _ = writeln!(
        s,
        "  {:<6} {:<12} {:<24} {:<24} {:>6} {:>6}",
        "Proto", "State", "Local", "Remote", "Recv-Q", "Send-Q"
    );
    for row in table::tcp(net).into_iter().chain(table::udp(net)) {
        inet_line(&mut s, &row);
    }
    for ep in net.unix.sockets() {
        unix_line(&mut s, &ep);
    }
    if net.mode == NetworkMode::Host {
        s.push_str("  (--network=host: TCP and UDP sockets are host sockets, not listed)\n");
    }
    s
}

/// `UP,LOOPBACK,RUNNING`.
fn flag_names(l: &Link) -> String {
    let names = [
        (libc::IFF_UP, "UP"),
        (libc::IFF_BROADCAST, "BROADCAST"),
        (libc::IFF_LOOPBACK, "LOOPBACK"),
        (libc::IFF_RUNNING, "RUNNING"),
        (libc::IFF_MULTICAST, "MULTICAST"),
    ];
    names.iter().filter(|(bit, _)| l.flags & *bit as u32 != 0).map(|(_, n)| *n).collect::<Vec<_>>().join(",")
}

/// Linux's TCP state numbers (as in /proc/net/tcp) by name; 7 is a UDP
/// socket's "unconnected".
fn state_name(proto: &str, st: u8) -> &'static str {
    match st {
        1 => "ESTAB",
        2 => "SYN-SENT",
        3 => "SYN-RECV",
        4 => "FIN-WAIT-1",
        5 => "FIN-WAIT-2",
        6 => "TIME-WAIT",
        7 if proto.starts_with("udp") => "UNCONN",
        7 => "CLOSE",
        8 => "CLOSE-WAIT",
        9 => "LAST-ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        _ => "?",
    }
}

fn endpoint(a: std::net::SocketAddr) -> String {
    let host = match a.ip() {
        ip if ip.is_unspecified() => "*".into(),
        IpAddr::V6(v6) => format!("[{v6}]"),
        ip => ip.to_string(),
    };
    let port = if a.port() == 0 { "*".to_string() } else { a.port().to_string() };
    format!("{host}:{port}")
}

fn inet_line(s: &mut String, row: &InetRow) {
    let proto = match (row.proto, row.family()) {
        (libc::IPPROTO_TCP, libc::AF_INET) => "tcp",
        (libc::IPPROTO_TCP, _) => "tcp6",
        (_, libc::AF_INET) => "udp",
        _ => "udp6",
    };
    let _ = writeln!(
        s,
        "  {proto:<6} {:<12} {:<24} {:<24} {:>6} {:>6}",
        state_name(proto, row.state),
        endpoint(row.local),
        endpoint(row.remote),
        row.rqueue,
        row.wqueue
    );
}

fn unix_line(s: &mut String, ep: &Endpoint) {
    let (state, name, peer, queued) = {
        let st = ep.lock();
        let state = match st.role {
            Role::Listening { .. } => "LISTEN",
            Role::Connected => "ESTAB",
            Role::Idle if st.peer.is_some() => "ESTAB",
            Role::Idle => "UNCONN",
        };
        (state, st.name.display(), st.peer.clone(), st.rx_bytes)
    };
    // The peer's lock is taken after ours is released (no lock order to keep).
    let peer = peer.map(|p| p.lock().name.display()).filter(|n| !n.is_empty()).unwrap_or_else(|| "*".into());
    let kind = match ep.kind {
        libc::SOCK_STREAM => "stream",
        libc::SOCK_DGRAM => "dgram",
        _ => "seqpacket",
    };
    let _ = writeln!(s, "  {:<6} {state:<12} {name:<24} {peer:<24} {queued:>6} {:>6}", format!("u_{}", &kind[..3]), 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interfaces_routes_and_headers() {
        let net = NetStack::new(NetworkMode::Sandbox);
        let t = text(&net);
        assert!(t.contains("  lo: <UP,LOOPBACK,RUNNING> mtu 65536\n      inet 127.0.0.1/8\n"), "{t}");
        assert!(t.contains("  eth0: <UP,BROADCAST,RUNNING,MULTICAST> mtu 1500"), "{t}");
        assert!(t.contains("  local 127.0.0.0/8 dev lo scope host src 127.0.0.1\n"), "{t}");
        assert!(t.contains("  10.0.2.0/24 dev eth0 scope link src 10.0.2.15\n"), "{t}");
        assert!(t.contains("Proto  State"), "{t}");
    }
}
