//! Which local ports are taken, by protocol, with Linux's sharing rules
//! (SO_REUSEADDR, SO_REUSEPORT, IPV6_V6ONLY) and ephemeral allocation.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use crate::kernel::errno::Errno;

/// The ephemeral range (Linux's `ip_local_port_range`).
pub const EPHEMERAL: std::ops::RangeInclusive<u16> = 32768..=60999;

/// Transport protocols with ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Proto {
    Tcp,
    Udp,
    /// Ping socket identifiers.
    Icmp,
}

/// How a socket asks to share its port.
#[derive(Clone, Copy, Debug, Default)]
pub struct Share {
    pub reuseaddr: bool,
    pub reuseport: bool,
    /// An AF_INET6 socket with IPV6_V6ONLY.
    pub v6only: bool,
}

#[derive(Clone, Debug)]
struct Binding {
    id: u64,
    addr: IpAddr,
    share: Share,
    listening: bool,
}

/// The port table of one stack.
#[derive(Default)]
pub struct Ports {
    bound: HashMap<(Proto, u16), Vec<Binding>>,
    next: u16,
}

/// Whether two bound addresses overlap.
fn overlap(a: &IpAddr, sa: Share, b: &IpAddr, sb: Share) -> bool {
    match (a, b) {
        (IpAddr::V4(x), IpAddr::V4(y)) => x.is_unspecified() || y.is_unspecified() || x == y,
        (IpAddr::V6(x), IpAddr::V6(y)) => x.is_unspecified() || y.is_unspecified() || x == y,
        (IpAddr::V4(x), IpAddr::V6(y)) | (IpAddr::V6(y), IpAddr::V4(x)) => {
            let only = if a.is_ipv6() { sa.v6only } else { sb.v6only };
            if y.is_unspecified() {
                return !only;
            }
            y.to_ipv4_mapped().is_some_and(|m| x.is_unspecified() || m == *x)
        }
    }
}

impl Ports {
    fn conflicts(&self, proto: Proto, addr: &IpAddr, port: u16, share: Share, listening: bool) -> bool {
        self.bound.get(&(proto, port)).is_some_and(|v| {
            v.iter().any(|b| {
                if !overlap(addr, share, &b.addr, b.share) {
                    return false;
                }
                if share.reuseport && b.share.reuseport {
                    return false;
                }
                let reuse = share.reuseaddr && b.share.reuseaddr;
                match proto {
                    Proto::Tcp => !(reuse && !listening && !b.listening),
                    _ => !reuse,
                }
            })
        })
    }

    /// Binds `addr` (port 0: an ephemeral port) for socket `id`; the port.
    pub fn bind(&mut self, proto: Proto, addr: SocketAddr, share: Share, id: u64) -> Result<u16, Errno> {
        let ip = addr.ip();
        let port = if addr.port() != 0 {
            if self.conflicts(proto, &ip, addr.port(), share, false) {
                return Err(Errno::EADDRINUSE);
            }
            addr.port()
        } else {
            let span = (EPHEMERAL.end() - EPHEMERAL.start() + 1) as u32;
            if self.next == 0 {
                // A random start for each table (each network namespace), as
                // Linux's hashed offsets: namespaces made one after another
                // must not hand out the same ports in the same order (a
                // client could get its peer's port and connect to itself).
                use std::hash::{BuildHasher, Hasher};
                let r = std::collections::hash_map::RandomState::new().build_hasher().finish();
                self.next = EPHEMERAL.start() + (r % span as u64) as u16;
            }
            let mut found = None;
            for i in 0..span {
                let p = EPHEMERAL.start() + ((self.next as u32 - *EPHEMERAL.start() as u32 + i) % span) as u16;
                if !self.bound.contains_key(&(proto, p)) {
                    found = Some(p);
                    break;
                }
            }
            let p = found.ok_or(Errno::EADDRINUSE)?;
            self.next = if p == *EPHEMERAL.end() { *EPHEMERAL.start() } else { p + 1 };
            p
        };
        self.bound.entry((proto, port)).or_default().push(Binding { id, addr: ip, share, listening: false });
        Ok(port)
    }

    /// Marks socket `id`'s binding as listening; EADDRINUSE if another
    /// binding of the port forbids it.
    pub fn listen(&mut self, proto: Proto, port: u16, id: u64) -> Result<(), Errno> {
        let Some(v) = self.bound.get(&(proto, port)) else { return Ok(()) };
        let Some(me) = v.iter().find(|b| b.id == id).cloned() else { return Ok(()) };
        let clash = v.iter().any(|b| {
            b.id != id
                && b.listening
                && overlap(&me.addr, me.share, &b.addr, b.share)
                && !(me.share.reuseport && b.share.reuseport)
        });
        if clash {
            return Err(Errno::EADDRINUSE);
        }
        if let Some(v) = self.bound.get_mut(&(proto, port)) {
            for b in v.iter_mut().filter(|b| b.id == id) {
                b.listening = true;
            }
        }
        Ok(())
    }

    /// Releases socket `id`'s binding of `port`.
    pub fn unbind(&mut self, proto: Proto, port: u16, id: u64) {
        if let Some(v) = self.bound.get_mut(&(proto, port)) {
            v.retain(|b| b.id != id);
            if v.is_empty() {
                self.bound.remove(&(proto, port));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sharing_rules() {
        let mut p = Ports::default();
        let any: SocketAddr = "0.0.0.0:80".parse().unwrap();
        let lo: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert_eq!(p.bind(Proto::Tcp, any, Share::default(), 1), Ok(80));
        assert_eq!(p.bind(Proto::Tcp, lo, Share::default(), 2), Err(Errno::EADDRINUSE));
        assert_eq!(p.bind(Proto::Udp, lo, Share::default(), 3), Ok(80));
        let v6: SocketAddr = "[::]:80".parse().unwrap();
        let only = Share { v6only: true, ..Default::default() };
        assert_eq!(p.bind(Proto::Tcp, v6, only, 4), Ok(80));
        p.unbind(Proto::Tcp, 80, 1);
        assert_eq!(p.bind(Proto::Tcp, lo, Share::default(), 5), Ok(80));
        let e = p.bind(Proto::Tcp, "127.0.0.1:0".parse().unwrap(), Share::default(), 6).unwrap();
        assert!(EPHEMERAL.contains(&e));
    }
}
