//! Memory system calls beyond mmap itself, checked against Linux: each
//! group of `tests/c/memory.c` runs natively (where every check must pass)
//! and under `husk do`, and must print the same lines.

mod common;

use common::*;

#[test]
fn msync_writes_back_shared_file_mappings() {
    check_c_group("memory", "msync");
}

#[test]
fn mincore_reports_residency() {
    check_c_group("memory", "mincore");
}

#[test]
fn mlock_family_and_rlimit_memlock() {
    check_c_group("memory", "mlock");
}

/// MADV_DONTFORK/DOFORK decide whether a forked child gets a range (the
/// sentry's view of the child's mappings follows), WIPEONFORK gives zeros.
#[test]
fn fork_advice_decides_what_a_child_gets() {
    check_c_group("memory", "fork_advice");
}
