//! The tracee's registers as ptrace shows them: `struct user` offsets
//! (PEEKUSER/POKEUSER), the FXSAVE area (GETFPREGS), regsets, and
//! PTRACE_GET_SYSCALL_INFO.

use crate::platform::Regs;

/// sizeof(struct user_regs_struct).
pub const REGS_SIZE: usize = std::mem::size_of::<Regs>();
/// offsetof(struct user, u_debugreg), and sizeof(struct user) (the
/// kernel's, which ends with error_code and fault_address).
pub const DEBUGREG_OFFSET: u64 = 848;
pub const USER_SIZE: u64 = 928;
/// sizeof(struct user_fpregs_struct): the FXSAVE area.
pub const FPREGS_SIZE: usize = 512;

/// NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE.
pub const NT_PRSTATUS: u64 = 1;
pub const NT_PRFPREG: u64 = 2;
pub const NT_X86_XSTATE: u64 = 0x202;

/// Where the FXSAVE area's software-reserved bytes start: a signal frame
/// keeps `struct _fpx_sw_bytes` there, ptrace's XSAVE regset the XCR0 its
/// buffer was written with (Linux's `xstate_fx_sw_bytes`, which gdb reads
/// to learn which registers exist).
const SW_BYTES: usize = 464;
/// `_fpx_sw_bytes.magic1` of a signal frame's XSAVE area.
const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;

/// The XCR0 of a saved XSAVE area: a signal frame's (the systrap platform)
/// says it in its software bytes as `xfeatures`; one read by the host's
/// ptrace holds it where the regset puts it.
fn xcr0(fp: &[u8]) -> u64 {
    let word = |at: usize| fp.get(at..at + 8).map_or(0, |b| u64::from_ne_bytes(b.try_into().unwrap_or_default()));
    let magic = fp.get(SW_BYTES..SW_BYTES + 4).map_or(0, |b| u32::from_ne_bytes(b.try_into().unwrap_or_default()));
    if magic == FP_XSTATE_MAGIC1 {
        word(SW_BYTES + 8)
    } else {
        word(SW_BYTES)
    }
}

/// The NT_X86_XSTATE regset of a saved XSAVE area (standard format, as
/// both platforms keep it): the area with XCR0 in its software bytes.
/// `None` without XSAVE state (an FXSAVE-only area): Linux's ENODEV.
pub fn xstate_bytes(fp: &[u8]) -> Option<Vec<u8>> {
    if fp.len() <= FPREGS_SIZE {
        return None;
    }
    let mut b = fp.to_vec();
    b[SW_BYTES..FPREGS_SIZE].fill(0);
    b[SW_BYTES..SW_BYTES + 8].copy_from_slice(&xcr0(fp).to_ne_bytes());
    Some(b)
}

/// Checks a new XSAVE regset `b` against the saved area `fp` as Linux's
/// `xstateregs_set` does (a whole buffer; an XSAVE header naming only
/// enabled features, uncompacted, reserved bytes zero) and returns the
/// area to load: `b` with `fp`'s own software bytes kept.
pub fn xstate_from_bytes(fp: &[u8], b: &[u8]) -> Result<Vec<u8>, crate::kernel::errno::Errno> {
    use crate::kernel::errno::Errno;
    if fp.len() <= FPREGS_SIZE {
        return Err(Errno::ENODEV);
    }
    if b.len() != fp.len() {
        return Err(Errno::EFAULT);
    }
    let word = |at: usize| u64::from_ne_bytes(b[at..at + 8].try_into().unwrap_or_default());
    let (xfeatures, xcomp_bv) = (word(FPREGS_SIZE), word(FPREGS_SIZE + 8));
    let reserved = b[FPREGS_SIZE + 16..FPREGS_SIZE + 64].iter().any(|&x| x != 0);
    if xfeatures & !xcr0(fp) != 0 || xcomp_bv != 0 || reserved {
        return Err(Errno::EINVAL);
    }
    let mut out = b.to_vec();
    out[SW_BYTES..FPREGS_SIZE].copy_from_slice(&fp[SW_BYTES..FPREGS_SIZE]);
    Ok(out)
}

/// The registers as bytes.
pub fn regs_bytes(r: &Regs) -> Vec<u8> {
    words(r).iter().flat_map(|w| w.to_ne_bytes()).collect()
}

/// Registers from bytes (a short buffer changes only the leading ones).
pub fn regs_from_bytes(old: &Regs, b: &[u8]) -> Regs {
    let mut w = words(old);
    for (i, c) in b.chunks_exact(8).enumerate().take(w.len()) {
        w[i] = u64::from_ne_bytes(c.try_into().unwrap_or_default());
    }
    from_words(&w)
}

/// user_regs_struct is 27 u64s, in this order.
fn words(r: &Regs) -> [u64; 27] {
    [
        r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10, r.r9, r.r8, r.rax, r.rcx, r.rdx, r.rsi, r.rdi,
        r.orig_rax, r.rip, r.cs, r.eflags, r.rsp, r.ss, r.fs_base, r.gs_base, r.ds, r.es, r.fs, r.gs,
    ]
}

fn from_words(w: &[u64; 27]) -> Regs {
    let mut r = crate::platform::ptrace::zeroed_regs();
    [
        r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10, r.r9, r.r8, r.rax, r.rcx, r.rdx, r.rsi, r.rdi,
        r.orig_rax, r.rip, r.cs, r.eflags, r.rsp, r.ss, r.fs_base, r.gs_base, r.ds, r.es, r.fs, r.gs,
    ] = *w;
    r
}

/// PEEKUSER: the word at `off` of `struct user` (EIO is the caller's for
/// a misaligned or out-of-range offset). Debug registers read as 0: none
/// is ever set.
pub fn peek_user(r: &Regs, off: u64) -> u64 {
    if (off as usize) < REGS_SIZE {
        words(r)[off as usize / 8]
    } else {
        0
    }
}

/// POKEUSER of a register word; false for an offset that is not one.
pub fn poke_user(r: &mut Regs, off: u64, v: u64) -> bool {
    if (off as usize) >= REGS_SIZE {
        return false;
    }
    let mut w = words(r);
    w[off as usize / 8] = v;
    *r = from_words(&w);
    true
}

/// AUDIT_ARCH_X86_64.
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// PTRACE_SYSCALL_INFO_* ops.
pub const INFO_NONE: u8 = 0;
pub const INFO_ENTRY: u8 = 1;
pub const INFO_EXIT: u8 = 2;
pub const INFO_SECCOMP: u8 = 3;

/// struct ptrace_syscall_info for a stop of kind `op` (`ret_data`: a
/// seccomp stop's filter data), and its size as Linux counts it (up to the
/// last field of that kind).
pub fn syscall_info(op: u8, r: &Regs, ret_data: u32) -> (Vec<u8>, usize) {
    let mut b = vec![0u8; 88];
    b[0] = op;
    b[4..8].copy_from_slice(&AUDIT_ARCH_X86_64.to_ne_bytes());
    b[8..16].copy_from_slice(&r.rip.to_ne_bytes());
    b[16..24].copy_from_slice(&r.rsp.to_ne_bytes());
    let size = match op {
        INFO_ENTRY | INFO_SECCOMP => {
            let args = [r.orig_rax, r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9];
            for (i, a) in args.iter().enumerate() {
                b[24 + i * 8..32 + i * 8].copy_from_slice(&a.to_ne_bytes());
            }
            if op == INFO_SECCOMP {
                b[80..84].copy_from_slice(&ret_data.to_ne_bytes());
                84
            } else {
                80
            }
        }
        INFO_EXIT => {
            let rval = r.rax as i64;
            b[24..32].copy_from_slice(&rval.to_ne_bytes());
            b[32] = (-4095..0).contains(&rval) as u8;
            33
        }
        _ => 24,
    };
    b.truncate(size);
    (b, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_offsets_match_the_struct() {
        let mut r = crate::platform::ptrace::zeroed_regs();
        r.orig_rax = 39;
        r.rip = 0x1234;
        // offsetof(struct user_regs_struct, orig_rax) = 120, rip = 128.
        assert_eq!(peek_user(&r, 120), 39);
        assert_eq!(peek_user(&r, 128), 0x1234);
        assert!(poke_user(&mut r, 80, 7));
        assert_eq!(r.rax, 7);
        assert_eq!(regs_from_bytes(&r, &regs_bytes(&r)).rip, 0x1234);
        assert_eq!(REGS_SIZE, 216);
    }
}
