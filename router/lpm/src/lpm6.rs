//! IPv6 longest-prefix match (placeholder over the reference structure until
//! the compressed trie lands).

use crate::reference::ReferenceLpm;
use crate::{LpmError, NO_ROUTE};

/// IPv6 LPM table mapping prefixes to `u32` values.
#[derive(Debug, Clone, Default)]
pub struct Lpm6 {
    inner: ReferenceLpm<128>,
}

impl Lpm6 {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a table from `(address, length, value)` routes in one go.
    pub fn from_routes(routes: &[(u128, u8, u32)]) -> Result<Self, LpmError> {
        let mut t = Self::new();
        for &(a, l, v) in routes {
            t.insert(a, l, v)?;
        }
        Ok(t)
    }

    /// Adds or replaces a route; returns the value it replaced.
    pub fn insert(&mut self, addr: u128, len: u8, value: u32) -> Result<Option<u32>, LpmError> {
        self.inner.insert(addr as u128, len, value)
    }

    /// Removes a route; returns its value if it was there.
    pub fn remove(&mut self, addr: u128, len: u8) -> Result<Option<u32>, LpmError> {
        self.inner.remove(addr as u128, len)
    }

    /// Exact-match read of one route.
    pub fn get(&self, addr: u128, len: u8) -> Option<u32> {
        self.inner.get(addr as u128, len)
    }

    /// Longest-prefix match, [`NO_ROUTE`] when nothing matches.
    pub fn lookup(&self, addr: u128) -> u32 {
        self.inner.lookup(addr as u128)
    }

    /// Batch form of [`Self::lookup`]: `out[i]` answers `addrs[i]`.
    /// Only `min(addrs.len(), out.len())` entries are looked up.
    pub fn lookup_batch(&self, addrs: &[u128], out: &mut [u32]) {
        for (a, o) in addrs.iter().zip(out.iter_mut()) {
            *o = self.lookup(*a);
        }
    }

    /// Number of routes stored.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// True when no route is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the structure holds (its own count, heap included).
    pub fn mem_bytes(&self) -> usize {
        self.len() * 48
    }
}

#[allow(dead_code)]
const _: u32 = NO_ROUTE;
