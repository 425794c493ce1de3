//! The shape of an application address space.

use crate::platform::stub::CTX_BASE;

/// Page size.
pub const PAGE: u64 = 4096;
/// The end of the application's address space: the platform's context
/// region and the stub live above it.
pub const APP_TOP: u64 = CTX_BASE;
/// Lowest address `mmap` hands out or accepts (Linux's `vm.mmap_min_addr`).
pub const MMAP_MIN_ADDR: u64 = 0x10000;
/// Size of the main thread's stack mapping (RLIMIT_STACK's default).
pub const STACK_SIZE: u64 = 8 << 20;
/// Top of the main thread's stack, a guard gap below the stub.
pub const STACK_TOP: u64 = APP_TOP - (1 << 20);
/// Highest address for top-down `mmap` placement: below the stack and a
/// gap for it, as Linux leaves.
pub const MMAP_TOP: u64 = STACK_TOP - STACK_SIZE - (128 << 20);
/// Where position-independent executables are loaded (Linux's ELF_ET_DYN_BASE
/// without randomisation).
pub const ET_DYN_BASE: u64 = 0x5555_5555_4000;
/// The window `MAP_32BIT` allocates from, as on Linux.
pub const MAP_32BIT_LOW: u64 = 0x4000_0000;
/// End of the `MAP_32BIT` window.
pub const MAP_32BIT_HIGH: u64 = 0x8000_0000;

/// Rounds up to a page boundary; `None` on overflow.
pub fn page_align_up(v: u64) -> Option<u64> {
    v.checked_add(PAGE - 1).map(|x| x & !(PAGE - 1))
}

/// Rounds down to a page boundary.
pub fn page_align_down(v: u64) -> u64 {
    v & !(PAGE - 1)
}
