//! Decoders that follow a pointer into application memory: structs, arrays
//! and the ioctl and futex arguments whose meaning depends on another one.
//!
//! Every decoder prints `NULL` for a null pointer and the bare address when
//! the memory cannot be read, so a bad pointer never hides the call.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::flags;
use super::{buffer, hex, octal, ptr, quote, string, STRING_LIMIT};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::syscalls::abi::Arg;

/// How many array elements (argv strings, iovecs) are shown before `...`.
const ARRAY_LIMIT: usize = 32;

/// How many environment entries are counted before giving up.
const ENV_LIMIT: u64 = 4096;

/// How many bytes of a getdents buffer are walked to count entries.
const DIRENT_LIMIT: u64 = 1 << 20;

/// Reads `N` bytes at `addr`.
fn read<const N: usize>(mem: &dyn UserMemory, addr: u64) -> Option<[u8; N]> {
    let mut b = [0u8; N];
    mem.read_bytes(addr, &mut b).ok()?;
    Some(b)
}

/// Decodes the `N`-byte struct at `addr` with `f`, or shows the pointer.
fn with<const N: usize>(mem: &dyn UserMemory, addr: u64, f: impl FnOnce(&[u8; N]) -> String) -> String {
    if addr == 0 {
        return "NULL".to_string();
    }
    match read::<N>(mem, addr) {
        Some(b) => f(&b),
        None => ptr(addr),
    }
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_ne_bytes([b[off], b[off + 1]])
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes(b[off..off + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_ne_bytes(b[off..off + 8].try_into().expect("8 bytes"))
}

/// Bytes up to the first NUL.
fn until_nul(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |n| &b[..n])
}

/// An array of `struct iovec`. With `out = Some(n)`, only the first `n`
/// bytes (what the kernel wrote) are shown, spread over the vectors in order.
pub(super) fn iovecs(mem: &dyn UserMemory, addr: u64, count: u64, out: Option<u64>) -> String {
    if addr == 0 {
        return "NULL".to_string();
    }
    let shown = count.min(ARRAY_LIMIT as u64);
    let mut left = out;
    let mut parts = Vec::new();
    for i in 0..shown {
        let Some(b) = read::<16>(mem, addr.wrapping_add(16 * i)) else {
            return ptr(addr);
        };
        let (base, len) = (u64_at(&b, 0), u64_at(&b, 8));
        let data = match left.as_mut() {
            None => len,
            Some(left) => {
                let n = len.min(*left);
                *left -= n;
                n
            }
        };
        parts.push(format!("{{iov_base={}, iov_len={len}}}", buffer(mem, base, data)));
    }
    if count > shown {
        parts.push("...".to_string());
    }
    format!("[{}]", parts.join(", "))
}

/// A NULL-terminated string array: `["ls", "-l"]`.
pub(super) fn str_vec(mem: &dyn UserMemory, addr: u64) -> String {
    if addr == 0 {
        return "NULL".to_string();
    }
    let mut parts = Vec::new();
    for i in 0..=ARRAY_LIMIT as u64 {
        let Ok(p) = mem.read_u64(addr.wrapping_add(8 * i)) else {
            if i == 0 {
                return ptr(addr);
            }
            parts.push("...".to_string());
            break;
        };
        if p == 0 {
            break;
        }
        if i == ARRAY_LIMIT as u64 {
            parts.push("...".to_string());
            break;
        }
        parts.push(string(mem, p, STRING_LIMIT));
    }
    format!("[{}]", parts.join(", "))
}

/// An environment array, shown by count: `0x7ffd... /* 23 vars */`.
pub(super) fn env_vec(mem: &dyn UserMemory, addr: u64) -> String {
    if addr == 0 {
        return "NULL".to_string();
    }
    let mut n = 0;
    while n < ENV_LIMIT {
        match mem.read_u64(addr.wrapping_add(8 * n)) {
            Ok(0) => break,
            Ok(_) => n += 1,
            Err(_) if n == 0 => return ptr(addr),
            Err(_) => break,
        }
    }
    format!("{} /* {n} vars */", ptr(addr))
}

/// A 64-bit signal set: `[INT TERM]`.
pub(super) fn sigset(mem: &dyn UserMemory, addr: u64) -> String {
    with::<8>(mem, addr, |b| flags::sigset(u64_at(b, 0)))
}

/// A kernel `struct sigaction` (handler, flags, restorer, mask).
pub(super) fn sigaction(mem: &dyn UserMemory, addr: u64) -> String {
    with::<32>(mem, addr, |b| {
        let handler = match u64_at(b, 0) {
            0 => "SIG_DFL".to_string(),
            1 => "SIG_IGN".to_string(),
            h => hex(h),
        };
        let sa_flags = u64_at(b, 8);
        let mut s = format!(
            "{{sa_handler={handler}, sa_mask={}, sa_flags={}",
            flags::sigset(u64_at(b, 24)),
            flags::flags(sa_flags, &flags::SA)
        );
        if sa_flags & flags::SA_RESTORER != 0 {
            s.push_str(&format!(", sa_restorer={}", ptr(u64_at(b, 16))));
        }
        s.push('}');
        s
    })
}

/// A `struct timespec` or `struct timeval`; `sub` names the second field.
pub(super) fn timespec(mem: &dyn UserMemory, addr: u64, sub: &str) -> String {
    with::<16>(mem, addr, |b| {
        let (sec, frac) = (u64_at(b, 0) as i64, u64_at(b, 8) as i64);
        format!("{{tv_sec={sec}, {sub}={frac}}}")
    })
}

/// One resource limit value, with strace's `8192*1024` shorthand.
fn limit(v: u64) -> String {
    match v {
        u64::MAX => "RLIM64_INFINITY".to_string(),
        v if v > 0 && v % 1024 == 0 => format!("{}*1024", v / 1024),
        v => v.to_string(),
    }
}

/// A `struct rlimit`.
pub(super) fn rlimit(mem: &dyn UserMemory, addr: u64) -> String {
    with::<16>(mem, addr, |b| format!("{{rlim_cur={}, rlim_max={}}}", limit(u64_at(b, 0)), limit(u64_at(b, 8))))
}

/// A wait status: `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`.
pub(super) fn wait_status(mem: &dyn UserMemory, addr: u64) -> String {
    with::<4>(mem, addr, |b| {
        let s = u32_at(b, 0) as u64;
        let mut event = String::new();
        let body = if s & 0x7f == 0 {
            format!("WIFEXITED(s) && WEXITSTATUS(s) == {}", (s >> 8) & 0xff)
        } else if s & 0xff == 0x7f {
            if s >> 16 != 0 {
                event = format!(" | {} << 16", s >> 16);
            }
            let stop = flags::signal((s >> 8) & 0xff);
            format!("WIFSTOPPED(s) && WSTOPSIG(s) == {stop}")
        } else if s == 0xffff {
            "WIFCONTINUED(s)".to_string()
        } else {
            let core = if s & 0x80 != 0 { " && WCOREDUMP(s)" } else { "" };
            let sig = flags::signal(s & 0x7f);
            format!("WIFSIGNALED(s) && WTERMSIG(s) == {sig}{core}")
        };
        format!("[{{{body}}}{event}]")
    })
}

/// A socket address of `len` bytes.
pub(super) fn sockaddr(mem: &dyn UserMemory, addr: u64, len: u64) -> String {
    if addr == 0 {
        return "NULL".to_string();
    }
    let len = len.min(128) as usize;
    let mut b = vec![0u8; len];
    if len < 2 || mem.read_bytes(addr, &mut b).is_err() {
        return ptr(addr);
    }
    let family = u16_at(&b, 0) as u64;
    let fam = flags::value(family, flags::AF);
    let rest = match family as i32 {
        libc::AF_UNIX if len == 2 => String::new(),
        libc::AF_UNIX if b[2] == 0 => format!(", sun_path=@{}", quote(&b[3..], false)),
        libc::AF_UNIX => format!(", sun_path={}", quote(until_nul(&b[2..]), false)),
        libc::AF_INET if len >= 8 => format!(
            ", sin_port=htons({}), sin_addr=inet_addr(\"{}\")",
            u16::from_be_bytes([b[2], b[3]]),
            Ipv4Addr::new(b[4], b[5], b[6], b[7])
        ),
        libc::AF_INET6 if len >= 24 => {
            let ip: [u8; 16] = b[8..24].try_into().expect("16 bytes");
            let scope = if len >= 28 { u32_at(&b, 24) } else { 0 };
            format!(
                ", sin6_port=htons({}), sin6_flowinfo=htonl({}), \
                 inet_pton(AF_INET6, \"{}\", &sin6_addr), sin6_scope_id={scope}",
                u16::from_be_bytes([b[2], b[3]]),
                u32::from_be_bytes(b[4..8].try_into().expect("4 bytes")),
                Ipv6Addr::from(ip)
            )
        }
        libc::AF_NETLINK if len >= 12 => format!(", nl_pid={}, nl_groups={:08x}", u32_at(&b, 4), u32_at(&b, 8)),
        _ => format!(", sa_data={}", quote(&b[2..len.min(16)], false)),
    };
    format!("{{sa_family={fam}{rest}}}")
}

/// A `struct stat`: type and permissions, then size or device.
pub(super) fn stat(mem: &dyn UserMemory, addr: u64) -> String {
    with::<144>(mem, addr, |b| {
        let mode = u32_at(b, 24) as u64;
        let kind = mode & libc::S_IFMT as u64;
        let mode_s = match flags::lookup(kind, flags::FILE_TYPES) {
            Some(name) => format!("{name}|{}", octal(mode & 0o7777)),
            None => octal(mode),
        };
        if kind == libc::S_IFCHR as u64 || kind == libc::S_IFBLK as u64 {
            let dev = u64_at(b, 40);
            let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
            let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
            format!("{{st_mode={mode_s}, st_rdev=makedev({major:#x}, {minor}), ...}}")
        } else {
            let size = u64_at(b, 48) as i64;
            format!("{{st_mode={mode_s}, st_size={size}, ...}}")
        }
    })
}

/// A `struct utsname`: the first two fields.
pub(super) fn utsname(mem: &dyn UserMemory, addr: u64) -> String {
    with::<130>(mem, addr, |b| {
        format!(
            "{{sysname={}, nodename={}, ...}}",
            quote(until_nul(&b[..65]), false),
            quote(until_nul(&b[65..]), false)
        )
    })
}

/// Two ints: `[3, 4]` (pipe, socketpair).
pub(super) fn int_pair(mem: &dyn UserMemory, addr: u64) -> String {
    with::<8>(mem, addr, |b| format!("[{}, {}]", u32_at(b, 0) as i32, u32_at(b, 4) as i32))
}

/// One int behind a pointer: `[0]`.
fn int_ptr(mem: &dyn UserMemory, addr: u64) -> String {
    with::<4>(mem, addr, |b| format!("[{}]", u32_at(b, 0) as i32))
}

/// A getdents buffer of `len` valid bytes, shown by entry count.
pub(super) fn dirents(mem: &dyn UserMemory, addr: u64, len: u64) -> String {
    let mut b = vec![0u8; len.min(DIRENT_LIMIT) as usize];
    if mem.read_bytes(addr, &mut b).is_err() {
        return ptr(addr);
    }
    // Both dirent layouts keep d_reclen at offset 16.
    let (mut off, mut n) = (0usize, 0);
    while off + 18 <= b.len() {
        let reclen = u16_at(&b, off + 16) as usize;
        if reclen == 0 {
            break;
        }
        n += 1;
        off += reclen;
    }
    format!("{} /* {n} entries */", ptr(addr))
}

/// A `struct open_how` (flags, mode, resolve).
pub(super) fn open_how(mem: &dyn UserMemory, addr: u64) -> String {
    with::<24>(mem, addr, |b| {
        format!(
            "{{flags={}, mode={}, resolve={}}}",
            flags::flags(u64_at(b, 0), &flags::OPEN),
            octal(u64_at(b, 8)),
            flags::flags(u64_at(b, 16), &flags::RESOLVE)
        )
    })
}

/// A `struct winsize`.
fn winsize(mem: &dyn UserMemory, addr: u64) -> String {
    with::<8>(mem, addr, |b| {
        format!(
            "{{ws_row={}, ws_col={}, ws_xpixel={}, ws_ypixel={}}}",
            u16_at(b, 0),
            u16_at(b, 2),
            u16_at(b, 4),
            u16_at(b, 6)
        )
    })
}

/// A `struct termios`, abbreviated like strace: `{B38400 opost isig icanon echo ...}`.
fn termios(mem: &dyn UserMemory, addr: u64) -> String {
    with::<16>(mem, addr, |b| {
        let (oflag, cflag, lflag) = (u32_at(b, 4), u32_at(b, 8), u32_at(b, 12));
        let speed = cflag as u64 & libc::CBAUD as u64;
        let speed = flags::lookup(speed, flags::BAUD).map_or_else(|| hex(speed), str::to_string);
        let on = |set: bool, name: &str| format!("{}{name}", if set { "" } else { "-" });
        format!(
            "{{{speed} {} {} {} {} ...}}",
            on(oflag & libc::OPOST != 0, "opost"),
            on(lflag & libc::ISIG != 0, "isig"),
            on(lflag & libc::ICANON != 0, "icanon"),
            on(lflag & libc::ECHO != 0, "echo")
        )
    })
}

/// ioctl's third argument as request `req` reads it; `None` for requests
/// that take none. `ok` says whether the call succeeded (so output may be read).
pub(super) fn ioctl_arg(mem: &dyn UserMemory, req: u64, v: u64, ok: bool) -> Option<String> {
    let out = |f: fn(&dyn UserMemory, u64) -> String| if ok { f(mem, v) } else { ptr(v) };
    Some(match flags::lookup(req, flags::IOCTL).unwrap_or("") {
        "FIOCLEX" | "FIONCLEX" | "TIOCNOTTY" | "TIOCEXCL" | "TIOCNXCL" | "TIOCCONS" | "TIOCSBRK" | "TIOCCBRK"
        | "TIOCVHANGUP" => return None,
        "TIOCGWINSZ" => out(winsize),
        "TIOCSWINSZ" => winsize(mem, v),
        "TCGETS" => out(termios),
        "TCSETS" | "TCSETSW" | "TCSETSF" => termios(mem, v),
        "TIOCGPGRP" | "FIONREAD" | "TIOCOUTQ" | "TIOCGSID" | "TIOCGPTN" | "TIOCGETD" | "TIOCGPKT" | "TIOCGPTLCK"
        | "TIOCGEXCL" | "TIOCMGET" | "TIOCGDEV" => out(int_ptr),
        "TIOCSPGRP" | "TIOCSPTLCK" | "FIONBIO" | "FIOASYNC" | "TIOCSETD" | "TIOCPKT" | "TIOCMBIS" | "TIOCMBIC"
        | "TIOCMSET" => int_ptr(mem, v),
        "TCSBRK" | "TCXONC" | "TCFLSH" | "TIOCSCTTY" | "TCSBRKP" | "TIOCGPTPEER" => (v as i32).to_string(),
        "TIOCSIG" => flags::signal(v),
        "TIOCSTI" => buffer(mem, v, 1),
        _ => ptr(v),
    })
}

/// futex's arguments after the operation, as operation `op` reads them;
/// `None` for an argument the operation ignores.
pub(super) fn futex_arg(mem: &dyn UserMemory, kind: Arg, op: u64, v: u64) -> Option<String> {
    use libc::{
        FUTEX_CMP_REQUEUE, FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_REQUEUE, FUTEX_TRYLOCK_PI,
        FUTEX_UNLOCK_PI, FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_WAKE_BITSET, FUTEX_WAKE_OP,
    };
    let cmd = (op & flags::FUTEX_CMD_MASK) as i32;
    Some(match kind {
        Arg::FutexVal => match cmd {
            FUTEX_UNLOCK_PI | FUTEX_TRYLOCK_PI => return None,
            _ => (v as i32).to_string(),
        },
        Arg::FutexTimeout => match cmd {
            FUTEX_WAIT | FUTEX_LOCK_PI | FUTEX_LOCK_PI2 | FUTEX_WAIT_BITSET | FUTEX_WAIT_REQUEUE_PI => {
                timespec(mem, v, "tv_nsec")
            }
            FUTEX_REQUEUE | FUTEX_CMP_REQUEUE | FUTEX_WAKE_OP | FUTEX_CMP_REQUEUE_PI => (v as u32).to_string(),
            _ => return None,
        },
        Arg::FutexAddr2 => match cmd {
            FUTEX_REQUEUE | FUTEX_CMP_REQUEUE | FUTEX_WAKE_OP | FUTEX_WAIT_REQUEUE_PI | FUTEX_CMP_REQUEUE_PI => ptr(v),
            _ => return None,
        },
        Arg::FutexVal3 => match cmd {
            FUTEX_CMP_REQUEUE | FUTEX_CMP_REQUEUE_PI => (v as i32).to_string(),
            FUTEX_WAKE_OP => hex(v as u32 as u64),
            FUTEX_WAIT_BITSET | FUTEX_WAKE_BITSET if v as u32 == u32::MAX => "FUTEX_BITSET_MATCH_ANY".to_string(),
            FUTEX_WAIT_BITSET | FUTEX_WAKE_BITSET => hex(v as u32 as u64),
            _ => return None,
        },
        _ => hex(v),
    })
}
