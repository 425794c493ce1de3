//! `linux.seccomp` of a bundle: the profile turned into the kernel's
//! `Profile` (syscall names resolved to x86_64 numbers, actions to filter
//! return values), which every process of the container starts with, as
//! runc installs it with libseccomp before the container's program runs.

use oci_spec::runtime::{LinuxSeccomp, LinuxSeccompAction, LinuxSeccompOperator};

use crate::kernel::seccomp::profile::{ArgCond, Cmp, Profile, Rule};
use crate::kernel::syscalls::abi;

/// The profile of `seccomp`, or why it cannot be served.
pub fn profile(seccomp: &LinuxSeccomp) -> Result<Profile, String> {
    if seccomp.listener_path().is_some() {
        return Err("linux.seccomp.listenerPath: seccomp user notification is not supported".into());
    }
    let default = action(seccomp.default_action(), seccomp.default_errno_ret())
        .map_err(|e| format!("linux.seccomp.defaultAction: {e}"))?;
    let mut rules = Vec::new();
    for (i, s) in seccomp.syscalls().clone().unwrap_or_default().iter().enumerate() {
        let at = format!("linux.seccomp.syscalls[{i}]");
        let action = action(s.action(), s.errno_ret()).map_err(|e| format!("{at}.action: {e}"))?;
        // Names this ABI does not have (other architectures', newer
        // kernels') are skipped, as libseccomp resolves names per ABI.
        let mut nrs: Vec<u32> = s.names().iter().filter_map(|n| abi::number(n)).map(|n| n as u32).collect();
        nrs.sort_unstable();
        nrs.dedup();
        let mut args = Vec::new();
        for (j, a) in s.args().clone().unwrap_or_default().iter().enumerate() {
            if a.index() > 5 {
                return Err(format!("{at}.args[{j}].index {} is not an argument (0-5)", a.index()));
            }
            args.push(ArgCond {
                index: a.index(),
                op: cmp(a.op()),
                value: a.value(),
                value_two: a.value_two().unwrap_or(0),
            });
        }
        if !nrs.is_empty() {
            rules.push(Rule { nrs, action, args });
        }
    }
    Ok(Profile { default, rules })
}

/// The filter return value of an action; errno (and trace data) default
/// to EPERM, as runc's.
fn action(a: LinuxSeccompAction, errno: Option<u32>) -> Result<u32, String> {
    if a == LinuxSeccompAction::ScmpActNotify {
        return Err("SCMP_ACT_NOTIFY (user notification) is not supported".into());
    }
    if let Some(e) = errno.filter(|&e| e > 0xffff) {
        return Err(format!("errnoRet {e} is out of range"));
    }
    Ok(a.as_u32(errno))
}

fn cmp(op: LinuxSeccompOperator) -> Cmp {
    match op {
        LinuxSeccompOperator::ScmpCmpNe => Cmp::Ne,
        LinuxSeccompOperator::ScmpCmpLt => Cmp::Lt,
        LinuxSeccompOperator::ScmpCmpLe => Cmp::Le,
        LinuxSeccompOperator::ScmpCmpEq => Cmp::Eq,
        LinuxSeccompOperator::ScmpCmpGe => Cmp::Ge,
        LinuxSeccompOperator::ScmpCmpGt => Cmp::Gt,
        LinuxSeccompOperator::ScmpCmpMaskedEq => Cmp::MaskedEq,
    }
}
