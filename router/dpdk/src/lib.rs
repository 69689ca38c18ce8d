//! Safe wrappers over the system DPDK (22.11), for what silkroute uses so far:
//! EAL initialisation and DPDK's four LPM tables, `rte_lpm`, `rte_fib`
//! (DIR-24-8), `rte_lpm6` and `rte_fib6` (TRIE), which the LPM comparison
//! benchmark (`benches/`, `lpm-compare`) measures against `silkroute-lpm`.
//!
//! # Contract
//! - [`Eal::init`] runs `rte_eal_init` once per process; every table borrows
//!   the [`Eal`], so no table outlives `rte_eal_cleanup`.
//! - Tables are built from `(address, length, value)` routes in one call and
//!   freed on drop. Lookups take `&self`, never allocate, and accept any
//!   address; they write DPDK's own result encoding, which each table's
//!   `decode` turns into `Option<u32>`.
//! - Memory: `table_bytes` is computed from the table's configuration (the
//!   arrays a lookup reads); `heap_bytes` is what the DPDK heap grew by while
//!   the table was created and filled (tables, rule store or RIB, hash), so
//!   it is only meaningful when no other thread allocates from DPDK meanwhile.
//!
//! All `unsafe` (FFI calls) is in this crate's table and EAL modules, one
//! block per call, each with its `SAFETY` reasoning.
//!
//! Everything is behind the `dpdk` feature; without it the crate is empty.

#![cfg_attr(feature = "dpdk", allow(unsafe_code))]

#[cfg(feature = "dpdk")]
mod eal;
#[cfg(feature = "dpdk")]
mod error;
#[cfg(feature = "dpdk")]
mod heap;
#[cfg(feature = "dpdk")]
mod lpm4;
#[cfg(feature = "dpdk")]
mod lpm6;
#[cfg(feature = "dpdk")]
pub mod sizing;

#[cfg(feature = "dpdk")]
pub use eal::Eal;
#[cfg(feature = "dpdk")]
pub use error::DpdkError;
#[cfg(feature = "dpdk")]
pub use lpm4::{DpdkFib4, DpdkLpm4};
#[cfg(feature = "dpdk")]
pub use lpm6::{DpdkFib6, DpdkLpm6};
