//! strace-style formatting of finished system calls.
//!
//! [`format_call`] turns a syscall number, its six raw arguments and its raw
//! result into one line such as
//! `openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3`. How each
//! argument prints comes from the ABI table in
//! [`crate::kernel::syscalls::abi`]; this module only knows how to show each
//! kind. Pointers are followed through [`UserMemory`]: strings and buffers
//! print quoted and escaped like strace, cut at [`STRING_LIMIT`] bytes, and a
//! pointer that cannot be read prints as a bare address.
//!
//! Memory the kernel writes (read's buffer, fstat's struct) is decoded only
//! when the call succeeded, so the caller must format after the call.

mod errors;
mod flags;
pub mod sink;
mod structs;

use crate::kernel::errno::Errno;
use crate::kernel::mm::usermem::{UserMemory, PATH_MAX};
use crate::kernel::syscalls::abi::{self, Arg, Ret};

/// How many bytes of a string or buffer are shown before `...` (strace's `-s 32`).
pub const STRING_LIMIT: usize = 32;

/// Formats one finished call as `name(decoded args) = result`, the way
/// strace prints it.
///
/// `ret` is the raw value of `rax` after the call: -4095..=-1 is an errno.
/// Unknown numbers print as `syscall_NNN(0x..., ...)` with all six arguments.
pub fn format_call(nr: u64, args: &[u64; 6], ret: i64, mem: &dyn UserMemory) -> String {
    let cx = Call { args, ret, mem, pending: false };
    format!("{} = {}", cx.head(nr), cx.result(nr))
}

/// Formats a call still being served as `name(decoded args)`: what it
/// reads is decoded, what it writes shows as addresses (as strace's
/// `<unfinished ...>` lines).
pub fn format_pending(nr: u64, args: &[u64; 6], mem: &dyn UserMemory) -> String {
    Call { args, ret: 0, mem, pending: true }.head(nr)
}

/// Completes a line begun by [`format_pending`] before the call (for
/// calls such as execve that replace the memory their arguments were in).
pub fn format_finished(head: &str, nr: u64, args: &[u64; 6], ret: i64, mem: &dyn UserMemory) -> String {
    format!("{head} = {}", Call { args, ret, mem, pending: false }.result(nr))
}

/// The name of syscall `nr` (`read`), or `syscall_NNN`.
pub fn syscall_name(nr: u64) -> String {
    abi::abi(nr).map_or_else(|| format!("syscall_{nr}"), |a| a.name.to_string())
}

/// A signal's name: `SIGINT`, `SIGRTMIN`, `SIGRT_3`.
pub fn signal_name(sig: i32) -> String {
    flags::signal(sig as u64)
}

/// The signals of a set by name, space-separated (`SIGINT SIGTERM`).
pub fn signal_names(set: u64) -> String {
    (1..=64).filter(|s| set & (1u64 << (s - 1)) != 0).map(signal_name).collect::<Vec<_>>().join(" ")
}

/// A signal set as strace prints it: `[INT TERM]`, `~[RTMIN RT_1]`.
pub fn sigset(set: u64) -> String {
    flags::sigset(set)
}

/// `SA_*` flags of a sigaction (`SA_RESTORER|SA_RESTART`, or `0`).
pub fn sa_flags(flags: u64) -> String {
    flags::flags(flags, &flags::SA)
}

/// Open-file flags (`O_RDWR|O_APPEND`).
pub fn open_flags(flags: u64) -> String {
    flags::flags(flags, &flags::OPEN)
}

/// A resource limit's name (`RLIMIT_NOFILE`).
pub fn rlimit_name(res: u32) -> String {
    flags::value(res as u64, flags::RLIMIT)
}

/// The errno in a raw result, if it is one.
fn errno_of(ret: i64) -> Option<i32> {
    (-4095..=-1).contains(&ret).then(|| -ret as i32)
}

/// The text after `= `: the value, or `-1 ENOENT (No such file or directory)`.
fn result(kind: Ret, ret: i64) -> String {
    if let Some(e) = errno_of(ret) {
        let lead = if errors::is_restart(e) { "?" } else { "-1" };
        return match (Errno(e).name(), errors::message(e)) {
            (Some(name), Some(msg)) => format!("{lead} {name} ({msg})"),
            (Some(name), None) => format!("{lead} {name}"),
            _ => format!("{lead} errno {e} (Unknown error {e})"),
        };
    }
    match kind {
        Ret::Int => ret.to_string(),
        Ret::Hex => hex(ret as u64),
        // strace shows a returned mode with `%#o`: `02`, `022`.
        Ret::Octal if ret == 0 => "0".to_string(),
        Ret::Octal => format!("0{ret:o}"),
        Ret::NoReturn => "?".to_string(),
    }
}

/// A number in C's `%#x`: `0` for zero, else `0x...`.
fn hex(v: u64) -> String {
    if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    }
}

/// An address: `NULL` for zero, else hex.
fn ptr(v: u64) -> String {
    if v == 0 {
        "NULL".to_string()
    } else {
        format!("{v:#x}")
    }
}

/// A mode in C's `%#03o`: `000`, `022`, `0644`.
fn octal(v: u64) -> String {
    let s = if v == 0 { "0".to_string() } else { format!("0{v:o}") };
    format!("{s:0>3}")
}

/// Quotes bytes the way strace does: printable ASCII as is, C escapes for
/// `\t\n\v\f\r"\\`, octal for the rest (three digits only when a digit
/// follows). `more` appends `...` after the closing quote.
fn quote(bytes: &[u8], more: bool) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            0x0b => s.push_str("\\v"),
            0x0c => s.push_str("\\f"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let next_is_octal = matches!(bytes.get(i + 1), Some(b'0'..=b'7'));
                if next_is_octal {
                    s.push_str(&format!("\\{b:03o}"));
                } else {
                    s.push_str(&format!("\\{b:o}"));
                }
            }
        }
    }
    s.push('"');
    if more {
        s.push_str("...");
    }
    s
}

/// A NUL-terminated string at `addr`, cut at `limit` bytes; `NULL` or the
/// bare address when it cannot be read.
fn string(mem: &dyn UserMemory, addr: u64, limit: usize) -> String {
    if addr == 0 {
        return "NULL".to_string();
    }
    match mem.read_cstring(addr, limit) {
        Ok(s) => quote(&s, false),
        Err(e) if e == Errno::ENAMETOOLONG => {
            let mut buf = vec![0u8; limit];
            match mem.read_bytes(addr, &mut buf) {
                Ok(()) => quote(&buf, true),
                Err(_) => ptr(addr),
            }
        }
        Err(_) => ptr(addr),
    }
}

/// `len` bytes at `addr`, showing at most [`STRING_LIMIT`] of them.
fn buffer(mem: &dyn UserMemory, addr: u64, len: u64) -> String {
    if addr == 0 {
        return "NULL".to_string();
    }
    let shown = len.min(STRING_LIMIT as u64) as usize;
    let mut buf = vec![0u8; shown];
    match mem.read_bytes(addr, &mut buf) {
        Ok(()) => quote(&buf, len > shown as u64),
        Err(_) => ptr(addr),
    }
}

/// One call being formatted.
struct Call<'a> {
    args: &'a [u64; 6],
    ret: i64,
    mem: &'a dyn UserMemory,
    /// Not finished yet: `ret` means nothing.
    pending: bool,
}

impl Call<'_> {
    /// `name(decoded args)`.
    fn head(&self, nr: u64) -> String {
        let Some(abi) = abi::abi(nr) else {
            let raw: Vec<String> = self.args.iter().map(|&a| hex(a)).collect();
            return format!("syscall_{nr}({})", raw.join(", "));
        };
        let shown: Vec<String> = abi.args.iter().enumerate().filter_map(|(i, &kind)| self.arg(i, kind)).collect();
        format!("{}({})", abi.name, shown.join(", "))
    }

    /// The text after `= `.
    fn result(&self, nr: u64) -> String {
        match abi::abi(nr) {
            Some(abi) => self.fcntl_result(abi.name).unwrap_or_else(|| result(abi.ret, self.ret)),
            None => result(Ret::Int, self.ret),
        }
    }

    /// Whether the call succeeded, so memory it writes may be decoded.
    fn ok(&self) -> bool {
        !self.pending && errno_of(self.ret).is_none()
    }

    /// An out-parameter: decoded with `f` after success, else its address.
    fn out(&self, addr: u64, f: impl FnOnce() -> String) -> String {
        if addr != 0 && self.ok() {
            f()
        } else {
            ptr(addr)
        }
    }

    /// Argument `i` printed as `kind`, or `None` when strace leaves it out
    /// (a mode without `O_CREAT`, a futex argument the operation ignores).
    fn arg(&self, i: usize, kind: Arg) -> Option<String> {
        let v = self.args[i];
        let mem = self.mem;
        let a = self.args;
        Some(match kind {
            Arg::Int => (v as i32).to_string(),
            Arg::Long => (v as i64).to_string(),
            Arg::UInt => v.to_string(),
            Arg::Hex => hex(v),
            Arg::Ptr => ptr(v),
            Arg::Fd => (v as i32).to_string(),
            Arg::DirFd if v as i32 == libc::AT_FDCWD => "AT_FDCWD".to_string(),
            Arg::DirFd => (v as i32).to_string(),
            Arg::Path => string(mem, v, PATH_MAX),
            Arg::Str => string(mem, v, STRING_LIMIT),
            Arg::BufIn(len) => buffer(mem, v, a[len]),
            Arg::BufOut(_) => self.out(v, || buffer(mem, v, self.ret as u64)),
            Arg::CStrOut => self.out(v, || string(mem, v, PATH_MAX)),
            Arg::IovecIn(n) => structs::iovecs(mem, v, a[n], None),
            Arg::IovecOut(n) => self.out(v, || structs::iovecs(mem, v, a[n], Some(self.ret as u64))),
            Arg::StrVec => structs::str_vec(mem, v),
            Arg::EnvVec => structs::env_vec(mem, v),
            Arg::OpenFlags => flags::flags(v, &flags::OPEN),
            Arg::OpenMode(f) => {
                // O_TMPFILE without its O_DIRECTORY bit.
                let creates = (libc::O_CREAT | (libc::O_TMPFILE & !libc::O_DIRECTORY)) as u64;
                if a[f] & creates == 0 {
                    return None;
                }
                octal(v & 0o7777)
            }
            Arg::FdFlags => flags::flags(v, &flags::FD),
            Arg::Mode => octal(v as u32 as u64),
            Arg::AccessMode => flags::flags(v, &flags::ACCESS),
            Arg::AtFlags => flags::flags(v, &flags::AT),
            Arg::AccessAtFlags => flags::flags(v, &flags::AT_ACCESS),
            Arg::MmapProt => flags::flags(v, &flags::PROT),
            Arg::MmapFlags => flags::flags(v, &flags::MAP),
            Arg::MremapFlags => flags::flags(v, &flags::MREMAP),
            Arg::MremapAddr if a[3] & libc::MREMAP_FIXED as u64 == 0 => return None,
            Arg::MremapAddr => ptr(v),
            Arg::MsyncFlags => flags::flags(v, &flags::MSYNC),
            Arg::Madvise => flags::value(v, flags::MADVISE),
            Arg::Signal => flags::signal(v),
            Arg::SigSet => structs::sigset(mem, v),
            Arg::SigSetOut => self.out(v, || structs::sigset(mem, v)),
            Arg::SigHow => flags::value(v, flags::SIG_HOW),
            Arg::SigAction => structs::sigaction(mem, v),
            Arg::SigActionOut => self.out(v, || structs::sigaction(mem, v)),
            Arg::Whence => flags::value(v, flags::WHENCE),
            Arg::CloneFlags => flags::clone_flags(v),
            Arg::Ioctl => flags::lookup(v as u32 as u64, flags::IOCTL).map_or_else(|| hex(v), str::to_string),
            Arg::IoctlArg(req) => return structs::ioctl_arg(mem, a[req] as u32 as u64, v, self.ok()),
            Arg::FcntlCmd => flags::value(v, flags::FCNTL),
            Arg::FcntlArg(cmd) => return fcntl_arg(a[cmd] as i32, v),
            Arg::ArchPrctl => flags::value(v, flags::ARCH_PRCTL),
            Arg::FutexOp => flags::futex_op(v),
            Arg::FutexVal | Arg::FutexTimeout | Arg::FutexAddr2 | Arg::FutexVal3 => {
                return structs::futex_arg(mem, kind, a[1], v)
            }
            Arg::PrctlOp => flags::value(v, flags::PRCTL),
            Arg::PrctlArg(pos) => return self.prctl_arg(a[0] as i32, pos, v),
            Arg::RlimitResource => flags::value(v, flags::RLIMIT),
            Arg::Rlimit => structs::rlimit(mem, v),
            Arg::RlimitOut => self.out(v, || structs::rlimit(mem, v)),
            Arg::WaitOptions => flags::flags(v, &flags::WAIT),
            Arg::WaitStatus if self.ok() && self.ret > 0 && v != 0 => structs::wait_status(mem, v),
            Arg::WaitStatus => ptr(v),
            Arg::ClockId => flags::value(v, flags::CLOCK),
            Arg::Timespec => structs::timespec(mem, v, "tv_nsec"),
            Arg::TimespecOut => self.out(v, || structs::timespec(mem, v, "tv_nsec")),
            Arg::Timeval => structs::timespec(mem, v, "tv_usec"),
            Arg::SockDomain => flags::value(v, flags::AF),
            Arg::SockType => flags::flags(v, &flags::SOCK_TYPE),
            Arg::SockFlags => flags::flags(v, &flags::SOCK_FLAGS),
            Arg::MsgFlags => flags::flags(v, &flags::MSG),
            Arg::Sockaddr(len) => structs::sockaddr(mem, v, a[len]),
            Arg::Shutdown => flags::value(v, flags::SHUTDOWN),
            Arg::EpollCtlOp => flags::value(v, flags::EPOLL_CTL),
            Arg::FlockOp => flags::flags(v, &flags::FLOCK),
            Arg::Fadvise => flags::value(v, flags::FADVISE),
            Arg::GetrandomFlags => flags::flags(v, &flags::GRND),
            Arg::MemfdFlags => flags::flags(v, &flags::MFD),
            Arg::Stat => self.out(v, || structs::stat(mem, v)),
            Arg::Utsname => self.out(v, || structs::utsname(mem, v)),
            Arg::PipeFds => self.out(v, || structs::int_pair(mem, v)),
            Arg::Dirents => self.out(v, || structs::dirents(mem, v, self.ret as u64)),
            Arg::OpenHow => structs::open_how(mem, v),
        })
    }

    /// fcntl's F_GETFD and F_GETFL results, which strace decodes:
    /// `0x8002 (flags O_RDWR|O_LARGEFILE)`.
    /// prctl's argument `pos` (1-4) as option `op` reads it; `None` for
    /// the ones it ignores (strace leaves them out).
    fn prctl_arg(&self, op: i32, pos: usize, v: u64) -> Option<String> {
        const PR_SET_CHILD_SUBREAPER: i32 = 36;
        const PR_GET_CHILD_SUBREAPER: i32 = 37;
        const PR_SET_NO_NEW_PRIVS: i32 = 38;
        let first = pos == 1;
        match op {
            libc::PR_SET_NAME if first => Some(string(self.mem, v, 16)),
            libc::PR_GET_NAME if first => Some(self.out(v, || string(self.mem, v, 16))),
            libc::PR_SET_PDEATHSIG if first => Some(flags::signal(v)),
            libc::PR_GET_PDEATHSIG | PR_GET_CHILD_SUBREAPER if first => Some(ptr(v)),
            libc::PR_SET_DUMPABLE | libc::PR_SET_KEEPCAPS | libc::PR_SET_TIMERSLACK | PR_SET_CHILD_SUBREAPER
                if first =>
            {
                Some(v.to_string())
            }
            libc::PR_SET_NAME
            | libc::PR_GET_NAME
            | libc::PR_SET_PDEATHSIG
            | libc::PR_GET_PDEATHSIG
            | PR_GET_CHILD_SUBREAPER
            | libc::PR_SET_DUMPABLE
            | libc::PR_SET_KEEPCAPS
            | libc::PR_SET_TIMERSLACK
            | PR_SET_CHILD_SUBREAPER
            | libc::PR_GET_DUMPABLE
            | libc::PR_GET_KEEPCAPS
            | libc::PR_GET_TIMERSLACK
            | libc::PR_GET_NO_NEW_PRIVS => None,
            PR_SET_NO_NEW_PRIVS => Some(v.to_string()),
            _ => Some(hex(v)),
        }
    }

    fn fcntl_result(&self, name: &str) -> Option<String> {
        if name != "fcntl" || !self.ok() {
            return None;
        }
        let v = self.ret as u64;
        match self.args[1] as i32 {
            libc::F_GETFD if v != 0 => Some(format!("{v} (flags {})", flags::flags(v, &flags::FD_FLAGS))),
            libc::F_GETFL => Some(format!("{} (flags {})", hex(v), flags::flags(v, &flags::OPEN))),
            _ => None,
        }
    }
}

/// fcntl's third argument, as the command reads it; `None` for commands
/// that take none.
fn fcntl_arg(cmd: i32, v: u64) -> Option<String> {
    Some(match cmd {
        libc::F_GETFD
        | libc::F_GETFL
        | libc::F_GETOWN
        | flags::F_GETSIG
        | libc::F_GETLEASE
        | libc::F_GETPIPE_SZ
        | libc::F_GET_SEALS => return None,
        libc::F_SETFD => flags::flags(v, &flags::FD_FLAGS),
        libc::F_SETFL => flags::flags(v, &flags::OPEN),
        flags::F_SETSIG => flags::signal(v),
        libc::F_DUPFD | libc::F_DUPFD_CLOEXEC | libc::F_SETOWN | libc::F_SETLEASE | libc::F_SETPIPE_SZ => {
            (v as i32).to_string()
        }
        libc::F_NOTIFY | libc::F_ADD_SEALS => hex(v),
        _ => ptr(v),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Application memory: `PAGES` zeroed pages mapped at `BASE`, filled
    /// from the front by `put`; everything else faults.
    struct FakeMem {
        bytes: RefCell<Vec<u8>>,
        used: std::cell::Cell<usize>,
    }

    const BASE: u64 = 0x10_0000;
    const PAGES: usize = 4;

    impl FakeMem {
        fn new() -> FakeMem {
            FakeMem { bytes: RefCell::new(vec![0; PAGES * 4096]), used: std::cell::Cell::new(0) }
        }

        /// Places `data` at the next 8-aligned address and returns it.
        fn put(&self, data: &[u8]) -> u64 {
            let at = self.used.get().next_multiple_of(8);
            self.bytes.borrow_mut()[at..at + data.len()].copy_from_slice(data);
            self.used.set(at + data.len());
            BASE + at as u64
        }

        /// Places a NUL-terminated string.
        fn put_str(&self, s: &str) -> u64 {
            let mut v = s.as_bytes().to_vec();
            v.push(0);
            self.put(&v)
        }

        /// Places 64-bit words.
        fn put_words(&self, words: &[u64]) -> u64 {
            let v: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
            self.put(&v)
        }

        fn range(&self, addr: u64, len: usize) -> Result<std::ops::Range<usize>, Errno> {
            let start = addr.checked_sub(BASE).ok_or(Errno::EFAULT)? as usize;
            let end = start.checked_add(len).ok_or(Errno::EFAULT)?;
            if end > self.bytes.borrow().len() {
                return Err(Errno::EFAULT);
            }
            Ok(start..end)
        }
    }

    impl UserMemory for FakeMem {
        fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
            let r = self.range(addr, buf.len())?;
            buf.copy_from_slice(&self.bytes.borrow()[r]);
            Ok(())
        }

        fn write_bytes(&self, addr: u64, buf: &[u8]) -> Result<(), Errno> {
            let r = self.range(addr, buf.len())?;
            self.bytes.borrow_mut()[r].copy_from_slice(buf);
            Ok(())
        }
    }

    fn nr(name: &str) -> u64 {
        abi::number(name).expect(name)
    }

    fn call(mem: &FakeMem, name: &str, args: &[u64], ret: i64) -> String {
        let mut a = [0u64; 6];
        a[..args.len()].copy_from_slice(args);
        format_call(nr(name), &a, ret, mem)
    }

    const AT_FDCWD: u64 = libc::AT_FDCWD as i64 as u64;

    fn err(e: Errno) -> i64 {
        -(e.0 as i64)
    }

    #[test]
    fn openat_lines() {
        let m = FakeMem::new();
        let p = m.put_str("/etc/passwd");
        let fl = (libc::O_RDONLY | libc::O_CLOEXEC) as u64;
        assert_eq!(
            call(&m, "openat", &[AT_FDCWD, p, fl, 0o777], 3),
            r#"openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3"#
        );
        let fl = (libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC) as u64;
        assert_eq!(
            call(&m, "openat", &[AT_FDCWD, p, fl, 0o644], 4),
            r#"openat(AT_FDCWD, "/etc/passwd", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4"#
        );
        assert_eq!(
            call(&m, "openat", &[AT_FDCWD, p, 0, 0], err(Errno::ENOENT)),
            r#"openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = -1 ENOENT (No such file or directory)"#
        );
    }

    #[test]
    fn read_and_write_buffers() {
        let m = FakeMem::new();
        let mut passwd = b"root:x:0:0:root:/root:/bin/bash\n".to_vec();
        passwd.resize(1500, b'x');
        let buf = m.put(&passwd);
        assert_eq!(
            call(&m, "read", &[3, buf, 4096], 1500),
            r#"read(3, "root:x:0:0:root:/root:/bin/bash\n"..., 4096) = 1500"#
        );
        assert_eq!(
            call(&m, "read", &[0, buf, 4096], err(Errno::EAGAIN)),
            format!("read(0, {buf:#x}, 4096) = -1 EAGAIN (Resource temporarily unavailable)")
        );
        assert_eq!(
            call(&m, "read", &[0, buf, 10], -512),
            format!("read(0, {buf:#x}, 10) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)")
        );
        let hi = m.put(b"hi\n");
        assert_eq!(call(&m, "write", &[1, hi, 3], 3), r#"write(1, "hi\n", 3) = 3"#);
        assert_eq!(
            call(&m, "write", &[1, 0xdead_0000, 3], err(Errno::EFAULT)),
            "write(1, 0xdead0000, 3) = -1 EFAULT (Bad address)"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(b"\x7fELF\x02\x01\x01\x00\x00", false), r#""\177ELF\2\1\1\0\0""#);
        assert_eq!(quote(&[0, b'1'], false), r#""\0001""#);
        assert_eq!(quote(b"a\"b\\\t\r", true), r#""a\"b\\\t\r"..."#);
    }

    #[test]
    fn mmap_and_results() {
        let m = FakeMem::new();
        let prot = (libc::PROT_READ | libc::PROT_WRITE) as u64;
        let fl = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64;
        assert_eq!(
            call(&m, "mmap", &[0, 8192, prot, fl, u64::MAX, 0], 0x7f12_3456_7000),
            "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) \
             = 0x7f1234567000"
        );
        assert_eq!(call(&m, "brk", &[0], 0x55_0000), "brk(NULL) = 0x550000");
        assert_eq!(call(&m, "exit_group", &[0], 0), "exit_group(0) = ?");
        assert_eq!(call(&m, "umask", &[0o22], 0o2), "umask(022) = 02");
        assert_eq!(
            format_call(400, &[1, 0, 2, 3, 4, 5], err(Errno::ENOSYS), &m),
            "syscall_400(0x1, 0, 0x2, 0x3, 0x4, 0x5) = -1 ENOSYS (Function not implemented)"
        );
    }

    #[test]
    fn fcntl_and_ioctl() {
        let m = FakeMem::new();
        let getfl = libc::F_GETFL as u64;
        assert_eq!(call(&m, "fcntl", &[3, getfl, 0], 0x8002), "fcntl(3, F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE)");
        assert_eq!(call(&m, "fcntl", &[0, getfl], 0), "fcntl(0, F_GETFL) = 0 (flags O_RDONLY)");
        let setfd = libc::F_SETFD as u64;
        assert_eq!(call(&m, "fcntl", &[3, setfd, 1], 0), "fcntl(3, F_SETFD, FD_CLOEXEC) = 0");
        let ws = m.put(&[24, 0, 80, 0, 0, 0, 0, 0]);
        let req = libc::TIOCGWINSZ as u32 as u64;
        assert_eq!(
            call(&m, "ioctl", &[1, req, ws], 0),
            "ioctl(1, TIOCGWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}) = 0"
        );
        assert_eq!(
            call(&m, "ioctl", &[3, libc::TCGETS as u32 as u64, ws], err(Errno::ENOTTY)),
            format!("ioctl(3, TCGETS, {ws:#x}) = -1 ENOTTY (Inappropriate ioctl for device)")
        );
        assert_eq!(call(&m, "ioctl", &[3, libc::FIOCLEX as u32 as u64, 0], 0), "ioctl(3, FIOCLEX) = 0");
        let pgrp = m.put(&42i32.to_ne_bytes());
        assert_eq!(call(&m, "ioctl", &[0, libc::TIOCSPGRP as u32 as u64, pgrp], 0), "ioctl(0, TIOCSPGRP, [42]) = 0");
        assert_eq!(call(&m, "ioctl", &[0, 0x1234, 0], 0), "ioctl(0, 0x1234, NULL) = 0");
    }

    #[test]
    fn signals_and_futex() {
        let m = FakeMem::new();
        let empty = m.put_words(&[0]);
        assert_eq!(call(&m, "rt_sigprocmask", &[2, empty, 0, 8], 0), "rt_sigprocmask(SIG_SETMASK, [], NULL, 8) = 0");
        let act = m.put_words(&[1, 0x0400_0000 | 0x1000_0000, 0x7f00_0000_1000, 1 << 1]);
        assert_eq!(
            call(&m, "rt_sigaction", &[15, act, 0, 8], 0),
            "rt_sigaction(SIGTERM, {sa_handler=SIG_IGN, sa_mask=[INT], \
             sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f0000001000}, NULL, 8) = 0"
        );
        assert_eq!(call(&m, "kill", &[42, 2], 0), "kill(42, SIGINT) = 0");
        let word = m.put_words(&[0]);
        assert_eq!(call(&m, "futex", &[word, 129, 1], 1), format!("futex({word:#x}, FUTEX_WAKE_PRIVATE, 1) = 1"));
        assert_eq!(
            call(&m, "futex", &[word, 9 | 128 | 256, 0, 0, 0, 0xffff_ffff], err(Errno::EAGAIN)),
            format!(
                "futex({word:#x}, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, \
                 FUTEX_BITSET_MATCH_ANY) = -1 EAGAIN (Resource temporarily unavailable)"
            )
        );
    }

    #[test]
    fn structs_and_arrays() {
        let m = FakeMem::new();
        let path = m.put_str("/bin/ls");
        let (ls, l) = (m.put_str("ls"), m.put_str("-l"));
        let argv = m.put_words(&[ls, l, 0]);
        let envp = m.put_words(&[ls, l, 0]);
        assert_eq!(
            call(&m, "execve", &[path, argv, envp], 0),
            format!(r#"execve("/bin/ls", ["ls", "-l"], {envp:#x} /* 2 vars */) = 0"#)
        );
        let mut st = [0u8; 144];
        st[24..28].copy_from_slice(&(libc::S_IFREG | 0o644).to_ne_bytes());
        st[48..56].copy_from_slice(&1500i64.to_ne_bytes());
        let st = m.put(&st);
        assert_eq!(call(&m, "fstat", &[3, st], 0), "fstat(3, {st_mode=S_IFREG|0644, st_size=1500, ...}) = 0");
        let fds = m.put(&[3, 0, 0, 0, 4, 0, 0, 0]);
        let cloexec = libc::O_CLOEXEC as u64;
        assert_eq!(call(&m, "pipe2", &[fds, cloexec], 0), "pipe2([3, 4], O_CLOEXEC) = 0");
        let (a, b) = (m.put(b"hello"), m.put(b"\n"));
        let iov = m.put_words(&[a, 5, b, 1]);
        assert_eq!(
            call(&m, "writev", &[1, iov, 2], 6),
            r#"writev(1, [{iov_base="hello", iov_len=5}, {iov_base="\n", iov_len=1}], 2) = 6"#
        );
        assert_eq!(
            call(&m, "readv", &[0, iov, 2], 3),
            r#"readv(0, [{iov_base="hel", iov_len=5}, {iov_base="", iov_len=1}], 2) = 3"#
        );
        let status = m.put(&(3i32 << 8).to_ne_bytes());
        assert_eq!(
            call(&m, "wait4", &[u64::MAX, status, 0, 0], 77),
            "wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 77"
        );
        let killed = m.put(&9i32.to_ne_bytes());
        assert_eq!(
            call(&m, "wait4", &[77, killed, 1, 0], 77),
            "wait4(77, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], WNOHANG, NULL) = 77"
        );
    }

    #[test]
    fn sockets() {
        let m = FakeMem::new();
        let mut sin = vec![2u8, 0, 0, 80, 127, 0, 0, 1];
        sin.resize(16, 0);
        let sin = m.put(&sin);
        assert_eq!(
            call(&m, "connect", &[3, sin, 16], 0),
            concat!(
                r#"connect(3, {sa_family=AF_INET, sin_port=htons(80), "#,
                r#"sin_addr=inet_addr("127.0.0.1")}, 16) = 0"#
            )
        );
        let mut sun = vec![1u8, 0];
        sun.extend_from_slice(b"/tmp/sock\0");
        let sun = m.put(&sun);
        assert_eq!(call(&m, "bind", &[3, sun, 12], 0), r#"bind(3, {sa_family=AF_UNIX, sun_path="/tmp/sock"}, 12) = 0"#);
        let ty = (libc::SOCK_STREAM | libc::SOCK_CLOEXEC) as u64;
        assert_eq!(call(&m, "socket", &[2, ty, 0], 3), "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3");
    }

    #[test]
    fn misc_calls() {
        let m = FakeMem::new();
        assert_eq!(
            call(&m, "arch_prctl", &[0x1002, 0x7f00_0000_0740], 0),
            "arch_prctl(ARCH_SET_FS, 0x7f0000000740) = 0"
        );
        let name = m.put_str("sh");
        assert_eq!(call(&m, "prctl", &[15, name, 0, 0, 0], 0), r#"prctl(PR_SET_NAME, "sh") = 0"#);
        assert_eq!(call(&m, "prctl", &[1, 9, 0, 0, 0], 0), "prctl(PR_SET_PDEATHSIG, SIGKILL) = 0");
        assert_eq!(call(&m, "prctl", &[38, 1, 0, 0, 0], 0), "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0");
        assert_eq!(call(&m, "prctl", &[3, 0, 0, 0, 0], 1), "prctl(PR_GET_DUMPABLE) = 1");
        assert_eq!(
            call(&m, "prctl", &[0x5356_4d41, 0, 0x7f00_0000_0000, 4096, 0], -22),
            "prctl(PR_SET_VMA, 0, 0x7f0000000000, 0x1000, 0) = -1 EINVAL (Invalid argument)"
        );
        let fl = (libc::CLONE_VM | libc::CLONE_FS | libc::CLONE_FILES | libc::SIGCHLD) as u64;
        assert_eq!(
            call(&m, "clone", &[fl, 0, 0, 0, 0], 1234),
            "clone(CLONE_VM|CLONE_FS|CLONE_FILES|SIGCHLD, NULL, NULL, NULL, 0) = 1234"
        );
        assert_eq!(call(&m, "lseek", &[3, 0, 2], 1500), "lseek(3, 0, SEEK_END) = 1500");
        let p = m.put_str("/tmp");
        assert_eq!(
            call(&m, "unlinkat", &[AT_FDCWD, p, libc::AT_REMOVEDIR as u64], 0),
            r#"unlinkat(AT_FDCWD, "/tmp", AT_REMOVEDIR) = 0"#
        );
        assert_eq!(
            call(&m, "faccessat2", &[AT_FDCWD, p, 4, libc::AT_EACCESS as u64], 0),
            r#"faccessat2(AT_FDCWD, "/tmp", R_OK, AT_EACCESS) = 0"#
        );
        let cwd = m.put_str("/home/user");
        assert_eq!(call(&m, "getcwd", &[cwd, 4096], 11), r#"getcwd("/home/user", 4096) = 11"#);
        let ts = m.put_words(&[1, 500]);
        assert_eq!(
            call(&m, "clock_gettime", &[1, ts], 0),
            "clock_gettime(CLOCK_MONOTONIC, {tv_sec=1, tv_nsec=500}) = 0"
        );
        let long = m.put_str(&"a".repeat(40));
        assert_eq!(
            call(&m, "memfd_create", &[long, 1], 3),
            format!(r#"memfd_create("{}"..., MFD_CLOEXEC) = 3"#, "a".repeat(32))
        );
    }

    #[test]
    fn calls_in_progress() {
        let m = FakeMem::new();
        let buf = m.put(b"old bytes");
        assert_eq!(format_pending(nr("read"), &[0, buf, 4096, 0, 0, 0], &m), format!("read(0, {buf:#x}, 4096)"));
        let path = m.put_str("/bin/true");
        let argv = m.put_words(&[path, 0]);
        let a = [path, argv, 0, 0, 0, 0];
        let head = format_pending(nr("execve"), &a, &m);
        assert_eq!(head, r#"execve("/bin/true", ["/bin/true"], NULL)"#);
        assert_eq!(format_finished(&head, nr("execve"), &a, 0, &m), format!("{head} = 0"));
        assert_eq!(syscall_name(nr("wait4")), "wait4");
        assert_eq!(signal_names((1 << 1) | (1 << 14)), "SIGINT SIGTERM");
        assert_eq!(sa_flags(0x1400_0000), "SA_RESTORER|SA_RESTART");
        assert_eq!(rlimit_name(7), "RLIMIT_NOFILE");
    }

    /// Every syscall formats without panicking, whatever its arguments point at.
    #[test]
    fn any_arguments_format() {
        let m = FakeMem::new();
        let junk = m.put(&[0xff; 4096]);
        let zero = m.put(&[0; 4096]);
        let patterns = [[0u64; 6], [u64::MAX; 6], [junk; 6], [zero; 6], [junk, 3, 100, zero, 7, 1]];
        for (nr, a) in abi::all() {
            for args in &patterns {
                for ret in [0, 5, -1, -512, i64::MIN] {
                    let line = format_call(nr, args, ret, &m);
                    assert!(line.starts_with(a.name), "{line}");
                }
            }
        }
    }
}
