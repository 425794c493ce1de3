//! seccomp(2) and prctl's PR_SET_SECCOMP: installing a sandboxed program's
//! own filters (`kernel/seccomp`), with Linux's checks and errors, and what
//! the run loop does with a syscall a filter refuses.

use super::{Args, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::seccomp::bpf::{Insn, Program, MAX_INSNS};
use crate::kernel::seccomp::{self, State, Verdict};
use crate::kernel::signal::SigInfo;
use crate::kernel::task::clone::CAP_SYS_ADMIN;
use crate::kernel::task::{ExitStatus, Task};

const SET_MODE_STRICT: u64 = 0;
const SET_MODE_FILTER: u64 = 1;
const GET_ACTION_AVAIL: u64 = 2;
const GET_NOTIF_SIZES: u64 = 3;

const FLAG_TSYNC: u64 = 1;
const FLAG_LOG: u64 = 2;
const FLAG_SPEC_ALLOW: u64 = 4;
const FLAG_NEW_LISTENER: u64 = 8;
const FLAG_TSYNC_ESRCH: u64 = 16;
const FLAG_WAIT_KILLABLE_RECV: u64 = 32;

/// Implements seccomp(2).
pub fn seccomp(t: &mut Task, a: &Args) -> SysResult {
    let (op, flags, uargs) = (a[0], a[1], a[2]);
    match op {
        SET_MODE_STRICT => {
            if flags != 0 || uargs != 0 {
                return Err(Errno::EINVAL);
            }
            set_strict(t)
        }
        SET_MODE_FILTER => set_filter(t, flags, uargs),
        GET_ACTION_AVAIL => {
            if flags != 0 {
                return Err(Errno::EINVAL);
            }
            let action = t.mem().read_u32(uargs)?;
            if seccomp::action_available(action) {
                Ok(0)
            } else {
                Err(Errno::EOPNOTSUPP)
            }
        }
        GET_NOTIF_SIZES => {
            if flags != 0 {
                return Err(Errno::EINVAL);
            }
            // struct seccomp_notif_sizes: seccomp_notif, seccomp_notif_resp, seccomp_data.
            let sizes: Vec<u8> = [80u16, 24, 64].iter().flat_map(|s| s.to_ne_bytes()).collect();
            t.mem().write_bytes(uargs, &sizes)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// prctl(PR_SET_SECCOMP, mode, filter).
pub fn prctl_set(t: &mut Task, mode: u64, filter: u64) -> SysResult {
    match mode {
        m if m == seccomp::MODE_STRICT as u64 => set_strict(t),
        m if m == seccomp::MODE_FILTER as u64 => set_filter(t, 0, filter),
        _ => Err(Errno::EINVAL),
    }
}

/// prctl(PR_GET_SECCOMP).
pub fn prctl_get(t: &Task) -> SysResult {
    Ok(t.shared.seccomp.get().mode as u64)
}

fn set_strict(t: &mut Task) -> SysResult {
    let cur = t.shared.seccomp.get();
    if cur.mode != seccomp::MODE_DISABLED && cur.mode != seccomp::MODE_STRICT {
        return Err(Errno::EINVAL);
    }
    t.shared.seccomp.set(State { mode: seccomp::MODE_STRICT, filter: None });
    Ok(0)
}

fn set_filter(t: &mut Task, flags: u64, uargs: u64) -> SysResult {
    let known =
        FLAG_TSYNC | FLAG_LOG | FLAG_SPEC_ALLOW | FLAG_NEW_LISTENER | FLAG_TSYNC_ESRCH | FLAG_WAIT_KILLABLE_RECV;
    if flags & !known != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & FLAG_TSYNC != 0 && flags & FLAG_NEW_LISTENER != 0 && flags & FLAG_TSYNC_ESRCH == 0 {
        return Err(Errno::EINVAL);
    }
    if flags & FLAG_WAIT_KILLABLE_RECV != 0 && flags & FLAG_NEW_LISTENER == 0 {
        return Err(Errno::EINVAL);
    }
    // User notification (a supervisor answering syscalls) is not served:
    // refused as a kernel without it refuses the flag.
    if flags & FLAG_NEW_LISTENER != 0 {
        return Err(Errno::EINVAL);
    }
    let prog = read_program(t, uargs)?;
    let mut cur = t.shared.seccomp.get();
    if cur.mode != seccomp::MODE_DISABLED && cur.mode != seccomp::MODE_FILTER {
        return Err(Errno::EINVAL);
    }
    cur.mode = seccomp::MODE_FILTER;
    let new = cur.with_filter(prog)?;
    if flags & FLAG_TSYNC != 0 {
        let others: Vec<_> = t.tg.task_list().into_iter().filter(|o| o.gtid() != t.tid).collect();
        if let Some(bad) = others.iter().find(|o| !o.seccomp.get().may_sync_to(&new)) {
            if flags & FLAG_TSYNC_ESRCH != 0 {
                return Err(Errno::ESRCH);
            }
            // Linux returns the id of the thread that cannot be synced.
            return Ok(bad.tid.nr_in(t.pidns()) as u64);
        }
        for o in others {
            o.seccomp.set(new.clone());
        }
    }
    t.shared.seccomp.set(new);
    Ok(0)
}

/// Reads and checks the `struct sock_fprog` at `addr`, in Linux's order:
/// EFAULT for the header, EINVAL for its length, EACCES without
/// no_new_privs or CAP_SYS_ADMIN, EFAULT for the instructions, EINVAL for
/// a program the checks refuse.
fn read_program(t: &Task, addr: u64) -> Result<Program, Errno> {
    let mut head = [0u8; 16];
    t.mem().read_bytes(addr, &mut head)?;
    let len = u16::from_ne_bytes([head[0], head[1]]) as usize;
    let filter = u64::from_ne_bytes(head[8..16].try_into().unwrap_or_default());
    if len == 0 || len > MAX_INSNS {
        return Err(Errno::EINVAL);
    }
    {
        let privs = t.tg.privs.lock().unwrap_or_else(|e| e.into_inner());
        if !privs.no_new_privs && !privs.capable(CAP_SYS_ADMIN) {
            return Err(Errno::EACCES);
        }
    }
    let mut raw = vec![0u8; len * 8];
    t.mem().read_bytes(filter, &mut raw)?;
    Program::check(raw.chunks_exact(8).map(Insn::from_bytes).collect())
}

impl Task {
    /// Applies the thread's seccomp mode to the syscall about to be
    /// served: true when it must not run (its result, signal or death is
    /// already arranged), as Linux's `__secure_computing` decides.
    pub fn seccomp_refuses(&mut self, nr: u64, args: &[u64; 6]) -> bool {
        let Some(verdict) = self.shared.seccomp.verdict(nr, args, self.regs.rip) else { return false };
        self.seccomp_apply(nr, verdict, true)
    }

    /// Carries out `verdict` for syscall `nr`; `traceable`: a TRACE
    /// verdict still goes to the tracer (not when the filters run again
    /// on what the tracer left, where it allows, as Linux's
    /// recheck_after_trace).
    fn seccomp_apply(&mut self, nr: u64, verdict: Verdict, traceable: bool) -> bool {
        match verdict {
            Verdict::Allow => return false,
            Verdict::Trace(_) if !traceable => return false,
            Verdict::Trace(data) => {
                self.regs.rax = (-(libc::ENOSYS as i64)) as u64;
                if !self.traced() || !self.ptrace_seccomp_event(data) {
                    return true;
                }
                // The tracer may have changed or skipped the call: the
                // filters see what it left.
                let nr = self.regs.orig_rax;
                if (nr as i64) < 0 || self.exit.is_some() || self.ptrace_killed() {
                    return true;
                }
                let r = &self.regs;
                let args = [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9];
                let Some(v) = self.shared.seccomp.verdict(nr, &args, self.regs.rip) else { return false };
                return self.seccomp_apply(nr, v, false);
            }
            Verdict::Fail(e) => self.regs.rax = e as u64,
            Verdict::Trap(data) => {
                // The handler sees the registers of the syscall's entry.
                self.regs.rax = nr;
                self.force_fault(SigInfo::seccomp(nr as i32, data, self.regs.rip, seccomp::AUDIT_ARCH_X86_64));
            }
            Verdict::KillThread if self.tg.task_list().len() > 1 => {
                self.exit = Some(ExitStatus::Signal(libc::SIGSYS));
            }
            Verdict::KillThread | Verdict::KillProcess => self.exit_group(ExitStatus::Signal(libc::SIGSYS)),
            Verdict::StrictKill => self.exit = Some(ExitStatus::Signal(libc::SIGKILL)),
        }
        true
    }
}
