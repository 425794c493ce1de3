//! UTS, IPC and mount namespaces inside the sandbox (tests/c/namespaces.c):
//! clone and unshare with CLONE_NEWUTS, CLONE_NEWIPC and CLONE_NEWNS,
//! setns by `/proc/<pid>/ns/*` descriptors, and what each keeps apart.
//! Each test runs one group natively (as root) and under `husk do` and
//! compares the lines. (PID namespaces: proc_pidns.rs.)

mod common;

use common::*;

/// unshare(CLONE_NEWUTS) copies the names; sethostname, setdomainname and
/// /proc/sys/kernel/{hostname,domainname} change only the new namespace
/// (EINVAL past 64 bytes, EFAULT, EPERM without CAP_SYS_ADMIN); a
/// CLONE_NEWUTS child starts with its parent's name; setns joins a
/// child's namespace; the caller's own name never changes.
#[test]
fn uts_namespaces() {
    check_c_group("namespaces", "uts");
}

/// unshare(CLONE_NEWIPC) and setns back by a descriptor (whose inode is
/// the namespace's), a CLONE_NEWIPC child's own namespace, EINVAL with
/// CLONE_SYSVSEM.
#[test]
fn ipc_namespaces() {
    check_c_group("namespaces", "ipc");
}

/// unshare(CLONE_NEWNS): a tmpfs mounted inside shows only there (its
/// files, mountinfo, a unix socket bound in it), CLONE_NEWNS with CLONE_FS
/// is EINVAL, setns into the namespace shows it and moves the working
/// directory to its root, umount inside.
#[test]
fn mount_namespaces() {
    check_c_group("namespaces", "mnt");
}

/// Namespace files' ioctls (NS_GET_USERNS, NS_GET_PARENT, NS_GET_NSTYPE,
/// NS_GET_OWNER_UID) and `/proc/self/ns/user`: what `lsns` needs.
#[test]
fn namespace_file_ioctls() {
    check_c_group("namespaces", "nsfs");
}

/// busybox `unshare -m -p -u -i -f --mount-proc`: a shell that is pid 1 of
/// a new PID namespace with its own /proc, host name and mounts; `ps`
/// there lists the namespace's processes only. Same output as native.
#[test]
fn busybox_unshare_with_mount_proc() {
    require_busybox();
    let script = "hostname inner; hostname; ps -o pid,args; echo $$; readlink /proc/self";
    let cmd = [BUSYBOX, "unshare", "-m", "-p", "-u", "-i", "-f", "--mount-proc", BUSYBOX, "sh", "-c", script];
    let n = Run::native(&cmd).timeout(proc_timeout()).run();
    assert_exit(&n, 0);
    let mut args = vec!["--"];
    args.extend_from_slice(&cmd);
    let h = Run::husk_do(&args).timeout(proc_timeout()).run();
    assert_same_as_native(&n, &h);
    assert!(stdout_text(&h).starts_with("inner\nPID"), "{}", describe(&h));
}
