//! Interface ioctls on any socket (`ifconfig`, `ip`, glibc's if_nameindex
//! fallbacks): SIOCGIFCONF, SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFBRDADDR,
//! SIOCGIFFLAGS, SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFMTU, SIOCGIFHWADDR,
//! about the interfaces of the socket's network namespace. SIOCSIFFLAGS
//! brings an interface up or down (CAP_NET_ADMIN: `ifconfig lo up` in a
//! new namespace); other changes (SIOCSIF*) are refused with EPERM.

use std::net::IpAddr;

use super::links::{self, Link};
use super::stack::IpStack;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;

/// CAP_NET_ADMIN, which changing interfaces takes.
const CAP_NET_ADMIN: u32 = 12;

/// Flags `dev_change_flags` can change besides IFF_UP; only IFF_UP is
/// served, so asking to change one of these is EOPNOTSUPP.
const CHANGEABLE: u32 = (libc::IFF_DEBUG
    | libc::IFF_NOTRAILERS
    | libc::IFF_NOARP
    | libc::IFF_DYNAMIC
    | libc::IFF_MULTICAST
    | libc::IFF_PORTSEL
    | libc::IFF_AUTOMEDIA
    | libc::IFF_PROMISC
    | libc::IFF_ALLMULTI) as u32;

/// Whether the calling task has CAP_NET_ADMIN over the network of `ip`
/// (in the user namespace that owns it).
pub(super) fn net_admin(ip: &IpStack) -> bool {
    crate::kernel::wait::current().is_some_and(|t| t.tg.capable_over(&ip.owner, CAP_NET_ADMIN))
}

/// Sets the flags of `link` as Linux's dev_change_flags does for what the
/// stack serves: IFF_UP; bits it cannot change (IFF_RUNNING, IFF_LOOPBACK)
/// are ignored.
pub(super) fn change_flags(ip: &IpStack, link: &Link, flags: u32) -> Result<(), Errno> {
    if !net_admin(ip) {
        return Err(Errno::EPERM);
    }
    if (flags ^ link.flags) & CHANGEABLE != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let up = flags & libc::IFF_UP as u32 != 0;
    if up != link.is_up() {
        ip.set_link_up(link.index, up)?;
    }
    Ok(())
}

/// `sizeof(struct ifreq)`.
const IFREQ: usize = 40;
const IFNAMSIZ: usize = 16;

fn sockaddr_in(a: [u8; 4]) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
    b[4..8].copy_from_slice(&a);
    b
}

fn v4(l: &Link) -> Option<(std::net::Ipv4Addr, u8)> {
    l.addrs.iter().find_map(|(a, p)| match a {
        IpAddr::V4(v) => Some((*v, *p)),
        _ => None,
    })
}

fn mask(prefix: u8) -> [u8; 4] {
    let m: u32 = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix as u32) };
    m.to_be_bytes()
}

/// Serves an interface ioctl about `ip`'s interfaces; ENOTTY for other
/// requests.
pub fn interface_ioctl(ip: &IpStack, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
    match req {
        libc::SIOCGIFCONF => {
            let mut ifc = [0u8; 16];
            mem.read_bytes(arg, &mut ifc)?;
            let len = i32::from_ne_bytes([ifc[0], ifc[1], ifc[2], ifc[3]]);
            let buf = u64::from_ne_bytes(ifc[8..16].try_into().unwrap_or_default());
            let entries: Vec<[u8; IFREQ]> = ip
                .links()
                .iter()
                .filter_map(|l| {
                    let (a, _) = v4(l)?;
                    let mut r = [0u8; IFREQ];
                    r[..l.name.len()].copy_from_slice(l.name.as_bytes());
                    r[IFNAMSIZ..IFNAMSIZ + 16].copy_from_slice(&sockaddr_in(a.octets()));
                    Some(r)
                })
                .collect();
            let out_len = if buf == 0 {
                entries.len() * IFREQ
            } else {
                let fit = (len.max(0) as usize / IFREQ).min(entries.len());
                let bytes: Vec<u8> = entries[..fit].iter().flatten().copied().collect();
                mem.write_bytes(buf, &bytes)?;
                bytes.len()
            };
            mem.write_u32(arg, out_len as u32)?;
            Ok(0)
        }
        libc::SIOCGIFADDR
        | libc::SIOCGIFNETMASK
        | libc::SIOCGIFBRDADDR
        | libc::SIOCGIFDSTADDR
        | libc::SIOCGIFFLAGS
        | libc::SIOCGIFINDEX
        | libc::SIOCGIFNAME
        | libc::SIOCGIFMTU
        | libc::SIOCGIFHWADDR
        | libc::SIOCGIFMETRIC
        | libc::SIOCGIFTXQLEN
        | libc::SIOCGIFMAP => {
            let mut r = [0u8; IFREQ];
            mem.read_bytes(arg, &mut r)?;
            let link = if req == libc::SIOCGIFNAME {
                let idx = i32::from_ne_bytes([r[16], r[17], r[18], r[19]]);
                links::by_index(ip.links(), idx as u32).ok_or(Errno::ENODEV)?
            } else {
                let name: Vec<u8> = r[..IFNAMSIZ].iter().copied().take_while(|&b| b != 0).collect();
                links::by_name(ip.links(), &name).ok_or(Errno::ENODEV)?
            };
            let u = &mut r[IFNAMSIZ..];
            match req {
                libc::SIOCGIFADDR => {
                    u[..16].copy_from_slice(&sockaddr_in(v4(&link).ok_or(Errno::EADDRNOTAVAIL)?.0.octets()))
                }
                libc::SIOCGIFNETMASK => {
                    u[..16].copy_from_slice(&sockaddr_in(mask(v4(&link).ok_or(Errno::EADDRNOTAVAIL)?.1)))
                }
                libc::SIOCGIFBRDADDR | libc::SIOCGIFDSTADDR => {
                    let (a, p) = v4(&link).ok_or(Errno::EADDRNOTAVAIL)?;
                    let m = u32::from_be_bytes(mask(p));
                    let b = if link.name == "lo" { 0 } else { u32::from(a) | !m };
                    u[..16].copy_from_slice(&sockaddr_in(b.to_be_bytes()))
                }
                libc::SIOCGIFFLAGS => u[..2].copy_from_slice(&(link.flags as u16).to_ne_bytes()),
                libc::SIOCGIFINDEX => u[..4].copy_from_slice(&(link.index as i32).to_ne_bytes()),
                libc::SIOCGIFNAME => {
                    r[..IFNAMSIZ].fill(0);
                    r[..link.name.len()].copy_from_slice(link.name.as_bytes());
                }
                libc::SIOCGIFMTU => u[..4].copy_from_slice(&(link.mtu as i32).to_ne_bytes()),
                libc::SIOCGIFHWADDR => {
                    u[..16].fill(0);
                    u[..2].copy_from_slice(&link.arptype.to_ne_bytes());
                    u[2..8].copy_from_slice(&link.mac);
                }
                libc::SIOCGIFTXQLEN => u[..4].copy_from_slice(&1000i32.to_ne_bytes()),
                _ => u[..16].fill(0),
            }
            mem.write_bytes(arg, &r)?;
            Ok(0)
        }
        libc::SIOCSIFFLAGS => {
            // The capability is checked before the name (dev_ioctl).
            if !net_admin(ip) {
                return Err(Errno::EPERM);
            }
            let mut r = [0u8; IFREQ];
            mem.read_bytes(arg, &mut r)?;
            let name: Vec<u8> = r[..IFNAMSIZ].iter().copied().take_while(|&b| b != 0).collect();
            let link = links::by_name(ip.links(), &name).ok_or(Errno::ENODEV)?;
            change_flags(ip, &link, u16::from_ne_bytes([r[16], r[17]]) as u32)?;
            Ok(0)
        }
        libc::SIOCSIFADDR
        | libc::SIOCSIFNETMASK
        | libc::SIOCSIFMTU
        | libc::SIOCSIFHWADDR
        | libc::SIOCSIFNAME
        | libc::SIOCADDRT
        | libc::SIOCDELRT => Err(Errno::EPERM),
        _ => Err(Errno::ENOTTY),
    }
}
