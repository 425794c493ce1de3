//! The control server of a sandbox: accepts connections on the control
//! socket and serves each request (see `proto.rs`) on a thread of its own,
//! so a `wait` that blocks for hours keeps no one else waiting.

use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::hostpty;
use super::oci;
use super::proto::{self, Request, Response};
use super::sandbox::{Sandbox, Stdio};

/// The longest path `sun_path` holds.
const SUN_PATH_MAX: usize = 107;

/// Runs `f` with a path for the socket at `path` that fits in `sun_path`:
/// the path itself, or one through `/proc/self/fd` of its directory.
fn with_short_path<T>(path: &Path, f: impl FnOnce(&Path) -> std::io::Result<T>) -> std::io::Result<T> {
    if path.as_os_str().len() <= SUN_PATH_MAX {
        return f(path);
    }
    let dir = path.parent().unwrap_or(Path::new("/"));
    let name = path.file_name().unwrap_or_default();
    let d = std::fs::File::open(dir)?;
    let short = Path::new("/proc/self/fd").join(d.as_raw_fd().to_string()).join(name);
    f(&short)
}

/// Binds the control socket at `path`.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    with_short_path(path, |p| UnixListener::bind(p))
}

/// Connects to the control socket at `path`.
pub fn connect(path: &Path) -> std::io::Result<UnixStream> {
    with_short_path(path, |p| UnixStream::connect(p))
}

/// Connections being served.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// Serves `listener` on a thread of its own until the process ends.
pub fn serve(listener: UnixListener, sb: Arc<Sandbox>) {
    let _ = std::thread::Builder::new().name("control".into()).spawn(move || {
        for conn in listener.incoming() {
            let Ok(stream) = conn else { continue };
            let sb = sb.clone();
            ACTIVE.fetch_add(1, Ordering::SeqCst);
            let spawned = std::thread::Builder::new().name("control-conn".into()).spawn(move || {
                handle(&sb, &stream);
                ACTIVE.fetch_sub(1, Ordering::SeqCst);
            });
            if spawned.is_err() {
                ACTIVE.fetch_sub(1, Ordering::SeqCst);
            }
        }
    });
}

/// Waits until no request is being served, at most `limit`.
pub fn drain(limit: Duration) {
    let deadline = Instant::now() + limit;
    while ACTIVE.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn handle(sb: &Arc<Sandbox>, stream: &UnixStream) {
    let (req, fds): (Request, Vec<OwnedFd>) = match proto::recv(stream) {
        Ok(r) => r,
        Err(e) => {
            let _ = proto::send(stream, &Response::err(e.to_string()), &[]);
            return;
        }
    };
    tracing::debug!("control request: {req:?} ({} fds)", fds.len());
    let resp = match req {
        Request::Events { id, interval_ms, stats_only } => {
            return events(sb, stream, &id, interval_ms, stats_only);
        }
        Request::Strace { id, pid } => return strace(sb, stream, &id, pid),
        req => dispatch(sb, req, fds),
    };
    let _ = proto::send(stream, &resp, &[]);
}

fn dispatch(sb: &Arc<Sandbox>, req: Request, fds: Vec<OwnedFd>) -> Response {
    let r: Result<Response, String> = (|| match req {
        Request::Create { id, bundle, config, console_socket } => {
            let cfg = oci::parse_config(&bundle, &config).map_err(|e| e.to_string())?;
            // Refused before a terminal is handed to anyone.
            if sb.info(&id).is_ok() {
                return Err(format!("container {id:?} already exists"));
            }
            let stdio = if cfg.process.terminal {
                let sock = console_socket.ok_or("the process asks for a terminal: --console-socket is required")?;
                let (master, slave) = hostpty::open_pair().map_err(|e| format!("cannot open a terminal: {e}"))?;
                hostpty::send_to_console_socket(&sock, &master)
                    .map_err(|e| format!("console socket {}: {}", sock.display(), oci::io_text(&e)))?;
                Stdio::Terminal(slave)
            } else {
                Stdio::from_fds(fds, false)?
            };
            sb.create(&id, cfg, stdio).map_err(|e| e.to_string())?;
            Ok(Response::ok())
        }
        Request::Start { id } => {
            let stdio = if fds.is_empty() { None } else { Some(Stdio::from_fds(fds, false)?) };
            let pid = sb.start(&id, stdio).map_err(|e| e.to_string())?;
            Ok(Response { pid: Some(pid), ..Default::default() })
        }
        Request::Exec { id, process } => {
            let stdio = Stdio::from_fds(fds, process.terminal)?;
            let pid = sb.exec(&id, &process, stdio).map_err(|e| e.to_string())?;
            Ok(Response { pid: Some(pid), ..Default::default() })
        }
        Request::Signal { id, pid, signal, mode } => {
            sb.signal(&id, pid, signal, mode).map_err(|e| e.to_string())?;
            Ok(Response::ok())
        }
        Request::Freeze { id, paused } => {
            sb.set_paused(&id, paused).map_err(|e| e.to_string())?;
            Ok(Response::ok())
        }
        Request::Update { id, memory, pids } => {
            sb.update(&id, memory, pids).map_err(|e| e.to_string())?;
            Ok(Response::ok())
        }
        Request::Wait { id } => {
            let exit = sb.wait(&id).map_err(|e| e.to_string())?;
            match exit {
                Some(e) => Ok(Response { exit: Some(e), ..Default::default() }),
                None => Err(format!("container {id:?} stopped without running")),
            }
        }
        Request::WaitPid { id, pid } => {
            let exit = sb.wait_pid(&id, pid).map_err(|e| e.to_string())?;
            Ok(Response { exit: Some(exit), ..Default::default() })
        }
        Request::Ps { id } => {
            let list = sb.ps(&id).map_err(|e| e.to_string())?;
            Ok(Response { processes: Some(list), ..Default::default() })
        }
        Request::State { id } => {
            let mut info = sb.info(&id).map_err(|e| e.to_string())?;
            info.memory = sb.memory(&id).ok();
            Ok(Response { container: Some(info), ..Default::default() })
        }
        Request::Destroy { id } => {
            sb.destroy(&id, None).map_err(|e| e.to_string())?;
            Ok(Response::ok())
        }
        Request::Inspect { id, pid } => {
            let detail = sb.inspect(&id, pid).map_err(|e| e.to_string())?;
            Ok(Response { inspect: Some(detail), ..Default::default() })
        }
        Request::Mounts { id } => {
            let text = sb.mounts(&id).map_err(|e| e.to_string())?;
            Ok(Response { text: Some(text), ..Default::default() })
        }
        Request::Net { id } => {
            let text = sb.net(&id).map_err(|e| e.to_string())?;
            Ok(Response { text: Some(text), ..Default::default() })
        }
        Request::Events { .. } | Request::Strace { .. } => Err("streams are not served here".into()),
    })();
    r.unwrap_or_else(Response::err)
}

/// Streams container `id`'s events until it stops or the client leaves.
fn events(sb: &Arc<Sandbox>, stream: &UnixStream, id: &str, interval_ms: u64, stats_only: bool) {
    let send_ev = |ev| proto::send(stream, &Response { event: Some(ev), ..Default::default() }, &[]).is_ok();
    if stats_only {
        let resp = match sb.stats(id) {
            Ok(ev) => Response { event: Some(ev), ..Default::default() },
            Err(e) => Response::err(e.to_string()),
        };
        let _ = proto::send(stream, &resp, &[]);
        return;
    }
    let rx = match sb.subscribe(id) {
        Ok(rx) => rx,
        Err(e) => {
            let _ = proto::send(stream, &Response::err(e.to_string()), &[]);
            return;
        }
    };
    let interval = Duration::from_millis(interval_ms.max(100));
    loop {
        if sb.info(id).is_ok_and(|i| i.status == super::state::Status::Stopped) {
            // Deliver what is queued, then end.
            while let Ok(ev) = rx.try_recv() {
                if !send_ev(ev) {
                    return;
                }
            }
            return;
        }
        match rx.recv_timeout(interval) {
            Ok(ev) => {
                let last = ev.kind == "destroyed" || (ev.kind == "exit" && ev.data["init"] == true);
                if !send_ev(ev) || last {
                    return;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => match sb.stats(id) {
                Ok(ev) => {
                    if !send_ev(ev) {
                        return;
                    }
                }
                Err(_) => return,
            },
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// How often a strace stream with nothing to send checks that its client
/// is still there and its processes still run.
const TRACE_POLL: Duration = Duration::from_millis(200);

/// Whether the client of `stream` has hung up (or sent something, which
/// no stream expects: that ends it too).
fn client_gone(stream: &UnixStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let mut b = [0u8; 1];
    let gone = match (&*stream).read(&mut b) {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock && e.kind() != std::io::ErrorKind::Interrupted,
    };
    gone || stream.set_nonblocking(false).is_err()
}

/// Streams the syscalls of container `id` (or of process `pid` and its
/// later children): a first empty reply once tracing is on, then one
/// `line` per syscall, until the client hangs up or the traced processes
/// are gone. Tracing for this client ends with it.
fn strace(sb: &Arc<Sandbox>, stream: &UnixStream, id: &str, pid: i32) {
    let send_line =
        |line: String| proto::send(stream, &Response { line: Some(line), ..Default::default() }, &[]).is_ok();
    let sub = match sb.strace(id, pid) {
        Ok(s) => s,
        Err(e) => {
            let _ = proto::send(stream, &Response::err(e.to_string()), &[]);
            return;
        }
    };
    if proto::send(stream, &Response::ok(), &[]).is_err() {
        return;
    }
    let lines = sub.subscriber();
    loop {
        match lines.next(TRACE_POLL) {
            Some(line) => {
                if !send_line(line) {
                    return;
                }
            }
            None => {
                if client_gone(stream) {
                    return;
                }
                if sb.trace_done(id, &sub) {
                    // What was traced before the end still goes out.
                    while let Some(line) = lines.next(Duration::ZERO) {
                        if !send_line(line) {
                            return;
                        }
                    }
                    if let Some(line) = lines.take_dropped() {
                        send_line(line);
                    }
                    return;
                }
            }
        }
    }
}
