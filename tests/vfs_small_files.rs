//! Files of up to 1 MiB of the in-memory layer (`kernel/vfs/memfile.rs`):
//! they hold no host descriptor in the sentry until they need a memfd, so
//! a sandbox may have many more files than the sentry has descriptors.
//! Each group of `tests/c/vfs_small_files.c` runs natively on a tmpfs
//! (`/dev/shm`, whose block accounting the in-memory layer follows) and
//! under `husk do`, and must print the same lines.

mod common;

use common::*;

/// Runs `group` natively on /dev/shm and under husk (its /tmp), with
/// `env`, and compares; `wrap` is the command husk runs under (prlimit...).
fn compare(group: &str, env: &[(&str, &str)], wrap: &[&str]) {
    let bin = c_program_str("vfs_small_files");
    let mut n = Run::native(&[&bin, group]).env("VFS_SCRATCH_PARENT", "/dev/shm");
    for (k, v) in env {
        n = n.env(k, v);
    }
    let n = n.timeout(proc_timeout()).run();
    assert_all_ok(&n, &format!("native vfs_small_files {group}"));
    let husk = husk_bin();
    let mut cmd: Vec<&str> = wrap.to_vec();
    cmd.extend([husk.as_str(), "do", "--", &bin, group]);
    let mut h = Run::native(&cmd);
    for (k, v) in env {
        h = h.env(k, v);
    }
    let h = h.timeout(default_timeout()).run();
    assert_same_as_native(&n, &h);
}

#[test]
fn shared_and_private_mappings_of_small_files() {
    compare("mmap", &[], &[]);
}

#[test]
fn truncation_and_offsets_of_small_files() {
    compare("truncate", &[], &[]);
}

#[test]
fn holes_truncation_and_mappings_of_files_of_several_pages() {
    compare("pages", &[], &[]);
}

#[test]
fn fallocate_and_transfers_of_small_files() {
    compare("transfer", &[], &[]);
}

/// 3000 files (empty, a line, a page) when the sentry may hold only 300
/// descriptors (the hard limit it cannot raise): none of them needs one,
/// and fork still works after.
#[test]
fn small_files_need_no_host_descriptor() {
    let wrap =
        ["setpriv", "--bounding-set", "-sys_resource", "--inh-caps", "-sys_resource", "prlimit", "--nofile=300:300"];
    compare("many", &[("MANY_FILES", "3000")], &wrap);
}

/// 1000 small memfds held at once by 4 processes of a sandbox whose sentry
/// may hold only 300 descriptors: a memfd too takes a host descriptor
/// only once it needs one (here the one that gets sealed).
#[test]
fn small_memfds_need_no_host_descriptor() {
    let wrap =
        ["setpriv", "--bounding-set", "-sys_resource", "--inh-caps", "-sys_resource", "prlimit", "--nofile=300:300"];
    compare("memfds", &[], &wrap);
}

/// More files than the sentry's descriptor limit on a usual host (its hard
/// RLIMIT_NOFILE, often 20000 or 65536), at the limits it runs with; the
/// larger ones of three pages (a source tree's files are mostly that size).
#[test]
fn tens_of_thousands_of_small_files() {
    compare("many", &[("MANY_FILES", "25000"), ("MANY_PAGES", "3")], &[]);
}

/// Files of several pages need no descriptor either.
#[test]
fn files_of_several_pages_need_no_host_descriptor() {
    let wrap =
        ["setpriv", "--bounding-set", "-sys_resource", "--inh-caps", "-sys_resource", "prlimit", "--nofile=300:300"];
    compare("many", &[("MANY_FILES", "3000"), ("MANY_PAGES", "4")], &wrap);
}
