//! NUMA memory policy on a machine of one node (0): set_mempolicy(2) and
//! mbind(2) check their arguments as Linux does and keep the policy (the
//! thread's, or a range's), get_mempolicy(2) reports it back; every page
//! is on node 0 whatever the policy (kernel/mm/mempolicy.rs). `top`,
//! numactl and libnuma use them.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::layout::PAGE;
use crate::kernel::mm::mempolicy::{self, MemPolicy, Nodes, MPOL_DEFAULT, ONLINE_NODES};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;

const MPOL_F_NODE: u64 = 1;
const MPOL_F_ADDR: u64 = 2;
const MPOL_F_MEMS_ALLOWED: u64 = 4;
const MPOL_MF_STRICT: u64 = 1;
const MPOL_MF_MOVE: u64 = 2;
const MPOL_MF_MOVE_ALL: u64 = 4;
/// Linux's nr_node_ids: nodes 0..1.
const NR_NODE_IDS: u64 = 1;

/// The mode (split from its flags) and node mask of a set_mempolicy or
/// mbind call, read as Linux's `sanitize_mpol_flags` and `get_nodes`.
fn read_request(t: &Task, mode: u64, nmask: u64, maxnode: u64) -> Result<(u32, u32, Nodes), Errno> {
    let (mode, flags) = mempolicy::split_mode(mode)?;
    let mem = t.mem();
    let nodes =
        mempolicy::read_nodes(nmask, maxnode, |i| mem.read_u64(nmask.checked_add(i * 8).ok_or(Errno::EFAULT)?))?;
    Ok((mode, flags, nodes))
}

/// Implements set_mempolicy(2): the calling thread's policy.
pub fn set_mempolicy(t: &mut Task, a: &Args) -> SysResult {
    let (mode, flags, nodes) = read_request(t, a[0], a[1], a[2])?;
    let policy = mempolicy::new_policy(mode, flags, nodes)?;
    t.shared.attrs.lock().unwrap_or_else(|e| e.into_inner()).mempolicy = policy;
    Ok(0)
}

/// Implements mbind(2): the policy of the pages of a range, all of which
/// must be mapped (EFAULT for a hole, as Linux); there is nothing to move.
pub fn mbind(t: &mut Task, a: &Args) -> SysResult {
    let (start, len, flags) = (a[0], a[1], a[5]);
    let (mode, mode_flags, nodes) = read_request(t, a[2], a[3], a[4])?;
    if flags & !(MPOL_MF_STRICT | MPOL_MF_MOVE | MPOL_MF_MOVE_ALL) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MPOL_MF_MOVE_ALL != 0 && !t.tg.capable(super::sys_ident::CAP_SYS_NICE) {
        return Err(Errno::EPERM);
    }
    if !start.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    // Linux's PAGE_ALIGN wraps; a range that wraps past the top is EINVAL.
    let end = start.wrapping_add(len.wrapping_add(PAGE - 1) & !(PAGE - 1));
    if end < start {
        return Err(Errno::EINVAL);
    }
    if end == start {
        return Ok(0);
    }
    let policy = mempolicy::new_policy(mode, mode_flags, nodes)?;
    let mm = t.mm();
    let mut st = mm.state.lock().unwrap_or_else(|e| e.into_inner());
    if !st.vmas.fully_mapped(start, end) {
        return Err(Errno::EFAULT);
    }
    st.vmas.policies.set(start, end, policy);
    Ok(0)
}

/// Implements get_mempolicy(2): Linux's `kernel_get_mempolicy` and
/// `do_get_mempolicy`.
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
        (0, ONLINE_NODES)
    } else {
        let task_policy = t.shared.attrs.lock().unwrap_or_else(|e| e.into_inner()).mempolicy;
        // The range's policy (not the thread's: a mapping mbind never
        // touched is on the default one), or the thread's.
        let pol: Option<MemPolicy> = if flags & MPOL_F_ADDR != 0 {
            let mm = t.mm();
            let st = mm.state.lock().unwrap_or_else(|e| e.into_inner());
            if st.vmas.vma_at(addr).is_none() {
                return Err(Errno::EFAULT);
            }
            st.vmas.policies.at(addr)
        } else if addr != 0 {
            return Err(Errno::EINVAL);
        } else {
            task_policy
        };
        let mode = if flags & MPOL_F_NODE != 0 {
            // The node of the page at addr, or the thread's next
            // interleave node: node 0 either way.
            if flags & MPOL_F_ADDR == 0 && !task_policy.is_some_and(|p| p.interleaves()) {
                return Err(Errno::EINVAL);
            }
            0
        } else {
            pol.map_or(MPOL_DEFAULT, |p| p.shown_mode())
        };
        (mode, pol.map_or(0, |p| p.shown_nodes()))
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
    // ALIGN(maxnode - 1, 64) / 8 in Linux's unsigned arithmetic: a huge
    // maxnode wraps to a copy of nothing.
    let copy = ((maxnode - 1).wrapping_add(63) & !63) / 8;
    let nbytes = 8;
    if copy > nbytes {
        if copy > 4096 {
            return Err(Errno::EINVAL);
        }
        mem.write_bytes(mask.checked_add(nbytes).ok_or(Errno::EFAULT)?, &vec![0u8; (copy - nbytes) as usize])?;
    }
    let n = copy.min(nbytes) as usize;
    mem.write_bytes(mask, &nodes.to_ne_bytes()[..n])
}
