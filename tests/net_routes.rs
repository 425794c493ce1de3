//! `/proc/net/route`, `/proc/net/arp` and `/proc/net/if_inet6` as busybox
//! and net-tools read them (`route -n`, `arp -n`, `netstat -rn`). The
//! expected lines come from the sandbox's configuration (lo 127.0.0.1/8 and
//! ::1; with --network=sandbox eth0 10.0.2.15/24, no gateway); where the
//! host allows an unprivileged network namespace, the same programs run
//! natively in one configured the same way and must print the same.

mod common;

use common::*;

const NET_TOOLS_ROUTE: &str = "/usr/sbin/route";
const NET_TOOLS_ARP: &str = "/usr/sbin/arp";
const NET_TOOLS_NETSTAT: &str = "/usr/bin/netstat";

/// The programs under test, separated so one failure shows which.
fn tools_script() -> String {
    format!(
        "busybox route -n; echo --; {NET_TOOLS_ROUTE} -n; echo --; {NET_TOOLS_NETSTAT} -rn; echo --; \
         busybox arp -n; echo --; {NET_TOOLS_ARP} -n; echo --"
    )
}

fn in_husk(network: &str, script: &str) -> std::process::Output {
    require_busybox();
    Run::husk_do(&[network, "--", BUSYBOX, "sh", "-c", script]).timeout(proc_timeout()).run()
}

/// Runs `script` natively in a fresh user+network namespace after `setup`;
/// None when the host does not allow one (then only the expected lines are
/// checked).
fn in_native_netns(setup: &str, script: &str) -> Option<std::process::Output> {
    let full = format!("{setup} || exit 97; {script}");
    let out = Run::native(&["unshare", "-rn", "sh", "-c", &full]).timeout(proc_timeout()).run();
    if exit_code(&out) != 0 {
        eprintln!("no native network namespace; skipping the native comparison\n{}", describe(&out));
        return None;
    }
    Some(out)
}

const ROUTE_HEADER: &str = "Kernel IP routing table\n\
Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n";
const NETSTAT_HEADER: &str = "Kernel IP routing table\n\
Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n";

/// --network=sandbox: eth0's connected route is the main table's only
/// route; the ARP table is empty.
#[test]
fn route_arp_netstat_in_sandbox_mode() {
    let out = in_husk("--network=sandbox", &tools_script());
    assert_exit(&out, 0);
    let route = format!("{ROUTE_HEADER}10.0.2.0        0.0.0.0         255.255.255.0   U     0      0        0 eth0\n");
    let netstat =
        format!("{NETSTAT_HEADER}10.0.2.0        0.0.0.0         255.255.255.0   U         0 0          0 eth0\n");
    let expected = format!("{route}--\n{route}--\n{netstat}--\n--\n--\n");
    assert_stdout(&out, &expected);
    let native = in_native_netns(
        "ip link add eth0 type veth peer name peer0 && ip addr add 10.0.2.15/24 dev eth0 && \
         ip link set peer0 up && ip link set eth0 up && ip link set lo up",
        &tools_script(),
    );
    if let Some(n) = native {
        assert_same_as_native(&n, &out);
    }
}

/// --network=none: loopback's routes live in the local table, so route
/// prints its header alone, as Linux does with only lo up.
#[test]
fn route_arp_netstat_in_none_mode() {
    let out = in_husk("--network=none", &tools_script());
    assert_exit(&out, 0);
    assert_stdout(&out, &format!("{ROUTE_HEADER}--\n{ROUTE_HEADER}--\n{NETSTAT_HEADER}--\n--\n--\n"));
    if let Some(n) = in_native_netns("ip link set lo up", &tools_script()) {
        assert_same_as_native(&n, &out);
    }
}

/// ::1 on lo is the one IPv6 address in every mode.
#[test]
fn if_inet6_lists_loopback() {
    let script = "cat /proc/net/if_inet6";
    for network in ["--network=none", "--network=sandbox"] {
        let out = in_husk(network, script);
        assert_stdout(&out, "00000000000000000000000000000001 01 80 10 80       lo\n");
    }
    if let Some(n) = in_native_netns("ip link set lo up", script) {
        assert_same_as_native(&n, &in_husk("--network=none", script));
    }
}

/// The files' headers are the host kernel's, line widths and field counts
/// too.
#[test]
fn proc_net_formats_match_the_host() {
    let out = in_husk("--network=sandbox", "cat /proc/net/route; echo --; cat /proc/net/arp");
    assert_exit(&out, 0);
    let text = stdout_text(&out);
    let (route, arp) = text.split_once("--\n").expect("two files");
    let host_route = std::fs::read_to_string("/proc/net/route").expect("host /proc/net/route");
    let host_arp = std::fs::read_to_string("/proc/net/arp").expect("host /proc/net/arp");
    assert_eq!(route.lines().next(), host_route.lines().next(), "{}", describe(&out));
    assert_eq!(arp.lines().next(), host_arp.lines().next(), "{}", describe(&out));
    let host_fields = host_route.lines().next().unwrap().split('\t').filter(|f| !f.is_empty()).count();
    for line in route.lines().skip(1) {
        assert_eq!(line.len(), 127, "{line:?}");
        assert_eq!(line.trim_end().split('\t').count(), host_fields, "{line:?}");
    }
    assert_eq!(route.lines().count(), 2, "{}", describe(&out));

    let out = in_husk("--network=sandbox", "cat /proc/net/if_inet6");
    let widths = |l: &str| l.split_whitespace().map(str::len).collect::<Vec<_>>();
    let text = stdout_text(&out);
    let ours: Vec<_> = text.lines().map(widths).collect();
    assert_eq!(ours, vec![vec![32, 2, 2, 2, 2, 2]], "{}", describe(&out));
    // The name is right-aligned in 8 columns: 53 characters in all.
    assert!(text.lines().all(|l| l.len() == 53), "{}", describe(&out));
    if let Ok(host) = std::fs::read_to_string("/proc/net/if_inet6") {
        for line in host.lines() {
            assert_eq!(widths(line)[..5], [32, 2, 2, 2, 2], "host line {line:?}");
            assert!(line.len() >= 53, "host line {line:?}");
        }
    }
}

/// --network=host: /proc/net shows the sandbox's own stack there (lo
/// only, as /proc/net/dev and netlink do), not the host's tables.
#[test]
fn host_mode_shows_loopback_only() {
    let out = in_husk("--network=host", "cat /proc/net/route | wc -l; cat /proc/net/if_inet6; cat /proc/net/dev");
    assert_exit(&out, 0);
    let text = stdout_text(&out);
    assert!(text.starts_with("1\n00000000000000000000000000000001 01 80 10 80       lo\n"), "{}", describe(&out));
    assert!(!text.contains("eth0"), "{}", describe(&out));
}
