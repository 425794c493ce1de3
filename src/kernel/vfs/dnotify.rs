//! dnotify: `fcntl(fd, F_NOTIFY, DN_*)` on a directory makes changes to
//! its entries (and to the directory itself) signal the open file's owner
//! (`signal/sigio.rs`). Each mark is a listener on the directory's inode in
//! the notification registry (`notify.rs`), as in Linux where dnotify is an
//! fsnotify group.
//!
//! A mark belongs to (descriptor table, open file description), Linux's
//! (`current->files`, `filp`): F_NOTIFY again on the same pair ORs the
//! mask in; closing any descriptor of that open file in that table (or
//! F_NOTIFY with no event) ends it, and so does its one signal without
//! DN_MULTISHOT.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};

use super::file::{OpenFile, F_OWNER_PID};
use super::notify::{self, InodeKey, Listener};
use super::notify::{IN_ACCESS, IN_ATTRIB, IN_CREATE, IN_DELETE, IN_IGNORED, IN_ISDIR, IN_MODIFY};
use super::notify::{IN_MOVED_FROM, IN_MOVED_TO};
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::signal::sigio::{send_sigio, POLL_MSG};
use crate::kernel::task::Task;
use crate::kernel::Kernel;

pub const DN_ACCESS: u32 = 0x1;
pub const DN_MODIFY: u32 = 0x2;
pub const DN_CREATE: u32 = 0x4;
pub const DN_DELETE: u32 = 0x8;
pub const DN_RENAME: u32 = 0x10;
pub const DN_ATTRIB: u32 = 0x20;
pub const DN_MULTISHOT: u32 = 0x8000_0000;

/// The registry events a DN_* mask hears (Linux's convert_arg). A rename
/// within the directory (DN_RENAME, Linux's FS_RENAME when both parents are
/// one) is a MOVED_FROM followed by a MOVED_TO with the same cookie, both
/// heard by the same mark.
fn events(dn: u32) -> u32 {
    let mut m = 0;
    let pairs = [
        (DN_ACCESS, IN_ACCESS),
        (DN_MODIFY, IN_MODIFY),
        (DN_ATTRIB, IN_ATTRIB),
        (DN_CREATE, IN_CREATE | IN_MOVED_TO),
        (DN_DELETE, IN_DELETE | IN_MOVED_FROM),
        (DN_RENAME, IN_MOVED_FROM | IN_MOVED_TO),
    ];
    for (d, i) in pairs {
        if dn & d != 0 {
            m |= i;
        }
    }
    m
}

/// (descriptor table, open file description), by address.
type MarkId = (usize, usize);

struct State {
    /// DN_* bits, DN_MULTISHOT included.
    mask: u32,
    /// The descriptor F_NOTIFY was last given (the signal's `si_fd`).
    fd: i32,
    /// The cookie of the last MOVED_FROM heard.
    from: Option<u32>,
    /// Ended (a one-shot fired, or removed): hears nothing more.
    gone: bool,
}

struct Mark {
    id: MarkId,
    key: InodeKey,
    file: Weak<OpenFile>,
    kernel: Weak<Kernel>,
    st: Mutex<State>,
    me: Weak<Mark>,
}

/// Every mark, by id. Lock order: this, then the registry's lock.
static MARKS: LazyLock<Mutex<HashMap<MarkId, Arc<Mark>>>> = LazyLock::new(Mutex::default);
/// How many marks exist: closing a descriptor looks no further while 0.
static COUNT: AtomicUsize = AtomicUsize::new(0);

fn marks() -> std::sync::MutexGuard<'static, HashMap<MarkId, Arc<Mark>>> {
    MARKS.lock().unwrap_or_else(|e| e.into_inner())
}

impl Mark {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn owner(&self) -> usize {
        self.me.as_ptr() as *const () as usize
    }

    /// How many signals event `mask` (registry bits) raises, as Linux's
    /// dnotify_handle_event tests each fsnotify event against the mark.
    fn signals_for(st: &mut State, mask: u32, cookie: u32) -> u32 {
        let dn = st.mask;
        if mask & IN_MOVED_FROM != 0 {
            st.from = Some(cookie);
            return (dn & DN_DELETE != 0) as u32;
        }
        if mask & IN_MOVED_TO != 0 {
            // The same cookie on this directory: a rename within it, which
            // Linux reports as an FS_RENAME event of its own (first, but
            // only the count of signals shows the order).
            let within = st.from.take() == Some(cookie);
            return (within && dn & DN_RENAME != 0) as u32 + (dn & DN_CREATE != 0) as u32;
        }
        (events(dn) & mask != 0) as u32
    }
}

impl Listener for Mark {
    fn deliver(&self, _wd: i32, mask: u32, cookie: u32, _name: &[u8]) {
        let mask = mask & !IN_ISDIR;
        if mask & IN_IGNORED != 0 {
            return;
        }
        let (n, fd, multishot) = {
            let mut st = self.lock();
            if st.gone {
                return;
            }
            let n = Mark::signals_for(&mut st, mask, cookie);
            let multishot = st.mask & DN_MULTISHOT != 0;
            if n > 0 && !multishot {
                st.gone = true;
            }
            (if multishot { n } else { n.min(1) }, st.fd, multishot)
        };
        if n == 0 {
            return;
        }
        if !multishot {
            remove(self.id);
        }
        let (Some(kernel), Some(file)) = (self.kernel.upgrade(), self.file.upgrade()) else { return };
        let owner = file.owner.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for _ in 0..n {
            send_sigio(&kernel, &owner, fd, POLL_MSG);
        }
    }

    fn watch_gone(&self, _wd: i32) {
        // The directory was deleted: nothing more can happen in it.
        self.lock().gone = true;
        remove(self.id);
    }
}

/// Ends mark `id`, if it exists.
fn remove(id: MarkId) {
    let mut all = marks();
    if let Some(m) = all.remove(&id) {
        COUNT.fetch_sub(1, Ordering::Relaxed);
        m.lock().gone = true;
        notify::registry().remove(m.owner(), m.key);
    }
}

/// A descriptor of `file` in descriptor table `table` was closed (Linux's
/// dnotify_flush): the mark of that pair ends.
pub fn flush(table: usize, file: &OpenFile) {
    if COUNT.load(Ordering::Relaxed) > 0 {
        remove((table, file as *const OpenFile as usize));
    }
}

/// `/proc/sys/fs/dir-notify-enable` (one for the sandbox; Linux's is
/// global): 0 makes F_NOTIFY EINVAL; marks already set keep working.
pub static ENABLED: AtomicI32 = AtomicI32::new(1);

/// fcntl(fd, F_NOTIFY, arg).
pub fn fcntl_notify(t: &Task, fd: i32, file: &Arc<OpenFile>, arg: u32) -> SysResult {
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    if ENABLED.load(Ordering::Relaxed) == 0 {
        return Err(Errno::EINVAL);
    }
    let id = (Arc::as_ptr(&t.tg.fds) as usize, Arc::as_ptr(file) as usize);
    if arg & !DN_MULTISHOT == 0 {
        remove(id);
        return Ok(0);
    }
    let st = file.ops.stat()?;
    if !st.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    {
        // The caller's process becomes the owner, unless there is one
        // (Linux's __f_setown without force).
        let mut o = file.owner.lock().unwrap_or_else(|e| e.into_inner());
        if o.pid.is_none() {
            o.kind = F_OWNER_PID;
            o.pid = Some(t.tg.pid.clone());
            let c = t.creds();
            (o.uid, o.euid) = (c.ruid, c.euid);
        }
    }
    let key = (st.dev, st.ino);
    let mut all = marks();
    let mark = all
        .entry(id)
        .or_insert_with(|| {
            COUNT.fetch_add(1, Ordering::Relaxed);
            Arc::new_cyclic(|me| Mark {
                id,
                key,
                file: Arc::downgrade(file),
                kernel: Arc::downgrade(&t.kernel),
                st: Mutex::new(State { mask: 0, fd, from: None, gone: false }),
                me: me.clone(),
            })
        })
        .clone();
    let mask = {
        let mut s = mark.lock();
        s.mask |= arg;
        s.fd = fd;
        s.mask
    };
    let dir = (file.path.first() == Some(&b'/')).then(|| (st.dev, file.path.clone()));
    let listener: Weak<dyn Listener> = mark.me.clone();
    notify::registry().add(listener, mark.owner(), 0, key, dir, events(mask));
    drop(all);
    Ok(0)
}
