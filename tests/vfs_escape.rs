//! No path leaves the container root, and nothing reaches the host but
//! through a read-write bind mount: a root copy survives `rm -rf /etc`,
//! binds write where they should (and ro ones refuse), and neither `..`,
//! symlinks (the sandbox's or the host's), /proc magic links, openat2,
//! chroot nor rename races lead outside.

mod common;

use common::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const SECRET: &str = "host-secret";

/// A container root holding busybox, an `/etc` and a `/bin`, next to a
/// secret on the host (`<dir>/outside/secret.txt`).
struct Root {
    dir: ScratchDir,
}

impl Root {
    fn new() -> Root {
        require_busybox();
        let dir = ScratchDir::new("vfs-root");
        dir.write("root/bin/busybox", &fs::read(BUSYBOX).expect("read busybox"), 0o755);
        dir.write("root/etc/shadow", b"jail-shadow\n", 0o600);
        dir.write("root/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644);
        dir.write("root/etc/hostname", b"jail\n", 0o644);
        fs::create_dir_all(dir.path().join("root/tmp")).expect("mkdir tmp");
        fs::set_permissions(dir.path().join("root/tmp"), fs::Permissions::from_mode(0o1777)).expect("chmod");
        dir.write("outside/secret.txt", format!("{SECRET}\n").as_bytes(), 0o644);
        Root { dir }
    }

    fn root(&self) -> String {
        self.dir.join("root")
    }

    /// `husk do --root <root> [extra...] -- /bin/busybox sh -c script`.
    fn sh(&self, extra: &[&str], script: &str) -> std::process::Output {
        let root = self.root();
        let mut args = vec!["--root", root.as_str()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "/bin/busybox", "sh", "-c", script]);
        husk_do(&args)
    }
}

/// Names, types, modes, sizes and contents of everything under `dir`.
fn snapshot(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("read {}: {e}", d.display()))
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            let m = p.symlink_metadata().expect("lstat");
            let what = if m.is_dir() {
                stack.push(p.clone());
                "dir".to_string()
            } else if m.file_type().is_symlink() {
                format!("-> {:?}", fs::read_link(&p).expect("readlink"))
            } else {
                format!("{} bytes {:x}", m.len(), fs::read(&p).map(|b| checksum(&b)).unwrap_or(0))
            };
            out.push(format!("{} {what} {:o} {:?}", p.display(), m.permissions().mode(), m.modified().ok()));
        }
    }
    out
}

fn checksum(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| (h ^ x as u64).wrapping_mul(0x100_0000_01b3))
}

#[test]
fn destroying_the_root_leaves_the_host_copy_intact() {
    let r = Root::new();
    let before = snapshot(r.dir.path());
    let out = r.sh(&[], "rm -rf /etc; echo x > /bin/new; chmod 700 /bin/busybox; mkdir /made; ls /; cat /bin/new");
    assert_eq!(snapshot(r.dir.path()), before, "the sandbox changed the host\n{}", describe(&out));
    assert_stdout(&out, "bin\ndev\nmade\nproc\nsys\ntmp\nx\n");
}

#[test]
fn symlink_to_root_resolves_inside_the_container() {
    let r = Root::new();
    let out = r.sh(&[], "ln -s / /tmp/r; cat /tmp/r/../../etc/shadow; cat /tmp/r/../../../outside/secret.txt");
    assert_eq!(stdout_text(&out), "jail-shadow\n", "\n{}", describe(&out));
    assert!(!stdout_text(&out).contains(SECRET));
}

#[test]
fn escape_vectors_stay_inside() {
    let r = Root::new();
    let prog = c_program("vfs_escape");
    r.dir.write("root/bin/vfs_escape", &fs::read(&prog).expect("read vfs_escape"), 0o755);
    let root = r.root();
    let out = husk_do(&["--root", &root, "--", "/bin/vfs_escape"]);
    assert!(!stdout_text(&out).contains(SECRET), "{}", describe(&out));
    assert_stdout(
        &out,
        "paths: ok\noutside-invisible: ok\nopenat-family: ok\nbeneath-refuses: ok\n\
         rename-and-symlink-races: ok\nchroot: ok\nchroot-escape: ok\nchroot-escape-stops-at-container-root: ok\n",
    );
}

#[test]
fn read_write_bind_writes_to_the_host() {
    let r = Root::new();
    let data = ScratchDir::new("vfs-bind-rw");
    data.write("existing", b"old\n", 0o644);
    let mount = format!("{}:/data", data.path().display());
    let script = "set -e
        echo x > /data/new
        mkdir /data/d
        mv /data/new /data/d/moved
        echo more >> /data/existing
        ln -s moved /data/d/link
        rm /data/existing
        echo y > /data/existing2
        mkfifo /data/fifo
        chmod 600 /data/existing2
        touch -d '2001-02-03 04:05:06' /data/existing2
        cat /data/d/link
        ls /data";
    let out = r.sh(&["--mount", &mount], script);
    assert_stdout(&out, "x\nd\nexisting2\nfifo\n");
    use std::os::unix::fs::FileTypeExt;
    let fifo = fs::symlink_metadata(data.path().join("fifo")).expect("fifo on the host");
    assert!(fifo.file_type().is_fifo());
    let e2 = fs::metadata(data.path().join("existing2")).expect("existing2");
    assert_eq!(e2.permissions().mode() & 0o777, 0o600);
    let mtime = e2.modified().expect("mtime").duration_since(std::time::UNIX_EPOCH).expect("epoch").as_secs();
    assert!((981_000_000..981_300_000).contains(&mtime), "mtime {mtime}");
    assert_eq!(fs::read_to_string(data.path().join("d/moved")).ok().as_deref(), Some("x\n"));
    assert_eq!(fs::read_link(data.path().join("d/link")).ok(), Some(PathBuf::from("moved")));
    assert!(!data.path().join("existing").exists(), "rm did not reach the host");
    assert_eq!(fs::read_to_string(data.path().join("existing2")).ok().as_deref(), Some("y\n"));
}

/// Files of a read-write bind are host files: mmap (shared and private),
/// locks, renames and links work on them as on any file.
#[test]
fn read_write_bind_files_behave() {
    let data = ScratchDir::new("vfs-bind-files");
    let mount = format!("{}:/data", data.path().display());
    for (prog, group) in [("vfs_files", "mmap"), ("vfs_files", "links"), ("vfs_files", "rename"), ("vfs_ipc", "locks")]
    {
        let bin = c_program_str(prog);
        let out = Run::husk_do(&["--mount", &mount, "--", &bin, group])
            .env("VFS_SCRATCH_PARENT", "/data")
            .timeout(proc_timeout())
            .run();
        assert_all_ok(&out, &format!("{prog} {group} on a bind mount"));
    }
    let left: Vec<_> =
        fs::read_dir(data.path()).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "scratch directories left on the host: {left:?}");
}

#[test]
fn bind_mounts_do_not_lead_outside() {
    let r = Root::new();
    let data = ScratchDir::new("vfs-bind-esc");
    // A host symlink inside the bind: the sandbox resolves it in its own
    // root, not the host's.
    std::os::unix::fs::symlink("/etc", data.path().join("hostlink")).expect("symlink");
    std::os::unix::fs::symlink("../../..", data.path().join("up")).expect("symlink");
    let mount = format!("{}:/data", data.path().display());
    let script = "cat /data/hostlink/shadow
        cat /data/../outside/secret.txt
        cat /data/up/outside/secret.txt
        ln -s / /data/esc && cat /data/esc/etc/passwd
        cat /data/esc/../outside/secret.txt
        ls /data/..";
    let out = r.sh(&["--mount", &mount], script);
    let text = stdout_text(&out);
    assert!(!text.contains(SECRET), "{}", describe(&out));
    assert!(
        text.starts_with("jail-shadow\nroot:x:0:0:root:/root:/bin/sh\n"),
        "host symlinks resolved on the host\n{}",
        describe(&out)
    );
    assert!(text.contains("data\n"), "`/data/..` is not the sandbox root\n{}", describe(&out));
}

#[test]
fn read_only_bind_refuses_writes() {
    let r = Root::new();
    let data = ScratchDir::new("vfs-bind-ro");
    data.write("file", b"content\n", 0o644);
    let before = snapshot(data.path());
    let mount = format!("{}:/ro:ro", data.path().display());
    let script = "cat /ro/file
        echo x > /ro/file || echo write-refused
        touch /ro/new || echo create-refused
        rm /ro/file || echo rm-refused
        mkdir /ro/d || echo mkdir-refused
        grep ' /ro ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1";
    let out = r.sh(&["--mount", &mount], script);
    assert_eq!(snapshot(data.path()), before, "the read-only bind changed\n{}", describe(&out));
    assert_eq!(
        stdout_text(&out),
        "content\nwrite-refused\ncreate-refused\nrm-refused\nmkdir-refused\nro\n",
        "\n{}",
        describe(&out)
    );
    assert!(stderr_text(&out).contains("Read-only file system"), "{}", describe(&out));
}

#[test]
fn bad_mount_arguments_are_refused() {
    let out = husk_do(&["--mount", "/nonexistent-husk-src:/x", "--", "/bin/true"]);
    assert_husk_error(&out, 2);
    let out = husk_do(&["--mount", "/tmp:relative", "--", "/bin/true"]);
    assert_husk_error(&out, 2);
    let out = husk_do(&["--mount", "/tmp", "--", "/bin/true"]);
    assert_husk_error(&out, 2);
}

#[test]
fn mounting_inside_the_sandbox() {
    let r = Root::new();
    let script = "set -e
        mkdir /mnt /mnt/t /mnt/b
        mount -t tmpfs -o mode=700 none /mnt/t
        echo in-tmpfs > /mnt/t/f
        mount --bind /etc /mnt/b
        cat /mnt/b/hostname
        mount -o remount,bind,ro /mnt/b
        touch /mnt/b/x 2>/dev/null || echo ro-now
        grep /mnt /proc/mounts | cut -d' ' -f2,3
        umount /mnt/b
        umount /mnt/t
        ls /mnt/t | wc -l";
    let out = r.sh(&[], script);
    assert_stdout(&out, "jail\nro-now\n/mnt/t tmpfs\n/mnt/b overlay\n0\n");
}
