//! The sentry's own seccomp filter (defense in depth): once installed, the
//! husk process may make only the system calls the sentry needs. Anything
//! else traps; the SIGSYS handler reports the call and ends the sandbox.
//!
//! When: after the platform's start-up and the sandbox's set-up, before any
//! application code runs (`husk boot` before "ready"; `husk do` before its
//! first process). How: on every thread at once (`SECCOMP_FILTER_FLAG_TSYNC`);
//! threads made later inherit it. Stub processes are raw clones of husk and
//! inherit it too (ptrace platform; systrap stubs descend from a template
//! made before the filter). That is sound because application code never
//! reaches the filter: under `PTRACE_SYSEMU` a syscall stops at entry and
//! is skipped before seccomp runs. What does reach it in a stub are the stub's own
//! calls (munmap, pause, prctl, rseq, read of its ready pipe) and the
//! calls the sentry injects (mmap, munmap, mprotect, mremap, madvise,
//! clone, exit, prctl's TSC and speculation controls): all are on the list.
//!
//! `clone3` fails with ENOSYS (its flags live in memory a filter cannot
//! read), so the C library falls back to `clone`.
//!
//! Arguments are pinned where the sentry's use is a short fixed list
//! (`pinned_rules`): ptrace requests, ioctl commands, socket domains, clone
//! without namespace flags, prctl options. Not pinned, and why: `mmap` and
//! `mprotect` (the sentry injects the application's own requests, RWX for
//! a JIT included, and injected calls pass the same filter), `madvise` and
//! `mremap` (injected too), `kill`/`tgkill` (the targets are stubs made at
//! run time), `fcntl`, `futex` and socket options (too many legitimate
//! values for a pin to mean much), paths (a filter cannot read memory).
//!
//! Debug builds only: `HUSK_SECCOMP_SELFTEST=<variant>` makes the sentry
//! try one forbidden variant of an allowed call right after installing the
//! filter (`self_test`), so a test can see the filter refuse it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI32, Ordering};

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule, TargetArch,
};

/// Every system call the sentry makes, with why.
const ALLOWED: &[(i64, &str)] = &[
    // Files of the root and of mounts, the state directory, logs.
    (libc::SYS_read, "I/O"),
    (libc::SYS_write, "I/O"),
    (libc::SYS_readv, "I/O"),
    (libc::SYS_writev, "I/O"),
    (libc::SYS_pread64, "I/O"),
    (libc::SYS_pwrite64, "I/O"),
    (libc::SYS_preadv, "I/O"),
    (libc::SYS_pwritev, "I/O"),
    (libc::SYS_preadv2, "I/O"),
    (libc::SYS_pwritev2, "I/O"),
    (libc::SYS_lseek, "I/O"),
    (libc::SYS_close, "descriptors"),
    (libc::SYS_close_range, "descriptors"),
    (libc::SYS_dup, "descriptors"),
    (libc::SYS_dup2, "descriptors"),
    (libc::SYS_dup3, "descriptors"),
    (libc::SYS_fcntl, "descriptors, record locks"),
    (libc::SYS_flock, "file locks"),
    (libc::SYS_openat, "files of the root (below its descriptor), /proc/self"),
    (libc::SYS_openat2, "files of the root with RESOLVE_IN_ROOT"),
    (libc::SYS_open, "C library"),
    (libc::SYS_newfstatat, "stat"),
    (libc::SYS_fstat, "stat"),
    (libc::SYS_stat, "stat"),
    (libc::SYS_lstat, "stat"),
    (libc::SYS_statx, "stat"),
    (libc::SYS_statfs, "statfs"),
    (libc::SYS_fstatfs, "statfs"),
    (libc::SYS_readlink, "readlink"),
    (libc::SYS_readlinkat, "readlink"),
    (libc::SYS_getdents64, "directories"),
    (libc::SYS_access, "access"),
    (libc::SYS_faccessat, "access"),
    (libc::SYS_faccessat2, "access"),
    (libc::SYS_mkdirat, "rw bind mounts, state directory"),
    (libc::SYS_mknodat, "FIFOs on rw bind mounts"),
    (libc::SYS_mkdir, "state directory"),
    (libc::SYS_unlinkat, "rw bind mounts, state directory"),
    (libc::SYS_unlink, "state directory"),
    (libc::SYS_rmdir, "state directory"),
    (libc::SYS_renameat, "rw bind mounts"),
    (libc::SYS_renameat2, "rw bind mounts"),
    (libc::SYS_rename, "state files (atomic write)"),
    (libc::SYS_symlinkat, "rw bind mounts"),
    (libc::SYS_linkat, "rw bind mounts"),
    (libc::SYS_fchmod, "rw bind mounts"),
    (libc::SYS_fchmodat, "rw bind mounts"),
    (libc::SYS_fchown, "rw bind mounts"),
    (libc::SYS_fchownat, "rw bind mounts"),
    (libc::SYS_utimensat, "rw bind mounts"),
    (libc::SYS_ftruncate, "memfds of the in-memory layer"),
    (libc::SYS_fallocate, "memfds of the in-memory layer"),
    (libc::SYS_fsync, "state files"),
    (libc::SYS_fdatasync, "sync of rw mounts"),
    (libc::SYS_sync_file_range, "sync of rw mounts"),
    (libc::SYS_syncfs, "sync(2) and syncfs(2) of host bind mounts"),
    (libc::SYS_copy_file_range, "copy-up"),
    (libc::SYS_sendfile, "copy-up"),
    (libc::SYS_memfd_create, "in-memory files; systrap context regions"),
    (libc::SYS_pipe2, "pipes of the platform and of signal handling"),
    (libc::SYS_ioctl, "host terminals (termios, window size, ptys)"),
    (libc::SYS_getcwd, "paths"),
    (libc::SYS_fgetxattr, "xattrs of host files"),
    (libc::SYS_flistxattr, "xattrs of host files"),
    (libc::SYS_lgetxattr, "xattrs of host files"),
    (libc::SYS_llistxattr, "xattrs of host files"),
    (libc::SYS_getxattr, "xattrs of host files"),
    (libc::SYS_listxattr, "xattrs of host files"),
    // Memory: the sentry's own and what it injects into stubs.
    (libc::SYS_mmap, "memory; injected into stubs"),
    (libc::SYS_munmap, "memory; the stub unmaps the sentry image"),
    (libc::SYS_mprotect, "memory; injected"),
    (libc::SYS_mremap, "memory; injected"),
    (libc::SYS_madvise, "memory; injected"),
    (libc::SYS_msync, "msync of shared mappings"),
    (libc::SYS_mincore, "mincore"),
    (libc::SYS_mlock, "mlock"),
    (libc::SYS_munlock, "munlock"),
    (libc::SYS_mlock2, "mlock2; injected into stubs"),
    (libc::SYS_mlockall, "mlockall; injected into stubs"),
    (libc::SYS_munlockall, "munlockall; injected into stubs"),
    (libc::SYS_brk, "allocator"),
    (libc::SYS_membarrier, "C library"),
    // Threads, stubs, tracing.
    (libc::SYS_clone, "sentry threads; stub processes and injected stub clones"),
    (libc::SYS_clone3, "answered ENOSYS by the first filter"),
    (libc::SYS_exit, "threads; injected into stubs"),
    (libc::SYS_exit_group, "the end"),
    (libc::SYS_ptrace, "the ptrace platform"),
    (libc::SYS_wait4, "ptrace stops"),
    (libc::SYS_waitid, "ptrace stops"),
    (libc::SYS_process_vm_readv, "application memory"),
    (libc::SYS_process_vm_writev, "application memory"),
    (libc::SYS_kill, "stubs"),
    (libc::SYS_tgkill, "kicking stub threads, signal forwarding"),
    (libc::SYS_tkill, "C library"),
    (libc::SYS_futex, "locks"),
    (libc::SYS_set_robust_list, "threads"),
    (libc::SYS_get_robust_list, "threads"),
    (libc::SYS_set_tid_address, "threads"),
    (libc::SYS_rseq, "threads; stubs drop their registration"),
    (libc::SYS_prctl, "thread names, PDEATHSIG of stubs"),
    (libc::SYS_arch_prctl, "C library"),
    (libc::SYS_sched_yield, "spinning"),
    (libc::SYS_sched_getaffinity, "CPU pinning"),
    (libc::SYS_sched_setaffinity, "CPU pinning of tracer and stub"),
    (libc::SYS_sched_getparam, "C library"),
    (libc::SYS_sched_setscheduler, "killed stubs exit as batch work"),
    (libc::SYS_sched_getscheduler, "C library"),
    (libc::SYS_getpriority, "C library"),
    (libc::SYS_pause, "stubs wait to be seized"),
    (libc::SYS_restart_syscall, "restarts"),
    // Signals.
    (libc::SYS_rt_sigaction, "signal handling"),
    (libc::SYS_rt_sigprocmask, "signal handling"),
    (libc::SYS_rt_sigreturn, "signal handling"),
    (libc::SYS_rt_sigtimedwait, "signal handling"),
    (libc::SYS_sigaltstack, "thread stacks"),
    // Ids and time.
    (libc::SYS_getpid, "ids"),
    (libc::SYS_gettid, "ids"),
    (libc::SYS_getppid, "ids"),
    (libc::SYS_getuid, "ids"),
    (libc::SYS_geteuid, "ids"),
    (libc::SYS_getgid, "ids"),
    (libc::SYS_getegid, "ids"),
    (libc::SYS_getresuid, "ids"),
    (libc::SYS_getresgid, "ids"),
    (libc::SYS_getgroups, "ids"),
    (libc::SYS_getpgid, "ids"),
    (libc::SYS_getsid, "ids"),
    (libc::SYS_uname, "uname"),
    (libc::SYS_sysinfo, "sysinfo"),
    (libc::SYS_getrusage, "process times"),
    (libc::SYS_times, "process times"),
    (libc::SYS_getrandom, "randomness"),
    (libc::SYS_clock_gettime, "time"),
    (libc::SYS_clock_getres, "time"),
    (libc::SYS_clock_nanosleep, "sleeps"),
    (libc::SYS_nanosleep, "sleeps"),
    (libc::SYS_gettimeofday, "time"),
    (libc::SYS_time, "time"),
    (libc::SYS_getrlimit, "limits"),
    (libc::SYS_prlimit64, "limits"),
    // Waiting for descriptors.
    (libc::SYS_poll, "host stdio, control socket"),
    (libc::SYS_ppoll, "host stdio"),
    (libc::SYS_select, "host stdio"),
    (libc::SYS_pselect6, "host stdio"),
    (libc::SYS_epoll_create1, "event loops"),
    (libc::SYS_epoll_ctl, "event loops"),
    (libc::SYS_epoll_wait, "event loops"),
    (libc::SYS_epoll_pwait, "event loops"),
    (libc::SYS_eventfd2, "wake-ups"),
    (libc::SYS_timerfd_create, "timers"),
    (libc::SYS_timerfd_settime, "timers"),
    (libc::SYS_timerfd_gettime, "timers"),
    // Sockets: the control socket, console sockets, host network mode.
    (libc::SYS_socket, "control and console sockets; --network=host"),
    (libc::SYS_socketpair, "unix socket pairs"),
    (libc::SYS_bind, "control socket"),
    (libc::SYS_listen, "control socket"),
    (libc::SYS_accept, "control socket"),
    (libc::SYS_accept4, "control socket"),
    (libc::SYS_connect, "console socket"),
    (libc::SYS_sendmsg, "SCM_RIGHTS"),
    (libc::SYS_recvmsg, "SCM_RIGHTS"),
    (libc::SYS_sendto, "sockets"),
    (libc::SYS_recvfrom, "sockets"),
    (libc::SYS_sendmmsg, "sockets"),
    (libc::SYS_recvmmsg, "sockets"),
    (libc::SYS_shutdown, "sockets"),
    (libc::SYS_getsockopt, "sockets"),
    (libc::SYS_setsockopt, "sockets"),
    (libc::SYS_getsockname, "sockets"),
    (libc::SYS_getpeername, "sockets"),
];

/// The ptrace requests of the ptrace platform (platform/ptrace).
const PTRACE_REQUESTS: &[u32] = &[
    libc::PTRACE_SEIZE,
    libc::PTRACE_INTERRUPT,
    libc::PTRACE_CONT,
    libc::PTRACE_SYSEMU,
    libc::PTRACE_DETACH,
    libc::PTRACE_GETREGS,
    libc::PTRACE_SETREGS,
    libc::PTRACE_GETREGSET,
    libc::PTRACE_SETREGSET,
    libc::PTRACE_GETSIGINFO,
    0x420e, // PTRACE_GET_SYSCALL_INFO
];

/// The ioctl commands the sentry issues on host descriptors.
const IOCTLS: &[libc::Ioctl] = &[
    // Host terminals: the console, the caller's stdio, `-t` raw mode, host
    // ptys of `run -t`/`exec -t` and console sockets.
    libc::TCGETS,
    libc::TCSETS,
    libc::TCSETSW,
    libc::TCSETSF,
    libc::TCGETS2,
    libc::TCSETS2,
    libc::TCSETSW2,
    libc::TCSETSF2,
    libc::TIOCGWINSZ,
    libc::TIOCSWINSZ,
    libc::TIOCOUTQ,
    libc::TCFLSH,
    libc::TCXONC,
    libc::TCSBRK,
    libc::TCSBRKP,
    // openpty (host ptys).
    libc::TIOCGPTN,
    libc::TIOCSPTLCK,
    libc::TIOCGPTPEER,
    // Descriptors (the standard library's non-blocking and close-on-exec).
    libc::FIONREAD,
    libc::FIONBIO,
    libc::FIOCLEX,
    libc::FIONCLEX,
    // Interfaces of the host, for --network=host.
    libc::SIOCGIFCONF,
    libc::SIOCGIFADDR,
    libc::SIOCGIFNETMASK,
    libc::SIOCGIFBRDADDR,
    libc::SIOCGIFDSTADDR,
    libc::SIOCGIFFLAGS,
    libc::SIOCGIFINDEX,
    libc::SIOCGIFNAME,
    libc::SIOCGIFMTU,
    libc::SIOCGIFHWADDR,
    libc::SIOCGIFMETRIC,
    libc::SIOCGIFTXQLEN,
];

/// Socket domains: unix sockets (control, console sockets) and, for
/// --network=host, the host's IP sockets.
const SOCKET_DOMAINS: &[i32] = &[libc::AF_UNIX, libc::AF_INET, libc::AF_INET6];

/// prctl options: stubs' parent-death signal, thread names, the C
/// library's naming of anonymous memory, and the TSC and speculation
/// controls the sentry injects into stub threads for the application
/// (syscalls/sys_prctl.rs; they only ever restrict the thread).
const PRCTL_OPTIONS: &[i32] = &[
    libc::PR_SET_PDEATHSIG,
    libc::PR_SET_NAME,
    libc::PR_GET_NAME,
    0x5356_4d41,
    libc::PR_GET_TSC,
    libc::PR_SET_TSC,
    libc::PR_GET_SPECULATION_CTRL,
    libc::PR_SET_SPECULATION_CTRL,
];

/// clone flags that make namespaces: never the sentry's business.
const CLONE_NAMESPACES: u64 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWCGROUP
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET) as u64;

fn cond(arg: u8, len: SeccompCmpArgLen, op: SeccompCmpOp, value: u64) -> Result<SeccompRule, SeccompError> {
    let c = SeccompCondition::new(arg, len, op, value).map_err(|e| SeccompError::Build(e.to_string()))?;
    SeccompRule::new(vec![c]).map_err(|e| SeccompError::Build(e.to_string()))
}

/// One rule per allowed value of argument `arg` (any of them matches).
fn one_of(arg: u8, len: SeccompCmpArgLen, values: impl Iterator<Item = u64>) -> Result<Vec<SeccompRule>, SeccompError> {
    values.map(|v| cond(arg, len.clone(), SeccompCmpOp::Eq, v)).collect()
}

/// The allow list with the pinned arguments: calls whose rules are empty
/// are allowed with any arguments.
fn rules() -> Result<BTreeMap<i64, Vec<SeccompRule>>, SeccompError> {
    use SeccompCmpArgLen::{Dword, Qword};
    let mut map: BTreeMap<i64, Vec<SeccompRule>> = ALLOWED.iter().map(|&(nr, _)| (nr, vec![])).collect();
    map.insert(libc::SYS_ptrace, one_of(0, Qword, PTRACE_REQUESTS.iter().map(|&r| r as u64))?);
    // The kernel reads an ioctl command as 32 bits.
    map.insert(libc::SYS_ioctl, one_of(1, Dword, IOCTLS.iter().map(|&r| r as u32 as u64))?);
    map.insert(libc::SYS_socket, one_of(0, Dword, SOCKET_DOMAINS.iter().map(|&d| d as u64))?);
    map.insert(libc::SYS_socketpair, one_of(0, Dword, [libc::AF_UNIX as u64].into_iter())?);
    map.insert(libc::SYS_prctl, one_of(0, Dword, PRCTL_OPTIONS.iter().map(|&o| o as u64))?);
    map.insert(libc::SYS_clone, vec![cond(0, Qword, SeccompCmpOp::MaskedEq(CLONE_NAMESPACES), 0)?]);
    Ok(map)
}

/// Debug builds: tries the forbidden variant `HUSK_SECCOMP_SELFTEST` names
/// (after saying so on stderr); the filter should end the process. The
/// variant `allowed` makes an allowed call, which must go through.
#[cfg(debug_assertions)]
fn self_test() {
    let Some(variant) = std::env::var_os("HUSK_SECCOMP_SELFTEST") else { return };
    let variant = variant.to_string_lossy().into_owned();
    eprintln!("husk: seccomp self-test: trying {variant}");
    // SAFETY: raw system calls with scalar arguments or pointers to our
    // locals; a clone that got through exits at once in the child. Targets
    // are invalid (pid -1, fd -1), so a call that got through does nothing.
    let r = unsafe {
        match variant.as_str() {
            "ptrace-attach" => libc::syscall(libc::SYS_ptrace, libc::PTRACE_ATTACH as u64, -1i64, 0u64, 0u64),
            "ptrace-poke" => libc::syscall(libc::SYS_ptrace, libc::PTRACE_POKEDATA as u64, -1i64, 0u64, 0u64),
            "ioctl-tiocsti" => {
                let c = b'x';
                libc::syscall(libc::SYS_ioctl, -1i64, libc::TIOCSTI, &c as *const u8 as u64)
            }
            "socket-packet" => libc::syscall(libc::SYS_socket, libc::AF_PACKET as u64, libc::SOCK_RAW as u64, 0u64),
            "socketpair-inet" => {
                let mut fds = [0i32; 2];
                libc::syscall(
                    libc::SYS_socketpair,
                    libc::AF_INET as u64,
                    libc::SOCK_STREAM as u64,
                    0u64,
                    fds.as_mut_ptr(),
                )
            }
            "prctl-dumpable" => libc::syscall(libc::SYS_prctl, libc::PR_SET_DUMPABLE as u64, 1u64),
            "clone-newuser" => {
                let pid =
                    libc::syscall(libc::SYS_clone, (libc::CLONE_NEWUSER | libc::SIGCHLD) as u64, 0u64, 0u64, 0u64);
                if pid == 0 {
                    libc::syscall(libc::SYS_exit, 0u64);
                }
                pid
            }
            "execve" => libc::syscall(libc::SYS_execve, c"/bin/true".as_ptr(), 0u64, 0u64),
            "allowed" => {
                let fd = libc::syscall(libc::SYS_socket, libc::AF_UNIX as u64, libc::SOCK_STREAM as u64, 0u64);
                if fd >= 0 {
                    libc::close(fd as i32);
                }
                fd
            }
            _ => {
                eprintln!("husk: seccomp self-test: unknown variant {variant}");
                return;
            }
        }
    };
    eprintln!("husk: seccomp self-test: {variant} went through (returned {r})");
}

/// Where the SIGSYS handler reports (a descriptor; stderr by default).
static REPORT_FD: AtomicI32 = AtomicI32::new(2);

/// Exit status of a sandbox whose sentry broke its own filter.
const SECCOMP_VIOLATION_EXIT: i32 = 159;

extern "C" fn on_sigsys(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // Async-signal-safe only: format into a stack buffer, raw write, exit.
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers; for
    // SIGSYS from seccomp, `si_syscall` is the int after the call address.
    let nr = unsafe {
        let p = (info as *const u8).add(16 + 8) as *const i32;
        *p
    };
    let mut buf = [0u8; 128];
    let head = b"husk: seccomp: the sentry made a system call its filter forbids: ";
    let mut n = head.len();
    buf[..n].copy_from_slice(head);
    let mut digits = [0u8; 12];
    let mut d = 0;
    let mut v = nr.unsigned_abs();
    loop {
        digits[d] = b'0' + (v % 10) as u8;
        d += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    while d > 0 {
        d -= 1;
        buf[n] = digits[d];
        n += 1;
    }
    buf[n] = b'\n';
    n += 1;
    // SAFETY: raw write of our stack buffer, then the end of the process.
    unsafe {
        libc::syscall(libc::SYS_write, REPORT_FD.load(Ordering::Relaxed), buf.as_ptr(), n);
        libc::syscall(libc::SYS_exit_group, SECCOMP_VIOLATION_EXIT);
    }
}

/// Errors of installing the filter.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("building the filter: {0}")]
    Build(String),
    #[error("installing the filter: {0}")]
    Install(String),
}

fn build(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    mismatch: SeccompAction,
    matched: SeccompAction,
) -> Result<BpfProgram, SeccompError> {
    let f = SeccompFilter::new(rules, mismatch, matched, TargetArch::x86_64)
        .map_err(|e| SeccompError::Build(e.to_string()))?;
    f.try_into().map_err(|e: seccompiler::BackendError| SeccompError::Build(e.to_string()))
}

/// Installs the filter on every thread of this process. `report_fd`
/// receives the message if the sentry ever breaks it.
pub fn install_with_report(report_fd: Option<i32>) -> Result<(), SeccompError> {
    if let Some(fd) = report_fd {
        REPORT_FD.store(fd, Ordering::Relaxed);
    }
    // SAFETY: installs a handler that only makes raw syscalls.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigsys as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut sa.sa_mask);
        if libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut()) != 0 {
            return Err(SeccompError::Install(std::io::Error::last_os_error().to_string()));
        }
    }
    let clone3: BTreeMap<i64, Vec<SeccompRule>> = [(libc::SYS_clone3, vec![])].into_iter().collect();
    let no_clone3 = build(clone3, SeccompAction::Allow, SeccompAction::Errno(libc::ENOSYS as u32))?;
    let allowed = rules()?;
    // HUSK_SECCOMP_LOG=1 (debugging): log what the filter would forbid in
    // the kernel's audit log instead of stopping the sandbox.
    let mismatch = if std::env::var_os("HUSK_SECCOMP_LOG").is_some_and(|v| v == "1") {
        tracing::warn!("seccomp filter in log mode (HUSK_SECCOMP_LOG=1): nothing is forbidden");
        SeccompAction::Log
    } else {
        SeccompAction::Trap
    };
    let allow_list = build(allowed, mismatch, SeccompAction::Allow)?;
    // The allow list forbids seccomp(2) itself: it goes last.
    for prog in [&no_clone3, &allow_list] {
        seccompiler::apply_filter_all_threads(prog).map_err(|e| SeccompError::Install(e.to_string()))?;
    }
    tracing::info!("seccomp filter installed: {} system calls allowed", ALLOWED.len());
    #[cfg(debug_assertions)]
    self_test();
    Ok(())
}

/// Installs the filter, reporting violations on stderr.
pub fn install() -> Result<(), SeccompError> {
    install_with_report(None)
}

/// Says loudly that the sentry runs without its filter.
pub fn warn_disabled() {
    let msg = "husk: WARNING: the sentry's seccomp filter is DISABLED (--no-seccomp): a sandbox escape into the sentry would have the host's full system call interface";
    eprintln!("{msg}");
    tracing::warn!("{msg}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_has_no_duplicates_and_builds() {
        let mut seen = std::collections::BTreeSet::new();
        for (nr, _) in ALLOWED {
            assert!(seen.insert(*nr), "syscall {nr} listed twice");
        }
        build(rules().unwrap(), SeccompAction::Trap, SeccompAction::Allow).unwrap();
    }

    #[test]
    fn dangerous_calls_are_not_allowed() {
        for nr in [
            libc::SYS_execve,
            libc::SYS_execveat,
            libc::SYS_mount,
            libc::SYS_chroot,
            libc::SYS_setns,
            libc::SYS_unshare,
            libc::SYS_init_module,
            libc::SYS_bpf,
            libc::SYS_open_by_handle_at,
        ] {
            assert!(!ALLOWED.iter().any(|(n, _)| *n == nr), "{nr} must not be allowed");
        }
    }
}
