//! An application thread of a systrap stub, as the sentry thread that runs
//! its task sees it: its slot (control page and signal stack) and the
//! signal frame of its last event, where its registers live while it waits.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::region::{futex_wait, futex_wake, Region};
use super::space::{Space, LIVENESS_TICK};
use crate::kernel::errno::Errno;
use crate::platform::ptrace::{zeroed_regs, ProcessMemory};
use crate::platform::stub::{
    SLOT_EVENT, SLOT_RUN, SLOT_SENTRY_BLOCKED, SLOT_SENTRY_SLEEPS, SLOT_SIZE, SLOT_STUB_SLEEPS, SLOT_SYSCALL,
};
use crate::platform::{sigcontext, PlatformError, Regs, Stop};

/// Offsets in a slot's control page.
const SIGNO: u64 = 16;
const INFO: u64 = 24;
const UCONTEXT: u64 = 32;
const SC_NR: u64 = 40;
const SC_ARG0: u64 = 48;
const SC_ARG1: u64 = 56;
const SC_RESULT: u64 = 88;
/// The signal stack: the slot after its control page.
const STACK_START: u64 = 4096;

/// Layout of the kernel's signal frame (x86_64).
const UC_MCONTEXT: u64 = 40;
const UC_SIGMASK: u64 = 296;
const UC_END: u64 = 304;
const MC_FPSTATE: u64 = 184;
const SIGINFO_LEN: u64 = 128;
const FXSAVE_LEN: u64 = 512;
const SW_BYTES: u64 = 464;
const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;

const SYS_SECCOMP: i32 = 1;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const ARCH_SET_GS: u64 = 0x1001;
const ARCH_SET_FS: u64 = 0x1002;
const USER_CS: u64 = 0x33;
const USER_SS: u64 = 0x2b;

/// How long a new thread may take to make its first trap, and an ending
/// one to be gone.
const START_LIMIT: Duration = Duration::from_secs(10);
const EXIT_LIMIT: Duration = Duration::from_secs(2);
/// How long each side busy-waits for the other before it sleeps, in µs
/// (`HUSK_SYSTRAP_SPIN`; default 0). Spinning makes a syscall about 3x
/// cheaper when the sentry thread and the stub thread each have a CPU of
/// their own, but on a small machine it takes CPU time from the rest of a
/// chain (the host's tty workers, the other end of a pipe): keystroke echo
/// got twice as slow with it on 2 CPUs. Without it both threads share one
/// CPU (`pin_together`) and every hand-off is a local futex wake-up.
pub fn spin_us() -> u64 {
    static SPIN: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SPIN.get_or_init(|| std::env::var("HUSK_SYSTRAP_SPIN").ok().and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// How many `pause` rounds a stub spins before it sleeps (about 25 per µs).
pub fn stub_spin() -> u32 {
    (spin_us() * 25).min(u32::MAX as u64 - 1) as u32
}

thread_local! {
    /// The slot of the thread this sentry thread runs, for `about_to_block`.
    static BLOCK_HINT: std::cell::RefCell<Option<(Arc<Space>, u64)>> = const { std::cell::RefCell::new(None) };
}

/// Tells the stub thread of the calling sentry thread that its syscall will
/// take a while (the sentry is going to sleep): it stops spinning.
pub fn about_to_block() {
    if spin_us() == 0 {
        // Stubs do not spin: nothing to tell.
        return;
    }
    BLOCK_HINT.with(|h| {
        if let Some((space, base)) = h.borrow().as_ref() {
            space.region.word(base + SLOT_SENTRY_BLOCKED).store(1, Ordering::Relaxed);
        }
    });
}

/// A thread made by `Space::new_thread`, not yet attached to a sentry thread.
pub struct NewThread {
    space: Arc<Space>,
    slot: usize,
    tid: i32,
    /// The FP state it starts with (its creator's, as clone gives it).
    fp: Option<Vec<u8>>,
}

impl NewThread {
    /// A new thread in `space`.
    pub fn new(space: Arc<Space>, slot: usize, tid: i32) -> NewThread {
        NewThread { space, slot, tid, fp: None }
    }

    /// The same, starting with FP state `fp` (an XSAVE area).
    pub fn with_fp(mut self, fp: Vec<u8>) -> NewThread {
        self.fp = Some(fp);
        self
    }

    /// The host pid of its stub process.
    pub fn pid(&self) -> i32 {
        self.space.pid()
    }

    /// Its host tid.
    pub fn tid(&self) -> i32 {
        self.tid
    }
}

/// A running application thread of a stub.
pub struct StubThread {
    space: Arc<Space>,
    slot: usize,
    tid: i32,
    dead: bool,
    /// Region offsets of the last event's ucontext and siginfo.
    uc: u64,
    info: u64,
    /// The audit arch of the last trapped syscall.
    arch: u32,
    /// The TLS bases the thread has now (None: not set by us yet).
    fs: Option<u64>,
    gs: Option<u64>,
}

impl StubThread {
    /// Creates a new stub process with one application thread, both it and
    /// the process's command thread on `cpu`.
    pub fn spawn_process(cpu: usize) -> Result<StubThread, PlatformError> {
        match super::spare::take(cpu) {
            Some(ready) => Ok(ready),
            None => StubThread::fresh_process(Some(cpu)),
        }
    }

    /// Makes a new stub process (a fork of the template) with its first
    /// application thread attached, on `cpu` if one is given.
    pub(super) fn fresh_process(cpu: Option<usize>) -> Result<StubThread, PlatformError> {
        let space = super::space::new_space(cpu)?;
        let (slot, tid) = space.new_thread()?.map_err(PlatformError::Spawn)?;
        StubThread::attach(NewThread::new(space, slot, tid)).map_err(|(e, _)| e)
    }

    /// Takes over a new thread once it made its first trap (the stub's own,
    /// whose frame then carries the application's registers).
    /// On failure the thread is returned too, marked gone.
    pub fn attach(n: NewThread) -> Result<StubThread, (PlatformError, StubThread)> {
        let mut t = StubThread {
            space: n.space,
            slot: n.slot,
            tid: n.tid,
            dead: false,
            uc: 0,
            info: 0,
            arch: AUDIT_ARCH_X86_64,
            fs: None,
            gs: None,
        };
        let start = Instant::now();
        let word = t.region().word(t.base());
        let sleeps = t.region().word(t.base() + SLOT_SENTRY_SLEEPS);
        loop {
            sleeps.swap(1, Ordering::SeqCst);
            let s = word.load(Ordering::SeqCst);
            if s == SLOT_EVENT {
                sleeps.store(0, Ordering::SeqCst);
                break;
            }
            if start.elapsed() > START_LIMIT || !t.thread_alive() {
                sleeps.store(0, Ordering::SeqCst);
                t.mark_dead();
                return Err((PlatformError::Died, t));
            }
            futex_wait(word, s, LIVENESS_TICK);
        }
        if let Err(e) = t.take_event() {
            t.kill_process();
            return Err((e, t));
        }
        if let Some(fp) = n.fp {
            let _ = t.set_fpregs(&fp);
        }
        Ok(t)
    }

    fn region(&self) -> &Region {
        &self.space.region
    }

    /// Region offset of this thread's slot.
    fn base(&self) -> u64 {
        self.slot as u64 * SLOT_SIZE
    }

    /// The address space (stub process) of this thread.
    pub fn space(&self) -> &Arc<Space> {
        &self.space
    }

    /// The host pid of the stub process.
    pub fn pid(&self) -> i32 {
        self.space.pid()
    }

    /// The host tid of this thread.
    pub fn tid(&self) -> i32 {
        self.tid
    }

    fn thread_alive(&self) -> bool {
        // SAFETY: signal 0 only checks that the thread exists in the stub.
        unsafe { libc::syscall(libc::SYS_tgkill, self.space.pid(), self.tid, 0) == 0 }
    }

    /// Records that the thread is gone (once).
    fn mark_dead(&mut self) {
        if self.dead {
            return;
        }
        self.dead = true;
        if self.region().word(self.base()).load(Ordering::Acquire) == 0 {
            self.space.free_slot(self.slot);
        }
        self.space.thread_gone();
    }

    /// Waits while the control word is `val`; `Err(Died)` if the thread
    /// ended meanwhile. Spins first if asked to (`spin_us`).
    fn wait_while(&mut self, val: u32) -> Result<u32, PlatformError> {
        let base = self.base();
        if spin_us() > 0 {
            let spin_until = Instant::now() + Duration::from_micros(spin_us());
            let mut spins = 0u32;
            loop {
                let s = self.region().word(base).load(Ordering::Acquire);
                if s != val {
                    return self.seen(s);
                }
                spins += 1;
                if spins.is_multiple_of(64) && Instant::now() >= spin_until {
                    break;
                }
                std::hint::spin_loop();
            }
        }
        let word = self.region().word(base);
        let sleeps = self.region().word(base + SLOT_SENTRY_SLEEPS);
        loop {
            sleeps.swap(1, Ordering::SeqCst);
            let s = word.load(Ordering::SeqCst);
            if s != val {
                sleeps.store(0, Ordering::SeqCst);
                return self.seen(s);
            }
            futex_wait(word, val, LIVENESS_TICK);
            sleeps.store(0, Ordering::SeqCst);
            if word.load(Ordering::Acquire) == val && !self.thread_alive() {
                self.mark_dead();
                return Err(PlatformError::Died);
            }
        }
    }

    /// The control word moved away from what we waited on.
    fn seen(&mut self, s: u32) -> Result<u32, PlatformError> {
        if s == 0 {
            self.mark_dead();
            return Err(PlatformError::Died);
        }
        Ok(s)
    }

    /// Sets the control word to `val` and wakes the thread if it sleeps.
    fn kick_slot(&self, val: u32) {
        let word = self.region().word(self.base());
        word.swap(val, Ordering::SeqCst);
        if self.region().word(self.base() + SLOT_STUB_SLEEPS).load(Ordering::SeqCst) != 0 {
            futex_wake(word);
        }
    }

    /// Reads where the last event's frame is; the pointers come from the
    /// stub and must lie on this slot's signal stack.
    fn take_event(&mut self) -> Result<(), PlatformError> {
        let base = self.base();
        let stack = base + STACK_START..base + SLOT_SIZE;
        let r = self.region();
        let uc = r.offset_of(r.read_u64(base + UCONTEXT), UC_END);
        let info = r.offset_of(r.read_u64(base + INFO), SIGINFO_LEN);
        match (uc, info) {
            (Some(uc), Some(info))
                if stack.contains(&uc)
                    && stack.contains(&(uc + UC_END - 1))
                    && stack.contains(&info)
                    && stack.contains(&(info + SIGINFO_LEN - 1)) =>
            {
                self.uc = uc;
                self.info = info;
                Ok(())
            }
            _ => Err(PlatformError::UnexpectedStop(r.read_u64(base + SIGNO) as i32)),
        }
    }

    /// Runs one syscall on the thread itself (TLS, exit), from its handler.
    fn slot_syscall(&mut self, nr: i64, a0: u64, a1: u64) -> Result<i64, PlatformError> {
        let base = self.base();
        let r = self.region();
        r.write_u64(base + SC_NR, nr as u64);
        r.write_u64(base + SC_ARG0, a0);
        r.write_u64(base + SC_ARG1, a1);
        self.kick_slot(SLOT_SYSCALL);
        self.wait_while(SLOT_SYSCALL)?;
        Ok(self.region().read_u64(base + SC_RESULT) as i64)
    }

    /// Brings the thread's TLS bases to what `regs` says: they are not part
    /// of the signal frame.
    fn sync_tls(&mut self, regs: &Regs) -> Result<(), PlatformError> {
        if self.fs != Some(regs.fs_base) {
            self.slot_syscall(libc::SYS_arch_prctl, ARCH_SET_FS, regs.fs_base)?;
            self.fs = Some(regs.fs_base);
        }
        if self.gs != Some(regs.gs_base) {
            self.slot_syscall(libc::SYS_arch_prctl, ARCH_SET_GS, regs.gs_base)?;
            self.gs = Some(regs.gs_base);
        }
        Ok(())
    }

    /// Reads the registers of the last event's frame.
    pub fn get_regs(&self) -> Result<Regs, PlatformError> {
        let mut m = [0u8; sigcontext::GREGS * 8];
        self.region().read(self.uc + UC_MCONTEXT, &mut m);
        let mut r = zeroed_regs();
        sigcontext::set_gregs(&mut r, &sigcontext::parse(&m));
        r.cs = USER_CS;
        r.ss = USER_SS;
        r.orig_rax = u64::MAX;
        r.fs_base = self.fs.unwrap_or(0);
        r.gs_base = self.gs.unwrap_or(0);
        Ok(r)
    }

    /// Writes `regs` into the frame the thread returns through.
    pub fn set_regs(&self, regs: &Regs) -> Result<(), PlatformError> {
        // The general registers, then cs, gs, fs, ss: 64-bit code and
        // stack segments, always. On the stack: this runs every syscall.
        let mut m = [0u8; (sigcontext::GREGS + 1) * 8];
        let words = sigcontext::gregs(regs).into_iter().chain([USER_CS | (USER_SS << 48)]);
        for (chunk, w) in m.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&w.to_ne_bytes());
        }
        let r = self.region();
        r.write(self.uc + UC_MCONTEXT, &m);
        // The host mask of a stub thread is always empty in application
        // code: the sentry masks signals itself.
        r.write_u64(self.uc + UC_SIGMASK, 0);
        Ok(())
    }

    /// Runs application code with `regs` until the next event, then stores
    /// the registers of that event back into `regs`.
    pub fn switch(&mut self, regs: &mut Regs) -> Result<Stop, PlatformError> {
        if self.dead {
            return Ok(Stop::Died);
        }
        match self.run(regs) {
            Err(PlatformError::Died) => Ok(Stop::Died),
            other => other,
        }
    }

    fn run(&mut self, regs: &mut Regs) -> Result<Stop, PlatformError> {
        self.sync_tls(regs)?;
        self.set_regs(regs)?;
        if spin_us() > 0 {
            self.region().word(self.base() + SLOT_SENTRY_BLOCKED).store(0, Ordering::Relaxed);
            BLOCK_HINT.with(|h| {
                let mut h = h.borrow_mut();
                if !h.as_ref().is_some_and(|(sp, off)| Arc::ptr_eq(sp, &self.space) && *off == self.base()) {
                    *h = Some((self.space.clone(), self.base()));
                }
            });
        }
        self.kick_slot(SLOT_RUN);
        self.wait_while(SLOT_RUN)?;
        self.take_event()?;
        *regs = self.get_regs()?;
        let info = self.siginfo();
        if info.si_signo == libc::SIGSYS && info.si_code == SYS_SECCOMP {
            let mut raw = [0u8; 8];
            self.region().read(self.info + 24, &mut raw);
            let nr = i32::from_ne_bytes([raw[0], raw[1], raw[2], raw[3]]);
            self.arch = u32::from_ne_bytes([raw[4], raw[5], raw[6], raw[7]]);
            // As a ptrace syscall stop shows it: the number in orig_rax,
            // -ENOSYS in rax.
            regs.orig_rax = nr as i64 as u64;
            regs.rax = (-(Errno::ENOSYS.0 as i64)) as u64;
            return Ok(Stop::Syscall);
        }
        Ok(Stop::Signal(info))
    }

    /// The siginfo of the last event.
    fn siginfo(&self) -> libc::siginfo_t {
        let mut raw = [0u8; SIGINFO_LEN as usize];
        self.region().read(self.info, &mut raw);
        // SAFETY: siginfo_t is 128 bytes of plain data; any bit pattern is
        // a valid value, and the copy reads exactly its size.
        unsafe { std::ptr::read_unaligned(raw.as_ptr() as *const libc::siginfo_t) }
    }

    /// Whether the last trapped syscall used the x86_64 ABI.
    pub fn is_native_syscall(&self) -> bool {
        self.arch == AUDIT_ARCH_X86_64
    }

    /// Where the frame's XSAVE area is and how long, checked to lie in this
    /// slot.
    fn fp_area(&self) -> Option<(u64, usize)> {
        let r = self.region();
        let ptr = r.read_u64(self.uc + UC_MCONTEXT + MC_FPSTATE);
        let off = r.offset_of(ptr, FXSAVE_LEN)?;
        let mut sw = [0u8; 24];
        r.read(off + SW_BYTES, &mut sw);
        let magic = u32::from_ne_bytes([sw[0], sw[1], sw[2], sw[3]]);
        let size = if magic == FP_XSTATE_MAGIC1 {
            u32::from_ne_bytes([sw[16], sw[17], sw[18], sw[19]]) as u64
        } else {
            FXSAVE_LEN
        };
        let base = self.base();
        let ok = off >= base + STACK_START && size >= FXSAVE_LEN && off + size <= base + SLOT_SIZE;
        ok.then_some((off, size as usize))
    }

    /// Reads the XSAVE area of the frame into `buf`; returns its length.
    pub fn get_fpregs(&self, buf: &mut [u8]) -> Result<usize, PlatformError> {
        let (off, size) = self.fp_area().ok_or(PlatformError::Ptrace(Errno::EFAULT))?;
        let n = size.min(buf.len());
        self.region().read(off, &mut buf[..n]);
        Ok(n)
    }

    /// Writes `buf` as the frame's XSAVE area; the kernel's software bytes
    /// stay, and only features the frame allows are marked present.
    pub fn set_fpregs(&self, buf: &[u8]) -> Result<(), PlatformError> {
        let (off, size) = self.fp_area().ok_or(PlatformError::Ptrace(Errno::EFAULT))?;
        let n = size.min(buf.len());
        let r = self.region();
        r.write(off, &buf[..n.min(SW_BYTES as usize)]);
        if n > FXSAVE_LEN as usize {
            let mut rest = buf[FXSAVE_LEN as usize..n].to_vec();
            let allowed = r.read_u64(off + SW_BYTES + 8);
            let bv = u64::from_ne_bytes(rest[0..8].try_into().unwrap_or([0; 8])) & allowed;
            rest[0..8].copy_from_slice(&bv.to_ne_bytes());
            r.write(off + FXSAVE_LEN, &rest);
        }
        Ok(())
    }

    /// Executes syscall `nr` in the thread's address space.
    pub fn inject(&self, nr: i64, args: [u64; 6]) -> Result<i64, PlatformError> {
        self.space.syscall(nr, args)
    }

    /// Memory access to this thread's address space.
    pub fn memory(&self) -> ProcessMemory {
        ProcessMemory::of(self.space.pid())
    }

    /// Ends this one thread.
    pub fn exit_thread(&mut self) {
        if self.dead {
            return;
        }
        let base = self.base();
        self.region().write_u64(base + SC_NR, libc::SYS_exit as u64);
        self.region().write_u64(base + SC_ARG0, 0);
        self.kick_slot(SLOT_SYSCALL);
        let start = Instant::now();
        let word = self.region().word(base);
        while word.load(Ordering::Acquire) != 0 && start.elapsed() < EXIT_LIMIT && self.thread_alive() {
            let s = word.load(Ordering::Acquire);
            futex_wait(word, s, Duration::from_millis(20));
        }
        self.mark_dead();
    }

    /// Ends the thread, and the stub process with it unless another task
    /// (vfork) still runs in it.
    pub fn kill_process(&mut self) {
        if self.dead {
            return;
        }
        if self.space.live_threads() > 1 {
            self.exit_thread();
        } else {
            self.space.kill();
            self.mark_dead();
        }
    }
}

impl Drop for StubThread {
    fn drop(&mut self) {
        self.kill_process();
    }
}
