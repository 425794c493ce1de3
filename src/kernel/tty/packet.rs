//! Packet mode of a pty master (TIOCPKT), as Linux's pty driver and n_tty
//! give it: every read of the master starts with one byte, TIOCPKT_DATA (0)
//! before the terminal's output, or else a non-zero status byte alone that
//! says what happened to the slave side since the last read (flushes, output
//! stopped or started, a change of flow control). screen and other
//! multiplexers turn it on to follow ^S/^Q and flushes of the programs they
//! run.

use super::termios::{Termios, IXON, VSTART, VSTOP};

/// The slave's input was flushed (TCIFLUSH, TCSETSF, a signal character).
pub const FLUSHREAD: u8 = 1;
/// The slave's output was flushed (TCOFLUSH, a signal character).
pub const FLUSHWRITE: u8 = 2;
/// Output was stopped (VSTOP, tcflow TCOOFF).
pub const STOP: u8 = 4;
/// Output was restarted (VSTART, IXANY, tcflow TCOON).
pub const START: u8 = 8;
/// Flow control is no longer ^S/^Q with IXON.
pub const NOSTOP: u8 = 16;
/// Flow control is now ^S/^Q with IXON.
pub const DOSTOP: u8 = 32;
/// Termios changed under EXTPROC.
pub const IOCTL: u8 = 64;

/// `c_lflag`'s EXTPROC (external processing: the master does the editing).
const EXTPROC: u32 = 0o200000;

/// Packet mode of one pair: Linux's `packet` flag of the master and the
/// `pktstatus` it reads from the slave.
#[derive(Default)]
pub struct Packet {
    on: bool,
    status: u8,
}

impl Packet {
    /// TIOCPKT: turning it on (when off) forgets older events, as Linux does.
    pub fn set(&mut self, on: bool) {
        if on && !self.on {
            self.status = 0;
        }
        self.on = on;
    }

    /// TIOCGPKT.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Records event `bit` (nothing unless packet mode is on). STOP and
    /// START cancel each other, NOSTOP and DOSTOP too.
    pub fn event(&mut self, bit: u8) {
        if !self.on {
            return;
        }
        match bit {
            STOP => self.status &= !START,
            START => self.status &= !STOP,
            NOSTOP | DOSTOP => self.status &= !(NOSTOP | DOSTOP),
            _ => {}
        }
        self.status |= bit;
    }

    /// Output went from `was` to `now` stopped.
    pub fn stopped(&mut self, was: bool, now: bool) {
        if was != now {
            self.event(if now { STOP } else { START });
        }
    }

    /// New termios: whether ^S/^Q flow control changed (NOSTOP/DOSTOP), and
    /// IOCTL whenever EXTPROC is or was on (Linux's pty_set_termios).
    pub fn termios(&mut self, old: &Termios, new: &Termios) {
        let flow = |t: &Termios| t.i(IXON) && t.cc[VSTOP] == 0x13 && t.cc[VSTART] == 0x11;
        if flow(old) != flow(new) {
            self.event(if flow(new) { DOSTOP } else { NOSTOP });
        }
        if (old.lflag | new.lflag) & EXTPROC != 0 {
            self.event(IOCTL);
        }
    }

    /// Whether a status byte waits to be read (the master polls readable,
    /// and POLLPRI).
    pub fn pending(&self) -> bool {
        self.on && self.status != 0
    }

    /// A master read in packet mode, given the queued output `queue`: the
    /// status byte alone if one is pending, else TIOCPKT_DATA and as much
    /// output as fits. None when packet mode is off or there is nothing to
    /// read.
    pub fn read(&mut self, buf: &mut [u8], queue: &mut std::collections::VecDeque<u8>) -> Option<usize> {
        if !self.on || buf.is_empty() {
            return None;
        }
        if self.status != 0 {
            buf[0] = std::mem::take(&mut self.status);
            return Some(1);
        }
        if queue.is_empty() {
            return None;
        }
        buf[0] = 0;
        let n = (buf.len() - 1).min(queue.len());
        for (d, s) in buf[1..=n].iter_mut().zip(queue.drain(..n)) {
            *d = s;
        }
        Some(n + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[test]
    fn status_comes_alone_then_data_is_framed() {
        let mut p = Packet::default();
        let mut q: VecDeque<u8> = b"hello".iter().copied().collect();
        let mut buf = [0u8; 4];
        assert_eq!(p.read(&mut buf, &mut q), None, "off: plain reads");
        p.event(STOP);
        assert!(!p.pending(), "events are dropped while off");
        p.set(true);
        p.event(STOP);
        p.event(START);
        p.event(FLUSHREAD);
        assert_eq!(p.read(&mut buf, &mut q), Some(1));
        assert_eq!(buf[0], START | FLUSHREAD);
        assert_eq!(p.read(&mut buf, &mut q), Some(4));
        assert_eq!(&buf, b"\0hel");
        let mut one = [9u8; 1];
        assert_eq!(p.read(&mut one, &mut q), Some(1), "a one-byte read gets TIOCPKT_DATA alone");
        assert_eq!((one[0], q.len()), (0, 2));
    }
}
