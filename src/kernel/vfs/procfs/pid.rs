//! The files and magic links of `/proc/<pid>` (and `/proc/<pid>/task/<tid>`),
//! generated from the process table in Linux's formats.

use std::fmt::Write as _;
use std::sync::Arc;

use super::super::fs::Link;
pub use super::entry::PidEntry;
use super::status_lines;
use super::sys::{clock_ticks, process_start_ticks};
use crate::kernel::errno::Errno;
use crate::kernel::mm::{Backing, ProgramLayout, Vma};
use crate::kernel::ns::{Pid, PidNamespace};
use crate::kernel::signal::{SIG_DFL, SIG_IGN};
use crate::kernel::task::{TaskShared, ThreadGroup};
use crate::kernel::Kernel;

/// `/proc/<pid>/limits`: the process's resource limits, in Linux's table.
fn limits(tg: &ThreadGroup) -> Vec<u8> {
    // Linux's names and units, by resource number.
    const ROWS: [(&str, &str); 16] = [
        ("Max cpu time", "seconds"),
        ("Max file size", "bytes"),
        ("Max data size", "bytes"),
        ("Max stack size", "bytes"),
        ("Max core file size", "bytes"),
        ("Max resident set", "bytes"),
        ("Max processes", "processes"),
        ("Max open files", "files"),
        ("Max locked memory", "bytes"),
        ("Max address space", "bytes"),
        ("Max file locks", "locks"),
        ("Max pending signals", "signals"),
        ("Max msgqueue size", "bytes"),
        ("Max nice priority", ""),
        ("Max realtime priority", ""),
        ("Max realtime timeout", "us"),
    ];
    let limits = *tg.rlimits.lock().unwrap_or_else(|e| e.into_inner());
    let text = |v: u64| if v == crate::kernel::task::RLIM_INFINITY { "unlimited".to_string() } else { v.to_string() };
    let mut s = format!("{:<25} {:<20} {:<20} {:<10}\n", "Limit", "Soft Limit", "Hard Limit", "Units");
    for ((name, unit), l) in ROWS.iter().zip(limits.iter()) {
        let _ = write!(s, "{name:<25} {:<20} {:<20} ", text(l.cur), text(l.max));
        if !unit.is_empty() {
            let _ = write!(s, "{unit:<10}");
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// Where a magic link of a process leads.
pub fn link(e: PidEntry, tg: &ThreadGroup) -> Result<Link, Errno> {
    let fs = tg.fs.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match e {
        PidEntry::Cwd => Ok(Link::Path(fs.cwd)),
        PidEntry::Root => Ok(Link::Path(fs.root)),
        PidEntry::Exe => {
            let exe = tg.exe.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if exe.is_empty() || crate::kernel::task::procs::is_zombie(tg) {
                return Err(Errno::ENOENT);
            }
            Ok(Link::Path(exe))
        }
        _ => Err(Errno::EINVAL),
    }
}

/// The contents of a process file, with pids as namespace `ns` numbers them.
pub fn content(
    e: PidEntry,
    k: &Kernel,
    tg: &Arc<ThreadGroup>,
    task: Option<&Arc<TaskShared>>,
    thread_level: bool,
    ns: &PidNamespace,
) -> Result<Vec<u8>, Errno> {
    let zombie = crate::kernel::task::procs::is_zombie(tg);
    Ok(match e {
        PidEntry::Cgroup => b"0::/\n".to_vec(),
        PidEntry::Io => match task.filter(|_| thread_level) {
            Some(t) => t.io.snapshot().render().into_bytes(),
            None => {
                // Under `io_done`'s lock, as exits move a thread's counts.
                let done = tg.io_done.lock().unwrap_or_else(|e| e.into_inner());
                let mut s = *done;
                for t in tg.task_list() {
                    s.add(&t.io.snapshot());
                }
                drop(done);
                s.render().into_bytes()
            }
        },
        PidEntry::UidMap | PidEntry::GidMap | PidEntry::Setgroups => super::userns::content(e, tg),
        // The syscall the thread is blocked in, as Linux shows it; a thread
        // running (or between syscalls in the sentry) is "running".
        PidEntry::Syscall => {
            let t = task.cloned().or_else(|| tg.main_thread()).ok_or(Errno::ESRCH)?;
            match t.current_syscall() {
                Some(s) => {
                    let args: Vec<String> = s.args.iter().map(|a| format!("0x{a:x}")).collect();
                    format!("{} {} 0x{:x} 0x{:x}\n", s.nr, args.join(" "), s.sp, s.pc).into_bytes()
                }
                None => b"running\n".to_vec(),
            }
        }
        PidEntry::TimerslackNs => {
            let t = task.cloned().or_else(|| tg.main_thread()).ok_or(Errno::ESRCH)?;
            format!("{}\n", t.timer_slack.get()).into_bytes()
        }
        // No audit login session: Linux's "unset" values.
        PidEntry::Loginuid | PidEntry::Sessionid => format!("{}", u32::MAX).into_bytes(),
        PidEntry::Auxv => {
            if zombie {
                return Ok(Vec::new());
            }
            tg.auxv.lock().unwrap_or_else(|e| e.into_inner()).clone()
        }
        PidEntry::OomScoreAdj => format!("{}\n", tg.oom_adj.get()).into_bytes(),
        PidEntry::Personality => {
            format!("{:08x}\n", tg.persona.load(std::sync::atomic::Ordering::Relaxed)).into_bytes()
        }
        PidEntry::OomScore => format!("{}\n", oom_score(tg, zombie)).into_bytes(),
        PidEntry::Limits => limits(tg),
        PidEntry::Cmdline => {
            if zombie {
                return Ok(Vec::new());
            }
            super::cmdline::cmdline(tg)
        }
        PidEntry::Environ => {
            if zombie {
                return Ok(Vec::new());
            }
            super::cmdline::environ(tg)
        }
        PidEntry::Comm => {
            let mut c = comm(tg, task);
            c.push(b'\n');
            c
        }
        PidEntry::Maps => maps(tg).into_bytes(),
        PidEntry::Smaps => super::smaps::smaps(tg).into_bytes(),
        PidEntry::SmapsRollup => super::smaps::rollup(tg).into_bytes(),
        PidEntry::Mounts | PidEntry::Mountstats => {
            if zombie {
                return Ok(Vec::new());
            }
            let root = tg.fs.lock().unwrap_or_else(|e| e.into_inner()).root.clone();
            // The mounts of the task's own mount namespace.
            let t = match task {
                Some(task) => task.nsproxy().mnt.mount_table(),
                None => k.vfs.mount_table(),
            };
            match e {
                PidEntry::Mounts => t.render_mounts(&root).into_bytes(),
                _ => t.render_mountstats(&root).into_bytes(),
            }
        }
        PidEntry::Mountinfo => mountinfo(k, tg).into_bytes(),
        PidEntry::Stat => stat(k, tg, task, thread_level, zombie, ns).into_bytes(),
        PidEntry::Statm => {
            let f = super::memstat::figures(tg, zombie);
            let pages = |b: u64| b / 4096;
            let (size, rss, shared) = (pages(f.size), pages(f.rss()), pages(f.file + f.shmem));
            format!("{size} {rss} {shared} {} 0 {} 0\n", pages(f.text), pages(f.data + f.stack)).into_bytes()
        }
        PidEntry::Status => status(k, tg, task, zombie, ns).into_bytes(),
        PidEntry::Wchan => super::sched::wchan(tg, task, zombie),
        PidEntry::Schedstat => super::sched::schedstat(tg, task),
        PidEntry::CoredumpFilter => super::tunables::coredump_filter(tg, zombie),
        PidEntry::OomAdj => super::tunables::oom_adj(tg),
        PidEntry::Cpuset => super::tunables::cpuset(),
        PidEntry::Timers => super::timers::timers(tg, ns),
        _ => return Err(Errno::EINVAL),
    })
}

fn comm(tg: &ThreadGroup, task: Option<&Arc<TaskShared>>) -> Vec<u8> {
    match task {
        Some(t) => t.comm.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        None => {
            let exe = tg.exe.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let name = exe.rsplit(|&b| b == b'/').next().unwrap_or(&[]).to_vec();
            name[..name.len().min(15)].to_vec()
        }
    }
}

/// `/proc/<pid>/mountinfo`: the mount table as seen from the process's root.
pub fn mountinfo(k: &Kernel, tg: &ThreadGroup) -> String {
    if crate::kernel::task::procs::is_zombie(tg) {
        return String::new();
    }
    let root = tg.fs.lock().unwrap_or_else(|e| e.into_inner()).root.clone();
    // The mount namespace of its (first live) thread.
    let vfs = tg.task_list().first().map_or_else(|| k.vfs.clone(), |t| t.nsproxy().mnt);
    vfs.mount_table().render_mountinfo(&root)
}

/// The one-letter state of a process (or of its thread `task`) and its
/// name, as `stat` and `status` show them: Z, T, R while running
/// application code (or reading this), else S.
pub fn state(tg: &ThreadGroup, task: Option<&Arc<TaskShared>>, zombie: bool) -> (char, &'static str) {
    if zombie {
        return ('Z', "zombie");
    }
    let thread = task.cloned().or_else(|| tg.main_thread());
    if thread.is_some_and(|t| t.ptrace.lock().as_ref().is_some_and(|x| x.stop.is_some())) {
        return ('t', "tracing stop");
    }
    if tg.sig.lock().unwrap_or_else(|e| e.into_inner()).stopped.is_some() {
        return ('T', "stopped");
    }
    let me = crate::kernel::wait::current().map(|t| t.gtid());
    match task {
        Some(t) if Some(t.gtid()) == me || t.in_app.load(std::sync::atomic::Ordering::Relaxed) => ('R', "running"),
        _ => ('S', "sleeping"),
    }
}

/// (total, resident) pages of the process, as `statm`, `stat`, `status`
/// (VmSize, VmRSS) and `ps` show them (`memstat`).
pub fn mem_pages(tg: &ThreadGroup, zombie: bool) -> (u64, u64) {
    let (size, rss) = super::memstat::size_and_rss(tg, zombie);
    (size / 4096, rss / 4096)
}

/// `oom_score`: the OOM killer's view of the process against the memory a
/// process may use (the host's RAM and swap, as `/proc/meminfo` shows;
/// within a container with a limit, the killer weighs against the limit).
fn oom_score(tg: &ThreadGroup, zombie: bool) -> u64 {
    if zombie {
        return 0;
    }
    let meminfo = String::from_utf8(super::sys::meminfo_host()).unwrap_or_default();
    let kib = |key: &str| -> u64 {
        meminfo.lines().find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse().ok()).unwrap_or(0)
    };
    let total = (kib("MemTotal:") + kib("SwapTotal:")) / 4;
    let (_, rss) = mem_pages(tg, zombie);
    crate::kernel::oom::score(tg.oom_adj.get(), rss, total)
}

/// The host pid of the stub process holding the address space.
pub fn stub_pid(tg: &ThreadGroup) -> Option<i32> {
    Some(tg.task_list().first()?.host.lock().unwrap_or_else(|e| e.into_inner()).0)
}

/// Signals with a handler, and ignored ones.
fn sig_sets(tg: &ThreadGroup) -> (u64, u64) {
    let acts = tg.sig_actions.lock().unwrap_or_else(|e| e.into_inner());
    let (mut ign, mut cgt) = (0u64, 0u64);
    for sig in 1..=64 {
        let h = acts.get(sig).handler;
        if h == SIG_IGN {
            ign |= 1 << (sig - 1);
        } else if h != SIG_DFL {
            cgt |= 1 << (sig - 1);
        }
    }
    (ign, cgt)
}

fn stat(
    k: &Kernel,
    tg: &Arc<ThreadGroup>,
    task: Option<&Arc<TaskShared>>,
    thread_level: bool,
    zombie: bool,
    ns: &PidNamespace,
) -> String {
    let (st, _) = state(tg, task, zombie);
    let pid = match task {
        Some(t) if thread_level => t.tid.nr_in(ns),
        _ => tg.pid.nr_in(ns),
    };
    let comm = String::from_utf8_lossy(&comm(tg, task)).into_owned();
    let (size, rss) = mem_pages(tg, zombie);
    let cpu = tg.timers.cpu_times(tg);
    let ticks = |ns: u64| ns / (1_000_000_000 / clock_ticks());
    let (utime, stime) = (ticks(cpu.user_ns), ticks(cpu.system_ns));
    let tpgid = crate::kernel::tty::job::tpgid(tg, ns);
    let tty_nr = crate::kernel::tty::job::tty_nr(tg);
    let kids = *tg.child_times.lock().unwrap_or_else(|e| e.into_inner());
    let (cu, cs) = (kids.utime_us, kids.stime_us);
    let (mask, pending) = match task {
        Some(t) => {
            let s = t.sig.lock().unwrap_or_else(|e| e.into_inner());
            (s.mask, s.pending.mask())
        }
        None => (0, 0),
    };
    let (ign, cgt) = sig_sets(tg);
    let threads = tg.task_list().len().max(1);
    let start = process_start_ticks(k, tg);
    let exit_code = tg.life.lock().unwrap_or_else(|e| e.into_inner()).zombie.map(|s| s.wait_status()).unwrap_or(0);
    let (brk, p) = if zombie {
        (0, ProgramLayout::default())
    } else {
        let mm = tg.mm();
        let st = mm.state.lock().unwrap_or_else(|e| e.into_inner());
        (st.brk_start, st.program)
    };
    // Fields 18 and 19: the priority of a SCHED_OTHER, BATCH or IDLE task
    // (20 + nice, as the kernel shows prio - MAX_RT_PRIO) and its nice value.
    let nice = task.map(|t| t.sched.lock().unwrap_or_else(|e| e.into_inner()).nice).unwrap_or(0);
    let prio = 20 + nice;
    let mut s = String::with_capacity(320);
    let _ = writeln!(
        s,
        "{pid} ({comm}) {st} {ppid} {pgid} {sid} {tty_nr} {tpgid} 4194304 0 0 0 0 {utime} {stime} {cu} {cs} {prio} {nice} {threads} 0 {start} \
         {vsize} {rss} 18446744073709551615 {} {} {} 0 0 {pending} {mask} {ign} {cgt} 0 0 0 {exit_signal} 0 0 0 0 0 0 \
         {} {} {brk} {} {} {} {} {exit_code}",
        p.start_code,
        p.end_code,
        p.start_stack,
        p.start_data,
        p.end_data,
        p.arg_start,
        p.arg_end,
        p.env_start,
        p.env_end,
        ppid = tg.ppid_in(ns),
        pgid = tg.pgrp().nr_in(ns),
        sid = tg.session().nr_in(ns),
        cu = cu * clock_ticks() / 1_000_000,
        cs = cs * clock_ticks() / 1_000_000,
        vsize = size * 4096,
        exit_signal = tg.exit_signal,
    );
    s
}

/// The numbers of `p` from namespace `ns` down to its own, tab-separated.
fn ns_list(p: &Pid, ns: &PidNamespace) -> String {
    p.nrs_from(ns).iter().map(|n| n.to_string()).collect::<Vec<_>>().join("\t")
}

fn status(
    k: &Kernel,
    tg: &Arc<ThreadGroup>,
    task: Option<&Arc<TaskShared>>,
    zombie: bool,
    ns: &PidNamespace,
) -> String {
    let (st, st_name) = state(tg, task, zombie);
    let creds = tg.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let fs = tg.fs.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let tid_ids = task.map(|t| t.tid.clone()).unwrap_or_else(|| tg.pid.clone());
    let (mask, pending) = match task {
        Some(t) => {
            let s = t.sig.lock().unwrap_or_else(|e| e.into_inner());
            (s.mask, s.pending.mask())
        }
        None => (0, 0),
    };
    let shared = tg.sig.lock().unwrap_or_else(|e| e.into_inner()).pending.mask();
    let (ign, cgt) = sig_sets(tg);
    let privs = tg.privs.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let fd_size = tg.fds.list().last().map(|(fd, _)| (*fd as usize + 1).next_multiple_of(64)).unwrap_or(64);
    // Ids as the reader's user namespace sees them.
    let user = super::userns::caller_ns();
    let (u, g) = (|id| user.uid_shown(id), |id| user.gid_shown(id));
    let groups: String = creds.groups.iter().map(|&id| format!("{} ", g(id))).collect();
    let ncpu = crate::kernel::task::SchedAttrs::online_cpus();
    let mut s = String::with_capacity(1500);
    let _ = writeln!(s, "Name:\t{}", String::from_utf8_lossy(&comm(tg, task)));
    let _ = writeln!(s, "Umask:\t{:04o}", fs.umask);
    let _ = writeln!(s, "State:\t{st} ({st_name})");
    let (tgid, tid, ppid) = (tg.pid.nr_in(ns), tid_ids.nr_in(ns), tg.ppid_in(ns));
    let thread = task.cloned().or_else(|| tg.main_thread());
    let tracer = thread.as_ref().and_then(|t| t.ptrace.tracer()).map(|t| t.pid.nr_in(ns)).unwrap_or(0);
    let _ = writeln!(s, "Tgid:\t{tgid}\nNgid:\t0\nPid:\t{tid}\nPPid:\t{ppid}\nTracerPid:\t{tracer}");
    let _ = writeln!(s, "Uid:\t{}\t{}\t{}\t{}", u(creds.ruid), u(creds.euid), u(creds.suid), u(privs.fsuid));
    let _ = writeln!(s, "Gid:\t{}\t{}\t{}\t{}", g(creds.rgid), g(creds.egid), g(creds.sgid), g(privs.fsgid));
    let _ = writeln!(s, "FDSize:\t{fd_size}\nGroups:\t{groups}");
    // Each id in every namespace from this /proc's down to the process's own
    // (a group or session led from outside shows as 0, as in Linux).
    let (pgrp, session) = (tg.pgrp(), tg.session());
    let _ = writeln!(s, "NStgid:\t{}\nNSpid:\t{}", ns_list(&tg.pid, ns), ns_list(&tid_ids, ns));
    let _ = writeln!(s, "NSpgid:\t{}\nNSsid:\t{}", ns_pgid_list(&pgrp, tg, ns), ns_pgid_list(&session, tg, ns));
    status_lines::kthread(&mut s);
    if !zombie {
        let f = super::memstat::figures(tg, zombie);
        let kb = |b: u64| b / 1024;
        let _ = writeln!(s, "VmPeak:\t{:8} kB\nVmSize:\t{:8} kB", kb(f.peak), kb(f.size));
        let _ = writeln!(s, "VmLck:\t{:8} kB\nVmPin:\t{:8} kB", kb(f.locked), 0);
        let _ = writeln!(s, "VmHWM:\t{:8} kB\nVmRSS:\t{:8} kB", kb(f.hwm), kb(f.rss()));
        let _ = writeln!(s, "RssAnon:\t{:8} kB\nRssFile:\t{:8} kB", kb(f.anon), kb(f.file));
        let _ = writeln!(s, "RssShmem:\t{:8} kB\nVmData:\t{:8} kB", kb(f.shmem), kb(f.data));
        let _ = writeln!(s, "VmStk:\t{:8} kB\nVmExe:\t{:8} kB\nVmLib:\t{:8} kB", kb(f.stack), kb(f.text), kb(f.lib));
        let _ = writeln!(s, "VmPTE:\t{:8} kB\nVmSwap:\t{:8} kB", kb(f.pte), kb(f.swap));
        // 0 only when PR_SET_THP_DISABLE turned THP off completely.
        let thp = tg.mm().flags.thp_disable.load(std::sync::atomic::Ordering::Relaxed) != 1;
        let _ = writeln!(s, "HugetlbPages:\t{:8} kB\nCoreDumping:\t0\nTHP_enabled:\t{}", 0, thp as u8);
        status_lines::untag_mask(&mut s);
    }
    let _ = writeln!(s, "Threads:\t{}", tg.task_list().len().max(1));
    let (queued, limit) = super::sched::sigq(k, tg);
    let _ = writeln!(s, "SigQ:\t{queued}/{limit}\nSigPnd:\t{pending:016x}\nShdPnd:\t{shared:016x}");
    let _ = writeln!(s, "SigBlk:\t{mask:016x}\nSigIgn:\t{ign:016x}\nSigCgt:\t{cgt:016x}");
    let _ = writeln!(
        s,
        "CapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}",
        privs.inheritable, privs.permitted, privs.effective
    );
    let _ = writeln!(s, "CapBnd:\t{:016x}\nCapAmb:\t{:016x}", privs.bounding, privs.ambient);
    // The thread's seccomp (the main thread's for a process directory).
    let sc = task.map(|t| t.seccomp.get()).unwrap_or_default();
    let _ = writeln!(s, "NoNewPrivs:\t{}\nSeccomp:\t{}", privs.no_new_privs as u8, sc.mode);
    let _ = writeln!(s, "Seccomp_filters:\t{}", sc.filters());
    status_lines::speculation(&mut s, if zombie { None } else { stub_pid(tg) });
    // The thread's affinity (sched_setaffinity, taskset).
    let affinity = thread.as_ref().map(|t| t.sched.lock().unwrap_or_else(|e| e.into_inner()).affinity.clone());
    let affinity = affinity.unwrap_or_else(crate::kernel::task::SchedAttrs::all_cpus);
    status_lines::cpus_allowed(&mut s, &affinity, ncpu);
    status_lines::mems_allowed(&mut s);
    let (vol, nonvol) = thread.as_deref().map(super::sched::ctxt_switches).unwrap_or((0, 0));
    let _ = writeln!(s, "voluntary_ctxt_switches:\t{vol}\nnonvoluntary_ctxt_switches:\t{nonvol}");
    s
}

/// NSpgid/NSsid: the group's (session's) number in each namespace from `ns`
/// down to the process's own; Linux prints 0 where it does not show.
fn ns_pgid_list(p: &Pid, tg: &ThreadGroup, ns: &PidNamespace) -> String {
    let mut levels = Vec::new();
    let mut n = Some(tg.pidns());
    while let Some(x) = n {
        if x.level() < ns.level() {
            break;
        }
        levels.push(p.nr_in(x));
        n = x.parent();
    }
    levels.iter().rev().map(|n| n.to_string()).collect::<Vec<_>>().join("\t")
}

/// `/proc/<pid>/maps`.
pub fn maps(tg: &ThreadGroup) -> String {
    maps_with_gate(tg).into_iter().map(|(_, line)| line).collect()
}

/// The address space's mappings as `maps` shows them: each merged VMA and
/// its line.
pub fn map_lines(tg: &ThreadGroup) -> Vec<(Vma, String)> {
    if crate::kernel::task::procs::is_zombie(tg) {
        return Vec::new();
    }
    lines_of(merged(tg.mm().vmas().iter()))
}

/// The mappings as `maps` lists them (Linux's VMAs: neighbours that
/// differ in nothing are one), the vsyscall page last where there is one.
pub fn mappings(tg: &ThreadGroup) -> Vec<Vma> {
    maps_with_gate(tg).into_iter().map(|(v, _)| v).collect()
}

/// `map_lines` and, last, the vsyscall page where the host kernel has one:
/// Linux's `maps` and `smaps` show that gate area after the VMAs (it is in
/// every process, the stubs too, and works under husk), though it is no
/// VMA (not in smaps_rollup, map_files or the VMA count).
pub fn maps_with_gate(tg: &ThreadGroup) -> Vec<(Vma, String)> {
    let mut out = map_lines(tg);
    if !out.is_empty() && host_has_vsyscall() {
        let gate = Vma {
            start: VSYSCALL_START,
            end: VSYSCALL_START + 4096,
            prot: libc::PROT_EXEC as u32,
            flags: libc::MAP_PRIVATE as u32,
            backing: Backing::Vdso("[vsyscall]"),
            accounted: false,
            advised: Default::default(),
        };
        out.extend(lines_of(vec![gate]));
    }
    out
}

const VSYSCALL_START: u64 = 0xffff_ffff_ff60_0000;

/// Whether the host kernel shows the vsyscall page (vsyscall=none hides it).
fn host_has_vsyscall() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| {
        std::fs::read_to_string("/proc/self/maps").is_ok_and(|m| m.lines().any(|l| l.ends_with("[vsyscall]")))
    })
}

/// The `maps` line of each mapping.
fn lines_of(vmas: Vec<Vma>) -> Vec<(Vma, String)> {
    let mut out = Vec::new();
    for v in vmas {
        let mut s = String::new();
        let (dev, ino, off, name) = match &v.backing {
            Backing::File { file, offset } => {
                let st = file.ops.stat().unwrap_or_default();
                let dev = super::super::stat::dev_major(st.dev) << 8 | super::super::stat::dev_minor(st.dev);
                (dev, st.ino, *offset, String::from_utf8_lossy(&file.path).into_owned())
            }
            Backing::Heap => (0, 0, 0, "[heap]".into()),
            Backing::Stack => (0, 0, 0, "[stack]".into()),
            Backing::Vdso(name) => (0, 0, 0, name.to_string()),
            Backing::Anon | Backing::ThreadStack { .. } => (0, 0, 0, String::new()),
            // Linux shows shared anonymous memory as its shmem file.
            Backing::SharedAnon { id, offset } => (1, *id, *offset, "/dev/zero (deleted)".into()),
            // Linux numbers a segment's inode with its id.
            Backing::Shm { shm, offset } => {
                let seg = shm.segment();
                (1, seg.id() as u64, *offset, format!("/SYSV{:08x} (deleted)", seg.key() as u32))
            }
        };
        let p = |bit: i32, c: char| if v.prot & bit as u32 != 0 { c } else { '-' };
        let shared = if v.flags & libc::MAP_SHARED as u32 != 0 { 's' } else { 'p' };
        let _ = write!(
            s,
            "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
            v.start,
            v.end,
            p(libc::PROT_READ, 'r'),
            p(libc::PROT_WRITE, 'w'),
            p(libc::PROT_EXEC, 'x'),
            shared,
            off,
            dev >> 8,
            dev & 0xff,
            ino
        );
        if !name.is_empty() {
            if s.len() < 72 {
                s.extend(std::iter::repeat_n(' ', 72 - s.len()));
            }
            s.push(' ');
            s.push_str(&name);
        }
        s.push('\n');
        out.push((v, s));
    }
    out
}

/// The mappings as Linux's VMAs would be: neighbours Linux would hold in
/// one VMA (`Vma::merges_with`) are one.
fn merged<'a>(vmas: impl Iterator<Item = &'a Vma>) -> Vec<Vma> {
    let mut out: Vec<Vma> = Vec::new();
    for v in vmas {
        match out.last_mut() {
            Some(last) if last.merges_with(v) => last.end = v.end,
            _ => out.push(v.clone()),
        }
    }
    out
}

/// What `/proc/<pid>/fd/N` and `/proc/<pid>/fdinfo/N` show of a descriptor.
#[derive(Clone, Debug)]
pub struct FdView {
    /// What `readlink` of `fd/N` gives (a path, `pipe:[N]`, `socket:[N]`...).
    pub target: Vec<u8>,
    pub pos: u64,
    /// The open file's flags, with O_CLOEXEC if the descriptor has it.
    pub flags: u32,
    pub mnt_id: u32,
    pub ino: u64,
    /// Lines only this kind of file has (a pidfd's process).
    pub extra: String,
}

impl FdView {
    /// The `fdinfo/N` text.
    pub fn fdinfo(&self) -> String {
        format!(
            "pos:\t{}\nflags:\t0{:o}\nmnt_id:\t{}\nino:\t{}\n{}",
            self.pos, self.flags, self.mnt_id, self.ino, self.extra
        )
    }
}

/// A pidfd's fdinfo lines: its process's ids from namespace `ns` down, -1
/// once it is reaped, as Linux shows them.
fn pidfd_lines(p: &crate::kernel::event::pidfd::PidFd, ns: &PidNamespace) -> String {
    if p.reaped() {
        return "Pid:\t-1\nNSpid:\t-1\n".into();
    }
    format!("Pid:\t{}\nNSpid:\t{}\n", p.0.pid.nr_in(ns), ns_list(&p.0.pid, ns))
}

/// Descriptor `fd` of process `tg`.
pub fn fd_view(k: &Kernel, tg: &ThreadGroup, fd: i32) -> Result<FdView, Errno> {
    let e = tg.fds.entry(fd).map_err(|_| Errno::ENOENT)?;
    let f = &e.file;
    // The mount in the process's own mount namespace.
    let vfs = tg.task_list().first().map_or_else(|| k.vfs.clone(), |t| t.nsproxy().mnt);
    let mnt_id = if f.path.first() == Some(&b'/') { vfs.mount_of(&f.path).id } else { 0 };
    let cloexec = if e.cloexec { libc::O_CLOEXEC as u32 } else { 0 };
    Ok(FdView {
        target: f.path.clone(),
        pos: f.position(),
        flags: f.flags() | cloexec,
        mnt_id,
        ino: f.ops.stat().map(|s| s.ino).unwrap_or(0),
        extra: crate::kernel::event::downcast::<crate::kernel::event::pidfd::PidFd>(f)
            .map(|p| pidfd_lines(p, tg.pidns()))
            .unwrap_or_default(),
    })
}
