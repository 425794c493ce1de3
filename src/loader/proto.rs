//! The control protocol between the runtime CLI (or the console) and a
//! sandbox process, over the unix stream socket `<state>/<sandbox>/control`.
//!
//! A message is a little-endian `u32` length and that many bytes of JSON.
//! Descriptors travel with a message as `SCM_RIGHTS` ancillary data of its
//! first bytes. A connection carries one request and its response; `wait`
//! replies when the process has exited, and `events` streams responses
//! until the container stops or the client hangs up.

use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags};
use serde::{Deserialize, Serialize};

use super::oci::ProcessConfig;
use super::state::{ExitInfo, Status};

/// Largest message accepted (a config.json can be big, not this big).
pub const MAX_MESSAGE: usize = 16 << 20;
/// Most descriptors one message may carry.
pub const MAX_FDS: usize = 8;

/// How `signal` picks its target (the seed's three delivery modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalMode {
    /// The one process `pid` (0: the container's init).
    Process,
    /// The foreground process group of the terminal of process `pid` (0:
    /// the init).
    ForegroundGroup,
    /// Every process of the container; `pid` must be 0.
    All,
}

/// A request to a sandbox.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Create another container in this sandbox. Carries the caller's
    /// stdin, stdout and stderr (3 descriptors) unless the process has a
    /// terminal; then `console_socket` gets the terminal's master side.
    Create { id: String, bundle: std::path::PathBuf, config: String, console_socket: Option<std::path::PathBuf> },
    /// Start a created container's init. May carry 3 stdio descriptors that
    /// replace the ones given at creation.
    Start { id: String },
    /// Run another process in a running container. Carries 3 stdio
    /// descriptors, or 1 host terminal (when `process.terminal`) that the
    /// sandbox bridges to a pty of its own.
    Exec { id: String, process: ProcessConfig },
    /// Send signal `signal` as `mode` says.
    Signal { id: String, pid: i32, signal: i32, mode: SignalMode },
    /// Freeze (`paused`) or thaw the container's processes (runc's pause
    /// and resume).
    Freeze { id: String, paused: bool },
    /// Change the container's limits (runc update): a memory limit in
    /// bytes, a pids limit; `u64::MAX` is none, `None` leaves it.
    Update { id: String, memory: Option<u64>, pids: Option<u64> },
    /// Wait for the container's init to exit.
    Wait { id: String },
    /// Wait for process `pid` of the container to exit.
    WaitPid { id: String, pid: i32 },
    /// The container's processes.
    Ps { id: String },
    /// The container's state.
    State { id: String },
    /// Stream the container's events (exits, OOM, stats every
    /// `interval_ms`); with `stats_only`, one stats event and done.
    Events { id: String, interval_ms: u64, stats_only: bool },
    /// Kill every process of the container, wait for them, and forget it;
    /// for the root container, the whole sandbox.
    Destroy { id: String },
    /// Everything about one process of the container (`pid` in the
    /// container's view): threads and the syscall each is in, credentials,
    /// signal state, descriptors, memory maps, rlimits.
    Inspect { id: String, pid: i32 },
    /// Trace the syscalls of the container's processes (`pid` 0: all of
    /// them, also ones started later; else that process and its future
    /// children). A first reply without `line` says tracing is on; then
    /// `line` replies, one per syscall as `--strace` prints it, until the
    /// client hangs up, which turns tracing off, or the traced processes
    /// are gone (the sandbox closes the connection). A client too slow to
    /// keep up loses lines and gets a `[husk] N lines dropped ...` line.
    Strace { id: String, pid: i32 },
    /// The container's mount table, as `/proc/self/mountinfo` of its init.
    Mounts { id: String },
    /// The container's network: interfaces with addresses and counters,
    /// routes, and open sockets (TCP, UDP, unix), as readable text.
    Net { id: String },
}

/// One process, as `ps` shows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProcInfo {
    pub uid: u32,
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    /// R (running), S (sleeping), T (stopped) or Z (zombie).
    pub state: String,
    pub threads: usize,
    /// The terminal's name (`pts/0`), or `?`.
    pub tty: String,
    pub cmd: String,
    /// The foreground process group of the process's controlling terminal
    /// (as `tpgid` in /proc/PID/stat), or -1 without one.
    #[serde(default = "no_tpgid")]
    pub tpgid: i32,
    /// User plus system CPU time of all threads, in milliseconds.
    #[serde(default)]
    pub cpu_ms: u64,
    /// Resident and virtual memory size, in KiB, as /proc/PID/status
    /// VmRSS and VmSize: the pages the host has resident in the stub
    /// process holding the address space, and the size of all mappings.
    #[serde(default)]
    pub rss_kb: u64,
    #[serde(default)]
    pub vsz_kb: u64,
    /// The syscall the main thread is blocked in (`read`, `wait4`...), or
    /// empty when it runs or is not in one.
    #[serde(default)]
    pub wchan: String,
}

fn no_tpgid() -> i32 {
    -1
}

/// One thread of an inspected process.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ThreadDetail {
    pub tid: i32,
    /// R, S, T or Z, as in `ProcInfo::state`.
    pub state: String,
    /// The syscall it is in, decoded as strace shows it (`read(0, ...)`),
    /// or empty.
    pub syscall: String,
    /// Blocked and pending signals, by name (`SIGINT SIGTERM`).
    pub blocked: String,
    pub pending: String,
}

/// A signal's disposition in an inspected process.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SignalDetail {
    /// `SIGINT`...
    pub signal: String,
    /// `default`, `ignore` or `handler 0x401230`.
    pub action: String,
    /// SA_ flags and the handler's mask, as strace prints them
    /// (`SA_RESTORER|SA_RESTART mask=[CHLD]`).
    pub flags: String,
}

/// One descriptor of an inspected process.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FdDetail {
    pub fd: i32,
    /// What it points to, as `/proc/PID/fd/N` reads (`/dev/pts/0`,
    /// `pipe:[12]`, `socket:[7]`, `anon_inode:[eventfd]`).
    pub target: String,
    /// Open flags and position, readable (`O_RDWR|O_CLOEXEC pos=0`).
    pub flags: String,
}

/// One resource limit of an inspected process; `None` is unlimited.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RlimitDetail {
    /// `RLIMIT_NOFILE`...
    pub name: String,
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

/// Everything `inspect` shows about a process.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ProcDetail {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    pub tpgid: i32,
    pub state: String,
    pub cmd: String,
    pub exe: String,
    pub cwd: String,
    /// `uid=0 euid=0 suid=0 fsuid=0 gid=0 ... groups=0,1` and capabilities.
    pub credentials: String,
    pub umask: u32,
    pub threads: Vec<ThreadDetail>,
    /// Process-wide pending signals.
    pub pending: String,
    /// Only signals whose action is not the default.
    pub signals: Vec<SignalDetail>,
    pub fds: Vec<FdDetail>,
    /// As `/proc/PID/maps` reads.
    pub maps: String,
    pub rlimits: Vec<RlimitDetail>,
}

/// A container, as the sandbox sees it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContainerInfo {
    pub id: String,
    pub status: Status,
    pub init_pid: i32,
    pub exit: Option<ExitInfo>,
    pub reason: Option<String>,
    /// Memory figures (loader/memory.rs), when asked of a live sandbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<serde_json::Value>,
}

/// Something that happened to a container.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Event {
    /// `exit`, `oom`, `stats`, or `destroyed` (with the reason).
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub data: serde_json::Value,
}

/// A reply. `error` is set on failure; otherwise the field the request
/// asks for.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Response {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<ExitInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processes: Option<Vec<ProcInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspect: Option<ProcDetail>,
    /// One line of a stream (`strace`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// Readable text (`mounts`, `net`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Response {
    /// A failure.
    pub fn err(msg: impl Into<String>) -> Response {
        Response { error: Some(msg.into()), ..Default::default() }
    }

    /// A plain success.
    pub fn ok() -> Response {
        Response::default()
    }
}

/// Errors of the transport.
#[derive(Debug, thiserror::Error)]
pub enum ProtoError {
    #[error("control socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("control socket: bad message: {0}")]
    Bad(String),
    #[error("control socket: the sandbox closed the connection")]
    Closed,
}

/// Sends `msg` with `fds` attached.
pub fn send<T: Serialize>(sock: &UnixStream, msg: &T, fds: &[RawFd]) -> Result<(), ProtoError> {
    let body = serde_json::to_vec(msg).map_err(|e| ProtoError::Bad(e.to_string()))?;
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
    frame.extend_from_slice(&body);
    let mut sent = 0;
    if !fds.is_empty() {
        let cmsg = [ControlMessage::ScmRights(fds)];
        let iov = [IoSlice::new(&frame)];
        sent = loop {
            match sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsg, MsgFlags::MSG_NOSIGNAL, None) {
                Ok(n) => break n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(ProtoError::Io(e.into())),
            }
        };
    }
    let mut w = sock;
    w.write_all(&frame[sent..])?;
    Ok(())
}

/// Receives one message and the descriptors that came with it.
pub fn recv<T: for<'de> Deserialize<'de>>(sock: &UnixStream) -> Result<(T, Vec<OwnedFd>), ProtoError> {
    let mut head = [0u8; 4];
    let mut fds = Vec::new();
    let mut got = 0;
    while got < 4 {
        let mut cmsg_buf = nix::cmsg_space!([RawFd; MAX_FDS]);
        let mut iov = [IoSliceMut::new(&mut head[got..])];
        let msg = match recvmsg::<()>(sock.as_raw_fd(), &mut iov, Some(&mut cmsg_buf), MsgFlags::MSG_CMSG_CLOEXEC) {
            Ok(m) => m,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(ProtoError::Io(e.into())),
        };
        for c in msg.cmsgs().map_err(|e| ProtoError::Io(e.into()))? {
            if let ControlMessageOwned::ScmRights(list) = c {
                // SAFETY: SCM_RIGHTS gave us fresh descriptors we now own.
                fds.extend(list.into_iter().map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }));
            }
        }
        if msg.bytes == 0 {
            return Err(ProtoError::Closed);
        }
        got += msg.bytes;
    }
    let len = u32::from_le_bytes(head) as usize;
    if len > MAX_MESSAGE {
        return Err(ProtoError::Bad(format!("message of {len} bytes")));
    }
    let mut body = vec![0u8; len];
    let mut r = sock;
    r.read_exact(&mut body).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            ProtoError::Closed
        } else {
            ProtoError::Io(e)
        }
    })?;
    let msg = serde_json::from_slice(&body).map_err(|e| ProtoError::Bad(e.to_string()))?;
    Ok((msg, fds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_fds() {
        let (a, b) = UnixStream::pair().unwrap();
        let f = std::fs::File::open("/dev/null").unwrap();
        let req = Request::Signal { id: "c1".into(), pid: 0, signal: 9, mode: SignalMode::All };
        send(&a, &req, &[f.as_raw_fd(), f.as_raw_fd()]).unwrap();
        let (got, fds): (Request, _) = recv(&b).unwrap();
        assert_eq!(fds.len(), 2);
        match got {
            Request::Signal { id, signal, mode, .. } => {
                assert_eq!((id.as_str(), signal, mode), ("c1", 9, SignalMode::All))
            }
            other => panic!("{other:?}"),
        }
        drop(a);
        assert!(matches!(recv::<Request>(&b), Err(ProtoError::Closed)));
    }
}
