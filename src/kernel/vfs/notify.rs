//! File-system change notification (Linux's fsnotify, as inotify sees it):
//! the VFS and the file syscalls report what happened to which inode, and
//! the watches registered here pass it on to their listeners (inotify
//! instances, `event/inotify.rs`; dnotify marks, `dnotify.rs`).
//!
//! A watch is on an inode, named by (device, inode number); every file
//! system here reports its mount's device, so the pair names one inode in
//! the whole sentry. Events about a name in a directory also go to the
//! directory's watches, found by the directory's canonical path (an open
//! file only knows its path): watches on a directory remember its path, and
//! a rename of the directory moves it. Nothing is done while no watch exists
//! (`active`), so the hooks cost one atomic load.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};

use super::path::{file_name, is_within, parent_of};
use super::stat::Stat;

pub const IN_ACCESS: u32 = 0x1;
pub const IN_MODIFY: u32 = 0x2;
pub const IN_ATTRIB: u32 = 0x4;
pub const IN_CLOSE_WRITE: u32 = 0x8;
pub const IN_CLOSE_NOWRITE: u32 = 0x10;
pub const IN_OPEN: u32 = 0x20;
pub const IN_MOVED_FROM: u32 = 0x40;
pub const IN_MOVED_TO: u32 = 0x80;
pub const IN_CREATE: u32 = 0x100;
pub const IN_DELETE: u32 = 0x200;
pub const IN_DELETE_SELF: u32 = 0x400;
pub const IN_MOVE_SELF: u32 = 0x800;
pub const IN_Q_OVERFLOW: u32 = 0x4000;
pub const IN_IGNORED: u32 = 0x8000;
pub const IN_ISDIR: u32 = 0x4000_0000;
pub const IN_ONESHOT: u32 = 0x8000_0000;
/// Every event a watch can ask for.
pub const IN_ALL_EVENTS: u32 = 0xfff;
/// Events about a name in a directory: only the directory hears them.
const PARENT_ONLY: u32 = IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE;
/// Events about the watched inode itself: never passed to its directory.
const SELF_ONLY: u32 = IN_DELETE_SELF | IN_MOVE_SELF;

/// An inode: (device, inode number) as `stat` reports them.
pub type InodeKey = (u64, u64);

/// Who receives a watch's events (an inotify instance, a dnotify mark).
pub trait Listener: Send + Sync {
    /// One event for watch `wd` (`name` empty when it is about the watched
    /// inode itself).
    fn deliver(&self, wd: i32, mask: u32, cookie: u32, name: &[u8]);
    /// Watch `wd` is gone (IN_ONESHOT fired, or its inode was deleted): the
    /// listener forgets it, after IN_IGNORED.
    fn watch_gone(&self, wd: i32);
}

struct Watch {
    listener: Weak<dyn Listener>,
    /// The listener's identity (its address), to find its watches.
    owner: usize,
    wd: i32,
    mask: u32,
}

#[derive(Default)]
struct Inner {
    by_inode: HashMap<InodeKey, Vec<Watch>>,
    /// Watched directories by (device, canonical path).
    dirs: HashMap<(u64, Vec<u8>), InodeKey>,
}

/// All watches of the sentry.
#[derive(Default)]
pub struct Registry {
    watches: AtomicUsize,
    inner: Mutex<Inner>,
}

/// The sentry's registry.
pub fn registry() -> &'static Registry {
    static R: LazyLock<Registry> = LazyLock::new(Registry::default);
    &R
}

/// Whether any watch exists (the hooks' fast path).
pub fn active() -> bool {
    registry().watches.load(Ordering::Relaxed) > 0
}

/// A fresh cookie tying an IN_MOVED_FROM to its IN_MOVED_TO.
pub fn next_cookie() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// What an event is about: the object at canonical `path` on device `dev`
/// (an empty path: no name, only the inode's watches hear it), inode `key`
/// (unknown for a name that is gone or not made yet).
#[derive(Clone, Copy)]
pub struct Subject<'a> {
    pub dev: u64,
    pub path: &'a [u8],
    pub key: Option<InodeKey>,
    pub is_dir: bool,
}

impl<'a> Subject<'a> {
    /// The inode `st` describes, known by canonical `path` (empty: by no name).
    pub fn inode(st: &Stat, path: &'a [u8]) -> Subject<'a> {
        Subject { dev: st.dev, path, key: Some((st.dev, st.ino)), is_dir: st.is_dir() }
    }

    /// A name made or removed at canonical `path` on device `dev`.
    pub fn name(dev: u64, path: &'a [u8], is_dir: bool) -> Subject<'a> {
        Subject { dev, path, key: None, is_dir }
    }
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds (or replaces) `owner`'s watch `wd` on `key` with `mask`; a
    /// directory also gets its path, for events about its names.
    pub fn add(
        &self,
        listener: Weak<dyn Listener>,
        owner: usize,
        wd: i32,
        key: InodeKey,
        dir: Option<(u64, Vec<u8>)>,
        mask: u32,
    ) {
        let mut inner = self.lock();
        let list = inner.by_inode.entry(key).or_default();
        match list.iter_mut().find(|w| w.owner == owner) {
            Some(w) => w.mask = mask,
            None => {
                list.push(Watch { listener, owner, wd, mask });
                self.watches.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Some(d) = dir {
            inner.dirs.insert(d, key);
        }
    }

    /// The mask of `owner`'s watch on `key`.
    pub fn mask_of(&self, owner: usize, key: InodeKey) -> Option<u32> {
        self.lock().by_inode.get(&key)?.iter().find(|w| w.owner == owner).map(|w| w.mask)
    }

    /// Removes `owner`'s watch on `key`, if any.
    pub fn remove(&self, owner: usize, key: InodeKey) {
        let mut inner = self.lock();
        self.remove_locked(&mut inner, owner, key);
    }

    fn remove_locked(&self, inner: &mut Inner, owner: usize, key: InodeKey) {
        let Some(list) = inner.by_inode.get_mut(&key) else { return };
        let before = list.len();
        list.retain(|w| w.owner != owner);
        self.watches.fetch_sub(before - list.len(), Ordering::Relaxed);
        if list.is_empty() {
            inner.by_inode.remove(&key);
            inner.dirs.retain(|_, k| *k != key);
        }
    }

    /// A directory moved from `old` to `new` (canonical paths on `dev`):
    /// watched directories at or below it follow.
    pub fn moved(&self, dev: u64, old: &[u8], new: &[u8]) {
        let mut inner = self.lock();
        let moving: Vec<(u64, Vec<u8>)> =
            inner.dirs.keys().filter(|(d, p)| *d == dev && is_within(p, old)).cloned().collect();
        for k in moving {
            if let Some(key) = inner.dirs.remove(&k) {
                let mut p = new.to_vec();
                p.extend_from_slice(&k.1[old.len()..]);
                inner.dirs.insert((dev, p), key);
            }
        }
    }

    /// Reports event `mask` about `s` to the watches of its inode and of its
    /// directory, as Linux's fsnotify does.
    pub fn event(&self, s: Subject, mask: u32, cookie: u32) {
        // inotify marks directories, except in the events about the watched
        // inode going away or moving.
        let flags = if s.is_dir && mask & SELF_ONLY == 0 { IN_ISDIR } else { 0 };
        let mut out: Vec<(Arc<dyn Listener>, i32, bool)> = Vec::new();
        let mut gone: Vec<(Arc<dyn Listener>, i32)> = Vec::new();
        let mut inner = self.lock();
        let mut pick = |inner: &mut Inner, key: InodeKey, named: bool| {
            let Some(list) = inner.by_inode.get_mut(&key) else { return };
            let mut fired = Vec::new();
            for w in list.iter() {
                if w.mask & mask == 0 {
                    continue;
                }
                if let Some(l) = w.listener.upgrade() {
                    out.push((l.clone(), w.wd, named));
                    if w.mask & IN_ONESHOT != 0 {
                        gone.push((l, w.wd));
                        fired.push(w.owner);
                    }
                }
            }
            for owner in fired {
                self.remove_locked(inner, owner, key);
            }
        };
        if mask & PARENT_ONLY == 0 {
            if let Some(key) = s.key {
                pick(&mut inner, key, false);
            }
        }
        // An empty path: only the inode hears it (no name changed).
        if mask & SELF_ONLY == 0 && !s.path.is_empty() && s.path != b"/" {
            let dir = (s.dev, parent_of(s.path).to_vec());
            if let Some(&key) = inner.dirs.get(&dir) {
                pick(&mut inner, key, true);
            }
        }
        // The inode is gone: its watches end.
        if mask & IN_DELETE_SELF != 0 {
            if let Some(list) = s.key.and_then(|k| inner.by_inode.remove(&k)) {
                self.watches.fetch_sub(list.len(), Ordering::Relaxed);
                inner.dirs.retain(|_, k| Some(*k) != s.key);
                gone.extend(list.iter().filter_map(|w| w.listener.upgrade().map(|l| (l, w.wd))));
            }
        }
        drop(inner);
        let name = file_name(s.path);
        for (l, wd, named) in out {
            l.deliver(wd, mask | flags, cookie, if named { name } else { b"" });
        }
        for (l, wd) in gone {
            l.deliver(wd, IN_IGNORED, 0, b"");
            l.watch_gone(wd);
        }
    }
}

/// Reports `mask` about `s`, if anyone watches.
pub fn event(s: Subject, mask: u32) {
    if active() {
        registry().event(s, mask, 0);
    }
}

/// Reports `mask` about the file `f` was opened as: its inode from `stat`,
/// its directory from the path it was opened by.
pub fn file_event(f: &super::file::OpenFile, mask: u32) {
    if !active() || f.path.first() != Some(&b'/') {
        return;
    }
    let Ok(st) = f.ops.stat() else { return };
    registry().event(Subject::inode(&st, &f.path), mask, 0);
}
