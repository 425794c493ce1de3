//! Reading and writing: read(2), write(2) and their positional and vectored
//! forms.

use super::fsize;
use super::iovec::read_iovecs;
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::task::Task;
use crate::kernel::vfs::file::OpenFile;
use crate::kernel::vfs::{attr, notify};

/// Linux caps a single transfer at this many bytes (MAX_RW_COUNT).
const MAX_RW: u64 = 0x7fff_f000;
/// The sentry moves data in chunks of this size.
const CHUNK: usize = 1 << 20;

/// Where a transfer happens in the file.
#[derive(Clone, Copy)]
pub(super) enum Pos {
    /// At (and advancing) the file position.
    Current,
    /// At a fixed offset (`pread`, `pwrite`); the position is untouched.
    At(u64),
}

/// How a transfer is made: the RWF_* flags of preadv2/pwritev2 that
/// change it (the plain calls use the default).
#[derive(Clone, Copy, Default)]
pub(super) struct Mode {
    /// RWF_NOWAIT: a stream does not block (as with O_NONBLOCK).
    nowait: bool,
    /// RWF_APPEND (`Some(true)`) or RWF_NOAPPEND (`Some(false)`): whether a
    /// write goes to the end, whatever O_APPEND says.
    append: Option<bool>,
    /// RWF_DSYNC/RWF_SYNC: the file is synced after the write.
    sync: bool,
    /// RWF_NOSIGNAL: a write to a broken pipe raises no SIGPIPE.
    nosignal: bool,
}

impl Mode {
    /// Whether a write to `file` goes to its end. Linux appends even for a
    /// positioned write (pwrite) on an O_APPEND file.
    fn appends(&self, file: &OpenFile) -> bool {
        self.append.unwrap_or_else(|| file.appends())
    }
}

fn pos_arg(off: u64) -> Result<Pos, Errno> {
    if (off as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(Pos::At(off))
}

/// Linux's first check of a user buffer: the whole range must lie in the
/// user half of the address space, whatever is mapped there.
fn access_ok(addr: u64, len: u64) -> Result<(), Errno> {
    match addr.checked_add(len) {
        Some(end) if end <= crate::platform::stub::TASK_SIZE_MAX => Ok(()),
        _ => Err(Errno::EFAULT),
    }
}

thread_local! {
    /// The sentry thread's transfer buffer, kept between calls (each task
    /// runs on its own sentry thread), so a read or write allocates nothing.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with a scratch buffer of at least `len` bytes (contents undefined).
pub(super) fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < len {
                buf.resize(len, 0);
            }
            f(&mut buf[..len])
        }
        // Re-entered (cannot happen today): use a fresh buffer.
        Err(_) => f(&mut vec![0u8; len]),
    })
}

/// Reads from `file` into application memory at `addr`. For regular files
/// it loops until `len` bytes or end of file; streams return after one read.
pub(super) fn read_into(task: &Task, file: &OpenFile, addr: u64, len: u64, pos: Pos) -> SysResult {
    read_into_mode(task, file, addr, len, pos, Mode::default())
}

fn read_into_mode(task: &Task, file: &OpenFile, addr: u64, len: u64, pos: Pos, mode: Mode) -> SysResult {
    let r = read_into_quiet(task, file, addr, len, pos, mode);
    if matches!(r, Ok(n) if n > 0) {
        notify::file_event(file, notify::IN_ACCESS);
    }
    r
}

fn read_into_quiet(task: &Task, file: &OpenFile, addr: u64, len: u64, pos: Pos, mode: Mode) -> SysResult {
    // Linux's vfs_read order: the access mode, the buffer, then the file,
    // which may refuse a short read (even an empty one).
    if !file.is_readable() {
        return Err(Errno::EBADF);
    }
    access_ok(addr, len)?;
    let len = len.min(MAX_RW);
    if (len as usize) < file.ops.min_read() {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    // Check the destination before consuming data, so a bad buffer loses
    // nothing (a pipe's bytes stay in the pipe), as in Linux.
    let writable = task.writable_extent(addr, len);
    if writable == 0 {
        return Err(Errno::EFAULT);
    }
    let len = len.min(writable);
    let mem = task.mem();
    if file.is_readable() && file.ops.reads_zeros() {
        return write_zeros(&mem, addr, len);
    }
    if let Pos::Current = pos {
        if let Some(r) = file.read_to_user(&mem, addr, len as usize, mode.nowait) {
            return r.map(|n| n as u64);
        }
    }
    with_scratch((len as usize).min(CHUNK), |buf| {
        let mut done = 0u64;
        while done < len {
            let want = ((len - done) as usize).min(buf.len());
            let r = match pos {
                Pos::Current => file.read_nowait(&mut buf[..want], mode.nowait),
                Pos::At(off) => file.pread(&mut buf[..want], off + done),
            };
            let n = match r {
                Ok(n) => n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            mem.write_bytes(addr + done, &buf[..n])?;
            done += n as u64;
            if n < want || !file.ops.seekable() {
                break;
            }
        }
        Ok(done)
    })
}

/// RLIMIT_FSIZE cuts a write to a regular file short (`fsize.rs`).
fn fsize_limit(task: &Task, file: &OpenFile, len: u64, pos: Pos, append: bool) -> Result<u64, Errno> {
    fsize::write_len(task, file, len, || {
        Ok(match pos {
            _ if append => file.ops.stat()?.size,
            Pos::At(off) => off,
            Pos::Current => file.current_offset(),
        })
    })
}

/// Writes application memory at `addr` to `file`.
pub(super) fn write_from(task: &Task, file: &OpenFile, addr: u64, len: u64, pos: Pos) -> SysResult {
    write_from_mode(task, file, addr, len, pos, Mode::default())
}

fn write_from_mode(task: &Task, file: &OpenFile, addr: u64, len: u64, pos: Pos, mode: Mode) -> SysResult {
    let r = write_from_quiet(task, file, addr, len, pos, mode);
    if matches!(r, Ok(n) if n > 0) {
        notify::file_event(file, notify::IN_MODIFY);
        if mode.sync {
            // Linux's generic_write_sync: the data is written back before
            // the call returns, and a failure to do so is the call's error.
            // Only file systems' writes do it: a file without fsync (a pipe,
            // a device: EINVAL) has nothing to write back.
            match file.ops.sync() {
                Err(Errno::EINVAL) | Ok(()) => {}
                Err(e) => return Err(e),
            }
        }
    }
    r
}

/// One write at `pos`: a positioned write on an appending file (O_APPEND
/// or RWF_APPEND) goes to the end and leaves the position alone, as in Linux.
fn write_once(file: &OpenFile, buf: &[u8], pos: Pos, mode: Mode) -> Result<usize, Errno> {
    let append = mode.appends(file);
    match pos {
        Pos::Current => file.write_mode(buf, append, mode.nowait),
        Pos::At(_) if append && file.ops.seekable() => {
            let end = file.ops.stat()?.size;
            file.pwrite(buf, end)
        }
        Pos::At(off) => file.pwrite(buf, off),
    }
}

fn write_from_quiet(task: &Task, file: &OpenFile, addr: u64, len: u64, pos: Pos, mode: Mode) -> SysResult {
    access_ok(addr, len)?;
    let len = fsize_limit(task, file, len.min(MAX_RW), pos, mode.appends(file))?;
    if len == 0 {
        // Linux still checks the file can be written.
        return write_once(file, &[], pos, mode).map(|n| n as u64);
    }
    if file.discards_writes() {
        return Ok(len);
    }
    let mem = task.mem();
    if let Pos::Current = pos {
        if let Some(r) = file.write_from_user(&mem, addr, len as usize, mode.nowait) {
            return r.map(|n| n as u64);
        }
    }
    with_scratch((len as usize).min(CHUNK), |buf| {
        let mut done = 0u64;
        while done < len {
            let want = ((len - done) as usize).min(buf.len());
            if let Err(e) = mem.read_bytes(addr + done, &mut buf[..want]) {
                if done == 0 {
                    return Err(e);
                }
                break;
            }
            let r = match pos {
                Pos::Current => write_once(file, &buf[..want], pos, mode),
                Pos::At(off) => write_once(file, &buf[..want], Pos::At(off + done), mode),
            };
            let n = match r {
                Ok(n) => n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            done += n as u64;
            if n < want {
                break;
            }
        }
        Ok(done)
    })
}

/// Zeros, the source of writes of zeros (never written).
static ZEROS: [u8; 1 << 16] = [0; 1 << 16];

/// Writes `len` zero bytes at `addr` (a read of `/dev/zero`).
fn write_zeros(mem: &dyn UserMemory, addr: u64, len: u64) -> SysResult {
    let mut done = 0u64;
    while done < len {
        let n = (len - done).min(ZEROS.len() as u64);
        if let Err(e) = mem.write_bytes(addr + done, &ZEROS[..n as usize]) {
            return if done == 0 { Err(e) } else { Ok(done) };
        }
        done += n;
    }
    Ok(done)
}

/// Reads of `/dev/zero` at least this long zero whole pages of private
/// anonymous memory by dropping them (MADV_DONTNEED), which the host then
/// refills with zeros on demand, instead of copying zeros in.
const ZERO_BY_DROPPING: u64 = 256 << 10;

/// A large read of zeros into private anonymous memory: the whole pages
/// are dropped, the partial ones at the ends written. `None` when the
/// destination is not all private anonymous writable memory.
fn read_zeros_by_dropping(t: &mut Task, addr: u64, len: u64) -> Option<SysResult> {
    use crate::kernel::mm::Backing;
    let len = len.min(MAX_RW);
    access_ok(addr, len).ok()?;
    let end = addr.checked_add(len)?;
    let (first, last) = ((addr + 4095) & !4095, end & !4095);
    if last <= first {
        return None;
    }
    let vmas = t.mm().vmas();
    // The whole pages must be private anonymous memory; the partial pages
    // at the ends are written, whatever they are.
    let mut at = first;
    for v in vmas.iter().filter(|v| v.end > first && v.start < last) {
        let anon = matches!(v.backing, Backing::Anon | Backing::Heap | Backing::Stack | Backing::ThreadStack { .. });
        let private = v.flags & libc::MAP_SHARED as u32 == 0;
        if v.start > at || !anon || !private || v.prot & libc::PROT_WRITE as u32 == 0 {
            return None;
        }
        at = v.end;
    }
    if at < last {
        return None;
    }
    let mem = t.mem();
    if let Err(e) = write_zeros(&mem, addr, first - addr).and_then(|_| write_zeros(&mem, last, end - last)) {
        return Some(Err(e));
    }
    let mm = t.mm();
    match mm.madvise(&mut t.thread, first, last - first, libc::MADV_DONTNEED) {
        Ok(_) => Some(Ok(len)),
        Err(_) => Some(write_zeros(&t.mem(), first, last - first).map(|_| len)),
    }
}

/// Implements read(2).
pub fn read(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    if a[2] >= ZERO_BY_DROPPING && f.is_readable() && f.ops.reads_zeros() {
        if let Some(r) = read_zeros_by_dropping(t, a[1], a[2]) {
            return r;
        }
    }
    read_into(t, &f, a[1], a[2], Pos::Current)
}

/// Raises SIGPIPE in the caller when a write found no reader, as Linux does.
pub(super) fn sigpipe_on_epipe(t: &Task, r: SysResult) -> SysResult {
    if r == Err(Errno::EPIPE) {
        crate::kernel::signal::send::raise_sigpipe(t);
    }
    r
}

/// Implements write(2).
pub fn write(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    let r = write_from(t, &f, a[1], a[2], Pos::Current);
    sigpipe_on_epipe(t, r)
}

/// Implements pread64(2).
pub fn pread64(t: &mut Task, a: &Args) -> SysResult {
    let pos = pos_arg(a[3])?;
    let f = t.file(a[0] as i32)?;
    read_into(t, &f, a[1], a[2], pos)
}

/// Implements pwrite64(2).
pub fn pwrite64(t: &mut Task, a: &Args) -> SysResult {
    let pos = pos_arg(a[3])?;
    let f = t.file(a[0] as i32)?;
    write_from(t, &f, a[1], a[2], pos)
}

/// A vectored transfer: each iovec in turn, stopping at the first short one.
fn vectored(t: &Task, file: &OpenFile, iov: &[(u64, u64)], mut pos: Pos, write: bool, mode: Mode) -> SysResult {
    let mut total = 0u64;
    for &(base, len) in iov {
        if len == 0 {
            continue;
        }
        let r = if write {
            write_from_mode(t, file, base, len, pos, mode)
        } else {
            read_into_mode(t, file, base, len, pos, mode)
        };
        let n = match r {
            Ok(n) => n,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        total += n;
        if let Pos::At(off) = pos {
            pos = Pos::At(off + n);
        }
        if n < len {
            break;
        }
    }
    Ok(total)
}

/// Implements readv(2).
pub fn readv(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    let iov = read_iovecs(t, a[1], a[2], true)?;
    vectored(t, &f, &iov, Pos::Current, false, Mode::default())
}

/// Implements writev(2).
pub fn writev(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    let iov = read_iovecs(t, a[1], a[2], true)?;
    let r = vectored(t, &f, &iov, Pos::Current, true, Mode::default());
    sigpipe_on_epipe(t, r)
}

/// Implements preadv(2).
pub fn preadv(t: &mut Task, a: &Args) -> SysResult {
    let pos = pos_arg(a[3])?;
    let f = t.file(a[0] as i32)?;
    let iov = read_iovecs(t, a[1], a[2], true)?;
    vectored(t, &f, &iov, pos, false, Mode::default())
}

/// Implements pwritev(2).
pub fn pwritev(t: &mut Task, a: &Args) -> SysResult {
    let pos = pos_arg(a[3])?;
    let f = t.file(a[0] as i32)?;
    let iov = read_iovecs(t, a[1], a[2], true)?;
    vectored(t, &f, &iov, pos, true, Mode::default())
}

const RWF_HIPRI: u64 = 0x1;
const RWF_DSYNC: u64 = 0x2;
const RWF_SYNC: u64 = 0x4;
const RWF_NOWAIT: u64 = 0x8;
const RWF_APPEND: u64 = 0x10;
const RWF_NOAPPEND: u64 = 0x20;
const RWF_ATOMIC: u64 = 0x40;
const RWF_DONTCACHE: u64 = 0x80;
const RWF_NOSIGNAL: u64 = 0x100;
/// The flags Linux 6.18 knows (RWF_SUPPORTED).
const RWF_SUPPORTED: u64 = RWF_HIPRI
    | RWF_DSYNC
    | RWF_SYNC
    | RWF_NOWAIT
    | RWF_APPEND
    | RWF_NOAPPEND
    | RWF_ATOMIC
    | RWF_DONTCACHE
    | RWF_NOSIGNAL;

/// Linux's kiocb_set_rw_flags: the RWF_* flags of a transfer on `file`.
/// RWF_HIPRI only matters for polled direct I/O, which the sentry does
/// not do; RWF_ATOMIC needs O_DIRECT atomic writes and RWF_DONTCACHE a
/// file system with uncached buffered I/O, neither of which the sentry's
/// files have (tmpfs refuses both too).
fn rw_mode(file: &OpenFile, flags: u64, write: bool) -> Result<Mode, Errno> {
    if flags & !RWF_SUPPORTED != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if flags & RWF_APPEND != 0 && flags & RWF_NOAPPEND != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & RWF_NOWAIT != 0 && !file.ops.nowait() {
        return Err(Errno::EOPNOTSUPP);
    }
    if flags & (RWF_ATOMIC | RWF_DONTCACHE) != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    // Reads ignore the write-side flags, as Linux's do.
    // Not even for one write does an append-only file lose O_APPEND.
    if write && flags & RWF_NOAPPEND != 0 && file.appends() && attr::append_only(file.ops.inode_flags().unwrap_or(0)) {
        return Err(Errno::EPERM);
    }
    let append = match flags & (RWF_APPEND | RWF_NOAPPEND) {
        RWF_APPEND if write => Some(true),
        RWF_NOAPPEND if write => Some(false),
        _ => None,
    };
    Ok(Mode {
        nowait: flags & RWF_NOWAIT != 0,
        append,
        sync: write && flags & (RWF_DSYNC | RWF_SYNC) != 0,
        nosignal: flags & RWF_NOSIGNAL != 0,
    })
}

/// preadv2(2) and pwritev2(2): offset -1 is the file position; the flags
/// are checked only for a transfer of at least one byte, as in Linux.
fn rw2(t: &mut Task, a: &Args, write: bool) -> SysResult {
    let off = a[3] as i64;
    if off < -1 {
        return Err(Errno::EINVAL);
    }
    let f = t.file(a[0] as i32)?;
    let pos = if off == -1 { Pos::Current } else { Pos::At(off as u64) };
    if let Pos::At(_) = pos {
        if !f.positional() {
            return Err(Errno::ESPIPE);
        }
    }
    if !(if write { f.is_writable() } else { f.is_readable() }) {
        return Err(Errno::EBADF);
    }
    let iov = read_iovecs(t, a[1], a[2], true)?;
    if iov.iter().all(|&(_, len)| len == 0) {
        return Ok(0);
    }
    let mode = rw_mode(&f, a[5], write)?;
    let r = vectored(t, &f, &iov, pos, write, mode);
    if write && !mode.nosignal {
        return sigpipe_on_epipe(t, r);
    }
    r
}

/// Implements preadv2(2).
pub fn preadv2(t: &mut Task, a: &Args) -> SysResult {
    rw2(t, a, false)
}

/// Implements pwritev2(2).
pub fn pwritev2(t: &mut Task, a: &Args) -> SysResult {
    rw2(t, a, true)
}

/// Implements lseek(2).
pub fn lseek(t: &mut Task, a: &Args) -> SysResult {
    t.file(a[0] as i32)?.seek(a[1] as i64, a[2] as i32)
}

/// Implements ftruncate(2).
pub fn ftruncate(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    if (a[1] as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let acc = f.flags() & libc::O_ACCMODE as u32;
    if acc == libc::O_RDONLY as u32 || f.is_path_only() {
        return Err(if f.is_path_only() { Errno::EBADF } else { Errno::EINVAL });
    }
    let st = f.ops.stat()?;
    if st.is_dir() {
        return Err(Errno::EISDIR);
    }
    if attr::append_only(f.ops.inode_flags().unwrap_or(0)) {
        return Err(Errno::EPERM);
    }
    fsize::resize_ok(t, st.size, a[1])?;
    f.ops.truncate(a[1])?;
    notify::file_event(&f, notify::IN_MODIFY);
    Ok(0)
}

/// Implements fsync(2) and fdatasync(2): files in the sentry's memory have
/// nothing to flush; files of a read-write bind mount are synced on the host;
/// files without the operation (pipes, sockets, devices, /proc) are EINVAL.
pub fn fsync(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    f.ops.sync()?;
    Ok(0)
}

/// Implements sync(2): every file system the caller can see writes back
/// (host bind mounts; the in-memory layers have nothing to write). Like
/// Linux's, it reports no error.
pub fn sync(t: &mut Task, _a: &Args) -> SysResult {
    for m in t.vfs().mount_table().list() {
        let _ = m.fs.sync_fs();
    }
    Ok(0)
}

/// Implements syncfs(2): the file system holding the descriptor's file.
pub fn syncfs(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    if f.path.first() == Some(&b'/') {
        t.vfs().mount_of(&f.path).fs.sync_fs()?;
    }
    Ok(0)
}

/// Implements fadvise64(2): advice is accepted and changes nothing (the
/// sentry has no page cache of its own to tune); the checks are Linux's.
pub fn fadvise64(t: &mut Task, a: &Args) -> SysResult {
    const POSIX_FADV_NOREUSE: u64 = 5;
    let f = t.file(a[0] as i32)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    if f.ops.stat()?.file_type() == libc::S_IFIFO {
        return Err(Errno::ESPIPE);
    }
    if (a[2] as i64) < 0 || a[3] > POSIX_FADV_NOREUSE {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

/// Implements sync_file_range(2): Linux's checks, then host files write
/// the range back on the host; files in the sentry's memory have nothing
/// to write.
pub fn sync_file_range(t: &mut Task, a: &Args) -> SysResult {
    const VALID: u32 = 1 | 2 | 4; // WAIT_BEFORE, WRITE, WAIT_AFTER
    let (off, len, flags) = (a[1] as i64, a[2] as i64, a[3] as u32);
    let f = t.file(a[0] as i32)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    if flags & !VALID != 0 || off < 0 || len < 0 || off.checked_add(len).is_none() {
        return Err(Errno::EINVAL);
    }
    let kind = f.ops.stat()?.file_type();
    if ![libc::S_IFREG, libc::S_IFBLK, libc::S_IFDIR, libc::S_IFLNK].contains(&kind) {
        return Err(Errno::ESPIPE);
    }
    f.ops.sync_range(off as u64, len as u64, flags)?;
    Ok(0)
}

/// Implements readahead(2): the checks are Linux's; there is no page
/// cache of the sentry's own to fill (host files are the host's to read).
pub fn readahead(t: &mut Task, a: &Args) -> SysResult {
    let f = t.file(a[0] as i32)?;
    if !f.is_readable() {
        return Err(Errno::EBADF);
    }
    let kind = f.ops.stat()?.file_type();
    // Only files with a page cache can read ahead; the count is a loff_t
    // to fadvise(WILLNEED), which refuses a negative length.
    if (kind != libc::S_IFREG && kind != libc::S_IFBLK) || (a[2] as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

/// Implements fallocate(2).
pub fn fallocate(t: &mut Task, a: &Args) -> SysResult {
    let (mode, off, len) = (a[1] as i32, a[2] as i64, a[3] as i64);
    let f = t.file(a[0] as i32)?;
    if off < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    if off.checked_add(len).is_none() {
        return Err(Errno::EFBIG);
    }
    if !f.is_writable() {
        return Err(Errno::EBADF);
    }
    // An append-only file may only grow where it ends, an immutable one not.
    let iflags = f.ops.inode_flags().unwrap_or(0);
    if (mode & !libc::FALLOC_FL_KEEP_SIZE != 0 && attr::append_only(iflags)) || attr::immutable(iflags) {
        return Err(Errno::EPERM);
    }
    let st = f.ops.stat()?;
    if st.file_type() == libc::S_IFIFO {
        return Err(Errno::ESPIPE);
    }
    if st.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !st.is_regular() {
        return Err(Errno::ENODEV);
    }
    if f.flags() & libc::O_APPEND as u32 != 0
        && mode & (libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_COLLAPSE_RANGE) != 0
    {
        return Err(Errno::EPERM);
    }
    // Allocating past the size is held to RLIMIT_FSIZE even with KEEP_SIZE,
    // as tmpfs does (ext4 would allow that); other modes (punching holes;
    // those tmpfs refuses) are not.
    if mode & !libc::FALLOC_FL_KEEP_SIZE == 0 {
        fsize::resize_ok(t, st.size, (off + len) as u64)?;
    }
    f.ops.allocate(mode, off as u64, len as u64)?;
    notify::file_event(&f, notify::IN_MODIFY);
    Ok(0)
}
