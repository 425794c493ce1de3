//! unix_diag: AF_UNIX sockets (unix_diag.h).
//!
//! A request is a `struct unix_diag_req` (24 bytes): the states to list,
//! an inode and cookie for a lookup, and `udiag_show`, which attributes
//! each `struct unix_diag_msg` (16 bytes) carries: UNIX_DIAG_NAME,
//! UNIX_DIAG_PEER, UNIX_DIAG_ICONS, UNIX_DIAG_RQLEN, UNIX_DIAG_MEMINFO,
//! UNIX_DIAG_UID; UNIX_DIAG_SHUTDOWN always. UDIAG_SHOW_VFS gives nothing
//! (the socket node's inode is not kept with the socket). Sockets waiting
//! in an accept queue are not listed, as in Linux; the cookie of a socket
//! is its inode number.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::super::netlink::{done_msg_with, Msg, NLM_F_MULTI};
use super::super::unix::{Endpoint, Role};
use super::super::NetStack;
use super::{check_cookie, cookie_at, put_cookie, u32_at, Header, Reply, SOCK_DIAG_BY_FAMILY};

/// sizeof(struct unix_diag_req).
const REQ_LEN: usize = 24;

const UDIAG_SHOW_NAME: u32 = 0x1;
const UDIAG_SHOW_PEER: u32 = 0x4;
const UDIAG_SHOW_ICONS: u32 = 0x8;
const UDIAG_SHOW_RQLEN: u32 = 0x10;
const UDIAG_SHOW_MEMINFO: u32 = 0x20;
const UDIAG_SHOW_UID: u32 = 0x40;

const UNIX_DIAG_NAME: u16 = 0;
const UNIX_DIAG_PEER: u16 = 2;
const UNIX_DIAG_ICONS: u16 = 3;
const UNIX_DIAG_RQLEN: u16 = 4;
const UNIX_DIAG_MEMINFO: u16 = 5;
const UNIX_DIAG_SHUTDOWN: u16 = 6;
const UNIX_DIAG_UID: u16 = 7;

/// Answers an AF_UNIX SOCK_DIAG_BY_FAMILY request.
pub(super) fn request(net: &NetStack, body: &[u8], h: Header) -> Reply {
    if body.len() < REQ_LEN {
        return Err(libc::EINVAL);
    }
    let states = u32_at(body, 4);
    let ino = u64::from(u32_at(body, 8));
    let show = u32_at(body, 12);
    let cookie = cookie_at(body, 16);
    let socks = net.unix.sockets();
    if !h.dump() {
        let ep = socks.iter().find(|e| e.ino == ino).ok_or(libc::ENOENT)?;
        check_cookie(cookie, ep.ino)?;
        return Ok(vec![message(ep, show, h, 0)]);
    }
    let mut out = Vec::new();
    for ep in &socks {
        if states & (1 << ep.lock().sk_state()) != 0 {
            out.push(message(ep, show, h, NLM_F_MULTI));
        }
    }
    out.push(done_msg_with(h.seq, h.pid, 0));
    Ok(out)
}

/// The inode a peer shows: none until accepted (Linux's embryos have none).
fn shown_ino(ep: &Endpoint) -> u32 {
    if ep.lock().embryo {
        0
    } else {
        ep.ino as u32
    }
}

/// One socket's unix_diag_msg and attributes. Endpoints are locked one at
/// a time (the endpoint lock rule).
fn message(ep: &Arc<Endpoint>, show: u32, h: Header, flags: u16) -> Vec<u8> {
    let (state, name, peer, rx_len, first_len, pending, backlog, shutdown) = {
        let st = ep.lock();
        let (pending, backlog) = match &st.role {
            Role::Listening { pending, backlog } => (pending.iter().cloned().collect::<Vec<_>>(), *backlog),
            _ => (Vec::new(), 0),
        };
        let first = st.rx.front().map_or(0, |m| m.data.len() - m.off);
        let shutdown = u8::from(st.rd_shut) | (u8::from(st.wr_shut) << 1);
        (st.sk_state(), st.name.encode(), st.peer.clone(), st.rx_bytes, first, pending, backlog, shutdown)
    };
    let mut m = Msg::new(SOCK_DIAG_BY_FAMILY, flags, h.seq, h.pid);
    let mut b = vec![libc::AF_UNIX as u8, ep.kind as u8, state, 0];
    b.extend_from_slice(&(ep.ino as u32).to_ne_bytes());
    put_cookie(&mut b, ep.ino);
    m.put(&b);
    if show & UDIAG_SHOW_NAME != 0 && name.len() > 2 {
        m.attr(UNIX_DIAG_NAME, &name[2..]);
    }
    if show & UDIAG_SHOW_PEER != 0 {
        if let Some(p) = &peer {
            m.attr(UNIX_DIAG_PEER, &shown_ino(p).to_ne_bytes());
        }
    }
    if show & UDIAG_SHOW_ICONS != 0 && state == 10 {
        // The clients waiting to be accepted, by inode.
        let mut v = Vec::new();
        for srv in &pending {
            let client = srv.lock().peer.clone();
            v.extend_from_slice(&client.map_or(0, |c| c.ino as u32).to_ne_bytes());
        }
        m.attr(UNIX_DIAG_ICONS, &v);
    }
    // What our queued messages take wherever they wait (sk_wmem_alloc:
    // Linux's unix_outq_len and SK_MEMINFO_WMEM_ALLOC).
    let wmem = ep.wmem();
    if show & UDIAG_SHOW_RQLEN != 0 {
        let (rq, wq) = if state == 10 {
            (pending.len(), backlog)
        } else if ep.connection_oriented() {
            (rx_len, wmem)
        } else {
            (first_len, wmem)
        };
        let mut v = (rq as u32).to_ne_bytes().to_vec();
        v.extend_from_slice(&(wq as u32).to_ne_bytes());
        m.attr(UNIX_DIAG_RQLEN, &v);
    }
    if show & UDIAG_SHOW_MEMINFO != 0 {
        // rmem_alloc, rcvbuf, wmem_alloc, sndbuf, fwd_alloc, wmem_queued, optmem, backlog, drops.
        let rcvbuf = ep.common.rcvbuf.load(Ordering::Relaxed) as u32;
        let sndbuf = ep.common.sndbuf.load(Ordering::Relaxed) as u32;
        let mut v = Vec::new();
        // A unix socket's receive side is charged to the senders (rmem 0).
        for x in [0, rcvbuf, wmem as u32, sndbuf, 0, 0, 0, 0, 0] {
            v.extend_from_slice(&x.to_ne_bytes());
        }
        m.attr(UNIX_DIAG_MEMINFO, &v);
    }
    m.attr(UNIX_DIAG_SHUTDOWN, &[shutdown]);
    if show & UDIAG_SHOW_UID != 0 {
        m.attr(UNIX_DIAG_UID, &ep.uid.to_ne_bytes());
    }
    m.done()
}
