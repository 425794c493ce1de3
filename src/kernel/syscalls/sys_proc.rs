//! Process identity and life: ids, exit, execve, arch_prctl, rlimits, umask.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::{StringVecReader, UserMemory};
use crate::kernel::task::exec::ExecArgs;
use crate::kernel::task::{ExitStatus, Rlimit, Task};

/// Implements getpid(2): the process id in the caller's PID namespace.
pub fn getpid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.tg.pid.vnr() as u64)
}

/// Implements gettid(2).
pub fn gettid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.shared.tid.vnr() as u64)
}

/// Implements getppid(2): 0 when the parent is outside the caller's PID
/// namespace (a namespace's init).
pub fn getppid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.tg.ppid_in(t.pidns()) as u64)
}

fn creds(t: &Task) -> crate::kernel::task::Credentials {
    t.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

// Ids are shown as the caller's user namespace maps them (the overflow id
// where it does not).

/// Implements getuid(2).
pub fn getuid(t: &mut Task, _: &Args) -> SysResult {
    let c = creds(t);
    Ok(c.user_ns.uid_shown(c.ruid) as u64)
}

/// Implements geteuid(2).
pub fn geteuid(t: &mut Task, _: &Args) -> SysResult {
    let c = creds(t);
    Ok(c.user_ns.uid_shown(c.euid) as u64)
}

/// Implements getgid(2).
pub fn getgid(t: &mut Task, _: &Args) -> SysResult {
    let c = creds(t);
    Ok(c.user_ns.gid_shown(c.rgid) as u64)
}

/// Implements getegid(2).
pub fn getegid(t: &mut Task, _: &Args) -> SysResult {
    let c = creds(t);
    Ok(c.user_ns.gid_shown(c.egid) as u64)
}

fn write_three(t: &Task, addrs: [u64; 3], vals: [u32; 3]) -> SysResult {
    let m = t.mem();
    for (a, v) in addrs.into_iter().zip(vals) {
        m.write_u32(a, v)?;
    }
    Ok(0)
}

/// Implements getresuid(2).
pub fn getresuid(t: &mut Task, a: &Args) -> SysResult {
    let c = creds(t);
    let u = |id| c.user_ns.uid_shown(id);
    write_three(t, [a[0], a[1], a[2]], [u(c.ruid), u(c.euid), u(c.suid)])
}

/// Implements getresgid(2).
pub fn getresgid(t: &mut Task, a: &Args) -> SysResult {
    let c = creds(t);
    let g = |id| c.user_ns.gid_shown(id);
    write_three(t, [a[0], a[1], a[2]], [g(c.rgid), g(c.egid), g(c.sgid)])
}

/// Implements getgroups(2).
pub fn getgroups(t: &mut Task, a: &Args) -> SysResult {
    let c = creds(t);
    let size = a[0] as i32;
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    if size == 0 {
        return Ok(c.groups.len() as u64);
    }
    if (size as usize) < c.groups.len() {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = c.groups.iter().flat_map(|&g| c.user_ns.gid_shown(g).to_ne_bytes()).collect();
    t.mem().write_bytes(a[1], &bytes)?;
    Ok(c.groups.len() as u64)
}

/// Implements set_tid_address(2).
pub fn set_tid_address(t: &mut Task, a: &Args) -> SysResult {
    t.clear_child_tid = a[0];
    Ok(t.shared.tid.vnr() as u64)
}

/// Implements set_robust_list(2).
pub fn set_robust_list(t: &mut Task, a: &Args) -> SysResult {
    if a[1] != 24 {
        return Err(Errno::EINVAL);
    }
    t.robust_list = (a[0], a[1]);
    Ok(0)
}

/// Implements get_robust_list(2) for the calling thread (pid 0 or itself).
pub fn get_robust_list(t: &mut Task, a: &Args) -> SysResult {
    if a[0] != 0 && a[0] as i32 != t.shared.tid.vnr() {
        return Err(Errno::ESRCH);
    }
    t.mem().write_u64(a[1], t.robust_list.0)?;
    t.mem().write_u64(a[2], t.robust_list.1)?;
    Ok(0)
}

const ARCH_SET_GS: u64 = 0x1001;
const ARCH_SET_FS: u64 = 0x1002;
const ARCH_GET_FS: u64 = 0x1003;
const ARCH_GET_GS: u64 = 0x1004;

/// Implements arch_prctl(2).
pub fn arch_prctl(t: &mut Task, a: &Args) -> SysResult {
    let canonical = |v: u64| v < (1u64 << 47);
    match a[0] {
        ARCH_SET_FS if canonical(a[1]) => {
            t.regs.fs_base = a[1];
            Ok(0)
        }
        ARCH_SET_GS if canonical(a[1]) => {
            t.regs.gs_base = a[1];
            Ok(0)
        }
        ARCH_SET_FS | ARCH_SET_GS => Err(Errno::EPERM),
        ARCH_GET_FS => t.mem().write_u64(a[1], t.regs.fs_base).map(|_| 0),
        ARCH_GET_GS => t.mem().write_u64(a[1], t.regs.gs_base).map(|_| 0),
        _ => Err(Errno::EINVAL),
    }
}

/// Implements exit(2): ends the calling thread; the last thread's exit
/// ends the process with this status.
pub fn exit(t: &mut Task, a: &Args) -> SysResult {
    t.exit = Some(ExitStatus::Code(a[0] as i32 & 0xff));
    Ok(0)
}

/// Implements exit_group(2).
pub fn exit_group(t: &mut Task, a: &Args) -> SysResult {
    t.exit_group(ExitStatus::Code(a[0] as i32 & 0xff));
    Ok(0)
}

/// Implements umask(2).
pub fn umask(t: &mut Task, a: &Args) -> SysResult {
    let mut fs = t.tg.fs.lock().unwrap_or_else(|e| e.into_inner());
    let old = fs.umask;
    fs.umask = a[0] as u32 & 0o777;
    Ok(old as u64)
}

const RLIM_NLIMITS: u32 = 16;

/// Implements prlimit64(2), for any process of the sandbox the caller may
/// change (see `sys_ident::may_prlimit`).
pub fn prlimit64(t: &mut Task, a: &Args) -> SysResult {
    let (pid, res, new, old) = (a[0] as i32, a[1] as u32, a[2], a[3]);
    let new = if new != 0 {
        let cur = t.mem().read_u64(new)?;
        let max = t.mem().read_u64(new + 8)?;
        Some(Rlimit { cur, max })
    } else {
        None
    };
    let target =
        if pid == 0 { t.tg.clone() } else { t.kernel.procs().process_of_in(t.pidns(), pid).ok_or(Errno::ESRCH)? };
    if !super::sys_ident::may_prlimit(t, &target) {
        return Err(Errno::EPERM);
    }
    if res >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    if let Some(n) = new {
        if n.cur > n.max {
            return Err(Errno::EINVAL);
        }
        if res == libc::RLIMIT_NOFILE && n.max > crate::kernel::fd::NR_OPEN as u64 {
            return Err(Errno::EPERM);
        }
    }
    let prev = {
        let mut limits = target.rlimits.lock().unwrap_or_else(|e| e.into_inner());
        let prev = limits[res as usize];
        if let Some(n) = new {
            if n.max > prev.max && !super::sys_ident::capable(t, super::sys_ident::CAP_SYS_RESOURCE) {
                return Err(Errno::EPERM);
            }
            limits[res as usize] = n;
        }
        prev
    };
    if new.is_some() && res == libc::RLIMIT_CPU {
        target.timers.update_rlimit_cpu(&t.kernel, &target);
    }
    if old != 0 {
        t.mem().write_u64(old, prev.cur)?;
        t.mem().write_u64(old + 8, prev.max)?;
    }
    Ok(0)
}

/// Implements getrlimit(2).
pub fn getrlimit(t: &mut Task, a: &Args) -> SysResult {
    prlimit64(t, &[0, a[0], 0, a[1], 0, 0])
}

/// Implements setrlimit(2).
pub fn setrlimit(t: &mut Task, a: &Args) -> SysResult {
    prlimit64(t, &[0, a[0], a[1], 0, 0, 0])
}

/// Longest argv or envp vector accepted.
const MAX_ARG_STRINGS: usize = 0x7fff_ffff;
/// Longest single argument or environment string, with its NUL.
const MAX_ARG_STRLEN: usize = 32 * 4096;
/// The floor and ceiling of the room for the strings and their pointers.
const ARG_MAX: u64 = 32 * 4096;
const ARG_CEILING: u64 = 6 << 20;

/// Reads a NULL-terminated array of string pointers, stopping with E2BIG
/// once the strings and pointers pass the largest room any limit gives.
fn read_strvec(t: &Task, addr: u64) -> Result<Vec<Vec<u8>>, Errno> {
    let mut v = Vec::new();
    if addr == 0 {
        return Ok(v);
    }
    let mem = t.mem();
    let mut strings = StringVecReader::new(&mem);
    let mut total = 0u64;
    // As Linux, the pointers are counted before any string is copied;
    // each takes 8 bytes of the room even before its string.
    let pointers = strings.pointers(addr, (ARG_CEILING / 8) as usize)?;
    if (pointers.len() as u64) * 8 > ARG_CEILING {
        return Err(Errno::E2BIG);
    }
    strings.prefetch(&pointers);
    for p in pointers {
        let s = strings.cstring(p, MAX_ARG_STRLEN - 1).map_err(|e| match e {
            Errno::ENAMETOOLONG => Errno::E2BIG,
            e => e,
        })?;
        total += s.len() as u64 + 1 + 8;
        if v.len() >= MAX_ARG_STRINGS || total > ARG_CEILING {
            return Err(Errno::E2BIG);
        }
        v.push(s);
    }
    Ok(v)
}

/// Linux's bprm_stack_limits: the strings (the file name's too) and the
/// pointers to them may take a quarter of RLIMIT_STACK, at least ARG_MAX
/// and at most 6 MiB; past that execve is E2BIG.
fn check_arg_room(t: &Task, path: &[u8], argv: &[Vec<u8>], envp: &[Vec<u8>]) -> Result<(), Errno> {
    let stack = t.tg.rlimits.lock().unwrap_or_else(|e| e.into_inner())[libc::RLIMIT_STACK as usize].cur;
    let limit = (stack / 4).clamp(ARG_MAX, ARG_CEILING);
    let pointers = (argv.len().max(1) + envp.len()) as u64 * 8;
    let strings: u64 = argv.iter().chain(envp).map(|s| s.len() as u64 + 1).sum::<u64>() + path.len() as u64 + 1;
    if pointers >= limit || strings > limit - pointers {
        return Err(Errno::E2BIG);
    }
    Ok(())
}

/// Implements execve(2) for a single-threaded process: a fresh address
/// space (a new stub process), close-on-exec descriptors closed, caught
/// signals reset. On failure before the old image is gone, the caller sees
/// the error; after, the process dies with SIGKILL as in Linux.
pub fn execve(t: &mut Task, a: &Args) -> SysResult {
    let path = t.read_path(a[0])?;
    let (argv_at, envp_at) = (a[1], a[2]);
    crate::kernel::task::exec::execve(t, path.clone(), |t| read_exec_args(t, &path, argv_at, envp_at))
}

/// Reads an exec's argv and envp (after the file is found, as Linux does
/// since 6.8) and checks the room they take.
fn read_exec_args(t: &Task, path: &[u8], argv_at: u64, envp_at: u64) -> Result<ExecArgs, Errno> {
    let argv = read_strvec(t, argv_at)?;
    let envp = read_strvec(t, envp_at)?;
    check_arg_room(t, path, &argv, &envp)?;
    Ok((argv, envp))
}

/// Implements execveat(2): a path relative to a directory descriptor, or
/// with AT_EMPTY_PATH the file a descriptor holds (fexecve), run through
/// its magic link so a memfd or an unlinked file runs too.
pub fn execveat(t: &mut Task, a: &Args) -> SysResult {
    let (dirfd, flags) = (a[0] as i32, a[4] as i32);
    if flags & !(libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let mut path = t.read_path(a[1])?;
    let given = path.clone();
    let (argv_at, envp_at) = (a[2], a[3]);
    if path.is_empty() {
        if flags & libc::AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        t.file(dirfd)?;
        path = format!("/proc/self/fd/{dirfd}").into_bytes();
    } else if flags & libc::AT_SYMLINK_NOFOLLOW != 0 {
        let at = super::sys_path::at_path(t, dirfd, path.clone())?;
        if t.vfs().resolve_with(&at.lookup(false), &at.path)?.stat()?.is_symlink() {
            return Err(Errno::ELOOP);
        }
    }
    let start = t.dir_for(dirfd, &path)?;
    crate::kernel::task::exec::execve_from(t, &start, path, |t| read_exec_args(t, &given, argv_at, envp_at))
}
