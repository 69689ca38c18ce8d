//! Builds both shared full tables and prints build time, memory, lookup
//! rates (single and batch, random and matched keys) and update rate.
//!
//! `cargo run --release -p silkroute-lpm --example lpm_bench`
//! (`-- quick` runs fewer repetitions). Rates are medians of repeated runs.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use common::Rng;
use silkroute_lpm::{Lpm4, Lpm6};

const KEYS: usize = 1 << 20;
/// The worker's burst size.
const BURST: usize = 32;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Million lookups per second, median over `reps` passes over `keys`.
fn rate<K: Copy>(reps: usize, keys: &[K], mut pass: impl FnMut(&[K]) -> u32) -> f64 {
    let runs = (0..reps)
        .map(|_| {
            let t = Instant::now();
            black_box(pass(keys));
            keys.len() as f64 / t.elapsed().as_secs_f64() / 1e6
        })
        .collect();
    median(runs)
}

macro_rules! bench_family {
    ($name:literal, $table:ty, $routes:expr, $random:expr, $reps:expr) => {{
        let routes = $routes;
        let reps = $reps;
        let builds: Vec<f64> = (0..reps.min(5))
            .map(|_| {
                let t = Instant::now();
                black_box(<$table>::from_routes(&routes).expect("build"));
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        let build_ms = median(builds);
        let table = <$table>::from_routes(&routes).expect("build");
        println!(
            "{}: routes {} build_ms {:.1} mem_bytes {} ({:.2} MiB)",
            $name,
            table.len(),
            build_ms,
            table.mem_bytes(),
            table.mem_bytes() as f64 / 1048576.0
        );
        let mut rng = Rng(42);
        let random: Vec<_> = (0..KEYS).map(|_| $random(&mut rng)).collect();
        let matched: Vec<_> = (0..KEYS)
            .map(|_| {
                let (a, l, _) = routes[rng.below(routes.len())];
                let r = $random(&mut rng);
                a | r.checked_shr(u32::from(l)).unwrap_or(0)
            })
            .collect();
        for (kind, keys) in [("random", &random), ("matched", &matched)] {
            let single = rate(reps, keys, |ks| {
                let mut acc = 0u32;
                for k in ks {
                    acc = acc.wrapping_add(table.lookup(*k));
                }
                acc
            });
            let mut out = [0u32; BURST];
            let batch = rate(reps, keys, |ks| {
                let mut acc = 0u32;
                for c in ks.chunks(BURST) {
                    table.lookup_batch(c, &mut out);
                    acc = acc.wrapping_add(out[0]);
                }
                acc
            });
            println!(
                "{}: {:<7} single {:>7.1} M/s  batch{} {:>7.1} M/s",
                $name, kind, single, BURST, batch
            );
        }
        // Updates: remove 30% of the routes, insert them back (shuffled).
        let mut t = table.clone();
        let mut order: Vec<usize> = (0..routes.len()).collect();
        rng.shuffle(&mut order);
        let n = routes.len() * 3 / 10;
        let start = Instant::now();
        for &i in &order[..n] {
            let (a, l, _) = routes[i];
            black_box(t.remove(a, l).expect("remove"));
        }
        rng.shuffle(&mut order[..n]);
        for &i in &order[..n] {
            let (a, l, v) = routes[i];
            black_box(t.insert(a, l, v).expect("insert"));
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{}: updates {} changes in {:.0} ms = {:.2} M changes/s, mem after {} bytes",
            $name,
            2 * n,
            secs * 1e3,
            2.0 * n as f64 / secs / 1e6,
            t.mem_bytes()
        );
        build_ms
    }};
}

/// A DIR-24-8 like DPDK's `rte_lpm` (64 MiB `tbl24` of 32-bit entries,
/// 256-entry `tbl8` groups), only as a baseline on this machine.
struct Dir24_8 {
    tbl24: Vec<u32>,
    tbl8: Vec<u32>,
}

const EXT: u32 = 1 << 31;

impl Dir24_8 {
    fn build(routes: &[(u32, u8, u32)]) -> Self {
        let mut sorted = routes.to_vec();
        sorted.sort_by_key(|r| r.1);
        // Entry: value | depth << 24 (depth+1 so 0 = empty), EXT = tbl8 group.
        let mut tbl24 = vec![0u32; 1 << 24];
        let mut tbl8: Vec<u32> = Vec::new();
        for &(a, l, v) in &sorted {
            let e = v | (u32::from(l) + 1) << 24;
            if l <= 24 {
                let s = (a >> 8) as usize;
                for x in &mut tbl24[s..s + (1 << (24 - l))] {
                    if *x & EXT == 0 {
                        *x = e;
                    } else {
                        let g = (*x & !EXT) as usize * 256;
                        tbl8[g..g + 256].iter_mut().for_each(|y| {
                            if (*y >> 24) <= u32::from(l) + 1 {
                                *y = e
                            }
                        });
                    }
                }
            } else {
                let s = (a >> 8) as usize;
                if tbl24[s] & EXT == 0 {
                    let g = tbl8.len() / 256;
                    tbl8.extend(std::iter::repeat_n(tbl24[s], 256));
                    tbl24[s] = EXT | g as u32;
                }
                let g = (tbl24[s] & !EXT) as usize * 256 + (a & 0xff) as usize;
                tbl8[g..g + (1 << (32 - l))].fill(e);
            }
        }
        Self { tbl24, tbl8 }
    }
    #[inline(always)]
    fn lookup(&self, a: u32) -> u32 {
        let mut e = self.tbl24[(a >> 8) as usize];
        if e & EXT != 0 {
            e = self.tbl8[(e & !EXT) as usize * 256 + (a & 0xff) as usize];
        }
        if e == 0 {
            u32::MAX
        } else {
            e & 0xff_ffff
        }
    }
}

fn baseline(reps: usize) {
    let routes = common::ipv4_routes();
    let t = Instant::now();
    let d = Dir24_8::build(&routes);
    println!(
        "dir-24-8 baseline: build_ms {:.0} mem_bytes {}",
        t.elapsed().as_secs_f64() * 1e3,
        (d.tbl24.len() + d.tbl8.len()) * 4
    );
    let lpm = Lpm4::from_routes(&routes).expect("build");
    let mut rng = Rng(42);
    let random: Vec<u32> = (0..KEYS).map(|_| rng.next_u64() as u32).collect();
    let matched: Vec<u32> = (0..KEYS)
        .map(|_| {
            let (a, l, _) = routes[rng.below(routes.len())];
            a | (rng.next_u64() as u32)
                .checked_shr(u32::from(l))
                .unwrap_or(0)
        })
        .collect();
    for (kind, keys) in [("random", &random), ("matched", &matched)] {
        for k in keys.iter().step_by(97) {
            assert_eq!(d.lookup(*k), lpm.lookup(*k));
        }
        let single = rate(reps, keys, |ks| {
            ks.iter()
                .fold(0u32, |acc, k| acc.wrapping_add(d.lookup(*k)))
        });
        let x4 = rate(reps, keys, |ks| {
            let mut acc = 0u32;
            for c in ks.chunks_exact(4) {
                let o = [
                    d.lookup(c[0]),
                    d.lookup(c[1]),
                    d.lookup(c[2]),
                    d.lookup(c[3]),
                ];
                acc = acc.wrapping_add(o[0] ^ o[1] ^ o[2] ^ o[3]);
            }
            acc
        });
        println!(
            "dir-24-8 baseline: {:<7} single {:>7.1} M/s  x4 {:>7.1} M/s",
            kind, single, x4
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "baseline") {
        baseline(9);
        return;
    }
    let reps = if std::env::args().any(|a| a == "quick") {
        3
    } else {
        9
    };
    let b4 = bench_family!(
        "ipv4",
        Lpm4,
        common::ipv4_routes(),
        |r: &mut Rng| r.next_u64() as u32,
        reps
    );
    let b6 = bench_family!(
        "ipv6",
        Lpm6,
        common::ipv6_routes(),
        |r: &mut Rng| {
            // Half in 2000::/3 (where every real route is), half anywhere.
            let x = r.next_u128();
            if x & 1 == 0 {
                0x2000u128 << 112 | x >> 3
            } else {
                x
            }
        },
        reps
    );
    println!("build ipv4+ipv6: {:.1} ms", b4 + b6);
}
