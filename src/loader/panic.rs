//! A bug in the sentry must end the sandbox, not hang it: a task thread
//! that panicked would leave its process's other threads, its parent's
//! wait and the container's init waiting for it forever. After the usual
//! report (and the terminal's restoration, which `tty` chains in front),
//! the sentry aborts; its stubs die with it (they are its children with a
//! parent-death signal), and `husk do` ends with status 134.

/// Makes every panic from here on abort the process after reporting it.
pub fn abort_on_panic() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        tracing::error!("sentry panic: {info}");
        eprintln!("husk: internal error (a bug in the sentry): the sandbox is stopped");
        std::process::abort();
    }));
}
