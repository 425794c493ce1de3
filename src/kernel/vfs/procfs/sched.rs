//! Scheduling figures of `/proc/<pid>`: `wchan`, `schedstat`, and the
//! `SigQ` and context-switch lines of `status`.
//!
//! What the sentry can see of a task's scheduling: its sleeps (every wait
//! in `wait::block_until`, counted by its `Waker`), and the host's figures
//! for the two host threads that carry it, the stub thread running its
//! code and the sentry thread serving its syscalls.

use std::sync::Arc;

use crate::kernel::ptrace::access::{may_access_as, CallerIds};
use crate::kernel::task::{TaskShared, ThreadGroup};
use crate::kernel::Kernel;

/// The thread a file of a process or thread directory speaks of: Linux
/// shows the leader's figures in a process directory.
fn thread_of(tg: &ThreadGroup, task: Option<&Arc<TaskShared>>) -> Option<Arc<TaskShared>> {
    task.cloned().or_else(|| tg.main_thread())
}

/// A number from a host `status` line `key:\tN`.
fn host_status_figure(path: &str, key: &str) -> u64 {
    let text = super::host_read::read_host(path);
    text.lines().find_map(|l| l.strip_prefix(key)?.trim().parse().ok()).unwrap_or(0)
}

/// (voluntary, nonvoluntary) context switches of a thread, as `status`
/// shows them. Voluntary: the sleeps it went into waiting for an event
/// (a pipe, a futex, a child, a timer...), where Linux would schedule it
/// out; a wait the sentry serves without sleeping (a short spin on a
/// pipe, data already there) is not one, and neither are the platform's
/// own stops of the stub at each syscall, which Linux does not have.
/// Nonvoluntary: the host's preemptions of the stub thread running the
/// task's code and of the sentry thread serving its syscalls.
pub fn ctxt_switches(t: &TaskShared) -> (u64, u64) {
    let (pid, tid) = *t.host.lock().unwrap_or_else(|e| e.into_inner());
    let key = "nonvoluntary_ctxt_switches:";
    let mut nonvoluntary = 0;
    if pid > 0 {
        nonvoluntary += host_status_figure(&format!("/proc/{pid}/task/{tid}/status"), key);
    }
    let sentry = t.io.sentry_tid();
    if sentry > 0 {
        nonvoluntary += host_status_figure(&format!("/proc/self/task/{sentry}/status"), key);
    }
    (t.waker.sleeps(), nonvoluntary)
}

/// `status`'s SigQ: the signals queued for every task of the process's
/// real user (what Linux charges against RLIMIT_SIGPENDING) and that limit.
pub fn sigq(k: &Kernel, tg: &ThreadGroup) -> (u64, u64) {
    use crate::kernel::signal::limit;
    let ruid = tg.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
    (limit::queued_for_user(k, ruid), limit::limit_of(tg))
}

/// `schedstat`: time on a CPU (ns), time waiting on a run queue (ns) and
/// time slices of the stub thread running the task's code, the host's own
/// figures; zeros before it first ran.
pub fn schedstat(tg: &ThreadGroup, task: Option<&Arc<TaskShared>>) -> Vec<u8> {
    let host = thread_of(tg, task).map(|t| *t.host.lock().unwrap_or_else(|e| e.into_inner()));
    let text = match host {
        Some((pid, tid)) if pid > 0 => std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/schedstat")).ok(),
        _ => None,
    };
    let figures: Vec<u64> =
        text.as_deref().unwrap_or("").split_whitespace().filter_map(|f| f.parse().ok()).take(3).collect();
    match figures[..] {
        [run, wait, slices] => format!("{run} {wait} {slices}\n").into_bytes(),
        _ => b"0 0 0\n".to_vec(),
    }
}

/// `wchan`: where a sleeping thread waits, as Linux names the kernel
/// function, or "0" (no newline, as Linux). Linux shows the name only to a
/// reader with PTRACE_MODE_READ over the thread, else "0", and "0" for a
/// running thread. The sentry names only sleeps whose Linux function has
/// kept its name across kernel versions; every other sleep reads "0"
/// rather than a guess (Linux's names of most waits change with the
/// version and the compiler: `anon_pipe_read`, `poll_schedule_timeout.constprop.0`).
pub fn wchan(tg: &ThreadGroup, task: Option<&Arc<TaskShared>>, zombie: bool) -> Vec<u8> {
    let Some(t) = thread_of(tg, task).filter(|_| !zombie) else {
        return b"0".to_vec();
    };
    let reader = crate::kernel::wait::current();
    let traced_stop = t.ptrace.lock().as_ref().is_some_and(|x| x.stop.is_some());
    if !reader.is_some_and(|r| may_access_as(&r.tg, &t, CallerIds::Fs)) || traced_stop {
        return b"0".to_vec();
    }
    // A group stop is reported to the parent as it begins, before each
    // thread has reached its stop (Linux reports once all have): every
    // thread of a stopped group runs no more user code, so it is in
    // do_signal_stop as far as any reader can tell.
    if tg.sig.lock().unwrap_or_else(|e| e.into_inner()).stopped.is_some() {
        return b"do_signal_stop".to_vec();
    }
    if t.parked.load(std::sync::atomic::Ordering::SeqCst) {
        return b"do_freezer_trap".to_vec();
    }
    if !t.waker.asleep() {
        return b"0".to_vec();
    }
    let name = match t.current_syscall().map(|s| s.nr as i64) {
        Some(libc::SYS_nanosleep | libc::SYS_clock_nanosleep) => "hrtimer_nanosleep",
        Some(libc::SYS_wait4 | libc::SYS_waitid) => "do_wait",
        Some(libc::SYS_epoll_wait | libc::SYS_epoll_pwait | libc::SYS_epoll_pwait2) => "do_epoll_wait",
        _ => "0",
    };
    name.as_bytes().to_vec()
}
