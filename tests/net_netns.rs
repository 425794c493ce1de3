//! Network namespaces (CLONE_NEWNET): tests/c/netns.c's groups natively
//! and under husk as root, and `unshare -n` with iproute2 and busybox, the
//! everyday way to run something without network. Every change is made in
//! a new namespace, never to the host's network.

mod common;

use common::*;

c_groups! { "netns":
    netns_fresh_namespace_has_lo_down => "fresh",
    netns_lo_up_serves_loopback => "lo_up",
    netns_needs_privilege => "unprivileged",
    netns_port_spaces_are_apart => "ports",
    netns_abstract_unix_names_are_apart => "unix_names",
    netns_clone_proc_net_and_sysctls => "clone",
}

/// Runs `script` with `sh -c` natively and under `husk do` (with `flags`)
/// and requires the same output.
fn same_as_native(flags: &[&str], script: &str) {
    cmd_same_as_native(flags, &["/bin/sh", "-c", script]);
}

/// `ip` in a new namespace: lo alone, down, then up with its addresses.
#[test]
fn unshare_n_ip_link_and_addr() {
    same_as_native(&[], "unshare -n ip -o link; unshare -n ip -o addr");
    same_as_native(
        &[],
        "unshare -n sh -c 'ip link set lo up && ip -o link && ip -o addr && \
         ip link set dev lo down && ip -o link && ip -o addr'",
    );
}

/// `ping` over a new namespace's loopback once it is up, and not before.
#[test]
fn unshare_n_ping_loopback() {
    require_busybox();
    same_as_native(
        &[],
        "unshare -n sh -c 'busybox ping -c1 -W1 127.0.0.1 >/dev/null 2>&1; echo down $?; \
         ip link set lo up; busybox ping -c1 127.0.0.1 | grep \"packets received\"'",
    );
}

/// `ip netns add` binds `/proc/self/ns/net` on `/run/netns/NAME`: the name
/// holds the namespace after `ip` exits, `ip netns exec` enters it, and
/// `ip netns delete` lets it go. (On a private tmpfs over /run, natively in a
/// private mount namespace, so the host's /run is untouched.)
#[test]
fn ip_netns_add_exec_delete() {
    same_as_native(
        &[],
        "unshare -m sh -c 'mount -t tmpfs tmpfs /run && ip netns add t1 && ip netns list && \
         ip netns exec t1 ip -o link && ip netns exec t1 ip link set lo up && \
         ip netns exec t1 ip -o addr && ip -o link | grep -c LOOPBACK && \
         ip netns delete t1 && ip netns list && echo done' 2>&1",
    );
}

/// With --network=host a new namespace is the sandbox's own loopback: a
/// listener on the host's 127.0.0.1 is reached from the sandbox's first
/// namespace, never from a new one.
#[test]
fn netns_under_host_network_is_loopback_only() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a host listener");
    let port = listener.local_addr().expect("its address").port().to_string();
    let bin = c_program_str("netns");
    let n = Run::native(&[&bin, "outside_port"]).env("NETNS_PORT", &port).timeout(proc_timeout()).run();
    assert_all_ok(&n, "native netns outside_port");
    let h = Run::husk_do(&["--network=host", "--", &bin, "outside_port"])
        .env("NETNS_PORT", &port)
        .timeout(proc_timeout())
        .run();
    assert_same_as_native(&n, &h);
    same_as_native(&["--network=host"], "unshare -n sh -c 'ip -o link; cat /proc/net/dev'");
}
