//! Readiness: poll, ppoll, select, pselect6. Files served by the sentry
//! report readiness themselves; host-backed streams (the caller's stdio) are
//! asked of the host, with the timeout, in one `poll`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::sys_futex::{read_timespec, timespec_duration};
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::vfs::file::OpenFile;
use crate::kernel::wait::{block_until, WaitQueue};

/// One descriptor being polled.
struct PollEntry {
    fd: i32,
    events: i16,
    revents: i16,
    /// Index into the host pollfd list, for host-backed files.
    host: Option<usize>,
}

/// How often host-backed descriptors are re-polled while the task also
/// waits for sentry events or signals.
const HOST_POLL_SLICE: Duration = Duration::from_millis(20);

/// Computes the readiness of every entry once; host descriptors are polled
/// with `host_wait` (0: no wait). Returns the number of ready entries.
fn poll_once(
    t: &Task,
    entries: &mut [PollEntry],
    files: &[Option<Arc<OpenFile>>],
    host_wait: Duration,
) -> Result<usize, Errno> {
    let mut host: Vec<libc::pollfd> = Vec::new();
    for (e, f) in entries.iter_mut().zip(files) {
        e.revents = 0;
        e.host = None;
        if e.fd < 0 {
            continue;
        }
        match f {
            None => e.revents = libc::POLLNVAL,
            Some(f) => match f.ops.poll_host_fd() {
                Some(hfd) => {
                    e.host = Some(host.len());
                    host.push(libc::pollfd { fd: hfd, events: e.events, revents: 0 });
                }
                None => {
                    let want = e.events | libc::POLLERR | libc::POLLHUP;
                    e.revents = f.ops.poll_ready(want) & want;
                }
            },
        }
    }
    let sentry_ready = entries.iter().any(|e| e.revents != 0);
    if !host.is_empty() {
        let ms = if sentry_ready { 0 } else { host_wait.as_millis().min(i32::MAX as u128) as i32 };
        // SAFETY: poll reads and writes our pollfd vector, of the length given.
        let n = unsafe { libc::poll(host.as_mut_ptr(), host.len() as libc::nfds_t, ms) };
        if n < 0 && Errno::last() != Errno::EINTR {
            return Err(Errno::last());
        }
        for e in entries.iter_mut() {
            if let Some(i) = e.host {
                e.revents = if n > 0 { host[i].revents } else { 0 };
            }
        }
    }
    let _ = t;
    Ok(entries.iter().filter(|e| e.revents != 0).count())
}

/// Polls `entries`, sleeping up to `timeout` (`None`: forever) until one is
/// ready. A signal ends the wait with ERESTARTNOHAND.
fn do_poll(t: &Task, entries: &mut [PollEntry], timeout: Option<Duration>) -> Result<usize, Errno> {
    let files: Vec<Option<Arc<OpenFile>>> =
        entries.iter().map(|e| if e.fd < 0 { None } else { t.file(e.fd).ok() }).collect();
    let deadline = timeout.map(|d| Instant::now() + d);
    let n = poll_once(t, entries, &files, Duration::ZERO)?;
    if n > 0 || timeout == Some(Duration::ZERO) {
        return Ok(n);
    }
    let has_host = files.iter().flatten().any(|f| f.ops.poll_host_fd().is_some());
    if !has_host {
        let queues: Vec<&WaitQueue> = files.iter().flatten().filter_map(|f| f.ops.poll_queue()).collect();
        let mut last = 0;
        let r = block_until(&queues, deadline, || match poll_once(t, entries, &files, Duration::ZERO) {
            Ok(0) => None,
            Ok(n) => {
                last = n;
                Some(Ok(()))
            }
            Err(e) => Some(Err(e)),
        });
        return match r {
            Ok(()) => Ok(last),
            Err(Errno::ETIMEDOUT) => Ok(0),
            Err(Errno::ERESTARTSYS) => Err(Errno::ERESTARTNOHAND),
            Err(e) => Err(e),
        };
    }
    let current = crate::kernel::wait::current();
    loop {
        let slice = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).min(HOST_POLL_SLICE),
            None => HOST_POLL_SLICE,
        };
        let n = poll_once(t, entries, &files, slice)?;
        if n > 0 {
            return Ok(n);
        }
        if current.as_ref().is_some_and(|c| c.interrupted()) {
            return Err(Errno::ERESTARTNOHAND);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(0);
        }
    }
}

fn read_pollfds(t: &Task, addr: u64, n: u64) -> Result<Vec<PollEntry>, Errno> {
    if n > t.rlimit(libc::RLIMIT_NOFILE).max(1 << 16) {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; n as usize * 8];
    t.mem().read_bytes(addr, &mut raw)?;
    Ok(raw
        .chunks_exact(8)
        .map(|c| PollEntry {
            fd: i32::from_ne_bytes([c[0], c[1], c[2], c[3]]),
            events: i16::from_ne_bytes([c[4], c[5]]),
            revents: 0,
            host: None,
        })
        .collect())
}

fn write_pollfds(t: &Task, addr: u64, entries: &[PollEntry]) -> Result<(), Errno> {
    for (i, e) in entries.iter().enumerate() {
        t.mem().write_bytes(addr + i as u64 * 8 + 6, &e.revents.to_ne_bytes())?;
    }
    Ok(())
}

/// Implements poll(2).
pub fn poll(t: &mut Task, a: &Args) -> SysResult {
    let mut entries = read_pollfds(t, a[0], a[1])?;
    let ms = a[2] as i32;
    let timeout = (ms >= 0).then(|| Duration::from_millis(ms as u64));
    let n = do_poll(t, &mut entries, timeout)?;
    write_pollfds(t, a[0], &entries)?;
    Ok(n as u64)
}

/// Runs `f` with the signal mask temporarily replaced (ppoll, pselect6).
/// If a signal interrupts, the old mask comes back only after its handler
/// has been set up (the task's `saved_mask`), as in Linux.
fn with_sigmask<R>(t: &mut Task, mask_addr: u64, f: impl FnOnce(&mut Task) -> Result<R, Errno>) -> Result<R, Errno> {
    if mask_addr == 0 {
        return f(t);
    }
    let mask = t.mem().read_u64(mask_addr)?;
    let old = t.sigmask();
    t.set_sigmask(mask);
    let r = f(t);
    if matches!(r, Err(Errno::ERESTARTNOHAND)) {
        t.saved_mask = Some(old);
    } else {
        t.set_sigmask(old);
    }
    r
}

/// Implements ppoll(2).
pub fn ppoll(t: &mut Task, a: &Args) -> SysResult {
    if a[3] != 0 && a[4] != 8 {
        return Err(Errno::EINVAL);
    }
    let mut entries = read_pollfds(t, a[0], a[1])?;
    let timeout = if a[2] != 0 { Some(read_timespec(t, a[2])?) } else { None };
    let start = Instant::now();
    let n = with_sigmask(t, a[3], |t| do_poll(t, &mut entries, timeout))?;
    write_pollfds(t, a[0], &entries)?;
    if let Some(d) = timeout {
        write_remaining_timespec(t, a[2], d.saturating_sub(start.elapsed()))?;
    }
    Ok(n as u64)
}

fn write_remaining_timespec(t: &Task, addr: u64, left: Duration) -> Result<(), Errno> {
    t.mem().write_u64s(addr, &[left.as_secs(), left.subsec_nanos() as u64])
}

/// The three descriptor sets of select.
struct FdSets {
    nfds: usize,
    sets: [Option<(u64, Vec<u64>)>; 3],
}

/// How many descriptors select looks at (`nfds`, bounded as Linux bounds it
/// by the descriptor limit) and how many bytes each set has.
fn fdset_span(t: &Task, nfds: i32) -> Result<(usize, usize), Errno> {
    if nfds < 0 {
        return Err(Errno::EINVAL);
    }
    let nfds = (nfds as usize).min(t.rlimit(libc::RLIMIT_NOFILE) as usize).min(1 << 20);
    Ok((nfds, nfds.div_ceil(8)))
}

/// Buffers for the sets the application passed (empty where it passed none).
fn fdset_buffers(addrs: [u64; 3], bytes: usize) -> [Vec<u8>; 3] {
    addrs.map(|a| vec![0u8; if a != 0 { bytes } else { 0 }])
}

/// The (address, buffer) pairs to copy the sets into.
fn fdset_parts(addrs: [u64; 3], raws: &mut [Vec<u8>; 3]) -> Vec<(u64, &mut [u8])> {
    addrs.iter().zip(raws.iter_mut()).filter(|(&a, _)| a != 0).map(|(&a, r)| (a, r.as_mut_slice())).collect()
}

fn read_fdsets(t: &Task, nfds: i32, addrs: [u64; 3]) -> Result<FdSets, Errno> {
    let (nfds, bytes) = fdset_span(t, nfds)?;
    let mut raws = fdset_buffers(addrs, bytes);
    // The sets in one copy.
    t.mem().read_many(&mut fdset_parts(addrs, &mut raws))?;
    Ok(parse_fdsets(nfds, addrs, raws))
}

/// Turns the copied sets into words, bits beyond `nfds` cleared.
fn parse_fdsets(nfds: usize, addrs: [u64; 3], raws: [Vec<u8>; 3]) -> FdSets {
    let words = nfds.div_ceil(64);
    let mut sets: [Option<(u64, Vec<u64>)>; 3] = [None, None, None];
    for (i, (&addr, mut raw)) in addrs.iter().zip(raws).enumerate() {
        if addr != 0 {
            raw.resize(words * 8, 0);
            let mut w: Vec<u64> =
                raw.chunks_exact(8).map(|c| u64::from_ne_bytes(c.try_into().unwrap_or_default())).collect();
            if !nfds.is_multiple_of(64) {
                if let Some(last) = w.last_mut() {
                    *last &= (1u64 << (nfds % 64)) - 1;
                }
            }
            sets[i] = Some((addr, w));
        }
    }
    FdSets { nfds, sets }
}

/// Bytes to write to an application address.
type UserWrite = (u64, Vec<u8>);

/// The shared body of select and pselect6: the count, and the sets to
/// write back (with the caller's timeout, in one copy).
fn do_select(t: &mut Task, mut fs: FdSets, timeout: Option<Duration>) -> Result<(u64, Vec<UserWrite>), Errno> {
    let ev = [libc::POLLIN, libc::POLLOUT, libc::POLLPRI];
    let mut entries: Vec<PollEntry> = Vec::new();
    for fd in 0..fs.nfds {
        let mut events = 0;
        for (i, s) in fs.sets.iter().enumerate() {
            if let Some((_, w)) = s {
                if w[fd / 64] & (1 << (fd % 64)) != 0 {
                    events |= ev[i];
                }
            }
        }
        if events != 0 {
            t.file(fd as i32)?;
            entries.push(PollEntry { fd: fd as i32, events, revents: 0, host: None });
        }
    }
    do_poll(t, &mut entries, timeout)?;
    let mut count = 0;
    for s in fs.sets.iter_mut().flatten() {
        s.1.iter_mut().for_each(|w| *w = 0);
    }
    for e in &entries {
        let hits = [
            e.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0,
            e.revents & (libc::POLLOUT | libc::POLLERR) != 0,
            e.revents & libc::POLLPRI != 0,
        ];
        for (i, hit) in hits.iter().enumerate() {
            if let Some((_, w)) = &mut fs.sets[i] {
                if *hit && e.events & ev[i] != 0 {
                    w[e.fd as usize / 64] |= 1 << (e.fd % 64);
                    count += 1;
                }
            }
        }
    }
    let out: Vec<UserWrite> = fs
        .sets
        .iter()
        .flatten()
        .map(|(addr, w)| (*addr, w.iter().flat_map(|x| x.to_ne_bytes()).take(fs.nfds.div_ceil(8)).collect()))
        .collect();
    Ok((count, out))
}

/// Writes select's sets and then its timeout back, in one copy.
fn write_select(t: &Task, mut out: Vec<UserWrite>, timeout: Option<(u64, [u64; 2])>) -> Result<(), Errno> {
    if let Some((addr, words)) = timeout {
        out.push((addr, words.iter().flat_map(|w| w.to_ne_bytes()).collect()));
    }
    let parts: Vec<(u64, &[u8])> = out.iter().map(|(a, b)| (*a, b.as_slice())).collect();
    t.mem().write_many(&parts)
}

/// Implements select(2); the timeval is updated with the time left, as Linux does.
pub fn select(t: &mut Task, a: &Args) -> SysResult {
    let timeout = if a[4] != 0 {
        let [sec, usec] = t.mem().read_u64s::<2>(a[4])?.map(|w| w as i64);
        if sec < 0 || !(0..1_000_000).contains(&usec) {
            return Err(Errno::EINVAL);
        }
        Some(Duration::new(sec as u64, usec as u32 * 1000))
    } else {
        None
    };
    let start = Instant::now();
    let fs = read_fdsets(t, a[0] as i32, [a[1], a[2], a[3]])?;
    let (n, out) = do_select(t, fs, timeout)?;
    let left = timeout.map(|d| {
        let left = d.saturating_sub(start.elapsed());
        (a[4], [left.as_secs(), left.subsec_micros() as u64])
    });
    write_select(t, out, left)?;
    Ok(n)
}

/// The `i`th word of a 16-byte argument.
fn word(b: &[u8; 16], i: usize) -> u64 {
    u64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
}

/// The mask pointer of pselect6's {pointer, size} argument (0: none).
fn pselect6_mask(arg: &[u8; 16], given: bool) -> Result<u64, Errno> {
    if !given {
        return Ok(0);
    }
    let (ptr, size) = (word(arg, 0), word(arg, 1));
    if ptr != 0 && size != 8 {
        return Err(Errno::EINVAL);
    }
    Ok(ptr)
}

/// Which error a pselect6 whose arguments did not all copy gets, in Linux's
/// order: the mask argument, the timeout (EFAULT, EINVAL), the mask size and
/// the mask, then nfds and the sets.
fn pselect6_fault(t: &Task, a: &Args) -> Errno {
    let check = || -> Result<(), Errno> {
        let mut arg = [0u8; 16];
        if a[5] != 0 {
            t.mem().read_bytes(a[5], &mut arg)?;
        }
        if a[4] != 0 {
            read_timespec(t, a[4])?;
        }
        let mask = pselect6_mask(&arg, a[5] != 0)?;
        if mask != 0 {
            t.mem().read_u64(mask)?;
        }
        read_fdsets(t, a[0] as i32, [a[1], a[2], a[3]])?;
        // Memory that faulted a moment ago reads now (another thread
        // mapped it): still a fault for this call.
        Err(Errno::EFAULT)
    };
    check().err().unwrap_or(Errno::EFAULT)
}

/// Implements pselect6(2).
pub fn pselect6(t: &mut Task, a: &Args) -> SysResult {
    let addrs = [a[1], a[2], a[3]];
    let span = fdset_span(t, a[0] as i32);
    // The timeout, the {mask pointer, size} pair and the sets in one copy:
    // a shell waiting for a key makes this call twice per keystroke.
    let mut ts = [0u8; 16];
    let mut arg = [0u8; 16];
    let mut raws = fdset_buffers(addrs, span.map_or(0, |(_, bytes)| bytes));
    let copied = {
        let mut parts: Vec<(u64, &mut [u8])> = Vec::with_capacity(5);
        if a[4] != 0 {
            parts.push((a[4], &mut ts));
        }
        if a[5] != 0 {
            parts.push((a[5], &mut arg));
        }
        if span.is_ok() {
            parts.extend(fdset_parts(addrs, &mut raws));
        }
        t.mem().read_many(&mut parts).is_ok()
    };
    if !copied {
        return Err(pselect6_fault(t, a));
    }
    let timeout = if a[4] != 0 { Some(timespec_duration(word(&ts, 0) as i64, word(&ts, 1) as i64)?) } else { None };
    let mask = pselect6_mask(&arg, a[5] != 0)?;
    let start = Instant::now();
    // The mask is copied (EFAULT) before nfds is looked at (EINVAL).
    let (n, out) = with_sigmask(t, mask, |t| {
        let (nfds, _) = span?;
        do_select(t, parse_fdsets(nfds, addrs, raws), timeout)
    })?;
    let left = timeout.map(|d| {
        let left = d.saturating_sub(start.elapsed());
        (a[4], [left.as_secs(), left.subsec_nanos() as u64])
    });
    write_select(t, out, left)?;
    Ok(n)
}
