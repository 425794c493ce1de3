//! Changes to existing nodes: metadata (mode, owner, times) and renames.
//! A lower node that changes is first copied into the upper layer.

use super::stat::now;
use super::upper::{Meta, UpperNode};
use super::{lower, Node, Vfs};
use crate::kernel::errno::Errno;

/// `renameat2` flags.
pub const RENAME_NOREPLACE: u32 = 1;
/// Swap the two names.
pub const RENAME_EXCHANGE: u32 = 2;
/// Leave a whiteout at the old name (overlayfs); not offered to sandboxes.
pub const RENAME_WHITEOUT: u32 = 4;

impl Vfs {
    /// The upper-layer version of a node, copying a lower one up.
    fn upper_version(&self, path: &[u8], node: &Node) -> Result<UpperNode, Errno> {
        match node {
            Node::Upper(n) => Ok(n.clone()),
            Node::Lower(s) if s.is_regular() => Ok(UpperNode::File(self.copy_up(path, s)?)),
            Node::Lower(s) if s.is_dir() => Ok(UpperNode::Dir {
                meta: Meta::from_stat(s),
                opaque: false,
            }),
            Node::Lower(s) if s.is_symlink() => Ok(UpperNode::Symlink {
                meta: Meta::from_stat(s),
                target: lower::readlink(&self.root, path)?,
            }),
            Node::Lower(_) => Err(Errno::EPERM),
        }
    }

    /// Applies `change` to the metadata of the node at `path`.
    pub fn set_meta(
        &self,
        start: &[u8],
        path: &[u8],
        follow: bool,
        change: impl FnOnce(&mut Meta),
    ) -> Result<(), Errno> {
        let r = self.resolve(start, path, follow)?;
        let node = r.node.ok_or(Errno::ENOENT)?;
        let up = self.upper_version(&r.path, &node)?;
        let mut map = self.upper.write().unwrap_or_else(|e| e.into_inner());
        let updated = match up {
            UpperNode::File(f) => {
                change(&mut f.meta.lock().unwrap_or_else(|e| e.into_inner()));
                UpperNode::File(f)
            }
            UpperNode::Dir { mut meta, opaque } => {
                change(&mut meta);
                UpperNode::Dir { meta, opaque }
            }
            UpperNode::Symlink { mut meta, target } => {
                change(&mut meta);
                UpperNode::Symlink { meta, target }
            }
            UpperNode::Device { mut meta, kind } => {
                change(&mut meta);
                UpperNode::Device { meta, kind }
            }
            UpperNode::Whiteout => return Err(Errno::ENOENT),
        };
        map.insert(r.path, updated);
        Ok(())
    }

    /// `chmod`: keeps the file type, replaces the permission bits.
    pub fn chmod(&self, start: &[u8], path: &[u8], follow: bool, mode: u32) -> Result<(), Errno> {
        self.set_meta(start, path, follow, |m| {
            m.mode = (m.mode & libc::S_IFMT) | (mode & 0o7777);
            m.ctime = now();
        })
    }

    /// `chown`: `None` leaves an id unchanged.
    pub fn chown(
        &self,
        start: &[u8],
        path: &[u8],
        follow: bool,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<(), Errno> {
        self.set_meta(start, path, follow, |m| {
            if let Some(u) = uid {
                m.uid = u;
            }
            if let Some(g) = gid {
                m.gid = g;
            }
            m.ctime = now();
        })
    }

    /// `rename(2)`/`renameat2(2)` between two paths of this file system.
    pub fn rename(
        &self,
        old_start: &[u8],
        old: &[u8],
        new_start: &[u8],
        new: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE) != 0
            || flags == RENAME_NOREPLACE | RENAME_EXCHANGE
        {
            return Err(Errno::EINVAL);
        }
        let src = self.resolve(old_start, old, false)?;
        let dst = self.resolve(new_start, new, false)?;
        let src_node = src.node.clone().ok_or(Errno::ENOENT)?;
        if src.path == b"/" || dst.path == b"/" {
            return Err(Errno::EBUSY);
        }
        if is_dot_or_dotdot(old) || is_dot_or_dotdot(new) {
            return Err(Errno::EBUSY);
        }
        let src_stat = self.stat_node(&src.path, &src_node)?;
        if (src.trailing_slash || dst.trailing_slash) && !src_stat.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if src.path == dst.path {
            return Ok(());
        }
        // A directory cannot move below itself.
        if dst.path.starts_with(&src.path) && dst.path.get(src.path.len()) == Some(&b'/') {
            return Err(Errno::EINVAL);
        }
        if flags & RENAME_EXCHANGE != 0 {
            let dst_node = dst.node.clone().ok_or(Errno::ENOENT)?;
            if src.path.starts_with(&dst.path) && src.path.get(dst.path.len()) == Some(&b'/') {
                return Err(Errno::EINVAL);
            }
            return self.exchange(&src.path, &src_node, &dst.path, &dst_node);
        }
        if let Some(dn) = &dst.node {
            if flags & RENAME_NOREPLACE != 0 {
                return Err(Errno::EEXIST);
            }
            let ds = self.stat_node(&dst.path, dn)?;
            match (src_stat.is_dir(), ds.is_dir()) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if self.list(&dst.path)?.len() > 2 => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
        }
        self.move_node(&src.path, &src_node, &dst.path)
    }

    /// Moves one node (and, for an upper-only directory, its subtree).
    fn move_node(&self, from: &[u8], node: &Node, to: &[u8]) -> Result<(), Errno> {
        let is_dir = self.stat_node(from, node)?.is_dir();
        if is_dir && self.lower_dir_visible(from) {
            // Like overlayfs without redirects: a directory with lower
            // contents cannot be renamed in place; `mv` copies instead.
            return Err(Errno::EXDEV);
        }
        let moved = self.upper_version(from, node)?;
        let from_lower = self.lower_exists(from);
        let to_lower = self.lower_exists(to);
        let mut map = self.upper.write().unwrap_or_else(|e| e.into_inner());
        // Clear whatever was at the destination (only whiteouts can remain
        // below an empty directory).
        let mut to_prefix = to.to_vec();
        to_prefix.push(b'/');
        let stale: Vec<Vec<u8>> = map
            .range(to_prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&to_prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            map.remove(&k);
        }
        if is_dir {
            let mut from_prefix = from.to_vec();
            from_prefix.push(b'/');
            let children: Vec<(Vec<u8>, UpperNode)> = map
                .range(from_prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&from_prefix))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (k, v) in children {
                map.remove(&k);
                let mut nk = to.to_vec();
                nk.extend_from_slice(&k[from.len()..]);
                map.insert(nk, v);
            }
        }
        let moved = match moved {
            // A directory moved over a lower one must hide the lower contents.
            UpperNode::Dir { meta, .. } if to_lower => UpperNode::Dir { meta, opaque: true },
            other => other,
        };
        map.insert(to.to_vec(), moved);
        if from_lower {
            map.insert(from.to_vec(), UpperNode::Whiteout);
        } else {
            map.remove(from);
        }
        Ok(())
    }

    /// RENAME_EXCHANGE of two non-directories or upper-only directories.
    fn exchange(&self, a: &[u8], an: &Node, b: &[u8], bn: &Node) -> Result<(), Errno> {
        for (p, n) in [(a, an), (b, bn)] {
            if self.stat_node(p, n)?.is_dir() {
                return Err(Errno::EXDEV);
            }
        }
        let ua = self.upper_version(a, an)?;
        let ub = self.upper_version(b, bn)?;
        let mut map = self.upper.write().unwrap_or_else(|e| e.into_inner());
        map.insert(a.to_vec(), ub);
        map.insert(b.to_vec(), ua);
        Ok(())
    }

    /// Sets access and modification times (`None` leaves one unchanged).
    pub fn set_times(
        &self,
        start: &[u8],
        path: &[u8],
        follow: bool,
        atime: Option<(i64, i64)>,
        mtime: Option<(i64, i64)>,
    ) -> Result<(), Errno> {
        self.set_meta(start, path, follow, |m| {
            if let Some(a) = atime {
                m.atime = a;
            }
            if let Some(t) = mtime {
                m.mtime = t;
            }
            m.ctime = now();
        })
    }
}

fn is_dot_or_dotdot(path: &[u8]) -> bool {
    matches!(super::components(path).last(), Some(b".") | Some(b".."))
}
