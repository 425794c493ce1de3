//! A task's copies to and from its own memory. They fail where the
//! application could not touch memory, except that the untouched room of a
//! stack (`mm/stack.rs`: the main stack's reserve, a thread stack's lazy
//! part) is inaccessible in the stub until the stack grows: a failed copy
//! that touches such room grows the stack and runs again, as Linux's
//! copies fault the pages in (and grow a `VM_GROWSDOWN` stack) and go on.
//! Growing before copying again keeps a syscall's effects whole: the data
//! a read(2) took from a pipe is copied out, not lost. The common path is
//! the plain copy; only a failure looks at the stacks.

use super::Task;
use crate::kernel::errno::Errno;
use crate::kernel::mm::usermem::UserMemory;
use crate::platform::ptrace::ProcessMemory;

/// The calling task's memory (`Task::mem`).
pub struct TaskMemory<'a> {
    task: &'a Task,
    mem: ProcessMemory,
}

impl<'a> TaskMemory<'a> {
    /// The memory of `task`'s address space, seen by `task`.
    pub fn new(task: &'a Task) -> TaskMemory<'a> {
        TaskMemory { task, mem: task.thread.memory() }
    }

    /// After a copy over `ranges` failed with `e`: whether it is worth
    /// running again, a stack having grown over one of them.
    fn grew_over(&self, e: Errno, ranges: impl Iterator<Item = (u64, usize)>) -> bool {
        // Every range gets its growth: one copy may touch several stacks.
        e == Errno::EFAULT && ranges.fold(false, |grew, (addr, len)| self.task.grow_stacks_in(addr, len as u64) | grew)
    }
}

impl UserMemory for TaskMemory<'_> {
    fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        match self.mem.read_bytes(addr, buf) {
            Err(e) if self.grew_over(e, std::iter::once((addr, buf.len()))) => self.mem.read_bytes(addr, buf),
            r => r,
        }
    }

    fn write_bytes(&self, addr: u64, buf: &[u8]) -> Result<(), Errno> {
        match self.mem.write_bytes(addr, buf) {
            Err(e) if self.grew_over(e, std::iter::once((addr, buf.len()))) => self.mem.write_bytes(addr, buf),
            r => r,
        }
    }

    fn read_many(&self, parts: &mut [(u64, &mut [u8])]) -> Result<(), Errno> {
        match self.mem.read_many(parts) {
            Err(e) if self.grew_over(e, parts.iter().map(|(a, b)| (*a, b.len()))) => self.mem.read_many(parts),
            r => r,
        }
    }

    fn write_many(&self, parts: &[(u64, &[u8])]) -> Result<(), Errno> {
        match self.mem.write_many(parts) {
            Err(e) if self.grew_over(e, parts.iter().map(|(a, b)| (*a, b.len()))) => self.mem.write_many(parts),
            r => r,
        }
    }
}
