//! `/proc/<pid>/cmdline` and `environ`: read from the process's memory,
//! where exec put the strings (`ProgramLayout`), as Linux reads them. A
//! program that rewrites its arguments (a process title, a password
//! hidden from `ps`) is shown as it rewrote them.

use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::mm::ProgramLayout;
use crate::kernel::task::procs::is_zombie;
use crate::kernel::task::ThreadGroup;

/// Linux reads a process title (below) up to one page.
const PAGE: u64 = 4096;

fn layout(tg: &ThreadGroup) -> Option<ProgramLayout> {
    if is_zombie(tg) {
        return None;
    }
    Some(tg.mm().state.lock().unwrap_or_else(|e| e.into_inner()).program)
}

/// `len` bytes of the process's memory at `addr`; nothing where it cannot
/// be read (the process unmapped it).
fn read(tg: &ThreadGroup, addr: u64, len: u64) -> Vec<u8> {
    let mut buf = vec![0u8; len as usize];
    match tg.mm().memory().read_bytes(addr, &mut buf) {
        Ok(()) => buf,
        Err(_) => Vec::new(),
    }
}

/// The arguments, NUL-terminated (Linux's `get_mm_cmdline`). When the
/// last byte of the argument area is no longer NUL, the program has
/// written a title over its arguments that may run on into the
/// environment: then the text up to its first NUL, at most a page.
pub fn cmdline(tg: &ThreadGroup) -> Vec<u8> {
    let Some(p) = layout(tg) else { return Vec::new() };
    if p.arg_start >= p.arg_end {
        return Vec::new();
    }
    let last = read(tg, p.arg_end - 1, 1);
    if last.first().is_some_and(|&c| c != 0) {
        let env_end = if p.env_start == p.arg_end && p.env_end >= p.env_start { p.env_end } else { p.arg_end };
        let mut title = read(tg, p.arg_start, (env_end - p.arg_start).min(PAGE));
        if let Some(nul) = title.iter().position(|&c| c == 0) {
            title.truncate(nul + 1);
        }
        return title;
    }
    read(tg, p.arg_start, p.arg_end - p.arg_start)
}

/// The environment strings as they are in memory now.
pub fn environ(tg: &ThreadGroup) -> Vec<u8> {
    match layout(tg) {
        Some(p) if p.env_start < p.env_end => read(tg, p.env_start, p.env_end - p.env_start),
        _ => Vec::new(),
    }
}

/// The arguments as a list (for `ps` rows), split where `cmdline` has NULs.
pub fn argv(tg: &ThreadGroup) -> Vec<Vec<u8>> {
    let line = cmdline(tg);
    let line = line.strip_suffix(&[0]).unwrap_or(&line);
    if line.is_empty() {
        return Vec::new();
    }
    line.split(|&c| c == 0).map(<[u8]>::to_vec).collect()
}
