//! Socket addresses: parsing the raw `struct sockaddr_*` an application
//! passes, with Linux's checks and errnos, and encoding the ones it gets.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::kernel::errno::Errno;

/// The largest sockaddr (`struct sockaddr_storage`).
pub const SOCKADDR_MAX: usize = 128;
/// `sizeof(struct sockaddr_in)`.
pub const SIN_LEN: usize = 16;
/// `sizeof(struct sockaddr_in6)`.
pub const SIN6_LEN: usize = 28;
/// The shortest sockaddr_in6 Linux accepts (RFC 2133's, without scope id).
pub const SIN6_LEN_RFC2133: usize = 24;
/// `offsetof(struct sockaddr_un, sun_path)`.
pub const SUN_PATH_OFF: usize = 2;
/// `sizeof(struct sockaddr_un)`.
pub const SUN_LEN: usize = 110;

/// The `sa_family` of a raw address (AF_UNSPEC when too short to say).
pub fn family(raw: &[u8]) -> i32 {
    if raw.len() < 2 {
        return libc::AF_UNSPEC;
    }
    u16::from_ne_bytes([raw[0], raw[1]]) as i32
}

/// Parses an AF_INET or AF_INET6 address given to a socket of `domain`.
/// `unspec_any` accepts AF_UNSPEC as the any-address (bind of an AF_INET
/// socket, sendto of UDP). Errors as Linux: EINVAL for a short address,
/// EAFNOSUPPORT for another family.
pub fn parse_inet(domain: i32, raw: &[u8], unspec_any: bool) -> Result<SocketAddr, Errno> {
    if domain == libc::AF_INET {
        if raw.len() < SIN_LEN {
            return Err(Errno::EINVAL);
        }
        let port = u16::from_be_bytes([raw[2], raw[3]]);
        let ip = Ipv4Addr::new(raw[4], raw[5], raw[6], raw[7]);
        match family(raw) {
            libc::AF_INET => {}
            libc::AF_UNSPEC if unspec_any && ip.is_unspecified() => {}
            _ => return Err(Errno::EAFNOSUPPORT),
        }
        return Ok(SocketAddr::V4(SocketAddrV4::new(ip, port)));
    }
    if raw.len() < SIN6_LEN_RFC2133 {
        return Err(Errno::EINVAL);
    }
    if family(raw) != libc::AF_INET6 {
        return Err(Errno::EAFNOSUPPORT);
    }
    let port = u16::from_be_bytes([raw[2], raw[3]]);
    let flow = u32::from_be_bytes([raw[4], raw[5], raw[6], raw[7]]);
    let mut a = [0u8; 16];
    a.copy_from_slice(&raw[8..24]);
    let scope = if raw.len() >= SIN6_LEN { u32::from_ne_bytes([raw[24], raw[25], raw[26], raw[27]]) } else { 0 };
    Ok(SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(a), port, flow, scope)))
}

/// Whether `a` is a specific IPv6 address, not the wildcard and not
/// v4-mapped (binding to one makes Linux's socket IPv6-only).
pub fn v6_specific(a: SocketAddr) -> bool {
    match a.ip() {
        std::net::IpAddr::V6(v6) => !v6.is_unspecified() && v6.to_ipv4_mapped().is_none(),
        std::net::IpAddr::V4(_) => false,
    }
}

/// Encodes an address for a socket of `domain` (IPv4 peers of an AF_INET6
/// socket appear v4-mapped).
pub fn encode_inet(domain: i32, a: SocketAddr) -> Vec<u8> {
    match (domain, a) {
        (libc::AF_INET, SocketAddr::V4(v4)) => {
            let mut b = vec![0u8; SIN_LEN];
            b[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
            b[2..4].copy_from_slice(&v4.port().to_be_bytes());
            b[4..8].copy_from_slice(&v4.ip().octets());
            b
        }
        (libc::AF_INET, SocketAddr::V6(v6)) => match v6.ip().to_ipv4_mapped() {
            Some(ip) => encode_inet(domain, SocketAddr::V4(SocketAddrV4::new(ip, v6.port()))),
            None => encode_inet(libc::AF_INET6, a),
        },
        (_, a) => {
            let v6 = match a {
                SocketAddr::V6(v6) => v6,
                SocketAddr::V4(v4) => SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0),
            };
            let mut b = vec![0u8; SIN6_LEN];
            b[..2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
            b[2..4].copy_from_slice(&v6.port().to_be_bytes());
            b[4..8].copy_from_slice(&v6.flowinfo().to_be_bytes());
            b[8..24].copy_from_slice(&v6.ip().octets());
            b[24..28].copy_from_slice(&v6.scope_id().to_ne_bytes());
            b
        }
    }
}

/// An address as the IP stack uses it: v4-mapped IPv6 addresses become
/// IPv4.
pub fn unmap(a: SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(ip) => SocketAddr::V4(SocketAddrV4::new(ip, v6.port())),
            None => a,
        },
        a => a,
    }
}

/// The unspecified address of a family, port 0.
pub fn any(domain: i32) -> SocketAddr {
    if domain == libc::AF_INET {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, 0, 0, 0))
    }
}

/// An AF_UNIX name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnixAddr {
    /// Not bound.
    Unnamed,
    /// A path name, as given (relative paths stay relative, as Linux reports them).
    Path(Vec<u8>),
    /// An abstract name (the bytes after the leading NUL).
    Abstract(Vec<u8>),
}

impl UnixAddr {
    /// Parses a `sockaddr_un`. `Ok(None)` is the bare family (autobind).
    pub fn parse(raw: &[u8]) -> Result<Option<UnixAddr>, Errno> {
        if raw.len() == SUN_PATH_OFF && family(raw) == libc::AF_UNIX {
            return Ok(None);
        }
        if raw.len() <= SUN_PATH_OFF || raw.len() > SUN_LEN {
            return Err(Errno::EINVAL);
        }
        if family(raw) != libc::AF_UNIX {
            return Err(Errno::EINVAL);
        }
        let path = &raw[SUN_PATH_OFF..];
        if path[0] == 0 {
            return Ok(Some(UnixAddr::Abstract(path[1..].to_vec())));
        }
        let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
        Ok(Some(UnixAddr::Path(path[..end].to_vec())))
    }

    /// The raw `sockaddr_un` (with the length Linux reports).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
        match self {
            UnixAddr::Unnamed => {}
            UnixAddr::Path(p) => {
                b.extend_from_slice(p);
                b.push(0);
            }
            UnixAddr::Abstract(n) => {
                b.push(0);
                b.extend_from_slice(n);
            }
        }
        b
    }

    /// The name as `/proc/net/unix` and `ss` show it (`@` for abstract).
    #[cfg_attr(not(test), allow(dead_code))] // until the procfs serves /proc/net
    pub fn display(&self) -> String {
        match self {
            UnixAddr::Unnamed => String::new(),
            UnixAddr::Path(p) => String::from_utf8_lossy(p).into_owned(),
            UnixAddr::Abstract(n) => format!("@{}", String::from_utf8_lossy(n).replace('\0', "@")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_round_trip() {
        let a: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let raw = encode_inet(libc::AF_INET, a);
        assert_eq!(parse_inet(libc::AF_INET, &raw, false), Ok(a));
        let raw6 = encode_inet(libc::AF_INET6, a);
        assert_eq!(raw6.len(), SIN6_LEN);
        assert_eq!(unmap(parse_inet(libc::AF_INET6, &raw6, false).unwrap()), a);
    }

    #[test]
    fn inet_errors() {
        assert_eq!(parse_inet(libc::AF_INET, &[2, 0, 0], false), Err(Errno::EINVAL));
        let mut raw = encode_inet(libc::AF_INET, "1.2.3.4:5".parse().unwrap());
        raw[0] = 10;
        assert_eq!(parse_inet(libc::AF_INET, &raw, false), Err(Errno::EAFNOSUPPORT));
    }

    #[test]
    fn unix_names() {
        let mut raw = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
        assert_eq!(UnixAddr::parse(&raw), Ok(None));
        raw.extend_from_slice(b"/tmp/s\0junk");
        assert_eq!(UnixAddr::parse(&raw), Ok(Some(UnixAddr::Path(b"/tmp/s".to_vec()))));
        let abs = UnixAddr::Abstract(b"x".to_vec());
        assert_eq!(UnixAddr::parse(&abs.encode()), Ok(Some(abs)));
    }
}
