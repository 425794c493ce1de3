//! The names, kinds and modes of the entries of `/proc/<pid>` and
//! `/proc/<pid>/task/<tid>` (Linux's tgid_base_stuff and tid_base_stuff).

/// The entries of a process directory (directories other than `net` are
/// their own node kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidEntry {
    Auxv,
    Cgroup,
    Cmdline,
    Comm,
    CoredumpFilter,
    Cpuset,
    Cwd,
    Environ,
    Exe,
    GidMap,
    Io,
    Limits,
    Loginuid,
    Maps,
    Mem,
    Mountinfo,
    Mounts,
    Mountstats,
    OomAdj,
    OomScore,
    OomScoreAdj,
    Pagemap,
    Personality,
    Root,
    Schedstat,
    Sessionid,
    Smaps,
    SmapsRollup,
    Setgroups,
    Stat,
    Statm,
    Status,
    Syscall,
    Timers,
    TimerslackNs,
    UidMap,
    Wchan,
}

impl PidEntry {
    /// Every entry, in listing order.
    pub const ALL: &'static [PidEntry] = &[
        PidEntry::Auxv,
        PidEntry::Cgroup,
        PidEntry::Cmdline,
        PidEntry::Comm,
        PidEntry::CoredumpFilter,
        PidEntry::Cpuset,
        PidEntry::Cwd,
        PidEntry::Environ,
        PidEntry::Exe,
        PidEntry::GidMap,
        PidEntry::Io,
        PidEntry::Limits,
        PidEntry::Loginuid,
        PidEntry::Maps,
        PidEntry::Mem,
        PidEntry::Mountinfo,
        PidEntry::Mounts,
        PidEntry::Mountstats,
        PidEntry::OomAdj,
        PidEntry::OomScore,
        PidEntry::OomScoreAdj,
        PidEntry::Pagemap,
        PidEntry::Personality,
        PidEntry::Root,
        PidEntry::Schedstat,
        PidEntry::Sessionid,
        PidEntry::Smaps,
        PidEntry::SmapsRollup,
        PidEntry::Setgroups,
        PidEntry::Stat,
        PidEntry::Statm,
        PidEntry::Status,
        PidEntry::Syscall,
        PidEntry::Timers,
        PidEntry::TimerslackNs,
        PidEntry::UidMap,
        PidEntry::Wchan,
    ];

    /// The file name.
    pub fn name(self) -> &'static str {
        match self {
            PidEntry::Auxv => "auxv",
            PidEntry::Cgroup => "cgroup",
            PidEntry::Cmdline => "cmdline",
            PidEntry::Comm => "comm",
            PidEntry::CoredumpFilter => "coredump_filter",
            PidEntry::Cpuset => "cpuset",
            PidEntry::Cwd => "cwd",
            PidEntry::Environ => "environ",
            PidEntry::Exe => "exe",
            PidEntry::GidMap => "gid_map",
            PidEntry::Io => "io",
            PidEntry::Limits => "limits",
            PidEntry::Loginuid => "loginuid",
            PidEntry::Maps => "maps",
            PidEntry::Mem => "mem",
            PidEntry::Mountinfo => "mountinfo",
            PidEntry::Mounts => "mounts",
            PidEntry::Mountstats => "mountstats",
            PidEntry::OomAdj => "oom_adj",
            PidEntry::OomScore => "oom_score",
            PidEntry::OomScoreAdj => "oom_score_adj",
            PidEntry::Pagemap => "pagemap",
            PidEntry::Personality => "personality",
            PidEntry::Root => "root",
            PidEntry::Schedstat => "schedstat",
            PidEntry::Sessionid => "sessionid",
            PidEntry::Smaps => "smaps",
            PidEntry::SmapsRollup => "smaps_rollup",
            PidEntry::Setgroups => "setgroups",
            PidEntry::Stat => "stat",
            PidEntry::Statm => "statm",
            PidEntry::Status => "status",
            PidEntry::Syscall => "syscall",
            PidEntry::Timers => "timers",
            PidEntry::TimerslackNs => "timerslack_ns",
            PidEntry::UidMap => "uid_map",
            PidEntry::Wchan => "wchan",
        }
    }

    /// The entry called `name`.
    pub fn by_name(name: &[u8]) -> Option<PidEntry> {
        PidEntry::ALL.iter().copied().find(|e| e.name().as_bytes() == name)
    }

    /// True for the magic links (`cwd`, `exe`, `root`).
    pub fn is_link(self) -> bool {
        matches!(self, PidEntry::Cwd | PidEntry::Exe | PidEntry::Root)
    }

    /// True for entries only a thread directory has (none so far).
    pub fn is_task_only(self) -> bool {
        false
    }

    /// True for entries only a process directory has (Linux's
    /// tgid_base_stuff without a tid_base_stuff twin).
    pub fn is_process_only(self) -> bool {
        matches!(self, PidEntry::TimerslackNs | PidEntry::CoredumpFilter | PidEntry::Timers | PidEntry::Mountstats)
    }

    /// Type and permission bits.
    pub fn mode(self) -> u32 {
        match self {
            e if e.is_link() => libc::S_IFLNK | 0o777,
            PidEntry::Environ
            | PidEntry::Auxv
            | PidEntry::Personality
            | PidEntry::Io
            | PidEntry::Syscall
            | PidEntry::Mountstats
            | PidEntry::Pagemap => libc::S_IFREG | 0o400,
            PidEntry::Mem => libc::S_IFREG | 0o600,
            PidEntry::TimerslackNs => libc::S_IFREG | 0o666,
            PidEntry::Comm
            | PidEntry::CoredumpFilter
            | PidEntry::OomAdj
            | PidEntry::OomScoreAdj
            | PidEntry::UidMap
            | PidEntry::GidMap
            | PidEntry::Setgroups
            | PidEntry::Loginuid => libc::S_IFREG | 0o644,
            _ => libc::S_IFREG | 0o444,
        }
    }
}
