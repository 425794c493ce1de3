//! The inet_diag filter bytecode (INET_DIAG_REQ_BYTECODE) that `ss` builds
//! from expressions such as `sport = :80` or `dst 127.0.0.1`.
//!
//! A program is a sequence of `struct inet_diag_bc_op { u8 code; u8 yes;
//! u16 no; }`, some followed by operands; `yes` and `no` are the byte
//! offsets to continue at when the test holds or not, and a socket passes
//! when execution runs exactly off the end. `audit` rejects what Linux's
//! inet_diag_bc_audit rejects (EINVAL), `run` is inet_diag_bc_run.

/// sizeof(struct inet_diag_bc_op).
const OP: usize = 4;
/// sizeof(struct inet_diag_hostcond) before its address.
const HOSTCOND: usize = 8;

const BC_NOP: u8 = 0;
const BC_JMP: u8 = 1;
const BC_S_GE: u8 = 2;
const BC_S_LE: u8 = 3;
const BC_D_GE: u8 = 4;
const BC_D_LE: u8 = 5;
const BC_AUTO: u8 = 6;
const BC_S_COND: u8 = 7;
const BC_D_COND: u8 = 8;
const BC_DEV_COND: u8 = 9;
const BC_MARK_COND: u8 = 10;
const BC_S_EQ: u8 = 11;
const BC_D_EQ: u8 = 12;
const BC_CGROUP_COND: u8 = 13;

/// What a program tests about one socket.
pub struct Entry {
    pub family: u8,
    /// Addresses as inet_diag_sockid words (IPv4 in the first 4 bytes).
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub sport: u16,
    pub dport: u16,
    /// The port was bound explicitly (BC_AUTO tests its absence).
    pub port_locked: bool,
}

struct Op {
    code: u8,
    yes: usize,
    no: usize,
}

fn op_at(bc: &[u8], off: usize) -> Option<Op> {
    let b = bc.get(off..off + OP)?;
    Some(Op { code: b[0], yes: usize::from(b[1]), no: usize::from(u16::from_ne_bytes([b[2], b[3]])) })
}

fn u16_at(bc: &[u8], off: usize) -> u16 {
    bc.get(off..off + 2).map_or(0, |b| u16::from_ne_bytes([b[0], b[1]]))
}

fn i32_at(bc: &[u8], off: usize) -> i32 {
    bc.get(off..off + 4).map_or(0, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

/// Whether jumping `cc` bytes before the end (of a program of `len` bytes
/// left at `start`) lands on an instruction (Linux's valid_cc).
fn valid_cc(bc: &[u8], mut start: usize, mut len: usize, cc: usize) -> bool {
    loop {
        if cc > len {
            return false;
        }
        if cc == len {
            return true;
        }
        let Some(op) = op_at(bc, start) else { return false };
        if op.yes < OP || op.yes % 4 != 0 || op.yes > len {
            return false;
        }
        len -= op.yes;
        start += op.yes;
    }
}

/// The bytes an instruction with operands needs, or None if malformed.
fn operand_len(bc: &[u8], off: usize, len: usize, code: u8) -> Option<usize> {
    let min = match code {
        BC_S_COND | BC_D_COND => {
            if len < OP + HOSTCOND {
                return None;
            }
            let family = i32::from(*bc.get(off + OP)?);
            let prefix = usize::from(*bc.get(off + OP + 1)?);
            let addr_len = match family {
                libc::AF_UNSPEC => 0,
                libc::AF_INET => 4,
                libc::AF_INET6 => 16,
                _ => return None,
            };
            if prefix > 8 * addr_len {
                return None;
            }
            OP + HOSTCOND + addr_len
        }
        BC_DEV_COND => OP + 4,
        BC_S_GE | BC_S_LE | BC_D_GE | BC_D_LE | BC_S_EQ | BC_D_EQ => OP + OP,
        BC_NOP | BC_JMP | BC_AUTO => OP,
        _ => return None,
    };
    (len >= min).then_some(min)
}

/// Checks a program as Linux does before running it: EINVAL for unknown
/// codes, short operands, and jumps that are misaligned, go backwards or
/// land inside an instruction. Mark and cgroup tests (which need
/// CAP_NET_ADMIN and cgroup ids the sandbox does not keep) are EINVAL.
pub fn audit(bc: &[u8]) -> Result<(), i32> {
    let (mut off, mut len) = (0usize, bc.len());
    loop {
        if len == 0 {
            return Ok(());
        }
        let op = op_at(bc, off).ok_or(libc::EINVAL)?;
        if matches!(op.code, BC_MARK_COND | BC_CGROUP_COND) {
            return Err(libc::EINVAL);
        }
        let min = operand_len(bc, off, len, op.code).ok_or(libc::EINVAL)?;
        if op.code != BC_NOP {
            if op.no < min || op.no > len + 4 || op.no % 4 != 0 {
                return Err(libc::EINVAL);
            }
            if op.no < len && !valid_cc(bc, 0, bc.len(), len - op.no) {
                return Err(libc::EINVAL);
            }
        }
        // Linux lets `yes` run 4 bytes past the end, which then fails the
        // final length check: the same EINVAL.
        if op.yes < min || op.yes > len || op.yes % 4 != 0 {
            return Err(libc::EINVAL);
        }
        off += op.yes;
        len -= op.yes;
    }
}

/// Whether the first `bits` bits of two addresses agree.
fn prefix_match(a: &[u8], b: &[u8], bits: usize) -> bool {
    let whole = bits / 8;
    if a.len() < whole || b.len() < whole || a[..whole] != b[..whole] {
        return false;
    }
    let rest = bits % 8;
    if rest == 0 {
        return true;
    }
    let (Some(x), Some(y)) = (a.get(whole), b.get(whole)) else { return false };
    let mask = 0xffu8 << (8 - rest);
    x & mask == y & mask
}

/// S_COND/D_COND: a port (-1: any) and an address prefix of a family.
fn host_cond(bc: &[u8], off: usize, e: &Entry, src: bool) -> bool {
    let c = off + OP;
    let family = bc[c];
    let prefix = usize::from(bc[c + 1]);
    let port = i32_at(bc, c + 4);
    let (eport, addr) = if src { (e.sport, &e.src) } else { (e.dport, &e.dst) };
    if port != -1 && port != i32::from(eport) {
        return false;
    }
    let want = bc.get(c + HOSTCOND..).unwrap_or(&[]);
    if family != libc::AF_UNSPEC as u8 && family != e.family {
        // An IPv4 condition matches the v4-mapped addresses of IPv6 sockets.
        return e.family == libc::AF_INET6 as u8
            && family == libc::AF_INET as u8
            && addr[..10] == [0; 10]
            && addr[10..12] == [0xff, 0xff]
            && prefix_match(&addr[12..], want, prefix);
    }
    prefix == 0 || prefix_match(addr, want, prefix)
}

/// Runs an audited program on one socket.
pub fn run(bc: &[u8], e: &Entry) -> bool {
    let (mut off, mut len) = (0usize, bc.len() as isize);
    while len > 0 {
        let Some(op) = op_at(bc, off) else { return false };
        let port = || u16_at(bc, off + OP + 2);
        let yes = match op.code {
            BC_NOP => true,
            BC_JMP => false,
            BC_S_EQ => e.sport == port(),
            BC_S_GE => e.sport >= port(),
            BC_S_LE => e.sport <= port(),
            BC_D_EQ => e.dport == port(),
            BC_D_GE => e.dport >= port(),
            BC_D_LE => e.dport <= port(),
            BC_AUTO => !e.port_locked,
            BC_S_COND => host_cond(bc, off, e, true),
            BC_D_COND => host_cond(bc, off, e, false),
            // The sandbox's sockets are bound to no device.
            BC_DEV_COND => i32_at(bc, off + OP) == 0,
            _ => false,
        };
        let step = if yes { op.yes } else { op.no };
        if step == 0 {
            return false;
        }
        off += step;
        len -= step as isize;
    }
    len == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(code: u8, yes: u8, no: u16) -> Vec<u8> {
        let mut v = vec![code, yes];
        v.extend_from_slice(&no.to_ne_bytes());
        v
    }

    fn entry(sport: u16, dport: u16) -> Entry {
        let mut src = [0u8; 16];
        src[..4].copy_from_slice(&[127, 0, 0, 1]);
        Entry { family: libc::AF_INET as u8, src, dst: [0; 16], sport, dport, port_locked: true }
    }

    /// `sport = :80` as ss 6.1 encodes it: S_COND with family AF_UNSPEC.
    fn sport_80() -> Vec<u8> {
        let mut bc = op(BC_S_COND, 16, 20);
        bc.extend_from_slice(&[0, 0, 0, 0]);
        bc.extend_from_slice(&80i32.to_ne_bytes());
        bc.extend_from_slice(&[0; 4]);
        bc.truncate(16);
        bc
    }

    #[test]
    fn port_condition() {
        let bc = sport_80();
        assert_eq!(audit(&bc), Ok(()));
        assert!(run(&bc, &entry(80, 5000)));
        assert!(!run(&bc, &entry(81, 80)));
    }

    #[test]
    fn comparisons_and_jumps() {
        // sport >= 1000 && dport <= 2000
        let mut bc = op(BC_S_GE, 8, 20);
        bc.extend_from_slice(&[0, 0, 0, 0]);
        bc[6..8].copy_from_slice(&1000u16.to_ne_bytes());
        bc.extend(op(BC_D_LE, 8, 12));
        bc.extend_from_slice(&[0, 0]);
        bc.extend_from_slice(&2000u16.to_ne_bytes());
        assert_eq!(audit(&bc), Ok(()));
        assert!(run(&bc, &entry(1500, 1500)));
        assert!(!run(&bc, &entry(999, 1500)));
        assert!(!run(&bc, &entry(1500, 2001)));
    }

    #[test]
    fn address_prefix() {
        // src 127.0.0.0/8
        let mut bc = op(BC_S_COND, 16, 20);
        bc.extend_from_slice(&[libc::AF_INET as u8, 8, 0, 0]);
        bc.extend_from_slice(&(-1i32).to_ne_bytes());
        bc.extend_from_slice(&[127, 9, 9, 9]);
        assert_eq!(audit(&bc), Ok(()));
        assert!(run(&bc, &entry(1, 2)));
        let mut other = entry(1, 2);
        other.src[0] = 10;
        assert!(!run(&bc, &other));
    }

    #[test]
    fn bad_programs_are_einval() {
        assert_eq!(audit(&op(99, 4, 8)), Err(libc::EINVAL));
        assert_eq!(audit(&op(BC_S_EQ, 4, 8)), Err(libc::EINVAL), "missing operand");
        assert_eq!(audit(&op(BC_JMP, 3, 8)), Err(libc::EINVAL), "misaligned");
        assert_eq!(audit(&op(BC_JMP, 0, 8)), Err(libc::EINVAL), "no progress");
        assert_eq!(audit(&op(BC_NOP, 4, 0)), Ok(()));
    }
}
