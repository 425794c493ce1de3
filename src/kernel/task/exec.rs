//! Replacing a process's program (`execve`) and starting the first one.

use std::sync::{Arc, Mutex};

use super::{default_rlimits, Credentials, FsContext, SignalActions, Task, ThreadGroup};
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::exec::{load, ExecRequest, Loaded};
use crate::kernel::fd::FdTable;
use crate::kernel::mm::MemoryManager;
use crate::kernel::Kernel;
use crate::platform::ptrace::{zeroed_regs, StubThread};

/// Pins the calling sentry thread and its stub thread to one CPU: a ptrace
/// stop and wake-up on the same CPU costs half as much as across CPUs.
pub fn pin_together(stub_tid: i32, cpu_hint: usize) {
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut set = nix::sched::CpuSet::new();
    if set.set(cpu_hint % n).is_err() {
        return;
    }
    let _ = nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set);
    let _ = nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(stub_tid), &set);
}

/// Loads `path` into a fresh stub process. On success the caller owns the
/// new stub thread, address space and image.
#[allow(clippy::too_many_arguments)]
fn load_fresh(
    kernel: &Arc<Kernel>,
    creds: &Credentials,
    cwd: &[u8],
    path: Vec<u8>,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    cpu: usize,
) -> Result<(StubThread, Arc<MemoryManager>, Loaded), Errno> {
    let mut thread = StubThread::spawn_process().map_err(|e| {
        tracing::error!("cannot create a stub process: {e}");
        Errno::EAGAIN
    })?;
    pin_together(thread.tid(), cpu);
    let mm = MemoryManager::new(&thread);
    let may_exec = |s: &crate::kernel::vfs::stat::Stat| creds.may_access(s, 1, true);
    let req = ExecRequest {
        vfs: &kernel.vfs,
        cwd,
        path,
        argv,
        envp,
        ids: (creds.ruid, creds.euid, creds.rgid, creds.egid),
        may_exec: &may_exec,
    };
    let loaded = load(req, &mut thread, &mm)?;
    Ok((thread, mm, loaded))
}

/// Implements execve(2) for the calling task.
pub fn execve(t: &mut Task, path: Vec<u8>, argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> SysResult {
    let creds = t.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let (thread, mm, loaded) = load_fresh(
        &t.kernel,
        &creds,
        &t.cwd(),
        path,
        argv,
        envp,
        t.tid as usize,
    )?;
    install_image(t, thread, mm, loaded);
    Ok(0)
}

/// Makes a loaded image the task's program.
fn install_image(t: &mut Task, thread: StubThread, mm: Arc<MemoryManager>, loaded: Loaded) {
    // Point of no return: the old image goes away.
    t.thread = thread;
    *t.tg.mm.lock().unwrap_or_else(|e| e.into_inner()) = mm;
    t.tg.fds.close_on_exec();
    t.tg.sig_actions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .reset_for_exec();
    t.sigaltstack = (0, 0, 0);
    t.clear_child_tid = 0;
    t.robust_list = (0, 0);
    apply_loaded(t, loaded);
}

/// Sets the task's program details and start registers from a loaded image.
fn apply_loaded(t: &mut Task, loaded: Loaded) {
    *t.tg.exe.lock().unwrap_or_else(|e| e.into_inner()) = loaded.exe;
    *t.tg.argv.lock().unwrap_or_else(|e| e.into_inner()) = loaded.argv;
    t.regs = loaded.regs;
    t.regs_replaced = true;
}

/// What the first process of a sandbox runs.
pub struct InitSpec {
    pub path: Vec<u8>,
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// Canonical working directory.
    pub cwd: Vec<u8>,
    pub uid: u32,
    pub gid: u32,
    /// The stdin, stdout and stderr files (descriptors 0, 1, 2).
    pub stdio: [Arc<crate::kernel::vfs::file::OpenFile>; 3],
}

/// Creates the container's first process (pid 1) and its task. Must run on
/// the sentry thread that will run the task (it becomes the tracer).
pub fn create_init(kernel: &Arc<Kernel>, spec: InitSpec) -> Result<Task, Errno> {
    let pid = kernel.alloc_pid();
    let fds = Arc::new(FdTable::default());
    for (i, f) in spec.stdio.iter().enumerate() {
        fds.install_at(i as i32, f.clone(), false, 3)?;
    }
    let creds = Credentials::new(spec.uid, spec.gid);
    let (thread, mm, loaded) = load_fresh(
        kernel,
        &creds,
        &spec.cwd,
        spec.path,
        spec.argv,
        spec.envp,
        pid as usize,
    )?;
    let tg = Arc::new(ThreadGroup {
        pid,
        ppid: 0,
        mm: Mutex::new(mm.clone()),
        fds,
        fs: Mutex::new(FsContext {
            cwd: spec.cwd,
            umask: 0o022,
        }),
        sig_actions: Mutex::new(SignalActions::default()),
        rlimits: Mutex::new(default_rlimits()),
        creds: Mutex::new(creds),
        exe: Mutex::new(Vec::new()),
        argv: Mutex::new(Vec::new()),
    });
    let mut task = Task {
        kernel: kernel.clone(),
        tg,
        tid: pid,
        thread,
        regs: zeroed_regs(),
        sigmask: 0,
        pending: 0,
        sigaltstack: (0, 0, 0),
        clear_child_tid: 0,
        robust_list: (0, 0),
        exit: None,
        regs_replaced: false,
    };
    apply_loaded(&mut task, loaded);
    Ok(task)
}
