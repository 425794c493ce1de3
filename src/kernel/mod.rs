//! The sentry: husk's user-space kernel. Every system call of a sandboxed
//! program arrives here (see `task::run`) and is served by the handlers in
//! `syscalls`, on the kernel's own objects: tasks, address spaces (`mm`),
//! files (`vfs`, `fd`).

pub mod cgroup;
pub mod container;
pub mod errno;
pub mod event;
pub mod exec;
pub mod fd;
pub mod freezer;
pub mod futex;
pub mod ipc;
pub mod mm;
pub mod ns;
pub mod oom;
pub mod pipe;
pub mod pipe_account;
pub mod ptrace;
pub mod seccomp;
pub mod signal;
pub mod strace;
pub mod syscalls;
pub mod task;
pub mod timer;
pub mod tty;
pub mod vfs;
pub mod wait;

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use task::procs::ProcTable;
use task::ExitStatus;
use vfs::Vfs;
use wait::WaitQueue;

/// Settings of one kernel instance (one sandbox).
#[derive(Clone, Debug)]
pub struct KernelConfig {
    /// Log every syscall (`--strace`).
    pub strace: bool,
    /// The sandbox's host name.
    pub hostname: String,
    /// Most tasks (threads of all processes) the sandbox may have.
    pub max_tasks: usize,
    /// How the sandbox reaches the network (`--network`).
    pub network: crate::netstack::NetworkMode,
}

/// One sandbox's kernel.
pub struct Kernel {
    /// The container root file system.
    pub vfs: Arc<Vfs>,
    /// Whether syscalls are logged to stderr (`--strace`); togglable while running.
    pub strace: AtomicBool,
    /// Live strace subscribers (the control socket's `strace` requests).
    pub tracers: strace::sink::Tracers,
    /// When the kernel booted (for uptime and process times).
    pub boot: Instant,
    /// The sandbox's root PID namespace: every pid has a number there
    /// (the sandbox-global id the process table is keyed by).
    pub root_pidns: Arc<ns::PidNamespace>,
    /// Syscall numbers already reported as unimplemented (logged once each).
    unimplemented: Mutex<HashSet<u64>>,
    /// The sandbox's first UTS namespace (the host name of its config).
    pub root_uts: Arc<ns::UtsNamespace>,
    /// The sandbox's first IPC namespace.
    pub root_ipc: Arc<ns::IpcNamespace>,
    /// Futex wait queues.
    pub futexes: Arc<futex::FutexTable>,
    /// Every process and task. Also serialises process-tree changes.
    pub procs: Mutex<ProcTable>,
    /// Notified whenever a process exits, stops or continues (`wait`).
    pub child_events: WaitQueue,
    /// The exit status of the container's init, once it has exited.
    init_status: Mutex<Option<ExitStatus>>,
    init_exited: Condvar,
    /// Most tasks the sandbox may have at once (its pids limit).
    pub max_tasks: usize,
    /// Process exits, for waiters outside the sandbox (container.rs).
    pub exits: container::ExitWatch,
    /// Fires interval and POSIX timers (kernel/timer.rs).
    pub timers: timer::TimerService,
    /// The sandbox's first network namespace: sockets, the IP stack, unix
    /// socket names (`NsProxy::net` is each task's).
    pub net: Arc<crate::netstack::NetStack>,
}

impl Kernel {
    /// A kernel serving `vfs`.
    pub fn new(vfs: Arc<Vfs>, config: &KernelConfig) -> Arc<Kernel> {
        // Count the CPUs now, before any sentry thread is pinned to one.
        task::SchedAttrs::online_cpus();
        vfs::procfs::note_boot();
        let kernel = Arc::new(Kernel {
            vfs,
            strace: AtomicBool::new(config.strace),
            tracers: strace::sink::Tracers::default(),
            boot: Instant::now(),
            root_pidns: ns::PidNamespace::new_root(),
            unimplemented: Mutex::new(HashSet::new()),
            root_uts: ns::UtsNamespace::new_root(config.hostname.as_bytes()),
            root_ipc: ns::IpcNamespace::new_root(),
            futexes: Arc::new(futex::FutexTable::default()),
            procs: Mutex::new(ProcTable::default()),
            child_events: WaitQueue::default(),
            init_status: Mutex::new(None),
            init_exited: Condvar::new(),
            max_tasks: config.max_tasks,
            exits: container::ExitWatch::default(),
            net: crate::netstack::NetStack::new(config.network),
            timers: timer::TimerService::new(),
        });
        kernel.vfs.devpts.set_kernel(Arc::downgrade(&kernel));
        kernel.vfs.procfs.attach(Arc::downgrade(&kernel));
        kernel.vfs.cgroupfs.attach(Arc::downgrade(&kernel));
        kernel
    }

    /// The namespaces of a process started from outside in PID namespace
    /// `pidns`, with the sandbox's first UTS, IPC and mount namespaces.
    pub fn namespaces(&self, pidns: Arc<ns::PidNamespace>) -> ns::NsProxy {
        ns::NsProxy {
            pid_for_children: pidns,
            uts: self.root_uts.clone(),
            ipc: self.root_ipc.clone(),
            mnt: self.vfs.clone(),
            net: self.net.clone(),
        }
    }

    /// Records that syscall `nr` was called but is not implemented; true the
    /// first time, so the caller logs it once.
    pub fn note_unimplemented(&self, nr: u64) -> bool {
        self.unimplemented.lock().unwrap_or_else(|e| e.into_inner()).insert(nr)
    }
}

impl Kernel {
    /// The process table, locked.
    pub fn procs(&self) -> std::sync::MutexGuard<'_, ProcTable> {
        self.procs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the exit of the container's init.
    pub fn set_init_exited(&self, status: ExitStatus) {
        *self.init_status.lock().unwrap_or_else(|e| e.into_inner()) = Some(status);
        self.init_exited.notify_all();
    }

    /// Waits until the container's init has exited and returns its status.
    pub fn wait_init(&self) -> ExitStatus {
        let mut st = self.init_status.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(s) = *st {
                return s;
            }
            st = self.init_exited.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }
}
