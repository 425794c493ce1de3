//! `/sys/fs/cgroup`: each container sees its own cgroup v2 at the root, as
//! under Docker's private cgroup namespace. The core files (who is in the
//! cgroup, its type, CPU time, the answers to writes) are checked against
//! Linux with `tests/c/cgroup_view.c`, natively in a child cgroup of the
//! test's own; the memory and pids controllers, which the host's cgroup
//! v1 keeps from a native child, against the bundle's limits and what the
//! container did.

mod common;
mod oci_support;

use common::*;
use oci_support::World;

#[test]
fn cgroup_core_files_as_linux() {
    check_c_group("cgroup_view", "layout");
}

#[test]
fn cgroup_lists_live_processes_and_threads() {
    check_c_group("cgroup_view", "members");
}

#[test]
fn cgroup_cpu_stat_counts_reaped_children() {
    check_c_group("cgroup_view", "cpu");
}

#[test]
fn cgroup_writes_answer_as_linux() {
    check_c_group("cgroup_view", "writes");
}

#[test]
fn cgroup_is_mounted_read_only_with_limits_unset() {
    require_busybox();
    let script = "grep cgroup /proc/self/mountinfo | cut -d' ' -f5-; /usr/bin/stat -f -c %T /sys/fs/cgroup; \
                  cd /sys/fs/cgroup && cat cgroup.controllers memory.max pids.max; echo 1 > pids.max";
    let h = husk_do(&[BUSYBOX, "sh", "-c", script]);
    assert_eq!(
        stdout_text(&h),
        "/sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup ro\ncgroup2fs\nmemory pids\nmax\nmax\n",
        "{}",
        describe(&h)
    );
    assert!(stderr_text(&h).contains("Read-only file system"), "{}", describe(&h));
}

#[test]
fn pids_limit_refuses_forks_and_shows_in_the_cgroup() {
    let w = World::new("cgroup-pids");
    // The program and three children make four tasks: the next fork fails.
    let b = w.bundle_with("b", &["cgroup_view", "pids-limit"], |cfg| {
        cfg["linux"]["resources"] = serde_json::json!({ "pids": { "limit": 4 } });
    });
    std::fs::copy(c_program("cgroup_view"), b.join("rootfs/bin/cgroup_view")).unwrap();
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "p1"]);
    let want = "forked 3: EAGAIN\npids.current: 4\npids.max: 4\npids.peak: 4\npids.events: max 2\nafter: 1\n";
    assert_eq!((o.code, o.stdout.as_str()), (0, want), "{o:#?}");
    assert!(!o.stderr.contains("warning"), "the pids limit is supported: {o:#?}");
}

#[test]
fn memory_figures_follow_the_limit_and_the_oom_killer() {
    let w = World::new("cgroup-memory");
    let script = "cd /sys/fs/cgroup; cat memory.max; read c < memory.current; read p < memory.peak; \
                  [ $c -gt 0 ] && [ $p -ge $c ] && [ $p -le 67108864 ] && echo current-ok; \
                  memhog 200 >/dev/null; echo hog=$?; grep -E '^(max|oom|oom_kill) ' memory.events | tr '\\n' ' '; echo";
    let b = w.bundle_with("b", &["sh", "-c", script], |cfg| {
        cfg["linux"]["resources"] = serde_json::json!({ "memory": { "limit": 64 << 20 } });
    });
    std::fs::copy(c_program("memhog"), b.join("rootfs/bin/memhog")).unwrap();
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "m1"]);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.get(..3), Some(&["67108864", "current-ok", "hog=137"][..]), "{o:#?}");
    // Each charge that hit the limit ran the OOM killer; it killed the hog once.
    let events: Vec<(&str, u64)> =
        lines[3].split_whitespace().collect::<Vec<_>>().chunks(2).map(|kv| (kv[0], kv[1].parse().unwrap())).collect();
    assert_eq!(events.len(), 3, "{o:#?}");
    assert!(events[0].1 >= 1 && events[1].1 == events[0].1 && events[2] == ("oom_kill", 1), "{o:#?}");
}

#[test]
fn do_takes_memory_and_pids_limits() {
    require_busybox();
    let script = "cd /sys/fs/cgroup && cat memory.max pids.max";
    let h = husk_do(&["--memory", "96m", "--pids-limit", "50", "--", BUSYBOX, "sh", "-c", script]);
    assert_eq!(stdout_text(&h), "100663296\n50\n", "{}", describe(&h));
    let h = husk_do(&["-m", "1G", "--", BUSYBOX, "cat", "/sys/fs/cgroup/memory.max"]);
    assert_eq!(stdout_text(&h), "1073741824\n", "{}", describe(&h));
    // The limit holds: 200 MiB of touched memory under 64 MiB is killed.
    let hog = c_program_str("memhog");
    let h = husk_do(&["--memory", "64m", "--", &hog, "200"]);
    assert_eq!(exit_code(&h), 128 + libc::SIGKILL, "{}", describe(&h));
}

#[test]
fn cgroup_kill_ends_every_process_but_the_writers_own_init() {
    require_busybox();
    // As Linux's send_sig(SIGKILL, task, 0): the init of the writer's own
    // PID namespace ignores it; every other process of the cgroup dies.
    let script = "mount -t cgroup2 none /mnt; sleep 100 & echo 1 > /mnt/cgroup.kill; wait $!; echo bg=$? init=alive";
    let h = husk_do(&["--", BUSYBOX, "sh", "-c", script]);
    assert_eq!(stdout_text(&h), "bg=137 init=alive\n", "{}", describe(&h));
}
