//! AF_NETLINK sockets. NETLINK_ROUTE: the dumps `ip addr`, `ip link`,
//! `ip route` and glibc's `getifaddrs` ask for (RTM_GETLINK, RTM_GETADDR,
//! RTM_GETROUTE), from the interfaces of the socket's network namespace;
//! RTM_NEWLINK on an existing interface brings it up or down (`ip link set
//! lo up`); RTM_GETNSID says no namespace has an id (none are assigned);
//! other changes (RTM_NEW*, RTM_DEL*) are refused with EPERM.
//! NETLINK_SOCK_DIAG: the socket dumps
//! of `ss` (`diag/`). Other protocols are EPROTONOSUPPORT.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use super::links::{self, Link};
use super::socket::{CommonOpts, Cx, Received, RecvArgs, SendArgs, Socket};
use super::NetStack;
use crate::kernel::errno::Errno;
use crate::kernel::wait::{block_until, WaitQueue};

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const RTM_NEWADDR: u16 = 20;
const RTM_GETADDR: u16 = 22;
const RTM_NEWROUTE: u16 = 24;
const RTM_GETROUTE: u16 = 26;
const RTM_NEWNSID: u16 = 88;
const RTM_GETNSID: u16 = 90;
/// NETNSA_* attributes of the nsid messages.
const NETNSA_NSID: u16 = 1;
const NETNSA_PID: u16 = 2;
const NETNSA_FD: u16 = 3;
pub(super) const NLM_F_MULTI: u16 = 2;
pub(super) const NLM_F_ACK: u16 = 4;
pub(super) const NLM_F_DUMP: u16 = 0x300;

/// `sizeof(struct sockaddr_nl)`.
const SOCKADDR_NL: usize = 12;

/// Guarded by `NetlinkSocket::st`.
struct St {
    /// The bound port id (0 until bound or first used).
    pid: u32,
    groups: u32,
    rx: VecDeque<Vec<u8>>,
}

/// A NETLINK_ROUTE or NETLINK_SOCK_DIAG socket.
pub struct NetlinkSocket {
    net: Arc<NetStack>,
    kind: i32,
    protocol: i32,
    queue: WaitQueue,
    common: CommonOpts,
    st: Mutex<St>,
}

/// Creates an AF_NETLINK socket.
pub fn new_socket(net: &Arc<NetStack>, kind: i32, protocol: i32) -> Result<Box<dyn Socket>, Errno> {
    if kind != libc::SOCK_RAW && kind != libc::SOCK_DGRAM {
        return Err(Errno::ESOCKTNOSUPPORT);
    }
    if protocol != libc::NETLINK_ROUTE && protocol != libc::NETLINK_SOCK_DIAG {
        return Err(Errno::EPROTONOSUPPORT);
    }
    Ok(Box::new(NetlinkSocket {
        net: net.clone(),
        kind,
        protocol,
        queue: WaitQueue::default(),
        common: CommonOpts::new(212_992, 212_992),
        st: Mutex::new(St { pid: 0, groups: 0, rx: VecDeque::new() }),
    }))
}

fn sockaddr_nl(pid: u32, groups: u32) -> Vec<u8> {
    let mut b = vec![0u8; SOCKADDR_NL];
    b[..2].copy_from_slice(&(libc::AF_NETLINK as u16).to_ne_bytes());
    b[4..8].copy_from_slice(&pid.to_ne_bytes());
    b[8..12].copy_from_slice(&groups.to_ne_bytes());
    b
}

/// Builds one netlink message.
pub(super) struct Msg(Vec<u8>);

impl Msg {
    pub(super) fn new(kind: u16, flags: u16, seq: u32, pid: u32) -> Msg {
        let mut b = vec![0u8; 16];
        b[4..6].copy_from_slice(&kind.to_ne_bytes());
        b[6..8].copy_from_slice(&flags.to_ne_bytes());
        b[8..12].copy_from_slice(&seq.to_ne_bytes());
        b[12..16].copy_from_slice(&pid.to_ne_bytes());
        Msg(b)
    }
    pub(super) fn put(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }
    pub(super) fn attr(&mut self, kind: u16, data: &[u8]) -> &mut Self {
        let len = 4 + data.len();
        self.0.extend_from_slice(&(len as u16).to_ne_bytes());
        self.0.extend_from_slice(&kind.to_ne_bytes());
        self.0.extend_from_slice(data);
        self.0.resize(self.0.len().next_multiple_of(4), 0);
        self
    }
    pub(super) fn done(mut self) -> Vec<u8> {
        self.0.resize(self.0.len().next_multiple_of(4), 0);
        let len = self.0.len() as u32;
        self.0[..4].copy_from_slice(&len.to_ne_bytes());
        self.0
    }
}

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn link_msg(l: &Link, seq: u32, pid: u32) -> Vec<u8> {
    let mut m = Msg::new(RTM_NEWLINK, NLM_F_MULTI, seq, pid);
    let mut info = [0u8; 16];
    info[2..4].copy_from_slice(&l.arptype.to_ne_bytes());
    info[4..8].copy_from_slice(&(l.index as i32).to_ne_bytes());
    let lower_up = if l.is_up() { libc::IFF_LOWER_UP as u32 } else { 0 };
    info[8..12].copy_from_slice(&(l.flags | lower_up).to_ne_bytes());
    m.put(&info);
    m.attr(libc::IFLA_IFNAME, &cstr(l.name));
    m.attr(libc::IFLA_TXQLEN, &1000u32.to_ne_bytes());
    // IF_OPER_DOWN, else lo's IF_OPER_UNKNOWN and eth0's IF_OPER_UP.
    let oper = match (l.is_up(), l.name) {
        (false, _) => 2,
        (true, "lo") => 0,
        (true, _) => 6,
    };
    m.attr(libc::IFLA_OPERSTATE, &[oper]);
    m.attr(libc::IFLA_LINKMODE, &[0]);
    m.attr(libc::IFLA_MTU, &l.mtu.to_ne_bytes());
    m.attr(libc::IFLA_GROUP, &0u32.to_ne_bytes());
    m.attr(libc::IFLA_QDISC, &cstr(l.qdisc));
    m.attr(libc::IFLA_ADDRESS, &l.mac);
    let bcast = if l.name == "lo" { [0u8; 6] } else { [0xff; 6] };
    m.attr(libc::IFLA_BROADCAST, &bcast);
    // struct rtnl_link_stats (24 u32 counters), zeroed.
    m.attr(libc::IFLA_STATS, &[0u8; 96]);
    m.done()
}

fn addr_msgs(l: &Link, family: u8, seq: u32, pid: u32, out: &mut Vec<Vec<u8>>) {
    for (a, prefix) in &l.addrs {
        let (fam, bytes): (u8, Vec<u8>) = match a {
            IpAddr::V4(v) => (libc::AF_INET as u8, v.octets().to_vec()),
            IpAddr::V6(v) => (libc::AF_INET6 as u8, v.octets().to_vec()),
        };
        if family != 0 && family != fam {
            continue;
        }
        let mut m = Msg::new(RTM_NEWADDR, NLM_F_MULTI, seq, pid);
        let scope: u8 = if l.name == "lo" { libc::RT_SCOPE_HOST } else { libc::RT_SCOPE_UNIVERSE };
        let flags: u8 = 0x80; // IFA_F_PERMANENT
        m.put(&[fam, *prefix, flags, scope]);
        m.put(&l.index.to_ne_bytes());
        m.attr(libc::IFA_ADDRESS, &bytes);
        if fam == libc::AF_INET as u8 {
            m.attr(libc::IFA_LOCAL, &bytes);
            if l.name != "lo" {
                let m32: u32 = if *prefix == 0 { 0 } else { u32::MAX << (32 - *prefix as u32) };
                let b = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) | !m32;
                m.attr(libc::IFA_BROADCAST, &b.to_be_bytes());
            }
            m.attr(libc::IFA_LABEL, &cstr(l.name));
        }
        m.attr(libc::IFA_FLAGS, &0x80u32.to_ne_bytes());
        // struct ifa_cacheinfo: forever.
        let mut ci = [0u8; 16];
        ci[..4].copy_from_slice(&u32::MAX.to_ne_bytes());
        ci[4..8].copy_from_slice(&u32::MAX.to_ne_bytes());
        m.attr(libc::IFA_CACHEINFO, &ci);
        out.push(m.done());
    }
}

fn route_msgs(links: &[Link], family: u8, seq: u32, pid: u32, out: &mut Vec<Vec<u8>>) {
    if family != 0 && family != libc::AF_INET as u8 {
        return;
    }
    for r in super::links::routes(links) {
        let (table, kind, scope) = if r.local {
            (libc::RT_TABLE_LOCAL, libc::RTN_LOCAL, libc::RT_SCOPE_HOST)
        } else {
            (libc::RT_TABLE_MAIN, libc::RTN_UNICAST, libc::RT_SCOPE_LINK)
        };
        let mut m = Msg::new(RTM_NEWROUTE, NLM_F_MULTI, seq, pid);
        m.put(&[libc::AF_INET as u8, r.prefix, 0, 0, table, libc::RTPROT_KERNEL, scope, kind]);
        m.put(&0u32.to_ne_bytes());
        m.attr(libc::RTA_TABLE, &(table as u32).to_ne_bytes());
        m.attr(libc::RTA_DST, &r.dst.octets());
        m.attr(libc::RTA_PREFSRC, &r.src.octets());
        m.attr(libc::RTA_OIF, &r.index.to_ne_bytes());
        out.push(m.done());
    }
}

fn done_msg(seq: u32, pid: u32) -> Vec<u8> {
    done_msg_with(seq, pid, 0)
}

/// The NLMSG_DONE ending a dump; a dump that failed carries `-errno`.
pub(super) fn done_msg_with(seq: u32, pid: u32, err: i32) -> Vec<u8> {
    let mut m = Msg::new(NLMSG_DONE, NLM_F_MULTI, seq, pid);
    m.put(&(-err).to_ne_bytes());
    m.done()
}

/// An NLMSG_ERROR answering `req` (`err` 0: an acknowledgement).
pub(super) fn error_msg(req: &[u8], err: i32, pid: u32) -> Vec<u8> {
    let seq = u32::from_ne_bytes([req[8], req[9], req[10], req[11]]);
    let mut m = Msg::new(NLMSG_ERROR, 0, seq, pid);
    m.put(&(-err).to_ne_bytes());
    m.put(&req[..16]);
    m.done()
}

/// The attributes after a request's fixed part (`hdr` bytes past the
/// netlink header), as (type, data).
fn attrs(req: &[u8], hdr: usize) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    let mut off = 16 + hdr;
    while off + 4 <= req.len() {
        let len = u16::from_ne_bytes([req[off], req[off + 1]]) as usize;
        if len < 4 || off + len > req.len() {
            break;
        }
        // NLA_F_NESTED and NLA_F_NET_BYTEORDER are not part of the type.
        let kind = u16::from_ne_bytes([req[off + 2], req[off + 3]]) & 0x3fff;
        out.push((kind, &req[off + 4..off + len]));
        off += len.next_multiple_of(4);
    }
    out
}

/// The interface an RTM_GETLINK/RTM_NEWLINK request names: by its
/// ifi_index, else by IFLA_IFNAME (EINVAL if neither, ENODEV if none is
/// found), as Linux's rtnl_getlink.
fn find_link(all: Vec<Link>, req: &[u8]) -> Result<Link, Errno> {
    let index = if req.len() >= 32 { i32::from_ne_bytes([req[20], req[21], req[22], req[23]]) } else { 0 };
    if index > 0 {
        return links::by_index(all, index as u32).ok_or(Errno::ENODEV);
    }
    let name = attrs(req, 16).into_iter().find(|(k, _)| *k == libc::IFLA_IFNAME).map(|(_, d)| d);
    let name = name.ok_or(Errno::EINVAL)?;
    let name: Vec<u8> = name.iter().copied().take_while(|&b| b != 0).collect();
    links::by_name(all, &name).ok_or(Errno::ENODEV)
}

impl NetlinkSocket {
    /// RTM_NEWLINK on an existing interface: its ifi_flags under
    /// ifi_change (0: every flag), as rtnl_dev_combine_flags; IFF_UP is
    /// the one served. Other attributes than the name, and making links
    /// (veth, bridges), are EOPNOTSUPP.
    fn set_link(&self, all: Vec<Link>, req: &[u8]) -> Result<(), Errno> {
        if !super::ioctl::net_admin(&self.net.ip) {
            return Err(Errno::EPERM);
        }
        if req.len() < 32 {
            return Err(Errno::EINVAL);
        }
        if attrs(req, 16).iter().any(|(k, _)| *k != libc::IFLA_IFNAME) {
            return Err(Errno::EOPNOTSUPP);
        }
        let link = find_link(all, req)?;
        let flags = u32::from_ne_bytes([req[24], req[25], req[26], req[27]]);
        let change = match u32::from_ne_bytes([req[28], req[29], req[30], req[31]]) {
            0 => u32::MAX,
            c => c,
        };
        if flags == 0 && change == u32::MAX {
            return Ok(());
        }
        let combined = (flags & change) | (link.flags & !change);
        super::ioctl::change_flags(&self.net.ip, &link, combined)
    }

    fn lock(&self) -> MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ensure_pid(st: &mut St) -> u32 {
        if st.pid == 0 {
            // Linux's autobind takes the caller's pid in its namespace.
            st.pid = crate::kernel::wait::current().map_or(1, |t| t.tg.pid.vnr()).max(1) as u32;
        }
        st.pid
    }

    /// Answers every request in `data`.
    fn handle(&self, data: &[u8]) -> Vec<Vec<u8>> {
        let pid = Self::ensure_pid(&mut self.lock());
        if self.protocol == libc::NETLINK_SOCK_DIAG {
            return super::diag::handle_all(&self.net, data, pid);
        }
        let mut out = Vec::new();
        let mut off = 0;
        while off + 16 <= data.len() {
            let len = u32::from_ne_bytes(data[off..off + 4].try_into().unwrap_or_default()) as usize;
            if len < 16 || off + len > data.len() {
                break;
            }
            let req = &data[off..off + len];
            let kind = u16::from_ne_bytes([req[4], req[5]]);
            let flags = u16::from_ne_bytes([req[6], req[7]]);
            let seq = u32::from_ne_bytes([req[8], req[9], req[10], req[11]]);
            let family = req.get(16).copied().unwrap_or(0);
            let all = self.net.ip.links();
            match kind {
                RTM_GETLINK | RTM_GETADDR | RTM_GETROUTE if flags & NLM_F_DUMP != 0 => {
                    match kind {
                        RTM_GETLINK => out.extend(all.iter().map(|l| link_msg(l, seq, pid))),
                        RTM_GETADDR => all.iter().for_each(|l| addr_msgs(l, family, seq, pid, &mut out)),
                        _ => route_msgs(&all, family, seq, pid, &mut out),
                    }
                    out.push(done_msg(seq, pid));
                }
                RTM_GETLINK => match find_link(all, req) {
                    Ok(l) => {
                        let mut m = link_msg(&l, seq, pid);
                        m[6..8].copy_from_slice(&0u16.to_ne_bytes());
                        out.push(m);
                    }
                    Err(e) => out.push(error_msg(req, e.0, pid)),
                },
                RTM_NEWLINK => match self.set_link(all, req) {
                    Ok(()) if flags & NLM_F_ACK != 0 => out.push(error_msg(req, 0, pid)),
                    Ok(()) => {}
                    Err(e) => out.push(error_msg(req, e.0, pid)),
                },
                RTM_GETADDR | RTM_GETROUTE => out.push(error_msg(req, libc::EOPNOTSUPP, pid)),
                // The id a namespace (by pid or descriptor) has here: the
                // sandbox assigns none (`ip netns list` then shows no id).
                RTM_GETNSID if flags & NLM_F_DUMP == 0 => {
                    if attrs(req, 4).iter().any(|(k, _)| *k == NETNSA_PID || *k == NETNSA_FD) {
                        let mut m = Msg::new(RTM_NEWNSID, 0, seq, pid);
                        m.put(&[libc::AF_UNSPEC as u8, 0, 0, 0]);
                        m.attr(NETNSA_NSID, &(-1i32).to_ne_bytes());
                        out.push(m.done());
                    } else {
                        out.push(error_msg(req, libc::EINVAL, pid));
                    }
                }
                RTM_GETNSID => out.push(done_msg(seq, pid)),
                RTM_NEWNSID => out.push(error_msg(req, libc::EOPNOTSUPP, pid)),
                k if (16..=100).contains(&k) => out.push(error_msg(req, libc::EPERM, pid)),
                _ => {
                    if flags & NLM_F_ACK != 0 {
                        out.push(error_msg(req, 0, pid));
                    } else {
                        out.push(error_msg(req, libc::EOPNOTSUPP, pid));
                    }
                }
            }
            off += len.next_multiple_of(4);
        }
        out
    }
}

impl Socket for NetlinkSocket {
    fn domain(&self) -> i32 {
        libc::AF_NETLINK
    }

    fn kind(&self) -> i32 {
        self.kind
    }

    fn protocol(&self) -> i32 {
        self.protocol
    }

    fn bind(&self, _cx: &Cx, raw: &[u8]) -> Result<(), Errno> {
        if raw.len() < SOCKADDR_NL {
            return Err(Errno::EINVAL);
        }
        if super::addr::family(raw) != libc::AF_NETLINK {
            return Err(Errno::EINVAL);
        }
        let pid = u32::from_ne_bytes([raw[4], raw[5], raw[6], raw[7]]);
        let groups = u32::from_ne_bytes([raw[8], raw[9], raw[10], raw[11]]);
        let mut st = self.lock();
        if pid != 0 {
            st.pid = pid;
        } else {
            Self::ensure_pid(&mut st);
        }
        st.groups = groups;
        Ok(())
    }

    fn connect(&self, _cx: &Cx, raw: &[u8], _nonblock: bool) -> Result<(), Errno> {
        if raw.len() < SOCKADDR_NL {
            return Err(Errno::EINVAL);
        }
        Self::ensure_pid(&mut self.lock());
        Ok(())
    }

    fn send(&self, _cx: &Cx, args: SendArgs) -> Result<usize, Errno> {
        if let Some(a) = args.addr {
            if a.len() < SOCKADDR_NL {
                return Err(Errno::EINVAL);
            }
        }
        let replies = self.handle(args.data);
        self.lock().rx.extend(replies);
        self.queue.notify_all();
        Ok(args.data.len())
    }

    fn deliver_from_kernel(&self, data: Vec<u8>) -> Result<(), Errno> {
        self.lock().rx.push_back(data);
        self.queue.notify_all();
        Ok(())
    }

    fn recv(&self, args: RecvArgs) -> Result<Received, Errno> {
        let peek = args.flags & libc::MSG_PEEK != 0;
        let deadline = self.common.recv_deadline();
        block_until(&[&self.queue], deadline, || {
            let mut st = self.lock();
            let msg = if peek { st.rx.front().cloned() } else { st.rx.pop_front() };
            match msg {
                Some(m) => Some(Ok(Received {
                    full_len: m.len(),
                    flags: if m.len() > args.len { libc::MSG_TRUNC } else { 0 },
                    data: m[..args.len.min(m.len())].to_vec(),
                    addr: Some(sockaddr_nl(0, 0)),
                    ..Default::default()
                })),
                None if args.nonblock => Some(Err(Errno::EAGAIN)),
                None => None,
            }
        })
        .map_err(|e| if e == Errno::ETIMEDOUT { Errno::EAGAIN } else { e })
    }

    fn shutdown(&self, _how: i32) -> Result<(), Errno> {
        Ok(())
    }

    fn sockname(&self) -> Result<Vec<u8>, Errno> {
        let st = self.lock();
        Ok(sockaddr_nl(st.pid, st.groups))
    }

    fn peername(&self) -> Result<Vec<u8>, Errno> {
        Ok(sockaddr_nl(0, 0))
    }

    fn setsockopt(&self, level: i32, _name: i32, _val: &[u8]) -> Result<(), Errno> {
        if level == libc::SOL_NETLINK {
            return Ok(());
        }
        Err(Errno::ENOPROTOOPT)
    }

    fn getsockopt(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        match (level, name) {
            (libc::SOL_SOCKET, libc::SO_ERROR) => Ok(0i32.to_ne_bytes().to_vec()),
            (libc::SOL_NETLINK, _) => Ok(0i32.to_ne_bytes().to_vec()),
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    fn poll_ready(&self, events: i16) -> i16 {
        let mut r = libc::POLLOUT | libc::POLLWRNORM;
        if !self.lock().rx.is_empty() {
            r |= libc::POLLIN | libc::POLLRDNORM;
        }
        r & events
    }

    fn poll_queue(&self) -> &WaitQueue {
        &self.queue
    }

    fn nread(&self) -> usize {
        self.lock().rx.front().map(|m| m.len()).unwrap_or(0)
    }

    fn common(&self) -> &CommonOpts {
        &self.common
    }

    fn stack(&self) -> Option<&Arc<super::stack::IpStack>> {
        Some(&self.net.ip)
    }
}
