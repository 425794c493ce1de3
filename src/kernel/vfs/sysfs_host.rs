//! The host's CPU and NUMA attributes, shown through the sandbox's /sys:
//! `devices/system/cpu/cpuN/{cpu_capacity,topology,cache/indexM}`,
//! `devices/system/cpu/vulnerabilities` and `devices/system/node`, which
//! `lscpu`, hwloc, JVMs and BLAS libraries read to learn the machine's
//! shape (threads per core, cache sizes and sharing, NUMA nodes). The
//! sandbox runs on the host's CPUs, so these are facts about its machine
//! too; they are read from the host when opened.
//!
//! Which files exist is fixed once, from the host's tree, for the CPUs the
//! sandbox shows (`SchedAttrs::online_cpus`; CPU i of the sandbox is the
//! host's CPU i, as `sched_setaffinity` pins it). CPU masks and lists in
//! them are clipped to those CPUs, so they never name a CPU the sandbox
//! does not have.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use super::procfs::status_lines::bitmap_list;
use super::sysfs::ncpus;

/// Where the host's sysfs is.
const HOST_SYS: &str = "/sys";

/// Node lists of `devices/system/node` shown.
const NODE_FILES: [&str; 7] =
    ["online", "possible", "has_cpu", "has_memory", "has_normal_memory", "has_high_memory", "has_generic_initiator"];
/// The files of `devices/system/node/nodeK` shown: its CPUs, distances and
/// memory (the host's, as `/proc/meminfo` is; hwloc reads it).
const NODE_K_FILES: [&str; 4] = ["cpumap", "cpulist", "distance", "meminfo"];

/// One mirrored node: a directory or a read-only attribute.
#[derive(Debug)]
pub struct Entry {
    /// Relative to the sysfs root, without a leading '/'.
    pub path: String,
    pub name: String,
    pub dir: bool,
    /// The host's permission bits.
    pub mode: u32,
}

/// The mirrored part of the tree, built once.
#[derive(Debug, Default)]
pub struct HostAttrs {
    entries: Vec<Entry>,
    by_path: HashMap<String, u32>,
    /// Children of a directory (by its path), in the host's listing order.
    children: HashMap<String, Vec<u32>>,
}

/// The mirrored tree of this machine, for the CPUs the sandbox shows.
pub fn table() -> &'static HostAttrs {
    static TABLE: OnceLock<HostAttrs> = OnceLock::new();
    TABLE.get_or_init(|| HostAttrs::build(Path::new(HOST_SYS), ncpus()))
}

impl HostAttrs {
    /// Mirrors the attributes of `host` (a sysfs root) for CPUs `0..ncpus`.
    fn build(host: &Path, ncpus: u32) -> HostAttrs {
        let mut t = HostAttrs::default();
        let cpu = "devices/system/cpu";
        t.add_dir_files(host, &format!("{cpu}/vulnerabilities"), |_| true);
        for i in 0..ncpus {
            // Relative performance (hwloc's CPU kinds).
            t.add_file(host, &format!("{cpu}/cpu{i}/cpu_capacity"));
            t.add_dir_files(host, &format!("{cpu}/cpu{i}/topology"), |_| true);
            let cache = format!("{cpu}/cpu{i}/cache");
            if t.add_dir(host, &cache) {
                for name in listing(host, &cache) {
                    if name.starts_with("index") {
                        t.add_dir_files(host, &format!("{cache}/{name}"), |n| n != "uevent");
                    }
                }
            }
        }
        let node = "devices/system/node";
        if t.add_dir(host, node) {
            for name in listing(host, node) {
                let path = format!("{node}/{name}");
                if NODE_FILES.contains(&name.as_str()) {
                    t.add_file(host, &path);
                } else if name
                    .strip_prefix("node")
                    .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
                {
                    t.add_dir_files(host, &path, |n| NODE_K_FILES.contains(&n));
                }
            }
        }
        t
    }

    /// Adds directory `path` if the host has it; whether it did.
    fn add_dir(&mut self, host: &Path, path: &str) -> bool {
        host.join(path).is_dir() && self.add(path, true, 0o755)
    }

    /// Adds regular file `path` if the host has it.
    fn add_file(&mut self, host: &Path, path: &str) {
        if let Ok(m) = std::fs::symlink_metadata(host.join(path)) {
            if m.is_file() {
                use std::os::unix::fs::PermissionsExt;
                self.add(path, false, m.permissions().mode() & 0o777);
            }
        }
    }

    /// Adds directory `path` and those of its regular files `keep` names.
    fn add_dir_files(&mut self, host: &Path, path: &str, keep: impl Fn(&str) -> bool) {
        if self.add_dir(host, path) {
            for name in listing(host, path).into_iter().filter(|n| keep(n)) {
                self.add_file(host, &format!("{path}/{name}"));
            }
        }
    }

    fn add(&mut self, path: &str, dir: bool, mode: u32) -> bool {
        // sysfs.rs looks at the table only below `devices/system`.
        debug_assert!(path.starts_with("devices/system/"), "{path}");
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
        let idx = self.entries.len() as u32;
        self.entries.push(Entry { path: path.to_string(), name: name.to_string(), dir, mode });
        self.by_path.insert(path.to_string(), idx);
        self.children.entry(parent.to_string()).or_default().push(idx);
        true
    }

    /// Entry `idx`.
    pub fn entry(&self, idx: u32) -> Option<&Entry> {
        self.entries.get(idx as usize)
    }

    /// The entry at `path` (relative to the sysfs root).
    pub fn lookup(&self, path: &str) -> Option<u32> {
        self.by_path.get(path).copied()
    }

    /// The mirrored children of the directory at `path`.
    pub fn children(&self, path: &str) -> &[u32] {
        self.children.get(path).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The contents of file `idx` as the sandbox sees them: the host's,
    /// read now, with CPU masks and lists clipped to the sandbox's CPUs.
    pub fn read(&self, idx: u32) -> Vec<u8> {
        let Some(e) = self.entry(idx) else {
            return Vec::new();
        };
        let raw = std::fs::read(Path::new(HOST_SYS).join(&e.path)).unwrap_or_default();
        let text = String::from_utf8_lossy(&raw);
        match shape(&e.name) {
            Shape::Mask => clip_mask(&text, ncpus()).into_bytes(),
            Shape::List => clip_list(&text, ncpus()).into_bytes(),
            Shape::Verbatim => raw,
        }
    }
}

/// The names in host directory `path`, in the host's listing order.
fn listing(host: &Path, path: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(host.join(path)) else {
        return Vec::new();
    };
    dir.flatten().filter_map(|e| e.file_name().into_string().ok()).collect()
}

/// How a file's contents name CPUs.
#[derive(Debug, PartialEq, Eq)]
enum Shape {
    /// A hex mask in 32-bit groups ("0000000f" or "ff,ffffffff").
    Mask,
    /// A range list ("0-3,8").
    List,
    /// No CPUs (ids, sizes, node lists, text).
    Verbatim,
}

fn shape(name: &str) -> Shape {
    if name == "cpumap" || name == "shared_cpu_map" || name.ends_with("_siblings") || name.ends_with("_cpus") {
        Shape::Mask
    } else if name == "cpulist"
        || name == "shared_cpu_list"
        || name.ends_with("_siblings_list")
        || name.ends_with("_cpus_list")
    {
        Shape::List
    } else {
        Shape::Verbatim
    }
}

/// Mask `text` without CPUs `n` and up, in the same layout (digits and
/// commas) as the host printed it.
pub fn clip_mask(text: &str, n: u32) -> String {
    let mut out: Vec<char> = text.trim_end_matches('\n').chars().collect();
    let mut nibble = 0u32;
    for c in out.iter_mut().rev() {
        let Some(v) = c.to_digit(16) else {
            continue;
        };
        let lo = nibble * 4;
        let keep = match n.saturating_sub(lo) {
            0 => 0,
            k if k >= 4 => 0xf,
            k => (1 << k) - 1,
        };
        *c = std::char::from_digit(v & keep, 16).unwrap_or('0');
        nibble += 1;
    }
    let mut s: String = out.into_iter().collect();
    s.push('\n');
    s
}

/// List `text` ("0-3,8") without CPUs `n` and up, in Linux's list format.
pub fn clip_list(text: &str, n: u32) -> String {
    let mut mask = vec![0u64; (n as usize).div_ceil(64)];
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
            for c in a..=b.min(n.saturating_sub(1)) {
                mask[c as usize / 64] |= 1 << (c % 64);
            }
        }
    }
    bitmap_list(&mask, n as usize) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_hosts_layout_and_lose_cpus_past_the_sandboxs() {
        assert_eq!(clip_mask("3\n", 2), "3\n");
        assert_eq!(clip_mask("f\n", 2), "3\n");
        assert_eq!(clip_mask("ffffffff,ffffffff\n", 36), "0000000f,ffffffff\n");
        assert_eq!(clip_mask("00000000,00000101\n", 8), "00000000,00000001\n");
    }

    #[test]
    fn lists_are_clipped_and_printed_as_linux_ranges() {
        assert_eq!(clip_list("0-1\n", 2), "0-1\n");
        assert_eq!(clip_list("0-3,8-11\n", 10), "0-3,8-9\n");
        assert_eq!(clip_list("4-7\n", 2), "\n");
        assert_eq!(clip_list("0,2,4\n", 8), "0,2,4\n");
        assert_eq!(clip_list("0-2,5\n", 8), "0-2,5\n");
    }

    #[test]
    fn file_shapes_follow_their_names() {
        assert_eq!(shape("thread_siblings"), Shape::Mask);
        assert_eq!(shape("core_cpus"), Shape::Mask);
        assert_eq!(shape("shared_cpu_map"), Shape::Mask);
        assert_eq!(shape("core_siblings_list"), Shape::List);
        assert_eq!(shape("shared_cpu_list"), Shape::List);
        assert_eq!(shape("cpulist"), Shape::List);
        assert_eq!(shape("core_id"), Shape::Verbatim);
        assert_eq!(shape("online"), Shape::Verbatim);
        assert_eq!(shape("spectre_v2"), Shape::Verbatim);
    }

    #[test]
    fn a_host_tree_is_mirrored_for_the_sandboxs_cpus_only() {
        let dir = std::env::temp_dir().join(format!("husk-sysfs-host-{}", std::process::id()));
        let w = |p: &str, s: &str| {
            let p = dir.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, s).unwrap();
        };
        w("devices/system/cpu/cpu0/topology/core_id", "0\n");
        w("devices/system/cpu/cpu1/topology/core_id", "1\n");
        w("devices/system/cpu/cpu0/cache/index0/size", "32K\n");
        w("devices/system/cpu/cpu0/cache/index0/uevent", "");
        w("devices/system/cpu/vulnerabilities/meltdown", "Not affected\n");
        w("devices/system/node/online", "0\n");
        w("devices/system/node/node0/cpumap", "3\n");
        w("devices/system/node/node0/numastat", "host\n");
        let t = HostAttrs::build(&dir, 1);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(t.lookup("devices/system/cpu/cpu0/topology/core_id").is_some());
        assert!(t.lookup("devices/system/cpu/cpu1/topology").is_none());
        assert!(t.lookup("devices/system/cpu/cpu0/cache/index0/size").is_some());
        assert!(t.lookup("devices/system/cpu/cpu0/cache/index0/uevent").is_none());
        assert!(t.lookup("devices/system/cpu/vulnerabilities/meltdown").is_some());
        assert!(t.lookup("devices/system/node/node0/cpumap").is_some());
        assert!(t.lookup("devices/system/node/node0/numastat").is_none());
        let names: Vec<&str> =
            t.children("devices/system/node").iter().filter_map(|&i| t.entry(i)).map(|e| e.name.as_str()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
