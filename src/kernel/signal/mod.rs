//! Signals: the `siginfo` record, pending queues, dispositions, sending
//! (`send.rs`), delivery at the task's stop points (`deliver.rs`) and the
//! x86_64 signal frame (`frame.rs`).

pub mod deliver;
pub mod fasync;
pub mod frame;
pub mod limit;
pub mod send;
pub mod sigio;

/// Number of signals (1..=64).
pub const NSIG: usize = 64;
/// First real-time signal; real-time signals queue, standard ones coalesce.
pub const SIGRTMIN: i32 = 32;

/// SIG_DFL.
pub const SIG_DFL: u64 = 0;
/// SIG_IGN.
pub const SIG_IGN: u64 = 1;

pub const SA_NOCLDSTOP: u64 = 1;
pub const SA_NOCLDWAIT: u64 = 2;
pub const SA_SIGINFO: u64 = 4;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;

/// si_code values.
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_TIMER: i32 = -2;
pub const SI_TKILL: i32 = -6;
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;

/// The bit of `sig` in a signal set.
pub fn sigbit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

/// Signals that can never be blocked or caught.
pub const UNBLOCKABLE: u64 = (1 << (libc::SIGKILL - 1)) | (1 << (libc::SIGSTOP - 1));

/// Signals raised by faults of the running code; delivered before others.
pub const SYNCHRONOUS: u64 = (1 << (libc::SIGSEGV - 1))
    | (1 << (libc::SIGBUS - 1))
    | (1 << (libc::SIGILL - 1))
    | (1 << (libc::SIGTRAP - 1))
    | (1 << (libc::SIGFPE - 1))
    | (1 << (libc::SIGSYS - 1));

/// Stop signals.
pub const STOP_SIGNALS: u64 =
    (1 << (libc::SIGSTOP - 1)) | (1 << (libc::SIGTSTP - 1)) | (1 << (libc::SIGTTIN - 1)) | (1 << (libc::SIGTTOU - 1));

/// A `siginfo_t` (128 bytes, x86_64 layout).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SigInfo(pub [u8; 128]);

impl std::fmt::Debug for SigInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigInfo(signo={}, code={})", self.signo(), self.code())
    }
}

impl SigInfo {
    fn with(signo: i32, code: i32) -> SigInfo {
        let mut s = SigInfo([0; 128]);
        s.put_i32(0, signo);
        s.put_i32(8, code);
        s
    }

    fn put_i32(&mut self, off: usize, v: i32) {
        self.0[off..off + 4].copy_from_slice(&v.to_ne_bytes());
    }

    fn put_u64(&mut self, off: usize, v: u64) {
        self.0[off..off + 8].copy_from_slice(&v.to_ne_bytes());
    }

    fn get_i32(&self, off: usize) -> i32 {
        i32::from_ne_bytes([self.0[off], self.0[off + 1], self.0[off + 2], self.0[off + 3]])
    }

    /// SIGSYS from a seccomp filter's TRAP (SYS_SECCOMP): the filter's
    /// data in si_errno, and the call's address, number and ABI.
    pub fn seccomp(nr: i32, data: u32, call_addr: u64, arch: u32) -> SigInfo {
        let mut s = SigInfo::with(libc::SIGSYS, 1);
        s.put_i32(4, data as i32);
        s.put_u64(16, call_addr);
        s.put_i32(24, nr);
        s.put_i32(28, arch as i32);
        s
    }

    /// The signal number.
    pub fn signo(&self) -> i32 {
        self.get_i32(0)
    }

    /// The `si_code`.
    pub fn code(&self) -> i32 {
        self.get_i32(8)
    }

    /// The `si_errno`.
    pub fn errno(&self) -> i32 {
        self.get_i32(4)
    }

    /// kill(2): SI_USER with the sender's pid and uid.
    pub fn user(sig: i32, pid: i32, uid: u32) -> SigInfo {
        let mut s = SigInfo::with(sig, SI_USER);
        s.put_i32(16, pid);
        s.put_i32(20, uid as i32);
        s
    }

    /// tgkill(2)/tkill(2): SI_TKILL.
    pub fn tkill(sig: i32, pid: i32, uid: u32) -> SigInfo {
        let mut s = SigInfo::user(sig, pid, uid);
        s.put_i32(8, SI_TKILL);
        s
    }

    /// A signal the kernel sends for its own reasons (SI_KERNEL).
    pub fn kernel(sig: i32) -> SigInfo {
        SigInfo::with(sig, SI_KERNEL)
    }

    /// SIGCHLD describing a child's state change.
    pub fn child(code: i32, pid: i32, uid: u32, status: i32) -> SigInfo {
        let mut s = SigInfo::with(libc::SIGCHLD, code);
        s.put_i32(16, pid);
        s.put_i32(20, uid as i32);
        s.put_i32(24, status);
        s
    }

    /// A timer expiry (SI_TIMER) with the timer id, overrun and value.
    pub fn timer(sig: i32, timer_id: i32, overrun: i32, value: u64) -> SigInfo {
        let mut s = SigInfo::with(sig, SI_TIMER);
        s.put_i32(16, timer_id);
        s.put_i32(20, overrun);
        s.put_u64(24, value);
        s
    }

    /// A POSIX message queue's notification (SI_MESGQ) with the sender's
    /// pid and uid and the registered value.
    pub fn mesgq(sig: i32, pid: i32, uid: u32, value: u64) -> SigInfo {
        let mut s = SigInfo::user(sig, pid, uid);
        s.put_i32(8, -3);
        s.put_u64(24, value);
        s
    }

    /// A record as the host kernel wrote it (faults of application code:
    /// addresses are already the application's).
    pub fn from_host(info: &libc::siginfo_t) -> SigInfo {
        let mut s = SigInfo([0; 128]);
        // SAFETY: siginfo_t is 128 bytes of plain data.
        let bytes = unsafe { std::slice::from_raw_parts((info as *const libc::siginfo_t).cast::<u8>(), 128) };
        s.0.copy_from_slice(bytes);
        s
    }

    /// Whether the record carries a sender's pid (kill, tkill, sigqueue,
    /// message queues, SIGCHLD): Linux's has_si_pid_and_uid.
    pub fn has_sender_pid(&self) -> bool {
        const SI_QUEUE: i32 = -1;
        const SI_MESGQ: i32 = -3;
        let code = self.code();
        matches!(code, SI_USER | SI_QUEUE | SI_MESGQ | SI_TKILL)
            || (self.signo() == libc::SIGCHLD && (CLD_EXITED..=CLD_CONTINUED).contains(&code))
    }

    /// Hides the sender's pid (a sender the receiver's PID namespace does
    /// not show).
    pub fn clear_sender_pid(&mut self) {
        if self.has_sender_pid() {
            self.put_i32(16, 0);
        }
    }

    /// A record supplied by the application (rt_sigqueueinfo): its bytes,
    /// with the signal number forced.
    pub fn from_bytes(sig: i32, bytes: [u8; 128]) -> SigInfo {
        let mut s = SigInfo(bytes);
        s.put_i32(0, sig);
        s
    }
}

/// Pending signals of a task or of a thread group.
#[derive(Clone, Debug, Default)]
pub struct SigQueue {
    /// Queued records, in arrival order.
    queue: Vec<SigInfo>,
    /// Signals with at least one record queued.
    mask: u64,
}

impl SigQueue {
    /// The set of pending signals.
    pub fn mask(&self) -> u64 {
        self.mask
    }

    /// How many records are queued (what Linux charges to the receiver's
    /// user against RLIMIT_SIGPENDING).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Queues `info`; a standard signal already pending is not queued twice.
    /// Returns false if it was coalesced.
    pub fn push(&mut self, info: SigInfo) -> bool {
        let sig = info.signo();
        if sig < SIGRTMIN && self.mask & sigbit(sig) != 0 {
            return false;
        }
        self.queue.push(info);
        self.mask |= sigbit(sig);
        true
    }

    /// Removes and returns the first record of the best signal in `allowed`:
    /// synchronous (fault) signals first, then the lowest number.
    pub fn pop(&mut self, allowed: u64) -> Option<SigInfo> {
        let ready = self.mask & allowed;
        if ready == 0 {
            return None;
        }
        let pick = if ready & SYNCHRONOUS != 0 { ready & SYNCHRONOUS } else { ready };
        let sig = pick.trailing_zeros() as i32 + 1;
        self.take(sig)
    }

    /// Removes and returns the first record of `sig`.
    pub fn take(&mut self, sig: i32) -> Option<SigInfo> {
        let i = self.queue.iter().position(|s| s.signo() == sig)?;
        let info = self.queue.remove(i);
        if !self.queue.iter().any(|s| s.signo() == sig) {
            self.mask &= !sigbit(sig);
        }
        Some(info)
    }

    /// Drops every queued record of the signals in `set`.
    pub fn discard(&mut self, set: u64) {
        self.queue.retain(|s| set & sigbit(s.signo()) == 0);
        self.mask &= !set;
    }
}

/// One `struct sigaction` as the x86_64 kernel ABI lays it out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

/// The dispositions of all signals of a process.
#[derive(Clone, Debug)]
pub struct SignalActions {
    actions: [SigAction; NSIG],
}

impl Default for SignalActions {
    fn default() -> Self {
        SignalActions { actions: [SigAction::default(); NSIG] }
    }
}

impl SignalActions {
    /// Default actions, except SIG_IGN for the signals in `ignored` (bit
    /// N-1 for signal N; SIGKILL and SIGSTOP cannot be ignored).
    pub fn ignoring(ignored: u64) -> SignalActions {
        let mut a = SignalActions::default();
        for sig in 1..=NSIG as i32 {
            if ignored & sigbit(sig) != 0 && sig != libc::SIGKILL && sig != libc::SIGSTOP {
                a.set(sig, SigAction { handler: SIG_IGN, ..SigAction::default() });
            }
        }
        a
    }

    /// The action of `sig` (1..=64).
    pub fn get(&self, sig: i32) -> SigAction {
        self.actions[(sig - 1) as usize]
    }

    /// Sets the action of `sig` and returns the old one.
    pub fn set(&mut self, sig: i32, act: SigAction) -> SigAction {
        std::mem::replace(&mut self.actions[(sig - 1) as usize], act)
    }

    /// `execve` resets caught signals to their default action.
    pub fn reset_for_exec(&mut self) {
        for a in self.actions.iter_mut() {
            if a.handler != SIG_IGN {
                *a = SigAction::default();
            }
        }
    }

    /// Whether `sig` would be dropped on arrival: ignored explicitly, or by
    /// default (SIGCHLD, SIGURG, SIGWINCH, SIGCONT's non-stop part).
    pub fn ignores(&self, sig: i32) -> bool {
        let a = self.get(sig);
        a.handler == SIG_IGN || (a.handler == SIG_DFL && default_action(sig) == DefaultAction::Ignore)
    }
}

/// What a signal does when its action is SIG_DFL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    CoreDump,
    Ignore,
    Stop,
    Continue,
}

/// The default action of `sig`, from signal(7).
pub fn default_action(sig: i32) -> DefaultAction {
    match sig {
        libc::SIGCHLD | libc::SIGURG | libc::SIGWINCH => DefaultAction::Ignore,
        libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => DefaultAction::Stop,
        libc::SIGCONT => DefaultAction::Continue,
        libc::SIGQUIT
        | libc::SIGILL
        | libc::SIGTRAP
        | libc::SIGABRT
        | libc::SIGBUS
        | libc::SIGFPE
        | libc::SIGSEGV
        | libc::SIGXCPU
        | libc::SIGXFSZ
        | libc::SIGSYS => DefaultAction::CoreDump,
        _ => DefaultAction::Terminate,
    }
}
