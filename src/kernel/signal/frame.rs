//! The x86_64 signal frame, as Linux builds it: on the application stack
//! (or the alternate stack), the return address (sa_restorer), a
//! `ucontext` with the registers and the old mask, the `siginfo`, and the
//! full XSAVE area with its software-reserved header; and `rt_sigreturn`,
//! which reads all of it back.

use super::{SigAction, SigInfo, SA_ONSTACK, SA_RESTORER, SA_SIGINFO};
use crate::kernel::errno::Errno;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::platform::sigcontext;

/// Size of `struct ucontext` (x86_64).
const UCONTEXT_SIZE: u64 = 304;
/// pretcode + ucontext + siginfo.
const FRAME_SIZE: u64 = 8 + UCONTEXT_SIZE + 128;
/// Offsets inside the frame.
const UC_OFF: u64 = 8;
const INFO_OFF: u64 = 8 + UCONTEXT_SIZE;
/// Offsets inside `struct ucontext`.
const UC_STACK: u64 = 16;
const UC_MCONTEXT: u64 = 40;
const UC_SIGMASK: u64 = 40 + 256;

const UC_FP_XSTATE: u64 = 1;
const UC_SIGCONTEXT_SS: u64 = 2;
const UC_STRICT_RESTORE_SS: u64 = 4;
const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
/// Largest XSAVE area handled (AMX tiles need ~11 KiB).
use crate::platform::XSAVE_MAX;
/// Red zone below the stack pointer the ABI lets leaf code use.
const RED_ZONE: u64 = 128;

const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;

/// EFLAGS bits an application may set through sigreturn.
const FIX_EFLAGS: u64 = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000;

impl Task {
    /// Whether `sp` lies on the task's alternate signal stack.
    fn on_altstack(&self, sp: u64) -> bool {
        let (base, _, size) = self.sigaltstack;
        size != 0 && sp > base && sp <= base + size
    }

    /// The `ss_flags` sigaltstack reports now.
    pub fn altstack_flags(&self) -> i32 {
        let (_, flags, size) = self.sigaltstack;
        if size == 0 {
            SS_DISABLE
        } else if self.on_altstack(self.regs.rsp) {
            SS_ONSTACK
        } else {
            flags
        }
    }

    /// Builds the frame for a handler of `info` and points the registers at
    /// the handler.
    pub fn setup_frame(&mut self, info: &SigInfo, act: &SigAction, old_mask: u64) -> Result<(), Errno> {
        if act.flags & SA_RESTORER == 0 {
            // x86_64 has no default return trampoline.
            return Err(Errno::EFAULT);
        }
        let xsave = self.thread.fpregs().map_err(|_| Errno::EFAULT)?;
        let xlen = xsave.len();

        let mut sp = self.regs.rsp;
        let (alt_base, alt_flags, alt_size) = self.sigaltstack;
        if act.flags & SA_ONSTACK != 0 && alt_size != 0 && !self.on_altstack(sp) {
            sp = alt_base + alt_size;
        } else {
            sp = sp.wrapping_sub(RED_ZONE);
        }
        let fp_addr = (sp.wrapping_sub(xlen as u64 + 4)) & !63;
        let frame = ((fp_addr.wrapping_sub(FRAME_SIZE)) & !15).wrapping_sub(8);
        self.grow_stack_to(frame);
        let mem = self.mem();

        // The XSAVE area with the software-reserved header a signal frame
        // carries (ptrace puts XCR0 in its first 8 bytes instead), and
        // magic2 after it.
        let mut fp = xsave.clone();
        let xcr0 = u64::from_ne_bytes(fp[464..472].try_into().unwrap_or_default());
        fp[464..512].fill(0);
        fp[464..468].copy_from_slice(&FP_XSTATE_MAGIC1.to_ne_bytes());
        fp[468..472].copy_from_slice(&(xlen as u32 + 4).to_ne_bytes());
        fp[472..480].copy_from_slice(&xcr0.to_ne_bytes());
        fp[480..484].copy_from_slice(&(xlen as u32).to_ne_bytes());
        fp.extend_from_slice(&FP_XSTATE_MAGIC2.to_ne_bytes());
        mem.write_bytes(fp_addr, &fp)?;

        let mut f = vec![0u8; FRAME_SIZE as usize];
        let put =
            |f: &mut Vec<u8>, off: u64, v: u64| f[off as usize..off as usize + 8].copy_from_slice(&v.to_ne_bytes());
        put(&mut f, 0, act.restorer);
        put(&mut f, UC_OFF, UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
        put(&mut f, UC_OFF + 8, 0);
        put(&mut f, UC_OFF + UC_STACK, alt_base);
        let ss_flags = if alt_size == 0 {
            SS_DISABLE
        } else if self.on_altstack(self.regs.rsp) {
            SS_ONSTACK
        } else {
            alt_flags
        };
        f[(UC_OFF + UC_STACK + 8) as usize..(UC_OFF + UC_STACK + 12) as usize].copy_from_slice(&ss_flags.to_ne_bytes());
        put(&mut f, UC_OFF + UC_STACK + 16, alt_size);
        let r = &self.regs;
        for (i, v) in sigcontext::gregs(r).iter().enumerate() {
            put(&mut f, UC_OFF + UC_MCONTEXT + i as u64 * 8, *v);
        }
        // cs, gs, fs, ss (16 bits each)
        let segs = (r.cs & 0xffff) | ((r.gs & 0xffff) << 16) | ((r.fs & 0xffff) << 32) | ((r.ss & 0xffff) << 48);
        put(&mut f, UC_OFF + UC_MCONTEXT + 18 * 8, segs);
        // gregs 19..23: err, trapno, oldmask, cr2, then the fpstate pointer.
        let cr2 = if matches!(info.signo(), libc::SIGSEGV | libc::SIGBUS) {
            u64::from_ne_bytes(info.0[16..24].try_into().unwrap_or_default())
        } else {
            0
        };
        put(&mut f, UC_OFF + UC_MCONTEXT + 21 * 8, old_mask);
        put(&mut f, UC_OFF + UC_MCONTEXT + 22 * 8, cr2);
        put(&mut f, UC_OFF + UC_MCONTEXT + 23 * 8, fp_addr);
        put(&mut f, UC_OFF + UC_SIGMASK, old_mask);
        f[INFO_OFF as usize..].copy_from_slice(&info.0);
        mem.write_bytes(frame, &f)?;

        // The handler starts with a clean FP state, as on Linux.
        let mut clean = xsave;
        clean[..512].fill(0);
        clean[0..2].copy_from_slice(&0x037fu16.to_ne_bytes());
        clean[24..28].copy_from_slice(&0x1f80u32.to_ne_bytes());
        if clean.len() >= 576 {
            clean[512..520].fill(0); // XSTATE_BV: everything in its init state
        }
        self.thread.set_fpregs(&clean).map_err(|_| Errno::EFAULT)?;

        let sig = info.signo() as u64;
        self.regs.rsp = frame;
        self.regs.rip = act.handler;
        self.regs.rdi = sig;
        self.regs.rax = 0;
        if act.flags & SA_SIGINFO != 0 {
            self.regs.rsi = frame + INFO_OFF;
            self.regs.rdx = frame + UC_OFF;
        } else {
            self.regs.rsi = 0;
            self.regs.rdx = 0;
        }
        self.regs.eflags &= !(0x400 | 0x10000 | 0x100);
        self.regs.cs = 0x33;
        self.regs.ss = 0x2b;
        Ok(())
    }

    /// Implements rt_sigreturn(2): restores what `setup_frame` saved.
    pub fn sigreturn(&mut self) -> Result<(), Errno> {
        // The handler's `ret` popped the return address.
        let frame = self.regs.rsp.wrapping_sub(8);
        let mem = self.mem();
        let mut uc = vec![0u8; UCONTEXT_SIZE as usize];
        mem.read_bytes(frame + UC_OFF, &mut uc)?;
        let get = |off: u64| u64::from_ne_bytes(uc[off as usize..off as usize + 8].try_into().unwrap_or_default());
        let g = |i: u64| get(UC_MCONTEXT + i * 8);
        let r = &mut self.regs;
        let flags = r.eflags;
        sigcontext::set_gregs(r, &sigcontext::parse(&uc[UC_MCONTEXT as usize..]));
        r.eflags = (flags & !FIX_EFLAGS) | (g(17) & FIX_EFLAGS);
        r.cs = 0x33;
        r.ss = 0x2b;
        r.orig_rax = u64::MAX;
        let mask = get(UC_SIGMASK);
        self.set_sigmask(mask);

        let fp_addr = g(23);
        if fp_addr != 0 {
            let mut legacy = [0u8; 512];
            self.mem().read_bytes(fp_addr, &mut legacy)?;
            let magic1 = u32::from_ne_bytes(legacy[464..468].try_into().unwrap_or_default());
            let xstate_size = u32::from_ne_bytes(legacy[480..484].try_into().unwrap_or_default()) as usize;
            let len =
                if magic1 == FP_XSTATE_MAGIC1 && (576..=XSAVE_MAX).contains(&xstate_size) { xstate_size } else { 512 };
            // The host takes exactly its full XSAVE size.
            let full = self.thread.fpregs().map_err(|_| Errno::EFAULT)?.len();
            let mut buf = vec![0u8; full.max(576)];
            let n = len.min(full);
            self.mem().read_bytes(fp_addr, &mut buf[..n])?;
            if len == 512 {
                // Only the legacy area: mark x87 and SSE state present.
                buf[512..520].copy_from_slice(&3u64.to_ne_bytes());
            }
            self.thread.set_fpregs(&buf).map_err(|e| {
                tracing::debug!(len, full, "rt_sigreturn: the host refused the FP state: {e}");
                Errno::EFAULT
            })?;
        }
        // Restore the alternate stack settings (as restore_altstack does).
        let ss_sp = get(UC_STACK);
        let ss_flags =
            i32::from_ne_bytes(uc[(UC_STACK + 8) as usize..(UC_STACK + 12) as usize].try_into().unwrap_or_default());
        let ss_size = get(UC_STACK + 16);
        if !self.on_altstack(self.regs.rsp) {
            self.sigaltstack =
                if ss_flags & SS_DISABLE != 0 { (0, 0, 0) } else { (ss_sp, ss_flags & !SS_ONSTACK, ss_size) };
        }
        self.regs_replaced = true;
        Ok(())
    }
}
