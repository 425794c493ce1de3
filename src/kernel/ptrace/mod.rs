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
pub fn poke(t: &TaskShared, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
    let mem = task_memory(t).ok_or(Errno::EIO)?;
    if mem.write_bytes(addr, bytes).is_ok() {
        return Ok(());
    }
    let (pid, _) = *t.host.lock().unwrap_or_else(|e| e.into_inner());
    let f = std::fs::OpenOptions::new().write(true).open(format!("/proc/{pid}/mem")).map_err(|_| Errno::EIO)?;
    match std::os::unix::fs::FileExt::write_at(&f, bytes, addr) {
        Ok(n) if n == bytes.len() => Ok(()),
        _ => Err(Errno::EIO),
    }
}

/// A thread taking over its process's id in execve replaces its task
/// record: the tracer's list follows.
pub fn replaced(old: &Arc<TaskShared>, new: &Arc<TaskShared>) {
    if let Some(tracer) = new.ptrace.tracer() {
        tracer.tracees.remove(old);
        tracer.tracees.add(new.clone());
    }
}
