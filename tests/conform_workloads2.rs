//! Conformance found by a second sweep of everyday tools (util-linux,
//! procps, coreutils, python3, perl; run by hand natively and under
//! `husk do`, outputs compared): each divergence, as the real program
//! that showed it and cut down to a group of tests/c/workloads2_found.c,
//! run natively and in husk.

mod common;

use common::{c_groups, cmd_same_as_native};

c_groups! { "workloads2_found":
    private_mappings_once_writable_stay_apart_from_never_writable_ones => "relro_split",
}

/// pmap and /proc/<pid>/maps: a dynamic program's RELRO page (read-only
/// after ld.so's mprotect) is its own line, not joined to the rodata.
#[test]
fn maps_show_a_programs_relro_page_apart() {
    cmd_same_as_native(&[], &["grep", "-c", "bin/grep$", "/proc/self/maps"]);
}

/// smaps ends a mapping with THPeligible, then ProtectionKey (a number,
/// no unit; only on CPUs with protection keys), then VmFlags.
#[test]
fn smaps_shows_protection_key_after_thp_eligible_without_unit() {
    cmd_same_as_native(&[], &["sh", "-c", "sed -n '/^Locked:/,/^VmFlags:/p' /proc/self/smaps | sed -n '1,3p'"]);
}
