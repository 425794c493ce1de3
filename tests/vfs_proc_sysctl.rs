//! /proc files whose values the kernel acts on, and the per-process links
//! tools read: `tests/c/proc_sysctl.c` runs natively and under husk and
//! must print the same lines. `somaxconn` runs natively in a new network
//! namespace (`unshare --net`, its own somaxconn, as the sandbox's network
//! is its own); `max_map_count` is global on the host, so the native run
//! checks the default limit without changing it and the husk run writes a
//! small one first (the checks are relative to the limit).

mod common;

use common::*;

c_groups! { "proc_sysctl":
    proc_sysctl_core_pattern => "core",
    proc_sysctl_map_files => "mapfiles",
    proc_sysctl_net_namespace => "netns",
}

/// somaxconn: reads, writes with proc_dointvec_minmax's errnos, and caps
/// the backlog of AF_UNIX and TCP listeners (backlog + 1 connections).
#[test]
fn proc_sysctl_somaxconn() {
    let bin = c_program_str("proc_sysctl");
    let n = Run::native(&["unshare", "--net", &bin, "somaxconn"]).timeout(proc_timeout()).run();
    assert_all_ok(&n, "native proc_sysctl somaxconn");
    let h = Run::husk_do(&["--", &bin, "somaxconn"]).timeout(proc_timeout()).run();
    assert_same_as_native(&n, &h);
}

/// max_map_count: new mappings fail once past it, splits once at it.
#[test]
fn proc_sysctl_max_map_count() {
    let bin = c_program_str("proc_sysctl");
    let n = Run::native(&[&bin, "maxmap"]).timeout(proc_timeout()).run();
    assert_all_ok(&n, "native proc_sysctl maxmap");
    let h =
        Run::husk_do(&["--", &bin, "maxmap"]).env("PROC_SYSCTL_MAX_MAP_COUNT", "1000").timeout(proc_timeout()).run();
    assert_same_as_native(&n, &h);
}

/// core_pattern shows the host's pattern, as in a container; writing it
/// is EROFS, as where a container's runtime mounts /proc/sys read-only
/// (natively root would change the host's, so only husk is run).
#[test]
fn core_pattern_is_the_hosts_and_read_only() {
    for file in ["/proc/sys/kernel/core_pattern", "/proc/sys/kernel/core_uses_pid"] {
        let n = native(&["cat", file]);
        let h = husk_do(&["cat", file]);
        assert_same_as_native(&n, &h);
    }
    let w = husk_do(&["bash", "-c", "echo core > /proc/sys/kernel/core_pattern; echo rc=$?"]);
    assert!(stdout_text(&w).contains("rc=1"), "{}", describe(&w));
    let w = husk_do(&["bash", "-c", "echo 1 > /proc/sys/kernel/core_uses_pid; echo rc=$?"]);
    assert!(stdout_text(&w).contains("rc=1"), "{}", describe(&w));
    assert!(String::from_utf8_lossy(&w.stderr).contains("Read-only file system"), "{}", describe(&w));
}

/// `lsns` finds the network namespace.
#[test]
fn lsns_lists_the_network_namespace() {
    let script = "lsns -t net -p $$ -n -o TYPE; lsns -n -o TYPE | grep -q '^net$' && echo listed";
    let n = native(&["bash", "-c", script]);
    let h = husk_do(&["bash", "-c", script]);
    assert_exit(&h, 0);
    assert_eq!(stdout_text(&n), "net\nlisted\n", "{}", describe(&n));
    assert_same_as_native(&n, &h);
}
