//! ptrace(2) between sandboxed processes, and process_vm_readv/writev.
//! The tracer is another task of the sandbox; the sentry's own use of host
//! ptrace (the platform) is unrelated.

pub mod access;
pub mod vm;

use crate::kernel::task::TaskShared;
use crate::platform::ptrace::ProcessMemory;

/// Access to the memory of another task's address space (its stub
/// process); None before it first ran.
pub fn task_memory(t: &TaskShared) -> Option<ProcessMemory> {
    let (pid, _) = *t.host.lock().unwrap_or_else(|e| e.into_inner());
    (pid > 0).then(|| ProcessMemory::of(pid))
}
