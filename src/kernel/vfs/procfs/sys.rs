//! The system-wide files of `/proc`: the sandbox's uptime, load, CPU
//! times and mounts; the host's CPU and memory descriptions (read-only
//! facts `cpuid` and `sysinfo` reveal anyway); `sys/kernel/*`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::kernel::errno::Errno;
use crate::kernel::task::ThreadGroup;
use crate::kernel::Kernel;

/// Clock ticks per second (USER_HZ).
pub fn clock_ticks() -> u64 {
    100
}

fn ncpus() -> usize {
    crate::kernel::task::SchedAttrs::online_cpus()
}

/// The wall-clock time the sandbox booted, as (seconds, nanoseconds).
pub fn boot_time(k: &Kernel) -> (i64, i64) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let b = now.saturating_sub(k.boot.elapsed());
    (b.as_secs() as i64, b.subsec_nanos() as i64)
}

/// When a process started, as wall-clock time.
pub fn process_start(k: &Kernel, tg: &ThreadGroup) -> (i64, i64) {
    let (s, n) = boot_time(k);
    let d = tg.start.saturating_duration_since(k.boot);
    let ns = n as u128 + d.as_nanos();
    (s + (ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as i64)
}

/// When a process started, in clock ticks since boot.
pub fn process_start_ticks(k: &Kernel, tg: &ThreadGroup) -> u64 {
    (tg.start.saturating_duration_since(k.boot).as_millis() as u64) * clock_ticks() / 1000
}

fn processes(k: &Kernel) -> Vec<Arc<ThreadGroup>> {
    k.procs().groups.values().cloned().collect()
}

/// A host file's contents, read once.
fn host_file(cell: &'static OnceLock<Vec<u8>>, path: &str) -> Vec<u8> {
    cell.get_or_init(|| std::fs::read(path).unwrap_or_default()).clone()
}

/// `/proc/cpuinfo`: the host's.
pub fn cpuinfo(_: &Kernel) -> Vec<u8> {
    static C: OnceLock<Vec<u8>> = OnceLock::new();
    host_file(&C, "/proc/cpuinfo")
}

/// `/proc/meminfo`: the host's memory (the sandbox has no limit of its own).
pub fn meminfo(_: &Kernel) -> Vec<u8> {
    meminfo_host()
}

/// `/proc/vmstat`: the host's memory figures, as `meminfo` shows the
/// host's memory. Its event counters (the names without `nr_`: paging,
/// swapping, faults) count from the sandbox's boot, as its `/proc/stat`
/// and `uptime` do, so vmstat(8)'s since-boot averages are the host's
/// activity over the sandbox's life; the `nr_` figures are levels.
pub fn vmstat(_: &Kernel) -> Vec<u8> {
    let base = VMSTAT_AT_BOOT.get_or_init(host_vmstat_counters);
    let now = std::fs::read_to_string("/proc/vmstat").unwrap_or_default();
    let mut s = String::new();
    for line in now.lines() {
        match (line.split_once(' '), line.starts_with("nr_")) {
            (Some((name, v)), false) => {
                let v: u64 = v.trim().parse().unwrap_or(0);
                let since = v.saturating_sub(base.get(name).copied().unwrap_or(0));
                let _ = writeln!(s, "{name} {since}");
            }
            _ => {
                s.push_str(line);
                s.push('\n');
            }
        }
    }
    s.into_bytes()
}

/// The host's vmstat event counters when the sandbox booted.
static VMSTAT_AT_BOOT: OnceLock<HashMap<String, u64>> = OnceLock::new();

fn host_vmstat_counters() -> HashMap<String, u64> {
    let text = std::fs::read_to_string("/proc/vmstat").unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with("nr_"))
        .filter_map(|l| {
            let (name, v) = l.split_once(' ')?;
            Some((name.to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

/// Takes the baselines of the host counters the sandbox shows as its own
/// (at boot).
pub fn note_boot() {
    VMSTAT_AT_BOOT.get_or_init(host_vmstat_counters);
}

/// The host's `/proc/meminfo`.
pub fn meminfo_host() -> Vec<u8> {
    std::fs::read("/proc/meminfo").unwrap_or_default()
}

/// `/proc/filesystems`: the types the sandbox can mount.
pub fn filesystems(_: &Kernel) -> Vec<u8> {
    b"nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevpts\nnodev\tmqueue\nnodev\toverlay\n".to_vec()
}

/// `/proc/sysvipc/shm`: the segments of the reader's IPC namespace
/// (nothing for a reader that is not a task).
pub fn sysvipc_shm(_: &Kernel) -> Vec<u8> {
    crate::kernel::wait::current().map_or_else(Vec::new, |t| t.nsproxy().ipc.shm.proc_text(t.tg.pidns()).into_bytes())
}

/// `/proc/sysvipc/sem`: the semaphore sets of the reader's IPC namespace.
pub fn sysvipc_sem(_: &Kernel) -> Vec<u8> {
    crate::kernel::wait::current().map_or_else(Vec::new, |t| t.nsproxy().ipc.sem.proc_text().into_bytes())
}

/// `/proc/sysvipc/msg`: the message queues of the reader's IPC namespace.
pub fn sysvipc_msg(_: &Kernel) -> Vec<u8> {
    crate::kernel::wait::current().map_or_else(Vec::new, |t| t.nsproxy().ipc.msg.proc_text(t.tg.pidns()).into_bytes())
}

/// `/proc/loadavg`: no load history is kept; runnable and total tasks and
/// the newest pid are the sandbox's.
pub fn loadavg(k: &Kernel) -> Vec<u8> {
    let procs = k.procs();
    let total = procs.tasks.len();
    let running = procs.tasks.values().filter(|t| t.in_app.load(std::sync::atomic::Ordering::Relaxed)).count().max(1);
    // The last pid handed out in the reader's PID namespace, as Linux's.
    let last = match crate::kernel::wait::current() {
        Some(t) => t.tg.pidns().last(),
        None => k.root_pidns.last(),
    };
    format!("0.00 0.00 0.00 {running}/{total} {last}\n").into_bytes()
}

/// CPU time the sandbox's processes have used, reaped ones included, in
/// clock ticks: (user, system).
fn busy_ticks(k: &Kernel) -> (u64, u64) {
    let groups = processes(k);
    let mut total = k.procs().reaped_cpu;
    for g in groups {
        let t = g.timers.cpu_times(&g);
        total.user_ns += t.user_ns;
        total.system_ns += t.system_ns;
    }
    let ticks = |ns: u64| ns / (1_000_000_000 / clock_ticks());
    (ticks(total.user_ns), ticks(total.system_ns))
}

/// `/proc/uptime`: since the sandbox booted.
pub fn uptime(k: &Kernel) -> Vec<u8> {
    let up = k.boot.elapsed().as_secs_f64();
    let (user, system) = busy_ticks(k);
    let idle = (up * ncpus() as f64 - (user + system) as f64 / clock_ticks() as f64).max(0.0);
    format!("{up:.2} {idle:.2}\n").into_bytes()
}

/// `/proc/stat`: CPU time of the sandbox's processes, the rest idle.
pub fn stat(k: &Kernel) -> Vec<u8> {
    let n = ncpus() as u64;
    let up = k.boot.elapsed().as_millis() as u64 * clock_ticks() / 1000;
    let (user, system) = busy_ticks(k);
    let idle = (up * n).saturating_sub(user + system);
    let mut s = String::new();
    let _ = writeln!(s, "cpu  {user} 0 {system} {idle} 0 0 0 0 0 0");
    // Which CPU ran what is the host's business: an even share each.
    for i in 0..n {
        let _ = writeln!(s, "cpu{i} {} 0 {} {} 0 0 0 0 0 0", user / n, system / n, idle / n);
    }
    let procs = k.procs();
    let running = procs.tasks.values().filter(|t| t.in_app.load(std::sync::atomic::Ordering::Relaxed)).count().max(1);
    let created = procs.tasks.keys().max().copied().unwrap_or(1);
    drop(procs);
    let _ = writeln!(s, "intr 0\nctxt 0\nbtime {}", boot_time(k).0);
    let _ = writeln!(s, "processes {created}\nprocs_running {running}\nprocs_blocked 0");
    let _ = writeln!(s, "softirq 0 0 0 0 0 0 0 0 0 0 0");
    s.into_bytes()
}

fn uname() -> nix::sys::utsname::UtsName {
    // uname cannot fail on Linux; an empty answer would only blank fields.
    nix::sys::utsname::uname().unwrap_or_else(|_| unreachable!("uname failed"))
}

/// `/proc/version`.
pub fn version(_: &Kernel) -> Vec<u8> {
    let u = uname();
    format!(
        "Linux version {} (husk@husk) (husk sentry) {}\n",
        u.release().to_string_lossy(),
        u.version().to_string_lossy()
    )
    .into_bytes()
}

/// The UTS namespace of the caller (the sandbox's first without one).
fn uts(k: &Kernel) -> std::sync::Arc<crate::kernel::ns::UtsNamespace> {
    match crate::kernel::wait::current() {
        Some(t) => t.nsproxy().uts,
        None => k.root_uts.clone(),
    }
}

/// `/proc/sys/kernel/hostname`: the caller's UTS namespace's.
pub fn hostname(k: &Kernel) -> Vec<u8> {
    let mut h = uts(k).names().hostname;
    h.push(b'\n');
    h
}

/// `/proc/sys/kernel/domainname`.
pub fn domainname(k: &Kernel) -> Vec<u8> {
    let mut h = uts(k).names().domainname;
    h.push(b'\n');
    h
}

/// The name written to a UTS file: without its newline, at most 64 bytes.
fn uts_write(data: &[u8]) -> Result<&[u8], Errno> {
    let name = data.strip_suffix(b"\n").unwrap_or(data);
    if name.len() > crate::kernel::ns::uts::NAME_MAX {
        return Err(Errno::EINVAL);
    }
    Ok(name)
}

/// A write to `/proc/sys/kernel/hostname` (as `sethostname`).
pub fn set_hostname(k: &Kernel, data: &[u8]) -> Result<(), Errno> {
    uts(k).set_hostname(uts_write(data)?);
    Ok(())
}

/// A write to `/proc/sys/kernel/domainname` (as `setdomainname`).
pub fn set_domainname(k: &Kernel, data: &[u8]) -> Result<(), Errno> {
    uts(k).set_domainname(uts_write(data)?);
    Ok(())
}

/// `/proc/sys/kernel/ostype`.
pub fn ostype(_: &Kernel) -> Vec<u8> {
    b"Linux\n".to_vec()
}

/// `/proc/sys/kernel/osrelease`: the host's release, as `uname` reports.
pub fn osrelease(_: &Kernel) -> Vec<u8> {
    format!("{}\n", uname().release().to_string_lossy()).into_bytes()
}

/// `/proc/sys/kernel/pid_max`: the host's, as a new PID namespace inherits
/// its parent's (tools size their pid columns by it: `ps`).
pub fn pid_max(_: &Kernel) -> Vec<u8> {
    static C: OnceLock<Vec<u8>> = OnceLock::new();
    let v = host_file(&C, "/proc/sys/kernel/pid_max");
    if v.is_empty() {
        b"32768\n".to_vec()
    } else {
        v
    }
}

/// `/proc/sys/kernel/randomize_va_space`: what exec does (`mm/aslr.rs`).
pub fn randomize_va_space(_: &Kernel) -> Vec<u8> {
    format!("{}\n", crate::kernel::mm::aslr::RANDOMIZE_VA_SPACE).into_bytes()
}

/// `/proc/sys/kernel/ngroups_max`.
pub fn ngroups_max(_: &Kernel) -> Vec<u8> {
    b"65536\n".to_vec()
}

/// `/proc/sys/fs/pipe-max-size`.
pub fn pipe_max_size(_: &Kernel) -> Vec<u8> {
    format!("{}\n", crate::kernel::pipe::MAX_CAPACITY).into_bytes()
}

/// `/proc/sys/fs/file-max`.
pub fn file_max(_: &Kernel) -> Vec<u8> {
    b"9223372036854775807\n".to_vec()
}

/// `/proc/sys/fs/nr_open`: the most descriptors a process may have (RLIMIT_NOFILE's ceiling).
pub fn nr_open(_: &Kernel) -> Vec<u8> {
    format!("{}\n", crate::kernel::fd::NR_OPEN).into_bytes()
}

/// `/proc/sys/kernel/cap_last_cap`: the highest capability the kernel knows
/// (libcap and capsh size their sets by it).
pub fn cap_last_cap(_: &Kernel) -> Vec<u8> {
    let last = u64::BITS - 1 - crate::kernel::task::CAP_FULL_SET.leading_zeros();
    format!("{last}\n").into_bytes()
}

/// `/proc/sys/kernel/threads-max`: the sandbox's limit on tasks.
pub fn threads_max(k: &Kernel) -> Vec<u8> {
    format!("{}\n", k.max_tasks).into_bytes()
}

/// `/proc/sys/net/ipv4/ip_local_port_range`: the ephemeral ports the network stack picks from.
pub fn ip_local_port_range(_: &Kernel) -> Vec<u8> {
    let r = crate::netstack::ports::EPHEMERAL;
    format!("{}\t{}\n", r.start(), r.end()).into_bytes()
}

/// `/proc/sys/vm/overcommit_memory`.
pub fn overcommit_memory(_: &Kernel) -> Vec<u8> {
    b"0\n".to_vec()
}

fn uuid_text(b: [u8; 16]) -> String {
    let mut b = b;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}\n", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

fn random16() -> [u8; 16] {
    let mut b = [0u8; 16];
    // SAFETY: getrandom fills at most 16 bytes of our array.
    unsafe { libc::getrandom(b.as_mut_ptr().cast(), 16, 0) };
    b
}

/// `/proc/sys/kernel/random/uuid`: a new one each read.
pub fn uuid(_: &Kernel) -> Vec<u8> {
    uuid_text(random16()).into_bytes()
}

/// `/proc/sys/kernel/random/boot_id`: one per sandbox run.
pub fn boot_id(_: &Kernel) -> Vec<u8> {
    static ID: OnceLock<[u8; 16]> = OnceLock::new();
    uuid_text(*ID.get_or_init(random16)).into_bytes()
}

/// `/proc/locks`: every file lock, the newest first, as Linux's
/// locks_show prints them; a lock whose process the reader's PID
/// namespace cannot see is left out (OFD locks have none: -1).
pub fn locks(k: &Kernel) -> Vec<u8> {
    let Some(reader) = crate::kernel::wait::current() else {
        return Vec::new();
    };
    let ns = reader.tg.pidns();
    let mut out = String::new();
    let mut n = 0;
    for l in crate::kernel::vfs::lock::listing() {
        let pid = match l.pid {
            p if p <= 0 => p,
            p => k.root_pidns.find(p).map_or(0, |pid| pid.nr_in(ns)),
        };
        if pid == 0 {
            continue;
        }
        n += 1;
        let (dev, ino) = l.key;
        let end = if l.end == u64::MAX { "EOF".to_string() } else { l.end.to_string() };
        let rw = if l.write { "WRITE" } else { "READ" };
        let (major, minor) = (libc::major(dev), libc::minor(dev));
        out += &format!("{n}: {:<6} ADVISORY  {rw} {pid} {major:02x}:{minor:02x}:{ino} {} {end}\n", l.class, l.start);
    }
    out.into_bytes()
}
