//! `husk debug` (inspect, strace, mounts, net) and the richer `ps` rows:
//! what the console shows about a running container, through the control
//! socket, checked against what the container's own /proc says.

mod common;
mod oci_support;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use oci_support::{eventually, World};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(30);

fn ps(w: &World, id: &str) -> Vec<Value> {
    let o = w.husk(&["ps", "--format", "json", id]).ok();
    serde_json::from_str::<Value>(&o.stdout).unwrap().as_array().unwrap().clone()
}

/// The pid of the process of `id` whose command line is `cmd`, once there is one.
fn pid_of(w: &World, id: &str, cmd: &str) -> i64 {
    let mut pid = 0;
    eventually(&format!("{cmd:?} runs in {id}"), LIMIT, || {
        pid = ps(w, id).iter().find(|p| p["cmd"] == cmd).map_or(0, |p| p["pid"].as_i64().unwrap());
        pid != 0
    });
    pid
}

fn row(w: &World, id: &str, pid: i64) -> Value {
    ps(w, id).into_iter().find(|p| p["pid"] == pid).unwrap_or_else(|| panic!("no process {pid} in {id}"))
}

fn inspect(w: &World, id: &str, pid: i64) -> Value {
    let o = w.husk(&["debug", "inspect", "--json", id, &pid.to_string()]).ok();
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("inspect JSON: {e}: {}", o.stdout))
}

/// A field of `/proc/PID/status` as the container's own `cat` reads it.
fn status_field(w: &World, id: &str, pid: i64, field: &str) -> String {
    let o = w.husk(&["exec", id, "cat", &format!("/proc/{pid}/status")]).ok();
    o.stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("no {field} in {}", o.stdout))
}

fn stats(w: &World, id: &str) -> Value {
    let o = w.husk(&["events", "--stats", id]).ok();
    serde_json::from_str::<Value>(&o.stdout).unwrap()["data"].clone()
}

/// A `husk debug strace` running in the background, its output in a file.
struct Tracer {
    child: Child,
    out: PathBuf,
}

impl Tracer {
    fn start(w: &World, args: &[&str]) -> Tracer {
        let out = w.dir.path().join(common::unique_tag("strace"));
        let mut cmd = Command::new(common::husk_bin());
        cmd.args(["--root", w.state.to_str().unwrap(), "debug", "strace"])
            .args(args)
            .env_clear()
            .envs(common::base_env())
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out).unwrap())
            .stderr(Stdio::null())
            .process_group(0);
        Tracer { child: cmd.spawn().expect("start husk debug strace"), out }
    }

    fn text(&self) -> String {
        fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// The pids of its lines (`[pid:tid] ...`).
    fn pids(&self) -> BTreeSet<i64> {
        self.text().lines().filter_map(line_pid).collect()
    }

    /// Hangs up, as an interrupted `husk debug strace` does.
    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn line_pid(l: &str) -> Option<i64> {
    l.strip_prefix('[')?.split(':').next()?.parse().ok()
}

/// A bundle with the static C program `name` in its /bin.
fn bundle_with_program(w: &World, bundle: &str, name: &str, args: &[&str]) -> PathBuf {
    let b = w.bundle(bundle, args);
    fs::copy(common::c_program(name), b.join("rootfs/bin").join(name)).unwrap();
    b
}

fn start(w: &World, b: &Path, id: &str) {
    w.husk(&["create", "-b", b.to_str().unwrap(), id]).ok();
    w.husk(&["start", id]).ok();
}

#[test]
fn inspect_names_the_blocked_syscall_and_where_fds_lead() {
    let w = World::new("oci-debug-inspect");
    // (busybox cat uses sendfile; wc reads.)
    let b = w.bundle("b", &["sh", "-c", "sleep 1000 | wc -c"]);
    start(&w, &b, "d1");
    let cat = pid_of(&w, "d1", "wc -c");
    let sleep = pid_of(&w, "d1", "sleep 1000");
    eventually("wc waits in read", LIMIT, || row(&w, "d1", cat)["wchan"] == "read");
    let r = row(&w, "d1", sleep);
    assert!(r["wchan"] == "nanosleep" || r["wchan"] == "clock_nanosleep", "{r}");

    let d = inspect(&w, "d1", cat);
    assert_eq!(d["pid"], cat);
    assert_eq!(d["state"], "S");
    let t = &d["threads"][0];
    assert_eq!((t["tid"].as_i64(), t["state"].as_str()), (Some(cat), Some("S")), "{d}");
    assert!(t["syscall"].as_str().unwrap().starts_with("read(0, 0x"), "{t}");
    let fd0 = d["fds"].as_array().unwrap().iter().find(|f| f["fd"] == 0).unwrap().clone();
    let pipe = fd0["target"].as_str().unwrap().to_string();
    assert!(pipe.starts_with("pipe:["), "{fd0}");
    assert!(fd0["flags"].as_str().unwrap().starts_with("O_RDONLY"), "{fd0}");
    // The other end of the same pipe is sleep's stdout.
    let s = inspect(&w, "d1", sleep);
    let fd1 = s["fds"].as_array().unwrap().iter().find(|f| f["fd"] == 1).unwrap().clone();
    assert_eq!(fd1["target"], pipe.as_str(), "{fd1}");
    assert!(fd1["flags"].as_str().unwrap().starts_with("O_WRONLY"), "{fd1}");
    // The same, as /proc/PID/fd shows it inside the container.
    let o = w.husk(&["exec", "d1", "busybox", "readlink", &format!("/proc/{cat}/fd/0")]);
    assert_eq!(o.stdout.trim(), pipe, "{o:#?}");

    // The text form says the same.
    let text = w.husk(&["debug", "inspect", "d1", &cat.to_string()]).ok().stdout;
    assert!(text.contains(" read(0, 0x"), "{text}");
    assert!(text.contains(&pipe), "{text}");
    assert!(text.contains("RLIMIT_NOFILE"), "{text}");
    assert!(text.contains("/bin/busybox"), "{text}");
    w.husk(&["delete", "-f", "d1"]).ok();
}

#[test]
fn ps_rows_agree_with_the_containers_proc() {
    let w = World::new("oci-debug-ps");
    let b = w.bundle("b", &["sh", "-c", "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; exec sleep 1000"]);
    start(&w, &b, "p1");
    let init = pid_of(&w, "p1", "sleep 1000");
    let r = row(&w, "p1", init);
    // No controlling terminal.
    assert_eq!(r["tpgid"], -1, "{r}");
    let stat = w.husk(&["exec", "p1", "cat", &format!("/proc/{init}/stat")]).ok().stdout;
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split_whitespace().collect();
    assert_eq!(fields[5], "-1", "tpgid in /proc/{init}/stat: {stat}");
    // The loop above took CPU time, which stat shows too (in 1/100 s).
    let cpu_ms = r["cpu_ms"].as_u64().unwrap();
    assert!(cpu_ms > 0, "{r}");
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let after = row(&w, "p1", init)["cpu_ms"].as_u64().unwrap();
    // (stat floors user and system time to ticks separately.)
    assert!(ticks * 10 <= after && cpu_ms <= ticks * 10 + 20, "ps {cpu_ms}..{after} ms, stat {ticks} ticks");
    // Memory as /proc/PID/status shows it (the process sleeps: it is stable).
    let r = row(&w, "p1", init);
    assert_eq!(format!("{} kB", r["vsz_kb"]), status_field(&w, "p1", init, "VmSize"), "{r}");
    assert_eq!(format!("{} kB", r["rss_kb"]), status_field(&w, "p1", init, "VmRSS"), "{r}");
    assert!(r["rss_kb"].as_u64().unwrap() > 0, "{r}");
    // The long table shows the same.
    let o = w.husk(&["ps", "--long", "p1"]).ok();
    assert!(o.stdout.starts_with("UID        PID   PPID   PGID    SID  TPGID  STAT"), "{o:#?}");
    assert!(o.stdout.contains("nanosleep"), "{o:#?}");
    w.husk(&["delete", "-f", "p1"]).ok();
}

#[test]
fn inspect_shows_signal_handlers_masks_and_file_positions() {
    let w = World::new("oci-debug-signals");
    let b = bundle_with_program(&w, "b", "sig_waiter", &["/bin/sig_waiter", "/tmp/info"]);
    start(&w, &b, "s1");
    let pid = pid_of(&w, "s1", "/bin/sig_waiter /tmp/info");
    let mut info = String::new();
    eventually("sig_waiter is set up", LIMIT, || {
        info = w.husk(&["exec", "s1", "cat", "/tmp/info"]).stdout;
        info.contains("fd=")
    });
    let handler = info.lines().find_map(|l| l.strip_prefix("handler=")).unwrap().to_string();
    let fd: i64 = info.lines().find_map(|l| l.strip_prefix("fd=")).unwrap().parse().unwrap();
    eventually("sig_waiter waits in pause", LIMIT, || row(&w, "s1", pid)["wchan"] == "pause");

    let d = inspect(&w, "s1", pid);
    let sigs = d["signals"].as_array().unwrap();
    let int = sigs.iter().find(|s| s["signal"] == "SIGINT").unwrap_or_else(|| panic!("{d}"));
    assert_eq!(int["action"], format!("handler {handler}"), "{int}");
    let flags = int["flags"].as_str().unwrap();
    assert!(flags.contains("SA_RESTART") && flags.ends_with("mask=[TERM]"), "{int}");
    let quit = sigs.iter().find(|s| s["signal"] == "SIGQUIT").unwrap();
    assert_eq!(quit["action"], "ignore");
    assert!(sigs.iter().all(|s| s["signal"] != "SIGTERM"), "SIGTERM keeps its default: {d}");
    let t = &d["threads"][0];
    assert_eq!((t["blocked"].as_str(), t["pending"].as_str()), (Some("SIGUSR1"), Some("SIGUSR1")), "{t}");
    assert_eq!(t["syscall"], "pause()", "{t}");
    let f = d["fds"].as_array().unwrap().iter().find(|f| f["fd"] == fd).unwrap().clone();
    assert_eq!(f["target"], "/tmp/log", "{f}");
    let flags = f["flags"].as_str().unwrap();
    assert!(
        flags.starts_with("O_WRONLY|O_APPEND|") && flags.contains("|O_CLOEXEC") && flags.ends_with(" pos=5"),
        "{f}"
    );
    // fdinfo says the same (O_WRONLY|O_APPEND|O_CLOEXEC is 02002001).
    let o = w.husk(&["exec", "s1", "cat", &format!("/proc/{pid}/fdinfo/{fd}")]).ok();
    assert!(o.stdout.starts_with("pos:\t5\nflags:\t0"), "{o:#?}");
    let octal = o.stdout.lines().nth(1).unwrap().trim_start_matches("flags:\t");
    assert_eq!(u32::from_str_radix(octal, 8).unwrap() & 0o2002003, 0o2002001, "{o:#?}");
    assert_eq!(flags.contains("O_LARGEFILE"), u32::from_str_radix(octal, 8).unwrap() & 0o100000 != 0, "{o:#?}");
    assert!(d["credentials"].as_str().unwrap().starts_with("uid=0 euid=0 suid=0 fsuid=0 gid=0"), "{d}");
    assert!(d["credentials"].as_str().unwrap().contains("cap_eff=all"), "{d}");
    w.husk(&["delete", "-f", "s1"]).ok();
}

#[test]
fn strace_streams_syscalls_until_the_client_hangs_up() {
    let w = World::new("oci-debug-strace");
    let b = w.bundle("b", &["sleep", "1000"]);
    start(&w, &b, "t1");
    w.husk(&["exec", "-d", "t1", "sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.1; done; sleep 1000"]).ok();
    let waiter = pid_of(&w, "t1", "sh -c while [ ! -e /tmp/go ]; do sleep 0.1; done; sleep 1000");

    let all = Tracer::start(&w, &["t1"]);
    let mine = Tracer::start(&w, &["t1", &waiter.to_string()]);
    eventually("both tracers subscribed", LIMIT, || stats(&w, "t1")["strace"]["subscribers"] == 2);

    // A process the filtered tracer must not see; the other sees it all.
    let o = w.husk(&["exec", "t1", "sh", "-c", "/bin/true && touch /tmp/go"]).ok();
    assert_eq!(o.stdout, "");
    eventually("execve and exit_group of /bin/true", LIMIT, || {
        let t = all.text();
        let exec = t.lines().find(|l| l.contains(r#"execve("/bin/true", ["/bin/true"], "#) && l.contains(") = 0 "));
        exec.and_then(line_pid)
            .is_some_and(|p| t.lines().any(|l| line_pid(l) == Some(p) && l.contains("] exit_group(0) = ?")))
    });
    eventually("the waiter saw /tmp/go and runs sleep", LIMIT, || {
        // (busybox's sh runs its applets as /proc/self/exe.)
        mine.text().lines().any(|l| l.contains("] execve(") && l.contains(r#", ["sleep", "1000"], "#))
    });
    let t = all.text();
    let touch = t
        .lines()
        .find(|l| l.contains(r#""/tmp/go""#) && line_pid(l) != Some(waiter) && !l.contains("stat"))
        .and_then(line_pid);
    // The filtered tracer saw the waiter and the children it forked since
    // (a child's first lines may come before its parent's clone line).
    let forked = |t: &Tracer| -> BTreeSet<i64> {
        t.text()
            .lines()
            .filter(|l| l.contains("] clone(") || l.contains("] fork(") || l.contains("] vfork("))
            .filter_map(|l| l.rsplit(" = ").next()?.split(' ').next()?.parse().ok())
            .collect()
    };
    eventually("every pid the filtered tracer saw is the waiter or a child it forked", LIMIT, || {
        let f = forked(&mine);
        mine.pids().iter().all(|p| *p == waiter || f.contains(p))
    });
    let mine_pids = mine.pids();
    assert!(mine_pids.contains(&waiter), "{mine_pids:?}");
    assert!(!mine.text().contains("/bin/true"), "{}", mine.text());
    assert!(touch.is_some_and(|p| !mine_pids.contains(&p)), "touch {touch:?}: {}", all.text());

    // Hanging up ends tracing: later syscalls are not traced for anyone.
    all.stop();
    mine.stop();
    eventually("no tracer left", LIMIT, || stats(&w, "t1")["strace"]["subscribers"] == 0);
    let lines = stats(&w, "t1")["strace"]["lines"].as_u64().unwrap();
    assert!(lines > 0);
    w.husk(&["exec", "t1", "/bin/true"]).ok();
    assert_eq!(stats(&w, "t1")["strace"]["lines"].as_u64().unwrap(), lines);

    // Tracing a process of nobody is refused.
    w.husk(&["debug", "strace", "t1", "9999"]).one_line_error();
    w.husk(&["delete", "-f", "t1"]).ok();
}

#[test]
fn mounts_and_network() {
    let w = World::new("oci-debug-net");
    let b = w.bundle("b", &["sh", "-c", "nc -l -p 8080"]);
    std::os::unix::fs::symlink("busybox", b.join("rootfs/bin/nc")).unwrap();
    std::os::unix::fs::symlink("busybox", b.join("rootfs/bin/netstat")).unwrap();
    start(&w, &b, "n1");
    let mounts = w.husk(&["debug", "mounts", "n1"]).ok().stdout;
    let points: Vec<&str> = mounts.lines().filter_map(|l| l.split(' ').nth(4)).collect();
    assert!(points.contains(&"/") && points.contains(&"/proc"), "{mounts}");
    // As the container's init sees its mountinfo.
    let own = w.husk(&["exec", "n1", "cat", "/proc/1/mountinfo"]).ok().stdout;
    assert_eq!(mounts, own);

    eventually("nc listens", LIMIT, || w.husk(&["exec", "n1", "netstat", "-ltn"]).stdout.contains(":8080"));
    let net = w.husk(&["debug", "net", "n1"]).ok().stdout;
    assert!(net.contains("  lo: <UP,LOOPBACK,RUNNING> mtu 65536\n      inet 127.0.0.1/8\n"), "{net}");
    assert!(net.contains("local 127.0.0.0/8 dev lo scope host src 127.0.0.1"), "{net}");
    assert!(net.lines().any(|l| l.contains("tcp") && l.contains("LISTEN") && l.contains(":8080")), "{net}");
    w.husk(&["delete", "-f", "n1"]).ok();
}

#[test]
fn bad_requests_are_one_line_errors() {
    let w = World::new("oci-debug-errors");
    // Both name the same PID namespace path: they share it.
    let root = w.bundle_with("root", &["sleep", "1000"], |v| {
        v["linux"]["namespaces"] = serde_json::json!([{ "type": "pid", "path": "/proc/1/ns/pid" }]);
    });
    let b2 = w.bundle_with("b2", &["sleep", "1001"], |v| {
        v["root"]["path"] = serde_json::json!(root.join("rootfs"));
        v["linux"]["namespaces"] = serde_json::json!([{ "type": "pid", "path": "/proc/1/ns/pid" }]);
    });
    start(&w, &root, "pod");
    w.husk(&["create", "--sandbox", "pod", "-b", b2.to_str().unwrap(), "c2"]).ok();
    w.husk(&["start", "c2"]).ok();
    let other = pid_of(&w, "c2", "sleep 1001");

    let o = w.husk(&["debug", "inspect", "pod", &other.to_string()]).one_line_error();
    assert!(o.stderr.contains("different container"), "{o:#?}");
    let o = w.husk(&["debug", "inspect", "pod", "9999"]).one_line_error();
    assert!(o.stderr.contains("no such process"), "{o:#?}");
    w.husk(&["debug", "strace", "pod", &other.to_string()]).one_line_error();
    w.husk(&["debug", "inspect", "nosuch", "1"]).one_line_error();
    w.husk(&["debug", "mounts", "nosuch"]).one_line_error();
    w.husk(&["debug", "net", "nosuch"]).one_line_error();
    w.husk(&["debug", "inspect", "pod", "0"]).one_line_error();
    // Its own processes it does show.
    assert_eq!(inspect(&w, "c2", other)["cmd"], "sleep 1001");
    w.husk(&["delete", "-f", "pod"]).ok();
}
