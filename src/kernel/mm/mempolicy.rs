//! NUMA memory policies (set_mempolicy, mbind) on a machine of one node:
//! every page lives on node 0 whatever the policy, so a policy is only
//! validated as Linux's `mpol_new` does and kept, for get_mempolicy to
//! report back (per thread, and per range of memory).

use std::collections::BTreeMap;

use crate::kernel::errno::Errno;

pub const MPOL_DEFAULT: u32 = 0;
pub const MPOL_PREFERRED: u32 = 1;
pub const MPOL_BIND: u32 = 2;
pub const MPOL_INTERLEAVE: u32 = 3;
pub const MPOL_LOCAL: u32 = 4;
pub const MPOL_PREFERRED_MANY: u32 = 5;
pub const MPOL_WEIGHTED_INTERLEAVE: u32 = 6;
const MPOL_MAX: u32 = 7;
pub const MPOL_F_STATIC_NODES: u32 = 1 << 15;
pub const MPOL_F_RELATIVE_NODES: u32 = 1 << 14;
const MPOL_F_NUMA_BALANCING: u32 = 1 << 13;
const MPOL_MODE_FLAGS: u32 = MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING;

/// The nodes the sandbox has: node 0 only (Linux's node_states[N_MEMORY]
/// and a task's mems_allowed).
pub const ONLINE_NODES: u64 = 1;

/// A policy other than the default one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemPolicy {
    /// MPOL_PREFERRED..=MPOL_WEIGHTED_INTERLEAVE.
    pub mode: u32,
    /// The mode flags given with it (MPOL_F_STATIC_NODES...).
    pub flags: u32,
    /// The nodes it uses (within `ONLINE_NODES`).
    pub nodes: u64,
    /// The first word of the mask as given: shown instead of `nodes` for
    /// the static and relative flags (Linux's `user_nodemask`; get_mempolicy
    /// copies out one word, as many as the nodes there are).
    pub user_nodes: u64,
}

impl MemPolicy {
    /// What get_mempolicy writes to *policy: the mode and its flags.
    pub fn shown_mode(&self) -> u32 {
        self.mode | (self.flags & MPOL_MODE_FLAGS)
    }

    /// What get_mempolicy writes to the node mask.
    pub fn shown_nodes(&self) -> u64 {
        if self.flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES) != 0 {
            self.user_nodes
        } else if self.mode == MPOL_LOCAL {
            0
        } else {
            self.nodes
        }
    }

    /// Whether F_NODE without an address asks the next interleave node.
    pub fn interleaves(&self) -> bool {
        matches!(self.mode, MPOL_INTERLEAVE | MPOL_WEIGHTED_INTERLEAVE)
    }
}

/// A requested mode split from its flags (Linux's `sanitize_mpol_flags`).
pub fn split_mode(arg: u64) -> Result<(u32, u32), Errno> {
    let arg = arg as u32;
    let flags = arg & MPOL_MODE_FLAGS;
    let mode = arg & !MPOL_MODE_FLAGS;
    if mode >= MPOL_MAX {
        return Err(Errno::EINVAL);
    }
    if flags & MPOL_F_STATIC_NODES != 0 && flags & MPOL_F_RELATIVE_NODES != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MPOL_F_NUMA_BALANCING != 0 && !matches!(mode, MPOL_BIND | MPOL_PREFERRED_MANY) {
        return Err(Errno::EINVAL);
    }
    Ok((mode, flags))
}

/// A node mask as read from the caller: whether any bit is set, and its
/// first word (the only one naming a node that exists).
#[derive(Clone, Copy, Debug, Default)]
pub struct Nodes {
    pub any: bool,
    pub first: u64,
}

/// Linux's MAX_NUMNODES (CONFIG_NODES_SHIFT 10, the distribution default
/// and this host's): bits past it must be clear.
const MAX_NUMNODES: u64 = 1024;

/// Reads `maxnode - 1` bits of a node mask at `addr` (Linux's `get_nodes`),
/// through `word(i)`, the i-th 64-bit word.
pub fn read_nodes(addr: u64, maxnode: u64, word: impl Fn(u64) -> Result<u64, Errno>) -> Result<Nodes, Errno> {
    let mut bits = maxnode.wrapping_sub(1);
    if maxnode == 0 || bits == 0 || addr == 0 {
        return Ok(Nodes::default());
    }
    if bits > 4096 * 8 {
        return Err(Errno::EINVAL);
    }
    // Past MAX_NUMNODES, whole words from the end must be zero (the last
    // one whole, even beyond `bits`, as Linux reads it).
    while bits > MAX_NUMNODES {
        let take = bits.min(64);
        let t = word((bits - 1) / 64)?;
        if bits - take >= MAX_NUMNODES {
            bits -= take;
        } else {
            bits = MAX_NUMNODES;
        }
        if t != 0 {
            return Err(Errno::EINVAL);
        }
    }
    let mut nodes = Nodes::default();
    for i in 0..bits.div_ceil(64) {
        let mut w = word(i)?;
        let left = bits - i * 64;
        if left < 64 {
            w &= (1u64 << left) - 1;
        }
        nodes.any |= w != 0;
        if i == 0 {
            nodes.first = w;
        }
    }
    Ok(nodes)
}

/// Linux's `mpol_new` and `mpol_set_nodemask`: the policy `mode` with
/// `flags` over `nodes` (None: the default policy).
pub fn new_policy(mode: u32, flags: u32, nodes: Nodes) -> Result<Option<MemPolicy>, Errno> {
    let pinned = flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES) != 0;
    let mut mode = mode;
    match mode {
        MPOL_DEFAULT if nodes.any => return Err(Errno::EINVAL),
        MPOL_DEFAULT => return Ok(None),
        // An empty preferred set means the local node.
        MPOL_PREFERRED if !nodes.any => {
            if pinned {
                return Err(Errno::EINVAL);
            }
            mode = MPOL_LOCAL;
        }
        MPOL_LOCAL if nodes.any || pinned => return Err(Errno::EINVAL),
        MPOL_LOCAL | MPOL_PREFERRED => {}
        _ if !nodes.any => return Err(Errno::EINVAL),
        _ => {}
    }
    // Relative nodes fold onto the allowed ones (all onto node 0); others
    // are intersected with them.
    let used = if flags & MPOL_F_RELATIVE_NODES != 0 {
        if nodes.any {
            ONLINE_NODES
        } else {
            0
        }
    } else {
        nodes.first & ONLINE_NODES
    };
    if mode != MPOL_LOCAL && used == 0 {
        return Err(Errno::EINVAL);
    }
    Ok(Some(MemPolicy { mode, flags, nodes: used, user_nodes: nodes.first }))
}

/// The policies mbind gave ranges of an address space (Linux keeps them in
/// the VMAs): non-overlapping `start -> (end, policy)`. Unmapping a range
/// drops its policy; a fork copies them with the mappings.
#[derive(Clone, Default)]
pub struct RangePolicies {
    map: BTreeMap<u64, (u64, MemPolicy)>,
}

impl RangePolicies {
    /// Sets (or with None clears) the policy of `[start, end)`.
    pub fn set(&mut self, start: u64, end: u64, policy: Option<MemPolicy>) {
        self.clear(start, end);
        if let Some(p) = policy {
            self.map.insert(start, (end, p));
        }
    }

    /// Drops every policy within `[start, end)`, cutting ranges at its edges.
    pub fn clear(&mut self, start: u64, end: u64) {
        if self.map.is_empty() {
            return;
        }
        let hit: Vec<(u64, u64, MemPolicy)> =
            self.map.range(..end).filter(|(_, (e, _))| *e > start).map(|(&s, &(e, p))| (s, e, p)).collect();
        for (s, e, p) in hit {
            self.map.remove(&s);
            if s < start {
                self.map.insert(s, (start, p));
            }
            if e > end {
                self.map.insert(end, (e, p));
            }
        }
    }

    /// The policy of the page at `addr`.
    pub fn at(&self, addr: u64) -> Option<MemPolicy> {
        self.map.range(..=addr).next_back().filter(|(_, (e, _))| *e > addr).map(|(_, (_, p))| *p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bind() -> MemPolicy {
        MemPolicy { mode: MPOL_BIND, flags: 0, nodes: 1, user_nodes: 1 }
    }

    #[test]
    fn ranges_split_and_clear() {
        let mut r = RangePolicies::default();
        r.set(0x1000, 0x5000, Some(bind()));
        r.clear(0x2000, 0x3000);
        assert_eq!(r.at(0x1000), Some(bind()));
        assert_eq!(r.at(0x2000), None);
        assert_eq!(r.at(0x4fff), Some(bind()));
        assert_eq!(r.at(0x5000), None);
    }

    #[test]
    fn masks_past_max_numnodes_must_be_clear() {
        let words = |hi: u64| {
            move |i: u64| {
                Ok(if i == 20 {
                    hi
                } else if i == 0 {
                    1
                } else {
                    0
                })
            }
        };
        assert!(read_nodes(8, 21 * 64 + 1, words(0)).is_ok());
        assert_eq!(read_nodes(8, 21 * 64 + 1, words(1 << 63)).unwrap_err(), Errno::EINVAL);
        assert!(read_nodes(8, 20 * 64 + 1, words(1 << 63)).is_ok());
    }
}
