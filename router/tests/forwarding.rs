//! Forwarding decisions, one table row per drop and punt reason, and
//! byte-for-byte checks of forwarded frames.

mod common;

use common::cases::{cases, expect_of, Expect, H};
use common::*;
use silkroute_router::exception::PuntInfo;
use silkroute_router::forward::reason::{DropReason, PuntReason};
use silkroute_router::forward::{forward_one, Verdict};

#[test]
fn every_case_lands_where_expected() {
    let fib = test_fib();
    let mut failures = Vec::new();
    for (name, frame, expect) in cases() {
        let mut f = frame.clone();
        let got = expect_of(forward_one(&mut f, 0, &fib));
        if got != expect {
            failures.push(format!("{name}: expected {expect:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_drop_reason_reachable_from_a_frame_is_covered() {
    // Worker-level reasons are covered by the worker tests.
    let worker_level = [
        DropReason::ExceptionRingFull,
        DropReason::ExceptionRateLimited,
        DropReason::TxQueueFull,
        DropReason::InjectNoBuffer,
        DropReason::InjectBadPort,
    ];
    let covered: Vec<Expect> = cases().into_iter().map(|c| c.2).collect();
    for r in DropReason::ALL {
        if worker_level.contains(r) {
            continue;
        }
        assert!(covered.contains(&Expect::Drop(*r)), "no case for {r}");
    }
    for r in PuntReason::ALL {
        assert!(covered.contains(&Expect::Punt(*r)), "no case for {r}");
    }
}

#[test]
fn forwarded_ipv4_is_rewritten_exactly() {
    let fib = test_fib();
    for ttl in [2u8, 3, 64, 128, 255] {
        for dst in [[10, 1, 2, 3], [10, 255, 0, 1]] {
            let orig = v4_frame(H, dst, ttl, b"payload bytes stay as they are");
            let mut f = orig.clone();
            assert_eq!(forward_one(&mut f, 0, &fib), Verdict::Forward(1));
            assert_eq!(&f[0..6], &MAC_B1, "dst mac is the next hop's");
            assert_eq!(&f[6..12], &MAC_P1, "src mac is the egress port's");
            assert_eq!(&f[12..14], &orig[12..14]);
            assert_eq!(f[14 + 8], ttl - 1, "ttl decremented");
            let ip = silkroute_packet::Ipv4Packet::new_checked(&f[14..]).unwrap();
            assert!(ip.verify_checksum(), "header checksum verifies");
            // Everything but TTL and checksum is untouched.
            for i in 14..f.len() {
                if ![14 + 8, 14 + 10, 14 + 11].contains(&i) {
                    assert_eq!(f[i], orig[i], "byte {i} changed");
                }
            }
        }
    }
}

#[test]
fn forwarded_ipv6_is_rewritten_exactly() {
    let fib = test_fib();
    let orig = v6_frame("2001:db8:1::10", "2001:db8:10::5", 64, b"v6 payload");
    let mut f = orig.clone();
    assert_eq!(forward_one(&mut f, 0, &fib), Verdict::Forward(1));
    assert_eq!(&f[0..6], &MAC_B1);
    assert_eq!(&f[6..12], &MAC_P1);
    assert_eq!(f[14 + 7], 63);
    for i in 12..f.len() {
        if i != 14 + 7 {
            assert_eq!(f[i], orig[i], "byte {i} changed");
        }
    }
}

#[test]
fn ecmp_is_stable_per_flow_and_uses_every_member() {
    let fib = test_fib();
    let mut seen = std::collections::HashSet::new();
    for i in 0..64u8 {
        let make = || {
            eth(
                MAC_P0,
                MAC_HOST,
                0x0800,
                &ipv4(H, [20, 0, 0, i], 17, 64, &udp(1000 + u16::from(i), 53, b"")),
            )
        };
        let mut a = make();
        let mut b = make();
        assert_eq!(forward_one(&mut a, 0, &fib), Verdict::Forward(1));
        assert_eq!(forward_one(&mut b, 0, &fib), Verdict::Forward(1));
        assert_eq!(&a[0..6], &b[0..6], "same flow, same member");
        seen.insert(a[0..6].to_vec());
    }
    assert_eq!(seen.len(), 2, "both members carry flows");
}

#[test]
fn punt_info_names_next_hop_and_mtu() {
    let fib = test_fib();
    let mut f = v4_frame(H, [40, 1, 2, 3], 64, b"");
    match forward_one(&mut f, 0, &fib) {
        Verdict::Punt(PuntReason::NeighborUnresolved, info) => {
            assert_eq!(info.next_hop, 2);
            assert_eq!(info.out_port, 1);
        }
        v => panic!("{v:?}"),
    }
    let mut f = v4_frame(H, [198, 51, 100, 7], 64, b"");
    match forward_one(&mut f, 0, &fib) {
        Verdict::Punt(PuntReason::NeighborUnresolved, info) => {
            assert_eq!(info.next_hop, PuntInfo::DIRECT);
            assert_eq!(info.out_port, 1);
        }
        v => panic!("{v:?}"),
    }
    let mut f = v4_frame(H, [10, 1, 2, 3], 64, &[0u8; 1500]);
    match forward_one(&mut f, 0, &fib) {
        Verdict::Punt(PuntReason::TooBig, info) => {
            assert_eq!((info.out_port, info.mtu), (1, MTU_P1));
        }
        v => panic!("{v:?}"),
    }
}

#[test]
fn dropped_and_punted_frames_are_not_modified() {
    let fib = test_fib();
    for (name, frame, expect) in cases() {
        if matches!(expect, Expect::Forward(_)) {
            continue;
        }
        let mut f = frame.clone();
        forward_one(&mut f, 0, &fib);
        assert_eq!(f, frame, "{name} was modified");
    }
}
