//! The console driven as a person would, through a real host pty: sandboxes
//! started and signalled, a shell inside attached with its own job control,
//! detached and re-attached, errors that leave the console up.

mod common;
#[path = "common/console.rs"]
mod console;
#[path = "common/pty.rs"]
mod pty;

use console::*;

/// The issue's walk-through: `run -d /bin/sh`, `exec -t` an interactive
/// bash, Ctrl-Z stops a job inside (not the console), Ctrl-P Ctrl-Q
/// detaches, `ps` shows bash and the stopped job, `signal --all`, `wait`.
#[test]
fn run_exec_job_control_detach_signal_wait() {
    let w = World::new("console-walk");
    let mut s = w.start(&[]);
    let out = cmd(&mut s, "run --name a -d /bin/sh");
    s.check(out.contains("a: started pid"), "run -d says it started");

    s.send_line(&format!("exec -t a {BASH}"));
    s.expect("[1] attached to a pid");
    let before = s.expect(SHELL);
    s.check(!before.contains("no job control"), "bash has job control");
    s.send_line("echo ok$((6*7))");
    s.expect("ok42\r\n");
    s.expect(SHELL);
    s.send_line("tty");
    s.expect_re(r"/dev/pts/\d+\r\n");
    s.expect(SHELL);

    // Ctrl-Z stops the foreground job of bash: the sandbox's line
    // discipline makes it SIGTSTP; the console is raw and unaffected.
    s.send_line("sleep 300");
    s.settle();
    s.send("\x1a");
    s.expect_re(r"Stopped\s+sleep 300");
    s.expect(SHELL);

    // Detach: the console's prompt comes back, bash goes on.
    s.send("\x10\x11");
    s.expect("detached from a pid");
    s.expect(CONSOLE);

    let ps = cmd(&mut s, "ps a");
    s.check(ps.contains("/bin/bash --norc --noprofile -i"), "ps lists bash");
    let stopped = ps.lines().any(|l| l.contains("sleep 300") && l.split_whitespace().any(|f| f == "T"));
    s.check(stopped, "ps shows the stopped job in state T");
    let tree = cmd(&mut s, "tree a");
    s.check(tree.contains("stopped") && tree.contains("sleep 300"), "tree marks the stopped group");
    let jobs = cmd(&mut s, "jobs");
    s.check(jobs.contains("[1]") && jobs.contains("detached"), "jobs lists the detached session");

    // Back in: bash still knows its stopped job.
    s.send_line("fg 1");
    s.expect("[1] attached to a pid");
    s.send_line("jobs");
    s.expect_re(r"\[1\]\+\s+Stopped\s+sleep 300");
    s.expect(SHELL);
    s.send("\x10\x11");
    s.expect("detached from a pid");
    s.expect(CONSOLE);

    let sent = cmd(&mut s, "signal a --all SIGTERM");
    s.check(sent.contains("sent SIGTERM to every process of a"), "signal --all confirms");
    s.send_line("wait a");
    s.expect("a: killed by SIGTERM (status 143)");
    s.expect(CONSOLE);
    poll_cmd(&mut s, "list", "a stopped", |l| l.lines().any(|l| l.starts_with("a ") && l.contains("stopped")));
    s.send_line("exit");
    assert_eq!(s.wait_exit(), 0);
    s.check(s.outer_is_cooked(), "the terminal is given back in its normal mode");
    assert!(!w.state.join("a").exists(), "the console destroyed the sandbox it started");
}

/// Bad commands, bad arguments and unknown ids: one error line each, and
/// the console stays up.
#[test]
fn errors_are_one_line_and_the_console_stays_up() {
    let w = World::new("console-errors");
    let mut s = w.start(&[]);
    for (line, want) in [
        ("frobnicate", "error: unknown command \"frobnicate\""),
        ("wait nope", "error: container \"nope\" does not exist"),
        ("inspect nope 1", "error: container \"nope\" does not exist"),
        ("signal nope SIGTERM", "error: container \"nope\" does not exist"),
        ("run --bogus /bin/true", "error: run: unexpected argument '--bogus'"),
        ("signal", "error: signal: the following required arguments were not provided"),
        ("exec -t nope /bin/sh", "error: container \"nope\" does not exist"),
        ("run --name 'bad id' /bin/true", "error: invalid container id \"bad id\""),
        ("fg 7", "error: no session [7]"),
        ("echo 'unclosed", "error: cannot parse the line"),
    ] {
        let out = cmd(&mut s, line);
        s.check(out.contains(want), &format!("`{line}` prints {want:?}"));
        let errors = out.lines().filter(|l| l.contains("error")).count();
        s.check(errors == 1, &format!("`{line}`: one error line"));
    }
    let out = cmd(&mut s, "run --name a -d /bin/sh");
    s.check(out.contains("a: started"), "the console still works");
    let out = cmd(&mut s, "signal a 424242 SIGTERM");
    s.check(out.contains("error: ") && out.contains("424242"), "signal to a missing pid is an error");
    let out = cmd(&mut s, "signal a SIGNOPE");
    s.check(out.contains("error: unknown signal \"SIGNOPE\""), "a bad signal name is an error");
    let out = cmd(&mut s, "run --name a -d /bin/sh");
    s.check(out.contains("error: container \"a\" already exists"), "a duplicate id is an error");
    let out = cmd(&mut s, "destroy a");
    s.check(out.contains("a: destroyed"), "destroy");
    s.send_line("exit");
    assert_eq!(s.wait_exit(), 0);
}

/// A sandbox whose `husk boot` process is SIGKILLed from outside shows as
/// stopped; commands on it fail with one line.
#[test]
fn sandbox_killed_from_outside_shows_stopped() {
    let w = World::new("console-outside-kill");
    let mut s = w.start(&[]);
    cmd(&mut s, "run --name a -d /bin/sh");
    let list = cmd(&mut s, "list");
    s.check(list.lines().any(|l| l.starts_with("a ") && l.contains("running")), "a runs");
    let pid = w.sandbox_pid("a");
    // SAFETY: SIGKILL of the sandbox process this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    eventually("the sandbox process is gone", || !alive(pid));
    let list = cmd(&mut s, "list");
    s.check(list.lines().any(|l| l.starts_with("a ") && l.contains("stopped")), "a shows as stopped");
    let out = cmd(&mut s, "exec a /bin/true");
    s.check(out.contains("error: container \"a\" is stopped, not running"), "exec into it fails");
    let out = cmd(&mut s, "ps a");
    s.check(out.contains("a: no processes"), "it has no processes");
    let out = cmd(&mut s, "destroy a");
    s.check(out.contains("a: destroyed"), "what is left can be destroyed");
    s.send_line("exit");
    assert_eq!(s.wait_exit(), 0);
}

/// Ctrl-C clears the line being typed and never stops the console; lines
/// go to the history file; Tab completes command names and ids.
#[test]
fn ctrl_c_history_and_completion() {
    let w = World::new("console-editor");
    let mut s = w.start(&[]);
    s.send("run --name x -d /bin/sh");
    s.send("\x03");
    s.expect(CONSOLE);
    let out = cmd(&mut s, "list");
    s.check(out.contains("no containers"), "Ctrl-C dropped the line: nothing ran");

    cmd(&mut s, "run --name alpha -d /bin/sh");
    s.send("sig\t");
    s.expect("signal ");
    s.send("al\t");
    s.expect("alpha ");
    s.send("--all SIGTE\t");
    s.expect("SIGTERM");
    s.send("\r");
    s.expect("sent SIGTERM to every process of alpha");
    s.expect(CONSOLE);
    let out = cmd(&mut s, "wait alpha");
    s.check(out.contains("alpha: killed by SIGTERM"), "alpha ended");

    let help = cmd(&mut s, "help");
    s.check(help.contains("strace") && help.contains("Detach from a session"), "help lists the commands");
    let help = cmd(&mut s, "help attach");
    s.check(help.contains("--detach-keys"), "help CMD shows its options");
    s.send_line("exit");
    assert_eq!(s.wait_exit(), 0);
    let hist = std::fs::read_to_string(w.history()).expect("history file");
    assert!(hist.contains("run --name alpha -d /bin/sh"), "{hist}");
    assert!(hist.contains("help attach"), "{hist}");
    assert!(!hist.contains("run --name x"), "an interrupted line is not history: {hist}");
}

/// Ctrl-D with a sandbox still running asks first: `N` stays, `y`
/// destroys and leaves.
#[test]
fn leaving_asks_and_destroys() {
    let w = World::new("console-leave");
    let mut s = w.start(&[]);
    cmd(&mut s, "run --name a -d /bin/sh");
    let pid = w.sandbox_pid("a");
    s.send("\x04");
    s.expect("1 sandbox started here still runs (a)");
    s.send_line("n");
    s.expect(CONSOLE);
    s.check(alive(pid), "answering no keeps everything");
    s.send("\x04");
    s.expect("still runs (a)");
    s.send_line("y");
    assert_eq!(s.wait_exit(), 0);
    eventually("the sandbox is gone", || !alive(pid));
    assert!(!w.state.join("a").exists(), "its state is removed");
}

/// `exit --keep` leaves the sandboxes running.
#[test]
fn exit_keep_leaves_sandboxes_running() {
    let w = World::new("console-keep");
    let mut s = w.start(&[]);
    cmd(&mut s, "run --name a -d /bin/sh");
    let pid = w.sandbox_pid("a");
    s.send_line("exit --keep");
    s.expect("leaving a running");
    assert_eq!(s.wait_exit(), 0);
    assert!(alive(pid), "the sandbox still runs");
    // A second console sees it and can take it down.
    let mut s = w.start(&[]);
    let list = cmd(&mut s, "list");
    s.check(list.lines().any(|l| l.starts_with("a ") && l.contains("running")), "a runs");
    cmd(&mut s, "destroy a");
    s.send_line("exit");
    assert_eq!(s.wait_exit(), 0);
    eventually("the sandbox is gone", || !alive(pid));
}

/// The pty of a session follows the outer terminal's size, and detach
/// keys can be changed.
#[test]
fn window_size_and_detach_keys() {
    let w = World::new("console-winsize");
    let mut s = w.start(&["console", "--detach-keys", "ctrl-a,d"]);
    cmd(&mut s, "run --name a -d /bin/sh");
    s.send_line(&format!("exec -t a {BASH}"));
    s.expect(SHELL);
    s.send_line("stty size");
    s.expect("30 100\r\n");
    s.expect(SHELL);
    s.resize(40, 120);
    let deadline = std::time::Instant::now() + pty::tty_timeout();
    loop {
        s.send_line("stty size");
        let out = s.expect(SHELL);
        if out.contains("40 120\r\n") {
            break;
        }
        s.check(std::time::Instant::now() < deadline, "the size never followed");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Ctrl-P Ctrl-Q is just input now (bash's previous-history, the
    // terminal's XON: Ctrl-U clears the line again); Ctrl-A d detaches.
    s.send("\x10\x11\x15");
    s.send_line("echo still$((1+1))");
    s.expect("still2\r\n");
    s.expect(SHELL);
    s.send("\x01d");
    s.expect("detached from a pid");
    s.expect(CONSOLE);
    // The session ends while detached: the console says so.
    s.send_line("fg");
    s.expect("detaches\r\n");
    s.send_line("exit 7");
    s.expect("exit status 7");
    s.expect(CONSOLE);
    let jobs = cmd(&mut s, "jobs");
    s.check(jobs.contains("no sessions"), "an ended session leaves jobs");
    s.send_line("exit");
    s.expect("still runs (a)");
    s.send_line("y");
    assert_eq!(s.wait_exit(), 0);
}

/// `run -t` attaches at once; `--record` writes an asciicast v2 file.
#[test]
fn run_tty_records_asciicast() {
    let w = World::new("console-record");
    let cast = w.dir.path().join("session.cast");
    let mut s = w.start(&[]);
    s.send_line(&format!(
        "run --name r -t --record {} -e 'PS1=husk-tty$ ' -e HISTFILE=/dev/null /bin/bash --norc --noprofile -i",
        cast.display()
    ));
    s.expect(SHELL);
    s.send_line("echo rec$((20+1))");
    s.expect("rec21\r\n");
    s.expect(SHELL);
    s.send_line("exit 3");
    s.expect("r pid 1 (/bin/bash --norc --noprofile -i): exit status 3");
    s.expect(CONSOLE);
    s.send_line("exit");
    assert_eq!(s.wait_exit(), 0);

    let text = std::fs::read_to_string(&cast).expect("the recording");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line: {l:?}: {e}")))
        .collect();
    let header = &lines[0];
    assert_eq!(header["version"], 2, "{text}");
    assert_eq!(header["width"], 100, "{text}");
    assert_eq!(header["height"], 30, "{text}");
    assert!(header["timestamp"].as_u64().is_some_and(|t| t > 1_600_000_000), "{text}");
    let mut last = 0.0;
    let mut output = String::new();
    for ev in &lines[1..] {
        let a = ev.as_array().unwrap_or_else(|| panic!("an event is an array: {ev}"));
        assert_eq!(a.len(), 3, "{ev}");
        let t = a[0].as_f64().expect("time");
        assert!(t >= last, "times never go back: {text}");
        last = t;
        let kind = a[1].as_str().expect("kind");
        assert!(kind == "o" || kind == "r", "{ev}");
        if kind == "o" {
            output.push_str(a[2].as_str().expect("text"));
        }
    }
    assert!(output.contains("rec21\r\n"), "the output is in the recording: {output:?}");
    assert!(output.contains(SHELL), "{output:?}");
}
