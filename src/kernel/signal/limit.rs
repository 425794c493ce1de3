//! RLIMIT_SIGPENDING: how many signal records may wait, queued, for the
//! processes of one real user. Past the limit a real-time signal gets no
//! record, as in Linux (`__send_signal_locked`, checked natively on 6.18):
//! one from sigqueue, tgkill, a message queue or SIGIO (a negative
//! si_code) is refused, EAGAIN for the sender; one from `kill` or the
//! kernel is still pending but its information is lost, so a second
//! instance of a signal already pending adds nothing. Standard signals
//! are pending at most once anyway. A POSIX timer holds one record from
//! its creation to its deletion, as Linux allocates it with the timer:
//! it counts whether queued or not, so timer_create is EAGAIN at the
//! limit, and its signals are never refused (`Origin::Timer`).

use std::sync::Arc;

use super::{SigInfo, SIGRTMIN};
use crate::kernel::task::ThreadGroup;
use crate::kernel::Kernel;

/// The records of real user `ruid`: queued now for any of its tasks, or
/// held by its POSIX timers (status's SigQ shows it).
pub fn queued_for_user(k: &Kernel, ruid: u32) -> u64 {
    let groups: Vec<Arc<ThreadGroup>> = k.procs().groups_in(&k.root_pidns).cloned().collect();
    let mut queued = 0u64;
    for g in groups {
        if g.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid != ruid {
            continue;
        }
        queued += g.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.queued() as u64;
        queued += g.timers.reserved_records();
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
/// limit (it gets no record of its own). Call without any signal or timer
/// lock held.
pub fn over_limit(k: &Kernel, tg: &ThreadGroup, info: &SigInfo) -> bool {
    info.signo() >= SIGRTMIN && at_limit(k, tg)
}

/// True when the real user of `tg` has as many records as `tg`'s limit
/// allows (a new timer is EAGAIN). Call without any signal or timer lock.
pub fn at_limit(k: &Kernel, tg: &ThreadGroup) -> bool {
    let ruid = tg.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
    queued_for_user(k, ruid) >= limit_of(tg)
}
