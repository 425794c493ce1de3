//! Process credentials.

/// Real, effective and saved user and group ids, and supplementary groups.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    pub ruid: u32,
    pub euid: u32,
    pub suid: u32,
    pub rgid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub groups: Vec<u32>,
}

impl Credentials {
    /// All ids set to `uid`/`gid`.
    pub fn new(uid: u32, gid: u32) -> Credentials {
        Credentials { ruid: uid, euid: uid, suid: uid, rgid: gid, egid: gid, sgid: gid, groups: Vec::new() }
    }
}

impl Credentials {
    /// Whether these credentials grant `mode` (R_OK=4, W_OK=2, X_OK=1 bits)
    /// on a file, with the effective ids or else the real ones.
    pub fn may_access(&self, s: &crate::kernel::vfs::stat::Stat, mode: u32, effective: bool) -> bool {
        let (uid, gid) = if effective { (self.euid, self.egid) } else { (self.ruid, self.rgid) };
        if uid == 0 {
            // root may do anything but execute a file no one may execute.
            return mode & 1 == 0 || s.is_dir() || s.mode & 0o111 != 0;
        }
        let bits = if s.uid == uid {
            (s.mode >> 6) & 7
        } else if s.gid == gid || self.groups.contains(&s.gid) {
            (s.mode >> 3) & 7
        } else {
            s.mode & 7
        };
        bits & mode == mode
    }
}
