//! Conformance found by stress-ng's VM, MEMORY, INTERRUPT and SCHEDULER
//! stressors (run by hand natively and under `husk do`, outputs and
//! system calls compared): each divergence they exposed, cut down to a
//! group of tests/c/stressng_os_found.c run natively and in husk.

mod common;

use common::c_groups;

c_groups! { "stressng_os_found":
    mmap_of_dev_zero_is_anonymous_memory => "dev_zero_mmap",
    vmsplice_moves_user_memory_into_and_out_of_pipes => "vmsplice",
    sched_setattr_and_getattr_check_and_keep_normal_policies => "sched_attr",
    remap_file_pages_remaps_shared_mappings => "remap_file_pages",
    pidfd_getfd_duplicates_another_process_descriptor => "pidfd_getfd",
    futex_waitv_waits_on_several_futexes => "futex_waitv",
    madv_dontneed_locked_drops_locked_pages => "madv_dontneed_locked",
}
