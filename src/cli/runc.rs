//! What containerd's runc shim (go-runc) needs of a runtime beyond the
//! husk CLI: runc's JSON log lines (the shim reads the last
//! `{"level":"error"}` line of `--log` to report a failure), `exec
//! --process FILE`, a terminal for `exec` through `--console-socket`, and
//! the host process that stands for an exec'd sandbox process (`exec-wait`:
//! the shim waits for the pid in `--pid-file` and signals it).

use std::fmt::Write as _;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;

use anyhow::{anyhow, Context, Result};
use clap::ValueEnum;
use tracing::field::{Field, Visit};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::runtime::{forward_signals, wait_exit, Ctx};
use crate::loader::oci::{self, ProcessConfig};
use crate::loader::proto::SignalMode;

/// How log lines are written (runc's `--log-format`).
#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    /// One JSON object a line: `{"level":"error","msg":"...","time":"..."}`, as runc.
    Json,
}

/// Formats events as runc's JSON log lines.
pub struct RuncJson;

/// Collects an event's message and fields as `msg key=value ...`.
struct Msg(String);

impl Visit for Msg {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl<S, N> FormatEvent<S, N> for RuncJson
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut msg = Msg(String::new());
        event.record(&mut msg);
        let line = serde_json::json!({
            "level": event.metadata().level().as_str().to_ascii_lowercase(),
            "msg": msg.0,
            "time": crate::loader::state::now_rfc3339(),
        });
        writeln!(w, "{line}")
    }
}

/// The process of `exec --process FILE`: an OCI `process` object, checked
/// and converted as the container's own is (in the container's bundle).
pub fn process_from_file(bundle: &Path, file: &Path) -> Result<ProcessConfig> {
    let text = std::fs::read_to_string(file).with_context(|| format!("--process {}", file.display()))?;
    let process: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("--process {}: not JSON", file.display()))?;
    let config = std::fs::read_to_string(bundle.join("config.json")).unwrap_or_else(|_| "{}".into());
    let mut spec: serde_json::Value = serde_json::from_str(&config).unwrap_or_else(|_| serde_json::json!({}));
    let obj = spec.as_object_mut().ok_or_else(|| anyhow!("{}: not a JSON object", bundle.display()))?;
    obj.insert("process".into(), process);
    obj.entry("ociVersion").or_insert_with(|| "1.0.2".into());
    obj.entry("root").or_insert_with(|| serde_json::json!({ "path": "rootfs" }));
    let cfg = oci::parse_config(bundle, &spec.to_string()).map_err(|e| anyhow!("--process {}: {e}", file.display()))?;
    Ok(cfg.process)
}

/// Starts the hidden `husk exec-wait ID PID` for sandbox process `pid` of
/// container `id`, in its own session and not waited for here: it is
/// reparented to our caller's subreaper (the shim), which reaps it.
/// Returns its host pid.
pub fn spawn_waiter(ctx: &Ctx, id: &str, pid: i32) -> Result<i32> {
    let mut cmd = ctx.husk_command()?;
    cmd.arg("exec-wait").arg(id).arg(pid.to_string());
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let child = cmd.spawn().context("starting the exec waiter")?;
    let hpid = child.id() as i32;
    // It runs on; our caller's subreaper reaps it.
    std::mem::forget(child);
    Ok(hpid)
}

/// `husk exec-wait ID PID`: waits for sandbox process `pid`, passing on the
/// signals it gets, and exits with its status (128+N for signal N; 137 if
/// the sandbox went away with it).
pub fn exec_wait(ctx: &Ctx, id: &str, pid: i32) -> i32 {
    forward_signals(ctx, id, pid, SignalMode::Process);
    match wait_exit(ctx, id, Some(pid)) {
        Ok(e) => e.shell_code(),
        Err(e) => {
            tracing::warn!("exec-wait {id} {pid}: {e:#}");
            128 + libc::SIGKILL
        }
    }
}
