//! What every socket kind implements (`Socket`), the open-file face of a
//! socket (`SocketFile`: read/write, poll, ioctl, stat), and the options
//! all sockets share (`CommonOpts`).

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::ns::Pid;
use crate::kernel::vfs::file::{FileOps, OpenFile};
use crate::kernel::vfs::stat::{now, Stat};
use crate::kernel::wait::WaitQueue;
use crate::kernel::Kernel;

/// Process credentials as SO_PEERCRED and SCM_CREDENTIALS carry them.
/// The process is kept by its ids, so each reader sees its number in its
/// own PID namespace (Linux keeps a `struct pid`).
#[derive(Clone, Debug, Default)]
pub struct Ucred {
    /// The process's ids (none: unknown, shown as 0).
    pub pid: Option<Arc<Pid>>,
    /// Effective user id (a kernel id).
    pub uid: u32,
    /// Effective group id (a kernel id).
    pub gid: u32,
}

impl PartialEq for Ucred {
    fn eq(&self, o: &Ucred) -> bool {
        self.pid.as_ref().map(|p| p.global()) == o.pid.as_ref().map(|p| p.global())
            && self.uid == o.uid
            && self.gid == o.gid
    }
}

impl Ucred {
    /// Unknown credentials with the given ids.
    pub fn anonymous(uid: u32, gid: u32) -> Ucred {
        Ucred { pid: None, uid, gid }
    }

    /// The 12-byte `struct ucred` as the calling task sees it: the pid is
    /// its number in the caller's PID namespace (0 if it does not show),
    /// the ids as its user namespace maps them (the overflow ids if not).
    pub fn to_bytes(&self) -> [u8; 12] {
        let me = crate::kernel::wait::current();
        let pid = match (&self.pid, &me) {
            (Some(p), Some(t)) => p.nr_in(t.tg.pidns()),
            (Some(p), None) => p.global(),
            (None, _) => 0,
        };
        let (uid, gid) = match &me {
            Some(t) => {
                let ns = t.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).user_ns.clone();
                (ns.uid_shown(self.uid), ns.gid_shown(self.gid))
            }
            None => (self.uid, self.gid),
        };
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&pid.to_ne_bytes());
        b[4..8].copy_from_slice(&uid.to_ne_bytes());
        b[8..].copy_from_slice(&gid.to_ne_bytes());
        b
    }

    /// The credentials of the task this sentry thread runs (the overflow
    /// ids when there is none, as Linux reports for unknown peers).
    pub fn current() -> Ucred {
        match crate::kernel::wait::current() {
            Some(t) => {
                let c = t.tg.creds.lock().unwrap_or_else(|e| e.into_inner());
                Ucred { pid: Some(t.tg.pid.clone()), uid: c.euid, gid: c.egid }
            }
            None => Ucred::anonymous(65534, 65534),
        }
    }
}

/// What a call needs to know about its caller.
pub struct Cx<'a> {
    /// The caller's kernel (VFS for unix path names); `None` for `write(2)`,
    /// which names no address.
    pub kernel: Option<&'a Arc<Kernel>>,
    /// The caller's working directory (canonical).
    pub cwd: Vec<u8>,
    /// The caller's credentials.
    pub creds: Ucred,
    /// The caller's umask (for unix socket nodes).
    pub umask: u32,
    /// The caller's mount namespace (where unix path names resolve);
    /// `None`: the sandbox's first.
    pub vfs: Option<Arc<crate::kernel::vfs::Vfs>>,
}

impl Cx<'_> {
    /// The mount namespace unix path names resolve in.
    pub fn vfs(&self) -> Option<Arc<crate::kernel::vfs::Vfs>> {
        self.vfs.clone().or_else(|| self.kernel.map(|k| k.vfs.clone()))
    }
}

/// One `sendmsg`.
pub struct SendArgs<'a> {
    /// The bytes to send.
    pub data: &'a [u8],
    /// The destination (`msg_name`), raw.
    pub addr: Option<&'a [u8]>,
    /// MSG_* flags.
    pub flags: i32,
    /// True with O_NONBLOCK or MSG_DONTWAIT.
    pub nonblock: bool,
    /// SCM_RIGHTS files.
    pub rights: Vec<Arc<OpenFile>>,
    /// SCM_CREDENTIALS, if the sender gave them.
    pub creds: Option<Ucred>,
    /// The control messages of a socket that is not AF_UNIX, unread (the
    /// kind checks and applies them: IP_TTL, IPV6_PKTINFO...).
    pub cmsgs: Vec<Cmsg>,
}

/// One `recvmsg` request.
#[derive(Clone, Copy, Debug)]
pub struct RecvArgs {
    /// Bytes wanted.
    pub len: usize,
    /// MSG_* flags (MSG_PEEK, MSG_TRUNC, MSG_WAITALL...).
    pub flags: i32,
    /// True with O_NONBLOCK or MSG_DONTWAIT.
    pub nonblock: bool,
}

/// What one `recvmsg` got.
#[derive(Default)]
pub struct Received {
    /// The data (at most the requested length).
    pub data: Vec<u8>,
    /// The real length of a datagram (for MSG_TRUNC), else `data.len()`.
    pub full_len: usize,
    /// The source address, raw.
    pub addr: Option<Vec<u8>>,
    /// SCM_RIGHTS files.
    pub rights: Vec<Arc<OpenFile>>,
    /// SCM_CREDENTIALS (when SO_PASSCRED is on).
    pub creds: Option<Ucred>,
    /// MSG_* flags for `msg_flags` (MSG_TRUNC, MSG_EOR...).
    pub flags: i32,
    /// Control messages Linux puts before SCM_CREDENTIALS and SCM_RIGHTS
    /// (a unix datagram's timestamp).
    pub lead_cmsgs: Vec<Cmsg>,
    /// Other control messages, in the order Linux puts them.
    pub cmsgs: Vec<Cmsg>,
    /// When the data arrived, where the socket kind knows.
    pub at: Option<Duration>,
}

/// A control message `recvmsg` returns (other than SCM_RIGHTS and
/// SCM_CREDENTIALS, which need the receiver's tables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmsg {
    /// cmsg_level (SOL_SOCKET, SOL_IP, SOL_IPV6).
    pub level: i32,
    /// cmsg_type.
    pub kind: i32,
    /// The payload.
    pub data: Vec<u8>,
}

/// A kind of socket. Blocking calls sleep with `wait::block_until` on the
/// socket's queue, so signals interrupt them.
pub trait Socket: Send + Sync + 'static {
    /// AF_*.
    fn domain(&self) -> i32;
    /// SOCK_*.
    fn kind(&self) -> i32;
    /// The protocol number `socket(2)` was given (0 resolved to the real one).
    fn protocol(&self) -> i32;
    /// `bind(2)`, with the raw sockaddr.
    fn bind(&self, cx: &Cx, addr: &[u8]) -> Result<(), Errno>;
    /// `listen(2)`.
    fn listen(&self, _backlog: i32) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }
    /// True once listening (SO_ACCEPTCONN).
    fn listening(&self) -> bool {
        false
    }
    /// `accept(2)`: the new socket and its peer's address.
    fn accept(&self, _nonblock: bool) -> Result<(Box<dyn Socket>, Vec<u8>), Errno> {
        Err(Errno::EOPNOTSUPP)
    }
    /// `connect(2)`.
    fn connect(&self, cx: &Cx, addr: &[u8], nonblock: bool) -> Result<(), Errno>;
    /// `sendmsg(2)`: bytes sent.
    fn send(&self, cx: &Cx, args: SendArgs) -> Result<usize, Errno>;
    /// `recvmsg(2)`.
    fn recv(&self, args: RecvArgs) -> Result<Received, Errno>;
    /// `shutdown(2)`.
    fn shutdown(&self, how: i32) -> Result<(), Errno>;
    /// `getsockname(2)`, raw.
    fn sockname(&self) -> Result<Vec<u8>, Errno>;
    /// `getpeername(2)`, raw.
    fn peername(&self) -> Result<Vec<u8>, Errno>;
    /// Options of this kind (levels other than the common SOL_SOCKET ones).
    fn setsockopt(&self, level: i32, name: i32, val: &[u8]) -> Result<(), Errno>;
    /// Reads an option; the value's bytes.
    fn getsockopt(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno>;
    /// Readiness (POLLIN/POLLOUT/POLLHUP/POLLERR/POLLRDHUP).
    fn poll_ready(&self, events: i16) -> i16;
    /// The queue notified when readiness may have changed.
    fn poll_queue(&self) -> &WaitQueue;
    /// Bytes readable now (FIONREAD/SIOCINQ).
    fn nread(&self) -> usize {
        0
    }
    /// What O_ASYNC's watcher compares (`FileOps::fasync_backlog`): bytes
    /// waiting by default, a count of arrivals where the kind keeps one.
    fn fasync_backlog(&self) -> usize {
        if self.listening() {
            0
        } else {
            self.nread()
        }
    }
    /// Bytes sent but not yet acknowledged/read (SIOCOUTQ).
    fn nwrite(&self) -> usize {
        0
    }
    /// Kind-specific ioctls.
    fn ioctl(&self, _req: u64, _arg: u64, _mem: &dyn UserMemory) -> SysResult {
        Err(Errno::ENOTTY)
    }
    /// The shared SOL_SOCKET options.
    fn common(&self) -> &CommonOpts;
    /// The inode number the socket reports itself (`/proc/net/unix` lists
    /// it), if it has one.
    fn ino(&self) -> Option<u64> {
        None
    }
    /// A host descriptor to poll instead of `poll_ready` (host sockets).
    fn poll_host_fd(&self) -> Option<std::os::fd::RawFd> {
        None
    }
    /// The IP stack of the network namespace the socket was made in
    /// (whose interfaces its ioctls and SO_BINDTODEVICE name); `None` for
    /// host sockets, which ask the host.
    fn stack(&self) -> Option<&Arc<super::stack::IpStack>> {
        None
    }
    /// Queues a message the kernel sends to this socket (Linux's
    /// netlink_sendskb: mq_notify's SIGEV_THREAD cookie); EINVAL for
    /// sockets that are not netlink ones.
    fn deliver_from_kernel(&self, _data: Vec<u8>) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }
}

/// SOL_SOCKET options kept for every socket (flags and values as
/// getsockopt reports them; each field is one option of the same name).
pub struct CommonOpts {
    pub reuseaddr: AtomicBool,
    pub reuseport: AtomicBool,
    pub keepalive: AtomicBool,
    pub broadcast: AtomicBool,
    pub passcred: AtomicBool,
    pub oobinline: AtomicBool,
    pub dontroute: AtomicBool,
    /// SO_TIMESTAMP (1) or SO_TIMESTAMPNS (2): one excludes the other;
    /// 4 is set by their _NEW variants.
    pub timestamp: AtomicU8,
    /// The arrival of the last packet read without a timestamp message
    /// (Linux's sk_stamp), for SIOCGSTAMP.
    pub last_stamp: Mutex<Option<Duration>>,
    /// SO_RCVBUF as getsockopt reports it (doubled, as Linux does).
    pub rcvbuf: AtomicI32,
    pub sndbuf: AtomicI32,
    pub rcvlowat: AtomicI32,
    pub priority: AtomicI32,
    pub mark: AtomicI32,
    /// SO_LINGER: (on, seconds).
    pub linger: Mutex<(bool, i32)>,
    /// SO_RCVTIMEO/SO_SNDTIMEO in microseconds (0: none).
    pub rcvtimeo: AtomicU64,
    pub sndtimeo: AtomicU64,
    /// SO_BINDTODEVICE name.
    pub bind_dev: Mutex<Vec<u8>>,
}

impl CommonOpts {
    /// Defaults with the given buffer sizes (as getsockopt reports them).
    pub fn new(rcvbuf: i32, sndbuf: i32) -> CommonOpts {
        CommonOpts {
            reuseaddr: AtomicBool::new(false),
            reuseport: AtomicBool::new(false),
            keepalive: AtomicBool::new(false),
            broadcast: AtomicBool::new(false),
            passcred: AtomicBool::new(false),
            oobinline: AtomicBool::new(false),
            dontroute: AtomicBool::new(false),
            timestamp: AtomicU8::new(0),
            last_stamp: Mutex::new(None),
            rcvbuf: AtomicI32::new(rcvbuf),
            sndbuf: AtomicI32::new(sndbuf),
            rcvlowat: AtomicI32::new(1),
            priority: AtomicI32::new(0),
            mark: AtomicI32::new(0),
            linger: Mutex::new((false, 0)),
            rcvtimeo: AtomicU64::new(0),
            sndtimeo: AtomicU64::new(0),
            bind_dev: Mutex::new(Vec::new()),
        }
    }

    /// The deadline of a receive starting now (SO_RCVTIMEO).
    pub fn recv_deadline(&self) -> Option<Instant> {
        match self.rcvtimeo.load(Ordering::Relaxed) {
            0 => None,
            us => Some(Instant::now() + Duration::from_micros(us)),
        }
    }

    /// The deadline of a send starting now (SO_SNDTIMEO).
    pub fn send_deadline(&self) -> Option<Instant> {
        match self.sndtimeo.load(Ordering::Relaxed) {
            0 => None,
            us => Some(Instant::now() + Duration::from_micros(us)),
        }
    }

    /// Sets a SOL_SOCKET option kept here; `None` if the name is not one.
    /// (The caller checked that SO_BINDTODEVICE names an interface of the
    /// socket's namespace.)
    pub fn set(&self, name: i32, val: &[u8]) -> Option<Result<(), Errno>> {
        let int = || -> Result<i32, Errno> {
            if val.len() < 4 {
                return Err(Errno::EINVAL);
            }
            Ok(i32::from_ne_bytes([val[0], val[1], val[2], val[3]]))
        };
        let flag = |a: &AtomicBool| int().map(|v| a.store(v != 0, Ordering::Relaxed));
        Some(match name {
            libc::SO_REUSEADDR => flag(&self.reuseaddr),
            libc::SO_REUSEPORT => flag(&self.reuseport),
            libc::SO_KEEPALIVE => flag(&self.keepalive),
            libc::SO_BROADCAST => flag(&self.broadcast),
            libc::SO_PASSCRED => flag(&self.passcred),
            libc::SO_OOBINLINE => flag(&self.oobinline),
            libc::SO_DONTROUTE => flag(&self.dontroute),
            // Linux's sock_set_timestamp: turning one on selects its format
            // (and the _NEW message types), turning any off turns all off.
            libc::SO_TIMESTAMP | SO_TIMESTAMPNS | SO_TIMESTAMP_NEW | SO_TIMESTAMPNS_NEW => int().map(|v| {
                let mode = match (v != 0, name) {
                    (false, _) => 0,
                    (true, SO_TIMESTAMPNS) => TS_NSEC,
                    (true, SO_TIMESTAMPNS_NEW) => TS_NSEC | TS_NEW,
                    (true, SO_TIMESTAMP_NEW) => TS_USEC | TS_NEW,
                    (true, _) => TS_USEC,
                };
                if mode != 0 {
                    super::stamps::want();
                }
                self.timestamp.store(mode, Ordering::Relaxed)
            }),
            libc::SO_RCVBUF | libc::SO_RCVBUFFORCE => int().map(|v| {
                // Linux doubles the value (bookkeeping overhead), min 2304, max rmem_max*2.
                let v = (v.max(0) as i64).min(212992) as i32;
                self.rcvbuf.store((v * 2).max(2304), Ordering::Relaxed)
            }),
            libc::SO_SNDBUF | libc::SO_SNDBUFFORCE => int().map(|v| {
                let v = (v.max(0) as i64).min(212992) as i32;
                self.sndbuf.store((v * 2).max(4608), Ordering::Relaxed)
            }),
            libc::SO_RCVLOWAT => int().map(|v| self.rcvlowat.store(v.max(1), Ordering::Relaxed)),
            libc::SO_PRIORITY => int().map(|v| self.priority.store(v, Ordering::Relaxed)),
            libc::SO_MARK => int().map(|v| self.mark.store(v, Ordering::Relaxed)),
            libc::SO_LINGER => {
                if val.len() < 8 {
                    return Some(Err(Errno::EINVAL));
                }
                let on = i32::from_ne_bytes([val[0], val[1], val[2], val[3]]) != 0;
                let secs = i32::from_ne_bytes([val[4], val[5], val[6], val[7]]);
                *self.linger.lock().unwrap_or_else(|e| e.into_inner()) = (on, secs);
                Ok(())
            }
            libc::SO_RCVTIMEO | libc::SO_SNDTIMEO => {
                if val.len() < 16 {
                    return Some(Err(Errno::EINVAL));
                }
                let sec = i64::from_ne_bytes(val[..8].try_into().unwrap_or_default());
                let usec = i64::from_ne_bytes(val[8..16].try_into().unwrap_or_default());
                if !(0..1_000_000).contains(&usec) {
                    return Some(Err(Errno::EDOM));
                }
                let us = if sec < 0 { 0 } else { (sec as u64).saturating_mul(1_000_000).saturating_add(usec as u64) };
                let slot = if name == libc::SO_RCVTIMEO { &self.rcvtimeo } else { &self.sndtimeo };
                slot.store(us, Ordering::Relaxed);
                Ok(())
            }
            libc::SO_BINDTODEVICE => {
                *self.bind_dev.lock().unwrap_or_else(|e| e.into_inner()) = bind_dev_name(val);
                Ok(())
            }
            // Accepted and ignored, as harmless hints.
            libc::SO_SNDLOWAT | libc::SO_ZEROCOPY | libc::SO_BUSY_POLL | libc::SO_INCOMING_CPU => int().map(|_| ()),
            _ => return None,
        })
    }

    /// Reads a SOL_SOCKET option kept here; `None` if the name is not one.
    pub fn get(&self, name: i32) -> Option<Vec<u8>> {
        let b = |a: &AtomicBool| (a.load(Ordering::Relaxed) as i32).to_ne_bytes().to_vec();
        let i = |a: &AtomicI32| a.load(Ordering::Relaxed).to_ne_bytes().to_vec();
        Some(match name {
            libc::SO_REUSEADDR => b(&self.reuseaddr),
            libc::SO_REUSEPORT => b(&self.reuseport),
            libc::SO_KEEPALIVE => b(&self.keepalive),
            libc::SO_BROADCAST => b(&self.broadcast),
            libc::SO_PASSCRED => b(&self.passcred),
            libc::SO_OOBINLINE => b(&self.oobinline),
            libc::SO_DONTROUTE => b(&self.dontroute),
            libc::SO_TIMESTAMP => self.timestamp_is(TS_USEC),
            SO_TIMESTAMPNS => self.timestamp_is(TS_NSEC),
            // Linux's SO_TIMESTAMP_NEW reads "on, in the new types", either format.
            SO_TIMESTAMP_NEW => {
                let m = self.timestamp.load(Ordering::Relaxed);
                i32::from(m & TS_NEW != 0 && m & !TS_NEW != 0).to_ne_bytes().to_vec()
            }
            SO_TIMESTAMPNS_NEW => self.timestamp_is(TS_NSEC | TS_NEW),
            libc::SO_RCVBUF => i(&self.rcvbuf),
            libc::SO_SNDBUF => i(&self.sndbuf),
            libc::SO_RCVLOWAT => i(&self.rcvlowat),
            libc::SO_SNDLOWAT => 1i32.to_ne_bytes().to_vec(),
            libc::SO_PRIORITY => i(&self.priority),
            libc::SO_MARK => i(&self.mark),
            libc::SO_LINGER => {
                let (on, secs) = *self.linger.lock().unwrap_or_else(|e| e.into_inner());
                let mut v = (on as i32).to_ne_bytes().to_vec();
                v.extend_from_slice(&secs.to_ne_bytes());
                v
            }
            libc::SO_RCVTIMEO | libc::SO_SNDTIMEO => {
                let us =
                    if name == libc::SO_RCVTIMEO { &self.rcvtimeo } else { &self.sndtimeo }.load(Ordering::Relaxed);
                let mut v = ((us / 1_000_000) as i64).to_ne_bytes().to_vec();
                v.extend_from_slice(&((us % 1_000_000) as i64).to_ne_bytes());
                v
            }
            libc::SO_BINDTODEVICE => {
                let mut v = self.bind_dev.lock().unwrap_or_else(|e| e.into_inner()).clone();
                v.push(0);
                v
            }
            _ => return None,
        })
    }
}

/// SO_TIMESTAMPNS (and SCM_TIMESTAMPNS), as x86_64 numbers it.
pub const SO_TIMESTAMPNS: i32 = 35;
/// SO_TIMESTAMP_NEW and SO_TIMESTAMPNS_NEW (y2038-safe types; on x86_64
/// the same layouts as the old ones, under their own message types).
pub const SO_TIMESTAMP_NEW: i32 = 63;
pub const SO_TIMESTAMPNS_NEW: i32 = 64;
/// `CommonOpts::timestamp`: SO_TIMESTAMP's struct timeval.
const TS_USEC: u8 = 1;
/// `CommonOpts::timestamp`: SO_TIMESTAMPNS's struct timespec.
const TS_NSEC: u8 = 2;
/// `CommonOpts::timestamp`: the _NEW message types.
const TS_NEW: u8 = 4;

impl CommonOpts {
    fn timestamp_is(&self, mode: u8) -> Vec<u8> {
        i32::from(self.timestamp.load(Ordering::Relaxed) == mode).to_ne_bytes().to_vec()
    }

    /// The SCM_TIMESTAMP(NS)(_NEW) message for data that arrived at `at`
    /// (CLOCK_REALTIME), if the socket asked for one.
    pub fn timestamp_cmsg(&self, at: Duration) -> Option<Cmsg> {
        let mode = self.timestamp.load(Ordering::Relaxed);
        let (kind, frac) = match mode & !TS_NEW {
            TS_USEC => (libc::SO_TIMESTAMP, at.subsec_micros() as i64),
            TS_NSEC => (SO_TIMESTAMPNS, at.subsec_nanos() as i64),
            _ => return None,
        };
        let kind = match (mode & TS_NEW != 0, kind) {
            (false, k) => k,
            (true, libc::SO_TIMESTAMP) => SO_TIMESTAMP_NEW,
            (true, _) => SO_TIMESTAMPNS_NEW,
        };
        let mut data = (at.as_secs() as i64).to_ne_bytes().to_vec();
        data.extend_from_slice(&frac.to_ne_bytes());
        Some(Cmsg { level: libc::SOL_SOCKET, kind, data })
    }

    /// What an inet datagram socket's recvmsg does with a packet's time
    /// (Linux's sock_recv_timestamp): the message if the socket asked for
    /// one, else the time is kept for SIOCGSTAMP.
    pub fn recv_timestamp(&self, at: Duration) -> Option<Cmsg> {
        let c = self.timestamp_cmsg(at);
        if c.is_none() {
            *self.last_stamp.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
        }
        c
    }

    /// SIOCGSTAMP / SIOCGSTAMPNS (Linux's sock_gettstamp): the time kept by
    /// `recv_timestamp`, ENOENT before there is one. `usec`: as a timeval.
    pub fn gettstamp(&self, usec: bool) -> Result<[u8; 16], Errno> {
        super::stamps::want();
        let at = self.last_stamp.lock().unwrap_or_else(|e| e.into_inner()).ok_or(Errno::ENOENT)?;
        let frac = if usec { at.subsec_micros() as i64 } else { at.subsec_nanos() as i64 };
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&(at.as_secs() as i64).to_ne_bytes());
        b[8..].copy_from_slice(&frac.to_ne_bytes());
        Ok(b)
    }
}

/// SIOCGSTAMP and SIOCGSTAMPNS, old and _NEW (x86_64 gives both one
/// 16-byte layout): `Some(true)` for a timeval, `Some(false)` for a
/// timespec.
pub fn stamp_request(req: u64) -> Option<bool> {
    const SIOCGSTAMP: u64 = 0x8906;
    const SIOCGSTAMPNS: u64 = 0x8907;
    const SIOCGSTAMP_NEW: u64 = 0x8010_8906;
    const SIOCGSTAMPNS_NEW: u64 = 0x8010_8907;
    match req {
        SIOCGSTAMP | SIOCGSTAMP_NEW => Some(true),
        SIOCGSTAMPNS | SIOCGSTAMPNS_NEW => Some(false),
        _ => None,
    }
}

/// A 4-byte int option value.
pub fn int_val(val: &[u8]) -> Result<i32, Errno> {
    if val.len() < 4 {
        return Err(Errno::EINVAL);
    }
    Ok(i32::from_ne_bytes([val[0], val[1], val[2], val[3]]))
}

/// Device number of sockfs (anonymous, as Linux's).
const SOCKFS_DEV: u64 = 0x8;

static NEXT_INO: AtomicU64 = AtomicU64::new(1000);

/// Socket files open in this sandbox (/proc/net/sockstat's "sockets: used").
static OPEN_SOCKETS: AtomicU64 = AtomicU64::new(0);

/// How many socket files are open.
pub fn open_sockets() -> u64 {
    OPEN_SOCKETS.load(Ordering::Relaxed)
}

/// A fresh sockfs inode number (every kind of socket draws from this one
/// counter, so `socket:[N]` names one socket, as /proc/net and sock_diag
/// dumps match them).
pub fn next_ino() -> u64 {
    NEXT_INO.fetch_add(1, Ordering::Relaxed)
}

/// The interface name an SO_BINDTODEVICE value holds ("" unbinds).
pub fn bind_dev_name(val: &[u8]) -> Vec<u8> {
    val.iter().copied().take_while(|&b| b != 0).collect()
}

/// A socket as an open file.
pub struct SocketFile {
    /// The socket.
    pub sock: Box<dyn Socket>,
    ino: u64,
    ctime: (i64, i64),
}

impl SocketFile {
    /// Wraps `sock`.
    pub fn new(sock: Box<dyn Socket>) -> SocketFile {
        let ino = sock.ino().unwrap_or_else(next_ino);
        OPEN_SOCKETS.fetch_add(1, Ordering::Relaxed);
        SocketFile { sock, ino, ctime: now() }
    }

    /// The `socket:[ino]` name `/proc/<pid>/fd` shows.
    pub fn name(&self) -> Vec<u8> {
        format!("socket:[{}]", self.ino).into_bytes()
    }

    /// The socket behind an open file, or ENOTSOCK.
    pub fn of(f: &OpenFile) -> Result<&SocketFile, Errno> {
        f.ops.as_any().and_then(|a| a.downcast_ref::<SocketFile>()).ok_or(Errno::ENOTSOCK)
    }

    /// Wraps `sock` as a new open file description (`O_RDWR` plus `status`).
    pub fn open(sock: Box<dyn Socket>, status: u32) -> Arc<OpenFile> {
        let f = SocketFile::new(sock);
        let name = f.name();
        Arc::new(OpenFile::new(Box::new(f), name, libc::O_RDWR as u32 | status))
    }
}

impl SocketFile {
    /// An interface ioctl, about the socket's namespace (a host socket's
    /// that the host did not serve: the caller's).
    fn interface_ioctl(&self, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        match self.sock.stack() {
            Some(ip) => super::ioctl::interface_ioctl(ip, req, arg, mem),
            None => {
                let t = crate::kernel::wait::current().ok_or(Errno::ENOTTY)?;
                super::ioctl::interface_ioctl(&t.nsproxy().net.ip, req, arg, mem)
            }
        }
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        OPEN_SOCKETS.fetch_sub(1, Ordering::Relaxed);
    }
}

impl FileOps for SocketFile {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.read_stream(buf, false)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        self.write_stream(buf, false)
    }
    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        let r = self.sock.recv(RecvArgs { len: buf.len(), flags: 0, nonblock })?;
        let n = r.data.len().min(buf.len());
        buf[..n].copy_from_slice(&r.data[..n]);
        Ok(n)
    }
    fn write_stream(&self, buf: &[u8], nonblock: bool) -> Result<usize, Errno> {
        let cx = Cx { kernel: None, cwd: b"/".to_vec(), creds: Ucred::current(), umask: 0o022, vfs: None };
        self.sock.send(
            &cx,
            SendArgs { data: buf, addr: None, flags: 0, nonblock, rights: Vec::new(), creds: None, cmsgs: Vec::new() },
        )
    }
    fn stat(&self) -> Result<Stat, Errno> {
        let t = self.ctime;
        let c = Ucred::current();
        Ok(Stat {
            dev: SOCKFS_DEV,
            ino: self.ino,
            mode: libc::S_IFSOCK | 0o777,
            nlink: 1,
            uid: c.uid,
            gid: c.gid,
            blksize: 4096,
            atime: t,
            mtime: t,
            ctime: t,
            ..Default::default()
        })
    }
    fn seekable(&self) -> bool {
        false
    }
    fn ioctl(&self, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        match req {
            libc::FIONREAD => {
                if self.sock.listening() {
                    return Err(Errno::EINVAL);
                }
                mem.write_u32(arg, self.sock.nread() as u32)?;
                Ok(0)
            }
            libc::TIOCOUTQ => {
                mem.write_u32(arg, self.sock.nwrite() as u32)?;
                Ok(0)
            }
            _ => match self.sock.ioctl(req, arg, mem) {
                // Only inet sockets have Linux's gettstamp (unix ones: ENOTTY).
                Err(Errno::ENOTTY) if matches!(self.sock.domain(), libc::AF_INET | libc::AF_INET6) => {
                    match stamp_request(req) {
                        Some(usec) => {
                            mem.write_bytes(arg, &self.sock.common().gettstamp(usec)?)?;
                            Ok(0)
                        }
                        None => self.interface_ioctl(req, arg, mem),
                    }
                }
                Err(Errno::ENOTTY) => self.interface_ioctl(req, arg, mem),
                r => r,
            },
        }
    }
    fn poll_ready(&self, events: i16) -> i16 {
        self.sock.poll_ready(events)
    }
    fn poll_queue(&self) -> Option<&WaitQueue> {
        // Host sockets are asked of the host instead (`poll_host_fd`).
        match self.sock.poll_host_fd() {
            Some(_) => None,
            None => Some(self.sock.poll_queue()),
        }
    }
    fn poll_host_fd(&self) -> Option<std::os::fd::RawFd> {
        self.sock.poll_host_fd()
    }
    fn fasync(&self, entry: &Arc<crate::kernel::signal::fasync::Fasync>, on: bool) -> bool {
        // Host sockets (--network=host) have no queue of ours to follow.
        match self.poll_queue() {
            Some(q) => crate::kernel::signal::fasync::watch(entry, q, on),
            None => false,
        }
    }
    fn fasync_backlog(&self) -> usize {
        self.sock.fasync_backlog()
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
