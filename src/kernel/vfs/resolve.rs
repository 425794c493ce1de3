//! Path resolution, component by component, across mounts: symlinks are
//! followed by the sentry (ELOOP after 40), `..` is clamped at the caller's
//! root, absolute symlinks restart there, and magic links jump to canonical
//! sandbox paths or open files. `openat2`'s RESOLVE_* flags restrict the
//! walk. Nothing a path says can lead outside the container root: every
//! position is a canonical sandbox path.

use std::collections::VecDeque;
use std::sync::Arc;

use super::fs::{Link, Node};
use super::mount::{Mount, MountTable};
use super::path::{components, join, parent_of, MAX_SYMLINKS, NAME_MAX};
use super::Vfs;
use crate::kernel::errno::Errno;
use crate::kernel::task::Credentials;

/// `openat2` resolve flags.
pub mod resolve_flags {
    pub const NO_XDEV: u64 = 0x01;
    pub const NO_MAGICLINKS: u64 = 0x02;
    pub const NO_SYMLINKS: u64 = 0x04;
    pub const BENEATH: u64 = 0x08;
    pub const IN_ROOT: u64 = 0x10;
    pub const CACHED: u64 = 0x20;
    pub const ALL: u64 = 0x3f;
}
use resolve_flags as rf;

/// How to resolve a path.
#[derive(Clone, Copy)]
pub struct Lookup<'a> {
    /// The caller's root directory (canonical); `..` and absolute paths
    /// stop there.
    pub root: &'a [u8],
    /// Where relative paths start (canonical).
    pub start: &'a [u8],
    /// Follow a symlink in the last component.
    pub follow: bool,
    /// `openat2` RESOLVE_* flags.
    pub resolve: u64,
    /// Whose lookup it is: every directory walked through must grant them
    /// search (execute) permission, as Linux's `may_lookup`. `None`: the
    /// sentry's own lookups, and walks along a descriptor's canonical path.
    pub creds: Option<&'a Credentials>,
}

impl<'a> Lookup<'a> {
    /// A lookup from `start` with root `/`, without permission checks.
    pub fn new(start: &'a [u8], follow: bool) -> Lookup<'a> {
        Lookup { root: b"/", start, follow, resolve: 0, creds: None }
    }
}

/// EACCES unless `creds` may search the directory of frame `f`.
fn may_search(creds: Option<&Credentials>, f: &Frame) -> Result<(), Errno> {
    let Some(c) = creds else {
        return Ok(());
    };
    // Root of the initial user namespace, where every owner maps, may
    // search any directory: it costs no stat (a merged directory's stat
    // looks at the host).
    if c.is_root() && c.user_ns.is_initial() {
        return Ok(());
    }
    let st = match &f.node {
        Node::Opened(o) => o.ops.stat()?,
        n => f.mount.fs.stat(&f.fs_path, n)?,
    };
    if c.may_access(&st, 1, true) {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// The result of resolving a path.
pub struct Resolved {
    /// The canonical sandbox path (no symlinks, `.` or `..`).
    pub path: Vec<u8>,
    /// The node, or `None` when only the last component is missing (its
    /// parent exists and is a directory), which `O_CREAT` and `mkdir` use.
    pub node: Option<Node>,
    /// The mount holding the path (for a missing name: its parent's).
    pub mount: Arc<Mount>,
    /// The path inside the mount's file system.
    pub fs_path: Vec<u8>,
    /// Whether the path ended in `/` (the node must be a directory).
    pub trailing_slash: bool,
}

impl Resolved {
    /// Metadata of the node (ENOENT if missing).
    pub fn stat(&self) -> Result<super::stat::Stat, Errno> {
        match &self.node {
            Some(Node::Opened(f)) => f.ops.stat(),
            Some(n) => self.mount.fs.stat(&self.fs_path, n),
            None => Err(Errno::ENOENT),
        }
    }

    /// The node's inode flags (`attr.rs`); 0 where none are kept.
    pub fn inode_flags(&self) -> u32 {
        match &self.node {
            Some(Node::Opened(f)) => f.ops.inode_flags(),
            Some(n) => self.mount.fs.inode_flags(&self.fs_path, n),
            None => Ok(0),
        }
        .unwrap_or(0)
    }

    /// True when the path is a mount point (of a mount other than its
    /// parent's file system).
    pub fn is_mount_point(&self) -> bool {
        self.mount.point == self.path && self.node.is_some()
    }
}

/// A directory reached during a walk.
#[derive(Clone)]
struct Frame {
    path: Vec<u8>,
    mount: Arc<Mount>,
    fs_path: Vec<u8>,
    node: Node,
}

/// The frame of a canonical path, looked up directly.
fn frame_at(table: &MountTable, path: &[u8]) -> Result<Frame, Errno> {
    let mount = table.covering(path);
    let fs_path = mount.fs_path(path);
    let node = mount.fs.node_at(&fs_path)?.ok_or(Errno::ENOENT)?;
    Ok(Frame { path: path.to_vec(), mount, fs_path, node })
}

fn mode_of(f: &Frame) -> Result<u32, Errno> {
    match &f.node {
        Node::Opened(o) => o.ops.stat().map(|s| s.mode),
        n => f.mount.fs.mode(&f.fs_path, n),
    }
}

impl Vfs {
    /// Resolves `path` as `lk` says.
    pub fn resolve_with(&self, lk: &Lookup, path: &[u8]) -> Result<Resolved, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        // No length limit here: the names programs pass are held to
        // PATH_MAX when read (`Task::read_path`), but the canonical paths
        // the sentry resolves again (an open directory's, the working
        // directory's) may be longer, as a tree may be deeper in Linux.
        let table = self.mount_table();
        let flags = lk.resolve;
        let beneath = flags & rf::BENEATH != 0;
        let scoped = flags & (rf::BENEATH | rf::IN_ROOT) != 0;
        // `..` and absolute paths stop at this directory.
        let root: &[u8] = if scoped { lk.start } else { lk.root };
        let trailing_slash = path.ends_with(b"/");
        let follow = lk.follow || trailing_slash;
        // Symlink targets ending in `/` that were followed last.
        let mut targets: Vec<Vec<u8>> = Vec::new();
        if path[0] == b'/' && beneath {
            return Err(Errno::EXDEV);
        }
        let first = if path[0] == b'/' { root } else { lk.start };
        let mut stack = vec![frame_at(&table, first)?];
        let mut links = 0;
        let mut pending: VecDeque<Vec<u8>> = components(path).map(|c| c.to_vec()).collect();
        while let Some(comp) = pending.pop_front() {
            // Borrowed, not cloned: a walk takes a step per component.
            let cur = stack.last().ok_or(Errno::ENOENT)?;
            if mode_of(cur)? & libc::S_IFMT != libc::S_IFDIR {
                return Err(Errno::ENOTDIR);
            }
            may_search(lk.creds, cur)?;
            if comp == b"." {
                continue;
            }
            if comp == b".." {
                if cur.path == root || cur.path == b"/" {
                    if beneath {
                        return Err(Errno::EXDEV);
                    }
                    continue;
                }
                let cur_mount = cur.mount.clone();
                if stack.len() > 1 {
                    stack.pop();
                } else {
                    let f = frame_at(&table, parent_of(&cur.path))?;
                    stack[0] = f;
                }
                let up = stack.last().ok_or(Errno::ENOENT)?;
                if flags & rf::NO_XDEV != 0 && !Arc::ptr_eq(&up.mount, &cur_mount) {
                    return Err(Errno::EXDEV);
                }
                continue;
            }
            if comp.len() > NAME_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            let child = join(&cur.path, &comp);
            let is_last = pending.is_empty();
            let cur_mount = cur.mount.clone();
            let (mount, fs_path, node) = match table.at(&child) {
                Some(m) => {
                    if flags & rf::NO_XDEV != 0 {
                        return Err(Errno::EXDEV);
                    }
                    (m.clone(), m.root.clone(), Some(m.root_node()?))
                }
                None => {
                    let fs_path = join(&cur.fs_path, &comp);
                    let node = cur.mount.fs.lookup(&cur.fs_path, &cur.node, &comp)?;
                    (cur_mount.clone(), fs_path, node)
                }
            };
            let link = match &node {
                Some(n) if !is_last || follow => mount.fs.readlink(&fs_path, n),
                _ => None,
            };
            if let Some(link) = link {
                let link = link?;
                if let Some(n) = &node {
                    mount.accessed(&fs_path, n);
                }
                if flags & rf::NO_SYMLINKS != 0 {
                    return Err(Errno::ELOOP);
                }
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(Errno::ELOOP);
                }
                if link.is_magic() {
                    if flags & rf::NO_MAGICLINKS != 0 {
                        return Err(Errno::ELOOP);
                    }
                    if scoped {
                        return Err(Errno::EXDEV);
                    }
                }
                match link {
                    Link::Text(t) => {
                        if t.is_empty() {
                            return Err(Errno::ENOENT);
                        }
                        for c in components(&t).rev() {
                            pending.push_front(c.to_vec());
                        }
                        if t[0] == b'/' {
                            if beneath {
                                return Err(Errno::EXDEV);
                            }
                            let f = frame_at(&table, root)?;
                            if flags & rf::NO_XDEV != 0 && !Arc::ptr_eq(&f.mount, &cur_mount) {
                                return Err(Errno::EXDEV);
                            }
                            stack = vec![f];
                        } else if t.ends_with(b"/") && is_last {
                            // A target ending in `/` must name a directory.
                            targets.push(t);
                        }
                    }
                    Link::Path(p) => {
                        let f = frame_at(&table, &p)?;
                        if flags & rf::NO_XDEV != 0 && !Arc::ptr_eq(&f.mount, &cur_mount) {
                            return Err(Errno::EXDEV);
                        }
                        stack = vec![f];
                    }
                    Link::Refused(e, _) => return Err(e),
                    Link::File(file, _) => {
                        if !is_last {
                            return Err(Errno::ENOTDIR);
                        }
                        let path = if file.path.first() == Some(&b'/') { file.path.clone() } else { child.clone() };
                        return Ok(Resolved {
                            path,
                            node: Some(Node::Opened(file)),
                            mount: cur_mount,
                            fs_path,
                            trailing_slash,
                        });
                    }
                }
                continue;
            }
            match node {
                Some(node) => stack.push(Frame { path: child, mount, fs_path, node }),
                None if is_last => {
                    return Ok(Resolved {
                        path: child,
                        node: None,
                        mount,
                        fs_path,
                        trailing_slash: trailing_slash || !targets.is_empty(),
                    })
                }
                None => return Err(Errno::ENOENT),
            }
        }
        let last = stack.pop().ok_or(Errno::ENOENT)?;
        let trailing = trailing_slash || !targets.is_empty();
        if trailing && mode_of(&last)? & libc::S_IFMT != libc::S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        Ok(Resolved {
            path: last.path,
            node: Some(last.node),
            mount: last.mount,
            fs_path: last.fs_path,
            trailing_slash: trailing,
        })
    }
}
