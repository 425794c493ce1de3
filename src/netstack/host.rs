//! `--network=host`: AF_INET/AF_INET6 sockets are host sockets owned by
//! the sentry (the seed's hostinet). Each is kept non-blocking on the host;
//! blocking calls wait in the sentry, polling the host descriptor in short
//! slices so a signal ends the wait (ERESTARTSYS). Addresses and options
//! pass through unchanged: the host kernel checks them.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::socket::{CommonOpts, Cx, Received, RecvArgs, SendArgs, Socket};
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::wait::WaitQueue;

/// The most one receive copies (datagrams are far smaller).
const MAX_RECV: usize = 4 << 20;

/// How long one host poll waits before checking for signals.
const SLICE_MS: i32 = 20;

/// A host socket.
pub struct HostSocket {
    fd: OwnedFd,
    domain: i32,
    kind: i32,
    protocol: i32,
    common: CommonOpts,
    /// Never notified: readiness comes from the host (`poll_host_fd`).
    queue: WaitQueue,
}

/// The result of a libc call returning -1 on error.
fn check(r: isize) -> Result<usize, Errno> {
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as usize)
    }
}

impl HostSocket {
    /// `socket(2)` on the host.
    pub fn create(domain: i32, kind: i32, protocol: i32) -> Result<HostSocket, Errno> {
        // SAFETY: socket(2) with plain integer arguments.
        let fd = unsafe { libc::socket(domain, kind | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, protocol) };
        let fd = check(fd as isize)? as RawFd;
        // SAFETY: fd was just returned by socket(2) and is owned by nobody else.
        Ok(HostSocket::wrap(unsafe { OwnedFd::from_raw_fd(fd) }, domain, kind, protocol))
    }

    fn wrap(fd: OwnedFd, domain: i32, kind: i32, protocol: i32) -> HostSocket {
        HostSocket {
            fd,
            domain,
            kind,
            protocol,
            common: CommonOpts::new(212_992, 212_992),
            queue: WaitQueue::default(),
        }
    }

    fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Waits until the host socket is ready for `events`.
    fn wait(&self, events: i16, deadline: Option<std::time::Instant>) -> Result<(), Errno> {
        let current = crate::kernel::wait::current();
        loop {
            let mut p = libc::pollfd { fd: self.raw(), events, revents: 0 };
            // SAFETY: poll on one pollfd of ours.
            let n = unsafe { libc::poll(&mut p, 1, SLICE_MS) };
            if n > 0 {
                return Ok(());
            }
            if current.as_ref().is_some_and(|c| c.interrupted()) {
                return Err(Errno::ERESTARTSYS);
            }
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                return Err(Errno::EAGAIN);
            }
        }
    }

    /// Runs `op` until it stops saying EAGAIN, waiting for `events` between tries.
    fn retry<T>(
        &self,
        events: i16,
        nonblock: bool,
        deadline: Option<std::time::Instant>,
        mut op: impl FnMut() -> Result<T, Errno>,
    ) -> Result<T, Errno> {
        loop {
            match op() {
                Err(Errno::EAGAIN) if !nonblock => self.wait(events, deadline)?,
                r => return r,
            }
        }
    }

    fn name_call(
        &self,
        f: unsafe extern "C" fn(i32, *mut libc::sockaddr, *mut libc::socklen_t) -> i32,
    ) -> Result<Vec<u8>, Errno> {
        let mut buf = [0u8; 128];
        let mut len = buf.len() as libc::socklen_t;
        // SAFETY: the buffer is 128 bytes and len says so; the host writes at most len bytes.
        check(unsafe { f(self.raw(), buf.as_mut_ptr().cast(), &mut len) } as isize)?;
        Ok(buf[..(len as usize).min(buf.len())].to_vec())
    }
}

impl Socket for HostSocket {
    fn domain(&self) -> i32 {
        self.domain
    }

    fn kind(&self) -> i32 {
        self.kind
    }

    fn protocol(&self) -> i32 {
        self.protocol
    }

    fn bind(&self, _cx: &Cx, raw: &[u8]) -> Result<(), Errno> {
        // SAFETY: raw is a live buffer of raw.len() bytes.
        check(unsafe { libc::bind(self.raw(), raw.as_ptr().cast(), raw.len() as u32) } as isize).map(|_| ())
    }

    fn listen(&self, backlog: i32) -> Result<(), Errno> {
        // SAFETY: listen(2) on our descriptor.
        check(unsafe { libc::listen(self.raw(), backlog) } as isize).map(|_| ())
    }

    fn listening(&self) -> bool {
        self.getsockopt(libc::SOL_SOCKET, libc::SO_ACCEPTCONN).is_ok_and(|v| v.first().is_some_and(|&b| b != 0))
    }

    fn accept(&self, nonblock: bool) -> Result<(Box<dyn Socket>, Vec<u8>), Errno> {
        let deadline = self.common.recv_deadline();
        let (fd, addr) = self.retry(libc::POLLIN, nonblock, deadline, || {
            let mut buf = [0u8; 128];
            let mut len = buf.len() as libc::socklen_t;
            // SAFETY: the buffer is 128 bytes and len says so.
            let fd = unsafe {
                libc::accept4(self.raw(), buf.as_mut_ptr().cast(), &mut len, libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)
            };
            let fd = check(fd as isize)? as RawFd;
            Ok((fd, buf[..(len as usize).min(128)].to_vec()))
        })?;
        // SAFETY: fd was just returned by accept4 and is owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok((Box::new(HostSocket::wrap(owned, self.domain, self.kind, self.protocol)), addr))
    }

    fn connect(&self, _cx: &Cx, raw: &[u8], nonblock: bool) -> Result<(), Errno> {
        // SAFETY: raw is a live buffer of raw.len() bytes.
        let r = check(unsafe { libc::connect(self.raw(), raw.as_ptr().cast(), raw.len() as u32) } as isize);
        match r {
            Err(Errno::EINPROGRESS) if !nonblock => {
                self.wait(libc::POLLOUT, self.common.send_deadline())?;
                let e = self.getsockopt(libc::SOL_SOCKET, libc::SO_ERROR)?;
                match i32::from_ne_bytes([e[0], e[1], e[2], e[3]]) {
                    0 => Ok(()),
                    n => Err(Errno(n)),
                }
            }
            r => r.map(|_| ()),
        }
    }

    fn send(&self, _cx: &Cx, args: SendArgs) -> Result<usize, Errno> {
        let (name, namelen) = match args.addr {
            Some(a) if !a.is_empty() => (a.as_ptr(), a.len() as u32),
            _ => (std::ptr::null(), 0),
        };
        let flags = (args.flags | libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) & !libc::MSG_CMSG_CLOEXEC;
        let deadline = self.common.send_deadline();
        let mut sent = 0;
        loop {
            let rest = &args.data[sent..];
            let r = self.retry(libc::POLLOUT, args.nonblock, deadline, || {
                // SAFETY: rest and name are live buffers of the lengths given.
                check(unsafe {
                    libc::sendto(self.raw(), rest.as_ptr().cast(), rest.len(), flags, name.cast(), namelen)
                })
            });
            match r {
                Ok(n) => sent += n,
                Err(_) if sent > 0 => return Ok(sent),
                Err(e) => return Err(e),
            }
            if sent >= args.data.len() || self.kind != libc::SOCK_STREAM || args.nonblock {
                return Ok(sent);
            }
        }
    }

    fn recv(&self, args: RecvArgs) -> Result<Received, Errno> {
        // Bounded: a huge buffer gets a short read, as from a stream anyway.
        let mut data = vec![0u8; args.len.min(MAX_RECV)];
        let mut name = [0u8; 128];
        let flags = (args.flags | libc::MSG_DONTWAIT) & !(libc::MSG_WAITALL | libc::MSG_CMSG_CLOEXEC);
        let deadline = self.common.recv_deadline();
        let (n, namelen, mflags) = self.retry(libc::POLLIN, args.nonblock, deadline, || {
            let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() };
            // SAFETY: an all-zero msghdr is valid; the pointers set below are live buffers.
            let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
            msg.msg_name = name.as_mut_ptr().cast();
            msg.msg_namelen = name.len() as u32;
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            // SAFETY: msg points at our iovec and name buffer.
            let n = check(unsafe { libc::recvmsg(self.raw(), &mut msg, flags) })?;
            Ok((n, msg.msg_namelen as usize, msg.msg_flags))
        })?;
        let full = n;
        data.truncate(n.min(data.len()));
        Ok(Received {
            data,
            full_len: full,
            addr: (namelen > 0).then(|| name[..namelen.min(128)].to_vec()),
            flags: mflags & (libc::MSG_TRUNC | libc::MSG_CTRUNC | libc::MSG_EOR),
            ..Default::default()
        })
    }

    fn shutdown(&self, how: i32) -> Result<(), Errno> {
        // SAFETY: shutdown(2) on our descriptor.
        check(unsafe { libc::shutdown(self.raw(), how) } as isize).map(|_| ())
    }

    fn sockname(&self) -> Result<Vec<u8>, Errno> {
        self.name_call(libc::getsockname)
    }

    fn peername(&self) -> Result<Vec<u8>, Errno> {
        self.name_call(libc::getpeername)
    }

    fn setsockopt(&self, level: i32, name: i32, val: &[u8]) -> Result<(), Errno> {
        if level == libc::SOL_SOCKET && matches!(name, libc::SO_RCVTIMEO | libc::SO_SNDTIMEO) {
            return self.common.set(name, val).unwrap_or(Err(Errno::EINVAL));
        }
        // SAFETY: val is a live buffer of val.len() bytes.
        check(unsafe { libc::setsockopt(self.raw(), level, name, val.as_ptr().cast(), val.len() as u32) } as isize)
            .map(|_| ())
    }

    fn getsockopt(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        if level == libc::SOL_SOCKET && matches!(name, libc::SO_RCVTIMEO | libc::SO_SNDTIMEO) {
            return self.common.get(name).ok_or(Errno::ENOPROTOOPT);
        }
        let mut buf = vec![0u8; 512];
        let mut len = buf.len() as libc::socklen_t;
        // SAFETY: buf has len bytes; the host writes at most len.
        check(unsafe { libc::getsockopt(self.raw(), level, name, buf.as_mut_ptr().cast(), &mut len) } as isize)?;
        buf.truncate(len as usize);
        Ok(buf)
    }

    fn poll_ready(&self, events: i16) -> i16 {
        let mut p = libc::pollfd { fd: self.raw(), events, revents: 0 };
        // SAFETY: poll on one pollfd of ours, no wait.
        let n = unsafe { libc::poll(&mut p, 1, 0) };
        if n > 0 {
            p.revents
        } else {
            0
        }
    }

    fn poll_queue(&self) -> &WaitQueue {
        &self.queue
    }

    fn poll_host_fd(&self) -> Option<RawFd> {
        Some(self.raw())
    }

    fn nread(&self) -> usize {
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int into our local.
        let _ = unsafe { libc::ioctl(self.raw(), libc::FIONREAD, &mut n) };
        n.max(0) as usize
    }

    fn ioctl(&self, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        match req {
            libc::SIOCGIFCONF => {
                let mut ifc = [0u8; 16];
                mem.read_bytes(arg, &mut ifc)?;
                let len = i32::from_ne_bytes([ifc[0], ifc[1], ifc[2], ifc[3]]).clamp(0, 1 << 16);
                let ubuf = u64::from_ne_bytes(ifc[8..16].try_into().unwrap_or_default());
                let mut buf = vec![0u8; len as usize];
                // SAFETY: an all-zero ifconf is valid; we point it at our buffer.
                let mut hc: libc::ifconf = unsafe { std::mem::zeroed() };
                hc.ifc_len = if ubuf == 0 { 0 } else { len };
                hc.ifc_ifcu.ifcu_buf = if ubuf == 0 { std::ptr::null_mut() } else { buf.as_mut_ptr().cast() };
                // SAFETY: SIOCGIFCONF writes at most ifc_len bytes into our buffer.
                check(unsafe { libc::ioctl(self.raw(), libc::SIOCGIFCONF, &mut hc) } as isize)?;
                if ubuf != 0 {
                    mem.write_bytes(ubuf, &buf[..hc.ifc_len as usize])?;
                }
                mem.write_u32(arg, hc.ifc_len as u32)?;
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
            | libc::SIOCGIFTXQLEN => {
                let mut r = [0u8; 40];
                mem.read_bytes(arg, &mut r)?;
                // SAFETY: these requests read and write one 40-byte ifreq.
                check(unsafe { libc::ioctl(self.raw(), req, r.as_mut_ptr()) } as isize)?;
                mem.write_bytes(arg, &r)?;
                Ok(0)
            }
            // The host socket's last packet time (SIOCGSTAMP, SIOCGSTAMPNS
            // and their _NEW twins, one layout on x86_64).
            r if super::socket::stamp_request(r).is_some() => {
                let mut t = [0u8; 16];
                // SAFETY: these requests write one 16-byte timeval/timespec.
                check(unsafe { libc::ioctl(self.raw(), req, t.as_mut_ptr()) } as isize)?;
                mem.write_bytes(arg, &t)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn common(&self) -> &CommonOpts {
        &self.common
    }
}
