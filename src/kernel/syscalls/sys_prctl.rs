//! prctl options beyond identity (those are in sys_ident.rs): THP
//! disable, the clear_child_tid address, the machine-check kill policy,
//! speculation controls and TSC access (the host CPU's, set on the stub
//! thread), ambient capabilities, the auxiliary vector, PR_SET_MM,
//! memory-deny-write-execute and KSM merging. Argument checks and
//! errnos follow Linux 6.x's kernel/sys.c.

use std::sync::atomic::Ordering;

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::layout::{APP_TOP, MMAP_MIN_ADDR};
use crate::kernel::mm::mm_flags::{MDWE_NO_INHERIT, MDWE_REFUSE_EXEC_GAIN};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::thread_attrs::{MCE_KILL_DEFAULT, MCE_KILL_EARLY, MCE_KILL_LATE};
use crate::kernel::task::Task;

pub const PR_GET_TSC: i32 = 25;
pub const PR_SET_TSC: i32 = 26;
pub const PR_MCE_KILL: i32 = 33;
pub const PR_MCE_KILL_GET: i32 = 34;
pub const PR_SET_MM: i32 = 35;
pub const PR_GET_TID_ADDRESS: i32 = 40;
pub const PR_SET_THP_DISABLE: i32 = 41;
pub const PR_GET_THP_DISABLE: i32 = 42;
pub const PR_CAP_AMBIENT: i32 = 47;
pub const PR_GET_SPECULATION_CTRL: i32 = 52;
pub const PR_SET_SPECULATION_CTRL: i32 = 53;
pub const PR_SET_MDWE: i32 = 65;
pub const PR_GET_MDWE: i32 = 66;
pub const PR_SET_MEMORY_MERGE: i32 = 67;
pub const PR_GET_MEMORY_MERGE: i32 = 68;
pub const PR_GET_AUXV: i32 = 0x4155_5856;

/// PR_THP_DISABLE_EXCEPT_ADVISED.
const THP_DISABLE_EXCEPT_ADVISED: u64 = 1 << 1;
const PR_MCE_KILL_CLEAR: u64 = 0;
const PR_MCE_KILL_SET: u64 = 1;
const PR_CAP_AMBIENT_IS_SET: u64 = 1;
const PR_CAP_AMBIENT_RAISE: u64 = 2;
const PR_CAP_AMBIENT_LOWER: u64 = 3;
const PR_CAP_AMBIENT_CLEAR_ALL: u64 = 4;
const CAP_LAST_CAP: u64 = 40;
/// Linux 6.x x86-64's `mm->saved_auxv`: AT_VECTOR_SIZE (56) words.
/// PR_GET_AUXV answers its size whatever it copies.
pub const SAVED_AUXV_BYTES: usize = 56 * 8;

/// Serves `op` if it is one of this file's options.
pub fn prctl(t: &mut Task, op: i32, a: &Args) -> Option<SysResult> {
    let (arg2, arg3, arg4, arg5) = (a[1], a[2], a[3], a[4]);
    Some(match op {
        PR_SET_THP_DISABLE => set_thp_disable(t, arg2, arg3, arg4 | arg5),
        PR_GET_THP_DISABLE if arg2 | arg3 | arg4 | arg5 != 0 => Err(Errno::EINVAL),
        PR_GET_THP_DISABLE => Ok(t.mm().flags.thp_disable.load(Ordering::Relaxed) as u64),
        PR_GET_TID_ADDRESS => t.mem().write_u64(arg2, t.clear_child_tid).map(|_| 0),
        PR_MCE_KILL => mce_kill(t, arg2, arg3, arg4 | arg5),
        PR_MCE_KILL_GET if arg2 | arg3 | arg4 | arg5 != 0 => Err(Errno::EINVAL),
        PR_MCE_KILL_GET => Ok(t.shared.attrs.lock().unwrap_or_else(|e| e.into_inner()).mce_kill()),
        PR_GET_TSC | PR_GET_SPECULATION_CTRL => on_stub(t, a),
        PR_SET_TSC if arg2 != 1 && arg2 != 2 => Err(Errno::EINVAL),
        PR_SET_TSC | PR_SET_SPECULATION_CTRL => set_on_stub(t, a),
        PR_CAP_AMBIENT => cap_ambient(t, arg2, arg3, arg4 | arg5),
        PR_GET_AUXV if arg4 | arg5 != 0 => Err(Errno::EINVAL),
        PR_GET_AUXV => get_auxv(t, arg2, arg3),
        PR_SET_MM => super::sys_prctl_mm::set_mm(t, arg2, arg3, arg4, arg5),
        PR_SET_MDWE => set_mdwe(t, arg2, arg3 | arg4 | arg5),
        PR_GET_MDWE if arg2 | arg3 | arg4 | arg5 != 0 => Err(Errno::EINVAL),
        PR_GET_MDWE => Ok(t.mm().flags.mdwe.load(Ordering::Relaxed) as u64),
        PR_SET_MEMORY_MERGE if arg3 | arg4 | arg5 != 0 => Err(Errno::EINVAL),
        PR_SET_MEMORY_MERGE => {
            t.mm().flags.merge_any.store((arg2 != 0) as u32, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_MEMORY_MERGE if arg2 | arg3 | arg4 | arg5 != 0 => Err(Errno::EINVAL),
        PR_GET_MEMORY_MERGE => Ok(t.mm().flags.merge_any.load(Ordering::Relaxed) as u64),
        _ => return None,
    })
}

/// The call made as it is on the task's stub thread, where the host
/// keeps (and enforces) the thread's TSC and speculation state; the host
/// checks the arguments and writes any result to the caller's memory.
fn on_stub(t: &mut Task, a: &Args) -> SysResult {
    let r = t.thread.inject(libc::SYS_prctl, [a[0], a[1], a[2], a[3], a[4], 0]).map_err(|_| Errno::EFAULT)?;
    if (-4095..0).contains(&r) {
        Err(Errno::from_host(nix::errno::Errno::from_raw(-r as i32)))
    } else {
        Ok(r as u64)
    }
}

/// PR_SET_TSC, PR_SET_SPECULATION_CTRL: set on the stub thread, and
/// remembered for the stub of a later exec.
fn set_on_stub(t: &mut Task, a: &Args) -> SysResult {
    let r = on_stub(t, a)?;
    let mut at = t.shared.attrs.lock().unwrap_or_else(|e| e.into_inner());
    if a[0] as i32 == PR_SET_TSC {
        at.tsc_sigsegv = a[1] == 2;
    } else if let Some(c) = at.spec.get_mut(a[1] as usize) {
        *c = a[2];
    }
    Ok(r)
}

fn set_thp_disable(t: &Task, disable: u64, flags: u64, rest: u64) -> SysResult {
    if rest != 0 {
        return Err(Errno::EINVAL);
    }
    let v = match (disable != 0, flags) {
        (true, 0) => 1,
        (true, THP_DISABLE_EXCEPT_ADVISED) => 3,
        (false, 0) => 0,
        _ => return Err(Errno::EINVAL),
    };
    t.mm().flags.thp_disable.store(v, Ordering::Relaxed);
    Ok(0)
}

/// PR_MCE_KILL. As Linux, SET marks the thread's own policy before it
/// looks at the mode, so a bad mode leaves it "late".
fn mce_kill(t: &Task, op: u64, mode: u64, rest: u64) -> SysResult {
    if rest != 0 {
        return Err(Errno::EINVAL);
    }
    let mut at = t.shared.attrs.lock().unwrap_or_else(|e| e.into_inner());
    match op {
        PR_MCE_KILL_CLEAR if mode != 0 => Err(Errno::EINVAL),
        PR_MCE_KILL_CLEAR => {
            at.mce_own = false;
            Ok(0)
        }
        PR_MCE_KILL_SET => {
            at.mce_own = true;
            match mode {
                MCE_KILL_EARLY => at.mce_early = true,
                MCE_KILL_LATE => at.mce_early = false,
                MCE_KILL_DEFAULT => (at.mce_own, at.mce_early) = (false, false),
                _ => return Err(Errno::EINVAL),
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// PR_CAP_AMBIENT: a capability may be raised only while permitted and
/// inheritable (SECBIT_NO_CAP_AMBIENT_RAISE cannot be set here).
fn cap_ambient(t: &Task, op: u64, cap: u64, rest: u64) -> SysResult {
    let mut p = t.tg.privs.lock().unwrap_or_else(|e| e.into_inner());
    if op == PR_CAP_AMBIENT_CLEAR_ALL {
        if cap | rest != 0 {
            return Err(Errno::EINVAL);
        }
        p.ambient = 0;
        return Ok(0);
    }
    if cap > CAP_LAST_CAP || rest != 0 {
        return Err(Errno::EINVAL);
    }
    let bit = 1u64 << cap;
    match op {
        PR_CAP_AMBIENT_IS_SET => Ok((p.ambient & bit != 0) as u64),
        PR_CAP_AMBIENT_RAISE if p.permitted & p.inheritable & bit == 0 => Err(Errno::EPERM),
        PR_CAP_AMBIENT_RAISE => {
            p.ambient |= bit;
            Ok(0)
        }
        PR_CAP_AMBIENT_LOWER => {
            p.ambient &= !bit;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// PR_GET_AUXV: up to `len` bytes of the vector exec gave the process,
/// padded with zeros to Linux's fixed size, which it returns.
fn get_auxv(t: &Task, addr: u64, len: u64) -> SysResult {
    let mut saved = t.tg.auxv.lock().unwrap_or_else(|e| e.into_inner()).clone();
    saved.resize(SAVED_AUXV_BYTES.max(saved.len()), 0);
    let n = (len as usize).min(saved.len());
    if n > 0 {
        t.mem().write_bytes(addr, &saved[..n])?;
    }
    Ok(saved.len() as u64)
}

/// PR_SET_MDWE: bits can be set, never cleared or changed.
fn set_mdwe(t: &Task, bits: u64, rest: u64) -> SysResult {
    if rest != 0 || bits & !u64::from(MDWE_REFUSE_EXEC_GAIN | MDWE_NO_INHERIT) != 0 {
        return Err(Errno::EINVAL);
    }
    let bits = bits as u32;
    if bits & MDWE_NO_INHERIT != 0 && bits & MDWE_REFUSE_EXEC_GAIN == 0 {
        return Err(Errno::EINVAL);
    }
    let mm = t.mm();
    let now = mm.flags.mdwe.load(Ordering::Relaxed);
    if now != 0 && now != bits {
        return Err(Errno::EPERM);
    }
    mm.flags.mdwe.store(bits, Ordering::Relaxed);
    Ok(0)
}

/// Whether `addr` may be a PR_SET_MM address (Linux: below TASK_SIZE, at
/// or above mmap_min_addr).
pub fn user_addr(addr: u64) -> bool {
    (MMAP_MIN_ADDR..APP_TOP).contains(&addr)
}
