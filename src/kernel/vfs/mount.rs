//! The mount table of a sandbox (its mount namespace): which file system
//! shows at which canonical sandbox path. Resolution enters a mount when a
//! path component is a mount point and leaves it by `..` at its root.
//!
//! The table is copied on change and read as an `Arc` snapshot, so a path
//! lookup takes no lock after its start.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::fs::{Filesystem, Node};
use super::path::{is_within, parent_of};
use super::stat::{dev_major, dev_minor, makedev};
use crate::kernel::errno::Errno;

/// Mount flags (`mount(2)`'s MS_*), as far as the sandbox keeps them.
pub mod flags {
    pub const RDONLY: u64 = libc::MS_RDONLY;
    pub const NOSUID: u64 = libc::MS_NOSUID;
    pub const NODEV: u64 = libc::MS_NODEV;
    pub const NOEXEC: u64 = libc::MS_NOEXEC;
    pub const NOATIME: u64 = libc::MS_NOATIME;
    pub const NODIRATIME: u64 = libc::MS_NODIRATIME;
    pub const RELATIME: u64 = libc::MS_RELATIME;
    /// The per-mount flags `MS_REMOUNT | MS_BIND` may change.
    pub const PER_MOUNT: u64 = RDONLY | NOSUID | NODEV | NOEXEC | NOATIME | NODIRATIME | RELATIME;
}

/// Allocates an anonymous device number (major 0), as Linux does for
/// file systems without a device.
pub fn alloc_dev() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0x2e);
    makedev(0, NEXT.fetch_add(1, Ordering::Relaxed) as u32)
}

/// One mount.
pub struct Mount {
    /// The mount id (`/proc/self/mountinfo`).
    pub id: u32,
    /// The id of the mount it sits on (its own for the root).
    pub parent: u32,
    /// The canonical sandbox path of the mount point.
    pub point: Vec<u8>,
    /// The file system.
    pub fs: Arc<dyn Filesystem>,
    /// The fs path shown at the mount point (`/` unless a bind of a subtree).
    pub root: Vec<u8>,
    /// MS_* flags of this mount.
    pub flags: u64,
    /// The source text (`/proc/mounts`' first field).
    pub source: String,
    /// File-system options shown after the mount flags (`mode=755`).
    pub data: String,
    /// The device number of the file system.
    pub dev: u64,
}

impl Mount {
    /// True for a read-only mount.
    pub fn readonly(&self) -> bool {
        self.flags & flags::RDONLY != 0
    }

    /// A node of this mount was read: its access time is updated unless the
    /// mount is read-only, `noatime`, or `nodiratime` for a directory.
    pub fn accessed(&self, fs_path: &[u8], node: &super::fs::Node) {
        if self.flags & (flags::RDONLY | flags::NOATIME) != 0 {
            return;
        }
        if self.flags & flags::NODIRATIME != 0
            && self.fs.mode(fs_path, node).is_ok_and(|m| m & libc::S_IFMT == libc::S_IFDIR)
        {
            return;
        }
        self.fs.accessed(fs_path, node);
    }

    /// The fs path of a sandbox path at or below the mount point.
    pub fn fs_path(&self, path: &[u8]) -> Vec<u8> {
        let rest = if self.point == b"/" { path } else { &path[self.point.len()..] };
        if self.root == b"/" {
            return if rest.is_empty() { b"/".to_vec() } else { rest.to_vec() };
        }
        let mut p = self.root.clone();
        p.extend_from_slice(rest);
        p
    }

    /// The mount options as `/proc/mounts` shows them.
    pub fn options(&self) -> String {
        let mut s = String::from(if self.readonly() { "ro" } else { "rw" });
        for (bit, name) in [
            (flags::NOSUID, "nosuid"),
            (flags::NODEV, "nodev"),
            (flags::NOEXEC, "noexec"),
            (flags::NOATIME, "noatime"),
            (flags::NODIRATIME, "nodiratime"),
            (flags::RELATIME, "relatime"),
        ] {
            if self.flags & bit != 0 {
                s.push(',');
                s.push_str(name);
            }
        }
        s
    }

    /// The node at the mount's root.
    pub fn root_node(&self) -> Result<Node, Errno> {
        self.fs.node_at(&self.root)?.ok_or(Errno::ENOENT)
    }
}

/// What a new mount is made of.
pub struct NewMount {
    pub fs: Arc<dyn Filesystem>,
    pub root: Vec<u8>,
    pub flags: u64,
    pub source: String,
    pub data: String,
    pub dev: u64,
}

impl NewMount {
    /// Another mount of what `m` mounts (a bind, a move), showing `root`
    /// of its file system, with its flags, source and data.
    pub fn like(m: &Mount, root: Vec<u8>) -> NewMount {
        NewMount { fs: m.fs.clone(), root, flags: m.flags, source: m.source.clone(), data: m.data.clone(), dev: m.dev }
    }
}

/// Every mount of a sandbox.
#[derive(Clone, Default)]
pub struct MountTable {
    /// Mounts by mount point; the last of each list is the visible one.
    by_point: BTreeMap<Vec<u8>, Vec<Arc<Mount>>>,
    next_id: u32,
}

impl MountTable {
    /// A table holding only the root file system.
    pub fn new(root: NewMount) -> MountTable {
        let mut t = MountTable { by_point: BTreeMap::new(), next_id: 1 };
        t.add(b"/", root);
        t
    }

    /// The visible mount whose mount point is exactly `path`.
    pub fn at(&self, path: &[u8]) -> Option<&Arc<Mount>> {
        self.by_point.get(path).and_then(|v| v.last())
    }

    /// The mount holding `path`: the one at its longest mounted prefix.
    pub fn covering(&self, path: &[u8]) -> Arc<Mount> {
        let mut p = path;
        loop {
            if let Some(m) = self.at(p) {
                return m.clone();
            }
            if p == b"/" {
                // The root is always mounted; an empty table is a bug.
                unreachable!("no root mount");
            }
            p = parent_of(p);
        }
    }

    /// Mounts `m` at canonical `point` (on top of any mount there) and
    /// returns its id.
    pub fn add(&mut self, point: &[u8], m: NewMount) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        let parent = if point == b"/" && self.by_point.is_empty() { id } else { self.covering(point).id };
        let mount = Arc::new(Mount {
            id,
            parent,
            point: point.to_vec(),
            fs: m.fs,
            root: m.root,
            flags: m.flags,
            source: m.source,
            data: m.data,
            dev: m.dev,
        });
        self.by_point.entry(point.to_vec()).or_default().push(mount);
        id
    }

    /// Changes the per-mount flags of the mount at `point` (a remount).
    pub fn set_flags(&mut self, point: &[u8], new: u64) -> Result<(), Errno> {
        let list = self.by_point.get_mut(point).ok_or(Errno::EINVAL)?;
        let top = list.pop().ok_or(Errno::EINVAL)?;
        list.push(Arc::new(Mount {
            id: top.id,
            parent: top.parent,
            point: top.point.clone(),
            fs: top.fs.clone(),
            root: top.root.clone(),
            flags: (top.flags & !flags::PER_MOUNT) | (new & flags::PER_MOUNT),
            source: top.source.clone(),
            data: top.data.clone(),
            dev: top.dev,
        }));
        Ok(())
    }

    /// Shows `data` as the options of every mount of file system `fs` (a
    /// remount changed them; they are the superblock's, which its bind
    /// mounts share).
    pub fn set_data_of(&mut self, fs: &Arc<dyn Filesystem>, data: &str) {
        for list in self.by_point.values_mut() {
            for m in list.iter_mut() {
                if std::ptr::addr_eq(Arc::as_ptr(&m.fs), Arc::as_ptr(fs)) {
                    *m = Arc::new(Mount {
                        id: m.id,
                        parent: m.parent,
                        point: m.point.clone(),
                        fs: m.fs.clone(),
                        root: m.root.clone(),
                        flags: m.flags,
                        source: m.source.clone(),
                        data: data.to_string(),
                        dev: m.dev,
                    });
                }
            }
        }
    }

    /// Unmounts the visible mount at `point`. Mounts below it make it busy,
    /// unless `detach` (MNT_DETACH), which takes them away too.
    pub fn remove(&mut self, point: &[u8], detach: bool) -> Result<(), Errno> {
        if point == b"/" {
            return Err(Errno::EBUSY);
        }
        if self.at(point).is_none() {
            return Err(Errno::EINVAL);
        }
        let below: Vec<Vec<u8>> =
            self.by_point.keys().filter(|k| k.as_slice() != point && is_within(k, point)).cloned().collect();
        if !below.is_empty() && !detach {
            return Err(Errno::EBUSY);
        }
        for k in below {
            self.by_point.remove(&k);
        }
        if let Some(list) = self.by_point.get_mut(point) {
            list.pop();
            if list.is_empty() {
                self.by_point.remove(point);
            }
        }
        Ok(())
    }

    /// Every visible mount, in mount order.
    pub fn list(&self) -> Vec<Arc<Mount>> {
        let mut v: Vec<Arc<Mount>> = self.by_point.values().flatten().cloned().collect();
        v.sort_by_key(|m| m.id);
        v
    }

    /// `/proc/mounts` text, for a process whose root is `root`.
    pub fn render_mounts(&self, root: &[u8]) -> String {
        let mut s = String::new();
        for m in self.list() {
            if !is_within(&m.point, root) {
                continue;
            }
            let point = super::path::relative_to_root(&m.point, root);
            let mut opts = m.options();
            if !m.data.is_empty() {
                opts.push(',');
                opts.push_str(&m.data);
            }
            let _ =
                writeln!(s, "{} {} {} {} 0 0", escape(m.source.as_bytes()), escape(point), fs_type_shown(&*m.fs), opts);
        }
        s
    }

    /// `/proc/<pid>/mountstats` text (no file system here keeps statistics
    /// to add), for a process whose root is `root`.
    pub fn render_mountstats(&self, root: &[u8]) -> String {
        let mut s = String::new();
        for m in self.list() {
            if !is_within(&m.point, root) {
                continue;
            }
            let point = super::path::relative_to_root(&m.point, root);
            let (src, point) = (escape(m.source.as_bytes()), escape(point));
            let _ = writeln!(s, "device {src} mounted on {point} with fstype {}", fs_type_shown(&*m.fs));
        }
        s
    }

    /// `/proc/<pid>/mountinfo` text, for a process whose root is `root`.
    pub fn render_mountinfo(&self, root: &[u8]) -> String {
        let mut s = String::new();
        for m in self.list() {
            if !is_within(&m.point, root) {
                continue;
            }
            let point = super::path::relative_to_root(&m.point, root);
            let super_opts = if m.readonly() { "ro" } else { "rw" };
            let mut sopts = super_opts.to_string();
            if !m.data.is_empty() {
                sopts.push(',');
                sopts.push_str(&m.data);
            }
            let _ = writeln!(
                s,
                "{} {} {}:{} {} {} {} - {} {} {}",
                m.id,
                m.parent,
                dev_major(m.dev),
                dev_minor(m.dev),
                escape(&m.root),
                escape(point),
                m.options(),
                fs_type_shown(&*m.fs),
                escape(m.source.as_bytes()),
                sopts
            );
        }
        s
    }
}

/// The type a mount shows (a host bind shows the host file system's type).
fn fs_type_shown(fs: &dyn Filesystem) -> &'static str {
    fs.fs_type()
}

/// Escapes blanks and backslashes as `/proc/mounts` does (`\040`).
pub fn escape(b: &[u8]) -> String {
    let mut out = Vec::new();
    for &c in b {
        match c {
            b' ' | b'\t' | b'\n' | b'\\' => out.extend_from_slice(format!("\\{:03o}", c).as_bytes()),
            _ => out.push(c),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
