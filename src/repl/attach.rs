//! Attaching this terminal to a session: the terminal goes raw, keys go
//! to the session's pty (all of them, Ctrl-C and Ctrl-Z too: the sandbox's
//! line discipline turns them into signals for its foreground group),
//! output comes back through the session's reader, and the pty's size
//! follows this terminal's. A detach key sequence (default Ctrl-P Ctrl-Q,
//! as docker) gives the terminal back with the session still running; the
//! end of the session's process does too.

use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::output::write_out;
use super::session::{Ended, Session};
use crate::loader::hostpty;

/// The default detach sequence: Ctrl-P Ctrl-Q.
pub const DEFAULT_DETACH_KEYS: &str = "ctrl-p,ctrl-q";
/// How often the terminal's size is looked at while attached.
const POLL: Duration = Duration::from_millis(50);
/// How long a size nudge lasts: longer than the sandbox bridge's 250 ms
/// look at its host terminal, so it sees both sizes.
const NUDGE: Duration = Duration::from_millis(350);

/// Why an attachment ended.
pub enum AttachEnd {
    /// The detach keys were typed.
    Detached,
    /// The session's process ended.
    Ended(Ended),
    /// This terminal's input ended.
    InputClosed,
}

/// Spots the detach sequence in typed input. Bytes that may begin it are
/// held back until it is clear whether they do (then they are dropped) or
/// not (then they go on).
pub struct DetachKeys {
    seq: Vec<u8>,
    held: usize,
}

impl DetachKeys {
    /// A matcher for `seq` (not empty).
    pub fn new(seq: Vec<u8>) -> DetachKeys {
        DetachKeys { seq, held: 0 }
    }

    /// Feeds typed bytes; returns what goes to the session, and whether
    /// the sequence was completed (what follows it is dropped).
    pub fn feed(&mut self, input: &[u8]) -> (Vec<u8>, bool) {
        let mut out = Vec::with_capacity(input.len());
        for &b in input {
            if b == self.seq[self.held] {
                self.held += 1;
                if self.held == self.seq.len() {
                    self.held = 0;
                    return (out, true);
                }
                continue;
            }
            out.extend_from_slice(&self.seq[..self.held]);
            self.held = 0;
            if b == self.seq[0] {
                self.held = 1;
                if self.seq.len() == 1 {
                    self.held = 0;
                    return (out, true);
                }
            } else {
                out.push(b);
            }
        }
        (out, false)
    }
}

/// `Ctrl-P Ctrl-Q`.
pub fn describe_keys(keys: &[u8]) -> String {
    let name = |b: u8| match b {
        0 => "Ctrl-@".to_string(),
        1..=26 => format!("Ctrl-{}", (b'A' + b - 1) as char),
        27..=31 => format!("Ctrl-{}", (b'@' + b) as char),
        b => (b as char).to_string(),
    };
    keys.iter().map(|b| name(*b)).collect::<Vec<_>>().join(" ")
}

fn host_size() -> Option<(u16, u16)> {
    hostpty::winsize(0).map(|w| (w.rows, w.cols))
}

fn write_all(fd: i32, mut bytes: &[u8]) -> bool {
    // SAFETY: `fd` is the session's master, open for as long as the session.
    let b = unsafe { BorrowedFd::borrow_raw(fd) };
    while !bytes.is_empty() {
        match nix::unistd::write(b, bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => {}
            Err(_) => return false,
        }
    }
    true
}

/// Attaches this terminal (standard input and output) to `sess` until the
/// detach keys, the end of its process, or the end of input. With
/// `redraw`, the pty's size is nudged so a full-screen program repaints.
pub fn attach(sess: &Arc<Session>, keys: &[u8], redraw: bool) -> AttachEnd {
    let _raw = crate::tty::RawMode::enter();
    // Said once the terminal is raw: from here every key is the session's.
    write_out(format!("[{}] attached to {}; {} detaches\r\n", sess.num, sess.title(), describe_keys(keys)).as_bytes());
    let master = sess.master_fd();
    let mut last = host_size();
    let mut nudge_until = None;
    if let Some((rows, cols)) = last {
        if redraw {
            let other = if cols > 2 { cols - 1 } else { cols + 1 };
            hostpty::set_winsize(master, rows, other);
            nudge_until = Some(Instant::now() + NUDGE);
        } else {
            hostpty::set_winsize(master, rows, cols);
        }
        sess.record_resize(cols, rows);
    }
    sess.attach_output();
    let mut matcher = DetachKeys::new(keys.to_vec());
    let mut buf = [0u8; 4096];
    let end = loop {
        if let Some(e) = sess.ended() {
            sess.wait_output_end(Duration::from_secs(1));
            break AttachEnd::Ended(e);
        }
        if nudge_until.is_some_and(|t| Instant::now() >= t) {
            nudge_until = None;
            if let Some((rows, cols)) = host_size() {
                hostpty::set_winsize(master, rows, cols);
            }
        }
        let now = host_size();
        if now != last && nudge_until.is_none() {
            if let Some((rows, cols)) = now {
                hostpty::set_winsize(master, rows, cols);
                sess.record_resize(cols, rows);
            }
            last = now;
        }
        let mut p = libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 };
        // SAFETY: one pollfd of ours.
        if unsafe { libc::poll(&mut p, 1, POLL.as_millis() as i32) } <= 0 {
            continue;
        }
        match nix::unistd::read(0, &mut buf) {
            Ok(0) => break AttachEnd::InputClosed,
            Ok(n) => {
                let (out, detach) = matcher.feed(&buf[..n]);
                if !out.is_empty() {
                    // A failed write means the terminal is going away:
                    // the session's end is noticed above.
                    write_all(master, &out);
                }
                if detach {
                    break AttachEnd::Detached;
                }
            }
            Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => {}
            Err(_) => break AttachEnd::InputClosed,
        }
    };
    sess.detach_output();
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_sequence() {
        let mut m = DetachKeys::new(vec![16, 17]);
        assert_eq!(m.feed(b"ls\r"), (b"ls\r".to_vec(), false));
        // Ctrl-P alone is held, then sent when something else follows.
        assert_eq!(m.feed(&[16]), (vec![], false));
        assert_eq!(m.feed(b"x"), (vec![16, b'x'], false));
        // Ctrl-P Ctrl-P Ctrl-Q: the first goes on, the pair detaches.
        assert_eq!(m.feed(&[16, 16, 17, b'z']), (vec![16], true));
        // Split over two reads.
        assert_eq!(m.feed(b"a\x10"), (b"a".to_vec(), false));
        assert_eq!(m.feed(b"\x11"), (vec![], true));
        assert_eq!(describe_keys(&[16, 17]), "Ctrl-P Ctrl-Q");
        assert_eq!(describe_keys(&[1, b'd']), "Ctrl-A d");
        assert_eq!(describe_keys(&[29]), "Ctrl-]");
        let mut one = DetachKeys::new(vec![29]);
        assert_eq!(one.feed(b"ab\x1dcd"), (b"ab".to_vec(), true));
    }
}
