//! Process identity and attributes under husk (tests/c/identity.c):
//! process groups and sessions, credentials and capabilities, prctl,
//! resource limits, umask, resource usage, CPU affinity. Each test runs one
//! group natively and under husk and compares the lines. Run as root.

mod common;

use common::*;

/// getppid, getpgrp/getpgid/getsid, setsid in a child (and its EPERM
/// cases), setpgid from parent and child, EACCES after exec, EPERM across
/// sessions.
#[test]
fn process_groups_and_sessions() {
    check_c_group("identity", "ids");
}

/// Root's credentials and capabilities; in children: setgroups/getgroups,
/// setresgid/setresuid to 1000 and the EPERMs after it, saved uids,
/// fsuid, capset.
#[test]
fn credentials_and_capabilities() {
    check_c_group("identity", "creds");
}

/// PR_SET_NAME/PR_GET_NAME (truncation, inheritance), PR_GET_PDEATHSIG,
/// PR_SET_NO_NEW_PRIVS, unknown options.
#[test]
fn prctl_basics() {
    check_c_group("identity", "prctl");
}

/// PR_SET_PDEATHSIG: a grandchild gets its signal when its parent dies.
#[test]
fn parent_death_signal() {
    check_c_group("identity", "pdeathsig");
}

/// A real-time parent-death signal arrives with its record.
#[test]
fn pdeathsig_real_time() {
    check_c_group("identity", "pdeathsig-rt");
}

/// PR_SET_CHILD_SUBREAPER: an orphaned grandchild is reparented to the
/// subreaper (getppid) and is waitable by it.
#[test]
fn child_subreaper() {
    check_c_group("identity", "subreaper");
}

/// getrlimit/setrlimit/prlimit64: RLIMIT_NOFILE lowered gives EMFILE (and
/// EBADF/EINVAL for dup2/F_DUPFD beyond it), RLIMIT_FSIZE gives a short
/// write, EFBIG and SIGXFSZ, prlimit on a child, unprivileged hard limits.
#[test]
fn resource_limits() {
    check_c_group("identity", "rlimit");
}

/// umask applies to open and mkdir, is inherited, keeps permission bits.
#[test]
fn umask() {
    check_c_group("identity", "umask");
}

/// getrusage (self, thread, children after wait) and times().
#[test]
fn resource_usage() {
    check_c_group("identity", "usage");
}

/// sched_getaffinity/sched_setaffinity (getcpu and sched_getcpu follow the
/// pinning), inheritance, scheduler queries, nice/setpriority.
#[test]
fn affinity_and_scheduling() {
    check_c_group("identity", "sched");
}

/// setfsuid/setfsgid as root: with fs ids 1000 a 0600 root file cannot be
/// opened (access(2) still uses the real ids, AT_EACCESS the fs ids), new
/// files are owned by the fs ids, chmod/chown of others' files is EPERM,
/// /proc/self/status shows the fs ids; setuid, setreuid and setresuid set
/// the fs uid to the new effective uid.
#[test]
fn fs_ids() {
    check_c_group("identity", "fsids");
}

/// personality(2): query and set, /proc/PID/personality, fork and exec,
/// PER_LINUX32 and UNAME26 in uname, READ_IMPLIES_EXEC in mmap/mprotect.
#[test]
fn personality() {
    check_c_group("identity", "personality");
}

/// PR_SET/GET_TIMERSLACK and /proc/PID/timerslack_ns: per thread,
/// inherited, 0 restores the creator's value.
#[test]
fn timer_slack() {
    check_c_group("identity", "timerslack");
}
