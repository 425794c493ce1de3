//! Moving data between descriptors inside the sentry: sendfile, splice,
//! tee, vmsplice, copy_file_range. Data goes through the sentry thread's transfer
//! buffer; nothing is mapped.

use std::sync::Arc;

use super::fsize;
use super::sys_file::{sigpipe_on_epipe, with_scratch};
use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::pipe::PipeEnd;
use crate::kernel::task::Task;
use crate::kernel::vfs::file::FileOps;
use crate::kernel::vfs::file::OpenFile;

/// Linux caps a single transfer at this many bytes (MAX_RW_COUNT).
const MAX_RW: u64 = 0x7fff_f000;
/// Bytes moved per step.
const STEP: usize = 1 << 16;
const SPLICE_F_NONBLOCK: u32 = 2;
/// SPLICE_F_MOVE, NONBLOCK, MORE and GIFT: any other flag is EINVAL before
/// anything else is looked at, as in Linux.
const SPLICE_F_ALL: u32 = 0xf;

fn check_flags(flags: u64) -> Result<u32, Errno> {
    if flags & !(SPLICE_F_ALL as u64) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(flags as u32)
}

/// Reads an optional `loff_t *` argument.
fn read_off(t: &Task, addr: u64) -> Result<Option<u64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let v = t.mem().read_u64(addr)? as i64;
    if v < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(Some(v as u64))
}

fn is_pipe(f: &OpenFile) -> bool {
    f.ops.as_any().is_some_and(|a| a.is::<PipeEnd>())
}

/// Copies up to `len` bytes from `src` (at `*off`, or its position) to
/// `dst` (at `*dst_off`, or its position). Stops at end of input, a short
/// write, or an error after some progress. A seekable source advances by
/// what was written, not read, as Linux's: bytes a full non-blocking pipe
/// or socket did not take are sent by the next call, not lost.
fn copy(
    src: &OpenFile,
    off: Option<&mut u64>,
    dst: &OpenFile,
    mut dst_off: Option<&mut u64>,
    len: u64,
    one_read: bool,
) -> Result<u64, Errno> {
    // The source read at an explicit position when it has one (its own
    // position is set back to what was taken at the end).
    let start = match off.as_deref() {
        Some(&o) => Some(o),
        None if src.ops.seekable() => Some(src.current_offset()),
        None => None,
    };
    let mut at = start;
    // A pipe source is read in place and then drained by what the output
    // took, so bytes it did not take stay in the pipe, as Linux's splice
    // moves only the buffers the output accepted. (Linux also keeps other
    // readers of that pipe out meanwhile; here one reading between the peek
    // and the drain would see those bytes too.)
    let pipe = src.ops.as_any().and_then(|x| x.downcast_ref::<PipeEnd>()).filter(|_| at.is_none());
    let mut done = 0u64;
    let r = with_scratch(STEP.min(len.max(1) as usize), |buf| {
        while done < len {
            let want = ((len - done) as usize).min(buf.len());
            let r = match (at, pipe) {
                (Some(o), _) => src.pread(&mut buf[..want], o),
                (None, Some(p)) => p.peek(want, src.nonblocking()).map(|data| {
                    buf[..data.len()].copy_from_slice(&data);
                    data.len()
                }),
                (None, None) => src.read(&mut buf[..want]),
            };
            let n = match r {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            let mut w = 0;
            while w < n {
                let r = match dst_off.as_deref_mut() {
                    Some(o) => dst.pwrite(&buf[w..n], *o),
                    None => dst.write(&buf[w..n]),
                };
                match r {
                    Ok(0) => break,
                    Ok(k) => {
                        if let Some(o) = dst_off.as_deref_mut() {
                            *o += k as u64;
                        }
                        w += k;
                    }
                    Err(e) if done == 0 && w == 0 => return Err(e),
                    Err(_) => break,
                }
            }
            done += w as u64;
            if let Some(o) = at.as_mut() {
                *o += w as u64;
            }
            if let (Some(p), true) = (pipe, w > 0) {
                p.discard(w)?;
            }
            if w < n || n < want || one_read {
                break;
            }
        }
        Ok(done)
    });
    match (off, at) {
        (Some(o), Some(a)) => *o = a,
        (None, Some(a)) if at != start => {
            src.seek(a as i64, libc::SEEK_SET)?;
        }
        _ => {}
    }
    r
}

/// Whether `f` has data past what a transfer took: a pipe holding some, a
/// file longer than the offset.
fn has_more(f: &OpenFile, off: Option<u64>) -> bool {
    if is_pipe(f) {
        return f.ops.poll_ready(libc::POLLIN) & libc::POLLIN != 0;
    }
    let at = off.unwrap_or_else(|| f.current_offset());
    f.ops.stat().is_ok_and(|s| s.size > at)
}

/// After RLIMIT_FSIZE cut a sendfile or splice into a file short (`want`
/// asked, `cap` allowed, `done` written), Linux's splice writes again if
/// the source had more: that write, at the limit, raises SIGXFSZ (its
/// EFBIG is not the call's result).
fn write_past_limit(t: &Task, out: &OpenFile, at: u64, want: u64, cap: u64, done: u64, more: bool) {
    if cap < want && done == cap && more {
        let _ = fsize::write_len(t, out, want - cap, || Ok(at));
    }
}

/// Implements sendfile(2).
pub fn sendfile(t: &mut Task, a: &Args) -> SysResult {
    let out = t.file(a[0] as i32)?;
    let inp = t.file(a[1] as i32)?;
    if !inp.is_readable() || !out.is_writable() {
        return Err(Errno::EBADF);
    }
    if out.flags() & libc::O_APPEND as u32 != 0 {
        return Err(Errno::EINVAL);
    }
    let mut off = read_off(t, a[2])?;
    if off.is_some() && !inp.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    let want = a[3].min(MAX_RW);
    let len = fsize::write_len(t, &out, want, || Ok(out.current_offset()))?;
    let r = copy(&inp, off.as_mut(), &out, None, len, false);
    if let Ok(n) = r {
        write_past_limit(t, &out, out.current_offset(), want, len, n, has_more(&inp, off));
    }
    if let (Some(o), true) = (off, r.is_ok()) {
        t.mem().write_u64(a[2], o)?;
    }
    sigpipe_on_epipe(t, r)
}

/// Implements splice(2): one end must be a pipe.
pub fn splice(t: &mut Task, a: &Args) -> SysResult {
    // Unlike tee and vmsplice, a zero length wins over bad flags.
    if a[4] == 0 {
        return Ok(0);
    }
    let flags = check_flags(a[5])?;
    let (inp, out) = (t.file(a[0] as i32)?, t.file(a[2] as i32)?);
    if !inp.is_readable() || !out.is_writable() {
        return Err(Errno::EBADF);
    }
    let (pin, pout) = (is_pipe(&inp), is_pipe(&out));
    if !pin && !pout {
        return Err(Errno::EINVAL);
    }
    if (pin && a[1] != 0) || (pout && a[3] != 0) {
        return Err(Errno::ESPIPE);
    }
    if Arc::ptr_eq(&inp, &out) {
        return Err(Errno::EINVAL);
    }
    if out.flags() & libc::O_APPEND as u32 != 0 {
        return Err(Errno::EINVAL);
    }
    let mut off_in = read_off(t, a[1])?;
    let mut off_out = read_off(t, a[3])?;
    let len = a[4].min(MAX_RW);
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    if nonblock && pin && inp.ops.poll_ready(libc::POLLIN | libc::POLLHUP) == 0 {
        return Err(Errno::EAGAIN);
    }
    let (want, at) = (len, off_out.unwrap_or_else(|| out.current_offset()));
    let len = if pout { len } else { fsize::write_len(t, &out, len, || Ok(at))? };
    // From a pipe: what one read gives (as splice moves the buffers there).
    let r = copy(&inp, off_in.as_mut(), &out, off_out.as_mut(), len, pin);
    if let (Ok(n), false) = (r, pout) {
        write_past_limit(t, &out, at + n, want, len, n, has_more(&inp, off_in));
    }
    if r.is_ok() {
        if let Some(o) = off_in {
            t.mem().write_u64(a[1], o)?;
        }
        if let Some(o) = off_out {
            t.mem().write_u64(a[3], o)?;
        }
    }
    sigpipe_on_epipe(t, r)
}

/// Implements tee(2): copies from one pipe to another without consuming.
pub fn tee(t: &mut Task, a: &Args) -> SysResult {
    let flags = check_flags(a[3])?;
    if a[2] == 0 {
        return Ok(0);
    }
    let (inp, out) = (t.file(a[0] as i32)?, t.file(a[1] as i32)?);
    let len = a[2].min(MAX_RW) as usize;
    let src = inp.ops.as_any().and_then(|x| x.downcast_ref::<PipeEnd>());
    let (Some(src), true) = (src, is_pipe(&out)) else {
        return Err(Errno::EINVAL);
    };
    if !inp.is_readable() || !out.is_writable() || Arc::ptr_eq(&inp, &out) {
        return Err(if Arc::ptr_eq(&inp, &out) { Errno::EINVAL } else { Errno::EBADF });
    }
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    let data = src.peek(len.min(STEP * 16), nonblock || inp.nonblocking())?;
    if data.is_empty() {
        return Ok(0);
    }
    // As much as the output takes without waiting for a reader to drain it.
    let space = out.ops.pipe_size(None).unwrap_or(0) as usize;
    let take = data.len().min(space.max(1));
    let n = out.ops.write_stream(&data[..take], nonblock || out.nonblocking());
    sigpipe_on_epipe(t, n.map(|n| n as u64))
}

/// Implements vmsplice(2). Into a pipe (a writable descriptor) the
/// segments' bytes are copied, not their pages referenced (so later
/// changes to the memory do not show, which Linux leaves undefined unless
/// SPLICE_F_GIFT); out of one (a read-only descriptor) it reads as readv.
/// Only SPLICE_F_NONBLOCK makes it not wait (the file's O_NONBLOCK does
/// not count, as in Linux).
pub fn vmsplice(t: &mut Task, a: &Args) -> SysResult {
    let flags = check_flags(a[3])?;
    let f = t.file(a[0] as i32)?;
    let to_pipe = if f.is_writable() {
        true
    } else if f.is_readable() {
        false
    } else {
        return Err(Errno::EBADF);
    };
    let segs = super::iovec::read_iovecs(t, a[1], a[2], true)?;
    let mut left = segs.iter().map(|s| s.1).sum::<u64>().min(MAX_RW);
    if left == 0 {
        return Ok(0);
    }
    let pipe = f.ops.as_any().and_then(|x| x.downcast_ref::<PipeEnd>()).ok_or(Errno::EBADF)?;
    let mem = t.mem();
    let mut done = 0u64;
    for &(base, len) in &segs {
        let len = len.min(left);
        if len == 0 {
            continue;
        }
        // Only the first transfer may wait: then what fits, or is there.
        let nonblock = flags & SPLICE_F_NONBLOCK != 0 || done > 0;
        let r = if to_pipe {
            pipe.fill_from_user(&mem, base, len as usize, nonblock)
        } else {
            pipe.read_stream_to_user(&mem, base, len as usize, nonblock).unwrap_or(Err(Errno::EBADF))
        };
        match r {
            Ok(n) => {
                done += n as u64;
                left -= n as u64;
                if (n as u64) < len || left == 0 {
                    break;
                }
            }
            Err(_) if done > 0 => break,
            Err(e) => return sigpipe_on_epipe(t, Err(e)),
        }
    }
    Ok(done)
}

/// Implements copy_file_range(2): between regular files.
pub fn copy_file_range(t: &mut Task, a: &Args) -> SysResult {
    let (inp, out) = (t.file(a[0] as i32)?, t.file(a[2] as i32)?);
    if a[5] != 0 {
        return Err(Errno::EINVAL);
    }
    if !inp.is_readable() || !out.is_writable() || out.flags() & libc::O_APPEND as u32 != 0 {
        return Err(Errno::EBADF);
    }
    let (si, so) = (inp.ops.stat()?, out.ops.stat()?);
    if si.is_dir() || so.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !si.is_regular() || !so.is_regular() {
        return Err(Errno::EINVAL);
    }
    // Without an offset the file's own position is used and advanced (on
    // the host for the caller's descriptors).
    let mut off_in = read_off(t, a[1])?.unwrap_or_else(|| inp.current_offset());
    let mut off_out = read_off(t, a[3])?.unwrap_or_else(|| out.current_offset());
    let len = a[4].min(MAX_RW);
    if si.ino == so.ino && si.dev == so.dev && off_in < off_out + len && off_out < off_in + len {
        return Err(Errno::EINVAL);
    }
    let len = fsize::write_len(t, &out, len, || Ok(off_out))?;
    let n = copy(&inp, Some(&mut off_in), &out, Some(&mut off_out), len, false)?;
    for (arg, file, off) in [(a[1], &inp, off_in), (a[3], &out, off_out)] {
        if arg != 0 {
            t.mem().write_u64(arg, off)?;
        } else {
            file.seek(off as i64, libc::SEEK_SET)?;
        }
    }
    Ok(n)
}
