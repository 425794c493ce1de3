//! Tasks (threads) and thread groups (processes).
//!
//! Each task is run by one sentry host thread, which is also the ptrace
//! tracer of the task's stub thread; that thread owns the `Task` and all of
//! its unsynchronized state. State shared between the threads of a process
//! lives in the `ThreadGroup`, behind its own locks.

pub mod creds;
pub mod exec;
pub mod run;
pub mod signals;

use std::sync::{Arc, Mutex};

use crate::kernel::errno::Errno;
use crate::kernel::fd::FdTable;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::mm::MemoryManager;
use crate::kernel::vfs::file::OpenFile;
use crate::kernel::Kernel;
use crate::platform::ptrace::{ProcessMemory, StubThread};
use crate::platform::Regs;
pub use creds::Credentials;
pub use signals::SignalActions;

/// How a task or process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// `exit(code)`.
    Code(i32),
    /// Killed by a signal.
    Signal(i32),
}

impl ExitStatus {
    /// The status a shell reports: the code, or 128 + signal.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Code(c) => c & 0xff,
            ExitStatus::Signal(s) => 128 + s,
        }
    }
}

/// Resource limits, as `prlimit64` sees them.
#[derive(Clone, Copy, Debug)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

/// RLIM_INFINITY.
pub const RLIM_INFINITY: u64 = u64::MAX;

/// Linux's default limits for a new init process.
pub fn default_rlimits() -> [Rlimit; 16] {
    let inf = Rlimit {
        cur: RLIM_INFINITY,
        max: RLIM_INFINITY,
    };
    let mut r = [inf; 16];
    r[libc::RLIMIT_STACK as usize] = Rlimit {
        cur: 8 << 20,
        max: RLIM_INFINITY,
    };
    r[libc::RLIMIT_CORE as usize] = Rlimit {
        cur: 0,
        max: RLIM_INFINITY,
    };
    r[libc::RLIMIT_NPROC as usize] = Rlimit {
        cur: 4096,
        max: 4096,
    };
    r[libc::RLIMIT_NOFILE as usize] = Rlimit {
        cur: 1024,
        max: 1 << 20,
    };
    r[libc::RLIMIT_MEMLOCK as usize] = Rlimit {
        cur: 8 << 20,
        max: 8 << 20,
    };
    r[libc::RLIMIT_SIGPENDING as usize] = Rlimit {
        cur: 63_000,
        max: 63_000,
    };
    r[libc::RLIMIT_MSGQUEUE as usize] = Rlimit {
        cur: 819_200,
        max: 819_200,
    };
    r[libc::RLIMIT_NICE as usize] = Rlimit { cur: 0, max: 0 };
    r[libc::RLIMIT_RTPRIO as usize] = Rlimit { cur: 0, max: 0 };
    r
}

/// Where a process is in the file system.
#[derive(Clone, Debug)]
pub struct FsContext {
    /// Canonical absolute path of the working directory.
    pub cwd: Vec<u8>,
    /// The file mode creation mask.
    pub umask: u32,
}

/// A process: what its threads share.
pub struct ThreadGroup {
    /// The process id (in the sandbox's pid namespace).
    pub pid: i32,
    /// The parent's pid (0 for the container's first process).
    pub ppid: i32,
    /// The address space; replaced by `execve`.
    pub mm: Mutex<Arc<MemoryManager>>,
    /// The descriptor table.
    pub fds: Arc<FdTable>,
    /// Working directory and umask.
    pub fs: Mutex<FsContext>,
    /// Signal dispositions.
    pub sig_actions: Mutex<SignalActions>,
    /// Resource limits.
    pub rlimits: Mutex<[Rlimit; 16]>,
    /// User and group ids.
    pub creds: Mutex<Credentials>,
    /// The canonical path of the running executable.
    pub exe: Mutex<Vec<u8>>,
    /// The command line of the running program (for `/proc` and strace).
    pub argv: Mutex<Vec<Vec<u8>>>,
}

/// One thread of a sandboxed program. Owned by its sentry thread.
pub struct Task {
    pub kernel: Arc<Kernel>,
    pub tg: Arc<ThreadGroup>,
    /// Thread id (equals `tg.pid` for the main thread).
    pub tid: i32,
    /// The stub thread this task runs on.
    pub thread: StubThread,
    /// The application's registers while the task is in the sentry.
    pub regs: Regs,
    /// Blocked signals.
    pub sigmask: u64,
    /// Signals sent to this task and not yet delivered.
    pub pending: u64,
    /// Alternate signal stack (ss_sp, ss_flags, ss_size).
    pub sigaltstack: (u64, i32, u64),
    /// `set_tid_address`: cleared and woken on exit.
    pub clear_child_tid: u64,
    /// `set_robust_list` head and length.
    pub robust_list: (u64, u64),
    /// Set when the task must stop running (exit, or the whole group exits).
    pub exit: Option<ExitStatus>,
    /// When set, the syscall handler already put the return registers in
    /// place (`execve`, `rt_sigreturn`): the dispatcher must not write rax.
    pub regs_replaced: bool,
}

impl Task {
    /// Access to the application's memory.
    pub fn mem(&self) -> ProcessMemory {
        self.thread.memory()
    }

    /// The current address space.
    pub fn mm(&self) -> Arc<MemoryManager> {
        self.tg.mm.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The file behind descriptor `fd`.
    pub fn file(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.tg.fds.get(fd)
    }

    /// Copies in a path argument: NULL and bad pointers are EFAULT, an
    /// over-long path ENAMETOOLONG, as in Linux.
    pub fn read_path(&self, addr: u64) -> Result<Vec<u8>, Errno> {
        self.mem().read_cstring(addr, crate::kernel::vfs::PATH_MAX)
    }

    /// The working directory.
    pub fn cwd(&self) -> Vec<u8> {
        self.tg
            .fs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .cwd
            .clone()
    }

    /// The directory a `*at` call resolves relative paths against.
    pub fn dir_for(&self, dirfd: i32, path: &[u8]) -> Result<Vec<u8>, Errno> {
        if path.first() == Some(&b'/') || dirfd == libc::AT_FDCWD {
            return Ok(self.cwd());
        }
        let f = self.file(dirfd)?;
        if !f.ops.stat()?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(f.path.clone())
    }

    /// A resource limit's soft value.
    pub fn rlimit(&self, res: u32) -> u64 {
        self.tg.rlimits.lock().unwrap_or_else(|e| e.into_inner())[res as usize].cur
    }
}
