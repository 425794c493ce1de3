//! Pausing, resuming and re-limiting a running container (runc's `pause`,
//! `resume` and `update`), on the kernel's freezer and controllers.

use std::time::{Duration, Instant};

use super::{LoaderError, Sandbox};
use crate::kernel::freezer;
use crate::kernel::strace::syscall_name;
use crate::loader::memory::MIN_MEMORY;
use crate::loader::state::Status;

/// How long a pause waits for every task to park.
const FREEZE_WAIT: Duration = Duration::from_secs(10);

impl Sandbox {
    /// Freezes (`paused`) or thaws container `id`. Only a running container
    /// can be paused and only a paused one resumed; a pause returns once no
    /// task of the container runs code any more.
    pub fn set_paused(&self, id: &str, paused: bool) -> Result<(), LoaderError> {
        let tag = {
            let t = self.lock();
            let c = t.live(id)?;
            let (from, to) = if paused { (Status::Running, "running") } else { (Status::Paused, "paused") };
            if c.shown_status() != from {
                return Err(LoaderError::WrongState(id.to_string(), c.shown_status().as_str(), to));
            }
            c.tag.clone()
        };
        freezer::set_frozen(&self.kernel, &tag, paused);
        if paused {
            let deadline = Instant::now() + FREEZE_WAIT;
            while !freezer::frozen(&self.kernel, &tag) {
                if Instant::now() >= deadline {
                    let busy: Vec<String> = freezer::unfrozen(&self.kernel, &tag)
                        .iter()
                        .map(|t| match t.current_syscall() {
                            Some(s) => format!("{} in {}", t.tid.nr_in(tag.pidns()), syscall_name(s.nr)),
                            None => t.tid.nr_in(tag.pidns()).to_string(),
                        })
                        .collect();
                    freezer::set_frozen(&self.kernel, &tag, false);
                    return Err(LoaderError::Process(format!(
                        "container {id:?} did not freeze within {} s (still running: {}); thawed again",
                        FREEZE_WAIT.as_secs(),
                        busy.join(", ")
                    )));
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        if let Some(c) = self.lock().containers.get(id) {
            self.persist(c);
        }
        Ok(())
    }

    /// Sets container `id`'s memory limit (bytes, `UNLIMITED` for none)
    /// and pids limit, those given. A memory limit below what the
    /// container holds now is refused: the sandbox cannot reclaim memory
    /// (Linux would reclaim or OOM-kill down to it).
    pub fn update(&self, id: &str, memory: Option<u64>, pids: Option<u64>) -> Result<(), LoaderError> {
        let tag = self.tag(id)?;
        if let Some(limit) = memory.filter(|&m| m < MIN_MEMORY) {
            return Err(LoaderError::Invalid(id.to_string(), format!("memory limit {limit} is below 4 MiB")));
        }
        if pids == Some(0) {
            return Err(LoaderError::Invalid(id.to_string(), "a pids limit must be at least 1".into()));
        }
        if let Some(limit) = memory {
            tag.memory.change_limit(limit).map_err(|_| {
                let used = tag.memory.usage();
                LoaderError::Invalid(
                    id.to_string(),
                    format!("memory limit {limit} is below the {used} bytes the container holds now"),
                )
            })?;
        }
        if let Some(p) = pids {
            tag.pids.set_limit(p);
        }
        Ok(())
    }
}
