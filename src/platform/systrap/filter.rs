//! The seccomp filter of application threads: every syscall traps (SIGSYS)
//! unless it comes from the stub's code page and is one the stub itself
//! makes there: futex wait/wake on its slot, rt_sigreturn, exit of the
//! thread, and setting its TLS base. The application can jump into the
//! stub, but these calls give it nothing it could not do anyway.

use crate::platform::stub::STUB_BASE;

/// One classic BPF instruction (`struct sock_filter`).
#[derive(Clone, Copy, Debug)]
pub struct Insn {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

/// `struct sock_filter` as the kernel reads it.
pub fn encode(i: &Insn) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[0..2].copy_from_slice(&i.code.to_ne_bytes());
    b[2] = i.jt;
    b[3] = i.jf;
    b[4..8].copy_from_slice(&i.k.to_ne_bytes());
    b
}

const LD_ABS_W: u16 = 0x20;
const JEQ_K: u16 = 0x15;
const JGE_K: u16 = 0x35;
const RET_K: u16 = 0x06;

const RET_TRAP: u32 = 0x0003_0000;
const RET_ALLOW: u32 = 0x7fff_0000;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

/// Offsets in `struct seccomp_data`.
const NR: u32 = 0;
const ARCH: u32 = 4;
const IP_LO: u32 = 8;
const IP_HI: u32 = 12;
const ARG0_LO: u32 = 16;
const ARG1_LO: u32 = 24;

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const ARCH_SET_GS: u32 = 0x1001;
const ARCH_SET_FS: u32 = 0x1002;

/// Where a jump goes.
#[derive(Clone, Copy)]
enum To {
    Next,
    Trap,
    Allow,
    At(usize),
}

/// The program, with jumps resolved.
pub fn program() -> Vec<Insn> {
    let code_lo = STUB_BASE as u32;
    let code_hi = (STUB_BASE >> 32) as u32;
    let code_end = (STUB_BASE + 0x1000) as u32;
    // (opcode, k, jt, jf) with symbolic targets; TRAP and ALLOW are the
    // last two instructions.
    let body: Vec<(u16, u32, To, To)> = vec![
        /* 0 */ (LD_ABS_W, ARCH, To::Next, To::Next),
        /* 1 */ (JEQ_K, AUDIT_ARCH_X86_64, To::Next, To::Trap),
        /* 2 */ (LD_ABS_W, IP_HI, To::Next, To::Next),
        /* 3 */ (JEQ_K, code_hi, To::Next, To::Trap),
        /* 4 */ (LD_ABS_W, IP_LO, To::Next, To::Next),
        /* 5 */ (JGE_K, code_lo, To::Next, To::Trap),
        /* 6 */ (JGE_K, code_end, To::Trap, To::Next),
        /* 7 */ (LD_ABS_W, NR, To::Next, To::Next),
        /* 8 */ (JEQ_K, libc::SYS_rt_sigreturn as u32, To::Allow, To::Next),
        /* 9 */ (JEQ_K, libc::SYS_exit as u32, To::Allow, To::Next),
        /* 10 */ (JEQ_K, libc::SYS_futex as u32, To::Next, To::At(14)),
        /* 11 */ (LD_ABS_W, ARG1_LO, To::Next, To::Next),
        /* 12 */ (JEQ_K, FUTEX_WAIT, To::Allow, To::Next),
        /* 13 */ (JEQ_K, FUTEX_WAKE, To::Allow, To::Trap),
        /* 14 */ (JEQ_K, libc::SYS_arch_prctl as u32, To::Next, To::Trap),
        /* 15 */ (LD_ABS_W, ARG0_LO, To::Next, To::Next),
        /* 16 */ (JEQ_K, ARCH_SET_FS, To::Allow, To::Next),
        /* 17 */ (JEQ_K, ARCH_SET_GS, To::Allow, To::Trap),
    ];
    let trap = body.len();
    let allow = trap + 1;
    let rel = |from: usize, to: To| -> u8 {
        let target = match to {
            To::Next => from + 1,
            To::Trap => trap,
            To::Allow => allow,
            To::At(i) => i,
        };
        (target - from - 1) as u8
    };
    let mut prog: Vec<Insn> = body
        .iter()
        .enumerate()
        .map(|(i, &(code, k, jt, jf))| {
            if code == LD_ABS_W {
                Insn { code, jt: 0, jf: 0, k }
            } else {
                Insn { code, jt: rel(i, jt), jf: rel(i, jf), k }
            }
        })
        .collect();
    prog.push(Insn { code: RET_K, jt: 0, jf: 0, k: RET_TRAP });
    prog.push(Insn { code: RET_K, jt: 0, jf: 0, k: RET_ALLOW });
    prog
}
