//! Rows for Ethernet (runts, truncation, EtherTypes), VLAN tags and IPv4:
//! header fields, TTL, options, fragments, ICMP errors about ICMP errors,
//! source and destination addresses.

use super::*;

pub(super) fn add(t: &mut Vec<Row>) {
    use DropReason as D;
    use Expect::{Drop, Forward, Punt};
    use PuntReason as P;
    let mut row = |kind: &str, frame: Vec<u8>, e: Expect| t.push((kind.to_owned(), frame, e));

    // --- Ethernet: runts, truncation inside the header, odd EtherTypes.
    // An IPv4 datagram with one option word, cut at every boundary.
    let opt4 = v4(&udp4(FAR, 64, 0, &[1, 1, 1, 0], b"data"));
    for (cut, e) in [
        (0, Drop(D::L2Truncated)),
        (1, Drop(D::L2Truncated)),
        (6, Drop(D::L2Truncated)),
        (12, Drop(D::L2Truncated)),
        (13, Drop(D::L2Truncated)),
        (14, Drop(D::Ipv4Truncated)),
        (14 + 1, Drop(D::Ipv4Truncated)),
        (14 + 19, Drop(D::Ipv4Truncated)),
        (14 + 20, Drop(D::Ipv4HeaderBeyondFrame)),
        (14 + 23, Drop(D::Ipv4HeaderBeyondFrame)),
        (14 + 24, Drop(D::Ipv4TotalLengthBeyondFrame)),
        (14 + 24 + 4, Drop(D::Ipv4TotalLengthBeyondFrame)),
        (14 + 24 + 8, Drop(D::Ipv4TotalLengthBeyondFrame)),
        (opt4.len() - 1, Drop(D::Ipv4TotalLengthBeyondFrame)),
        (opt4.len(), Forward(1)),
    ] {
        row(
            &format!("ipv4+options cut at {cut}"),
            opt4[..cut].to_vec(),
            e,
        );
    }
    let mut padded = v4(&udp4(FAR, 64, 0, &[], b""));
    assert!(padded.len() < 60);
    padded.resize(60, 0);
    row("60-byte padded minimum frame", padded, Forward(1));
    row(
        "runt: ethernet header only, ipv6",
        host_frame(0x86dd, &[]),
        Drop(D::Ipv6Truncated),
    );
    row(
        "runt: ethernet header only, arp",
        host_frame(0x0806, &[]),
        Drop(D::ArpMalformed),
    );
    row(
        "802.3 length instead of ethertype",
        host_frame(46, &[0xaa; 46]),
        Drop(D::L2UnknownEthertype),
    );
    row(
        "ethertype 0",
        host_frame(0, &[0; 46]),
        Drop(D::L2UnknownEthertype),
    );
    row(
        "mpls ethertype",
        host_frame(0x8847, &[0; 46]),
        Drop(D::L2UnknownEthertype),
    );
    row(
        "ipv6 bytes under the ipv4 ethertype",
        host_frame(0x0800, &pkt6(HOST6, FAR6, UDP, 64, &udp(1, 2, b""))),
        Drop(D::Ipv4BadVersion),
    );
    row(
        "ipv4 bytes under the ipv6 ethertype",
        host_frame(0x86dd, &udp4(FAR, 64, 0, &[], &[0; 20])),
        Drop(D::Ipv6BadVersion),
    );
    row(
        "broadcast source mac",
        eth(MAC_P0, BCAST, 0x0800, &udp4(FAR, 64, 0, &[], b"")),
        Drop(D::L2BadSource),
    );

    // --- VLAN tags: truncated, one, two (QinQ), three, legacy TPID.
    let l3 = udp4(FAR, 64, 0, &[], b"vlan");
    let one = tagged(&[(0x8100, 7)], 0x0800, &l3);
    row(
        "vlan tag cut after tpid",
        one[..14].to_vec(),
        Drop(D::L2VlanTruncated),
    );
    row(
        "vlan tag cut inside tci",
        one[..15].to_vec(),
        Drop(D::L2VlanTruncated),
    );
    row(
        "vlan tag cut after tci",
        one[..16].to_vec(),
        Drop(D::L2VlanTruncated),
    );
    row(
        "vlan tag whole, no l3",
        one[..18].to_vec(),
        Drop(D::L2UnknownVlan),
    );
    row("single vlan tag", one, Drop(D::L2UnknownVlan));
    let qinq = tagged(&[(0x88a8, 100), (0x8100, 7)], 0x0800, &l3);
    row(
        "vlan-in-vlan (802.1ad)",
        qinq.clone(),
        Drop(D::L2UnknownVlan),
    );
    row(
        "vlan-in-vlan, inner tag cut",
        qinq[..20].to_vec(),
        Drop(D::L2VlanTruncated),
    );
    row(
        "vlan-in-vlan, legacy 0x9100 outer",
        tagged(&[(0x9100, 100), (0x8100, 7)], 0x0800, &l3),
        Drop(D::L2UnknownVlan),
    );
    row(
        "three vlan tags",
        tagged(&[(0x88a8, 1), (0x8100, 2), (0x8100, 3)], 0x0800, &l3),
        Drop(D::L2TooManyVlans),
    );

    // --- IPv4 header fields.
    let base = v4(&udp4(FAR, 64, 0, &[], b"fields"));
    let mut f = base.clone();
    f[14] = 0x40;
    fix_ipv4_checksum(&mut f, 14);
    row("ipv4 ihl 0", f, Drop(D::Ipv4HeaderLength));
    let mut f = base.clone();
    f[14] = 0x41;
    row("ipv4 ihl 1", f, Drop(D::Ipv4HeaderLength));
    // IHL 15 (60 bytes) inside a 64-byte frame whose total length says 40.
    let mut f = v4(&udp4(FAR, 64, 0, &[], &[0; 40]));
    f[14] = 0x4f;
    let f = with_u16(f, 14 + 2, 40);
    row(
        "ipv4 ihl beyond total length",
        f,
        Drop(D::Ipv4TotalLengthBelowHeader),
    );
    row(
        "ipv4 total length 0",
        with_u16(base.clone(), 14 + 2, 0),
        Drop(D::Ipv4TotalLengthBelowHeader),
    );
    row(
        "ipv4 total length 65535",
        with_u16(base.clone(), 14 + 2, 0xffff),
        Drop(D::Ipv4TotalLengthBeyondFrame),
    );
    let mut f = with_u16(base.clone(), 14 + 2, (base.len() - 14 + 1) as u16);
    fix_ipv4_checksum(&mut f, 14);
    row(
        "ipv4 total length one past the frame",
        f,
        Drop(D::Ipv4TotalLengthBeyondFrame),
    );
    row(
        "ipv4 checksum field zeroed",
        with_u16(base.clone(), 24, 0),
        Drop(D::Ipv4BadChecksum),
    );
    let mut f = v4(&udp4(FAR, 64, 0, &[7, 7, 4, 0, 0, 0, 0], b"rr"));
    f[14 + 21] ^= 1;
    row(
        "ipv4 options with bad checksum",
        f,
        Drop(D::Ipv4BadChecksum),
    );
    row(
        "ipv4 version 0",
        {
            let mut f = base.clone();
            f[14] = 0x05;
            f
        },
        Drop(D::Ipv4BadVersion),
    );

    // --- TTL.
    row(
        "ipv4 ttl 0 transit",
        v4(&udp4(FAR, 0, 0, &[], b"")),
        Punt(P::TtlExpired),
    );
    row(
        "ipv4 ttl 1 transit",
        v4(&udp4(FAR, 1, 0, &[], b"")),
        Punt(P::TtlExpired),
    );
    row(
        "ipv4 ttl 2 transit",
        v4(&udp4(FAR, 2, 0, &[], b"")),
        Forward(1),
    );
    row(
        "ipv4 ttl 0 to unresolved next hop",
        v4(&udp4([40, 0, 0, 1], 0, 0, &[], b"")),
        Punt(P::TtlExpired),
    );
    row(
        "ipv4 ttl 0 to the router",
        v4(&udp4([192, 0, 2, 1], 0, 0, &[], b"")),
        Punt(P::Local),
    );

    // --- IPv4 options: the router forwards them untouched (RFC 7126 §4.1
    // lets it; it neither parses nor acts on them).
    row(
        "ipv4 nop options",
        v4(&udp4(FAR, 64, 0, &[1, 1, 1, 1], b"o")),
        Forward(1),
    );
    row(
        "ipv4 record route option",
        v4(&udp4(
            FAR,
            64,
            0,
            &[7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0],
            b"rr",
        )),
        Forward(1),
    );
    row(
        "ipv4 full 40 bytes of options",
        v4(&udp4(FAR, 64, 0, &[1; 40], b"o")),
        Forward(1),
    );
    row(
        "ipv4 option length past the header",
        v4(&udp4(FAR, 64, 0, &[0x44, 200, 5, 0], b"ts")),
        Forward(1),
    );

    // --- IPv4 fragments: forwarded as they are (no reassembly on a router).
    row(
        "ipv4 first fragment",
        v4(&udp4(FAR, 64, MF, &[], &[1; 32])),
        Forward(1),
    );
    row(
        "ipv4 middle fragment",
        v4(&ipv4_full(H, FAR, UDP, 64, MF | 185, &[], &[2; 64])),
        Forward(1),
    );
    row(
        "ipv4 last fragment",
        v4(&ipv4_full(H, FAR, UDP, 64, 370, &[], &[3; 16])),
        Forward(1),
    );
    row(
        "ipv4 tiny fragment (offset 1, RFC 1858)",
        v4(&ipv4_full(H, FAR, 6, 64, MF | 1, &[], &[4; 8])),
        Forward(1),
    );
    row(
        "ipv4 overlapping fragment, first",
        v4(&ipv4_full(H, [20, 0, 0, 1], UDP, 64, MF, &[], &[5; 24])),
        Forward(1),
    );
    row(
        "ipv4 overlapping fragment, rewrites bytes 8..24",
        v4(&ipv4_full(H, [20, 0, 0, 1], UDP, 64, 1, &[], &[6; 16])),
        Forward(1),
    );
    row(
        "ipv4 fragment with DF and MF",
        v4(&udp4(FAR, 64, DF | MF, &[], b"x")),
        Forward(1),
    );
    row(
        "ipv4 fragment too big for egress",
        v4(&ipv4_full(H, FAR, UDP, 64, MF | 8, &[], &[7; 1480])),
        Punt(P::TooBig),
    );

    // --- ICMP errors about ICMP errors: transit ones are forwarded; when
    // punted the control plane must stay silent (checked below).
    row(
        "icmp unreachable about time exceeded, transit",
        icmp4_about(3, 11, FAR, 64),
        Forward(1),
    );
    row(
        "icmp unreachable about time exceeded, ttl 1",
        icmp4_about(3, 11, FAR, 1),
        Punt(P::TtlExpired),
    );
    row(
        "icmp time exceeded about unreachable, no route",
        icmp4_about(11, 3, [50, 0, 0, 1], 64),
        Punt(P::NoRoute),
    );
    row(
        "icmpv6 unreachable about time exceeded, transit",
        icmp6_about(1, 3, FAR6, 64),
        Forward(1),
    );
    row(
        "icmpv6 time exceeded about unreachable, hop limit 1",
        icmp6_about(3, 1, FAR6, 1),
        Punt(P::TtlExpired),
    );

    // --- Source and destination addresses.
    for (kind, src, e) in [
        (
            "ipv4 limited-broadcast source",
            [255, 255, 255, 255],
            D::Ipv4MartianSource,
        ),
        (
            "ipv4 multicast source",
            [239, 1, 1, 1],
            D::Ipv4MartianSource,
        ),
        ("ipv4 class E source", [240, 0, 0, 1], D::Ipv4MartianSource),
        (
            "ipv4 this-network source",
            [0, 0, 0, 0],
            D::Ipv4MartianSource,
        ),
        ("ipv4 loopback source", [127, 0, 0, 1], D::Ipv4MartianSource),
        (
            "ipv4 link-local source",
            [169, 254, 9, 9],
            D::Ipv4MartianSource,
        ),
    ] {
        row(
            kind,
            v4(&ipv4_full(src, FAR, UDP, 64, 0, &[], &udp(1, 2, b""))),
            Drop(e),
        );
    }
    row(
        "ipv4 loopback destination",
        v4(&udp4([127, 0, 0, 1], 64, 0, &[], b"")),
        Drop(D::Ipv4MartianDestination),
    );
    row(
        "ipv4 this-network destination",
        v4(&udp4([0, 0, 0, 0], 64, 0, &[], b"")),
        Drop(D::Ipv4MartianDestination),
    );
    row(
        "ipv4 multicast destination in l2 multicast",
        {
            let mut f = v4(&udp4([224, 0, 0, 5], 64, 0, &[], b""));
            f[0..6].copy_from_slice(&[0x01, 0, 0x5e, 0, 0, 5]);
            f
        },
        Drop(D::Ipv4MulticastDestination),
    );
    row(
        "ipv4 unicast in l2 multicast",
        {
            let mut f = v4(&udp4(FAR, 64, 0, &[], b""));
            f[0..6].copy_from_slice(&[0x01, 0, 0x5e, 0, 0, 5]);
            f
        },
        Drop(D::Ipv4LinkBroadcast),
    );
    row(
        "ipv4 land: from the router's address to it",
        v4(&ipv4_full(
            [192, 0, 2, 1],
            [192, 0, 2, 1],
            UDP,
            64,
            0,
            &[],
            &udp(7, 7, b""),
        )),
        Punt(P::Local),
    );
    row(
        "ipv6 unspecified source",
        v6(&pkt6("::", FAR6, UDP, 64, &udp(1, 2, b""))),
        Drop(D::Ipv6MartianSource),
    );
    row(
        "ipv6 multicast source",
        v6(&pkt6("ff05::2", FAR6, UDP, 64, &udp(1, 2, b""))),
        Drop(D::Ipv6MartianSource),
    );
    row(
        "ipv6 unspecified destination",
        v6(&pkt6(HOST6, "::", UDP, 64, &udp(1, 2, b""))),
        Drop(D::Ipv6MartianDestination),
    );
    row(
        "ipv6 link-local source",
        v6(&pkt6("fe80::1", FAR6, UDP, 64, &udp(1, 2, b""))),
        Drop(D::Ipv6LinkLocal),
    );
    row(
        "ipv6 link-scope multicast, not icmpv6",
        v6(&pkt6(HOST6, "ff02::1", UDP, 64, &udp(1, 2, b""))),
        Drop(D::Ipv6MulticastDestination),
    );
    row(
        "ipv6 v4-mapped destination",
        v6(&pkt6(HOST6, "::ffff:10.1.2.3", UDP, 64, &udp(1, 2, b""))),
        Punt(P::NoRoute),
    );
    row(
        "ipv6 unicast in l2 broadcast",
        {
            let mut f = v6(&pkt6(HOST6, FAR6, UDP, 64, &udp(1, 2, b"")));
            f[0..6].copy_from_slice(&BCAST);
            f
        },
        Drop(D::Ipv6LinkBroadcast),
    );
}
