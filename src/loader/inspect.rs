//! What the control socket tells about a running container: a process's
//! `ps` row (`ProcInfo`) and everything `inspect` shows (`ProcDetail`), the
//! mount table, the network, and live strace subscriptions. The figures
//! and texts come from the same kernel code as `/proc/<pid>/...`
//! (`kernel::vfs::procfs`, `netstack::report`), so the two always agree.

use std::sync::Arc;

use super::proto::{FdDetail, ProcDetail, ProcInfo, RlimitDetail, SignalDetail, ThreadDetail};
use super::sandbox::{LoaderError, Sandbox};
use super::state::Status;
use crate::kernel::ns::PidNamespace;
use crate::kernel::signal::{SIG_DFL, SIG_IGN};
use crate::kernel::strace;
use crate::kernel::strace::sink::Subscription;
use crate::kernel::task::procs::is_zombie;
use crate::kernel::task::{Privileges, TaskShared, ThreadGroup, CAP_FULL_SET, RLIM_INFINITY};
use crate::kernel::tty::job::{ctty_of, tpgid};
use crate::kernel::vfs::procfs;
use crate::kernel::Kernel;
use crate::platform::ptrace::ProcessMemory;

impl Sandbox {
    /// Everything about process `pid` of container `id` (0: its init).
    pub fn inspect(&self, id: &str, pid: i32) -> Result<ProcDetail, LoaderError> {
        let tg = self.find_process(id, pid)?;
        let ns = self.tag(id)?.pidns().clone();
        Ok(detail(&self.kernel, &tg, &ns))
    }

    /// The mount table of container `id`, as its init's
    /// `/proc/PID/mountinfo` reads (the sandbox root's before the init runs
    /// or once it has exited).
    pub fn mounts(&self, id: &str) -> Result<String, LoaderError> {
        self.live(id)?;
        Ok(match self.init_of(id).filter(|i| !is_zombie(i)) {
            Some(init) => procfs::mountinfo(&self.kernel, &init),
            None => self.kernel.vfs.mount_table().render_mountinfo(b"/"),
        })
    }

    /// The sandbox's network (all containers of a sandbox share it).
    pub fn net(&self, id: &str) -> Result<String, LoaderError> {
        self.live(id)?;
        Ok(crate::netstack::report::text(&self.kernel.net))
    }

    /// Starts tracing the syscalls of container `id`: every process, or
    /// process `pid` (refused if another container's) and the processes it
    /// forks from now on. Tracing lasts as long as the subscription.
    pub fn strace(&self, id: &str, pid: i32) -> Result<Subscription, LoaderError> {
        let tag = self.tag(id)?;
        let only = if pid == 0 { None } else { Some(self.find_process(id, pid)?.gpid()) };
        Ok(Subscription::new(&self.kernel, tag, only))
    }

    /// Whether the processes a strace subscription follows are all gone:
    /// the container stopped, or (for one process) it and its traced
    /// children exited.
    pub fn trace_done(&self, id: &str, sub: &Subscription) -> bool {
        if self.info(id).map_or(true, |i| i.status == Status::Stopped) {
            return true;
        }
        match sub.subscriber().pids() {
            None => false,
            Some(pids) => {
                let procs = self.kernel.procs();
                pids.iter().all(|p| procs.group(*p).is_none_or(|g| is_zombie(&g)))
            }
        }
    }
}

/// Capability names by number (capabilities(7)).
const CAP_NAMES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

/// The main thread of a process (the leader, or the first left).
fn main_thread(tg: &ThreadGroup) -> Option<Arc<TaskShared>> {
    let tasks = tg.task_list();
    tasks.iter().find(|t| Arc::ptr_eq(&t.tid, &tg.pid)).or(tasks.first()).cloned()
}

fn command_line(tg: &ThreadGroup) -> String {
    let argv = procfs::argv(tg);
    argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" ")
}

/// One line of `ps`, with pids as PID namespace `ns` (the container's)
/// numbers them.
pub fn proc_info(g: &Arc<ThreadGroup>, ns: &PidNamespace) -> ProcInfo {
    let zombie = is_zombie(g);
    let main = main_thread(g);
    let (state, _) = procfs::state(g, main.as_ref(), zombie);
    let tasks = g.task_list();
    let (size, rss) = procfs::mem_pages(g, zombie);
    let cpu = g.timers.cpu_times(g);
    let wchan = main.and_then(|t| t.current_syscall()).map(|s| strace::syscall_name(s.nr)).unwrap_or_default();
    ProcInfo {
        uid: g.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid,
        pid: g.pid.nr_in(ns),
        ppid: g.ppid_in(ns),
        pgid: g.pgrp().nr_in(ns),
        sid: g.session().nr_in(ns),
        state: state.to_string(),
        threads: tasks.len(),
        tty: ctty_of(g).map(|t| t.name()).unwrap_or_else(|| "?".into()),
        cmd: command_line(g),
        tpgid: tpgid(g, ns),
        cpu_ms: (cpu.user_ns + cpu.system_ns) / 1_000_000,
        rss_kb: rss * 4,
        vsz_kb: size * 4,
        wchan,
    }
}

/// Everything `inspect` shows about process `tg`, with pids as namespace
/// `ns` (the container's) numbers them.
pub fn detail(k: &Kernel, tg: &Arc<ThreadGroup>, ns: &PidNamespace) -> ProcDetail {
    let zombie = is_zombie(tg);
    let main = main_thread(tg);
    let (state, _) = procfs::state(tg, main.as_ref(), zombie);
    let fs = tg.fs.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut tasks = tg.task_list();
    tasks.sort_by_key(|t| t.gtid());
    ProcDetail {
        pid: tg.pid.nr_in(ns),
        ppid: tg.ppid_in(ns),
        pgid: tg.pgrp().nr_in(ns),
        sid: tg.session().nr_in(ns),
        tpgid: tpgid(tg, ns),
        state: state.to_string(),
        cmd: command_line(tg),
        exe: String::from_utf8_lossy(&tg.exe.lock().unwrap_or_else(|e| e.into_inner())).into_owned(),
        cwd: String::from_utf8_lossy(&fs.cwd).into_owned(),
        credentials: credentials(tg),
        umask: fs.umask,
        threads: tasks.iter().map(|t| thread(tg, t, zombie, ns)).collect(),
        pending: strace::signal_names(tg.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.mask()),
        signals: signals(tg),
        fds: fds(k, tg),
        maps: procfs::maps(tg),
        rlimits: rlimits(tg),
    }
}

fn thread(tg: &ThreadGroup, t: &Arc<TaskShared>, zombie: bool, ns: &PidNamespace) -> ThreadDetail {
    let (state, _) = procfs::state(tg, Some(t), zombie);
    let (mask, pending) = {
        let s = t.sig.lock().unwrap_or_else(|e| e.into_inner());
        (s.mask, s.pending.mask())
    };
    let syscall = t
        .current_syscall()
        .map(|s| {
            let host_pid = t.host.lock().unwrap_or_else(|e| e.into_inner()).0;
            strace::format_pending(s.nr, &s.args, &ProcessMemory::of(host_pid))
        })
        .unwrap_or_default();
    ThreadDetail {
        tid: t.tid.nr_in(ns),
        state: state.to_string(),
        syscall,
        blocked: strace::signal_names(mask),
        pending: strace::signal_names(pending),
    }
}

/// A capability set: `all`, `none`, or the names.
fn caps(set: u64) -> String {
    match set {
        0 => "none".into(),
        s if s & CAP_FULL_SET == CAP_FULL_SET => "all".into(),
        s => (0..CAP_NAMES.len()).filter(|c| s & (1 << c) != 0).map(|c| CAP_NAMES[c]).collect::<Vec<_>>().join(","),
    }
}

fn credentials(tg: &ThreadGroup) -> String {
    let c = tg.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let p: Privileges = tg.privs.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let groups = c.groups.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    format!(
        "uid={} euid={} suid={} fsuid={} gid={} egid={} sgid={} fsgid={} groups={groups} \
         cap_eff={} cap_prm={} cap_inh={} cap_bnd={} no_new_privs={}",
        c.ruid,
        c.euid,
        c.suid,
        p.fsuid,
        c.rgid,
        c.egid,
        c.sgid,
        p.fsgid,
        caps(p.effective),
        caps(p.permitted),
        caps(p.inheritable),
        caps(p.bounding),
        p.no_new_privs as u8
    )
}

fn signals(tg: &ThreadGroup) -> Vec<SignalDetail> {
    let acts = tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).clone();
    (1..=64)
        .filter_map(|sig| {
            let a = acts.get(sig);
            let action = match a.handler {
                SIG_DFL => return None,
                SIG_IGN => "ignore".to_string(),
                h => format!("handler {h:#x}"),
            };
            let mut flags = strace::sa_flags(a.flags);
            if a.mask != 0 {
                flags.push_str(&format!(" mask={}", strace::sigset(a.mask)));
            }
            Some(SignalDetail { signal: strace::signal_name(sig), action, flags })
        })
        .collect()
}

fn fds(k: &Kernel, tg: &ThreadGroup) -> Vec<FdDetail> {
    tg.fds
        .list()
        .into_iter()
        .filter_map(|(fd, _)| {
            let v = procfs::fd_view(k, tg, fd).ok()?;
            Some(FdDetail {
                fd,
                target: String::from_utf8_lossy(&v.target).into_owned(),
                flags: format!("{} pos={}", strace::open_flags(v.flags as u64), v.pos),
            })
        })
        .collect()
}

fn rlimits(tg: &ThreadGroup) -> Vec<RlimitDetail> {
    let limits = *tg.rlimits.lock().unwrap_or_else(|e| e.into_inner());
    let value = |v: u64| (v != RLIM_INFINITY).then_some(v);
    limits
        .iter()
        .enumerate()
        .map(|(res, l)| RlimitDetail { name: strace::rlimit_name(res as u32), soft: value(l.cur), hard: value(l.max) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_sets() {
        assert_eq!(CAP_NAMES.len() as u32, CAP_FULL_SET.count_ones());
        assert_eq!(caps(0), "none");
        assert_eq!(caps(CAP_FULL_SET), "all");
        assert_eq!(caps((1 << 5) | (1 << 21)), "cap_kill,cap_sys_admin");
    }
}
