//! O_ASYNC signal-driven I/O (Linux's fasync): an open file with O_ASYNC
//! signals its owner (`sigio.rs`) when something happens to it. Turning
//! O_ASYNC on (F_SETFL, FIOASYNC) makes the file's `Fasync` registration,
//! which remembers the descriptor given (the signal's `si_fd`, Linux's
//! `fa_fd`), and hands it to the file's kind (`FileOps::fasync`):
//!
//! - kinds that signal at Linux's own points (pipes: each write signals
//!   the readers, each read the writers) keep it in a `FasyncList` and
//!   call `kill` there, as Linux's kill_fasync;
//! - the others (sockets, terminals, inotify) have `watch` follow their
//!   poll queue: at each notification the file's readiness and backlog are
//!   compared with the last ones, and what appeared is signalled: input
//!   (POLL_IN, also when more arrived while readable), room (POLL_OUT),
//!   hang-up (POLL_HUP), error (POLL_ERR), priority data (POLL_PRI).

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::sigio::send_sigio;
use crate::kernel::errno::Errno;
use crate::kernel::task::Task;
use crate::kernel::vfs::file::{OpenFile, F_OWNER_PGRP, F_OWNER_PID};
use crate::kernel::wait::{WaitQueue, Wakeable};
use crate::kernel::Kernel;

/// `si_code` POLL_IN: input available.
pub const POLL_IN: i32 = 1;
/// `si_code` POLL_OUT: output buffers available.
pub const POLL_OUT: i32 = 2;
/// `si_code` POLL_ERR: I/O error.
pub const POLL_ERR: i32 = 4;
/// `si_code` POLL_PRI: high priority input available.
pub const POLL_PRI: i32 = 5;
/// `si_code` POLL_HUP: device disconnected.
pub const POLL_HUP: i32 = 6;

/// One open file's O_ASYNC registration (Linux's fasync_struct).
pub struct Fasync {
    /// The descriptor O_ASYNC was last turned on through.
    fd: AtomicI32,
    file: Weak<OpenFile>,
    kernel: Weak<Kernel>,
    /// The poll-queue watcher, for kinds followed by `watch`.
    watcher: Mutex<Option<Arc<Watcher>>>,
}

impl Fasync {
    /// Signals the file's owner for `reason` (POLL_*).
    pub fn signal(&self, reason: i32) {
        let (Some(kernel), Some(file)) = (self.kernel.upgrade(), self.file.upgrade()) else { return };
        let owner = file.owner.lock().unwrap_or_else(|e| e.into_inner()).clone();
        send_sigio(&kernel, &owner, self.fd.load(Ordering::Relaxed), reason);
    }
}

/// The registrations an object signals (Linux's fasync list).
#[derive(Default)]
pub struct FasyncList {
    entries: Mutex<Vec<Weak<Fasync>>>,
    /// How many entries there are: `kill` looks no further while 0.
    len: AtomicUsize,
}

impl FasyncList {
    /// Adds (`on`) or removes `entry`.
    pub fn set(&self, entry: &Arc<Fasync>, on: bool) {
        let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let me = Arc::downgrade(entry);
        e.retain(|x| !x.ptr_eq(&me) && x.strong_count() > 0);
        if on {
            e.push(me);
        }
        self.len.store(e.len(), Ordering::Relaxed);
    }

    /// Signals every registered file's owner for `reason` (kill_fasync).
    pub fn kill(&self, reason: i32) {
        if self.len.load(Ordering::Relaxed) == 0 {
            return;
        }
        let live: Vec<Arc<Fasync>> = {
            let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            e.retain(|x| x.strong_count() > 0);
            self.len.store(e.len(), Ordering::Relaxed);
            e.iter().filter_map(Weak::upgrade).collect()
        };
        for f in live {
            f.signal(reason);
        }
    }
}

/// Follows a file's poll queue for `watch`: the readiness bits and the
/// backlog seen at the last notification.
struct Watcher {
    entry: Weak<Fasync>,
    last: Mutex<(i16, usize)>,
}

/// The readiness bits a watcher looks at (POLLERR and POLLHUP come anyway).
const WATCHED: i16 = libc::POLLIN | libc::POLLOUT | libc::POLLPRI | libc::POLLRDHUP;

fn state(f: &OpenFile) -> (i16, usize) {
    (f.ops.poll_ready(WATCHED), f.ops.fasync_backlog())
}

impl Wakeable for Watcher {
    fn wake(&self) {
        let Some(entry) = self.entry.upgrade() else { return };
        let Some(file) = entry.file.upgrade() else { return };
        let (rose, more) = {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            let now = state(&file);
            let seen = std::mem::replace(&mut *last, now);
            (now.0 & !seen.0, now.1 > seen.1)
        };
        let acc = file.flags() as i32 & libc::O_ACCMODE;
        let (readable, writable) = (acc != libc::O_WRONLY, acc != libc::O_RDONLY);
        if rose & libc::POLLERR != 0 {
            entry.signal(POLL_ERR);
        }
        let hup = rose & libc::POLLHUP != 0;
        if hup {
            entry.signal(POLL_HUP);
        }
        if readable && (more || (!hup && rose & (libc::POLLIN | libc::POLLRDHUP) != 0)) {
            entry.signal(POLL_IN);
        }
        if readable && rose & libc::POLLPRI != 0 {
            entry.signal(POLL_PRI);
        }
        if writable && rose & libc::POLLOUT != 0 {
            entry.signal(POLL_OUT);
        }
    }
}

/// `FileOps::fasync` for kinds whose events `queue` announces: watches it
/// while O_ASYNC is on. Returns true (the kind supports O_ASYNC).
pub fn watch(entry: &Arc<Fasync>, queue: &WaitQueue, on: bool) -> bool {
    let mut slot = entry.watcher.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(old) = slot.take() {
        let w: Weak<dyn Wakeable> = Arc::downgrade(&old) as Weak<dyn Wakeable>;
        queue.unsubscribe(&w);
    }
    if on {
        let start = entry.file.upgrade().map(|f| state(&f)).unwrap_or_default();
        let w = Arc::new(Watcher { entry: Arc::downgrade(entry), last: Mutex::new(start) });
        let weak: Weak<dyn Wakeable> = Arc::downgrade(&w) as Weak<dyn Wakeable>;
        queue.subscribe(weak);
        *slot = Some(w);
    }
    true
}

/// Turns O_ASYNC on or off for `file` through descriptor `fd` (Linux's
/// f_op->fasync from setfl and FIOASYNC). False when the file's kind has
/// no signal-driven I/O.
pub fn set(t: &Task, fd: i32, file: &Arc<OpenFile>, on: bool) -> bool {
    let entry = file.fasync.get_or_init(|| {
        Arc::new(Fasync {
            fd: AtomicI32::new(fd),
            file: Arc::downgrade(file),
            kernel: Arc::downgrade(&t.kernel),
            watcher: Mutex::new(None),
        })
    });
    if on {
        entry.fd.store(fd, Ordering::Relaxed);
    }
    let supported = file.ops.fasync(entry, on);
    if supported {
        file.set_async(on);
    }
    supported
}

/// For terminals: O_ASYNC turned on makes the owner, if there is none,
/// the terminal's foreground process group `fg` or else the caller's
/// process (Linux's __tty_fasync, with __f_setown not forced).
pub fn default_owner(entry: &Fasync, fg: Option<Arc<crate::kernel::ns::Pid>>) {
    let (Some(file), Some(t)) = (entry.file.upgrade(), crate::kernel::wait::current()) else { return };
    let mut o = file.owner.lock().unwrap_or_else(|e| e.into_inner());
    if o.pid.is_some() {
        return;
    }
    let c = t.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
    (o.kind, o.pid) = match fg {
        Some(p) => (F_OWNER_PGRP, Some(p)),
        None => (F_OWNER_PID, Some(t.tg.pid.clone())),
    };
    (o.uid, o.euid) = (c.ruid, c.euid);
}

/// ioctl(fd, FIOASYNC, on): as F_SETFL's O_ASYNC, but ENOTTY for kinds
/// without signal-driven I/O (ioctl_fioasync).
pub fn fioasync(t: &Task, fd: i32, file: &Arc<OpenFile>, on: bool) -> Result<(), Errno> {
    let changes = (file.flags() & libc::O_ASYNC as u32 != 0) != on;
    if changes && !set(t, fd, file, on) {
        return Err(Errno::ENOTTY);
    }
    Ok(())
}
