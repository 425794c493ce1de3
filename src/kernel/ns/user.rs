//! User namespaces (user_namespaces(7)).
//!
//! Credentials hold kernel ids: the ids of the sandbox's initial user
//! namespace, whose maps are the identity (`0 0 4294967295`). A child
//! namespace maps ids of its own onto ids of its parent through `uid_map`
//! and `gid_map`, each written once (`/proc/PID/{uid_map,gid_map}`); the
//! extents are kept with their lower ids already turned into kernel ids,
//! as Linux's are, so translating either way is one lookup. An id a
//! namespace does not map shows there as the overflow id (65534).
//!
//! Every other namespace is owned by the user namespace its creator was
//! in; a capability works on it only when held in that namespace or an
//! ancestor of it (`capable_over`, Linux's cap_capable). The creator of a
//! user namespace (its owner's euid) has every capability in it from the
//! parent namespace.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::pid::alloc_ns_ino;
use crate::kernel::errno::Errno;

/// Inode number of the initial user namespace (Linux's PROC_USER_INIT_INO).
const INIT_INO: u64 = 0xEFFF_FFFD;

/// Deepest nesting: 32 levels below the initial namespace (ENOSPC past it).
const MAX_LEVEL: u32 = 32;

/// Most extents a map may have (UID_GID_MAP_MAX_EXTENTS).
pub const MAX_EXTENTS: usize = 340;

/// The id unmapped ids show as (`/proc/sys/kernel/overflowuid`, `overflowgid`).
pub const OVERFLOW_ID: u32 = 65534;

/// The default of `/proc/sys/user/max_user_namespaces` in the sandbox.
pub const DEFAULT_MAX_NAMESPACES: u64 = 1024;

/// The limit `/proc/sys/user/max_user_namespaces` shows and sets.
pub static MAX_NAMESPACES: AtomicU64 = AtomicU64::new(DEFAULT_MAX_NAMESPACES);

/// Child user namespaces alive in the sentry, counted against
/// `MAX_NAMESPACES`.
static LIVE: AtomicU64 = AtomicU64::new(0);

/// One line of a map: `count` ids from `first` (in the namespace) onto
/// `lower` (a kernel id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    pub first: u32,
    pub lower: u32,
    pub count: u32,
}

/// A uid or gid map: at most `MAX_EXTENTS` extents that overlap neither
/// inside nor outside.
#[derive(Clone, Debug, Default)]
pub struct IdMap {
    pub extents: Vec<Extent>,
}

impl IdMap {
    /// The identity map of the initial namespace.
    fn identity() -> IdMap {
        IdMap { extents: vec![Extent { first: 0, lower: 0, count: u32::MAX }] }
    }

    /// The kernel id of namespace id `id` (Linux's map_id_down).
    fn down(&self, id: u32) -> Option<u32> {
        self.extents.iter().find(|e| id >= e.first && id - e.first < e.count).map(|e| e.lower + (id - e.first))
    }

    /// The namespace id of kernel id `kid` (map_id_up).
    fn up(&self, kid: u32) -> Option<u32> {
        self.extents.iter().find(|e| kid >= e.lower && kid - e.lower < e.count).map(|e| e.first + (kid - e.lower))
    }
}

/// Which of a namespace's two maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapKind {
    Uid,
    Gid,
}

/// One user namespace.
pub struct UserNamespace {
    ino: u64,
    /// 0 for the initial namespace.
    level: u32,
    parent: Option<Arc<UserNamespace>>,
    /// The creator's effective uid (a kernel id).
    owner: u32,
    uid_map: OnceLock<IdMap>,
    gid_map: OnceLock<IdMap>,
    /// Serialises map writes and `setgroups` (Linux's userns_state_mutex);
    /// holds whether setgroups(2) is allowed ("allow"/"deny"). A leaf lock.
    state: Mutex<bool>,
}

impl std::fmt::Debug for UserNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "user:[{}]", self.ino)
    }
}

impl Drop for UserNamespace {
    fn drop(&mut self) {
        if self.parent.is_some() {
            LIVE.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl UserNamespace {
    /// The initial user namespace, shared by every sandbox of the sentry
    /// (it never changes).
    pub fn init() -> Arc<UserNamespace> {
        static INIT: OnceLock<Arc<UserNamespace>> = OnceLock::new();
        INIT.get_or_init(|| {
            Arc::new(UserNamespace {
                ino: INIT_INO,
                level: 0,
                parent: None,
                owner: 0,
                uid_map: OnceLock::from(IdMap::identity()),
                gid_map: OnceLock::from(IdMap::identity()),
                state: Mutex::new(true),
            })
        })
        .clone()
    }

    /// A child namespace created by a process with effective ids
    /// `euid`/`egid` (Linux's create_user_ns): EPERM when those ids do not
    /// map here, ENOSPC past the nesting or count limit. It starts with
    /// no maps and this namespace's setgroups setting.
    pub fn new_child(self: &Arc<Self>, euid: u32, egid: u32) -> Result<Arc<UserNamespace>, Errno> {
        if self.level >= MAX_LEVEL {
            return Err(Errno::ENOSPC);
        }
        if self.uid_from_kernel(euid).is_none() || self.gid_from_kernel(egid).is_none() {
            return Err(Errno::EPERM);
        }
        let max = MAX_NAMESPACES.load(Ordering::Relaxed);
        if LIVE.fetch_add(1, Ordering::Relaxed) >= max {
            LIVE.fetch_sub(1, Ordering::Relaxed);
            return Err(Errno::ENOSPC);
        }
        Ok(Arc::new(UserNamespace {
            ino: alloc_ns_ino(),
            level: self.level + 1,
            parent: Some(self.clone()),
            owner: euid,
            uid_map: OnceLock::new(),
            gid_map: OnceLock::new(),
            state: Mutex::new(self.setgroups_allowed()),
        }))
    }

    /// The inode number `/proc/<pid>/ns/user` shows.
    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// The parent namespace (none for the initial one).
    pub fn parent(&self) -> Option<&Arc<UserNamespace>> {
        self.parent.as_ref()
    }

    /// Whether this is the initial namespace.
    pub fn is_initial(&self) -> bool {
        self.parent.is_none()
    }

    /// The creator's effective uid (a kernel id).
    pub fn owner(&self) -> u32 {
        self.owner
    }

    /// Whether `self` is `other` or one of its descendants (in_userns).
    pub fn is_within(&self, other: &UserNamespace) -> bool {
        let mut ns = self;
        loop {
            if std::ptr::eq(ns, other) {
                return true;
            }
            match &ns.parent {
                Some(p) => ns = p,
                None => return false,
            }
        }
    }

    fn map(&self, kind: MapKind) -> Option<&IdMap> {
        match kind {
            MapKind::Uid => self.uid_map.get(),
            MapKind::Gid => self.gid_map.get(),
        }
    }

    /// The kernel uid of this namespace's uid `uid` (make_kuid).
    pub fn uid_to_kernel(&self, uid: u32) -> Option<u32> {
        self.map(MapKind::Uid)?.down(uid).filter(|&k| k != u32::MAX)
    }

    /// The kernel gid of this namespace's gid `gid` (make_kgid).
    pub fn gid_to_kernel(&self, gid: u32) -> Option<u32> {
        self.map(MapKind::Gid)?.down(gid).filter(|&k| k != u32::MAX)
    }

    /// This namespace's uid for kernel uid `kuid` (from_kuid).
    pub fn uid_from_kernel(&self, kuid: u32) -> Option<u32> {
        self.map(MapKind::Uid)?.up(kuid)
    }

    /// This namespace's gid for kernel gid `kgid` (from_kgid).
    pub fn gid_from_kernel(&self, kgid: u32) -> Option<u32> {
        self.map(MapKind::Gid)?.up(kgid)
    }

    /// Kernel uid `kuid` as this namespace shows it: the overflow uid when
    /// it is not mapped (from_kuid_munged).
    pub fn uid_shown(&self, kuid: u32) -> u32 {
        self.uid_from_kernel(kuid).unwrap_or(OVERFLOW_ID)
    }

    /// Kernel gid `kgid` as this namespace shows it (from_kgid_munged).
    pub fn gid_shown(&self, kgid: u32) -> u32 {
        self.gid_from_kernel(kgid).unwrap_or(OVERFLOW_ID)
    }

    /// Whether setgroups(2) may be used here: the gid map is written and
    /// setgroups is not denied (userns_may_setgroups).
    pub fn may_setgroups(&self) -> bool {
        let allowed = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *allowed && self.gid_map.get().is_some()
    }

    /// Whether `/proc/PID/setgroups` says "allow".
    pub fn setgroups_allowed(&self) -> bool {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes `/proc/PID/setgroups` (proc_setgroups_write): "allow" or
    /// "deny", with trailing white space. EINVAL for anything else; EPERM
    /// for the initial namespace, once the gid map is written, or to
    /// allow again what this or an ancestor denied.
    pub fn write_setgroups(&self, text: &[u8]) -> Result<(), Errno> {
        let word = text.trim_ascii_end();
        let allow = match word {
            b"allow" => true,
            b"deny" => false,
            _ => return Err(Errno::EINVAL),
        };
        let mut allowed = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if allow && !*allowed {
            return Err(Errno::EPERM);
        }
        if !allow && self.gid_map.get().is_some() {
            return Err(Errno::EPERM);
        }
        if self.is_initial() {
            return Err(Errno::EPERM);
        }
        *allowed = allow;
        Ok(())
    }

    /// The lines of a map file (uid_m_show): each extent's lower ids as
    /// `reader` sees them, or as the parent does when the reader is in
    /// this namespace.
    pub fn map_text(&self, kind: MapKind, reader: &UserNamespace) -> Vec<u8> {
        let lower_ns = match &self.parent {
            Some(p) if std::ptr::eq(reader, self) => p.as_ref(),
            _ => reader,
        };
        let mut out = Vec::new();
        for e in self.map(kind).map(|m| m.extents.as_slice()).unwrap_or(&[]) {
            let lower = match kind {
                MapKind::Uid => lower_ns.uid_from_kernel(e.lower),
                MapKind::Gid => lower_ns.gid_from_kernel(e.lower),
            };
            let line = format!("{:10} {:10} {:10}\n", e.first, lower.unwrap_or(u32::MAX), e.count);
            out.extend_from_slice(line.as_bytes());
        }
        out
    }

    /// Writes a map (Linux's map_write, new_idmap_permitted). `writer` is
    /// the writer's credentials, `caps` its effective capability set.
    /// One write only (EPERM after); the text must parse as lines of
    /// three numbers whose ranges do not wrap or overlap, at most
    /// `MAX_EXTENTS` (EINVAL). The writer needs CAP_SYS_ADMIN over this
    /// namespace, and either CAP_SETUID/CAP_SETGID over the parent, or to
    /// map exactly its own effective id (for gids, with setgroups denied)
    /// as this namespace's owner (EPERM). Lower ids must map in the parent.
    pub fn write_map(&self, kind: MapKind, text: &[u8], writer: &Writer) -> Result<(), Errno> {
        let parent = self.parent.as_ref().ok_or(Errno::EPERM)?;
        // Only from this namespace or its parent.
        if !std::ptr::eq(writer.ns.as_ref(), self) && !Arc::ptr_eq(&writer.ns, parent) {
            return Err(Errno::EPERM);
        }
        let allowed = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if self.map(kind).is_some() {
            return Err(Errno::EPERM);
        }
        if !writer.capable_over(self, CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        let mut map = parse_map(text)?;
        let cap = if kind == MapKind::Uid { CAP_SETUID } else { CAP_SETGID };
        let own = map.extents.len() == 1 && map.extents[0].count == 1 && writer.euid == self.owner && {
            let lower = map.extents[0].lower;
            match kind {
                MapKind::Uid => parent.uid_to_kernel(lower) == Some(writer.euid),
                MapKind::Gid => !*allowed && parent.gid_to_kernel(lower) == Some(writer.egid),
            }
        };
        if !own && !writer.capable_over(parent, cap) {
            return Err(Errno::EPERM);
        }
        for e in &mut map.extents {
            // The whole range must map in the parent, onto one piece.
            let (first, last) = match kind {
                MapKind::Uid => (parent.uid_to_kernel(e.lower), parent.uid_to_kernel(e.lower + (e.count - 1))),
                MapKind::Gid => (parent.gid_to_kernel(e.lower), parent.gid_to_kernel(e.lower + (e.count - 1))),
            };
            match (first, last) {
                (Some(f), Some(l)) if l.wrapping_sub(f) == e.count - 1 => e.lower = f,
                _ => return Err(Errno::EPERM),
            }
        }
        let slot = match kind {
            MapKind::Uid => &self.uid_map,
            MapKind::Gid => &self.gid_map,
        };
        slot.set(map).map_err(|_| Errno::EPERM)
    }
}

/// CAP_SETUID, CAP_SETGID and CAP_SYS_ADMIN, which map writes take.
const CAP_SETGID: u32 = 6;
const CAP_SETUID: u32 = 7;
const CAP_SYS_ADMIN: u32 = 21;

/// Who writes a map: the credentials a capability check needs.
pub struct Writer {
    pub ns: Arc<UserNamespace>,
    pub euid: u32,
    pub egid: u32,
    /// The effective capability set (in `ns`).
    pub caps: u64,
}

impl Writer {
    /// Whether these credentials have `cap` over namespace `target`.
    pub fn capable_over(&self, target: &UserNamespace, cap: u32) -> bool {
        capable_over(&self.ns, self.euid, self.caps & (1 << cap) != 0, target)
    }
}

/// Linux's cap_capable: whether credentials in namespace `mine` with
/// effective uid `euid` (a kernel id), which hold a capability in `mine`
/// when `held`, have it over namespace `target`: `target` must be `mine`
/// (then `held` decides) or a descendant; in a descendant whose parent is
/// `mine` and whose owner is `euid`, the owner has every capability.
pub fn capable_over(mine: &UserNamespace, euid: u32, held: bool, target: &UserNamespace) -> bool {
    let mut ns = target;
    loop {
        if std::ptr::eq(ns, mine) {
            return held;
        }
        if ns.level <= mine.level {
            return false;
        }
        let parent = ns.parent.as_ref().expect("a namespace above level 0 has a parent");
        if std::ptr::eq(parent.as_ref(), mine) && ns.owner == euid {
            return true;
        }
        ns = parent;
    }
}

/// Parses map text: lines `first lower count` (decimal, separated by
/// spaces, the last newline optional), at most `MAX_EXTENTS`, none empty,
/// wrapping or overlapping another in either column.
fn parse_map(text: &[u8]) -> Result<IdMap, Errno> {
    let text = std::str::from_utf8(text).map_err(|_| Errno::EINVAL)?;
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut map = IdMap::default();
    for line in body.split('\n') {
        let nums: Vec<&str> = line.split(' ').filter(|w| !w.is_empty()).collect();
        let [first, lower, count] = nums.as_slice() else {
            return Err(Errno::EINVAL);
        };
        let num = |s: &str| s.parse::<u32>().map_err(|_| Errno::EINVAL);
        let e = Extent { first: num(first)?, lower: num(lower)?, count: num(count)? };
        if e.first == u32::MAX || e.lower == u32::MAX || e.count == 0 {
            return Err(Errno::EINVAL);
        }
        if e.first.checked_add(e.count).is_none() || e.lower.checked_add(e.count).is_none() {
            return Err(Errno::EINVAL);
        }
        let overlaps = |a: u32, b: u32, n: u32, m: u32| a < b + m && b < a + n;
        if map
            .extents
            .iter()
            .any(|o| overlaps(o.first, e.first, o.count, e.count) || overlaps(o.lower, e.lower, o.count, e.count))
        {
            return Err(Errno::EINVAL);
        }
        if map.extents.len() == MAX_EXTENTS {
            return Err(Errno::EINVAL);
        }
        map.extents.push(e);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_writer(ns: &Arc<UserNamespace>) -> Writer {
        Writer { ns: ns.clone(), euid: 0, egid: 0, caps: u64::MAX }
    }

    #[test]
    fn maps_translate_both_ways() {
        let init = UserNamespace::init();
        let child = init.new_child(1000, 1000).unwrap();
        assert_eq!(child.uid_from_kernel(1000), None);
        child.write_map(MapKind::Uid, b"0 1000 1\n5 2000 10", &root_writer(&init)).unwrap();
        assert_eq!(child.uid_to_kernel(0), Some(1000));
        assert_eq!(child.uid_to_kernel(7), Some(2002));
        assert_eq!(child.uid_from_kernel(2009), Some(14));
        assert_eq!(child.uid_shown(3), OVERFLOW_ID);
        assert_eq!(child.write_map(MapKind::Uid, b"0 0 1", &root_writer(&init)), Err(Errno::EPERM));
        assert_eq!(
            child.map_text(MapKind::Uid, &init),
            b"         0       1000          1\n         5       2000         10\n"
        );
        assert_eq!(child.map_text(MapKind::Uid, &child), child.map_text(MapKind::Uid, &init));
    }

    #[test]
    fn bad_maps_are_einval() {
        for text in [&b"0 0"[..], b"0 0 0", b"0 0 1\n\n", b"0 0 2\n1 5 1", b"4294967295 0 1", b"x 0 1", b""] {
            assert_eq!(parse_map(text).unwrap_err(), Errno::EINVAL, "{:?}", std::str::from_utf8(text));
        }
        let many: String = (0..341).map(|i| format!("{i} {i} 1\n")).collect();
        assert_eq!(parse_map(many.as_bytes()).unwrap_err(), Errno::EINVAL);
        let most: String = (0..340).map(|i| format!("{i} {i} 1\n")).collect();
        assert_eq!(parse_map(most.as_bytes()).unwrap().extents.len(), 340);
    }

    #[test]
    fn unprivileged_writer_maps_only_itself() {
        let init = UserNamespace::init();
        let child = init.new_child(1000, 1000).unwrap();
        let me = Writer { ns: child.clone(), euid: 1000, egid: 1000, caps: u64::MAX };
        assert_eq!(child.write_map(MapKind::Uid, b"0 1001 1", &me), Err(Errno::EPERM));
        child.write_map(MapKind::Uid, b"0 1000 1", &me).unwrap();
        assert_eq!(child.write_map(MapKind::Gid, b"0 1000 1", &me), Err(Errno::EPERM));
        child.write_setgroups(b"deny\n").unwrap();
        assert_eq!(child.write_setgroups(b"allow"), Err(Errno::EPERM));
        child.write_map(MapKind::Gid, b"0 1000 1", &me).unwrap();
        assert!(!child.may_setgroups());
        assert!(capable_over(&init, 1000, false, &child));
        assert!(!capable_over(&child, 0, true, &init));
    }
}
