//! Builders fed arbitrary frames never panic; whatever they emit parses.

use super::testutil::*;
use super::*;
use crate::ethernet::{ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use crate::ndp::ndp_neighbor_advertisement;
use proptest::prelude::*;

/// Arbitrary bytes behind a plausible Ethernet + IP header start.
fn arb_frame() -> impl Strategy<Value = Vec<u8>> {
    (0usize..3, proptest::collection::vec(any::<u8>(), 0..200)).prop_map(|(kind, body)| {
        let (ethertype, first) = [
            (ETHERTYPE_IPV4, 0x45),
            (ETHERTYPE_IPV6, 0x60),
            (ETHERTYPE_ARP, 0),
        ][kind];
        let mut v = eth(ROUTER_MAC, HOST_MAC, ethertype);
        v.extend_from_slice(&body);
        if v.len() > 14 && first != 0 {
            v[14] = first | (v[14] & 0x0F);
        }
        if first == 0x45 && v.len() >= 34 {
            // Make most IPv4 headers valid so the builders get past validation.
            v[14] = 0x45;
            let total = (v.len() - 14) as u16;
            v[16..18].copy_from_slice(&total.to_be_bytes());
            refill_ipv4(&mut v);
        }
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn builders_never_panic(frame in arb_frame()) {
        let mut out = [0u8; 1600];
        let _ = arp_reply(&frame, ROUTER_MAC, &mut out);
        let _ = ndp_neighbor_advertisement(&frame, ROUTER_MAC, &mut out);
        if let Ok(n) = icmpv4_echo_reply(&frame, ROUTER_MAC, &mut out) {
            prop_assert!(Ipv4Packet::new_checked(&out[14..n]).unwrap().verify_checksum());
        }
        if let Ok(n) = icmpv6_echo_reply(&frame, ROUTER_MAC, &mut out) {
            prop_assert!(Ipv6Packet::new_checked(&out[14..n]).is_ok());
        }
        for off in [0, 14, 18, 300] {
            let k4 = Icmpv4ErrorKind::TimeExceeded;
            if let Ok(n) = icmpv4_error(&frame, off, k4, ROUTER_MAC, NEXT_HOP_MAC, ROUTER_V4, &mut out) {
                let ip = Ipv4Packet::new_checked(&out[14..n]).unwrap();
                prop_assert!(ip.verify_checksum() && ip.total_len() as usize <= 576);
            }
            let k6 = Icmpv6ErrorKind::PacketTooBig { mtu: 1280 };
            if let Ok(n) = icmpv6_error(&frame, off, k6, ROUTER_MAC, NEXT_HOP_MAC, ROUTER_V6, &mut out) {
                let ip = Ipv6Packet::new_checked(&out[14..n]).unwrap();
                prop_assert!(40 + ip.payload_len() as usize <= 1280);
            }
        }
    }
}
