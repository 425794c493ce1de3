//! The client side of the control protocol: find a container's sandbox in
//! the state directory and send it a request.

use std::os::fd::{OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use super::control;
use super::proto::{self, ProtoError, Request, Response};
use super::state::{ContainerState, StateDir, StateError};

/// How long a request other than `wait` or `events` may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Errors of talking to a sandbox.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    State(#[from] StateError),
    /// The sandbox process is gone (or not answering).
    #[error("container {0:?} is not running: its sandbox process is gone")]
    Gone(String),
    #[error("{0}")]
    Proto(#[from] ProtoError),
    /// The sandbox refused the request.
    #[error("{0}")]
    Refused(String),
}

/// A connection to the sandbox that runs container `st`.
pub fn connect(state: &StateDir, st: &ContainerState) -> Result<UnixStream, ClientError> {
    if !st.sandbox_alive() {
        return Err(ClientError::Gone(st.id.clone()));
    }
    control::connect(&state.control_socket(&st.sandbox_id)).map_err(|_| ClientError::Gone(st.id.clone()))
}

/// Sends `req` (with `fds`) and returns the reply; `timeout` bounds the
/// wait for it (`None`: as long as it takes, for `wait`).
pub fn call_on(
    sock: &UnixStream,
    req: &Request,
    fds: &[RawFd],
    timeout: Option<Duration>,
) -> Result<(Response, Vec<OwnedFd>), ClientError> {
    sock.set_read_timeout(timeout).map_err(ProtoError::from)?;
    proto::send(sock, req, fds)?;
    let (resp, fds): (Response, Vec<OwnedFd>) = proto::recv(sock)?;
    if let Some(e) = &resp.error {
        return Err(ClientError::Refused(e.clone()));
    }
    Ok((resp, fds))
}

/// How long a sandbox that dropped a connection may take to be gone.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Sends `req` to the sandbox of container `st` and returns the reply.
/// A sandbox that goes away while the request is under way (its root
/// container just ended: it drops connections it has not served yet) is
/// `Gone`, as if it had been gone before.
pub fn call(
    state: &StateDir,
    st: &ContainerState,
    req: &Request,
    fds: &[RawFd],
    timeout: Option<Duration>,
) -> Result<Response, ClientError> {
    let sock = connect(state, st)?;
    match call_on(&sock, req, fds, timeout) {
        Ok((r, _)) => Ok(r),
        Err(ClientError::Proto(e @ (ProtoError::Io(_) | ProtoError::Closed))) => {
            let deadline = std::time::Instant::now() + EXIT_GRACE;
            while st.sandbox_alive() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if st.sandbox_alive() {
                Err(e.into())
            } else {
                Err(ClientError::Gone(st.id.clone()))
            }
        }
        Err(e) => Err(e),
    }
}

/// Reads the next reply of a stream (`events`); `None` at its end.
pub fn next(sock: &UnixStream) -> Result<Option<Response>, ClientError> {
    match proto::recv::<Response>(sock) {
        Ok((r, _)) => match &r.error {
            Some(e) => Err(ClientError::Refused(e.clone())),
            None => Ok(Some(r)),
        },
        Err(ProtoError::Closed) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
