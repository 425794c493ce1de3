//! The OOM killer of a container (see `mm/account.rs`): a charge that would
//! pass the container's memory limit ends its worst process with SIGKILL,
//! as Linux's memory cgroup does when a charge fails, and the charge is
//! tried again once the victim's memory is back.
//!
//! The worst process is the one whose address space commits the most;
//! the caller's process counts with the charge it asked for (under Linux
//! it would have faulted those pages in by then). Processes sharing one
//! address space (vfork) count once. A process already dying frees its
//! memory soon: the killer waits for it rather than choosing another, as
//! Linux does. Each process's `oom_score_adj` (`/proc/PID/oom_score_adj`)
//! weighs in as in Linux's `oom_badness`: it adds that many thousandths of
//! the limit to the process's size, and -1000 exempts the process; when
//! every process is exempt the charge fails with ENOMEM.

use std::borrow::Borrow;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::kernel::errno::Errno;
use crate::kernel::mm::account::{take_refused, ForceCharges};
use crate::kernel::signal::send::{send, Origin, Target};
use crate::kernel::signal::SigInfo;
use crate::kernel::task::{Task, ThreadGroup};

/// `oom_score_adj` bounds; a process at the minimum is never chosen.
pub const ADJ_MIN: i32 = -1000;
pub const ADJ_MAX: i32 = 1000;

/// A process's `oom_score_adj`, and the floor below which only a writer
/// with CAP_SYS_RESOURCE may set it (Linux's `oom_score_adj_min`, moved by
/// every privileged write). Both are inherited over fork and kept over exec.
#[derive(Default)]
pub struct OomAdj {
    adj: AtomicI32,
    min: AtomicI32,
}

impl OomAdj {
    /// The adjustment now.
    pub fn get(&self) -> i32 {
        self.adj.load(Ordering::Relaxed)
    }

    /// A child's copy.
    pub fn inherit(&self) -> OomAdj {
        OomAdj { adj: AtomicI32::new(self.get()), min: AtomicI32::new(self.min.load(Ordering::Relaxed)) }
    }

    /// Sets the adjustment for a writer with (`privileged`) or without
    /// CAP_SYS_RESOURCE: EINVAL out of range, EACCES below the floor.
    pub fn set(&self, v: i32, privileged: bool) -> Result<(), Errno> {
        if !(ADJ_MIN..=ADJ_MAX).contains(&v) {
            return Err(Errno::EINVAL);
        }
        if v < self.min.load(Ordering::Relaxed) && !privileged {
            return Err(Errno::EACCES);
        }
        self.adj.store(v, Ordering::Relaxed);
        if privileged {
            self.min.store(v, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Sets it through the legacy `oom_adj`: without CAP_SYS_RESOURCE it
    /// may only go up (EACCES), and it never moves the floor.
    pub fn set_legacy(&self, v: i32, privileged: bool) -> Result<(), Errno> {
        if !(ADJ_MIN..=ADJ_MAX).contains(&v) {
            return Err(Errno::EINVAL);
        }
        if v < self.get() && !privileged {
            return Err(Errno::EACCES);
        }
        self.adj.store(v, Ordering::Relaxed);
        Ok(())
    }
}

/// The killer's measure of a process of `pages` pages when `total` pages
/// are allowed: its size plus `adj` thousandths of `total`. None for a
/// process it never chooses.
pub fn badness(adj: i32, pages: u64, total: u64) -> Option<i64> {
    if adj == ADJ_MIN {
        return None;
    }
    Some(pages as i64 + adj as i64 * (total / 1000) as i64)
}

/// `/proc/PID/oom_score`: the badness against `total` pages, scaled to
/// 0..=2000 as Linux shows it (0 for an exempt process).
pub fn score(adj: i32, pages: u64, total: u64) -> u64 {
    match badness(adj, pages, total) {
        None => 0,
        Some(b) => ((1000 + b * 1000 / total.max(1) as i64) * 2 / 3).max(0) as u64,
    }
}

/// Rounds of the killer one change may start before its charge is let
/// through (the victims are then slow to go, but going).
const OOM_ROUNDS: usize = 4;

/// Runs `op`, a change that charges the caller's container; when its
/// charge would pass the limit, the killer makes room (or ends the caller)
/// and `op` is tried again.
/// `t` is the caller (`&mut Task` or `&Task`), handed to `op`.
pub fn retry_after_oom<C: Borrow<Task>, T>(
    mut t: C,
    mut op: impl FnMut(&mut C) -> Result<T, Errno>,
) -> Result<T, Errno> {
    take_refused();
    let mut r = op(&mut t);
    for round in 0..=OOM_ROUNDS {
        let need = take_refused();
        if need == 0 {
            break;
        }
        out_of_memory(t.borrow(), need)?;
        let _forced = (round == OOM_ROUNDS).then(ForceCharges::new);
        r = op(&mut t);
    }
    r
}

/// How long the killer waits for a victim to give its memory back.
const VICTIM_WAIT: Duration = Duration::from_secs(2);

/// Whether `tg` is dying or dead (its memory is on its way back).
fn dying(tg: &ThreadGroup) -> bool {
    tg.sig.lock().unwrap_or_else(|e| e.into_inner()).exiting.is_some()
        || tg.life.lock().unwrap_or_else(|e| e.into_inner()).zombie.is_some()
}

/// Makes room for `need` more bytes in the caller's container. Ok when the
/// caller may try its charge again; ENOMEM when the caller's own process
/// was chosen (it dies of the SIGKILL on its way out of the syscall).
pub fn out_of_memory(t: &Task, need: u64) -> Result<(), Errno> {
    let tag = t.tg.container.clone();
    let account = tag.memory.clone();
    let members: Vec<Arc<ThreadGroup>> =
        t.kernel.procs().groups.values().filter(|g| Arc::ptr_eq(&g.container, &tag)).cloned().collect();
    let mut seen_mms = Vec::new();
    let total_pages = account.limit() / 4096;
    let mut victim: Option<(i64, Arc<ThreadGroup>)> = None;
    let mut waiting_for_dying = false;
    for g in &members {
        let mm = g.mm();
        if seen_mms.iter().any(|m| Arc::ptr_eq(m, &mm)) {
            continue;
        }
        let mut size = mm.committed();
        seen_mms.push(mm);
        if dying(g) {
            waiting_for_dying |= size > 0;
            continue;
        }
        if Arc::ptr_eq(g, &t.tg) {
            size = size.saturating_add(need);
        }
        let Some(points) = badness(g.oom_adj.get(), size / 4096, total_pages) else {
            continue;
        };
        if victim.as_ref().is_none_or(|(p, _)| points > *p) {
            victim = Some((points, g.clone()));
        }
    }
    if !waiting_for_dying {
        let Some((_, v)) = victim else {
            return Err(Errno::ENOMEM);
        };
        tracing::info!(
            container = tag.id(),
            pid = v.gpid(),
            need,
            "memory limit reached: OOM-killing the process with the highest badness"
        );
        account.count_oom_kill();
        // A kernel SIGKILL: it reaches even the container's init.
        send(&t.kernel, Target::Group(&v), SigInfo::kernel(libc::SIGKILL), Origin::Kernel);
        t.kernel.exits.oom_killed(&tag, v.pid.nr_in(tag.pidns()));
        if Arc::ptr_eq(&v, &t.tg) {
            return Err(Errno::ENOMEM);
        }
    }
    // The victim's memory comes back when its address space goes (exit).
    let deadline = Instant::now() + VICTIM_WAIT;
    let _ = t.kernel.exits.wait_for(Some(deadline), || account.fits(need).then_some(()));
    Ok(())
}
