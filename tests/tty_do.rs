//! Terminals with `husk do -t`: the command gets a sandbox pty
//! (`/dev/pts/0` inside) as controlling terminal and stdio, attached to
//! the caller's terminal. Each test drives a real host pty (CI has no
//! terminal), as a person at a terminal emulator would; the scenarios are
//! in tests/common/tty_scenarios.rs, shared with tests/tty_console.rs.

mod common;
#[path = "common/pty.rs"]
mod pty;
#[path = "common/tty_scenarios.rs"]
mod tty_scenarios;

use tty_scenarios::*;

macro_rules! tty_tests {
    ($($(#[$doc:meta])* $name:ident;)*) => {
        $($(#[$doc])* #[test] fn $name() {
            common::require_busybox();
            tty_scenarios::$name(Mode::Tty);
        })*
    };
}

tty_tests! {
    /// The prompt appears with no "no job control" warning; `set -m` is on.
    bash_prompt_with_job_control;
    /// `tty` prints /dev/pts/0.
    bash_tty_name;
    /// `ps` shows the terminal (`tty_nr` of /proc/PID/stat).
    bash_ps_shows_the_terminal;
    /// `sleep 100 &`, `jobs`, `kill %1`.
    bash_background_job;
    /// Ctrl-C ends a foreground `sleep`; `$?` is 130.
    bash_ctrl_c;
    /// Ctrl-Z stops a foreground `sleep`; `bg`, `fg`, Ctrl-C.
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
    /// `husk do -t busybox sh -c 'tty; stty size'`.
    busybox_tty_and_size;
    /// A line typed to `busybox cat` is echoed once.
    busybox_cat_echo_once;
    /// `husk do -t busybox sh -c 'exit 3'` exits 3.
    busybox_exit_status;
}

/// A new sandbox pty has Linux's modes for a new pty (no HUPCL, no IUTF8),
/// except IUTF8, which follows the attached terminal's, as `ssh -t` passes
/// it on.
#[test]
fn new_pty_modes_take_iutf8_from_the_outer_terminal() {
    let husk = common::husk_bin();
    let script = format!(
        "stty iutf8; {husk} do -t -- /bin/sh -c 'echo with; stty -a'; stty -iutf8; {husk} do -t -- /bin/sh -c 'echo without; stty -a'; echo all-done"
    );
    let mut s = pty::PtySession::spawn(&["/bin/sh".into(), "-c".into(), script], "stty modes".into(), 24, 80, &[]);
    let seen = s.expect("all-done");
    let (with, without) = seen.split_once("without").unwrap_or_else(|| s.fail("no second run"));
    let has = |text: &str, word: &str| text.split_whitespace().any(|w| w == word);
    s.check(has(with, "iutf8") && has(without, "-iutf8"), "IUTF8 does not follow the outer terminal");
    s.check(has(with, "-hupcl") && has(without, "-hupcl"), "a new pty has HUPCL");
    s.check(has(without, "icrnl") && has(without, "ixon") && has(without, "echo"), "not the pts defaults");
}

/// The sandbox pty takes the outer terminal's size as it is, 0x0 included
/// (a pty nobody sized, as under `script` or a CI runner): `stty size` inside
/// prints what it prints outside, not a made-up 24x80.
#[test]
fn unsized_outer_terminal_stays_unsized() {
    let husk = common::husk_bin();
    let script =
        format!("echo native $(stty size); {husk} do -t -- /bin/sh -c 'echo husk $(stty size)'; echo all-done");
    let mut s = pty::PtySession::spawn(&["/bin/sh".into(), "-c".into(), script], "unsized pty".into(), 0, 0, &[]);
    let seen = s.expect("all-done");
    let size_of = |who: &str| {
        seen.lines().find_map(|l| l.trim().strip_prefix(who).map(|rest| rest.trim().to_string())).unwrap_or_default()
    };
    let (native, inside) = (size_of("native "), size_of("husk "));
    s.check(native == "0 0", &format!("the outer pty is not 0x0: {native:?}"));
    s.check(inside == native, &format!("inside the sandbox the size is {inside:?}, natively {native:?}"));
}
