//! `husk pause`, `husk resume` and `husk update`, as runc's: freeze and
//! thaw a running container's processes, change its limits live.

use std::io::Read;

use anyhow::{anyhow, bail, Context, Result};
use oci_spec::runtime::LinuxResources;

use super::runtime::{live_container, Ctx};
use super::size::{parse_memory, unlimited_or};
use super::UpdateArgs;
use crate::loader::client::{self, CALL_TIMEOUT};
use crate::loader::proto::Request;

/// `husk pause` (`paused`) and `husk resume`.
pub fn set_paused(ctx: &Ctx, id: &str, paused: bool) -> Result<i32> {
    let st = live_container(ctx, id)?;
    client::call(&ctx.state, &st, &Request::Freeze { id: id.to_string(), paused }, &[], Some(CALL_TIMEOUT))?;
    Ok(0)
}

/// `husk update`.
pub fn update(ctx: &Ctx, a: &UpdateArgs) -> Result<i32> {
    let (mut memory, mut pids) = match &a.resources {
        Some(path) => from_resources(&read_resources(path)?)?,
        None => (None, None),
    };
    if let Some(m) = &a.memory {
        memory = Some(unlimited_or(m, parse_memory).map_err(|e| anyhow!("--memory {m:?}: {e}"))?);
    }
    if let Some(p) = &a.pids_limit {
        pids = Some(unlimited_or(p, parse_pids).map_err(|e| anyhow!("--pids-limit {p:?}: {e}"))?);
    }
    if memory.is_none() && pids.is_none() {
        bail!("nothing to update: give --memory, --pids-limit or --resources FILE");
    }
    let st = live_container(ctx, &a.id)?;
    let req = Request::Update { id: a.id.clone(), memory, pids };
    client::call(&ctx.state, &st, &req, &[], Some(CALL_TIMEOUT))?;
    Ok(0)
}

/// A pids limit: a positive number.
fn parse_pids(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) | Err(_) => Err("expected a number of tasks of at least 1 (or -1 for none)".into()),
        Ok(n) => Ok(n),
    }
}

/// The `linux.resources` JSON in `path` (`-`: stdin).
fn read_resources(path: &std::path::Path) -> Result<LinuxResources> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).context("reading the resources from stdin")?;
    } else {
        text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    }
    serde_json::from_str(&text).map_err(|e| anyhow!("{}: not OCI linux.resources JSON: {e}", path.display()))
}

/// The memory and pids limits a resources document sets (negative: none),
/// with a warning for the parts the sandbox does not enforce.
fn from_resources(r: &LinuxResources) -> Result<(Option<u64>, Option<u64>)> {
    let memory = match r.memory().as_ref().and_then(|m| m.limit()) {
        None => None,
        Some(n) if n < 0 => Some(u64::MAX),
        Some(n) => Some(parse_memory(&n.to_string()).map_err(|e| anyhow!("memory.limit {n}: {e}"))?),
    };
    let pids = match r.pids().as_ref().map(|p| p.limit()) {
        None => None,
        Some(n) if n < 0 => Some(u64::MAX),
        Some(n) => Some(parse_pids(&n.to_string()).map_err(|e| anyhow!("pids.limit {n}: {e}"))?),
    };
    let ignored = [
        ("cpu", r.cpu().is_some()),
        ("blockIO", r.block_io().is_some()),
        ("hugepageLimits", r.hugepage_limits().is_some()),
        ("network", r.network().is_some()),
        ("rdma", r.rdma().is_some()),
        ("unified", r.unified().is_some()),
        ("devices", r.devices().is_some()),
    ];
    for (name, given) in ignored {
        if given {
            eprintln!("husk: warning: resources: {name} is not enforced by the sandbox (ignored)");
        }
    }
    Ok((memory, pids))
}
