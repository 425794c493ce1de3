//! The file-system system calls, checked against Linux: each group of the
//! C programs `tests/c/vfs_files.c`, `vfs_ipc.c`, `vfs_proc.c`, `proc_mm.c` and `inotify.c` runs
//! natively (where every check must pass) and under `husk do`, and must
//! print the same lines.

mod common;

use common::*;

c_groups! { "vfs_files":
    open_flags => "open",
    hard_and_symbolic_links => "links",
    renames => "rename",
    directories => "dirs",
    metadata_and_special_files => "attrs",
    descriptors => "fds",
    mmap_coherence => "mmap",
    openat2_resolve_flags => "openat2",
    sendfile_splice_tee_copy_file_range => "copy",
    set_group_id_directories => "setgid",
    birth_times => "btime",
}

c_groups! { "vfs_ipc":
    pipes => "pipes",
    poll_and_select => "poll",
    fifos => "fifo",
    record_locks_between_processes => "locks",
    ofd_locks => "ofd",
    flock_locks => "flock",
    getdents64_of_10000_entries => "getdents",
    proc_locks => "proclocks",
}

c_groups! { "vfs_proc":
    proc_self => "self",
    proc_of_a_child => "child",
    proc_magic_links => "links",
    proc_system_files => "system",
    dev_nodes => "dev",
    oom_score_adj => "oom",
    proc_auxv => "auxv",
    proc_user_namespace_files => "userns",
    proc_smaps_and_rollup => "smaps",
    proc_io_accounting => "io",
    proc_syscall => "syscall",
    proc_stat_counts_reaped_processes => "cputotal",
}

c_groups! { "inotify":
    inotify_errors => "errors",
    inotify_directory_events => "dir",
    inotify_file_events => "file",
    inotify_blocking_read_and_poll => "wait",
    inotify_limits => "limits",
}

c_groups! { "proc_mm":
    proc_program_layout => "layout",
    proc_memory_figures => "figures",
    proc_cmdline_and_environ_from_memory => "cmdline",
}
