//! Symbolic names for flag words and enumerated values, for strace lines.
//!
//! Each table pairs a value with the name strace prints. Names come from the
//! libc crate where it defines them (so a value can never be mistyped) and
//! are written out only where it does not.

/// A list of `(value, name)` pairs.
type Names = &'static [(u64, &'static str)];

/// Builds a [`Names`] list: `NAME` takes `libc::NAME`, `NAME = v` takes `v`.
macro_rules! names {
    (@value $n:ident) => {
        libc::$n as u32 as u64
    };
    (@value $n:ident $v:expr) => {
        $v
    };
    ($($n:ident $(= $v:expr)?),* $(,)?) => {
        &[$((names!(@value $n $($v)?), stringify!($n))),*]
    };
}

/// How a flag word is printed.
pub(super) struct FlagSet {
    /// A multi-bit field decoded as one value first (the access mode of
    /// open flags, the type of mmap flags): its mask and value names.
    field: Option<(u64, Names)>,
    /// Single bits (or bit groups), printed in table order when all set.
    bits: Names,
    /// What a word with nothing to print shows (`0`, `PROT_NONE`, `F_OK`).
    zero: &'static str,
}

/// Formats `v` as `NAME|NAME|0xrest`.
pub(super) fn flags(v: u64, set: &FlagSet) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = v;
    if let Some((mask, names)) = set.field {
        let f = v & mask;
        match lookup(f, names) {
            Some(n) => parts.push(n.to_string()),
            None if f != 0 => parts.push(format!("{f:#x}")),
            None => {}
        }
        rest &= !mask;
    }
    for &(bits, name) in set.bits {
        if bits != 0 && rest & bits == bits {
            parts.push(name.to_string());
            rest &= !bits;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    if parts.is_empty() {
        set.zero.to_string()
    } else {
        parts.join("|")
    }
}

/// The name of `v` in `names`.
pub(super) fn lookup(v: u64, names: Names) -> Option<&'static str> {
    names.iter().find(|&&(x, _)| x == v).map(|&(_, n)| n)
}

/// The name of `v`, or `v` as a signed 32-bit decimal.
pub(super) fn value(v: u64, names: Names) -> String {
    match lookup(v, names) {
        Some(n) => n.to_string(),
        None => (v as i32).to_string(),
    }
}

/// `open(2)` flags.
pub(super) const OPEN: FlagSet = FlagSet {
    field: Some((libc::O_ACCMODE as u64, names! { O_RDONLY, O_WRONLY, O_RDWR })),
    bits: names! {
        O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_SYNC, O_DSYNC, O_ASYNC,
        O_DIRECT, O_LARGEFILE = 0o100000, O_TMPFILE, O_DIRECTORY, O_NOFOLLOW, O_NOATIME, O_CLOEXEC,
        O_PATH,
    },
    zero: "0",
};

/// Flags with no access mode (pipe2, dup3, eventfd2, ...).
pub(super) const FD: FlagSet = FlagSet { field: None, bits: names! { O_NONBLOCK, O_DIRECT, O_CLOEXEC }, zero: "0" };

/// `fcntl(F_SETFD)` descriptor flags.
pub(super) const FD_FLAGS: FlagSet = FlagSet { field: None, bits: names! { FD_CLOEXEC }, zero: "0" };

/// `access(2)` modes.
pub(super) const ACCESS: FlagSet = FlagSet { field: None, bits: names! { R_OK, W_OK, X_OK }, zero: "F_OK" };

/// `AT_*` flags.
pub(super) const AT: FlagSet = FlagSet {
    field: None,
    bits: names! {
        AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH,
        AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC, AT_RECURSIVE,
    },
    zero: "0",
};

/// `AT_*` flags of faccessat2, where 0x200 means `AT_EACCESS`.
pub(super) const AT_ACCESS: FlagSet =
    FlagSet { field: None, bits: names! { AT_SYMLINK_NOFOLLOW, AT_EACCESS, AT_EMPTY_PATH }, zero: "0" };

/// `PROT_*` bits.
pub(super) const PROT: FlagSet = FlagSet {
    field: None,
    bits: names! {
        PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM = 0x8, PROT_GROWSDOWN, PROT_GROWSUP,
    },
    zero: "PROT_NONE",
};

/// `MAP_*` type and bits.
pub(super) const MAP: FlagSet = FlagSet {
    field: Some((0xf, names! { MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE })),
    bits: names! {
        MAP_FIXED, MAP_ANONYMOUS, MAP_32BIT, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE,
        MAP_LOCKED, MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_SYNC,
        MAP_FIXED_NOREPLACE, MAP_UNINITIALIZED = 0x400_0000,
    },
    zero: "0",
};

/// `MREMAP_*` bits.
pub(super) const MREMAP: FlagSet =
    FlagSet { field: None, bits: names! { MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP }, zero: "0" };

/// `MS_*` bits of msync.
pub(super) const MSYNC: FlagSet = FlagSet { field: None, bits: names! { MS_ASYNC, MS_INVALIDATE, MS_SYNC }, zero: "0" };

/// `MADV_*` advice.
pub(super) const MADVISE: Names = names! {
    MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE,
    MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK, MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE,
    MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD,
    MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_DONTNEED_LOCKED, MADV_COLLAPSE,
    MADV_HWPOISON, MADV_SOFT_OFFLINE,
};

/// lseek's whence.
pub(super) const WHENCE: Names = names! { SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE };

/// rt_sigprocmask's how.
pub(super) const SIG_HOW: Names = names! { SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK };

/// `SA_RESTORER` (asm/signal.h; not in libc).
pub(super) const SA_RESTORER: u64 = 0x400_0000;

/// `SA_*` bits of a sigaction.
pub(super) const SA: FlagSet = FlagSet {
    field: None,
    bits: names! {
        SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO, SA_RESTORER = SA_RESTORER, SA_ONSTACK, SA_RESTART,
        SA_NODEFER, SA_RESETHAND,
    },
    zero: "0",
};

/// `CLONE_*` bits above the exit-signal byte.
const CLONE: FlagSet = FlagSet {
    field: None,
    bits: names! {
        CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK,
        CLONE_PARENT, CLONE_THREAD, CLONE_NEWNS, CLONE_SYSVSEM, CLONE_SETTLS, CLONE_PARENT_SETTID,
        CLONE_CHILD_CLEARTID, CLONE_DETACHED, CLONE_UNTRACED, CLONE_CHILD_SETTID, CLONE_NEWCGROUP,
        CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_IO,
    },
    zero: "0",
};

/// Clone flags: `CLONE_*` bits, then the exit signal from the low byte.
pub(super) fn clone_flags(v: u64) -> String {
    let sig = v & 0xff;
    let high = flags(v & !0xff, &CLONE);
    match (high.as_str(), sig) {
        (_, 0) => high,
        ("0", _) => signal(sig),
        _ => format!("{high}|{}", signal(sig)),
    }
}

/// Signal names by number, 1..=31.
const SIGNALS: [&str; 31] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// A signal's name (`SIGINT`, `SIGRTMIN`, `SIGRT_3`), or its number.
pub(super) fn signal(v: u64) -> String {
    match v {
        1..=31 => SIGNALS[v as usize - 1].to_string(),
        32 => "SIGRTMIN".to_string(),
        33..=64 => format!("SIGRT_{}", v - 32),
        _ => (v as i32).to_string(),
    }
}

/// A signal set as strace prints it: `[INT TERM]`, or `~[KILL STOP]` for
/// the complement when more than half the signals are set.
pub(super) fn sigset(mask: u64) -> String {
    let short = |sig: u64| signal(sig).trim_start_matches("SIG").to_string();
    let (prefix, shown) = if mask.count_ones() > 32 { ("~", !mask) } else { ("", mask) };
    let names: Vec<String> = (1..=64u64).filter(|sig| shown & (1 << (sig - 1)) != 0).map(short).collect();
    format!("{prefix}[{}]", names.join(" "))
}

/// ioctl requests.
pub(super) const IOCTL: Names = names! {
    TCGETS, TCSETS, TCSETSW, TCSETSF, TCGETA, TCSETA, TCSETAW, TCSETAF, TCSBRK, TCXONC, TCFLSH,
    TIOCEXCL, TIOCNXCL, TIOCSCTTY, TIOCGPGRP, TIOCSPGRP, TIOCOUTQ, TIOCSTI, TIOCGWINSZ, TIOCSWINSZ,
    TIOCMGET, TIOCMBIS, TIOCMBIC, TIOCMSET, TIOCGSOFTCAR, TIOCSSOFTCAR, FIONREAD, TIOCLINUX,
    TIOCCONS, TIOCGSERIAL, TIOCSSERIAL, TIOCPKT, FIONBIO, TIOCNOTTY, TIOCSETD, TIOCGETD, TCSBRKP,
    TIOCSBRK, TIOCCBRK, TIOCGSID, TCGETS2, TCSETS2, TCSETSW2, TCSETSF2, TIOCGPTN, TIOCSPTLCK,
    TIOCGDEV, TIOCSIG, TIOCVHANGUP, TIOCGPKT, TIOCGPTLCK, TIOCGEXCL, TIOCGPTPEER, FIONCLEX,
    FIOCLEX, FIOASYNC, TIOCMIWAIT, TIOCGICOUNT, FIOQSIZE,
};

/// fcntl commands.
pub(super) const FCNTL: Names = names! {
    F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_SETOWN, F_GETOWN,
    F_SETSIG = F_SETSIG as u64, F_GETSIG = F_GETSIG as u64, F_SETOWN_EX = 15, F_GETOWN_EX = 16,
    F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLEASE, F_GETLEASE, F_NOTIFY, F_DUPFD_CLOEXEC,
    F_SETPIPE_SZ, F_GETPIPE_SZ, F_ADD_SEALS, F_GET_SEALS,
};

/// fcntl's F_SETSIG (not exported by libc for this target).
pub(super) const F_SETSIG: i32 = 10;

/// fcntl's F_GETSIG.
pub(super) const F_GETSIG: i32 = 11;

/// arch_prctl codes (asm/prctl.h; not in libc).
pub(super) const ARCH_PRCTL: Names = names! {
    ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004,
    ARCH_GET_CPUID = 0x1011, ARCH_SET_CPUID = 0x1012, ARCH_GET_XCOMP_SUPP = 0x1021,
    ARCH_GET_XCOMP_PERM = 0x1022, ARCH_REQ_XCOMP_PERM = 0x1023, ARCH_GET_XCOMP_GUEST_PERM = 0x1024,
    ARCH_REQ_XCOMP_GUEST_PERM = 0x1025, ARCH_MAP_VDSO_X32 = 0x2001, ARCH_MAP_VDSO_32 = 0x2002,
    ARCH_MAP_VDSO_64 = 0x2003, ARCH_SHSTK_ENABLE = 0x5001, ARCH_SHSTK_DISABLE = 0x5002,
    ARCH_SHSTK_LOCK = 0x5003, ARCH_SHSTK_UNLOCK = 0x5004, ARCH_SHSTK_STATUS = 0x5005,
};

/// Futex commands (the operation without its flag bits).
const FUTEX_CMDS: Names = names! {
    FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP,
    FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET,
    FUTEX_WAIT_REQUEUE_PI, FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI2,
};

/// The futex command bits of an operation.
pub(super) const FUTEX_CMD_MASK: u64 = 0x7f;

/// A futex operation: `FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME`.
pub(super) fn futex_op(v: u64) -> String {
    let private = libc::FUTEX_PRIVATE_FLAG as u64;
    let realtime = libc::FUTEX_CLOCK_REALTIME as u64;
    let mut s = match lookup(v & FUTEX_CMD_MASK, FUTEX_CMDS) {
        Some(n) => n.to_string(),
        None => (v & FUTEX_CMD_MASK).to_string(),
    };
    if v & private != 0 {
        s.push_str("_PRIVATE");
    }
    if v & realtime != 0 {
        s.push_str("|FUTEX_CLOCK_REALTIME");
    }
    let rest = v & !(FUTEX_CMD_MASK | private | realtime);
    if rest != 0 {
        s.push_str(&format!("|{rest:#x}"));
    }
    s
}

/// prctl options.
pub(super) const PRCTL: Names = names! {
    PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_GET_UNALIGN,
    PR_SET_UNALIGN, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_GET_FPEMU, PR_SET_FPEMU, PR_GET_FPEXC,
    PR_SET_FPEXC, PR_GET_TIMING, PR_SET_TIMING, PR_SET_NAME, PR_GET_NAME, PR_GET_ENDIAN,
    PR_SET_ENDIAN, PR_GET_SECCOMP, PR_SET_SECCOMP, PR_CAPBSET_READ, PR_CAPBSET_DROP, PR_GET_TSC,
    PR_SET_TSC, PR_GET_SECUREBITS, PR_SET_SECUREBITS, PR_SET_TIMERSLACK, PR_GET_TIMERSLACK,
    PR_TASK_PERF_EVENTS_DISABLE, PR_TASK_PERF_EVENTS_ENABLE, PR_MCE_KILL, PR_MCE_KILL_GET,
    PR_SET_MM, PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS,
    PR_GET_NO_NEW_PRIVS, PR_GET_TID_ADDRESS, PR_SET_THP_DISABLE, PR_GET_THP_DISABLE,
    PR_SET_FP_MODE, PR_GET_FP_MODE, PR_CAP_AMBIENT, PR_GET_SPECULATION_CTRL,
    PR_SET_SPECULATION_CTRL, PR_SET_TAGGED_ADDR_CTRL = 55, PR_GET_TAGGED_ADDR_CTRL = 56,
    PR_SCHED_CORE, PR_SET_PTRACER, PR_SET_VMA,
};

/// Resource limits.
pub(super) const RLIMIT: Names = names! {
    RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_RSS, RLIMIT_NPROC,
    RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_AS, RLIMIT_LOCKS, RLIMIT_SIGPENDING, RLIMIT_MSGQUEUE,
    RLIMIT_NICE, RLIMIT_RTPRIO, RLIMIT_RTTIME,
};

/// wait4/waitid options.
pub(super) const WAIT: FlagSet = FlagSet {
    field: None,
    bits: names! {
        WNOHANG, WUNTRACED, WEXITED, WCONTINUED, WNOWAIT, __WNOTHREAD, __WALL, __WCLONE,
    },
    zero: "0",
};

/// Clock ids.
pub(super) const CLOCK: Names = names! {
    CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
    CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
    CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI,
};

/// Address families.
pub(super) const AF: Names = names! {
    AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6, AF_KEY, AF_NETLINK, AF_PACKET, AF_CAN, AF_TIPC,
    AF_BLUETOOTH, AF_ALG, AF_VSOCK, AF_XDP,
};

/// Socket types with their flags.
pub(super) const SOCK_TYPE: FlagSet = FlagSet {
    field: Some((
        0xf,
        names! {
            SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, SOCK_DCCP,
            SOCK_PACKET = 10,
        },
    )),
    bits: names! { SOCK_NONBLOCK, SOCK_CLOEXEC },
    zero: "0",
};

/// Socket flags alone (accept4).
pub(super) const SOCK_FLAGS: FlagSet = FlagSet { field: None, bits: names! { SOCK_NONBLOCK, SOCK_CLOEXEC }, zero: "0" };

/// `MSG_*` flags.
pub(super) const MSG: FlagSet = FlagSet {
    field: None,
    bits: names! {
        MSG_OOB, MSG_PEEK, MSG_DONTROUTE, MSG_CTRUNC, MSG_PROXY = 0x10, MSG_TRUNC, MSG_DONTWAIT,
        MSG_EOR, MSG_WAITALL, MSG_FIN, MSG_SYN, MSG_CONFIRM, MSG_RST, MSG_ERRQUEUE, MSG_NOSIGNAL,
        MSG_MORE, MSG_WAITFORONE, MSG_ZEROCOPY, MSG_FASTOPEN, MSG_CMSG_CLOEXEC,
    },
    zero: "0",
};

/// shutdown directions.
pub(super) const SHUTDOWN: Names = names! { SHUT_RD, SHUT_WR, SHUT_RDWR };

/// epoll_ctl operations.
pub(super) const EPOLL_CTL: Names = names! { EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD };

/// flock operations.
pub(super) const FLOCK: FlagSet =
    FlagSet { field: None, bits: names! { LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN }, zero: "0" };

/// fadvise advice.
pub(super) const FADVISE: Names = names! {
    POSIX_FADV_NORMAL, POSIX_FADV_RANDOM, POSIX_FADV_SEQUENTIAL, POSIX_FADV_WILLNEED,
    POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE,
};

/// getrandom flags.
pub(super) const GRND: FlagSet =
    FlagSet { field: None, bits: names! { GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE }, zero: "0" };

/// memfd_create flags.
pub(super) const MFD: FlagSet = FlagSet {
    field: None,
    bits: names! { MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB, MFD_NOEXEC_SEAL, MFD_EXEC },
    zero: "0",
};

/// openat2 resolve flags.
pub(super) const RESOLVE: FlagSet = FlagSet {
    field: None,
    bits: names! {
        RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH,
        RESOLVE_IN_ROOT, RESOLVE_CACHED,
    },
    zero: "0",
};

/// File types in `st_mode`.
pub(super) const FILE_TYPES: Names = names! { S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFLNK, S_IFSOCK };

/// Terminal line speeds, by `c_cflag & CBAUD`.
pub(super) const BAUD: Names = names! {
    B0, B50, B75, B110, B134, B150, B200, B300, B600, B1200, B1800, B2400, B4800, B9600, B19200,
    B38400, B57600, B115200, B230400, B460800, B500000, B576000, B921600, B1000000, B1152000,
    B1500000, B2000000, B2500000, B3000000, B3500000, B4000000,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags() {
        let v = (libc::O_RDONLY | libc::O_CLOEXEC) as u64;
        assert_eq!(flags(v, &OPEN), "O_RDONLY|O_CLOEXEC");
        let v = (libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC) as u64;
        assert_eq!(flags(v, &OPEN), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(flags(0x4000_0000, &OPEN), "O_RDONLY|0x40000000");
        assert_eq!(flags(libc::O_SYNC as u64, &OPEN), "O_RDONLY|O_SYNC");
        assert_eq!(flags(libc::O_DSYNC as u64, &OPEN), "O_RDONLY|O_DSYNC");
        assert_eq!(flags(0o100002, &OPEN), "O_RDWR|O_LARGEFILE");
        let tmp = (libc::O_RDWR | libc::O_TMPFILE) as u64;
        assert_eq!(flags(tmp, &OPEN), "O_RDWR|O_TMPFILE");
    }

    #[test]
    fn zero_words() {
        assert_eq!(flags(0, &PROT), "PROT_NONE");
        assert_eq!(flags(0, &ACCESS), "F_OK");
        assert_eq!(flags(0, &AT), "0");
        assert_eq!(flags(6, &ACCESS), "R_OK|W_OK");
    }

    #[test]
    fn mmap_flags() {
        let v = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64;
        assert_eq!(flags(v, &MAP), "MAP_PRIVATE|MAP_ANONYMOUS");
        let v = (libc::MAP_PRIVATE | libc::MAP_FIXED | libc::MAP_DENYWRITE) as u64;
        assert_eq!(flags(v, &MAP), "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE");
    }

    #[test]
    fn clone_and_signals() {
        let v = (libc::CLONE_CHILD_CLEARTID | libc::CLONE_CHILD_SETTID | libc::SIGCHLD) as u64;
        assert_eq!(clone_flags(v), "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
        assert_eq!(clone_flags(libc::CLONE_NEWNS as u64), "CLONE_NEWNS");
        assert_eq!(signal(2), "SIGINT");
        assert_eq!(signal(34), "SIGRT_2");
        assert_eq!(signal(0), "0");
        for sig in 1..=31u64 {
            let name = signal(sig);
            let libc_nr = match name.as_str() {
                "SIGHUP" => libc::SIGHUP,
                "SIGABRT" => libc::SIGABRT,
                "SIGBUS" => libc::SIGBUS,
                "SIGUSR1" => libc::SIGUSR1,
                "SIGSTKFLT" => libc::SIGSTKFLT,
                "SIGCHLD" => libc::SIGCHLD,
                "SIGSTOP" => libc::SIGSTOP,
                "SIGURG" => libc::SIGURG,
                "SIGWINCH" => libc::SIGWINCH,
                "SIGIO" => libc::SIGIO,
                "SIGPWR" => libc::SIGPWR,
                "SIGSYS" => libc::SIGSYS,
                _ => continue,
            };
            assert_eq!(libc_nr as u64, sig, "{name}");
        }
    }

    #[test]
    fn sigsets() {
        assert_eq!(sigset(0), "[]");
        assert_eq!(sigset((1 << 1) | (1 << 14)), "[INT TERM]");
        let all_but = !((1u64 << 8) | (1 << 18));
        assert_eq!(sigset(all_but), "~[KILL STOP]");
        assert_eq!(sigset(1 << 31), "[RTMIN]");
    }

    #[test]
    fn futex_ops() {
        assert_eq!(futex_op(128), "FUTEX_WAIT_PRIVATE");
        assert_eq!(futex_op(1), "FUTEX_WAKE");
        assert_eq!(futex_op(9 | 128 | 256), "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME");
    }

    #[test]
    fn values() {
        assert_eq!(value(libc::TIOCGWINSZ as u32 as u64, IOCTL), "TIOCGWINSZ");
        assert_eq!(value(0x1002, ARCH_PRCTL), "ARCH_SET_FS");
        assert_eq!(value(libc::F_SETFD as u64, FCNTL), "F_SETFD");
        assert_eq!(value(99, WHENCE), "99");
    }
}
