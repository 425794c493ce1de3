//! The console without a terminal: `husk console --script FILE`, or
//! commands on stdin, with and without `--strict`.

mod common;
#[path = "common/console.rs"]
mod console;
#[path = "common/pty.rs"]
mod pty;

use console::*;

/// A script runs sandboxes, execs into them, shows their output, lists
/// them, and the sandboxes it started are gone at its end.
#[test]
fn script_runs_sandboxes_and_cleans_up() {
    let w = World::new("console-script");
    let script = w.script(
        "# a demo\n\
         run --name a -d /bin/sh\n\
         exec a /bin/echo hello from exec\n\
         exec -d a /bin/sh -c 'echo to the log'\n\
         run --name b /bin/sh -c 'echo out; echo err >&2; exit 4'\n\
         exec a /bin/sh -c 'exit 3'\n\
         list\n\
         ps a\n\
         logs b\n",
    );
    let o = w.run(&["console", "--script", &script], "");
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("a: started pid 1"), "{o:#?}");
    assert!(o.stdout.contains("hello from exec\n"), "{o:#?}");
    assert!(o.stdout.contains("out\nerr\nb: exit status 4\n"), "foreground output, then the status: {o:#?}");
    assert!(o.stdout.contains("a pid ") && o.stdout.contains(": exit status 3"), "{o:#?}");
    let list: Vec<&str> = o.stdout.lines().skip_while(|l| !l.starts_with("ID ")).take(3).collect();
    assert!(list[1].starts_with("a ") && list[1].contains("running"), "{list:?}");
    assert!(list[2].starts_with("b ") && list[2].contains("stopped (4)"), "{list:?}");
    assert!(o.stdout.lines().any(|l| l.contains("/bin/sh") && l.trim_start().starts_with("1 ")), "ps: {o:#?}");
    // `logs b` again shows b's output (it went to the log too).
    assert_eq!(o.stdout.matches("out\nerr\n").count(), 2, "{o:#?}");
    assert!(o.stderr.is_empty(), "{o:#?}");
    assert!(!w.state.join("a").exists() && !w.state.join("b").exists(), "the script's sandboxes are destroyed");
}

/// Errors print one line naming the script line; the script goes on
/// without --strict and stops with status 1 with it.
#[test]
fn strict_stops_at_the_first_error() {
    let w = World::new("console-strict");
    let script = w.script("list\nfrobnicate\nwait nope\nhelp wait\n");
    let o = w.run(&["console", "--script", &script], "");
    assert_eq!(o.code, 0, "{o:#?}");
    let errors: Vec<&str> = o.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{o:#?}");
    assert!(errors[0].starts_with("error: ") && errors[0].contains(":2: unknown command \"frobnicate\""), "{o:#?}");
    assert!(errors[1].contains(":3: container \"nope\" does not exist"), "{o:#?}");
    assert!(o.stdout.contains("Wait for a container's init"), "the script went on: {o:#?}");

    let o = w.run(&["console", "--strict", "--script", &script], "");
    assert_eq!(o.code, 1, "{o:#?}");
    assert_eq!(o.stderr.lines().count(), 1, "{o:#?}");
    assert!(o.stderr.contains(":2: unknown command"), "{o:#?}");
    assert!(!o.stdout.contains("Wait for a container's init"), "nothing after the error ran: {o:#?}");
}

/// Without a terminal on stdin, `husk` reads its commands from stdin.
#[test]
fn commands_on_stdin() {
    let w = World::new("console-stdin");
    let o = w.run(&[], "run --name s -d /bin/sh\nexec s /bin/echo via stdin\nwait nope\n");
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("via stdin"), "{o:#?}");
    assert!(o.stderr.contains("stdin:3: container \"nope\" does not exist"), "{o:#?}");
    let o = w.run(&["console", "--strict", "--echo"], "list\nwait nope\nlist\n");
    assert_eq!(o.code, 1, "{o:#?}");
    assert_eq!(o.stdout.matches("husk> list").count(), 1, "--echo shows the commands run: {o:#?}");
}

/// `exit --keep` (or `--keep`) leaves the script's sandboxes running.
#[test]
fn keep_leaves_sandboxes() {
    let w = World::new("console-script-keep");
    let o = w.run(&["console", "--keep"], "run --name k -d /bin/sh\n");
    assert_eq!(o.code, 0, "{o:#?}");
    let pid = w.sandbox_pid("k");
    assert!(alive(pid), "k still runs");
    let o = w.run(&["console"], "list\ndestroy k\n");
    assert!(o.stdout.contains("k: destroyed"), "{o:#?}");
    eventually("k's sandbox is gone", || !alive(pid));
}

/// `husk --help` and `husk console --help` say what the console is.
#[test]
fn help_mentions_the_console() {
    let w = World::new("console-help");
    let o = w.run(&["--help"], "");
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("console") && o.stdout.contains("With no command"), "{o:#?}");
    let o = w.run(&["console", "--help"], "");
    assert!(
        o.stdout.contains("--script") && o.stdout.contains("--strict") && o.stdout.contains("--detach-keys"),
        "{o:#?}"
    );
    let o = w.run(&["console", "--detach-keys", "ctrl-1"], "");
    assert_eq!(o.code, 2, "{o:#?}");
    assert_eq!(o.stderr.lines().count(), 1, "{o:#?}");
}

/// `pause` freezes a container where it is (list says paused, exec is
/// refused), `resume` thaws it.
#[test]
fn pause_and_resume_a_container() {
    let w = World::new("console-pause");
    let script = w.script(
        "run --name a -d /bin/sh -c 'sleep 1000'\n\
         pause a\n\
         list\n\
         exec a /bin/echo refused\n\
         resume a\n\
         exec a /bin/echo thawed\n\
         resume a\n",
    );
    let o = w.run(&["console", "--script", &script], "");
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("a: paused (resume to thaw)\n"), "{o:#?}");
    let list: Vec<&str> = o.stdout.lines().skip_while(|l| !l.starts_with("ID ")).take(2).collect();
    assert!(list[1].starts_with("a ") && list[1].contains("paused"), "{list:?}");
    assert!(!o.stdout.contains("refused"), "{o:#?}");
    assert!(o.stdout.contains("a: resumed\nthawed\n"), "{o:#?}");
    // The failing lines: exec into the paused container, the second resume.
    let errors: Vec<&str> = o.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{o:#?}");
    assert!(errors[0].contains(":4: ") && errors[0].ends_with("is paused, not running"), "{errors:?}");
    assert!(errors[1].contains(":7: ") && errors[1].ends_with("is running, not paused"), "{errors:?}");
}
