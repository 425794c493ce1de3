//! Pipes and the buffers of FIFOs: 16 pages of 4 KiB (resizable with
//! F_SETPIPE_SZ), writes of up to PIPE_BUF bytes atomic, EOF once every
//! writer is gone, EPIPE (and the caller's SIGPIPE) once every reader is
//! gone. Space is counted in pages as Linux does (a write shares the last
//! page only if it fits there whole; a page is free again once read to
//! its end), so writers see EAGAIN exactly when Linux's would. The bytes
//! themselves live in one ring and move between it and application memory
//! directly (one copy each way), under the pipe's lock, and are consumed
//! only once delivered. The ring grows with what is queued and goes once
//! the pipe is empty; the pages in use are charged to the writer's
//! container and pipes count against their creator's
//! pipe-user-pages limits (`pipe_account.rs`). A writer in packet mode
//! (O_DIRECT, pipe(2)) starts a packet with every page it takes; a read
//! returns at most one packet and drops what it leaves of it.

use std::collections::VecDeque;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::pipe_account::{Creator, PageCharge, UserSlots, DEF_SLOTS};
use crate::kernel::signal::fasync::{Fasync, FasyncList, POLL_IN, POLL_OUT};
use crate::kernel::vfs::file::FileOps;
use crate::kernel::vfs::stat::{now, Stat};
use crate::kernel::wait::{block_until, WaitQueue};

/// Writes up to this size are atomic.
pub const PIPE_BUF: usize = 4096;
/// The unit of pipe space.
const PAGE: usize = 4096;
/// Default capacity, as Linux.
pub const DEFAULT_CAPACITY: usize = DEF_SLOTS * PAGE;
/// Largest capacity an unprivileged F_SETPIPE_SZ may ask for (pipe-max-size).
pub const MAX_CAPACITY: usize = 1 << 20;

/// Device number reported for pipes (Linux's pipefs is anonymous too).
const PIPEFS_DEV: u64 = 0xd;

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// A byte ring: `len` bytes from `head`, wrapping at `data.len()`.
#[derive(Default)]
struct Ring {
    data: Vec<u8>,
    head: usize,
    len: usize,
}

impl Ring {
    /// The filled part, as one or two slices, in order.
    fn filled(&self) -> (&[u8], &[u8]) {
        let cap = self.data.len();
        let end = self.head + self.len;
        if end <= cap {
            (&self.data[self.head..end], &[])
        } else {
            (&self.data[self.head..], &self.data[..end - cap])
        }
    }

    /// Makes room for `cap` bytes in all, keeping the contents.
    fn reserve(&mut self, cap: usize) {
        if self.data.len() >= cap {
            return;
        }
        let mut data = vec![0u8; cap];
        let (a, b) = self.filled();
        data[..a.len()].copy_from_slice(a);
        data[a.len()..a.len() + b.len()].copy_from_slice(b);
        self.data = data;
        self.head = 0;
    }

    /// The free part after the data, as one or two slices, in order.
    fn free(&mut self) -> (&mut [u8], &mut [u8]) {
        let cap = self.data.len();
        let tail = (self.head + self.len) % cap.max(1);
        if self.head + self.len >= cap {
            // The data wraps: free space is one run before `head`.
            let (_, rest) = self.data.split_at_mut(tail);
            let n = self.head - tail;
            (&mut rest[..n], &mut [])
        } else {
            let (front, back) = self.data.split_at_mut(tail);
            (back, &mut front[..self.head])
        }
    }

    fn consume(&mut self, n: usize) {
        self.len -= n;
        self.head = if self.len == 0 { 0 } else { (self.head + n) % self.data.len() };
    }

    /// Shrinks the storage to `cap` (the data must fit).
    fn resize(&mut self, cap: usize) {
        let mut data = vec![0u8; cap];
        let (a, b) = self.filled();
        data[..a.len()].copy_from_slice(a);
        data[a.len()..a.len() + b.len()].copy_from_slice(b);
        self.data = data;
        self.head = 0;
    }
}

struct State {
    buf: Ring,
    /// The pages in use, oldest first: (offset in the page, bytes there,
    /// whether the page is a packet), as Linux's pipe buffers.
    pages: VecDeque<(u16, u16, bool)>,
    /// Bytes the pipe may hold: its page slots times the page size.
    capacity: usize,
    /// The memory charge of the pages in use (one per entry of `pages`).
    charge: PageCharge,
    /// The slots counted against the creator of an anonymous pipe.
    user: Option<UserSlots>,
    readers: usize,
    writers: usize,
    /// Read and write opens so far (FIFO opens wait for these to move).
    r_counter: u64,
    w_counter: u64,
}

/// The shared part of a pipe or FIFO.
pub struct Pipe {
    /// Buffer and end counts.
    state: Mutex<State>,
    /// Notified on every change: data, space, an end opening or closing.
    queue: WaitQueue,
    /// Bumped on every change too, for waiters that spin before sleeping.
    version: AtomicU64,
    /// O_ASYNC registrations of read and write ends (Linux's
    /// fasync_readers/fasync_writers): each write signals the readers,
    /// each read the writers, as pipe_write/pipe_read do.
    fasync_readers: FasyncList,
    fasync_writers: FasyncList,
    ino: u64,
    ctime: (i64, i64),
}

impl Pipe {
    /// An empty pipe with no ends.
    pub fn new() -> Arc<Pipe> {
        Arc::new(Pipe {
            state: Mutex::new(State {
                buf: Ring::default(),
                pages: VecDeque::new(),
                capacity: DEFAULT_CAPACITY,
                charge: PageCharge::default(),
                user: None,
                readers: 0,
                writers: 0,
                r_counter: 0,
                w_counter: 0,
            }),
            queue: WaitQueue::default(),
            version: AtomicU64::new(0),
            fasync_readers: FasyncList::default(),
            fasync_writers: FasyncList::default(),
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            ctime: now(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Pipe {
    /// Wakes everyone waiting for a change of the pipe.
    fn changed(&self) {
        self.version.fetch_add(1, Ordering::Release);
        self.queue.notify_all();
    }
}

impl State {
    /// How many bytes of a `total`-byte write, `done` of them written, fit
    /// now; counts them into pages. On the first try the start of the write
    /// may go into the last page, if the part that is not a whole page fits
    /// there entirely (Linux's merge); the rest takes whole free pages,
    /// each charged to the container's memory, each a packet if `packet`.
    /// Also says whether a page was refused for want of memory.
    fn accept(&mut self, total: usize, done: usize, first: bool, packet: bool) -> (usize, bool) {
        // PIPE_BUF atomicity follows from writes of at most a page taking
        // the last page whole or one free page.
        const _: () = assert!(PIPE_BUF == PAGE);
        let want = total - done;
        let mut take = 0;
        let chars = total % PAGE;
        if first && chars > 0 {
            // Only a page that is no packet takes more (PIPE_BUF_FLAG_CAN_MERGE),
            // whatever this write is.
            if let Some(last) = self.pages.back_mut().filter(|l| !l.2) {
                if last.0 as usize + last.1 as usize + chars <= PAGE {
                    last.1 += chars as u16;
                    take = chars;
                }
            }
        }
        let slots = self.capacity / PAGE;
        while take < want && self.pages.len() < slots {
            if !self.charge.charge_page() {
                return (take, true);
            }
            let n = (want - take).min(PAGE);
            self.pages.push_back((0, n as u16, packet));
            take += n;
        }
        (take, false)
    }

    /// Drops the pages from index `keep` on, giving their memory back.
    fn drop_pages(&mut self, keep: usize) {
        let n = self.pages.len().saturating_sub(keep);
        self.pages.truncate(keep);
        self.charge.uncharge(n);
    }

    /// Makes the ring's storage large enough for `n` more bytes: a power
    /// of two of pages, up to the capacity.
    fn grow(&mut self, n: usize) {
        let need = self.buf.len + n;
        if self.buf.data.len() < need {
            self.buf.reserve(need.next_power_of_two().max(PAGE).min(self.capacity).max(need));
        }
    }

    /// Counts `n` bytes out of the pages, freeing those read to the end.
    fn release(&mut self, mut n: usize) {
        while n > 0 {
            let Some(front) = self.pages.front_mut() else {
                break;
            };
            let k = n.min(front.1 as usize);
            front.0 += k as u16;
            front.1 -= k as u16;
            n -= k;
            if front.1 == 0 {
                self.pages.pop_front();
                self.charge.uncharge(1);
            }
        }
        // An empty pipe keeps at most a page of storage (Linux keeps one
        // spare page too).
        if self.buf.len == 0 && self.buf.data.len() > PAGE {
            self.buf = Ring::default();
        }
    }

    /// How much of the queued data a read of `len` bytes takes, and how
    /// many bytes after that it drops: Linux's pipe_read stops at the first
    /// packet page it reaches, discarding the rest of that page.
    fn read_extent(&self, len: usize) -> (usize, usize) {
        let mut n = 0;
        for &(_, bytes, packet) in &self.pages {
            let k = (bytes as usize).min(len - n);
            n += k;
            if packet {
                return (n, bytes as usize - k);
            }
            if n == len {
                break;
            }
        }
        (n.max(len.min(self.buf.len)), 0)
    }

    /// True when a page is free (a writer could make progress).
    fn has_room(&self) -> bool {
        self.pages.len() < self.capacity / PAGE
    }
}

impl Pipe {
    /// Opens an end with `open(2)` flags, as a FIFO open does: a reader
    /// (without O_NONBLOCK) waits for a writer and a writer for a reader;
    /// O_WRONLY|O_NONBLOCK without a reader is ENXIO; O_RDWR never waits.
    pub fn open_end(self: &Arc<Pipe>, flags: u32, inode: Option<InodeStat>) -> Result<PipeEnd, Errno> {
        let (end, wait) = self.register_end(flags, inode)?;
        if let Some(wait) = wait {
            self.wait_for_partner(wait)?;
        }
        Ok(end)
    }

    /// The first half of `open_end`: counts the new end in, and says what
    /// it must wait for, if anything.
    fn register_end(self: &Arc<Pipe>, flags: u32, inode: Option<InodeStat>) -> Result<(PipeEnd, Option<Wait>), Errno> {
        let acc = flags as i32 & libc::O_ACCMODE;
        let nonblock = flags as i32 & libc::O_NONBLOCK != 0;
        let (read, write) = match acc {
            libc::O_RDONLY => (true, false),
            libc::O_WRONLY => (false, true),
            _ => (true, true),
        };
        // An anonymous pipe reopened through /proc/<pid>/fd never waits for
        // a partner and never fails for lack of one (Linux's `is_pipe` in
        // fifo_open); only named FIFOs follow fifo(7)'s open rules.
        let is_fifo = inode.is_some();
        let (w0, no_writer, wait);
        {
            let mut st = self.lock();
            if is_fifo && write && !read && nonblock && st.readers == 0 {
                return Err(Errno::ENXIO);
            }
            if read {
                st.readers += 1;
                st.r_counter += 1;
            }
            if write {
                st.writers += 1;
                st.w_counter += 1;
            }
            (w0, no_writer) = (st.w_counter, st.writers == 0);
            // As Linux's fifo_open, whether to wait is decided here, under
            // the lock: a partner present now counts even if it closes
            // before this opener runs on. Later partners show as a change
            // of their open counter.
            let partner_present = if read { st.writers > 0 } else { st.readers > 0 };
            wait = if read && write || nonblock || !is_fifo || partner_present {
                None
            } else if read {
                Some(Wait::Writer(st.w_counter))
            } else {
                Some(Wait::Reader(st.r_counter))
            };
        }
        // From here on, dropping the end undoes the counts.
        let end = PipeEnd {
            pipe: self.clone(),
            read,
            write,
            // As Linux: a reader opened without a writer (O_NONBLOCK) sees
            // no POLLHUP until a writer has come and gone.
            w_seen: if is_fifo && read && nonblock && no_writer { w0 } else { 0 },
            inode,
            packet: Default::default(),
        };
        self.changed();
        Ok((end, wait))
    }

    /// The second half of `open_end`: sleeps until a partner has opened.
    fn wait_for_partner(&self, wait: Wait) -> Result<(), Errno> {
        block_until(&[&self.queue], None, || {
            let st = self.lock();
            let partner = match wait {
                Wait::Writer(w0) => st.writers > 0 || st.w_counter != w0,
                Wait::Reader(r0) => st.readers > 0 || st.r_counter != r0,
            };
            partner.then_some(Ok(()))
        })
    }
}

/// What a blocking FIFO open waits for: the other end's open counter
/// as it was when this end registered.
#[derive(Clone, Copy)]
enum Wait {
    Writer(u64),
    Reader(u64),
}

/// The metadata a FIFO end reports: its node's, not the pipe's.
pub type InodeStat = Arc<dyn Fn() -> Result<Stat, Errno> + Send + Sync>;

/// One end of a pipe (or an O_RDWR FIFO end, which is both). Dropping it
/// (when the last descriptor of its open file closes) closes that end.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    read: bool,
    write: bool,
    /// The write-open count when this end opened: a reader sees POLLHUP
    /// only once a writer has come and gone since.
    w_seen: u64,
    /// A FIFO's node metadata.
    inode: Option<InodeStat>,
    /// Packet mode: the open file's O_DIRECT (`FileOps::status_changed`).
    packet: std::sync::atomic::AtomicBool,
}

/// Creates a pipe and returns its (read, write) ends; its slots count
/// against the calling user (ENFILE past pipe-user-pages-hard).
pub fn new_pipe() -> Result<(PipeEnd, PipeEnd), Errno> {
    let pipe = Pipe::new();
    {
        let mut st = pipe.lock();
        if let Some(who) = Creator::current() {
            let slots = UserSlots::new_pipe(who)?;
            st.capacity = slots.slots() * PAGE;
            st.user = Some(slots);
        }
        st.readers = 1;
        st.writers = 1;
        st.r_counter = 1;
        st.w_counter = 1;
    }
    let end =
        |read, write| PipeEnd { pipe: pipe.clone(), read, write, w_seen: 0, inode: None, packet: Default::default() };
    Ok((end(true, false), end(false, true)))
}

impl PipeEnd {
    /// The `pipe:[ino]` name `/proc/<pid>/fd` shows.
    pub fn name(&self) -> Vec<u8> {
        format!("pipe:[{}]", self.pipe.ino).into_bytes()
    }

    /// Up to `len` bytes at the front of the pipe, left in place (`tee`);
    /// waits for data unless `nonblock`. Empty at end of file.
    pub fn peek(&self, len: usize, nonblock: bool) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        self.read_with(len, nonblock, |ring, n| {
            let (a, b) = ring.filled();
            let k = a.len().min(n);
            out.extend_from_slice(&a[..k]);
            out.extend_from_slice(&b[..n - k]);
            Ok(n)
        })?;
        Ok(out)
    }

    /// Drops up to `len` bytes from the front of the pipe without waiting
    /// (a read whose bytes were already taken by `peek`); how many went.
    pub fn discard(&self, len: usize) -> Result<usize, Errno> {
        self.read_with(len, true, |ring, n| {
            ring.consume(n);
            Ok(n)
        })
    }

    /// Waits until data (or EOF) is there, then runs `take` on the state.
    fn read_with(
        &self,
        len: usize,
        nonblock: bool,
        mut take: impl FnMut(&mut Ring, usize) -> Result<usize, Errno>,
    ) -> Result<usize, Errno> {
        if !self.read {
            return Err(Errno::EBADF);
        }
        if len == 0 {
            return Ok(0);
        }
        let p = &self.pipe;
        let r = wait_for(p, || {
            let mut st = p.lock();
            if st.buf.len > 0 {
                let (n, drop) = st.read_extent(len);
                let before = st.buf.len;
                let r = take(&mut st.buf, n);
                let mut used = before - st.buf.len;
                // A packet read whole is gone with what the read left of it.
                if used == n && drop > 0 {
                    st.buf.consume(drop);
                    used += drop;
                }
                st.release(used);
                return Some(r);
            }
            if st.writers == 0 {
                return Some(Ok(0));
            }
            if nonblock {
                return Some(Err(Errno::EAGAIN));
            }
            None
        });
        if matches!(r, Ok(n) if n > 0) {
            p.changed();
        }
        // Linux's pipe_read ends every read (EAGAIN too) signalling writers.
        if r != Err(Errno::ERESTARTSYS) {
            p.fasync_writers.kill(POLL_OUT);
        }
        r
    }

    /// vmsplice(2) into the pipe: waits for room (unless `nonblock`), then
    /// copies from application memory what fits and returns, without
    /// waiting for more room (Linux's vmsplice_to_pipe).
    pub fn fill_from_user(&self, mem: &dyn UserMemory, addr: u64, len: usize, nonblock: bool) -> Result<usize, Errno> {
        self.write_with(len, nonblock, true, |ring, done, n| {
            let (a, b) = ring.free();
            let k = a.len().min(n);
            mem.read_bytes(addr + done as u64, &mut a[..k])?;
            mem.read_bytes(addr + (done + k) as u64, &mut b[..n - k])
        })
    }

    /// Writes `len` bytes, `put(ring, done, n)` copying bytes `done..done+n`
    /// into the ring's free space; blocks as pipe(7) says (with `fill`,
    /// only until the first bytes are in).
    fn write_with(
        &self,
        len: usize,
        nonblock: bool,
        fill: bool,
        mut put: impl FnMut(&mut Ring, usize, usize) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        if !self.write {
            return Err(Errno::EBADF);
        }
        // A null write succeeds at once, full pipe or no reader (pipe_write).
        if len == 0 {
            return Ok(0);
        }
        let p = &self.pipe;
        let mut done = 0usize;
        let mut first = true;
        loop {
            let r = wait_for(p, || {
                let mut st = p.lock();
                if st.readers == 0 {
                    return Some(Err(Errno::EPIPE));
                }
                // Writes of up to PIPE_BUF bytes are all or nothing: they
                // fit the last page whole or take one free page.
                let undo = (st.pages.len(), st.pages.back().copied());
                let packet = self.packet.load(Ordering::Relaxed);
                let (n, nomem) = st.accept(len, done, std::mem::take(&mut first), packet);
                if n > 0 {
                    st.grow(n);
                    if let Err(e) = put(&mut st.buf, done, n) {
                        // Nothing was written: the pages are as they were.
                        st.drop_pages(undo.0);
                        if let (Some(b), Some(last)) = (undo.1, st.pages.back_mut()) {
                            *last = b;
                        }
                        return Some(Err(e));
                    }
                    st.buf.len += n;
                    return Some(Ok(n));
                }
                if nomem {
                    return Some(Err(Errno::ENOMEM));
                }
                if nonblock || (fill && done > 0) {
                    return Some(Err(Errno::EAGAIN));
                }
                None
            });
            // Linux's pipe_write signals the readers when it ends (EAGAIN
            // too) and before it sleeps for room.
            let end = match r {
                Ok(n) => {
                    done += n;
                    p.changed();
                    (done == len).then_some(Ok(done))
                }
                Err(e) if done > 0 && e != Errno::EPIPE => Some(Ok(done)),
                Err(e) => Some(Err(e)),
            };
            if end.as_ref().is_none_or(|r| *r != Err(Errno::ERESTARTSYS)) {
                p.fasync_readers.kill(POLL_IN);
            }
            if let Some(r) = end {
                return r;
            }
        }
    }
}

/// How long a reader or writer spins, watching for the other side, before
/// it sleeps: a transfer on another CPU usually ends sooner than a sleep
/// and wake-up would take.
const SPIN: std::time::Duration = std::time::Duration::from_micros(50);

/// `block_until` on the pipe's queue, after a short spin while the pipe's
/// state does not change.
fn wait_for<T>(p: &Pipe, mut ready: impl FnMut() -> Option<Result<T, Errno>>) -> Result<T, Errno> {
    if let Some(r) = ready() {
        return r;
    }
    let seen = p.version.load(Ordering::Acquire);
    let start = std::time::Instant::now();
    'spin: loop {
        for _ in 0..64 {
            if p.version.load(Ordering::Acquire) != seen {
                break 'spin;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() > SPIN {
            break;
        }
        // The other side may be waiting for this CPU.
        std::thread::yield_now();
    }
    block_until(&[&p.queue], None, ready)
}

/// Copies `n` bytes from `src` into the free part of `ring`.
fn put_slice(ring: &mut Ring, src: &[u8]) {
    let (a, b) = ring.free();
    let k = a.len().min(src.len());
    a[..k].copy_from_slice(&src[..k]);
    b[..src.len() - k].copy_from_slice(&src[k..]);
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let one_side_left = {
            let mut st = self.pipe.lock();
            if self.write {
                st.writers -= 1;
            }
            if self.read {
                st.readers -= 1;
            }
            if st.readers == 0 && st.writers == 0 {
                // A FIFO's data does not outlive its last opener.
                st.buf = Ring::default();
                st.drop_pages(0);
            }
            (st.readers == 0) != (st.writers == 0)
        };
        self.pipe.changed();
        if one_side_left {
            // pipe_release: the side still open hears that the other left.
            self.pipe.fasync_readers.kill(POLL_IN);
            self.pipe.fasync_writers.kill(POLL_OUT);
        }
    }
}

impl FileOps for PipeEnd {
    fn fasync(&self, entry: &Arc<Fasync>, on: bool) -> bool {
        if self.read {
            self.pipe.fasync_readers.set(entry, on);
        }
        if self.write {
            self.pipe.fasync_writers.set(entry, on);
        }
        true
    }
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.read_stream(buf, false)
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        self.write_stream(buf, false)
    }

    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        self.read_with(buf.len(), nonblock, |ring, n| {
            let (a, b) = ring.filled();
            let k = a.len().min(n);
            buf[..k].copy_from_slice(&a[..k]);
            buf[k..n].copy_from_slice(&b[..n - k]);
            ring.consume(n);
            Ok(n)
        })
    }

    fn write_stream(&self, buf: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.write_with(buf.len(), nonblock, false, |ring, done, n| {
            put_slice(ring, &buf[done..done + n]);
            Ok(())
        })
    }

    fn read_stream_to_user(
        &self,
        mem: &dyn UserMemory,
        addr: u64,
        len: usize,
        nonblock: bool,
    ) -> Option<Result<usize, Errno>> {
        Some(self.read_with(len, nonblock, |ring, n| {
            let (a, b) = ring.filled();
            let k = a.len().min(n);
            mem.write_bytes(addr, &a[..k])?;
            let second = if n > k { mem.write_bytes(addr + k as u64, &b[..n - k]).map(|_| n - k) } else { Ok(0) };
            // Only what was delivered is consumed.
            let got = k + second.unwrap_or(0);
            ring.consume(got);
            Ok(got)
        }))
    }

    fn write_stream_from_user(
        &self,
        mem: &dyn UserMemory,
        addr: u64,
        len: usize,
        nonblock: bool,
    ) -> Option<Result<usize, Errno>> {
        Some(self.write_with(len, nonblock, false, |ring, done, n| {
            let (a, b) = ring.free();
            let k = a.len().min(n);
            mem.read_bytes(addr + done as u64, &mut a[..k])?;
            mem.read_bytes(addr + (done + k) as u64, &mut b[..n - k])
        }))
    }

    fn stat(&self) -> Result<Stat, Errno> {
        if let Some(f) = &self.inode {
            return f();
        }
        let t = self.pipe.ctime;
        Ok(Stat {
            dev: PIPEFS_DEV,
            ino: self.pipe.ino,
            mode: libc::S_IFIFO | 0o600,
            nlink: 1,
            blksize: 4096,
            atime: t,
            mtime: t,
            ctime: t,
            ..Default::default()
        })
    }

    fn seekable(&self) -> bool {
        false
    }

    fn poll_ready(&self, events: i16) -> i16 {
        let st = self.pipe.lock();
        let mut r = 0;
        if self.read {
            if st.buf.len > 0 {
                r |= libc::POLLIN | libc::POLLRDNORM;
            }
            if st.writers == 0 && st.w_counter != self.w_seen {
                r |= libc::POLLHUP;
            }
        }
        if self.write {
            // As Linux's pipe_poll: POLLOUT while there is room (a write
            // would not block, even if it fails with EPIPE) and POLLERR once
            // the readers are gone.
            if st.has_room() {
                r |= libc::POLLOUT | libc::POLLWRNORM;
            }
            if st.readers == 0 {
                r |= libc::POLLERR;
            }
        }
        r & (events | libc::POLLERR | libc::POLLHUP)
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pipe.queue)
    }

    fn ioctl(&self, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        match req {
            libc::FIONREAD => {
                let n = self.pipe.lock().buf.len;
                mem.write_u32(arg, n as u32)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn pipe_size(&self, new: Option<u64>) -> Result<u64, Errno> {
        let mut st = self.pipe.lock();
        if let Some(n) = new {
            let n = usize::try_from(n).map_err(|_| Errno::EINVAL)?;
            if n > 1 << 31 {
                return Err(Errno::EINVAL);
            }
            // Rounded up to a power of two pages, at least one page.
            let size = n.max(PAGE).next_power_of_two();
            let who = Creator::current();
            // Only CAP_SYS_RESOURCE grows a pipe past pipe-max-size.
            if size > st.capacity && size > MAX_CAPACITY && !who.is_some_and(|w| w.sys_resource) {
                return Err(Errno::EPERM);
            }
            let old_slots = st.capacity / PAGE;
            if let (Some(user), Some(who)) = (st.user.as_mut(), who) {
                user.resize(size / PAGE, who)?;
            }
            if size / PAGE < st.pages.len() {
                if let (Some(user), Some(who)) = (st.user.as_mut(), who) {
                    let _ = user.resize(old_slots, Creator { privileged: true, ..who });
                }
                return Err(Errno::EBUSY);
            }
            st.capacity = size;
            if st.buf.data.len() > size {
                st.buf.resize(size);
            }
            drop(st);
            self.pipe.changed();
            return Ok(size as u64);
        }
        Ok(st.capacity as u64)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn status_changed(&self, flags: u32) {
        self.packet.store(flags & libc::O_DIRECT as u32 != 0, Ordering::Relaxed);
    }

    fn reopen(&self, flags: u32) -> Option<Result<Box<dyn FileOps>, Errno>> {
        Some(self.pipe.open_end(flags, self.inode.clone()).map(|e| Box::new(e) as Box<dyn FileOps>))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_wraps_and_keeps_order() {
        let (r, w) = new_pipe().unwrap();
        let mut out = vec![0u8; 70000];
        for round in 0..5u8 {
            let data: Vec<u8> = (0..40000u32).map(|i| (i as u8).wrapping_add(round)).collect();
            assert_eq!(w.write_stream(&data, true), Ok(40000));
            assert_eq!(r.read_stream(&mut out[..40000], true), Ok(40000));
            assert_eq!(&out[..40000], &data[..]);
        }
        // A full pipe takes no more.
        let big = vec![7u8; 70000];
        assert_eq!(w.write_stream(&big, true), Ok(DEFAULT_CAPACITY));
        assert_eq!(w.write_stream(&big[..1], true), Err(Errno::EAGAIN));
        assert_eq!(r.read_stream(&mut out, true), Ok(DEFAULT_CAPACITY));
        drop(w);
        assert_eq!(r.read_stream(&mut out, true), Ok(0));
    }

    #[test]
    fn shrinking_keeps_data() {
        let (r, w) = new_pipe().unwrap();
        assert_eq!(w.write_stream(b"hello", true), Ok(5));
        assert_eq!(w.pipe_size(Some(4096)), Ok(4096));
        let mut out = [0u8; 8];
        assert_eq!(r.read_stream(&mut out, true), Ok(5));
        assert_eq!(&out[..5], b"hello");
    }

    fn fifo_node() -> Option<InodeStat> {
        Some(Arc::new(|| Err(Errno::ENOENT)))
    }

    /// A writer that registered before a reader and closed before the
    /// reader got to wait: the reader must not wait (it would forever).
    #[test]
    fn partner_that_left() {
        let pipe = Pipe::new();
        let (writer, wait) = pipe.register_end(libc::O_WRONLY as u32, fifo_node()).unwrap();
        assert!(matches!(wait, Some(Wait::Reader(_))));
        let (reader, wait) = pipe.register_end(libc::O_RDONLY as u32, fifo_node()).unwrap();
        assert!(wait.is_none(), "a writer was there when the reader registered");
        assert_eq!(writer.write_stream(b"q", true), Ok(1));
        drop(writer);
        let mut out = [0u8; 4];
        assert_eq!(reader.read_stream(&mut out, true), Ok(1));
        assert_eq!(reader.read_stream(&mut out, true), Ok(0));
    }

    /// A reader alone waits for the next writer's open, which it notices
    /// even if that writer has already closed again.
    #[test]
    fn reader_waits_for_a_writer() {
        let pipe = Pipe::new();
        let (_reader, wait) = pipe.register_end(libc::O_RDONLY as u32, fifo_node()).unwrap();
        let wait = wait.expect("no writer yet");
        drop(pipe.register_end(libc::O_WRONLY as u32, fifo_node()).unwrap());
        assert_eq!(pipe.wait_for_partner(wait), Ok(()));
    }
}
