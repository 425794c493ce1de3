//! Sysctl files whose values the sentry acts on: `net/core/somaxconn` (the
//! reader's network namespace caps `listen` backlogs), `vm/max_map_count`
//! (`mm/map_count.rs`), `user/max_user_namespaces` (`ns/user.rs`),
//! `fs/dir-notify-enable` (`vfs/dnotify.rs`),
//! `kernel/overflow{uid,gid}` and `kernel/core_pattern`.

use std::sync::Arc;

use crate::kernel::errno::Errno;
use crate::kernel::ns::NetNamespace;
use crate::kernel::Kernel;

/// One int written to a sysctl as Linux's proc_dointvec_minmax takes it:
/// leading blanks, an optional minus, digits, then the end or a blank;
/// EINVAL for anything else or a value outside `min..=max`.
fn int_minmax(data: &[u8], min: i32, max: i32) -> Result<i32, Errno> {
    let text = std::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
    let text = text.trim_start_matches([' ', '\t', '\n']);
    let digits_from = usize::from(text.starts_with('-'));
    let len = text[digits_from..].bytes().take_while(u8::is_ascii_digit).count() + digits_from;
    if len == digits_from {
        return Err(Errno::EINVAL);
    }
    if !text[len..].is_empty() && !text[len..].starts_with([' ', '\t', '\n']) {
        return Err(Errno::EINVAL);
    }
    let v: i64 = text[..len].parse().map_err(|_| Errno::EINVAL)?;
    i32::try_from(v).ok().filter(|v| (min..=max).contains(v)).ok_or(Errno::EINVAL)
}

/// The caller's network namespace (the sandbox's for a reader that is not
/// a task).
fn net(k: &Kernel) -> Arc<NetNamespace> {
    super::reader_net(k).ns.clone()
}

/// `/proc/sys/net/core/somaxconn`.
pub fn somaxconn(k: &Kernel) -> Vec<u8> {
    format!("{}\n", net(k).somaxconn()).into_bytes()
}

/// A write to `somaxconn`: 0 to INT_MAX.
pub fn set_somaxconn(k: &Kernel, data: &[u8]) -> Result<(), Errno> {
    net(k).set_somaxconn(int_minmax(data, 0, i32::MAX)?);
    Ok(())
}

/// `/proc/sys/vm/max_map_count`.
pub fn max_map_count(_: &Kernel) -> Vec<u8> {
    format!("{}\n", crate::kernel::mm::map_count::get()).into_bytes()
}

/// A write to `max_map_count`: 0 to INT_MAX.
pub fn set_max_map_count(_: &Kernel, data: &[u8]) -> Result<(), Errno> {
    crate::kernel::mm::map_count::set(int_minmax(data, 0, i32::MAX)?);
    Ok(())
}

/// `/proc/sys/user/max_user_namespaces`: how many user namespaces may
/// live at once (one count for the sandbox; Linux counts per user).
pub fn max_user_namespaces(_: &Kernel) -> Vec<u8> {
    format!("{}\n", crate::kernel::ns::user::MAX_NAMESPACES.load(std::sync::atomic::Ordering::Relaxed)).into_bytes()
}

/// A write to `max_user_namespaces`: 0 to INT_MAX.
pub fn set_max_user_namespaces(_: &Kernel, data: &[u8]) -> Result<(), Errno> {
    let v = int_minmax(data, 0, i32::MAX)?;
    crate::kernel::ns::user::MAX_NAMESPACES.store(v as u64, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// `/proc/sys/fs/dir-notify-enable`: whether F_NOTIFY works (`dnotify.rs`).
pub fn dir_notify_enable(_: &Kernel) -> Vec<u8> {
    format!("{}\n", crate::kernel::vfs::dnotify::ENABLED.load(std::sync::atomic::Ordering::Relaxed)).into_bytes()
}

/// A write to `dir-notify-enable`: any int (proc_dointvec), 0 turns it off.
pub fn set_dir_notify_enable(_: &Kernel, data: &[u8]) -> Result<(), Errno> {
    let v = int_minmax(data, i32::MIN, i32::MAX)?;
    crate::kernel::vfs::dnotify::ENABLED.store(v, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// `/proc/sys/kernel/overflowuid` and `overflowgid`: what ids a user
/// namespace does not map show as (fixed here).
pub fn overflow_id(_: &Kernel) -> Vec<u8> {
    format!("{}\n", crate::kernel::ns::user::OVERFLOW_ID).into_bytes()
}

/// `/proc/sys/kernel/core_pattern`: the host's, as a container reads it
/// (the setting is not namespaced); core dumps follow it
/// (`task/coredump.rs`).
pub fn core_pattern(_: &Kernel) -> Vec<u8> {
    core_pattern_text()
}

/// The host's core pattern.
pub fn core_pattern_text() -> Vec<u8> {
    std::fs::read("/proc/sys/kernel/core_pattern").unwrap_or_else(|_| b"core\n".to_vec())
}

/// `/proc/sys/kernel/core_uses_pid`: the host's too (whether a pattern
/// without `%p` gets `.PID` appended).
pub fn core_uses_pid(_: &Kernel) -> Vec<u8> {
    core_uses_pid_text()
}

/// The host's core_uses_pid.
pub fn core_uses_pid_text() -> Vec<u8> {
    std::fs::read("/proc/sys/kernel/core_uses_pid").unwrap_or_else(|_| b"0\n".to_vec())
}

/// A write to `core_pattern` or `core_uses_pid`: the host kernel's setting is not the
/// sandbox's to change, and a container's runtime mounts `/proc/sys`
/// read-only, so root gets EROFS as in such a container.
pub fn set_core_pattern(_: &Kernel, _: &[u8]) -> Result<(), Errno> {
    Err(Errno::EROFS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_parse_as_proc_dointvec_minmax() {
        assert_eq!(int_minmax(b"128\n", 0, i32::MAX), Ok(128));
        assert_eq!(int_minmax(b"  7", 0, i32::MAX), Ok(7));
        assert_eq!(int_minmax(b"7 8", 0, i32::MAX), Ok(7));
        assert_eq!(int_minmax(b"-1\n", 0, i32::MAX), Err(Errno::EINVAL));
        assert_eq!(int_minmax(b"abc", 0, i32::MAX), Err(Errno::EINVAL));
        assert_eq!(int_minmax(b"12x", 0, i32::MAX), Err(Errno::EINVAL));
        assert_eq!(int_minmax(b"\n", 0, i32::MAX), Err(Errno::EINVAL));
        assert_eq!(int_minmax(b"2147483648", 0, i32::MAX), Err(Errno::EINVAL));
        assert_eq!(int_minmax(b"-", 0, i32::MAX), Err(Errno::EINVAL));
    }
}
