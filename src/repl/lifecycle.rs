//! Sandboxes from the console: `run`, `create`, `start`, `destroy`,
//! `list`, `logs`.
//!
//! `run CMD` writes a bundle for CMD into the console's directory of the
//! container (`<state>/.console/<id>/config.json`: a host directory as
//! the root, `/` by default, as `husk do`), or takes `--bundle DIR`, and
//! creates the sandbox through the runtime's own code path. Where the
//! container's stdio goes is the console's choice:
//! - with a terminal (`-t`): a host pty whose master is a session;
//! - without, detached: stdout and stderr appended to
//!   `<state>/.console/<id>/output.log` (what `logs` shows), stdin a FIFO
//!   there that the sandbox holds open for reading and writing, so a
//!   shell waits for input instead of ending at once;
//! - without, in the foreground: the same FIFO, and output through a pipe
//!   that the console copies both to the terminal and to the log.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use super::output::{write_out, Color};
use super::parse::{DestroyCmd, LogsCmd, RunCmd, SpecOpts, StartCmd};
use super::table::{colored, Align, Table};
use super::{describe_exit, Console};
use crate::cli::runtime::{self, BootStdio};
use crate::cli::CreateArgs;
use crate::loader::hostpty;
use crate::loader::state::{validate_id, Status};

/// The rows and columns of a terminal when this one has no size.
const DEFAULT_SIZE: (u16, u16) = (24, 80);

/// Reaps the `husk boot` processes this console started when they end
/// (they are its children), so none lingers as a zombie.
pub struct Reaper {
    pids: Arc<Mutex<Vec<i32>>>,
}

impl Reaper {
    /// Starts the reaping thread.
    pub fn start() -> Reaper {
        let pids: Arc<Mutex<Vec<i32>>> = Arc::default();
        let p = pids.clone();
        let _ = std::thread::Builder::new().name("reaper".into()).spawn(move || loop {
            std::thread::sleep(Duration::from_millis(500));
            p.lock().unwrap_or_else(|e| e.into_inner()).retain(|&pid| {
                let r = nix::sys::wait::waitpid(
                    nix::unistd::Pid::from_raw(pid),
                    Some(nix::sys::wait::WaitPidFlag::WNOHANG),
                );
                matches!(r, Ok(nix::sys::wait::WaitStatus::StillAlive))
            });
        });
        Reaper { pids }
    }

    /// Reaps `pid` once it ends.
    pub fn add(&self, pid: i32) {
        self.pids.lock().unwrap_or_else(|e| e.into_inner()).push(pid);
    }
}

/// Copies a process's output from a pipe to the log and, while it is in
/// the foreground, to this terminal.
pub struct Tee {
    foreground: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Tee {
    /// Starts copying from `read` (until every writer is gone) into `log`.
    pub fn start(read: OwnedFd, mut log: File) -> Tee {
        let foreground = Arc::new(AtomicBool::new(true));
        let fg = foreground.clone();
        let thread = std::thread::spawn(move || {
            let mut r = File::from(read);
            let mut buf = [0u8; 8192];
            loop {
                match r.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let _ = std::io::Write::write_all(&mut log, &buf[..n]);
                        if fg.load(Ordering::Relaxed) {
                            write_out(&buf[..n]);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        });
        Tee { foreground, thread }
    }

    /// Stops showing output; the log keeps it.
    pub fn background(&self) {
        self.foreground.store(false, Ordering::Relaxed);
    }

    /// Waits (at most `limit`) for the last output, then stops showing it.
    pub fn finish(self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.background();
    }
}

/// The container's captured output.
pub fn output_log(c: &Console, id: &str) -> PathBuf {
    c.ctx.state.console_dir(id).join("output.log")
}

/// Opens the container's output log for appending (making its directory).
pub fn open_log(c: &Console, id: &str) -> Result<File> {
    let path = output_log(c, id);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    OpenOptions::new().create(true).append(true).open(&path).with_context(|| path.display().to_string())
}

/// A pipe for a process's output: (read end, write end).
pub fn output_pipe() -> Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| anyhow!("pipe: {e}"))
}

/// The size to give a new terminal: this one's.
pub fn terminal_size() -> (u16, u16) {
    hostpty::winsize(0).or_else(|| hostpty::winsize(1)).map(|w| (w.rows, w.cols)).unwrap_or(DEFAULT_SIZE)
}

/// A new host pty pair sized like this terminal: (master, slave).
pub fn new_terminal() -> Result<(OwnedFd, OwnedFd)> {
    let (m, s) = hostpty::open_pair().context("opening a terminal")?;
    let (rows, cols) = terminal_size();
    hostpty::set_winsize(m.as_raw_fd(), rows, cols);
    Ok((m, s))
}

/// A sandbox just created (not started).
struct Made {
    id: String,
    /// The session's master, with a terminal.
    master: Option<OwnedFd>,
    /// The output copier of a foreground run without a terminal.
    tee: Option<Tee>,
    /// What runs, for display.
    what: String,
}

/// The bundle for `spec.cmd` in the root `root`.
fn write_bundle(dir: &Path, id: &str, spec: &SpecOpts, tty: bool) -> Result<()> {
    let root = spec.root.clone().unwrap_or_else(|| PathBuf::from("/"));
    let root = std::fs::canonicalize(&root).map_err(|e| anyhow!("--root {}: {e}", root.display()))?;
    if !root.is_dir() {
        bail!("--root {}: not a directory", root.display());
    }
    let term = std::env::var("TERM").ok().filter(|t| !t.is_empty()).unwrap_or_else(|| "xterm".into());
    let mut env = vec![
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
        format!("TERM={term}"),
        "HOME=/root".to_string(),
    ];
    for e in &spec.env {
        let (k, _) = e.split_once('=').ok_or_else(|| anyhow!("--env {e:?}: expected KEY=VAL"))?;
        if k.is_empty() {
            bail!("--env {e:?}: empty variable name");
        }
        env.retain(|x| x.split_once('=').map(|(xk, _)| xk) != Some(k));
        env.push(e.clone());
    }
    let cwd = spec.cwd.clone().unwrap_or_else(|| "/".into());
    let cfg = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": tty,
            "user": { "uid": 0, "gid": 0 },
            "args": spec.cmd,
            "env": env,
            "cwd": cwd,
        },
        "root": { "path": root, "readonly": false },
        "hostname": id.chars().take(64).collect::<String>(),
        "annotations": { "org.husk.console": "1" },
        "linux": {
            "namespaces": [
                { "type": "pid" }, { "type": "network" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }
            ]
        }
    });
    let path = dir.join("config.json");
    std::fs::write(&path, serde_json::to_string_pretty(&cfg)? + "\n").with_context(|| path.display().to_string())
}

/// A FIFO for a container's stdin, opened for reading and writing so the
/// reader never sees its end.
fn input_fifo(dir: &Path) -> Result<OwnedFd> {
    let path = dir.join("input");
    let _ = std::fs::remove_file(&path);
    nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600))
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let f = OpenOptions::new().read(true).write(true).open(&path).with_context(|| path.display().to_string())?;
    Ok(f.into())
}

impl Console {
    /// The first free id of the form c1, c2...
    fn next_id(&self) -> String {
        (1..).map(|n| format!("c{n}")).find(|id| !self.ctx.state.exists(id)).unwrap_or_else(|| "c".into())
    }

    /// Creates the sandbox `spec` asks for.
    fn make_sandbox(&mut self, spec: &SpecOpts, foreground: bool) -> Result<Made> {
        let id = spec.name.clone().unwrap_or_else(|| self.next_id());
        validate_id(&id)?;
        if self.ctx.state.exists(&id) {
            bail!("container {id:?} already exists");
        }
        let dir = self.ctx.state.console_dir(&id);
        // Whatever an earlier container of this id left.
        self.ctx.state.remove_console_files(&id);
        std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
        let made = self.make_in(&id, &dir, spec, foreground);
        if made.is_err() {
            self.ctx.state.remove_console_files(&id);
        }
        made
    }

    fn make_in(&mut self, id: &str, dir: &Path, spec: &SpecOpts, foreground: bool) -> Result<Made> {
        let (bundle, tty, what) = match &spec.bundle {
            Some(b) => {
                if !spec.cmd.is_empty() {
                    bail!("CMD and --bundle: the bundle's config.json says what runs");
                }
                let cfg = crate::loader::oci::load_bundle(b)?;
                if spec.tty && !cfg.process.terminal {
                    bail!("-t: the bundle's process has no terminal (process.terminal is false)");
                }
                (std::path::absolute(b)?, cfg.process.terminal, cfg.process.args.join(" "))
            }
            None => {
                if spec.cmd.is_empty() {
                    bail!("nothing to run: give CMD (or --bundle DIR)");
                }
                write_bundle(dir, id, spec, spec.tty)?;
                (dir.to_path_buf(), spec.tty, spec.cmd.join(" "))
            }
        };
        let (stdio, master, tee) = if tty {
            let (m, s) = new_terminal()?;
            (BootStdio::Terminal(s), Some(m), None)
        } else {
            let input = input_fifo(dir)?;
            let log = open_log(self, id)?;
            if foreground {
                let (r, w) = output_pipe()?;
                let w2 = w.try_clone()?;
                (BootStdio::Files([input, w, w2]), None, Some(Tee::start(r, log)))
            } else {
                let log2 = log.try_clone()?;
                (BootStdio::Files([input, log.into(), log2.into()]), None, None)
            }
        };
        let args = CreateArgs {
            bundle: Some(bundle),
            console_socket: None,
            pid_file: None,
            sandbox: None,
            strace: false,
            network: spec.network,
            no_pivot: false,
            no_new_keyring: false,
            preserve_fds: 0,
            id: id.to_string(),
        };
        let pid = self.started.insert_made_by(id, || runtime::create_with(&self.ctx, &args, stdio))?;
        self.reaper.add(pid);
        Ok(Made { id: id.to_string(), master, tee, what })
    }

    /// Starts created container `id`; returns its init's pid.
    fn start_container(&mut self, id: &str) -> Result<i32> {
        runtime::start(&self.ctx, id)?;
        Ok(runtime::live_state(&self.ctx, id).map(|s| s.init_pid).unwrap_or(0))
    }

    pub(super) fn cmd_run(&mut self, r: RunCmd) -> Result<()> {
        let foreground = !r.detach;
        if foreground && r.spec.tty && !crate::tty::stdin_is_tty() {
            bail!("run -t needs a terminal on stdin (or add -d and attach later)");
        }
        let made = self.make_sandbox(&r.spec, foreground)?;
        let id = made.id.clone();
        // The session first: it records from the process's first byte.
        let sess = made.master.map(|m| self.jobs.add(&id, &made.what, m));
        let started = match &sess {
            Some(s) => self.record_from_start(s, &r.attach),
            None => Ok(()),
        }
        .and_then(|_| self.start_container(&id));
        let pid = match started {
            Ok(p) => p,
            Err(e) => {
                // Nothing runs: leave no sandbox behind.
                let _ = self.destroy(&id);
                return Err(e);
            }
        };
        if let Some(sess) = sess {
            sess.set_pid(pid);
            sess.watch(&self.ctx, None, self.notifier.clone());
            if r.detach {
                println!("[{}] {} started, detached (`fg {}` or `attach {id}`)", sess.num, sess.title(), sess.num);
                return Ok(());
            }
            return self.attach_session(&sess, &r.attach, false);
        }
        if r.detach {
            println!("{id}: started pid {pid} ({}); its output: `logs {id}`", made.what);
            return Ok(());
        }
        match self.wait_exit(&id, None)? {
            Some(e) => {
                if let Some(t) = made.tee {
                    t.finish(Duration::from_secs(2));
                }
                println!("{id}: {}", describe_exit(&e));
            }
            None => {
                if let Some(t) = made.tee {
                    t.background();
                }
                println!("{id}: still running; `wait {id}` or `logs {id}`");
            }
        }
        Ok(())
    }

    pub(super) fn cmd_create(&mut self, s: SpecOpts) -> Result<()> {
        // Its output goes to the log: nothing waits for it here.
        let made = self.make_sandbox(&s, false)?;
        let id = made.id.clone();
        match made.master {
            Some(m) => {
                let sess = self.jobs.add(&id, &made.what, m);
                println!("{id}: created with session [{}]; `start {id}` runs it", sess.num);
            }
            None => println!("{id}: created; `start {id}` runs it"),
        }
        Ok(())
    }

    pub(super) fn cmd_start(&mut self, s: StartCmd) -> Result<()> {
        let st = runtime::read_state(&self.ctx, &s.id)?;
        if st.live_status() != Status::Created {
            bail!("container {:?} is {}, not created", s.id, st.live_status().as_str());
        }
        let sess = self.jobs.find(&s.id, Some(0));
        if sess.is_some() && !s.detach && !crate::tty::stdin_is_tty() {
            bail!("start needs a terminal on stdin to attach (or add -d)");
        }
        if let Some(sess) = &sess {
            self.record_from_start(sess, &s.attach)?;
        }
        let pid = self.start_container(&s.id)?;
        match sess {
            Some(sess) => {
                sess.set_pid(pid);
                sess.watch(&self.ctx, None, self.notifier.clone());
                if s.detach {
                    println!("[{}] {} started, detached", sess.num, sess.title());
                    Ok(())
                } else {
                    self.attach_session(&sess, &s.attach, false)
                }
            }
            None => {
                println!("{}: started pid {pid}", s.id);
                Ok(())
            }
        }
    }

    /// Destroys container `id` and forgets what the console kept of it.
    pub(super) fn destroy(&mut self, id: &str) -> Result<()> {
        self.tracers.stop_container(id);
        let r = runtime::delete(&self.ctx, &crate::cli::DeleteArgs { force: true, id: id.to_string() });
        self.jobs.remove_container(id);
        self.started.remove(id);
        r.map(|_| ())
    }

    pub(super) fn cmd_destroy(&mut self, d: DestroyCmd) -> Result<()> {
        if let [id] = d.ids.as_slice() {
            self.destroy(id)?;
            println!("{id}: destroyed");
            return Ok(());
        }
        let mut failed = Vec::new();
        for id in &d.ids {
            match self.destroy(id) {
                Ok(()) => println!("{id}: destroyed"),
                Err(e) => {
                    eprintln!("{}", self.style.error(&format!("{e:#}")));
                    failed.push(id.clone());
                }
            }
        }
        if !failed.is_empty() {
            bail!("could not destroy {}", failed.join(", "));
        }
        Ok(())
    }

    pub(super) fn cmd_list(&mut self) -> Result<()> {
        let all = runtime::list_states(&self.ctx);
        if all.is_empty() {
            println!("no containers (in {})", self.ctx.state.root().display());
            return Ok(());
        }
        let mut t = Table::new(&[
            ("ID", Align::Left),
            ("STATUS", Align::Left),
            ("SANDBOX", Align::Right),
            ("INIT", Align::Right),
            ("JOBS", Align::Left),
            ("CREATED", Align::Left),
            ("BUNDLE", Align::Left),
        ]);
        let jobs = self.jobs.all();
        for s in &all {
            let status = match s.status {
                Status::Running => colored("running", Color::Green),
                Status::Paused => colored("paused", Color::Cyan),
                Status::Created => colored("created", Color::Yellow),
                Status::Stopped => {
                    let why = s.exit.map(|e| format!(" ({})", e.shell_code())).unwrap_or_default();
                    colored(format!("stopped{why}"), Color::Red)
                }
            };
            let sandbox = if s.status == Status::Stopped { "-".to_string() } else { s.sandbox_pid.to_string() };
            let nums: Vec<String> = jobs.iter().filter(|j| j.id == s.id).map(|j| format!("[{}]", j.num)).collect();
            let created = s.created.get(..19).unwrap_or(&s.created).replace('T', " ");
            let bundle = if s.bundle == self.ctx.state.console_dir(&s.id) {
                format!("{} (console)", s.rootfs.display())
            } else {
                s.bundle.display().to_string()
            };
            t.row(vec![
                s.id.clone().into(),
                status,
                sandbox.into(),
                s.init_pid.to_string().into(),
                nums.join(" ").into(),
                created.into(),
                bundle.into(),
            ]);
        }
        print!("{}", t.render(&self.style));
        Ok(())
    }

    pub(super) fn cmd_logs(&mut self, l: LogsCmd) -> Result<()> {
        let st = runtime::read_state(&self.ctx, &l.id)?;
        let path = if l.sandbox { self.ctx.state.log_file(&st.sandbox_id) } else { output_log(self, &l.id) };
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if l.sandbox {
                    bail!("sandbox {:?} has no log", st.sandbox_id);
                }
                bail!("no output kept for {:?}: only containers this console ran without a terminal have logs (try --sandbox)", l.id);
            }
            Err(e) => return Err(anyhow!("{}: {e}", path.display())),
        };
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)?;
        write_out(&buf);
        if !l.follow {
            return Ok(());
        }
        let mut pos = f.seek(SeekFrom::End(0))?;
        loop {
            std::thread::sleep(Duration::from_millis(100));
            if self.interrupted.swap(false, Ordering::SeqCst) {
                return Ok(());
            }
            let len = f.metadata().map(|m| m.len()).unwrap_or(pos);
            if len > pos {
                f.seek(SeekFrom::Start(pos))?;
                let mut more = Vec::new();
                f.read_to_end(&mut more)?;
                pos += more.len() as u64;
                write_out(&more);
            } else if runtime::read_state(&self.ctx, &l.id).map(|s| s.live_status() == Status::Stopped).unwrap_or(true)
            {
                return Ok(());
            }
        }
    }
}

/// The time of day (UTC), `HH:MM:SS`.
pub fn clock() -> String {
    let now = crate::loader::state::now_rfc3339();
    now.get(11..19).unwrap_or("").to_string()
}
