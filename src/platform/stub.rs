//! The stub: a few instructions of position-independent code copied to a fixed
//! address at the top of every application address space. Everything else of
//! the sentry's image is unmapped from a stub process. The ptrace platform
//! drives it with ptrace and uses its `syscall` instructions to change the
//! address space from inside (syscall injection); the systrap platform runs
//! its signal handler and its command loop (see `platform/systrap`).

use std::arch::global_asm;

/// Where the stub lives in every stub process, and where the application's
/// address space ends. Chosen between the highest possible mmap base and the
/// lowest possible stack of the husk process under Linux's ASLR, so it is free
/// in husk itself; `reserve` checks that.
pub const STUB_BASE: u64 = 0x7ffb_fc00_0000;
/// Size of the stub region: one page of code, one page for the set-up table.
pub const STUB_SIZE: u64 = 0x1_0000;
/// Address of the set-up table (second page).
pub const STUB_DATA: u64 = STUB_BASE + 0x1000;
/// The highest user address Linux allows on x86_64 with 4-level paging.
pub const TASK_SIZE_MAX: u64 = 0x7fff_ffff_f000;
/// The host clone flags of a new thread of a stub process (both platforms).
pub const STUB_THREAD_FLAGS: u64 = (libc::CLONE_VM
    | libc::CLONE_FS
    | libc::CLONE_FILES
    | libc::CLONE_SIGHAND
    | libc::CLONE_THREAD
    | libc::CLONE_SYSVSEM) as u64;
/// The host flags of a new (forked) stub process: sharing the sentry's
/// descriptor table (to map its files), a child of husk (not of the stub),
/// no exit signal.
pub const STUB_PROCESS_FLAGS: u64 = (libc::CLONE_FILES | libc::CLONE_PARENT) as u64;

/// Constants of the systrap stub (third page, read-only once written): the
/// signal action, the command thread's mask and timeout, the seccomp filter.
pub const STUB_CONST: u64 = STUB_BASE + 0x2000;
/// Where the set-up table keeps the context memfd of a systrap stub.
pub const SETUP_FD_SLOT: u64 = STUB_DATA + 4088;

/// The systrap context region: a memfd shared with the sentry, right below
/// the stub. Slot 0 is the command thread's (a control page, a command page
/// the stub may only read, its stack); every further slot is one application
/// thread's (a control page, then its signal stack).
pub const CTX_SIZE: u64 = 0x400_0000;
/// Start of the context region (the end of the application's space).
pub const CTX_BASE: u64 = STUB_BASE - CTX_SIZE;
/// Size of one slot; slots are aligned to it, so the signal handler finds
/// its slot from its stack pointer.
pub const SLOT_SIZE: u64 = 0x1_0000;
/// The command page of slot 0.
pub const CTX_CMD: u64 = CTX_BASE + 0x1000;

/// Offsets in `STUB_CONST`.
pub const CONST_SIGACTION: u64 = 0;
pub const CONST_MEM_MASK: u64 = 32;
pub const CONST_TIMEOUT: u64 = 40;
pub const CONST_SPIN: u64 = 56;
pub const CONST_FPROG: u64 = 64;
pub const CONST_FILTER: u64 = 128;

/// Control words of the command thread (slot 0, offset 0).
pub const MEM_IDLE: u32 = 0x10;
pub const MEM_CMD: u32 = 0x11;
/// Control words of an application thread's slot (offset 0); the kernel
/// writes 0 there when the thread ends (set_tid_address).
pub const SLOT_EVENT: u32 = 1;
pub const SLOT_RUN: u32 = 2;
pub const SLOT_SYSCALL: u32 = 3;
/// Offsets of the sleeping flags in a slot's control page: the stub's (set
/// while it sleeps on the control word) and the sentry's.
pub const SLOT_STUB_SLEEPS: u64 = 4;
pub const SLOT_SENTRY_SLEEPS: u64 = 96;
/// Set while the sentry sleeps serving the thread's syscall (a blocking
/// read, poll, wait): the stub stops spinning and sleeps too.
pub const SLOT_SENTRY_BLOCKED: u64 = 100;

// The stub code. Registers on entry to `husk_stub_init`: rdi = address of the
// set-up table `[count, (addr, len) * count]`. It unmaps every listed range
// (all of the sentry's image), the table page itself, and then waits in
// `pause` for the sentry to seize it. `husk_stub_syscall` is the injection
// site: `syscall` then `int3` so the sentry regains control. `husk_stub_clone`
// is the site for injected clone: the parent traps, the child goes to wait.
global_asm!(
    ".pushsection .text.husk_stub,\"ax\",@progbits",
    ".p2align 12",
    ".globl husk_stub_start",
    "husk_stub_start:",
    "husk_stub_init:",
    "    mov r12, rdi",
    "    mov r13, [r12]",
    "    lea r14, [r12 + 8]",
    "2:",
    "    test r13, r13",
    "    jz 3f",
    "    mov eax, 11",
    "    mov rdi, [r14]",
    "    mov rsi, [r14 + 8]",
    "    syscall",
    "    add r14, 16",
    "    dec r13",
    "    jmp 2b",
    "3:",
    "    mov eax, 11",
    "    mov rdi, r12",
    "    mov esi, 4096",
    "    syscall",
    "    int3",
    ".globl husk_stub_wait",
    "husk_stub_wait:",
    "    mov eax, 34",
    "    syscall",
    "    jmp husk_stub_wait",
    ".globl husk_stub_syscall",
    "husk_stub_syscall:",
    "    syscall",
    "    int3",
    ".globl husk_stub_clone",
    "husk_stub_clone:",
    "    syscall",
    "    test rax, rax",
    "    jz husk_stub_wait",
    "    int3",
    // ---- systrap ----
    // A new stub process: rdi = set-up table. Unmap the sentry, install the
    // one signal handler for every catchable signal, block all but the
    // synchronous ones, no new privileges, then map the context memfd.
    ".globl husk_systrap_init",
    "husk_systrap_init:",
    "    mov r12, rdi",
    "    mov rbx, [r12 + 4088]",
    "    mov r13, [r12]",
    "    lea r14, [r12 + 8]",
    "20:",
    "    test r13, r13",
    "    jz 21f",
    "    mov eax, 11",
    "    mov rdi, [r14]",
    "    mov rsi, [r14 + 8]",
    "    syscall",
    "    add r14, 16",
    "    dec r13",
    "    jmp 20b",
    "21:",
    "    mov eax, 11",
    "    mov rdi, r12",
    "    mov esi, 4096",
    "    syscall",
    "    mov r13d, 1",
    "22:",
    "    cmp r13d, 9",
    "    je 23f",
    "    cmp r13d, 19",
    "    je 23f",
    "    mov eax, 13",
    "    mov edi, r13d",
    "    mov rsi, {sigaction}",
    "    xor edx, edx",
    "    mov r10d, 8",
    "    syscall",
    "23:",
    "    inc r13d",
    "    cmp r13d, 65",
    "    jne 22b",
    "    mov eax, 14",
    "    mov edi, 2",
    "    mov rsi, {mem_mask}",
    "    xor edx, edx",
    "    mov r10d, 8",
    "    syscall",
    "    mov eax, 157",
    "    mov edi, 38",
    "    mov esi, 1",
    "    xor edx, edx",
    "    xor r10d, r10d",
    "    xor r8d, r8d",
    "    syscall",
    // Map the context memfd (rbx) and enter the command loop. A forked
    // command thread comes here too, with its new memfd. Every stub is a
    // child of the husk thread that made the template (CLONE_PARENT): it
    // dies with that thread (PDEATHSIG), and the loop below also ends it
    // when husk is gone.
    "30:",
    "    mov eax, 157",
    "    mov edi, 1",
    "    mov esi, 9",
    "    syscall",
    "    mov eax, 9",
    "    mov rdi, {ctx}",
    "    mov rsi, {ctx_size}",
    "    mov edx, 3",
    "    mov r10d, 0x11",
    "    mov r8, rbx",
    "    xor r9d, r9d",
    "    syscall",
    "    mov rcx, {ctx}",
    "    cmp rax, rcx",
    "    jne 39f",
    "    mov eax, 10",
    "    mov rdi, {cmd}",
    "    mov esi, 4096",
    "    mov edx, 1",
    "    syscall",
    "    test rax, rax",
    "    jnz 39f",
    "    mov r12, {ctx}",
    "    mov r13, {cmd}",
    "    xor r15d, r15d",
    "    mov rsp, {mem_stack}",
    "    mov eax, 39",
    "    syscall",
    "    mov [r12 + 24], rax",
    "    mov eax, 110",
    "    syscall",
    "    mov r14, rax",
    // The command loop: r12 = control page, r13 = command page, r14 = the
    // sentry's pid, r15 = the last command's sequence number. It uses no
    // stack: a forked child shares this memory until it maps its own.
    "31:",
    "    mov dword ptr [r12], {mem_idle}",
    "    mov eax, 202",
    "    mov rdi, r12",
    "    mov esi, 1",
    "    mov edx, 1",
    "    syscall",
    "32:",
    "    mov edx, dword ptr [r12]",
    "    cmp edx, {mem_cmd}",
    "    je 34f",
    "    mov eax, 202",
    "    mov rdi, r12",
    "    xor esi, esi",
    "    mov r10, {timeout}",
    "    syscall",
    "    cmp rax, -110",
    "    jne 32b",
    // Each second without work: end if the sentry is gone.
    "    mov eax, 110",
    "    syscall",
    "    cmp rax, r14",
    "    je 32b",
    "39:",
    "    mov eax, 231",
    "    mov edi, 127",
    "    syscall",
    "34:",
    "    mov rax, [r13]",
    "    cmp rax, r15",
    "    je 31b",
    "    mov r15, rax",
    "    mov rax, [r13 + 8]",
    "    cmp rax, 1",
    "    je 36f",
    "    cmp rax, 2",
    "    je 37f",
    "    mov rax, [r13 + 16]",
    "    mov rdi, [r13 + 24]",
    "    mov rsi, [r13 + 32]",
    "    mov rdx, [r13 + 40]",
    "    mov r10, [r13 + 48]",
    "    mov r8, [r13 + 56]",
    "    mov r9, [r13 + 64]",
    "    syscall",
    "35:",
    "    mov [r12 + 8], rax",
    "    mov [r12 + 16], r15",
    "    jmp 31b",
    // A new application thread: args[0] = its slot, args[1] = clone flags.
    "36:",
    "    mov rbx, [r13 + 24]",
    "    mov rdi, [r13 + 32]",
    "    mov rsi, rbx",
    "    add rsi, {slot_top}",
    "    xor edx, edx",
    "    xor r10d, r10d",
    "    xor r8d, r8d",
    "    mov eax, 56",
    "    syscall",
    "    test rax, rax",
    "    jnz 35b",
    // The new thread (rbx = its slot): its exit clears the control word,
    // its signal stack is the slot, then the filter, then the first trap.
    "    mov eax, 218",
    "    mov rdi, rbx",
    "    syscall",
    "    mov [rbx + 8], rax",
    "    lea rax, [rbx + 4096]",
    "    mov [rbx + 128], rax",
    "    mov qword ptr [rbx + 136], 0",
    "    mov rax, {alt_size}",
    "    mov [rbx + 144], rax",
    "    mov eax, 131",
    "    lea rdi, [rbx + 128]",
    "    xor esi, esi",
    "    syscall",
    "    test rax, rax",
    "    jnz 38f",
    "    mov eax, 317",
    "    mov edi, 1",
    "    xor esi, esi",
    "    mov rdx, {fprog}",
    "    syscall",
    "    test rax, rax",
    "    jnz 38f",
    "    mov eax, 39",
    "    syscall",
    "    ud2",
    "38:",
    "    mov eax, 60",
    "    xor edi, edi",
    "    syscall",
    // fork: args[0] = the child's context memfd, args[1] = clone flags.
    // The memfd goes into a register first: once the parent reports, the
    // sentry may write the next command into the page the child shares.
    "37:",
    "    mov rbx, [r13 + 24]",
    "    mov rdi, [r13 + 32]",
    "    xor esi, esi",
    "    xor edx, edx",
    "    xor r10d, r10d",
    "    xor r8d, r8d",
    "    mov eax, 56",
    "    syscall",
    "    test rax, rax",
    "    jnz 35b",
    "    jmp 30b",
    // The handler of every signal of an application thread, on the slot's
    // signal stack: report the event, wait for the sentry, run what it
    // asks, return into the (possibly rewritten) frame.
    ".globl husk_systrap_handler",
    "husk_systrap_handler:",
    "    mov r12, rsp",
    "    and r12, -65536",
    "    mov [r12 + 16], rdi",
    "    mov [r12 + 24], rsi",
    "    mov [r12 + 32], rdx",
    // Report (a locked exchange: the store is seen before the sentry's
    // sleeping flag is read), and wake the sentry only if it sleeps.
    "40:",
    "    mov eax, {slot_event}",
    "    xchg dword ptr [r12], eax",
    "    cmp dword ptr [r12 + 96], 0",
    "    je 41f",
    "    mov eax, 202",
    "    mov rdi, r12",
    "    mov esi, 1",
    "    mov edx, 1",
    "    syscall",
    // Wait: spin a while (the sentry usually answers within microseconds,
    // from another CPU), then sleep with the sleeping flag set.
    "41:",
    "    mov rcx, {spin}",
    "    mov ecx, dword ptr [rcx]",
    "    inc ecx",
    "44:",
    "    mov edx, dword ptr [r12]",
    "    cmp edx, {slot_run}",
    "    je 43f",
    "    cmp edx, {slot_syscall}",
    "    je 42f",
    // The sentry went to sleep serving this syscall: no answer soon.
    "    cmp dword ptr [r12 + 100], 0",
    "    jne 46f",
    "    pause",
    "    dec ecx",
    "    jnz 44b",
    "46:",
    "    mov eax, 1",
    "    xchg dword ptr [r12 + 4], eax",
    "    mov edx, dword ptr [r12]",
    "    cmp edx, {slot_event}",
    "    jne 45f",
    "    mov eax, 202",
    "    mov rdi, r12",
    "    xor esi, esi",
    "    xor r10d, r10d",
    "    syscall",
    "45:",
    "    mov dword ptr [r12 + 4], 0",
    "    jmp 41b",
    "42:",
    "    mov rax, [r12 + 40]",
    "    mov rdi, [r12 + 48]",
    "    mov rsi, [r12 + 56]",
    "    syscall",
    "    mov [r12 + 88], rax",
    "    jmp 40b",
    "43:",
    "    ret",
    ".globl husk_systrap_restorer",
    "husk_systrap_restorer:",
    "    mov eax, 15",
    "    syscall",
    ".globl husk_stub_end",
    "husk_stub_end:",
    ".popsection",
    sigaction = const STUB_CONST + CONST_SIGACTION,
    mem_mask = const STUB_CONST + CONST_MEM_MASK,
    timeout = const STUB_CONST + CONST_TIMEOUT,
    fprog = const STUB_CONST + CONST_FPROG,
    ctx = const CTX_BASE,
    ctx_size = const CTX_SIZE,
    cmd = const CTX_CMD,
    mem_stack = const CTX_BASE + SLOT_SIZE - 64,
    slot_top = const SLOT_SIZE - 64,
    alt_size = const SLOT_SIZE - 4096,
    mem_idle = const MEM_IDLE,
    mem_cmd = const MEM_CMD,
    slot_event = const SLOT_EVENT,
    slot_run = const SLOT_RUN,
    slot_syscall = const SLOT_SYSCALL,
    spin = const STUB_CONST + CONST_SPIN,
);

extern "C" {
    static husk_stub_start: u8;
    static husk_stub_wait: u8;
    static husk_stub_syscall: u8;
    static husk_stub_clone: u8;
    static husk_systrap_init: u8;
    static husk_systrap_handler: u8;
    static husk_systrap_restorer: u8;
    static husk_stub_end: u8;
}

fn offset_of(sym: *const u8) -> u64 {
    sym as u64 - std::ptr::addr_of!(husk_stub_start) as u64
}

/// Where stub symbol `sym` is in every stub.
fn at(sym: *const u8) -> u64 {
    STUB_BASE + offset_of(sym)
}

/// Address of the injection site (`syscall; int3`) in every stub.
pub fn syscall_site() -> u64 {
    at(std::ptr::addr_of!(husk_stub_syscall))
}

/// Address of the clone site (`syscall`; child waits, parent traps).
pub fn clone_site() -> u64 {
    at(std::ptr::addr_of!(husk_stub_clone))
}

/// Address of the wait loop.
pub fn wait_site() -> u64 {
    at(std::ptr::addr_of!(husk_stub_wait))
}

/// Address of the set-up entry point.
pub fn init_site() -> u64 {
    STUB_BASE
}

/// Address of the systrap set-up entry point.
pub fn systrap_init_site() -> u64 {
    at(std::ptr::addr_of!(husk_systrap_init))
}

/// Address of the systrap signal handler.
pub fn systrap_handler() -> u64 {
    at(std::ptr::addr_of!(husk_systrap_handler))
}

/// Address of the systrap signal return trampoline.
pub fn systrap_restorer() -> u64 {
    at(std::ptr::addr_of!(husk_systrap_restorer))
}

/// The stub's code bytes.
fn code() -> &'static [u8] {
    let start = std::ptr::addr_of!(husk_stub_start);
    let len = offset_of(std::ptr::addr_of!(husk_stub_end)) as usize;
    // SAFETY: husk_stub_start..husk_stub_end is one contiguous run of
    // instructions in our own text section, emitted by the global_asm above.
    unsafe { std::slice::from_raw_parts(start, len) }
}

/// glibc's rseq registration of the calling thread (its area), which a
/// cloned child inherits and must drop before unmapping the area.
pub(crate) fn rseq_registration() -> Option<u64> {
    extern "C" {
        static __rseq_offset: isize;
        static __rseq_size: u32;
    }
    // SAFETY: glibc (>= 2.35) exports these read-only after start-up.
    let (off, size) = unsafe { (__rseq_offset, __rseq_size) };
    if size == 0 {
        return None;
    }
    let tp: u64;
    // SAFETY: reads the thread pointer (fs:0 holds the TCB's own address on x86_64).
    unsafe { std::arch::asm!("mov {}, fs:0", out(reg) tp) };
    Some((tp as i64 + off as i64) as u64)
}

const RSEQ_SIG: u64 = 0x5305_3053;

/// Drops the rseq registration `rseq` in a freshly cloned stub child. Only a
/// raw syscall: safe to call in the child of a multi-threaded fork.
pub(crate) fn drop_rseq(rseq: Option<u64>) {
    let Some(area) = rseq else { return };
    // The kernel checks the registered length; glibc registers 32 bytes
    // (older) or a larger area: try the usual sizes.
    for len in [32u64, 64, 128, 256, 512, 1024] {
        // SAFETY: rseq(RSEQ_FLAG_UNREGISTER) on the area the kernel already
        // knows for this thread; no memory of ours is touched.
        if unsafe { libc::syscall(libc::SYS_rseq, area, len, 1u64, RSEQ_SIG) } == 0 {
            break;
        }
    }
}

/// Maps the stub region in the husk process itself, once, before any stub is
/// created: stubs are clones of husk, so they inherit it. Fails if the range
/// is taken (it never is under Linux's layout rules).
pub fn reserve() -> std::io::Result<()> {
    // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping; the
    // range is fresh anonymous memory owned by this module from now on.
    let p = unsafe {
        libc::mmap(
            STUB_BASE as *mut libc::c_void,
            STUB_SIZE as usize,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    if p as u64 != STUB_BASE {
        return Err(std::io::Error::from_raw_os_error(libc::EEXIST));
    }
    let code = code();
    // SAFETY: the destination is the page just mapped read-write above, and
    // the code is far shorter than one page.
    unsafe {
        std::ptr::copy_nonoverlapping(code.as_ptr(), STUB_BASE as *mut u8, code.len());
    }
    // SAFETY: changes protection of our own fresh mapping only.
    let rc = unsafe { libc::mprotect(STUB_BASE as *mut libc::c_void, 0x1000, libc::PROT_READ | libc::PROT_EXEC) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // The systrap constants: written once, then read-only.
    let consts = super::systrap::const_page();
    assert!(consts.len() <= 4096, "the systrap constants fit one page");
    // SAFETY: STUB_CONST is the third page of the region mapped read-write
    // above; the image fits in it (checked above).
    unsafe {
        std::ptr::copy_nonoverlapping(consts.as_ptr(), STUB_CONST as *mut u8, consts.len());
    }
    // SAFETY: as above, our own fresh mapping.
    let rc = unsafe { libc::mprotect(STUB_CONST as *mut libc::c_void, 0x1000, libc::PROT_READ) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // The pages after the constants are only a guard: nothing may use them.
    let guard = STUB_CONST + 0x1000;
    // SAFETY: as above, our own fresh mapping.
    let rc = unsafe {
        libc::mprotect(guard as *mut libc::c_void, (STUB_BASE + STUB_SIZE - guard) as usize, libc::PROT_NONE)
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Writes the set-up table: every range of the current address space that a
/// new stub must unmap, i.e. all of `[0, TASK_SIZE_MAX)` except the stub region
/// and the `keep` ranges (the vDSO and its data pages).
///
/// Preconditions: `reserve` succeeded. Called with the table lock held by the
/// caller, right before cloning a new stub process.
pub fn write_unmap_table(keep: &[(u64, u64)]) {
    let mut keep: Vec<(u64, u64)> = keep.to_vec();
    keep.push((STUB_BASE, STUB_BASE + STUB_SIZE));
    keep.sort();
    let mut gaps = Vec::new();
    let mut at = 0u64;
    for &(s, e) in &keep {
        if s > at {
            gaps.push((at, s - at));
        }
        at = at.max(e);
    }
    if at < TASK_SIZE_MAX {
        gaps.push((at, TASK_SIZE_MAX - at));
    }
    let mut words: Vec<u64> = vec![gaps.len() as u64];
    for (a, l) in gaps {
        words.push(a);
        words.push(l);
    }
    assert!(words.len() * 8 <= 4096 - 8, "too many ranges to keep");
    // SAFETY: STUB_DATA is the second page of our reserved read-write region,
    // and the table fits in it (checked above).
    unsafe {
        std::ptr::copy_nonoverlapping(words.as_ptr(), STUB_DATA as *mut u64, words.len());
    }
}
