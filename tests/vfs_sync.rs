//! sync(2) and syncfs(2) write back host bind mounts. A test binary of its
//! own: it reads the host's global dirty page count, which tests writing
//! natively in parallel (in the same binary) would disturb; cargo runs test
//! binaries one at a time.

mod common;

use common::*;
use std::time::Duration;

/// `sync` and `sync -f` (syncfs) write back what the sandbox wrote to a
/// host bind mount: the host's dirty page count (read in the sandbox's
/// /proc/meminfo, the host's figure) falls from 100 MB of new data to
/// almost nothing, as natively. Without a sync it stays (writeback waits
/// 30 s).
#[test]
fn sync_writes_back_host_bind_mounts() {
    let data = ScratchDir::new("vfs-sync");
    let mount = format!("{}:/data", data.path().display());
    for sync in ["sync", "sync -f /data/big"] {
        let script = format!(
            "head -c 100000000 /dev/urandom > /data/big; {sync}; awk '/^Dirty:/ {{ print ($2 < 50000) ? \"written back\" : \"dirty \" $2 }}' /proc/meminfo; rm /data/big"
        );
        let out =
            Run::husk_do(&["--mount", &mount, "--", "/bin/sh", "-c", &script]).timeout(Duration::from_secs(60)).run();
        assert_stdout(&out, "written back\n");
    }
}
