//! IP-level socket options of TCP and UDP sockets (tests/c/inet_opts.c):
//! round trips and errors, the control messages a UDP receiver gets, the
//! hop limits and TOS senders put on the wire, TCP buffers sized by
//! SO_RCVBUF/SO_SNDBUF. Compared with native runs over the host's loopback.

mod common;

use common::*;

fn same_as_native(group: &str) {
    let h = c_output_same_as_native("inet_opts", group, &[]);
    assert_exit(&h, 0);
}

/// IP_TTL, IP_TOS, IP_MTU(_DISCOVER), unknown and misplaced options; the
/// receiver's IP_PKTINFO, IP_RECVTTL, IP_RECVTOS, IP_RECVORIGDSTADDR and
/// SO_TIMESTAMP(NS) messages (arrival time, not read time), MSG_PEEK,
/// a control buffer too short (MSG_CTRUNC, a cut message) or absent.
#[test]
fn udp_ipv4_options_and_control_messages() {
    same_as_native("udp4");
}

/// IPV6_UNICAST_HOPS (0 and -1 included), IPV6_TCLASS, the receiver's
/// IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS; an IPv6 socket
/// receiving IPv4 (v4-mapped IPV6_PKTINFO, then the IPv4 messages).
#[test]
fn udp_ipv6_options_and_control_messages() {
    same_as_native("udp6");
}

/// TCP's IP options (TTL, TOS keeping the ECN bits, multicast ones
/// refused), TCP_USER_TIMEOUT, TCP_QUICKACK, IP_MTU once connected.
#[test]
fn tcp_options() {
    same_as_native("tcp");
}

/// A sender with a small SO_SNDBUF to a peer with a small SO_RCVBUF
/// (set on the listener, taken by the accepted socket) that does not read
/// stops with EAGAIN after kilobytes, not after the stack's 1 MiB buffers.
#[test]
fn tcp_buffers_follow_so_rcvbuf_and_so_sndbuf() {
    same_as_native("bufs");
}

/// The same with the sizes set after listen (the next connection takes
/// them) and after connect (the send queue is held to it), as CPython's
/// test_asyncio sendfile tests set them.
#[test]
fn tcp_buffers_set_after_listen_and_connect() {
    same_as_native("bufs-late");
}

/// Raw ICMP and ICMPv6 sockets: IP_TTL / IPV6_UNICAST_HOPS reach the echo
/// request, IP_RECVTTL / IPV6_RECVHOPLIMIT report the request's and the
/// stack's reply's hop limits.
#[test]
fn raw_icmp_hop_limits() {
    same_as_native("icmp");
}

/// What the sandbox cannot do is refused with Linux's errnos for an
/// unknown option (ENOPROTOOPT) or an unreachable multicast group
/// (ENODEV), not accepted and ignored.
#[test]
fn unsupported_options_are_refused() {
    let bin = c_program_str("inet_opts");
    let h = Run::husk_do(&["--", &bin, "unsupported"]).timeout(proc_timeout()).run();
    assert_stdout(
        &h,
        "udp-cork: ENOPROTOOPT\n\
         tcp-cork: ENOPROTOOPT\n\
         tcp-maxseg: ENOPROTOOPT\n\
         add-membership: ENODEV\n\
         raw-recvtos: ENOPROTOOPT\n\
         raw6-recvtclass: ENOPROTOOPT\n\
         ipv6-add-membership: ENODEV\n",
    );
}
