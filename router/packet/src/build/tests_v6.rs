use super::icmpv6::ICMPV6_ERROR_MAX_LEN;
use super::testutil::*;
use super::*;
use crate::ethernet::ETHERTYPE_IPV6;
use crate::icmpv6::{self, Icmpv6Packet};
use crate::ipv6::{NH_DEST_OPTS, NH_FRAGMENT, NH_ICMPV6, NH_UDP};

/// Parses `frame` as Ethernet + IPv6 + ICMPv6 (no extension headers) and
/// checks the checksum.
fn parse_icmp(frame: &[u8]) -> (Ipv6Packet<&[u8]>, Icmpv6Packet<&[u8]>) {
    let l2 = parse_l2(frame).unwrap();
    assert_eq!(l2.ethertype, ETHERTYPE_IPV6);
    let ip = Ipv6Packet::new_checked(&frame[l2.l3_offset..]).unwrap();
    let ul = ip.upper_layer().unwrap();
    assert_eq!((ul.protocol, ul.offset), (NH_ICMPV6, 40));
    let icmp = Icmpv6Packet::new_checked(ip.clone().into_payload()).unwrap();
    assert!(
        icmp.verify_checksum(&ip.src_addr(), &ip.dst_addr()),
        "ICMPv6 checksum"
    );
    (ip, icmp)
}

#[test]
fn echo_reply() {
    let req = icmpv6_frame(
        HOST_V6,
        ROUTER_V6,
        64,
        icmpv6::TYPE_ECHO_REQUEST,
        0,
        0xbeef_0003,
        b"hello",
    );
    let mut out = [0u8; 200];
    let n = icmpv6_echo_reply(&req, ROUTER_MAC, &mut out).unwrap();
    assert_eq!(n, 14 + 40 + 8 + 5);
    let eth = EthernetFrame::new_checked(&out[..n]).unwrap();
    assert_eq!((eth.dst(), eth.src()), (HOST_MAC, ROUTER_MAC));
    let (ip, icmp) = parse_icmp(&out[..n]);
    assert_eq!(
        (ip.src_addr(), ip.dst_addr(), ip.hop_limit()),
        (ROUTER_V6, HOST_V6, 64)
    );
    assert_eq!((icmp.msg_type(), icmp.code()), (icmpv6::TYPE_ECHO_REPLY, 0));
    assert_eq!(
        (icmp.echo_ident(), icmp.echo_seq(), icmp.data()),
        (0xbeef, 3, &b"hello"[..])
    );
}

#[test]
fn echo_reply_through_extension_header() {
    let msg = icmpv6(
        &HOST_V6,
        &ROUTER_V6,
        icmpv6::TYPE_ECHO_REQUEST,
        0,
        1,
        b"ext",
    );
    let mut payload = vec![NH_ICMPV6, 0, 1, 4, 0, 0, 0, 0];
    payload.extend_from_slice(&msg);
    let req = ipv6_frame(HOST_V6, ROUTER_V6, NH_DEST_OPTS, 64, &payload);
    let mut out = [0u8; 200];
    let n = icmpv6_echo_reply(&req, ROUTER_MAC, &mut out).unwrap();
    let (_, icmp) = parse_icmp(&out[..n]);
    assert_eq!(icmp.data(), b"ext");
}

#[test]
fn echo_reply_rejects() {
    let mut out = [0u8; 200];
    let f = icmpv6_frame(HOST_V6, ROUTER_V6, 64, icmpv6::TYPE_ECHO_REPLY, 0, 0, b"");
    assert_eq!(
        icmpv6_echo_reply(&f, ROUTER_MAC, &mut out),
        Err(BuildError::NotEchoRequest)
    );
    let mut f = icmpv6_frame(
        HOST_V6,
        ROUTER_V6,
        64,
        icmpv6::TYPE_ECHO_REQUEST,
        0,
        0,
        b"abc",
    );
    let last = f.len() - 1;
    f[last] ^= 1;
    assert_eq!(
        icmpv6_echo_reply(&f, ROUTER_MAC, &mut out),
        Err(BuildError::Icmpv6(crate::Icmpv6Error::BadChecksum))
    );
    let all_nodes: Ipv6Addr = "ff02::1".parse().unwrap();
    let f = icmpv6_frame(HOST_V6, all_nodes, 64, icmpv6::TYPE_ECHO_REQUEST, 0, 0, b"");
    let e = Err(BuildError::Suppressed(SuppressReason::MulticastDestination));
    assert_eq!(icmpv6_echo_reply(&f, ROUTER_MAC, &mut out), e);
    let f = ipv6_frame(
        HOST_V6,
        ROUTER_V6,
        NH_FRAGMENT,
        64,
        &[NH_ICMPV6, 0, 0, 1, 0, 0, 0, 1, 128, 0, 0, 0, 0, 0, 0, 0],
    );
    assert_eq!(
        icmpv6_echo_reply(&f, ROUTER_MAC, &mut out),
        Err(BuildError::Fragmented)
    );
}

fn transit_udp(len: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
    ipv6_frame(HOST_V6, FAR_V6, NH_UDP, 1, &payload)
}

fn error(frame: &[u8], kind: Icmpv6ErrorKind) -> Result<Vec<u8>, BuildError> {
    let mut out = [0u8; 1600];
    let n = icmpv6_error(
        frame,
        14,
        kind,
        ROUTER_MAC,
        NEXT_HOP_MAC,
        ROUTER_V6,
        &mut out,
    )?;
    Ok(out[..n].to_vec())
}

#[test]
fn error_kinds() {
    let orig = transit_udp(30);
    let cases = [
        (Icmpv6ErrorKind::TimeExceeded, 3, 0, 0),
        (
            Icmpv6ErrorKind::DestUnreachable(Unreachable6::NoRoute),
            1,
            0,
            0,
        ),
        (
            Icmpv6ErrorKind::DestUnreachable(Unreachable6::AdminProhibited),
            1,
            1,
            0,
        ),
        (
            Icmpv6ErrorKind::DestUnreachable(Unreachable6::AddressUnreachable),
            1,
            3,
            0,
        ),
        (
            Icmpv6ErrorKind::DestUnreachable(Unreachable6::PortUnreachable),
            1,
            4,
            0,
        ),
        (Icmpv6ErrorKind::PacketTooBig { mtu: 1400 }, 2, 0, 1400),
    ];
    for (kind, t, c, rest) in cases {
        let out = error(&orig, kind).unwrap();
        let eth = EthernetFrame::new_checked(&out[..]).unwrap();
        assert_eq!((eth.dst(), eth.src()), (NEXT_HOP_MAC, ROUTER_MAC));
        let (ip, icmp) = parse_icmp(&out);
        assert_eq!(
            (ip.src_addr(), ip.dst_addr(), ip.hop_limit()),
            (ROUTER_V6, HOST_V6, 64)
        );
        assert_eq!(
            (icmp.msg_type(), icmp.code(), icmp.rest_of_header()),
            (t, c, rest),
            "{kind:?}"
        );
        assert!(icmp.is_error());
        assert_eq!(icmp.data(), &orig[14..]);
    }
}

#[test]
fn error_truncated_to_1280() {
    let max_quote = ICMPV6_ERROR_MAX_LEN - 48;
    for len in [max_quote - 40 - 1, max_quote - 40, max_quote - 40 + 1, 1460] {
        let mut orig = transit_udp(len);
        orig.extend_from_slice(&[0xEE; 6]); // link padding, never quoted
        let out = error(&orig, Icmpv6ErrorKind::PacketTooBig { mtu: 1280 }).unwrap();
        let (ip, icmp) = parse_icmp(&out);
        let quoted = (40 + len).min(max_quote);
        assert_eq!(usize::from(ip.payload_len()), 8 + quoted);
        assert!(40 + usize::from(ip.payload_len()) <= ICMPV6_ERROR_MAX_LEN);
        assert_eq!(icmp.data(), &orig[14..14 + quoted]);
    }
}

#[test]
fn error_suppression() {
    use SuppressReason as S;
    let te = Icmpv6ErrorKind::TimeExceeded;
    let ptb = Icmpv6ErrorKind::PacketTooBig { mtu: 1280 };
    // About ICMPv6 errors and redirects: never, not even PTB.
    for (t, why) in [
        (1u8, S::IcmpError),
        (3, S::IcmpError),
        (127, S::IcmpError),
        (137, S::IcmpRedirect),
    ] {
        let f = icmpv6_frame(HOST_V6, FAR_V6, 64, t, 0, 0, &[0u8; 48]);
        assert_eq!(error(&f, te).unwrap_err(), BuildError::Suppressed(why));
        assert_eq!(error(&f, ptb).unwrap_err(), BuildError::Suppressed(why));
    }
    // Echo request and NDP are informational: fine.
    let f = icmpv6_frame(HOST_V6, FAR_V6, 64, icmpv6::TYPE_ECHO_REQUEST, 0, 0, b"x");
    assert!(error(&f, te).is_ok());
    // The ICMPv6 type is found behind extension headers.
    let msg = icmpv6(&HOST_V6, &FAR_V6, 1, 0, 0, &[0u8; 40]);
    let mut payload = vec![NH_ICMPV6, 0, 1, 4, 0, 0, 0, 0];
    payload.extend_from_slice(&msg);
    let f = ipv6_frame(HOST_V6, FAR_V6, NH_DEST_OPTS, 64, &payload);
    assert_eq!(
        error(&f, te).unwrap_err(),
        BuildError::Suppressed(S::IcmpError)
    );
    // Multicast destination: suppressed except Packet Too Big (RFC 4443 §2.4(e.3)).
    let mut f = ipv6_frame(HOST_V6, "ff0e::101".parse().unwrap(), NH_UDP, 1, &[0; 8]);
    f[..6].copy_from_slice(&[0x33, 0x33, 0, 0, 1, 1]);
    assert_eq!(
        error(&f, te).unwrap_err(),
        BuildError::Suppressed(S::LinkLayerMulticast)
    );
    assert!(error(&f, ptb).is_ok());
    f[..6].copy_from_slice(&ROUTER_MAC.0);
    assert_eq!(
        error(&f, te).unwrap_err(),
        BuildError::Suppressed(S::MulticastDestination)
    );
    // Link-layer broadcast of a unicast packet.
    let mut f = transit_udp(8);
    f[..6].copy_from_slice(&MacAddr::BROADCAST.0);
    assert_eq!(
        error(&f, te).unwrap_err(),
        BuildError::Suppressed(S::LinkLayerBroadcast)
    );
    assert!(error(&f, ptb).is_ok());
    // Sources that do not name a single node.
    for src in ["::", "::1", "ff02::1"] {
        let f = ipv6_frame(src.parse().unwrap(), FAR_V6, NH_UDP, 1, &[0; 8]);
        assert_eq!(
            error(&f, te).unwrap_err(),
            BuildError::Suppressed(S::SourceNotUnicast),
            "{src}"
        );
        assert_eq!(
            error(&f, ptb).unwrap_err(),
            BuildError::Suppressed(S::SourceNotUnicast),
            "{src}"
        );
    }
}

#[test]
fn error_rejects_bad_input() {
    let mut out = [0u8; 1600];
    let k = Icmpv6ErrorKind::TimeExceeded;
    // A truncated extension header: we cannot tell whether it is an ICMPv6 error.
    let f = ipv6_frame(
        HOST_V6,
        FAR_V6,
        NH_DEST_OPTS,
        1,
        &[NH_UDP, 3, 0, 0, 0, 0, 0, 0],
    );
    let r = icmpv6_error(&f, 14, k, ROUTER_MAC, NEXT_HOP_MAC, ROUTER_V6, &mut out);
    assert_eq!(
        r,
        Err(BuildError::Ipv6(Ipv6Error::ExtensionHeaderTruncated))
    );
    let f = transit_udp(8);
    let r = icmpv6_error(
        &f[..50],
        14,
        k,
        ROUTER_MAC,
        NEXT_HOP_MAC,
        ROUTER_V6,
        &mut out,
    );
    assert_eq!(r, Err(BuildError::Ipv6(Ipv6Error::Truncated)));
    let r = icmpv6_error(
        &f,
        14,
        k,
        ROUTER_MAC,
        NEXT_HOP_MAC,
        ROUTER_V6,
        &mut out[..14 + 40 + 8 + 47],
    );
    assert_eq!(r, Err(BuildError::BufferTooSmall));
}
