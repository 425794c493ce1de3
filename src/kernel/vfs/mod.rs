//! The sandbox's file system: the container root is a host directory seen
//! read-only (the lower layer) under an in-memory upper layer, so nothing a
//! sandbox writes reaches the host. Paths are resolved here, component by
//! component, with symlinks followed by the sentry and `..` clamped at the
//! container root; host files are only ever opened by a canonical path with
//! `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS)`, so no path escapes.
//!
//! `/proc`, `/sys` and `/dev` of the host are never shown: the upper layer
//! covers them with opaque directories, and `/dev` holds the sentry's own
//! devices.

pub mod change;
pub mod dir;
pub mod file;
pub mod lower;
pub mod stat;
pub mod upper;

use std::collections::{BTreeMap, VecDeque};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::kernel::errno::Errno;
use file::{FileOps, OpenFile};
use stat::{makedev, Stat};
use upper::{DevKind, DeviceHandle, MemFile, MemFileHandle, Meta, UpperNode};

/// Symlinks followed in one lookup before ELOOP, as in Linux.
pub const MAX_SYMLINKS: u32 = 40;
/// Longest path accepted, including the NUL.
pub const PATH_MAX: usize = 4096;
/// Longest file name component.
pub const NAME_MAX: usize = 255;

/// What a path names, from whichever layer shows it.
#[derive(Clone)]
pub enum Node {
    /// A host file of the read-only root.
    Lower(Stat),
    /// A node of the in-memory layer.
    Upper(UpperNode),
}

/// The result of resolving a path.
pub struct Resolved {
    /// The canonical absolute path (no symlinks, `.` or `..`).
    pub path: Vec<u8>,
    /// The node, or `None` when only the last component is missing (its
    /// parent exists and is a directory), which `O_CREAT` and `mkdir` use.
    pub node: Option<Node>,
    /// Whether the path ended in `/` (the node must be a directory).
    pub trailing_slash: bool,
}

/// A container root file system.
pub struct Vfs {
    /// The host directory of the container root.
    root: OwnedFd,
    /// The upper layer, keyed by canonical path. Guards every change.
    upper: RwLock<BTreeMap<Vec<u8>, UpperNode>>,
    /// Inode numbers for upper nodes, far above any host inode.
    next_ino: AtomicU64,
    /// The sandbox's pty pairs (`/dev/ptmx`, `/dev/pts`).
    pub devpts: Arc<crate::kernel::tty::Devpts>,
}

impl Vfs {
    /// Opens `root` as the lower layer and builds the sandbox's `/dev`.
    pub fn new(root: &Path) -> Result<Arc<Vfs>, std::io::Error> {
        let root = lower::open_root(root)?;
        let vfs = Vfs {
            root,
            upper: RwLock::new(BTreeMap::new()),
            next_ino: AtomicU64::new(1 << 40),
            devpts: Arc::new(crate::kernel::tty::Devpts::default()),
        };
        {
            let mut up = vfs.upper.write().unwrap_or_else(|e| e.into_inner());
            for d in [&b"/proc"[..], b"/sys", b"/dev"] {
                up.insert(
                    d.to_vec(),
                    UpperNode::Dir {
                        meta: vfs.meta(libc::S_IFDIR | 0o755),
                        opaque: true,
                    },
                );
            }
            for (name, kind) in [
                ("null", DevKind::Null),
                ("zero", DevKind::Zero),
                ("full", DevKind::Full),
                ("random", DevKind::Random),
                ("urandom", DevKind::Urandom),
            ] {
                let mut meta = vfs.meta(libc::S_IFCHR | 0o666);
                let (ma, mi) = kind.numbers();
                meta.rdev = makedev(ma, mi);
                up.insert(
                    format!("/dev/{name}").into_bytes(),
                    UpperNode::Device { meta, kind },
                );
            }
        }
        Ok(Arc::new(vfs))
    }

    fn meta(&self, mode: u32) -> Meta {
        Meta::new(self.next_ino.fetch_add(1, Ordering::Relaxed), mode, 0, 0)
    }

    fn upper_get(&self, path: &[u8]) -> Option<UpperNode> {
        self.upper
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .cloned()
    }

    /// Whether the lower directory at `path` shows through: no upper node on
    /// the way hides it and it is a real directory on the host.
    pub(super) fn lower_dir_visible(&self, path: &[u8]) -> bool {
        {
            let up = self.upper.read().unwrap_or_else(|e| e.into_inner());
            let mut prefix = Vec::new();
            for comp in components(path) {
                prefix.push(b'/');
                prefix.extend_from_slice(comp);
                match up.get(&prefix) {
                    None | Some(UpperNode::Dir { opaque: false, .. }) => {}
                    _ => return false,
                }
            }
        }
        matches!(lower::lstat(&self.root, path), Ok(s) if s.is_dir())
    }

    /// Looks up one name: upper first, then the lower layer if it shows.
    fn lookup_child(&self, child: &[u8], parent_lower: bool) -> Result<Option<Node>, Errno> {
        match self.upper_get(child) {
            Some(UpperNode::Whiteout) => return Ok(None),
            Some(n) => return Ok(Some(Node::Upper(n))),
            None => {}
        }
        if !parent_lower {
            return Ok(None);
        }
        match lower::lstat(&self.root, child) {
            Ok(s) => Ok(Some(Node::Lower(s))),
            Err(Errno::ENOENT) | Err(Errno::ENOTDIR) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The node at a canonical path, if any.
    pub fn node_at(&self, path: &[u8]) -> Result<Option<Node>, Errno> {
        if path == b"/" {
            return Ok(Some(match self.upper_get(path) {
                Some(n) => Node::Upper(n),
                None => Node::Lower(lower::lstat(&self.root, path)?),
            }));
        }
        let parent = parent_of(path);
        self.lookup_child(path, self.lower_dir_visible(parent))
    }

    /// Resolves `path` relative to the canonical directory `start`. Symlinks
    /// are followed everywhere but in the last component unless `follow`.
    pub fn resolve(&self, start: &[u8], path: &[u8], follow: bool) -> Result<Resolved, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let trailing_slash = path.ends_with(b"/");
        let follow = follow || trailing_slash;
        let mut todo: VecDeque<Vec<u8>> = components(path).map(|c| c.to_vec()).collect();
        let mut cur: Vec<u8> = if path[0] == b'/' {
            b"/".to_vec()
        } else {
            start.to_vec()
        };
        let mut cur_lower = self.lower_dir_visible(&cur);
        let mut links = 0;
        let mut node = self.node_at(&cur)?;
        while let Some(comp) = todo.pop_front() {
            if comp.len() > NAME_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            match node.as_ref().map(node_stat_mode) {
                Some(m) if m & libc::S_IFMT == libc::S_IFDIR => {}
                Some(_) => return Err(Errno::ENOTDIR),
                None => return Err(Errno::ENOENT),
            }
            if comp == b"." {
                continue;
            }
            if comp == b".." {
                cur = parent_of(&cur).to_vec();
                cur_lower = self.lower_dir_visible(&cur);
                node = self.node_at(&cur)?;
                continue;
            }
            let child = join(&cur, &comp);
            let found = self.lookup_child(&child, cur_lower)?;
            let is_last = todo.is_empty();
            if let Some(target) = found.as_ref().and_then(|n| self.symlink_target(&child, n)) {
                if !is_last || follow {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(Errno::ELOOP);
                    }
                    let target = target?;
                    if target.is_empty() {
                        return Err(Errno::ENOENT);
                    }
                    for c in components(&target).rev() {
                        todo.push_front(c.to_vec());
                    }
                    if target[0] == b'/' {
                        cur = b"/".to_vec();
                        cur_lower = self.lower_dir_visible(&cur);
                        node = self.node_at(&cur)?;
                    }
                    continue;
                }
            }
            if found.is_none() && !is_last {
                return Err(Errno::ENOENT);
            }
            cur_lower = match &found {
                Some(Node::Lower(s)) => s.is_dir(),
                Some(Node::Upper(UpperNode::Dir { opaque, .. })) => {
                    cur_lower && !opaque && self.lower_is_dir(&child)
                }
                _ => false,
            };
            cur = child;
            node = found;
        }
        if trailing_slash {
            if let Some(n) = &node {
                if node_stat_mode(n) & libc::S_IFMT != libc::S_IFDIR {
                    return Err(Errno::ENOTDIR);
                }
            }
        }
        Ok(Resolved {
            path: cur,
            node,
            trailing_slash,
        })
    }

    fn lower_is_dir(&self, path: &[u8]) -> bool {
        matches!(lower::lstat(&self.root, path), Ok(s) if s.is_dir())
    }

    fn symlink_target(&self, path: &[u8], node: &Node) -> Option<Result<Vec<u8>, Errno>> {
        match node {
            Node::Upper(UpperNode::Symlink { target, .. }) => Some(Ok(target.clone())),
            Node::Lower(s) if s.is_symlink() => Some(lower::readlink(&self.root, path)),
            _ => None,
        }
    }

    /// Metadata of a resolved node.
    pub fn stat_node(&self, path: &[u8], node: &Node) -> Result<Stat, Errno> {
        Ok(match node {
            Node::Lower(s) => *s,
            Node::Upper(UpperNode::Dir { meta, .. }) => meta.to_stat(4096, 2),
            Node::Upper(UpperNode::File(f)) => MemFileHandle(f.clone()).stat()?,
            Node::Upper(UpperNode::Symlink { meta, target }) => {
                meta.to_stat(target.len() as u64, 1)
            }
            Node::Upper(UpperNode::Device { meta, .. }) => meta.to_stat(0, 1),
            Node::Upper(UpperNode::Whiteout) => {
                let _ = path;
                return Err(Errno::ENOENT);
            }
        })
    }

    /// `stat`/`lstat` of a path.
    pub fn stat(&self, start: &[u8], path: &[u8], follow: bool) -> Result<Stat, Errno> {
        let r = self.resolve(start, path, follow)?;
        let node = r.node.ok_or(Errno::ENOENT)?;
        self.stat_node(&r.path, &node)
    }

    /// `readlink` of a path (the last component is not followed).
    pub fn readlink(&self, start: &[u8], path: &[u8]) -> Result<Vec<u8>, Errno> {
        let r = self.resolve(start, path, false)?;
        let node = r.node.ok_or(Errno::ENOENT)?;
        self.symlink_target(&r.path, &node)
            .unwrap_or(Err(Errno::EINVAL))
    }

    /// Opens a path with `open(2)` flags. `mode` is used with `O_CREAT`
    /// (already masked by the umask).
    pub fn open(
        self: &Arc<Self>,
        start: &[u8],
        path: &[u8],
        flags: u32,
        mode: u32,
    ) -> Result<OpenFile, Errno> {
        let oflags = flags as i32;
        let creat = oflags & libc::O_CREAT != 0 && oflags & libc::O_TMPFILE != libc::O_TMPFILE;
        let follow = oflags & libc::O_NOFOLLOW == 0 && !(creat && oflags & libc::O_EXCL != 0);
        let r = self.resolve(start, path, follow)?;
        let acc = oflags & libc::O_ACCMODE;
        let wants_write = acc == libc::O_WRONLY || acc == libc::O_RDWR;
        if oflags & libc::O_TMPFILE == libc::O_TMPFILE {
            return Err(Errno::EOPNOTSUPP);
        }
        let node = match r.node {
            Some(n) => {
                if creat && oflags & libc::O_EXCL != 0 {
                    return Err(Errno::EEXIST);
                }
                n
            }
            None => {
                if !creat {
                    return Err(Errno::ENOENT);
                }
                if r.trailing_slash {
                    return Err(Errno::EISDIR);
                }
                let f = MemFile::create(self.meta(libc::S_IFREG | (mode & 0o7777)))?;
                let mut up = self.upper.write().unwrap_or_else(|e| e.into_inner());
                up.insert(r.path.clone(), UpperNode::File(f.clone()));
                drop(up);
                return Ok(OpenFile::new(Box::new(MemFileHandle(f)), r.path, flags));
            }
        };
        let st = self.stat_node(&r.path, &node)?;
        if st.is_symlink() {
            // Only reachable with O_NOFOLLOW (or O_CREAT|O_EXCL, handled above).
            return if oflags & libc::O_PATH != 0 {
                Ok(OpenFile::new(Box::new(dir::PathOnly(st)), r.path, flags))
            } else {
                Err(Errno::ELOOP)
            };
        }
        if oflags & libc::O_DIRECTORY != 0 && !st.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if oflags & libc::O_PATH != 0 {
            return Ok(OpenFile::new(Box::new(dir::PathOnly(st)), r.path, flags));
        }
        if st.is_dir() {
            if wants_write || creat {
                return Err(Errno::EISDIR);
            }
            return Ok(OpenFile::new(
                Box::new(dir::DirHandle::new(self.clone(), r.path.clone())),
                r.path,
                flags,
            ));
        }
        let ops: Box<dyn FileOps> = match node {
            Node::Upper(UpperNode::File(f)) => {
                if oflags & libc::O_TRUNC != 0 && wants_write {
                    MemFileHandle(f.clone()).truncate(0)?;
                }
                Box::new(MemFileHandle(f))
            }
            Node::Upper(UpperNode::Device { kind, meta }) => Box::new(DeviceHandle { kind, meta }),
            Node::Lower(s) if s.is_regular() => {
                if wants_write || oflags & libc::O_TRUNC != 0 {
                    let f = self.copy_up(&r.path, &s)?;
                    if oflags & libc::O_TRUNC != 0 {
                        MemFileHandle(f.clone()).truncate(0)?;
                    }
                    Box::new(MemFileHandle(f))
                } else {
                    Box::new(lower::LowerFile::open(&self.root, &r.path)?)
                }
            }
            // Host device nodes, sockets and FIFOs are never opened.
            Node::Lower(_) => return Err(Errno::EACCES),
            _ => return Err(Errno::ENXIO),
        };
        Ok(OpenFile::new(ops, r.path, flags))
    }

    /// Copies a lower regular file into the upper layer.
    pub(super) fn copy_up(&self, path: &[u8], st: &Stat) -> Result<Arc<MemFile>, Errno> {
        let src = lower::LowerFile::open(&self.root, path)?;
        let mut meta = Meta::from_stat(st);
        meta.ino = self.next_ino.fetch_add(1, Ordering::Relaxed);
        let f = MemFile::copy_from(src.fd(), meta)?;
        let mut up = self.upper.write().unwrap_or_else(|e| e.into_inner());
        // Another thread may have copied it up first: keep theirs.
        if let Some(UpperNode::File(existing)) = up.get(path) {
            return Ok(existing.clone());
        }
        up.insert(path.to_vec(), UpperNode::File(f.clone()));
        Ok(f)
    }

    /// `mkdir(2)`.
    pub fn mkdir(&self, start: &[u8], path: &[u8], mode: u32) -> Result<(), Errno> {
        let r = self.resolve(start, path, false)?;
        if r.node.is_some() {
            return Err(Errno::EEXIST);
        }
        let hides_lower = self.lower_exists(&r.path);
        let mut up = self.upper.write().unwrap_or_else(|e| e.into_inner());
        up.insert(
            r.path,
            UpperNode::Dir {
                meta: self.meta(libc::S_IFDIR | (mode & 0o7777)),
                opaque: hides_lower,
            },
        );
        Ok(())
    }

    /// `symlink(2)`: creates `path` pointing to `target`.
    pub fn symlink(&self, start: &[u8], target: &[u8], path: &[u8]) -> Result<(), Errno> {
        let r = self.resolve(start, path, false)?;
        if r.node.is_some() {
            return Err(Errno::EEXIST);
        }
        let mut up = self.upper.write().unwrap_or_else(|e| e.into_inner());
        up.insert(
            r.path,
            UpperNode::Symlink {
                meta: self.meta(libc::S_IFLNK | 0o777),
                target: target.to_vec(),
            },
        );
        Ok(())
    }

    /// `unlink(2)` (`dir == false`) or `rmdir(2)` (`dir == true`).
    pub fn remove(&self, start: &[u8], path: &[u8], dir: bool) -> Result<(), Errno> {
        let r = self.resolve(start, path, false)?;
        if r.path == b"/" {
            return Err(Errno::EBUSY);
        }
        let node = r.node.ok_or(Errno::ENOENT)?;
        let st = self.stat_node(&r.path, &node)?;
        match (dir, st.is_dir()) {
            (true, false) => return Err(Errno::ENOTDIR),
            (false, true) => return Err(Errno::EISDIR),
            (true, true) => {
                if self.list(&r.path)?.len() > 2 {
                    return Err(Errno::ENOTEMPTY);
                }
            }
            _ => {}
        }
        let lower = self.lower_exists(&r.path);
        let mut up = self.upper.write().unwrap_or_else(|e| e.into_inner());
        if dir {
            let mut prefix = r.path.clone();
            prefix.push(b'/');
            let inner: Vec<Vec<u8>> = up
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, _)| k.clone())
                .collect();
            for k in inner {
                up.remove(&k);
            }
        }
        if lower {
            up.insert(r.path, UpperNode::Whiteout);
        } else {
            up.remove(&r.path);
        }
        Ok(())
    }

    pub(super) fn lower_exists(&self, path: &[u8]) -> bool {
        self.lower_dir_visible(parent_of(path)) && lower::lstat(&self.root, path).is_ok()
    }

    /// The merged entries of a directory, `.` and `..` first.
    pub fn list(&self, path: &[u8]) -> Result<Vec<file::DirEntry>, Errno> {
        let mut names: BTreeMap<Vec<u8>, (u64, u8)> = BTreeMap::new();
        if self.lower_dir_visible(path) {
            for e in lower::read_dir(&self.root, path)? {
                names.insert(e.name, (e.ino, e.kind));
            }
        }
        let mut prefix = path.to_vec();
        if prefix != b"/" {
            prefix.push(b'/');
        }
        {
            let up = self.upper.read().unwrap_or_else(|e| e.into_inner());
            for (k, n) in up
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
            {
                let name = &k[prefix.len()..];
                if name.contains(&b'/') {
                    continue;
                }
                match n {
                    UpperNode::Whiteout => {
                        names.remove(name);
                    }
                    _ => {
                        let st = self.stat_node(k, &Node::Upper(n.clone()))?;
                        names.insert(name.to_vec(), (st.ino, dtype(st.mode)));
                    }
                }
            }
        }
        let self_ino = self.stat(b"/", path, false).map(|s| s.ino).unwrap_or(0);
        let parent_ino = self
            .stat(b"/", parent_of(path), false)
            .map(|s| s.ino)
            .unwrap_or(0);
        let mut out = vec![
            file::DirEntry {
                ino: self_ino,
                kind: libc::DT_DIR,
                name: b".".to_vec(),
            },
            file::DirEntry {
                ino: parent_ino,
                kind: libc::DT_DIR,
                name: b"..".to_vec(),
            },
        ];
        out.extend(
            names
                .into_iter()
                .map(|(name, (ino, kind))| file::DirEntry { ino, kind, name }),
        );
        Ok(out)
    }
}

/// The `S_IFMT` bits of a node without a full stat.
fn node_stat_mode(n: &Node) -> u32 {
    match n {
        Node::Lower(s) => s.mode,
        Node::Upper(UpperNode::Dir { meta, .. })
        | Node::Upper(UpperNode::Symlink { meta, .. })
        | Node::Upper(UpperNode::Device { meta, .. }) => meta.mode,
        Node::Upper(UpperNode::File(f)) => f.meta.lock().unwrap_or_else(|e| e.into_inner()).mode,
        Node::Upper(UpperNode::Whiteout) => 0,
    }
}

/// `DT_*` for a mode.
pub fn dtype(mode: u32) -> u8 {
    match mode & libc::S_IFMT {
        libc::S_IFDIR => libc::DT_DIR,
        libc::S_IFREG => libc::DT_REG,
        libc::S_IFLNK => libc::DT_LNK,
        libc::S_IFCHR => libc::DT_CHR,
        libc::S_IFBLK => libc::DT_BLK,
        libc::S_IFIFO => libc::DT_FIFO,
        libc::S_IFSOCK => libc::DT_SOCK,
        _ => libc::DT_UNKNOWN,
    }
}

/// The non-empty components of a path.
pub fn components(path: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    path.split(|&b| b == b'/').filter(|c| !c.is_empty())
}

/// The parent of a canonical path (`/` for `/`).
pub fn parent_of(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) | None => b"/",
        Some(i) => &path[..i],
    }
}

/// Joins a canonical directory and a name.
pub fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if p != b"/" {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}
