//! Access to an application's memory. Every pointer an application hands the
//! sentry is untrusted: reads are bounded and a short or failed copy is EFAULT.

use crate::kernel::errno::Errno;

/// The longest C string (path, argument) the sentry copies in, like PATH_MAX.
pub const PATH_MAX: usize = 4096;

/// Reads and writes application memory by virtual address.
pub trait UserMemory {
    /// Fills `buf` from `addr`; fails with EFAULT unless every byte was read.
    fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno>;

    /// Writes all of `buf` at `addr`; fails with EFAULT unless every byte was written.
    fn write_bytes(&self, addr: u64, buf: &[u8]) -> Result<(), Errno>;

    /// Fills each buffer from its address, in one copy where the memory
    /// allows it (each copy is a host syscall); EFAULT unless all were read.
    fn read_many(&self, parts: &mut [(u64, &mut [u8])]) -> Result<(), Errno> {
        for (addr, buf) in parts.iter_mut() {
            self.read_bytes(*addr, buf)?;
        }
        Ok(())
    }

    /// Writes each buffer at its address, in one copy where the memory
    /// allows it; EFAULT unless all were written.
    fn write_many(&self, parts: &[(u64, &[u8])]) -> Result<(), Errno> {
        for (addr, buf) in parts {
            self.write_bytes(*addr, buf)?;
        }
        Ok(())
    }

    /// Reads a NUL-terminated string of at most `max` bytes (without the NUL).
    /// A string with no NUL within `max` bytes is ENAMETOOLONG.
    fn read_cstring(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut chunk = [0u8; 256];
        let mut at = addr;
        while out.len() < max {
            // Never read across a page boundary in one go: the next page may be
            // unmapped even though the string ends before it.
            let to_page_end = 4096 - (at % 4096) as usize;
            let n = chunk.len().min(to_page_end).min(max - out.len() + 1);
            self.read_bytes(at, &mut chunk[..n])?;
            if let Some(nul) = chunk[..n].iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..nul]);
                return Ok(out);
            }
            out.extend_from_slice(&chunk[..n]);
            at = at.checked_add(n as u64).ok_or(Errno::EFAULT)?;
        }
        Err(Errno::ENAMETOOLONG)
    }

    /// Reads a plain-old-data value.
    fn read_u64(&self, addr: u64) -> Result<u64, Errno> {
        let mut b = [0u8; 8];
        self.read_bytes(addr, &mut b)?;
        Ok(u64::from_ne_bytes(b))
    }

    /// Reads a 32-bit value.
    fn read_u32(&self, addr: u64) -> Result<u32, Errno> {
        let mut b = [0u8; 4];
        self.read_bytes(addr, &mut b)?;
        Ok(u32::from_ne_bytes(b))
    }

    /// Reads `N` consecutive 64-bit words (a timespec; a pointer and a size)
    /// in one copy: every copy is a host syscall, and hot calls such as
    /// pselect6 read several small structs.
    fn read_u64s<const N: usize>(&self, addr: u64) -> Result<[u64; N], Errno>
    where
        Self: Sized,
    {
        let mut b = [[0u8; 8]; N];
        self.read_bytes(addr, b.as_flattened_mut())?;
        Ok(b.map(u64::from_ne_bytes))
    }

    /// Writes consecutive 64-bit words in one copy.
    fn write_u64s(&self, addr: u64, words: &[u64]) -> Result<(), Errno> {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
        self.write_bytes(addr, &bytes)
    }

    /// Writes a 64-bit value.
    fn write_u64(&self, addr: u64, v: u64) -> Result<(), Errno> {
        self.write_bytes(addr, &v.to_ne_bytes())
    }

    /// Writes a 32-bit value.
    fn write_u32(&self, addr: u64, v: u32) -> Result<(), Errno> {
        self.write_bytes(addr, &v.to_ne_bytes())
    }
}
