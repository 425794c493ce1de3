//! Changes to existing overlay nodes: metadata (mode, owner, times),
//! removal, hard links and renames. A lower node that changes is first
//! copied into the upper layer.

use super::fs::{Filesystem, MetaChange, Node, OvNode};
use super::overlay::{adjust_nlink, dir_prefix, Overlay};
use super::path::parent_of;
use super::stat::now;
use super::upper::{Meta, Special, SpecialKind, UpperNode};
use crate::kernel::errno::Errno;

/// `renameat2` flags.
pub const RENAME_NOREPLACE: u32 = 1;
/// Swap the two names.
pub const RENAME_EXCHANGE: u32 = 2;
/// Leave a whiteout at the old name (overlayfs); not offered to sandboxes.
pub const RENAME_WHITEOUT: u32 = 4;

impl Overlay {
    /// The upper-layer version of a node, copying a lower one up.
    fn upper_version(&self, path: &[u8], node: &OvNode) -> Result<UpperNode, Errno> {
        if let Some(u) = &node.upper {
            return Ok(u.clone());
        }
        let s = node.lower.ok_or(Errno::ENOENT)?;
        if s.is_regular() {
            return Ok(UpperNode::File(self.copy_up(path, &s)?));
        }
        let mut meta = Meta::from_stat(&s);
        meta.nlink = 1;
        meta.dev = self.dev;
        if s.is_dir() {
            meta.nlink = 2;
            return Ok(UpperNode::Dir { meta, opaque: false });
        }
        if s.is_symlink() {
            let root = self.lower.as_ref().ok_or(Errno::ENOENT)?;
            let target = root.readlink(path)?;
            return Ok(UpperNode::Special(Special::new(meta, SpecialKind::Symlink(target))));
        }
        // Host devices, FIFOs and sockets keep their type but open nothing
        // of the host once copied.
        let kind = match s.file_type() {
            libc::S_IFIFO => SpecialKind::Fifo(super::fifo::Fifo::new()),
            libc::S_IFSOCK => SpecialKind::Socket,
            _ => SpecialKind::Device,
        };
        Ok(UpperNode::Special(Special::new(meta, kind)))
    }

    /// Applies a metadata change to the node at `path`.
    pub(super) fn change_meta(&self, path: &[u8], node: &OvNode, c: &MetaChange) -> Result<(), Errno> {
        let up = self.upper_version(path, node)?;
        let apply = |m: &mut Meta| {
            if let Some(mode) = c.mode {
                m.mode = (m.mode & libc::S_IFMT) | (mode & 0o7777);
            }
            if let Some(u) = c.uid {
                m.uid = u;
            }
            if let Some(g) = c.gid {
                m.gid = g;
            }
            if let Some(a) = c.atime {
                m.atime = a;
            }
            if let Some(t) = c.mtime {
                m.mtime = t;
            }
            m.ctime = now();
        };
        let mut map = self.write();
        let updated = match up {
            UpperNode::File(f) => {
                apply(&mut f.meta.lock().unwrap_or_else(|e| e.into_inner()));
                UpperNode::File(f)
            }
            UpperNode::Special(s) => {
                apply(&mut s.meta.lock().unwrap_or_else(|e| e.into_inner()));
                UpperNode::Special(s)
            }
            UpperNode::Dir { mut meta, opaque } => {
                // Keep a link count maintained meanwhile.
                if let Some(UpperNode::Dir { meta: cur, .. }) = map.get(path) {
                    meta = *cur;
                }
                apply(&mut meta);
                UpperNode::Dir { meta, opaque }
            }
            UpperNode::Whiteout => return Err(Errno::ENOENT),
        };
        map.insert(path.to_vec(), updated);
        Ok(())
    }

    /// Marks directory `dir` modified (mtime and ctime now), as every
    /// name added to or removed from it does in Linux; a lower directory
    /// is copied up to keep the times, as overlayfs copies up a parent.
    pub(super) fn dir_changed(&self, dir: &[u8]) {
        let Ok(Some(Node::Ov(node))) = self.node_at(dir) else {
            return;
        };
        let _ = self.change_meta(dir, &node, &MetaChange { mtime: Some(now()), ..Default::default() });
    }

    /// Removes a name (the generic checks are done).
    pub(super) fn remove_node(&self, path: &[u8], dir: bool) -> Result<(), Errno> {
        let lower = self.lower_exists(path);
        let mut up = self.write();
        if dir {
            // Only whiteouts can remain below an empty directory.
            let prefix = dir_prefix(path);
            let inner: Vec<Vec<u8>> = up
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, _)| k.clone())
                .collect();
            for k in inner {
                up.remove(&k);
            }
            adjust_nlink(&mut up, parent_of(path), -1);
        }
        let old = if lower { up.insert(path.to_vec(), UpperNode::Whiteout) } else { up.remove(path) };
        drop(up);
        self.name_gone(&old);
        drop_link(old);
        Ok(())
    }

    /// Adds the name `new` for the node at `old` (hard link).
    pub(super) fn link_node(&self, old: &[u8], node: &OvNode, new: &[u8]) -> Result<(), Errno> {
        let up = self.upper_version(old, node)?;
        let meta = match &up {
            UpperNode::File(f) => &f.meta,
            UpperNode::Special(s) => &s.meta,
            _ => return Err(Errno::EPERM),
        };
        // Every name of a tmpfs file takes an inode (shmem_link).
        self.take_inode()?;
        {
            let mut m = meta.lock().unwrap_or_else(|e| e.into_inner());
            m.nlink += 1;
            m.ctime = now();
        }
        let mut map = self.write();
        // A lower node copied up now lives at its old name too.
        map.entry(old.to_vec()).or_insert_with(|| up.clone());
        map.insert(new.to_vec(), up);
        Ok(())
    }

    /// Renames after the generic checks. `dst` is the node at `to`, if any.
    pub(super) fn rename_node(
        &self,
        from: &[u8],
        src: &OvNode,
        to: &[u8],
        dst: Option<&OvNode>,
        flags: u32,
    ) -> Result<(), Errno> {
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE) != 0 {
            return Err(Errno::EINVAL);
        }
        if flags & RENAME_EXCHANGE != 0 {
            return self.exchange(from, src, to, dst.ok_or(Errno::ENOENT)?);
        }
        let is_dir = is_dir(src);
        if is_dir && src.lower.is_some() {
            // Like overlayfs without redirects: a directory with lower
            // contents cannot be renamed in place; `mv` copies instead.
            return Err(Errno::EXDEV);
        }
        let moved = self.upper_version(from, src)?;
        let from_lower = self.lower_exists(from);
        let to_lower = self.lower_exists(to);
        let mut map = self.write();
        // Clear whatever was below the destination (only whiteouts can
        // remain below an empty directory).
        let to_prefix = dir_prefix(to);
        let stale: Vec<Vec<u8>> = map
            .range(to_prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&to_prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            map.remove(&k);
        }
        if is_dir {
            let from_prefix = dir_prefix(from);
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
            let replaced_dir = dst.is_some();
            adjust_nlink(&mut map, parent_of(from), -1);
            if !replaced_dir {
                adjust_nlink(&mut map, parent_of(to), 1);
            }
        } else if dst.is_some_and(self::is_dir) {
            return Err(Errno::EISDIR);
        }
        let moved = match moved {
            // A directory moved over a lower one must hide the lower contents.
            UpperNode::Dir { meta, .. } if to_lower => UpperNode::Dir { meta, opaque: true },
            other => other,
        };
        let replaced = map.insert(to.to_vec(), changed_now(moved));
        if from_lower {
            map.insert(from.to_vec(), UpperNode::Whiteout);
        } else {
            map.remove(from);
        }
        drop(map);
        // The replaced file loses a link (the Vfs returns early when both
        // names are links of one inode).
        self.name_gone(&replaced);
        drop_link(replaced);
        Ok(())
    }

    /// RENAME_EXCHANGE of two non-directories or upper-only directories.
    fn exchange(&self, a: &[u8], an: &OvNode, b: &[u8], bn: &OvNode) -> Result<(), Errno> {
        for n in [an, bn] {
            if is_dir(n) && n.lower.is_some() {
                return Err(Errno::EXDEV);
            }
        }
        let ua = self.upper_version(a, an)?;
        let ub = self.upper_version(b, bn)?;
        let mut map = self.write();
        for (from, to) in [(a, b), (b, a)] {
            let prefix = dir_prefix(from);
            let children: Vec<(Vec<u8>, UpperNode)> = map
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (k, v) in children {
                map.remove(&k);
                let mut nk = b"\0swap".to_vec();
                nk.extend_from_slice(to);
                nk.extend_from_slice(&k[from.len()..]);
                map.insert(nk, v);
            }
        }
        let swapped: Vec<(Vec<u8>, UpperNode)> = map
            .range(b"\0swap".to_vec()..)
            .take_while(|(k, _)| k.starts_with(b"\0swap"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in swapped {
            map.remove(&k);
            map.insert(k[5..].to_vec(), v);
        }
        if is_dir(an) != is_dir(bn) {
            let (da, db) = if is_dir(an) { (1, -1) } else { (-1, 1) };
            adjust_nlink(&mut map, parent_of(b), da);
            adjust_nlink(&mut map, parent_of(a), db);
        }
        map.insert(a.to_vec(), changed_now(ub));
        map.insert(b.to_vec(), changed_now(ua));
        Ok(())
    }
}

impl Overlay {
    /// Gives back the tmpfs inode a removed name held (before its link
    /// count drops): a directory's or special node's, or a regular file's
    /// extra link; a file's last name leaves its inode to the file, given
    /// back when its last descriptor closes too (`memcharge.rs`).
    fn name_gone(&self, node: &Option<UpperNode>) {
        let Some(space) = &self.space else { return };
        match node {
            Some(UpperNode::File(f)) if f.meta().nlink > 1 => space.give_inode(),
            Some(UpperNode::Dir { .. } | UpperNode::Special(_)) => space.give_inode(),
            _ => {}
        }
    }
}

fn is_dir(n: &OvNode) -> bool {
    match (&n.upper, &n.lower) {
        (Some(UpperNode::Dir { .. }), _) => true,
        (None, Some(s)) => s.is_dir(),
        _ => false,
    }
}

/// A renamed node's ctime is now, as Linux's file systems mark the inode
/// they move (ext4, tmpfs); `ls -lc`, `find -cmin` and backup tools see it.
fn changed_now(node: UpperNode) -> UpperNode {
    match node {
        UpperNode::File(ref f) => f.meta.lock().unwrap_or_else(|e| e.into_inner()).ctime = now(),
        UpperNode::Special(ref s) => s.meta.lock().unwrap_or_else(|e| e.into_inner()).ctime = now(),
        UpperNode::Dir { mut meta, opaque } => {
            meta.ctime = now();
            return UpperNode::Dir { meta, opaque };
        }
        UpperNode::Whiteout => {}
    }
    node
}

/// One name of a file or special node is gone.
fn drop_link(node: Option<UpperNode>) {
    let meta = match &node {
        Some(UpperNode::File(f)) => &f.meta,
        Some(UpperNode::Special(s)) => &s.meta,
        _ => return,
    };
    let mut m = meta.lock().unwrap_or_else(|e| e.into_inner());
    m.nlink = m.nlink.saturating_sub(1);
    m.ctime = now();
}
