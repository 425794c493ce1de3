//! User namespaces inside the sandbox (tests/c/userns.c): CLONE_NEWUSER by
//! clone and unshare, `/proc/PID/{uid_map,gid_map,setgroups}` and who may
//! write them, ids through the maps, capabilities that hold only over
//! what the namespace owns, setns; and util-linux `unshare -r`/`-U`.
//! Each test runs natively (as root) and under `husk do` and compares.

mod common;

use common::*;

c_groups! { "userns":
    // A namespace seen from inside: no maps (overflow ids everywhere),
    // writing its own one-line maps (setgroups "deny" before gid_map),
    // EPERM on a second write, ids through the maps in getuid, stat and
    // status, EINVAL for unmapped ids in setuid and chown.
    userns_own_maps => "maps",
    // Maps written from the parent (several lines, 340 at most, no
    // overlaps), shown relative to each reader; NS_GET_PARENT,
    // NS_GET_OWNER_UID; setns into the namespace.
    userns_parent_maps => "parent_maps",
    // Root of a child namespace: sethostname and mount only in UTS and
    // mount namespaces it owns; file overrides only for files whose ids
    // map; no mknod of devices; no setns back.
    userns_capabilities => "caps",
    // clone(CLONE_NEWUSER), EINVAL with CLONE_FS, an unprivileged creator
    // mapping only itself.
    userns_creators => "creators",
}

/// Runs `cmd` natively and under husk and requires the same output.
fn same_as_native(cmd: &[&str]) -> std::process::Output {
    cmd_same_as_native(&[], cmd)
}

/// `unshare -r id`: root of a new namespace mapped onto the caller.
#[test]
fn unshare_map_root_id() {
    let h = same_as_native(&["unshare", "-r", "id"]);
    assert!(stdout_text(&h).starts_with("uid=0(root) gid=0(root)"), "{}", describe(&h));
}

/// `unshare -U id`: nothing mapped, so everyone is nobody.
#[test]
fn unshare_unmapped_id() {
    let h = same_as_native(&["unshare", "-U", "id"]);
    assert!(stdout_text(&h).starts_with("uid=65534(nobody) gid=65534(nogroup)"), "{}", describe(&h));
}

/// `unshare -rm`: a tmpfs mounted in the new mount namespace (which the
/// new user namespace owns), the maps as the shell sees them.
#[test]
fn unshare_map_root_mount_tmpfs() {
    let script = "mount -t tmpfs none /mnt && echo hi > /mnt/f && cat /mnt/f && \
                  grep -c ' /mnt ' /proc/self/mountinfo && cat /proc/self/uid_map /proc/self/setgroups";
    let h = same_as_native(&["unshare", "-rm", "sh", "-c", script]);
    assert!(stdout_text(&h).starts_with("hi\n1\n"), "{}", describe(&h));
}

/// Without `-m` the mount namespace is the original one: EPERM.
#[test]
fn unshare_map_root_mount_refused() {
    let script = "mount -t tmpfs none /mnt 2>/dev/null; echo $?; hostname x 2>/dev/null; echo $?";
    let h = same_as_native(&["unshare", "-r", "sh", "-c", script]);
    assert_eq!(stdout_text(&h), "32\n1\n", "{}", describe(&h));
}

/// `unshare -ru`: the new UTS namespace is the new user namespace's, so
/// its root may name it.
#[test]
fn unshare_map_root_uts_hostname() {
    let h = same_as_native(&["unshare", "-ru", "sh", "-c", "hostname inner && hostname"]);
    assert_eq!(stdout_text(&h), "inner\n", "{}", describe(&h));
}

/// `unshare -rn`: the new network namespace is the new user namespace's,
/// so its root may bring `lo` up there; the first network namespace
/// stays out of its reach (`unshare -r` alone: EPERM).
#[test]
fn unshare_map_root_net_owns_its_loopback() {
    let script = "ip link set lo up && ip -o -4 addr show lo | cut -d' ' -f2,6,7";
    let h = same_as_native(&["unshare", "-rn", "sh", "-c", script]);
    assert_eq!(stdout_text(&h), "lo inet 127.0.0.1/8\n", "{}", describe(&h));
    let h = same_as_native(&["unshare", "-r", "sh", "-c", "ip link set lo down 2>/dev/null; echo $?"]);
    assert_eq!(stdout_text(&h), "2\n", "{}", describe(&h));
}
