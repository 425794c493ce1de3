//! `/proc`: the sandbox's processes and system figures, in Linux's formats.
//! A procfs instance shows the processes of one PID namespace, numbered as
//! that namespace numbers them: the one its mounter was in (`mount -t
//! proc`), or, for the `/proc` the sandbox starts with (which every
//! container shares, where Linux would give each container its own), the
//! namespace of the viewing process's container. `self` and `thread-self`
//! name the caller. The magic links `cwd`, `root`, `exe` and `fd/N` lead to
//! canonical sandbox paths or to the open files themselves, never outside
//! the container; `ns/*` lead to namespace files (`pid:[N]`).
//!
//! Nodes are parsed from fs paths (`ProcNode`); file contents are
//! generated when read from offset 0 (`file.rs`), from the process table
//! (`pid.rs`) or the sandbox (`sys.rs`).

mod cmdline;
mod entry;
mod file;
pub mod host_read;
mod ipc_sysctl;
mod map_files;
mod mem;
mod memstat;
mod pid;
mod sched;
mod smaps;
pub(crate) mod status_lines;
mod sys;
mod sysctl;
mod timers;
mod tunables;
mod userns;

pub use sys::note_boot;

use std::sync::{Arc, OnceLock, Weak};

use super::file::{DirEntry, FileOps};
use super::fs::{magic, Filesystem, Link, Node, OpenReq, StatFs};
use super::path::{components, join};
use super::stat::Stat;
use crate::kernel::errno::Errno;
use crate::kernel::ns::PidNamespace;
use crate::kernel::task::{TaskShared, ThreadGroup};
use crate::kernel::Kernel;
pub use cmdline::{argv, cmdline};
pub use file::ProcFile;
pub use pid::mappings;
pub use pid::{fd_view, maps, mem_pages, mountinfo, state, PidEntry};
pub use sysctl::{core_pattern_text, core_uses_pid_text};

/// The kernel, process and (for task directories) task a /proc node names.
type ProcTarget = (Arc<Kernel>, Arc<ThreadGroup>, Option<Arc<TaskShared>>);

/// What a `/proc` path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcNode {
    pub kind: Kind,
    /// The process (its sandbox-global id), for per-process nodes (else 0).
    pub pid: i32,
    /// The thread under `task/` (sandbox-global), or 0 for the process level.
    pub tid: i32,
    /// The descriptor, for `fd/N` and `fdinfo/N`.
    pub fd: i32,
}

/// The kinds of `/proc` nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Root,
    /// `/proc/self`.
    SelfLink,
    /// `/proc/thread-self`.
    ThreadSelf,
    /// An entry of the static table (`meminfo`, `sys/kernel/...`).
    Global(usize),
    /// `/proc/<pid>` or `/proc/<pid>/task/<tid>`.
    PidDir,
    /// `/proc/<pid>/task`.
    TaskDir,
    /// `/proc/<pid>/fd`.
    FdDir,
    /// `/proc/<pid>/fdinfo`.
    FdInfoDir,
    /// `/proc/<pid>/fd/N`.
    Fd,
    /// `/proc/<pid>/fdinfo/N`.
    FdInfo,
    /// `/proc/<pid>/ns`.
    NsDir,
    /// `/proc/<pid>/map_files`.
    MapFilesDir,
    /// `/proc/<pid>/map_files/<start>-<end>`: the file mapped there.
    MapFile(u64, u64),
    /// `/proc/<pid>/ns/<name>`: a namespace magic link.
    Ns(NsEntry),
    /// A file or link of a process directory.
    Entry(PidEntry),
    /// `/proc/<pid>/net` (`Global` index of `net`) and its files (of
    /// `net/...`): the network of the task's namespace (the sandbox has one).
    Net(usize),
}

/// The links of `/proc/<pid>/ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NsEntry {
    Ipc,
    Mnt,
    /// The network namespace (the sandbox's one).
    Net,
    /// The PID namespace of the task.
    Pid,
    /// The PID namespace its children go in.
    PidForChildren,
    /// The user namespace (the sandbox's one).
    User,
    Uts,
}

impl NsEntry {
    /// Every entry, in listing order.
    const ALL: &'static [NsEntry] =
        &[NsEntry::Ipc, NsEntry::Mnt, NsEntry::Net, NsEntry::Pid, NsEntry::PidForChildren, NsEntry::User, NsEntry::Uts];

    fn name(self) -> &'static str {
        match self {
            NsEntry::Ipc => "ipc",
            NsEntry::Mnt => "mnt",
            NsEntry::Net => "net",
            NsEntry::Pid => "pid",
            NsEntry::PidForChildren => "pid_for_children",
            NsEntry::User => "user",
            NsEntry::Uts => "uts",
        }
    }

    fn by_name(name: &[u8]) -> Option<NsEntry> {
        NsEntry::ALL.iter().copied().find(|e| e.name().as_bytes() == name)
    }
}

impl ProcNode {
    /// The root directory.
    pub fn root() -> ProcNode {
        ProcNode::of(Kind::Root)
    }

    fn of(kind: Kind) -> ProcNode {
        ProcNode { kind, pid: 0, tid: 0, fd: 0 }
    }
}

/// What a static entry is.
pub enum Global {
    Dir,
    File(fn(&Kernel) -> Vec<u8>),
    /// A file of `/proc/<pid>/net`, about the process's network namespace.
    Net(fn(&crate::netstack::NetStack) -> Vec<u8>),
    Link(&'static str),
}

/// The static part of `/proc`, by path.
pub static GLOBALS: &[(&str, Global)] = &[
    ("cpuinfo", Global::File(sys::cpuinfo)),
    ("filesystems", Global::File(sys::filesystems)),
    ("loadavg", Global::File(sys::loadavg)),
    ("locks", Global::File(sys::locks)),
    ("meminfo", Global::File(sys::meminfo)),
    ("mounts", Global::Link("self/mounts")),
    ("net", Global::Link("self/net")),
    ("net/arp", Global::Net(crate::netstack::procfs::arp)),
    ("net/dev", Global::Net(crate::netstack::procfs::dev)),
    ("net/if_inet6", Global::Net(crate::netstack::procfs::if_inet6)),
    ("net/route", Global::Net(crate::netstack::procfs::route)),
    ("net/sockstat", Global::Net(crate::netstack::procfs::sockstat)),
    ("net/sockstat6", Global::Net(crate::netstack::procfs::sockstat6)),
    ("net/tcp", Global::Net(crate::netstack::procfs::tcp)),
    ("net/tcp6", Global::Net(crate::netstack::procfs::tcp6)),
    ("net/udp", Global::Net(crate::netstack::procfs::udp)),
    ("net/udp6", Global::Net(crate::netstack::procfs::udp6)),
    ("net/unix", Global::Net(crate::netstack::procfs::unix)),
    ("stat", Global::File(sys::stat)),
    ("sysvipc", Global::Dir),
    ("sysvipc/msg", Global::File(sys::sysvipc_msg)),
    ("sysvipc/sem", Global::File(sys::sysvipc_sem)),
    ("sysvipc/shm", Global::File(sys::sysvipc_shm)),
    ("uptime", Global::File(sys::uptime)),
    ("version", Global::File(sys::version)),
    ("vmstat", Global::File(sys::vmstat)),
    ("sys", Global::Dir),
    ("sys/fs", Global::Dir),
    ("sys/fs/dir-notify-enable", Global::File(sysctl::dir_notify_enable)),
    ("sys/fs/file-max", Global::File(sys::file_max)),
    ("sys/fs/inotify", Global::Dir),
    (
        "sys/fs/inotify/max_queued_events",
        Global::File(|_| format!("{}\n", crate::kernel::event::inotify::MAX_QUEUED_EVENTS).into_bytes()),
    ),
    (
        "sys/fs/inotify/max_user_instances",
        Global::File(|_| format!("{}\n", crate::kernel::event::inotify::MAX_INSTANCES).into_bytes()),
    ),
    (
        "sys/fs/inotify/max_user_watches",
        Global::File(|_| format!("{}\n", crate::kernel::event::inotify::MAX_WATCHES).into_bytes()),
    ),
    ("sys/fs/mqueue", Global::Dir),
    ("sys/fs/mqueue/msg_default", Global::File(ipc_sysctl::mq_msg_default)),
    ("sys/fs/mqueue/msg_max", Global::File(ipc_sysctl::mq_msg_max)),
    ("sys/fs/mqueue/msgsize_default", Global::File(ipc_sysctl::mq_msgsize_default)),
    ("sys/fs/mqueue/msgsize_max", Global::File(ipc_sysctl::mq_msgsize_max)),
    ("sys/fs/mqueue/queues_max", Global::File(ipc_sysctl::mq_queues_max)),
    ("sys/fs/nr_open", Global::File(sys::nr_open)),
    ("sys/fs/pipe-max-size", Global::File(sys::pipe_max_size)),
    (
        "sys/fs/pipe-user-pages-hard",
        Global::File(|_| format!("{}\n", crate::kernel::pipe_account::USER_PAGES_HARD).into_bytes()),
    ),
    (
        "sys/fs/pipe-user-pages-soft",
        Global::File(|_| format!("{}\n", crate::kernel::pipe_account::USER_PAGES_SOFT).into_bytes()),
    ),
    ("sys/kernel", Global::Dir),
    ("sys/kernel/cap_last_cap", Global::File(sys::cap_last_cap)),
    ("sys/kernel/core_pattern", Global::File(sysctl::core_pattern)),
    ("sys/kernel/core_uses_pid", Global::File(sysctl::core_uses_pid)),
    ("sys/kernel/domainname", Global::File(sys::domainname)),
    ("sys/kernel/hostname", Global::File(sys::hostname)),
    ("sys/kernel/msgmax", Global::File(ipc_sysctl::msgmax)),
    ("sys/kernel/msgmnb", Global::File(ipc_sysctl::msgmnb)),
    ("sys/kernel/msgmni", Global::File(ipc_sysctl::msgmni)),
    ("sys/kernel/ngroups_max", Global::File(sys::ngroups_max)),
    ("sys/kernel/osrelease", Global::File(sys::osrelease)),
    ("sys/kernel/overflowgid", Global::File(sysctl::overflow_id)),
    ("sys/kernel/overflowuid", Global::File(sysctl::overflow_id)),
    ("sys/kernel/ostype", Global::File(sys::ostype)),
    ("sys/kernel/pid_max", Global::File(sys::pid_max)),
    ("sys/kernel/randomize_va_space", Global::File(sys::randomize_va_space)),
    ("sys/kernel/random", Global::Dir),
    ("sys/kernel/random/boot_id", Global::File(sys::boot_id)),
    ("sys/kernel/random/uuid", Global::File(sys::uuid)),
    ("sys/kernel/sem", Global::File(ipc_sysctl::sem)),
    ("sys/kernel/shmall", Global::File(ipc_sysctl::shmall)),
    ("sys/kernel/shmmax", Global::File(ipc_sysctl::shmmax)),
    ("sys/kernel/shmmni", Global::File(ipc_sysctl::shmmni)),
    ("sys/kernel/threads-max", Global::File(sys::threads_max)),
    ("sys/net", Global::Dir),
    ("sys/net/core", Global::Dir),
    ("sys/net/core/somaxconn", Global::File(sysctl::somaxconn)),
    ("sys/net/ipv4", Global::Dir),
    ("sys/net/ipv4/ip_local_port_range", Global::File(sys::ip_local_port_range)),
    ("sys/user", Global::Dir),
    ("sys/user/max_user_namespaces", Global::File(sysctl::max_user_namespaces)),
    ("sys/vm", Global::Dir),
    ("sys/vm/max_map_count", Global::File(sysctl::max_map_count)),
    ("sys/vm/overcommit_memory", Global::File(sys::overcommit_memory)),
];

/// The network namespace the net sysctls show: the reader's (the
/// sandbox's first for a reader that is not a task).
pub(crate) fn reader_net(k: &Kernel) -> Arc<crate::netstack::NetStack> {
    match crate::kernel::wait::current() {
        Some(t) => t.nsproxy().net,
        None => k.net.clone(),
    }
}

/// The `GLOBALS` index of a path under `net` (or of `net` itself), which
/// show in each process directory.
fn net_index(path: &[u8]) -> Option<usize> {
    if path != b"net" && !path.starts_with(b"net/") {
        return None;
    }
    GLOBALS.iter().position(|(p, _)| p.as_bytes() == path)
}

/// How a writable static file takes a write.
fn writer(path: &str) -> Option<file::WriteFn> {
    match path {
        "sys/kernel/hostname" => Some(sys::set_hostname),
        "sys/kernel/domainname" => Some(sys::set_domainname),
        "sys/kernel/core_pattern" | "sys/kernel/core_uses_pid" => Some(sysctl::set_core_pattern),
        "sys/net/core/somaxconn" => Some(sysctl::set_somaxconn),
        "sys/vm/max_map_count" => Some(sysctl::set_max_map_count),
        "sys/user/max_user_namespaces" => Some(sysctl::set_max_user_namespaces),
        "sys/fs/dir-notify-enable" => Some(sysctl::set_dir_notify_enable),
        "sys/fs/mqueue/msg_default" => Some(ipc_sysctl::set_mq_msg_default),
        "sys/fs/mqueue/msg_max" => Some(ipc_sysctl::set_mq_msg_max),
        "sys/fs/mqueue/msgsize_default" => Some(ipc_sysctl::set_mq_msgsize_default),
        "sys/fs/mqueue/msgsize_max" => Some(ipc_sysctl::set_mq_msgsize_max),
        "sys/fs/mqueue/queues_max" => Some(ipc_sysctl::set_mq_queues_max),
        "sys/kernel/msgmax" => Some(ipc_sysctl::set_msgmax),
        "sys/kernel/msgmnb" => Some(ipc_sysctl::set_msgmnb),
        "sys/kernel/msgmni" => Some(ipc_sysctl::set_msgmni),
        "sys/kernel/sem" => Some(ipc_sysctl::set_sem),
        "sys/kernel/shmall" => Some(ipc_sysctl::set_shmall),
        "sys/kernel/shmmax" => Some(ipc_sysctl::set_shmmax),
        "sys/kernel/shmmni" => Some(ipc_sysctl::set_shmmni),
        _ => None,
    }
}

/// A `/proc` file system.
pub struct ProcFs {
    /// The kernel whose processes show; set once the kernel exists.
    kernel: OnceLock<Weak<Kernel>>,
    dev: u64,
    /// The PID namespace shown; `None`: the viewer's container's.
    ns: Option<Arc<PidNamespace>>,
}

/// The caller's (pid, tid) as namespace `ns` numbers them, if a task is
/// calling and shows there.
fn caller_in(ns: &PidNamespace) -> Option<(i32, i32)> {
    let t = crate::kernel::wait::current()?;
    let (p, tid) = (t.tg.pid.nr_in(ns), t.tid.nr_in(ns));
    (p != 0 && tid != 0).then_some((p, tid))
}

/// Whether an open file was unlinked: Linux's d_path then says
/// " (deleted)". (Open files keep the path they were opened by, so a file
/// renamed since still shows its old name.)
fn unlinked(f: &crate::kernel::vfs::file::OpenFile) -> bool {
    f.ops.stat().is_ok_and(|s| s.nlink == 0)
}

/// What Linux shows for a descriptor the caller passed in (stdio): a
/// pipe's or socket's inode, or the file's path when the sandbox sees the
/// same file at that path (the host path is not shown otherwise, nor a
/// terminal's, whose name may belong to another pty in the sandbox).
fn host_fd_name(vfs: &crate::kernel::vfs::Vfs, f: &crate::kernel::vfs::file::OpenFile) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let fd = f.ops.poll_host_fd()?;
    let st = nix::sys::stat::fstat(fd).ok()?;
    match st.st_mode & libc::S_IFMT {
        libc::S_IFIFO => return Some(format!("pipe:[{}]", st.st_ino).into_bytes()),
        libc::S_IFSOCK => return Some(format!("socket:[{}]", st.st_ino).into_bytes()),
        _ => {}
    }
    let path = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    let path = path.as_os_str().as_bytes();
    let seen = vfs.stat(b"/", path, false).ok()?;
    let same = seen.file_type() == st.st_mode & libc::S_IFMT
        && match st.st_mode & libc::S_IFMT {
            // The memory devices (null, zero, full, random, urandom) are the
            // same whichever kernel serves them.
            libc::S_IFCHR => libc::major(st.st_rdev) == 1 && seen.rdev == st.st_rdev,
            libc::S_IFREG => seen.ino == st.st_ino && seen.size == st.st_size as u64,
            _ => false,
        };
    same.then(|| path.to_vec())
}

fn parse_num(s: &[u8]) -> Option<i32> {
    if s.is_empty() || s.len() > 10 || (s[0] == b'0' && s.len() > 1) || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

impl ProcFs {
    /// The sandbox's own `/proc`, with device number `dev`, showing each
    /// viewer its container's PID namespace; `attach` gives it its kernel.
    pub fn new(dev: u64) -> Arc<ProcFs> {
        Arc::new(ProcFs { kernel: OnceLock::new(), dev, ns: None })
    }

    /// Its device number (what stat and mountinfo show), known before the
    /// kernel is attached.
    pub fn dev(&self) -> u64 {
        self.dev
    }

    /// A `/proc` mounted by a process: it shows PID namespace `ns`.
    pub fn for_namespace(dev: u64, kernel: Weak<Kernel>, ns: Arc<PidNamespace>) -> Arc<ProcFs> {
        let kernel = OnceLock::from(kernel);
        Arc::new(ProcFs { kernel, dev, ns: Some(ns) })
    }

    /// Connects the kernel whose processes are shown.
    pub fn attach(&self, kernel: Weak<Kernel>) {
        let _ = self.kernel.set(kernel);
    }

    fn kernel(&self) -> Result<Arc<Kernel>, Errno> {
        self.kernel.get().and_then(Weak::upgrade).ok_or(Errno::ENOENT)
    }

    /// The PID namespace whose processes show to the caller.
    fn view(&self, k: &Kernel) -> Arc<PidNamespace> {
        match &self.ns {
            Some(ns) => ns.clone(),
            None => crate::kernel::wait::current()
                .map(|t| t.tg.container.pidns().clone())
                .unwrap_or_else(|| k.root_pidns.clone()),
        }
    }

    /// The process and (for `task/<tid>` nodes) the thread of a node; ESRCH
    /// once it is gone or if it does not show in the caller's view.
    pub(super) fn target(&self, n: &ProcNode) -> Result<ProcTarget, Errno> {
        let k = self.kernel()?;
        let ns = self.view(&k);
        let procs = k.procs();
        let tg = procs.group(n.pid).filter(|g| g.pid.visible_in(&ns)).ok_or(Errno::ESRCH)?;
        let tid = if n.tid != 0 { n.tid } else { n.pid };
        let task = procs.task(tid).filter(|t| Arc::ptr_eq(&t.tg, &tg)).or_else(|| tg.task_list().first().cloned());
        drop(procs);
        Ok((k, tg, task))
    }

    /// Parses an fs path into a node, if it exists.
    fn parse(&self, path: &[u8]) -> Result<Option<ProcNode>, Errno> {
        let comps: Vec<&[u8]> = components(path).collect();
        let Some((first, rest)) = comps.split_first() else {
            return Ok(Some(ProcNode::root()));
        };
        match (*first, rest.len()) {
            (b"self", 0) => return Ok(Some(ProcNode::of(Kind::SelfLink))),
            (b"thread-self", 0) => return Ok(Some(ProcNode::of(Kind::ThreadSelf))),
            _ => {}
        }
        if let Some(id) = parse_num(first) {
            let k = self.kernel()?;
            let ns = self.view(&k);
            let procs = k.procs();
            // A thread id names its thread group's directory too, as in Linux.
            let (pid, tid) = match procs.group_in(&ns, id) {
                Some(g) => (g.gpid(), 0),
                None => match procs.task_in(&ns, id) {
                    Some(t) => (t.tg.gpid(), t.gtid()),
                    None => return Ok(None),
                },
            };
            drop(procs);
            return self.parse_pid(pid, tid, rest, true);
        }
        let joined: Vec<u8> = comps.join(&b'/');
        // `net` is a link to `self/net`: its files are reached through it.
        if joined.starts_with(b"net/") {
            return Ok(None);
        }
        Ok(GLOBALS.iter().position(|(p, _)| p.as_bytes() == joined.as_slice()).map(|i| ProcNode::of(Kind::Global(i))))
    }

    fn parse_pid(&self, pid: i32, tid: i32, rest: &[&[u8]], top: bool) -> Result<Option<ProcNode>, Errno> {
        let node = |kind, fd| Ok(Some(ProcNode { kind, pid, tid, fd }));
        match rest {
            [] => node(Kind::PidDir, 0),
            [b"task"] if top => node(Kind::TaskDir, 0),
            [b"task", t, more @ ..] if top => {
                let Some(t) = parse_num(t) else {
                    return Ok(None);
                };
                let k = self.kernel()?;
                let ns = self.view(&k);
                let task = k.procs().task_in(&ns, t).filter(|x| x.tg.gpid() == pid);
                let Some(task) = task else {
                    return Ok(None);
                };
                self.parse_pid(pid, task.gtid(), more, false)
            }
            [b"net", more @ ..] => {
                let mut path = b"net".to_vec();
                for c in more {
                    path.push(b'/');
                    path.extend_from_slice(c);
                }
                Ok(net_index(&path).map(|i| ProcNode { kind: Kind::Net(i), pid, tid, fd: 0 }))
            }
            [b"ns"] => node(Kind::NsDir, 0),
            [b"map_files"] if tid == 0 => node(Kind::MapFilesDir, 0),
            [b"map_files", name] if tid == 0 => {
                let Some((start, end)) = map_files::parse_name(name) else {
                    return Ok(None);
                };
                let (_, tg, _) = self.target(&ProcNode { kind: Kind::PidDir, pid, tid, fd: 0 })?;
                map_files::may_read(&tg)?;
                Ok(map_files::find(&tg, start, end).map(|_| ProcNode {
                    kind: Kind::MapFile(start, end),
                    pid,
                    tid,
                    fd: 0,
                }))
            }
            [b"ns", name] => Ok(NsEntry::by_name(name).map(|e| ProcNode { kind: Kind::Ns(e), pid, tid, fd: 0 })),
            [b"fd"] => node(Kind::FdDir, 0),
            [b"fdinfo"] => node(Kind::FdInfoDir, 0),
            [dir @ (b"fd" | b"fdinfo"), n] => {
                let Some(fd) = parse_num(n) else {
                    return Ok(None);
                };
                let (_, tg, _) = self.target(&ProcNode { kind: Kind::PidDir, pid, tid, fd: 0 })?;
                if tg.fds.get(fd).is_err() {
                    return Ok(None);
                }
                node(if *dir == b"fd" { Kind::Fd } else { Kind::FdInfo }, fd)
            }
            [name] => Ok(PidEntry::by_name(name).filter(|e| !(e.is_process_only() && tid != 0)).map(|e| ProcNode {
                kind: Kind::Entry(e),
                pid,
                tid,
                fd: 0,
            })),
            _ => Ok(None),
        }
    }

    /// A stable inode number for a node.
    fn ino(n: &ProcNode) -> u64 {
        let kind = match n.kind {
            Kind::Root => return 1,
            Kind::SelfLink => 2,
            Kind::ThreadSelf => 3,
            Kind::Global(i) => 16 + i as u64,
            Kind::PidDir => 100,
            Kind::TaskDir => 101,
            Kind::FdDir => 102,
            Kind::FdInfoDir => 103,
            Kind::Fd => 104,
            Kind::FdInfo => 105,
            Kind::NsDir => 106,
            Kind::MapFilesDir => 107,
            // Distinct per mapping: a page number in the upper bits.
            Kind::MapFile(start, _) => 108 ^ ((start >> 12) << 20),
            Kind::Ns(e) => 150 + e as u64,
            Kind::Entry(e) => 200 + e as u64,
            Kind::Net(i) => 300 + i as u64,
        };
        if n.pid == 0 {
            return kind;
        }
        ((n.pid as u64) << 32) ^ ((n.tid as u64) << 16) ^ ((n.fd as u64) << 9) ^ kind ^ 0x1000
    }
}

impl Filesystem for ProcFs {
    fn fs_type(&self) -> &'static str {
        "proc"
    }

    fn node_at(&self, path: &[u8]) -> Result<Option<Node>, Errno> {
        Ok(self.parse(path)?.map(Node::Proc))
    }

    fn lookup(&self, dir_path: &[u8], _dir: &Node, name: &[u8]) -> Result<Option<Node>, Errno> {
        self.node_at(&join(dir_path, name))
    }

    fn stat(&self, _path: &[u8], node: &Node) -> Result<Stat, Errno> {
        let Node::Proc(n) = node else {
            return Err(Errno::EINVAL);
        };
        let k = self.kernel()?;
        let boot = sys::boot_time(&k);
        let mut st = Stat {
            dev: self.dev,
            ino: ProcFs::ino(n),
            nlink: 1,
            blksize: 1024,
            atime: boot,
            mtime: boot,
            ctime: boot,
            ..Default::default()
        };
        st.mode = match n.kind {
            Kind::Root | Kind::PidDir | Kind::TaskDir => libc::S_IFDIR | 0o555,
            Kind::NsDir => libc::S_IFDIR | 0o511,
            Kind::MapFilesDir => libc::S_IFDIR | 0o500,
            Kind::MapFile(..) => libc::S_IFLNK | 0o400,
            Kind::Ns(_) => libc::S_IFLNK | 0o777,
            Kind::FdDir => libc::S_IFDIR | 0o500,
            Kind::FdInfoDir => libc::S_IFDIR | 0o555,
            Kind::SelfLink | Kind::ThreadSelf | Kind::Fd => libc::S_IFLNK | 0o777,
            Kind::FdInfo => libc::S_IFREG | 0o444,
            Kind::Global(i) => match GLOBALS[i].1 {
                Global::Dir => libc::S_IFDIR | 0o555,
                Global::File(_) => libc::S_IFREG | if writer(GLOBALS[i].0).is_some() { 0o644 } else { 0o444 },
                Global::Net(_) => libc::S_IFREG | 0o444,
                Global::Link(_) => libc::S_IFLNK | 0o777,
            },
            Kind::Entry(e) => e.mode(),
            Kind::Net(i) => match GLOBALS[i].1 {
                Global::File(_) | Global::Net(_) => libc::S_IFREG | 0o444,
                _ => libc::S_IFDIR | 0o555,
            },
        };
        if st.mode & libc::S_IFMT == libc::S_IFDIR {
            st.nlink = 2;
        }
        if n.pid != 0 {
            let (_, tg, _) = self.target(n)?;
            let creds = tg.creds.lock().unwrap_or_else(|e| e.into_inner()).clone();
            st.uid = creds.euid;
            st.gid = creds.egid;
            let t = sys::process_start(&k, &tg);
            st.atime = t;
            st.mtime = t;
            st.ctime = t;
        }
        match n.kind {
            // Linux (6.2 on) gives a descriptor directory the number of open descriptors as size.
            Kind::FdDir => st.size = self.target(n)?.1.fds.count() as u64,
            // A fixed link's size is its text's length (proc_symlink).
            Kind::Global(i) => {
                if let Global::Link(t) = GLOBALS[i].1 {
                    st.size = t.len() as u64;
                }
            }
            _ => {}
        }
        if let Kind::MapFile(start, end) = n.kind {
            let (_, tg, _) = self.target(n)?;
            let file = map_files::find(&tg, start, end).ok_or(Errno::ENOENT)?;
            st.mode = map_files::mode(&file);
            st.size = 64;
        }
        if let Kind::Fd = n.kind {
            let (_, tg, _) = self.target(n)?;
            let f = tg.fds.entry(n.fd)?;
            let acc = f.file.flags() as i32 & libc::O_ACCMODE;
            st.mode = libc::S_IFLNK
                | match acc {
                    libc::O_RDONLY => 0o500,
                    libc::O_WRONLY => 0o300,
                    _ => 0o700,
                };
            st.size = 64;
        }
        Ok(st)
    }

    fn readlink(&self, _path: &[u8], node: &Node) -> Option<Result<Link, Errno>> {
        let Node::Proc(n) = node else {
            return None;
        };
        // `self` of a caller this /proc does not show is ENOENT, as in Linux.
        let me = || self.kernel().ok().and_then(|k| caller_in(&self.view(&k))).ok_or(Errno::ENOENT);
        Some(match n.kind {
            Kind::SelfLink => me().map(|(p, _)| Link::Text(p.to_string().into_bytes())),
            Kind::ThreadSelf => me().map(|(p, t)| Link::Text(format!("{p}/task/{t}").into_bytes())),
            Kind::Ns(e) => self.target(n).and_then(|(_, tg, task)| {
                use crate::kernel::ns::file::{link, NsRef};
                if e == NsEntry::Pid {
                    return Ok(link(NsRef::Pid(tg.pidns().clone())));
                }
                // A zombie has no other namespaces left, as in Linux.
                let nsp = task.ok_or(Errno::ENOENT)?.nsproxy();
                let r = match e {
                    NsEntry::Pid => NsRef::Pid(tg.pidns().clone()),
                    NsEntry::PidForChildren => {
                        // A namespace made by unshare shows once its first
                        // process exists.
                        let ns = nsp.pid_for_children;
                        if !ns.had_init() && !Arc::ptr_eq(&ns, tg.pidns()) {
                            return Err(Errno::ENOENT);
                        }
                        NsRef::Pid(ns)
                    }
                    NsEntry::User => NsRef::User(tg.creds.lock().unwrap_or_else(|e| e.into_inner()).user_ns.clone()),
                    NsEntry::Uts => NsRef::Uts(nsp.uts),
                    NsEntry::Ipc => NsRef::Ipc(nsp.ipc),
                    NsEntry::Mnt => NsRef::Mnt(nsp.mnt),
                    NsEntry::Net => NsRef::Net(nsp.net),
                };
                Ok(link(r))
            }),
            Kind::Global(i) => match GLOBALS[i].1 {
                Global::Link(t) => Ok(Link::Text(t.as_bytes().to_vec())),
                _ => return None,
            },
            Kind::Fd => self.target(n).and_then(|(_, tg, task)| {
                let f = tg.fds.get(n.fd)?;
                if f.path.first() == Some(&b'/') && f.ops.stat().is_ok_and(|s| s.is_dir()) {
                    return Ok(Link::Path(f.path.clone()));
                }
                if f.path.starts_with(b"host:[") {
                    if let Some(text) = task.and_then(|t| host_fd_name(&t.nsproxy().mnt, &f)) {
                        return Ok(Link::File(f, text));
                    }
                }
                let mut text = f.path.clone();
                if f.path.first() == Some(&b'/') && !f.path.ends_with(b" (deleted)") && unlinked(&f) {
                    text.extend_from_slice(b" (deleted)");
                }
                Ok(Link::File(f, text))
            }),
            Kind::Entry(e) if e.is_link() => self.target(n).and_then(|(_, tg, _)| pid::link(e, &tg)),
            Kind::MapFile(start, end) => self.target(n).and_then(|(_, tg, _)| map_files::link(&tg, start, end)),
            _ => return None,
        })
    }

    /// A process directory (not a `task/<tid>` one, as in Linux).
    fn dir_process(&self, node: &Node) -> Option<Arc<ThreadGroup>> {
        match node {
            Node::Proc(n) if n.kind == Kind::PidDir && n.tid == 0 => self.target(n).ok().map(|(_, tg, _)| tg),
            _ => None,
        }
    }

    fn open(&self, _path: &[u8], node: &Node, req: OpenReq) -> Result<Box<dyn FileOps>, Errno> {
        let Node::Proc(n) = node else {
            return Err(Errno::EINVAL);
        };
        let st = self.stat(b"", node)?;
        let kernel = self.kernel()?;
        let k = Arc::downgrade(&kernel);
        let file: ProcFile = match n.kind {
            Kind::Global(i) => match GLOBALS[i].1 {
                Global::File(f) => ProcFile::global(k, f, writer(GLOBALS[i].0), st),
                _ => return Err(Errno::EISDIR),
            },
            Kind::Net(i) => {
                // The process's namespace, as it is when the file is opened.
                let (_, _, task) = self.target(n)?;
                match GLOBALS[i].1 {
                    Global::File(f) => ProcFile::global(k, f, None, st),
                    Global::Net(f) => {
                        let net = task.ok_or(Errno::ESRCH)?.nsproxy().net;
                        ProcFile::net(net, f, st)
                    }
                    _ => return Err(Errno::EISDIR),
                }
            }
            Kind::Entry(e @ (PidEntry::Mem | PidEntry::Pagemap)) => {
                let (_, tg, task) = self.target(n)?;
                return Ok(Box::new(mem::open(&tg, task.as_ref(), st, e == PidEntry::Pagemap)?));
            }
            Kind::Entry(e) => {
                let (_, tg, task) = self.target(n)?;
                let ns = self.view(&kernel);
                ProcFile::pid(k, Arc::downgrade(&tg), task.map(|t| Arc::downgrade(&t)), e, n.tid != 0, ns, st)
            }
            Kind::FdInfo => {
                let (_, tg, _) = self.target(n)?;
                tg.fds.get(n.fd)?;
                ProcFile::fdinfo(k, Arc::downgrade(&tg), n.fd, st)
            }
            _ => return Err(Errno::ENXIO),
        };
        let _ = req;
        Ok(Box::new(file))
    }

    fn list(&self, _path: &[u8], node: &Node) -> Result<Vec<DirEntry>, Errno> {
        let Node::Proc(n) = node else {
            return Err(Errno::EINVAL);
        };
        let entry = |name: String, kind: u8, node: ProcNode| DirEntry {
            ino: ProcFs::ino(&node),
            kind,
            name: name.into_bytes(),
        };
        let mut out = Vec::new();
        match n.kind {
            Kind::Root => {
                for (i, (p, g)) in GLOBALS.iter().enumerate() {
                    if p.contains('/') {
                        continue;
                    }
                    let t = match g {
                        Global::Dir => libc::DT_DIR,
                        Global::File(_) | Global::Net(_) => libc::DT_REG,
                        Global::Link(_) => libc::DT_LNK,
                    };
                    out.push(entry(p.to_string(), t, ProcNode::of(Kind::Global(i))));
                }
                out.push(entry("self".into(), libc::DT_LNK, ProcNode::of(Kind::SelfLink)));
                out.push(entry("thread-self".into(), libc::DT_LNK, ProcNode::of(Kind::ThreadSelf)));
                let k = self.kernel()?;
                let ns = self.view(&k);
                // In the order of their numbers there, as Linux lists them.
                let mut pids: Vec<(i32, i32)> =
                    k.procs().groups_in(&ns).map(|g| (g.pid.nr_in(&ns), g.gpid())).collect();
                pids.sort_unstable();
                for (nr, pid) in pids {
                    let node = ProcNode { kind: Kind::PidDir, pid, tid: 0, fd: 0 };
                    out.push(entry(nr.to_string(), libc::DT_DIR, node));
                }
            }
            Kind::Net(i) => {
                self.target(n)?;
                let prefix = format!("{}/", GLOBALS[i].0);
                for (j, (p, g)) in GLOBALS.iter().enumerate() {
                    let Some(name) = p.strip_prefix(&prefix).filter(|name| !name.contains('/')) else {
                        continue;
                    };
                    let t = if matches!(g, Global::Dir) { libc::DT_DIR } else { libc::DT_REG };
                    out.push(entry(name.to_string(), t, ProcNode { kind: Kind::Net(j), ..n.clone() }));
                }
            }
            Kind::Global(i) => {
                let prefix = format!("{}/", GLOBALS[i].0);
                for (j, (p, g)) in GLOBALS.iter().enumerate() {
                    let Some(name) = p.strip_prefix(&prefix) else {
                        continue;
                    };
                    if name.contains('/') {
                        continue;
                    }
                    let t = if matches!(g, Global::Dir) { libc::DT_DIR } else { libc::DT_REG };
                    out.push(entry(name.to_string(), t, ProcNode::of(Kind::Global(j))));
                }
            }
            Kind::PidDir => {
                for e in PidEntry::ALL {
                    if (e.is_task_only() && n.tid == 0) || (e.is_process_only() && n.tid != 0) {
                        continue;
                    }
                    let t = if e.is_link() { libc::DT_LNK } else { libc::DT_REG };
                    out.push(entry(e.name().into(), t, ProcNode { kind: Kind::Entry(*e), ..n.clone() }));
                }
                let net = net_index(b"net").unwrap_or(0);
                out.push(entry("net".into(), libc::DT_DIR, ProcNode { kind: Kind::Net(net), ..n.clone() }));
                out.push(entry("fd".into(), libc::DT_DIR, ProcNode { kind: Kind::FdDir, ..n.clone() }));
                out.push(entry("fdinfo".into(), libc::DT_DIR, ProcNode { kind: Kind::FdInfoDir, ..n.clone() }));
                out.push(entry("ns".into(), libc::DT_DIR, ProcNode { kind: Kind::NsDir, ..n.clone() }));
                if n.tid == 0 {
                    let node = ProcNode { kind: Kind::MapFilesDir, ..n.clone() };
                    out.push(entry("map_files".into(), libc::DT_DIR, node));
                    out.push(entry("task".into(), libc::DT_DIR, ProcNode { kind: Kind::TaskDir, ..n.clone() }));
                }
            }
            Kind::TaskDir => {
                let (k, tg, _) = self.target(n)?;
                let ns = self.view(&k);
                let mut tids: Vec<(i32, i32)> = tg.task_list().iter().map(|t| (t.tid.nr_in(&ns), t.gtid())).collect();
                tids.sort_unstable();
                for (nr, t) in tids {
                    let node = ProcNode { kind: Kind::PidDir, pid: n.pid, tid: t, fd: 0 };
                    out.push(entry(nr.to_string(), libc::DT_DIR, node));
                }
            }
            Kind::NsDir => {
                self.target(n)?;
                for e in NsEntry::ALL {
                    out.push(entry(e.name().into(), libc::DT_LNK, ProcNode { kind: Kind::Ns(*e), ..n.clone() }));
                }
            }
            Kind::MapFilesDir => {
                let (_, tg, _) = self.target(n)?;
                map_files::may_read(&tg)?;
                for (start, end, _) in map_files::entries(&tg) {
                    let node = ProcNode { kind: Kind::MapFile(start, end), ..n.clone() };
                    out.push(entry(map_files::name(start, end), libc::DT_LNK, node));
                }
            }
            Kind::FdDir | Kind::FdInfoDir => {
                let (_, tg, _) = self.target(n)?;
                let (kind, t) =
                    if n.kind == Kind::FdDir { (Kind::Fd, libc::DT_LNK) } else { (Kind::FdInfo, libc::DT_REG) };
                for (fd, _) in tg.fds.list() {
                    out.push(entry(fd.to_string(), t, ProcNode { kind, fd, ..n.clone() }));
                }
            }
            _ => return Err(Errno::ENOTDIR),
        }
        Ok(out)
    }

    fn create(&self, _path: &[u8], _mode: u32, _owner: super::fs::Owner) -> Result<Box<dyn FileOps>, Errno> {
        Err(Errno::ENOENT)
    }

    fn mkdir(&self, _path: &[u8], _mode: u32, _owner: super::fs::Owner) -> Result<(), Errno> {
        Err(Errno::ENOENT)
    }

    fn mknod(&self, _path: &[u8], _mode: u32, _rdev: u64, _owner: super::fs::Owner) -> Result<(), Errno> {
        Err(Errno::ENOENT)
    }

    fn symlink(&self, _path: &[u8], _target: &[u8], _owner: super::fs::Owner) -> Result<(), Errno> {
        Err(Errno::ENOENT)
    }

    fn statfs(&self) -> StatFs {
        StatFs { fs_type: magic::PROC, bsize: 4096, namelen: 255, ..Default::default() }
    }
}
