//! Starting a program in an address space: finding the file, `#!` scripts,
//! ELF loading (static, static-PIE and dynamic with PT_INTERP) and the
//! initial stack with argv, envp and the auxiliary vector.

mod elf;
mod stack;

use std::sync::Arc;

use crate::kernel::errno::Errno;
use crate::kernel::mm::MemoryManager;
use crate::kernel::vfs::file::OpenFile;
use crate::kernel::vfs::writecount::DenyWrite;
use crate::kernel::vfs::Vfs;
use crate::platform::Regs;
use crate::platform::StubThread;

/// `#!` interpreters nest at most this deep (Linux allows 4 levels too).
const MAX_SCRIPT_DEPTH: usize = 4;
/// Longest `#!` line Linux reads.
const BINPRM_BUF: usize = 256;
/// The most argv and envp strings may take whatever RLIMIT_STACK says
/// (execve checks the caller's limit itself, `sys_proc::check_arg_room`).
const MAX_ARG_BYTES: usize = 6 << 20;

/// What the caller of `execve` provides.
pub struct ExecRequest<'a> {
    /// The sandbox's file system.
    pub vfs: &'a Arc<Vfs>,
    /// The directory relative paths start from.
    pub cwd: &'a [u8],
    /// The caller's root directory (`chroot`); absolute paths start there.
    pub root: &'a [u8],
    /// The file to run, as given.
    pub path: Vec<u8>,
    /// (uid, euid, gid, egid) for the auxiliary vector.
    pub ids: (u32, u32, u32, u32),
    /// Where the new program's parts go (randomised unless ADDR_NO_RANDOMIZE).
    pub layout: crate::kernel::mm::aslr::ExecLayout,
    /// Whether the caller may execute a file (permission check).
    pub may_exec: &'a dyn Fn(&crate::kernel::vfs::stat::Stat) -> bool,
    /// The caller's credentials, for search permission along the path.
    pub creds: Option<&'a crate::kernel::task::Credentials>,
}

/// A loaded program, ready to run.
pub struct Loaded {
    /// Registers to start the program with.
    pub regs: Regs,
    /// Canonical path of the executable (the ELF, after `#!` resolution).
    pub exe: Vec<u8>,
    /// The auxiliary vector, as bytes.
    pub auxv: Vec<u8>,
}

/// Opens `path` for execution: it must be a regular file the caller may
/// execute and nobody writes to. Returns the file, its canonical path and
/// the denial of writes held while the exec (or the program) uses it.
fn open_exec(req: &ExecRequest, path: &[u8]) -> Result<(Arc<OpenFile>, Vec<u8>, DenyWrite), Errno> {
    let vfs = req.vfs;
    let lk = crate::kernel::vfs::Lookup { root: req.root, start: req.cwd, follow: true, resolve: 0, creds: req.creds };
    let r = vfs.resolve_with(&lk, path)?;
    let st = r.stat()?;
    if st.is_dir() {
        return Err(Errno::EACCES);
    }
    if !st.is_regular() || !(req.may_exec)(&st) {
        return Err(Errno::EACCES);
    }
    // A file open for writing runs nothing, and none opens for writing
    // while the exec has it (`writecount.rs`).
    let deny = DenyWrite::get(&st)?;
    // The node found, not its name again: a magic link (`/proc/self/fd/N`,
    // fexecve) leads to its open file, a memfd included.
    let canon = r.path.clone();
    let f = vfs.open_resolved(r, libc::O_RDONLY as u32, 0, crate::kernel::vfs::Caller::SENTRY)?;
    Ok((Arc::new(f), canon, deny))
}

/// Parses a `#!` line into (interpreter, optional argument) as Linux's
/// binfmt_script does. `head` is the file's first bytes (at most
/// BINPRM_BUF); Linux sees them NUL-padded to BINPRM_BUF. Only spaces and
/// tabs separate words, a NUL ends a word, and an interpreter name that
/// may have been cut by the end of the buffer (no newline and no space,
/// tab or NUL after it) is refused with ENOEXEC rather than run truncated.
/// The name may come out empty (`#!` alone): the caller decides about it.
fn parse_shebang(head: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>), Errno> {
    let spacetab = |b: u8| b == b' ' || b == b'\t';
    let mut buf = [0u8; BINPRM_BUF];
    let n = head.len().min(BINPRM_BUF);
    buf[..n].copy_from_slice(&head[..n]);
    let mut end = match buf.iter().position(|&b| b == b'\n') {
        Some(i) => i,
        None => {
            let first = buf[2..].iter().position(|&b| !spacetab(b)).ok_or(Errno::ENOEXEC)? + 2;
            if !buf[first..].iter().any(|&b| spacetab(b) || b == 0) {
                return Err(Errno::ENOEXEC);
            }
            BINPRM_BUF - 1
        }
    };
    while end > 2 && spacetab(buf[end - 1]) {
        end -= 1;
    }
    let line = &buf[2..end];
    let name_at = line.iter().position(|&b| !spacetab(b)).ok_or(Errno::ENOEXEC)?;
    let rest = &line[name_at..];
    let until_nul = |s: &[u8]| s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())].to_vec();
    Ok(match rest.iter().position(|&b| spacetab(b) || b == 0) {
        None => (rest.to_vec(), None),
        Some(i) if rest[i] == 0 => (rest[..i].to_vec(), None),
        // The trim above leaves a non-blank before `end`: the argument is
        // everything from it, inner blanks kept, up to a NUL.
        Some(i) => {
            let arg = &rest[i..];
            let from = arg.iter().position(|&b| !spacetab(b)).unwrap_or(arg.len());
            (rest[..i].to_vec(), Some(until_nul(&arg[from..])))
        }
    })
}

/// The ELF file an exec runs, found through any `#!` lines.
pub struct Found {
    file: Arc<OpenFile>,
    /// Its canonical path.
    canon: Vec<u8>,
    /// Writes to it are refused while it runs.
    deny: DenyWrite,
    /// What the `#!` lines put in place of argv[0]: interpreters, their
    /// arguments and the script paths (None: argv as given).
    argv0: Option<Vec<Vec<u8>>>,
}

impl Found {
    /// The arguments the program gets from the caller's `argv`.
    pub fn argv(&self, argv: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        match &self.argv0 {
            None => argv,
            Some(head) => head.iter().cloned().chain(argv.into_iter().skip(1)).collect(),
        }
    }
}

/// Finds the program `req` runs: opens the file, follows `#!` lines and
/// checks for an ELF header. Everything an exec may fail on before it
/// needs an address space or the caller's arguments fails here (most
/// failed execs are a shell trying each PATH directory): no stub process
/// is made and no argument read for them. Linux too opens the file before
/// it reads the arguments.
pub fn find_program(req: &ExecRequest) -> Result<Found, Errno> {
    let mut argv0: Option<Vec<Vec<u8>>> = None;
    let mut path = req.path.clone();
    for _ in 0..=MAX_SCRIPT_DEPTH {
        let (file, canon, deny) = open_exec(req, &path)?;
        let mut head = [0u8; BINPRM_BUF];
        let n = read_full(&file, &mut head, 0)?;
        let head = &head[..n];
        if head.starts_with(b"#!") {
            let (interp, arg) = parse_shebang(head)?;
            // Linux opens the interpreter by a kernel name, where "" is the
            // working directory: not a regular file.
            if interp.is_empty() {
                return Err(Errno::EACCES);
            }
            // argv[0] is replaced by the interpreter, its argument and the
            // script path as given.
            let mut new = vec![interp.clone()];
            new.extend(arg);
            new.push(path.clone());
            new.extend(argv0.into_iter().flatten().skip(1));
            argv0 = Some(new);
            path = interp;
            continue;
        }
        if !head.starts_with(b"\x7fELF") {
            return Err(Errno::ENOEXEC);
        }
        return Ok(Found { file, canon, deny, argv0 });
    }
    Err(Errno::ELOOP)
}

/// Loads the program `found` for `req` into the empty address space of
/// `thread`, with `argv` (after `found`'s `#!` changes) and `envp`.
pub fn load(
    req: ExecRequest,
    found: Found,
    (argv, envp): (Vec<Vec<u8>>, Vec<Vec<u8>>),
    thread: &mut StubThread,
    mm: &MemoryManager,
) -> Result<Loaded, Errno> {
    if argv.iter().chain(envp.iter()).map(|s| s.len() + 1).sum::<usize>() > MAX_ARG_BYTES {
        return Err(Errno::E2BIG);
    }
    let Found { file, canon, deny, .. } = found;
    mm.state.lock().unwrap_or_else(|e| e.into_inner()).mmap_top = req.layout.mmap_top;
    let image = elf::load_elf(thread, mm, &file, Some(req.layout.pie_base))?;
    let interp = match &image.interp {
        Some(ipath) => {
            let (ifile, _, _deny) =
                open_exec(&req, ipath).map_err(|e| if e == Errno::EACCES { Errno::ELIBBAD } else { e })?;
            Some(elf::load_elf(thread, mm, &ifile, None)?)
        }
        None => None,
    };
    let execfn = req.path.clone();
    let program = stack::Program { exe: &image, interp: interp.as_ref(), execfn: &execfn, layout: &req.layout };
    let (regs, auxv) = stack::build(thread, mm, &program, &argv, &envp, req.ids)?;
    // The program's file stays closed to writers while it runs.
    mm.set_exe_file(deny);
    Ok(Loaded { regs, exe: canon, auxv })
}

/// Reads up to `buf.len()` bytes at `off`, looping over short reads.
fn read_full(f: &OpenFile, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
    let mut done = 0;
    while done < buf.len() {
        let n = f.pread(&mut buf[done..], off + done as u64)?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}
