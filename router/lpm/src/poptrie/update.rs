//! Control-plane side of the poptrie: bulk build, insert, remove.
//!
//! Routes longer than [`DIRECT_BITS`] live in the `Rib` of the node that
//! owns them (depth `d` with `d < len <= d + 6`); shorter ones in per-length
//! maps plus the `dflt` array. An update changes the owned set of one node,
//! adds or prunes the nodes on the way to it, then rewrites the leaves of
//! that node's subtree (their inherited values may change) and of the one
//! ancestor whose child set changed. Everything else stays in place.

use super::{
    dflt_enc, dflt_value, leaf_enc, own_pos, pos_route, rank, Key, Node, Pool, Poptrie, Rib, Step,
    DIRECT_BITS, MAX_DEPTH, NODE_FLAG, OWN_POSITIONS, STRIDE,
};
use crate::LpmError;

/// Arrays grow by this fraction of their length instead of doubling, so an
/// updated table stays close to the size of a fresh build (IPv4: 12 MiB
/// fresh, 16 MiB budget).
const GROWTH_DIV: usize = 16;
/// Free blocks may hold up to 1/`DEAD_DIV` of the live arrays before the
/// table is rebuilt compactly; and at least `DEAD_MIN` bytes, so small
/// tables do not rebuild on every update.
const DEAD_DIV: usize = 4;
const DEAD_MIN: usize = 256 << 10;

fn grow<T>(v: &mut Vec<T>, size: usize) {
    if v.len() + size > v.capacity() {
        v.reserve_exact(size.max(v.len() / GROWTH_DIV));
    }
}

fn alloc_in(v: &mut Vec<u32>, pool: &mut Pool, size: usize) -> u32 {
    if size == 0 {
        return 0;
    }
    if let Some(b) = pool.take(size) {
        return b;
    }
    let b = v.len();
    grow(v, size);
    v.resize(b + size, 0);
    b as u32
}

impl<K: Key> Poptrie<K> {
    fn alloc_nodes(&mut self, size: usize) -> u32 {
        if size == 0 {
            return 0;
        }
        if let Some(b) = self.node_pool.take(size) {
            return b;
        }
        let b = self.nodes.len();
        grow(&mut self.nodes, size);
        grow(&mut self.ribs, size);
        self.nodes.resize(b + size, Node::default());
        self.ribs.resize(b + size, Rib::default());
        b as u32
    }

    /// Values of the routes node `n` resolves per slot, given the value it
    /// inherits.
    fn best_of(&self, n: u32, dflt: u32) -> [u32; 64] {
        let rib = self.ribs[n as usize];
        let mut bits = rib.bits();
        let mut k = rib.base as usize;
        let mut best = [dflt; 64];
        // Positions ascend by relative length, so longer routes overwrite.
        while bits != 0 {
            let (r, b) = pos_route(bits.trailing_zeros());
            let w = 1usize << (STRIDE - r);
            best[b * w..(b + 1) * w].fill(self.vals[k]);
            k += 1;
            bits &= bits - 1;
        }
        best
    }

    /// The value node `n` resolves for slot `s` alone (what `best_of`
    /// would give at `s`, without expanding all 64 slots).
    fn best_at(&self, n: u32, dflt: u32, s: usize) -> u32 {
        let rib = self.ribs[n as usize];
        let bits = rib.bits();
        for r in (1..=STRIDE).rev() {
            let pos = own_pos(r, s >> (STRIDE - r));
            if bits >> pos & 1 == 1 {
                let k = (bits & ((1u128 << pos) - 1)).count_ones();
                return self.vals[(rib.base + k) as usize];
            }
        }
        dflt
    }

    /// Rewrites node `n`'s leaves (run-compressed) from `best`.
    fn write_leaves(&mut self, n: u32, best: &[u32; 64]) {
        let node = self.nodes[n as usize];
        let mut leafvec = 0u64;
        let mut buf = [0u32; 64];
        let mut cnt = 0usize;
        let mut last = None;
        for (s, &v) in best.iter().enumerate() {
            if node.vector >> s & 1 == 1 {
                continue;
            }
            if last != Some(v) {
                leafvec |= 1 << s;
                buf[cnt] = v;
                cnt += 1;
                last = Some(v);
            }
        }
        let old = node.leafvec.count_ones() as usize;
        let ob = node.base0 as usize;
        if leafvec == node.leafvec && self.leaves[ob..ob + old] == buf[..cnt] {
            return;
        }
        let base = if cnt == old {
            node.base0
        } else {
            self.leaf_pool.give(node.base0, old);
            alloc_in(&mut self.leaves, &mut self.leaf_pool, cnt)
        };
        self.leaves[base as usize..base as usize + cnt].copy_from_slice(&buf[..cnt]);
        let node = &mut self.nodes[n as usize];
        node.leafvec = leafvec;
        node.base0 = base;
    }

    /// Rewrites the leaves of `n` and of its whole subtree.
    fn refresh(&mut self, n: u32, dflt: u32) {
        let best = self.best_of(n, dflt);
        self.write_leaves(n, &best);
        let node = self.nodes[n as usize];
        let mut v = node.vector;
        let mut c = node.base1;
        while v != 0 {
            self.refresh(c, best[v.trailing_zeros() as usize]);
            c += 1;
            v &= v - 1;
        }
    }

    /// Sets owned position `pos` of `n`; returns the value it replaced.
    fn set_own(&mut self, n: u32, pos: u32, value: u32) -> Option<u32> {
        let rib = self.ribs[n as usize];
        let bits = rib.bits();
        let k = (bits & ((1u128 << pos) - 1)).count_ones() as usize;
        let base = rib.base as usize;
        if bits >> pos & 1 == 1 {
            let old = self.vals[base + k];
            self.vals[base + k] = value;
            return Some(old);
        }
        let cnt = bits.count_ones() as usize;
        let mut buf = [0u32; OWN_POSITIONS];
        buf[..k].copy_from_slice(&self.vals[base..base + k]);
        buf[k] = value;
        buf[k + 1..=cnt].copy_from_slice(&self.vals[base + k..base + cnt]);
        let nb = alloc_in(&mut self.vals, &mut self.val_pool, cnt + 1);
        self.val_pool.give(rib.base, cnt);
        self.vals[nb as usize..nb as usize + cnt + 1].copy_from_slice(&buf[..=cnt]);
        let rib = &mut self.ribs[n as usize];
        rib.set_bits(bits | 1u128 << pos);
        rib.base = nb;
        None
    }

    /// Clears owned position `pos` of `n`; returns the value it held.
    fn clear_own(&mut self, n: u32, pos: u32) -> Option<u32> {
        let rib = self.ribs[n as usize];
        let bits = rib.bits();
        if bits >> pos & 1 == 0 {
            return None;
        }
        let k = (bits & ((1u128 << pos) - 1)).count_ones() as usize;
        let base = rib.base as usize;
        let cnt = bits.count_ones() as usize;
        let old = self.vals[base + k];
        let mut buf = [0u32; OWN_POSITIONS];
        buf[..k].copy_from_slice(&self.vals[base..base + k]);
        buf[k..cnt - 1].copy_from_slice(&self.vals[base + k + 1..base + cnt]);
        let nb = alloc_in(&mut self.vals, &mut self.val_pool, cnt - 1);
        self.val_pool.give(rib.base, cnt);
        self.vals[nb as usize..nb as usize + cnt - 1].copy_from_slice(&buf[..cnt - 1]);
        let rib = &mut self.ribs[n as usize];
        rib.set_bits(bits & !(1u128 << pos));
        rib.base = nb;
        Some(old)
    }

    /// Gives `n` an empty child at slot `s` (its child block moves);
    /// returns the child. The caller rewrites `n`'s leaves.
    fn add_child(&mut self, n: u32, s: usize) -> u32 {
        let node = self.nodes[n as usize];
        let c = node.vector.count_ones() as usize;
        let k = (node.vector & ((1u64 << s) - 1)).count_ones() as usize;
        let nb = self.alloc_nodes(c + 1) as usize;
        let ob = node.base1 as usize;
        for j in 0..c {
            let to = nb + j + usize::from(j >= k);
            self.nodes[to] = self.nodes[ob + j];
            self.ribs[to] = self.ribs[ob + j];
        }
        self.nodes[nb + k] = Node::default();
        self.ribs[nb + k] = Rib::default();
        self.node_pool.give(node.base1, c);
        let node = &mut self.nodes[n as usize];
        node.vector |= 1 << s;
        node.base1 = nb as u32;
        (nb + k) as u32
    }

    /// Drops `n`'s (already emptied) child at slot `s`.
    fn remove_child(&mut self, n: u32, s: usize) {
        let node = self.nodes[n as usize];
        let c = node.vector.count_ones() as usize;
        let k = (node.vector & ((1u64 << s) - 1)).count_ones() as usize;
        let nb = self.alloc_nodes(c - 1) as usize;
        let ob = node.base1 as usize;
        for j in (0..c).filter(|&j| j != k) {
            let to = nb + j - usize::from(j > k);
            self.nodes[to] = self.nodes[ob + j];
            self.ribs[to] = self.ribs[ob + j];
        }
        self.node_pool.give(node.base1, c);
        let node = &mut self.nodes[n as usize];
        node.vector &= !(1 << s);
        node.base1 = nb as u32;
    }

    pub(crate) fn insert(&mut self, addr: K, len: u8, value: u32) -> Result<Option<u32>, LpmError> {
        Self::check(addr, len, Some(value))?;
        let len = u32::from(len);
        let prev = if len <= DIRECT_BITS {
            self.insert_short(addr, len, value)
        } else {
            self.insert_long(addr, len, value)
        };
        if prev.is_none() {
            self.len += 1;
        }
        self.maybe_compact();
        Ok(prev)
    }

    pub(crate) fn remove(&mut self, addr: K, len: u8) -> Result<Option<u32>, LpmError> {
        Self::check(addr, len, None)?;
        let len = u32::from(len);
        let prev = if len <= DIRECT_BITS {
            self.remove_short(addr, len)
        } else {
            self.remove_long(addr, len)
        };
        if prev.is_some() {
            self.len -= 1;
        }
        self.maybe_compact();
        Ok(prev)
    }

    /// Rebuilds the table from its routes once free blocks pile up.
    fn maybe_compact(&mut self) {
        let node_bytes = std::mem::size_of::<Node>() + std::mem::size_of::<Rib>();
        let dead =
            self.node_pool.dead * node_bytes + (self.leaf_pool.dead + self.val_pool.dead) * 4;
        let live = self.nodes.len() * node_bytes + (self.leaves.len() + self.vals.len()) * 4;
        if dead > DEAD_MIN && dead * DEAD_DIV > live {
            self.compact();
        }
    }

    /// Rebuilds the lookup arrays with no free blocks (a fresh bulk build).
    pub(crate) fn compact(&mut self) {
        if let Ok(t) = Self::from_routes(&self.routes()) {
            *self = t;
        }
    }

    /// Direct slot `i` adopts its (changed) best short route.
    fn apply_dflt(&mut self, i: usize) {
        let v = dflt_value(self.dflt[i]);
        let e = self.direct[i];
        if e & NODE_FLAG == 0 {
            self.direct[i] = leaf_enc(v);
        } else {
            self.refresh(e & !NODE_FLAG, v);
        }
    }

    fn short_range(addr: K, len: u32) -> std::ops::Range<usize> {
        let start = addr.top();
        start..start + (1usize << (DIRECT_BITS - len))
    }

    fn insert_short(&mut self, addr: K, len: u32, value: u32) -> Option<u32> {
        let prev = self.short[len as usize].insert(addr, value);
        if prev == Some(value) {
            return prev;
        }
        let enc = dflt_enc(len, value);
        for i in Self::short_range(addr, len) {
            // Slots whose best short route is no longer than `len`.
            if self.dflt[i] >> 24 <= len + 1 {
                self.dflt[i] = enc;
                self.apply_dflt(i);
            }
        }
        prev
    }

    fn remove_short(&mut self, addr: K, len: u32) -> Option<u32> {
        let prev = self.short[len as usize].remove(&addr)?;
        let repl = (0..len)
            .rev()
            .find_map(|l| {
                self.short[l as usize]
                    .get(&addr.masked(l))
                    .map(|v| dflt_enc(l, *v))
            })
            .unwrap_or(0);
        for i in Self::short_range(addr, len) {
            if self.dflt[i] >> 24 == len + 1 {
                self.dflt[i] = repl;
                self.apply_dflt(i);
            }
        }
        Some(prev)
    }

    fn insert_long(&mut self, addr: K, len: u32, value: u32) -> Option<u32> {
        let i = addr.top();
        let mut dflt = dflt_value(self.dflt[i]);
        let e = self.direct[i];
        let mut n = if e & NODE_FLAG != 0 {
            e & !NODE_FLAG
        } else {
            let n = self.alloc_nodes(1);
            self.nodes[n as usize] = Node::default();
            self.ribs[n as usize] = Rib::default();
            self.direct[i] = NODE_FLAG | n;
            n
        };
        // Ancestors that got a new child, with their inherited value.
        let mut grown = [Step::default(); MAX_DEPTH];
        let mut ngrown = 0;
        let mut d = DIRECT_BITS;
        while len > d + STRIDE {
            let s = addr.bits_at(d, STRIDE);
            let parent_dflt = dflt;
            dflt = self.best_at(n, dflt, s);
            let node = self.nodes[n as usize];
            n = if node.vector >> s & 1 == 1 {
                node.base1 + rank(node.vector, s) - 1
            } else {
                grown[ngrown] = Step {
                    node: n,
                    dflt: parent_dflt,
                };
                ngrown += 1;
                self.add_child(n, s)
            };
            d += STRIDE;
        }
        let r = len - d;
        let prev = self.set_own(n, own_pos(r, addr.bits_at(d, r)), value);
        if prev == Some(value) {
            return prev;
        }
        for st in &grown[..ngrown] {
            let best = self.best_of(st.node, st.dflt);
            self.write_leaves(st.node, &best);
        }
        self.refresh(n, dflt);
        prev
    }

    fn remove_long(&mut self, addr: K, len: u32) -> Option<u32> {
        let i = addr.top();
        let dflt0 = dflt_value(self.dflt[i]);
        let e = self.direct[i];
        if e & NODE_FLAG == 0 {
            return None;
        }
        // path[j] = (ancestor, its inherited value), slots[j] = the slot taken.
        let mut path = [Step::default(); MAX_DEPTH];
        let mut slots = [0usize; MAX_DEPTH];
        let mut plen = 0;
        let mut n = e & !NODE_FLAG;
        let mut d = DIRECT_BITS;
        let mut dflt = dflt0;
        while len > d + STRIDE {
            let node = self.nodes[n as usize];
            let s = addr.bits_at(d, STRIDE);
            if node.vector >> s & 1 == 0 {
                return None;
            }
            path[plen] = Step { node: n, dflt };
            slots[plen] = s;
            plen += 1;
            dflt = self.best_at(n, dflt, s);
            n = node.base1 + rank(node.vector, s) - 1;
            d += STRIDE;
        }
        let r = len - d;
        let prev = self.clear_own(n, own_pos(r, addr.bits_at(d, r)))?;
        // Prune nodes left with no route and no child, bottom up.
        let mut cur = n;
        let mut k = plen;
        loop {
            let node = self.nodes[cur as usize];
            if node.vector != 0 || self.ribs[cur as usize].bits() != 0 {
                break;
            }
            self.leaf_pool
                .give(node.base0, node.leafvec.count_ones() as usize);
            if k == 0 {
                self.node_pool.give(cur, 1);
                self.direct[i] = leaf_enc(dflt0);
                return Some(prev);
            }
            k -= 1;
            self.remove_child(path[k].node, slots[k]);
            cur = path[k].node;
        }
        if cur == n {
            self.refresh(n, dflt);
        } else {
            let best = self.best_of(cur, path[k].dflt);
            self.write_leaves(cur, &best);
        }
        Some(prev)
    }

    pub(crate) fn from_routes(routes: &[(K, u8, u32)]) -> Result<Self, LpmError> {
        let mut t = Self::new();
        let mut long: Vec<(K, u8, u32)> = Vec::with_capacity(routes.len());
        for &(a, l, v) in routes {
            Self::check(a, l, Some(v))?;
            if u32::from(l) <= DIRECT_BITS {
                t.short[l as usize].insert(a, v);
            } else {
                long.push((a, l, v));
            }
        }
        for l in 0..=DIRECT_BITS {
            for (a, v) in &t.short[l as usize] {
                let enc = dflt_enc(l, *v);
                t.dflt[Self::short_range(*a, l)].fill(enc);
            }
        }
        for (e, d) in t.direct.iter_mut().zip(&t.dflt) {
            *e = leaf_enc(dflt_value(*d));
        }
        // Stable sort, then keep the last of duplicates (as inserts would).
        long.sort_by_key(|r| (r.0, r.1));
        let mut uniq: Vec<(K, u8, u32)> = Vec::with_capacity(long.len());
        for r in long {
            match uniq.last_mut() {
                Some(last) if (last.0, last.1) == (r.0, r.1) => *last = r,
                _ => uniq.push(r),
            }
        }
        t.len = t.short.iter().map(|m| m.len()).sum::<usize>() + uniq.len();
        let mut j = 0;
        while j < uniq.len() {
            let i = uniq[j].0.top();
            let mut e = j + 1;
            while e < uniq.len() && uniq[e].0.top() == i {
                e += 1;
            }
            let n = t.alloc_nodes(1);
            t.build_node(n, &uniq[j..e], DIRECT_BITS, dflt_value(t.dflt[i]));
            t.direct[i] = NODE_FLAG | n;
            j = e;
        }
        t.nodes.shrink_to_fit();
        t.ribs.shrink_to_fit();
        t.leaves.shrink_to_fit();
        t.vals.shrink_to_fit();
        t.node_pool.clear();
        t.leaf_pool.clear();
        t.val_pool.clear();
        Ok(t)
    }

    /// Builds node `n` at depth `d` from `routes` (sorted, unique, all
    /// longer than `d` and under the node's prefix).
    fn build_node(&mut self, n: u32, routes: &[(K, u8, u32)], d: u32, dflt: u32) {
        let mut own = 0u128;
        let mut own_vals = [0u32; OWN_POSITIONS];
        let mut vector = 0u64;
        for &(a, l, v) in routes {
            let l = u32::from(l);
            if l <= d + STRIDE {
                let pos = own_pos(l - d, a.bits_at(d, l - d));
                own |= 1 << pos;
                own_vals[pos as usize] = v;
            } else {
                vector |= 1 << a.bits_at(d, STRIDE);
            }
        }
        let cnt = own.count_ones() as usize;
        let vb = alloc_in(&mut self.vals, &mut self.val_pool, cnt) as usize;
        let mut bits = own;
        let mut k = vb;
        while bits != 0 {
            self.vals[k] = own_vals[bits.trailing_zeros() as usize];
            k += 1;
            bits &= bits - 1;
        }
        let mut rib = Rib {
            base: vb as u32,
            ..Rib::default()
        };
        rib.set_bits(own);
        self.ribs[n as usize] = rib;
        let cb = self.alloc_nodes(vector.count_ones() as usize);
        self.nodes[n as usize] = Node {
            vector,
            leafvec: 0,
            base0: 0,
            base1: cb,
        };
        let best = self.best_of(n, dflt);
        self.write_leaves(n, &best);
        let mut child = cb;
        let mut j = 0;
        while j < routes.len() {
            if u32::from(routes[j].1) <= d + STRIDE {
                j += 1;
                continue;
            }
            let s = routes[j].0.bits_at(d, STRIDE);
            let mut e = j + 1;
            // Owned routes of this slot sort before its deeper routes (same
            // or lower address, shorter), so the run holds only deeper ones.
            while e < routes.len() && routes[e].0.bits_at(d, STRIDE) == s {
                e += 1;
            }
            self.build_node(child, &routes[j..e], d + STRIDE, best[s]);
            child += 1;
            j = e;
        }
    }

    /// Every route, shortest-first within a region, in no global order.
    pub(crate) fn routes(&self) -> Vec<(K, u8, u32)> {
        let mut out = Vec::with_capacity(self.len);
        for (l, m) in self.short.iter().enumerate() {
            out.extend(m.iter().map(|(a, v)| (*a, l as u8, *v)));
        }
        for (i, &e) in self.direct.iter().enumerate() {
            if e & NODE_FLAG != 0 {
                let prefix = K::ZERO.with_bits(0, DIRECT_BITS, i);
                self.collect(e & !NODE_FLAG, prefix, DIRECT_BITS, &mut out);
            }
        }
        out
    }

    fn collect(&self, n: u32, prefix: K, d: u32, out: &mut Vec<(K, u8, u32)>) {
        let rib = self.ribs[n as usize];
        let mut bits = rib.bits();
        let mut k = rib.base as usize;
        while bits != 0 {
            let (r, b) = pos_route(bits.trailing_zeros());
            out.push((prefix.with_bits(d, r, b), (d + r) as u8, self.vals[k]));
            k += 1;
            bits &= bits - 1;
        }
        let node = self.nodes[n as usize];
        let mut v = node.vector;
        let mut c = node.base1;
        while v != 0 {
            let s = v.trailing_zeros() as usize;
            self.collect(c, prefix.with_bits(d, STRIDE, s), d + STRIDE, out);
            c += 1;
            v &= v - 1;
        }
    }
}
