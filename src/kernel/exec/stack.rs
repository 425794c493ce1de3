//! The initial stack of a new program: strings, argv, envp and the
//! auxiliary vector, laid out as the x86_64 ELF ABI and Linux do.

use super::elf::Image;
use crate::kernel::errno::Errno;
use crate::kernel::mm::aslr::ExecLayout;
use crate::kernel::mm::layout::page_align_down;
use crate::kernel::mm::layout::STACK_SIZE;
use crate::kernel::mm::stack::INITIAL_EXPANSION;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::mm::{MemoryManager, ProgramLayout};
use crate::platform::ptrace::zeroed_regs;
use crate::platform::Regs;
use crate::platform::StubThread;

const AT_NULL: u64 = 0;
const AT_PHDR: u64 = 3;
const AT_PHENT: u64 = 4;
const AT_PHNUM: u64 = 5;
const AT_PAGESZ: u64 = 6;
const AT_BASE: u64 = 7;
const AT_FLAGS: u64 = 8;
const AT_ENTRY: u64 = 9;
const AT_UID: u64 = 11;
const AT_EUID: u64 = 12;
const AT_GID: u64 = 13;
const AT_EGID: u64 = 14;
const AT_PLATFORM: u64 = 15;
const AT_HWCAP: u64 = 16;
const AT_CLKTCK: u64 = 17;
const AT_SECURE: u64 = 23;
const AT_RANDOM: u64 = 25;
const AT_HWCAP2: u64 = 26;
const AT_EXECFN: u64 = 31;
const AT_SYSINFO_EHDR: u64 = 33;
const AT_MINSIGSTKSZ: u64 = 51;

fn host_auxv(kind: u64) -> u64 {
    // SAFETY: getauxval only reads the process's auxiliary vector.
    unsafe { libc::getauxval(kind) }
}

/// The loaded program the stack describes.
pub struct Program<'a> {
    pub exe: &'a Image,
    pub interp: Option<&'a Image>,
    /// The path exec was given (AT_EXECFN).
    pub execfn: &'a [u8],
    pub layout: &'a ExecLayout,
}

/// Maps the stack, writes the start-up data and returns the registers the
/// program starts with, and its auxiliary vector (the bytes
/// `/proc/PID/auxv` shows, up to and including AT_NULL).
pub fn build(
    thread: &mut StubThread,
    mm: &MemoryManager,
    program: &Program,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    ids: (u32, u32, u32, u32),
) -> Result<(Regs, Vec<u8>), Errno> {
    let Program { exe, interp, execfn, layout } = *program;
    let top = layout.stack_top;
    let bottom = top - STACK_SIZE;
    {
        let mut st = mm.state.lock().unwrap_or_else(|e| e.into_inner());
        st.brk_start = exe.end + layout.brk_pad;
        st.brk = st.brk_start;
    }

    // Strings, from the top down: an 8-byte end marker, then the blocks.
    let mut strings: Vec<u8> = Vec::new();
    let mut offsets = Vec::new();
    let mut push = |s: &[u8]| {
        offsets.push(strings.len());
        strings.extend_from_slice(s);
        strings.push(0);
    };
    for a in argv {
        push(a);
    }
    for e in envp {
        push(e);
    }
    push(execfn);
    push(b"x86_64");
    let mut random = [0u8; 16];
    // SAFETY: getrandom fills our 16-byte buffer.
    unsafe { libc::getrandom(random.as_mut_ptr().cast(), 16, 0) };
    let random_off = strings.len();
    strings.extend_from_slice(&random);

    let strings_start = (top - 8 - strings.len() as u64) & !15;
    let ptr = |i: usize| strings_start + offsets[i] as u64;
    let (argc, envc) = (argv.len(), envp.len());

    let auxv: Vec<(u64, u64)> = [
        (AT_SYSINFO_EHDR, host_auxv(AT_SYSINFO_EHDR)),
        (AT_MINSIGSTKSZ, host_auxv(AT_MINSIGSTKSZ)),
        (AT_HWCAP, host_auxv(AT_HWCAP)),
        (AT_PAGESZ, 4096),
        (AT_CLKTCK, 100),
        (AT_PHDR, exe.phdr),
        (AT_PHENT, 56),
        (AT_PHNUM, exe.phnum),
        (AT_BASE, interp.map(|i| i.bias).unwrap_or(0)),
        (AT_FLAGS, 0),
        (AT_ENTRY, exe.entry),
        (AT_UID, ids.0 as u64),
        (AT_EUID, ids.1 as u64),
        (AT_GID, ids.2 as u64),
        (AT_EGID, ids.3 as u64),
        (AT_SECURE, 0),
        (AT_RANDOM, strings_start + random_off as u64),
        (AT_HWCAP2, host_auxv(AT_HWCAP2)),
        (AT_EXECFN, ptr(argc + envc)),
        (AT_PLATFORM, ptr(argc + envc + 1)),
    ]
    .into_iter()
    .filter(|&(k, v)| v != 0 || !matches!(k, AT_SYSINFO_EHDR | AT_MINSIGSTKSZ))
    .collect();

    let mut words: Vec<u64> = Vec::with_capacity(3 + argc + envc + 2 * auxv.len() + 2);
    words.push(argc as u64);
    words.extend((0..argc).map(ptr));
    words.push(0);
    words.extend((argc..argc + envc).map(ptr));
    words.push(0);
    for (k, v) in &auxv {
        words.push(*k);
        words.push(*v);
    }
    words.push(AT_NULL);
    words.push(0);
    let auxv_bytes: Vec<u8> =
        words[words.len() - 2 * (auxv.len() + 1)..].iter().flat_map(|w| w.to_ne_bytes()).collect();

    let sp = (strings_start - layout.sp_pad - 8 * words.len() as u64) & !15;
    if sp < bottom + 4096 {
        return Err(Errno::E2BIG);
    }
    // Mapped as Linux's exec maps it: the strings' pages and 128 KiB below;
    // the rest of the room is the stack's to grow into.
    let base = page_align_down(strings_start).saturating_sub(INITIAL_EXPANSION).max(bottom).min(sp & !4095);
    mm.map_stack(thread, bottom, base, top)?;
    let strings_len = |v: &[Vec<u8>]| v.iter().map(|s| s.len() as u64 + 1).sum::<u64>();
    let (arg_start, env_start) = (strings_start, strings_start + strings_len(argv));
    mm.state.lock().unwrap_or_else(|e| e.into_inner()).program = ProgramLayout {
        start_code: exe.code.0,
        end_code: exe.code.1,
        start_data: exe.data.0,
        end_data: exe.data.1,
        start_stack: sp,
        arg_start,
        arg_end: env_start,
        env_start,
        env_end: env_start + strings_len(envp),
    };
    let mut block = vec![0u8; (top - sp) as usize];
    for (i, w) in words.iter().enumerate() {
        block[i * 8..i * 8 + 8].copy_from_slice(&w.to_ne_bytes());
    }
    let s = (strings_start - sp) as usize;
    block[s..s + strings.len()].copy_from_slice(&strings);
    mm.memory().write_bytes(sp, &block)?;

    let mut regs = zeroed_regs();
    regs.rip = interp.map(|i| i.entry).unwrap_or(exe.entry);
    regs.rsp = sp;
    regs.cs = 0x33;
    regs.ss = 0x2b;
    regs.eflags = 0x200;
    regs.orig_rax = u64::MAX;
    Ok((regs, auxv_bytes))
}
