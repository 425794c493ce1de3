//! Looking inside a running sandbox from the console: `tree`, `inspect`,
//! `top`, `mounts`, `net`, `events`. All of them ask the sandbox over its
//! control socket; nothing here reads the sandbox's memory.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use super::output::{write_out, Color, Style};
use super::parse::{EventsCmd, IdCmd, InspectCmd, TopCmd};
use super::procs::{cpu_time, state_cell};
use super::table::{Align, Table};
use super::Console;
use crate::cli::runtime;
use crate::loader::client::{self, CALL_TIMEOUT};
use crate::loader::proto::{ProcInfo, Request, Response};

/// Sessions and process groups of `rows`, the foreground group of each
/// terminal marked.
pub fn render_tree(rows: &[ProcInfo], style: &Style) -> String {
    // sid -> pgid -> processes, in pid order.
    let mut sessions: BTreeMap<i32, BTreeMap<i32, Vec<&ProcInfo>>> = BTreeMap::new();
    for r in rows {
        sessions.entry(r.sid).or_default().entry(r.pgid).or_default().push(r);
    }
    let mut out = String::new();
    for (sid, groups) in &sessions {
        let members: Vec<&&ProcInfo> = groups.values().flatten().collect();
        let tty = members.iter().map(|p| p.tty.as_str()).find(|t| *t != "?");
        let fg = members.iter().map(|p| p.tpgid).find(|t| *t > 0);
        let leader = members.iter().find(|p| p.pid == *sid).map(|p| format!(", leader {}", p.cmd)).unwrap_or_default();
        match tty {
            Some(t) => out.push_str(&format!("session {sid} on {t}{leader}\n")),
            None => out.push_str(&format!("session {sid}, no terminal{leader}\n")),
        }
        for (pgid, procs) in groups {
            let mut marks = Vec::new();
            if fg == Some(*pgid) {
                marks.push(style.paint("* foreground", Color::Green));
            }
            if procs.iter().all(|p| p.state == "T") {
                marks.push(style.paint("stopped", Color::Yellow));
            }
            out.push_str(&format!("  group {pgid}{}{}\n", if marks.is_empty() { "" } else { "  " }, marks.join(", ")));
            let mut procs = procs.clone();
            procs.sort_by_key(|p| p.pid);
            for p in procs {
                let st = state_cell(&p.state);
                let state = match st.color {
                    Some(c) => style.paint(&st.text, c),
                    None => st.text,
                };
                out.push_str(&format!("    {:>5}  {state}  {}\n", p.pid, p.cmd));
            }
        }
    }
    out
}

impl Console {
    /// Sends `req` to container `id`'s sandbox and returns the reply.
    fn ask(&self, id: &str, req: &Request) -> Result<Response> {
        let st = runtime::read_state(&self.ctx, id)?;
        Ok(client::call(&self.ctx.state, &st, req, &[], Some(CALL_TIMEOUT))?)
    }

    pub(super) fn cmd_tree(&mut self, t: IdCmd) -> Result<()> {
        let rows = runtime::ps_rows(&self.ctx, &t.id)?;
        if rows.is_empty() {
            println!("{}: no processes", t.id);
            return Ok(());
        }
        print!("{}", render_tree(&rows, &self.style));
        Ok(())
    }

    pub(super) fn cmd_inspect(&mut self, i: InspectCmd) -> Result<()> {
        let r = self.ask(&i.id, &Request::Inspect { id: i.id.clone(), pid: i.pid })?;
        match r.inspect {
            Some(d) => print!("{}", crate::cli::inspect::render(&d)),
            None => bail!("the sandbox sent no details of pid {}", i.pid),
        }
        Ok(())
    }

    pub(super) fn cmd_mounts(&mut self, m: IdCmd) -> Result<()> {
        let r = self.ask(&m.id, &Request::Mounts { id: m.id.clone() })?;
        print_text(r.text)
    }

    pub(super) fn cmd_net(&mut self, n: IdCmd) -> Result<()> {
        let r = self.ask(&n.id, &Request::Net { id: n.id.clone() })?;
        print_text(r.text)
    }

    pub(super) fn cmd_events(&mut self, e: EventsCmd) -> Result<()> {
        let interval = runtime::parse_duration(&e.interval)?;
        let st = runtime::read_state(&self.ctx, &e.id)?;
        let sock = client::connect(&self.ctx.state, &st)?;
        let req = Request::Events { id: e.id.clone(), interval_ms: interval.as_millis() as u64, stats_only: e.stats };
        let (first, _) = client::call_on(&sock, &req, &[], None)?;
        let hang_up = sock.try_clone()?;
        let (tx, rx) = mpsc::channel();
        let stats = e.stats;
        std::thread::spawn(move || {
            let mut next = Some(Ok(first));
            while let Some(r) = next {
                let end = r.is_err();
                if tx.send(r).is_err() || end || stats {
                    return;
                }
                next = client::next(&sock).transpose();
            }
        });
        let mut shown = 0;
        loop {
            let got = self.wait_interruptibly(&rx, || {
                let _ = hang_up.shutdown(std::net::Shutdown::Both);
            });
            match got {
                None => return Ok(()),
                Some(Err(err)) => return Err(err.into()),
                Some(Ok(resp)) => {
                    if let Some(ev) = resp.event {
                        let kind = match ev.kind.as_str() {
                            "exit" => self.style.paint("exit", Color::Yellow),
                            "destroyed" | "oom" => self.style.paint(&ev.kind, Color::Red),
                            k => k.to_string(),
                        };
                        println!("{} {kind} {}", super::lifecycle::clock(), ev.data);
                        shown += 1;
                    }
                    if e.count.is_some_and(|n| shown >= n) {
                        let _ = hang_up.shutdown(std::net::Shutdown::Both);
                        return Ok(());
                    }
                }
            }
        }
    }

    pub(super) fn cmd_top(&mut self, t: TopCmd) -> Result<()> {
        if !(t.delay > 0.0 && t.delay.is_finite()) {
            bail!("top: --delay must be a positive number of seconds");
        }
        runtime::read_state(&self.ctx, &t.id)?;
        let tty = crate::tty::stdin_is_tty() && nix::unistd::isatty(1).unwrap_or(false);
        let iterations = t.iterations.or(if tty { None } else { Some(1) });
        let delay = Duration::from_secs_f64(t.delay);
        // A screen of its own while live, given back on the way out.
        let raw = (tty && iterations != Some(1)).then(|| {
            write_out(b"\x1b[?1049h\x1b[?25l");
            crate::tty::RawMode::enter()
        });
        let eol = if raw.is_some() { "\r\n" } else { "\n" };
        let mut last: BTreeMap<i32, u64> = BTreeMap::new();
        let mut last_at = Instant::now();
        let mut shown = 0;
        let result = loop {
            let rows = match runtime::ps_rows(&self.ctx, &t.id) {
                Ok(r) => r,
                Err(e) => break Err(e),
            };
            let elapsed = last_at.elapsed().as_millis().max(1) as f64;
            last_at = Instant::now();
            let screen = self.top_screen(&t.id, &rows, &last, elapsed);
            last = rows.iter().map(|r| (r.pid, r.cpu_ms)).collect();
            if raw.is_some() {
                write_out(b"\x1b[H\x1b[2J");
            }
            write_out(screen.replace('\n', eol).as_bytes());
            if raw.is_some() {
                write_out(format!("{eol}q to leave{eol}").as_bytes());
            }
            shown += 1;
            if iterations.is_some_and(|n| shown >= n) || rows.is_empty() {
                break Ok(());
            }
            if self.wait_key_or(delay, raw.is_some()) {
                break Ok(());
            }
        };
        if raw.is_some() {
            drop(raw);
            write_out(b"\x1b[?25h\x1b[?1049l");
        }
        let _ = std::io::stdout().flush();
        result
    }

    /// One screen of `top`.
    fn top_screen(&self, id: &str, rows: &[ProcInfo], last: &BTreeMap<i32, u64>, elapsed_ms: f64) -> String {
        let mut rows: Vec<(f64, &ProcInfo)> = rows
            .iter()
            .map(|r| {
                let before = last.get(&r.pid).copied().unwrap_or(r.cpu_ms);
                (r.cpu_ms.saturating_sub(before) as f64 * 100.0 / elapsed_ms, r)
            })
            .collect();
        rows.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.pid.cmp(&b.1.pid)));
        let running = rows.iter().filter(|(_, r)| r.state == "R").count();
        let rss: u64 = rows.iter().map(|(_, r)| r.rss_kb).sum();
        let mut out = format!(
            "{} {id}: {} processes, {running} running, {} KiB resident  {}\n\n",
            self.style.paint("husk top", Color::Bold),
            rows.len(),
            rss,
            super::lifecycle::clock()
        );
        let mut t = Table::new(&[
            ("PID", Align::Right),
            ("STAT", Align::Left),
            ("%CPU", Align::Right),
            ("TIME", Align::Right),
            ("RSS", Align::Right),
            ("VSZ", Align::Right),
            ("THR", Align::Right),
            ("WCHAN", Align::Left),
            ("CMD", Align::Left),
        ]);
        for (pct, r) in &rows {
            t.row(vec![
                r.pid.to_string().into(),
                state_cell(&r.state),
                format!("{pct:.1}").into(),
                cpu_time(r.cpu_ms).into(),
                r.rss_kb.to_string().into(),
                r.vsz_kb.to_string().into(),
                r.threads.to_string().into(),
                if r.wchan.is_empty() { "-".into() } else { r.wchan.clone().into() },
                r.cmd.clone().into(),
            ]);
        }
        if rows.is_empty() {
            out.push_str("(no processes: the container has stopped)\n");
        } else {
            out.push_str(&t.render(&self.style));
        }
        out
    }

    /// Waits `d`; true if the user asked to leave (q, Esc, Ctrl-C).
    fn wait_key_or(&self, d: Duration, raw: bool) -> bool {
        let deadline = Instant::now() + d;
        loop {
            if self.interrupted.swap(false, Ordering::SeqCst) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            if !raw {
                std::thread::sleep(left.min(Duration::from_millis(100)));
                continue;
            }
            let mut p = libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 };
            // SAFETY: one pollfd of ours.
            if unsafe { libc::poll(&mut p, 1, left.as_millis().min(100) as i32) } > 0 {
                let mut b = [0u8; 64];
                if let Ok(n) = nix::unistd::read(0, &mut b) {
                    if n == 0 || b[..n].iter().any(|c| matches!(c, b'q' | b'Q' | 3 | 27)) {
                        return true;
                    }
                }
            }
        }
    }
}

fn print_text(text: Option<String>) -> Result<()> {
    match text {
        Some(t) => {
            print!("{t}");
            if !t.ends_with('\n') {
                println!();
            }
            Ok(())
        }
        None => bail!("the sandbox sent no text"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: i32, pgid: i32, sid: i32, tpgid: i32, state: &str, tty: &str, cmd: &str) -> ProcInfo {
        ProcInfo {
            uid: 0,
            pid,
            ppid: 1,
            pgid,
            sid,
            state: state.into(),
            threads: 1,
            tty: tty.into(),
            cmd: cmd.into(),
            tpgid,
            cpu_ms: 0,
            rss_kb: 0,
            vsz_kb: 0,
            wchan: String::new(),
        }
    }

    #[test]
    fn tree_marks_foreground_and_stopped() {
        let rows = vec![
            p(1, 1, 1, -1, "S", "?", "/bin/sh"),
            p(5, 5, 5, 9, "S", "pts/0", "bash -i"),
            p(7, 7, 5, 9, "T", "pts/0", "sleep 100"),
            p(9, 9, 5, 9, "R", "pts/0", "top"),
        ];
        let text = render_tree(&rows, &Style { color: false });
        assert_eq!(
            text,
            "session 1, no terminal, leader /bin/sh\n  group 1\n        1  S  /bin/sh\n\
             session 5 on pts/0, leader bash -i\n  group 5\n        5  S  bash -i\n  group 7  stopped\n        7  T  sleep 100\n  group 9  * foreground\n        9  R  top\n"
        );
    }
}
