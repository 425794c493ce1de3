//! Console mode on the host side: forwarding the terminal's job-control
//! signals that reach husk to the sandbox's foreground process group, and
//! giving the terminal back as it was.

use std::sync::{Arc, Weak};

use crate::kernel::tty::console::HostConsole;
use crate::kernel::tty::job::signal_pgrp;
use crate::kernel::Kernel;

/// Signals the host terminal sends to its foreground process group (husk)
/// that belong to the sandbox's foreground process group.
const FORWARDED: [i32; 4] = [libc::SIGINT, libc::SIGQUIT, libc::SIGTSTP, libc::SIGWINCH];

/// Saves the host terminal settings and restores them when dropped (the
/// sandbox may change them through the console).
pub struct TerminalState {
    saved: Option<nix::sys::termios::Termios>,
}

impl TerminalState {
    /// Saves the settings of standard input, if it is a terminal.
    pub fn save() -> TerminalState {
        TerminalState { saved: nix::sys::termios::tcgetattr(std::io::stdin()).ok() }
    }
}

impl Drop for TerminalState {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            let _ = nix::sys::termios::tcsetattr(std::io::stdin(), nix::sys::termios::SetArg::TCSANOW, t);
        }
    }
}

/// Starts forwarding host terminal signals to the console's foreground
/// process group. From now on these signals no longer affect husk itself.
pub fn forward_signals(console: Arc<HostConsole>, kernel: Weak<Kernel>) {
    let Ok(mut signals) = signal_hook::iterator::Signals::new(FORWARDED) else {
        tracing::warn!("console mode: cannot catch terminal signals");
        return;
    };
    std::thread::Builder::new()
        .name("console-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let (Some(k), Some(fg)) = (kernel.upgrade(), console.foreground()) else { continue };
                signal_pgrp(&k, fg, sig);
            }
        })
        .ok();
}
