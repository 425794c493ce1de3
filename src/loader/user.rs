//! `husk do --user`: a user (and group) named as `docker run --user` takes
//! them, `NAME|UID[:GROUP|GID]`, looked up in the sandbox root's
//! `/etc/passwd` and `/etc/group` the way runc's libcontainer does: a name
//! must be listed; a number need not be (then its group is 0 and its home
//! `/`); without an explicit group, the supplementary groups are the ones
//! listing the user by name.

use std::path::Path;

/// Who the command runs as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// The home directory (`HOME` unless given with `-e`).
    pub home: String,
}

/// One `/etc/passwd` line: name, uid, gid, home.
struct PasswdEntry<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
    home: &'a str,
}

/// One `/etc/group` line: name, gid, members.
struct GroupEntry<'a> {
    name: &'a str,
    gid: u32,
    members: Vec<&'a str>,
}

fn passwd_entries(text: &str) -> impl Iterator<Item = PasswdEntry<'_>> {
    text.lines().filter_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        match f[..] {
            [name, _, uid, gid, _, home, ..] => {
                Some(PasswdEntry { name, uid: uid.parse().ok()?, gid: gid.parse().ok()?, home })
            }
            _ => None,
        }
    })
}

fn group_entries(text: &str) -> impl Iterator<Item = GroupEntry<'_>> {
    text.lines().filter_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        match f[..] {
            [name, _, gid, members, ..] => Some(GroupEntry {
                name,
                gid: gid.parse().ok()?,
                members: members.split(',').filter(|m| !m.is_empty()).collect(),
            }),
            [name, _, gid] => Some(GroupEntry { name, gid: gid.parse().ok()?, members: Vec::new() }),
            _ => None,
        }
    })
}

/// Resolves `spec` against the root directory `root` (its files as they
/// are on the host, as an image's are read before it runs).
pub fn resolve(root: &Path, spec: &str) -> Result<User, String> {
    let read = |name: &str| std::fs::read_to_string(root.join(name)).unwrap_or_default();
    resolve_in(&read("etc/passwd"), &read("etc/group"), spec)
}

fn resolve_in(passwd: &str, group: &str, spec: &str) -> Result<User, String> {
    let (user_part, group_part) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    if user_part.is_empty() || group_part == Some("") {
        return Err("expected NAME|UID[:GROUP|GID]".into());
    }
    let numeric = user_part.parse::<u32>().ok();
    let entry = passwd_entries(passwd).find(|e| Some(e.uid) == numeric || e.name == user_part);
    let mut user = match (&entry, numeric) {
        (Some(e), _) => User { uid: e.uid, gid: e.gid, groups: Vec::new(), home: e.home.to_string() },
        (None, Some(uid)) => User { uid, gid: 0, groups: Vec::new(), home: "/".into() },
        (None, None) => return Err(format!("no user {user_part:?} in the root's /etc/passwd")),
    };
    match group_part {
        Some(g) => {
            user.gid = match g.parse::<u32>() {
                Ok(gid) => gid,
                Err(_) => group_entries(group)
                    .find(|e| e.name == g)
                    .map(|e| e.gid)
                    .ok_or_else(|| format!("no group {g:?} in the root's /etc/group"))?,
            };
        }
        None => {
            if let Some(e) = &entry {
                user.groups = group_entries(group).filter(|g| g.members.contains(&e.name)).map(|g| g.gid).collect();
            }
        }
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\nbob:x:1000:1000:Bob:/home/bob:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nbob:x:1000:\nstaff:x:50:bob,eve\nwheel:x:10:bob\n";

    fn user(spec: &str) -> Result<User, String> {
        resolve_in(PASSWD, GROUP, spec)
    }

    #[test]
    fn users_resolve_as_libcontainer_does() {
        let bob = User { uid: 1000, gid: 1000, groups: vec![50, 10], home: "/home/bob".into() };
        assert_eq!(user("bob"), Ok(bob.clone()));
        assert_eq!(user("1000"), Ok(bob));
        assert_eq!(user("bob:staff"), Ok(User { uid: 1000, gid: 50, groups: vec![], home: "/home/bob".into() }));
        assert_eq!(user("4242:7"), Ok(User { uid: 4242, gid: 7, groups: vec![], home: "/".into() }));
        assert_eq!(user("4242"), Ok(User { uid: 4242, gid: 0, groups: vec![], home: "/".into() }));
        assert!(user("eve").is_err());
        assert!(user("bob:nogroup").is_err());
        assert!(user("").is_err());
        assert!(user("bob:").is_err());
    }
}
