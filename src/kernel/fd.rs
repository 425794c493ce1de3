//! File descriptor tables.

use std::sync::{Arc, Mutex};

use crate::kernel::errno::Errno;
use crate::kernel::vfs::file::OpenFile;

/// One descriptor: the open file description and the close-on-exec flag.
#[derive(Clone)]
pub struct FdEntry {
    pub file: Arc<OpenFile>,
    pub cloexec: bool,
}

/// The highest number of descriptors (RLIMIT_NOFILE's hard default).
pub const NR_OPEN: usize = 1 << 20;

/// A descriptor table, shared by threads (and by `CLONE_FILES` children).
#[derive(Default)]
pub struct FdTable {
    /// Slot `n` is descriptor `n`. Guards every change to the table.
    slots: Mutex<Vec<Option<FdEntry>>>,
}

impl FdTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Option<FdEntry>>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A descriptor of `file` was closed: the POSIX record locks this
    /// table holds on the file go away, and its dnotify mark (called
    /// without the table's lock).
    fn closed(&self, file: &OpenFile) {
        crate::kernel::vfs::lock::release_posix(self as *const FdTable as usize, file);
        crate::kernel::vfs::dnotify::flush(self as *const FdTable as usize, file);
    }

    /// The file behind `fd`.
    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.entry(fd).map(|e| e.file)
    }

    /// The whole entry of `fd`.
    pub fn entry(&self, fd: i32) -> Result<FdEntry, Errno> {
        let slots = self.lock();
        usize::try_from(fd).ok().and_then(|i| slots.get(i)).and_then(|e| e.clone()).ok_or(Errno::EBADF)
    }

    /// Installs `file` at the lowest free descriptor `>= min`, below `limit`.
    pub fn install(&self, file: Arc<OpenFile>, cloexec: bool, min: usize, limit: usize) -> Result<i32, Errno> {
        let mut slots = self.lock();
        let free =
            (min..).take_while(|&i| i < slots.len()).find(|&i| slots[i].is_none()).unwrap_or(slots.len().max(min));
        if free >= limit.min(NR_OPEN) {
            return Err(Errno::EMFILE);
        }
        if free >= slots.len() {
            slots.resize(free + 1, None);
        }
        slots[free] = Some(FdEntry { file, cloexec });
        Ok(free as i32)
    }

    /// Puts `file` at exactly `fd`, closing what was there (`dup2`).
    pub fn install_at(
        &self,
        fd: i32,
        file: Arc<OpenFile>,
        cloexec: bool,
        limit: usize,
    ) -> Result<Option<FdEntry>, Errno> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        if i >= limit.min(NR_OPEN) {
            return Err(Errno::EBADF);
        }
        let mut slots = self.lock();
        if i >= slots.len() {
            slots.resize(i + 1, None);
        }
        let old = slots[i].replace(FdEntry { file, cloexec });
        drop(slots);
        if let Some(o) = &old {
            self.closed(&o.file);
        }
        Ok(old)
    }

    /// Removes `fd`.
    pub fn remove(&self, fd: i32) -> Result<FdEntry, Errno> {
        let mut slots = self.lock();
        let e = usize::try_from(fd).ok().and_then(|i| slots.get_mut(i)).and_then(|e| e.take()).ok_or(Errno::EBADF)?;
        drop(slots);
        self.closed(&e.file);
        Ok(e)
    }

    /// Sets or clears close-on-exec.
    pub fn set_cloexec(&self, fd: i32, on: bool) -> Result<(), Errno> {
        let mut slots = self.lock();
        let e = usize::try_from(fd).ok().and_then(|i| slots.get_mut(i)).and_then(|e| e.as_mut()).ok_or(Errno::EBADF)?;
        e.cloexec = on;
        Ok(())
    }

    /// Closes descriptors `first..=last`, or only marks them close-on-exec
    /// (`close_range(2)`).
    pub fn close_range(&self, first: u32, last: u32, cloexec_only: bool) {
        let mut slots = self.lock();
        let end = (last as usize).saturating_add(1).min(slots.len());
        let mut gone = Vec::new();
        for s in slots.iter_mut().take(end).skip(first as usize) {
            match (s.as_mut(), cloexec_only) {
                (Some(e), true) => e.cloexec = true,
                (Some(_), false) => gone.extend(s.take()),
                (None, _) => {}
            }
        }
        drop(slots);
        for e in &gone {
            self.closed(&e.file);
        }
    }

    /// Closes every close-on-exec descriptor (`execve`).
    pub fn close_on_exec(&self) {
        let mut slots = self.lock();
        let mut gone = Vec::new();
        for s in slots.iter_mut() {
            if s.as_ref().is_some_and(|e| e.cloexec) {
                gone.extend(s.take());
            }
        }
        drop(slots);
        for e in &gone {
            self.closed(&e.file);
        }
    }

    /// Closes every descriptor (the process exited).
    pub fn close_all(&self) {
        let gone: Vec<FdEntry> = self.lock().drain(..).flatten().collect();
        for e in &gone {
            self.closed(&e.file);
        }
    }

    /// A copy of the table (`fork` without `CLONE_FILES`).
    pub fn fork(&self) -> FdTable {
        FdTable { slots: Mutex::new(self.lock().clone()) }
    }

    /// How many descriptors are open.
    pub fn count(&self) -> usize {
        self.lock().iter().filter(|e| e.is_some()).count()
    }

    /// Open descriptors, in order.
    pub fn list(&self) -> Vec<(i32, FdEntry)> {
        self.lock().iter().enumerate().filter_map(|(i, e)| e.clone().map(|e| (i as i32, e))).collect()
    }
}
