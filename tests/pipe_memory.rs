//! What pipes cost (`kernel/pipe_account.rs`): their pages are charged to
//! the container's memory as Linux charges them to the memory cgroup, and
//! pipes count against pipe-user-pages-soft/hard per user
//! (`tests/c/pipe_limits.c`).

mod common;
mod oci_support;

use common::*;
use oci_support::World;

/// pipe-max-size and pipe-user-pages-soft bind an unprivileged user as in
/// Linux (compared with the native run, which becomes nobody too).
#[test]
fn pipe_user_pages_limits_as_linux() {
    let bin = c_program_str("pipe_limits");
    let n = Run::native(&[&bin, "user-pages"]).timeout(proc_timeout()).run();
    assert_all_ok(&n, "native pipe_limits user-pages");
    let h = Run::husk_do(&["--", &bin, "user-pages"]).timeout(proc_timeout()).run();
    assert_same_as_native(&n, &h);
}

/// Pipes filled under a 64 MiB limit: a write whose page does not fit
/// fails with ENOMEM (nothing is killed), and the memory comes back when
/// the pipes go.
#[test]
fn pipe_pages_are_charged_to_the_container() {
    const LIMIT: u64 = 64 << 20;
    let w = World::new("pipe-memory");
    let script = "pipe_limits fill 200; echo fill=$?; memhog 32; echo hog=$?";
    let b = w.bundle_with("b", &["sh", "-c", script], |cfg| {
        cfg["linux"]["resources"] = serde_json::json!({ "memory": { "limit": LIMIT } });
    });
    std::fs::copy(c_program("pipe_limits"), b.join("rootfs/bin/pipe_limits")).unwrap();
    std::fs::copy(c_program("memhog"), b.join("rootfs/bin/memhog")).unwrap();
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "p1"]);
    assert_eq!(o.code, 0, "{o:#?}");
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{o:#?}");
    let mib: u64 = lines[0]
        .strip_prefix("ENOMEM after ")
        .and_then(|s| s.strip_suffix(" MiB"))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an ENOMEM: {o:#?}"));
    assert!((32..64).contains(&mib), "{o:#?}");
    assert_eq!(&lines[1..], ["fill=0", "touched 32 MiB", "hog=0"], "{o:#?}");
}
