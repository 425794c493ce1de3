//! iproute2's `ss` (NETLINK_SOCK_DIAG), net-tools' and busybox's
//! `netstat` (/proc/net/tcp, udp, unix) inside husk, against the same
//! sockets natively: tests/c/net_ss.c opens a fixed set of TCP, UDP and
//! unix sockets (fixed ports, nothing ephemeral) and runs the tools while
//! they are open; natively it runs in a fresh network namespace, so only
//! its sockets show. Inode numbers and pids differ between the runs and
//! are masked; rows are sorted, since both kernels list them in hash order.

mod common;

use common::*;

/// The fixed ports of net_ss.c (every other number of 3+ digits that
/// stands alone is an inode).
const PORTS: &[&str] = &["18600", "18601", "18610", "18611", "18612", "18620", "18621", "18622"];

fn require_ss() {
    assert!(
        std::path::Path::new("/usr/bin/ss").exists() && std::path::Path::new("/bin/netstat").exists(),
        "this test needs iproute2 (ss) and net-tools (netstat); scripts/test.sh installs them"
    );
}

/// Runs net_ss with `cmds` natively (in a new network namespace with lo
/// up) and under husk; returns both outputs.
fn both(cmds: &[&str]) -> (std::process::Output, std::process::Output) {
    require_ss();
    let bin = c_program_str("net_ss");
    let mut native = vec!["unshare", "--net", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\"", &bin];
    native.extend_from_slice(cmds);
    let n = Run::native(&native).timeout(proc_timeout()).run();
    assert_exit(&n, 0);
    let mut husk = vec!["--", bin.as_str()];
    husk.extend_from_slice(cmds);
    let h = Run::husk_do(&husk).timeout(proc_timeout()).run();
    assert_exit(&h, 0);
    (n, h)
}

fn mask_token(t: &str) -> String {
    let digits = t.len() >= 3 && t.bytes().all(|b| b.is_ascii_digit());
    if digits && !PORTS.contains(&t) {
        return "INO".into();
    }
    // `pid=123` in ss -p, `123/net_ss` in netstat -p.
    if t.contains("pid=") {
        let (mut out, mut rest) = (String::new(), t);
        while let Some(i) = rest.find("pid=") {
            out.push_str(&rest[..i + 4]);
            out.push_str("PID");
            rest = rest[i + 4..].trim_start_matches(|c: char| c.is_ascii_digit());
        }
        out.push_str(rest);
        return out;
    }
    if let Some((pid, name)) = t.split_once('/') {
        if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
            return format!("PID/{name}");
        }
    }
    t.to_string()
}

/// The output per command: the header line, then the rows sorted, each
/// with its blanks collapsed (column widths follow the widest value) and
/// inodes and pids masked.
fn sections(out: &std::process::Output) -> Vec<(String, Vec<String>)> {
    let mut v: Vec<(String, Vec<String>)> = Vec::new();
    for line in stdout_text(out).lines() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            v.push((cmd.to_string(), Vec::new()));
            continue;
        }
        let Some((_, rows)) = v.last_mut() else { continue };
        // ss's header loses the blank before "Process" when the columns are narrow.
        let line = line.replace("PortProcess", "Port Process");
        let masked: Vec<String> = line.split_whitespace().map(mask_token).collect();
        if !masked.is_empty() {
            rows.push(masked.join(" "));
        }
    }
    for (_, rows) in &mut v {
        if rows.len() > 1 {
            rows[1..].sort();
        }
    }
    v
}

/// Compares every command's output between the native run and husk's.
fn same_as_native(cmds: &[&str]) {
    let (n, h) = both(cmds);
    let (ns, hs) = (sections(&n), sections(&h));
    assert_eq!(ns.len(), cmds.len(), "native run: {}", describe(&n));
    for ((cmd, nrows), (_, hrows)) in ns.iter().zip(&hs) {
        assert_eq!(nrows, hrows, "`{cmd}` differs from native\nnative:\n{}\nhusk:\n{}", describe(&n), describe(&h));
    }
    assert_eq!(ns.len(), hs.len(), "{}", describe(&h));
}

/// `ss -tan`: listeners with their accept and backlog queues, established
/// connections with unread bytes, one waiting to be accepted (inode 0), a
/// v4-mapped connection of a dual-stack listener half closed (FIN-WAIT-2
/// and CLOSE-WAIT, whose FIN counts in Recv-Q).
#[test]
fn ss_tcp() {
    same_as_native(&["ss -tan", "ss -tn", "ss -ltn"]);
}

/// `ss -uan`: an unconnected, a connected and an IPv6 UDP socket.
#[test]
fn ss_udp() {
    same_as_native(&["ss -uan", "ss -uan 'sport >= :18621'"]);
}

/// `ss -xa`: a stream pair, a listener with a waiting client, a datagram
/// socket and one connected to it, an unbound seqpacket socket.
#[test]
fn ss_unix() {
    same_as_native(&["ss -xa", "ss -xl", "ss -xap"]);
}

/// `ss -p` matches the dumped inodes with /proc/PID/fd's socket links.
#[test]
fn ss_processes() {
    same_as_native(&["ss -ltnp", "ss -tanp", "ss -uanp"]);
}

/// Filters: `ss` compiles expressions into inet_diag bytecode, which the
/// sandbox runs on each socket.
#[test]
fn ss_filters() {
    same_as_native(&[
        "ss -tan sport = :18600",
        "ss -tan dst 127.0.0.1:18601",
        "ss -tan '( dport = :18600 or sport = :18601 )'",
        "ss -tan state established '( sport >= :18601 )'",
        "ss -tan src ::ffff:127.0.0.1",
        "ss -tan dst 10.0.0.0/8",
    ]);
}

/// `ss -s`: the per-protocol counts (/proc/net/sockstat and sockstat6).
/// Only the transport table is compared: the "TCP:" line counts sockets
/// of the whole host natively.
#[test]
fn ss_summary() {
    let (n, h) = both(&["ss -s"]);
    let table = |o: &std::process::Output| {
        stdout_text(o).lines().skip_while(|l| !l.starts_with("Transport")).map(str::to_string).collect::<Vec<_>>()
    };
    assert!(table(&n).len() > 4, "{}", describe(&n));
    assert_eq!(table(&n), table(&h), "native:\n{}\nhusk:\n{}", describe(&n), describe(&h));
    assert!(!stderr_text(&h).contains("get_sockstat"), "{}", describe(&h));
}

/// net-tools' and busybox's netstat read /proc/net/tcp, udp (and match
/// inodes with /proc/PID/fd for -p).
#[test]
fn netstat_proc_net() {
    same_as_native(&["netstat -tanp", "netstat -uan", "busybox netstat -tan", "busybox netstat -uan"]);
}

/// Extensions: `-m` (SK_MEMINFO), `-e` (inode, uid, cookie), `-i` (no
/// tcp_info: the sockets alone) work and show the same sockets.
#[test]
fn ss_extensions() {
    let (_, h) = both(&["ss -tanm", "ss -tane", "ss -tani"]);
    let text = stdout_text(&h);
    assert!(text.contains("skmem:(r5,"), "the 5 unread bytes in skmem\n{}", describe(&h));
    assert!(text.contains("ino:0 "), "the connection waiting for accept has no inode\n{}", describe(&h));
    let rows = |cmd: &str| sections(&h).into_iter().find(|(c, _)| c == cmd).map(|(_, r)| r).unwrap_or_default();
    let ports = |rows: Vec<String>| rows.iter().filter(|r| r.contains(":186")).count();
    assert_eq!(ports(rows("ss -tani")), 8, "{}", describe(&h));
}
