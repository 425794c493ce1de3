//! The console's command language: a line is split like a shell would
//! (quotes, backslashes), then parsed by clap against the commands below,
//! so every command has `help CMD` and `CMD --help` for free. Parse errors
//! come back as one line.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::cli::NetworkArg;

/// One console line.
#[derive(Parser, Debug)]
#[command(
    name = "husk",
    no_binary_name = true,
    disable_help_subcommand = true,
    disable_version_flag = true,
    subcommand_required = true,
    color = clap::ColorChoice::Never,
    help_template = "{about}\n\n{usage-heading} {usage}\n\n{all-args}"
)]
pub struct Line {
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// The console's commands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Start CMD in a new sandbox; with -t attach this terminal to it.
    ///
    /// The root file system is a host directory (--root, default /) seen
    /// read-only under an in-memory layer, or an OCI bundle (--bundle).
    /// Without -t the container's output is kept for `logs`; without -d the
    /// console waits for it (Ctrl-C stops waiting, not the container).
    Run(RunCmd),
    /// Create a sandbox for CMD without starting it (see `start`).
    Create(SpecOpts),
    /// Start a created container; attach to its terminal unless -d.
    Start(StartCmd),
    /// Run another process in a running container.
    Exec(ExecCmd),
    /// Attach this terminal to a session of a container (detach: Ctrl-P Ctrl-Q).
    Attach(AttachCmd),
    /// List the console's terminal sessions, attached or detached.
    Jobs,
    /// Re-attach session N (default: the most recent running one).
    Fg(FgCmd),
    /// Send a signal to the init, one process, a terminal's foreground group, or all processes.
    ///
    /// `signal ID SIG` signals the container's init, `signal ID PID SIG` one
    /// process, `signal ID --fg PID SIG` the foreground process group of
    /// PID's terminal, `signal ID --all SIG` every process of the container.
    #[command(override_usage = "signal ID [PID | --fg PID | --all] SIG")]
    Signal(SignalCmd),
    /// Signal every process of a container (default SIGKILL).
    Kill(KillCmd),
    /// Freeze every process of a container where it is (inspect it, then resume).
    Pause(IdCmd),
    /// Thaw a paused container.
    Resume(IdCmd),
    /// Wait for a container's init (or one process) to exit and show its status.
    Wait(WaitCmd),
    /// List the processes of a container (or of every running one).
    Ps(PsCmd),
    /// Show a container's sessions and process groups, the foreground group marked.
    Tree(IdCmd),
    /// Show everything about one process: state, syscall, credentials, signals, fds, maps, limits.
    Inspect(InspectCmd),
    /// Show a container's processes live, refreshed (q or Ctrl-C to leave).
    Top(TopCmd),
    /// Trace the syscalls of a container (or one process) live, to the console or a file.
    ///
    /// `strace ID on` traces every process of the container, `strace ID PID
    /// on` one process and its future children; `off` stops. With --file the
    /// lines go to a file instead of the console.
    #[command(override_usage = "strace [--file FILE] ID [PID] on|off")]
    Strace(StraceCmd),
    /// Show a container's mount table.
    Mounts(IdCmd),
    /// Show a container's network: interfaces, routes, sockets.
    Net(IdCmd),
    /// Show what a container started here printed (or the sandbox's own log).
    Logs(LogsCmd),
    /// Show a container's events (exits, resource use) until Ctrl-C or its end.
    Events(EventsCmd),
    /// Record a session as an asciicast v2 file (`record ID FILE`, `record ID off`).
    #[command(override_usage = "record ID [PID] FILE|off")]
    Record(RecordCmd),
    /// Kill a container's processes and remove it (its whole sandbox for a root container).
    Destroy(DestroyCmd),
    /// List the containers of the state directory.
    List,
    /// Show the commands, or the help of one.
    Help(HelpCmd),
    /// Leave the console (sandboxes started here are destroyed unless --keep).
    #[command(visible_alias = "quit")]
    Exit(ExitCmd),
}

/// What to run and where: shared by `run` and `create`.
#[derive(Args, Debug, Clone)]
pub struct SpecOpts {
    /// The container id (default: the first free c1, c2, ...).
    #[arg(long, value_name = "ID")]
    pub name: Option<String>,
    /// Host directory to use as the root file system (default: /).
    #[arg(long, value_name = "DIR", conflicts_with = "bundle")]
    pub root: Option<PathBuf>,
    /// An OCI bundle (a directory with config.json) instead of CMD.
    #[arg(long, value_name = "DIR")]
    pub bundle: Option<PathBuf>,
    /// Give the process a terminal (a pty of the sandbox) kept by the console.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Set an environment variable (repeatable).
    #[arg(short = 'e', long = "env", value_name = "KEY=VAL")]
    pub env: Vec<String>,
    /// Working directory in the container (default: /).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<String>,
    /// Network: none (loopback only), sandbox (the sentry's own stack) or host.
    #[arg(long, value_enum, default_value = "sandbox")]
    pub network: NetworkArg,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, value_name = "CMD")]
    pub cmd: Vec<String>,
}

/// How to attach: shared by the commands that may.
#[derive(Args, Debug, Clone, Default)]
pub struct AttachOpts {
    /// The key sequence that detaches (e.g. ctrl-p,ctrl-q).
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Record the session as an asciicast v2 file.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RunCmd {
    /// Do not wait or attach: leave it running in the background.
    #[arg(short = 'd', long)]
    pub detach: bool,
    #[command(flatten)]
    pub attach: AttachOpts,
    #[command(flatten)]
    pub spec: SpecOpts,
}

#[derive(Args, Debug)]
pub struct StartCmd {
    /// Do not attach to its terminal.
    #[arg(short = 'd', long)]
    pub detach: bool,
    #[command(flatten)]
    pub attach: AttachOpts,
    /// The container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct ExecCmd {
    /// Give the process a terminal (a pty of the sandbox) kept by the console.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Do not wait or attach: leave it running in the background.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Set an environment variable (repeatable).
    #[arg(short = 'e', long = "env", value_name = "KEY=VAL")]
    pub env: Vec<String>,
    /// Working directory in the container.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<String>,
    /// User (and group) to run as: UID or UID:GID.
    #[arg(short = 'u', long, value_name = "UID[:GID]")]
    pub user: Option<String>,
    #[command(flatten)]
    pub attach: AttachOpts,
    /// The container id.
    pub id: String,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, value_name = "CMD")]
    pub cmd: Vec<String>,
}

#[derive(Args, Debug)]
pub struct AttachCmd {
    #[command(flatten)]
    pub attach: AttachOpts,
    /// The container id.
    pub id: String,
    /// The session's process (default: the container's latest session).
    pub pid: Option<i32>,
}

#[derive(Args, Debug)]
pub struct FgCmd {
    #[command(flatten)]
    pub attach: AttachOpts,
    /// The session number, as `jobs` shows it.
    pub num: Option<usize>,
}

#[derive(Args, Debug)]
pub struct SignalCmd {
    /// Signal every process of the container.
    #[arg(long, conflicts_with = "fg")]
    pub all: bool,
    /// Signal the foreground process group of this process's terminal.
    #[arg(long, value_name = "PID")]
    pub fg: Option<i32>,
    /// The container id.
    pub id: String,
    /// [PID] SIG: the process (default: the init) and the signal (name or number).
    #[arg(required = true, num_args = 1..=2, value_name = "[PID] SIG")]
    pub rest: Vec<String>,
}

#[derive(Args, Debug)]
pub struct KillCmd {
    /// The container id.
    pub id: String,
    /// The signal (default SIGKILL).
    #[arg(default_value = "SIGKILL")]
    pub signal: String,
}

#[derive(Args, Debug)]
pub struct WaitCmd {
    /// The container id.
    pub id: String,
    /// The process to wait for (default: the init).
    pub pid: Option<i32>,
}

#[derive(Args, Debug)]
pub struct PsCmd {
    /// The container id (default: every running container).
    pub id: Option<String>,
}

#[derive(Args, Debug)]
pub struct IdCmd {
    /// The container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct InspectCmd {
    /// The container id.
    pub id: String,
    /// The process.
    pub pid: i32,
}

#[derive(Args, Debug)]
pub struct TopCmd {
    /// Seconds between refreshes.
    #[arg(short = 'd', long, default_value = "1", value_name = "SECS")]
    pub delay: f64,
    /// Stop after this many screens (default: until q; 1 when not on a terminal).
    #[arg(short = 'n', long, value_name = "N")]
    pub iterations: Option<u32>,
    /// The container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct StraceCmd {
    /// Write the lines to this file instead of the console.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The container id.
    pub id: String,
    /// [PID] on|off.
    #[arg(required = true, num_args = 1..=2, value_name = "[PID] on|off")]
    pub rest: Vec<String>,
}

#[derive(Args, Debug)]
pub struct LogsCmd {
    /// Show the sandbox's own log instead (husk's messages about it).
    #[arg(long)]
    pub sandbox: bool,
    /// Keep showing new output until Ctrl-C.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// The container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct EventsCmd {
    /// How often to report resource use (e.g. 5s, 500ms).
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub interval: String,
    /// Show resource use once.
    #[arg(long)]
    pub stats: bool,
    /// Stop after this many events.
    #[arg(short = 'n', long, value_name = "N")]
    pub count: Option<usize>,
    /// The container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct RecordCmd {
    /// The container id.
    pub id: String,
    /// [PID] FILE|off: the session's process (default: the latest session) and the file, or `off`.
    #[arg(required = true, num_args = 1..=2, value_name = "[PID] FILE|off")]
    pub rest: Vec<String>,
}

#[derive(Args, Debug)]
pub struct DestroyCmd {
    /// The container ids.
    #[arg(required = true)]
    pub ids: Vec<String>,
}

#[derive(Args, Debug)]
pub struct HelpCmd {
    /// A command.
    pub command: Option<String>,
}

#[derive(Args, Debug)]
pub struct ExitCmd {
    /// Leave the sandboxes started here running.
    #[arg(long)]
    pub keep: bool,
}

/// What a line asks for.
pub enum Parsed {
    /// Nothing (blank or a comment).
    Empty,
    /// A command.
    Cmd(Cmd),
    /// `CMD --help`: the text to show.
    Help(String),
}

/// The names of the commands (with aliases), for completion and `help`.
pub fn command_names() -> Vec<String> {
    let mut names = Vec::new();
    for c in Line::command().get_subcommands() {
        names.push(c.get_name().to_string());
        names.extend(c.get_visible_aliases().map(str::to_string));
    }
    names
}

/// The commands and what each does, in order.
pub fn command_summaries() -> Vec<(String, String)> {
    Line::command()
        .get_subcommands()
        .map(|c| (c.get_name().to_string(), c.get_about().map(|a| a.to_string()).unwrap_or_default()))
        .collect()
}

/// The full help of command `name`.
pub fn command_help(name: &str) -> Result<String> {
    let mut cmd = Line::command();
    let Some(sub) = cmd.find_subcommand_mut(name) else {
        bail!("no command {name:?} (try `help`)");
    };
    Ok(sub.render_long_help().to_string().trim_end().to_string())
}

/// Splits a line into words as a shell would.
pub fn split(line: &str) -> Result<Vec<String>> {
    shell_words::split(line).map_err(|e| anyhow!("cannot parse the line: {e}"))
}

/// Parses one console line.
pub fn parse(line: &str) -> Result<Parsed> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(Parsed::Empty);
    }
    let words = split(trimmed)?;
    let Some(first) = words.first() else { return Ok(Parsed::Empty) };
    if !command_names().iter().any(|n| n == first) {
        bail!("unknown command {first:?} (try `help`)");
    }
    match Line::try_parse_from(&words) {
        Ok(l) => Ok(Parsed::Cmd(l.cmd)),
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp => Ok(Parsed::Help(e.to_string().trim_end().to_string())),
            _ => Err(anyhow!("{}", one_line(first, &e))),
        },
    }
}

/// Clap's first error line, without its `error: ` prefix, plus a pointer
/// to the command's help.
fn one_line(cmd: &str, e: &clap::Error) -> String {
    // The message is its first paragraph (a list of missing arguments
    // may follow on indented lines); usage and tips come after a blank line.
    let text = e.to_string();
    let para: Vec<&str> =
        text.lines().skip_while(|l| l.trim().is_empty()).take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
    let joined = if para.is_empty() { "invalid arguments".to_string() } else { para.join(" ") };
    let msg = joined.strip_prefix("error: ").unwrap_or(&joined);
    format!("{cmd}: {msg} (see `help {cmd}`)")
}

/// Parses docker's detach-key notation: comma-separated `ctrl-X` or single
/// characters (`ctrl-p,ctrl-q`, `ctrl-a,d`).
pub fn parse_detach_keys(s: &str) -> Result<Vec<u8>> {
    let mut seq = Vec::new();
    for part in s.split(',') {
        let p = part.trim();
        let lower = p.to_ascii_lowercase();
        let byte = if let Some(k) = lower.strip_prefix("ctrl-") {
            match k.as_bytes() {
                [c @ b'a'..=b'z'] => c - b'a' + 1,
                [b'@'] => 0,
                [b'['] => 27,
                [b'\\'] => 28,
                [b']'] => 29,
                [b'^'] => 30,
                [b'_'] => 31,
                _ => bail!("detach keys {s:?}: unknown key {p:?} (use ctrl-a..ctrl-z, ctrl-@, ctrl-[, ctrl-\\, ctrl-], ctrl-^, ctrl-_ or one character)"),
            }
        } else if p.len() == 1 && p.is_ascii() {
            p.as_bytes()[0]
        } else {
            bail!("detach keys {s:?}: unknown key {p:?} (use ctrl-X or one character)");
        };
        seq.push(byte);
    }
    if seq.is_empty() {
        bail!("detach keys {s:?}: empty");
    }
    Ok(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(line: &str) -> Cmd {
        match parse(line) {
            Ok(Parsed::Cmd(c)) => c,
            Ok(_) => panic!("{line}: not a command"),
            Err(e) => panic!("{line}: {e}"),
        }
    }

    #[test]
    fn commands_parse() {
        match cmd("run --name a -d /bin/sh -c 'echo hi'") {
            Cmd::Run(r) => {
                assert!(r.detach);
                assert_eq!(r.spec.name.as_deref(), Some("a"));
                assert_eq!(r.spec.cmd, vec!["/bin/sh", "-c", "echo hi"]);
            }
            other => panic!("{other:?}"),
        }
        match cmd("exec -t a /bin/bash -i") {
            Cmd::Exec(e) => {
                assert!(e.tty);
                assert_eq!(e.cmd, vec!["/bin/bash", "-i"]);
            }
            other => panic!("{other:?}"),
        }
        match cmd("signal a --all SIGTERM") {
            Cmd::Signal(s) => {
                assert!(s.all);
                assert_eq!(s.rest, vec!["SIGTERM"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(cmd("quit"), Cmd::Exit(_)));
        assert!(matches!(parse("  # comment"), Ok(Parsed::Empty)));
        assert!(matches!(parse("run --help"), Ok(Parsed::Help(_))));
    }

    #[test]
    fn errors_are_one_line() {
        for bad in ["frobnicate", "run --bogus x", "wait", "signal a", "inspect a notapid", "run 'unclosed"] {
            let e = parse(bad).err().unwrap_or_else(|| panic!("{bad}: parsed")).to_string();
            assert!(!e.contains('\n'), "{bad}: {e}");
        }
    }

    #[test]
    fn help_texts() {
        assert!(command_help("run").unwrap().contains("--bundle"));
        assert!(command_help("nope").is_err());
        assert!(command_names().contains(&"strace".to_string()));
    }

    #[test]
    fn detach_keys() {
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q").unwrap(), vec![16, 17]);
        assert_eq!(parse_detach_keys("ctrl-a,d").unwrap(), vec![1, b'd']);
        assert!(parse_detach_keys("ctrl-1").is_err());
        assert!(parse_detach_keys("").is_err());
    }
}
