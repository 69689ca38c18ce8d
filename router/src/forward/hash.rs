//! Flow hashing for ECMP: a function of the 5-tuple (or of the addresses
//! alone for fragments and non-TCP/UDP/SCTP), so every packet of a flow
//! takes the same member and flows spread evenly.

/// Multiplier of the 64-bit mixing step (the golden-ratio constant used
/// by FxHash and Fibonacci hashing): one multiply per word, good enough
/// dispersion for picking among at most 64 members.
const K: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn mix(h: u64, w: u64) -> u64 {
    (h.rotate_left(5) ^ w).wrapping_mul(K)
}

/// Final avalanche (from MurmurHash3's fmix64) so the high bits, which the
/// ECMP pick uses, depend on every input bit.
#[inline]
fn finish(mut h: u64) -> u32 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h >> 32) as u32
}

/// Hash of an IPv4 flow. `ports` is `(src, dst)` or `(0, 0)`.
#[inline]
pub fn flow_hash_v4(src: u32, dst: u32, protocol: u8, ports: (u16, u16)) -> u32 {
    let a = (u64::from(src) << 32) | u64::from(dst);
    let b = (u64::from(protocol) << 32) | (u64::from(ports.0) << 16) | u64::from(ports.1);
    finish(mix(mix(0, a), b))
}

/// Hash of an IPv6 flow. `ports` is `(src, dst)` or `(0, 0)`.
#[inline]
pub fn flow_hash_v6(src: u128, dst: u128, protocol: u8, ports: (u16, u16)) -> u32 {
    let b = (u64::from(protocol) << 32) | (u64::from(ports.0) << 16) | u64::from(ports.1);
    let h = mix(
        mix(mix(mix(0, src as u64), (src >> 64) as u64), dst as u64),
        (dst >> 64) as u64,
    );
    finish(mix(h, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_spread() {
        assert_eq!(
            flow_hash_v4(1, 2, 6, (1000, 80)),
            flow_hash_v4(1, 2, 6, (1000, 80))
        );
        // 4 members, 40k flows differing only in source port: each member
        // gets within 10% of its share.
        let mut buckets = [0u32; 4];
        for sport in 0..40_000u16 {
            let h = flow_hash_v4(0x0a00_0001, 0xc633_6401, 17, (sport, 53));
            buckets[((u64::from(h) * 4) >> 32) as usize] += 1;
        }
        for b in buckets {
            assert!((9_000..11_000).contains(&b), "{buckets:?}");
        }
        assert_ne!(flow_hash_v6(1, 2, 6, (1, 2)), flow_hash_v6(2, 1, 6, (1, 2)));
    }
}
