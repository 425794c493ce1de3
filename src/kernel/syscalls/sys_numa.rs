//! NUMA memory policy as one memory node shows it: get_mempolicy(2)
//! reports the default policy (the only one a task can have, since
//! set_mempolicy and mbind are not served: ENOSYS) and node 0. `top` and
//! libnuma ask it.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;

const MPOL_DEFAULT: u32 = 0;
const MPOL_F_NODE: u64 = 1;
const MPOL_F_ADDR: u64 = 2;
const MPOL_F_MEMS_ALLOWED: u64 = 4;
/// Linux's nr_node_ids: nodes 0..1.
const NR_NODE_IDS: u64 = 1;

/// Implements get_mempolicy(2): Linux's `kernel_get_mempolicy` and
/// `do_get_mempolicy` with every task on the default policy.
pub fn get_mempolicy(t: &mut Task, a: &Args) -> SysResult {
    let (policy, nmask, maxnode, addr, flags) = (a[0], a[1], a[2], a[3], a[4]);
    if nmask != 0 && maxnode < NR_NODE_IDS {
        return Err(Errno::EINVAL);
    }
    if flags & !(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED) != 0 {
        return Err(Errno::EINVAL);
    }
    // (what *policy says, the node mask)
    let (mode, nodes) = if flags & MPOL_F_MEMS_ALLOWED != 0 {
        if flags & (MPOL_F_NODE | MPOL_F_ADDR) != 0 {
            return Err(Errno::EINVAL);
        }
        (0, 1u64)
    } else {
        if flags & MPOL_F_ADDR != 0 {
            if !t.mm().is_mapped(addr) {
                return Err(Errno::EFAULT);
            }
        } else if addr != 0 {
            return Err(Errno::EINVAL);
        }
        // MPOL_F_NODE names the node of the page at addr (node 0), or the
        // next interleave node, which the default policy has none of.
        if flags & MPOL_F_NODE != 0 && flags & MPOL_F_ADDR == 0 {
            return Err(Errno::EINVAL);
        }
        (MPOL_DEFAULT, 0)
    };
    let mem = t.mem();
    if policy != 0 {
        mem.write_u32(policy, mode)?;
    }
    if nmask != 0 {
        copy_nodes_to_user(&mem, nmask, maxnode, nodes)?;
    }
    Ok(0)
}

/// Linux's copy_nodes_to_user: `maxnode - 1` bits rounded up to longs;
/// what lies past the kernel's own mask (one long) is cleared, up to a
/// page.
fn copy_nodes_to_user(mem: &dyn UserMemory, mask: u64, maxnode: u64, nodes: u64) -> Result<(), Errno> {
    let copy = (maxnode - 1).next_multiple_of(64) / 8;
    let nbytes = 8;
    if copy > nbytes {
        if copy > 4096 {
            return Err(Errno::EINVAL);
        }
        mem.write_bytes(mask + nbytes, &vec![0u8; (copy - nbytes) as usize])?;
    }
    let n = copy.min(nbytes) as usize;
    mem.write_bytes(mask, &nodes.to_ne_bytes()[..n])
}
