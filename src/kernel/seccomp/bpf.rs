//! Classic BPF as seccomp takes it: the checks Linux makes when a filter
//! is installed (`bpf_check_classic` and `seccomp_check_filter`), and an
//! interpreter that runs a checked program over a syscall's
//! `struct seccomp_data`.

use crate::kernel::errno::Errno;

/// Linux's BPF_MAXINSNS.
pub const MAX_INSNS: usize = 4096;
/// Scratch memory words (BPF_MEMWORDS).
const MEM_WORDS: u32 = 16;
/// `sizeof(struct seccomp_data)`: nr, arch, instruction_pointer, args[6].
pub const DATA_LEN: u32 = 64;

// Instruction classes and fields (linux/bpf_common.h).
const LD: u16 = 0x00;
const LDX: u16 = 0x01;
const ST: u16 = 0x02;
const STX: u16 = 0x03;
const ALU: u16 = 0x04;
const JMP: u16 = 0x05;
const RET: u16 = 0x06;
const MISC: u16 = 0x07;
const W: u16 = 0x00;
const IMM: u16 = 0x00;
const ABS: u16 = 0x20;
const MEM: u16 = 0x60;
const LEN: u16 = 0x80;
const K: u16 = 0x00;
const X: u16 = 0x08;
const A: u16 = 0x10;
const ADD: u16 = 0x00;
const SUB: u16 = 0x10;
const MUL: u16 = 0x20;
const DIV: u16 = 0x30;
const OR: u16 = 0x40;
const AND: u16 = 0x50;
const LSH: u16 = 0x60;
const RSH: u16 = 0x70;
const NEG: u16 = 0x80;
const XOR: u16 = 0xa0;
const JA: u16 = 0x00;
const JEQ: u16 = 0x10;
const JGT: u16 = 0x20;
const JGE: u16 = 0x30;
const JSET: u16 = 0x40;
const TAX: u16 = 0x00;
const TXA: u16 = 0x80;

/// One `struct sock_filter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

impl Insn {
    /// Decodes the 8-byte `struct sock_filter`.
    pub fn from_bytes(b: &[u8]) -> Insn {
        Insn {
            code: u16::from_ne_bytes([b[0], b[1]]),
            jt: b[2],
            jf: b[3],
            k: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

/// A program that passed the checks.
#[derive(Debug)]
pub struct Program(Vec<Insn>);

impl Program {
    /// Checks `insns` as Linux does before attaching a seccomp filter:
    /// EINVAL for an empty or too long program, an instruction seccomp
    /// does not allow, a load outside `seccomp_data` or not aligned, a
    /// jump out of the program, a division by a zero constant, a shift of
    /// 32 or more, scratch memory read before it is written on some path,
    /// or a last instruction that is not a return.
    pub fn check(mut insns: Vec<Insn>) -> Result<Program, Errno> {
        let n = insns.len();
        if n == 0 || n > MAX_INSNS {
            return Err(Errno::EINVAL);
        }
        for (pc, i) in insns.iter_mut().enumerate() {
            let rest = (n - pc - 1) as u32;
            match i.code {
                c if c == LD | W | ABS => {
                    if i.k >= DATA_LEN || i.k & 3 != 0 {
                        return Err(Errno::EINVAL);
                    }
                }
                // The length of the data is a constant.
                c if c == LD | W | LEN => *i = Insn { code: LD | IMM, k: DATA_LEN, ..*i },
                c if c == LDX | W | LEN => *i = Insn { code: LDX | IMM, k: DATA_LEN, ..*i },
                c if c == ALU | DIV | K && i.k == 0 => return Err(Errno::EINVAL),
                c if (c == ALU | LSH | K || c == ALU | RSH | K) && i.k >= 32 => return Err(Errno::EINVAL),
                c if c == LD | MEM || c == LDX | MEM || c == ST || c == STX => {
                    if i.k >= MEM_WORDS {
                        return Err(Errno::EINVAL);
                    }
                }
                c if c == JMP | JA => {
                    if i.k >= rest {
                        return Err(Errno::EINVAL);
                    }
                }
                c if [JEQ, JGT, JGE, JSET].iter().any(|&op| c == JMP | op | K || c == JMP | op | X) => {
                    if u32::from(i.jt) >= rest || u32::from(i.jf) >= rest {
                        return Err(Errno::EINVAL);
                    }
                }
                c if allowed(c) => {}
                _ => return Err(Errno::EINVAL),
            }
        }
        if insns[n - 1].code & 0x07 != RET {
            return Err(Errno::EINVAL);
        }
        let prog = Program(insns);
        if !prog.memory_written_before_read() {
            return Err(Errno::EINVAL);
        }
        Ok(prog)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Linux's `check_load_and_stores`: along every path, a scratch word
    /// is stored before it is loaded.
    fn memory_written_before_read(&self) -> bool {
        // Words known written on every path reaching each instruction.
        let n = self.0.len();
        let mut known = vec![u16::MAX; n];
        known[0] = 0;
        for pc in 0..n {
            let mut w = known[pc];
            let i = self.0[pc];
            match i.code {
                c if c == ST || c == STX => w |= 1 << i.k,
                c if (c == LD | MEM || c == LDX | MEM) && w & (1 << i.k) == 0 => return false,
                _ => {}
            }
            let mut flow = |to: usize| known[to] &= w;
            match i.code & 0x07 {
                RET => {}
                JMP if i.code == JMP | JA => flow(pc + 1 + i.k as usize),
                JMP => {
                    flow(pc + 1 + i.jt as usize);
                    flow(pc + 1 + i.jf as usize);
                }
                _ => flow(pc + 1),
            }
        }
        true
    }

    /// Runs the program over `data` (a `struct seccomp_data`) and returns
    /// its verdict.
    pub fn run(&self, data: &[u8; DATA_LEN as usize]) -> u32 {
        let (mut a, mut x, mut mem) = (0u32, 0u32, [0u32; MEM_WORDS as usize]);
        let word = |k: u32| {
            let k = k as usize;
            u32::from_ne_bytes([data[k], data[k + 1], data[k + 2], data[k + 3]])
        };
        let mut pc = 0;
        // Checked programs only jump forward and end in a return.
        while let Some(&i) = self.0.get(pc) {
            pc += 1;
            let src = if i.code & X != 0 { x } else { i.k };
            match i.code & 0x07 {
                LD => {
                    a = match i.code & 0xe0 {
                        ABS => word(i.k),
                        MEM => mem[i.k as usize],
                        _ => i.k,
                    }
                }
                LDX => x = if i.code & 0xe0 == MEM { mem[i.k as usize] } else { i.k },
                ST => mem[i.k as usize] = a,
                STX => mem[i.k as usize] = x,
                ALU => {
                    a = match i.code & 0xf0 {
                        ADD => a.wrapping_add(src),
                        SUB => a.wrapping_sub(src),
                        MUL => a.wrapping_mul(src),
                        // Dividing by a zero X ends the program with 0.
                        DIV if src == 0 => return 0,
                        DIV => a / src,
                        OR => a | src,
                        AND => a & src,
                        LSH => a.wrapping_shl(src),
                        RSH => a.wrapping_shr(src),
                        NEG => a.wrapping_neg(),
                        _ => a ^ src,
                    }
                }
                JMP => {
                    let taken = match i.code & 0xf0 {
                        JA => {
                            pc += i.k as usize;
                            continue;
                        }
                        JEQ => a == src,
                        JGT => a > src,
                        JGE => a >= src,
                        _ => a & src != 0,
                    };
                    pc += usize::from(if taken { i.jt } else { i.jf });
                }
                RET => return if i.code & 0x18 == A { a } else { i.k },
                _ => {
                    if i.code & 0xf8 == TAX {
                        x = a;
                    } else {
                        a = x;
                    }
                }
            }
        }
        0
    }
}

/// The other instructions seccomp allows (Linux's explicit list).
fn allowed(code: u16) -> bool {
    let alu = [ADD, SUB, MUL, DIV, AND, OR, XOR, LSH, RSH];
    code == RET | K
        || code == RET | A
        || alu.iter().any(|&op| code == ALU | op | K || code == ALU | op | X)
        || code == ALU | NEG
        || code == LD | IMM
        || code == LDX | IMM
        || code == MISC | TAX
        || code == MISC | TXA
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insn(code: u16, jt: u8, jf: u8, k: u32) -> Insn {
        Insn { code, jt, jf, k }
    }

    #[test]
    fn checks_reject_what_linux_rejects() {
        let ret = insn(RET | K, 0, 0, 0);
        assert!(Program::check(vec![]).is_err());
        assert!(Program::check(vec![insn(LD | W | ABS, 0, 0, 2), ret]).is_err());
        assert!(Program::check(vec![insn(LD | W | ABS, 0, 0, 64), ret]).is_err());
        assert!(Program::check(vec![insn(LD | W | ABS, 0, 0, 60), ret]).is_ok());
        assert!(Program::check(vec![insn(ALU | DIV | K, 0, 0, 0), ret]).is_err());
        assert!(Program::check(vec![insn(ALU | LSH | K, 0, 0, 32), ret]).is_err());
        assert!(Program::check(vec![insn(JMP | JEQ | K, 1, 0, 0), ret]).is_err());
        assert!(Program::check(vec![insn(LD | MEM, 0, 0, 0), ret]).is_err());
        assert!(Program::check(vec![insn(ST, 0, 0, 3), insn(LD | MEM, 0, 0, 3), ret]).is_ok());
        assert!(Program::check(vec![insn(LD | IMM, 0, 0, 0)]).is_err());
        // BPF_MOD is not on seccomp's list.
        assert!(Program::check(vec![insn(ALU | 0x90 | K, 0, 0, 3), ret]).is_err());
    }

    #[test]
    fn runs_a_syscall_filter() {
        // if nr == 39 return ERRNO(1) else ALLOW
        let p = Program::check(vec![
            insn(LD | W | ABS, 0, 0, 0),
            insn(JMP | JEQ | K, 0, 1, 39),
            insn(RET | K, 0, 0, 0x0005_0001),
            insn(RET | K, 0, 0, 0x7fff_0000),
        ])
        .unwrap();
        let mut data = [0u8; 64];
        data[0] = 39;
        assert_eq!(p.run(&data), 0x0005_0001);
        data[0] = 40;
        assert_eq!(p.run(&data), 0x7fff_0000);
    }
}
