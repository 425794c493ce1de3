//! Conformance found by everyday developer workloads (git, make and gcc,
//! tar/xz/gzip, coreutils, sqlite3, perl, python3; run by hand natively
//! and under `husk do`, with their system calls compared): each divergence
//! they exposed, cut down to a group of tests/c/workloads_found.c run
//! natively and in husk.

mod common;

use common::c_groups;

c_groups! { "workloads_found":
    fsync_of_files_without_the_operation_is_einval => "fsync_kinds",
    generic_file_ioctls_answer_as_linux => "file_ioctls",
    ptrace_regset_x86_xstate_shows_and_sets_avx_registers => "xstate_regset",
    get_mempolicy_reports_the_default_policy_on_node_0 => "mempolicy",
}
