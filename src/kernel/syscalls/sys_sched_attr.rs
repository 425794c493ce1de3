//! sched_setattr(2) and sched_getattr(2): the `struct sched_attr` view of
//! the scheduling attributes sys_ident.rs keeps (policy, nice,
//! SCHED_RESET_ON_FORK). As sched_setscheduler there, the real-time and
//! deadline policies are checked as Linux checks them and then refused
//! with EPERM, even for a privileged caller: the sentry cannot honour them.

use super::sys_ident::{
    capable, find_task, nice_allowed, same_owner, sched_attrs, CAP_SYS_NICE, SCHED_BATCH, SCHED_DEADLINE, SCHED_FIFO,
    SCHED_IDLE, SCHED_RESET_ON_FORK, SCHED_RR,
};
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::layout::PAGE;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::{Task, TaskShared};

/// The first published size of `struct sched_attr` (no utilization clamps).
const SIZE_VER0: u64 = 48;
/// The size of Linux's `struct sched_attr` today (with the clamps).
const SIZE_VER1: u64 = 56;

const SCHED_FLAG_RESET_ON_FORK: u64 = 0x01;
const SCHED_FLAG_KEEP_POLICY: u64 = 0x08;
const SCHED_FLAG_KEEP_PARAMS: u64 = 0x10;
const SCHED_FLAG_UTIL_CLAMP: u64 = 0x20 | 0x40;
/// SCHED_FLAG_ALL: reset-on-fork, reclaim, dl-overrun, keep policy and
/// params, the two clamps.
const SCHED_FLAG_ALL: u64 = 0x7f;
/// The schedutil governor's own flag, never for a user's call.
const SCHED_FLAG_SUGOV: u64 = 0x1000_0000;

/// `struct sched_attr` as the fields Linux reads and writes.
#[derive(Default)]
struct SchedAttr {
    policy: u32,
    flags: u64,
    nice: i32,
    priority: u32,
    runtime: u64,
    deadline: u64,
    period: u64,
}

impl SchedAttr {
    fn from_bytes(b: &[u8; SIZE_VER1 as usize]) -> SchedAttr {
        let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap_or_default());
        let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap_or_default());
        SchedAttr {
            policy: u32_at(4),
            flags: u64_at(8),
            nice: u32_at(16) as i32,
            priority: u32_at(20),
            runtime: u64_at(24),
            deadline: u64_at(32),
            period: u64_at(40),
        }
    }

    fn to_bytes(&self, size: u32) -> [u8; SIZE_VER1 as usize] {
        let mut b = [0u8; SIZE_VER1 as usize];
        b[0..4].copy_from_slice(&size.to_ne_bytes());
        b[4..8].copy_from_slice(&self.policy.to_ne_bytes());
        b[8..16].copy_from_slice(&self.flags.to_ne_bytes());
        b[16..20].copy_from_slice(&self.nice.to_ne_bytes());
        b[20..24].copy_from_slice(&self.priority.to_ne_bytes());
        // runtime, deadline, period and the clamps stay 0: no deadline
        // task, and no utilization clamping (a kernel without uclamp).
        b
    }

    /// Linux's `__checkparam_dl`: deadline parameters that can be met.
    fn deadline_valid(&self) -> bool {
        if self.flags & SCHED_FLAG_SUGOV != 0 {
            return true;
        }
        const MSB: u64 = 1 << 63;
        if self.deadline == 0 || self.runtime < 1 << 10 || self.deadline & MSB != 0 || self.period & MSB != 0 {
            return false;
        }
        let period = if self.period == 0 { self.deadline } else { self.period };
        // sched_deadline_period_min_us and _max_us, Linux's defaults.
        let (min, max) = (100 * 1000, (1 << 22) * 1000);
        period >= self.deadline && self.deadline >= self.runtime && (min..=max).contains(&period)
    }
}

/// Implements sched_getattr(2).
pub fn sched_getattr(t: &mut Task, a: &Args) -> SysResult {
    let (pid, addr, size, flags) = (a[0] as i32, a[1], a[2] as u32 as u64, a[3] as u32);
    if addr == 0 || pid < 0 || !(SIZE_VER0..=PAGE).contains(&size) || flags != 0 {
        return Err(Errno::EINVAL);
    }
    let s = sched_attrs(&*find_task(t, pid)?);
    let attr = SchedAttr {
        policy: s.policy as u32,
        flags: if s.reset_on_fork { SCHED_FLAG_RESET_ON_FORK } else { 0 },
        nice: s.nice,
        ..Default::default()
    };
    let n = size.min(SIZE_VER1);
    t.mem().write_bytes(addr, &attr.to_bytes(n as u32)[..n as usize])?;
    Ok(0)
}

/// Linux's `sched_copy_attr`: the caller's structure, of the size it
/// names (0 is the first version); a larger one must be zero past ours.
fn read_attr(t: &Task, addr: u64) -> Result<SchedAttr, Errno> {
    let mut size = t.mem().read_u32(addr)? as u64;
    if size == 0 {
        size = SIZE_VER0;
    }
    if !(SIZE_VER0..=PAGE).contains(&size) {
        t.mem().write_u32(addr, SIZE_VER1 as u32)?;
        return Err(Errno::E2BIG);
    }
    let mut raw = vec![0u8; size as usize];
    t.mem().read_bytes(addr, &mut raw)?;
    if raw.iter().skip(SIZE_VER1 as usize).any(|&b| b != 0) {
        t.mem().write_u32(addr, SIZE_VER1 as u32)?;
        return Err(Errno::E2BIG);
    }
    let mut b = [0u8; SIZE_VER1 as usize];
    let n = raw.len().min(b.len());
    b[..n].copy_from_slice(&raw[..n]);
    let mut attr = SchedAttr::from_bytes(&b);
    if attr.flags & SCHED_FLAG_UTIL_CLAMP != 0 && size < SIZE_VER1 {
        return Err(Errno::EINVAL);
    }
    attr.nice = attr.nice.clamp(-20, 19);
    Ok(attr)
}

/// Implements sched_setattr(2).
pub fn sched_setattr(t: &mut Task, a: &Args) -> SysResult {
    let (pid, addr, flags) = (a[0] as i32, a[1], a[2] as u32);
    if addr == 0 || pid < 0 || flags != 0 {
        return Err(Errno::EINVAL);
    }
    let attr = read_attr(t, addr)?;
    if (attr.policy as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    set_sched(t, &*find_task(t, pid)?, attr)
}

/// sched_setscheduler(2) and sched_setparam(2) (`keep_policy`), as Linux
/// turns them into a `sched_attr` with the target's nice value: policy
/// (with its SCHED_RESET_ON_FORK bit) and priority.
pub(super) fn set_policy(t: &Task, target: &TaskShared, policy: i32, keep_policy: bool, priority: i32) -> SysResult {
    let reset = !keep_policy && policy & SCHED_RESET_ON_FORK != 0;
    let attr = SchedAttr {
        policy: (policy & !SCHED_RESET_ON_FORK) as u32,
        flags: if keep_policy { SCHED_FLAG_KEEP_POLICY } else { 0 } | if reset { SCHED_FLAG_RESET_ON_FORK } else { 0 },
        nice: sched_attrs(target).nice,
        priority: priority as u32,
        ..Default::default()
    };
    set_sched(t, target, attr)
}

/// Linux's `__sched_setscheduler` for SCHED_OTHER, SCHED_BATCH and
/// SCHED_IDLE, its checks in its order.
fn set_sched(t: &Task, target: &TaskShared, mut attr: SchedAttr) -> SysResult {
    let cur = sched_attrs(target);
    if attr.flags & SCHED_FLAG_KEEP_PARAMS != 0 {
        attr.nice = cur.nice;
        attr.priority = 0;
    }
    let (policy, reset) = if attr.flags & SCHED_FLAG_KEEP_POLICY != 0 {
        (cur.policy, cur.reset_on_fork)
    } else {
        (attr.policy as i32, attr.flags & SCHED_FLAG_RESET_ON_FORK != 0)
    };
    if !matches!(policy, 0 | SCHED_FIFO | SCHED_RR | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE) {
        return Err(Errno::EINVAL);
    }
    if attr.flags & !(SCHED_FLAG_ALL | SCHED_FLAG_SUGOV) != 0 || attr.priority > 99 {
        return Err(Errno::EINVAL);
    }
    let rt = matches!(policy, SCHED_FIFO | SCHED_RR);
    if (policy == SCHED_DEADLINE && !attr.deadline_valid()) || rt != (attr.priority != 0) {
        return Err(Errno::EINVAL);
    }
    let fair = matches!(policy, 0 | SCHED_BATCH);
    let needs_priv = (fair && attr.nice < cur.nice && !nice_allowed(target, attr.nice))
        || (cur.policy == SCHED_IDLE && policy != SCHED_IDLE && !nice_allowed(target, cur.nice))
        || !same_owner(t, target)
        || (cur.reset_on_fork && !reset);
    if rt || policy == SCHED_DEADLINE || (needs_priv && !capable(t, CAP_SYS_NICE)) {
        return Err(Errno::EPERM);
    }
    if attr.flags & SCHED_FLAG_SUGOV != 0 {
        return Err(Errno::EINVAL);
    }
    if attr.flags & SCHED_FLAG_UTIL_CLAMP != 0 {
        // As a kernel built without CONFIG_UCLAMP_TASK.
        return Err(Errno::EOPNOTSUPP);
    }
    let mut s = target.sched.lock().unwrap_or_else(|e| e.into_inner());
    s.policy = policy;
    s.reset_on_fork = reset;
    if fair {
        s.nice = attr.nice;
    }
    Ok(0)
}
