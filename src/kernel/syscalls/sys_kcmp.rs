//! kcmp(2): whether two tasks share a kernel resource. Equal resources
//! compare 0; different ones 1 or 2 by an order of their obfuscated
//! addresses (consistent, and telling nothing of where the sentry keeps
//! them, as Linux's kptr_obfuscate).

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, OnceLock};

use super::Args;
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::event::downcast;
use crate::kernel::event::epoll::EpollFile;
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::ptrace::access::may_access;
use crate::kernel::task::{Task, TaskShared};
use crate::kernel::vfs::file::OpenFile;

const KCMP_FILE: u64 = 0;
const KCMP_VM: u64 = 1;
const KCMP_FILES: u64 = 2;
const KCMP_FS: u64 = 3;
const KCMP_SIGHAND: u64 = 4;
const KCMP_IO: u64 = 5;
const KCMP_SYSVSEM: u64 = 6;
const KCMP_EPOLL_TFD: u64 = 7;

/// Implements kcmp(2). Both tasks (thread ids of the caller's namespace)
/// must be open to the caller as to PTRACE_MODE_READ_REALCREDS.
pub fn kcmp(t: &mut Task, a: &Args) -> SysResult {
    let (pid1, pid2, kind, idx1, idx2) = (a[0] as i32, a[1] as i32, a[2], a[3], a[4]);
    let (t1, t2) = {
        let ns = t.pidns().clone();
        let procs = t.kernel.procs();
        (procs.task_in(&ns, pid1).ok_or(Errno::ESRCH)?, procs.task_in(&ns, pid2).ok_or(Errno::ESRCH)?)
    };
    if !may_access(t, &t1) || !may_access(t, &t2) {
        return Err(Errno::EPERM);
    }
    let (g1, g2) = (&t1.tg, &t2.tg);
    let order = match kind {
        KCMP_FILE => order(kind, &*file_of(&t1, idx1)?, &*file_of(&t2, idx2)?),
        KCMP_VM => {
            // One lock at a time: the two may be the same process.
            let mm1 = g1.mm.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let mm2 = g2.mm.lock().unwrap_or_else(|e| e.into_inner()).clone();
            order(kind, &*mm1, &*mm2)
        }
        KCMP_FILES => order(kind, &*g1.fds, &*g2.fds),
        KCMP_FS => order(kind, &*g1.fs, &*g2.fs),
        KCMP_SIGHAND => order(kind, &*g1.sig_actions, &*g2.sig_actions),
        // No task has a block I/O context here: Linux's NULL against NULL.
        KCMP_IO => 0,
        // Linux compares undo lists, which exist once a process made a
        // SEM_UNDO operation: none against none is equal. Each process
        // keeps its own (CLONE_SYSVSEM is not honoured).
        KCMP_SYSVSEM if g1.sem_undo.unused() && g2.sem_undo.unused() => 0,
        KCMP_SYSVSEM => order(kind, &g1.sem_undo, &g2.sem_undo),
        KCMP_EPOLL_TFD => epoll_target(t, &t1, &t2, idx1, idx2)?,
        _ => return Err(Errno::EINVAL),
    };
    Ok(order)
}

/// Open file `idx` of `task` (the number cut to 32 bits, as Linux's
/// descriptor lookup takes an unsigned int); EBADF if none.
fn file_of(task: &TaskShared, idx: u64) -> Result<Arc<OpenFile>, Errno> {
    let fd = i32::try_from(idx as u32).map_err(|_| Errno::EBADF)?;
    task.tg.fds.get(fd)
}

/// KCMP_EPOLL_TFD: whether file `idx1` of `t1` is the target that the
/// caller's `struct kcmp_epoll_slot { efd, tfd, toff }` at `slot` names in
/// an epoll of `t2`.
fn epoll_target(t: &Task, t1: &TaskShared, t2: &TaskShared, idx1: u64, slot: u64) -> SysResult {
    let mut b = [0u8; 12];
    t.mem().read_bytes(slot, &mut b)?;
    let word = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let (efd, tfd, toff) = (word(0), word(4), word(8));
    let file = file_of(t1, idx1)?;
    let epoll_file = file_of(t2, efd as u64)?;
    let epoll = downcast::<EpollFile>(&epoll_file).ok_or(Errno::EINVAL)?;
    let target = epoll.0.target_file(tfd as i32, toff as u64).ok_or(Errno::ENOENT)?;
    Ok(order(KCMP_EPOLL_TFD, &*file, &*target))
}

/// 0 when `a` and `b` are the same object, else 1 or 2 as their
/// obfuscated addresses compare (Linux's kcmp_ptr).
fn order<T: ?Sized>(kind: u64, a: &T, b: &T) -> u64 {
    let (x, y) = (obfuscate(kind, a), obfuscate(kind, b));
    (x < y) as u64 | (((x > y) as u64) << 1)
}

fn obfuscate<T: ?Sized>(kind: u64, p: &T) -> u64 {
    static COOKIES: OnceLock<[(u64, u64); 8]> = OnceLock::new();
    let cookies = COOKIES.get_or_init(|| {
        // RandomState is seeded from the host's randomness.
        let state = std::collections::hash_map::RandomState::new();
        std::array::from_fn(|i| {
            let mut h = state.build_hasher();
            i.hash(&mut h);
            let x = h.finish();
            h.write_u64(x);
            (x, h.finish() | 1 | 1 << 63)
        })
    });
    let (xor, mul) = cookies[kind as usize % 8];
    ((p as *const T).cast::<u8>() as u64 ^ xor).wrapping_mul(mul)
}
