//! I/O accounting, `/proc/PID/io` and `/proc/PID/task/TID/io`. Characters
//! and calls are counted as Linux counts them: every read-family call adds
//! one to `syscr` and what it returned to `rchar` (write family likewise;
//! sendfile and copy_file_range are both). Storage I/O (`read_bytes`,
//! `write_bytes`, `cancelled_write_bytes`) is done by the sentry thread
//! that serves the task, so it is that host thread's own accounting.
//! A process's figures hold its exited threads and its reaped children, as
//! Linux's signal_struct does.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use crate::kernel::errno::SysResult;

/// One task's counters, and the host thread serving it.
#[derive(Default)]
pub struct IoCounters {
    rchar: AtomicU64,
    wchar: AtomicU64,
    syscr: AtomicU64,
    syscw: AtomicU64,
    /// The host tid of the sentry thread running the task (0: none yet).
    sentry_tid: AtomicI32,
}

/// A snapshot, in `/proc/PID/io`'s order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoStats {
    pub rchar: u64,
    pub wchar: u64,
    pub syscr: u64,
    pub syscw: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub cancelled_write_bytes: u64,
}

impl IoCounters {
    /// Counts a finished syscall.
    pub fn account(&self, nr: u64, result: &SysResult) {
        let n = *result.as_ref().unwrap_or(&0);
        let (read, write) = match nr as i64 {
            libc::SYS_read | libc::SYS_readv | libc::SYS_pread64 | libc::SYS_preadv | libc::SYS_preadv2 => {
                (true, false)
            }
            libc::SYS_write | libc::SYS_writev | libc::SYS_pwrite64 | libc::SYS_pwritev | libc::SYS_pwritev2 => {
                (false, true)
            }
            libc::SYS_sendfile | libc::SYS_copy_file_range => (true, true),
            _ => return,
        };
        if read {
            self.syscr.fetch_add(1, Ordering::Relaxed);
            self.rchar.fetch_add(n, Ordering::Relaxed);
        }
        if write {
            self.syscw.fetch_add(1, Ordering::Relaxed);
            self.wchar.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Records the calling host thread as the one serving the task.
    pub fn set_sentry_thread(&self) {
        // SAFETY: gettid has no arguments and cannot fail.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as i32;
        self.sentry_tid.store(tid, Ordering::Relaxed);
    }

    /// The host tid of the sentry thread serving the task (0: none yet).
    pub fn sentry_tid(&self) -> i32 {
        self.sentry_tid.load(Ordering::Relaxed)
    }

    /// The counts now.
    pub fn snapshot(&self) -> IoStats {
        IoStats {
            rchar: self.rchar.load(Ordering::Relaxed),
            wchar: self.wchar.load(Ordering::Relaxed),
            syscr: self.syscr.load(Ordering::Relaxed),
            syscw: self.syscw.load(Ordering::Relaxed),
            ..host_storage_io(self.sentry_tid.load(Ordering::Relaxed))
        }
    }

    /// The same counts for the record that replaces this one (exec by a
    /// thread that takes over the leader's id): the same sentry thread
    /// serves it, so its storage I/O goes on from the host's figures.
    pub fn carry(&self) -> IoCounters {
        let copy = |a: &AtomicU64| AtomicU64::new(a.load(Ordering::Relaxed));
        IoCounters {
            rchar: copy(&self.rchar),
            wchar: copy(&self.wchar),
            syscr: copy(&self.syscr),
            syscw: copy(&self.syscw),
            sentry_tid: AtomicI32::new(self.sentry_tid.load(Ordering::Relaxed)),
        }
    }
}

impl IoStats {
    pub fn add(&mut self, o: &IoStats) {
        self.rchar += o.rchar;
        self.wchar += o.wchar;
        self.syscr += o.syscr;
        self.syscw += o.syscw;
        self.read_bytes += o.read_bytes;
        self.write_bytes += o.write_bytes;
        self.cancelled_write_bytes += o.cancelled_write_bytes;
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for (k, v) in [
            ("rchar", self.rchar),
            ("wchar", self.wchar),
            ("syscr", self.syscr),
            ("syscw", self.syscw),
            ("read_bytes", self.read_bytes),
            ("write_bytes", self.write_bytes),
            ("cancelled_write_bytes", self.cancelled_write_bytes),
        ] {
            let _ = writeln!(s, "{k}: {v}");
        }
        s
    }
}

/// The storage I/O fields of host thread `tid` of this process.
fn host_storage_io(tid: i32) -> IoStats {
    if tid == 0 {
        return IoStats::default();
    }
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/io")).unwrap_or_default();
    let get = |key: &str| -> u64 {
        text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(": ")?.trim().parse().ok()).unwrap_or(0)
    };
    IoStats {
        read_bytes: get("read_bytes"),
        write_bytes: get("write_bytes"),
        cancelled_write_bytes: get("cancelled_write_bytes"),
        ..Default::default()
    }
}
