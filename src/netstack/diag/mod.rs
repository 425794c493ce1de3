//! NETLINK_SOCK_DIAG (sock_diag(7)): the socket dumps `ss` reads.
//!
//! SOCK_DIAG_BY_FAMILY requests for AF_INET and AF_INET6 (`inet.rs`:
//! inet_diag_req_v2, TCP and UDP, with the state filter and the bytecode
//! filter of `bytecode.rs`) and AF_UNIX (`unix.rs`: unix_diag_req), as dumps
//! (NLM_F_DUMP: one message per socket, then NLMSG_DONE) or a lookup of one
//! socket. Only the sandbox's own sockets exist to be listed: the sandbox is
//! one network namespace. Other families are ENOENT (Linux's answer when no
//! diag module serves the family), other protocols of inet end the dump
//! with ENOENT (`ss` then reads /proc/net instead), SOCK_DESTROY is
//! EOPNOTSUPP, and the pre-sock_diag TCPDIAG_GETSOCK/DCCPDIAG_GETSOCK
//! requests are EINVAL.

mod bytecode;
mod inet;
mod unix;

use super::netlink::{error_msg, NLM_F_ACK, NLM_F_DUMP};
use super::NetStack;

/// SOCK_DIAG_BY_FAMILY: both the request and every reply.
pub const SOCK_DIAG_BY_FAMILY: u16 = 20;
/// NLMSG_MIN_TYPE: smaller types are netlink's own control messages.
const NLMSG_MIN_TYPE: u16 = 16;
/// NLM_F_REQUEST.
const NLM_F_REQUEST: u16 = 1;
/// AF_MAX of Linux 6.x.
const AF_MAX: u8 = 46;
/// sizeof(struct nlmsghdr).
const NLMSG_HDR: usize = 16;

/// One request's header fields.
#[derive(Clone, Copy)]
pub(super) struct Header {
    pub flags: u16,
    pub seq: u32,
    /// The port id replies go to.
    pub pid: u32,
}

impl Header {
    fn dump(&self) -> bool {
        self.flags & NLM_F_DUMP != 0
    }
}

/// What a request produced: messages to queue, or an errno for an
/// NLMSG_ERROR.
pub(super) type Reply = Result<Vec<Vec<u8>>, i32>;

/// Answers every request in one sendmsg's data.
pub fn handle_all(net: &NetStack, data: &[u8], pid: u32) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + NLMSG_HDR <= data.len() {
        let len = u32::from_ne_bytes([data[off], data[off + 1], data[off + 2], data[off + 3]]) as usize;
        if len < NLMSG_HDR || off + len > data.len() {
            break;
        }
        let req = &data[off..off + len];
        let kind = u16::from_ne_bytes([req[4], req[5]]);
        let h = Header {
            flags: u16::from_ne_bytes([req[6], req[7]]),
            seq: u32::from_ne_bytes([req[8], req[9], req[10], req[11]]),
            pid,
        };
        // netlink_rcv_skb: no work for replies or control messages, only the ack asked for.
        let r =
            if h.flags & NLM_F_REQUEST == 0 || kind < NLMSG_MIN_TYPE { Ok(Vec::new()) } else { one(net, kind, req, h) };
        match r {
            Ok(msgs) => {
                let dumped = h.dump();
                out.extend(msgs);
                if h.flags & NLM_F_ACK != 0 && !dumped {
                    out.push(error_msg(req, 0, pid));
                }
            }
            Err(e) => out.push(error_msg(req, e, pid)),
        }
        off += len.next_multiple_of(4);
    }
    out
}

fn one(net: &NetStack, kind: u16, req: &[u8], h: Header) -> Reply {
    const SOCK_DESTROY: u16 = 21;
    match kind {
        SOCK_DIAG_BY_FAMILY | SOCK_DESTROY => {
            let Some(&family) = req.get(NLMSG_HDR) else { return Err(libc::EINVAL) };
            if req.len() < NLMSG_HDR + 2 || family >= AF_MAX {
                return Err(libc::EINVAL);
            }
            let body = &req[NLMSG_HDR..];
            match i32::from(family) {
                libc::AF_INET | libc::AF_INET6 | libc::AF_UNIX if kind == SOCK_DESTROY => Err(libc::EOPNOTSUPP),
                libc::AF_INET | libc::AF_INET6 => inet::request(net, body, h),
                libc::AF_UNIX => unix::request(net, body, h),
                _ => Err(libc::ENOENT),
            }
        }
        _ => Err(libc::EINVAL),
    }
}

/// Reads a native-endian u32 at `off`.
pub(super) fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4).map_or(0, |x| u32::from_ne_bytes([x[0], x[1], x[2], x[3]]))
}

/// The 64-bit cookie of a request (two u32s, low word first); all ones
/// means "any" (INET_DIAG_NOCOOKIE).
pub(super) fn cookie_at(b: &[u8], off: usize) -> u64 {
    u64::from(u32_at(b, off)) | (u64::from(u32_at(b, off + 4)) << 32)
}

/// The cookie as a reply carries it.
pub(super) fn put_cookie(out: &mut Vec<u8>, cookie: u64) {
    out.extend_from_slice(&(cookie as u32).to_ne_bytes());
    out.extend_from_slice(&((cookie >> 32) as u32).to_ne_bytes());
}

/// Linux's sock_diag_check_cookie: a lookup naming a socket by a stale
/// cookie is ESTALE.
pub(super) fn check_cookie(asked: u64, cookie: u64) -> Result<(), i32> {
    if asked != u64::MAX && asked != cookie {
        return Err(libc::ESTALE);
    }
    Ok(())
}

/// The netlink attributes after a request's fixed part, as (type, payload).
pub(super) fn attrs(b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + 4 <= b.len() {
        let len = u16::from_ne_bytes([b[off], b[off + 1]]) as usize;
        let kind = u16::from_ne_bytes([b[off + 2], b[off + 3]]) & 0x3fff;
        if len < 4 || off + len > b.len() {
            break;
        }
        out.push((kind, &b[off + 4..off + len]));
        off += len.next_multiple_of(4);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netstack::NetworkMode;

    /// A SOCK_DIAG_BY_FAMILY request with `body` after the header.
    fn request(flags: u16, body: &[u8]) -> Vec<u8> {
        let mut m = ((NLMSG_HDR + body.len()) as u32).to_ne_bytes().to_vec();
        m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        m.extend_from_slice(&flags.to_ne_bytes());
        m.extend_from_slice(&7u32.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(body);
        m
    }

    fn kind_and_errno(msg: &[u8]) -> (u16, i32) {
        (u16::from_ne_bytes([msg[4], msg[5]]), u32_at(msg, 16) as i32)
    }

    #[test]
    fn empty_dumps_end_with_done() {
        let net = NetStack::new(NetworkMode::None);
        let mut inet = vec![libc::AF_INET as u8, libc::IPPROTO_TCP as u8, 0, 0];
        inet.extend_from_slice(&u32::MAX.to_ne_bytes());
        inet.resize(56, 0);
        let out = handle_all(&net, &request(NLM_F_REQUEST | NLM_F_DUMP, &inet), 5);
        assert_eq!(out.len(), 1);
        assert_eq!(kind_and_errno(&out[0]), (3, 0));
        let mut unix = vec![libc::AF_UNIX as u8, 0, 0, 0];
        unix.extend_from_slice(&u32::MAX.to_ne_bytes());
        unix.resize(24, 0);
        let out = handle_all(&net, &request(NLM_F_REQUEST | NLM_F_DUMP, &unix), 5);
        assert_eq!(out.iter().map(|m| kind_and_errno(m)).collect::<Vec<_>>(), vec![(3, 0)]);
    }

    #[test]
    fn errors_as_linux() {
        let net = NetStack::new(NetworkMode::None);
        let dump = NLM_F_REQUEST | NLM_F_DUMP;
        // A family without a diag handler, one past AF_MAX, a short request.
        for (body, errno) in [(vec![libc::AF_PACKET as u8, 0], libc::ENOENT), (vec![AF_MAX, 0], libc::EINVAL)] {
            let out = handle_all(&net, &request(dump, &body), 5);
            assert_eq!(kind_and_errno(&out[0]), (2, -errno));
        }
        let out = handle_all(&net, &request(dump, &[libc::AF_INET as u8, 6, 0, 0]), 5);
        assert_eq!(kind_and_errno(&out[0]), (2, -libc::EINVAL));
        // UDP-Lite has no handler: the dump ends with ENOENT.
        let mut lite = vec![libc::AF_INET as u8, libc::IPPROTO_UDPLITE as u8, 0, 0];
        lite.resize(56, 0);
        let out = handle_all(&net, &request(dump, &lite), 5);
        assert_eq!(kind_and_errno(&out[0]), (3, -libc::ENOENT));
        // Looking up a socket that does not exist.
        let mut one = vec![libc::AF_INET as u8, libc::IPPROTO_TCP as u8, 0, 0];
        one.resize(56, 0);
        let out = handle_all(&net, &request(NLM_F_REQUEST, &one), 5);
        assert_eq!(kind_and_errno(&out[0]), (2, -libc::ENOENT));
    }
}
