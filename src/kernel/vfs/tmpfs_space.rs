//! A tmpfs mount's room, as Linux's shmem keeps it per superblock: the
//! pages its files hold against `size=` and the inodes against
//! `nr_inodes=` (every file, directory, symlink and device node, the root
//! included, and each extra hard link). A write that finds no page left
//! stops there (a short write, or ENOSPC when nothing fit); a create,
//! mkdir, symlink, mknod or link past the inode count is ENOSPC. A file's
//! pages are counted through its `FileCharge` (`memcharge.rs`), so they go
//! back when the file does (its last link and descriptor). Limits of 0
//! mean none; a remount may change them, but not to below what is in use.

use std::sync::Mutex;

use super::tmpfs_opts::TmpfsOptions;
use crate::kernel::errno::Errno;

const PAGE: u64 = 4096;

/// One tmpfs's limits and usage.
pub struct TmpfsSpace(Mutex<Space>);

/// Guarded by `TmpfsSpace`'s mutex.
struct Space {
    /// The options as mounted or last remounted (`/proc/mounts` text).
    opts: TmpfsOptions,
    /// Page limit (0: none).
    max_pages: u64,
    /// Inode limit (0: none).
    max_inodes: u64,
    pages: u64,
    inodes: u64,
}

/// Linux's default for both limits: half the host's RAM in pages.
fn default_limit() -> u64 {
    super::overlay::host_ram() / PAGE / 2
}

impl TmpfsSpace {
    /// The room of a tmpfs mounted with `opts`.
    pub fn new(opts: &TmpfsOptions) -> TmpfsSpace {
        TmpfsSpace(Mutex::new(Space {
            opts: opts.clone(),
            max_pages: opts.blocks.unwrap_or_else(default_limit),
            max_inodes: opts.inodes.unwrap_or_else(default_limit),
            pages: 0,
            inodes: 0,
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Space> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Pages still free (`u64::MAX` without a limit).
    pub fn free_pages(&self) -> u64 {
        let s = self.lock();
        if s.max_pages == 0 {
            u64::MAX
        } else {
            s.max_pages.saturating_sub(s.pages)
        }
    }

    /// Takes `n` pages; false (nothing taken) when they do not fit.
    pub fn take_pages(&self, n: u64) -> bool {
        let mut s = self.lock();
        if s.max_pages != 0 && s.pages.saturating_add(n) > s.max_pages {
            return false;
        }
        s.pages += n;
        true
    }

    /// Changes the pages held by `delta` whether or not they fit (pages
    /// found written through a shared mapping, pages freed).
    pub fn adjust_pages(&self, delta: i64) {
        let mut s = self.lock();
        s.pages = s.pages.saturating_add_signed(delta);
    }

    /// Takes an inode for a new node or hard link; ENOSPC when none is left.
    pub fn take_inode(&self) -> Result<(), Errno> {
        let mut s = self.lock();
        if s.max_inodes != 0 && s.inodes >= s.max_inodes {
            return Err(Errno::ENOSPC);
        }
        s.inodes += 1;
        Ok(())
    }

    /// Gives back an inode (a node or hard link gone).
    pub fn give_inode(&self) {
        let mut s = self.lock();
        s.inodes = s.inodes.saturating_sub(1);
    }

    /// Applies a remount's options: a size or inode count that does not
    /// hold what is in use, or that limits a mount made without a limit,
    /// is EINVAL and changes nothing (shmem_reconfigure). Returns the
    /// options as `/proc/mounts` shows them now.
    pub fn remount(&self, data: &str) -> Result<String, Errno> {
        let new = TmpfsOptions::parse(data, 0o1777)?;
        let mut s = self.lock();
        if let Some(b) = new.blocks.filter(|b| *b != 0) {
            if s.max_pages == 0 || b < s.pages {
                return Err(Errno::EINVAL);
            }
        }
        if let Some(i) = new.inodes.filter(|i| *i != 0) {
            if s.max_inodes == 0 || i < s.inodes {
                return Err(Errno::EINVAL);
            }
        }
        if let Some(b) = new.blocks {
            s.max_pages = b;
        }
        if let Some(i) = new.inodes {
            s.max_inodes = i;
        }
        s.opts.remount_with(&new);
        Ok(s.opts.shown())
    }

    /// statfs's (blocks, free blocks, inodes, free inodes): a limit of 0
    /// (none) shows as 0 total and 0 free, as Linux shows it.
    pub fn figures(&self) -> (u64, u64, u64, u64) {
        let s = self.lock();
        (s.max_pages, s.max_pages.saturating_sub(s.pages), s.max_inodes, s.max_inodes.saturating_sub(s.inodes))
    }
}

/// How much of a write of `len` bytes at `off` fits when `free` pages are
/// left and the file's allocated bytes in that range are `data` (sorted
/// byte ranges): the bytes that fit, stopping before the first page that
/// would be one too many (Linux's write fails at that page), and the new
/// pages those bytes take.
pub fn fit(off: u64, len: u64, free: u64, data: &[(u64, u64)]) -> (u64, u64) {
    let end = off.saturating_add(len);
    let mut new = 0u64;
    let mut page = off / PAGE;
    let last = end.div_ceil(PAGE);
    let mut runs = data.iter().map(|&(a, b)| (a / PAGE, b.div_ceil(PAGE))).peekable();
    while page < last {
        while runs.peek().is_some_and(|&(_, b)| b <= page) {
            runs.next();
        }
        match runs.peek() {
            Some(&(a, b)) if a <= page => page = b.min(last),
            next => {
                // A hole up to the next allocated run (or the end).
                let hole_end = next.map_or(last, |&(a, _)| a.min(last));
                let need = hole_end - page;
                if new.saturating_add(need) > free {
                    let stop = page + (free - new);
                    return ((stop * PAGE).max(off) - off, free);
                }
                new += need;
                page = hole_end;
            }
        }
    }
    (len, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_stops_at_the_first_page_that_does_not_fit() {
        // Empty file, two pages free: the first 8192 bytes fit.
        assert_eq!(fit(0, 10000, 2, &[]), (8192, 2));
        // Unaligned start: the write's first page counts whole.
        assert_eq!(fit(100, 10000, 1, &[]), (3996, 1));
        // Overwriting allocated pages takes nothing.
        assert_eq!(fit(0, 8192, 0, &[(0, 8192)]), (8192, 0));
        // A hole between allocated runs is where it stops.
        assert_eq!(fit(0, 16384, 0, &[(0, 4096), (8192, 16384)]), (4096, 0));
        assert_eq!(fit(0, 16384, 1, &[(0, 4096), (8192, 16384)]), (16384, 1));
        // Nothing fits.
        assert_eq!(fit(4096, 10, 0, &[]), (0, 0));
    }

    #[test]
    fn remount_keeps_what_is_in_use() {
        let s = TmpfsSpace::new(&TmpfsOptions::parse("size=16k,nr_inodes=4", 0o1777).unwrap());
        assert!(s.take_pages(3));
        assert!(!s.take_pages(2));
        assert_eq!(s.remount("size=8k"), Err(Errno::EINVAL));
        assert_eq!(s.remount("size=12k").unwrap(), "size=12k,nr_inodes=4");
        assert_eq!(s.remount("size=0").unwrap(), "size=0k,nr_inodes=4");
        assert_eq!(s.remount("size=1m"), Err(Errno::EINVAL));
        s.take_inode().unwrap();
        s.take_inode().unwrap();
        assert_eq!(s.remount("nr_inodes=1"), Err(Errno::EINVAL));
    }
}
