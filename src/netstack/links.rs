//! The network interfaces of a network namespace as `ifconfig`, `ip`,
//! netlink and `/proc/net/dev` see them: `lo` always; `eth0` in the
//! sandbox's first namespace with `--network=sandbox` (its address is
//! served by the stack; it is not wired to the host yet). Which of them are
//! up is the namespace's `LinkState`: a new namespace's `lo` starts down
//! and without addresses, as Linux's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::NetworkMode;

/// Which interfaces of a namespace are up (a small value copied out of
/// the stack, so address checks need no lock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkState(pub u8);

impl LinkState {
    const LO_UP: u8 = 1;
    const ETH0_UP: u8 = 2;
    /// `lo` was brought up once: Linux then gave it 127.0.0.1/8 (kept when
    /// it goes down again, unlike ::1) and its noqueue discipline.
    const LO_CONFIGURED: u8 = 4;

    /// A new namespace: `lo` down, never configured.
    pub const FRESH: LinkState = LinkState(0);

    /// Whether the interface `index` is up.
    pub fn is_up(self, index: u32) -> bool {
        match index {
            1 => self.0 & Self::LO_UP != 0,
            2 => self.0 & Self::ETH0_UP != 0,
            _ => false,
        }
    }

    /// The state with interface `index` brought up or down.
    pub fn with(self, index: u32, up: bool) -> LinkState {
        let bit = match index {
            1 => Self::LO_UP,
            2 => Self::ETH0_UP,
            _ => return self,
        };
        let mut v = if up { self.0 | bit } else { self.0 & !bit };
        if index == 1 && up {
            v |= Self::LO_CONFIGURED;
        }
        LinkState(v)
    }

    /// Whether `lo` was ever up (and so has 127.0.0.1).
    pub fn lo_configured(self) -> bool {
        self.0 & Self::LO_CONFIGURED != 0
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
    /// The queueing discipline (`noop` until first brought up).
    pub qdisc: &'static str,
}

impl Link {
    /// IFF_UP is set.
    pub fn is_up(&self) -> bool {
        self.flags & libc::IFF_UP as u32 != 0
    }
}

/// The interfaces of a namespace of `mode` in `state`.
pub fn all(mode: NetworkMode, state: LinkState) -> Vec<Link> {
    let up = |index: u32| if state.is_up(index) { (libc::IFF_UP | libc::IFF_RUNNING) as u32 } else { 0 };
    let mut lo_addrs = Vec::new();
    if state.lo_configured() {
        lo_addrs.push((IpAddr::V4(Ipv4Addr::LOCALHOST), 8));
    }
    if state.is_up(1) {
        lo_addrs.push((IpAddr::V6(Ipv6Addr::LOCALHOST), 128));
    }
    let mut v = vec![Link {
        index: 1,
        name: "lo",
        flags: libc::IFF_LOOPBACK as u32 | up(1),
        mtu: 65536,
        arptype: libc::ARPHRD_LOOPBACK,
        mac: [0; 6],
        addrs: lo_addrs,
        qdisc: if state.lo_configured() { "noqueue" } else { "noop" },
    }];
    if mode == NetworkMode::Sandbox {
        v.push(Link {
            index: 2,
            name: "eth0",
            flags: (libc::IFF_BROADCAST | libc::IFF_MULTICAST) as u32 | up(2),
            mtu: 1500,
            arptype: libc::ARPHRD_ETHER,
            mac: ETH0_MAC,
            addrs: vec![(IpAddr::V4(ETH0_ADDR), ETH0_PREFIX)],
            qdisc: "noqueue",
        });
    }
    v
}

/// An interface by name.
pub fn by_name(links: Vec<Link>, name: &[u8]) -> Option<Link> {
    links.into_iter().find(|l| l.name.as_bytes() == name)
}

/// An interface by index.
pub fn by_index(links: Vec<Link>, index: u32) -> Option<Link> {
    links.into_iter().find(|l| l.index == index)
}

/// Whether a destination is served by this machine's own stack (loops back).
pub fn is_local_any(a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => v4.is_loopback() || *v4 == ETH0_ADDR,
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Whether `a` is an address of an interface that is up in a namespace of
/// `mode` in `state` (bindable, reachable): a down `lo` makes loopback
/// addresses unreachable (ENETUNREACH, EADDRNOTAVAIL), as in Linux.
pub fn is_local(mode: NetworkMode, state: LinkState, a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => {
            (v4.is_loopback() && state.is_up(1)) || (mode == NetworkMode::Sandbox && *v4 == ETH0_ADDR && state.is_up(2))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_local(mode, state, &IpAddr::V4(v4)),
            None => v6.is_loopback() && state.is_up(1),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lo(state: LinkState) -> Link {
        all(NetworkMode::None, state).remove(0)
    }

    #[test]
    fn lo_of_a_new_namespace_goes_up_and_down_as_linux() {
        let fresh = lo(LinkState::FRESH);
        assert!(!fresh.is_up() && fresh.addrs.is_empty() && fresh.qdisc == "noop");
        let up = LinkState::FRESH.with(1, true);
        assert_eq!(lo(up).addrs.len(), 2);
        assert!(is_local(NetworkMode::None, up, &IpAddr::V4(Ipv4Addr::new(127, 1, 2, 3))));
        let down = up.with(1, false);
        let l = lo(down);
        assert!(!l.is_up() && l.qdisc == "noqueue");
        assert_eq!(l.addrs, vec![(IpAddr::V4(Ipv4Addr::LOCALHOST), 8)]);
        assert!(!is_local(NetworkMode::None, down, &IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert!(down.lo_configured() && !LinkState::FRESH.lo_configured());
    }

    #[test]
    fn eth0_only_in_sandbox_mode() {
        let up = LinkState::FRESH.with(1, true).with(2, true);
        assert_eq!(all(NetworkMode::Sandbox, up).len(), 2);
        assert_eq!(all(NetworkMode::None, up).len(), 1);
        assert!(!is_local(NetworkMode::None, up, &IpAddr::V4(ETH0_ADDR)));
        assert!(is_local(NetworkMode::Sandbox, up, &IpAddr::V4(ETH0_ADDR)));
    }
}
