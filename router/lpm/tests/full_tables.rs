//! Differential tests on the full shared BGP tables against the reference.

mod common;

use common::Rng;
use silkroute_lpm::reference::ReferenceLpm;
use silkroute_lpm::{Lpm4, Lpm6};

const RANDOM_KEYS: usize = 1_000_000;

/// Keys: random ones plus every route's first and last address.
fn keys4(routes: &[(u32, u8, u32)], rng: &mut Rng) -> Vec<u32> {
    let mut k: Vec<u32> = (0..RANDOM_KEYS).map(|_| rng.next_u64() as u32).collect();
    for &(a, l, _) in routes {
        k.push(a);
        k.push(a | (u32::MAX.checked_shr(u32::from(l)).unwrap_or(0)));
    }
    k
}

fn keys6(routes: &[(u128, u8, u32)], rng: &mut Rng) -> Vec<u128> {
    let mut k: Vec<u128> = (0..RANDOM_KEYS)
        .map(|i| {
            let r = rng.next_u128();
            if i % 2 == 0 {
                0x2000 << 112 | r >> 3
            } else {
                r
            }
        })
        .collect();
    for &(a, l, _) in routes {
        k.push(a);
        k.push(a | (u128::MAX.checked_shr(u32::from(l)).unwrap_or(0)));
    }
    k
}

macro_rules! check_table {
    ($t:expr, $keys:expr, $want:expr, $what:expr) => {{
        let t = &$t;
        let mut got = vec![0u32; $keys.len()];
        t.lookup_batch(&$keys, &mut got);
        for (i, k) in $keys.iter().enumerate() {
            let single = t.lookup(*k);
            assert_eq!(single, $want[i], "{}: lookup({:#x})", $what, k);
            assert_eq!(got[i], $want[i], "{}: lookup_batch({:#x})", $what, k);
        }
    }};
}

macro_rules! full_table_test {
    ($name:ident, $load:path, $keys:ident, $table:ty, $bits:literal) => {
        #[test]
        fn $name() {
            let routes = $load();
            let mut rng = Rng(0x5eed_0000 + $bits);
            let mut reference = ReferenceLpm::<$bits>::new();
            for &(a, l, v) in &routes {
                reference.insert(a as u128, l, v).expect("valid route");
            }
            let keys = $keys(&routes, &mut rng);
            let want: Vec<u32> = keys.iter().map(|k| reference.lookup(*k as u128)).collect();

            // 1. Bulk build.
            let mut t = <$table>::from_routes(&routes).expect("bulk build");
            assert_eq!(t.len(), reference.len());
            check_table!(t, keys, want, "from_routes");
            for &(a, l, _) in &routes {
                assert_eq!(t.get(a, l), reference.get(a as u128, l));
            }
            let mut listed = t.routes();
            listed.sort_unstable();
            let mut expected: Vec<_> = routes.clone();
            expected.sort_unstable();
            expected.dedup_by_key(|r| (r.0, r.1));
            assert_eq!(listed.len(), expected.len());

            // 2. Delete a random 30%, check, re-insert in another order.
            let mut order: Vec<usize> = (0..routes.len()).collect();
            rng.shuffle(&mut order);
            let gone = &mut order[..routes.len() * 3 / 10];
            let mut partial = reference.clone();
            for &i in gone.iter() {
                let (a, l, v) = routes[i];
                assert_eq!(t.remove(a, l), Ok(Some(v)));
                partial.remove(a as u128, l).expect("valid");
            }
            assert_eq!(t.len(), partial.len());
            let sample = &keys[RANDOM_KEYS - 200_000..RANDOM_KEYS + 200_000];
            let want_partial: Vec<u32> =
                sample.iter().map(|k| partial.lookup(*k as u128)).collect();
            check_table!(t, sample, want_partial, "after 30% removed");
            rng.shuffle(gone);
            for &i in gone.iter() {
                let (a, l, v) = routes[i];
                assert_eq!(t.insert(a, l, v), Ok(None));
            }
            assert_eq!(t.len(), reference.len());
            check_table!(t, keys, want, "after re-insert");

            // 3. Insert one by one into an empty table.
            let mut t = <$table>::new();
            for &(a, l, v) in &routes {
                t.insert(a, l, v).expect("valid route");
            }
            assert_eq!(t.len(), reference.len());
            check_table!(t, keys, want, "insert one by one");
            eprintln!(
                "{}: {} routes, mem_bytes {}",
                stringify!($name),
                t.len(),
                t.mem_bytes()
            );
        }
    };
}

full_table_test!(
    ipv4_full_table_matches_reference,
    common::ipv4_routes,
    keys4,
    Lpm4,
    32
);
full_table_test!(
    ipv6_full_table_matches_reference,
    common::ipv6_routes,
    keys6,
    Lpm6,
    128
);
