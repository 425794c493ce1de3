//! POSIX message queues and the mqueue file system, checked against Linux:
//! each group of `tests/c/posix_mq.c` runs natively (where every check
//! must pass) and under `husk do`, and must print the same lines.

mod common;

use common::*;

c_groups! { "posix_mq":
    open_attributes_priorities_nonblock_and_errors => "mq_basic",
    mq_permissions_and_attribute_limits => "mq_perms",
    waiting_receivers_senders_signals_timeouts => "mq_block",
    poll_and_epoll_readiness => "mq_poll",
    notification_by_signal_and_none => "mq_notify",
    mqueue_file_system_per_namespace => "mq_fs",
    proc_sys_fs_mqueue_limits => "mq_limits",
    queues_charged_against_rlimit_msgqueue => "mq_rlimit",
}
