//! Creating processes and threads, and waiting for them: fork, vfork,
//! clone, clone3, wait4, waitid.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::clone::CloneArgs;
use crate::kernel::task::waitpid::{
    WaitEvent, WaitTarget, WALL, WCLONE, WCONTINUED, WEXITED, WNOHANG, WNOTHREAD, WNOWAIT, WUNTRACED,
};
use crate::kernel::task::Task;

/// Implements fork(2).
pub fn fork(t: &mut Task, _: &Args) -> SysResult {
    t.do_clone(CloneArgs { exit_signal: libc::SIGCHLD, ..Default::default() })
}

/// Implements vfork(2): the child shares the parent's memory, and the
/// parent waits until the child execs or exits.
pub fn vfork(t: &mut Task, _: &Args) -> SysResult {
    t.do_clone(CloneArgs {
        flags: (libc::CLONE_VM | libc::CLONE_VFORK) as u64,
        exit_signal: libc::SIGCHLD,
        ..Default::default()
    })
}

/// Implements clone(2) (x86_64 argument order: flags, stack, parent_tid,
/// child_tid, tls).
pub fn clone(t: &mut Task, a: &Args) -> SysResult {
    let flags = a[0];
    let exit_signal = (flags & 0xff) as i32;
    if !(0..=64).contains(&exit_signal) {
        return Err(Errno::EINVAL);
    }
    let flags = flags & !0xff;
    // clone(2) stores a pidfd where it would store the parent's tid: both
    // cannot be asked for.
    if flags & libc::CLONE_PIDFD as u64 != 0 && flags & libc::CLONE_PARENT_SETTID as u64 != 0 {
        return Err(Errno::EINVAL);
    }
    t.do_clone(CloneArgs { flags, exit_signal, stack: a[1], parent_tid: a[2], child_tid: a[3], tls: a[4], pidfd: a[2] })
}

/// Size of clone3's `struct clone_args` up to `tls` (version 0).
const CLONE_ARGS_SIZE_VER0: u64 = 64;

/// Implements clone3(2).
pub fn clone3(t: &mut Task, a: &Args) -> SysResult {
    let (addr, size) = (a[0], a[1]);
    if !(CLONE_ARGS_SIZE_VER0..=4096).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; size as usize];
    t.mem().read_bytes(addr, &mut raw)?;
    let w = |i: usize| u64::from_ne_bytes(raw[i * 8..i * 8 + 8].try_into().unwrap_or_default());
    // Unknown trailing fields must be zero.
    if raw.len() > 88 && raw[88..].iter().any(|&b| b != 0) {
        return Err(Errno::E2BIG);
    }
    let (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls) =
        (w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7));
    if raw.len() >= 88 && (w(9) != 0 || w(10) != 0) {
        // set_tid and cgroup placement are not served.
        return Err(Errno::EINVAL);
    }
    if exit_signal > 64 || (stack == 0) != (stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    // clone3 gives the stack as base + size; the child starts at the top.
    let sp = if stack != 0 { stack + stack_size } else { 0 };
    t.do_clone(CloneArgs { flags, exit_signal: exit_signal as i32, stack: sp, parent_tid, child_tid, tls, pidfd })
}

/// Writes the rusage of a waited-for child (zeroes when nothing was reaped).
fn write_rusage(t: &Task, addr: u64, ev: Option<&WaitEvent>) -> Result<(), Errno> {
    if addr != 0 {
        let usage = ev.map(|e| e.usage).unwrap_or_default();
        t.mem().write_bytes(addr, &usage.to_rusage())?;
    }
    Ok(())
}

/// Implements wait4(2).
pub fn wait4(t: &mut Task, a: &Args) -> SysResult {
    let (pid, status_addr, options, rusage) = (a[0] as i32, a[1], a[2] as i32, a[3]);
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL) != 0 {
        return Err(Errno::EINVAL);
    }
    let target = match pid {
        // -INT_MIN has no value (kernel_wait4 says ESRCH before negating).
        i32::MIN => return Err(Errno::ESRCH),
        -1 => WaitTarget::Any,
        0 => WaitTarget::Pgid(0),
        p if p < -1 => WaitTarget::Pgid(-p),
        p => WaitTarget::Pid(p),
    };
    match t.wait_child(target, options | WEXITED)? {
        None => Ok(0),
        Some(ev) => {
            if status_addr != 0 {
                t.mem().write_u32(status_addr, ev.wstatus as u32)?;
            }
            write_rusage(t, rusage, Some(&ev))?;
            Ok(ev.pid as u64)
        }
    }
}

const P_ALL: u64 = 0;
const P_PID: u64 = 1;
const P_PGID: u64 = 2;
const P_PIDFD: u64 = 3;

fn siginfo_of(ev: &WaitEvent) -> [u8; 128] {
    let mut b = [0u8; 128];
    b[0..4].copy_from_slice(&libc::SIGCHLD.to_ne_bytes());
    b[8..12].copy_from_slice(&ev.code.to_ne_bytes());
    b[16..20].copy_from_slice(&ev.pid.to_ne_bytes());
    b[20..24].copy_from_slice(&ev.uid.to_ne_bytes());
    b[24..28].copy_from_slice(&ev.status.to_ne_bytes());
    b
}

/// Implements waitid(2).
pub fn waitid(t: &mut Task, a: &Args) -> SysResult {
    let (idtype, id, infop, options, rusage) = (a[0], a[1] as i32, a[2], a[3] as i32, a[4]);
    if options & !(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WCLONE | WALL) != 0 {
        return Err(Errno::EINVAL);
    }
    if options & (WEXITED | WUNTRACED | WCONTINUED) == 0 {
        return Err(Errno::EINVAL);
    }
    let mut options = options;
    let mut nonblocking_pidfd = false;
    let target = match idtype {
        P_ALL => WaitTarget::Any,
        P_PID if id > 0 => WaitTarget::Pid(id),
        P_PGID if id >= 0 => WaitTarget::Pgid(id),
        P_PIDFD if id >= 0 => {
            // Its process, as the caller's namespace numbers it (not a
            // child, or not shown there: ECHILD from the wait).
            let (g, nonblock) = super::sys_pidfd::pidfd_target(t, id)?;
            if nonblock {
                nonblocking_pidfd = options & WNOHANG == 0;
                options |= WNOHANG;
            }
            WaitTarget::Pid(g.pid.nr_in(t.pidns()))
        }
        _ => return Err(Errno::EINVAL),
    };
    let ev = t.wait_child(target, options)?;
    // A non-blocking pidfd whose process has nothing to report: EAGAIN,
    // unless the caller asked for WNOHANG itself.
    if ev.is_none() && nonblocking_pidfd {
        return Err(Errno::EAGAIN);
    }
    if infop != 0 {
        let bytes = match &ev {
            Some(ev) => siginfo_of(ev),
            None => [0u8; 128],
        };
        t.mem().write_bytes(infop, &bytes)?;
    }
    write_rusage(t, rusage, ev.as_ref())?;
    Ok(0)
}
