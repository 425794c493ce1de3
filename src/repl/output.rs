//! How the console writes: colour only when standard output is a terminal
//! and `NO_COLOR` is unset, and one path for messages that arrive on their
//! own (a session ended, strace lines): above the prompt while the line
//! editor runs, straight out otherwise, held back while a session is
//! attached (its program owns the screen then).

use std::io::Write;
use std::sync::Mutex;

/// Colours the console uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Red,
    Green,
    Yellow,
    Cyan,
    Bold,
    Dim,
}

impl Color {
    fn code(self) -> &'static str {
        match self {
            Color::Red => "31",
            Color::Green => "32",
            Color::Yellow => "33",
            Color::Cyan => "36",
            Color::Bold => "1",
            Color::Dim => "2",
        }
    }
}

/// Whether to colour.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub fn detect() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let tty = nix::unistd::isatty(1).unwrap_or(false);
        Style { color: tty && !no_color }
    }

    /// `text` in colour `c`, if colouring.
    pub fn paint(&self, text: &str, c: Color) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{}m{text}\x1b[0m", c.code())
        } else {
            text.to_string()
        }
    }

    /// An error line: `error: ...` (red `error` when colouring).
    pub fn error(&self, msg: &str) -> String {
        format!("{}: {}", self.paint("error", Color::Red), one_line(msg))
    }
}

/// `msg` on one line (a multi-line message has its breaks made spaces).
pub fn one_line(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for (i, l) in msg.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(l.trim());
    }
    out
}

/// Writes `bytes` to standard output now (unbuffered by us).
pub fn write_out(bytes: &[u8]) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(bytes);
    let _ = o.flush();
}

/// Prints messages that arrive on their own.
pub struct Notifier {
    inner: Mutex<NotifyState>,
}

struct NotifyState {
    /// A session owns the terminal: hold messages back.
    attached: bool,
    held: Vec<String>,
    /// Prints above the line editor's prompt.
    printer: Option<Box<dyn rustyline::ExternalPrinter + Send>>,
}

impl Notifier {
    /// A notifier that prints to standard output.
    pub fn new() -> Notifier {
        Notifier { inner: Mutex::new(NotifyState { attached: false, held: Vec::new(), printer: None }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, NotifyState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Prints through the line editor from now on.
    pub fn set_printer(&self, p: Box<dyn rustyline::ExternalPrinter + Send>) {
        self.lock().printer = Some(p);
    }

    /// Prints `line` (no newline at its end) as soon as the terminal is ours.
    pub fn say(&self, line: String) {
        let mut st = self.lock();
        if st.attached {
            st.held.push(line);
            return;
        }
        emit(&mut st, line);
    }

    /// A session takes the terminal (`true`) or gives it back: then what
    /// was held back is printed.
    pub fn set_attached(&self, attached: bool) {
        let mut st = self.lock();
        st.attached = attached;
        if !attached {
            for line in std::mem::take(&mut st.held) {
                emit(&mut st, line);
            }
        }
    }
}

fn emit(st: &mut NotifyState, line: String) {
    let text = format!("{line}\n");
    match st.printer.as_mut() {
        Some(p) => {
            if p.print(text.clone()).is_err() {
                write_out(text.as_bytes());
            }
        }
        None => write_out(text.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_only_with_colour() {
        assert_eq!(Style { color: false }.paint("x", Color::Red), "x");
        assert_eq!(Style { color: true }.paint("x", Color::Red), "\x1b[31mx\x1b[0m");
    }

    #[test]
    fn errors_on_one_line() {
        assert_eq!(one_line("a\n  b\n\nc"), "a b c");
        assert_eq!(Style { color: false }.error("bad\nthing"), "error: bad thing");
    }
}
