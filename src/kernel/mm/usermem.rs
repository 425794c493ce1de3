//! Access to an application's memory. Every pointer an application hands the
//! sentry is untrusted: reads are bounded and a short or failed copy is EFAULT.

use super::layout::PAGE;
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

/// The most `StringVecReader::prefetch` reads in one copy.
const PREFETCH_MAX: u64 = 64 * PAGE;

/// Reads a NULL-terminated array of C strings (execve's argv and envp) a
/// page at a time: one copy per string and one per pointer would cost a
/// host syscall each, and an environment has dozens of them.
pub struct StringVecReader<'a, M: UserMemory + ?Sized> {
    mem: &'a M,
    /// Bytes of application memory starting at `start`.
    window: Vec<u8>,
    start: u64,
}

impl<'a, M: UserMemory + ?Sized> StringVecReader<'a, M> {
    pub fn new(mem: &'a M) -> Self {
        StringVecReader { mem, window: Vec::new(), start: 0 }
    }

    /// The pointers of the array at `addr`, up to its NULL; at most
    /// `most + 1` of them (one more than the caller allows tells it so).
    pub fn pointers(&self, mut addr: u64, most: usize) -> Result<Vec<u64>, Errno> {
        let mut out = Vec::new();
        let mut words = [0u8; 256];
        loop {
            // A batch never crosses a page: the next page may be unmapped
            // though the array ends before it.
            let to_page_end = (PAGE - addr % PAGE) as usize;
            // A pointer straddling two pages is read alone.
            let n = (words.len().min(to_page_end) / 8 * 8).max(8);
            self.mem.read_bytes(addr, &mut words[..n])?;
            for w in words[..n].chunks_exact(8) {
                let p = u64::from_ne_bytes(w.try_into().unwrap_or_default());
                if p == 0 || out.len() > most {
                    return Ok(out);
                }
                out.push(p);
            }
            addr = addr.checked_add(n as u64).ok_or(Errno::EFAULT)?;
        }
    }

    /// Reads the pages from the lowest to the highest of `pointers` in one
    /// copy if they are few and all readable: a shell builds each
    /// environment string in its own heap block, so the strings lie near
    /// each other but not one after another, and each would take a copy.
    /// A string running past the last page is read again on its own.
    pub fn prefetch(&mut self, pointers: &[u64]) {
        let (Some(&lo), Some(&hi)) = (pointers.iter().min(), pointers.iter().max()) else {
            return;
        };
        let start = lo - lo % PAGE;
        let Some(end) = (hi - hi % PAGE).checked_add(PAGE) else {
            return;
        };
        if end - start > PREFETCH_MAX {
            return;
        }
        let mut window = vec![0u8; (end - start) as usize];
        if self.mem.read_bytes(start, &mut window).is_ok() {
            self.window = window;
            self.start = start;
        }
    }

    /// The string at `p` (at most `max` bytes without its NUL), read with
    /// its neighbours: strings usually lie one after another.
    pub fn cstring(&mut self, p: u64, max: usize) -> Result<Vec<u8>, Errno> {
        if let Some(s) = self.in_window(p, max) {
            return s;
        }
        // The rest of p's page and the next one if it is readable.
        let to_page_end = PAGE - p % PAGE;
        self.window.resize((to_page_end + PAGE) as usize, 0);
        if self.mem.read_bytes(p, &mut self.window).is_err() {
            self.window.truncate(to_page_end as usize);
            if self.mem.read_bytes(p, &mut self.window).is_err() {
                self.window.clear();
                return Err(Errno::EFAULT);
            }
        }
        self.start = p;
        match self.in_window(p, max) {
            Some(s) => s,
            // Longer than the window: the page-by-page reader.
            None => self.mem.read_cstring(p, max),
        }
    }

    /// The string at `p` if the window holds all of it.
    fn in_window(&self, p: u64, max: usize) -> Option<Result<Vec<u8>, Errno>> {
        let off = usize::try_from(p.checked_sub(self.start)?).ok()?;
        let rest = self.window.get(off..)?;
        let nul = rest.iter().position(|&b| b == 0)?;
        Some(if nul > max { Err(Errno::ENAMETOOLONG) } else { Ok(rest[..nul].to_vec()) })
    }
}
