//! Signal names and numbers, as the CLI and the console take and show them
//! (`KILL`, `SIGKILL`, `kill`, `9`, `RTMIN+2`).

use anyhow::{anyhow, bail, Result};

/// The classic signals by name (without `SIG`); aliases after the main name.
pub const NAMES: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("IOT", libc::SIGIOT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("STKFLT", libc::SIGSTKFLT),
    ("CHLD", libc::SIGCHLD),
    ("CLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("POLL", libc::SIGPOLL),
    ("PWR", libc::SIGPWR),
    ("SYS", libc::SIGSYS),
];

/// Parses a signal name (`KILL`, `SIGKILL`, `kill`, `RTMIN+2`) or number.
pub fn parse_signal(s: &str) -> Result<i32> {
    if let Ok(n) = s.parse::<i32>() {
        if (1..=64).contains(&n) {
            return Ok(n);
        }
        bail!("invalid signal {s:?}");
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    if let Some((_, n)) = NAMES.iter().find(|(n, _)| *n == name) {
        return Ok(*n);
    }
    let rt = |base: i32, off: &str| -> Option<i32> {
        let o: i32 = if off.is_empty() { 0 } else { off.parse().ok()? };
        let n = base + o;
        (34..=64).contains(&n).then_some(n)
    };
    let parsed = if let Some(off) = name.strip_prefix("RTMIN") {
        off.strip_prefix('+').or((off.is_empty()).then_some("")).and_then(|o| rt(34, o))
    } else if let Some(off) = name.strip_prefix("RTMAX") {
        off.strip_prefix('-')
            .map(|o| o.parse::<i32>().ok().map(|o| -o))
            .unwrap_or(Some(0))
            .and_then(|o| rt(64, &o.to_string()))
    } else {
        None
    };
    parsed.ok_or_else(|| anyhow!("unknown signal {s:?}"))
}

/// The name of signal `n` (`SIGTERM`, `SIGRTMIN+2`), or its number.
pub fn signal_name(n: i32) -> String {
    if let Some((name, _)) = NAMES.iter().find(|(_, v)| *v == n) {
        return format!("SIG{name}");
    }
    match n {
        34 => "SIGRTMIN".into(),
        64 => "SIGRTMAX".into(),
        35..=63 => format!("SIGRTMIN+{}", n - 34),
        _ => n.to_string(),
    }
}

/// Every name `parse_signal` takes, with `SIG`, for completion.
pub fn completion_names() -> Vec<String> {
    let mut v: Vec<String> = NAMES.iter().map(|(n, _)| format!("SIG{n}")).collect();
    v.push("SIGRTMIN".into());
    v.push("SIGRTMAX".into());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals() {
        assert_eq!(parse_signal("KILL").unwrap(), 9);
        assert_eq!(parse_signal("SIGTERM").unwrap(), 15);
        assert_eq!(parse_signal("hup").unwrap(), 1);
        assert_eq!(parse_signal("9").unwrap(), 9);
        assert_eq!(parse_signal("RTMIN").unwrap(), 34);
        assert_eq!(parse_signal("RTMIN+2").unwrap(), 36);
        assert_eq!(parse_signal("RTMAX").unwrap(), 64);
        assert_eq!(parse_signal("SIGRTMAX-1").unwrap(), 63);
        for bad in ["SIGFOO", "0", "65", "", "RTMIN+40"] {
            assert!(parse_signal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_round_trip() {
        for n in 1..=64 {
            assert_eq!(parse_signal(&signal_name(n)).unwrap(), n, "{}", signal_name(n));
        }
        assert_eq!(signal_name(15), "SIGTERM");
        assert_eq!(signal_name(36), "SIGRTMIN+2");
    }
}
