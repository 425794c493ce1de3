//! The x86_64 Linux system call ABI: one declarative table from syscall
//! number to strace name, argument kinds and result kind.
//!
//! The table says only what each register means, never how a call is served:
//! strace lines, the dispatcher's unknown-syscall report and the console all
//! read names from here. Numbers run from 0 (`read`) to [`MAX_NR`] (`mseal`);
//! numbers the kernel never assigned (335..=423) have no entry.
//!
//! Argument kinds are listed in register order (`rdi`, `rsi`, `rdx`, `r10`,
//! `r8`, `r9`). A kind that needs another argument to print (a buffer
//! length, the flags that decide whether a mode is present) names that
//! argument by its index.

/// How one syscall argument is printed.
///
/// Kinds ending in `Out` (and `BufOut`, `CStrOut`, `IovecOut`, `Stat`, ...)
/// point at memory the kernel fills: they are decoded only after a
/// successful call and print as a bare pointer otherwise.
// `IoctlArg`/`FcntlArg` are the ioctl and fcntl argument, as the man pages name them.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A C `int`: the low 32 bits, signed decimal.
    Int,
    /// A C `long` or `off_t`: signed decimal.
    Long,
    /// An unsigned count or size: unsigned decimal.
    UInt,
    /// A number best read in hex (flags without names, keys, cookies).
    Hex,
    /// An address: hex, `NULL` for zero.
    Ptr,
    /// A file descriptor.
    Fd,
    /// A directory file descriptor for `*at` calls: `AT_FDCWD` by name.
    DirFd,
    /// A NUL-terminated path read from the application, printed in full.
    Path,
    /// A NUL-terminated string read from the application, cut at 32 bytes.
    Str,
    /// Bytes the application passes in; the length is the argument at this index.
    BufIn(usize),
    /// Bytes the kernel writes; the length is the return value. The index
    /// names the argument holding the buffer's capacity.
    BufOut(usize),
    /// A NUL-terminated string the kernel writes (getcwd).
    CStrOut,
    /// An array of `struct iovec` read by the kernel; the count is at this index.
    IovecIn(usize),
    /// An array of `struct iovec` the kernel fills; the count is at this index.
    IovecOut(usize),
    /// A NULL-terminated array of strings (`argv`).
    StrVec,
    /// A NULL-terminated array of strings shown only by count (`envp`).
    EnvVec,
    /// `open(2)` flags: access mode plus `O_*` bits.
    OpenFlags,
    /// A file mode present only when the open flags at this index hold
    /// `O_CREAT` or `O_TMPFILE`; otherwise it and later arguments are omitted.
    OpenMode(usize),
    /// `O_CLOEXEC`/`O_NONBLOCK`-style flags with no access mode (pipe2, dup3).
    FdFlags,
    /// A permission mode in octal.
    Mode,
    /// `access(2)` mode: `F_OK` or `R_OK|W_OK|X_OK`.
    AccessMode,
    /// `AT_*` flags.
    AtFlags,
    /// `AT_*` flags of faccessat2, where 0x200 means `AT_EACCESS`.
    AccessAtFlags,
    /// `PROT_*` bits.
    MmapProt,
    /// `MAP_*` type and bits.
    MmapFlags,
    /// `MREMAP_*` bits.
    MremapFlags,
    /// mremap's new address: present only when the flags (index 3) hold `MREMAP_FIXED`.
    MremapAddr,
    /// `MS_*` bits of msync.
    MsyncFlags,
    /// `MADV_*` advice.
    Madvise,
    /// A signal number (`SIGINT`).
    Signal,
    /// A pointer to a signal set the kernel reads.
    SigSet,
    /// A pointer to a signal set the kernel fills.
    SigSetOut,
    /// `SIG_BLOCK`, `SIG_UNBLOCK` or `SIG_SETMASK`.
    SigHow,
    /// A pointer to a kernel `struct sigaction` the kernel reads.
    SigAction,
    /// A pointer to a kernel `struct sigaction` the kernel fills.
    SigActionOut,
    /// lseek's `SEEK_*` whence.
    Whence,
    /// `CLONE_*` bits, with the exit signal in the low byte.
    CloneFlags,
    /// An ioctl request (`TCGETS`).
    Ioctl,
    /// An ioctl argument, decoded by the request at this index.
    IoctlArg(usize),
    /// A fcntl command (`F_SETFD`).
    FcntlCmd,
    /// A fcntl argument, decoded by the command at this index; omitted for
    /// commands that take none.
    FcntlArg(usize),
    /// An arch_prctl code (`ARCH_SET_FS`).
    ArchPrctl,
    /// A futex operation (`FUTEX_WAIT_PRIVATE`).
    FutexOp,
    /// futex's `val` (index 2), decoded by the operation at index 1.
    FutexVal,
    /// futex's timeout or `val2` (index 3), decoded by the operation at index 1.
    FutexTimeout,
    /// futex's `uaddr2` (index 4), decoded by the operation at index 1.
    FutexAddr2,
    /// futex's `val3` (index 5), decoded by the operation at index 1.
    FutexVal3,
    /// A prctl option (`PR_SET_NAME`).
    PrctlOp,
    /// prctl's argument at this position, as the option reads it.
    PrctlArg(usize),
    /// A resource limit number (`RLIMIT_NOFILE`).
    RlimitResource,
    /// A pointer to a `struct rlimit` the kernel reads.
    Rlimit,
    /// A pointer to a `struct rlimit` the kernel fills.
    RlimitOut,
    /// `W*` options of wait4/waitid.
    WaitOptions,
    /// A pointer to a wait status the kernel fills.
    WaitStatus,
    /// A clock id (`CLOCK_MONOTONIC`).
    ClockId,
    /// A pointer to a `struct timespec` the kernel reads.
    Timespec,
    /// A pointer to a `struct timespec` the kernel fills.
    TimespecOut,
    /// A pointer to a `struct timeval` the kernel reads.
    Timeval,
    /// A socket address family (`AF_INET`).
    SockDomain,
    /// A socket type with `SOCK_*` flags.
    SockType,
    /// `SOCK_CLOEXEC`/`SOCK_NONBLOCK` flags (accept4).
    SockFlags,
    /// `MSG_*` flags.
    MsgFlags,
    /// A socket address the kernel reads; its length is at this index.
    Sockaddr(usize),
    /// shutdown's `SHUT_*` direction.
    Shutdown,
    /// `EPOLL_CTL_*` operation.
    EpollCtlOp,
    /// `LOCK_*` operation of flock.
    FlockOp,
    /// `POSIX_FADV_*` advice.
    Fadvise,
    /// `GRND_*` flags.
    GetrandomFlags,
    /// `MFD_*` flags.
    MemfdFlags,
    /// A pointer to a `struct stat` the kernel fills.
    Stat,
    /// A pointer to a `struct utsname` the kernel fills.
    Utsname,
    /// A pointer to `int[2]` the kernel fills (pipe, socketpair).
    PipeFds,
    /// A directory entry buffer the kernel fills (getdents); shown by count.
    Dirents,
    /// A pointer to a `struct open_how` (openat2).
    OpenHow,
}

/// How a syscall's successful result is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// Signed decimal.
    Int,
    /// Hex: an address (mmap, brk).
    Hex,
    /// Octal: a mode (umask).
    Octal,
    /// The call does not return (exit): printed as `?`.
    NoReturn,
}

/// The ABI of one syscall: its strace name and how its arguments print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallAbi {
    /// The name strace prints (`"openat"`).
    pub name: &'static str,
    /// The kinds of the arguments, in register order.
    pub args: &'static [Arg],
    /// How the successful result is printed.
    pub ret: Ret,
}

/// The highest syscall number in the table (`mseal`).
pub const MAX_NR: u64 = 462;

const TABLE_LEN: usize = MAX_NR as usize + 1;

/// Entries indexed by number; built once at compile time.
static TABLE: [Option<SyscallAbi>; TABLE_LEN] = build(table::ENTRIES);

/// Places each entry at its number; a repeated or out-of-range number fails the build.
const fn build(entries: &[(u64, SyscallAbi)]) -> [Option<SyscallAbi>; TABLE_LEN] {
    let mut out = [None; TABLE_LEN];
    let mut i = 0;
    while i < entries.len() {
        let (nr, entry) = entries[i];
        assert!(nr <= MAX_NR, "syscall number out of range");
        assert!(out[nr as usize].is_none(), "syscall number listed twice");
        out[nr as usize] = Some(entry);
        i += 1;
    }
    out
}

/// The ABI of syscall `nr`, or `None` for numbers Linux never assigned.
pub fn abi(nr: u64) -> Option<&'static SyscallAbi> {
    TABLE.get(usize::try_from(nr).ok()?)?.as_ref()
}

/// The strace name of syscall `nr`.
pub fn name(nr: u64) -> Option<&'static str> {
    abi(nr).map(|a| a.name)
}

/// The number of the syscall called `name` (a linear scan: not for hot paths).
pub fn number(name: &str) -> Option<u64> {
    all().find(|(_, a)| a.name == name).map(|(nr, _)| nr)
}

/// Every known syscall with its number, in number order.
pub fn all() -> impl Iterator<Item = (u64, &'static SyscallAbi)> {
    TABLE.iter().enumerate().filter_map(|(nr, a)| a.as_ref().map(|a| (nr as u64, a)))
}

/// Picks the result kind: decimal unless the entry names one.
macro_rules! ret_kind {
    () => {
        Ret::Int
    };
    ($r:ident) => {
        Ret::$r
    };
}

/// Builds the entry list from `nr name(arg kinds) [-> result kind];` lines.
macro_rules! syscalls {
    ($($nr:literal $name:ident($($arg:expr),* $(,)?) $(-> $ret:ident)?;)*) => {
        pub(super) const ENTRIES: &[(u64, SyscallAbi)] = &[
            $(($nr, SyscallAbi {
                name: stringify!($name),
                args: &[$($arg),*],
                ret: ret_kind!($($ret)?),
            }),)*
        ];
    };
}

mod table {
    use super::Arg::*;
    use super::{Ret, SyscallAbi};

    syscalls! {
        0 read(Fd, BufOut(2), UInt);
        1 write(Fd, BufIn(2), UInt);
        2 open(Path, OpenFlags, OpenMode(1));
        3 close(Fd);
        4 stat(Path, Stat);
        5 fstat(Fd, Stat);
        6 lstat(Path, Stat);
        7 poll(Ptr, UInt, Int);
        8 lseek(Fd, Long, Whence);
        9 mmap(Ptr, UInt, MmapProt, MmapFlags, Fd, Hex) -> Hex;
        10 mprotect(Ptr, UInt, MmapProt);
        11 munmap(Ptr, UInt);
        12 brk(Ptr) -> Hex;
        13 rt_sigaction(Signal, SigAction, SigActionOut, UInt);
        14 rt_sigprocmask(SigHow, SigSet, SigSetOut, UInt);
        15 rt_sigreturn();
        16 ioctl(Fd, Ioctl, IoctlArg(1));
        17 pread64(Fd, BufOut(2), UInt, Long);
        18 pwrite64(Fd, BufIn(2), UInt, Long);
        19 readv(Fd, IovecOut(2), Int);
        20 writev(Fd, IovecIn(2), Int);
        21 access(Path, AccessMode);
        22 pipe(PipeFds);
        23 select(Int, Ptr, Ptr, Ptr, Timeval);
        24 sched_yield();
        25 mremap(Ptr, UInt, UInt, MremapFlags, MremapAddr) -> Hex;
        26 msync(Ptr, UInt, MsyncFlags);
        27 mincore(Ptr, UInt, Ptr);
        28 madvise(Ptr, UInt, Madvise);
        29 shmget(Hex, UInt, Hex);
        30 shmat(Int, Ptr, Hex) -> Hex;
        31 shmctl(Int, Int, Ptr);
        32 dup(Fd);
        33 dup2(Fd, Fd);
        34 pause();
        35 nanosleep(Timespec, Ptr);
        36 getitimer(Int, Ptr);
        37 alarm(UInt);
        38 setitimer(Int, Ptr, Ptr);
        39 getpid();
        40 sendfile(Fd, Fd, Ptr, UInt);
        41 socket(SockDomain, SockType, Int);
        42 connect(Fd, Sockaddr(2), UInt);
        43 accept(Fd, Ptr, Ptr);
        44 sendto(Fd, BufIn(2), UInt, MsgFlags, Sockaddr(5), UInt);
        45 recvfrom(Fd, BufOut(2), UInt, MsgFlags, Ptr, Ptr);
        46 sendmsg(Fd, Ptr, MsgFlags);
        47 recvmsg(Fd, Ptr, MsgFlags);
        48 shutdown(Fd, Shutdown);
        49 bind(Fd, Sockaddr(2), UInt);
        50 listen(Fd, Int);
        51 getsockname(Fd, Ptr, Ptr);
        52 getpeername(Fd, Ptr, Ptr);
        53 socketpair(SockDomain, SockType, Int, PipeFds);
        54 setsockopt(Fd, Int, Int, Ptr, UInt);
        55 getsockopt(Fd, Int, Int, Ptr, Ptr);
        56 clone(CloneFlags, Ptr, Ptr, Ptr, Hex);
        57 fork();
        58 vfork();
        59 execve(Path, StrVec, EnvVec);
        60 exit(Int) -> NoReturn;
        61 wait4(Int, WaitStatus, WaitOptions, Ptr);
        62 kill(Int, Signal);
        63 uname(Utsname);
        64 semget(Hex, Int, Hex);
        65 semop(Int, Ptr, UInt);
        66 semctl(Int, Int, Int, Hex);
        67 shmdt(Ptr);
        68 msgget(Hex, Hex);
        69 msgsnd(Int, Ptr, UInt, Hex);
        70 msgrcv(Int, Ptr, UInt, Long, Hex);
        71 msgctl(Int, Int, Ptr);
        72 fcntl(Fd, FcntlCmd, FcntlArg(1));
        73 flock(Fd, FlockOp);
        74 fsync(Fd);
        75 fdatasync(Fd);
        76 truncate(Path, Long);
        77 ftruncate(Fd, Long);
        78 getdents(Fd, Dirents, UInt);
        79 getcwd(CStrOut, UInt);
        80 chdir(Path);
        81 fchdir(Fd);
        82 rename(Path, Path);
        83 mkdir(Path, Mode);
        84 rmdir(Path);
        85 creat(Path, Mode);
        86 link(Path, Path);
        87 unlink(Path);
        88 symlink(Path, Path);
        89 readlink(Path, BufOut(2), UInt);
        90 chmod(Path, Mode);
        91 fchmod(Fd, Mode);
        92 chown(Path, Int, Int);
        93 fchown(Fd, Int, Int);
        94 lchown(Path, Int, Int);
        95 umask(Mode) -> Octal;
        96 gettimeofday(Ptr, Ptr);
        97 getrlimit(RlimitResource, RlimitOut);
        98 getrusage(Int, Ptr);
        99 sysinfo(Ptr);
        100 times(Ptr);
        101 ptrace(Long, Int, Ptr, Ptr);
        102 getuid();
        103 syslog(Int, Ptr, Int);
        104 getgid();
        105 setuid(Int);
        106 setgid(Int);
        107 geteuid();
        108 getegid();
        109 setpgid(Int, Int);
        110 getppid();
        111 getpgrp();
        112 setsid();
        113 setreuid(Int, Int);
        114 setregid(Int, Int);
        115 getgroups(Int, Ptr);
        116 setgroups(Int, Ptr);
        117 setresuid(Int, Int, Int);
        118 getresuid(Ptr, Ptr, Ptr);
        119 setresgid(Int, Int, Int);
        120 getresgid(Ptr, Ptr, Ptr);
        121 getpgid(Int);
        122 setfsuid(Int);
        123 setfsgid(Int);
        124 getsid(Int);
        125 capget(Ptr, Ptr);
        126 capset(Ptr, Ptr);
        127 rt_sigpending(SigSetOut, UInt);
        128 rt_sigtimedwait(SigSet, Ptr, Timespec, UInt);
        129 rt_sigqueueinfo(Int, Signal, Ptr);
        130 rt_sigsuspend(SigSet, UInt);
        131 sigaltstack(Ptr, Ptr);
        132 utime(Path, Ptr);
        133 mknod(Path, Mode, Hex);
        134 uselib(Path);
        135 personality(Hex);
        136 ustat(Hex, Ptr);
        137 statfs(Path, Ptr);
        138 fstatfs(Fd, Ptr);
        139 sysfs(Int, Hex, Hex);
        140 getpriority(Int, Int);
        141 setpriority(Int, Int, Int);
        142 sched_setparam(Int, Ptr);
        143 sched_getparam(Int, Ptr);
        144 sched_setscheduler(Int, Int, Ptr);
        145 sched_getscheduler(Int);
        146 sched_get_priority_max(Int);
        147 sched_get_priority_min(Int);
        148 sched_rr_get_interval(Int, Ptr);
        149 mlock(Ptr, UInt);
        150 munlock(Ptr, UInt);
        151 mlockall(Hex);
        152 munlockall();
        153 vhangup();
        154 modify_ldt(Int, Ptr, UInt);
        155 pivot_root(Path, Path);
        156 _sysctl(Ptr);
        157 prctl(PrctlOp, PrctlArg(1), PrctlArg(2), PrctlArg(3), PrctlArg(4));
        158 arch_prctl(ArchPrctl, Ptr);
        159 adjtimex(Ptr);
        160 setrlimit(RlimitResource, Rlimit);
        161 chroot(Path);
        162 sync();
        163 acct(Path);
        164 settimeofday(Ptr, Ptr);
        165 mount(Path, Path, Str, Hex, Ptr);
        166 umount2(Path, Hex);
        167 swapon(Path, Hex);
        168 swapoff(Path);
        169 reboot(Hex, Hex, Hex, Ptr);
        170 sethostname(BufIn(1), UInt);
        171 setdomainname(BufIn(1), UInt);
        172 iopl(Int);
        173 ioperm(Hex, UInt, Int);
        174 create_module(Str, UInt);
        175 init_module(Ptr, UInt, Str);
        176 delete_module(Str, Hex);
        177 get_kernel_syms(Ptr);
        178 query_module(Str, Int, Ptr, UInt, Ptr);
        179 quotactl(Hex, Path, Int, Ptr);
        180 nfsservctl(Int, Ptr, Ptr);
        181 getpmsg(Hex, Hex, Hex, Hex, Hex);
        182 putpmsg(Hex, Hex, Hex, Hex, Hex);
        183 afs_syscall(Hex, Hex, Hex, Hex, Hex);
        184 tuxcall(Hex, Hex, Hex);
        185 security(Hex, Hex, Hex);
        186 gettid();
        187 readahead(Fd, Long, UInt);
        188 setxattr(Path, Str, BufIn(3), UInt, Hex);
        189 lsetxattr(Path, Str, BufIn(3), UInt, Hex);
        190 fsetxattr(Fd, Str, BufIn(3), UInt, Hex);
        191 getxattr(Path, Str, BufOut(3), UInt);
        192 lgetxattr(Path, Str, BufOut(3), UInt);
        193 fgetxattr(Fd, Str, BufOut(3), UInt);
        194 listxattr(Path, BufOut(2), UInt);
        195 llistxattr(Path, BufOut(2), UInt);
        196 flistxattr(Fd, BufOut(2), UInt);
        197 removexattr(Path, Str);
        198 lremovexattr(Path, Str);
        199 fremovexattr(Fd, Str);
        200 tkill(Int, Signal);
        201 time(Ptr);
        202 futex(Ptr, FutexOp, FutexVal, FutexTimeout, FutexAddr2, FutexVal3);
        203 sched_setaffinity(Int, UInt, Ptr);
        204 sched_getaffinity(Int, UInt, Ptr);
        205 set_thread_area(Ptr);
        206 io_setup(UInt, Ptr);
        207 io_destroy(Hex);
        208 io_getevents(Hex, Long, Long, Ptr, Timespec);
        209 io_submit(Hex, Long, Ptr);
        210 io_cancel(Hex, Ptr, Ptr);
        211 get_thread_area(Ptr);
        212 lookup_dcookie(Hex, Ptr, UInt);
        213 epoll_create(Int);
        214 epoll_ctl_old(Hex, Hex, Hex, Hex);
        215 epoll_wait_old(Hex, Hex, Hex, Hex);
        216 remap_file_pages(Ptr, UInt, Hex, UInt, Hex);
        217 getdents64(Fd, Dirents, UInt);
        218 set_tid_address(Ptr);
        219 restart_syscall();
        220 semtimedop(Int, Ptr, UInt, Timespec);
        221 fadvise64(Fd, Long, Long, Fadvise);
        222 timer_create(ClockId, Ptr, Ptr);
        223 timer_settime(Int, Hex, Ptr, Ptr);
        224 timer_gettime(Int, Ptr);
        225 timer_getoverrun(Int);
        226 timer_delete(Int);
        227 clock_settime(ClockId, Timespec);
        228 clock_gettime(ClockId, TimespecOut);
        229 clock_getres(ClockId, TimespecOut);
        230 clock_nanosleep(ClockId, Hex, Timespec, Ptr);
        231 exit_group(Int) -> NoReturn;
        232 epoll_wait(Fd, Ptr, Int, Int);
        233 epoll_ctl(Fd, EpollCtlOp, Fd, Ptr);
        234 tgkill(Int, Int, Signal);
        235 utimes(Path, Ptr);
        236 vserver(Hex, Hex, Hex, Hex, Hex);
        237 mbind(Ptr, UInt, Int, Ptr, UInt, Hex);
        238 set_mempolicy(Int, Ptr, UInt);
        239 get_mempolicy(Ptr, Ptr, UInt, Ptr, Hex);
        240 mq_open(Str, OpenFlags, OpenMode(1), Ptr);
        241 mq_unlink(Str);
        242 mq_timedsend(Int, BufIn(2), UInt, UInt, Timespec);
        243 mq_timedreceive(Int, BufOut(2), UInt, Ptr, Timespec);
        244 mq_notify(Int, Ptr);
        245 mq_getsetattr(Int, Ptr, Ptr);
        246 kexec_load(Hex, UInt, Ptr, Hex);
        247 waitid(Int, Int, Ptr, WaitOptions, Ptr);
        248 add_key(Str, Str, BufIn(3), UInt, Int);
        249 request_key(Str, Str, Str, Int);
        250 keyctl(Int, Hex, Hex, Hex, Hex);
        251 ioprio_set(Int, Int, Int);
        252 ioprio_get(Int, Int);
        253 inotify_init();
        254 inotify_add_watch(Fd, Path, Hex);
        255 inotify_rm_watch(Fd, Int);
        256 migrate_pages(Int, UInt, Ptr, Ptr);
        257 openat(DirFd, Path, OpenFlags, OpenMode(2));
        258 mkdirat(DirFd, Path, Mode);
        259 mknodat(DirFd, Path, Mode, Hex);
        260 fchownat(DirFd, Path, Int, Int, AtFlags);
        261 futimesat(DirFd, Path, Ptr);
        262 newfstatat(DirFd, Path, Stat, AtFlags);
        263 unlinkat(DirFd, Path, AtFlags);
        264 renameat(DirFd, Path, DirFd, Path);
        265 linkat(DirFd, Path, DirFd, Path, AtFlags);
        266 symlinkat(Path, DirFd, Path);
        267 readlinkat(DirFd, Path, BufOut(3), UInt);
        268 fchmodat(DirFd, Path, Mode);
        269 faccessat(DirFd, Path, AccessMode);
        270 pselect6(Int, Ptr, Ptr, Ptr, Timespec, Ptr);
        271 ppoll(Ptr, UInt, Timespec, SigSet, UInt);
        272 unshare(CloneFlags);
        273 set_robust_list(Ptr, UInt);
        274 get_robust_list(Int, Ptr, Ptr);
        275 splice(Fd, Ptr, Fd, Ptr, UInt, Hex);
        276 tee(Fd, Fd, UInt, Hex);
        277 sync_file_range(Fd, Long, Long, Hex);
        278 vmsplice(Fd, IovecIn(2), UInt, Hex);
        279 move_pages(Int, UInt, Ptr, Ptr, Ptr, Hex);
        280 utimensat(DirFd, Path, Ptr, AtFlags);
        281 epoll_pwait(Fd, Ptr, Int, Int, SigSet, UInt);
        282 signalfd(Fd, SigSet, UInt);
        283 timerfd_create(ClockId, FdFlags);
        284 eventfd(UInt);
        285 fallocate(Fd, Hex, Long, Long);
        286 timerfd_settime(Fd, Hex, Ptr, Ptr);
        287 timerfd_gettime(Fd, Ptr);
        288 accept4(Fd, Ptr, Ptr, SockFlags);
        289 signalfd4(Fd, SigSet, UInt, FdFlags);
        290 eventfd2(UInt, FdFlags);
        291 epoll_create1(FdFlags);
        292 dup3(Fd, Fd, FdFlags);
        293 pipe2(PipeFds, FdFlags);
        294 inotify_init1(FdFlags);
        295 preadv(Fd, IovecOut(2), Int, Long, Long);
        296 pwritev(Fd, IovecIn(2), Int, Long, Long);
        297 rt_tgsigqueueinfo(Int, Int, Signal, Ptr);
        298 perf_event_open(Ptr, Int, Int, Int, Hex);
        299 recvmmsg(Fd, Ptr, UInt, MsgFlags, Timespec);
        300 fanotify_init(Hex, Hex);
        301 fanotify_mark(Fd, Hex, Hex, DirFd, Path);
        302 prlimit64(Int, RlimitResource, Rlimit, RlimitOut);
        303 name_to_handle_at(DirFd, Path, Ptr, Ptr, AtFlags);
        304 open_by_handle_at(Fd, Ptr, OpenFlags);
        305 clock_adjtime(ClockId, Ptr);
        306 syncfs(Fd);
        307 sendmmsg(Fd, Ptr, UInt, MsgFlags);
        308 setns(Fd, CloneFlags);
        309 getcpu(Ptr, Ptr, Ptr);
        310 process_vm_readv(Int, Ptr, UInt, Ptr, UInt, Hex);
        311 process_vm_writev(Int, Ptr, UInt, Ptr, UInt, Hex);
        312 kcmp(Int, Int, Int, Hex, Hex);
        313 finit_module(Fd, Str, Hex);
        314 sched_setattr(Int, Ptr, Hex);
        315 sched_getattr(Int, Ptr, UInt, Hex);
        316 renameat2(DirFd, Path, DirFd, Path, Hex);
        317 seccomp(Int, Hex, Ptr);
        318 getrandom(BufOut(1), UInt, GetrandomFlags);
        319 memfd_create(Str, MemfdFlags);
        320 kexec_file_load(Fd, Fd, UInt, Str, Hex);
        321 bpf(Int, Ptr, UInt);
        322 execveat(DirFd, Path, StrVec, EnvVec, AtFlags);
        323 userfaultfd(FdFlags);
        324 membarrier(Int, Hex, Int);
        325 mlock2(Ptr, UInt, Hex);
        326 copy_file_range(Fd, Ptr, Fd, Ptr, UInt, Hex);
        327 preadv2(Fd, IovecOut(2), Int, Long, Long, Hex);
        328 pwritev2(Fd, IovecIn(2), Int, Long, Long, Hex);
        329 pkey_mprotect(Ptr, UInt, MmapProt, Int);
        330 pkey_alloc(Hex, Hex);
        331 pkey_free(Int);
        332 statx(DirFd, Path, AtFlags, Hex, Ptr);
        333 io_pgetevents(Hex, Long, Long, Ptr, Timespec, Ptr);
        334 rseq(Ptr, UInt, Hex, Hex);
        424 pidfd_send_signal(Fd, Signal, Ptr, Hex);
        425 io_uring_setup(UInt, Ptr);
        426 io_uring_enter(Fd, UInt, UInt, Hex, Ptr, UInt);
        427 io_uring_register(Fd, UInt, Ptr, UInt);
        428 open_tree(DirFd, Path, Hex);
        429 move_mount(DirFd, Path, DirFd, Path, Hex);
        430 fsopen(Str, Hex);
        431 fsconfig(Fd, UInt, Str, Ptr, Int);
        432 fsmount(Fd, Hex, Hex);
        433 fspick(DirFd, Path, Hex);
        434 pidfd_open(Int, Hex);
        435 clone3(Ptr, UInt);
        436 close_range(UInt, UInt, Hex);
        437 openat2(DirFd, Path, OpenHow, UInt);
        438 pidfd_getfd(Fd, Int, Hex);
        439 faccessat2(DirFd, Path, AccessMode, AccessAtFlags);
        440 process_madvise(Fd, Ptr, UInt, Madvise, Hex);
        441 epoll_pwait2(Fd, Ptr, Int, Timespec, SigSet, UInt);
        442 mount_setattr(DirFd, Path, AtFlags, Ptr, UInt);
        443 quotactl_fd(Fd, Hex, Int, Ptr);
        444 landlock_create_ruleset(Ptr, UInt, Hex);
        445 landlock_add_rule(Fd, Int, Ptr, Hex);
        446 landlock_restrict_self(Fd, Hex);
        447 memfd_secret(Hex);
        448 process_mrelease(Fd, Hex);
        449 futex_waitv(Ptr, UInt, Hex, Timespec, ClockId);
        450 set_mempolicy_home_node(Ptr, UInt, UInt, Hex);
        451 cachestat(Fd, Ptr, Ptr, Hex);
        452 fchmodat2(DirFd, Path, Mode, AtFlags);
        453 map_shadow_stack(Ptr, UInt, Hex) -> Hex;
        454 futex_wake(Ptr, Hex, Int, Hex);
        455 futex_wait(Ptr, Hex, Hex, Hex, Timespec, ClockId);
        456 futex_requeue(Ptr, Hex, Int, Int);
        457 statmount(Ptr, Ptr, UInt, Hex);
        458 listmount(Ptr, Ptr, UInt, Hex);
        459 lsm_get_self_attr(UInt, Ptr, Ptr, Hex);
        460 lsm_set_self_attr(UInt, Ptr, UInt, Hex);
        461 lsm_list_modules(Ptr, Ptr, Hex);
        462 mseal(Ptr, UInt, Hex);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_numbers_ordered() {
        let mut seen = HashSet::new();
        let mut last = None;
        for &(nr, ref a) in table::ENTRIES {
            assert!(seen.insert(a.name), "duplicate name {}", a.name);
            assert!(last.is_none_or(|l| nr > l), "{} out of order", a.name);
            last = Some(nr);
        }
    }

    #[test]
    fn at_most_six_args_and_indices_in_range() {
        for (nr, a) in all() {
            assert!(a.args.len() <= 6, "{} has too many args", a.name);
            for arg in a.args {
                let idx = match *arg {
                    Arg::BufIn(i)
                    | Arg::BufOut(i)
                    | Arg::IovecIn(i)
                    | Arg::IovecOut(i)
                    | Arg::OpenMode(i)
                    | Arg::IoctlArg(i)
                    | Arg::FcntlArg(i)
                    | Arg::Sockaddr(i) => i,
                    _ => continue,
                };
                assert!(idx < a.args.len(), "{} ({nr}) refers to arg {idx}", a.name);
            }
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(name(0), Some("read"));
        assert_eq!(name(257), Some("openat"));
        assert_eq!(name(MAX_NR), Some("mseal"));
        assert_eq!(name(335), None);
        assert_eq!(name(MAX_NR + 1), None);
        assert_eq!(name(u64::MAX), None);
        assert_eq!(number("exit_group"), Some(231));
        assert_eq!(abi(9).unwrap().ret, Ret::Hex);
        assert_eq!(all().count(), table::ENTRIES.len());
        // Numbers libc does not define: checked against the kernel's table by hand.
        for (nr, n) in [
            (174, "create_module"),
            (177, "get_kernel_syms"),
            (178, "query_module"),
            (333, "io_pgetevents"),
            (451, "cachestat"),
            (453, "map_shadow_stack"),
            (454, "futex_wake"),
            (455, "futex_wait"),
            (456, "futex_requeue"),
            (457, "statmount"),
            (458, "listmount"),
            (459, "lsm_get_self_attr"),
            (460, "lsm_set_self_attr"),
            (461, "lsm_list_modules"),
        ] {
            assert_eq!(name(nr), Some(n));
        }
    }

    #[test]
    fn numbers_match_libc() {
        #[rustfmt::skip]
        let pairs: &[(libc::c_long, &str)] = &[
            (libc::SYS_read, "read"), (libc::SYS_write, "write"), (libc::SYS_open, "open"),
            (libc::SYS_close, "close"), (libc::SYS_stat, "stat"), (libc::SYS_fstat, "fstat"),
            (libc::SYS_lstat, "lstat"), (libc::SYS_poll, "poll"), (libc::SYS_lseek, "lseek"),
            (libc::SYS_mmap, "mmap"), (libc::SYS_mprotect, "mprotect"),
            (libc::SYS_munmap, "munmap"), (libc::SYS_brk, "brk"),
            (libc::SYS_rt_sigaction, "rt_sigaction"), (libc::SYS_rt_sigprocmask, "rt_sigprocmask"),
            (libc::SYS_rt_sigreturn, "rt_sigreturn"), (libc::SYS_ioctl, "ioctl"),
            (libc::SYS_pread64, "pread64"), (libc::SYS_pwrite64, "pwrite64"),
            (libc::SYS_readv, "readv"), (libc::SYS_writev, "writev"), (libc::SYS_access, "access"),
            (libc::SYS_pipe, "pipe"), (libc::SYS_select, "select"),
            (libc::SYS_sched_yield, "sched_yield"), (libc::SYS_mremap, "mremap"),
            (libc::SYS_msync, "msync"), (libc::SYS_mincore, "mincore"),
            (libc::SYS_madvise, "madvise"), (libc::SYS_shmget, "shmget"),
            (libc::SYS_shmat, "shmat"), (libc::SYS_shmctl, "shmctl"), (libc::SYS_dup, "dup"),
            (libc::SYS_dup2, "dup2"), (libc::SYS_pause, "pause"),
            (libc::SYS_nanosleep, "nanosleep"), (libc::SYS_getitimer, "getitimer"),
            (libc::SYS_alarm, "alarm"), (libc::SYS_setitimer, "setitimer"),
            (libc::SYS_getpid, "getpid"), (libc::SYS_sendfile, "sendfile"),
            (libc::SYS_socket, "socket"), (libc::SYS_connect, "connect"),
            (libc::SYS_accept, "accept"), (libc::SYS_sendto, "sendto"),
            (libc::SYS_recvfrom, "recvfrom"), (libc::SYS_sendmsg, "sendmsg"),
            (libc::SYS_recvmsg, "recvmsg"), (libc::SYS_shutdown, "shutdown"),
            (libc::SYS_bind, "bind"), (libc::SYS_listen, "listen"),
            (libc::SYS_getsockname, "getsockname"), (libc::SYS_getpeername, "getpeername"),
            (libc::SYS_socketpair, "socketpair"), (libc::SYS_setsockopt, "setsockopt"),
            (libc::SYS_getsockopt, "getsockopt"), (libc::SYS_clone, "clone"),
            (libc::SYS_fork, "fork"), (libc::SYS_vfork, "vfork"), (libc::SYS_execve, "execve"),
            (libc::SYS_exit, "exit"), (libc::SYS_wait4, "wait4"), (libc::SYS_kill, "kill"),
            (libc::SYS_uname, "uname"), (libc::SYS_semget, "semget"), (libc::SYS_semop, "semop"),
            (libc::SYS_semctl, "semctl"), (libc::SYS_shmdt, "shmdt"), (libc::SYS_msgget, "msgget"),
            (libc::SYS_msgsnd, "msgsnd"), (libc::SYS_msgrcv, "msgrcv"),
            (libc::SYS_msgctl, "msgctl"), (libc::SYS_fcntl, "fcntl"), (libc::SYS_flock, "flock"),
            (libc::SYS_fsync, "fsync"), (libc::SYS_fdatasync, "fdatasync"),
            (libc::SYS_truncate, "truncate"), (libc::SYS_ftruncate, "ftruncate"),
            (libc::SYS_getdents, "getdents"), (libc::SYS_getcwd, "getcwd"),
            (libc::SYS_chdir, "chdir"), (libc::SYS_fchdir, "fchdir"), (libc::SYS_rename, "rename"),
            (libc::SYS_mkdir, "mkdir"), (libc::SYS_rmdir, "rmdir"), (libc::SYS_creat, "creat"),
            (libc::SYS_link, "link"), (libc::SYS_unlink, "unlink"), (libc::SYS_symlink, "symlink"),
            (libc::SYS_readlink, "readlink"), (libc::SYS_chmod, "chmod"),
            (libc::SYS_fchmod, "fchmod"), (libc::SYS_chown, "chown"), (libc::SYS_fchown, "fchown"),
            (libc::SYS_lchown, "lchown"), (libc::SYS_umask, "umask"),
            (libc::SYS_gettimeofday, "gettimeofday"), (libc::SYS_getrlimit, "getrlimit"),
            (libc::SYS_getrusage, "getrusage"), (libc::SYS_sysinfo, "sysinfo"),
            (libc::SYS_times, "times"), (libc::SYS_ptrace, "ptrace"), (libc::SYS_getuid, "getuid"),
            (libc::SYS_syslog, "syslog"), (libc::SYS_getgid, "getgid"),
            (libc::SYS_setuid, "setuid"), (libc::SYS_setgid, "setgid"),
            (libc::SYS_geteuid, "geteuid"), (libc::SYS_getegid, "getegid"),
            (libc::SYS_setpgid, "setpgid"), (libc::SYS_getppid, "getppid"),
            (libc::SYS_getpgrp, "getpgrp"), (libc::SYS_setsid, "setsid"),
            (libc::SYS_setreuid, "setreuid"), (libc::SYS_setregid, "setregid"),
            (libc::SYS_getgroups, "getgroups"), (libc::SYS_setgroups, "setgroups"),
            (libc::SYS_setresuid, "setresuid"), (libc::SYS_getresuid, "getresuid"),
            (libc::SYS_setresgid, "setresgid"), (libc::SYS_getresgid, "getresgid"),
            (libc::SYS_getpgid, "getpgid"), (libc::SYS_setfsuid, "setfsuid"),
            (libc::SYS_setfsgid, "setfsgid"), (libc::SYS_getsid, "getsid"),
            (libc::SYS_capget, "capget"), (libc::SYS_capset, "capset"),
            (libc::SYS_rt_sigpending, "rt_sigpending"),
            (libc::SYS_rt_sigtimedwait, "rt_sigtimedwait"),
            (libc::SYS_rt_sigqueueinfo, "rt_sigqueueinfo"),
            (libc::SYS_rt_sigsuspend, "rt_sigsuspend"), (libc::SYS_sigaltstack, "sigaltstack"),
            (libc::SYS_utime, "utime"), (libc::SYS_mknod, "mknod"), (libc::SYS_uselib, "uselib"),
            (libc::SYS_personality, "personality"), (libc::SYS_ustat, "ustat"),
            (libc::SYS_statfs, "statfs"), (libc::SYS_fstatfs, "fstatfs"),
            (libc::SYS_sysfs, "sysfs"), (libc::SYS_getpriority, "getpriority"),
            (libc::SYS_setpriority, "setpriority"), (libc::SYS_sched_setparam, "sched_setparam"),
            (libc::SYS_sched_getparam, "sched_getparam"),
            (libc::SYS_sched_setscheduler, "sched_setscheduler"),
            (libc::SYS_sched_getscheduler, "sched_getscheduler"),
            (libc::SYS_sched_get_priority_max, "sched_get_priority_max"),
            (libc::SYS_sched_get_priority_min, "sched_get_priority_min"),
            (libc::SYS_sched_rr_get_interval, "sched_rr_get_interval"), (libc::SYS_mlock, "mlock"),
            (libc::SYS_munlock, "munlock"), (libc::SYS_mlockall, "mlockall"),
            (libc::SYS_munlockall, "munlockall"), (libc::SYS_vhangup, "vhangup"),
            (libc::SYS_modify_ldt, "modify_ldt"), (libc::SYS_pivot_root, "pivot_root"),
            (libc::SYS__sysctl, "_sysctl"), (libc::SYS_prctl, "prctl"),
            (libc::SYS_arch_prctl, "arch_prctl"), (libc::SYS_adjtimex, "adjtimex"),
            (libc::SYS_setrlimit, "setrlimit"), (libc::SYS_chroot, "chroot"),
            (libc::SYS_sync, "sync"), (libc::SYS_acct, "acct"),
            (libc::SYS_settimeofday, "settimeofday"), (libc::SYS_mount, "mount"),
            (libc::SYS_umount2, "umount2"), (libc::SYS_swapon, "swapon"),
            (libc::SYS_swapoff, "swapoff"), (libc::SYS_reboot, "reboot"),
            (libc::SYS_sethostname, "sethostname"), (libc::SYS_setdomainname, "setdomainname"),
            (libc::SYS_iopl, "iopl"), (libc::SYS_ioperm, "ioperm"),
            (libc::SYS_init_module, "init_module"), (libc::SYS_delete_module, "delete_module"),
            (libc::SYS_quotactl, "quotactl"), (libc::SYS_nfsservctl, "nfsservctl"),
            (libc::SYS_getpmsg, "getpmsg"), (libc::SYS_putpmsg, "putpmsg"),
            (libc::SYS_afs_syscall, "afs_syscall"), (libc::SYS_tuxcall, "tuxcall"),
            (libc::SYS_security, "security"), (libc::SYS_gettid, "gettid"),
            (libc::SYS_readahead, "readahead"), (libc::SYS_setxattr, "setxattr"),
            (libc::SYS_lsetxattr, "lsetxattr"), (libc::SYS_fsetxattr, "fsetxattr"),
            (libc::SYS_getxattr, "getxattr"), (libc::SYS_lgetxattr, "lgetxattr"),
            (libc::SYS_fgetxattr, "fgetxattr"), (libc::SYS_listxattr, "listxattr"),
            (libc::SYS_llistxattr, "llistxattr"), (libc::SYS_flistxattr, "flistxattr"),
            (libc::SYS_removexattr, "removexattr"), (libc::SYS_lremovexattr, "lremovexattr"),
            (libc::SYS_fremovexattr, "fremovexattr"), (libc::SYS_tkill, "tkill"),
            (libc::SYS_time, "time"), (libc::SYS_futex, "futex"),
            (libc::SYS_sched_setaffinity, "sched_setaffinity"),
            (libc::SYS_sched_getaffinity, "sched_getaffinity"),
            (libc::SYS_set_thread_area, "set_thread_area"), (libc::SYS_io_setup, "io_setup"),
            (libc::SYS_io_destroy, "io_destroy"), (libc::SYS_io_getevents, "io_getevents"),
            (libc::SYS_io_submit, "io_submit"), (libc::SYS_io_cancel, "io_cancel"),
            (libc::SYS_get_thread_area, "get_thread_area"),
            (libc::SYS_lookup_dcookie, "lookup_dcookie"), (libc::SYS_epoll_create, "epoll_create"),
            (libc::SYS_epoll_ctl_old, "epoll_ctl_old"),
            (libc::SYS_epoll_wait_old, "epoll_wait_old"),
            (libc::SYS_remap_file_pages, "remap_file_pages"), (libc::SYS_getdents64, "getdents64"),
            (libc::SYS_set_tid_address, "set_tid_address"),
            (libc::SYS_restart_syscall, "restart_syscall"), (libc::SYS_semtimedop, "semtimedop"),
            (libc::SYS_fadvise64, "fadvise64"), (libc::SYS_timer_create, "timer_create"),
            (libc::SYS_timer_settime, "timer_settime"), (libc::SYS_timer_gettime, "timer_gettime"),
            (libc::SYS_timer_getoverrun, "timer_getoverrun"),
            (libc::SYS_timer_delete, "timer_delete"), (libc::SYS_clock_settime, "clock_settime"),
            (libc::SYS_clock_gettime, "clock_gettime"), (libc::SYS_clock_getres, "clock_getres"),
            (libc::SYS_clock_nanosleep, "clock_nanosleep"), (libc::SYS_exit_group, "exit_group"),
            (libc::SYS_epoll_wait, "epoll_wait"), (libc::SYS_epoll_ctl, "epoll_ctl"),
            (libc::SYS_tgkill, "tgkill"), (libc::SYS_utimes, "utimes"),
            (libc::SYS_vserver, "vserver"), (libc::SYS_mbind, "mbind"),
            (libc::SYS_set_mempolicy, "set_mempolicy"), (libc::SYS_get_mempolicy, "get_mempolicy"),
            (libc::SYS_mq_open, "mq_open"), (libc::SYS_mq_unlink, "mq_unlink"),
            (libc::SYS_mq_timedsend, "mq_timedsend"),
            (libc::SYS_mq_timedreceive, "mq_timedreceive"), (libc::SYS_mq_notify, "mq_notify"),
            (libc::SYS_mq_getsetattr, "mq_getsetattr"), (libc::SYS_kexec_load, "kexec_load"),
            (libc::SYS_waitid, "waitid"), (libc::SYS_add_key, "add_key"),
            (libc::SYS_request_key, "request_key"), (libc::SYS_keyctl, "keyctl"),
            (libc::SYS_ioprio_set, "ioprio_set"), (libc::SYS_ioprio_get, "ioprio_get"),
            (libc::SYS_inotify_init, "inotify_init"),
            (libc::SYS_inotify_add_watch, "inotify_add_watch"),
            (libc::SYS_inotify_rm_watch, "inotify_rm_watch"),
            (libc::SYS_migrate_pages, "migrate_pages"), (libc::SYS_openat, "openat"),
            (libc::SYS_mkdirat, "mkdirat"), (libc::SYS_mknodat, "mknodat"),
            (libc::SYS_fchownat, "fchownat"), (libc::SYS_futimesat, "futimesat"),
            (libc::SYS_newfstatat, "newfstatat"), (libc::SYS_unlinkat, "unlinkat"),
            (libc::SYS_renameat, "renameat"), (libc::SYS_linkat, "linkat"),
            (libc::SYS_symlinkat, "symlinkat"), (libc::SYS_readlinkat, "readlinkat"),
            (libc::SYS_fchmodat, "fchmodat"), (libc::SYS_faccessat, "faccessat"),
            (libc::SYS_pselect6, "pselect6"), (libc::SYS_ppoll, "ppoll"),
            (libc::SYS_unshare, "unshare"), (libc::SYS_set_robust_list, "set_robust_list"),
            (libc::SYS_get_robust_list, "get_robust_list"), (libc::SYS_splice, "splice"),
            (libc::SYS_tee, "tee"), (libc::SYS_sync_file_range, "sync_file_range"),
            (libc::SYS_vmsplice, "vmsplice"), (libc::SYS_move_pages, "move_pages"),
            (libc::SYS_utimensat, "utimensat"), (libc::SYS_epoll_pwait, "epoll_pwait"),
            (libc::SYS_signalfd, "signalfd"), (libc::SYS_timerfd_create, "timerfd_create"),
            (libc::SYS_eventfd, "eventfd"), (libc::SYS_fallocate, "fallocate"),
            (libc::SYS_timerfd_settime, "timerfd_settime"),
            (libc::SYS_timerfd_gettime, "timerfd_gettime"), (libc::SYS_accept4, "accept4"),
            (libc::SYS_signalfd4, "signalfd4"), (libc::SYS_eventfd2, "eventfd2"),
            (libc::SYS_epoll_create1, "epoll_create1"), (libc::SYS_dup3, "dup3"),
            (libc::SYS_pipe2, "pipe2"), (libc::SYS_inotify_init1, "inotify_init1"),
            (libc::SYS_preadv, "preadv"), (libc::SYS_pwritev, "pwritev"),
            (libc::SYS_rt_tgsigqueueinfo, "rt_tgsigqueueinfo"),
            (libc::SYS_perf_event_open, "perf_event_open"), (libc::SYS_recvmmsg, "recvmmsg"),
            (libc::SYS_fanotify_init, "fanotify_init"), (libc::SYS_fanotify_mark, "fanotify_mark"),
            (libc::SYS_prlimit64, "prlimit64"), (libc::SYS_name_to_handle_at, "name_to_handle_at"),
            (libc::SYS_open_by_handle_at, "open_by_handle_at"),
            (libc::SYS_clock_adjtime, "clock_adjtime"), (libc::SYS_syncfs, "syncfs"),
            (libc::SYS_sendmmsg, "sendmmsg"), (libc::SYS_setns, "setns"),
            (libc::SYS_getcpu, "getcpu"), (libc::SYS_process_vm_readv, "process_vm_readv"),
            (libc::SYS_process_vm_writev, "process_vm_writev"), (libc::SYS_kcmp, "kcmp"),
            (libc::SYS_finit_module, "finit_module"), (libc::SYS_sched_setattr, "sched_setattr"),
            (libc::SYS_sched_getattr, "sched_getattr"), (libc::SYS_renameat2, "renameat2"),
            (libc::SYS_seccomp, "seccomp"), (libc::SYS_getrandom, "getrandom"),
            (libc::SYS_memfd_create, "memfd_create"),
            (libc::SYS_kexec_file_load, "kexec_file_load"), (libc::SYS_bpf, "bpf"),
            (libc::SYS_execveat, "execveat"), (libc::SYS_userfaultfd, "userfaultfd"),
            (libc::SYS_membarrier, "membarrier"), (libc::SYS_mlock2, "mlock2"),
            (libc::SYS_copy_file_range, "copy_file_range"), (libc::SYS_preadv2, "preadv2"),
            (libc::SYS_pwritev2, "pwritev2"), (libc::SYS_pkey_mprotect, "pkey_mprotect"),
            (libc::SYS_pkey_alloc, "pkey_alloc"), (libc::SYS_pkey_free, "pkey_free"),
            (libc::SYS_statx, "statx"), (libc::SYS_rseq, "rseq"),
            (libc::SYS_pidfd_send_signal, "pidfd_send_signal"),
            (libc::SYS_io_uring_setup, "io_uring_setup"),
            (libc::SYS_io_uring_enter, "io_uring_enter"),
            (libc::SYS_io_uring_register, "io_uring_register"), (libc::SYS_open_tree, "open_tree"),
            (libc::SYS_move_mount, "move_mount"), (libc::SYS_fsopen, "fsopen"),
            (libc::SYS_fsconfig, "fsconfig"), (libc::SYS_fsmount, "fsmount"),
            (libc::SYS_fspick, "fspick"), (libc::SYS_pidfd_open, "pidfd_open"),
            (libc::SYS_clone3, "clone3"), (libc::SYS_close_range, "close_range"),
            (libc::SYS_openat2, "openat2"), (libc::SYS_pidfd_getfd, "pidfd_getfd"),
            (libc::SYS_faccessat2, "faccessat2"), (libc::SYS_process_madvise, "process_madvise"),
            (libc::SYS_epoll_pwait2, "epoll_pwait2"), (libc::SYS_mount_setattr, "mount_setattr"),
            (libc::SYS_quotactl_fd, "quotactl_fd"),
            (libc::SYS_landlock_create_ruleset, "landlock_create_ruleset"),
            (libc::SYS_landlock_add_rule, "landlock_add_rule"),
            (libc::SYS_landlock_restrict_self, "landlock_restrict_self"),
            (libc::SYS_memfd_secret, "memfd_secret"),
            (libc::SYS_process_mrelease, "process_mrelease"),
            (libc::SYS_futex_waitv, "futex_waitv"),
            (libc::SYS_set_mempolicy_home_node, "set_mempolicy_home_node"),
            (libc::SYS_fchmodat2, "fchmodat2"), (libc::SYS_mseal, "mseal"),
        ];
        for &(nr, n) in pairs {
            assert_eq!(name(nr as u64), Some(n), "number {nr}");
        }
        // Every entry libc knows is checked above.
        assert!(pairs.len() >= 355);
    }
}
