//! System V IPC: shared memory (shmget, shmat, shmdt, shmctl) and
//! semaphores (semget, semop, semtimedop, semctl), in the caller's IPC
//! namespace (`kernel/ipc`). Message queues are `sys_msgq.rs`.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use std::time::Instant;

use super::sys_futex::read_timespec;
use crate::kernel::ipc::limits::{self, IpcLimits};
use crate::kernel::ipc::sem::{self, SemBuf, SemRegistry};
use crate::kernel::ipc::shm::{self, ShmRegistry};
use crate::kernel::ipc::{self as ipc, Caller, SetPerm};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::mm::ShmPlace;
use crate::kernel::task::Task;

/// SHMLBA on x86_64: one page.
const SHMLBA: u64 = 4096;

/// Who is calling, for the IPC permission checks.
pub(super) fn caller(t: &Task) -> Caller {
    let creds = t.creds();
    // Over the IPC namespace's owner; locking and limits sandbox-wide.
    let owner = t.shared.nsproxy().ipc.owner.clone();
    Caller {
        creds,
        cap_ipc_owner: t.capable_over(&owner, ipc::CAP_IPC_OWNER),
        cap_sys_admin: t.capable_over(&owner, ipc::CAP_SYS_ADMIN),
        cap_ipc_lock: t.tg.capable(ipc::CAP_IPC_LOCK),
        cap_sys_resource: t.tg.capable(ipc::CAP_SYS_RESOURCE),
        pid: t.tg.pid.clone(),
        pidns: t.pidns().clone(),
    }
}

fn with_shm<T>(t: &Task, f: impl FnOnce(&ShmRegistry, &IpcLimits) -> T) -> T {
    let ns = t.shared.nsproxy();
    f(&ns.ipc.shm, &ns.ipc.limits)
}

/// Implements shmget(2).
pub fn shmget(t: &mut Task, a: &Args) -> SysResult {
    let who = caller(t);
    with_shm(t, |r, lim| r.get(a[0] as i32, a[1], a[2] as u32, &who, lim)).map(|id| id as u64)
}

/// Implements shmat(2).
pub fn shmat(t: &mut Task, a: &Args) -> SysResult {
    let (id, mut addr, flags) = (a[0] as i32, a[1], a[2] as u32);
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let place = if addr != 0 {
        if addr % SHMLBA != 0 {
            if flags & shm::SHM_RND == 0 {
                return Err(Errno::EINVAL);
            }
            addr &= !(SHMLBA - 1);
            if addr == 0 && flags & shm::SHM_REMAP != 0 {
                return Err(Errno::EINVAL);
            }
        }
        if flags & shm::SHM_REMAP != 0 {
            ShmPlace::Replace(addr)
        } else {
            ShmPlace::At(addr)
        }
    } else if flags & shm::SHM_REMAP != 0 {
        return Err(Errno::EINVAL);
    } else {
        ShmPlace::Anywhere
    };
    let who = caller(t);
    let at = with_shm(t, |r, _| r.attach(id, flags, &who))?;
    let seg = at.shm.segment().clone();
    let limits = t.vm_limits();
    let addr = t.mm().map_shm(&mut t.thread, place, at.len, at.prot, at.shm, limits)?;
    seg.note_attach(&who.pid);
    Ok(addr)
}

/// Implements shmdt(2).
pub fn shmdt(t: &mut Task, a: &Args) -> SysResult {
    // Dropping the attachment stamps shm_dtime and shm_lpid.
    t.mm().unmap_shm(&mut t.thread, a[0])?;
    Ok(0)
}

/// Implements shmctl(2).
pub fn shmctl(t: &mut Task, a: &Args) -> SysResult {
    let (id, cmd, buf) = (a[0] as i32, a[1] as i32, a[2]);
    if id < 0 || cmd < 0 {
        return Err(Errno::EINVAL);
    }
    let who = caller(t);
    let mem = t.mem();
    let out = |reply| copy_out(&mem, buf, reply);
    match cmd {
        ipc::IPC_INFO => out(with_shm(t, |r, lim| r.info(lim))),
        shm::SHM_INFO => out(with_shm(t, |r, _| r.shm_info())),
        ipc::IPC_STAT | shm::SHM_STAT | shm::SHM_STAT_ANY => out(with_shm(t, |r, _| r.stat(cmd, id, &who))?),
        ipc::IPC_SET => {
            let new = read_set_perm(t, buf)?;
            with_shm(t, |r, _| r.set(id, &new, &who)).map(|()| 0)
        }
        ipc::IPC_RMID => with_shm(t, |r, _| r.remove(id, &who)).map(|()| 0),
        shm::SHM_LOCK | shm::SHM_UNLOCK => {
            with_shm(t, |r, _| r.lock_segment(id, cmd == shm::SHM_LOCK, &who)).map(|()| 0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Writes a *ctl reply's record to `buf` and returns its value: the
/// IPC_STAT/IPC_INFO answers of every System V object type.
pub(super) fn copy_out(mem: &dyn UserMemory, buf: u64, (bytes, ret): (Vec<u8>, i32)) -> SysResult {
    mem.write_bytes(buf, &bytes)?;
    Ok(ret as u64)
}

/// The owner and mode of the `ipc64_perm` at the start of a user's
/// `shmid64_ds` or `semid64_ds` (IPC_SET).
pub(super) fn read_set_perm(t: &Task, buf: u64) -> Result<SetPerm, Errno> {
    let mut b = [0u8; 48];
    t.mem().read_bytes(buf, &mut b)?;
    Ok(SetPerm::decode(&b))
}

fn with_sem<T>(t: &Task, f: impl FnOnce(&SemRegistry, &IpcLimits) -> T) -> T {
    let ns = t.shared.nsproxy();
    f(&ns.ipc.sem, &ns.ipc.limits)
}

/// Implements semget(2).
pub fn semget(t: &mut Task, a: &Args) -> SysResult {
    let who = caller(t);
    with_sem(t, |r, lim| r.get(a[0] as i32, a[1] as i32, a[2] as u32, &who, lim)).map(|id| id as u64)
}

/// Implements semop(2).
pub fn semop(t: &mut Task, a: &Args) -> SysResult {
    do_semop(t, a[0] as i32, a[1], a[2], 0)
}

/// Implements semtimedop(2).
pub fn semtimedop(t: &mut Task, a: &Args) -> SysResult {
    do_semop(t, a[0] as i32, a[1], a[2], a[3])
}

fn do_semop(t: &mut Task, id: i32, sops_addr: u64, nsops: u64, timeout: u64) -> SysResult {
    if nsops < 1 || id < 0 {
        return Err(Errno::EINVAL);
    }
    if nsops > with_sem(t, |_, lim| limits::count(&lim.sem[2])) as u64 {
        return Err(Errno::E2BIG);
    }
    let mut raw = vec![0u8; nsops as usize * 6];
    t.mem().read_bytes(sops_addr, &mut raw)?;
    let sops: Vec<SemBuf> = raw
        .chunks_exact(6)
        .map(|c| SemBuf {
            num: u16::from_ne_bytes([c[0], c[1]]),
            op: i16::from_ne_bytes([c[2], c[3]]),
            flags: i16::from_ne_bytes([c[4], c[5]]),
        })
        .collect();
    let deadline = if timeout == 0 { None } else { Some(Instant::now() + read_timespec(t, timeout)?) };
    let who = caller(t);
    let tg = t.tg.clone();
    with_sem(t, |r, _| r.op(id, &sops, deadline, &who, &tg.sem_undo)).map(|()| 0)
}

/// Implements semctl(2). The fourth argument is the `union semun`, passed
/// by value: an int for SETVAL, else a pointer.
pub fn semctl(t: &mut Task, a: &Args) -> SysResult {
    let (id, num, cmd, arg) = (a[0] as i32, a[1] as i32, a[2] as i32, a[3]);
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let who = caller(t);
    let mem = t.mem();
    let out = |reply| copy_out(&mem, arg, reply);
    match cmd {
        ipc::IPC_INFO | sem::SEM_INFO => out(with_sem(t, |r, lim| r.info(cmd, lim))),
        ipc::IPC_STAT | sem::SEM_STAT | sem::SEM_STAT_ANY => out(with_sem(t, |r, _| r.stat(cmd, id, &who))?),
        sem::GETVAL | sem::GETPID | sem::GETNCNT | sem::GETZCNT => {
            with_sem(t, |r, _| r.get_one(id, num, cmd, &who)).map(|v| v as u64)
        }
        sem::GETALL => {
            let vals = with_sem(t, |r, _| r.get_all(id, &who))?;
            let b: Vec<u8> = vals.iter().flat_map(|v| v.to_ne_bytes()).collect();
            mem.write_bytes(arg, &b)?;
            Ok(0)
        }
        sem::SETVAL => with_sem(t, |r, _| r.set_val(id, num, arg as i32, &who)).map(|()| 0),
        sem::SETALL => {
            let n = with_sem(t, |r, _| r.nsems_for_setall(id, &who))?;
            let mut b = vec![0u8; n * 2];
            mem.read_bytes(arg, &mut b)?;
            let vals: Vec<u16> = b.chunks_exact(2).map(|c| u16::from_ne_bytes([c[0], c[1]])).collect();
            with_sem(t, |r, _| r.set_all(id, &vals, &who)).map(|()| 0)
        }
        ipc::IPC_SET => {
            let new = read_set_perm(t, arg)?;
            with_sem(t, |r, _| r.set(id, &new, &who)).map(|()| 0)
        }
        ipc::IPC_RMID => with_sem(t, |r, _| r.remove(id, &who)).map(|()| 0),
        _ => Err(Errno::EINVAL),
    }
}
