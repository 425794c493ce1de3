//! Numbers written to the kernel's control files (`/proc/<pid>` settings,
//! cgroup files), read as Linux's `kstrto*` functions read them.

use crate::kernel::errno::Errno;

/// A number written to a control file as the kernel's `kstrto*` with base 0
/// reads it: decimal, `0x` hex or `0` octal, a trailing newline allowed.
pub fn number_base0(data: &[u8]) -> Result<i64, Errno> {
    let s = std::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
    let s = s.strip_suffix('\n').unwrap_or(s);
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(Errno::EINVAL);
    }
    let v = i64::from_str_radix(digits, radix).map_err(|_| Errno::ERANGE)?;
    Ok(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_kstrto_with_base_0() {
        assert_eq!(number_base0(b"0x3f\n"), Ok(0x3f));
        assert_eq!(number_base0(b"017"), Ok(15));
        assert_eq!(number_base0(b"-17"), Ok(-17));
        assert_eq!(number_base0(b"0"), Ok(0));
        assert_eq!(number_base0(b"12 "), Err(Errno::EINVAL));
        assert_eq!(number_base0(b"0x"), Err(Errno::EINVAL));
        assert_eq!(number_base0(b""), Err(Errno::EINVAL));
    }
}
