//! containerd's runc shim (containerd-shim-runc-v2, through go-runc) drives
//! husk as its runc: `ctr run --runc-binary husk`, `ctr task exec`, `kill`
//! and `ls` on a private containerd (its own root, state and socket under a
//! temp dir, its own namespace). Skipped, with the reason printed, when
//! containerd or ctr is not installed or we are not root. Also the runc-compatible pieces on
//! their own: runc's global flags and its JSON log lines.

mod common;
mod oci_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{husk_bin, ScratchDir, BUSYBOX};
use oci_support::World;

/// How long one ctr command may take.
const CTR_LIMIT: Duration = Duration::from_secs(30);

fn installed(name: &str) -> bool {
    std::env::var_os("PATH").map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file())).unwrap_or(false)
}

/// A private containerd, stopped (and its tasks' shims with it) on drop.
struct Containerd {
    dir: ScratchDir,
    child: Child,
    namespace: String,
}

#[derive(Debug)]
struct CtrOut {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Containerd {
    fn start() -> Option<Containerd> {
        for tool in ["containerd", "ctr", "containerd-shim-runc-v2"] {
            if !installed(tool) {
                eprintln!("skipped: {tool} is not installed");
                return None;
            }
        }
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: containerd needs root (/run/containerd)");
            return None;
        }
        let dir = ScratchDir::new("ctd");
        let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
        let config = format!(
            "version = 2\nroot = \"{}\"\nstate = \"{}\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = \"{}\"\n[ttrpc]\n  address = \"{}\"\n[debug]\n  address = \"{}\"\n",
            p("root"),
            p("state"),
            p("c.sock"),
            p("c.ttrpc"),
            p("d.sock")
        );
        fs::write(dir.path().join("config.toml"), config).unwrap();
        let log = fs::File::create(dir.path().join("containerd.log")).unwrap();
        let child = Command::new("containerd")
            .arg("--config")
            .arg(dir.path().join("config.toml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting containerd");
        let c = Containerd { dir, child, namespace: format!("husk-test-{}", std::process::id()) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while c.ctr(&["version"]).code != 0 {
            assert!(Instant::now() < deadline, "containerd did not come up:\n{}", c.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(c)
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("containerd.log")).unwrap_or_default()
    }

    /// `ctr ARGS` against this containerd, bounded; output through files.
    fn ctr(&self, args: &[&str]) -> CtrOut {
        let tag = common::unique_tag("ctr");
        let (out, err) = (self.dir.path().join(format!("{tag}.out")), self.dir.path().join(format!("{tag}.err")));
        let mut child = Command::new("ctr")
            .arg("--address")
            .arg(self.dir.path().join("c.sock"))
            .arg("--namespace")
            .arg(&self.namespace)
            .args(args)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out).unwrap())
            .stderr(fs::File::create(&err).unwrap())
            .spawn()
            .expect("starting ctr");
        let deadline = Instant::now() + CTR_LIMIT;
        let code = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("ctr {args:?} did not finish within {CTR_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let read = |p: &Path| fs::read_to_string(p).unwrap_or_default();
        CtrOut { code, stdout: read(&out), stderr: read(&err) }
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A busybox root file system.
fn rootfs(dir: &ScratchDir) -> PathBuf {
    let root = dir.path().join("rootfs");
    for d in ["bin", "proc", "dev", "sys", "tmp", "etc"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    fs::copy(BUSYBOX, root.join("bin/busybox")).unwrap();
    for a in ["sh", "echo", "id", "sleep", "cat"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(a)).unwrap();
    }
    root
}

#[test]
fn ctr_run_exec_kill_and_ls_through_the_runc_shim() {
    common::require_busybox();
    let Some(c) = Containerd::start() else { return };
    let root = rootfs(&c.dir);
    let root = root.to_str().unwrap();
    let husk = husk_bin();
    let tag = format!("{}", std::process::id());
    let (once, long) = (format!("once-{tag}"), format!("long-{tag}"));

    // A foreground run: its output and its exit status are ctr's.
    let o = c.ctr(&[
        "run",
        "--rm",
        "--runc-binary",
        &husk,
        "--rootfs",
        root,
        &once,
        "/bin/sh",
        "-c",
        "echo hello; id; exit 3",
    ]);
    assert_eq!(o.code, 3, "{o:#?}\n{}", c.log());
    assert_eq!(o.stdout, "hello\nuid=0 gid=0\n", "{o:#?}");

    // A detached one: listed as running with the sandbox's host pid.
    let o = c.ctr(&["run", "-d", "--runc-binary", &husk, "--rootfs", root, &long, "/bin/sleep", "1000"]);
    assert_eq!(o.code, 0, "{o:#?}\n{}", c.log());
    let ls = c.ctr(&["task", "ls"]);
    let row = ls.stdout.lines().find(|l| l.starts_with(&long)).unwrap_or_else(|| panic!("{ls:#?}")).to_string();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[2], "RUNNING", "{row}");
    let pid: i32 = cols[1].parse().unwrap();
    assert!(oci_support::process_alive(pid), "task pid {pid} is not a live host process");

    // exec: output through the shim's pipes, status through the waiter.
    let o = c.ctr(&[
        "task",
        "exec",
        "--exec-id",
        "e1",
        &long,
        "/bin/sh",
        "-c",
        "echo in-exec; cat /proc/1/cmdline; exit 4",
    ]);
    assert_eq!(o.code, 4, "{o:#?}\n{}", c.log());
    assert_eq!(o.stdout, "in-exec\n/bin/sleep\u{0}1000\u{0}", "{o:#?}");

    // pause and resume: the shim runs `husk pause`/`resume` and reads the
    // status back from `husk state`.
    let status = |c: &Containerd| {
        let ls = c.ctr(&["task", "ls"]).stdout;
        ls.lines().find(|l| l.starts_with(&long)).and_then(|l| l.split_whitespace().nth(2)).map(str::to_string)
    };
    let o = c.ctr(&["task", "pause", &long]);
    assert_eq!(o.code, 0, "{o:#?}\n{}", c.log());
    assert_eq!(status(&c).as_deref(), Some("PAUSED"));
    let o = c.ctr(&["task", "resume", &long]);
    assert_eq!(o.code, 0, "{o:#?}\n{}", c.log());
    assert_eq!(status(&c).as_deref(), Some("RUNNING"));

    // kill: the init dies of SIGTERM (143), the task stops.
    let o = c.ctr(&["task", "kill", "-s", "SIGTERM", &long]);
    assert_eq!(o.code, 0, "{o:#?}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ls = c.ctr(&["task", "ls"]).stdout;
        if ls.lines().any(|l| l.starts_with(&long) && l.contains("STOPPED")) {
            break;
        }
        assert!(Instant::now() < deadline, "task did not stop:\n{ls}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!oci_support::process_alive(pid), "the sandbox process {pid} outlived its init");
    let o = c.ctr(&["task", "rm", &long]);
    assert_eq!(o.code, 0, "{o:#?}");
    // ctr reports the init's status when it removes the task.
    assert!(o.stderr.contains("exit code 143"), "{o:#?}");
    let o = c.ctr(&["container", "rm", &long]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(c.ctr(&["container", "ls", "-q"]).stdout.trim().is_empty());
}

/// The flags go-runc puts before every command are accepted, and a failure
/// is the last `{"level":"error"}` line of the --log file (what the shim
/// reports), the rest of the file being JSON lines too.
#[test]
fn runc_global_flags_and_json_error_lines() {
    let w = World::new("runc-flags");
    let log = w.dir.path().join("log.json");
    let state = w.state.to_str().unwrap();
    let o = oci_support::run_bounded(
        &[
            "--root",
            state,
            "--log",
            log.to_str().unwrap(),
            "--log-format",
            "json",
            "--systemd-cgroup",
            "--rootless=false",
            "--debug",
            "start",
            "nosuch",
        ],
        Duration::from_secs(30),
    );
    assert_eq!(o.code, 1, "{o:#?}");
    let text = fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}"))).collect();
    let last_error = lines.iter().rev().find(|l| l["level"] == "error").unwrap_or_else(|| panic!("{text}"));
    assert!(last_error["msg"].as_str().unwrap().contains("nosuch"), "{text}");
    assert!(last_error["time"].as_str().unwrap().ends_with('Z'), "{text}");
    // --systemd-cgroup is warned about (no cgroups).
    assert!(lines.iter().any(|l| l["level"] == "warn" && l["msg"].as_str().unwrap().contains("cgroup")), "{text}");

    // create's runc options; --preserve-fds other than 0 is refused.
    let b = w.bundle("b", &["true"]);
    let o = w.husk(&["create", "--preserve-fds", "2", "-b", b.to_str().unwrap(), "pf"]).one_line_error();
    assert!(o.stderr.contains("--preserve-fds"), "{o:#?}");
    w.husk(&["create", "--no-pivot", "--no-new-keyring", "--preserve-fds", "0", "-b", b.to_str().unwrap(), "ok1"]).ok();
    w.husk(&["delete", "--force", "ok1"]).ok();
}

/// With a terminal (`ctr run -t`, `ctr task exec -t`): the shim gets the
/// pty master through --console-socket; the process sees a terminal and its
/// status is ctr's. ctr wants a terminal of its own: `script` gives it one.
#[test]
fn ctr_run_and_exec_with_a_terminal() {
    common::require_busybox();
    if !installed("script") {
        eprintln!("skipped: script (util-linux) is not installed");
        return;
    }
    let Some(c) = Containerd::start() else { return };
    let root = rootfs(&c.dir);
    let root = root.to_str().unwrap();
    let husk = husk_bin();
    let tag = format!("{}", std::process::id());
    let (once, long) = (format!("tty-once-{tag}"), format!("tty-long-{tag}"));
    let sock = c.dir.path().join("c.sock");
    let ctr = format!("ctr --address {} --namespace {}", sock.display(), c.namespace);
    let in_script = |line: String| -> CtrOut {
        let child = Command::new("timeout")
            .args(["30", "script", "-qec", &line, "/dev/null"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script");
        let out = child.wait_with_output().unwrap();
        CtrOut {
            code: out.status.code().unwrap_or(-1),
            // As with runc, the output passes two terminals (CR CR LF) and ctr
            // writes NULs (^@) first: compare lines.
            stdout: String::from_utf8_lossy(&out.stdout).replace(['\0', '\r'], "").replace("^@", ""),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    };
    let o = in_script(format!(
        "{ctr} run -t --rm --runc-binary {husk} --rootfs {root} {once} /bin/sh -c 'tty; echo hi; exit 5'"
    ));
    assert_eq!(o.code, 5, "{o:#?}\n{}", c.log());
    assert!(o.stdout.contains("/dev/pts/0\nhi\n"), "{o:#?}");

    let o = c.ctr(&["run", "-d", "--runc-binary", &husk, "--rootfs", root, &long, "/bin/sleep", "1000"]);
    assert_eq!(o.code, 0, "{o:#?}");
    let o = in_script(format!("{ctr} task exec -t --exec-id e1 {long} /bin/sh -c 'tty; exit 6'"));
    assert_eq!(o.code, 6, "{o:#?}\n{}", c.log());
    assert!(o.stdout.contains("/dev/pts/"), "{o:#?}");
    assert_eq!(c.ctr(&["task", "kill", "-s", "SIGKILL", &long]).code, 0);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !c.ctr(&["task", "ls"]).stdout.lines().any(|l| l.starts_with(&long) && l.contains("STOPPED")) {
        assert!(Instant::now() < deadline, "task did not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(c.ctr(&["task", "rm", &long]).code, 0);
    assert_eq!(c.ctr(&["container", "rm", &long]).code, 0);
}
