//! husk: a sandbox for Linux programs with a user-space kernel.

mod kernel;
mod loader;
mod platform;
mod tty;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// husk runs Linux programs in a sandbox: a user-space kernel (the sentry)
/// intercepts every system call they make and serves it itself.
#[derive(Parser, Debug)]
#[command(name = "husk", version, about, long_about = None)]
struct Cli {
    /// Log verbosity: error, warn, info, debug or trace (or a tracing filter).
    #[arg(long, global = true, default_value = "error", value_name = "LEVEL")]
    log_level: String,
    /// Write logs to this file instead of stderr.
    #[arg(long, global = true, value_name = "FILE")]
    log_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Network modes of a sandbox.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Network {
    /// No network at all.
    None,
    /// The sandbox's own user-space network stack.
    Sandbox,
    /// The host's network.
    Host,
}

#[derive(Subcommand, Debug)]
enum Command {
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
        /// Network mode. Sockets are not served yet in any mode (they fail
        /// with ENOSYS); the flag is accepted for the coming network stack.
        #[arg(long, value_enum, default_value = "sandbox")]
        network: Network,
        /// Set an environment variable (repeatable); the caller's environment is passed through otherwise.
        #[arg(short = 'e', long = "env", value_name = "KEY=VAL")]
        env: Vec<String>,
        /// Working directory inside the sandbox (default: the current one if it exists there, else /).
        #[arg(long, value_name = "DIR")]
        cwd: Option<String>,
        /// The command and its arguments.
        #[arg(
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "CMD"
        )]
        cmd: Vec<String>,
    },
}

fn init_logging(cli: &Cli) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log_level)
        .map_err(|e| anyhow::anyhow!("invalid --log-level {:?}: {e}", cli.log_level))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    match &cli.log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| anyhow::anyhow!("cannot open log file {}: {e}", path.display()))?;
            builder
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file))
                .init();
        }
        None => builder.with_writer(std::io::stderr).init(),
    }
    Ok(())
}

/// Merges `-e KEY=VAL` settings into the caller's environment.
fn build_env(overrides: &[String]) -> anyhow::Result<Vec<String>> {
    let mut env: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    for o in overrides {
        let (k, v) = o
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("-e {o:?}: expected KEY=VAL"))?;
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
    if let Err(e) = init_logging(&cli) {
        eprintln!("husk: {e}");
        return ExitCode::from(2);
    }
    match cli.command {
        None => {
            eprintln!("husk: the interactive console is not available yet; see `husk --help` (try `husk do -- CMD`)");
            ExitCode::from(2)
        }
        Some(Command::Do {
            root,
            strace,
            tty,
            console,
            network,
            env,
            cwd,
            cmd,
        }) => {
            if network == Network::Host {
                tracing::warn!("--network=host: sockets are not served yet");
            }
            let env = match build_env(&env) {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("husk: {e}");
                    return ExitCode::from(2);
                }
            };
            if let Err(e) = platform::ptrace::init() {
                eprintln!("husk: {e}");
                return ExitCode::from(125);
            }
            let spec = loader::DoSpec {
                root,
                cwd,
                env,
                argv: cmd,
                strace,
                tty,
                console,
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
