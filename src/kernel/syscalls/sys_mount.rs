//! The sandbox's mount namespace: mount(2) of tmpfs, proc, devpts, sysfs, mqueue
//! and bind mounts (recursive too), remounts that change per-mount flags,
//! MS_MOVE, and umount2(2). Only root inside the sandbox may mount.

use std::sync::Arc;

use super::sys_path::at;
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::vfs::file::OpenFile;
use crate::kernel::vfs::fs::{Filesystem, Node};
use crate::kernel::vfs::mount::{alloc_dev, flags as mf, NewMount};
use crate::kernel::vfs::mqueuefs::MqueueFs;
use crate::kernel::vfs::path::is_within;
use crate::kernel::vfs::procfs::ProcFs;
use crate::kernel::vfs::sysfs::SysFs;
use crate::kernel::vfs::{devpts, overlay, Resolved};

const MS_REMOUNT: u64 = libc::MS_REMOUNT;
const MS_BIND: u64 = libc::MS_BIND;
const MS_MOVE: u64 = libc::MS_MOVE;
const MS_REC: u64 = libc::MS_REC;
const PROPAGATION: u64 = libc::MS_SHARED | libc::MS_PRIVATE | libc::MS_SLAVE | libc::MS_UNBINDABLE;

fn read_opt_string(t: &Task, addr: u64) -> Result<Option<String>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let b = t.mem().read_cstring(addr, 4096)?;
    Ok(Some(String::from_utf8_lossy(&b).into_owned()))
}

fn resolve_dir(t: &Task, addr: u64) -> Result<Resolved, Errno> {
    let a = at(t, libc::AT_FDCWD, addr)?;
    let r = t.vfs().resolve_with(&a.lookup(true), &a.path)?;
    r.node.as_ref().ok_or(Errno::ENOENT)?;
    Ok(r)
}

/// Implements mount(2).
pub fn mount(t: &mut Task, a: &Args) -> SysResult {
    // Root over the user namespace that owns the mount namespace.
    if !t.creds().root_over(t.vfs().owner()) {
        return Err(Errno::EPERM);
    }
    let mut flags = a[3] & 0xffff_ffff;
    // The old "magic" in the high bits (MS_MGC_VAL) means nothing.
    if flags & 0xffff_0000 == 0xC0ED_0000 {
        flags &= 0xffff;
    }
    let target = resolve_dir(t, a[1])?;
    let vfs = t.vfs();
    if flags & MS_REMOUNT != 0 {
        if target.mount.point != target.path {
            return Err(Errno::EINVAL);
        }
        let point = target.path.clone();
        // Without MS_BIND the file system takes the options too (a tmpfs's
        // size and inode count); they must apply before the flags change.
        let data = match read_opt_string(t, a[4])? {
            Some(d) if flags & MS_BIND == 0 => target.mount.fs.remount(&d)?,
            _ => None,
        };
        let fs = target.mount.fs.clone();
        vfs.change_mounts(|tab| {
            if let Some(d) = &data {
                tab.set_data_of(&fs, d);
            }
            tab.set_flags(&point, flags & mf::PER_MOUNT)
        })?;
        return Ok(0);
    }
    if flags & MS_BIND != 0 {
        let source = resolve_dir(t, a[0])?;
        if let Some(Node::Opened(f)) = &source.node {
            if crate::kernel::ns::file::of_file(f).is_some() {
                return bind_ns_file(t, f.clone(), &target);
            }
        }
        if source.stat()?.is_dir() != target.stat()?.is_dir() {
            return Err(if target.stat()?.is_dir() { Errno::ENOTDIR } else { Errno::EISDIR });
        }
        let (src_path, point) = (source.path.clone(), target.path.clone());
        vfs.change_mounts(|tab| {
            // Submounts below the source come along with MS_REC.
            let below: Vec<_> = if flags & MS_REC != 0 {
                tab.list().into_iter().filter(|m| m.point != src_path && is_within(&m.point, &src_path)).collect()
            } else {
                Vec::new()
            };
            // A bind takes the source mount's flags (MS_REMOUNT changes them).
            tab.add(&point, NewMount::like(&source.mount, source.fs_path.clone()));
            for m in below {
                let mut p = point.clone();
                p.extend_from_slice(&m.point[src_path.len()..]);
                tab.add(&p, NewMount::like(&m, m.root.clone()));
            }
            Ok(())
        })?;
        return Ok(0);
    }
    if flags & MS_MOVE != 0 {
        let source = resolve_dir(t, a[0])?;
        if source.mount.point != source.path || source.path == b"/" {
            return Err(Errno::EINVAL);
        }
        if is_within(&target.path, &source.path) {
            return Err(Errno::ELOOP);
        }
        let (from, to) = (source.path.clone(), target.path.clone());
        let m = source.mount.clone();
        vfs.change_mounts(|tab| {
            // The mounts below it move along, in the order they were made.
            let below: Vec<_> =
                tab.list().into_iter().filter(|b| b.point != from && is_within(&b.point, &from)).collect();
            tab.remove(&from, true)?;
            tab.add(&to, NewMount::like(&m, m.root.clone()));
            for b in below {
                let mut p = to.clone();
                p.extend_from_slice(&b.point[from.len()..]);
                tab.add(&p, NewMount::like(&b, b.root.clone()));
            }
            Ok(())
        })?;
        return Ok(0);
    }
    if flags & PROPAGATION != 0 {
        // Every mount is private: there is nothing to propagate to.
        return Ok(0);
    }
    if !target.stat()?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let fstype = read_opt_string(t, a[2])?.ok_or(Errno::EFAULT)?;
    let source = read_opt_string(t, a[0])?.unwrap_or_else(|| "none".into());
    let data = read_opt_string(t, a[4])?.unwrap_or_default();
    let mut dev = alloc_dev();
    let (fs, data): (Arc<dyn Filesystem>, String) = match fstype.as_str() {
        "tmpfs" => {
            let opts = crate::kernel::vfs::tmpfs_opts::TmpfsOptions::parse(&data, 0o1777)?;
            (overlay::Overlay::tmpfs_with(dev, &opts), opts.shown())
        }
        // A new /proc shows the mounter's PID namespace, as in Linux.
        "proc" => (ProcFs::for_namespace(dev, Arc::downgrade(&t.kernel), t.pidns().clone()), String::new()),
        "devpts" => (devpts::DevptsFs::new(vfs.devpts.clone(), dev), data),
        "sysfs" => (SysFs::new(dev), String::new()),
        "cgroup2" => (crate::kernel::vfs::cgroupfs::CgroupFs::mounted(dev, Arc::downgrade(&t.kernel)), String::new()),
        // The mounter's IPC namespace's queues, one device for all its mounts.
        "mqueue" => {
            let fs = MqueueFs::new(t.shared.nsproxy().ipc);
            dev = fs.dev();
            (fs, String::new())
        }
        _ => return Err(Errno::ENODEV),
    };
    let point = target.path.clone();
    let mut mflags = flags & mf::PER_MOUNT;
    if mflags & (mf::NOATIME | mf::RELATIME) == 0 {
        mflags |= mf::RELATIME;
    }
    vfs.change_mounts(|tab| {
        tab.add(&point, NewMount { fs, root: b"/".to_vec(), flags: mflags, source, data, dev });
        Ok(())
    })?;
    Ok(0)
}

/// Binds a namespace file (`/proc/<pid>/ns/*`) on the file `target`: the
/// mount holds the namespace (`ip netns add`).
fn bind_ns_file(t: &Task, file: Arc<OpenFile>, target: &Resolved) -> SysResult {
    if target.stat()?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let dev = file.ops.stat()?.dev;
    let fs = crate::kernel::vfs::nsbind::NsBind::new(file);
    let point = target.path.clone();
    t.vfs().change_mounts(|tab| {
        let m = NewMount { fs, root: b"/".to_vec(), flags: 0, source: "nsfs".into(), data: String::new(), dev };
        tab.add(&point, m);
        Ok(())
    })?;
    Ok(0)
}

/// Implements umount2(2).
pub fn umount2(t: &mut Task, a: &Args) -> SysResult {
    let flags = a[1] as i32;
    let known = libc::MNT_FORCE | libc::MNT_DETACH | libc::MNT_EXPIRE | libc::UMOUNT_NOFOLLOW;
    if flags & !known != 0 || (flags & libc::MNT_EXPIRE != 0 && flags & (libc::MNT_FORCE | libc::MNT_DETACH) != 0) {
        return Err(Errno::EINVAL);
    }
    // Root over the user namespace that owns the mount namespace.
    if !t.creds().root_over(t.vfs().owner()) {
        return Err(Errno::EPERM);
    }
    let at = at(t, libc::AT_FDCWD, a[0])?;
    let r = t.vfs().resolve_with(&at.lookup(flags & libc::UMOUNT_NOFOLLOW == 0), &at.path)?;
    r.node.as_ref().ok_or(Errno::ENOENT)?;
    if r.mount.point != r.path {
        return Err(Errno::EINVAL);
    }
    let point = r.path.clone();
    let detach = flags & libc::MNT_DETACH != 0;
    t.vfs().change_mounts(|tab| tab.remove(&point, detach))?;
    Ok(0)
}
