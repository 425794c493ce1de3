//! Pipes in packet mode (`kernel/pipe.rs`): pipe2(O_DIRECT) and F_SETFL's
//! O_DIRECT on pipes and FIFOs. `tests/c/pipe_packet.c` runs natively and
//! under `husk do` and must print the same lines.

mod common;

use common::*;

c_groups! { "pipe_packet":
    writes_are_packets_and_reads_take_one => "packets",
    blocking_reads_and_fifos_in_packet_mode => "blocking",
}
