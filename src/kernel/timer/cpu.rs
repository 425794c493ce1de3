//! CPU time of processes and threads: the host's accounting of the stub
//! processes and threads that run application code, and Linux's split of
//! it into user and system time.

use super::{host_clock_ns, lock, NSEC_PER_SEC};
use crate::kernel::task::ThreadGroup;

/// Raw CPU clocks of a process, in nanoseconds, as Linux keeps them: user
/// time and user+system time sampled at ticks, and the precise total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawCpu {
    /// User time (`CPUCLOCK_VIRT`).
    pub virt: u64,
    /// User plus system time (`CPUCLOCK_PROF`).
    pub prof: u64,
    /// Precise run time (`CPUCLOCK_SCHED`).
    pub sched: u64,
}

impl std::ops::Add for RawCpu {
    type Output = RawCpu;
    fn add(self, o: RawCpu) -> RawCpu {
        RawCpu { virt: self.virt + o.virt, prof: self.prof + o.prof, sched: self.sched + o.sched }
    }
}

/// Which of the CPU clocks a timer measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuClock {
    /// User plus system time (ITIMER_PROF, `CPUCLOCK_PROF`).
    Prof,
    /// User time (ITIMER_VIRTUAL, `CPUCLOCK_VIRT`).
    Virt,
    /// Precise run time (`CLOCK_*_CPUTIME_ID`, `CPUCLOCK_SCHED`).
    Sched,
}

impl CpuClock {
    /// The clock of a `CPUCLOCK_*` number (the low two bits of a CPU clock id).
    pub fn from_bits(bits: i32) -> Option<CpuClock> {
        match bits {
            0 => Some(CpuClock::Prof),
            1 => Some(CpuClock::Virt),
            2 => Some(CpuClock::Sched),
            _ => None,
        }
    }

    pub(super) fn pick(self, raw: RawCpu) -> u64 {
        match self {
            CpuClock::Prof => raw.prof,
            CpuClock::Virt => raw.virt,
            CpuClock::Sched => raw.sched,
        }
    }
}

/// User and system time, split as Linux reports it (`times`, `getrusage`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub user_ns: u64,
    pub system_ns: u64,
}

/// The raw CPU clocks of host process `pid` (one of our stubs).
pub(super) fn host_process_cpu(pid: i32) -> Option<RawCpu> {
    let id = |kind: i32| (!pid << 3) | kind;
    Some(RawCpu { prof: host_clock_ns(id(0))?, virt: host_clock_ns(id(1))?, sched: host_clock_ns(id(2))? })
}

/// The raw CPU clocks of host thread `tid` of stub process `pid`. The host
/// lets a process read only its own threads' clocks, so this reads
/// `/proc/<pid>/task/<tid>/{schedstat,stat}` (user and system time there are
/// in USER_HZ ticks).
pub fn host_thread_cpu(pid: i32, tid: i32) -> Option<RawCpu> {
    let dir = format!("/proc/{pid}/task/{tid}");
    let sched = read_host_proc(&format!("{dir}/schedstat"))?;
    let sched: u64 = sched.split_whitespace().next()?.parse().ok()?;
    let stat = host_stat_fields(&format!("{dir}/stat"))?;
    let tick = NSEC_PER_SEC / 100;
    let utime = stat.get(14 - 3)?.parse::<u64>().ok()? * tick;
    let stime = stat.get(15 - 3)?.parse::<u64>().ok()? * tick;
    Some(RawCpu { virt: utime, prof: utime + stime, sched })
}

/// A host /proc file in one read (`procfs::host_read`); None if empty.
fn read_host_proc(path: &str) -> Option<String> {
    Some(crate::kernel::vfs::procfs::host_read::read_host(path)).filter(|s| !s.is_empty())
}

/// The fields of a `/proc/.../stat` line after the command name: index 0 is
/// field 3 of proc(5) (`state`).
pub fn host_stat_fields(path: &str) -> Option<Vec<String>> {
    let s = read_host_proc(path)?;
    let rest = &s[s.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// The peak resident set (`VmHWM`, KiB) of host process `pid`.
pub fn host_maxrss_kb(pid: i32) -> Option<u64> {
    let s = read_host_proc(&format!("/proc/{pid}/status"))?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Splits raw CPU time into user and system time the way Linux's
/// `cputime_adjust` does: the precise total divided in the ratio of the
/// tick samples, never going backwards from `prev`.
pub fn cputime_adjust(raw: RawCpu, prev: &mut CpuTimes) -> CpuTimes {
    let rtime = raw.sched;
    if prev.user_ns + prev.system_ns >= rtime {
        return *prev;
    }
    let utime = raw.virt;
    let stime = raw.prof.saturating_sub(raw.virt);
    let mut stime = if stime == 0 {
        0
    } else if utime == 0 {
        rtime
    } else {
        ((stime as u128 * rtime as u128) / (stime as u128 + utime as u128)).min(rtime as u128) as u64
    };
    stime = stime.max(prev.system_ns);
    let mut utime = rtime - stime;
    if utime < prev.user_ns {
        utime = prev.user_ns;
        stime = rtime - utime;
    }
    *prev = CpuTimes { user_ns: utime, system_ns: stime };
    *prev
}

/// CPU accounting of a process beyond its live stub. Guarded by
/// `ProcessTimers::cpu`.
#[derive(Debug, Default)]
pub(super) struct CpuAccount {
    /// Raw CPU time of the stub processes the process has left (exec, exit).
    pub(super) base: RawCpu,
    /// The last stub folded into `base`: not sampled again.
    pub(super) retired: i32,
    /// The last split reported (`cputime_adjust` keeps it monotonic).
    pub(super) prev: CpuTimes,
    /// Peak resident set of the stubs left behind, KiB.
    pub(super) maxrss_kb: u64,
}

/// The host pid of the stub process running `tg`, if it has a live task.
pub(super) fn stub_pid(tg: &ThreadGroup) -> Option<i32> {
    let first = tg.task_list().into_iter().next()?;
    let (pid, _) = *lock(&first.host);
    (pid > 0).then_some(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cputime_split_is_monotonic() {
        let mut prev = CpuTimes::default();
        let raw = RawCpu { virt: 30, prof: 40, sched: 100 };
        let t = cputime_adjust(raw, &mut prev);
        assert_eq!(t.user_ns + t.system_ns, 100);
        assert_eq!(t.system_ns, 25);
        // The total grew but the samples now favour system time: neither
        // part goes backwards.
        let raw = RawCpu { virt: 30, prof: 130, sched: 110 };
        let t2 = cputime_adjust(raw, &mut prev);
        assert!(t2.user_ns >= t.user_ns && t2.system_ns >= t.system_ns);
        assert_eq!(t2.user_ns + t2.system_ns, 110);
    }
}
