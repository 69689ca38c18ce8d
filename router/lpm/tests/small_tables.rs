//! Property tests on small random tables (interleaved inserts and removes,
//! checked against the reference after every step), batch-vs-single
//! agreement, and table-driven error cases.

mod common;

use proptest::prelude::*;
use silkroute_lpm::reference::ReferenceLpm;
use silkroute_lpm::{Lpm4, Lpm6, LpmError, MAX_VALUE, NO_ROUTE};

/// Lengths around the structure's boundaries (direct level 18, strides of
/// 6, the address width) are drawn more often than the rest.
fn len4() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(vec![0u8, 1, 8, 17, 18, 19, 23, 24, 25, 29, 30, 31, 32]),
        1 => 0u8..=32,
    ]
}

fn len6() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(vec![
            0u8, 1, 3, 17, 18, 19, 24, 25, 30, 32, 36, 42, 48, 49, 64, 120, 124, 125, 127, 128
        ]),
        1 => 0u8..=128,
    ]
}

#[derive(Debug, Clone)]
struct Op<K> {
    insert: bool,
    anchor: usize,
    flip: u8,
    len: u8,
    value: u32,
    _k: std::marker::PhantomData<K>,
}

fn ops<K: std::fmt::Debug + Clone>(len: BoxedStrategy<u8>) -> impl Strategy<Value = Vec<Op<K>>> {
    prop::collection::vec(
        (
            prop::bool::weighted(0.7),
            0usize..4,
            any::<u8>(),
            len,
            0u32..=MAX_VALUE,
        )
            .prop_map(|(insert, anchor, flip, len, value)| Op {
                insert,
                anchor,
                flip,
                len,
                value: if value % 3 == 0 { value % 4 } else { value },
                _k: std::marker::PhantomData,
            }),
        1..40,
    )
}

macro_rules! run_ops {
    ($table:ty, $k:ty, $bits:literal, $anchors:expr, $ops:expr) => {{
        let anchors: Vec<$k> = $anchors;
        let mut t = <$table>::new();
        let mut r = ReferenceLpm::<$bits>::new();
        let mut probes: Vec<$k> = anchors.clone();
        probes.extend([0, <$k>::MAX, 1 << ($bits - 1)]);
        for op in &$ops {
            // Anchors make prefixes overlap; a flipped bit makes siblings.
            let base = anchors[op.anchor] ^ ((1 as $k) << (op.flip as u32 % $bits));
            let mask = <$k>::MAX
                .checked_shl($bits - u32::from(op.len))
                .unwrap_or(0);
            let addr = base & mask;
            if op.insert {
                prop_assert_eq!(
                    t.insert(addr, op.len, op.value),
                    r.insert(addr as u128, op.len, op.value)
                );
            } else {
                prop_assert_eq!(t.remove(addr, op.len), r.remove(addr as u128, op.len));
            }
            probes.push(addr);
            probes.push(addr | !mask);
            probes.push(addr.wrapping_sub(1));
            probes.push((addr | !mask).wrapping_add(1));
            prop_assert_eq!(t.len(), r.len());
            prop_assert_eq!(t.get(addr, op.len), r.get(addr as u128, op.len));
            for &p in &probes {
                prop_assert_eq!(t.lookup(p), r.lookup(p as u128), "key {:#x}", p);
            }
            let mut batch = vec![0u32; probes.len()];
            t.lookup_batch(&probes, &mut batch);
            for (i, &p) in probes.iter().enumerate() {
                prop_assert_eq!(batch[i], r.lookup(p as u128));
            }
        }
        // Compaction and the bulk build of what is left agree as well.
        let mut c = t.clone();
        c.compact();
        prop_assert_eq!(c.len(), r.len());
        for &p in &probes {
            prop_assert_eq!(c.lookup(p), r.lookup(p as u128));
        }
        let b = <$table>::from_routes(&t.routes()).expect("rebuild");
        prop_assert_eq!(b.len(), r.len());
        for &p in &probes {
            prop_assert_eq!(b.lookup(p), r.lookup(p as u128));
        }
    }};
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn lpm4_matches_reference(anchors in prop::array::uniform4(any::<u32>()), ops in ops::<u32>(len4().boxed())) {
        run_ops!(Lpm4, u32, 32, anchors.to_vec(), ops);
    }

    #[test]
    fn lpm6_matches_reference(anchors in prop::array::uniform4(any::<u128>()), ops in ops::<u128>(len6().boxed())) {
        run_ops!(Lpm6, u128, 128, anchors.to_vec(), ops);
    }
}

#[test]
fn batch_agrees_with_single_for_all_lengths() {
    let routes = common::ipv4_routes();
    let t4 = Lpm4::from_routes(&routes).expect("build");
    let mut rng = common::Rng(7);
    let keys4: Vec<u32> = (0..4096)
        .map(|i| {
            if i % 2 == 0 {
                rng.next_u64() as u32
            } else {
                let (a, l, _) = routes[rng.below(routes.len())];
                a | (rng.next_u64() as u32)
                    .checked_shr(u32::from(l))
                    .unwrap_or(0)
            }
        })
        .collect();
    let r6 = common::ipv6_routes();
    let t6 = Lpm6::from_routes(&r6).expect("build");
    let keys6: Vec<u128> = (0..4096)
        .map(|i| {
            if i % 2 == 0 {
                rng.next_u128()
            } else {
                let (a, l, _) = r6[rng.below(r6.len())];
                a | rng.next_u128().checked_shr(u32::from(l)).unwrap_or(0)
            }
        })
        .collect();
    for n in [0usize, 1, 2, 3, 7, 8, 9, 31, 32, 33, 64, 100, 4096] {
        for off in [0usize, 5] {
            let k4 = &keys4[off..off + n.min(4096 - off)];
            let mut out = vec![0xdead_beef; k4.len() + 3];
            t4.lookup_batch(k4, &mut out);
            for (i, k) in k4.iter().enumerate() {
                assert_eq!(out[i], t4.lookup(*k), "batch {n} at {i}");
            }
            assert!(
                out[k4.len()..].iter().all(|&o| o == 0xdead_beef),
                "wrote past the keys"
            );
            let k6 = &keys6[off..off + n.min(4096 - off)];
            let mut out = vec![0xdead_beef; k6.len()];
            t6.lookup_batch(k6, &mut out);
            for (i, k) in k6.iter().enumerate() {
                assert_eq!(out[i], t6.lookup(*k), "batch6 {n} at {i}");
            }
            // A shorter output slice bounds the work.
            let mut short = vec![0u32; k6.len() / 2];
            t6.lookup_batch(k6, &mut short);
            for (i, k) in k6.iter().take(short.len()).enumerate() {
                assert_eq!(short[i], t6.lookup(*k));
            }
        }
    }
}

#[test]
fn errors_are_typed() {
    let mut t = Lpm4::new();
    assert_eq!(
        t.insert(0, 33, 1),
        Err(LpmError::InvalidLength { len: 33, max: 32 })
    );
    assert_eq!(t.insert(0x0a00_0001, 24, 1), Err(LpmError::HostBitsSet));
    assert_eq!(
        t.insert(0x0a00_0000, 24, MAX_VALUE + 1),
        Err(LpmError::ValueTooLarge(MAX_VALUE + 1))
    );
    assert_eq!(t.remove(0x0a00_0001, 24), Err(LpmError::HostBitsSet));
    assert_eq!(t.insert(0x0a00_0000, 24, MAX_VALUE), Ok(None));
    assert_eq!(t.lookup(0x0a00_00ff), MAX_VALUE);
    assert_eq!(t.lookup(0x0a00_0100), NO_ROUTE);
    assert!(Lpm4::from_routes(&[(1, 31, 0)]).is_err());
    let mut t = Lpm6::new();
    assert_eq!(
        t.insert(0, 129, 1),
        Err(LpmError::InvalidLength { len: 129, max: 128 })
    );
    assert_eq!(t.insert(1, 127, 1), Err(LpmError::HostBitsSet));
    assert_eq!(t.insert(u128::MAX, 128, 9), Ok(None));
    assert_eq!(t.insert(0, 0, 3), Ok(None));
    assert_eq!(t.lookup(u128::MAX), 9);
    assert_eq!(t.lookup(u128::MAX - 1), 3);
    assert_eq!(t.remove(0, 0), Ok(Some(3)));
    assert_eq!(t.lookup(u128::MAX - 1), NO_ROUTE);
    assert_eq!(t.get(u128::MAX, 128), Some(9));
    assert_eq!(t.get(u128::MAX, 127), None);
}

#[test]
fn tables_are_send_and_sync() {
    fn check<T: Send + Sync + Clone + std::fmt::Debug + Default>() {}
    check::<Lpm4>();
    check::<Lpm6>();
}
