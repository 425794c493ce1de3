//! RLIMIT_CPU, enforced as Linux's `check_process_timers` does: once the
//! process's CPU time (all threads, user plus system) reaches the soft
//! limit it gets SIGXCPU and the soft limit moves one second up, so SIGXCPU
//! comes again every CPU second; at the hard limit it gets SIGKILL. An
//! infinite soft limit turns the check off (the hard limit too, as in
//! Linux).
//!
//! The check is one more timer of the process on a CPU clock, polled by
//! the timer service like ITIMER_PROF. Linux measures the limit on the
//! tick-sampled PROF clock; we use the precise run time of the stubs
//! (`CPUCLOCK_SCHED`) instead: a stub that keeps stopping for the sentry
//! is often not the one running when the host's tick samples, so its PROF
//! clock falls well behind the CPU time the program itself reads
//! (`CLOCK_PROCESS_CPUTIME_ID`, `getrusage`), which would let it run past
//! its limit. It is (re)armed when the process
//! starts with a finite limit (a forked child inherits the limit and counts
//! from zero) and whenever `prlimit64` changes the limit; `execve` keeps it.

use std::sync::Arc;

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{
    instant_in, lock, CpuClock, Notify, ProcessTimers, Timer, TimerClock, TimerState, MIN_REFIRE, NSEC_PER_SEC,
};
use crate::kernel::signal::send::{send, Origin, Target};
use crate::kernel::signal::SigInfo;
use crate::kernel::task::{Rlimit, ThreadGroup, RLIM_INFINITY};
use crate::kernel::Kernel;

/// A limit in seconds as nanoseconds of CPU time (None: infinite).
fn limit_ns(secs: u64) -> Option<u64> {
    (secs != RLIM_INFINITY).then(|| secs.saturating_mul(NSEC_PER_SEC))
}

/// The CPU time at which the check must next look: the soft limit, or the
/// hard one if lower. None when the soft limit is infinite.
fn next_check(lim: Rlimit) -> Option<u64> {
    let soft = limit_ns(lim.cur)?;
    Some(limit_ns(lim.max).map_or(soft, |hard| soft.min(hard)))
}

fn cpu_limit(tg: &ThreadGroup) -> Rlimit {
    lock(&tg.rlimits)[libc::RLIMIT_CPU as usize]
}

impl ProcessTimers {
    /// Arms the RLIMIT_CPU check of `tg` for its current limit (at start and
    /// after `prlimit64` changed it). Call it without `tg.rlimits` held.
    pub fn update_rlimit_cpu(&self, kernel: &Arc<Kernel>, tg: &Arc<ThreadGroup>) {
        let lim = cpu_limit(tg);
        let timer = {
            let mut t = lock(&self.table);
            if lim.cur == RLIM_INFINITY && t.rlimit_cpu.is_none() {
                return;
            }
            t.rlimit_cpu
                .get_or_insert_with(|| {
                    Timer::new(tg, TimerClock::Process(Arc::downgrade(tg), CpuClock::Sched), Notify::RlimitCpu)
                })
                .clone()
        };
        timer.arm_rlimit_cpu(kernel, lim);
    }
}

impl Timer {
    /// Arms the check to look when the process's CPU time reaches `lim`.
    fn arm_rlimit_cpu(self: &Arc<Self>, kernel: &Arc<Kernel>, lim: Rlimit) {
        let mut st = lock(&self.st);
        self.disarm_locked(&mut st);
        let (Some(next), Some(now)) = (next_check(lim), self.clock.now()) else {
            return;
        };
        st.next = Some(next);
        let gen = self.gen.load(Ordering::Acquire);
        let at = instant_in(self.clock.wake_in(next.saturating_sub(now)));
        kernel.timers.schedule(kernel, at, self, gen);
    }

    /// The check came due at CPU time `now`: signals as Linux does and
    /// returns when to look again (None: the check is over).
    pub(super) fn expire_rlimit_locked(
        &self,
        kernel: &Kernel,
        tg: &Arc<ThreadGroup>,
        st: &mut TimerState,
        now: u64,
    ) -> Option<Instant> {
        let lim = cpu_limit(tg);
        let Some(mut soft) = limit_ns(lim.cur) else {
            self.disarm_locked(st);
            return None;
        };
        let hard = limit_ns(lim.max);
        if hard.is_some_and(|h| now >= h) {
            // A kernel-generated SIGKILL reaches even the container's init.
            send(kernel, Target::Group(tg), SigInfo::kernel(libc::SIGKILL), Origin::Kernel);
            self.disarm_locked(st);
            return None;
        }
        if now >= soft {
            // The soft limit moves one second up before the signal is sent,
            // so a handler's getrlimit sees the new value, as in Linux.
            lock(&tg.rlimits)[libc::RLIMIT_CPU as usize].cur = lim.cur.saturating_add(1);
            soft = soft.saturating_add(NSEC_PER_SEC);
            send(kernel, Target::Group(tg), SigInfo::kernel(libc::SIGXCPU), Origin::Kernel);
        }
        let next = hard.map_or(soft, |h| soft.min(h));
        st.next = Some(next);
        Some(instant_in(self.clock.wake_in(next.saturating_sub(now)).max(MIN_REFIRE)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_check_is_the_lower_finite_limit() {
        let l = |cur, max| Rlimit { cur, max };
        assert_eq!(next_check(l(1, 3)), Some(NSEC_PER_SEC));
        assert_eq!(next_check(l(5, 3)), Some(3 * NSEC_PER_SEC));
        assert_eq!(next_check(l(2, RLIM_INFINITY)), Some(2 * NSEC_PER_SEC));
        // An infinite soft limit turns the check off, hard limit or not.
        assert_eq!(next_check(l(RLIM_INFINITY, 3)), None);
        assert_eq!(next_check(l(u64::MAX - 1, RLIM_INFINITY)), Some(u64::MAX));
    }
}
