//! The root overlay's lookups cache what stays true while the host's tree
//! changes underneath a running sandbox (directory descriptors, symlink
//! targets checked against the link's inode and change time), never what a
//! host change makes stale: a replaced symlink, a new or grown file and a
//! new directory entry show at once, as they do outside.

mod common;

use common::*;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

/// Waits up to 60 s for `path` to exist on the host.
fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn host_changes_show_in_a_running_sandbox() {
    require_busybox();
    let dir = ScratchDir::new("vfs-host-changes");
    dir.write("root/bin/busybox", &fs::read(BUSYBOX).expect("read busybox"), 0o755);
    dir.write("root/da/a1", b"", 0o644);
    dir.write("root/db/b1", b"", 0o644);
    dir.write("root/f", b"1234", 0o644);
    fs::create_dir_all(dir.path().join("shared")).expect("mkdir shared");
    let root = dir.path().join("root");
    symlink("da", root.join("lnk")).expect("symlink");
    // Looked up twice before the change, so anything cached is in use.
    let show = "readlink /lnk; ls /lnk/; ls /da; stat -c %s /f; [ -e /new ] && echo new; \
                readlink /lnk; ls /lnk/; echo --";
    let script = format!(
        "{show}; touch /shared/ready; i=0; \
         while [ ! -e /shared/go ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; {show}"
    );
    let root_arg = root.to_string_lossy().into_owned();
    let mount = format!("{}:/shared", dir.join("shared"));
    let sandbox = std::thread::spawn(move || {
        husk_do(&["--root", &root_arg, "--mount", &mount, "--", "/bin/busybox", "sh", "-c", &script])
    });
    wait_for(&dir.path().join("shared/ready"));
    // The host replaces the link (a new inode, the same length of target),
    // adds names and grows a file.
    fs::remove_file(root.join("lnk")).expect("rm lnk");
    symlink("db", root.join("lnk")).expect("symlink again");
    dir.write("root/da/a2", b"", 0o644);
    dir.write("root/f", b"12345678", 0o644);
    dir.write("root/new", b"", 0o644);
    dir.write("shared/go", b"", 0o644);
    let out = sandbox.join().expect("sandbox thread");
    assert_exit(&out, 0);
    let before = "da\na1\na1\n4\nda\na1\n--\n";
    let after = "db\nb1\na1\na2\n8\nnew\ndb\nb1\n--\n";
    assert_stdout(&out, &format!("{before}{after}"));
}
