//! A task's view of its address-space limits and of its stacks, which grow
//! down on demand (`mm/stack.rs`): on a fault below one, before a signal
//! frame is written below one, and before a syscall whose stack pointer
//! has gone below one, so the sentry's copies to the caller's stack
//! buffers (which lie above its stack pointer) find them mapped, as
//! Linux's copies would fault the pages in.

use super::Task;
use crate::kernel::mm::VmLimits;

/// The part below the stack pointer a leaf function may use (x86-64 ABI).
pub const RED_ZONE: u64 = 128;

impl Task {
    /// The caller's RLIMIT_AS and RLIMIT_DATA.
    pub fn vm_limits(&self) -> VmLimits {
        VmLimits { address_space: self.rlimit(libc::RLIMIT_AS), data: self.rlimit(libc::RLIMIT_DATA) }
    }

    /// Grows a stack down to `addr` if `addr` lies in the room below the
    /// main stack or in a thread stack's untouched part; true if it did.
    /// Past RLIMIT_STACK, RLIMIT_AS or the mapping below, the main stack
    /// does not (the touch then faults, as in Linux); a charge over the
    /// container's limit calls the OOM killer first.
    pub fn grow_stack_to(&mut self, addr: u64) -> bool {
        // Every syscall asks: look without cloning the address space.
        if !self.tg.mm.lock().unwrap_or_else(|e| e.into_inner()).stack_grows_for(addr) {
            return false;
        }
        let mm = self.mm();
        let max_size = self.rlimit(libc::RLIMIT_STACK);
        let limits = self.vm_limits();
        let grown = crate::kernel::oom::retry_after_oom(self, |t| mm.grow_stack(&mut t.thread, addr, max_size, limits));
        match grown {
            Ok(grown) => grown,
            Err(e) => {
                tracing::debug!(tid = self.tid, addr, ?e, "the stack cannot grow");
                false
            }
        }
    }

    /// Before a syscall: the stack reaches down to the caller's red zone.
    pub fn reach_stack_pointer(&mut self) {
        self.grow_stack_to(self.regs.rsp.wrapping_sub(RED_ZONE));
    }
}
