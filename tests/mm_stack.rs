//! Stacks grow down on demand: the main thread's as Linux's, threads'
//! (MAP_STACK) as their pages are touched. Each group of
//! `tests/c/stack_growth.c` runs natively and under `husk do` and must print
//! the same lines; and a container is charged for the stack its processes
//! use, not for the room each stack may grow into. `tests/c/stack_copies.c`:
//! the kernel's copies to and from a stack's untouched room grow the stack,
//! as the program's own touch would.

mod common;

use common::*;

#[test]
fn deep_recursion_grows_the_stack_mapping() {
    c_output_same_as_native("stack_growth", "grow", &[]);
}

#[test]
fn rlimit_stack_bounds_the_growth() {
    c_output_same_as_native("stack_growth", "limit", &[]);
}

#[test]
fn the_stack_stops_a_guard_gap_above_a_mapping() {
    c_output_same_as_native("stack_growth", "gap", &[]);
}

#[test]
fn thread_stacks_grow_as_they_are_touched() {
    c_output_same_as_native("stack_growth", "threads", &[]);
}

#[test]
fn syscall_buffers_and_signal_frames_below_the_stack_grow_it() {
    c_output_same_as_native("stack_growth", "syscall", &[]);
}

#[test]
fn syscall_copies_into_an_untouched_map_stack_mapping_grow_it() {
    c_output_same_as_native("stack_copies", "lazy", &[]);
}

#[test]
fn a_thread_reads_into_the_untouched_bottom_of_its_stack() {
    c_output_same_as_native("stack_copies", "thread", &[]);
}

#[test]
fn syscall_copies_below_the_main_stack_grow_it() {
    c_output_same_as_native("stack_copies", "main", &[]);
}

#[test]
fn copies_to_inaccessible_memory_stay_efault_and_lose_nothing() {
    c_output_same_as_native("stack_copies", "bad", &[]);
}

/// Thirty shells' children fit in 16 MiB (each stack is charged for the
/// pages it uses), a process whose stack grows past the limit is
/// OOM-killed as one whose heap does, and threads' stacks count as used.
#[test]
fn the_stack_is_charged_as_it_grows() {
    let script = "for i in $(seq 30); do sleep 1 & done; wait; echo all done";
    let many = Run::husk_do(&["-m", "16m", "--", "/bin/busybox", "sh", "-c", script]).timeout(proc_timeout()).run();
    assert_exit(&many, 0);
    assert_eq!(String::from_utf8_lossy(&many.stdout), "all done\n");
    let deep = c_program_str("stack_growth");
    let fits = Run::husk_do(&["-m", "16m", "--", &deep, "grow"]).timeout(proc_timeout()).run();
    assert_exit(&fits, 0);
    let killed = Run::husk_do(&["-m", "4m", "--", &deep, "grow"]).timeout(proc_timeout()).run();
    assert_exit(&killed, 137);
    // Threads' stacks too: six threads each touching 2 MiB, twelve more
    // on reused stacks, fit in 24 MiB, which their 8 MiB stacks would not.
    let threads = Run::husk_do(&["-m", "24m", "--", &deep, "threads"]).timeout(proc_timeout()).run();
    assert_exit(&threads, 0);
    assert!(
        stdout_text(&threads).starts_with("six threads, deep frames: ok\nreused stacks: ok\n"),
        "{}",
        describe(&threads)
    );
}
