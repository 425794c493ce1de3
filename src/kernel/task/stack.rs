//! A task's view of its address-space limits and of its stacks, which grow
//! down on demand (`mm/stack.rs`): on a fault below one, before a signal
//! frame is written below one, before a syscall whose stack pointer has
//! gone below one (the caller's stack buffers lie above it), and when a
//! copy of the sentry's touches a stack's room (`usermem.rs`), as Linux's
//! copies fault the pages in.

use super::Task;
use crate::kernel::mm::VmLimits;

/// The part below the stack pointer a leaf function may use (x86-64 ABI).
pub const RED_ZONE: u64 = 128;

/// The most stack growths one failed copy asks for.
const GROW_ROUNDS: usize = 4;

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
    pub fn grow_stack_to(&self, addr: u64) -> bool {
        // Every syscall asks: look without cloning the address space.
        if !self.tg.mm.lock().unwrap_or_else(|e| e.into_inner()).stack_grows_for(addr) {
            return false;
        }
        let mm = self.mm();
        let max_size = self.rlimit(libc::RLIMIT_STACK);
        let limits = self.vm_limits();
        let grown = crate::kernel::oom::retry_after_oom(self, |t| mm.grow_stack(&t.thread, addr, max_size, limits));
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

    /// After a copy to or from `[addr, addr + len)` failed: grows the stacks
    /// whose room the range touches, lowest first; true if any grew (the
    /// copy is worth trying again). Only the failure path comes here.
    pub fn grow_stacks_in(&self, addr: u64, len: u64) -> bool {
        let end = addr.saturating_add(len);
        let mm = self.mm();
        let mut grew = false;
        // Each growth takes its range out of the hint; a range meets few
        // stacks (two untouched parts of one thread stack at most, in
        // practice), so a few rounds are plenty.
        for _ in 0..GROW_ROUNDS {
            match mm.stack_room_in(addr, end) {
                Some(at) if self.grow_stack_to(at) => grew = true,
                _ => break,
            }
        }
        grew
    }

    /// How many bytes from `addr` (up to `len`) the task can write without
    /// a hole (a read(2) checks its buffer so before consuming data): a
    /// buffer starting in the room below the main stack grows the stack
    /// first, as Linux's copy would; thread stacks' untouched parts count
    /// as mapped already (the copy grows them).
    pub fn writable_extent(&self, addr: u64, len: u64) -> u64 {
        let mm = self.mm();
        match mm.writable_extent(addr, len) {
            0 if self.grow_stack_to(addr) => mm.writable_extent(addr, len),
            n => n,
        }
    }
}
