//! Inode flags on tmpfs (`kernel/vfs/attr.rs`): `tests/c/vfs_attr.c` runs
//! in /dev/shm natively and under `husk do` (whose /dev/shm is a tmpfs of
//! the sentry) and must print the same lines; e2fsprogs' `chattr` and
//! `lsattr` must behave the same too.

mod common;

use common::*;

c_groups! { "vfs_attr":
    getflags_setflags_and_fsxattr_take_tmpfs_flags => "flags",
    immutable_files_and_directories_refuse_changes => "immutable",
    append_only_files_and_directories_only_grow => "append",
    owner_and_capabilities_decide_who_sets_flags => "perm",
    statx_attributes_and_noatime => "statx_atime",
}

/// The real `chattr` and `lsattr` on /dev/shm: set, show and enforce
/// immutable, append-only, nodump and noatime; refuse flags tmpfs lacks;
/// ENOTTY on /proc.
#[test]
fn chattr_and_lsattr_on_dev_shm() {
    let script = r#"
        d=$(mktemp -d /dev/shm/husk-chattr-XXXXXX)
        cd $d
        echo data > f
        mkdir dir
        chattr +i f && echo set-i
        lsattr f
        (echo more >> f) 2>/dev/null || echo append-refused
        rm -f f 2>/dev/null || echo rm-refused
        mv f g 2>/dev/null || echo mv-refused
        chattr -i +a f && lsattr f
        echo more >> f && echo appended
        (: > f) 2>/dev/null || echo truncate-refused
        chattr =dA f && lsattr f
        chattr +d dir && lsattr -d dir
        touch dir/new && lsattr dir/new
        chattr +c f 2>&1 | sed "s|$d/||"
        chattr +S f 2>&1 | sed "s|$d/||"
        lsattr -d . dir
        lsattr /proc/self/status 2>&1
        chattr -R -a -i -d -A .
        cat f
        cd / && rm -rf $d && echo cleaned
    "#;
    let n = Run::native(&["/bin/sh", "-c", script]).run();
    assert!(stdout_text(&n).contains("----i----"), "chattr did not work natively\n{}", describe(&n));
    let h = Run::husk_do(&["--", "/bin/sh", "-c", script]).run();
    assert_same_as_native(&n, &h);
}
