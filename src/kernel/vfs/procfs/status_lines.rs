//! Lines of `/proc/<pid>/status` whose shape is the host kernel's (which
//! keys it has, how wide its node masks are) or the stub's (speculation
//! mitigations of the process that runs the task's code), and the bitmap
//! text of the CPU and memory-node masks.

use std::fmt::Write as _;
use std::sync::OnceLock;

/// What the host kernel's own `status` shows, read once from the sentry's.
struct HostShape {
    /// `Kthread:` (Linux 6.11 and later).
    kthread: bool,
    /// `untag_mask:` (x86 linear address masking, 6.4 and later).
    untag_mask: bool,
    /// Bits of a node mask (MAX_NUMNODES): 32 per comma-separated word.
    node_bits: usize,
}

fn host_shape() -> &'static HostShape {
    static SHAPE: OnceLock<HostShape> = OnceLock::new();
    SHAPE.get_or_init(|| {
        let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let value = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).map(str::trim);
        HostShape {
            kthread: value("Kthread:").is_some(),
            untag_mask: value("untag_mask:").is_some(),
            node_bits: value("Mems_allowed:").map_or(32, |v| v.split(',').count() * 32),
        }
    })
}

/// `Kthread:\t0` where the host kernel shows the key (never a kernel
/// thread in a sandbox).
pub fn kthread(s: &mut String) {
    if host_shape().kthread {
        s.push_str("Kthread:\t0\n");
    }
}

/// `untag_mask:` where the host kernel shows it: every bit, as for a
/// process that did not enable address tagging (husk serves no
/// ARCH_ENABLE_TAGGED_ADDR).
pub fn untag_mask(s: &mut String) {
    if host_shape().untag_mask {
        s.push_str("untag_mask:\t0xffffffffffffffff\n");
    }
}

/// The `Speculation_*` lines of the stub process `stub` (its code is the
/// task's, so its mitigations are the task's), as the host shows them.
pub fn speculation(s: &mut String, stub: Option<i32>) {
    let Some(pid) = stub else { return };
    let text = super::host_read::read_host(&format!("/proc/{pid}/status"));
    for line in text.lines().filter(|l| l.starts_with("Speculation")) {
        s.push_str(line);
        s.push('\n');
    }
}

/// `Cpus_allowed` and `Cpus_allowed_list` of a task whose affinity is
/// `mask`, over `ncpus` CPUs (Linux's `%*pb` and `%*pbl` of nr_cpu_ids).
pub fn cpus_allowed(s: &mut String, mask: &[u64], ncpus: usize) {
    let _ = writeln!(s, "Cpus_allowed:\t{}", bitmap_hex(mask, ncpus));
    let _ = writeln!(s, "Cpus_allowed_list:\t{}", bitmap_list(mask, ncpus));
}

/// `Mems_allowed` and `Mems_allowed_list`: node 0 only, in a mask as wide
/// as the host kernel's.
pub fn mems_allowed(s: &mut String) {
    let bits = host_shape().node_bits;
    let _ = writeln!(s, "Mems_allowed:\t{}", bitmap_hex(&[1], bits));
    let _ = writeln!(s, "Mems_allowed_list:\t{}", bitmap_list(&[1], bits));
}

fn bit(mask: &[u64], i: usize) -> bool {
    mask.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 != 0)
}

/// Linux's bitmap text (`%*pb`): 32-bit words in hex, most significant
/// first, separated by commas; the first only as wide as its bits need.
fn bitmap_hex(mask: &[u64], nbits: usize) -> String {
    let words = nbits.div_ceil(32).max(1);
    let mut out = String::new();
    for w in (0..words).rev() {
        let width = if w == words - 1 { (nbits - w * 32).div_ceil(4).max(1) } else { 8 };
        let value = (0..32).filter(|b| w * 32 + b < nbits && bit(mask, w * 32 + b)).fold(0u32, |v, b| v | 1 << b);
        if !out.is_empty() {
            out.push(',');
        }
        let _ = write!(out, "{value:0width$x}");
    }
    out
}

/// Linux's bitmap list (`%*pbl`): ranges of set bits, `0-3,8`.
pub(crate) fn bitmap_list(mask: &[u64], nbits: usize) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < nbits {
        if !bit(mask, i) {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < nbits && bit(mask, i + 1) {
            i += 1;
        }
        out.push(if i == start { start.to_string() } else { format!("{start}-{i}") });
        i += 1;
    }
    out.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_print_as_linux_bitmaps() {
        assert_eq!(bitmap_hex(&[3], 2), "3");
        assert_eq!(bitmap_hex(&[2], 2), "2");
        assert_eq!(bitmap_hex(&[0xff], 8), "ff");
        assert_eq!(bitmap_hex(&[u64::MAX], 40), "ff,ffffffff");
        assert_eq!(bitmap_hex(&[1], 64), "00000000,00000001");
        assert_eq!(bitmap_list(&[0b1_0000_1111], 12), "0-3,8");
        assert_eq!(bitmap_list(&[2], 2), "1");
        assert_eq!(bitmap_list(&[1], 1024), "0");
    }
}
