//! The general registers of x86_64's `struct sigcontext` (a signal frame's
//! mcontext), in its order: r8-r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp,
//! rip, eflags. Both the sentry's own signal frames and systrap's host frames
//! carry them.

use super::Regs;

/// How many 8-byte registers lead `struct sigcontext`.
pub const GREGS: usize = 18;

/// `r`'s registers in sigcontext order.
pub fn gregs(r: &Regs) -> [u64; GREGS] {
    [
        r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rdi, r.rsi, r.rbp, r.rbx, r.rdx, r.rax, r.rcx, r.rsp,
        r.rip, r.eflags,
    ]
}

/// Sets `r`'s registers from sigcontext order, eflags included (callers
/// that restore an application's frame mask it themselves).
pub fn set_gregs(r: &mut Regs, g: &[u64; GREGS]) {
    [
        r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rdi, r.rsi, r.rbp, r.rbx, r.rdx, r.rax, r.rcx, r.rsp,
        r.rip, r.eflags,
    ] = *g;
}

/// The registers at the start of `bytes` (a sigcontext), in order.
pub fn parse(bytes: &[u8]) -> [u64; GREGS] {
    let mut g = [0u64; GREGS];
    for (w, c) in g.iter_mut().zip(bytes.chunks_exact(8)) {
        *w = u64::from_ne_bytes(c.try_into().unwrap_or_default());
    }
    g
}
