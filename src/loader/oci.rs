//! OCI bundles: reading `config.json` (the `oci-spec` crate's types),
//! checking it, and turning it into what the sandbox needs. Every field the
//! sandbox does not implement is reported once as a warning rather than
//! silently ignored; fields it cannot run without are errors.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxNamespaceType, PosixRlimitType, Spec};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Errors in a bundle or its `config.json`.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file cannot be read.
    #[error("{0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// Not JSON, or JSON that does not match the OCI schema.
    #[error("{0}: {1}")]
    Parse(PathBuf, String),
    /// Valid JSON and schema, but not something a container can run.
    #[error("{0}: {1}")]
    Invalid(PathBuf, String),
}

/// How a process is started: from a container's `process` or from `exec`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ProcessConfig {
    pub args: Vec<String>,
    /// `KEY=VALUE` entries.
    pub env: Vec<String>,
    /// Absolute working directory in the container.
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    pub umask: u32,
    /// (resource, soft, hard).
    pub rlimits: Vec<(u32, u64, u64)>,
    /// Give the process a terminal (a sandbox pty as stdio and controlling
    /// terminal).
    pub terminal: bool,
    /// Initial terminal size (rows, columns).
    pub console_size: Option<(u16, u16)>,
    /// Capability sets (effective, permitted, inheritable, bounding,
    /// ambient) as bit masks; `None`: the kernel's defaults for the user.
    pub capabilities: Option<[u64; 5]>,
    pub no_new_privileges: bool,
}

/// A host path bind-mounted into the container.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BindMount {
    pub source: PathBuf,
    pub target: String,
    pub readonly: bool,
}

/// An in-memory file system mounted into the container.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TmpfsMount {
    pub target: String,
    /// Permission bits of its root (`mode=`; 1777 by default, as Linux).
    pub mode: u32,
    pub readonly: bool,
}

/// The PID namespace a container asks for.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum PidNamespace {
    /// No PID namespace entry: the sandbox's root namespace.
    Root,
    /// A new namespace.
    New,
    /// Join the namespace of the container that created this path.
    Join(String),
}

/// What the sandbox takes from a bundle.
#[derive(Clone, Debug)]
pub struct ContainerConfig {
    /// The bundle directory (absolute).
    pub bundle: PathBuf,
    /// The root file system (absolute, canonical host path).
    pub root: PathBuf,
    pub root_readonly: bool,
    pub hostname: Option<String>,
    pub process: ProcessConfig,
    pub binds: Vec<BindMount>,
    pub tmpfs: Vec<TmpfsMount>,
    pub pidns: PidNamespace,
    /// `linux.resources.memory.limit` in bytes (None: no limit).
    pub memory_limit: Option<u64>,
    /// `linux.resources.pids.limit` (None: no limit).
    pub pids_limit: Option<u64>,
    /// `linux.seccomp`, resolved: every process of the container starts with it.
    pub seccomp: Option<crate::kernel::seccomp::profile::Profile>,
    pub annotations: BTreeMap<String, String>,
    /// One line per field the sandbox does not implement.
    pub warnings: Vec<String>,
    /// The config.json text it came from.
    pub text: String,
}

/// Linux's capability numbers, by name.
const CAPS: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// The number of a capability name (`CAP_CHOWN` or `CHOWN`).
pub fn cap_number(name: &str) -> Option<u32> {
    let n = name.strip_prefix("CAP_").unwrap_or(name);
    CAPS.iter().position(|c| c.eq_ignore_ascii_case(n)).map(|i| i as u32)
}

fn rlimit_resource(t: PosixRlimitType) -> Option<u32> {
    use PosixRlimitType::*;
    Some(match t {
        RlimitCpu => libc::RLIMIT_CPU,
        RlimitFsize => libc::RLIMIT_FSIZE,
        RlimitData => libc::RLIMIT_DATA,
        RlimitStack => libc::RLIMIT_STACK,
        RlimitCore => libc::RLIMIT_CORE,
        RlimitRss => libc::RLIMIT_RSS,
        RlimitNproc => libc::RLIMIT_NPROC,
        RlimitNofile => libc::RLIMIT_NOFILE,
        RlimitMemlock => libc::RLIMIT_MEMLOCK,
        RlimitAs => libc::RLIMIT_AS,
        RlimitLocks => libc::RLIMIT_LOCKS,
        RlimitSigpending => libc::RLIMIT_SIGPENDING,
        RlimitMsgqueue => libc::RLIMIT_MSGQUEUE,
        RlimitNice => libc::RLIMIT_NICE,
        RlimitRtprio => libc::RLIMIT_RTPRIO,
        RlimitRttime => libc::RLIMIT_RTTIME,
    })
}

/// Reads and checks `<bundle>/config.json`.
pub fn load_bundle(bundle: &Path) -> Result<ContainerConfig, SpecError> {
    let bundle = std::path::absolute(bundle).map_err(|e| SpecError::Read(bundle.to_path_buf(), e))?;
    let file = bundle.join("config.json");
    let text = std::fs::read_to_string(&file).map_err(|e| SpecError::Read(file.clone(), e))?;
    parse_config(&bundle, &text)
}

/// Checks a `config.json` text of the bundle at `bundle` (absolute).
pub fn parse_config(bundle: &Path, text: &str) -> Result<ContainerConfig, SpecError> {
    let file = bundle.join("config.json");
    let parse_err = |e: serde_json::Error| SpecError::Parse(file.clone(), describe_json_error(&e));
    let raw: Value = serde_json::from_str(text).map_err(parse_err)?;
    if !raw.is_object() {
        return Err(SpecError::Parse(file.clone(), "the configuration must be a JSON object".into()));
    }
    let spec: Spec = serde_json::from_str(text).map_err(parse_err)?;
    let invalid = |m: String| SpecError::Invalid(file.clone(), m);

    let version = spec.version();
    if !version.starts_with("1.") {
        return Err(invalid(format!("ociVersion {version:?} is not supported (1.x is)")));
    }
    let process = spec.process().as_ref().ok_or_else(|| invalid("no \"process\": nothing to run".into()))?;
    let args = process.args().clone().unwrap_or_default();
    if args.is_empty() || args[0].is_empty() {
        return Err(invalid("process.args is empty: nothing to run".into()));
    }
    let cwd = process.cwd().to_string_lossy().into_owned();
    if !cwd.starts_with('/') {
        return Err(invalid(format!("process.cwd {cwd:?} must be an absolute path")));
    }
    let env = process.env().clone().unwrap_or_default();
    if let Some(bad) = env.iter().find(|e| !e.contains('=')) {
        return Err(invalid(format!("process.env entry {bad:?} is not KEY=VALUE")));
    }
    let root =
        spec.root().as_ref().ok_or_else(|| invalid("no \"root\": the container needs a root file system".into()))?;
    let root_path = bundle.join(root.path());
    let meta = std::fs::metadata(&root_path)
        .map_err(|e| invalid(format!("root.path {}: {}", root_path.display(), io_text(&e))))?;
    if !meta.is_dir() {
        return Err(invalid(format!("root.path {}: not a directory", root_path.display())));
    }
    let root_path =
        root_path.canonicalize().map_err(|e| invalid(format!("root.path {}: {}", root_path.display(), io_text(&e))))?;
    if let Some(h) = spec.hostname() {
        if h.len() > 64 {
            return Err(invalid(format!("hostname {h:?} is longer than 64 bytes")));
        }
    }

    let user = process.user();
    let mut rlimits = Vec::new();
    let mut seen_rl = BTreeSet::new();
    for rl in process.rlimits().clone().unwrap_or_default() {
        let Some(res) = rlimit_resource(rl.typ()) else { continue };
        if !seen_rl.insert(res) {
            return Err(invalid(format!("process.rlimits: {:?} is given twice", rl.typ())));
        }
        if rl.soft() > rl.hard() {
            return Err(invalid(format!("process.rlimits: {:?} soft limit is above the hard limit", rl.typ())));
        }
        rlimits.push((res, rl.soft(), rl.hard()));
    }
    let capabilities = process.capabilities().as_ref().map(|c| {
        let mask = |set: &Option<oci_spec::runtime::Capabilities>| {
            set.as_ref().map_or(0u64, |s| {
                s.iter()
                    .filter_map(|cap| serde_json::to_value(cap).ok())
                    .filter_map(|v| v.as_str().and_then(cap_number))
                    .fold(0u64, |m, n| m | (1 << n))
            })
        };
        [mask(c.effective()), mask(c.permitted()), mask(c.inheritable()), mask(c.bounding()), mask(c.ambient())]
    });
    let console_size =
        process.console_size().map(|b| (b.height().min(u16::MAX as u64) as u16, b.width().min(u16::MAX as u64) as u16));
    let pconf = ProcessConfig {
        args,
        env,
        cwd,
        uid: user.uid(),
        gid: user.gid(),
        additional_gids: user.additional_gids().clone().unwrap_or_default(),
        umask: user.umask().unwrap_or(0o022),
        rlimits,
        terminal: process.terminal().unwrap_or(false),
        console_size,
        capabilities,
        no_new_privileges: process.no_new_privileges().unwrap_or(false),
    };

    let mut warnings = Vec::new();
    let mut binds = Vec::new();
    let mut tmpfs = Vec::new();
    for (i, m) in spec.mounts().clone().unwrap_or_default().iter().enumerate() {
        let dest = m.destination().to_string_lossy().into_owned();
        if !dest.starts_with('/') {
            return Err(invalid(format!("mounts[{i}]: destination {dest:?} must be an absolute path")));
        }
        let opts = m.options().clone().unwrap_or_default();
        let is_bind = m.typ().as_deref() == Some("bind") || opts.iter().any(|o| o == "bind" || o == "rbind");
        let typ = m.typ().clone().unwrap_or_else(|| if is_bind { "bind".into() } else { String::new() });
        if is_bind {
            let src = m
                .source()
                .clone()
                .ok_or_else(|| invalid(format!("mounts[{i}] ({dest}): a bind mount needs a source")))?;
            let src = bundle.join(src);
            if let Err(e) = std::fs::metadata(&src) {
                return Err(invalid(format!("mounts[{i}] ({dest}): source {}: {}", src.display(), io_text(&e))));
            }
            let readonly = opts.iter().rev().find(|o| *o == "ro" || *o == "rw").is_some_and(|o| o == "ro");
            binds.push(BindMount { source: src, target: dest, readonly });
            continue;
        }
        // What every sandbox has already (the VFS mounts them itself).
        let builtin = matches!(
            (typ.as_str(), dest.trim_end_matches('/')),
            ("proc", "/proc")
                | ("sysfs", "/sys")
                | ("devpts", "/dev/pts")
                | ("tmpfs", "/dev")
                | ("tmpfs" | "shm", "/dev/shm")
        );
        if !builtin && typ == "tmpfs" {
            let mode = opts
                .iter()
                .find_map(|o| o.strip_prefix("mode="))
                .map(|m| {
                    u32::from_str_radix(m, 8).map_err(|_| invalid(format!("mounts[{i}] ({dest}): bad mode {m:?}")))
                })
                .transpose()?
                .unwrap_or(0o1777);
            let readonly = opts.iter().rev().find(|o| *o == "ro" || *o == "rw").is_some_and(|o| o == "ro");
            tmpfs.push(TmpfsMount { target: dest, mode: mode & 0o7777, readonly });
            continue;
        }
        if !builtin {
            warnings.push(format!("mounts[{i}]: a {typ:?} mount at {dest} is not supported (ignored)"));
        }
    }

    let mut pidns = PidNamespace::Root;
    let mut seen_ns = BTreeSet::new();
    if let Some(linux) = spec.linux() {
        for ns in linux.namespaces().clone().unwrap_or_default() {
            let name = ns.typ().to_string();
            if !seen_ns.insert(name.clone()) {
                return Err(invalid(format!("linux.namespaces: {name} is given twice")));
            }
            match ns.typ() {
                LinuxNamespaceType::Pid => {
                    pidns = match ns.path() {
                        Some(p) => PidNamespace::Join(p.to_string_lossy().into_owned()),
                        None => PidNamespace::New,
                    }
                }
                // Each sandbox has its own of these already.
                LinuxNamespaceType::Mount
                | LinuxNamespaceType::Network
                | LinuxNamespaceType::Ipc
                | LinuxNamespaceType::Uts => {
                    if ns.path().is_some() {
                        warnings.push(format!("linux.namespaces: joining a {name} namespace by path is not supported (the sandbox's own is used)"));
                    }
                }
                _ => warnings.push(format!("linux.namespaces: a {name} namespace is not supported (ignored)")),
            }
        }
    }
    let memory_limit =
        match spec.linux().as_ref().and_then(|l| l.resources().as_ref()).and_then(|r| r.memory().as_ref()) {
            // 0 and -1 mean no limit, as for runc.
            Some(m) => match m.limit() {
                None | Some(0) | Some(-1) => None,
                Some(n) if n < 0 => return Err(invalid(format!("linux.resources.memory.limit {n} is negative"))),
                Some(n) => Some(n as u64),
            },
            None => None,
        };
    // 0 leaves the limit unset and a negative one means none, as for runc.
    let pids_limit = spec
        .linux()
        .as_ref()
        .and_then(|l| l.resources().as_ref())
        .and_then(|r| r.pids().as_ref())
        .and_then(|p| u64::try_from(p.limit()).ok())
        .filter(|&n| n > 0);
    let seccomp = match spec.linux().as_ref().and_then(|l| l.seccomp().as_ref()) {
        Some(s) => Some(super::oci_seccomp::profile(s).map_err(invalid)?),
        None => None,
    };
    unsupported_fields(&raw, &mut warnings);
    let mut annotations = BTreeMap::new();
    for (k, v) in spec.annotations().clone().unwrap_or_default() {
        if k.is_empty() {
            return Err(invalid("annotations: a key is empty".into()));
        }
        annotations.insert(k, v);
    }
    let mut seen = BTreeSet::new();
    warnings.retain(|w| seen.insert(w.clone()));
    Ok(ContainerConfig {
        bundle: bundle.to_path_buf(),
        root: root_path,
        root_readonly: root.readonly().unwrap_or(false),
        hostname: spec.hostname().clone(),
        process: pconf,
        binds,
        tmpfs,
        pidns,
        memory_limit,
        pids_limit,
        seccomp,
        annotations,
        warnings,
        text: text.to_string(),
    })
}

/// A short description of an I/O error, without the "(os error N)" tail.
pub fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Syntax | Category::Eof => "malformed JSON",
        Category::Data => "does not match the OCI runtime schema",
        Category::Io => "cannot be read",
    };
    format!("{what}: {e}")
}

/// Keys the sandbox implements, per object of the configuration; any other
/// non-empty key gets a warning.
fn unsupported_fields(raw: &Value, warnings: &mut Vec<String>) {
    let top_ok = ["ociVersion", "process", "root", "hostname", "mounts", "annotations", "linux"];
    let process_ok =
        ["terminal", "consoleSize", "user", "args", "env", "cwd", "capabilities", "rlimits", "noNewPrivileges"];
    let user_ok = ["uid", "gid", "umask", "additionalGids"];
    let linux_ok = ["namespaces", "resources", "seccomp"];
    check_keys(raw, "", &top_ok, warnings);
    if let Some(p) = raw.get("process") {
        check_keys(p, "process.", &process_ok, warnings);
        if let Some(u) = p.get("user") {
            check_keys(u, "process.user.", &user_ok, warnings);
        }
    }
    if let Some(r) = raw.get("root") {
        check_keys(r, "root.", &["path", "readonly"], warnings);
    }
    if let Some(l) = raw.get("linux") {
        check_keys(l, "linux.", &linux_ok, warnings);
        if let Some(r) = l.get("resources") {
            // Device rules that only deny are what the sandbox does anyway
            // (it never opens a host device); one that allows is not served.
            let deny_only = r
                .get("devices")
                .and_then(Value::as_array)
                .is_some_and(|rules| rules.iter().all(|d| d.get("allow").and_then(Value::as_bool) == Some(false)));
            let ok: &[&str] = if deny_only { &["memory", "pids", "devices"] } else { &["memory", "pids"] };
            check_keys(r, "linux.resources.", ok, warnings);
            if let Some(m) = r.get("memory") {
                check_keys(m, "linux.resources.memory.", &["limit"], warnings);
            }
        }
    }
}

fn check_keys(v: &Value, prefix: &str, ok: &[&str], warnings: &mut Vec<String>) {
    let Some(obj) = v.as_object() else { return };
    for (k, val) in obj {
        let empty = match val {
            Value::Null => true,
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            Value::String(s) => s.is_empty(),
            _ => false,
        };
        if !ok.contains(&k.as_str()) && !empty {
            warnings.push(format!("{prefix}{k} is not supported (ignored)"));
        }
    }
}

/// The default `config.json` of `husk spec`: `sh` in `rootfs`, with only
/// what husk implements.
pub fn default_spec(terminal: bool) -> Value {
    serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": terminal,
            "user": { "uid": 0, "gid": 0 },
            "args": ["sh"],
            "env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm"
            ],
            "cwd": "/",
            "rlimits": [{ "type": "RLIMIT_NOFILE", "hard": 1024u64, "soft": 1024u64 }],
            "noNewPrivileges": true
        },
        "root": { "path": "rootfs", "readonly": true },
        "hostname": "husk",
        "mounts": [
            { "destination": "/proc", "type": "proc", "source": "proc" },
            { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
              "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
              "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
            { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
              "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
            { "destination": "/sys", "type": "sysfs", "source": "sysfs",
              "options": ["nosuid", "noexec", "nodev", "ro"] }
        ],
        "linux": {
            "namespaces": [
                { "type": "pid" }, { "type": "network" }, { "type": "ipc" },
                { "type": "uts" }, { "type": "mount" }
            ]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle_with(cfg: &str) -> (PathBuf, Result<ContainerConfig, SpecError>) {
        let dir = std::env::temp_dir().join(format!("husk-oci-unit-{}-{}", std::process::id(), rand_tag()));
        std::fs::create_dir_all(dir.join("rootfs")).unwrap();
        let r = parse_config(&dir, cfg);
        (dir, r)
    }

    fn rand_tag() -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        N.fetch_add(1, Ordering::Relaxed)
    }

    #[test]
    fn default_spec_is_valid_and_warning_free() {
        let text = serde_json::to_string(&default_spec(false)).unwrap();
        let (dir, r) = bundle_with(&text);
        let c = r.unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(c.process.args, vec!["sh"]);
        assert!(c.root_readonly);
        assert_eq!(c.pidns, PidNamespace::New);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_configs_are_errors() {
        for (cfg, want) in [
            ("{", "malformed JSON"),
            ("[]", "JSON object"),
            (
                r#"{"ociVersion":"1.0.2","process":{"args":5,"cwd":"/","user":{"uid":0,"gid":0}},"root":{"path":"rootfs"}}"#,
                "schema",
            ),
            (r#"{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0}}}"#, "no \"root\""),
            (
                r#"{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0}},"root":{"path":"nope"}}"#,
                "root.path",
            ),
            (
                r#"{"ociVersion":"1.0.2","process":{"args":[],"cwd":"/","user":{"uid":0,"gid":0}},"root":{"path":"rootfs"}}"#,
                "empty",
            ),
            (
                r#"{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"x","user":{"uid":0,"gid":0}},"root":{"path":"rootfs"}}"#,
                "absolute",
            ),
        ] {
            let (dir, r) = bundle_with(cfg);
            let e = r.err().unwrap_or_else(|| panic!("{cfg} accepted")).to_string();
            assert!(e.contains(want), "{cfg}: {e}");
            std::fs::remove_dir_all(dir).unwrap();
        }
    }

    #[test]
    fn unsupported_fields_warn_once() {
        let cfg = r#"{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0},"apparmorProfile":"x"},
            "root":{"path":"rootfs"},"hooks":{"prestart":[{"path":"/bin/true"}]},
            "linux":{"namespaces":[{"type":"user"},{"type":"pid","path":"/proc/1/ns/pid"}],"maskedPaths":["/proc/kcore"]},
            "mounts":[{"destination":"/mnt","type":"nfs","source":"x"},{"destination":"/proc","type":"proc"}]}"#;
        let (dir, r) = bundle_with(cfg);
        let c = r.unwrap();
        let w = c.warnings.join("\n");
        for want in ["process.apparmorProfile", "hooks", "linux.maskedPaths", "user namespace", "\"nfs\" mount at /mnt"]
        {
            assert!(w.contains(want), "missing {want} in {w}");
        }
        assert_eq!(c.warnings.len(), 5, "{w}");
        assert_eq!(c.pidns, PidNamespace::Join("/proc/1/ns/pid".into()));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn memory_limit_and_other_resources() {
        let cfg = r#"{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0}},
            "root":{"path":"rootfs"},"linux":{"resources":{"memory":{"limit":67108864,"swap":1},
            "devices":[{"allow":false,"access":"rwm"}],"cpu":{"shares":2},"pids":{"limit":32}}}}"#;
        let (dir, r) = bundle_with(cfg);
        let c = r.unwrap();
        assert_eq!(c.memory_limit, Some(64 << 20));
        assert_eq!(c.pids_limit, Some(32));
        let w = c.warnings.join("\n");
        assert!(w.contains("linux.resources.memory.swap") && w.contains("linux.resources.cpu"), "{w}");
        assert_eq!(c.warnings.len(), 2, "{w}");
        std::fs::remove_dir_all(dir).unwrap();
        let cfg = r#"{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0}},
            "root":{"path":"rootfs"},"linux":{"resources":{"memory":{"limit":-1}}}}"#;
        let (dir, r) = bundle_with(cfg);
        assert_eq!(r.unwrap().memory_limit, None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn capability_names() {
        assert_eq!(cap_number("CAP_CHOWN"), Some(0));
        assert_eq!(cap_number("CAP_CHECKPOINT_RESTORE"), Some(40));
        assert_eq!(cap_number("CAP_NOPE"), None);
    }
}
