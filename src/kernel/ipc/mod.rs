//! System V IPC objects: shared memory segments (`shm.rs`), semaphore
//! sets (`sem.rs`) and message queues (`msg.rs`). Each IPC namespace
//! (`ns/ipc.rs`) owns one table of each kind and its tunable limits
//! (`limits.rs`); objects of one namespace are never found from another.
//! This file holds what the kinds share: the permission record
//! (`ipc64_perm`), its checks (Linux's `ipcperms` and the owner check of
//! IPC_SET/IPC_RMID), and the id table (keys, indexes and sequence numbers
//! as Linux makes them).

pub mod limits;
pub mod mqueue;
pub mod msg;
pub mod sem;
pub mod shm;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::kernel::errno::Errno;
use crate::kernel::ns::pid::{Pid, PidNamespace};
use crate::kernel::task::creds::Credentials;

/// IPC_PRIVATE: a key that always makes a new object.
pub const IPC_PRIVATE: i32 = 0;
/// Create the object if the key has none.
pub const IPC_CREAT: u32 = 0o1000;
/// With IPC_CREAT: fail if the key has one.
pub const IPC_EXCL: u32 = 0o2000;
/// Do not block (semop).
pub const IPC_NOWAIT: u32 = 0o4000;
/// ctl commands both kinds share.
pub const IPC_RMID: i32 = 0;
pub const IPC_SET: i32 = 1;
pub const IPC_STAT: i32 = 2;
pub const IPC_INFO: i32 = 3;

/// Linux's IPCMNI and the sequence multiplier of ids (`ipcmni_seq_shift`).
const SEQ_MULTIPLIER: i32 = 32768;
/// Most objects of one kind in a namespace, whatever shmmni, semmni or
/// msgmni say (Linux's ipc_mni).
pub const IPCMNI: usize = 32768;

/// CAP_IPC_LOCK, CAP_IPC_OWNER, CAP_SYS_ADMIN.
pub const CAP_IPC_LOCK: u32 = 14;
pub const CAP_IPC_OWNER: u32 = 15;
pub const CAP_SYS_ADMIN: u32 = 21;
/// CAP_SYS_RESOURCE: may raise a queue's msg_qbytes above msgmnb.
pub const CAP_SYS_RESOURCE: u32 = 24;

/// An object's ownership and permissions (`struct kern_ipc_perm`).
#[derive(Clone, Debug)]
pub struct IpcPerm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// The low 9 bits are the permissions; shm adds SHM_DEST and SHM_LOCKED.
    pub mode: u32,
    pub seq: u16,
}

impl IpcPerm {
    /// The record of a new object made by `creds` with `flags`' permission bits.
    pub fn new(key: i32, flags: u32, creds: &Credentials) -> IpcPerm {
        IpcPerm {
            key,
            uid: creds.euid,
            gid: creds.egid,
            cuid: creds.euid,
            cgid: creds.egid,
            mode: flags & 0o777,
            seq: 0,
        }
    }

    /// Linux's `ipcperms`: whether `creds` may have the access `flag`'s
    /// permission bits ask for (read 0o444, write 0o222...); `cap_owner` is
    /// CAP_IPC_OWNER, which overrides.
    pub fn allows(&self, creds: &Credentials, flag: u32, cap_owner: bool) -> bool {
        let requested = (flag >> 6) | (flag >> 3) | flag;
        let mut granted = self.mode;
        if creds.euid == self.cuid || creds.euid == self.uid {
            granted >>= 6;
        } else if [self.cgid, self.gid].iter().any(|g| *g == creds.egid || creds.groups.contains(g)) {
            granted >>= 3;
        }
        requested & !granted & 0o7 == 0 || cap_owner
    }

    /// The check of IPC_SET and IPC_RMID: the owner, the creator, or
    /// CAP_SYS_ADMIN; EPERM otherwise.
    pub fn check_owner(&self, creds: &Credentials, cap_sys_admin: bool) -> Result<(), Errno> {
        if creds.euid == self.uid || creds.euid == self.cuid || cap_sys_admin {
            Ok(())
        } else {
            Err(Errno::EPERM)
        }
    }

    /// IPC_SET: new owner and permission bits, if `who` may (EPERM).
    pub fn set(&mut self, new: &SetPerm, who: &Caller) -> Result<(), Errno> {
        self.check_owner(&who.creds, who.cap_sys_admin)?;
        // Linux's ipc_update_perm: -1 is no valid id.
        if new.uid == u32::MAX || new.gid == u32::MAX {
            return Err(Errno::EINVAL);
        }
        self.uid = new.uid;
        self.gid = new.gid;
        self.mode = (self.mode & !0o777) | (new.mode & 0o777);
        Ok(())
    }

    /// `struct ipc64_perm` (x86_64: 48 bytes).
    pub fn encode(&self, out: &mut Vec<u8>) {
        for v in [self.key as u32, self.uid, self.gid, self.cuid, self.cgid] {
            out.extend_from_slice(&v.to_ne_bytes());
        }
        out.extend_from_slice(&(self.mode as u16).to_ne_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.seq.to_ne_bytes());
        out.extend_from_slice(&[0; 2 + 4 + 16]);
    }
}

/// The fields IPC_SET takes from a user's `ipc64_perm`.
pub struct SetPerm {
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

impl SetPerm {
    /// Reads them from the first bytes of an `ipc64_perm`.
    pub fn decode(b: &[u8]) -> SetPerm {
        let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap_or_default());
        SetPerm { uid: u32_at(4), gid: u32_at(8), mode: u16::from_ne_bytes([b[20], b[21]]) as u32 }
    }
}

/// The objects of one kind in one namespace, by index; an id is
/// `seq * 32768 + index`, as Linux numbers them (lowest free index; the
/// sequence moves on when an index at or below the last one is reused).
pub struct IdTable<T> {
    objs: BTreeMap<usize, T>,
    seq: u16,
    last_idx: Option<usize>,
}

impl<T> Default for IdTable<T> {
    fn default() -> Self {
        IdTable { objs: BTreeMap::new(), seq: 0, last_idx: None }
    }
}

/// What an object in an `IdTable` exposes to it.
pub trait IpcObject {
    /// The object's id.
    fn id(&self) -> i32;
    /// A copy of its permissions, taken under its lock.
    fn perm(&self) -> IpcPerm;
    /// The object's key (IPC_PRIVATE once it is marked for removal).
    fn key(&self) -> i32 {
        self.perm().key
    }
    /// Whether `who` has the access `flag`'s permission bits ask for.
    fn allows(&self, who: &Caller, flag: u32) -> bool {
        self.perm().allows(&who.creds, flag, who.cap_ipc_owner)
    }
}

impl<T: IpcObject> IdTable<T> {
    /// The object with id `id`: EINVAL if there is none (or the id's
    /// sequence number is stale).
    pub fn get(&self, id: i32) -> Result<&T, Errno> {
        if id < 0 {
            return Err(Errno::EINVAL);
        }
        self.objs.get(&((id % SEQ_MULTIPLIER) as usize)).filter(|o| o.id() == id).ok_or(Errno::EINVAL)
    }

    /// The object with id `id`, or at index `id` for the *_STAT commands
    /// (`by_index`); EINVAL if there is none.
    pub fn lookup(&self, by_index: bool, id: i32) -> Result<&T, Errno> {
        if !by_index {
            return self.get(id);
        }
        usize::try_from(id).ok().and_then(|i| self.objs.get(&i)).ok_or(Errno::EINVAL)
    }

    /// Linux's ipcget for a key other than IPC_PRIVATE: the id of the
    /// object holding `key`, once IPC_CREAT|IPC_EXCL (EEXIST), the kind's
    /// own check `fits` and the permission check (EACCES) pass; `None` when
    /// a new object is to be made; ENOENT without IPC_CREAT.
    pub fn existing(
        &self,
        key: i32,
        flags: u32,
        who: &Caller,
        fits: impl FnOnce(&T) -> Result<(), Errno>,
    ) -> Result<Option<i32>, Errno> {
        if key == IPC_PRIVATE {
            return Ok(None);
        }
        let Some(obj) = self.by_key(key) else {
            return if flags & IPC_CREAT == 0 { Err(Errno::ENOENT) } else { Ok(None) };
        };
        if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
            return Err(Errno::EEXIST);
        }
        fits(obj)?;
        if !obj.allows(who, flags) {
            return Err(Errno::EACCES);
        }
        Ok(Some(obj.id()))
    }

    /// The object with key `key` (never IPC_PRIVATE).
    pub fn by_key(&self, key: i32) -> Option<&T> {
        self.objs.values().find(|o| o.key() == key)
    }

    /// The id the next object gets, and its index and sequence; ENOSPC
    /// when the table holds `limit` objects already.
    pub fn next_id(&self, limit: usize) -> Result<(i32, usize, u16), Errno> {
        if self.objs.len() >= limit.min(IPCMNI) {
            return Err(Errno::ENOSPC);
        }
        let idx = (0..).find(|i| !self.objs.contains_key(i)).unwrap_or(0);
        let seq = if self.last_idx.is_some_and(|l| idx <= l) {
            (self.seq + 1) % (i32::MAX / SEQ_MULTIPLIER) as u16
        } else {
            self.seq
        };
        Ok((seq as i32 * SEQ_MULTIPLIER + idx as i32, idx, seq))
    }

    /// Adds an object made with `next_id`'s answer.
    pub fn insert(&mut self, idx: usize, seq: u16, obj: T) {
        self.seq = seq;
        self.last_idx = Some(idx);
        self.objs.insert(idx, obj);
    }

    /// Removes the object with id `id`, if it is there.
    pub fn remove(&mut self, id: i32) -> Option<T> {
        let idx = (id % SEQ_MULTIPLIER) as usize;
        if self.objs.get(&idx).is_some_and(|o| o.id() == id) {
            self.objs.remove(&idx)
        } else {
            None
        }
    }

    /// Every object, by index.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.objs.values()
    }

    /// The highest index in use (IPC_INFO, SHM_INFO return it), 0 if none.
    pub fn max_idx(&self) -> usize {
        self.objs.keys().next_back().copied().unwrap_or(0)
    }

    /// How many objects there are.
    pub fn len(&self) -> usize {
        self.objs.len()
    }
}

/// Who makes an IPC call: what the permission checks and the pid fields need.
pub struct Caller {
    pub creds: Credentials,
    /// CAP_IPC_OWNER: overrides the permission bits.
    pub cap_ipc_owner: bool,
    /// CAP_SYS_ADMIN: may IPC_SET and IPC_RMID any object.
    pub cap_sys_admin: bool,
    /// CAP_IPC_LOCK: may SHM_LOCK any segment.
    pub cap_ipc_lock: bool,
    /// CAP_SYS_RESOURCE: may go beyond msgmnb.
    pub cap_sys_resource: bool,
    /// The calling process's ids.
    pub pid: Arc<Pid>,
    /// The caller's PID namespace, which pids are shown in.
    pub pidns: Arc<PidNamespace>,
}

/// The current time in seconds, for the objects' time stamps.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
