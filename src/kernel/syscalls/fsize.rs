//! RLIMIT_FSIZE, as Linux holds every way a regular file grows to it.
//!
//! Writes (write, pwrite, the vectored forms, sendfile, splice and
//! copy_file_range into a file) follow `generic_write_check_limits`: one
//! starting at or past the limit fails with EFBIG and raises SIGXFSZ, one
//! starting below it is cut short there. Size changes (ftruncate, truncate,
//! fallocate without FALLOC_FL_KEEP_SIZE) follow `inode_newsize_ok`: growing
//! past the limit fails the same way; shrinking, or growing up to exactly
//! the limit, is allowed.

use crate::kernel::errno::Errno;
use crate::kernel::signal::send::{send, Origin, Target};
use crate::kernel::signal::SigInfo;
use crate::kernel::task::Task;
use crate::kernel::vfs::file::OpenFile;

/// The caller's RLIMIT_FSIZE (`u64::MAX`: none).
fn limit(task: &Task) -> u64 {
    task.rlimit(libc::RLIMIT_FSIZE)
}

/// EFBIG, with the SIGXFSZ Linux sends the caller first (`send_sig`: an
/// ignored or blocked signal leaves just the error).
fn too_big(task: &Task) -> Errno {
    send(&task.kernel, Target::Task(&task.shared), SigInfo::kernel(libc::SIGXFSZ), Origin::Kernel);
    Errno::EFBIG
}

/// How much of a `len`-byte write to `file` starting at `at` may be made.
/// Only regular files are limited (a host descriptor passed in as stdio is
/// one too, though its offset lives on the host).
pub(super) fn write_len(
    task: &Task,
    file: &OpenFile,
    len: u64,
    at: impl FnOnce() -> Result<u64, Errno>,
) -> Result<u64, Errno> {
    let limit = limit(task);
    if limit == u64::MAX || len == 0 || !file.ops.stat()?.is_regular() {
        return Ok(len);
    }
    let at = at()?;
    if at >= limit {
        return Err(too_big(task));
    }
    Ok(len.min(limit - at))
}

/// Whether a file of `size` bytes may become `new_size` bytes long.
pub(super) fn resize_ok(task: &Task, size: u64, new_size: u64) -> Result<(), Errno> {
    if new_size > size && new_size > limit(task) {
        return Err(too_big(task));
    }
    Ok(())
}
