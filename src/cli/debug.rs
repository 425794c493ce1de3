//! `husk debug`: looking inside a running sandbox through its control
//! socket: `inspect` a process, `strace` a container live, its `mounts`
//! and its `net`work.

use std::io::Write;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};

use super::runtime::{read_state, Ctx};
use crate::loader::client::{self, CALL_TIMEOUT};
use crate::loader::proto::Request;

/// `husk debug`.
#[derive(Args, Debug)]
pub struct DebugArgs {
    #[command(subcommand)]
    pub what: DebugCommand,
}

/// The `husk debug` commands.
#[derive(Subcommand, Debug)]
pub enum DebugCommand {
    /// Everything about one process: state, the syscall each thread is in,
    /// credentials, signals, descriptors, memory maps, resource limits.
    Inspect {
        /// Print the sandbox's answer as JSON.
        #[arg(long)]
        json: bool,
        /// The container id.
        id: String,
        /// The process (a pid in the sandbox).
        pid: i32,
    },
    /// Print the syscalls of a container's processes as they happen (of
    /// one process and the children it forks from now on, with PID), until
    /// interrupted or the traced processes are gone.
    Strace {
        /// The container id.
        id: String,
        /// Only this process (a pid in the sandbox) and its new children.
        pid: Option<i32>,
    },
    /// Print the container's mount table (as /proc/PID/mountinfo of its init).
    Mounts {
        /// The container id.
        id: String,
    },
    /// Print the sandbox's network: interfaces, routes and sockets.
    Net {
        /// The container id.
        id: String,
    },
}

/// `husk debug ...`.
pub fn debug(ctx: &Ctx, a: &DebugArgs) -> Result<i32> {
    match &a.what {
        DebugCommand::Inspect { json, id, pid } => inspect(ctx, id, *pid, *json),
        DebugCommand::Strace { id, pid } => strace(ctx, id, pid.unwrap_or(0)),
        DebugCommand::Mounts { id } => text(ctx, id, Request::Mounts { id: id.clone() }),
        DebugCommand::Net { id } => text(ctx, id, Request::Net { id: id.clone() }),
    }
}

fn inspect(ctx: &Ctx, id: &str, pid: i32, json: bool) -> Result<i32> {
    if pid <= 0 {
        bail!("PID ({pid}) must be positive");
    }
    let st = read_state(ctx, id)?;
    let r = client::call(&ctx.state, &st, &Request::Inspect { id: id.to_string(), pid }, &[], Some(CALL_TIMEOUT))?;
    let Some(d) = r.inspect else { bail!("the sandbox sent no answer about process {pid}") };
    if json {
        println!("{}", serde_json::to_string_pretty(&d)?);
    } else {
        print!("{}", super::inspect::render(&d));
    }
    Ok(0)
}

fn text(ctx: &Ctx, id: &str, req: Request) -> Result<i32> {
    let st = read_state(ctx, id)?;
    let r = client::call(&ctx.state, &st, &req, &[], Some(CALL_TIMEOUT))?;
    print!("{}", r.text.unwrap_or_default());
    Ok(0)
}

fn strace(ctx: &Ctx, id: &str, pid: i32) -> Result<i32> {
    if pid < 0 {
        bail!("PID ({pid}) must be positive");
    }
    let st = read_state(ctx, id)?;
    let sock = client::connect(&ctx.state, &st)?;
    // The first reply says tracing is on.
    client::call_on(&sock, &Request::Strace { id: id.to_string(), pid }, &[], Some(CALL_TIMEOUT))?;
    sock.set_read_timeout(None)?;
    let mut out = std::io::stdout();
    while let Some(r) = client::next(&sock)? {
        if let Some(line) = r.line {
            if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
                // Our reader went away: hang up, which ends the tracing.
                break;
            }
        }
    }
    Ok(0)
}
