//! AF_UNIX sockets, served entirely by the sentry: stream, datagram and
//! seqpacket; path names (a socket node in the sandbox VFS plus an entry
//! here keyed by the canonical path) and abstract names; SCM_RIGHTS,
//! SCM_CREDENTIALS and SO_PEERCRED.

mod endpoint;
mod skb;
mod socket;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use crate::kernel::errno::Errno;
use crate::kernel::vfs::Vfs;

use super::addr::UnixAddr;
use super::socket::{Cx, Socket};
use super::NetStack;
pub use endpoint::{Endpoint, Role};
pub use socket::UnixSocket;

/// A bound name: the canonical path of a path name, or an abstract name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Path(Vec<u8>),
    Abstract(Vec<u8>),
}

/// Name to endpoint; entries of closed sockets are dropped with them.
type Names = Mutex<HashMap<Key, Weak<Endpoint>>>;

/// The bound names and sockets of one network namespace.
#[derive(Default)]
pub struct Registry {
    /// Path names: one table for every network namespace, since a path
    /// name is found through the file system, which they do not split.
    paths: Arc<Names>,
    /// Abstract names: this namespace's own (Linux keys them by netns).
    names: Names,
    /// The next autobind name.
    next_auto: Mutex<u32>,
    /// Every socket made in this namespace (by socket, socketpair or
    /// accept), for sock_diag dumps; dead entries are pruned as new ones
    /// come, closed ones skipped.
    live: Mutex<Vec<Weak<Endpoint>>>,
}

impl Registry {
    /// The registry of a new network namespace: no abstract names or
    /// sockets of its own yet, the path names shared with this one.
    pub fn new_namespace(&self) -> Registry {
        Registry { paths: self.paths.clone(), ..Registry::default() }
    }

    /// The table `key` lives in, locked.
    fn lock(&self, key: &Key) -> std::sync::MutexGuard<'_, HashMap<Key, Weak<Endpoint>>> {
        let table = match key {
            Key::Path(_) => &*self.paths,
            Key::Abstract(_) => &self.names,
        };
        table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Binds `key` to `ep`; EADDRINUSE if a live socket holds it.
    pub fn insert(&self, key: Key, ep: &Arc<Endpoint>) -> Result<(), Errno> {
        let mut names = self.lock(&key);
        if names.get(&key).is_some_and(|w| w.strong_count() > 0) {
            return Err(Errno::EADDRINUSE);
        }
        names.insert(key, Arc::downgrade(ep));
        Ok(())
    }

    /// The endpoint bound to `key`.
    pub fn get(&self, key: &Key) -> Option<Arc<Endpoint>> {
        self.lock(key).get(key).and_then(Weak::upgrade)
    }

    /// Drops `key` if it still names `ep`.
    pub fn remove(&self, key: &Key, ep: *const Endpoint) {
        let mut names = self.lock(key);
        if names.get(key).is_some_and(|w| w.as_ptr() == ep || w.strong_count() == 0) {
            names.remove(key);
        }
    }

    /// A fresh autobind name (five hex digits, as Linux's).
    pub fn auto_name(&self) -> Vec<u8> {
        let mut n = self.next_auto.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            *n = (*n + 1) & 0xfffff;
            let name = format!("{:05x}", *n).into_bytes();
            if self.get(&Key::Abstract(name.clone())).is_none() {
                return name;
            }
        }
    }

    /// Records a socket for `sockets`.
    pub fn track(&self, ep: &Arc<Endpoint>) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        // Pruning when the list doubles keeps tracking O(1) amortized.
        if live.len().is_power_of_two() {
            live.retain(|w| w.strong_count() > 0);
        }
        live.push(Arc::downgrade(ep));
    }

    /// Every open socket of the sandbox (made by socket, socketpair or
    /// accept), oldest first. Connections waiting in a listener's accept
    /// queue are not among them (sock_diag does not list them either).
    pub fn sockets(&self) -> Vec<Arc<Endpoint>> {
        let eps: Vec<Arc<Endpoint>> = {
            let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            live.iter().filter_map(Weak::upgrade).collect()
        };
        eps.into_iter().filter(|ep| !ep.lock().closed).collect()
    }
}

/// Creates an AF_UNIX socket.
pub fn new_socket(net: &Arc<NetStack>, kind: i32, protocol: i32) -> Result<Box<dyn Socket>, Errno> {
    if protocol != 0 && protocol != libc::AF_UNIX {
        return Err(Errno::EPROTONOSUPPORT);
    }
    match kind {
        libc::SOCK_STREAM | libc::SOCK_DGRAM | libc::SOCK_SEQPACKET => Ok(Box::new(UnixSocket::new(net, kind))),
        // SOCK_RAW is served as SOCK_DGRAM by Linux.
        libc::SOCK_RAW => Ok(Box::new(UnixSocket::new(net, libc::SOCK_DGRAM))),
        _ => Err(Errno::ESOCKTNOSUPPORT),
    }
}

/// The two ends `socketpair` makes.
pub type SocketPair = (Box<dyn Socket>, Box<dyn Socket>);

/// `socketpair(2)` for AF_UNIX.
pub fn socketpair(net: &Arc<NetStack>, kind: i32, protocol: i32, cx: &Cx) -> Result<SocketPair, Errno> {
    if protocol != 0 && protocol != libc::AF_UNIX {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let kind = match kind {
        libc::SOCK_STREAM | libc::SOCK_DGRAM | libc::SOCK_SEQPACKET => kind,
        libc::SOCK_RAW => libc::SOCK_DGRAM,
        _ => return Err(Errno::ESOCKTNOSUPPORT),
    };
    let a = UnixSocket::new(net, kind);
    let b = UnixSocket::new(net, kind);
    Endpoint::pair(&a.ep, &b.ep, cx.creds.clone());
    Ok((Box::new(a), Box::new(b)))
}

/// Where a path name lives: its canonical path, resolved from the caller's
/// working directory; `must_exist` for connect/sendto.
/// Names are keyed by canonical path: a mount namespace that shows
/// another file system at the path finds no socket node there.
pub(crate) fn path_key(cx: &Cx, path: &[u8], must_exist: bool) -> Result<(Key, bool), Errno> {
    let (Some(kernel), Some(vfs)) = (cx.kernel, cx.vfs()) else {
        return Err(Errno::EINVAL);
    };
    let r = vfs.resolve(&cx.cwd, path, must_exist)?;
    if must_exist {
        let node = r.node.as_ref().ok_or(Errno::ENOENT)?;
        let st = vfs.stat_node(&r.path, node)?;
        if st.mode & libc::S_IFMT != libc::S_IFSOCK && kernel.net.unix.get(&Key::Path(r.path.clone())).is_none() {
            return Err(Errno::ECONNREFUSED);
        }
    }
    let exists = r.node.is_some();
    Ok((Key::Path(r.path), exists))
}

/// Creates the socket node of a path name in the caller's mount namespace.
pub(crate) fn make_node(vfs: &Vfs, canonical: &[u8], mode: u32) -> Result<(), Errno> {
    crate::netstack::unix::node::create(vfs, canonical, mode)
}

mod node {
    //! The socket node of a bound path, made with the VFS's mknod.
    use super::*;
    use crate::kernel::vfs::resolve::Lookup;
    use crate::kernel::vfs::Caller;

    /// Makes the S_IFSOCK node at a canonical path; EADDRINUSE if it exists.
    pub fn create(vfs: &Vfs, canonical: &[u8], mode: u32) -> Result<(), Errno> {
        match vfs.mknod(&Lookup::new(b"/", false), canonical, mode, 0, Caller::SENTRY) {
            Err(Errno::EEXIST) => Err(Errno::EADDRINUSE),
            r => r,
        }
    }
}

/// The name a key was bound by, as getsockname reports it.
pub(crate) fn display_key(k: &Key) -> UnixAddr {
    match k {
        Key::Path(p) => UnixAddr::Path(p.clone()),
        Key::Abstract(n) => UnixAddr::Abstract(n.clone()),
    }
}
