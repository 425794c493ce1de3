//! seccomp for sandboxed programs: each thread's mode and chain of filters
//! (inherited by clone and fork, kept by exec), and the verdict for one
//! syscall, as Linux's `__secure_computing` reaches it. The sentry runs
//! the filters itself at syscall entry; the host's seccomp is not involved.

pub mod bpf;
pub mod profile;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bpf::{Program, DATA_LEN};
use profile::Profile;

/// Modes (`Seccomp:` in /proc/PID/status, PR_GET_SECCOMP).
pub const MODE_DISABLED: u8 = 0;
pub const MODE_STRICT: u8 = 1;
pub const MODE_FILTER: u8 = 2;

/// Filter return actions (the high 16 bits).
pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
pub const RET_KILL_THREAD: u32 = 0x0000_0000;
pub const RET_TRAP: u32 = 0x0003_0000;
pub const RET_ERRNO: u32 = 0x0005_0000;
pub const RET_USER_NOTIF: u32 = 0x7fc0_0000;
pub const RET_TRACE: u32 = 0x7ff0_0000;
pub const RET_LOG: u32 = 0x7ffc_0000;
pub const RET_ALLOW: u32 = 0x7fff_0000;
const RET_ACTION_FULL: u32 = 0xffff_0000;
const RET_DATA: u32 = 0x0000_ffff;

/// `AUDIT_ARCH_X86_64`, the only ABI the sentry serves.
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// Linux's MAX_INSNS_PER_PATH: the instructions of all of a thread's
/// filters, each counted with 4 more, must stay within it.
const MAX_INSNS_PER_PATH: usize = 32768;
/// The largest errno an ERRNO action can return.
const MAX_ERRNO: u32 = 4095;

/// What a filter runs: a program's own BPF, or its container's profile.
#[derive(Debug)]
enum Check {
    Bpf(Program),
    Profile(Profile),
}

/// One installed filter and the ones installed before it.
#[derive(Debug)]
pub struct Filter {
    check: Check,
    prev: Option<Arc<Filter>>,
    /// Instructions on the path from here to the first filter (with the
    /// 4-instruction penalty of each).
    path_len: usize,
}

impl Filter {
    /// Whether `ancestor` is this filter or one installed before it.
    fn descends_from(self: &Arc<Filter>, ancestor: &Arc<Filter>) -> bool {
        let mut f = Some(self);
        while let Some(x) = f {
            if Arc::ptr_eq(x, ancestor) {
                return true;
            }
            f = x.prev.as_ref();
        }
        false
    }

    fn count(&self) -> usize {
        1 + self.prev.as_ref().map_or(0, |p| p.count())
    }
}

/// A thread's seccomp state.
#[derive(Clone, Debug, Default)]
pub struct State {
    pub mode: u8,
    pub filter: Option<Arc<Filter>>,
}

impl State {
    /// The number of filters (`Seccomp_filters:`).
    pub fn filters(&self) -> usize {
        self.filter.as_ref().map_or(0, |f| f.count())
    }

    /// The state with `prog` added on top; ENOMEM past the path limit.
    pub fn with_filter(&self, prog: Program) -> Result<State, crate::kernel::errno::Errno> {
        let len = prog.len();
        self.with_check(Check::Bpf(prog), len)
    }

    /// The state a container's processes start in: its profile as their
    /// first filter.
    pub fn of_profile(profile: Profile) -> State {
        let len = profile.len();
        State::default().with_check(Check::Profile(profile), len).unwrap_or_default()
    }

    fn with_check(&self, check: Check, len: usize) -> Result<State, crate::kernel::errno::Errno> {
        let path_len = len + 4 + self.filter.as_ref().map_or(0, |f| f.path_len);
        if path_len > MAX_INSNS_PER_PATH && matches!(check, Check::Bpf(_)) {
            return Err(crate::kernel::errno::Errno::ENOMEM);
        }
        let filter = Arc::new(Filter { check, prev: self.filter.clone(), path_len });
        Ok(State { mode: MODE_FILTER, filter: Some(filter) })
    }

    /// Whether a thread in this state may take `new` by TSYNC: it has no
    /// filter of its own that `new` was not built on.
    pub fn may_sync_to(&self, new: &State) -> bool {
        match (&self.filter, &new.filter) {
            (None, _) => self.mode == MODE_DISABLED,
            (Some(mine), Some(theirs)) => theirs.descends_from(mine),
            (Some(_), None) => false,
        }
    }
}

/// A thread's seccomp, in its `TaskShared`: the syscall path reads one
/// flag while nothing is installed.
#[derive(Debug, Default)]
pub struct TaskSeccomp {
    active: AtomicBool,
    state: Mutex<State>,
}

impl TaskSeccomp {
    /// A new thread's or child's: its creator's.
    pub fn inherit(&self) -> TaskSeccomp {
        TaskSeccomp::new(self.get())
    }

    pub fn new(state: State) -> TaskSeccomp {
        TaskSeccomp { active: AtomicBool::new(state.mode != MODE_DISABLED), state: Mutex::new(state) }
    }

    pub fn get(&self) -> State {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set(&self, state: State) {
        let active = state.mode != MODE_DISABLED;
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
        self.active.store(active, Ordering::Release);
    }

    /// What happens to syscall `nr` with `args` from `ip`, or None when no
    /// mode is set (the fast path).
    pub fn verdict(&self, nr: u64, args: &[u64; 6], ip: u64) -> Option<Verdict> {
        if !self.active.load(Ordering::Acquire) {
            return None;
        }
        let state = self.get();
        Some(match state.mode {
            MODE_STRICT => strict(nr),
            _ => filtered(&state, nr, args, ip),
        })
    }
}

/// What the sentry does with a syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Run it (ALLOW, LOG).
    Allow,
    /// Do not run it; return this (negative errno) instead.
    Fail(i64),
    /// Do not run it; SIGSYS with this `si_errno` (TRAP).
    Trap(u32),
    /// A PTRACE_EVENT_SECCOMP stop with this message if a tracer asked
    /// for it (kernel/ptrace/), else ENOSYS (TRACE).
    Trace(u32),
    /// The thread dies as by SIGSYS (KILL_THREAD).
    KillThread,
    /// The process dies as by SIGSYS (KILL_PROCESS, unknown actions).
    KillProcess,
    /// Strict mode: the thread is killed with SIGKILL.
    StrictKill,
}

/// Strict mode allows read, write, exit and rt_sigreturn only.
fn strict(nr: u64) -> Verdict {
    let allowed = [libc::SYS_read, libc::SYS_write, libc::SYS_exit, libc::SYS_rt_sigreturn];
    if allowed.iter().any(|&n| n as u64 == nr) {
        Verdict::Allow
    } else {
        Verdict::StrictKill
    }
}

/// Runs every filter, newest first; the action of lowest (signed) value
/// wins, as Linux's `seccomp_run_filters`.
fn filtered(state: &State, nr: u64, args: &[u64; 6], ip: u64) -> Verdict {
    let mut data = [0u8; DATA_LEN as usize];
    data[0..4].copy_from_slice(&(nr as u32).to_ne_bytes());
    data[4..8].copy_from_slice(&AUDIT_ARCH_X86_64.to_ne_bytes());
    data[8..16].copy_from_slice(&ip.to_ne_bytes());
    for (i, a) in args.iter().enumerate() {
        data[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_ne_bytes());
    }
    let mut ret = RET_ALLOW;
    let mut f = state.filter.as_ref();
    while let Some(x) = f {
        let cur = match &x.check {
            Check::Bpf(prog) => prog.run(&data),
            Check::Profile(p) => p.run(nr as u32, args),
        };
        if ((cur & RET_ACTION_FULL) as i32) < ((ret & RET_ACTION_FULL) as i32) {
            ret = cur;
        }
        f = x.prev.as_ref();
    }
    action(ret)
}

fn action(ret: u32) -> Verdict {
    let data = ret & RET_DATA;
    match ret & RET_ACTION_FULL {
        RET_ALLOW | RET_LOG => Verdict::Allow,
        RET_ERRNO => Verdict::Fail(-(data.min(MAX_ERRNO) as i64)),
        RET_TRAP => Verdict::Trap(data),
        RET_TRACE => Verdict::Trace(data),
        // No listener can take these: the syscall fails with ENOSYS, as
        // in Linux when nothing is attached.
        RET_USER_NOTIF => Verdict::Fail(-(libc::ENOSYS as i64)),
        RET_KILL_THREAD => Verdict::KillThread,
        _ => Verdict::KillProcess,
    }
}

/// Whether SECCOMP_GET_ACTION_AVAIL reports `action` as available.
pub fn action_available(action: u32) -> bool {
    matches!(action, RET_KILL_PROCESS | RET_KILL_THREAD | RET_TRAP | RET_ERRNO | RET_TRACE | RET_LOG | RET_ALLOW)
}
