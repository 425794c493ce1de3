//! Address space layout randomisation: where exec puts a new program's
//! stack, its top-down mmap area, a position-independent executable and
//! its heap, as Linux does on x86_64 with `randomize_va_space` 2. A process
//! with ADDR_NO_RANDOMIZE in its personality (`setarch -R`) gets the fixed
//! layout instead.

use super::layout::{ET_DYN_BASE, MMAP_TOP, PAGE, STACK_SIZE, STACK_TOP};

/// personality(2)'s ADDR_NO_RANDOMIZE.
pub const ADDR_NO_RANDOMIZE: u32 = 0x0040000;
/// What `/proc/sys/kernel/randomize_va_space` shows: stack, mmap, vDSO
/// and heap are randomised.
pub const RANDOMIZE_VA_SPACE: u32 = 2;
/// The stack top moves down by up to this many pages (STACK_RND_MASK).
const STACK_RND_PAGES: u64 = 0x3f_ffff;
/// The mmap base and a PIE's load address move by up to 2^28 pages
/// (`vm.mmap_rnd_bits`).
const MMAP_RND_PAGES: u64 = (1 << 28) - 1;
/// The heap's start moves up by less than 32 MiB (arch_randomize_brk).
const BRK_RND: u64 = 32 << 20;
/// The initial stack pointer moves down by less than 8 KiB (arch_align_stack).
const SP_RND: u64 = 8192;
/// The gap Linux leaves between the stack's top and the mmap base: the
/// stack's limit, its guard gap and the stack's random range, at least
/// 128 MiB.
const STACK_GUARD_GAP: u64 = 1 << 20;

/// The places one exec uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecLayout {
    /// Top of the main thread's stack.
    pub stack_top: u64,
    /// How far below its strings the initial stack pointer starts.
    pub sp_pad: u64,
    /// Highest address for top-down mmap placement.
    pub mmap_top: u64,
    /// Where a position-independent executable is loaded.
    pub pie_base: u64,
    /// How far past the executable's end the heap starts.
    pub brk_pad: u64,
}

impl ExecLayout {
    /// The layout of a new program: random when `randomize`, else fixed.
    pub fn new(randomize: bool) -> ExecLayout {
        if !randomize {
            return ExecLayout {
                stack_top: STACK_TOP,
                sp_pad: 0,
                mmap_top: MMAP_TOP,
                pie_base: ET_DYN_BASE,
                brk_pad: 0,
            };
        }
        let [a, b, c, d, e] = random_words();
        let stack_top = STACK_TOP - (a & STACK_RND_PAGES) * PAGE;
        let gap = (STACK_SIZE + STACK_GUARD_GAP + (STACK_RND_PAGES + 1) * PAGE).max(128 << 20);
        ExecLayout {
            stack_top,
            sp_pad: (b % SP_RND) & !15,
            mmap_top: STACK_TOP - gap - (c & MMAP_RND_PAGES) * PAGE,
            pie_base: ET_DYN_BASE + (d & MMAP_RND_PAGES) * PAGE,
            brk_pad: (e % (BRK_RND / PAGE)) * PAGE,
        }
    }
}

fn random_words() -> [u64; 5] {
    let mut buf = [0u8; 40];
    // SAFETY: getrandom fills at most 40 bytes of our 40-byte buffer.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n != buf.len() as isize {
        tracing::warn!("getrandom failed: the new program's layout is not randomised");
    }
    std::array::from_fn(|i| u64::from_ne_bytes(buf[i * 8..i * 8 + 8].try_into().unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::mm::layout::APP_TOP;

    #[test]
    fn random_layouts_stay_inside_the_address_space_and_differ() {
        let a = ExecLayout::new(true);
        let b = ExecLayout::new(true);
        assert_ne!(a, b);
        for l in [a, b] {
            assert!(l.stack_top <= STACK_TOP && l.stack_top - STACK_SIZE > l.mmap_top);
            assert!(l.mmap_top > l.pie_base + (1 << 40) && l.stack_top < APP_TOP);
            assert!(l.pie_base % PAGE == 0 && l.brk_pad < BRK_RND && l.sp_pad < SP_RND);
        }
        assert_eq!(ExecLayout::new(false), ExecLayout::new(false));
    }
}
