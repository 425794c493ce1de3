//! System V message queues (msgget, msgsnd, msgrcv, msgctl), as Linux's
//! ipc/msg.c serves them.
//!
//! A sender whose message does not fit (`msg_qbytes`) sleeps on the
//! queue's `senders` and tries again whenever room is made. A receiver that
//! finds nothing registers itself (`Receiver`, in arrival order); a later
//! send hands a matching message straight to the first such receiver
//! (Linux's pipelined send: the message never enters the queue), or E2BIG
//! when it is too long for that receiver's buffer. IPC_SET sends the
//! registered receivers back to search again; IPC_RMID wakes everyone with
//! EIDRM. A signal ends a wait with ERESTARTNOHAND, as in Linux.
//!
//! Lock order: the namespace's table, then a queue's state.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use super::limits::{self, IpcLimits};
use super::{now_secs, Caller, IdTable, IpcObject, IpcPerm, SetPerm, IPC_NOWAIT};
use crate::kernel::errno::Errno;
use crate::kernel::ns::pid::{Pid, PidNamespace};
use crate::kernel::wait::{block_until, WaitQueue};

/// Linux's defaults (`/proc/sys/kernel/msg*`): the largest message, the
/// default `msg_qbytes` of a queue, most queues.
pub const MSGMAX: i32 = 8192;
pub const MSGMNB: i32 = 16384;
pub const MSGMNI: i32 = 32000;
/// What IPC_INFO reports for the fields that no longer limit anything.
const MSGSSZ: u16 = 16;
const MSGSEG: u16 = 0xffff;
const MSGPOOL: i32 = MSGMNI * MSGMNB / 1024;

/// msgrcv flags.
pub const MSG_NOERROR: u32 = 0o10000;
pub const MSG_EXCEPT: u32 = 0o20000;
pub const MSG_COPY: u32 = 0o40000;

/// msgctl commands beyond IPC_*.
pub const MSG_STAT: i32 = 11;
pub const MSG_INFO: i32 = 12;
pub const MSG_STAT_ANY: i32 = 13;

/// A message.
#[derive(Clone, Debug)]
pub struct Message {
    pub mtype: i64,
    pub text: Vec<u8>,
}

/// How msgrcv's `msgtyp` picks a message (Linux's `convert_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// msgtyp 0: the first message.
    Any,
    /// msgtyp > 0: the first of that type.
    Equal(i64),
    /// msgtyp > 0 with MSG_EXCEPT: the first of another type.
    NotEqual(i64),
    /// msgtyp < 0: the first of the lowest type up to |msgtyp|.
    LessEqual(i64),
    /// MSG_COPY: the message at this position.
    Number(i64),
}

impl Search {
    /// The search msgrcv's `msgtyp` and flags ask for.
    pub fn new(msgtyp: i64, flags: u32) -> Search {
        if flags & MSG_COPY != 0 {
            Search::Number(msgtyp)
        } else if msgtyp == 0 {
            Search::Any
        } else if msgtyp < 0 {
            Search::LessEqual(msgtyp.checked_neg().unwrap_or(i64::MAX))
        } else if flags & MSG_EXCEPT != 0 {
            Search::NotEqual(msgtyp)
        } else {
            Search::Equal(msgtyp)
        }
    }

    fn matches(self, mtype: i64) -> bool {
        match self {
            Search::Any | Search::Number(_) => true,
            Search::Equal(t) => mtype == t,
            Search::NotEqual(t) => mtype != t,
            Search::LessEqual(t) => mtype <= t,
        }
    }

    /// The position of the message this search takes from `msgs`.
    fn find(self, msgs: &VecDeque<Message>) -> Option<usize> {
        match self {
            Search::Number(n) => usize::try_from(n).ok().filter(|&n| n < msgs.len()),
            Search::LessEqual(_) => {
                let low = msgs.iter().filter(|m| self.matches(m.mtype)).map(|m| m.mtype).min()?;
                msgs.iter().position(|m| m.mtype == low)
            }
            _ => msgs.iter().position(|m| self.matches(m.mtype)),
        }
    }
}

/// A receiver waiting for a message.
struct Receiver {
    ticket: u64,
    search: Search,
    /// The longest message it takes (its buffer; unbounded with MSG_NOERROR).
    max: usize,
    pid: Arc<Pid>,
}

/// One queue.
pub struct MsgQueue {
    id: i32,
    st: Mutex<QueueState>,
    /// Senders waiting for room.
    senders: WaitQueue,
    /// Receivers waiting for a message.
    receivers: WaitQueue,
}

struct QueueState {
    perm: IpcPerm,
    stime: i64,
    rtime: i64,
    ctime: i64,
    cbytes: u64,
    qbytes: u64,
    lspid: Option<Arc<Pid>>,
    lrpid: Option<Arc<Pid>>,
    msgs: VecDeque<Message>,
    waiting: Vec<Receiver>,
    /// Messages (or E2BIG) handed to waiting receivers, by ticket.
    handed: HashMap<u64, Result<Message, Errno>>,
    next_ticket: u64,
    removed: bool,
}

impl QueueState {
    fn fits(&self, len: usize) -> bool {
        len as u64 + self.cbytes <= self.qbytes && (self.msgs.len() as u64) < self.qbytes
    }

    /// Linux's pipelined_send: gives `m` to the first waiting receiver it
    /// matches and fits; receivers it matches but does not fit get E2BIG.
    /// `Some(m)` back when no one took it.
    fn hand_over(&mut self, m: Message) -> Option<Message> {
        let mut i = 0;
        while i < self.waiting.len() {
            if !self.waiting[i].search.matches(m.mtype) {
                i += 1;
                continue;
            }
            let r = self.waiting.remove(i);
            if r.max < m.text.len() {
                self.handed.insert(r.ticket, Err(Errno::E2BIG));
                continue;
            }
            self.lrpid = Some(r.pid);
            self.rtime = now_secs();
            self.handed.insert(r.ticket, Ok(m));
            return None;
        }
        Some(m)
    }
}

impl IpcObject for Arc<MsgQueue> {
    fn id(&self) -> i32 {
        self.id
    }
    fn perm(&self) -> IpcPerm {
        self.lock().perm.clone()
    }
}

impl MsgQueue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What msgrcv asks for, after the syscall layer's checks.
pub struct Receive {
    pub search: Search,
    /// The buffer's size (`msgsz`).
    pub size: usize,
    pub flags: u32,
}

/// The message queues of one IPC namespace.
#[derive(Default)]
pub struct MsgRegistry {
    table: Mutex<IdTable<Arc<MsgQueue>>>,
}

impl MsgRegistry {
    fn lock(&self) -> MutexGuard<'_, IdTable<Arc<MsgQueue>>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn find(&self, id: i32) -> Result<Arc<MsgQueue>, Errno> {
        self.lock().get(id).cloned()
    }

    /// msgget(2).
    pub fn get(&self, key: i32, flags: u32, who: &Caller, lim: &IpcLimits) -> Result<i32, Errno> {
        let mut tab = self.lock();
        if let Some(id) = tab.existing(key, flags, who, |_| Ok(()))? {
            return Ok(id);
        }
        let (id, idx, seq) = tab.next_id(limits::get(&lim.msgmni).max(0) as usize)?;
        let mut perm = IpcPerm::new(key, flags, &who.creds);
        perm.seq = seq;
        let q = Arc::new(MsgQueue {
            id,
            st: Mutex::new(QueueState {
                perm,
                stime: 0,
                rtime: 0,
                ctime: now_secs(),
                cbytes: 0,
                qbytes: limits::get(&lim.msgmnb).max(0) as u64,
                lspid: None,
                lrpid: None,
                msgs: VecDeque::new(),
                waiting: Vec::new(),
                handed: HashMap::new(),
                next_ticket: 0,
                removed: false,
            }),
            senders: WaitQueue::default(),
            receivers: WaitQueue::default(),
        });
        tab.insert(idx, seq, q);
        Ok(id)
    }

    /// msgsnd(2), once the message is copied in: queues it (or hands it to
    /// a waiting receiver), waiting for room unless IPC_NOWAIT (EAGAIN).
    pub fn send(&self, id: i32, m: Message, flags: u32, who: &Caller) -> Result<(), Errno> {
        let q = self.find(id)?;
        let mut m = Some(m);
        let r = block_until(&[&q.senders], None, || {
            let mut st = q.lock();
            if !st.perm.allows(&who.creds, 0o222, who.cap_ipc_owner) {
                return Some(Err(Errno::EACCES));
            }
            if st.removed {
                return Some(Err(Errno::EIDRM));
            }
            let len = m.as_ref().map_or(0, |m| m.text.len());
            if !st.fits(len) {
                return (flags & IPC_NOWAIT != 0).then_some(Err(Errno::EAGAIN));
            }
            st.lspid = Some(who.pid.clone());
            st.stime = now_secs();
            let m = m.take()?;
            if let Some(m) = st.hand_over(m) {
                st.cbytes += m.text.len() as u64;
                st.msgs.push_back(m);
            }
            Some(Ok(()))
        });
        q.receivers.notify_all();
        r.map_err(|e| if e == Errno::ERESTARTSYS { Errno::ERESTARTNOHAND } else { e })
    }

    /// msgrcv(2): the message taken (or copied, MSG_COPY) from the queue,
    /// waiting for one unless IPC_NOWAIT (ENOMSG). With MSG_NOERROR a
    /// longer message is returned whole: the caller truncates it.
    pub fn receive(&self, id: i32, rq: &Receive, who: &Caller) -> Result<Message, Errno> {
        let q = self.find(id)?;
        let mut ticket: Option<u64> = None;
        let noerror = rq.flags & MSG_NOERROR != 0;
        let r = block_until(&[&q.receivers], None, || {
            let mut st = q.lock();
            if let Some(t) = ticket {
                if let Some(r) = st.handed.remove(&t) {
                    return Some(r);
                }
                if st.removed {
                    return Some(Err(Errno::EIDRM));
                }
                if st.waiting.iter().any(|r| r.ticket == t) {
                    return None;
                }
                // Sent back by IPC_SET: search again.
            }
            if !st.perm.allows(&who.creds, 0o444, who.cap_ipc_owner) {
                return Some(Err(Errno::EACCES));
            }
            if st.removed {
                return Some(Err(Errno::EIDRM));
            }
            if let Some(i) = rq.search.find(&st.msgs) {
                let len = st.msgs[i].text.len();
                if len > rq.size && !noerror {
                    return Some(Err(Errno::E2BIG));
                }
                if rq.flags & MSG_COPY != 0 {
                    // Linux's copy_msg: the copy buffer is the smaller of
                    // the buffer and msgmax, checked whatever MSG_NOERROR.
                    return Some(if len > rq.size { Err(Errno::EINVAL) } else { Ok(st.msgs[i].clone()) });
                }
                let m = st.msgs.remove(i)?;
                st.rtime = now_secs();
                st.lrpid = Some(who.pid.clone());
                st.cbytes -= len as u64;
                q.senders.notify_all();
                return Some(Ok(m));
            }
            if rq.flags & IPC_NOWAIT != 0 {
                return Some(Err(Errno::ENOMSG));
            }
            let t = st.next_ticket;
            st.next_ticket += 1;
            let max = if noerror { usize::MAX } else { rq.size };
            st.waiting.push(Receiver { ticket: t, search: rq.search, max, pid: who.pid.clone() });
            ticket = Some(t);
            None
        });
        match r {
            Err(Errno::ERESTARTSYS) => {
                // A message handed over meanwhile is still this caller's.
                let mut st = q.lock();
                let t = ticket.unwrap_or(u64::MAX);
                if let Some(r) = st.handed.remove(&t) {
                    return r;
                }
                st.waiting.retain(|r| r.ticket != t);
                Err(Errno::ERESTARTNOHAND)
            }
            r => r,
        }
    }

    /// IPC_STAT, MSG_STAT, MSG_STAT_ANY: the `struct msqid64_ds` and what
    /// the call returns (0, or the id for the MSG_STAT forms).
    pub fn stat(&self, cmd: i32, id: i32, who: &Caller) -> Result<(Vec<u8>, i32), Errno> {
        let q = self.lock().lookup(cmd == MSG_STAT || cmd == MSG_STAT_ANY, id)?.clone();
        let st = q.lock();
        if cmd != MSG_STAT_ANY && !st.perm.allows(&who.creds, 0o444, who.cap_ipc_owner) {
            return Err(Errno::EACCES);
        }
        let mut b = Vec::with_capacity(120);
        st.perm.encode(&mut b);
        let nr = |p: &Option<Arc<Pid>>| p.as_ref().map_or(0, |p| p.nr_in(&who.pidns));
        for v in [st.stime as u64, st.rtime as u64, st.ctime as u64, st.cbytes, st.msgs.len() as u64, st.qbytes] {
            b.extend_from_slice(&v.to_ne_bytes());
        }
        b.extend_from_slice(&nr(&st.lspid).to_ne_bytes());
        b.extend_from_slice(&nr(&st.lrpid).to_ne_bytes());
        b.extend_from_slice(&[0; 16]);
        Ok((b, if cmd == super::IPC_STAT { 0 } else { q.id }))
    }

    /// IPC_SET: owner, permission bits and `msg_qbytes` (above msgmnb only
    /// with CAP_SYS_RESOURCE: EPERM). Waiting receivers search again and
    /// waiting senders look for room again.
    pub fn set(&self, id: i32, new: &SetPerm, qbytes: u64, who: &Caller, lim: &IpcLimits) -> Result<(), Errno> {
        let q = self.find(id)?;
        let mut st = q.lock();
        st.perm.check_owner(&who.creds, who.cap_sys_admin)?;
        if qbytes > limits::get(&lim.msgmnb).max(0) as u64 && !who.cap_sys_resource {
            return Err(Errno::EPERM);
        }
        st.perm.set(new, who)?;
        st.qbytes = qbytes;
        st.ctime = now_secs();
        st.waiting.clear();
        drop(st);
        q.receivers.notify_all();
        q.senders.notify_all();
        Ok(())
    }

    /// IPC_RMID: the queue and its messages go now; waiters wake with EIDRM.
    pub fn remove(&self, id: i32, who: &Caller) -> Result<(), Errno> {
        let mut tab = self.lock();
        let q = tab.get(id)?.clone();
        let mut st = q.lock();
        st.perm.check_owner(&who.creds, who.cap_sys_admin)?;
        st.removed = true;
        st.msgs.clear();
        st.cbytes = 0;
        st.waiting.clear();
        drop(st);
        tab.remove(id);
        drop(tab);
        q.receivers.notify_all();
        q.senders.notify_all();
        Ok(())
    }

    /// IPC_INFO and MSG_INFO: `struct msginfo`, and the highest index in
    /// use. MSG_INFO reports queues, messages and bytes in use instead of
    /// the pool sizes.
    pub fn info(&self, cmd: i32, lim: &IpcLimits) -> (Vec<u8>, i32) {
        let tab = self.lock();
        let (pool, map, tql) = if cmd == MSG_INFO {
            let (mut n, mut bytes) = (0u64, 0u64);
            for q in tab.iter() {
                let st = q.lock();
                n += st.msgs.len() as u64;
                bytes += st.cbytes;
            }
            (tab.len() as i32, n.min(i32::MAX as u64) as i32, bytes.min(i32::MAX as u64) as i32)
        } else {
            (MSGPOOL, MSGMNB, MSGMNB)
        };
        let mut b = Vec::with_capacity(32);
        for v in [pool, map, limits::get(&lim.msgmax), limits::get(&lim.msgmnb), limits::get(&lim.msgmni)] {
            b.extend_from_slice(&v.to_ne_bytes());
        }
        b.extend_from_slice(&(MSGSSZ as i32).to_ne_bytes());
        b.extend_from_slice(&tql.to_ne_bytes());
        b.extend_from_slice(&MSGSEG.to_ne_bytes());
        b.extend_from_slice(&[0; 2]);
        (b, tab.max_idx() as i32)
    }

    /// `/proc/sysvipc/msg`, as `pidns` sees the pids.
    pub fn proc_text(&self, pidns: &PidNamespace) -> String {
        use std::fmt::Write;
        let mut s = String::from(
            "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n",
        );
        for q in self.lock().iter() {
            let st = q.lock();
            let p = &st.perm;
            let nr = |p: &Option<Arc<Pid>>| p.as_ref().map_or(0, |p| p.nr_in(pidns));
            let _ = writeln!(
                s,
                "{:10} {:10}  {:4o}  {:10} {:10} {:5} {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10}",
                p.key,
                q.id,
                p.mode,
                st.cbytes,
                st.msgs.len(),
                nr(&st.lspid),
                nr(&st.lrpid),
                p.uid,
                p.gid,
                p.cuid,
                p.cgid,
                st.stime,
                st.rtime,
                st.ctime
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs(types: &[i64]) -> VecDeque<Message> {
        types.iter().map(|&t| Message { mtype: t, text: vec![] }).collect()
    }

    #[test]
    fn searches_pick_as_linux() {
        let q = msgs(&[3, 1, 2, 1, 5]);
        assert_eq!(Search::new(0, 0).find(&q), Some(0));
        assert_eq!(Search::new(2, 0).find(&q), Some(2));
        assert_eq!(Search::new(3, MSG_EXCEPT).find(&q), Some(1));
        assert_eq!(Search::new(-2, 0).find(&q), Some(1));
        assert_eq!(Search::new(-4, 0).find(&q), Some(1));
        assert_eq!(Search::new(4, 0).find(&q), None);
        assert_eq!(Search::new(4, MSG_COPY).find(&q), Some(4));
        assert_eq!(Search::new(5, MSG_COPY).find(&q), None);
        assert_eq!(Search::new(i64::MIN, 0), Search::LessEqual(i64::MAX));
    }
}
