//! The `Socket` face of an AF_UNIX endpoint.

use std::sync::Arc;

use crate::kernel::errno::Errno;
use crate::kernel::wait::WaitQueue;
use crate::netstack::addr::{self, UnixAddr};
use crate::netstack::socket::{CommonOpts, Cx, Received, RecvArgs, SendArgs, Socket, Ucred};
use crate::netstack::NetStack;

use super::endpoint::{Endpoint, Msg, Role};
use super::skb::STREAM_SKB_MAX;
use super::{display_key, make_node, path_key, Key};

/// An AF_UNIX socket. Dropping it (its last descriptor closed) closes the
/// endpoint.
pub struct UnixSocket {
    net: Arc<NetStack>,
    /// The shared state.
    pub ep: Arc<Endpoint>,
}

impl UnixSocket {
    /// A fresh socket of `kind`.
    pub fn new(net: &Arc<NetStack>, kind: i32) -> UnixSocket {
        let ep = Endpoint::new(kind);
        net.unix.track(&ep);
        UnixSocket { net: net.clone(), ep }
    }

    /// The endpoint a connect or sendto names.
    fn lookup(&self, cx: &Cx, raw: &[u8]) -> Result<Arc<Endpoint>, Errno> {
        let key = match UnixAddr::parse(raw)? {
            None => return Err(Errno::EINVAL),
            Some(UnixAddr::Path(p)) => path_key(cx, &p, true)?.0,
            Some(UnixAddr::Abstract(n)) => Key::Abstract(n),
            Some(UnixAddr::Unnamed) => return Err(Errno::EINVAL),
        };
        self.net.unix.get(&key).ok_or(Errno::ECONNREFUSED)
    }
}

impl Drop for UnixSocket {
    fn drop(&mut self) {
        self.ep.close(&self.net.unix);
    }
}

impl Socket for UnixSocket {
    fn domain(&self) -> i32 {
        libc::AF_UNIX
    }

    fn kind(&self) -> i32 {
        self.ep.kind
    }

    fn protocol(&self) -> i32 {
        0
    }

    fn bind(&self, cx: &Cx, raw: &[u8]) -> Result<(), Errno> {
        let parsed = UnixAddr::parse(raw)?;
        if self.ep.lock().key.is_some() {
            return Err(Errno::EINVAL);
        }
        let (key, name) = match parsed {
            None => {
                let n = self.net.unix.auto_name();
                (Key::Abstract(n.clone()), UnixAddr::Abstract(n))
            }
            Some(UnixAddr::Path(p)) => {
                let (key, exists) = path_key(cx, &p, false)?;
                if exists {
                    return Err(Errno::EADDRINUSE);
                }
                (key, UnixAddr::Path(p))
            }
            Some(UnixAddr::Abstract(n)) => (Key::Abstract(n.clone()), UnixAddr::Abstract(n)),
            Some(UnixAddr::Unnamed) => return Err(Errno::EINVAL),
        };
        self.net.unix.insert(key.clone(), &self.ep)?;
        if let (Key::Path(canonical), Some(vfs)) = (&key, cx.vfs()) {
            if let Err(e) = make_node(&vfs, canonical, libc::S_IFSOCK | (0o777 & !cx.umask)) {
                self.net.unix.remove(&key, Arc::as_ptr(&self.ep));
                return Err(e);
            }
        }
        let mut st = self.ep.lock();
        st.key = Some(key);
        st.name = name;
        Ok(())
    }

    fn listen(&self, backlog: i32) -> Result<(), Errno> {
        if self.ep.kind == libc::SOCK_DGRAM {
            return Err(Errno::EOPNOTSUPP);
        }
        // listen(2) capped it at the namespace's somaxconn.
        let backlog = backlog.max(0) as usize;
        let mut st = self.ep.lock();
        if st.key.is_none() {
            return Err(Errno::EINVAL);
        }
        match &mut st.role {
            Role::Connected => return Err(Errno::EINVAL),
            Role::Listening { backlog: b, .. } => *b = backlog,
            Role::Idle => {
                st.role = Role::Listening { backlog, pending: Default::default() };
                st.listen_cred = Ucred::current();
            }
        }
        drop(st);
        self.ep.queue.notify_all();
        Ok(())
    }

    fn listening(&self) -> bool {
        matches!(self.ep.lock().role, Role::Listening { .. })
    }

    fn accept(&self, nonblock: bool) -> Result<(Box<dyn Socket>, Vec<u8>), Errno> {
        if self.ep.kind == libc::SOCK_DGRAM {
            return Err(Errno::EOPNOTSUPP);
        }
        let srv = self.ep.accept(nonblock)?;
        // One endpoint lock at a time: take the peer, then ask its name.
        let peer = srv.lock().peer.clone();
        let peer_name = peer.map(|p| p.lock().name.encode()).unwrap_or_else(|| UnixAddr::Unnamed.encode());
        self.net.unix.track(&srv);
        Ok((Box::new(UnixSocket { net: self.net.clone(), ep: srv }), peer_name))
    }

    fn connect(&self, cx: &Cx, raw: &[u8], nonblock: bool) -> Result<(), Errno> {
        if self.ep.kind == libc::SOCK_DGRAM && addr::family(raw) == libc::AF_UNSPEC && raw.len() >= 2 {
            self.ep.lock().peer = None;
            return Ok(());
        }
        let target = self.lookup(cx, raw)?;
        if self.ep.kind != libc::SOCK_DGRAM {
            return self.ep.connect_to(&target, cx.creds.clone(), nonblock);
        }
        if target.kind != libc::SOCK_DGRAM {
            return Err(Errno::EPROTOTYPE);
        }
        {
            let mut ts = target.lock();
            if ts.closed {
                return Err(Errno::ECONNREFUSED);
            }
            ts.connected_to = true;
        }
        self.ep.lock().peer = Some(target);
        self.ep.queue.notify_all();
        Ok(())
    }

    fn send(&self, cx: &Cx, args: SendArgs) -> Result<usize, Errno> {
        if args.flags & libc::MSG_OOB != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let creds = args.creds.unwrap_or_else(|| cx.creds.clone());
        let deadline = self.ep.common.send_deadline();
        if self.ep.kind == libc::SOCK_DGRAM {
            let target = match args.addr {
                Some(raw) => self.lookup(cx, raw)?,
                None => self.ep.lock().peer.clone().ok_or(Errno::ENOTCONN)?,
            };
            if target.kind != libc::SOCK_DGRAM {
                return Err(Errno::EPROTOTYPE);
            }
            let from = self.ep.lock().name.clone();
            let msg = Msg::outgoing(args.data.to_vec(), args.rights, creds, from);
            return target.deliver(&self.ep, msg, args.nonblock, deadline);
        }
        let peer = {
            let st = self.ep.lock();
            let connected = matches!(st.role, Role::Connected);
            if args.addr.is_some() && self.ep.kind == libc::SOCK_STREAM {
                return Err(if connected { Errno::EISCONN } else { Errno::EOPNOTSUPP });
            }
            if !connected {
                return Err(Errno::ENOTCONN);
            }
            if st.wr_shut {
                return Err(Errno::EPIPE);
            }
            st.peer.clone().ok_or(Errno::EPIPE)?
        };
        let from = UnixAddr::Unnamed;
        if self.ep.kind == libc::SOCK_SEQPACKET {
            let msg = Msg::outgoing(args.data.to_vec(), args.rights, creds, from);
            return peer.deliver(&self.ep, msg, args.nonblock, deadline);
        }
        // One skb at a time (Endpoint::deliver takes what one carries).
        let mut sent = 0;
        let mut rights = Some(args.rights);
        while sent < args.data.len() {
            let end = (sent + STREAM_SKB_MAX).min(args.data.len());
            let msg = Msg::outgoing(
                args.data[sent..end].to_vec(),
                rights.take().unwrap_or_default(),
                creds.clone(),
                from.clone(),
            );
            match peer.deliver(&self.ep, msg, args.nonblock, deadline) {
                Ok(n) => sent += n,
                Err(_) if sent > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(sent)
    }

    fn recv(&self, args: RecvArgs) -> Result<Received, Errno> {
        if args.flags & libc::MSG_OOB != 0 {
            return Err(Errno::EINVAL);
        }
        let mut r = self.ep.receive(args)?;
        if !self.ep.common.passcred.load(std::sync::atomic::Ordering::Relaxed) {
            r.creds = None;
        }
        Ok(r)
    }

    fn shutdown(&self, how: i32) -> Result<(), Errno> {
        self.ep.shutdown(how)
    }

    fn sockname(&self) -> Result<Vec<u8>, Errno> {
        let st = self.ep.lock();
        Ok(match (&st.name, &st.key) {
            (UnixAddr::Unnamed, Some(k)) => display_key(k).encode(),
            (n, _) => n.encode(),
        })
    }

    fn peername(&self) -> Result<Vec<u8>, Errno> {
        let st = self.ep.lock();
        let connected = !self.ep.connection_oriented() || matches!(st.role, Role::Connected);
        match &st.peer {
            Some(p) if connected => {
                let p = p.clone();
                drop(st);
                let name = p.lock().name.encode();
                Ok(name)
            }
            _ => Err(Errno::ENOTCONN),
        }
    }

    fn setsockopt(&self, level: i32, _name: i32, _val: &[u8]) -> Result<(), Errno> {
        if level != libc::SOL_SOCKET {
            return Err(Errno::EOPNOTSUPP);
        }
        Err(Errno::ENOPROTOOPT)
    }

    fn getsockopt(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        if level != libc::SOL_SOCKET {
            return Err(Errno::EOPNOTSUPP);
        }
        match name {
            libc::SO_PEERCRED => {
                let c = self.ep.lock().peercred.clone().unwrap_or(Ucred::anonymous(u32::MAX, u32::MAX));
                Ok(c.to_bytes().to_vec())
            }
            libc::SO_ERROR => {
                let e = self.ep.lock().error.take().map(|e| e.0).unwrap_or(0);
                Ok(e.to_ne_bytes().to_vec())
            }
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    fn poll_ready(&self, events: i16) -> i16 {
        self.ep.poll_ready(events)
    }

    fn poll_queue(&self) -> &WaitQueue {
        &self.ep.queue
    }

    fn nread(&self) -> usize {
        self.ep.nread()
    }

    fn nwrite(&self) -> usize {
        self.ep.wmem()
    }

    fn fasync_backlog(&self) -> usize {
        self.ep.lock().arrivals
    }

    fn common(&self) -> &CommonOpts {
        &self.ep.common
    }

    fn stack(&self) -> Option<&Arc<crate::netstack::stack::IpStack>> {
        Some(&self.net.ip)
    }

    fn ino(&self) -> Option<u64> {
        Some(self.ep.ino)
    }
}
