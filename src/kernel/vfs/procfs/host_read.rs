//! Reading the host's own `/proc` files (the stubs' `smaps`, `status`),
//! which the sandbox's figures are made from.

use std::io::Read;

/// Bytes read at once: a stub's `smaps` fits, so the host generates it in
/// one call rather than in the small, growing reads `read_to_string` makes.
const CHUNK: usize = 64 * 1024;

/// The text of the host file at `path` (empty if it cannot be read).
pub fn read_host(path: &str) -> String {
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let mut buf = vec![0u8; CHUNK];
    let mut len = 0;
    loop {
        if buf.len() - len < CHUNK / 2 {
            buf.resize(buf.len() * 2, 0);
        }
        match f.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return String::new(),
        }
    }
    buf.truncate(len);
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
