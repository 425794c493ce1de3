//! System V message queues, checked against Linux: each group of
//! `tests/c/sysv_msg.c` runs natively (where every check must pass) and
//! under `husk do`, and must print the same lines.

mod common;

use common::*;

c_groups! { "sysv_msg":
    msgget_msgctl_stat_set_info_rmid => "msg_get",
    msgsnd_msgrcv_types_flags_and_errors => "msg_order",
    full_queues_and_waiting_receivers => "msg_block",
    rmid_wakes_waiters_with_eidrm => "msg_rmid",
    signals_interrupt_or_restart_waits => "msg_eintr",
    msg_permissions => "msg_perms",
    msg_ipc_namespace_isolation => "msg_ns",
}

/// util-linux's ipcmk, ipcs and ipcrm create, list, inspect and remove
/// message queues inside husk as they do natively (natively in a fresh IPC
/// namespace, so the listing is the script's own).
#[test]
fn ipcmk_ipcs_ipcrm_queues() {
    if !["ipcmk", "ipcs", "ipcrm", "unshare"].iter().all(|t| std::path::Path::new(&format!("/usr/bin/{t}")).exists()) {
        eprintln!("skipped: util-linux ipc tools are not installed");
        return;
    }
    let script = r#"set -e
        q=$(ipcmk -Q -p 0620 | sed 's/.*: //')
        ipcmk -Q >/dev/null
        echo "queues:"; ipcs -q | awk 'NR>3 && NF {print $4, $5, $6}'
        ipcs -q -i "$q" | grep -E 'mode|qbytes|qnum|lspid' | sed 's/time=.*//'
        ipcs -q -l | grep -v '^$'
        ipcs -q -u | grep -v '^$'
        awk 'NR>1 {print "proc msg", $3, $4, $5, $6, $7}' /proc/sysvipc/msg
        other=$(unshare -i ipcs -q)
        echo "new namespace: $(echo "$other" | grep -c '^0x' || true)"
        ipcrm -q "$q"
        echo "after ipcrm: $(ipcs -q | grep -c '^0x' || true)""#;
    let n = Run::native(&["unshare", "-i", "/bin/sh", "-c", script]).timeout(default_timeout()).run();
    assert_exit(&n, 0);
    assert!(stdout_text(&n).contains("new namespace: 0\n"), "{}", describe(&n));
    let h = Run::husk_do(&["--", "/bin/sh", "-c", script]).timeout(default_timeout()).run();
    assert_same_as_native(&n, &h);
}
