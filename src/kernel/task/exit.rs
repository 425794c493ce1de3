//! The end of tasks and processes: thread exit (clear_child_tid, robust
//! futexes), process exit (zombie, SIGCHLD, reparenting, orphaned process
//! groups), and the end of the container when its init exits.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{ExitStatus, Task, ThreadGroup};
use crate::kernel::futex::FutexKey;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::signal::send::{send, Target};
use crate::kernel::signal::{SigInfo, CLD_EXITED, CLD_KILLED, SA_NOCLDWAIT, SIG_IGN};
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
        let status = self.run();
        self.exit_task(status);
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
            if t.tid != self.tid {
                crate::kernel::signal::send::wake(&t);
            }
        }
        self.exit = Some(status);
    }

    /// Wakes a futex word on exit (clear_child_tid).
    fn futex_wake(&self, addr: u64) {
        let key = FutexKey { mm: Arc::as_ptr(&self.mm()) as usize, addr };
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
                if v & FUTEX_TID_MASK == self.tid as u32 {
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
        let last = {
            let mut procs = kernel.procs();
            procs.tasks.remove(&self.tid);
            let mut tasks = tg.tasks.lock().unwrap_or_else(|e| e.into_inner());
            tasks.retain(|t| t.tid != self.tid);
            tasks.is_empty()
        };
        if !last {
            self.thread.exit_thread();
            // An exec'ing thread waits for the others to be gone.
            tg.stop_queue.notify_all();
            return;
        }
        let status = tg.sig.lock().unwrap_or_else(|e| e.into_inner()).exiting.unwrap_or(status);
        // What the process used, with its waited-for descendants, for wait4.
        let mut used = super::usage::Usage::of_host_process(self.thread.pid());
        let (cu, cs) = *tg.child_times.lock().unwrap_or_else(|e| e.into_inner());
        used.add(super::usage::Usage { utime_us: cu, stime_us: cs, maxrss_kb: 0 });
        tg.life.lock().unwrap_or_else(|e| e.into_inner()).usage = used;
        self.thread.kill_process();
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
/// ends the container if it was the init.
pub fn exit_process(kernel: &Arc<Kernel>, tg: &Arc<ThreadGroup>, status: ExitStatus) {
    let mut hangup_groups = Vec::new();
    let mut unclaimed_zombies = Vec::new();
    let parent;
    {
        let procs = kernel.procs();
        let reaper = find_reaper(&procs, tg);
        let children: Vec<Arc<ThreadGroup>> =
            std::mem::take(&mut tg.rel.lock().unwrap_or_else(|e| e.into_inner()).children);
        for c in children {
            // A child's pgrp may become orphaned by this exit.
            if c.pgid() != tg.pgid() && c.sid() == tg.sid() {
                hangup_groups.push(c.pgid());
            }
            let pdeath = c.task_list().iter().map(|t| t.pdeathsig.load(Ordering::Relaxed)).find(|&s| s != 0);
            if let Some(sig) = pdeath {
                send(kernel, Target::Group(&c), SigInfo::kernel(sig), true);
            }
            match &reaper {
                Some(r) => {
                    c.rel.lock().unwrap_or_else(|e| e.into_inner()).parent = Arc::downgrade(r);
                    r.rel.lock().unwrap_or_else(|e| e.into_inner()).children.push(c);
                }
                None => {
                    c.rel.lock().unwrap_or_else(|e| e.into_inner()).parent = Default::default();
                    // No one will ever wait for it (its container is being
                    // torn down): reaped now, as Linux reaps a dying PID
                    // namespace's zombies.
                    if tg.pid != 1 && super::procs::is_zombie(&c) {
                        unclaimed_zombies.push(c);
                    }
                }
            }
        }
        // This process leaving may orphan its own process group.
        hangup_groups.push(tg.pgid());
        parent = tg.parent();
        tg.life.lock().unwrap_or_else(|e| e.into_inner()).zombie = Some(status);
        drop(procs);
    }
    for z in &unclaimed_zombies {
        reap_orphan(kernel, z);
    }
    crate::kernel::tty::job::session_leader_exited(kernel, tg);
    kernel.exits.exited(tg, status);
    if tg.pid == 1 {
        end_container(kernel, status);
        return;
    }
    for pgid in hangup_groups {
        hangup_if_orphaned(kernel, pgid);
    }
    match parent {
        Some(p) => {
            let pact = p.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).get(libc::SIGCHLD);
            let auto_reap = pact.handler == SIG_IGN || pact.flags & SA_NOCLDWAIT != 0;
            if tg.exit_signal > 0 {
                let (code, st) = match status {
                    ExitStatus::Code(c) => (CLD_EXITED, c),
                    ExitStatus::Signal(s) => (CLD_KILLED, s),
                };
                let uid = tg.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
                let mut info = SigInfo::child(code, tg.pid, uid, st);
                if tg.exit_signal != libc::SIGCHLD {
                    info = SigInfo::from_bytes(tg.exit_signal, info.0);
                }
                send(kernel, Target::Group(&p), info, true);
            }
            if auto_reap && tg.exit_signal == libc::SIGCHLD {
                reap(kernel, &p, tg);
            }
        }
        None => reap_orphan(kernel, tg),
    }
    kernel.child_events.notify_all();
}

/// Who adopts the children of `tg`: the nearest living subreaper ancestor,
/// else the init of its container, else the sandbox's init (none if `tg`
/// is the init).
fn find_reaper(procs: &super::procs::ProcTable, tg: &Arc<ThreadGroup>) -> Option<Arc<ThreadGroup>> {
    let mut p = tg.parent();
    while let Some(a) = p {
        if a.subreaper.load(Ordering::Relaxed) && !super::procs::is_zombie(&a) {
            return Some(a);
        }
        p = a.parent();
    }
    // The container's init adopts its orphans, as a PID namespace's would;
    // once it is gone (its container is being torn down) no one does, and
    // orphans are reaped as they exit.
    let cinit = tg.container.init_pid();
    if cinit > 0 {
        match procs.group(cinit).filter(|c| !Arc::ptr_eq(c, tg) && !super::procs::is_zombie(c)) {
            Some(c) => return Some(c),
            None if cinit != 1 => return None,
            None => {}
        }
    }
    procs.group(1).filter(|init| !Arc::ptr_eq(init, tg) && !super::procs::is_zombie(init))
}

/// Removes a zombie from its parent and the table.
pub fn reap(kernel: &Kernel, parent: &Arc<ThreadGroup>, child: &Arc<ThreadGroup>) {
    let used = child.life.lock().unwrap_or_else(|e| e.into_inner()).usage;
    {
        let mut ct = parent.child_times.lock().unwrap_or_else(|e| e.into_inner());
        ct.0 += used.utime_us;
        ct.1 += used.stime_us;
    }
    let mut procs = kernel.procs();
    parent.rel.lock().unwrap_or_else(|e| e.into_inner()).children.retain(|c| !Arc::ptr_eq(c, child));
    procs.groups.remove(&child.pid);
    child.life.lock().unwrap_or_else(|e| e.into_inner()).reaped = true;
}

fn reap_orphan(kernel: &Kernel, child: &Arc<ThreadGroup>) {
    let mut procs = kernel.procs();
    procs.groups.remove(&child.pid);
    child.life.lock().unwrap_or_else(|e| e.into_inner()).reaped = true;
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
        send(kernel, Target::Group(g), SigInfo::kernel(libc::SIGHUP), true);
        send(kernel, Target::Group(g), SigInfo::kernel(libc::SIGCONT), true);
    }
}

/// The init of the container exited: every other process dies.
fn end_container(kernel: &Kernel, status: ExitStatus) {
    let all: Vec<Arc<ThreadGroup>> = kernel.procs().groups.values().cloned().collect();
    for g in all.iter().filter(|g| g.pid != 1) {
        send(kernel, Target::Group(g), SigInfo::kernel(libc::SIGKILL), false);
    }
    kernel.set_init_exited(status);
}
