//! Resource usage of processes, as `wait4` and `getrusage(RUSAGE_CHILDREN)`
//! report it: CPU time and peak memory of the stub process that ran it.

/// What a process used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub utime_us: u64,
    pub stime_us: u64,
    /// Peak resident set, in KiB.
    pub maxrss_kb: u64,
}

impl Usage {
    /// The usage of host process `pid` so far (a stub), from its CPU clock
    /// and `/proc/<pid>/{stat,status}`.
    pub fn of_host_process(pid: i32) -> Usage {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes one timespec into our local; the
        // clock id names the CPU clock of process `pid`.
        let total_us = if unsafe { libc::clock_gettime((!pid << 3) | 2, &mut ts) } == 0 {
            ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
        } else {
            0
        };
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
        let stime_us = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                // Fields after the parenthesised command name: stime is the 15th field.
                let rest = &s[s.rfind(')')? + 2..];
                rest.split_whitespace().nth(12)?.parse::<u64>().ok()
            })
            .map(|ticks| ticks * 1_000_000 / hz)
            .unwrap_or(0)
            .min(total_us);
        let maxrss_kb = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0);
        Usage { utime_us: total_us - stime_us, stime_us, maxrss_kb }
    }

    /// Adds `other` (times add up; the peak is the larger one).
    pub fn add(&mut self, other: Usage) {
        self.utime_us += other.utime_us;
        self.stime_us += other.stime_us;
        self.maxrss_kb = self.maxrss_kb.max(other.maxrss_kb);
    }

    /// The 144-byte `struct rusage` (other fields zero).
    pub fn to_rusage(self) -> [u8; 144] {
        let mut b = [0u8; 144];
        let tv = |us: u64| ((us / 1_000_000).to_ne_bytes(), (us % 1_000_000).to_ne_bytes());
        let (s, u) = tv(self.utime_us);
        b[0..8].copy_from_slice(&s);
        b[8..16].copy_from_slice(&u);
        let (s, u) = tv(self.stime_us);
        b[16..24].copy_from_slice(&s);
        b[24..32].copy_from_slice(&u);
        b[32..40].copy_from_slice(&self.maxrss_kb.to_ne_bytes());
        b
    }
}
