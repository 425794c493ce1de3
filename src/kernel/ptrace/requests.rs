//! ptrace(2) requests: attaching, resuming, and reading and changing a
//! stopped tracee (its memory, registers, siginfo).

use std::sync::Arc;

use super::regs;
use super::state::*;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::signal::send::{send, wake, Origin, Target};
use crate::kernel::signal::SigInfo;
use crate::kernel::task::{Task, TaskShared};

pub const TRACEME: i64 = 0;
pub const PEEKTEXT: i64 = 1;
pub const PEEKDATA: i64 = 2;
pub const PEEKUSER: i64 = 3;
pub const POKETEXT: i64 = 4;
pub const POKEDATA: i64 = 5;
pub const POKEUSER: i64 = 6;
pub const CONT: i64 = 7;
pub const KILL: i64 = 8;
pub const SINGLESTEP: i64 = 9;
pub const GETREGS: i64 = 12;
pub const SETREGS: i64 = 13;
pub const GETFPREGS: i64 = 14;
pub const SETFPREGS: i64 = 15;
pub const ATTACH: i64 = 16;
pub const DETACH: i64 = 17;
pub const SYSCALL: i64 = 24;
pub const SETOPTIONS: i64 = 0x4200;
pub const GETEVENTMSG: i64 = 0x4201;
pub const GETSIGINFO: i64 = 0x4202;
pub const SETSIGINFO: i64 = 0x4203;
pub const GETREGSET: i64 = 0x4204;
pub const SETREGSET: i64 = 0x4205;
pub const SEIZE: i64 = 0x4206;
pub const INTERRUPT: i64 = 0x4207;
pub const LISTEN: i64 = 0x4208;
pub const GETSIGMASK: i64 = 0x420a;
pub const SETSIGMASK: i64 = 0x420b;
pub const GET_SYSCALL_INFO: i64 = 0x420e;

/// Serves ptrace(`req`, `pid`, `addr`, `data`).
pub fn ptrace(t: &mut Task, req: i64, pid: i32, addr: u64, data: u64) -> SysResult {
    if req == TRACEME {
        return traceme(t);
    }
    let target = t.kernel.procs().task_in(t.pidns(), pid).ok_or(Errno::ESRCH)?;
    if req == ATTACH || req == SEIZE {
        return attach(t, &target, req == SEIZE, addr, data);
    }
    check_attached(t, &target, req == KILL || req == INTERRUPT)?;
    match req {
        PEEKTEXT | PEEKDATA => {
            let v = super::task_memory(&target).ok_or(Errno::EIO)?.read_u64(addr).map_err(|_| Errno::EIO)?;
            t.mem().write_u64(data, v)?;
            Ok(0)
        }
        POKETEXT | POKEDATA => {
            super::poke(&target, addr, &data.to_ne_bytes())?;
            Ok(0)
        }
        PEEKUSER => {
            if addr & 7 != 0 || addr >= regs::USER_SIZE {
                return Err(Errno::EIO);
            }
            let v = with_tracee(&target, |x| regs::peek_user(&x.regs, addr))?;
            t.mem().write_u64(data, v)?;
            Ok(0)
        }
        POKEUSER => {
            if addr & 7 != 0 || addr >= regs::USER_SIZE {
                return Err(Errno::EIO);
            }
            if addr >= regs::DEBUGREG_OFFSET {
                // No hardware breakpoints: clearing is fine, setting is not.
                return if data == 0 { Ok(0) } else { Err(Errno::EIO) };
            }
            with_tracee(&target, |x| {
                if regs::poke_user(&mut x.regs, addr, data) {
                    x.regs_dirty = true;
                }
            })?;
            Ok(0)
        }
        CONT | SYSCALL | SINGLESTEP => resume(&target, req, data),
        KILL => {
            let stopped = target.ptrace.lock().as_ref().is_some_and(|x| x.stop.is_some());
            if stopped {
                resume(&target, CONT, libc::SIGKILL as u64)?;
            }
            Ok(0)
        }
        DETACH => {
            let sig = valid_signal(data)?;
            t.tg.tracees.remove(&target);
            target.ptrace.detach(sig);
            Ok(0)
        }
        GETREGS => {
            let b = with_tracee(&target, |x| regs::regs_bytes(&x.regs))?;
            t.mem().write_bytes(data, &b)?;
            Ok(0)
        }
        SETREGS => {
            let mut b = vec![0u8; regs::REGS_SIZE];
            t.mem().read_bytes(data, &mut b)?;
            set_regs(&target, &b)
        }
        GETFPREGS => {
            let b = with_tracee(&target, fxsave)?;
            t.mem().write_bytes(data, &b)?;
            Ok(0)
        }
        SETFPREGS => {
            let mut b = vec![0u8; regs::FPREGS_SIZE];
            t.mem().read_bytes(data, &mut b)?;
            set_fxsave(&target, &b)
        }
        GETREGSET | SETREGSET => regset(t, &target, req == SETREGSET, addr, data),
        SETOPTIONS => {
            let opts = u32::try_from(data).ok().filter(|o| o & !O_MASK == 0).ok_or(Errno::EINVAL)?;
            with_tracee(&target, |x| x.options = opts)?;
            Ok(0)
        }
        GETEVENTMSG => {
            let v = with_tracee(&target, |x| x.eventmsg)?;
            t.mem().write_u64(data, v)?;
            Ok(0)
        }
        GETSIGINFO => {
            let info = with_tracee(&target, |x| x.siginfo)?.ok_or(Errno::EINVAL)?;
            t.mem().write_bytes(data, &info.0)?;
            Ok(0)
        }
        SETSIGINFO => {
            let mut b = [0u8; 128];
            t.mem().read_bytes(data, &mut b)?;
            with_tracee(&target, |x| match x.siginfo.as_mut() {
                Some(s) => {
                    s.0 = b;
                    Ok(0)
                }
                None => Err(Errno::EINVAL),
            })?
        }
        GETSIGMASK | SETSIGMASK => {
            if addr != 8 {
                return Err(Errno::EINVAL);
            }
            if req == GETSIGMASK {
                t.mem().write_u64(data, target.mask())?;
            } else {
                let m = t.mem().read_u64(data)?;
                target.sig.lock().unwrap_or_else(|e| e.into_inner()).mask = m & !crate::kernel::signal::UNBLOCKABLE;
            }
            Ok(0)
        }
        INTERRUPT => {
            let (seized, stopped) =
                with_tracee(&target, |x| (x.seized, x.stop.is_some() && x.resume != Some(Resume::Listen)))?;
            if !seized {
                return Err(Errno::EIO);
            }
            if !stopped {
                target.ptrace.set_trap(true);
                target.ptrace.queue.notify_all();
                wake(&target);
            }
            Ok(0)
        }
        LISTEN => {
            with_tracee(&target, |x| {
                let event_stop = x.siginfo.is_some_and(|s| s.code() >> 8 == EVENT_STOP);
                if !x.seized || !event_stop {
                    return Err(Errno::EIO);
                }
                x.resume = Some(Resume::Listen);
                Ok(())
            })??;
            target.ptrace.queue.notify_all();
            Ok(0)
        }
        GET_SYSCALL_INFO => {
            let (b, size) = with_tracee(&target, |x| {
                let sysgood = x.siginfo.is_some_and(|s| s.code() == libc::SIGTRAP | 0x80);
                let op = match x.stop {
                    Some(StopKind::SyscallEntry) if sysgood => regs::INFO_ENTRY,
                    Some(StopKind::SyscallExit) if sysgood => regs::INFO_EXIT,
                    Some(StopKind::Event(EVENT_SECCOMP)) => regs::INFO_SECCOMP,
                    _ => regs::INFO_NONE,
                };
                regs::syscall_info(op, &x.regs, x.eventmsg as u32)
            })?;
            let n = (addr as usize).min(size);
            t.mem().write_bytes(data, &b[..n])?;
            Ok(size as u64)
        }
        _ => Err(Errno::EIO),
    }
}

/// Linux's valid_signal for a resume's data: 0..=64, else EIO.
fn valid_signal(data: u64) -> Result<i32, Errno> {
    if data > 64 {
        return Err(Errno::EIO);
    }
    Ok(data as i32)
}

/// Runs `f` on the tracee's state (the caller checked it is traced).
fn with_tracee<R>(target: &TaskShared, f: impl FnOnce(&mut Tracee) -> R) -> Result<R, Errno> {
    let mut g = target.ptrace.lock();
    g.as_mut().map(f).ok_or(Errno::ESRCH)
}

/// Linux's ptrace_check_attach: `target` is traced by the caller's
/// process and (unless `any_state`) in a ptrace-stop; else ESRCH.
fn check_attached(t: &Task, target: &TaskShared, any_state: bool) -> Result<(), Errno> {
    let g = target.ptrace.lock();
    let x = g.as_ref().ok_or(Errno::ESRCH)?;
    if !x.tracer.upgrade().is_some_and(|tr| Arc::ptr_eq(&tr, &t.tg)) {
        return Err(Errno::ESRCH);
    }
    if !any_state && (x.stop.is_none() || x.resume.is_some()) {
        return Err(Errno::ESRCH);
    }
    Ok(())
}

/// PTRACE_TRACEME: the parent becomes the tracer.
fn traceme(t: &mut Task) -> SysResult {
    let parent = t.tg.parent().ok_or(Errno::EPERM)?;
    if !t.shared.ptrace.attach(&parent, false, 0) {
        return Err(Errno::EPERM);
    }
    parent.tracees.add(t.shared.clone());
    Ok(0)
}

/// PTRACE_ATTACH (the tracee gets SIGSTOP) and PTRACE_SEIZE (options in
/// `data`, no stop).
fn attach(t: &mut Task, target: &Arc<TaskShared>, seize: bool, addr: u64, data: u64) -> SysResult {
    let options = if seize {
        if addr != 0 || data & !(O_MASK as u64) != 0 {
            return Err(Errno::EIO);
        }
        data as u32
    } else {
        0
    };
    if Arc::ptr_eq(&target.tg, &t.tg) || !super::access::may_access(t, target) {
        return Err(Errno::EPERM);
    }
    if target.tg.sig.lock().unwrap_or_else(|e| e.into_inner()).exiting.is_some() {
        return Err(Errno::EPERM);
    }
    if !target.ptrace.attach(&t.tg, seize, options) {
        return Err(Errno::EPERM);
    }
    t.tg.tracees.add(target.clone());
    if !seize {
        send(&t.kernel, Target::Task(target), SigInfo::kernel(libc::SIGSTOP), Origin::Kernel);
    }
    // A task already stopped with its group reports the stop to its tracer.
    target.tg.stop_queue.notify_all();
    Ok(0)
}

/// PTRACE_CONT, PTRACE_SYSCALL, PTRACE_SINGLESTEP with signal `data`.
fn resume(target: &TaskShared, req: i64, data: u64) -> SysResult {
    let sig = valid_signal(data)?;
    let (syscalls, step) = (req == SYSCALL, req == SINGLESTEP);
    if step && !crate::platform::can_single_step() {
        return Err(Errno::EIO);
    }
    with_tracee(target, |x| {
        x.syscalls = syscalls;
        x.step = step;
        x.resume = Some(Resume::Cont { sig, syscalls, step });
    })?;
    target.ptrace.queue.notify_all();
    Ok(0)
}

fn set_regs(target: &TaskShared, b: &[u8]) -> SysResult {
    with_tracee(target, |x| {
        x.regs = regs::regs_from_bytes(&x.regs, b);
        x.regs_dirty = true;
    })?;
    Ok(0)
}

/// The FXSAVE part (user_fpregs_struct) of the tracee's XSAVE area.
fn fxsave(x: &mut Tracee) -> Vec<u8> {
    let mut b = vec![0u8; regs::FPREGS_SIZE];
    let n = x.fp.len().min(regs::FPREGS_SIZE);
    b[..n].copy_from_slice(&x.fp[..n]);
    b
}

fn set_fxsave(target: &TaskShared, b: &[u8]) -> SysResult {
    // MXCSR's reserved bits would make the state unloadable (Linux: EINVAL).
    if b.len() >= 28 && u32::from_ne_bytes([b[24], b[25], b[26], b[27]]) & !0xffff != 0 {
        return Err(Errno::EINVAL);
    }
    with_tracee(target, |x| {
        if x.fp.len() < regs::FPREGS_SIZE {
            return Err(Errno::EIO);
        }
        x.fp[..b.len()].copy_from_slice(b);
        x.fp_dirty = true;
        Ok(0)
    })?
}

/// PTRACE_GETREGSET/SETREGSET: NT_PRSTATUS, NT_PRFPREG and NT_X86_XSTATE
/// through an iovec whose length is cut to what was moved.
fn regset(t: &Task, target: &TaskShared, set: bool, kind: u64, iov: u64) -> SysResult {
    let mem = t.mem();
    let [base, len] = mem.read_u64s::<2>(iov)?;
    let full = match kind {
        regs::NT_PRSTATUS => regs::REGS_SIZE,
        regs::NT_PRFPREG => regs::FPREGS_SIZE,
        regs::NT_X86_XSTATE => with_tracee(target, |x| x.fp.len())?,
        _ => return Err(Errno::EINVAL),
    };
    let n = (len as usize).min(full);
    if set {
        let mut b = vec![0u8; n];
        mem.read_bytes(base, &mut b)?;
        match kind {
            regs::NT_PRSTATUS => set_regs(target, &b)?,
            regs::NT_PRFPREG => set_fxsave(target, &b)?,
            _ => set_xstate(target, &b)?,
        };
    } else {
        let b = with_tracee(target, |x| match kind {
            regs::NT_PRSTATUS => Ok(regs::regs_bytes(&x.regs)),
            regs::NT_PRFPREG => Ok(fxsave(x)),
            _ => regs::xstate_bytes(&x.fp).ok_or(Errno::ENODEV),
        })??;
        mem.write_bytes(base, &b[..n])?;
    }
    mem.write_u64(iov + 8, n as u64)?;
    Ok(0)
}

/// SETREGSET of NT_X86_XSTATE: the whole area, checked as Linux checks it
/// (MXCSR as for the FXSAVE part, then the XSAVE header).
fn set_xstate(target: &TaskShared, b: &[u8]) -> SysResult {
    if b.len() >= 28 && u32::from_ne_bytes([b[24], b[25], b[26], b[27]]) & !0xffff != 0 {
        return Err(Errno::EINVAL);
    }
    with_tracee(target, |x| {
        x.fp = regs::xstate_from_bytes(&x.fp, b)?;
        x.fp_dirty = true;
        Ok(0)
    })?
}
