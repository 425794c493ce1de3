//! Terminal attributes (`struct termios`, kernel layout) and window size.

/// `c_iflag` bits.
pub const ISTRIP: u32 = 0o40;
pub const INLCR: u32 = 0o100;
pub const IGNCR: u32 = 0o200;
pub const ICRNL: u32 = 0o400;
pub const IXON: u32 = 0o2000;
pub const IXANY: u32 = 0o4000;
pub const IMAXBEL: u32 = 0o20000;
pub const IUTF8: u32 = 0o40000;
/// `c_oflag` bits.
pub const OPOST: u32 = 0o1;
pub const ONLCR: u32 = 0o4;
pub const OCRNL: u32 = 0o10;
pub const ONOCR: u32 = 0o20;
pub const ONLRET: u32 = 0o40;
/// `c_cflag` bits.
pub const B38400: u32 = 0o17;
pub const CS8: u32 = 0o60;
pub const CREAD: u32 = 0o200;
/// `c_lflag` bits.
pub const ISIG: u32 = 0o1;
pub const ICANON: u32 = 0o2;
pub const ECHO: u32 = 0o10;
pub const ECHOE: u32 = 0o20;
pub const ECHOK: u32 = 0o40;
pub const ECHONL: u32 = 0o100;
pub const NOFLSH: u32 = 0o200;
pub const TOSTOP: u32 = 0o400;
pub const ECHOCTL: u32 = 0o1000;
pub const ECHOKE: u32 = 0o4000;
pub const IEXTEN: u32 = 0o100000;

/// `c_cc` indices.
pub const VINTR: usize = 0;
pub const VQUIT: usize = 1;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VTIME: usize = 5;
pub const VMIN: usize = 6;
pub const VSTART: usize = 8;
pub const VSTOP: usize = 9;
pub const VSUSP: usize = 10;
pub const VEOL: usize = 11;
pub const VREPRINT: usize = 12;
pub const VWERASE: usize = 14;
pub const VLNEXT: usize = 15;
pub const VEOL2: usize = 16;
/// Number of control characters in the kernel's termios.
pub const NCCS: usize = 19;

/// `struct termios` (36 bytes) plus the speeds of `struct termios2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termios {
    pub iflag: u32,
    pub oflag: u32,
    pub cflag: u32,
    pub lflag: u32,
    pub line: u8,
    pub cc: [u8; NCCS],
    pub ispeed: u32,
    pub ospeed: u32,
}

impl Default for Termios {
    /// A new pty slave's modes, as Linux's Unix98 pts driver sets them
    /// (`tty_std_termios` without HUPCL): cooked mode with echo, ^C/^\/^Z
    /// signals, no IUTF8.
    fn default() -> Termios {
        Termios {
            iflag: ICRNL | IXON,
            oflag: OPOST | ONLCR,
            cflag: B38400 | CS8 | CREAD,
            lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            line: 0,
            cc: [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0],
            ispeed: 38400,
            ospeed: 38400,
        }
    }
}

impl Termios {
    /// The 36-byte `struct termios`.
    pub fn to_bytes(self) -> [u8; 36] {
        let mut b = [0u8; 36];
        b[0..4].copy_from_slice(&self.iflag.to_ne_bytes());
        b[4..8].copy_from_slice(&self.oflag.to_ne_bytes());
        b[8..12].copy_from_slice(&self.cflag.to_ne_bytes());
        b[12..16].copy_from_slice(&self.lflag.to_ne_bytes());
        b[16] = self.line;
        b[17..36].copy_from_slice(&self.cc);
        b
    }

    /// The 44-byte `struct termios2`.
    pub fn to_bytes2(self) -> [u8; 44] {
        let mut b = [0u8; 44];
        b[..36].copy_from_slice(&self.to_bytes());
        b[36..40].copy_from_slice(&self.ispeed.to_ne_bytes());
        b[40..44].copy_from_slice(&self.ospeed.to_ne_bytes());
        b
    }

    /// Parses a `struct termios` or `termios2` (the speeds are kept when
    /// only 36 bytes are given).
    pub fn from_bytes(b: &[u8], keep_speeds: &Termios) -> Termios {
        let w = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut cc = [0u8; NCCS];
        cc.copy_from_slice(&b[17..36]);
        let (ispeed, ospeed) = if b.len() >= 44 { (w(36), w(40)) } else { (keep_speeds.ispeed, keep_speeds.ospeed) };
        Termios { iflag: w(0), oflag: w(4), cflag: w(8), lflag: w(12), line: b[16], cc, ispeed, ospeed }
    }

    /// Whether a local flag is set.
    pub fn l(&self, f: u32) -> bool {
        self.lflag & f != 0
    }

    /// Whether an input flag is set.
    pub fn i(&self, f: u32) -> bool {
        self.iflag & f != 0
    }

    /// Whether an output flag is set.
    pub fn o(&self, f: u32) -> bool {
        self.oflag & f != 0
    }

    /// Whether `c` is the (enabled) control character at `idx`.
    pub fn is_cc(&self, c: u8, idx: usize) -> bool {
        // _POSIX_VDISABLE is 0 on Linux.
        self.cc[idx] != 0 && self.cc[idx] == c
    }
}

/// `struct winsize`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Winsize {
    pub rows: u16,
    pub cols: u16,
    pub xpixel: u16,
    pub ypixel: u16,
}

impl Winsize {
    /// The 8-byte `struct winsize`.
    pub fn to_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        for (i, v) in [self.rows, self.cols, self.xpixel, self.ypixel].iter().enumerate() {
            b[i * 2..i * 2 + 2].copy_from_slice(&v.to_ne_bytes());
        }
        b
    }

    /// Parses a `struct winsize`.
    pub fn from_bytes(b: &[u8; 8]) -> Winsize {
        let h = |i: usize| u16::from_ne_bytes([b[i], b[i + 1]]);
        Winsize { rows: h(0), cols: h(2), xpixel: h(4), ypixel: h(6) }
    }
}
