//! The console: `husk` with no command, or `husk console`. A person
//! launches sandboxes, attaches this terminal to programs inside them
//! (with the sandbox's own job control), detaches, signals, waits, and
//! looks inside the running kernel.
//!
//! The console is a client: each sandbox is its own `husk boot` process
//! with a control socket in the state directory, so a crash of one
//! sandbox never takes the console down and `husk exec` from another
//! terminal works alongside. What the console adds is kept here: its
//! terminal sessions (`session.rs`, `attach.rs`), the sandboxes it started
//! (destroyed when it leaves unless asked to keep them), strace streams
//! (`strace.rs`), and for containers it started, their output (`logs`).
//!
//! Files: `parse.rs` (the command language), `editor.rs` (the line editor,
//! completion, history), `script.rs` (non-interactive mode), one file per
//! command family (`lifecycle.rs`, `procs.rs`, `introspect.rs`), `table.rs`
//! and `output.rs` (how it prints), `record.rs` (asciicast files).

mod attach;
mod editor;
mod hangup;
mod introspect;
mod lifecycle;
mod output;
mod parse;
mod procs;
mod record;
mod script;
mod session;
mod strace;
mod table;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use clap::Args;

use crate::cli::runtime::Ctx;
use crate::cli::signals::signal_name;
use crate::loader::state::ExitInfo;
use output::{Notifier, Style};
use parse::{Cmd, Parsed};
use session::{Jobs, Session};

/// `husk console`.
#[derive(Args, Debug)]
pub struct ConsoleArgs {
    /// Run the commands in FILE (one per line, `#` comments) instead of
    /// reading them from the terminal. Without a terminal on stdin, the
    /// commands are read from stdin.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// In a script, stop at the first error and exit with status 1.
    #[arg(long)]
    pub strict: bool,
    /// Print each script command before running it (for demos).
    #[arg(long)]
    pub echo: bool,
    /// When leaving, keep the sandboxes started here running instead of
    /// destroying them (and do not ask).
    #[arg(long)]
    pub keep: bool,
    /// The key sequence that detaches from a session.
    #[arg(long, value_name = "KEYS", default_value = attach::DEFAULT_DETACH_KEYS)]
    pub detach_keys: String,
}

impl ConsoleArgs {
    /// The options of `husk` with no command.
    pub fn default_args() -> ConsoleArgs {
        ConsoleArgs {
            script: None,
            strict: false,
            echo: false,
            keep: false,
            detach_keys: attach::DEFAULT_DETACH_KEYS.to_string(),
        }
    }
}

/// Whether to go on after a command.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// `exit`: leave, keeping the sandboxes started here or not.
    Exit {
        keep: bool,
    },
}

/// The console's state.
pub struct Console {
    ctx: Ctx,
    style: Style,
    notifier: Arc<Notifier>,
    jobs: Arc<Jobs>,
    tracers: strace::Tracers,
    /// Sandboxes this console started.
    started: hangup::Started,
    detach_keys: Vec<u8>,
    /// Set by SIGINT (Ctrl-C while a command runs): stops waiting.
    interrupted: Arc<AtomicBool>,
    reaper: lifecycle::Reaper,
}

/// Runs the console; returns the exit code.
pub fn run(ctx: Ctx, a: &ConsoleArgs) -> i32 {
    let detach_keys = match parse::parse_detach_keys(&a.detach_keys) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("husk: {e}");
            return 2;
        }
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    // Ctrl-C while a command runs stops that command, never the console
    // (and never a sandbox: they have sessions of their own).
    if let Err(e) = signal_hook::flag::register(libc::SIGINT, interrupted.clone()) {
        eprintln!("husk: cannot catch SIGINT: {e}");
        return 1;
    }
    let started = hangup::Started::default();
    if let Err(e) = hangup::watch(ctx.clone(), started.clone(), a.keep) {
        eprintln!("husk: cannot catch SIGHUP, SIGTERM and SIGQUIT: {e}");
        return 1;
    }
    let mut c = Console {
        ctx,
        style: Style::detect(),
        notifier: Arc::new(Notifier::new()),
        jobs: Arc::new(Jobs::default()),
        tracers: strace::Tracers::default(),
        started,
        detach_keys,
        interrupted,
        reaper: lifecycle::Reaper::start(),
    };
    let script = a.script.clone().or_else(|| (!crate::tty::stdin_is_tty()).then(|| PathBuf::from("-")));
    match script {
        Some(path) => script::run(&mut c, &path, a),
        None => editor::run(&mut c, a),
    }
}

impl Console {
    /// Runs one line.
    pub fn execute(&mut self, line: &str) -> Result<Flow> {
        self.interrupted.store(false, Ordering::SeqCst);
        match parse::parse(line)? {
            Parsed::Empty => Ok(Flow::Continue),
            Parsed::Help(text) => {
                println!("{text}");
                Ok(Flow::Continue)
            }
            Parsed::Cmd(c) => self.dispatch(c),
        }
    }

    fn dispatch(&mut self, c: Cmd) -> Result<Flow> {
        match c {
            Cmd::Run(r) => self.cmd_run(r)?,
            Cmd::Create(s) => self.cmd_create(s)?,
            Cmd::Start(s) => self.cmd_start(s)?,
            Cmd::Exec(e) => self.cmd_exec(e)?,
            Cmd::Attach(a) => self.cmd_attach(a)?,
            Cmd::Jobs => self.cmd_jobs()?,
            Cmd::Fg(f) => self.cmd_fg(f)?,
            Cmd::Signal(s) => self.cmd_signal(s)?,
            Cmd::Kill(k) => self.cmd_kill(k)?,
            Cmd::Pause(c) => self.cmd_pause(&c.id, true)?,
            Cmd::Resume(c) => self.cmd_pause(&c.id, false)?,
            Cmd::Wait(w) => self.cmd_wait(w)?,
            Cmd::Ps(p) => self.cmd_ps(p)?,
            Cmd::Tree(t) => self.cmd_tree(t)?,
            Cmd::Inspect(i) => self.cmd_inspect(i)?,
            Cmd::Top(t) => self.cmd_top(t)?,
            Cmd::Strace(s) => self.cmd_strace(s)?,
            Cmd::Mounts(m) => self.cmd_mounts(m)?,
            Cmd::Net(n) => self.cmd_net(n)?,
            Cmd::Logs(l) => self.cmd_logs(l)?,
            Cmd::Events(e) => self.cmd_events(e)?,
            Cmd::Record(r) => self.cmd_record(r)?,
            Cmd::Destroy(d) => self.cmd_destroy(d)?,
            Cmd::List => self.cmd_list()?,
            Cmd::Help(h) => self.cmd_help(h)?,
            Cmd::Exit(e) => return Ok(Flow::Exit { keep: e.keep }),
        }
        Ok(Flow::Continue)
    }

    fn cmd_help(&mut self, h: parse::HelpCmd) -> Result<()> {
        match h.command {
            Some(name) => println!("{}", parse::command_help(&name)?),
            None => {
                let mut t = table::Table::new(&[("COMMAND", table::Align::Left), ("WHAT IT DOES", table::Align::Left)]);
                for (name, about) in parse::command_summaries() {
                    t.row(vec![name.into(), about.into()]);
                }
                print!("{}", t.render(&self.style));
                println!("`help CMD` or `CMD --help` for one command. Detach from a session: Ctrl-P Ctrl-Q.");
            }
        }
        Ok(())
    }

    /// The sandboxes this console started that still run.
    pub fn still_running(&self) -> Vec<String> {
        self.started
            .ids()
            .into_iter()
            .filter(|id| {
                crate::cli::runtime::read_state(&self.ctx, id)
                    .is_ok_and(|s| s.live_status() != crate::loader::state::Status::Stopped)
            })
            .collect()
    }

    /// Leaves: stops strace streams; destroys the sandboxes started here
    /// unless `keep`.
    pub fn finish(&mut self, keep: bool) {
        self.tracers.stop_all();
        if keep {
            return;
        }
        for id in self.started.ids() {
            if self.ctx.state.exists(&id) {
                if let Err(e) = self.destroy(&id) {
                    eprintln!("{}", self.style.error(&format!("destroying {id}: {e:#}")));
                }
            }
        }
    }

    /// Waits for a reply on `rx` until it comes or Ctrl-C; `None` if
    /// interrupted (then `on_interrupt` has been called).
    fn wait_interruptibly<T>(&self, rx: &mpsc::Receiver<T>, on_interrupt: impl FnOnce()) -> Option<T> {
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(v) => return Some(v),
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if self.interrupted.swap(false, Ordering::SeqCst) {
                on_interrupt();
                return None;
            }
        }
    }

    /// Waits for container `id`'s init (or `pid`) to exit; `None` if
    /// Ctrl-C came first.
    fn wait_exit(&self, id: &str, pid: Option<i32>) -> Result<Option<ExitInfo>> {
        let st = crate::cli::runtime::read_state(&self.ctx, id)?;
        let sock = match crate::loader::client::connect(&self.ctx.state, &st) {
            Ok(s) => s,
            // Already gone: its checkpoint says how it ended.
            Err(_) => return crate::cli::runtime::wait_exit(&self.ctx, id, pid).map(Some),
        };
        let hang_up = sock.try_clone().map_err(|e| anyhow!("control socket: {e}"))?;
        let (tx, rx) = mpsc::channel();
        let (ctx, id2) = (self.ctx.clone(), id.to_string());
        std::thread::spawn(move || {
            let _ = tx.send(crate::cli::runtime::wait_exit_on(&ctx, &sock, &id2, pid));
        });
        match self.wait_interruptibly(&rx, || {
            let _ = hang_up.shutdown(std::net::Shutdown::Both);
        }) {
            Some(r) => r.map(Some),
            None => Ok(None),
        }
    }

    /// The detach keys: `--detach-keys` of the command, or the console's.
    fn keys_for(&self, opt: &Option<String>) -> Result<Vec<u8>> {
        match opt {
            Some(k) => parse::parse_detach_keys(k),
            None => Ok(self.detach_keys.clone()),
        }
    }

    /// Attaches to `sess` and says how that ended (`a.record` is the
    /// caller's: a recording must start before the process does).
    fn attach_session(&mut self, sess: &Arc<Session>, a: &parse::AttachOpts, redraw: bool) -> Result<()> {
        if !crate::tty::stdin_is_tty() {
            bail!(
                "attaching needs a terminal on stdin (session {} is running: `fg {}` from a terminal)",
                sess.num,
                sess.num
            );
        }
        let keys = self.keys_for(&a.detach_keys)?;
        self.notifier.set_attached(true);
        let end = attach::attach(sess, &keys, redraw);
        let msg = match end {
            attach::AttachEnd::Detached => {
                format!("[{}] detached from {}; `fg {}` to return", sess.num, sess.title(), sess.num)
            }
            attach::AttachEnd::InputClosed => format!("[{}] input ended; detached from {}", sess.num, sess.title()),
            attach::AttachEnd::Ended(e) => {
                self.jobs.remove(sess.num);
                format!("[{}] {}: {}", sess.num, sess.title(), e.describe())
            }
        };
        // The program may have left the cursor anywhere.
        println!("\r\n{msg}");
        self.notifier.set_attached(false);
        Ok(())
    }
}

/// `exit status 0`, `killed by SIGTERM (status 143)`.
pub fn describe_exit(e: &ExitInfo) -> String {
    match (e.code, e.signal) {
        (_, Some(s)) => format!("killed by {} (status {})", signal_name(s), e.shell_code()),
        (Some(c), None) => format!("exit status {c}"),
        (None, None) => "ended, status unknown".into(),
    }
}
