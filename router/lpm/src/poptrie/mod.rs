//! The poptrie engine shared by [`crate::Lpm4`] and [`crate::Lpm6`].
//!
//! See the `lpm4` module docs for the algorithm, a worked example and the
//! memory layout; this file is the implementation, generic over the key
//! width through [`Key`].
//!
//! Invariants the lookup relies on (every mutation re-establishes them
//! before returning):
//! - `direct[i]` is either a leaf (`value + 1`, `0` = no route) or
//!   `NODE_FLAG | index` of the node at depth [`DIRECT_BITS`];
//! - a node's children are `nodes[base1 .. base1 + popcnt(vector)]`, its
//!   leaves `leaves[base0 .. base0 + popcnt(leafvec)]`;
//! - every slot whose `vector` bit is clear has a leaf: the run started by
//!   the highest `leafvec` bit at or below the slot, and bit 0 of the first
//!   leaf slot is always set.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

mod update;

use crate::prefetch::prefetch;
use crate::{LpmError, MAX_VALUE, NO_ROUTE};

/// Bits resolved by the direct-pointing array. 18 makes both common route
/// lengths end exactly on a node boundary: IPv4 /24 = 18 + 6 (59.6% of the
/// table) and IPv6 /48 = 18 + 5·6 (47.1%), and the array is 1 MiB.
pub(crate) const DIRECT_BITS: u32 = 18;
/// Bits per trie node: 64 slots, one `u64` bitmap, one `popcnt` per step.
pub(crate) const STRIDE: u32 = 6;
/// Marks a `direct` entry that points to a node.
const NODE_FLAG: u32 = 1 << 31;
/// Owned-route positions per node: 2 + 4 + … + 64 (relative lengths 1..=6).
const OWN_POSITIONS: usize = 126;
/// Deepest possible node chain, a stack bound for the update paths:
/// (128 - 18) / 6 rounded up.
const MAX_DEPTH: usize = 19;

/// Key operations the engine needs; implemented for `u32` and `u128`.
pub(crate) trait Key: Copy + Ord + Eq + Hash + fmt::Debug + Send + Sync + 'static {
    /// Address width in bits.
    const BITS: u32;
    /// The all-zero address.
    const ZERO: Self;
    /// `r` bits starting at bit `d` (from the most significant end), the
    /// bits past the address width read as zero. Requires `d < BITS`,
    /// `1 <= r <= 6`.
    fn bits_at(self, d: u32, r: u32) -> usize;
    /// The first [`DIRECT_BITS`] bits.
    fn top(self) -> usize;
    /// The key with all bits after `len` cleared.
    fn masked(self, len: u32) -> Self;
    /// The key with the `r` bits `b` placed after bit `d` (`d + r <= BITS`).
    fn with_bits(self, d: u32, r: u32, b: usize) -> Self;
}

impl Key for u32 {
    const BITS: u32 = 32;
    const ZERO: Self = 0;
    #[inline(always)]
    fn bits_at(self, d: u32, r: u32) -> usize {
        ((self << d) >> (32 - r)) as usize
    }
    #[inline(always)]
    fn top(self) -> usize {
        (self >> (32 - DIRECT_BITS)) as usize
    }
    fn masked(self, len: u32) -> Self {
        if len == 0 {
            0
        } else {
            self & (u32::MAX << (32 - len))
        }
    }
    fn with_bits(self, d: u32, r: u32, b: usize) -> Self {
        self | (b as u32) << (32 - d - r)
    }
}

impl Key for u128 {
    const BITS: u32 = 128;
    const ZERO: Self = 0;
    #[inline(always)]
    fn bits_at(self, d: u32, r: u32) -> usize {
        ((self << d) >> (128 - r)) as usize
    }
    #[inline(always)]
    fn top(self) -> usize {
        (self >> (128 - DIRECT_BITS)) as usize
    }
    fn masked(self, len: u32) -> Self {
        if len == 0 {
            0
        } else {
            self & (u128::MAX << (128 - len))
        }
    }
    fn with_bits(self, d: u32, r: u32, b: usize) -> Self {
        self | (b as u128) << (128 - d - r)
    }
}

/// One 64-slot trie node, the only structure a lookup walks besides
/// `direct` and `leaves`. 24 bytes, so most nodes sit in one cache line.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    /// Bit `s` set: slot `s` continues in a child node.
    vector: u64,
    /// Bit `s` set: slot `s` is a leaf whose value differs from the
    /// previous leaf slot (starts a run).
    leafvec: u64,
    /// First leaf of this node.
    base0: u32,
    /// First child of this node.
    base1: u32,
}

/// Routes a node owns (the source of truth for updates; lookups never read
/// it). A route of length `d + r`, `1 <= r <= 6`, under a node at depth `d`
/// sits at position `2^r - 2 + (its r bits after d)`; its value is
/// `vals[base + rank]`.
#[derive(Clone, Copy, Default, Debug)]
struct Rib {
    own: [u32; 4],
    base: u32,
}

impl Rib {
    fn bits(&self) -> u128 {
        let o = self.own;
        (o[0] as u128) | (o[1] as u128) << 32 | (o[2] as u128) << 64 | (o[3] as u128) << 96
    }
    fn set_bits(&mut self, b: u128) {
        self.own = [
            b as u32,
            (b >> 32) as u32,
            (b >> 64) as u32,
            (b >> 96) as u32,
        ];
    }
}

/// Blocks of a `Vec` handed out by size, recycled through one free list
/// per size. Sizes are at most 126, so fragmentation is bounded.
#[derive(Clone, Debug, Default)]
struct Pool {
    free: Vec<Vec<u32>>,
    /// Entries sitting in free blocks.
    dead: usize,
}

impl Pool {
    fn take(&mut self, size: usize) -> Option<u32> {
        let b = self.free.get_mut(size)?.pop()?;
        self.dead -= size;
        Some(b)
    }
    fn give(&mut self, base: u32, size: usize) {
        if size == 0 {
            return;
        }
        self.dead += size;
        if self.free.len() <= size {
            self.free.resize_with(size + 1, Vec::new);
        }
        self.free[size].push(base);
    }
    fn bytes(&self) -> usize {
        self.free.capacity() * std::mem::size_of::<Vec<u32>>()
            + self.free.iter().map(|f| f.capacity() * 4).sum::<usize>()
    }
    fn clear(&mut self) {
        self.free.clear();
        self.dead = 0;
    }
}

/// Position of a route of relative length `r` and relative bits `b`.
#[inline]
fn own_pos(r: u32, b: usize) -> u32 {
    (1u32 << r) - 2 + b as u32
}

/// Relative length and bits of an owned-route position.
#[inline]
fn pos_route(pos: u32) -> (u32, usize) {
    let r = 31 - (pos + 2).leading_zeros();
    (r, (pos + 2 - (1 << r)) as usize)
}

/// Packs a short route's length and value for `dflt`; 0 = no route.
#[inline]
fn dflt_enc(len: u32, value: u32) -> u32 {
    (len + 1) << 24 | value
}

#[inline]
fn dflt_value(e: u32) -> u32 {
    if e == 0 {
        NO_ROUTE
    } else {
        e & MAX_VALUE
    }
}

#[inline]
fn leaf_enc(value: u32) -> u32 {
    value.wrapping_add(1)
}

/// Slot `s` of a 64-bit map and all below it: the rank mask.
#[inline(always)]
fn rank(map: u64, s: usize) -> u32 {
    (map << (63 - s)).count_ones()
}

/// A poptrie over `K` keys: direct-pointing first level of
/// [`DIRECT_BITS`], then 6-bit nodes.
#[derive(Clone)]
pub(crate) struct Poptrie<K: Key> {
    /// `2^DIRECT_BITS` entries: leaf (`value + 1`) or `NODE_FLAG | node`.
    direct: Vec<u32>,
    nodes: Vec<Node>,
    /// Parallel to `nodes`.
    ribs: Vec<Rib>,
    leaves: Vec<u32>,
    /// Values of owned routes, blocks addressed by `Rib::base`.
    vals: Vec<u32>,
    node_pool: Pool,
    leaf_pool: Pool,
    val_pool: Pool,
    /// Routes of length `<= DIRECT_BITS`, one map per length.
    short: Vec<HashMap<K, u32>>,
    /// Best short route per direct slot, `dflt_enc` packed.
    dflt: Vec<u32>,
    len: usize,
}

impl<K: Key> fmt::Debug for Poptrie<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poptrie")
            .field("routes", &self.len)
            .field("nodes", &self.nodes.len())
            .field("leaves", &self.leaves.len())
            .field("mem_bytes", &self.mem_bytes())
            .finish()
    }
}

impl<K: Key> Default for Poptrie<K> {
    fn default() -> Self {
        Self::new()
    }
}

/// One step of an update path: the node, its depth and the value it
/// inherits from above.
#[derive(Clone, Copy, Default)]
struct Step {
    node: u32,
    dflt: u32,
}

impl<K: Key> Poptrie<K> {
    pub(crate) fn new() -> Self {
        Self {
            direct: vec![leaf_enc(NO_ROUTE); 1 << DIRECT_BITS],
            nodes: Vec::new(),
            ribs: Vec::new(),
            leaves: Vec::new(),
            vals: Vec::new(),
            node_pool: Pool::default(),
            leaf_pool: Pool::default(),
            val_pool: Pool::default(),
            short: (0..=DIRECT_BITS).map(|_| HashMap::new()).collect(),
            dflt: vec![0; 1 << DIRECT_BITS],
            len: 0,
        }
    }

    fn check(addr: K, len: u8, value: Option<u32>) -> Result<(), LpmError> {
        if u32::from(len) > K::BITS {
            return Err(LpmError::InvalidLength {
                len,
                max: K::BITS as u8,
            });
        }
        if addr.masked(u32::from(len)) != addr {
            return Err(LpmError::HostBitsSet);
        }
        if let Some(v) = value {
            if v > MAX_VALUE {
                return Err(LpmError::ValueTooLarge(v));
            }
        }
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn mem_bytes(&self) -> usize {
        let maps: usize = self
            .short
            .iter()
            .map(|m| m.capacity() * (std::mem::size_of::<(K, u32)>() + 1))
            .sum();
        std::mem::size_of::<Self>()
            + self.direct.capacity() * 4
            + self.dflt.capacity() * 4
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.ribs.capacity() * std::mem::size_of::<Rib>()
            + self.leaves.capacity() * 4
            + self.vals.capacity() * 4
            + self.node_pool.bytes()
            + self.leaf_pool.bytes()
            + self.val_pool.bytes()
            + self.short.capacity() * std::mem::size_of::<HashMap<K, u32>>()
            + maps
    }

    // ---------------------------------------------------------------
    // Lookup
    // ---------------------------------------------------------------

    #[inline(always)]
    pub(crate) fn lookup(&self, key: K) -> u32 {
        let e = self.direct[key.top()];
        if e & NODE_FLAG == 0 {
            return e.wrapping_sub(1);
        }
        let mut node = self.nodes[(e & !NODE_FLAG) as usize];
        let mut d = DIRECT_BITS;
        loop {
            let s = key.bits_at(d, STRIDE);
            if node.vector & (1u64 << s) == 0 {
                let i = node.base0 + rank(node.leafvec, s) - 1;
                return self.leaves[i as usize];
            }
            let c = node.base1 + rank(node.vector, s) - 1;
            node = self.nodes[c as usize];
            d += STRIDE;
        }
    }

    /// Looks up up to [`BATCH_MAX`] keys stage by stage: every key's
    /// direct entry, then one trie level for every key still at a node,
    /// and so on, then all leaves. Each stage prefetches what the next one
    /// reads, so the cache misses of independent keys overlap.
    #[inline(always)]
    fn lookup_burst(&self, keys: &[K], out: &mut [u32]) {
        debug_assert!(keys.len() <= BATCH_MAX && out.len() == keys.len());
        let mut cur = [0u32; BATCH_MAX];
        let mut at_node = 0u64;
        for (j, k) in keys.iter().enumerate() {
            let e = self.direct[k.top()];
            out[j] = e.wrapping_sub(1);
            if e & NODE_FLAG != 0 {
                let n = (e & !NODE_FLAG) as usize;
                cur[j] = n as u32;
                at_node |= 1 << j;
                prefetch(&self.nodes[n]);
            }
        }
        let mut at_leaf = 0u64;
        let mut d = DIRECT_BITS;
        while at_node != 0 {
            let mut m = at_node;
            while m != 0 {
                let j = m.trailing_zeros() as usize;
                m &= m - 1;
                let node = self.nodes[cur[j] as usize];
                let s = keys[j].bits_at(d, STRIDE);
                if node.vector & (1u64 << s) == 0 {
                    let i = node.base0 + rank(node.leafvec, s) - 1;
                    cur[j] = i;
                    prefetch(&self.leaves[i as usize]);
                    at_node &= !(1 << j);
                    at_leaf |= 1 << j;
                } else {
                    let c = node.base1 + rank(node.vector, s) - 1;
                    cur[j] = c;
                    prefetch(&self.nodes[c as usize]);
                }
            }
            d += STRIDE;
        }
        while at_leaf != 0 {
            let j = at_leaf.trailing_zeros() as usize;
            at_leaf &= at_leaf - 1;
            out[j] = self.leaves[cur[j] as usize];
        }
    }

    pub(crate) fn lookup_batch(&self, keys: &[K], out: &mut [u32]) {
        let n = keys.len().min(out.len());
        for (k, o) in keys[..n]
            .chunks(BATCH_MAX)
            .zip(out[..n].chunks_mut(BATCH_MAX))
        {
            self.lookup_burst(k, o);
        }
    }

    // ---------------------------------------------------------------
    // Exact-match reads
    // ---------------------------------------------------------------

    pub(crate) fn get(&self, addr: K, len: u8) -> Option<u32> {
        let len = u32::from(len);
        if len > K::BITS || addr.masked(len) != addr {
            return None;
        }
        if len <= DIRECT_BITS {
            return self.short[len as usize].get(&addr).copied();
        }
        let e = self.direct[addr.top()];
        if e & NODE_FLAG == 0 {
            return None;
        }
        let mut n = e & !NODE_FLAG;
        let mut d = DIRECT_BITS;
        while len > d + STRIDE {
            let node = self.nodes[n as usize];
            let s = addr.bits_at(d, STRIDE);
            if node.vector & (1u64 << s) == 0 {
                return None;
            }
            n = node.base1 + rank(node.vector, s) - 1;
            d += STRIDE;
        }
        let r = len - d;
        let pos = own_pos(r, addr.bits_at(d, r));
        let rib = self.ribs[n as usize];
        let bits = rib.bits();
        if bits >> pos & 1 == 0 {
            return None;
        }
        let k = (bits & ((1u128 << pos) - 1)).count_ones();
        Some(self.vals[(rib.base + k) as usize])
    }
}

/// Batch lookups walk this many keys together: the worker's burst.
pub(crate) const BATCH_MAX: usize = 32;
