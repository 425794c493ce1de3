//! Receive timestamps and per-datagram send options (tests/c/sock_stamps.c):
//! SO_TIMESTAMP(NS)(_NEW) messages on TCP, ICMP and unix sockets,
//! SIOCGSTAMP(NS), and the IP_TTL/IP_TOS/IP_PKTINFO/IPV6_HOPLIMIT/
//! IPV6_TCLASS/IPV6_PKTINFO messages of a UDP sendmsg. Compared with
//! native runs over the host's loopback.

mod common;

use common::*;

fn same_as_native(group: &str) {
    let h = c_output_same_as_native("sock_stamps", group, &[]);
    assert_exit(&h, 0);
}

/// TCP: the time of the last segment a read takes bytes from (peek
/// included), taken over from the listener; a short control buffer cuts
/// the message (MSG_CTRUNC); none at end of file or when off;
/// SIOCGSTAMP is ENOENT (TCP keeps no last-packet time).
#[test]
fn tcp_timestamps() {
    same_as_native("tcp");
}

/// UDP: SIOCGSTAMP(NS) is ENOENT before a packet, then the arrival of the
/// last one read without a timestamp message; SO_TIMESTAMP_NEW and
/// SO_TIMESTAMPNS_NEW give their own message types and getsockopt values.
#[test]
fn udp_siocgstamp_and_new_options() {
    same_as_native("udp");
}

/// Raw ICMP and ICMPv6: the echo request and the stack's reply carry
/// their arrival times; SIOCGSTAMP as for UDP. Natively a raw ICMP socket
/// sees every ICMP packet of its network namespace, so the native run gets
/// a namespace of its own: other tests' pings on the host's loopback would
/// otherwise be read with times outside the program's windows.
#[test]
fn raw_icmp_timestamps() {
    let bin = c_program_str("sock_stamps");
    let script = format!("ip link set lo up && exec {bin} icmp");
    let n = Run::native(&["unshare", "-n", "sh", "-c", &script]).timeout(proc_timeout()).run();
    assert_exit(&n, 0);
    let h = Run::husk_do(&["--", &bin, "icmp"]).timeout(proc_timeout()).run();
    assert_same_as_native(&n, &h);
    assert_exit(&h, 0);
}

/// A ping socket's reply carries its arrival time (natively ping sockets
/// need net.ipv4.ping_group_range, so this runs under husk only).
#[test]
fn ping_socket_timestamps() {
    let bin = c_program_str("sock_stamps");
    let h = Run::husk_do(&["--", &bin, "ping"]).timeout(proc_timeout()).run();
    assert_stdout(
        &h,
        "warm-up: ok\n\
         timestamp: ok\n\
         send: ok\n\
         reply: 12 bytes \"\" from 127.0.0.1 controllen=32 ctrunc=0\n  \
         cmsg level=1 type=29 len=32 frac-ok=1 in-window=1\n\
         siocgstamp-with-timestamps: ENOENT\n\
         timestamp-off: ok\n\
         send: ok\n\
         reply-plain: 12 bytes \"\" from 127.0.0.1 controllen=0 ctrunc=0\n\
         siocgstamp: in-window=1 ns-agrees=1\n",
    );
}

/// Unix datagram and seqpacket sockets: the sending time, before
/// SCM_CREDENTIALS; none on streams; SIOCGSTAMP is ENOTTY.
#[test]
fn unix_timestamps() {
    same_as_native("unix");
}

/// IP_TTL, IP_TOS (int or byte), IP_PKTINFO (source address, interface)
/// on one datagram, then the socket's values again; Linux's errors.
#[test]
fn udp4_sendmsg_control_messages() {
    same_as_native("sendctl4");
}

/// IPV6_HOPLIMIT, IPV6_TCLASS (-1 included), IPV6_PKTINFO; an IPv6 socket
/// sending to a v4-mapped address takes the IPv4 messages.
#[test]
fn udp6_sendmsg_control_messages() {
    same_as_native("sendctl6");
}

/// IP_RECVERR / IPV6_RECVERR on unconnected UDP sockets: a "port
/// unreachable" is pending (POLLERR, SO_ERROR, the next call fails) and
/// queued: recvmsg(MSG_ERRQUEUE) gives the datagram, its destination and
/// a sock_extended_err (origin ICMP or ICMP6, type, code, offender), cut
/// with MSG_TRUNC/MSG_CTRUNC; EAGAIN when empty; turning it off drops the
/// queue; an IPv6 socket's v4-mapped traffic follows IP_RECVERR.
#[test]
fn udp_error_queue() {
    same_as_native("recverr");
}
