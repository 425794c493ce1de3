//! Socket messages: sendto, recvfrom, sendmsg, recvmsg, sendmmsg,
//! recvmmsg, with SCM_RIGHTS and SCM_CREDENTIALS control messages.

use std::sync::Arc;

use super::iovec::{read_iovecs, IOV_MAX};
use super::sys_socket::{cx, read_sockaddr, sock, socket_file, write_sockaddr};
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::vfs::file::OpenFile;
use crate::netstack::addr::SOCKADDR_MAX;
use crate::netstack::socket::{Cmsg, Received, RecvArgs, SendArgs, Socket, Ucred};

/// Linux caps one transfer at MAX_RW_COUNT.
const MAX_RW: u64 = 0x7fff_f000;
/// Stream sends are copied in and queued in chunks of this size.
const CHUNK: usize = 1 << 20;
/// Largest datagram copied in (bigger ones are EMSGSIZE at the socket).
const MAX_DGRAM: usize = 4 << 20;
/// SCM_MAX_FD.
const SCM_MAX_FD: usize = 253;
/// `sizeof(struct cmsghdr)`.
const CMSG_HDR: usize = 16;
/// `sizeof(struct msghdr)`.
const MSGHDR: u64 = 56;
/// `sizeof(struct mmsghdr)`.
const MMSGHDR: u64 = 64;

/// Raises SIGPIPE in the caller for EPIPE unless MSG_NOSIGNAL, as Linux does.
fn sigpipe(t: &Task, r: SysResult, flags: i32) -> SysResult {
    if r == Err(Errno::EPIPE) && flags & libc::MSG_NOSIGNAL == 0 {
        crate::kernel::signal::send::raise_sigpipe(t);
    }
    r
}

/// A decoded `struct msghdr`.
struct MsgHdr {
    name: u64,
    namelen: u32,
    iov: Vec<(u64, u64)>,
    control: u64,
    controllen: u64,
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_ne_bytes(b[o..o + 8].try_into().unwrap_or_default())
}

fn read_msghdr(t: &Task, addr: u64) -> Result<MsgHdr, Errno> {
    let mut b = [0u8; MSGHDR as usize];
    t.mem().read_bytes(addr, &mut b)?;
    let iovlen = u64_at(&b, 24);
    if iovlen > IOV_MAX {
        return Err(Errno::EMSGSIZE);
    }
    let iov = read_iovecs(t, u64_at(&b, 16), iovlen, true)?;
    Ok(MsgHdr {
        name: u64_at(&b, 0),
        namelen: u32::from_ne_bytes([b[8], b[9], b[10], b[11]]),
        iov,
        control: u64_at(&b, 32),
        controllen: u64_at(&b, 40),
    })
}

/// Gathers up to `max` bytes from the iovecs.
fn gather(t: &Task, iov: &[(u64, u64)], max: usize) -> Result<Vec<u8>, Errno> {
    let total: u64 = iov.iter().map(|v| v.1).sum();
    let mut out = Vec::with_capacity((total as usize).min(max));
    for &(base, len) in iov {
        let take = (len as usize).min(max - out.len());
        if take == 0 {
            continue;
        }
        let at = out.len();
        out.resize(at + take, 0);
        t.mem().read_bytes(base, &mut out[at..])?;
        if out.len() == max {
            break;
        }
    }
    Ok(out)
}

/// Scatters `data` over the iovecs.
fn scatter(t: &Task, iov: &[(u64, u64)], data: &[u8]) -> Result<(), Errno> {
    let mut off = 0;
    for &(base, len) in iov {
        if off == data.len() {
            break;
        }
        let n = (len as usize).min(data.len() - off);
        t.mem().write_bytes(base, &data[off..off + n])?;
        off += n;
    }
    Ok(())
}

/// How many of the first `len` bytes of the iovecs the caller can write.
fn writable_prefix(t: &Task, iov: &[(u64, u64)], len: u64) -> u64 {
    let mut ok = 0u64;
    for &(base, l) in iov {
        if ok >= len {
            break;
        }
        let want = l.min(len - ok);
        if want == 0 {
            continue;
        }
        let w = t.writable_extent(base, want);
        ok += w;
        if w < want {
            break;
        }
    }
    ok
}

/// Ancillary data to send.
#[derive(Default)]
struct Control {
    rights: Vec<Arc<OpenFile>>,
    creds: Option<Ucred>,
    /// Every message, for sockets other than AF_UNIX.
    cmsgs: Vec<Cmsg>,
}

/// Reads the control messages of a sendmsg: SCM_RIGHTS and SCM_CREDENTIALS
/// for a unix socket (`unix`), all of them unread for other kinds.
fn parse_control(t: &Task, addr: u64, len: u64, unix: bool) -> Result<Control, Errno> {
    let mut c = Control::default();
    if len == 0 {
        return Ok(c);
    }
    if len > 1 << 16 {
        return Err(Errno::ENOBUFS);
    }
    let mut b = vec![0u8; len as usize];
    t.mem().read_bytes(addr, &mut b)?;
    let mut off = 0;
    while off + CMSG_HDR <= b.len() {
        let clen = u64_at(&b, off) as usize;
        let level = i32::from_ne_bytes(b[off + 8..off + 12].try_into().unwrap_or_default());
        let kind = i32::from_ne_bytes(b[off + 12..off + 16].try_into().unwrap_or_default());
        if clen < CMSG_HDR || off + clen > b.len() {
            return Err(Errno::EINVAL);
        }
        let data = &b[off + CMSG_HDR..off + clen];
        if !unix {
            c.cmsgs.push(Cmsg { level, kind, data: data.to_vec() });
        } else if level == libc::SOL_SOCKET {
            match kind {
                libc::SCM_RIGHTS => {
                    let n = data.len() / 4;
                    if n + c.rights.len() > SCM_MAX_FD {
                        return Err(Errno::EINVAL);
                    }
                    for ch in data.chunks_exact(4) {
                        let fd = i32::from_ne_bytes([ch[0], ch[1], ch[2], ch[3]]);
                        c.rights.push(t.file(fd)?);
                    }
                }
                libc::SCM_CREDENTIALS => {
                    if data.len() < 12 {
                        return Err(Errno::EINVAL);
                    }
                    // The pid is a number of the sender's PID namespace.
                    let pid = i32::from_ne_bytes(data[..4].try_into().unwrap_or_default());
                    let uid = u32::from_ne_bytes(data[4..8].try_into().unwrap_or_default());
                    let gid = u32::from_ne_bytes(data[8..12].try_into().unwrap_or_default());
                    // Ids of the sender's user namespace (EINVAL unmapped).
                    let me = t.creds();
                    let uid = me.user_ns.uid_to_kernel(uid).ok_or(Errno::EINVAL)?;
                    let gid = me.user_ns.gid_to_kernel(gid).ok_or(Errno::EINVAL)?;
                    let root = me.is_root();
                    let uid_ok = root || [me.ruid, me.euid, me.suid].contains(&uid);
                    let gid_ok = root || [me.rgid, me.egid, me.sgid].contains(&gid);
                    if !(root || pid == t.tg.pid.vnr()) || !uid_ok || !gid_ok {
                        return Err(Errno::EPERM);
                    }
                    let pid = t.pidns().find(pid).ok_or(Errno::ESRCH)?;
                    c.creds = Some(Ucred { pid: Some(pid), uid, gid });
                }
                _ => return Err(Errno::EINVAL),
            }
        }
        off += clen.next_multiple_of(8);
    }
    Ok(c)
}

/// Sends `data` (already gathered) on a socket; stream sockets get it in
/// chunks so a large send is not all copied at once.
fn send_data(
    t: &Task,
    s: &dyn Socket,
    nonblock: bool,
    flags: i32,
    addr: Option<&[u8]>,
    data: &[u8],
    ctl: Control,
) -> SysResult {
    let args = SendArgs { data, addr, flags, nonblock, rights: ctl.rights, creds: ctl.creds, cmsgs: ctl.cmsgs };
    s.send(&cx(t), args).map(|n| n as u64)
}

/// Sends from user memory at (`iov`), copying a stream in chunks.
fn send_iov(
    t: &Task,
    s: &dyn Socket,
    nonblock: bool,
    flags: i32,
    addr: Option<&[u8]>,
    iov: &[(u64, u64)],
    ctl: Control,
) -> SysResult {
    let total: u64 = iov.iter().map(|v| v.1).sum::<u64>().min(MAX_RW);
    if s.kind() != libc::SOCK_STREAM || total as usize <= CHUNK {
        let max = if s.kind() == libc::SOCK_STREAM { CHUNK } else { MAX_DGRAM };
        if s.kind() != libc::SOCK_STREAM && total as usize > max {
            return Err(Errno::EMSGSIZE);
        }
        let data = gather(t, iov, max)?;
        return send_data(t, s, nonblock, flags, addr, &data, ctl);
    }
    // A big stream send: chunk by chunk.
    let mut sent = 0u64;
    let mut ctl = Some(ctl);
    let mut rest: Vec<(u64, u64)> = iov.to_vec();
    while sent < total {
        let data = match gather(t, &rest, CHUNK) {
            Ok(d) => d,
            Err(e) if sent == 0 => return Err(e),
            Err(_) => break,
        };
        let r = send_data(t, s, nonblock, flags, addr, &data, ctl.take().unwrap_or_default());
        let n = match r {
            Ok(n) => n,
            Err(e) if sent == 0 => return Err(e),
            Err(_) => break,
        };
        sent += n;
        // Drop the bytes sent from the front of the iovecs.
        let mut skip = n;
        while skip > 0 && !rest.is_empty() {
            if rest[0].1 <= skip {
                skip -= rest[0].1;
                rest.remove(0);
            } else {
                rest[0].0 += skip;
                rest[0].1 -= skip;
                skip = 0;
            }
        }
        if (n as usize) < data.len() {
            break;
        }
    }
    Ok(sent)
}

/// Receives into user memory; MSG_WAITALL keeps reading a stream until
/// the buffer is full, end of file, or an error after some data.
fn recv_into(s: &dyn Socket, nonblock: bool, flags: i32, len: usize) -> Result<Received, Errno> {
    let args = RecvArgs { len, flags, nonblock: nonblock || flags & libc::MSG_DONTWAIT != 0 };
    let mut r = s.recv(args)?;
    let waitall = flags & libc::MSG_WAITALL != 0 && flags & libc::MSG_PEEK == 0 && !args.nonblock;
    if waitall && s.kind() == libc::SOCK_STREAM {
        while r.data.len() < len && r.rights.is_empty() {
            match s.recv(RecvArgs { len: len - r.data.len(), ..args }) {
                Ok(more) if more.data.is_empty() => break,
                Ok(more) => {
                    r.data.extend_from_slice(&more.data);
                    r.full_len = r.data.len();
                    // TCP's timestamp is the last segment's.
                    if !more.cmsgs.is_empty() {
                        r.cmsgs = more.cmsgs;
                    }
                }
                Err(_) => break,
            }
        }
    }
    Ok(r)
}

/// Implements sendto(2) (and send(2) through libc).
pub fn sendto(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let flags = a[3] as i32;
    let addr = if a[4] != 0 { Some(read_sockaddr(t, a[4], a[5])?) } else { None };
    let nonblock = f.nonblocking() || flags & libc::MSG_DONTWAIT != 0;
    let len = a[2].min(MAX_RW);
    let r = send_iov(t, sock(&f), nonblock, flags, addr.as_deref(), &[(a[1], len)], Control::default());
    sigpipe(t, r, flags)
}

/// Implements recvfrom(2) (and recv(2) through libc).
pub fn recvfrom(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let flags = a[3] as i32;
    let len = a[2].min(MAX_RW);
    if a[5] != 0 && a[4] != 0 && (t.mem().read_u32(a[5])? as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    // Check the buffer before consuming data, as read(2) does.
    if len > 0 && t.writable_extent(a[1], len) == 0 {
        return Err(Errno::EFAULT);
    }
    let r = recv_into(sock(&f), f.nonblocking(), flags, len as usize)?;
    t.mem().write_bytes(a[1], &r.data)?;
    if let Some(addr) = &r.addr {
        write_sockaddr(t, a[4], a[5], addr)?;
    } else if a[4] != 0 && a[5] != 0 {
        t.mem().write_u32(a[5], 0)?;
    }
    Ok(if flags & libc::MSG_TRUNC != 0 { r.full_len } else { r.data.len() } as u64)
}

fn do_sendmsg(t: &Task, f: &OpenFile, hdr_addr: u64, flags: i32) -> SysResult {
    let h = read_msghdr(t, hdr_addr)?;
    // Linux clamps an over-long msg_namelen to sizeof(sockaddr_storage).
    let namelen = (h.namelen as usize).min(SOCKADDR_MAX) as u64;
    let addr = if h.name != 0 && namelen != 0 { Some(read_sockaddr(t, h.name, namelen)?) } else { None };
    let s = sock(f);
    let ctl = parse_control(t, h.control, h.controllen, s.domain() == libc::AF_UNIX)?;
    let nonblock = f.nonblocking() || flags & libc::MSG_DONTWAIT != 0;
    send_iov(t, s, nonblock, flags, addr.as_deref(), &h.iov, ctl)
}

/// Appends one control message as Linux's put_cmsg does: one that does not
/// fit is cut to the room left (MSG_CTRUNC), none at all if not even its
/// header fits.
fn put_cmsg(out: &mut Vec<u8>, room: usize, c: &Cmsg, truncated: &mut bool) {
    let left = room.saturating_sub(out.len());
    if left < CMSG_HDR {
        *truncated = true;
        return;
    }
    let full = CMSG_HDR + c.data.len();
    let len = full.min(left);
    *truncated |= len < full;
    let start = out.len();
    out.extend_from_slice(&(len as u64).to_ne_bytes());
    out.extend_from_slice(&c.level.to_ne_bytes());
    out.extend_from_slice(&c.kind.to_ne_bytes());
    out.extend_from_slice(&c.data[..len - CMSG_HDR]);
    out.resize(start + full.next_multiple_of(8).min(left), 0);
}

/// Writes received control messages; returns (bytes used, MSG_CTRUNC?).
fn write_control(t: &Task, h: &MsgHdr, r: &mut Received, flags: i32) -> Result<(u64, bool), Errno> {
    let mut out: Vec<u8> = Vec::new();
    let mut truncated = false;
    // A null msg_control has no room, whatever msg_controllen says.
    let room = if h.control == 0 { 0 } else { h.controllen as usize };
    let push = |out: &mut Vec<u8>, kind: i32, data: &[u8]| {
        let len = CMSG_HDR + data.len();
        out.extend_from_slice(&(len as u64).to_ne_bytes());
        out.extend_from_slice(&libc::SOL_SOCKET.to_ne_bytes());
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(8).min(room.max(out.len())), 0);
    };
    for c in &r.lead_cmsgs {
        put_cmsg(&mut out, room, c, &mut truncated);
    }
    if let Some(c) = &r.creds {
        if room >= out.len() + CMSG_HDR + 12 {
            push(&mut out, libc::SCM_CREDENTIALS, &c.to_bytes());
        } else {
            truncated = true;
        }
    }
    if !r.rights.is_empty() {
        let space = room.saturating_sub(out.len() + CMSG_HDR) / 4;
        let n = space.min(r.rights.len());
        if n < r.rights.len() {
            truncated = true;
        }
        let cloexec = flags & libc::MSG_CMSG_CLOEXEC != 0;
        let limit = t.rlimit(libc::RLIMIT_NOFILE) as usize;
        let mut fds = Vec::new();
        for file in r.rights.drain(..n) {
            match t.tg.fds.install(file, cloexec, 0, limit) {
                Ok(fd) => fds.extend_from_slice(&fd.to_ne_bytes()),
                Err(_) => {
                    truncated = true;
                    break;
                }
            }
        }
        // Files that did not fit are closed (dropped), as Linux does.
        r.rights.clear();
        if !fds.is_empty() {
            push(&mut out, libc::SCM_RIGHTS, &fds);
        }
    }
    for c in &r.cmsgs {
        put_cmsg(&mut out, room, c, &mut truncated);
    }
    if !out.is_empty() {
        t.mem().write_bytes(h.control, &out)?;
    }
    Ok((out.len() as u64, truncated))
}

fn do_recvmsg(t: &Task, f: &OpenFile, hdr_addr: u64, flags: i32, nonblock_extra: bool) -> SysResult {
    let h = read_msghdr(t, hdr_addr)?;
    let len: u64 = h.iov.iter().map(|v| v.1).sum::<u64>().min(MAX_RW);
    // Check the buffers before consuming data, so a bad one loses nothing.
    let len = writable_prefix(t, &h.iov, len);
    if len == 0 && h.iov.iter().any(|v| v.1 > 0) {
        return Err(Errno::EFAULT);
    }
    let mut r = recv_into(sock(f), f.nonblocking() || nonblock_extra, flags, len as usize)?;
    scatter(t, &h.iov, &r.data)?;
    let namelen = match (&r.addr, h.name) {
        (Some(a), name) if name != 0 => {
            let n = (h.namelen as usize).min(a.len());
            t.mem().write_bytes(name, &a[..n])?;
            a.len() as u32
        }
        _ => 0,
    };
    t.mem().write_u32(hdr_addr + 8, namelen)?;
    let (used, ctrunc) = write_control(t, &h, &mut r, flags)?;
    t.mem().write_u64(hdr_addr + 40, used)?;
    let mut mflags = r.flags & (libc::MSG_TRUNC | libc::MSG_EOR | libc::MSG_ERRQUEUE);
    if ctrunc {
        mflags |= libc::MSG_CTRUNC;
    }
    if flags & libc::MSG_CMSG_CLOEXEC != 0 {
        mflags |= libc::MSG_CMSG_CLOEXEC;
    }
    t.mem().write_u32(hdr_addr + 48, mflags as u32)?;
    Ok(if flags & libc::MSG_TRUNC != 0 { r.full_len } else { r.data.len() } as u64)
}

/// Implements sendmsg(2).
pub fn sendmsg(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let flags = a[2] as i32;
    let r = do_sendmsg(t, &f, a[1], flags);
    sigpipe(t, r, flags)
}

/// Implements recvmsg(2).
pub fn recvmsg(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    do_recvmsg(t, &f, a[1], a[2] as i32, false)
}

/// Implements sendmmsg(2).
pub fn sendmmsg(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let (vec, n, flags) = (a[1], (a[2] as u32 as u64).min(IOV_MAX), a[3] as i32);
    let mut done = 0u64;
    while done < n {
        let at = vec + done * MMSGHDR;
        match do_sendmsg(t, &f, at, flags) {
            Ok(sent) => t.mem().write_u32(at + MSGHDR, sent as u32)?,
            Err(e) if done == 0 => return sigpipe(t, Err(e), flags),
            Err(_) => break,
        }
        done += 1;
    }
    Ok(done)
}

/// Implements recvmmsg(2). The timeout is checked between messages only.
pub fn recvmmsg(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let (vec, n, flags) = (a[1], (a[2] as u32 as u64).min(IOV_MAX), a[3] as i32);
    let deadline = if a[4] != 0 {
        let d = super::sys_futex::read_timespec(t, a[4])?;
        Some(std::time::Instant::now() + d)
    } else {
        None
    };
    let mut done = 0u64;
    while done < n {
        let at = vec + done * MMSGHDR;
        let nonblock = done > 0 && flags & libc::MSG_WAITFORONE != 0;
        match do_recvmsg(t, &f, at, flags & !libc::MSG_WAITFORONE, nonblock) {
            Ok(got) => t.mem().write_u32(at + MSGHDR, got as u32)?,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
        done += 1;
        if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            break;
        }
    }
    Ok(done)
}
