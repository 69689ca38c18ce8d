//! `lpm-compare`: silkroute-lpm against DPDK's rte_lpm, rte_fib, rte_lpm6 and
//! rte_fib6 (feature `dpdk`) and the Rust crates prefix-trie and
//! ip_network_table, on the shared BGP tables, one core, same keys; then
//! incremental updates with a concurrent reader.
//!
//! One documented command: `benches/lpm-compare.sh` (= `cargo run --release
//! -p silkroute-benches --features dpdk --bin lpm-compare -- ARGS`).
//! See `docs/performance.md` for figures and how to read them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::bail;
use clap::Parser;
use silkroute_benches::alloc_count::{live_bytes, CountingAlloc};
use silkroute_benches::keys::{self, KeySets, Routes};
use silkroute_benches::measure::{first_mismatch, rate, sample, Plan};
use silkroute_benches::report::{self, Row, OURS};
use silkroute_benches::structures::{BatchLookup, NetworkTable, PrefixTrie};
use silkroute_benches::update::{self, Cores};
use silkroute_lpm::{Lpm4, Lpm6};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[derive(Debug, Parser)]
#[command(about = "Compare silkroute-lpm with DPDK's LPM tables and Rust crates")]
struct Args {
    /// Keys per key set (random, matched) and family.
    #[arg(long, default_value_t = 1 << 24)]
    keys: usize,
    /// Passes over the keys per structure; the median rate is reported.
    #[arg(long, default_value_t = 5)]
    passes: usize,
    /// Keys per batch call (the router's burst size).
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Core to run the lookups on (the update reader uses the next one).
    #[arg(long, default_value_t = 0)]
    core: usize,
    /// Directory holding bgp-ipv4.txt.gz and bgp-ipv6.txt.gz.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Seed of the key sets and the update order.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Fraction of the table removed and re-inserted in the update run.
    #[arg(long, default_value_t = 0.1)]
    update_fraction: f64,
    /// Use only the first N routes of each table (CI: a shorter run; the
    /// issue's figures are for the full tables).
    #[arg(long)]
    max_routes: Option<usize>,
    /// Skip the update measurement.
    #[arg(long)]
    no_update: bool,
}

/// Every this many keys is compared across structures.
const SAMPLE_STRIDE: usize = 997;

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// One family's run: its keys, ours' sampled answers, the rows so far.
struct Family<'a, K> {
    name: &'static str,
    sets: [(&'static str, &'a [K]); 2],
    reference: Vec<Vec<Option<u32>>>,
    plan: Plan,
    rows: Vec<Row>,
}

impl<K: Copy> Family<'_, K> {
    /// Measures `table` on both key sets and checks its sampled answers
    /// against ours (the first structure measured sets the reference).
    fn measure<S: BatchLookup<K>>(
        &mut self,
        structure: &'static str,
        table: &S,
        build_ms: f64,
        mem_bytes: usize,
        dpdk: bool,
    ) -> anyhow::Result<()> {
        for (i, (set, keys)) in self.sets.iter().enumerate() {
            let answers = sample(table, keys, &self.plan);
            if structure == OURS {
                self.reference.push(answers);
            } else if let Some((at, ours, theirs, n)) = first_mismatch(&self.reference[i], &answers)
            {
                bail!(
                    "{} {set}: {structure} disagrees with {OURS} on {n} sampled keys; first: key #{} ours {ours:?} theirs {theirs:?}",
                    self.name,
                    at * SAMPLE_STRIDE
                );
            }
            let mlps = rate(table, keys, &self.plan);
            self.rows.push(Row {
                family: self.name,
                keys: set,
                structure,
                build_ms,
                mem_bytes,
                mlps,
                dpdk,
            });
            eprintln!(
                "  {:<5} {set:<8} {structure:<17} {mlps:>8.2} M/s  build {build_ms:.0} ms  mem {mem_bytes}",
                self.name
            );
        }
        Ok(())
    }
}

/// Builds with `build`, timing it and counting the heap bytes it kept.
fn timed<T>(build: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(T, f64, usize)> {
    let before = live_bytes();
    let start = Instant::now();
    let t = build()?;
    let build_ms = ms(start);
    Ok((t, build_ms, live_bytes().saturating_sub(before)))
}

fn run_v4(
    routes: &[(u32, u8, u32)],
    sets: &KeySets<u32>,
    plan: Plan,
    rows: &mut Vec<Row>,
    #[cfg(feature = "dpdk")] eal: &silkroute_dpdk::Eal,
) -> anyhow::Result<()> {
    let mut fam = Family {
        name: "ipv4",
        sets: [("random", &sets.random), ("matched", &sets.matched)],
        reference: Vec::new(),
        plan,
        rows: Vec::new(),
    };
    let (ours, build_ms, _) = timed(|| Ok(Lpm4::from_routes(routes)?))?;
    fam.measure(OURS, &ours, build_ms, ours.mem_bytes(), false)?;
    drop(ours);

    #[cfg(feature = "dpdk")]
    {
        use silkroute_dpdk::{DpdkFib4, DpdkLpm4};
        let (lpm, build_ms, _) = timed(|| Ok(DpdkLpm4::build(eal, routes)?))?;
        let (tbl8s, _) = lpm.config();
        eprintln!(
            "  rte_lpm: {tbl8s} tbl8 groups; lookup tables {} bytes (config), heap {} bytes",
            lpm.table_bytes(),
            lpm.heap_bytes()
        );
        fam.measure("rte_lpm", &lpm, build_ms, lpm.heap_bytes(), true)?;
        drop(lpm);
        let (fib, build_ms, _) = timed(|| Ok(DpdkFib4::build(eal, routes)?))?;
        println!(
            "rte_fib: DIR24_8, {}-byte next hops, lookup {}; lookup tables {} bytes (config), heap {} bytes",
            fib.next_hop_bytes(),
            fib.lookup_fn(),
            fib.table_bytes(),
            fib.heap_bytes()
        );
        fam.measure("rte_fib", &fib, build_ms, fib.heap_bytes(), true)?;
    }

    let (pt, build_ms, mem) = timed(|| PrefixTrie::build_v4(routes))?;
    fam.measure("prefix-trie", &pt, build_ms, mem, false)?;
    drop(pt);
    let (nt, build_ms, mem) = timed(|| NetworkTable::build_v4(routes))?;
    fam.measure("ip_network_table", &nt, build_ms, mem, false)?;
    rows.append(&mut fam.rows);
    Ok(())
}

fn run_v6(
    routes: &[(u128, u8, u32)],
    sets: &KeySets<u128>,
    plan: Plan,
    rows: &mut Vec<Row>,
    #[cfg(feature = "dpdk")] eal: &silkroute_dpdk::Eal,
) -> anyhow::Result<()> {
    let mut fam = Family {
        name: "ipv6",
        sets: [("random", &sets.random), ("matched", &sets.matched)],
        reference: Vec::new(),
        plan,
        rows: Vec::new(),
    };
    let (ours, build_ms, _) = timed(|| Ok(Lpm6::from_routes(routes)?))?;
    fam.measure(OURS, &ours, build_ms, ours.mem_bytes(), false)?;
    drop(ours);

    #[cfg(feature = "dpdk")]
    {
        use silkroute_benches::dpdk::v6_bytes;
        use silkroute_dpdk::{DpdkFib6, DpdkLpm6};
        // DPDK takes 16-byte keys; the same keys, converted once.
        let random = v6_bytes(&sets.random);
        let matched = v6_bytes(&sets.matched);
        let mut fam6 = Family {
            name: "ipv6",
            sets: [("random", &random), ("matched", &matched)],
            reference: std::mem::take(&mut fam.reference),
            plan,
            rows: std::mem::take(&mut fam.rows),
        };
        let (lpm, build_ms, _) = timed(|| Ok(DpdkLpm6::build(eal, routes)?))?;
        eprintln!(
            "  rte_lpm6: lookup tables {} bytes (config), heap {} bytes",
            lpm.table_bytes(),
            lpm.heap_bytes()
        );
        fam6.measure("rte_lpm6", &lpm, build_ms, lpm.heap_bytes(), true)?;
        drop(lpm);
        // Sizing build (TRIE's tbl8 need is found by retrying), then the
        // timed build at that size.
        let num_tbl8 = DpdkFib6::build(eal, routes)?.num_tbl8();
        let (fib, build_ms, _) = timed(|| Ok(DpdkFib6::build_sized(eal, routes, num_tbl8)?))?;
        println!(
            "rte_fib6: TRIE, {}-byte next hops, {} tbl8 groups, lookup {}; lookup tables {} bytes (config), heap {} bytes",
            fib.next_hop_bytes(),
            fib.num_tbl8(),
            fib.lookup_fn(),
            fib.table_bytes(),
            fib.heap_bytes()
        );
        fam6.measure("rte_fib6", &fib, build_ms, fib.heap_bytes(), true)?;
        drop(fib);
        fam.reference = std::mem::take(&mut fam6.reference);
        fam.rows = std::mem::take(&mut fam6.rows);
    }

    let (pt, build_ms, mem) = timed(|| PrefixTrie::build_v6(routes))?;
    fam.measure("prefix-trie", &pt, build_ms, mem, false)?;
    drop(pt);
    let (nt, build_ms, mem) = timed(|| NetworkTable::build_v6(routes))?;
    fam.measure("ip_network_table", &nt, build_ms, mem, false)?;
    rows.append(&mut fam.rows);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.keys == 0 || args.batch == 0 {
        bail!("--keys and --batch must be positive");
    }
    let data = args.data.clone().unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data"))
    });
    let core_ids = core_affinity::get_core_ids().unwrap_or_default();
    let core = core_ids.iter().copied().find(|c| c.id == args.core);
    let reader_core = core_ids.iter().copied().find(|c| c.id != args.core);

    // The EAL pins this thread to `-l CORE`; pin it ourselves too.
    #[cfg(feature = "dpdk")]
    let eal = {
        let lcore = args.core.to_string();
        let mut eal_args = vec!["-l", lcore.as_str()];
        eal_args.extend_from_slice(silkroute_benches::dpdk::EAL_ARGS);
        println!("DPDK EAL: {}", eal_args.join(" "));
        anyhow::Context::context(
            silkroute_dpdk::Eal::init(&eal_args),
            "initialise the DPDK EAL",
        )?
    };
    match core {
        Some(c) if core_affinity::set_for_current(c) => {}
        _ => bail!("cannot pin to core {}", args.core),
    }

    let v4_path = data.join("bgp-ipv4.txt.gz");
    let v6_path = data.join("bgp-ipv6.txt.gz");
    let Routes { mut v4, .. } = keys::load(&v4_path)?;
    let Routes { mut v6, .. } = keys::load(&v6_path)?;
    if let Some(n) = args.max_routes {
        v4.truncate(n);
        v6.truncate(n);
    }
    let plan = Plan {
        passes: args.passes,
        batch: args.batch,
        sample_stride: SAMPLE_STRIDE,
    };
    println!(
        "lpm-compare: {} IPv4 routes ({}), {} IPv6 routes ({}); {} keys per set, batch {}, median of {} passes, core {}; dpdk {}",
        v4.len(),
        v4_path.display(),
        v6.len(),
        v6_path.display(),
        args.keys,
        args.batch,
        args.passes,
        args.core,
        if cfg!(feature = "dpdk") { "on" } else { "off (build with --features dpdk)" }
    );
    println!(
        "mem_bytes: silkroute-lpm its mem_bytes(); DPDK tables the DPDK heap growth while built (tables + rule store/RIB); crates the live heap growth while built (counting allocator)"
    );

    let mut rows = Vec::new();
    let sets4 = keys::keys_v4(&v4, args.keys, args.seed);
    run_v4(
        &v4,
        &sets4,
        plan,
        &mut rows,
        #[cfg(feature = "dpdk")]
        &eal,
    )?;
    let sets6 = keys::keys_v6(&v6, args.keys, args.seed);
    run_v6(
        &v6,
        &sets6,
        plan,
        &mut rows,
        #[cfg(feature = "dpdk")]
        &eal,
    )?;
    println!("correctness: every structure returned our next hop on all sampled keys (every {SAMPLE_STRIDE}th)");
    println!();
    report::print_table(&rows);
    println!();
    for line in report::result_lines(&rows) {
        println!("{line}");
    }

    if !args.no_update {
        println!(
            "updates: the writer removes and re-inserts a random {:.0}% of the table in its own copy (left-right FIB: the control plane updates the copy no worker reads, then publishes it); a reader thread on another core keeps looking up the published Arc snapshot",
            args.update_fraction * 100.0
        );
        let cores = Cores {
            writer: core,
            reader: reader_core,
        };
        let base4 = Lpm4::from_routes(&v4)?;
        let r4 = update::run(
            base4,
            &v4,
            Arc::new(sets4.matched),
            args.update_fraction,
            args.seed,
            cores,
        )?;
        let base6 = Lpm6::from_routes(&v6)?;
        let r6 = update::run(
            base6,
            &v6,
            Arc::new(sets6.matched),
            args.update_fraction,
            args.seed,
            cores,
        )?;
        for (family, r) in [("ipv4", r4), ("ipv6", r6)] {
            if !r.consistent {
                bail!("{family}: the table after remove + re-insert answers differently");
            }
            println!(
                "RESULT family={family} updates changes={} secs={:.3} changes_per_s={:.0} reader_mlps={:.2} reader_core={} target_changes_per_s={} met={}",
                r.changes,
                r.secs,
                r.changes_per_s(),
                r.reader_mlps,
                reader_core.map_or("none".to_owned(), |c| c.id.to_string()),
                report::TARGET_CHANGES_PER_S,
                if r.changes_per_s() >= report::TARGET_CHANGES_PER_S { "yes" } else { "no" }
            );
        }
    }
    Ok(())
}
