//! Advisory file locks: POSIX record locks (`fcntl` F_SETLK/F_SETLKW/
//! F_GETLK, owned by a descriptor table and released when that table closes
//! any descriptor of the file), open file description locks (F_OFD_*, owned
//! by the open file) and `flock` locks (owned by the open file). Record
//! locks of both kinds conflict with each other; `flock` locks are separate,
//! as in Linux. A blocking POSIX lock request that would wait, directly or
//! through a chain of waiting owners, on its own owner fails with EDEADLK.
//!
//! Files are identified by (device, inode). One table serves the host
//! process (a sandbox is one process). Lock order: `Locks::state` is taken
//! alone; waiting happens on `Locks::queue`, notified on every release.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard};

use super::file::OpenFile;
use crate::kernel::errno::Errno;
use crate::kernel::wait::{block_until, WaitQueue};

/// Who owns a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A POSIX lock of a descriptor table (its address), set by process `pid`.
    Posix(usize),
    /// An open file description's lock (its address).
    Ofd(usize),
}

/// A file's identity.
pub type Key = (u64, u64);

/// One record lock: `[start, end]` (inclusive; `u64::MAX` is "to the end").
#[derive(Clone, Copy, Debug)]
pub struct Record {
    pub owner: Owner,
    /// The process reported by F_GETLK (-1 for OFD locks).
    pub pid: i32,
    /// F_RDLCK or F_WRLCK.
    pub kind: i16,
    pub start: u64,
    pub end: u64,
    /// When it was set (`/proc/locks` lists the newest first); the lock
    /// table numbers records as they go in.
    pub seq: u64,
}

impl Record {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && start <= self.end
    }

    fn conflicts(&self, req: &Record) -> bool {
        self.owner != req.owner
            && self.overlaps(req.start, req.end)
            && (self.kind == libc::F_WRLCK as i16 || req.kind == libc::F_WRLCK as i16)
    }
}

/// One `flock` lock.
#[derive(Clone, Copy)]
struct Flock {
    /// The owning open file (its address).
    file: usize,
    exclusive: bool,
    /// The sandbox-global pid of the process that took it.
    pid: i32,
    seq: u64,
}

#[derive(Default)]
struct FileLocks {
    records: Vec<Record>,
    flocks: Vec<Flock>,
}

#[derive(Default)]
struct State {
    files: HashMap<Key, FileLocks>,
    /// POSIX owners sleeping in F_SETLKW, and what they wait for.
    waiting: HashMap<Owner, (Key, Record)>,
    /// The number of the next lock set.
    next_seq: u64,
}

impl State {
    fn take_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }
}

/// The lock table.
pub struct Locks {
    state: Mutex<State>,
    /// Notified whenever a lock goes away.
    queue: WaitQueue,
    /// How many files have locks: closing files is free while none do.
    files_locked: AtomicUsize,
}

static LOCKS: LazyLock<Locks> = LazyLock::new(|| Locks {
    state: Mutex::new(State::default()),
    queue: WaitQueue::default(),
    files_locked: AtomicUsize::new(0),
});

impl Locks {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn changed(&self, st: &mut State) {
        st.files.retain(|_, f| !f.records.is_empty() || !f.flocks.is_empty());
        self.files_locked.store(st.files.len(), Ordering::Relaxed);
        self.queue.notify_all();
    }
}

/// The identity of an open file for locking.
pub fn key_of(f: &OpenFile) -> Result<Key, Errno> {
    let s = f.ops.stat()?;
    Ok((s.dev, s.ino))
}

/// F_GETLK: the first lock that would block `req`, if any.
pub fn test(key: Key, req: &Record) -> Option<Record> {
    let st = LOCKS.lock();
    st.files.get(&key)?.records.iter().find(|r| r.conflicts(req)).copied()
}

/// Whether `owner` would, by waiting for `blockers`, wait for itself.
fn deadlock(st: &State, owner: Owner, blockers: &[Owner]) -> bool {
    let mut seen = HashSet::new();
    let mut todo: Vec<Owner> = blockers.to_vec();
    while let Some(o) = todo.pop() {
        if o == owner {
            return true;
        }
        if !seen.insert(o) {
            continue;
        }
        if let Some((key, req)) = st.waiting.get(&o) {
            if let Some(f) = st.files.get(key) {
                todo.extend(f.records.iter().filter(|r| r.conflicts(req)).map(|r| r.owner));
            }
        }
    }
    false
}

/// F_SETLK / F_SETLKW (and the OFD forms): sets, changes or (F_UNLCK)
/// removes the owner's lock on `[req.start, req.end]`.
pub fn set(key: Key, req: Record, wait: bool) -> Result<(), Errno> {
    if req.kind == libc::F_UNLCK as i16 {
        let mut st = LOCKS.lock();
        if let Some(f) = st.files.get_mut(&key) {
            carve(&mut f.records, req.owner, req.start, req.end);
        }
        LOCKS.changed(&mut st);
        return Ok(());
    }
    let r = block_until(&[&LOCKS.queue], None, || {
        let mut st = LOCKS.lock();
        let blockers: Vec<Owner> = st
            .files
            .get(&key)
            .map(|f| f.records.iter().filter(|r| r.conflicts(&req)).map(|r| r.owner).collect())
            .unwrap_or_default();
        if blockers.is_empty() {
            st.waiting.remove(&req.owner);
            let seq = st.take_seq();
            let f = st.files.entry(key).or_default();
            carve(&mut f.records, req.owner, req.start, req.end);
            f.records.push(Record { seq, ..req });
            merge(&mut f.records, req.owner);
            LOCKS.files_locked.store(st.files.len(), Ordering::Relaxed);
            return Some(Ok(()));
        }
        if !wait {
            return Some(Err(Errno::EAGAIN));
        }
        if matches!(req.owner, Owner::Posix(_)) && deadlock(&st, req.owner, &blockers) {
            st.waiting.remove(&req.owner);
            return Some(Err(Errno::EDEADLK));
        }
        st.waiting.insert(req.owner, (key, req));
        None
    });
    if r.is_err() {
        LOCKS.lock().waiting.remove(&req.owner);
    }
    r
}

/// Removes `owner`'s locking of `[start, end]`, splitting records.
fn carve(records: &mut Vec<Record>, owner: Owner, start: u64, end: u64) {
    let mut out = Vec::with_capacity(records.len() + 1);
    for r in records.drain(..) {
        if r.owner != owner || !r.overlaps(start, end) {
            out.push(r);
            continue;
        }
        if r.start < start {
            out.push(Record { end: start - 1, ..r });
        }
        if r.end > end {
            out.push(Record { start: end + 1, ..r });
        }
    }
    *records = out;
}

/// Joins the owner's adjacent or overlapping records of one kind.
fn merge(records: &mut Vec<Record>, owner: Owner) {
    let (mut mine, mut rest): (Vec<Record>, Vec<Record>) = records.drain(..).partition(|r| r.owner == owner);
    mine.sort_by_key(|r| (r.kind, r.start));
    let mut merged: Vec<Record> = Vec::new();
    for r in mine {
        match merged.last_mut() {
            Some(m) if m.kind == r.kind && r.start <= m.end.saturating_add(1) => m.end = m.end.max(r.end),
            _ => merged.push(r),
        }
    }
    rest.extend(merged);
    *records = rest;
}

/// `flock(2)` by process `pid` (sandbox-global): `op` is LOCK_SH, LOCK_EX
/// or LOCK_UN (LOCK_NB is `!wait`).
pub fn flock(key: Key, file: &OpenFile, pid: i32, op: i32, wait: bool) -> Result<(), Errno> {
    let me = file as *const OpenFile as usize;
    {
        // Converting a lock first drops the old one, as in Linux.
        let mut st = LOCKS.lock();
        if let Some(f) = st.files.get_mut(&key) {
            let had = f.flocks.len();
            f.flocks.retain(|l| l.file != me);
            if f.flocks.len() != had || op == libc::LOCK_UN {
                LOCKS.changed(&mut st);
            }
        }
    }
    if op == libc::LOCK_UN {
        return Ok(());
    }
    let exclusive = op == libc::LOCK_EX;
    block_until(&[&LOCKS.queue], None, || {
        let mut st = LOCKS.lock();
        let seq = st.next_seq + 1;
        let f = st.files.entry(key).or_default();
        let busy = f.flocks.iter().any(|l| l.file != me && (l.exclusive || exclusive));
        if !busy {
            f.flocks.push(Flock { file: me, exclusive, pid, seq });
            st.next_seq = seq;
            LOCKS.files_locked.store(st.files.len(), Ordering::Relaxed);
            return Some(Ok(()));
        }
        if !wait {
            return Some(Err(Errno::EAGAIN));
        }
        None
    })
}

/// A descriptor table closed a descriptor of `file`: its POSIX locks on
/// that file go away.
pub fn release_posix(table: usize, file: &OpenFile) {
    if LOCKS.files_locked.load(Ordering::Relaxed) == 0 {
        return;
    }
    let Ok(key) = key_of(file) else {
        return;
    };
    let mut st = LOCKS.lock();
    if let Some(f) = st.files.get_mut(&key) {
        let before = f.records.len();
        f.records.retain(|r| r.owner != Owner::Posix(table));
        if f.records.len() != before {
            LOCKS.changed(&mut st);
        }
    }
}

/// An open file description is gone: its OFD and flock locks go away.
pub fn release_ofd(file: &OpenFile) {
    if LOCKS.files_locked.load(Ordering::Relaxed) == 0 {
        return;
    }
    let me = file as *const OpenFile as usize;
    let mut st = LOCKS.lock();
    let mut any = false;
    for f in st.files.values_mut() {
        let before = f.records.len() + f.flocks.len();
        f.records.retain(|r| r.owner != Owner::Ofd(me));
        f.flocks.retain(|l| l.file != me);
        any |= f.records.len() + f.flocks.len() != before;
    }
    if any {
        LOCKS.changed(&mut st);
    }
}

/// A lock as `/proc/locks` lists it.
#[derive(Clone, Copy, Debug)]
pub struct Listed {
    /// "POSIX", "OFDLCK" or "FLOCK".
    pub class: &'static str,
    pub write: bool,
    /// The sandbox-global pid of its process (-1 for OFD locks).
    pub pid: i32,
    pub key: Key,
    pub start: u64,
    /// `u64::MAX` is "to the end" (EOF).
    pub end: u64,
}

/// Every lock held now, the newest first.
pub fn listing() -> Vec<Listed> {
    let st = LOCKS.lock();
    let mut all: Vec<(u64, Listed)> = Vec::new();
    for (key, f) in &st.files {
        for r in &f.records {
            let class = if matches!(r.owner, Owner::Ofd(_)) { "OFDLCK" } else { "POSIX" };
            let write = r.kind == libc::F_WRLCK as i16;
            all.push((r.seq, Listed { class, write, pid: r.pid, key: *key, start: r.start, end: r.end }));
        }
        for l in &f.flocks {
            let listed = Listed { class: "FLOCK", write: l.exclusive, pid: l.pid, key: *key, start: 0, end: u64::MAX };
            all.push((l.seq, listed));
        }
    }
    all.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
    all.into_iter().map(|(_, l)| l).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(owner: usize, kind: i32, start: u64, end: u64) -> Record {
        Record { owner: Owner::Posix(owner), pid: owner as i32, kind: kind as i16, start, end, seq: 0 }
    }

    #[test]
    fn carve_splits_and_merge_joins() {
        let mut v = vec![rec(1, libc::F_WRLCK, 0, 99)];
        carve(&mut v, Owner::Posix(1), 10, 19);
        assert_eq!(v.len(), 2);
        v.push(rec(1, libc::F_WRLCK, 10, 19));
        merge(&mut v, Owner::Posix(1));
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].start, v[0].end), (0, 99));
    }

    #[test]
    fn conflicts_need_a_writer_and_another_owner() {
        let a = rec(1, libc::F_RDLCK, 0, 10);
        assert!(!a.conflicts(&rec(2, libc::F_RDLCK, 5, 6)));
        assert!(a.conflicts(&rec(2, libc::F_WRLCK, 5, 6)));
        assert!(!a.conflicts(&rec(1, libc::F_WRLCK, 5, 6)));
        assert!(!a.conflicts(&rec(2, libc::F_WRLCK, 11, 20)));
    }
}
