//! Terminals: pseudo-terminal pairs (`/dev/ptmx`, `/dev/pts/N`) with a line
//! discipline, controlling terminals and job control.
//!
//! The VFS owns a `Devpts` (one per sandbox) and serves the device nodes by
//! calling it; `/dev/tty` is served by `open_controlling_tty`.

use crate::kernel::errno::Errno;
use crate::kernel::vfs::file::FileOps;

/// The pty pairs of one sandbox (its devpts instance).
#[derive(Default)]
pub struct Devpts {}

impl Devpts {
    /// Opens `/dev/ptmx`: a new pty pair, returning its master side.
    pub fn open_ptmx(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Err(Errno::ENODEV)
    }

    /// Opens `/dev/pts/<index>`, the slave side of an existing pair.
    pub fn open_pts(&self, _index: u32, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Err(Errno::ENOENT)
    }

    /// The indices of the pty pairs that exist (the entries of `/dev/pts`).
    pub fn indices(&self) -> Vec<u32> {
        Vec::new()
    }
}

/// Opens `/dev/tty`: the calling process's controlling terminal (ENXIO
/// without one).
pub fn open_controlling_tty(_flags: u32) -> Result<Box<dyn FileOps>, Errno> {
    Err(Errno::ENXIO)
}
