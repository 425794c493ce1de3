//! POSIX message queues: mq_open, mq_unlink, mq_timedsend,
//! mq_timedreceive, mq_notify, mq_getsetattr, on the caller's IPC
//! namespace's queues (`kernel/ipc/mqueue.rs`, `vfs/mqueuefs.rs`), with
//! Linux's checks in Linux's order (ipc/mqueue.c).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::ipc::mqueue::{
    self, check_name, Attr, Cookie, Create, NotifyReq, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD,
};
use crate::kernel::ipc::CAP_SYS_RESOURCE;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::signal::send::{send, Origin, Target};
use crate::kernel::signal::SigInfo;
use crate::kernel::task::Task;
use crate::kernel::vfs::file::OpenFile;
use crate::kernel::vfs::mqueuefs::{check_attr, MqFile};
use crate::netstack::socket::SocketFile;

/// Linux's PATH_MAX, the longest name getname takes.
const PATH_MAX: usize = 4096;
/// CAP_FOWNER: may unlink others' queues.
const CAP_FOWNER: u32 = 3;
/// `struct mq_attr` (four longs and four reserved).
const MQ_ATTR_SIZE: usize = 64;

/// A name argument: EFAULT, ENOENT for "", ENAMETOOLONG; then the lookup's
/// EACCES for names with `/` or `.`/`..`.
fn read_name(t: &Task, addr: u64) -> Result<Vec<u8>, Errno> {
    let name = t.mem().read_cstring(addr, PATH_MAX)?;
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    check_name(&name)?;
    Ok(name)
}

fn capable(t: &Task, cap: u32) -> bool {
    t.tg.capable(cap)
}

/// Implements mq_open(2): the descriptor is always close-on-exec, as Linux
/// makes it.
pub fn mq_open(t: &mut Task, a: &Args) -> SysResult {
    let (oflag, mode) = (a[1] as u32, a[2] as u32);
    let attr = if a[3] != 0 {
        let mut b = [0u8; MQ_ATTR_SIZE];
        t.mem().read_bytes(a[3], &mut b)?;
        let long = |i: usize| i64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        Some(Attr { maxmsg: long(1), msgsize: long(2) })
    } else {
        None
    };
    let name = t.mem().read_cstring(a[0], PATH_MAX)?;
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    let limit = t.rlimit(libc::RLIMIT_NOFILE) as usize;
    // Linux takes the descriptor before looking the name up.
    let used: std::collections::HashSet<i32> = t.tg.fds.list().into_iter().map(|(fd, _)| fd).collect();
    if (0..).find(|fd| !used.contains(fd)).is_none_or(|fd| fd as usize >= limit) {
        return Err(Errno::EMFILE);
    }
    check_name(&name)?;
    let ns = t.shared.nsproxy().ipc;
    let creat = oflag & libc::O_CREAT as u32 != 0;
    let excl = oflag & libc::O_EXCL as u32 != 0;
    let privileged = capable(t, CAP_SYS_RESOURCE);
    let fs = t.fs_creds();
    let umask = t.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).umask;
    let create = if creat {
        Some(Create {
            attr: attr.unwrap_or_else(|| ns.limits.mq_default_attr()),
            mode: mode & 0o7777 & !umask,
            uid: fs.euid,
            gid: fs.egid,
            privileged,
            queues_max: ns.limits.mq_queues_max(),
            rlimit: t.rlimit(libc::RLIMIT_MSGQUEUE),
        })
    } else {
        None
    };
    // The attributes are checked only when a queue is made, after the
    // queues_max check (Linux's mqueue_create_attr).
    let existing = ns.mq.get(&name);
    if existing.is_none() {
        if let Some(c) = &create {
            if ns.mq.list().len() as i64 >= c.queues_max && !c.privileged {
                return Err(Errno::ENOSPC);
            }
            if attr.is_some() {
                check_attr(c.attr, &ns, privileged)?;
            }
        }
    }
    let (q, made) = ns.mq.open(&name, create.as_ref(), excl)?;
    if !made {
        let acc = match oflag & libc::O_ACCMODE as u32 {
            0 => 4,
            1 => 2,
            2 => 6,
            _ => return Err(Errno::EINVAL),
        };
        if !fs.may_access(&q.stat(ns.mq_dev), acc, true) {
            return Err(Errno::EACCES);
        }
    }
    let status = oflag & (libc::O_ACCMODE | libc::O_NONBLOCK) as u32;
    let mut path = b"/".to_vec();
    path.extend_from_slice(&name);
    let file = Arc::new(OpenFile::new(Box::new(MqFile::new(q, ns.mq_dev)), path, status));
    t.tg.fds.install(file, true, 0, limit).map(|fd| fd as u64)
}

/// Implements mq_unlink(2): the name goes; the queue stays while open.
pub fn mq_unlink(t: &mut Task, a: &Args) -> SysResult {
    let name = read_name(t, a[0])?;
    let ns = t.shared.nsproxy().ipc;
    let q = ns.mq.get(&name).ok_or(Errno::ENOENT)?;
    // The directory is sticky (1777): only the owner or CAP_FOWNER.
    let fs = t.fs_creds();
    if fs.euid != 0 && fs.euid != q.stat(ns.mq_dev).uid && !capable(t, CAP_FOWNER) {
        return Err(Errno::EPERM);
    }
    ns.mq.unlink(&name).map(|_| 0)
}

/// The queue behind descriptor `fd` (EBADF for other files).
fn queue_file(t: &Task, fd: i32) -> Result<Arc<OpenFile>, Errno> {
    let f = t.file(fd)?;
    f.ops.as_any().and_then(|a| a.downcast_ref::<MqFile>()).ok_or(Errno::EBADF)?;
    Ok(f)
}

fn mq_of(f: &OpenFile) -> &MqFile {
    // Checked by queue_file.
    f.ops.as_any().and_then(|a| a.downcast_ref::<MqFile>()).unwrap_or_else(|| unreachable!("not a queue"))
}

/// An absolute CLOCK_REALTIME timeout: EFAULT, EINVAL for a bad timespec.
fn read_deadline(t: &Task, addr: u64) -> Result<Option<Instant>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let [sec, nsec] = t.mem().read_u64s::<2>(addr)?.map(|v| v as i64);
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    let at = UNIX_EPOCH + Duration::new(sec as u64, nsec as u32);
    let left = at.duration_since(SystemTime::now()).unwrap_or_default();
    Ok(Some(Instant::now() + left))
}

/// Implements mq_timedsend(2).
pub fn mq_timedsend(t: &mut Task, a: &Args) -> SysResult {
    let (fd, ptr, len, prio) = (a[0] as i32, a[1], a[2], a[3]);
    let deadline = read_deadline(t, a[4])?;
    if prio >= mqueue::MQ_PRIO_MAX as u64 {
        return Err(Errno::EINVAL);
    }
    let f = queue_file(t, fd)?;
    let acc = f.flags() & libc::O_ACCMODE as u32;
    if acc != libc::O_WRONLY as u32 && acc != libc::O_RDWR as u32 {
        return Err(Errno::EBADF);
    }
    let q = &mq_of(&f).queue;
    if len > q.attr.msgsize as u64 {
        return Err(Errno::EMSGSIZE);
    }
    let mut text = vec![0u8; len as usize];
    t.mem().read_bytes(ptr, &mut text)?;
    if let Some(fire) = q.send(text, prio as u32, f.nonblocking(), deadline)? {
        // SI_MESGQ with the sender as the owner's namespace numbers it.
        let pid = t.tg.pid.nr_in(fire.owner.pidns());
        let info = SigInfo::mesgq(fire.signo, pid, t.creds().ruid, fire.value);
        send(&t.kernel, Target::Group(&fire.owner), info, Origin::Process(&t.tg));
    }
    Ok(0)
}

/// Implements mq_timedreceive(2): the length of the message.
pub fn mq_timedreceive(t: &mut Task, a: &Args) -> SysResult {
    let (fd, ptr, len, prio_ptr) = (a[0] as i32, a[1], a[2], a[3]);
    let deadline = read_deadline(t, a[4])?;
    let f = queue_file(t, fd)?;
    let acc = f.flags() & libc::O_ACCMODE as u32;
    if acc != libc::O_RDONLY as u32 && acc != libc::O_RDWR as u32 {
        return Err(Errno::EBADF);
    }
    let q = &mq_of(&f).queue;
    if len < q.attr.msgsize as u64 {
        return Err(Errno::EMSGSIZE);
    }
    let (text, prio) = q.receive(f.nonblocking(), deadline)?;
    let mem = t.mem();
    if prio_ptr != 0 {
        mem.write_bytes(prio_ptr, &prio.to_ne_bytes())?;
    }
    mem.write_bytes(ptr, &text)?;
    Ok(text.len() as u64)
}

/// Implements mq_notify(2). SIGEV_THREAD takes the 32-byte cookie at
/// sigev_value and the netlink socket sigev_signo names (glibc's helper
/// thread reads the cookie from it and runs the function).
pub fn mq_notify(t: &mut Task, a: &Args) -> SysResult {
    let (fd, sevp) = (a[0] as i32, a[1]);
    let req = if sevp != 0 {
        let mut b = [0u8; 64];
        t.mem().read_bytes(sevp, &mut b)?;
        let value = u64::from_ne_bytes(b[0..8].try_into().unwrap_or_default());
        let signo = i32::from_ne_bytes(b[8..12].try_into().unwrap_or_default());
        let how = i32::from_ne_bytes(b[12..16].try_into().unwrap_or_default());
        let mut cookie = None;
        match how {
            SIGEV_NONE => {}
            SIGEV_SIGNAL if !(0..=64).contains(&signo) => return Err(Errno::EINVAL),
            SIGEV_SIGNAL => {}
            SIGEV_THREAD => {
                let mut data = [0u8; mqueue::NOTIFY_COOKIE_LEN];
                t.mem().read_bytes(value, &mut data)?;
                let sock = t.file(signo)?;
                if SocketFile::of(&sock)?.sock.domain() != libc::AF_NETLINK {
                    return Err(Errno::EINVAL);
                }
                cookie = Some(Cookie { sock, data });
            }
            _ => return Err(Errno::EINVAL),
        }
        Some(NotifyReq { how, signo, value, cookie })
    } else {
        None
    };
    let f = queue_file(t, fd)?;
    mq_of(&f).queue.set_notify(req, &t.tg, &t.tg.pid).map(|()| 0)
}

/// Implements mq_getsetattr(2): only O_NONBLOCK of the descriptor changes.
pub fn mq_getsetattr(t: &mut Task, a: &Args) -> SysResult {
    let (fd, new, old) = (a[0] as i32, a[1], a[2]);
    let mut set = None;
    if new != 0 {
        let mut b = [0u8; MQ_ATTR_SIZE];
        t.mem().read_bytes(new, &mut b)?;
        let flags = i64::from_ne_bytes(b[0..8].try_into().unwrap_or_default());
        if flags & !(libc::O_NONBLOCK as i64) != 0 {
            return Err(Errno::EINVAL);
        }
        set = Some(flags);
    }
    let f = queue_file(t, fd)?;
    let q = &mq_of(&f).queue;
    let before = (f.flags() & libc::O_NONBLOCK as u32) as i64;
    if let Some(flags) = set {
        let others = f.flags() & !(libc::O_NONBLOCK as u32);
        f.set_flags(others | flags as u32);
    }
    if old != 0 {
        let mut b = [0u8; MQ_ATTR_SIZE];
        for (i, v) in [before, q.attr.maxmsg, q.attr.msgsize, q.curmsgs()].iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_ne_bytes());
        }
        t.mem().write_bytes(old, &b)?;
    }
    Ok(0)
}
