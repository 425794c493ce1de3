//! Processes and sessions from the console: `exec`, `attach`, `jobs`,
//! `fg`, `record`, `signal`, `kill`, `wait`, `ps`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use super::lifecycle::{new_terminal, open_log, output_pipe, terminal_size, Tee};
use super::output::Color;
use super::parse::{AttachCmd, AttachOpts, ExecCmd, FgCmd, KillCmd, PsCmd, RecordCmd, SignalCmd, WaitCmd};
use super::record::Recorder;
use super::session::Session;
use super::table::{colored, Align, Cell, Table};
use super::{describe_exit, Console};
use crate::cli::runtime::{self, ExecStdio};
use crate::cli::signals::{parse_signal, signal_name};
use crate::cli::ExecArgs;
use crate::loader::proto::{ProcInfo, SignalMode};
use crate::loader::state::Status;

/// `m:ss` of CPU time.
pub fn cpu_time(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

/// The colour of a process state letter.
pub fn state_cell(state: &str) -> Cell {
    match state {
        "R" => colored(state, Color::Green),
        "T" => colored(state, Color::Yellow),
        "Z" => colored(state, Color::Red),
        _ => state.into(),
    }
}

impl Console {
    pub(super) fn cmd_exec(&mut self, e: ExecCmd) -> Result<()> {
        let st = runtime::read_state(&self.ctx, &e.id)?;
        if st.live_status() != Status::Running {
            bail!("container {:?} is {}, not running", e.id, st.live_status().as_str());
        }
        if e.tty && !e.detach && !crate::tty::stdin_is_tty() {
            bail!("exec -t needs a terminal on stdin (or add -d and attach later)");
        }
        let args = ExecArgs {
            cwd: e.cwd.clone(),
            env: e.env.clone(),
            user: e.user.clone(),
            additional_gids: vec![],
            tty: e.tty,
            detach: e.detach,
            pid_file: None,
            sandbox_pid_file: None,
            process: None,
            console_socket: None,
            id: e.id.clone(),
            cmd: e.cmd.clone(),
        };
        let what = e.cmd.join(" ");
        if e.tty {
            let (m, s) = new_terminal()?;
            // The session first: it records from the process's first byte.
            let sess = self.jobs.add(&e.id, &what, m);
            let started = self
                .record_from_start(&sess, &e.attach)
                .and_then(|_| runtime::exec_spawn(&self.ctx, &args, ExecStdio::Terminal(s)));
            let pid = match started {
                Ok(p) => p,
                Err(err) => {
                    sess.set_recorder(None);
                    self.jobs.remove(sess.num);
                    return Err(err);
                }
            };
            sess.set_pid(pid);
            sess.watch(&self.ctx, Some(pid), self.notifier.clone());
            if e.detach {
                println!("[{}] {} started, detached (`fg {}`)", sess.num, sess.title(), sess.num);
                return Ok(());
            }
            return self.attach_session(&sess, &e.attach, false);
        }
        let null = std::fs::File::open("/dev/null").context("/dev/null")?;
        let log = open_log(self, &e.id)?;
        if e.detach {
            let log2 = log.try_clone()?;
            let pid = runtime::exec_spawn(&self.ctx, &args, ExecStdio::Files([null.into(), log.into(), log2.into()]))?;
            println!("{}: started pid {pid} ({what}); its output: `logs {}`", e.id, e.id);
            return Ok(());
        }
        let (r, w) = output_pipe()?;
        let w2 = w.try_clone()?;
        let tee = Tee::start(r, log);
        let pid = runtime::exec_spawn(&self.ctx, &args, ExecStdio::Files([null.into(), w, w2]))?;
        match self.wait_exit(&e.id, Some(pid))? {
            Some(exit) => {
                tee.finish(Duration::from_secs(2));
                if exit.code != Some(0) {
                    println!("{} pid {pid}: {}", e.id, describe_exit(&exit));
                }
            }
            None => {
                tee.background();
                println!("{} pid {pid}: still running; `wait {} {pid}` or `logs {}`", e.id, e.id, e.id);
            }
        }
        Ok(())
    }

    pub(super) fn cmd_attach(&mut self, a: AttachCmd) -> Result<()> {
        runtime::read_state(&self.ctx, &a.id)?;
        let sess = self.jobs.find(&a.id, a.pid).ok_or_else(|| match a.pid {
            Some(p) => anyhow!("no session of {} for pid {p} in this console (see `jobs`)", a.id),
            None => anyhow!(
                "no session of {} in this console: only processes started here with -t have one (see `jobs`)",
                a.id
            ),
        })?;
        self.fg_session(&sess, &a.attach)
    }

    pub(super) fn cmd_fg(&mut self, f: FgCmd) -> Result<()> {
        let sess = match f.num {
            Some(n) => self.jobs.get(n).ok_or_else(|| anyhow!("no session [{n}] (see `jobs`)"))?,
            None => self.jobs.latest_running().ok_or_else(|| anyhow!("no running session (see `jobs`)"))?,
        };
        self.fg_session(&sess, &f.attach)
    }

    fn fg_session(&mut self, sess: &Arc<Session>, a: &AttachOpts) -> Result<()> {
        if sess.pid() == 0 {
            bail!("session [{}] of {} has not started: `start {}`", sess.num, sess.id, sess.id);
        }
        if let Some(f) = &a.record {
            self.start_recording(sess, f)?;
        }
        self.attach_session(sess, a, true)
    }

    /// Starts the recording `--record` asks for, if any.
    pub(super) fn record_from_start(&mut self, sess: &Arc<Session>, a: &AttachOpts) -> Result<()> {
        match &a.record {
            Some(f) => self.start_recording(sess, f),
            None => Ok(()),
        }
    }

    pub(super) fn cmd_jobs(&mut self) -> Result<()> {
        let all = self.jobs.all();
        if all.is_empty() {
            println!("no sessions");
            return Ok(());
        }
        let mut t = Table::new(&[
            ("JOB", Align::Right),
            ("ID", Align::Left),
            ("PID", Align::Right),
            ("STATE", Align::Left),
            ("CMD", Align::Left),
        ]);
        for s in &all {
            let state = match s.ended() {
                Some(e) => {
                    s.set_reported();
                    colored(e.describe(), Color::Red)
                }
                None if s.pid() == 0 => colored("created", Color::Yellow),
                None => match s.recording() {
                    Some(f) => colored(format!("detached, recording to {}", f.display()), Color::Green),
                    None => colored("detached", Color::Green),
                },
            };
            t.row(vec![
                format!("[{}]", s.num).into(),
                s.id.clone().into(),
                s.pid().to_string().into(),
                state,
                s.cmd.clone().into(),
            ]);
        }
        print!("{}", t.render(&self.style));
        self.jobs.prune_reported();
        Ok(())
    }

    /// Starts recording `sess` to `file`.
    pub(super) fn start_recording(&mut self, sess: &Arc<Session>, file: &Path) -> Result<()> {
        let (rows, cols) =
            crate::loader::hostpty::winsize(sess.master_fd()).map(|w| (w.rows, w.cols)).unwrap_or_else(terminal_size);
        let r = Recorder::create(file, cols, rows, &format!("husk: {}", sess.title()))
            .map_err(|e| anyhow!("{}: {e}", file.display()))?;
        if let Some(old) = sess.set_recorder(Some(r)) {
            println!("[{}] stopped recording to {}", sess.num, old.display());
        }
        Ok(())
    }

    pub(super) fn cmd_record(&mut self, r: RecordCmd) -> Result<()> {
        let (pid, target) = match r.rest.as_slice() {
            [t] => (None, t.clone()),
            [p, t] => (Some(p.parse::<i32>().map_err(|_| anyhow!("record: {p:?} is not a pid"))?), t.clone()),
            _ => bail!("record ID [PID] FILE|off"),
        };
        runtime::read_state(&self.ctx, &r.id)?;
        let sess =
            self.jobs.find(&r.id, pid).ok_or_else(|| anyhow!("no session of {} to record (see `jobs`)", r.id))?;
        if target == "off" {
            match sess.set_recorder(None) {
                Some(f) => println!("[{}] stopped recording to {}", sess.num, f.display()),
                None => bail!("session [{}] is not being recorded", sess.num),
            }
            return Ok(());
        }
        self.start_recording(&sess, Path::new(&target))?;
        println!("[{}] recording {} to {target}", sess.num, sess.title());
        Ok(())
    }

    pub(super) fn cmd_signal(&mut self, s: SignalCmd) -> Result<()> {
        let (pid, sig) = match s.rest.as_slice() {
            [sig] => (None, sig),
            [p, sig] => (Some(p.parse::<i32>().map_err(|_| anyhow!("signal: {p:?} is not a pid"))?), sig),
            _ => bail!("signal ID [PID | --fg PID | --all] SIG"),
        };
        let n = parse_signal(sig)?;
        let (target, mode, what) = match (s.all, s.fg, pid) {
            (true, _, Some(_)) => bail!("signal: --all and a PID cannot go together"),
            (_, Some(_), Some(_)) => bail!("signal: --fg takes the PID; give no other"),
            (true, _, None) => (0, SignalMode::All, format!("every process of {}", s.id)),
            (false, Some(p), None) => {
                (p, SignalMode::ForegroundGroup, format!("the foreground group of {} pid {p}", s.id))
            }
            (false, None, Some(p)) => (p, SignalMode::Process, format!("{} pid {p}", s.id)),
            (false, None, None) => (0, SignalMode::Process, format!("the init of {}", s.id)),
        };
        runtime::send_signal(&self.ctx, &s.id, target, n, mode)?;
        println!("sent {} to {what}", signal_name(n));
        Ok(())
    }

    pub(super) fn cmd_kill(&mut self, k: KillCmd) -> Result<()> {
        let n = parse_signal(&k.signal)?;
        runtime::send_signal(&self.ctx, &k.id, 0, n, SignalMode::All)?;
        println!("sent {} to every process of {}", signal_name(n), k.id);
        Ok(())
    }

    pub(super) fn cmd_pause(&mut self, id: &str, paused: bool) -> Result<()> {
        crate::cli::pause::set_paused(&self.ctx, id, paused)?;
        println!("{id}: {}", if paused { "paused (resume to thaw)" } else { "resumed" });
        Ok(())
    }

    pub(super) fn cmd_wait(&mut self, w: WaitCmd) -> Result<()> {
        let who = match w.pid {
            Some(p) => format!("{} pid {p}", w.id),
            None => w.id.clone(),
        };
        match self.wait_exit(&w.id, w.pid)? {
            Some(e) => println!("{who}: {}", describe_exit(&e)),
            None => println!("stopped waiting for {who}"),
        }
        Ok(())
    }

    pub(super) fn cmd_ps(&mut self, p: PsCmd) -> Result<()> {
        let ids: Vec<String> = match &p.id {
            Some(id) => {
                runtime::read_state(&self.ctx, id)?;
                vec![id.clone()]
            }
            None => runtime::list_states(&self.ctx)
                .into_iter()
                .filter(|s| matches!(s.status, Status::Running | Status::Paused))
                .map(|s| s.id)
                .collect(),
        };
        let mut rows: Vec<(String, ProcInfo)> = Vec::new();
        for id in &ids {
            match runtime::ps_rows(&self.ctx, id) {
                Ok(list) => rows.extend(list.into_iter().map(|r| (id.clone(), r))),
                Err(e) if p.id.is_some() => return Err(e),
                Err(e) => eprintln!("{}", self.style.error(&format!("{id}: {e:#}"))),
            }
        }
        if rows.is_empty() {
            match &p.id {
                Some(id) => println!("{id}: no processes"),
                None => println!("no running containers"),
            }
            return Ok(());
        }
        let many = p.id.is_none();
        let mut cols = vec![];
        if many {
            cols.push(("ID", Align::Left));
        }
        cols.extend([
            ("PID", Align::Right),
            ("PPID", Align::Right),
            ("PGID", Align::Right),
            ("SID", Align::Right),
            ("TTY", Align::Left),
            ("STAT", Align::Left),
            ("THR", Align::Right),
            ("TIME", Align::Right),
            ("RSS", Align::Right),
            ("WCHAN", Align::Left),
            ("CMD", Align::Left),
        ]);
        let mut t = Table::new(&cols);
        for (id, r) in &rows {
            let mut cells: Vec<Cell> = vec![];
            if many {
                cells.push(id.clone().into());
            }
            // A process in its terminal's foreground group: `+`, as ps(1).
            let stat = if r.tpgid > 0 && r.tpgid == r.pgid { format!("{}+", r.state) } else { r.state.clone() };
            let mut sc = state_cell(&r.state);
            sc.text = stat;
            cells.extend([
                r.pid.to_string().into(),
                r.ppid.to_string().into(),
                r.pgid.to_string().into(),
                r.sid.to_string().into(),
                r.tty.clone().into(),
                sc,
                r.threads.to_string().into(),
                cpu_time(r.cpu_ms).into(),
                r.rss_kb.to_string().into(),
                if r.wchan.is_empty() { "-".to_string() } else { r.wchan.clone() }.into(),
                r.cmd.clone().into(),
            ]);
            t.row(cells);
        }
        print!("{}", t.render(&self.style));
        Ok(())
    }
}
