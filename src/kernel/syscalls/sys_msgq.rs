//! System V message queues: msgget, msgsnd, msgrcv, msgctl, in the caller's
//! IPC namespace (`kernel/ipc/msg.rs`). The argument checks come in
//! Linux's order (ipc/msg.c: ksys_msgsnd, do_msgrcv, ksys_msgctl).

use super::sys_sysv::{caller, copy_out, read_set_perm};
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::ipc::limits::{self, IpcLimits};
use crate::kernel::ipc::msg::{self, Message, MsgRegistry, Receive, Search};
use crate::kernel::ipc::{self as ipc};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;

fn with_msg<T>(t: &Task, f: impl FnOnce(&MsgRegistry, &IpcLimits) -> T) -> T {
    let ns = t.shared.nsproxy();
    f(&ns.ipc.msg, &ns.ipc.limits)
}

/// Implements msgget(2).
pub fn msgget(t: &mut Task, a: &Args) -> SysResult {
    let who = caller(t);
    with_msg(t, |r, lim| r.get(a[0] as i32, a[1] as u32, &who, lim)).map(|id| id as u64)
}

/// Implements msgsnd(2): `msgp` is a `struct msgbuf` (a long type, then
/// the text).
pub fn msgsnd(t: &mut Task, a: &Args) -> SysResult {
    let (id, msgp, size, flags) = (a[0] as i32, a[1], a[2] as i64, a[3] as u32);
    let mem = t.mem();
    let mtype = mem.read_u64(msgp)? as i64;
    let msgmax = with_msg(t, |_, lim| limits::get(&lim.msgmax));
    if size > msgmax as i64 || size < 0 || id < 0 || mtype < 1 {
        return Err(Errno::EINVAL);
    }
    let mut text = vec![0u8; size as usize];
    mem.read_bytes(msgp.wrapping_add(8), &mut text)?;
    let who = caller(t);
    with_msg(t, |r, _| r.send(id, Message { mtype, text }, flags, &who)).map(|()| 0)
}

/// Implements msgrcv(2): returns the length of the text copied out.
pub fn msgrcv(t: &mut Task, a: &Args) -> SysResult {
    let (id, msgp, size, msgtyp, flags) = (a[0] as i32, a[1], a[2] as i64, a[3] as i64, a[4] as u32);
    if id < 0 || size < 0 {
        return Err(Errno::EINVAL);
    }
    let mem = t.mem();
    let mut size = size as usize;
    if flags & msg::MSG_COPY != 0 {
        if flags & msg::MSG_EXCEPT != 0 || flags & ipc::IPC_NOWAIT == 0 {
            return Err(Errno::EINVAL);
        }
        // Linux loads its copy buffer from the user's buffer first.
        size = size.min(with_msg(t, |_, lim| limits::get(&lim.msgmax)).max(0) as usize);
        let mut probe = vec![0u8; size + 8];
        mem.read_bytes(msgp, &mut probe)?;
    }
    let rq = Receive { search: Search::new(msgtyp, flags), size, flags };
    let who = caller(t);
    let m = with_msg(t, |r, _| r.receive(id, &rq, &who))?;
    mem.write_bytes(msgp, &m.mtype.to_ne_bytes())?;
    let n = m.text.len().min(size);
    mem.write_bytes(msgp.wrapping_add(8), &m.text[..n])?;
    Ok(n as u64)
}

/// Implements msgctl(2).
pub fn msgctl(t: &mut Task, a: &Args) -> SysResult {
    let (id, cmd, buf) = (a[0] as i32, a[1] as i32, a[2]);
    if id < 0 || cmd < 0 {
        return Err(Errno::EINVAL);
    }
    let who = caller(t);
    let mem = t.mem();
    let out = |reply| copy_out(&mem, buf, reply);
    match cmd {
        ipc::IPC_INFO | msg::MSG_INFO => out(with_msg(t, |r, lim| r.info(cmd, lim))),
        ipc::IPC_STAT | msg::MSG_STAT | msg::MSG_STAT_ANY => out(with_msg(t, |r, _| r.stat(cmd, id, &who))?),
        ipc::IPC_SET => {
            // The whole msqid64_ds is read, as Linux copies it in.
            let mut ds = [0u8; 120];
            mem.read_bytes(buf, &mut ds)?;
            let new = read_set_perm(t, buf)?;
            let qbytes = u64::from_ne_bytes(ds[88..96].try_into().unwrap_or_default());
            with_msg(t, |r, lim| r.set(id, &new, qbytes, &who, lim)).map(|()| 0)
        }
        ipc::IPC_RMID => with_msg(t, |r, _| r.remove(id, &who)).map(|()| 0),
        _ => Err(Errno::EINVAL),
    }
}
