//! Looking inside running sandboxes from the console: `inspect`, `strace`,
//! `tree`, `top`, `mounts`, `net`, `ps` columns from the sandbox's kernel.

mod common;
#[path = "common/console.rs"]
mod console;
#[path = "common/pty.rs"]
mod pty;

use console::*;

/// `inspect` of a shell blocked reading its stdin names the syscall, and
/// `ps` shows it as the process's WCHAN.
#[test]
fn inspect_names_the_blocked_syscall() {
    let w = World::new("console-inspect");
    let mut s = w.start(&[]);
    cmd(&mut s, "run --name a -d /bin/sh");
    poll_cmd(&mut s, "inspect a 1", "the shell blocked in read(0, ...)", |o| o.contains("read(0, "));
    // Asked again now that the shell is known to be blocked: the sample
    // above may have taken the process's state a moment before the read.
    let out = cmd(&mut s, "inspect a 1");
    s.check(out.contains("read(0, "), "still blocked in read");
    s.check(out.contains("process 1  state S"), "the process's state");
    s.check(out.contains("fds (3):") && out.contains("rlimits:") && out.contains("maps:"), "every section");
    let ps = cmd(&mut s, "ps a");
    s.check(ps.lines().any(|l| l.contains("/bin/sh") && l.contains(" read ")), "ps shows read as WCHAN");
    let out = cmd(&mut s, "inspect a 4242");
    s.check(out.contains("error: ") && out.contains("4242"), "an unknown pid is a one-line error");
    s.send_line("exit");
    s.expect("still runs (a)");
    s.send_line("y");
    assert_eq!(s.wait_exit(), 0);
}

/// `strace a on` shows the syscalls of a process exec'd afterwards, live
/// on the console; `--file` writes them to a file; `off` stops.
#[test]
fn strace_live_to_console_and_file() {
    let w = World::new("console-strace");
    let file = w.dir.path().join("trace.txt");
    let mut s = w.start(&[]);
    cmd(&mut s, "run --name a -d /bin/sh");
    let out = cmd(&mut s, "strace a on");
    s.check(out.contains("strace on for a (every process), to the console"), "strace on");
    s.send_line("exec a /bin/true");
    s.expect_re(r"\[a\] \[\d+:\d+\] exit_group\(0\) = \?");
    s.expect(CONSOLE);
    let out = cmd(&mut s, "strace a on");
    s.check(out.contains("error: strace is already on for a"), "twice is an error");
    let out = cmd(&mut s, "strace a off");
    s.check(out.contains("strace off for a"), "strace off");
    let out = cmd(&mut s, "strace a off");
    s.check(out.contains("error: strace is not on for a"), "off twice is an error");

    let out = cmd(&mut s, &format!("strace a on --file {}", file.display()));
    s.check(out.contains(&format!("to {}", file.display())), "strace to a file");
    cmd(&mut s, "exec a /bin/echo traced");
    eventually("the trace file has the echo's write", || {
        std::fs::read_to_string(&file).is_ok_and(|t| t.contains("write(1, \"traced\\n\", 7) = 7"))
    });
    let out = cmd(&mut s, "strace a off");
    s.check(out.contains("strace off"), "strace off");
    s.check(!out.contains("write(1"), "the file's lines are not on the console");
    let out = cmd(&mut s, "strace nope on");
    s.check(out.contains("error: container \"nope\" does not exist"), "unknown id");
    let out = cmd(&mut s, "strace a maybe");
    s.check(out.contains("error: strace: \"maybe\": expected on or off"), "bad switch");
    cmd(&mut s, "destroy a");
    s.send_line("exit");
    assert_eq!(s.wait_exit(), 0);
}

/// `tree` marks the foreground process group of a terminal and the
/// stopped ones; `top` is live until q.
#[test]
fn tree_foreground_and_top() {
    let w = World::new("console-tree");
    let mut s = w.start(&[]);
    cmd(&mut s, "run --name a -d /bin/sh");
    s.send_line(&format!("exec -t a {BASH}"));
    s.expect(SHELL);
    s.send_line("sleep 300");
    s.settle();
    s.send("\x1a");
    s.expect_re(r"Stopped\s+sleep 300");
    s.expect(SHELL);
    s.send_line("sleep 200");
    s.settle();
    s.send("\x10\x11");
    s.expect("detached from a pid");
    s.expect(CONSOLE);
    let tree = poll_cmd(&mut s, "tree a", "sleep 200 as the foreground", |t| {
        let lines: Vec<&str> = t.lines().collect();
        lines.windows(2).any(|p| p[0].contains("* foreground") && p[1].contains("sleep 200"))
    });
    let stopped =
        tree.lines().collect::<Vec<_>>().windows(2).any(|p| p[0].contains("stopped") && p[1].contains("sleep 300"));
    s.check(stopped, "the stopped job's group is marked");
    s.check(tree.contains("session 1, no terminal, leader /bin/sh"), "the init's session has no terminal");
    let ps = cmd(&mut s, "ps a");
    s.check(ps.lines().any(|l| l.contains("sleep 200") && l.contains("S+")), "ps marks the foreground group with +");

    s.send_line("top a");
    s.expect("q to leave");
    s.expect("husk top a:");
    s.send("q");
    s.expect(CONSOLE);
    s.send_line("exit");
    s.expect("still runs (a)");
    s.send_line("y");
    assert_eq!(s.wait_exit(), 0);
}

/// `mounts`, `net`, `top -n` and `events` in a script.
#[test]
fn mounts_net_top_events_in_a_script() {
    let w = World::new("console-views");
    let o = w.run(
        &["console", "--strict"],
        "run --name a -d /bin/sh\nmounts a\nnet a\ntop a -n 2 -d 0.1\nevents a --stats\nexec a /bin/true\n",
    );
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.lines().any(|l| l.contains(" / / ")), "the root mount: {o:#?}");
    assert!(o.stdout.lines().any(|l| l.contains(" /proc ") && l.contains("proc")), "{o:#?}");
    assert!(o.stdout.contains("lo: <UP,LOOPBACK,RUNNING>"), "{o:#?}");
    assert_eq!(o.stdout.matches("husk top a: 1 processes").count(), 2, "two screens: {o:#?}");
    assert!(o.stdout.lines().any(|l| l.contains(" stats ") && l.contains("\"pids\":{\"current\":1}")), "{o:#?}");
}
