//! System information and time: uname, getrandom, clocks, sysinfo,
//! scheduling queries.

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;

/// personality(2) flags the sentry acts on (the rest are kept and shown).
pub const READ_IMPLIES_EXEC: u32 = 0x0040_0000;
const UNAME26: u32 = 0x0002_0000;
const PER_MASK: u32 = 0xff;
const PER_LINUX32: u32 = 0x0008;

/// Implements personality(2): 0xffffffff asks, anything else sets (Linux
/// takes any value); the old personality is returned. The sandbox honours
/// PER_LINUX32 (uname's machine is i686), UNAME26 (a 2.6 release) and
/// READ_IMPLIES_EXEC (readable mappings are executable) and
/// ADDR_NO_RANDOMIZE (the next exec's layout is not randomised, `mm/aslr.rs`).
pub fn personality(t: &mut Task, a: &Args) -> SysResult {
    use std::sync::atomic::Ordering;
    let p = a[0] as u32;
    let old =
        if p == u32::MAX { t.tg.persona.load(Ordering::Relaxed) } else { t.tg.persona.swap(p, Ordering::Relaxed) };
    Ok(old as u64)
}

/// The release uname shows under UNAME26, as Linux's override_release: a
/// 2.6 version numbered 60 past the real minor, keeping the local suffix.
fn uname26_release(release: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(release);
    let minor: u32 = text.split('.').nth(1).and_then(|m| m.parse().ok()).unwrap_or(0);
    let mut dots = 0;
    let rest_at = text
        .char_indices()
        .find(|&(_, c)| {
            if c == '.' {
                dots += 1;
            }
            (c == '.' && dots >= 3) || (!c.is_ascii_digit() && c != '.')
        })
        .map_or(text.len(), |(i, _)| i);
    format!("2.6.{}{}", minor + 60, &text[rest_at..]).into_bytes()
}

/// Implements uname(2). The release is the host's, so programs see a current
/// kernel and the features it implies.
pub fn uname(t: &mut Task, a: &Args) -> SysResult {
    let host = nix::sys::utsname::uname()?;
    // The names of the caller's UTS namespace.
    let names = t.shared.nsproxy().uts.names();
    let persona = t.tg.persona.load(std::sync::atomic::Ordering::Relaxed);
    let release = match persona & UNAME26 {
        0 => host.release().as_encoded_bytes().to_vec(),
        _ => uname26_release(host.release().as_encoded_bytes()),
    };
    let machine: &[u8] = if persona & PER_MASK == PER_LINUX32 { b"i686" } else { b"x86_64" };
    let fields: [&[u8]; 6] =
        [b"Linux", &names.hostname, &release, b"#1 SMP PREEMPT_DYNAMIC husk", machine, &names.domainname];
    let mut buf = [0u8; 6 * 65];
    for (i, f) in fields.iter().enumerate() {
        let n = f.len().min(64);
        buf[i * 65..i * 65 + n].copy_from_slice(&f[..n]);
    }
    t.mem().write_bytes(a[0], &buf)?;
    Ok(0)
}

/// sethostname(2) and setdomainname(2): CAP_SYS_ADMIN over the UTS
/// namespace's owner, at most 64 bytes, in the caller's UTS namespace.
fn set_uts_name(t: &Task, addr: u64, len: u64, set: fn(&crate::kernel::ns::UtsNamespace, &[u8])) -> SysResult {
    let uts = t.shared.nsproxy().uts;
    if !t.capable_over(uts.owner(), crate::kernel::task::clone::CAP_SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    if len > crate::kernel::ns::uts::NAME_MAX as u64 {
        return Err(Errno::EINVAL);
    }
    let mut name = vec![0u8; len as usize];
    t.mem().read_bytes(addr, &mut name)?;
    set(&t.shared.nsproxy().uts, &name);
    Ok(0)
}

/// Implements sethostname(2).
pub fn sethostname(t: &mut Task, a: &Args) -> SysResult {
    set_uts_name(t, a[0], a[1], crate::kernel::ns::UtsNamespace::set_hostname)
}

/// Implements setdomainname(2).
pub fn setdomainname(t: &mut Task, a: &Args) -> SysResult {
    set_uts_name(t, a[0], a[1], crate::kernel::ns::UtsNamespace::set_domainname)
}

/// The size `syslog(SYSLOG_ACTION_SIZE_BUFFER)` reports (Linux's default
/// CONFIG_LOG_BUF_SHIFT of 17).
const LOG_BUF_LEN: u64 = 1 << 17;

/// Implements syslog(2) over the sandbox's kernel log, which is empty: the
/// sentry logs to its own log, never to the application. Permissions are
/// Linux's with dmesg_restrict set (CAP_SYSLOG, or CAP_SYS_ADMIN).
pub fn syslog(t: &mut Task, a: &Args) -> SysResult {
    const CAP_SYS_ADMIN: u32 = 21;
    const CAP_SYSLOG: u32 = 34;
    let (kind, buf, len) = (a[0] as i32, a[1], a[2] as i32);
    if !(0..=10).contains(&kind) {
        return Err(Errno::EINVAL);
    }
    // CLOSE and OPEN need no privilege.
    if kind > 1 && !super::sys_ident::capable(t, CAP_SYSLOG) && !super::sys_ident::capable(t, CAP_SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    match kind {
        // READ waits for messages; there will never be any, so it waits
        // until a signal interrupts it, as Linux's would.
        2..=4 if buf == 0 || len < 0 => Err(Errno::EINVAL),
        2 if len == 0 => Ok(0),
        2 => {
            crate::kernel::wait::block_until(&[], None, || None::<Result<(), Errno>>)?;
            Ok(0)
        }
        8 if !(1..=8).contains(&len) => Err(Errno::EINVAL),
        10 => Ok(LOG_BUF_LEN),
        _ => Ok(0),
    }
}

const GRND_NONBLOCK: u64 = 1;
const GRND_RANDOM: u64 = 2;
const GRND_INSECURE: u64 = 4;

/// Implements getrandom(2).
pub fn getrandom(t: &mut Task, a: &Args) -> SysResult {
    let (addr, len, flags) = (a[0], a[1], a[2]);
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_RANDOM | GRND_INSECURE) == (GRND_RANDOM | GRND_INSECURE)
    {
        return Err(Errno::EINVAL);
    }
    let len = len.min(33_554_431) as usize;
    let mut buf = vec![0u8; len.min(1 << 20)];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(buf.len());
        // SAFETY: getrandom fills at most n bytes of our buffer.
        let r = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), n, 0) };
        if r < 0 {
            return Err(Errno::last());
        }
        if let Err(e) = t.mem().write_bytes(addr + done as u64, &buf[..r as usize]) {
            return if done == 0 { Err(e) } else { Ok(done as u64) };
        }
        done += r as usize;
    }
    Ok(done as u64)
}

/// Maps a sandbox clock id to a host one: CPU-time clocks name the stub
/// thread or process that runs the task, all others are the host's clocks.
fn host_clock(t: &Task, id: i32) -> Result<libc::clockid_t, Errno> {
    match id {
        libc::CLOCK_PROCESS_CPUTIME_ID => Ok((!t.thread.pid() << 3) | 2),
        libc::CLOCK_THREAD_CPUTIME_ID => Ok((!t.thread.tid() << 3) | 6),
        0 | 1 | 4..=9 | 11 => Ok(id),
        _ => Err(Errno::EINVAL),
    }
}

fn timespec_bytes(ts: libc::timespec) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&ts.tv_sec.to_ne_bytes());
    b[8..].copy_from_slice(&ts.tv_nsec.to_ne_bytes());
    b
}

/// Implements clock_gettime(2).
pub fn clock_gettime(t: &mut Task, a: &Args) -> SysResult {
    // CPU clocks (sys_timer.rs): the host lets husk read only its own
    // threads' clocks, and a process's time spans its exec'd images.
    if let Some(ns) = super::sys_timer::cpu_clock_ns(t, a[0] as i32) {
        let ns = ns?;
        let ts = libc::timespec { tv_sec: (ns / 1_000_000_000) as i64, tv_nsec: (ns % 1_000_000_000) as i64 };
        t.mem().write_bytes(a[1], &timespec_bytes(ts))?;
        return Ok(0);
    }
    let id = host_clock(t, a[0] as i32)?;
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into our local.
    if unsafe { libc::clock_gettime(id, &mut ts) } != 0 {
        return Err(Errno::last());
    }
    t.mem().write_bytes(a[1], &timespec_bytes(ts))?;
    Ok(0)
}

/// Implements clock_getres(2).
pub fn clock_getres(t: &mut Task, a: &Args) -> SysResult {
    if let Some(ns) = super::sys_timer::cpu_clock_res(t, a[0] as i32) {
        let ts = libc::timespec { tv_sec: 0, tv_nsec: ns? as i64 };
        if a[1] != 0 {
            t.mem().write_bytes(a[1], &timespec_bytes(ts))?;
        }
        return Ok(0);
    }
    let id = host_clock(t, a[0] as i32)?;
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_getres writes one timespec into our local.
    if unsafe { libc::clock_getres(id, &mut ts) } != 0 {
        return Err(Errno::last());
    }
    if a[1] != 0 {
        t.mem().write_bytes(a[1], &timespec_bytes(ts))?;
    }
    Ok(0)
}

fn realtime() -> libc::timespec {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into our local.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    ts
}

/// Implements gettimeofday(2).
pub fn gettimeofday(t: &mut Task, a: &Args) -> SysResult {
    let ts = realtime();
    if a[0] != 0 {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&ts.tv_sec.to_ne_bytes());
        b[8..].copy_from_slice(&(ts.tv_nsec / 1000).to_ne_bytes());
        t.mem().write_bytes(a[0], &b)?;
    }
    if a[1] != 0 {
        t.mem().write_bytes(a[1], &[0u8; 8])?;
    }
    Ok(0)
}

/// Implements time(2).
pub fn time(t: &mut Task, a: &Args) -> SysResult {
    let now = realtime().tv_sec as u64;
    if a[0] != 0 {
        t.mem().write_u64(a[0], now)?;
    }
    Ok(now)
}

/// Implements sysinfo(2): memory figures are the host's, uptime and the
/// process count the sandbox's.
pub fn sysinfo(t: &mut Task, a: &Args) -> SysResult {
    // SAFETY: sysinfo fills the zeroed struct we pass.
    let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::sysinfo(&mut si) } != 0 {
        return Err(Errno::last());
    }
    let mut b = [0u8; 112];
    let mut put = |off: usize, v: u64, n: usize| b[off..off + n].copy_from_slice(&v.to_ne_bytes()[..n]);
    put(0, t.kernel.boot.elapsed().as_secs(), 8);
    put(32, si.totalram, 8);
    put(40, si.freeram, 8);
    put(48, si.sharedram, 8);
    put(56, si.bufferram, 8);
    put(64, si.totalswap, 8);
    put(72, si.freeswap, 8);
    put(80, 1, 2);
    put(104, si.mem_unit as u64, 4);
    t.mem().write_bytes(a[0], &b)?;
    Ok(0)
}

/// Implements sched_yield(2).
pub fn sched_yield(_: &mut Task, _: &Args) -> SysResult {
    std::thread::yield_now();
    Ok(0)
}

/// Implements getcpu(2).
pub fn getcpu(t: &mut Task, a: &Args) -> SysResult {
    // SAFETY: sched_getcpu has no arguments.
    let cpu = unsafe { libc::sched_getcpu() }.max(0) as u32;
    if a[0] != 0 {
        t.mem().write_u32(a[0], cpu)?;
    }
    if a[1] != 0 {
        t.mem().write_u32(a[1], 0)?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::uname26_release;

    #[test]
    fn uname26_keeps_the_local_suffix() {
        assert_eq!(uname26_release(b"6.18.44-fc-v857"), b"2.6.78-fc-v857");
        assert_eq!(uname26_release(b"3.2.0"), b"2.6.62");
        assert_eq!(uname26_release(b"5.10.1.2-x"), b"2.6.70.2-x");
    }
}
