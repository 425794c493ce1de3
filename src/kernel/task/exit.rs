//! The end of tasks and processes: thread exit (clear_child_tid, robust
//! futexes), process exit (zombie, SIGCHLD, reparenting, orphaned process
//! groups), the end of a PID namespace when its init exits, and of the
//! sandbox when its first process does.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{ExitStatus, Task, ThreadGroup};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::signal::send::{send, Origin, Target};
use crate::kernel::signal::{SigInfo, SA_NOCLDWAIT, SIG_IGN};
use crate::kernel::Kernel;

/// Robust futex bits (see futex(2)).
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// Bound on robust list walking, as Linux's ROBUST_LIST_LIMIT.
const ROBUST_LIST_LIMIT: usize = 2048;

impl Task {
    /// Runs the task on this sentry thread until it exits, then tears it down.
    pub fn run_to_exit(&mut self) {
        crate::kernel::wait::set_current(Some(self.shared.clone()));
        self.shared.io.set_sentry_thread();
        if self.tid == self.tg.gpid() {
            // A new process: a finite RLIMIT_CPU (set by the spec or
            // inherited over fork) counts its CPU time from here.
            self.tg.timers.update_rlimit_cpu(&self.kernel, &self.tg);
        }
        let status = self.run();
        self.ptrace_exit_event(status);
        self.exit_task(status);
        crate::kernel::ptrace::stops::tracee_exited(&self.kernel, &self.shared, status);
        if self.tg.task_list().is_empty() && !self.tg.tracees.is_empty() {
            crate::kernel::ptrace::stops::tracer_exited(&self.kernel, &self.tg);
        }
        crate::kernel::wait::set_current(None);
    }

    /// Ends the whole thread group with `status` (exit_group, fatal signal).
    pub fn exit_group(&mut self, status: ExitStatus) {
        {
            let mut gs = self.tg.sig.lock().unwrap_or_else(|e| e.into_inner());
            if gs.exiting.is_none() {
                gs.exiting = Some(status);
            }
            gs.stopped = None;
        }
        self.tg.stop_queue.notify_all();
        for t in self.tg.task_list() {
            if t.gtid() != self.tid {
                crate::kernel::signal::send::wake(&t);
            }
        }
        self.exit = Some(status);
    }

    /// Wakes a futex word on exit (clear_child_tid, robust locks), as a
    /// shared futex, as Linux does.
    fn futex_wake(&self, addr: u64) {
        let key = self.mm().futex_key(addr, false);
        self.kernel.futexes.wake(key, 1, u32::MAX);
    }

    /// Walks the robust futex list: locks this thread held are marked
    /// OWNER_DIED and one waiter is woken.
    fn release_robust_futexes(&self) {
        let (head, len) = self.robust_list;
        if head == 0 || len != 24 {
            return;
        }
        let mem = self.mem();
        let (Ok(mut entry), Ok(offset), Ok(pending)) =
            (mem.read_u64(head), mem.read_u64(head + 8), mem.read_u64(head + 16))
        else {
            return;
        };
        let handle = |e: u64| {
            let word = (e & !1).wrapping_add(offset);
            if let Ok(v) = mem.read_u32(word) {
                // Lock words hold tids as the thread's own namespace numbers them.
                if v & FUTEX_TID_MASK == self.shared.tid.vnr() as u32 {
                    let _ = mem.write_u32(word, (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED);
                    if v & FUTEX_WAITERS != 0 {
                        self.futex_wake(word);
                    }
                }
            }
        };
        let mut n = 0;
        while entry != head && entry != 0 && n < ROBUST_LIST_LIMIT {
            let next = mem.read_u64(entry & !1).unwrap_or(head);
            if entry != pending {
                handle(entry);
            }
            entry = next;
            n += 1;
        }
        if pending != 0 {
            handle(pending);
        }
    }

    /// Tears the task down after its run loop ended.
    fn exit_task(&mut self, status: ExitStatus) {
        let kernel = self.kernel.clone();
        let tg = self.tg.clone();
        let group_dying = tg.sig.lock().unwrap_or_else(|e| e.into_inner()).exiting.is_some();
        if group_dying {
            self.leave_core_state();
        }
        if let Some(v) = self.vfork_parent.take() {
            v.complete();
        }
        if !group_dying {
            self.release_robust_futexes();
            if self.clear_child_tid != 0 {
                let _ = self.mem().write_u32(self.clear_child_tid, 0);
                self.futex_wake(self.clear_child_tid);
            }
        }
        // The thread's I/O stays with the process (read while its sentry
        // thread, whose storage I/O it is, still runs). `io_done` is held
        // across the removal, so /proc/PID/io counts the thread once.
        let io = self.shared.io.snapshot();
        let last = {
            let mut done = tg.io_done.lock().unwrap_or_else(|e| e.into_inner());
            let mut procs = kernel.procs();
            procs.tasks.remove(&self.tid);
            let mut tasks = tg.tasks.lock().unwrap_or_else(|e| e.into_inner());
            tasks.retain(|t| t.gtid() != self.tid);
            done.add(&io);
            tasks.is_empty()
        };
        if !last {
            self.thread.exit_thread();
            // An exec'ing thread waits for the others to be gone.
            tg.stop_queue.notify_all();
            return;
        }
        let status = tg.sig.lock().unwrap_or_else(|e| e.into_inner()).exiting.unwrap_or(status);
        // What the process used over its whole life (every image exec ran),
        // with its waited-for descendants, for wait4.
        tg.timers.retire_image(self.thread.pid());
        let times = tg.timers.cpu_times(&tg);
        let mut used = super::usage::Usage {
            utime_us: times.user_ns / 1000,
            stime_us: times.system_ns / 1000,
            maxrss_kb: tg.timers.maxrss_kb(&tg),
        };
        // Linux's RUSAGE_BOTH: the children's peak counts in the process's.
        used.add(*tg.child_times.lock().unwrap_or_else(|e| e.into_inner()));
        tg.life.lock().unwrap_or_else(|e| e.into_inner()).usage = used;
        self.thread.kill_process();
        tg.sem_undo.exit(&tg.pid);
        let mm = tg.mm();
        // An address space shared with another process (vfork) stays.
        if Arc::strong_count(&mm) <= 2 {
            mm.release();
        }
        if Arc::strong_count(&tg.fds) == 1 {
            tg.fds.close_all();
        }
        exit_process(&kernel, &tg, status);
    }
}

/// Makes `tg` a zombie: reparents its children, tells its parent, and
/// takes its PID namespace down if it was the namespace's init.
pub fn exit_process(kernel: &Arc<Kernel>, tg: &Arc<ThreadGroup>, status: ExitStatus) {
    if tg.is_ns_init() {
        zap_namespace(kernel, tg);
    }
    let mut hangup_groups = Vec::new();
    let mut unclaimed_zombies = Vec::new();
    let mut pdeath_signals = Vec::new();
    let (parent, auto_reap);
    {
        let procs = kernel.procs();
        let reaper = find_reaper(tg);
        let children: Vec<Arc<ThreadGroup>> =
            std::mem::take(&mut tg.rel.lock().unwrap_or_else(|e| e.into_inner()).children);
        let parent_ruid = tg.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
        for c in children {
            // A child's pgrp may become orphaned by this exit.
            if c.pgid() != tg.pgid() && c.sid() == tg.sid() {
                hangup_groups.push(c.pgid());
            }
            let pdeath = c.task_list().iter().map(|t| t.pdeathsig.load(Ordering::Relaxed)).find(|&s| s != 0);
            if let Some(sig) = pdeath {
                // Linux's SEND_SIG_NOINFO from the dying parent: SI_USER
                // with its pid and uid, forced only from an outer namespace.
                // Sent once the process table is unlocked (a real-time
                // signal counts the user's records in it).
                let info = SigInfo::user(sig, tg.pid.nr_in(c.pidns()), parent_ruid);
                pdeath_signals.push((c.clone(), info));
            }
            match &reaper {
                Some(r) => {
                    c.rel.lock().unwrap_or_else(|e| e.into_inner()).parent = Arc::downgrade(r);
                    r.rel.lock().unwrap_or_else(|e| e.into_inner()).children.push(c);
                }
                None => {
                    c.rel.lock().unwrap_or_else(|e| e.into_inner()).parent = Default::default();
                    // No one will ever wait for it (its namespace is being
                    // torn down): reaped now, as Linux reaps a dying PID
                    // namespace's zombies.
                    if super::procs::is_zombie(&c) {
                        unclaimed_zombies.push(c);
                    }
                }
            }
        }
        // This process leaving may orphan its own process group, if it was
        // the group's link outside: its parent is in another group of the
        // same session (Linux's kill_orphaned_pgrp). A member whose parent
        // is in the group itself (a shell's `ps`) orphans nothing.
        parent = tg.parent();
        if parent.as_ref().is_some_and(|p| p.pgid() != tg.pgid() && p.sid() == tg.sid()) {
            hangup_groups.push(tg.pgid());
        }
        // As Linux's exit_notify, decided with the exit itself: a child
        // whose parent ignores SIGCHLD or set SA_NOCLDWAIT is never seen by
        // wait (a waiter woken by the SIGCHLD must not reap it first).
        auto_reap = tg.exit_signal == libc::SIGCHLD
            && parent.as_ref().is_some_and(|p| {
                let pact = p.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).get(libc::SIGCHLD);
                pact.handler == SIG_IGN || pact.flags & SA_NOCLDWAIT != 0
            });
        let mut life = tg.life.lock().unwrap_or_else(|e| e.into_inner());
        life.zombie = Some(status);
        life.reaped = auto_reap;
        drop(life);
        drop(procs);
    }
    for (c, info) in pdeath_signals {
        send(kernel, Target::Group(&c), info, Origin::Process(tg));
    }
    // Pidfds poll readable now.
    tg.stop_queue.notify_all();
    for z in &unclaimed_zombies {
        reap_orphan(kernel, z);
    }
    crate::kernel::tty::job::session_leader_exited(kernel, tg);
    kernel.exits.exited(tg, status);
    if tg.gpid() == 1 {
        end_sandbox(kernel, status);
        return;
    }
    for pgid in hangup_groups {
        hangup_if_orphaned(kernel, pgid);
    }
    match parent {
        Some(p) => {
            if tg.exit_signal > 0 {
                let (code, st) = status.cld();
                let uid = tg.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
                // si_pid as the parent's namespace numbers the child.
                let mut info = SigInfo::child(code, tg.pid.nr_in(p.pidns()), uid, st);
                if tg.exit_signal != libc::SIGCHLD {
                    info = SigInfo::from_bytes(tg.exit_signal, info.0);
                }
                send(kernel, Target::Group(&p), info, Origin::Process(tg));
            }
            if auto_reap {
                // Not waited for: its times do not count as the parent's
                // children's (Linux adds them in wait only).
                release(kernel, &p, tg);
            }
        }
        None => reap_orphan(kernel, tg),
    }
    kernel.child_events.notify_all();
}

/// How long the init of a dying PID namespace waits for the rest of it.
const ZAP_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The init of `tg`'s PID namespace is exiting (Linux's
/// zap_pid_namespace): the namespace takes no new process, every other
/// process in it (nested namespaces included) gets SIGKILL, and the init
/// reaps them as they become its children, until none is left. Only then
/// does the init itself become a zombie its parent can wait for.
fn zap_namespace(kernel: &Arc<Kernel>, tg: &Arc<ThreadGroup>) {
    let ns = tg.pidns().clone();
    ns.close();
    let others = |kernel: &Kernel| -> Vec<Arc<ThreadGroup>> {
        kernel.procs().groups_in(&ns).filter(|g| !Arc::ptr_eq(g, tg)).cloned().collect()
    };
    for g in others(kernel) {
        send(kernel, Target::Group(&g), SigInfo::kernel(libc::SIGKILL), Origin::Kernel);
    }
    let deadline = std::time::Instant::now() + ZAP_WAIT;
    loop {
        let zombies: Vec<Arc<ThreadGroup>> = tg
            .rel
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .children
            .iter()
            .filter(|c| super::procs::is_zombie(c))
            .cloned()
            .collect();
        for z in &zombies {
            reap(kernel, tg, z);
        }
        let left = others(kernel);
        if left.is_empty() {
            return;
        }
        if std::time::Instant::now() >= deadline {
            tracing::warn!(pid = tg.gpid(), left = left.len(), "PID namespace init exits with processes left in it");
            return;
        }
        // Late forks are refused (ENOMEM), but a process may have been
        // created just before the namespace closed: kill it too.
        for g in left.iter().filter(|g| !super::procs::is_zombie(g)) {
            send(kernel, Target::Group(g), SigInfo::kernel(libc::SIGKILL), Origin::Kernel);
        }
        kernel.exits.wait_for(Some(std::time::Instant::now() + std::time::Duration::from_millis(20)), || None::<()>);
    }
}

/// Who adopts the children of `tg` (Linux's find_new_reaper): the nearest
/// living subreaper among its ancestors in its own PID namespace, else
/// that namespace's init. None if `tg` is the init (its namespace is gone
/// by now) or the init has exited.
fn find_reaper(tg: &Arc<ThreadGroup>) -> Option<Arc<ThreadGroup>> {
    if tg.is_ns_init() {
        return None;
    }
    let level = tg.pidns().level();
    let mut p = tg.parent();
    while let Some(a) = p {
        if a.pidns().level() != level {
            break;
        }
        if a.subreaper.load(Ordering::Relaxed) && !super::procs::is_zombie(&a) {
            return Some(a);
        }
        p = a.parent();
    }
    tg.pidns().init().filter(|init| !Arc::ptr_eq(init, tg) && !super::procs::is_zombie(init))
}

/// Removes a zombie from its parent and the table.
pub fn reap(kernel: &Kernel, parent: &Arc<ThreadGroup>, child: &Arc<ThreadGroup>) {
    let used = child.life.lock().unwrap_or_else(|e| e.into_inner()).usage;
    parent.child_times.lock().unwrap_or_else(|e| e.into_inner()).add(used);
    // A reaped child's I/O counts in its parent's, as Linux's wait adds it.
    let child_io = *child.io_done.lock().unwrap_or_else(|e| e.into_inner());
    parent.io_done.lock().unwrap_or_else(|e| e.into_inner()).add(&child_io);
    release(kernel, parent, child);
}

/// Removes exited `child` from its parent's children and the process table.
fn release(kernel: &Kernel, parent: &Arc<ThreadGroup>, child: &Arc<ThreadGroup>) {
    unlist(kernel, Some(parent), child);
    // Other waiters of the parent look again: it may have no child left
    // for them (ECHILD).
    kernel.child_events.notify_all();
}

/// An exited process no one will wait for (its namespace is going).
fn reap_orphan(kernel: &Kernel, child: &Arc<ThreadGroup>) {
    unlist(kernel, None, child);
}

/// Takes exited `child` out of the process table (and its parent's
/// children): it is reaped.
fn unlist(kernel: &Kernel, parent: Option<&Arc<ThreadGroup>>, child: &Arc<ThreadGroup>) {
    let cpu = child.timers.cpu_times(child);
    {
        let mut procs = kernel.procs();
        procs.reaped_cpu.user_ns += cpu.user_ns;
        procs.reaped_cpu.system_ns += cpu.system_ns;
        child.container.cpu.add(cpu);
        if let Some(p) = parent {
            p.rel.lock().unwrap_or_else(|e| e.into_inner()).children.retain(|c| !Arc::ptr_eq(c, child));
        }
        procs.groups.remove(&child.gpid());
        child.life.lock().unwrap_or_else(|e| e.into_inner()).reaped = true;
    }
    // Pidfds poll hung up.
    child.stop_queue.notify_all();
}

/// POSIX: when a process group becomes orphaned and has a stopped member,
/// every member gets SIGHUP then SIGCONT.
fn hangup_if_orphaned(kernel: &Kernel, pgid: i32) {
    let members = {
        let procs = kernel.procs();
        if !procs.pgrp_orphaned(pgid) {
            return;
        }
        procs.group_members(pgid)
    };
    let any_stopped = members.iter().any(|g| g.sig.lock().unwrap_or_else(|e| e.into_inner()).stopped.is_some());
    if !any_stopped {
        return;
    }
    for g in &members {
        send(kernel, Target::Group(g), SigInfo::kernel(libc::SIGHUP), Origin::Kernel);
        send(kernel, Target::Group(g), SigInfo::kernel(libc::SIGCONT), Origin::Kernel);
    }
}

/// The sandbox's first process (the init of `husk do`, or of the root
/// container) exited: every other process of the sandbox dies.
fn end_sandbox(kernel: &Kernel, status: ExitStatus) {
    let all: Vec<Arc<ThreadGroup>> = kernel.procs().groups.values().cloned().collect();
    for g in all.iter().filter(|g| g.gpid() != 1) {
        send(kernel, Target::Group(g), SigInfo::kernel(libc::SIGKILL), Origin::Outside);
    }
    kernel.set_init_exited(status);
}
