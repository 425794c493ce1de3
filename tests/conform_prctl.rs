//! prctl options, NUMA policies and sysfs THP files that real workloads
//! (gdb, python, top, numactl, capsh, systemd-style launchers) use and
//! husk once answered EINVAL/ENOSYS or did not have: each group of
//! tests/c/prctl_options.c and tests/c/numa_policy.c runs natively and in
//! husk with the same output.

mod common;

use common::{c_groups, c_output_same_as_native};

c_groups! { "prctl_options":
    thp_disable_is_kept_by_fork_and_exec => "thp_disable",
    get_tid_address_returns_set_tid_address => "tid_address",
    mce_kill_policy_as_linux => "mce_kill",
    tsc_sigsegv_faults_rdtsc_and_is_inherited => "tsc",
    ambient_capabilities_follow_linux_rules => "ambient",
    get_auxv_copies_the_saved_vector => "auxv",
    set_mm_needs_cap_sys_resource_and_moves_cmdline => "set_mm",
    mdwe_refuses_write_exec_mappings => "mdwe",
    mdwe_no_inherit_is_dropped_by_fork_and_exec => "mdwe_no_inherit",
    memory_merge_is_kept_by_fork_and_exec => "memory_merge",
}

c_groups! { "numa_policy":
    set_mempolicy_checks_and_reports_back => "set_mempolicy",
    mbind_keeps_policies_per_range => "mbind",
}

/// The speculation controls are the host CPU's: the values printed come
/// from the host natively and, through the stub thread, under husk.
#[test]
fn speculation_controls_are_the_hosts() {
    c_output_same_as_native("prctl_options", "speculation", &[]);
}

/// Under the ptrace platform the stub processes inherit the sentry's own
/// seccomp filter, which must let the injected TSC and speculation
/// controls through.
#[test]
fn tsc_and_speculation_on_the_ptrace_platform() {
    c_output_same_as_native("prctl_options", "tsc", &["--platform", "ptrace"]);
    c_output_same_as_native("prctl_options", "speculation", &["--platform", "ptrace"]);
}
