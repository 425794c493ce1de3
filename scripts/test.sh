#!/usr/bin/env bash
# Runs husk's whole test suite on a fresh Debian machine: installs what the
# tests need (busybox-static, a C compiler for the static test programs,
# unshare for native comparisons, procps's tools, psmisc (fuser, killall, pstree),
# lsof, hwloc-nox (lstopo), net-tools for the /proc/net readers,
# iproute2 for ip and ss (NETLINK_ROUTE, NETLINK_SOCK_DIAG),
# strace and gdb for the ptrace tests, tmux and screen for the terminal
# programs of tty_tools (watch and top are procps's, script util-linux's),
# containerd for the runc-shim test), builds once, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in busybox-static gcc libc6-dev util-linux procps psmisc lsof hwloc-nox net-tools iproute2 strace gdb tmux screen vim-tiny less python3 containerd; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --all-targets
cargo test --all-targets
