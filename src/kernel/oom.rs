//! The OOM killer of a container (see `mm/account.rs`): a charge that would
//! pass the container's memory limit ends its largest process with SIGKILL,
//! as Linux's memory cgroup does when a charge fails, and the charge is
//! tried again once the victim's memory is back.
//!
//! The largest process is the one whose address space commits the most;
//! the caller's process counts with the charge it asked for (under Linux
//! it would have faulted those pages in by then). Processes sharing one
//! address space (vfork) count once. A process already dying frees its
//! memory soon: the killer waits for it rather than choosing another, as
//! Linux does. `oom_score_adj` is not kept by the sandbox, so it plays no
//! part.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::kernel::errno::Errno;
use crate::kernel::signal::send::{send, Origin, Target};
use crate::kernel::signal::SigInfo;
use crate::kernel::task::{Task, ThreadGroup};

/// How long the killer waits for a victim to give its memory back.
const VICTIM_WAIT: Duration = Duration::from_secs(2);

/// Whether `tg` is dying or dead (its memory is on its way back).
fn dying(tg: &ThreadGroup) -> bool {
    tg.sig.lock().unwrap_or_else(|e| e.into_inner()).exiting.is_some()
        || tg.life.lock().unwrap_or_else(|e| e.into_inner()).zombie.is_some()
}

/// Makes room for `need` more bytes in the caller's container. Ok when the
/// caller may try its charge again; ENOMEM when the caller's own process
/// was chosen (it dies of the SIGKILL on its way out of the syscall).
pub fn out_of_memory(t: &Task, need: u64) -> Result<(), Errno> {
    let tag = t.tg.container.clone();
    let account = tag.memory.clone();
    let members: Vec<Arc<ThreadGroup>> =
        t.kernel.procs().groups.values().filter(|g| Arc::ptr_eq(&g.container, &tag)).cloned().collect();
    let mut seen_mms = Vec::new();
    let mut victim: Option<(u64, Arc<ThreadGroup>)> = None;
    let mut waiting_for_dying = false;
    for g in &members {
        let mm = g.mm();
        if seen_mms.iter().any(|m| Arc::ptr_eq(m, &mm)) {
            continue;
        }
        let mut size = mm.committed();
        seen_mms.push(mm);
        if dying(g) {
            waiting_for_dying |= size > 0;
            continue;
        }
        if Arc::ptr_eq(g, &t.tg) {
            size = size.saturating_add(need);
        }
        if victim.as_ref().is_none_or(|(s, _)| size > *s) {
            victim = Some((size, g.clone()));
        }
    }
    if !waiting_for_dying {
        let Some((_, v)) = victim else {
            return Err(Errno::ENOMEM);
        };
        tracing::info!(
            container = tag.id(),
            pid = v.gpid(),
            need,
            "memory limit reached: OOM-killing the largest process"
        );
        account.count_oom_kill();
        // A kernel SIGKILL: it reaches even the container's init.
        send(&t.kernel, Target::Group(&v), SigInfo::kernel(libc::SIGKILL), Origin::Kernel);
        t.kernel.exits.oom_killed(&tag, v.pid.nr_in(tag.pidns()));
        if Arc::ptr_eq(&v, &t.tg) {
            return Err(Errno::ENOMEM);
        }
    }
    // The victim's memory comes back when its address space goes (exit).
    let deadline = Instant::now() + VICTIM_WAIT;
    let _ = t.kernel.exits.wait_for(Some(deadline), || account.fits(need).then_some(()));
    Ok(())
}
