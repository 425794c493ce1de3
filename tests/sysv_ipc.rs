//! System V IPC (shared memory and semaphores), checked against Linux:
//! each group of `tests/c/sysv_ipc.c` runs natively (where every check
//! must pass) and under `husk do`, and must print the same lines.

mod common;

use common::*;

macro_rules! groups {
    ($prog:literal: $($name:ident => $group:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_c_group($prog, $group);
            }
        )*
    };
}

groups! { "sysv_ipc":
    shmget_errors_stat_set_info_rmid => "shm_get",
    shm_shared_across_fork_and_unrelated_processes => "shm_share",
    shm_rmid_while_attached => "shm_rmid",
    shmat_address_flags_and_shmdt => "shm_attach_flags",
    shm_permissions => "shm_perms",
    shm_ipc_namespace_isolation => "shm_ns",
    semget_semctl_semop_errors_and_values => "sem_get",
    semop_blocks_and_wakes_between_processes => "sem_wait",
    sem_undo_applied_at_exit => "sem_undo",
    semop_interrupted_by_signal_is_eintr => "sem_eintr",
    sem_permissions => "sem_perms",
    sem_ipc_namespace_isolation => "sem_ns",
}
