//! The console's end on SIGHUP (its terminal went away: a closed window,
//! a dropped ssh connection), SIGTERM or SIGQUIT. As an interactive shell hangs up
//! its jobs, the console destroys the sandboxes it started (unless
//! `--keep`) and puts its terminal back as it found it, so nothing it
//! started outlives it unseen and no terminal is left in raw mode.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::cli::runtime::{self, Ctx};
use crate::cli::signals::signal_name;

/// The sandboxes a console started, shared with its hang-up watcher.
#[derive(Clone, Default)]
pub struct Started(Arc<Mutex<BTreeSet<String>>>);

impl Started {
    fn lock(&self) -> MutexGuard<'_, BTreeSet<String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `create`, which makes sandbox `id`, and records the id if it
    /// succeeds. The set stays locked meanwhile, so a hang-up arriving
    /// while the sandbox is being made waits for it and destroys it too
    /// (its state exists before `create` returns: recording the id only
    /// afterwards would let a hang-up in between miss it).
    pub fn insert_made_by<T, E>(&self, id: &str, create: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let mut ids = self.lock();
        let made = create()?;
        ids.insert(id.to_string());
        Ok(made)
    }

    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// The ids, in order.
    pub fn ids(&self) -> Vec<String> {
        self.lock().iter().cloned().collect()
    }
}

/// Starts the watcher thread. It exits the process with 128+N after
/// signal N, having destroyed what `started` holds unless `keep`.
pub fn watch(ctx: Ctx, started: Started, keep: bool) -> std::io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([libc::SIGHUP, libc::SIGTERM, libc::SIGQUIT])?;
    // An attached session's raw mode must not exit on these first.
    crate::tty::leave_exit_signals_to_caller();
    let terminal = nix::sys::termios::tcgetattr(std::io::stdin()).ok();
    std::thread::Builder::new().name("console-hangup".into()).spawn(move || {
        let Some(sig) = signals.forever().next() else {
            return;
        };
        crate::tty::restore();
        if let Some(t) = &terminal {
            // Bracketed paste off, as the line editor leaves it.
            use std::io::Write;
            let _ = std::io::stdout().write_all(b"\x1b[?2004l");
            let _ = std::io::stdout().flush();
            let _ = nix::sys::termios::tcsetattr(std::io::stdin(), nix::sys::termios::SetArg::TCSANOW, t);
        }
        let ids = started.ids();
        if !keep && !ids.is_empty() {
            for id in &ids {
                if ctx.state.exists(id) {
                    if let Err(e) = runtime::delete(&ctx, &crate::cli::DeleteArgs { force: true, id: id.clone() }) {
                        eprintln!("husk: destroying {id}: {e:#}");
                    }
                }
            }
            eprintln!("husk: {}: destroyed {}", signal_name(sig), ids.join(", "));
        }
        std::process::exit(128 + sig);
    })?;
    Ok(())
}
