//! The overlay file system: a host directory seen read-only (the lower
//! layer) under an in-memory upper layer, so nothing written reaches the
//! host. The container root is one; a `tmpfs` is one without a lower layer.
//!
//! The upper layer is a map from fs path to node (dir, memfd-backed file,
//! special node, whiteout); opaque dirs hide lower contents. A lower file
//! is copied up before it changes. Renaming a directory that has host
//! contents gives EXDEV (as overlayfs without redirects does; `mv` then
//! copies). Host files are only opened by canonical path with `openat2`
//! (see `lower.rs`), so no path escapes the lower root.

use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::file::{DirEntry, FileOps};
use super::fs::{magic, Filesystem, Node, OpenReq, OvNode, Owner, StatFs};
use super::path::{components, dtype, parent_of};
use super::stat::{now, Stat};
use super::tmpfs_opts::TmpfsOptions;
use super::tmpfs_space::TmpfsSpace;
use super::upper::{MemFile, MemFileHandle, Meta, Special, SpecialKind, UpperNode};
use super::{fifo, lower};
use crate::kernel::errno::Errno;

/// An overlay of an optional read-only host directory and an in-memory layer.
pub struct Overlay {
    /// The host directory shown below (`None` for a tmpfs).
    pub(super) lower: Option<lower::LowerTree>,
    /// The upper layer, keyed by fs path. Guards every change.
    pub(super) upper: RwLock<BTreeMap<Vec<u8>, UpperNode>>,
    /// Inode numbers for upper nodes (far above host inodes in an overlay).
    next_ino: AtomicU64,
    /// The device number `stat` reports.
    pub(super) dev: u64,
    /// `overlay` or `tmpfs`.
    kind: &'static str,
    /// A tmpfs's room (`size=`, `nr_inodes=`) and what its nodes take of
    /// it; `None` for the container root, left to `memcharge.rs`'s caps.
    pub(super) space: Option<Arc<TmpfsSpace>>,
}

impl Overlay {
    /// An overlay of the host directory `lower` (opened with `open_root`).
    pub fn new(lower: OwnedFd, dev: u64) -> Arc<Overlay> {
        let ov = Overlay {
            lower: Some(lower::LowerTree::new(lower)),
            upper: RwLock::new(BTreeMap::new()),
            next_ino: AtomicU64::new(1 << 40),
            dev,
            kind: "overlay",
            space: None,
        };
        Arc::new(ov)
    }

    /// An empty tmpfs whose root has permission bits `mode` (e.g. 0o1777).
    pub fn tmpfs(dev: u64, mode: u32) -> Arc<Overlay> {
        Overlay::named(dev, mode, "tmpfs")
    }

    /// An empty in-memory file system shown as type `kind`.
    pub fn named(dev: u64, mode: u32, kind: &'static str) -> Arc<Overlay> {
        Overlay::empty(dev, kind, &TmpfsOptions::with_mode(mode))
    }

    /// A tmpfs mounted with options `opts` (root mode and owner, limits).
    pub fn tmpfs_with(dev: u64, opts: &TmpfsOptions) -> Arc<Overlay> {
        Overlay::empty(dev, "tmpfs", opts)
    }

    fn empty(dev: u64, kind: &'static str, opts: &TmpfsOptions) -> Arc<Overlay> {
        let ov = Overlay {
            lower: None,
            upper: RwLock::new(BTreeMap::new()),
            next_ino: AtomicU64::new(2),
            dev,
            kind,
            space: Some(Arc::new(TmpfsSpace::new(opts))),
        };
        // The root is an inode too.
        ov.take_inode().ok();
        let meta = Meta { dev, ..Meta::new(1, libc::S_IFDIR | opts.mode, opts.uid, opts.gid) };
        ov.write().insert(b"/".to_vec(), UpperNode::Dir { meta, opaque: true });
        Arc::new(ov)
    }

    /// Takes an inode of a tmpfs for a new node or link (ENOSPC past
    /// `nr_inodes=`).
    pub(super) fn take_inode(&self) -> Result<(), Errno> {
        self.space.as_ref().map_or(Ok(()), |s| s.take_inode())
    }

    pub(super) fn read(&self) -> RwLockReadGuard<'_, BTreeMap<Vec<u8>, UpperNode>> {
        self.upper.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<Vec<u8>, UpperNode>> {
        self.upper.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Fresh metadata with a new inode number for a node made at `path`:
    /// it inherits its directory's nodump and noatime flags, as tmpfs's do.
    pub(super) fn meta(&self, path: &[u8], mode: u32, owner: Owner) -> Meta {
        let ino = self.next_ino.fetch_add(1, Ordering::Relaxed);
        let attrs = match self.read().get(parent_of(path)) {
            Some(UpperNode::Dir { meta, .. }) => meta.attrs & super::attr::INHERITED,
            _ => 0,
        };
        Meta { dev: self.dev, attrs, ..Meta::new(ino, mode, owner.uid, owner.gid) }
    }

    /// Inserts a new node (used to build `/dev`).
    pub fn insert(&self, path: &[u8], mode: u32, rdev: u64, kind: Option<SpecialKind>) {
        self.take_inode().ok();
        let mut meta = self.meta(path, mode, Owner::default());
        meta.rdev = rdev;
        let node = match kind {
            Some(k) => UpperNode::Special(Special::new(meta, k)),
            None => UpperNode::Dir { meta, opaque: true },
        };
        self.add_node(path, node);
    }

    fn lower_lstat(&self, path: &[u8]) -> Result<Stat, Errno> {
        match &self.lower {
            Some(root) => root.lstat(path),
            None => Err(Errno::ENOENT),
        }
    }

    /// Whether the lower directory at `path` shows through: no upper node on
    /// the way hides it and it is a real directory on the host.
    pub(super) fn lower_dir_visible(&self, path: &[u8]) -> bool {
        if self.lower.is_none() {
            return false;
        }
        {
            let up = self.read();
            let mut prefix = Vec::new();
            if matches!(up.get(&b"/"[..]), Some(UpperNode::Dir { opaque: true, .. })) {
                return false;
            }
            for comp in components(path) {
                prefix.push(b'/');
                prefix.extend_from_slice(comp);
                match up.get(&prefix) {
                    None | Some(UpperNode::Dir { opaque: false, .. }) => {}
                    _ => return false,
                }
            }
        }
        matches!(self.lower_lstat(path), Ok(s) if s.is_dir())
    }

    /// Whether a lower node exists at `path` and shows (a whiteout is then
    /// needed to delete it).
    pub(super) fn lower_exists(&self, path: &[u8]) -> bool {
        self.lower.is_some()
            && path != b"/"
            && self.lower_dir_visible(parent_of(path))
            && self.lower_lstat(path).is_ok()
    }

    /// Whether any upper node lies below directory `path`.
    fn has_upper_children(&self, path: &[u8]) -> bool {
        let prefix = dir_prefix(path);
        let up = self.read();
        let found =
            up.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)).any(|(k, _)| k.len() > prefix.len());
        found
    }

    /// The link count of a merged directory: the host directory's, plus the
    /// subdirectories the upper layer adds, less the ones it hides, so
    /// `stat` counts `.`, `..` and each subdirectory as a plain file system
    /// does (overlayfs says 1, "unknown"; so does this when the host file
    /// system does not count subdirectories).
    fn merged_nlink(&self, path: &[u8], lower: &Stat) -> u64 {
        if lower.nlink < 2 {
            return 1;
        }
        let children = self.upper_children(path);
        let host_dirs = self.lower_subdirs(path, lower, children.len());
        let name_at = dir_prefix(path).len();
        let mut n = lower.nlink as i64;
        for (child, upper_dir) in children {
            let lower_dir = match &host_dirs {
                LowerSubdirs::None => false,
                LowerSubdirs::Listed(names) => names.contains(&child[name_at..]),
                LowerSubdirs::Unknown => matches!(self.lower_lstat(&child), Ok(s) if s.is_dir()),
            };
            n += upper_dir as i64 - lower_dir as i64;
        }
        n.max(2) as u64
    }

    /// What is known of the subdirectories of host directory `path` (link
    /// count `lower.nlink`) before `upper_children` upper nodes are checked
    /// against it: a stat of a merged directory must not cost a host lookup
    /// per file the sandbox made in it.
    fn lower_subdirs(&self, path: &[u8], lower: &Stat, upper_children: usize) -> LowerSubdirs {
        // Two links: `.` and the parent's entry, so no subdirectory.
        if lower.nlink == 2 || upper_children == 0 {
            return LowerSubdirs::None;
        }
        if upper_children <= FEW_UPPER_CHILDREN {
            return LowerSubdirs::Unknown;
        }
        let Some(root) = self.lower.as_ref() else {
            return LowerSubdirs::None;
        };
        match root.read_dir(path) {
            // A file system that gives no entry types needs the lookups.
            Ok(entries) if entries.iter().all(|e| e.kind != libc::DT_UNKNOWN) => {
                LowerSubdirs::Listed(entries.into_iter().filter(|e| e.kind == libc::DT_DIR).map(|e| e.name).collect())
            }
            _ => LowerSubdirs::Unknown,
        }
    }

    /// The upper nodes directly in directory `path`, with whether each is a
    /// directory. Deeper nodes are skipped a subtree at a time, so this
    /// costs a seek per child, not a step per node below the directory.
    fn upper_children(&self, path: &[u8]) -> Vec<(Vec<u8>, bool)> {
        use std::ops::Bound;
        let prefix = dir_prefix(path);
        let up = self.read();
        let mut out = Vec::new();
        let mut from = Bound::Included(prefix.clone());
        while let Some((k, node)) = up.range::<Vec<u8>, _>((from, Bound::Unbounded)).next() {
            if !k.starts_with(&prefix) {
                break;
            }
            let rest = &k[prefix.len()..];
            match rest.iter().position(|&b| b == b'/') {
                // A node below child `rest[..i]`: everything up to
                // `prefix + child + "0"` ('/' + 1) is below that child too.
                Some(i) => {
                    let mut next = k[..prefix.len() + i].to_vec();
                    next.push(b'/' + 1);
                    from = Bound::Included(next);
                }
                None => {
                    if !rest.is_empty() {
                        out.push((k.clone(), matches!(node, UpperNode::Dir { .. })));
                    }
                    from = Bound::Excluded(k.clone());
                }
            }
        }
        out
    }

    /// Inserts an upper node, counting a new subdirectory in its parent.
    pub(super) fn add_node(&self, path: &[u8], node: UpperNode) {
        let is_dir = matches!(node, UpperNode::Dir { .. });
        let mut up = self.write();
        if is_dir {
            adjust_nlink(&mut up, parent_of(path), 1);
        }
        up.insert(path.to_vec(), node);
    }

    /// The fs node for an upper node found at `path` whose parent directory
    /// has a visible lower side (`parent_lower`).
    fn ov_node(&self, path: &[u8], up: UpperNode, parent_lower: bool) -> Option<Node> {
        let lower = match &up {
            UpperNode::Whiteout => return None,
            UpperNode::Dir { opaque: false, .. } if parent_lower => self.lower_lstat(path).ok().filter(|s| s.is_dir()),
            _ => None,
        };
        Some(Node::Ov(OvNode { upper: Some(up), lower }))
    }

    /// Copies a lower regular file into the upper layer (keeping its inode
    /// number, as overlayfs with `xino` does).
    pub(super) fn copy_up(&self, path: &[u8], st: &Stat) -> Result<Arc<MemFile>, Errno> {
        let root = self.lower.as_ref().ok_or(Errno::ENOENT)?;
        let src = root.open_file(path)?;
        let mut meta = Meta::from_stat(st);
        meta.nlink = 1;
        meta.dev = self.dev;
        let f = MemFile::copy_from(src.fd(), meta)?;
        let mut up = self.write();
        // Another thread may have copied it up first: keep theirs.
        if let Some(UpperNode::File(existing)) = up.get(path) {
            return Ok(existing.clone());
        }
        up.insert(path.to_vec(), UpperNode::File(f.clone()));
        Ok(f)
    }
}

/// Upper nodes in a merged directory up to which looking each up on the host
/// costs less than listing the host directory.
const FEW_UPPER_CHILDREN: usize = 8;

/// The host subdirectories of a merged directory, as far as they matter.
enum LowerSubdirs {
    /// There are none.
    None,
    /// Their names.
    Listed(std::collections::HashSet<Vec<u8>>),
    /// Not known: look each name up.
    Unknown,
}

/// `path/`, the prefix of every node below directory `path`.
pub(super) fn dir_prefix(path: &[u8]) -> Vec<u8> {
    let mut p = path.to_vec();
    if p != b"/" {
        p.push(b'/');
    }
    p
}

/// Changes the link count of the upper directory at `dir`, if it has one.
pub(super) fn adjust_nlink(up: &mut BTreeMap<Vec<u8>, UpperNode>, dir: &[u8], by: i64) {
    if let Some(UpperNode::Dir { meta, .. }) = up.get_mut(dir) {
        meta.nlink = (meta.nlink as i64 + by).max(2) as u64;
    }
}

fn ov(node: &Node) -> Result<&OvNode, Errno> {
    match node {
        Node::Ov(n) => Ok(n),
        _ => Err(Errno::EINVAL),
    }
}

impl Filesystem for Overlay {
    fn fs_type(&self) -> &'static str {
        self.kind
    }

    fn node_at(&self, path: &[u8]) -> Result<Option<Node>, Errno> {
        let up = self.read().get(path).cloned();
        if path == b"/" {
            let lower = if matches!(up, Some(UpperNode::Dir { opaque: true, .. })) {
                None
            } else {
                self.lower_lstat(path).ok()
            };
            return Ok(Some(Node::Ov(OvNode { upper: up, lower })));
        }
        let parent_lower = self.lower_dir_visible(parent_of(path));
        match up {
            Some(u) => Ok(self.ov_node(path, u, parent_lower)),
            None if parent_lower => match self.lower_lstat(path) {
                Ok(s) => Ok(Some(Node::Ov(OvNode { upper: None, lower: Some(s) }))),
                Err(Errno::ENOENT) | Err(Errno::ENOTDIR) => Ok(None),
                Err(e) => Err(e),
            },
            None => Ok(None),
        }
    }

    fn lookup(&self, dir_path: &[u8], dir: &Node, name: &[u8]) -> Result<Option<Node>, Errno> {
        let dir = ov(dir)?;
        let mut child = dir_prefix(dir_path);
        child.extend_from_slice(name);
        let parent_lower = dir.lower.as_ref().is_some_and(|s| s.is_dir());
        let up = self.read().get(&child).cloned();
        if let Some(u) = up {
            return Ok(self.ov_node(&child, u, parent_lower));
        }
        if !parent_lower {
            return Ok(None);
        }
        match self.lower_lstat(&child) {
            Ok(s) => Ok(Some(Node::Ov(OvNode { upper: None, lower: Some(s) }))),
            Err(Errno::ENOENT) | Err(Errno::ENOTDIR) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn stat(&self, path: &[u8], node: &Node) -> Result<Stat, Errno> {
        let n = ov(node)?;
        let mut st = match (&n.upper, &n.lower) {
            (Some(UpperNode::Dir { meta, .. }), lower) => {
                let mut st = match self.kind {
                    // tmpfs counts 20 bytes per entry, `.` and `..` included,
                    // and keeps directories in no blocks (BOGO_DIRENT_SIZE).
                    "tmpfs" => meta.to_stat_blocks(20 * (2 + self.upper_children(path).len() as u64), 0),
                    _ => meta.to_stat(4096),
                };
                if let Some(l) = lower {
                    st.nlink = self.merged_nlink(path, l);
                }
                st
            }
            (Some(UpperNode::File(f)), _) => MemFileHandle(f.clone()).stat()?,
            (Some(UpperNode::Special(s)), _) => s.stat(),
            (Some(UpperNode::Whiteout), _) => return Err(Errno::ENOENT),
            (None, Some(s)) => {
                let mut s = *s;
                if s.is_dir() && self.has_upper_children(path) {
                    s.nlink = self.merged_nlink(path, &s);
                }
                s
            }
            (None, None) => return Err(Errno::ENOENT),
        };
        st.dev = self.dev;
        Ok(st)
    }

    fn accessed(&self, path: &[u8], node: &Node) {
        let Ok(n) = ov(node) else {
            return;
        };
        match &n.upper {
            Some(UpperNode::File(f)) => f.meta.lock().unwrap_or_else(|e| e.into_inner()).touch_atime(),
            Some(UpperNode::Special(s)) => s.meta.lock().unwrap_or_else(|e| e.into_inner()).touch_atime(),
            Some(UpperNode::Dir { .. }) => {
                if let Some(UpperNode::Dir { meta, .. }) = self.write().get_mut(path) {
                    meta.touch_atime();
                }
            }
            // Host files keep their times (overlayfs does not touch the
            // lower layer either).
            _ => {}
        }
    }

    fn mode(&self, _path: &[u8], node: &Node) -> Result<u32, Errno> {
        let n = ov(node)?;
        match (&n.upper, &n.lower) {
            (Some(u), _) => u.meta().map(|m| m.mode).ok_or(Errno::ENOENT),
            (None, Some(s)) => Ok(s.mode),
            (None, None) => Err(Errno::ENOENT),
        }
    }

    fn readlink(&self, path: &[u8], node: &Node) -> Option<Result<super::fs::Link, Errno>> {
        let n = ov(node).ok()?;
        match (&n.upper, &n.lower) {
            (Some(u), _) => u.symlink_target().map(|t| Ok(super::fs::Link::Text(t.to_vec()))),
            (None, Some(s)) if s.is_symlink() => {
                let root = self.lower.as_ref()?;
                Some(root.readlink_known(path, s).map(super::fs::Link::Text))
            }
            _ => None,
        }
    }

    fn open(&self, path: &[u8], node: &Node, req: OpenReq) -> Result<Box<dyn FileOps>, Errno> {
        let n = ov(node)?;
        match (&n.upper, &n.lower) {
            (Some(UpperNode::File(f)), _) => Ok(Box::new(MemFileHandle(f.clone()))),
            (Some(UpperNode::Special(s)), _) => match &s.kind {
                SpecialKind::Fifo(f) => {
                    let (node, dev) = (s.clone(), self.dev);
                    let inode: crate::kernel::pipe::InodeStat = Arc::new(move || {
                        let mut st = node.meta().to_stat(0);
                        st.dev = dev;
                        Ok(st)
                    });
                    fifo::open(f, req.flags, inode)
                }
                _ => Err(Errno::ENXIO),
            },
            (None, Some(s)) if s.is_regular() => {
                if req.write {
                    Ok(Box::new(MemFileHandle(self.copy_up(path, s)?)))
                } else {
                    let root = self.lower.as_ref().ok_or(Errno::ENOENT)?;
                    Ok(Box::new(root.open_file(path)?))
                }
            }
            // Host device nodes, sockets and FIFOs are never opened.
            (None, Some(_)) => Err(Errno::EACCES),
            _ => Err(Errno::ENXIO),
        }
    }

    /// Entries in overlayfs's order: the upper layer's first, then the
    /// host directory's in the host's own order (so an untouched host
    /// directory lists as it does outside), less what the upper layer
    /// has (entries or whiteouts).
    fn list(&self, path: &[u8], node: &Node) -> Result<Vec<DirEntry>, Errno> {
        let n = ov(node)?;
        let mut out = Vec::new();
        let mut shadowed = std::collections::HashSet::new();
        let prefix = dir_prefix(path);
        {
            let up = self.read();
            for (k, n) in up.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)) {
                let name = &k[prefix.len()..];
                // The directory itself (a tmpfs root) and nodes further down.
                if name.is_empty() || name.contains(&b'/') {
                    continue;
                }
                shadowed.insert(name.to_vec());
                if let Some(m) = n.meta() {
                    out.push(DirEntry { ino: m.ino, kind: dtype(m.mode), name: name.to_vec() });
                }
            }
        }
        if let (Some(root), Some(s)) = (&self.lower, &n.lower) {
            if s.is_dir() {
                out.extend(root.read_dir(path)?.into_iter().filter(|e| !shadowed.contains(&e.name)));
            }
        }
        Ok(out)
    }

    fn create(&self, path: &[u8], mode: u32, owner: Owner) -> Result<Box<dyn FileOps>, Errno> {
        self.take_inode()?;
        let f = MemFile::create_on(self.meta(path, libc::S_IFREG | (mode & 0o7777), owner), self.space.clone());
        self.add_node(path, UpperNode::File(f.clone()));
        self.dir_changed(parent_of(path));
        Ok(Box::new(MemFileHandle(f)))
    }

    fn mkdir(&self, path: &[u8], mode: u32, owner: Owner) -> Result<(), Errno> {
        let hides_lower = self.lower_exists(path);
        self.take_inode()?;
        let meta = self.meta(path, libc::S_IFDIR | (mode & 0o7777), owner);
        self.add_node(path, UpperNode::Dir { meta, opaque: hides_lower || self.lower.is_none() });
        self.dir_changed(parent_of(path));
        Ok(())
    }

    fn mknod(&self, path: &[u8], mode: u32, rdev: u64, owner: Owner) -> Result<(), Errno> {
        let kind = match mode & libc::S_IFMT {
            libc::S_IFIFO => SpecialKind::Fifo(fifo::Fifo::new()),
            libc::S_IFSOCK => SpecialKind::Socket,
            libc::S_IFCHR | libc::S_IFBLK => SpecialKind::Device,
            _ => return Err(Errno::EINVAL),
        };
        self.take_inode()?;
        let mut meta = self.meta(path, mode, owner);
        if kind_is_device(&kind) {
            meta.rdev = rdev;
        }
        self.add_node(path, UpperNode::Special(Special::new(meta, kind)));
        self.dir_changed(parent_of(path));
        Ok(())
    }

    fn symlink(&self, path: &[u8], target: &[u8], owner: Owner) -> Result<(), Errno> {
        self.take_inode()?;
        let meta = self.meta(path, libc::S_IFLNK | 0o777, owner);
        let node = UpperNode::Special(Special::new(meta, SpecialKind::Symlink(target.to_vec())));
        self.add_node(path, node);
        self.dir_changed(parent_of(path));
        Ok(())
    }

    fn link(&self, old: &[u8], old_node: &Node, new: &[u8]) -> Result<(), Errno> {
        self.link_node(old, ov(old_node)?, new)?;
        self.dir_changed(parent_of(new));
        Ok(())
    }

    fn tmpfile(&self, dir: &[u8], mode: u32, owner: Owner) -> Result<Arc<MemFile>, Errno> {
        // Made as if at a name in `dir`, whose inherited flags it takes.
        let mut at = dir.to_vec();
        at.extend_from_slice(if dir.ends_with(b"/") { b"#" } else { b"/#" });
        self.take_inode()?;
        let mut meta = self.meta(&at, mode, owner);
        meta.nlink = 0;
        Ok(MemFile::create_on(meta, self.space.clone()))
    }

    fn link_file(&self, file: &Arc<MemFile>, new: &[u8]) -> Result<(), Errno> {
        if file.meta().dev != self.dev {
            return Err(Errno::EXDEV);
        }
        // A file linked again takes another inode (shmem_link); an unnamed
        // file's first name uses the one it has.
        if file.meta().nlink > 0 {
            self.take_inode()?;
        }
        {
            let mut m = file.meta.lock().unwrap_or_else(|e| e.into_inner());
            m.nlink += 1;
            m.ctime = now();
        }
        self.write().insert(new.to_vec(), UpperNode::File(file.clone()));
        self.dir_changed(parent_of(new));
        Ok(())
    }

    fn remove(&self, path: &[u8], _node: &Node, dir: bool) -> Result<(), Errno> {
        self.remove_node(path, dir)?;
        self.dir_changed(parent_of(path));
        Ok(())
    }

    fn rename(
        &self,
        old: &[u8],
        old_node: &Node,
        new: &[u8],
        new_node: Option<&Node>,
        flags: u32,
    ) -> Result<(), Errno> {
        let new_node = match new_node {
            Some(n) => Some(ov(n)?),
            None => None,
        };
        self.rename_node(old, ov(old_node)?, new, new_node, flags)?;
        self.dir_changed(parent_of(old));
        if parent_of(new) != parent_of(old) {
            self.dir_changed(parent_of(new));
        }
        Ok(())
    }

    /// Upper nodes keep tmpfs's flags; host nodes show none (ENOTTY, as
    /// before they are copied up), and special nodes take none, as
    /// tmpfs's special inodes have no `fileattr` operations.
    fn keeps_inode_flags(&self) -> bool {
        true
    }

    fn inode_flags(&self, _path: &[u8], node: &Node) -> Result<u32, Errno> {
        match &ov(node)?.upper {
            Some(UpperNode::Whiteout) => Err(Errno::ENOENT),
            Some(u) => u.meta().map(|m| m.attrs).ok_or(Errno::ENOENT),
            None => Err(Errno::ENOTTY),
        }
    }

    fn set_inode_flags(&self, path: &[u8], node: &Node, f: &mut super::file::SetFlags) -> Result<(), Errno> {
        match &ov(node)?.upper {
            Some(UpperNode::File(file)) => {
                super::file::set_flags_in(&mut file.meta.lock().unwrap_or_else(|e| e.into_inner()), f)
            }
            Some(UpperNode::Dir { .. }) => match self.write().get_mut(path) {
                Some(UpperNode::Dir { meta, .. }) => super::file::set_flags_in(meta, f),
                _ => Err(Errno::ENOENT),
            },
            Some(UpperNode::Whiteout) => Err(Errno::ENOENT),
            _ => Err(Errno::ENOTTY),
        }
    }

    fn set_meta(&self, path: &[u8], node: &Node, change: &super::fs::MetaChange) -> Result<(), Errno> {
        self.change_meta(path, ov(node)?, change)
    }

    fn statfs(&self) -> StatFs {
        match &self.lower {
            Some(root) => {
                let mut s = lower::statfs(root.root());
                s.fs_type = magic::OVERLAYFS;
                s
            }
            None => self.tmpfs_statfs(),
        }
    }

    fn remount(&self, data: &str) -> Result<Option<String>, Errno> {
        match &self.space {
            Some(space) => space.remount(data).map(Some),
            None => Ok(None),
        }
    }
}

fn kind_is_device(k: &SpecialKind) -> bool {
    matches!(k, SpecialKind::Device)
}

impl Overlay {
    /// A tmpfs's figures: its size (by default half the host's memory), less
    /// what its files hold (pages written through shared mappings are
    /// counted now); a size or inode count of 0 (no limit) shows as 0.
    fn tmpfs_statfs(&self) -> StatFs {
        let files: Vec<Arc<MemFile>> = self
            .read()
            .values()
            .filter_map(|n| match n {
                UpperNode::File(f) => Some(f.clone()),
                _ => None,
            })
            .collect();
        for f in files {
            f.settle();
        }
        let (blocks, bfree, files, ffree) = self.space.as_ref().map_or((0, 0, 0, 0), |s| s.figures());
        StatFs { fs_type: magic::TMPFS, bsize: 4096, blocks, bfree, bavail: bfree, files, ffree, namelen: 255 }
    }
}

/// The host's RAM in bytes.
pub fn host_ram() -> u64 {
    // SAFETY: sysinfo fills the zeroed struct we pass.
    let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::sysinfo(&mut si) } != 0 {
        return 1 << 30;
    }
    si.totalram as u64 * si.mem_unit as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_children_skips_subtrees_and_keeps_similar_names() {
        let fs = Overlay::tmpfs(1, 0o755);
        for p in [&b"/a"[..], b"/a/x", b"/a/x/y", b"/a!", b"/b", b"/a0"] {
            fs.insert(p, libc::S_IFDIR | 0o755, 0, None);
        }
        fs.insert(b"/a/f", libc::S_IFCHR | 0o666, 0, Some(SpecialKind::Device));
        fs.insert(b"/c", libc::S_IFCHR | 0o666, 0, Some(SpecialKind::Device));
        let names = |dir: &[u8]| -> Vec<(String, bool)> {
            fs.upper_children(dir).into_iter().map(|(k, d)| (String::from_utf8_lossy(&k).into_owned(), d)).collect()
        };
        let s = |n: &str, d: bool| (n.to_string(), d);
        assert_eq!(names(b"/"), vec![s("/a", true), s("/a!", true), s("/a0", true), s("/b", true), s("/c", false)]);
        assert_eq!(names(b"/a"), vec![s("/a/f", false), s("/a/x", true)]);
        assert_eq!(names(b"/a/x/y"), vec![]);
    }
}
