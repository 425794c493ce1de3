//! The task loop: run application code until it stops, serve the stop,
//! handle signals, repeat.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{ExitStatus, SyscallEntry, Task};
use crate::kernel::errno::Errno;
use crate::kernel::signal::send::KICK_SIGNAL;
use crate::kernel::signal::SigInfo;
use crate::kernel::syscalls;
use crate::platform::Stop;

/// The states of a task's run loop.
enum RunState {
    /// Running application code.
    App,
    /// The task has ended.
    Exited(ExitStatus),
}

impl Task {
    /// Runs the task until it exits; returns how it ended.
    pub fn run(&mut self) -> ExitStatus {
        *self.shared.host.lock().unwrap_or_else(|e| e.into_inner()) = (self.thread.pid(), self.thread.tid());
        let mut state = RunState::App;
        loop {
            state = match state {
                RunState::App => self.step(),
                RunState::Exited(s) => return s,
            };
        }
    }

    /// Runs application code once and serves the resulting stop.
    fn step(&mut self) -> RunState {
        // Signals that arrived while in the sentry are handled before going
        // back to the application.
        self.handle_signals();
        if let Some(s) = self.exit {
            return RunState::Exited(s);
        }
        self.shared.in_app.store(true, Ordering::SeqCst);
        // A signal sent between handle_signals and in_app=true found no one
        // to kick: look again now that senders will kick.
        if self.shared.interrupted() {
            self.shared.in_app.store(false, Ordering::SeqCst);
            return RunState::App;
        }
        let stop = self.thread.switch(&mut self.regs);
        self.shared.in_app.store(false, Ordering::SeqCst);
        let stop = match stop {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(tid = self.tid, "platform failure: {e}");
                return RunState::Exited(ExitStatus::Signal(libc::SIGKILL));
            }
        };
        match stop {
            Stop::Syscall => self.syscall(),
            Stop::Signal(info) => self.host_signal(&info),
            Stop::Interrupted => {}
            Stop::Died => {
                // Expected while the group is being torn down (exec, exit);
                // anything else is a sandbox bug or a kill from outside.
                let torn_down = {
                    let gs = self.tg.sig.lock().unwrap_or_else(|e| e.into_inner());
                    gs.exiting.is_some() || gs.exec_leader.is_some()
                };
                if !torn_down {
                    let note = crate::platform::stub_exit_note(self.thread.pid());
                    tracing::error!(tid = self.tid, "the task's stub process died under it: {note}");
                }
                self.exit_group(ExitStatus::Signal(libc::SIGKILL));
            }
        }
        match self.exit {
            Some(s) => RunState::Exited(s),
            None => RunState::App,
        }
    }

    /// A syscall from a 32-bit entry (`int $0x80`, `sysenter`) is not served:
    /// the sentry implements the x86_64 ABI only.
    fn is_compat_syscall(&self) -> bool {
        // The `syscall` instruction leaves the return address in rcx; any
        // other entry almost never does. Ask the platform only then.
        self.regs.rcx != self.regs.rip && !self.thread.is_native_syscall()
    }

    fn syscall(&mut self) {
        if self.is_compat_syscall() {
            self.regs.rax = (-(Errno::ENOSYS.0 as i64)) as u64;
            return;
        }
        // A tracer sees the call first and may change or skip it
        // (kernel/ptrace/stops.rs); one atomic load when untraced.
        let ptraced = self.traced();
        if ptraced && self.ptrace_syscall_entry() {
            self.ptrace_syscall_exit();
            return;
        }
        let nr = self.regs.orig_rax;
        let args = [self.regs.rdi, self.regs.rsi, self.regs.rdx, self.regs.r10, self.regs.r8, self.regs.r9];
        if self.seccomp_refuses(nr, &args) {
            if ptraced {
                self.ptrace_syscall_exit();
            }
            return;
        }
        // A tracer may have changed the call at a seccomp stop.
        let (nr, args) = if ptraced {
            let r = &self.regs;
            (r.orig_rax, [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9])
        } else {
            (nr, args)
        };
        *self.shared.syscall.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(SyscallEntry { nr, args, sp: self.regs.rsp, pc: self.regs.rip });
        let strace = self.kernel.strace.load(Ordering::Relaxed);
        let traced = self.kernel.tracers.active();
        let start = (strace || traced).then(Instant::now);
        // execve replaces the memory its arguments are in: decode them first.
        let head = start
            .filter(|_| nr == libc::SYS_execve as u64 || nr == libc::SYS_execveat as u64)
            .map(|_| crate::kernel::strace::format_pending(nr, &args, &self.thread.memory()));
        self.regs_replaced = false;
        self.reach_stack_pointer();
        let result = syscalls::dispatch(self, nr, args);
        self.shared.io.account(nr, &result);
        *self.shared.syscall.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let raw = match result {
            Ok(v) => v as i64,
            Err(e) => -(e.0 as i64),
        };
        if let Some(start) = start {
            self.trace(start, strace, head, nr, &args, raw);
        }
        if !self.regs_replaced {
            self.regs.rax = raw as u64;
        }
        if ptraced || self.traced() {
            self.ptrace_syscall_exit();
        }
    }

    /// Logs a finished syscall: to stderr with `--strace`, and to the live
    /// subscribers tracing this process.
    fn trace(&self, start: Instant, to_stderr: bool, head: Option<String>, nr: u64, args: &[u64; 6], raw: i64) {
        let us = start.elapsed().as_micros();
        let subs = if self.kernel.tracers.active() { self.kernel.tracers.matching(&self.tg) } else { Vec::new() };
        if !to_stderr && subs.is_empty() {
            return;
        }
        // Plain copies: printing a call never grows a stack.
        let mem = self.thread.memory();
        let call = match head {
            Some(h) => crate::kernel::strace::format_finished(&h, nr, args, raw, &mem),
            None => crate::kernel::strace::format_call(nr, args, raw, &mem),
        };
        // Ids as the process's container numbers them.
        let ns = self.tg.container.pidns();
        let line = format!("[{}:{}] {} ({}µs)", self.tg.pid.nr_in(ns), self.shared.tid.nr_in(ns), call, us);
        if to_stderr {
            eprintln!("{line}");
        }
        self.kernel.tracers.publish(&subs, &line);
    }

    /// A signal the host raised in the stub thread: a fault of the
    /// application (delivered to it as the same signal), the sentry's own
    /// kick (nothing to do: pending signals are handled next), or a signal
    /// from outside the sandbox (dropped: only the sentry signals tasks).
    fn host_signal(&mut self, info: &libc::siginfo_t) {
        let sig = info.si_signo;
        let kernel_generated = info.si_code > 0;
        match sig {
            libc::SIGSEGV | libc::SIGBUS | libc::SIGFPE | libc::SIGILL | libc::SIGTRAP if kernel_generated => {
                // SAFETY: reading the fault address of a kernel-generated fault siginfo.
                let addr = unsafe { info.si_addr() } as u64;
                tracing::debug!(
                    tid = self.tid,
                    sig,
                    rip = self.regs.rip,
                    addr,
                    rsp = self.regs.rsp,
                    "application fault"
                );
                // A touch below the main stack grows it; the instruction runs again.
                if sig == libc::SIGSEGV && self.grow_stack_to(addr) {
                    return;
                }
                self.force_fault(SigInfo::from_host(info));
            }
            KICK_SIGNAL => {}
            _ => tracing::debug!(tid = self.tid, sig, "dropped a host signal sent to a stub"),
        }
    }
}
