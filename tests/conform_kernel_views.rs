//! Conformance: what the kernel itself shows through everyday tools
//! (busybox and coreutils reading /proc, stat fields, open flags, the host
//! name) is the same under `husk do` as natively. Found by running
//! BusyBox's own testsuite and a set of everyday invocations on both sides;
//! see tests/common/conform.rs for the harness.

mod common;
#[path = "common/conform.rs"]
mod conform;

use conform::Batch;

/// `husk do` runs on the host's root, so it keeps the host's name, which
/// the host's /etc/hosts resolves (`hostname -d` failed under the old
/// fixed name, as BusyBox's hostname-d-works test showed).
#[test]
fn host_name() {
    Batch::new("hostname")
        .bb(
            "bb_hostname_resolves",
            "hostname; uname -n; hostname -s; hostname -f >/dev/null; echo rc=$?; hostname -d; echo rc=$?
             cat /proc/sys/kernel/hostname; [ \"$(hostname)\" = \"$(cat /etc/hostname)\" ] && echo etc-hostname",
        )
        .check();
}

/// open(2) on x86_64 sets O_LARGEFILE on every file it opens (O_PATH
/// aside); pipes and sockets are not opened by path and have none.
#[test]
fn open_status_flags() {
    Batch::new("openflags")
        .bash(
            "fdinfo_flags",
            "exec 3>f 4<f 5<>g 6>>f 7< <(echo x) 8</dev/null
             for fd in 3 4 5 6 7 8; do grep '^flags' /proc/$$/fdinfo/$fd; done
             ls -l /proc/self/fd/0 | grep -c pipe; grep '^flags' /proc/self/fdinfo/0 < <(true)",
        )
        .bb("bb_fdinfo_flags", "exec 3>f 4</dev/null; grep -h '^flags' /proc/$$/fdinfo/3 /proc/$$/fdinfo/4")
        .check();
}

/// A renamed file or directory is a changed inode: its ctime moves on
/// (mv, `find -cnewer`, backup tools rely on it), on the memory layer and
/// on a host directory alike.
#[test]
fn rename_changes_ctime() {
    let script = "echo x > f; mkdir d; ln -s f l; mkfifo p; touch t0
         for n in f d l p; do stat -c %.9Z $n > $n.before; done; sleep 0.05
         mv f f2; mv d d2; mv l l2; mv p p2
         for n in f d l p; do [ \"$(stat -c %.9Z ${n}2)\" != \"$(cat $n.before)\" ] && echo $n changed; done
         find . -cnewer t0 -name '*2' | sort";
    Batch::new("renamectime").bash("rename_ctime", script).check();
    Batch::new("renamectime-bind").bind_work().bash("rename_ctime", script).check();
}

/// Sizes /proc gives: a descriptor directory's is its number of open
/// descriptors (Linux 6.2 on), a fixed symlink's the length of its text.
/// (Counts are compared with the listing: a native child may inherit
/// descriptors of the test harness that the sandbox does not get.)
#[test]
fn proc_sizes() {
    Batch::new("procsizes")
        .bash(
            "proc_stat_sizes",
            "stat -c '%s %N' /proc/mounts /proc/net
             sleep 1 & a=$!; sleep 1 3</dev/null 4</dev/null 9</dev/null & b=$!; sleep 0.2
             [ \"$(stat -c %s /proc/$b/fd)\" = \"$(ls /proc/$b/fd | wc -l)\" ] && echo size is the count
             echo $(( $(stat -c %s /proc/$b/fd) - $(stat -c %s /proc/$a/fd) )) $(( $(stat -c %s /proc/$b/task/$b/fd) - $(stat -c %s /proc/$a/fd) ))
             wait",
        )
        .bb(
            "bb_proc_sizes",
            "ls -ld /proc/mounts | awk '{print $1, $5, $NF}'
             sleep 1 & p=$!; sleep 0.2
             [ \"$(ls -ld /proc/$p/fd | awk '{print $5}')\" = \"$(ls /proc/$p/fd | wc -l)\" ] && echo size is the count; wait",
        )
        .check();
}

/// /proc/sys entries tools read to size things: the last capability
/// (libcap, capsh), the descriptor ceiling, the ephemeral port range.
#[test]
fn proc_sys_limits() {
    Batch::new("procsys")
        .bash(
            "proc_sys_values",
            "cat /proc/sys/kernel/cap_last_cap /proc/sys/fs/nr_open /proc/sys/net/ipv4/ip_local_port_range
             ulimit -Sn $(( $(cat /proc/sys/fs/nr_open) + 1 )); echo rc=$?",
        )
        .check();
}

/// A process's nice value shows in /proc/<pid>/stat (fields 18 and 19),
/// which ps and top read: `ps -o ni` showed 0 after nice or renice. (The
/// last line picks the shell's own `ps` by its parent: natively `ps` lists
/// the host's processes, other tests' busybox among them.)
#[test]
fn nice_in_proc_stat() {
    Batch::new("nice")
        .bash(
            "ps_shows_nice",
            "nice -n 5 sh -c 'ps -o ni= -p $$; cut -d\" \" -f18,19 /proc/$$/stat'
             renice -n 3 -p $$ >/dev/null; ps -o ni= -p $$; cut -d' ' -f18,19 /proc/$$/stat /proc/$$/task/$$/stat
             nice -n 19 busybox ps -o nice,ppid,comm | awk -v sh=$$ '$2 == sh && $3 == \"busybox\" {print $1, $3}'",
        )
        .check();
}
