//! Interactive terminal programs under `husk do -t`, each run the same way
//! natively in a host pty and compared: tmux (a daemon server that gets the
//! client's terminal over a unix socket, panes, detach and attach), GNU
//! screen (pty packet mode), gdb (ptrace, Ctrl-C of a running inferior),
//! strace -f, top, watch with a resize, and script. What is compared is
//! what matters to a person at the terminal: what the screen shows, prompts,
//! exit statuses; pids, addresses and times are normalised first.
//!
//! A scenario whose program is missing is skipped with a note;
//! scripts/test.sh installs them all.

mod common;
#[path = "common/pty.rs"]
mod pty;

use std::path::Path;

use pty::PtySession;
use regex::Regex;

/// Whether `program` is installed; prints a skip note if not.
fn have(program: &str) -> bool {
    let ok = Path::new(program).exists();
    if !ok {
        eprintln!("skipped: {program} is not installed (scripts/test.sh installs it)");
    }
    ok
}

/// `cmd` in a new host pty of 24x80, natively or under `husk do -t`, with
/// the tests' base environment plus `env`.
fn start(in_husk: bool, cmd: &[&str], env: &[(&str, &str)]) -> PtySession {
    if in_husk {
        let mut args = vec!["do", "-t", "--"];
        args.extend_from_slice(cmd);
        PtySession::husk(&args, 24, 80, env)
    } else {
        let argv: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        PtySession::spawn(&argv, format!("native {}", cmd.join(" ")), 24, 80, env)
    }
}

/// One step of a scenario.
enum Step<'a> {
    /// Type these bytes.
    Send(&'a str),
    /// Wait for this regex; what came before it joins the transcript.
    Expect(&'a str),
    /// Resize the outer terminal.
    Resize(u16, u16),
    /// Let the program reach a state no output announces.
    Settle,
}
use Step::*;

/// Runs `steps` and returns the transcript and the exit status.
fn drive(s: &mut PtySession, steps: &[Step]) -> (String, i32) {
    let mut seen = String::new();
    for step in steps {
        match step {
            Send(text) => s.send(text),
            Expect(re) => seen.push_str(&s.expect_re(re)),
            Resize(rows, cols) => s.resize(*rows, *cols),
            Settle => s.settle(),
        }
    }
    let code = s.wait_exit();
    seen.push_str(&s.pending());
    (seen, code)
}

/// `text` with escape sequences removed and each `(regex, replacement)`
/// applied, in order.
fn normalise(text: &str, rules: &[(&str, &str)]) -> String {
    let mut out =
        Regex::new(r"\x1b(\[[0-9;?>=]*[a-zA-Z]|[()][0-9A-B]|[=>])").unwrap().replace_all(text, "").into_owned();
    out = out.replace('\r', "");
    for (re, with) in rules {
        out = Regex::new(re).unwrap().replace_all(&out, *with).into_owned();
    }
    out
}

/// Runs the scenario natively and under husk; returns both normalised
/// transcripts after checking that the exit statuses agree.
fn both(cmd: &[&str], env: &[(&str, &str)], steps: &[Step], rules: &[(&str, &str)]) -> (String, String) {
    let mut n = start(false, cmd, env);
    let (native, native_code) = drive(&mut n, steps);
    let mut h = start(true, cmd, env);
    let (husk, husk_code) = drive(&mut h, steps);
    h.check(husk_code == native_code, &format!("exit status {husk_code} under husk, {native_code} natively"));
    h.check(h.outer_is_cooked(), "husk left the outer terminal in raw mode");
    (normalise(&native, rules), normalise(&husk, rules))
}

/// The lines of `text` that start with `needle`. Full-screen programs
/// redraw as often as their timers and the machine's speed make them, so
/// the lines compared are those a program prints once, not its redraws.
fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().map(str::trim_start).filter(|l| l.starts_with(needle)).collect()
}

/// Asserts that `needle` shows in both transcripts.
#[track_caller]
fn both_show(native: &str, husk: &str, needles: &[&str]) {
    for needle in needles {
        assert!(native.contains(needle), "natively nothing shows {needle:?}:\n{native}");
        assert!(
            husk.contains(needle),
            "under husk nothing shows {needle:?}\n--- native ---\n{native}\n--- husk ---\n{husk}"
        );
    }
}

/// Asserts that both transcripts have the same lines starting with each
/// of `needles`, and that there is at least one.
#[track_caller]
fn same_lines(native: &str, husk: &str, needles: &[&str]) {
    for needle in needles {
        let (n, h) = (lines_with(native, needle), lines_with(husk, needle));
        assert!(!n.is_empty(), "natively nothing shows {needle:?}:\n{native}");
        assert_eq!(h, n, "lines with {needle:?} differ\n--- native ---\n{native}\n--- husk ---\n{husk}");
    }
}

/// Times, dates and pids as tmux, screen and top show them.
const CLOCK: &[(&str, &str)] = &[
    (r"\d{1,2}:\d{2}(:\d{2})?", "T"),
    (r"\d{2}-[A-Z][a-z]{2}-\d{2}", "D"),
    (r"\d+\.h4", "N.h4"),
    (r"\(\d\d/\d\d/\d\d[^)]*\)", "(D)"),
];

/// Ends a native tmux server the test started (a failed run leaves one)
/// and removes its socket, which tmux leaves behind in /tmp/tmux-UID.
fn tmux_cleanup(sock: &str) {
    let _ = std::process::Command::new("tmux").args(["-L", sock, "kill-server"]).output();
    // SAFETY: getuid has no memory effects.
    let uid = unsafe { libc::getuid() };
    let _ = std::fs::remove_file(format!("/tmp/tmux-{uid}/{sock}"));
}

/// tmux: a detached session made by a first client (the server daemon
/// forks off and outlives it), a second pane, capture-pane, then a client
/// attached to this terminal (its descriptors travel to the server with
/// SCM_RIGHTS), detached with C-b d, and kill-server.
#[test]
fn tmux_session_split_capture_attach_detach() {
    if !have("/usr/bin/tmux") {
        return;
    }
    // Each run's own server: natively the socket is the host's.
    let sock = format!("husk-tt-{}", std::process::id());
    let script = format!(
        "t='tmux -L {sock} -f /dev/null'; \
         $t new-session -d -s s -x 80 -y 23 'echo pane-one; exec sleep 100'; echo new-rc=$?; \
         $t split-window -t s 'echo pane-two; exec sleep 100'; echo split-rc=$?; \
         $t list-panes -t s -F 'pane #{{pane_index}} #{{pane_width}}x#{{pane_height}} #{{pane_current_command}}'; \
         for i in $(seq 50); do $t capture-pane -p -t s.1 | grep -q pane-two && break; sleep 0.1; done; \
         $t capture-pane -p -t s.0 | head -1; $t capture-pane -p -t s.1 | head -1; \
         $t attach -t s; echo attach-rc=$?; \
         $t ls -F '#{{session_name}} attached=#{{session_attached}} windows=#{{session_windows}}'; \
         $t kill-server; echo kill-rc=$?; $t ls 2>/dev/null; echo ls-after-kill-rc=$?"
    );
    let steps = [Expect("pane-two\r\n"), Expect("pane-two"), Settle, Send("\x02d"), Expect(r"ls-after-kill-rc=\d+")];
    let (native, husk) = both(&["/bin/sh", "-c", &script], &[], &steps, CLOCK);
    tmux_cleanup(&sock);
    same_lines(
        &native,
        &husk,
        &["new-rc=", "split-rc=", "pane 0 ", "pane 1 ", "attach-rc=", "s attached=", "kill-rc=", "ls-after-kill-rc="],
    );
    both_show(&native, &husk, &["pane-one", "pane-two", "[detached (from session s)]"]);
}

/// tmux in the foreground: a shell in a pane, a second pane (C-b "), the
/// panes' sizes following a resize of the outer terminal, Ctrl-C reaching a
/// pane's foreground job, and tmux ending when its last pane exits.
#[test]
fn tmux_foreground_panes_resize_and_ctrl_c() {
    if !have("/usr/bin/tmux") {
        return;
    }
    let sock = format!("husk-tf-{}", std::process::id());
    let bash = "/bin/bash --norc --noprofile -i";
    let tmux = format!(
        "tmux -L {sock} -f /dev/null new-session '{bash}' \\; set -g default-command '{bash}'; echo tmux-rc=$?"
    );
    let steps = [
        Expect(r"tt\$ "),
        Send("stty size; echo a\"\"b\r"),
        Expect("ab"),
        Expect(r"tt\$ "),
        Send("\x02\""),
        Expect(r"tt\$ "),
        Send("echo one-$((6*7))\r"),
        Expect("one-42"),
        Expect(r"tt\$ "),
        Resize(30, 100),
        Settle,
        Send("stty size\r"),
        Expect(r"\d+ 100"),
        Expect(r"tt\$ "),
        Send("sleep 30\r"),
        Settle,
        Send("\x03"),
        Expect(r"tt\$ "),
        Send("echo st=$?\r"),
        Expect("st=130"),
        Expect(r"tt\$ "),
        Send("exit\r"),
        Expect(r"tt\$ "),
        Send("exit\r"),
        Expect(r"tmux-rc=\d+"),
    ];
    let (native, husk) = both(&["/bin/sh", "-c", &tmux], &[("PS1", "tt$ ")], &steps, CLOCK);
    tmux_cleanup(&sock);
    same_lines(&native, &husk, &["tmux-rc="]);
    both_show(&native, &husk, &["one-42", "st=130", "[exited]"]);
    // The pane's size after the resize: 100 columns, as natively.
    let size = |t: &str| Regex::new(r"(\d+) 100").unwrap().captures(t).map(|c| c[0].to_string());
    assert_eq!(size(&husk), size(&native), "pane size after the resize\n{husk}");
}

/// GNU screen: it turns on packet mode (TIOCPKT) on the master of the
/// pty it gives its window; detach with C-a d, `screen -ls`, reattach with
/// `screen -r`, exit.
#[test]
fn screen_detach_and_reattach() {
    if !have("/usr/bin/screen") {
        return;
    }
    let name = format!("h4{}", std::process::id());
    let script = format!(
        "screen -q -S {name} -c /dev/null; echo screen-rc=$?; \
         screen -ls | grep -c {name}; screen -r {name}; echo r-rc=$?"
    );
    let env = [("SHELL", "/bin/sh"), ("PS1", "sc$ ")];
    let steps = [
        Expect(r"sc\$ "),
        Send("tty; echo a\"\"b\r"),
        Expect("ab"),
        Expect(r"sc\$ "),
        Send("\x01d"),
        Expect("detached"),
        Expect(r"sc\$ "),
        Send("echo back\"\"again; exit\r"),
        Expect(r"r-rc=\d+"),
    ];
    let (native, husk) = both(&["/bin/sh", "-c", &script], &env, &steps, CLOCK);
    let _ = std::process::Command::new("screen").args(["-S", &name, "-X", "quit"]).output();
    same_lines(&native, &husk, &["ab", "screen-rc=", "backagain", "r-rc="]);
    assert!(husk.contains("/dev/pts/"), "screen's window has no pty:\n{husk}");
    assert!(husk.lines().any(|l| l.trim() == "1"), "screen -ls did not list the session:\n{husk}");
}

/// Addresses and pids as gdb prints them.
const GDB: &[(&str, &str)] = &[(r"0x[0-9a-f]+", "0xX"), (r"process \d+", "process N")];

/// `gdb -batch -ex run -ex bt` of a program that dies of SIGSEGV.
#[test]
fn gdb_batch_backtrace() {
    if !have("/usr/bin/gdb") {
        return;
    }
    let target = common::c_program_str("tty_tools_target");
    let cmd = ["/usr/bin/gdb", "-q", "-nx", "-batch", "-ex", "run", "-ex", "bt", &target];
    let (native, husk) = both(&cmd, &[], &[Expect(r"#3 .* main")], GDB);
    assert_eq!(husk, native, "gdb's transcript differs");
    assert!(husk.contains("SIGSEGV") && husk.contains("in depth"), "{husk}");
}

/// gdb interactively: a breakpoint, run, next, finish, print, kill, a
/// second run interrupted with Ctrl-C while the inferior spins, quit.
#[test]
fn gdb_interactive_break_next_print_and_ctrl_c() {
    if !have("/usr/bin/gdb") {
        return;
    }
    let target = common::c_program_str("tty_tools_target");
    let p = r"\(gdb\) ";
    let steps = [
        Expect(p),
        Send("set confirm off\r"),
        Expect(p),
        Send("break depth\r"),
        Expect(p),
        Send("run\r"),
        Expect("Breakpoint 1, "),
        Expect(p),
        Send("continue\r"),
        Expect(p),
        Send("print (int)counter\r"),
        Expect(p),
        Send("delete\r"),
        Expect(p),
        Send("finish\r"),
        Expect(p),
        Send("kill\r"),
        Expect(p),
        Send("run loop\r"),
        Expect("step 2"),
        Settle,
        Send("\x03"),
        Expect("SIGINT"),
        Expect(p),
        Send("info program\r"),
        Expect(p),
        Send("quit\r"),
    ];
    let (native, husk) = both(&["/usr/bin/gdb", "-q", "-nx", &target], &[], &steps, GDB);
    assert_eq!(husk, native, "gdb's transcript differs");
    assert!(husk.contains("$1 = 1") && husk.contains("Program received signal SIGINT"), "{husk}");
}

/// `strace -f` of a program that forks: ptrace of a traced child inside
/// the sandbox, its exit status seen by the parent.
#[test]
fn strace_follows_a_fork() {
    if !have("/usr/bin/strace") {
        return;
    }
    let target = common::c_program_str("tty_tools_target");
    let cmd = ["/usr/bin/strace", "-f", "-qq", "-e", "trace=write,exit_group,wait4", &target, "fork"];
    let rules = [(r"\[pid +\d+\]", "[pid N]"), (r"\b\d{2,}\b", "N"), (r"\) += \d+", ") = N")];
    let (native, husk) = both(&cmd, &[], &[Expect(r"exit_group\(0\)")], &rules);
    // Which of parent and child strace shows first varies natively too.
    both_show(&native, &husk, &["exit_group(3)", "WEXITSTATUS(s) == 3", "child", "parent st=3", "exit_group(0)"]);
}

/// `top -b -n1` prints its summary and a process list; interactive top
/// redraws for a resize and quits with `q`.
#[test]
fn top_batch_and_interactive_quit() {
    if !have("/usr/bin/top") {
        return;
    }
    let mut s = start(true, &["/usr/bin/top", "-b", "-n1"], &[]);
    s.expect("load average");
    s.expect_re(r"PID +USER");
    s.expect_re(r"\d+ root .* top");
    let code = s.wait_exit();
    s.check(code == 0, "top -b -n1 failed");

    let steps = [Expect("load average"), Settle, Resize(30, 100), Expect("load average"), Send("q")];
    let (native, husk) = both(&["/usr/bin/top", "-d", "0.5"], &[], &steps, CLOCK);
    let list = Regex::new(r"PID +USER").unwrap();
    assert!(list.is_match(&native) && list.is_match(&husk), "no process list\n--- husk ---\n{husk}");
}

/// `watch` follows a resize of the terminal (what `stty size` prints
/// inside follows too) and Ctrl-C ends it with status 0.
#[test]
fn watch_follows_a_resize() {
    if !have("/usr/bin/watch") {
        return;
    }
    let steps = [Expect(r"24 80"), Resize(30, 100), Expect(r"30 100"), Send("\x03")];
    let (native, husk) = both(&["/usr/bin/watch", "-n0.2", "stty size; echo tick"], &[], &steps, CLOCK);
    both_show(&native, &husk, &["24 80", "30 100"]);
}

/// `script -q -c` records a session with its own pty inside the sandbox:
/// the inner shell's size follows a resize through two ptys, `exit 4` is
/// script's status (`-e`), and the typescript holds what was typed.
#[test]
fn script_records_a_session() {
    if !have("/usr/bin/script") {
        return;
    }
    let file = format!("/tmp/husk-tt-typescript-{}", std::process::id());
    let cmd = format!(
        "script -qe -c 'PS1=\"ts$ \" /bin/bash --norc --noprofile -i' {file}; echo script-rc=$?; \
         grep -c 'stty size' {file}; head -c 15 {file}; echo; rm -f {file}"
    );
    let steps = [
        Expect(r"ts\$ "),
        Send("stty size; echo a\"\"b\r"),
        Expect("ab"),
        Expect(r"ts\$ "),
        Resize(30, 100),
        Settle,
        Send("stty size\r"),
        Expect("30 100"),
        Expect(r"ts\$ "),
        Send("exit 4\r"),
        Expect(r"script-rc=\d+"),
        Expect("Script started"),
    ];
    let (native, husk) = both(&["/bin/sh", "-c", &cmd], &[], &steps, CLOCK);
    same_lines(&native, &husk, &["24 80", "30 100", "script-rc=", "Script started"]);
}

/// When the terminal goes away (its controlling process gets SIGHUP), the
/// program in the sandbox gets SIGHUP as it would natively, and its
/// handler runs (vim and nano save their buffers there): husk ends with
/// the program's status, not with 129 as if it had died of the signal.
#[test]
fn hangup_reaches_the_program() {
    let cmd = ["/bin/sh", "-c", "trap 'exit 7' HUP; echo rea''dy; while :; do sleep 0.1; done"];
    for in_husk in [false, true] {
        let mut s = start(in_husk, &cmd, &[]);
        s.expect("ready");
        s.signal(libc::SIGHUP);
        let code = s.wait_exit();
        s.check(code == 7, &format!("exit status {code} after SIGHUP, expected the trap's 7"));
    }
}
