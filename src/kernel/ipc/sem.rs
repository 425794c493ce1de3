//! System V semaphore sets (semget, semop, semtimedop, semctl).
//!
//! A semop applies its whole array of operations or none: it is tried on a
//! copy of the values under the set's lock; when an operation would have
//! to wait, the caller sleeps on the set's queue (counted in semncnt or
//! semzcnt of the semaphore that stopped it) and tries again when the set
//! changes. Removal wakes sleepers with EIDRM.
//!
//! SEM_UNDO adjustments live in the set, keyed by the process's undo list
//! (`UndoList`, one per process, not inherited by fork); the list records
//! which sets hold some, so the process's exit can apply them.
//!
//! Lock order: the namespace's table, then a set's state, then an undo list.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

use super::limits::{self, IpcLimits};
use super::{now_secs, Caller, IdTable, IpcObject, IpcPerm, SetPerm, IPC_NOWAIT};
use crate::kernel::errno::Errno;
use crate::kernel::ns::pid::Pid;
use crate::kernel::wait::{block_until, WaitQueue};

/// Linux's defaults (`/proc/sys/kernel/sem`, the namespace's `limits.rs`):
/// semaphores per set, in all, operations per call, sets; the largest
/// value and adjustment.
pub const SEMMSL: usize = 32000;
pub const SEMMNS: usize = 1_024_000_000;
pub const SEMOPM: usize = 500;
pub const SEMMNI: usize = 32000;
pub const SEMVMX: i32 = 32767;
const SEMAEM: i32 = SEMVMX;

/// sem_flg: undo at exit.
pub const SEM_UNDO: i16 = 0x1000;

/// semctl commands beyond IPC_*.
pub const GETPID: i32 = 11;
pub const GETVAL: i32 = 12;
pub const GETALL: i32 = 13;
pub const GETNCNT: i32 = 14;
pub const GETZCNT: i32 = 15;
pub const SETVAL: i32 = 16;
pub const SETALL: i32 = 17;
pub const SEM_STAT: i32 = 18;
pub const SEM_INFO: i32 = 19;
pub const SEM_STAT_ANY: i32 = 20;

/// One `struct sembuf`.
#[derive(Clone, Copy, Debug)]
pub struct SemBuf {
    pub num: u16,
    pub op: i16,
    pub flags: i16,
}

/// One set.
pub struct SemSet {
    id: i32,
    nsems: usize,
    st: Mutex<SetState>,
    /// Tasks waiting for the values to change (or for removal).
    queue: WaitQueue,
}

struct SetState {
    perm: IpcPerm,
    otime: i64,
    ctime: i64,
    vals: Vec<i32>,
    /// The process of the last operation on each semaphore.
    pids: Vec<Option<Arc<Pid>>>,
    /// Sleepers waiting for an increase / for zero, per semaphore.
    ncnt: Vec<u32>,
    zcnt: Vec<u32>,
    removed: bool,
    /// SEM_UNDO adjustments by process (the address of its `UndoList`).
    undo: HashMap<usize, Vec<i32>>,
}

impl IpcObject for Arc<SemSet> {
    fn id(&self) -> i32 {
        self.id
    }
    fn perm(&self) -> IpcPerm {
        self.lock().perm.clone()
    }
}

impl SemSet {
    fn lock(&self) -> MutexGuard<'_, SetState> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A process's SEM_UNDO record: the sets that hold adjustments for it.
#[derive(Default)]
pub struct UndoList(Mutex<Vec<Weak<SemSet>>>);

impl UndoList {
    fn key(&self) -> usize {
        self as *const UndoList as usize
    }

    /// Whether the process has never made a SEM_UNDO operation (on a
    /// set that still exists): Linux has no undo list for it then.
    pub fn unused(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).iter().all(|w| w.strong_count() == 0)
    }

    fn note(&self, set: &Arc<SemSet>) {
        let mut l = self.0.lock().unwrap_or_else(|e| e.into_inner());
        l.retain(|w| w.strong_count() > 0);
        if !l.iter().any(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(set))) {
            l.push(Arc::downgrade(set));
        }
    }

    /// Applies the adjustments at the process's exit: each value moves by
    /// its adjustment, kept within 0..=SEMVMX, as Linux's exit_sem.
    pub fn exit(&self, pid: &Arc<Pid>) {
        let sets = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        for set in sets.iter().filter_map(Weak::upgrade) {
            let mut st = set.lock();
            let Some(adj) = st.undo.remove(&self.key()) else {
                continue;
            };
            if st.removed {
                continue;
            }
            for (i, a) in adj.iter().enumerate().filter(|(_, a)| **a != 0) {
                st.vals[i] = (st.vals[i] + a).clamp(0, SEMVMX);
                st.pids[i] = Some(pid.clone());
            }
            drop(st);
            set.queue.notify_all();
        }
    }
}

/// What one try of a semop came to.
enum Try {
    Done,
    /// Operation `i` must wait.
    Blocked(usize),
}

/// The semaphore sets of one IPC namespace.
#[derive(Default)]
pub struct SemRegistry {
    table: Mutex<IdTable<Arc<SemSet>>>,
}

impl SemRegistry {
    fn lock(&self) -> MutexGuard<'_, IdTable<Arc<SemSet>>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn find(&self, id: i32) -> Result<Arc<SemSet>, Errno> {
        self.lock().get(id).cloned()
    }

    /// semget(2).
    pub fn get(&self, key: i32, nsems: i32, flags: u32, who: &Caller, lim: &IpcLimits) -> Result<i32, Errno> {
        if nsems < 0 || nsems > limits::get(&lim.sem[0]) {
            return Err(Errno::EINVAL);
        }
        let nsems = nsems as usize;
        let mut tab = self.lock();
        let fits = |set: &Arc<SemSet>| if nsems > set.nsems { Err(Errno::EINVAL) } else { Ok(()) };
        if let Some(id) = tab.existing(key, flags, who, fits)? {
            return Ok(id);
        }
        if nsems == 0 {
            return Err(Errno::EINVAL);
        }
        let used: usize = tab.iter().map(|s| s.nsems).sum();
        if used + nsems > limits::count(&lim.sem[1]) {
            return Err(Errno::ENOSPC);
        }
        let (id, idx, seq) = tab.next_id(limits::count(&lim.sem[3]))?;
        let mut perm = IpcPerm::new(key, flags, &who.creds);
        perm.seq = seq;
        let set = Arc::new(SemSet {
            id,
            nsems,
            st: Mutex::new(SetState {
                perm,
                otime: 0,
                ctime: now_secs(),
                vals: vec![0; nsems],
                pids: vec![None; nsems],
                ncnt: vec![0; nsems],
                zcnt: vec![0; nsems],
                removed: false,
                undo: HashMap::new(),
            }),
            queue: WaitQueue::default(),
        });
        tab.insert(idx, seq, set);
        Ok(id)
    }

    /// semop(2) and semtimedop(2), after the syscall layer checked the
    /// count and copied the operations: all of `sops` at once, waiting
    /// (until `deadline`: EAGAIN) unless an operation that must wait has
    /// IPC_NOWAIT. A signal ends the wait with EINTR (never restarted).
    pub fn op(
        &self,
        id: i32,
        sops: &[SemBuf],
        deadline: Option<Instant>,
        who: &Caller,
        undo: &UndoList,
    ) -> Result<(), Errno> {
        let set = self.find(id)?;
        let max = sops.iter().map(|s| s.num as usize).max().unwrap_or(0);
        if max >= set.nsems {
            return Err(Errno::EFBIG);
        }
        let alter = sops.iter().any(|s| s.op != 0);
        let with_undo = sops.iter().any(|s| s.flags & SEM_UNDO != 0);
        {
            let st = set.lock();
            if !st.perm.allows(&who.creds, if alter { 0o222 } else { 0o444 }, who.cap_ipc_owner) {
                return Err(Errno::EACCES);
            }
        }
        if with_undo {
            undo.note(&set);
        }
        // The semaphore this caller is counted as waiting on, if any.
        let mut counted: Option<(usize, bool)> = None;
        let uncount = |st: &mut SetState, c: &mut Option<(usize, bool)>| {
            if let Some((n, zero)) = c.take() {
                let v = if zero { &mut st.zcnt[n] } else { &mut st.ncnt[n] };
                *v = v.saturating_sub(1);
            }
        };
        let r = block_until(&[&set.queue], deadline, || {
            let mut st = set.lock();
            uncount(&mut st, &mut counted);
            if st.removed {
                return Some(Err(Errno::EIDRM));
            }
            match try_ops(&mut st, sops, who, undo.key()) {
                Err(e) => Some(Err(e)),
                Ok(Try::Done) => Some(Ok(alter)),
                Ok(Try::Blocked(i)) if sops[i].flags & IPC_NOWAIT as i16 != 0 => Some(Err(Errno::EAGAIN)),
                Ok(Try::Blocked(i)) => {
                    let (n, zero) = (sops[i].num as usize, sops[i].op == 0);
                    if zero {
                        st.zcnt[n] += 1;
                    } else {
                        st.ncnt[n] += 1;
                    }
                    counted = Some((n, zero));
                    None
                }
            }
        });
        uncount(&mut set.lock(), &mut counted);
        match r {
            Ok(changed) => {
                if changed {
                    set.queue.notify_all();
                }
                Ok(())
            }
            Err(Errno::ETIMEDOUT) => Err(Errno::EAGAIN),
            Err(Errno::ERESTARTSYS) => Err(Errno::EINTR),
            Err(e) => Err(e),
        }
    }

    /// The set `id` (or at index `id` for the SEM_STAT forms), with the
    /// access `acc` (0o444 read, 0o222 write; 0 none) checked.
    fn checked(&self, cmd: i32, id: i32, acc: u32, who: &Caller) -> Result<Arc<SemSet>, Errno> {
        let set = self.lock().lookup(cmd == SEM_STAT || cmd == SEM_STAT_ANY, id)?.clone();
        if acc != 0 && !set.allows(who, acc) {
            return Err(Errno::EACCES);
        }
        Ok(set)
    }

    /// IPC_STAT, SEM_STAT, SEM_STAT_ANY: the `struct semid64_ds` and what
    /// the call returns (0, or the id for the SEM_STAT forms).
    pub fn stat(&self, cmd: i32, id: i32, who: &Caller) -> Result<(Vec<u8>, i32), Errno> {
        let set = self.checked(cmd, id, if cmd == SEM_STAT_ANY { 0 } else { 0o444 }, who)?;
        let st = set.lock();
        let mut b = Vec::with_capacity(104);
        st.perm.encode(&mut b);
        for v in [st.otime as u64, 0, st.ctime as u64, 0, set.nsems as u64, 0, 0] {
            b.extend_from_slice(&v.to_ne_bytes());
        }
        Ok((b, if cmd == super::IPC_STAT { 0 } else { set.id }))
    }

    /// GETVAL, GETPID, GETNCNT, GETZCNT of semaphore `num`.
    pub fn get_one(&self, id: i32, num: i32, cmd: i32, who: &Caller) -> Result<i32, Errno> {
        let set = self.checked(cmd, id, 0o444, who)?;
        let st = set.lock();
        let n = usize::try_from(num).ok().filter(|&n| n < set.nsems).ok_or(Errno::EINVAL)?;
        Ok(match cmd {
            GETVAL => st.vals[n],
            GETPID => st.pids[n].as_ref().map_or(0, |p| p.nr_in(&who.pidns)),
            GETNCNT => st.ncnt[n] as i32,
            _ => st.zcnt[n] as i32,
        })
    }

    /// GETALL: every value.
    pub fn get_all(&self, id: i32, who: &Caller) -> Result<Vec<u16>, Errno> {
        let set = self.checked(GETALL, id, 0o444, who)?;
        let vals = set.lock().vals.iter().map(|&v| v as u16).collect();
        Ok(vals)
    }

    /// SETVAL: one value; every process's adjustment of it is cleared.
    pub fn set_val(&self, id: i32, num: i32, val: i32, who: &Caller) -> Result<(), Errno> {
        if !(0..=SEMVMX).contains(&val) {
            return Err(Errno::ERANGE);
        }
        let set = self.find(id)?;
        let n = usize::try_from(num).ok().filter(|&n| n < set.nsems).ok_or(Errno::EINVAL)?;
        let mut st = set.lock();
        if !st.perm.allows(&who.creds, 0o222, who.cap_ipc_owner) {
            return Err(Errno::EACCES);
        }
        for adj in st.undo.values_mut() {
            adj[n] = 0;
        }
        st.vals[n] = val;
        st.pids[n] = Some(who.pid.clone());
        st.ctime = now_secs();
        drop(st);
        set.queue.notify_all();
        Ok(())
    }

    /// The number of semaphores of set `id`, for SETALL's copy-in (with
    /// write access checked).
    pub fn nsems_for_setall(&self, id: i32, who: &Caller) -> Result<usize, Errno> {
        Ok(self.checked(SETALL, id, 0o222, who)?.nsems)
    }

    /// SETALL: every value; every adjustment is cleared.
    pub fn set_all(&self, id: i32, vals: &[u16], who: &Caller) -> Result<(), Errno> {
        if vals.iter().any(|&v| v as i32 > SEMVMX) {
            return Err(Errno::ERANGE);
        }
        let set = self.checked(SETALL, id, 0o222, who)?;
        let mut st = set.lock();
        if vals.len() != set.nsems || st.removed {
            return Err(Errno::EIDRM);
        }
        for adj in st.undo.values_mut() {
            adj.iter_mut().for_each(|a| *a = 0);
        }
        for (i, &v) in vals.iter().enumerate() {
            st.vals[i] = v as i32;
            st.pids[i] = Some(who.pid.clone());
        }
        st.ctime = now_secs();
        drop(st);
        set.queue.notify_all();
        Ok(())
    }

    /// IPC_SET: owner and permission bits.
    pub fn set(&self, id: i32, new: &SetPerm, who: &Caller) -> Result<(), Errno> {
        let set = self.find(id)?;
        let mut st = set.lock();
        st.perm.set(new, who)?;
        st.ctime = now_secs();
        Ok(())
    }

    /// IPC_RMID: the set goes now; its sleepers wake with EIDRM.
    pub fn remove(&self, id: i32, who: &Caller) -> Result<(), Errno> {
        let mut tab = self.lock();
        let set = tab.get(id)?.clone();
        let mut st = set.lock();
        st.perm.check_owner(&who.creds, who.cap_sys_admin)?;
        st.removed = true;
        st.undo.clear();
        drop(st);
        tab.remove(id);
        drop(tab);
        set.queue.notify_all();
        Ok(())
    }

    /// `/proc/sysvipc/sem`.
    pub fn proc_text(&self) -> String {
        use std::fmt::Write;
        let mut s =
            String::from("       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n");
        for set in self.lock().iter() {
            let st = set.lock();
            let p = &st.perm;
            let _ = writeln!(
                s,
                "{:10} {:10}  {:4o} {:10} {:5} {:5} {:5} {:5} {:10} {:10}",
                p.key, set.id, p.mode, set.nsems, p.uid, p.gid, p.cuid, p.cgid, st.otime, st.ctime
            );
        }
        s
    }

    /// IPC_INFO and SEM_INFO: `struct seminfo`, and the highest index in use.
    pub fn info(&self, cmd: i32, lim: &IpcLimits) -> (Vec<u8>, i32) {
        let tab = self.lock();
        let (usz, aem) = if cmd == SEM_INFO {
            (tab.len() as i32, tab.iter().map(|s| s.nsems).sum::<usize>() as i32)
        } else {
            (20, SEMAEM)
        };
        let [msl, mns, opm, mni] = lim.sem.each_ref().map(limits::get);
        // semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem
        let vals = [SEMMNS as i32, mni, mns, SEMMNS as i32, msl, opm, SEMOPM as i32, usz, SEMVMX, aem];
        (vals.iter().flat_map(|v| v.to_ne_bytes()).collect(), tab.max_idx() as i32)
    }
}

/// Tries every operation on a copy of the values; commits them when none
/// has to wait. Precondition: `st` is the set's locked state.
fn try_ops(st: &mut SetState, sops: &[SemBuf], who: &Caller, undo_key: usize) -> Result<Try, Errno> {
    let mut vals = st.vals.clone();
    let adj = st.undo.get(&undo_key);
    for (i, s) in sops.iter().enumerate() {
        let n = s.num as usize;
        let op = s.op as i32;
        if op == 0 {
            if vals[n] != 0 {
                return Ok(Try::Blocked(i));
            }
            continue;
        }
        let r = vals[n] + op;
        if r < 0 {
            return Ok(Try::Blocked(i));
        }
        if r > SEMVMX {
            return Err(Errno::ERANGE);
        }
        if s.flags & SEM_UNDO != 0 {
            let u = adj.map_or(0, |a| a[n]) - op;
            if !(-SEMAEM - 1..=SEMAEM).contains(&u) {
                return Err(Errno::ERANGE);
            }
        }
        vals[n] = r;
    }
    st.vals = vals;
    let nsems = st.vals.len();
    for s in sops {
        let n = s.num as usize;
        st.pids[n] = Some(who.pid.clone());
        if s.flags & SEM_UNDO != 0 && s.op != 0 {
            st.undo.entry(undo_key).or_insert_with(|| vec![0; nsems])[n] -= s.op as i32;
        }
    }
    st.otime = now_secs();
    Ok(Try::Done)
}
