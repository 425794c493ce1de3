//! prctl(PR_SET_MM): moves what exec recorded of the program's layout
//! (code, data, stack, argument and environment strings: what
//! `/proc/PID/cmdline`, `environ` and `stat` read), or replaces the saved
//! auxiliary vector, or the heap's start and break (which brk(2) then
//! works from, as Linux's). Needs CAP_SYS_RESOURCE; checks as Linux's
//! `prctl_set_mm`. Not served: the executable file, and
//! PR_SET_MM_MAP/MAP_SIZE (as a kernel built without
//! CONFIG_CHECKPOINT_RESTORE): EINVAL.

use super::sys_prctl::{user_addr, SAVED_AUXV_BYTES};
use crate::kernel::errno::{Errno, SysResult};
use crate::kernel::mm::usermem::UserMemory;
use crate::kernel::mm::ProgramLayout;
use crate::kernel::task::Task;

const START_CODE: u64 = 1;
const END_CODE: u64 = 2;
const START_DATA: u64 = 3;
const END_DATA: u64 = 4;
const START_STACK: u64 = 5;
const START_BRK: u64 = 6;
const BRK: u64 = 7;
const ARG_START: u64 = 8;
const ARG_END: u64 = 9;
const ENV_START: u64 = 10;
const ENV_END: u64 = 11;
const AUXV: u64 = 12;
const MAP: u64 = 14;
const MAP_SIZE: u64 = 15;

pub fn set_mm(t: &mut Task, opt: u64, addr: u64, arg4: u64, arg5: u64) -> SysResult {
    if arg5 != 0 || (arg4 != 0 && !matches!(opt, AUXV | MAP | MAP_SIZE)) {
        return Err(Errno::EINVAL);
    }
    if !t.tg.capable(super::sys_ident::CAP_SYS_RESOURCE) {
        return Err(Errno::EPERM);
    }
    if opt == AUXV {
        return set_auxv(t, addr, arg4);
    }
    if !user_addr(addr) {
        return Err(Errno::EINVAL);
    }
    let mm = t.mm();
    let mut st = mm.state.lock().unwrap_or_else(|e| e.into_inner());
    let mut p = st.program;
    let (mut start_brk, mut brk) = (st.brk_start, st.brk);
    match opt {
        START_CODE => p.start_code = addr,
        END_CODE => p.end_code = addr,
        START_DATA => p.start_data = addr,
        END_DATA => p.end_data = addr,
        START_STACK => p.start_stack = addr,
        START_BRK => start_brk = addr,
        BRK => brk = addr,
        ARG_START => p.arg_start = addr,
        ARG_END => p.arg_end = addr,
        ENV_START => p.env_start = addr,
        ENV_END => p.env_end = addr,
        _ => return Err(Errno::EINVAL),
    }
    if !valid(&p, start_brk, brk) {
        return Err(Errno::EINVAL);
    }
    // Nor may the heap and data pass RLIMIT_DATA (Linux's check_data_rlimit).
    let data_limit = t.rlimit(libc::RLIMIT_DATA);
    if data_limit != u64::MAX && (brk - start_brk) + (p.end_data - p.start_data) > data_limit {
        return Err(Errno::EINVAL);
    }
    // The stack and the strings must lie at or below some mapping (Linux's find_vma).
    if matches!(opt, START_STACK | ARG_START | ARG_END | ENV_START | ENV_END) && !st.vmas.iter().any(|v| v.end > addr) {
        return Err(Errno::EFAULT);
    }
    st.program = p;
    (st.brk_start, st.brk) = (start_brk, brk);
    Ok(0)
}

/// Linux's `validate_prctl_map_addr`: every address in range, each pair
/// in order.
fn valid(p: &ProgramLayout, start_brk: u64, brk: u64) -> bool {
    let all = [
        p.start_code,
        p.end_code,
        p.start_data,
        p.end_data,
        p.start_stack,
        start_brk,
        brk,
        p.arg_start,
        p.arg_end,
        p.env_start,
        p.env_end,
    ];
    all.iter().all(|&a| user_addr(a))
        && p.start_code < p.end_code
        && p.start_data <= p.end_data
        && start_brk <= brk
        && p.arg_start <= p.arg_end
        && p.env_start <= p.env_end
}

/// PR_SET_MM_AUXV: the vector `/proc/PID/auxv` and PR_GET_AUXV show.
fn set_auxv(t: &Task, addr: u64, len: u64) -> SysResult {
    if addr == 0 || len > SAVED_AUXV_BYTES as u64 {
        return Err(Errno::EINVAL);
    }
    let mut v = vec![0u8; SAVED_AUXV_BYTES];
    t.mem().read_bytes(addr, &mut v[..len as usize])?;
    // Linux ends it with AT_NULL whatever was given; shown up to the first.
    let pairs = v.len() / 16;
    let end = (0..pairs).find(|&i| v[i * 16..i * 16 + 8].iter().all(|&b| b == 0)).unwrap_or(pairs - 1);
    v.truncate((end + 1) * 16);
    *t.tg.auxv.lock().unwrap_or_else(|e| e.into_inner()) = v;
    Ok(0)
}
