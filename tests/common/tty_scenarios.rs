//! The terminal scenarios of the terminals issue, written once and run in
//! each way husk attaches a terminal ([`Mode`]): `husk do -t` (a sandbox
//! pty, tests/tty_do.rs) and `husk do --console` (the host terminal passed
//! through, tests/tty_console.rs). Every scenario drives a real host pty
//! through [`PtySession`] and fails with the whole terminal output.
//!
//! Interactive scenarios run Debian's bash with no rc files and the prompt
//! [`PROMPT`]. Typed commands are written so that their echo cannot match
//! what the test waits for (`echo "st=$?"` is awaited as `st=130`,
//! `echo ar""med` as `armed`).
//!
//! Include it after the helpers it uses:
//! `mod common;`, `#[path = "common/pty.rs"] mod pty;`,
//! `#[path = "common/tty_scenarios.rs"] mod tty_scenarios;`.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use crate::pty::{tty_timeout, visible, PtySession};

/// How the terminal is given to the sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `husk do -t`: a sandbox pty (`/dev/pts/0` inside) attached to ours.
    Tty,
    /// `husk do --console`: our terminal passed through; the sentry tracks
    /// the foreground process group and forwards SIGINT, SIGTSTP... to it.
    Console,
}

impl Mode {
    /// `husk` arguments running `cmd` in this mode with `env` added to the
    /// environment (`-e`).
    pub fn husk_args(self, env: &[(&str, &str)], cmd: &[&str]) -> Vec<String> {
        let mut args = vec!["do".to_string(), self.flag().to_string()];
        for (k, v) in env {
            args.push("-e".to_string());
            args.push(format!("{k}={v}"));
        }
        args.push("--".to_string());
        args.extend(cmd.iter().map(|c| c.to_string()));
        args
    }

    fn flag(self) -> &'static str {
        match self {
            Mode::Tty => "-t",
            Mode::Console => "--console",
        }
    }

    /// What `tty` prints inside, as a regex. With `-t` the command's
    /// terminal is the sandbox's first pty. In console mode the name is
    /// not settled yet: any device path (the lead may make this exact).
    fn tty_name_re(self) -> &'static str {
        match self {
            Mode::Tty => r"/dev/pts/0\r\n",
            Mode::Console => r"/dev/console\r\n",
        }
    }
}

/// The prompt of the interactive shells.
pub const PROMPT: &str = "husk-tty$ ";

/// `husk do <mode> -- CMD...` in a host pty of `rows` x `cols`.
pub fn start(mode: Mode, cmd: &[&str], rows: u16, cols: u16) -> PtySession {
    let args = mode.husk_args(&[("PS1", PROMPT), ("HISTFILE", "/dev/null")], cmd);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    PtySession::husk(&args, rows, cols, &[])
}

/// An interactive bash under husk, at its first prompt; fails if bash
/// warned that it has no job control.
#[track_caller]
pub fn bash(mode: Mode, rows: u16, cols: u16) -> PtySession {
    let mut s = start(mode, &["/bin/bash", "--norc", "--noprofile", "-i"], rows, cols);
    let before = s.expect(PROMPT);
    s.check(
        !before.contains("no job control") && !before.contains("cannot set terminal process group"),
        "bash started without job control",
    );
    s
}

/// Runs `cmd` at the prompt and returns its output (up to the next prompt).
#[track_caller]
fn run(s: &mut PtySession, cmd: &str) -> String {
    s.send_line(cmd);
    s.expect(PROMPT)
}

/// Runs `echo "st=$?"` and expects `st=CODE`.
#[track_caller]
fn expect_status(s: &mut PtySession, code: i32) {
    s.send_line(r#"echo "st=$?""#);
    let seen = s.expect(PROMPT);
    s.check(seen.contains(&format!("st={code}\r\n")), &format!("expected the last status to be {code}"));
}

/// Runs `cmd` at the prompt again and again (bounded) until what it and
/// bash print matches `re`; returns that output. For states reached
/// asynchronously (a background job stopping, a window size arriving).
#[track_caller]
fn poll(s: &mut PtySession, cmd: &str, re: &str) -> String {
    let regex = regex::Regex::new(re).unwrap_or_else(|e| panic!("bad regex {re:?}: {e}"));
    let deadline = Instant::now() + tty_timeout();
    loop {
        let seen = run(s, cmd);
        if regex.is_match(&seen) {
            return seen;
        }
        if Instant::now() >= deadline {
            s.fail(&format!("`{cmd}` never printed /{re}/ within {:?}", tty_timeout()));
        }
        thread::sleep(Duration::from_millis(200));
    }
}

// ---------------------------------------------------------------------------
// Interactive bash
// ---------------------------------------------------------------------------

/// The prompt appears without a job-control warning and job control is on.
pub fn bash_prompt_with_job_control(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    let seen = run(&mut s, r#"case $- in *m*) echo "monitor-""on";; *) echo "monitor-""off";; esac"#);
    s.check(seen.contains("monitor-on\r\n"), "bash's job control (set -m) is off");
}

/// `tty` names the terminal.
pub fn bash_tty_name(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    s.send_line("tty");
    s.expect_re(mode.tty_name_re());
    s.expect(PROMPT);
    expect_status(&mut s, 0);
}

/// `ps` shows the shell's terminal: /proc/PID/stat's `tty_nr` is the
/// terminal's device number (busybox ps prints it as `major,minor`).
pub fn bash_ps_shows_the_terminal(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    let (dev, nr) = match mode {
        Mode::Tty => ("136,0", "34816"),
        Mode::Console => ("5,1", "1281"),
    };
    let seen = run(&mut s, "busybox ps -o pid,tty | grep \"^ *$$ \"; cut -d' ' -f7 /proc/$$/stat");
    s.check(
        regex::Regex::new(&format!(r"\d+ +{dev} *\r\n{nr}\r\n")).unwrap().is_match(&seen),
        &format!("expected ps to show the terminal {dev} and tty_nr {nr}"),
    );
}

/// `sleep 100 &`, `jobs` lists it, `kill %1` ends it.
pub fn bash_background_job(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    s.send_line("sleep 100 &");
    s.expect_re(r"\[1\] \d+\r\n");
    s.expect(PROMPT);
    let seen = run(&mut s, "jobs");
    s.check(
        regex::Regex::new(r"\[1\]\+\s+Running\s+sleep 100 &").unwrap().is_match(&seen),
        "`jobs` does not list `sleep 100 &` as running",
    );
    // bash reports the end before the next prompt or a later one, or `jobs` shows it.
    let ended = r"\[1\]\+\s+Terminated\s+sleep 100";
    let seen = run(&mut s, "kill %1");
    if !regex::Regex::new(ended).unwrap().is_match(&seen) {
        poll(&mut s, "jobs", ended);
    }
    let seen = run(&mut s, "jobs");
    s.check(!seen.contains("sleep 100"), "the killed job is still listed");
}

/// `sleep 100` then Ctrl-C: back at the prompt, status 130.
pub fn bash_ctrl_c(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    s.send_line("sleep 100");
    s.expect("sleep 100\r\n");
    s.settle();
    s.send("\x03");
    let seen = s.expect(PROMPT);
    s.check(seen.contains("^C"), "Ctrl-C was not echoed as ^C");
    expect_status(&mut s, 130);
}

/// `sleep 100` then Ctrl-Z: Stopped; `bg` resumes it; `fg` then Ctrl-C ends it.
pub fn bash_ctrl_z_bg_fg(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    s.send_line("sleep 100");
    s.expect("sleep 100\r\n");
    s.settle();
    s.send("\x1a");
    s.expect_re(r"\[1\]\+\s+Stopped\s+sleep 100\r\n");
    s.expect(PROMPT);
    expect_status(&mut s, 148);
    s.send_line("bg");
    s.expect_re(r"\[1\]\+ sleep 100 &\r\n");
    s.expect(PROMPT);
    let seen = run(&mut s, "jobs");
    s.check(
        regex::Regex::new(r"\[1\]\+\s+Running\s+sleep 100 &").unwrap().is_match(&seen),
        "after bg, `jobs` does not show the job running",
    );
    s.send_line("fg");
    s.expect("fg\r\n");
    s.expect("sleep 100\r\n");
    s.settle();
    s.send("\x03");
    s.expect(PROMPT);
    expect_status(&mut s, 130);
    let seen = run(&mut s, "jobs");
    s.check(!seen.contains("sleep 100"), "the job is still listed after fg and Ctrl-C");
}

/// `stty size` follows a resize of the outer terminal.
pub fn bash_stty_size_follows_resize(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    let seen = run(&mut s, "stty size");
    s.check(seen.contains("24 80\r\n"), "`stty size` does not show the outer terminal's 24 80");
    s.resize(40, 132);
    poll(&mut s, "stty size", r"40 132\r\n");
    s.resize(19, 61);
    poll(&mut s, "stty size", r"19 61\r\n");
}

/// A resize of the outer terminal sends SIGWINCH to the foreground job.
pub fn bash_sigwinch_to_foreground(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    s.send_line(r#"bash -c 'trap "echo got-""winch; exit 0" WINCH; echo re""ady; while :; do sleep 0.1; done'"#);
    s.expect("ready\r\n");
    s.resize(30, 100);
    s.expect("got-winch\r\n");
    s.expect(PROMPT);
    expect_status(&mut s, 0);
    let seen = run(&mut s, r#"echo "size=$LINES,$COLUMNS""#);
    s.check(seen.contains("size=30,100\r\n"), "bash did not pick up the new size in $LINES/$COLUMNS");
}

/// `cat` echoes typed lines and ends on Ctrl-D.
pub fn bash_cat_echo_and_eof(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    s.send_line("cat");
    s.expect("cat\r\n");
    s.settle();
    s.send("hello tty\r");
    s.expect("hello tty\r\nhello tty\r\n");
    s.send("second line\r");
    s.expect("second line\r\nsecond line\r\n");
    s.send("\x04");
    s.expect(PROMPT);
    expect_status(&mut s, 0);
}

/// `read -s` does not echo the input; `$REPLY` has it.
pub fn bash_read_silent(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    s.send_line("read -s");
    s.expect("read -s\r\n");
    s.settle();
    s.send("s3cr3t-word\r");
    let seen = s.expect(PROMPT);
    s.check(!seen.contains("s3cr3t"), "the input of `read -s` was echoed");
    s.send_line(r#"echo "got=$REPLY""#);
    s.expect("got=s3cr3t-word\r\n");
    s.expect(PROMPT);
    let seen = run(&mut s, "stty -a");
    s.check(regex::Regex::new(r"(^|\s)echo(\s|$)").unwrap().is_match(&seen), "echo is still off after `read -s`");
}

/// A subshell trapping SIGINT runs its trap on Ctrl-C.
pub fn bash_trap_int(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    s.send_line(r#"(trap 'echo got""-int' INT; echo ar""med; sleep 5)"#);
    s.expect("armed\r\n");
    s.settle();
    s.send("\x03");
    s.expect("got-int\r\n");
    s.expect(PROMPT);
}

/// With `stty tostop`, a background job writing to the terminal stops
/// with SIGTTOU; `fg` lets it write.
pub fn bash_tostop_sigttou(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    s.send_line("stty tostop; echo hi &");
    s.expect_re(r"\[1\] \d+\r\n");
    s.expect(PROMPT);
    // bash 5.2 says just "Stopped" for SIGTTOU; older ones "Stopped (tty output)".
    poll(&mut s, "jobs", r"\[1\]\+\s+Stopped( \(tty output\))?\s+echo hi");
    s.check(
        !regex::Regex::new(r"(^|\n)hi\r\n").unwrap().is_match(&s.all_output()),
        "the stopped background job wrote to the terminal",
    );
    s.send_line("fg");
    s.expect("hi\r\n");
    s.expect(PROMPT);
    expect_status(&mut s, 0);
    run(&mut s, "stty -tostop");
}

/// A background `cat` stops with SIGTTIN; `fg` lets it read.
pub fn bash_background_read_sigttin(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    s.send_line("cat &");
    s.expect_re(r"\[1\] \d+\r\n");
    s.expect(PROMPT);
    poll(&mut s, "jobs", r"\[1\]\+\s+Stopped( \(tty input\))?\s+cat");
    s.send_line("fg");
    s.expect("fg\r\n");
    s.expect("cat\r\n");
    s.settle();
    s.send("abc\r");
    s.expect("abc\r\nabc\r\n");
    s.send("\x04");
    s.expect(PROMPT);
    expect_status(&mut s, 0);
}

/// `exit 3` in the shell makes husk exit 3 and restores the outer terminal.
pub fn bash_exit_status(mode: Mode) {
    let mut s = bash(mode, 24, 80);
    s.send_line("exit 3");
    let code = s.wait_exit();
    s.check(code == 3, &format!("husk exited {code}, expected 3"));
    s.check(s.outer_is_cooked(), "the outer terminal was left in raw mode");
}

/// Whether a full-screen program exists; if not, says so in the output.
fn have(program: &str, package: &str) -> bool {
    if Path::new(program).exists() {
        return true;
    }
    // Straight to the process's stderr: the test harness would swallow
    // println!/eprintln! of a test that passes.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {program} is absent: install the Debian package {package} to run this scenario"
    );
    false
}

/// `vi` draws a full screen (the alternate screen, `~` on every line
/// but the last, the cursor sent to the last row) and `:q` quits.
pub fn vi_full_screen(mode: Mode) {
    if !have("/usr/bin/vi", "vim-tiny") {
        return;
    }
    let mut s = bash(mode, 24, 80);
    s.send_line("vi");
    s.expect("\x1b[?1049h");
    // The last row (24) is the command line (the ruler); vim addresses it by CUP.
    let screen = s.expect_re(r"\x1b\[24;\d+H");
    s.settle();
    let tildes = screen.matches("~").count() + s.pending().matches("~").count();
    s.check(tildes >= 20, &format!("vi drew {tildes} `~` lines, expected about 23"));
    s.send(":q\r");
    s.expect("\x1b[?1049l");
    s.expect(PROMPT);
    expect_status(&mut s, 0);
}

/// `less` shows a screenful (rows - 1 lines and its `:` prompt), pages
/// with space, and `q` quits.
pub fn less_full_screen(mode: Mode) {
    if !have("/usr/bin/less", "less") {
        return;
    }
    let mut s = bash(mode, 24, 80);
    s.send_line("seq 1 200 | less");
    s.expect_re(r"(?s)\b1\r\n2\r\n3\r\n.*\n22\r\n23\r\n:");
    s.settle();
    s.check(!s.pending().contains("24\r\n"), "less printed more than a screenful (23 lines)");
    s.send(" ");
    s.expect_re(r"(?s)\n46\r\n:");
    s.send("q");
    s.expect(PROMPT);
    expect_status(&mut s, 0);
}

// ---------------------------------------------------------------------------
// Non-interactive
// ---------------------------------------------------------------------------

/// `tty; stty size` name the terminal and give the outer terminal's size.
pub fn busybox_tty_and_size(mode: Mode) {
    let mut s = start(mode, &["/bin/busybox", "sh", "-c", "tty; stty size"], 33, 101);
    s.expect_re(mode.tty_name_re());
    s.expect("33 101\r\n");
    let code = s.wait_exit();
    s.check(code == 0, &format!("exit status {code}, expected 0"));
}

/// A line typed to `busybox cat` is echoed once with \r\n, then printed by
/// cat; Ctrl-D ends cat. With `-t` the sandbox's line discipline echoes and
/// the outer terminal must be raw (else it would echo too); in console mode
/// the outer terminal's own line discipline does it all.
pub fn busybox_cat_echo_once(mode: Mode) {
    let mut s = start(mode, &["/bin/busybox", "cat"], 24, 80);
    if mode == Mode::Tty {
        s.wait_raw();
    }
    s.send("hello tty\r");
    s.expect("hello tty\r\nhello tty\r\n");
    s.send("\x04");
    let code = s.wait_exit();
    s.check(code == 0, &format!("exit status {code}, expected 0"));
    let all = s.all_output();
    s.check(
        all.matches("hello tty").count() == 2,
        &format!("`hello tty` should appear twice (echo, cat), got {:?}", visible(all.as_bytes())),
    );
    s.check(s.outer_is_cooked(), "the outer terminal was left in raw mode");
}

/// The command's exit status is husk's.
pub fn busybox_exit_status(mode: Mode) {
    let mut s = start(mode, &["/bin/busybox", "sh", "-c", "exit 3"], 24, 80);
    let code = s.wait_exit();
    s.check(code == 3, &format!("exit status {code}, expected 3"));
    s.check(s.outer_is_cooked(), "the outer terminal was left in raw mode");
}
