//! The host terminal side: raw mode for the duration of an attached
//! session (restored on every exit path), the window size, and the byte
//! pumps between the host terminal and a sandbox pty's master side.

pub mod console;

use crate::kernel::wait::HostSource;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::kernel::tty::pty::Pty;
use crate::kernel::tty::termios::Winsize;

/// Whether the host terminal is in raw mode because of us.
static RAW: AtomicBool = AtomicBool::new(false);
/// The host terminal settings to restore.
static SAVED: Mutex<Option<nix::sys::termios::Termios>> = Mutex::new(None);

/// Whether standard input is a terminal.
pub fn stdin_is_tty() -> bool {
    nix::unistd::isatty(std::io::stdin().as_raw_fd()).unwrap_or(false)
}

/// Puts the host terminal (standard input) into raw mode until the guard
/// drops; a no-op when standard input is not a terminal.
pub struct RawMode {
    active: bool,
}

impl RawMode {
    /// Enters raw mode and installs the restore hooks (panic, SIGTERM...).
    pub fn enter() -> RawMode {
        if !stdin_is_tty() {
            return RawMode { active: false };
        }
        let stdin = std::io::stdin();
        if let Ok(t) = nix::sys::termios::tcgetattr(&stdin) {
            *SAVED.lock().unwrap_or_else(|e| e.into_inner()) = Some(t);
        }
        if crossterm::terminal::enable_raw_mode().is_err() {
            return RawMode { active: false };
        }
        RAW.store(true, Ordering::SeqCst);
        install_restore_hooks();
        RawMode { active: true }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if self.active {
            restore();
        }
    }
}

/// Restores the host terminal if we changed it. Safe to call repeatedly.
pub fn restore() {
    if RAW.swap(false, Ordering::SeqCst) {
        let _ = crossterm::terminal::disable_raw_mode();
        if let Some(t) = SAVED.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = nix::sys::termios::tcsetattr(std::io::stdin(), nix::sys::termios::SetArg::TCSANOW, &t);
        }
    }
}

/// The pty attached to the host terminal, which hangs up when the host's
/// does (SIGHUP).
static HANGUP: Mutex<Option<Arc<Pty>>> = Mutex::new(None);

/// How long the sandbox has after a hang-up before husk exits with 129.
const HANGUP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Set when the program ends itself on SIGTERM and SIGHUP (and restores
/// the terminal there): raw mode then installs no exit of its own, which
/// would race with that program's clean-up.
static EXIT_SIGNALS_ELSEWHERE: AtomicBool = AtomicBool::new(false);

/// Leaves SIGTERM, SIGHUP and SIGQUIT to the caller: call before any
/// `RawMode::enter`.
pub fn leave_exit_signals_to_caller() {
    EXIT_SIGNALS_ELSEWHERE.store(true, Ordering::SeqCst);
}

fn install_restore_hooks() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            prev(info);
        }));
        // A signal that ends husk must not leave the terminal raw (the
        // console ends on these signals itself: `repl/hangup.rs`).
        if EXIT_SIGNALS_ELSEWHERE.load(Ordering::SeqCst) {
            return;
        }
        if let Ok(mut signals) = signal_hook::iterator::Signals::new([libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT]) {
            std::thread::spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    restore();
                    let attached = HANGUP.lock().unwrap_or_else(|e| e.into_inner()).take();
                    if let (libc::SIGHUP, Some(pty)) = (sig, attached) {
                        // The host terminal went away (a closed window, a
                        // dropped ssh): the sandbox's terminal hangs up too,
                        // as a pty does when its emulator closes the master,
                        // so its programs get SIGHUP and may save their work
                        // (vim, nano). husk then ends with the command's
                        // status; this exit is for one that lingers.
                        pty.hang_up();
                        std::thread::sleep(HANGUP_GRACE);
                    }
                    std::process::exit(128 + sig);
                }
            });
        }
    });
}

/// The host terminal's size as its TIOCGWINSZ reports it, if there is a
/// host terminal. A terminal that reports 0x0 (a fresh pty nobody sized)
/// gives the sandbox's terminal 0x0 too, as the program would see natively
/// (`stty size` prints `0 0`); no guess from `tput` or a default.
pub fn host_winsize() -> Option<Winsize> {
    let ws = crossterm::terminal::window_size().ok()?;
    Some(Winsize { rows: ws.rows, cols: ws.columns, xpixel: ws.width, ypixel: ws.height })
}

/// A running attachment of the host terminal to a pty.
pub struct Attachment {
    output: JoinHandle<()>,
}

impl Attachment {
    /// Starts pumping: host stdin to the pty, pty output to host stdout, and
    /// host window-size changes to the pty.
    pub fn start(pty: Arc<Pty>) -> Attachment {
        *HANGUP.lock().unwrap_or_else(|e| e.into_inner()) = Some(pty.clone());
        if let Some(ws) = host_winsize() {
            pty.set_winsize(ws);
        } else {
            pty.set_winsize(Winsize { rows: 24, cols: 80, xpixel: 0, ypixel: 0 });
        }
        if let Ok(t) = nix::sys::termios::tcgetattr(std::io::stdin()) {
            pty.set_input_utf8(t.input_flags.contains(nix::sys::termios::InputFlags::IUTF8));
        }
        // Typed input: read by the task that sleeps waiting for it, or by
        // the tty-input thread when none does (StdinSource).
        let input = Arc::new(StdinSource::new(pty.clone()));
        pty.set_input_source(Some(input.clone()));
        std::thread::Builder::new().name("tty-input".into()).spawn(move || input.run()).ok();
        let p = pty.clone();
        if let Ok(mut signals) = signal_hook::iterator::Signals::new([libc::SIGWINCH]) {
            std::thread::spawn(move || {
                for _ in signals.forever() {
                    if let Some(ws) = host_winsize() {
                        p.set_winsize(ws);
                    }
                }
            });
        }
        // Short output goes to stdout from the writing task itself; the
        // pump copies the rest (Pty::set_sink).
        if let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() {
            pty.set_sink(fd);
        }
        let output = std::thread::Builder::new()
            .name("tty-output".into())
            .spawn(move || {
                let mut buf = [0u8; 8192];
                // Until every slave side is closed (EIO) or the host output fails.
                while let Ok(n) = pty.sink_read(&mut buf) {
                    // Raw and unbuffered: slave writers write to the same file directly.
                    let ok = crate::kernel::tty::pty::write_host(&std::io::stdout(), &buf[..n]) == n;
                    pty.sink_release();
                    if !ok {
                        break;
                    }
                }
            })
            .unwrap_or_else(|_| std::thread::spawn(|| {}));
        Attachment { output }
    }

    /// Waits (up to `timeout`) until every byte the sandbox wrote has been
    /// copied to the host terminal.
    pub fn drain(self, timeout: std::time::Duration) {
        let deadline = std::time::Instant::now() + timeout;
        while !self.output.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

/// Host stdin as the input of a sandbox pty. Whoever gets to it first moves
/// it in: a task sleeping on the pty's input (its sentry thread polls stdin
/// itself, saving a wake-up of this pump per keystroke), or the tty-input
/// thread, which serves it while no task does (Ctrl-C for a busy job).
struct StdinSource {
    pty: Arc<Pty>,
    st: Mutex<SourceState>,
    /// How many tasks serve the source now; the thread waits while any do.
    servers: Mutex<usize>,
}

#[derive(Default)]
struct SourceState {
    /// Read from stdin, not yet taken by the line discipline (full).
    pending: Vec<u8>,
    eof: bool,
}

impl StdinSource {
    fn new(pty: Arc<Pty>) -> StdinSource {
        StdinSource { pty, st: Mutex::new(SourceState::default()), servers: Mutex::new(0) }
    }

    /// The tty-input thread: pumps while no task serves, until end of input.
    /// It looks at the server count every 20 ms rather than being woken when
    /// it drops to zero: that happens at every keystroke (the shell leaves
    /// its poll), and a wake-up of this thread then would compete for the
    /// CPUs the echo needs. Input for a busy job (Ctrl-C) waits at most that.
    fn run(&self) {
        let tick = std::time::Duration::from_millis(20);
        loop {
            let serving = *self.servers.lock().unwrap_or_else(|e| e.into_inner()) > 0;
            if serving {
                std::thread::sleep(tick);
                continue;
            }
            let stdin = std::io::stdin();
            let mut pfd = [nix::poll::PollFd::new(stdin.as_fd(), nix::poll::PollFlags::POLLIN)];
            let _ = nix::poll::poll(&mut pfd, 20u16);
            self.pump();
            if self.st.lock().unwrap_or_else(|e| e.into_inner()).eof {
                self.pty.set_input_source(None);
                return;
            }
        }
    }
}

impl crate::kernel::wait::HostSource for StdinSource {
    fn host_fd(&self) -> std::os::fd::RawFd {
        libc::STDIN_FILENO
    }

    fn pump(&self) -> bool {
        let mut st = self.st.lock().unwrap_or_else(|e| e.into_inner());
        if st.eof {
            return false;
        }
        if !st.pending.is_empty() {
            return match self.pty.master_write(&st.pending, true) {
                Ok(n) if n > 0 => {
                    st.pending.drain(..n);
                    true
                }
                _ => false,
            };
        }
        // stdin is blocking: read only what a poll under the lock says is
        // there (another reader may have taken what woke the caller).
        let stdin = std::io::stdin();
        let mut pfd = [nix::poll::PollFd::new(stdin.as_fd(), nix::poll::PollFlags::POLLIN)];
        match nix::poll::poll(&mut pfd, 0u16) {
            Ok(n) if n > 0 => {}
            _ => return false,
        }
        let mut buf = [0u8; 4096];
        match nix::unistd::read(libc::STDIN_FILENO, &mut buf) {
            Ok(0) => {
                st.eof = true;
                false
            }
            Ok(n) => {
                match self.pty.master_write(&buf[..n], true) {
                    Ok(k) => st.pending.extend_from_slice(&buf[k..n]),
                    Err(crate::kernel::errno::Errno::EAGAIN) => st.pending.extend_from_slice(&buf[..n]),
                    Err(_) => st.eof = true,
                }
                true
            }
            Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => false,
            Err(_) => {
                st.eof = true;
                false
            }
        }
    }

    fn serving(&self, on: bool) {
        let mut n = self.servers.lock().unwrap_or_else(|e| e.into_inner());
        if on {
            *n += 1;
        } else {
            *n = n.saturating_sub(1);
        }
    }
}
