//! AF_UNIX sockets under husk (tests/c/net_unix.c): each test runs one
//! group natively and under `husk do` and compares the lines.

mod common;

use common::*;

fn same_as_native(prog: &str, group: &str) {
    c_output_same_as_native(prog, group, &[]);
}

/// socketpair(SOCK_STREAM): data, MSG_PEEK, FIONREAD, shutdown and end of
/// file, POLLHUP/POLLRDHUP, EPIPE with and without SIGPIPE.
#[test]
fn stream_pair() {
    same_as_native("net_unix", "stream-pair");
}

/// socketpair(SOCK_DGRAM): message boundaries, MSG_TRUNC, empty datagrams,
/// ECONNREFUSED once the peer is gone.
#[test]
fn dgram_pair() {
    same_as_native("net_unix", "dgram-pair");
}

/// SOCK_SEQPACKET: boundaries, truncation, end of file.
#[test]
fn seqpacket() {
    same_as_native("net_unix", "seqpacket");
}

/// Path names: the socket node in the VFS, EADDRINUSE, connect/accept
/// across fork, SO_PEERCRED both ways, ECONNREFUSED after close, ENOENT
/// after unlink, relative names.
#[test]
fn path_names() {
    same_as_native("net_unix", "path");
}

/// Abstract names and autobind.
#[test]
fn abstract_names() {
    same_as_native("net_unix", "abstract");
}

/// SCM_RIGHTS: a pipe passed to a child (with MSG_CMSG_CLOEXEC), several
/// files at once, a socket passed and used, EBADF, stream boundaries at
/// messages carrying files.
#[test]
fn scm_rights() {
    same_as_native("net_unix", "rights");
}

/// SO_PASSCRED/SCM_CREDENTIALS and SO_PEERCRED of a socketpair.
#[test]
fn scm_credentials() {
    same_as_native("net_unix", "creds");
}

/// Datagram sockets bound to paths: sender addresses, replies, a
/// connected receiver refusing strangers, EPROTOTYPE.
#[test]
fn dgram_path_names() {
    same_as_native("net_unix", "dgram-path");
}

/// Non-blocking accept/connect, the backlog, filling a stream until EAGAIN.
#[test]
fn nonblocking() {
    same_as_native("net_unix", "nonblocking");
}

/// SO_RCVTIMEO (EAGAIN) and signals: EINTR without SA_RESTART, a restarted
/// recv with it; the same for accept on a TCP listener.
#[test]
fn timeouts_and_signals() {
    same_as_native("net_unix", "timeouts");
}

/// What queued messages cost their sender, as Linux's skb truesize against
/// SO_SNDBUF: how many sends fit for each kind and size (empty datagrams
/// included), SIOCOUTQ/SIOCINQ, POLLOUT at a quarter of the buffer, a
/// blocked sender going on, and the queue-length limit for datagrams from
/// senders the receiver is not connected to.
#[test]
fn send_buffers() {
    same_as_native("net_unix", "buffers");
}

/// A full sender with O_ASYNC gets SIGIO once a reader drains its
/// messages (the wake-up waits until the reader lets go of its socket).
#[test]
fn sigio_when_a_full_sender_drains() {
    same_as_native("net_unix", "async-drain");
}
