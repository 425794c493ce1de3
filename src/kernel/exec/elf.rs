//! Mapping an ELF file's PT_LOAD segments into an address space.

use std::sync::Arc;

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::header::{Header, EM_X86_64, ET_DYN, ET_EXEC};
use goblin::elf::program_header::{ProgramHeader, PF_R, PF_W, PF_X, PT_INTERP, PT_LOAD, PT_PHDR};

use super::read_full;
use crate::kernel::errno::Errno;
use crate::kernel::mm::layout::{page_align_down, page_align_up, MMAP_MIN_ADDR, PAGE};
use crate::kernel::mm::{MapRequest, MemoryManager};
use crate::kernel::vfs::file::OpenFile;
use crate::platform::StubThread;

/// A program image mapped into an address space.
pub struct Image {
    /// Entry point (with the load bias applied).
    pub entry: u64,
    /// Where the program headers are in memory.
    pub phdr: u64,
    pub phnum: u64,
    /// The load bias (0 for ET_EXEC).
    pub bias: u64,
    /// The PT_INTERP path, if the program asks for an interpreter.
    pub interp: Option<Vec<u8>>,
    /// The page after the highest segment: where the heap starts.
    pub end: u64,
    /// The executable segments' span and the data's, as Linux's
    /// `load_elf_binary` takes them (file sizes, load bias applied).
    pub code: (u64, u64),
    pub data: (u64, u64),
}

const PHDR_SIZE: usize = 56;
const MAX_PHDRS_BYTES: usize = 65536;

fn prot_of(flags: u32) -> u32 {
    let mut p = 0;
    if flags & PF_R != 0 {
        p |= libc::PROT_READ;
    }
    if flags & PF_W != 0 {
        p |= libc::PROT_WRITE;
    }
    if flags & PF_X != 0 {
        p |= libc::PROT_EXEC;
    }
    p as u32
}

/// Maps `file` into `mm`: the program itself with `pie_base` (where an
/// ET_DYN program goes), or its dynamic loader with None (placed anywhere
/// free, as mmap would).
pub fn load_elf(
    thread: &mut StubThread,
    mm: &MemoryManager,
    file: &Arc<OpenFile>,
    pie_base: Option<u64>,
) -> Result<Image, Errno> {
    let mut hbuf = [0u8; 64];
    if read_full(file, &mut hbuf, 0)? < 64 {
        return Err(Errno::ENOEXEC);
    }
    let hdr: Header = goblin::elf::Elf::parse_header(&hbuf).map_err(|_| Errno::ENOEXEC)?;
    if hdr.e_ident[4] != 2 || hdr.e_ident[5] != 1 || hdr.e_machine != EM_X86_64 {
        return Err(Errno::ENOEXEC);
    }
    if hdr.e_type != ET_EXEC && hdr.e_type != ET_DYN {
        return Err(Errno::ENOEXEC);
    }
    if hdr.e_phentsize as usize != PHDR_SIZE || hdr.e_phnum == 0 || hdr.e_phnum as usize * PHDR_SIZE > MAX_PHDRS_BYTES {
        return Err(Errno::ENOEXEC);
    }
    let mut pbuf = vec![0u8; hdr.e_phnum as usize * PHDR_SIZE];
    if read_full(file, &mut pbuf, hdr.e_phoff)? < pbuf.len() {
        return Err(Errno::ENOEXEC);
    }
    let ctx = Ctx::new(Container::Big, Endian::Little);
    let phdrs = ProgramHeader::parse(&pbuf, 0, hdr.e_phnum as usize, ctx).map_err(|_| Errno::ENOEXEC)?;
    let loads: Vec<&ProgramHeader> = phdrs.iter().filter(|p| p.p_type == PT_LOAD).collect();
    if loads.is_empty() {
        return Err(Errno::ENOEXEC);
    }
    for p in &loads {
        if p.p_offset % PAGE != p.p_vaddr % PAGE || p.p_filesz > p.p_memsz {
            return Err(Errno::ENOEXEC);
        }
    }
    let lo = page_align_down(loads.iter().map(|p| p.p_vaddr).min().unwrap_or(0));
    let hi = loads
        .iter()
        .map(|p| p.p_vaddr.checked_add(p.p_memsz))
        .try_fold(0u64, |m, e| e.map(|e| m.max(e)))
        .ok_or(Errno::ENOEXEC)?;
    let hi = page_align_up(hi).ok_or(Errno::ENOEXEC)?;
    let span = hi - lo;

    let interp = match phdrs.iter().find(|p| p.p_type == PT_INTERP) {
        Some(p) if pie_base.is_some() => {
            if p.p_filesz < 2 || p.p_filesz as usize > crate::kernel::vfs::PATH_MAX {
                return Err(Errno::ENOEXEC);
            }
            let mut s = vec![0u8; p.p_filesz as usize];
            read_full(file, &mut s, p.p_offset)?;
            match s.iter().position(|&b| b == 0) {
                Some(i) => s.truncate(i),
                None => return Err(Errno::ENOEXEC),
            }
            Some(s)
        }
        _ => None,
    };

    // Reserve the whole span first, so the segments land together and
    // nothing else sits in the holes between them.
    let anon = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u32;
    let fixed = libc::MAP_FIXED as u32;
    let base = if hdr.e_type == ET_EXEC {
        if lo < MMAP_MIN_ADDR {
            return Err(Errno::EINVAL);
        }
        mm.mmap(thread, MapRequest { addr: lo, len: span, prot: 0, flags: anon | fixed, file: None, offset: 0 })?
    } else if pie_base.is_none() {
        mm.mmap(thread, MapRequest { addr: 0, len: span, prot: 0, flags: anon, file: None, offset: 0 })?
    } else {
        mm.mmap(
            thread,
            MapRequest { addr: pie_base.unwrap_or(0), len: span, prot: 0, flags: anon | fixed, file: None, offset: 0 },
        )?
    };
    let bias = base - lo;

    let host_fd = file.ops.host_fd().map_err(|e| if e == Errno::ENODEV { Errno::ENOEXEC } else { e })?;
    for p in &loads {
        let prot = prot_of(p.p_flags);
        let start = bias + p.p_vaddr;
        let map_start = page_align_down(start);
        let file_end = start + p.p_filesz;
        let mem_end = page_align_up(start + p.p_memsz).ok_or(Errno::ENOEXEC)?;
        if p.p_filesz > 0 {
            let len = page_align_up(file_end).ok_or(Errno::ENOEXEC)? - map_start;
            let req = MapRequest {
                addr: map_start,
                len,
                prot,
                flags: (libc::MAP_PRIVATE | libc::MAP_FIXED) as u32,
                file: Some(Ok((file.clone(), host_fd))),
                offset: page_align_down(p.p_offset),
            };
            mm.mmap(thread, req)?;
            // The rest of the last file page belongs to .bss: zero it.
            let page_end = page_align_up(file_end).ok_or(Errno::ENOEXEC)?;
            if p.p_memsz > p.p_filesz && page_end > file_end && prot & libc::PROT_WRITE as u32 != 0 {
                let zeros = vec![0u8; (page_end - file_end) as usize];
                use crate::kernel::mm::usermem::UserMemory;
                mm.memory().write_bytes(file_end, &zeros)?;
            }
        }
        let anon_start = if p.p_filesz > 0 { page_align_up(file_end).ok_or(Errno::ENOEXEC)? } else { map_start };
        if mem_end > anon_start {
            mm.mmap(
                thread,
                MapRequest {
                    addr: anon_start,
                    len: mem_end - anon_start,
                    prot,
                    flags: anon | fixed,
                    file: None,
                    offset: 0,
                },
            )?;
        }
    }

    let phdr = match phdrs.iter().find(|p| p.p_type == PT_PHDR) {
        Some(p) => p.p_vaddr + bias,
        None => loads
            .iter()
            .find(|p| p.p_offset <= hdr.e_phoff && hdr.e_phoff < p.p_offset + p.p_filesz)
            .map(|p| p.p_vaddr + (hdr.e_phoff - p.p_offset) + bias)
            .unwrap_or(0),
    };
    let (code, data) = code_and_data(&loads);
    Ok(Image {
        entry: hdr.e_entry.wrapping_add(bias),
        phdr,
        phnum: hdr.e_phnum as u64,
        bias,
        interp,
        end: bias + hi,
        code: (code.0.wrapping_add(bias), code.1.wrapping_add(bias)),
        data: (data.0.wrapping_add(bias), data.1.wrapping_add(bias)),
    })
}

/// (start_code, end_code) and (start_data, end_data) of the loadable
/// segments: code spans the executable ones; data starts at the highest
/// segment start and ends at the highest end of file contents.
fn code_and_data(loads: &[&ProgramHeader]) -> ((u64, u64), (u64, u64)) {
    let (mut code, mut data) = ((u64::MAX, 0u64), (0u64, 0u64));
    for p in loads {
        let end = p.p_vaddr + p.p_filesz;
        if p.p_flags & PF_X != 0 {
            code = (code.0.min(p.p_vaddr), code.1.max(end));
        }
        data = (data.0.max(p.p_vaddr), data.1.max(end));
    }
    if code.0 == u64::MAX {
        code.0 = 0;
    }
    (code, data)
}
