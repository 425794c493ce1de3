//! The sandbox's file system: a mount namespace (`mount.rs`) whose root is
//! the container root overlay (a host directory seen read-only under an
//! in-memory layer, `overlay.rs`), with `/proc` (`procfs/`), `/dev` (a tmpfs
//! with the sentry's devices, `devfs.rs`), `/dev/pts` (`devpts.rs`),
//! `/dev/shm` (tmpfs), an empty read-only `/sys`, and the bind mounts the
//! caller asks for (`hostfs.rs`). Paths are resolved here (`resolve.rs`),
//! component by component, with symlinks followed by the sentry and `..`
//! clamped at the caller's root; host files are only ever opened by a
//! canonical path with `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS)`, so
//! no path escapes. Nothing written reaches the host but through a
//! read-write bind mount.
//!
//! This file holds the operations common to every file system: the checks
//! Linux makes before a file system is asked (existence, types, read-only
//! mounts, mount points, crossing mounts, permissions), then the call.

pub mod attr;
pub mod cgroupfs;
pub mod change;
pub mod devfs;
pub mod devpts;
pub mod dir;
pub mod dnotify;
pub mod fifo;
pub mod file;
pub mod fs;
pub mod hostfs;
pub mod kstrto;
pub mod lock;
pub mod lower;
pub mod memcharge;
pub mod memfile;
pub mod mount;
pub mod mqueuefs;
pub mod notify;
pub mod nsbind;
pub mod overlay;
pub mod path;
pub mod procfs;
pub mod resolve;
pub mod stat;
pub mod sysfs;
pub mod sysfs_host;
pub mod tmpfs_opts;
pub mod tmpfs_space;
pub mod upper;
pub mod writecount;
pub mod xattr;

use std::path::Path;
use std::sync::{Arc, RwLock};

use crate::kernel::errno::Errno;
use crate::kernel::task::Credentials;
use crate::kernel::tty::Devpts;
use file::{DirEntry, FileOps, OpenFile};
use fs::{MetaChange, Node, OpenReq, Owner, StatFs};
use mount::{Mount, MountTable, NewMount};
use notify::Subject;
#[allow(unused_imports)]
pub use path::{components, dtype, join, parent_of, MAX_SYMLINKS, NAME_MAX, PATH_MAX};
pub use resolve::{Lookup, Resolved};
use stat::Stat;

/// The canonical (old, new) paths of a name a rename moved.
pub type MovedPaths = (Vec<u8>, Vec<u8>);

/// A bind mount asked for when the sandbox starts.
#[derive(Clone, Debug)]
pub struct BindSpec {
    /// The host file or directory.
    pub source: std::path::PathBuf,
    /// Where it shows in the sandbox (absolute).
    pub target: String,
    /// Read-only (writes give EROFS).
    pub readonly: bool,
}

/// Who is asking: credentials for permission checks and the owner of new
/// nodes. `None` credentials skip the checks (the sentry itself).
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    pub creds: Option<&'a Credentials>,
}

impl Caller<'_> {
    /// The sentry itself: no permission checks, root owns what it makes.
    pub const SENTRY: Caller<'static> = Caller { creds: None };

    fn owner(&self) -> Owner {
        self.creds.map(|c| Owner { uid: c.euid, gid: c.egid }).unwrap_or_default()
    }

    /// Checks `mode` (R=4, W=2, X=1) on a file.
    pub fn check(&self, st: &Stat, mode: u32) -> Result<(), Errno> {
        match self.creds {
            Some(c) if !c.may_access(st, mode, true) => Err(Errno::EACCES),
            _ => Ok(()),
        }
    }
}

/// The owner and mode of a node `who` creates in directory `dir` (see
/// `Vfs::creation_parent`); `mode` holds the file type.
fn owner_in(dir: &Stat, mode: u32, who: Caller) -> (Owner, u32) {
    let mut owner = who.owner();
    let mut mode = mode;
    if dir.mode & libc::S_ISGID != 0 {
        owner.gid = dir.gid;
        if mode & libc::S_IFMT == libc::S_IFDIR {
            mode |= libc::S_ISGID;
        } else if mode & (libc::S_ISGID | libc::S_IXGRP) == libc::S_ISGID | libc::S_IXGRP {
            let privileged =
                who.creds.is_none_or(|c| c.root_over_file(dir) || c.egid == dir.gid || c.groups.contains(&dir.gid));
            if !privileged {
                mode &= !libc::S_ISGID;
            }
        }
    }
    (owner, mode)
}

/// A mount namespace: a mount table over the sandbox's file systems.
/// CLONE_NEWNS makes a copy (`new_namespace`) that shares the file
/// systems, devices and extended attributes and changes its mounts alone.
pub struct Vfs {
    /// The mount table; replaced whole on every change.
    mounts: RwLock<Arc<MountTable>>,
    /// The sandbox's pseudo-terminals (`/dev/ptmx`, `/dev/pts`).
    pub devpts: Arc<Devpts>,
    /// `/proc`.
    pub procfs: Arc<procfs::ProcFs>,
    /// `/sys/fs/cgroup`.
    pub cgroupfs: Arc<cgroupfs::CgroupFs>,
    /// Extended attributes set in the sandbox (`xattr.rs`), shared by all
    /// mount namespaces (they belong to files).
    xattrs: Arc<std::sync::Mutex<xattr::XattrStore>>,
    /// The terminal `/dev/console` opens, in console mode (`devfs.rs`);
    /// shared by all mount namespaces.
    console: Arc<std::sync::Mutex<Option<Arc<dyn crate::kernel::tty::job::Terminal>>>>,
    /// The namespace's inode number (`/proc/<pid>/ns/mnt`).
    ino: u64,
    /// The user namespace that owns this mount namespace: its root may
    /// mount and unmount here.
    owner: Arc<crate::kernel::ns::UserNamespace>,
}

impl std::fmt::Debug for Vfs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mnt:[{}]", self.ino)
    }
}

impl Vfs {
    /// The container root from host directory `root`, with `/proc`, `/dev`
    /// and `/sys` mounted, and bind mounts of host paths.
    pub fn with_binds(root: &Path, binds: &[BindSpec]) -> Result<Arc<Vfs>, std::io::Error> {
        let lower = lower::open_root(root)?;
        let root_fs = overlay::Overlay::new(lower, stat::ROOT_DEV);
        for d in [&b"/proc"[..], b"/sys", b"/dev"] {
            root_fs.insert(d, libc::S_IFDIR | 0o755, 0, None);
        }
        let table = MountTable::new(NewMount {
            fs: root_fs.clone(),
            root: b"/".to_vec(),
            flags: mount::flags::RELATIME,
            source: "overlay".into(),
            data: String::new(),
            dev: stat::ROOT_DEV,
        });
        let devpts = Arc::new(Devpts::default());
        let procfs = procfs::ProcFs::new(mount::alloc_dev());
        let vfs = Vfs {
            mounts: RwLock::new(Arc::new(table)),
            devpts,
            procfs,
            cgroupfs: cgroupfs::CgroupFs::new(mount::alloc_dev()),
            xattrs: Default::default(),
            ino: crate::kernel::ns::pid::alloc_ns_ino(),
            console: Default::default(),
            owner: crate::kernel::ns::UserNamespace::init(),
        };
        vfs.mount_system();
        for b in binds {
            vfs.bind_host(b)?;
        }
        Ok(Arc::new(vfs))
    }

    /// Mounts `/proc`, `/dev` (with `/dev/pts`, `/dev/shm`) and `/sys` (with
    /// `/sys/fs/cgroup`).
    fn mount_system(&self) {
        use mount::flags::*;
        let procfs: Arc<dyn fs::Filesystem> = self.procfs.clone();
        // Not by stat: that needs the kernel, attached only later.
        let proc_dev = self.procfs.dev();
        let dev_dev = mount::alloc_dev();
        let devfs = devfs::build(dev_dev);
        // The device number the TTY layer's pty files report (`fstat`), so
        // `ttyname` matches them with their `/dev/pts` nodes.
        let pts_dev = devpts::DEVPTS_DEV;
        let shm_dev = mount::alloc_dev();
        let sys_dev = mount::alloc_dev();
        let mut t = (*self.mount_table()).clone();
        let m = |fs: Arc<dyn fs::Filesystem>, flags, source: &str, data: &str, dev| NewMount {
            fs,
            root: b"/".to_vec(),
            flags,
            source: source.into(),
            data: data.into(),
            dev,
        };
        t.add(b"/proc", m(procfs, NOSUID | NODEV | NOEXEC | RELATIME, "proc", "", proc_dev));
        let dev_opts = tmpfs_opts::TmpfsOptions::with_size(0o755, devfs::DEV_SIZE).shown();
        t.add(b"/dev", m(devfs, NOSUID, "tmpfs", &dev_opts, dev_dev));
        let pts = devpts::DevptsFs::new(self.devpts.clone(), pts_dev);
        t.add(b"/dev/pts", m(pts, NOSUID | NOEXEC | RELATIME, "devpts", "gid=5,mode=620,ptmxmode=666", pts_dev));
        let shm_opts = tmpfs_opts::TmpfsOptions::with_size(0o1777, devfs::DEV_SIZE);
        let shm = overlay::Overlay::tmpfs_with(shm_dev, &shm_opts);
        t.add(b"/dev/shm", m(shm, NOSUID | NODEV | NOEXEC | RELATIME, "shm", &shm_opts.shown(), shm_dev));
        let sys = sysfs::SysFs::new(sys_dev);
        t.add(b"/sys", m(sys, RDONLY | NOSUID | NODEV | NOEXEC | RELATIME, "sysfs", "", sys_dev));
        let cgroup_dev = self.cgroupfs.dev();
        let cgroup: Arc<dyn fs::Filesystem> = self.cgroupfs.clone();
        t.add(b"/sys/fs/cgroup", m(cgroup, RDONLY | NOSUID | NODEV | NOEXEC | RELATIME, "cgroup", "", cgroup_dev));
        self.set_mount_table(t);
    }

    /// Adds a bind mount of a host path, creating its mount point in the
    /// root overlay if needed.
    fn bind_host(&self, b: &BindSpec) -> Result<(), std::io::Error> {
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{}: {m}", b.target));
        if !b.target.starts_with('/') {
            return Err(bad("the mount point must be an absolute path"));
        }
        let dev = mount::alloc_dev();
        let fs = hostfs::HostFs::new(&b.source, dev)?;
        let is_dir = std::fs::metadata(&b.source)?.is_dir();
        let point = self
            .make_mount_point(b.target.as_bytes(), is_dir)
            .map_err(|e| bad(&format!("cannot create the mount point: {e}")))?;
        let mut t = (*self.mount_table()).clone();
        let flags = if b.readonly { mount::flags::RDONLY } else { 0 } | mount::flags::RELATIME;
        t.add(
            &point,
            NewMount {
                fs,
                root: b"/".to_vec(),
                flags,
                source: b.source.to_string_lossy().into_owned(),
                data: String::new(),
                dev,
            },
        );
        self.set_mount_table(t);
        Ok(())
    }

    /// Resolves (creating as needed, like `mkdir -p`) a mount point and
    /// returns its canonical path.
    fn make_mount_point(&self, target: &[u8], dir: bool) -> Result<Vec<u8>, Errno> {
        let mut cur = b"/".to_vec();
        let comps: Vec<&[u8]> = components(target).collect();
        for (i, c) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            let r = self.resolve_with(&Lookup::new(&cur, true), c)?;
            if r.node.is_none() {
                if last && !dir {
                    drop(r.mount.fs.create(&r.fs_path, 0o644, Owner::default())?);
                } else {
                    r.mount.fs.mkdir(&r.fs_path, 0o755, Owner::default())?;
                }
            }
            cur = r.path;
        }
        Ok(cur)
    }

    /// A new mount namespace starting with this one's mounts (CLONE_NEWNS).
    pub fn new_namespace(&self, owner: &Arc<crate::kernel::ns::UserNamespace>) -> Arc<Vfs> {
        Arc::new(Vfs {
            mounts: RwLock::new(self.mount_table()),
            devpts: self.devpts.clone(),
            procfs: self.procfs.clone(),
            cgroupfs: self.cgroupfs.clone(),
            xattrs: self.xattrs.clone(),
            console: self.console.clone(),
            ino: crate::kernel::ns::pid::alloc_ns_ino(),
            owner: owner.clone(),
        })
    }

    /// The user namespace that owns this mount namespace.
    pub fn owner(&self) -> &Arc<crate::kernel::ns::UserNamespace> {
        &self.owner
    }

    /// The namespace's inode number (`/proc/<pid>/ns/mnt`).
    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// The current mount table.
    pub fn mount_table(&self) -> Arc<MountTable> {
        self.mounts.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the mount table.
    pub fn set_mount_table(&self, t: MountTable) {
        *self.mounts.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(t);
    }

    /// Changes the mount table under its lock.
    pub fn change_mounts<T>(&self, f: impl FnOnce(&mut MountTable) -> Result<T, Errno>) -> Result<T, Errno> {
        let mut guard = self.mounts.write().unwrap_or_else(|e| e.into_inner());
        let mut t = (**guard).clone();
        let r = f(&mut t)?;
        *guard = Arc::new(t);
        Ok(r)
    }

    /// Resolves `path` relative to `start`, with root `/`.
    pub fn resolve(&self, start: &[u8], path: &[u8], follow: bool) -> Result<Resolved, Errno> {
        self.resolve_with(&Lookup::new(start, follow), path)
    }

    /// `stat`/`lstat` of a path.
    pub fn stat(&self, start: &[u8], path: &[u8], follow: bool) -> Result<Stat, Errno> {
        self.resolve(start, path, follow)?.stat()
    }

    /// Metadata of the node at canonical `path` (found by `resolve`).
    pub fn stat_node(&self, path: &[u8], node: &Node) -> Result<Stat, Errno> {
        if let Node::Opened(f) = node {
            return f.ops.stat();
        }
        let m = self.mount_table().covering(path);
        m.fs.stat(&m.fs_path(path), node)
    }

    /// `readlink` of a path (the last component is not followed).
    pub fn readlink(&self, lk: &Lookup, path: &[u8]) -> Result<Vec<u8>, Errno> {
        let lk = Lookup { follow: false, ..*lk };
        let r = self.resolve_with(&lk, path)?;
        let node = r.node.ok_or(Errno::ENOENT)?;
        let link = r.mount.fs.readlink(&r.fs_path, &node).ok_or(Errno::EINVAL)??;
        r.mount.accessed(&r.fs_path, &node);
        Ok(match link {
            fs::Link::Path(p) => path::relative_to_root(&p, lk.root).to_vec(),
            l => l.text(),
        })
    }

    /// `open(2)`: `mode` is used with `O_CREAT` (already masked by the
    /// umask); `lk.follow` is decided here from the flags.
    pub fn open_with(
        self: &Arc<Self>,
        lk: &Lookup,
        path: &[u8],
        flags: u32,
        mode: u32,
        who: Caller,
    ) -> Result<OpenFile, Errno> {
        let o = flags as i32;
        let creat = o & libc::O_CREAT != 0 && o & libc::O_TMPFILE != libc::O_TMPFILE;
        let follow = o & libc::O_NOFOLLOW == 0 && !(creat && o & libc::O_EXCL != 0);
        if o & libc::O_TMPFILE == libc::O_TMPFILE {
            return self.open_tmpfile(lk, path, flags, mode, who);
        }
        let r = self.resolve_with(&Lookup { follow, ..*lk }, path)?;
        self.open_resolved(r, flags, mode, who)
    }

    /// Opens what a path resolved to.
    pub fn open_resolved(self: &Arc<Self>, r: Resolved, flags: u32, mode: u32, who: Caller) -> Result<OpenFile, Errno> {
        let o = flags as i32;
        let acc = o & libc::O_ACCMODE;
        let wants_write = acc == libc::O_WRONLY || acc == libc::O_RDWR;
        let creat = o & libc::O_CREAT != 0;
        let trunc = o & libc::O_TRUNC != 0;
        let node = match r.node {
            Some(n) => {
                if creat && o & libc::O_EXCL != 0 {
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
                let (owner, mode) = owner_in(&self.creation_parent(&r, who)?, mode, who);
                let ops = r.mount.fs.create(&r.fs_path, mode, owner)?;
                notify::event(Subject::name(r.mount.dev, &r.path, false), notify::IN_CREATE);
                // No program runs from a new file: its write access is free.
                let access = if wants_write {
                    ops.stat().ok().and_then(|st| writecount::WriteAccess::get(&st).ok())
                } else {
                    None
                };
                return Ok(opened(OpenFile::new(ops, r.path, flags).holding(access)));
            }
        };
        if let Node::Opened(f) = &node {
            return self.reopen(f, flags, who);
        }
        let st = r.mount.fs.stat(&r.fs_path, &node)?;
        let path_only = o & libc::O_PATH != 0;
        if st.is_symlink() {
            // Only reachable with O_NOFOLLOW (or O_CREAT|O_EXCL, handled above);
            // a symlink is no directory, whatever else was asked.
            if o & libc::O_DIRECTORY != 0 {
                return Err(Errno::ENOTDIR);
            }
            return if path_only {
                Ok(OpenFile::new(Box::new(dir::PathOnly(st)), r.path, flags))
            } else {
                Err(Errno::ELOOP)
            };
        }
        if o & libc::O_DIRECTORY != 0 && !st.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if path_only {
            return Ok(OpenFile::new(Box::new(dir::PathOnly(st)), r.path, flags));
        }
        if st.is_dir() {
            if wants_write || creat {
                return Err(Errno::EISDIR);
            }
            who.check(&st, 4)?;
            return Ok(opened(OpenFile::new(
                Box::new(dir::DirHandle::new(self.clone(), r.path.clone(), r.mount.fs.dir_process(&node))),
                r.path,
                flags,
            )));
        }
        let mut want = 0;
        if acc == libc::O_RDONLY || acc == libc::O_RDWR {
            want |= 4;
        }
        if wants_write || (trunc && st.is_regular()) {
            want |= 2;
        }
        // Linux's may_open: an immutable file opens for no writing (EPERM
        // before the permission check), an append-only one only to append.
        let iflags = r.mount.fs.inode_flags(&r.fs_path, &node).unwrap_or(0);
        if want & 2 != 0 && attr::immutable(iflags) {
            return Err(Errno::EPERM);
        }
        // Terminals' owners are not tracked (pty nodes show root:tty 0620):
        // character devices are not checked.
        if st.file_type() != libc::S_IFCHR {
            who.check(&st, want)?;
        }
        if attr::append_only(iflags) && ((acc != libc::O_RDONLY && o & libc::O_APPEND == 0) || trunc) {
            return Err(Errno::EPERM);
        }
        let mut access = None;
        let ops: Box<dyn FileOps> = match st.file_type() {
            libc::S_IFREG => {
                let write = wants_write || trunc;
                if write && r.mount.readonly() {
                    return Err(Errno::EROFS);
                }
                // A running program's file opens for no writing (ETXTBSY);
                // O_TRUNC alone asks for write access only to truncate.
                let grant = if write { Some(writecount::WriteAccess::get(&st)?) } else { None };
                let ops = r.mount.fs.open(&r.fs_path, &node, OpenReq { flags, write })?;
                if trunc {
                    ops.truncate(0)?;
                    notify::event(Subject::inode(&st, &r.path), notify::IN_MODIFY);
                }
                access = grant.filter(|_| wants_write);
                ops
            }
            libc::S_IFCHR => {
                if r.mount.flags & mount::flags::NODEV != 0 {
                    return Err(Errno::EACCES);
                }
                devfs::open(self, &st, flags)?
            }
            // A FIFO has no direct I/O to open for (packet mode is F_SETFL's).
            libc::S_IFIFO if o & libc::O_DIRECT != 0 => return Err(Errno::EINVAL),
            libc::S_IFIFO => r.mount.fs.open(&r.fs_path, &node, OpenReq { flags, write: false })?,
            _ => return Err(Errno::ENXIO),
        };
        Ok(opened(OpenFile::new(ops, r.path, flags).holding(access)))
    }

    /// Opens the file a magic link leads to, anew.
    fn reopen(self: &Arc<Self>, f: &Arc<OpenFile>, flags: u32, who: Caller) -> Result<OpenFile, Errno> {
        let o = flags as i32;
        if o & libc::O_DIRECTORY != 0 && !f.ops.stat()?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if o & libc::O_PATH != 0 {
            return Ok(OpenFile::new(Box::new(dir::PathOnly(f.ops.stat()?)), f.path.clone(), flags));
        }
        if let Some(ops) = f.ops.reopen(flags) {
            let ops = ops?;
            let st = ops.stat()?;
            // Through the magic link too, a running program's file opens
            // for no writing (`writecount.rs`).
            let acc = o & libc::O_ACCMODE;
            let wants_write = acc == libc::O_WRONLY || acc == libc::O_RDWR;
            let trunc = o & libc::O_TRUNC != 0 && st.is_regular();
            let grant =
                if st.is_regular() && (wants_write || trunc) { Some(writecount::WriteAccess::get(&st)?) } else { None };
            if trunc {
                ops.truncate(0)?;
            }
            return Ok(OpenFile::new(ops, f.path.clone(), flags).holding(grant.filter(|_| wants_write)));
        }
        if f.path.first() == Some(&b'/') {
            let r = self.resolve(b"/", &f.path, true)?;
            return self.open_resolved(r, flags & !(libc::O_CREAT | libc::O_EXCL) as u32, 0, who);
        }
        Err(Errno::ENXIO)
    }

    /// `O_TMPFILE`: an unnamed regular file in a directory's file system.
    fn open_tmpfile(
        self: &Arc<Self>,
        lk: &Lookup,
        path: &[u8],
        flags: u32,
        mode: u32,
        who: Caller,
    ) -> Result<OpenFile, Errno> {
        let o = flags as i32;
        let acc = o & libc::O_ACCMODE;
        if acc != libc::O_WRONLY && acc != libc::O_RDWR {
            return Err(Errno::EINVAL);
        }
        let r = self.resolve_with(&Lookup { follow: true, ..*lk }, path)?;
        let st = r.stat()?;
        if !st.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if r.mount.readonly() {
            return Err(Errno::EROFS);
        }
        if attr::immutable(r.inode_flags()) {
            return Err(Errno::EPERM);
        }
        who.check(&st, 3)?;
        let (owner, mode) = owner_in(&st, libc::S_IFREG | (mode & 0o7777), who);
        let f = r.mount.fs.tmpfile(&r.fs_path, mode, owner)?;
        // O_EXCL: the file may never be linked into the tree.
        if o & libc::O_EXCL == 0 {
            f.set_linkable();
        }
        // Linux's name of an unnamed file: its inode number.
        let ino = f.meta().ino;
        let name = format!("{}/#{ino} (deleted)", String::from_utf8_lossy(&r.path).trim_end_matches('/'));
        let flags = flags & !(libc::O_TMPFILE & !libc::O_DIRECTORY) as u32;
        Ok(OpenFile::new(Box::new(upper::MemFileHandle(f)), name.into_bytes(), flags))
    }

    /// Write and search permission on the parent of a missing or removed
    /// name (Linux's inode_permission: a read-only mount, then an immutable
    /// directory, then the mode); returns the parent's inode flags.
    fn check_parent(&self, r: &Resolved, who: Caller) -> Result<u32, Errno> {
        if r.mount.readonly() {
            return Err(Errno::EROFS);
        }
        let flags = parent_flags(r);
        if attr::immutable(flags) {
            return Err(Errno::EPERM);
        }
        // Root of the initial user namespace may always; root of another
        // only where the directory's ids map (may_access decides).
        if who.creds.is_some_and(|c| !(c.is_root() && c.user_ns.is_initial())) {
            let parent = self.stat(b"/", parent_of(&r.path), false)?;
            who.check(&parent, 3)?;
        }
        Ok(flags)
    }

    /// Linux's may_delete for the flags: no name leaves an append-only
    /// directory (`dir_flags`), and an immutable or append-only node keeps
    /// its names.
    fn check_deletable(dir_flags: u32, r: &Resolved) -> Result<(), Errno> {
        if attr::append_only(dir_flags) || attr::frozen(r.inode_flags()) {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// The directory a name is created in, once `who` may write and search
    /// it: its metadata decides the new node's group and mode (`owner_in`).
    fn creation_parent(&self, r: &Resolved, who: Caller) -> Result<Stat, Errno> {
        if r.mount.readonly() {
            return Err(Errno::EROFS);
        }
        let parent = self.stat(b"/", parent_of(&r.path), false)?;
        if attr::immutable(parent_flags(r)) {
            return Err(Errno::EPERM);
        }
        who.check(&parent, 3)?;
        Ok(parent)
    }

    /// Resolves the name a call creates: it must not exist.
    fn resolve_missing(&self, lk: &Lookup, path: &[u8]) -> Result<Resolved, Errno> {
        let r = self.resolve_with(&Lookup { follow: false, ..*lk }, path)?;
        if r.node.is_some() {
            return Err(Errno::EEXIST);
        }
        Ok(r)
    }

    /// `mkdir(2)`; `mode` is already masked by the umask.
    pub fn mkdir(&self, lk: &Lookup, path: &[u8], mode: u32, who: Caller) -> Result<(), Errno> {
        let r = self.resolve_missing(lk, path)?;
        let (owner, mode) = owner_in(&self.creation_parent(&r, who)?, mode | libc::S_IFDIR, who);
        r.mount.fs.mkdir(&r.fs_path, mode & !libc::S_IFMT, owner)?;
        notify::event(Subject::name(r.mount.dev, &r.path, true), notify::IN_CREATE);
        Ok(())
    }

    /// `mknod(2)` of a FIFO, socket or device (`mode` holds the type).
    pub fn mknod(&self, lk: &Lookup, path: &[u8], mode: u32, rdev: u64, who: Caller) -> Result<(), Errno> {
        let r = self.resolve_missing(lk, path)?;
        let parent = self.creation_parent(&r, who)?;
        if r.trailing_slash {
            return Err(Errno::ENOENT);
        }
        let (owner, mode) = owner_in(&parent, mode, who);
        if mode & libc::S_IFMT == libc::S_IFREG {
            drop(r.mount.fs.create(&r.fs_path, mode, owner)?);
        } else {
            r.mount.fs.mknod(&r.fs_path, mode, rdev, owner)?;
        }
        notify::event(Subject::name(r.mount.dev, &r.path, false), notify::IN_CREATE);
        Ok(())
    }

    /// `symlink(2)`: creates `path` pointing to `target`.
    pub fn symlink(&self, lk: &Lookup, target: &[u8], path: &[u8], who: Caller) -> Result<(), Errno> {
        let r = self.resolve_missing(lk, path)?;
        let parent = self.creation_parent(&r, who)?;
        if r.trailing_slash {
            return Err(Errno::ENOENT);
        }
        let (owner, _) = owner_in(&parent, libc::S_IFLNK | 0o777, who);
        r.mount.fs.symlink(&r.fs_path, target, owner)?;
        notify::event(Subject::name(r.mount.dev, &r.path, false), notify::IN_CREATE);
        Ok(())
    }

    /// `link(2)`: `old_lk.follow` says whether a symlink `old` is followed.
    pub fn link(&self, old_lk: &Lookup, old: &[u8], new_lk: &Lookup, new: &[u8], who: Caller) -> Result<(), Errno> {
        let src = self.resolve_with(old_lk, old)?;
        let node = src.node.clone().ok_or(Errno::ENOENT)?;
        if let Node::Opened(f) = &node {
            return self.link_open(f, new_lk, new, who);
        }
        if src.stat()?.is_dir() {
            return Err(Errno::EPERM);
        }
        let dst = self.resolve_missing(new_lk, new)?;
        self.check_parent(&dst, who)?;
        if dst.trailing_slash {
            return Err(Errno::ENOENT);
        }
        if !Arc::ptr_eq(&src.mount, &dst.mount) {
            return Err(Errno::EXDEV);
        }
        if attr::frozen(src.inode_flags()) {
            return Err(Errno::EPERM);
        }
        let st = src.stat()?;
        src.mount.fs.link(&src.fs_path, &node, &dst.fs_path)?;
        // The inode's link count changed; the directory has a new name.
        notify::event(Subject::inode(&st, b""), notify::IN_ATTRIB);
        notify::event(Subject::name(dst.mount.dev, &dst.path, false), notify::IN_CREATE);
        Ok(())
    }

    /// Links the file of an open descriptor (`linkat(fd, "", AT_EMPTY_PATH)`,
    /// or `/proc/self/fd/N` with AT_SYMLINK_FOLLOW). An in-memory file is
    /// linked as the file itself (its path may be stale: an O_TMPFILE
    /// file's name is made up); an unnamed one only if it is a linkable
    /// O_TMPFILE file, once; any other file through its path, ENOENT if it
    /// has no name, as in Linux.
    pub fn link_open(&self, f: &OpenFile, new_lk: &Lookup, new: &[u8], who: Caller) -> Result<(), Errno> {
        let st = f.ops.stat()?;
        let file = f.ops.as_any().and_then(|a| a.downcast_ref::<upper::MemFileHandle>()).map(|h| h.0.clone());
        let Some(file) = file else {
            if st.nlink == 0 || f.path.first() != Some(&b'/') {
                return Err(Errno::ENOENT);
            }
            let lk = Lookup { root: new_lk.root, start: b"/", follow: false, resolve: 0, creds: None };
            return self.link(&lk, &f.path, new_lk, new, who);
        };
        let dst = self.resolve_missing(new_lk, new)?;
        self.check_parent(&dst, who)?;
        if dst.trailing_slash {
            return Err(Errno::ENOENT);
        }
        if file.meta().dev != dst.mount.dev {
            return Err(Errno::EXDEV);
        }
        if attr::frozen(file.meta().attrs) {
            return Err(Errno::EPERM);
        }
        let unnamed = st.nlink == 0;
        if unnamed && !file.take_linkable() {
            return Err(Errno::ENOENT);
        }
        if let Err(e) = dst.mount.fs.link_file(&file, &dst.fs_path) {
            if unnamed {
                file.set_linkable();
            }
            return Err(e);
        }
        notify::event(Subject::inode(&st, b""), notify::IN_ATTRIB);
        notify::event(Subject::name(dst.mount.dev, &dst.path, false), notify::IN_CREATE);
        Ok(())
    }

    /// `unlink(2)` (`dir == false`) or `rmdir(2)` (`dir == true`).
    pub fn remove(&self, lk: &Lookup, path: &[u8], dir: bool, who: Caller) -> Result<(), Errno> {
        let r = self.resolve_with(&Lookup { follow: false, ..*lk }, path)?;
        if r.path == b"/" || r.path == lk.root || r.is_mount_point() {
            return Err(Errno::EBUSY);
        }
        let node = r.node.clone().ok_or(Errno::ENOENT)?;
        let st = r.stat()?;
        // As Linux's may_delete: permission and flags, then the types.
        let dir_flags = self.check_parent(&r, who)?;
        Self::check_deletable(dir_flags, &r)?;
        self.check_sticky(&r, &st, who)?;
        match (dir, st.is_dir()) {
            (true, false) => return Err(Errno::ENOTDIR),
            (false, true) => return Err(Errno::EISDIR),
            (true, true) if !r.mount.fs.has_rmdir() => return Err(Errno::EPERM),
            (true, true) if !r.mount.fs.list(&r.fs_path, &node)?.is_empty() => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        r.mount.fs.remove(&r.fs_path, &node, dir)?;
        if notify::active() {
            notify_removed(&r.path, &st);
        }
        Ok(())
    }

    /// The sticky bit of a directory lets only owners remove names in it.
    fn check_sticky(&self, r: &Resolved, st: &Stat, who: Caller) -> Result<(), Errno> {
        let Some(c) = who.creds.filter(|c| !c.root_over_file(st)) else {
            return Ok(());
        };
        let parent = self.stat(b"/", parent_of(&r.path), false)?;
        if parent.mode & libc::S_ISVTX != 0 && st.uid != c.euid && parent.uid != c.euid {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// `rename(2)`/`renameat2(2)`. Returns the canonical paths of the
    /// source and target when a name moved (`None` when nothing happened).
    pub fn rename(
        &self,
        old_lk: &Lookup,
        old: &[u8],
        new_lk: &Lookup,
        new: &[u8],
        flags: u32,
        who: Caller,
    ) -> Result<Option<MovedPaths>, Errno> {
        use change::{RENAME_EXCHANGE, RENAME_NOREPLACE};
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | change::RENAME_WHITEOUT) != 0
            || flags == RENAME_NOREPLACE | RENAME_EXCHANGE
            || (flags & change::RENAME_WHITEOUT != 0 && flags & RENAME_EXCHANGE != 0)
        {
            return Err(Errno::EINVAL);
        }
        if flags & change::RENAME_WHITEOUT != 0 {
            // Needs CAP_MKNOD in the initial namespace, as for overlayfs.
            return Err(Errno::EPERM);
        }
        let src = self.resolve_with(&Lookup { follow: false, ..*old_lk }, old)?;
        let dst = self.resolve_with(&Lookup { follow: false, ..*new_lk }, new)?;
        let src_node = src.node.clone().ok_or(Errno::ENOENT)?;
        if is_dot_or_dotdot(old) || is_dot_or_dotdot(new) {
            return Err(Errno::EBUSY);
        }
        if src.path == b"/" || dst.path == b"/" || src.is_mount_point() || dst.is_mount_point() {
            return Err(Errno::EBUSY);
        }
        if !Arc::ptr_eq(&src.mount, &dst.mount) {
            return Err(Errno::EXDEV);
        }
        let src_stat = src.stat()?;
        if (src.trailing_slash || dst.trailing_slash) && !src_stat.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        // As Linux: an existing target is EEXIST under RENAME_NOREPLACE even
        // when it is the source itself (`mv d d` relies on it).
        if flags & RENAME_NOREPLACE != 0 && dst.node.is_some() {
            return Err(Errno::EEXIST);
        }
        let src_dir_flags = self.check_parent(&src, who)?;
        let dst_dir_flags = self.check_parent(&dst, who)?;
        if src.path == dst.path {
            return Ok(None);
        }
        // A directory cannot move below itself.
        if path::is_within(&dst.path, &src.path) {
            return Err(Errno::EINVAL);
        }
        if flags & RENAME_EXCHANGE != 0 {
            if dst.node.is_none() {
                return Err(Errno::ENOENT);
            }
            if path::is_within(&src.path, &dst.path) {
                return Err(Errno::EINVAL);
            }
        } else if let Some(dn) = &dst.node {
            if flags & RENAME_NOREPLACE != 0 {
                return Err(Errno::EEXIST);
            }
            let ds = dst.stat()?;
            match (src_stat.is_dir(), ds.is_dir()) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !dst.mount.fs.list(&dst.fs_path, dn)?.is_empty() => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
            // Two names of one inode: nothing happens.
            if ds.ino == src_stat.ino && ds.dev == src_stat.dev {
                return Ok(None);
            }
        }
        // may_delete of the source, and of a target it replaces.
        Self::check_deletable(src_dir_flags, &src)?;
        if dst.node.is_some() {
            Self::check_deletable(dst_dir_flags, &dst)?;
        }
        let replaced = match &dst.node {
            Some(_) if notify::active() => Some(dst.stat()?),
            _ => None,
        };
        src.mount.fs.rename(&src.fs_path, &src_node, &dst.fs_path, dst.node.as_ref(), flags)?;
        if notify::active() {
            notify_renamed(
                src.mount.dev,
                (&src.path, &src_stat),
                (&dst.path, replaced.as_ref()),
                flags & RENAME_EXCHANGE != 0,
            );
        }
        Ok(Some((src.path, dst.path)))
    }

    /// `truncate(2)` of a regular file a path resolved to (its type checked
    /// by the caller): write permission, as an open for writing would need;
    /// then `may_resize(size)` (the caller's RLIMIT_FSIZE) has the last word.
    pub fn truncate_resolved(
        &self,
        r: &Resolved,
        len: u64,
        who: Caller,
        may_resize: impl FnOnce(u64) -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        let node = r.node.clone().ok_or(Errno::ENOENT)?;
        let st = r.stat()?;
        if r.mount.readonly() {
            return Err(Errno::EROFS);
        }
        let iflags = r.inode_flags();
        if attr::immutable(iflags) {
            return Err(Errno::EPERM);
        }
        who.check(&st, 2)?;
        if attr::append_only(iflags) {
            return Err(Errno::EPERM);
        }
        let _access = writecount::WriteAccess::get(&st)?;
        may_resize(st.size)?;
        let ops = r.mount.fs.open(&r.fs_path, &node, OpenReq { flags: libc::O_WRONLY as u32, write: true })?;
        ops.truncate(len)?;
        notify::event(Subject::inode(&st, &r.path), notify::IN_MODIFY);
        Ok(())
    }

    /// Applies a metadata change to what a path resolves to.
    pub fn set_meta(&self, lk: &Lookup, path: &[u8], change: &MetaChange) -> Result<(), Errno> {
        let r = self.resolve_with(lk, path)?;
        let node = r.node.clone().ok_or(Errno::ENOENT)?;
        if let Node::Opened(f) = &node {
            if f.path.first() == Some(&b'/') {
                return self.set_meta(&Lookup::new(b"/", true), &f.path.clone(), change);
            }
            return Ok(());
        }
        if r.mount.readonly() {
            return Err(Errno::EROFS);
        }
        r.mount.fs.set_meta(&r.fs_path, &node, change)?;
        if notify::active() {
            notify::event(Subject::inode(&r.stat()?, &r.path), notify::IN_ATTRIB);
        }
        Ok(())
    }

    /// `statfs(2)` of the file system holding a path, with its mount flags.
    pub fn statfs(&self, lk: &Lookup, path: &[u8]) -> Result<(StatFs, u64), Errno> {
        let r = self.resolve_with(lk, path)?;
        r.node.as_ref().ok_or(Errno::ENOENT)?;
        Ok((r.mount.fs.statfs(), r.mount.flags))
    }

    /// The mount holding canonical `path`.
    pub fn mount_of(&self, path: &[u8]) -> Arc<Mount> {
        self.mount_table().covering(path)
    }

    /// The entries of a directory at a canonical path, `.` and `..` first.
    pub fn list(&self, path: &[u8]) -> Result<Vec<DirEntry>, Errno> {
        let r = self.resolve(b"/", path, false)?;
        let node = r.node.clone().ok_or(Errno::ENOENT)?;
        let entries = r.mount.fs.list(&r.fs_path, &node)?;
        r.mount.accessed(&r.fs_path, &node);
        let self_ino = r.stat().map(|s| s.ino).unwrap_or(0);
        let parent_ino = self.stat(b"/", parent_of(path), false).map(|s| s.ino).unwrap_or(0);
        let mut out = Vec::with_capacity(entries.len() + 2);
        out.push(DirEntry { ino: self_ino, kind: libc::DT_DIR, name: b".".to_vec() });
        out.push(DirEntry { ino: parent_ino, kind: libc::DT_DIR, name: b"..".to_vec() });
        out.extend(entries);
        Ok(out)
    }
}

/// The inode flags of the directory holding the name `r` resolved to (in
/// the same mount: a mount point is never created or removed), looked up
/// only in file systems that keep flags.
fn parent_flags(r: &Resolved) -> u32 {
    if !r.mount.fs.keeps_inode_flags() {
        return 0;
    }
    let dir = parent_of(&r.fs_path);
    match r.mount.fs.node_at(dir) {
        Ok(Some(n)) => r.mount.fs.inode_flags(dir, &n).unwrap_or(0),
        _ => 0,
    }
}

/// An open file as it leaves `open`: watchers hear IN_OPEN.
fn opened(f: OpenFile) -> OpenFile {
    notify::file_event(&f, notify::IN_OPEN);
    f
}

/// Events of an unlink or rmdir of canonical `path`, whose inode was `st`:
/// a file's link count changed; the directory lost a name; the inode is
/// gone with its last link (Linux says so at its last close).
fn notify_removed(path: &[u8], st: &Stat) {
    if !st.is_dir() {
        notify::event(Subject::inode(st, b""), notify::IN_ATTRIB);
    }
    notify::event(Subject::inode(st, path), notify::IN_DELETE);
    if st.is_dir() || st.nlink <= 1 {
        notify::event(Subject::inode(st, b""), notify::IN_DELETE_SELF);
    }
}

/// Events of a rename of `src` (its inode's stat) to `dst` (the stat of an
/// inode it replaced, or of the one it was exchanged with).
fn notify_renamed(dev: u64, src: (&[u8], &Stat), dst: (&[u8], Option<&Stat>), exchange: bool) {
    let reg = notify::registry();
    let moved = |from: &[u8], to: &[u8], st: &Stat| {
        let cookie = notify::next_cookie();
        reg.event(Subject::inode(st, from), notify::IN_MOVED_FROM, cookie);
        reg.event(Subject::inode(st, to), notify::IN_MOVED_TO, cookie);
        reg.event(Subject::inode(st, b""), notify::IN_MOVE_SELF, 0);
    };
    moved(src.0, dst.0, src.1);
    match dst.1 {
        Some(other) if exchange => {
            moved(dst.0, src.0, other);
            // Watched directories swap paths.
            reg.moved(dev, src.0, b"\0");
            reg.moved(dev, dst.0, src.0);
            reg.moved(dev, b"\0", dst.0);
            return;
        }
        Some(old) => notify_removed(b"", old),
        None => {}
    }
    if src.1.is_dir() {
        reg.moved(dev, src.0, dst.0);
    }
}

fn is_dot_or_dotdot(path: &[u8]) -> bool {
    matches!(components(path).last(), Some(b".") | Some(b".."))
}
