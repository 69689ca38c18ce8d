//! How many 256-entry `tbl8` groups DPDK's tables need for a route set.
//!
//! All four tables resolve the first 24 bits in `tbl24` and then 8 bits per
//! `tbl8` group. A group exists under a `L`-bit prefix (`L` = 24, 32, ...)
//! exactly when some route is longer than `L` inside it, so the count is the
//! number of distinct `L`-bit prefixes of routes longer than `L`, summed over
//! the levels. The tables are created with that count plus [`headroom`].

use std::collections::HashSet;

/// Groups allocated beyond the exact need: 1/16 plus 16, so a few updates
/// fit, without inflating the memory figure.
pub fn headroom(groups: usize) -> usize {
    groups + groups / 16 + 16
}

/// `tbl8` groups an IPv4 DIR-24-8 (`rte_lpm`, `rte_fib`) needs: one per /24
/// holding a longer route (0.1% of a full table's routes are longer than /24).
pub fn tbl8_groups_v4(routes: &[(u32, u8, u32)]) -> usize {
    routes
        .iter()
        .filter(|r| r.1 > 24)
        .map(|r| r.0 >> 8)
        .collect::<HashSet<_>>()
        .len()
}

/// `tbl8` groups an IPv6 24-8-8-... table (`rte_lpm6`, `rte_fib6` TRIE)
/// needs: per level `L` in 24, 32, ..., 120, the distinct `L`-bit prefixes
/// of routes longer than `L`.
pub fn tbl8_groups_v6(routes: &[(u128, u8, u32)]) -> usize {
    (24..128)
        .step_by(8)
        .map(|level: u32| {
            routes
                .iter()
                .filter(|r| u32::from(r.1) > level)
                .map(|r| r.0 >> (128 - level))
                .collect::<HashSet<_>>()
                .len()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_counts_distinct_slash24_of_long_routes() {
        let routes = [
            (0x0a00_0000, 8, 1),
            (0x0a01_0280, 25, 2),
            (0x0a01_02c0, 26, 3),
            (0x0a01_0300, 25, 4),
            (0x0a01_0400, 24, 5),
        ];
        assert_eq!(tbl8_groups_v4(&routes), 2);
    }

    #[test]
    fn v6_counts_every_level_below_the_route() {
        // A /48 needs groups at levels 24, 32 and 40; a /32 only at 24.
        let a = 0x2001_0db8_0001u128 << 80;
        let routes = [(a, 48, 1), (0x2001_0db8u128 << 96, 32, 2)];
        assert_eq!(tbl8_groups_v6(&routes), 3);
    }
}
