//! `struct iovec` arrays read from application memory, with Linux's checks
//! (readv/writev and friends, sendmsg/recvmsg, process_vm_readv/writev).

use crate::kernel::errno::Errno;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;

/// Linux's UIO_MAXIOV.
pub const IOV_MAX: u64 = 1024;

/// Reads `count` (base, len) pairs at `addr`: EINVAL for more than IOV_MAX,
/// a negative length, or (with `check_total`) lengths adding up past
/// SSIZE_MAX.
pub fn read_iovecs(t: &Task, addr: u64, count: u64, check_total: bool) -> Result<Vec<(u64, u64)>, Errno> {
    if count > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; count as usize * 16];
    if count > 0 {
        t.mem().read_bytes(addr, &mut raw)?;
    }
    let mut total = 0u64;
    let mut v = Vec::with_capacity(count as usize);
    for c in raw.chunks_exact(16) {
        let base = u64::from_ne_bytes(c[..8].try_into().unwrap_or_default());
        let len = u64::from_ne_bytes(c[8..].try_into().unwrap_or_default());
        if (len as i64) < 0 {
            return Err(Errno::EINVAL);
        }
        if check_total {
            total = total.checked_add(len).filter(|&x| (x as i64) >= 0).ok_or(Errno::EINVAL)?;
        }
        v.push((base, len));
    }
    Ok(v)
}
