//! The structures under comparison behind one batch-lookup trait.
//!
//! `silkroute-lpm` has a batch API; `prefix-trie` and `ip_network_table`
//! have none, so their "batch" is a loop of their longest-match lookup over
//! the batch (their natural API, as a Rust developer would call it).

use std::net::{Ipv4Addr, Ipv6Addr};

use ip_network::{Ipv4Network, Ipv6Network};
use ip_network_table::IpNetworkTable;
use ipnet::{Ipv4Net, Ipv6Net};
use prefix_trie::PrefixMap;
use silkroute_lpm::{Lpm4, Lpm6, NO_ROUTE};

/// A table answering longest-prefix-match lookups in batches.
pub trait BatchLookup<K> {
    /// The structure's own result encoding.
    type Out: Copy + Default;
    /// `out[i]` answers `keys[i]`; `out` is at least as long as `keys`.
    fn lookup_batch(&self, keys: &[K], out: &mut [Self::Out]);
    /// A result as a next hop, `None` when no route matched.
    fn decode(&self, out: Self::Out) -> Option<u32>;
}

fn ours(v: u32) -> Option<u32> {
    (v != NO_ROUTE).then_some(v)
}

impl BatchLookup<u32> for Lpm4 {
    type Out = u32;
    #[inline]
    fn lookup_batch(&self, keys: &[u32], out: &mut [u32]) {
        Lpm4::lookup_batch(self, keys, out);
    }
    fn decode(&self, out: u32) -> Option<u32> {
        ours(out)
    }
}

impl BatchLookup<u128> for Lpm6 {
    type Out = u32;
    #[inline]
    fn lookup_batch(&self, keys: &[u128], out: &mut [u32]) {
        Lpm6::lookup_batch(self, keys, out);
    }
    fn decode(&self, out: u32) -> Option<u32> {
        ours(out)
    }
}

/// `prefix_trie::PrefixMap` over `ipnet` prefixes, looked up with `get_lpm`.
pub struct PrefixTrie<P>(pub PrefixMap<P, u32>);

impl<P> std::fmt::Debug for PrefixTrie<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrefixTrie")
    }
}

impl PrefixTrie<Ipv4Net> {
    pub fn build_v4(routes: &[(u32, u8, u32)]) -> anyhow::Result<Self> {
        let mut map = PrefixMap::new();
        for &(a, l, v) in routes {
            map.insert(Ipv4Net::new(Ipv4Addr::from(a), l)?, v);
        }
        Ok(PrefixTrie(map))
    }
}

impl PrefixTrie<Ipv6Net> {
    pub fn build_v6(routes: &[(u128, u8, u32)]) -> anyhow::Result<Self> {
        let mut map = PrefixMap::new();
        for &(a, l, v) in routes {
            map.insert(Ipv6Net::new(Ipv6Addr::from(a), l)?, v);
        }
        Ok(PrefixTrie(map))
    }
}

impl BatchLookup<u32> for PrefixTrie<Ipv4Net> {
    type Out = u32;
    #[inline]
    fn lookup_batch(&self, keys: &[u32], out: &mut [u32]) {
        for (k, o) in keys.iter().zip(out.iter_mut()) {
            let host = Ipv4Net::from(Ipv4Addr::from(*k));
            *o = self.0.get_lpm(&host).map_or(NO_ROUTE, |(_, v)| *v);
        }
    }
    fn decode(&self, out: u32) -> Option<u32> {
        ours(out)
    }
}

impl BatchLookup<u128> for PrefixTrie<Ipv6Net> {
    type Out = u32;
    #[inline]
    fn lookup_batch(&self, keys: &[u128], out: &mut [u32]) {
        for (k, o) in keys.iter().zip(out.iter_mut()) {
            let host = Ipv6Net::from(Ipv6Addr::from(*k));
            *o = self.0.get_lpm(&host).map_or(NO_ROUTE, |(_, v)| *v);
        }
    }
    fn decode(&self, out: u32) -> Option<u32> {
        ours(out)
    }
}

/// `ip_network_table::IpNetworkTable`, looked up with `longest_match_ipv4/6`.
pub struct NetworkTable(pub IpNetworkTable<u32>);

impl std::fmt::Debug for NetworkTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NetworkTable")
    }
}

impl NetworkTable {
    pub fn build_v4(routes: &[(u32, u8, u32)]) -> anyhow::Result<Self> {
        let mut t = IpNetworkTable::new();
        for &(a, l, v) in routes {
            t.insert(Ipv4Network::new(Ipv4Addr::from(a), l)?, v);
        }
        Ok(NetworkTable(t))
    }

    pub fn build_v6(routes: &[(u128, u8, u32)]) -> anyhow::Result<Self> {
        let mut t = IpNetworkTable::new();
        for &(a, l, v) in routes {
            t.insert(Ipv6Network::new(Ipv6Addr::from(a), l)?, v);
        }
        Ok(NetworkTable(t))
    }
}

impl BatchLookup<u32> for NetworkTable {
    type Out = u32;
    #[inline]
    fn lookup_batch(&self, keys: &[u32], out: &mut [u32]) {
        for (k, o) in keys.iter().zip(out.iter_mut()) {
            *o = self
                .0
                .longest_match_ipv4(Ipv4Addr::from(*k))
                .map_or(NO_ROUTE, |(_, v)| *v);
        }
    }
    fn decode(&self, out: u32) -> Option<u32> {
        ours(out)
    }
}

impl BatchLookup<u128> for NetworkTable {
    type Out = u32;
    #[inline]
    fn lookup_batch(&self, keys: &[u128], out: &mut [u32]) {
        for (k, o) in keys.iter().zip(out.iter_mut()) {
            *o = self
                .0
                .longest_match_ipv6(Ipv6Addr::from(*k))
                .map_or(NO_ROUTE, |(_, v)| *v);
        }
    }
    fn decode(&self, out: u32) -> Option<u32> {
        ours(out)
    }
}
