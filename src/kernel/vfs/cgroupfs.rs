//! `/sys/fs/cgroup`: a cgroup v2 file system showing the reader's own
//! container as its root, as Docker's private cgroup namespace does. Its
//! files are the container's real figures (`kernel/cgroup.rs`): the memory
//! controller (limit, what is charged, the peak, OOM events), the pids
//! controller, the CPU time used and the processes in it. JVMs, Go, .NET
//! and Node size their heaps and thread pools from these files.
//!
//! There are no child cgroups (mkdir is EPERM) and only the controls the
//! sandbox enforces can be written, on a read-write mount: `memory.max`,
//! `pids.max`, and `cgroup.procs`/`cgroup.threads` (moving a task into the
//! cgroup it is already in). Files whose control the sandbox lacks are
//! read-only: 0444, and a write to them is EINVAL, as cgroup_file_write
//! answers for a file without a write method.

use std::sync::{Arc, OnceLock, Weak};

use super::file::{DirEntry, FileOps};
use super::fs::{magic, Filesystem, Node, OpenReq, Owner, StatFs};
use super::path::components;
use super::stat::{now, Stat};
use crate::kernel::cgroup;
use crate::kernel::container::ContainerTag;
use crate::kernel::errno::Errno;
use crate::kernel::freezer;
use crate::kernel::mm::account::UNLIMITED;
use crate::kernel::signal::{send, SigInfo};
use crate::kernel::task::TaskShared;
use crate::kernel::vfs::kstrto::number_base0;
use crate::kernel::Kernel;

/// The files of the (one) cgroup directory, in listing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CgFile {
    Controllers,
    Events,
    Freeze,
    Kill,
    MaxDepth,
    MaxDescendants,
    Procs,
    Stat,
    SubtreeControl,
    Threads,
    Type,
    CpuStat,
    MemoryCurrent,
    MemoryEvents,
    MemoryMax,
    MemoryPeak,
    PidsCurrent,
    PidsEvents,
    PidsMax,
    PidsPeak,
}

impl CgFile {
    const ALL: [CgFile; 20] = [
        CgFile::Controllers,
        CgFile::Events,
        CgFile::Freeze,
        CgFile::Kill,
        CgFile::MaxDepth,
        CgFile::MaxDescendants,
        CgFile::Procs,
        CgFile::Stat,
        CgFile::SubtreeControl,
        CgFile::Threads,
        CgFile::Type,
        CgFile::CpuStat,
        CgFile::MemoryCurrent,
        CgFile::MemoryEvents,
        CgFile::MemoryMax,
        CgFile::MemoryPeak,
        CgFile::PidsCurrent,
        CgFile::PidsEvents,
        CgFile::PidsMax,
        CgFile::PidsPeak,
    ];

    fn name(self) -> &'static str {
        match self {
            CgFile::Controllers => "cgroup.controllers",
            CgFile::Events => "cgroup.events",
            CgFile::Freeze => "cgroup.freeze",
            CgFile::Kill => "cgroup.kill",
            CgFile::MaxDepth => "cgroup.max.depth",
            CgFile::MaxDescendants => "cgroup.max.descendants",
            CgFile::Procs => "cgroup.procs",
            CgFile::Stat => "cgroup.stat",
            CgFile::SubtreeControl => "cgroup.subtree_control",
            CgFile::Threads => "cgroup.threads",
            CgFile::Type => "cgroup.type",
            CgFile::CpuStat => "cpu.stat",
            CgFile::MemoryCurrent => "memory.current",
            CgFile::MemoryEvents => "memory.events",
            CgFile::MemoryMax => "memory.max",
            CgFile::MemoryPeak => "memory.peak",
            CgFile::PidsCurrent => "pids.current",
            CgFile::PidsEvents => "pids.events",
            CgFile::PidsMax => "pids.max",
            CgFile::PidsPeak => "pids.peak",
        }
    }

    /// Whether the sandbox honours writes to it.
    fn writable(self) -> bool {
        matches!(
            self,
            CgFile::Freeze | CgFile::Kill | CgFile::Procs | CgFile::Threads | CgFile::MemoryMax | CgFile::PidsMax
        )
    }

    /// Its permission bits: `cgroup.kill` can only be written.
    fn perm(self) -> u32 {
        match self {
            CgFile::Kill => 0o200,
            f if f.writable() => 0o644,
            _ => 0o444,
        }
    }
}

/// A cgroup v2 file system instance.
pub struct CgroupFs {
    /// The kernel whose containers show; set once it exists.
    kernel: OnceLock<Weak<Kernel>>,
    dev: u64,
    created: (i64, i64),
}

/// The reading task and its container.
struct Viewer {
    kernel: Arc<Kernel>,
    task: Arc<TaskShared>,
}

impl Viewer {
    fn container(&self) -> &Arc<ContainerTag> {
        &self.task.tg.container
    }
}

/// The calling task, reading or writing a file of `kernel`'s.
fn viewer(kernel: &Weak<Kernel>) -> Result<Viewer, Errno> {
    let kernel = kernel.upgrade().ok_or(Errno::ENODEV)?;
    let task = crate::kernel::wait::current().ok_or(Errno::ENODEV)?;
    Ok(Viewer { kernel, task })
}

/// "max" for no limit, else the number.
fn limit_text(n: u64) -> String {
    if n == UNLIMITED {
        "max\n".into()
    } else {
        format!("{n}\n")
    }
}

/// An integer as cgroup files read one: `strstrip`, then kstrtoint with
/// base 0 (EINVAL if it is none, ERANGE past an `int`).
fn parse_int(buf: &[u8]) -> Result<i64, Errno> {
    let text = std::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?.trim();
    let n = number_base0(text.as_bytes())?;
    i32::try_from(n).map(i64::from).map_err(|_| Errno::ERANGE)
}

/// A limit as cgroup v2 parses it: "max", or a number (memory sizes may
/// end in K, M, G or T, as memparse allows). Trailing whitespace is fine.
fn parse_limit(buf: &[u8], sizes: bool) -> Result<u64, Errno> {
    let text = std::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?.trim_end();
    if text == "max" {
        return Ok(UNLIMITED);
    }
    let (digits, shift) = match text.as_bytes().last() {
        Some(b'k' | b'K') if sizes => (&text[..text.len() - 1], 10),
        Some(b'm' | b'M') if sizes => (&text[..text.len() - 1], 20),
        Some(b'g' | b'G') if sizes => (&text[..text.len() - 1], 30),
        Some(b't' | b'T') if sizes => (&text[..text.len() - 1], 40),
        _ => (text, 0),
    };
    let n: u64 = digits.parse().map_err(|_| Errno::EINVAL)?;
    n.checked_shl(shift).filter(|v| v >> shift == n).ok_or(Errno::EINVAL)
}

impl CgroupFs {
    /// The sandbox's own instance (its kernel comes with `attach`).
    pub fn new(dev: u64) -> Arc<CgroupFs> {
        Arc::new(CgroupFs { kernel: OnceLock::new(), dev, created: now() })
    }

    /// An instance mounted by a process of `kernel`.
    pub fn mounted(dev: u64, kernel: Weak<Kernel>) -> Arc<CgroupFs> {
        Arc::new(CgroupFs { kernel: OnceLock::from(kernel), dev, created: now() })
    }

    /// Its device number.
    pub fn dev(&self) -> u64 {
        self.dev
    }

    /// Connects the kernel whose containers are shown.
    pub fn attach(&self, kernel: Weak<Kernel>) {
        let _ = self.kernel.set(kernel);
    }

    fn viewer(&self) -> Result<Viewer, Errno> {
        viewer(self.kernel.get().ok_or(Errno::ENODEV)?)
    }

    fn file_named(name: &[u8]) -> Option<CgFile> {
        CgFile::ALL.into_iter().find(|f| f.name().as_bytes() == name)
    }

    fn parse(path: &[u8]) -> Option<CgNode> {
        let mut node = CgNode::Root;
        for name in components(path) {
            match node {
                CgNode::Root => node = CgNode::File(Self::file_named(name)?),
                CgNode::File(_) => return None,
            }
        }
        Some(node)
    }

    fn node_stat(&self, n: CgNode) -> Stat {
        let (ino, mode, nlink) = match n {
            // Linux's cgroup root directory is inode 1.
            CgNode::Root => (1, libc::S_IFDIR | 0o755, 2),
            CgNode::File(f) => (2 + f as u64, libc::S_IFREG | f.perm(), 1),
        };
        Stat {
            dev: self.dev,
            ino,
            mode,
            nlink,
            blksize: 4096,
            atime: self.created,
            mtime: self.created,
            ctime: self.created,
            ..Default::default()
        }
    }
}

/// The text of file `f` for `v`'s container.
fn content(v: &Viewer, f: CgFile) -> String {
    let c = v.container();
    let k = &v.kernel;
    let mem = c.memory.stats();
    match f {
        CgFile::Controllers => "memory pids\n".into(),
        CgFile::Events => {
            let populated = !cgroup::live_processes(k, c).is_empty();
            format!("populated {}\nfrozen {}\n", populated as u8, freezer::frozen(k, c) as u8)
        }
        CgFile::Freeze => format!("{}\n", c.freezer.wanted() as u8),
        // Nothing to show: reads fail (see CgOpenFile::read).
        CgFile::Kill => String::new(),
        CgFile::MaxDepth | CgFile::MaxDescendants => "max\n".into(),
        CgFile::Procs | CgFile::Threads => members(v, f == CgFile::Threads),
        CgFile::Stat => "nr_descendants 0\nnr_dying_descendants 0\n".into(),
        CgFile::SubtreeControl => "\n".into(),
        CgFile::Type => "domain\n".into(),
        CgFile::CpuStat => {
            let t = cgroup::cpu_usage(k, c);
            let (user, system) = (t.user_ns / 1000, t.system_ns / 1000);
            format!("usage_usec {}\nuser_usec {user}\nsystem_usec {system}\n", user + system)
        }
        CgFile::MemoryCurrent => format!("{}\n", mem.usage),
        // Every charge that hit the limit ran the OOM killer.
        CgFile::MemoryEvents => format!(
            "low 0\nhigh 0\nmax {}\noom {}\noom_kill {}\noom_group_kill 0\n",
            mem.failcnt, mem.failcnt, mem.oom_kills
        ),
        CgFile::MemoryMax => limit_text(mem.limit),
        CgFile::MemoryPeak => format!("{}\n", mem.max_usage),
        CgFile::PidsCurrent => format!("{}\n", cgroup::tasks_of(&k.procs(), c)),
        CgFile::PidsEvents => format!("max {}\n", c.pids.refused()),
        CgFile::PidsMax => limit_text(c.pids.limit()),
        CgFile::PidsPeak => format!("{}\n", c.pids.peak()),
    }
}

/// `cgroup.procs` (process ids) or `cgroup.threads` (thread ids) as
/// the reader's PID namespace numbers them, ascending.
fn members(v: &Viewer, threads: bool) -> String {
    let ns = v.task.tg.pidns();
    let mut ids: Vec<i32> = Vec::new();
    for g in cgroup::live_processes(&v.kernel, v.container()) {
        if threads {
            ids.extend(g.task_list().iter().map(|t| t.tid.nr_in(ns)));
        } else {
            ids.push(g.pid.nr_in(ns));
        }
    }
    ids.retain(|&id| id != 0);
    ids.sort_unstable();
    ids.iter().map(|id| format!("{id}\n")).collect()
}

/// Applies a write to file `f`.
fn store(v: &Viewer, f: CgFile, buf: &[u8]) -> Result<(), Errno> {
    let c = v.container();
    match f {
        CgFile::MemoryMax => c.memory.change_limit(parse_limit(buf, true)?)?,
        CgFile::PidsMax => c.pids.set_limit(parse_limit(buf, false)?),
        CgFile::Freeze => match parse_int(buf)? {
            0 => freezer::set_frozen(&v.kernel, c, false),
            1 => freezer::set_frozen(&v.kernel, c, true),
            _ => return Err(Errno::ERANGE),
        },
        CgFile::Kill => {
            if parse_int(buf)? != 1 {
                return Err(Errno::ERANGE);
            }
            // As Linux's send_sig(SIGKILL, task, 0): from the writer, so the
            // init of the writer's own PID namespace is spared.
            let me = &v.task.tg;
            let uid = me.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
            for g in cgroup::live_processes(&v.kernel, c) {
                let info = SigInfo::user(libc::SIGKILL, me.pid.vnr(), uid);
                send::send(&v.kernel, send::Target::Group(&g), info, send::Origin::Process(me));
            }
        }
        CgFile::Procs | CgFile::Threads => {
            // A task can only be moved to the cgroup it is in already.
            let text = std::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?;
            let nr: i32 = text.trim().parse().map_err(|_| Errno::EINVAL)?;
            let ns = v.task.tg.pidns();
            let procs = v.kernel.procs();
            let tg = if nr == 0 {
                Some(v.task.tg.clone())
            } else if f == CgFile::Threads {
                procs.task_in(ns, nr).map(|t| t.tg.clone())
            } else {
                procs.group_in(ns, nr)
            };
            let tg = tg.ok_or(Errno::ESRCH)?;
            if !Arc::ptr_eq(&tg.container, c) {
                return Err(Errno::ENOENT);
            }
        }
        // A file without a write method (cgroup_file_write).
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}

/// What a cgroupfs path names: the cgroup directory or one of its files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CgNode {
    Root,
    File(CgFile),
}

fn cg(node: &Node) -> Result<CgNode, Errno> {
    match node {
        Node::Cgroup(n) => Ok(*n),
        _ => Err(Errno::EINVAL),
    }
}

impl Filesystem for CgroupFs {
    fn fs_type(&self) -> &'static str {
        "cgroup2"
    }

    fn node_at(&self, path: &[u8]) -> Result<Option<Node>, Errno> {
        Ok(Self::parse(path).map(Node::Cgroup))
    }

    fn lookup(&self, _dir_path: &[u8], dir: &Node, name: &[u8]) -> Result<Option<Node>, Errno> {
        match cg(dir)? {
            CgNode::Root => Ok(Self::file_named(name).map(|f| Node::Cgroup(CgNode::File(f)))),
            CgNode::File(_) => Err(Errno::ENOTDIR),
        }
    }

    fn stat(&self, _path: &[u8], node: &Node) -> Result<Stat, Errno> {
        Ok(self.node_stat(cg(node)?))
    }

    fn open(&self, _path: &[u8], node: &Node, req: OpenReq) -> Result<Box<dyn FileOps>, Errno> {
        let CgNode::File(f) = cg(node)? else {
            return Err(Errno::ENXIO);
        };
        let write = req.flags as i32 & libc::O_ACCMODE != libc::O_RDONLY;
        let viewer = self.viewer()?;
        // As a seq_file, the text is made when the file is opened for
        // reading; a writer gets nothing to read.
        let data = if write { Vec::new() } else { content(&viewer, f).into_bytes() };
        let kernel = Arc::downgrade(&viewer.kernel);
        Ok(Box::new(CgOpenFile { kernel, file: f, data, stat: self.node_stat(CgNode::File(f)) }))
    }

    fn list(&self, _path: &[u8], node: &Node) -> Result<Vec<DirEntry>, Errno> {
        if cg(node)? != CgNode::Root {
            return Err(Errno::ENOTDIR);
        }
        let entry = |f: CgFile| DirEntry { ino: 2 + f as u64, kind: libc::DT_REG, name: f.name().as_bytes().to_vec() };
        Ok(CgFile::ALL.into_iter().map(entry).collect())
    }

    /// Files are the kernel's to make (Linux: EACCES); a child cgroup
    /// (mkdir) is not supported and keeps the default EPERM.
    fn create(&self, _path: &[u8], _mode: u32, _owner: Owner) -> Result<Box<dyn FileOps>, Errno> {
        Err(Errno::EACCES)
    }

    fn statfs(&self) -> StatFs {
        StatFs { fs_type: magic::CGROUP2, bsize: 4096, namelen: 255, ..Default::default() }
    }
}

/// An open cgroup file: its text when opened for reading; writes apply at
/// once.
struct CgOpenFile {
    kernel: Weak<Kernel>,
    file: CgFile,
    data: Vec<u8>,
    stat: Stat,
}

impl FileOps for CgOpenFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        // A file without a show method (cgroup_seqfile_show).
        if self.file == CgFile::Kill {
            return Err(Errno::EINVAL);
        }
        Ok(super::file::read_fixed(&self.data, buf, off))
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        store(&viewer(&self.kernel)?, self.file, buf)?;
        Ok(buf.len())
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.stat)
    }

    /// kernfs attribute files have fsync (`noop_fsync`), unlike /proc's.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }

    fn truncate(&self, _len: u64) -> Result<(), Errno> {
        // O_TRUNC on a control file does nothing, as on kernfs.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_like_cgroup_v2() {
        assert_eq!(parse_limit(b"max\n", true), Ok(UNLIMITED));
        assert_eq!(parse_limit(b"4096", true), Ok(4096));
        assert_eq!(parse_limit(b"64M\n", true), Ok(64 << 20));
        assert_eq!(parse_limit(b"2g", true), Ok(2 << 30));
        assert_eq!(parse_limit(b"64M", false), Err(Errno::EINVAL));
        assert_eq!(parse_limit(b"-1", true), Err(Errno::EINVAL));
        assert_eq!(parse_limit(b"", true), Err(Errno::EINVAL));
        assert_eq!(parse_limit(b"99999999999999999999T", true), Err(Errno::EINVAL));
        assert_eq!(parse_limit(b"16777216T", true), Err(Errno::EINVAL));
    }

    #[test]
    fn paths_name_the_one_directory_and_its_files() {
        assert_eq!(CgroupFs::parse(b"/"), Some(CgNode::Root));
        assert_eq!(CgroupFs::parse(b"/memory.max"), Some(CgNode::File(CgFile::MemoryMax)));
        assert_eq!(CgroupFs::parse(b"/memory.max/x"), None);
        assert_eq!(CgroupFs::parse(b"/init.scope"), None);
        for f in CgFile::ALL {
            assert_eq!(CgroupFs::parse(format!("/{}", f.name()).as_bytes()), Some(CgNode::File(f)));
        }
    }
}
