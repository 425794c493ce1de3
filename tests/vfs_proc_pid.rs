//! The files of /proc/PID that tools read beyond the basics, checked
//! against Linux: `tests/c/proc_pid.c` (mem, net, status's SigQ and
//! context switches, wchan, schedstat, coredump_filter, oom_adj, cpuset,
//! timers, pagemap, mountstats, the listings) runs natively and under husk, group by group, and
//! must print the same lines; `xxd` and `dd` read another process's memory
//! through /proc/PID/mem.

mod common;

use common::*;

c_groups! { "proc_pid":
    proc_pid_mem => "mem",
    proc_pid_net => "net",
    proc_pid_status_counters => "status",
    proc_pid_wchan => "wchan",
    proc_pid_tunables => "tunables",
    proc_pid_timers => "timers",
    proc_pid_pagemap_and_mountstats => "pagemap",
    proc_pid_listing => "listing",
}

/// /proc/PID/mem under the ptrace platform, whose stubs are reached the
/// same way (the stub's host /proc/PID/mem).
#[test]
fn proc_pid_mem_under_ptrace() {
    let bin = c_program_str("proc_pid");
    let n = Run::native(&[&bin, "mem"]).timeout(proc_timeout()).run();
    assert_all_ok(&n, "native proc_pid mem");
    let h = Run::husk(&["--platform", "ptrace", "do", "--", &bin, "mem"]).timeout(proc_timeout()).run();
    assert_same_as_native(&n, &h);
}

/// `xxd -s ADDR` and `dd skip=ADDR` read the shell's program header out of
/// its memory, at the address its maps give.
#[test]
fn xxd_and_dd_read_proc_pid_mem() {
    let script = "start=$(grep -m1 bash /proc/$$/maps | cut -d- -f1)\n\
                  xxd -s 0x$start -l 16 /proc/$$/mem | cut -c10-\n\
                  dd if=/proc/$$/mem bs=1 skip=$((0x$start)) count=4 iflag=skip_bytes status=none | xxd | cut -c10-\n";
    let n = native(&["bash", "-c", script]);
    let h = husk_do(&["bash", "-c", script]);
    assert_exit(&h, 0);
    assert!(stdout_text(&n).contains(".ELF"), "{}", describe(&n));
    assert_eq!(stdout_text(&h), stdout_text(&n), "\n{}", describe(&h));
}
