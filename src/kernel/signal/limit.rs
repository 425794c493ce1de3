//! RLIMIT_SIGPENDING: how many signal records may wait, queued, for the
//! processes of one real user. Past the limit a real-time signal gets no
//! record, as in Linux (`__send_signal_locked`, checked natively on 6.18):
//! one from sigqueue, tgkill, a message queue or SIGIO (a negative
//! si_code) is refused, EAGAIN for the sender; one from `kill` or the
//! kernel is still pending but its information is lost, so a second
//! instance of a signal already pending adds nothing. Standard signals
//! are pending at most once anyway. POSIX timers' signals are exempt:
//! Linux allocates their record with the timer.

use std::sync::Arc;

use super::{SigInfo, SIGRTMIN, SI_TIMER};
use crate::kernel::task::ThreadGroup;
use crate::kernel::Kernel;

/// The records queued now for every task of real user `ruid` (status's
/// SigQ shows it).
pub fn queued_for_user(k: &Kernel, ruid: u32) -> u64 {
    let groups: Vec<Arc<ThreadGroup>> = k.procs().groups_in(&k.root_pidns).cloned().collect();
    let mut queued = 0u64;
    for g in groups {
        if g.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid != ruid {
            continue;
        }
        queued += g.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.queued() as u64;
        for t in g.task_list() {
            queued += t.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.queued() as u64;
        }
    }
    queued
}

/// The limit of process `tg` (its RLIMIT_SIGPENDING).
pub fn limit_of(tg: &ThreadGroup) -> u64 {
    tg.rlimits.lock().unwrap_or_else(|e| e.into_inner())[libc::RLIMIT_SIGPENDING as usize].cur
}

/// True when a real-time `info` for process `tg` finds its user at the
/// limit (it gets no record of its own). Call without any signal lock held.
pub fn over_limit(k: &Kernel, tg: &ThreadGroup, info: &SigInfo) -> bool {
    if info.signo() < SIGRTMIN || info.code() == SI_TIMER {
        return false;
    }
    let ruid = tg.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
    queued_for_user(k, ruid) >= limit_of(tg)
}
