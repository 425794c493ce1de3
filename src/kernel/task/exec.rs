//! Replacing a process's program (`execve`) and starting the first one.

use std::sync::{Arc, Mutex};

use std::sync::atomic::{AtomicBool, AtomicI32};

use super::{
    default_rlimits, Credentials, FsContext, GroupSignals, Life, Relations, Task, TaskShared, TaskSignals, ThreadGroup,
};
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::exec::{find_program, load, ExecRequest, Loaded};
use crate::kernel::fd::FdTable;
use crate::kernel::mm::aslr::{ExecLayout, ADDR_NO_RANDOMIZE};
use crate::kernel::mm::MemoryManager;
use crate::kernel::signal::SignalActions;
use crate::kernel::wait::{block_uninterruptible, Waker};
use crate::kernel::Kernel;
use crate::platform::ptrace::zeroed_regs;
use crate::platform::StubThread;

/// Pins the calling sentry thread and its stub thread to one CPU: a ptrace
/// stop or a systrap futex hand-off costs a fraction on one CPU of what a
/// wake-up across CPUs does (about 8 µs against 70 µs for systrap here).
/// With `new_process`, the stub process's own first thread (systrap's
/// command thread, which makes the task's mappings) joins them.
pub fn pin_together((stub_pid, stub_tid): (i32, i32), cpu_hint: usize, new_process: bool) {
    if crate::platform::kind() == crate::platform::Kind::Systrap && crate::platform::systrap::spin_us() > 0 {
        // Spinning hand-offs want the two sides on two CPUs.
        return;
    }
    let cpu = cpu_hint % super::SchedAttrs::online_cpus();
    crate::platform::pin_to_cpu(0, cpu);
    crate::platform::pin_to_cpu(stub_tid, cpu);
    if new_process && stub_pid != stub_tid {
        crate::platform::pin_to_cpu(stub_pid, cpu);
    }
}

/// Loads `path` into a fresh stub process. On success the caller owns the
/// new stub thread, address space and image.
#[allow(clippy::too_many_arguments)]
fn load_fresh(
    vfs: &Arc<crate::kernel::vfs::Vfs>,
    account: Arc<crate::kernel::mm::account::MemAccount>,
    creds: &Credentials,
    fs_ids: (u32, u32),
    cwd: &[u8],
    root: &[u8],
    path: Vec<u8>,
    args: impl FnOnce() -> Result<ExecArgs, Errno>,
    cpu: usize,
    layout: ExecLayout,
) -> Result<(StubThread, Arc<MemoryManager>, Loaded), Errno> {
    // Execute permission is checked with the fs ids.
    let fs_creds = Credentials { euid: fs_ids.0, egid: fs_ids.1, ..creds.clone() };
    let may_exec = |s: &crate::kernel::vfs::stat::Stat| fs_creds.may_access(s, 1, true);
    let req = ExecRequest {
        vfs,
        cwd,
        root,
        path,
        ids: (creds.ruid, creds.euid, creds.rgid, creds.egid),
        layout,
        may_exec: &may_exec,
        creds: Some(creds),
    };
    let found = find_program(&req)?;
    let (argv, envp) = args()?;
    let argv = found.argv(argv);
    let cpu = cpu % super::SchedAttrs::online_cpus();
    let mut thread = StubThread::spawn_process(cpu).map_err(|e| {
        tracing::error!("cannot create a stub process: {e}");
        Errno::EAGAIN
    })?;
    pin_together((thread.pid(), thread.tid()), cpu, false);
    let mm = MemoryManager::new(&thread, account);
    let loaded = load(req, found, (argv, envp), &mut thread, &mm)?;
    Ok((thread, mm, loaded))
}

/// An exec's argv and envp.
pub type ExecArgs = (Vec<Vec<u8>>, Vec<Vec<u8>>);

/// Implements execve(2) for the calling task; `args` reads the caller's
/// argv and envp once the program is found.
pub fn execve(t: &mut Task, path: Vec<u8>, args: impl FnOnce(&Task) -> Result<ExecArgs, Errno>) -> SysResult {
    let cwd = t.cwd();
    execve_from(t, &cwd, path, args)
}

/// `execve` with relative paths starting at canonical directory `start`
/// (execveat's descriptor).
pub fn execve_from(
    t: &mut Task,
    start: &[u8],
    path: Vec<u8>,
    args: impl FnOnce(&Task) -> Result<ExecArgs, Errno>,
) -> SysResult {
    let creds = t.creds();
    let name = comm_of(&path);
    let fs = t.fs_creds();
    // Affinity survives exec (sys_ident.rs).
    let cpu = t.shared.sched.lock().unwrap_or_else(|e| e.into_inner()).pin_cpu(t.tid as usize);
    let layout = ExecLayout::new(t.tg.persona.load(std::sync::atomic::Ordering::Relaxed) & ADDR_NO_RANDOMIZE == 0);
    let reader: &Task = t;
    let (thread, mm, loaded) = load_fresh(
        &reader.vfs(),
        reader.tg.container.memory.clone(),
        &creds,
        (fs.euid, fs.egid),
        start,
        &reader.root(),
        path,
        || args(reader),
        cpu,
        layout,
    )?;
    kill_other_threads(t)?;
    let old_tid = t.shared.tid.clone();
    take_leader_tid(t);
    install_image(t, thread, mm, loaded);
    *t.shared.comm.lock().unwrap_or_else(|e| e.into_inner()) = name;
    if let Some(v) = t.vfork_parent.take() {
        v.complete();
    }
    if t.traced() {
        t.ptrace_exec(&old_tid);
    }
    Ok(0)
}

/// After an exec from a thread other than the leader, the thread takes
/// over the process's id as its thread id, as in Linux.
fn take_leader_tid(t: &mut Task) {
    let pid = t.tg.pid.clone();
    if t.tid == pid.global() {
        return;
    }
    let old = t.shared.clone();
    let (pending, mask) = {
        let s = old.sig.lock().unwrap_or_else(|e| e.into_inner());
        (s.pending.clone(), s.mask)
    };
    let new = Arc::new(TaskShared {
        tid: pid.clone(),
        tg: old.tg.clone(),
        sig: Mutex::new(TaskSignals { pending, mask }),
        waker: old.waker.clone(),
        host: Mutex::new(*old.host.lock().unwrap_or_else(|e| e.into_inner())),
        in_app: AtomicBool::new(false),
        parked: AtomicBool::new(false),
        freezable: AtomicBool::new(false),
        comm: Mutex::new(old.comm.lock().unwrap_or_else(|e| e.into_inner()).clone()),
        pdeathsig: AtomicI32::new(old.pdeathsig.load(std::sync::atomic::Ordering::Relaxed)),
        sched: Mutex::new(old.sched.lock().unwrap_or_else(|e| e.into_inner()).clone()),
        syscall: Mutex::new(None),
        ns: Mutex::new(old.nsproxy()),
        io: old.io.carry(),
        timer_slack: old.timer_slack.carry(),
        seccomp: old.seccomp.inherit(),
        ptrace: old.ptrace.carry(),
        attrs: Mutex::new(old.attrs.lock().unwrap_or_else(|e| e.into_inner()).clone()),
    });
    {
        let mut procs = t.kernel.procs();
        procs.tasks.remove(&t.tid);
        procs.tasks.insert(pid.global(), new.clone());
        let mut tasks = t.tg.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.retain(|x| !Arc::ptr_eq(x, &old));
        tasks.push(new.clone());
    }
    t.tid = pid.global();
    t.shared = new.clone();
    crate::kernel::ptrace::replaced(&old, &new);
    crate::kernel::wait::set_current(Some(new));
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
        if other.gtid() != t.tid {
            crate::kernel::signal::send::wake(&other);
        }
    }
    let r = block_uninterruptible(&[&tg.stop_queue], || {
        let dying = tg.sig.lock().unwrap_or_else(|e| e.into_inner()).exiting.is_some();
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
    t.tg.timers.retire_image(t.thread.pid());
    t.thread = thread;
    t.shared.attrs.lock().unwrap_or_else(|e| e.into_inner()).reapply(&mut t.thread);
    *t.shared.host.lock().unwrap_or_else(|e| e.into_inner()) = (t.thread.pid(), t.thread.tid());
    mm.flags.inherit_from(&t.mm().flags);
    *t.tg.mm.lock().unwrap_or_else(|e| e.into_inner()) = mm;
    // Timers and identity (sys_timer.rs, sys_ident.rs), before close-on-exec
    // descriptors close (a parent may watch those): POSIX timers go,
    // capabilities and saved ids are recomputed.
    t.tg.timers.on_exec();
    t.tg.execed.store(true, std::sync::atomic::Ordering::SeqCst);
    {
        let mut creds = t.tg.creds.lock().unwrap_or_else(|e| e.into_inner());
        t.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).exec(&mut creds);
    }
    t.tg.fds.close_on_exec();
    t.tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).reset_for_exec();
    t.sigaltstack = (0, 0, 0);
    t.clear_child_tid = 0;
    t.robust_list = (0, 0);
    apply_loaded(t, loaded);
}

/// The name (`comm`) a program gets from the path it was executed by: its
/// last component as given (a symlink's own name, not its target's), at
/// most 15 bytes, as Linux's `bprm->filename`.
fn comm_of(path: &[u8]) -> Vec<u8> {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(&[]);
    name[..name.len().min(15)].to_vec()
}

/// Sets the task's program details and start registers from a loaded image.
fn apply_loaded(t: &mut Task, loaded: Loaded) {
    // A 64-bit program starts without READ_IMPLIES_EXEC (x86's
    // set_personality_64bit); the rest of the personality is kept.
    t.tg.persona.fetch_and(!crate::kernel::syscalls::READ_IMPLIES_EXEC, std::sync::atomic::Ordering::Relaxed);
    *t.tg.exe.lock().unwrap_or_else(|e| e.into_inner()) = loaded.exe;
    *t.tg.auxv.lock().unwrap_or_else(|e| e.into_inner()) = loaded.auxv;
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
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// The stdin, stdout and stderr files (descriptors 0, 1, 2).
    pub stdio: [Arc<crate::kernel::vfs::file::OpenFile>; 3],
    /// The controlling terminal of the first session, if any.
    pub ctty: Option<Arc<dyn crate::kernel::tty::job::Terminal>>,
    /// The file mode creation mask.
    pub umask: u32,
    /// Resource limits (`None`: Linux's defaults for an init).
    pub rlimits: Option<[super::Rlimit; 16]>,
    /// Signals the process starts ignoring (bit N-1 for signal N), as a
    /// command inherits SIG_IGN from the one that ran it.
    pub ignored: u64,
    /// The container's memory limit in bytes (`None`: none).
    pub memory_limit: Option<u64>,
    /// The container's pids limit (`None`: none).
    pub pids_limit: Option<u64>,
}

/// Creates the container's first process (pid 1) and its task. Must run on
/// the sentry thread that will run the task (it becomes the tracer).
pub fn create_init(kernel: &Arc<Kernel>, spec: InitSpec) -> Result<Task, Errno> {
    let container = crate::kernel::container::ContainerTag::new("", kernel.namespaces(kernel.root_pidns.clone()));
    container.memory.set_limit(spec.memory_limit.unwrap_or(crate::kernel::mm::account::UNLIMITED));
    container.pids.set_limit(spec.pids_limit.unwrap_or(crate::kernel::cgroup::UNLIMITED));
    spawn_process(
        kernel,
        ProcessSpec {
            path: spec.path,
            argv: spec.argv,
            envp: spec.envp,
            cwd: spec.cwd,
            creds: Credentials { groups: spec.groups, ..Credentials::new(spec.uid, spec.gid) },
            umask: spec.umask,
            rlimits: spec.rlimits,
            ignored: spec.ignored,
            capabilities: None,
            no_new_privs: false,
            stdio: spec.stdio,
            ctty: spec.ctty,
            container,
        },
    )
}

// -- Top-level processes: containers' inits and exec'd processes (loader). --

/// A process started from outside the sandbox: a container's init or an
/// exec'd process. It has no parent (ppid 0) and its own session and
/// process group.
pub struct ProcessSpec {
    /// The program (a sandbox path, resolved against `cwd`).
    pub path: Vec<u8>,
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// Canonical working directory.
    pub cwd: Vec<u8>,
    /// User, group and supplementary group ids.
    pub creds: Credentials,
    pub umask: u32,
    /// Resource limits (`None`: Linux's defaults for an init).
    pub rlimits: Option<[super::Rlimit; 16]>,
    /// Capability sets (effective, permitted, inheritable, bounding,
    /// ambient); `None`: all for root, none for others.
    pub capabilities: Option<[u64; 5]>,
    /// PR_SET_NO_NEW_PRIVS from the start.
    pub no_new_privs: bool,
    /// Signals it starts ignoring (bit N-1 for signal N).
    pub ignored: u64,
    /// The stdin, stdout and stderr files (descriptors 0, 1, 2).
    pub stdio: [Arc<crate::kernel::vfs::file::OpenFile>; 3],
    /// The controlling terminal of the new session, if any; the new process
    /// group becomes its foreground group.
    pub ctty: Option<Arc<dyn crate::kernel::tty::job::Terminal>>,
    /// The container the process belongs to; it starts in the container's
    /// PID namespace (as its init if it is the first process there).
    pub container: Arc<crate::kernel::container::ContainerTag>,
}

/// Starts a top-level process in a kernel (the first one, or one more in
/// a running sandbox) and returns its task. Must run on the sentry thread
/// that will run the task (it becomes the tracer of its stub).
pub fn spawn_process(kernel: &Arc<Kernel>, spec: ProcessSpec) -> Result<Task, Errno> {
    if kernel.procs().task_count() >= kernel.max_tasks {
        return Err(Errno::EAGAIN);
    }
    let pid = spec.container.pidns().alloc()?;
    let fds = Arc::new(FdTable::default());
    for (i, f) in spec.stdio.iter().enumerate() {
        fds.install_at(i as i32, f.clone(), false, 3)?;
    }
    let creds = spec.creds;
    let name = comm_of(&spec.path);
    let (thread, mm, loaded) = load_fresh(
        &spec.container.namespaces().mnt,
        spec.container.memory.clone(),
        &creds,
        (creds.euid, creds.egid),
        &spec.cwd,
        b"/",
        spec.path,
        || Ok((spec.argv, spec.envp)),
        pid.global() as usize,
        ExecLayout::new(true),
    )?;
    let mut privs = super::Privileges::new(&creds);
    if let Some([effective, permitted, inheritable, bounding, ambient]) = spec.capabilities {
        privs.effective = effective & permitted;
        privs.permitted = permitted;
        privs.inheritable = inheritable;
        privs.bounding = bounding;
        privs.ambient = ambient & permitted & inheritable;
    }
    privs.no_new_privs = spec.no_new_privs;
    let tg = Arc::new(ThreadGroup {
        unkillable: AtomicBool::new(pid.is_init()),
        pid: pid.clone(),
        pgrp: Mutex::new(pid.clone()),
        session: Mutex::new(pid.clone()),
        rel: Mutex::new(Relations::default()),
        exit_signal: libc::SIGCHLD,
        mm: Mutex::new(mm),
        fds,
        fs: Arc::new(Mutex::new(FsContext { cwd: spec.cwd, umask: spec.umask & 0o777, root: b"/".to_vec() })),
        sig_actions: Arc::new(Mutex::new(SignalActions::ignoring(spec.ignored))),
        sig: Mutex::new(GroupSignals::default()),
        life: Mutex::new(Life::default()),
        stop_queue: Default::default(),
        tasks: Mutex::new(Vec::new()),
        rlimits: Mutex::new(spec.rlimits.unwrap_or_else(default_rlimits)),
        creds: Mutex::new(creds),
        exe: Mutex::new(Vec::new()),
        auxv: Mutex::new(Vec::new()),
        start: std::time::Instant::now(),
        subreaper: AtomicBool::new(false),
        child_times: Mutex::new(Default::default()),
        ctty: Mutex::new(spec.ctty.clone()),
        container: spec.container.clone(),
        // Timers and identity (sys_timer.rs, sys_ident.rs).
        timers: Default::default(),
        execed: AtomicBool::new(true),
        privs: Mutex::new(privs),
        io_done: Default::default(),
        oom_adj: Default::default(),
        persona: Default::default(),
        // Linux's default (MMF_DUMP_FILTER_DEFAULT).
        coredump_filter: std::sync::atomic::AtomicU32::new(0x33),
        core_threads: Mutex::new(None),
        sem_undo: Default::default(),
        tracees: Default::default(),
    });
    if let Some(term) = &spec.ctty {
        *term.job().lock().unwrap_or_else(|e| e.into_inner()) =
            crate::kernel::tty::job::JobState { session: Some(pid.clone()), fg_pgrp: Some(pid.clone()) };
    }
    let shared = Arc::new(TaskShared {
        tid: pid.clone(),
        tg: tg.clone(),
        sig: Mutex::new(TaskSignals::default()),
        waker: Arc::new(Waker::default()),
        host: Mutex::new((thread.pid(), thread.tid())),
        in_app: AtomicBool::new(false),
        parked: AtomicBool::new(false),
        freezable: AtomicBool::new(false),
        comm: Mutex::new(name),
        pdeathsig: AtomicI32::new(0),
        sched: Mutex::new(super::SchedAttrs::new()),
        syscall: Mutex::new(None),
        ns: Mutex::new(spec.container.namespaces().clone()),
        io: Default::default(),
        timer_slack: super::TimerSlack::initial(),
        seccomp: crate::kernel::seccomp::TaskSeccomp::new(spec.container.seccomp()),
        ptrace: Default::default(),
        attrs: Default::default(),
    });
    {
        let mut procs = kernel.procs();
        if pid.is_init() {
            pid.ns().set_init(&tg);
        }
        procs.groups.insert(pid.global(), tg.clone());
        procs.tasks.insert(pid.global(), shared.clone());
        tg.tasks.lock().unwrap_or_else(|e| e.into_inner()).push(shared.clone());
    }
    let mut task = Task {
        kernel: kernel.clone(),
        shared,
        tg,
        tid: pid.global(),
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
