//! Host terminals for containers: a host pty pair whose master goes to
//! whoever shows the terminal (a `--console-socket` consumer, or the CLI of
//! `run`/`exec -t`), and a bridge that pumps bytes between the host side
//! and a sandbox pty, so the program's terminal is a real `/dev/pts/N` of
//! the sandbox with the sandbox's own line discipline and job control.
//!
//! The host side is put in raw mode: the sandbox pty does all the editing,
//! echo and signal generation. Window-size changes of the host terminal are
//! noticed by polling (there may be many terminals and no SIGWINCH for the
//! sandbox process) and passed to the sandbox pty.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::kernel::tty::pty::PtyMaster;
use crate::kernel::tty::termios::Winsize;

/// How often the host terminal's size is checked.
const WINSIZE_POLL: Duration = Duration::from_millis(250);

/// Opens a host pty pair: (master, slave), both close-on-exec.
pub fn open_pair() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let r = nix::pty::openpty(None, None).map_err(std::io::Error::from)?;
    for fd in [&r.master, &r.slave] {
        let _ = nix::fcntl::fcntl(fd.as_raw_fd(), nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC));
    }
    Ok((r.master, r.slave))
}

/// Puts a host terminal into raw mode (no echo, no line editing, no
/// signals, no output processing).
pub fn make_raw(fd: &OwnedFd) {
    if let Ok(mut t) = nix::sys::termios::tcgetattr(fd.as_fd()) {
        nix::sys::termios::cfmakeraw(&mut t);
        let _ = nix::sys::termios::tcsetattr(fd.as_fd(), nix::sys::termios::SetArg::TCSANOW, &t);
    }
}

/// The window size of a host terminal.
pub fn winsize(fd: i32) -> Option<Winsize> {
    let mut ws: libc::winsize = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes a `struct winsize` into our local.
    let rc = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) };
    (rc == 0 && ws.ws_row > 0 && ws.ws_col > 0).then_some(Winsize {
        rows: ws.ws_row,
        cols: ws.ws_col,
        xpixel: ws.ws_xpixel,
        ypixel: ws.ws_ypixel,
    })
}

/// Sets the window size of a host terminal.
pub fn set_winsize(fd: i32, rows: u16, cols: u16) {
    let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCSWINSZ reads a `struct winsize` from our local.
    unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &ws) };
}

/// Sends `fd` over the unix socket at `path`, as runc does with a
/// container's terminal master for `--console-socket`.
pub fn send_to_console_socket(path: &Path, fd: &OwnedFd) -> std::io::Result<()> {
    let sock = UnixStream::connect(path)?;
    let name = b"/dev/ptmx";
    let iov = [std::io::IoSlice::new(name)];
    let fds = [fd.as_raw_fd()];
    let cmsg = [nix::sys::socket::ControlMessage::ScmRights(&fds)];
    nix::sys::socket::sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsg, nix::sys::socket::MsgFlags::empty(), None)
        .map_err(std::io::Error::from)?;
    Ok(())
}

/// A bridge between a host terminal and a sandbox pty: threads that end
/// by themselves when either side goes away.
pub struct Bridge;

impl Bridge {
    /// Pumps between `host` (a host terminal descriptor, put into raw mode)
    /// and the master side of a sandbox pty, which the bridge keeps open.
    pub fn start(host: OwnedFd, master: PtyMaster) {
        make_raw(&host);
        let pty = master.pty.clone();
        let done = Arc::new(AtomicBool::new(false));
        if let Some(ws) = winsize(host.as_raw_fd()) {
            pty.set_winsize(ws);
        }
        let host = Arc::new(host);
        // Host to sandbox: keystrokes.
        {
            let (host, pty, done) = (host.clone(), pty.clone(), done.clone());
            let _ = std::thread::Builder::new().name("tty-in".into()).spawn(move || {
                let mut buf = [0u8; 4096];
                while !done.load(Ordering::Relaxed) {
                    if !readable(host.as_raw_fd(), WINSIZE_POLL) {
                        continue;
                    }
                    match nix::unistd::read(host.as_raw_fd(), &mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            if pty.master_write(&buf[..n], false).is_err() {
                                break;
                            }
                        }
                        Err(nix::errno::Errno::EINTR) => continue,
                        Err(_) => break,
                    }
                }
            });
        }
        // Window size changes.
        {
            let (host, pty, done) = (host.clone(), pty.clone(), done.clone());
            let _ = std::thread::Builder::new().name("tty-winsize".into()).spawn(move || {
                let mut last = winsize(host.as_raw_fd());
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(WINSIZE_POLL);
                    let now = winsize(host.as_raw_fd());
                    if now != last {
                        if let Some(ws) = now {
                            pty.set_winsize(ws);
                        }
                        last = now;
                    }
                }
            });
        }
        // Sandbox to host: output, until no slave is open any more. The
        // master stays open (held here) until then.
        {
            let done = done.clone();
            let _ = std::thread::Builder::new().name("tty-out".into()).spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = master.pty.master_read(&mut buf, false) {
                    let mut off = 0;
                    while off < n {
                        match nix::unistd::write(host.as_fd(), &buf[off..n]) {
                            Ok(w) => off += w,
                            Err(nix::errno::Errno::EINTR) => {}
                            Err(_) => {
                                done.store(true, Ordering::Relaxed);
                                return;
                            }
                        }
                    }
                }
                // The host side closes when the other threads notice.
                done.store(true, Ordering::Relaxed);
                drop(master);
            });
        }
    }
}

/// Waits up to `timeout` for `fd` to be readable (or hung up).
fn readable(fd: i32, timeout: Duration) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one pollfd of ours.
    let n = unsafe { libc::poll(&mut p, 1, timeout.as_millis() as i32) };
    n > 0
}

/// Duplicates a raw descriptor we were given (e.g. `--terminal-fd 3`) into
/// an owned one, taking it over.
pub fn take_fd(fd: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: F_GETFD only checks that the descriptor exists.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the caller hands us this inherited descriptor; nothing else
    // in the process owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
