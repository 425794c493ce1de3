//! `strace ID [PID] on|off`: live syscall traces. A `Strace` request
//! gets a first reply once tracing is on, then streams one `line` reply
//! per syscall for as long as the connection stays open; the console keeps each connection in a thread of its own
//! that writes the lines to the console (above the prompt, held back while
//! a session is attached) or to a file. `off` hangs up, which turns
//! tracing off in the sandbox.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};

use super::output::{one_line, Notifier};
use super::parse::StraceCmd;
use super::Console;
use crate::cli::runtime;
use crate::loader::client::{self, CALL_TIMEOUT};
use crate::loader::proto::Request;

/// One trace stream.
struct Tracer {
    /// To hang up.
    sock: UnixStream,
    /// The stream ended by itself.
    done: Arc<AtomicBool>,
    dest: String,
}

/// The trace streams of the console, by (container, pid).
#[derive(Default)]
pub struct Tracers {
    map: HashMap<(String, i32), Tracer>,
}

impl Tracers {
    /// Stops every stream.
    pub fn stop_all(&mut self) {
        for (_, t) in self.map.drain() {
            t.done.store(true, Ordering::Relaxed);
            let _ = t.sock.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Stops the streams of container `id`.
    pub fn stop_container(&mut self, id: &str) {
        self.map.retain(|(cid, _), t| {
            if cid == id {
                t.done.store(true, Ordering::Relaxed);
                let _ = t.sock.shutdown(std::net::Shutdown::Both);
            }
            cid != id
        });
    }
}

/// Where trace lines go.
enum Sink {
    Console(Arc<Notifier>, String),
    File(File),
}

impl Sink {
    fn line(&mut self, l: &str) -> bool {
        match self {
            Sink::Console(n, prefix) => {
                n.say(format!("{prefix}{}", l.trim_end()));
                true
            }
            Sink::File(f) => writeln!(f, "{}", l.trim_end()).is_ok(),
        }
    }
}

impl Console {
    pub(super) fn cmd_strace(&mut self, s: StraceCmd) -> Result<()> {
        let (pid, switch) = match s.rest.as_slice() {
            [w] => (0, w.as_str()),
            [p, w] => (p.parse::<i32>().map_err(|_| anyhow!("strace: {p:?} is not a pid"))?, w.as_str()),
            _ => bail!("strace ID [PID] on|off"),
        };
        let who = if pid == 0 { format!("{} (every process)", s.id) } else { format!("{} pid {pid}", s.id) };
        let key = (s.id.clone(), pid);
        match switch {
            "off" => {
                let t = self.tracers.map.remove(&key).ok_or_else(|| anyhow!("strace is not on for {who}"))?;
                let was_done = t.done.swap(true, Ordering::Relaxed);
                let _ = t.sock.shutdown(std::net::Shutdown::Both);
                if was_done {
                    println!("strace of {who} had already ended");
                } else {
                    println!("strace off for {who}");
                }
                Ok(())
            }
            "on" => {
                if let Some(t) = self.tracers.map.get(&key) {
                    if !t.done.load(Ordering::Relaxed) {
                        bail!("strace is already on for {who} (to {})", t.dest);
                    }
                }
                let dest = self.start_trace(&s.id, pid, s.file.clone())?;
                println!("strace on for {who}, to {dest}");
                Ok(())
            }
            other => bail!("strace: {other:?}: expected on or off"),
        }
    }

    /// Opens a trace stream; returns where its lines go.
    fn start_trace(&mut self, id: &str, pid: i32, file: Option<PathBuf>) -> Result<String> {
        let st = runtime::read_state(&self.ctx, id)?;
        let (mut sink, dest) = match &file {
            Some(f) => {
                (Sink::File(File::create(f).map_err(|e| anyhow!("{}: {e}", f.display()))?), f.display().to_string())
            }
            None => {
                let prefix = if pid == 0 { format!("[{id}] ") } else { format!("[{id} {pid}] ") };
                (
                    Sink::Console(self.notifier.clone(), self.style.paint(&prefix, super::output::Color::Dim)),
                    "the console".to_string(),
                )
            }
        };
        let sock = client::connect(&self.ctx.state, &st)?;
        // The first reply says tracing is on (or why not).
        client::call_on(&sock, &Request::Strace { id: id.to_string(), pid }, &[], Some(CALL_TIMEOUT))?;
        sock.set_read_timeout(None)?;
        let reader = sock.try_clone()?;
        let done = Arc::new(AtomicBool::new(false));
        let (d, notifier, who) = (done.clone(), self.notifier.clone(), id.to_string());
        std::thread::Builder::new().name(format!("strace-{id}")).spawn(move || {
            loop {
                match client::next(&reader) {
                    Ok(Some(r)) => {
                        if let Some(l) = r.line {
                            if !sink.line(&l) {
                                break;
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        // Not when we hung up ourselves.
                        if !d.swap(true, Ordering::Relaxed) {
                            notifier.say(format!("strace of {who}: {}", one_line(&e.to_string())));
                        }
                        return;
                    }
                }
            }
            if !d.swap(true, Ordering::Relaxed) {
                notifier.say(format!("strace of {who} ended"));
            }
        })?;
        self.tracers.map.insert((id.to_string(), pid), Tracer { sock, done, dest: dest.clone() });
        Ok(dest)
    }
}
