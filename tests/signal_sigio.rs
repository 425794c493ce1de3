//! Signal-driven I/O (O_ASYNC with F_SETOWN/F_SETOWN_EX/F_SETSIG), checked
//! against Linux: each group of `tests/c/sigio.c` runs natively (where
//! every check must pass) and under `husk do`, and must print the same
//! lines.

mod common;

use common::*;

c_groups! { "sigio":
    sigio_pipes_and_fifos => "pipe",
    sigio_owners_and_permission => "owner",
    sigio_owner_thread => "tid",
    sigio_regular_file_ignores_o_async => "regular",
    sigio_unix_sockets => "unix",
    sigio_tcp_udp_sockets => "ip",
    sigio_ptys => "pty",
    sigio_inotify => "inotify",
}
