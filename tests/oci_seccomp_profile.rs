//! `linux.seccomp` of a bundle: every process of the container (its init and
//! `exec`'d ones) starts with the profile as its one seccomp filter, as runc
//! installs it; the default action, errnoRet, argument conditions and
//! KILL actions apply; profiles husk cannot serve are refused with one line.

mod common;
mod oci_support;

use std::path::PathBuf;

use oci_support::World;
use serde_json::json;

/// Allow everything but mkdir/mkdirat (EACCES), dup of fd 42 (EMFILE) and
/// `getgid` (kills the process).
fn deny_profile() -> serde_json::Value {
    json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "syscalls": [
            { "names": ["mkdir", "mkdirat", "no_such_call"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 },
            { "names": ["dup"], "action": "SCMP_ACT_ERRNO", "errnoRet": 24,
              "args": [{ "index": 0, "value": 42, "op": "SCMP_CMP_EQ" }] },
            { "names": ["getgid"], "action": "SCMP_ACT_KILL_PROCESS" }
        ]
    })
}

/// A busybox bundle with tests/c/seccomp.c in /bin and `profile` as its seccomp.
fn bundle(w: &World, name: &str, args: &[&str], profile: serde_json::Value) -> PathBuf {
    let b = w.bundle_with(name, args, |cfg| cfg["linux"]["seccomp"] = profile);
    std::fs::copy(common::c_program("seccomp"), b.join("rootfs/bin/seccomp")).unwrap();
    b
}

#[test]
fn the_profile_filters_the_containers_processes() {
    let w = World::new("oci-seccomp-profile");
    let b = bundle(&w, "b", &["seccomp", "profile"], deny_profile());
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "p1"]);
    assert_eq!(o.code, 0, "{o:#?}");
    let want = ["mkdir-refused", "dup-42-refused", "dup-1-runs", "status", "own-filter", "own-filter-applies"];
    let want: String = want.iter().map(|n| format!("{n}: ok\n")).collect();
    assert_eq!(o.stdout, want, "{o:#?}");
    assert!(!o.stderr.contains("seccomp"), "linux.seccomp is supported: {o:#?}");
}

#[test]
fn a_kill_action_ends_the_process_with_sigsys() {
    let w = World::new("oci-seccomp-kill");
    let b = bundle(&w, "b", &["sh", "-c", "id -g; echo after"], deny_profile());
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "k1"]);
    // The shell's child (`id`) dies by SIGSYS; the shell goes on.
    assert_eq!((o.code, o.stdout.as_str()), (0, "after\n"), "{o:#?}");
}

#[test]
fn exec_into_the_container_gets_the_profile_too() {
    let w = World::new("oci-seccomp-exec");
    let b = bundle(&w, "b", &["sleep", "60"], deny_profile());
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "e1"]).ok();
    let o = w.husk(&["exec", "e1", "mkdir", "/tmp/x"]);
    assert_ne!(o.code, 0, "{o:#?}");
    assert!(o.stderr.contains("Permission denied"), "{o:#?}");
    let o = w.husk(&["exec", "e1", "cat", "/proc/self/status"]);
    assert!(o.stdout.contains("Seccomp:\t2\nSeccomp_filters:\t1\n"), "{o:#?}");
    w.husk(&["kill", "e1", "KILL"]);
    w.husk(&["delete", "-f", "e1"]);
}

#[test]
fn a_default_errno_with_an_allow_list() {
    let w = World::new("oci-seccomp-allowlist");
    // Allow every syscall but mkdir and mkdirat; the default refuses with EPERM.
    let names: Vec<String> =
        (0..460).filter_map(husk_syscall_name).filter(|n| n != "mkdir" && n != "mkdirat").collect();
    let profile = json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "syscalls": [{ "names": names, "action": "SCMP_ACT_ALLOW" }]
    });
    let b = bundle(&w, "b", &["sh", "-c", "mkdir /tmp/d; echo rc=$?"], profile);
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "a1"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "rc=1\n"), "{o:#?}");
    assert!(o.stderr.contains("Operation not permitted"), "{o:#?}");
}

#[test]
fn profiles_husk_cannot_serve_are_refused() {
    let w = World::new("oci-seccomp-refused");
    let notify = json!({ "defaultAction": "SCMP_ACT_NOTIFY" });
    let b = bundle(&w, "b", &["true"], notify);
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "n1"]).one_line_error();
    assert!(o.stderr.contains("SCMP_ACT_NOTIFY"), "{o:#?}");
    let bad_index = json!({ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        { "names": ["dup"], "action": "SCMP_ACT_ERRNO", "args": [{ "index": 6, "value": 1, "op": "SCMP_CMP_EQ" }] }
    ]});
    let b = bundle(&w, "b2", &["true"], bad_index);
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "n2"]).one_line_error();
    assert!(o.stderr.contains("index 6"), "{o:#?}");
}

/// x86_64 syscall names by number, from the host's <asm/unistd_64.h>
/// (linux-libc-dev, which the C tests need too).
fn husk_syscall_name(nr: u32) -> Option<String> {
    use std::sync::OnceLock;
    static NAMES: OnceLock<Vec<(u32, String)>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        let text = std::fs::read_to_string("/usr/include/x86_64-linux-gnu/asm/unistd_64.h").unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let rest = l.strip_prefix("#define __NR_")?;
                let (name, n) = rest.split_once(' ')?;
                Some((n.trim().parse().ok()?, name.to_string()))
            })
            .collect()
    });
    names.iter().find(|(n, _)| *n == nr).map(|(_, s)| s.clone())
}
