//! Small per-process settings of `/proc/<pid>`: `coredump_filter`, the
//! legacy `oom_adj` (a scaled view of `oom_score_adj`) and `cpuset`.

use crate::kernel::errno::Errno;
use crate::kernel::oom::ADJ_MAX;
use crate::kernel::task::ThreadGroup;
use crate::kernel::vfs::kstrto::number_base0;

/// The coredump_filter bits Linux keeps (MMF_DUMP_FILTER_BITS: anonymous
/// private and shared, file private and shared, ELF headers, huge pages
/// private and shared, DAX private and shared).
const DUMP_FILTER_MASK: u32 = (1 << 9) - 1;

/// The legacy range of `oom_adj` (OOM_ADJUST_MIN..OOM_ADJUST_MAX) and
/// OOM_DISABLE, which stands for `oom_score_adj` -1000.
const OOM_ADJUST_MIN: i32 = -16;
const OOM_ADJUST_MAX: i32 = 15;
const OOM_DISABLE: i32 = -17;

/// `coredump_filter`: the filter bits in 8 hex digits; nothing for a zombie
/// (it has no address space left).
pub fn coredump_filter(tg: &ThreadGroup, zombie: bool) -> Vec<u8> {
    if zombie {
        return Vec::new();
    }
    let v = tg.coredump_filter.load(std::sync::atomic::Ordering::Relaxed);
    format!("{v:08x}\n").into_bytes()
}

/// A write to `coredump_filter`: an unsigned number whose known bits are
/// kept.
pub fn set_coredump_filter(tg: &ThreadGroup, data: &[u8]) -> Result<(), Errno> {
    let v = number_base0(data)?;
    let v = u32::try_from(v).map_err(|_| if v < 0 { Errno::EINVAL } else { Errno::ERANGE })?;
    tg.coredump_filter.store(v & DUMP_FILTER_MASK, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// `oom_adj`: `oom_score_adj` scaled to -17..15 (the maximum stays the
/// maximum).
pub fn oom_adj(tg: &ThreadGroup) -> Vec<u8> {
    let adj = tg.oom_adj.get();
    let legacy = if adj == ADJ_MAX { OOM_ADJUST_MAX } else { adj * -OOM_DISABLE / ADJ_MAX };
    format!("{legacy}\n").into_bytes()
}

/// A write to `oom_adj`: -17..15, scaled to `oom_score_adj` (15 to the
/// maximum); lowering it needs CAP_SYS_RESOURCE.
pub fn set_oom_adj(tg: &ThreadGroup, data: &[u8], privileged: bool) -> Result<(), Errno> {
    if crate::kernel::task::procs::is_zombie(tg) {
        return Err(Errno::EINVAL);
    }
    let s = std::str::from_utf8(data).map_err(|_| Errno::EINVAL)?.trim();
    let v = i32::try_from(number_base0(s.as_bytes())?).map_err(|_| Errno::ERANGE)?;
    if !(OOM_ADJUST_MIN..=OOM_ADJUST_MAX).contains(&v) && v != OOM_DISABLE {
        return Err(Errno::EINVAL);
    }
    let adj = if v == OOM_ADJUST_MAX { ADJ_MAX } else { v * ADJ_MAX / -OOM_DISABLE };
    tg.oom_adj.set_legacy(adj, privileged)
}

/// `cpuset`: every process is in the root cpuset (the sandbox has no
/// cgroups of its own; `cgroup` says `/` too).
pub fn cpuset() -> Vec<u8> {
    b"/\n".to_vec()
}
