//! System V IPC (shared memory and semaphores), checked against Linux:
//! each group of `tests/c/sysv_ipc.c` runs natively (where every check
//! must pass) and under `husk do`, and must print the same lines.

mod common;

use common::*;

c_groups! { "sysv_ipc":
    shmget_errors_stat_set_info_rmid => "shm_get",
    shm_shared_across_fork_and_unrelated_processes => "shm_share",
    shm_rmid_while_attached => "shm_rmid",
    shmat_address_flags_and_shmdt => "shm_attach_flags",
    shm_permissions => "shm_perms",
    shm_ipc_namespace_isolation => "shm_ns",
    shm_detached_by_exec => "shm_exec",
    semget_semctl_semop_errors_and_values => "sem_get",
    semop_blocks_and_wakes_between_processes => "sem_wait",
    sem_undo_applied_at_exit => "sem_undo",
    semop_interrupted_by_signal_is_eintr => "sem_eintr",
    sem_permissions => "sem_perms",
    sem_ipc_namespace_isolation => "sem_ns",
}

/// util-linux's ipcmk, ipcs and ipcrm create, list, inspect and remove
/// segments and semaphore sets inside husk as they do natively (natively
/// in a fresh IPC namespace, so the listing is the script's own); a new
/// IPC namespace (`unshare -i`) sees none of them.
#[test]
fn ipcmk_ipcs_ipcrm() {
    if !["ipcmk", "ipcs", "ipcrm", "unshare"].iter().all(|t| std::path::Path::new(&format!("/usr/bin/{t}")).exists()) {
        eprintln!("skipped: util-linux ipc tools are not installed");
        return;
    }
    let script = r#"set -e
        m=$(ipcmk -M 8192 -p 0600 | sed 's/.*: //')
        s=$(ipcmk -S 2 -p 0640 | sed 's/.*: //')
        echo "segments:"; ipcs -m | awk 'NR>3 && NF {print $4, $5, $6}'
        echo "sets:"; ipcs -s | awk 'NR>3 && NF {print $4, $5}'
        ipcs -m -i "$m" | grep -o 'bytes=[0-9]*'
        ipcs -s -i "$s" | awk '$1 ~ /^[0-9]+$/ {print "semnum", $1, "value", $2}'
        awk 'NR>1 {print "proc shm", $3, $4, $7}' /proc/sysvipc/shm
        awk 'NR>1 {print "proc sem", $3, $4}' /proc/sysvipc/sem
        here=$(ipcs -m -s)
        echo "here: $(echo "$here" | grep -c '^0x')"
        other=$(unshare -i ipcs -m -s)
        echo "new namespace: $(echo "$other" | grep -c '^0x' || true)"
        ipcrm -m "$m" -s "$s"
        echo "after ipcrm: $(ipcs -m -s | grep -c '^0x' || true)""#;
    let n = Run::native(&["unshare", "-i", "/bin/sh", "-c", script]).timeout(default_timeout()).run();
    assert_exit(&n, 0);
    assert!(stdout_text(&n).contains("new namespace: 0\n"), "{}", describe(&n));
    let h = Run::husk_do(&["--", "/bin/sh", "-c", script]).timeout(default_timeout()).run();
    assert_same_as_native(&n, &h);
}

/// A segment made in one sandbox is not visible from another, which runs
/// at the same time.
#[test]
fn segment_not_visible_from_another_sandbox() {
    use std::io::{BufRead, BufReader};
    let mut first = std::process::Command::new(HUSK)
        .args(["do", "--", "/bin/sh", "-c", "ipcmk -M 4096 -p 0600; ipcs -m | grep -c '^0x'; sleep 20"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start husk");
    let mut lines = BufReader::new(first.stdout.take().expect("stdout")).lines();
    let made = lines.next().and_then(Result::ok).unwrap_or_default();
    let count = lines.next().and_then(Result::ok).unwrap_or_default();
    let second =
        Run::husk_do(&["--", "/bin/sh", "-c", "ipcs -m | grep -c '^0x' || true"]).timeout(default_timeout()).run();
    let _ = first.kill();
    let _ = first.wait();
    assert!(made.starts_with("Shared memory id:") && count == "1", "first sandbox: {made:?} {count:?}");
    assert_eq!(stdout_text(&second), "0\n", "{}", describe(&second));
}
