//! `/proc/<pid>/timers`: the process's POSIX timers, newest first, as
//! Linux's `show_timer` prints them (the notify target numbered in the
//! reader's PID namespace).

use std::fmt::Write as _;

use crate::kernel::ns::PidNamespace;
use crate::kernel::task::ThreadGroup;

const SIGEV_THREAD_ID: i32 = 4;

/// The file's text.
pub fn timers(tg: &ThreadGroup, ns: &PidNamespace) -> Vec<u8> {
    let mut s = String::new();
    for (id, timer) in tg.timers.posix_list() {
        let Some(o) = timer.origin() else { continue };
        let kind = match o.notify & !SIGEV_THREAD_ID {
            0 => "signal",
            1 => "none",
            2 => "thread",
            _ => "?",
        };
        let (which, nr) = if o.notify & SIGEV_THREAD_ID != 0 {
            ("tid", o.thread.as_ref().and_then(|t| t.upgrade()).map_or(0, |t| t.tid.nr_in(ns)))
        } else {
            ("pid", tg.pid.nr_in(ns))
        };
        let _ = write!(
            s,
            "ID: {id}\nsignal: {}/{:016x}\nnotify: {kind}/{which}.{nr}\nClockID: {}\n",
            o.signo, o.value, o.clock_id
        );
    }
    s.into_bytes()
}
