//! `silkroute fib bench`: builds an LPM table from a route file and
//! measures batch lookups on one core, printing one line:
//! `family=ipv4 keys=random routes=901899 build_ms=... mem_bytes=... mlookups_per_s=...`.

use std::time::{Duration, Instant};

use silkroute_config::RouteFile;
use silkroute_lpm::{Lpm4, Lpm6, LpmError};

/// Keys looked up per pass (the 16M).
pub const KEYS: usize = 16 * 1024 * 1024;

/// Batch size of the lookups: the worker's burst.
const BATCH: usize = silkroute_router::BURST_SIZE;

/// Address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Family {
    /// IPv4 routes.
    Ipv4,
    /// IPv6 routes.
    Ipv6,
}

/// Key distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Keys {
    /// Uniform over the address space (IPv6: inside 2000::/3).
    Random,
    /// An address inside a uniformly chosen route.
    Matched,
}

/// What one run measured.
#[derive(Debug, Clone, Copy)]
pub struct BenchResult {
    /// Routes in the table.
    pub routes: usize,
    /// Build time from parsed routes.
    pub build: Duration,
    /// Bytes the table holds, by its own count.
    pub mem_bytes: usize,
    /// Million lookups per second.
    pub mlookups_per_s: f64,
    /// Lookups that matched a route (a sanity figure).
    pub matched_share: f64,
}

/// splitmix64: a small, fast, well-distributed generator; benchmarks
/// need reproducible keys, not cryptographic ones.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Value stored for route `i`: a next-hop-like id, as a real FIB has a
/// few hundred distinct next hops.
fn value(i: usize) -> u32 {
    (i % 256) as u32
}

/// Runs the benchmark.
pub fn run(
    routes: &RouteFile,
    family: Family,
    keys: Keys,
    seconds: f64,
) -> Result<BenchResult, LpmError> {
    let mut rng = SplitMix(0x005e_ed0f_5117_c0de);
    match family {
        Family::Ipv4 => {
            let r: Vec<(u32, u8, u32)> = routes
                .v4
                .iter()
                .enumerate()
                .map(|(i, n)| (u32::from(n.network()), n.prefix_len(), value(i)))
                .collect();
            let start = Instant::now();
            let table = Lpm4::from_routes(&r)?;
            let build = start.elapsed();
            let k: Vec<u32> = (0..KEYS)
                .map(|_| match keys {
                    Keys::Random => rng.next_u64() as u32,
                    Keys::Matched if !r.is_empty() => {
                        let (a, l, _) = r[rng.below(r.len())];
                        let host = if l == 32 {
                            0
                        } else {
                            (rng.next_u64() as u32) >> l
                        };
                        a | host
                    }
                    Keys::Matched => 0,
                })
                .collect();
            let (mlps, share) = measure(&k, seconds, |a, o| table.lookup_batch(a, o));
            Ok(BenchResult {
                routes: r.len(),
                build,
                mem_bytes: table.mem_bytes(),
                mlookups_per_s: mlps,
                matched_share: share,
            })
        }
        Family::Ipv6 => {
            let r: Vec<(u128, u8, u32)> = routes
                .v6
                .iter()
                .enumerate()
                .map(|(i, n)| (u128::from(n.network()), n.prefix_len(), value(i)))
                .collect();
            let start = Instant::now();
            let table = Lpm6::from_routes(&r)?;
            let build = start.elapsed();
            let rand128 = |rng: &mut SplitMix| {
                (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64())
            };
            let k: Vec<u128> = (0..KEYS)
                .map(|_| match keys {
                    // 2000::/3: top three bits 001.
                    Keys::Random => (rand128(&mut rng) >> 3) | (1u128 << 125),
                    Keys::Matched if !r.is_empty() => {
                        let (a, l, _) = r[rng.below(r.len())];
                        let host = if l == 128 { 0 } else { rand128(&mut rng) >> l };
                        a | host
                    }
                    Keys::Matched => 0,
                })
                .collect();
            let (mlps, share) = measure(&k, seconds, |a, o| table.lookup_batch(a, o));
            Ok(BenchResult {
                routes: r.len(),
                build,
                mem_bytes: table.mem_bytes(),
                mlookups_per_s: mlps,
                matched_share: share,
            })
        }
    }
}

/// Looks up all keys in batches, pass after pass, for at least `seconds`
/// (and at least one pass). Returns (M lookups/s, share matched).
fn measure<K: Copy>(keys: &[K], seconds: f64, lookup: impl Fn(&[K], &mut [u32])) -> (f64, f64) {
    let mut out = [0u32; BATCH];
    let mut done = 0u64;
    let mut matched = 0u64;
    let start = Instant::now();
    loop {
        for chunk in keys.chunks(BATCH) {
            lookup(chunk, &mut out[..chunk.len()]);
            matched += out[..chunk.len()]
                .iter()
                .filter(|v| **v != silkroute_lpm::NO_ROUTE)
                .count() as u64;
        }
        done += keys.len() as u64;
        if start.elapsed().as_secs_f64() >= seconds {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    (
        done as f64 / secs / 1e6,
        matched as f64 / done.max(1) as f64,
    )
}
