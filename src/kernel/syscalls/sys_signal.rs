//! Signal dispositions and masks. Delivery of handled signals comes with
//! the signals issue; until then faults and kills take the default action.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::signals::{SigAction, UNBLOCKABLE};
use crate::kernel::task::Task;

/// Implements rt_sigaction(2).
pub fn rt_sigaction(t: &mut Task, a: &Args) -> SysResult {
    let (sig, act, old, size) = (a[0] as i32, a[1], a[2], a[3]);
    if size != 8 || !(1..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let new = if act != 0 {
        let mut b = [0u8; 32];
        t.mem().read_bytes(act, &mut b)?;
        let w = |i: usize| u64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            return Err(Errno::EINVAL);
        }
        Some(SigAction {
            handler: w(0),
            flags: w(1),
            restorer: w(2),
            mask: w(3) & !UNBLOCKABLE,
        })
    } else {
        None
    };
    let mut actions = t.tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner());
    let prev = actions.get(sig);
    if old != 0 {
        let mut b = [0u8; 32];
        for (i, w) in [prev.handler, prev.flags, prev.restorer, prev.mask]
            .iter()
            .enumerate()
        {
            b[i * 8..i * 8 + 8].copy_from_slice(&w.to_ne_bytes());
        }
        t.mem().write_bytes(old, &b)?;
    }
    if let Some(n) = new {
        actions.set(sig, n);
    }
    Ok(0)
}

/// Implements rt_sigprocmask(2).
pub fn rt_sigprocmask(t: &mut Task, a: &Args) -> SysResult {
    let (how, set, old, size) = (a[0] as i32, a[1], a[2], a[3]);
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let new = if set != 0 {
        let s = t.mem().read_u64(set)?;
        Some(match how {
            libc::SIG_BLOCK => t.sigmask | s,
            libc::SIG_UNBLOCK => t.sigmask & !s,
            libc::SIG_SETMASK => s,
            _ => return Err(Errno::EINVAL),
        })
    } else {
        None
    };
    if old != 0 {
        t.mem().write_u64(old, t.sigmask)?;
    }
    if let Some(n) = new {
        t.sigmask = n & !UNBLOCKABLE;
    }
    Ok(0)
}

const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: i32 = 1 << 31;
const MINSIGSTKSZ: u64 = 2048;

/// Implements sigaltstack(2).
pub fn sigaltstack(t: &mut Task, a: &Args) -> SysResult {
    let (ss, old) = (a[0], a[1]);
    let new = if ss != 0 {
        let mut b = [0u8; 24];
        t.mem().read_bytes(ss, &mut b)?;
        let sp = u64::from_ne_bytes(b[0..8].try_into().unwrap_or_default());
        let flags = i32::from_ne_bytes(b[8..12].try_into().unwrap_or_default());
        let size = u64::from_ne_bytes(b[16..24].try_into().unwrap_or_default());
        let mode = flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
            return Err(Errno::EINVAL);
        }
        if mode == SS_DISABLE {
            Some((0, SS_DISABLE, 0))
        } else {
            if size < MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            Some((sp, flags & SS_AUTODISARM, size))
        }
    } else {
        None
    };
    if old != 0 {
        let (sp, flags, size) = t.sigaltstack;
        let flags = if size == 0 { SS_DISABLE } else { flags };
        let mut b = [0u8; 24];
        b[0..8].copy_from_slice(&sp.to_ne_bytes());
        b[8..12].copy_from_slice(&flags.to_ne_bytes());
        b[16..24].copy_from_slice(&size.to_ne_bytes());
        t.mem().write_bytes(old, &b)?;
    }
    if let Some(n) = new {
        t.sigaltstack = n;
    }
    Ok(0)
}

/// Sends `sig` to the calling process, the only one a sandbox has so far.
/// `sig == 0` only checks that the target exists.
fn signal_self(t: &mut Task, sig: i32) -> SysResult {
    if !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    if sig == 0 {
        return Ok(0);
    }
    let act = t.tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner()).get(sig);
    if act.handler == crate::kernel::task::signals::SIG_IGN && sig != libc::SIGKILL && sig != libc::SIGSTOP {
        return Ok(0);
    }
    if act.handler == crate::kernel::task::signals::SIG_DFL || sig == libc::SIGKILL || sig == libc::SIGSTOP {
        // The container's init ignores default-action signals sent from
        // inside its own PID namespace, as Linux's namespace init does.
        if t.tg.pid == 1 {
            return Ok(0);
        }
        use crate::kernel::task::signals::{default_action, DefaultAction};
        if matches!(default_action(sig), DefaultAction::Terminate | DefaultAction::CoreDump) {
            t.exit_group(crate::kernel::task::ExitStatus::Signal(sig));
        }
        return Ok(0);
    }
    // A handler is installed: queue the signal; it is delivered when the
    // signal machinery runs handlers.
    t.pending |= crate::kernel::task::signals::sigbit(sig);
    Ok(0)
}

/// Implements kill(2) within the sandbox.
pub fn kill(t: &mut Task, a: &Args) -> SysResult {
    let pid = a[0] as i32;
    if pid == t.tg.pid || pid == 0 || pid == -1 || pid == -t.tg.pid {
        return signal_self(t, a[1] as i32);
    }
    if pid == i32::MIN {
        return Err(Errno::ESRCH);
    }
    if !(0..=64).contains(&(a[1] as i32)) {
        return Err(Errno::EINVAL);
    }
    Err(Errno::ESRCH)
}

/// Implements tgkill(2).
pub fn tgkill(t: &mut Task, a: &Args) -> SysResult {
    let (tgid, tid, sig) = (a[0] as i32, a[1] as i32, a[2] as i32);
    if tgid <= 0 || tid <= 0 || !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    if tgid != t.tg.pid || tid != t.tid {
        return Err(Errno::ESRCH);
    }
    signal_self(t, sig)
}

/// Implements tkill(2).
pub fn tkill(t: &mut Task, a: &Args) -> SysResult {
    let (tid, sig) = (a[0] as i32, a[1] as i32);
    if tid <= 0 || !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    if tid != t.tid {
        return Err(Errno::ESRCH);
    }
    signal_self(t, sig)
}
