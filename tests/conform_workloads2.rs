//! Conformance found by a second sweep of everyday tools (util-linux,
//! procps, coreutils, python3, perl; run by hand natively and under
//! `husk do`, outputs compared): each divergence, as the real program
//! that showed it and cut down to a group of tests/c/workloads2_found.c,
//! run natively and in husk.

mod common;

use common::{c_groups, cmd_same_as_native, python3};

c_groups! { "workloads2_found":
    private_mappings_once_writable_stay_apart_from_never_writable_ones => "relro_split",
    children_peak_rss_reaches_wait4_and_rusage_children => "children_maxrss",
}

/// pmap and /proc/<pid>/maps: a dynamic program's RELRO page (read-only
/// after ld.so's mprotect) is its own line, not joined to the rodata.
#[test]
fn maps_show_a_programs_relro_page_apart() {
    cmd_same_as_native(&[], &["grep", "-c", "bin/grep$", "/proc/self/maps"]);
}

/// smaps ends a mapping with THPeligible, then ProtectionKey (a number,
/// no unit; only on CPUs with protection keys), then VmFlags.
#[test]
fn smaps_shows_protection_key_after_thp_eligible_without_unit() {
    cmd_same_as_native(&[], &["sh", "-c", "sed -n '/^Locked:/,/^VmFlags:/p' /proc/self/smaps | sed -n '1,3p'"]);
}

/// python3's resource.getrusage(RUSAGE_CHILDREN).ru_maxrss after a
/// subprocess ran.
#[test]
fn python_sees_its_childrens_peak_rss() {
    let script = "import resource, subprocess\n\
                  subprocess.run(['true'])\n\
                  print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss > 0)";
    cmd_same_as_native(&[], &[&python3(), "-c", script]);
}

/// `status` as the host kernel shapes it: Kthread and untag_mask where the
/// host shows them, the CPU mask the task's affinity (taskset), node
/// masks as wide as the host's MAX_NUMNODES.
#[test]
fn status_shows_affinity_and_the_host_kernels_keys() {
    cmd_same_as_native(
        &[],
        &["taskset", "-c", "0", "grep", "-E", "^(Kthread|untag_mask|Cpus_allowed|Mems_allowed)", "/proc/self/status"],
    );
}

c_groups! { "workloads2_found":
    mmap_checks_length_and_address_before_the_file => "mmap_check_order",
}

/// `mount -t tmpfs -o ...`: the options take effect (the root's mode and
/// owner, the size and inode count statfs and df show) and /proc/mounts
/// shows them as Linux does (sizes in kB, in shmem's order).
#[test]
fn tmpfs_mount_options_take_effect_and_show_as_linux() {
    let script = "mount -t tmpfs -o mode=700,size=1m,nr_inodes=1k,uid=5,gid=6 t /mnt || exit 1
                  grep ' /mnt ' /proc/self/mounts; stat -c '%a %u %g' /mnt; df --output=size,itotal /mnt
                  umount /mnt; mount -t tmpfs -o size=0,huge=never t /mnt; grep ' /mnt ' /proc/self/mounts
                  df --output=size,itotal /mnt; umount /mnt
                  mount -t tmpfs -o bogus t /mnt 2>/dev/null; echo bogus=$?";
    cmd_same_as_native(&[], &["unshare", "-m", "sh", "-c", script]);
}

/// maps and smaps end with the vsyscall page (where the host kernel has
/// one), as pmap shows it; the page works under husk too.
#[test]
fn maps_and_smaps_show_the_vsyscall_page() {
    cmd_same_as_native(&[], &["sh", "-c", "grep -c vsyscall /proc/self/maps; grep -A25 vsyscall /proc/self/smaps"]);
}

/// The sandbox's /dev and /dev/shm are 64 MiB tmpfs mounts (as runc's):
/// df reports the size /proc/mounts shows. (Husk only: the host's own
/// /dev/shm is whatever the machine mounted.)
#[test]
fn dev_and_dev_shm_report_the_size_their_mounts_show() {
    let out = common::husk_do(&[
        "--",
        "sh",
        "-c",
        "df -k --output=size /dev /dev/shm | tail -n +2 | tr -d ' '; grep -o ' /dev/shm .*size=[0-9]*k' /proc/self/mounts",
    ]);
    common::assert_stdout(&out, "65536\n65536\n /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k\n");
}
