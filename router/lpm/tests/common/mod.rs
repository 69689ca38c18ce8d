//! Shared helpers for the integration tests: the shared BGP tables, a
//! deterministic RNG, and next hops derived from the prefix.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

/// `<repo>/../shared/data/<name>`; the repo root is two levels above the crate.
pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(name)
}

fn read_lines(name: &str) -> Vec<String> {
    let path = data_path(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        panic!(
            "shared routing table {} is missing ({e}); the tests need the \
             shared data checkout next to the repository (<repo>/../shared/data)",
            path.display()
        )
    });
    BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map(|l| l.expect("read shared table"))
        .filter(|l| !l.is_empty())
        .collect()
}

/// SplitMix64: small, fast, deterministic.
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
        (self.next_u64() as u128) << 64 | self.next_u64() as u128
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

/// A next hop per prefix: a hash of it modulo 256, as a FIB with a few
/// hundred distinct next hops would have.
pub fn next_hop(addr: u128, len: u8) -> u32 {
    (Rng(addr as u64 ^ (addr >> 64) as u64 ^ u64::from(len)).next_u64() % 256) as u32
}

fn split(line: &str) -> (&str, u8) {
    let pfx = line.split(' ').next().expect("prefix field");
    let (a, l) = pfx.split_once('/').expect("PREFIX/LEN");
    (a, l.parse().expect("prefix length"))
}

/// The shared IPv4 table with derived next hops.
pub fn ipv4_routes() -> Vec<(u32, u8, u32)> {
    read_lines("bgp-ipv4.txt.gz")
        .iter()
        .map(|l| {
            let (a, len) = split(l);
            let a = u32::from(a.parse::<Ipv4Addr>().expect("IPv4 prefix"));
            (a, len, next_hop(a as u128, len))
        })
        .collect()
}

/// The shared IPv6 table with derived next hops.
pub fn ipv6_routes() -> Vec<(u128, u8, u32)> {
    read_lines("bgp-ipv6.txt.gz")
        .iter()
        .map(|l| {
            let (a, len) = split(l);
            let a = u128::from(a.parse::<Ipv6Addr>().expect("IPv6 prefix"));
            (a, len, next_hop(a, len))
        })
        .collect()
}
