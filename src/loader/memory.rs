//! A container's memory as the loader shows it: the limit from its bundle
//! (`linux.resources.memory.limit`, enforced by the kernel's accounting,
//! kernel/mm/account.rs) and the figures `events --stats` and `state`
//! report, in the shape of runc's `memory` statistics.

use std::sync::Arc;

use serde_json::{json, Value};

use super::oci::ContainerConfig;
use crate::kernel::container::ContainerTag;
use crate::kernel::mm::account::UNLIMITED;
use crate::kernel::ns::NsProxy;
use crate::kernel::task::ThreadGroup;

/// The smallest memory limit a container can be given: less would not
/// hold a process.
pub const MIN_MEMORY: u64 = 4 << 20;

/// A new container's tag, with its memory and pids limits set.
pub fn new_tag(id: &str, cfg: &ContainerConfig, ns: NsProxy) -> Arc<ContainerTag> {
    let tag = ContainerTag::new(id, ns);
    tag.memory.set_limit(cfg.memory_limit.unwrap_or(UNLIMITED));
    tag.pids.set_limit(cfg.pids_limit.unwrap_or(crate::kernel::cgroup::UNLIMITED));
    if let Some(p) = &cfg.seccomp {
        tag.set_seccomp(p.clone());
    }
    tag
}

/// Resident anonymous memory of a process's stub, in bytes.
fn resident_anon(tg: &ThreadGroup) -> u64 {
    let Some(task) = tg.task_list().into_iter().next() else { return 0 };
    let (pid, _) = *task.host.lock().unwrap_or_else(|e| e.into_inner());
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| -> u64 {
        status.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0)
    };
    (kb("RssAnon:") + kb("RssShmem:")) * 1024
}

/// The memory figures of a container whose live processes are `members`:
/// `usage` is what its address spaces commit and its in-memory files hold
/// (what the limit applies to),
/// `max` its peak, `failcnt` the charges that hit the limit, `oomKills` the
/// processes the OOM killer ended, `resident` the anonymous memory its
/// processes hold now. `limit` is null without one.
pub fn stats_json(tag: &ContainerTag, members: &[Arc<ThreadGroup>]) -> Value {
    let s = tag.memory.stats();
    let mut seen = Vec::new();
    let mut resident = 0;
    for g in members {
        let mm = g.mm();
        if !seen.iter().any(|m| Arc::ptr_eq(m, &mm)) {
            seen.push(mm);
            resident += resident_anon(g);
        }
    }
    json!({
        "usage": {
            "limit": (s.limit != UNLIMITED).then_some(s.limit),
            "usage": s.usage,
            "max": s.max_usage,
            "failcnt": s.failcnt,
        },
        "oomKills": s.oom_kills,
        "resident": resident,
    })
}
