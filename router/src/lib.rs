//! silkroute's data plane.
//!
//! What runs where:
//! - [`worker`]: the poll-mode loop, one thread per dedicated core. Reads
//!   [`fib`] snapshots, runs [`forward`] over bursts from [`port`] queues,
//!   counts into its own [`counters`], punts exceptions on a [`ring`].
//! - [`forward`]: per-packet logic (parse, validate, look up, rewrite) over
//!   buffers the caller owns; no I/O.
//! - [`fib`]: the forwarding table snapshot and its RCU-style publication;
//!   built by the control plane off the data-path cores.
//! - [`port`]: the backend contract and the pcap/memory backends;
//!   [`buf`]: their buffer pool.

// The data path must not panic on any input: no unwrap/expect/panic
// outside tests (style.md, "Avoid").
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod buf;
pub mod counters;
pub mod exception;
pub mod fib;
pub mod forward;
pub mod limit;
pub mod port;
pub mod prefetch;
pub mod ring;
pub mod worker;

/// Packets per receive burst and per transmit batch. 32 is DPDK's and
/// VPP's choice: large enough to amortise per-burst work (snapshot check,
/// doorbell), small enough that a burst's buffers stay in L1.
pub const BURST_SIZE: usize = 32;
