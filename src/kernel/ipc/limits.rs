//! The tunable IPC limits of one IPC namespace, as Linux keeps them per
//! namespace (`/proc/sys/kernel/{shmmax,shmall,shmmni,sem,msgmax,msgmnb,msgmni}`
//! and `/proc/sys/fs/mqueue/*`). A new namespace starts with Linux's
//! defaults; a write there applies to later calls in that namespace.

use std::sync::atomic::{AtomicI32, Ordering};

use super::msg;

/// The limits of one namespace. Each is read when a call needs it.
pub struct IpcLimits {
    pub msgmax: AtomicI32,
    pub msgmnb: AtomicI32,
    pub msgmni: AtomicI32,
}

impl Default for IpcLimits {
    fn default() -> Self {
        IpcLimits {
            msgmax: AtomicI32::new(msg::MSGMAX),
            msgmnb: AtomicI32::new(msg::MSGMNB),
            msgmni: AtomicI32::new(msg::MSGMNI),
        }
    }
}

/// Reads one limit.
pub fn get(v: &AtomicI32) -> i32 {
    v.load(Ordering::Relaxed)
}
