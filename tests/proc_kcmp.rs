//! kcmp(2) against Linux: shared and separate open files, address spaces,
//! descriptor tables, fs contexts and signal handlers of forked and cloned
//! processes, an epoll's target files, and the errors (ESRCH, EPERM,
//! EBADF, EINVAL, ENOENT, EFAULT).

mod common;

use common::*;

#[test]
fn kcmp_matches_native() {
    c_output_same_as_native("kcmp", "all", &[]);
}
