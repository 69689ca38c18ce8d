//! The table of test frames: one row per drop and punt reason.

use super::*;
use silkroute_packet::checksum;
use silkroute_router::forward::reason::{DropReason, PuntReason};
use silkroute_router::forward::Verdict;

/// What a table row expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Forward(u16),
    Drop(DropReason),
    Punt(PuntReason),
}

pub fn expect_of(v: Verdict) -> Expect {
    match v {
        Verdict::Forward(p) => Expect::Forward(p),
        Verdict::Drop(r) => Expect::Drop(r),
        Verdict::Punt(r, _) => Expect::Punt(r),
    }
}

pub fn set_ipv4_byte(frame: &mut [u8], off: usize, v: u8) {
    frame[14 + off] = v;
}

fn refresh_v4_checksum(frame: &mut [u8]) {
    let ihl = usize::from(frame[14] & 0xf) * 4;
    frame[24] = 0;
    frame[25] = 0;
    let c = checksum::ipv4_header(&frame[14..14 + ihl.min(frame.len() - 14)]);
    frame[24..26].copy_from_slice(&c.to_be_bytes());
}

pub const H: [u8; 4] = [192, 0, 2, 10];

/// Every case: name, frame, expected outcome.
pub fn cases() -> Vec<(&'static str, Vec<u8>, Expect)> {
    use DropReason as D;
    use Expect::*;
    use PuntReason as P;
    let good4 = v4_frame(H, [10, 1, 2, 3], 64, b"payload");
    let mut v = vec![
        ("v4 forward", good4.clone(), Forward(1)),
        ("v4 ecmp", v4_frame(H, [20, 1, 2, 3], 64, b"x"), Forward(1)),
        (
            "v4 hairpin to host",
            v4_frame([10, 9, 9, 9], H, 64, b"back"),
            Forward(0),
        ),
        (
            "v6 forward",
            v6_frame("2001:db8:1::10", "2001:db8:10::5", 64, b"p6"),
            Forward(1),
        ),
        ("l2 truncated", good4[..13].to_vec(), Drop(D::L2Truncated)),
        (
            "vlan truncated",
            eth(MAC_P0, MAC_HOST, 0x8100, &[0, 5]),
            Drop(D::L2VlanTruncated),
        ),
        (
            "three vlans",
            eth(
                MAC_P0,
                MAC_HOST,
                0x88a8,
                &[0, 1, 0x81, 0, 0, 2, 0x81, 0, 0, 3, 0x08, 0, 0, 0],
            ),
            Drop(D::L2TooManyVlans),
        ),
        (
            "unknown vlan",
            eth(
                MAC_P0,
                MAC_HOST,
                0x8100,
                &[
                    [0u8, 7, 0x08, 0].as_slice(),
                    &ipv4(H, [10, 1, 1, 1], 17, 64, &udp(1, 2, b"")),
                ]
                .concat(),
            ),
            Drop(D::L2UnknownVlan),
        ),
        (
            "other host",
            {
                let mut f = good4.clone();
                f[0..6].copy_from_slice(&MAC_B1);
                f
            },
            Drop(D::L2OtherHost),
        ),
        (
            "multicast source mac",
            {
                let mut f = good4.clone();
                f[6] = 0x01;
                f
            },
            Drop(D::L2BadSource),
        ),
        (
            "unknown ethertype",
            eth(MAC_P0, MAC_HOST, 0x88cc, &[0; 46]),
            Drop(D::L2UnknownEthertype),
        ),
        (
            "arp truncated",
            eth(BCAST, MAC_HOST, 0x0806, &[0, 1, 8, 0, 6, 4]),
            Drop(D::ArpMalformed),
        ),
        (
            "ipv4 truncated",
            good4[..14 + 19].to_vec(),
            Drop(D::Ipv4Truncated),
        ),
        (
            "ipv4 bad checksum",
            {
                let mut f = good4.clone();
                f[14 + 10] ^= 0xff;
                f
            },
            Drop(D::Ipv4BadChecksum),
        ),
        (
            "ipv4 martian source 127/8",
            v4_frame([127, 0, 0, 1], [10, 1, 2, 3], 64, b""),
            Drop(D::Ipv4MartianSource),
        ),
        (
            "ipv4 martian source 0/8",
            v4_frame([0, 1, 2, 3], [10, 1, 2, 3], 64, b""),
            Drop(D::Ipv4MartianSource),
        ),
        (
            "ipv4 multicast source",
            v4_frame([224, 0, 0, 1], [10, 1, 2, 3], 64, b""),
            Drop(D::Ipv4MartianSource),
        ),
        (
            "ipv4 martian destination",
            v4_frame(H, [0, 1, 2, 3], 64, b""),
            Drop(D::Ipv4MartianDestination),
        ),
        (
            "ipv4 class E destination",
            v4_frame(H, [240, 1, 2, 3], 64, b""),
            Drop(D::Ipv4MartianDestination),
        ),
        (
            "ipv4 link-local destination",
            v4_frame(H, [169, 254, 1, 1], 64, b""),
            Drop(D::Ipv4MartianDestination),
        ),
        (
            "ipv4 multicast destination",
            v4_frame(H, [224, 0, 0, 5], 64, b""),
            Drop(D::Ipv4MulticastDestination),
        ),
        (
            "ipv4 limited broadcast",
            v4_frame(H, [255, 255, 255, 255], 64, b""),
            Drop(D::Ipv4BroadcastDestination),
        ),
        (
            "ipv4 directed broadcast",
            v4_frame(H, [198, 51, 100, 255], 64, b""),
            Drop(D::Ipv4BroadcastDestination),
        ),
        (
            "ipv4 unicast in l2 broadcast",
            {
                let mut f = good4.clone();
                f[0..6].copy_from_slice(&BCAST);
                f
            },
            Drop(D::Ipv4LinkBroadcast),
        ),
        (
            "ipv4 blackhole",
            v4_frame(H, [30, 1, 2, 3], 64, b""),
            Drop(D::RouteBlackhole),
        ),
        (
            "ipv4 local",
            v4_frame(H, [192, 0, 2, 1], 64, b""),
            Punt(P::Local),
        ),
        (
            "ipv4 local ttl 1",
            v4_frame(H, [192, 0, 2, 1], 1, b""),
            Punt(P::Local),
        ),
        (
            "ipv4 ttl 1",
            v4_frame(H, [10, 1, 2, 3], 1, b""),
            Punt(P::TtlExpired),
        ),
        (
            "ipv4 ttl 0",
            v4_frame(H, [10, 1, 2, 3], 0, b""),
            Punt(P::TtlExpired),
        ),
        (
            "ipv4 no route",
            v4_frame(H, [50, 1, 2, 3], 64, b""),
            Punt(P::NoRoute),
        ),
        (
            "ipv4 unresolved next hop",
            v4_frame(H, [40, 1, 2, 3], 64, b""),
            Punt(P::NeighborUnresolved),
        ),
        (
            "ipv4 attached unresolved",
            v4_frame(H, [198, 51, 100, 7], 64, b""),
            Punt(P::NeighborUnresolved),
        ),
        (
            "ipv4 too big",
            v4_frame(H, [10, 1, 2, 3], 64, &[0u8; 1400]),
            Punt(P::TooBig),
        ),
        (
            "ipv4 exactly mtu",
            v4_frame(H, [10, 1, 2, 3], 64, &[0u8; 1400 - 28]),
            Forward(1),
        ),
        (
            "arp request",
            eth(
                BCAST,
                MAC_HOST,
                0x0806,
                &[
                    0, 1, 8, 0, 6, 4, 0, 1, 2, 0xaa, 0, 0, 0, 0x0a, 192, 0, 2, 10, 0, 0, 0, 0, 0,
                    0, 192, 0, 2, 1,
                ],
            ),
            Punt(P::Arp),
        ),
        (
            "ipv6 truncated",
            v6_frame("2001:db8:1::10", "2001:db8:10::5", 64, b"")[..14 + 39].to_vec(),
            Drop(D::Ipv6Truncated),
        ),
        (
            "ipv6 payload beyond frame",
            {
                let mut f = v6_frame("2001:db8:1::10", "2001:db8:10::5", 64, b"abc");
                f.truncate(f.len() - 1);
                f
            },
            Drop(D::Ipv6PayloadBeyondFrame),
        ),
        (
            "ipv6 martian source ::1",
            v6_frame("::1", "2001:db8:10::5", 64, b""),
            Drop(D::Ipv6MartianSource),
        ),
        (
            "ipv6 multicast source",
            v6_frame("ff02::1", "2001:db8:10::5", 64, b""),
            Drop(D::Ipv6MartianSource),
        ),
        (
            "ipv6 unspecified source",
            v6_frame("::", "2001:db8:10::5", 64, b""),
            Drop(D::Ipv6MartianSource),
        ),
        (
            "ipv6 martian destination ::1",
            v6_frame("2001:db8:1::10", "::1", 64, b""),
            Drop(D::Ipv6MartianDestination),
        ),
        (
            "ipv6 multicast destination",
            v6_frame("2001:db8:1::10", "ff0e::1", 64, b""),
            Drop(D::Ipv6MulticastDestination),
        ),
        (
            "ipv6 link-local destination",
            v6_frame("2001:db8:1::10", "fe80::1", 64, b""),
            Drop(D::Ipv6LinkLocal),
        ),
        (
            "ipv6 unicast in l2 multicast",
            {
                let mut f = v6_frame("2001:db8:1::10", "2001:db8:10::5", 64, b"");
                f[0..6].copy_from_slice(&[0x33, 0x33, 0, 0, 0, 1]);
                f
            },
            Drop(D::Ipv6LinkBroadcast),
        ),
        (
            "ipv6 blackhole",
            v6_frame("2001:db8:1::10", "2001:db8:30::1", 64, b""),
            Drop(D::RouteBlackhole),
        ),
        (
            "ipv6 local",
            v6_frame("2001:db8:1::10", "2001:db8:1::1", 64, b""),
            Punt(P::Local),
        ),
        (
            "ipv6 hop limit 1",
            v6_frame("2001:db8:1::10", "2001:db8:10::5", 1, b""),
            Punt(P::TtlExpired),
        ),
        (
            "ipv6 no route",
            v6_frame("2001:db8:1::10", "2001:db9::1", 64, b""),
            Punt(P::NoRoute),
        ),
        (
            "ipv6 unresolved",
            v6_frame("2001:db8:1::10", "2001:db8:40::1", 64, b""),
            Punt(P::NeighborUnresolved),
        ),
        (
            "ipv6 too big",
            v6_frame("2001:db8:1::10", "2001:db8:10::5", 64, &[0u8; 1400]),
            Punt(P::TooBig),
        ),
    ];
    // Header-field corruptions of the good IPv4 frame.
    let mut f = good4.clone();
    set_ipv4_byte(&mut f, 0, 0x55);
    v.push(("ipv4 version 5", f, Drop(D::Ipv4BadVersion)));
    let mut f = good4.clone();
    set_ipv4_byte(&mut f, 0, 0x44);
    v.push(("ipv4 ihl 4", f, Drop(D::Ipv4HeaderLength)));
    let mut f = good4.clone();
    set_ipv4_byte(&mut f, 0, 0x4f);
    v.push(("ipv4 ihl beyond frame", f, Drop(D::Ipv4HeaderBeyondFrame)));
    let mut f = good4.clone();
    set_ipv4_byte(&mut f, 2, 0);
    set_ipv4_byte(&mut f, 3, 19);
    refresh_v4_checksum(&mut f);
    v.push((
        "ipv4 total length below header",
        f,
        Drop(D::Ipv4TotalLengthBelowHeader),
    ));
    let mut f = good4.clone();
    set_ipv4_byte(&mut f, 2, 0x05);
    refresh_v4_checksum(&mut f);
    v.push((
        "ipv4 total length beyond frame",
        f,
        Drop(D::Ipv4TotalLengthBeyondFrame),
    ));
    // IPv6 extension-header cases.
    let src = "2001:db8:1::10".parse().unwrap();
    let dst = "2001:db8:10::5".parse().unwrap();
    let mut f = v6_frame("2001:db8:1::10", "2001:db8:10::5", 64, b"");
    f[14] = 0x50;
    v.push(("ipv6 version 5", f, Drop(D::Ipv6BadVersion)));
    // Destination options header claiming 8*(1+5) bytes in an 8-byte payload.
    let ext = [17u8, 5, 0, 0, 0, 0, 0, 0];
    v.push((
        "ipv6 extension truncated",
        eth(MAC_P0, MAC_HOST, 0x86dd, &ipv6(src, dst, 60, 64, &ext)),
        Drop(D::Ipv6ExtensionTruncated),
    ));
    // Nine destination-options headers in a row.
    let mut chain = Vec::new();
    for i in 0..9 {
        chain.extend_from_slice(&[if i == 8 { 17 } else { 60 }, 0, 1, 4, 0, 0, 0, 0]);
    }
    v.push((
        "ipv6 extension chain too long",
        eth(MAC_P0, MAC_HOST, 0x86dd, &ipv6(src, dst, 60, 64, &chain)),
        Drop(D::Ipv6ExtensionChainTooLong),
    ));
    // Hop-by-hop after a destination options header.
    let chain = [0u8, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0];
    v.push((
        "ipv6 hop-by-hop not first",
        eth(MAC_P0, MAC_HOST, 0x86dd, &ipv6(src, dst, 60, 64, &chain)),
        Drop(D::Ipv6HopByHopNotFirst),
    ));
    // Jumbogram: payload length 0, hop-by-hop with a jumbo payload option.
    let mut hbh = vec![17u8, 0, 0xc2, 4, 0, 1, 0, 0];
    hbh.extend_from_slice(&udp(1, 2, b"jumbo"));
    let mut f = eth(MAC_P0, MAC_HOST, 0x86dd, &ipv6(src, dst, 0, 64, &hbh));
    f[14 + 4] = 0;
    f[14 + 5] = 0;
    v.push(("ipv6 jumbogram", f, Drop(D::Ipv6Jumbogram)));
    // A valid chain forwards.
    let mut chain = vec![17u8, 0, 1, 4, 0, 0, 0, 0];
    chain.extend_from_slice(&udp(1, 2, b"ext"));
    v.push((
        "ipv6 with destination options",
        eth(MAC_P0, MAC_HOST, 0x86dd, &ipv6(src, dst, 60, 64, &chain)),
        Forward(1),
    ));
    // NDP neighbour solicitation to the solicited-node group.
    let ns_dst: std::net::Ipv6Addr = "ff02::1:ff00:1".parse().unwrap();
    let mut ns = vec![135u8, 0, 0, 0, 0, 0, 0, 0];
    ns.extend_from_slice(
        &"2001:db8:1::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    v.push((
        "ndp solicitation",
        eth(
            [0x33, 0x33, 0xff, 0, 0, 1],
            MAC_HOST,
            0x86dd,
            &ipv6(src, ns_dst, 58, 255, &ns),
        ),
        Punt(P::Ndp),
    ));
    v
}
