//! Routes with next hops, and the two key sets of the LPM issue.
//!
//! - Next hop of a route: a hash of the prefix modulo 256 ([`next_hop`]),
//!   the same for every structure, as a FIB with a few hundred next hops.
//! - `random` keys: uniform over the address space; IPv6 uniform inside
//!   2000::/3 (where every routed prefix is).
//! - `matched` keys: a route chosen uniformly, then an address inside it
//!   (its host bits random).

use std::path::Path;

use anyhow::Context;

/// SplitMix64: small, fast, deterministic (the seed fixes every key set).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn next_u128(&mut self) -> u128 {
        u128::from(self.next_u64()) << 64 | u128::from(self.next_u64())
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// The next hop of a prefix: a hash of it modulo 256 (the formula of
/// `router/lpm/tests/common`).
pub fn next_hop(addr: u128, len: u8) -> u32 {
    (Rng(addr as u64 ^ (addr >> 64) as u64 ^ u64::from(len)).next_u64() % 256) as u32
}

/// IPv4 and IPv6 routes `(address, length, next hop)` in file order.
#[derive(Debug, Default)]
pub struct Routes {
    pub v4: Vec<(u32, u8, u32)>,
    pub v6: Vec<(u128, u8, u32)>,
}

/// Loads one route file with `silkroute_config::parse_route_file`.
pub fn load(path: &Path) -> anyhow::Result<Routes> {
    let file = silkroute_config::parse_route_file(path)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("load routes from {}", path.display()))?;
    let v4 = file
        .v4
        .iter()
        .map(|n| {
            let a = u32::from(n.addr());
            (a, n.prefix_len(), next_hop(u128::from(a), n.prefix_len()))
        })
        .collect();
    let v6 = file
        .v6
        .iter()
        .map(|n| {
            let a = u128::from(n.addr());
            (a, n.prefix_len(), next_hop(a, n.prefix_len()))
        })
        .collect();
    Ok(Routes { v4, v6 })
}

/// The key sets of one family.
#[derive(Debug)]
pub struct KeySets<K> {
    pub random: Vec<K>,
    pub matched: Vec<K>,
}

/// `n` random and `n` matched IPv4 keys.
pub fn keys_v4(routes: &[(u32, u8, u32)], n: usize, seed: u64) -> KeySets<u32> {
    let mut rng = Rng(seed);
    let random = (0..n).map(|_| rng.next_u64() as u32).collect();
    let matched = (0..n)
        .map(|_| {
            let (a, l, _) = routes[rng.below(routes.len())];
            a | (rng.next_u64() as u32)
                .checked_shr(u32::from(l))
                .unwrap_or(0)
        })
        .collect();
    KeySets { random, matched }
}

/// `n` random (inside 2000::/3) and `n` matched IPv6 keys.
pub fn keys_v6(routes: &[(u128, u8, u32)], n: usize, seed: u64) -> KeySets<u128> {
    let mut rng = Rng(seed);
    let random = (0..n)
        .map(|_| 0x2000u128 << 112 | rng.next_u128() >> 3)
        .collect();
    let matched = (0..n)
        .map(|_| {
            let (a, l, _) = routes[rng.below(routes.len())];
            a | rng.next_u128().checked_shr(u32::from(l)).unwrap_or(0)
        })
        .collect();
    KeySets { random, matched }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matched_keys_fall_inside_a_route() {
        let routes = [(0x0a00_0000, 8, 1), (0xc0a8_0100, 24, 2)];
        let keys = keys_v4(&routes, 1000, 7);
        assert!(keys
            .matched
            .iter()
            .all(|k| k >> 24 == 0x0a || k >> 8 == 0xc0_a801));
    }

    #[test]
    fn random_v6_keys_stay_in_2000_slash_3() {
        let keys = keys_v6(&[(0x2001u128 << 112, 16, 1)], 1000, 7);
        assert!(keys.random.iter().all(|k| k >> 125 == 1));
    }
}
