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
