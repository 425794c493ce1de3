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
    sigio_falls_back_at_the_signal_limit => "limit",
}

/// Python's fcntl and signal modules: a handler for plain SIGIO on a pipe,
/// and a queued F_SETSIG record from a socket, as natively.
#[test]
fn sigio_python3_requires_python3() {
    let py = python3();
    let script = "import fcntl, os, signal, socket\n\
                  got = []\n\
                  signal.signal(signal.SIGIO, lambda s, f: got.append('SIGIO'))\n\
                  r, w = os.pipe()\n\
                  fcntl.fcntl(r, fcntl.F_SETOWN, os.getpid())\n\
                  fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_ASYNC)\n\
                  os.write(w, b'x')\n\
                  print('pipe', got)\n\
                  rt = signal.SIGRTMIN + 3\n\
                  signal.pthread_sigmask(signal.SIG_BLOCK, [rt])\n\
                  a, b = socket.socketpair()\n\
                  fcntl.fcntl(a.fileno(), fcntl.F_SETOWN, os.getpid())\n\
                  fcntl.fcntl(a.fileno(), 10, rt)  # F_SETSIG\n\
                  fcntl.fcntl(a.fileno(), fcntl.F_SETFL, fcntl.fcntl(a.fileno(), fcntl.F_GETFL) | os.O_ASYNC)\n\
                  b.send(b'hi')\n\
                  info = signal.sigtimedwait([rt], 5)\n\
                  print('socket', info and (info.si_signo - signal.SIGRTMIN, info.si_code, info.si_band))\n";
    let n = Run::native(&[&py, "-c", script]).timeout(default_timeout()).run();
    assert_stdout(&n, "pipe ['SIGIO']\nsocket (3, 1, 65)\n");
    let h = Run::husk_do(&[&py, "-c", script]).timeout(default_timeout()).run();
    assert_same_as_native(&n, &h);
}
