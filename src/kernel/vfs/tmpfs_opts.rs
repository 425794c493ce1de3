//! The options of a tmpfs mount (`mount -t tmpfs -o size=1m,mode=700,uid=5`)
//! as Linux's shmem parses them, and the text `/proc/mounts` shows for
//! them (shmem_show_options: sizes in kB, set values only, in its order).

use super::overlay::host_ram;
use crate::kernel::errno::Errno;

const PAGE: u64 = 4096;

/// What a tmpfs mount was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TmpfsOptions {
    /// Pages it may hold (`size=`, `nr_blocks=`); 0 is no limit.
    pub blocks: Option<u64>,
    /// Inodes it may hold (`nr_inodes=`); 0 is no limit.
    pub inodes: Option<u64>,
    /// The root directory's permission bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Options kept as given and shown after those (`huge=`, `mpol=`).
    extra: Vec<String>,
}

/// Linux's memparse: a number (decimal, 0x hex or 0 octal) with an
/// optional K/M/G/T/P/E suffix; the rest of the text after it.
fn memparse(s: &str) -> Option<(u64, &str)> {
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let end = digits.find(|c: char| !c.is_digit(radix)).unwrap_or(digits.len());
    if end == 0 && radix != 8 {
        return None;
    }
    let n = if end == 0 { 0 } else { u64::from_str_radix(&digits[..end], radix).ok()? };
    let rest = &digits[end..];
    let shift = match rest.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('k') => 10,
        Some('m') => 20,
        Some('g') => 30,
        Some('t') => 40,
        Some('p') => 50,
        Some('e') => 60,
        _ => return Some((n, rest)),
    };
    Some((n.checked_shl(shift).unwrap_or(u64::MAX), &rest[1..]))
}

/// A whole memparse value (nothing after the suffix).
fn mem_value(v: &str) -> Result<u64, Errno> {
    match memparse(v) {
        Some((n, "")) => Ok(n),
        _ => Err(Errno::EINVAL),
    }
}

impl TmpfsOptions {
    /// A tmpfs of `bytes` whose root has permission bits `mode`.
    pub fn with_size(mode: u32, bytes: u64) -> TmpfsOptions {
        TmpfsOptions { blocks: Some(bytes.div_ceil(PAGE)), ..TmpfsOptions::with_mode(mode) }
    }

    /// No options but the root's permission bits.
    pub fn with_mode(mode: u32) -> TmpfsOptions {
        TmpfsOptions { blocks: None, inodes: None, mode: mode & 0o7777, uid: 0, gid: 0, extra: Vec::new() }
    }

    /// Parses a tmpfs mount's data (comma-separated options); an unknown
    /// option or a bad value is EINVAL, as Linux's fs_parser makes it.
    pub fn parse(data: &str, default_mode: u32) -> Result<TmpfsOptions, Errno> {
        let mut o = TmpfsOptions::with_mode(default_mode);
        for opt in data.split(',').filter(|s| !s.is_empty()) {
            let (key, value) = opt.split_once('=').unwrap_or((opt, ""));
            match key {
                "size" => {
                    let (n, rest) = memparse(value).ok_or(Errno::EINVAL)?;
                    let bytes = match rest {
                        "" => n,
                        "%" => n.saturating_mul(host_ram() / PAGE) / 100 * PAGE,
                        _ => return Err(Errno::EINVAL),
                    };
                    o.blocks = Some(bytes.div_ceil(PAGE));
                }
                "nr_blocks" => o.blocks = Some(mem_value(value)?),
                "nr_inodes" => o.inodes = Some(mem_value(value)?),
                "mode" => o.mode = u32::from_str_radix(value, 8).map_err(|_| Errno::EINVAL)? & 0o7777,
                "uid" => o.uid = value.parse().map_err(|_| Errno::EINVAL)?,
                "gid" => o.gid = value.parse().map_err(|_| Errno::EINVAL)?,
                // `never` is the default, which Linux does not show.
                "huge" if value == "never" => o.extra.retain(|e| !e.starts_with("huge=")),
                "huge" if ["always", "within_size", "advise", "deny", "force"].contains(&value) => {
                    o.extra.retain(|e| !e.starts_with("huge="));
                    o.extra.push(opt.to_string())
                }
                "mpol" if !value.is_empty() => o.extra.push(opt.to_string()),
                // Inode number width and swap: accepted, nothing to show.
                "inode32" | "inode64" | "noswap" if value.is_empty() => {}
                _ => return Err(Errno::EINVAL),
            }
        }
        Ok(o)
    }

    /// Takes what a remount may change (shmem_reconfigure): the limits
    /// and huge/mpol given; the root's mode and owner stay.
    pub fn remount_with(&mut self, new: &TmpfsOptions) {
        if new.blocks.is_some() {
            self.blocks = new.blocks;
        }
        if new.inodes.is_some() {
            self.inodes = new.inodes;
        }
        for e in &new.extra {
            let key = e.split('=').next().unwrap_or_default();
            self.extra.retain(|x| !x.starts_with(key));
            self.extra.push(e.clone());
        }
    }

    /// The options as `/proc/mounts` shows them.
    pub fn shown(&self) -> String {
        let mut out = Vec::new();
        if let Some(b) = self.blocks {
            out.push(format!("size={}k", b * (PAGE / 1024)));
        }
        if let Some(i) = self.inodes {
            out.push(format!("nr_inodes={i}"));
        }
        if self.mode != 0o1777 {
            out.push(format!("mode={:03o}", self.mode));
        }
        if self.uid != 0 {
            out.push(format!("uid={}", self.uid));
        }
        if self.gid != 0 {
            out.push(format!("gid={}", self.gid));
        }
        out.extend(self.extra.iter().cloned());
        out.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_show_as_linux_shows_them() {
        let o = TmpfsOptions::parse("mode=700,size=1m,nr_inodes=1k,uid=5,gid=6", 0o1777).unwrap();
        assert_eq!(o.shown(), "size=1024k,nr_inodes=1024,mode=700,uid=5,gid=6");
        assert_eq!(TmpfsOptions::parse("size=5000", 0o1777).unwrap().shown(), "size=8k");
        assert_eq!(TmpfsOptions::parse("", 0o1777).unwrap().shown(), "");
        assert_eq!(TmpfsOptions::parse("mode=1777,huge=always", 0o755).unwrap().shown(), "huge=always");
        assert_eq!(TmpfsOptions::parse("huge=always,huge=never", 0o1777).unwrap().shown(), "");
        assert_eq!(TmpfsOptions::parse("mode=0", 0o1777).unwrap().shown(), "mode=000");
        for bad in ["size=1q", "size=", "bogus", "uid=x", "mode=9", "huge=sometimes"] {
            assert_eq!(TmpfsOptions::parse(bad, 0o1777), Err(Errno::EINVAL), "{bad}");
        }
    }
}
