//! Sessions: the console's terminals into sandboxes, and `jobs`.
//!
//! A session is a host pty pair made by the console: the slave went to the
//! sandbox as the process's terminal (the sandbox bridges it to a real
//! `/dev/pts/N` of its own, with its own job control); the console keeps
//! the master. One reader thread per session always drains the master:
//! to this terminal while attached, otherwise into a bounded buffer that
//! is shown on the next attach; and to the recording, if any. A waiter
//! thread waits for the session's process to exit and says so.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::output::{write_out, Notifier};
use super::record::Recorder;
use crate::cli::runtime::{self, Ctx};
use crate::loader::state::ExitInfo;

/// Most output kept while a session is detached.
const SCROLLBACK: usize = 256 << 10;

/// How a session's process ended.
#[derive(Clone, Debug)]
pub enum Ended {
    /// It exited (or was killed) with this status.
    Exited(ExitInfo),
    /// Its end is unknown (the sandbox went away, or waiting failed).
    Lost(String),
}

impl Ended {
    /// `exit status 0`, `killed by SIGTERM (status 143)`, or why unknown.
    pub fn describe(&self) -> String {
        match self {
            Ended::Exited(e) => super::describe_exit(e),
            Ended::Lost(why) => format!("ended ({why})"),
        }
    }
}

/// What other threads change.
struct SessState {
    attached: bool,
    /// Output while detached, oldest first.
    unseen: Vec<u8>,
    ended: Option<Ended>,
    /// The master gave EOF/EIO: no slave is open any more.
    reader_done: bool,
    recorder: Option<Recorder>,
    /// `jobs` has shown its end: it can go.
    reported: bool,
}

/// One terminal session.
pub struct Session {
    /// Its number in `jobs`.
    pub num: usize,
    /// The container.
    pub id: String,
    /// The command line, for display.
    pub cmd: String,
    /// Its process in the sandbox; 0 until started (`create -t`).
    pid: AtomicI32,
    master: OwnedFd,
    st: Mutex<SessState>,
    cv: Condvar,
}

impl Session {
    fn new(num: usize, id: &str, cmd: &str, master: OwnedFd) -> Arc<Session> {
        let s = Arc::new(Session {
            num,
            id: id.to_string(),
            cmd: cmd.to_string(),
            pid: AtomicI32::new(0),
            master,
            st: Mutex::new(SessState {
                attached: false,
                unseen: Vec::new(),
                ended: None,
                reader_done: false,
                recorder: None,
                reported: false,
            }),
            cv: Condvar::new(),
        });
        let reader = s.clone();
        let spawned = std::thread::Builder::new().name(format!("session-{num}")).spawn(move || reader.read_loop());
        if spawned.is_err() {
            s.lock().reader_done = true;
        }
        s
    }

    fn lock(&self) -> MutexGuard<'_, SessState> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drains the master until no slave is left.
    fn read_loop(&self) {
        let mut buf = [0u8; 8192];
        loop {
            let n = match nix::unistd::read(self.master.as_raw_fd(), &mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                // EIO: every slave side is closed.
                Err(_) => break,
            };
            let data = &buf[..n];
            let mut st = self.lock();
            if let Some(r) = st.recorder.as_mut() {
                r.output(data);
            }
            if st.attached {
                write_out(data);
            } else {
                st.unseen.extend_from_slice(data);
                if st.unseen.len() > SCROLLBACK {
                    let cut = st.unseen.len() - SCROLLBACK;
                    st.unseen.drain(..cut);
                }
            }
        }
        self.lock().reader_done = true;
        self.cv.notify_all();
    }

    /// Starts waiting for the session's process (`pid`, or the container's
    /// init when `None`) to exit; says so when it does while detached.
    pub fn watch(self: &Arc<Self>, ctx: &Ctx, pid: Option<i32>, notifier: Arc<Notifier>) {
        let (s, ctx) = (self.clone(), ctx.clone());
        let _ = std::thread::Builder::new().name(format!("session-wait-{}", self.num)).spawn(move || {
            let ended = match runtime::wait_exit(&ctx, &s.id, pid) {
                Ok(e) => Ended::Exited(e),
                Err(e) => Ended::Lost(super::output::one_line(&format!("{e:#}"))),
            };
            let mut st = s.lock();
            st.ended = Some(ended.clone());
            let attached = st.attached;
            drop(st);
            s.cv.notify_all();
            if !attached {
                notifier.say(format!("[{}] {}: {}", s.num, s.title(), ended.describe()));
            }
        });
    }

    /// Its process in the sandbox (0: not started).
    pub fn pid(&self) -> i32 {
        self.pid.load(Ordering::Relaxed)
    }

    /// Sets its process once started.
    pub fn set_pid(&self, pid: i32) {
        self.pid.store(pid, Ordering::Relaxed);
    }

    /// `a pid 5 (/bin/bash -i)`.
    pub fn title(&self) -> String {
        format!("{} pid {} ({})", self.id, self.pid(), self.cmd)
    }

    /// The host pty master.
    pub fn master_fd(&self) -> RawFd {
        self.master.as_raw_fd()
    }

    /// How its process ended, once it has.
    pub fn ended(&self) -> Option<Ended> {
        self.lock().ended.clone()
    }

    /// Whether `jobs` has shown its end.
    pub fn reported(&self) -> bool {
        self.lock().reported
    }

    /// Marks its end as shown.
    pub fn set_reported(&self) {
        self.lock().reported = true;
    }

    /// Output goes to this terminal from now on, starting with what came
    /// while detached.
    pub fn attach_output(&self) {
        let mut st = self.lock();
        let unseen = std::mem::take(&mut st.unseen);
        write_out(&unseen);
        st.attached = true;
    }

    /// Output goes to the buffer from now on.
    pub fn detach_output(&self) {
        self.lock().attached = false;
    }

    /// Waits (at most `limit`) until every slave side is closed, so the
    /// last output has been shown.
    pub fn wait_output_end(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let mut st = self.lock();
        while !st.reader_done {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            st = self.cv.wait_timeout(st, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Starts (or with `None` stops) recording; returns the file of a
    /// recording that stopped.
    pub fn set_recorder(&self, r: Option<Recorder>) -> Option<std::path::PathBuf> {
        let mut st = self.lock();
        let old = std::mem::replace(&mut st.recorder, r);
        old.map(|o| o.path().to_path_buf())
    }

    /// The file being recorded to, if any.
    pub fn recording(&self) -> Option<std::path::PathBuf> {
        self.lock().recorder.as_ref().map(|r| r.path().to_path_buf())
    }

    /// Notes a change of the terminal size in the recording.
    pub fn record_resize(&self, cols: u16, rows: u16) {
        if let Some(r) = self.lock().recorder.as_mut() {
            r.resize(cols, rows);
        }
    }
}

/// The console's sessions.
#[derive(Default)]
pub struct Jobs {
    list: Mutex<Vec<Arc<Session>>>,
}

impl Jobs {
    fn lock(&self) -> MutexGuard<'_, Vec<Arc<Session>>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new session of container `id` around `master`, with the lowest
    /// free number.
    pub fn add(&self, id: &str, cmd: &str, master: OwnedFd) -> Arc<Session> {
        let mut list = self.lock();
        let num = (1..).find(|n| !list.iter().any(|s| s.num == *n)).unwrap_or(1);
        let s = Session::new(num, id, cmd, master);
        list.push(s.clone());
        list.sort_by_key(|s| s.num);
        s
    }

    /// Every session, by number.
    pub fn all(&self) -> Vec<Arc<Session>> {
        self.lock().clone()
    }

    /// Session `num`.
    pub fn get(&self, num: usize) -> Option<Arc<Session>> {
        self.lock().iter().find(|s| s.num == num).cloned()
    }

    /// The session of container `id` (and process `pid`) to attach to: a
    /// running one before an ended one, the newest first.
    pub fn find(&self, id: &str, pid: Option<i32>) -> Option<Arc<Session>> {
        let list = self.lock();
        let mut of: Vec<&Arc<Session>> =
            list.iter().filter(|s| s.id == id && pid.is_none_or(|p| s.pid() == p)).collect();
        of.sort_by_key(|s| (s.ended().is_none(), s.num));
        of.last().map(|s| (*s).clone())
    }

    /// The running session with the highest number.
    pub fn latest_running(&self) -> Option<Arc<Session>> {
        self.lock().iter().rev().find(|s| s.ended().is_none()).cloned()
    }

    /// Forgets session `num` (its master closes when its reader ends).
    pub fn remove(&self, num: usize) {
        self.lock().retain(|s| s.num != num);
    }

    /// Forgets every session of container `id`.
    pub fn remove_container(&self, id: &str) {
        self.lock().retain(|s| s.id != id);
    }

    /// Forgets the sessions whose end has been shown.
    pub fn prune_reported(&self) {
        self.lock().retain(|s| !s.reported());
    }
}
