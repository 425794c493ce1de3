//! inet_diag: AF_INET/AF_INET6 TCP and UDP sockets (inet_diag.h).
//!
//! A request is a `struct inet_diag_req_v2` (56 bytes) and attributes
//! (INET_DIAG_REQ_BYTECODE, INET_DIAG_REQ_PROTOCOL); every socket is one
//! `struct inet_diag_msg` (72 bytes) plus attributes: INET_DIAG_SHUTDOWN
//! always, INET_DIAG_SKV6ONLY for AF_INET6, and what `idiag_ext` asks for
//! among INET_DIAG_MEMINFO, INET_DIAG_SKMEMINFO, INET_DIAG_TOS and
//! INET_DIAG_TCLASS. INET_DIAG_INFO (tcp_info) is not sent: smoltcp does
//! not expose the figures it holds (RTT, windows, MSS), and an all-zero
//! tcp_info would claim values the connection does not have; Linux sends
//! none for protocols without it either (UDP), and `ss -i` then prints the
//! sockets alone.

use std::net::{IpAddr, SocketAddr};

use super::super::netlink::{done_msg_with, Msg, NLM_F_MULTI};
use super::super::stack::TCP_BUF;
use super::super::table::{self, InetRow, TCP_LISTEN};
use super::super::udp;
use super::super::NetStack;
use super::bytecode::{self, Entry};
use super::{attrs, check_cookie, cookie_at, put_cookie, u32_at, Header, Reply, SOCK_DIAG_BY_FAMILY};

/// sizeof(struct inet_diag_req_v2).
const REQ_LEN: usize = 56;
/// Request attributes.
const INET_DIAG_REQ_BYTECODE: u16 = 1;
const INET_DIAG_REQ_PROTOCOL: u16 = 3;
/// Reply attributes.
const INET_DIAG_MEMINFO: u16 = 1;
const INET_DIAG_TOS: u16 = 5;
const INET_DIAG_TCLASS: u16 = 6;
const INET_DIAG_SKMEMINFO: u16 = 7;
const INET_DIAG_SHUTDOWN: u16 = 8;
const INET_DIAG_SKV6ONLY: u16 = 11;

/// The fields of an inet_diag_req_v2 that select sockets.
struct Req<'a> {
    family: i32,
    protocol: i32,
    ext: u8,
    states: u32,
    sport: u16,
    dport: u16,
    src: [u8; 16],
    dst: [u8; 16],
    cookie: u64,
    bytecode: Option<&'a [u8]>,
}

fn parse(body: &[u8]) -> Result<Req<'_>, i32> {
    if body.len() < REQ_LEN {
        return Err(libc::EINVAL);
    }
    let mut r = Req {
        family: i32::from(body[0]),
        protocol: i32::from(body[1]),
        ext: body[2],
        states: u32_at(body, 4),
        sport: u16::from_be_bytes([body[8], body[9]]),
        dport: u16::from_be_bytes([body[10], body[11]]),
        src: body[12..28].try_into().unwrap_or_default(),
        dst: body[28..44].try_into().unwrap_or_default(),
        cookie: cookie_at(body, 48),
        bytecode: None,
    };
    for (kind, data) in attrs(&body[REQ_LEN..]) {
        match kind {
            INET_DIAG_REQ_BYTECODE => r.bytecode = Some(data),
            INET_DIAG_REQ_PROTOCOL if data.len() >= 4 => r.protocol = u32_at(data, 0) as i32,
            _ => {}
        }
    }
    Ok(r)
}

/// Answers an AF_INET/AF_INET6 SOCK_DIAG_BY_FAMILY request.
pub(super) fn request(net: &NetStack, body: &[u8], h: Header) -> Reply {
    let req = parse(body)?;
    if !h.dump() {
        return lookup(net, &req, h);
    }
    if let Some(bc) = req.bytecode {
        bytecode::audit(bc)?;
    }
    let rows = match req.protocol {
        libc::IPPROTO_TCP => table::tcp(net),
        libc::IPPROTO_UDP => table::udp(net),
        // No diag handler for the protocol: the dump ends with ENOENT.
        _ => return Ok(vec![done_msg_with(h.seq, h.pid, libc::ENOENT)]),
    };
    let mut out = Vec::new();
    for r in rows.iter().filter(|r| r.family() == req.family && req.states & (1 << r.state) != 0) {
        if (req.sport != 0 && req.sport != r.local.port()) || (req.dport != 0 && req.dport != r.remote.port()) {
            continue;
        }
        if let Some(bc) = req.bytecode {
            if !bytecode::run(bc, &entry(r)) {
                continue;
            }
        }
        out.push(message(r, req.ext, h, NLM_F_MULTI));
    }
    out.push(done_msg_with(h.seq, h.pid, 0));
    Ok(out)
}

/// One socket named by its addresses and ports (inet_diag_find_one_icsk).
fn lookup(net: &NetStack, req: &Req, h: Header) -> Reply {
    let rows = match req.protocol {
        libc::IPPROTO_TCP => table::tcp(net),
        libc::IPPROTO_UDP => table::udp(net),
        _ => return Err(libc::ENOENT),
    };
    let found = rows.iter().find(|r| {
        r.family() == req.family
            && r.local.port() == req.sport
            && r.remote.port() == req.dport
            && addr_bytes(r.local.ip()) == req.src
            && addr_bytes(r.remote.ip()) == req.dst
    });
    let r = found.ok_or(libc::ENOENT)?;
    check_cookie(req.cookie, r.meta.cookie)?;
    Ok(vec![message(r, req.ext, h, 0)])
}

/// An address as inet_diag_sockid carries it: four 32-bit words, an IPv4
/// address in the first.
fn addr_bytes(a: IpAddr) -> [u8; 16] {
    let mut b = [0u8; 16];
    match a {
        IpAddr::V4(v4) => b[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => b = v6.octets(),
    }
    b
}

fn entry(r: &InetRow) -> Entry {
    let words = |a: SocketAddr| addr_bytes(a.ip());
    Entry {
        family: r.family() as u8,
        src: words(r.local),
        dst: words(r.remote),
        sport: r.local.port(),
        dport: r.remote.port(),
        port_locked: r.meta.port_locked,
    }
}

/// The inet_diag_msg and attributes of one socket.
fn message(r: &InetRow, ext: u8, h: Header, flags: u16) -> Vec<u8> {
    let mut m = Msg::new(SOCK_DIAG_BY_FAMILY, flags, h.seq, h.pid);
    let mut b = Vec::with_capacity(72);
    b.extend_from_slice(&[r.family() as u8, r.state, 0, 0]);
    b.extend_from_slice(&r.local.port().to_be_bytes());
    b.extend_from_slice(&r.remote.port().to_be_bytes());
    b.extend_from_slice(&addr_bytes(r.local.ip()));
    b.extend_from_slice(&addr_bytes(r.remote.ip()));
    b.extend_from_slice(&0u32.to_ne_bytes()); // idiag_if
    put_cookie(&mut b, r.meta.cookie);
    // idiag_expires, rqueue, wqueue, uid, inode.
    for v in [0, r.rqueue, r.wqueue, r.meta.uid, r.meta.ino as u32] {
        b.extend_from_slice(&v.to_ne_bytes());
    }
    m.put(&b);
    m.attr(INET_DIAG_SHUTDOWN, &[r.meta.shutdown]);
    let wants = |attr: u16| ext & (1 << (attr - 1)) != 0;
    if wants(INET_DIAG_TOS) {
        m.attr(INET_DIAG_TOS, &[0]);
    }
    if r.family() == libc::AF_INET6 {
        if wants(INET_DIAG_TCLASS) {
            m.attr(INET_DIAG_TCLASS, &[0]);
        }
        m.attr(INET_DIAG_SKV6ONLY, &[u8::from(r.meta.v6only)]);
    }
    // Queues are counted in payload bytes (Linux counts buffer truesize).
    let (rbuf, tbuf) = if r.proto == libc::IPPROTO_TCP { (TCP_BUF, TCP_BUF) } else { (udp::BUF_BYTES, udp::BUF_BYTES) };
    let (rmem, wmem) = if r.state == TCP_LISTEN { (0, 0) } else { (r.rqueue, r.wqueue) };
    if wants(INET_DIAG_MEMINFO) {
        let mut v = Vec::new();
        for x in [rmem, wmem, 0, 0] {
            v.extend_from_slice(&x.to_ne_bytes());
        }
        m.attr(INET_DIAG_MEMINFO, &v);
    }
    if wants(INET_DIAG_SKMEMINFO) {
        // rmem_alloc, rcvbuf, wmem_alloc, sndbuf, fwd_alloc, wmem_queued, optmem, backlog, drops.
        let mut v = Vec::new();
        for x in [rmem, rbuf as u32, 0, tbuf as u32, 0, wmem, 0, 0, 0] {
            v.extend_from_slice(&x.to_ne_bytes());
        }
        m.attr(INET_DIAG_SKMEMINFO, &v);
    }
    m.done()
}
