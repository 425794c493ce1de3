//! Sockets: socket, socketpair, bind, listen, accept, accept4, connect,
//! shutdown, getsockname, getpeername, setsockopt, getsockopt. The
//! message calls are in `sys_msg`. Sockets themselves live in `netstack`.

use std::sync::Arc;

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::vfs::file::OpenFile;
use crate::netstack::addr::SOCKADDR_MAX;
use crate::netstack::links;
use crate::netstack::socket::{Cx, Socket, SocketFile, Ucred};
use crate::netstack::stack::IpStack;

/// Linux's SOCK_MAX: types at or above it are EINVAL.
const SOCK_MAX: i32 = 11;
/// Longest option value copied in.
const OPT_MAX: usize = 4096;

fn nofile(t: &Task) -> usize {
    t.rlimit(libc::RLIMIT_NOFILE) as usize
}

/// The caller as sockets see it.
pub(super) fn cx(t: &Task) -> Cx<'_> {
    let c = t.creds();
    let umask = t.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).umask;
    Cx {
        kernel: Some(&t.kernel),
        cwd: t.cwd(),
        creds: Ucred { pid: Some(t.tg.pid.clone()), uid: c.euid, gid: c.egid },
        umask,
        vfs: Some(t.vfs()),
    }
}

/// The open file behind `fd`, which must be a socket (ENOTSOCK).
pub(super) fn socket_file(t: &Task, fd: i32) -> Result<Arc<OpenFile>, Errno> {
    let f = t.file(fd)?;
    SocketFile::of(&f)?;
    Ok(f)
}

/// The socket of an open file already checked by `socket_file`.
pub(super) fn sock(f: &OpenFile) -> &dyn Socket {
    match SocketFile::of(f) {
        Ok(s) => &*s.sock,
        Err(_) => unreachable!("socket_file checked the kind"),
    }
}

/// Copies in a sockaddr of `len` bytes (EINVAL above 128, as Linux).
pub(super) fn read_sockaddr(t: &Task, addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
    let len = len as u32 as i32;
    if len < 0 || len as usize > SOCKADDR_MAX {
        return Err(Errno::EINVAL);
    }
    let mut b = vec![0u8; len as usize];
    if len > 0 {
        t.mem().read_bytes(addr, &mut b)?;
    }
    Ok(b)
}

/// Copies out a sockaddr to `addr` whose length the caller gives and gets
/// back at `lenp` (truncated to the caller's room, as Linux).
pub(super) fn write_sockaddr(t: &Task, addr: u64, lenp: u64, bytes: &[u8]) -> Result<(), Errno> {
    if addr == 0 || lenp == 0 {
        return Ok(());
    }
    let room = t.mem().read_u32(lenp)? as i32;
    if room < 0 {
        return Err(Errno::EINVAL);
    }
    let n = (room as usize).min(bytes.len());
    t.mem().write_bytes(addr, &bytes[..n])?;
    t.mem().write_u32(lenp, bytes.len() as u32)
}

/// Installs a new socket file; the descriptor.
fn install(t: &Task, s: Box<dyn Socket>, flags: i32) -> Result<i32, Errno> {
    let status = if flags & libc::SOCK_NONBLOCK != 0 { libc::O_NONBLOCK as u32 } else { 0 };
    let f = SocketFile::open(s, status);
    t.tg.fds.install(f, flags & libc::SOCK_CLOEXEC != 0, 0, nofile(t))
}

/// Splits a socket type into (kind, flags) with Linux's checks.
fn split_type(domain: i32, ty: i32) -> Result<(i32, i32), Errno> {
    let flags = ty & !0xf;
    if flags & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    // AF_MAX (NPROTO) of current Linux.
    if !(0..46).contains(&domain) {
        return Err(Errno::EAFNOSUPPORT);
    }
    let kind = ty & 0xf;
    if kind >= SOCK_MAX {
        return Err(Errno::EINVAL);
    }
    Ok((kind, flags))
}

/// Implements socket(2).
pub fn socket(t: &mut Task, a: &Args) -> SysResult {
    let (domain, ty, protocol) = (a[0] as i32, a[1] as i32, a[2] as i32);
    let (kind, flags) = split_type(domain, ty)?;
    let s = t.shared.nsproxy().net.socket(domain, kind, protocol)?;
    install(t, s, flags).map(|fd| fd as u64)
}

/// Implements socketpair(2): AF_UNIX only, as in Linux.
pub fn socketpair(t: &mut Task, a: &Args) -> SysResult {
    let (domain, ty, protocol) = (a[0] as i32, a[1] as i32, a[2] as i32);
    let (kind, flags) = split_type(domain, ty)?;
    let (x, y) = match domain {
        libc::AF_UNIX => {
            let net = t.shared.nsproxy().net;
            crate::netstack::unix::socketpair(&net, kind, protocol, &cx(t))?
        }
        libc::AF_INET | libc::AF_INET6 => {
            // Checks the type and protocol first, as Linux's create does.
            t.shared.nsproxy().net.socket(domain, kind, protocol)?;
            return Err(Errno::EOPNOTSUPP);
        }
        _ => {
            t.shared.nsproxy().net.socket(domain, kind, protocol)?;
            return Err(Errno::EOPNOTSUPP);
        }
    };
    let fx = install(t, x, flags)?;
    let fy = match install(t, y, flags) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = t.tg.fds.remove(fx);
            return Err(e);
        }
    };
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&fx.to_ne_bytes());
    b[4..].copy_from_slice(&fy.to_ne_bytes());
    if let Err(e) = t.mem().write_bytes(a[3], &b) {
        let _ = t.tg.fds.remove(fx);
        let _ = t.tg.fds.remove(fy);
        return Err(e);
    }
    Ok(0)
}

/// Implements bind(2).
pub fn bind(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let raw = read_sockaddr(t, a[1], a[2])?;
    sock(&f).bind(&cx(t), &raw).map(|_| 0)
}

/// Implements listen(2).
pub fn listen(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let s = sock(&f);
    if s.kind() != libc::SOCK_STREAM && s.kind() != libc::SOCK_SEQPACKET {
        return Err(Errno::EOPNOTSUPP);
    }
    // The namespace's somaxconn caps the backlog, as Linux's __sys_listen
    // (the caller's namespace: the socket's in Linux; they differ only for
    // a socket carried into another namespace).
    let backlog = t.shared.nsproxy().net.ns.clamp_backlog(a[1] as i32);
    s.listen(backlog as i32).map(|_| 0)
}

fn do_accept(t: &mut Task, a: &Args, flags: i32) -> SysResult {
    if flags & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let f = socket_file(t, a[0] as i32)?;
    let s = sock(&f);
    if s.kind() != libc::SOCK_STREAM && s.kind() != libc::SOCK_SEQPACKET {
        return Err(Errno::EOPNOTSUPP);
    }
    if a[1] != 0 && a[2] != 0 && (t.mem().read_u32(a[2])? as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let (new, peer) = s.accept(f.nonblocking())?;
    let fd = install(t, new, flags)?;
    if let Err(e) = write_sockaddr(t, a[1], a[2], &peer) {
        let _ = t.tg.fds.remove(fd);
        return Err(e);
    }
    Ok(fd as u64)
}

/// Implements accept(2).
pub fn accept(t: &mut Task, a: &Args) -> SysResult {
    do_accept(t, a, 0)
}

/// Implements accept4(2).
pub fn accept4(t: &mut Task, a: &Args) -> SysResult {
    do_accept(t, a, a[3] as i32)
}

/// Implements connect(2).
pub fn connect(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let raw = read_sockaddr(t, a[1], a[2])?;
    sock(&f).connect(&cx(t), &raw, f.nonblocking()).map(|_| 0)
}

/// Implements shutdown(2).
pub fn shutdown(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let how = a[1] as i32;
    if !(libc::SHUT_RD..=libc::SHUT_RDWR).contains(&how) {
        return Err(Errno::EINVAL);
    }
    sock(&f).shutdown(how).map(|_| 0)
}

/// Implements getsockname(2).
pub fn getsockname(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let name = sock(&f).sockname()?;
    if a[2] == 0 {
        return Err(Errno::EFAULT);
    }
    write_sockaddr(t, a[1], a[2], &name).map(|_| 0)
}

/// Implements getpeername(2).
pub fn getpeername(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let name = sock(&f).peername()?;
    if a[2] == 0 {
        return Err(Errno::EFAULT);
    }
    write_sockaddr(t, a[1], a[2], &name).map(|_| 0)
}

/// Implements setsockopt(2): the socket's own options first, then the
/// SOL_SOCKET ones every socket keeps.
pub fn setsockopt(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let (level, name, len) = (a[1] as i32, a[2] as i32, a[4] as u32 as i32);
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let mut val = vec![0u8; (len as usize).min(OPT_MAX)];
    t.mem().read_bytes(a[3], &mut val)?;
    let s = sock(&f);
    if level == libc::SOL_SOCKET {
        match name {
            libc::SO_TYPE
            | libc::SO_DOMAIN
            | libc::SO_PROTOCOL
            | libc::SO_ACCEPTCONN
            | libc::SO_PEERCRED
            | libc::SO_ERROR
            | libc::SO_PEERNAME => return Err(Errno::ENOPROTOOPT),
            _ => {}
        }
    }
    match s.setsockopt(level, name, &val) {
        Err(Errno::ENOPROTOOPT) if level == libc::SOL_SOCKET => {
            if name == libc::SO_BINDTODEVICE {
                // An interface of the socket's network namespace.
                let dev = crate::netstack::socket::bind_dev_name(&val);
                if !dev.is_empty() && links::by_name(socket_stack(t, s).links(), &dev).is_none() {
                    return Err(Errno::ENODEV);
                }
            }
            match s.common().set(name, &val) {
                Some(r) => r.map(|_| 0),
                None => Err(Errno::ENOPROTOOPT),
            }
        }
        r => r.map(|_| 0),
    }
}

/// The IP stack of the namespace `s` was made in (the caller's for a host
/// socket).
fn socket_stack(t: &Task, s: &dyn Socket) -> Arc<IpStack> {
    s.stack().cloned().unwrap_or_else(|| t.shared.nsproxy().net.ip.clone())
}

/// Implements getsockopt(2).
pub fn getsockopt(t: &mut Task, a: &Args) -> SysResult {
    let f = socket_file(t, a[0] as i32)?;
    let (level, name) = (a[1] as i32, a[2] as i32);
    let room = t.mem().read_u32(a[4])? as i32;
    if room < 0 {
        return Err(Errno::EINVAL);
    }
    let s = sock(&f);
    let int = |v: i32| v.to_ne_bytes().to_vec();
    let val = match (level, name) {
        (libc::SOL_SOCKET, libc::SO_TYPE) => int(s.kind()),
        (libc::SOL_SOCKET, libc::SO_DOMAIN) => int(s.domain()),
        (libc::SOL_SOCKET, libc::SO_PROTOCOL) => int(s.protocol()),
        (libc::SOL_SOCKET, libc::SO_ACCEPTCONN) => int(s.listening() as i32),
        _ => match s.getsockopt(level, name) {
            Err(Errno::ENOPROTOOPT) if level == libc::SOL_SOCKET => match (name, s.common().get(name)) {
                (_, Some(v)) => v,
                (libc::SO_PEERCRED, None) => Ucred::anonymous(65534, 65534).to_bytes().to_vec(),
                (libc::SO_ERROR, None) => int(0),
                _ => return Err(Errno::ENOPROTOOPT),
            },
            r => r?,
        },
    };
    let n = (room as usize).min(val.len());
    t.mem().write_bytes(a[3], &val[..n])?;
    t.mem().write_u32(a[4], n as u32)?;
    Ok(0)
}
