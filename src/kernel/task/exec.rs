//! Replacing a process's program (`execve`) and starting the first one.

use std::sync::{Arc, Mutex};

use std::sync::atomic::{AtomicBool, AtomicI32};

use super::{
    default_rlimits, Credentials, FsContext, GroupSignals, Life, Relations, Task, TaskShared,
    TaskSignals, ThreadGroup,
};
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::exec::{load, ExecRequest, Loaded};
use crate::kernel::fd::FdTable;
use crate::kernel::mm::MemoryManager;
use crate::kernel::signal::SignalActions;
use crate::kernel::wait::{block_uninterruptible, Waker};
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
    let creds = t.creds();
    let (thread, mm, loaded) = load_fresh(
        &t.kernel,
        &creds,
        &t.cwd(),
        path,
        argv,
        envp,
        t.tid as usize,
    )?;
    kill_other_threads(t)?;
    install_image(t, thread, mm, loaded);
    if let Some(v) = t.vfork_parent.take() {
        v.complete();
    }
    Ok(0)
}

/// Ends every other thread of the process before an exec (Linux's
/// de_thread). Fails if the whole process is being killed meanwhile.
fn kill_other_threads(t: &mut Task) -> Result<(), Errno> {
    let tg = t.tg.clone();
    if tg.task_list().len() <= 1 {
        return Ok(());
    }
    tg.sig.lock().unwrap_or_else(|e| e.into_inner()).exec_leader = Some(t.tid);
    for other in tg.task_list() {
        if other.tid != t.tid {
            crate::kernel::signal::send::wake(&other);
        }
    }
    let r = block_uninterruptible(&[&tg.stop_queue], || {
        let dying = tg
            .sig
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .exiting
            .is_some();
        if dying {
            return Some(Err(Errno::EINTR));
        }
        (tg.task_list().len() <= 1).then_some(Ok(()))
    });
    tg.sig.lock().unwrap_or_else(|e| e.into_inner()).exec_leader = None;
    r
}

/// Makes a loaded image the task's program.
fn install_image(t: &mut Task, thread: StubThread, mm: Arc<MemoryManager>, loaded: Loaded) {
    // Point of no return: the old image goes away.
    t.thread = thread;
    *t.shared.host.lock().unwrap_or_else(|e| e.into_inner()) = (t.thread.pid(), t.thread.tid());
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
    let name = loaded.exe.rsplit(|&b| b == b'/').next().unwrap_or(&[]);
    *t.shared.comm.lock().unwrap_or_else(|e| e.into_inner()) = name[..name.len().min(15)].to_vec();
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
    /// The controlling terminal of the first session, if any.
    pub ctty: Option<Arc<dyn crate::kernel::tty::job::Terminal>>,
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
        pgid: AtomicI32::new(pid),
        sid: AtomicI32::new(pid),
        rel: Mutex::new(Relations::default()),
        exit_signal: libc::SIGCHLD,
        mm: Mutex::new(mm),
        fds,
        fs: Arc::new(Mutex::new(FsContext {
            cwd: spec.cwd,
            umask: 0o022,
        })),
        sig_actions: Arc::new(Mutex::new(SignalActions::default())),
        sig: Mutex::new(GroupSignals::default()),
        life: Mutex::new(Life::default()),
        stop_queue: Default::default(),
        tasks: Mutex::new(Vec::new()),
        rlimits: Mutex::new(default_rlimits()),
        creds: Mutex::new(creds),
        exe: Mutex::new(Vec::new()),
        argv: Mutex::new(Vec::new()),
        subreaper: AtomicBool::new(false),
        child_times: Mutex::new((0, 0)),
        ctty: Mutex::new(spec.ctty.clone()),
    });
    if let Some(term) = &spec.ctty {
        *term.job().lock().unwrap_or_else(|e| e.into_inner()) =
            crate::kernel::tty::job::JobState { session: Some(pid), fg_pgrp: Some(pid) };
    }
    let shared = Arc::new(TaskShared {
        tid: pid,
        tg: tg.clone(),
        sig: Mutex::new(TaskSignals::default()),
        waker: Arc::new(Waker::default()),
        host: Mutex::new((thread.pid(), thread.tid())),
        in_app: AtomicBool::new(false),
        comm: Mutex::new(Vec::new()),
        pdeathsig: AtomicI32::new(0),
    });
    {
        let mut procs = kernel.procs();
        procs.groups.insert(pid, tg.clone());
        procs.tasks.insert(pid, shared.clone());
        tg.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(shared.clone());
    }
    let mut task = Task {
        kernel: kernel.clone(),
        shared,
        tg,
        tid: pid,
        thread,
        regs: zeroed_regs(),
        sigaltstack: (0, 0, 0),
        saved_mask: None,
        clear_child_tid: 0,
        robust_list: (0, 0),
        exit: None,
        regs_replaced: false,
        restart: None,
        vfork_parent: None,
    };
    apply_loaded(&mut task, loaded);
    Ok(task)
}
