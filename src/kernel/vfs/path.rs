//! Canonical sandbox paths: components, parents, joining.

/// Symlinks followed in one lookup before ELOOP, as in Linux.
pub const MAX_SYMLINKS: u32 = 40;
/// Longest path accepted, including the NUL.
pub const PATH_MAX: usize = 4096;
/// Longest file name component.
pub const NAME_MAX: usize = 255;

/// The non-empty components of a path.
pub fn components(path: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    path.split(|&b| b == b'/').filter(|c| !c.is_empty())
}

/// The parent of a canonical path (`/` for `/`).
pub fn parent_of(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) | None => b"/",
        Some(i) => &path[..i],
    }
}

/// The last component of a canonical path (empty for `/`).
pub fn file_name(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// Joins a canonical directory and a name.
pub fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if p != b"/" {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// Whether canonical `path` is `dir` or lies below it.
pub fn is_within(path: &[u8], dir: &[u8]) -> bool {
    dir == b"/" || path == dir || (path.starts_with(dir) && path.get(dir.len()) == Some(&b'/'))
}

/// `path` as seen from a process whose root is `root` (`getcwd`, the
/// targets of magic links): the part below the root, or the path itself
/// when it lies outside.
pub fn relative_to_root<'a>(path: &'a [u8], root: &[u8]) -> &'a [u8] {
    if root == b"/" || !is_within(path, root) {
        return path;
    }
    if path.len() == root.len() {
        b"/"
    } else {
        &path[root.len()..]
    }
}

/// `DT_*` for a mode.
pub fn dtype(mode: u32) -> u8 {
    match mode & libc::S_IFMT {
        libc::S_IFDIR => libc::DT_DIR,
        libc::S_IFREG => libc::DT_REG,
        libc::S_IFLNK => libc::DT_LNK,
        libc::S_IFCHR => libc::DT_CHR,
        libc::S_IFBLK => libc::DT_BLK,
        libc::S_IFIFO => libc::DT_FIFO,
        libc::S_IFSOCK => libc::DT_SOCK,
        _ => libc::DT_UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_and_names() {
        assert_eq!(parent_of(b"/"), b"/");
        assert_eq!(parent_of(b"/a"), b"/");
        assert_eq!(parent_of(b"/a/b"), b"/a");
        assert_eq!(file_name(b"/a/b"), b"b");
        assert_eq!(join(b"/", b"a"), b"/a");
        assert_eq!(join(b"/a", b"b"), b"/a/b");
        assert!(is_within(b"/a/b", b"/a"));
        assert!(!is_within(b"/ab", b"/a"));
        assert_eq!(relative_to_root(b"/r/x", b"/r"), b"/x");
        assert_eq!(relative_to_root(b"/r", b"/r"), b"/");
    }
}
