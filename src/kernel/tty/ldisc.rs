//! The line discipline (Linux's n_tty): input processing (ICRNL and
//! friends, signal characters, canonical line editing, echo) and output
//! processing (OPOST, ONLCR). Pure state: the pty layer moves the bytes,
//! blocks readers and sends the signals this returns.

use std::collections::VecDeque;

use super::termios::*;

/// Longest canonical line (Linux's N_TTY_BUF_SIZE - 1).
pub const MAX_CANON: usize = 4095;
/// Most raw input held before writers to the master must wait.
pub const MAX_INPUT: usize = 65536;

/// What typing some bytes did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct InputEffects {
    /// Bytes to show on the terminal (already output-processed).
    pub echo: Vec<u8>,
    /// Signals for the foreground process group.
    pub signals: Vec<i32>,
    /// Pending output must be discarded (a signal character without NOFLSH).
    pub flush_output: bool,
    /// How many input bytes were taken (the rest must wait for room).
    pub consumed: usize,
}

/// A line discipline.
#[derive(Debug, Default)]
pub struct LineDiscipline {
    pub termios: Termios,
    /// Canonical mode: complete lines, each with its terminator (an empty
    /// line is an end-of-file mark).
    lines: VecDeque<Vec<u8>>,
    /// Canonical mode: the line being edited.
    edit: Vec<u8>,
    /// Non-canonical mode: bytes ready to read.
    raw: VecDeque<u8>,
    /// The next byte is taken literally (after VLNEXT).
    literal_next: bool,
    /// Output stopped (VSTOP with IXON, or tcflow TCOOFF).
    pub stopped: bool,
    /// Stopped by tcflow(TCOOFF): only TCOON restarts it then, not VSTART,
    /// IXANY, a signal character or IXON turned off (Linux's tco_stopped).
    tco_stopped: bool,
    /// Output column, for erase and ONOCR.
    column: usize,
}

/// Whether `c` echoes as `^X` with ECHOCTL.
fn is_ctl(c: u8, t: &Termios) -> bool {
    (c < 0x20 || c == 0x7f) && c != b'\t' && c != b'\n' && !t.is_cc(c, VSTART) && !t.is_cc(c, VSTOP)
}

impl LineDiscipline {
    fn canonical(&self) -> bool {
        self.termios.l(ICANON)
    }

    /// Bytes a reader can take now: in canonical mode the first complete
    /// line (`Some(0)` for an end-of-file mark), otherwise all raw bytes.
    pub fn available(&self) -> Option<usize> {
        if self.canonical() {
            self.lines.front().map(|l| l.len())
        } else if self.raw.is_empty() {
            None
        } else {
            Some(self.raw.len())
        }
    }

    /// Bytes of input queued (FIONREAD).
    pub fn input_len(&self) -> usize {
        if self.canonical() {
            self.lines.iter().map(|l| l.len()).sum()
        } else {
            self.raw.len()
        }
    }

    /// Takes input for a reader: in canonical mode at most one line.
    /// `Some(0)` is end of file; `None` means nothing is ready.
    pub fn read(&mut self, buf: &mut [u8]) -> Option<usize> {
        if self.canonical() {
            let line = self.lines.front_mut()?;
            if line.is_empty() {
                self.lines.pop_front();
                return Some(0);
            }
            let n = buf.len().min(line.len());
            buf[..n].copy_from_slice(&line[..n]);
            line.drain(..n);
            if line.is_empty() {
                self.lines.pop_front();
            }
            Some(n)
        } else {
            if self.raw.is_empty() {
                return None;
            }
            let n = buf.len().min(self.raw.len());
            for (d, s) in buf[..n].iter_mut().zip(self.raw.drain(..n)) {
                *d = s;
            }
            Some(n)
        }
    }

    /// Restarts output stopped by VSTOP; output stopped by TCOOFF stays so.
    fn start(&mut self) {
        if !self.tco_stopped {
            self.stopped = false;
        }
    }

    /// tcflow(TCOOFF) (`on`) and tcflow(TCOON): TCOON restarts output
    /// however it was stopped, and only after a TCOOFF.
    pub fn tcflow(&mut self, on: bool) {
        if !on {
            self.tco_stopped = true;
            self.stopped = true;
        } else if self.tco_stopped {
            self.tco_stopped = false;
            self.stopped = false;
        }
    }

    /// Discards all pending input (TCFLSH, signal characters).
    pub fn flush_input(&mut self) {
        self.lines.clear();
        self.edit.clear();
        self.raw.clear();
    }

    /// Whether more input fits.
    pub fn input_full(&self) -> bool {
        if self.canonical() {
            self.lines.iter().map(|l| l.len()).sum::<usize>() >= MAX_INPUT
        } else {
            self.raw.len() >= MAX_INPUT
        }
    }

    /// New attributes; switching canonical mode moves queued input over.
    pub fn set_termios(&mut self, t: Termios) {
        let was_canon = self.canonical();
        self.termios = t;
        let now_canon = self.canonical();
        if was_canon && !now_canon {
            for l in self.lines.drain(..) {
                self.raw.extend(l);
            }
            self.raw.extend(self.edit.drain(..));
        } else if !was_canon && now_canon {
            self.edit.extend(self.raw.drain(..));
        }
        if !self.termios.i(IXON) {
            self.start();
        }
    }

    /// Output processing of bytes on their way to the terminal.
    pub fn process_output(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let t = self.termios;
        if !t.o(OPOST) {
            out.extend_from_slice(data);
            self.track_columns(data);
            return;
        }
        for &c in data {
            match c {
                b'\n' if t.o(ONLRET) => {
                    out.push(c);
                    self.column = 0;
                }
                b'\n' if t.o(ONLCR) => {
                    out.extend_from_slice(b"\r\n");
                    self.column = 0;
                }
                b'\r' if t.o(ONOCR) && self.column == 0 => {}
                b'\r' if t.o(OCRNL) => {
                    out.push(b'\n');
                    if t.o(ONLRET) {
                        self.column = 0;
                    }
                }
                _ => {
                    out.push(c);
                    self.track_columns(&[c]);
                }
            }
        }
    }

    fn track_columns(&mut self, data: &[u8]) {
        for &c in data {
            match c {
                b'\r' | b'\n' => self.column = 0,
                b'\x08' => self.column = self.column.saturating_sub(1),
                b'\t' => self.column = (self.column | 7) + 1,
                c if c >= 0x20 && (c & 0xc0) != 0x80 => self.column += 1,
                _ => {}
            }
        }
    }

    /// Echoes one input byte (with ECHOCTL for control characters).
    fn echo_char(&mut self, c: u8, out: &mut Vec<u8>) {
        let t = self.termios;
        if t.l(ECHOCTL) && is_ctl(c, &t) {
            self.process_output(&[b'^', if c == 0x7f { b'?' } else { c ^ 0x40 }], out);
        } else {
            self.process_output(&[c], out);
        }
    }

    /// How many columns `c` took when echoed.
    fn echo_width(&self, c: u8) -> usize {
        if (c & 0xc0) == 0x80 {
            0
        } else if self.termios.l(ECHOCTL) && is_ctl(c, &self.termios) {
            2
        } else {
            1
        }
    }

    /// Erases the last character of the edit line (one UTF-8 character
    /// with IUTF8), echoing the erasure.
    fn erase_one(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(mut c) = self.edit.pop() else { return false };
        let mut width = self.echo_width(c);
        if self.termios.i(IUTF8) {
            while (c & 0xc0) == 0x80 {
                match self.edit.pop() {
                    Some(p) => {
                        c = p;
                        width += self.echo_width(p);
                    }
                    None => break,
                }
            }
        }
        if self.termios.l(ECHO) && self.termios.l(ECHOE) {
            for _ in 0..width.max(1) {
                self.process_output(b"\x08 \x08", out);
            }
        }
        true
    }

    /// Processes bytes typed at the terminal.
    pub fn input(&mut self, data: &[u8]) -> InputEffects {
        let mut fx = InputEffects::default();
        for &byte in data {
            if self.input_full() {
                break;
            }
            fx.consumed += 1;
            self.input_byte(byte, &mut fx);
        }
        fx
    }

    fn input_byte(&mut self, mut c: u8, fx: &mut InputEffects) {
        let t = self.termios;
        let echo = t.l(ECHO);
        if self.literal_next {
            self.literal_next = false;
            if echo && t.l(ECHOCTL) && is_ctl(c, &t) {
                // Replace the "^\b" shown for VLNEXT.
                fx.echo.extend_from_slice(b"\x08");
            }
            self.queue_char(c, fx);
            return;
        }
        if t.i(ISTRIP) {
            c &= 0x7f;
        }
        if c == b'\r' {
            if t.i(IGNCR) {
                return;
            }
            if t.i(ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && t.i(INLCR) {
            c = b'\r';
        }
        if t.i(IXON) {
            if t.is_cc(c, VSTOP) {
                self.stopped = true;
                return;
            }
            if t.is_cc(c, VSTART) {
                self.start();
                return;
            }
            if t.i(IXANY) {
                self.start();
            }
        }
        if t.l(ISIG) {
            let sig = if t.is_cc(c, VINTR) {
                Some(libc::SIGINT)
            } else if t.is_cc(c, VQUIT) {
                Some(libc::SIGQUIT)
            } else if t.is_cc(c, VSUSP) {
                Some(libc::SIGTSTP)
            } else {
                None
            };
            if let Some(sig) = sig {
                if !t.l(NOFLSH) {
                    self.flush_input();
                    fx.flush_output = true;
                }
                // n_tty restarts output stopped by VSTOP, so the echo shows.
                if t.i(IXON) {
                    self.start();
                }
                if echo {
                    let mut out = Vec::new();
                    self.echo_char(c, &mut out);
                    fx.echo.extend(out);
                }
                fx.signals.push(sig);
                return;
            }
        }
        if t.l(IEXTEN) && t.is_cc(c, VLNEXT) {
            self.literal_next = true;
            if echo && t.l(ECHOCTL) {
                fx.echo.extend_from_slice(b"^\x08");
            }
            return;
        }
        if self.canonical() {
            let mut out = Vec::new();
            if t.is_cc(c, VERASE) {
                if !self.erase_one(&mut out) {
                    // Nothing to erase.
                } else if echo && !t.l(ECHOE) {
                    self.echo_char(c, &mut out);
                }
                fx.echo.extend(out);
                return;
            }
            if t.l(IEXTEN) && t.is_cc(c, VWERASE) {
                while self.edit.last().is_some_and(|b| b.is_ascii_whitespace()) {
                    self.erase_one(&mut out);
                }
                while self.edit.last().is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80) {
                    self.erase_one(&mut out);
                }
                fx.echo.extend(out);
                return;
            }
            if t.is_cc(c, VKILL) {
                if echo && t.l(ECHOKE) && t.l(ECHOE) {
                    while self.erase_one(&mut out) {}
                } else {
                    self.edit.clear();
                    if echo {
                        self.echo_char(c, &mut out);
                        if t.l(ECHOK) {
                            self.process_output(b"\n", &mut out);
                        }
                    }
                }
                self.edit.clear();
                fx.echo.extend(out);
                return;
            }
            if t.l(IEXTEN) && t.is_cc(c, VREPRINT) {
                if echo {
                    self.echo_char(c, &mut out);
                    self.process_output(b"\n", &mut out);
                    let line = self.edit.clone();
                    for b in line {
                        self.echo_char(b, &mut out);
                    }
                }
                fx.echo.extend(out);
                return;
            }
            if t.is_cc(c, VEOF) {
                let line = std::mem::take(&mut self.edit);
                self.lines.push_back(line);
                return;
            }
        }
        self.queue_char(c, fx);
    }

    /// Adds an ordinary byte to the input, completing a line at a newline.
    fn queue_char(&mut self, c: u8, fx: &mut InputEffects) {
        let t = self.termios;
        let mut out = Vec::new();
        if self.canonical() {
            let eol = c == b'\n' || t.is_cc(c, VEOL) || t.is_cc(c, VEOL2);
            if !eol && self.edit.len() >= MAX_CANON {
                // The line is full: drop the byte (Linux rings the bell).
                if t.i(IMAXBEL) && t.l(ECHO) {
                    out.push(0x07);
                }
                fx.echo.extend(out);
                return;
            }
            self.edit.push(c);
            if t.l(ECHO) {
                self.echo_char(c, &mut out);
            } else if c == b'\n' && t.l(ECHONL) {
                self.process_output(b"\n", &mut out);
            }
            if eol {
                let line = std::mem::take(&mut self.edit);
                self.lines.push_back(line);
            }
        } else {
            self.raw.push_back(c);
            if t.l(ECHO) {
                self.echo_char(c, &mut out);
            }
        }
        fx.echo.extend(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld() -> LineDiscipline {
        LineDiscipline::default()
    }

    fn read_all(l: &mut LineDiscipline) -> Vec<u8> {
        let mut buf = [0u8; 256];
        let n = l.read(&mut buf).unwrap_or(0);
        buf[..n].to_vec()
    }

    #[test]
    fn canonical_line_with_echo_and_crlf() {
        let mut l = ld();
        let fx = l.input(b"hi\r");
        assert_eq!(fx.echo, b"hi\r\n");
        assert_eq!(read_all(&mut l), b"hi\n");
    }

    #[test]
    fn nothing_until_newline() {
        let mut l = ld();
        l.input(b"abc");
        assert_eq!(l.available(), None);
        l.input(b"\n");
        assert_eq!(l.available(), Some(4));
    }

    #[test]
    fn erase_and_kill() {
        let mut l = ld();
        let fx = l.input(b"ab\x7f");
        assert_eq!(fx.echo, b"ab\x08 \x08");
        l.input(b"c\n");
        assert_eq!(read_all(&mut l), b"ac\n");
        l.input(b"junk\x15ok\n");
        assert_eq!(read_all(&mut l), b"ok\n");
    }

    #[test]
    fn word_erase() {
        let mut l = ld();
        l.input(b"one two\x17three\n");
        assert_eq!(read_all(&mut l), b"one three\n");
    }

    #[test]
    fn eof_at_line_start_reads_zero() {
        let mut l = ld();
        l.input(b"\x04");
        let mut buf = [0u8; 8];
        assert_eq!(l.read(&mut buf), Some(0));
        l.input(b"ab\x04");
        assert_eq!(read_all(&mut l), b"ab");
    }

    #[test]
    fn signal_characters() {
        let mut l = ld();
        l.input(b"partial");
        let fx = l.input(b"\x03");
        assert_eq!(fx.signals, vec![libc::SIGINT]);
        assert_eq!(fx.echo, b"^C");
        assert!(fx.flush_output);
        assert_eq!(l.input_len(), 0);
        assert_eq!(l.input(b"\x1a").signals, vec![libc::SIGTSTP]);
        assert_eq!(l.input(b"\x1c").signals, vec![libc::SIGQUIT]);
        l.input(b"\x13");
        assert!(l.stopped);
        l.input(b"\x03");
        assert!(!l.stopped, "a signal character restarts output");
    }

    #[test]
    fn tcflow_stop_outlasts_vstart() {
        let mut l = ld();
        l.tcflow(false);
        l.input(b"\x11\x03");
        assert!(l.stopped, "VSTART and ^C leave a TCOOFF stop");
        l.tcflow(true);
        assert!(!l.stopped);
        l.input(b"\x13");
        l.tcflow(true);
        assert!(l.stopped, "TCOON without TCOOFF leaves a VSTOP stop");
        l.input(b"\x11");
        assert!(!l.stopped);
    }

    #[test]
    fn raw_mode_and_no_echo() {
        let mut l = ld();
        let mut t = l.termios;
        t.lflag &= !(ICANON | ECHO | ISIG);
        l.set_termios(t);
        let fx = l.input(b"x\x03");
        assert!(fx.echo.is_empty());
        assert!(fx.signals.is_empty());
        assert_eq!(read_all(&mut l), b"x\x03");
    }

    #[test]
    fn output_processing() {
        let mut l = ld();
        let mut out = Vec::new();
        l.process_output(b"a\nb", &mut out);
        assert_eq!(out, b"a\r\nb");
        let mut t = l.termios;
        t.oflag &= !OPOST;
        l.set_termios(t);
        out.clear();
        l.process_output(b"a\n", &mut out);
        assert_eq!(out, b"a\n");
    }

    #[test]
    fn echoctl_and_lnext() {
        let mut l = ld();
        let fx = l.input(b"\x16\x03\n");
        assert!(fx.signals.is_empty());
        assert_eq!(read_all(&mut l), b"\x03\n");
    }

    #[test]
    fn utf8_erase_removes_whole_character() {
        let mut l = ld();
        let mut t = l.termios;
        t.iflag |= IUTF8;
        l.set_termios(t);
        l.input("é".as_bytes());
        l.input(b"\x7f\n");
        assert_eq!(read_all(&mut l), b"\n");
    }

    #[test]
    fn erase_without_iutf8_removes_one_byte() {
        // A new pty has no IUTF8 (Linux's pts defaults).
        let mut l = ld();
        l.input("é".as_bytes());
        l.input(b"\x7f\n");
        assert_eq!(read_all(&mut l), b"\xc3\n");
    }

    #[test]
    fn switching_to_raw_keeps_typed_input() {
        let mut l = ld();
        l.input(b"abc");
        let mut t = l.termios;
        t.lflag &= !ICANON;
        l.set_termios(t);
        assert_eq!(read_all(&mut l), b"abc");
    }
}
