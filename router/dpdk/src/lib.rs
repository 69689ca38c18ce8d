//! Safe wrappers over the system DPDK (22.11): EAL initialisation and
//! thread registration, packet mempools and [`Mbuf`]s, Ethernet devices and
//! their burst queues (the `dpdk` port driver of `silkroute-router`), and
//! DPDK's four LPM tables, `rte_lpm`, `rte_fib` (DIR-24-8), `rte_lpm6` and
//! `rte_fib6` (TRIE), which the LPM comparison benchmark (`benches/`,
//! `lpm-compare`) measures against `silkroute-lpm`.
//!
//! # Contract
//! - [`Eal::init`] runs `rte_eal_init` once per process; every table borrows
//!   the [`Eal`] and every mempool, device and [`ThreadRegistration`] holds
//!   an `Arc` of it, so none outlives `rte_eal_cleanup`.
//! - An [`Mbuf`] is owned by one handle: freed on drop or handed to a
//!   transmit queue. Its accessors read the mbuf header directly (no FFI
//!   call per packet) and address the first segment only.
//! - [`EthDev::start`] hands out one handle per queue, never cloned, so a
//!   queue has one user, as DPDK requires; the device is stopped and closed
//!   when the last handle goes, before its mempools are freed.
//! - Burst calls never allocate, lock or log.
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
mod ethdev;
#[cfg(feature = "dpdk")]
mod heap;
#[cfg(feature = "dpdk")]
mod lpm4;
#[cfg(feature = "dpdk")]
mod lpm6;
#[cfg(feature = "dpdk")]
mod mbuf;
#[cfg(feature = "dpdk")]
mod mempool;
#[cfg(feature = "dpdk")]
pub mod sizing;

#[cfg(feature = "dpdk")]
pub use eal::{lcore_id, Eal, EalOptions, ThreadRegistration};
#[cfg(feature = "dpdk")]
pub use error::DpdkError;
#[cfg(feature = "dpdk")]
pub use ethdev::{
    probed_devices, DeviceStats, EthDev, EthRxQueue, EthTxQueue, Link, PortSetup, PortStarted,
    StartedPort,
};
#[cfg(feature = "dpdk")]
pub use lpm4::{DpdkFib4, DpdkLpm4};
#[cfg(feature = "dpdk")]
pub use lpm6::{DpdkFib6, DpdkLpm6};
#[cfg(feature = "dpdk")]
pub use mbuf::Mbuf;
#[cfg(feature = "dpdk")]
pub use mempool::{cache_size, data_room_for_mtu, Mempool, MempoolConfig, HEADROOM};
