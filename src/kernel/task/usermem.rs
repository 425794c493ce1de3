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

    /// Runs `copy` once more if it failed with EFAULT and a stack grew over
    /// one of `ranges`.
    fn again<T>(
        &self,
        ranges: impl Iterator<Item = (u64, usize)>,
        mut copy: impl FnMut() -> Result<T, Errno>,
    ) -> Result<T, Errno> {
        match copy() {
            Err(e) if e == Errno::EFAULT => {
                let mut grew = false;
                for (addr, len) in ranges {
                    grew |= self.task.grow_stacks_in(addr, len as u64);
                }
                if grew {
                    copy()
                } else {
                    Err(e)
                }
            }
            r => r,
        }
    }
}

impl UserMemory for TaskMemory<'_> {
    fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let len = buf.len();
        self.again(std::iter::once((addr, len)), || self.mem.read_bytes(addr, buf))
    }

    fn write_bytes(&self, addr: u64, buf: &[u8]) -> Result<(), Errno> {
        self.again(std::iter::once((addr, buf.len())), || self.mem.write_bytes(addr, buf))
    }

    fn read_many(&self, parts: &mut [(u64, &mut [u8])]) -> Result<(), Errno> {
        let ranges: Vec<(u64, usize)> = parts.iter().map(|(a, b)| (*a, b.len())).collect();
        self.again(ranges.into_iter(), || self.mem.read_many(parts))
    }

    fn write_many(&self, parts: &[(u64, &[u8])]) -> Result<(), Errno> {
        self.again(parts.iter().map(|(a, b)| (*a, b.len())), || self.mem.write_many(parts))
    }
}
