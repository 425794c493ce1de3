//! Linux's `i_writecount`: a regular file open for writing cannot be
//! executed, and the file of a running program cannot be opened for
//! writing or truncated; both fail with ETXTBSY.
//!
//! One signed count per file: positive while it has writers, negative
//! while programs run from it (or an exec has it open). Files are
//! identified by (dev, ino) as for record locks (`lock.rs`); an overlay
//! keeps a file's inode number across copy-up, so the count follows it.
//! The guards give the count back when dropped: [`WriteAccess`] with the
//! open file description that took it, [`DenyWrite`] with the address
//! space that runs the program (Linux's `mm->exe_file`) or the exec that
//! opened the file.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use super::stat::Stat;
use crate::kernel::errno::Errno;

type Key = (u64, u64);

static COUNTS: LazyLock<Mutex<HashMap<Key, i64>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Adds `by` to the count of `key` unless `refuse` says no (ETXTBSY).
fn adjust(key: Key, by: i64, refuse: impl Fn(i64) -> bool) -> Result<(), Errno> {
    let mut counts = COUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let n = counts.get(&key).copied().unwrap_or(0);
    if refuse(n) {
        return Err(Errno::ETXTBSY);
    }
    match n + by {
        0 => counts.remove(&key),
        v => counts.insert(key, v),
    };
    Ok(())
}

/// Write access to a file (Linux's get_write_access), held by an open
/// file description opened for writing.
#[derive(Debug)]
pub struct WriteAccess(Key);

impl WriteAccess {
    /// Takes write access to the file `st` describes: ETXTBSY while a
    /// program runs from it.
    pub fn get(st: &Stat) -> Result<WriteAccess, Errno> {
        let key = (st.dev, st.ino);
        adjust(key, 1, |n| n < 0)?;
        Ok(WriteAccess(key))
    }
}

impl Drop for WriteAccess {
    fn drop(&mut self) {
        let _ = adjust(self.0, -1, |_| false);
    }
}

/// Writes to a file denied (Linux's deny_write_access), held by whatever
/// executes it.
#[derive(Debug)]
pub struct DenyWrite(Key);

impl DenyWrite {
    /// Denies writes to the file `st` describes: ETXTBSY while it is open
    /// for writing.
    pub fn get(st: &Stat) -> Result<DenyWrite, Errno> {
        let key = (st.dev, st.ino);
        adjust(key, -1, |n| n > 0)?;
        Ok(DenyWrite(key))
    }
}

impl Clone for DenyWrite {
    /// Another denial of the same file (a forked address space runs the
    /// same program): writers are already kept out, so it cannot fail.
    fn clone(&self) -> DenyWrite {
        let _ = adjust(self.0, -1, |_| false);
        DenyWrite(self.0)
    }
}

impl Drop for DenyWrite {
    fn drop(&mut self) {
        let _ = adjust(self.0, 1, |_| false);
    }
}
