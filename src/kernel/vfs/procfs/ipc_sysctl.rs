//! `/proc/sys/kernel`'s IPC limits (shmmax, shmall, shmmni, sem, msgmax,
//! msgmnb, msgmni) and `/proc/sys/fs/mqueue`'s (queues_max, msg_max,
//! msgsize_max, msg_default, msgsize_default): the reader's or writer's IPC namespace's
//! (`kernel/ipc/limits.rs`), the sandbox's first one for a reader that is
//! not a task.

use std::sync::Arc;

use crate::kernel::errno::Errno;
use crate::kernel::ipc::limits::Tunable;
use crate::kernel::ns::IpcNamespace;
use crate::kernel::Kernel;

fn ns(k: &Kernel) -> Arc<IpcNamespace> {
    match crate::kernel::wait::current() {
        Some(t) => t.nsproxy().ipc,
        None => k.root_ipc.clone(),
    }
}

fn show(k: &Kernel, t: Tunable) -> Vec<u8> {
    ns(k).limits.show(t).into_bytes()
}

fn store(k: &Kernel, t: Tunable, data: &[u8]) -> Result<(), Errno> {
    ns(k).limits.store(t, data)
}

macro_rules! tunables {
    ($($read:ident, $write:ident => $t:ident;)*) => {
        $(
            #[doc = concat!("Reads the `", stringify!($read), "` limit.")]
            pub fn $read(k: &Kernel) -> Vec<u8> {
                show(k, Tunable::$t)
            }
            #[doc = concat!("Writes the `", stringify!($read), "` limit.")]
            pub fn $write(k: &Kernel, data: &[u8]) -> Result<(), Errno> {
                store(k, Tunable::$t, data)
            }
        )*
    };
}

tunables! {
    shmmax, set_shmmax => ShmMax;
    shmall, set_shmall => ShmAll;
    shmmni, set_shmmni => ShmMni;
    sem, set_sem => Sem;
    msgmax, set_msgmax => MsgMax;
    msgmnb, set_msgmnb => MsgMnb;
    msgmni, set_msgmni => MsgMni;
    mq_queues_max, set_mq_queues_max => MqQueuesMax;
    mq_msg_max, set_mq_msg_max => MqMsgMax;
    mq_msgsize_max, set_mq_msgsize_max => MqMsgsizeMax;
    mq_msg_default, set_mq_msg_default => MqMsgDefault;
    mq_msgsize_default, set_mq_msgsize_default => MqMsgsizeDefault;
}
