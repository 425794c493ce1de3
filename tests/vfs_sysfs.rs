//! `/sys/devices/system/cpu`, checked against Linux: the groups of
//! `tests/c/sysfs_cpu.c` (the C library's CPU counts, the files' formats
//! and modes, sysfs's refusals) run natively and under `husk do` and must
//! print the same lines; then the tools that count CPUs from it.

mod common;

use common::*;

#[test]
fn cpu_counts_agree_with_the_c_library() {
    check_c_group("sysfs_cpu", "count");
}

#[test]
fn cpu_files_have_linux_modes_and_formats() {
    check_c_group("sysfs_cpu", "files");
}

#[test]
fn sysfs_refuses_every_change() {
    check_c_group("sysfs_cpu", "readonly");
}

/// `/sys/kernel/mm/transparent_hugepage/{enabled,defrag}` show the host's.
#[test]
fn thp_settings_are_the_hosts() {
    c_output_same_as_native("sysfs_cpu", "thp", &[]);
}

/// The lines of a run, each with its spaces collapsed (`lscpu` pads its
/// columns to its longest key, and the host shows keys the sandbox has no
/// files for).
fn words(out: &std::process::Output) -> Vec<String> {
    stdout_text(out).lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect()
}

#[test]
fn tools_count_the_same_cpus_as_natively() {
    require_busybox();
    let py = python3();
    let script = format!(
        "ls /sys/devices/system/cpu | grep -cE '^cpu[0-9]+$'; cd /sys/devices/system/cpu && cat online possible present
         nproc; nproc --all; busybox nproc; busybox nproc --all; getconf _NPROCESSORS_CONF; getconf _NPROCESSORS_ONLN
         lscpu | grep -E '^(CPU\\(s\\)|On-line CPU)'; lscpu -p=CPU | grep -v '^#'
         {py} -c 'import os; print(os.cpu_count(), len(os.sched_getaffinity(0)))'"
    );
    let n = native(&["sh", "-c", &script]);
    assert_exit(&n, 0);
    let native_lines = words(&n);
    // The sandbox shows the CPUs it may use: natively those are every
    // online CPU unless the tests run pinned to fewer.
    let (present, allowed) = (native_lines.first().cloned(), native_lines.get(4).cloned());
    if present != allowed {
        eprintln!("skipped: the tests run on {allowed:?} of {present:?} CPUs");
        return;
    }
    let h = husk_do(&["--", "/bin/sh", "-c", &script]);
    assert_exit(&h, 0);
    assert_eq!(words(&h), native_lines, "\n{}", describe(&h));
}

#[test]
fn ls_shows_the_cpu_tree_with_linux_modes() {
    require_busybox();
    let h = husk_do(&[BUSYBOX, "sh", "-c", "cd /sys/devices/system/cpu && ls -l cpu0/.. | grep -v total; ls -ld /sys"]);
    assert_exit(&h, 0);
    let text = stdout_text(&h);
    let mut lines: Vec<&str> = text.lines().collect();
    let root = lines.pop().unwrap_or_default();
    assert!(root.starts_with("dr-xr-xr-x ") && root.ends_with(" /sys"), "{text}");
    // The host's vulnerabilities directory shows through (last in ls's order).
    if std::path::Path::new("/sys/devices/system/cpu/vulnerabilities").is_dir() {
        let v = lines.pop().unwrap_or_default();
        assert!(v.starts_with("drwxr-xr-x ") && v.ends_with(" vulnerabilities"), "{text}");
    }
    let ncpu = lines.iter().filter(|l| l.starts_with('d')).count();
    assert!(ncpu >= 1, "{text}");
    for (i, l) in lines[..ncpu].iter().enumerate() {
        assert!(l.starts_with("drwxr-xr-x ") && l.ends_with(&format!(" cpu{i}")), "{text}");
    }
    let files: Vec<&str> = lines[ncpu..].iter().filter_map(|l| l.split_whitespace().last()).collect();
    assert_eq!(files, ["kernel_max", "online", "possible", "present"], "{text}");
    assert!(lines[ncpu..].iter().all(|l| l.starts_with("-r--r--r-- ")), "{text}");
    let mount = husk_do(&[BUSYBOX, "sh", "-c", "busybox stat -f -c %T /sys; grep ' /sys ' /proc/mounts"]);
    assert_eq!(
        stdout_text(&mount),
        "sysfs\nsysfs /sys sysfs ro,nosuid,nodev,noexec,relatime 0 0\n",
        "{}",
        describe(&mount)
    );
}
