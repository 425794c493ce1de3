//! Core dumps. A process killed by a signal whose default action dumps
//! core (SIGSEGV, SIGABRT, SIGQUIT, ...) leaves an ELF core file when its
//! RLIMIT_CORE allows one and it is dumpable, as Linux does with a plain
//! `core_pattern`: the other threads are stopped first and give their
//! registers, the file is named by the pattern (the host's, which the
//! sandbox shows) relative to the process's working directory, and the
//! wait status then carries WCOREDUMP. A pattern that pipes to a program
//! (`|...`) would run that program on the host: no core is written then.
//! The file's layout is `elf_core.rs`.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::elf_core::{self, CoreProcess, CoreThread, Segment};
use super::{ExitStatus, Task};
use crate::kernel::errno::Errno;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::signal::SigInfo;
use crate::kernel::vfs::{Caller, Lookup};

/// Linux's `min_coredump` for ELF: a smaller RLIMIT_CORE writes nothing.
const MIN_CORE: u64 = 4096;
/// How long the dumping thread waits for the others to stop.
const STOP_WAIT: Duration = Duration::from_secs(5);
/// Bytes of memory copied per host read.
const CHUNK: usize = 1 << 20;
const PAGE: u64 = 4096;

impl Task {
    /// Ends the process for the fatal signal `info`, writing a core file
    /// first where one is due.
    pub fn die_dumping_core(&mut self, info: &SigInfo) {
        let sig = info.signo();
        let limit = self.rlimit(libc::RLIMIT_CORE);
        let dumpable = self.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).dumpable;
        if limit < MIN_CORE || !dumpable {
            self.exit_group(ExitStatus::Signal(sig));
            return;
        }
        let others = self.stop_other_threads(ExitStatus::Signal(sig));
        match self.write_core(info, limit, others) {
            Ok(()) => {
                let dumped = ExitStatus::Dumped(sig);
                self.tg.sig.lock().unwrap_or_else(|e| e.into_inner()).exiting = Some(dumped);
                self.exit = Some(dumped);
            }
            Err(e) => tracing::debug!(tid = self.tid, "no core file: {e:?}"),
        }
    }

    /// Ends the group's other threads (Linux's coredump_wait); returns the
    /// states they left in `ThreadGroup::core_threads` on the way out.
    fn stop_other_threads(&mut self, status: ExitStatus) -> Vec<CoreThread> {
        *self.tg.core_threads.lock().unwrap_or_else(|e| e.into_inner()) = Some(Vec::new());
        self.exit_group(status);
        let tg = self.tg.clone();
        let deadline = Instant::now() + STOP_WAIT;
        // Uninterruptible: the group's own exit counts as a pending kill.
        let _ = crate::kernel::wait::block_uninterruptible_until(&[&tg.stop_queue], deadline, || {
            (tg.task_list().len() <= 1).then_some(Ok(()))
        });
        let others = tg.core_threads.lock().unwrap_or_else(|e| e.into_inner()).take();
        others.unwrap_or_default()
    }

    /// What an ending thread gives a core dump in progress.
    pub(super) fn leave_core_state(&self) {
        let mut slot = self.tg.core_threads.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = slot.as_mut() {
            list.push(self.core_thread(None));
        }
    }

    fn core_thread(&self, info: Option<&SigInfo>) -> CoreThread {
        let fp = self.thread.fpregs().unwrap_or_default();
        let ns = self.tg.pidns();
        let (pending, blocked) = {
            let sig = self.shared.sig.lock().unwrap_or_else(|e| e.into_inner());
            (sig.pending.mask(), sig.mask)
        };
        let (signo, code, errno) = info.map_or((0, 0, 0), |i| (i.signo(), i.code(), i.errno()));
        CoreThread { tid: self.shared.tid.nr_in(ns), regs: self.regs, fp, pending, blocked, signo, code, errno }
    }

    fn write_core(&mut self, info: &SigInfo, limit: u64, others: Vec<CoreThread>) -> Result<(), Errno> {
        let path = self.core_path(info.signo(), limit)?;
        let file = self.open_core(&path)?;
        let mut threads = vec![self.core_thread(Some(info))];
        threads.extend(others);
        let filter = self.tg.coredump_filter.load(Ordering::Relaxed);
        let vmas = crate::kernel::vfs::procfs::mappings(&self.tg);
        let segments = elf_core::segments(&vmas, filter, |addr| self.starts_with_elf(addr));
        let process = self.core_process(info);
        let layout = elf_core::Layout::new(&process, &threads, &segments);
        let mut out = CoreWriter { file: &file, limit, written: 0, full: false, end: 0 };
        let mut from = 0;
        for &end in &layout.pieces {
            out.put(from as u64, &layout.headers[from..end])?;
            from = end;
        }
        // Plain copies: a dump reads untouched stack as zeros and grows
        // nothing (Linux's get_dump_page faults no page in).
        let mem = self.thread.memory();
        for (seg, at) in segments.iter().zip(&layout.data_offsets) {
            copy_segment(&mem, seg, *at, &mut out)?;
        }
        file.ops.truncate(out.end)?;
        Ok(())
    }

    /// Whether the page at `addr` starts with an ELF header (the
    /// ELF_HEADERS filter bit dumps that page of a file mapping).
    fn starts_with_elf(&self, addr: u64) -> bool {
        let mut magic = [0u8; 4];
        self.thread.memory().read_bytes(addr, &mut magic).is_ok() && magic == *b"\x7fELF"
    }

    fn core_process(&self, info: &SigInfo) -> CoreProcess {
        let ns = self.tg.pidns();
        let creds = self.creds();
        let comm = self.shared.comm.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut args = crate::kernel::vfs::procfs::cmdline(&self.tg);
        for b in args.iter_mut().filter(|b| **b == 0) {
            *b = b' ';
        }
        let args = args.trim_ascii_end().to_vec();
        CoreProcess {
            pid: self.tg.pid.nr_in(ns),
            ppid: self.tg.ppid_in(ns),
            pgrp: self.tg.pgrp.lock().unwrap_or_else(|e| e.into_inner()).nr_in(ns),
            sid: self.tg.session.lock().unwrap_or_else(|e| e.into_inner()).nr_in(ns),
            uid: creds.user_ns.uid_shown(creds.ruid),
            gid: creds.user_ns.gid_shown(creds.rgid),
            comm,
            args,
            siginfo: info.0,
            auxv: self.tg.auxv.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }

    /// The core file's name: `core_pattern` expanded as Linux's
    /// format_corename does (with `.PID` appended under core_uses_pid).
    fn core_path(&self, sig: i32, limit: u64) -> Result<Vec<u8>, Errno> {
        let pattern = crate::kernel::vfs::procfs::core_pattern_text();
        let pattern = pattern.trim_ascii_end();
        if pattern.first() == Some(&b'|') || pattern.is_empty() {
            return Err(Errno::EPERM);
        }
        let ns = self.tg.pidns();
        let creds = self.creds();
        let names = self.shared.nsproxy().uts.names();
        let comm = self.shared.comm.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let exe = self.tg.exe.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let fields = CoreNameFields {
            pid: self.tg.pid.nr_in(ns),
            global_pid: self.tg.pid.global(),
            tid: self.shared.tid.nr_in(ns),
            global_tid: self.shared.tid.global(),
            uid: creds.user_ns.uid_shown(creds.euid),
            gid: creds.user_ns.gid_shown(creds.egid),
            sig,
            time: now,
            hostname: names.hostname.clone(),
            comm,
            exe,
            limit,
        };
        Ok(expand_pattern(pattern, &fields, host_core_uses_pid()))
    }

    /// Makes the core file as Linux does: whatever has the name goes first
    /// (a file, a link, a symlink; not a directory), then a new file is
    /// created (mode 0600, the umask applied, never through a symlink),
    /// which must be a lone regular file of the dumping user's, mode 0600.
    fn open_core(&self, path: &[u8]) -> Result<std::sync::Arc<crate::kernel::vfs::file::OpenFile>, Errno> {
        let root = self.root();
        let start = if path.first() == Some(&b'/') { root.clone() } else { self.cwd() };
        let creds = self.fs_creds();
        let lk = Lookup { root: &root, start: &start, follow: false, resolve: 0, creds: Some(&creds) };
        let vfs = self.vfs();
        let _ = vfs.remove(&lk, path, false, Caller { creds: Some(&creds) });
        let umask = self.tg.fs.lock().unwrap_or_else(|e| e.into_inner()).umask;
        let flags = (libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_NOFOLLOW | libc::O_LARGEFILE) as u32;
        let file = vfs.open_with(&lk, path, flags, 0o600 & !umask, Caller { creds: Some(&creds) })?;
        let st = file.ops.stat()?;
        let fsuid = self.tg.privs.lock().unwrap_or_else(|e| e.into_inner()).fsuid;
        if st.mode & libc::S_IFMT != libc::S_IFREG || st.nlink != 1 || st.uid != fsuid || st.mode & 0o677 != 0o600 {
            return Err(Errno::EPERM);
        }
        Ok(std::sync::Arc::new(file))
    }
}

/// What `core_pattern`'s `%` specifiers stand for.
struct CoreNameFields {
    pid: i32,
    global_pid: i32,
    tid: i32,
    global_tid: i32,
    uid: u32,
    gid: u32,
    sig: i32,
    time: u64,
    hostname: Vec<u8>,
    comm: Vec<u8>,
    exe: Vec<u8>,
    limit: u64,
}

/// Expands `%p %P %i %I %u %g %s %t %h %e %E %f %c %d %%`; any other
/// `%x` is dropped, as Linux drops it. Slashes in names become `!`.
fn expand_pattern(pattern: &[u8], f: &CoreNameFields, uses_pid: bool) -> Vec<u8> {
    let bang = |s: &[u8]| s.iter().map(|&b| if b == b'/' { b'!' } else { b }).collect::<Vec<u8>>();
    let mut out = Vec::new();
    let mut has_pid = false;
    let mut it = pattern.iter();
    while let Some(&c) = it.next() {
        if c != b'%' {
            out.push(c);
            continue;
        }
        let Some(&spec) = it.next() else { break };
        let text: Vec<u8> = match spec {
            b'%' => b"%".to_vec(),
            b'p' => {
                has_pid = true;
                f.pid.to_string().into_bytes()
            }
            b'P' => f.global_pid.to_string().into_bytes(),
            b'i' => f.tid.to_string().into_bytes(),
            b'I' => f.global_tid.to_string().into_bytes(),
            b'u' => f.uid.to_string().into_bytes(),
            b'g' => f.gid.to_string().into_bytes(),
            b's' => f.sig.to_string().into_bytes(),
            b't' => f.time.to_string().into_bytes(),
            b'h' => bang(&f.hostname),
            b'e' => bang(&f.comm),
            b'E' => bang(&f.exe),
            b'f' => f.exe.rsplit(|&b| b == b'/').next().unwrap_or_default().to_vec(),
            b'c' => {
                if f.limit == u64::MAX {
                    b"18446744073709551615".to_vec()
                } else {
                    f.limit.to_string().into_bytes()
                }
            }
            b'd' => b"1".to_vec(),
            _ => Vec::new(),
        };
        out.extend(text);
    }
    if uses_pid && !has_pid {
        out.extend(format!(".{}", f.pid).into_bytes());
    }
    out
}

/// The host's `kernel.core_uses_pid` (what the sandbox's pattern means).
fn host_core_uses_pid() -> bool {
    crate::kernel::vfs::procfs::core_uses_pid_text().trim_ascii() != b"0"
}

/// Writes the core file. RLIMIT_CORE bounds the bytes written (holes do
/// not count): the first write that would pass it ends the dump, which
/// still counts as one, as Linux's dump_emit does.
struct CoreWriter<'a> {
    file: &'a crate::kernel::vfs::file::OpenFile,
    limit: u64,
    written: u64,
    /// Set once a write did not fit: nothing more is written.
    full: bool,
    /// The file's length so far (holes included).
    end: u64,
}

impl CoreWriter<'_> {
    fn put(&mut self, at: u64, data: &[u8]) -> Result<(), Errno> {
        if self.full || self.written + data.len() as u64 > self.limit {
            self.full = true;
            return Ok(());
        }
        let mut done = 0;
        while done < data.len() {
            let n = self.file.pwrite(&data[done..], at + done as u64)?;
            if n == 0 {
                return Err(Errno::ENOSPC);
            }
            done += n;
        }
        self.written += data.len() as u64;
        self.end = self.end.max(at + data.len() as u64);
        Ok(())
    }

    /// A stretch of zeros up to `at`: a hole, as Linux's dump_skip leaves.
    fn skip_to(&mut self, at: u64) {
        if !self.full {
            self.end = self.end.max(at);
        }
    }
}

/// Copies a segment's dumped bytes to `at` in the file: pages that cannot
/// be read or hold only zeros become holes.
fn copy_segment(mem: &impl UserMemory, seg: &Segment, at: u64, out: &mut CoreWriter) -> Result<(), Errno> {
    let mut buf = vec![0u8; CHUNK];
    let mut done = 0u64;
    while done < seg.dump_len && !out.full {
        let n = (seg.dump_len - done).min(CHUNK as u64) as usize;
        let chunk = &mut buf[..n];
        if mem.read_bytes(seg.start + done, chunk).is_err() {
            // Part of it is not readable (untouched stack, PROT_NONE): page by page.
            for (i, page) in chunk.chunks_mut(PAGE as usize).enumerate() {
                if mem.read_bytes(seg.start + done + i as u64 * PAGE, page).is_err() {
                    page.fill(0);
                }
            }
        }
        for (i, page) in chunk.chunks(PAGE as usize).enumerate() {
            let off = at + done + i as u64 * PAGE;
            if page.iter().all(|&b| b == 0) {
                out.skip_to(off + page.len() as u64);
            } else {
                out.put(off, page)?;
            }
        }
        done += n as u64;
    }
    Ok(())
}
