//! What a pipe's buffer costs and who pays for it, as in Linux:
//!
//! - Pages: each page slot holding data is a page charged to the memory
//!   account of the container whose task first wrote to the pipe (Linux
//!   charges pipe pages to the writer's memory cgroup, `__GFP_ACCOUNT`),
//!   and given back once read to its end. A page that does not fit under
//!   the limit fails the write with ENOMEM (a partial count if some bytes
//!   went in), what Linux's `pipe_write` returns when it cannot allocate.
//!   Linux's memory cgroup first tries its OOM killer; husk's only weighs
//!   address spaces, and no process's goes down when a pipe's is freed, so
//!   none is killed.
//! - Slots per user (`/proc/sys/fs/pipe-user-pages-{soft,hard}`): every
//!   pipe counts its page slots against its creator's real user id. Past
//!   the soft limit a new pipe of an unprivileged user gets 2 slots
//!   instead of 16 and F_SETPIPE_SZ may not grow one; past the hard limit
//!   (0: none) `pipe(2)` fails with ENFILE. CAP_SYS_RESOURCE or
//!   CAP_SYS_ADMIN lifts both, as `pipe_is_unprivileged_user` says.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::kernel::errno::Errno;
use crate::kernel::mm::account::{take_refused, MemAccount};

const PAGE: u64 = 4096;
/// `pipe-user-pages-soft`: Linux's default, 1024 pipes of 16 slots.
pub const USER_PAGES_SOFT: usize = 16384;
/// `pipe-user-pages-hard`: no limit, as Linux's default.
pub const USER_PAGES_HARD: usize = 0;
/// Slots of a new pipe, and of one past the soft limit.
pub const DEF_SLOTS: usize = 16;
const MIN_DEF_SLOTS: usize = 2;

/// The pages a pipe holds, charged to one container's memory.
#[derive(Default)]
pub struct PageCharge {
    account: Option<Arc<MemAccount>>,
    pages: usize,
}

impl PageCharge {
    /// Charges one more page; false when it does not fit under the limit.
    /// Outside a task (the sentry's own pipes) nothing is charged.
    pub fn charge_page(&mut self) -> bool {
        if self.account.is_none() {
            self.account = crate::kernel::wait::current().map(|t| t.tg.container.memory.clone());
        }
        if let Some(a) = &self.account {
            if a.try_charge(PAGE).is_err() {
                // Not an address space's refusal: no OOM kill follows.
                take_refused();
                return false;
            }
        }
        self.pages += 1;
        true
    }

    /// Gives `n` pages back.
    pub fn uncharge(&mut self, n: usize) {
        let n = n.min(self.pages);
        self.pages -= n;
        if let Some(a) = &self.account {
            a.uncharge(n as u64 * PAGE);
        }
    }
}

impl Drop for PageCharge {
    fn drop(&mut self) {
        let n = self.pages;
        self.uncharge(n);
    }
}

/// Page slots of every user's pipes (Linux's `user_struct.pipe_bufs`).
static USER_SLOTS: Mutex<Option<HashMap<u32, usize>>> = Mutex::new(None);

/// Moves `uid`'s count from `old` to `new` slots; returns the new total.
fn account(uid: u32, old: usize, new: usize) -> usize {
    let mut g = USER_SLOTS.lock().unwrap_or_else(|e| e.into_inner());
    let map = g.get_or_insert_with(HashMap::new);
    let n = map.entry(uid).or_insert(0);
    *n = (*n + new).saturating_sub(old);
    let total = *n;
    if total == 0 {
        map.remove(&uid);
    }
    total
}

fn over(limit: usize, total: usize) -> bool {
    limit != 0 && total > limit
}

/// Who creates or resizes a pipe: its real user id and whether the user
/// limits apply to it.
#[derive(Clone, Copy)]
pub struct Creator {
    pub uid: u32,
    /// CAP_SYS_RESOURCE or CAP_SYS_ADMIN: the user limits do not apply.
    pub privileged: bool,
    /// CAP_SYS_RESOURCE: may grow a pipe past pipe-max-size.
    pub sys_resource: bool,
}

impl Creator {
    /// The current task's (none outside a task: the sentry's own pipes).
    pub fn current() -> Option<Creator> {
        let t = crate::kernel::wait::current()?;
        let uid = t.tg.creds.lock().unwrap_or_else(|e| e.into_inner()).ruid;
        let sys_resource = t.tg.capable(CAP_SYS_RESOURCE);
        Some(Creator { uid, privileged: sys_resource || t.tg.capable(CAP_SYS_ADMIN), sys_resource })
    }
}

const CAP_SYS_ADMIN: u32 = 21;
const CAP_SYS_RESOURCE: u32 = 24;

/// A pipe's slots, counted against its creator.
pub struct UserSlots {
    uid: u32,
    slots: usize,
}

impl UserSlots {
    /// The slots of a new pipe (`alloc_pipe_info`): 16, or 2 past the soft
    /// limit; ENFILE past the hard one.
    pub fn new_pipe(who: Creator) -> Result<UserSlots, Errno> {
        let mut slots = DEF_SLOTS;
        let mut total = account(who.uid, 0, slots);
        if over(USER_PAGES_SOFT, total) && !who.privileged {
            total = account(who.uid, slots, MIN_DEF_SLOTS);
            slots = MIN_DEF_SLOTS;
        }
        if over(USER_PAGES_HARD, total) && !who.privileged {
            account(who.uid, slots, 0);
            return Err(Errno::ENFILE);
        }
        Ok(UserSlots { uid: who.uid, slots })
    }

    /// The slots the pipe has.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// F_SETPIPE_SZ to `slots` (`pipe_set_size`): growing past either limit
    /// is EPERM for an unprivileged caller.
    pub fn resize(&mut self, slots: usize, who: Creator) -> Result<(), Errno> {
        let total = account(self.uid, self.slots, slots);
        if slots > self.slots && (over(USER_PAGES_HARD, total) || over(USER_PAGES_SOFT, total)) && !who.privileged {
            account(self.uid, slots, self.slots);
            return Err(Errno::EPERM);
        }
        self.slots = slots;
        Ok(())
    }
}

impl Drop for UserSlots {
    fn drop(&mut self) {
        account(self.uid, self.slots, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_limit_gives_small_pipes_and_refuses_growth() {
        let who = Creator { uid: 4_000_000_001, privileged: false, sys_resource: false };
        let mut pipes: Vec<UserSlots> =
            (0..USER_PAGES_SOFT / DEF_SLOTS).map(|_| UserSlots::new_pipe(who).unwrap()).collect();
        assert!(pipes.iter().all(|p| p.slots() == DEF_SLOTS));
        let small = UserSlots::new_pipe(who).unwrap();
        assert_eq!(small.slots(), MIN_DEF_SLOTS);
        assert_eq!(pipes[0].resize(32, who), Err(Errno::EPERM));
        assert_eq!(pipes[0].resize(8, who), Ok(()));
        let root = Creator { privileged: true, ..who };
        assert_eq!(UserSlots::new_pipe(root).unwrap().slots(), DEF_SLOTS);
        drop(small);
        pipes.clear();
        assert_eq!(account(who.uid, 0, 0), 0);
    }
}
