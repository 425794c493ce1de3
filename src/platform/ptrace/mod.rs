//! The ptrace platform. An address space is a host *stub process*; each
//! application thread is a thread of it, traced by exactly one sentry thread
//! (the one that runs that task). Application syscalls stop the thread with
//! `PTRACE_SYSEMU` and never execute on the host; the sentry changes the
//! address space by injecting syscalls at the stub's own `syscall`.

use crate::platform::stub;

use std::cell::Cell;
use std::os::fd::AsRawFd;
use std::sync::OnceLock;

use crate::kernel::errno::Errno;
use crate::kernel::mm::usermem::UserMemory;
use crate::platform::{PlatformError, Regs, Stop};

/// Ranges of the husk process that every stub keeps: the vDSO and its data
/// pages, so `AT_SYSINFO_EHDR` points to a working vDSO in the application.
static KEEP: OnceLock<Vec<(u64, u64)>> = OnceLock::new();
/// The same ranges as the host's /proc/self/maps names them.
static KEEP_AREAS: OnceLock<Vec<VdsoArea>> = OnceLock::new();

/// One range of the vDSO, as the host maps it.
#[derive(Clone, Copy, Debug)]
pub struct VdsoArea {
    pub start: u64,
    pub end: u64,
    /// `[vdso]`, `[vvar]` or `[vvar_vclock]`.
    pub name: &'static str,
    /// PROT_* bits.
    pub prot: u32,
}

/// The ranges the vDSO occupies in every stub (`[vdso]`, `[vvar]`, ...).
pub fn vdso_ranges() -> &'static [(u64, u64)] {
    KEEP.get().map(|v| v.as_slice()).unwrap_or(&[])
}

/// The same, with their names and protections.
pub fn vdso_areas() -> &'static [VdsoArea] {
    KEEP_AREAS.get().map(|v| v.as_slice()).unwrap_or(&[])
}

/// Prepares the platform. Must run early in `main`, while husk is still
/// single-threaded and before any stub exists.
pub fn init() -> Result<(), PlatformError> {
    stub::reserve().map_err(PlatformError::Reserve)?;
    let maps = std::fs::read_to_string("/proc/self/maps").map_err(PlatformError::Reserve)?;
    let mut areas = Vec::new();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (range, perms) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
        let name = match fields.nth(3).unwrap_or("") {
            "[vdso]" => "[vdso]",
            "[vvar]" => "[vvar]",
            "[vvar_vclock]" => "[vvar_vclock]",
            _ => continue,
        };
        let bit = |i: usize, c: u8, p: i32| if perms.as_bytes().get(i) == Some(&c) { p as u32 } else { 0 };
        let prot = bit(0, b'r', libc::PROT_READ) | bit(1, b'w', libc::PROT_WRITE) | bit(2, b'x', libc::PROT_EXEC);
        if let Some((s, e)) = range.split_once('-') {
            if let (Ok(start), Ok(end)) = (u64::from_str_radix(s, 16), u64::from_str_radix(e, 16)) {
                areas.push(VdsoArea { start, end, name, prot });
            }
        }
    }
    let _ = KEEP.set(areas.iter().map(|a| (a.start, a.end)).collect());
    let _ = KEEP_AREAS.set(areas);
    Ok(())
}

/// Serialises stub creation: the set-up table in the stub page is shared.
static SPAWN_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn ptrace_raw(req: libc::c_uint, tid: i32, addr: u64, data: u64) -> Result<i64, Errno> {
    // SAFETY: ptrace with integer/pointer arguments; for requests that write
    // through `data` the callers pass a pointer to a live, correctly sized
    // local of theirs.
    let rc = unsafe { libc::ptrace(req, tid, addr as *mut libc::c_void, data as *mut libc::c_void) };
    if rc < 0 {
        Err(Errno::last())
    } else {
        Ok(rc)
    }
}

/// Waits for a state change of `tid`; retries on EINTR.
fn wait_tid(tid: i32) -> Result<i32, Errno> {
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes the status into our local.
        let rc = unsafe { libc::waitpid(tid, &mut status, libc::__WALL) };
        if rc == tid {
            return Ok(status);
        }
        if rc < 0 && Errno::last() != Errno::EINTR {
            return Err(Errno::last());
        }
    }
}

/// x86_64 audit arch of native syscalls (`PTRACE_GET_SYSCALL_INFO`).
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

const SEIZE_OPTIONS: u64 = (libc::PTRACE_O_TRACESYSGOOD | libc::PTRACE_O_EXITKILL) as u64;

/// A thread of a stub process, traced by the calling sentry thread.
///
/// Every method must be called from the sentry thread that seized it (a
/// ptrace rule): the type is `Send` so it can move to that thread before use.
pub struct StubThread {
    pid: i32,
    tid: i32,
    /// Set once the thread died (killed from outside, or the process ended);
    /// a Cell so that injecting (which may find it dead) takes `&self`.
    dead: Cell<bool>,
}

impl StubThread {
    /// Creates a new stub process whose only thread is traced by the calling
    /// thread, stopped and ready to run application code.
    pub fn spawn_process() -> Result<StubThread, PlatformError> {
        let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        stub::write_unmap_table(vdso_ranges());
        let (ready_r, ready_w) = nix::unistd::pipe().map_err(|e| PlatformError::Spawn(e.into()))?;
        let rseq = stub::rseq_registration();
        // SAFETY: a raw clone without CLONE_VM: the child gets a copy of our
        // memory and one thread. It runs only `stub_child`, which makes raw
        // syscalls and then jumps into the stub code; it never returns into
        // Rust code that could take a lock or allocate.
        let pid = unsafe {
            libc::syscall(libc::SYS_clone, (libc::CLONE_FILES | libc::SIGCHLD) as u64, 0u64, 0u64, 0u64, 0u64)
        };
        if pid == 0 {
            stub_child(ready_r.as_raw_fd(), rseq);
        }
        if pid < 0 {
            return Err(PlatformError::Spawn(Errno::last()));
        }
        let pid = pid as i32;
        let t = StubThread { pid, tid: pid, dead: Cell::new(false) };
        let seized = ptrace_raw(libc::PTRACE_SEIZE, pid, 0, SEIZE_OPTIONS);
        // Let the child go on (or, if seizing failed, let it run into its
        // int3 and die of SIGTRAP).
        let _ = nix::unistd::write(&ready_w, &[1u8]);
        // The pipe stays open until the child has stopped: the descriptor
        // table is shared (CLONE_FILES), and a number closed early could be
        // reused by another thread before the child reads it.
        if let Err(e) = seized {
            // SAFETY: kill of our own child by pid.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let _ = wait_tid(pid);
            return Err(PlatformError::Spawn(e));
        }
        // The stub unmaps the sentry and stops on its int3.
        let status = wait_tid(pid).map_err(PlatformError::Spawn)?;
        drop(ready_w);
        drop(ready_r);
        if !libc::WIFSTOPPED(status) || libc::WSTOPSIG(status) != libc::SIGTRAP {
            t.dead.set(true);
            return Err(PlatformError::UnexpectedStop(status));
        }
        Ok(t)
    }

    /// Takes over a stub thread that waits in the stub's loop (made by an
    /// injected clone): seizes it from the calling thread, which becomes its
    /// tracer, and stops it.
    pub fn attach(pid: i32, tid: i32) -> Result<StubThread, PlatformError> {
        let t = StubThread { pid, tid, dead: Cell::new(false) };
        if let Err(e) = ptrace_raw(libc::PTRACE_SEIZE, tid, 0, SEIZE_OPTIONS) {
            t.dead.set(true);
            return Err(PlatformError::Ptrace(e));
        }
        ptrace_raw(libc::PTRACE_INTERRUPT, tid, 0, 0).map_err(PlatformError::Ptrace)?;
        loop {
            let status = wait_tid(tid).map_err(PlatformError::Ptrace)?;
            if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
                t.dead.set(true);
                return Err(PlatformError::Died);
            }
            if status >> 16 == libc::PTRACE_EVENT_STOP {
                return Ok(t);
            }
            // A signal reached the new thread first: drop it, stop again.
            ptrace_raw(libc::PTRACE_CONT, tid, 0, 0).map_err(PlatformError::Ptrace)?;
            ptrace_raw(libc::PTRACE_INTERRUPT, tid, 0, 0).map_err(PlatformError::Ptrace)?;
        }
    }

    /// A handle on a stub thread that could not be attached: every use
    /// fails, so its task ends.
    pub fn gone(pid: i32, tid: i32) -> StubThread {
        StubThread { pid, tid, dead: Cell::new(true) }
    }

    /// Ends this one stub thread (not its process): the thread of a task
    /// that exits while others of its process go on.
    pub fn exit_thread(&mut self) {
        if self.dead.get() {
            return;
        }
        if self.tid == self.pid {
            // The thread-group leader cannot exit alone without its exit
            // going unreported until the whole group is gone (and killing
            // it kills the group): park it in the stub's wait loop, untraced.
            let mut r = zeroed_regs();
            r.rip = stub::wait_site();
            r.orig_rax = u64::MAX;
            r.cs = 0x33;
            r.ss = 0x2b;
            r.eflags = 0x202;
            if self.set_regs(&r).is_ok() {
                let _ = ptrace_raw(libc::PTRACE_DETACH, self.tid, 0, 0);
            }
            self.dead.set(true);
            return;
        }
        let _ = self.inject(libc::SYS_exit, [0; 6]);
        self.dead.set(true);
    }

    /// The host pid of the stub process (its address space).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The host tid of this stub thread.
    pub fn tid(&self) -> i32 {
        self.tid
    }

    /// Reads the thread's registers.
    pub fn get_regs(&self) -> Result<Regs, PlatformError> {
        let mut regs: Regs = zeroed_regs();
        ptrace_raw(libc::PTRACE_GETREGS, self.tid, 0, &mut regs as *mut Regs as u64).map_err(PlatformError::Ptrace)?;
        Ok(regs)
    }

    /// Writes the thread's registers.
    pub fn set_regs(&self, regs: &Regs) -> Result<(), PlatformError> {
        ptrace_raw(libc::PTRACE_SETREGS, self.tid, 0, regs as *const Regs as u64)
            .map(|_| ())
            .map_err(PlatformError::Ptrace)
    }

    /// Runs application code with `regs` until the next stop, then stores the
    /// registers of that stop back into `regs`.
    pub fn switch(&mut self, regs: &mut Regs) -> Result<Stop, PlatformError> {
        self.set_regs(regs)?;
        ptrace_raw(libc::PTRACE_SYSEMU, self.tid, 0, 0).map_err(PlatformError::Ptrace)?;
        let status = wait_tid(self.tid).map_err(PlatformError::Ptrace)?;
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            self.dead.set(true);
            return Ok(Stop::Died);
        }
        *regs = self.get_regs()?;
        let sig = libc::WSTOPSIG(status);
        if sig == (libc::SIGTRAP | 0x80) {
            return Ok(Stop::Syscall);
        }
        if status >> 16 == libc::PTRACE_EVENT_STOP {
            return Ok(Stop::Interrupted);
        }
        let mut info: libc::siginfo_t = zeroed_siginfo();
        ptrace_raw(libc::PTRACE_GETSIGINFO, self.tid, 0, &mut info as *mut _ as u64).map_err(PlatformError::Ptrace)?;
        Ok(Stop::Signal(info))
    }

    /// Executes syscall `nr` with `args` inside the stub process, on this
    /// thread, and returns the raw result (`-errno` on failure). The caller's
    /// application registers must be restored by the next `switch`, which
    /// always writes them.
    pub fn inject(&self, nr: i64, args: [u64; 6]) -> Result<i64, PlatformError> {
        self.inject_at(stub::syscall_site(), nr, args)
    }

    /// Like `inject`, at the clone site: a child created by the injected call
    /// waits in the stub's loop for its own tracer.
    pub fn inject_clone(&mut self, flags: u64) -> Result<i64, PlatformError> {
        self.inject_at(stub::clone_site(), libc::SYS_clone, [flags, 0, 0, 0, 0, 0])
    }

    fn inject_at(&self, site: u64, nr: i64, args: [u64; 6]) -> Result<i64, PlatformError> {
        let mut r = zeroed_regs();
        r.rip = site;
        r.rax = nr as u64;
        r.orig_rax = u64::MAX; // never treated as an interrupted syscall
        r.rdi = args[0];
        r.rsi = args[1];
        r.rdx = args[2];
        r.r10 = args[3];
        r.r8 = args[4];
        r.r9 = args[5];
        r.cs = 0x33;
        r.ss = 0x2b;
        r.eflags = 0x202;
        self.set_regs(&r)?;
        loop {
            ptrace_raw(libc::PTRACE_CONT, self.tid, 0, 0).map_err(PlatformError::Ptrace)?;
            let status = wait_tid(self.tid).map_err(PlatformError::Ptrace)?;
            if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
                self.dead.set(true);
                return Err(PlatformError::Died);
            }
            if libc::WSTOPSIG(status) == libc::SIGTRAP && status >> 16 == 0 {
                break;
            }
            // Any other stop (a host signal sent to the stub) is dropped:
            // application signals are the sentry's business, never the host's.
        }
        Ok(self.get_regs()?.rax as i64)
    }

    /// Whether the syscall of this syscall stop used the x86_64 ABI.
    pub fn is_native_syscall(&self) -> bool {
        // `PTRACE_GET_SYSCALL_INFO` (`struct ptrace_syscall_info`): the
        // audit arch is its second word.
        let mut info = [0u8; 88];
        match ptrace_raw(0x420e, self.tid, info.len() as u64, info.as_mut_ptr() as u64) {
            Ok(_) => u32::from_ne_bytes([info[4], info[5], info[6], info[7]]) == AUDIT_ARCH_X86_64,
            Err(_) => true,
        }
    }

    /// Reads the extended FP state (`NT_X86_XSTATE`) into `buf`; returns its length.
    pub fn get_fpregs(&self, buf: &mut [u8]) -> Result<usize, PlatformError> {
        let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
        ptrace_raw(libc::PTRACE_GETREGSET, self.tid, NT_X86_XSTATE, &mut iov as *mut _ as u64)
            .map_err(PlatformError::Ptrace)?;
        Ok(iov.iov_len)
    }

    /// Writes the extended FP state from `buf`.
    pub fn set_fpregs(&self, buf: &[u8]) -> Result<(), PlatformError> {
        let mut iov = libc::iovec { iov_base: buf.as_ptr() as *mut _, iov_len: buf.len() };
        ptrace_raw(libc::PTRACE_SETREGSET, self.tid, NT_X86_XSTATE, &mut iov as *mut _ as u64)
            .map(|_| ())
            .map_err(PlatformError::Ptrace)
    }

    /// Memory access to this thread's address space.
    pub fn memory(&self) -> ProcessMemory {
        ProcessMemory { pid: self.pid }
    }

    /// Kills the whole stub process and reaps this thread.
    pub fn kill_process(&mut self) {
        if self.dead.get() {
            return;
        }
        // SAFETY: SIGKILL to a stub process we created and trace.
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
        let _ = wait_tid(self.tid);
        if self.tid != self.pid {
            // A parked (untraced) group leader is our child: reap it too.
            let _ = wait_tid(self.pid);
        }
        self.dead.set(true);
    }
}

impl Drop for StubThread {
    fn drop(&mut self) {
        // A thread that is still alive here belongs to a process being
        // torn down (exec, exit): end the whole stub process.
        self.kill_process();
    }
}

const NT_X86_XSTATE: u64 = 0x202;

/// Reads and writes the memory of a stub process with `process_vm_readv/writev`,
/// which fail with EFAULT exactly where the application could not access memory.
#[derive(Clone, Copy, Debug)]
pub struct ProcessMemory {
    pid: i32,
}

impl ProcessMemory {
    /// Memory access to host process `pid`.
    pub fn of(pid: i32) -> ProcessMemory {
        ProcessMemory { pid }
    }

    /// The host pid of the process.
    pub fn pid(&self) -> i32 {
        self.pid
    }
}

/// The most pieces one process_vm call takes here (the kernel's UIO_FASTIOV:
/// more would make it allocate).
const FAST_IOV: usize = 8;

/// The application side of a multi-part copy, and how many bytes it moves.
fn remote_iovecs<B: AsRef<[u8]>>(parts: &[(u64, B)]) -> (Vec<libc::iovec>, usize) {
    let iov: Vec<libc::iovec> =
        parts.iter().map(|(a, b)| libc::iovec { iov_base: *a as *mut _, iov_len: b.as_ref().len() }).collect();
    let total = iov.iter().map(|v| v.iov_len).sum();
    (iov, total)
}

/// A process_vm call's result: all of `want` bytes, or EFAULT.
fn all_copied(n: isize, want: usize) -> Result<(), Errno> {
    if n as usize == want {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

impl UserMemory for ProcessMemory {
    fn read_many(&self, parts: &mut [(u64, &mut [u8])]) -> Result<(), Errno> {
        if parts.len() > FAST_IOV {
            for (addr, buf) in parts.iter_mut() {
                self.read_bytes(*addr, buf)?;
            }
            return Ok(());
        }
        let (remote, want) = remote_iovecs(parts);
        if want == 0 {
            return Ok(());
        }
        let local: Vec<libc::iovec> =
            parts.iter_mut().map(|(_, b)| libc::iovec { iov_base: b.as_mut_ptr().cast(), iov_len: b.len() }).collect();
        // SAFETY: `local` describes exclusively borrowed buffers of ours
        // that outlive the call; the remote side is only touched by the
        // kernel, which checks it.
        let n = unsafe {
            libc::process_vm_readv(self.pid, local.as_ptr(), local.len() as _, remote.as_ptr(), remote.len() as _, 0)
        };
        all_copied(n, want)
    }

    fn write_many(&self, parts: &[(u64, &[u8])]) -> Result<(), Errno> {
        if parts.len() > FAST_IOV {
            for (addr, buf) in parts {
                self.write_bytes(*addr, buf)?;
            }
            return Ok(());
        }
        let (remote, want) = remote_iovecs(parts);
        if want == 0 {
            return Ok(());
        }
        let local: Vec<libc::iovec> =
            parts.iter().map(|(_, b)| libc::iovec { iov_base: b.as_ptr() as *mut _, iov_len: b.len() }).collect();
        // SAFETY: `local` describes borrowed buffers of ours, only read by
        // the kernel.
        let n = unsafe {
            libc::process_vm_writev(self.pid, local.as_ptr(), local.len() as _, remote.as_ptr(), remote.len() as _, 0)
        };
        all_copied(n, want)
    }

    fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        if buf.is_empty() {
            return Ok(());
        }
        let local = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
        let remote = libc::iovec { iov_base: addr as *mut _, iov_len: buf.len() };
        // SAFETY: `local` describes our exclusively borrowed buffer; the
        // remote side is only touched by the kernel, which checks it.
        let n = unsafe { libc::process_vm_readv(self.pid, &local, 1, &remote, 1, 0) };
        if n as usize == buf.len() {
            Ok(())
        } else {
            Err(Errno::EFAULT)
        }
    }

    fn write_bytes(&self, addr: u64, buf: &[u8]) -> Result<(), Errno> {
        if buf.is_empty() {
            return Ok(());
        }
        let local = libc::iovec { iov_base: buf.as_ptr() as *mut _, iov_len: buf.len() };
        let remote = libc::iovec { iov_base: addr as *mut _, iov_len: buf.len() };
        // SAFETY: `local` describes our borrowed buffer, only read by the kernel.
        let n = unsafe { libc::process_vm_writev(self.pid, &local, 1, &remote, 1, 0) };
        if n as usize == buf.len() {
            Ok(())
        } else {
            Err(Errno::EFAULT)
        }
    }
}

/// An all-zero register set.
pub fn zeroed_regs() -> Regs {
    // SAFETY: user_regs_struct is plain integers; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}

fn zeroed_siginfo() -> libc::siginfo_t {
    // SAFETY: siginfo_t is plain data; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}

/// The first code a new stub process runs, right after clone. Only raw
/// syscalls: this is a fork of a multi-threaded process.
fn stub_child(ready_fd: i32, rseq: Option<u64>) -> ! {
    // SAFETY: raw syscalls on values we own; then a jump to the stub code,
    // which never returns. No allocation or locking happens here.
    unsafe {
        libc::syscall(libc::SYS_prctl, libc::PR_SET_PDEATHSIG, libc::SIGKILL as u64);
        stub::drop_rseq(rseq);
        let mut b = 0u8;
        libc::syscall(libc::SYS_read, ready_fd as u64, &mut b as *mut u8 as u64, 1u64);
        let entry: extern "C" fn(u64) -> ! = std::mem::transmute(stub::init_site() as usize);
        entry(stub::STUB_DATA)
    }
}
