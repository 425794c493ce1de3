//! Address space layout randomisation (tests/c/aslr.c and a dynamic PIE):
//! each exec puts the stack, heap, mmap area and a position-independent
//! executable somewhere new, as Linux does with randomize_va_space 2, and
//! ADDR_NO_RANDOMIZE (`setarch -R`) gives the fixed layout.

mod common;

use common::*;

#[test]
fn stack_heap_and_mmap_move_on_every_exec() {
    check_c_group("aslr", "random");
}

#[test]
fn no_randomize_personality_fixes_them() {
    check_c_group("aslr", "fixed");
}

/// The first mapping of `cat /proc/self/maps`: the PIE's load address.
fn pie_line(out: &std::process::Output) -> String {
    stdout_text(out).lines().next().unwrap_or_default().split('-').next().unwrap_or_default().to_string()
}

#[test]
fn a_pie_loads_somewhere_new_unless_setarch_r() {
    let a = husk_do(&["/bin/cat", "/proc/self/maps"]);
    let b = husk_do(&["/bin/cat", "/proc/self/maps"]);
    assert_exit(&a, 0);
    let (pa, pb) = (pie_line(&a), pie_line(&b));
    assert_ne!(pa, pb, "two execs of a PIE loaded at the same address");
    let base = u64::from_str_radix(&pa, 16).unwrap();
    // Linux's ELF_ET_DYN_BASE plus up to 2^28 pages.
    assert!((0x5555_5555_4000..0x5555_5555_4000 + (1 << 40)).contains(&base), "{pa}");
    for out in
        [husk_do(&["setarch", "-R", "cat", "/proc/self/maps"]), native(&["setarch", "-R", "cat", "/proc/self/maps"])]
    {
        assert_eq!(pie_line(&out), "555555554000", "{}", describe(&out));
    }
}
