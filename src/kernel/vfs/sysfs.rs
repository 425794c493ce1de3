//! `/sys`: a read-only sysfs holding `devices/system/cpu`, which the
//! C library (`get_nprocs`, `get_nprocs_conf`), `lscpu` and language
//! runtimes read to count CPUs. As in gVisor, the CPUs are the ones the
//! sandbox shows everywhere else (`sched_getaffinity`, `/proc/stat`):
//! `online`, `possible` and `present` list them in Linux's range format, and
//! each has a `cpuN` directory. `kernel_max` is the host kernel's
//! (a build constant, NR_CPUS - 1). The host's CPU topology, caches,
//! vulnerabilities and NUMA nodes show through (`sysfs_host.rs`), as
//! `lscpu` reads them. `fs/cgroup` is the (empty) directory
//! the cgroup file system is mounted on. `kernel/mm/transparent_hugepage`
//! holds `enabled` and `defrag`, the host's (read when opened; the
//! directory is there when the host has it): JVMs, databases and
//! allocators read them to decide on madvise(MADV_HUGEPAGE).
//!
//! Nothing may change: writing a file is EACCES and creating one too, other
//! changes are EPERM, as Linux's sysfs (kernfs) answers root for attributes
//! without a store method (the THP files have one on the host; here they
//! are read-only all the same).

use super::file::{DirEntry, FileOps};
use super::fs::{magic, Filesystem, Node, OpenReq, Owner, StatFs};
use super::path::components;
use super::stat::{now, Stat};
use super::sysfs_host as host_attrs;
use crate::kernel::errno::Errno;
use crate::kernel::task::SchedAttrs;

/// What a sysfs path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysNode {
    Root,
    /// `devices`.
    Devices,
    /// `devices/system`.
    System,
    /// `devices/system/cpu`.
    CpuDir,
    /// `fs`.
    Fs,
    /// `fs/cgroup`, where the cgroup file system is mounted.
    FsCgroup,
    /// `devices/system/cpu/cpuN`.
    Cpu(u32),
    /// A file of `devices/system/cpu`.
    CpuFile(CpuFile),
    /// `kernel`, `kernel/mm`, `kernel/mm/transparent_hugepage`.
    Kernel,
    KernelMm,
    Thp,
    /// A file of `kernel/mm/transparent_hugepage`.
    ThpFile(ThpFile),
    /// A directory or file mirrored from the host (`sysfs_host.rs`): CPU
    /// topology, caches, vulnerabilities, NUMA nodes.
    Host(u32),
}

impl SysNode {
    fn is_file(self) -> bool {
        match self {
            SysNode::CpuFile(_) | SysNode::ThpFile(_) => true,
            SysNode::Host(i) => host_attrs::table().entry(i).is_some_and(|e| !e.dir),
            _ => false,
        }
    }

    /// The path of a directory below the sysfs root (no leading '/'), for
    /// the ones that may hold mirrored host nodes.
    fn path(self) -> Option<String> {
        match self {
            SysNode::Root => Some(String::new()),
            SysNode::Devices => Some("devices".into()),
            SysNode::System => Some("devices/system".into()),
            SysNode::CpuDir => Some("devices/system/cpu".into()),
            SysNode::Cpu(i) => Some(format!("devices/system/cpu/cpu{i}")),
            SysNode::Host(i) => host_attrs::table().entry(i).map(|e| e.path.clone()),
            _ => None,
        }
    }
}

/// The files of `kernel/mm/transparent_hugepage` shown (the host's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThpFile {
    Enabled,
    Defrag,
}

impl ThpFile {
    const ALL: [ThpFile; 2] = [ThpFile::Defrag, ThpFile::Enabled];

    fn name(self) -> &'static str {
        match self {
            ThpFile::Enabled => "enabled",
            ThpFile::Defrag => "defrag",
        }
    }
}

/// Where the host keeps the THP settings.
const HOST_THP: &str = "/sys/kernel/mm/transparent_hugepage";

/// Whether the host kernel has transparent huge pages.
fn host_has_thp() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| std::path::Path::new(HOST_THP).join("enabled").exists())
}

/// The files of `devices/system/cpu`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuFile {
    KernelMax,
    Online,
    Possible,
    Present,
}

impl CpuFile {
    /// Every file, in listing order.
    const ALL: [CpuFile; 4] = [CpuFile::KernelMax, CpuFile::Online, CpuFile::Possible, CpuFile::Present];

    fn name(self) -> &'static str {
        match self {
            CpuFile::KernelMax => "kernel_max",
            CpuFile::Online => "online",
            CpuFile::Possible => "possible",
            CpuFile::Present => "present",
        }
    }
}

/// The directories above the CPU directory and the cgroup mount point:
/// (parent, name, child).
const DIRS: [(SysNode, &str, SysNode); 8] = [
    (SysNode::Root, "devices", SysNode::Devices),
    (SysNode::Root, "fs", SysNode::Fs),
    (SysNode::Root, "kernel", SysNode::Kernel),
    (SysNode::Devices, "system", SysNode::System),
    (SysNode::System, "cpu", SysNode::CpuDir),
    (SysNode::Fs, "cgroup", SysNode::FsCgroup),
    (SysNode::Kernel, "mm", SysNode::KernelMm),
    (SysNode::KernelMm, "transparent_hugepage", SysNode::Thp),
];

/// Whether directory entry `child` is shown (THP only if the host has it).
fn shown(child: SysNode) -> bool {
    child != SysNode::Thp || host_has_thp()
}

/// The CPU count the sandbox shows.
pub(super) fn ncpus() -> u32 {
    SchedAttrs::online_cpus().clamp(1, u32::MAX as usize) as u32
}

/// CPUs `0..n` in Linux's list format (`cpumap_print_list`): "0", "0-3".
pub fn cpu_list(n: u32) -> String {
    match n {
        0 | 1 => "0\n".into(),
        n => format!("0-{}\n", n - 1),
    }
}

/// The host kernel's highest possible CPU number (its NR_CPUS - 1); if the
/// host does not say, the highest CPU the sandbox shows.
fn host_kernel_max() -> u32 {
    let host = std::fs::read_to_string("/sys/devices/system/cpu/kernel_max").ok();
    host.and_then(|s| s.trim().parse().ok()).unwrap_or(0).max(ncpus() - 1)
}

/// A sysfs instance.
pub struct SysFs {
    dev: u64,
    /// When it was made: the times of every node.
    created: (i64, i64),
    kernel_max: u32,
}

impl SysFs {
    /// A sysfs with device number `dev`.
    pub fn new(dev: u64) -> std::sync::Arc<SysFs> {
        std::sync::Arc::new(SysFs { dev, created: now(), kernel_max: host_kernel_max() })
    }

    fn parse(path: &[u8]) -> Option<SysNode> {
        let mut node = SysNode::Root;
        for name in components(path) {
            node = Self::child(node, name)?;
        }
        Some(node)
    }

    /// The child `name` of directory `dir`.
    fn child(dir: SysNode, name: &[u8]) -> Option<SysNode> {
        if let Some((_, _, c)) = DIRS.iter().find(|(d, n, c)| *d == dir && n.as_bytes() == name && shown(*c)) {
            return Some(*c);
        }
        if dir == SysNode::Thp {
            return ThpFile::ALL.iter().find(|f| f.name().as_bytes() == name).map(|f| SysNode::ThpFile(*f));
        }
        if let (Some(parent), Ok(name)) = (dir.path().filter(|p| mirrored(p)), std::str::from_utf8(name)) {
            if let Some(i) = host_attrs::table().lookup(&format!("{parent}/{name}")) {
                return Some(SysNode::Host(i));
            }
        }
        if dir != SysNode::CpuDir {
            return None;
        }
        if let Some(f) = CpuFile::ALL.iter().find(|f| f.name().as_bytes() == name) {
            return Some(SysNode::CpuFile(*f));
        }
        let num = name.strip_prefix(b"cpu")?;
        // Canonical numbers only: `cpu01` does not exist.
        if num.is_empty() || (num[0] == b'0' && num.len() > 1) || !num.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let i: u32 = std::str::from_utf8(num).ok()?.parse().ok()?;
        (i < ncpus()).then_some(SysNode::Cpu(i))
    }

    /// The entries of a directory node.
    fn children(dir: SysNode) -> Vec<(String, SysNode)> {
        let mut own = Self::own_children(dir);
        if let Some(path) = dir.path().filter(|p| mirrored(p)) {
            let t = host_attrs::table();
            let mirrored =
                t.children(&path).iter().filter_map(|&i| t.entry(i).map(|e| (e.name.clone(), SysNode::Host(i))));
            own.extend(mirrored);
        }
        own
    }

    /// The entries of a directory node that are not mirrored from the host.
    fn own_children(dir: SysNode) -> Vec<(String, SysNode)> {
        if dir == SysNode::Thp {
            return ThpFile::ALL.iter().map(|f| (f.name().to_string(), SysNode::ThpFile(*f))).collect();
        }
        if dir != SysNode::CpuDir {
            let mine = DIRS.iter().filter(|(d, _, c)| *d == dir && shown(*c));
            return mine.map(|(_, n, c)| (n.to_string(), *c)).collect();
        }
        let cpus = (0..ncpus()).map(|i| (format!("cpu{i}"), SysNode::Cpu(i)));
        cpus.chain(CpuFile::ALL.iter().map(|f| (f.name().to_string(), SysNode::CpuFile(*f)))).collect()
    }

    fn ino(n: SysNode) -> u64 {
        match n {
            SysNode::Root => 1,
            SysNode::Devices => 2,
            SysNode::System => 3,
            SysNode::CpuDir => 4,
            SysNode::Fs => 5,
            SysNode::FsCgroup => 6,
            SysNode::Kernel => 7,
            SysNode::KernelMm => 12,
            SysNode::Thp => 13,
            SysNode::ThpFile(f) => 14 + f as u64,
            SysNode::CpuFile(f) => 8 + f as u64,
            SysNode::Cpu(i) => 16 + i as u64,
            // Past every CPU number above.
            SysNode::Host(i) => (1 << 32) + i as u64,
        }
    }

    fn content(&self, n: SysNode) -> Vec<u8> {
        match n {
            SysNode::CpuFile(CpuFile::KernelMax) => format!("{}\n", self.kernel_max).into_bytes(),
            SysNode::CpuFile(_) => cpu_list(ncpus()).into_bytes(),
            SysNode::ThpFile(f) => std::fs::read(std::path::Path::new(HOST_THP).join(f.name())).unwrap_or_default(),
            SysNode::Host(i) => host_attrs::table().read(i),
            _ => Vec::new(),
        }
    }

    fn node_stat(&self, n: SysNode) -> Stat {
        let (mode, nlink, size) = match n {
            // Linux's sysfs root is 0555, its other directories 0755;
            // a directory's links are its own two plus its subdirectories'.
            SysNode::CpuFile(_) => (libc::S_IFREG | 0o444, 1, 4096),
            // Writable on the host (root may change the policy there).
            SysNode::ThpFile(_) => (libc::S_IFREG | 0o644, 1, 4096),
            SysNode::Host(i) if n.is_file() => {
                let mode = host_attrs::table().entry(i).map_or(0o444, |e| e.mode);
                (libc::S_IFREG | mode, 1, 4096)
            }
            dir => {
                let subdirs = Self::children(dir).iter().filter(|(_, c)| !c.is_file()).count();
                let perm = if dir == SysNode::Root { 0o555 } else { 0o755 };
                (libc::S_IFDIR | perm, 2 + subdirs as u64, 0)
            }
        };
        Stat {
            dev: self.dev,
            ino: Self::ino(n),
            mode,
            nlink,
            size,
            blksize: 4096,
            atime: self.created,
            mtime: self.created,
            ctime: self.created,
            ..Default::default()
        }
    }
}

/// Whether directory `path` may hold nodes mirrored from the host (all
/// are below `devices/system`): elsewhere the host's tree, read when first
/// needed (a millisecond and more), is not looked at, so a lookup such as
/// `statfs("/sys/fs/selinux")` stays cheap.
fn mirrored(path: &str) -> bool {
    path.strip_prefix("devices/system").is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn sys(node: &Node) -> Result<SysNode, Errno> {
    match node {
        Node::Sys(n) => Ok(*n),
        _ => Err(Errno::EINVAL),
    }
}

impl Filesystem for SysFs {
    fn fs_type(&self) -> &'static str {
        "sysfs"
    }

    fn node_at(&self, path: &[u8]) -> Result<Option<Node>, Errno> {
        Ok(Self::parse(path).map(Node::Sys))
    }

    fn lookup(&self, _dir_path: &[u8], dir: &Node, name: &[u8]) -> Result<Option<Node>, Errno> {
        Ok(Self::child(sys(dir)?, name).map(Node::Sys))
    }

    fn stat(&self, _path: &[u8], node: &Node) -> Result<Stat, Errno> {
        Ok(self.node_stat(sys(node)?))
    }

    fn open(&self, _path: &[u8], node: &Node, req: OpenReq) -> Result<Box<dyn FileOps>, Errno> {
        let f = sys(node)?;
        if !f.is_file() {
            return Err(Errno::ENXIO);
        }
        // kernfs refuses a write opening of an attribute without a store
        // method, whoever asks (O_TRUNC alone is accepted, and does nothing).
        if req.flags as i32 & libc::O_ACCMODE != libc::O_RDONLY {
            return Err(Errno::EACCES);
        }
        Ok(Box::new(SysFile { data: self.content(f), stat: self.node_stat(f) }))
    }

    fn list(&self, _path: &[u8], node: &Node) -> Result<Vec<DirEntry>, Errno> {
        let dir = sys(node)?;
        if dir.is_file() {
            return Err(Errno::ENOTDIR);
        }
        let entry = |(name, n): (String, SysNode)| {
            let kind = if n.is_file() { libc::DT_REG } else { libc::DT_DIR };
            DirEntry { ino: Self::ino(n), kind, name: name.into_bytes() }
        };
        Ok(Self::children(dir).into_iter().map(entry).collect())
    }

    /// kernfs gives sysfs directories no rmdir: EPERM, empty or not.
    fn has_rmdir(&self) -> bool {
        false
    }

    /// A sysfs directory has no `create` (Linux: EACCES).
    fn create(&self, _path: &[u8], _mode: u32, _owner: Owner) -> Result<Box<dyn FileOps>, Errno> {
        Err(Errno::EACCES)
    }

    fn statfs(&self) -> StatFs {
        StatFs { fs_type: magic::SYSFS, bsize: 4096, namelen: 255, ..Default::default() }
    }
}

/// An open sysfs file: its contents, fixed when opened.
struct SysFile {
    data: Vec<u8>,
    stat: Stat,
}

impl FileOps for SysFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        Ok(super::file::read_fixed(&self.data, buf, off))
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.stat)
    }

    /// kernfs attribute files have fsync (`noop_fsync`), unlike /proc's.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }

    fn truncate(&self, _len: u64) -> Result<(), Errno> {
        // An attribute's size is not its contents'.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_use_linux_ranges() {
        assert_eq!(cpu_list(1), "0\n");
        assert_eq!(cpu_list(2), "0-1\n");
        assert_eq!(cpu_list(64), "0-63\n");
    }

    #[test]
    fn paths_name_the_cpu_tree_only() {
        assert_eq!(SysFs::parse(b"/"), Some(SysNode::Root));
        assert_eq!(SysFs::parse(b"/devices/system/cpu"), Some(SysNode::CpuDir));
        assert_eq!(SysFs::parse(b"/devices/system/cpu/online"), Some(SysNode::CpuFile(CpuFile::Online)));
        assert_eq!(SysFs::parse(b"/devices/system/cpu/cpu0"), Some(SysNode::Cpu(0)));
        for missing in [&b"/devices/system/cpu/cpu00"[..], b"/devices/system/cpu/cpu", b"/devices/cpu", b"/block"] {
            assert_eq!(SysFs::parse(missing), None, "{}", String::from_utf8_lossy(missing));
        }
        let past = format!("/devices/system/cpu/cpu{}", ncpus());
        assert_eq!(SysFs::parse(past.as_bytes()), None);
        assert_eq!(SysFs::parse(b"/devices/system/cpu/online/x"), None);
    }
}
