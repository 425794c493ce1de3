//! Pseudo-terminal pairs. The master side is what a terminal emulator (or
//! `husk do -t`, or the console) holds: what it writes is typed input, what
//! it reads is the terminal's output. The slave side (`/dev/pts/N`) is the
//! program's terminal, with the line discipline in between.

use std::collections::VecDeque;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::job::{self, JobState, Terminal};
use super::ldisc::LineDiscipline;
use super::packet::{self, Packet};
use super::termios::*;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::signal::fasync::{self, Fasync};
use crate::kernel::vfs::file::{FileOps, OpenFile};
use crate::kernel::vfs::stat::{makedev, now, Stat};
use crate::kernel::wait::{block_until, WaitQueue};
use crate::kernel::Kernel;

/// Output held for the master before slave writers must wait.
const MAX_OUTPUT: usize = 65536;
/// The largest write a slave writer copies to the host sink itself
/// (echoes, prompts, short lines); larger ones go through the pump.
const DIRECT_MAX: usize = 1024;
/// The devpts major number, and ptmx's device.
const PTS_MAJOR: u32 = 136;
/// The group of terminals (`tty`), devpts's `gid=5`.
const TTY_GID: u32 = 5;

/// State of one pair. Guarded by `Pty::st`.
struct PtyState {
    ld: LineDiscipline,
    /// Processed output waiting for the master to read it.
    to_master: VecDeque<u8>,
    winsize: Winsize,
    /// TIOCSPTLCK: the slave cannot be opened while locked.
    locked: bool,
    master_open: bool,
    /// Open slave files.
    slaves: usize,
    slave_opened: bool,
    /// TIOCEXCL.
    exclusive: bool,
    /// The host descriptor the master's output is copied to (`set_sink`).
    sink: Option<Arc<OwnedFd>>,
    /// Someone (the pump or a slave writer) is writing to the sink: only
    /// the holder may, so output reaches the host in order.
    sink_busy: bool,
    /// TIOCPKT on the master, and the slave events it has not read yet.
    packet: Packet,
    /// tcflow(TCOOFF) on the master: its own writes (typed input) wait,
    /// the slave's output still flows (each side of a Linux pty has its
    /// own flow state).
    master_stopped: bool,
}

/// One pty pair.
pub struct Pty {
    /// The N of `/dev/pts/N`.
    pub index: u32,
    st: Mutex<PtyState>,
    /// The master side's queue: output for it to read, room for typed
    /// input (master pollers and blocked master readers and writers).
    master_q: WaitQueue,
    /// The slave side's queue: input for it to read, room for output.
    /// Two queues so typed input wakes no master reader and output wakes
    /// no slave reader: each keystroke otherwise costs a spurious host
    /// thread wake-up.
    slave_q: WaitQueue,
    job: Mutex<JobState>,
    kernel: Weak<Kernel>,
    /// The slave node's owner, mode and times (chmod, chown and utimes
    /// of `/dev/pts/N` change them, as on Linux's devpts).
    node: Mutex<NodeAttrs>,
}

/// What `stat` shows of a slave node and `set_node_attrs` changes.
#[derive(Clone, Copy, Debug)]
pub struct NodeAttrs {
    /// Permission bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl Pty {
    /// A new pair with index `index`, locked until TIOCSPTLCK(0).
    pub fn new(index: u32, kernel: Weak<Kernel>) -> Arc<Pty> {
        let created = now();
        Arc::new(Pty {
            index,
            st: Mutex::new(PtyState {
                ld: LineDiscipline::default(),
                to_master: VecDeque::new(),
                winsize: Winsize::default(),
                locked: true,
                master_open: true,
                slaves: 0,
                slave_opened: false,
                exclusive: false,
                sink: None,
                sink_busy: false,
                packet: Packet::default(),
                master_stopped: false,
            }),
            master_q: WaitQueue::default(),
            slave_q: WaitQueue::default(),
            job: Mutex::new(JobState::default()),
            kernel,
            node: Mutex::new(NodeAttrs {
                mode: 0o620,
                uid: 0,
                gid: TTY_GID,
                atime: created,
                mtime: created,
                ctime: created,
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PtyState> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes both sides: a change of state (termios, hang-up, flush).
    fn notify_both(&self) {
        self.master_q.notify_all();
        self.slave_q.notify_all();
    }

    /// The slave node's attributes.
    pub fn node_attrs(&self) -> NodeAttrs {
        *self.node.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the slave node's attributes (the caller checked the
    /// permission); the change time becomes now.
    pub fn set_node_attrs(
        &self,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        atime: Option<(i64, i64)>,
        mtime: Option<(i64, i64)>,
    ) {
        let mut n = self.node.lock().unwrap_or_else(|e| e.into_inner());
        n.mode = mode.map_or(n.mode, |m| m & 0o7777);
        n.uid = uid.unwrap_or(n.uid);
        n.gid = gid.unwrap_or(n.gid);
        n.atime = atime.unwrap_or(n.atime);
        n.mtime = mtime.unwrap_or(n.mtime);
        n.ctime = now();
    }

    /// Unlocks the slave side (unlockpt).
    pub fn unlock(&self) {
        self.lock().locked = false;
    }

    /// What closing the master does: slave reads see end of file, writes
    /// EIO, and the session gets SIGHUP and SIGCONT. Also for `husk do -t`
    /// when the host terminal hangs up. A second call does nothing more.
    pub fn hang_up(&self) {
        self.lock().master_open = false;
        self.notify_both();
        job::hangup(self);
    }

    /// Whether the master side is still open.
    pub fn master_open(&self) -> bool {
        self.lock().master_open
    }

    /// Opens the slave side.
    pub fn open_slave(self: &Arc<Self>, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        {
            let mut st = self.lock();
            if st.locked || !st.master_open {
                return Err(Errno::EIO);
            }
            if st.exclusive && st.slaves > 0 {
                let root = crate::kernel::wait::current()
                    .is_some_and(|t| t.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).euid == 0);
                if !root {
                    return Err(Errno::EBUSY);
                }
            }
            st.slaves += 1;
            st.slave_opened = true;
        }
        if flags & libc::O_NOCTTY as u32 == 0 {
            job::maybe_acquire(self.clone());
        }
        Ok(Box::new(PtySlave { pty: self.clone() }))
    }

    /// Sends tty signals to the foreground process group.
    fn signal_fg(&self, sigs: &[i32]) {
        let fg = self.job.lock().unwrap_or_else(|e| e.into_inner()).fg();
        if let (Some(fg), Some(k)) = (fg, self.kernel.upgrade()) {
            for &s in sigs {
                job::signal_pgrp(&k, fg, s);
            }
        }
    }

    /// Typed input from the host side of the master (or TIOCSTI), which
    /// no tcflow of the master stops; returns how many bytes were taken.
    pub fn master_write(&self, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.write_input(data, nonblock, false)
    }

    /// Input written to the master; with `by_master_file`, a write to an
    /// open master, which waits while the master is stopped.
    fn write_input(&self, data: &[u8], nonblock: bool, by_master_file: bool) -> Result<usize, Errno> {
        let mut done = 0;
        while done < data.len() {
            let r = block_until(&[&self.master_q], None, || {
                let mut st = self.lock();
                if st.ld.input_full() || (by_master_file && st.master_stopped) {
                    return if nonblock { Some(Err(Errno::EAGAIN)) } else { None };
                }
                let was_stopped = st.ld.stopped;
                let fx = st.ld.input(&data[done..]);
                if fx.flush_output {
                    st.to_master.clear();
                    // A signal character flushed both queues (n_tty's isig).
                    st.packet.event(packet::FLUSHWRITE | packet::FLUSHREAD);
                }
                let now_stopped = st.ld.stopped;
                st.packet.stopped(was_stopped, now_stopped);
                st.to_master.extend(fx.echo.iter());
                let wake_master = !fx.echo.is_empty() || fx.flush_output || st.packet.pending();
                Some(Ok((fx.consumed, fx.signals, wake_master)))
            });
            match r {
                Ok((n, sigs, output)) => {
                    done += n;
                    self.slave_q.notify_all();
                    if output {
                        self.master_q.notify_all();
                    }
                    self.signal_fg(&sigs);
                }
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done)
    }

    /// Output for the master side. EIO once no slave is open (after one
    /// was) and everything was read.
    pub fn master_read(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        self.read_output(buf, nonblock, false)
    }

    /// Takes queued output into `buf`; with `take_sink`, only once the sink
    /// is free, and then holds it until `sink_release`.
    fn read_output(&self, buf: &mut [u8], nonblock: bool, take_sink: bool) -> Result<usize, Errno> {
        let r = block_until(&[&self.master_q], None, || {
            let mut st = self.lock();
            if take_sink && st.sink_busy {
                return None;
            }
            if !take_sink {
                let PtyState { packet, to_master, .. } = &mut *st;
                let was_full = to_master.len() >= MAX_OUTPUT;
                if let Some(n) = packet.read(buf, to_master) {
                    return Some(Ok((n, was_full)));
                }
            }
            if !st.to_master.is_empty() {
                let was_full = st.to_master.len() >= MAX_OUTPUT;
                let n = buf.len().min(st.to_master.len());
                for (d, s) in buf[..n].iter_mut().zip(st.to_master.drain(..n)) {
                    *d = s;
                }
                st.sink_busy |= take_sink;
                return Some(Ok((n, was_full)));
            }
            if st.slave_opened && st.slaves == 0 {
                return Some(Err(Errno::EIO));
            }
            if nonblock {
                return Some(Err(Errno::EAGAIN));
            }
            None
        });
        // Output room matters only to slave writers that found it full.
        let (n, was_full) = r?;
        if was_full {
            self.slave_q.notify_all();
        }
        Ok(n)
    }

    /// Makes host descriptor `fd` the sink of the master's output: the
    /// pump (`sink_read`, `sink_release`) copies queued output there, and a
    /// slave writer that finds nothing queued writes its short output there
    /// itself. That saves a wake-up of the pump thread per echoed key,
    /// which costs tens of µs when it crosses CPUs.
    pub fn set_sink(&self, fd: OwnedFd) {
        self.lock().sink = Some(Arc::new(fd));
    }

    /// The pump's read: like `master_read`, and it takes the sink until
    /// `sink_release`.
    pub fn sink_read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        self.read_output(buf, false, true)
    }

    /// Makes `src` (host input of the master) served by the tasks that
    /// sleep waiting for input on the slave side (`wait::HostSource`).
    pub fn set_input_source(&self, src: Option<Arc<dyn crate::kernel::wait::HostSource>>) {
        self.slave_q.set_source(src);
    }

    /// Gives the sink back after a write to it.
    pub fn sink_release(&self) {
        self.lock().sink_busy = false;
        self.master_q.notify_all();
    }

    /// Writes `out` to the sink `fd` (taken by the caller); what the host
    /// does not take now goes back to the head of the queue for the pump.
    fn write_direct(&self, fd: &OwnedFd, out: &[u8]) {
        let done = write_host(fd, out);
        let mut st = self.lock();
        for &b in out[done..].iter().rev() {
            st.to_master.push_front(b);
        }
        st.sink_busy = false;
        let queued = !st.to_master.is_empty();
        drop(st);
        if queued {
            self.master_q.notify_all();
        }
    }

    /// Turns IUTF8 (UTF-8 aware erase) on or off: a terminal attached from
    /// the host passes its own, as `ssh -t` passes its terminal's modes.
    pub fn set_input_utf8(&self, on: bool) {
        let mut st = self.lock();
        let mut t = st.ld.termios;
        t.iflag = if on { t.iflag | IUTF8 } else { t.iflag & !IUTF8 };
        st.ld.set_termios(t);
    }

    /// Sets the window size; the foreground group gets SIGWINCH on change.
    pub fn set_winsize(&self, ws: Winsize) {
        let changed = {
            let mut st = self.lock();
            let changed = st.winsize != ws;
            st.winsize = ws;
            changed
        };
        if changed {
            self.signal_fg(&[libc::SIGWINCH]);
        }
    }

    /// Stamps the slave node's access (`modified`: modification) time
    /// after I/O, in whole seconds and only when the second differs from
    /// the old one beyond its low three bits: Linux's tty_update_time,
    /// which keeps the exact time of each keystroke from other users.
    fn stamp_node(&self, modified: bool) {
        let sec = now().0;
        let mut n = self.node.lock().unwrap_or_else(|e| e.into_inner());
        let t = if modified { &mut n.mtime } else { &mut n.atime };
        if (sec ^ t.0) & !7 != 0 {
            *t = (sec, 0);
        }
    }

    fn slave_read(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        let n = self.slave_read_inner(buf, nonblock)?;
        if n > 0 {
            self.stamp_node(false);
        }
        Ok(n)
    }

    fn slave_read_inner(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        job::check_read(self)?;
        let (canon, vmin, vtime) = {
            let st = self.lock();
            (st.ld.termios.l(ICANON), st.ld.termios.cc[VMIN] as usize, st.ld.termios.cc[VTIME] as u64)
        };
        if buf.is_empty() {
            return Ok(0);
        }
        // VMIN/VTIME (non-canonical): MIN=0,TIME=0 polls; TIME>0 bounds the
        // wait (overall with MIN=0, between bytes with MIN>0).
        let want = if canon { 1 } else { vmin.clamp(1, buf.len()) };
        let poll_only = !canon && vmin == 0 && vtime == 0;
        let timeout = (!canon && vtime > 0).then(|| Duration::from_millis(vtime * 100));
        let mut deadline = if !canon && vmin == 0 { timeout.map(|t| Instant::now() + t) } else { None };
        let mut got = 0usize;
        loop {
            let r = block_until(&[&self.slave_q], deadline, || {
                let mut st = self.lock();
                let hung = !st.master_open;
                match st.ld.available() {
                    Some(_) => {
                        let was_full = st.ld.input_full();
                        let n = st.ld.read(&mut buf[got..]).unwrap_or(0);
                        Some(Ok(Some((n, was_full))))
                    }
                    None if hung => Some(Ok(None)),
                    None if nonblock || poll_only => Some(Err(Errno::EAGAIN)),
                    None => None,
                }
            });
            match r {
                Ok(Some((n, was_full))) => {
                    // Input room matters only to master writers that found it full.
                    if was_full {
                        self.master_q.notify_all();
                    }
                    if canon {
                        return Ok(n);
                    }
                    got += n;
                    if got >= want || got == buf.len() {
                        return Ok(got);
                    }
                    if let Some(t) = timeout {
                        deadline = Some(Instant::now() + t);
                    }
                }
                // Hung up: end of file.
                Ok(None) => return Ok(got),
                Err(Errno::EAGAIN) if poll_only => return Ok(got),
                Err(Errno::ETIMEDOUT) => return Ok(got),
                Err(e) if got > 0 && e != Errno::EAGAIN => return Ok(got),
                Err(Errno::EAGAIN) if got > 0 => return Ok(got),
                Err(e) => return Err(e),
            }
        }
    }

    fn slave_write(&self, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        if self.lock().ld.termios.l(TOSTOP) {
            job::check_write(self)?;
        }
        let mut done = 0;
        while done < data.len() {
            let r = block_until(&[&self.slave_q], None, || {
                let mut st = self.lock();
                if !st.master_open {
                    return Some(Err(Errno::EIO));
                }
                if st.ld.stopped || st.to_master.len() >= MAX_OUTPUT {
                    return if nonblock { Some(Err(Errno::EAGAIN)) } else { None };
                }
                let n = (data.len() - done).min(MAX_OUTPUT - st.to_master.len()).min(4096);
                let mut out = Vec::with_capacity(n + n / 8);
                st.ld.process_output(&data[done..done + n], &mut out);
                match st.sink {
                    Some(ref fd) if !st.sink_busy && st.to_master.is_empty() && out.len() <= DIRECT_MAX => {
                        let fd = fd.clone();
                        st.sink_busy = true;
                        Some(Ok((n, Some((fd, out)))))
                    }
                    _ => {
                        st.to_master.extend(out);
                        Some(Ok((n, None)))
                    }
                }
            });
            match r {
                Ok((n, direct)) => {
                    done += n;
                    match direct {
                        Some((fd, out)) => self.write_direct(&fd, &out),
                        None => self.master_q.notify_all(),
                    }
                }
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        if done > 0 {
            self.stamp_node(true);
        }
        Ok(done)
    }

    /// tcflow(TCOOFF/TCOON) on one side: the slave's stops its output
    /// (news to a packet-mode master), the master's its own writes.
    fn tcflow_output(&self, master: bool, stop: bool) {
        let mut st = self.lock();
        if master {
            st.master_stopped = stop;
        } else {
            let was = st.ld.stopped;
            st.ld.tcflow(!stop);
            let now = st.ld.stopped;
            st.packet.stopped(was, now);
        }
        drop(st);
        self.notify_both();
    }

    /// tcflow(TCIOFF/TCION): sends the side's STOP or START character to
    /// the other side even while its own output is stopped (Linux's
    /// tty_send_xchar). The slave's goes to the master as it is; the
    /// master's is typed input, which the slave's IXON acts on. A master's
    /// characters are Linux's defaults (its termios is not settable).
    fn send_xchar(&self, master: bool, stop: bool) {
        if master {
            let c = if stop { 0o23 } else { 0o21 };
            let _ = self.master_write(&[c], true);
            return;
        }
        let mut st = self.lock();
        let c = st.ld.termios.cc[if stop { VSTOP } else { VSTART }];
        if c == 0 {
            return;
        }
        st.to_master.push_back(c);
        drop(st);
        self.master_q.notify_all();
    }

    /// The ioctls both sides answer.
    fn common_ioctl(self: &Arc<Self>, master: bool, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        // A change to a controlling terminal stops a background group with
        // SIGTTOU before anything else (Linux's tty_check_change); the
        // master is no one's controlling terminal.
        if !master && changes_terminal(req) {
            job::check_write(self.as_ref())?;
        }
        match req {
            libc::TCGETS => mem.write_bytes(arg, &self.lock().ld.termios.to_bytes()).map(|_| 0),
            libc::TCGETS2 => mem.write_bytes(arg, &self.lock().ld.termios.to_bytes2()).map(|_| 0),
            libc::TCSETS | libc::TCSETSW | libc::TCSETSF | libc::TCSETS2 | libc::TCSETSW2 | libc::TCSETSF2 => {
                let two = matches!(req, libc::TCSETS2 | libc::TCSETSW2 | libc::TCSETSF2);
                let mut b = vec![0u8; if two { 44 } else { 36 }];
                mem.read_bytes(arg, &mut b)?;
                {
                    let mut st = self.lock();
                    let old = st.ld.termios;
                    let t = Termios::from_bytes(&b, &old);
                    if matches!(req, libc::TCSETSF | libc::TCSETSF2) {
                        st.ld.flush_input();
                        st.packet.event(packet::FLUSHREAD);
                    }
                    let was_stopped = st.ld.stopped;
                    st.ld.set_termios(t);
                    st.packet.termios(&old, &t);
                    let now_stopped = st.ld.stopped;
                    st.packet.stopped(was_stopped, now_stopped);
                }
                self.notify_both();
                Ok(0)
            }
            libc::TIOCGWINSZ => mem.write_bytes(arg, &self.lock().winsize.to_bytes()).map(|_| 0),
            libc::TIOCSWINSZ => {
                let mut b = [0u8; 8];
                mem.read_bytes(arg, &mut b)?;
                self.set_winsize(Winsize::from_bytes(&b));
                Ok(0)
            }
            // What this side can read: the master what goes to it, the
            // slave its input. The copy runs without the pair's lock (a
            // copy may grow a stack).
            libc::FIONREAD => {
                let n = {
                    let st = self.lock();
                    if master {
                        st.to_master.len()
                    } else {
                        st.ld.input_len()
                    }
                };
                mem.write_u32(arg, n as u32).map(|_| 0)
            }
            // Linux's ptys have no output queue of their own (a write goes
            // straight to the other side's buffer): TIOCOUTQ is always 0.
            libc::TIOCOUTQ => mem.write_u32(arg, 0).map(|_| 0),
            libc::TCFLSH => {
                let (input, output) = match (arg as i32, master) {
                    (libc::TCIFLUSH, false) | (libc::TCOFLUSH, true) => (true, false),
                    (libc::TCOFLUSH, false) | (libc::TCIFLUSH, true) => (false, true),
                    (libc::TCIOFLUSH, _) => (true, true),
                    _ => return Err(Errno::EINVAL),
                };
                let mut st = self.lock();
                if input {
                    st.ld.flush_input();
                }
                if output {
                    st.to_master.clear();
                }
                // Only the slave's flushes are news to a packet-mode master.
                if !master {
                    st.packet
                        .event(if input { packet::FLUSHREAD } else { 0 } | if output { packet::FLUSHWRITE } else { 0 });
                }
                drop(st);
                self.notify_both();
                Ok(0)
            }
            libc::TCXONC => {
                let action = arg as i32;
                if !matches!(action, libc::TCOOFF | libc::TCOON | libc::TCIOFF | libc::TCION) {
                    return Err(Errno::EINVAL);
                }
                match action {
                    libc::TCOOFF | libc::TCOON => self.tcflow_output(master, action == libc::TCOOFF),
                    _ => self.send_xchar(master, action == libc::TCIOFF),
                }
                Ok(0)
            }
            // No break to send nor output to drain on a pty.
            libc::TCSBRK | libc::TCSBRKP | libc::TIOCSBRK | libc::TIOCCBRK => Ok(0),
            libc::TIOCGETD => mem.write_u32(arg, 0).map(|_| 0),
            libc::TIOCSETD => match mem.read_u32(arg)? {
                0 => Ok(0),
                _ => Err(Errno::EINVAL),
            },
            libc::TIOCEXCL => {
                self.lock().exclusive = true;
                Ok(0)
            }
            libc::TIOCNXCL => {
                self.lock().exclusive = false;
                Ok(0)
            }
            libc::TIOCGEXCL => mem.write_u32(arg, self.lock().exclusive as u32).map(|_| 0),
            libc::TIOCSTI => {
                let mut b = [0u8; 1];
                mem.read_bytes(arg, &mut b)?;
                self.master_write(&b, true).map(|_| 0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }
}

impl Terminal for Pty {
    fn job(&self) -> &Mutex<JobState> {
        &self.job
    }

    fn reopen(self: Arc<Self>, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        // /dev/tty never acquires a controlling terminal.
        self.open_slave(flags | libc::O_NOCTTY as u32)
    }

    fn kernel(&self) -> Option<Arc<Kernel>> {
        self.kernel.upgrade()
    }

    fn name(&self) -> String {
        format!("pts/{}", self.index)
    }

    fn rdev(&self) -> u64 {
        makedev(PTS_MAJOR, self.index)
    }
}

/// The requests that change a terminal (termios, flushes, flow, breaks).
fn changes_terminal(req: u64) -> bool {
    matches!(
        req,
        libc::TCSETS
            | libc::TCSETSW
            | libc::TCSETSF
            | libc::TCSETS2
            | libc::TCSETSW2
            | libc::TCSETSF2
            | libc::TCFLSH
            | libc::TCXONC
            | libc::TCSBRK
            | libc::TCSBRKP
            | libc::TIOCSBRK
            | libc::TIOCCBRK
    )
}

/// Writes as much of `data` to host descriptor `fd` as it takes (retrying
/// after signals); returns how much that was.
pub fn write_host(fd: &impl std::os::fd::AsFd, data: &[u8]) -> usize {
    let mut done = 0;
    while done < data.len() {
        match nix::unistd::write(fd, &data[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break,
        }
    }
    done
}

fn pty_stat(pty: &Pty, master: bool) -> Stat {
    let n = pty.node_attrs();
    let (rdev, ino, mode, gid) = if master {
        (makedev(5, 2), 2, 0o666, 0)
    } else {
        (makedev(PTS_MAJOR, pty.index), pty.index as u64 + 3, n.mode, n.gid)
    };
    let uid = if master { 0 } else { n.uid };
    Stat {
        dev: 0x16,
        ino,
        mode: libc::S_IFCHR | mode,
        nlink: 1,
        uid,
        gid,
        rdev,
        blksize: 1024,
        atime: n.atime,
        mtime: n.mtime,
        ctime: n.ctime,
        ..Default::default()
    }
}

/// The master side of a pair (an open `/dev/ptmx`).
pub struct PtyMaster {
    pub pty: Arc<Pty>,
}

impl Drop for PtyMaster {
    fn drop(&mut self) {
        self.pty.hang_up();
    }
}

impl FileOps for PtyMaster {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.pty.master_read(buf, false)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        self.pty.write_input(buf, false, true)
    }
    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        self.pty.master_read(buf, nonblock)
    }
    fn write_stream(&self, buf: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.pty.write_input(buf, nonblock, true)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(pty_stat(&self.pty, true))
    }
    fn seekable(&self) -> bool {
        false
    }
    fn poll_ready(&self, events: i16) -> i16 {
        let st = self.pty.lock();
        let mut r = 0;
        if !st.to_master.is_empty() {
            r |= libc::POLLIN | libc::POLLRDNORM;
        }
        if st.packet.pending() {
            r |= libc::POLLIN | libc::POLLRDNORM | libc::POLLPRI;
        }
        if st.slave_opened && st.slaves == 0 {
            r |= libc::POLLHUP;
        }
        if !st.ld.input_full() && !st.master_stopped {
            r |= libc::POLLOUT | libc::POLLWRNORM;
        }
        r & (events | libc::POLLHUP | libc::POLLERR)
    }
    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pty.master_q)
    }
    fn fasync(&self, entry: &Arc<Fasync>, on: bool) -> bool {
        if on {
            fasync::default_owner(entry, None);
        }
        fasync::watch(entry, &self.pty.master_q, on)
    }
    fn fasync_backlog(&self) -> usize {
        self.pty.lock().to_master.len()
    }
    fn ioctl(&self, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        match req {
            libc::TIOCGPTN => mem.write_u32(arg, self.pty.index).map(|_| 0),
            libc::TIOCSPTLCK => {
                let v = mem.read_u32(arg)?;
                self.pty.lock().locked = v != 0;
                Ok(0)
            }
            libc::TIOCGPTLCK => mem.write_u32(arg, self.pty.lock().locked as u32).map(|_| 0),
            libc::TIOCGPTPEER => {
                let flags = arg as u32;
                if flags & !(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC | libc::O_NONBLOCK) as u32 != 0 {
                    return Err(Errno::EINVAL);
                }
                let ops = self.pty.open_slave(flags | libc::O_NOCTTY as u32)?;
                let path = format!("/dev/pts/{}", self.pty.index).into_bytes();
                let file = Arc::new(OpenFile::new(ops, path, flags | libc::O_RDWR as u32));
                let task = crate::kernel::wait::current().ok_or(Errno::EBADF)?;
                let limit = task.tg.rlimits.lock().unwrap_or_else(|e| e.into_inner())[libc::RLIMIT_NOFILE as usize].cur
                    as usize;
                task.tg.fds.install(file, flags & libc::O_CLOEXEC as u32 != 0, 0, limit).map(|fd| fd as u64)
            }
            libc::TIOCGPGRP => {
                // In the caller's PID namespace (the master's holder may be
                // outside the sandbox: then the root namespace's number).
                let fg = match crate::kernel::wait::current() {
                    Some(t) => job::fg_pgrp_seen(self.pty.as_ref(), t.tg.pidns()),
                    None => self.pty.job.lock().unwrap_or_else(|e| e.into_inner()).fg().unwrap_or(0x7fff_ffff),
                };
                mem.write_u32(arg, fg as u32).map(|_| 0)
            }
            libc::TIOCPKT => {
                let on = mem.read_u32(arg)? != 0;
                self.pty.lock().packet.set(on);
                Ok(0)
            }
            libc::TIOCGPKT => mem.write_u32(arg, self.pty.lock().packet.is_on() as u32).map(|_| 0),
            libc::TIOCSIG => {
                // Only the terminal's own signals, as a typed ^C, ^\ or ^Z.
                let sig = arg as i32;
                if !matches!(sig, libc::SIGINT | libc::SIGQUIT | libc::SIGTSTP) {
                    return Err(Errno::EINVAL);
                }
                self.pty.signal_fg(&[sig]);
                Ok(0)
            }
            libc::TIOCSCTTY | libc::TIOCNOTTY | libc::TIOCGSID | libc::TIOCSPGRP => Err(Errno::ENOTTY),
            _ => self.pty.common_ioctl(true, req, arg, mem),
        }
    }
}

/// The slave side of a pair (an open `/dev/pts/N`).
pub struct PtySlave {
    pub pty: Arc<Pty>,
}

impl Drop for PtySlave {
    fn drop(&mut self) {
        self.pty.lock().slaves -= 1;
        self.pty.notify_both();
    }
}

impl FileOps for PtySlave {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.pty.slave_read(buf, false)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        self.pty.slave_write(buf, false)
    }
    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        self.pty.slave_read(buf, nonblock)
    }
    fn write_stream(&self, buf: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.pty.slave_write(buf, nonblock)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(pty_stat(&self.pty, false))
    }
    fn seekable(&self) -> bool {
        false
    }
    fn poll_ready(&self, events: i16) -> i16 {
        let st = self.pty.lock();
        let mut r = 0;
        if st.ld.available().is_some() {
            r |= libc::POLLIN | libc::POLLRDNORM;
        }
        if !st.master_open {
            r |= libc::POLLHUP | libc::POLLIN;
        } else if st.to_master.len() < MAX_OUTPUT && !st.ld.stopped {
            r |= libc::POLLOUT | libc::POLLWRNORM;
        }
        r & (events | libc::POLLHUP | libc::POLLERR)
    }
    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pty.slave_q)
    }
    fn fasync(&self, entry: &Arc<Fasync>, on: bool) -> bool {
        if on {
            let fg = self.pty.job.lock().unwrap_or_else(|e| e.into_inner()).fg_pgrp.clone();
            fasync::default_owner(entry, fg);
        }
        fasync::watch(entry, &self.pty.slave_q, on)
    }
    fn fasync_backlog(&self) -> usize {
        // Input counts once it can be read (a whole line when canonical).
        let st = self.pty.lock();
        if st.ld.available().is_some() {
            st.ld.input_len()
        } else {
            0
        }
    }
    fn ioctl(&self, req: u64, arg: u64, mem: &dyn UserMemory) -> SysResult {
        let term: Arc<dyn Terminal> = self.pty.clone();
        if let Some(r) = job::ioctl(term, req, arg, mem) {
            return r;
        }
        match req {
            libc::TIOCGPTN | libc::TIOCSPTLCK | libc::TIOCGPTLCK | libc::TIOCGPTPEER => Err(Errno::ENOTTY),
            _ => self.pty.common_ioctl(false, req, arg, mem),
        }
    }
}
