//! Which syscalls the sentry serves, and how well. Names come from the ABI
//! table (`abi.rs`); this table adds the handler, the support level and a
//! note where support is partial. Anything not listed returns ENOSYS.

use std::sync::OnceLock;

use super::sys_ptrace as pt;
use super::{sys_msg as net_msg, sys_socket as net};

use super::sys_kcmp as kc;
use super::sys_mqueue as pmq;
use super::sys_msgq as mq;
use super::sys_numa as numa;
use super::{
    abi, sys_attr as at, sys_clone as c, sys_event as ev, sys_fd as d, sys_file as f, sys_futex as x, sys_ident as id,
    sys_info as i, sys_inotify as ino, sys_link as k, sys_lock as lk, sys_mm as m, sys_mount as mt, sys_ns as ns,
    sys_path as n, sys_pidfd as pf, sys_poll as q, sys_proc as p, sys_sched_attr as sa, sys_seccomp as sc,
    sys_signal as s, sys_sleep as z, sys_splice as sp, sys_sysv as sv, sys_timer as tm, sys_xattr as xa, Handler,
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
    /// Read by the console's syscall report (issue 7) and the table test.
    #[allow(dead_code)]
    pub support: Support,
}

const fn full(nr: i64, handler: Handler) -> Entry {
    Entry { nr, handler, support: Support::Full }
}

const fn partial(nr: i64, handler: Handler, note: &'static str) -> Entry {
    Entry { nr, handler, support: Support::Partial(note) }
}

use libc as l;

/// What semop and semtimedop do differently from Linux.
const SEMOP_NOTE: &str = "woken sleepers retry in no fixed order (Linux serves them in arrival order); \
     CLONE_SYSVSEM is not honoured: each process has its own SEM_UNDO record";

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
    partial(l::SYS_preadv2, f::preadv2, RWV2_NOTE),
    partial(l::SYS_pwritev2, f::pwritev2, RWV2_NOTE),
    full(l::SYS_open, n::open),
    full(l::SYS_openat, n::openat),
    partial(l::SYS_openat2, n::openat2, "RESOLVE_CACHED is EAGAIN (no lookup cache)"),
    full(l::SYS_creat, n::creat),
    full(l::SYS_close, d::close),
    partial(l::SYS_close_range, d::close_range, "CLOSE_RANGE_UNSHARE of a table shared with another process is EINVAL"),
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
    full(l::SYS_getdents, d::getdents),
    partial(
        l::SYS_ioctl,
        d::ioctl,
        "TCGETS, TIOCGWINSZ and FIONREAD on the caller's stdio; FIONBIO, FIOCLEX, FIONCLEX everywhere; \
         FS_IOC_[GS]ETFLAGS and FS_IOC_FS[GS]ETXATTR on in-memory files (ENOTTY on host files); \
         FIONREAD of files, FIGETBSZ, FIOQSIZE; FICLONE/FICLONERANGE/FIDEDUPERANGE/FIEMAP/FIFREEZE \
         are EOPNOTSUPP after Linux's checks (no reflinks)",
    ),
    partial(
        l::SYS_fcntl,
        d::fcntl,
        "O_ASYNC signals for pipes/FIFOs, sandbox sockets, ptys and inotify, not for host descriptors \
         (host-network sockets, imported stdio) or the console; no SIGURG (no MSG_OOB); leases are EAGAIN",
    ),
    full(l::SYS_pipe, d::pipe),
    partial(l::SYS_pipe2, d::pipe2, "O_NOTIFICATION_PIPE (watch queues) is EINVAL"),
    full(l::SYS_dup, d::dup),
    full(l::SYS_dup2, d::dup2),
    full(l::SYS_dup3, d::dup3),
    full(l::SYS_mkdir, k::mkdir),
    full(l::SYS_mkdirat, k::mkdirat),
    partial(l::SYS_mknod, k::mknod, "device nodes open only the sentry's devices; other numbers ENXIO"),
    partial(l::SYS_mknodat, k::mknodat, "device nodes open only the sentry's devices; other numbers ENXIO"),
    full(l::SYS_unlink, k::unlink),
    full(l::SYS_unlinkat, k::unlinkat),
    full(l::SYS_rmdir, k::rmdir),
    full(l::SYS_symlink, k::symlink),
    full(l::SYS_symlinkat, k::symlinkat),
    full(l::SYS_link, k::link),
    full(l::SYS_linkat, k::linkat),
    full(l::SYS_ftruncate, f::ftruncate),
    full(l::SYS_truncate, n::truncate),
    full(l::SYS_fallocate, f::fallocate),
    full(l::SYS_fadvise64, f::fadvise64),
    full(l::SYS_sync_file_range, f::sync_file_range),
    full(l::SYS_readahead, f::readahead),
    full(l::SYS_fsync, f::fsync),
    full(l::SYS_sync, f::sync),
    full(l::SYS_syncfs, f::syncfs),
    full(l::SYS_statfs, n::statfs),
    full(l::SYS_fstatfs, n::fstatfs),
    full(l::SYS_chroot, n::chroot),
    full(l::SYS_chmod, at::chmod),
    full(l::SYS_fchmod, at::fchmod),
    full(l::SYS_fchmodat, at::fchmodat),
    full(l::SYS_fchmodat2, at::fchmodat2),
    full(l::SYS_chown, at::chown),
    full(l::SYS_lchown, at::lchown),
    full(l::SYS_fchown, at::fchown),
    full(l::SYS_fchownat, at::fchownat),
    full(l::SYS_utimensat, at::utimensat),
    full(l::SYS_utimes, at::utimes),
    full(l::SYS_futimesat, at::futimesat),
    full(l::SYS_utime, at::utime),
    partial(l::SYS_rename, k::rename, "directories with host (lower) contents give EXDEV, as overlayfs does"),
    partial(l::SYS_renameat, k::renameat, "directories with host (lower) contents give EXDEV, as overlayfs does"),
    partial(l::SYS_renameat2, k::renameat2, "RENAME_WHITEOUT is EPERM; directories with host contents: EXDEV"),
    full(l::SYS_flock, lk::flock),
    partial(l::SYS_getxattr, xa::getxattr, "the sandbox's own attributes; host files show none"),
    partial(l::SYS_lgetxattr, xa::lgetxattr, "the sandbox's own attributes; host files show none"),
    partial(l::SYS_fgetxattr, xa::fgetxattr, "the sandbox's own attributes; host files show none"),
    partial(l::SYS_setxattr, xa::setxattr, "user./trusted. kept by the sandbox; others EOPNOTSUPP"),
    partial(l::SYS_lsetxattr, xa::lsetxattr, "user./trusted. kept by the sandbox; others EOPNOTSUPP"),
    partial(l::SYS_fsetxattr, xa::fsetxattr, "user./trusted. kept by the sandbox; others EOPNOTSUPP"),
    partial(l::SYS_listxattr, xa::listxattr, "attributes are the sandbox's own; host files show none"),
    partial(l::SYS_llistxattr, xa::llistxattr, "attributes are the sandbox's own; host files show none"),
    partial(l::SYS_flistxattr, xa::flistxattr, "attributes are the sandbox's own; host files show none"),
    full(l::SYS_removexattr, xa::removexattr),
    full(l::SYS_lremovexattr, xa::lremovexattr),
    full(l::SYS_fremovexattr, xa::fremovexattr),
    full(l::SYS_sendfile, sp::sendfile),
    partial(l::SYS_vmsplice, sp::vmsplice, "bytes are copied into the pipe, never its pages referenced"),
    partial(l::SYS_splice, sp::splice, "data is copied through the sentry; from a pipe, one read's worth per call"),
    partial(l::SYS_tee, sp::tee, "copies at most what the output pipe holds at once"),
    full(l::SYS_copy_file_range, sp::copy_file_range),
    partial(l::SYS_mount, mt::mount, "tmpfs, proc, devpts, sysfs, bind (MS_REC), remount, MS_MOVE; all private"),
    partial(l::SYS_umount2, mt::umount2, "a mount in use by open files or working directories is not busy"),
    full(l::SYS_fdatasync, f::fsync),
    // Readiness.
    full(l::SYS_poll, q::poll),
    full(l::SYS_ppoll, q::ppoll),
    full(l::SYS_select, q::select),
    full(l::SYS_pselect6, q::pselect6),
    // Event descriptors (kernel/event).
    full(l::SYS_eventfd, ev::eventfd),
    full(l::SYS_eventfd2, ev::eventfd2),
    partial(l::SYS_inotify_init, ino::inotify_init, INOTIFY_NOTE),
    partial(l::SYS_inotify_init1, ino::inotify_init1, INOTIFY_NOTE),
    partial(l::SYS_inotify_add_watch, ino::inotify_add_watch, INOTIFY_NOTE),
    partial(l::SYS_inotify_rm_watch, ino::inotify_rm_watch, INOTIFY_NOTE),
    full(l::SYS_epoll_create, ev::epoll_create),
    full(l::SYS_epoll_create1, ev::epoll_create1),
    partial(l::SYS_epoll_ctl, ev::epoll_ctl, "EPOLLEXCLUSIVE wakes every waiter; ELOOP counts nesting below the target only; EPOLLWAKEUP is ignored"),
    partial(l::SYS_epoll_wait, ev::epoll_wait, "EPOLLET may report extra edges on files whose wake-ups carry no event mask (pipes, FIFOs)"),
    partial(l::SYS_epoll_pwait, ev::epoll_pwait, "EPOLLET may report extra edges on files whose wake-ups carry no event mask (pipes, FIFOs)"),
    partial(l::SYS_epoll_pwait2, ev::epoll_pwait2, "EPOLLET may report extra edges on files whose wake-ups carry no event mask (pipes, FIFOs)"),
    partial(l::SYS_timerfd_create, ev::timerfd_create, "alarm clocks run as CLOCK_REALTIME/CLOCK_BOOTTIME"),
    partial(l::SYS_timerfd_settime, ev::timerfd_settime, "TFD_TIMER_CANCEL_ON_SET never cancels (the sandbox cannot set the clock)"),
    full(l::SYS_timerfd_gettime, ev::timerfd_gettime),
    full(l::SYS_signalfd, ev::signalfd),
    full(l::SYS_signalfd4, ev::signalfd4),
    full(l::SYS_memfd_create, ev::memfd_create),
    // Memory.
    full(l::SYS_mmap, m::mmap),
    full(l::SYS_munmap, m::munmap),
    full(l::SYS_mprotect, m::mprotect),
    partial(l::SYS_mremap, m::mremap, "MREMAP_DONTUNMAP and old_size 0 are EINVAL"),
    full(l::SYS_remap_file_pages, m::remap_file_pages),
    full(l::SYS_brk, m::brk),
    partial(l::SYS_madvise, m::madvise, "advice that needs privileges (HWPOISON...) is EINVAL"),
    full(l::SYS_msync, m::msync),
    partial(l::SYS_mincore, m::mincore, "file pages count as resident only once this process has touched them"),
    full(l::SYS_mlock, m::mlock),
    full(l::SYS_mlock2, m::mlock2),
    full(l::SYS_munlock, m::munlock),
    full(l::SYS_mlockall, m::mlockall),
    full(l::SYS_munlockall, m::munlockall),
    partial(l::SYS_get_mempolicy, numa::get_mempolicy, "one memory node (0): every page is on it"),
    partial(l::SYS_set_mempolicy, numa::set_mempolicy, "one memory node (0): the policy is checked and kept, pages stay on node 0"),
    partial(l::SYS_mbind, numa::mbind, "one memory node (0): the policy is checked and kept per range, nothing moves"),
    partial(l::SYS_membarrier, m::membarrier, "no rseq commands (as without CONFIG_RSEQ); GLOBAL_EXPEDITED is the slower global barrier"),
    // System V IPC.
    partial(l::SYS_shmget, sv::shmget, "SHM_HUGETLB is ENOMEM (no huge pages)"),
    full(l::SYS_shmat, sv::shmat),
    full(l::SYS_shmdt, sv::shmdt),
    partial(l::SYS_shmctl, sv::shmctl, "SHM_LOCK/SHM_UNLOCK only set the flag (the sentry never swaps)"),
    full(l::SYS_semget, sv::semget),
    partial(l::SYS_semop, sv::semop, SEMOP_NOTE),
    partial(l::SYS_semtimedop, sv::semtimedop, SEMOP_NOTE),
    full(l::SYS_semctl, sv::semctl),
    full(l::SYS_msgget, mq::msgget),
    partial(l::SYS_msgsnd, mq::msgsnd, "senders waiting for room retry in no fixed order (Linux wakes them in arrival order)"),
    full(l::SYS_msgrcv, mq::msgrcv),
    full(l::SYS_msgctl, mq::msgctl),
    // POSIX message queues.
    full(l::SYS_mq_open, pmq::mq_open),
    full(l::SYS_mq_unlink, pmq::mq_unlink),
    full(l::SYS_mq_timedsend, pmq::mq_timedsend),
    full(l::SYS_mq_timedreceive, pmq::mq_timedreceive),
    partial(l::SYS_mq_notify, pmq::mq_notify, "a notification goes at the last close of the owner's opening, not at each close by the owner; the owner's exec does not cancel it"),
    full(l::SYS_mq_getsetattr, pmq::mq_getsetattr),
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
    full(l::SYS_execve, p::execve),
    partial(l::SYS_execveat, p::execveat, "a script run from a descriptor gets its path, not /dev/fd/N"),
    full(l::SYS_fork, c::fork),
    full(l::SYS_vfork, c::vfork),
    partial(
        l::SYS_clone,
        c::clone,
        "CLONE_NEWPID, NEWUTS, NEWIPC (an IPC namespace holds nothing: no SysV IPC or mqueues), NEWNS and \
         NEWNET (a loopback-only network, even with --network=host) and NEWUSER are served; CLONE_NEWCGROUP \
         is EINVAL; CLONE_PIDFD gives process pidfds (with \
         CLONE_THREAD: EINVAL, Linux 6.9 gives a thread pidfd)",
    ),
    partial(
        l::SYS_clone3,
        c::clone3,
        "namespaces and pidfds as clone; set_tid and cgroups are EINVAL",
    ),
    partial(
        l::SYS_unshare,
        ns::unshare,
        "CLONE_NEWPID, NEWUTS, NEWIPC, NEWNS, NEWNET and NEWUSER are served; NEWCGROUP and NEWTIME are \
         EINVAL, and so is unsharing a descriptor table or fs context (also implied by NEWNS) that another \
         process or thread shares",
    ),
    partial(
        l::SYS_setns,
        ns::setns,
        "PID, UTS, IPC, mount, user and network namespace files (the ones /proc hands out, or bind mounts \
         of them, as `ip netns add` makes); pidfds are EINVAL",
    ),
    full(l::SYS_wait4, c::wait4),
    full(l::SYS_waitid, c::waitid),
    full(l::SYS_pidfd_open, pf::pidfd_open),
    full(l::SYS_pidfd_getfd, pf::pidfd_getfd),
    full(l::SYS_pidfd_send_signal, pf::pidfd_send_signal),
    // Tracing (kernel/ptrace/).
    partial(l::SYS_ptrace, pt::ptrace, PTRACE_NOTE),
    full(l::SYS_process_vm_readv, pt::process_vm_readv),
    full(l::SYS_process_vm_writev, pt::process_vm_writev),
    partial(
        l::SYS_kcmp,
        kc::kcmp,
        "KCMP_IO is always equal (no task has a block I/O context); processes never share \
         SEM_UNDO records (CLONE_SYSVSEM), so KCMP_SYSVSEM is equal only for a process with itself \
         or two that never used SEM_UNDO",
    ),
    // Threads.
    partial(l::SYS_futex, x::futex, "WAKE_OP's update is not atomic against running threads; PI ops are ENOSYS"),
    partial(l::SYS_futex_waitv, x::futex_waitv, "FUTEX2_NUMA and FUTEX2_MPOL futexes are EINVAL"),
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
    // -- Timers and process times (sys_timer.rs, kernel/timer.rs). --
    full(l::SYS_alarm, tm::alarm),
    partial(l::SYS_clock_settime, tm::clock_settime, "the sandbox may not set the host clock: CLOCK_REALTIME is EPERM even for root"),
    partial(l::SYS_settimeofday, tm::settimeofday, "the sandbox may not set the host clock or time zone: EPERM even for root"),
    partial(l::SYS_getitimer, tm::getitimer, CPU_TIME_NOTE),
    partial(l::SYS_setitimer, tm::setitimer, CPU_TIME_NOTE),
    partial(l::SYS_timer_create, tm::timer_create, "alarm clocks are EOPNOTSUPP; CPU-time clocks count only the application's own CPU time, polled every 1 ms or more"),
    partial(l::SYS_timer_settime, tm::timer_settime, "a signal still queued from the previous setting is removed at once (Linux leaves it in sigpending until delivery drops it)"),
    full(l::SYS_timer_gettime, tm::timer_gettime),
    full(l::SYS_timer_getoverrun, tm::timer_getoverrun),
    partial(l::SYS_timer_delete, tm::timer_delete, "a signal still queued is removed at once (Linux leaves it in sigpending until delivery drops it)"),
    partial(l::SYS_times, tm::times, "CPU time is the host's accounting of the stub (sentry work excluded); children's times come from ThreadGroup::child_times"),
    partial(l::SYS_getrusage, tm::getrusage, "times, maxrss and page faults from the host's accounting of the stub (sentry work excluded); RUSAGE_CHILDREN has times and maxrss; other fields are 0"),
    // -- Identity and scheduling attributes (sys_ident.rs). --
    full(l::SYS_getpgid, id::getpgid),
    full(l::SYS_setpgid, id::setpgid),
    full(l::SYS_getpgrp, id::getpgrp),
    full(l::SYS_getsid, id::getsid),
    full(l::SYS_setsid, id::setsid),
    full(l::SYS_setuid, id::setuid),
    full(l::SYS_setgid, id::setgid),
    full(l::SYS_setreuid, id::setreuid),
    full(l::SYS_setregid, id::setregid),
    full(l::SYS_setresuid, id::setresuid),
    full(l::SYS_setresgid, id::setresgid),
    full(l::SYS_setfsuid, id::setfsuid),
    full(l::SYS_setfsgid, id::setfsgid),
    full(l::SYS_setgroups, id::setgroups),
    partial(l::SYS_capget, id::capget, "no ambient set; root starts with every capability, other users with none"),
    partial(l::SYS_capset, id::capset, "capabilities gate only the id, scheduling, prlimit, namespace and hostname calls; elsewhere euid 0 \
         (root of the caller's user namespace, over what that namespace owns) has them all"),
    partial(
        l::SYS_seccomp,
        sc::seccomp,
        "filters run in the sentry at syscall entry; SECCOMP_FILTER_FLAG_NEW_LISTENER (user notification) is EINVAL and \
         RET_USER_NOTIF acts as with nothing attached (ENOSYS); RET_TRACE stops for a tracer with \
         PTRACE_O_TRACESECCOMP (kernel/ptrace/), else ENOSYS; RET_LOG logs nothing",
    ),
    partial(l::SYS_prctl, id::prctl, "PDEATHSIG, DUMPABLE, KEEPCAPS, NAME, GET/SET_SECCOMP, TIMERSLACK, CAPBSET_READ/DROP, GET_SECUREBITS, CHILD_SUBREAPER, NO_NEW_PRIVS, GET/SET_THP_DISABLE, GET_TID_ADDRESS, MCE_KILL(_GET), GET/SET_TSC and GET/SET_SPECULATION_CTRL (on the host thread), CAP_AMBIENT, GET_AUXV, SET_MM (layout, brk, AUXV; not EXE_FILE, MAP), GET/SET_MDWE, GET/SET_MEMORY_MERGE (kept; nothing merges, as with ksmd off); other options (SET_SECUREBITS...) are EINVAL"),
    partial(l::SYS_sched_setaffinity, id::sched_setaffinity, "the task runs on one CPU of the mask, chosen by the sentry"),
    partial(l::SYS_syslog, i::syslog, "the kernel log is empty"),
    partial(l::SYS_ioprio_get, id::ioprio_get, "priorities are recorded, not applied to host I/O"),
    partial(l::SYS_ioprio_set, id::ioprio_set, "priorities are recorded, not applied to host I/O"),
    full(l::SYS_sched_getaffinity, id::sched_getaffinity),
    full(l::SYS_sched_getparam, id::sched_getparam),
    full(l::SYS_sched_rr_get_interval, id::sched_rr_get_interval),
    full(l::SYS_sched_setparam, id::sched_setparam),
    full(l::SYS_sched_getscheduler, id::sched_getscheduler),
    partial(l::SYS_sched_setattr, sa::sched_setattr, "SCHED_FIFO/RR/DEADLINE are EPERM even for root; utilization clamps are EOPNOTSUPP"),
    partial(l::SYS_sched_getattr, sa::sched_getattr, "no utilization clamps: sched_util_min and _max read 0"),
    partial(l::SYS_sched_setscheduler, id::sched_setscheduler, "SCHED_FIFO/SCHED_RR are EPERM even for root; SCHED_BATCH/SCHED_IDLE are recorded, not applied"),
    full(l::SYS_sched_get_priority_max, id::sched_get_priority_max),
    full(l::SYS_sched_get_priority_min, id::sched_get_priority_min),
    full(l::SYS_getpriority, id::getpriority),
    partial(l::SYS_setpriority, id::setpriority, "nice values are recorded and reported; the host does not schedule by them"),
    // Information.
    full(l::SYS_uname, i::uname),
    full(l::SYS_personality, i::personality),
    full(l::SYS_sethostname, i::sethostname),
    full(l::SYS_setdomainname, i::setdomainname),
    full(l::SYS_getrandom, i::getrandom),
    full(l::SYS_clock_gettime, i::clock_gettime),
    full(l::SYS_clock_getres, i::clock_getres),
    full(l::SYS_gettimeofday, i::gettimeofday),
    full(l::SYS_time, i::time),
    full(l::SYS_sysinfo, i::sysinfo),
    full(l::SYS_sched_yield, i::sched_yield),
    full(l::SYS_getcpu, i::getcpu),
    // Sockets (netstack).
    full(l::SYS_socket, net::socket),
    partial(l::SYS_socketpair, net::socketpair, "AF_UNIX only, as Linux; other families EOPNOTSUPP"),
    full(l::SYS_bind, net::bind),
    full(l::SYS_listen, net::listen),
    full(l::SYS_accept, net::accept),
    full(l::SYS_accept4, net::accept4),
    full(l::SYS_connect, net::connect),
    full(l::SYS_shutdown, net::shutdown),
    full(l::SYS_getsockname, net::getsockname),
    full(l::SYS_getpeername, net::getpeername),
    partial(l::SYS_setsockopt, net::setsockopt, "unknown IP/TCP/UDP options are stored and read back without effect"),
    partial(l::SYS_getsockopt, net::getsockopt, "TCP_INFO reports only the state"),
    partial(l::SYS_sendto, net_msg::sendto, "MSG_OOB is EOPNOTSUPP"),
    partial(l::SYS_recvfrom, net_msg::recvfrom, "MSG_OOB is EINVAL"),
    partial(l::SYS_sendmsg, net_msg::sendmsg, "SOL_SOCKET control messages other than SCM_RIGHTS/SCM_CREDENTIALS are EINVAL; IP-level ones ignored"),
    partial(l::SYS_recvmsg, net_msg::recvmsg, "control messages: SCM_RIGHTS and SCM_CREDENTIALS only"),
    full(l::SYS_sendmmsg, net_msg::sendmmsg),
    partial(l::SYS_recvmmsg, net_msg::recvmmsg, "the timeout is checked between messages only"),
];

/// Where preadv2/pwritev2's flags differ from Linux's.
const RWV2_NOTE: &str = "RWF_NOWAIT is served by streams and devices, EOPNOTSUPP on every file (as tmpfs; Linux \
     serves buffered reads of disk file systems); RWF_ATOMIC and RWF_DONTCACHE are EOPNOTSUPP; files Linux serves \
     without read_iter (some /proc files) accept every flag here";

/// The note of the interval timer calls.
/// Where inotify differs from Linux (kernel/vfs/notify.rs).
const INOTIFY_NOTE: &str = "events about names reach a directory's watches by its path, so a directory entered by \
     another path (a second bind mount) is not heard; IN_DELETE_SELF comes at the last unlink, not the last close; \
     no IN_UNMOUNT; max_user_watches is per instance and max_user_instances per sandbox";

const CPU_TIME_NOTE: &str =
    "ITIMER_VIRTUAL/ITIMER_PROF count only the application's own CPU time (not the sentry's), polled every >= 1 ms";

/// What ptrace does differently from Linux (kernel/ptrace/).
const PTRACE_NOTE: &str = "the tracer is a process, not a thread (any thread of it may make requests; tracees are \
     detached when the process exits); hardware debug registers cannot be set (EIO); \
     PEEKSIGINFO, ARCH_PRCTL and SYSEMU are EIO";

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
            assert!(abi::name(e.nr as u64).is_some(), "syscall {} has no name", e.nr);
            if let Support::Partial(note) = e.support {
                assert!(!note.is_empty());
            }
        }
    }
}
