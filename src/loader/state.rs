//! The runtime's state directory (`--root`, default `/run/husk`): one
//! subdirectory per container holding its `state.json`, and in the
//! sandbox's (root container's) directory the control socket and the
//! sandbox's log. A state file is a checkpoint written atomically (temp file
//! and rename) by the sandbox process on every change; whether the sandbox
//! is still alive is checked against the host process when it is read.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where the state lives unless `--root` says otherwise (as runc and runsc).
pub const DEFAULT_ROOT: &str = "/run/husk";

/// Errors of the state directory.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// No such container.
    #[error("container {0:?} does not exist")]
    NotFound(String),
    /// The id is taken.
    #[error("container {0:?} already exists")]
    Exists(String),
    /// The id has characters a container id may not have.
    #[error("invalid container id {0:?}: use letters, digits, '_', '-' and '.', starting with a letter or digit")]
    BadId(String),
    /// A file operation failed.
    #[error("{0}: {1}")]
    Io(PathBuf, String),
    /// A state file is damaged.
    #[error("{0}: damaged state file: {1}")]
    Corrupt(PathBuf, String),
}

/// The life cycle of a container, as in the OCI runtime spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created, its process not started yet.
    Created,
    /// Its init runs.
    Running,
    /// Frozen (`husk pause`, or `cgroup.freeze` from inside): its
    /// processes exist but run no code until resumed. Not in the OCI
    /// runtime spec; runc reports it the same way.
    Paused,
    /// Its init has exited (or the sandbox is gone).
    Stopped,
}

impl Status {
    /// The OCI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        }
    }
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitInfo {
    /// The exit code, if it exited.
    pub code: Option<i32>,
    /// The signal that killed it, if one did.
    pub signal: Option<i32>,
}

impl ExitInfo {
    /// The status a shell reports: the code, or 128 + signal.
    pub fn shell_code(&self) -> i32 {
        match (self.code, self.signal) {
            (_, Some(s)) => 128 + s,
            (Some(c), None) => c & 0xff,
            (None, None) => 255,
        }
    }

    /// The `wait(2)` status word.
    pub fn wait_status(&self) -> i32 {
        match (self.code, self.signal) {
            (_, Some(s)) => s & 0x7f,
            (Some(c), None) => (c & 0xff) << 8,
            (None, None) => 0xff << 8,
        }
    }
}

/// The checkpoint of one container.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContainerState {
    pub id: String,
    /// The sandbox (root container) it runs in; itself for a root container.
    pub sandbox_id: String,
    pub bundle: PathBuf,
    pub rootfs: PathBuf,
    pub status: Status,
    /// Host pid of the sandbox process (`husk boot`).
    pub sandbox_pid: i32,
    /// Its start time (field 22 of /proc/<pid>/stat), to tell it from a
    /// process that reuses the pid.
    pub sandbox_start: u64,
    /// Pid of the container's init in the sandbox's root PID namespace (0
    /// until started): what `/proc/<pid>/ns/pid` in another container's
    /// spec names. Inside its own namespace the init is pid 1.
    pub init_pid: i32,
    /// How the init ended, once it has.
    pub exit: Option<ExitInfo>,
    /// Why the sandbox stopped the container, if it did (e.g. its root file
    /// system went away).
    pub reason: Option<String>,
    /// RFC 3339 creation time.
    pub created: String,
    pub annotations: BTreeMap<String, String>,
    /// The PID namespace the container is in (`pid:[inode]`).
    pub pidns: String,
}

impl ContainerState {
    /// Whether the sandbox process recorded here is still alive.
    pub fn sandbox_alive(&self) -> bool {
        process_start_time(self.sandbox_pid).is_some_and(|t| t == self.sandbox_start)
    }

    /// The status as it really is: a container of a dead sandbox has
    /// stopped, whatever the checkpoint says.
    pub fn live_status(&self) -> Status {
        if self.status != Status::Stopped && !self.sandbox_alive() {
            Status::Stopped
        } else {
            self.status
        }
    }
}

/// The start time of host process `pid` (clock ticks after boot), or
/// `None` if it does not exist or is a zombie.
pub fn process_start_time(pid: i32) -> Option<u64> {
    if pid <= 0 {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is the state (field 3); starttime is field 22.
    if matches!(fields.first(), Some(&"Z") | Some(&"X")) {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// Checks a container id: `[A-Za-z0-9][A-Za-z0-9_.-]*`, at most 255 bytes.
pub fn validate_id(id: &str) -> Result<(), StateError> {
    let ok = !id.is_empty()
        && id.len() <= 255
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(StateError::BadId(id.to_string()))
    }
}

/// The state directory.
#[derive(Clone, Debug)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// The state directory at `root` (made absolute; created on first use).
    pub fn new(root: &Path) -> StateDir {
        StateDir { root: std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()) }
    }

    /// Its path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of container `id`.
    pub fn dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// The state file of container `id`.
    pub fn state_file(&self, id: &str) -> PathBuf {
        self.dir(id).join("state.json")
    }

    /// The control socket of sandbox `sandbox_id`.
    pub fn control_socket(&self, sandbox_id: &str) -> PathBuf {
        self.dir(sandbox_id).join("control")
    }

    /// The log of sandbox `sandbox_id`.
    pub fn log_file(&self, sandbox_id: &str) -> PathBuf {
        self.dir(sandbox_id).join("sandbox.log")
    }

    /// Files the console keeps for container `id` (a generated bundle, the
    /// captured output, the input FIFO): beside the container directories,
    /// under a name no container id can take, since they exist before the
    /// sandbox claims `<root>/<id>/`.
    pub fn console_dir(&self, id: &str) -> PathBuf {
        self.root.join(".console").join(id)
    }

    /// Removes the console's files of container `id`, if any.
    pub fn remove_console_files(&self, id: &str) {
        if validate_id(id).is_ok() {
            let _ = std::fs::remove_dir_all(self.console_dir(id));
        }
    }

    /// Takes the id: creates the container's directory, failing if it
    /// exists. Whoever claims a directory removes it if creation fails.
    pub fn claim(&self, id: &str) -> Result<(), StateError> {
        validate_id(id)?;
        std::fs::create_dir_all(&self.root).map_err(|e| io_err(&self.root, &e))?;
        let dir = self.dir(id);
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                // Who claimed it, for clean-up after a crash before the
                // first state file.
                let _ = std::fs::write(dir.join("owner"), std::process::id().to_string());
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(StateError::Exists(id.to_string())),
            Err(e) => Err(io_err(&dir, &e)),
        }
    }

    /// The pid of the process that claimed container `id`'s directory.
    pub fn owner(&self, id: &str) -> Option<i32> {
        std::fs::read_to_string(self.dir(id).join("owner")).ok()?.trim().parse().ok()
    }

    /// Whether container `id` has a directory.
    pub fn exists(&self, id: &str) -> bool {
        validate_id(id).is_ok() && self.dir(id).is_dir()
    }

    /// Writes a container's checkpoint atomically (temp file, then rename).
    pub fn write(&self, st: &ContainerState) -> Result<(), StateError> {
        let path = self.state_file(&st.id);
        let tmp = self.dir(&st.id).join(format!(".state.json.{}", std::process::id()));
        let text = serde_json::to_vec_pretty(st).map_err(|e| StateError::Corrupt(path.clone(), e.to_string()))?;
        let mut f = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, &e))?;
        f.write_all(&text).and_then(|_| f.sync_all()).map_err(|e| io_err(&tmp, &e))?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io_err(&path, &e)
        })
    }

    /// Reads container `id`'s checkpoint.
    pub fn read(&self, id: &str) -> Result<ContainerState, StateError> {
        if validate_id(id).is_err() {
            return Err(StateError::NotFound(id.to_string()));
        }
        let path = self.state_file(id);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StateError::NotFound(id.to_string())),
            Err(e) => return Err(io_err(&path, &e)),
        };
        serde_json::from_slice(&text).map_err(|e| StateError::Corrupt(path, e.to_string()))
    }

    /// Every container with a readable checkpoint, by id.
    pub fn list(&self) -> Vec<ContainerState> {
        let mut out = Vec::new();
        let Ok(dir) = std::fs::read_dir(&self.root) else { return out };
        for e in dir.flatten() {
            if let Some(id) = e.file_name().to_str() {
                if let Ok(st) = self.read(id) {
                    out.push(st);
                }
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Removes container `id`'s directory and everything in it.
    pub fn remove(&self, id: &str) -> Result<(), StateError> {
        validate_id(id)?;
        let dir = self.dir(id);
        // A sandbox still finishing a write may add a temp file meanwhile.
        for _ in 0..5 {
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
        std::fs::remove_dir_all(&dir).map_err(|e| io_err(&dir, &e))
    }
}

fn io_err(p: &Path, e: &std::io::Error) -> StateError {
    StateError::Io(p.to_path_buf(), super::oci::io_text(e))
}

/// The current time in RFC 3339 (UTC, nanoseconds), as runc writes it.
pub fn now_rfc3339() -> String {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_nanos()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in ["a", "c1", "my-container_2.x"] {
            assert!(validate_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", ".", "..", "a/b", "a b", &"x".repeat(256)] {
            assert!(validate_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc3339_shape() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 30, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'), "{t}");
    }

    #[test]
    fn claim_write_read_remove() {
        let root = std::env::temp_dir().join(format!("husk-state-unit-{}", std::process::id()));
        let sd = StateDir::new(&root);
        sd.claim("c1").unwrap();
        assert!(matches!(sd.claim("c1"), Err(StateError::Exists(_))));
        let st = ContainerState {
            id: "c1".into(),
            sandbox_id: "c1".into(),
            bundle: "/b".into(),
            rootfs: "/b/rootfs".into(),
            status: Status::Created,
            sandbox_pid: std::process::id() as i32,
            sandbox_start: process_start_time(std::process::id() as i32).unwrap(),
            init_pid: 0,
            exit: None,
            reason: None,
            created: now_rfc3339(),
            annotations: BTreeMap::new(),
            pidns: "c1".into(),
        };
        sd.write(&st).unwrap();
        let back = sd.read("c1").unwrap();
        assert_eq!(back.status, Status::Created);
        assert!(back.sandbox_alive());
        assert_eq!(sd.list().len(), 1);
        sd.remove("c1").unwrap();
        assert!(matches!(sd.read("c1"), Err(StateError::NotFound(_))));
        let _ = std::fs::remove_dir_all(root);
    }
}
