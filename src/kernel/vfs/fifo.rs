//! Named pipes (FIFOs): a node of the in-memory layer holding a pipe that
//! its openers share. Opening follows fifo(7): a reader waits for a writer
//! and a writer for a reader, unless O_NONBLOCK (then a lone writer gets
//! ENXIO); O_RDWR never waits. The data goes when the last end closes.

use std::sync::Arc;

use super::file::FileOps;
use crate::kernel::errno::Errno;
use crate::kernel::pipe::{InodeStat, Pipe};

/// The pipe behind a FIFO node.
pub struct Fifo {
    pipe: Arc<Pipe>,
}

impl Fifo {
    /// A FIFO nobody has opened.
    pub fn new() -> Arc<Fifo> {
        Arc::new(Fifo { pipe: Pipe::new() })
    }
}

/// Opens a FIFO with `open(2)` flags; `inode` gives the node's metadata
/// for `fstat`.
pub fn open(f: &Fifo, flags: u32, inode: InodeStat) -> Result<Box<dyn FileOps>, Errno> {
    Ok(Box::new(f.pipe.open_end(flags, Some(inode))?))
}
