use super::icmpv4::ICMPV4_ERROR_MAX_LEN;
use super::testutil::*;
use super::*;
use crate::ethernet::ETHERTYPE_VLAN;
use crate::icmp::{self, Icmpv4Packet};
use crate::ipv4::{PROTO_ICMP, PROTO_UDP};

fn echo_request_frame(data: &[u8]) -> Vec<u8> {
    let msg = icmpv4(icmp::TYPE_ECHO_REQUEST, 0, 0xbeef_0007, data);
    ipv4_frame(HOST_V4, ROUTER_V4, PROTO_ICMP, &[], &msg)
}

/// Parses `frame` as Ethernet + IPv4 + ICMPv4 and checks both checksums.
fn parse_icmp(frame: &[u8]) -> (Ipv4Packet<&[u8]>, Icmpv4Packet<&[u8]>) {
    let l2 = parse_l2(frame).unwrap();
    assert_eq!(l2.ethertype, crate::ethernet::ETHERTYPE_IPV4);
    let ip = Ipv4Packet::new_checked(&frame[l2.l3_offset..]).unwrap();
    assert!(ip.verify_checksum(), "IPv4 header checksum");
    assert_eq!(ip.protocol(), PROTO_ICMP);
    let icmp = Icmpv4Packet::new_checked(ip.clone().into_payload()).unwrap();
    assert!(icmp.verify_checksum(), "ICMP checksum");
    (ip, icmp)
}

#[test]
fn echo_reply() {
    let req = echo_request_frame(b"0123456789abcdefXYZ");
    let mut out = [0u8; 200];
    let n = icmpv4_echo_reply(&req, ROUTER_MAC, &mut out).unwrap();
    assert_eq!(n, MIN_FRAME_LEN.max(14 + 20 + 8 + 19));
    let eth = EthernetFrame::new_checked(&out[..n]).unwrap();
    assert_eq!((eth.dst(), eth.src()), (HOST_MAC, ROUTER_MAC));
    let (ip, icmp) = parse_icmp(&out[..n]);
    assert_eq!(
        (ip.src_addr(), ip.dst_addr(), ip.ttl()),
        (ROUTER_V4, HOST_V4, 64)
    );
    assert_eq!((icmp.msg_type(), icmp.code()), (icmp::TYPE_ECHO_REPLY, 0));
    assert_eq!((icmp.echo_ident(), icmp.echo_seq()), (0xbeef, 7));
    assert_eq!(icmp.data(), b"0123456789abcdefXYZ");
}

#[test]
fn echo_reply_small_is_padded_and_tagged_input_ok() {
    let req = echo_request_frame(b"");
    let mut tagged = req.clone();
    tagged.resize(req.len() + 4, 0);
    let len = insert_vlan_tag(&mut tagged, req.len(), ETHERTYPE_VLAN, 0, 10).unwrap();
    let mut out = [0xFFu8; 100];
    let n = icmpv4_echo_reply(&tagged[..len], ROUTER_MAC, &mut out).unwrap();
    assert_eq!(n, MIN_FRAME_LEN);
    assert!(out[42..60].iter().all(|b| *b == 0));
    let (ip, _) = parse_icmp(&out[..n]);
    assert_eq!(ip.total_len(), 28);
}

#[test]
fn echo_reply_rejects() {
    let mut out = [0u8; 200];
    let mut f = echo_request_frame(b"abc");
    // Bad ICMP checksum.
    let last = f.len() - 1;
    f[last] ^= 1;
    assert_eq!(
        icmpv4_echo_reply(&f, ROUTER_MAC, &mut out),
        Err(BuildError::Icmpv4(crate::Icmpv4Error::BadChecksum))
    );
    // Bad IP header checksum.
    let mut f = echo_request_frame(b"abc");
    f[14 + 8] = 9; // TTL changed without checksum update
    assert_eq!(
        icmpv4_echo_reply(&f, ROUTER_MAC, &mut out),
        Err(BuildError::Ipv4(Ipv4Error::BadChecksum))
    );
    // Not an echo request.
    let f = ipv4_frame(
        HOST_V4,
        ROUTER_V4,
        PROTO_ICMP,
        &[],
        &icmpv4(icmp::TYPE_ECHO_REPLY, 0, 0, b""),
    );
    assert_eq!(
        icmpv4_echo_reply(&f, ROUTER_MAC, &mut out),
        Err(BuildError::NotEchoRequest)
    );
    let f = ipv4_frame(HOST_V4, ROUTER_V4, PROTO_UDP, &[], &[0u8; 8]);
    assert_eq!(
        icmpv4_echo_reply(&f, ROUTER_MAC, &mut out),
        Err(BuildError::NotEchoRequest)
    );
    // Broadcast ping.
    let msg = icmpv4(icmp::TYPE_ECHO_REQUEST, 0, 1, b"");
    let f = ipv4_frame(HOST_V4, Ipv4Addr::BROADCAST, PROTO_ICMP, &[], &msg);
    let e = Err(BuildError::Suppressed(SuppressReason::BroadcastDestination));
    assert_eq!(icmpv4_echo_reply(&f, ROUTER_MAC, &mut out), e);
    // Fragment.
    let mut f = echo_request_frame(b"abc");
    Ipv4Packet::new_unchecked(&mut f[14..]).set_flags_and_frag_offset(false, true, 0);
    refill_ipv4(&mut f);
    assert_eq!(
        icmpv4_echo_reply(&f, ROUTER_MAC, &mut out),
        Err(BuildError::Fragmented)
    );
    // Output too small.
    let f = echo_request_frame(&[7u8; 100]);
    assert_eq!(
        icmpv4_echo_reply(&f, ROUTER_MAC, &mut out[..141]),
        Err(BuildError::BufferTooSmall)
    );
    assert!(icmpv4_echo_reply(&f, ROUTER_MAC, &mut out[..142]).is_ok());
}

fn transit_udp(len: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
    ipv4_frame(HOST_V4, FAR_V4, PROTO_UDP, &[], &payload)
}

fn error(frame: &[u8], kind: Icmpv4ErrorKind) -> Result<Vec<u8>, BuildError> {
    let mut out = [0u8; 1600];
    let n = icmpv4_error(
        frame,
        14,
        kind,
        ROUTER_MAC,
        NEXT_HOP_MAC,
        ROUTER_V4,
        &mut out,
    )?;
    Ok(out[..n].to_vec())
}

#[test]
fn error_kinds() {
    let orig = transit_udp(40);
    let cases = [
        (Icmpv4ErrorKind::TimeExceeded, 11, 0, 0),
        (Icmpv4ErrorKind::DestUnreachable(Unreachable4::Net), 3, 0, 0),
        (
            Icmpv4ErrorKind::DestUnreachable(Unreachable4::Host),
            3,
            1,
            0,
        ),
        (
            Icmpv4ErrorKind::DestUnreachable(Unreachable4::Protocol),
            3,
            2,
            0,
        ),
        (
            Icmpv4ErrorKind::DestUnreachable(Unreachable4::Port),
            3,
            3,
            0,
        ),
        (
            Icmpv4ErrorKind::DestUnreachable(Unreachable4::AdminProhibited),
            3,
            13,
            0,
        ),
        (
            Icmpv4ErrorKind::FragmentationNeeded { mtu: 1400 },
            3,
            4,
            1400,
        ),
    ];
    for (kind, t, c, rest) in cases {
        let out = error(&orig, kind).unwrap();
        let eth = EthernetFrame::new_checked(&out[..]).unwrap();
        assert_eq!((eth.dst(), eth.src()), (NEXT_HOP_MAC, ROUTER_MAC));
        let (ip, icmp) = parse_icmp(&out);
        assert_eq!(
            (ip.src_addr(), ip.dst_addr(), ip.ttl(), ip.dscp()),
            (ROUTER_V4, HOST_V4, 64, 48)
        );
        assert_eq!(
            (icmp.msg_type(), icmp.code(), icmp.rest_of_header()),
            (t, c, rest),
            "{kind:?}"
        );
        assert!(icmp.is_error());
        // The whole small datagram is quoted, not the frame padding.
        assert_eq!(icmp.data(), &orig[14..]);
        assert_eq!(ip.total_len() as usize, 20 + 8 + 60);
        if let Icmpv4ErrorKind::FragmentationNeeded { mtu } = kind {
            assert_eq!(icmp.next_hop_mtu(), mtu);
        }
    }
}

#[test]
fn error_quotes_options_and_ignores_padding() {
    // 8 bytes of options (NOP x7 + EOL) and a 2-byte payload, then padding.
    let mut orig = ipv4_frame(
        HOST_V4,
        FAR_V4,
        PROTO_UDP,
        &[1, 1, 1, 1, 1, 1, 1, 0],
        &[0xAB, 0xCD],
    );
    let dgram = orig[14..].to_vec();
    orig.resize(60, 0xEE);
    let out = error(&orig, Icmpv4ErrorKind::TimeExceeded).unwrap();
    let (_, icmp) = parse_icmp(&out);
    assert_eq!(icmp.data(), &dgram[..]);
    let quoted = Ipv4Packet::new_checked(icmp.data()).unwrap();
    assert_eq!(quoted.options().len(), 8);
}

#[test]
fn error_truncated_to_576() {
    for len in [548 - 20 - 1, 548 - 20, 548 - 20 + 1, 1472] {
        let orig = transit_udp(len);
        let out = error(&orig, Icmpv4ErrorKind::TimeExceeded).unwrap();
        let (ip, icmp) = parse_icmp(&out);
        let orig_len = 20 + len;
        let quoted = orig_len.min(ICMPV4_ERROR_MAX_LEN - 28);
        assert_eq!(ip.total_len() as usize, 28 + quoted, "orig {orig_len}");
        assert!(ip.total_len() as usize <= ICMPV4_ERROR_MAX_LEN);
        assert_eq!(icmp.data(), &orig[14..14 + quoted]);
        assert_eq!(out.len(), 14 + 28 + quoted);
    }
}

#[test]
fn error_suppression() {
    use SuppressReason as S;
    let sup = |f: &[u8]| error(f, Icmpv4ErrorKind::TimeExceeded).unwrap_err();
    // ICMP error about an ICMP error.
    for t in [3u8, 11, 12] {
        let f = ipv4_frame(
            HOST_V4,
            FAR_V4,
            PROTO_ICMP,
            &[],
            &icmpv4(t, 0, 0, &[0u8; 28]),
        );
        assert_eq!(sup(&f), BuildError::Suppressed(S::IcmpError));
    }
    // ... but fine about an echo request.
    let f = ipv4_frame(HOST_V4, FAR_V4, PROTO_ICMP, &[], &icmpv4(8, 0, 0, b"x"));
    assert!(error(&f, Icmpv4ErrorKind::TimeExceeded).is_ok());
    // Non-first fragment; the first fragment is fine.
    let mut f = transit_udp(40);
    Ipv4Packet::new_unchecked(&mut f[14..]).set_flags_and_frag_offset(false, true, 0);
    refill_ipv4(&mut f);
    assert!(error(&f, Icmpv4ErrorKind::TimeExceeded).is_ok());
    Ipv4Packet::new_unchecked(&mut f[14..]).set_flags_and_frag_offset(false, false, 100);
    refill_ipv4(&mut f);
    assert_eq!(sup(&f), BuildError::Suppressed(S::NonFirstFragment));
    // Destinations.
    let f = ipv4_frame(HOST_V4, Ipv4Addr::BROADCAST, PROTO_UDP, &[], &[0; 8]);
    assert_eq!(sup(&f), BuildError::Suppressed(S::BroadcastDestination));
    let f = ipv4_frame(
        HOST_V4,
        Ipv4Addr::new(239, 1, 2, 3),
        PROTO_UDP,
        &[],
        &[0; 8],
    );
    assert_eq!(sup(&f), BuildError::Suppressed(S::MulticastDestination));
    // Link-layer destinations.
    let mut f = transit_udp(8);
    f[..6].copy_from_slice(&MacAddr::BROADCAST.0);
    assert_eq!(sup(&f), BuildError::Suppressed(S::LinkLayerBroadcast));
    f[..6].copy_from_slice(&[0x01, 0x00, 0x5e, 0, 0, 1]);
    assert_eq!(sup(&f), BuildError::Suppressed(S::LinkLayerMulticast));
    // Sources that are not a single host.
    for src in [
        "0.0.0.0",
        "0.1.2.3",
        "127.0.0.1",
        "224.0.0.5",
        "240.0.0.1",
        "255.255.255.255",
    ] {
        let f = ipv4_frame(src.parse().unwrap(), FAR_V4, PROTO_UDP, &[], &[0; 8]);
        assert_eq!(
            sup(&f),
            BuildError::Suppressed(S::SourceNotUnicast),
            "{src}"
        );
    }
}

#[test]
fn error_rejects_bad_input() {
    let mut out = [0u8; 600];
    let f = transit_udp(8);
    let k = Icmpv4ErrorKind::TimeExceeded;
    let r = icmpv4_error(
        &f,
        f.len() + 1,
        k,
        ROUTER_MAC,
        NEXT_HOP_MAC,
        ROUTER_V4,
        &mut out,
    );
    assert_eq!(r, Err(BuildError::BadL3Offset));
    let r = icmpv4_error(
        &f[..30],
        14,
        k,
        ROUTER_MAC,
        NEXT_HOP_MAC,
        ROUTER_V4,
        &mut out,
    );
    assert_eq!(r, Err(BuildError::Ipv4(Ipv4Error::Truncated)));
    let mut bad = f.clone();
    bad[14 + 10] ^= 0xFF;
    let r = icmpv4_error(&bad, 14, k, ROUTER_MAC, NEXT_HOP_MAC, ROUTER_V4, &mut out);
    assert_eq!(r, Err(BuildError::Ipv4(Ipv4Error::BadChecksum)));
    let r = icmpv4_error(
        &f,
        14,
        k,
        ROUTER_MAC,
        NEXT_HOP_MAC,
        ROUTER_V4,
        &mut out[..59],
    );
    assert_eq!(r, Err(BuildError::BufferTooSmall));
}
