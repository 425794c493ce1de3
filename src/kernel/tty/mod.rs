//! Terminals: pseudo-terminal pairs (`/dev/ptmx`, `/dev/pts/N`) with a line
//! discipline (`ldisc.rs`), controlling terminals and job control
//! (`job.rs`).
//!
//! The VFS owns a `Devpts` (one per sandbox) and serves the device nodes by
//! calling it; `/dev/tty` is served by `open_controlling_tty`.

pub mod console;
pub mod job;
pub mod ldisc;
pub mod packet;
pub mod pty;
pub mod termios;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use crate::kernel::errno::Errno;
use crate::kernel::vfs::file::FileOps;
use crate::kernel::Kernel;
use pty::{Pty, PtyMaster};

/// Most pty pairs a sandbox may have at once.
pub const MAX_PTYS: u32 = 4096;

/// The pty pairs of one sandbox (its devpts instance).
#[derive(Default)]
pub struct Devpts {
    /// Live pairs by index; a pair goes away when its last side closes.
    ptys: Mutex<BTreeMap<u32, Weak<Pty>>>,
    /// The kernel, for signals to process groups (set once it exists).
    kernel: OnceLock<Weak<Kernel>>,
}

impl Devpts {
    /// Tells the devpts which kernel it serves.
    pub fn set_kernel(&self, k: Weak<Kernel>) {
        let _ = self.kernel.set(k);
    }

    /// Creates a new pair; returns it (the master side holds it open).
    pub fn new_pair(&self) -> Result<PtyMaster, Errno> {
        let mut ptys = self.ptys.lock().unwrap_or_else(|e| e.into_inner());
        ptys.retain(|_, p| p.strong_count() > 0);
        let index = (0..MAX_PTYS).find(|i| !ptys.contains_key(i)).ok_or(Errno::ENOSPC)?;
        let kernel = self.kernel.get().cloned().unwrap_or_default();
        let pty = Pty::new(index, kernel);
        ptys.insert(index, Arc::downgrade(&pty));
        Ok(PtyMaster { pty })
    }

    /// Opens `/dev/ptmx`: a new pty pair, returning its master side.
    pub fn open_ptmx(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Ok(Box::new(self.new_pair()?))
    }

    /// The pair with index `index`, if it exists.
    pub fn get(&self, index: u32) -> Option<Arc<Pty>> {
        self.ptys.lock().unwrap_or_else(|e| e.into_inner()).get(&index).and_then(|p| p.upgrade())
    }

    /// Opens `/dev/pts/<index>`, the slave side of an existing pair.
    pub fn open_pts(&self, index: u32, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        let pty = self.get(index).ok_or(Errno::ENOENT)?;
        pty.open_slave(flags)
    }

    /// The indices of the pty pairs that exist (the entries of `/dev/pts`).
    pub fn indices(&self) -> Vec<u32> {
        let ptys = self.ptys.lock().unwrap_or_else(|e| e.into_inner());
        ptys.iter().filter(|(_, p)| p.upgrade().is_some_and(|p| p.master_open())).map(|(i, _)| *i).collect()
    }
}

/// Opens `/dev/tty`: the calling process's controlling terminal (ENXIO
/// without one).
pub fn open_controlling_tty(flags: u32) -> Result<Box<dyn FileOps>, Errno> {
    let task = crate::kernel::wait::current().ok_or(Errno::ENXIO)?;
    let term = job::ctty_of(&task.tg).ok_or(Errno::ENXIO)?;
    term.reopen(flags)
}
