//! Container terminals: `--console-socket` (the master of a host pty sent
//! over a unix socket, as runc does), `exec -t`, a foreground `run` with
//! process.terminal, and the foreground-process-group signal mode.

mod common;
mod oci_support;

use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::time::{Duration, Instant};

use oci_support::World;

/// Receives one descriptor sent with SCM_RIGHTS on `listener`.
fn receive_fd(listener: &UnixListener) -> OwnedFd {
    listener.set_nonblocking(false).unwrap();
    let (conn, _) = listener.accept().unwrap();
    let mut buf = [0u8; 64];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg = nix::sys::socket::recvmsg::<()>(
        conn.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        nix::sys::socket::MsgFlags::empty(),
    )
    .unwrap();
    for c in msg.cmsgs().unwrap() {
        if let nix::sys::socket::ControlMessageOwned::ScmRights(fds) = c {
            // SAFETY: a fresh descriptor received with SCM_RIGHTS.
            return unsafe { OwnedFd::from_raw_fd(fds[0]) };
        }
    }
    panic!("no descriptor received");
}

/// Reads from a pty master until `want` shows up or EIO/time out.
fn read_until(master: &OwnedFd, want: &str, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline && !String::from_utf8_lossy(&got).contains(want) {
        let mut p = libc::pollfd { fd: master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one pollfd of ours.
        if unsafe { libc::poll(&mut p, 1, 100) } <= 0 {
            continue;
        }
        match nix::unistd::read(master.as_raw_fd(), &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn console_socket_gets_a_terminal_that_is_a_sandbox_pts() {
    let w = World::new("oci-console");
    let b = w.bundle_with("b", &["sh"], |v| v["process"]["terminal"] = serde_json::json!(true));
    let sock = w.dir.path().join("console.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let state = w.state.clone();
    let bs = b.to_str().unwrap().to_string();
    let sock_s = sock.to_str().unwrap().to_string();
    let creator = std::thread::spawn(move || {
        oci_support::run_bounded(
            &["--root", state.to_str().unwrap(), "create", "--console-socket", &sock_s, "-b", &bs, "t1"],
            Duration::from_secs(60),
        )
    });
    let master = receive_fd(&listener);
    let o = creator.join().unwrap();
    assert_eq!(o.code, 0, "{o:#?}");
    w.husk(&["start", "t1"]).ok();
    nix::unistd::write(&master, b"tty; echo $((6*7))\n").unwrap();
    let out = read_until(&master, "42", Duration::from_secs(20));
    assert!(out.contains("/dev/pts/0"), "{out:?}");
    assert!(out.contains("42\r\n"), "{out:?}");
    // The terminal's foreground process group (the job the interactive
    // shell runs) gets the signal; the shell itself goes on.
    nix::unistd::write(&master, b"sleep 1000\n").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    w.husk(&["kill", "--foreground", "t1", "INT"]).ok();
    nix::unistd::write(&master, b"echo after-$?\n").unwrap();
    let out = read_until(&master, "after-130", Duration::from_secs(20));
    assert!(out.contains("after-130"), "{out:?}");
    nix::unistd::write(&master, b"exit 9\n").unwrap();
    let o = w.husk(&["wait", "t1"]).ok();
    assert!(o.stdout.contains("\"exitStatus\":9"), "{o:#?}");
    w.husk(&["delete", "t1"]).ok();
}

#[test]
fn exec_t_and_a_foreground_run_get_a_terminal() {
    let w = World::new("oci-exec-t");
    let b = w.bundle("b", &["sleep", "1000"]);
    w.husk(&["run", "-d", "-b", b.to_str().unwrap(), "x1"]).ok();
    let o = w.husk(&["exec", "-t", "x1", "sh", "-c", "tty; exit 3"]);
    assert_eq!(o.code, 3, "{o:#?}");
    assert!(o.stdout.starts_with("/dev/pts/"), "{o:#?}");
    assert!(o.stdout.ends_with("\r\n"), "{o:#?}");
    // Without a terminal, the foreground mode has nothing to go by.
    let o = w.husk(&["kill", "--foreground", "x1", "INT"]).one_line_error();
    assert!(o.stderr.contains("TTY"), "{o:#?}");
    w.husk(&["delete", "-f", "x1"]).ok();

    let b =
        w.bundle_with("bt", &["sh", "-c", "tty; echo done"], |v| v["process"]["terminal"] = serde_json::json!(true));
    let o = w.husk(&["run", "-b", b.to_str().unwrap(), "x2"]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("/dev/pts/0\r\ndone\r\n"), "{o:#?}");
}
