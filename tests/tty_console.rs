//! Terminals with `husk do --console`: the caller's terminal is passed
//! through to the command; the sentry tracks the terminal's foreground
//! process group and forwards the host's SIGINT, SIGTSTP, SIGWINCH... to
//! it. The same scenarios as tests/tty_do.rs (tests/common/tty_scenarios.rs),
//! each driving a real host pty.
//!
//! The passed-through terminal is the sandbox's console: `tty` names it
//! `/dev/console`, as on a Linux system whose shell runs on its console.

mod common;
#[path = "common/pty.rs"]
mod pty;
#[path = "common/tty_scenarios.rs"]
mod tty_scenarios;

use tty_scenarios::*;

macro_rules! console_tests {
    ($($(#[$doc:meta])* $name:ident;)*) => {
        $($(#[$doc])*
        #[test]
        fn $name() {
            common::require_busybox();
            tty_scenarios::$name(Mode::Console);
        })*
    };
}

console_tests! {
    /// The prompt appears with no "no job control" warning; `set -m` is on.
    bash_prompt_with_job_control;
    /// `tty` names the console: `/dev/console`.
    bash_tty_name;
    /// `ps` shows the terminal (`tty_nr` of /proc/PID/stat).
    bash_ps_shows_the_terminal;
    /// `sleep 100 &`, `jobs`, `kill %1`.
    bash_background_job;
    /// Ctrl-C (the host's SIGINT, forwarded) ends a foreground `sleep`; `$?` is 130.
    bash_ctrl_c;
    /// Ctrl-Z (the host's SIGTSTP, forwarded) stops a foreground `sleep`; `bg`, `fg`, Ctrl-C.
    bash_ctrl_z_bg_fg;
    /// `stty size` follows a resize of the outer terminal.
    bash_stty_size_follows_resize;
    /// A resize reaches the foreground job as SIGWINCH.
    bash_sigwinch_to_foreground;
    /// `cat` echoes typed lines, Ctrl-D ends it.
    bash_cat_echo_and_eof;
    /// `read -s` hides the input.
    bash_read_silent;
    /// `(trap 'echo got-int' INT; sleep 5)` and Ctrl-C.
    bash_trap_int;
    /// `stty tostop; echo hi &` stops with SIGTTOU.
    bash_tostop_sigttou;
    /// A background `cat &` stops with SIGTTIN.
    bash_background_read_sigttin;
    /// `exit 3` makes husk exit 3.
    bash_exit_status;
    /// vi draws a full screen and `:q` quits (skipped without /usr/bin/vi).
    vi_full_screen;
    /// less draws a full screen and `q` quits (skipped without /usr/bin/less).
    less_full_screen;
    /// `husk do --console busybox sh -c 'tty; stty size'`.
    busybox_tty_and_size;
    /// A line typed to `busybox cat` is echoed once.
    busybox_cat_echo_once;
    /// `husk do --console busybox sh -c 'exit 3'` exits 3.
    busybox_exit_status;
}
