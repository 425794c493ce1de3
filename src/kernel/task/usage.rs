//! Resource usage of processes, as `wait4` and `getrusage(RUSAGE_CHILDREN)`
//! report it: CPU time and peak memory of the stub processes that ran it
//! (every image; see `timer::ProcessTimers`).

/// What a process used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub utime_us: u64,
    pub stime_us: u64,
    /// Peak resident set, in KiB.
    pub maxrss_kb: u64,
}

impl Usage {
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
