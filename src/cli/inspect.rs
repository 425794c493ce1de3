//! The text form of `inspect` (`ProcDetail`), shared by `husk debug
//! inspect` and the console's `inspect` command: [`render`].

use std::fmt::Write as _;

use crate::loader::proto::{ProcDetail, RlimitDetail};

/// `-` for an empty field.
fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

fn limit(v: Option<u64>) -> String {
    v.map_or_else(|| "unlimited".to_string(), |v| v.to_string())
}

/// Renders everything `inspect` shows about a process as readable text:
/// identity, credentials, threads and the syscall each is in, signals,
/// descriptors, memory maps and resource limits. Ends with a newline.
pub fn render(d: &ProcDetail) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "process {}  state {}  ppid {}  pgid {}  sid {}  tpgid {}",
        d.pid, d.state, d.ppid, d.pgid, d.sid, d.tpgid
    );
    let _ = writeln!(s, "  cmd          {}", or_dash(&d.cmd));
    let _ = writeln!(s, "  exe          {}", or_dash(&d.exe));
    let _ = writeln!(s, "  cwd          {}", or_dash(&d.cwd));
    let _ = writeln!(s, "  umask        {:04o}", d.umask);
    let _ = writeln!(s, "  credentials  {}", d.credentials);
    let _ = writeln!(s, "  pending      {}", or_dash(&d.pending));

    let _ = writeln!(s, "threads ({}):", d.threads.len());
    let _ = writeln!(s, "  {:<7} {:<5} {:<40} {:<24} PENDING", "TID", "STATE", "SYSCALL", "BLOCKED");
    for t in &d.threads {
        let _ = writeln!(
            s,
            "  {:<7} {:<5} {:<40} {:<24} {}",
            t.tid,
            t.state,
            or_dash(&t.syscall),
            or_dash(&t.blocked),
            or_dash(&t.pending)
        );
    }

    let _ = writeln!(s, "signals (not default: {}):", d.signals.len());
    for sig in &d.signals {
        let _ = writeln!(s, "  {:<10} {:<24} {}", sig.signal, sig.action, sig.flags);
    }

    let _ = writeln!(s, "fds ({}):", d.fds.len());
    let width = d.fds.iter().map(|f| f.target.len()).max().unwrap_or(0).clamp(6, 48);
    for f in &d.fds {
        let _ = writeln!(s, "  {:>4}  {:<width$}  {}", f.fd, f.target, f.flags);
    }

    s.push_str("maps:\n");
    for line in d.maps.lines() {
        let _ = writeln!(s, "  {line}");
    }

    s.push_str("rlimits:\n");
    let _ = writeln!(s, "  {:<18} {:>20} {:>20}", "RESOURCE", "SOFT", "HARD");
    for RlimitDetail { name, soft, hard } in &d.rlimits {
        let _ = writeln!(s, "  {name:<18} {:>20} {:>20}", limit(*soft), limit(*hard));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::proto::{FdDetail, SignalDetail, ThreadDetail};

    #[test]
    fn renders_every_section() {
        let d = ProcDetail {
            pid: 7,
            state: "S".into(),
            cmd: "sh -c read x".into(),
            threads: vec![ThreadDetail {
                tid: 7,
                state: "S".into(),
                syscall: "read(0, 0x7ffe0000, 1)".into(),
                ..Default::default()
            }],
            signals: vec![SignalDetail {
                signal: "SIGINT".into(),
                action: "handler 0x401000".into(),
                flags: "SA_RESTART".into(),
            }],
            fds: vec![FdDetail { fd: 0, target: "pipe:[4]".into(), flags: "O_RDONLY pos=0".into() }],
            maps: "00400000-00401000 r-xp 00000000 00:10 5 /bin/x\n".into(),
            rlimits: vec![RlimitDetail { name: "RLIMIT_NOFILE".into(), soft: Some(1024), hard: None }],
            ..Default::default()
        };
        let t = render(&d);
        assert!(t.starts_with("process 7  state S"), "{t}");
        assert!(t.contains("  7       S     read(0, 0x7ffe0000, 1)"), "{t}");
        assert!(t.contains("SIGINT     handler 0x401000"), "{t}");
        assert!(t.contains("     0  pipe:[4]  O_RDONLY pos=0"), "{t}");
        assert!(t.contains("  00400000-00401000 r-xp"), "{t}");
        assert!(t.contains("RLIMIT_NOFILE"), "{t}");
        assert!(t.contains("unlimited"), "{t}");
    }
}
