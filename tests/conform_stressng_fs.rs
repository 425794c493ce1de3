//! Conformance found by Debian's stress-ng (its filesystem, io, pipe and
//! device classes run with --verify natively and under `husk do`): each
//! divergence a stressor exposed, cut down to a group of
//! tests/c/stressng_fs_found.c run natively and in husk.

mod common;

use common::c_groups;

c_groups! { "stressng_fs_found":
    rlimit_fsize_holds_every_way_a_file_grows => "fsize_limit",
    splice_family_refuses_unknown_flags_first => "splice_flags",
    vmsplice_copies_between_memory_and_a_pipe => "vmsplice",
    memory_devices_seek_to_zero_whatever_asked => "dev_seek",
    dnotify_switch_shows_in_proc_sys_fs => "dir_notify_enable",
    sendfile_and_splice_advance_input_by_what_was_taken => "short_output",
    splice_from_a_pipe_leaves_what_the_output_did_not_take => "short_output_from_pipe",
}
