//! System V semaphore sets.

/// The semaphore sets of one IPC namespace.
#[derive(Default)]
pub struct SemRegistry {}
