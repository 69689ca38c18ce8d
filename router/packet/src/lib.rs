//! Zero-copy packet views and slow-path packet builders for silkroute.
//!
//! # Contract
//!
//! Every view (`EthernetFrame`, `ArpPacket`, `Ipv4Packet`, `Ipv6Packet`,
//! `Icmpv4Packet`, `Icmpv6Packet`) wraps a caller-owned buffer
//! `T: AsRef<[u8]>` and follows the smoltcp pattern:
//!
//! * `new_unchecked(buffer)` wraps without looking; accessors may then panic
//!   on a short buffer. Use it only on buffers whose length you checked.
//! * `new_checked(buffer)` runs every length and version check once and
//!   returns a named error per failed check. After it succeeds, **no
//!   accessor can panic**; variable-length slices (options, payload) are
//!   additionally clamped to the buffer so that even a setter that writes a
//!   nonsensical length cannot make a later accessor panic.
//! * Setters exist when `T: AsMut<[u8]>`; reads and writes go through the
//!   same view and the same offset constants.
//!
//! Errors are one closed `Copy` enum per module whose variants are named
//! after the check that failed. `as_str()` gives a static label (for drop
//! counters) and `ALL` lists every variant (to pre-register the counters).
//!
//! The views allocate nothing and do no I/O. The [`build`] and [`ndp`]
//! modules are for the slow path (control-plane exception handling): they
//! still do not allocate, but they are written for clarity, not speed.

// The data path must not panic on any input: no unwrap/expect/panic
// outside tests (style.md, "Avoid").
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod arp;
pub mod build;
pub mod checksum;
pub mod ethernet;
pub mod icmp;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
pub mod l4;
pub mod ndp;

pub use arp::{ArpError, ArpPacket};
pub use build::{BuildError, SuppressReason};
pub use ethernet::{parse_l2, EthernetError, EthernetFrame, L2Header, MacAddr};
pub use icmp::{Icmpv4Error, Icmpv4Packet};
pub use icmpv6::{Icmpv6Error, Icmpv6Packet};
pub use ipv4::{Ipv4Error, Ipv4Packet};
pub use ipv6::{Ipv6Error, Ipv6Fragment, Ipv6Packet, UpperLayer};
pub use ndp::{NdpError, NdpKind, NdpMessage};

/// Declares a closed, `Copy` error enum whose variants each carry a static
/// label, with `as_str`, `ALL`, `Display` and `std::error::Error`.
///
/// The label is what the router uses as a drop-reason counter name, so it
/// is `snake_case` and stable.
macro_rules! labelled_error {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $label:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order (to pre-register counters).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Static label of the failed check, e.g. for a metric label.
            pub const fn as_str(&self) -> &'static str {
                match self {
                    $( $name::$variant => $label, )+
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::error::Error for $name {}
    };
}
pub(crate) use labelled_error;

/// Reads a big-endian `u16` at `off`. Callers guarantee `off + 2 <= buf.len()`.
#[inline]
pub(crate) fn read_u16(buf: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([buf[off], buf[off + 1]])
}

/// Reads a big-endian `u32` at `off`. Callers guarantee `off + 4 <= buf.len()`.
#[inline]
pub(crate) fn read_u32(buf: &[u8], off: usize) -> u32 {
    u32::from_be_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]])
}

/// Writes a big-endian `u16` at `off`. Callers guarantee the bounds.
#[inline]
pub(crate) fn write_u16(buf: &mut [u8], off: usize, v: u16) {
    buf[off..off + 2].copy_from_slice(&v.to_be_bytes());
}

/// Writes a big-endian `u32` at `off`. Callers guarantee the bounds.
#[inline]
pub(crate) fn write_u32(buf: &mut [u8], off: usize, v: u32) {
    buf[off..off + 4].copy_from_slice(&v.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_unique_per_enum() {
        fn check<E: Copy + PartialEq + core::fmt::Debug>(
            all: &[E],
            label: impl Fn(E) -> &'static str,
        ) {
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    assert_ne!(label(*a), label(*b), "{a:?} and {b:?} share a label");
                }
            }
        }
        check(EthernetError::ALL, |e| e.as_str());
        check(ArpError::ALL, |e| e.as_str());
        check(Ipv4Error::ALL, |e| e.as_str());
        check(Ipv6Error::ALL, |e| e.as_str());
        check(Icmpv4Error::ALL, |e| e.as_str());
        check(Icmpv6Error::ALL, |e| e.as_str());
        check(NdpError::ALL, |e| e.as_str());
        check(SuppressReason::ALL, |e| e.as_str());
        assert_eq!(Ipv4Error::Truncated.to_string(), "truncated");
    }
}
