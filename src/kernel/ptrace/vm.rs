//! process_vm_readv(2) and process_vm_writev(2): copies between the
//! caller's memory and another process's, stopping at the first fault on
//! either side, as Linux does (the bytes moved so far, or EFAULT if none).

use crate::kernel::errno::Errno;
use crate::kernel::mm::usermem::UserMemory;

const PAGE: u64 = 4096;
/// The most bytes moved through the sentry in one piece.
const CHUNK: u64 = 64 << 10;

/// Copies from `src` to `dst` as the iovec lists `from` and `to` say, in
/// order, until either list ends or a fault stops it. Returns the bytes
/// copied; EFAULT when a fault came before any byte.
pub fn copy_vectors(
    src: &dyn UserMemory,
    from: &[(u64, u64)],
    dst: &dyn UserMemory,
    to: &[(u64, u64)],
) -> Result<u64, Errno> {
    let mut total = 0u64;
    let (mut fi, mut fo) = (0usize, 0u64);
    let (mut ti, mut to_off) = (0usize, 0u64);
    let mut buf = Vec::new();
    loop {
        while fi < from.len() && fo >= from[fi].1 {
            fi += 1;
            fo = 0;
        }
        while ti < to.len() && to_off >= to[ti].1 {
            ti += 1;
            to_off = 0;
        }
        if fi == from.len() || ti == to.len() {
            return Ok(total);
        }
        let len = (from[fi].1 - fo).min(to[ti].1 - to_off).min(CHUNK);
        let (saddr, daddr) = (from[fi].0.wrapping_add(fo), to[ti].0.wrapping_add(to_off));
        buf.resize(len as usize, 0);
        let got = read_prefix(src, saddr, &mut buf);
        let put = write_prefix(dst, daddr, &buf[..got]);
        total += put as u64;
        if (put as u64) < len {
            return if total == 0 { Err(Errno::EFAULT) } else { Ok(total) };
        }
        fo += len;
        to_off += len;
    }
}

/// The length of the longest readable prefix of `buf.len()` bytes at
/// `addr` (faults happen at page boundaries), with the bytes in `buf`.
fn read_prefix(mem: &dyn UserMemory, addr: u64, buf: &mut [u8]) -> usize {
    if mem.read_bytes(addr, buf).is_ok() {
        return buf.len();
    }
    let mut done = 0usize;
    while done < buf.len() {
        let at = addr.wrapping_add(done as u64);
        let n = ((PAGE - at % PAGE) as usize).min(buf.len() - done);
        if mem.read_bytes(at, &mut buf[done..done + n]).is_err() {
            break;
        }
        done += n;
    }
    done
}

/// The length of the longest prefix of `buf` written at `addr`.
fn write_prefix(mem: &dyn UserMemory, addr: u64, buf: &[u8]) -> usize {
    if mem.write_bytes(addr, buf).is_ok() {
        return buf.len();
    }
    let mut done = 0usize;
    while done < buf.len() {
        let at = addr.wrapping_add(done as u64);
        let n = ((PAGE - at % PAGE) as usize).min(buf.len() - done);
        if mem.write_bytes(at, &buf[done..done + n]).is_err() {
            break;
        }
        done += n;
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Memory with pages [0x1000, 0x3000) mapped.
    struct Fake(RefCell<Vec<u8>>);
    impl Fake {
        fn ok(addr: u64, len: usize) -> bool {
            addr >= 0x1000 && addr + len as u64 <= 0x3000
        }
    }
    impl UserMemory for Fake {
        fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
            if !Fake::ok(addr, buf.len()) {
                return Err(Errno::EFAULT);
            }
            let a = (addr - 0x1000) as usize;
            buf.copy_from_slice(&self.0.borrow()[a..a + buf.len()]);
            Ok(())
        }
        fn write_bytes(&self, addr: u64, buf: &[u8]) -> Result<(), Errno> {
            if !Fake::ok(addr, buf.len()) {
                return Err(Errno::EFAULT);
            }
            let a = (addr - 0x1000) as usize;
            self.0.borrow_mut()[a..a + buf.len()].copy_from_slice(buf);
            Ok(())
        }
    }

    #[test]
    fn stops_at_the_first_fault_on_either_side() {
        let src = Fake(RefCell::new((0..0x2000).map(|i| i as u8).collect()));
        let dst = Fake(RefCell::new(vec![0; 0x2000]));
        // The source runs off its end after 0x100 bytes.
        let n = copy_vectors(&src, &[(0x2f00, 0x200)], &dst, &[(0x1000, 0x1000)]).unwrap();
        assert_eq!(n, 0x100);
        // The destination runs off after 0x10.
        let n = copy_vectors(&src, &[(0x1000, 0x100)], &dst, &[(0x2ff0, 0x100)]).unwrap();
        assert_eq!(n, 0x10);
        // Nothing at all: EFAULT.
        assert_eq!(copy_vectors(&src, &[(0x5000, 8)], &dst, &[(0x1000, 8)]), Err(Errno::EFAULT));
        // Several pieces on both sides, in order.
        let n = copy_vectors(&src, &[(0x1000, 3), (0x1010, 3)], &dst, &[(0x1100, 2), (0x1200, 10)]).unwrap();
        assert_eq!(n, 6);
        assert_eq!(&dst.0.borrow()[0x100..0x102], &[0, 1]);
        assert_eq!(&dst.0.borrow()[0x200..0x204], &[2, 0x10, 0x11, 0x12]);
    }
}
