//! The sandbox's network interfaces as `ifconfig`, `ip`, netlink and
//! `/proc/net/dev` see them: `lo` always; `eth0` with `--network=sandbox`
//! (its address is served by the stack; it is not wired to the host yet).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU8, Ordering};

use super::NetworkMode;

/// The network mode of the sandbox this process serves (one per process),
/// for the calls that reach the interfaces without a kernel at hand.
static MODE: AtomicU8 = AtomicU8::new(0);

/// Records the sandbox's network mode.
pub fn set_mode(mode: NetworkMode) {
    MODE.store(mode as u8, Ordering::Relaxed);
}

/// The sandbox's network mode.
pub fn mode() -> NetworkMode {
    match MODE.load(Ordering::Relaxed) {
        1 => NetworkMode::Sandbox,
        2 => NetworkMode::Host,
        _ => NetworkMode::None,
    }
}

/// The address of `eth0` in sandbox mode.
pub const ETH0_ADDR: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
/// Its prefix length.
pub const ETH0_PREFIX: u8 = 24;
/// Its (locally administered) hardware address.
pub const ETH0_MAC: [u8; 6] = [0x02, 0x42, 0x0a, 0x00, 0x02, 0x0f];

/// One network interface.
#[derive(Clone, Debug)]
pub struct Link {
    pub index: u32,
    pub name: &'static str,
    /// IFF_* flags.
    pub flags: u32,
    pub mtu: u32,
    /// ARPHRD_* type.
    pub arptype: u16,
    pub mac: [u8; 6],
    /// Addresses with their prefix lengths.
    pub addrs: Vec<(IpAddr, u8)>,
}

/// The interfaces of a sandbox in `mode`.
pub fn all(mode: NetworkMode) -> Vec<Link> {
    let mut v = vec![Link {
        index: 1,
        name: "lo",
        flags: (libc::IFF_UP | libc::IFF_LOOPBACK | libc::IFF_RUNNING) as u32,
        mtu: 65536,
        arptype: libc::ARPHRD_LOOPBACK,
        mac: [0; 6],
        addrs: vec![(IpAddr::V4(Ipv4Addr::LOCALHOST), 8), (IpAddr::V6(Ipv6Addr::LOCALHOST), 128)],
    }];
    if mode == NetworkMode::Sandbox {
        v.push(Link {
            index: 2,
            name: "eth0",
            flags: (libc::IFF_UP | libc::IFF_BROADCAST | libc::IFF_RUNNING | libc::IFF_MULTICAST) as u32,
            mtu: 1500,
            arptype: libc::ARPHRD_ETHER,
            mac: ETH0_MAC,
            addrs: vec![(IpAddr::V4(ETH0_ADDR), ETH0_PREFIX)],
        });
    }
    v
}

/// An interface by name.
pub fn by_name(name: &[u8]) -> Option<Link> {
    all(mode()).into_iter().find(|l| l.name.as_bytes() == name)
}

/// An interface by index.
pub fn by_index(index: u32) -> Option<Link> {
    all(mode()).into_iter().find(|l| l.index == index)
}

/// Whether a destination is served by this machine's own stack (loops back).
pub fn is_local_any(a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => v4.is_loopback() || *v4 == ETH0_ADDR,
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Whether `a` is an address of this sandbox (bindable) in `mode`.
pub fn is_local(mode: NetworkMode, a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => v4.is_loopback() || (mode == NetworkMode::Sandbox && *v4 == ETH0_ADDR),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_local(mode, &IpAddr::V4(v4)),
            None => v6.is_loopback(),
        },
    }
}

/// One IPv4 route: the connected route of an interface address (Linux
/// puts lo's in the local table, the others in the main table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The network (address masked to the prefix).
    pub dst: Ipv4Addr,
    pub prefix: u8,
    /// The preferred source address.
    pub src: Ipv4Addr,
    /// The interface's index and name.
    pub index: u32,
    pub dev: &'static str,
    /// In the local table (host scope), else the main table (link scope).
    pub local: bool,
}

/// The IPv4 routes of `links` (what `ip route`, netlink dumps and
/// `/proc/net/route` show).
pub fn routes(links: &[Link]) -> Vec<Route> {
    let mut out = Vec::new();
    for l in links {
        for (a, prefix) in &l.addrs {
            let IpAddr::V4(v) = a else { continue };
            let mask: u32 = if *prefix == 0 { 0 } else { u32::MAX << (32 - *prefix as u32) };
            out.push(Route {
                dst: Ipv4Addr::from(u32::from(*v) & mask),
                prefix: *prefix,
                src: *v,
                index: l.index,
                dev: l.name,
                local: l.name == "lo",
            });
        }
    }
    out
}
