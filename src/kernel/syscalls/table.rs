//! Which syscalls the sentry serves, and how well. Names come from the ABI
//! table (`abi.rs`); this table adds the handler, the support level and a
//! note where support is partial. Anything not listed returns ENOSYS.

use std::sync::OnceLock;

use super::{
    abi, sys_attr as at, sys_clone as c, sys_fd as d, sys_file as f, sys_futex as x, sys_info as i,
    sys_mm as m, sys_path as n, sys_poll as q, sys_proc as p, sys_signal as s, sys_sleep as z,
    Handler,
};

/// How completely a syscall is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// As Linux does.
    Full,
    /// Served, with the limits the note names.
    Partial(&'static str),
}

/// One served syscall.
pub struct Entry {
    pub nr: i64,
    pub handler: Handler,
    pub support: Support,
}

const fn full(nr: i64, handler: Handler) -> Entry {
    Entry {
        nr,
        handler,
        support: Support::Full,
    }
}

const fn partial(nr: i64, handler: Handler, note: &'static str) -> Entry {
    Entry {
        nr,
        handler,
        support: Support::Partial(note),
    }
}

use libc as l;

/// Every served syscall.
pub static TABLE: &[Entry] = &[
    // Files.
    full(l::SYS_read, f::read),
    full(l::SYS_write, f::write),
    full(l::SYS_pread64, f::pread64),
    full(l::SYS_pwrite64, f::pwrite64),
    full(l::SYS_readv, f::readv),
    full(l::SYS_writev, f::writev),
    full(l::SYS_preadv, f::preadv),
    full(l::SYS_pwritev, f::pwritev),
    full(l::SYS_open, n::open),
    full(l::SYS_openat, n::openat),
    full(l::SYS_creat, n::creat),
    full(l::SYS_close, d::close),
    full(l::SYS_lseek, f::lseek),
    full(l::SYS_fstat, n::fstat),
    full(l::SYS_stat, n::stat),
    full(l::SYS_lstat, n::lstat),
    full(l::SYS_newfstatat, n::newfstatat),
    full(l::SYS_statx, n::statx),
    full(l::SYS_access, n::access),
    full(l::SYS_faccessat, n::faccessat),
    full(l::SYS_faccessat2, n::faccessat2),
    full(l::SYS_getcwd, n::getcwd),
    full(l::SYS_chdir, n::chdir),
    full(l::SYS_fchdir, n::fchdir),
    full(l::SYS_readlink, n::readlink),
    full(l::SYS_readlinkat, n::readlinkat),
    full(l::SYS_getdents64, d::getdents64),
    partial(l::SYS_ioctl, d::ioctl, "TCGETS, TIOCGWINSZ and FIONREAD on the caller's stdio; FIONBIO, FIOCLEX, FIONCLEX everywhere"),
    partial(l::SYS_fcntl, d::fcntl, "no record locks yet"),
    partial(l::SYS_pipe, d::pipe, "packet mode (O_DIRECT) is EINVAL"),
    partial(l::SYS_pipe2, d::pipe2, "packet mode (O_DIRECT) is EINVAL"),
    full(l::SYS_dup, d::dup),
    full(l::SYS_dup2, d::dup2),
    full(l::SYS_dup3, d::dup3),
    full(l::SYS_mkdir, n::mkdir),
    full(l::SYS_mkdirat, n::mkdirat),
    full(l::SYS_unlink, n::unlink),
    full(l::SYS_unlinkat, n::unlinkat),
    full(l::SYS_rmdir, n::rmdir),
    full(l::SYS_symlink, n::symlink),
    full(l::SYS_symlinkat, n::symlinkat),
    full(l::SYS_ftruncate, f::ftruncate),
    full(l::SYS_truncate, n::truncate),
    full(l::SYS_fsync, f::fsync),
    full(l::SYS_chmod, at::chmod),
    full(l::SYS_fchmod, at::fchmod),
    full(l::SYS_fchmodat, at::fchmodat),
    full(l::SYS_chown, at::chown),
    full(l::SYS_lchown, at::lchown),
    full(l::SYS_fchown, at::fchown),
    full(l::SYS_fchownat, at::fchownat),
    full(l::SYS_utimensat, at::utimensat),
    partial(l::SYS_rename, at::rename, "directories with host (lower) contents give EXDEV, as overlayfs does"),
    partial(l::SYS_renameat, at::renameat, "directories with host (lower) contents give EXDEV, as overlayfs does"),
    partial(l::SYS_renameat2, at::renameat2, "RENAME_WHITEOUT is EINVAL; RENAME_EXCHANGE of directories gives EXDEV"),
    full(l::SYS_fdatasync, f::fsync),
    // Readiness.
    full(l::SYS_poll, q::poll),
    full(l::SYS_ppoll, q::ppoll),
    full(l::SYS_select, q::select),
    full(l::SYS_pselect6, q::pselect6),
    // Memory.
    full(l::SYS_mmap, m::mmap),
    full(l::SYS_munmap, m::munmap),
    full(l::SYS_mprotect, m::mprotect),
    partial(l::SYS_mremap, m::mremap, "MREMAP_DONTUNMAP and old_size 0 are EINVAL"),
    full(l::SYS_brk, m::brk),
    partial(l::SYS_madvise, m::madvise, "advice that needs privileges (HWPOISON...) is EINVAL"),
    // Process identity and life.
    full(l::SYS_getpid, p::getpid),
    full(l::SYS_gettid, p::gettid),
    full(l::SYS_getppid, p::getppid),
    full(l::SYS_getuid, p::getuid),
    full(l::SYS_geteuid, p::geteuid),
    full(l::SYS_getgid, p::getgid),
    full(l::SYS_getegid, p::getegid),
    full(l::SYS_getresuid, p::getresuid),
    full(l::SYS_getresgid, p::getresgid),
    full(l::SYS_getgroups, p::getgroups),
    full(l::SYS_set_tid_address, p::set_tid_address),
    full(l::SYS_set_robust_list, p::set_robust_list),
    full(l::SYS_get_robust_list, p::get_robust_list),
    partial(l::SYS_arch_prctl, p::arch_prctl, "ARCH_SET_FS/GET_FS/SET_GS/GET_GS; CPUID faulting and AMX requests are EINVAL"),
    full(l::SYS_exit, p::exit),
    full(l::SYS_exit_group, p::exit_group),
    full(l::SYS_umask, p::umask),
    full(l::SYS_prlimit64, p::prlimit64),
    full(l::SYS_getrlimit, p::getrlimit),
    full(l::SYS_setrlimit, p::setrlimit),
    partial(l::SYS_execve, p::execve, "from a non-main thread the caller keeps its thread id"),
    full(l::SYS_fork, c::fork),
    partial(l::SYS_vfork, c::vfork, "the child gets a copy of the address space, not the parent's"),
    partial(l::SYS_clone, c::clone, "namespaces and pidfds are EINVAL; CLONE_VM without CLONE_THREAD copies the address space"),
    partial(l::SYS_clone3, c::clone3, "namespaces, pidfds, set_tid and cgroups are EINVAL; CLONE_VM without CLONE_THREAD copies"),
    partial(l::SYS_wait4, c::wait4, "rusage is zeroed"),
    partial(l::SYS_waitid, c::waitid, "rusage is zeroed; P_PIDFD is EINVAL"),
    // Threads.
    partial(l::SYS_futex, x::futex, "shared futexes are per address space; WAKE_OP's update is not atomic against running threads; PI ops are ENOSYS"),
    // Signals.
    full(l::SYS_rt_sigaction, s::rt_sigaction),
    full(l::SYS_rt_sigprocmask, s::rt_sigprocmask),
    full(l::SYS_sigaltstack, s::sigaltstack),
    full(l::SYS_kill, s::kill),
    full(l::SYS_tgkill, s::tgkill),
    full(l::SYS_tkill, s::tkill),
    full(l::SYS_rt_sigqueueinfo, s::rt_sigqueueinfo),
    full(l::SYS_rt_tgsigqueueinfo, s::rt_tgsigqueueinfo),
    full(l::SYS_rt_sigpending, s::rt_sigpending),
    full(l::SYS_rt_sigsuspend, s::rt_sigsuspend),
    full(l::SYS_rt_sigtimedwait, s::rt_sigtimedwait),
    full(l::SYS_pause, s::pause),
    full(l::SYS_rt_sigreturn, s::rt_sigreturn),
    // Time.
    full(l::SYS_nanosleep, z::nanosleep),
    partial(l::SYS_clock_nanosleep, z::clock_nanosleep, "CPU-time clocks are not served"),
    full(l::SYS_restart_syscall, z::restart_syscall),
    // Information.
    full(l::SYS_uname, i::uname),
    full(l::SYS_getrandom, i::getrandom),
    full(l::SYS_clock_gettime, i::clock_gettime),
    full(l::SYS_clock_getres, i::clock_getres),
    full(l::SYS_gettimeofday, i::gettimeofday),
    full(l::SYS_time, i::time),
    full(l::SYS_sysinfo, i::sysinfo),
    full(l::SYS_sched_yield, i::sched_yield),
    full(l::SYS_sched_getaffinity, i::sched_getaffinity),
    full(l::SYS_getcpu, i::getcpu),
];

/// Handlers indexed by number.
fn by_number() -> &'static [Option<Handler>] {
    static MAP: OnceLock<Vec<Option<Handler>>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut v: Vec<Option<Handler>> = vec![None; abi::MAX_NR as usize + 1];
        for e in TABLE {
            v[e.nr as usize] = Some(e.handler);
        }
        v
    })
}

/// The handler of syscall `nr`, if the sentry serves it.
pub fn handler(nr: u64) -> Option<Handler> {
    by_number().get(nr as usize).copied().flatten()
}

/// The strace name of syscall `nr`.
pub fn name(nr: u64) -> Option<&'static str> {
    abi::name(nr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_unique_and_named() {
        let mut seen = std::collections::HashSet::new();
        for e in TABLE {
            assert!(seen.insert(e.nr), "syscall {} listed twice", e.nr);
            assert!(
                abi::name(e.nr as u64).is_some(),
                "syscall {} has no name",
                e.nr
            );
            if let Support::Partial(note) = e.support {
                assert!(!note.is_empty());
            }
        }
    }
}
