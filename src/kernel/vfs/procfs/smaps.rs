//! `/proc/<pid>/smaps` and `smaps_rollup`: the memory figures of a
//! process's mappings. The pages live in the stub process that holds the
//! address space, at the same addresses, so the figures are the host's for
//! the stub (its own `smaps`), summed over the host mappings inside each of
//! the sandbox's (merged) mappings; the stub's own slots and anything else
//! outside the application's mappings are left out.

use std::fmt::Write as _;

use super::pid::{map_lines, maps_with_gate, stub_pid};
use crate::kernel::mm::Vma;
use crate::kernel::task::ThreadGroup;

/// One mapping of the host's smaps.
struct HostArea {
    start: u64,
    /// `Key: N kB` fields after Size/KernelPageSize/MMUPageSize, in order.
    fields: Vec<(String, u64)>,
    thp_eligible: u64,
    /// `ProtectionKey:` where the host shows it (CPUs with pkeys): a
    /// number, no unit, after THPeligible.
    pkey: Option<u64>,
    vm_flags: String,
    /// Whether the mapping is of a file on the host (not anonymous or memfd)
    /// or the vDSO.
    file: bool,
}

impl HostArea {
    /// Field `key` in kB (0 if the host did not show it).
    fn get(&self, key: &str) -> u64 {
        self.fields.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n)
    }
}

/// The fields Linux's smaps_rollup shows, after Rss and Pss.
const ROLLUP_AFTER_PSS: [&str; 17] = [
    "Pss_Dirty",
    "Shared_Clean",
    "Shared_Dirty",
    "Private_Clean",
    "Private_Dirty",
    "Referenced",
    "Anonymous",
    "KSM",
    "LazyFree",
    "AnonHugePages",
    "ShmemPmdMapped",
    "FilePmdMapped",
    "Shared_Hugetlb",
    "Private_Hugetlb",
    "Swap",
    "SwapPss",
    "Locked",
];

fn host_areas(tg: &ThreadGroup) -> Vec<HostArea> {
    let Some(pid) = stub_pid(tg) else { return Vec::new() };
    let text = super::host_read::read_host(&format!("/proc/{pid}/smaps"));
    let mut areas: Vec<HostArea> = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if let Some(start) = area_start(line) {
            areas.push(HostArea {
                start,
                fields: Vec::new(),
                thp_eligible: 0,
                pkey: None,
                vm_flags: String::new(),
                file: area_is_file(line),
            });
            continue;
        }
        let Some(a) = areas.last_mut() else { continue };
        let key = first.trim_end_matches(':');
        match key {
            "VmFlags" => a.vm_flags = words.collect::<Vec<_>>().join(" "),
            "THPeligible" => a.thp_eligible = words.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "ProtectionKey" => a.pkey = words.next().and_then(|v| v.parse().ok()),
            "Size" | "KernelPageSize" | "MMUPageSize" => {}
            _ => {
                if let Some(v) = words.next().and_then(|v| v.parse().ok()) {
                    a.fields.push((key.to_string(), v));
                }
            }
        }
    }
    areas
}

/// The host areas inside `v`, their fields summed (in the host's order;
/// zeros where the stub holds nothing there yet).
fn sum_in<'a>(v: &Vma, areas: &'a [HostArea]) -> (Vec<(String, u64)>, Option<&'a HostArea>) {
    let inside: Vec<&HostArea> = areas.iter().filter(|a| a.start >= v.start && a.start < v.end).collect();
    let mut sums: Vec<(String, u64)> =
        areas.first().map(|a| a.fields.iter().map(|(k, _)| (k.clone(), 0)).collect()).unwrap_or_default();
    for a in &inside {
        for (k, n) in &a.fields {
            match sums.iter_mut().find(|(s, _)| s == k) {
                Some(e) => e.1 += n,
                None => sums.push((k.clone(), *n)),
            }
        }
    }
    (sums, inside.first().copied())
}

/// `/proc/<pid>/smaps`.
pub fn smaps(tg: &ThreadGroup) -> String {
    let areas = host_areas(tg);
    let mut s = String::new();
    for (v, line) in maps_with_gate(tg) {
        s.push_str(&line);
        let (sums, first) = sum_in(&v, &areas);
        kb_line(&mut s, "Size", (v.end - v.start) / 1024);
        kb_line(&mut s, "KernelPageSize", 4);
        kb_line(&mut s, "MMUPageSize", 4);
        for (k, n) in &sums {
            kb_line(&mut s, k, *n);
        }
        let _ = writeln!(s, "{:<16}{:>8}", "THPeligible:", first.map_or(0, |a| a.thp_eligible));
        // Shown for every mapping or none, as the CPU has pkeys or not.
        if let Some(pkey) = first.and_then(|a| a.pkey).or(areas.first().and_then(|a| a.pkey.map(|_| 0))) {
            let _ = writeln!(s, "{:<16}{:>8}", "ProtectionKey:", pkey);
        }
        let flags = match first {
            Some(a) => a.vm_flags.clone(),
            None => prot_flags(&v),
        };
        let _ = writeln!(s, "VmFlags: {flags} ");
    }
    s
}

/// The access flags of a mapping the stub does not hold (nothing touched).
fn prot_flags(v: &Vma) -> String {
    let mut f = Vec::new();
    for (bit, name) in [(libc::PROT_READ, "rd"), (libc::PROT_WRITE, "wr"), (libc::PROT_EXEC, "ex")] {
        if v.prot & bit as u32 != 0 {
            f.push(name);
        }
    }
    if v.flags & libc::MAP_SHARED as u32 != 0 {
        f.push("sh");
    }
    f.join(" ")
}

/// `/proc/<pid>/smaps_rollup`: the sums over every mapping, with the
/// proportional set split by kind (anonymous pages, file pages, shared
/// memory), under one line spanning the address space.
pub fn rollup(tg: &ThreadGroup) -> String {
    let lines = map_lines(tg);
    let (Some((first, _)), Some((last, _))) = (lines.first(), lines.last()) else {
        return String::new();
    };
    let areas = host_areas(tg);
    let app: Vec<&HostArea> =
        areas.iter().filter(|a| lines.iter().any(|(v, _)| a.start >= v.start && a.start < v.end)).collect();
    let total = |key: &str| -> u64 { app.iter().map(|a| a.get(key)).sum() };
    let (rss, pss) = (total("Rss"), total("Pss"));
    let after: Vec<(&str, u64)> = ROLLUP_AFTER_PSS.iter().map(|k| (*k, total(k))).collect();
    // Pss by kind: a mapping's anonymous pages are anonymous, the rest are
    // its file's (a host file) or shared memory (memfd-backed).
    let (mut anon, mut file, mut shmem) = (0, 0, 0);
    for a in &app {
        let (p, an) = (a.get("Pss"), a.get("Anonymous").min(a.get("Pss")));
        anon += an;
        if a.file {
            file += p - an;
        } else {
            shmem += p - an;
        }
    }
    // The name column where `maps` puts it.
    let mut s = format!("{:08x}-{:08x} ---p 00000000 00:00 0 ", first.start, last.end);
    s = format!("{s:<72} [rollup]\n");
    let kinds = [("Pss_Anon", anon), ("Pss_File", file), ("Pss_Shmem", shmem)];
    let head = [("Rss", rss), ("Pss", pss)].into_iter().chain(after.iter().take(1).copied());
    for (k, n) in head.chain(kinds).chain(after.iter().skip(1).copied()) {
        kb_line(&mut s, k, n);
    }
    s
}

/// Resident bytes of the application's mappings by kind: (anonymous,
/// file, shared memory), as Linux's RssAnon/RssFile/RssShmem count them.
/// `stat`, `statm` and `status` ask for these on every read (`ps` reads
/// each process's), so only the two figures needed are parsed.
pub fn resident_by_kind(tg: &ThreadGroup) -> (u64, u64, u64) {
    let ranges: Vec<(u64, u64)> = {
        let mm = tg.mm();
        let st = mm.state.lock().unwrap_or_else(|e| e.into_inner());
        st.vmas.iter().map(|v| (v.start, v.end)).collect()
    };
    let Some(pid) = stub_pid(tg) else { return (0, 0, 0) };
    let text = super::host_read::read_host(&format!("/proc/{pid}/smaps"));
    let (mut anon, mut file, mut shmem) = (0, 0, 0);
    // The current area: inside the application's mappings, a host file's;
    // its Rss and Anonymous figures.
    let mut area: Option<(bool, u64, u64)> = None;
    let mut settle = |a: Option<(bool, u64, u64)>| {
        if let Some((is_file, rss, an)) = a {
            let an = an.min(rss);
            anon += an;
            if is_file {
                file += rss - an;
            } else {
                shmem += rss - an;
            }
        }
    };
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("Rss:") {
            if let Some(a) = area.as_mut() {
                a.1 = kb_figure(v);
            }
        } else if let Some(v) = line.strip_prefix("Anonymous:") {
            if let Some(a) = area.as_mut() {
                a.2 = kb_figure(v);
            }
        } else if let Some(start) = area_start(line) {
            settle(area.take());
            if ranges.iter().any(|&(s, e)| start >= s && start < e) {
                area = Some((area_is_file(line), 0, 0));
            }
        }
    }
    settle(area);
    (anon * 1024, file * 1024, shmem * 1024)
}

/// The start address of an smaps header line (`start-end perms ...`);
/// `None` for a field line (`Key: ...`).
fn area_start(line: &str) -> Option<u64> {
    let first = line.split_ascii_whitespace().next()?;
    if first.ends_with(':') {
        return None;
    }
    let (lo, _) = first.split_once('-')?;
    Some(u64::from_str_radix(lo, 16).unwrap_or(0))
}

/// Whether the area of smaps header `line` maps a file of the host (not
/// anonymous memory or a memfd) or is the vDSO, whose page is the kernel's,
/// counted with file pages.
fn area_is_file(line: &str) -> bool {
    let path = line.split_whitespace().nth(5).unwrap_or("");
    (path.starts_with('/') && !path.starts_with("/memfd:") && !line.ends_with("(deleted)")) || path == "[vdso]"
}

/// The number of a `Key:   N kB` field's value.
fn kb_figure(v: &str) -> u64 {
    v.split_ascii_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// One `Key:    N kB` line, aligned as Linux aligns them.
fn kb_line(s: &mut String, key: &str, kb: u64) {
    let _ = writeln!(s, "{:<16}{:>8} kB", format!("{key}:"), kb);
}
