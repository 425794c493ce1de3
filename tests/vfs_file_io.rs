//! File I/O calls beyond read and write (preadv2/pwritev2 flags,
//! sync_file_range, readahead, fadvise64, getdents, dnotify, membarrier),
//! checked against Linux: each group of `tests/c/file_io.c` runs natively
//! (where every check must pass) and under `husk do`, and must print the
//! same lines.

mod common;

use common::*;

c_groups! { "file_io":
    preadv2_pwritev2_flags => "rwv2",
    sync_file_range_readahead_fadvise => "sync",
    old_getdents => "getdents",
    dnotify_fcntl_f_notify => "dnotify",
    membarrier_commands => "membarrier",
}
