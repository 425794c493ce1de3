//! The system call table and its handlers, one file per family.

pub mod abi;
mod fsize;
mod iovec;
mod sys_attr;
mod sys_clone;
mod sys_event;
mod sys_fd;
mod sys_file;
mod sys_fileioctl;
mod sys_fsattr;
mod sys_futex;
mod sys_ident;
mod sys_info;
mod sys_inotify;
mod sys_kcmp;
mod sys_link;
mod sys_lock;
mod sys_mm;
mod sys_mount;
mod sys_mqueue;
mod sys_msg;
mod sys_msgq;
mod sys_ns;
mod sys_numa;
mod sys_path;
mod sys_pidfd;
mod sys_poll;
mod sys_prctl;
mod sys_prctl_mm;
mod sys_proc;
mod sys_ptrace;
mod sys_sched_attr;
mod sys_seccomp;
mod sys_signal;
mod sys_sleep;
mod sys_socket;
mod sys_splice;
mod sys_sysv;
mod sys_timer;
mod sys_xattr;
mod table;

pub use sys_ident::{CAP_SYS_NICE, CAP_SYS_RESOURCE};
pub use sys_info::READ_IMPLIES_EXEC;

use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::task::Task;

/// The raw arguments of a syscall.
pub type Args = [u64; 6];

/// A syscall handler.
pub type Handler = fn(&mut Task, &Args) -> SysResult;

/// Serves syscall `nr`. Unknown and unimplemented numbers return ENOSYS and
/// are logged once per kernel, with their name.
pub fn dispatch(task: &mut Task, nr: u64, args: Args) -> SysResult {
    match table::handler(nr) {
        Some(h) => h(task, &args),
        None => {
            if task.kernel.note_unimplemented(nr) {
                let name = table::name(nr).unwrap_or("unknown");
                tracing::warn!(nr, name, "unimplemented syscall: returns ENOSYS");
            }
            Err(Errno::ENOSYS)
        }
    }
}
