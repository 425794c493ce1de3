//! ptrace(2) between sandboxed processes, and process_vm_readv/writev.
//! The tracer is another process of the sandbox; the sentry's own use of
//! host ptrace (the platform) is unrelated.
//!
//! A tracee's sentry thread enters a ptrace-stop (`stops.rs`) at the points
//! Linux does: syscall entry and exit (after PTRACE_SYSCALL), before a
//! signal is delivered, at a group stop, at PTRACE_EVENT_* points (fork,
//! exec, exit), and on PTRACE_INTERRUPT. While stopped it publishes its
//! registers and FP state in its `PtraceState` and sleeps; the tracer's
//! requests (`requests.rs`) read and change that copy and the tracee's
//! memory, and a resume wakes it, which takes the changed registers back.
//! The tracer's wait4/waitid see tracees' stops and exits (`wait.rs`).

pub mod access;
pub mod regs;
pub mod requests;
pub mod state;
pub mod stops;
pub mod vm;
pub mod wait;

use std::sync::Arc;

use crate::kernel::errno::Errno;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::TaskShared;
use crate::platform::ptrace::ProcessMemory;

/// Access to the memory of another task's address space (its stub
/// process); None before it first ran.
pub fn task_memory(t: &TaskShared) -> Option<ProcessMemory> {
    let (pid, _) = *t.host.lock().unwrap_or_else(|e| e.into_inner());
    (pid > 0).then(|| ProcessMemory::of(pid))
}

/// PTRACE_POKETEXT/POKEDATA: writes even read-only mappings (breakpoints
/// in program text), as Linux's FOLL_FORCE does, through the stub's host
/// `/proc/PID/mem`. EIO where nothing is mapped.
///
/// The forced write is allowed only inside the application's own
/// mappings (the sentry's VMA list): the stub process also holds the
/// stub's code and context region, which no application may change.
pub fn poke(t: &TaskShared, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
    let mem = task_memory(t).ok_or(Errno::EIO)?;
    if mem.write_bytes(addr, bytes).is_ok() {
        return Ok(());
    }
    let end = addr.checked_add(bytes.len() as u64).ok_or(Errno::EIO)?;
    if !covered(&t.tg.mm().vmas(), addr, end) {
        return Err(Errno::EIO);
    }
    let (pid, _) = *t.host.lock().unwrap_or_else(|e| e.into_inner());
    let f = std::fs::OpenOptions::new().write(true).open(format!("/proc/{pid}/mem")).map_err(|_| Errno::EIO)?;
    match std::os::unix::fs::FileExt::write_at(&f, bytes, addr) {
        Ok(n) if n == bytes.len() => Ok(()),
        _ => Err(Errno::EIO),
    }
}

/// Whether the sorted mappings `vmas` cover `[start, end)` without a hole.
fn covered(vmas: &[crate::kernel::mm::Vma], start: u64, end: u64) -> bool {
    let mut at = start;
    for v in vmas {
        if v.end <= at {
            continue;
        }
        if v.start > at {
            return false;
        }
        at = v.end;
        if at >= end {
            return true;
        }
    }
    at >= end
}

/// A thread taking over its process's id in execve replaces its task
/// record: the tracer's list follows.
pub fn replaced(old: &Arc<TaskShared>, new: &Arc<TaskShared>) {
    if let Some(tracer) = new.ptrace.tracer() {
        tracer.tracees.remove(old);
        tracer.tracees.add(new.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::mm::{Backing, Vma};

    fn vma(start: u64, end: u64) -> Vma {
        Vma {
            start,
            end,
            prot: 5,
            flags: libc::MAP_PRIVATE as u32,
            backing: Backing::Anon,
            accounted: false,
            advised: Default::default(),
        }
    }

    #[test]
    fn forced_writes_stay_inside_the_mappings() {
        let v = [vma(0x1000, 0x3000), vma(0x3000, 0x4000), vma(0x6000, 0x7000)];
        assert!(covered(&v, 0x1ff8, 0x2008));
        assert!(covered(&v, 0x2ffc, 0x3004));
        assert!(!covered(&v, 0x3ffc, 0x4004));
        assert!(!covered(&v, 0x5000, 0x5008));
        assert!(covered(&v, 0x6000, 0x6008));
        assert!(!covered(&v, 0x7000, 0x7008));
    }
}
