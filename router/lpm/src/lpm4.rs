//! IPv4 longest-prefix match: a poptrie (Asai & Ohara, SIGCOMM 2015) with
//! an 18-bit direct-pointing first level and 6-bit nodes.
//!
//! # Contract
//! [`Lpm4::lookup`] returns the value of the longest stored prefix that
//! contains the address, [`crate::NO_ROUTE`] if none; the answer equals
//! [`crate::reference::ReferenceLpm`]'s after any sequence of inserts,
//! removes and bulk builds (tests: `tests/full_tables.rs` on the shared BGP
//! table, `tests/small_tables.rs` proptests). Lookups never allocate nor
//! panic on any address. Updates are control-plane work: they allocate,
//! and the FIB publishes the table to workers as an immutable snapshot.
//!
//! # Structure
//! - `direct`: 2^18 `u32` entries (1 MiB), one per /18. An entry is a leaf
//!   (`value + 1`, 0 = no route) or `1 << 31 | node index`.
//! - `nodes`: 24-byte nodes `{vector: u64, leafvec: u64, base0: u32, base1: u32}`
//!   each resolving 6 more bits (64 slots). `vector` bit `s` set: slot `s`
//!   continues in child `nodes[base1 + popcnt(vector & ((2 << s) - 1)) - 1]`
//!   (children are contiguous). Otherwise the slot is a leaf: leaves are
//!   run-compressed, `leafvec` marks each slot whose value differs from the
//!   previous leaf slot, and the value is
//!   `leaves[base0 + popcnt(leafvec & ((2 << s) - 1)) - 1]`.
//! - `leaves`: `u32` values (already the longest match: a leaf holds the
//!   value inherited from shorter prefixes above it).
//!
//! The first level is 18 bits because /24 is 59.6% of the table: a /24
//! ends exactly on the first node boundary (18 + 6), so the common lookup
//! is `direct` -> one node -> one leaf, and only the 0.1% of routes longer
//! than /24 need a second node (depths 24 and 30; bits past /32 read as 0).
//!
//! ## Source of truth for updates
//! Leaves lose overridden routes, so every node also records the routes it
//! *owns*: a route of length `d + r` (`1 <= r <= 6`) under the node at
//! depth `d` sets bit `2^r - 2 + (its r bits after d)` of a 126-bit map
//! (`Rib`, kept in an array parallel to `nodes` that lookups never touch),
//! its value sits in `vals` at the bit's rank. Routes of length <= 18 are
//! kept in one hash map per length, plus `dflt`, the best of them per /18
//! (`(len + 1) << 24 | value`). There is no separate RIB.
//!
//! # Worked example
//! Routes: `10.0.0.0/8 -> A`, `10.1.0.0/16 -> B`, `10.1.2.0/24 -> C`,
//! `10.1.2.128/25 -> D`.
//! 1. /8 and /16 are short: `dflt` and `direct` slots `10.0.0.0/18 ..
//!    10.255.192.0/18` (1024 entries) say A, then the four /18s of
//!    10.1.0.0/16 (slots 10244..=10247) say B.
//! 2. /24 10.1.2.0 lies in /18 slot 10244 (10.1.0.0/18); that entry becomes
//!    node N18 at depth 18, which owns the /24 (`r = 6`, bits 18..24 = `2`,
//!    position 62 + 2).
//! 3. /25 10.1.2.128 is longer than 24: N18 gets a child N24 at slot 2,
//!    which owns it (`r = 1`, bit 24 = 1, position 1 = slots 32..63).
//! 4. Leaves: N18 has `vector = 1 << 2`; every other slot resolves to B,
//!    one run: `leafvec = 1`, leaves `[B]`. N24 inherits C (N18's best at
//!    slot 2): slots 0..31 C, 32..63 D, `leafvec = 1 | 1 << 32`, leaves
//!    `[C, D]`.
//!
//! Lookup 10.1.2.200: `direct[10.1.2.200 >> 14 = 10244]` is N18. Slot =
//! bits 18..24 = 2, `vector` bit 2 set: child `base1 + popcnt(0b100) - 1 =
//! base1` = N24. Slot = bits 24..30 of the address (200 = `110010`00) = 50,
//! `vector` bit clear: leaf `base0 + popcnt(leafvec & (2^51 - 1)) - 1 =
//! base0 + 1` = D. Lookup 10.1.7.9 stops at N18 slot 7: `leaves[base0 + 1 - 1]`
//! = B. Lookup 11.0.0.1: `direct` is a leaf, no route.
//!
//! # Updates
//! Insert/remove of a route longer than /18 walks from `direct` to the
//! owning node, creating (insert) missing nodes on the way or pruning
//! (remove) nodes left with no route and no child; sets or clears the owned
//! bit; then rewrites the leaves of the owning node's subtree (its values
//! flow down) and of the one ancestor whose child set changed. A route of
//! length <= 18 updates its map, then each `dflt` slot it is now the best
//! for, rewriting that slot's leaf or the leaves of its subtree. Blocks
//! (children, leaves, values) are reallocated with one free list per block
//! size; arrays grow by 1/16, and when free blocks exceed a quarter of the
//! live arrays the table is rebuilt from its own routes (a fresh bulk build,
//! ~30 ms), which bounds memory after churn. `from_routes` sorts the long
//! routes and builds each /18 subtree recursively, in one pass.
//!
//! # Batch lookups
//! `lookup_batch` walks up to 32 keys stage by stage: all `direct` entries,
//! then one level for every key still at a node, then all leaves; each stage
//! prefetches what the next reads (`crate::prefetch`, the only `unsafe`).
//!
//! # Measured (2-core AMD EPYC VM, 1 MiB L2/core, 32 MiB L3, shared with other
//! builds, load ~2; medians of 9 passes over 2^20 keys)
//! `cargo run --release -p silkroute-lpm --example lpm_bench` (and `-- baseline`)
//!
//! | full table, 901,899 routes | figure |
//! |---|---|
//! | build (`from_routes`, after parsing) | 28–34 ms |
//! | `mem_bytes` fresh / after 541k updates | 12.3 MiB / 13.5 MiB |
//! | random keys: single / batch of 32 | 132–182 / 148–162 M/s |
//! | matched keys: single / batch of 32 | 79–95 / 127–136 M/s |
//! | updates (remove 30%, re-insert shuffled) | 1.0–1.4 M changes/s |
//! | DIR-24-8 (rte_lpm layout, 64 MiB, no hugepages), same machine: random / matched, x4 | 52–77 / 79–112 M/s |
//!
//! What was tried: a loop-of-singles batch and an 8-key interleaved batch
//! without prefetch were no faster than singles (matched IPv4 batch 50–110
//! M/s); with prefetch the batch gains 1.4–2.2x on matched keys. Prefetch
//! off (same code): matched IPv4 batch 50–90 M/s, IPv6 31–33 M/s. A
//! 2^16 first level was not measured: it would put /24 one node deeper.
//! Growing the arrays by doubling left 23 MiB after the update run, hence
//! the 1/16 growth and the compaction.

use crate::poptrie::Poptrie;
use crate::LpmError;

/// IPv4 LPM table mapping prefixes to `u32` values.
#[derive(Debug, Clone, Default)]
pub struct Lpm4 {
    trie: Poptrie<u32>,
}

impl Lpm4 {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a table from `(address, length, value)` routes in one go.
    /// Duplicated prefixes keep the last value, as repeated inserts would.
    pub fn from_routes(routes: &[(u32, u8, u32)]) -> Result<Self, LpmError> {
        Ok(Self {
            trie: Poptrie::from_routes(routes)?,
        })
    }

    /// Adds or replaces a route; returns the value it replaced.
    pub fn insert(&mut self, addr: u32, len: u8, value: u32) -> Result<Option<u32>, LpmError> {
        self.trie.insert(addr, len, value)
    }

    /// Removes a route; returns its value if it was there.
    pub fn remove(&mut self, addr: u32, len: u8) -> Result<Option<u32>, LpmError> {
        self.trie.remove(addr, len)
    }

    /// Exact-match read of one route.
    pub fn get(&self, addr: u32, len: u8) -> Option<u32> {
        self.trie.get(addr, len)
    }

    /// Longest-prefix match, [`crate::NO_ROUTE`] when nothing matches.
    #[inline]
    pub fn lookup(&self, addr: u32) -> u32 {
        self.trie.lookup(addr)
    }

    /// Batch form of [`Self::lookup`]: `out[i]` answers `addrs[i]`.
    /// Only `min(addrs.len(), out.len())` entries are looked up. Keys are
    /// walked in interleaved groups so their cache misses overlap.
    pub fn lookup_batch(&self, addrs: &[u32], out: &mut [u32]) {
        self.trie.lookup_batch(addrs, out);
    }

    /// Every route as `(address, length, value)`, in no particular order.
    pub fn routes(&self) -> Vec<(u32, u8, u32)> {
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
