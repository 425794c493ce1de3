//! Everyday file tools inside `husk do` print what they print natively:
//! mkdir -p, touch, cp -a, mv, rm -rf, ln -s, find, tar c | tar x, sort of
//! a 50 MB file, sha256sum, dd, pipelines. Natively they run in a host
//! scratch directory; under husk in the same directory, whose changes stay
//! in the sandbox.

mod common;

use common::*;
use std::time::Duration;

/// Runs `script` with `sh -c` natively and under husk, in the same fresh
/// host directory, and asserts the same stdout and status.
#[track_caller]
fn same_as_native(script: &str, timeout: Duration) -> std::process::Output {
    same_as_native_from(&[], script, timeout)
}

/// `same_as_native` in directories that hold host subdirectories `dirs`
/// first (under husk: the lower layer of the sandbox's view).
#[track_caller]
fn same_as_native_from(dirs: &[&str], script: &str, timeout: Duration) -> std::process::Output {
    let make = |what: &str| {
        let d = ScratchDir::new(what);
        for sub in dirs {
            std::fs::create_dir_all(d.path().join(sub)).expect("create a host subdirectory");
        }
        d
    };
    let listing = |d: &ScratchDir| {
        let mut names: Vec<_> = walk(d.path());
        names.sort();
        names
    };
    let native_dir = make("vfs-tools-native");
    let n = Run::native(&["/bin/sh", "-c", script]).cwd(native_dir.path()).timeout(timeout).run();
    assert_exit(&n, 0);
    let husk_dir = make("vfs-tools-husk");
    let before = listing(&husk_dir);
    let h = Run::husk_do(&["--", "/bin/sh", "-c", script]).cwd(husk_dir.path()).timeout(timeout).run();
    assert_same_as_native(&n, &h);
    // Nothing the sandbox did reached the host directory.
    let after = listing(&husk_dir);
    assert_eq!(before, after, "the sandbox changed the host directory\n{}", describe(&h));
    h
}

/// Every path below `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

/// A directory's link count is 2 plus its subdirectories when the host
/// holds some of them and the sandbox adds others, removes host ones and
/// puts a file where a host directory was: in a directory with a few new
/// entries and in one with many.
#[test]
fn merged_directory_link_counts() {
    let host = ["few/h1", "few/h2", "many/h1", "many/h2", "many/h3", "many/h4"];
    let script = "set -e
        mkdir few/new; touch few/f1; rmdir few/h1
        mkdir many/n1 many/n2; for i in $(seq 1 12); do touch many/f$i; done
        rmdir many/h2; rmdir many/h3; touch many/h3
        stat -c '%n %h' few many
        rm -r many/h4 many/n1
        stat -c '%n %h' many";
    same_as_native_from(&host, script, default_timeout());
}

#[test]
fn mkdir_touch_cp_mv_rm_ln_find() {
    let script = "set -e
        mkdir -p a/b/c a/d
        touch a/b/c/f1 a/d/f2
        echo hello > a/b/c/f1
        chmod 751 a/d
        ln -s b/c/f1 a/link
        ln a/b/c/f1 a/hard
        touch -d '2001-02-03 04:05:06' a/d/f2
        cp -a a copy
        mv copy moved
        find . | sort
        stat -c '%n %F %a %h %s' $(find moved | sort)
        stat -c '%n %Y' moved/d/f2
        # cp -a keeps every time; compared within the run, as the clock moves between runs.
        for f in $(cd a && find . | sort); do [ \"$(stat -c %Y a/$f)\" = \"$(stat -c %Y moved/$f)\" ] || echo \"mtime differs: $f\"; done
        readlink moved/link
        cat moved/link
        rm -rf a moved
        ls -A";
    same_as_native(script, default_timeout());
}

#[test]
fn tar_pipe_round_trip() {
    let script = "set -e
        mkdir -p src/sub/deeper
        for i in 1 2 3 4 5; do seq $i 100000 > src/sub/file$i; done
        ln -s file1 src/sub/link
        printf 'x' > src/sub/deeper/tiny
        tar cf - src | (mkdir out && cd out && tar xf -)
        cd out && find . | sort && find . -type f | sort | xargs sha256sum && readlink src/sub/link";
    same_as_native(script, default_timeout());
}

#[test]
fn sort_and_sha256sum_of_a_50_mb_file() {
    // About 50 MB of numbers from a fixed seed, generated in place.
    let script = "set -e
        awk 'BEGIN { srand(7); for (i = 0; i < 5000000; i++) printf \"%09d\\n\", int(rand() * 1e9) }' > big
        wc -c < big
        sha256sum big
        sort big | sha256sum
        sort -n -r big | head -3";
    same_as_native(script, Duration::from_secs(180));
}

#[test]
fn dd_100_mib_of_zeros() {
    let script = "set -e
        dd if=/dev/zero of=zeros bs=1M count=100 2>/dev/null
        ls -l zeros | awk '{print $5}'
        sha256sum zeros
        dd if=/dev/zero bs=1M count=100 2>/dev/null | sha256sum
        dd if=zeros of=/dev/null bs=64k 2>&1 | head -2";
    same_as_native(script, Duration::from_secs(120));
}

#[test]
fn pipelines_of_many_processes() {
    let script = "set -e
        yes abcdefgh | head -c 50000000 | wc -c
        seq 1 200000 | sort -r | uniq | tail -1
        seq 1 1000 | while read i; do echo $i; done | tail -1";
    same_as_native(script, Duration::from_secs(120));
}

#[test]
fn named_pipe_between_shell_processes() {
    let script = "set -e
        mkfifo p
        (seq 1 1000 > p) &
        wc -l < p
        wait";
    same_as_native(script, default_timeout());
}

#[test]
fn busybox_tools_in_a_tree() {
    require_busybox();
    let script = "set -e
        B=/bin/busybox
        $B mkdir -p x/y/z
        $B touch x/y/z/a x/b
        $B cp -a x x2
        $B mv x2 x3
        $B ln -s y x3/ly
        $B find x3 | $B sort
        $B rm -rf x x3
        $B ls";
    same_as_native(script, default_timeout());
}
