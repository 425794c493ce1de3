//! Signal dispositions and masks.

/// Number of signals (1..=64).
pub const NSIG: usize = 64;

/// One `struct sigaction` as the x86_64 kernel ABI lays it out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

/// SIG_DFL.
pub const SIG_DFL: u64 = 0;
/// SIG_IGN.
pub const SIG_IGN: u64 = 1;

/// The dispositions of all signals of a process.
#[derive(Clone, Debug)]
pub struct SignalActions {
    actions: [SigAction; NSIG],
}

impl Default for SignalActions {
    fn default() -> Self {
        SignalActions {
            actions: [SigAction::default(); NSIG],
        }
    }
}

impl SignalActions {
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

/// The bit of `sig` in a signal set.
pub fn sigbit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

/// Signals that can never be blocked or caught.
pub const UNBLOCKABLE: u64 = (1 << (libc::SIGKILL - 1)) | (1 << (libc::SIGSTOP - 1));
