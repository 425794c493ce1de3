//! Nothing inside the sandbox reaches the host: no host syscall by any
//! instruction, no touching the sentry's stub, no path outside the root, no
//! write to host files.

mod common;

use common::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The host files `escape` tries to create for `tag`.
fn escape_file(tag: &str, vector: &str) -> PathBuf {
    PathBuf::from(format!("/tmp/husk-escape-{tag}-{vector}"))
}

/// What tests/c/escape.c prints under husk in `main` mode.
const ESCAPE_MAIN_EXPECTED: &str = "\
syscall-open: ok
syscall-open-visible: ok
int80: ENOSYS
int80-visible: ENOENT
munmap-stub: EINVAL
munmap-stub-first-page: EINVAL
munmap-stub-overlap: EINVAL
munmap-above-stub: EINVAL
mmap-fixed-stub: ENOMEM
mmap-fixed-overlap: ENOMEM
mprotect-stub: ENOMEM
mmap-hint-stub: below-stub
brk-stub: refused
mremap-stub: refused
madvise-stub: survived
done
";

/// A raw `syscall` is served by the sandbox; `int $0x80` gets ENOSYS; the
/// stub's address range cannot be unmapped, mapped over or reprotected.
#[test]
fn escape_program_stays_inside() {
    let prog = c_program_str("escape");
    let tag = unique_tag("main");
    let out = husk_do(&["--", &prog, "main", &tag]);
    let leaks = [escape_file(&tag, "syscall"), escape_file(&tag, "int80")];
    assert_not_on_host(&leaks, &describe(&out));
    assert_eq!(stdout_text(&out), ESCAPE_MAIN_EXPECTED, "\n{}", describe(&out));
    assert_exit(&out, 0);
}

/// `sysenter` (an i386 fast syscall; SIGILL on AMD in 64-bit mode) must
/// neither reach the host nor be served. Natively it opens the file, then
/// the process faults on the way back to a missing 32-bit vDSO.
#[test]
fn sysenter_does_not_reach_the_host() {
    let prog = c_program_str("escape");
    let tag = unique_tag("sysenter");
    let out = husk_do(&["--", &prog, "sysenter", &tag]);
    assert_not_on_host(&[escape_file(&tag, "sysenter")], &describe(&out));

    let text = stdout_text(&out);
    let status = exit_code(&out);
    let caught = ["sysenter: SIGSEGV\n", "sysenter: SIGILL\n", "sysenter: SIGBUS\n"];
    let ok = match status {
        // The program caught the fault, or sysenter came back with an error.
        0 => {
            caught.contains(&text.as_str())
                || text.strip_prefix("sysenter: returned -").is_some_and(|rest| rest.trim_end().parse::<u32>().is_ok())
        }
        // Killed by SIGILL, SIGBUS or SIGSEGV (no handler delivery yet).
        132 | 135 | 139 => text.is_empty(),
        _ => false,
    };
    assert!(ok, "unexpected outcome of sysenter\n{}", describe(&out));
}

/// Jumping into the stub's own `syscall` instructions with an open in the
/// registers is served by the sandbox (the file appears inside it) and
/// creates nothing on the host, on either platform.
#[test]
fn jumps_into_the_stub_stay_inside() {
    let prog = c_program_str("escape");
    for platform in ["systrap", "ptrace"] {
        let tag = unique_tag(&format!("jump-{platform}"));
        let out = husk(&["--platform", platform, "do", "--", &prog, "stub-jump", &tag]);
        assert_not_on_host(&[escape_file(&tag, "stubjump")], &describe(&out));
        assert_eq!(
            stdout_text(&out),
            "stub-jump: all sites tried\nstub-jump-visible: created\n",
            "{platform}\n{}",
            describe(&out)
        );
        assert_exit(&out, 0);
    }
}

/// A process that scribbles over systrap's context region (its own slots)
/// hurts only itself: the sentry goes on serving its parent.
#[test]
fn scribbling_over_the_context_region_hurts_only_the_scribbler() {
    let prog = c_program_str("escape");
    let out = husk_do(&["--", &prog, "scribble"]);
    let text = stdout_text(&out);
    assert!(text.ends_with("scribble: parent ok (getpid works)\n"), "\n{}", describe(&out));
    assert_exit(&out, 0);
}

/// A store to the stub's first byte is a SIGSEGV, as for any address the
/// application has not mapped.
#[test]
fn writing_to_the_stub_is_sigsegv() {
    let prog = c_program_str("escape");
    let out = husk_do(&["--", &prog, "write-stub"]);
    assert_exit(&out, 128 + 11);
    assert!(out.stdout.is_empty(), "the write did not fault\n{}", describe(&out));
}

/// A root directory holding only a static busybox, symlinks pointing out of
/// it, and a secret next to it on the host.
struct Jail {
    dir: ScratchDir,
}

const SECRET: &str = "host-secret-husk-test";

impl Jail {
    fn new() -> Jail {
        require_busybox();
        let dir = ScratchDir::new("root");
        let busybox = fs::read(BUSYBOX).expect("read busybox");
        dir.write("root/bin/busybox", &busybox, 0o755);
        dir.write("outside/secret.txt", format!("{SECRET}\n").as_bytes(), 0o644);
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, root.join(name)).unwrap_or_else(|e| panic!("symlink {name}: {e}"));
        };
        link(Path::new("/etc"), "abs-etc");
        link(&outside, "abs-outside");
        link(Path::new("../outside"), "rel-outside");
        link(Path::new("../../../../../../../../../etc"), "rel-etc");
        link(Path::new("bin/../.."), "dotdot");
        Jail { dir }
    }

    fn root(&self) -> String {
        self.dir.join("root")
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        let root = self.root();
        let mut cmd = vec!["--root", root.as_str(), "--", "/bin/busybox"];
        cmd.extend(args);
        husk_do(&cmd)
    }
}

#[test]
fn root_dir_is_the_whole_filesystem() {
    let jail = Jail::new();
    for dir in ["/", "/..", "/../..", "/dotdot"] {
        let out = jail.run(&["ls", "-a", dir]);
        assert_exit(&out, 0);
        let text = stdout_text(&out);
        let names: Vec<&str> = text.lines().collect();
        for name in ["bin", "abs-etc", "rel-outside"] {
            assert!(names.contains(&name), "ls {dir}: no {name}\n{}", describe(&out));
        }
        // The host's root has these; the jail does not.
        for name in ["usr", "var", "outside", "root"] {
            assert!(!names.contains(&name), "ls {dir}: host's {name} is visible\n{}", describe(&out));
        }
    }
}

#[test]
fn root_dir_symlinks_and_dotdot_do_not_escape() {
    let jail = Jail::new();
    let outside = jail.dir.join("outside/secret.txt");
    for path in [
        "/abs-etc/os-release",
        "/rel-etc/os-release",
        "/abs-outside/secret.txt",
        "/rel-outside/secret.txt",
        "/../outside/secret.txt",
        "/dotdot/outside/secret.txt",
        "/../../../../etc/os-release",
        outside.as_str(),
    ] {
        let out = jail.run(&["cat", path]);
        assert!(out.stdout.is_empty(), "cat {path} read a host file\n{}", describe(&out));
        assert_exit(&out, 1);
    }
}

#[test]
fn root_dir_writes_stay_inside() {
    let jail = Jail::new();
    let out = jail.run(&["sh", "-c", "echo x > /newfile; read v < /newfile; echo $v"]);
    assert_not_on_host(&[jail.dir.path().join("root/newfile")], &describe(&out));
    assert_stdout(&out, "x\n");

    let before = host_snapshot(jail.dir.path());
    let out = jail.run(&["rm", "/abs-etc", "/bin/busybox"]);
    assert_eq!(host_snapshot(jail.dir.path()), before, "rm changed the host\n{}", describe(&out));
    assert_exit(&out, 0);
}

/// A description of everything under `dir` on the host: names, types,
/// modes, sizes, modification times and contents.
fn host_snapshot(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("read {}: {e}", d.display()))
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for p in entries {
            let meta = p.symlink_metadata().expect("lstat");
            let kind = if meta.is_dir() {
                stack.push(p.clone());
                "dir".to_string()
            } else if meta.file_type().is_symlink() {
                format!("symlink to {:?}", fs::read_link(&p).expect("readlink"))
            } else {
                format!("file {:?}", String::from_utf8_lossy(&fs::read(&p).expect("read")))
            };
            out.push(format!(
                "{} {kind} mode {:o} size {} mtime {:?}",
                p.strip_prefix(dir).unwrap_or(&p).display(),
                meta.permissions().mode() & 0o7777,
                meta.len(),
                meta.modified().ok(),
            ));
        }
    }
    out.sort();
    out
}

/// Host files the sandbox mutates stay as they were: the default root is
/// the host's `/` read-only, under an in-memory upper layer.
#[test]
fn host_files_are_never_modified() {
    require_busybox();
    let dir = ScratchDir::new("host-files");
    let keep = dir.write("keep", b"original\n", 0o644);
    dir.write("victim", b"victim\n", 0o644);
    fs::create_dir(dir.path().join("subdir")).expect("mkdir subdir");
    // An old mtime, so that a leaked `touch` shows even within a second.
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    fs::File::options().write(true).open(&keep).and_then(|f| f.set_modified(old)).expect("set mtime");
    let before = host_snapshot(dir.path());

    let k = dir.join("keep");
    let (v, newdir, moved) = (dir.join("victim"), dir.join("newdir"), dir.join("moved"));
    let (link, subdir, whole) = (dir.join("link"), dir.join("subdir"), dir.join(""));
    let script = format!("echo changed > {k}; read a < {k}; echo $a");
    let out = husk_do(&[BUSYBOX, "sh", "-c", &script]);
    assert_eq!(host_snapshot(dir.path()), before, "`sh -c {script:?}` changed the host\n{}", describe(&out));
    assert_stdout(&out, "changed\n");

    for args in [
        &["rm", &v][..],
        &["mkdir", &newdir],
        &["chmod", "777", &k],
        &["mv", &k, &moved],
        &["truncate", "-s", "0", &k],
        &["ln", "-s", "/etc", &link],
        &["rmdir", &subdir],
        &["touch", &k],
        &["rm", "-rf", &whole],
    ] {
        let mut cmd = vec![BUSYBOX];
        cmd.extend_from_slice(args);
        let out = husk_do(&cmd);
        assert_eq!(
            host_snapshot(dir.path()),
            before,
            "`busybox {}` changed the host\n{}",
            args.join(" "),
            describe(&out)
        );
        assert_exit(&out, 0);
    }
}

/// A host file the caller gives as stdin (`husk do CMD < file`) is read
/// only: reopening /dev/stdin or /proc/self/fd/0 for writing or with
/// O_TRUNC is refused (natively it would work if the file's mode allows),
/// while reading it anew works as in Linux.
#[test]
fn stdin_file_cannot_be_reopened_for_writing() {
    let dir = ScratchDir::new("stdin-reopen");
    let input = dir.write("input", b"precious\n", 0o644);
    let script = "echo evil > /dev/stdin; echo rc=$?; echo evil >> /proc/self/fd/0; echo rc=$?; \
                  true 1<>/dev/stdin; echo rc=$?; cat /dev/stdin; cat /proc/self/fd/0";
    let cmd = format!("{} do -- /bin/sh -c '{script}' < input", husk_bin());
    let out = Run::native(&["/bin/sh", "-c", &cmd]).cwd(dir.path()).run();
    assert_eq!(
        stdout_text(&out),
        "rc=2\nrc=2\nrc=2\nprecious\nprecious\n",
        "stdin reopened for writing\n{}",
        describe(&out)
    );
    assert_eq!(fs::read(&input).expect("read input"), b"precious\n", "the host file changed");
}
