//! The pieces of silkroute's benchmarks (`src/bin/`), kept out of `main`:
//! route and key generation, the structures under comparison behind one
//! batch-lookup trait, a counting allocator for memory figures, the timing
//! loop and the report.
//!
//! `lpm-compare` (see `docs/performance.md`) compares `silkroute-lpm` with
//! DPDK's LPM tables (feature `dpdk`) and the Rust crates `prefix-trie` and
//! `ip_network_table`.

pub mod alloc_count;
#[cfg(feature = "dpdk")]
pub mod dpdk;
pub mod keys;
pub mod measure;
pub mod report;
pub mod structures;
pub mod update;
