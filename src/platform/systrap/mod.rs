//! The systrap platform: application syscalls trap without ptrace.
//!
//! An address space is still a host stub process, but nothing traces it.
//! Its first thread is the *command thread*: it runs only stub code and
//! performs the address-space changes the sentry asks for (mmap, munmap,
//! mprotect, new threads, fork) from a command page the stub may only read.
//! Every application thread runs under a seccomp filter that turns each of
//! its syscalls into a SIGSYS (only the stub's own futex, rt_sigreturn,
//! exit and TLS calls pass). The stub's signal handler, on a signal stack
//! in a memfd shared with the sentry, reports the signal and waits on a
//! futex; the sentry reads and rewrites the registers in the signal frame
//! itself and wakes the thread, which returns into the application with
//! `rt_sigreturn`. So a syscall costs two futex hand-offs and a signal,
//! not two ptrace stops.
//!
//! Trust: the application can write to every page of its process, the
//! shared slots included, so the sentry validates every pointer it reads
//! there and takes thread and process ids only from what the stub wrote
//! before any application code ran. The command page is read-only in the
//! stub and each command carries a sequence number, so the application can
//! neither forge nor replay one.

mod filter;
mod region;
mod space;
mod spare;
mod thread;

pub use space::init;
pub use thread::{about_to_block, spin_us, NewThread, StubThread};

use crate::platform::stub::{
    CONST_FILTER, CONST_FPROG, CONST_MEM_MASK, CONST_SIGACTION, CONST_SPIN, CONST_TIMEOUT, STUB_CONST,
};

const SA_SIGINFO: u64 = 4;
const SA_ONSTACK: u64 = 0x0800_0000;
const SA_RESTORER: u64 = 0x0400_0000;

/// The image of the stub's constants page (`stub::STUB_CONST`).
pub fn const_page() -> Vec<u8> {
    let mut page = vec![0u8; 4096];
    let put = |page: &mut Vec<u8>, off: u64, v: u64| {
        page[off as usize..off as usize + 8].copy_from_slice(&v.to_ne_bytes());
    };
    // One action for every signal: the handler on the slot's stack, every
    // signal blocked while it runs.
    put(&mut page, CONST_SIGACTION, crate::platform::stub::systrap_handler());
    put(&mut page, CONST_SIGACTION + 8, SA_SIGINFO | SA_ONSTACK | SA_RESTORER);
    put(&mut page, CONST_SIGACTION + 16, crate::platform::stub::systrap_restorer());
    put(&mut page, CONST_SIGACTION + 24, u64::MAX);
    // The command thread blocks all but the synchronous signals (a fault
    // there kills the process, as it should); application threads start
    // with this mask and get an empty one at their first return.
    let sync = [libc::SIGSYS, libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL, libc::SIGTRAP];
    let mask = sync.iter().fold(u64::MAX, |m, &s| m & !(1u64 << (s - 1)));
    put(&mut page, CONST_MEM_MASK, mask);
    // The command thread's wait: one second, then a look at its parent.
    put(&mut page, CONST_TIMEOUT, 1);
    put(&mut page, CONST_TIMEOUT + 8, 0);
    // How many `pause` rounds a waiting stub thread spins before it sleeps.
    put(&mut page, CONST_SPIN, thread::stub_spin() as u64);
    let prog = filter::program();
    let bytes: Vec<u8> = prog.iter().flat_map(filter::encode).collect();
    page[CONST_FILTER as usize..CONST_FILTER as usize + bytes.len()].copy_from_slice(&bytes);
    page[CONST_FPROG as usize..CONST_FPROG as usize + 2].copy_from_slice(&(prog.len() as u16).to_ne_bytes());
    put(&mut page, CONST_FPROG + 8, STUB_CONST + CONST_FILTER);
    page
}
