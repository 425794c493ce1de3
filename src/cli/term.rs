//! The CLI's side of a container terminal (`run` with process.terminal and
//! no console socket, `exec -t`): this process's stdin and stdout pumped
//! to and from the master of a host pty whose slave the sandbox bridges to
//! its own pty. Stdin goes raw while attached, when it is a terminal.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::loader::hostpty;

/// Restores the terminal settings of stdin when dropped.
pub struct RawStdin {
    saved: Option<nix::sys::termios::Termios>,
}

impl RawStdin {
    /// Puts stdin in raw mode if it is a terminal.
    pub fn enter() -> RawStdin {
        let stdin = std::io::stdin();
        let Ok(saved) = nix::sys::termios::tcgetattr(stdin.as_fd()) else {
            return RawStdin { saved: None };
        };
        let mut raw = saved.clone();
        nix::sys::termios::cfmakeraw(&mut raw);
        // Keep output processing: our stdout is the same terminal.
        raw.output_flags = saved.output_flags;
        let _ = nix::sys::termios::tcsetattr(stdin.as_fd(), nix::sys::termios::SetArg::TCSANOW, &raw);
        RawStdin { saved: Some(saved) }
    }
}

impl Drop for RawStdin {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            let _ = nix::sys::termios::tcsetattr(std::io::stdin().as_fd(), nix::sys::termios::SetArg::TCSANOW, t);
        }
    }
}

/// A running pump between stdin/stdout and a pty master.
pub struct Pump {
    output: JoinHandle<()>,
    stop: Arc<AtomicBool>,
    _raw: RawStdin,
}

impl Pump {
    /// Starts pumping; the window size of stdin's terminal follows.
    pub fn start(master: OwnedFd) -> Pump {
        let raw = RawStdin::enter();
        if let Some(ws) = hostpty::winsize(0) {
            hostpty::set_winsize(master.as_raw_fd(), ws.rows, ws.cols);
        }
        let master = Arc::new(master);
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (m, stop) = (master.clone(), stop.clone());
            let _ = std::thread::Builder::new().name("term-in".into()).spawn(move || {
                let mut buf = [0u8; 4096];
                while !stop.load(Ordering::Relaxed) {
                    let mut p = libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 };
                    // SAFETY: one pollfd of ours.
                    if unsafe { libc::poll(&mut p, 1, 200) } <= 0 {
                        continue;
                    }
                    match nix::unistd::read(0, &mut buf) {
                        Ok(0) => {
                            // End of input: pass it on as the terminal's EOF
                            // character (what a closed keyboard means).
                            let _ = nix::unistd::write(m.as_fd(), &[4u8]);
                            break;
                        }
                        Ok(n) => {
                            if nix::unistd::write(m.as_fd(), &buf[..n]).is_err() {
                                break;
                            }
                        }
                        Err(nix::errno::Errno::EINTR) => {}
                        Err(_) => break,
                    }
                }
            });
        }
        if let Ok(mut signals) = signal_hook::iterator::Signals::new([libc::SIGWINCH]) {
            let m = master.clone();
            let _ = std::thread::Builder::new().name("term-winch".into()).spawn(move || {
                for _ in signals.forever() {
                    if let Some(ws) = hostpty::winsize(0) {
                        hostpty::set_winsize(m.as_raw_fd(), ws.rows, ws.cols);
                    }
                }
            });
        }
        let m = master.clone();
        let output = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            let stdout = std::io::stdout();
            loop {
                match nix::unistd::read(m.as_raw_fd(), &mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let mut off = 0;
                        while off < n {
                            match nix::unistd::write(stdout.as_fd(), &buf[off..n]) {
                                Ok(w) => off += w,
                                Err(nix::errno::Errno::EINTR) => {}
                                Err(_) => return,
                            }
                        }
                    }
                    Err(nix::errno::Errno::EINTR) => {}
                    // EIO: the sandbox closed the terminal.
                    Err(_) => break,
                }
            }
        });
        Pump { output, stop, _raw: raw }
    }

    /// Waits (at most `limit`) for the remaining output, then stops.
    pub fn finish(self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.output.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.stop.store(true, Ordering::Relaxed);
    }
}
