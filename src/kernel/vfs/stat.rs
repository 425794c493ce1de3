//! File metadata as the sentry sees it, and its encodings for `stat(2)` and
//! `statx(2)`.

/// File metadata, independent of which layer the file lives in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
    /// The creation time, where the file system keeps one (the in-memory
    /// layers do, as tmpfs; host files here do not).
    pub btime: Option<(i64, i64)>,
}

/// The device number the sandbox reports for its root file system.
pub const ROOT_DEV: u64 = 0x2d;

impl Stat {
    /// Converts a host `stat` of a lower-layer file.
    pub fn from_host(s: &libc::stat) -> Stat {
        Stat {
            dev: ROOT_DEV,
            ino: s.st_ino,
            mode: s.st_mode,
            nlink: s.st_nlink,
            uid: s.st_uid,
            gid: s.st_gid,
            rdev: s.st_rdev,
            size: s.st_size as u64,
            blksize: s.st_blksize as u64,
            blocks: s.st_blocks as u64,
            atime: (s.st_atime, s.st_atime_nsec),
            mtime: (s.st_mtime, s.st_mtime_nsec),
            ctime: (s.st_ctime, s.st_ctime_nsec),
            btime: None,
        }
    }

    /// The file type bits (`S_IFMT`).
    pub fn file_type(&self) -> u32 {
        self.mode & libc::S_IFMT
    }

    /// True for directories.
    pub fn is_dir(&self) -> bool {
        self.file_type() == libc::S_IFDIR
    }

    /// True for symbolic links.
    pub fn is_symlink(&self) -> bool {
        self.file_type() == libc::S_IFLNK
    }

    /// True for regular files.
    pub fn is_regular(&self) -> bool {
        self.file_type() == libc::S_IFREG
    }

    /// The x86_64 `struct stat` (144 bytes) as written by `fstat(2)`.
    pub fn to_linux_stat(self) -> [u8; 144] {
        let mut b = [0u8; 144];
        let mut put = |off: usize, v: u64, n: usize| b[off..off + n].copy_from_slice(&v.to_le_bytes()[..n]);
        put(0, self.dev, 8);
        put(8, self.ino, 8);
        put(16, self.nlink, 8);
        put(24, self.mode as u64, 4);
        put(28, self.uid as u64, 4);
        put(32, self.gid as u64, 4);
        put(40, self.rdev, 8);
        put(48, self.size, 8);
        put(56, self.blksize, 8);
        put(64, self.blocks, 8);
        put(72, self.atime.0 as u64, 8);
        put(80, self.atime.1 as u64, 8);
        put(88, self.mtime.0 as u64, 8);
        put(96, self.mtime.1 as u64, 8);
        put(104, self.ctime.0 as u64, 8);
        put(112, self.ctime.1 as u64, 8);
        b
    }

    /// The `struct statx` (256 bytes) for `statx(2)`, with `stx_attributes`
    /// and `stx_attributes_mask` as given; all basic fields are always
    /// filled, whatever the mask asked for, as Linux may do.
    pub fn to_statx(self, attributes: u64, attributes_mask: u64) -> [u8; 256] {
        let mut b = [0u8; 256];
        let mut put = |off: usize, v: u64, n: usize| b[off..off + n].copy_from_slice(&v.to_le_bytes()[..n]);
        const STATX_BASIC_STATS: u64 = 0x7ff;
        const STATX_BTIME: u64 = 0x800;
        let mask = STATX_BASIC_STATS | if self.btime.is_some() { STATX_BTIME } else { 0 };
        put(0, mask, 4); // stx_mask
        put(4, self.blksize, 4);
        put(8, attributes, 8);
        put(16, self.nlink, 4);
        put(20, self.uid as u64, 4);
        put(24, self.gid as u64, 4);
        put(28, self.mode as u64, 2);
        put(32, self.ino, 8);
        put(40, self.size, 8);
        put(48, self.blocks, 8);
        put(56, attributes_mask, 8);
        let ts = |b: &mut [u8; 256], off: usize, t: (i64, i64)| {
            b[off..off + 8].copy_from_slice(&t.0.to_le_bytes());
            b[off + 8..off + 12].copy_from_slice(&(t.1 as u32).to_le_bytes());
        };
        ts(&mut b, 64, self.atime); // atime
        ts(&mut b, 80, self.btime.unwrap_or_default());
        ts(&mut b, 96, self.ctime);
        ts(&mut b, 112, self.mtime);
        let (rmaj, rmin) = (dev_major(self.rdev), dev_minor(self.rdev));
        let (dmaj, dmin) = (dev_major(self.dev), dev_minor(self.dev));
        b[128..132].copy_from_slice(&rmaj.to_le_bytes());
        b[132..136].copy_from_slice(&rmin.to_le_bytes());
        b[136..140].copy_from_slice(&dmaj.to_le_bytes());
        b[140..144].copy_from_slice(&dmin.to_le_bytes());
        b
    }
}

/// Linux's major number of an encoded device.
pub fn dev_major(dev: u64) -> u32 {
    (((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff)) as u32
}

/// Linux's minor number of an encoded device.
pub fn dev_minor(dev: u64) -> u32 {
    (((dev >> 12) & 0xffff_ff00) | (dev & 0xff)) as u32
}

/// Encodes a device number like Linux's `makedev`.
pub fn makedev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (major as u64, minor as u64);
    ((ma & 0xffff_f000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffff_ff00) << 12) | (mi & 0xff)
}

/// The current wall-clock time as (seconds, nanoseconds).
pub fn now() -> (i64, i64) {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (d.as_secs() as i64, d.subsec_nanos() as i64)
}
