//! The layout of an x86_64 ELF core file as Linux's binfmt_elf writes it:
//! the ELF header, a PT_NOTE header and one PT_LOAD per mapping, the
//! notes (per thread NT_PRSTATUS and the FPU state; once NT_PRPSINFO,
//! NT_SIGINFO, NT_AUXV and NT_FILE after the dumping thread's status),
//! then, page aligned, the mappings' contents. Which part of each mapping
//! is written follows `coredump_filter` as Linux's vma_dump_size does.

use crate::kernel::mm::Backing;
use crate::kernel::mm::Vma;
use crate::kernel::ptrace::regs;
use crate::platform::Regs;

const PAGE: u64 = 4096;
const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const NT_PRPSINFO: u32 = 3;
const NT_AUXV: u32 = 6;
const NT_SIGINFO: u32 = 0x5349_4749;
const NT_FILE: u32 = 0x4649_4c45;

/// coredump_filter bits (core(5)).
const ANON_PRIVATE: u32 = 1 << 0;
const ANON_SHARED: u32 = 1 << 1;
const MAPPED_PRIVATE: u32 = 1 << 2;
const MAPPED_SHARED: u32 = 1 << 3;
const ELF_HEADERS: u32 = 1 << 4;

/// One thread's state at the dump.
pub struct CoreThread {
    /// Its id as the dumping process's namespace numbers it.
    pub tid: i32,
    pub regs: Regs,
    /// Its XSAVE area (signal-frame layout, as the platform keeps it).
    pub fp: Vec<u8>,
    pub pending: u64,
    pub blocked: u64,
    /// The signal it is dying of (the dumping thread only; else 0).
    pub signo: i32,
    pub code: i32,
    pub errno: i32,
}

/// The process-wide notes' contents.
pub struct CoreProcess {
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub sid: i32,
    pub uid: u32,
    pub gid: u32,
    pub comm: Vec<u8>,
    /// The command line, arguments separated by spaces.
    pub args: Vec<u8>,
    pub siginfo: [u8; 128],
    pub auxv: Vec<u8>,
}

/// One mapping in the core: its PT_LOAD and how much of it is written.
pub struct Segment {
    pub start: u64,
    pub end: u64,
    prot: u32,
    /// Bytes of the mapping written from its start (the rest is absent).
    pub dump_len: u64,
    /// A file mapping's name and offset (for NT_FILE).
    file: Option<(Vec<u8>, u64)>,
}

/// The mappings of an address space as core segments, under `filter`;
/// `is_elf(addr)` says whether a page starts with an ELF header.
pub fn segments(vmas: &[Vma], filter: u32, is_elf: impl Fn(u64) -> bool) -> Vec<Segment> {
    vmas.iter()
        .map(|v| {
            let len = v.end - v.start;
            let dump_len = dump_len(v, filter, &is_elf).min(len);
            let file = match &v.backing {
                Backing::File { file, offset } => Some((file.path.clone(), *offset)),
                _ => None,
            };
            Segment { start: v.start, end: v.end, prot: v.prot, dump_len, file }
        })
        .collect()
}

/// Linux's vma_dump_size (MADV_DONTDUMP leaves out all but the vDSO's
/// pages, which are always dumped). A private mapping that was ever writable
/// (VM_ACCOUNT) stands for one with written pages (an anon_vma): only
/// those are dumped whole under ANON_PRIVATE.
fn dump_len(v: &Vma, filter: u32, is_elf: &impl Fn(u64) -> bool) -> u64 {
    let whole = v.end - v.start;
    let on = |bit: u32| filter & bit != 0;
    if v.advised.dont_dump && !matches!(v.backing, Backing::Vdso(_)) {
        return 0;
    }
    if v.flags & libc::MAP_SHARED as u32 != 0 {
        let anon = match &v.backing {
            Backing::SharedAnon { .. } | Backing::Shm { .. } => true,
            Backing::File { file, .. } => file.ops.stat().is_ok_and(|st| st.nlink == 0),
            _ => false,
        };
        let bit = if anon { ANON_SHARED } else { MAPPED_SHARED };
        return if on(bit) { whole } else { 0 };
    }
    match &v.backing {
        // The vDSO, its data pages and the vsyscall page: always.
        Backing::Vdso(_) => whole,
        Backing::File { offset, .. } => {
            if (v.accounted && on(ANON_PRIVATE)) || on(MAPPED_PRIVATE) {
                whole
            } else if on(ELF_HEADERS) && *offset == 0 && v.prot & libc::PROT_READ as u32 != 0 && is_elf(v.start) {
                PAGE
            } else {
                0
            }
        }
        _ => {
            let written = v.accounted || v.prot & libc::PROT_WRITE as u32 != 0;
            if written && on(ANON_PRIVATE) {
                whole
            } else {
                0
            }
        }
    }
}

/// The file's headers and notes, and where each segment's data goes.
pub struct Layout {
    pub headers: Vec<u8>,
    /// Where each piece of `headers` Linux writes in one go ends (the ELF
    /// header, each program header, each note's header and its data):
    /// RLIMIT_CORE cuts the file after the last piece that fits.
    pub pieces: Vec<usize>,
    pub data_offsets: Vec<u64>,
}

impl Layout {
    pub fn new(p: &CoreProcess, threads: &[CoreThread], segs: &[Segment]) -> Layout {
        let (notes, note_pieces) = notes(p, threads, segs);
        let phnum = segs.len() + 1;
        let notes_at = (EHDR_SIZE + phnum * PHDR_SIZE) as u64;
        let data_start = (notes_at + notes.len() as u64).div_ceil(PAGE) * PAGE;
        let mut data_offsets = Vec::with_capacity(segs.len());
        let mut at = data_start;
        for s in segs {
            data_offsets.push(at);
            at += s.dump_len;
        }
        let mut h = Vec::with_capacity(notes_at as usize + notes.len());
        elf_header(&mut h, phnum as u16);
        let mut pieces = vec![h.len()];
        phdr(&mut h, PT_NOTE, 0, notes_at, 0, notes.len() as u64, 0, 4);
        pieces.push(h.len());
        for (s, off) in segs.iter().zip(&data_offsets) {
            let p = |bit: i32, f: u32| if s.prot & bit as u32 != 0 { f } else { 0 };
            let flags = p(libc::PROT_READ, 4) | p(libc::PROT_WRITE, 2) | p(libc::PROT_EXEC, 1);
            phdr(&mut h, PT_LOAD, flags, *off, s.start, s.dump_len, s.end - s.start, PAGE);
            pieces.push(h.len());
        }
        pieces.extend(note_pieces.iter().map(|end| h.len() + end));
        h.extend(notes);
        Layout { headers: h, pieces, data_offsets }
    }
}

fn elf_header(h: &mut Vec<u8>, phnum: u16) {
    h.extend(b"\x7fELF");
    h.extend([2, 1, 1, 0]); // 64-bit, little endian, version 1, System V ABI
    h.extend([0u8; 8]);
    h.extend(4u16.to_le_bytes()); // ET_CORE
    h.extend(62u16.to_le_bytes()); // EM_X86_64
    h.extend(1u32.to_le_bytes());
    h.extend(0u64.to_le_bytes()); // e_entry
    h.extend((EHDR_SIZE as u64).to_le_bytes()); // e_phoff
    h.extend(0u64.to_le_bytes()); // e_shoff
    h.extend(0u32.to_le_bytes()); // e_flags
    h.extend((EHDR_SIZE as u16).to_le_bytes());
    h.extend((PHDR_SIZE as u16).to_le_bytes());
    h.extend(phnum.to_le_bytes());
    h.extend(64u16.to_le_bytes()); // e_shentsize
    h.extend([0u8; 4]); // e_shnum, e_shstrndx
}

#[allow(clippy::too_many_arguments)]
fn phdr(h: &mut Vec<u8>, kind: u32, flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64, align: u64) {
    h.extend(kind.to_le_bytes());
    h.extend(flags.to_le_bytes());
    for w in [offset, vaddr, 0, filesz, memsz, align] {
        h.extend(w.to_le_bytes());
    }
}

/// The notes, and where each of their pieces ends.
fn notes(p: &CoreProcess, threads: &[CoreThread], segs: &[Segment]) -> (Vec<u8>, Vec<usize>) {
    let mut n = Notes::default();
    for (i, t) in threads.iter().enumerate() {
        n.add(b"CORE", regs::NT_PRSTATUS as u32, &prstatus(p, t));
        if i == 0 {
            n.add(b"CORE", NT_PRPSINFO, &prpsinfo(p));
            n.add(b"CORE", NT_SIGINFO, &p.siginfo);
            n.add(b"CORE", NT_AUXV, &p.auxv);
            n.add(b"CORE", NT_FILE, &files(segs));
        }
        let mut fx = vec![0u8; regs::FPREGS_SIZE];
        let k = t.fp.len().min(fx.len());
        fx[..k].copy_from_slice(&t.fp[..k]);
        n.add(b"CORE", regs::NT_PRFPREG as u32, &fx);
        if let Some(x) = regs::xstate_bytes(&t.fp) {
            n.add(b"LINUX", regs::NT_X86_XSTATE as u32, &x);
        }
    }
    (n.bytes, n.pieces)
}

#[derive(Default)]
struct Notes {
    bytes: Vec<u8>,
    pieces: Vec<usize>,
}

impl Notes {
    fn add(&mut self, name: &[u8], kind: u32, desc: &[u8]) {
        let n = &mut self.bytes;
        n.extend((name.len() as u32 + 1).to_le_bytes());
        n.extend((desc.len() as u32).to_le_bytes());
        n.extend(kind.to_le_bytes());
        n.extend(name);
        n.push(0);
        pad4(n);
        self.pieces.push(n.len());
        n.extend(desc);
        pad4(n);
        self.pieces.push(n.len());
    }
}

fn pad4(n: &mut Vec<u8>) {
    n.resize(n.len().div_ceil(4) * 4, 0);
}

/// struct elf_prstatus (336 bytes on x86_64).
fn prstatus(p: &CoreProcess, t: &CoreThread) -> Vec<u8> {
    let mut b = Vec::with_capacity(336);
    for v in [t.signo, t.code, t.errno] {
        b.extend(v.to_le_bytes());
    }
    b.extend((t.signo as i16).to_le_bytes()); // pr_cursig
    b.extend([0u8; 2]);
    b.extend(t.pending.to_le_bytes());
    b.extend(t.blocked.to_le_bytes());
    for v in [t.tid, p.pid, p.pgrp, p.sid] {
        b.extend(v.to_le_bytes());
    }
    b.extend([0u8; 64]); // user, system and children's times
    b.extend(regs::regs_bytes(&t.regs));
    b.extend(1i32.to_le_bytes()); // pr_fpvalid
    b.resize(336, 0);
    b
}

/// struct elf_prpsinfo (136 bytes on x86_64).
fn prpsinfo(p: &CoreProcess) -> Vec<u8> {
    let mut b = Vec::with_capacity(136);
    b.extend([0, b'R', 0, 0]); // state, its letter, zombie, nice
    b.extend([0u8; 4]);
    b.extend(0x600u64.to_le_bytes()); // PF_DUMPCORE | PF_SIGNALED
    b.extend(p.uid.to_le_bytes());
    b.extend(p.gid.to_le_bytes());
    for v in [p.pid, p.ppid, p.pgrp, p.sid] {
        b.extend(v.to_le_bytes());
    }
    let mut fname = [0u8; 16];
    let k = p.comm.len().min(15);
    fname[..k].copy_from_slice(&p.comm[..k]);
    b.extend(fname);
    let mut args = [0u8; 80];
    let k = p.args.len().min(79);
    args[..k].copy_from_slice(&p.args[..k]);
    b.extend(args);
    b
}

/// NT_FILE: the file mappings (start, end, offset in pages), then their names.
fn files(segs: &[Segment]) -> Vec<u8> {
    let mapped: Vec<(&Segment, &(Vec<u8>, u64))> =
        segs.iter().filter_map(|s| s.file.as_ref().map(|f| (s, f))).collect();
    let mut b = Vec::new();
    b.extend((mapped.len() as u64).to_le_bytes());
    b.extend(PAGE.to_le_bytes());
    for (s, (_, offset)) in &mapped {
        for w in [s.start, s.end, offset / PAGE] {
            b.extend(w.to_le_bytes());
        }
    }
    for (_, (name, _)) in &mapped {
        b.extend(name);
        b.push(0);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread() -> CoreThread {
        // SAFETY: user_regs_struct is plain integers; all zeros is valid.
        let regs: Regs = unsafe { std::mem::zeroed() };
        CoreThread { tid: 7, regs, fp: vec![0; 512], pending: 0, blocked: 0, signo: 11, code: 1, errno: 0 }
    }

    #[test]
    fn note_structs_have_linux_sizes() {
        let p = CoreProcess {
            pid: 7,
            ppid: 1,
            pgrp: 7,
            sid: 1,
            uid: 0,
            gid: 0,
            comm: b"crash".to_vec(),
            args: b"./crash now".to_vec(),
            siginfo: [0; 128],
            auxv: vec![0; 16],
        };
        assert_eq!(prstatus(&p, &thread()).len(), 336);
        assert_eq!(prpsinfo(&p).len(), 136);
        let l = Layout::new(&p, &[thread()], &[]);
        assert_eq!(&l.headers[..4], b"\x7fELF");
        assert_eq!(u16::from_le_bytes([l.headers[56], l.headers[57]]), 1);
    }
}
