//! husk: a sandbox for Linux programs with a user-space kernel.

mod cli;
mod kernel;
mod loader;
mod netstack;
mod platform;
mod repl;
mod tty;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// husk runs Linux programs in a sandbox: a user-space kernel (the sentry)
/// intercepts every system call they make and serves it itself.
///
/// With no command, husk opens its interactive console: run sandboxes,
/// attach this terminal to programs inside them, signal, wait, inspect
/// (see `husk console --help`).
#[derive(Parser, Debug)]
#[command(
    name = "husk",
    version,
    about,
    after_help = "With no command, husk opens the interactive console (`husk console`); type `help` there."
)]
struct Cli {
    /// Log verbosity: error, warn, info, debug or trace (or a tracing filter);
    /// default: error (debug with --debug).
    #[arg(long, global = true, value_name = "LEVEL")]
    log_level: Option<String>,
    /// Write logs to this file instead of stderr (also `--log`, as runc).
    #[arg(long, visible_alias = "log", global = true, value_name = "FILE")]
    log_file: Option<PathBuf>,
    /// Log line format: text, or json (runc's `{"level","msg","time"}` lines).
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: cli::runc::LogFormat,
    /// Log at debug level (as runc's --debug).
    #[arg(long, global = true)]
    debug: bool,
    /// Accepted for runc compatibility: husk uses no cgroups (warned about).
    #[arg(long, global = true)]
    systemd_cgroup: bool,
    /// Accepted for runc compatibility (true, false or auto): husk needs no
    /// privileges of its own either way.
    #[arg(long, global = true, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    rootless: Option<String>,
    /// Accepted for runc compatibility: checkpointing is not supported.
    #[arg(long, global = true, value_name = "PATH", hide = true)]
    criu: Option<PathBuf>,
    /// The runtime's state directory (given before the subcommand, as in
    /// runc and runsc; `husk do --root` is `do`'s root file system).
    #[arg(long = "root", visible_alias = "root-dir", value_name = "DIR", default_value = loader::state::DEFAULT_ROOT)]
    state_root: PathBuf,
    /// Run the sentry without its seccomp filter (less secure; for debugging).
    #[arg(long, global = true)]
    no_seccomp: bool,
    /// How application code runs: systrap (seccomp traps served through
    /// shared memory; fast) or ptrace (PTRACE_SYSEMU stops).
    #[arg(long, global = true, value_enum, env = "HUSK_PLATFORM", default_value = "systrap")]
    platform: platform::Kind,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Network modes of a sandbox.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Network {
    /// Loopback only.
    None,
    /// The sandbox's own user-space network stack.
    Sandbox,
    /// The host's network.
    Host,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The interactive console (also `husk` with no command): launch
    /// sandboxes, attach to their terminals, signal, wait on and inspect
    /// them live.
    ///
    /// Reads commands from the terminal with line editing, history
    /// ($XDG_STATE_HOME/husk/history) and Tab completion; or from --script
    /// FILE, or from stdin when it is not a terminal. Sandboxes it starts
    /// are destroyed when it leaves, unless --keep.
    Console(repl::ConsoleArgs),
    /// Run a command in a fresh sandbox and exit with its status, like `runsc do`.
    ///
    /// The root file system is the host directory given by --root (default
    /// `/`), seen read-only under an in-memory layer: nothing the command
    /// writes reaches the host. Exit status: the command's, or 128+N if a
    /// signal N killed it; 127 if the command or root is not found, 126 if
    /// it cannot be executed.
    #[command(arg_required_else_help = true)]
    Do {
        /// Host directory to use as the sandbox's root file system.
        #[arg(long, default_value = "/", value_name = "DIR")]
        root: PathBuf,
        /// Log every system call to stderr, with decoded arguments and results.
        #[arg(long)]
        strace: bool,
        /// Give the command a terminal: a sandbox pty as its controlling terminal and
        /// stdio, attached to this terminal (raw mode, window size followed).
        #[arg(short = 't', long = "tty", conflicts_with = "console")]
        tty: bool,
        /// Console mode: pass this terminal itself through as the command's stdio; the
        /// sandbox keeps job control and gets Ctrl-C, Ctrl-Z and window changes.
        #[arg(long)]
        console: bool,
        /// Network mode: `sandbox` (the sentry's own TCP/IP stack), `none`
        /// (loopback only) or `host` (AF_INET/AF_INET6 sockets on the host).
        #[arg(long, value_enum, default_value = "sandbox")]
        network: Network,
        /// Set an environment variable (repeatable); the caller's environment is passed through otherwise.
        #[arg(short = 'e', long = "env", value_name = "KEY=VAL")]
        env: Vec<String>,
        /// Working directory inside the sandbox (default: the current one if it exists there, else /).
        #[arg(long, value_name = "DIR")]
        cwd: Option<String>,
        /// Bind-mount host path SRC at DST in the sandbox (repeatable); `:ro` makes it
        /// read-only. Writes below a read-write mount reach the host, confined to SRC.
        #[arg(long = "mount", value_name = "SRC:DST[:ro]")]
        mounts: Vec<String>,
        /// Memory limit of the sandbox (bytes, or with a k, m or g suffix), as
        /// `docker run --memory`: past it the OOM killer ends its largest process.
        /// Shown in /sys/fs/cgroup/memory.max.
        #[arg(short = 'm', long, value_name = "SIZE", value_parser = cli::size::parse_memory)]
        memory: Option<u64>,
        /// Most tasks (threads) the sandbox may hold at once, as `docker run
        /// --pids-limit`: a fork past it fails with EAGAIN.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        pids_limit: Option<u64>,
        /// Run the command as this user (and group), as `docker run --user`:
        /// NAME|UID[:GROUP|GID], names looked up in the root's /etc/passwd and
        /// /etc/group; HOME becomes the user's home unless set with -e.
        #[arg(short = 'u', long, value_name = "USER[:GROUP]")]
        user: Option<String>,
        /// The command and its arguments.
        #[arg(required = true, trailing_var_arg = true, value_name = "CMD")]
        cmd: Vec<String>,
    },
    /// Create a container from an OCI bundle (not started).
    Create(cli::CreateArgs),
    /// Start a created container.
    Start {
        /// The container id.
        id: String,
    },
    /// Create and start a container, wait for it and exit with its status.
    Run(cli::RunArgs),
    /// Run another process in a running container.
    Exec(cli::ExecArgs),
    /// Send a signal to a container's init, one process, or all of them.
    Kill(cli::KillArgs),
    /// Wait for a container's init (or one process) to exit; print its status.
    Wait(cli::WaitArgs),
    /// Freeze every process of a running container (resume thaws them).
    Pause {
        /// The container id.
        id: String,
    },
    /// Thaw a paused container.
    Resume {
        /// The container id.
        id: String,
    },
    /// Change a running container's memory or pids limit.
    Update(cli::UpdateArgs),
    /// List a container's processes.
    Ps(cli::PsArgs),
    /// Print a container's state (OCI state JSON).
    State {
        /// The container id.
        id: String,
    },
    /// List the containers.
    List(cli::ListArgs),
    /// Delete a stopped container (or a running one, with --force).
    Delete(cli::DeleteArgs),
    /// Print a container's events (exits, resource use) as JSON lines.
    Events(cli::EventsArgs),
    /// Write a default config.json for a bundle.
    Spec(cli::SpecArgs),
    /// Look inside a running sandbox: inspect a process, strace live, mounts, network.
    Debug(cli::debug::DebugArgs),
    /// The sandbox process (internal: started by create and run).
    #[command(hide = true)]
    Boot(cli::BootCliArgs),
    /// Waits for a process of a sandbox and exits with its status (internal:
    /// the host process `exec --detach --pid-file` names).
    #[command(hide = true)]
    ExecWait { id: String, pid: i32 },
}

fn init_logging(level: &str, log_file: Option<&std::path::Path>, format: cli::runc::LogFormat) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .map_err(|e| anyhow::anyhow!("invalid --log-level {level:?}: {e}"))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let json = format == cli::runc::LogFormat::Json;
    match log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| anyhow::anyhow!("cannot open log file {}: {e}", path.display()))?;
            let builder = builder.with_ansi(false).with_writer(std::sync::Mutex::new(file));
            if json {
                builder.event_format(cli::runc::RuncJson).init();
            } else {
                builder.init();
            }
        }
        None if json => builder.with_writer(std::io::stderr).event_format(cli::runc::RuncJson).init(),
        None => builder.with_writer(std::io::stderr).init(),
    }
    Ok(())
}

/// Parses `--mount SRC:DST[:ro|:rw]` arguments.
fn parse_mounts(args: &[String]) -> anyhow::Result<Vec<kernel::vfs::BindSpec>> {
    args.iter()
        .map(|a| {
            let parts: Vec<&str> = a.split(':').collect();
            let (src, dst, readonly) = match parts.as_slice() {
                [s, d] => (*s, *d, false),
                [s, d, "ro"] => (*s, *d, true),
                [s, d, "rw"] => (*s, *d, false),
                _ => anyhow::bail!("--mount {a:?}: expected SRC:DST[:ro]"),
            };
            if src.is_empty() || !dst.starts_with('/') {
                anyhow::bail!("--mount {a:?}: SRC must be given and DST must be absolute");
            }
            let source = std::fs::canonicalize(src).map_err(|e| anyhow::anyhow!("--mount {a:?}: {src}: {e}"))?;
            Ok(kernel::vfs::BindSpec { source, target: dst.to_string(), readonly })
        })
        .collect()
}

/// Merges `-e KEY=VAL` settings into the caller's environment.
fn build_env(overrides: &[String]) -> anyhow::Result<Vec<String>> {
    let mut env: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| (k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned()))
        .collect();
    for o in overrides {
        let (k, v) = o.split_once('=').ok_or_else(|| anyhow::anyhow!("-e {o:?}: expected KEY=VAL"))?;
        if k.is_empty() {
            anyhow::bail!("-e {o:?}: empty variable name");
        }
        env.retain(|(ek, _)| ek != k);
        env.push((k.to_string(), v.to_string()));
    }
    Ok(env.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_level = cli.log_level.clone().unwrap_or_else(|| if cli.debug { "debug" } else { "error" }.to_string());
    if let Some(Command::Boot(_)) = &cli.command {
        // The sandbox logs to its state directory once it has one.
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_level) {
            eprintln!("husk: invalid --log-level {log_level:?}: {e}");
            return ExitCode::from(2);
        }
    } else if let Err(e) = init_logging(&log_level, cli.log_file.as_deref(), cli.log_format) {
        eprintln!("husk: {e}");
        return ExitCode::from(2);
    }
    if cli.systemd_cgroup && !matches!(cli.command, Some(Command::Boot(_) | Command::ExecWait { .. })) {
        tracing::warn!("--systemd-cgroup: husk uses no cgroups; the sentry accounts for resources itself");
    }
    platform::select(cli.platform);
    let ctx = cli::runtime::Ctx {
        state: loader::state::StateDir::new(&cli.state_root),
        no_seccomp: cli.no_seccomp,
        log_level: log_level.clone(),
        log_file: cli.log_file.clone(),
        log_format: cli.log_format,
    };
    let logged = cli.log_file.is_some();
    let runtime = |r: anyhow::Result<i32>| match r {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            // The runc shim reports the last error line of --log.
            if logged {
                tracing::error!("{e:#}");
            }
            eprintln!("husk: {e:#}");
            ExitCode::from(1)
        }
    };
    match cli.command {
        Some(Command::Create(a)) => runtime(cli::runtime::create(&ctx, &a)),
        Some(Command::Start { id }) => runtime(cli::runtime::start(&ctx, &id)),
        Some(Command::Run(a)) => runtime(cli::runtime::run(&ctx, &a)),
        Some(Command::Exec(a)) => runtime(cli::runtime::exec(&ctx, &a)),
        Some(Command::Kill(a)) => runtime(cli::runtime::kill(&ctx, &a)),
        Some(Command::Wait(a)) => runtime(cli::runtime::wait(&ctx, &a)),
        Some(Command::Pause { id }) => runtime(cli::pause::set_paused(&ctx, &id, true)),
        Some(Command::Resume { id }) => runtime(cli::pause::set_paused(&ctx, &id, false)),
        Some(Command::Update(a)) => runtime(cli::pause::update(&ctx, &a)),
        Some(Command::Ps(a)) => runtime(cli::runtime::ps(&ctx, &a)),
        Some(Command::State { id }) => runtime(cli::runtime::state(&ctx, &id)),
        Some(Command::List(a)) => runtime(cli::runtime::list(&ctx, &a)),
        Some(Command::Delete(a)) => runtime(cli::runtime::delete(&ctx, &a)),
        Some(Command::Events(a)) => runtime(cli::runtime::events(&ctx, &a)),
        Some(Command::Spec(a)) => runtime(cli::runtime::spec(&a)),
        Some(Command::Debug(a)) => runtime(cli::debug::debug(&ctx, &a)),
        Some(Command::ExecWait { id, pid }) => ExitCode::from(cli::runc::exec_wait(&ctx, &id, pid).clamp(0, 255) as u8),
        Some(Command::Boot(a)) => {
            let (level, file, format) = (log_level.clone(), cli.log_file.clone(), cli.log_format);
            let init_log = move |default: &std::path::Path| {
                let _ = init_logging(&level, Some(file.as_deref().unwrap_or(default)), format);
            };
            ExitCode::from(cli::runtime::boot(&ctx, &a, &init_log).clamp(0, 255) as u8)
        }
        Some(Command::Console(a)) => ExitCode::from(repl::run(ctx, &a).clamp(0, 255) as u8),
        None => ExitCode::from(repl::run(ctx, &repl::ConsoleArgs::default_args()).clamp(0, 255) as u8),
        Some(Command::Do {
            root,
            strace,
            tty,
            console,
            network,
            env: env_args,
            cwd,
            mounts,
            memory,
            pids_limit,
            user,
            cmd,
        }) => {
            let mounts = match parse_mounts(&mounts) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("husk: {e}");
                    return ExitCode::from(2);
                }
            };
            let mut env = match build_env(&env_args) {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("husk: {e}");
                    return ExitCode::from(2);
                }
            };
            let user = match user.as_deref().map(|u| (u, loader::user::resolve(&root, u))) {
                None => None,
                Some((_, Ok(u))) => Some(u),
                Some((spec, Err(e))) => {
                    eprintln!("husk: --user {spec}: {e}");
                    return ExitCode::from(2);
                }
            };
            if let Some(u) = &user {
                if !env_args.iter().any(|e| e.starts_with("HOME=")) {
                    env.retain(|e| !e.starts_with("HOME="));
                    env.push(format!("HOME={}", u.home));
                }
            }
            // What the command inherits from the caller, read while umask(2)
            // is still allowed.
            let (umask, rlimits) = (loader::host_umask(), loader::host_rlimits());
            let ignored = loader::host_ignored_signals();
            if let Err(e) = platform::init() {
                eprintln!("husk: {e}");
                return ExitCode::from(125);
            }
            // Before the first application instruction: the sentry's own filter.
            if cli.no_seccomp {
                loader::seccomp::warn_disabled();
            } else if let Err(e) = loader::seccomp::install() {
                eprintln!("husk: {e}");
                return ExitCode::from(125);
            }
            let spec = loader::DoSpec {
                root,
                cwd,
                mounts,
                env,
                argv: cmd,
                strace,
                tty,
                console,
                // Network mode (netstack issue).
                network: match network {
                    Network::None => netstack::NetworkMode::None,
                    Network::Sandbox => netstack::NetworkMode::Sandbox,
                    Network::Host => netstack::NetworkMode::Host,
                },
                umask,
                rlimits,
                ignored,
                memory_limit: memory,
                pids_limit,
                user,
            };
            match loader::run_do(&spec) {
                Ok(status) => ExitCode::from(status.shell_code() as u8),
                Err(e) => {
                    eprintln!("husk: {e}");
                    ExitCode::from(e.exit_code() as u8)
                }
            }
        }
    }
}
