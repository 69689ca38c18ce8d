//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//!
//! Partial sums are carried as `u32` values that are already folded to 16
//! bits, so a handful of them can be added with [`add`] and the result
//! turned into a checksum field with [`finish`]. A partial sum is *not*
//! complemented; a checksum field is.
//!
//! Checksums are verified by summing the covered bytes *including* the
//! checksum field and comparing with `0xFFFF`, which accepts both one's
//! complement zeros (`0x0000` and `0xFFFF`) in the field.

use std::net::{Ipv4Addr, Ipv6Addr};

/// One's complement sum of `data` as a folded 16-bit partial sum.
///
/// Bytes are taken as big-endian 16-bit words; an odd trailing byte is
/// padded with a zero byte on the right (RFC 1071 §4.1). The bulk is summed
/// as 64-bit big-endian words with end-around carry, which is congruent to
/// the 16-bit sum modulo `0xFFFF` (RFC 1071 §2(B)), so eight bytes cost one
/// add instead of four.
pub fn sum(data: &[u8]) -> u32 {
    let mut acc: u64 = 0;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let (s, carry) = acc.overflowing_add(u64::from_be_bytes(word));
        acc = s + u64::from(carry);
    }
    let mut tail: u64 = 0;
    let mut pairs = chunks.remainder().chunks_exact(2);
    for pair in &mut pairs {
        tail += u64::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = pairs.remainder() {
        tail += u64::from(*last) << 8;
    }
    let (s, carry) = acc.overflowing_add(tail);
    acc = s + u64::from(carry);
    u32::from(fold64(acc))
}

/// Folds a 64-bit end-around-carry accumulator to 16 bits.
fn fold64(mut acc: u64) -> u16 {
    while acc > 0xFFFF {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    acc as u16
}

/// Folds any `u32` accumulator to a 16-bit partial sum (as `u32`).
pub fn fold(acc: u32) -> u32 {
    u32::from(fold64(u64::from(acc)))
}

/// One's complement addition of two partial sums.
pub fn add(a: u32, b: u32) -> u32 {
    fold64(u64::from(a) + u64::from(b)).into()
}

/// Turns a partial sum into the value to store in a checksum field.
pub fn finish(partial: u32) -> u16 {
    !(fold(partial) as u16)
}

/// Checksum of `data` alone (e.g. ICMPv4, whose checksum has no
/// pseudo-header). The checksum field inside `data` must be zero.
pub fn checksum(data: &[u8]) -> u16 {
    finish(sum(data))
}

/// Header checksum of an IPv4 header, treating the checksum field
/// (bytes 10..12) as zero, so it works whatever the field holds.
///
/// `header` is the whole header, options included (`IHL * 4` bytes). A
/// header shorter than 12 bytes is summed as it is.
pub fn ipv4_header(header: &[u8]) -> u16 {
    if header.len() < 12 {
        return checksum(header);
    }
    finish(add(sum(&header[..10]), sum(&header[12..])))
}

/// Partial sum of the IPv4 pseudo-header for TCP/UDP (RFC 768, RFC 9293
/// §3.1): source, destination, zero, protocol, upper-layer length.
pub fn pseudo_header_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, len: u16) -> u32 {
    let s = src.octets();
    let d = dst.octets();
    let acc = u32::from(u16::from_be_bytes([s[0], s[1]]))
        + u32::from(u16::from_be_bytes([s[2], s[3]]))
        + u32::from(u16::from_be_bytes([d[0], d[1]]))
        + u32::from(u16::from_be_bytes([d[2], d[3]]))
        + u32::from(protocol)
        + u32::from(len);
    fold(acc)
}

/// Partial sum of the IPv6 pseudo-header (RFC 8200 §8.1): source,
/// destination, 32-bit upper-layer length, three zero bytes, next header.
pub fn pseudo_header_v6(src: &Ipv6Addr, dst: &Ipv6Addr, len: u32, next_header: u8) -> u32 {
    let mut acc: u32 = 0;
    for w in src.segments().iter().chain(dst.segments().iter()) {
        acc += u32::from(*w);
    }
    acc += len >> 16;
    acc += len & 0xFFFF;
    acc += u32::from(next_header);
    fold(acc)
}

/// Updates checksum `csum` after a 16-bit word covered by it changed from
/// `old` to `new`, per RFC 1624 eqn. 3: `HC' = ~(~HC + ~m + m')`.
///
/// Unlike eqn. 2 (`HC' = HC - ~m - m'`) this never produces `0xFFFF` from
/// a correctly computed checksum, i.e. it gives exactly the value a full
/// recomputation gives (as long as the covered data is not all zeros).
pub fn incremental_update16(csum: u16, old: u16, new: u16) -> u16 {
    let acc = u32::from(!csum) + u32::from(!old) + u32::from(new);
    !(fold(acc) as u16)
}

/// [`incremental_update16`] for a 32-bit field (e.g. an IPv4 address),
/// treated as two 16-bit words.
pub fn incremental_update32(csum: u16, old: u32, new: u32) -> u16 {
    let acc = u32::from(!csum)
        + u32::from(!(old >> 16) as u16)
        + u32::from(!(old as u16))
        + (new >> 16)
        + (new & 0xFFFF);
    !(fold(acc) as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reference: the textbook 16-bit loop of RFC 1071 §4.1.
    fn reference_sum(data: &[u8]) -> u32 {
        let mut acc: u32 = 0;
        let mut i = 0;
        while i + 1 < data.len() {
            acc += u32::from(u16::from_be_bytes([data[i], data[i + 1]]));
            acc = (acc & 0xFFFF) + (acc >> 16);
            i += 2;
        }
        if i < data.len() {
            acc += u32::from(data[i]) << 8;
            acc = (acc & 0xFFFF) + (acc >> 16);
        }
        acc
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(sum(&data), 0xddf2);
        assert_eq!(checksum(&data), !0xddf2);
    }

    #[test]
    fn known_ipv4_header() {
        // Wikipedia's IPv4 header checksum example: checksum 0xb861.
        let h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(ipv4_header(&h), 0xb861);
        assert_eq!(sum(&h), 0xFFFF);
    }

    #[test]
    fn odd_lengths_and_empty() {
        assert_eq!(sum(&[]), 0);
        assert_eq!(sum(&[0xab]), 0xab00);
        assert_eq!(sum(&[0xff; 9]), reference_sum(&[0xff; 9]));
    }

    #[test]
    fn incremental_32_matches_two_16() {
        let c = 0x1234;
        let a = incremental_update32(c, 0x0a00_0001, 0xc0a8_0101);
        let b = incremental_update16(incremental_update16(c, 0x0a00, 0xc0a8), 0x0001, 0x0101);
        assert_eq!(a, b);
    }

    proptest! {
        #[test]
        fn sum_matches_reference(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            // Both are folded; 0x0000 and 0xFFFF are the same one's complement
            // value only for all-zero input, where both give 0.
            prop_assert_eq!(sum(&data), reference_sum(&data));
        }

        #[test]
        fn incremental_matches_recompute(
            mut data in proptest::collection::vec(any::<u8>(), 4..64),
            idx in 0usize..30,
            new in any::<u16>(),
        ) {
            let len = data.len() & !1;
            data.truncate(len);
            let w = (idx % (len / 2)) * 2;
            prop_assume!(data.iter().any(|b| *b != 0));
            let before = checksum(&data);
            let old = u16::from_be_bytes([data[w], data[w + 1]]);
            data[w..w + 2].copy_from_slice(&new.to_be_bytes());
            prop_assume!(data.iter().any(|b| *b != 0));
            prop_assert_eq!(incremental_update16(before, old, new), checksum(&data));
        }
    }
}
