//! System V shared memory segments (shmget, shmctl; shmat and shmdt map
//! them through `mm`). A segment's pages are a host memfd the sentry owns:
//! the stubs share the sentry's descriptor table, so every process that
//! attaches the segment maps the same host pages (MAP_SHARED), and forked
//! children keep them as for any shared file mapping.
//!
//! Attachments are counted as Linux counts them, per mapping: every VMA
//! backed by the segment holds a `ShmRef`, whose clones (a fork's copy, a
//! split by mprotect or munmap) count and whose drops uncount. A segment
//! marked with IPC_RMID leaves its namespace's table when the last one goes;
//! its memory goes with the last `Arc<Segment>`.
//!
//! Lock order: the namespace's table, then a segment's state. A `ShmRef`
//! is dropped with neither held (it takes both), possibly under an address
//! space's lock, which is therefore taken before them.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use super::limits::{self, IpcLimits};
use super::{now_secs, Caller, IdTable, IpcObject, IpcPerm, SetPerm, IPC_PRIVATE};
use crate::kernel::errno::Errno;
use crate::kernel::mm::account::{take_refused, Reservation};
use crate::kernel::ns::pid::Pid;

/// Smallest and largest segment, most segments, most pages in all (Linux's
/// defaults: SHMMAX and SHMALL are "unlimited", ULONG_MAX - 2^24); all but
/// SHMMIN are the namespace's defaults (`limits.rs`). SHMMNI is also the
/// shmseg IPC_INFO reports.
pub const SHMMIN: u64 = 1;
pub const SHMMAX: u64 = u64::MAX - (1 << 24);
pub const SHMALL: u64 = u64::MAX - (1 << 24);
pub const SHMMNI: usize = 4096;

/// shmget flags.
pub const SHM_HUGETLB: u32 = 0o4000;
/// shmat flags.
pub const SHM_RDONLY: u32 = 0o10000;
pub const SHM_RND: u32 = 0o20000;
pub const SHM_REMAP: u32 = 0o40000;
pub const SHM_EXEC: u32 = 0o100000;
/// Mode bits IPC_STAT reports: marked for removal, locked.
const SHM_DEST: u32 = 0o1000;
const SHM_LOCKED: u32 = 0o2000;

/// shmctl commands beyond IPC_*.
pub const SHM_LOCK: i32 = 11;
pub const SHM_UNLOCK: i32 = 12;
pub const SHM_STAT: i32 = 13;
pub const SHM_INFO: i32 = 14;
pub const SHM_STAT_ANY: i32 = 15;

const PAGE: u64 = 4096;

type Table = Mutex<IdTable<Arc<Segment>>>;

/// One segment.
pub struct Segment {
    id: i32,
    /// The size asked for (`shm_segsz`); mappings cover it in whole pages.
    size: u64,
    memfd: OwnedFd,
    /// A shared-memory object id (as `Backing::SharedAnon`'s), for futex
    /// keys and `/proc/<pid>/maps`.
    pub object_id: u64,
    /// The namespace's table, which the segment leaves when it is marked
    /// and the last attachment goes.
    table: Weak<Table>,
    st: Mutex<SegState>,
    /// Its size, charged to the creator's container (given back with it).
    _charge: Option<Reservation>,
}

struct SegState {
    perm: IpcPerm,
    atime: i64,
    dtime: i64,
    ctime: i64,
    cpid: Arc<Pid>,
    lpid: Option<Arc<Pid>>,
    /// Mappings of the segment (live `ShmRef`s).
    nattch: u64,
}

impl IpcObject for Arc<Segment> {
    fn id(&self) -> i32 {
        self.id
    }
    fn perm(&self) -> IpcPerm {
        self.lock().perm.clone()
    }
}

impl Segment {
    fn lock(&self) -> MutexGuard<'_, SegState> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The segment's id.
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The size asked for at shmget.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The host memfd holding the pages (mapped into stubs).
    pub fn host_fd(&self) -> RawFd {
        self.memfd.as_raw_fd()
    }

    /// The key, for `/proc/<pid>/maps` (`/SYSV%08x`).
    pub fn key(&self) -> i32 {
        self.lock().perm.key
    }

    /// Records a successful attach (shm_atime, shm_lpid).
    pub fn note_attach(&self, pid: &Arc<Pid>) {
        let mut st = self.lock();
        st.atime = now_secs();
        st.lpid = Some(pid.clone());
    }

    /// Pages of the memfd in memory (SHM_INFO's shm_rss, /proc/sysvipc/shm).
    fn resident_pages(&self) -> u64 {
        nix::sys::stat::fstat(self.memfd.as_raw_fd()).map_or(0, |s| s.st_blocks as u64 * 512 / PAGE)
    }
}

/// One attachment of a segment: held by the VMA that maps it. Cloning is
/// attaching again (fork, a split); dropping detaches (shmdt, munmap, exec,
/// exit). As Linux's shm_open and shm_close, both stamp the time (atime,
/// dtime) and make the calling process the segment's lpid.
pub struct ShmRef(Arc<Segment>);

impl ShmRef {
    /// The segment.
    pub fn segment(&self) -> &Arc<Segment> {
        &self.0
    }

    /// Whether both name the same segment.
    pub fn same(&self, other: &ShmRef) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    fn attach(seg: &Arc<Segment>) -> ShmRef {
        seg.lock().nattch += 1;
        ShmRef(seg.clone())
    }
}

impl Clone for ShmRef {
    fn clone(&self) -> Self {
        let r = ShmRef::attach(&self.0);
        if let Some(t) = crate::kernel::wait::current() {
            self.0.note_attach(&t.tg.pid);
        }
        r
    }
}

impl Drop for ShmRef {
    fn drop(&mut self) {
        let table = self.0.table.upgrade();
        let mut tab = table.as_ref().map(|t| t.lock().unwrap_or_else(|e| e.into_inner()));
        let mut st = self.0.lock();
        st.nattch -= 1;
        st.dtime = now_secs();
        if let Some(t) = crate::kernel::wait::current() {
            st.lpid = Some(t.tg.pid.clone());
        }
        if st.nattch == 0 && st.perm.mode & SHM_DEST != 0 {
            drop(st);
            if let Some(tab) = tab.as_mut() {
                tab.remove(self.0.id);
            }
        }
    }
}

/// What shmat maps: the attachment, its length and protection.
pub struct Attach {
    pub shm: ShmRef,
    pub len: u64,
    pub prot: u32,
}

/// The segments of one IPC namespace.
#[derive(Default)]
pub struct ShmRegistry {
    table: Arc<Table>,
}

impl ShmRegistry {
    fn lock(&self) -> MutexGuard<'_, IdTable<Arc<Segment>>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// shmget(2).
    pub fn get(&self, key: i32, size: u64, flags: u32, who: &Caller, lim: &IpcLimits) -> Result<i32, Errno> {
        let mut tab = self.lock();
        let fits = |seg: &Arc<Segment>| if seg.size < size { Err(Errno::EINVAL) } else { Ok(()) };
        if let Some(id) = tab.existing(key, flags, who, fits)? {
            return Ok(id);
        }
        if !(SHMMIN..=limits::get_u64(&lim.shmmax)).contains(&size) {
            return Err(Errno::EINVAL);
        }
        let pages = size.div_ceil(PAGE);
        let total: u64 = tab.iter().map(|s| s.size.div_ceil(PAGE)).sum();
        if total.checked_add(pages).is_none_or(|t| t > limits::get_u64(&lim.shmall)) {
            return Err(Errno::ENOSPC);
        }
        if flags & SHM_HUGETLB != 0 {
            // No huge pages are reserved in the sandbox, as on a host with
            // vm.nr_hugepages = 0.
            return Err(Errno::ENOMEM);
        }
        let charge = charge_creator(pages * PAGE, flags)?;
        let (id, idx, seq) = tab.next_id(limits::count(&lim.shmmni))?;
        let memfd = new_memfd(size)?;
        let mut perm = IpcPerm::new(key, flags, &who.creds);
        perm.seq = seq;
        let seg = Arc::new(Segment {
            id,
            size,
            memfd,
            object_id: crate::kernel::mm::new_shared_anon_id(),
            table: Arc::downgrade(&self.table),
            st: Mutex::new(SegState {
                perm,
                atime: 0,
                dtime: 0,
                ctime: now_secs(),
                cpid: who.pid.clone(),
                lpid: None,
                nattch: 0,
            }),
            _charge: charge,
        });
        tab.insert(idx, seq, seg);
        Ok(id)
    }

    /// shmat(2)'s lookup and checks: an attachment of segment `id` for
    /// `flags` (SHM_RDONLY, SHM_EXEC), counted from now on.
    pub fn attach(&self, id: i32, flags: u32, who: &Caller) -> Result<Attach, Errno> {
        let tab = self.lock();
        let seg = tab.get(id)?;
        let (mut prot, mut acc) = if flags & SHM_RDONLY != 0 {
            (libc::PROT_READ as u32, 0o444)
        } else {
            ((libc::PROT_READ | libc::PROT_WRITE) as u32, 0o666)
        };
        if flags & SHM_EXEC != 0 {
            prot |= libc::PROT_EXEC as u32;
            acc |= 0o111;
        }
        if !seg.allows(who, acc) {
            return Err(Errno::EACCES);
        }
        let shm = ShmRef::attach(seg);
        Ok(Attach { shm, len: seg.size, prot })
    }

    /// IPC_STAT, SHM_STAT, SHM_STAT_ANY: the `struct shmid64_ds` and what
    /// the call returns (0, or the id for the SHM_STAT forms).
    pub fn stat(&self, cmd: i32, id: i32, who: &Caller) -> Result<(Vec<u8>, i32), Errno> {
        let seg = self.lock().lookup(cmd == SHM_STAT || cmd == SHM_STAT_ANY, id)?.clone();
        let st = seg.lock();
        if cmd != SHM_STAT_ANY && !st.perm.allows(&who.creds, 0o444, who.cap_ipc_owner) {
            return Err(Errno::EACCES);
        }
        let mut b = Vec::with_capacity(112);
        st.perm.encode(&mut b);
        b.extend_from_slice(&seg.size.to_ne_bytes());
        for t in [st.atime, st.dtime, st.ctime] {
            b.extend_from_slice(&t.to_ne_bytes());
        }
        let nr = |p: &Arc<Pid>| p.nr_in(&who.pidns);
        b.extend_from_slice(&nr(&st.cpid).to_ne_bytes());
        b.extend_from_slice(&st.lpid.as_ref().map_or(0, nr).to_ne_bytes());
        b.extend_from_slice(&st.nattch.to_ne_bytes());
        b.extend_from_slice(&[0; 16]);
        let ret = if cmd == super::IPC_STAT { 0 } else { seg.id };
        Ok((b, ret))
    }

    /// IPC_SET: owner and permission bits.
    pub fn set(&self, id: i32, new: &SetPerm, who: &Caller) -> Result<(), Errno> {
        let seg = self.lock().get(id)?.clone();
        let mut st = seg.lock();
        st.perm.set(new, who)?;
        st.ctime = now_secs();
        Ok(())
    }

    /// IPC_RMID: removed now if nothing is attached, else marked
    /// (SHM_DEST, key IPC_PRIVATE) and removed with the last detach.
    pub fn remove(&self, id: i32, who: &Caller) -> Result<(), Errno> {
        let mut tab = self.lock();
        let seg = tab.get(id)?.clone();
        let mut st = seg.lock();
        st.perm.check_owner(&who.creds, who.cap_sys_admin)?;
        if st.nattch == 0 {
            drop(st);
            tab.remove(id);
        } else {
            st.perm.mode |= SHM_DEST;
            st.perm.key = IPC_PRIVATE;
        }
        Ok(())
    }

    /// SHM_LOCK, SHM_UNLOCK: the owner (or CAP_IPC_LOCK) sets or clears
    /// SHM_LOCKED. The sandbox's memory is never swapped out by the
    /// sentry, so the flag is all there is to it.
    pub fn lock_segment(&self, id: i32, lock: bool, who: &Caller) -> Result<(), Errno> {
        let seg = self.lock().get(id)?.clone();
        let mut st = seg.lock();
        if !who.cap_ipc_lock {
            st.perm.check_owner(&who.creds, false)?;
        }
        if lock {
            st.perm.mode |= SHM_LOCKED;
        } else {
            st.perm.mode &= !SHM_LOCKED;
        }
        Ok(())
    }

    /// IPC_INFO: `struct shminfo64`, and the highest index in use.
    pub fn info(&self, lim: &IpcLimits) -> (Vec<u8>, i32) {
        let max = self.lock().max_idx() as i32;
        let (shmmax, shmall) = (limits::get_u64(&lim.shmmax), limits::get_u64(&lim.shmall));
        let vals = [shmmax, SHMMIN, limits::count(&lim.shmmni) as u64, SHMMNI as u64, shmall, 0, 0, 0, 0];
        (vals.iter().flat_map(|v| v.to_ne_bytes()).collect(), max)
    }

    /// SHM_INFO: `struct shm_info`, and the highest index in use.
    pub fn shm_info(&self) -> (Vec<u8>, i32) {
        let tab = self.lock();
        let tot: u64 = tab.iter().map(|s| s.size.div_ceil(PAGE)).sum();
        let rss: u64 = tab.iter().map(|s| s.resident_pages()).sum();
        let mut b = Vec::with_capacity(48);
        b.extend_from_slice(&(tab.len() as i32).to_ne_bytes());
        b.extend_from_slice(&[0; 4]);
        for v in [tot, rss, 0, 0, 0] {
            b.extend_from_slice(&v.to_ne_bytes());
        }
        (b, tab.max_idx() as i32)
    }

    /// `/proc/sysvipc/shm`, as `pidns` sees the pids.
    pub fn proc_text(&self, pidns: &crate::kernel::ns::PidNamespace) -> String {
        use std::fmt::Write;
        let mut s = String::from(
            "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n",
        );
        for seg in self.lock().iter() {
            let st = seg.lock();
            let p = &st.perm;
            let _ = writeln!(
                s,
                "{:10} {:10}  {:4o} {:21} {:5} {:5}  {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10} {:21} {:21}",
                p.key,
                seg.id,
                p.mode,
                seg.size,
                st.cpid.nr_in(pidns),
                st.lpid.as_ref().map_or(0, |l| l.nr_in(pidns)),
                st.nattch,
                p.uid,
                p.gid,
                p.cuid,
                p.cgid,
                st.atime,
                st.dtime,
                st.ctime,
                seg.resident_pages() * PAGE,
                0
            );
        }
        s
    }
}

/// Linux's SHM_NORESERVE: no commit charge for the segment.
const SHM_NORESERVE: u32 = 0o10000;

/// Charges a new segment's pages to the calling task's container, as
/// Linux's shmget charges them to committed memory: ENOMEM when they do
/// not fit under its limit (no OOM kill: the segment is not a process's).
fn charge_creator(bytes: u64, flags: u32) -> Result<Option<Reservation>, Errno> {
    if flags & SHM_NORESERVE != 0 {
        return Ok(None);
    }
    let Some(task) = crate::kernel::wait::current() else { return Ok(None) };
    match Reservation::take(&task.tg.container.memory, bytes) {
        Ok(r) => Ok(Some(r)),
        Err(()) => {
            take_refused();
            Err(Errno::ENOMEM)
        }
    }
}

/// A host memfd of `size` bytes for a segment's pages.
fn new_memfd(size: u64) -> Result<OwnedFd, Errno> {
    use nix::sys::memfd::{memfd_create, MemFdCreateFlag};
    let fd = memfd_create(c"husk-sysv-shm", MemFdCreateFlag::MFD_CLOEXEC).map_err(|_| Errno::ENOMEM)?;
    let len = i64::try_from(size).map_err(|_| Errno::ENOMEM)?;
    nix::unistd::ftruncate(&fd, len).map_err(|_| Errno::ENOMEM)?;
    Ok(fd)
}
