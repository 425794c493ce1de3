//! Process credentials.

use std::sync::Arc;

use crate::kernel::ns::user::{capable_over, UserNamespace};
use crate::kernel::vfs::stat::Stat;

/// Real, effective and saved user and group ids, and supplementary groups,
/// all kernel ids (the initial user namespace's), and the user namespace
/// the process is in: the ids it passes and sees are that namespace's
/// (`ns/user.rs` translates), and its capabilities hold there.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub ruid: u32,
    pub euid: u32,
    pub suid: u32,
    pub rgid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub groups: Vec<u32>,
    pub user_ns: Arc<UserNamespace>,
}

impl Default for Credentials {
    fn default() -> Credentials {
        Credentials::new(0, 0)
    }
}

impl Credentials {
    /// All ids set to `uid`/`gid`, in the initial user namespace.
    pub fn new(uid: u32, gid: u32) -> Credentials {
        Credentials {
            ruid: uid,
            euid: uid,
            suid: uid,
            rgid: gid,
            egid: gid,
            sgid: gid,
            groups: Vec::new(),
            user_ns: UserNamespace::init(),
        }
    }

    /// Whether kernel uid `uid` is root (uid 0) of the process's user
    /// namespace.
    pub fn is_root_uid(&self, uid: u32) -> bool {
        self.user_ns.uid_to_kernel(0) == Some(uid)
    }

    /// Whether the effective uid is root of the process's user namespace:
    /// husk's stand-in for holding every capability there.
    pub fn is_root(&self) -> bool {
        self.is_root_uid(self.euid)
    }

    /// Whether the process has root's privileges over what user namespace
    /// `target` owns (Linux's ns_capable by euid 0): it is root in
    /// `target` or an ancestor, or it created `target` from its parent.
    pub fn root_over(&self, target: &UserNamespace) -> bool {
        capable_over(&self.user_ns, self.euid, self.is_root(), target)
    }

    /// Root's privileges over the whole sandbox (Linux's capable()).
    pub fn superuser(&self) -> bool {
        self.root_over(&UserNamespace::init())
    }

    /// Whether a file's owner and group both map into the process's user
    /// namespace, which root's file privileges there need
    /// (privileged_wrt_inode_uidgid).
    pub fn maps_owner_of(&self, s: &Stat) -> bool {
        self.user_ns.uid_from_kernel(s.uid).is_some() && self.user_ns.gid_from_kernel(s.gid).is_some()
    }

    /// Root's file privileges (CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN)
    /// over a file: root of its namespace, and the file's ids map there.
    pub fn root_over_file(&self, s: &Stat) -> bool {
        self.is_root() && self.maps_owner_of(s)
    }

    /// Whether these credentials grant `mode` (R_OK=4, W_OK=2, X_OK=1 bits)
    /// on a file, with the effective ids or else the real ones.
    pub fn may_access(&self, s: &Stat, mode: u32, effective: bool) -> bool {
        let (uid, gid) = if effective { (self.euid, self.egid) } else { (self.ruid, self.rgid) };
        if self.is_root_uid(uid) && self.maps_owner_of(s) {
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

/// Moves process `tg` into user namespace `ns` (clone or unshare with
/// CLONE_NEWUSER, setns), as Linux's set_cred_user_ns: its ids stay, and
/// it gets every capability there (none inheritable). Dropped again by an
/// execve that does not run as the namespace's root.
pub fn enter_user_ns(tg: &super::ThreadGroup, ns: Arc<UserNamespace>) {
    let mut creds = tg.creds.lock().unwrap_or_else(|e| e.into_inner());
    let mut privs = tg.privs.lock().unwrap_or_else(|e| e.into_inner());
    creds.user_ns = ns;
    privs.effective = super::CAP_FULL_SET;
    privs.permitted = super::CAP_FULL_SET;
    privs.bounding = super::CAP_FULL_SET;
    privs.inheritable = 0;
    privs.ambient = 0;
}
