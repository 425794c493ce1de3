//! TCP and UDP on the sandbox's loopback (tests/c/net_inet.c), compared
//! with native runs over the host's loopback.

mod common;

use common::*;

fn same_as_native(prog: &str, group: &str) {
    c_output_same_as_native(prog, group, &[]);
}

/// A connection: addresses, readiness, MSG_PEEK, FIONREAD, MSG_WAITALL,
/// half-close, and EPIPE/ECONNRESET after the peer closed.
#[test]
fn tcp_basic() {
    same_as_native("net_inet", "tcp-basic");
}

/// Non-blocking connect (EINPROGRESS, POLLOUT, SO_ERROR, EISCONN), refused
/// connections (blocking and not), accept4 flags.
#[test]
fn tcp_nonblocking_connect() {
    same_as_native("net_inet", "tcp-nonblock");
}

/// An epoll echo server with 100 concurrent clients.
#[test]
fn echo_server_epoll_100_clients() {
    same_as_native("net_inet", "echo-epoll");
}

/// A poll echo server with 100 concurrent clients.
#[test]
fn echo_server_poll_100_clients() {
    same_as_native("net_inet", "echo-poll");
}

/// UDP round trips, autobind, connected sockets, truncation, the largest
/// datagram, EMSGSIZE, sendmmsg/recvmmsg.
#[test]
fn udp() {
    same_as_native("net_inet", "udp");
}

/// A connected UDP socket gets ECONNREFUSED (once) after sending to a
/// closed port; an unconnected one does not.
#[test]
fn udp_port_unreachable() {
    same_as_native("net_inet", "udp-refused");
}

/// Port sharing: EADDRINUSE, SO_REUSEPORT, SO_REUSEADDR with a listener,
/// IPv6 any-address against IPv4.
#[test]
fn port_sharing() {
    same_as_native("net_inet", "sharing");
}

/// IPv6: ::1, v4-mapped peers of an AF_INET6 listener, UDP over ::1.
#[test]
fn ipv6() {
    same_as_native("net_inet", "ipv6");
}

/// 8 MiB through one connection, checked byte by byte.
#[test]
fn bulk_transfer() {
    same_as_native("net_inet", "big");
}
