//! Rows for link padding, oversize frames and ARP.

use super::*;

pub(super) fn add(t: &mut Vec<Row>) {
    use DropReason as D;
    use Expect::{Drop, Forward, Punt};
    use PuntReason as P;
    let mut row = |kind: &str, frame: Vec<u8>, e: Expect| t.push((kind.to_owned(), frame, e));

    // --- Padding and oversize frames.
    let mut f = v4(&udp4(FAR, 64, 0, &[], b"pad"));
    f.extend_from_slice(&[0xab; 40]);
    row("ipv4 with 40 bytes of link padding", f, Forward(1));
    let mut f = v6(&pkt6(HOST6, FAR6, UDP, 64, &udp(1, 2, b"pad")));
    f.extend_from_slice(&[0xcd; 40]);
    row("ipv6 with 40 bytes of link padding", f, Forward(1));
    let mut f = v4(&udp4(FAR, 64, DF, &[], b"small datagram"));
    f.resize(1600, 0xee);
    row("1600-byte frame, 42-byte datagram, padding", f, Forward(1));
    row(
        "oversize frame, 2000-byte datagram, DF",
        v4(&udp4(FAR, 64, DF, &[], &[0; 1972])),
        Punt(P::TooBig),
    );
    row(
        "oversize frame, 2000-byte datagram, no DF, hairpin",
        v4(&ipv4_full(H, [192, 0, 2, 10], UDP, 64, 0, &[], &[0; 1980])),
        Punt(P::TooBig),
    );
    row(
        "oversize ipv6, 2000 bytes",
        v6(&pkt6(HOST6, FAR6, UDP, 64, &[0; 1960])),
        Punt(P::TooBig),
    );

    // --- ARP.
    row(
        "arp truncated to 27 bytes",
        host_frame(0x0806, &arp(1, 0x0800, 6, 4, 1)[..27]),
        Drop(D::ArpMalformed),
    );
    row(
        "arp for ipv6 (ptype 0x86dd)",
        host_frame(0x0806, &arp(1, 0x86dd, 6, 4, 1)),
        Drop(D::ArpMalformed),
    );
    row(
        "arp hardware length 8",
        host_frame(0x0806, &arp(1, 0x0800, 8, 4, 1)),
        Drop(D::ArpMalformed),
    );
    row(
        "rarp operation",
        host_frame(0x0806, &arp(1, 0x0800, 6, 4, 3)),
        Drop(D::ArpMalformed),
    );
    let mut f = host_frame(0x0806, &arp(1, 0x0800, 6, 4, 1));
    f.resize(60, 0);
    row("arp padded to 60 bytes", f, Punt(P::Arp));
}
