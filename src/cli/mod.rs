//! The runtime CLI, following runc and runsc: `create`, `start`, `run`,
//! `exec`, `kill`, `wait`, `ps`, `state`, `list`, `delete`, `events`,
//! `spec`, the internal `boot`, and `debug` (inspect, strace, mounts, net). Each command parses its arguments,
//! talks to the sandbox through its control socket (or reads the state
//! directory), prints, and returns an exit code. Errors are one line on
//! stderr and exit code 1.

pub mod debug;
pub mod inspect;
pub mod pause;
pub mod runc;
pub mod runtime;
pub mod signals;
pub mod size;
pub mod term;

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// `husk create`.
#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The bundle directory (holding config.json); default: the current one.
    #[arg(short = 'b', long, value_name = "DIR")]
    pub bundle: Option<PathBuf>,
    /// A unix socket to which the container's terminal master is sent
    /// (when process.terminal is set), as runc does.
    #[arg(long, value_name = "PATH")]
    pub console_socket: Option<PathBuf>,
    /// Write the sandbox process's pid to this file.
    #[arg(long, value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
    /// Create the container inside the running sandbox with this id (a pod)
    /// instead of in a new sandbox.
    #[arg(long, value_name = "ID")]
    pub sandbox: Option<String>,
    /// Log every system call of the sandbox (to its log).
    #[arg(long)]
    pub strace: bool,
    /// Network of a new sandbox: none (loopback only), sandbox (the sentry's
    /// own stack) or host (host sockets).
    #[arg(long, value_enum, default_value = "sandbox")]
    pub network: NetworkArg,
    /// Accepted for runc compatibility: the sandbox never pivots a host root.
    #[arg(long)]
    pub no_pivot: bool,
    /// Accepted for runc compatibility: the sandbox has no host session keyring.
    #[arg(long)]
    pub no_new_keyring: bool,
    /// Pass N more descriptors (from 3) to the process, as runc; only 0 is supported.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub preserve_fds: u32,
    /// The container id.
    pub id: String,
}

/// `husk run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub create: CreateArgs,
    /// Do not wait: print nothing and leave the container running.
    #[arg(short = 'd', long)]
    pub detach: bool,
}

/// `husk exec`.
#[derive(Args, Debug)]
pub struct ExecArgs {
    /// Working directory in the container (default: the container's).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<String>,
    /// Set an environment variable (repeatable), on top of the container's.
    #[arg(short = 'e', long = "env", value_name = "KEY=VAL")]
    pub env: Vec<String>,
    /// User (and group) to run as: UID or UID:GID.
    #[arg(short = 'u', long, value_name = "UID[:GID]")]
    pub user: Option<String>,
    /// Additional group ids (repeatable).
    #[arg(short = 'g', long = "additional-gids", value_name = "GID")]
    pub additional_gids: Vec<u32>,
    /// Give the process a terminal (a pty of the sandbox) attached to this one.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Do not wait for the process.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Write the host pid that stands for the process to this file (as runc):
    /// this command's own, or with --detach a waiter's, which exits with the
    /// process's status and passes signals on to it.
    #[arg(long, value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
    /// Write the process's pid in the sandbox to this file.
    #[arg(long, value_name = "FILE")]
    pub sandbox_pid_file: Option<PathBuf>,
    /// The process as an OCI `process` JSON object (as runc); CMD and the
    /// other process options are then not given.
    #[arg(short = 'p', long, value_name = "FILE", conflicts_with_all = ["cmd", "cwd", "env", "user", "additional_gids", "tty"])]
    pub process: Option<PathBuf>,
    /// With a terminal (-t or process.terminal): send its master to this unix
    /// socket instead of showing it here (as runc).
    #[arg(long, value_name = "PATH")]
    pub console_socket: Option<PathBuf>,
    /// The container id.
    pub id: String,
    /// The command and its arguments.
    #[arg(required_unless_present = "process", trailing_var_arg = true, value_name = "CMD")]
    pub cmd: Vec<String>,
}

/// `husk kill`.
#[derive(Args, Debug)]
pub struct KillArgs {
    /// Send the signal to every process of the container.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Send the signal to this process (a pid in the sandbox) instead of the init.
    #[arg(long, value_name = "PID")]
    pub pid: Option<i32>,
    /// Send the signal to the foreground process group of the process's terminal.
    #[arg(long)]
    pub foreground: bool,
    /// The container id.
    pub id: String,
    /// Signal name or number (default SIGTERM).
    #[arg(default_value = "SIGTERM")]
    pub signal: String,
}

/// `husk update`.
#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// A JSON file of OCI `linux.resources` to apply (`-` for stdin), as
    /// runc update reads: `memory.limit` and `pids.limit` are applied.
    #[arg(short = 'r', long, value_name = "FILE")]
    pub resources: Option<PathBuf>,
    /// Memory limit (e.g. 512m, 2g; -1 for none).
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub memory: Option<String>,
    /// Most tasks the container may hold (-1 for no limit).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub pids_limit: Option<String>,
    /// The container id.
    pub id: String,
}

/// `husk wait`.
#[derive(Args, Debug)]
pub struct WaitArgs {
    /// Wait for this process (a pid in the sandbox) instead of the init.
    #[arg(long, value_name = "PID")]
    pub pid: Option<i32>,
    /// The container id.
    pub id: String,
}

/// Network modes of a sandbox.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum NetworkArg {
    None,
    Sandbox,
    Host,
}

impl NetworkArg {
    /// The kernel's mode.
    pub fn mode(self) -> crate::netstack::NetworkMode {
        match self {
            NetworkArg::None => crate::netstack::NetworkMode::None,
            NetworkArg::Sandbox => crate::netstack::NetworkMode::Sandbox,
            NetworkArg::Host => crate::netstack::NetworkMode::Host,
        }
    }
}

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

/// `husk ps`.
#[derive(Args, Debug)]
pub struct PsArgs {
    #[arg(short = 'f', long, value_enum, default_value = "table")]
    pub format: Format,
    /// Table with more columns: the terminal's foreground group, CPU time,
    /// memory and the syscall the process waits in.
    #[arg(short = 'l', long)]
    pub long: bool,
    /// The container id.
    pub id: String,
}

/// `husk list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    #[arg(short = 'f', long, value_enum, default_value = "table")]
    pub format: Format,
    /// Print the ids only.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// `husk delete`.
#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// Kill the container first if it is still running.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// The container id.
    pub id: String,
}

/// `husk events`.
#[derive(Args, Debug)]
pub struct EventsArgs {
    /// How often to report resource use (e.g. 5s, 500ms).
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub interval: String,
    /// Print resource use once and exit.
    #[arg(long)]
    pub stats: bool,
    /// The container id.
    pub id: String,
}

/// `husk spec`.
#[derive(Args, Debug)]
pub struct SpecArgs {
    /// Where to write config.json (default: the current directory).
    #[arg(short = 'b', long, value_name = "DIR")]
    pub bundle: Option<PathBuf>,
    /// Write a process without a terminal (default: with one, as runc).
    #[arg(long)]
    pub no_terminal: bool,
}

/// `husk boot` (internal: started by `create` and `run`).
#[derive(Args, Debug)]
pub struct BootCliArgs {
    #[arg(long, value_name = "DIR")]
    pub bundle: PathBuf,
    #[arg(long, value_name = "PATH")]
    pub console_socket: Option<PathBuf>,
    #[arg(long, value_name = "FD")]
    pub terminal_fd: Option<i32>,
    #[arg(long, value_name = "FD")]
    pub ready_fd: Option<i32>,
    #[arg(long)]
    pub strace: bool,
    #[arg(long, value_enum, default_value = "sandbox")]
    pub network: NetworkArg,
    pub id: String,
}
