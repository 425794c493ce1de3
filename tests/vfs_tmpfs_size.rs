//! A tmpfs mount's `size=` and `nr_inodes=` hold its files as Linux's
//! shmem holds them: writes stop at the size (a short write, then ENOSPC),
//! fallocate is all or nothing, every inode counts, df follows usage and
//! a remount cannot shrink below it. Run natively in a private mount
//! namespace and under husk; outputs must match. The sandbox's own
//! /dev/shm is held to its 64 MiB (husk only).

mod common;

use common::{c_program_str, cmd_same_as_native};

/// Runs group `group` of tests/c/tmpfs_size.c on a tmpfs mounted with
/// `opts` at /mnt, natively (unshare -m) and under husk.
fn c_group_on_tmpfs(opts: &str, group: &str) {
    let script = format!("mount -t tmpfs -o {opts} t /mnt || exit 1; {} {group} /mnt", c_program_str("tmpfs_size"));
    cmd_same_as_native(&[], &["unshare", "-m", "sh", "-c", &script]);
}

#[test]
fn a_write_past_the_size_is_short_then_enospc() {
    c_group_on_tmpfs("size=16k,nr_inodes=16", "short-write");
}

#[test]
fn fallocate_takes_the_whole_range_or_nothing() {
    c_group_on_tmpfs("size=16k,nr_inodes=16", "fallocate");
}

#[test]
fn an_unlinked_open_files_pages_count_until_it_closes() {
    c_group_on_tmpfs("size=16k,nr_inodes=16", "unlinked");
}

#[test]
fn pages_written_through_a_shared_mapping_count() {
    c_group_on_tmpfs("size=16k,nr_inodes=16", "mmap");
}

#[test]
fn every_inode_counts_against_nr_inodes() {
    c_group_on_tmpfs("size=1m,nr_inodes=4", "inodes");
}

/// The shell's view: dd and head stop with "No space left on device"
/// after what fits, df's Used/Avail and inode columns follow the files,
/// util-linux fallocate refuses a range past the size, a sparse truncate
/// fits, touch/mkdir/ln fail past nr_inodes.
#[test]
fn tools_see_a_full_tmpfs_as_linux_shows_it() {
    let script = r#"mount -t tmpfs -o size=1m,nr_inodes=8 t /mnt || exit 1; cd /mnt
        usage() { df -k --output=size,used,avail,itotal,iused,iavail /mnt | tail -n 1; }
        usage
        e=$(dd if=/dev/zero of=f bs=64k count=100 2>&1); echo "dd=$? $(echo "$e" | grep -v copied)"
        ls -s f; usage
        e=$(head -c 5000 /dev/zero 2>&1 >g); echo "head=$? $e"; ls -s g
        rm f g; usage
        fallocate -l 2m big 2>&1; echo falloc=$?; ls -s big
        fallocate -l 512k big 2>&1; echo falloc=$?; ls -s big
        truncate -s 1g sparse; echo trunc=$?; ls -s sparse; stat -c %s sparse; usage
        e=$(head -c 600000 /dev/zero 2>&1 >h); echo "head=$? $e"; ls -s h; usage
        rm h sparse; mkdir d; ln -s x s; mknod p p
        for i in 1 2 3 4 5 6 7 8; do touch n$i 2>&1 || break; done
        mkdir d2 2>&1; ln -s x s2 2>&1; ln n1 l 2>&1; usage
        rm n1; ln -s x s3; echo sym=$?; usage"#;
    cmd_same_as_native(&[], &["unshare", "-m", "sh", "-c", script]);
}

/// `mount -o remount,size=` below what the files hold is EINVAL (mount
/// exits 32) and keeps the old size; once they shrink it applies, and df
/// and /proc/mounts show it. Limiting a size=0 (unlimited) mount fails too.
#[test]
fn remount_cannot_shrink_below_usage() {
    let script = r#"mount -t tmpfs -o size=1m,nr_inodes=8 t /mnt || exit 1; cd /mnt
        head -c 500000 /dev/zero > f
        mount -o remount,size=256k /mnt 2>/dev/null; echo remount=$?; grep ' /mnt ' /proc/self/mounts
        mount -o remount,nr_inodes=1 /mnt 2>/dev/null; echo remount=$?
        rm f; mount -o remount,size=256k,nr_inodes=4 /mnt 2>/dev/null; echo remount=$?
        grep ' /mnt ' /proc/self/mounts; df -k --output=size,used,avail,itotal /mnt
        e=$(head -c 300000 /dev/zero 2>&1 >f); echo "head=$? $e"; ls -s f
        cd /; umount /mnt; mount -t tmpfs -o size=0 t /mnt
        mount -o remount,size=1m /mnt 2>/dev/null; echo remount=$?; grep ' /mnt ' /proc/self/mounts
        head -c 2000000 /dev/zero > /mnt/f; echo unlimited=$?"#;
    cmd_same_as_native(&[], &["unshare", "-m", "sh", "-c", script]);
}

/// The sandbox's /dev/shm (64 MiB, as runc's) refuses data past its size,
/// with what fit written; removing the file gives the room back.
#[test]
fn dev_shm_refuses_past_its_64_mib() {
    let out = common::husk_do(&[
        "--",
        "sh",
        "-c",
        "e=$(head -c 70000000 /dev/zero 2>&1 >/dev/shm/big); echo \"head=$? $e\"; stat -c %s /dev/shm/big
         df -k --output=used,avail /dev/shm | tail -n 1; rm /dev/shm/big
         head -c 1000000 /dev/zero > /dev/shm/small; echo again=$?; stat -c %s /dev/shm/small",
    ]);
    common::assert_stdout(
        &out,
        "head=1 head: error writing 'standard output': No space left on device\n67108864\n65536     0\nagain=0\n1000000\n",
    );
}
