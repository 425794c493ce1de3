//! Sizes and limits as the command line takes them (`husk do --memory`,
//! `husk update`).

use crate::loader::memory::MIN_MEMORY;

/// A size as `docker run --memory` takes it: a number of bytes, or with a
/// binary unit (`k`, `m`, `g`, `t`, any case, optionally followed by `b`
/// or `ib`); at least `MIN_MEMORY`.
pub fn parse_memory(text: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let number = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &lower[number.len()..];
    let shift = match unit {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("unknown unit {unit:?} (use k, m, g or t)")),
    };
    let n: u64 = number.parse().map_err(|_| "not a size (e.g. 512m, 2g)".to_string())?;
    let bytes = n.checked_mul(1 << shift).ok_or("too large")?;
    if bytes < MIN_MEMORY {
        return Err("the smallest memory limit is 4m".into());
    }
    Ok(bytes)
}

/// A limit `husk update` takes: as `parse`, or `-1`/`max` for none
/// (`u64::MAX`), as runc update.
pub fn unlimited_or(text: &str, parse: impl Fn(&str) -> Result<u64, String>) -> Result<u64, String> {
    match text.trim() {
        "-1" | "max" => Ok(u64::MAX),
        t => parse(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_parse_as_docker_takes_them() {
        assert_eq!(parse_memory("64m"), Ok(64 << 20));
        assert_eq!(parse_memory("1G"), Ok(1 << 30));
        assert_eq!(parse_memory("8MiB"), Ok(8 << 20));
        assert!(parse_memory("1m").is_err());
        assert!(parse_memory("5x").is_err());
        assert_eq!(unlimited_or("-1", parse_memory), Ok(u64::MAX));
        assert_eq!(unlimited_or("max", parse_memory), Ok(u64::MAX));
    }
}
