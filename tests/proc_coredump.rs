//! Core dumps: a process killed by SIGSEGV, SIGABRT, ... leaves an ELF core
//! file named by the host's `core_pattern` when RLIMIT_CORE allows one, and
//! its parent sees WCOREDUMP, as natively. Each case runs natively and
//! under `husk do`, and readelf and gdb read the cores the same way.

mod common;
#[path = "common/conform.rs"]
mod conform;

use common::*;
use conform::{Batch, Case};

/// bash names a dead job's pid.
const JOB_PID: &str = r"(line \d+): +\d+ ";

/// Whether the host writes cores to plain files named `core` (Debian's
/// default); with another pattern, or a pipe to a program, the native
/// side would not make the files these cases look for.
fn host_pattern_is_core() -> bool {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    let uses_pid = std::fs::read_to_string("/proc/sys/kernel/core_uses_pid").unwrap_or_default();
    if pattern.trim() != "core" || uses_pid.trim() == "1" {
        eprintln!("skipped: the host's core_pattern is {:?}, not a plain `core`", pattern.trim());
        return false;
    }
    true
}

fn case(name: &str, script: &str) -> Case {
    let prog = c_program_str("core_dump");
    Case::new(name, &format!("P={prog}\n{script}")).sub(JOB_PID, "$1: PID ").sub(&regex_escape(&prog), "PROG")
}

fn regex_escape(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '/' { c.to_string() } else { format!("\\{c}") }).collect()
}

#[test]
fn fatal_signals_leave_a_core_file_gdb_reads() {
    if !host_pattern_is_core() {
        return;
    }
    Batch::new("core")
        .case(case(
            "segv",
            "ulimit -c unlimited; $P segv; echo st=$?; ls; stat -c '%a %h %s' core | cut -d' ' -f1,2
             readelf -h core | grep -E 'Class|Type|Machine'; readelf -lW core | grep -c NOTE
             readelf -nW core | grep -oE 'NT_(PRSTATUS|PRPSINFO|SIGINFO|AUXV|FILE|FPREGSET|X86_XSTATE)' | sort | uniq -c
             grep -c HUSK-CORE-MARKER core
             gdb -batch -ex bt -ex 'p $_siginfo.si_signo' $P core 2>&1 | grep -oE '^#[0-9]+ +(0x[0-9a-f]+ in )?[a-z_]+|^\\$1 = .*'",
        ))
        .case(case(
            "threads_and_abort",
            "ulimit -c unlimited; $P thread; echo st=$?; readelf -nW core | grep -c NT_PRSTATUS
             gdb -batch -ex 'info threads' $P core 2>&1 | grep -cE '^[* ] +[0-9]+ +(Thread|LWP)'; rm core
             $P abort; echo st=$?; gdb -batch -ex 'p $_siginfo.si_signo' $P core 2>&1 | grep '^\\$1'
             (ulimit -c unlimited; exec $P segv) & wait $!; echo wait=$?",
        ))
        .case(case(
            "no_core",
            "ulimit -S -c 0; $P segv; echo st=$?; ls
             ulimit -S -c 3; $P segv; echo st=$?; ls
             ulimit -S -c unlimited; $P nodump; echo st=$?; ls
             ulimit -S -c 4; $P segv; echo st=$?; ls; test $(stat -c %s core) -le 4096 && echo within-limit; rm core",
        ))
        .case(case(
            "madvise_dontdump",
            "ulimit -c unlimited; $P dontdump; echo st=$?
             grep -c HUSK-HIDDEN-MARKER core; grep -c HUSK-SHOWN-MARKER core; grep -c HUSK-CORE-MARKER core
             readelf -lW core | grep -c LOAD",
        ))
        .case(case(
            "existing_files",
            "ulimit -c unlimited; echo old > core; $P segv; echo st=$?; head -c 4 core | od -c | head -1; rm core
             ln -s target core; $P segv; echo st=$?; ls; rm core
             echo x > other; ln other core; $P segv; echo st=$?; cat other; readelf -h core | grep Type; rm core other
             echo y > core; chown 1 core; $P segv; echo st=$?; stat -c %u core; rm core
             mkdir core; $P segv; echo st=$?; rmdir core",
        ))
        .check();
}
