//! The interactive console: a rustyline editor with history in
//! `$XDG_STATE_HOME/husk/history` (default `~/.local/state/husk/history`)
//! and completion of commands, container ids, pids, signal names, job
//! numbers. Ctrl-C clears the line; Ctrl-D or `exit` leaves, asking first
//! when sandboxes started here still run.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use super::session::Jobs;
use super::{parse, Console, ConsoleArgs, Flow};
use crate::cli::signals;
use crate::loader::client;
use crate::loader::proto::Request;
use crate::loader::state::StateDir;

/// The prompt.
const PROMPT: &str = "husk> ";

/// Where the history is kept.
pub fn history_path() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_STATE_HOME").map(PathBuf::from).filter(|p| p.is_absolute());
    let base = xdg.or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("husk").join("history"))
}

/// What completion needs to know about the world.
pub trait Lookup {
    /// Container ids.
    fn ids(&self) -> Vec<String>;
    /// Pids of container `id`.
    fn pids(&self, id: &str) -> Vec<String>;
    /// Session numbers.
    fn jobs(&self) -> Vec<String>;
}

/// The kinds of word a position takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Command,
    Id,
    Pid,
    Signal,
    Job,
    Switch,
    /// Free text (a command line, a file).
    Other,
}

/// Options that take a value (the next word is theirs).
const VALUE_OPTIONS: &[&str] = &[
    "--name",
    "--root",
    "--bundle",
    "-e",
    "--env",
    "--cwd",
    "--network",
    "--detach-keys",
    "--record",
    "-u",
    "--user",
    "--fg",
    "--file",
    "--interval",
    "--delay",
    "--iterations",
    "--count",
];

/// What the `n`th positional word of `cmd` is; `flags` are the options
/// given so far.
fn positional(cmd: &str, n: usize, flags: &[&str]) -> Kind {
    use Kind::*;
    match (cmd, n) {
        ("help", 0) => Command,
        ("fg", 0) => Job,
        ("destroy", _) => Id,
        (
            "start" | "tree" | "top" | "mounts" | "net" | "logs" | "events" | "ps" | "kill" | "exec" | "attach"
            | "wait" | "inspect" | "signal" | "strace" | "record" | "pause" | "resume",
            0,
        ) => Id,
        ("attach" | "wait" | "inspect" | "record", 1) => Pid,
        ("signal", 1) if flags.iter().any(|f| *f == "--all" || *f == "--fg") => Signal,
        ("signal", 1) => Pid,
        ("signal", 2) | ("kill", 1) => Signal,
        ("strace", 1) => Pid,
        ("strace", 2) => Switch,
        _ => Other,
    }
}

/// The completions of `word`, the words before it being `before`.
pub fn candidates(before: &[&str], word: &str, world: &dyn Lookup) -> Vec<String> {
    let Some((cmd, rest)) = before.split_first() else {
        return filter(parse::command_names(), word);
    };
    let top_like = matches!(*cmd, "top" | "events");
    // The positionals so far, skipping options and their values.
    let mut pos: Vec<&str> = Vec::new();
    let mut flags: Vec<&str> = Vec::new();
    let mut expect_value: Option<&str> = None;
    for w in rest {
        if let Some(opt) = expect_value.take() {
            flags.push(opt);
            continue;
        }
        // After `exec ID` and `run CMD`: the command line, options and all.
        let command_line = match *cmd {
            "exec" => pos.len() >= 2,
            "run" | "create" => !pos.is_empty(),
            _ => false,
        };
        if command_line {
            pos.push(w);
        } else if VALUE_OPTIONS.contains(w) || (top_like && matches!(*w, "-d" | "-n")) {
            expect_value = Some(w);
        } else if w.starts_with('-') && w.len() > 1 {
            flags.push(w);
        } else {
            pos.push(w);
        }
    }
    let kind = match expect_value {
        Some("--fg") => Kind::Pid,
        Some(_) => Kind::Other,
        None if word.starts_with('-') => Kind::Other,
        None => positional(cmd, pos.len(), &flags),
    };
    match kind {
        Kind::Command => filter(parse::command_names(), word),
        Kind::Id => filter(world.ids(), word),
        Kind::Job => filter(world.jobs(), word),
        Kind::Switch => filter(vec!["on".into(), "off".into()], word),
        Kind::Pid => {
            let mut c = pos.first().map(|id| filter(world.pids(id), word)).unwrap_or_default();
            if *cmd == "signal" && !word.is_empty() && !word.starts_with(|ch: char| ch.is_ascii_digit()) {
                c = signal_candidates(word);
            }
            if *cmd == "strace" {
                c.extend(filter(vec!["on".into(), "off".into()], word));
            }
            if *cmd == "record" && "off".starts_with(word) {
                c.push("off".into());
            }
            c
        }
        Kind::Signal => signal_candidates(word),
        Kind::Other => vec![],
    }
}

fn filter(all: Vec<String>, word: &str) -> Vec<String> {
    let mut v: Vec<String> = all.into_iter().filter(|c| c.starts_with(word)).collect();
    v.sort();
    v.dedup();
    v
}

/// Signal names that `word` begins, with or without `SIG`, in its case.
fn signal_candidates(word: &str) -> Vec<String> {
    let up = word.to_ascii_uppercase();
    let lower = word.chars().any(|c| c.is_ascii_lowercase());
    let mut out = Vec::new();
    for full in signals::completion_names() {
        let bare = &full[3..];
        let pick = if full.starts_with(&up) {
            Some(full.clone())
        } else if bare.starts_with(&up) {
            Some(bare.to_string())
        } else {
            None
        };
        if let Some(p) = pick {
            out.push(if lower { p.to_ascii_lowercase() } else { p });
        }
    }
    out.dedup();
    out
}

/// The live world: the state directory and the console's jobs.
struct World {
    state: StateDir,
    jobs: Arc<Jobs>,
}

impl Lookup for World {
    fn ids(&self) -> Vec<String> {
        self.state.list().into_iter().map(|s| s.id).collect()
    }

    fn pids(&self, id: &str) -> Vec<String> {
        let Ok(st) = self.state.read(id) else { return vec![] };
        let req = Request::Ps { id: id.to_string() };
        match client::call(&self.state, &st, &req, &[], Some(Duration::from_secs(2))) {
            Ok(r) => r.processes.unwrap_or_default().iter().map(|p| p.pid.to_string()).collect(),
            Err(_) => vec![],
        }
    }

    fn jobs(&self) -> Vec<String> {
        self.jobs.all().iter().map(|s| s.num.to_string()).collect()
    }
}

/// rustyline's helper: completion and the prompt's colour.
struct ConsoleHelper {
    world: World,
    color: bool,
}

impl Completer for ConsoleHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
        let words: Vec<&str> = before[..start].split_whitespace().collect();
        let found = candidates(&words, &before[start..], &self.world);
        // A completed word gets its space (a common prefix of several does not).
        Ok((start, found.into_iter().map(|c| Pair { replacement: format!("{c} "), display: c }).collect()))
    }
}

impl Hinter for ConsoleHelper {
    type Hint = String;
}

impl Highlighter for ConsoleHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(&'s self, prompt: &'p str, _default: bool) -> Cow<'b, str> {
        if self.color {
            Cow::Owned(format!("\x1b[1;36m{prompt}\x1b[0m"))
        } else {
            Cow::Borrowed(prompt)
        }
    }
}

impl Validator for ConsoleHelper {}
impl Helper for ConsoleHelper {}

/// Runs the console on this terminal; returns the exit code.
pub fn run(c: &mut Console, a: &ConsoleArgs) -> i32 {
    let config = Config::builder()
        .auto_add_history(false)
        .history_ignore_dups(true)
        .unwrap_or_else(|_| Config::builder())
        .max_history_size(2000)
        .unwrap_or_else(|_| Config::builder())
        .completion_type(CompletionType::List)
        .build();
    let mut ed: Editor<ConsoleHelper, FileHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("husk: cannot start the line editor: {e}");
            return 1;
        }
    };
    ed.set_helper(Some(ConsoleHelper {
        world: World { state: c.ctx.state.clone(), jobs: c.jobs.clone() },
        color: c.style.color,
    }));
    let history = history_path();
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = ed.load_history(h);
    }
    if let Ok(p) = ed.create_external_printer() {
        c.notifier.set_printer(Box::new(p));
    }
    println!(
        "husk console: `help` lists the commands, Tab completes, Ctrl-D leaves. State: {}",
        c.ctx.state.root().display()
    );
    loop {
        match ed.readline(PROMPT) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = ed.add_history_entry(line.as_str());
                    if let Some(h) = &history {
                        let _ = ed.append_history(h);
                    }
                }
                match c.execute(&line) {
                    Ok(Flow::Continue) => {}
                    Ok(Flow::Exit { keep }) => {
                        if leave(c, &mut ed, keep || a.keep) {
                            return 0;
                        }
                    }
                    Err(e) => eprintln!("{}", c.style.error(&format!("{e:#}"))),
                }
            }
            // Ctrl-C: the line is dropped, nothing else happens.
            Err(ReadlineError::Interrupted) => {}
            Err(ReadlineError::Eof) => {
                if leave(c, &mut ed, a.keep) {
                    return 0;
                }
            }
            Err(e) => {
                eprintln!("husk: {e}");
                c.finish(a.keep);
                return 1;
            }
        }
    }
}

/// Leaves unless the person changes their mind; true to leave.
fn leave(c: &mut Console, ed: &mut Editor<ConsoleHelper, FileHistory>, keep: bool) -> bool {
    let running = c.still_running();
    if keep || running.is_empty() {
        if keep && !running.is_empty() {
            println!("leaving {} running", running.join(", "));
        }
        c.finish(keep);
        return true;
    }
    let question = format!(
        "{} started here still run{} ({}). Destroy and leave [y], keep them running and leave [k], or stay [N]? ",
        if running.len() == 1 { "1 sandbox" } else { "sandboxes" },
        if running.len() == 1 { "s" } else { "" },
        running.join(", ")
    );
    let answer = match ed.readline(&question) {
        Ok(a) => a.trim().to_ascii_lowercase(),
        // Ctrl-D again: as the person asked, leave (destroying).
        Err(ReadlineError::Eof) => "y".into(),
        Err(_) => String::new(),
    };
    match answer.as_str() {
        "y" | "yes" => {
            c.finish(false);
            true
        }
        "k" | "keep" => {
            println!("leaving {} running", running.join(", "));
            c.finish(true);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake;
    impl Lookup for Fake {
        fn ids(&self) -> Vec<String> {
            vec!["a".into(), "alpha".into(), "b".into()]
        }
        fn pids(&self, id: &str) -> Vec<String> {
            if id == "a" {
                vec!["1".into(), "12".into(), "5".into()]
            } else {
                vec![]
            }
        }
        fn jobs(&self) -> Vec<String> {
            vec!["1".into(), "2".into()]
        }
    }

    fn c(line: &str) -> Vec<String> {
        let start = line.rfind(' ').map(|i| i + 1).unwrap_or(0);
        let words: Vec<&str> = line[..start].split_whitespace().collect();
        candidates(&words, &line[start..], &Fake)
    }

    #[test]
    fn completes_commands_ids_pids_signals() {
        assert_eq!(c("st"), vec!["start", "strace"]);
        assert_eq!(c("attach a"), vec!["a", "alpha"]);
        assert_eq!(c("wait a 1"), vec!["1", "12"]);
        assert_eq!(c("inspect a "), vec!["1", "12", "5"]);
        assert_eq!(c("signal a --all SIGTE"), vec!["SIGTERM"]);
        assert_eq!(c("signal a 12 TE"), vec!["TERM"]);
        assert_eq!(c("signal a sigk"), vec!["sigkill"]);
        assert_eq!(c("kill a SIGK"), vec!["SIGKILL"]);
        assert_eq!(c("signal a --fg "), vec!["1", "12", "5"]);
        assert_eq!(c("fg "), vec!["1", "2"]);
        assert_eq!(c("help ex"), vec!["exec", "exit"]);
        assert_eq!(c("strace a o"), vec!["off", "on"]);
        assert_eq!(c("run --name "), Vec::<String>::new());
        assert_eq!(c("exec a /bin/"), Vec::<String>::new());
        assert_eq!(c("destroy a b"), vec!["b"]);
    }

    #[test]
    fn history_under_xdg_state() {
        let p = history_path();
        assert!(p.is_none_or(|p| p.ends_with("husk/history")));
    }
}
