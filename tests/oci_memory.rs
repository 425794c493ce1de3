//! `linux.resources.memory.limit`: a container's committed memory is held
//! to its limit; the charge that would pass it OOM-kills the container's
//! largest process with SIGKILL, `events` reports an `oom` event, and
//! `state` and `events --stats` show the memory figures
//! (tests/c/memhog.c touches memory).

mod common;
mod oci_support;

use std::path::PathBuf;
use std::time::Duration;

use oci_support::{eventually, World};

const LIMIT: u64 = 64 << 20;

/// A busybox bundle with memhog in /bin and a 64 MiB memory limit (or none).
fn hog_bundle(w: &World, name: &str, args: &[&str], limit: Option<u64>) -> PathBuf {
    let b = w.bundle_with(name, args, |cfg| {
        if let Some(l) = limit {
            cfg["linux"]["resources"] = serde_json::json!({ "memory": { "limit": l } });
        }
    });
    std::fs::copy(common::c_program("memhog"), b.join("rootfs/bin/memhog")).unwrap();
    b
}

#[test]
fn a_process_touching_more_than_the_limit_is_killed() {
    let w = World::new("oci-oom-kill");
    for (i, mode) in ["chunks", "big"].iter().enumerate() {
        let b = hog_bundle(&w, &format!("b{i}"), &["memhog", "200", mode], Some(LIMIT));
        let o = w.husk(&["run", "-b", b.to_str().unwrap(), &format!("k{i}")]);
        assert_eq!(o.code, 128 + libc::SIGKILL, "{mode}: {o:#?}");
        assert!(!o.stdout.contains("touched"), "{mode}: {o:#?}");
        assert!(!o.stderr.contains("warning"), "{mode}: the memory limit is supported: {o:#?}");
    }
}

#[test]
fn a_process_within_the_limit_is_not_affected() {
    let w = World::new("oci-oom-within");
    let b = hog_bundle(&w, "b", &["memhog", "32"], Some(LIMIT));
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "w1"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "touched 32 MiB\n"), "{o:#?}");
    // Without a limit, 200 MiB is fine too.
    let b = hog_bundle(&w, "b2", &["memhog", "200", "big"], None);
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "w2"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "touched 200 MiB\n"), "{o:#?}");
}

#[test]
fn the_largest_process_goes_and_events_and_state_show_it() {
    let w = World::new("oci-oom-events");
    // The shell (small) runs the hog (the largest) once `events` listens.
    let b = hog_bundle(
        &w,
        "b",
        &[
            "sh",
            "-c",
            "sleep 2; memhog 200; echo hog=$? > /tmp/status; memhog 16; echo small=$? >> /tmp/status; sleep 1000",
        ],
        Some(LIMIT),
    );
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "o1"]).ok();
    let (state, id) = (w.state.clone(), "o1".to_string());
    let events = std::thread::spawn(move || {
        oci_support::run_bounded(
            &["--root", state.to_str().unwrap(), "events", "--interval", "100ms", &id],
            Duration::from_secs(90),
        )
    });
    let stats = || -> serde_json::Value {
        let o = w.husk(&["events", "--stats", "o1"]).ok();
        serde_json::from_str::<serde_json::Value>(o.stdout.trim()).unwrap()["data"]["memory"].clone()
    };
    eventually("the OOM kill", Duration::from_secs(60), || stats()["oomKills"] == 1);
    eventually("the shell goes on", Duration::from_secs(30), || {
        w.husk(&["exec", "o1", "cat", "/tmp/status"]).stdout == "hog=137\nsmall=0\n"
    });
    let m = stats();
    assert_eq!(m["usage"]["limit"], LIMIT, "{m}");
    let usage = m["usage"]["usage"].as_u64().unwrap();
    assert!(usage > 0 && usage <= LIMIT, "{m}");
    assert!(m["usage"]["max"].as_u64().unwrap() <= LIMIT + (1 << 20), "{m}");
    assert!(m["usage"]["failcnt"].as_u64().unwrap() >= 1, "{m}");
    assert!(m["resident"].as_u64().unwrap() > 0, "{m}");
    // `state` shows the same figures.
    let st = w.state("o1");
    assert_eq!(st["memory"]["usage"]["limit"], LIMIT, "{st}");
    assert_eq!(st["memory"]["oomKills"], 1, "{st}");
    assert_eq!(st["status"], "running", "{st}");
    w.husk(&["kill", "o1", "KILL"]).ok();
    let o = events.join().unwrap();
    let evs: Vec<serde_json::Value> = o.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ooms: Vec<&serde_json::Value> = evs.iter().filter(|e| e["type"] == "oom").collect();
    assert_eq!(ooms.len(), 1, "{}", o.stdout);
    assert_eq!(ooms[0]["id"], "o1");
    assert!(ooms[0]["data"]["pid"].as_i64().unwrap() > 1, "the hog, not the init: {}", o.stdout);
    assert_eq!(evs.last().unwrap()["type"], "exit", "{}", o.stdout);
    w.husk(&["delete", "o1"]).ok();
}

#[test]
fn oom_score_adj_picks_the_victim() {
    let w = World::new("oci-oom-adj");
    // A smaller process that asks to go first (oom_score_adj 1000) holds
    // 16 MiB; the larger one (56 MiB), started once the smaller holds its
    // memory, passes the limit and lives on. Without the adjustment the
    // larger one is the victim (the test above). With the smaller gone the
    // larger fits with room for the shell and the test's `exec cat`s.
    let b = hog_bundle(
        &w,
        "b",
        &[
            "sh",
            "-c",
            "sh -c 'echo 1000 > /proc/self/oom_score_adj; exec memhog 16 hold' > /tmp/small &
             until grep -q touched /tmp/small 2>/dev/null; do sleep 0.1; done
             memhog 56 > /dev/null; echo big=$? > /tmp/status; wait $!; echo small=$? >> /tmp/status
             echo -1000 > /proc/self/oom_score_adj; cat /proc/self/oom_score >> /tmp/status; sleep 1000",
        ],
        Some(LIMIT),
    );
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "a1"]).ok();
    let cat = |f: &str| w.husk(&["exec", "a1", "cat", f]).stdout;
    // Bounded; on a timeout the assertion shows what was there.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut status = cat("/tmp/status");
    while status.lines().count() < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        status = cat("/tmp/status");
    }
    let ps = w.husk(&["exec", "a1", "ps", "-o", "pid,stat,args"]).stdout;
    // The exempt shell's score is 0.
    assert_eq!(status, "big=0\nsmall=137\n0\n", "processes:\n{ps}");
    assert_eq!(cat("/tmp/small"), "touched 16 MiB\n");
    w.husk(&["kill", "a1", "KILL"]).ok();
    w.husk(&["delete", "a1"]).ok();
}

/// In-memory files count against the limit, as tmpfs pages count in a
/// memory cgroup: writing past it fails with ENOSPC (nothing is killed),
/// and deleting the file gives the memory back.
#[test]
fn in_memory_files_are_charged_to_the_container() {
    let w = World::new("oci-oom-files");
    // The shell empties the file with a redirection (no fork: the memory is full).
    let script = "dd if=/dev/zero of=/tmp/big bs=1M count=100 2>/tmp/err; echo dd=$?; : > /tmp/big; \
                  grep -o 'No space left' /tmp/err; \
                  awk -F+ '/records out/ {print ($1 > 32 && $1 < 64) ? \"partial\" : $1}' /tmp/err; \
                  dd if=/dev/zero of=/tmp/big bs=1M count=24 2>/dev/null; echo again=$?; \
                  memhog 48; echo hog=$?";
    let b = hog_bundle(&w, "b", &["sh", "-c", script], Some(LIMIT));
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "f1"]);
    assert_eq!(o.code, 0, "{o:#?}");
    // With 24 MiB of file held, 48 MiB more for a process does not fit.
    assert_eq!(o.stdout, "dd=1\nNo space left\npartial\nagain=0\nhog=137\n", "{o:#?}");
}

/// A System V segment is charged to the creating container for its size, as
/// Linux's shmget charges committed memory: one past the limit is ENOMEM,
/// and a removed one gives its charge back.
#[test]
fn shm_segments_are_charged_to_the_container() {
    let w = World::new("oci-oom-shm");
    let script = "memhog 100 shm; memhog 32 shm; memhog 32 shm";
    let b = hog_bundle(&w, "b", &["sh", "-c", script], Some(LIMIT));
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "s1"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "shmget ENOMEM\nshmget ok\nshmget ok\n"), "{o:#?}");
}
