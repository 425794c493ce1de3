//! `/proc/<pid>/map_files/`: a link per file-backed VMA, named
//! `start-end` in lowercase hex, as Linux's fs/proc/base.c gives them.
//! Listing, looking up and `readlink` need PTRACE_MODE_READ over the
//! process (EACCES); following a link (open, stat) also needs
//! CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE (EPERM), and opens the mapped
//! file anew, as an `fd/N` link does. A link's mode is 0400, or 0600 when
//! the file was opened for writing too.
//!
//! Shared anonymous and System V mappings, which Linux lists as their
//! shmem files, are not listed: the sentry has no open file for them.

use std::sync::Arc;

use super::super::file::OpenFile;
use super::super::fs::Link;
use super::pid::map_lines;
use crate::kernel::errno::Errno;
use crate::kernel::mm::Backing;
use crate::kernel::ptrace::access::{may_access_as, CallerIds};
use crate::kernel::task::ThreadGroup;

const CAP_CHECKPOINT_RESTORE: u32 = 40;

/// A name as Linux's dname_to_vma_addr reads it: two hex numbers (either
/// case) joined by `-`, without leading zeros.
pub fn parse_name(name: &[u8]) -> Option<(u64, u64)> {
    let text = std::str::from_utf8(name).ok()?;
    let (a, b) = text.split_once('-')?;
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(s, 16).ok()
    };
    Some((num(a)?, num(b)?))
}

/// The name of the link for `[start, end)`.
pub fn name(start: u64, end: u64) -> String {
    format!("{start:x}-{end:x}")
}

/// Whether the calling task may list and read the links of `tg`
/// (PTRACE_MODE_READ_FSCREDS).
pub fn may_read(tg: &ThreadGroup) -> Result<(), Errno> {
    let caller = crate::kernel::wait::current().ok_or(Errno::EACCES)?;
    let target = tg.task_list().first().cloned().ok_or(Errno::ENOENT)?;
    if !may_access_as(&caller.tg, &target, CallerIds::Fs) {
        return Err(Errno::EACCES);
    }
    Ok(())
}

/// The file-backed VMAs of `tg`, as Linux's VMAs (merged pieces).
pub fn entries(tg: &ThreadGroup) -> Vec<(u64, u64, Arc<OpenFile>)> {
    map_lines(tg)
        .into_iter()
        .filter_map(|(v, _)| match v.backing {
            Backing::File { file, .. } => Some((v.start, v.end, file)),
            _ => None,
        })
        .collect()
}

/// The file mapped exactly at `[start, end)`, if a VMA is.
pub fn find(tg: &ThreadGroup, start: u64, end: u64) -> Option<Arc<OpenFile>> {
    entries(tg).into_iter().find(|(s, e, _)| (*s, *e) == (start, end)).map(|(_, _, f)| f)
}

/// A link's mode: the mapped file's access, for its owner.
pub fn mode(file: &OpenFile) -> u32 {
    let acc = file.flags() as i32 & libc::O_ACCMODE;
    libc::S_IFLNK | if acc == libc::O_RDONLY { 0o400 } else { 0o600 }
}

/// The link for `[start, end)`: the file and its path for a caller that
/// may follow it, the path alone (following refused) for others.
pub fn link(tg: &ThreadGroup, start: u64, end: u64) -> Result<Link, Errno> {
    may_read(tg)?;
    let file = find(tg, start, end).ok_or(Errno::ENOENT)?;
    let mut text = file.path.clone();
    if file.path.first() == Some(&b'/') && !text.ends_with(b" (deleted)") && super::unlinked(&file) {
        text.extend_from_slice(b" (deleted)");
    }
    let may_follow = crate::kernel::wait::current().is_some_and(|t| {
        t.tg.capable(crate::kernel::task::clone::CAP_SYS_ADMIN) || t.tg.capable(CAP_CHECKPOINT_RESTORE)
    });
    Ok(if may_follow { Link::File(file, text) } else { Link::Refused(Errno::EPERM, text) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_strictly() {
        assert_eq!(parse_name(b"400000-401000"), Some((0x400000, 0x401000)));
        assert_eq!(parse_name(b"7fABcd000-7fabce000"), Some((0x7fabcd000, 0x7fabce000)));
        assert_eq!(parse_name(b"0400000-401000"), None);
        assert_eq!(parse_name(b"0x400000-401000"), None);
        assert_eq!(parse_name(b"400000"), None);
        assert_eq!(parse_name(b"400000-"), None);
        assert_eq!(name(0x400000, 0x401000), "400000-401000");
    }
}
