//! Threads under husk (tests/c/threads.c): pthreads built on
//! clone(CLONE_THREAD), futexes, thread-local storage, thread identity,
//! signals aimed at threads, and process-wide effects (exit, exec, fork,
//! setuid) from a multi-threaded process. Each test runs one group of
//! checks natively and under husk and compares the lines.

mod common;

use common::*;

/// 16 threads contend on one mutex and a condition variable: the sum is
/// exact, a ring of turns keeps its order, join returns each value.
#[test]
fn mutex_and_condvar() {
    check_c_group("threads", "mutex");
}

/// TLS is per thread (and initialised from the image); gettid is distinct
/// per thread, getpid the same in all; the main thread's tid is the pid.
#[test]
fn tls_and_thread_ids() {
    check_c_group("threads", "identity");
}

/// Threads with 64 KiB, 1 MiB, 8 MiB and user-allocated stacks.
#[test]
fn thread_stacks() {
    check_c_group("threads", "stacks");
}

/// 200 short-lived threads (ids and stacks reused), detached threads.
#[test]
fn thread_churn() {
    check_c_group("threads", "churn");
}

/// pthread_kill runs the handler on the target thread; a process-directed
/// signal goes to the thread that does not block it; masks are per thread.
#[test]
fn signals_to_threads() {
    check_c_group("threads", "signals");
}

/// pthread_cancel interrupts a blocking read and a condition wait (glibc's
/// SIGCANCEL), and cleanup handlers run.
#[test]
fn thread_cancellation() {
    check_c_group("threads", "cancel");
}

/// exit() from a thread ends all threads; pthread_exit of the main thread
/// leaves the process running; a fatal signal kills all threads; execve
/// from a non-main thread keeps the pid; fork from a threaded process;
/// seteuid applies to every thread.
#[test]
fn process_wide_effects_from_threads() {
    check_c_group("threads", "process");
}

/// FUTEX_WAIT/FUTEX_WAKE directly: wake all, EAGAIN on a changed value,
/// ETIMEDOUT.
#[test]
fn futex_wait_and_wake() {
    check_c_group("threads", "futex");
}

/// Shared futexes in MAP_SHARED memory meet across processes and across
/// two mappings of one file (process-shared semaphores).
#[test]
fn shared_futexes() {
    check_c_group("threads", "shared-futex");
}

/// Python's multiprocessing (worker processes that share a semaphore in
/// /dev/shm): a pool maps and shuts down, as natively. Before shared
/// futexes were keyed by their memory, the last worker slept forever.
#[test]
fn python3_multiprocessing_pool_requires_python3() {
    let py = python3();
    let script = "import multiprocessing as m\n\
                  def f(x): return x * 2\n\
                  if __name__ == '__main__':\n    \
                      with m.Pool(2) as p: print(p.map(f, range(5)))\n    \
                      q = m.Queue(); w = m.Process(target=q.put, args=(7,)); w.start(); print(q.get()); w.join()\n    \
                      print('done', w.exitcode)\n";
    let out = Run::husk_do(&[&py, "-c", script]).timeout(default_timeout()).run();
    assert_stdout(&out, "[0, 2, 4, 6, 8]\n7\ndone 0\n");
}
