//! Extended attributes the sandbox sets on its files, kept by the sentry
//! per file identity (device, inode). Host files start with none.

use std::collections::{BTreeMap, HashMap};

use super::stat::Stat;
use super::Vfs;
use crate::kernel::errno::Errno;

/// Attributes by file, then by name.
pub type XattrStore = HashMap<(u64, u64), BTreeMap<Vec<u8>, Vec<u8>>>;

impl Vfs {
    fn xattrs(&self) -> std::sync::MutexGuard<'_, XattrStore> {
        self.xattrs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value of attribute `name` of the file `st` describes.
    pub fn xattr_get(&self, st: &Stat, name: &[u8]) -> Option<Vec<u8>> {
        self.xattrs().get(&(st.dev, st.ino))?.get(name).cloned()
    }

    /// The names of the file's attributes, in order.
    pub fn xattr_names(&self, st: &Stat) -> Vec<Vec<u8>> {
        self.xattrs().get(&(st.dev, st.ino)).map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }

    /// Sets an attribute; `create` (XATTR_CREATE) fails if it exists,
    /// `replace` (XATTR_REPLACE) if it does not.
    pub fn xattr_set(&self, st: &Stat, name: &[u8], value: Vec<u8>, create: bool, replace: bool) -> Result<(), Errno> {
        let mut all = self.xattrs();
        let attrs = all.entry((st.dev, st.ino)).or_default();
        match (attrs.contains_key(name), create, replace) {
            (true, true, _) => return Err(Errno::EEXIST),
            (false, _, true) => return Err(Errno::ENODATA),
            _ => {}
        }
        attrs.insert(name.to_vec(), value);
        Ok(())
    }

    /// Removes an attribute.
    pub fn xattr_remove(&self, st: &Stat, name: &[u8]) -> Result<(), Errno> {
        let mut all = self.xattrs();
        let attrs = all.get_mut(&(st.dev, st.ino)).ok_or(Errno::ENODATA)?;
        attrs.remove(name).ok_or(Errno::ENODATA)?;
        if attrs.is_empty() {
            all.remove(&(st.dev, st.ino));
        }
        Ok(())
    }
}
