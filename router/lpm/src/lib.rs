//! Longest-prefix-match tables for IPv4 (`u32` keys) and IPv6 (`u128` keys).
//!
//! Every table maps prefixes to a `u32` value (the FIB stores a route-target
//! id there) and answers "which value belongs to the longest prefix that
//! contains this address". Tables are plain mutable structures: the FIB
//! layer above keeps immutable snapshots and publishes them to workers.

// The data path must not panic on any input: no unwrap/expect/panic
// outside tests (style.md, "Avoid").
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod reference;

mod lpm4;
mod lpm6;
mod poptrie;
mod prefetch;

pub use lpm4::Lpm4;
pub use lpm6::Lpm6;

/// Returned by lookups (single and batch) when no prefix matches.
pub const NO_ROUTE: u32 = u32::MAX;

/// Largest value a table stores. Values are route-target ids, a few
/// thousand in a real FIB; 24 bits leave room while letting compact
/// structures pack a value with flag bits into one `u32`.
pub const MAX_VALUE: u32 = (1 << 24) - 1;

/// Why an insert or remove was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LpmError {
    /// Prefix length beyond the address width.
    #[error("prefix length {len} is longer than {max}")]
    InvalidLength { len: u8, max: u8 },
    /// Bits set after the prefix length.
    #[error("host bits set after the prefix length")]
    HostBitsSet,
    /// Value above [`MAX_VALUE`].
    #[error("value {0} is above the largest storable value")]
    ValueTooLarge(u32),
    /// The table ran out of room in one of its fixed-width index spaces.
    #[error("table capacity exhausted: {0}")]
    CapacityExhausted(&'static str),
}
