//! IPv6 longest-prefix match: the same poptrie as [`crate::Lpm4`] (see
//! its module docs for the node layout, update algorithm and a worked
//! example) over 128-bit keys.
//!
//! # Contract
//! As for IPv4: the longest stored prefix wins, [`crate::NO_ROUTE`] on a
//! miss, identical to [`crate::reference::ReferenceLpm`] for every address
//! (the table is correct over the whole space, not only 2000::/3).
//!
//! # Shape for IPv6
//! The direct level covers the first 18 bits (1 MiB, a /18 per entry),
//! then 6-bit nodes at depths 18, 24, 30, 36, 42, … up to 124 (bits past
//! /128 read as 0). 18 makes the two big lengths end on node boundaries:
//! /48 (47.1% of the table) = 18 + 5·6 and /30 (plus /32, /36 inside the
//! depth-30 node); a /48 lookup reads `direct`, five nodes and a leaf. The
//! top levels are few and stay cached: all real routes sit in 2000::/3, so
//! only a small fraction of the direct entries point at nodes, the rest are leaves
//! (random keys mostly end at `direct`).
//!
//! ## Worked lookup
//! Routes `2001:db8::/32 -> A`, `2001:db8:1::/48 -> B`. `direct[0x2001 << 2
//! | 0b00]` (the /18 2001:0000::/18) is node N18. The /32 is owned by the
//! node at depth 30 (30 < 32 <= 36): positions for `r = 2`. The /48 is owned
//! by the node at 42 (42 < 48 <= 48, `r = 6`). Lookup `2001:db8:1::5`:
//! N18 slot = bits 18..24, child N24, slot bits 24..30, child N30, slot
//! bits 30..36 = 0 (the /32, `r = 2`, covers slots 0..15 of N30; slot 0
//! continues), child N36 (inherits A), slot bits 36..42, child N42,
//! slot bits 42..48 = `0b000001`, leaf B. `2001:db8:2::1` ends at N42 slot
//! 2: a leaf that inherited A.
//!
//! # Measured (same machine and command as `lpm4`; keys: "random" half
//! uniform in 2000::/3, half uniform over the whole space)
//!
//! | full table, 160,147 routes | figure |
//! |---|---|
//! | build (`from_routes`) | 13–15 ms |
//! | `mem_bytes` fresh / after 96k updates | 6.5 MiB / 7.4 MiB |
//! | random keys: single / batch of 32 | 490–780 / 660–820 M/s |
//! | matched keys: single / batch of 32 | 22–27 / 41–45 M/s |
//! | updates (remove 30%, re-insert shuffled) | 0.9–1.3 M changes/s |
//!
//! Matched IPv6 keys walk about six dependent levels; the batch overlaps
//! them across 32 keys (prefetch off: 31–33 M/s).

use crate::poptrie::Poptrie;
use crate::LpmError;

/// IPv6 LPM table mapping prefixes to `u32` values.
#[derive(Debug, Clone, Default)]
pub struct Lpm6 {
    trie: Poptrie<u128>,
}

impl Lpm6 {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a table from `(address, length, value)` routes in one go.
    /// Duplicated prefixes keep the last value, as repeated inserts would.
    pub fn from_routes(routes: &[(u128, u8, u32)]) -> Result<Self, LpmError> {
        Ok(Self {
            trie: Poptrie::from_routes(routes)?,
        })
    }

    /// Adds or replaces a route; returns the value it replaced.
    pub fn insert(&mut self, addr: u128, len: u8, value: u32) -> Result<Option<u32>, LpmError> {
        self.trie.insert(addr, len, value)
    }

    /// Removes a route; returns its value if it was there.
    pub fn remove(&mut self, addr: u128, len: u8) -> Result<Option<u32>, LpmError> {
        self.trie.remove(addr, len)
    }

    /// Exact-match read of one route.
    pub fn get(&self, addr: u128, len: u8) -> Option<u32> {
        self.trie.get(addr, len)
    }

    /// Longest-prefix match, [`crate::NO_ROUTE`] when nothing matches.
    #[inline]
    pub fn lookup(&self, addr: u128) -> u32 {
        self.trie.lookup(addr)
    }

    /// Batch form of [`Self::lookup`]: `out[i]` answers `addrs[i]`.
    /// Only `min(addrs.len(), out.len())` entries are looked up. Keys are
    /// walked in interleaved groups so their cache misses overlap.
    pub fn lookup_batch(&self, addrs: &[u128], out: &mut [u32]) {
        self.trie.lookup_batch(addrs, out);
    }

    /// Every route as `(address, length, value)`, in no particular order.
    pub fn routes(&self) -> Vec<(u128, u8, u32)> {
        self.trie.routes()
    }

    /// Rebuilds the lookup arrays with no free blocks (updates do this on
    /// their own when free blocks exceed a quarter of the live arrays).
    pub fn compact(&mut self) {
        self.trie.compact();
    }

    /// Number of routes stored.
    pub fn len(&self) -> usize {
        self.trie.len()
    }

    /// True when no route is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the structure holds (its own count, heap included): lookup
    /// arrays, the per-node route store, free lists and short-route maps.
    pub fn mem_bytes(&self) -> usize {
        self.trie.mem_bytes()
    }
}
