//! The stub: a few instructions of position-independent code copied to a fixed
//! address at the top of every application address space. Everything else of
//! the sentry's image is unmapped from a stub process; the sentry drives the
//! stub with ptrace and uses its `syscall` instructions to change the address
//! space from inside (syscall injection).

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
    ".globl husk_stub_end",
    "husk_stub_end:",
    ".popsection",
);

extern "C" {
    static husk_stub_start: u8;
    static husk_stub_wait: u8;
    static husk_stub_syscall: u8;
    static husk_stub_clone: u8;
    static husk_stub_end: u8;
}

fn offset_of(sym: *const u8) -> u64 {
    sym as u64 - std::ptr::addr_of!(husk_stub_start) as u64
}

/// Address of the injection site (`syscall; int3`) in every stub.
pub fn syscall_site() -> u64 {
    STUB_BASE + offset_of(std::ptr::addr_of!(husk_stub_syscall))
}

/// Address of the clone site (`syscall`; child waits, parent traps).
pub fn clone_site() -> u64 {
    STUB_BASE + offset_of(std::ptr::addr_of!(husk_stub_clone))
}

/// Address of the wait loop.
pub fn wait_site() -> u64 {
    STUB_BASE + offset_of(std::ptr::addr_of!(husk_stub_wait))
}

/// Address of the set-up entry point.
pub fn init_site() -> u64 {
    STUB_BASE
}

/// The stub's code bytes.
fn code() -> &'static [u8] {
    let start = std::ptr::addr_of!(husk_stub_start);
    let len = offset_of(std::ptr::addr_of!(husk_stub_end)) as usize;
    // SAFETY: husk_stub_start..husk_stub_end is one contiguous run of
    // instructions in our own text section, emitted by the global_asm above.
    unsafe { std::slice::from_raw_parts(start, len) }
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
    // The pages after the set-up table are only a guard: nothing may use them.
    let guard = STUB_DATA + 0x1000;
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
    assert!(words.len() * 8 <= 4096, "too many ranges to keep");
    // SAFETY: STUB_DATA is the second page of our reserved read-write region,
    // and the table fits in it (checked above).
    unsafe {
        std::ptr::copy_nonoverlapping(words.as_ptr(), STUB_DATA as *mut u64, words.len());
    }
}
