//! A systrap address space: the stub process, its context region, and the
//! command thread that changes the address space for the sentry.

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::region::{futex_wait, futex_wake, Region};
use crate::kernel::errno::Errno;
use crate::platform::ptrace::vdso_ranges;
use crate::platform::stub::{
    self, CTX_BASE, CTX_CMD, CTX_SIZE, MEM_CMD, MEM_IDLE, SETUP_FD_SLOT, SLOT_SIZE, STUB_PROCESS_FLAGS,
    STUB_THREAD_FLAGS,
};
use crate::platform::PlatformError;

/// Commands of the command thread (`op` in the command page).
const OP_SYSCALL: u64 = 0;
const OP_THREAD: u64 = 1;
const OP_FORK: u64 = 2;

/// Offsets in slot 0's control page and in the command page.
const MEM_STATE: u64 = 0;
const MEM_RESULT: u64 = 8;
const MEM_DONE_SEQ: u64 = 16;
const MEM_PID: u64 = 24;
const CMD_OFF: u64 = CTX_CMD - CTX_BASE;

/// How long the sentry sleeps before it checks that a stub still lives.
pub const LIVENESS_TICK: Duration = Duration::from_millis(250);
/// How long a new stub may take to come up.
const START_LIMIT: Duration = Duration::from_secs(10);

/// Number of slots; slot 0 is the command thread's.
const SLOTS: usize = (CTX_SIZE / SLOT_SIZE) as usize;

/// Serialises stub creation: the set-up table in the stub page is shared.
static SPAWN_LOCK: Mutex<()> = Mutex::new(());

/// The empty stub every new address space is forked from. It is made
/// before the sentry installs its own seccomp filter, so stubs do not
/// inherit that filter (whose arch check would kill an application's
/// `int $0x80` before its own filter could trap it).
static TEMPLATE: OnceLock<Arc<Space>> = OnceLock::new();

/// Makes the template stub; once, at start-up, before the sentry's filter.
pub fn init() -> Result<(), PlatformError> {
    if TEMPLATE.get().is_none() {
        let _ = TEMPLATE.set(Space::spawn()?);
    }
    Ok(())
}

/// A new, empty address space: a fork of the template (or, without one, a
/// fresh stub), its command thread on `cpu` if one is given.
///
/// The template's command thread forks on `cpu` first: the child's threads
/// inherit its affinity, and every command of the new process (an exec's
/// mappings, the dynamic loader's mmaps) is then a wake-up on the CPU of
/// the sentry thread that sends it; across CPUs one costs tens of
/// microseconds on these VMs. (Two execs at once may move the template
/// between their pins: that costs time, nothing else.)
pub fn new_space(cpu: Option<usize>) -> Result<Arc<Space>, PlatformError> {
    let space = match TEMPLATE.get() {
        Some(t) => {
            if let Some(cpu) = cpu {
                crate::platform::pin_to_cpu(t.pid(), cpu);
            }
            t.fork()?.map_err(PlatformError::Spawn)?
        }
        None => Space::spawn()?,
    };
    if let Some(cpu) = cpu {
        crate::platform::pin_to_cpu(space.pid(), cpu);
    }
    Ok(space)
}

/// One stub process.
pub struct Space {
    pid: i32,
    pub(super) region: Region,
    /// The sequence number of the last command; held while one runs.
    cmd: Mutex<u64>,
    /// Which slots are taken.
    slots: Mutex<Vec<bool>>,
    /// Application threads alive in the process.
    live: AtomicUsize,
    /// Set once the process was killed and reaped.
    ended: AtomicBool,
}

impl Space {
    /// Creates a new, empty stub process (its command thread only).
    pub fn spawn() -> Result<Arc<Space>, PlatformError> {
        let (fd, region) = Region::create()?;
        let pid = {
            let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
            stub::write_unmap_table(vdso_ranges());
            // SAFETY: SETUP_FD_SLOT is the last word of the set-up table
            // page, which the table never reaches (write_unmap_table
            // asserts it fits in a page minus this word).
            unsafe { std::ptr::write_volatile(SETUP_FD_SLOT as *mut u64, fd.as_raw_fd() as u64) };
            let rseq = stub::rseq_registration();
            // SAFETY: a raw clone without CLONE_VM: the child gets a copy of
            // our memory and one thread, and runs only `child_start`, which
            // makes raw syscalls and jumps into the stub; it never returns
            // into Rust code that could take a lock or allocate. It shares
            // our descriptor table (CLONE_FILES), so it can map the memfd.
            let pid = unsafe {
                libc::syscall(libc::SYS_clone, (libc::CLONE_FILES | libc::SIGCHLD) as u64, 0u64, 0u64, 0u64, 0u64)
            };
            if pid == 0 {
                child_start(rseq);
            }
            if pid < 0 {
                return Err(PlatformError::Spawn(Errno::last()));
            }
            pid as i32
        };
        let space = Space::new(pid, region);
        // The stub maps the memfd before it reports ready; then our
        // descriptor may go.
        let ready = space.wait_ready();
        drop(fd);
        ready?;
        Ok(Arc::new(space))
    }

    fn new(pid: i32, region: Region) -> Space {
        let mut slots = vec![false; SLOTS];
        slots[0] = true;
        Space {
            pid,
            region,
            cmd: Mutex::new(0),
            slots: Mutex::new(slots),
            live: AtomicUsize::new(0),
            ended: AtomicBool::new(false),
        }
    }

    /// Waits until the command thread of a new stub reports idle.
    fn wait_ready(&self) -> Result<(), PlatformError> {
        let ready = wait_idle(&self.region, || self.alive());
        if !ready {
            self.kill();
            return Err(PlatformError::Died);
        }
        Ok(())
    }

    /// The host pid of the stub process.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Whether the stub process still runs (it is our child: look without
    /// reaping).
    pub fn alive(&self) -> bool {
        if self.ended.load(Ordering::SeqCst) {
            return false;
        }
        matches!(crate::platform::peek_exit(self.pid), Ok(None))
    }

    /// Runs one command on the command thread; returns its raw result.
    fn call(&self, op: u64, nr: u64, args: [u64; 6]) -> Result<i64, PlatformError> {
        let mut seq = self.cmd.lock().unwrap_or_else(|e| e.into_inner());
        if self.ended.load(Ordering::SeqCst) {
            return Err(PlatformError::Died);
        }
        *seq += 1;
        let r = &self.region;
        r.write_u64(CMD_OFF + 8, op);
        r.write_u64(CMD_OFF + 16, nr);
        for (i, a) in args.iter().enumerate() {
            r.write_u64(CMD_OFF + 24 + 8 * i as u64, *a);
        }
        // The sequence number last: it makes the command new.
        r.write_u64(CMD_OFF, *seq);
        let word = r.word(MEM_STATE);
        word.store(MEM_CMD, Ordering::Release);
        futex_wake(word);
        loop {
            let s = word.load(Ordering::Acquire);
            if s == MEM_IDLE && r.read_u64(MEM_DONE_SEQ) == *seq {
                return Ok(r.read_u64(MEM_RESULT) as i64);
            }
            if s == MEM_IDLE {
                // Idle without our result: the application overwrote the
                // word. Ask again (the sequence number makes it run once).
                word.store(MEM_CMD, Ordering::Release);
                futex_wake(word);
                continue;
            }
            if s != MEM_CMD {
                // The command thread does not write anything else: the
                // process is broken.
                return Err(PlatformError::UnexpectedStop(s as i32));
            }
            futex_wait(word, s, LIVENESS_TICK);
            if word.load(Ordering::Acquire) == s && !self.alive() {
                return Err(PlatformError::Died);
            }
        }
    }

    /// Executes syscall `nr` in the stub process (mmap, munmap, ...).
    pub fn syscall(&self, nr: i64, args: [u64; 6]) -> Result<i64, PlatformError> {
        self.call(OP_SYSCALL, nr as u64, args)
    }

    /// Starts a new application thread; returns its slot and host tid.
    /// The thread makes its first trap on its own; `StubThread::attach`
    /// waits for it.
    pub fn new_thread(&self) -> Result<Result<(usize, i32), Errno>, PlatformError> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            let Some(i) = slots.iter().position(|&used| !used) else {
                return Ok(Err(Errno::EAGAIN));
            };
            slots[i] = true;
            i
        };
        let base = slot as u64 * SLOT_SIZE;
        // The control word starts at "no event yet"; the thread's tid is
        // taken only from what it writes itself.
        self.region.word(base).store(0, Ordering::Release);
        self.region.write_u64(base + 8, 0);
        let rc = self.call(OP_THREAD, 0, [CTX_BASE + base, STUB_THREAD_FLAGS, 0, 0, 0, 0]);
        match rc {
            Ok(tid) if tid > 0 => {
                self.live.fetch_add(1, Ordering::SeqCst);
                Ok(Ok((slot, tid as i32)))
            }
            Ok(e) => {
                self.free_slot(slot);
                Ok(Err(Errno((-e) as i32)))
            }
            Err(e) => {
                self.free_slot(slot);
                Err(e)
            }
        }
    }

    /// Makes a copy-on-write copy of this stub process (fork) with its own
    /// context region; it has no application thread yet.
    pub fn fork(&self) -> Result<Result<Arc<Space>, Errno>, PlatformError> {
        let (fd, region) = Region::create()?;
        let rc = self.call(OP_FORK, 0, [fd.as_raw_fd() as u64, STUB_PROCESS_FLAGS, 0, 0, 0, 0])?;
        if rc < 0 {
            return Ok(Err(Errno((-rc) as i32)));
        }
        // The result comes through memory the application can write: the
        // child's pid is taken from what the child itself writes into its
        // new region, which no application code can reach yet. Until then
        // nothing is signalled.
        if !wait_idle(&region, || true) {
            return Err(PlatformError::Died);
        }
        drop(fd);
        let pid = region.read_u64(MEM_PID) as i32;
        if pid <= 0 {
            return Err(PlatformError::UnexpectedStop(pid));
        }
        Ok(Ok(Arc::new(Space::new(pid, region))))
    }

    /// Gives a slot back once its thread is gone.
    pub(super) fn free_slot(&self, slot: usize) {
        if slot != 0 {
            self.slots.lock().unwrap_or_else(|e| e.into_inner())[slot] = false;
        }
    }

    /// One application thread ended; returns how many remain.
    pub(super) fn thread_gone(&self) -> usize {
        self.live.fetch_sub(1, Ordering::SeqCst).saturating_sub(1)
    }

    /// Application threads alive.
    pub(super) fn live_threads(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Ends the stub process (once): the reaper thread kills and reaps it.
    /// Its threads are all parked in hand-offs or commands the sentry no
    /// longer sends, so it runs nothing in the meantime.
    pub fn kill(&self) {
        if self.ended.swap(true, Ordering::SeqCst) {
            return;
        }
        reap_later(self.pid);
    }
}

impl Drop for Space {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Kills and reaps stubs on a thread of its own. A killed process is gone
/// only once the host has torn its memory down, which takes hundreds of
/// microseconds for a shell's: an exec or an exit need not wait for that,
/// nor have it preempt them. (Nothing looks at a stub's pid once `ended`
/// is set.) Past `REAP_BACKLOG` stubs waiting, the caller does the work
/// itself, so a busy machine cannot pile up parked stubs.
fn reap_later(pid: i32) {
    static REAPER: Mutex<Option<std::sync::mpsc::Sender<i32>>> = Mutex::new(None);
    if REAP_PENDING.fetch_add(1, Ordering::SeqCst) >= REAP_BACKLOG {
        reap(pid);
        return;
    }
    let mut reaper = REAPER.lock().unwrap_or_else(|e| e.into_inner());
    if reaper.as_ref().is_some_and(|r| r.send(pid).is_ok()) {
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel::<i32>();
    let spawned = std::thread::Builder::new().name("stub-reaper".into()).spawn(move || {
        set_batch_priority(0);
        for pid in rx {
            reap(pid);
        }
    });
    match spawned {
        Ok(_) => {
            let _ = tx.send(pid);
            *reaper = Some(tx);
        }
        // No thread to spare: reap here.
        Err(_) => reap(pid),
    }
}

/// Stubs handed to the reaper and not yet reaped.
static REAP_PENDING: AtomicUsize = AtomicUsize::new(0);
/// The most stubs left to the reaper at once.
const REAP_BACKLOG: usize = 32;

/// Kills stub `pid`, waits for it to end and reaps it. Its threads are
/// let go of their CPU and made batch work first: their exit (the
/// teardown of the process's memory) would otherwise run on a CPU a
/// sentry thread is pinned to, ahead of it and its application.
fn reap(pid: i32) {
    if let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for tid in threads.flatten().filter_map(|t| t.file_name().to_str()?.parse::<i32>().ok()) {
            crate::platform::unpin(tid);
            set_batch_priority(tid);
        }
    }
    let mut status = 0;
    // SAFETY: SIGKILL to a stub process of ours that nothing reaps but
    // this call (so the pid is still ours), then a blocking reap of it.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        while libc::waitpid(pid, &mut status, libc::__WALL) < 0 && Errno::last() == Errno::EINTR {}
    }
    REAP_PENDING.fetch_sub(1, Ordering::SeqCst);
}

/// Puts host thread `tid` (0: the caller) in SCHED_BATCH: it gets its
/// share of CPU time but does not preempt the thread it wakes up beside.
fn set_batch_priority(tid: i32) {
    // SAFETY: sched_setscheduler reads the parameter we pass; making our
    // own thread or stub batch work needs no privilege.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(tid, libc::SCHED_BATCH, &param);
    }
}

/// Waits until the command thread of a new stub reports idle in `region`;
/// false if `alive` says it died or it took longer than `START_LIMIT`.
fn wait_idle(region: &Region, alive: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    let word = region.word(MEM_STATE);
    loop {
        let s = word.load(Ordering::Acquire);
        if s == MEM_IDLE {
            return true;
        }
        if !alive() || start.elapsed() > START_LIMIT {
            return false;
        }
        futex_wait(word, s, LIVENESS_TICK);
    }
}

/// The first code a new stub process runs, right after clone. Only raw
/// syscalls: this is a fork of a multi-threaded process.
fn child_start(rseq: Option<u64>) -> ! {
    // SAFETY: raw syscalls on values we own; then a jump to the stub code,
    // which never returns. No allocation or locking happens here.
    unsafe {
        stub::drop_rseq(rseq);
        let entry: extern "C" fn(u64) -> ! = std::mem::transmute(stub::systrap_init_site() as usize);
        entry(stub::STUB_DATA)
    }
}
