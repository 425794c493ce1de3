//! The sandbox network: sockets served by the sentry.
//!
//! A `NetStack` is one network namespace's network (the sandbox's first,
//! and one per CLONE_NEWNET: loopback only, `lo` down until brought up).
//!
//! - `stack`, `device`, `ports`, `tcp`, `udp`, `icmp`: a user-space TCP/IP
//!   stack built on smoltcp. One smoltcp interface per namespace carries
//!   its local addresses (127.0.0.1/8 and ::1 on `lo`; with
//!   `--network=sandbox` also the address of `eth0`, which Linux would route
//!   over `lo` too); its device is
//!   a loopback queue with an uplink hook where a host tap or veth can be
//!   plugged in later (`device::Uplink`). `inet_opts`: the IPPROTO_IP and
//!   IPPROTO_IPV6 options of those sockets; `arrival`: the header fields of
//!   received UDP packets (for control messages) and of sent ones.
//! - `unix`: AF_UNIX stream, datagram and seqpacket sockets, path names on
//!   the sandbox VFS and abstract names, SCM_RIGHTS and SCM_CREDENTIALS.
//! - `netlink`: AF_NETLINK/NETLINK_ROUTE dumps of links, addresses, routes;
//!   `diag`: NETLINK_SOCK_DIAG dumps of the sockets (`ss`); `table`: the IP
//!   sockets as those dumps and /proc/net list them.
//! - `host`: `--network=host`, AF_INET/AF_INET6 sockets created on the host
//!   by the sentry and passed through.
//! - `socket`: the `Socket` trait every kind implements and `SocketFile`,
//!   the open-file face of a socket; `addr`: sockaddr encoding; `links`,
//!   `ioctl`, `procfs`: the interfaces as `ifconfig`, `ip` and `/proc/net`
//!   see them.
//!
//! Lock order: a socket's own state lock before `IpStack::inner`; smoltcp
//! wakers only record which sockets changed (a leaf lock), and wait queues
//! are notified after `IpStack::inner` is released.

pub mod addr;
pub mod arrival;
pub mod device;
pub mod diag;
pub mod errqueue;
pub mod host;
pub mod icmp;
pub mod inet_opts;
pub mod ioctl;
pub mod links;
pub mod netlink;
pub mod ports;
pub mod procfs;
pub mod report;
pub mod send_ctl;
pub mod socket;
pub mod stack;
pub mod stamps;
pub mod table;
pub mod tcp;
pub mod udp;
pub mod unix;

use std::sync::Arc;

use crate::kernel::errno::Errno;
use socket::Socket;

/// How a sandbox reaches the network (`husk do --network`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum NetworkMode {
    /// Loopback only.
    None = 0,
    /// The sentry's own stack: loopback and an `eth0` not yet wired to the host.
    Sandbox = 1,
    /// AF_INET/AF_INET6 sockets are host sockets owned by the sentry.
    Host = 2,
}

/// One network namespace's network: the IP stack, the unix socket names,
/// the mode. Tasks reach theirs through `NsProxy::net`; a socket keeps the
/// one it was made in.
pub struct NetStack {
    /// The network mode (a namespace made by CLONE_NEWNET is `None`:
    /// loopback only, even when the sandbox's first one is `Host`).
    pub mode: NetworkMode,
    /// The user-space TCP/IP stack (also serves AF_INET sockets in host
    /// mode for nothing but `/proc/net` and netlink, which then show lo).
    pub ip: Arc<stack::IpStack>,
    /// Bound AF_UNIX names (paths and abstract names).
    pub unix: unix::Registry,
    /// The network namespace this stack is (its identity and sysctls).
    pub ns: Arc<crate::kernel::ns::NetNamespace>,
}

impl std::fmt::Debug for NetStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "net:[{}]", self.ino())
    }
}

impl NetStack {
    /// The sandbox's first network, for `mode`, its interfaces up.
    pub fn new(mode: NetworkMode) -> Arc<NetStack> {
        Arc::new(NetStack {
            mode,
            ip: stack::IpStack::new(
                mode,
                links::LinkState::FRESH.with(1, true).with(2, true),
                crate::kernel::ns::UserNamespace::init(),
            ),
            unix: unix::Registry::default(),
            ns: crate::kernel::ns::NetNamespace::new_root(),
        })
    }

    /// A new network namespace (CLONE_NEWNET): its own IP stack with only
    /// `lo`, down and without addresses, its own ports, abstract unix
    /// names and sysctls; unix path names stay shared (they live in the
    /// file system). Never the host's network. `owner` is the user
    /// namespace it belongs to.
    pub fn new_namespace(&self, owner: &Arc<crate::kernel::ns::UserNamespace>) -> Arc<NetStack> {
        Arc::new(NetStack {
            mode: NetworkMode::None,
            ip: stack::IpStack::new(NetworkMode::None, links::LinkState::FRESH, owner.clone()),
            unix: self.unix.new_namespace(),
            ns: crate::kernel::ns::NetNamespace::new_child(),
        })
    }

    /// The inode number `/proc/<pid>/ns/net` shows.
    pub fn ino(&self) -> u64 {
        self.ns.ino()
    }

    /// Creates a socket as `socket(2)` does (`kind` without the
    /// SOCK_NONBLOCK/SOCK_CLOEXEC flags).
    pub fn socket(self: &Arc<Self>, domain: i32, kind: i32, protocol: i32) -> Result<Box<dyn Socket>, Errno> {
        match domain {
            libc::AF_UNIX => unix::new_socket(self, kind, protocol),
            libc::AF_INET | libc::AF_INET6 => {
                if self.mode == NetworkMode::Host {
                    return host::HostSocket::create(domain, kind, protocol).map(|s| Box::new(s) as Box<dyn Socket>);
                }
                match kind {
                    libc::SOCK_STREAM => match protocol {
                        0 | libc::IPPROTO_TCP => Ok(Box::new(tcp::TcpSocket::new(&self.ip, domain))),
                        _ => Err(Errno::EPROTONOSUPPORT),
                    },
                    libc::SOCK_DGRAM => match protocol {
                        0 | libc::IPPROTO_UDP => Ok(Box::new(udp::UdpSocket::new(&self.ip, domain))),
                        libc::IPPROTO_ICMP if domain == libc::AF_INET => {
                            Ok(Box::new(icmp::IcmpSocket::new(&self.ip, domain, false)))
                        }
                        libc::IPPROTO_ICMPV6 if domain == libc::AF_INET6 => {
                            Ok(Box::new(icmp::IcmpSocket::new(&self.ip, domain, false)))
                        }
                        _ => Err(Errno::EPROTONOSUPPORT),
                    },
                    libc::SOCK_RAW => match protocol {
                        libc::IPPROTO_ICMP if domain == libc::AF_INET => {
                            Ok(Box::new(icmp::IcmpSocket::new(&self.ip, domain, true)))
                        }
                        libc::IPPROTO_ICMPV6 if domain == libc::AF_INET6 => {
                            Ok(Box::new(icmp::IcmpSocket::new(&self.ip, domain, true)))
                        }
                        _ => Err(Errno::EPROTONOSUPPORT),
                    },
                    // SOCK_SEQPACKET (no SCTP), SOCK_RDM, SOCK_DCCP, SOCK_PACKET.
                    _ => Err(Errno::ESOCKTNOSUPPORT),
                }
            }
            libc::AF_NETLINK => netlink::new_socket(self, kind, protocol),
            // Families Linux knows but the sandbox does not serve.
            _ => Err(Errno::EAFNOSUPPORT),
        }
    }
}
