//! Creating tasks: fork, vfork, clone and clone3.
//!
//! A new process gets a new stub process: the parent's stub is made to
//! `clone` itself (injected), so the host copies the address space with
//! copy-on-write. A new thread gets a new thread in the same stub. Either
//! way the new host thread waits in the stub's loop until the new task's
//! own sentry thread seizes it.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use super::{GroupSignals, Life, Relations, Task, TaskShared, TaskSignals, ThreadGroup, VforkDone};
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::account::Reservation;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::mm::MemoryManager;
use crate::kernel::ns::{NsProxy, Pid, UserNamespace};
use crate::kernel::wait::{block_uninterruptible, Waker};
use crate::kernel::Kernel;
use crate::platform::Regs;
use crate::platform::{CloneKind, NewThread, StubThread};

/// The arguments of clone/clone3, decoded.
#[derive(Clone, Copy, Debug, Default)]
pub struct CloneArgs {
    pub flags: u64,
    pub exit_signal: i32,
    pub stack: u64,
    pub tls: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    /// Where CLONE_PIDFD stores the parent's pidfd for the child.
    pub pidfd: u64,
}

const CLONE_VM: u64 = libc::CLONE_VM as u64;
const CLONE_FS: u64 = libc::CLONE_FS as u64;
const CLONE_FILES: u64 = libc::CLONE_FILES as u64;
const CLONE_SIGHAND: u64 = libc::CLONE_SIGHAND as u64;
const CLONE_PIDFD: u64 = libc::CLONE_PIDFD as u64;
const CLONE_PTRACE: u64 = libc::CLONE_PTRACE as u64;
const CLONE_VFORK: u64 = libc::CLONE_VFORK as u64;
const CLONE_PARENT: u64 = libc::CLONE_PARENT as u64;
const CLONE_THREAD: u64 = libc::CLONE_THREAD as u64;
const CLONE_SYSVSEM: u64 = libc::CLONE_SYSVSEM as u64;
const CLONE_SETTLS: u64 = libc::CLONE_SETTLS as u64;
const CLONE_PARENT_SETTID: u64 = libc::CLONE_PARENT_SETTID as u64;
const CLONE_CHILD_CLEARTID: u64 = libc::CLONE_CHILD_CLEARTID as u64;
const CLONE_DETACHED: u64 = libc::CLONE_DETACHED as u64;
const CLONE_UNTRACED: u64 = libc::CLONE_UNTRACED as u64;
const CLONE_CHILD_SETTID: u64 = libc::CLONE_CHILD_SETTID as u64;
const CLONE_IO: u64 = libc::CLONE_IO as u64;
pub const CLONE_NEWPID: u64 = libc::CLONE_NEWPID as u64;
pub const CLONE_NEWUTS: u64 = libc::CLONE_NEWUTS as u64;
pub const CLONE_NEWIPC: u64 = libc::CLONE_NEWIPC as u64;
pub const CLONE_NEWNS: u64 = libc::CLONE_NEWNS as u64;
pub const CLONE_NEWNET: u64 = libc::CLONE_NEWNET as u64;
pub const CLONE_NEWUSER: u64 = libc::CLONE_NEWUSER as u64;
/// Namespace flags not served (EINVAL, documented in syscalls/table.rs).
pub const CLONE_NEW_UNSERVED: u64 = libc::CLONE_NEWCGROUP as u64;
/// The namespace flags served.
pub const CLONE_NEW_SERVED: u64 =
    CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUSER;
/// Every namespace flag of clone.
const CLONE_NEW_ANY: u64 = CLONE_NEW_UNSERVED | CLONE_NEW_SERVED;
/// CAP_SYS_ADMIN, which making namespaces takes.
pub const CAP_SYS_ADMIN: u32 = 21;

/// Flags this kernel understands.
const KNOWN: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_PTRACE
    | CLONE_VFORK
    | CLONE_PARENT
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED
    | CLONE_UNTRACED
    | CLONE_CHILD_SETTID
    | CLONE_IO
    | CLONE_PIDFD
    | CLONE_NEW_ANY;

/// Validates flag combinations as Linux's copy_process does, in its order.
fn check_flags(t: &Task, a: &CloneArgs) -> Result<(), Errno> {
    let f = a.flags;
    if f & !KNOWN != 0 {
        return Err(Errno::EINVAL);
    }
    // A new mount or user namespace cannot share the file system context.
    if f & (CLONE_NEWNS | CLONE_NEWUSER) != 0 && f & CLONE_FS != 0 {
        return Err(Errno::EINVAL);
    }
    if f & CLONE_THREAD != 0 && f & CLONE_SIGHAND == 0 {
        return Err(Errno::EINVAL);
    }
    if f & CLONE_SIGHAND != 0 && f & CLONE_VM == 0 {
        return Err(Errno::EINVAL);
    }
    // A namespace's init may not make siblings (they would have no reaper).
    if f & CLONE_PARENT != 0 && t.tg.unkillable.load(Ordering::Relaxed) {
        return Err(Errno::EINVAL);
    }
    // A thread shares its process's PID namespace.
    if f & CLONE_THREAD != 0
        && (f & (CLONE_NEWUSER | CLONE_NEWPID) != 0 || !Arc::ptr_eq(t.pidns(), &t.shared.nsproxy().pid_for_children))
    {
        return Err(Errno::EINVAL);
    }
    if f & CLONE_NEW_UNSERVED != 0 {
        // These namespaces are not served (syscalls/table.rs).
        return Err(Errno::EINVAL);
    }
    // A pidfd names a process: not a thread (Linux 6.9's thread pidfds
    // are not served), and never a detached child.
    if f & CLONE_PIDFD != 0 && f & (CLONE_THREAD | CLONE_DETACHED) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// The namespaces of a new task made by `t` with `flags`, and its new
/// user namespace if it gets one.
fn child_namespaces(t: &Task, flags: u64) -> Result<NewNamespaces, Errno> {
    let ns = t.shared.nsproxy();
    if flags & CLONE_NEW_ANY == 0 {
        return Ok((ns, None));
    }
    if flags & CLONE_NEWIPC != 0 && flags & CLONE_SYSVSEM != 0 {
        // A new IPC namespace cannot share the semaphore undo list. (After
        // the privilege check in Linux; the order only shows unprivileged.)
        if !t.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).capable(CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        return Err(Errno::EINVAL);
    }
    new_namespaces(t, ns, flags)
}

/// A task's namespaces after clone or unshare, and the user namespace it
/// enters (which goes in its credentials).
pub type NewNamespaces = (NsProxy, Option<Arc<UserNamespace>>);

/// `ns` with new namespaces for `flags` (clone and unshare). A new user
/// namespace comes first and owns the others, which the creator may then
/// make (it has every capability there); otherwise they take
/// CAP_SYS_ADMIN in the caller's user namespace (EPERM). EINVAL for a new
/// PID namespace when the caller's children already go elsewhere (after
/// unshare or setns), ENOSPC past the nesting limit.
pub fn new_namespaces(t: &Task, mut ns: NsProxy, flags: u64) -> Result<NewNamespaces, Errno> {
    let creds = t.creds();
    let user = if flags & CLONE_NEWUSER != 0 {
        Some(creds.user_ns.new_child(creds.euid, creds.egid)?)
    } else {
        if !t.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).capable(CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        None
    };
    let owner = user.as_ref().unwrap_or(&creds.user_ns);
    if flags & CLONE_NEWPID != 0 {
        if !Arc::ptr_eq(t.pidns(), &ns.pid_for_children) {
            return Err(Errno::EINVAL);
        }
        ns.pid_for_children = ns.pid_for_children.new_child(owner)?;
    }
    if flags & CLONE_NEWUTS != 0 {
        ns.uts = ns.uts.copy(owner);
    }
    if flags & CLONE_NEWIPC != 0 {
        ns.ipc = crate::kernel::ns::IpcNamespace::new(owner);
    }
    if flags & CLONE_NEWNS != 0 {
        ns.mnt = ns.mnt.new_namespace(owner);
    }
    if flags & CLONE_NEWNET != 0 {
        ns.net = ns.net.new_namespace(owner);
    }
    Ok((ns, user))
}

impl Task {
    /// Implements the common part of fork, vfork, clone and clone3.
    pub fn do_clone(&mut self, a: CloneArgs) -> SysResult {
        check_flags(self, &a)?;
        if a.flags & CLONE_PIDFD != 0 {
            // EFAULT before anything is made; the value is left as it was.
            let mem = self.mem();
            mem.write_u32(a.pidfd, mem.read_u32(a.pidfd)?)?;
        }
        let (nsproxy, user_ns) = child_namespaces(self, a.flags)?;
        let kernel = self.kernel.clone();
        let uid = self.creds().ruid;
        // Held until the new task is in the table, so concurrent forks
        // cannot all pass the limits at once.
        let _slot = {
            let mut procs = kernel.procs();
            if procs.task_count() + procs.reserved.len() >= kernel.max_tasks {
                return Err(Errno::EAGAIN);
            }
            // RLIMIT_NPROC counts the tasks of the real user, zombies
            // included; root is exempt, as in Linux.
            let pending = procs.reserved.iter().filter(|(u, _)| *u == uid).count();
            if uid != 0 && (procs.count_for_uid(uid) + pending) as u64 >= self.rlimit(libc::RLIMIT_NPROC) {
                return Err(Errno::EAGAIN);
            }
            // The container's pids controller (cgroup_can_fork).
            let container = self.tg.container.clone();
            let pending = procs.reserved.iter().filter(|(_, c)| Arc::ptr_eq(c, &container)).count();
            if !container.pids.try_charge(crate::kernel::cgroup::tasks_of(&procs, &container) + pending) {
                return Err(Errno::EAGAIN);
            }
            procs.reserved.push((uid, container.clone()));
            ForkSlot { kernel: &kernel, uid, container }
        };
        let thread = a.flags & CLONE_THREAD != 0;
        // A new address space is charged before the host copies it.
        let charge = if thread || a.flags & CLONE_VM != 0 { None } else { Some(self.mm().reserve_fork()?) };
        let kind = if thread {
            CloneKind::Thread
        } else if a.flags & CLONE_VM != 0 {
            CloneKind::SharedVm
        } else {
            CloneKind::Process
        };
        // The ids come first: a PID namespace whose init has gone takes no
        // new process (ENOMEM).
        let tid = nsproxy.pid_for_children.alloc()?;
        let new_process = matches!(kind, CloneKind::Process);
        let host = self.thread.clone_context(kind)?;
        let (host_pid, host_tid) = (host.pid(), host.tid());

        let tg = if thread { self.tg.clone() } else { self.new_group(tid.clone(), &a, host_pid, charge) };
        if let Some(user) = user_ns {
            // Not with CLONE_THREAD (check_flags).
            super::creds::enter_user_ns(&tg, user);
        }
        if !thread {
            kernel.tracers.on_fork(self.tg.gpid(), tid.global());
        }
        let mask = self.sigmask();
        // What the caller sees of the new task, and what the child does.
        let (parent_nr, child_nr) = (tid.nr_in(self.pidns()), tid.vnr());
        let shared = Arc::new(TaskShared {
            tid: tid.clone(),
            tg: tg.clone(),
            sig: Mutex::new(TaskSignals { pending: Default::default(), mask }),
            waker: Arc::new(Waker::default()),
            host: Mutex::new((host_pid, host_tid)),
            in_app: AtomicBool::new(false),
            parked: AtomicBool::new(false),
            freezable: AtomicBool::new(false),
            comm: Mutex::new(self.shared.comm.lock().unwrap_or_else(|e| e.into_inner()).clone()),
            pdeathsig: AtomicI32::new(0),
            sched: Mutex::new(self.shared.sched.lock().unwrap_or_else(|e| e.into_inner()).for_child()),
            syscall: Mutex::new(None),
            ns: Mutex::new(nsproxy),
            io: Default::default(),
            timer_slack: self.shared.timer_slack.for_child(),
            seccomp: self.shared.seccomp.inherit(),
            ptrace: Default::default(),
            attrs: Mutex::new(self.shared.attrs.lock().unwrap_or_else(|e| e.into_inner()).clone()),
        });

        // The child starts where the parent returns from the syscall, with 0.
        let mut regs: Regs = self.regs;
        regs.rax = 0;
        regs.orig_rax = u64::MAX;
        if a.stack != 0 {
            regs.rsp = a.stack;
        }
        if a.flags & CLONE_SETTLS != 0 {
            regs.fs_base = a.tls;
        }
        if a.flags & CLONE_CHILD_SETTID != 0 {
            let _ = tg.mm().memory().write_u32(a.child_tid, child_nr as u32);
        }
        if a.flags & CLONE_PARENT_SETTID != 0 {
            let _ = self.mem().write_u32(a.parent_tid, parent_nr as u32);
        }
        let pidfd = if a.flags & CLONE_PIDFD != 0 {
            // In the caller's table after the child's was copied (the child
            // has it only if it shares the table), before the child runs.
            let fd = crate::kernel::event::pidfd::install(self, tg.clone(), 0)?;
            let _ = self.mem().write_u32(a.pidfd, fd as u32);
            Some(fd)
        } else {
            None
        };
        let clear_child_tid = if a.flags & CLONE_CHILD_CLEARTID != 0 { a.child_tid } else { 0 };
        let vfork = (a.flags & CLONE_VFORK != 0).then(|| Arc::new(VforkDone::default()));

        {
            let mut procs = kernel.procs();
            procs.tasks.insert(tid.global(), shared.clone());
            if !thread {
                if tid.is_init() {
                    tid.ns().set_init(&tg);
                }
                procs.groups.insert(tid.global(), tg.clone());
                let parent = if a.flags & CLONE_PARENT != 0 { self.tg.parent() } else { Some(self.tg.clone()) };
                if let Some(p) = parent {
                    tg.rel.lock().unwrap_or_else(|e| e.into_inner()).parent = Arc::downgrade(&p);
                    p.rel.lock().unwrap_or_else(|e| e.into_inner()).children.push(tg.clone());
                }
            }
            tg.tasks.lock().unwrap_or_else(|e| e.into_inner()).push(shared.clone());
        }

        // A tracer that asked for it follows the child (kernel/ptrace/).
        let traced_event = if self.traced() { self.ptrace_link_child(a.flags, a.exit_signal, &shared) } else { None };
        let child = ChildStart {
            kernel: kernel.clone(),
            shared,
            regs,
            host,
            new_process,
            clear_child_tid,
            sigaltstack: if thread { (0, 0, 0) } else { self.sigaltstack },
            vfork: vfork.clone(),
        };
        if let Err(e) = spawn_task_thread(child) {
            if let Some(fd) = pidfd {
                let _ = self.tg.fds.remove(fd);
            }
            return Err(e);
        }

        if let Some(ev) = traced_event {
            self.ptrace_report_child(ev, &tid);
        }
        if let Some(v) = vfork {
            // The parent sleeps until the child execs or exits (not
            // interruptible, as in Linux's vfork; frozen where it sleeps,
            // so a child parked by the freezer cannot hold a pause up).
            self.shared.freezable.store(true, Ordering::SeqCst);
            let _ = block_uninterruptible(&[&v.queue], || v.done.load(Ordering::SeqCst).then_some(Ok(())));
            self.shared.freezable.store(false, Ordering::SeqCst);
            self.ptrace_vfork_done(&tid);
        }
        Ok(parent_nr as u64)
    }

    /// Builds the process of a forked child.
    fn new_group(&self, pid: Arc<Pid>, a: &CloneArgs, host_pid: i32, charge: Option<Reservation>) -> Arc<ThreadGroup> {
        let parent_mm = self.mm();
        let mm = match charge {
            Some(c) if a.flags & CLONE_VM == 0 => MemoryManager::fork_from(&parent_mm, host_pid, c),
            _ => parent_mm,
        };
        let fds = if a.flags & CLONE_FILES != 0 { self.tg.fds.clone() } else { Arc::new(self.tg.fds.fork()) };
        let fs = if a.flags & CLONE_FS != 0 {
            self.tg.fs.clone()
        } else {
            Arc::new(Mutex::new(self.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).clone()))
        };
        let sig_actions = if a.flags & CLONE_SIGHAND != 0 {
            self.tg.sig_actions.clone()
        } else {
            Arc::new(Mutex::new(self.tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).clone()))
        };
        Arc::new(ThreadGroup {
            // The first process of a PID namespace is its init.
            unkillable: AtomicBool::new(pid.is_init()),
            pid,
            pgrp: Mutex::new(self.tg.pgrp()),
            session: Mutex::new(self.tg.session()),
            rel: Mutex::new(Relations::default()),
            exit_signal: a.exit_signal,
            mm: Mutex::new(mm),
            fds,
            fs,
            sig_actions,
            sig: Mutex::new(GroupSignals::default()),
            life: Mutex::new(Life::default()),
            stop_queue: Default::default(),
            tasks: Mutex::new(Vec::new()),
            rlimits: Mutex::new(*self.tg.rlimits.lock().unwrap_or_else(|e| e.into_inner())),
            creds: Mutex::new(self.creds()),
            exe: Mutex::new(self.tg.exe.lock().unwrap_or_else(|e| e.into_inner()).clone()),
            auxv: Mutex::new(self.tg.auxv.lock().unwrap_or_else(|e| e.into_inner()).clone()),
            start: std::time::Instant::now(),
            subreaper: AtomicBool::new(false),
            child_times: Mutex::new(Default::default()),
            ctty: Mutex::new(self.tg.ctty.lock().unwrap_or_else(|e| e.into_inner()).clone()),
            container: self.tg.container.clone(),
            // Timers are not inherited; privileges are (sys_timer.rs, sys_ident.rs).
            timers: Default::default(),
            execed: AtomicBool::new(false),
            privs: Mutex::new(self.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).clone()),
            io_done: Default::default(),
            oom_adj: self.tg.oom_adj.inherit(),
            persona: AtomicU32::new(self.tg.persona.load(Ordering::Relaxed)),
            coredump_filter: AtomicU32::new(self.tg.coredump_filter.load(Ordering::Relaxed)),
            core_threads: Mutex::new(None),
            sem_undo: Default::default(),
            tracees: Default::default(),
        })
    }
}

/// A task slot reserved while a fork is under way; freed when dropped.
struct ForkSlot<'a> {
    kernel: &'a Kernel,
    uid: u32,
    container: Arc<crate::kernel::container::ContainerTag>,
}

impl Drop for ForkSlot<'_> {
    fn drop(&mut self) {
        let mut procs = self.kernel.procs();
        if let Some(i) = procs.reserved.iter().position(|(u, c)| *u == self.uid && Arc::ptr_eq(c, &self.container)) {
            procs.reserved.swap_remove(i);
        }
    }
}

/// What a new task's sentry thread needs to start.
struct ChildStart {
    kernel: Arc<Kernel>,
    shared: Arc<TaskShared>,
    regs: Regs,
    host: NewThread,
    /// Whether the host thread is the first of a new stub process.
    new_process: bool,
    clear_child_tid: u64,
    sigaltstack: (u64, i32, u64),
    vfork: Option<Arc<VforkDone>>,
}

/// Starts the sentry thread of a new task: it seizes the stub thread and
/// runs the task until it exits.
fn spawn_task_thread(c: ChildStart) -> Result<(), Errno> {
    let name = format!("task-{}", c.shared.gtid());
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let host = (c.host.pid(), c.host.tid());
            let thread = match StubThread::attach(c.host) {
                Ok(t) => t,
                Err((e, gone)) => {
                    tracing::error!(tid = c.shared.gtid(), "cannot attach to a new stub thread: {e}");
                    gone
                }
            };
            // Within the affinity mask inherited from the parent (sys_ident.rs).
            let cpu = c.shared.sched.lock().unwrap_or_else(|e| e.into_inner()).pin_cpu(c.shared.gtid() as usize);
            super::exec::pin_together(host, cpu, c.new_process);
            let tg = c.shared.tg.clone();
            let mut task = Task {
                kernel: c.kernel,
                tid: c.shared.gtid(),
                shared: c.shared,
                tg,
                thread,
                regs: c.regs,
                sigaltstack: c.sigaltstack,
                saved_mask: None,
                clear_child_tid: c.clear_child_tid,
                robust_list: (0, 0),
                exit: None,
                regs_replaced: false,
                restart: None,
                vfork_parent: c.vfork,
            };
            task.run_to_exit();
        })
        .map(|_| ())
        .map_err(|_| Errno::EAGAIN)
}
