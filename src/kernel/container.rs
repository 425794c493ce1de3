//! Containers, as far as the kernel knows them: which container of the
//! sandbox each process belongs to (a child inherits its parent's), the
//! PID namespace its processes start in, and how the loader hears of
//! process exits.
//!
//! Every container has a PID namespace: its own by default (a child of the
//! sandbox's root namespace, whose first process is pid 1 there), or one
//! shared with another container. `husk do`'s only container uses the root
//! namespace itself.

use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Instant;

use crate::kernel::cgroup::{PidsLimit, ReapedCpu};
use crate::kernel::freezer::Freezer;
use crate::kernel::mm::account::MemAccount;
use crate::kernel::ns::{NsProxy, PidNamespace};
use crate::kernel::task::{ExitStatus, ThreadGroup};

/// The container a process belongs to. One per container, shared by all of
/// its processes.
#[derive(Debug)]
pub struct ContainerTag {
    /// The container id ("" for `husk do`'s only container).
    id: String,
    /// The namespaces the container's processes start in (its PID
    /// namespace is `pid_for_children`).
    ns: NsProxy,
    /// What the container's address spaces commit, and its memory limit.
    pub memory: Arc<MemAccount>,
    /// Its pids controller (`linux.resources.pids.limit`).
    pub pids: PidsLimit,
    /// CPU time of its processes already reaped.
    pub cpu: ReapedCpu,
    /// Its freezer (`cgroup.freeze`, `husk pause`).
    pub freezer: Freezer,
    /// The seccomp state its processes start in (`linux.seccomp`).
    seccomp: std::sync::OnceLock<crate::kernel::seccomp::State>,
}

impl ContainerTag {
    /// A tag for container `id` whose processes start in namespaces `ns`.
    pub fn new(id: &str, ns: NsProxy) -> Arc<ContainerTag> {
        Arc::new(ContainerTag {
            id: id.to_string(),
            ns,
            memory: MemAccount::new(),
            pids: PidsLimit::default(),
            cpu: ReapedCpu::default(),
            freezer: Freezer::default(),
            seccomp: Default::default(),
        })
    }

    /// Gives the container's processes a seccomp profile (before the first starts).
    pub fn set_seccomp(&self, profile: crate::kernel::seccomp::profile::Profile) {
        let _ = self.seccomp.set(crate::kernel::seccomp::State::of_profile(profile));
    }

    /// The seccomp state a process started in the container gets.
    pub fn seccomp(&self) -> crate::kernel::seccomp::State {
        self.seccomp.get().cloned().unwrap_or_default()
    }

    /// The namespaces the container's processes start in.
    pub fn namespaces(&self) -> &NsProxy {
        &self.ns
    }

    /// The container id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The PID namespace of the container: pids the loader is given for
    /// it are numbers there.
    pub fn pidns(&self) -> &Arc<PidNamespace> {
        &self.ns.pid_for_children
    }
}

/// Called after a process became a zombie, with its exit status.
pub type ExitHook = Box<dyn Fn(&Arc<ThreadGroup>, ExitStatus) + Send + Sync>;

/// Called when the OOM killer chose a process of a container (its pid in
/// the container's PID namespace).
pub type OomHook = Box<dyn Fn(&ContainerTag, i32) + Send + Sync>;

/// Process exits, for waiters outside the sandbox (the loader's control
/// server): a hook called on every exit and a condition to wait on.
#[derive(Default)]
pub struct ExitWatch {
    /// Bumped on every process exit.
    seq: Mutex<u64>,
    cv: Condvar,
    hook: OnceLock<ExitHook>,
    oom_hook: OnceLock<OomHook>,
}

impl ExitWatch {
    /// Installs the exit hook (once; later calls are ignored).
    pub fn set_hook(&self, hook: ExitHook) {
        let _ = self.hook.set(hook);
    }

    /// Installs the OOM hook (once; later calls are ignored).
    pub fn set_oom_hook(&self, hook: OomHook) {
        let _ = self.oom_hook.set(hook);
    }

    /// Records that the OOM killer chose process `pid` of `tag`.
    pub fn oom_killed(&self, tag: &ContainerTag, pid: i32) {
        if let Some(h) = self.oom_hook.get() {
            h(tag, pid);
        }
    }

    /// Records that `tg` exited with `status`. Called by the exit path
    /// with no kernel lock held.
    pub fn exited(&self, tg: &Arc<ThreadGroup>, status: ExitStatus) {
        if let Some(h) = self.hook.get() {
            h(tg, status);
        }
        *self.seq.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.cv.notify_all();
    }

    /// Wakes every waiter, e.g. so it re-checks a condition of its own.
    pub fn poke(&self) {
        *self.seq.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.cv.notify_all();
    }

    /// Waits until `done` returns a value or `deadline` passes; `done` is
    /// re-checked after every process exit (and `poke`).
    pub fn wait_for<T>(&self, deadline: Option<Instant>, mut done: impl FnMut() -> Option<T>) -> Option<T> {
        let mut seq = self.seq.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let seen = *seq;
            drop(seq);
            if let Some(v) = done() {
                return Some(v);
            }
            seq = self.seq.lock().unwrap_or_else(|e| e.into_inner());
            while *seq == seen {
                match deadline {
                    None => seq = self.cv.wait(seq).unwrap_or_else(|e| e.into_inner()),
                    Some(d) => {
                        let now = Instant::now();
                        if now >= d {
                            drop(seq);
                            return done();
                        }
                        seq = self.cv.wait_timeout(seq, d - now).unwrap_or_else(|e| e.into_inner()).0;
                    }
                }
            }
        }
    }

    /// Waits until process `tg` has exited; its status, or `None` if
    /// `deadline` passed first.
    pub fn wait_exit(&self, tg: &ThreadGroup, deadline: Option<Instant>) -> Option<ExitStatus> {
        self.wait_for(deadline, || tg.life.lock().unwrap_or_else(|e| e.into_inner()).zombie)
    }
}
