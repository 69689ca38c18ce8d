//! Rows for IPv6: the fixed header, extension-header chains (cut at and
//! inside every header, loops), fragments.

use super::*;

pub(super) fn add(t: &mut Vec<Row>) {
    use DropReason as D;
    use Expect::{Drop, Forward, Punt};
    use PuntReason as P;
    let mut row = |kind: &str, frame: Vec<u8>, e: Expect| t.push((kind.to_owned(), frame, e));

    // --- IPv6 fixed header.
    let good6 = v6(&pkt6(HOST6, FAR6, UDP, 64, &udp(1, 2, b"six")));
    row(
        "ipv6 cut at 14+20",
        good6[..14 + 20].to_vec(),
        Drop(D::Ipv6Truncated),
    );
    row(
        "ipv6 cut at 14+40",
        good6[..14 + 40].to_vec(),
        Drop(D::Ipv6PayloadBeyondFrame),
    );
    row(
        "ipv6 payload length 65535",
        with_u16(good6.clone(), 14 + 4, 0xffff),
        Drop(D::Ipv6PayloadBeyondFrame),
    );
    row(
        "ipv6 empty payload",
        v6(&pkt6(HOST6, FAR6, UDP, 64, &[])),
        Forward(1),
    );
    row(
        "ipv6 hop limit 0",
        v6(&pkt6(HOST6, FAR6, UDP, 0, &udp(1, 2, b""))),
        Punt(P::TtlExpired),
    );
    row(
        "ipv6 hop limit 2",
        v6(&pkt6(HOST6, FAR6, UDP, 2, &udp(1, 2, b""))),
        Forward(1),
    );
    let mut hbh = ipv6_ext(UDP, 0);
    hbh[2..8].copy_from_slice(&[0xc2, 4, 0, 1, 0, 0]);
    hbh.extend_from_slice(&udp(1, 2, b"jumbo"));
    row(
        "ipv6 jumbogram",
        with_u16(v6(&pkt6(HOST6, FAR6, 0, 64, &hbh)), 14 + 4, 0),
        Drop(D::Ipv6Jumbogram),
    );

    // --- IPv6 extension chains: Hop-by-Hop, Routing, Fragment, Dest Opts,
    // cut at and inside every header (Payload Length matching the cut).
    let mut chain = ipv6_ext(43, 0); // HBH → Routing
    chain.extend(ipv6_ext(44, 1)); // Routing (16 bytes) → Fragment
    chain.extend(ipv6_frag(60, 0, true, 7)); // Fragment → Dest Opts
    chain.extend(ipv6_ext(UDP, 0)); // Dest Opts → UDP
    chain.extend(udp(1, 2, b"chain"));
    for (kind, keep, e) in [
        (
            "ipv6 chain cut inside hop-by-hop",
            1,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut inside hop-by-hop body",
            6,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut after hop-by-hop",
            8,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut inside routing",
            8 + 10,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut after routing",
            24,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut inside fragment",
            24 + 4,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut after fragment",
            32,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        (
            "ipv6 chain cut inside dest opts",
            32 + 7,
            Drop(D::Ipv6ExtensionTruncated),
        ),
        ("ipv6 chain cut after dest opts", 40, Forward(1)),
        ("ipv6 chain whole", chain.len(), Forward(1)),
    ] {
        row(kind, v6_cut(0, &chain, keep), e);
    }
    // AH: (len + 2) * 4 bytes.
    let mut ah = vec![UDP, 4, 0, 0];
    ah.resize(24, 0);
    ah.extend(udp(1, 2, b"ah"));
    row("ipv6 ah", v6_cut(51, &ah, ah.len()), Forward(1));
    row(
        "ipv6 ah cut",
        v6_cut(51, &ah, 20),
        Drop(D::Ipv6ExtensionTruncated),
    );
    // "Loops": the same header over and over; 8 are walked, a 9th is refused.
    let repeat = |n: usize, nh: u8| {
        let mut c = Vec::new();
        for i in 0..n {
            c.extend(ipv6_ext(if i + 1 == n { UDP } else { nh }, 0));
        }
        c.extend(udp(1, 2, b"loop"));
        c
    };
    row(
        "ipv6 8 routing headers",
        v6_cut(43, &repeat(8, 43), 8 * 8 + 12),
        Forward(1),
    );
    let nine = repeat(9, 43);
    row(
        "ipv6 9 routing headers (loop)",
        v6_cut(43, &nine, nine.len()),
        Drop(D::Ipv6ExtensionChainTooLong),
    );
    let many = repeat(40, 60);
    row(
        "ipv6 40 dest-opts headers (loop)",
        v6_cut(60, &many, many.len()),
        Drop(D::Ipv6ExtensionChainTooLong),
    );
    let mut twice = ipv6_ext(0, 0);
    twice.extend(ipv6_ext(UDP, 0));
    twice.extend(udp(1, 2, b""));
    row(
        "ipv6 hop-by-hop twice",
        v6_cut(0, &twice, twice.len()),
        Drop(D::Ipv6HopByHopNotFirst),
    );
    // Fragments.
    let frag = |off: u16, more: bool, data: &[u8]| {
        let mut c = ipv6_frag(UDP, off, more, 99);
        c.extend_from_slice(data);
        v6(&pkt6(HOST6, "2001:db8:20::1", 44, 64, &c))
    };
    row(
        "ipv6 first fragment",
        frag(0, true, &udp(1, 2, &[1; 16])),
        Forward(1),
    );
    row("ipv6 middle fragment", frag(3, true, &[2; 24]), Forward(1));
    row(
        "ipv6 overlapping fragment",
        frag(1, false, &[3; 24]),
        Forward(1),
    );
    row(
        "ipv6 atomic fragment",
        frag(0, false, &udp(1, 2, b"atomic")),
        Forward(1),
    );
    // A non-first fragment whose bytes look like more extension headers:
    // the walk stops at the fragment header.
    let mut c = ipv6_frag(0, 5, true, 1);
    c.extend(ipv6_ext(0, 0));
    row(
        "ipv6 non-first fragment, hop-by-hop inside",
        v6(&pkt6(HOST6, FAR6, 44, 64, &c)),
        Forward(1),
    );
    row(
        "ipv6 esp",
        v6(&pkt6(HOST6, FAR6, 50, 64, &[0; 24])),
        Forward(1),
    );
    row(
        "ipv6 no next header",
        v6(&pkt6(HOST6, FAR6, 59, 64, &[])),
        Forward(1),
    );
}
