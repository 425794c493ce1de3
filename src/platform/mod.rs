//! How application code runs and traps. The kernel sees one small surface:
//! run a thread until it stops (`switch`), read/write its registers, inject a
//! syscall into its address space, and copy its memory. `ptrace` is the first
//! implementation; a seccomp-trap platform can slot in behind the same calls.

pub mod ptrace;

use crate::kernel::errno::Errno;

/// The general-purpose registers of an application thread (x86_64).
pub type Regs = libc::user_regs_struct;

/// Why control came back from application code.
#[derive(Debug)]
pub enum Stop {
    /// The thread issued a system call (not executed); number in `orig_rax`.
    Syscall,
    /// The thread received a signal from the host (a fault, or a kill).
    Signal(libc::siginfo_t),
    /// The thread was interrupted by the sentry (`PTRACE_INTERRUPT`).
    Interrupted,
    /// The thread is gone (its stub process was killed from outside).
    Died,
}

/// Failures of the platform itself (not of the application).
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// Reserving the stub region failed.
    #[error("cannot reserve the stub region: {0}")]
    Reserve(std::io::Error),
    /// Creating a stub process failed.
    #[error("cannot create a stub process: {0}")]
    Spawn(Errno),
    /// A ptrace request failed.
    #[error("ptrace failed: {0}")]
    Ptrace(Errno),
    /// The stub stopped in a way the platform does not expect.
    #[error("unexpected stub stop (status {0:#x})")]
    UnexpectedStop(i32),
    /// The stub process died while the sentry was using it.
    #[error("the stub process died")]
    Died,
}
